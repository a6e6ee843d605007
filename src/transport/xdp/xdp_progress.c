/*
 * xdp_progress.c - the xdp transport's data path: frames into our tx ring, frames out of
 * our rx ring, and the reliable stream per peer on top of an unreliable wire.
 *
 * Reliability (go-back-N): every DATA frame to a peer carries the next sequence number of
 * that stream and, piggybacked, the cumulative acknowledgement of the opposite stream. A
 * receiver delivers only the frame it expects next and drops the rest; on a gap it sends
 * one NACK, which makes the sender resend everything from the first unacknowledged frame
 * at once. A sender keeps each frame (in its UMEM transmit frame, no copy) until it is
 * acknowledged, resends its oldest few when a timeout derived from the measured round
 * trip expires (doubling up to BPI_XDP_RTO_MAX_NS), and lets at most BPI_XDP_WINDOW frames
 * be unacknowledged. A receiver acknowledges on its own only when no data flows back within
 * BPI_XDP_ACK_DELAY_NS, or half a window has arrived.
 *
 * Is the peer alive? After a while without progress on its oldest frame, the sender sends
 * PROBEs; the peer's host answers them in its XDP program (ALIVE while the peer's socket
 * exists, NOEP once its process has gone), so a busy peer is never taken for dead, a dead
 * one is seen at once, and only a host that answers none of several probes over
 * BPI_XDP_GIVEUP_NS is declared failed. Idle peers get a keep-alive DATA frame of the
 * transport's own. The times, and why each, are in xdp.h.
 *
 * The fast path of a send: a free transmit frame, headers and payload copied into it, one
 * descriptor on the tx ring, and the kick (sendto) only when the kernel asks for it
 * (XDP_RING_NEED_WAKEUP: always in copy mode, rarely with zero-copy drivers).
 */
#define _GNU_SOURCE /* ppoll */
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "core/log.h"
#include "transport/xdp/xdp.h"

#define XDP_TL_KEEPALIVE 1 /* tl_op of the keep-alive frame */

static inline uint8_t *chunk_at(bpi_tl_iface_t *iface, uint32_t idx)
{
    return iface->frames + (size_t)(iface->tx_first + idx) * BPI_XDP_FRAME;
}

/* Where a frame starts in its first transmit chunk. */
static inline uint8_t *frame_at(bpi_tl_iface_t *iface, uint32_t idx)
{
    return chunk_at(iface, idx) + BPI_XDP_TX_OFF;
}

void bpi_xdp_tx_init(bpi_tl_iface_t *iface)
{
    for (uint32_t i = 0; i < BPI_XDP_TX_FRAMES; i++) {
        iface->txf[i].next = i + 1 < BPI_XDP_TX_FRAMES ? i + 1 : UINT32_MAX;
        iface->txf[i].acked = 1;
        iface->txf[i].chain = BPI_XDP_CHAIN_END;
    }
    iface->tx_free = 0;
    iface->tx_nfree = BPI_XDP_TX_FRAMES;
    iface->completed = atomic_load(&iface->shared->completed[iface->local_index]);
    iface->submitted = iface->completed;
}

static inline void tx_put(bpi_tl_iface_t *iface, uint32_t idx)
{
    iface->txf[idx].next = iface->tx_free;
    iface->tx_free = idx;
    iface->tx_nfree++;
}

/* Take the kernel's completions of our transmissions into account. */
static void tx_reap(bpi_tl_iface_t *iface)
{
    uint64_t done;

    bpi_xdp_comp_drain(iface);
    done = atomic_load_explicit(&iface->shared->completed[iface->local_index],
                                memory_order_acquire);
    while (iface->completed < done && iface->completed < iface->submitted) {
        uint32_t idx = iface->subq[iface->completed % BPI_XDP_TX_RING];
        bpi_xdp_txf_t *f = &iface->txf[idx];
        if (--f->inflight == 0 && f->acked) {
            tx_put(iface, idx);
        }
        iface->completed++;
    }
}

/* n free transmit chunks, chained; the first, or UINT32_MAX when there are not enough. */
static inline uint32_t tx_get(bpi_tl_iface_t *iface, uint32_t n)
{
    uint32_t head, idx;

    if (BPI_XDP_UNLIKELY(iface->tx_nfree < n)) {
        tx_reap(iface);
        if (iface->tx_nfree < n) {
            return UINT32_MAX;
        }
    }
    head = idx = iface->tx_free;
    for (uint32_t i = 1; i < n; i++) {
        idx = iface->txf[idx].chain = iface->txf[idx].next;
    }
    iface->tx_free = iface->txf[idx].next;
    iface->txf[idx].chain = BPI_XDP_CHAIN_END;
    iface->tx_nfree -= n;
    return head;
}

