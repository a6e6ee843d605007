/*
 * rndv.c - the rendezvous protocol, for messages of at least BP_RNDV_THRESH bytes.
 *
 *   sender                                   receiver
 *   RTS {tag, len, sender id, address}  -->  matched like an EAGER frame (same queues, same
 *                                            order), then either:
 *     bulk path:                             the transport copies the data straight from the
 *                                            sender's buffer (shm: process_vm_readv, one copy)
 *                                    <--    FIN {sender id, status}: the send completes
 *     cooperative (both sides copy, for messages of at least BP_RNDV_COOP bytes):
 *                                    <--    COOP {sender id, receiver id, buffer, half}
 *   the sender writes the first half          the receiver reads the second half
 *   into the receive buffer (bulk_put)        (bulk_get), then:
 *                                    <--    FIN: the send completes
 *   WDONE {receiver id, status}        -->  the receive completes
 *     stream path (no bulk path here):
 *                                    <--    CTS {sender id, receiver id}
 *   RDATA {receiver id, offset} ...    -->  copied into the receive buffer, which completes
 *                                            when every byte has come; the send completes
 *                                            when its last frame is out
 *
 * Messages in flight are found by id: a slot index in ctx->rndv and that slot's generation,
 * so a stale or forged id in a frame finds nothing (and is logged and dropped). A truncated
 * receive moves only what fits and reports the full length, as eager messages do.
 */
#include <stdlib.h>
#include <string.h>

#include "core/core.h"

/* --- ids --------------------------------------------------------------------------------- */

static uint64_t rndv_id_get(bp_context_t *ctx, bp_request_t *req)
{
    uint32_t idx;

    if (ctx->rndv_free == 0) {
        uint32_t cap = ctx->rndv_cap ? ctx->rndv_cap * 2 : 64;
        bpi_rndv_slot_t *slots = realloc(ctx->rndv, cap * sizeof(*slots));
        if (slots == NULL) {
            bpi_log_error("out of memory for rendezvous messages");
            return 0;
        }
        for (uint32_t i = ctx->rndv_cap; i < cap; i++) {
            slots[i].req = NULL;
            slots[i].gen = 1;
            slots[i].next_free = i + 1 < cap ? i + 2 : 0;
        }
        ctx->rndv = slots;
        ctx->rndv_free = ctx->rndv_cap + 1;
        ctx->rndv_cap = cap;
    }
    idx = ctx->rndv_free - 1;
    ctx->rndv_free = ctx->rndv[idx].next_free;
    ctx->rndv[idx].req = req;
    return ((uint64_t)ctx->rndv[idx].gen << 32) | idx;
}

static void rndv_id_put(bp_context_t *ctx, uint64_t id)
{
    uint32_t idx = (uint32_t)id;

    ctx->rndv[idx].req = NULL;
    ctx->rndv[idx].gen++;
    ctx->rndv[idx].next_free = ctx->rndv_free;
    ctx->rndv_free = idx + 1;
}

/* The request a peer's frame names, if the id is current and belongs to that peer. */
static bp_request_t *rndv_lookup(bp_context_t *ctx, uint64_t id, int src)
{
    uint32_t idx = (uint32_t)id;
    bp_request_t *req;

    if (idx >= ctx->rndv_cap || ctx->rndv[idx].gen != (uint32_t)(id >> 32)) {
        return NULL;
    }
    req = ctx->rndv[idx].req;
    if (req == NULL || (req->type == BPI_REQ_SEND ? req->peer : req->source) != src) {
        return NULL;
    }
    return req;
}

/* The request is done with (completed, failed or cancelled): free its id, if it has one. */
void bpi_rndv_release(bp_context_t *ctx, bp_request_t *req)
{
    if (req->rndv_id != 0) {
        rndv_id_put(ctx, req->rndv_id);
        req->rndv_id = 0;
    }
    if (req->lane) {
        bpi_lane_drop(ctx, req);
    }
}

void bpi_rndv_free(bp_context_t *ctx)
{
    free(ctx->rndv);
    ctx->rndv = NULL;
    ctx->rndv_cap = 0;
    ctx->rndv_free = 0;
}

