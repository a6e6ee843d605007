/*
 * bench_suite.c - the message benchmarks of bp-bench, over any backend (bench_backend.h).
 *
 * OSU micro-benchmark conventions (osu_latency, osu_bw, osu_bibw, osu_mbw_mr,
 * osu_multi_lat), so figures compare one to one with published OSU results:
 *   lat   ping-pong, one-way latency = half the round trip, averaged over the timed
 *         iterations (10000 and 1000 warm-up up to 8 KiB, 1000 and 100 above);
 *   bw    the sender posts a window of 64 nonblocking sends, waits for them, then waits for
 *         a 1-byte ack; MB/s with 1 MB = 1e6 bytes (100 and 10 warm-up iterations up to
 *         8 KiB, 20 and 2 above);
 *   bibw  both sides post 64 receives and 64 sends, then wait; both directions' bytes count;
 *   mr    bw's pattern, reported as messages per second (and MB/s), summed over the pairs.
 *   coll  osu_barrier, osu_bcast and osu_allreduce at once: the mean time of one
 *         MPI_Barrier, one MPI_Bcast of the size (root 0) and one MPI_Allreduce of size / 8
 *         doubles (MPI_SUM), every rank timing its own calls (a barrier, untimed, between two
 *         bcasts or allreduces), averaged over the ranks; default size 8 B, iterations as
 *         lat. A backend without bcast and allreduce (the native API) reports the barrier.
 * --pairs P: 2P ranks, rank r < P paired with rank r + P, all pairs at once; lat reports the
 * mean of the pairs' latencies (osu_multi_lat), bw, bibw and mr the sum of their rates.
 * A barrier before each size; buffers allocated once at the largest size, page-aligned and
 * touched; the timed loop holds only the backend's calls; lat checks the last message's
 * bytes after the loop. Timing: CLOCK_MONOTONIC (vDSO).
 */
#define _GNU_SOURCE /* sched_setaffinity */
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench_suite.h"

#define SUITE_LARGE 8192 /* OSU's large-message threshold: above it, fewer iterations */
#define SUITE_WINDOW 64
#define SUITE_MAX_DEFAULT (4 * BENCH_MIB)

typedef struct suite_mode suite_mode_t;

/* What a benchmark needs to run one size; filled by suite_run. */
typedef struct suite_ctx {
    const bench_be_t *be;
    int rank, pairs, peer, sender; /* sender: rank < pairs */
    void *sbuf, *rbuf;
} suite_ctx_t;

struct suite_mode {
    const char *name;
    size_t min_default;                  /* default sizes: min_default:max_default */
    size_t max_default;                  /* 0: SUITE_MAX_DEFAULT */
    uint64_t iters_small, iters_large;   /* timed iterations up to / above SUITE_LARGE */
    uint64_t warmup_small, warmup_large;
    size_t ncols;
    const char *cols[BENCH_MAX_COLS];    /* CSV and JSON column names */
    const char *titles[BENCH_MAX_COLS];  /* table headers */
    /* Measures one size; on rank 0 fills values[] (ncols of them). 0 or -1. */
    int (*measure)(const suite_ctx_t *c, size_t size, uint64_t warmup, uint64_t iters,
                   double *values);
    /* The columns this backend can fill (the first ones); NULL: all ncols. */
    size_t (*ncols_for)(const bench_be_t *be);
};

#define SUITE_TRY(call)                                                                      \
    do {                                                                                     \
        if (BENCH_UNLIKELY((call) != 0)) {                                                   \
            return -1;                                                                       \
        }                                                                                    \
    } while (0)

/* --- helpers ------------------------------------------------------------------------- */

/* Every sender but rank 0 sends its value to rank 0, which returns the sum (others their
 * own value). Outside timed loops. */
static int suite_sum(const suite_ctx_t *c, double value, double *sum_p)
{
    *sum_p = value;
    if (c->rank == 0) {
        for (int r = 1; r < c->pairs; r++) {
            double v;

            SUITE_TRY(c->be->recv(&v, sizeof(v), r));
            *sum_p += v;
        }
    } else if (c->sender) {
        SUITE_TRY(c->be->send(&value, sizeof(value), 0));
    }
    return 0;
}

static double suite_secs(uint64_t t0, uint64_t t1)
{
    return (t1 > t0) ? (double)(t1 - t0) / 1e9 : 1e-9;
}

/* --- lat ----------------------------------------------------------------------------- */

