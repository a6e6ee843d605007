/*
 * shm_ep.c - sending a frame to a local peer: claim a slot in the peer's fast ring (ours
 * alone) or in its shared queue, copy header and payload, commit, and wake the peer if it
 * sleeps. After ring_thresh frames through the queue, a sender asks the peer for a fast
 * ring; it announces the ring with a RING_ON frame through the queue and uses the ring from
 * then on. The receiver starts reading the ring when it reads RING_ON, so frames sent
 * through the queue before it are all read first: per-sender order holds across the switch.
 */
#include <limits.h>
#include <stdlib.h>
#include <linux/futex.h>
#include <stddef.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <unistd.h>

#include "core/copy.h"
#include "transport/shm/shm.h"

#define BP_NOINLINE_SHM __attribute__((noinline))

/*
 * Wake the owner of seg, which said it sleeps the way `how` says: on its futex, or in a
 * poll() that watches its wake socket (a datagram makes that readable; one already queued
 * and not yet drained does too, so a full socket buffer is no loss). Nothing to do when we
 * have no socket to send from, or the owner's has gone (it exited: ep_check will say so).
 */
void bpi_shm_wake(bpi_tl_iface_t *iface, bpi_shm_seg_hdr_t *seg, uint32_t how)
{
    /* for the sleeper's params.woke: a clock reading on a path that makes a system call */
    atomic_store_explicit(&seg->woken_ns, bpi_tl_now_ns(), memory_order_relaxed);
    if (how == BPI_SHM_SLEEP_FD) {
        struct sockaddr_un addr = {.sun_family = AF_UNIX};
        uint32_t len = seg->wake_len;

        if (iface->wake_fd >= 0 && len > 0 && len <= sizeof(seg->wake_name)) {
            memcpy(addr.sun_path, seg->wake_name, len);
            (void)sendto(iface->wake_fd, "", 1, MSG_DONTWAIT | MSG_NOSIGNAL,
                         (const struct sockaddr *)&addr,
                         (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len));
        }
        return;
    }
    atomic_fetch_add_explicit(&seg->futex, 1, memory_order_release);
    syscall(SYS_futex, &seg->futex, FUTEX_WAKE, INT_MAX, NULL, NULL, 0);
}

static inline void shm_slot_fill(bpi_shm_slot_t *slot, const bpi_wire_hdr_t *hdr,
                                 const void *payload)
{
    slot->hdr = *hdr;
    bpi_copy(slot + 1, payload, hdr->frame_len); /* 0 bytes: payload may be NULL */
}

/* A pad frame over `pad` slots at pos: the consumer skips it. */
static void shm_slot_pad(const bpi_shm_ring_t *ring, uint64_t pos, uint32_t pad, int src)
{
    bpi_shm_slot_t *slot = bpi_shm_ring_slot(ring, pos);

    memset(&slot->hdr, 0, sizeof(slot->hdr));
    slot->hdr.type = BPI_WIRE_TL;
    slot->hdr.tl_op = BPI_SHM_OP_PAD;
    slot->hdr.src = (uint32_t)src;
    slot->hdr.frame_len = pad * ring->slot_size - (uint32_t)BPI_SHM_SLOT_HDR;
    bpi_shm_ring_commit(slot, pos);
}

/*
 * Blocking progress: after a commit, wake the receiver if it said it sleeps. Our read of
 * `sleeping` may be answered before our commit is visible to the receiver (a store waits in
 * the store buffer, a load does not), so that we see it awake while it looks at its rings,
 * finds nothing and sleeps. Two answers:
 *   - BPI_SHM_SLEEPS_FENCED: a seq_cst fence between the commit and the read, paired with
 *     the receiver's fence between its store of `sleeping` and its last look (Dekker);
 *   - BPI_SHM_SLEEPS_RELOOK: no fence. The receiver looks again BPI_SHM_RELOOK_US into
 *     its sleep, by when a commit made before our read (in program order: the compiler
 *     barrier keeps it so) has left the store buffer. The fence waited for the slot's
 *     line, which the receiver's CPU holds, before the sender could go on: a stream of 8 B
 *     sends in adaptive progress ran at 0.7x the rate without it (docs/PERFORMANCE.md, "a
 *     thirteenth session").
 */
