/*
 * A message announced by a rank that then dies, and received only after its death was
 * noticed. Two ranks, run by fault_late.sh:
 *
 *   rank 0: isend LEN bytes (tag 5: a rendezvous, only announced), send 8 B (tag 7: whole
 *           on the wire), send 8 B (tag 6), then SIGKILL itself;
 *   rank 1: receive tag 6 (tags 5 and 7 came first: they wait as unexpected messages), poll
 *           with bp_iprobe until the library says rank 0 has failed (bounded: 10 s), then
 *           receive tag 7, which must be delivered (it arrived whole), and tag 5, which must
 *           fail with BP_ERR_PEER at once: its data can no longer be fetched. It once waited
 *           for ever for the dead sender's answer (CI caught it in fault_kill alltoall).
 *
 * LEN is argv[1] (default 100000). Prints "fault_late: rank 1 passed" when all holds; any
 * other outcome prints what happened and exits 1. SIGTERM is ignored so that bprun's stop
 * of the job after rank 0's death (SIGKILL --grace seconds later) cannot end rank 1 first.
 */
#include <bypass.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double late_now_s(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static int late_fail(const char *what, bp_status_t st)
{
    printf("fault_late: rank 1: %s: %s\n", what, bp_strerror(st));
    return 1;
}

int main(int argc, char **argv)
{
    size_t len = argc > 1 ? (size_t)atol(argv[1]) : 100000;
    uint64_t word = 0x5eed, note = 1;
    bp_context_t *ctx;
    bp_status_t st;
    int rank, size;
    char *buf;

    signal(SIGTERM, SIG_IGN);
    if (bp_init(&ctx) != BP_OK || bp_rank(ctx, &rank) != BP_OK || bp_size(ctx, &size) != BP_OK ||
        size != 2 || len == 0) {
        fprintf(stderr, "fault_late: needs 2 ranks and a length\n");
        return 1;
    }
    buf = calloc(1, len);
    if (buf == NULL || bp_barrier(ctx) != BP_OK) {
        return 1;
    }
    if (rank == 0) {
        bp_request_t *req;
        if (bp_isend(ctx, buf, len, 1, 5, &req) != BP_OK ||
            bp_send(ctx, &word, sizeof(word), 1, 7) != BP_OK ||
            bp_send(ctx, &note, sizeof(note), 1, 6) != BP_OK) {
            return 1;
        }
        fflush(NULL);
        raise(SIGKILL);
        return 1;
    }

    uint64_t got = 0;
    double t0;
    int found = 0;

    st = bp_recv(ctx, &got, sizeof(got), 0, 6, 0, NULL);
    if (st != BP_OK) {
        return late_fail("receive of tag 6", st);
    }
    /* poll until the death is noticed (liveness looks every 100 ms) */
    t0 = late_now_s();
    do {
        st = bp_iprobe(ctx, 0, 99, 0, &found, NULL);
    } while (st == BP_OK && !found && late_now_s() - t0 < 10);
    if (st != BP_ERR_PEER_FAILED) {
        return late_fail("rank 0's death not noticed within 10 s", st);
    }
    got = 0;
    st = bp_recv(ctx, &got, sizeof(got), 0, 7, 0, NULL);
    if (st != BP_OK || got != word) {
        return late_fail("the whole message sent before the death", st);
    }
    t0 = late_now_s();
    st = bp_recv(ctx, buf, len, 0, 5, 0, NULL);
    if (st != BP_ERR_PEER_FAILED) {
        return late_fail("the rendezvous announced before the death", st);
    }
    printf("fault_late: rank 1: the announced rendezvous failed in %.3f ms\n",
           (late_now_s() - t0) * 1e3);
    printf("fault_late: rank 1 passed\n");
    fflush(stdout);
    bp_finalize(ctx);
    free(buf);
    return 0;
}
