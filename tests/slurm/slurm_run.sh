#!/bin/sh
# slurm_run: starts a private Slurm on this machine (slurmctld + one slurmd, loopback only),
# runs PROGRAM (launcher_exchange) with N ranks under `srun --mpi=MPI`, checks that every rank
# started through the expected bootstrap (the debug log line "initialised: ... boot NAME") and
# that rank 0 reported success, then stops both daemons and removes everything, even on failure.
# usage: slurm_run.sh pmix|pmi2|pmix-nopmix N PROGRAM EXPECTED_BOOT [BP_BOOT]
# Exit 77 (ctest SKIP) when Slurm is not installed, when not root, when srun lacks the MPI
# plugin, or (pmix-nopmix) when bypass was built without pmix.h.
#
# What was found (Debian 12, slurm-wlm 22.05.8-4+deb12u3, libpmix2 4.2.2):
# - The daemons start unattended in about a second with this minimal slurm.conf, written to a
#   temporary directory and passed as SLURM_CONF / -f (no munge, no cgroups, no systemd):
#       ClusterName=bptest
#       SlurmctldHost=localhost
#       SlurmctldPort=<free port>    SlurmdPort=<free port>
#       SlurmUser=root               SlurmdUser=root
#       AuthType=auth/none           CredType=cred/none
#       StateSaveLocation, SlurmdSpoolDir, TmpFS, *PidFile, *LogFile   (all in the temp dir)
#       ProctrackType=proctrack/linuxproc   TaskPlugin=task/none   SwitchType=switch/none
#       MpiDefault=none              ReturnToService=2
#       NodeName=localhost NodeAddr=127.0.0.1 CPUs=2 State=UNKNOWN
#       PartitionName=debug Nodes=localhost Default=YES MaxTime=INFINITE State=UP
#   slurmd is started with `-N localhost` (the node name is not the machine's hostname).
# - `srun --mpi=list`: pmix (pmix_v4), pmi2, cray_shasta, none. The pmix plugin loads
#   libpmix at run time (libpmix-dev, which scripts/setup.sh installs).
# - CPUs=2: `srun -n 4` waits for resources forever ("Requested partition configuration not
#   available now"); --overcommit (-O) lets 4 tasks share the 2 CPUs.
# - srun --mpi=pmi2 sets PMI_FD, PMI_RANK, PMI_SIZE, PMI_JOBID; --mpi=pmix sets PMIX_RANK,
#   PMIX_NAMESPACE, PMIX_SERVER_URI*. bypass's auto choice picks pmi2 / pmix respectively.
# - PMI-1 (BP_BOOT=pmi1) under --mpi=pmi2 does not work with Slurm 22.05: its PMI-1 side
#   reads each command with one read() of at most 1024 bytes and does not reassemble lines,
#   so bypass's put lines (up to 1022 hex characters of value plus the command) are cut
#   ("mpi/pmi2: value not properly terminated in client request", then every get is refused
#   and srun hangs until timeout). Bounding the PMI-1 value chunk in src/boot/pmi.c so that
#   the whole put line fits in 1024 bytes makes it pass with 2 and 4 ranks (tried, not
#   committed); until then PMI-1 under srun is not tested here.
# - srun killed by `timeout` (SIGTERM) cancels its job; the trap still cancels what is left
#   and kills, by pid, any process whose environment carries this test's SLURM_CONF.
set -u
mpi=$1 n=$2 prog=$3 expect=$4 force=${5:-}
case $mpi in
pmix | pmi2) ;;
pmix-nopmix)
    echo "SKIP: bypass was built without pmix.h (install libpmix-dev and reconfigure)"
    exit 77
    ;;
*) echo "usage: $0 pmix|pmi2|pmix-nopmix N PROGRAM EXPECTED_BOOT [BP_BOOT]" >&2; exit 2 ;;
esac
for c in slurmctld slurmd srun sinfo squeue scancel; do
    if ! command -v "$c" >/dev/null 2>&1; then
        echo "SKIP: $c is not installed (Debian: apt-get install slurm-wlm; scripts/setup.sh --peers)"
        exit 77
    fi
done
if [ "$(id -u)" -ne 0 ]; then
    echo "SKIP: the private Slurm runs its daemons as root (SlurmUser=root); run as root"
    exit 77
fi

# Nothing of an outer Slurm job or launcher may leak into ours.
for v in $(env | sed -n 's/^\(SLURM_[A-Za-z0-9_]*\)=.*/\1/p;s/^\(SBATCH_[A-Za-z0-9_]*\)=.*/\1/p;s/^\(SRUN_[A-Za-z0-9_]*\)=.*/\1/p;s/^\(PMIX_[A-Za-z0-9_]*\)=.*/\1/p;s/^\(PMI_[A-Za-z0-9_]*\)=.*/\1/p'); do
    unset "$v"
done

# A TCP port nobody listens on (IPv4 or IPv6), from /proc/net/tcp*; not $1.
port_in_use() {
    hex=$(printf '%04X' "$1")
    cat /proc/net/tcp /proc/net/tcp6 2>/dev/null | awk -v p=":$hex" '$2 ~ p"$" {f=1} END {exit !f}'
}
free_port() {
    i=0
    while [ $i -lt 50 ]; do
        p=$(( $(od -An -N2 -tu2 /dev/urandom | tr -d ' ') % 20000 + 40000 ))
        if [ "$p" != "${1:-}" ] && ! port_in_use "$p"; then
            echo "$p"
            return 0
        fi
        i=$((i + 1))
    done
    return 1
}

