#!/usr/bin/env bash
# bench-latency.sh [RUNS] [SIZE]: the foundation's latency figure, as docs/PERFORMANCE.md
# quotes it. Alternates, RUNS times (default 7), the physical limit (bp-bench base: a
# cache-line ping-pong between the same two CPUs) and bypass over shm (bprun -n 2 bp-bench
# lat, ranks pinned to those CPUs), so that both see the same machine state; prints each
# pair, then the medians and the ratio of the medians. Run alone: never beside another
# benchmark (two cores).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
runs=${1:-7}
size=${2:-8}
bin=${BIN:-build/bin}
base=() lat=()
for ((i = 0; i < runs; i++)); do
    b=$("$bin/bp-bench" base --iters 1000000 --csv | awk -F, '$1 == "pingpong_us" { print $3 }')
    l=$("$bin/bprun" -n 2 "$bin/bp-bench" lat --sizes "$size" --iters 200000 --csv | awk -F, -v s="$size" '$1 == s { print $2 }')
    printf 'run %d: base %s us, shm lat(%s B) %s us\n' "$i" "$b" "$size" "$l"
    base+=("$b") lat+=("$l")
done
median() { printf '%s\n' "$@" | sort -g | awk '{ a[NR] = $1 } END { print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }
mb=$(median "${base[@]}") ml=$(median "${lat[@]}")
awk -v b="$mb" -v l="$ml" 'BEGIN { printf "median: base %s us, shm %s us, ratio %.2f\n", b, l, l / b }'