/* A frame acknowledged (or never to be sent): each chunk is free once the kernel is done. */
static void tx_release(bpi_tl_iface_t *iface, uint32_t idx)
{
    while (idx != BPI_XDP_CHAIN_END) {
        bpi_xdp_txf_t *f = &iface->txf[idx];
        uint32_t next = f->chain;
        f->acked = 1;
        if (f->inflight == 0) {
            tx_put(iface, idx);
        }
        idx = next;
    }
}

/* The number of chunks of the frame at idx, or 0 while the kernel is still sending an
 * earlier copy of any of them (one walk of the chain for both). */
static uint32_t tx_idle_chunks(const bpi_tl_iface_t *iface, uint32_t idx)
{
    uint32_t n = 0;

    for (; idx != BPI_XDP_CHAIN_END; idx = iface->txf[idx].chain) {
        if (iface->txf[idx].inflight > 0) {
            return 0;
        }
        n++;
    }
    return n;
}

/*
 * The kick: sendto() makes the kernel transmit what is on our tx ring (in copy mode, and
 * whenever XDP_RING_NEED_WAKEUP says so). On veth it costs about a one-way latency (it
 * carries the frame into the peer's ring on our CPU), so frames that follow each other
 * closely share one: a send kicks at once when it is the first after a pause (a ping-pong,
 * a lone message: no added latency), else at every BPI_XDP_KICK_BATCH frames, and progress
 * kicks whatever is left. Errors (EAGAIN, ENOBUFS, ENETDOWN) only delay frames:
 * retransmission covers them.
 */
static inline void tx_kick(bpi_tl_iface_t *iface)
{
    iface->unkicked = 0;
    if (*iface->tx.flags & XDP_RING_NEED_WAKEUP) {
        sendto(iface->xsk, NULL, 0, MSG_DONTWAIT, NULL, 0);
    }
}

/* One descriptor for chunk idx on the tx ring (room checked by the caller). */
static inline void tx_desc(bpi_tl_iface_t *iface, uint32_t prod, uint32_t idx, uint32_t off)
{
    bpi_xdp_txf_t *f = &iface->txf[idx];
    struct xdp_desc *d = &((struct xdp_desc *)iface->tx.descs)[prod & iface->tx.mask];

    d->addr = (uint64_t)(iface->tx_first + idx) * BPI_XDP_FRAME + off;
    d->len = f->len;
    d->options = f->chain != BPI_XDP_CHAIN_END ? XDP_PKT_CONTD : 0;
    iface->subq[iface->submitted % BPI_XDP_TX_RING] = idx;
    iface->submitted++;
    f->inflight++;
}

/* Put the frame starting at chunk idx on the tx ring, all its chunks at once (the kernel
 * must never see part of a frame). 0, or -1 when the ring is full. */
static inline int tx_submit(bpi_tl_iface_t *iface, uint32_t idx, uint32_t nchunks)
{
    bpi_xdp_ring_t *tx = &iface->tx;
    uint32_t prod = tx->cached;

    if (BPI_XDP_UNLIKELY(iface->submitted - iface->completed > BPI_XDP_TX_RING - nchunks)) {
        tx_reap(iface);
        if (iface->submitted - iface->completed > BPI_XDP_TX_RING - nchunks) {
            return -1;
        }
    }
    tx_desc(iface, prod++, idx, BPI_XDP_TX_OFF);
    while (BPI_XDP_UNLIKELY((idx = iface->txf[idx].chain) != BPI_XDP_CHAIN_END)) {
        tx_desc(iface, prod++, idx, 0);
    }
    atomic_store_explicit(tx->producer, prod, memory_order_release);
    iface->unkicked += prod - tx->cached;
    tx->cached = prod;
    return 0;
}

/* Chunks of a frame of len bytes (from the Ethernet header on). */
static inline uint32_t frame_chunks(uint32_t len)
{
    return (len + BPI_XDP_TX_OFF + BPI_XDP_FRAME - 1) / BPI_XDP_FRAME;
}

