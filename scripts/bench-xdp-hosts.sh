#!/usr/bin/env bash
# bench-xdp-hosts.sh [RUNS]: between two emulated hosts (network namespaces joined by one
# veth pair, made here and removed on exit; our own test hosts; MTU=4000 in the
# environment sets the pair's MTU, default 1500), one rank
# per host, pinned to the two cores, interleaved RUNS times (default 5), medians:
#   base       the cache-line ping-pong between the two cores (the hardware's floor)
#   raw        a raw AF_XDP frame ping-pong (bp-bench base xdp): the floor under xdp
#   xdp        bypass over AF_XDP (BP_TRANSPORTS=xdp,tcp: rendezvous data over a tcp bulk
#              lane, src/core/lane.c, as a job gets it by default)
#   bp-tcp     bypass over its tcp transport
#   tcp-spin   the kernel's TCP, busy-polled, over the same veth pair (bp-bench's socket
#              backend, its second process moved into the other namespace)
#   tcp        the same, blocking
#   ompi-tcp   Open MPI's TCP BTL (--mca pml ob1 --mca btl tcp,self) over the same veth pair
#   mpich      MPICH (Debian's ch4:ucx) over UCX's tcp transport, the same way
#   xdp-own    bandwidth only: bypass over AF_XDP alone (BP_TRANSPORTS=xdp: rendezvous data
#              in xdp's own frames)
#   spin+xdp   bandwidth only: tcp-spin while a bypass job holds its steering program on
#              both ends of the pair (an idle job, BP_PROGRESS=block: no CPU), i.e. the
#              kernel's TCP over the veth pair as it is while bypass runs over it
# 8 B latency (us) and 1 MiB bandwidth (MB/s). The peers run under their own launchers,
# started in host 0's namespace with rank 1 moved into host 1 (tests/net/mpi_hosts.sh says
# how, and the ctest mpi_hosts_openmpi / mpi_hosts_mpich checks that their traffic crosses
# the veth pair); a peer that is not installed, or not built (build/bin/bp-bench-openmpi,
# -mpich), or whose job fails shows "-" and a line on stderr. CPUS (default 0,1) pins
# their two ranks (bprun pins bypass's). Needs root. Run it alone: on two cores any other
# load spoils the figures. SMOKE=1: a few iterations of each, to check that the script
# works, not figures.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
runs=${1:-5}
bin=${BIN:-build/bin}
cpus=${CPUS:-0,1}
if [[ -n ${SMOKE:-} ]]; then
    lat_it=100 bw_it=1 base_it=(--iters 100)
else
    lat_it=20000 bw_it=20 base_it=()
fi
. tests/net/hosts.sh
. tests/net/mpi_hosts.sh
MPI_HOSTS_RANK=tests/net/mpi_rank.sh
HOSTS_DIRECT=1 HOSTS_MTU=${MTU:-1500} hosts_up 2
addr0=$(hosts_addr 0)
errs=$(mktemp)
# hosts_down's last step (the bridge, which a direct pair has not) fails: not the script's
trap 'rm -f "$errs"; hosts_down || true' EXIT
trap 'exit 1' INT TERM
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
held() { hosts_xdp_held "$bin" "$@"; } # command... while bypass holds xdp
declare -A peer_off
for kind in openmpi mpich; do
    # not installed or not built: say so once, and leave its columns at "-"
    mpi_hosts_check "$kind" "$bin/bp-bench-$kind" 2> "$errs" ||
        { peer_off[$kind]=1; echo "bench-xdp-hosts: $(tail -1 "$errs")" >&2; }