/* --- control frames ---------------------------------------------------------------------- */

/* Send a control frame (CTS, FIN, COOP, WDONE) now, or queue it (as a request of the
 * library's own) behind the peer's other sends. payload: 16 bytes or NULL. */
static void rndv_ctrl_send(bp_context_t *ctx, int dest, uint8_t type, uint64_t tag,
                           uint64_t arg, const void *payload)
{
    bpi_peer_t *peer = &ctx->peers[dest];
    bp_request_t *req;

    if (bpi_list_empty(&peer->sendq)) {
        bpi_wire_hdr_t hdr = {.type = type, .src = (uint32_t)ctx->rank, .tag = tag,
                              .msg_len = arg, .frame_len = payload != NULL ? 16 : 0};
        bp_status_t status = peer->send(peer->ep, &hdr, payload);
        if (status != BP_ERR_AGAIN) {
            return; /* sent, or the peer is gone (its requests fail on their own) */
        }
    }
    req = bpi_req_get(ctx);
    if (req == NULL) {
        return; /* logged; the peer's request will be failed by liveness, not hang forever */
    }
    req->type = BPI_REQ_SEND;
    req->proto = BPI_PROTO_CTRL;
    req->wire_type = type;
    req->autofree = 1; /* nobody waits for it: back to the pool once sent */
    req->peer = dest;
    req->tag = tag;
    req->msg_len = arg;
    if (payload != NULL) {
        memcpy(req->ctrl, payload, sizeof(req->ctrl));
        req->len = sizeof(req->ctrl);
    }
    bpi_send_enqueue(ctx, peer, req);
}

/* --- sender ------------------------------------------------------------------------------ */

/* Called by bpi_send_start for a message of at least BP_RNDV_THRESH bytes. */
bp_status_t bpi_rndv_send_start(bp_context_t *ctx, bp_request_t *req)
{
    req->rndv_id = rndv_id_get(ctx, req);
    if (req->rndv_id == 0) {
        bpi_req_complete(req, BP_ERR_NOMEM);
        return BP_ERR_NOMEM;
    }
    req->proto = BPI_PROTO_RTS;
    return BP_OK;
}

/* --- receiver ---------------------------------------------------------------------------- */

static void rndv_recv_done(bp_request_t *req)
{
    bpi_req_complete(req, req->msg_len > req->len ? BP_ERR_TRUNC : BP_OK);
}

/*
 * Cooperative copy: the sender writes the first half (page aligned) into our buffer while we
 * read the second half out of its buffer; both cores copy. We complete on its WDONE, it
 * completes on our FIN.
 */
static void rndv_coop_start(bp_context_t *ctx, bp_request_t *req, int src, size_t n)
{
    bpi_peer_t *peer = &ctx->peers[src];
    bpi_wire_coop_t coop;
    bp_status_t status;
    size_t half = (n / 2) & ~(size_t)4095;

    req->rndv_id = rndv_id_get(ctx, req);
    if (req->rndv_id == 0) {
        rndv_ctrl_send(ctx, src, BPI_WIRE_FIN, req->remote_id, (uint64_t)(int64_t)BP_ERR_NOMEM,
                       NULL);
        bpi_req_complete(req, BP_ERR_NOMEM);
        return;
    }
    req->proto = BPI_PROTO_COOP;
    coop.addr = (uint64_t)(uintptr_t)req->buf;
    coop.len = half;
    rndv_ctrl_send(ctx, src, BPI_WIRE_COOP, req->remote_id, req->rndv_id, &coop);
    status = peer->tl->bulk_get(peer->ep, req->buf + half, req->remote_addr + half, n - half);
    /* the sender may complete now: our part of its buffer is read (or failed) */
    rndv_ctrl_send(ctx, src, BPI_WIRE_FIN, req->remote_id, (uint64_t)(int64_t)status, NULL);
    if (status != BP_OK) {
        req->status = status; /* reported when the sender's WDONE has come */
    }
}

