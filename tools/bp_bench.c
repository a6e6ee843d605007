/*
 * bp_bench.c - bp-bench, the benchmark program of bypass.
 *
 *   bprun -n 2 bp-bench lat   ping-pong latency between ranks 0 and 1 over bypass
 *   bp-bench base             the same two cores without bypass: a cache line bouncing between
 *                             two processes, and memcpy bandwidth (the physical limits)
 *
 * OSU micro-benchmark conventions followed (osu_latency):
 *   - sizes 0, 1, 2, 4, ... 4 MiB by default; one output line per size, in microseconds,
 *     "%-10d%20.2f" under a "# ..." header, printed on rank 0 and flushed as the size completes;
 *   - the latency is half the round-trip time, averaged over the timed iterations;
 *   - 10000 iterations and 1000 untimed warm-up ("skip") ones up to 8 KiB, 1000 and 100 above
 *     (the large-message rule); --iters and --warmup override both classes, like OSU's -i, -x;
 *   - a barrier before each size, buffers allocated once at the largest size, page-aligned and
 *     touched before timing; the timed loop holds only the send and receive calls (OSU's
 *     validation is off by default: here the last message of each size is checked after the
 *     loop instead).
 * Timing reads CLOCK_MONOTONIC (vDSO, no syscall).
 *
 * Layout: bench_util.h has the backend-free parts (options, sizes, clock, buffers, patterns,
 * output); here each mode is a small ping-pong loop function plus a run function that sets it
 * up, and the table of modes at the end. Exit codes: 0 ok, 1 runtime failure, 2 usage error.
 */
#define _GNU_SOURCE /* sched_setaffinity, CPU_SET */
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bypass.h"
#include "bench_util.h"

#define BENCH_EXIT_OK 0
#define BENCH_EXIT_FAIL 1
#define BENCH_EXIT_USAGE 2

static void bench_usage(FILE *f)
{
    fprintf(f,
            "usage: bp-bench <lat|base> [--sizes LIST|MIN:MAX] [--iters N] [--warmup N]\n"
            "                [--cpus A,B] [--csv] [--help]\n"
            "modes:\n"
            "  lat    ping-pong latency between ranks 0 and 1 (bprun -n 2 bp-bench lat)\n"
            "  base   the hardware's limit, without bypass and not under bprun: a cache line\n"
            "         bouncing between two CPUs, and one CPU's memcpy bandwidth\n"
            "options:\n"
            "  --sizes LIST|MIN:MAX  sizes in bytes, K and M suffixes for KiB and MiB: a comma\n"
            "                        list, or the powers of two from MIN to MAX (0 included if\n"
            "                        MIN is 0). lat: message sizes, default 0:4M; base: memcpy\n"
            "                        sizes, default 4K,16K,64K,256K,1M,4M\n"
            "  --iters N             timed iterations per size (lat: 10000 up to 8 KiB, 1000\n"
            "                        above; base: 1000000 cache-line round trips)\n"
            "  --warmup N            untimed iterations before them (lat: 1000 up to 8 KiB, 100\n"
            "                        above; base: 10%% of the iterations)\n"
            "  --cpus A,B            base: the two CPUs (default: the first two this process may\n"
            "                        use); memcpy runs on A\n"
            "  --csv                 CSV rows instead of tables\n"
            "  --help                this text\n"
            "exit status: 0 ok, 1 runtime failure, 2 usage error\n");
}

/* Prints why a mode rejects an option and the usage; returns the usage exit code. */
static int bench_usage_error(const char *msg)
{
    fprintf(stderr, "bp-bench: %s\n", msg);
    bench_usage(stderr);
    return BENCH_EXIT_USAGE;
}

/* --- lat: ping-pong between ranks 0 and 1 over bypass --------------------------------- */

#define LAT_TAG 0x6c6174 /* "lat"; fixed, received with an exact tag and source */
#define LAT_LARGE 8192   /* OSU's large-message threshold: above it, fewer iterations */
#define LAT_MAX_DEFAULT (4 * BENCH_MIB)

#define LAT_NO_SIZE SIZE_MAX /* for lat_fail outside the sizes' loop */

