/*
 * Rendezvous (messages of at least BP_RNDV_THRESH bytes), run with the bulk path (CMA) and,
 * by the rndv_*_nocma tests, with BP_SHM_CMA=off (data streamed through the rings):
 *   - every size around the threshold, content checked, receive posted before and after;
 *   - any-source receives of rendezvous messages from every rank;
 *   - a send buffer may be overwritten as soon as its send request completes;
 *   - a window of 64 concurrent rendezvous messages from every rank to every other, with
 *     checksums.
 */
#include <stdlib.h>

#include "itest.h"

#define THRESH 65536 /* the default BP_RNDV_THRESH */
#define WINDOW 64
#define WSIZE 70000

int main(void)
{
    int rank, size;
    bp_context_t *ctx = itest_init(&rank, &size);
    size_t sizes[] = {16384, THRESH - 2, THRESH - 1, THRESH, THRESH + 1, 1000003, 4u << 20};
    unsigned char *buf = malloc(4u << 20);

    CHECK(buf != NULL);

    /* 1. sizes around the threshold, rank 0 <-> each peer; posted before / after */
    for (int peer = 1; peer < size; peer++) {
        for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
            for (int late = 0; late < 2; late++) {
                size_t n = sizes[i];
                uint64_t seed = (uint64_t)(peer * 100 + (int)i * 2 + late);
                bp_msginfo_t info;
                if (rank == peer) {
                    bp_request_t *req;
                    itest_fill(buf, n, seed);
                    CHECK_OK(bp_isend(ctx, buf, n, 0, 1, &req));
                    CHECK_OK(bp_wait(&req, NULL));
                } else if (rank == 0) {
                    bp_request_t *req;
                    if (late) {
                        /* the RTS (or the eager data) is there before the receive */
                        CHECK_OK(bp_probe(ctx, peer, 1, 0, &info));
                        CHECK_EQ(info.length, n);
                    }
                    memset(buf, 0, n);
                    CHECK_OK(bp_irecv(ctx, buf, n, peer, 1, 0, &req));
                    CHECK_OK(bp_wait(&req, &info));
                    CHECK_EQ(info.length, n);
                    itest_verify(buf, n, seed);
                }
            }
        }
    }
    CHECK_OK(bp_barrier(ctx));

    /* 2. any-source: every rank sends rank 0 one rendezvous message */
    if (rank != 0) {
        itest_fill(buf, 100000, (uint64_t)rank);
        CHECK_OK(bp_send(ctx, buf, 100000, 0, 2));
    } else {
        int seen[4096] = {0};
        for (int i = 1; i < size; i++) {
            bp_msginfo_t info;
            CHECK_OK(bp_recv(ctx, buf, 100000, BP_ANY_SOURCE, 2, 0, &info));
            CHECK(info.source > 0 && info.source < size && !seen[info.source]);
            seen[info.source] = 1;
            itest_verify(buf, 100000, (uint64_t)info.source);
        }
    }
    CHECK_OK(bp_barrier(ctx));

    /* 3. reuse: overwrite the send buffer right after the send completes */
    if (size >= 2 && rank < 2) {
        int other = 1 - rank;
        for (int k = 0; k < 5; k++) {
            if (rank == 0) {
                itest_fill(buf, 200000, (uint64_t)k);
                CHECK_OK(bp_send(ctx, buf, 200000, other, 3));
                memset(buf, 0xAB, 200000); /* must not reach the receiver */
            } else {
                CHECK_OK(bp_recv(ctx, buf, 200000, other, 3, 0, NULL));
                itest_verify(buf, 200000, (uint64_t)k);
            }
        }
    }
    CHECK_OK(bp_barrier(ctx));

    /* 4. a window of WINDOW rendezvous messages to every other rank, all at once */
    {
        int peers = size - 1;
        size_t nreq = (size_t)WINDOW * (size_t)(peers > 0 ? peers : 1);
        unsigned char *sbuf = malloc(WINDOW * (size_t)WSIZE);
        unsigned char *rbuf = malloc(nreq * WSIZE);
        bp_request_t **rreq = calloc(nreq, sizeof(*rreq));
        bp_request_t **sreq = calloc(nreq, sizeof(*sreq));
        size_t k = 0;

        CHECK(sbuf != NULL && rbuf != NULL && rreq != NULL && sreq != NULL);
        for (int w = 0; w < WINDOW; w++) {
            itest_fill(sbuf + (size_t)w * WSIZE, WSIZE, (uint64_t)(rank * 1000 + w));
        }
        for (int d = 1; d < size; d++) {
            int from = (rank - d + size) % size;
            for (int w = 0; w < WINDOW; w++, k++) {
                CHECK_OK(bp_irecv(ctx, rbuf + k * WSIZE, WSIZE, from, 4, 0, &rreq[k]));
            }
        }
        k = 0;
        for (int d = 1; d < size; d++) {
            int to = (rank + d) % size;
            for (int w = 0; w < WINDOW; w++, k++) {
                CHECK_OK(bp_isend(ctx, sbuf + (size_t)w * WSIZE, WSIZE, to, 4, &sreq[k]));
            }
        }
        CHECK_OK(bp_waitall(k, sreq, NULL));
        CHECK_OK(bp_waitall(k, rreq, NULL));
        k = 0;
        for (int d = 1; d < size; d++) {
            int from = (rank - d + size) % size;
            for (int w = 0; w < WINDOW; w++, k++) {
                itest_verify(rbuf + k * WSIZE, WSIZE, (uint64_t)(from * 1000 + w));
            }
        }
        free(sbuf);
        free(rbuf);
        free(rreq);
        free(sreq);
    }
    free(buf);
    itest_fini(ctx, "rndv");
    return 0;
}
