/*
 * shm_ring_spsc_order.c - one producer, one consumer, one thread: frames come out of the
 * shm ring in the order they went in, intact, over many laps; a slot's sequence word is
 * pos + 1 exactly while it holds position pos; and the ring is full exactly at nslots
 * frames past the published head, with the head published every nslots/4 frames consumed
 * and the rest by a flush.
 */
#include <stdlib.h>
#include <string.h>

#include "transport/shm/shm_ring.h"
#include "unit.h"

typedef struct ring_fixture {
    bpi_shm_ring_t ring;
    void *mem;
    uint64_t tail;       /* single producer: its own tail */
    uint64_t head_cache; /* the producer's cached head */
    bpi_shm_ring_cons_t cons;
} ring_fixture_t;

static void fixture_init(ring_fixture_t *f, uint32_t nslots, uint32_t slot_size)
{
    uint64_t bytes = bpi_shm_ring_bytes(nslots, slot_size);

    memset(f, 0, sizeof(*f));
    f->mem = aligned_alloc(BPI_CACHELINE, bytes);
    UNIT_CHECK_NOT_NULL(f->mem);
    memset(f->mem, 0, bytes); /* as a fresh shm segment */
    bpi_shm_ring_view(&f->ring, f->mem, nslots, slot_size);
}

static void fixture_fini(ring_fixture_t *f)
{
    free(f->mem);
}

/* The payload of the frame numbered n: its length and bytes follow from n. */
static uint32_t frame_len_of(const bpi_shm_ring_t *ring, uint64_t n)
{
    return (uint32_t)(n * 7 % (bpi_shm_ring_max_payload(ring) + 1));
}

static unsigned char frame_byte(uint64_t n, uint32_t i)
{
    return (unsigned char)(n * 13 + i);
}

static void frame_write(bpi_shm_slot_t *slot, const bpi_shm_ring_t *ring, uint64_t n)
{
    unsigned char *p = (unsigned char *)(slot + 1);
    uint32_t len = frame_len_of(ring, n);

    memset(&slot->hdr, 0, sizeof(slot->hdr));
    slot->hdr.type = BPI_WIRE_EAGER;
    slot->hdr.frame_len = len;
    slot->hdr.tag = n;
    slot->hdr.msg_len = len;
    for (uint32_t i = 0; i < len; i++) {
        p[i] = frame_byte(n, i);
    }
}

static void frame_check(const bpi_shm_slot_t *slot, const bpi_shm_ring_t *ring, uint64_t n)
{
    const unsigned char *p = (const unsigned char *)(slot + 1);
    uint32_t len = frame_len_of(ring, n);

    UNIT_CHECK_EQ_U(slot->hdr.tag, n);
    UNIT_CHECK_EQ(slot->hdr.type, BPI_WIRE_EAGER);
    UNIT_CHECK_EQ(slot->hdr.frame_len, len);
    UNIT_CHECK_EQ_U(slot->hdr.msg_len, len);
    for (uint32_t i = 0; i < len; i++) {
        UNIT_CHECK_EQ(p[i], frame_byte(n, i));
    }
}

/* Produce the next frame (numbered by its position): 1 when done, 0 when full. mp: claim
 * with the multi-producer CAS on ctl->tail, else single producer with f->tail. */
static int produce(ring_fixture_t *f, int mp)
{
    uint64_t pos;
    bpi_shm_slot_t *slot;

    if (mp) {
        uint64_t before = atomic_load(&f->ring.ctl->tail);
        if (bpi_shm_ring_claim_mp(&f->ring, &f->head_cache, &pos) != 0) {
            UNIT_CHECK_EQ_U(atomic_load(&f->ring.ctl->tail), before); /* nothing claimed */
            return 0;
        }
        UNIT_CHECK_EQ_U(pos, before);
        UNIT_CHECK_EQ_U(atomic_load(&f->ring.ctl->tail), before + 1);
    } else {
        pos = f->tail;
        if (!bpi_shm_ring_has_room(&f->ring, pos, &f->head_cache)) {
            return 0;
        }
        f->tail++;
    }
    slot = bpi_shm_ring_slot(&f->ring, pos);
    frame_write(slot, &f->ring, pos);
    bpi_shm_ring_commit(slot, pos);
    UNIT_CHECK_EQ_U(atomic_load(&slot->seq), pos + 1);
    return 1;
}

