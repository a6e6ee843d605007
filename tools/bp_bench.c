/*
 * bp_bench.c - bp-bench, the benchmark program of bypass (and, built with an MPI compiler
 * wrapper and -DBENCH_MPI, bp-bench-openmpi / bp-bench-mpich: the same benchmarks over MPI).
 *
 *   bprun -n 2 bp-bench lat|bw|bibw|mr   the message benchmarks over bypass (bench_suite.c)
 *   bprun -n 2 bp-bench coll             barrier (and over MPI bcast, allreduce) latency
 *   bp-bench lat --backend unix-spin     the same over kernel sockets (bench_be_sock.c)
 *   bp-bench base                        the same two cores without any library: a cache line
 *                                        bouncing between two processes, and memcpy bandwidth
 *   bp-bench compare [lat|bw|mr|all]     all of the above and the MPI peers, side by side
 *                                        (bench_compare.c)
 *
 * Layout: bench_util.h has the backend-free parts (options, sizes, clock, buffers, patterns,
 * output); bench_backend.h the backend table; here the usage, base, and the table of modes.
 * Exit codes: 0 ok, 1 runtime failure, 2 usage error.
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

#include "bench_backend.h"
#ifdef BENCH_HAVE_XDP
#include "bench_xdp_probe.h"
#endif
#ifndef BENCH_MPI
#include "bench_compare.h"
#endif
#include "bench_suite.h"
#include "bench_util.h"

#ifdef BENCH_MPI
#define BENCH_PROG "bp-bench-mpi"
#define BENCH_BACKEND_MAIN "mpi"
#else
#define BENCH_PROG "bp-bench"
#define BENCH_BACKEND_MAIN "bypass"
#endif
#define BENCH_VERSION "0.1.0" /* bypass's version; the MPI build does not include bypass.h */

static void bench_usage(FILE *f)
{
    fprintf(f,
            "usage: %s <lat|bw|bibw|mr|coll> [--sizes LIST|MIN:MAX] [--iters N]\n"
            "                [--warmup N] [--pairs P] [--backend NAME] [--transport NAME]\n"
            "                [--cpus A,B]\n"
            "                [--csv|--json] [--quiet]\n"
            "       bp-bench base [--sizes LIST] [--iters N] [--cpus A,B] [--csv|--json]\n"
            "       bp-bench compare [lat|bw|bibw|mr|coll|all] [--runs N] [--out DIR]\n"
            "                [--quick] [--skip LIST] [--sizes LIST] [--iters N] [--cpus A,B]\n"
            "                [--timeout S]\n"
            "modes:\n"
            "  lat     ping-pong latency, half the round trip (bprun -n 2 bp-bench lat)\n"
            "  bw      bandwidth: windows of 64 nonblocking sends, then a 1-byte ack (MB/s,\n"
            "          1 MB = 1e6 bytes)\n"
            "  bibw    the same in both directions at once\n"
            "  mr      message rate (messages/s, window 64), summed over --pairs\n"
            "  coll    collective latency (osu_barrier, osu_bcast, osu_allreduce): one barrier,\n"
            "          one bcast of SIZE bytes and one allreduce of SIZE/8 doubles, in us,\n"
            "          averaged over the ranks (default size 8; the native API: barrier only)\n"
            "  base    the hardware's limit, without any library and not under a launcher: a\n"
            "          cache line bouncing between two CPUs, and one CPU's memcpy bandwidth\n"
            "  compare runs base, bypass, the kernel baselines and the installed MPI\n"
            "          libraries on the same two CPUs, RUNS times each; prints tables of\n"
            "          medians and ratios, writes CSV and PNG plots into DIR (all: lat, bw,\n"
            "          mr and coll's barrier, bcast and allreduce at 8 B)\n"
            "options:\n"
            "  --sizes LIST|MIN:MAX  sizes in bytes, K and M suffixes for KiB and MiB: a comma\n"
            "                        list, or the powers of two from MIN to MAX (0 included if\n"
            "                        MIN is 0). lat: default 0:4M; bw, bibw, mr: 1:4M; base:\n"
            "                        memcpy sizes, default 4K,16K,64K,256K,1M,4M\n"
            "  --iters N             timed iterations per size (lat: 10000 up to 8 KiB, 1000\n"
            "                        above; bw, bibw, mr: 100 windows, 20 above 8 KiB; base:\n"
            "                        1000000 cache-line round trips)\n"
            "  --warmup N            untimed iterations before them (a tenth of the default)\n"
            "  --pairs P             P pairs at once: 2P ranks, rank r with rank r+P\n"
            "  --backend NAME        " BENCH_BACKEND_MAIN " (default), or a kernel baseline\n"
            "                        that starts its own peer: tcp, tcp-spin, unix, unix-spin\n"
            "                        (TCP on 127.0.0.1 or a UNIX socketpair; blocking calls,\n"
            "                        or nonblocking ones spinning on EAGAIN)\n"
            "  --transport NAME      bypass's transport for every peer: shm or tcp\n"
            "  --cpus A,B            pin to these two CPUs (pairs' first ranks on A); base:\n"
            "                        default the first two this process may use\n"
            "  --csv, --json         CSV rows, or one JSON object, instead of tables\n"
            "  --quiet               no progress lines on stderr (one per size otherwise, when\n"
            "                        stdout is not a terminal or is CSV/JSON)\n"
            "compare options:\n"
            "  --runs N              runs of each configuration (default 5; --quick: 1)\n"
            "  --out DIR             results folder (default results)\n"
            "  --quick               few sizes and iterations (a smoke test, not figures)\n"
            "  --skip LIST           configurations to leave out, comma-separated: base,\n"
            "                        bypass, bypass-mpi, bypass-tcp, bypass-hosts,\n"
            "                        bypass-xdp, tcp, tcp-spin, unix, unix-spin, openmpi,\n"
            "                        openmpi-tcp, mpich\n"
            "  --timeout S           seconds before one run is killed (default 600; --quick\n"
            "                        60)\n"
            "  --help                this text\n"
            "exit status: 0 ok, 1 runtime failure, 2 usage error\n", BENCH_PROG);
}

