/*
 * oversub_floor.c (bp-oversub-floor) - the floor under the oversubscribed ring and barrier
 * (issue 9): the waiting designs themselves, with no library around them. N processes
 * (default 8) share the machine's CPUs (not pinned, as bprun and mpirun --oversubscribe
 * leave them); each has a mailbox, one cache line in a shared mapping. A token goes round the
 * ring (rank r stores into rank r + 1's mailbox) and every process waits for its mailbox by:
 *
 *   yield    poll it, sched_yield between polls (what Open MPI's mpi_yield_when_idle does,
 *            and what bypass's adaptive mode does while its yields last);
 *   futex    sleep at once in FUTEX_WAIT on the mailbox (flagged "asleep" so the sender
 *            wakes only a sleeper), the sender's FUTEX_WAKE brings it back (block mode);
 *   hybrid   4 yields, then sleep as futex does (bypass's adaptive mode once its spin
 *            budget is zero, as it is when CPUs are shared).
 *
 * and the same three for a barrier (every rank adds one to a shared counter, then waits for
 * the count of its episode; the last arrival wakes the sleepers): what any one-host barrier
 * must do, one store per rank and one wait.
 *
 * Prints per round and mode the time per hop (ring) and per barrier in microseconds, and the
 * medians at the end. Rounds alternate the modes, so each compares runs of the same moment.
 * What a library adds on top of the best of these is its own work; what none of these can go
 * under is what the scheduler charges to hand a CPU from one process to another.
 *
 * Usage: bp-oversub-floor [NPROCS [ROUNDS [LAPS]]] (default 8 processes, 5 rounds, 4,000
 * laps or barriers per measurement; every loop bounded). A benchmark: run it alone.
 */
#define _GNU_SOURCE
#include <limits.h>
#include <linux/futex.h>
#include <sched.h>
#include <stdalign.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "probe_util.h"

#define FLOOR_MAXPROCS 64
#define FLOOR_LINE 64
#define FLOOR_YIELDS 4 /* hybrid: as BPI_ADAPT_YIELDS */

enum { MODE_YIELD, MODE_FUTEX, MODE_HYBRID, NMODES };
static const char *const mode_name[NMODES] = {"yield", "futex", "hybrid"};

typedef struct mailbox {
    alignas(FLOOR_LINE) _Atomic uint32_t seq; /* stores: the ring's sender, or the barrier */
    _Atomic uint32_t asleep;                  /* the owner sleeps on seq */
} mailbox_t;

typedef struct floor_shared {
    mailbox_t box[FLOOR_MAXPROCS];
    alignas(FLOOR_LINE) _Atomic uint32_t count; /* barrier arrivals, all episodes */
    alignas(FLOOR_LINE) _Atomic uint32_t go;    /* start line of each measurement */
    alignas(FLOOR_LINE) double result[NMODES][2];
} floor_shared_t;

static floor_shared_t *sh;
static int nprocs, me;

/* Wait until *word reaches want (it only grows; wrapping is compared away). */
static void wait_for(int mode, mailbox_t *b, _Atomic uint32_t *word, uint32_t want)
{
    int yields = 0;

    for (;;) {
        uint32_t cur = atomic_load_explicit(word, memory_order_acquire);
        if ((int32_t)(cur - want) >= 0) {
            return;
        }
        if (mode == MODE_YIELD || (mode == MODE_HYBRID && yields < FLOOR_YIELDS)) {
            yields++;
            sched_yield();
            continue;
        }
        atomic_store(&b->asleep, 1);
        cur = atomic_load(word); /* seq_cst with the store above: no lost wake-up */
        if ((int32_t)(cur - want) < 0) {
            futex_wait(word, cur);
        }
        atomic_store(&b->asleep, 0);
    }
}

static void wake_if_asleep(mailbox_t *b, _Atomic uint32_t *word)
{
    if (atomic_load(&b->asleep)) {
        futex_wake(word);
    }
}

/* One lap of the token; laps counts this process's laps (its mailbox's value after it). */
static void ring_lap(int mode, uint32_t *laps)
{
    mailbox_t *mine = &sh->box[me], *next = &sh->box[(me + 1) % nprocs];

    ++*laps;
    if (me != 0) {
        wait_for(mode, mine, &mine->seq, *laps);
    }
    atomic_fetch_add_explicit(&next->seq, 1, memory_order_release);
    wake_if_asleep(next, &next->seq);
    if (me == 0) {
        wait_for(mode, mine, &mine->seq, *laps);
    }
}

