/*
 * shm_ring_stale_span: the payload of a frame that spans slots runs over the seq words of
 * the slots after its first. A lap later, the consumer's head reaches one of those slots;
 * whatever the old payload held there, the slot must read as empty until a producer
 * commits it. (A payload equal to that position + 1 once passed for a valid mark: the
 * receiver took stale bytes for a frame, "frame of unknown type", and lost its place in
 * the ring.) This is the shared queue's way, where the consumer zeroes what a span covered
 * (clear_spans); a fast ring's producer does it itself (tests/integration/shm_stale_span).
 */
#include <stdlib.h>

#include "transport/shm/shm_ring.h"
#include "unit.h"

#define NSLOTS 16
#define SLOT 128

static void produce(bpi_shm_ring_t *ring, uint64_t *head_cache, uint32_t len, uint64_t word,
                    uint32_t word_off)
{
    uint32_t pad;
    uint64_t pos;
    bpi_shm_slot_t *slot;
    char *data;

    UNIT_CHECK_EQ(bpi_shm_ring_claim_span_mp(ring, head_cache, bpi_shm_ring_span(ring, len),
                                             &pos, &pad),
                  0);
    UNIT_CHECK_EQ(pad, 0);
    slot = bpi_shm_ring_slot(ring, pos);
    memset(&slot->hdr, 0, sizeof(slot->hdr));
    slot->hdr.type = BPI_WIRE_EAGER;
    slot->hdr.frame_len = len;
    data = (char *)(slot + 1);
    memset(data, 0x5a, len);
    if (word_off + sizeof(word) <= len) {
        memcpy(data + word_off, &word, sizeof(word));
    }
    bpi_shm_ring_commit(slot, pos);
}

static void consume(bpi_shm_ring_t *ring, bpi_shm_ring_cons_t *cons)
{
    bpi_shm_slot_t *slot = bpi_shm_ring_peek(ring, cons->head);

    UNIT_CHECK_NOT_NULL(slot);
    UNIT_CHECK_EQ(slot->hdr.type, BPI_WIRE_EAGER);
    bpi_shm_ring_consume_span(ring, cons, bpi_shm_ring_span(ring, slot->hdr.frame_len));
}

int main(void)
{
    void *mem = aligned_alloc(64, bpi_shm_ring_bytes(NSLOTS, SLOT));
    bpi_shm_ring_t ring;
    bpi_shm_ring_cons_t cons = {0, 0};
    uint64_t head_cache = 0;
    /* slot 1's seq word, as a byte offset into the payload of a frame starting in slot 0 */
    uint32_t off = SLOT - (uint32_t)BPI_SHM_SLOT_HDR;
    /* the position the head will have when it next reaches slot 1 */
    uint64_t later = NSLOTS + 1;

    UNIT_CHECK_NOT_NULL(mem);
    memset(mem, 0, bpi_shm_ring_bytes(NSLOTS, SLOT));
    bpi_shm_ring_view(&ring, mem, NSLOTS, SLOT);
    ring.clear_spans = 1; /* as the shared queue's consumer (shm_iface.c) */

    /* position 0: a frame over slots 0 and 1 whose payload holds later + 1 where slot 1's
     * seq is, as a sender's data well may (a run of integers, say) */
    produce(&ring, &head_cache, 2 * SLOT - (uint32_t)BPI_SHM_SLOT_HDR, later + 1, off);
    UNIT_CHECK_EQ(bpi_shm_ring_span(&ring, 2 * SLOT - (uint32_t)BPI_SHM_SLOT_HDR), 2);
    consume(&ring, &cons);
    UNIT_CHECK_EQ_U(cons.head, 2);

    /* one-slot frames around the ring, up to position `later` (slot 1 again) */
    while (cons.head < later) {
        produce(&ring, &head_cache, 8, 0, 0);
        consume(&ring, &cons);
    }
    UNIT_CHECK_EQ_U(cons.head, later);
    UNIT_CHECK_EQ_U(atomic_load(&ring.ctl->tail), later);

    /* nothing was committed at `later`: the old payload must not pass for a frame */
    UNIT_CHECK_NULL(bpi_shm_ring_peek(&ring, cons.head));

    /* and the ring goes on: a frame committed there is read */
    produce(&ring, &head_cache, 8, 0, 0);
    consume(&ring, &cons);
    UNIT_CHECK_EQ_U(cons.head, later + 1);
    free(mem);
    printf("shm_ring_stale_span: passed\n");
    return 0;
}
