/*
 * context.c - bp_init and bp_finalize: validate the configuration, bootstrap, open the
 * transport, exchange and check business cards, connect to every peer.
 */
#define _GNU_SOURCE
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
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

/*
 * Which host we are on. Not the host name alone: the network namespaces that tests use as
 * emulated hosts share it. Host name, kernel boot id and network namespace, hashed (FNV-1a).
 */
static uint64_t ctx_host_id(const char *hostname)
{
    char bootid[64] = "";
    struct stat st;
    uint64_t h = 0xcbf29ce484222325ull;
    FILE *f = fopen("/proc/sys/kernel/random/boot_id", "r");

    if (f != NULL) {
        if (fgets(bootid, sizeof(bootid), f) == NULL) {
            bootid[0] = '\0';
        }
        fclose(f);
    }
    for (const char *p = hostname; *p != '\0'; p++) {
        h = (h ^ (unsigned char)*p) * 0x100000001b3ull;
    }
    for (const char *p = bootid; *p != '\0'; p++) {
        h = (h ^ (unsigned char)*p) * 0x100000001b3ull;
    }
    if (stat("/proc/self/ns/net", &st) == 0) {
        h = (h ^ (uint64_t)st.st_ino) * 0x100000001b3ull;
        h = (h ^ (uint64_t)st.st_dev) * 0x100000001b3ull;
    }
    return h;
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
    hdr->host_id = ctx_host_id(hdr->host);
}

/* Check every peer's hello against ours (rank's): the same protocol, the same job. Pure:
 * the cards come from other processes, so fuzz/fuzz_card.c drives it. */
