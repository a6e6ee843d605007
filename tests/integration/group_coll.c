/*
 * bp_group_*: the one-host collectives among some of the job's ranks. Groups of the even
 * and the odd ranks (two groups with different first members, alive at once), the whole
 * job in reverse order, and the first three ranks; in each, a barrier nobody leaves before
 * the last member entered it, bcasts from every member of every size up to the limit, and
 * allreduces of every type in member order, mixed with the job's own collectives and
 * messages. Channels are lent and given back: 31 groups at once, a 32nd refused on every
 * member with BP_ERR_NOTSUP, then 100 more created and freed one after another (each on a
 * channel an earlier, differently sized group used). Bad arguments are refused before any
 * message moves. Over tcp (collectives through messages) every member gets BP_ERR_NOTSUP.
 */
#include <unistd.h>

#include "itest.h"

#define NCHAN 31 /* the segment's channels for groups (coll_shm.c) */

static int rank, size;

/* A group of every rank r (of the job) for which pick(r) holds, in ascending or
 * descending order; NULL (and nothing called) when this rank is not in it. */
static bp_group_t *make(bp_context_t *ctx, int (*pick)(int), int descending, uint32_t key)
{
    int ranks[256], n = 0, in = 0;
    bp_group_t *g = NULL;

    for (int i = 0; i < size; i++) {
        int r = descending ? size - 1 - i : i;
        if (pick(r)) {
            ranks[n++] = r;
            in |= r == rank;
        }
    }
    if (!in) {
        return NULL;
    }
    CHECK_OK(bp_group_create(ctx, ranks, n, key, &g));
    CHECK_EQ(bp_group_size(g), n);
    CHECK_EQ(ranks[bp_group_rank(g)], rank);
    return g;
}

static int pick_even(int r) { return r % 2 == 0; }
static int pick_odd(int r) { return r % 2 == 1; }
static int pick_all(int r) { (void)r; return 1; }
static int pick_first3(int r) { return r < 3; }

/* The last member sends every other member a message, 20 ms late, before it enters the
 * barrier: whoever leaves the barrier must find it already there. */
static void check_barrier(bp_context_t *ctx, bp_group_t *g, const int *ranks)
{
    int n = bp_group_size(g), me = bp_group_rank(g), flag = 0;
    const uint64_t tag = 0xba77;

    if (me == n - 1) {
        usleep(20000);
        for (int i = 0; i < n - 1; i++) {
            CHECK_OK(bp_send(ctx, &me, sizeof(me), ranks[i], tag));
        }
    }
    CHECK_OK(bp_group_barrier(g));
    if (me != n - 1) {
        int got = -1;
        for (int tries = 0; tries < 1000 && !flag; tries++) { /* the frame is there: polls */
            CHECK_OK(bp_iprobe(ctx, ranks[n - 1], tag, 0, &flag, NULL));
        }
        CHECK(flag);
        CHECK_OK(bp_recv(ctx, &got, sizeof(got), ranks[n - 1], tag, 0, NULL));
        CHECK_EQ(got, n - 1);
    }
}

static void check_bcast(bp_group_t *g, uint64_t seed)
{
    static const size_t lens[] = {0, 1, 100, 4095, 4096};
    unsigned char buf[4096];
    int n = bp_group_size(g), me = bp_group_rank(g);

    for (int root = 0; root < n; root++) {
        for (size_t k = 0; k < sizeof(lens) / sizeof(lens[0]); k++) {
            uint64_t s = seed * 1000 + (uint64_t)root * 10 + k;
            if (me == root) {
                itest_fill(buf, lens[k], s);
            } else {
                memset(buf, 0xee, sizeof(buf));
            }
            CHECK_OK(bp_group_bcast(g, buf, lens[k], root));
            itest_verify(buf, lens[k], s);
        }
    }
}

/* Member i's element j; the sums are exact in every type. */
static int64_t value(int i, size_t j)
{
    return (int64_t)((i * 7 + (int)j * 13) % 101) - 50;
}