/* A bp_* call failed: say which, on which rank, for which size, and stop. Out of line. */
__attribute__((noreturn, cold)) static void lat_fail(int rank, const char *call, size_t size,
                                                     bp_status_t status)
{
    if (size == LAT_NO_SIZE) {
        fprintf(stderr, "bp-bench lat: rank %d: %s: %s\n", rank, call, bp_strerror(status));
    } else {
        fprintf(stderr, "bp-bench lat: rank %d: %s (size %zu): %s\n", rank, call, size,
                bp_strerror(status));
    }
    exit(BENCH_EXIT_FAIL);
}

/*
 * n round trips of size bytes: rank 0 sends then receives, rank 1 receives then sends. Nothing
 * else happens here, because this is what is timed. *info_p holds the last receive's info.
 */
static void lat_rounds(bp_context_t *ctx, int rank, const void *sbuf, void *rbuf, size_t size,
                       uint64_t n, bp_msginfo_t *info_p)
{
    bp_status_t status;

    if (rank == 0) {
        for (uint64_t i = 0; i < n; i++) {
            status = bp_send(ctx, sbuf, size, 1, LAT_TAG);
            if (BENCH_UNLIKELY(status != BP_OK)) {
                lat_fail(rank, "bp_send to rank 1", size, status);
            }
            status = bp_recv(ctx, rbuf, size, 1, LAT_TAG, 0, info_p);
            if (BENCH_UNLIKELY(status != BP_OK)) {
                lat_fail(rank, "bp_recv from rank 1", size, status);
            }
        }
    } else {
        for (uint64_t i = 0; i < n; i++) {
            status = bp_recv(ctx, rbuf, size, 0, LAT_TAG, 0, info_p);
            if (BENCH_UNLIKELY(status != BP_OK)) {
                lat_fail(rank, "bp_recv from rank 0", size, status);
            }
            status = bp_send(ctx, sbuf, size, 0, LAT_TAG);
            if (BENCH_UNLIKELY(status != BP_OK)) {
                lat_fail(rank, "bp_send to rank 0", size, status);
            }
        }
    }
}

/*
 * The pattern a rank sends for a size: seeded with the number of the last iteration and the
 * sender's rank. The buffer is filled once before the loop, so every message of the size
 * carries it and the last one can be checked after the loop.
 */
static uint64_t lat_seed(int sender, uint64_t last_iter)
{
    return last_iter * 2 + (uint64_t)sender;
}

/* After the loop: the last message is the whole size, from the peer, with the peer's bytes. */
static void lat_verify(int rank, size_t size, const void *rbuf, const bp_msginfo_t *info,
                       uint64_t seed)
{
    size_t bad;

    if (info->source != 1 - rank || info->tag != LAT_TAG || info->length != size
        || info->status != BP_OK) {
        fprintf(stderr,
                "bp-bench lat: rank %d: size %zu: last message from rank %d, tag %#llx, "
                "length %zu, status %s; expected rank %d, tag %#x, length %zu, BP_OK\n",
                rank, size, info->source, (unsigned long long)info->tag, info->length,
                bp_strerror(info->status), 1 - rank, LAT_TAG, size);
        exit(BENCH_EXIT_FAIL);
    }
    bad = bench_pattern_check(rbuf, size, seed);
    if (bad != size) {
        fprintf(stderr,
                "bp-bench lat: rank %d: size %zu: wrong data from rank %d: byte %zu is 0x%02x, "
                "expected 0x%02x\n",
                rank, size, 1 - rank, bad, ((const uint8_t *)rbuf)[bad],
                bench_pattern_byte(seed, bad));
        exit(BENCH_EXIT_FAIL);
    }
}