static inline void hdr_fill(bpi_tl_iface_t *iface, bpi_tl_ep_t *ep, uint8_t *f, uint8_t kind,
                            uint8_t flags, uint32_t seq, uint32_t len)
{
    bpi_xdp_hdr_t *xh = (bpi_xdp_hdr_t *)(f + BPI_XDP_ETH_HLEN);

    memcpy(f, ep->mac, 6);
    memcpy(f + 6, iface->mac, 6);
    f[12] = BPI_XDP_ETHERTYPE >> 8;
    f[13] = BPI_XDP_ETHERTYPE & 0xff;
    xh->jobkey = iface->jobkey;
    xh->version = BPI_XDP_VERSION;
    xh->kind = kind;
    xh->flags = flags;
    xh->dst = (uint32_t)ep->peer;
    xh->src = (uint32_t)iface->rank;
    xh->seq = seq;
    xh->ack = ep->expect;
    xh->len = len;
}

static void ep_owe(bpi_tl_iface_t *iface, bpi_tl_ep_t *ep)
{
    if (!ep->listed) {
        ep->listed = 1;
        iface->owed[iface->nowed++] = ep;
    }
}

/* A frame without sequence number (ACK, PROBE): sent once, never resent. */
static void send_ctl(bpi_tl_iface_t *iface, bpi_tl_ep_t *ep, uint8_t kind, uint8_t flags)
{
    uint32_t idx = tx_get(iface, 1);

    if (idx == UINT32_MAX) {
        return; /* no frame now: the timers try again */
    }
    hdr_fill(iface, ep, frame_at(iface, idx), kind, flags, 0, 0);
    iface->txf[idx].acked = 1;
    iface->txf[idx].len = BPI_XDP_ETH_HLEN + (uint32_t)sizeof(bpi_xdp_hdr_t);
    if (tx_submit(iface, idx, 1) != 0) {
        tx_put(iface, idx);
        return;
    }
    if (kind == BPI_XDP_KIND_ACK) {
        ep->ack_pending = 0;
        iface->stats.acks_sent++;
        iface->stats.nacks_sent += (flags & BPI_XDP_F_NACK) != 0;
    }
}

/* The payload of a multi-buffer frame after what its first chunk holds: into the others. */
static void copy_chunks(bpi_tl_iface_t *iface, uint32_t idx, const uint8_t *p, uint32_t n)
{
    while ((idx = iface->txf[idx].chain) != BPI_XDP_CHAIN_END) {
        uint32_t c = n < BPI_XDP_FRAME ? n : BPI_XDP_FRAME;
        memcpy(chunk_at(iface, idx), p, c);
        iface->txf[idx].len = c;
        iface->txf[idx].acked = 0;
        p += c;
        n -= c;
    }
}

bp_status_t bpi_xdp_send(bpi_tl_ep_t *ep, const bpi_wire_hdr_t *hdr, const void *payload)
{
    bpi_tl_iface_t *iface = ep->iface;
    uint32_t len = (uint32_t)sizeof(bpi_wire_hdr_t) + hdr->frame_len;
    uint32_t flen = BPI_XDP_ETH_HLEN + (uint32_t)sizeof(bpi_xdp_hdr_t) + len;
    uint32_t nchunks = 1, first = hdr->frame_len;
    uint32_t idx;
    uint8_t *f;

    if (BPI_XDP_UNLIKELY(ep->dead)) {
        return BP_ERR_PEER;
    }
    if (BPI_XDP_UNLIKELY(ep->nxt - ep->una >= BPI_XDP_WINDOW)) {
        return BP_ERR_AGAIN;
    }
    if (BPI_XDP_UNLIKELY(flen > BPI_XDP_FRAME - BPI_XDP_TX_OFF)) {
        nchunks = frame_chunks(flen); /* multi-buffer (iface->sg) */
        first = BPI_XDP_FRAME - BPI_XDP_TX_OFF - BPI_XDP_HDRS;
    }
    idx = tx_get(iface, nchunks);
    if (BPI_XDP_UNLIKELY(idx == UINT32_MAX)) {
        iface->stats.no_frame++;
        return BP_ERR_AGAIN;
    }
    f = frame_at(iface, idx);
    hdr_fill(iface, ep, f, BPI_XDP_KIND_DATA, 0, ep->nxt, len);
    memcpy(f + BPI_XDP_ETH_HLEN + sizeof(bpi_xdp_hdr_t), hdr, sizeof(*hdr));
    if (hdr->frame_len > 0) {
        memcpy(f + BPI_XDP_HDRS, payload, first);
    }
    iface->txf[idx].seq = ep->nxt;
    iface->txf[idx].acked = 0;
    iface->txf[idx].resent = 0;
    iface->txf[idx].len = flen - (hdr->frame_len - first);
    if (BPI_XDP_UNLIKELY(nchunks > 1)) {
        copy_chunks(iface, idx, (const uint8_t *)payload + first, hdr->frame_len - first);
    }
    iface->txf[idx].sent_ns = bpi_tl_now_ns();
    if (BPI_XDP_UNLIKELY(tx_submit(iface, idx, nchunks) != 0)) {
        tx_release(iface, idx);
        iface->stats.ring_full++;
        return BP_ERR_AGAIN;
    }
    iface->stats.sent++;
    if (iface->unkicked >= BPI_XDP_KICK_BATCH ||
        iface->txf[idx].sent_ns - iface->kick_ns > BPI_XDP_KICK_GAP_NS) {
        tx_kick(iface);
        iface->kick_ns = bpi_tl_now_ns(); /* the gap to the next send starts when this one ends */
    }
    if (ep->una == ep->nxt) {
        ep->progress_ns = iface->txf[idx].sent_ns;
    }
    ep->unacked[ep->nxt % BPI_XDP_WINDOW] = idx;
    ep->nxt++;
    ep->ack_pending = 0; /* carried by this frame */
    ep_owe(iface, ep);
    return BP_OK;
}

