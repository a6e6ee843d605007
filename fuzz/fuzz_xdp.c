/*
 * fuzz_xdp.c - the xdp transport's receive handler, bpi_xdp_rx_frame (xdp_progress.c), fed
 * raw Ethernet frames as a hostile or broken host on the wire could send them: the steering
 * program only checks the EtherType and the job key, so everything after that (the
 * bpi_xdp_hdr_t of xdp_proto.h: kind, ranks, sequence, ack, length; the core's wire header
 * and payload of DATA frames) comes here unchecked.
 *
 * The interface is built here without sockets or a NIC: one process, local index 0, its
 * transmit frames and the tx and completion rings in plain memory. What the handler sends
 * in answer (ACKs, NACKs, go-back-N resends) lands on the tx ring; after every frame the
 * harness plays the kernel: checks each descriptor (one of our transmit frames, a length
 * within it), reads the frame and completes it through the completion ring. The socket is
 * -1 and the ring never asks for a wake-up, so no system call is made. Frames the handler
 * passes on go to a callback that checks what the core relies on (bpi_wire_hdr_ok, the
 * sender's rank) and reads every payload byte.
 *
 * Each frame is copied to a buffer of exactly its length, so ASan sees any read past it (the
 * contract: one complete frame in contiguous memory).
 *
 * Input: one flags byte (bits 0-1: job size - 2, bits 2-4: our rank, modulo the size; bit
 * 5: the interface is closing), then records of an op byte and its arguments:
 *   op & 3 == 3   the clock moves on: u16 microseconds
 *   op & 3 == 2   we send a DATA frame (bpi_xdp_send): u8 peer, u16 payload length, so
 *                 that acks, NACKs and resends have frames to act on
 *   otherwise     a frame: u16 length (mod 4096), then that many bytes; op bits fix fields
 *                 up so the fuzzer gets past the first checks: 0x04 the addressing (dst =
 *                 us, src a rank of the job), 0x08 seq = the next one expected, 0x10 the xdp
 *                 length = what follows the header, 0x20 the wire header's sender and
 *                 length = the xdp header's
 */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "transport/wire.h"
#include "transport/xdp/xdp.h"

#define FZ_COMP_RING 256u /* >= BPI_XDP_TX_RING: the harness completes every submission */
#define FZ_MAX_FLEN 4096u

static uint8_t fz_frames[(size_t)BPI_XDP_TX_FRAMES * BPI_XDP_FRAME]; /* our transmit frames */
static bpi_xdp_shared_t fz_shared;
static struct xdp_desc fz_tx_descs[BPI_XDP_TX_RING];
static uint64_t fz_comp_descs[FZ_COMP_RING];
static _Atomic uint32_t fz_tx_prod, fz_tx_cons, fz_comp_prod, fz_comp_cons;
static uint32_t fz_tx_flags, fz_comp_flags; /* never XDP_RING_NEED_WAKEUP: no kick */
static bpi_tl_iface_t fz_iface;
static unsigned long fz_delivered;

static void fz_read(const void *p, size_t n)
{
    static unsigned char sink[FZ_MAX_FLEN];

    memcpy(sink, p, n < sizeof(sink) ? n : sizeof(sink));
}

/* The core's arrival callback: what the xdp transport promises of every frame it hands on. */
static void fz_recv(void *arg, const bpi_wire_hdr_t *hdr, const void *payload)
{
    bpi_tl_iface_t *iface = arg;

    if (hdr->src >= (uint32_t)iface->size || (int)hdr->src == iface->rank ||
        !bpi_wire_hdr_ok(hdr, hdr->src, iface->max_frame) || hdr->type == BPI_WIRE_TL) {
        abort(); /* a frame the core must never see */
    }
    fz_read(payload, hdr->frame_len);
    fz_delivered++;
}

/* The kernel's side of the tx ring: take every descriptor, check it, complete it. */
static void fz_kernel_tx(bpi_tl_iface_t *iface)
{
    uint32_t prod = atomic_load(&fz_tx_prod), cons = atomic_load(&fz_tx_cons);
    uint32_t cprod = atomic_load(&fz_comp_prod);

    for (; cons != prod; cons++) {
        const struct xdp_desc *d = &fz_tx_descs[cons & (BPI_XDP_TX_RING - 1)];
        uint64_t first = (uint64_t)iface->tx_first * BPI_XDP_FRAME;
        if (d->addr < first || d->addr - first >= sizeof(fz_frames) ||
            d->addr % BPI_XDP_FRAME != BPI_XDP_TX_OFF ||
            d->len > BPI_XDP_FRAME - BPI_XDP_TX_OFF) {
            abort(); /* a descriptor outside our frames: the kernel would refuse or leak */
        }
        fz_read(iface->frames + d->addr, d->len);
        fz_comp_descs[cprod++ & (FZ_COMP_RING - 1)] = d->addr;
    }
    atomic_store(&fz_tx_cons, cons);
    atomic_store(&fz_comp_prod, cprod);
}

static void fz_ring(bpi_xdp_ring_t *r, _Atomic uint32_t *prod, _Atomic uint32_t *cons,
                    uint32_t *flags, void *descs, uint32_t size)
{
    atomic_store(prod, 0);
    atomic_store(cons, 0);
    memset(r, 0, sizeof(*r));
    r->producer = prod;
    r->consumer = cons;
    r->flags = flags;
    r->descs = descs;
    r->mask = size - 1;
}

