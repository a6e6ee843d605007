/*
 * fuzz_frames.c - the wire header and every frame type, as the core receives them from an
 * untrusted wire: bytes go into a tcp connection's reassembly buffer, tcp's own delivery
 * (bpi_tcp_rx_deliver: header checks, then recv_cb) hands frames to the core's arrival
 * callback (matching, eager, fragments, rendezvous RTS/CTS/FIN/RDATA/COOP/WDONE; an RDATA
 * frame that is not all in the buffer is read into place, where the core's bpi_rndv_place
 * says, as tcp does with its socket), while the input also posts receives, sends, tests,
 * cancels, probes and fails peers in between.
 *
 * The context is built here, without bp_init: rank 0 of a job of 2..5 ranks; one peer's
 * frames come through the tcp buffer, every peer's sends go to a stub that reads each
 * payload byte (so a bad length is caught by ASan), and a stub bulk path writes or reads
 * every byte the core asks it to. shm is not driven: its frames come from processes of the
 * same job and user through memory they could write anyway (docs/RELIABILITY.md).
 *
 * Input: one flags byte (bit 0: bulk path, bits 1-2: job size - 2, bits 3-4: the tcp peer),
 * then records of one op byte and its arguments, until the input ends.
 */
#include <stdlib.h>
#include <string.h>

#include "core/core.h"
#include "fuzz.h"
#include "transport/tcp/tcp.h"

#define FZ_REQS 32
#define FZ_BUF_MAX 70000
#define FZ_SEND_MAX (200 * 1024)

static int fz_send_again; /* the stub send answers BP_ERR_AGAIN (flow control) */
static int fz_bulk;       /* the stub has a bulk path */
static unsigned char fz_data[FZ_SEND_MAX];
static char fz_rx[BPI_TCP_RX_BYTES]; /* the tcp reassembly buffer, reused by every input */

/* Read n bytes at p: memcpy, so ASan checks the whole range at once (a loop over the bytes
 * would be instrumented byte by byte and slow every input down). */
static void fz_read(const void *p, size_t n)
{
    static unsigned char sink[65536];
    const unsigned char *b = p;

    while (n > 0) {
        size_t k = n < sizeof(sink) ? n : sizeof(sink);
        memcpy(sink, b, k);
        b += k;
        n -= k;
    }
}

static bp_status_t fz_send(bpi_tl_ep_t *ep, const bpi_wire_hdr_t *hdr, const void *payload)
{
    if (fz_send_again) {
        return BP_ERR_AGAIN;
    }
    fz_read(hdr, sizeof(*hdr));
    fz_read(payload, hdr->frame_len);
    return BP_OK;
}

static bp_status_t fz_bulk_get(bpi_tl_ep_t *ep, void *local, uint64_t remote, size_t len)
{
    if (!fz_bulk) {
        return BP_ERR_NOTSUP;
    }
    if (len > 0) {
        memset(local, 0x5a, len); /* every byte the core says is ours to write */
    }
    return BP_OK;
}

static bp_status_t fz_bulk_put(bpi_tl_ep_t *ep, const void *local, uint64_t remote, size_t len)
{
    if (!fz_bulk) {
        return BP_ERR_NOTSUP;
    }
    fz_read(local, len); /* every byte the core says is its data */
    return BP_OK;
}

static bp_status_t fz_ep_check(bpi_tl_ep_t *ep)
{
    return BP_OK;
}

static const bpi_tl_ops_t fz_tl = {
    .size = sizeof(bpi_tl_ops_t),
    .name = "fuzz",
    .send = fz_send,
    .send_part = bpi_tl_notsup_send_part,
    .peek = bpi_tl_notsup_peek,
    .consume = bpi_tl_notsup_consume,
    .wait_fd = bpi_tl_notsup_wait_fd,
    .wait_fd_done = bpi_tl_notsup_wait_fd_done,
    .ep_check = fz_ep_check,
    .bulk_get = fz_bulk_get,
    .bulk_put = fz_bulk_put,
    .bulk_lane = bpi_tl_notsup_bulk_lane,
    .sending = bpi_tl_notsup_sending,
};

