/*
 * Barrier and messages to oneself: many barriers in a row never let a rank run ahead (each
 * rank sends its barrier count to rank 0 after every barrier, rank 0 checks nobody is a
 * barrier ahead); a rank can send to itself, blocking and not, in order; also works as a
 * singleton (started without bprun).
 */
#include "itest.h"

#define ROUNDS 200

int main(void)
{
    int rank, size;
    bp_context_t *ctx = itest_init(&rank, &size);
    bp_request_t *req;
    bp_msginfo_t info;
    char big[5000], back[5000];

    /* self */
    itest_fill((unsigned char *)big, sizeof(big), 42);
    CHECK_OK(bp_isend(ctx, big, sizeof(big), rank, 3, &req));
    CHECK_OK(bp_send(ctx, "abc", 4, rank, 3));
    CHECK_OK(bp_wait(&req, NULL));
    CHECK_OK(bp_recv(ctx, back, sizeof(back), rank, 3, 0, &info));
    CHECK_EQ(info.length, sizeof(big)); /* first sent, first received */
    itest_verify((unsigned char *)back, sizeof(back), 42);
    CHECK_OK(bp_recv(ctx, back, sizeof(back), BP_ANY_SOURCE, 3, 0, &info));
    CHECK_EQ(info.length, 4);
    CHECK_EQ(info.source, rank);
    CHECK(strcmp(back, "abc") == 0);

    /* barriers */
    for (int round = 0; round < ROUNDS; round++) {
        CHECK_OK(bp_barrier(ctx));
        if (rank != 0) {
            CHECK_OK(bp_send(ctx, &round, sizeof(round), 0, 9));
        } else {
            for (int i = 1; i < size; i++) {
                int r;
                CHECK_OK(bp_recv(ctx, &r, sizeof(r), BP_ANY_SOURCE, 9, 0, &info));
                CHECK_EQ(r, round); /* nobody passed the next barrier before we entered it */
            }
        }
    }
    itest_fini(ctx, "barrier_self");
    return 0;
}
