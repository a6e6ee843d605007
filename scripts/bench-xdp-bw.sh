#!/usr/bin/env bash
# bench-xdp-bw.sh [RUNS] [SIZE]: 1 MiB (or SIZE) bandwidth between two emulated hosts (one
# veth pair, made here and removed on exit), bypass over xdp (with its tcp bulk lane, and
# alone) against the kernel's TCP busy-polled (on the bare pair, and while a bypass job holds
# its steering program on it), RUNS (default 3) rounds interleaved, MB/s. MTU=9000 sets the
# pair's MTU (jumbo frames: the xdp transport then sends multi-buffer frames); RPS=1 steers each namespace's
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
job() { # BP_TRANSPORTS: bypass's bandwidth, rank r on host r
    BP_TRANSPORTS=$1 BP_XDP_IFACE=eth0 BP_TCP_IF=eth0 "$bin/bprun" --bind core --timeout 120 \
        -n 2 sh -c 'exec ip netns exec "$0-$BPRUN_RANK" "$@"' "$HOSTS_PREFIX" \
        "$bin/bp-bench" bw --sizes "$size" --iters 20 --csv 2> /dev/null | awk -F, 'END { print $2 }'
}
kern() { # the kernel's TCP, busy-polled, host 0 to host 1
    BPBENCH_TCP_ADDR=$addr0 BPBENCH_TCP_NETNS=/var/run/netns/$HOSTS_PREFIX-1 \
        ip netns exec "$HOSTS_PREFIX-0" "$bin/bp-bench" bw --sizes "$size" --iters 20 \
        --backend tcp-spin --csv 2> /dev/null | awk -F, 'END { print $2 }'
}
held() { hosts_xdp_held "$bin" kern; } # kern while bypass holds xdp
# xdp: the default (rendezvous data over a tcp bulk lane); xdp-own: AF_XDP alone
# (BP_TRANSPORTS=xdp); spin+xdp: the kernel's TCP while bypass's program is attached
printf '%-6s %10s %10s %10s %10s %8s %8s\n' run "xdp" "xdp-own" "tcp-spin" "spin+xdp" \
    "xdp/spin" "own/spin"
for ((i = 0; i < runs; i++)); do
    x=$(job xdp,tcp)
    o=$(job xdp)
    k=$(kern)
    h=$(held)
    awk -v i="$i" -v x="$x" -v o="$o" -v k="$k" -v h="$h" 'BEGIN {
        printf "%-6s %10.1f %10.1f %10.1f %10.1f %8.2f %8.2f\n", i, x, o, k, h,
               (k > 0 ? x / k : 0), (k > 0 ? o / k : 0) }'
done
