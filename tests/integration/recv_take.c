/*
 * A blocking receive from one peer takes that peer's next message straight from the
 * transport when it may (core/progress.c, wait_take: shm's fast ring), and leaves everything
 * else to the usual arrival path. This program makes rank 0 wait on one sender at a time
 * while that sender's frames arrive, in the cases where taking would be wrong:
 *
 *   - the next message has another tag: it must go to the unexpected queue, and the one
 *     after it, which matches, be received first;
 *   - the message is longer than the buffer: BP_ERR_TRUNC with the real length, the bytes
 *     that fit, and nothing written past the buffer;
 *   - sizes from 0 to past the rendezvous threshold: one slot, several slots, fragmented
 *     messages, rendezvous (a take of the first frame of a fragmented message, or of the
 *     frame after a rendezvous matched the receive, would corrupt them);
 *   - a rendezvous message then an eager one, sent at once: the eager frame may come
 *     while the first receive still waits for the rendezvous data (BP_SHM_CMA=off);
 *   - an earlier receive is posted for the same peer and tag: it must get the first message;
 *   - an ignore mask: the sender's full tag is reported;
 *   - a stream of mixed sizes and tags long enough to wrap the ring many times (pad frames).
 *
 * Every other rank sends rank 0 a few messages of its own at the start, which arrive while
 * rank 0 waits on someone else and are received (and checked) at the end. The senders take
 * turns: rank 0 tells a sender "go" and is then already waiting when its frames come. Runs
 * in every progress mode (ctest: 2, 4 and 8 ranks, block), through the shared queue
 * only, and without the single-copy path.
 */
#include <time.h>

#include "itest.h"

#define TAG_A 0x100
#define TAG_B 0x200
#define TAG_GO 0x300
#define TAG_NOISE 0x400
#define WARMUP 40   /* more than BP_SHM_RING_THRESH: the sender gets its fast ring */
#define NOISE 5
#define STREAM 3000 /* even: received by pairs */
#define MAXMSG 70000 /* above the rendezvous threshold (64 KiB) */

static const size_t sizes[] = {0, 1, 8, 200, 216, 217, 1000, 5000, 8000, 20000, MAXMSG};
#define NSIZES (sizeof(sizes) / sizeof(sizes[0]))

/* The stream's i-th message: a size up to 3000 bytes and tag A or B, from a fixed sequence. */
static uint64_t stream_rand(uint64_t i)
{
    uint64_t x = i * 0x9E3779B97F4A7C15ull;
    x ^= x >> 29;
    return x * 0xBF58476D1CE4E5B9ull;
}
static size_t stream_size(uint64_t i)
{
    return (size_t)(stream_rand(i) >> 20) % 3001;
}
static uint64_t stream_tag(uint64_t i)
{
    return (stream_rand(i) >> 8) & 1 ? TAG_B : TAG_A;
}

/* Rank 0 is about to wait on this sender: let it be waiting when the next frames come. */
static void go_wait(bp_context_t *ctx)
{
    char go;
    struct timespec ms = {0, 1000000};

    CHECK_OK(bp_recv(ctx, &go, 1, 0, TAG_GO, 0, NULL));
    nanosleep(&ms, NULL);
}

static void go_send(bp_context_t *ctx, int src)
{
    char go = 1;

    CHECK_OK(bp_send(ctx, &go, 1, src, TAG_GO));
}

static void recv_check(bp_context_t *ctx, unsigned char *buf, int src, uint64_t tag,
                       uint64_t ignore, size_t len, uint64_t want_tag, uint64_t seed)
{
    bp_msginfo_t info;

    memset(buf, 0xEE, len);
    CHECK_OK(bp_recv(ctx, buf, MAXMSG, src, tag, ignore, &info));
    CHECK_EQ(info.source, src);
    CHECK_EQ(info.tag, want_tag);
    CHECK_EQ(info.length, len);
    CHECK_EQ(info.status, BP_OK);
    itest_verify(buf, len, seed);
}

