/*
 * ring_floor.c (bp-ring-floor) - the floor under the shm transport's latency: two processes
 * pinned to two CPUs ping-pong, alternating in short bursts (so that both see the same vCPU
 * placement, which moves every few seconds on these machines):
 *
 *   base  one 8-byte word on one cache line, each side storing the next value (what
 *         `bp-bench base` measures);
 *   ring  our ring code alone (transport/shm/shm_ring.h: slot, commit, peek, consume, flush
 *         on empty), one ring per direction, 128 slots of 256 bytes, an 8-byte payload after
 *         the 32-byte wire header: every line and store of an 8 B message over shm, without
 *         the library around them.
 *
 * Prints one line per round: both half round trips in microseconds and their ratio. What the
 * library adds on top of `ring` is its own instructions (matching, requests, the calls).
 *
 * FLOOR_WORK=N (environment) adds a third burst, `ring+work`: the same ring ping-pong with N
 * turns of a dependent chain of additions (one or two cycles each, nothing else touched)
 * between each frame's arrival and the next send, on both sides: a stand-in for the
 * library's own instructions. If the library's latency is its instructions, ring+work with
 * their cost matches it in both placements; if it is above that when the vCPUs are far
 * apart, something else in the library moves between the cores.
 * Usage: bp-ring-floor [ROUNDS [ROUND_TRIPS] [CPU_A CPU_B]] (default 20 rounds of 50,000
 * on CPUs 0 and 1). A benchmark: run it alone.
 */
#define _GNU_SOURCE
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "core/copy.h"
#include "core/core.h" /* bpi_cpu_relax */
#include "transport/shm/shm_ring.h"

#define FLOOR_SLOTS 128
#define FLOOR_SLOT_SIZE 256

typedef struct floor_shared {
    alignas(BPI_CACHELINE) _Atomic uint64_t ball;
    alignas(BPI_CACHELINE) char rings[2][FLOOR_SLOTS * FLOOR_SLOT_SIZE + sizeof(bpi_shm_ring_ctl_t)];
} floor_shared_t;

typedef struct floor_side {
    int me;                  /* 0 starts each round trip, 1 answers */
    bpi_shm_ring_t tx, rx;   /* tx: the peer's incoming ring */
    uint64_t tail, head_cache, ball;
    bpi_shm_ring_cons_t cons;
} floor_side_t;

static uint64_t floor_now_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* Every wait is bounded: a peer that is gone (or never pinned) ends the program. */
#define FLOOR_TIMEOUT_NS 10000000000ull

static void floor_spin(uint64_t *spins, uint64_t *deadline)
{
    bpi_cpu_relax();
    if (BP_UNLIKELY((++*spins & 0xfffff) == 0)) {
        uint64_t now = floor_now_ns();
        if (*deadline == 0) {
            *deadline = now + FLOOR_TIMEOUT_NS;
        } else if (now > *deadline) {
            fprintf(stderr, "bp-ring-floor: no answer from the other process for 10 s\n");
            _exit(1);
        }
    }
}

static int floor_pin(int cpu)
{
    cpu_set_t set;

    CPU_ZERO(&set);
    CPU_SET(cpu, &set);
    if (sched_setaffinity(0, sizeof(set), &set) != 0) {
        perror("bp-ring-floor: sched_setaffinity");
        return -1;
    }
    return 0;
}

static void floor_base(floor_shared_t *sh, floor_side_t *s, long n)
{
    for (long i = 0; i < n; i++, s->ball += 2) {
        uint64_t mine = s->ball + 1 + (uint64_t)s->me, theirs = s->ball + 2 - (uint64_t)s->me;
        uint64_t spins = 0, deadline = 0;
        if (s->me == 1) {
            while (atomic_load_explicit(&sh->ball, memory_order_acquire) != theirs) {
                floor_spin(&spins, &deadline);
            }
        }
        atomic_store_explicit(&sh->ball, mine, memory_order_release);
        if (s->me == 0) {
            while (atomic_load_explicit(&sh->ball, memory_order_acquire) != theirs) {
                floor_spin(&spins, &deadline);
            }
        }
    }
}

