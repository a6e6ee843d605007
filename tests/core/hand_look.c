/*
 * hand_look.c - the hand-off board's look (bpi_hand_look, src/core/coll_shm.c) on boards
 * built in plain memory: what a waiting rank does with its CPU (BPI_HAND_BUSY, _YIELD,
 * _SPIN) and which CPU-mate it would park behind, first in a ring of 8 ranks on 2 CPUs
 * whose answers are known, then on random boards, where the two cheaper looks must agree
 * with the full one: LOOK_QUICK may stop at a CPU-mate on our own chain (answering YIELD
 * where the full look may say BUSY, never SPIN), LOOK_MATES reads only the CPU-mates'
 * marks (the same BUSY, never YIELD, no mate to park behind). And bpi_hand_lone: would our
 * CPU be left with no awake rank of the job, were we to sleep?
 */
#include <stdlib.h>
#include <string.h>

#include "core/core.h"
#include "unit.h"

#define NMAX 16

typedef struct board {
    _Atomic int32_t cpu[NMAX];
    bpi_hcoll_hand_t hand[NMAX];
    bpi_hand_board_t b;
} board_t;

static void board_init(board_t *bd, int n, int me)
{
    memset(bd, 0, sizeof(*bd));
    for (int r = 0; r < NMAX; r++) {
        atomic_store(&bd->cpu[r], -1);
    }
    bd->b.cpu = bd->cpu;
    bd->b.hand = bd->hand;
    bd->b.n = n;
    bd->b.me = me;
}

/* The ring: rank r on CPU r % 2 waits for rank r - 1; the token is at rank `token` (work) */
static void board_ring(board_t *bd, int me, int token)
{
    board_init(bd, 8, me);
    for (int r = 0; r < 8; r++) {
        atomic_store(&bd->cpu[r], r % 2);
        atomic_store(&bd->hand[r].wait, (r + 7) % 8 + 1);
    }
    atomic_store(&bd->hand[token].need, 1);
}

static int look(board_t *bd, int peer, uint32_t sync, int how, int *mate1, int *mated)
{
    bpi_idle_t idle = {0};
    int cpu = atomic_load(&bd->cpu[bd->b.me]);
    int got;

    idle.peer1 = peer + 1;
    idle.sync = sync;
    idle.cpu1 = cpu + 1;
    idle.mate1 = 12345; /* the look must set both */
    idle.mated = 12345;
    got = bpi_hand_look(&bd->b, &idle, how);
    *mate1 = idle.mate1;
    *mated = idle.mated;
    return got;
}

/* One board, the three looks: each answer and mate as expected */
static void expect(board_t *bd, int peer, uint32_t sync, int all, int quick, int mates,
                   int mate1)
{
    int m1, md;

    UNIT_CHECK_EQ(look(bd, peer, sync, BPI_HAND_LOOK_ALL, &m1, &md), all);
    UNIT_CHECK_EQ(m1, mate1);
    UNIT_CHECK_EQ(look(bd, peer, sync, BPI_HAND_LOOK_QUICK, &m1, &md), quick);
    UNIT_CHECK_EQ(m1, mate1);
    UNIT_CHECK_EQ(look(bd, peer, sync, BPI_HAND_LOOK_MATES, &m1, &md), mates);
    UNIT_CHECK_EQ(m1, 0);
}

