/*
 * request.c - point-to-point calls of the native API: send and receive (blocking and not),
 * requests and their completion (test, wait, waitall, waitany, cancel), probe.
 *
 * Eager protocol: a message goes as frames of at most peer->max_frame payload bytes, the
 * first (EAGER) carrying tag and full length, the rest (FRAG) only data. A send that finds
 * no room (BP_ERR_AGAIN) waits in its peer's send queue, in order, and progress pushes it
 * on. (A later rendezvous protocol hooks in at bpi_send_start for large messages.)
 */
#include <stdlib.h>
#include <string.h>

#include "core/core.h"

char bpi_nobuf[1];

/* --- the request pool ---------------------------------------------------------------- */

#define REQ_CHUNK 64

typedef struct req_chunk {
    struct req_chunk *next;
    bp_request_t reqs[REQ_CHUNK];
} req_chunk_t;

/* Grow the pool by a chunk; chunks are freed at finalize. -1 when out of memory. */
static BP_SLOWPATH int req_pool_grow(bp_context_t *ctx)
{
    req_chunk_t *chunk = calloc(1, sizeof(*chunk));

    if (chunk == NULL) {
        bpi_log_error("out of memory for requests");
        return -1;
    }
    chunk->next = ctx->req_chunks;
    ctx->req_chunks = chunk;
    for (int i = 0; i < REQ_CHUNK; i++) {
        bpi_list_push_back(&ctx->req_free, &chunk->reqs[i].link);
    }
    return 0;
}

/* A request from the pool, its fields left as they were: the caller sets every field its
 * kind of request reads (the fast paths below), or clears it all (bpi_req_get). */
static inline bp_request_t *req_pop(bp_context_t *ctx)
{
    bp_request_t *req;

    if (BP_UNLIKELY(bpi_list_empty(&ctx->req_free)) && req_pool_grow(ctx) != 0) {
        return NULL;
    }
    req = bpi_container_of(ctx->req_free.next, bp_request_t, link);
    bpi_list_remove(&req->link);
    return req;
}

bp_request_t *bpi_req_get(bp_context_t *ctx)
{
    bp_request_t *req = req_pop(ctx);

    if (req == NULL) {
        return NULL;
    }
    memset(req, 0, sizeof(*req));
    bpi_list_init(&req->link);
    req->ctx = ctx;
    req->pooled = 1;
    req->status = BP_INPROGRESS;
    return req;
}

void bpi_req_pool_free(bp_context_t *ctx)
{
    req_chunk_t *chunk = ctx->req_chunks;

    while (chunk != NULL) {
        req_chunk_t *next = chunk->next;
        free(chunk);
        chunk = next;
    }
    ctx->req_chunks = NULL;
    bpi_list_init(&ctx->req_free);
}

void bpi_req_put(bp_request_t *req)
{
    bpi_list_push_back(&req->ctx->req_free, &req->link);
}

/* --- sending ------------------------------------------------------------------------- */

static inline void send_hdr_init(bpi_wire_hdr_t *hdr, const bp_context_t *ctx, uint8_t flags,
                                 uint64_t tag, size_t len)
{
    hdr->type = BPI_WIRE_EAGER;
    hdr->flags = flags;
    hdr->tl_op = 0;
    hdr->src = (uint32_t)ctx->rank;
    hdr->frame_len = 0;
    hdr->reserved = 0;
    hdr->tag = tag;
    hdr->msg_len = len;
}

/* A message to oneself is delivered at once, through the same arrival path. */
static void send_self(bp_context_t *ctx, bp_request_t *req)
{
    bpi_wire_hdr_t hdr;
    size_t off = 0;

    send_hdr_init(&hdr, ctx, req->flags, req->tag, req->len);
    do {
        size_t n = req->len - off > (1u << 30) ? (1u << 30) : req->len - off;
        hdr.frame_len = (uint32_t)n;
        bpi_core_recv_cb(ctx, &hdr, req->buf + off);
        hdr.type = BPI_WIRE_FRAG;
        off += n;
    } while (off < req->len);
    req->offset = off;
}

