#!/bin/sh
# two_hosts.sh BPRUN PROG NPER LOCAL REMOTE [ENV=VALUE...]: a job of 2*NPER ranks on two
# emulated hosts (network namespaces joined by a bridge, made here and removed on exit),
# ranks 0..NPER-1 on host 0, the others on host 1. The program must pass, and the debug log
# must show the transport LOCAL chosen inside a host (when NPER > 1) and REMOTE between
# hosts. Skips (exit 77) when not root or iproute2 is missing.
bprun=$1 prog=$2 nper=$3 local_tl=$4 remote_tl=$5
shift 5
[ "$(id -u)" -eq 0 ] || { echo "SKIP: needs root for network namespaces"; exit 77; }
command -v ip > /dev/null || { echo "SKIP: iproute2 (ip) is not installed"; exit 77; }
. "$(dirname "$0")/hosts.sh"
hosts_up 2 || { echo "FAIL: could not create the emulated hosts"; exit 1; }
out=$(env BP_TCP_IF=eth0 BP_LOG_LEVEL=debug "$@" "$bprun" --timeout 120 -n $((2 * nper)) \
      sh -c 'exec ip netns exec "$0-$(($BPRUN_RANK / $2))" "$1"' "$HOSTS_PREFIX" "$prog" \
      "$nper" 2>&1)
rc=$?
echo "$out" | grep -v " debug: " | tail -8
[ "$rc" -eq 0 ] || { echo "FAIL: the job failed ($rc)"; echo "$out" | grep -v libxdp | tail -30; exit 1; }
last=$((2 * nper - 1))
if [ "$nper" -gt 1 ]; then
    echo "$out" | grep -q "bypass\[0\] debug: rank 1 (host .*): through $local_tl" ||
        { echo "FAIL: rank 0 does not reach rank 1 (same host) through $local_tl"; exit 1; }
fi
echo "$out" | grep -q "bypass\[0\] debug: rank $last (host .*): through $remote_tl" ||
    { echo "FAIL: rank 0 does not reach rank $last (other host) through $remote_tl"; exit 1; }
echo "$out" | grep -q "bypass\[$last\] debug: rank 0 (host .*): through $remote_tl" ||
    { echo "FAIL: rank $last does not reach rank 0 (other host) through $remote_tl"; exit 1; }
# TWO_HOSTS_EXPECT: a pattern the debug log must show (e.g. streams over a bulk lane)
if [ -n "${TWO_HOSTS_EXPECT:-}" ] && ! echo "$out" | grep -q -e "$TWO_HOSTS_EXPECT"; then
    echo "FAIL: the log does not show: $TWO_HOSTS_EXPECT"; exit 1
fi
# nothing left on the interfaces: the hosts' XDP programs went with the job
hosts_xdp_clean || exit 1
echo "two_hosts passed"
