/*
 * bp_bcast and bp_allreduce give the right bytes on every rank: every root, sizes on both
 * sides of the shared-memory limits (bcast 4 KiB, allreduce 1 KiB per rank) and one that
 * takes the rendezvous protocol; every element type with every operation it accepts,
 * against a result computed locally; the same floating-point result on every rank; in
 * place; hundreds of mixed collectives in a row with messages crossing them (so the
 * segment's buffers are reused, and point-to-point traffic moves while ranks wait in a
 * collective); invalid arguments refused. Runs with 2, 4, 8 ranks (shared memory), over tcp
 * (messages), in every progress mode, and as a singleton.
 */
#include "itest.h"

static const bp_dtype_t dtypes[] = {BP_DT_INT32, BP_DT_INT64, BP_DT_UINT64, BP_DT_FLOAT,
                                    BP_DT_DOUBLE};
static const size_t dsize[] = {4, 8, 8, 4, 8};

/* Rank r's element i: small enough that sums and products are exact in every type. */
static int64_t value(int rank, size_t i, int op)
{
    if (op == BP_OP_PROD) {
        return 1 + (int64_t)((rank + i) % 3);
    }
    if (op == BP_OP_LAND || op == BP_OP_LOR) {
        return ((rank + i) % 4) != 0; /* LAND: mostly 0 results; LOR: 1 */
    }
    return (int64_t)((rank * 7 + i * 13) % 101) - (op == BP_OP_BAND || op >= BP_OP_BOR ? 0 : 50);
}

static void put(void *buf, int d, size_t i, int64_t v)
{
    switch (dtypes[d]) {
    case BP_DT_INT32: ((int32_t *)buf)[i] = (int32_t)v; break;
    case BP_DT_INT64: ((int64_t *)buf)[i] = v; break;
    case BP_DT_UINT64: ((uint64_t *)buf)[i] = (uint64_t)v; break;
    case BP_DT_FLOAT: ((float *)buf)[i] = (float)v; break;
    case BP_DT_DOUBLE: ((double *)buf)[i] = (double)v; break;
    }
}

static int64_t combine(int64_t a, int64_t b, int op, int d)
{
    switch (op) {
    case BP_OP_SUM: return a + b;
    case BP_OP_PROD: return a * b;
    case BP_OP_MIN:
        if (dtypes[d] == BP_DT_UINT64) {
            return (uint64_t)b < (uint64_t)a ? b : a;
        }
        return b < a ? b : a;
    case BP_OP_MAX:
        if (dtypes[d] == BP_DT_UINT64) {
            return (uint64_t)b > (uint64_t)a ? b : a;
        }
        return b > a ? b : a;
    case BP_OP_LAND: return a && b;
    case BP_OP_LOR: return a || b;
    case BP_OP_BAND: return a & b;
    case BP_OP_BOR: return a | b;
    default: return a ^ b;
    }
}

static void check_allreduce(bp_context_t *ctx, int rank, int size, int d, int op, size_t count,
                            int in_place)
{
    size_t bytes = count * dsize[d];
    unsigned char *in = malloc(bytes + 1), *out = malloc(bytes + 1), *want = malloc(bytes + 1);

    CHECK(in != NULL && out != NULL && want != NULL);
    for (size_t i = 0; i < count; i++) {
        int64_t acc = value(0, i, op);
        for (int r = 1; r < size; r++) {
            acc = combine(acc, value(r, i, op), op, d);
        }
        if (dtypes[d] == BP_DT_INT32) {
            acc = (int32_t)acc;
        }
        put(want, d, i, acc);
        put(in, d, i, value(rank, i, op));
    }
    memset(out, 0xee, bytes + 1);
    if (in_place) {
        memcpy(out, in, bytes);
        CHECK_OK(bp_allreduce(ctx, out, out, count, dtypes[d], (bp_op_t)op));
    } else {
        CHECK_OK(bp_allreduce(ctx, in, out, count, dtypes[d], (bp_op_t)op));
    }
    if (memcmp(out, want, bytes) != 0 || out[bytes] != 0xee) {
        fprintf(stderr, "rank %d: allreduce type %d op %d count %zu%s: wrong result\n", rank, d,
                op, count, in_place ? " (in place)" : "");
        exit(1);
    }
    free(in);
    free(out);
    free(want);
}

