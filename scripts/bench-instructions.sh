#!/usr/bin/env bash
# bench-instructions.sh [ITERS]: instructions per message on the shm fast path, counted by
# valgrind's callgrind (these VMs expose no hardware counters to perf stat: it says "not
# supported"). Runs `bprun -n 2 bp-bench lat --sizes 8` under callgrind and prints, for rank
# 0, the instructions per call (inclusive) of the send call (bp_send, and the shm
# transport's part of it) and of the receive-side handling of one arrived message (the
# arrival callback, and posting the receive). Polling of an empty ring is left out: its
# count depends on how long a rank waits.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
iters=${1:-20000}
bin=${BIN:-build/bin}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
timeout 600 "$bin/bprun" -n 2 valgrind --tool=callgrind --callgrind-out-file="$tmp/cg.%p" \
    "$bin/bp-bench" lat --sizes 8 --iters "$iters" --warmup 0 > /dev/null 2>&1
f=$(ls "$tmp"/cg.* | head -1)
# Inclusive instructions of a function over the run. Rank 0 calls bp_send once per iteration
# and receives once per iteration (a few more calls come from init and finalize: < 0.1%).
incl() {
    callgrind_annotate --inclusive=yes "$f" 2>/dev/null |
        awk -v fn="$1" 'index($0, ":" fn " [") { gsub(",", "", $1); print $1; exit }'
}
printf '# rank 0, %d iterations of bp-bench lat (8 B), instructions per message\n' "$iters"
# A message that the blocking receive takes straight from the ring (core/progress.c,
# wait_take, whose instructions count in bpi_wait_req with the polling) never reaches
# bpi_core_recv_cb: its count per message (about 99 for one message) says what share of
# the messages still went the usual way.
for fn in bp_send bpi_core_recv_cb bpi_recv_post; do
    printf '%-18s %8.1f\n' "$fn" "$(awk -v a="$(incl "$fn")" -v b="$iters" 'BEGIN { print a / b }')"
done
