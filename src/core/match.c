/*
 * match.c - MPI matching: the posted-receive queue, the unexpected-message queue, and the
 * arrival callback that the transports call for every frame.
 *
 * Order: a transport delivers the frames of one sender in the order they were sent, and a
 * message's first frame (EAGER) is matched when it arrives, against the posted queue in
 * posting order, else appended to the unexpected queue in arrival order. A receive is posted
 * against the unexpected queue first. So messages of one sender that match the same receive
 * are received in send order (non-overtaking), BP_ANY_SOURCE included. The following
 * frames (FRAG) of a message go to where its first frame went: peer->rx_req or rx_unexp.
 */
#include <stdlib.h>
#include <string.h>

#include "core/copy.h"
#include "core/core.h"

/* Copy a frame's bytes at offset off of the message; nothing past the buffer. */
static inline void match_copy_to_req(bp_request_t *req, size_t off, const void *data, size_t n)
{
    if (BP_LIKELY(off + n <= req->len)) {
        bpi_copy(req->buf + off, data, n); /* n == 0: buf may be NULL, nothing is touched */
    } else if (off < req->len) {
        memcpy(req->buf + off, data, req->len - off);
    }
}

static inline void match_recv_done(bp_request_t *req)
{
    bpi_req_complete(req, req->msg_len > req->len ? BP_ERR_TRUNC : BP_OK);
}

static bpi_unexp_t *match_unexp_alloc(bp_context_t *ctx, size_t msg_len)
{
    bpi_unexp_t *u;

    if (msg_len <= BPI_UNEXP_SMALL && !bpi_list_empty(&ctx->unexp_free)) {
        u = bpi_container_of(ctx->unexp_free.next, bpi_unexp_t, link);
        bpi_list_remove(&u->link);
        return u;
    }
    u = malloc(sizeof(*u) + (msg_len <= BPI_UNEXP_SMALL ? BPI_UNEXP_SMALL : msg_len));
    if (u == NULL) {
        return NULL;
    }
    u->cap = msg_len <= BPI_UNEXP_SMALL ? BPI_UNEXP_SMALL : msg_len;
    bpi_list_init(&u->link);
    return u;
}

/*
 * An unexpected message's buffer is allocated whole up to this size (every eager message
 * with the default BP_RNDV_THRESH), larger ones grow as their fragments arrive: the length
 * in a header is only a claim, and memory should follow the bytes that came, not the claim
 * (fuzz/fuzz_frames.c: a forged msg_len of a few GB made one frame allocate them).
 */
#define MATCH_UNEXP_UPFRONT (1u << 20)

/* Room for `need` bytes in a growing unexpected message; NULL (message dropped) if none. */
static BP_SLOWPATH bpi_unexp_t *match_unexp_grow(bp_context_t *ctx, bpi_peer_t *peer,
                                                 bpi_unexp_t *u, size_t need)
{
    size_t cap = u->cap * 2 > need ? u->cap * 2 : need;
    bpi_unexp_t *n;

    if (cap > u->msg_len) {
        cap = u->msg_len;
    }
    n = realloc(u, sizeof(*n) + cap);
    if (n == NULL) {
        bpi_log_error("out of memory for an unexpected message of %zu bytes from rank %d: "
                      "dropped", u->msg_len, u->source);
        bpi_list_remove(&u->link);
        peer->rx_unexp = NULL;
        free(u);
        return NULL;
    }
    /* it may have moved: its neighbours in ctx->unexp still point to the old place */
    n->link.prev->next = &n->link;
    n->link.next->prev = &n->link;
    n->cap = cap;
    peer->rx_unexp = n;
    return n;
}

static void match_unexp_free(bp_context_t *ctx, bpi_unexp_t *u)
{
    if (u->cap == BPI_UNEXP_SMALL) {
        bpi_list_push_back(&ctx->unexp_free, &u->link);
    } else {
        free(u);
    }
}

void bpi_unexp_pool_free(bp_context_t *ctx)
{
    bpi_list_t *pos, *tmp;

    bpi_list_for_each_safe(pos, tmp, &ctx->unexp) {
        bpi_list_remove(pos);
        free(bpi_container_of(pos, bpi_unexp_t, link));
    }
    bpi_list_for_each_safe(pos, tmp, &ctx->unexp_free) {
        bpi_list_remove(pos);
        free(bpi_container_of(pos, bpi_unexp_t, link));
    }
}

static bp_request_t *match_posted_find(bp_context_t *ctx, int src, uint64_t tag, uint8_t flags)
{
    bpi_list_t *pos, *tmp;

    bpi_list_for_each_safe(pos, tmp, &ctx->posted) {
        bp_request_t *req = bpi_container_of(pos, bp_request_t, link);
        if (bpi_match(req->peer, req->tag, req->ignore, req->flags, src, tag, flags)) {
            return req;
        }
    }
    return NULL;
}

