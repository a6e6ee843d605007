/*
 * context.c - bp_init and bp_finalize: validate the configuration, bootstrap, open the
 * transport, exchange and check business cards, connect to every peer.
 */
#define _GNU_SOURCE
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/core.h"

extern char **environ;

/*
 * Test-only hook: BPI_TEST_WIRE_VERSION=R:V makes rank R claim protocol version V
 * (tests/integration/version_mismatch.sh). Not a BP_ variable: users never set it.
 */
#define CTX_TEST_VERSION_ENV "BPI_TEST_WIRE_VERSION"

static uint32_t ctx_wire_version(int rank)
{
    const char *hook = getenv(CTX_TEST_VERSION_ENV);
    int r;
    unsigned v;

    if (hook != NULL && sscanf(hook, "%d:%u", &r, &v) == 2 && r == rank) {
        return v;
    }
    return BPI_WIRE_VERSION;
}

/* Round one: who we are, what we speak, where we may run. */
static void ctx_hello_pack(bp_context_t *ctx, bpi_card_hdr_t *hdr)
{
    cpu_set_t set;

    memset(hdr, 0, sizeof(*hdr));
    hdr->magic = BPI_WIRE_MAGIC;
    hdr->version = ctx_wire_version(ctx->rank);
    hdr->features = BPI_FEATURE_SHM;
    hdr->jobkey = ctx->boot->jobkey;
    hdr->rank = ctx->rank;
    hdr->ntl = 1;
    hdr->progress = (uint32_t)ctx->config.progress;
    if (sched_getaffinity(0, sizeof(set), &set) == 0) {
        for (int c = 0; c < 256 && c < CPU_SETSIZE; c++) {
            if (CPU_ISSET(c, &set)) {
                hdr->cpus[c / 64] |= 1ull << (c % 64);
            }
        }
    }
    gethostname(hdr->host, sizeof(hdr->host) - 1);
}

/*
 * BP_PROGRESS=auto: spin when every local rank can have a core of its own, that is when the
 * CPUs the local ranks may run on, together, are at least as many as the ranks. Every rank
 * computes this from the same cards, so the job agrees. (A rank bound to one CPU by the
 * launcher sees one CPU in its own mask: only the union says whether cores are shared.)
 */
static int ctx_progress_resolve(const bp_context_t *ctx, const bpi_card_hdr_t *hellos)
{
    uint64_t cpus[4] = {0, 0, 0, 0};
    int ncpus = 0;

    if (ctx->config.progress != BPI_PROGRESS_AUTO) {
        return (int)ctx->config.progress;
    }
    for (int r = 0; r < ctx->size; r++) {
        for (int w = 0; w < 4; w++) {
            cpus[w] |= hellos[r].cpus[w];
        }
    }
    for (int w = 0; w < 4; w++) {
        ncpus += __builtin_popcountll(cpus[w]);
    }
    return ctx->size <= ncpus ? BPI_PROGRESS_SPIN : BPI_PROGRESS_BLOCK;
}

/* Check every peer's hello against ours: the same protocol, the same job. */
static bp_status_t ctx_cards_check(bp_context_t *ctx, const bpi_card_hdr_t *hellos)
{
    const bpi_card_hdr_t *mine = &hellos[ctx->rank];
    bp_status_t status = BP_OK;

    for (int r = 0; r < ctx->size; r++) {
        const bpi_card_hdr_t *hdr = &hellos[r];
        if (hdr->magic != BPI_WIRE_MAGIC) {
            bpi_log_error("rank %d sent a foreign business card (magic %#x, expected %#x)", r,
                          hdr->magic, BPI_WIRE_MAGIC);
            return BP_ERR_PROTO;
        }
        if (hdr->version != mine->version) {
            bpi_log_error("protocol version mismatch: rank %d speaks version %u, this rank "
                          "(%d) speaks version %u",
                          r, hdr->version, ctx->rank, mine->version);
            status = BP_ERR_VERSION;
            continue;
        }
        if (hdr->jobkey != mine->jobkey || hdr->rank != r) {
            bpi_log_error("rank %d's card belongs to another job or rank (%d)", r, hdr->rank);
            return BP_ERR_BOOT;
        }
    }
    return status;
}