/* Resend the max oldest unacknowledged frames to ep. */
static void resend(bpi_tl_iface_t *iface, bpi_tl_ep_t *ep, uint64_t now, uint32_t max)
{
    tx_reap(iface); /* frames the kernel has completed can go again */
    for (uint32_t s = ep->una; s != ep->nxt && s - ep->una < max; s++) {
        uint32_t idx = ep->unacked[s % BPI_XDP_WINDOW];
        uint32_t n = tx_idle_chunks(iface, idx);
        bpi_xdp_txf_t *f = &iface->txf[idx];
        if (n == 0) {
            continue; /* the kernel still has the previous copy */
        }
        ((bpi_xdp_hdr_t *)(frame_at(iface, idx) + BPI_XDP_ETH_HLEN))->ack = ep->expect;
        f->sent_ns = now;
        f->resent = 1; /* its round trip is never measured (Karn) */
        if (tx_submit(iface, idx, n) != 0) {
            break;
        }
        iface->stats.resent++;
    }
    ep->ack_pending = 0;
}

/* The peer has everything before ack. */
static void ack_advance(bpi_tl_iface_t *iface, bpi_tl_ep_t *ep, uint32_t ack, uint64_t now)
{
    int moved = 0;

    while (ep->una != ep->nxt && (int32_t)(ack - ep->una) > 0) {
        uint32_t idx = ep->unacked[ep->una % BPI_XDP_WINDOW];
        bpi_xdp_txf_t *f = &iface->txf[idx];
        if (ep->una + 1 == ack && !f->resent && now > f->sent_ns) {
            uint64_t rtt = now - f->sent_ns;
            ep->srtt_ns = ep->srtt_ns == 0 ? rtt : (7 * ep->srtt_ns + rtt) / 8;
        }
        if (BPI_XDP_LIKELY(f->chain == BPI_XDP_CHAIN_END)) {
            f->acked = 1;
            if (f->inflight == 0) {
                tx_put(iface, idx);
            }
        } else {
            tx_release(iface, idx);
        }
        ep->una++;
        moved = 1;
    }
    if (moved) {
        uint64_t rto = 4 * ep->srtt_ns + 2 * BPI_XDP_ACK_DELAY_NS;
        ep->rto_ns = rto < BPI_XDP_RTO_MIN_NS ? BPI_XDP_RTO_MIN_NS
                     : rto > BPI_XDP_RTO_MAX_NS ? BPI_XDP_RTO_MAX_NS
                                                : rto;
        ep->progress_ns = now;
    }
}

static void ep_fail(bpi_tl_ep_t *ep, const char *why)
{
    if (ep->dead) {
        return;
    }
    if (ep->iface->closing) {
        bpi_log_debug("xdp: rank %d has left: %s", ep->peer, why); /* both are finishing */
    } else {
        bpi_log_error("xdp: rank %d is unreachable: %s", ep->peer, why);
    }
    ep->dead = 1;
}

