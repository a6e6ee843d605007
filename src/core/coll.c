/*
 * coll.c - collectives of the native API: barrier, bcast, allreduce. When every rank is
 * on this host they go through one shared segment (coll_shm.c, one step); otherwise, and
 * for data too large for the segment, through messages:
 *
 *   - barrier: a dissemination barrier (ceil(log2 n) rounds; in round k rank r signals
 *     r + 2^k and waits for r - 2^k);
 *   - bcast: a binomial tree from the root (ceil(log2 n) rounds);
 *   - allreduce: a binomial-tree reduction to rank 0, then a bcast from it: twice the
 *     rounds of recursive doubling, but every rank gets rank 0's result, so floating-point
 *     results are the same on every rank.
 *
 * The messages are flagged BPI_WIRE_F_INTERNAL, so they never match a user's receive, and
 * tagged with the collective's kind (top byte), its epoch (one counter for all
 * collectives) and the round. Every wait is the progress engine's (bp_wait, bpi_idle).
 */
#include <stdlib.h>
#include <string.h>

#include "core/core.h"


static bp_status_t coll_barrier_msg(bp_context_t *ctx)
{
    uint64_t epoch = ctx->barrier_epoch++;
    bp_status_t status = BP_OK;

    for (int dist = 1, round = 0; dist < ctx->size; dist <<= 1, round++) {
        int to = (ctx->rank + dist) % ctx->size;
        int from = (ctx->rank - dist + ctx->size) % ctx->size;
        uint64_t tag = bpi_coll_tag(BPI_COLL_BARRIER, epoch, round);
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

static bp_status_t coll_barrier(bp_context_t *ctx)
{
    if (BP_UNLIKELY(ctx->nfailed > 0)) {
        return BP_ERR_PEER; /* a rank is gone: no collective can complete (see bypass.h) */
    }
    if (ctx->hcoll != NULL) {
        return bpi_hcoll_barrier(ctx);
    }
    return coll_barrier_msg(ctx);
}

/* Binomial tree from root: receive from the parent, then send to the children. */
static bp_status_t coll_bcast_msg(bp_context_t *ctx, void *buf, size_t len, int root,
                                  uint64_t tag)
{
    int n = ctx->size, vr = (ctx->rank - root + n) % n, mask;
    bp_request_t *reqs[32];
    size_t nreq = 0;
    bp_status_t status;

    for (mask = 1; mask < n; mask <<= 1) {
        if (vr & mask) {
            bp_request_t *req;
            status = bpi_irecv(ctx, buf, len, (vr - mask + root) % n, tag, 0,
                               BPI_WIRE_F_INTERNAL, &req);
            if (status == BP_OK) {
                status = bp_wait(&req, NULL);
            }
            if (status != BP_OK) {
                return status;
            }
            break;
        }
    }
    for (mask >>= 1; mask > 0; mask >>= 1) {
        if (vr + mask < n) {
            status = bpi_isend(ctx, buf, len, (vr + mask + root) % n, tag, BPI_WIRE_F_INTERNAL,
                               &reqs[nreq]);
            if (status != BP_OK) {
                bp_waitall(nreq, reqs, NULL);
                return status;
            }
            nreq++;
        }
    }
    return bp_waitall(nreq, reqs, NULL);
}

static bp_status_t coll_bcast(bp_context_t *ctx, void *buf, size_t len, int root)
{
    bp_status_t status;

    if (root < 0 || root >= ctx->size || (buf == NULL && len > 0)) {
        bpi_log_error("bp_bcast: root %d of %d ranks, buffer %p for %zu bytes", root,
                      ctx->size, buf, len);
        return BP_ERR_INVAL;
    }
    if (BP_UNLIKELY(ctx->nfailed > 0)) {
        return BP_ERR_PEER;
    }
    if (ctx->size == 1) {
        return BP_OK;
    }
    if (ctx->hcoll != NULL) {
        status = bpi_hcoll_bcast(ctx, buf, len, root);
        if (status != BP_ERR_NOTSUP) {
            return status;
        }
    }
    return coll_bcast_msg(ctx, buf, len, root,
                          bpi_coll_tag(BPI_COLL_BCAST, ctx->barrier_epoch++, 0));
}

size_t bpi_dtype_size(bp_dtype_t dtype)
{
    switch (dtype) {
    case BP_DT_INT32:
    case BP_DT_FLOAT:
        return 4;
    case BP_DT_INT64:
    case BP_DT_UINT64:
    case BP_DT_DOUBLE:
        return 8;
    }
    return 0;
}

size_t bpi_reduce_esize(bp_dtype_t dtype, bp_op_t op, const char *what)
{
    size_t esize = bpi_dtype_size(dtype);

    if (esize == 0 || (unsigned)op > BP_OP_BXOR ||
        (op >= BP_OP_LAND && (dtype == BP_DT_FLOAT || dtype == BP_DT_DOUBLE))) {
        bpi_log_error("%s: element type %d with operation %d: not a valid pair", what,
                      (int)dtype, (int)op);
        return 0;
    }
    return esize;
}

#define REDUCE_ARITH(T)                                                                        \
    do {                                                                                       \
        T *a = acc;                                                                            \
        const T *b = in;                                                                       \
        for (size_t i = 0; i < count; i++) {                                                   \
            switch (op) {                                                                      \
            case BP_OP_SUM: a[i] = a[i] + b[i]; break;                                         \
            case BP_OP_PROD: a[i] = a[i] * b[i]; break;                                        \
            case BP_OP_MIN: a[i] = b[i] < a[i] ? b[i] : a[i]; break;                           \
            case BP_OP_MAX: a[i] = b[i] > a[i] ? b[i] : a[i]; break;                           \
            default: REDUCE_INT_OPS(a, b, i); break;                                           \
            }                                                                                  \
        }                                                                                      \
    } while (0)

#define REDUCE_INT_OPS(a, b, i)                                                                \
    do {                                                                                       \
        switch (op) {                                                                          \
        case BP_OP_LAND: a[i] = (a[i] != 0) && (b[i] != 0); break;                             \
        case BP_OP_LOR: a[i] = (a[i] != 0) || (b[i] != 0); break;                              \
        case BP_OP_BAND: a[i] = a[i] & b[i]; break;                                            \
        case BP_OP_BOR: a[i] = a[i] | b[i]; break;                                             \
        case BP_OP_BXOR: a[i] = a[i] ^ b[i]; break;                                            \
        default: break;                                                                        \
        }                                                                                      \
    } while (0)

static void reduce_int32(int32_t *acc, const int32_t *in, size_t count, bp_op_t op)
{
    /* sums and products wrap (computed unsigned: signed overflow is undefined in C) */
    for (size_t i = 0; i < count; i++) {
        if (op == BP_OP_SUM) {
            acc[i] = (int32_t)((uint32_t)acc[i] + (uint32_t)in[i]);
        } else if (op == BP_OP_PROD) {
            acc[i] = (int32_t)((uint32_t)acc[i] * (uint32_t)in[i]);
        }
    }
    if (op != BP_OP_SUM && op != BP_OP_PROD) {
        REDUCE_ARITH(int32_t);
    }
}

static void reduce_int64(int64_t *acc, const int64_t *in, size_t count, bp_op_t op)
{
    for (size_t i = 0; i < count; i++) {
        if (op == BP_OP_SUM) {
            acc[i] = (int64_t)((uint64_t)acc[i] + (uint64_t)in[i]);
        } else if (op == BP_OP_PROD) {
            acc[i] = (int64_t)((uint64_t)acc[i] * (uint64_t)in[i]);
        }
    }
    if (op != BP_OP_SUM && op != BP_OP_PROD) {
        REDUCE_ARITH(int64_t);
    }
}

static void reduce_uint64(uint64_t *acc, const uint64_t *in, size_t count, bp_op_t op)
{
    REDUCE_ARITH(uint64_t);
}

#undef REDUCE_INT_OPS
#define REDUCE_INT_OPS(a, b, i) (void)0 /* refused for floating point by coll_check */

static void reduce_float(float *acc, const float *in, size_t count, bp_op_t op)
{
    REDUCE_ARITH(float);
}

static void reduce_double(double *acc, const double *in, size_t count, bp_op_t op)
{
    REDUCE_ARITH(double);
}

/* acc[i] = acc[i] op in[i]; dtype and op already checked. */
void bpi_reduce(void *acc, const void *in, size_t count, bp_dtype_t dtype, bp_op_t op)
{
    switch (dtype) {
    case BP_DT_INT32:
        reduce_int32(acc, in, count, op);
        break;
    case BP_DT_INT64:
        reduce_int64(acc, in, count, op);
        break;
    case BP_DT_UINT64:
        reduce_uint64(acc, in, count, op);
        break;
    case BP_DT_FLOAT:
        reduce_float(acc, in, count, op);
        break;
    case BP_DT_DOUBLE:
        reduce_double(acc, in, count, op);
        break;
    }
}

/* Binomial-tree reduction to rank 0: children's partial results into recvbuf. */
static bp_status_t coll_reduce_msg(bp_context_t *ctx, void *recvbuf, void *tmp, size_t count,
                                   bp_dtype_t dtype, bp_op_t op, uint64_t tag)
{
    size_t bytes = count * bpi_dtype_size(dtype);
    bp_status_t status;
    bp_request_t *req;

    for (int mask = 1; mask < ctx->size; mask <<= 1) {
        if (ctx->rank & mask) {
            status = bpi_isend(ctx, recvbuf, bytes, ctx->rank - mask, tag, BPI_WIRE_F_INTERNAL,
                               &req);
            return status == BP_OK ? bp_wait(&req, NULL) : status;
        }
        if (ctx->rank + mask < ctx->size) {
            status = bpi_irecv(ctx, tmp, bytes, ctx->rank + mask, tag, 0, BPI_WIRE_F_INTERNAL,
                               &req);
            if (status == BP_OK) {
                status = bp_wait(&req, NULL);
            }
            if (status != BP_OK) {
                return status;
            }
            bpi_reduce(recvbuf, tmp, count, dtype, op);
        }
    }
    return BP_OK;
}

static bp_status_t coll_allreduce(bp_context_t *ctx, const void *sendbuf, void *recvbuf,
                                  size_t count, bp_dtype_t dtype, bp_op_t op)
{
    size_t esize, bytes;
    uint64_t epoch;
    bp_status_t status;
    void *tmp;

    esize = bpi_reduce_esize(dtype, op, "bp_allreduce");
    if (esize == 0) {
        return BP_ERR_INVAL;
    }
    if (count > SIZE_MAX / esize || ((sendbuf == NULL || recvbuf == NULL) && count > 0)) {
        bpi_log_error("bp_allreduce: %zu elements of %zu bytes, buffers %p and %p", count,
                      esize, sendbuf, recvbuf);
        return BP_ERR_INVAL;
    }
    if (BP_UNLIKELY(ctx->nfailed > 0)) {
        return BP_ERR_PEER;
    }
    bytes = count * esize;
    if (ctx->hcoll != NULL) {
        status = bpi_hcoll_allreduce(ctx, sendbuf, recvbuf, count, dtype, op);
        if (status != BP_ERR_NOTSUP) {
            return status;
        }
    }
    if (sendbuf != recvbuf && bytes > 0) {
        memmove(recvbuf, sendbuf, bytes);
    }
    if (ctx->size == 1) {
        return BP_OK;
    }
    tmp = malloc(bytes > 0 ? bytes : 1);
    if (tmp == NULL) {
        bpi_log_error("bp_allreduce: out of memory for %zu bytes", bytes);
        return BP_ERR_NOMEM;
    }
    epoch = ctx->barrier_epoch++;
    status = coll_reduce_msg(ctx, recvbuf, tmp, count, dtype, op,
                             bpi_coll_tag(BPI_COLL_REDUCE, epoch, 0));
    free(tmp);
    if (status != BP_OK) {
        return status;
    }
    return coll_bcast_msg(ctx, recvbuf, bytes, 0, bpi_coll_tag(BPI_COLL_BCAST, epoch, 0));
}

/* The public collectives (BPI_IN_COLL: the layer above's hook may run while they wait). */
bp_status_t bp_barrier(bp_context_t *ctx)
{
    bp_status_t status;

    if (ctx == NULL) {
        return BP_ERR_INVAL;
    }
    BPI_IN_COLL(ctx, status, coll_barrier(ctx));
    return status;
}

bp_status_t bp_bcast(bp_context_t *ctx, void *buf, size_t len, int root)
{
    bp_status_t status;

    if (ctx == NULL) {
        return BP_ERR_INVAL;
    }
    BPI_IN_COLL(ctx, status, coll_bcast(ctx, buf, len, root));
    return status;
}

bp_status_t bp_allreduce(bp_context_t *ctx, const void *sendbuf, void *recvbuf, size_t count,
                         bp_dtype_t dtype, bp_op_t op)
{
    bp_status_t status;

    if (ctx == NULL) {
        return BP_ERR_INVAL;
    }
    BPI_IN_COLL(ctx, status, coll_allreduce(ctx, sendbuf, recvbuf, count, dtype, op));
    return status;
}

bp_status_t bp_set_coll_hook(bp_context_t *ctx, void (*hook)(void *arg), void *arg)
{
    if (ctx == NULL) {
        return BP_ERR_INVAL;
    }
    ctx->coll_hook = hook;
    ctx->coll_hook_arg = arg;
    return BP_OK;
}
