/*
 * MPI_ANY_SOURCE and MPI_ANY_TAG: every rank sends rank 0 a few messages with its own tags;
 * rank 0 takes them with wildcards and checks the status (source, tag, count), and that the
 * messages of one sender arrive in the order they were sent. Then Probe/Iprobe before a
 * receive of the probed size, Waitany/Waitsome/Testany/Testsome over a set of receives, and
 * MPI_PROC_NULL (completes at once, source MPI_PROC_NULL, count 0).
 */
#include "mtest.h"

#define PER_SENDER 20

int main(int argc, char **argv)
{
    int rank, n;

    mtest_init(&argc, &argv);
    rank = mtest_rank;
    n = mtest_size;

    /* 1. wildcards */
    if (rank != 0) {
        for (int k = 0; k < PER_SENDER; k++) {
            int msg[3] = {rank, k, 0};
            MT_OK(MPI_Send(msg, 2 + k % 2, MPI_INT, 0, 1000 + rank * 100 + k, MPI_COMM_WORLD));
        }
    } else {
        int next[64] = {0};
        for (int m = 0; m < (n - 1) * PER_SENDER; m++) {
            int msg[3] = {-1, -1, -1}, count;
            MPI_Status st;
            MT_OK(MPI_Recv(msg, 3, MPI_INT, MPI_ANY_SOURCE, MPI_ANY_TAG, MPI_COMM_WORLD, &st));
            MT_CHECK(st.MPI_SOURCE >= 1 && st.MPI_SOURCE < n);
            MT_EQ(msg[0], st.MPI_SOURCE);
            MT_EQ(msg[1], next[st.MPI_SOURCE]); /* in order per sender */
            MT_EQ(st.MPI_TAG, 1000 + st.MPI_SOURCE * 100 + msg[1]);
            MT_OK(MPI_Get_count(&st, MPI_INT, &count));
            MT_EQ(count, 2 + msg[1] % 2);
            next[st.MPI_SOURCE]++;
        }
        for (int s = 1; s < n; s++) {
            MT_EQ(next[s], PER_SENDER);
        }
    }
    MT_OK(MPI_Barrier(MPI_COMM_WORLD));

    /* 2. any tag from a given source, any source with a given tag */
    if (n >= 2) {
        if (rank == 1) {
            int a = 11, b = 22;
            MT_OK(MPI_Send(&a, 1, MPI_INT, 0, 5, MPI_COMM_WORLD));
            MT_OK(MPI_Send(&b, 1, MPI_INT, 0, 6, MPI_COMM_WORLD));
        } else if (rank == 0) {
            int v;
            MPI_Status st;
            /* tag 6 first, by tag; then the tag-5 one by wildcard */
            MT_OK(MPI_Recv(&v, 1, MPI_INT, MPI_ANY_SOURCE, 6, MPI_COMM_WORLD, &st));
            MT_EQ(v, 22);
            MT_EQ(st.MPI_SOURCE, 1);
            MT_OK(MPI_Recv(&v, 1, MPI_INT, 1, MPI_ANY_TAG, MPI_COMM_WORLD, &st));
            MT_EQ(v, 11);
            MT_EQ(st.MPI_TAG, 5);
        }
    }
    MT_OK(MPI_Barrier(MPI_COMM_WORLD));

    /* 3. probe, then receive exactly what was probed */
    if (rank != 0) {
        int len = 10 + rank * 3;
        char *buf = malloc((size_t)len);
        memset(buf, 'a' + rank, (size_t)len);
        MT_OK(MPI_Send(buf, len, MPI_CHAR, 0, 77, MPI_COMM_WORLD));
        free(buf);
    } else {
        for (int m = 1; m < n; m++) {
            MPI_Status st;
            int count, flag = 0;
            char *buf;
            if (m % 2) {
                MT_OK(MPI_Probe(MPI_ANY_SOURCE, 77, MPI_COMM_WORLD, &st));
            } else {
                for (long spins = 0; !flag; spins++) {
                    MT_CHECK(spins < 100000000L);
                    MT_OK(MPI_Iprobe(MPI_ANY_SOURCE, MPI_ANY_TAG, MPI_COMM_WORLD, &flag, &st));
                }
            }
            MT_OK(MPI_Get_count(&st, MPI_CHAR, &count));
            MT_EQ(count, 10 + st.MPI_SOURCE * 3);
            buf = malloc((size_t)count);
            MT_OK(MPI_Recv(buf, count, MPI_CHAR, st.MPI_SOURCE, st.MPI_TAG, MPI_COMM_WORLD,
                           MPI_STATUS_IGNORE));
            for (int i = 0; i < count; i++) {
                MT_EQ(buf[i], 'a' + st.MPI_SOURCE);
            }
            free(buf);
        }
    }
    MT_OK(MPI_Barrier(MPI_COMM_WORLD));

    /* 4. Waitany / Waitsome / Testany / Testsome over receives from every other rank */
    {
        MPI_Request *reqs = malloc((size_t)n * sizeof(*reqs));
        int *vals = malloc((size_t)n * sizeof(int)), *idx = malloc((size_t)n * sizeof(int));
        int *seen = calloc((size_t)n, sizeof(int));
        MPI_Status *sts = malloc((size_t)n * sizeof(*sts));
        for (int round = 0; round < 4; round++) {
            int done = 0;
            for (int p = 0; p < n; p++) {
                vals[p] = -1;
                seen[p] = 0;
                reqs[p] = MPI_REQUEST_NULL;
                if (p != rank) {
                    MT_OK(MPI_Irecv(&vals[p], 1, MPI_INT, p, 9, MPI_COMM_WORLD, &reqs[p]));
                }
            }
            for (int p = 0; p < n; p++) {
                if (p != rank) {
                    int v = rank * 1000 + round;
                    MT_OK(MPI_Send(&v, 1, MPI_INT, p, 9, MPI_COMM_WORLD));
                }
            }
            while (done < n - 1) {
                int k, outcount = 0, flag = 0;
                MPI_Status st;
                switch (round) {
                case 0:
                    MT_OK(MPI_Waitany(n, reqs, &k, &st));
                    MT_CHECK(k != MPI_UNDEFINED);
                    idx[0] = k;
                    sts[0] = st;
                    outcount = 1;
                    break;
                case 1:
                    MT_OK(MPI_Waitsome(n, reqs, &outcount, idx, sts));
                    MT_CHECK(outcount >= 1);
                    break;
                case 2:
                    MT_OK(MPI_Testany(n, reqs, &k, &flag, &st));
                    if (flag) {
                        MT_CHECK(k != MPI_UNDEFINED);
                        idx[0] = k;
                        sts[0] = st;
                        outcount = 1;
                    }
                    break;
                default:
                    MT_OK(MPI_Testsome(n, reqs, &outcount, idx, sts));
                    break;
                }
                for (int j = 0; j < outcount; j++) {
                    MT_CHECK(reqs[idx[j]] == MPI_REQUEST_NULL);
                    MT_EQ(sts[j].MPI_SOURCE, idx[j]);
                    MT_EQ(vals[idx[j]], idx[j] * 1000 + round);
                    MT_EQ(seen[idx[j]], 0);
                    seen[idx[j]] = 1;
                    done++;
                }
            }
            {
                int k, outcount;
                MT_OK(MPI_Waitany(n, reqs, &k, MPI_STATUS_IGNORE));
                MT_EQ(k, MPI_UNDEFINED); /* all done */
                MT_OK(MPI_Waitsome(n, reqs, &outcount, idx, MPI_STATUSES_IGNORE));
                MT_EQ(outcount, MPI_UNDEFINED);
            }
        }
        free(reqs);
        free(vals);
        free(idx);
        free(seen);
        free(sts);
    }

    /* 5. MPI_PROC_NULL */
    {
        int v = 5, count = -1;
        MPI_Status st;
        MPI_Request r;
        MT_OK(MPI_Send(&v, 1, MPI_INT, MPI_PROC_NULL, 1, MPI_COMM_WORLD));
        MT_OK(MPI_Recv(&v, 1, MPI_INT, MPI_PROC_NULL, 1, MPI_COMM_WORLD, &st));
        MT_EQ(v, 5);
        MT_EQ(st.MPI_SOURCE, MPI_PROC_NULL);
        MT_EQ(st.MPI_TAG, MPI_ANY_TAG);
        MT_OK(MPI_Get_count(&st, MPI_INT, &count));
        MT_EQ(count, 0);
        MT_OK(MPI_Irecv(&v, 1, MPI_INT, MPI_PROC_NULL, 1, MPI_COMM_WORLD, &r));
        MT_OK(MPI_Wait(&r, &st));
        MT_EQ(st.MPI_SOURCE, MPI_PROC_NULL);
    }
    return mtest_fini("mpi_any_source_tag");
}
