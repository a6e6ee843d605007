/*
 * Nonblocking collectives (MPI-3.1 5.12), and MPI_Alltoallw, checked against serial
 * references:
 *  - every MPI_I<collective> completed by MPI_Wait, by an MPI_Test loop, and several at
 *    once on one communicator (started in order, waited for in reverse by MPI_Waitall),
 *    with counts on both sides of the blocking algorithms' size thresholds, on
 *    MPI_COMM_WORLD and on the halves of a split;
 *  - progress (the standard's progress rule): a rank blocked in MPI_Recv keeps its pending
 *    MPI_Ibarrier going, so a chain where rank r waits for the barrier before it sends to
 *    r + 1 completes; the "NBX" sparse exchange (synchronous sends, then MPI_Ibarrier once
 *    they are matched, receiving meanwhile) ends with every message received; a rank in
 *    MPI_Barrier on MPI_COMM_WORLD (the native barrier) keeps its MPI_Ibarrier going too;
 *  - a blocking collective between a nonblocking one's start and its wait;
 *  - a derived type, or the communicator, freed before the wait is still used correctly;
 *  - an argument error (bad root) under MPI_ERRORS_RETURN is returned by the call, with
 *    MPI_REQUEST_NULL, and the communicator goes on working.
 */
#include "mtest.h"

static int rank, n;

static void wait_test_loop(MPI_Request *r)
{
    int flag = 0;

    for (long spins = 0; !flag; spins++) {
        MT_CHECK(spins < 200000000L);
        MT_OK(MPI_Test(r, &flag, MPI_STATUS_IGNORE));
    }
    MT_CHECK(*r == MPI_REQUEST_NULL);
}

/* Completes r by Wait (mode 0) or by a Test loop (mode 1). */
static void complete(MPI_Request *r, int mode)
{
    if (mode == 0) {
        MT_OK(MPI_Wait(r, MPI_STATUS_IGNORE));
        MT_CHECK(*r == MPI_REQUEST_NULL);
    } else {
        wait_test_loop(r);
    }
}

static int val(int who, int i)
{
    return who * 7919 + i * 31 + 1;
}

