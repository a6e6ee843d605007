/*
 * mixed_sleep.c - blocking progress in a rank that has peers on its own host (shm) and on
 * another (xdp or tcp): it sleeps in one poll() over both transports, and a frame through
 * either wakes it. Run by two_hosts.sh with 2 ranks per host and BP_PROGRESS=block (or
 * adaptive): ranks 0 and 1 on host 0, ranks 2 and 3 on host 1.
 *
 *   1. shm ping-pong inside each host (0 <-> 1, 2 <-> 3). Each receive sleeps; the sender's
 *      frame must wake it through shm's wake socket: the poll()s that ended with nothing
 *      to read (a wake-up that never came, the sleep running out) stay a small share of
 *      the messages. Before the single poll(), a rank with two transports slept 1 ms in
 *      the network's wait and woke by timeout for every shm message. Those wake-ups are
 *      measured (params.woke): one in 20 messages at least (a frame that comes before the
 *      poll() begins ends a sleep that teaches nothing), each sleep at most once.
 *   2. ping-pong between the hosts (0 <-> 2, 1 <-> 3): the network wakes the same poll().
 *   3. A long wait: ranks 1 and 3 wait in a receive for a message sent after 1 s. The rank
 *      sleeps until then (a few sleeps of the block timeout, and wake-ups by the network's
 *      keep-alives, and over xdp when its resend and probe timers are due), not once a
 *      millisecond.
 *
 * Reads the core's sleep counters (core/core.h): a test beside the code.
 */
#include <time.h>
#include <unistd.h>

#include "../integration/itest.h"
#include "core/core.h"

#define ROUNDS 2000
#define NET_ROUNDS 500
#define IDLE_MS 1000

static void pingpong(bp_context_t *ctx, int peer, int first, int rounds, uint64_t tag)
{
    uint64_t out = 0, in = 0;

    for (int i = 0; i < rounds; i++) {
        bp_msginfo_t info;
        if (first) {
            out = ((uint64_t)i << 8) | (uint64_t)ctx->rank;
            CHECK_OK(bp_send(ctx, &out, sizeof(out), peer, tag));
            CHECK_OK(bp_recv(ctx, &in, sizeof(in), peer, tag, 0, &info));
            CHECK_EQ(in, ((uint64_t)i << 8) | (uint64_t)peer);
        } else {
            CHECK_OK(bp_recv(ctx, &in, sizeof(in), peer, tag, 0, &info));
            CHECK_EQ(in, ((uint64_t)i << 8) | (uint64_t)peer);
            out = ((uint64_t)i << 8) | (uint64_t)ctx->rank;
            CHECK_OK(bp_send(ctx, &out, sizeof(out), peer, tag));
        }
        CHECK_EQ(info.length, sizeof(in));
    }
}

int main(void)
{
    int rank, size;
    bp_context_t *ctx = itest_init(&rank, &size);
    bpi_sleeps_t s0, s1;
    uint64_t v = 0;
    bp_msginfo_t info;

    CHECK_EQ(size, 4);
    /* two transports in use: shm to the host's other rank, the network to the others */
    CHECK_EQ(ctx->nactive, 2);
    CHECK_OK(bp_barrier(ctx));

    /* 1: shm */
    s0 = ctx->sleeps;
    uint64_t w0 = ctx->adapt.nwakes;
    pingpong(ctx, rank ^ 1, (rank & 1) == 0, ROUNDS, 1);
    s1 = ctx->sleeps;
    fprintf(stderr, "rank %d: %llu wake-ups measured, %llu ns on average\n", rank,
            (unsigned long long)(ctx->adapt.nwakes - w0), (unsigned long long)ctx->adapt.wake_ns);
    CHECK(ctx->adapt.nwakes - w0 >= ROUNDS / 20);
    CHECK(ctx->adapt.nwakes - w0 <= s1.n - s0.n);
    CHECK(ctx->adapt.wake_ns > 0); /* a real wake-up takes time: a sample of our clocks */
    fprintf(stderr, "rank %d: shm ping-pong: %llu sleeps, %llu in poll(), %llu idle\n", rank,
            (unsigned long long)(s1.n - s0.n), (unsigned long long)(s1.polls - s0.polls),
            (unsigned long long)(s1.polls_idle - s0.polls_idle));
    CHECK(s1.polls > s0.polls); /* it did sleep on both transports */
    CHECK(s1.polls_idle - s0.polls_idle <= ROUNDS / 10);
    CHECK_OK(bp_barrier(ctx));

    /* 2: between the hosts */
    pingpong(ctx, rank ^ 2, rank < 2, NET_ROUNDS, 2);
    CHECK_OK(bp_barrier(ctx));

    /* 3: a long wait */
    s0 = ctx->sleeps;
    if ((rank & 1) == 0) {
        struct timespec ts = {.tv_sec = IDLE_MS / 1000, .tv_nsec = (IDLE_MS % 1000) * 1000000L};
        nanosleep(&ts, NULL);
        v = 0x5eed0000u + (unsigned)rank;
        CHECK_OK(bp_send(ctx, &v, sizeof(v), rank + 1, 3));
    } else {
        CHECK_OK(bp_recv(ctx, &v, sizeof(v), rank - 1, 3, 0, &info));
        CHECK_EQ(v, 0x5eed0000u + (unsigned)(rank - 1));
        s1 = ctx->sleeps;
        fprintf(stderr, "rank %d: %d ms wait: %llu sleeps, %llu idle\n", rank, IDLE_MS,
                (unsigned long long)(s1.n - s0.n),
                (unsigned long long)(s1.polls_idle - s0.polls_idle));
        CHECK(s1.n > s0.n);
        /* over xdp, frames of ours that the other host has not acknowledged (its ranks
         * sleep in nanosleep, not in the library) keep the resend and probe timers running:
         * the sleeps end when those are due (backing off to 100 ms, a probe every 50 ms),
         * not every millisecond (xdp_progress.c, bpi_xdp_wait_fd) */
        CHECK(s1.n - s0.n < IDLE_MS / 4);
    }
    itest_fini(ctx, "mixed_sleep");
    return 0;
}