void bpi_xdp_rx_frame(bpi_tl_iface_t *iface, const uint8_t *f, uint32_t flen)
{
    bpi_xdp_hdr_t xh;
    bpi_wire_hdr_t wh;
    bpi_tl_ep_t *ep;

    if (BPI_XDP_UNLIKELY(flen < BPI_XDP_ETH_HLEN + sizeof(xh))) {
        return;
    }
    memcpy(&xh, f + BPI_XDP_ETH_HLEN, sizeof(xh)); /* frames are not 8-aligned here */
    if (BPI_XDP_UNLIKELY(xh.src >= (uint32_t)iface->size || xh.dst != (uint32_t)iface->rank ||
                         (ep = iface->eps[xh.src]) == NULL)) {
        return; /* not one of our peers (the program checked the job key) */
    }
    ep->ack_since_ns = ep->ack_pending ? ep->ack_since_ns : iface->now_ns;
    switch (xh.kind) {
    case BPI_XDP_KIND_DATA:
        ack_advance(iface, ep, xh.ack, iface->now_ns);
        ep->heard_ns = iface->now_ns;
        if (BPI_XDP_LIKELY(xh.seq == ep->expect)) {
            if (BPI_XDP_UNLIKELY(xh.len < sizeof(wh) ||
                                 flen < BPI_XDP_ETH_HLEN + sizeof(xh) + xh.len)) {
                bpi_log_warn("xdp: a truncated frame from rank %d dropped", ep->peer);
                return;
            }
            memcpy(&wh, f + BPI_XDP_ETH_HLEN + sizeof(xh), sizeof(wh));
            if (BPI_XDP_UNLIKELY(wh.frame_len > xh.len - sizeof(wh) ||
                                 !bpi_wire_hdr_ok(&wh, xh.src, iface->max_frame))) {
                bpi_log_warn("xdp: a malformed frame from rank %d dropped", ep->peer);
                return;
            }
            ep->expect++;
            if (ep->ack_pending++ == 0) {
                ep->ack_since_ns = iface->now_ns;
            }
            ep_owe(iface, ep);
            if (BPI_XDP_LIKELY(wh.type != BPI_WIRE_TL && !iface->closing)) {
                iface->recv_cb(iface->cb_arg, &wh, f + BPI_XDP_HDRS);
            }
        } else if ((int32_t)(xh.seq - ep->expect) < 0) {
            /* a duplicate: our ack was lost; say it again soon */
            iface->stats.dups++;
            ep->ack_pending = BPI_XDP_WINDOW;
            ep_owe(iface, ep);
        } else if (iface->stats.gaps++, ep->nack_sent != ep->expect + 1) {
            ep->nack_sent = ep->expect + 1;
            send_ctl(iface, ep, BPI_XDP_KIND_ACK, BPI_XDP_F_NACK);
        }
        break;
    case BPI_XDP_KIND_ACK:
        ack_advance(iface, ep, xh.ack, iface->now_ns);
        ep->heard_ns = iface->now_ns;
        if ((xh.flags & BPI_XDP_F_NACK) && ep->nack_seen != xh.ack + 1 && ep->una != ep->nxt) {
            ep->nack_seen = xh.ack + 1;
            iface->stats.nacks_got++;
            resend(iface, ep, iface->now_ns, BPI_XDP_WINDOW); /* go back N */
        }
        break;
    case BPI_XDP_KIND_ALIVE:
        iface->stats.alive++;
        ep->heard_ns = iface->now_ns;
        break;
    case BPI_XDP_KIND_NOEP:
        ep_fail(ep, "its host says its socket is gone (the process ended)");
        break;
    default:
        break;
    }
}

/*
 * A chunk of a multi-buffer frame: gathered in rxbuf until the last (the one without
 * XDP_PKT_CONTD), then handled as one frame. The copy costs little next to what the
 * kernel's copy mode spends per frame, and the core then sees every frame contiguous.
 */
