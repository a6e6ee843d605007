/*
 * coll.c - collectives of the native API. The barrier is a dissemination barrier
 * (ceil(log2 n) rounds; in round k rank r signals r + 2^k and waits for r - 2^k) over
 * zero-byte messages flagged BPI_WIRE_F_INTERNAL, so they never match a user's receive,
 * tagged with the barrier's epoch and round.
 */
#include "core/core.h"

bp_status_t bp_barrier(bp_context_t *ctx)
{
    uint64_t epoch;
    bp_status_t status = BP_OK;

    if (ctx == NULL) {
        return BP_ERR_INVAL;
    }
    epoch = ctx->barrier_epoch++;
    if (BP_UNLIKELY(ctx->nfailed > 0)) {
        return BP_ERR_PEER; /* a rank is gone: no barrier can complete (see bypass.h) */
    }
    for (int dist = 1, round = 0; dist < ctx->size; dist <<= 1, round++) {
        int to = (ctx->rank + dist) % ctx->size;
        int from = (ctx->rank - dist + ctx->size) % ctx->size;
        uint64_t tag = (epoch << 8) | (uint64_t)round;
        bp_request_t *reqs[2];

        status = bpi_irecv(ctx, NULL, 0, from, tag, 0, BPI_WIRE_F_INTERNAL, &reqs[0]);
        if (status != BP_OK) {
            return status;
        }
        status = bpi_isend(ctx, NULL, 0, to, tag, BPI_WIRE_F_INTERNAL, &reqs[1]);
        if (status != BP_OK) {
            bp_cancel(reqs[0]);
            bp_wait(&reqs[0], NULL);
            return status;
        }
        status = bp_waitall(2, reqs, NULL);
        if (status != BP_OK) {
            return status;
        }
    }
    return status;
}