bp_status_t bpi_card_check(const bpi_card_hdr_t *hellos, int size, int rank)
{
    const bpi_card_hdr_t *mine = &hellos[rank];
    bp_status_t status = BP_OK;

    for (int r = 0; r < size; r++) {
        const bpi_card_hdr_t *hdr = &hellos[r];
        if (hdr->magic != BPI_WIRE_MAGIC) {
            bpi_log_error("rank %d sent a foreign business card (magic %#x, expected %#x)", r,
                          hdr->magic, BPI_WIRE_MAGIC);
            return BP_ERR_PROTO;
        }
        if (hdr->version != mine->version) {
            bpi_log_error("protocol version mismatch: rank %d speaks version %u, this rank "
                          "(%d) speaks version %u",
                          r, hdr->version, rank, mine->version);
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
/* Round two: an address block per transport opened here. */
static void ctx_addr_pack(bp_context_t *ctx, char *card)
{
    size_t off = 0;

    memset(card, 0, BPI_CARD_ADDR_SIZE);
    for (unsigned i = 0; i < ctx->ntl; i++) {
        bpi_card_tl_t *tl = (bpi_card_tl_t *)(card + off);
        size_t room = BPI_CARD_ADDR_SIZE - off - 2 * sizeof(*tl); /* keep an end marker */
        snprintf(tl->name, sizeof(tl->name), "%s", ctx->tls[i].ops->name);
        ctx->tls[i].ops->card_pack(ctx->tls[i].iface, tl + 1, &room);
        tl->len = (uint32_t)((room + 7) & ~(size_t)7);
        off += sizeof(*tl) + tl->len;
    }
}

/* The address block a peer's card (BPI_CARD_ADDR_SIZE bytes) has for the transport
 * `name`, or NULL; the block's len bytes lie inside the card. */
const bpi_card_tl_t *bpi_card_find(const char *card, const char *name)
{
    size_t off = 0;

    while (off + sizeof(bpi_card_tl_t) <= BPI_CARD_ADDR_SIZE) {
        const bpi_card_tl_t *tl = (const bpi_card_tl_t *)(card + off);
        if (tl->name[0] == '\0') {
            return NULL;
        }
        if (tl->len > BPI_CARD_ADDR_SIZE - off - sizeof(*tl) || tl->len % 8 != 0) {
            /* blocks are padded to 8 (ctx_addr_pack): anything else is not ours, and would
             * leave the next block misaligned (found by fuzz/fuzz_card.c) */
            bpi_log_error("a business card's address block (%.8s) has a bad length %u: "
                          "ignored", tl->name, tl->len);
            return NULL;
        }
        if (strncmp(tl->name, name, sizeof(tl->name)) == 0) {
            return tl;
        }
        off += sizeof(*tl) + tl->len;
    }
    return NULL;
}

/*
 * For every peer, the first transport (in this process's order of preference, which
 * BP_TRANSPORTS sets) that both sides have opened and that reaches it: shm and other
 * local-only transports only within a host.
 */
static bp_status_t ctx_connect(bp_context_t *ctx, const bpi_card_hdr_t *hellos,
                               const char *cards)
{
    for (int r = 0; r < ctx->size; r++) {
        bpi_peer_t *peer = &ctx->peers[r];
        bp_status_t status = BP_ERR_NOTSUP;

        if (r == ctx->rank) {
            continue;
        }
        for (unsigned i = 0; i < ctx->ntl && status == BP_ERR_NOTSUP; i++) {
            bpi_ctx_tl_t *tl = &ctx->tls[i];
            const bpi_card_tl_t *block = bpi_card_find(cards + r * BPI_CARD_ADDR_SIZE,
                                                       tl->ops->name);
            if (block == NULL ||
                (tl->ops->local_only && hellos[r].host_id != hellos[ctx->rank].host_id)) {
                continue;
            }
            status = tl->ops->connect(tl->iface, r, block + 1, block->len, &peer->ep);
            if (status == BP_ERR_NOTSUP) {
                continue; /* it cannot reach this peer after all: the next transport */
            }
            if (status != BP_OK) {
                return status;
            }
            peer->tl = tl->ops;
            peer->send = tl->ops->send;
            peer->max_frame = tl->ops->max_frame(tl->iface);
            peer->eager_max = peer->max_frame < ctx->config.rndv_thresh
                                  ? peer->max_frame
                                  : ctx->config.rndv_thresh - 1;
            tl->npeers++;
            bpi_log_debug("rank %d (host %s): through %s", r, hellos[r].host, tl->ops->name);
            status = bpi_lane_connect(ctx, r, i, cards + r * BPI_CARD_ADDR_SIZE);
            if (status != BP_OK) {
                return status;
            }
        }
        if (status != BP_OK) {
            bpi_log_error("no transport reaches rank %d (host %.64s): this rank has opened "
                          "%u (BP_TRANSPORTS), none both offered and able to reach it",
                          r, hellos[r].host, ctx->ntl);
            return BP_ERR_NOTSUP;
        }
    }
    for (unsigned i = 0; i < ctx->ntl; i++) {
        if (ctx->tls[i].npeers > 0) {
            ctx->active[ctx->nactive++] = &ctx->tls[i];
        }
    }
    return BP_OK;
}

/*
 * Open the transports BP_TRANSPORTS names (all that work here, for auto). A transport that
 * only reaches other hosts (xdp) is not opened when every rank is on this host: it would
 * load a program and bind sockets on a network interface for nothing.
 */
static bp_status_t ctx_open_transports(bp_context_t *ctx, const bpi_card_hdr_t *hellos)
{
    uint64_t list = ctx->config.transports;
    bpi_tl_params_t params;
    int forced = list != 0;
    int remote = 0;

    params.local_index = 0;
    params.nlocal = 0;
    ctx->same_host = calloc((size_t)ctx->size, 1);
    if (ctx->same_host == NULL) {
        bpi_log_error("out of memory");
        return BP_ERR_NOMEM;
    }
    for (int r = 0; r < ctx->size; r++) {
        if (hellos[r].host_id != hellos[ctx->rank].host_id) {
            remote = 1;
            continue;
        }
        ctx->same_host[r] = 1;
        params.local_index += r < ctx->rank;
        params.nlocal++;
    }
    params.rank = ctx->rank;
    params.size = ctx->size;
    params.jobkey = ctx->boot->jobkey;
    params.config = &ctx->config;
    params.same_host = ctx->same_host;
    params.recv_cb = bpi_core_recv_cb;
    params.cb_arg = ctx;
    params.place = bpi_rndv_place;
    params.pending = bpi_hcoll_pending;
    params.woke = bpi_progress_woke;
    for (size_t k = 0; k < (forced ? 8 : bpi_tl_count); k++) {
        size_t idx = forced ? ((list >> (8 * k)) & 0xff) : k + 1;
        const bpi_tl_ops_t *ops;
        char why[256];
        bp_status_t status;

        if (idx == 0 || ctx->ntl == BPI_TL_MAX) {
            break;
        }
        ops = bpi_tl_all[idx - 1];
        if (ops->remote_only && !remote) {
            bpi_log_debug("transport %s: not opened, every rank is on this host", ops->name);
            continue;
        }
        status = ops->query(&ctx->config, why, sizeof(why));
        if (status != BP_OK) {
            if (forced) {
                bpi_log_error("transport %s (BP_TRANSPORTS) is not usable here: %s", ops->name,
                              why);
                return status;
            }
            bpi_log_info("transport %s is not usable here: %s", ops->name, why);
            continue;
        }
        status = ops->open(&params, &ctx->tls[ctx->ntl].iface);
        if (status != BP_OK) {
            if (forced) {
                return status;
            }
            continue; /* logged by the transport */
        }
        if (ctx->progress_mode != BPI_PROGRESS_SPIN) {
            ops->may_sleep(ctx->tls[ctx->ntl].iface, 1); /* before any peer can send to us */
        }
        ctx->tls[ctx->ntl++].ops = ops;
    }
    if (ctx->ntl == 0) {
        bpi_log_error("no transport could be opened");
        return BP_ERR_NOTSUP;
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
    bpi_hcoll_free(ctx);
    if (ctx->peers != NULL) {
        for (int r = 0; r < ctx->size; r++) {
            if (ctx->peers[r].ep != NULL) {
                ctx->peers[r].tl->disconnect(ctx->peers[r].ep);
            }
            if (ctx->peers[r].lane_ep != NULL) {
                ctx->peers[r].lane->ops->disconnect(ctx->peers[r].lane_ep);
            }
        }
        free(ctx->peers);
    }
    for (unsigned i = ctx->ntl; i > 0; i--) {
        ctx->tls[i - 1].ops->close(ctx->tls[i - 1].iface);
    }
    free(ctx->same_host);
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
    char err[1024];
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
    status = bpi_card_check(hellos, ctx->size, ctx->rank);
    if (status != BP_OK) {
        goto err_free; /* every rank sees every card: all fail alike */
    }
    bpi_progress_resolve(ctx, hellos);

    status = ctx_open_transports(ctx, hellos);
    if (status != BP_OK) {
        goto err_free;
    }
    status = bpi_hcoll_create(ctx); /* before the addresses: peers open it after them */
    if (status != BP_OK) {
        goto err_free;
    }

    /* round two: addresses; round three: a fence that agrees on success */
    ctx_addr_pack(ctx, cards + ctx->rank * BPI_CARD_ADDR_SIZE);
    status = ctx->boot->allgather(ctx->boot, cards + ctx->rank * BPI_CARD_ADDR_SIZE,
                                  BPI_CARD_ADDR_SIZE, cards);
    if (status != BP_OK) {
        goto err_free;
    }
    status = ctx_connect(ctx, hellos, cards);
    if (status == BP_OK) {
        status = bpi_hcoll_attach(ctx);
    }
    status = ctx_fence(ctx, status);
    if (status != BP_OK) {
        goto err_free;
    }
    for (unsigned i = 0; i < ctx->ntl; i++) {
        status = ctx->tls[i].ops->ready(ctx->tls[i].iface);
        if (status != BP_OK) {
            goto err_free;
        }
    }
    bpi_hcoll_ready(ctx);
    free(cards);
    free(hellos);
    bpi_log_debug("initialised: rank %d of %d, boot %s, progress %s, %u transports in use",
                  ctx->rank, ctx->size, ctx->boot->name, bpi_progress_name(ctx->progress_mode),
                  ctx->nactive);
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
    /* nobody leaves (and unmaps) while a peer may still send to it; once a rank has
     * failed, no barrier can complete (docs/RELIABILITY.md). A failure the application
     * learnt of from a transport (a send that found its peer dead) may not have reached
     * the core yet: look now, or this rank would enter the barrier of a normal end, which
     * waits for live ranks only, while a live rank may wait for a message this one will
     * never send (fault_kill_alltoall_xdp: a rank an iteration ahead of the others). No
     * peer can have ended normally yet: none leaves the barrier before all entered it. */
    bpi_liveness_now(ctx);
    if (ctx->nfailed > 0) {
        status = BP_ERR_PEER;
    } else {
        ctx->finalizing = 1;
        status = bp_barrier(ctx);
    }
    bpi_progress_report(ctx);
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
    if (bpi_progress(ctx) == 0) {
        bpi_liveness_tick(ctx);
    }
    return BP_OK;
}
