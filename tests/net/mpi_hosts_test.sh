#!/bin/sh
# mpi_hosts_test.sh openmpi|mpich PROGRAM: the peers' TCP paths between two emulated hosts
# (the Open MPI / MPICH columns of scripts/bench-xdp-hosts.sh). PROGRAM (bp-bench-openmpi
# or bp-bench-mpich) runs a tiny ping-pong and a tiny bandwidth run through mpi_hosts.sh,
# rank r in host r. Passes when both runs print their figure, each rank ran in its own
# host's network namespace, and the veth pair's counters show the traffic went over it:
#   lat: at least ITERS packets each way (a ping-pong cannot coalesce its messages);
#   bw:  at least 64 x ITERS x 1 MiB bytes out of host 0 and into host 1.
# Had the ranks found each other through loopback or shared memory, the counters would
# stay still. Skips (exit 77) when not root, or iproute2, the launcher or PROGRAM is missing.
kind=$1 prog=$2
dir=$(dirname "$0")
[ "$(id -u)" -eq 0 ] || { echo "SKIP: needs root for network namespaces"; exit 77; }
command -v ip > /dev/null || { echo "SKIP: iproute2 (ip) is not installed"; exit 77; }
. "$dir/hosts.sh"
. "$dir/mpi_hosts.sh"
MPI_HOSTS_RANK=$dir/mpi_rank.sh
HOSTS_DIRECT=1 hosts_up 2 || { echo "FAIL: could not create the emulated hosts"; exit 1; }
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"; hosts_down' EXIT INT TERM
MPI_HOSTS_NSLOG=$tmp/ns
export MPI_HOSTS_NSLOG

stat() { # HOST COUNTER (tx_bytes, rx_packets, ...) of the host's end of the veth pair
    hosts_exec "$1" cat "/sys/class/net/eth0/statistics/$2"
}
snap() { # the four counters this test reads, host 0's then host 1's
    for h in 0 1; do
        for c in tx_packets rx_packets tx_bytes rx_bytes; do
            printf '%s ' "$(stat "$h" "$c")"
        done
    done
}
grew() { # BEFORE AFTER FIELD (1..8): how much that counter grew
    echo "$1 $2" | awk -v f="$3" '{ print $(f + 8) - $f }'
}
run() { # MODE ARGS...: bp-bench MODE ARGS, its CSV in $tmp/MODE.csv; fails the test when it fails
    mode=$1
    shift
    rm -f "$tmp"/ns.*
    mpi_hosts_job "$kind" "$prog" 60 "$mode" "$@" --csv --cpus 0,1 > "$tmp/$mode.csv" 2> "$tmp/$mode.err"
    rc=$?
    if [ "$rc" -eq 77 ]; then
        echo "SKIP: $(tail -1 "$tmp/$mode.err")"
        exit 77
    fi
    [ "$rc" -eq 0 ] || { echo "FAIL: $kind $mode ($rc)"; tail -20 "$tmp/$mode.err"; exit 1; }
    cat "$tmp/$mode.csv"
    for r in 0 1; do
        want=$(hosts_exec "$r" readlink /proc/self/ns/net)
        got=$(cat "$tmp/ns.$r" 2> /dev/null)
        [ -n "$want" ] && [ "$got" = "$want" ] ||
            { echo "FAIL: $mode: rank $r ran in '$got', not in host $r ($want)"; exit 1; }
    done
}

iters=200
before=$(snap)
run lat --sizes 8 --iters $iters --warmup 10
after=$(snap)
grep -q '^8,[0-9]' "$tmp/lat.csv" || { echo "FAIL: lat printed no 8 B figure"; exit 1; }
for f in 1 5; do # the tx packets of host 0, then of host 1
    n=$(grew "$before" "$after" $f)
    echo "lat: host $(( (f - 1) / 4 )) sent $n packets"
    [ "$n" -ge "$iters" ] ||
        { echo "FAIL: lat: fewer than $iters packets over the veth pair"; exit 1; }
done

iters=2
bytes=$((64 * iters * 1048576))
before=$(snap)
run bw --sizes 1048576 --iters $iters --warmup 0
after=$(snap)
grep -q '^1048576,[0-9]' "$tmp/bw.csv" || { echo "FAIL: bw printed no 1 MiB figure"; exit 1; }
out0=$(grew "$before" "$after" 3) in1=$(grew "$before" "$after" 8)
echo "bw: host 0 sent $out0 bytes, host 1 received $in1 (the program sent $bytes)"
[ "$out0" -ge "$bytes" ] && [ "$in1" -ge "$bytes" ] ||
    { echo "FAIL: bw: fewer than $bytes bytes over the veth pair"; exit 1; }
echo "mpi_hosts $kind passed"
