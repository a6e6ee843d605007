#!/usr/bin/env bash
# shm_stale.sh BPRUN PROG [bprun|hydra] (PROG: tests/integration/init_only; the job is
# started by bprun or by MPICH's mpiexec.hydra): shared memory left by ranks killed
# during bp_init, where no bprun is there to clean up (srun, Hydra, mpirun: the launcher
# kills the ranks and knows nothing of /dev/shm), is removed by the next bp_init of any job
# of the same user; names of live owners, of other pid namespaces and of the old form stay.
#   1. a job whose ranks are held inside bp_init, after their segments exist and before
#      the names are unlinked (BPI_TEST_SHM_STALL_MS), is killed with kill -9 together
#      with its bprun (so bprun cannot clean up either): its names are left in /dev/shm;
#   2. fake names: owner dead, owner alive (this script), another pid namespace, old form;
#   3. one more job runs: the names of dead owners are gone, the others are still there.
set -uo pipefail

bprun=$1 prog=$2 launcher=${3:-bprun}
case $launcher in
bprun) start=("$bprun" --timeout 60 -n 2) ;;
hydra)
    command -v mpiexec.hydra >/dev/null || { echo "SKIP: mpiexec.hydra is not installed"; exit 77; }
    start=(mpiexec.hydra -n 2)
    ;;
*) echo "usage: $0 BPRUN PROG [bprun|hydra]" >&2; exit 2 ;;
esac
tmp=$(mktemp -d)
ns=$(printf '%08x' "$(stat -L -c %i /proc/self/ns/pid)")
fakes=()
cleanup() {
    for f in "${fakes[@]}"; do rm -f "/dev/shm/$f"; done
    rm -rf "$tmp"
}
trap cleanup EXIT
fail() { echo "FAIL: $*"; cat "$tmp"/* 2>/dev/null; exit 1; }

# 1. killed inside bp_init: the launcher and everything it started, in their own session
env BPI_TEST_SHM_STALL_MS=20000 setsid "${start[@]}" "$prog" >"$tmp/out" 2>&1 &
sid=$!
left=
tree() { # a process and its descendants (Hydra puts its proxy and each rank in a session
    # of its own, so neither a process group nor a session holds them all)
    local p
    echo "$1"
    for p in $(pgrep -P "$1"); do tree "$p"; done
}
killall_job() { # every process of the job, by pid, at once
    kill -9 $(tree "$sid") 2>/dev/null
}
for _ in $(seq 1 200); do
    pids=$(tree "$sid" | tr '\n' '|')
    pids=${pids%|}
    if [ -n "$pids" ]; then
        left=$(ls /dev/shm | grep -E "^bp-[0-9a-f]{16}-([0-9]+|coll)-($pids)-$ns\$" || true)
        [ "$(echo "$left" | grep -c .)" -ge 2 ] && break
    fi
    sleep 0.1
done
[ "$(echo "$left" | grep -c .)" -ge 2 ] || { killall_job; fail "the ranks' segments never appeared"; }
killall_job
wait 2>/dev/null
sleep 0.2
# (a bp_init of any other job of this user, e.g. a test running beside this one, may sweep
# them from now on: that is the feature, so their absence here proves nothing either way)
for f in $left; do
    fakes+=("$f") # removed at exit should the sweep fail
done
echo "killed during bp_init, left behind: $(echo $left)"

# 2. fake names
sh -c 'exit 0' &
dead=$!
wait $dead
fake_dead="bp-00000000000000aa-0-$dead-$ns"
fake_live="bp-00000000000000aa-1-$$-$ns"
fake_ns="bp-00000000000000aa-2-$dead-ffffffff"
fake_old="bp-00000000000000aa-3"
for f in "$fake_dead" "$fake_live" "$fake_ns" "$fake_old"; do
    : >"/dev/shm/$f" || fail "cannot create /dev/shm/$f"
    chmod 600 "/dev/shm/$f"
    fakes+=("$f")
done

# 3. the next job sweeps
env BP_LOG_LEVEL=info "$bprun" --timeout 60 -n 2 "$prog" >"$tmp/out2" 2>&1 || fail "the next job failed"
for f in $left "$fake_dead"; do
    [ ! -e "/dev/shm/$f" ] || fail "$f (owner dead) is still in /dev/shm"
done
for f in "$fake_live" "$fake_ns" "$fake_old"; do
    [ -e "/dev/shm/$f" ] || fail "$f was removed though its owner is alive or cannot be judged"
done
echo "shm_stale ($launcher) passed: the names of ranks killed during bp_init were removed by the next job"
