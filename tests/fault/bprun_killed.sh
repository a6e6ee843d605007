#!/usr/bin/env bash
# bprun_killed.sh BPRUN FAULT_KILL INIT_ONLY - bprun itself dies by SIGKILL (nothing of it
# runs to clean up) and its ranks must not run on:
#   1. while the ranks communicate (fault_kill barrier, 4 ranks, nobody told to die): every
#      rank is gone within BOUND_MS (2000) of the kill (the kernel's PR_SET_PDEATHSIG,
#      which bprun sets in each rank before the exec), and nothing of the job is left in
#      /dev/shm (the names were unlinked at the end of bp_init);
#   2. while the ranks are inside bp_init, their segments created and not yet unlinked
#      (BPI_TEST_SHM_STALL_MS holds them there): every rank is gone within the bound too;
#      their names are left, and the next job on the machine (init_only under bprun)
#      removes them (the stale sweep of bp_init).
# A rank counts as gone once it has exited, zombie or not (whoever inherited it reaps it).
set -uo pipefail

bprun=$1 prog=$2 init_only=$3
bound_ms=${BOUND_MS:-2000}
tmp=$(mktemp -d)
ns=$(printf '%08x' "$(stat -L -c %i /proc/self/ns/pid)")
left=
cleanup() {
    for f in $left; do rm -f "/dev/shm/$f"; done
    rm -rf "$tmp"
}
trap cleanup EXIT
fail() {
    echo "FAIL: $*"
    for f in "$tmp"/*; do echo "--- $f"; tail -20 "$f"; done
    exit 1
}

running() { # PID: 0 while it runs (a zombie has exited)
    local st
    st=$(sed -n 's/^.*) \([A-Z]\) .*$/\1/p' "/proc/$1/stat" 2>/dev/null) || return 1
    [ -n "$st" ] && [ "$st" != Z ] && [ "$st" != X ]
}

# Kill bprun (pid $1) with SIGKILL; every pid in $2 must stop running within the bound
# (how long they took: $ms).
kill_and_watch() {
    local bp=$1 pids=$2 t0 t1 p alive
    t0=$(date +%s%N)
    kill -9 "$bp" || fail "bprun (pid $bp) was not running"
    while :; do
        alive=
        for p in $pids; do
            running "$p" && alive="$alive $p"
        done
        t1=$(date +%s%N)
        ms=$(((t1 - t0) / 1000000))
        [ -z "$alive" ] && break
        if [ "$ms" -gt "$bound_ms" ]; then
            kill -9 $alive 2>/dev/null
            fail "ranks$alive still run $ms ms after bprun was killed"
        fi
        sleep 0.02
    done
    wait "$bp" 2>/dev/null
}

# 1. during communication
env FAULT_VICTIM=-1 "$bprun" --timeout 60 -n 4 "$prog" barrier >"$tmp/out1" 2>"$tmp/err1" &
bp=$!
for _ in $(seq 1 300); do
    [ "$(grep -c ' ready$' "$tmp/out1")" -ge 4 ] && break
    kill -0 "$bp" 2>/dev/null || fail "the job ended before it was ready"
    sleep 0.1
done
pids=$(sed -n 's/^fault: rank [0-9]* pid \([0-9]*\) .* ready$/\1/p' "$tmp/out1")
key=$(sed -n 's/^fault: rank [0-9]* pid [0-9]* jobkey \([0-9a-f]*\) ready$/\1/p' "$tmp/out1" | head -1)
[ "$(echo "$pids" | grep -c .)" -eq 4 ] && [ -n "$key" ] || { kill -9 "$bp"; fail "the ranks never became ready"; }
sleep 0.$((RANDOM % 300 + 100))
kill_and_watch "$bp" "$pids"
names=$(ls /dev/shm | grep "^bp-$key-" || true)
[ -z "$names" ] || { left=$names; fail "left in /dev/shm after bprun's death: $names"; }
echo "1. bprun killed while 4 ranks ran a barrier loop: every rank gone ${ms} ms later; /dev/shm clean"

# 2. inside bp_init
env BPI_TEST_SHM_STALL_MS=20000 "$bprun" --timeout 60 -n 2 "$init_only" >"$tmp/out2" 2>&1 &
bp=$!
pids=
for _ in $(seq 1 200); do
    pids=$(cat "/proc/$bp/task/$bp/children" 2>/dev/null)
    if [ -n "$pids" ]; then
        re=$(echo $pids | tr ' ' '|')
        left=$(ls /dev/shm | grep -E "^bp-[0-9a-f]{16}-([0-9]+|coll)-($re)-$ns\$" || true)
        [ "$(echo "$left" | grep -c .)" -ge 2 ] && break
    fi
    sleep 0.1
done
[ "$(echo "$left" | grep -c .)" -ge 2 ] || { kill -9 "$bp" $pids; fail "the ranks' segments never appeared"; }
kill_and_watch "$bp" "$pids"
echo "2. bprun killed while 2 ranks were inside bp_init: both gone ${ms} ms later; left: $(echo $left)"
env BP_LOG_LEVEL=info "$bprun" --timeout 60 -n 2 "$init_only" >"$tmp/out3" 2>&1 ||
    fail "the next job failed"
for f in $left; do
    [ ! -e "/dev/shm/$f" ] || fail "$f is still in /dev/shm after the next job"
done
left=
echo "bprun_killed passed: no rank outlived bprun; the next job removed what the starting ones left"
