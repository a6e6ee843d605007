/*
 * unit.h - the check macros of the unit tests (tests/core, tests/transport): on failure a
 * check prints file, line, the expression and both values on stderr, and the test process
 * exits 1 at once (ctest runs each test as its own process, with a timeout).
 */
#ifndef BP_TESTS_UNIT_H
#define BP_TESTS_UNIT_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define UNIT_FAIL(...)                                                                         \
    do {                                                                                       \
        fprintf(stderr, "%s:%d: ", __FILE__, __LINE__);                                        \
        fprintf(stderr, __VA_ARGS__);                                                          \
        fputc('\n', stderr);                                                                   \
        exit(1);                                                                               \
    } while (0)

#define UNIT_CHECK(cond)                                                                       \
    do {                                                                                       \
        if (!(cond)) {                                                                         \
            UNIT_FAIL("check failed: %s", #cond);                                              \
        }                                                                                      \
    } while (0)

/* Signed comparison (statuses, ranks, lengths that fit). */
#define UNIT_CHECK_EQ(a, b)                                                                    \
    do {                                                                                       \
        long long unit_a_ = (long long)(a), unit_b_ = (long long)(b);                          \
        if (unit_a_ != unit_b_) {                                                              \
            UNIT_FAIL("%s == %s failed: %lld != %lld", #a, #b, unit_a_, unit_b_);              \
        }                                                                                      \
    } while (0)

/* Unsigned 64-bit comparison (tags, positions, masks), printed in decimal and hex. */
#define UNIT_CHECK_EQ_U(a, b)                                                                  \
    do {                                                                                       \
        unsigned long long unit_a_ = (unsigned long long)(a);                                  \
        unsigned long long unit_b_ = (unsigned long long)(b);                                  \
        if (unit_a_ != unit_b_) {                                                              \
            UNIT_FAIL("%s == %s failed: %llu (0x%llx) != %llu (0x%llx)", #a, #b, unit_a_,      \
                      unit_a_, unit_b_, unit_b_);                                              \
        }                                                                                      \
    } while (0)

#define UNIT_CHECK_PTR_EQ(a, b)                                                                \
    do {                                                                                       \
        const void *unit_a_ = (a), *unit_b_ = (b);                                             \
        if (unit_a_ != unit_b_) {                                                              \
            UNIT_FAIL("%s == %s failed: %p != %p", #a, #b, unit_a_, unit_b_);                  \
        }                                                                                      \
    } while (0)

#define UNIT_CHECK_NULL(p) UNIT_CHECK_PTR_EQ((p), NULL)

#define UNIT_CHECK_NOT_NULL(p)                                                                 \
    do {                                                                                       \
        if ((p) == NULL) {                                                                     \
            UNIT_FAIL("%s != NULL failed: it is NULL", #p);                                    \
        }                                                                                      \
    } while (0)

#define UNIT_CHECK_STR_EQ(a, b)                                                                \
    do {                                                                                       \
        const char *unit_a_ = (a), *unit_b_ = (b);                                             \
        if (unit_a_ == NULL || unit_b_ == NULL || strcmp(unit_a_, unit_b_) != 0) {             \
            UNIT_FAIL("%s == %s failed: \"%s\" != \"%s\"", #a, #b,                             \
                      unit_a_ != NULL ? unit_a_ : "(null)",                                    \
                      unit_b_ != NULL ? unit_b_ : "(null)");                                   \
        }                                                                                      \
    } while (0)

/* The string s contains sub. */
#define UNIT_CHECK_STR_HAS(s, sub)                                                             \
    do {                                                                                       \
        const char *unit_s_ = (s), *unit_sub_ = (sub);                                         \
        if (unit_s_ == NULL || strstr(unit_s_, unit_sub_) == NULL) {                           \
            UNIT_FAIL("%s contains %s failed: \"%s\" does not contain \"%s\"", #s, #sub,       \
                      unit_s_ != NULL ? unit_s_ : "(null)", unit_sub_);                        \
        }                                                                                      \
    } while (0)

/* n bytes at a equal those at b; prints the first differing offset and both bytes. */
#define UNIT_CHECK_MEM_EQ(a, b, n)                                                             \
    do {                                                                                       \
        const unsigned char *unit_a_ = (const unsigned char *)(a);                             \
        const unsigned char *unit_b_ = (const unsigned char *)(b);                             \
        size_t unit_n_ = (n);                                                                  \
        for (size_t unit_i_ = 0; unit_i_ < unit_n_; unit_i_++) {                               \
            if (unit_a_[unit_i_] != unit_b_[unit_i_]) {                                        \
                UNIT_FAIL("%s == %s (%zu bytes) failed at byte %zu: 0x%02x != 0x%02x", #a, #b, \
                          unit_n_, unit_i_, unit_a_[unit_i_], unit_b_[unit_i_]);               \
            }                                                                                  \
        }                                                                                      \
    } while (0)

/* Run one named test function and say so, so that a failure's output names its case. */
#define UNIT_RUN(fn)                                                                           \
    do {                                                                                       \
        fprintf(stderr, "-- %s\n", #fn);                                                       \
        fn();                                                                                  \
    } while (0)

static inline uint64_t unit_now_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

#endif