bpi_unexp_t *bpi_unexp_find(bp_context_t *ctx, int src, uint64_t tag, uint64_t ignore,
                            uint8_t flags)
{
    bpi_list_t *pos, *tmp;

    bpi_list_for_each_safe(pos, tmp, &ctx->unexp) {
        bpi_unexp_t *u = bpi_container_of(pos, bpi_unexp_t, link);
        if (bpi_match(src, tag, ignore, flags, u->source, u->tag, u->flags)) {
            return u;
        }
    }
    return NULL;
}

/* No receive is posted for it: keep the message (and its following frames) for later. */
static BP_NOINLINE void match_unexp_store(bp_context_t *ctx, bpi_peer_t *peer,
                                          const bpi_wire_hdr_t *hdr, const void *payload)
{
    int src = (int)hdr->src;
    bpi_unexp_t *u;

    if (BP_UNLIKELY(hdr->msg_len > SIZE_MAX / 2)) {
        /* no process can hold it, and the buffer's size would overflow (found by
         * fuzz/fuzz_frames.c): a peer's corrupt or hostile header */
        bpi_log_error("rank %d announced a message of %llu bytes, more than this process can "
                      "hold: dropped", src, (unsigned long long)hdr->msg_len);
        return;
    }
    u = match_unexp_alloc(ctx, hdr->msg_len <= MATCH_UNEXP_UPFRONT ? hdr->msg_len
                               : hdr->frame_len > MATCH_UNEXP_UPFRONT ? hdr->frame_len
                                                                      : MATCH_UNEXP_UPFRONT);
    if (BP_UNLIKELY(u == NULL)) {
        /* Nothing to put it in: the message is lost, say so loudly. */
        bpi_log_error("out of memory for an unexpected message of %llu bytes from rank %d: "
                      "dropped", (unsigned long long)hdr->msg_len, src);
        return;
    }
    u->source = src;
    u->flags = hdr->flags;
    u->tag = hdr->tag;
    u->msg_len = hdr->msg_len;
    u->received = hdr->frame_len;
    u->rndv = 0;
    bpi_copy(u->data, payload, hdr->frame_len);
    bpi_list_push_back(&ctx->unexp, &u->link);
    if (u->received < u->msg_len) {
        peer->rx_unexp = u;
    }
}

/* An RTS: the first frame of a rendezvous message, matched exactly as an EAGER one. */
static BP_NOINLINE void match_rts(bp_context_t *ctx, const bpi_wire_hdr_t *hdr,
                                  const void *payload)
{
    int src = (int)hdr->src;
    bpi_wire_rts_t rts;
    bp_request_t *req;
    bpi_unexp_t *u;

    if (hdr->frame_len != sizeof(rts)) {
        bpi_log_error("rank %d sent a malformed RTS (%u bytes): dropped", src, hdr->frame_len);
        return;
    }
    memcpy(&rts, payload, sizeof(rts));
    req = match_posted_find(ctx, src, hdr->tag, hdr->flags);
    if (req != NULL) {
        bpi_list_remove(&req->link);
        req->queued = 0;
        req->source = src;
        req->rtag = hdr->tag;
        req->msg_len = hdr->msg_len;
        bpi_rndv_recv_start(ctx, req, src, &rts);
        return;
    }
    u = match_unexp_alloc(ctx, 0);
    if (u == NULL) {
        bpi_log_error("out of memory for an unexpected message from rank %d: dropped", src);
        return;
    }
    u->source = src;
    u->flags = hdr->flags;
    u->tag = hdr->tag;
    u->msg_len = hdr->msg_len;
    u->received = hdr->msg_len; /* nothing more comes before a receive takes it */
    u->rndv = 1;
    u->rts = rts;
    bpi_list_push_back(&ctx->unexp, &u->link);
}

static void match_first_frame(bp_context_t *ctx, bpi_peer_t *peer, const bpi_wire_hdr_t *hdr,
                              const void *payload)
{
    int src = (int)hdr->src;
    bp_request_t *req;

    if (BP_UNLIKELY(peer->rx_req != NULL || peer->rx_unexp != NULL ||
                    hdr->frame_len > hdr->msg_len)) {
        bpi_log_error("rank %d sent a malformed message (frame %u of %llu bytes while "
                      "another message is incomplete or too long): dropped",
                      src, hdr->frame_len, (unsigned long long)hdr->msg_len);
        return;
    }

    req = match_posted_find(ctx, src, hdr->tag, hdr->flags);
    if (BP_LIKELY(req != NULL)) {
        bpi_list_remove(&req->link);
        req->queued = 0;
        req->source = src;
        req->rtag = hdr->tag;
        req->msg_len = hdr->msg_len;
        match_copy_to_req(req, 0, payload, hdr->frame_len);
        req->offset = hdr->frame_len;
        if (req->offset == req->msg_len) {
            match_recv_done(req);
        } else {
            peer->rx_req = req;
        }
        return;
    }

    match_unexp_store(ctx, peer, hdr, payload);
}

