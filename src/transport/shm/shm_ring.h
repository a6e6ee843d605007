/*
 * shm_ring.h - the bounded ring of fixed-size slots that carries frames between processes of
 * one machine. Pure: no system calls, tested alone (tests/transport/shm_ring.c).
 *
 * One ring format serves two uses (see docs/ARCHITECTURE.md, "shm"):
 *   - each process's shared receive queue: any local sender claims a position with a CAS on
 *     `tail` (multi-producer, single consumer);
 *   - a per-sender fast ring: one producer keeps the tail in its own memory (no atomic RMW).
 *
 * A slot holds its 8-byte sequence word, the 32-byte wire header and the inline payload in
 * the same cache lines. The sequence word is the slot's valid mark: the producer of position
 * pos writes header and payload, then stores seq = pos + 1 with release; the consumer, whose
 * head is pos, waits for seq == pos + 1 with acquire. A committed seq is never cleared: the
 * next lap writes pos + nslots + 1, so no slot needs resetting (as UCX's mm FIFO owner bit).
 * The consumer publishes its head in `head_pub` only every nslots/4 frames (and when it
 * finds the ring empty); producers re-read it only when the ring looks full to them.
 * `tail` (producers) and `head_pub` (consumer) live on cache lines of their own.
 *
 * A frame longer than one slot's payload spans consecutive slots (its payload runs on over
 * the next slots' bytes, seq and all); only its first slot's seq is written and checked, and
 * the consumer then skips the span. A span never wraps around the ring's end: a producer
 * whose span would wrap first fills the slots up to the end with one pad frame.
 *
 * A covered slot's seq word holds the sender's bytes, and a lap later the consumer's head
 * may stop there, waiting for the next frame: bytes equal to that position + 1 would pass
 * for a mark (a 6-rank mpi_collectives once read stale payload as a frame, "unknown type
 * 145", and lost its place). So before the consumer can look at a covered slot again,
 * its seq word is zeroed (no mark is 0): on a fast ring by the producer, which knows what
 * it covered and zeroes the slot just before committing the frame that ends there (so the
 * line it writes next anyway; shm_ep.c); on the shared queue, with producers that do not
 * know each other's spans, by the consumer as it moves past a span (clear_spans).
 */
#ifndef BPI_SHM_RING_H
#define BPI_SHM_RING_H

#include <assert.h>
#include <stdalign.h>
#include <stdatomic.h>
#include <stdint.h>

#include "transport/wire.h"

#define BPI_CACHELINE 64

typedef struct bpi_shm_ring_ctl {
    alignas(BPI_CACHELINE) _Atomic uint64_t tail; /* next position to claim (shared queue) */
    alignas(BPI_CACHELINE) _Atomic uint64_t head_pub; /* consumed below this (batched) */
} bpi_shm_ring_ctl_t;

static_assert(sizeof(bpi_shm_ring_ctl_t) == 2 * BPI_CACHELINE, "ring control: two lines");

typedef struct bpi_shm_slot {
    _Atomic uint64_t seq; /* pos + 1 once the frame of position pos is complete */
    bpi_wire_hdr_t hdr;
    /* frame_len payload bytes follow */
} bpi_shm_slot_t;

#define BPI_SHM_SLOT_HDR sizeof(bpi_shm_slot_t)
static_assert(BPI_SHM_SLOT_HDR == 40, "slot header: 24 payload bytes share its cache line");

/* A process's view of one ring (pointers into its own mapping of the segment). */
typedef struct bpi_shm_ring {
    bpi_shm_ring_ctl_t *ctl;
    char *slots;
    uint64_t mask;       /* nslots - 1 */
    uint64_t batch_mask; /* publish head when (head & batch_mask) == 0 */
    uint32_t slot_size;
    uint32_t nslots;
    uint32_t clear_spans; /* consumer: zero the seq words a span covered (shared queue) */
} bpi_shm_ring_t;