static void test_ring(void)
{
    board_t bd;

    /* Rank 5 (CPU 1) waits for 4 (CPU 0), which waits for 3 (CPU 1): a CPU-mate nearer the
     * token (at 2): yield, and park behind 3. Its mates have no work: MATES says spin. */
    board_ring(&bd, 5, 2);
    expect(&bd, 4, 0, BPI_HAND_YIELD, BPI_HAND_YIELD, BPI_HAND_SPIN, 3 + 1);

    /* Rank 3 waits for 2, which holds the token: nobody on CPU 1 is nearer, spin */
    board_ring(&bd, 3, 2);
    expect(&bd, 2, 0, BPI_HAND_SPIN, BPI_HAND_SPIN, BPI_HAND_SPIN, 0);

    /* The token is at CPU-mate 1, three hops along rank 5's chain (4, 3, 2, 1): the full
     * look and MATES find that mate busy; QUICK stops at 3, the first mate on the chain
     * (it yields either way), which is also the one to park behind */
    board_ring(&bd, 5, 1);
    expect(&bd, 4, 0, BPI_HAND_BUSY, BPI_HAND_YIELD, BPI_HAND_BUSY, 3 + 1);

    /* The token's holder is on our own chain and on our CPU: busy, park behind it */
    board_ring(&bd, 5, 3);
    expect(&bd, 4, 0, BPI_HAND_BUSY, BPI_HAND_BUSY, BPI_HAND_BUSY, 3 + 1);

    /* Our sender runs on our CPU: it needs the CPU, whatever else the board says */
    board_ring(&bd, 5, 2);
    atomic_store(&bd.cpu[4], 1);
    expect(&bd, 4, 0, BPI_HAND_BUSY, BPI_HAND_BUSY, BPI_HAND_BUSY, 0);

    /* Our CPU unknown (cpu1 == 0): busy */
    board_ring(&bd, 5, 2);
    atomic_store(&bd.cpu[5], -1);
    expect(&bd, 4, 0, BPI_HAND_BUSY, BPI_HAND_BUSY, BPI_HAND_BUSY, 0);

    /* A mate nearer the token off our chain: rank 7 (CPU 1) waits for 2, which has the
     * token; we (5) are two hops from it. The full look yields to 7, QUICK does not look. */
    board_ring(&bd, 5, 2);
    atomic_store(&bd.hand[7].wait, 2 + 1);
    atomic_store(&bd.cpu[3], 0); /* no mate on our chain */
    expect(&bd, 4, 0, BPI_HAND_YIELD, BPI_HAND_YIELD, BPI_HAND_SPIN, 0);
    /* ... and as near as we are (7 waits for 3, which waits for 2): it gets the CPU too,
     * so that its switch overlaps the hops before */
    atomic_store(&bd.hand[7].wait, 3 + 1);
    expect(&bd, 4, 0, BPI_HAND_YIELD, BPI_HAND_YIELD, BPI_HAND_SPIN, 0);
    /* ... one hop farther (7 waits for 5's chain at 4) does not */
    atomic_store(&bd.hand[7].wait, 4 + 1);
    expect(&bd, 4, 0, BPI_HAND_SPIN, BPI_HAND_SPIN, BPI_HAND_SPIN, 0);
}

static void test_sync(void)
{
    board_t bd;

    /* A barrier (sync 10): every CPU-mate has arrived, nobody has work: spin */
    board_ring(&bd, 5, 0);
    atomic_store(&bd.hand[0].need, 0);
    for (int r = 0; r < 8; r++) {
        atomic_store(&bd.hand[r].sync, 10);
        atomic_store(&bd.hand[r].wait, 0);
    }
    expect(&bd, -1, 10, BPI_HAND_SPIN, BPI_HAND_SPIN, BPI_HAND_SPIN, 0);
    /* a CPU-mate still to arrive (its last sync 9) needs the CPU; one ahead (11) does not */
    atomic_store(&bd.hand[7].sync, 9);
    expect(&bd, -1, 10, BPI_HAND_BUSY, BPI_HAND_BUSY, BPI_HAND_BUSY, 0);
    atomic_store(&bd.hand[7].sync, 11);
    expect(&bd, -1, 10, BPI_HAND_SPIN, BPI_HAND_SPIN, BPI_HAND_SPIN, 0);
    /* syncs wrap: with ours at UINT32_MAX, a mate at 0 has arrived, one at MAX - 1 not */
    board_ring(&bd, 5, 0);
    for (int r = 0; r < 8; r++) {
        atomic_store(&bd.hand[r].sync, UINT32_MAX);
    }
    atomic_store(&bd.hand[1].sync, 0);
    expect(&bd, -1, UINT32_MAX, BPI_HAND_SPIN, BPI_HAND_SPIN, BPI_HAND_SPIN, 0);
    atomic_store(&bd.hand[3].sync, UINT32_MAX - 1);
    expect(&bd, -1, UINT32_MAX, BPI_HAND_BUSY, BPI_HAND_BUSY, BPI_HAND_BUSY, 0);
}

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

static uint32_t rnd(uint32_t n)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return (uint32_t)(rng_state % n);
}

/* Random boards: up to 16 ranks on 3 CPUs (some not attached), chains that end, loop or
 * point outside the job, syncs around ours */
