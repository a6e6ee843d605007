/*
 * progress.c - the progress engine: poll the transport, push queued sends, and what a wait
 * does while nothing happens: spin (BP_PROGRESS=spin) or sleep on the transport's wait
 * handle (block). An idle wait also checks, about once a second, that its peers are alive,
 * so a dead peer completes requests with BP_ERR_PEER instead of hanging them.
 * (An `adaptive` mode, spin a while then block, plugs in at bpi_idle.)
 */
#include <sched.h>
#include <time.h>

#include "core/core.h"

unsigned bpi_progress(bp_context_t *ctx)
{
    unsigned n = 0;

    for (unsigned i = 0; i < ctx->nactive; i++) {
        n += ctx->active[i]->ops->progress(ctx->active[i]->iface, BPI_PROGRESS_BUDGET);
    }

    if (BP_UNLIKELY(!bpi_list_empty(&ctx->sendq_peers))) {
        bpi_sendq_progress(ctx);
    }
    return n;
}

static uint64_t progress_now_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts); /* vDSO: no system call */
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* A failed peer's send slot: the fast path of bp_send needs no test of its own. */
static bp_status_t progress_send_failed(bpi_tl_ep_t *ep, const bpi_wire_hdr_t *hdr,
                                        const void *payload)
{
    return BP_ERR_PEER;
}

/*
 * Complete everything that waits on a peer that is gone. What it sent before it went is
 * delivered first: frames already in our rings are drained (a bounded number of rounds).
 */
void bpi_peer_fail(bp_context_t *ctx, int rank)
{
    bpi_peer_t *peer = &ctx->peers[rank];
    bpi_list_t *pos, *tmp;
    unsigned nfailed = 0;

    if (peer->failed) {
        return;
    }
    for (int i = 0; i < 4096 && bpi_progress(ctx) > 0; i++) {
    }
    peer->failed = 1;
    peer->send = progress_send_failed;
    bpi_list_for_each_safe(pos, tmp, &peer->sendq) {
        bp_request_t *req = bpi_container_of(pos, bp_request_t, link);
        bpi_list_remove(&req->link);
        req->queued = 0;
        bpi_rndv_release(ctx, req);
        bpi_req_complete(req, BP_ERR_PEER);
        if (req->autofree) {
            bpi_req_put(req);
        } else {
            nfailed++;
        }
    }
    bpi_rndv_fail_peer(ctx, rank, BP_ERR_PEER, &nfailed);
    if (!bpi_list_empty(&peer->sendq_link)) {
        bpi_list_remove(&peer->sendq_link);
    }
    ctx->nfailed++;
    bpi_list_for_each_safe(pos, tmp, &ctx->posted) {
        bp_request_t *req = bpi_container_of(pos, bp_request_t, link);
        if (bpi_peer_fail_hits(ctx, req->peer, req->flags)) {
            bpi_list_remove(&req->link);
            req->queued = 0;
            bpi_req_complete(req, BP_ERR_PEER);
            nfailed++;
        }
    }
    if (peer->rx_req != NULL) {
        bpi_req_complete(peer->rx_req, BP_ERR_PEER);
        peer->rx_req = NULL;
        nfailed++;
    }
    if (nfailed > 0) {
        bpi_log_error("rank %d is gone: %u pending requests completed with an error", rank,
                      nfailed);
    }
}

/*
 * Once a peer has failed, does a receive from src (a rank or BP_ANY_SOURCE) with these flags
 * fail instead of waiting? From a failed rank, yes. From any source, yes: the dead rank may
 * have been the sender it waits for (MPI ULFM fails such receives too; without an
 * acknowledge call they keep failing). The core's own traffic (the barrier), yes: a
 * collective involves every rank, and a survivor waiting for another survivor that has
 * already left the barrier with this error would wait forever.
 */
