#!/usr/bin/env bash
# bench-xdp-ab.sh BIN_A BIN_B [ROUNDS]: 8 B latency over xdp of two builds (their bin/
# folders: bprun and bp-bench of each), between two emulated hosts (network namespaces joined
# by one veth pair, made here and removed on exit), alternated ROUNDS times (default 6) as
# raw AF_XDP ping-pong, A, B, A, so that a regression between two commits can be told from the
# machine's moods. Needs root. Run it alone: on two cores any other load spoils the figures.
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.." || exit 1
a=${1:?usage: bench-xdp-ab.sh BIN_A BIN_B [ROUNDS]}
b=${2:?usage: bench-xdp-ab.sh BIN_A BIN_B [ROUNDS]}
rounds=${3:-6}
. tests/net/hosts.sh
HOSTS_DIRECT=1 HOSTS_MTU=1500 hosts_up 2
# hosts_down's last step (the bridge, which a direct pair has not) fails: not the script's
trap 'hosts_down > /dev/null 2>&1 || true' EXIT
trap 'exit 1' INT TERM
job() { # BIN: one run, rank r in host r's namespace; prints the 8 B latency (empty: failed)
    BP_TRANSPORTS=xdp BP_XDP_IFACE=eth0 "$1/bprun" --bind core --timeout 120 \
        -n 2 sh -c 'exec ip netns exec "$0-$BPRUN_RANK" "$@"' "$HOSTS_PREFIX" \
        "$1/bp-bench" lat --sizes 8 --iters 20000 --csv 2> /dev/null | awk -F, '$1 == 8 { print $2 }'
}
for ((i = 0; i < rounds; i++)); do
    base=$(BPBENCH_XDP_NETNS=/var/run/netns/$HOSTS_PREFIX-1 BP_XDP_IFACE=eth0 \
        ip netns exec "$HOSTS_PREFIX-0" "$a/bp-bench" base xdp --sizes 4096 --csv 2> /dev/null)
    printf 'round %d: base %s raw %s | A %s | B %s | A %s us\n' "$i" \
        "$(awk -F, '$1 == "pingpong_us" { print $3 }' <<< "$base")" \
        "$(awk -F, '$1 == "xdp_pingpong_us" { print $3 }' <<< "$base")" \
        "$(job "$a")" "$(job "$b")" "$(job "$a")"
done