static void check_allreduce(bp_group_t *g, int salt)
{
    int n = bp_group_size(g), me = bp_group_rank(g);
    size_t count = 128; /* 1 KiB of int64: the limit */
    int64_t in[128], out[128];
    double din[128], dout[128];
    int32_t i32[128];

    for (size_t j = 0; j < count; j++) {
        in[j] = value(me + salt, j);
        din[j] = (double)in[j] / 4;
        i32[j] = (int32_t)in[j];
    }
    CHECK_OK(bp_group_allreduce(g, in, out, count, BP_DT_INT64, BP_OP_SUM));
    for (size_t j = 0; j < count; j++) {
        int64_t want = 0;
        for (int i = 0; i < n; i++) {
            want += value(i + salt, j);
        }
        CHECK_EQ(out[j], want);
    }
    CHECK_OK(bp_group_allreduce(g, din, dout, count, BP_DT_DOUBLE, BP_OP_MAX));
    for (size_t j = 0; j < count; j++) {
        int64_t want = value(salt, j);
        for (int i = 1; i < n; i++) {
            want = value(i + salt, j) > want ? value(i + salt, j) : want;
        }
        CHECK(dout[j] == (double)want / 4);
    }
    /* in place, the ranks of the job: tells members apart, and their order */
    CHECK_OK(bp_group_allreduce(g, i32, i32, 64, BP_DT_INT32, BP_OP_MIN));
    for (size_t j = 0; j < 64; j++) {
        int64_t want = value(salt, j);
        for (int i = 1; i < n; i++) {
            want = value(i + salt, j) < want ? value(i + salt, j) : want;
        }
        CHECK_EQ(i32[j], want);
    }
}

static void ranks_of(bp_group_t *g, int (*pick)(int), int descending, int *ranks)
{
    int n = 0;

    for (int i = 0; i < size; i++) {
        int r = descending ? size - 1 - i : i;
        if (pick(r)) {
            ranks[n++] = r;
        }
    }
    CHECK_EQ(n, bp_group_size(g));
}

static void exercise(bp_context_t *ctx, bp_group_t *g, int (*pick)(int), int descending,
                     int salt)
{
    int ranks[256];

    ranks_of(g, pick, descending, ranks);
    check_barrier(ctx, g, ranks);
    check_bcast(g, (uint64_t)salt);
    check_allreduce(g, salt);
}

static void check_bad_args(bp_context_t *ctx)
{
    bp_group_t *g = (bp_group_t *)1;
    int out_of_range[2] = {rank, size};
    int twice[3] = {rank, rank, rank};
    int mine[1] = {rank};
    int other[1] = {(rank + 1) % size};
    char buf[8];

    CHECK_EQ(bp_group_create(NULL, mine, 1, 1, &g), BP_ERR_INVAL);
    CHECK(g == NULL);
    CHECK_EQ(bp_group_create(ctx, NULL, 1, 1, &g), BP_ERR_INVAL);
    CHECK_EQ(bp_group_create(ctx, mine, 0, 1, &g), BP_ERR_INVAL);
    CHECK_EQ(bp_group_create(ctx, mine, 1, 1, NULL), BP_ERR_INVAL);
    CHECK_EQ(bp_group_create(ctx, out_of_range, 2, 1, &g), BP_ERR_INVAL);
    CHECK_EQ(bp_group_create(ctx, twice, 3, 1, &g), BP_ERR_INVAL);
    if (size > 1) {
        CHECK_EQ(bp_group_create(ctx, other, 1, 1, &g), BP_ERR_INVAL);
    }
    CHECK_EQ(bp_group_barrier(NULL), BP_ERR_INVAL);
    CHECK_EQ(bp_group_bcast(NULL, buf, 1, 0), BP_ERR_INVAL);
    CHECK_EQ(bp_group_allreduce(NULL, buf, buf, 1, BP_DT_INT32, BP_OP_SUM), BP_ERR_INVAL);
    CHECK_EQ(bp_group_free(NULL), BP_ERR_INVAL);
    g = NULL;
    CHECK_EQ(bp_group_free(&g), BP_ERR_INVAL);
    /* a group of one, this rank alone: its own limits */
    CHECK_OK(bp_group_create(ctx, mine, 1, 2, &g));
    CHECK_EQ(bp_group_bcast(g, buf, 1, 1), BP_ERR_INVAL);
    CHECK_EQ(bp_group_bcast(g, buf, 4097, 0), BP_ERR_INVAL);
    CHECK_EQ(bp_group_allreduce(g, buf, buf, 1025, BP_DT_INT32, BP_OP_SUM), BP_ERR_INVAL);
    CHECK_EQ(bp_group_allreduce(g, buf, buf, 1, BP_DT_FLOAT, BP_OP_BXOR), BP_ERR_INVAL);
    CHECK_EQ(bp_group_allreduce(g, buf, buf, 1, (bp_dtype_t)99, BP_OP_SUM), BP_ERR_INVAL);
    CHECK_EQ(bp_group_allreduce(g, buf, buf, 1, BP_DT_INT32, (bp_op_t)99), BP_ERR_INVAL);
    CHECK_OK(bp_group_barrier(g));
    CHECK_OK(bp_group_free(&g));
    CHECK(g == NULL);
}

