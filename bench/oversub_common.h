/*
 * oversub_common.h - what the two oversubscription benchmark programs share
 * (oversub_native.c over bypass, oversub_mpi.c over MPI): the benchmarks themselves, the
 * choice of iteration counts, the CPU-use probe and the output. Each program supplies its
 * library's calls in an oversub_ops_t and calls oversub_run; the calls abort the job on
 * failure, so nothing here checks them. Header only, so that scripts/bench-oversub.sh can
 * build oversub_mpi.c alone with mpicc.openmpi and mpicc.mpich.
 *
 * Every rank runs, in this order:
 *   barrier      time per call;
 *   allreduce8   an allreduce of one double (8 B, sum), time per call;
 *   ring         a token passed around the ring of all ranks (rank r sends to r + 1), time
 *                per hop (one send and one receive);
 *   idle         (2 or more ranks) rank 0 sleeps 2 s, then sends to rank 1, which waits in
 *                a receive: the CPU rank 1 used meanwhile (getrusage), in % of a core.
 *
 * Each timed benchmark first runs a few warm-up calls, from which rank 0 picks an iteration
 * count worth about TARGET seconds (at most 100000, at least 20) and broadcasts it, so that
 * spinning 8 ranks on 2 CPUs (tens of ms per barrier) stays bounded too. Output: one
 * "name value" line per benchmark from rank 0 (microseconds, or percent for idle).
 */
#ifndef OVERSUB_COMMON_H
#define OVERSUB_COMMON_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

typedef struct oversub_ops {
    int rank, size;
    void (*barrier)(void);
    void (*allreduce8)(void);     /* one double, sum */
    void (*bcast_u64)(uint64_t *v); /* from rank 0 */
    void (*send)(const void *buf, size_t len, int dest, int tag);
    void (*recv)(void *buf, size_t len, int src, int tag);
    int any_source; /* the library's "any source" for recv */
} oversub_ops_t;

static const oversub_ops_t *oversub_ops;