/* Episode e (from 1) is complete when count reaches e * nprocs. Every rank waits on the one
 * counter (one line: what the counter barrier costs), sleeping in mode's way; the last
 * arrival wakes the sleepers. */
static void barrier(int mode, uint32_t episode)
{
    uint32_t want = episode * (uint32_t)nprocs;
    uint32_t got = atomic_fetch_add(&sh->count, 1) + 1;

    if (got == want) {
        for (int r = 0; r < nprocs; r++) {
            if (atomic_load(&sh->box[r].asleep)) {
                futex_wake(&sh->count); /* wakes them all */
                break;
            }
        }
        return;
    }
    wait_for(mode, &sh->box[me], &sh->count, want);
}

/* Every process: one measurement of each benchmark in each mode; rank 0 records the times. */
static void run_round(int laps, uint32_t *episode, uint32_t *ring)
{
    for (int mode = 0; mode < NMODES; mode++) {
        uint64_t t0;

        barrier(MODE_HYBRID, ++*episode);
        t0 = now_ns();
        for (int i = 0; i < laps; i++) {
            ring_lap(mode, ring);
        }
        if (me == 0) {
            sh->result[mode][0] = (double)(now_ns() - t0) / 1e3 / laps / nprocs;
        }
        barrier(MODE_HYBRID, ++*episode);
        t0 = now_ns();
        for (int i = 0; i < laps; i++) {
            barrier(mode, ++*episode);
        }
        if (me == 0) {
            sh->result[mode][1] = (double)(now_ns() - t0) / 1e3 / laps;
        }
    }
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
    int rounds, laps;
    double (*all)[NMODES][2];
    pid_t pids[FLOOR_MAXPROCS];
    uint32_t episode = 0, ring = 0;

    nprocs = 8;
    rounds = 5;
    laps = 4000;
    if (floor_args(argc, argv, "bp-oversub-floor", FLOOR_MAXPROCS, &nprocs, &rounds, &laps) !=
        0) {
        return 2;
    }
    sh = mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    all = calloc((size_t)rounds, sizeof(*all));
    if (sh == MAP_FAILED || all == NULL) {
        perror("bp-oversub-floor");
        return 1;
    }
    memset(sh, 0, sizeof(*sh));
    for (me = 1; me < nprocs; me++) {
        pids[me] = fork();
        if (pids[me] < 0) {
            perror("bp-oversub-floor: fork");
            return 1; /* the children already started wait in their first barrier: killed
                       * with the process group by the caller's timeout */
        }
        if (pids[me] == 0) {
            for (int r = 0; r < rounds; r++) {
                run_round(laps, &episode, &ring);
            }
            _exit(0);
        }
    }
    me = 0;
    printf("# bp-oversub-floor: %d processes on %ld CPUs, %d rounds of %d laps/barriers, us\n",
           nprocs, sysconf(_SC_NPROCESSORS_ONLN), rounds, laps);
    for (int r = 0; r < rounds; r++) {
        run_round(laps, &episode, &ring);
        printf("round %2d:", r);
        for (int m = 0; m < NMODES; m++) {
            all[r][m][0] = sh->result[m][0];
            all[r][m][1] = sh->result[m][1];
            printf("  %s ring %.3f barrier %.3f", mode_name[m], all[r][m][0], all[r][m][1]);
        }
        printf("\n");
        fflush(stdout);
    }
    for (int i = 1; i < nprocs; i++) {
        waitpid(pids[i], NULL, 0);
    }
    printf("median:  ");
    for (int m = 0; m < NMODES; m++) {
        double v[2][1000];
        for (int r = 0; r < rounds; r++) {
            v[0][r] = all[r][m][0];
            v[1][r] = all[r][m][1];
        }
        qsort(v[0], (size_t)rounds, sizeof(double), cmp_double);
        qsort(v[1], (size_t)rounds, sizeof(double), cmp_double);
        printf("  %s ring %.3f barrier %.3f", mode_name[m], v[0][rounds / 2], v[1][rounds / 2]);
    }
    printf("\n");
    free(all);
    return 0;
}