static void rx_gather(bpi_tl_iface_t *iface, const struct xdp_desc *d)
{
    if (iface->rxbuf == NULL || d->len > BPI_XDP_SG_MAX_FRAME - iface->rxlen) {
        iface->rx_bad = 1; /* more than any peer of ours sends: not a frame of ours */
    } else {
        memcpy(iface->rxbuf + iface->rxlen, iface->frames + d->addr, d->len);
        iface->rxlen += d->len;
    }
    iface->rx_in_frame = (d->options & XDP_PKT_CONTD) != 0;
    if (!iface->rx_in_frame) {
        if (!iface->rx_bad) {
            iface->stats.sg_frames_rx++;
            bpi_xdp_rx_frame(iface, iface->rxbuf, iface->rxlen);
        }
        iface->rxlen = 0;
        iface->rx_bad = 0;
    }
}

/*
 * Frames unacknowledged and nothing heard: PROBE the peer's host now and then, and give the
 * peer up once its host has answered none of the probes of this silence for long enough.
 * drained: our rx ring is empty, so no answer waits unread.
 */
static void probe(bpi_tl_iface_t *iface, bpi_tl_ep_t *ep, uint64_t now, int drained)
{
    uint64_t last = ep->progress_ns > ep->heard_ns ? ep->progress_ns : ep->heard_ns;

    if (ep->silent_ns != 0 && ep->silent_ns <= last) {
        ep->silent_ns = 0; /* heard since: that silence is over */
    }
    if (now - last >= BPI_XDP_PROBE_AFTER_NS && now - ep->probe_ns >= BPI_XDP_PROBE_GAP_NS) {
        send_ctl(iface, ep, BPI_XDP_KIND_PROBE, 0);
        iface->stats.probes++;
        ep->probe_ns = now;
        if (ep->silent_ns == 0) {
            ep->silent_ns = now;
            ep->nprobes = 0;
        }
        ep->nprobes++;
    }
    if (ep->silent_ns != 0 && drained && ep->nprobes >= BPI_XDP_GIVEUP_PROBES &&
        now - ep->silent_ns >= BPI_XDP_GIVEUP_NS) {
        char why[96];
        snprintf(why, sizeof(why), "its host answered none of %u probes over %llu ms",
                 ep->nprobes, (unsigned long long)((now - ep->silent_ns) / 1000000));
        ep_fail(ep, why);
    }
}

/* Acknowledgements due, resends due, probes: for the endpoints that owe or are owed. */
static void timers(bpi_tl_iface_t *iface, uint64_t now, int drained)
{
    unsigned i = 0;

    while (i < iface->nowed) {
        bpi_tl_ep_t *ep = iface->owed[i];
        if (ep->ack_pending &&
            (ep->ack_pending >= BPI_XDP_WINDOW / 2 ||
             now - ep->ack_since_ns >= BPI_XDP_ACK_DELAY_NS)) {
            send_ctl(iface, ep, BPI_XDP_KIND_ACK, 0);
        }
        if (ep->una != ep->nxt && !ep->dead) {
            uint32_t idx = ep->unacked[ep->una % BPI_XDP_WINDOW];
            if (now - iface->txf[idx].sent_ns >= ep->rto_ns) {
                /* the oldest few only: a receiver that has them (our acks were late, or
                 * lost) acknowledges at once; one that lacks the first NACKs the rest */
                iface->stats.timeouts++;
                resend(iface, ep, now, BPI_XDP_RTO_RESEND);
                ep->rto_ns = ep->rto_ns * 2 > BPI_XDP_RTO_MAX_NS ? BPI_XDP_RTO_MAX_NS
                                                                 : ep->rto_ns * 2;
            }
            probe(iface, ep, now, drained);
        }
        if (ep->ack_pending == 0 && (ep->una == ep->nxt || ep->dead)) {
            ep->listed = 0;
            iface->owed[i] = iface->owed[--iface->nowed];
            continue;
        }
        i++;
    }
}