static int lat_run(const bench_opts_t *opts)
{
    size_t default_sizes[BENCH_MAX_SIZES];
    const size_t *sizes = opts->sizes;
    size_t nsizes = opts->nsizes;
    size_t max = 0;
    bp_context_t *ctx;
    bp_status_t status;
    bench_out_t out;
    int rank, njob;
    void *sbuf, *rbuf;

    if (opts->ncpus != 0) {
        return bench_usage_error("--cpus is for base; bprun places lat's ranks");
    }
    if (nsizes == 0) {
        nsizes = bench_sizes_pow2(0, LAT_MAX_DEFAULT, default_sizes, BENCH_MAX_SIZES);
        sizes = default_sizes;
    }
    for (size_t k = 0; k < nsizes; k++) {
        max = (sizes[k] > max) ? sizes[k] : max;
    }

    status = bp_init(&ctx);
    if (status != BP_OK) {
        fprintf(stderr, "bp-bench lat: bp_init: %s\n", bp_strerror(status));
        return BENCH_EXIT_FAIL;
    }
    status = bp_rank(ctx, &rank);
    if (status != BP_OK) {
        lat_fail(-1, "bp_rank", LAT_NO_SIZE, status);
    }
    status = bp_size(ctx, &njob);
    if (status != BP_OK) {
        lat_fail(rank, "bp_size", LAT_NO_SIZE, status);
    }
    if (njob != 2) {
        if (rank == 0) {
            fprintf(stderr, "bp-bench lat: needs exactly 2 ranks, the job has %d; run it as "
                            "`bprun -n 2 bp-bench lat`\n", njob);
        }
        status = bp_finalize(ctx);
        if (status != BP_OK) {
            lat_fail(rank, "bp_finalize", LAT_NO_SIZE, status);
        }
        return BENCH_EXIT_USAGE;
    }

    sbuf = bench_buf_alloc(max);
    rbuf = bench_buf_alloc(max);
    if (sbuf == NULL || rbuf == NULL) {
        exit(BENCH_EXIT_FAIL); /* the peer learns it from bypass (BP_ERR_PEER) */
    }

    bench_out_begin(&out, opts->csv && rank == 0, "latency_us");
    if (rank == 0 && !opts->csv) {
        bench_out_comment(&out, "bypass bp-bench lat v%d.%d.%d", BP_VERSION_MAJOR,
                          BP_VERSION_MINOR, BP_VERSION_PATCH);
        /* The API has no transport query; two ranks on one node use shm, the only one. */
        bench_out_comment(&out, "transport: shm");
        bench_out_table(&out, "Latency (us)");
    }

    for (size_t k = 0; k < nsizes; k++) {
        size_t size = sizes[k];
        uint64_t iters = opts->iters != 0 ? opts->iters : (size <= LAT_LARGE ? 10000 : 1000);
        uint64_t warmup = opts->warmup >= 0 ? (uint64_t)opts->warmup
                                            : (size <= LAT_LARGE ? 1000 : 100);
        uint64_t last_iter = warmup + iters - 1;
        bp_msginfo_t info = { .source = -1 };
        uint64_t t0, t1;

        /* The receive buffer starts as something the peer never sends (seed + 2 is the
         * pattern of another iteration), so a message that leaves it alone is caught. */
        bench_pattern_fill(sbuf, size, lat_seed(rank, last_iter));
        bench_pattern_fill(rbuf, size, lat_seed(1 - rank, last_iter) + 2);

        status = bp_barrier(ctx);
        if (status != BP_OK) {
            lat_fail(rank, "bp_barrier", size, status);
        }
        lat_rounds(ctx, rank, sbuf, rbuf, size, warmup, &info);
        t0 = bench_now_ns();
        lat_rounds(ctx, rank, sbuf, rbuf, size, iters, &info);
        t1 = bench_now_ns();

        lat_verify(rank, size, rbuf, &info, lat_seed(1 - rank, last_iter));
        if (rank == 0) {
            double us = (double)(t1 - t0) / 1e3 / (2.0 * (double)iters); /* half trip */

            bench_out_row(&out, "latency_us", size, us);
        }
    }

    free(sbuf);
    free(rbuf);
    status = bp_finalize(ctx);
    if (status != BP_OK) {
        lat_fail(rank, "bp_finalize", LAT_NO_SIZE, status);
    }
    return BENCH_EXIT_OK;
}

/* --- base: the hardware's limit, without bypass --------------------------------------- */

#define BASE_ITERS_DEFAULT 1000000
#define BASE_TIMEOUT_NS (10 * (uint64_t)1000000000) /* a silent peer for this long: give up */
#define BASE_SPINS_PER_CHECK 16384                  /* pauses between two looks at the clock */
#define BASE_MEMCPY_BYTES (256 * BENCH_MIB)         /* copied per memcpy size */
#define BASE_LINE 64

enum { BASE_CHILD_STARTING, BASE_CHILD_READY, BASE_CHILD_FAILED };

/* The shared page: the bouncing line, and on a line of its own the child's start-up state
 * (written once, acquire/release with the parent's start-up wait in base_pingpong). */
typedef struct base_shared {
    _Alignas(BASE_LINE) _Atomic uint64_t ball; /* round r: parent stores 2r-1, child 2r */
    _Alignas(BASE_LINE) _Atomic int child_state;
} base_shared_t;