/*
 * n round trips: the sender sends then receives, its peer receives then sends. Where the
 * backend can check a receive apart, each receive is checked while the next message is on
 * its way (the sender after its next send, the peer after its reply), as OSU's latency
 * test checks nothing in its timed loop: what is timed is the library's path from an
 * arrival to the reply, whatever each backend's check costs.
 */
static int lat_rounds(const suite_ctx_t *c, size_t size, uint64_t n)
{
    const bench_be_t *be = c->be;

    if (be->recv_unchecked != NULL && n > 0) {
        if (c->sender) {
            for (uint64_t i = 0; i < n; i++) {
                SUITE_TRY(be->send(c->sbuf, size, c->peer));
                if (i > 0) {
                    SUITE_TRY(be->recv_check(size));
                }
                SUITE_TRY(be->recv_unchecked(c->rbuf, size, c->peer));
            }
        } else {
            for (uint64_t i = 0; i < n; i++) {
                SUITE_TRY(be->recv_unchecked(c->rbuf, size, c->peer));
                SUITE_TRY(be->send(c->sbuf, size, c->peer));
                SUITE_TRY(be->recv_check(size));
            }
        }
        return c->sender ? be->recv_check(size) : 0;
    }
    if (c->sender) {
        for (uint64_t i = 0; i < n; i++) {
            SUITE_TRY(be->send(c->sbuf, size, c->peer));
            SUITE_TRY(be->recv(c->rbuf, size, c->peer));
        }
    } else {
        for (uint64_t i = 0; i < n; i++) {
            SUITE_TRY(be->recv(c->rbuf, size, c->peer));
            SUITE_TRY(be->send(c->sbuf, size, c->peer));
        }
    }
    return 0;
}

static int lat_measure(const suite_ctx_t *c, size_t size, uint64_t warmup, uint64_t iters,
                       double *values)
{
    /* Each rank sends its own pattern; the receive buffer starts as another one, so a
     * message that leaves it alone is caught. */
    uint64_t mine = (uint64_t)c->rank * 2 + size, theirs = (uint64_t)c->peer * 2 + size;
    uint64_t t0, t1;
    size_t bad;
    double us;

    bench_pattern_fill(c->sbuf, size, mine);
    bench_pattern_fill(c->rbuf, size, theirs + 1);
    SUITE_TRY(c->be->barrier());
    SUITE_TRY(lat_rounds(c, size, warmup));
    t0 = bench_now_ns();
    SUITE_TRY(lat_rounds(c, size, iters));
    t1 = bench_now_ns();

    bad = bench_pattern_check(c->rbuf, size, theirs);
    if (bad != size) {
        fprintf(stderr, "bp-bench lat: rank %d: size %zu: wrong data from rank %d: byte %zu "
                "is 0x%02x, expected 0x%02x\n", c->rank, size, c->peer, bad,
                ((const uint8_t *)c->rbuf)[bad], bench_pattern_byte(theirs, bad));
        return -1;
    }
    us = suite_secs(t0, t1) * 1e6 / (2.0 * (double)iters);
    SUITE_TRY(suite_sum(c, us, &values[0]));
    values[0] /= (double)c->pairs;
    return 0;
}

/* --- bw, bibw, mr -------------------------------------------------------------------- */

/* One window: the sender's 64 sends and its wait for the ack, or the receiver's side. */
static int bw_window(const suite_ctx_t *c, size_t size)
{
    const bench_be_t *be = c->be;
    uint8_t ack = 0;

    if (c->sender) {
        for (int w = 0; w < SUITE_WINDOW; w++) {
            SUITE_TRY(be->isend(c->sbuf, size, c->peer));
        }
        SUITE_TRY(be->waitall());
        SUITE_TRY(be->recv(&ack, 1, c->peer));
    } else {
        for (int w = 0; w < SUITE_WINDOW; w++) {
            SUITE_TRY(be->irecv(c->rbuf, size, c->peer));
        }
        SUITE_TRY(be->waitall());
        SUITE_TRY(be->send(&ack, 1, c->peer));
    }
    return 0;
}

/* One window each way, posted receives first. */
static int bibw_window(const suite_ctx_t *c, size_t size)
{
    const bench_be_t *be = c->be;

    for (int w = 0; w < SUITE_WINDOW; w++) {
        SUITE_TRY(be->irecv(c->rbuf, size, c->peer));
    }
    for (int w = 0; w < SUITE_WINDOW; w++) {
        SUITE_TRY(be->isend(c->sbuf, size, c->peer));
    }
    return be->waitall();
}

