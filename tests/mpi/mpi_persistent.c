/*
 * Persistent requests: Send_init / Recv_init started many times with Start and Startall
 * around a ring, the buffers reread at every start; an inactive persistent request
 * completes at once in Wait/Test; Request_free of an inactive one; Request_free of an
 * active nonblocking send (the message still arrives); Cancel of a receive nothing matches
 * (Test_cancelled says so, and a later message goes to the next receive); Sendrecv_replace
 * around the ring with a noncontiguous type.
 */
#include "mtest.h"

int main(int argc, char **argv)
{
    int rank, n, right, left, sendv, recvv;
    MPI_Request reqs[2];
    MPI_Status st;

    mtest_init(&argc, &argv);
    rank = mtest_rank;
    n = mtest_size;
    right = (rank + 1) % n;
    left = (rank - 1 + n) % n;

    MT_OK(MPI_Recv_init(&recvv, 1, MPI_INT, left, 4, MPI_COMM_WORLD, &reqs[0]));
    MT_OK(MPI_Send_init(&sendv, 1, MPI_INT, right, 4, MPI_COMM_WORLD, &reqs[1]));
    for (int it = 0; it < 200; it++) {
        sendv = rank * 1000 + it;
        recvv = -1;
        if (it % 2) {
            MT_OK(MPI_Startall(2, reqs));
        } else {
            MT_OK(MPI_Start(&reqs[0]));
            MT_OK(MPI_Start(&reqs[1]));
        }
        if (it % 3 == 0) {
            int flag = 0;
            for (long spins = 0; !flag; spins++) {
                MT_CHECK(spins < 100000000L);
                MT_OK(MPI_Testall(2, reqs, &flag, MPI_STATUSES_IGNORE));
            }
        } else {
            MT_OK(MPI_Waitall(2, reqs, MPI_STATUSES_IGNORE));
        }
        MT_CHECK(reqs[0] != MPI_REQUEST_NULL && reqs[1] != MPI_REQUEST_NULL);
        MT_EQ(recvv, left * 1000 + it);
    }
    /* inactive: Wait returns at once with an empty status */
    MT_OK(MPI_Wait(&reqs[0], &st));
    MT_EQ(st.MPI_SOURCE, MPI_ANY_SOURCE);
    MT_OK(MPI_Request_free(&reqs[0]));
    MT_OK(MPI_Request_free(&reqs[1]));
    MT_CHECK(reqs[0] == MPI_REQUEST_NULL && reqs[1] == MPI_REQUEST_NULL);

    /* a nonblocking send freed while active still delivers its message */
    {
        static int big[100000];
        MPI_Request r;
        for (int i = 0; i < 100000; i++) {
            big[i] = rank + i;
        }
        MT_OK(MPI_Isend(big, 100000, MPI_INT, right, 5, MPI_COMM_WORLD, &r));
        MT_OK(MPI_Request_free(&r));
        MT_CHECK(r == MPI_REQUEST_NULL);
        {
            int *in = malloc(100000 * sizeof(int));
            MT_OK(MPI_Recv(in, 100000, MPI_INT, left, 5, MPI_COMM_WORLD, MPI_STATUS_IGNORE));
            for (int i = 0; i < 100000; i++) {
                MT_EQ(in[i], left + i);
            }
            free(in);
        }
        /* MPI: only a later handshake tells the sender its buffer is free again */
        MT_OK(MPI_Barrier(MPI_COMM_WORLD));
    }
    /* Cancel: a receive that nothing will match */
    {
        MPI_Request r;
        MPI_Status cst;
        int flag = 0, v = -1, w = rank;
        MT_OK(MPI_Irecv(&v, 1, MPI_INT, left, 60, MPI_COMM_WORLD, &r));
        MT_OK(MPI_Cancel(&r));
        MT_OK(MPI_Wait(&r, &cst));
        MT_OK(MPI_Test_cancelled(&cst, &flag));
        MT_EQ(flag, 1);
        MT_EQ(v, -1);
        /* once every rank has cancelled, a message with that tag goes to the next receive */
        MT_OK(MPI_Barrier(MPI_COMM_WORLD));
        MT_OK(MPI_Sendrecv(&w, 1, MPI_INT, right, 60, &v, 1, MPI_INT, left, 60, MPI_COMM_WORLD,
                           &cst));
        MT_EQ(v, left);
        MT_OK(MPI_Test_cancelled(&cst, &flag));
        MT_EQ(flag, 0);
    }

    /* Sendrecv_replace with every other int of a buffer */
    {
        int buf[20];
        MPI_Datatype every2;
        MT_OK(MPI_Type_vector(10, 1, 2, MPI_INT, &every2));
        MT_OK(MPI_Type_commit(&every2));
        for (int i = 0; i < 20; i++) {
            buf[i] = (i % 2) ? -1 : rank * 100 + i;
        }
        MT_OK(MPI_Sendrecv_replace(buf, 1, every2, right, 7, left, 7, MPI_COMM_WORLD, &st));
        MT_EQ(st.MPI_SOURCE, left);
        for (int i = 0; i < 20; i++) {
            MT_EQ(buf[i], (i % 2) ? -1 : left * 100 + i);
        }
        MT_OK(MPI_Type_free(&every2));
    }
    return mtest_fini("mpi_persistent");
}