typedef struct fz_state {
    bp_context_t *ctx;
    bpi_tl_iface_t tcp_iface;
    bpi_tl_ep_t tcp_ep;
    bp_request_t *reqs[FZ_REQS];
    char *bufs[FZ_REQS]; /* receive buffers, freed at the end (a request may point there) */
    unsigned nreqs;
} fz_state_t;

static int fz_setup(fz_state_t *st, uint8_t flags)
{
    bp_context_t *ctx = calloc(1, sizeof(*ctx));

    if (ctx == NULL) {
        return -1;
    }
    bpi_list_init(&ctx->posted);
    bpi_list_init(&ctx->unexp);
    bpi_list_init(&ctx->sendq_peers);
    bpi_list_init(&ctx->req_free);
    bpi_list_init(&ctx->unexp_free);
    ctx->size = 2 + ((flags >> 1) & 3);
    ctx->rank = 0;
    ctx->progress_mode = BPI_PROGRESS_SPIN;
    ctx->config.rndv_thresh = 4096;
    ctx->config.rndv_coop = 16384;
    ctx->peers = calloc((size_t)ctx->size, sizeof(*ctx->peers));
    if (ctx->peers == NULL) {
        free(ctx);
        return -1;
    }
    for (int r = 0; r < ctx->size; r++) {
        bpi_peer_t *peer = &ctx->peers[r];
        bpi_list_init(&peer->sendq);
        bpi_list_init(&peer->sendq_link);
        peer->send = fz_send;
        peer->tl = &fz_tl;
        peer->max_frame = BPI_TCP_MAX_FRAME;
        peer->eager_max = ctx->config.rndv_thresh - 1;
        peer->ep = &st->tcp_ep;
    }
    st->tcp_iface.kind = BPI_TCP_KIND_LISTEN;
    st->tcp_iface.lfd = -1;
    st->tcp_iface.epfd = -1;
    st->tcp_iface.params.rank = 0;
    st->tcp_iface.params.size = ctx->size;
    st->tcp_iface.params.recv_cb = bpi_core_recv_cb;
    st->tcp_iface.params.cb_arg = ctx;
    st->tcp_iface.params.place = bpi_rndv_place; /* RDATA payloads read into place */
    st->tcp_ep.kind = BPI_TCP_KIND_EP;
    st->tcp_ep.fd = -1; /* no socket: the input is the stream */
    st->tcp_ep.state = BPI_TCP_EP_UP;
    st->tcp_ep.peer = 1 + ((flags >> 3) & 3) % (ctx->size - 1);
    st->tcp_ep.iface = &st->tcp_iface;
    st->tcp_ep.rx = fz_rx;
    st->ctx = ctx;
    return 0;
}

/* Bytes from the wire, as tcp_rx_read appends them, then tcp's delivery. */
static void fz_stream(fz_state_t *st, fuzz_in_t *in, size_t len)
{
    bpi_tl_ep_t *ep = &st->tcp_ep;

    while (len > 0 && in->n > 0 && ep->state == BPI_TCP_EP_UP) {
        size_t room, k;
        if (ep->pl_on && ep->pl_got < ep->pl_hdr.frame_len) {
            /* a frame being placed: its payload goes where the core says, not to rx */
            char chunk[4096];
            size_t left = ep->pl_hdr.frame_len - ep->pl_got;
            k = len < sizeof(chunk) ? len : sizeof(chunk);
            k = fuzz_take(in, chunk, k < left ? k : left);
            if (k == 0) {
                break;
            }
            bpi_tcp_rx_place_bytes(ep, chunk, k);
            len -= k;
            while (bpi_tcp_rx_deliver(ep, BPI_PROGRESS_BUDGET) > 0) {
            }
            continue;
        }
        if (ep->rx_off > 0) {
            memmove(ep->rx, ep->rx + ep->rx_off, ep->rx_len - ep->rx_off);
            ep->rx_len -= ep->rx_off;
            ep->rx_off = 0;
        }
        room = BPI_TCP_RX_BYTES - ep->rx_len;
        k = len < room ? len : room;
        k = fuzz_take(in, ep->rx + ep->rx_len, k);
        ep->rx_len += k;
        len -= k;
        while (bpi_tcp_rx_deliver(ep, BPI_PROGRESS_BUDGET) > 0) {
        }
        if (k == 0 || room == 0) {
            break; /* a frame larger than the buffer: tcp has failed the connection */
        }
    }
}

