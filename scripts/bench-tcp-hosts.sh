#!/usr/bin/env bash
# bench-tcp-hosts.sh [RUNS]: bypass's tcp transport between two emulated hosts (network
# namespaces joined by a bridge, made here and removed on exit; our own test hosts), beside
# bypass tcp on loopback and the kernel's busy-polled TCP on loopback, 8 B latency,
# interleaved RUNS times (default 5). Needs root. Run alone (two cores).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
runs=${1:-5}
bin=${BIN:-build/bin}
. tests/net/hosts.sh
hosts_up 2
lat() { awk -F, '$1 == 8 { print $2 }'; }
printf '%-4s %22s %22s %22s\n' run "bypass tcp 2 hosts" "bypass tcp loopback" "kernel TCP spin lo"
for ((i = 0; i < runs; i++)); do
    a=$(BP_TCP_IF=eth0 BP_TRANSPORTS=tcp "$bin/bprun" --timeout 120 -n 2 \
        sh -c 'exec ip netns exec "$0-$BPRUN_RANK" "$1" lat --sizes 8 --iters 20000 --csv' \
        "$HOSTS_PREFIX" "$bin/bp-bench" 2>/dev/null | lat)
    b=$("$bin/bprun" -n 2 "$bin/bp-bench" lat --transport tcp --sizes 8 --iters 20000 --csv \
        2>/dev/null | lat)
    c=$("$bin/bp-bench" lat --backend tcp-spin --sizes 8 --iters 20000 --csv 2>/dev/null | lat)
    printf '%-4s %22s %22s %22s\n' "$i" "$a" "$b" "$c"
done
