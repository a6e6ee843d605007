/*
 * wake_cost.c - blocking progress measures what a wake-up costs (params.woke, shm's
 * woken_ns; adaptive progress yields for about that long before it sleeps beside CPU-mates
 * that all wait, src/core/progress.c). Two ranks, BP_PROGRESS=block, shm only (its futex
 * sleep): a ping-pong whose receives sleep and are woken by the other's frame. Many sleeps
 * are measured (one in 20 at least: a frame that comes while the receiver says it sleeps,
 * before its futex wait, ends the sleep before it began, and such a sleep teaches nothing;
 * under ThreadSanitizer 80% of one rank's sleeps ended so), none twice, and the average is
 * a real time (above zero).
 * Reads the core's counters (core/core.h): a test beside the code.
 */
#include "itest.h"
#include "core/core.h"

#define ROUNDS 2000

int main(void)
{
    int rank, size;
    bp_context_t *ctx = itest_init(&rank, &size);
    uint64_t n0, w0, v = 0;
    bp_msginfo_t info;

    CHECK_EQ(size, 2);
    CHECK_EQ(ctx->nactive, 1); /* the futex sleep: one transport */
    CHECK_OK(bp_barrier(ctx));
    n0 = ctx->sleeps.n;
    w0 = ctx->adapt.nwakes;
    for (uint64_t i = 0; i < ROUNDS; i++) {
        if (rank == 0) {
            v = i;
            CHECK_OK(bp_send(ctx, &v, sizeof(v), 1, 1));
            CHECK_OK(bp_recv(ctx, &v, sizeof(v), 1, 1, 0, &info));
        } else {
            CHECK_OK(bp_recv(ctx, &v, sizeof(v), 0, 1, 0, &info));
            CHECK_OK(bp_send(ctx, &v, sizeof(v), 0, 1));
        }
        CHECK_EQ(v, i);
    }
    fprintf(stderr, "rank %d: %llu sleeps, %llu wake-ups measured, %llu ns on average\n", rank,
            (unsigned long long)(ctx->sleeps.n - n0),
            (unsigned long long)(ctx->adapt.nwakes - w0), (unsigned long long)ctx->adapt.wake_ns);
    CHECK(ctx->sleeps.n - n0 >= ROUNDS / 2); /* block mode: receives sleep */
    CHECK(ctx->adapt.nwakes - w0 >= ROUNDS / 20);
    CHECK(ctx->adapt.nwakes - w0 <= ctx->sleeps.n - n0);
    CHECK(ctx->adapt.wake_ns > 0);
    itest_fini(ctx, "wake_cost");
    return 0;
}