done
peer() { # openmpi|mpich bench args...: the peer MPI, rank r on host r; nothing when it fails
    local kind=$1
    shift
    [[ -z ${peer_off[$kind]:-} ]] || return 0
    mpi_hosts_job "$kind" "$bin/bp-bench-$kind" 120 "$@" --cpus "$cpus" --csv 2> "$errs" ||
        echo "bench-xdp-hosts: $(tail -1 "$errs")" >&2
}
median() { sort -g | awk '{ v[NR] = $1 } END { if (NR == 0) print "-"; else if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
declare -A L B
lkeys="base raw xdp bptcp spin tcp ompi mpich"
bkeys="xdp bptcp spin ompi mpich xdpown spinx"
last() { local v=($1); if ((${#v[@]})); then echo "${v[-1]}"; else echo -; fi; }
med() { tr ' ' '\n' <<< "$1" | { grep -v '^$' || true; } | median; }
row() { # label, then one value per latency column, then one per bandwidth column
    printf '%-7s' "$1"; shift
    printf ' %9s' "${@:1:8}"; printf ' |'
    printf ' %11s' "${@:9:7}"; printf '\n'
}
row run base raw xdp bp-tcp tcp-spin tcp ompi-tcp mpich \
    "xdp MB/s" "bp-tcp MB/s" "spin MB/s" "ompi MB/s" "mpich MB/s" "xdp-own" "spin+xdp"
for ((i = 0; i < runs; i++)); do
    b=$(BPBENCH_XDP_NETNS=/var/run/netns/$HOSTS_PREFIX-1 BP_XDP_IFACE=eth0 \
        ip netns exec "$HOSTS_PREFIX-0" "$bin/bp-bench" base xdp --sizes 4096 "${base_it[@]}" --csv 2> /dev/null)
    L[base]+="$(awk -F, '$1 == "pingpong_us" { print $3 }' <<< "$b") "
    L[raw]+="$(awk -F, '$1 == "xdp_pingpong_us" { print $3 }' <<< "$b") "
    L[xdp]+="$(job xdp,tcp lat --sizes 8 --iters $lat_it | col 8) "
    L[bptcp]+="$(job tcp lat --sizes 8 --iters $lat_it | col 8) "
    L[spin]+="$(kern tcp-spin lat --sizes 8 --iters $lat_it | col 8) "
    L[tcp]+="$(kern tcp lat --sizes 8 --iters $lat_it | col 8) "
    L[ompi]+="$(peer openmpi lat --sizes 8 --iters $lat_it | col 8) "
    L[mpich]+="$(peer mpich lat --sizes 8 --iters $lat_it | col 8) "
    B[xdp]+="$(job xdp,tcp bw --sizes 1048576 --iters $bw_it | col 1048576) "
    B[bptcp]+="$(job tcp bw --sizes 1048576 --iters $bw_it | col 1048576) "
    B[spin]+="$(kern tcp-spin bw --sizes 1048576 --iters $bw_it | col 1048576) "
    B[ompi]+="$(peer openmpi bw --sizes 1048576 --iters $bw_it | col 1048576) "
    B[mpich]+="$(peer mpich bw --sizes 1048576 --iters $bw_it | col 1048576) "
    B[xdpown]+="$(job xdp bw --sizes 1048576 --iters $bw_it | col 1048576) "
    B[spinx]+="$(held kern tcp-spin bw --sizes 1048576 --iters $bw_it | col 1048576) "
    row "$i" $(for k in $lkeys; do last "${L[$k]}"; done) \
        $(for k in $bkeys; do last "${B[$k]}"; done)
done
row median $(for k in $lkeys; do med "${L[$k]}"; done) \
    $(for k in $bkeys; do med "${B[$k]}"; done)
# a missing figure ("-") makes its ratio "-" rather than a division by zero
awk -v x="$(med "${L[xdp]}")" -v r="$(med "${L[raw]}")" -v s="$(med "${L[spin]}")" \
    -v o="$(med "${L[ompi]}")" -v bx="$(med "${B[xdp]}")" -v bs="$(med "${B[spin]}")" \
    -v bo="$(med "${B[xdpown]}")" -v bh="$(med "${B[spinx]}")" '
    function ratio(a, b) { return (a == "-" || b == "-" || b + 0 == 0) ? "-" : sprintf("%.2f", a / b) }
    BEGIN {
    printf "ratios: xdp/raw %s, xdp/tcp-spin %s, xdp/ompi-tcp %s (latency); xdp/tcp-spin %s, xdp-own/tcp-spin %s, xdp/spin+xdp %s (1 MiB bandwidth)\n",
           ratio(x, r), ratio(x, s), ratio(x, o), ratio(bx, bs), ratio(bo, bs), ratio(bx, bh) }'
