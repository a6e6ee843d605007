#!/usr/bin/env bash
# bench-xdp-bw.sh [RUNS] [SIZE]: 1 MiB (or SIZE) bandwidth between two emulated hosts (one
# veth pair, made here and removed on exit), bypass over xdp against the kernel's TCP
# busy-polled, RUNS (default 3) rounds interleaved, MB/s. MTU=9000 sets the pair's MTU (jumbo
# frames: the xdp transport then sends multi-buffer frames); RPS=1 steers each namespace's
# receive processing onto the CPU of the rank there (rps_cpus), as two real hosts would
# have it. The bandwidth half of bench-xdp-hosts.sh, for trying MTUs. Needs root; run alone.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
runs=${1:-3}
size=${2:-1048576}
bin=${BIN:-build/bin}
. tests/net/hosts.sh
HOSTS_DIRECT=1 HOSTS_MTU=${MTU:-1500} hosts_up 2
if [ -n "${RPS:-}" ]; then
    for i in 0 1; do # rank i is pinned to CPU i
        ip netns exec "$HOSTS_PREFIX-$i" sh -c "echo $((1 << i)) > /sys/class/net/eth0/queues/rx-0/rps_cpus"
    done
fi
addr0=$(hosts_addr 0)
printf '%-6s %12s %12s %8s\n' run "xdp MB/s" "tcp-spin" ratio
for ((i = 0; i < runs; i++)); do
    x=$(BP_TRANSPORTS=xdp BP_XDP_IFACE=eth0 BP_TCP_IF=eth0 "$bin/bprun" --bind core --timeout 120 \
        -n 2 sh -c 'exec ip netns exec "$0-$BPRUN_RANK" "$@"' "$HOSTS_PREFIX" \
        "$bin/bp-bench" bw --sizes "$size" --iters 20 --csv 2> /dev/null | awk -F, 'END { print $2 }')
    k=$(BPBENCH_TCP_ADDR=$addr0 BPBENCH_TCP_NETNS=/var/run/netns/$HOSTS_PREFIX-1 \
        ip netns exec "$HOSTS_PREFIX-0" "$bin/bp-bench" bw --sizes "$size" --iters 20 \
        --backend tcp-spin --csv 2> /dev/null | awk -F, 'END { print $2 }')
    awk -v i="$i" -v x="$x" -v k="$k" 'BEGIN { printf "%-6s %12.1f %12.1f %8.2f\n", i, x, k, (k > 0 ? x / k : 0) }'
done
