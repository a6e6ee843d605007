#!/bin/sh
# xdp_job.sh BPRUN NPER CHECK PROG [ARGS...]: a job of 2*NPER ranks on two emulated hosts
# (network namespaces joined by a bridge, made here and removed on exit; ranks 0..NPER-1 on
# host 0), between which the xdp transport must be used, then CHECK:
#   pass      the job succeeds; no XDP program is left on either host's interface
#   death     the job fails (a rank died) and the survivor reported the failure
#   fallback  AF_XDP is not allowed (the ranks run without CAP_NET_RAW, CAP_NET_ADMIN,
#             CAP_BPF, CAP_SYS_ADMIN): the job runs over tcp and the log says why
# XDP_JOB_EXPECT: a pattern the job's debug log must contain (pass only). XDP_JOB_AGAIN=N:
# N more jobs back to back before it.
# Rendezvous data stays on xdp (BP_RNDV_LANE=off: these tests are about the xdp transport's
# own protocol) unless BP_RNDV_LANE is set on this script.
# Extra environment: set it on this script (HOSTS_MTU: the interfaces' MTU). Skips (77) when not root or iproute2 is missing.
bprun=$1 nper=$2 check=$3 prog=$4
shift 4
[ "$(id -u)" -eq 0 ] || { echo "SKIP: needs root for network namespaces and AF_XDP"; exit 77; }
command -v ip > /dev/null || { echo "SKIP: iproute2 (ip) is not installed"; exit 77; }
. "$(dirname "$0")/hosts.sh"
hosts_up 2 || { echo "FAIL: could not create the emulated hosts"; exit 1; }
wrap=""
[ "$check" = fallback ] && wrap="setpriv --bounding-set=-net_raw,-net_admin,-bpf,-sys_admin --"
job() {
    out=$(env BP_TCP_IF=eth0 BP_LOG_LEVEL=debug BP_RNDV_LANE="${BP_RNDV_LANE:-off}" "$bprun" --timeout 200 -n $((2 * nper)) \
          sh -c 'p=$0 n=$1 w=$2; shift 2; exec ip netns exec "$p-$((BPRUN_RANK / n))" $w "$@"' \
          "$HOSTS_PREFIX" \
          "$nper" "$wrap" "$prog" "$@" 2>&1)
    rc=$?
}
# XDP_JOB_AGAIN=N: N jobs back to back on the same interfaces first, each must succeed (a
# job's sockets are released by the kernel a moment after it ends)
again=${XDP_JOB_AGAIN:-0}
while [ "$again" -gt 0 ]; do
    job "$@"
    [ "$rc" -eq 0 ] || { echo "FAIL: a job right after another failed ($rc)"; echo "$out" | grep -v -e " debug: " | tail -20; exit 1; }
    again=$((again - 1))
done
job "$@"
show() { echo "$out" | grep -v -e " debug: " | tail -${1:-12}; }
last=$((2 * nper - 1))
via() { echo "$out" | grep -q "bypass\[0\] debug: rank $last (host .*): through $1"; }
case "$check" in
pass)
    show
    [ "$rc" -eq 0 ] || { echo "FAIL: the job failed ($rc)"; echo "$out" | grep -v libxdp | tail -40; exit 1; }
    via xdp || { echo "FAIL: rank 0 does not reach rank $last through xdp"; exit 1; }
    if [ -n "${XDP_JOB_EXPECT:-}" ] && ! echo "$out" | grep -q -e "$XDP_JOB_EXPECT"; then
        echo "FAIL: the log does not show: $XDP_JOB_EXPECT"; exit 1
    fi
    hosts_xdp_clean || exit 1 ;;
death)
    show 20
    [ "$rc" -ne 0 ] || { echo "FAIL: bprun should report the dead rank"; exit 1; }
    echo "$out" | grep -q "peer failure reported" || { echo "FAIL: the survivor did not report"; exit 1; }
    via xdp || { echo "FAIL: the ranks were not connected through xdp"; exit 1; }
    if [ -n "${XDP_JOB_NEXT:-}" ]; then
        # the dead rank (rank 0, host 0) led its host: its steering program is still there
        hosts_exec 0 ip link show eth0 | grep -q "prog/xdp" ||
            { echo "FAIL: expected the dead rank's program on host 0"; exit 1; }
        out=$(env BP_TCP_IF=eth0 BP_LOG_LEVEL=info "$bprun" --timeout 100 -n 2 \
              sh -c 'exec ip netns exec "$0-$BPRUN_RANK" "$1"' "$HOSTS_PREFIX" "$XDP_JOB_NEXT" 2>&1)
        rc=$?
        show
        [ "$rc" -eq 0 ] || { echo "FAIL: the next job failed ($rc)"; exit 1; }
        echo "$out" | grep -q "removing a stale steering program" ||
            { echo "FAIL: the next job did not replace the stale program"; exit 1; }
        hosts_xdp_clean || exit 1
    fi ;;
fallback)
    show
    [ "$rc" -eq 0 ] || { echo "FAIL: the job failed ($rc)"; exit 1; }
    via tcp || { echo "FAIL: rank 0 does not reach rank $last through tcp"; exit 1; }
    echo "$out" | grep -q "transport xdp is not usable here: cannot create an AF_XDP socket" ||
        { echo "FAIL: the log does not say why xdp is not used"; exit 1; } ;;
*)
    echo "FAIL: unknown check $check"; exit 1 ;;
esac
echo "xdp_job $check passed"
