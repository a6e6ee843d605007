/*
 * shm_ep.c - sending a frame to a local peer: claim a slot in the peer's fast ring (ours
 * alone) or in its shared queue, copy header and payload, commit, and wake the peer if it
 * sleeps. After ring_thresh frames through the queue, a sender asks the peer for a fast
 * ring; it announces the ring with a RING_ON frame through the queue and uses the ring from
 * then on. The receiver starts reading the ring when it reads RING_ON, so frames sent
 * through the queue before it are all read first: per-sender order holds across the switch.
 */
#include <limits.h>
#include <linux/futex.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "core/copy.h"
#include "transport/shm/shm.h"

void bpi_shm_wake(bpi_shm_seg_hdr_t *seg)
{
    atomic_fetch_add_explicit(&seg->futex, 1, memory_order_release);
    syscall(SYS_futex, &seg->futex, FUTEX_WAKE, INT_MAX, NULL, NULL, 0);
}

static inline void shm_slot_fill(bpi_shm_slot_t *slot, const bpi_wire_hdr_t *hdr,
                                 const void *payload)
{
    slot->hdr = *hdr;
    bpi_copy(slot + 1, payload, hdr->frame_len); /* 0 bytes: payload may be NULL */
}

/* Blocking progress: after a commit, wake the receiver if it said it sleeps. */
static inline void shm_wake_if_sleeping(bpi_tl_ep_t *ep)
{
    if (ep->peer_may_sleep) {
        /* seq_cst fence: our commit before our read of `sleeping`; pairs with the fence in
         * bpi_shm_wait between the receiver's store of `sleeping` and its last look */
        atomic_thread_fence(memory_order_seq_cst);
        if (atomic_load_explicit(&ep->seg->sleeping, memory_order_relaxed)) {
            bpi_shm_wake(ep->seg);
        }
    }
}

static bp_status_t shm_send_queue_frame(bpi_tl_ep_t *ep, const bpi_wire_hdr_t *hdr,
                                        const void *payload)
{
    bpi_shm_slot_t *slot;
    uint64_t pos;

    if (bpi_shm_ring_claim_mp(&ep->queue, &ep->queue_head_cache, &pos) != 0) {
        return BP_ERR_AGAIN;
    }
    slot = bpi_shm_ring_slot(&ep->queue, pos);
    shm_slot_fill(slot, hdr, payload);
    bpi_shm_ring_commit(slot, pos);
    return BP_OK;
}

/* Ask the peer for a fast ring, and announce it through the queue. */
static void shm_ep_ring_try(bpi_tl_ep_t *ep)
{
    bpi_shm_seg_hdr_t *seg = ep->seg;
    bpi_wire_hdr_t on;

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

bp_status_t bpi_shm_ep_send(bpi_tl_ep_t *ep, const bpi_wire_hdr_t *hdr, const void *payload)
{
    bpi_shm_slot_t *slot;
    uint64_t pos;

    if (__builtin_expect(ep->state != BPI_SHM_EP_RING, 0)) {
        return shm_send_queue(ep, hdr, payload);
    }
    pos = ep->ring_tail;
    if (!bpi_shm_ring_has_room(&ep->ring, pos, &ep->ring_head_cache)) {
        return BP_ERR_AGAIN;
    }
    slot = bpi_shm_ring_slot(&ep->ring, pos);
    shm_slot_fill(slot, hdr, payload);
    bpi_shm_ring_commit(slot, pos);
    ep->ring_tail = pos + 1;
    shm_wake_if_sleeping(ep);
    return BP_OK;
}