unsigned bpi_xdp_progress(bpi_tl_iface_t *iface, unsigned budget)
{
    bpi_xdp_ring_t *rx = &iface->rx;
    uint32_t cons = rx->cached;
    uint32_t prod = atomic_load_explicit(rx->producer, memory_order_acquire);
    unsigned n = 0;

    if (cons != prod) {
        iface->now_ns = bpi_tl_now_ns();
        for (; cons != prod && n < budget; cons++, n++) {
            const struct xdp_desc *d = &((struct xdp_desc *)rx->descs)[cons & rx->mask];
            if (BPI_XDP_LIKELY(!(d->options & XDP_PKT_CONTD) && !iface->rx_in_frame)) {
                bpi_xdp_rx_frame(iface, iface->frames + d->addr, d->len);
            } else {
                rx_gather(iface, d);
            }
            iface->refill[iface->nrefill++] = d->addr & ~(uint64_t)(BPI_XDP_FRAME - 1);
            if (iface->nrefill == sizeof(iface->refill) / sizeof(iface->refill[0])) {
                bpi_xdp_fill_flush(iface);
            }
        }
        atomic_store_explicit(rx->consumer, cons, memory_order_release);
        rx->cached = cons;
        bpi_xdp_fill_flush(iface);
    }
    /* the slow work (completions, timers) on arrivals and every 16th empty poll */
    if (n > 0 || (++iface->tick & 15) == 0) {
        if (iface->submitted != iface->completed) {
            tx_reap(iface);
        }
        if (iface->nowed > 0) {
            timers(iface, bpi_tl_now_ns(), cons == prod);
        }
    }
    if (iface->unkicked > 0) {
        tx_kick(iface);
    }
    return n;
}

static inline uint64_t due_min(uint64_t a, uint64_t b)
{
    return a < b ? a : b;
}

/*
 * When the timers next have work (the earliest of: an acknowledgement's delay, the oldest
 * unacknowledged frame's timeout, the next probe, the give-up), for a sleep that must end
 * then: the endpoints listed in owed[] are the only ones with a timer running.
 */
static uint64_t timers_due(const bpi_tl_iface_t *iface)
{
    uint64_t due = UINT64_MAX;

    for (unsigned i = 0; i < iface->nowed; i++) {
        const bpi_tl_ep_t *ep = iface->owed[i];
        if (ep->ack_pending) {
            due = due_min(due, ep->ack_since_ns + BPI_XDP_ACK_DELAY_NS);
        }
        if (ep->una != ep->nxt && !ep->dead) {
            uint64_t last = ep->progress_ns > ep->heard_ns ? ep->progress_ns : ep->heard_ns;
            uint64_t probe = last + BPI_XDP_PROBE_AFTER_NS;
            uint64_t gap = ep->probe_ns + BPI_XDP_PROBE_GAP_NS;
            uint32_t idx = ep->unacked[ep->una % BPI_XDP_WINDOW];
            due = due_min(due, iface->txf[idx].sent_ns + ep->rto_ns);
            due = due_min(due, probe > gap ? probe : gap);
            if (ep->silent_ns != 0 && ep->nprobes >= BPI_XDP_GIVEUP_PROBES) {
                due = due_min(due, ep->silent_ns + BPI_XDP_GIVEUP_NS);
            }
        }
    }
    return due;
}

/* What bpi_xdp_wait does before its poll(), for the core's poll() over several transports:
 * the socket to watch, and BP_ERR_AGAIN when frames are already in the rx ring. A sleep
 * ends when the timers are due, and the first poll after it runs them (an empty poll runs
 * them only every 16th time otherwise). */
bp_status_t bpi_xdp_wait_fd(bpi_tl_iface_t *iface, struct pollfd *pfd, int *timeout_us)
{
    pfd->fd = iface->xsk;
    pfd->events = POLLIN;
    pfd->revents = 0;
    if (iface->unkicked > 0) {
        tx_kick(iface);
    }
    if (atomic_load_explicit(iface->rx.producer, memory_order_acquire) != iface->rx.cached) {
        return BP_ERR_AGAIN;
    }
    /* owed acknowledgements, resends and probes need us back in time */
    if (iface->nowed > 0) {
        uint64_t due = timers_due(iface), now = bpi_tl_now_ns();
        uint64_t us = due <= now ? 0 : (due - now + 999) / 1000;
        if (us <= INT_MAX && (*timeout_us < 0 || (uint64_t)*timeout_us > us)) {
            *timeout_us = (int)us;
        }
        iface->tick = 15; /* the next poll runs the timers */
    }
    return BP_OK;
}

bp_status_t bpi_xdp_wait(bpi_tl_iface_t *iface, int timeout_us)
{
    struct pollfd pfd;
    struct timespec ts;

    if (bpi_xdp_wait_fd(iface, &pfd, &timeout_us) != BP_OK) {
        return BP_OK; /* frames are waiting */
    }
    ts = bpi_tl_timespec(timeout_us < 0 ? 0 : timeout_us);
    if (ppoll(&pfd, 1, timeout_us < 0 ? NULL : &ts, NULL) < 0 && errno != EINTR) {
        bpi_log_error("xdp: ppoll: %s", strerror(errno));
        return BP_ERR_SYS;
    }
    return BP_OK;
}

