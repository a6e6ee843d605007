/*
 * probe_util.h - what the probes that time waiting designs without the library share
 * (oversub_probe.c, oversub_floor.c, order_floor.c): the clock, the raw futex calls and
 * the floors' command line. Header only.
 */
#ifndef BENCH_PROBE_UTIL_H
#define BENCH_PROBE_UTIL_H

#include <limits.h>
#include <linux/futex.h>
#include <stdio.h>
#include <stdlib.h>
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

/* A floor's command line, [NPROCS [ROUNDS [LAPS]]], each defaulting to *p as given; 0, or
 * 2 after a usage line on stderr when out of range. */
static inline int floor_args(int argc, char **argv, const char *name, int maxprocs,
                             int *nprocs_p, int *rounds_p, int *laps_p)
{
    *nprocs_p = argc > 1 ? atoi(argv[1]) : *nprocs_p;
    *rounds_p = argc > 2 ? atoi(argv[2]) : *rounds_p;
    *laps_p = argc > 3 ? atoi(argv[3]) : *laps_p;
    if (*nprocs_p < 2 || *nprocs_p > maxprocs || *rounds_p < 1 || *rounds_p > 1000 ||
        *laps_p < 1 || *laps_p > 10000000) {
        fprintf(stderr, "usage: %s [NPROCS (2..%d) [ROUNDS (1..1000) [LAPS]]]\n", name,
                maxprocs);
        return 2;
    }
    return 0;
}

#endif /* BENCH_PROBE_UTIL_H */