static void fz_req_add(fz_state_t *st, bp_request_t *req, char *buf)
{
    unsigned i = st->nreqs++;

    st->reqs[i] = req;
    st->bufs[i] = buf;
}

static void fz_op(fz_state_t *st, fuzz_in_t *in)
{
    bp_context_t *ctx = st->ctx;
    uint8_t op = fuzz_u8(in);
    bp_request_t *req = NULL;

    switch (op % 8) {
    case 0:
    case 1: /* bytes from the wire */
        fz_stream(st, in, fuzz_u16(in));
        break;
    case 2: { /* post a receive */
        int src = (int)(fuzz_u8(in) % (ctx->size + 1)) - 1;
        uint8_t tag = fuzz_u8(in), how = fuzz_u8(in);
        size_t len = fuzz_u16(in) % FZ_BUF_MAX;
        uint64_t ignore = (how & 1) ? BP_ANY_TAG : (how & 2) ? 0xf0 : 0;
        char *buf;
        if (st->nreqs == FZ_REQS) {
            break;
        }
        buf = malloc(len + 1);
        if (buf == NULL) {
            break;
        }
        if (bpi_irecv(ctx, len > 0 ? buf : NULL, len, src, tag, ignore,
                      (how & 4) ? BPI_WIRE_F_INTERNAL : 0, &req) != BP_OK) {
            free(buf);
            break;
        }
        fz_req_add(st, req, buf);
        break;
    }
    case 3: { /* send */
        int dest = fuzz_u8(in) % ctx->size;
        uint8_t tag = fuzz_u8(in);
        size_t len = ((size_t)fuzz_u16(in) * 4) % FZ_SEND_MAX;
        if (st->nreqs == FZ_REQS) {
            break;
        }
        if (bpi_isend(ctx, fz_data, len, dest, tag, 0, &req) == BP_OK) {
            fz_req_add(st, req, NULL);
        }
        break;
    }
    case 4: { /* test, or cancel then test */
        uint8_t k = fuzz_u8(in);
        int done = 0;
        bp_msginfo_t info;
        if (st->nreqs == 0 || st->reqs[k % st->nreqs] == NULL) {
            break;
        }
        if (k & 0x80) {
            bp_cancel(st->reqs[k % st->nreqs]);
        }
        bp_test(&st->reqs[k % st->nreqs], &done, &info);
        break;
    }
    case 5: /* a peer fails */
        bpi_peer_fail(ctx, 1 + fuzz_u8(in) % (ctx->size - 1));
        break;
    case 6: /* flow control flips; progress pushes queued sends */
        fz_send_again = !fz_send_again;
        bpi_progress(ctx);
        break;
    case 7: { /* probe */
        int found = 0;
        bp_msginfo_t info;
        int src = (int)(fuzz_u8(in) % (ctx->size + 1)) - 1;
        bp_iprobe(ctx, src, fuzz_u8(in), 0, &found, &info);
        break;
    }
    }
}

static void fz_teardown(fz_state_t *st)
{
    bp_context_t *ctx = st->ctx;

    bpi_cancel_all(ctx);
    for (int r = 0; r < ctx->size; r++) {
        bpi_peer_t *peer = &ctx->peers[r];
        if (peer->rx_unexp != NULL) {
            peer->rx_unexp = NULL; /* still on ctx->unexp: freed there */
        }
    }
    bpi_rndv_free(ctx);
    bpi_unexp_pool_free(ctx);
    bpi_req_pool_free(ctx);
    for (unsigned i = 0; i < st->nreqs; i++) {
        free(st->bufs[i]);
    }
    free(st->tcp_ep.tx);
    free(ctx->peers);
    free(ctx);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_in_t in = {data, size};
    fz_state_t st;
    uint8_t flags;

    memset(&st, 0, sizeof(st));
    flags = fuzz_u8(&in);
    fz_bulk = flags & 1;
    fz_send_again = 0;
    if (fz_setup(&st, flags) != 0) {
        return 0;
    }
    while (in.n > 0) {
        fz_op(&st, &in);
    }
    fz_teardown(&st);
    return 0;
}
