#!/usr/bin/env bash
# bench-ab.sh ROUNDS BENCH N BUILD... : one bp-oversub benchmark (OVERSUB_BENCH=BENCH:
# barrier, allreduce8, ring, ...) at N ranks, for each build directory in turn (a tree's
# build/, e.g. a `git worktree` of another commit), ROUNDS interleaved rounds, 0.2 s a run.
# A BUILD named "openmpi" runs Open MPI's twin of it instead (bench/oversub_mpi.c, built
# into the system temporary directory on first use). One line per run: round, build, the
# benchmark's line, and the steal the kernel counted meanwhile (/proc/stat, all CPUs, in
# USER_HZ ticks: the host running something else while our vCPUs wanted to run). Every run
# is under `timeout`. Run alone on the machine, as every benchmark here. OVERSUB_WORK_US, when
# set, goes to every run (the imbalance benchmarks' work).
#   scripts/bench-ab.sh 15 barrier 4 /tmp/wt-old /work/main openmpi
#   OVERSUB_WORK_US=300 scripts/bench-ab.sh 10 imbalance 4 /tmp/wt-old/build build openmpi
set -euo pipefail
[ $# -ge 4 ] || { echo "usage: $0 ROUNDS BENCH N BUILD..." >&2; exit 2; }
rounds=$1 bench=$2 n=$3
shift 3
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
ompi=${TMPDIR:-/tmp}/bp-oversub-openmpi
steal() { awk '/^cpu /{print $9}' /proc/stat; }
for b in "$@"; do
    if [ "$b" = openmpi ] && [ ! -x "$ompi" ]; then
        mpicc.openmpi -O2 "$root/bench/oversub_mpi.c" -o "$ompi"
    elif [ "$b" != openmpi ] && [ ! -x "$b/bin/bp-oversub" ]; then
        echo "missing $b/bin/bp-oversub: build first" >&2
        exit 1
    fi
done
for i in $(seq "$rounds"); do
    for b in "$@"; do
        s0=$(steal)
        if [ "$b" = openmpi ]; then
            r=$(OVERSUB_BENCH=$bench OVERSUB_WORK_US=${OVERSUB_WORK_US:-100} \
                OMPI_MCA_oob_tcp_if_include=lo timeout 60 \
                mpirun.openmpi --oversubscribe --allow-run-as-root -x OVERSUB_BENCH \
                -x OVERSUB_WORK_US -np "$n" "$ompi" 0.2 2>&1 | grep "^$bench" | tail -1 || true)
        else
            r=$(OVERSUB_BENCH=$bench OVERSUB_WORK_US=${OVERSUB_WORK_US:-100} timeout 60 \
                "$b/bin/bprun" -n "$n" "$b/bin/bp-oversub" 0.2 2>&1 | grep "^$bench" | tail -1 || true)
        fi
        echo "$i $b ${r:-FAILED} steal $(($(steal) - s0))"
    done
done
