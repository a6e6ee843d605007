/*
 * A rank that waits does not burn its CPU (adaptive and block progress): rank 0 sleeps
 * 2 s, then sends to every other rank, which waits for it in bp_recv; then rank 0 sleeps
 * 2 s again before a barrier the others already wait in. Each waiting rank measures the
 * CPU time it used (getrusage: user + system) against the wall time of each wait and
 * fails above MAX_PERCENT (argv[1], else the environment's IDLE_CPU_MAX; "-" or neither
 * only reports, for spin mode, which is meant to use all of it). Behaviour, not speed: the
 * bound is generous (the goal is < 5%).
 *
 *   bprun -n 2 idle_cpu 20
 */
#include <time.h>
#include <unistd.h>

#include "itest.h"

static void report(const char *what, double wall, double cpu, double max_percent)
{
    double percent = 100.0 * cpu / wall;

    printf("rank %d: waited %.2f s in %s, used %.3f s of CPU (%.1f%% of a core)\n", itest_rank,
           wall, what, cpu, percent);
    fflush(stdout);
    CHECK(wall >= 1.5); /* the wait really was long */
    if (max_percent >= 0 && percent > max_percent) {
        fprintf(stderr, "rank %d: %s: %.1f%% of a core while waiting, above %.0f%%\n",
                itest_rank, what, percent, max_percent);
        exit(1);
    }
}

int main(int argc, char **argv)
{
    int rank, size;
    bp_context_t *ctx = itest_init(&rank, &size);
    const char *max = argc > 1 ? argv[1] : getenv("IDLE_CPU_MAX");
    double max_percent = max != NULL && strcmp(max, "-") != 0 ? atof(max) : -1;
    int token = 0;

    CHECK_OK(bp_barrier(ctx));
    if (rank == 0) {
        usleep(2000000);
        for (int r = 1; r < size; r++) {
            token = 1000 + r;
            CHECK_OK(bp_send(ctx, &token, sizeof(token), r, 5));
        }
        usleep(2000000);
        CHECK_OK(bp_barrier(ctx));
    } else {
        double t0 = itest_now_s(), c0 = itest_cpu_s();
        CHECK_OK(bp_recv(ctx, &token, sizeof(token), 0, 5, 0, NULL));
        report("bp_recv", itest_now_s() - t0, itest_cpu_s() - c0, max_percent);
        CHECK_EQ(token, 1000 + rank);
        t0 = itest_now_s();
        c0 = itest_cpu_s();
        CHECK_OK(bp_barrier(ctx));
        report("bp_barrier", itest_now_s() - t0, itest_cpu_s() - c0, max_percent);
    }
    itest_fini(ctx, "idle_cpu");
    return 0;
}
