#!/usr/bin/env bash
# bench-xdp-hosts.sh [RUNS]: between two emulated hosts (network namespaces joined by a
# bridge through veth pairs, made here and removed on exit; our own test hosts), one rank
# per host, pinned to the two cores, interleaved RUNS times (default 5), medians:
#   base       the cache-line ping-pong between the two cores (the hardware's floor)
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
hosts_up 2
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
printf '%-4s %9s %9s %9s %9s %9s | %11s %11s %11s\n' run base xdp bp-tcp tcp-spin tcp \
    "xdp MB/s" "bp-tcp MB/s" "tcp-spin MB/s"
for ((i = 0; i < runs; i++)); do
    L[base]+="$("$bin/bp-bench" base --csv 2> /dev/null | awk -F, 'NR == 2 { print $3 }') "
    L[xdp]+="$(job xdp lat --sizes 8 --iters 20000 | col 8) "
    L[bptcp]+="$(job tcp lat --sizes 8 --iters 20000 | col 8) "
    L[spin]+="$(kern tcp-spin lat --sizes 8 --iters 20000 | col 8) "
    L[tcp]+="$(kern tcp lat --sizes 8 --iters 20000 | col 8) "
    B[xdp]+="$(job xdp bw --sizes 1048576 --iters 50 | col 1048576) "
    B[bptcp]+="$(job tcp bw --sizes 1048576 --iters 50 | col 1048576) "
    B[spin]+="$(kern tcp-spin bw --sizes 1048576 --iters 50 | col 1048576) "
    set -- ${L[base]}; b=${!#}
    set -- ${L[xdp]}; x=${!#}
    set -- ${L[bptcp]}; t=${!#}
    set -- ${L[spin]}; s=${!#}
    set -- ${L[tcp]}; k=${!#}
    set -- ${B[xdp]}; bx=${!#}
    set -- ${B[bptcp]}; bt=${!#}
    set -- ${B[spin]}; bs=${!#}
    printf '%-4s %9s %9s %9s %9s %9s | %11s %11s %11s\n' "$i" "$b" "$x" "$t" "$s" "$k" "$bx" "$bt" "$bs"
done
med() { tr ' ' '\n' <<< "$1" | grep -v '^$' | median; }
printf '%-4s %9s %9s %9s %9s %9s | %11s %11s %11s\n' median "$(med "${L[base]}")" \
    "$(med "${L[xdp]}")" "$(med "${L[bptcp]}")" "$(med "${L[spin]}")" "$(med "${L[tcp]}")" \
    "$(med "${B[xdp]}")" "$(med "${B[bptcp]}")" "$(med "${B[spin]}")"
awk -v x="$(med "${L[xdp]}")" -v s="$(med "${L[spin]}")" -v bx="$(med "${B[xdp]}")" \
    -v bs="$(med "${B[spin]}")" 'BEGIN { printf "ratios: xdp/tcp-spin latency %.2f, xdp/tcp-spin bandwidth %.2f\n", x / s, bx / bs }'