dir=$(mktemp -d "${TMPDIR:-/tmp}/bp-slurm.XXXXXX") || exit 1
conf=$dir/slurm.conf
ctld_pid='' slurmd_pid='' srun_pid=''
cleanup() {
    # srun interrupted: timeout passes SIGTERM on, srun cancels its job step.
    if [ -n "$srun_pid" ]; then
        kill "$srun_pid" 2>/dev/null
        wait "$srun_pid" 2>/dev/null
    fi
    # Cancel what is left (our slurmctld only: SLURM_CONF is ours), give it 5 s.
    if [ -n "$ctld_pid" ] && kill -0 "$ctld_pid" 2>/dev/null; then
        jobs=$(squeue -h -o %i 2>/dev/null)
        if [ -n "$jobs" ]; then
            # shellcheck disable=SC2086
            scancel $jobs 2>/dev/null
            i=0
            while [ $i -lt 10 ] && [ -n "$(squeue -h -o %i 2>/dev/null)" ]; do
                sleep 0.5
                i=$((i + 1))
            done
        fi
    fi
    for p in $slurmd_pid $ctld_pid; do
        kill "$p" 2>/dev/null
    done
    for p in $slurmd_pid $ctld_pid; do
        i=0
        while [ $i -lt 20 ] && kill -0 "$p" 2>/dev/null; do
            sleep 0.25
            i=$((i + 1))
        done
        kill -9 "$p" 2>/dev/null
        wait "$p" 2>/dev/null
    done
    # slurmstepd and ranks outlive slurmd: kill every process started with our SLURM_CONF.
    for e in /proc/[0-9]*/environ; do
        p=${e#/proc/}
        p=${p%/environ}
        [ "$p" = "$$" ] && continue
        if tr '\0' '\n' 2>/dev/null <"$e" | grep -qxF "SLURM_CONF=$conf"; then
            echo "cleanup: killing leftover process $p: $(tr '\0' ' ' 2>/dev/null <"/proc/$p/cmdline")"
            kill -9 "$p" 2>/dev/null
        fi
    done
    rm -rf "$dir"
}
trap 'cleanup' EXIT
trap 'trap "" PIPE; exit 1' INT TERM HUP PIPE

ctld_port=$(free_port) || { echo "FAIL: no free port"; exit 1; }
slurmd_port=$(free_port "$ctld_port") || { echo "FAIL: no free port"; exit 1; }
mkdir "$dir/state" "$dir/spool" "$dir/tmp" || exit 1
cat >"$conf" <<EOF
ClusterName=bptest
SlurmctldHost=localhost
SlurmctldPort=$ctld_port
SlurmdPort=$slurmd_port
SlurmUser=root
SlurmdUser=root
AuthType=auth/none
CredType=cred/none
StateSaveLocation=$dir/state
SlurmdSpoolDir=$dir/spool
TmpFS=$dir/tmp
SlurmctldPidFile=$dir/slurmctld.pid
SlurmdPidFile=$dir/slurmd.pid
SlurmctldLogFile=$dir/slurmctld.log
SlurmdLogFile=$dir/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SwitchType=switch/none
MpiDefault=none
ReturnToService=2
NodeName=localhost NodeAddr=127.0.0.1 CPUs=2 State=UNKNOWN
PartitionName=debug Nodes=localhost Default=YES MaxTime=INFINITE State=UP
EOF
SLURM_CONF=$conf
export SLURM_CONF

show_logs() {
    for f in slurmctld.log slurmd.log slurmctld.out slurmd.out; do
        [ -s "$dir/$f" ] && { echo "--- $f (tail)"; tail -n 15 "$dir/$f"; }
    done
}

slurmctld -D -f "$conf" >"$dir/slurmctld.out" 2>&1 &
ctld_pid=$!
slurmd -D -f "$conf" -N localhost >"$dir/slurmd.out" 2>&1 &
slurmd_pid=$!
i=0
until [ "$(sinfo -h -n localhost -o %t 2>/dev/null)" = idle ]; do
    i=$((i + 1))
    if [ $i -gt 40 ]; then
        echo "FAIL: the node is not idle after 20 s: $(sinfo 2>&1)"
        show_logs
        exit 1
    fi
    sleep 0.5
done

if ! timeout 20 srun --mpi=list 2>&1 | grep -qx "[[:space:]]*$mpi"; then
    echo "SKIP: srun has no $mpi plugin: $(timeout 20 srun --mpi=list 2>&1 | tr '\n' ' ')"
    exit 77
fi

out=$dir/out err=$dir/err
BP_LOG_LEVEL=debug
export BP_LOG_LEVEL
if [ -n "$force" ]; then
    BP_BOOT=$force
    export BP_BOOT
fi
# sanitizer builds: libpmix's own leftovers are not ours (see tests/boot/lsan_pmix.supp)
LSAN_OPTIONS="${LSAN_OPTIONS:+$LSAN_OPTIONS:}suppressions=$(dirname "$0")/../boot/lsan_pmix.supp"
export LSAN_OPTIONS
# -O: more tasks than the node's 2 CPUs. -k: srun ignoring SIGTERM is killed 5 s later.
# In the background: a signal to this script (ctest's timeout) interrupts `wait` at once.
timeout -k 5 60 srun --mpi="$mpi" -O -n "$n" "$prog" "$n" >"$out" 2>"$err" &
srun_pid=$!
wait "$srun_pid"
rc=$?
srun_pid=''
. "$(dirname "$0")/../boot/launcher_check.sh"
if ! launcher_check "$rc" "srun --mpi=$mpi -O -n $n $prog $n" "$n" "$expect" "$out" "$err"; then
    show_logs
    exit 1
fi
echo "ok: $n ranks under srun --mpi=$mpi through $expect"
