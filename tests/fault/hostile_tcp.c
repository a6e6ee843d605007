/*
 * hostile_tcp - a two-rank job over tcp that keeps exchanging checked messages for a few
 * seconds while hostile_tcp.sh connects to both ranks' listeners from outside the job and
 * sends garbage, a wrong protocol version, another job's key and a wrong cookie. Every such
 * connection must be refused with a log line, and the job must go on untouched: every
 * message arrives, with the right content, in order.
 *
 * Prints "hostile: rank R pid P jobkey K ready" once started, and
 * "hostile: rank R passed after N round trips" at the end.
 */
#include <bypass.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define HOSTILE_SECONDS 4 /* unless argv[1] says how long */

static double hostile_now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void hostile_check(int ok, int rank, const char *what)
{
    if (!ok) {
        fprintf(stderr, "hostile: rank %d: %s\n", rank, what);
        exit(1);
    }
}

int main(int argc, char **argv)
{
    const char *key = getenv("BPRUN_JOBKEY");
    bp_context_t *ctx;
    int rank, size;
    uint64_t msg[4];
    long n = 0;
    double end;

    hostile_check(bp_init(&ctx) == BP_OK, -1, "bp_init failed");
    bp_rank(ctx, &rank);
    bp_size(ctx, &size);
    hostile_check(size == 2, rank, "needs 2 ranks");
    hostile_check(bp_barrier(ctx) == BP_OK, rank, "barrier failed");
    printf("hostile: rank %d pid %d jobkey %s ready\n", rank, (int)getpid(), key ? key : "none");
    fflush(stdout);

    /* rank 0 decides when to stop (msg[1] = 1), so both do the same number of trips */
    end = hostile_now() + (argc > 1 ? atof(argv[1]) : HOSTILE_SECONDS);
    for (;;) {
        bp_msginfo_t info;
        if (rank == 0) {
            msg[0] = (uint64_t)n;
            msg[1] = hostile_now() >= end;
            msg[2] = ~(uint64_t)n;
            hostile_check(bp_send(ctx, msg, sizeof(msg), 1, 7) == BP_OK, rank, "send failed");
            hostile_check(bp_recv(ctx, msg, sizeof(msg), 1, 8, 0, &info) == BP_OK, rank,
                          "recv failed");
        } else {
            hostile_check(bp_recv(ctx, msg, sizeof(msg), 0, 7, 0, &info) == BP_OK, rank,
                          "recv failed");
            hostile_check(bp_send(ctx, msg, sizeof(msg), 0, 8) == BP_OK, rank, "send failed");
        }
        hostile_check(info.length == sizeof(msg) && msg[0] == (uint64_t)n &&
                          msg[2] == ~(uint64_t)n,
                      rank, "a message arrived wrong or out of order");
        n++;
        if (msg[1]) {
            break;
        }
    }
    hostile_check(bp_finalize(ctx) == BP_OK, rank, "finalize failed");
    printf("hostile: rank %d passed after %ld round trips\n", rank, n);
    return 0;
}
