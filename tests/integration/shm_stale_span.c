/*
 * shm_stale_span (2 ranks, BP_SHM_RING_THRESH=0: rank 0's first frame to rank 1 already
 * goes on a fast ring, from position 0): a message of two slots whose bytes, where the
 * second slot's seq word lies, hold the mark that slot's position will have one lap later.
 * Rank 0 then sends one-slot messages up to that position and stops for 100 ms; rank 1,
 * waiting for the next message, looks at that slot. The old bytes must not pass for a
 * frame: rank 1 gets every message, the last one after the pause, intact. (Before the fast
 * ring's producer zeroed covered slots, rank 1 read stale bytes as a frame, "frame of
 * unknown type", lost its place in the ring and waited for ever.)
 */
#include <unistd.h>

#include "itest.h"

#define SLOT 256 /* BP_SHM_SLOT_SIZE, as the test sets it */
#define HDR 40   /* a slot's seq word and wire header */
#define TAG 7

int main(int argc, char **argv)
{
    int rank, size;
    bp_context_t *ctx = itest_init(&rank, &size);
    unsigned char big[2 * SLOT - HDR], got[2 * SLOT - HDR];
    /* the ring's slots: BP_SHM_RING_SLOTS, or BP_SHM_QUEUE_SLOTS when the test runs with
     * BP_SHM_MAX_RINGS=0 (the shared queue, where the consumer zeroes) */
    uint64_t nslots = argc > 1 ? strtoull(argv[1], NULL, 10) : 128;
    uint64_t forged = 1 + nslots + 1; /* slot 1's mark at position nslots + 1 */
    uint64_t small, v;

    CHECK_EQ(size, 2);
    memset(big, 0x11, sizeof(big)); /* read as a header: type 17, a frame of 286 MB */
    memcpy(big + SLOT - HDR, &forged, sizeof(forged));
    if (rank == 0) {
        CHECK_OK(bp_send(ctx, big, sizeof(big), 1, TAG)); /* position 0, covers slot 1 */
        for (small = 2; small <= nslots; small++) { /* positions 2 .. nslots */
            CHECK_OK(bp_send(ctx, &small, sizeof(small), 1, TAG));
        }
        usleep(100000); /* rank 1 waits at position nslots + 1: slot 1 again */
        small = 999;
        CHECK_OK(bp_send(ctx, &small, sizeof(small), 1, TAG));
    } else {
        CHECK_OK(bp_recv(ctx, got, sizeof(got), 0, TAG, 0, NULL));
        CHECK(memcmp(got, big, sizeof(big)) == 0);
        for (small = 2; small <= nslots; small++) {
            CHECK_OK(bp_recv(ctx, &v, sizeof(v), 0, TAG, 0, NULL));
            CHECK_EQ(v, small);
        }
        CHECK_OK(bp_recv(ctx, &v, sizeof(v), 0, TAG, 0, NULL));
        CHECK_EQ(v, 999);
    }
    itest_fini(ctx, "shm_stale_span");
    return 0;
}