static void sender(bp_context_t *ctx, int rank, unsigned char *buf)
{
    uint64_t s = (uint64_t)rank << 32;

    for (int i = 0; i < NOISE; i++) {
        itest_fill(buf, 100, s + 900000 + (uint64_t)i);
        CHECK_OK(bp_send(ctx, buf, 100, 0, TAG_NOISE));
    }
    go_wait(ctx);
    for (int i = 0; i < WARMUP; i++) {
        itest_fill(buf, 8, s + (uint64_t)i);
        CHECK_OK(bp_send(ctx, buf, 8, 0, TAG_A));
    }
    /* another tag first, then the one rank 0 waits for */
    go_wait(ctx);
    itest_fill(buf, 16, s + 1000);
    CHECK_OK(bp_send(ctx, buf, 16, 0, TAG_B));
    itest_fill(buf, 24, s + 1001);
    CHECK_OK(bp_send(ctx, buf, 24, 0, TAG_A));
    /* into a 4-byte buffer */
    go_wait(ctx);
    itest_fill(buf, 8, s + 1002);
    CHECK_OK(bp_send(ctx, buf, 8, 0, TAG_A));
    for (size_t i = 0; i < NSIZES; i++) {
        itest_fill(buf, sizes[i], s + 2000 + i);
        CHECK_OK(bp_send(ctx, buf, sizes[i], 0, TAG_A));
    }
    /* a rendezvous, and an eager message that may overtake its data frames on the wire */
    {
        bp_request_t *reqs[2];
        unsigned char *big = malloc(MAXMSG);
        CHECK(big != NULL);
        itest_fill(big, MAXMSG, s + 2500);
        itest_fill(buf, 8, s + 2501);
        go_wait(ctx);
        CHECK_OK(bp_isend(ctx, big, MAXMSG, 0, TAG_A, &reqs[0]));
        nanosleep(&(struct timespec){0, 2000000}, NULL); /* rank 0 matches the RTS */
        CHECK_OK(bp_isend(ctx, buf, 8, 0, TAG_A, &reqs[1]));
        CHECK_OK(bp_waitall(2, reqs, NULL));
        free(big);
    }
    /* two messages, after rank 0 has posted a nonblocking receive before its blocking one */
    go_wait(ctx);
    itest_fill(buf, 32, s + 3000);
    CHECK_OK(bp_send(ctx, buf, 32, 0, TAG_A));
    itest_fill(buf, 32, s + 3001);
    CHECK_OK(bp_send(ctx, buf, 32, 0, TAG_A));
    /* high tag bits that rank 0 ignores */
    itest_fill(buf, 8, s + 4000);
    CHECK_OK(bp_send(ctx, buf, 8, 0, TAG_A | 0xABCD00000000ull));
    for (uint64_t i = 0; i < STREAM; i++) {
        itest_fill(buf, stream_size(i), s + 10000 + i);
        CHECK_OK(bp_send(ctx, buf, stream_size(i), 0, stream_tag(i)));
    }
}

static void receiver(bp_context_t *ctx, int src, unsigned char *buf)
{
    uint64_t s = (uint64_t)src << 32;
    unsigned char small[4 + 16], early[32];
    bp_request_t *req;
    bp_msginfo_t info;

    go_send(ctx, src);
    for (int i = 0; i < WARMUP; i++) {
        recv_check(ctx, buf, src, TAG_A, 0, 8, TAG_A, s + (uint64_t)i);
    }
    go_send(ctx, src);
    recv_check(ctx, buf, src, TAG_A, 0, 24, TAG_A, s + 1001);
    recv_check(ctx, buf, src, TAG_B, 0, 16, TAG_B, s + 1000);

    memset(small, 0xEE, sizeof(small));
    go_send(ctx, src);
    CHECK_EQ(bp_recv(ctx, small, 4, src, TAG_A, 0, &info), BP_ERR_TRUNC);
    CHECK_EQ(info.status, BP_ERR_TRUNC);
    CHECK_EQ(info.length, 8);
    CHECK_EQ(info.source, src);
    itest_verify(small, 4, s + 1002);
    for (size_t i = 4; i < sizeof(small); i++) {
        CHECK_EQ(small[i], 0xEE); /* nothing past the buffer */
    }

    for (size_t i = 0; i < NSIZES; i++) {
        recv_check(ctx, buf, src, TAG_A, 0, sizes[i], TAG_A, s + 2000 + i);
    }

    go_send(ctx, src);
    recv_check(ctx, buf, src, TAG_A, 0, MAXMSG, TAG_A, s + 2500);
    recv_check(ctx, buf, src, TAG_A, 0, 8, TAG_A, s + 2501);

    /* the earlier receive gets the first message, the blocking one the second */
    CHECK_OK(bp_irecv(ctx, early, sizeof(early), src, TAG_A, 0, &req));
    go_send(ctx, src);
    recv_check(ctx, buf, src, TAG_A, 0, 32, TAG_A, s + 3001);
    CHECK_OK(bp_wait(&req, &info));
    CHECK_EQ(info.length, 32);
    itest_verify(early, 32, s + 3000);

    recv_check(ctx, buf, src, TAG_A, 0xFFFFFFFF00000000ull, 8, TAG_A | 0xABCD00000000ull,
               s + 4000);
    /* the stream, by pairs, the second message's tag asked first: it takes the first of
     * the two when both have that tag (order), else the second, and the other receive then
     * finds the one left in the unexpected queue */
    for (uint64_t i = 0; i < STREAM; i += 2) {
        uint64_t first = stream_tag(i) == stream_tag(i + 1) ? i : i + 1;
        uint64_t second = first == i ? i + 1 : i;
        recv_check(ctx, buf, src, stream_tag(i + 1), 0, stream_size(first), stream_tag(first),
                   s + 10000 + first);
        recv_check(ctx, buf, src, stream_tag(i), 0, stream_size(second), stream_tag(second),
                   s + 10000 + second);
    }
}

int main(void)
{
    int rank, size;
    bp_context_t *ctx = itest_init(&rank, &size);
    unsigned char *buf = malloc(MAXMSG);

    CHECK(buf != NULL);
    if (rank != 0) {
        sender(ctx, rank, buf);
    } else {
        for (int src = 1; src < size; src++) {
            receiver(ctx, src, buf);
        }
        /* what the others sent while rank 0 waited on someone else */
        for (int src = 1; src < size; src++) {
            for (int i = 0; i < NOISE; i++) {
                recv_check(ctx, buf, src, TAG_NOISE, 0, 100, TAG_NOISE,
                           ((uint64_t)src << 32) + 900000 + (uint64_t)i);
            }
        }
    }
    CHECK_OK(bp_barrier(ctx));
    free(buf);
    itest_fini(ctx, "recv_take");
    return 0;
}
