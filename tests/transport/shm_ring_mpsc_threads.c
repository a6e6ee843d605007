/*
 * shm_ring_mpsc_threads.c - the shm ring as a shared receive queue: three producer threads
 * claim positions with bpi_shm_ring_claim_mp and commit, one consumer thread drains, as the
 * real consumer does (head published per batch, flushed when the ring looks empty). Every
 * frame carries (producer id, sequence) in its tag and a payload derived from both; the
 * consumer sees each producer's frames in order, intact, none lost, none twice, and exactly
 * NPROD * NFRAMES in all. Every wait is bounded: after TIME_LIMIT_NS the test fails.
 */
#include <pthread.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>

#include "transport/shm/shm_ring.h"
#include "unit.h"

#define NPROD 3
#define NFRAMES 200000u
#define NSLOTS 64
#define SLOT_SIZE 128
#define TIME_LIMIT_NS (20ull * 1000000000ull)
#define SPINS_BEFORE_YIELD 64

typedef struct mpsc_shared {
    bpi_shm_ring_t ring;
    uint64_t deadline_ns;
    uint64_t received[NPROD]; /* written by the consumer only, read after the join */
    uint64_t claim_full[NPROD]; /* times each producer found the ring full */
} mpsc_shared_t;

typedef struct producer_arg {
    mpsc_shared_t *sh;
    uint32_t id;
} producer_arg_t;

static uint32_t frame_len_of(uint32_t id, uint32_t seq)
{
    return (seq * 3 + id) % (SLOT_SIZE - (uint32_t)BPI_SHM_SLOT_HDR + 1);
}

static unsigned char frame_byte(uint32_t id, uint32_t seq, uint32_t i)
{
    return (unsigned char)(seq * 7 + id * 101 + i);
}

/* Wait politely (two shared cores: a spinning thread may hold the one the other needs),
 * and give up with a failure once the time limit has passed. */
static void mpsc_backoff(const mpsc_shared_t *sh, unsigned *spins, const char *who, uint32_t id,
                         uint64_t at)
{
    if (++*spins % SPINS_BEFORE_YIELD != 0) {
        return;
    }
    sched_yield();
    if (unit_now_ns() > sh->deadline_ns) {
        UNIT_FAIL("gave up after %llu s: %s %u stuck at %llu",
                  (unsigned long long)(TIME_LIMIT_NS / 1000000000ull), who, id,
                  (unsigned long long)at);
    }
}

static void *producer_main(void *varg)
{
    producer_arg_t *arg = varg;
    mpsc_shared_t *sh = arg->sh;
    uint64_t head_cache = 0;
    unsigned spins = 0;

    for (uint32_t seq = 0; seq < NFRAMES; seq++) {
        uint64_t pos;
        bpi_shm_slot_t *slot;
        unsigned char *p;
        uint32_t len = frame_len_of(arg->id, seq);

        while (bpi_shm_ring_claim_mp(&sh->ring, &head_cache, &pos) != 0) {
            sh->claim_full[arg->id]++;
            mpsc_backoff(sh, &spins, "producer", arg->id, seq);
        }
        slot = bpi_shm_ring_slot(&sh->ring, pos);
        memset(&slot->hdr, 0, sizeof(slot->hdr));
        slot->hdr.type = BPI_WIRE_EAGER;
        slot->hdr.src = arg->id;
        slot->hdr.frame_len = len;
        slot->hdr.tag = ((uint64_t)arg->id << 32) | seq;
        slot->hdr.msg_len = len;
        p = (unsigned char *)(slot + 1);
        for (uint32_t i = 0; i < len; i++) {
            p[i] = frame_byte(arg->id, seq, i);
        }
        bpi_shm_ring_commit(slot, pos);
    }
    return NULL;
}