static int fz_setup(bpi_tl_iface_t *iface, uint8_t flags)
{
    static int once;

    if (!once) {
        pthread_mutex_init(&fz_shared.lock, NULL);
        once = 1;
    }
    memset(iface, 0, sizeof(*iface));
    iface->size = 2 + (flags & 3);
    iface->rank = ((flags >> 2) & 7) % iface->size;
    iface->closing = (flags >> 5) & 1;
    iface->jobkey = 0x0123456789abcdefull;
    iface->recv_cb = fz_recv;
    iface->cb_arg = iface;
    iface->memfd = iface->xsk = iface->umem_xsk = iface->xskmap_fd = iface->cfg_fd = -1;
    iface->mtu = 1500;
    iface->max_frame = iface->mtu - (uint32_t)(sizeof(bpi_xdp_hdr_t) + sizeof(bpi_wire_hdr_t));
    memcpy(iface->mac, "\x02\x00\x00\x00\x00\x01", 6);
    iface->nlocal = 1;
    iface->frames = fz_frames;
    iface->shared = &fz_shared;
    atomic_store(&fz_shared.completed[0], 0);
    fz_ring(&iface->tx, &fz_tx_prod, &fz_tx_cons, &fz_tx_flags, fz_tx_descs, BPI_XDP_TX_RING);
    fz_ring(&iface->comp, &fz_comp_prod, &fz_comp_cons, &fz_comp_flags, fz_comp_descs,
            FZ_COMP_RING);
    iface->now_ns = 1000000000ull;
    iface->eps = calloc((size_t)iface->size, sizeof(*iface->eps));
    iface->owed = calloc((size_t)iface->size, sizeof(*iface->owed));
    if (iface->eps == NULL || iface->owed == NULL) {
        return -1;
    }
    for (int r = 0; r < iface->size; r++) {
        bpi_tl_ep_t *ep;
        if (r == iface->rank) {
            continue;
        }
        ep = calloc(1, sizeof(*ep));
        if (ep == NULL) {
            return -1;
        }
        ep->iface = iface;
        ep->peer = r;
        memcpy(ep->mac, "\x02\x00\x00\x00\x01\x00", 6);
        ep->mac[5] = (uint8_t)r;
        ep->rto_ns = BPI_XDP_RTO_INIT_NS;
        iface->eps[r] = ep;
    }
    bpi_xdp_tx_init(iface);
    return 0;
}

static void fz_teardown(bpi_tl_iface_t *iface)
{
    if (iface->eps != NULL) {
        for (int r = 0; r < iface->size; r++) {
            free(iface->eps[r]);
        }
    }
    free(iface->eps);
    free(iface->owed);
    iface->eps = NULL;
    iface->owed = NULL;
}

/* The frame's fields the op asks to fix up (so deeper paths are reached), in place. */
static void fz_fixup(const bpi_tl_iface_t *iface, uint8_t op, uint8_t *f, uint32_t flen)
{
    bpi_xdp_hdr_t xh;
    size_t xoff = BPI_XDP_ETH_HLEN, woff = BPI_XDP_ETH_HLEN + sizeof(xh);

    if (flen < woff) {
        return;
    }
    memcpy(&xh, f + xoff, sizeof(xh));
    f[12] = BPI_XDP_ETHERTYPE >> 8;
    f[13] = BPI_XDP_ETHERTYPE & 0xff;
    xh.jobkey = iface->jobkey;
    xh.version = BPI_XDP_VERSION;
    if (op & 0x04) {
        xh.dst = (uint32_t)iface->rank;
        xh.src %= (uint32_t)iface->size;
    }
    if ((op & 0x08) && xh.src < (uint32_t)iface->size && iface->eps[xh.src] != NULL) {
        xh.seq = iface->eps[xh.src]->expect;
    }
    if (op & 0x10) {
        xh.len = flen - (uint32_t)woff;
    }
    memcpy(f + xoff, &xh, sizeof(xh));
    if ((op & 0x20) && flen >= woff + sizeof(bpi_wire_hdr_t)) {
        bpi_wire_hdr_t wh;
        memcpy(&wh, f + woff, sizeof(wh));
        wh.src = xh.src;
        wh.frame_len = xh.len >= sizeof(wh) ? xh.len - (uint32_t)sizeof(wh) : 0;
        memcpy(f + woff, &wh, sizeof(wh));
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_in_t in = {data, size};
    bpi_tl_iface_t *iface = &fz_iface;

    if (size < 1) {
        return 0;
    }
    if (fz_setup(iface, fuzz_u8(&in)) != 0) {
        fz_teardown(iface);
        return 0;
    }
    while (in.n > 0) {
        uint8_t op = fuzz_u8(&in);
        uint32_t flen;
        uint8_t *f;

        if ((op & 3) == 3) {
            iface->now_ns += (uint64_t)fuzz_u16(&in) * 1000u;
            continue;
        }
        if ((op & 3) == 2) {
            static const uint8_t zeros[FZ_MAX_FLEN];
            bpi_tl_ep_t *ep = iface->eps[fuzz_u8(&in) % iface->size];
            bpi_wire_hdr_t hdr;
            memset(&hdr, 0, sizeof(hdr));
            hdr.type = BPI_WIRE_EAGER;
            hdr.src = (uint32_t)iface->rank;
            hdr.frame_len = fuzz_u16(&in) % (iface->max_frame + 1);
            hdr.msg_len = hdr.frame_len;
            if (ep != NULL) {
                (void)bpi_xdp_send(ep, &hdr, zeros);
                fz_kernel_tx(iface);
            }
            continue;
        }
        flen = fuzz_u16(&in) % FZ_MAX_FLEN;
        f = malloc(flen > 0 ? flen : 1);
        if (f == NULL) {
            break;
        }
        fuzz_take(&in, f, flen);
        fz_fixup(iface, op, f, flen);
        bpi_xdp_rx_frame(iface, f, flen);
        free(f);
        fz_kernel_tx(iface);
    }
    fz_teardown(iface);
    return 0;
}
