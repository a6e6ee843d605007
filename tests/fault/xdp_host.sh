#!/usr/bin/env bash
# xdp_host.sh BPRUN PROG MODE: the two sides of the xdp transport's "is the peer alive?"
# (src/transport/xdp/xdp.h): a rank that says nothing is alive as long as its host's XDP
# program answers probes for it, and a host that answers nothing at all is given up after
# BPI_XDP_GIVEUP_NS (1 s). Two emulated hosts (tests/net/hosts.sh), one rank on each, xdp
# between them; PROG is fault_kill.c.
#
#   busy      rank 1 makes no library call for 3 s (three give-up times: fault_kill's
#             stall pattern) while rank 0 sends it 100 KB, and is stopped (SIGSTOP) for 1.5 s
#             of that: rank 0 must wait for it, not fail it. Both succeed, bprun exits 0.
#   hostdown  while both run a ping-pong, rank 1's host leaves the network (its interface
#             set down: nothing in or out, its processes alive): each rank must fail the
#             other with BP_ERR_PEER_FAILED within FAULT_BOUND_MS (2000) of that, by the
#             give-up (the log says how many probes went unanswered), and finalize.
#
# Prints the detection times. Needs root (skips with 77 otherwise).
set -uo pipefail

bprun=$1 prog=$2 mode=$3
bound_ms=${FAULT_BOUND_MS:-2000}
[ "$(id -u)" -eq 0 ] || { echo "SKIP: needs root for network namespaces and AF_XDP"; exit 77; }
command -v ip >/dev/null || { echo "SKIP: iproute2 (ip) is not installed"; exit 77; }
. "$(dirname "${BASH_SOURCE[0]}")/../net/hosts.sh"
hosts_up 2 || { hosts_down; echo "FAIL: could not create the emulated hosts"; exit 1; }
tmp=$(mktemp -d)
trap 'hosts_down; rm -rf "$tmp"' EXIT

fail() {
    echo "FAIL ($mode): $*"
    echo "--- stdout"; cat "$tmp/out"; echo "--- stderr"; grep -v -e " debug: " "$tmp/err" | tail -40
    keep=${FAULT_KEEP_LOG:-$PWD/xdp_host_$mode.err}
    cp "$tmp/err" "$keep" && echo "--- the whole stderr: $keep"
    exit 1
}

case "$mode" in
busy) pattern=stall ;;
hostdown) pattern=pingpong ;;
*) echo "usage: xdp_host.sh BPRUN PROG busy|hostdown"; exit 2 ;;
esac
env BP_TRANSPORTS=shm,xdp BP_TCP_IF=eth0 BP_LOG_LEVEL=debug BP_PROGRESS=adaptive \
    FAULT_VICTIM=1 FAULT_STALL_MS=3000 \
    "$bprun" --timeout 60 -n 2 \
    sh -c 'exec ip netns exec "$0-$BPRUN_RANK" "$1" "$2"' "$HOSTS_PREFIX" "$prog" "$pattern" \
    >"$tmp/out" 2>"$tmp/err" &
bp=$!

for _ in $(seq 1 300); do # up to 30 s for both ranks to be ready
    [ "$(grep -c ' ready$' "$tmp/out")" -ge 2 ] && break
    kill -0 $bp 2>/dev/null || break
    sleep 0.1
done
pid=$(sed -n 's/^fault: rank 1 pid \([0-9]*\) .*/\1/p' "$tmp/out")
[ -n "$pid" ] || { wait $bp; fail "rank 1 never became ready"; }
if [ "$mode" = busy ]; then
    for _ in $(seq 1 100); do
        grep -q "^fault: rank 1 stalls" "$tmp/out" && break
        sleep 0.01
    done
    sleep 0.5
    kill -STOP "$pid" || fail "could not stop rank 1"
    sleep 1.5
    kill -CONT "$pid"
else
    sleep 0.5
    t0=$(date +%s%N)
    ip -n "$HOSTS_PREFIX-1" link set eth0 down || fail "could not take host 1's interface down"
fi
wait $bp
rc=$?

grep -q "bypass\[0\] debug: rank 1 (host .*): through xdp" "$tmp/err" ||
    fail "rank 0 does not reach rank 1 through xdp"
for r in 0 1; do
    line=$(grep "^fault: rank $r got " "$tmp/out")
    [ -n "$line" ] || fail "rank $r never reported"
    grep -q "^fault: rank $r finalize: " "$tmp/out" || fail "rank $r: bp_finalize did not return"
    if [ "$mode" = busy ]; then
        echo "$line" | grep -q " got success " || fail "rank $r: $line"
    else
        echo "$line" | grep -q " got BP_ERR_PEER_FAILED " || fail "rank $r: $line"
        ms=$(((${line##* at } - t0) / 1000000))
        [ "$ms" -le "$bound_ms" ] || fail "rank $r took $ms ms (bound $bound_ms ms)"
        echo "rank $r failed its peer $ms ms after host 1 left the network"
        grep -q "bypass\[$r\] error: xdp: rank $((1 - r)) is unreachable: its host answered none of" \
            "$tmp/err" || fail "rank $r did not give its peer up for silence"
    fi
done
if [ "$mode" = busy ]; then
    [ "$rc" -eq 0 ] || fail "bprun exited $rc"
    grep -q "is unreachable" "$tmp/err" && fail "a live rank was taken for dead"
    # rank 0 was kept waiting by its probes' answers, not by luck
    stats=$(grep -o "bypass\[0\] debug: xdp: frames sent .*" "$tmp/err" | grep -o "probes sent .*")
    echo "$stats" | grep -q "answered ALIVE [1-9]" || fail "rank 0's probes were not answered ($stats)"
    echo "rank 1 was busy 3 s (stopped 1.5 s of them) and rank 0 waited for it: $stats"
fi
echo "xdp_host $mode: passed"
