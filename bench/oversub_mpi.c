/*
 * oversub_mpi.c - oversub_native.c over MPI, for Open MPI and MPICH (built by
 * scripts/bench-oversub.sh with mpicc.openmpi and mpicc.mpich): the same benchmarks, the
 * same iteration choice, the same output (oversub_common.h); this file gives them
 * MPI_Barrier, MPI_Allreduce, MPI_Bcast, MPI_Send and MPI_Recv on MPI_COMM_WORLD, or on a
 * duplicate of it with OVERSUB_COMM=dup (as a library that makes its own communicator), or
 * with OVERSUB_COMM=half on the half of the ranks of this one's parity (a sub-communicator,
 * as a row or column of a grid; both halves run at once, and rank 0's half reports).
 *
 *   mpirun.openmpi --oversubscribe -np 8 ./oversub_openmpi [TARGET_S] [idle]
 */
#include <mpi.h>
#include <stdlib.h>
#include <string.h>

#include "oversub_common.h"

static oversub_ops_t ops;
static MPI_Comm comm; /* MPI_COMM_WORLD, or OVERSUB_COMM's */

static void check(int st, const char *what)
{
    if (st != MPI_SUCCESS) {
        fprintf(stderr, "rank %d: %s failed (%d)\n", ops.rank, what, st);
        MPI_Abort(MPI_COMM_WORLD, 1);
    }
}

static void mpi_barrier(void)
{
    check(MPI_Barrier(comm), "MPI_Barrier");
}

static void mpi_allreduce8(void)
{
    double in = ops.rank, out = 0;

    check(MPI_Allreduce(&in, &out, 1, MPI_DOUBLE, MPI_SUM, comm), "MPI_Allreduce");
}

static void mpi_bcast_u64(uint64_t *v)
{
    check(MPI_Bcast(v, sizeof(*v), MPI_BYTE, 0, comm), "MPI_Bcast");
}

static void mpi_send(const void *buf, size_t len, int dest, int tag)
{
    /* MPI-2 headers lack const */
    check(MPI_Send((void *)(uintptr_t)buf, (int)len, MPI_BYTE, dest, tag, comm),
          "MPI_Send");
}

static void mpi_recv(void *buf, size_t len, int src, int tag)
{
    check(MPI_Recv(buf, (int)len, MPI_BYTE, src, tag, comm, MPI_STATUS_IGNORE),
          "MPI_Recv");
}

int main(int argc, char **argv)
{
    double target_s = argc > 1 ? atof(argv[1]) : 1.0;
    int idle_only = argc > 2 && strcmp(argv[2], "idle") == 0;

    const char *which = getenv("OVERSUB_COMM");

    MPI_Init(&argc, &argv);
    comm = MPI_COMM_WORLD;
    if (which != NULL && strcmp(which, "dup") == 0) {
        check(MPI_Comm_dup(MPI_COMM_WORLD, &comm), "MPI_Comm_dup");
    } else if (which != NULL && strcmp(which, "half") == 0) {
        int wrank;
        MPI_Comm_rank(MPI_COMM_WORLD, &wrank);
        check(MPI_Comm_split(MPI_COMM_WORLD, wrank % 2, wrank, &comm), "MPI_Comm_split");
        if (wrank % 2 == 1 && freopen("/dev/null", "w", stdout) == NULL) {
            return 1; /* the other half's figures: one report */
        }
    }
    MPI_Comm_rank(comm, &ops.rank);
    MPI_Comm_size(comm, &ops.size);
    if (ops.size < 2) {
        fprintf(stderr, "oversub_mpi: run it with at least 2 ranks\n");
        return 1;
    }
    ops.barrier = mpi_barrier;
    ops.allreduce8 = mpi_allreduce8;
    ops.bcast_u64 = mpi_bcast_u64;
    ops.send = mpi_send;
    ops.recv = mpi_recv;
    ops.any_source = MPI_ANY_SOURCE;
    oversub_run(&ops, target_s, idle_only);
    if (comm != MPI_COMM_WORLD) {
        MPI_Comm_free(&comm);
    }
    MPI_Finalize();
    return 0;
}
