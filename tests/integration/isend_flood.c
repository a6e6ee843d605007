/*
 * Nonblocking sends that find no room: every rank but 0 posts FLOOD small sends to rank 0
 * (sizes 0..200 bytes, each one frame) while rank 0 is not receiving yet, so the first ones
 * go out at once (bp_isend's fast path: the request is born complete) and the rest find the
 * peer's ring full and wait in the send queue, in order, behind them. Then rank 0 receives
 * everything from each sender: every message in send order, with its size, tag and bytes;
 * every send request completes with BP_OK and reports its own tag and length. Rounds after
 * the first run without the sleep: rank 0 receives while the senders post, so rings fill and
 * drain while sends are posted, and a send posted when room has just come back must still
 * go out behind those queued before it.
 */
#include <time.h>

#include "itest.h"

#define FLOOD 3000
#define MAXLEN 200
#define ROUNDS 5

static size_t flood_len(int i)
{
    return (size_t)((i * 37) % (MAXLEN + 1));
}

static void flood_fill(unsigned char *buf, int src, int i)
{
    for (size_t k = 0; k < flood_len(i); k++) {
        buf[k] = (unsigned char)(src * 131 + i * 7 + (int)k);
    }
}

int main(void)
{
    static unsigned char sbuf[FLOOD][MAXLEN];
    static bp_request_t *sreq[FLOOD];
    static bp_msginfo_t sinfo[FLOOD];
    int rank, size;
    bp_context_t *ctx = itest_init(&rank, &size);

    if (size < 2) {
        itest_fini(ctx, "isend_flood");
        return 0;
    }
    for (int round = 0; round < ROUNDS; round++) {
        uint64_t tag0 = (uint64_t)round * FLOOD;
        if (rank != 0) {
            int done = 1;
            for (int i = 0; i < FLOOD; i++) {
                flood_fill(sbuf[i], rank + round, i);
                CHECK_OK(bp_isend(ctx, sbuf[i], flood_len(i), 0, tag0 + (uint64_t)i, &sreq[i]));
            }
            if (round == 0) {
                /* rank 0 sleeps before it receives: the ring (128 slots) cannot hold 3000
                 * frames, so the last send is still queued */
                CHECK_OK(bp_test(&sreq[FLOOD - 1], &done, &sinfo[FLOOD - 1]));
                CHECK_EQ(done, 0);
            }
            CHECK_OK(bp_waitall(FLOOD, sreq, sinfo));
            for (int i = 0; i < FLOOD; i++) {
                CHECK_EQ(sinfo[i].status, BP_OK);
                CHECK_EQ(sinfo[i].tag, tag0 + (uint64_t)i);
                CHECK_EQ(sinfo[i].length, flood_len(i));
                CHECK(sreq[i] == NULL);
            }
        } else {
            unsigned char rbuf[MAXLEN], want[MAXLEN];
            if (round == 0) {
                struct timespec pause = {0, 300 * 1000 * 1000};
                nanosleep(&pause, NULL);
            }
            for (int src = 1; src < size; src++) {
                for (int i = 0; i < FLOOD; i++) {
                    bp_msginfo_t info;
                    /* any tag: the order must be the send order on its own */
                    CHECK_OK(bp_recv(ctx, rbuf, sizeof(rbuf), src, 0, ~0ull, &info));
                    CHECK_EQ(info.tag, tag0 + (uint64_t)i);
                    CHECK_EQ(info.length, flood_len(i));
                    flood_fill(want, src + round, i);
                    CHECK(memcmp(rbuf, want, flood_len(i)) == 0);
                }
            }
        }
    }
    itest_fini(ctx, "isend_flood");
    return 0;
}