static inline void shm_wake_if_sleeping(bpi_tl_ep_t *ep)
{
    uint32_t may = atomic_load_explicit(&ep->seg->may_sleep, memory_order_relaxed);

    if (may != BPI_SHM_NEVER_SLEEPS) {
        if (may == BPI_SHM_SLEEPS_FENCED) {
            atomic_thread_fence(memory_order_seq_cst);
        } else {
            atomic_signal_fence(memory_order_seq_cst);
        }
        uint32_t how = atomic_load_explicit(&ep->seg->sleeping, memory_order_relaxed);
        if (how != BPI_SHM_AWAKE) {
            bpi_shm_wake(ep->iface, ep->seg, how);
        }
    }
}

/* The core changed shared state the peer may sleep on (a collective's word): same protocol. */
bp_status_t bpi_shm_ep_wake(bpi_tl_ep_t *ep)
{
    shm_wake_if_sleeping(ep);
    return BP_OK;
}

static bp_status_t shm_send_queue_frame(bpi_tl_ep_t *ep, const bpi_wire_hdr_t *hdr,
                                        const void *payload)
{
    uint32_t span = bpi_shm_ring_span(&ep->queue, hdr->frame_len);
    bpi_shm_slot_t *slot;
    uint32_t pad = 0;
    uint64_t pos;

    if (span == 1) {
        if (bpi_shm_ring_claim_mp(&ep->queue, &ep->queue_head_cache, &pos) != 0) {
            return BP_ERR_AGAIN;
        }
    } else {
        if (bpi_shm_ring_claim_span_mp(&ep->queue, &ep->queue_head_cache, span, &pos, &pad) !=
            0) {
            return BP_ERR_AGAIN;
        }
        if (pad > 0) {
            shm_slot_pad(&ep->queue, pos, pad, ep->iface->params.rank);
            pos += pad;
        }
    }
    slot = bpi_shm_ring_slot(&ep->queue, pos);
    shm_slot_fill(slot, hdr, payload);
    bpi_shm_ring_commit(slot, pos);
    return BP_OK;
}

/*
 * Our fast ring's next frame will start at position `next`, and the receiver, once it has
 * read the frame we are about to commit, waits there: if a span of ours covered that slot
 * in an earlier lap, its seq word holds payload bytes that could pass for a mark, so zero
 * it first (shm_ring.h). Called before every commit; the commit's release orders it.
 */
static inline void shm_ring_clear_next(bpi_tl_ep_t *ep, uint64_t next)
{
    uint64_t i = next & ep->ring.mask;
    uint64_t bit = 1ull << (i & 63);

    if (__builtin_expect((ep->covered[i >> 6] & bit) != 0, 0)) {
        ep->covered[i >> 6] &= ~bit;
        atomic_store_explicit(&bpi_shm_ring_slot(&ep->ring, next)->seq, 0,
                              memory_order_relaxed);
    }
}

/* A frame of more than one slot on our fast ring (a pad frame first if it would wrap). */
static BP_NOINLINE_SHM bp_status_t shm_send_ring_span(bpi_tl_ep_t *ep, const bpi_wire_hdr_t *hdr,
                                                      const void *payload)
{
    uint32_t span = bpi_shm_ring_span(&ep->ring, hdr->frame_len);
    uint64_t pos = ep->ring_tail;
    uint32_t pad = bpi_shm_ring_pad(&ep->ring, pos, span);
    bpi_shm_slot_t *slot;

    if (!bpi_shm_ring_has_room(&ep->ring, pos + pad + span - 1, &ep->ring_head_cache)) {
        return BP_ERR_AGAIN;
    }
    if (pad > 0) {
        shm_ring_clear_next(ep, pos + pad); /* slot 0: never covered, spans do not wrap */
        shm_slot_pad(&ep->ring, pos, pad, ep->iface->params.rank);
        pos += pad;
    }
    slot = bpi_shm_ring_slot(&ep->ring, pos);
    shm_slot_fill(slot, hdr, payload);
    for (uint64_t c = pos + 1; c < pos + span; c++) {
        uint64_t i = c & ep->ring.mask;
        ep->covered[i >> 6] |= 1ull << (i & 63);
    }
    shm_ring_clear_next(ep, pos + span);
    bpi_shm_ring_commit(slot, pos);
    ep->ring_tail = pos + span;
    shm_wake_if_sleeping(ep);
    return BP_OK;
}

