/*
 * The yield budget of adaptive progress (src/core/progress.c). yield_budget.sh: 4 ranks on
 * 2 CPUs, bound round robin (bprun's default: ranks 0 and 2 on one CPU, 1 and 3 on the
 * other). Before each of ROUNDS barriers (argv[2], default 500) rank 1 computes WORK
 * microseconds (argv[1], default 100) outside the library, so ranks 0 and 2 wait for it
 * side by side: every rank of their CPU waits. yield_long.sh: 2 ranks, one a CPU, rank 0
 * beside a CPU hog. Each checks that every rank arrived (the barrier count, summed now and
 * then), and rank 0 prints the time per barrier beyond the work. With argv[3] "any", rank 1
 * sends each of the others a numbered message instead, which they receive from any source.
 * What the waits did is the scripts' to read from the debug log: short waits yield through
 * instead of sleeping, long ones still sleep, and yields that hand a hog its time slice are
 * skipped.
 */
#include "itest.h"

int main(int argc, char **argv)
{
    int rank, size;
    double work_us = argc > 1 ? atof(argv[1]) : 100;
    long barriers = argc > 2 ? atol(argv[2]) : 500;
    int any = argc > 3 && strcmp(argv[3], "any") == 0;
    bp_context_t *ctx = itest_init(&rank, &size);
    double t0;

    CHECK(size >= 2);
    CHECK(work_us >= 0 && work_us <= 1e6);
    CHECK(barriers > 0 && barriers <= 1000000);
    CHECK_OK(bp_barrier(ctx));
    t0 = itest_now_s();
    for (long b = 0; b < barriers; b++) {
        if (rank == 1) { /* WORK us of its own CPU time: a rank taking its CPU delays it */
            struct timespec ts;
            double end;
            clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
            end = (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9 + work_us * 1e-6;
            do {
                clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
            } while ((double)ts.tv_sec + (double)ts.tv_nsec * 1e-9 < end);
        }
        if (any && rank == 1) {
            for (int r = 0; r < size; r++) {
                if (r != rank) {
                    CHECK_OK(bp_send(ctx, &b, sizeof(b), r, 3));
                }
            }
            continue;
        } else if (any) {
            bp_msginfo_t st;
            long got = -1;
            CHECK_OK(bp_recv(ctx, &got, sizeof(got), BP_ANY_SOURCE, 3, 0, &st));
            CHECK_EQ(got, b);
            CHECK_EQ(st.source, 1);
            continue;
        }
        CHECK_OK(bp_barrier(ctx));
        if (b % 64 == 0) {
            double mine = 1, sum = 0;
            CHECK_OK(bp_allreduce(ctx, &mine, &sum, 1, BP_DT_DOUBLE, BP_OP_SUM));
            CHECK_EQ((long long)sum, size);
        }
    }
    if (rank == 0) {
        printf("rank 0: %.2f us per round beyond %.0f us of work\n",
               (itest_now_s() - t0) / (double)barriers * 1e6 - work_us, work_us);
    }
    itest_fini(ctx, "yield_budget");
    return 0;
}