/* Prints why a mode rejects an option and the usage; returns the usage exit code. */
static int bench_usage_error(const char *msg)
{
    fprintf(stderr, BENCH_PROG ": %s\n", msg);
    bench_usage(stderr);
    return BENCH_EXIT_USAGE;
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

    bench_out_begin(&out, bench_out_format(opts->csv, opts->json), 0, NULL);
    bench_out_meta(&out, "benchmark", "base");
    bench_out_meta(&out, "library", "none (bypass bp-bench %s)", BENCH_VERSION);
    bench_out_meta(&out, "cpus", "%d,%d", cpus[0], cpus[1]);
    bench_out_comment(&out, "cache-line ping-pong (half round trip)");
    bench_out_table(&out, 1, (const char *const[]){ "Latency (us)" });
    if (base_pingpong(cpus[1], warmup, iters, &us) != 0) {
        return BENCH_EXIT_FAIL;
    }
    bench_out_row(&out, "pingpong_us", sizeof(uint64_t), us);
    if (opts->what != NULL) { /* xdp: the raw AF_XDP frame ping-pong between two hosts */
#ifdef BENCH_HAVE_XDP
        bench_out_comment(&out, "raw AF_XDP frame ping-pong to the namespace "
                          "BPBENCH_XDP_NETNS (half round trip)");
        bench_out_table(&out, 1, (const char *const[]){ "Latency (us)" });
        if (bench_xdp_probe(cpus, warmup < 1000 ? warmup : 1000, iters < 20000 ? iters : 20000,
                            &us) != 0) {
            return BENCH_EXIT_FAIL;
        }
        bench_out_row(&out, "xdp_pingpong_us", 64, us);
#else
        fprintf(stderr, "bp-bench base xdp: built without the xdp transport\n");
        return BENCH_EXIT_FAIL;
#endif
    }

    src = bench_buf_alloc(max);
    dst = bench_buf_alloc(max);
    if (src == NULL || dst == NULL) {
        free(src);
        free(dst);
        return BENCH_EXIT_FAIL;
    }
    bench_out_comment(&out, "memcpy bandwidth, one thread on cpu %d (1 MB = 1e6 bytes)",
                      cpus[0]);
    bench_out_table(&out, 1, (const char *const[]){ "Bandwidth (MB/s)" });
    for (size_t k = 0; k < nsizes; k++) {
        bench_out_row(&out, "memcpy_MBps", sizes[k], base_memcpy_mbps(dst, src, sizes[k]));
    }
    free(src);
    free(dst);
    bench_out_end(&out);
    return BENCH_EXIT_OK;
}

