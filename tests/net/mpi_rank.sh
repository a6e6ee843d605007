#!/bin/sh
# mpi_rank.sh PREFIX PROG [ARGS...]: what mpirun.openmpi or mpiexec.mpich starts for each
# rank (both launchers run inside host 0's namespace, see mpi_hosts.sh): it moves rank R
# into the namespace PREFIX-R, then becomes PROG. The rank number comes from the launcher's
# environment (OMPI_COMM_WORLD_RANK, or PMI_RANK under hydra), so one command line serves
# every rank. With MPI_HOSTS_NSLOG set, the rank's process writes the network namespace it
# runs in to $MPI_HOSTS_NSLOG.R just before it becomes PROG: what the tests check.
prefix=$1
shift
rank=${OMPI_COMM_WORLD_RANK:-${PMI_RANK:-}}
if [ -z "$rank" ]; then
    echo "mpi_rank.sh: neither OMPI_COMM_WORLD_RANK nor PMI_RANK is set" >&2
    exit 1
fi
# the inner sh is the rank's own process (ip netns exec execs it, and it execs PROG), so the
# namespace it records is the one PROG runs in
exec ip netns exec "$prefix-$rank" sh -c \
    'if [ -n "${MPI_HOSTS_NSLOG:-}" ]; then
         readlink /proc/self/ns/net > "$MPI_HOSTS_NSLOG.$0" || exit 1
     fi
     exec "$@"' "$rank" "$@"