/* warmup then iters windows; the senders' window rate summed on rank 0 (windows/s). */
static int window_rate(const suite_ctx_t *c, size_t size, uint64_t warmup, uint64_t iters,
                       int (*window)(const suite_ctx_t *, size_t), double *rate_p)
{
    uint64_t t0, t1;

    SUITE_TRY(c->be->barrier());
    for (uint64_t i = 0; i < warmup; i++) {
        SUITE_TRY(window(c, size));
    }
    t0 = bench_now_ns();
    for (uint64_t i = 0; i < iters; i++) {
        SUITE_TRY(window(c, size));
    }
    t1 = bench_now_ns();
    return suite_sum(c, (double)iters / suite_secs(t0, t1), rate_p);
}

static int bw_measure(const suite_ctx_t *c, size_t size, uint64_t warmup, uint64_t iters,
                      double *values)
{
    double rate;

    SUITE_TRY(window_rate(c, size, warmup, iters, bw_window, &rate));
    values[0] = rate * SUITE_WINDOW * (double)size / 1e6;
    return 0;
}

static int bibw_measure(const suite_ctx_t *c, size_t size, uint64_t warmup, uint64_t iters,
                        double *values)
{
    double rate;

    SUITE_TRY(window_rate(c, size, warmup, iters, bibw_window, &rate));
    values[0] = 2.0 * rate * SUITE_WINDOW * (double)size / 1e6;
    return 0;
}

static int mr_measure(const suite_ctx_t *c, size_t size, uint64_t warmup, uint64_t iters,
                      double *values)
{
    double rate;

    SUITE_TRY(window_rate(c, size, warmup, iters, bw_window, &rate));
    values[0] = rate * SUITE_WINDOW * (double)size / 1e6;
    values[1] = rate * SUITE_WINDOW;
    return 0;
}

/* --- coll --------------------------------------------------------------------------- */

/* Every rank but 0 sends its value to rank 0, which returns the mean over the 2P ranks. */
static int coll_mean(const suite_ctx_t *c, double value, double *mean_p)
{
    int n = 2 * c->pairs;

    *mean_p = value;
    if (c->rank == 0) {
        for (int r = 1; r < n; r++) {
            double v;

            SUITE_TRY(c->be->recv(&v, sizeof(v), r));
            *mean_p += v;
        }
        *mean_p /= (double)n;
    } else {
        SUITE_TRY(c->be->send(&value, sizeof(value), 0));
    }
    return 0;
}

static size_t coll_ncols(const bench_be_t *be)
{
    return (be->bcast != NULL && be->allreduce_sum != NULL) ? 3 : 1;
}

/* warmup + iters calls of op, each timed alone, a barrier after each; mean us per call. */
static int coll_timed(const suite_ctx_t *c, int (*op)(const suite_ctx_t *, size_t), size_t size,
                      uint64_t warmup, uint64_t iters, double *us_p)
{
    uint64_t total = 0;

    SUITE_TRY(c->be->barrier());
    for (uint64_t i = 0; i < warmup + iters; i++) {
        uint64_t t0 = bench_now_ns();

        SUITE_TRY(op(c, size));
        if (i >= warmup) {
            total += bench_now_ns() - t0;
        }
        SUITE_TRY(c->be->barrier());
    }
    *us_p = (double)total / 1e3 / (double)iters;
    return 0;
}

static int coll_bcast_op(const suite_ctx_t *c, size_t size)
{
    return c->be->bcast(c->rank == 0 ? c->sbuf : c->rbuf, size, 0);
}

static int coll_allreduce_op(const suite_ctx_t *c, size_t size)
{
    return c->be->allreduce_sum(c->sbuf, c->rbuf, size / sizeof(double));
}