/* Ask the peer for a fast ring, and announce it through the queue. */
static void shm_ep_ring_try(bpi_tl_ep_t *ep)
{
    bpi_shm_seg_hdr_t *seg = ep->seg;
    bpi_wire_hdr_t on;

    if (ep->covered == NULL) {
        ep->covered = calloc((seg->ring_slots + 63) / 64, sizeof(uint64_t));
        if (ep->covered == NULL) {
            return; /* no memory now: the queue serves, a later frame asks again */
        }
    }
    if (ep->ring_pending < 0) {
        uint32_t idx = atomic_fetch_add_explicit(&seg->rings_used, 1, memory_order_relaxed);
        if (idx >= seg->max_rings) {
            ep->state = BPI_SHM_EP_REFUSED; /* all handed out: the queue serves us */
            return;
        }
        ep->ring_pending = idx;
    }
    memset(&on, 0, sizeof(on));
    on.type = BPI_WIRE_TL;
    on.tl_op = BPI_SHM_OP_RING_ON;
    on.src = (uint32_t)ep->iface->params.rank;
    on.tag = (uint64_t)ep->ring_pending;
    if (shm_send_queue_frame(ep, &on, NULL) != BP_OK) {
        return; /* queue full: announce with a later frame */
    }
    bpi_shm_ring_view(&ep->ring, (char *)seg + seg->rings_off + ep->ring_pending * seg->ring_bytes,
                      seg->ring_slots, seg->slot_size);
    ep->ring_tail = 0;
    ep->ring_head_cache = 0;
    ep->state = BPI_SHM_EP_RING;
}

/* Not yet (or never) on a fast ring: out of line, the ring path stays short. */
static __attribute__((noinline)) bp_status_t shm_send_queue(bpi_tl_ep_t *ep, const bpi_wire_hdr_t *hdr,
                                  const void *payload)
{
    bp_status_t status;

    if (ep->state == BPI_SHM_EP_QUEUE && ep->queue_sends >= ep->iface->ring_thresh) {
        shm_ep_ring_try(ep);
        if (ep->state == BPI_SHM_EP_RING) {
            return bpi_shm_ep_send(ep, hdr, payload);
        }
    }
    status = shm_send_queue_frame(ep, hdr, payload);
    if (status == BP_OK) {
        ep->queue_sends++;
        shm_wake_if_sleeping(ep);
    }
    return status;
}

BP_HOT bp_status_t bpi_shm_ep_send(bpi_tl_ep_t *ep, const bpi_wire_hdr_t *hdr, const void *payload)
{
    bpi_shm_slot_t *slot;
    uint64_t pos;

    if (__builtin_expect(ep->state != BPI_SHM_EP_RING, 0)) {
        return shm_send_queue(ep, hdr, payload);
    }
    if (__builtin_expect(hdr->frame_len > bpi_shm_ring_max_payload(&ep->ring), 0)) {
        return shm_send_ring_span(ep, hdr, payload);
    }
    pos = ep->ring_tail;
    if (!bpi_shm_ring_has_room(&ep->ring, pos, &ep->ring_head_cache)) {
        return BP_ERR_AGAIN;
    }
    slot = bpi_shm_ring_slot(&ep->ring, pos);
    shm_slot_fill(slot, hdr, payload);
    shm_ring_clear_next(ep, pos + 1);
    bpi_shm_ring_commit(slot, pos);
    ep->ring_tail = pos + 1;
    shm_wake_if_sleeping(ep);
    return BP_OK;
}
