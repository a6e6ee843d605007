/*
 * 1e6 small messages in all over a ring (rank r sends to r+1, receives from r-1), with a
 * window of nonblocking sends and receives: every message carries its sequence number and
 * a checksum of its payload; none may be lost, duplicated, reordered or corrupted.
 */
#include "itest.h"

#define TOTAL 1000000
#define WINDOW 64
#define MSG 24

typedef struct msg {
    uint64_t seq;
    uint64_t payload;
    uint64_t sum;
} msg_t;

static uint64_t checksum(uint64_t seq, uint64_t payload)
{
    return (seq * 0x9e3779b97f4a7c15ull) ^ payload ^ 0xabcdef;
}

int main(void)
{
    int rank, size;
    bp_context_t *ctx = itest_init(&rank, &size);
    int to = (rank + 1) % size, from = (rank - 1 + size) % size;
    uint64_t per_rank = TOTAL / (uint64_t)size;
    msg_t sbuf[WINDOW], rbuf[WINDOW];
    bp_request_t *sreq[WINDOW], *rreq[WINDOW];
    uint64_t expect = 0, received = 0;

    _Static_assert(sizeof(msg_t) == MSG, "message size");
    for (uint64_t base = 0; base < per_rank; base += WINDOW) {
        uint64_t n = per_rank - base < WINDOW ? per_rank - base : WINDOW;
        for (uint64_t i = 0; i < n; i++) {
            CHECK_OK(bp_irecv(ctx, &rbuf[i], sizeof(rbuf[i]), from, 7, 0, &rreq[i]));
        }
        for (uint64_t i = 0; i < n; i++) {
            sbuf[i].seq = base + i;
            sbuf[i].payload = (base + i) * 3 + (uint64_t)rank;
            sbuf[i].sum = checksum(sbuf[i].seq, sbuf[i].payload);
            CHECK_OK(bp_isend(ctx, &sbuf[i], sizeof(sbuf[i]), to, 7, &sreq[i]));
        }
        CHECK_OK(bp_waitall(n, sreq, NULL));
        for (uint64_t i = 0; i < n; i++) {
            bp_msginfo_t info;
            CHECK_OK(bp_wait(&rreq[i], &info));
            CHECK_EQ(info.length, sizeof(msg_t));
            CHECK_EQ(rbuf[i].seq, expect);
            CHECK_EQ(rbuf[i].payload, expect * 3 + (uint64_t)from);
            CHECK_EQ(rbuf[i].sum, checksum(rbuf[i].seq, rbuf[i].payload));
            expect++;
            received++;
        }
    }
    CHECK_EQ(received, per_rank);
    itest_fini(ctx, "many_messages");
    return 0;
}