/* A stream through a transport that writes large frames from our buffer in parts
 * (send_part): frames of up to BPI_WIRE_PLACED_MAX, each resumed where the socket stopped. */
static bp_status_t send_push_parts(const bpi_tl_ops_t *ops, bpi_tl_ep_t *ep,
                                   bpi_wire_hdr_t *hdr, bp_request_t *req)
{
    do {
        size_t n = req->len - req->offset;
        bp_status_t status;
        if (n > BPI_WIRE_PLACED_MAX) {
            n = BPI_WIRE_PLACED_MAX;
        }
        hdr->frame_len = (uint32_t)n;
        hdr->msg_len = req->offset;
        status = ops->send_part(ep, hdr, req->buf + req->offset, &req->part);
        if (status != BP_OK) {
            return status; /* BP_ERR_AGAIN: req->part says how far this frame got */
        }
        req->part = 0;
        req->offset += n;
    } while (req->offset < req->len);
    return BP_OK;
}

/* Push the data frames of req from req->offset on: EAGER then FRAG frames, or RDATA frames
 * of a rendezvous stream (tag: the receiver's id, msg_len: the offset). */
static bp_status_t send_push_data(bp_context_t *ctx, bpi_peer_t *peer, bp_request_t *req)
{
    bpi_wire_hdr_t hdr;
    bp_status_t status;
    int stream = req->proto == BPI_PROTO_STREAM;
    bp_status_t (*send)(bpi_tl_ep_t *, const bpi_wire_hdr_t *, const void *) = peer->send;
    const bpi_tl_ops_t *ops = peer->tl;
    bpi_tl_ep_t *ep = peer->ep;
    size_t max_frame = peer->max_frame;

    send_hdr_init(&hdr, ctx, req->flags, req->tag, req->len);
    if (stream) {
        hdr.type = BPI_WIRE_RDATA;
        hdr.tag = req->remote_id;
        if (req->lane) { /* lane.c */
            ops = peer->lane->ops;
            send = ops->send;
            ep = peer->lane_ep;
            max_frame = ops->max_frame(peer->lane->iface);
        }
        if (ops->send_part != bpi_tl_notsup_send_part) {
            return send_push_parts(ops, ep, &hdr, req);
        }
    } else if (req->offset > 0) {
        hdr.type = BPI_WIRE_FRAG;
    }
    do {
        size_t n = req->len - req->offset;
        if (n > max_frame) {
            n = max_frame;
        }
        hdr.frame_len = (uint32_t)n;
        if (stream) {
            hdr.msg_len = req->offset;
        }
        status = send(ep, &hdr, req->buf + req->offset);
        if (status != BP_OK) {
            return status;
        }
        if (!stream) {
            hdr.type = BPI_WIRE_FRAG;
        }
        req->offset += n;
    } while (req->offset < req->len);
    return BP_OK;
}

/* Push what req still has to send: BP_OK when it is all out, else why not. */
bp_status_t bpi_send_push(bp_context_t *ctx, bpi_peer_t *peer, bp_request_t *req)
{
    bpi_wire_hdr_t hdr;
    bpi_wire_rts_t rts;

    switch (req->proto) {
    case BPI_PROTO_RTS:
        send_hdr_init(&hdr, ctx, req->flags, req->tag, req->len);
        hdr.type = BPI_WIRE_RTS;
        hdr.frame_len = sizeof(rts);
        rts.sender_id = req->rndv_id;
        rts.addr = (uint64_t)(uintptr_t)req->buf;
        return peer->send(peer->ep, &hdr, &rts);
    case BPI_PROTO_CTRL:
        send_hdr_init(&hdr, ctx, 0, req->tag, req->msg_len);
        hdr.type = req->wire_type;
        hdr.frame_len = (uint32_t)req->len;
        return peer->send(peer->ep, &hdr, req->ctrl);
    default:
        return send_push_data(ctx, peer, req);
    }
}

