/*
 * The default error handler is MPI_ERRORS_ARE_FATAL: a send to a rank that does not exist
 * (or, with the argument "ibcast", an MPI_Ibcast from a root that does not exist) ends the
 * job with a message that names the call and the error. Rank 0 does it; the others wait in
 * a receive that never completes (the launcher stops them). Run by mpi_fatal.sh, which
 * checks the exit status and the message.
 */
#include <string.h>

#include "mtest.h"

int main(int argc, char **argv)
{
    int v = 0;

    mtest_init(&argc, &argv);
    if (mtest_rank == 0) {
        if (argc > 1 && strcmp(argv[1], "ibcast") == 0) {
            MPI_Request r;
            MPI_Ibcast(&v, 1, MPI_INT, mtest_size + 10, MPI_COMM_WORLD, &r);
        } else {
            MPI_Send(&v, 1, MPI_INT, mtest_size + 10, 0, MPI_COMM_WORLD);
        }
        printf("rank 0: still running after a fatal error\n");
        return 0;
    }
    MPI_Recv(&v, 1, MPI_INT, 0, 99, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
    printf("rank %d: received a message nobody sent\n", mtest_rank);
    return 0;
}