/* Bytes a ring of nslots slots takes in the segment (control + slots). */
static inline uint64_t bpi_shm_ring_bytes(uint32_t nslots, uint32_t slot_size)
{
    return sizeof(bpi_shm_ring_ctl_t) + (uint64_t)nslots * slot_size;
}

/* Set up a view of the ring whose control block is at mem; nslots a power of two. */
static inline void bpi_shm_ring_view(bpi_shm_ring_t *ring, void *mem, uint32_t nslots,
                                     uint32_t slot_size)
{
    uint32_t batch = nslots / 4 > 0 ? nslots / 4 : 1;

    ring->ctl = (bpi_shm_ring_ctl_t *)mem;
    ring->slots = (char *)mem + sizeof(bpi_shm_ring_ctl_t);
    ring->mask = nslots - 1;
    ring->batch_mask = batch - 1;
    ring->slot_size = slot_size;
    ring->nslots = nslots;
    ring->clear_spans = 0;
}

static inline bpi_shm_slot_t *bpi_shm_ring_slot(const bpi_shm_ring_t *ring, uint64_t pos)
{
    return (bpi_shm_slot_t *)(ring->slots + (pos & ring->mask) * ring->slot_size);
}

static inline uint32_t bpi_shm_ring_max_payload(const bpi_shm_ring_t *ring)
{
    return ring->slot_size - (uint32_t)BPI_SHM_SLOT_HDR;
}

/* Slots a frame of frame_len payload bytes spans. */
static inline uint32_t bpi_shm_ring_span(const bpi_shm_ring_t *ring, uint32_t frame_len)
{
    if (__builtin_expect(frame_len <= ring->slot_size - BPI_SHM_SLOT_HDR, 1)) {
        return 1;
    }
    return (uint32_t)((BPI_SHM_SLOT_HDR + frame_len + ring->slot_size - 1) / ring->slot_size);
}

/* The longest span a producer may ask for (a quarter of the ring) and its payload. */
static inline uint32_t bpi_shm_ring_max_span(const bpi_shm_ring_t *ring)
{
    return ring->nslots / 4 > 0 ? ring->nslots / 4 : 1;
}

static inline uint32_t bpi_shm_ring_max_frame(const bpi_shm_ring_t *ring)
{
    return bpi_shm_ring_max_span(ring) * ring->slot_size - (uint32_t)BPI_SHM_SLOT_HDR;
}

/* Slots to pad before a span of `span` slots starting at pos, so that it does not wrap. */
static inline uint32_t bpi_shm_ring_pad(const bpi_shm_ring_t *ring, uint64_t pos, uint32_t span)
{
    uint32_t idx = (uint32_t)(pos & ring->mask);

    return idx + span > ring->nslots ? ring->nslots - idx : 0;
}

/* Is there room for position pos? Refreshes the cached head only when it looks full. */
static inline int bpi_shm_ring_has_room(const bpi_shm_ring_t *ring, uint64_t pos,
                                        uint64_t *head_cache)
{
    if (__builtin_expect(pos - *head_cache >= ring->nslots, 0)) {
        /* acquire pairs with the consumer's release in bpi_shm_ring_consume: its reads of
         * the slot are done before we overwrite it */
        *head_cache = atomic_load_explicit(&ring->ctl->head_pub, memory_order_acquire);
        if (pos - *head_cache >= ring->nslots) {
            return 0;
        }
    }
    return 1;
}

/* Multi-producer claim of the next position: 0 and *pos_p on success, -1 when full. */
static inline int bpi_shm_ring_claim_mp(const bpi_shm_ring_t *ring, uint64_t *head_cache,
                                        uint64_t *pos_p)
{
    uint64_t pos = atomic_load_explicit(&ring->ctl->tail, memory_order_relaxed);

    do {
        if (!bpi_shm_ring_has_room(ring, pos, head_cache)) {
            return -1;
        }
        /* relaxed is enough: the slot's contents are ordered by its seq store */
    } while (!atomic_compare_exchange_weak_explicit(&ring->ctl->tail, &pos, pos + 1,
                                                    memory_order_relaxed,
                                                    memory_order_relaxed));
    *pos_p = pos;
    return 0;
}