/* A request whose frames are all out: complete it, or, for an RTS, wait for FIN or CTS. */
static void send_pushed(bp_context_t *ctx, bp_request_t *req)
{
    if (req->proto == BPI_PROTO_RTS) {
        return; /* completes on FIN; a CTS queues it again as a stream */
    }
    if (req->lane) {
        bpi_lane_drop(ctx, req);
    }
    bpi_req_complete(req, BP_OK);
    if (req->autofree) {
        bpi_req_put(req);
    }
}

void bpi_send_enqueue(bp_context_t *ctx, bpi_peer_t *peer, bp_request_t *req)
{
    if (bpi_list_empty(&peer->sendq)) {
        bpi_list_push_back(&ctx->sendq_peers, &peer->sendq_link);
    }
    bpi_list_push_back(&peer->sendq, &req->link);
    req->queued = 1;
}

bp_status_t bpi_send_start(bp_context_t *ctx, bp_request_t *req)
{
    bpi_peer_t *peer;
    bp_status_t status;

    if (req->peer == ctx->rank) {
        send_self(ctx, req);
        bpi_req_complete(req, BP_OK);
        return BP_OK;
    }
    peer = &ctx->peers[req->peer];
    if (BP_UNLIKELY(peer->failed)) {
        bpi_req_complete(req, BP_ERR_PEER);
        return BP_ERR_PEER;
    }
    bpi_hand_sent(ctx, req->peer);
    if (req->len >= ctx->config.rndv_thresh || req->sync) {
        status = bpi_rndv_send_start(ctx, req);
        if (status != BP_OK) {
            return status;
        }
    }
    if (!bpi_list_empty(&peer->sendq)) {
        bpi_send_enqueue(ctx, peer, req); /* behind earlier sends: order */
        return BP_INPROGRESS;
    }
    status = bpi_send_push(ctx, peer, req);
    if (status == BP_OK) {
        send_pushed(ctx, req);
        status = req->done ? BP_OK : BP_INPROGRESS;
    } else if (status == BP_ERR_AGAIN) {
        bpi_send_enqueue(ctx, peer, req);
        status = BP_INPROGRESS;
    } else {
        bpi_rndv_release(ctx, req);
        bpi_req_complete(req, status);
    }
    return status;
}

void bpi_sendq_progress(bp_context_t *ctx)
{
    bpi_list_t *ppos, *ptmp, *pos, *tmp;

    bpi_list_for_each_safe(ppos, ptmp, &ctx->sendq_peers) {
        bpi_peer_t *peer = bpi_container_of(ppos, bpi_peer_t, sendq_link);
        bpi_list_for_each_safe(pos, tmp, &peer->sendq) {
            bp_request_t *req = bpi_container_of(pos, bp_request_t, link);
            bp_status_t status = bpi_send_push(ctx, peer, req);
            if (status == BP_ERR_AGAIN) {
                break;
            }
            bpi_list_remove(&req->link);
            req->queued = 0;
            if (status == BP_OK) {
                send_pushed(ctx, req);
            } else {
                bpi_rndv_release(ctx, req);
                bpi_req_complete(req, status);
                if (req->autofree) {
                    bpi_req_put(req);
                }
            }
        }
        if (bpi_list_empty(&peer->sendq)) {
            bpi_list_remove(&peer->sendq_link);
        }
    }
}

static BP_SLOWPATH bp_status_t p2p_check_fail(const bp_context_t *ctx, const void *buf,
                                               size_t len, int peer, int any_ok)
{
    if (ctx == NULL) {
        return BP_ERR_INVAL;
    }
    if ((peer < 0 || peer >= ctx->size) && !(any_ok && peer == BP_ANY_SOURCE)) {
        bpi_log_error("rank %d is not in the job (size %d)", peer, ctx->size);
        return BP_ERR_INVAL;
    }
    if (buf == NULL && len > 0) {
        bpi_log_error("NULL buffer for %zu bytes", len);
        return BP_ERR_INVAL;
    }
    return BP_OK;
}

