/* scale_mpi.c - scale_native.c over MPI (built by scripts/bench-scale.sh with mpicc.*). */
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    int rank, size, hold_ms = argc > 1 ? atoi(argv[1]) : 0;

    MPI_Init(&argc, &argv);
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    for (int d = 1; d < size; d++) {
        int to = (rank + d) % size, from = (rank - d + size) % size, out = rank, in = -1;
        MPI_Request req;
        MPI_Isend(&out, 1, MPI_INT, to, 1, MPI_COMM_WORLD, &req);
        MPI_Recv(&in, 1, MPI_INT, from, 1, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
        MPI_Wait(&req, MPI_STATUS_IGNORE);
        if (in != from) {
            fprintf(stderr, "rank %d: exchange failed\n", rank);
            MPI_Abort(MPI_COMM_WORLD, 1);
        }
    }
    MPI_Barrier(MPI_COMM_WORLD);
    if (rank == 0) {
        printf("exchanged: %d ranks, every pair\n", size);
        fflush(stdout);
    }
    if (hold_ms > 0) {
        usleep((useconds_t)hold_ms * 1000);
    }
    MPI_Barrier(MPI_COMM_WORLD);
    MPI_Finalize();
    return 0;
}