/* Consume the frame at the head, checking it: 1 when done, 0 when there is none. */
static int consume(ring_fixture_t *f)
{
    bpi_shm_slot_t *slot = bpi_shm_ring_peek(&f->ring, f->cons.head);

    if (slot == NULL) {
        return 0;
    }
    frame_check(slot, &f->ring, f->cons.head);
    bpi_shm_ring_consume(&f->ring, &f->cons);
    return 1;
}

static uint64_t head_pub(const ring_fixture_t *f)
{
    return atomic_load(&f->ring.ctl->head_pub);
}

/* The sequence word is the valid mark of one position, never cleared between laps. */
static void ring_seq_word(void)
{
    ring_fixture_t f;
    bpi_shm_slot_t *slot0;

    fixture_init(&f, 8, 64);
    slot0 = bpi_shm_ring_slot(&f.ring, 0);
    UNIT_CHECK_NULL(bpi_shm_ring_peek(&f.ring, 0)); /* fresh (zeroed) ring: empty */

    /* written but not committed: still invisible */
    frame_write(slot0, &f.ring, 0);
    UNIT_CHECK_NULL(bpi_shm_ring_peek(&f.ring, 0));
    bpi_shm_ring_commit(slot0, 0);
    UNIT_CHECK_EQ_U(atomic_load(&slot0->seq), 1);
    UNIT_CHECK_PTR_EQ(bpi_shm_ring_peek(&f.ring, 0), slot0);
    UNIT_CHECK_NULL(bpi_shm_ring_peek(&f.ring, 1));
    /* position 8 shares slot 0, but its frame is not the one of position 0 */
    UNIT_CHECK_PTR_EQ(bpi_shm_ring_slot(&f.ring, 8), slot0);
    UNIT_CHECK_NULL(bpi_shm_ring_peek(&f.ring, 8));

    /* the next lap's commit of that slot: pos + 1 again, and the old position is gone */
    frame_write(slot0, &f.ring, 8);
    bpi_shm_ring_commit(slot0, 8);
    UNIT_CHECK_EQ_U(atomic_load(&slot0->seq), 9);
    UNIT_CHECK_PTR_EQ(bpi_shm_ring_peek(&f.ring, 8), slot0);
    UNIT_CHECK_NULL(bpi_shm_ring_peek(&f.ring, 0));
    UNIT_CHECK_NULL(bpi_shm_ring_peek(&f.ring, 16));

    /* consuming does not touch the slot (no clearing): only the consumer's head moves */
    f.cons.head = 8;
    f.cons.published = 8;
    bpi_shm_ring_consume(&f.ring, &f.cons);
    UNIT_CHECK_EQ_U(f.cons.head, 9);
    UNIT_CHECK_EQ_U(atomic_load(&slot0->seq), 9);
    fixture_fini(&f);
}

/*
 * Many laps of fill and drain with bursts of varying size on both sides, and the consumer
 * flushing its head when it finds the ring empty (as the real one does): every frame comes
 * out once, in order, intact.
 */
static void ring_order_laps(void)
{
    static const uint32_t nslots[] = {4, 8, 64};

    for (int mp = 0; mp <= 1; mp++) {
        for (size_t k = 0; k < sizeof(nslots) / sizeof(nslots[0]); k++) {
            ring_fixture_t f;
            uint64_t total = 300ull * nslots[k]; /* 300 laps */
            uint64_t produced = 0, round = 0;

            fixture_init(&f, nslots[k], k == 1 ? 256 : 128);
            while (f.cons.head < total) {
                uint64_t burst = round % (nslots[k] + 3) + 1;
                uint64_t drain = (round * 5) % (nslots[k] + 2) + 1;
                uint64_t progress = 0;

                for (uint64_t i = 0; i < burst && produced < total; i++) {
                    if (!produce(&f, mp)) {
                        break;
                    }
                    produced++;
                    progress++;
                }
                for (uint64_t i = 0; i < drain; i++) {
                    if (!consume(&f)) {
                        bpi_shm_ring_flush(&f.ring, &f.cons);
                        UNIT_CHECK_EQ_U(head_pub(&f), f.cons.head);
                        UNIT_CHECK_EQ_U(f.cons.head, produced);
                        break;
                    }
                    progress++;
                }
                UNIT_CHECK(progress > 0); /* never stuck */
                round++;
            }
            UNIT_CHECK_EQ_U(produced, total);
            UNIT_CHECK_EQ_U(f.cons.head, total);
            UNIT_CHECK_NULL(bpi_shm_ring_peek(&f.ring, f.cons.head));
            if (mp) {
                UNIT_CHECK_EQ_U(atomic_load(&f.ring.ctl->tail), total);
            }
            fixture_fini(&f);
        }
    }
}