int main(void)
{
    bp_context_t *ctx = itest_init(&rank, &size);
    size_t ar_max, bc_max;
    bp_group_t *even, *odd, *rev, *first3, *many[NCHAN + 1];
    int all[256];

    CHECK(size <= 256);
    for (int i = 0; i < size; i++) {
        all[i] = i;
    }
    CHECK_OK(bp_coll_shm(ctx, &ar_max, &bc_max));
    if (ar_max == 0) {
        bp_group_t *g = (bp_group_t *)1;
        /* collectives through messages: no group, on every member alike */
        CHECK_EQ(bp_group_create(ctx, all, size, 1, &g), BP_ERR_NOTSUP);
        CHECK(g == NULL);
        CHECK_OK(bp_barrier(ctx));
        itest_fini(ctx, "group_coll (through messages: BP_ERR_NOTSUP)");
        return 0;
    }
    check_bad_args(ctx);

    /* groups alive at once, with the job's collectives and messages between theirs */
    even = make(ctx, pick_even, 0, 10);
    odd = make(ctx, pick_odd, 0, 10); /* the same key: their first members differ */
    rev = make(ctx, pick_all, 1, 11);
    first3 = size >= 3 ? make(ctx, pick_first3, 0, 12) : NULL;
    for (int round = 0; round < 3; round++) {
        exercise(ctx, rank % 2 == 0 ? even : odd, rank % 2 == 0 ? pick_even : pick_odd, 0,
                 round);
        CHECK_OK(bp_barrier(ctx));
        exercise(ctx, rev, pick_all, 1, round + 5);
        if (first3 != NULL) {
            exercise(ctx, first3, pick_first3, 0, round + 9);
        }
        {
            int64_t x = rank, sum = 0;
            CHECK_OK(bp_allreduce(ctx, &x, &sum, 1, BP_DT_INT64, BP_OP_SUM));
            CHECK_EQ(sum, (int64_t)size * (size - 1) / 2);
        }
    }
    CHECK_OK(bp_group_free(rank % 2 == 0 ? &even : &odd));
    CHECK_OK(bp_group_free(&rev));
    if (first3 != NULL) {
        CHECK_OK(bp_group_free(&first3));
    }

    /* every channel lent, then one more asked for: refused on every member */
    CHECK_OK(bp_barrier(ctx)); /* every rank has given the channels above back */
    for (int i = 0; i < NCHAN; i++) {
        CHECK_OK(bp_group_create(ctx, all, size, 100 + (uint32_t)i, &many[i]));
    }
    CHECK_EQ(bp_group_create(ctx, all, size, 200, &many[NCHAN]), BP_ERR_NOTSUP);
    CHECK(many[NCHAN] == NULL);
    CHECK_OK(bp_group_barrier(many[NCHAN - 1]));
    for (int i = 0; i < NCHAN; i++) {
        CHECK_OK(bp_group_free(&many[i]));
    }
    /* a channel comes back when its last member frees the group: until every rank has,
     * a leader running ahead could find none */
    CHECK_OK(bp_barrier(ctx));

    /* lent and given back, over and over, by groups of other sizes */
    for (int i = 0; i < 100; i++) {
        bp_group_t *g = make(ctx, i % 2 ? pick_all : pick_first3, i % 3 == 0, 300 + (uint32_t)i);
        if (g != NULL) {
            int64_t x = bp_group_rank(g) + i, sum = 0, n = bp_group_size(g);
            CHECK_OK(bp_group_allreduce(g, &x, &sum, 1, BP_DT_INT64, BP_OP_SUM));
            CHECK_EQ(sum, n * (n - 1) / 2 + n * i);
            CHECK_OK(bp_group_barrier(g));
            CHECK_OK(bp_group_free(&g));
        }
    }
    /* one left for bp_finalize to free */
    rev = make(ctx, pick_all, 1, 999);
    CHECK_OK(bp_group_barrier(rev));
    itest_fini(ctx, "group_coll");
    return 0;
}
