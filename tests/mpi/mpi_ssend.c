/*
 * Synchronous sends are really synchronous: an Issend does not complete while the receiver
 * has not posted a matching receive (tested for 200 ms), and completes once it has; a
 * blocking Ssend lasts until the late receiver receives. A receive completed while its rank
 * waits on something else still releases the Ssend (no deadlock). Also Bsend with an
 * attached buffer (returns before the receive), and Rsend. Ranks pair up (0-1, 2-3, ...).
 */
#include <unistd.h>

#include "mtest.h"

int main(int argc, char **argv)
{
    int rank, peer, v, flag;
    MPI_Request r;
    double t0;

    mtest_init(&argc, &argv);
    rank = mtest_rank;
    if (mtest_size < 2) {
        MT_FAIL("needs at least 2 ranks");
    }
    peer = (rank % 2 == 0) ? rank + 1 : rank - 1;
    if (peer >= mtest_size) { /* odd rank out: sits this one out */
        peer = MPI_PROC_NULL;
    }

    /* 1. Issend stays incomplete until the receiver receives */
    if (peer != MPI_PROC_NULL && rank % 2 == 0) {
        int go = 1;
        v = 123;
        MT_OK(MPI_Issend(&v, 1, MPI_INT, peer, 1, MPI_COMM_WORLD, &r));
        t0 = MPI_Wtime();
        while (MPI_Wtime() - t0 < 0.2) {
            MT_OK(MPI_Test(&r, &flag, MPI_STATUS_IGNORE));
            MT_EQ(flag, 0);
        }
        MT_OK(MPI_Send(&go, 1, MPI_INT, peer, 2, MPI_COMM_WORLD));
        MT_OK(MPI_Wait(&r, MPI_STATUS_IGNORE));
        MT_CHECK(r == MPI_REQUEST_NULL);
    } else if (peer != MPI_PROC_NULL) {
        int go;
        /* the data message is here long before we receive it */
        MT_OK(MPI_Recv(&go, 1, MPI_INT, peer, 2, MPI_COMM_WORLD, MPI_STATUS_IGNORE));
        MT_OK(MPI_Recv(&v, 1, MPI_INT, peer, 1, MPI_COMM_WORLD, MPI_STATUS_IGNORE));
        MT_EQ(v, 123);
    }
    MT_OK(MPI_Barrier(MPI_COMM_WORLD));

    /* 2. blocking Ssend lasts until the late receiver receives */
    if (peer != MPI_PROC_NULL && rank % 2 == 0) {
        t0 = MPI_Wtime();
        MT_OK(MPI_Ssend(&v, 1, MPI_INT, peer, 3, MPI_COMM_WORLD));
        MT_CHECK(MPI_Wtime() - t0 >= 0.25);
    } else if (peer != MPI_PROC_NULL) {
        usleep(300000);
        MT_OK(MPI_Recv(&v, 1, MPI_INT, peer, 3, MPI_COMM_WORLD, MPI_STATUS_IGNORE));
    }
    MT_OK(MPI_Barrier(MPI_COMM_WORLD));

    /* 3. both ranks Ssend to each other after posting an Irecv: each Irecv completes
     *    while its rank waits in Ssend, and its ack must still go out */
    if (peer != MPI_PROC_NULL) {
        int in = -1, out = rank;
        static double big[50000], bigin[50000];
        MT_OK(MPI_Irecv(&in, 1, MPI_INT, peer, 4, MPI_COMM_WORLD, &r));
        MT_OK(MPI_Ssend(&out, 1, MPI_INT, peer, 4, MPI_COMM_WORLD));
        MT_OK(MPI_Wait(&r, MPI_STATUS_IGNORE));
        MT_EQ(in, peer);
        /* and with a large (rendezvous) message and wildcards */
        for (int i = 0; i < 50000; i++) {
            big[i] = rank + i * 0.5;
        }
        MT_OK(MPI_Irecv(bigin, 50000, MPI_DOUBLE, MPI_ANY_SOURCE, MPI_ANY_TAG, MPI_COMM_WORLD,
                        &r));
        MT_OK(MPI_Ssend(big, 50000, MPI_DOUBLE, peer, 5, MPI_COMM_WORLD));
        MT_OK(MPI_Wait(&r, MPI_STATUS_IGNORE));
        for (int i = 0; i < 50000; i++) {
            MT_CHECK(bigin[i] == peer + i * 0.5);
        }
    }
    MT_OK(MPI_Barrier(MPI_COMM_WORLD));

    /* 3b. the receiver's Irecv is matched while it waits in a collective: the Ssend must
     *     complete before the sender reaches that collective */
    if (peer != MPI_PROC_NULL) {
        int x = 5, y = -1;
        if (rank % 2 == 0) {
            MT_OK(MPI_Ssend(&x, 1, MPI_INT, peer, 10, MPI_COMM_WORLD));
            MT_OK(MPI_Barrier(MPI_COMM_WORLD));
        } else {
            MT_OK(MPI_Irecv(&y, 1, MPI_INT, peer, 10, MPI_COMM_WORLD, &r));
            MT_OK(MPI_Barrier(MPI_COMM_WORLD));
            MT_OK(MPI_Wait(&r, MPI_STATUS_IGNORE));
            MT_EQ(y, 5);
        }
    } else {
        MT_OK(MPI_Barrier(MPI_COMM_WORLD));
    }

    /* 4. Bsend returns before the receive is posted; a message larger than the attached
     *    space does not fit; space that sent messages held is used again (12 messages through
     *    space for 4: they leave the buffer as soon as the library has injected them);
     *    Buffer_detach waits for delivery */
    if (peer != MPI_PROC_NULL) {
        int size = 4 * (100 * (int)sizeof(int) + MPI_BSEND_OVERHEAD), dsize;
        void *buf = malloc((size_t)size), *dbuf;
        int data[100];
        static int huge[1000];
        MT_OK(MPI_Buffer_attach(buf, size));
        if (rank % 2 == 0) {
            for (int k = 0; k < 12; k++) {
                for (int i = 0; i < 100; i++) {
                    data[i] = k * 100 + i;
                }
                MT_OK(MPI_Bsend(data, 100, MPI_INT, peer, 6, MPI_COMM_WORLD));
                if (k == 3) {
                    MT_OK(MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN));
                    MT_EQ(MPI_Bsend(huge, 1000, MPI_INT, peer, 6, MPI_COMM_WORLD),
                          MPI_ERR_BUFFER);
                    MT_OK(MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_ARE_FATAL));
                }
            }
            MT_OK(MPI_Send(&rank, 1, MPI_INT, peer, 7, MPI_COMM_WORLD)); /* "now receive" */
        } else {
            int go;
            MT_OK(MPI_Recv(&go, 1, MPI_INT, peer, 7, MPI_COMM_WORLD, MPI_STATUS_IGNORE));
            for (int k = 0; k < 12; k++) {
                MT_OK(MPI_Recv(data, 100, MPI_INT, peer, 6, MPI_COMM_WORLD, MPI_STATUS_IGNORE));
                for (int i = 0; i < 100; i++) {
                    MT_EQ(data[i], k * 100 + i);
                }
            }
        }
        MT_OK(MPI_Buffer_detach(&dbuf, &dsize));
        MT_CHECK(dbuf == buf);
        MT_EQ(dsize, size);
        free(buf);
    }

    /* 5. Rsend after the receiver said its receive is posted */
    if (peer != MPI_PROC_NULL) {
        if (rank % 2 == 1) {
            int ready = 1;
            MT_OK(MPI_Irecv(&v, 1, MPI_INT, peer, 8, MPI_COMM_WORLD, &r));
            MT_OK(MPI_Send(&ready, 1, MPI_INT, peer, 9, MPI_COMM_WORLD));
            MT_OK(MPI_Wait(&r, MPI_STATUS_IGNORE));
            MT_EQ(v, 77);
        } else {
            int ready, w = 77;
            MT_OK(MPI_Recv(&ready, 1, MPI_INT, peer, 9, MPI_COMM_WORLD, MPI_STATUS_IGNORE));
            MT_OK(MPI_Rsend(&w, 1, MPI_INT, peer, 8, MPI_COMM_WORLD));
        }
    }
    return mtest_fini("mpi_ssend");
}
