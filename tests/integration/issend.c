/*
 * bp_issend is synchronous: its request does not complete while no receive has matched the
 * message, and completes once one has, whatever the size (0 bytes, small, above the
 * rendezvous threshold), with the bytes intact. Pairs of ranks (2k sends to 2k+1); an odd
 * last rank sends to itself, which completes at once.
 *
 * Order of one pair: the sender issends, then spins on bp_test for HOLD_MS and checks the
 * request is still pending (the receiver has posted nothing: it waits for a "go" first);
 * then it sends "go" with a plain send, and waits for the issend; the receiver, once it has
 * the "go", receives the synchronous message and checks it.
 */
#include <time.h>

#include "itest.h"

#define HOLD_MS 100
#define BIG (256 * 1024)

static double now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static void fill(unsigned char *buf, size_t n, int seed)
{
    for (size_t k = 0; k < n; k++) {
        buf[k] = (unsigned char)(seed * 29 + (int)(k % 251));
    }
}

int main(void)
{
    static const size_t sizes[] = {0, 8, 1000, BIG};
    static unsigned char sbuf[BIG], rbuf[BIG], want[BIG];
    int rank, size;
    bp_context_t *ctx = itest_init(&rank, &size);
    int peer = (rank % 2 == 0) ? rank + 1 : rank - 1;

    /* bad arguments: a clear error, no request, for the synchronous send and for bp_isend
     * (whose fast path must leave every such case to the checked general path) */
    {
        bp_request_t *req = NULL;
        CHECK_EQ(bp_issend(ctx, sbuf, 8, size, 1, &req), BP_ERR_INVAL);
        CHECK_EQ(bp_issend(ctx, sbuf, 8, -1, 1, &req), BP_ERR_INVAL);
        CHECK_EQ(bp_issend(ctx, NULL, 8, rank, 1, &req), BP_ERR_INVAL);
        CHECK_EQ(bp_issend(ctx, sbuf, 8, rank, 1, NULL), BP_ERR_INVAL);
        CHECK_EQ(bp_issend(NULL, sbuf, 8, rank, 1, &req), BP_ERR_INVAL);
        CHECK_EQ(bp_isend(ctx, sbuf, 8, size, 1, &req), BP_ERR_INVAL);
        CHECK_EQ(bp_isend(ctx, NULL, 8, (rank + 1) % size, 1, &req), BP_ERR_INVAL);
        CHECK_EQ(bp_isend(ctx, sbuf, 8, (rank + 1) % size, 1, NULL), BP_ERR_INVAL);
        CHECK(req == NULL);
    }
    for (size_t s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++) {
        size_t n = sizes[s];
        uint64_t tag = 10 + s;
        if (peer >= size) {
            /* alone: a synchronous send to oneself completes at once */
            bp_request_t *req;
            bp_msginfo_t info;
            fill(sbuf, n, (int)s);
            CHECK_OK(bp_issend(ctx, sbuf, n, rank, tag, &req));
            CHECK_OK(bp_recv(ctx, rbuf, n, rank, tag, 0, &info));
            CHECK_OK(bp_wait(&req, NULL));
            CHECK_EQ(info.length, n);
            CHECK(memcmp(rbuf, sbuf, n) == 0);
        } else if (rank % 2 == 0) {
            bp_request_t *req;
            bp_msginfo_t info;
            int done = 0;
            double until;
            char go = 1;
            fill(sbuf, n, rank + (int)s);
            CHECK_OK(bp_issend(ctx, sbuf, n, peer, tag, &req));
            until = now_ms() + HOLD_MS;
            while (now_ms() < until) {
                CHECK_OK(bp_test(&req, &done, &info));
                CHECK_EQ(done, 0);
            }
            CHECK_OK(bp_send(ctx, &go, 1, peer, 1));
            CHECK_OK(bp_wait(&req, &info));
            CHECK_EQ(info.status, BP_OK);
            CHECK_EQ(info.length, n);
        } else {
            bp_msginfo_t info;
            char go;
            CHECK_OK(bp_recv(ctx, &go, 1, peer, 1, 0, NULL));
            CHECK_OK(bp_recv(ctx, rbuf, sizeof(rbuf), peer, tag, 0, &info));
            CHECK_EQ(info.length, n);
            fill(want, n, peer + (int)s);
            CHECK(memcmp(rbuf, want, n) == 0);
        }
        CHECK_OK(bp_barrier(ctx));
    }
    itest_fini(ctx, "issend");
    return 0;
}
