/*
 * order_floor.c (bp-order-floor) - the floor under the hand-off's order (issue 9;
 * src/core/coll_shm.c, "Order"): N processes (default 8) bound round robin to two CPUs,
 * as bprun binds ranks, pass a token round the ring (rank r stores r's turn into one shared
 * word, rank r + 1 waits for its own). No library: each waits the way adaptive progress
 * with the CPU hand-off does, in two variants:
 *
 *   hand  the rank of a CPU nearest the token spins for it; the others sched_yield, so the
 *         CPU goes round its ranks in whatever cycle the kernel keeps (EEVDF runs yielders
 *         in the order they yielded: the cycle never changes its order);
 *   park  the same, but a rank the kernel runs after a yield while a CPU-mate nearer the
 *         token is still to run sleeps on a futex instead, named in that mate's slot; the
 *         mate, once it has passed the token on, wakes it, and it comes back right behind.
 *
 * Rounds alternate the variants. Prints per round and variant the time per hop in
 * microseconds and the yields (and parks) per wait, and the medians at the end: with the
 * cycle in the token's order a rank yields once per lap (1.00 per wait); in the reverse
 * order, three times with four ranks a CPU.
 *
 * Usage: bp-order-floor [NPROCS [ROUNDS [LAPS]]] (default 8 processes, 6 rounds, 50,000 laps
 * per measurement; every wait bounded: a process that waits 10 s ends the run). Needs two
 * CPUs in its affinity mask. A benchmark: run it alone.
 */
#define _GNU_SOURCE
#include <sched.h>
#include <stdalign.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "probe_util.h"

#define ORDER_MAXPROCS 32
#define ORDER_TIMEOUT_NS 10000000000ull

enum { VAR_HAND, VAR_PARK, NVARS };
static const char *const var_name[NVARS] = {"hand", "park"};

typedef struct order_slot {
    alignas(64) _Atomic uint32_t futex; /* a parked process sleeps on it */
    _Atomic uint32_t parked;             /* 1 + the process parked behind this one, or 0 */
    uint64_t yields, parks, waits;       /* this process's counts in the measurement */
} order_slot_t;

typedef struct order_shared {
    alignas(64) _Atomic uint64_t tok; /* turns taken so far: process tok % n has the token */
    order_slot_t slot[ORDER_MAXPROCS];
    alignas(64) _Atomic uint32_t ready; /* start line of each measurement */
    double hop_us[NVARS];
} order_shared_t;

static order_shared_t *sh;
static int nprocs, me, cpu_of[2];

/* Sleep while *word == val, at most 100 ms: a wait that is never woken still reaches the
 * 10 s deadline of wait_turn. */
static void park_wait(_Atomic uint32_t *word, uint32_t val)
{
    struct timespec ts = {0, 100000000};

    syscall(SYS_futex, word, FUTEX_WAIT, val, &ts, NULL, 0);
}

/* Wake process r, parked behind us. */
static void wake_parked(int r)
{
    order_slot_t *s = &sh->slot[r];

    atomic_fetch_add(&s->futex, 1);
    futex_wake(&s->futex);
}

/* Turns until process r has the token, from turn t. */
static int dist(int r, uint64_t t)
{
    return (int)(((uint64_t)r + (uint64_t)nprocs - t % (uint64_t)nprocs) % (uint64_t)nprocs);
}

/* Wait for turn `want` (ours); 1 when the run must end (nothing moved for 10 s). */
static int wait_turn(int var, uint64_t want)
{
    order_slot_t *mine = &sh->slot[me];
    uint64_t deadline = 0, polls = 0;
    int yielded = 0;

    mine->waits++;
    for (;;) {
        uint64_t t = atomic_load_explicit(&sh->tok, memory_order_acquire);
        int nearer = -1, dme = dist(me, t);
        if (t == want) {
            return 0;
        }
        if ((++polls & 0xffff) == 0) {
            uint64_t now = now_ns();
            if (deadline == 0) {
                deadline = now + ORDER_TIMEOUT_NS;
            } else if (now > deadline) {
                fprintf(stderr, "bp-order-floor: process %d waited 10 s for its turn\n", me);
                return 1;
            }
        }
        /* the CPU-mate (same parity) right ahead of us: the last before us to get the token */
        for (int r = me % 2; r < nprocs; r += 2) {
            if (r != me && dist(r, t) < dme && (nearer < 0 || dist(r, t) > dist(nearer, t))) {
                nearer = r;
            }
        }
        if (nearer < 0) {
            __builtin_ia32_pause(); /* nearest on this CPU: spin for the token */
            continue;
        }
        if (var == VAR_PARK && yielded) {
            /* the kernel ran us before `nearer`: park behind it until it passes the token on */
            uint32_t val = atomic_load(&mine->futex);
            atomic_store(&sh->slot[nearer].parked, (uint32_t)me + 1);
            if (atomic_load(&sh->tok) == t) { /* seq_cst with the store above */
                mine->parks++;
                park_wait(&mine->futex, val);
            }
            continue;
        }
        mine->yields++;
        yielded = 1;
        sched_yield();
    }
}