/* --- modes and main ------------------------------------------------------------------ */

static const bench_be_t *const bench_backends[] = {
    &bench_be_main, &bench_be_tcp, &bench_be_tcp_spin, &bench_be_unix, &bench_be_unix_spin,
};

/* The suite's benchmarks: check the options, pick the backend, run. */
static int bench_suite_mode(bench_opts_t *opts, int *argc_p, char ***argv_p)
{
    const bench_be_t *be = &bench_be_main;

    if (opts->what != NULL) {
        fprintf(stderr, BENCH_PROG ": unexpected argument '%s'\n", opts->what);
        bench_usage(stderr);
        return BENCH_EXIT_USAGE;
    }
    if (bench_suite_check(opts->mode, opts) != 0) {
        bench_usage(stderr);
        return BENCH_EXIT_USAGE;
    }
    if (opts->backend != NULL) {
        be = NULL;
        for (size_t k = 0; k < sizeof(bench_backends) / sizeof(bench_backends[0]); k++) {
            if (strcmp(opts->backend, bench_backends[k]->name) == 0) {
                be = bench_backends[k];
            }
        }
        if (be == NULL) {
            fprintf(stderr, BENCH_PROG ": --backend %s: unknown; expected " BENCH_BACKEND_MAIN
                    ", tcp, tcp-spin, unix or unix-spin\n", opts->backend);
            return BENCH_EXIT_USAGE;
        }
    }
    if (opts->transport != NULL) {
        if (be != &bench_be_main || strcmp(be->name, "bypass") != 0) {
            return bench_usage_error("--transport selects bypass's transport: it is for the "
                                     "bypass backend only");
        }
        if (strcmp(opts->transport, "shm") != 0 && strcmp(opts->transport, "tcp") != 0) {
            fprintf(stderr, BENCH_PROG ": --transport %s: not available; this bypass has "
                    "shm and tcp\n", opts->transport);
            return BENCH_EXIT_USAGE;
        }
        /* the library reads it at bp_init: every peer through that transport */
        setenv("BP_TRANSPORTS", opts->transport, 1);
    }
    if (be != &bench_be_main && opts->pairs > 1) {
        return bench_usage_error("the kernel baselines run one pair: no --pairs");
    }
    if (be != &bench_be_main && getenv("BPRUN_FD") != NULL) {
        return bench_usage_error("the kernel baselines start their own peer: run them "
                                 "standalone, not under bprun");
    }
    return bench_suite_run(be, opts, argc_p, argv_p);
}

int main(int argc, char **argv)
{
    bench_opts_t opts;

    /* MPI launchers may add arguments of their own only through MPI_Init, which the MPI
     * backend calls after this parse; Open MPI and MPICH pass none on the command line. */
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
    if (bench_suite_has(opts.mode)) {
        return bench_suite_mode(&opts, &argc, &argv);
    }
    if (strcmp(opts.mode, "base") == 0 || strcmp(opts.mode, "compare") == 0) {
        if (opts.backend != NULL || opts.transport != NULL || opts.pairs != 0) {
            return bench_usage_error("--backend, --transport and --pairs are for lat, bw, "
                                     "bibw and mr");
        }
    }
    if (strcmp(opts.mode, "base") == 0) {
        if ((opts.what != NULL && strcmp(opts.what, "xdp") != 0) ||
            bench_suite_check("base", &opts) != 0) {
            return bench_usage_error("base takes no argument but `xdp`, and none of compare's "
                                     "options");
        }
        return base_run(&opts);
    }
#ifndef BENCH_MPI
    if (strcmp(opts.mode, "compare") == 0) {
        return bench_compare_run(&opts, argv[0]);
    }
#endif
    fprintf(stderr, BENCH_PROG ": unknown mode '%s'\n", opts.mode);
    bench_usage(stderr);
    return BENCH_EXIT_USAGE;
}
