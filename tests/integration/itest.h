/*
 * itest.h - helpers for the integration tests: programs started by bprun (or alone, as
 * singletons) that talk through the public API only. A failed check prints where, both
 * values and the rank, and exits 1, so bprun stops the job and the test fails.
 */
#ifndef ITEST_H
#define ITEST_H

#include <bypass.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

static int itest_rank = -1;

#define CHECK_EQ(a, b)                                                                         \
    do {                                                                                       \
        long long va_ = (long long)(a), vb_ = (long long)(b);                                  \
        if (va_ != vb_) {                                                                      \
            fprintf(stderr, "rank %d: %s:%d: CHECK_EQ(%s, %s) failed: %lld != %lld\n",         \
                    itest_rank, __FILE__, __LINE__, #a, #b, va_, vb_);                         \
            exit(1);                                                                           \
        }                                                                                      \
    } while (0)

#define CHECK_OK(call)                                                                         \
    do {                                                                                       \
        bp_status_t st_ = (call);                                                              \
        if (st_ != BP_OK) {                                                                    \
            fprintf(stderr, "rank %d: %s:%d: %s failed: %s (%d)\n", itest_rank, __FILE__,      \
                    __LINE__, #call, bp_strerror(st_), (int)st_);                              \
            exit(1);                                                                           \
        }                                                                                      \
    } while (0)

#define CHECK(cond)                                                                            \
    do {                                                                                       \
        if (!(cond)) {                                                                         \
            fprintf(stderr, "rank %d: %s:%d: CHECK(%s) failed\n", itest_rank, __FILE__,        \
                    __LINE__, #cond);                                                          \
            exit(1);                                                                           \
        }                                                                                      \
    } while (0)

/* Wall and CPU clocks, for the tests that assert how much CPU a wait uses. */
static inline double itest_now_s(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* CPU time this process used, user + system (getrusage). */
static inline double itest_cpu_s(void)
{
    struct rusage ru;

    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
           (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
}

static inline bp_context_t *itest_init(int *rank_p, int *size_p)
{
    bp_context_t *ctx;

    CHECK_OK(bp_init(&ctx));
    CHECK_OK(bp_rank(ctx, rank_p));
    CHECK_OK(bp_size(ctx, size_p));
    itest_rank = *rank_p;
    return ctx;
}

static inline void itest_fini(bp_context_t *ctx, const char *name)
{
    CHECK_OK(bp_finalize(ctx));
    printf("rank %d: %s passed\n", itest_rank, name);
}

/* A byte pattern that depends on message, offset and a seed. */
static inline unsigned char itest_byte(uint64_t seed, size_t i)
{
    return (unsigned char)((seed * 2654435761u) ^ (i * 31) ^ (i >> 8));
}

static inline void itest_fill(unsigned char *buf, size_t len, uint64_t seed)
{
    for (size_t i = 0; i < len; i++) {
        buf[i] = itest_byte(seed, i);
    }
}

static inline void itest_verify(const unsigned char *buf, size_t len, uint64_t seed)
{
    for (size_t i = 0; i < len; i++) {
        if (buf[i] != itest_byte(seed, i)) {
            fprintf(stderr, "rank %d: byte %zu of %zu is %u, expected %u (seed %" PRIu64 ")\n",
                    itest_rank, i, len, buf[i], itest_byte(seed, i), seed);
            exit(1);
        }
    }
}

#endif