/* Argument checks of every point-to-point call; the failures are explained out of line. */
static inline bp_status_t p2p_check(const bp_context_t *ctx, const void *buf, size_t len,
                                    int peer, int any_ok)
{
    if (BP_LIKELY(ctx != NULL &&
                  ((unsigned)peer < (unsigned)ctx->size || (any_ok && peer == BP_ANY_SOURCE)) &&
                  (buf != NULL || len == 0))) {
        return BP_OK;
    }
    return p2p_check_fail(ctx, buf, len, peer, any_ok);
}

/* bpi_isend, and bp_issend with sync set. */
static bp_status_t isend_start(bp_context_t *ctx, const void *buf, size_t len, int dest,
                               uint64_t tag, uint8_t flags, uint8_t sync, bp_request_t **req_p)
{
    bp_request_t *req = bpi_req_get(ctx);
    bp_status_t status;

    if (req == NULL) {
        return BP_ERR_NOMEM;
    }
    req->type = BPI_REQ_SEND;
    req->flags = flags;
    req->sync = sync;
    req->peer = dest;
    req->tag = tag;
    req->buf = bpi_buf(buf);
    req->len = len;
    status = bpi_send_start(ctx, req);
    if (status < 0 && status != BP_ERR_PEER) {
        bpi_req_put(req);
        return status;
    }
    *req_p = req; /* a failed peer is reported by the request, as for receives */
    return BP_OK;
}

bp_status_t bpi_isend(bp_context_t *ctx, const void *buf, size_t len, int dest, uint64_t tag,
                      uint8_t flags, bp_request_t **req_p)
{
    return isend_start(ctx, buf, len, dest, tag, flags, 0, req_p);
}

bp_status_t bp_issend(bp_context_t *ctx, const void *buf, size_t len, int dest, uint64_t tag,
                      bp_request_t **req_p)
{
    bp_status_t status = p2p_check(ctx, buf, len, dest, 0);

    if (status != BP_OK || req_p == NULL) {
        return status != BP_OK ? status : BP_ERR_INVAL;
    }
    return isend_start(ctx, buf, len, dest, tag, 0, 1, req_p);
}

/* bp_isend when the message does not go out in one frame right away (and every error). */
static BP_NOINLINE bp_status_t isend_general(bp_context_t *ctx, const void *buf, size_t len,
                                             int dest, uint64_t tag, bp_request_t **req_p)
{
    bp_status_t status = p2p_check(ctx, buf, len, dest, 0);

    if (status != BP_OK || req_p == NULL) {
        return status != BP_OK ? status : BP_ERR_INVAL;
    }
    return bpi_isend(ctx, buf, len, dest, tag, 0, req_p);
}

bp_status_t bp_isend(bp_context_t *ctx, const void *buf, size_t len, int dest, uint64_t tag,
                     bp_request_t **req_p)
{
    /* fast path, as bp_send's: the frame goes out now, and the request is born complete.
     * Only the fields a complete send request is read for are set (req_info, bp_cancel,
     * bpi_req_put); a send that is refused (no room, failed peer) goes the general way,
     * which tries it again and queues or fails it. */
    if (BP_LIKELY(ctx != NULL && (unsigned)dest < (unsigned)ctx->size && dest != ctx->rank &&
                  (buf != NULL || len == 0) && req_p != NULL &&
                  !bpi_list_empty(&ctx->req_free))) {
        bpi_peer_t *peer = &ctx->peers[dest];
        if (BP_LIKELY(len <= peer->eager_max && bpi_list_empty(&peer->sendq))) {
            bpi_wire_hdr_t hdr;
            send_hdr_init(&hdr, ctx, 0, tag, len);
            hdr.frame_len = (uint32_t)len;
            bpi_hand_sent(ctx, dest);
            if (BP_LIKELY(peer->send(peer->ep, &hdr, buf) == BP_OK)) {
                bp_request_t *req = req_pop(ctx);
                req->ctx = ctx;
                req->type = BPI_REQ_SEND;
                req->done = 1;
                req->queued = 0;
                req->status = BP_OK;
                req->tag = tag;
                req->len = len;
                *req_p = req;
                return BP_OK;
            }
        }
    }
    return isend_general(ctx, buf, len, dest, tag, req_p);
}