/* As bpi_shm_ep_send's ring path: fill header and payload, commit. */
static void floor_send(floor_side_t *s, uint64_t payload)
{
    bpi_wire_hdr_t hdr = {.type = BPI_WIRE_EAGER, .src = (uint32_t)s->me, .frame_len = 8,
                          .tag = 7, .msg_len = 8};
    bpi_shm_slot_t *slot;

    (void)bpi_shm_ring_has_room(&s->tx, s->tail, &s->head_cache);
    slot = bpi_shm_ring_slot(&s->tx, s->tail);
    slot->hdr = hdr;
    bpi_copy(slot + 1, &payload, sizeof(payload));
    bpi_shm_ring_commit(slot, s->tail);
    s->tail++;
}

/* As shm_ring_poll: wait for the frame, copy its payload, consume, flush on empty. */
static uint64_t floor_recv(floor_side_t *s)
{
    bpi_shm_slot_t *slot;
    uint64_t payload, spins = 0, deadline = 0;

    while ((slot = bpi_shm_ring_peek(&s->rx, s->cons.head)) == NULL) {
        bpi_shm_ring_flush(&s->rx, &s->cons);
        floor_spin(&spins, &deadline);
    }
    bpi_copy(&payload, slot + 1, sizeof(payload)); /* frame_len: 8, always */
    bpi_shm_ring_consume(&s->rx, &s->cons);
    return payload;
}

/* A dependent chain of `work` additions that the compiler cannot fold or drop. */
static uint64_t floor_work(uint64_t x, long work)
{
    for (long i = 0; i < work; i++) {
        x += (uint64_t)i;
        __asm__ volatile("" : "+r"(x));
    }
    return x;
}

static void floor_ring(floor_side_t *s, long n, long work)
{
    uint64_t x = 0;

    for (long i = 0; i < n; i++) {
        if (s->me == 0) {
            floor_send(s, x);
            x = floor_work(floor_recv(s), work);
        } else {
            floor_send(s, floor_work(floor_recv(s), work));
        }
    }
}

int main(int argc, char **argv)
{
    int rounds = argc > 1 ? atoi(argv[1]) : 20;
    long n = argc > 2 ? atol(argv[2]) : 50000;
    int cpu[2] = {argc > 4 ? atoi(argv[3]) : 0, argc > 4 ? atoi(argv[4]) : 1};
    const char *work_env = getenv("FLOOR_WORK");
    long work = work_env != NULL ? atol(work_env) : 0;
    floor_shared_t *sh;
    floor_side_t s;
    pid_t child;

    if (rounds <= 0 || n <= 0 || work < 0) {
        fprintf(stderr, "usage: bp-ring-floor [ROUNDS [ROUND_TRIPS] [CPU_A CPU_B]]\n");
        return 2;
    }
    sh = mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (sh == MAP_FAILED) {
        perror("bp-ring-floor: mmap");
        return 1;
    }
    child = fork();
    if (child < 0) {
        perror("bp-ring-floor: fork");
        return 1;
    }
    memset(&s, 0, sizeof(s));
    s.me = child == 0;
    bpi_shm_ring_view(&s.tx, sh->rings[!s.me], FLOOR_SLOTS, FLOOR_SLOT_SIZE);
    bpi_shm_ring_view(&s.rx, sh->rings[s.me], FLOOR_SLOTS, FLOOR_SLOT_SIZE);
    if (floor_pin(cpu[s.me]) != 0) {
        _exit(1); /* the other side's waits end it within 10 s */
    }
    if (s.me == 0) {
        printf("# bp-ring-floor: half round trips (us), CPUs %d and %d, %ld per burst\n",
               cpu[0], cpu[1], n);
    }
    for (int r = 0; r < rounds; r++) {
        uint64_t t0 = floor_now_ns(), t1, t2, t3;
        floor_base(sh, &s, n);
        t1 = floor_now_ns();
        floor_ring(&s, n, 0);
        t2 = floor_now_ns();
        if (work > 0) {
            floor_ring(&s, n, work);
        }
        t3 = floor_now_ns();
        if (s.me == 0) {
            double base = (double)(t1 - t0) / 1e3 / (double)n / 2;
            double ring = (double)(t2 - t1) / 1e3 / (double)n / 2;
            double rwork = (double)(t3 - t2) / 1e3 / (double)n / 2;
            printf("round %2d: base %.3f ring %.3f (%.2fx)", r, base, ring, ring / base);
            if (work > 0) {
                printf(" ring+work(%ld) %.3f (%.2fx)", work, rwork, rwork / base);
            }
            printf("\n");
            fflush(stdout);
        }
    }
    if (s.me == 1) {
        _exit(0);
    }
    waitpid(child, NULL, 0);
    return 0;
}
