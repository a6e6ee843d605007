#!/usr/bin/env bash
# bench-tcp-zerocopy.sh [ROUNDS]: the kernel's TCP between two emulated hosts (one veth pair,
# made here and removed on exit), 1 MiB messages, busy-polled, MB/s: bp-bench's tcp-spin on
# the bare pair, then, while an idle bypass job holds its XDP steering program on both ends,
# tcp-spin again and bp-tcp-zc-probe with plain sends (copy) and with MSG_ZEROCOPY (zc).
# ROUNDS (default 5) rounds, interleaved. The question it answers (docs/PERFORMANCE.md, "Bulk
# lanes"): how much of the kernel's TCP is left on a veth pair once an XDP program is
# attached, and whether the sender's zero copy gives it back. Needs root; run alone.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
rounds=${1:-5}
bin=${BIN:-build/bin}
. tests/net/hosts.sh
HOSTS_DIRECT=1 hosts_up 2
addr0=$(hosts_addr 0)
addr1=$(hosts_addr 1)
probe() { # ZC: sender on host 0 (CPU 0), receiver on host 1 (CPU 1)
    ip netns exec "$HOSTS_PREFIX-1" taskset -c 1 "$bin/bp-tcp-zc-probe" recv 7777 &
    local r=$!
    sleep 0.2
    ip netns exec "$HOSTS_PREFIX-0" taskset -c 0 "$bin/bp-tcp-zc-probe" send "$addr1" 7777 \
        "$1" 60 | awk '{ print $2 }'
    wait $r
}
kern() { # bp-bench's tcp-spin, host 0 to host 1
    BPBENCH_TCP_ADDR=$addr0 BPBENCH_TCP_NETNS=/var/run/netns/$HOSTS_PREFIX-1 \
        ip netns exec "$HOSTS_PREFIX-0" "$bin/bp-bench" bw --sizes 1048576 --iters 20 \
        --backend tcp-spin --csv 2> /dev/null | awk -F, 'END { print $2 }'
}
held() { hosts_xdp_held "$bin" "$@"; } # CMD... while bypass holds xdp
printf '%-6s %10s %10s %10s %10s %10s\n' round tcp-spin "xdp:spin" "xdp:copy" "xdp:zc" "zc/spin"
for ((i = 0; i < rounds; i++)); do
    k=$(kern)
    hk=$(held kern)
    hc=$(held probe 0)
    hz=$(held probe 1)
    awk -v i="$i" -v k="$k" -v hk="$hk" -v hc="$hc" -v hz="$hz" 'BEGIN {
        printf "%-6s %10.1f %10.1f %10.1f %10.1f %10.2f\n", i, k, hk, hc, hz, (k > 0 ? hz / k : 0) }'
done
