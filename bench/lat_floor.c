/*
 * lat_floor.c (bp-lat-floor) - bypass's 8-byte latency against the cache-line ping-pong,
 * measured in alternating bursts inside one pair of ranks, so that both see the same vCPU
 * placement (it moves every few seconds on these machines: two separate programs, even run
 * back to back, often measure two different machines).
 *
 *   base  one 8-byte word on one cache line of a shared mapping, each rank storing the next
 *         value (what `bp-bench base` measures);
 *   lat   bp_send and bp_recv of 8 bytes, as `bp-bench lat` (the ranks' library, its
 *         transport chosen as usual: shm on one host).
 *
 * Run under bprun with two ranks, which pins them to CPUs 0 and 1:
 *   bprun -n 2 build/bin/bp-lat-floor [ROUNDS [ROUND_TRIPS]]   (default 20 rounds of 20,000)
 * Rank 0 prints one line per round (both half round trips in microseconds, and their ratio)
 * and the medians. A benchmark: run it alone.
 */
#define _GNU_SOURCE
#include <bypass.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#define LF_TAG 11
#define LF_TIMEOUT_NS 10000000000ull /* a base wait longer than this: the peer is gone */

typedef struct lf_line {
    _Alignas(64) _Atomic uint64_t ball;
} lf_line_t;

static uint64_t lf_now_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static int lf_fail(const char *what, bp_status_t st)
{
    fprintf(stderr, "bp-lat-floor: %s: %s\n", what, bp_strerror(st));
    return 1;
}

/* Wait for the shared word to reach want; 0, or -1 after LF_TIMEOUT_NS. */
static int lf_wait(lf_line_t *line, uint64_t want)
{
    uint64_t spins = 0, deadline = 0;

    while (atomic_load_explicit(&line->ball, memory_order_acquire) != want) {
        __builtin_ia32_pause();
        if ((++spins & 0xfffff) == 0) {
            uint64_t now = lf_now_ns();
            if (deadline == 0) {
                deadline = now + LF_TIMEOUT_NS;
            } else if (now > deadline) {
                fprintf(stderr, "bp-lat-floor: no answer from the other rank for 10 s\n");
                return -1;
            }
        }
    }
    return 0;
}

/* n round trips on the line; rank 0's half round trip in microseconds (rank 1: 0). */
static double lf_base(lf_line_t *line, int rank, long n, uint64_t *ball)
{
    uint64_t t0 = lf_now_ns();

    for (long i = 0; i < n; i++, *ball += 2) {
        if (rank == 0) {
            atomic_store_explicit(&line->ball, *ball + 1, memory_order_release);
            if (lf_wait(line, *ball + 2) != 0) {
                return -1;
            }
        } else {
            if (lf_wait(line, *ball + 1) != 0) {
                return -1;
            }
            atomic_store_explicit(&line->ball, *ball + 2, memory_order_release);
        }
    }
    return (double)(lf_now_ns() - t0) / 1e3 / (2.0 * (double)n);
}

static double lf_lat(bp_context_t *ctx, int rank, long n)
{
    uint64_t word = 0;
    uint64_t t0 = lf_now_ns();

    for (long i = 0; i < n; i++) {
        bp_status_t st;
        if (rank == 0) {
            st = bp_send(ctx, &word, sizeof(word), 1, LF_TAG);
            if (st == BP_OK) {
                st = bp_recv(ctx, &word, sizeof(word), 1, LF_TAG, 0, NULL);
            }
        } else {
            st = bp_recv(ctx, &word, sizeof(word), 0, LF_TAG, 0, NULL);
            if (st == BP_OK) {
                st = bp_send(ctx, &word, sizeof(word), 0, LF_TAG);
            }
        }
        if (st != BP_OK) {
            lf_fail("ping-pong", st);
            return -1;
        }
    }
    return (double)(lf_now_ns() - t0) / 1e3 / (2.0 * (double)n);
}

static int lf_cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;

    return (x > y) - (x < y);
}

static double lf_median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof(*v), lf_cmp);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* The shared line: rank 0 creates a POSIX shm object and tells rank 1 its name; rank 0
 * removes the name once rank 1 has mapped it (nothing is left if either is killed later). */