/* A receive has matched an RTS (just arrived, or waiting in the unexpected queue). */
void bpi_rndv_recv_start(bp_context_t *ctx, bp_request_t *req, int src,
                         const bpi_wire_rts_t *rts)
{
    bpi_peer_t *peer = &ctx->peers[src];
    size_t n = req->msg_len < req->len ? req->msg_len : req->len;
    bp_status_t status;

    req->proto = BPI_PROTO_RTS;
    req->remote_id = rts->sender_id;
    req->remote_addr = rts->addr;
    if (n >= ctx->config.rndv_coop && peer->tl->bulk_get(peer->ep, NULL, 0, 0) == BP_OK) {
        rndv_coop_start(ctx, req, src, n);
        return;
    }
    status = peer->tl->bulk_get(peer->ep, req->buf, rts->addr, n);
    if (status == BP_OK) {
        rndv_ctrl_send(ctx, src, BPI_WIRE_FIN, rts->sender_id, (uint64_t)(int64_t)BP_OK, NULL);
        rndv_recv_done(req);
        return;
    }
    if (status != BP_ERR_NOTSUP) {
        /* logged by the transport; the sender learns it from the FIN */
        rndv_ctrl_send(ctx, src, BPI_WIRE_FIN, rts->sender_id, (uint64_t)(int64_t)status, NULL);
        bpi_req_complete(req, status);
        return;
    }
    /* no bulk path to this peer: ask for the data as a stream */
    req->proto = BPI_PROTO_STREAM;
    req->offset = 0;
    req->rndv_id = rndv_id_get(ctx, req);
    if (req->rndv_id == 0) {
        rndv_ctrl_send(ctx, src, BPI_WIRE_FIN, rts->sender_id,
                       (uint64_t)(int64_t)BP_ERR_NOMEM, NULL);
        bpi_req_complete(req, BP_ERR_NOMEM);
        return;
    }
    if (peer->lane != NULL) {
        bpi_lane_hold(ctx, req, peer); /* the sender may stream either way */
    }
    rndv_ctrl_send(ctx, src, BPI_WIRE_CTS, rts->sender_id, req->rndv_id, NULL);
}

/* --- frames ------------------------------------------------------------------------------ */

