/*
 * lane.c - bulk lanes: rendezvous data to a peer over a second transport.
 *
 * A transport can ask (its bulk_lane op) that its peers' rendezvous data travel elsewhere:
 * xdp in copy mode, where every frame of at most one MTU is copied by the kernel into an
 * skb, again for XDP's headroom and into the receiver's UMEM, while a TCP segment of up to
 * 64 KiB goes through the same veth or NIC with one copy on each side (docs/PERFORMANCE.md,
 * "xdp"). Such a peer then also gets a connection through the next transport, in order of
 * preference, that reaches it (tcp): its lane. Only RDATA frames go there; the RTS, CTS,
 * eager messages and everything MPI's ordering rules bind stay on the peer's own transport,
 * so matching is unchanged: a stream is found by the receiver's id, whichever way it came.
 *
 * Polling a lane costs system calls (tcp: a recv or an epoll_wait), which the message path
 * of an OS-bypass transport must not pay. So a transport that is a lane and nothing else is
 * in ctx->active only while a stream holds it: a receive from the CTS it sends until its
 * last byte (the receiver cannot know which way the sender will stream: it holds the lane
 * whenever the peer has one), a send from the CTS until its last frame is out. It leaves
 * once no stream holds it and it has written what it accepted (its sending op), looked at
 * whenever a stream lets go and when a wait goes idle.
 *
 * Both sides decide from the same facts (the main transport, the cards, BP_RNDV_LANE, which
 * must be the same on every rank), so both connect the lane or neither does.
 */
#include <string.h>

#include "core/core.h"

bp_status_t bpi_lane_connect(bp_context_t *ctx, int rank, unsigned main_tl, const char *card)
{
    bpi_peer_t *peer = &ctx->peers[rank];
    const bpi_ctx_tl_t *main = &ctx->tls[main_tl];
    int want;

    if (ctx->config.rndv_lane == BPI_RNDV_LANE_OFF) {
        return BP_OK;
    }
    want = main->ops->bulk_lane(main->iface);
    if (want == 0) {
        return BP_OK;
    }
    for (unsigned i = main_tl + 1; i < ctx->ntl; i++) {
        bpi_ctx_tl_t *tl = &ctx->tls[i];
        const bpi_card_tl_t *block = bpi_card_find(card, tl->ops->name);
        bp_status_t status;

        if (block == NULL || tl->ops->local_only || tl->ops->bulk_lane(tl->iface) != 0) {
            continue;
        }
        status = tl->ops->connect(tl->iface, rank, block + 1, block->len, &peer->lane_ep);
        if (status == BP_ERR_NOTSUP) {
            continue;
        }
        if (status != BP_OK) {
            return status; /* logged by the transport */
        }
        peer->lane = tl;
        peer->lane_use = want == 2 || ctx->config.rndv_lane == BPI_RNDV_LANE_ON;
        bpi_log_debug("rank %d: bulk lane through %s (our rendezvous data goes %s)", rank,
                      tl->ops->name, peer->lane_use ? "there" : main->ops->name);
        return BP_OK;
    }
    return BP_OK;
}

/* A stream starts (req: its request, which now holds the peer's lane). */
void bpi_lane_hold(bp_context_t *ctx, bp_request_t *req, bpi_peer_t *peer)
{
    bpi_ctx_tl_t *tl = peer->lane;

    req->lane = 1;
    if (tl->lane_users++ == 0 && tl->npeers == 0 && !tl->lane_on) {
        tl->lane_on = 1;
        ctx->active[ctx->nactive++] = tl;
        ctx->nlanes_on++;
    }
}

/* The stream of req ended (done, failed, or cancelled). */
void bpi_lane_drop(bp_context_t *ctx, bp_request_t *req)
{
    bpi_ctx_tl_t *tl = ctx->peers[req->type == BPI_REQ_SEND ? req->peer : req->source].lane;

    req->lane = 0;
    if (--tl->lane_users == 0) {
        bpi_lane_settle(ctx);
    }
}

/* Lanes that no stream holds and that have written everything leave ctx->active. */
void bpi_lane_settle(bp_context_t *ctx)
{
    unsigned n = 0;

    for (unsigned i = 0; i < ctx->nactive; i++) {
        bpi_ctx_tl_t *tl = ctx->active[i];
        if (tl->lane_on && tl->lane_users == 0 && !tl->ops->sending(tl->iface)) {
            tl->lane_on = 0;
            ctx->nlanes_on--;
            continue;
        }
        ctx->active[n++] = tl;
    }
    ctx->nactive = n;
}