/* Round two: the transport's address. */
static void ctx_addr_pack(bp_context_t *ctx, char *card)
{
    bpi_card_tl_t *tl = (bpi_card_tl_t *)card;
    size_t room = BPI_CARD_ADDR_SIZE - sizeof(*tl);

    memset(card, 0, BPI_CARD_ADDR_SIZE);
    snprintf(tl->name, sizeof(tl->name), "%s", ctx->tl->name);
    ctx->tl->card_pack(ctx->iface, tl + 1, &room);
    tl->len = (uint32_t)room;
}

static bp_status_t ctx_connect(bp_context_t *ctx, const char *cards)
{
    for (int r = 0; r < ctx->size; r++) {
        const bpi_card_tl_t *tl;
        bp_status_t status;

        if (r == ctx->rank) {
            continue;
        }
        tl = (const bpi_card_tl_t *)(cards + r * BPI_CARD_ADDR_SIZE);
        if (strncmp(tl->name, ctx->tl->name, sizeof(tl->name)) != 0 ||
            tl->len > BPI_CARD_ADDR_SIZE - sizeof(*tl)) {
            bpi_log_error("rank %d offers no %s transport", r, ctx->tl->name);
            return BP_ERR_NOTSUP;
        }
        status = ctx->tl->connect(ctx->iface, r, tl + 1, tl->len, &ctx->peers[r].ep);
        if (status != BP_OK) {
            return status;
        }
        ctx->peers[r].send = ctx->tl->send;
        bpi_log_debug("rank %d: connected through %s", r, ctx->tl->name);
    }
    return BP_OK;
}

/* A fence that also agrees on success: every rank learns whether every rank succeeded. */
static bp_status_t ctx_fence(bp_context_t *ctx, bp_status_t mine)
{
    int32_t *all = malloc(sizeof(int32_t) * (size_t)ctx->size);
    int32_t st = mine;
    bp_status_t status;

    if (all == NULL) {
        bpi_log_error("out of memory");
        return BP_ERR_NOMEM;
    }
    status = ctx->boot->allgather(ctx->boot, &st, sizeof(st), all);
    if (status == BP_OK && mine == BP_OK) {
        for (int r = 0; r < ctx->size; r++) {
            if (all[r] != BP_OK) {
                bpi_log_error("rank %d failed to start: %s", r, bp_strerror(all[r]));
                status = all[r];
                break;
            }
        }
    }
    free(all);
    return mine != BP_OK ? mine : status;
}

static void ctx_free(bp_context_t *ctx)
{
    if (ctx->peers != NULL) {
        for (int r = 0; r < ctx->size; r++) {
            if (ctx->peers[r].ep != NULL) {
                ctx->tl->disconnect(ctx->peers[r].ep);
            }
        }
        free(ctx->peers);
    }
    if (ctx->iface != NULL) {
        ctx->tl->close(ctx->iface);
    }
    if (ctx->boot != NULL) {
        ctx->boot->close(ctx->boot);
    }
    bpi_rndv_free(ctx);
    bpi_unexp_pool_free(ctx);
    bpi_req_pool_free(ctx);
    free(ctx);
}