/* bp_send when the message does not go out in one frame right away. */
static BP_SLOWPATH bp_status_t send_blocking(bp_context_t *ctx, const void *buf, size_t len,
                                             int dest, uint64_t tag)
{
    bp_request_t req;
    bp_status_t status = p2p_check(ctx, buf, len, dest, 0);

    if (status != BP_OK) {
        return status;
    }
    memset(&req, 0, sizeof(req));
    bpi_list_init(&req.link);
    req.ctx = ctx;
    req.type = BPI_REQ_SEND;
    req.peer = dest;
    req.tag = tag;
    req.buf = bpi_buf(buf);
    req.len = len;
    status = bpi_send_start(ctx, &req);
    if (status != BP_INPROGRESS) {
        return status;
    }
    return bpi_wait_req(ctx, &req);
}

BP_HOT bp_status_t bp_send(bp_context_t *ctx, const void *buf, size_t len, int dest, uint64_t tag)
{
    /* fast path: valid arguments, another rank, one frame, nothing queued before it (a
     * failed peer's send slot answers BP_ERR_PEER); everything else, errors included, is
     * handled by send_blocking */
    if (BP_LIKELY(ctx != NULL && (unsigned)dest < (unsigned)ctx->size && dest != ctx->rank &&
                  (buf != NULL || len == 0))) {
        bpi_peer_t *peer = &ctx->peers[dest];
        if (BP_LIKELY(len <= peer->eager_max && bpi_list_empty(&peer->sendq))) {
            /* what the rare fallback needs after the call, kept beside the header in
             * memory (the header's address is passed on, so they are stored before the
             * call and read back only on that path): five callee-saved registers saved
             * and restored on every send cost more than three stores */
            struct {
                bpi_wire_hdr_t hdr;
                bp_context_t *ctx;
                const void *buf;
                int dest;
            } f;
            bp_status_t status;
            send_hdr_init(&f.hdr, ctx, 0, tag, len);
            f.hdr.frame_len = (uint32_t)len;
            f.ctx = ctx;
            f.buf = buf;
            f.dest = dest;
            bpi_hand_sent(ctx, dest);
            status = peer->send(peer->ep, &f.hdr, buf);
            if (BP_LIKELY(status != BP_ERR_AGAIN)) {
                return status;
            }
            return send_blocking(f.ctx, f.buf, f.hdr.msg_len, f.dest, f.hdr.tag);
        }
    }
    return send_blocking(ctx, buf, len, dest, tag);
}

/* --- receiving ----------------------------------------------------------------------- */

/* Every field a receive is read for: pooled requests are not cleared on reuse, and
 * bp_recv's lives on its stack. */
static inline void recv_init(bp_request_t *req, bp_context_t *ctx, void *buf, size_t len,
                             int src, uint64_t tag, uint64_t ignore, uint8_t flags,
                             uint8_t pooled)
{
    req->ctx = ctx;
    req->type = BPI_REQ_RECV;
    req->done = 0;
    req->flags = flags;
    req->pooled = pooled;
    req->queued = 0;
    req->proto = 0;
    req->autofree = 0;
    req->lane = 0;
    req->status = BP_INPROGRESS;
    req->peer = src;
    req->tag = tag;
    req->ignore = ignore;
    req->buf = bpi_buf(buf);
    req->len = len;
    req->msg_len = 0;
    req->offset = 0;
    req->source = BP_ANY_SOURCE;
    req->rtag = 0;
    req->rndv_id = 0;
}