static void check_on(MPI_Comm comm, int count, int mode)
{
    int cr, cn;
    MPI_Request r;

    MT_OK(MPI_Comm_rank(comm, &cr));
    MT_OK(MPI_Comm_size(comm, &cn));
    /* count per rank, or the v variants' 4 per rank */
    size_t len = ((size_t)count + 4) * (size_t)cn * sizeof(int);
    int *a = malloc(len), *b = malloc(len);
    int *cnts = malloc((size_t)cn * sizeof(int)), *displs = malloc((size_t)cn * sizeof(int));
    MT_CHECK(a && b && cnts && displs);

    /* Ibcast from the last rank */
    for (int i = 0; i < count; i++) {
        a[i] = cr == cn - 1 ? val(cn - 1, i) : -1;
    }
    MT_OK(MPI_Ibcast(a, count, MPI_INT, cn - 1, comm, &r));
    complete(&r, mode);
    for (int i = 0; i < count; i++) {
        MT_EQ(a[i], val(cn - 1, i));
    }

    /* Iallreduce SUM, Ireduce MAX to 0 */
    for (int i = 0; i < count; i++) {
        a[i] = val(cr, i);
    }
    MT_OK(MPI_Iallreduce(a, b, count, MPI_INT, MPI_SUM, comm, &r));
    complete(&r, mode);
    for (int i = 0; i < count; i++) {
        long long s = 0;
        for (int k = 0; k < cn; k++) {
            s += val(k, i);
        }
        MT_EQ(b[i], s);
    }
    memset(b, 0, (size_t)count * sizeof(int));
    MT_OK(MPI_Ireduce(a, b, count, MPI_INT, MPI_MAX, 0, comm, &r));
    complete(&r, mode);
    if (cr == 0) {
        for (int i = 0; i < count; i++) {
            MT_EQ(b[i], val(cn - 1, i));
        }
    }

    /* Iallgather, Igather to 1 % cn, Iscatter from 0, Ialltoall */
    for (int i = 0; i < count; i++) {
        a[i] = val(cr, i);
    }
    MT_OK(MPI_Iallgather(a, count, MPI_INT, b, count, MPI_INT, comm, &r));
    complete(&r, mode);
    for (int k = 0; k < cn; k++) {
        for (int i = 0; i < count; i++) {
            MT_EQ(b[k * count + i], val(k, i));
        }
    }
    memset(b, 0, (size_t)count * cn * sizeof(int));
    MT_OK(MPI_Igather(a, count, MPI_INT, b, count, MPI_INT, 1 % cn, comm, &r));
    complete(&r, mode);
    if (cr == 1 % cn) {
        for (int k = 0; k < cn; k++) {
            for (int i = 0; i < count; i++) {
                MT_EQ(b[k * count + i], val(k, i));
            }
        }
    }
    for (int k = 0; k < cn; k++) {
        for (int i = 0; i < count; i++) {
            b[k * count + i] = val(k, i) + 5;
        }
    }
    memset(a, 0, (size_t)count * sizeof(int));
    MT_OK(MPI_Iscatter(b, count, MPI_INT, a, count, MPI_INT, 0, comm, &r));
    complete(&r, mode);
    for (int i = 0; i < count; i++) {
        MT_EQ(a[i], val(cr, i) + 5);
    }
    for (int k = 0; k < cn; k++) { /* block k goes to rank k */
        for (int i = 0; i < count; i++) {
            a[k * count + i] = val(cr, i) * 3 + k;
        }
    }
    MT_OK(MPI_Ialltoall(a, count, MPI_INT, b, count, MPI_INT, comm, &r));
    complete(&r, mode);
    for (int k = 0; k < cn; k++) {
        for (int i = 0; i < count; i++) {
            MT_EQ(b[k * count + i], val(k, i) * 3 + cr);
        }
    }

    /* the v variants: rank k contributes k % 3 + 1 elements (of count) */
    {
        int tot = 0, mine = cr % 3 + 1;
        for (int k = 0; k < cn; k++) {
            cnts[k] = k % 3 + 1;
            displs[k] = tot;
            tot += cnts[k] + 1; /* a hole between blocks */
        }
        for (int i = 0; i < mine; i++) {
            a[i] = val(cr, i);
        }
        for (int i = 0; i < tot; i++) {
            b[i] = -7;
        }
        MT_OK(MPI_Iallgatherv(a, mine, MPI_INT, b, cnts, displs, MPI_INT, comm, &r));
        complete(&r, mode);
        for (int k = 0; k < cn; k++) {
            for (int i = 0; i < cnts[k]; i++) {
                MT_EQ(b[displs[k] + i], val(k, i));
            }
            MT_EQ(b[displs[k] + cnts[k]], -7);
        }
        for (int i = 0; i < tot; i++) {
            b[i] = -7;
        }
        MT_OK(MPI_Igatherv(a, mine, MPI_INT, b, cnts, displs, MPI_INT, 0, comm, &r));
        complete(&r, mode);
        if (cr == 0) {
            for (int k = 0; k < cn; k++) {
                for (int i = 0; i < cnts[k]; i++) {
                    MT_EQ(b[displs[k] + i], val(k, i));
                }
            }
        }
        for (int k = 0; k < cn; k++) {
            for (int i = 0; i < cnts[k]; i++) {
                b[displs[k] + i] = val(k, i) * 2;
            }
        }
        memset(a, 0, sizeof(int) * 3);
        MT_OK(MPI_Iscatterv(b, cnts, displs, MPI_INT, a, mine, MPI_INT, 0, comm, &r));
        complete(&r, mode);
        for (int i = 0; i < mine; i++) {
            MT_EQ(a[i], val(cr, i) * 2);
        }
        /* Ialltoallv: rank cr sends cnts[k] ints to k at displs[k]; k sends cr's block
         * of cnts[cr] ints */
        int *rc = malloc((size_t)cn * sizeof(int)), *rd = malloc((size_t)cn * sizeof(int));
        int *sb = malloc((size_t)tot * sizeof(int)), *rb = malloc((size_t)cn * 4 * sizeof(int));
        MT_CHECK(rc && rd && sb && rb);
        for (int k = 0; k < cn; k++) {
            for (int i = 0; i < cnts[k]; i++) {
                sb[displs[k] + i] = val(cr, i) + 100 * k;
            }
            rc[k] = mine;
            rd[k] = k * 4;
        }
        MT_OK(MPI_Ialltoallv(sb, cnts, displs, MPI_INT, rb, rc, rd, MPI_INT, comm, &r));
        complete(&r, mode);
        for (int k = 0; k < cn; k++) {
            for (int i = 0; i < mine; i++) {
                MT_EQ(rb[k * 4 + i], val(k, i) + 100 * cr);
            }
        }
        /* Ialltoallw (and the blocking MPI_Alltoallw): the same exchange, displacements in
         * bytes, received as one element of a contiguous type of `mine` ints */
        {
            MPI_Datatype blk, *stt = malloc((size_t)cn * sizeof(MPI_Datatype));
            MPI_Datatype *rtt = malloc((size_t)cn * sizeof(MPI_Datatype));
            int *sdb = malloc((size_t)cn * sizeof(int)), *rdb = malloc((size_t)cn * sizeof(int));
            int *ones = malloc((size_t)cn * sizeof(int));
            MT_CHECK(stt && rtt && sdb && rdb && ones);
            MT_OK(MPI_Type_contiguous(mine, MPI_INT, &blk));
            MT_OK(MPI_Type_commit(&blk));
            for (int k = 0; k < cn; k++) {
                stt[k] = MPI_INT;
                rtt[k] = blk;
                sdb[k] = displs[k] * (int)sizeof(int);
                rdb[k] = k * 4 * (int)sizeof(int);
                ones[k] = 1;
            }
            for (int w = 0; w < 2; w++) {
                for (int i = 0; i < cn * 4; i++) {
                    rb[i] = -3;
                }
                if (w == 0) {
                    MT_OK(MPI_Ialltoallw(sb, cnts, sdb, stt, rb, ones, rdb, rtt, comm, &r));
                    MT_OK(MPI_Type_free(&blk)); /* still alive for the pending call */
                    complete(&r, mode);
                } else {
                    /* and nothing with oneself: count 0, MPI_DATATYPE_NULL on both sides */
                    MPI_Datatype blk2;
                    int *sc0 = malloc((size_t)cn * sizeof(int));
                    MT_CHECK(sc0 != NULL);
                    MT_OK(MPI_Type_contiguous(mine, MPI_INT, &blk2));
                    MT_OK(MPI_Type_commit(&blk2));
                    for (int k = 0; k < cn; k++) {
                        rtt[k] = blk2;
                        sc0[k] = cnts[k];
                    }
                    sc0[cr] = ones[cr] = 0;
                    stt[cr] = rtt[cr] = MPI_DATATYPE_NULL;
                    MT_OK(MPI_Alltoallw(sb, sc0, sdb, stt, rb, ones, rdb, rtt, comm));
                    MT_OK(MPI_Type_free(&blk2));
                    free(sc0);
                }
                for (int k = 0; k < cn; k++) {
                    for (int i = 0; i < mine; i++) {
                        MT_EQ(rb[k * 4 + i], w == 1 && k == cr ? -3 : val(k, i) + 100 * cr);
                    }
                    MT_EQ(rb[k * 4 + mine], -3);
                }
            }
            free(stt);
            free(rtt);
            free(sdb);
            free(rdb);
            free(ones);
        }
        free(rc);
        free(rd);
        free(sb);
        free(rb);
    }

    /* Ireduce_scatter_block and Ireduce_scatter (counts k % 3 + 1), SUM */
    {
        int tot = 0;
        for (int k = 0; k < cn; k++) {
            cnts[k] = k % 3 + 1;
            displs[k] = tot;
            tot += cnts[k];
        }
        for (int i = 0; i < count * cn || i < tot; i++) {
            a[i] = val(cr, i);
        }
        MT_OK(MPI_Ireduce_scatter_block(a, b, count, MPI_INT, MPI_SUM, comm, &r));
        complete(&r, mode);
        for (int i = 0; i < count; i++) {
            long long s = 0;
            for (int k = 0; k < cn; k++) {
                s += val(k, cr * count + i);
            }
            MT_EQ(b[i], s);
        }
        MT_OK(MPI_Ireduce_scatter(a, b, cnts, MPI_INT, MPI_SUM, comm, &r));
        complete(&r, mode);
        for (int i = 0; i < cnts[cr]; i++) {
            long long s = 0;
            for (int k = 0; k < cn; k++) {
                s += val(k, displs[cr] + i);
            }
            MT_EQ(b[i], s);
        }
    }

    /* Iscan, Iexscan SUM */
    for (int i = 0; i < count; i++) {
        a[i] = val(cr, i);
    }
    MT_OK(MPI_Iscan(a, b, count, MPI_INT, MPI_SUM, comm, &r));
    complete(&r, mode);
    for (int i = 0; i < count; i++) {
        long long s = 0;
        for (int k = 0; k <= cr; k++) {
            s += val(k, i);
        }
        MT_EQ(b[i], s);
    }
    MT_OK(MPI_Iexscan(a, b, count, MPI_INT, MPI_SUM, comm, &r));
    complete(&r, mode);
    if (cr > 0) {
        for (int i = 0; i < count; i++) {
            long long s = 0;
            for (int k = 0; k < cr; k++) {
                s += val(k, i);
            }
            MT_EQ(b[i], s);
        }
    }

    /* Ibarrier */
    MT_OK(MPI_Ibarrier(comm, &r));
    complete(&r, mode);

    free(a);
    free(b);
    free(cnts);
    free(displs);
}

