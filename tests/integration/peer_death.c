/*
 * A peer that dies: rank 0 exits abruptly while rank 1 waits on a receive from it and on a
 * large send to it. Rank 1 ignores bprun's SIGTERM for this test and must see both
 * requests complete with BP_ERR_PEER (not hang), then finalize must return, reporting the
 * failure. Run by peer_death.sh, which checks rank 1's report.
 */
#include <signal.h>
#include <unistd.h>

#include "itest.h"

int main(void)
{
    int rank, size;
    bp_context_t *ctx = itest_init(&rank, &size);
    static char big[1 << 20];
    bp_request_t *rreq, *sreq;
    int v;

    if (rank == 1) {
        signal(SIGTERM, SIG_IGN);
    }
    CHECK_OK(bp_barrier(ctx));
    if (rank == 0) {
        usleep(100000);
        _exit(3); /* dies without finalize */
    }
    if (rank == 1) {
        CHECK_OK(bp_irecv(ctx, &v, sizeof(v), 0, 1, 0, &rreq));
        CHECK_OK(bp_isend(ctx, big, sizeof(big), 0, 2, &sreq));
        CHECK_EQ(bp_wait(&rreq, NULL), BP_ERR_PEER);
        CHECK_EQ(bp_wait(&sreq, NULL), BP_ERR_PEER);
        CHECK_EQ(bp_send(ctx, &v, sizeof(v), 0, 3), BP_ERR_PEER);
        CHECK_EQ(bp_finalize(ctx), BP_ERR_PEER);
        printf("rank 1: peer failure reported\n");
        fflush(stdout);
        return 0;
    }
    return 0;
}
