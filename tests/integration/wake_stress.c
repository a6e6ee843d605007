/*
 * No lost wake-up: ranks in pairs (r, r ^ 1) race to sleep and to wake each other, MSGS
 * messages in all (argv[1], default 1e6). Each pair alternates ping-pongs (every message
 * finds its receiver about to sleep, or asleep) and bursts of 1 to 64 messages answered by
 * one ack (the sender runs out of ring room and waits for the receiver to make some, while
 * the receiver may be falling asleep); every 4096 messages a barrier and an allreduce (the
 * shared-memory collectives' wake-ups). Every message carries its number and is checked in
 * order. A lost wake-up shows as a run far longer than usual: the ctest timeout, well
 * above the normal time, fails it (a sleep's timeout, 200 ms, bounds how long a lost
 * wake-up stalls, so the run would crawl rather than hang). With LATE_MS (argv[2]), the odd
 * ranks start LATE_MS milliseconds late, while the even ones wait in their first receive
 * (progress_auto_shared.sh: auto's spinning rank beside a CPU hog turns adaptive there).
 *
 *   bprun -n 8 wake_stress [MSGS [LATE_MS]]      (an even number of ranks)
 */
#include <time.h>
#include <unistd.h>

#include "itest.h"

#define TAG_DATA 1
#define TAG_ACK 2

static void send_seq(bp_context_t *ctx, int peer, uint64_t *seq)
{
    uint64_t msg[2] = {*seq, ~*seq};

    CHECK_OK(bp_send(ctx, msg, sizeof(msg), peer, TAG_DATA));
    (*seq)++;
}

static void recv_seq(bp_context_t *ctx, int peer, uint64_t *seq)
{
    uint64_t msg[2] = {0, 0};

    CHECK_OK(bp_recv(ctx, msg, sizeof(msg), peer, TAG_DATA, 0, NULL));
    CHECK_EQ(msg[0], *seq);
    CHECK_EQ(msg[1], ~*seq);
    (*seq)++;
}

int main(int argc, char **argv)
{
    int rank, size;
    bp_context_t *ctx = itest_init(&rank, &size);
    uint64_t total = argc > 1 ? strtoull(argv[1], NULL, 10) : 1000000;
    long late_ms = argc > 2 ? atol(argv[2]) : 0;
    uint64_t per_pair, done = 0, sent = 0, got = 0, acks = 0, next_sync = 4096, syncs = 0;
    int peer = rank ^ 1, even = (rank & 1) == 0;
    struct timespec t0, t1;

    CHECK(size % 2 == 0);
    CHECK(late_ms >= 0 && late_ms <= 10000);
    per_pair = total / (uint64_t)(size / 2);
    if (!even && late_ms > 0) {
        usleep((useconds_t)late_ms * 1000);
    }
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (uint64_t i = 0; done < per_pair; i++) {
        if (i % 2 == 0) { /* ping-pong: the even rank serves */
            if (even) {
                send_seq(ctx, peer, &sent);
                recv_seq(ctx, peer, &got);
            } else {
                recv_seq(ctx, peer, &got);
                send_seq(ctx, peer, &sent);
            }
            done += 2;
        } else { /* a burst from one side, then an ack */
            uint64_t burst = 1 + (i * 7) % 64;
            int sender = ((i / 2) % 2 == 0) == even;
            char ack = 0;
            for (uint64_t k = 0; k < burst; k++) {
                if (sender) {
                    send_seq(ctx, peer, &sent);
                } else {
                    recv_seq(ctx, peer, &got);
                }
            }
            if (sender) {
                CHECK_OK(bp_recv(ctx, &ack, 1, peer, TAG_ACK, 0, NULL));
            } else {
                CHECK_OK(bp_send(ctx, &ack, 1, peer, TAG_ACK));
            }
            acks++;
            done += burst + 1;
        }
        /* every pair passes its thresholds in its own time: sync on a count all agree on */
        if (done >= next_sync) {
            int64_t one = 1, n = 0;
            CHECK_OK(bp_barrier(ctx));
            CHECK_OK(bp_allreduce(ctx, &one, &n, 1, BP_DT_INT64, BP_OP_SUM));
            CHECK_EQ(n, size);
            syncs++;
            next_sync += 4096;
        }
    }
    /* pairs end after different numbers of syncs: even them out */
    {
        uint64_t most = 0;
        CHECK_OK(bp_allreduce(ctx, &syncs, &most, 1, BP_DT_UINT64, BP_OP_MAX));
        for (; syncs < most; syncs++) {
            int64_t one = 1, n = 0;
            CHECK_OK(bp_barrier(ctx));
            CHECK_OK(bp_allreduce(ctx, &one, &n, 1, BP_DT_INT64, BP_OP_SUM));
            CHECK_EQ(n, size);
        }
    }
    {
        uint64_t mine = sent + got + acks, all = 0; /* each message counted twice */
        CHECK_OK(bp_allreduce(ctx, &mine, &all, 1, BP_DT_UINT64, BP_OP_SUM));
        clock_gettime(CLOCK_MONOTONIC, &t1);
        if (rank == 0) {
            printf("wake_stress: %llu messages in %.2f s\n", (unsigned long long)(all / 2),
                   (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9);
        }
        CHECK_EQ(all % 2, 0);
        CHECK(all / 2 >= per_pair * (uint64_t)(size / 2));
    }
    itest_fini(ctx, "wake_stress");
    return 0;
}