static BP_NOINLINE void match_next_frame(bp_context_t *ctx, bpi_peer_t *peer, const bpi_wire_hdr_t *hdr,
                             const void *payload)
{
    bp_request_t *req = peer->rx_req;
    bpi_unexp_t *u = peer->rx_unexp;

    if (req != NULL && BP_LIKELY(req->offset + hdr->frame_len <= req->msg_len)) {
        match_copy_to_req(req, req->offset, payload, hdr->frame_len);
        req->offset += hdr->frame_len;
        if (req->offset == req->msg_len) {
            peer->rx_req = NULL;
            match_recv_done(req);
        }
        return;
    }
    if (u != NULL && u->received + hdr->frame_len <= u->msg_len) {
        if (BP_UNLIKELY(u->received + hdr->frame_len > u->cap)) {
            u = match_unexp_grow(ctx, peer, u, u->received + hdr->frame_len);
            if (u == NULL) {
                return;
            }
        }
        bpi_copy(u->data + u->received, payload, hdr->frame_len);
        u->received += hdr->frame_len;
        if (u->received == u->msg_len) {
            peer->rx_unexp = NULL;
        }
        return;
    }
    bpi_log_error("rank %u sent a fragment of %u bytes that belongs to no message: dropped",
                  hdr->src, hdr->frame_len);
}

void bpi_core_recv_cb(void *arg, const bpi_wire_hdr_t *hdr, const void *payload)
{
    bp_context_t *ctx = arg;
    bpi_peer_t *peer;

    if (BP_UNLIKELY(hdr->src >= (uint32_t)ctx->size)) {
        bpi_log_error("frame from unknown rank %u (job size %d): dropped", hdr->src, ctx->size);
        return;
    }
    peer = &ctx->peers[hdr->src];
    if (BP_LIKELY(hdr->type == BPI_WIRE_EAGER)) {
        match_first_frame(ctx, peer, hdr, payload);
    } else if (hdr->type == BPI_WIRE_FRAG) {
        match_next_frame(ctx, peer, hdr, payload);
    } else if (hdr->type == BPI_WIRE_RTS) {
        match_rts(ctx, hdr, payload);
    } else if (hdr->type >= BPI_WIRE_CTS && hdr->type <= BPI_WIRE_WDONE) {
        bpi_rndv_frame(ctx, hdr, payload);
    } else {
        bpi_log_error("frame of unknown type %u from rank %u: dropped", hdr->type, hdr->src);
    }
}

/* Post a receive: take the first matching unexpected message, else queue it. */
BP_HOT void bpi_recv_post(bp_context_t *ctx, bp_request_t *req)
{
    bpi_unexp_t *u = NULL;

    if (!bpi_list_empty(&ctx->unexp)) {
        u = bpi_unexp_find(ctx, req->peer, req->tag, req->ignore, req->flags);
    }
    if (u == NULL) {
        /* queued even when it waits on a failed peer: its wait's first idle poll fails it
         * (progress.c), so posting costs no test for failures */
        bpi_list_push_back(&ctx->posted, &req->link);
        req->queued = 1;
        return;
    }

    bpi_list_remove(&u->link);
    req->source = u->source;
    req->rtag = u->tag;
    req->msg_len = u->msg_len;
    if (BP_UNLIKELY(ctx->peers[u->source].failed) && (u->rndv || u->received < u->msg_len)) {
        /* its sender died after announcing it: a rendezvous whose data can no longer be
         * fetched, or fragments its death cut short. Failing the peer failed what waited on
         * it then (bpi_peer_fail); this receive came later, and would wait for ever for a
         * FIN, WDONE or fragment. (What arrived whole is delivered, as above.) */
        if (ctx->peers[u->source].rx_unexp == u) {
            ctx->peers[u->source].rx_unexp = NULL;
        }
        match_unexp_free(ctx, u);
        bpi_req_complete(req, BP_ERR_PEER);
        return;
    }
    if (u->rndv) {
        bpi_wire_rts_t rts = u->rts;
        match_unexp_free(ctx, u);
        bpi_rndv_recv_start(ctx, req, req->source, &rts);
        return;
    }
    match_copy_to_req(req, 0, u->data, u->received);
    req->offset = u->received;
    if (u->received == u->msg_len) {
        match_recv_done(req);
    } else {
        /* its remaining fragments now go straight to the receive */
        ctx->peers[u->source].rx_unexp = NULL;
        ctx->peers[u->source].rx_req = req;
    }
    match_unexp_free(ctx, u);
}