static double oversub_now_s(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double oversub_cpu_s(void)
{
    struct rusage ru;

    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
           (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
}

/* One lap of the token: size hops. */
static void oversub_ring(void)
{
    const oversub_ops_t *o = oversub_ops;
    int token = 0;

    if (o->rank == 0) {
        o->send(&token, sizeof(token), 1 % o->size, 7);
        o->recv(&token, sizeof(token), o->size - 1, 7);
    } else {
        o->recv(&token, sizeof(token), o->rank - 1, 7);
        o->send(&token, sizeof(token), (o->rank + 1) % o->size, 7);
    }
}

/* Rank 1 computes OVERSUB_WORK_US microseconds (environment, default 100) of its own CPU
 * time outside the library, then a barrier: the others wait for a late rank, side by side
 * where they share a CPU. CPU time, not the clock: a rank that takes the CPU from the one
 * computing (its CPU-mates, spinning or yielding) makes the round longer, as it would a
 * real computation. */
static double oversub_work_us = 100;

static double oversub_thread_cpu_s(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void oversub_work(void)
{
    double end = oversub_thread_cpu_s() + oversub_work_us * 1e-6;
    volatile uint64_t sink = 0;

    for (long i = 0; i < 100000000 && oversub_thread_cpu_s() < end; i++) {
        for (int k = 0; k < 64; k++) {
            sink += (uint64_t)k;
        }
    }
}

static void oversub_imbalance(void)
{
    const oversub_ops_t *o = oversub_ops;

    if (o->rank == 1) {
        oversub_work();
    }
    o->barrier();
}

/* The same work, then rank 1 sends each other rank a message, which it receives from any
 * source and answers; rank 1 takes the answers from any source. */
static void oversub_imbalance_any(void)
{
    const oversub_ops_t *o = oversub_ops;
    int token = 0;

    if (o->rank == 1) {
        oversub_work();
        for (int r = 0; r < o->size; r++) {
            if (r != 1) {
                o->send(&token, sizeof(token), r, 11);
            }
        }
        for (int r = 0; r < o->size; r++) {
            if (r != 1) {
                o->recv(&token, sizeof(token), o->any_source, 12);
            }
        }
    } else {
        o->recv(&token, sizeof(token), o->any_source, 11);
        o->send(&token, sizeof(token), 1, 12);
    }
}

/* Time per call of op (per hop for the ring), in microseconds, as rank 0 sees it. */
static double oversub_timed(void (*op)(void), double target_s, int per)
{
    const oversub_ops_t *o = oversub_ops;
    double t0, warm;
    uint64_t iters;

    o->barrier();
    t0 = oversub_now_s();
    for (int i = 0; i < 10; i++) {
        op();
    }
    warm = (oversub_now_s() - t0) / 10;
    iters = warm > 0 ? (uint64_t)(target_s / warm) : 100000;
    iters = iters < 20 ? 20 : iters > 100000 ? 100000 : iters;
    o->bcast_u64(&iters);
    o->barrier();
    t0 = oversub_now_s();
    for (uint64_t i = 0; i < iters; i++) {
        op();
    }
    return (oversub_now_s() - t0) / (double)iters / per * 1e6;
}

/* Rank 1's CPU use while it waits 2 s in a receive, reported by rank 0. */
static void oversub_idle(void)
{
    const oversub_ops_t *o = oversub_ops;
    double percent = 0;
    int token = 0;

    o->barrier();
    if (o->rank == 0) {
        usleep(2000000);
        o->send(&token, sizeof(token), 1, 8);
        o->recv(&percent, sizeof(percent), 1, 9);
        printf("idle %.1f\n", percent);
    } else if (o->rank == 1) {
        double t0 = oversub_now_s(), c0 = oversub_cpu_s();
        o->recv(&token, sizeof(token), 0, 8);
        percent = 100 * (oversub_cpu_s() - c0) / (oversub_now_s() - t0);
        o->send(&percent, sizeof(percent), 0, 9);
    }
}

/* OVERSUB_BENCH (environment): the one benchmark to run (barrier, allreduce8, ring, or
 * imbalance and imbalance_any, which are not in the default set), to look at one alone
 * (perf, the debug log's counts); unset: barrier, allreduce8 and ring. */
static int oversub_wanted(const char *name, int by_default)
{
    const char *only = getenv("OVERSUB_BENCH");

    return only == NULL || *only == '\0' ? by_default : strcmp(only, name) == 0;
}

/* The benchmarks (idle_only: the idle probe alone), output on rank 0. */
static void oversub_run(const oversub_ops_t *ops, double target_s, int idle_only)
{
    double us;

    oversub_ops = ops;
    if (idle_only) {
        oversub_idle();
        fflush(stdout);
        return;
    }
    if (oversub_wanted("barrier", 1)) {
        us = oversub_timed(ops->barrier, target_s, 1);
        if (ops->rank == 0) {
            printf("barrier %.3f\n", us);
        }
    }
    if (oversub_wanted("allreduce8", 1)) {
        us = oversub_timed(ops->allreduce8, target_s, 1);
        if (ops->rank == 0) {
            printf("allreduce8 %.3f\n", us);
        }
    }
    if (oversub_wanted("ring", 1)) {
        us = oversub_timed(oversub_ring, target_s, ops->size);
        if (ops->rank == 0) {
            printf("ring %.3f\n", us);
        }
    }
    if (oversub_wanted("imbalance", 0) && ops->size > 1) {
        const char *work = getenv("OVERSUB_WORK_US");
        oversub_work_us = work != NULL ? atof(work) : 100;
        us = oversub_timed(oversub_imbalance, target_s, 1);
        if (ops->rank == 0) { /* the time beyond the work */
            printf("imbalance %.3f\n", us - oversub_work_us);
        }
    }
    if (oversub_wanted("imbalance_any", 0) && ops->size > 1) {
        const char *work = getenv("OVERSUB_WORK_US");
        oversub_work_us = work != NULL ? atof(work) : 100;
        us = oversub_timed(oversub_imbalance_any, target_s, 1);
        if (ops->rank == 0) {
            printf("imbalance_any %.3f\n", us - oversub_work_us);
        }
    }
    fflush(stdout);
}

#endif /* OVERSUB_COMMON_H */