/* Several pending on one communicator, waited for in reverse order. */
static void check_many(MPI_Comm comm, int count)
{
    enum { K = 6 };
    MPI_Request rq[K];
    int cr, cn, *buf[K];

    MT_OK(MPI_Comm_rank(comm, &cr));
    MT_OK(MPI_Comm_size(comm, &cn));
    for (int j = 0; j < K; j++) {
        buf[j] = malloc((size_t)count * 2 * sizeof(int));
        MT_CHECK(buf[j] != NULL);
        for (int i = 0; i < count; i++) {
            buf[j][i] = val(cr, i) + j;
        }
        if (j % 2 == 0) {
            MT_OK(MPI_Iallreduce(buf[j], buf[j] + count, count, MPI_INT, MPI_SUM, comm, &rq[j]));
        } else {
            MT_OK(MPI_Ibcast(buf[j], count, MPI_INT, j % cn, comm, &rq[j]));
        }
    }
    {
        MPI_Request rev[K];
        for (int j = 0; j < K; j++) {
            rev[j] = rq[K - 1 - j];
        }
        MT_OK(MPI_Waitall(K, rev, MPI_STATUSES_IGNORE));
    }
    for (int j = 0; j < K; j++) {
        for (int i = 0; i < count; i++) {
            if (j % 2 == 0) {
                long long s = 0;
                for (int k = 0; k < cn; k++) {
                    s += val(k, i) + j;
                }
                MT_EQ(buf[j][count + i], s);
            } else {
                MT_EQ(buf[j][i], val(j % cn, i) + j);
            }
        }
        free(buf[j]);
    }
}

