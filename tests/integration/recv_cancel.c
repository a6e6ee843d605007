/*
 * Cancel: a posted receive that has matched nothing completes with BP_ERR_CANCELED and is
 * never filled afterwards; a message sent later goes to the next matching receive; a
 * receive that has already matched, and a send, are not cancelled.
 */
#include "itest.h"

int main(void)
{
    int rank, size;
    bp_context_t *ctx = itest_init(&rank, &size);
    int v = -1;

    if (rank == 0) {
        bp_request_t *req, *req2;
        bp_msginfo_t info;
        int w = -1;
        int done = 1;

        CHECK_OK(bp_irecv(ctx, &v, sizeof(v), BP_ANY_SOURCE, 1, 0, &req));
        CHECK_OK(bp_test(&req, &done, NULL));
        CHECK_EQ(done, 0);
        CHECK_OK(bp_cancel(req));
        CHECK_EQ(bp_wait(&req, &info), BP_ERR_CANCELED);
        CHECK(req == NULL);
        CHECK_EQ(info.status, BP_ERR_CANCELED);
        CHECK_OK(bp_barrier(ctx)); /* now the others send tag 1 */
        CHECK_OK(bp_recv(ctx, &w, sizeof(w), BP_ANY_SOURCE, 1, 0, &info));
        CHECK_EQ(v, -1); /* the cancelled buffer stays untouched */
        CHECK_EQ(w, 1000 + info.source);
        for (int i = 2; i < size; i++) {
            CHECK_OK(bp_recv(ctx, &w, sizeof(w), BP_ANY_SOURCE, 1, 0, &info));
            CHECK_EQ(w, 1000 + info.source);
        }
        /* a matched receive is not cancelled */
        if (size > 1) {
            CHECK_OK(bp_irecv(ctx, &v, sizeof(v), 1, 2, 0, &req2));
            CHECK_OK(bp_barrier(ctx)); /* rank 1 sends tag 2 */
            CHECK_OK(bp_barrier(ctx)); /* it was sent */
            while (bp_test(&req2, &done, NULL) == BP_OK && !done) {
            }
            CHECK(req2 == NULL);
            CHECK_EQ(v, 2001);
            CHECK_OK(bp_irecv(ctx, &v, sizeof(v), 1, 3, 0, &req2));
            CHECK_OK(bp_barrier(ctx)); /* rank 1 sends tag 3 */
            CHECK_OK(bp_barrier(ctx));
            CHECK_OK(bp_progress(ctx));
            CHECK_OK(bp_cancel(req2)); /* too late if it matched; harmless either way */
            bp_status_t st = bp_wait(&req2, &info);
            CHECK(st == BP_OK || st == BP_ERR_CANCELED);
            if (st == BP_ERR_CANCELED) {
                CHECK_OK(bp_recv(ctx, &v, sizeof(v), 1, 3, 0, &info)); /* still there */
            }
            CHECK_EQ(v, 3001);
        }
    } else {
        int payload = 1000 + rank;
        CHECK_OK(bp_barrier(ctx));
        CHECK_OK(bp_send(ctx, &payload, sizeof(payload), 0, 1));
        if (size > 1) {
            bp_request_t *sreq;
            CHECK_OK(bp_barrier(ctx));
            if (rank == 1) {
                payload = 2001;
                CHECK_OK(bp_isend(ctx, &payload, sizeof(payload), 0, 2, &sreq));
                CHECK_OK(bp_cancel(sreq)); /* sends are not cancelled */
                CHECK_OK(bp_wait(&sreq, NULL));
            }
            CHECK_OK(bp_barrier(ctx));
            CHECK_OK(bp_barrier(ctx));
            if (rank == 1) {
                payload = 3001;
                CHECK_OK(bp_send(ctx, &payload, sizeof(payload), 0, 3));
            }
            CHECK_OK(bp_barrier(ctx));
        }
    }
    itest_fini(ctx, "recv_cancel");
    return 0;
}
