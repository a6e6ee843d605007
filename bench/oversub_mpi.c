/*
 * oversub_mpi.c - oversub_native.c over MPI, for Open MPI and MPICH (built by
 * scripts/bench-oversub.sh with mpicc.openmpi and mpicc.mpich): the same benchmarks, the
 * same iteration choice, the same output. Every rank runs, in this order:
 *
 *   barrier      MPI_Barrier, time per call;
 *   allreduce8   MPI_Allreduce of one double (8 B, MPI_SUM), time per call;
 *   ring         a token passed around the ring of all ranks (rank r sends to r + 1), time
 *                per hop (one send and one receive);
 *   idle         (2 or more ranks) rank 0 sleeps 2 s, then sends to rank 1, which waits in
 *                a receive: the CPU rank 1 used meanwhile (getrusage), in % of a core.
 *
 * Each timed benchmark first runs a few warm-up calls, from which rank 0 picks an
 * iteration count worth about TARGET seconds (argv[1], default 1; at most 100000, at least
 * 20) and broadcasts it, so that spinning 8 ranks on 2 CPUs (tens of ms per barrier) stays
 * bounded too. Output: one "name value" line per benchmark from rank 0 (microseconds, or
 * percent for idle).
 *
 *   mpirun.openmpi --oversubscribe -np 8 ./oversub_openmpi [TARGET_S] [idle]
 */
#include <mpi.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

static int rank, size;

static double now_s(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void check(int st, const char *what)
{
    if (st != MPI_SUCCESS) {
        fprintf(stderr, "rank %d: %s failed (%d)\n", rank, what, st);
        MPI_Abort(MPI_COMM_WORLD, 1);
    }
}

static void op_barrier(void)
{
    check(MPI_Barrier(MPI_COMM_WORLD), "MPI_Barrier");
}

static void op_allreduce(void)
{
    double in = rank, out = 0;

    check(MPI_Allreduce(&in, &out, 1, MPI_DOUBLE, MPI_SUM, MPI_COMM_WORLD), "MPI_Allreduce");
}

/* One lap of the token: size hops. */
static void op_ring(void)
{
    int token = 0;

    if (rank == 0) {
        check(MPI_Send(&token, sizeof(token), MPI_BYTE, 1 % size, 7, MPI_COMM_WORLD), "MPI_Send");
        check(MPI_Recv(&token, sizeof(token), MPI_BYTE, size - 1, 7, MPI_COMM_WORLD, MPI_STATUS_IGNORE),
              "MPI_Recv");
    } else {
        check(MPI_Recv(&token, sizeof(token), MPI_BYTE, rank - 1, 7, MPI_COMM_WORLD, MPI_STATUS_IGNORE),
              "MPI_Recv");
        check(MPI_Send(&token, sizeof(token), MPI_BYTE, (rank + 1) % size, 7, MPI_COMM_WORLD), "MPI_Send");
    }
}

/* Time per call of op (per hop for the ring), in microseconds, as rank 0 sees it. */
static double timed(void (*op)(void), double target_s, int per)
{
    double t0, warm;
    uint64_t iters;

    check(MPI_Barrier(MPI_COMM_WORLD), "MPI_Barrier");
    t0 = now_s();
    for (int i = 0; i < 10; i++) {
        op();
    }
    warm = (now_s() - t0) / 10;
    iters = warm > 0 ? (uint64_t)(target_s / warm) : 100000;
    iters = iters < 20 ? 20 : iters > 100000 ? 100000 : iters;
    check(MPI_Bcast(&iters, sizeof(iters), MPI_BYTE, 0, MPI_COMM_WORLD), "MPI_Bcast");
    check(MPI_Barrier(MPI_COMM_WORLD), "MPI_Barrier");
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

    check(MPI_Barrier(MPI_COMM_WORLD), "MPI_Barrier");
    if (rank == 0) {
        usleep(2000000);
        check(MPI_Send(&token, sizeof(token), MPI_BYTE, 1, 8, MPI_COMM_WORLD), "MPI_Send");
        check(MPI_Recv(&percent, sizeof(percent), MPI_BYTE, 1, 9, MPI_COMM_WORLD, MPI_STATUS_IGNORE),
              "MPI_Recv");
        printf("idle %.1f\n", percent);
    } else if (rank == 1) {
        double t0 = now_s(), c0 = cpu_s();
        check(MPI_Recv(&token, sizeof(token), MPI_BYTE, 0, 8, MPI_COMM_WORLD, MPI_STATUS_IGNORE),
              "MPI_Recv");
        percent = 100 * (cpu_s() - c0) / (now_s() - t0);
        check(MPI_Send(&percent, sizeof(percent), MPI_BYTE, 0, 9, MPI_COMM_WORLD), "MPI_Send");
    }
}

int main(int argc, char **argv)
{
    double target_s = argc > 1 ? atof(argv[1]) : 1.0;
    int idle_only = argc > 2 && strcmp(argv[2], "idle") == 0;
    double us;

    MPI_Init(&argc, &argv);
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    if (size < 2) {
        fprintf(stderr, "oversub_mpi: run it with at least 2 ranks\n");
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
    MPI_Finalize();
    return 0;
}
