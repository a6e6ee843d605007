/*
 * Completion calls and probes: waitany returns each request exactly once and NULLs it;
 * waitall with NULL entries; test on a NULL request; iprobe finds nothing, then finds the
 * message (source, tag, length) without taking it; probe blocks until one arrives; the
 * probed message is then received intact.
 */
#include "itest.h"

#define NREQ 8

int main(void)
{
    int rank, size;
    bp_context_t *ctx = itest_init(&rank, &size);

    if (size < 2) {
        fprintf(stderr, "needs 2 ranks\n");
        return 1;
    }
    if (rank == 1) {
        for (int i = 0; i < NREQ; i++) {
            int v = 100 + i;
            CHECK_OK(bp_send(ctx, &v, sizeof(v), 0, (uint64_t)(NREQ - 1 - i)));
        }
        CHECK_OK(bp_barrier(ctx));
        char msg[300];
        memset(msg, 'x', sizeof(msg));
        CHECK_OK(bp_barrier(ctx)); /* rank 0 iprobed and found nothing */
        CHECK_OK(bp_send(ctx, msg, sizeof(msg), 0, 77));
        CHECK_OK(bp_send(ctx, msg, 10, 0, 78));
    } else if (rank == 0) {
        bp_request_t *reqs[NREQ + 2];
        int vals[NREQ];
        int seen[NREQ] = {0};
        bp_msginfo_t info;
        int found = 1, done = 0;

        for (int i = 0; i < NREQ; i++) {
            CHECK_OK(bp_irecv(ctx, &vals[i], sizeof(int), 1, (uint64_t)i, 0, &reqs[i]));
        }
        reqs[NREQ] = NULL;
        reqs[NREQ + 1] = NULL;
        for (int k = 0; k < NREQ; k++) {
            size_t idx;
            CHECK_OK(bp_waitany(NREQ + 2, reqs, &idx, &info));
            CHECK(idx < NREQ);
            CHECK(reqs[idx] == NULL);
            CHECK_EQ(seen[idx], 0);
            seen[idx] = 1;
            CHECK_EQ(info.tag, idx);
            CHECK_EQ(vals[idx], 100 + (NREQ - 1 - (int)idx));
        }
        size_t idx = 0;
        CHECK_OK(bp_waitany(NREQ + 2, reqs, &idx, &info));
        CHECK_EQ(idx, SIZE_MAX);
        CHECK_OK(bp_waitall(NREQ + 2, reqs, NULL));
        CHECK_OK(bp_test(&reqs[0], &done, NULL));
        CHECK_EQ(done, 1);
        CHECK_OK(bp_barrier(ctx));

        CHECK_OK(bp_iprobe(ctx, 1, 77, 0, &found, &info));
        CHECK_EQ(found, 0);
        CHECK_OK(bp_barrier(ctx));
        CHECK_OK(bp_probe(ctx, BP_ANY_SOURCE, 77, 0, &info));
        CHECK_EQ(info.source, 1);
        CHECK_EQ(info.tag, 77);
        CHECK_EQ(info.length, 300);
        CHECK_OK(bp_probe(ctx, 1, 78, 0, &info)); /* the later one, past the first */
        CHECK_EQ(info.length, 10);
        CHECK_OK(bp_iprobe(ctx, 1, 77, 0, &found, &info)); /* still there */
        CHECK_EQ(found, 1);
        char msg[300];
        CHECK_OK(bp_recv(ctx, msg, sizeof(msg), 1, 77, 0, &info));
        for (int i = 0; i < 300; i++) {
            CHECK_EQ(msg[i], 'x');
        }
        CHECK_OK(bp_recv(ctx, msg, sizeof(msg), 1, 78, 0, &info));
        CHECK_EQ(info.length, 10);
        CHECK_OK(bp_iprobe(ctx, BP_ANY_SOURCE, 0, BP_ANY_TAG, &found, NULL));
        CHECK_EQ(found, 0);
    } else {
        CHECK_OK(bp_barrier(ctx));
        CHECK_OK(bp_barrier(ctx));
    }
    itest_fini(ctx, "waitany_probe");
    return 0;
}