/* Rank r waits for the barrier and then sends to r + 1; ranks > 0 first receive from r - 1
 * in a blocking MPI_Recv, inside which their barrier must go on. */
static void check_progress_chain(void)
{
    MPI_Request r;
    int token = 0;

    MT_OK(MPI_Ibarrier(MPI_COMM_WORLD, &r));
    if (rank > 0) {
        MT_OK(MPI_Recv(&token, 1, MPI_INT, rank - 1, 77, MPI_COMM_WORLD, MPI_STATUS_IGNORE));
        MT_EQ(token, rank - 1 + 1000);
    }
    MT_OK(MPI_Wait(&r, MPI_STATUS_IGNORE));
    token = rank + 1000;
    if (rank + 1 < n) {
        MT_OK(MPI_Send(&token, 1, MPI_INT, rank + 1, 77, MPI_COMM_WORLD));
    }
}

/* Rank 0 enters MPI_Barrier on MPI_COMM_WORLD (the native barrier) with an MPI_Ibarrier on
 * a duplicate pending; the others first wait for that MPI_Ibarrier, whose second round needs
 * rank 0's coroutine to go on: the native barrier's wait must keep it going. */
static void check_progress_native_barrier(MPI_Comm d)
{
    MPI_Request r;

    MT_OK(MPI_Ibarrier(d, &r));
    if (rank == 0) {
        MT_OK(MPI_Barrier(MPI_COMM_WORLD));
        MT_OK(MPI_Wait(&r, MPI_STATUS_IGNORE));
    } else {
        MT_OK(MPI_Wait(&r, MPI_STATUS_IGNORE));
        MT_OK(MPI_Barrier(MPI_COMM_WORLD));
    }
}