static lf_line_t *lf_map(bp_context_t *ctx, int rank)
{
    char name[64] = {0};
    lf_line_t *line;
    bp_status_t st;
    int fd;

    if (rank == 0) {
        snprintf(name, sizeof(name), "/bp-lat-floor-%ld", (long)getpid());
        fd = shm_open(name, O_CREAT | O_EXCL | O_RDWR, 0600);
        if (fd < 0 || ftruncate(fd, sizeof(lf_line_t)) != 0) {
            perror("bp-lat-floor: shm_open");
            return NULL;
        }
        st = bp_send(ctx, name, sizeof(name), 1, LF_TAG);
    } else {
        st = bp_recv(ctx, name, sizeof(name), 0, LF_TAG, 0, NULL);
        fd = st == BP_OK ? shm_open(name, O_RDWR, 0600) : -1;
    }
    if (st != BP_OK || fd < 0) {
        lf_fail("sharing the line", st != BP_OK ? st : BP_ERR_SYS);
        return NULL;
    }
    line = mmap(NULL, sizeof(*line), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    close(fd);
    st = bp_barrier(ctx);
    if (rank == 0) {
        shm_unlink(name);
    }
    if (line == MAP_FAILED || st != BP_OK) {
        lf_fail("mapping the line", st != BP_OK ? st : BP_ERR_SYS);
        return NULL;
    }
    return line;
}

int main(int argc, char **argv)
{
    int rounds = argc > 1 ? atoi(argv[1]) : 20;
    long n = argc > 2 ? atol(argv[2]) : 20000;
    double *base, *lat, *ratio;
    bp_context_t *ctx;
    lf_line_t *line;
    uint64_t ball = 0;
    int rank, size;
    bp_status_t st;

    if (rounds < 1 || rounds > 100000 || n < 1) {
        fprintf(stderr, "usage: bprun -n 2 bp-lat-floor [ROUNDS [ROUND_TRIPS]]\n");
        return 2;
    }
    st = bp_init(&ctx);
    if (st != BP_OK) {
        return lf_fail("bp_init", st);
    }
    bp_rank(ctx, &rank);
    bp_size(ctx, &size);
    if (size != 2) {
        fprintf(stderr, "bp-lat-floor: needs two ranks (bprun -n 2), not %d\n", size);
        bp_finalize(ctx);
        return 2;
    }
    base = calloc((size_t)rounds, sizeof(*base));
    lat = calloc((size_t)rounds, sizeof(*lat));
    ratio = calloc((size_t)rounds, sizeof(*ratio));
    line = lf_map(ctx, rank);
    if (base == NULL || lat == NULL || ratio == NULL || line == NULL) {
        bp_finalize(ctx);
        return 1;
    }
    /* warm-up of both */
    if (lf_base(line, rank, n / 10 + 1, &ball) < 0 || lf_lat(ctx, rank, n / 10 + 1) < 0) {
        return 1;
    }
    if (rank == 0) {
        printf("# bp-lat-floor: %d rounds of %ld round trips, half round trip in us\n",
               rounds, n);
    }
    for (int r = 0; r < rounds; r++) {
        base[r] = lf_base(line, rank, n, &ball);
        lat[r] = lf_lat(ctx, rank, n);
        if (base[r] < 0 || lat[r] < 0) {
            return 1;
        }
        ratio[r] = lat[r] / base[r];
        if (rank == 0) {
            printf("round %3d: base %.3f lat %.3f (%.2fx)\n", r, base[r], lat[r], ratio[r]);
            fflush(stdout);
        }
    }
    if (rank == 0) {
        double mb = lf_median(base, rounds), ml = lf_median(lat, rounds);
        printf("median: base %.3f lat %.3f; median of the rounds' ratios %.2fx\n", mb, ml,
               lf_median(ratio, rounds));
    }
    munmap(line, sizeof(*line));
    free(base);
    free(lat);
    free(ratio);
    st = bp_finalize(ctx);
    return st == BP_OK ? 0 : lf_fail("bp_finalize", st);
}