bp_status_t bpi_irecv(bp_context_t *ctx, void *buf, size_t len, int src, uint64_t tag,
                      uint64_t ignore, uint8_t flags, bp_request_t **req_p)
{
    bp_request_t *req = req_pop(ctx);

    if (BP_UNLIKELY(req == NULL)) {
        return BP_ERR_NOMEM;
    }
    recv_init(req, ctx, buf, len, src, tag, ignore, flags, 1);
    bpi_recv_post(ctx, req);
    *req_p = req;
    return BP_OK;
}

bp_status_t bp_irecv(bp_context_t *ctx, void *buf, size_t len, int src, uint64_t tag,
                     uint64_t ignore, bp_request_t **req_p)
{
    bp_status_t status = p2p_check(ctx, buf, len, src, 1);

    if (BP_UNLIKELY(status != BP_OK || req_p == NULL)) {
        return status != BP_OK ? status : BP_ERR_INVAL;
    }
    return bpi_irecv(ctx, buf, len, src, tag, ignore, 0, req_p);
}

static void req_info(const bp_request_t *req, bp_msginfo_t *info)
{
    if (info == NULL) {
        return;
    }
    if (req->type == BPI_REQ_RECV) {
        info->source = req->source;
        info->tag = req->rtag;
        info->length = req->msg_len;
    } else {
        info->source = req->ctx->rank;
        info->tag = req->tag;
        info->length = req->len;
    }
    info->status = req->status;
}

BP_HOT bp_status_t bp_recv(bp_context_t *ctx, void *buf, size_t len, int src, uint64_t tag,
                    uint64_t ignore, bp_msginfo_t *info_p)
{
    bp_request_t req;
    bp_status_t status = p2p_check(ctx, buf, len, src, 1);

    if (BP_UNLIKELY(status != BP_OK)) {
        return status;
    }
    /* on the stack: never in the pool, out of every queue when this returns */
    recv_init(&req, ctx, buf, len, src, tag, ignore, 0, 0);
    bpi_recv_post(ctx, &req);
    status = bpi_wait_req(ctx, &req);
    req_info(&req, info_p);
    return status;
}

/* --- completion ---------------------------------------------------------------------- */

static bp_status_t req_finish(bp_request_t **req_p, bp_msginfo_t *info_p)
{
    bp_request_t *req = *req_p;
    bp_status_t status = req->status;

    req_info(req, info_p);
    bpi_req_put(req);
    *req_p = NULL;
    return status;
}

static void req_null_info(bp_msginfo_t *info_p)
{
    if (info_p != NULL) {
        info_p->source = BP_ANY_SOURCE;
        info_p->tag = 0;
        info_p->length = 0;
        info_p->status = BP_OK;
    }
}

bp_status_t bp_test(bp_request_t **req_p, int *done_p, bp_msginfo_t *info_p)
{
    if (req_p == NULL || done_p == NULL) {
        return BP_ERR_INVAL;
    }
    if (*req_p == NULL) {
        *done_p = 1;
        req_null_info(info_p);
        return BP_OK;
    }
    if (!(*req_p)->done) {
        bpi_progress((*req_p)->ctx);
    }
    if (!(*req_p)->done) {
        bpi_liveness_tick((*req_p)->ctx);
        *done_p = 0;
        return BP_OK;
    }
    *done_p = 1;
    return req_finish(req_p, info_p);
}

bp_status_t bp_wait(bp_request_t **req_p, bp_msginfo_t *info_p)
{
    if (req_p == NULL) {
        return BP_ERR_INVAL;
    }
    if (*req_p == NULL) {
        req_null_info(info_p);
        return BP_OK;
    }
    if (!(*req_p)->done) {
        bpi_wait_req((*req_p)->ctx, *req_p);
    }
    return req_finish(req_p, info_p);
}