/* The NBX sparse exchange (Hoefler et al.): each rank sends to a few others it picks, no
 * rank knows who sends to it; when its synchronous sends are matched it enters an
 * MPI_Ibarrier, and it receives until the barrier completes. Each round its own tag: a rank
 * out of its barrier may send the next round's messages to one still in the loop. */
static void check_nbx(int tag)
{
    enum { PER = 3 };
    MPI_Request sreq[PER], bar = MPI_REQUEST_NULL;
    int sval[PER], nsend = 0, got = 0, expect = 0, barrier_done = 0;

    for (int j = 1; j <= PER && j < n; j++) {
        int to = (rank + j * j) % n;
        if (to == rank) {
            continue;
        }
        sval[nsend] = rank * 100 + to;
        MT_OK(MPI_Issend(&sval[nsend], 1, MPI_INT, to, tag, MPI_COMM_WORLD, &sreq[nsend]));
        nsend++;
    }
    for (int from = 0; from < n; from++) { /* serial reference: who sends to me */
        for (int j = 1; j <= PER && j < n; j++) {
            if (from != rank && (from + j * j) % n == rank) {
                expect++;
            }
        }
    }
    for (long spins = 0; !barrier_done; spins++) {
        int flag;
        MPI_Status st;
        MT_CHECK(spins < 200000000L);
        MT_OK(MPI_Iprobe(MPI_ANY_SOURCE, tag, MPI_COMM_WORLD, &flag, &st));
        if (flag) {
            int v;
            MT_OK(MPI_Recv(&v, 1, MPI_INT, st.MPI_SOURCE, tag, MPI_COMM_WORLD, MPI_STATUS_IGNORE));
            MT_EQ(v, st.MPI_SOURCE * 100 + rank);
            got++;
        }
        if (bar == MPI_REQUEST_NULL) {
            MT_OK(MPI_Testall(nsend, sreq, &flag, MPI_STATUSES_IGNORE));
            if (flag) {
                MT_OK(MPI_Ibarrier(MPI_COMM_WORLD, &bar));
            }
        } else {
            MT_OK(MPI_Test(&bar, &barrier_done, MPI_STATUS_IGNORE));
        }
    }
    MT_EQ(got, expect);
}

