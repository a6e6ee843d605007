/*
 * shm_ring_layout.c - the static layout of the shm ring (src/transport/shm/shm_ring.h): a
 * 40-byte slot header (sequence word, then the 32-byte wire header), producer and consumer
 * control words on cache lines of their own, and a view that places the slots right after
 * the control block.
 */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "transport/shm/shm_ring.h"
#include "unit.h"

static void ring_slot_header(void)
{
    UNIT_CHECK_EQ(sizeof(bpi_wire_hdr_t), 32);
    UNIT_CHECK_EQ(sizeof(bpi_shm_slot_t), 40);
    UNIT_CHECK_EQ(BPI_SHM_SLOT_HDR, 40);
    UNIT_CHECK_EQ(offsetof(bpi_shm_slot_t, seq), 0);
    UNIT_CHECK_EQ(sizeof(((bpi_shm_slot_t *)NULL)->seq), 8);
    UNIT_CHECK_EQ(offsetof(bpi_shm_slot_t, hdr), 8);
    /* the header's tag and length, and the first 24 payload bytes, share the first line */
    UNIT_CHECK_EQ(offsetof(bpi_shm_slot_t, hdr) + offsetof(bpi_wire_hdr_t, msg_len) + 8, 40);
    UNIT_CHECK(BPI_SHM_SLOT_HDR + 24 == BPI_CACHELINE);
}

static void ring_control_lines(void)
{
    size_t tail = offsetof(bpi_shm_ring_ctl_t, tail);
    size_t head = offsetof(bpi_shm_ring_ctl_t, head_pub);

    UNIT_CHECK_EQ(BPI_CACHELINE, 64);
    UNIT_CHECK_EQ(sizeof(bpi_shm_ring_ctl_t), 2 * BPI_CACHELINE);
    UNIT_CHECK_EQ(_Alignof(bpi_shm_ring_ctl_t), BPI_CACHELINE);
    UNIT_CHECK_EQ(tail, 0);
    UNIT_CHECK_EQ(head, 64);
    UNIT_CHECK_EQ(tail % BPI_CACHELINE, 0);
    UNIT_CHECK_EQ(head % BPI_CACHELINE, 0);
    UNIT_CHECK(tail / BPI_CACHELINE != head / BPI_CACHELINE);
    UNIT_CHECK_EQ(sizeof(((bpi_shm_ring_ctl_t *)NULL)->tail), 8);
    UNIT_CHECK_EQ(sizeof(((bpi_shm_ring_ctl_t *)NULL)->head_pub), 8);
}

static void ring_view(void)
{
    static const uint32_t nslots[] = {4, 8, 16, 256, 65536};
    static const uint32_t batch_mask[] = {0, 1, 3, 63, 16383};

    UNIT_CHECK_EQ_U(bpi_shm_ring_bytes(8, 256), 128 + 8 * 256);
    UNIT_CHECK_EQ_U(bpi_shm_ring_bytes(65536, 65536), 128 + (1ull << 32));

    for (size_t k = 0; k < sizeof(nslots) / sizeof(nslots[0]); k++) {
        uint32_t slot_size = k % 2 == 0 ? 256 : 128;
        uint64_t bytes = bpi_shm_ring_bytes(nslots[k], slot_size);
        char *mem = aligned_alloc(BPI_CACHELINE, bytes);
        bpi_shm_ring_t ring;

        UNIT_CHECK_NOT_NULL(mem);
        memset(&ring, 0, sizeof(ring));
        bpi_shm_ring_view(&ring, mem, nslots[k], slot_size);
        UNIT_CHECK_PTR_EQ(ring.ctl, mem);
        UNIT_CHECK_PTR_EQ(ring.slots, mem + 128);
        UNIT_CHECK_EQ_U(ring.mask, nslots[k] - 1);
        UNIT_CHECK_EQ_U(ring.batch_mask, batch_mask[k]);
        UNIT_CHECK_EQ(ring.slot_size, slot_size);
        UNIT_CHECK_EQ(ring.nslots, nslots[k]);
        UNIT_CHECK_EQ(bpi_shm_ring_max_payload(&ring), slot_size - 40);

        /* positions map to slots modulo nslots; every slot starts a cache line; the last
         * ends at the ring's end */
        UNIT_CHECK_PTR_EQ(bpi_shm_ring_slot(&ring, 0), mem + 128);
        UNIT_CHECK_PTR_EQ(bpi_shm_ring_slot(&ring, 1), mem + 128 + slot_size);
        UNIT_CHECK_PTR_EQ(bpi_shm_ring_slot(&ring, nslots[k]), mem + 128);
        UNIT_CHECK_PTR_EQ(bpi_shm_ring_slot(&ring, 3ull * nslots[k] + 2),
                          mem + 128 + 2 * slot_size);
        UNIT_CHECK_PTR_EQ((char *)bpi_shm_ring_slot(&ring, nslots[k] - 1) + slot_size,
                          mem + bytes);
        for (uint64_t pos = 0; pos < 8; pos++) {
            UNIT_CHECK_EQ((uintptr_t)bpi_shm_ring_slot(&ring, pos) % BPI_CACHELINE, 0);
        }
        free(mem);
    }
}

int main(void)
{
    UNIT_RUN(ring_slot_header);
    UNIT_RUN(ring_control_lines);
    UNIT_RUN(ring_view);
    return 0;
}
