/*
 * init_only: bp_init, report the status, barrier, finalize. With an argument "hold", every
 * rank prints "ready" and then waits (bounded, 60 s) so a test can kill the job; with
 * "exit" the program returns without finalize after init (a crash-like exit).
 */
#include <unistd.h>

#include "itest.h"

int main(int argc, char **argv)
{
    bp_context_t *ctx;
    bp_status_t st = bp_init(&ctx);
    int rank = -1;

    if (st != BP_OK) {
        fprintf(stderr, "init: %s\n", bp_strerror(st));
        usleep(200000); /* let the other ranks say their part before bprun stops them */
        return 1;
    }
    bp_rank(ctx, &rank);
    itest_rank = rank;
    CHECK_OK(bp_barrier(ctx));
    if (argc > 1 && strcmp(argv[1], "hold") == 0) {
        printf("ready %d\n", rank);
        fflush(stdout);
        for (int i = 0; i < 600; i++) {
            int found;
            CHECK_OK(bp_iprobe(ctx, BP_ANY_SOURCE, 0, BP_ANY_TAG, &found, NULL));
            usleep(100000);
        }
    }
    CHECK_OK(bp_finalize(ctx));
    printf("rank %d: init_only passed\n", rank);
    return 0;
}