/* Slow path, called when idle: an idle peer unheard-of for a while gets a keep-alive. */
bp_status_t bpi_xdp_ep_check(bpi_tl_ep_t *ep)
{
    bpi_tl_iface_t *iface = ep->iface;
    uint64_t now = bpi_tl_now_ns();

    if (ep->dead) {
        return BP_ERR_PEER;
    }
    if (ep->una == ep->nxt && now - ep->heard_ns >= BPI_XDP_IDLE_PROBE_NS) {
        bpi_wire_hdr_t hdr;
        memset(&hdr, 0, sizeof(hdr));
        hdr.type = BPI_WIRE_TL;
        hdr.tl_op = XDP_TL_KEEPALIVE;
        hdr.src = (uint32_t)iface->rank;
        (void)bpi_xdp_send(ep, &hdr, NULL); /* reliable: unanswered, it fails the peer */
        ep->heard_ns = now - BPI_XDP_IDLE_PROBE_NS / 2; /* at most every half period */
    }
    return BP_OK;
}

/*
 * Before the first endpoint goes (bp_finalize, after its barrier): acknowledge what we
 * received, and wait a little (bounded) for our own last frames to be acknowledged, so a
 * peer does not resend to a process that has left. Frames arriving now are acknowledged
 * but no longer delivered.
 */
void bpi_xdp_linger(bpi_tl_iface_t *iface)
{
    uint64_t deadline = bpi_tl_now_ns() + 250000000ull;
    int waiting = 1;

    iface->closing = 1;
    for (int r = 0; r < iface->size; r++) {
        if (iface->eps[r] != NULL && iface->eps[r]->ack_pending) {
            send_ctl(iface, iface->eps[r], BPI_XDP_KIND_ACK, 0);
        }
    }
    while (waiting && bpi_tl_now_ns() < deadline) {
        waiting = 0;
        bpi_xdp_progress(iface, 64);
        for (int r = 0; r < iface->size; r++) {
            bpi_tl_ep_t *ep = iface->eps[r];
            if (ep != NULL && !ep->dead && ep->una != ep->nxt) {
                waiting = 1;
            }
            if (ep != NULL && ep->ack_pending) {
                send_ctl(iface, ep, BPI_XDP_KIND_ACK, 0);
            }
        }
    }
}

/*
 * The raw probe (bp-bench base --xdp): frames through the same sockets, UMEM and steering
 * program, without the protocol: what the socket and the kernel path cost by themselves.
 */
bp_status_t bpi_xdp_raw_send(bpi_tl_iface_t *iface, const uint8_t mac[6], int dst, uint32_t len)
{
    bpi_tl_ep_t ep;
    uint32_t idx = tx_get(iface, 1);

    if (idx == UINT32_MAX) {
        return BP_ERR_AGAIN;
    }
    memset(&ep, 0, sizeof(ep));
    memcpy(ep.mac, mac, 6);
    ep.peer = dst;
    hdr_fill(iface, &ep, frame_at(iface, idx), BPI_XDP_KIND_DATA, 0, 0, 0);
    iface->txf[idx].acked = 1; /* free once the kernel has sent it */
    iface->txf[idx].len = len;
    if (tx_submit(iface, idx, 1) != 0) {
        tx_put(iface, idx);
        return BP_ERR_AGAIN;
    }
    tx_kick(iface);
    return BP_OK;
}

unsigned bpi_xdp_raw_recv(bpi_tl_iface_t *iface)
{
    bpi_xdp_ring_t *rx = &iface->rx;
    uint32_t cons = rx->cached;
    uint32_t prod = atomic_load_explicit(rx->producer, memory_order_acquire);
    unsigned n = 0;

    for (; cons != prod; cons++, n++) {
        const struct xdp_desc *d = &((struct xdp_desc *)rx->descs)[cons & rx->mask];
        iface->refill[iface->nrefill++] = d->addr & ~(uint64_t)(BPI_XDP_FRAME - 1);
        if (iface->nrefill == sizeof(iface->refill) / sizeof(iface->refill[0])) {
            bpi_xdp_fill_flush(iface);
        }
    }
    if (n > 0) {
        atomic_store_explicit(rx->consumer, cons, memory_order_release);
        rx->cached = cons;
        bpi_xdp_fill_flush(iface);
        tx_reap(iface);
    }
    return n;
}