static void check_bcast(bp_context_t *ctx, int rank, size_t len, int root)
{
    unsigned char *buf = malloc(len + 1);
    uint64_t seed = len * 131 + (uint64_t)root;

    CHECK(buf != NULL);
    if (rank == root) {
        itest_fill(buf, len, seed);
    } else {
        memset(buf, 0x5a, len);
    }
    buf[len] = 0xee;
    CHECK_OK(bp_bcast(ctx, buf, len, root));
    itest_verify(buf, len, seed);
    CHECK_EQ(buf[len], 0xee);
    free(buf);
}

int main(void)
{
    int rank, size;
    bp_context_t *ctx = itest_init(&rank, &size);
    static const size_t bsizes[] = {0, 1, 8, 4096, 4097, 70000};
    static const size_t counts[] = {1, 3, 200, 2000};
    double x, mine[3];

    for (size_t s = 0; s < sizeof(bsizes) / sizeof(bsizes[0]); s++) {
        for (int root = 0; root < size; root++) {
            check_bcast(ctx, rank, bsizes[s], root);
        }
    }
    for (int d = 0; d < 5; d++) {
        int last_op = dtypes[d] == BP_DT_FLOAT || dtypes[d] == BP_DT_DOUBLE ? BP_OP_MAX
                                                                             : BP_OP_BXOR;
        for (int op = BP_OP_SUM; op <= last_op; op++) {
            for (size_t c = 0; c < sizeof(counts) / sizeof(counts[0]); c++) {
                check_allreduce(ctx, rank, size, d, op, counts[c], c == 1);
            }
        }
    }

    /* inexact floating point: every rank must hold the same bits */
    for (int i = 0; i < 3; i++) {
        double v = 1.0 / (3.0 + rank + i) + 0.1 * rank;
        CHECK_OK(bp_allreduce(ctx, &v, &mine[i], 1, BP_DT_DOUBLE, BP_OP_SUM));
    }
    for (int root = 0; root < size; root++) {
        double theirs[3];
        memcpy(theirs, mine, sizeof(mine));
        CHECK_OK(bp_bcast(ctx, theirs, sizeof(theirs), root));
        CHECK(memcmp(theirs, mine, sizeof(mine)) == 0);
    }
    x = 0;
    for (int r = 0; r < size; r++) {
        x += 1.0 / (3.0 + r) + 0.1 * r;
    }
    CHECK(mine[0] - x < 1e-12 && x - mine[0] < 1e-12);

    /* many in a row, mixed, with messages to the next rank crossing each collective */
    for (int it = 0; it < 300; it++) {
        int next = (rank + 1) % size, prev = (rank + size - 1) % size, got = -1;
        int64_t v = rank + it, sum;
        uint64_t word = 0;
        bp_request_t *req;

        CHECK_OK(bp_isend(ctx, &it, sizeof(it), next, 77, &req));
        switch (it % 4) {
        case 0:
            CHECK_OK(bp_barrier(ctx));
            break;
        case 1:
            if (rank == it % size) {
                word = 0xabcd0000u + (uint64_t)it;
            }
            CHECK_OK(bp_bcast(ctx, &word, sizeof(word), it % size));
            CHECK_EQ(word, 0xabcd0000u + (uint64_t)it);
            break;
        default:
            CHECK_OK(bp_allreduce(ctx, &v, &sum, 1, BP_DT_INT64, BP_OP_SUM));
            CHECK_EQ(sum, (int64_t)size * (size - 1) / 2 + (int64_t)size * it);
            break;
        }
        CHECK_OK(bp_recv(ctx, &got, sizeof(got), prev, 77, 0, NULL));
        CHECK_EQ(got, it);
        CHECK_OK(bp_wait(&req, NULL));
    }

    /* refused, on every rank alike (nothing is sent) */
    CHECK_EQ(bp_allreduce(ctx, &x, &x, 1, BP_DT_DOUBLE, BP_OP_BAND), BP_ERR_INVAL);
    CHECK_EQ(bp_allreduce(ctx, &x, &x, 1, (bp_dtype_t)99, BP_OP_SUM), BP_ERR_INVAL);
    CHECK_EQ(bp_allreduce(ctx, &x, &x, 1, BP_DT_DOUBLE, (bp_op_t)99), BP_ERR_INVAL);
    CHECK_EQ(bp_bcast(ctx, &x, sizeof(x), size), BP_ERR_INVAL);
    CHECK_EQ(bp_bcast(ctx, NULL, 8, 0), BP_ERR_INVAL);
    CHECK_EQ(bp_bcast(NULL, &x, sizeof(x), 0), BP_ERR_INVAL);
    itest_fini(ctx, "coll_ops");
    return 0;
}
