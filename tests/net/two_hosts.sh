#!/bin/sh
# two_hosts.sh BPRUN PROG [ENV=VALUE...]: a job of 4 ranks on two emulated hosts (network
# namespaces joined by a bridge, made here and removed on exit), ranks 0 and 1 on host 0,
# 2 and 3 on host 1. The program must pass; the debug log must show shm chosen inside a host
# and tcp between hosts (or tcp everywhere with BP_TRANSPORTS=tcp).
# Skips (exit 77) when not root or iproute2 is missing.
bprun=$1 prog=$2
shift 2
[ "$(id -u)" -eq 0 ] || { echo "SKIP: needs root for network namespaces"; exit 77; }
command -v ip > /dev/null || { echo "SKIP: iproute2 (ip) is not installed"; exit 77; }
. "$(dirname "$0")/hosts.sh"
hosts_up 2 || { echo "FAIL: could not create the emulated hosts"; exit 1; }
out=$(env BP_TCP_IF=eth0 BP_LOG_LEVEL=debug "$@" "$bprun" --timeout 120 -n 4 \
      sh -c 'exec ip netns exec "$0-$((BPRUN_RANK / 2))" "$1"' "$HOSTS_PREFIX" "$prog" 2>&1)
rc=$?
echo "$out" | grep -v " debug: " | tail -8
[ "$rc" -eq 0 ] || { echo "FAIL: the job failed ($rc)"; echo "$out" | tail -30; exit 1; }
want_01=shm
case " $* " in *BP_TRANSPORTS=tcp*) want_01=tcp ;; esac
echo "$out" | grep -q "bypass\[0\] debug: rank 1 (host .*): through $want_01" ||
    { echo "FAIL: rank 0 does not reach rank 1 (same host) through $want_01"; exit 1; }
echo "$out" | grep -q "bypass\[0\] debug: rank 2 (host .*): through tcp" ||
    { echo "FAIL: rank 0 does not reach rank 2 (other host) through tcp"; exit 1; }
echo "$out" | grep -q "bypass\[3\] debug: rank 2 (host .*): through $want_01" ||
    { echo "FAIL: rank 3 does not reach rank 2 (same host) through $want_01"; exit 1; }
echo "two_hosts passed"
