/*
 * bench_be_bypass.c - bp-bench's backend over the native API (include/bypass.h). Run under
 * bprun: `bprun -n 2 bp-bench lat`. Requests are kept in one array and completed together by
 * bp_waitall; the tag is fixed and receives name their source, so matching is in order.
 */
#include <stdio.h>
#include <stdlib.h>

#include "bypass.h"
#include "bench_backend.h"

#define BYP_TAG 0x62656e6368ull /* "bench" */

static bp_context_t *byp_ctx;
static int byp_rank = -1, byp_size;
static bp_request_t *byp_reqs[BENCH_BE_MAX_REQS];
static bp_msginfo_t byp_infos[BENCH_BE_MAX_REQS];
static size_t byp_lens[BENCH_BE_MAX_REQS]; /* receives: the length posted; sends: SIZE_MAX */
static size_t byp_nreqs;
static char byp_desc[128];

/* A call failed: say which, on which rank. Out of line, returns -1 for the caller. */
__attribute__((cold)) static int byp_fail(const char *call, bp_status_t status)
{
    fprintf(stderr, "bp-bench: rank %d: %s: %s\n", byp_rank, call, bp_strerror(status));
    return -1;
}

static int byp_init(const bench_be_t *be, const bench_opts_t *opts, int *argc_p,
                    char ***argv_p)
{
    bp_status_t status = bp_init(&byp_ctx);
    int major, minor, patch, proto;

    if (status != BP_OK) {
        return byp_fail("bp_init", status);
    }
    if ((status = bp_rank(byp_ctx, &byp_rank)) != BP_OK) {
        return byp_fail("bp_rank", status);
    }
    if ((status = bp_size(byp_ctx, &byp_size)) != BP_OK) {
        return byp_fail("bp_size", status);
    }
    bp_version(&major, &minor, &patch, &proto);
    /* The API has no transport query: say what BP_TRANSPORTS asked for (--transport sets it) */
    snprintf(byp_desc, sizeof(byp_desc), "bypass %d.%d.%d (protocol %d), transport %s", major,
             minor, patch, proto,
             getenv("BP_TRANSPORTS") != NULL ? getenv("BP_TRANSPORTS") : "auto (shm on one host)");
    return 0;
}

static int byp_rank_get(void)
{
    return byp_rank;
}

static int byp_size_get(void)
{
    return byp_size;
}

static const char *byp_describe(void)
{
    return byp_desc;
}

static int byp_full(void)
{
    fprintf(stderr, "bp-bench: rank %d: more than %d requests posted\n", byp_rank,
            BENCH_BE_MAX_REQS);
    return -1;
}

static int byp_isend(const void *buf, size_t len, int peer)
{
    bp_status_t status;

    if (BENCH_UNLIKELY(byp_nreqs == BENCH_BE_MAX_REQS)) {
        return byp_full();
    }
    status = bp_isend(byp_ctx, buf, len, peer, BYP_TAG, &byp_reqs[byp_nreqs]);
    if (BENCH_UNLIKELY(status != BP_OK)) {
        return byp_fail("bp_isend", status);
    }
    byp_lens[byp_nreqs++] = SIZE_MAX;
    return 0;
}

static int byp_irecv(void *buf, size_t len, int peer)
{
    bp_status_t status;

    if (BENCH_UNLIKELY(byp_nreqs == BENCH_BE_MAX_REQS)) {
        return byp_full();
    }
    status = bp_irecv(byp_ctx, buf, len, peer, BYP_TAG, 0, &byp_reqs[byp_nreqs]);
    if (BENCH_UNLIKELY(status != BP_OK)) {
        return byp_fail("bp_irecv", status);
    }
    byp_lens[byp_nreqs++] = len;
    return 0;
}

/* A receive got what was posted: the full length, no error. */
static int byp_info_check(const bp_msginfo_t *info, size_t len)
{
    if (BENCH_UNLIKELY(info->status != BP_OK || info->length != len)) {
        fprintf(stderr, "bp-bench: rank %d: received %zu bytes from rank %d (%s), expected %zu\n",
                byp_rank, info->length, info->source, bp_strerror(info->status), len);
        return -1;
    }
    return 0;
}

static int byp_waitall(void)
{
    size_t n = byp_nreqs;
    bp_status_t status;

    byp_nreqs = 0;
    status = bp_waitall(n, byp_reqs, byp_infos);
    if (BENCH_UNLIKELY(status != BP_OK)) {
        return byp_fail("bp_waitall", status);
    }
    for (size_t k = 0; k < n; k++) {
        if (byp_lens[k] != SIZE_MAX && byp_info_check(&byp_infos[k], byp_lens[k]) != 0) {
            return -1;
        }
    }
    return 0;
}

static int byp_send(const void *buf, size_t len, int peer)
{
    bp_status_t status = bp_send(byp_ctx, buf, len, peer, BYP_TAG);

    return BENCH_UNLIKELY(status != BP_OK) ? byp_fail("bp_send", status) : 0;
}

static int byp_recv(void *buf, size_t len, int peer)
{
    bp_msginfo_t info;
    bp_status_t status = bp_recv(byp_ctx, buf, len, peer, BYP_TAG, 0, &info);

    if (BENCH_UNLIKELY(status != BP_OK)) {
        return byp_fail("bp_recv", status);
    }
    return byp_info_check(&info, len);
}

/* lat's receive, checked apart (bench_backend.h): the information waits in byp_last. */
static bp_msginfo_t byp_last;

static int byp_recv_unchecked(void *buf, size_t len, int peer)
{
    bp_status_t status = bp_recv(byp_ctx, buf, len, peer, BYP_TAG, 0, &byp_last);

    return BENCH_UNLIKELY(status != BP_OK) ? byp_fail("bp_recv", status) : 0;
}

static int byp_recv_check(size_t len)
{
    return byp_info_check(&byp_last, len);
}

static int byp_barrier(void)
{
    bp_status_t status = bp_barrier(byp_ctx);

    return (status != BP_OK) ? byp_fail("bp_barrier", status) : 0;
}

static int byp_finalize(void)
{
    bp_status_t status = bp_finalize(byp_ctx);

    byp_ctx = NULL;
    return (status != BP_OK) ? byp_fail("bp_finalize", status) : 0;
}

const bench_be_t bench_be_main = {
    .name = "bypass",
    .init = byp_init,
    .rank = byp_rank_get,
    .size = byp_size_get,
    .describe = byp_describe,
    .isend = byp_isend,
    .irecv = byp_irecv,
    .waitall = byp_waitall,
    .send = byp_send,
    .recv = byp_recv,
    .recv_unchecked = byp_recv_unchecked,
    .recv_check = byp_recv_check,
    .barrier = byp_barrier,
    .finalize = byp_finalize,
};