/*
 * With the head published, the ring takes exactly nslots frames, then refuses; consuming
 * makes room only once a batch (nslots/4) is consumed and published, or on flush.
 */
static void ring_full_exactly(void)
{
    static const uint32_t nslots[] = {4, 8, 16, 256};

    for (int mp = 0; mp <= 1; mp++) {
        for (size_t k = 0; k < sizeof(nslots) / sizeof(nslots[0]); k++) {
            uint32_t n = nslots[k];
            uint32_t batch = n / 4 > 0 ? n / 4 : 1;
            ring_fixture_t f;

            fixture_init(&f, n, 64);
            for (uint32_t i = 0; i < n; i++) {
                UNIT_CHECK_EQ(produce(&f, mp), 1);
            }
            UNIT_CHECK_EQ(produce(&f, mp), 0);
            UNIT_CHECK_EQ(produce(&f, mp), 0); /* and again: nothing changed */
            if (mp) {
                uint64_t pos = 12345;
                UNIT_CHECK_EQ(bpi_shm_ring_claim_mp(&f.ring, &f.head_cache, &pos), -1);
                UNIT_CHECK_EQ_U(pos, 12345); /* untouched on failure */
            } else {
                UNIT_CHECK_EQ(bpi_shm_ring_has_room(&f.ring, n, &f.head_cache), 0);
            }

            /* consumed but not yet published: still full */
            for (uint32_t i = 0; i + 1 < batch; i++) {
                UNIT_CHECK_EQ(consume(&f), 1);
                UNIT_CHECK_EQ_U(head_pub(&f), 0);
                UNIT_CHECK_EQ(produce(&f, mp), 0);
            }
            /* the batch's last frame publishes: room for exactly one batch */
            UNIT_CHECK_EQ(consume(&f), 1);
            UNIT_CHECK_EQ_U(head_pub(&f), batch);
            UNIT_CHECK_EQ_U(f.cons.published, batch);
            for (uint32_t i = 0; i < batch; i++) {
                UNIT_CHECK_EQ(produce(&f, mp), 1);
            }
            UNIT_CHECK_EQ(produce(&f, mp), 0);

            /* one more consumed (mid-batch when batch > 1): a flush publishes it */
            UNIT_CHECK_EQ(consume(&f), 1);
            UNIT_CHECK_EQ_U(head_pub(&f), batch == 1 ? batch + 1 : batch);
            bpi_shm_ring_flush(&f.ring, &f.cons);
            UNIT_CHECK_EQ_U(head_pub(&f), batch + 1);
            UNIT_CHECK_EQ_U(f.cons.published, batch + 1);
            UNIT_CHECK_EQ(produce(&f, mp), 1);
            UNIT_CHECK_EQ(produce(&f, mp), 0);

            /* drain all: nslots outstanding again before the next refusal */
            while (consume(&f)) {
            }
            UNIT_CHECK_EQ_U(f.cons.head, n + batch + 1);
            bpi_shm_ring_flush(&f.ring, &f.cons);
            UNIT_CHECK_EQ_U(head_pub(&f), n + batch + 1);
            for (uint32_t i = 0; i < n; i++) {
                UNIT_CHECK_EQ(produce(&f, mp), 1);
            }
            UNIT_CHECK_EQ(produce(&f, mp), 0);
            fixture_fini(&f);
        }
    }
}

/* The producer's cached head is refreshed only when the ring looks full to it. */
static void ring_head_cache_lazy(void)
{
    ring_fixture_t f;
    uint64_t cache = 0;

    fixture_init(&f, 16, 64);
    atomic_store(&f.ring.ctl->head_pub, 4);
    UNIT_CHECK_EQ(bpi_shm_ring_has_room(&f.ring, 15, &cache), 1);
    UNIT_CHECK_EQ_U(cache, 0); /* room by the cached value: no read of head_pub */
    UNIT_CHECK_EQ(bpi_shm_ring_has_room(&f.ring, 16, &cache), 1);
    UNIT_CHECK_EQ_U(cache, 4); /* looked full: refreshed */
    UNIT_CHECK_EQ(bpi_shm_ring_has_room(&f.ring, 19, &cache), 1);
    UNIT_CHECK_EQ(bpi_shm_ring_has_room(&f.ring, 20, &cache), 0);
    UNIT_CHECK_EQ_U(cache, 4);
    fixture_fini(&f);
}

int main(void)
{
    UNIT_RUN(ring_seq_word);
    UNIT_RUN(ring_order_laps);
    UNIT_RUN(ring_full_exactly);
    UNIT_RUN(ring_head_cache_lazy);
    return 0;
}
