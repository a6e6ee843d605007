/*
 * oversub_native.c - the oversubscription benchmark program (docs/PERFORMANCE.md,
 * scripts/bench-oversub.sh) over bypass; oversub_mpi.c is the same over MPI, for Open MPI
 * and MPICH. Every rank runs, in this order:
 *
 *   barrier      bp_barrier, time per call;
 *   allreduce8   bp_allreduce of one double (8 B, sum), time per call;
 *   ring         a token passed around the ring of all ranks (rank r sends to r + 1), time
 *                per hop (one send and one receive);
 *   idle         (2 or more ranks) rank 0 sleeps 2 s, then sends to rank 1, which waits in
 *                a receive: the CPU rank 1 used meanwhile (getrusage), in % of a core.
 *
 * Each timed benchmark first runs a few warm-up calls, from which rank 0 picks an
 * iteration count worth about TARGET seconds (argv[1], default 1; at most 100000, at least
 * 20) and broadcasts it, so that spinning 8 ranks on 2 CPUs (tens of ms per barrier) stays
 * bounded too. Output: one "name value" line per benchmark from rank 0 (microseconds, or
 * percent for idle). The progress mode is BP_PROGRESS's, from the environment.
 *
 *   bprun -n 8 build/bin/bp-oversub [TARGET_S] [idle]
 */
#include <bypass.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

static bp_context_t *ctx;
static int rank, size;

static double now_s(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void check(bp_status_t st, const char *what)
{
    if (st != BP_OK) {
        fprintf(stderr, "rank %d: %s: %s\n", rank, what, bp_strerror(st));
        exit(1);
    }
}

static void op_barrier(void)
{
    check(bp_barrier(ctx), "bp_barrier");
}

static void op_allreduce(void)
{
    double in = rank, out = 0;

    check(bp_allreduce(ctx, &in, &out, 1, BP_DT_DOUBLE, BP_OP_SUM), "bp_allreduce");
}

/* One lap of the token: size hops. */
static void op_ring(void)
{
    int token = 0;

    if (rank == 0) {
        check(bp_send(ctx, &token, sizeof(token), 1 % size, 7), "bp_send");
        check(bp_recv(ctx, &token, sizeof(token), size - 1, 7, 0, NULL), "bp_recv");
    } else {
        check(bp_recv(ctx, &token, sizeof(token), rank - 1, 7, 0, NULL), "bp_recv");
        check(bp_send(ctx, &token, sizeof(token), (rank + 1) % size, 7), "bp_send");
    }
}

/* Time per call of op (per hop for the ring), in microseconds, as rank 0 sees it. */
static double timed(void (*op)(void), double target_s, int per)
{
    double t0, warm;
    uint64_t iters;

    check(bp_barrier(ctx), "bp_barrier");
    t0 = now_s();
    for (int i = 0; i < 10; i++) {
        op();
    }
    warm = (now_s() - t0) / 10;
    iters = warm > 0 ? (uint64_t)(target_s / warm) : 100000;
    iters = iters < 20 ? 20 : iters > 100000 ? 100000 : iters;
    check(bp_bcast(ctx, &iters, sizeof(iters), 0), "bp_bcast");
    check(bp_barrier(ctx), "bp_barrier");
    t0 = now_s();
    for (uint64_t i = 0; i < iters; i++) {
        op();
    }
    return (now_s() - t0) / (double)iters / per * 1e6;
}

static double cpu_s(void)
{
    struct rusage ru;

    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
           (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
}

/* Rank 1's CPU use while it waits 2 s in a receive, reported by rank 0. */
static void idle(void)
{
    double percent = 0;
    int token = 0;

    check(bp_barrier(ctx), "bp_barrier");
    if (rank == 0) {
        usleep(2000000);
        check(bp_send(ctx, &token, sizeof(token), 1, 8), "bp_send");
        check(bp_recv(ctx, &percent, sizeof(percent), 1, 9, 0, NULL), "bp_recv");
        printf("idle %.1f\n", percent);
    } else if (rank == 1) {
        double t0 = now_s(), c0 = cpu_s();
        check(bp_recv(ctx, &token, sizeof(token), 0, 8, 0, NULL), "bp_recv");
        percent = 100 * (cpu_s() - c0) / (now_s() - t0);
        check(bp_send(ctx, &percent, sizeof(percent), 0, 9), "bp_send");
    }
}

int main(int argc, char **argv)
{
    double target_s = argc > 1 ? atof(argv[1]) : 1.0;
    int idle_only = argc > 2 && strcmp(argv[2], "idle") == 0;
    double us;

    check(bp_init(&ctx), "bp_init");
    bp_rank(ctx, &rank);
    bp_size(ctx, &size);
    if (size < 2) {
        fprintf(stderr, "bp-oversub: run it with at least 2 ranks\n");
        return 1;
    }
    if (!idle_only) {
        us = timed(op_barrier, target_s, 1);
        if (rank == 0) {
            printf("barrier %.3f\n", us);
        }
        us = timed(op_allreduce, target_s, 1);
        if (rank == 0) {
            printf("allreduce8 %.3f\n", us);
        }
        us = timed(op_ring, target_s, size);
        if (rank == 0) {
            printf("ring %.3f\n", us);
        }
    } else {
        idle();
    }
    fflush(stdout);
    check(bp_finalize(ctx), "bp_finalize");
    return 0;
}
