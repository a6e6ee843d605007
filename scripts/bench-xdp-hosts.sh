#!/usr/bin/env bash
# bench-xdp-hosts.sh [RUNS]: between two emulated hosts (network namespaces joined by one
# veth pair, made here and removed on exit; our own test hosts; MTU=4000 in the
# environment sets the pair's MTU, default 1500), one rank
# per host, pinned to the two cores, interleaved RUNS times (default 5), medians:
#   base       the cache-line ping-pong between the two cores (the hardware's floor)
#   raw        a raw AF_XDP frame ping-pong (bp-bench base xdp): the floor under xdp
#   xdp        bypass over AF_XDP (BP_TRANSPORTS=xdp)
#   bp-tcp     bypass over its tcp transport
#   tcp-spin   the kernel's TCP, busy-polled, over the same veth pair (bp-bench's socket
#              backend, its second process moved into the other namespace)
#   tcp        the same, blocking
# 8 B latency (us) and 1 MiB bandwidth (MB/s). Needs root. Run it alone: on two cores any
# other load spoils the figures.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
runs=${1:-5}
bin=${BIN:-build/bin}
. tests/net/hosts.sh
HOSTS_DIRECT=1 HOSTS_MTU=${MTU:-1500} hosts_up 2
addr0=$(hosts_addr 0)
col() { awk -F, -v s="$1" '$1 == s { print $2 }'; }
job() { # TRANSPORT bench args...: bypass, rank r on host r
    local tl=$1
    shift
    BP_TRANSPORTS=$tl BP_TCP_IF=eth0 BP_XDP_IFACE=eth0 "$bin/bprun" --bind core --timeout 120 \
        -n 2 sh -c 'exec ip netns exec "$0-$BPRUN_RANK" "$@"' "$HOSTS_PREFIX" \
        "$bin/bp-bench" "$@" --csv 2> /dev/null
}
kern() { # BACKEND bench args...: the kernel's TCP from host 0 to host 1
    local be=$1
    shift
    BPBENCH_TCP_ADDR=$addr0 BPBENCH_TCP_NETNS=/var/run/netns/$HOSTS_PREFIX-1 \
        ip netns exec "$HOSTS_PREFIX-0" "$bin/bp-bench" "$@" --backend "$be" --csv 2> /dev/null
}
median() { sort -g | awk '{ v[NR] = $1 } END { if (NR == 0) print "-"; else if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
declare -A L B
keys="base raw xdp bptcp spin tcp"
last() { local v=($1); echo "${v[${#v[@]}-1]:--}"; }
med() { tr ' ' '\n' <<< "$1" | grep -v '^$' | median; }
row() { # label, then one value per column
    printf '%-7s' "$1"; shift
    printf ' %9s' "$1" "$2" "$3" "$4" "$5" "$6"; printf ' |'
    printf ' %11s' "$7" "$8" "$9"; printf '\n'
}
row run base raw xdp bp-tcp tcp-spin tcp "xdp MB/s" "bp-tcp MB/s" "spin MB/s"
for ((i = 0; i < runs; i++)); do
    b=$(BPBENCH_XDP_NETNS=/var/run/netns/$HOSTS_PREFIX-1 BP_XDP_IFACE=eth0 \
        ip netns exec "$HOSTS_PREFIX-0" "$bin/bp-bench" base xdp --sizes 4096 --csv 2> /dev/null)
    L[base]+="$(awk -F, '$1 == "pingpong_us" { print $3 }' <<< "$b") "
    L[raw]+="$(awk -F, '$1 == "xdp_pingpong_us" { print $3 }' <<< "$b") "
    L[xdp]+="$(job xdp lat --sizes 8 --iters 20000 | col 8) "
    L[bptcp]+="$(job tcp lat --sizes 8 --iters 20000 | col 8) "
    L[spin]+="$(kern tcp-spin lat --sizes 8 --iters 20000 | col 8) "
    L[tcp]+="$(kern tcp lat --sizes 8 --iters 20000 | col 8) "
    B[xdp]+="$(job xdp bw --sizes 1048576 --iters 20 | col 1048576) "
    B[bptcp]+="$(job tcp bw --sizes 1048576 --iters 20 | col 1048576) "
    B[spin]+="$(kern tcp-spin bw --sizes 1048576 --iters 20 | col 1048576) "
    row "$i" $(for k in $keys; do last "${L[$k]}"; done) \
        "$(last "${B[xdp]}")" "$(last "${B[bptcp]}")" "$(last "${B[spin]}")"
done
row median $(for k in $keys; do med "${L[$k]}"; done) \
    "$(med "${B[xdp]}")" "$(med "${B[bptcp]}")" "$(med "${B[spin]}")"
awk -v x="$(med "${L[xdp]}")" -v r="$(med "${L[raw]}")" -v s="$(med "${L[spin]}")" \
    -v bx="$(med "${B[xdp]}")" -v bs="$(med "${B[spin]}")" 'BEGIN {
    printf "ratios: xdp/raw %.2f, xdp/tcp-spin %.2f (latency); xdp/tcp-spin %.2f (1 MiB bandwidth)\n",
           x / r, x / s, bx / bs }'