static inline void base_cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#else
    __asm__ __volatile__("" ::: "memory");
#endif
}

/* Whether the child has ended (without reaping it: base_pingpong does that). */
static int base_child_gone(pid_t child)
{
    siginfo_t info = { .si_pid = 0 };

    return waitid(P_PID, (id_t)child, &info, WEXITED | WNOHANG | WNOWAIT) != 0
           || info.si_pid == child;
}

/*
 * Spin until the ball holds want. The acquire pairs with the peer's release store of want,
 * so whatever the peer wrote before is visible after. Every BASE_SPINS_PER_CHECK spins: give
 * up if the child (when the parent waits, child > 0) failed or ended, or after
 * BASE_TIMEOUT_NS without want. The child needs no such check: the parent's death kills it.
 * 0, or -1 after a message.
 */
static int base_wait(base_shared_t *sh, uint64_t want, pid_t child)
{
    const char *who = (child > 0) ? "parent" : "child";
    uint64_t deadline = 0;
    uint32_t spins = 0;

    while (atomic_load_explicit(&sh->ball, memory_order_acquire) != want) {
        base_cpu_relax();
        if (BENCH_UNLIKELY(++spins == BASE_SPINS_PER_CHECK)) {
            uint64_t now = bench_now_ns();

            spins = 0;
            if (child > 0 && base_child_gone(child)) {
                fprintf(stderr, "bp-bench base: the child ended during the ping-pong\n");
                return -1;
            }
            if (deadline == 0) {
                deadline = now + BASE_TIMEOUT_NS;
            } else if (now > deadline) {
                fprintf(stderr, "bp-bench base: %s: no answer from the %s for %.0f s (waiting "
                                "for %llu)\n", who, (child > 0) ? "child" : "parent",
                        (double)BASE_TIMEOUT_NS / 1e9, (unsigned long long)want);
                return -1;
            }
        }
    }
    return 0;
}

/* The parent's side of rounds first .. first + n - 1: throw the ball, wait for it back. The
 * release store pairs with the child's acquire in base_wait. */
static int base_rounds(base_shared_t *sh, pid_t child, uint64_t first, uint64_t n)
{
    for (uint64_t r = first; r < first + n; r++) {
        atomic_store_explicit(&sh->ball, 2 * r - 1, memory_order_release);
        if (BENCH_UNLIKELY(base_wait(sh, 2 * r, child) != 0)) {
            return -1;
        }
    }
    return 0;
}

/* Pin the calling process to one CPU. 0 or -1 after a message. */
static int base_pin(int cpu, const char *who)
{
    cpu_set_t set;

    CPU_ZERO(&set);
    CPU_SET(cpu, &set);
    if (sched_setaffinity(0, sizeof(set), &set) != 0) {
        fprintf(stderr, "bp-bench base: %s: sched_setaffinity to cpu %d: %s\n", who, cpu,
                strerror(errno));
        return -1;
    }
    return 0;
}

/* The child: pin, say ready, then answer each of the rounds. Returns its exit status. */
static int base_child(base_shared_t *sh, int cpu, pid_t parent, uint64_t rounds)
{
    /* Die with the parent rather than spin alone; checked after, in case it is gone already. */
    if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0 || getppid() != parent
        || base_pin(cpu, "child") != 0) {
        atomic_store_explicit(&sh->child_state, BASE_CHILD_FAILED, memory_order_release);
        return BENCH_EXIT_FAIL;
    }
    atomic_store_explicit(&sh->child_state, BASE_CHILD_READY, memory_order_release);
    for (uint64_t r = 1; r <= rounds; r++) {
        if (BENCH_UNLIKELY(base_wait(sh, 2 * r - 1, 0) != 0)) {
            return BENCH_EXIT_FAIL;
        }
        atomic_store_explicit(&sh->ball, 2 * r, memory_order_release); /* parent's base_wait */
    }
    return BENCH_EXIT_OK;
}

/*
 * Fork a child pinned to child_cpu (the caller is pinned already), bounce the line warmup
 * untimed then iters timed round trips, reap the child whatever happened. *us_p is half the
 * mean round trip. 0 or -1 after a message.
 */
