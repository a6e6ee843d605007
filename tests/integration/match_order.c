/*
 * Non-overtaking: messages from one sender that match the same receive arrive in the order
 * they were sent, whatever their sizes (single-frame and fragmented mixed), whether the
 * receives were posted before the messages came (posted queue) or after (unexpected queue),
 * with exact source and with BP_ANY_SOURCE. The sender alternates two tags that one receive
 * pattern (ignore bit 0) matches. The largest size is above the rendezvous threshold, so
 * eager and rendezvous messages mix; the sends are nonblocking (a rendezvous send completes
 * only once a receive has taken it, as MPI allows).
 */
#include "itest.h"

#define N 40
#define MAXMSG 70000

static size_t msg_size(int i)
{
    static const size_t sizes[] = {0, 8, 216, 217, 5000, MAXMSG};
    return sizes[i % 6];
}

int main(void)
{
    int rank, size;
    bp_context_t *ctx = itest_init(&rank, &size);
    int total = N * (size - 1);
    unsigned char **bufs = calloc((size_t)total + N, sizeof(*bufs));
    bp_request_t **reqs = calloc((size_t)total + N, sizeof(*reqs));
    bp_msginfo_t *infos = calloc((size_t)total + 1, sizeof(*infos));

    CHECK(bufs != NULL && reqs != NULL && infos != NULL);
    for (int i = 0; i < total || i < N; i++) {
        bufs[i] = malloc(MAXMSG);
        CHECK(bufs[i] != NULL);
    }
    for (int round = 0; round < 4; round++) {
        int any = round & 1;      /* exact source, or any source */
        int prepost = round >> 1; /* receives posted before the sends, or after */

        if (rank != 0) {
            if (prepost) {
                CHECK_OK(bp_barrier(ctx)); /* rank 0 has posted */
            }
            for (int i = 0; i < N; i++) {
                itest_fill(bufs[i], msg_size(i), (uint64_t)(round * 100000 + rank * N + i));
                CHECK_OK(bp_isend(ctx, bufs[i], msg_size(i), 0, 100 + (uint64_t)(i & 1),
                                  &reqs[i]));
            }
            if (!prepost) {
                CHECK_OK(bp_barrier(ctx)); /* rank 0 posts after this */
            }
            CHECK_OK(bp_waitall(N, reqs, NULL));
            CHECK_OK(bp_barrier(ctx));
            continue;
        }

        if (!prepost) {
            CHECK_OK(bp_barrier(ctx));
        }
        for (int j = 0; j < total; j++) {
            int src = any ? BP_ANY_SOURCE : 1 + j / N;
            CHECK_OK(bp_irecv(ctx, bufs[j], MAXMSG, src, 100, 1, &reqs[j]));
        }
        if (prepost) {
            CHECK_OK(bp_barrier(ctx));
        }
        CHECK_OK(bp_waitall((size_t)total, reqs, infos));

        int next[4096] = {0};
        for (int j = 0; j < total; j++) {
            int s = infos[j].source;
            int k;
            CHECK(s >= 1 && s < size);
            if (!any) {
                CHECK_EQ(s, 1 + j / N);
            }
            k = next[s]++; /* the k-th message of source s must be its k-th sent */
            CHECK_EQ(infos[j].length, msg_size(k));
            CHECK_EQ(infos[j].tag, 100 + (uint64_t)(k & 1));
            itest_verify(bufs[j], msg_size(k), (uint64_t)(round * 100000 + s * N + k));
        }
        for (int s = 1; s < size; s++) {
            CHECK_EQ(next[s], N);
        }
        CHECK_OK(bp_barrier(ctx));
    }
    for (int i = 0; i < total || i < N; i++) {
        free(bufs[i]);
    }
    free(bufs);
    free(reqs);
    free(infos);
    itest_fini(ctx, "match_order");
    return 0;
}
