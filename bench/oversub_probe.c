/*
 * oversub_probe.c - a probe, not a benchmark: the few costs that tune BP_PROGRESS=adaptive
 * (src/core/progress.c), measured in a second on this machine:
 *
 *   - futex sleep/wake: two processes pass a token through a shared futex word, each
 *     sleeping in FUTEX_WAIT until the other wakes it; half a round trip is what a sleeping
 *     receiver loses to its sender's wake-up (the cost that spinning first tries to avoid).
 *     Twice: both processes pinned to one CPU (oversubscribed: the wake is a context switch)
 *     and pinned to two CPUs (a core each: the wake crosses cores, the sleeper's CPU idles);
 *   - sched_yield with nobody else to run (what a yield costs when the core is not shared);
 *   - clock_gettime(CLOCK_MONOTONIC) (what adaptive's spin budget check costs per poll).
 *
 * Run it niced and short: `nice -n 19 build/bin/bp-oversub-probe [ROUNDS]` (default 2000).
 * Prints one line per figure (microseconds or nanoseconds, median of 5 batches).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <linux/futex.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "probe_util.h"

/* The token: even values are the parent's turn, odd the child's. */
static void pass(_Atomic uint32_t *turn, uint32_t mine, int rounds)
{
    for (int i = 0; i < rounds; i++) {
        uint32_t want = (uint32_t)(2 * i) + mine;
        uint32_t cur;
        while ((cur = atomic_load(turn)) != want) {
            futex_wait(turn, cur);
        }
        atomic_store(turn, want + 1);
        futex_wake(turn);
    }
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
    int rounds = argc > 1 ? atoi(argv[1]) : 2000;
    double futex_us[2][5], yield_ns[5], clock_ns[5];
    cpu_set_t allowed;
    int cpus[2] = {-1, -1};
    _Atomic uint32_t *turn;

    if (rounds < 10 || rounds > 1000000) {
        fprintf(stderr, "usage: bp-oversub-probe [ROUNDS: 10..1000000]\n");
        return 2;
    }
    turn = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (turn == MAP_FAILED) {
        perror("mmap");
        return 1;
    }
    if (sched_getaffinity(0, sizeof(allowed), &allowed) != 0) {
        perror("sched_getaffinity");
        return 1;
    }
    for (int c = 0, n = 0; c < CPU_SETSIZE && n < 2; c++) {
        if (CPU_ISSET(c, &allowed)) {
            cpus[n++] = c;
        }
    }
    for (int b = 0; b < 5; b++) {
        uint64_t t0;

        for (int cross = 0; cross < 2; cross++) {
            int child_cpu = cross && cpus[1] >= 0 ? cpus[1] : cpus[0];
            cpu_set_t set;
            pid_t pid;
            int st;

            atomic_store(turn, 0);
            pid = fork();
            if (pid < 0) {
                perror("fork");
                return 1;
            }
            if (pid == 0) {
                CPU_ZERO(&set);
                CPU_SET(child_cpu, &set);
                sched_setaffinity(0, sizeof(set), &set);
                pass(turn, 1, rounds);
                _exit(0);
            }
            CPU_ZERO(&set);
            CPU_SET(cpus[0], &set);
            sched_setaffinity(0, sizeof(set), &set);
            t0 = now_ns();
            pass(turn, 0, rounds);
            futex_us[cross][b] = (double)(now_ns() - t0) / 1e3 / (2.0 * rounds);
            waitpid(pid, &st, 0);
            sched_setaffinity(0, sizeof(allowed), &allowed);
        }

        t0 = now_ns();
        for (int i = 0; i < rounds; i++) {
            sched_yield();
        }
        yield_ns[b] = (double)(now_ns() - t0) / rounds;
        t0 = now_ns();
        for (int i = 0; i < rounds; i++) {
            (void)now_ns();
        }
        clock_ns[b] = (double)(now_ns() - t0) / rounds;
    }
    qsort(futex_us[0], 5, sizeof(double), cmp_double);
    qsort(futex_us[1], 5, sizeof(double), cmp_double);
    qsort(yield_ns, 5, sizeof(double), cmp_double);
    qsort(clock_ns, 5, sizeof(double), cmp_double);
    printf("futex sleep/wake, one CPU (one way):       %.1f us (min %.1f, max %.1f)\n",
           futex_us[0][2], futex_us[0][0], futex_us[0][4]);
    if (cpus[1] >= 0) {
        printf("futex sleep/wake, two CPUs (one way):      %.1f us (min %.1f, max %.1f)\n",
               futex_us[1][2], futex_us[1][0], futex_us[1][4]);
    }
    printf("sched_yield, nothing else to run:          %.0f ns\n", yield_ns[2]);
    printf("clock_gettime(CLOCK_MONOTONIC):            %.0f ns\n", clock_ns[2]);
    return 0;
}