static void *consumer_main(void *varg)
{
    mpsc_shared_t *sh = varg;
    bpi_shm_ring_cons_t cons = {0, 0};
    uint64_t total = 0;
    unsigned spins = 0;

    while (total < (uint64_t)NPROD * NFRAMES) {
        bpi_shm_slot_t *slot = bpi_shm_ring_peek(&sh->ring, cons.head);
        const unsigned char *p;
        uint32_t id, seq, len;

        if (slot == NULL) {
            bpi_shm_ring_flush(&sh->ring, &cons);
            mpsc_backoff(sh, &spins, "consumer", 0, total);
            continue;
        }
        id = (uint32_t)(slot->hdr.tag >> 32);
        seq = (uint32_t)slot->hdr.tag;
        if (id >= NPROD) {
            UNIT_FAIL("position %llu: producer id %u out of range (tag 0x%llx)",
                      (unsigned long long)cons.head, id, (unsigned long long)slot->hdr.tag);
        }
        /* per-producer order; a loss or a duplicate shows here too */
        UNIT_CHECK_EQ_U(seq, sh->received[id]);
        UNIT_CHECK_EQ(slot->hdr.src, id);
        UNIT_CHECK_EQ(slot->hdr.type, BPI_WIRE_EAGER);
        len = frame_len_of(id, seq);
        UNIT_CHECK_EQ(slot->hdr.frame_len, len);
        UNIT_CHECK_EQ_U(slot->hdr.msg_len, len);
        p = (const unsigned char *)(slot + 1);
        for (uint32_t i = 0; i < len; i++) {
            UNIT_CHECK_EQ(p[i], frame_byte(id, seq, i));
        }
        sh->received[id]++;
        total++;
        bpi_shm_ring_consume(&sh->ring, &cons);
    }
    bpi_shm_ring_flush(&sh->ring, &cons);
    /* nothing past the last frame */
    UNIT_CHECK_NULL(bpi_shm_ring_peek(&sh->ring, cons.head));
    UNIT_CHECK_EQ_U(cons.head, (uint64_t)NPROD * NFRAMES);
    return NULL;
}

static void ring_mpsc_threads(void)
{
    uint64_t bytes = bpi_shm_ring_bytes(NSLOTS, SLOT_SIZE);
    void *mem = aligned_alloc(BPI_CACHELINE, bytes);
    mpsc_shared_t sh;
    producer_arg_t args[NPROD];
    pthread_t prod[NPROD], cons;
    uint64_t t0 = unit_now_ns(), full = 0;

    UNIT_CHECK_NOT_NULL(mem);
    memset(mem, 0, bytes);
    memset(&sh, 0, sizeof(sh));
    bpi_shm_ring_view(&sh.ring, mem, NSLOTS, SLOT_SIZE);
    sh.deadline_ns = t0 + TIME_LIMIT_NS;

    UNIT_CHECK_EQ(pthread_create(&cons, NULL, consumer_main, &sh), 0);
    for (uint32_t i = 0; i < NPROD; i++) {
        args[i].sh = &sh;
        args[i].id = i;
        UNIT_CHECK_EQ(pthread_create(&prod[i], NULL, producer_main, &args[i]), 0);
    }
    for (uint32_t i = 0; i < NPROD; i++) {
        UNIT_CHECK_EQ(pthread_join(prod[i], NULL), 0);
    }
    UNIT_CHECK_EQ(pthread_join(cons, NULL), 0);

    /* exact totals */
    for (uint32_t i = 0; i < NPROD; i++) {
        UNIT_CHECK_EQ_U(sh.received[i], NFRAMES);
        full += sh.claim_full[i];
    }
    UNIT_CHECK_EQ_U(atomic_load(&sh.ring.ctl->tail), (uint64_t)NPROD * NFRAMES);
    UNIT_CHECK_EQ_U(atomic_load(&sh.ring.ctl->head_pub), (uint64_t)NPROD * NFRAMES);
    fprintf(stderr, "   %u frames in %.3f s, producers found the ring full %llu times\n",
            NPROD * NFRAMES, (double)(unit_now_ns() - t0) / 1e9, (unsigned long long)full);
    free(mem);
}

int main(void)
{
    UNIT_RUN(ring_mpsc_threads);
    return 0;
}