/* CTS, FIN and RDATA frames, from the arrival callback. */
void bpi_rndv_frame(bp_context_t *ctx, const bpi_wire_hdr_t *hdr, const void *payload)
{
    int src = (int)hdr->src;
    bp_request_t *req = rndv_lookup(ctx, hdr->tag, src);

    if (req == NULL) {
        bpi_log_error("rank %d sent a rendezvous frame (type %u) for an unknown message: "
                      "dropped", src, hdr->type);
        return;
    }
    /* a reply to an RTS that is still in our send queue (not sent yet: the peer cannot know
     * its id) is forged; acting on it would complete or re-queue a queued request (found by
     * fuzz/fuzz_frames.c: a CTS queued the send twice and looped its send queue) */
    if (req->type == BPI_REQ_SEND && req->queued) {
        bpi_log_error("rank %d answered a rendezvous message (type %u) that was not sent yet: "
                      "dropped", src, hdr->type);
        return;
    }
    switch (hdr->type) {
    case BPI_WIRE_FIN: /* the receiver has the data, or says why not */
        if (req->type != BPI_REQ_SEND || req->proto != BPI_PROTO_RTS) {
            break;
        }
        bpi_rndv_release(ctx, req);
        bpi_req_complete(req, (bp_status_t)(int64_t)hdr->msg_len);
        return;
    case BPI_WIRE_CTS: /* stream the data to the receiver's id */
        if (req->type != BPI_REQ_SEND || req->proto != BPI_PROTO_RTS) {
            break;
        }
        bpi_rndv_release(ctx, req);
        if (ctx->peers[src].lane_use) {
            bpi_lane_hold(ctx, req, &ctx->peers[src]);
        }
        ctx->streams[req->lane]++;
        req->proto = BPI_PROTO_STREAM;
        req->remote_id = hdr->msg_len;
        req->offset = 0;
        req->part = 0;
        bpi_send_enqueue(ctx, &ctx->peers[src], req);
        return;
    case BPI_WIRE_COOP: { /* write the first half of our data into the receiver's buffer */
        bpi_wire_coop_t coop;
        bp_status_t status;
        if (req->type != BPI_REQ_SEND || req->proto != BPI_PROTO_RTS ||
            hdr->frame_len != sizeof(coop)) {
            break;
        }
        memcpy(&coop, payload, sizeof(coop));
        if (coop.len > req->len) {
            break;
        }
        status = ctx->peers[src].tl->bulk_put(ctx->peers[src].ep, req->buf, coop.addr, coop.len);
        rndv_ctrl_send(ctx, src, BPI_WIRE_WDONE, hdr->msg_len, (uint64_t)(int64_t)status, NULL);
        return; /* the send completes on the FIN that follows */
    }
    case BPI_WIRE_WDONE: { /* the sender's half is in our buffer */
        bp_status_t status = (bp_status_t)(int64_t)hdr->msg_len;
        if (req->type != BPI_REQ_RECV || req->proto != BPI_PROTO_COOP) {
            break;
        }
        bpi_rndv_release(ctx, req);
        if (req->status < 0) {
            bpi_req_complete(req, req->status); /* our own half failed */
        } else if (status != BP_OK) {
            bpi_req_complete(req, status);
        } else {
            rndv_recv_done(req);
        }
        return;
    }
    case BPI_WIRE_RDATA: { /* the stream's next bytes, at offset hdr->msg_len */
        uint64_t off = hdr->msg_len;
        if (req->type != BPI_REQ_RECV || req->proto != BPI_PROTO_STREAM ||
            off + hdr->frame_len > req->msg_len ||
            req->offset + hdr->frame_len > req->msg_len) {
            break;
        }
        if (off < req->len && payload != NULL) { /* NULL: the transport placed it */
            size_t n = req->len - off < hdr->frame_len ? req->len - off : hdr->frame_len;
            memcpy(req->buf + off, payload, n);
        }
        req->offset += hdr->frame_len;
        if (req->offset == req->msg_len) {
            bpi_rndv_release(ctx, req);
            rndv_recv_done(req);
        }
        return;
    }
    }
    bpi_log_error("rank %d sent a rendezvous frame (type %u) that does not fit its message: "
                  "dropped", src, hdr->type);
}

/*
 * bpi_tl_place_t: where byte `got` of an RDATA frame's payload goes in its receive buffer
 * (the checks are the arrival's, below: a frame that would not be accepted has no place).
 * Looked up by id each time, so a receive that has ended (a failed peer) is never written.
 */
int bpi_rndv_place(void *arg, const bpi_wire_hdr_t *hdr, size_t got, void **dest_p,
                   size_t *room_p)
{
    bp_context_t *ctx = arg;
    bp_request_t *req;
    uint64_t off = hdr->msg_len;

    if (hdr->type != BPI_WIRE_RDATA) {
        return 0;
    }
    req = rndv_lookup(ctx, hdr->tag, (int)hdr->src);
    if (req == NULL || req->type != BPI_REQ_RECV || req->proto != BPI_PROTO_STREAM ||
        off + hdr->frame_len > req->msg_len || req->offset + hdr->frame_len > req->msg_len ||
        got > hdr->frame_len) {
        return 0;
    }
    off += got;
    *dest_p = req->buf + (off < req->len ? off : req->len);
    *room_p = off < req->len ? req->len - off : 0;
    if (*room_p > hdr->frame_len - got) {
        *room_p = hdr->frame_len - got;
    }
    return 1;
}

/* A peer is gone: every rendezvous message with it fails (sends waiting for its FIN or CTS,
 * receives waiting for its stream). */
void bpi_rndv_fail_peer(bp_context_t *ctx, int rank, bp_status_t status, unsigned *nfailed_p)
{
    for (uint32_t i = 0; i < ctx->rndv_cap; i++) {
        bp_request_t *req = ctx->rndv[i].req;
        if (req == NULL || (req->type == BPI_REQ_SEND ? req->peer : req->source) != rank) {
            continue;
        }
        if (req->queued) {
            continue; /* in a send queue: failed with it */
        }
        bpi_rndv_release(ctx, req);
        bpi_req_complete(req, status);
        (*nfailed_p)++;
    }
}