static int base_pingpong(int child_cpu, uint64_t warmup, uint64_t iters, double *us_p)
{
    base_shared_t *sh;
    uint64_t deadline, t0 = 0, t1 = 0;
    int ret = 0, wstatus;
    pid_t parent = getpid(), child;

    sh = mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (sh == MAP_FAILED) {
        fprintf(stderr, "bp-bench base: mmap of the shared page: %s\n", strerror(errno));
        return -1;
    }
    atomic_store(&sh->ball, 0);
    atomic_store(&sh->child_state, BASE_CHILD_STARTING);

    fflush(NULL); /* the child leaves with _exit, yet must not inherit unwritten output */
    child = fork();
    if (child < 0) {
        fprintf(stderr, "bp-bench base: fork: %s\n", strerror(errno));
        munmap(sh, sizeof(*sh));
        return -1;
    }
    if (child == 0) {
        _exit(base_child(sh, child_cpu, parent, warmup + iters));
    }

    /* Wait until the child is pinned, so that no timed round includes its start-up. */
    deadline = bench_now_ns() + BASE_TIMEOUT_NS;
    while (atomic_load_explicit(&sh->child_state, memory_order_acquire) == BASE_CHILD_STARTING
           && !base_child_gone(child)) {
        if (bench_now_ns() > deadline) {
            fprintf(stderr, "bp-bench base: the child did not start within %.0f s\n",
                    (double)BASE_TIMEOUT_NS / 1e9);
            ret = -1;
            break;
        }
        usleep(100);
    }
    if (ret == 0
        && atomic_load_explicit(&sh->child_state, memory_order_acquire) != BASE_CHILD_READY) {
        ret = -1; /* the child said why, unless it died: then the wait status below does */
    }

    if (ret == 0) {
        ret = base_rounds(sh, child, 1, warmup);
    }
    if (ret == 0) {
        t0 = bench_now_ns();
        ret = base_rounds(sh, child, 1 + warmup, iters);
        t1 = bench_now_ns();
    }

    if (ret != 0) {
        kill(child, SIGKILL);
    }
    while (waitpid(child, &wstatus, 0) < 0) {
        if (errno != EINTR) {
            fprintf(stderr, "bp-bench base: waitpid: %s\n", strerror(errno));
            ret = -1;
            break;
        }
    }
    if (WIFSIGNALED(wstatus) && !(ret != 0 && WTERMSIG(wstatus) == SIGKILL)) {
        fprintf(stderr, "bp-bench base: the child was killed by signal %d\n",
                WTERMSIG(wstatus));
        ret = -1;
    } else if (WIFEXITED(wstatus) && WEXITSTATUS(wstatus) != 0) {
        ret = -1; /* the child said why */
    }
    munmap(sh, sizeof(*sh));
    if (ret == 0) {
        *us_p = (double)(t1 - t0) / 1e3 / (2.0 * (double)iters);
    }
    return ret;
}

/* Single-thread memcpy of size bytes, BASE_MEMCPY_BYTES in all, 10% more first untimed.
 * Returns MB/s (1e6 bytes per second). */
static double base_memcpy_mbps(void *dst, const void *src, size_t size)
{
    uint64_t n = (size == 0) ? 1 : (BASE_MEMCPY_BYTES + size - 1) / size;
    uint64_t t0, t1;

    for (uint64_t i = 0; i < n / 10 + 1; i++) {
        memcpy(dst, src, size);
        __asm__ __volatile__("" ::: "memory"); /* keep every copy */
    }
    t0 = bench_now_ns();
    for (uint64_t i = 0; i < n; i++) {
        memcpy(dst, src, size);
        __asm__ __volatile__("" ::: "memory");
    }
    t1 = bench_now_ns();
    return (t1 > t0) ? (double)size * (double)n * 1e3 / (double)(t1 - t0) : 0.0;
}

/* The two CPUs: --cpus, else the first two of the affinity mask. 0 or -1 after a message. */
static int base_cpus_pick(const bench_opts_t *opts, int cpus[2])
{
    cpu_set_t set;
    int n = 0;

    if (sched_getaffinity(0, sizeof(set), &set) != 0) {
        fprintf(stderr, "bp-bench base: sched_getaffinity: %s\n", strerror(errno));
        return -1;
    }
    if (opts->ncpus == 2) {
        for (int k = 0; k < 2; k++) {
            if (opts->cpus[k] >= CPU_SETSIZE || !CPU_ISSET(opts->cpus[k], &set)) {
                fprintf(stderr, "bp-bench base: --cpus: cpu %d is not in this process's "
                                "affinity mask\n", opts->cpus[k]);
                return -1;
            }
            cpus[k] = opts->cpus[k];
        }
        return 0;
    }
    for (int cpu = 0; cpu < CPU_SETSIZE && n < 2; cpu++) {
        if (CPU_ISSET(cpu, &set)) {
            cpus[n++] = cpu;
        }
    }
    if (n < 2) {
        fprintf(stderr, "bp-bench base: needs two CPUs, the affinity mask has %d\n", n);
        return -1;
    }
    return 0;
}