static int coll_measure(const suite_ctx_t *c, size_t size, uint64_t warmup, uint64_t iters,
                        double *values)
{
    const bench_be_t *be = c->be;
    double us[3] = { 0.0, 0.0, 0.0 };
    int n = 2 * c->pairs;
    uint64_t t0, t1;

    /* barrier: back to back, as osu_barrier */
    SUITE_TRY(be->barrier());
    for (uint64_t i = 0; i < warmup; i++) {
        SUITE_TRY(be->barrier());
    }
    t0 = bench_now_ns();
    for (uint64_t i = 0; i < iters; i++) {
        SUITE_TRY(be->barrier());
    }
    t1 = bench_now_ns();
    us[0] = suite_secs(t0, t1) * 1e6 / (double)iters;

    if (coll_ncols(be) == 3) {
        size_t count = size / sizeof(double), bad;
        double *in = c->sbuf, *out = c->rbuf;

        if (size < sizeof(double) || size % sizeof(double) != 0) {
            fprintf(stderr, "bp-bench coll: size %zu: allreduce sums doubles: sizes are "
                    "multiples of 8\n", size);
            return -1;
        }
        bench_pattern_fill(c->sbuf, size, (uint64_t)size);
        bench_pattern_fill(c->rbuf, size, (uint64_t)size + 1);
        SUITE_TRY(coll_timed(c, coll_bcast_op, size, warmup, iters, &us[1]));
        bad = (c->rank == 0) ? size : bench_pattern_check(c->rbuf, size, (uint64_t)size);
        if (bad != size) {
            fprintf(stderr, "bp-bench coll: rank %d: size %zu: bcast delivered wrong data at "
                    "byte %zu\n", c->rank, size, bad);
            return -1;
        }
        for (size_t i = 0; i < count; i++) {
            in[i] = (double)(c->rank + 1);
        }
        SUITE_TRY(coll_timed(c, coll_allreduce_op, size, warmup, iters, &us[2]));
        for (size_t i = 0; i < count; i++) {
            if (out[i] != (double)n * (n + 1) / 2) {
                fprintf(stderr, "bp-bench coll: rank %d: allreduce gave %g at %zu, expected "
                        "%g\n", c->rank, out[i], i, (double)n * (n + 1) / 2);
                return -1;
            }
        }
    }
    for (size_t k = 0; k < coll_ncols(be); k++) {
        SUITE_TRY(coll_mean(c, us[k], &values[k]));
    }
    return 0;
}

/* --- the table of benchmarks, and the common run ------------------------------------- */

static const suite_mode_t suite_modes[] = {
    { .name = "lat", .min_default = 0, .iters_small = 10000, .iters_large = 1000,
      .warmup_small = 1000, .warmup_large = 100, .ncols = 1, .cols = { "latency_us" },
      .titles = { "Latency (us)" }, .measure = lat_measure },
    { .name = "bw", .min_default = 1, .iters_small = 100, .iters_large = 20,
      .warmup_small = 10, .warmup_large = 2, .ncols = 1, .cols = { "bandwidth_MBps" },
      .titles = { "Bandwidth (MB/s)" }, .measure = bw_measure },
    { .name = "bibw", .min_default = 1, .iters_small = 100, .iters_large = 20,
      .warmup_small = 10, .warmup_large = 2, .ncols = 1, .cols = { "bandwidth_MBps" },
      .titles = { "Bandwidth (MB/s)" }, .measure = bibw_measure },
    { .name = "mr", .min_default = 1, .iters_small = 100, .iters_large = 20,
      .warmup_small = 10, .warmup_large = 2, .ncols = 2,
      .cols = { "bandwidth_MBps", "messages_per_s" },
      .titles = { "MB/s", "Messages/s" }, .measure = mr_measure },
    { .name = "coll", .min_default = 8, .max_default = 8, .iters_small = 10000,
      .iters_large = 1000, .warmup_small = 1000, .warmup_large = 100, .ncols = 3,
      .cols = { "barrier_us", "bcast_us", "allreduce_us" },
      .titles = { "Barrier (us)", "Bcast (us)", "Allreduce (us)" }, .measure = coll_measure,
      .ncols_for = coll_ncols },
};

static const suite_mode_t *suite_mode_find(const char *name)
{
    for (size_t k = 0; k < sizeof(suite_modes) / sizeof(suite_modes[0]); k++) {
        if (strcmp(name, suite_modes[k].name) == 0) {
            return &suite_modes[k];
        }
    }
    return NULL;
}

int bench_suite_has(const char *mode)
{
    return suite_mode_find(mode) != NULL;
}

int bench_suite_check(const char *mode, const bench_opts_t *opts)
{
    if (opts->runs != 0 || opts->quick || opts->out_dir != NULL || opts->skip != NULL
        || opts->timeout != 0) {
        fprintf(stderr, "bp-bench %s: --runs, --quick, --out, --skip and --timeout are "
                "compare's options\n", mode);
        return -1;
    }
    return 0;
}

/* Rank r of the pairs' senders (r < pairs) on the first CPU, their peers on the second. */
static int suite_pin(const bench_opts_t *opts, int rank, int pairs)
{
    cpu_set_t set;
    int cpu = opts->cpus[rank < pairs ? 0 : 1];

    CPU_ZERO(&set);
    CPU_SET(cpu, &set);
    if (sched_setaffinity(0, sizeof(set), &set) != 0) {
        fprintf(stderr, "bp-bench: rank %d: sched_setaffinity to cpu %d: %s\n", rank, cpu,
                strerror(errno));
        return -1;
    }
    return 0;
}

