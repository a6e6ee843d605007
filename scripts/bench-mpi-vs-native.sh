#!/usr/bin/env bash
# bench-mpi-vs-native.sh [ROUNDS]: 8 B latency of the native API and of the MPI layer
# (issue 8: within 1.1x), interleaved round by round with the cache-line ping-pong, so that
# each round's ratio compares runs of the same vCPU placement (it moves every few seconds on
# the development VMs; a round whose base and latencies disagree on the placement shows it).
# Prints one line per round and the median of the per-round ratios. Run alone on the machine.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
rounds=${1:-15}
bin=${BIN:-build/bin}
ratios=()
for r in $(seq 1 "$rounds"); do
    b=$("$bin/bp-bench" base --csv 2> /dev/null | awk -F, '/pingpong/ { print $3 }')
    n=$("$bin/bprun" -n 2 "$bin/bp-bench" lat --sizes 8 --iters 200000 --csv 2> /dev/null |
        awk -F, '$1 == 8 { print $2 }')
    m=$("$bin/bprun" -n 2 "$bin/bp-bench-bpmpi" lat --sizes 8 --iters 200000 --csv 2> /dev/null |
        awk -F, '$1 == 8 { print $2 }')
    q=$(awk -v a="$m" -v b="$n" 'BEGIN { printf "%.3f", a / b }')
    ratios+=("$q")
    printf 'round %2d  base %s  native %s  mpi %s  ratio %s\n' "$r" "$b" "$n" "$m" "$q"
done
printf '%s\n' "${ratios[@]}" | sort -n |
    awk '{ v[NR] = $1 } END { printf "median ratio (MPI layer / native): %.3f over %d rounds\n", (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2, NR }'