int main(int argc, char **argv)
{
    MPI_Comm half;
    MPI_Request r;
    static const int counts[] = {1, 700, 20000};

    mtest_init(&argc, &argv);
    rank = mtest_rank;
    n = mtest_size;

    for (int mode = 0; mode < 2; mode++) {
        for (unsigned c = 0; c < sizeof(counts) / sizeof(counts[0]); c++) {
            check_on(MPI_COMM_WORLD, counts[c], mode);
        }
    }
    MT_OK(MPI_Comm_split(MPI_COMM_WORLD, rank % 2, n - rank, &half));
    check_on(half, 700, 0);
    check_many(MPI_COMM_WORLD, 1);
    check_many(MPI_COMM_WORLD, 20000);
    check_many(half, 700);
    MT_OK(MPI_Comm_free(&half));

    for (int it = 0; it < 20; it++) {
        check_progress_chain();
    }
    for (int it = 0; it < 20; it++) {
        check_nbx(88 + it); /* a rank out of the barrier sends the next round's */
    }
    {
        MPI_Comm d;
        MT_OK(MPI_Comm_dup(MPI_COMM_WORLD, &d));
        for (int it = 0; it < 20; it++) {
            check_progress_native_barrier(d);
        }
        MT_OK(MPI_Comm_free(&d));
    }

    /* a blocking collective between a nonblocking one's start and its wait */
    {
        int big[4096], sum = 0, one = rank;
        for (int i = 0; i < 4096; i++) {
            big[i] = rank == 0 ? i : -1;
        }
        MT_OK(MPI_Ibcast(big, 4096, MPI_INT, 0, MPI_COMM_WORLD, &r));
        MT_OK(MPI_Allreduce(&one, &sum, 1, MPI_INT, MPI_SUM, MPI_COMM_WORLD));
        MT_EQ(sum, n * (n - 1) / 2);
        MT_OK(MPI_Wait(&r, MPI_STATUS_IGNORE));
        for (int i = 0; i < 4096; i++) {
            MT_EQ(big[i], i);
        }
    }

    /* the communicator freed before the wait: the collective still completes */
    {
        MPI_Comm d;
        int v[1000];
        MT_OK(MPI_Comm_dup(MPI_COMM_WORLD, &d));
        for (int i = 0; i < 1000; i++) {
            v[i] = rank == 0 ? 3 * i : -1;
        }
        MT_OK(MPI_Ibcast(v, 1000, MPI_INT, 0, d, &r));
        MT_OK(MPI_Comm_free(&d));
        MT_CHECK(d == MPI_COMM_NULL);
        MT_OK(MPI_Wait(&r, MPI_STATUS_IGNORE));
        for (int i = 0; i < 1000; i++) {
            MT_EQ(v[i], 3 * i);
        }
    }

    /* a derived type freed before the wait */
    {
        MPI_Datatype vec;
        int m[64];
        MT_OK(MPI_Type_vector(16, 1, 4, MPI_INT, &vec));
        MT_OK(MPI_Type_commit(&vec));
        for (int i = 0; i < 64; i++) {
            m[i] = rank == n - 1 ? i : -1;
        }
        MT_OK(MPI_Ibcast(m, 1, vec, n - 1, MPI_COMM_WORLD, &r));
        MT_OK(MPI_Type_free(&vec));
        MT_OK(MPI_Wait(&r, MPI_STATUS_IGNORE));
        for (int i = 0; i < 64; i++) {
            MT_EQ(m[i], i % 4 == 0 || rank == n - 1 ? i : -1);
        }
    }

    /* an argument error is the call's */
    {
        int x = 0;
        MT_OK(MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN));
        r = (MPI_Request)&x; /* anything: the call sets it */
        MT_EQ(MPI_Ibcast(&x, 1, MPI_INT, n + 3, MPI_COMM_WORLD, &r), MPI_ERR_ROOT);
        MT_CHECK(r == MPI_REQUEST_NULL);
        MT_OK(MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_ARE_FATAL));
        x = rank;
        MT_OK(MPI_Iallreduce(MPI_IN_PLACE, &x, 1, MPI_INT, MPI_SUM, MPI_COMM_WORLD, &r));
        MT_OK(MPI_Wait(&r, MPI_STATUS_IGNORE));
        MT_EQ(x, n * (n - 1) / 2);
    }
    return mtest_fini("mpi_nbc");
}
