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

/* Test-only hook: speak another protocol version (tests/integration/version_mismatch). */
#define CTX_TEST_VERSION_ENV "BPI_TEST_WIRE_VERSION"

static int ctx_ncpus(void)
{
    cpu_set_t set;

    if (sched_getaffinity(0, sizeof(set), &set) != 0) {
        return (int)sysconf(_SC_NPROCESSORS_ONLN);
    }
    return CPU_COUNT(&set);
}

static void ctx_card_pack(bp_context_t *ctx, char *card)
{
    bpi_card_hdr_t *hdr = (bpi_card_hdr_t *)card;
    bpi_card_tl_t *tl = (bpi_card_tl_t *)(card + sizeof(*hdr));
    size_t room = BPI_CARD_SIZE - sizeof(*hdr) - sizeof(*tl);
    const char *test_version = getenv(CTX_TEST_VERSION_ENV);

    memset(card, 0, BPI_CARD_SIZE);
    hdr->magic = BPI_WIRE_MAGIC;
    hdr->version = test_version != NULL ? (uint32_t)atoi(test_version) : BPI_WIRE_VERSION;
    hdr->features = BPI_FEATURE_SHM;
    hdr->jobkey = ctx->boot->jobkey;
    hdr->rank = ctx->rank;
    hdr->ntl = 1;
    gethostname(hdr->host, sizeof(hdr->host) - 1);
    snprintf(tl->name, sizeof(tl->name), "%s", ctx->tl->name);
    ctx->tl->card_pack(ctx->iface, tl + 1, &room);
    tl->len = (uint32_t)room;
}

/* Check every peer's card against ours: the same protocol, the same job. */
static bp_status_t ctx_cards_check(bp_context_t *ctx, const char *cards)
{
    const bpi_card_hdr_t *mine = (const bpi_card_hdr_t *)(cards + ctx->rank * BPI_CARD_SIZE);
    bp_status_t status = BP_OK;

    for (int r = 0; r < ctx->size; r++) {
        const bpi_card_hdr_t *hdr = (const bpi_card_hdr_t *)(cards + r * BPI_CARD_SIZE);
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

static bp_status_t ctx_connect(bp_context_t *ctx, const char *cards)
{
    for (int r = 0; r < ctx->size; r++) {
        const bpi_card_tl_t *tl;
        bp_status_t status;

        if (r == ctx->rank) {
            continue;
        }
        tl = (const bpi_card_tl_t *)(cards + r * BPI_CARD_SIZE + sizeof(bpi_card_hdr_t));
        if (strncmp(tl->name, ctx->tl->name, sizeof(tl->name)) != 0 ||
            tl->len > BPI_CARD_SIZE - sizeof(bpi_card_hdr_t) - sizeof(*tl)) {
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

    ctx->progress_mode = (int)ctx->config.progress;
    if (ctx->progress_mode == BPI_PROGRESS_AUTO) {
        /* every rank of the job is local for now: spin only if each has a core */
        ctx->progress_mode = ctx->size <= ctx_ncpus() ? BPI_PROGRESS_SPIN : BPI_PROGRESS_BLOCK;
    }

    ctx->peers = calloc((size_t)ctx->size, sizeof(*ctx->peers));
    cards = malloc((size_t)ctx->size * BPI_CARD_SIZE);
    if (ctx->peers == NULL || cards == NULL) {
        bpi_log_error("out of memory for %d peers", ctx->size);
        status = BP_ERR_NOMEM;
        goto err_free;
    }
    for (int r = 0; r < ctx->size; r++) {
        bpi_list_init(&ctx->peers[r].sendq);
        bpi_list_init(&ctx->peers[r].sendq_link);
    }

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

    ctx_card_pack(ctx, cards + ctx->rank * BPI_CARD_SIZE);
    status = ctx->boot->allgather(ctx->boot, cards + ctx->rank * BPI_CARD_SIZE, BPI_CARD_SIZE,
                                  cards);
    if (status != BP_OK) {
        goto err_free;
    }
    status = ctx_cards_check(ctx, cards);
    if (status != BP_OK) {
        goto err_free; /* every rank sees every card: all fail alike */
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
    bpi_log_debug("initialised: rank %d of %d, boot %s, progress %s, transport %s", ctx->rank,
                  ctx->size, ctx->boot->name,
                  ctx->progress_mode == BPI_PROGRESS_SPIN ? "spin" : "block", ctx->tl->name);
    *ctx_p = ctx;
    return BP_OK;

err_free:
    free(cards);
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