int bench_suite_run(const bench_be_t *be, const bench_opts_t *opts, int *argc_p,
                    char ***argv_p)
{
    const suite_mode_t *m = suite_mode_find(opts->mode);
    size_t default_sizes[BENCH_MAX_SIZES];
    const size_t *sizes = opts->sizes;
    size_t nsizes = opts->nsizes, max = 0;
    int format = bench_out_format(opts->csv, opts->json);
    int progress, njob;
    suite_ctx_t c = { .be = be, .pairs = opts->pairs > 0 ? opts->pairs : 1 };
    size_t ncols = m->ncols_for != NULL ? m->ncols_for(be) : m->ncols;
    bench_out_t out;

    if (nsizes == 0) {
        nsizes = bench_sizes_pow2(m->min_default,
                                  m->max_default != 0 ? m->max_default : SUITE_MAX_DEFAULT,
                                  default_sizes, BENCH_MAX_SIZES);
        sizes = default_sizes;
    }
    for (size_t k = 0; k < nsizes; k++) {
        max = (sizes[k] > max) ? sizes[k] : max;
    }

    if (be->init(be, opts, argc_p, argv_p) != 0) {
        return BENCH_EXIT_FAIL;
    }
    c.rank = be->rank();
    njob = be->size();
    if (njob != 2 * c.pairs) {
        if (c.rank == 0) {
            fprintf(stderr, "bp-bench %s: %d pair%s need%s %d ranks, the job has %d (%s)\n",
                    m->name, c.pairs, c.pairs == 1 ? "" : "s", c.pairs == 1 ? "s" : "",
                    2 * c.pairs, njob, strcmp(be->name, "bypass") == 0
                    ? "run it as `bprun -n 2P bp-bench ...`"
                    : strcmp(be->name, "mpi") == 0 ? "start 2P ranks with the MPI launcher"
                                                   : "the kernel baselines run one pair");
        }
        return (be->finalize() == 0) ? BENCH_EXIT_USAGE : BENCH_EXIT_FAIL;
    }
    c.sender = (c.rank < c.pairs);
    c.peer = c.sender ? c.rank + c.pairs : c.rank - c.pairs;
    /* From here a failure exits without finalize, which waits for every rank: the peers
     * learn it from the backend (a dead peer, a closed socket, the MPI launcher). */
    if (opts->ncpus == 2 && suite_pin(opts, c.rank, c.pairs) != 0) {
        return BENCH_EXIT_FAIL;
    }
    c.sbuf = bench_buf_alloc(max);
    c.rbuf = bench_buf_alloc(max);
    if (c.sbuf == NULL || c.rbuf == NULL) {
        return BENCH_EXIT_FAIL;
    }

    progress = (c.rank == 0 && !opts->quiet && (format != BENCH_FMT_TABLE || !isatty(1)));
    if (c.rank == 0) {
        bench_out_begin(&out, format, ncols, m->cols);
        bench_out_meta(&out, "benchmark", "%s", m->name);
        bench_out_meta(&out, "backend", "%s", be->name);
        bench_out_meta(&out, "library", "%s", be->describe());
        bench_out_meta(&out, "pairs", "%d", c.pairs);
        bench_out_table(&out, ncols, m->titles);
    }

    for (size_t k = 0; k < nsizes; k++) {
        size_t size = sizes[k];
        int large = (size > SUITE_LARGE);
        uint64_t iters = opts->iters != 0 ? opts->iters
                                          : (large ? m->iters_large : m->iters_small);
        uint64_t warmup = opts->warmup >= 0 ? (uint64_t)opts->warmup
                                            : (large ? m->warmup_large : m->warmup_small);
        double values[BENCH_MAX_COLS] = { 0.0, 0.0, 0.0, 0.0 };

        if (m->measure(&c, size, warmup, iters, values) != 0) {
            if (c.rank == 0) {
                fprintf(stderr, "bp-bench %s: failed at size %zu\n", m->name, size);
            }
            return BENCH_EXIT_FAIL;
        }
        if (c.rank == 0) {
            bench_out_rowv(&out, m->name, size, ncols, values);
            if (progress) {
                fprintf(stderr, "bp-bench %s: %s: size %zu done (%zu/%zu): %.3f %s\n",
                        m->name, be->name, size, k + 1, nsizes, values[ncols - 1],
                        m->cols[ncols - 1]);
            }
        }
    }
    if (c.rank == 0) {
        bench_out_end(&out);
    }
    free(c.sbuf);
    free(c.rbuf);
    return (be->finalize() == 0) ? BENCH_EXIT_OK : BENCH_EXIT_FAIL;
}
