# mpi_hosts.sh - Open MPI's and MPICH's own launchers running a 2-rank job across two
# emulated hosts (hosts.sh, HOSTS_DIRECT=1: namespaces joined by one veth pair), rank r in
# host r, their traffic over the veth pair. Sourced after hosts.sh and `hosts_up 2`; set
# MPI_HOSTS_RANK to the path of mpi_rank.sh first (the file beside this one).
#
#   mpi_hosts_job openmpi build/bin/bp-bench-openmpi 60 lat --sizes 8 --iters 100
#
# Neither launcher knows about namespaces, so each runs inside host 0's namespace and starts
# its ranks through mpi_rank.sh, which moves rank r into host r before it becomes the
# program. What each one needs beyond that (found by trying; the test mpi_hosts_test.sh
# checks it with the veth pair's counters):
#   Open MPI 4.1 (PMIx 4): the rank's PMIx client must reach mpirun's PMIx server, which
#     listens on loopback only and announces 127.0.0.1 in PMIX_SERVER_URI*: a namespace
#     does not share loopback, so rank 1 fails in MPI_Init ("Unreachable"). With
#     PMIX_MCA_ptl_tcp_remote_connections=1 AND PMIX_MCA_ptl_tcp_if_include=eth0 (either
#     alone is not enough) the server listens on host 0's veth address and announces it.
#     Then --mca pml ob1 --mca btl tcp,self (no shared memory: both ranks have the same
#     hostname, and vader would join them through /dev/shm) and btl_tcp_if_include=eth0.
#     --bind-to none: bp-bench pins its ranks itself (--cpus).
#   MPICH 4.0 (Debian: ch4:ucx, hydra): hydra's PMI runs over a socket pair the rank
#     inherits (PMI_FD), which crosses namespaces as it is, so nothing to do there. But UCX
#     sees the same hostname on both sides and moves the data through shared memory (the
#     veth counters stay still): UCX_TLS=tcp,self and UCX_NET_DEVICES=eth0 force its TCP
#     transport over the veth pair; MPIR_CVAR_NOLOCAL=1 tells MPICH the ranks are on
#     different nodes. UCX also skips an interface that is not yet running (its operstate
#     follows "ip link set up" by up to a second), and then finds its peer unreachable in
#     MPI_Init: mpi_hosts_job waits for both ends of the pair first.
# A launcher or program that is missing: a line on stderr and status 77. A job that fails or
# outlives SECONDS: a line on stderr and its status (124 for the timeout).

mpi_hosts_link_wait() { # until both ends of the veth pair are running (at most 5 s)
    mh_i=0
    while [ "$mh_i" -lt 50 ]; do
        if [ "$(hosts_exec 0 cat /sys/class/net/eth0/operstate)" = up ] &&
           [ "$(hosts_exec 1 cat /sys/class/net/eth0/operstate)" = up ]; then
            return 0
        fi
        sleep 0.1
        mh_i=$((mh_i + 1))
    done
    echo "mpi_hosts: the veth pair between the hosts is not up after 5 s" >&2
    return 1
}

mpi_hosts_check() { # openmpi|mpich PROGRAM: 0 when both the launcher and PROGRAM are there
    case $1 in
    openmpi) mh_launcher=mpirun.openmpi ;;
    mpich) mh_launcher=mpiexec.mpich ;;
    *)
        echo "mpi_hosts: unknown MPI '$1' (openmpi or mpich)" >&2
        return 2
        ;;
    esac
    if [ -z "${MPI_HOSTS_RANK:-}" ] || [ ! -r "$MPI_HOSTS_RANK" ]; then
        echo "mpi_hosts: MPI_HOSTS_RANK must name tests/net/mpi_rank.sh" >&2
        return 2
    fi
    if ! command -v "$mh_launcher" > /dev/null; then
        echo "mpi_hosts: $1: skipped: $mh_launcher is not installed" \
             "(scripts/setup.sh --peers installs it)" >&2
        return 77
    fi
    if [ ! -x "$2" ]; then
        echo "mpi_hosts: $1: skipped: $2 was not built (the build found no" \
             "mpicc.$1; install it, then re-run cmake)" >&2
        return 77
    fi
}

mpi_hosts_job() { # openmpi|mpich PROGRAM SECONDS ARGS...
    mh_kind=$1 mh_prog=$2 mh_secs=$3
    shift 3
    mpi_hosts_check "$mh_kind" "$mh_prog" || return
    mpi_hosts_link_wait || return 1
    if [ "$mh_kind" = openmpi ]; then
        mh_root=
        [ "$(id -u)" -ne 0 ] || mh_root=--allow-run-as-root
        PMIX_MCA_ptl_tcp_remote_connections=1 PMIX_MCA_ptl_tcp_if_include=eth0 \
            timeout -k 5 "$mh_secs" ip netns exec "$HOSTS_PREFIX-0" \
            mpirun.openmpi $mh_root --bind-to none --mca pml ob1 --mca btl tcp,self \
            --mca btl_tcp_if_include eth0 -np 2 \
            sh "$MPI_HOSTS_RANK" "$HOSTS_PREFIX" "$mh_prog" "$@"
    else
        UCX_TLS=tcp,self UCX_NET_DEVICES=eth0 MPIR_CVAR_NOLOCAL=1 \
            timeout -k 5 "$mh_secs" ip netns exec "$HOSTS_PREFIX-0" \
            mpiexec.mpich -n 2 sh "$MPI_HOSTS_RANK" "$HOSTS_PREFIX" "$mh_prog" "$@"
    fi
    mh_rc=$?
    if [ "$mh_rc" -eq 124 ]; then
        echo "mpi_hosts: $mh_kind: the job did not finish in $mh_secs s" >&2
    elif [ "$mh_rc" -ne 0 ]; then
        echo "mpi_hosts: $mh_kind: the job failed (status $mh_rc)" >&2
    fi
    return "$mh_rc"
}