bp_status_t bp_waitall(size_t n, bp_request_t **reqs, bp_msginfo_t *infos)
{
    bp_status_t first = BP_OK;

    if (reqs == NULL && n > 0) {
        return BP_ERR_INVAL;
    }
    for (size_t i = 0; i < n; i++) {
        bp_status_t status = bp_wait(&reqs[i], infos != NULL ? &infos[i] : NULL);
        if (status != BP_OK && first == BP_OK) {
            first = status;
        }
    }
    return first;
}

bp_status_t bp_waitany(size_t n, bp_request_t **reqs, size_t *index_p, bp_msginfo_t *info_p)
{
    bp_context_t *ctx = NULL;
    bpi_idle_t idle = {0};

    if ((reqs == NULL && n > 0) || index_p == NULL) {
        return BP_ERR_INVAL;
    }
    for (size_t i = 0; i < n; i++) {
        if (reqs[i] != NULL) {
            ctx = reqs[i]->ctx;
            break;
        }
    }
    if (ctx == NULL) {
        *index_p = SIZE_MAX;
        req_null_info(info_p);
        return BP_OK;
    }
    for (;;) {
        for (size_t i = 0; i < n; i++) {
            if (reqs[i] != NULL && reqs[i]->done) {
                *index_p = i;
                bpi_idle_end(ctx, &idle);
                return req_finish(&reqs[i], info_p);
            }
        }
        if (bpi_progress(ctx) == 0) {
            bpi_idle(ctx, &idle);
        }
    }
}

bp_status_t bp_cancel(bp_request_t *req)
{
    if (req == NULL) {
        return BP_ERR_INVAL;
    }
    if (req->type == BPI_REQ_RECV && req->queued && !req->done) {
        bpi_list_remove(&req->link);
        req->queued = 0;
        bpi_req_complete(req, BP_ERR_CANCELED);
    }
    return BP_OK;
}

/* --- probe --------------------------------------------------------------------------- */

static int probe_once(bp_context_t *ctx, int src, uint64_t tag, uint64_t ignore,
                      bp_msginfo_t *info_p)
{
    bpi_unexp_t *u = bpi_unexp_find(ctx, src, tag, ignore, 0);

    if (u == NULL) {
        return 0;
    }
    if (info_p != NULL) {
        info_p->source = u->source;
        info_p->tag = u->tag;
        info_p->length = u->msg_len;
        info_p->status = BP_OK;
    }
    return 1;
}

bp_status_t bp_iprobe(bp_context_t *ctx, int src, uint64_t tag, uint64_t ignore, int *found_p,
                      bp_msginfo_t *info_p)
{
    bp_status_t status = p2p_check(ctx, NULL, 0, src, 1);

    if (status != BP_OK || found_p == NULL) {
        return status != BP_OK ? status : BP_ERR_INVAL;
    }
    bpi_progress(ctx);
    *found_p = probe_once(ctx, src, tag, ignore, info_p);
    if (!*found_p) {
        bpi_liveness_tick(ctx);
        if (BP_UNLIKELY(ctx->nfailed > 0) && bpi_peer_fail_hits(ctx, src, 0)) {
            return BP_ERR_PEER; /* nothing can come from it any more (see bypass.h) */
        }
    }
    return BP_OK;
}

bp_status_t bp_probe(bp_context_t *ctx, int src, uint64_t tag, uint64_t ignore,
                     bp_msginfo_t *info_p)
{
    bpi_idle_t idle = {0};
    bp_status_t status = p2p_check(ctx, NULL, 0, src, 1);

    if (status != BP_OK) {
        return status;
    }
    while (!probe_once(ctx, src, tag, ignore, info_p)) {
        if (BP_UNLIKELY(ctx->nfailed > 0) && bpi_peer_fail_hits(ctx, src, 0)) {
            status = BP_ERR_PEER;
            break;
        }
        if (bpi_progress(ctx) == 0) {
            bpi_idle(ctx, &idle);
        }
    }
    bpi_idle_end(ctx, &idle);
    return status;
}