/* One measurement of `laps` laps in variant var; process 0 records the time per hop. */
static int measure(int var, int laps, uint32_t round)
{
    uint64_t t0 = 0, base;

    /* start line: every process here, the token at a lap boundary */
    atomic_fetch_add(&sh->ready, 1);
    for (uint64_t spins = 0; atomic_load(&sh->ready) < round * (uint32_t)nprocs; spins++) {
        if (spins > 100000000ull) {
            fprintf(stderr, "bp-order-floor: process %d: the others never came\n", me);
            return 1;
        }
        sched_yield();
    }
    base = (uint64_t)(round - 1) * (uint64_t)laps * (uint64_t)nprocs;
    if (me == 0) {
        t0 = now_ns();
    }
    for (int lap = 0; lap < laps; lap++) {
        uint64_t want = base + (uint64_t)lap * (uint64_t)nprocs + (uint64_t)me;
        uint32_t behind;
        if ((want != base || me != 0) && wait_turn(var, want) != 0) {
            return 1;
        }
        /* seq_cst, then the exchange: a mate that parked behind us either sees the token
         * move or is seen here and woken */
        atomic_store(&sh->tok, want + 1);
        behind = atomic_exchange(&sh->slot[me].parked, 0);
        if (behind != 0) {
            wake_parked((int)behind - 1);
        }
    }
    if (me == 0) {
        if (wait_turn(var, base + (uint64_t)laps * (uint64_t)nprocs) != 0) {
            return 1;
        }
        sh->hop_us[var] = (double)(now_ns() - t0) / 1e3 / laps / nprocs;
    }
    return 0;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static int pin(int cpu)
{
    cpu_set_t set;

    CPU_ZERO(&set);
    CPU_SET(cpu, &set);
    return sched_setaffinity(0, sizeof(set), &set);
}

int main(int argc, char **argv)
{
    int rounds, laps, ncpu = 0, status = 0;
    double (*hop)[NVARS], (*ypw)[NVARS];
    pid_t pids[ORDER_MAXPROCS];
    cpu_set_t set;

    nprocs = 8;
    rounds = 6;
    laps = 50000;
    if (floor_args(argc, argv, "bp-order-floor", ORDER_MAXPROCS, &nprocs, &rounds, &laps) != 0) {
        return 2;
    }
    if (sched_getaffinity(0, sizeof(set), &set) != 0) {
        perror("bp-order-floor: sched_getaffinity");
        return 1;
    }
    for (int c = 0; c < CPU_SETSIZE && ncpu < 2; c++) {
        if (CPU_ISSET(c, &set)) {
            cpu_of[ncpu++] = c;
        }
    }
    if (ncpu < 2) {
        fprintf(stderr, "bp-order-floor: needs two CPUs in its affinity mask\n");
        return 2;
    }
    sh = mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    hop = calloc((size_t)rounds, sizeof(*hop));
    ypw = calloc((size_t)rounds, sizeof(*ypw));
    if (sh == MAP_FAILED || hop == NULL || ypw == NULL) {
        perror("bp-order-floor");
        return 1;
    }
    memset(sh, 0, sizeof(*sh));
    printf("# bp-order-floor: %d processes on CPUs %d and %d (round robin), %d rounds of %d "
           "laps; us per hop, yields (parks) per wait\n",
           nprocs, cpu_of[0], cpu_of[1], rounds, laps);
    fflush(stdout);
    for (me = nprocs - 1; me >= 0; me--) {
        if (me > 0 && (pids[me] = fork()) < 0) {
            perror("bp-order-floor: fork");
            return 1; /* the children already started wait 10 s at most, then end */
        }
        if (me == 0 || pids[me] == 0) {
            break;
        }
    }
    if (pin(cpu_of[me % 2]) != 0) {
        perror("bp-order-floor: sched_setaffinity");
        return 1;
    }
    for (int r = 0; r < rounds; r++) {
        for (int k = 0; k < NVARS; k++) {
            int var = (r + k) % 2 == 0 ? VAR_HAND : VAR_PARK; /* alternate the order too */
            uint32_t m = (uint32_t)(r * NVARS + k + 1);
            if (measure(var, laps, m) != 0) {
                if (me != 0) {
                    _exit(1);
                }
                status = 1;
                goto out;
            }
            /* every count is in: each process counted its waits before it passed the token
             * on, and process 0 has seen the last pass. Reset before the next start line,
             * which process 0 has yet to reach. */
            if (me == 0) {
                uint64_t y = 0, p = 0, w = 0;
                for (int q = 0; q < nprocs; q++) {
                    y += sh->slot[q].yields;
                    p += sh->slot[q].parks;
                    w += sh->slot[q].waits;
                    sh->slot[q].yields = sh->slot[q].parks = sh->slot[q].waits = 0;
                }
                hop[r][var] = sh->hop_us[var];
                ypw[r][var] = (double)y / (double)w;
                printf("round %2d %s: %.3f us per hop, %.2f yields (%.3f parks) per wait\n", r,
                       var_name[var], hop[r][var], ypw[r][var], (double)p / (double)w);
                fflush(stdout);
            }
        }
    }
    if (me != 0) {
        _exit(0);
    }
    for (int k = 0; k < NVARS; k++) {
        double h[1000], y[1000];
        for (int r = 0; r < rounds; r++) {
            h[r] = hop[r][k];
            y[r] = ypw[r][k];
        }
        qsort(h, (size_t)rounds, sizeof(double), cmp_double);
        qsort(y, (size_t)rounds, sizeof(double), cmp_double);
        printf("median %s: %.3f us per hop, %.2f yields per wait\n", var_name[k],
               h[rounds / 2], y[rounds / 2]);
    }
out:
    for (int q = 1; q < nprocs; q++) {
        int st;
        if (waitpid(pids[q], &st, 0) < 0 || !WIFEXITED(st) || WEXITSTATUS(st) != 0) {
            status = 1;
        }
    }
    return status;
}
