/*
 * A peer that dies surfaces as an error, never a hang: rank 0 exits abruptly; rank 1
 * (MPI_ERRORS_RETURN, ignoring the launcher's SIGTERM for this test) gets
 * MPI_ERR_PROC_FAILED from a receive, a synchronous send, a large send and a collective
 * that involve rank 0. Run by mpi_peer_death.sh with 2 ranks.
 */
#include <signal.h>
#include <unistd.h>

#include "mtest.h"

int main(int argc, char **argv)
{
    static double big[1 << 17];
    int v = 0, cls;

    mtest_init(&argc, &argv);
    if (mtest_rank == 1) {
        signal(SIGTERM, SIG_IGN);
    }
    MT_OK(MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN));
    MT_OK(MPI_Barrier(MPI_COMM_WORLD));
    if (mtest_rank == 0) {
        usleep(100000);
        _exit(3); /* dies without MPI_Finalize */
    }
    if (mtest_rank == 1) {
        MPI_Request r;
        MT_EQ(MPI_Recv(&v, 1, MPI_INT, 0, 1, MPI_COMM_WORLD, MPI_STATUS_IGNORE),
              MPI_ERR_PROC_FAILED);
        MT_EQ(MPI_Ssend(&v, 1, MPI_INT, 0, 2, MPI_COMM_WORLD), MPI_ERR_PROC_FAILED);
        /* the send may fail at once or in the wait; it must not hang either way */
        if ((v = MPI_Isend(big, 1 << 17, MPI_DOUBLE, 0, 3, MPI_COMM_WORLD, &r)) == MPI_SUCCESS) {
            v = MPI_Wait(&r, MPI_STATUS_IGNORE);
        }
        MT_EQ(v, MPI_ERR_PROC_FAILED);
        MT_EQ(MPI_Bcast(&v, 1, MPI_INT, 0, MPI_COMM_WORLD), MPI_ERR_PROC_FAILED);
        MT_OK(MPI_Error_class(MPI_ERR_PROC_FAILED, &cls));
        MT_EQ(cls, MPI_ERR_PROC_FAILED);
        printf("rank 1: peer failure reported\n");
        fflush(stdout);
        MPI_Finalize(); /* returns an error (rank 0 never arrives), must not hang */
        return 0;
    }
    return 0;
}