static int base_run(const bench_opts_t *opts)
{
    static const size_t default_sizes[] = { 4 * BENCH_KIB, 16 * BENCH_KIB, 64 * BENCH_KIB,
                                            256 * BENCH_KIB, BENCH_MIB, 4 * BENCH_MIB };
    const size_t *sizes = opts->sizes;
    size_t nsizes = opts->nsizes;
    uint64_t iters = opts->iters != 0 ? opts->iters : BASE_ITERS_DEFAULT;
    uint64_t warmup = opts->warmup >= 0 ? (uint64_t)opts->warmup : iters / 10;
    size_t max = 0;
    bench_out_t out;
    void *src, *dst;
    int cpus[2];
    double us;

    if (getenv("BPRUN_FD") != NULL) {
        return bench_usage_error("base runs standalone: `bp-bench base`, not under bprun");
    }
    if (nsizes == 0) {
        sizes = default_sizes;
        nsizes = sizeof(default_sizes) / sizeof(default_sizes[0]);
    }
    for (size_t k = 0; k < nsizes; k++) {
        max = (sizes[k] > max) ? sizes[k] : max;
    }
    if (base_cpus_pick(opts, cpus) != 0 || base_pin(cpus[0], "parent") != 0) {
        return BENCH_EXIT_FAIL;
    }

    bench_out_begin(&out, opts->csv, NULL);
    bench_out_comment(&out, "bypass bp-bench base v%d.%d.%d", BP_VERSION_MAJOR,
                      BP_VERSION_MINOR, BP_VERSION_PATCH);
    bench_out_comment(&out, "cpus: %d,%d", cpus[0], cpus[1]);
    bench_out_comment(&out, "cache-line ping-pong (half round trip)");
    bench_out_table(&out, "Latency (us)");
    if (base_pingpong(cpus[1], warmup, iters, &us) != 0) {
        return BENCH_EXIT_FAIL;
    }
    bench_out_row(&out, "pingpong_us", sizeof(uint64_t), us);

    src = bench_buf_alloc(max);
    dst = bench_buf_alloc(max);
    if (src == NULL || dst == NULL) {
        free(src);
        free(dst);
        return BENCH_EXIT_FAIL;
    }
    bench_out_comment(&out, "memcpy bandwidth, one thread on cpu %d (1 MB = 1e6 bytes)",
                      cpus[0]);
    bench_out_table(&out, "Bandwidth (MB/s)");
    for (size_t k = 0; k < nsizes; k++) {
        bench_out_row(&out, "memcpy_MBps", sizes[k], base_memcpy_mbps(dst, src, sizes[k]));
    }
    free(src);
    free(dst);
    return BENCH_EXIT_OK;
}

/* --- modes and main ------------------------------------------------------------------ */

typedef struct bench_mode {
    const char *name;
    int (*run)(const bench_opts_t *opts); /* returns the exit status */
} bench_mode_t;

static const bench_mode_t bench_modes[] = {
    { .name = "lat", .run = lat_run },
    { .name = "base", .run = base_run },
};

int main(int argc, char **argv)
{
    bench_opts_t opts;

    if (bench_opts_parse(argc, argv, &opts) != 0) {
        bench_usage(stderr);
        return BENCH_EXIT_USAGE;
    }
    if (opts.help) {
        bench_usage(stdout);
        return BENCH_EXIT_OK;
    }
    if (opts.mode == NULL) {
        return bench_usage_error("no mode given");
    }
    for (size_t k = 0; k < sizeof(bench_modes) / sizeof(bench_modes[0]); k++) {
        if (strcmp(opts.mode, bench_modes[k].name) == 0) {
            return bench_modes[k].run(&opts);
        }
    }
    fprintf(stderr, "bp-bench: unknown mode '%s'\n", opts.mode);
    bench_usage(stderr);
    return BENCH_EXIT_USAGE;
}
