#!/usr/bin/env bash
# bench-scale.sh [N] [RUNS]: "scale on one machine" (docs/PERFORMANCE.md). N ranks (default
# 64) on this machine, every pair exchanging a message (bench/scale_*.c), for bypass and, when
# installed, Open MPI and MPICH (scripts/setup.sh --peers):
#   - shared memory in use: the Shmem line of /proc/meminfo, before the job and while every
#     rank holds still after the exchange (the job's peak), RUNS times, median;
#   - start-up + init + exchange + finalize wall time (no hold), RUNS times, median.
# Every launcher runs under a timeout. Run alone: never beside another benchmark.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
n=${1:-64}
runs=${2:-5}
build=${BUILD:-build}
hold_ms=3000
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

shmem_kb() { awk '/^Shmem:/ { print $2 }' /proc/meminfo; }
median() { printf '%s\n' "$@" | sort -g | awk '{ a[NR] = $1 } END { print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }
now() { date +%s.%N; }

# name, then the launch command with HOLD where the hold time goes
run_one() {
    local name=$1; shift
    local mem=() secs=()
    for ((i = 0; i < runs; i++)); do
        local before peak=0 cur t0 t1 pid
        before=$(shmem_kb)
        "${@/HOLD/$hold_ms}" > "$tmp/out" 2>&1 &
        pid=$!
        # sample Shmem while the job runs; the peak is while ranks hold after the exchange
        while kill -0 "$pid" 2>/dev/null; do
            cur=$(shmem_kb); ((cur > peak)) && peak=$cur
            sleep 0.05
        done
        wait "$pid" || { echo "$name: run failed:"; cat "$tmp/out"; return 1; }
        mem+=($((peak - before)))
        t0=$(now)
        "${@/HOLD/0}" > "$tmp/out" 2>&1 || { echo "$name: run failed:"; cat "$tmp/out"; return 1; }
        t1=$(now)
        secs+=("$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", b - a }')")
    done
    printf '%-22s shmem %8s kB (runs: %s)   time %7s s (runs: %s)\n' "$name" \
        "$(median "${mem[@]}")" "${mem[*]}" "$(median "${secs[@]}")" "${secs[*]}"
}

echo "# $n ranks on $(nproc) CPUs, $runs runs each, medians"
run_one "bypass (bprun, shm)" timeout 120 "$build/bin/bprun" -n "$n" "$build/bin/bp-scale" HOLD
if command -v mpicc.openmpi > /dev/null && command -v mpirun.openmpi > /dev/null; then
    mpicc.openmpi -O2 bench/scale_mpi.c -o "$tmp/scale_openmpi"
    run_one "Open MPI (mpirun)" timeout 120 mpirun.openmpi --allow-run-as-root --oversubscribe \
        -np "$n" "$tmp/scale_openmpi" HOLD
else
    echo "Open MPI: not installed (scripts/setup.sh --peers), skipped"
fi
if command -v mpicc.mpich > /dev/null && command -v mpiexec.mpich > /dev/null; then
    mpicc.mpich -O2 bench/scale_mpi.c -o "$tmp/scale_mpich"
    run_one "MPICH (mpiexec.hydra)" timeout 120 mpiexec.mpich -n "$n" "$tmp/scale_mpich" HOLD
else
    echo "MPICH: not installed (scripts/setup.sh --peers), skipped"
fi
