/*
 * probe_util.h - what the two probes that time waiting designs without the library share
 * (oversub_probe.c, oversub_floor.c): the clock and the raw futex calls. Header only.
 */
#ifndef BENCH_PROBE_UTIL_H
#define BENCH_PROBE_UTIL_H

#include <limits.h>
#include <linux/futex.h>
#include <stdatomic.h>
#include <stdint.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static inline uint64_t now_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* Sleep while *word == val (or until a wake-up). */
static inline void futex_wait(_Atomic uint32_t *word, uint32_t val)
{
    syscall(SYS_futex, word, FUTEX_WAIT, val, NULL, NULL, 0);
}

/* Wake every sleeper on word. */
static inline void futex_wake(_Atomic uint32_t *word)
{
    syscall(SYS_futex, word, FUTEX_WAKE, INT_MAX, NULL, NULL, 0);
}

#endif /* BENCH_PROBE_UTIL_H */