/*
 * Multi-producer claim of `span` consecutive slots, with the pad slots that keep them from
 * wrapping in front: 0, *pos_p (the first claimed position) and *pad_p on success, -1 when
 * full. The caller writes a pad frame at *pos_p when *pad_p > 0 and its own frame at
 * *pos_p + *pad_p.
 */
static inline int bpi_shm_ring_claim_span_mp(const bpi_shm_ring_t *ring, uint64_t *head_cache,
                                             uint32_t span, uint64_t *pos_p, uint32_t *pad_p)
{
    uint64_t pos = atomic_load_explicit(&ring->ctl->tail, memory_order_relaxed);
    uint32_t pad;

    do {
        pad = bpi_shm_ring_pad(ring, pos, span);
        if (!bpi_shm_ring_has_room(ring, pos + pad + span - 1, head_cache)) {
            return -1;
        }
    } while (!atomic_compare_exchange_weak_explicit(&ring->ctl->tail, &pos, pos + pad + span,
                                                    memory_order_relaxed,
                                                    memory_order_relaxed));
    *pos_p = pos;
    *pad_p = pad;
    return 0;
}

/* Make the frame at pos visible: header and payload must be written before this. */
static inline void bpi_shm_ring_commit(bpi_shm_slot_t *slot, uint64_t pos)
{
    /* release pairs with the acquire in bpi_shm_ring_peek */
    atomic_store_explicit(&slot->seq, pos + 1, memory_order_release);
}

/* Consumer: the frame at head, or NULL when it has not been committed yet. */
static inline bpi_shm_slot_t *bpi_shm_ring_peek(const bpi_shm_ring_t *ring, uint64_t head)
{
    bpi_shm_slot_t *slot = bpi_shm_ring_slot(ring, head);

    if (atomic_load_explicit(&slot->seq, memory_order_acquire) != head + 1) {
        return NULL;
    }
    return slot;
}

/* Consumer state, in the consumer's own memory. */
typedef struct bpi_shm_ring_cons {
    uint64_t head;      /* next position to read */
    uint64_t published; /* last value stored in head_pub */
} bpi_shm_ring_cons_t;

/* Consumer: done with the frame at c->head, which spans `span` slots; publishes the head
 * once per batch (when it crosses a multiple of the batch size). */
static inline void bpi_shm_ring_consume_span(const bpi_shm_ring_t *ring, bpi_shm_ring_cons_t *c,
                                             uint32_t span)
{
    uint64_t old = c->head;
    uint64_t head = old + span;

    /* the shared queue: zero the seq words the span's payload covered (see the top),
     * before the head that lets a producer reuse them is published (release below) */
    if (__builtin_expect(span > 1, 0) && ring->clear_spans) {
        for (uint64_t pos = old + 1; pos < head; pos++) {
            atomic_store_explicit(&bpi_shm_ring_slot(ring, pos)->seq, 0, memory_order_relaxed);
        }
    }
    c->head = head;
    if (((old ^ head) & ~ring->batch_mask) != 0) {
        /* release pairs with the acquire in bpi_shm_ring_has_room */
        atomic_store_explicit(&ring->ctl->head_pub, head, memory_order_release);
        c->published = head;
    }
}

/* Consumer: done with the one-slot frame at c->head. */
static inline void bpi_shm_ring_consume(const bpi_shm_ring_t *ring, bpi_shm_ring_cons_t *c)
{
    bpi_shm_ring_consume_span(ring, c, 1);
}

/* Consumer: publish the head now (the ring was found empty, so producers see all room). */
static inline void bpi_shm_ring_flush(const bpi_shm_ring_t *ring, bpi_shm_ring_cons_t *c)
{
    if (c->published != c->head) {
        atomic_store_explicit(&ring->ctl->head_pub, c->head, memory_order_release);
        c->published = c->head;
    }
}

#endif
