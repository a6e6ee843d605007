/*
 * A receive buffer shorter than the message: the request completes with BP_ERR_TRUNC, the
 * info reports the full length, exactly len bytes are written and nothing past them (guard
 * bytes checked), for single-frame, fragmented and rendezvous (100000 bytes) messages,
 * posted and unexpected. The connection stays usable: the next message arrives intact.
 */
#include "itest.h"

#define GUARD 64

/* 1500000: over tcp two frames of up to 1 MiB (send_part), read straight into place, the
 * part past the buffer dropped */
static const size_t msg_sizes[] = {100, 216, 1000, 100000, 1500000};
static const size_t buf_sizes[] = {0, 1, 99, 215, 217, 4096};

int main(void)
{
    int rank, size;
    bp_context_t *ctx = itest_init(&rank, &size);
    unsigned char *buf = malloc(1500000 + GUARD);
    unsigned char small[10];

    CHECK(buf != NULL);
    for (size_t m = 0; m < sizeof(msg_sizes) / sizeof(msg_sizes[0]); m++) {
        for (size_t b = 0; b < sizeof(buf_sizes) / sizeof(buf_sizes[0]); b++) {
            size_t n = msg_sizes[m], cap = buf_sizes[b];
            uint64_t seed = m * 10 + b;
            if (cap >= n) {
                continue;
            }
            for (int unexpected = 0; unexpected < 2; unexpected++) {
                if (rank == 1) {
                    bp_request_t *sreq[2];
                    if (!unexpected) {
                        CHECK_OK(bp_barrier(ctx));
                    }
                    itest_fill(buf, n, seed);
                    CHECK_OK(bp_isend(ctx, buf, n, 0, 5, &sreq[0]));
                    itest_fill(small, 10, seed + 1);
                    CHECK_OK(bp_isend(ctx, small, 10, 0, 6, &sreq[1])); /* arrives intact */
                    if (unexpected) {
                        CHECK_OK(bp_barrier(ctx));
                    }
                    CHECK_OK(bp_waitall(2, sreq, NULL));
                } else if (rank == 0) {
                    bp_request_t *req;
                    bp_msginfo_t info;
                    memset(buf, 0xEE, cap + GUARD);
                    if (unexpected) {
                        CHECK_OK(bp_barrier(ctx)); /* the message is (being) sent */
                    }
                    CHECK_OK(bp_irecv(ctx, buf, cap, 1, 5, 0, &req));
                    if (!unexpected) {
                        CHECK_OK(bp_barrier(ctx));
                    }
                    CHECK_EQ(bp_wait(&req, &info), BP_ERR_TRUNC);
                    CHECK(req == NULL);
                    CHECK_EQ(info.status, BP_ERR_TRUNC);
                    CHECK_EQ(info.length, n);
                    CHECK_EQ(info.source, 1);
                    itest_verify(buf, cap, seed);
                    for (size_t g = cap; g < cap + GUARD; g++) {
                        CHECK_EQ(buf[g], 0xEE);
                    }
                    CHECK_OK(bp_recv(ctx, buf, 10, 1, 6, 0, &info));
                    CHECK_EQ(info.length, 10);
                    itest_verify(buf, 10, seed + 1);
                } else {
                    CHECK_OK(bp_barrier(ctx));
                }
            }
        }
    }
    /* the blocking form reports it too */
    if (rank == 1) {
        CHECK_OK(bp_send(ctx, "hello world", 12, 0, 9));
    } else if (rank == 0) {
        bp_msginfo_t info;
        CHECK_EQ(bp_recv(ctx, buf, 5, 1, 9, 0, &info), BP_ERR_TRUNC);
        CHECK_EQ(info.length, 12);
        CHECK(memcmp(buf, "hello", 5) == 0);
    }
    free(buf);
    itest_fini(ctx, "recv_truncate");
    return 0;
}
