/*
 * shm_ring_span: frames longer than a slot span consecutive slots, never wrap (a pad frame
 * fills the ring's end first), and come out in order with their bytes intact; the
 * head is published when it crosses a batch boundary even when a span jumps over it.
 */
#include <stdlib.h>

#include "transport/shm/shm_ring.h"
#include "unit.h"

#define NSLOTS 16
#define SLOT 128
#define PAD_MARK 0xffff

static unsigned char pattern(uint64_t seq, uint32_t i)
{
    return (unsigned char)(seq * 13 + i * 7);
}

/* Producer side, as shm_ep.c does it on the shared queue. */
static int produce(bpi_shm_ring_t *ring, uint64_t *head_cache, uint64_t seq, uint32_t len)
{
    uint32_t span = bpi_shm_ring_span(ring, len);
    uint32_t pad;
    uint64_t pos;
    bpi_shm_slot_t *slot;
    unsigned char *data;

    if (bpi_shm_ring_claim_span_mp(ring, head_cache, span, &pos, &pad) != 0) {
        return -1;
    }
    if (pad > 0) {
        slot = bpi_shm_ring_slot(ring, pos);
        memset(&slot->hdr, 0, sizeof(slot->hdr));
        slot->hdr.tl_op = PAD_MARK;
        slot->hdr.frame_len = pad * SLOT - (uint32_t)BPI_SHM_SLOT_HDR;
        bpi_shm_ring_commit(slot, pos);
        pos += pad;
    }
    UNIT_CHECK((pos & ring->mask) + span <= NSLOTS); /* never wraps */
    slot = bpi_shm_ring_slot(ring, pos);
    memset(&slot->hdr, 0, sizeof(slot->hdr));
    slot->hdr.tag = seq;
    slot->hdr.frame_len = len;
    data = (unsigned char *)(slot + 1);
    for (uint32_t i = 0; i < len; i++) {
        data[i] = pattern(seq, i);
    }
    bpi_shm_ring_commit(slot, pos);
    return 0;
}

int main(void)
{
    void *mem = aligned_alloc(64, bpi_shm_ring_bytes(NSLOTS, SLOT));
    bpi_shm_ring_t ring;
    bpi_shm_ring_cons_t cons = {0, 0};
    uint64_t head_cache = 0, sent = 0, got = 0, pads = 0;
    uint32_t max = 0;

    UNIT_CHECK_NOT_NULL(mem);
    memset(mem, 0, bpi_shm_ring_bytes(NSLOTS, SLOT));
    bpi_shm_ring_view(&ring, mem, NSLOTS, SLOT);

    /* span arithmetic */
    UNIT_CHECK_EQ(bpi_shm_ring_span(&ring, 0), 1);
    UNIT_CHECK_EQ(bpi_shm_ring_span(&ring, SLOT - 40), 1);
    UNIT_CHECK_EQ(bpi_shm_ring_span(&ring, SLOT - 39), 2);
    UNIT_CHECK_EQ(bpi_shm_ring_span(&ring, 2 * SLOT - 40), 2);
    UNIT_CHECK_EQ(bpi_shm_ring_max_span(&ring), NSLOTS / 4);
    max = bpi_shm_ring_max_frame(&ring);
    UNIT_CHECK_EQ(max, NSLOTS / 4 * SLOT - 40);
    UNIT_CHECK_EQ(bpi_shm_ring_pad(&ring, 14, 3), 2);
    UNIT_CHECK_EQ(bpi_shm_ring_pad(&ring, 13, 3), 0);

    /* a stream of frames of every length up to the maximum, many laps */
    for (int round = 0; round < 2000; round++) {
        uint32_t len = (uint32_t)((round * 37) % (max + 1));
        while (produce(&ring, &head_cache, sent, len) != 0) {
            /* full: the consumer drains one frame */
            bpi_shm_slot_t *slot = bpi_shm_ring_peek(&ring, cons.head);
            uint32_t span;
            UNIT_CHECK_NOT_NULL(slot);
            span = bpi_shm_ring_span(&ring, slot->hdr.frame_len);
            if (slot->hdr.tl_op == PAD_MARK) {
                pads++;
            } else {
                const unsigned char *data = (const unsigned char *)(slot + 1);
                uint64_t seq = slot->hdr.tag;
                UNIT_CHECK_EQ_U(seq, got);
                for (uint32_t i = 0; i < slot->hdr.frame_len; i++) {
                    if (data[i] != pattern(seq, i)) {
                        UNIT_FAIL("frame %llu byte %u", (unsigned long long)seq, i);
                    }
                }
                got++;
            }
            bpi_shm_ring_consume_span(&ring, &cons, span);
            /* published at every crossing of a batch boundary */
            UNIT_CHECK((cons.head - cons.published) < NSLOTS / 4);
        }
        sent++;
    }
    /* drain */
    for (;;) {
        bpi_shm_slot_t *slot = bpi_shm_ring_peek(&ring, cons.head);
        if (slot == NULL) {
            break;
        }
        if (slot->hdr.tl_op != PAD_MARK) {
            UNIT_CHECK_EQ_U(slot->hdr.tag, got);
            got++;
        }
        bpi_shm_ring_consume_span(&ring, &cons, bpi_shm_ring_span(&ring, slot->hdr.frame_len));
    }
    UNIT_CHECK_EQ_U(got, sent);
    UNIT_CHECK(pads > 0); /* the lengths chosen do make spans that would wrap */
    UNIT_CHECK_EQ_U(atomic_load(&ring.ctl->tail), cons.head);
    free(mem);
    printf("shm_ring_span: %llu frames, %llu pads\n", (unsigned long long)got,
           (unsigned long long)pads);
    return 0;
}