static void test_random(void)
{
    board_t bd;
    int counts[3] = {0, 0, 0};

    for (int i = 0; i < 200000; i++) {
        int n = 2 + (int)rnd(NMAX - 1), me = (int)rnd((uint32_t)n), peer = -1;
        uint32_t sync = 0;
        int all, quick, mates, m_all, m_quick, m_mates, d_all, d_quick, d_mates;

        board_init(&bd, n, me);
        for (int r = 0; r < n; r++) {
            atomic_store(&bd.cpu[r], (int32_t)rnd(4) - 1);
            atomic_store(&bd.hand[r].need, rnd(5) == 0);
            atomic_store(&bd.hand[r].wait, (int32_t)rnd((uint32_t)n + 2));
            atomic_store(&bd.hand[r].sync, 100 + rnd(3) - 1);
        }
        if (rnd(3) == 0) {
            sync = 100;
        } else if (rnd(8) != 0) {
            peer = (int)rnd((uint32_t)n - 1);
            peer += peer >= me;
        }
        all = look(&bd, peer, sync, BPI_HAND_LOOK_ALL, &m_all, &d_all);
        quick = look(&bd, peer, sync, BPI_HAND_LOOK_QUICK, &m_quick, &d_quick);
        mates = look(&bd, peer, sync, BPI_HAND_LOOK_MATES, &m_mates, &d_mates);
        counts[all]++;

        /* the same mate to park behind, and the same "a CPU-mate is there" */
        UNIT_CHECK_EQ(m_quick, m_all);
        UNIT_CHECK_EQ(m_mates, 0);
        UNIT_CHECK_EQ(d_quick, d_all);
        UNIT_CHECK_EQ(d_mates, d_all);
        if (m_all != 0) {
            /* a rank of our CPU other than us, on our chain */
            UNIT_CHECK(m_all - 1 != me);
            UNIT_CHECK_EQ(atomic_load(&bd.cpu[m_all - 1]), atomic_load(&bd.cpu[me]));
            UNIT_CHECK(all != BPI_HAND_SPIN);
            UNIT_CHECK_EQ(d_all, 1);
        }
        /* QUICK: the full answer, or YIELD at a mate on our chain where the full look
         * goes on to find a busy one */
        if (quick != all) {
            UNIT_CHECK_EQ(quick, BPI_HAND_YIELD);
            UNIT_CHECK_EQ(all, BPI_HAND_BUSY);
            UNIT_CHECK(m_all != 0);
        }
        /* MATES: the same BUSY; otherwise spin */
        UNIT_CHECK_EQ(mates == BPI_HAND_BUSY, all == BPI_HAND_BUSY);
        UNIT_CHECK(mates != BPI_HAND_YIELD);
    }
    /* the boards reached every answer */
    for (int k = 0; k < 3; k++) {
        UNIT_CHECK(counts[k] > 1000);
    }
}

/* Lone: every CPU-mate asleep, or none at all; ranks elsewhere, unattached ones and our own
 * flag do not count */
static void test_lone(void)
{
    board_t bd;

    board_ring(&bd, 5, 2); /* 5 on CPU 1, beside 1, 3 and 7 */
    UNIT_CHECK_EQ(bpi_hand_lone(&bd.b, 1), 0);
    atomic_store(&bd.hand[1].asleep, 1);
    atomic_store(&bd.hand[3].asleep, 1);
    UNIT_CHECK_EQ(bpi_hand_lone(&bd.b, 1), 0); /* 7 is awake */
    atomic_store(&bd.hand[7].asleep, 1);
    UNIT_CHECK_EQ(bpi_hand_lone(&bd.b, 1), 1);
    atomic_store(&bd.hand[5].asleep, 0);
    atomic_store(&bd.hand[0].asleep, 0); /* CPU 0's ranks are awake: not ours */
    UNIT_CHECK_EQ(bpi_hand_lone(&bd.b, 1), 1);
    atomic_store(&bd.cpu[3], -1); /* 3 unattached, and awake: not a mate */
    atomic_store(&bd.hand[3].asleep, 0);
    UNIT_CHECK_EQ(bpi_hand_lone(&bd.b, 1), 1);
    atomic_store(&bd.cpu[2], 1); /* 2 moved to our CPU, awake */
    UNIT_CHECK_EQ(bpi_hand_lone(&bd.b, 1), 0);

    /* alone on our CPU */
    board_init(&bd, 3, 0);
    atomic_store(&bd.cpu[0], 0);
    atomic_store(&bd.cpu[1], 1);
    atomic_store(&bd.cpu[2], 1);
    UNIT_CHECK_EQ(bpi_hand_lone(&bd.b, 0), 1);
    UNIT_CHECK_EQ(bpi_hand_lone(&bd.b, 1), 0);
}

int main(void)
{
    test_ring();
    test_sync();
    test_random();
    test_lone();
    return 0;
}