bp_status_t bp_init(bp_context_t **ctx_p)
{
    bp_context_t *ctx;
    bpi_tl_params_t params;
    char err[1024];
    char why[256];
    bpi_card_hdr_t *hellos = NULL;
    char *cards = NULL;
    bp_status_t status;

    if (ctx_p == NULL) {
        return BP_ERR_INVAL;
    }
    ctx = calloc(1, sizeof(*ctx));
    if (ctx == NULL) {
        return BP_ERR_NOMEM;
    }
    bpi_list_init(&ctx->posted);
    bpi_list_init(&ctx->unexp);
    bpi_list_init(&ctx->sendq_peers);
    bpi_list_init(&ctx->req_free);
    bpi_list_init(&ctx->unexp_free);

    status = bpi_config_parse(environ, &ctx->config, err, sizeof(err));
    if (status != BP_OK) {
        bpi_log_error("configuration: %s", err);
        goto err_free;
    }
    bpi_log_level_current = (bpi_log_level_t)ctx->config.log_level;

    status = bpi_boot_open(&ctx->boot);
    if (status != BP_OK) {
        goto err_free;
    }
    ctx->rank = ctx->boot->rank;
    ctx->size = ctx->boot->size;
    bpi_log_set_rank(ctx->rank);

    ctx->peers = calloc((size_t)ctx->size, sizeof(*ctx->peers));
    hellos = malloc((size_t)ctx->size * sizeof(*hellos));
    cards = malloc((size_t)ctx->size * BPI_CARD_ADDR_SIZE);
    if (ctx->peers == NULL || hellos == NULL || cards == NULL) {
        bpi_log_error("out of memory for %d peers", ctx->size);
        status = BP_ERR_NOMEM;
        goto err_free;
    }
    for (int r = 0; r < ctx->size; r++) {
        bpi_list_init(&ctx->peers[r].sendq);
        bpi_list_init(&ctx->peers[r].sendq_link);
    }

    /* round one: a peer of another version is refused before anything is created */
    ctx_hello_pack(ctx, &hellos[ctx->rank]);
    status = ctx->boot->allgather(ctx->boot, &hellos[ctx->rank], sizeof(*hellos), hellos);
    if (status != BP_OK) {
        goto err_free;
    }
    status = ctx_cards_check(ctx, hellos);
    if (status != BP_OK) {
        goto err_free; /* every rank sees every card: all fail alike */
    }
    /* every rank of the job is local for now */
    ctx->progress_mode = ctx_progress_resolve(ctx, hellos);

    ctx->tl = bpi_tl_all[0];
    status = ctx->tl->query(&ctx->config, why, sizeof(why));
    if (status != BP_OK) {
        bpi_log_error("transport %s is not usable here: %s", ctx->tl->name, why);
        goto err_free;
    }
    params.rank = ctx->rank;
    params.size = ctx->size;
    params.jobkey = ctx->boot->jobkey;
    params.may_sleep = ctx->progress_mode == BPI_PROGRESS_BLOCK;
    params.config = &ctx->config;
    params.recv_cb = bpi_core_recv_cb;
    params.cb_arg = ctx;
    status = ctx->tl->open(&params, &ctx->iface);
    if (status != BP_OK) {
        goto err_free;
    }
    ctx->max_frame = ctx->tl->max_frame(ctx->iface);
    ctx->eager_max = ctx->max_frame < ctx->config.rndv_thresh ? ctx->max_frame
                                                              : ctx->config.rndv_thresh - 1;

    /* round two: addresses; round three: a fence that agrees on success */
    ctx_addr_pack(ctx, cards + ctx->rank * BPI_CARD_ADDR_SIZE);
    status = ctx->boot->allgather(ctx->boot, cards + ctx->rank * BPI_CARD_ADDR_SIZE,
                                  BPI_CARD_ADDR_SIZE, cards);
    if (status != BP_OK) {
        goto err_free;
    }
    status = ctx_fence(ctx, ctx_connect(ctx, cards));
    if (status != BP_OK) {
        goto err_free;
    }
    status = ctx->tl->ready(ctx->iface);
    if (status != BP_OK) {
        goto err_free;
    }
    free(cards);
    free(hellos);
    bpi_log_debug("initialised: rank %d of %d, boot %s, progress %s, transport %s", ctx->rank,
                  ctx->size, ctx->boot->name,
                  ctx->progress_mode == BPI_PROGRESS_SPIN ? "spin" : "block", ctx->tl->name);
    *ctx_p = ctx;
    return BP_OK;

err_free:
    free(cards);
    free(hellos);
    ctx_free(ctx);
    return status;
}

bp_status_t bp_finalize(bp_context_t *ctx)
{
    bp_status_t status;

    if (ctx == NULL) {
        return BP_ERR_INVAL;
    }
    /* nobody leaves (and unmaps) while a peer may still send to it */
    status = bp_barrier(ctx);
    bpi_cancel_all(ctx);
    ctx_free(ctx);
    return status;
}

bp_status_t bp_rank(const bp_context_t *ctx, int *rank_p)
{
    if (ctx == NULL || rank_p == NULL) {
        return BP_ERR_INVAL;
    }
    *rank_p = ctx->rank;
    return BP_OK;
}

bp_status_t bp_size(const bp_context_t *ctx, int *size_p)
{
    if (ctx == NULL || size_p == NULL) {
        return BP_ERR_INVAL;
    }
    *size_p = ctx->size;
    return BP_OK;
}

bp_status_t bp_progress(bp_context_t *ctx)
{
    if (ctx == NULL) {
        return BP_ERR_INVAL;
    }
    bpi_progress(ctx);
    return BP_OK;
}