int bpi_peer_fail_hits(const bp_context_t *ctx, int src, uint8_t flags)
{
    if (src != BP_ANY_SOURCE && ctx->peers[src].failed) {
        return 1;
    }
    /* in bp_finalize's barrier a rank that has passed it may exit before a slower one has
     * heard from a third: that is the end of the job, not a failure of it */
    return !ctx->finalizing && (src == BP_ANY_SOURCE || (flags & BPI_WIRE_F_INTERNAL) != 0);
}

static void progress_liveness(bp_context_t *ctx)
{
    uint64_t now = progress_now_ns();

    if (now - ctx->last_liveness_ns < BPI_LIVENESS_NS) {
        return;
    }
    ctx->last_liveness_ns = now;
    for (int r = 0; r < ctx->size; r++) {
        if (r != ctx->rank && !ctx->peers[r].failed &&
            ctx->peers[r].tl->ep_check(ctx->peers[r].ep) != BP_OK) {
            bpi_peer_fail(ctx, r);
        }
    }
}

/*
 * A program that polls with bp_test or bp_progress instead of waiting never reaches
 * bpi_idle: every 1024th such poll that finds its request unfinished also looks at the
 * clock, so a dead peer fails its requests there too (not per message: a counter).
 */
void bpi_liveness_tick(bp_context_t *ctx)
{
    if (BP_UNLIKELY((++ctx->liveness_ticks & 0x3ff) == 0)) {
        progress_liveness(ctx);
    }
}

void bpi_idle(bp_context_t *ctx, bpi_idle_t *idle)
{
    if (ctx->progress_mode == BPI_PROGRESS_BLOCK) {
        if (!bpi_list_empty(&ctx->sendq_peers)) {
            /* waiting for a receiver to make room: let it run (it may share our core) */
            sched_yield();
        } else if (ctx->nactive == 1) {
            ctx->active[0]->ops->wait(ctx->active[0]->iface, BPI_BLOCK_TIMEOUT_MS);
        } else if (ctx->nactive > 1) {
            /* one sleep cannot watch two kinds of wait handle (a futex, an epoll set):
             * sleep briefly in the last one (the network), then look at all again */
            bpi_ctx_tl_t *tl = ctx->active[ctx->nactive - 1];
            tl->ops->wait(tl->iface, BPI_BLOCK_MIXED_MS);
        }
        progress_liveness(ctx);
        return;
    }
    /* spin: a pause between polls (it lets the other hardware thread of the core run, and
     * halved the latency on these machines); the clock only now and then */
    bpi_cpu_relax();
    if (BP_UNLIKELY((++idle->spins & 0xffff) == 0)) {
        progress_liveness(ctx);
    }
}

bp_status_t bpi_wait_req(bp_context_t *ctx, bp_request_t *req)
{
    bpi_idle_t idle = {0};

    while (!req->done) {
        if (bpi_progress(ctx) == 0 && !req->done) {
            bpi_idle(ctx, &idle);
        }
    }
    return req->status;
}

/* Finalize: nothing may stay in a queue that points into freed memory. */
void bpi_cancel_all(bp_context_t *ctx)
{
    bpi_list_t *pos, *tmp;

    bpi_list_for_each_safe(pos, tmp, &ctx->posted) {
        bp_request_t *req = bpi_container_of(pos, bp_request_t, link);
        bpi_list_remove(&req->link);
        req->queued = 0;
        bpi_req_complete(req, BP_ERR_CANCELED);
    }
    for (int r = 0; r < ctx->size; r++) {
        unsigned n = 0;
        bpi_list_for_each_safe(pos, tmp, &ctx->peers[r].sendq) {
            bp_request_t *req = bpi_container_of(pos, bp_request_t, link);
            bpi_list_remove(&req->link);
            req->queued = 0;
            bpi_rndv_release(ctx, req);
            bpi_req_complete(req, BP_ERR_CANCELED);
        }
        bpi_rndv_fail_peer(ctx, r, BP_ERR_CANCELED, &n);
    }
    bpi_list_init(&ctx->sendq_peers);
}
