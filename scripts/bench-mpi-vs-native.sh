#!/usr/bin/env bash
# bench-mpi-vs-native.sh [ROUNDS]: 8 B latency of the native API and of the MPI layer
# (issue 8: within 1.1x), interleaved round by round with the cache-line ping-pong, so that
# each round's ratio compares runs of the same vCPU placement (it moves every few seconds on
# the development VMs; a round whose base and latencies disagree on the placement shows it).
# Prints one line per round and the median of the per-round ratios. Run alone on the machine.
#
# BIN (default build/bin) holds the programs. BIN_B, if set, names a second build (a change
# to try): each round then also runs its MPI layer, and native once more after it, and both
# MPI figures are divided by the mean of the round's two native runs (A/B in one run).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
rounds=${1:-15}
bin=${BIN:-build/bin}
bin_b=${BIN_B:-}
ratios=()
ratios_b=()
lat() { # lat DIR PROGRAM: the 8 B one-way latency in us
    "$1/bprun" -n 2 "$1/$2" lat --sizes 8 --iters 200000 --csv 2> /dev/null |
        awk -F, '$1 == 8 { print $2 }'
}
median() {
    sort -n | awk '{ v[NR] = $1 } END { printf "%.3f", (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}
for r in $(seq 1 "$rounds"); do
    b=$("$bin/bp-bench" base --csv 2> /dev/null | awk -F, '/pingpong/ { print $3 }')
    n=$(lat "$bin" bp-bench)
    m=$(lat "$bin" bp-bench-bpmpi)
    if [ -z "$bin_b" ]; then
        q=$(awk -v a="$m" -v b="$n" 'BEGIN { printf "%.3f", a / b }')
        ratios+=("$q")
        printf 'round %2d  base %s  native %s  mpi %s  ratio %s\n' "$r" "$b" "$n" "$m" "$q"
        continue
    fi
    mb=$(lat "$bin_b" bp-bench-bpmpi)
    n2=$(lat "$bin" bp-bench)
    q=$(awk -v a="$m" -v b="$n" -v c="$n2" 'BEGIN { printf "%.3f", 2 * a / (b + c) }')
    qb=$(awk -v a="$mb" -v b="$n" -v c="$n2" 'BEGIN { printf "%.3f", 2 * a / (b + c) }')
    ratios+=("$q")
    ratios_b+=("$qb")
    printf 'round %2d  base %s  native %s %s  mpi %s  mpi(B) %s  ratio %s  ratio(B) %s\n' \
        "$r" "$b" "$n" "$n2" "$m" "$mb" "$q" "$qb"
done
printf 'median ratio (MPI layer / native): %s over %d rounds\n' \
    "$(printf '%s\n' "${ratios[@]}" | median)" "${#ratios[@]}"
if [ -n "$bin_b" ]; then
    printf 'median ratio of %s (MPI layer / native): %s\n' "$bin_b" \
        "$(printf '%s\n' "${ratios_b[@]}" | median)"
fi
