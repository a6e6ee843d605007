/*
 * A token around the ring of all ranks (rank r sends to r + 1), LAPS times (argv[1], default
 * 2000), then BARRIERS barriers (argv[2], default 0), each followed by a check that every
 * rank had arrived (an allreduce of the barrier count): the patterns the CPU hand-off of
 * adaptive progress serves (src/core/coll_shm.c). Each
 * rank adds its rank to the token and checks what it receives against what the ranks before
 * it must have added; the lap number rides along. With more ranks than CPUs every hop needs
 * the receiver to get a CPU; handoff.sh checks, from the debug log, that the hand-off was
 * used. Prints, from each rank, "hop r -> r+1 on cpu C -> D" for the first lap (bprun's
 * binding, seen from the ranks).
 */
#define _GNU_SOURCE
#include <sched.h>

#include "itest.h"

int main(int argc, char **argv)
{
    int rank, size;
    long laps = argc > 1 ? atol(argv[1]) : 2000;
    long barriers = argc > 2 ? atol(argv[2]) : 0;
    bp_context_t *ctx = itest_init(&rank, &size);
    uint64_t tri = (uint64_t)size * (uint64_t)(size - 1) / 2; /* 0 + 1 + ... + size-1 */
    int next = (rank + 1) % size, prev = (rank + size - 1) % size;

    CHECK(laps >= 0 && laps <= 10000000);
    CHECK(barriers >= 0 && barriers <= 10000000);
    CHECK(size >= 2);
    for (long lap = 0; lap < laps; lap++) {
        uint64_t tok[2] = {0, 0};
        if (rank == 0) {
            tok[0] = (uint64_t)lap;
            tok[1] = (uint64_t)lap * tri;
            CHECK_OK(bp_send(ctx, tok, sizeof(tok), next, 5));
            CHECK_OK(bp_recv(ctx, tok, sizeof(tok), prev, 5, 0, NULL));
            CHECK_EQ(tok[0], lap);
            CHECK_EQ(tok[1], (uint64_t)(lap + 1) * tri);
        } else {
            CHECK_OK(bp_recv(ctx, tok, sizeof(tok), prev, 5, 0, NULL));
            CHECK_EQ(tok[0], lap);
            /* ranks 1 .. rank-1 of this lap have added to it */
            CHECK_EQ(tok[1], (uint64_t)lap * tri + (uint64_t)rank * (uint64_t)(rank - 1) / 2);
            tok[1] += (uint64_t)rank;
            CHECK_OK(bp_send(ctx, tok, sizeof(tok), next, 5));
        }
    }
    for (long b = 0; b < barriers; b++) {
        double mine = (double)b, sum = 0;
        CHECK_OK(bp_barrier(ctx));
        if (b % 64 == 0) {
            CHECK_OK(bp_allreduce(ctx, &mine, &sum, 1, BP_DT_DOUBLE, BP_OP_SUM));
            CHECK_EQ((long long)sum, (long long)b * size);
        }
    }
    printf("rank %d cpu %d\n", rank, sched_getcpu());
    itest_fini(ctx, "handoff_ring");
    return 0;
}
