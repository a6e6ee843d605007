# hosts.sh - emulated hosts for the tests: network namespaces joined by a bridge, created and
# removed by the test that sources this file. These are the project's own test hosts: no
# traffic leaves them. Needs root and iproute2.
#
#   . hosts.sh
#   hosts_up 2            # namespaces $HOSTS_PREFIX-0 and -1, addresses 10.213.X.1/24 ... .N
#                         # (HOSTS_DIRECT=1: two hosts on one veth pair, no bridge;
#                         # HOSTS_MTU=9000: interfaces with that MTU, jumbo frames)
#   hosts_exec 1 cmd...   # run cmd inside host 1
#   hosts_addr 1          # host 1's address
#   hosts_xdp_held BIN cmd...  # run cmd while an idle bypass job holds xdp on hosts 0, 1
#   (hosts_down runs on exit)
HOSTS_PREFIX=${HOSTS_PREFIX:-bpt$$}
HOSTS_N=0
# a /24 per test run, from the pid, so that concurrent runs do not collide
HOSTS_NET="10.213.$(( $$ % 250 + 1 ))"

hosts_down() {
    i=0
    while [ "$i" -lt "$HOSTS_N" ]; do
        ip netns del "$HOSTS_PREFIX-$i" 2>/dev/null
        i=$((i + 1))
    done
    ip link del "${HOSTS_PREFIX}br" 2>/dev/null
    HOSTS_N=0
}

hosts_up() { # N
    n=$1
    trap hosts_down EXIT INT TERM
    if [ "$n" -eq 2 ] && [ -n "${HOSTS_DIRECT:-}" ]; then
        # two hosts joined by one veth pair, no bridge: the shortest path between them
        # (benchmarks)
        ip netns add "$HOSTS_PREFIX-0" && HOSTS_N=1 && ip netns add "$HOSTS_PREFIX-1" &&
            HOSTS_N=2 || return 1
        ip link add "${HOSTS_PREFIX}p0" netns "$HOSTS_PREFIX-0" type veth peer name \
            "${HOSTS_PREFIX}p1" netns "$HOSTS_PREFIX-1" || return 1
        for i in 0 1; do
            ns="$HOSTS_PREFIX-$i"
            ip -n "$ns" link set lo up || return 1
            ip -n "$ns" link set "${HOSTS_PREFIX}p$i" name eth0 || return 1
            [ -z "${HOSTS_MTU:-}" ] || ip -n "$ns" link set eth0 mtu "$HOSTS_MTU" || return 1
            ip -n "$ns" addr add "$HOSTS_NET.$((i + 1))/24" dev eth0 || return 1
            ip -n "$ns" link set eth0 up || return 1
        done
        return 0
    fi
    ip link add "${HOSTS_PREFIX}br" type bridge || return 1
    ip link set "${HOSTS_PREFIX}br" up || return 1
    i=0
    while [ "$i" -lt "$n" ]; do
        ns="$HOSTS_PREFIX-$i"
        ip netns add "$ns" || return 1
        HOSTS_N=$((i + 1))
        ip link add "${HOSTS_PREFIX}v$i" type veth peer name "${HOSTS_PREFIX}p$i" || return 1
        ip link set "${HOSTS_PREFIX}p$i" netns "$ns" || return 1
        ip link set "${HOSTS_PREFIX}v$i" master "${HOSTS_PREFIX}br" up || return 1
        ip -n "$ns" link set lo up || return 1
        ip -n "$ns" link set "${HOSTS_PREFIX}p$i" name eth0 || return 1
        if [ -n "${HOSTS_MTU:-}" ]; then # jumbo frames: both ends (the bridge follows)
            ip link set "${HOSTS_PREFIX}v$i" mtu "$HOSTS_MTU" || return 1
            ip -n "$ns" link set eth0 mtu "$HOSTS_MTU" || return 1
        fi
        ip -n "$ns" addr add "$HOSTS_NET.$((i + 1))/24" dev eth0 || return 1
        ip -n "$ns" link set eth0 up || return 1
        i=$((i + 1))
    done
}

hosts_exec() { # HOST cmd...
    h=$1
    shift
    ip netns exec "$HOSTS_PREFIX-$h" "$@"
}

hosts_addr() { # HOST
    echo "$HOSTS_NET.$(($1 + 1))"
}

# BIN cmd...: run cmd while an idle bypass job of BIN (bprun and tests/idle_cpu of that build,
# 2 ranks on hosts 0 and 1, block mode: no CPU) holds its XDP steering program on both ends
# of eth0 (the benchmarks' kernel TCP "while bypass runs")
hosts_xdp_held() {
    held_bin=$1
    shift
    BP_TRANSPORTS=xdp BP_XDP_IFACE=eth0 BP_PROGRESS=block "$held_bin/bprun" --timeout 60 -n 2 \
        sh -c 'exec ip netns exec "$0-$BPRUN_RANK" "$@"' "$HOSTS_PREFIX" \
        "$held_bin/../tests/idle_cpu" - > /dev/null 2>&1 &
    held_job=$!
    sleep 0.7 # initialised: its first wait lasts 2 s
    "$@"
    wait $held_job || true
}

hosts_xdp_clean() { # fails, saying where, when an XDP program is still attached on a host
    i=0
    while [ "$i" -lt "$HOSTS_N" ]; do
        if ip -n "$HOSTS_PREFIX-$i" link show eth0 | grep -q "prog/xdp"; then
            echo "FAIL: an XDP program is still attached on host $i"
            return 1
        fi
        i=$((i + 1))
    done
}
