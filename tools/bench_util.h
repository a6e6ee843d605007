/*
 * bench_util.h - what every bp-bench mode shares and no mode owns: the command-line options,
 * size lists, clocks, page-aligned buffers, fill patterns and the OSU-style output (plain
 * tables, CSV or JSON). Backend-free: nothing here calls bypass, so the MPI build of the same
 * benchmarks (bp-bench-openmpi, bp-bench-mpich) includes it too. Header-only, all static.
 */
#ifndef BENCH_UTIL_H
#define BENCH_UTIL_H

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define BENCH_UNLIKELY(x) __builtin_expect(!!(x), 0)

#define BENCH_KIB ((size_t)1024)
#define BENCH_MIB ((size_t)1024 * 1024)
#define BENCH_MAX_SIZE ((size_t)1024 * 1024 * 1024) /* 1 GiB: beyond is surely a typo */
#define BENCH_MAX_SIZES 64                          /* entries in a --sizes list */
#define BENCH_MAX_COUNT ((uint64_t)1000000000000)   /* --iters / --warmup */
#define BENCH_MAX_PAIRS 1024                        /* --pairs */
#define BENCH_MAX_RUNS 1000                         /* compare --runs */

/* OSU's output format: sizes left in 10 columns, values right in 20 with 2 decimals. */
#define BENCH_SIZE_WIDTH 10
#define BENCH_FIELD_WIDTH 20
#define BENCH_PRECISION 2
#define BENCH_CSV_PRECISION 3 /* a little more for machines: base's latencies are ~0.1 us */

/* --- options ------------------------------------------------------------------------- */

/* The command line, parsed but not yet interpreted: 0 / -1 / empty mean "mode's default". */
typedef struct bench_opts {
    const char *mode;               /* first non-option argument; NULL if none */
    const char *what;               /* second one (compare's benchmark); NULL if none */
    size_t sizes[BENCH_MAX_SIZES];  /* --sizes, expanded */
    size_t nsizes;                  /* 0: the mode's default sizes */
    uint64_t iters;                 /* --iters; 0: the mode's default */
    int64_t warmup;                 /* --warmup; -1: the mode's default */
    int cpus[2];                    /* --cpus A,B */
    int ncpus;                      /* 0: not given */
    int csv;                        /* --csv */
    int json;                       /* --json */
    int help;                       /* --help */
    int quiet;                      /* --quiet: no progress lines on stderr */
    int pairs;                      /* --pairs P; 0: not given (one pair) */
    const char *transport;          /* --transport NAME (native backend); NULL: default */
    const char *backend;            /* --backend NAME; NULL: the build's own (bypass or MPI) */
    /* compare only */
    int runs;                       /* --runs N; 0: default */
    int quick;                      /* --quick */
    const char *out_dir;            /* --out DIR; NULL: results */
    const char *skip;               /* --skip LIST: configurations to leave out */
    uint64_t timeout;               /* --timeout S per launched run; 0: default */
} bench_opts_t;

/*
 * A decimal count or size, no sign, no blanks; with_suffix accepts K or M (KiB, MiB). 0 and
 * *value_p set on success, -1 if s is not such a number or exceeds max.
 */
static inline int bench_parse_u64(const char *s, int with_suffix, uint64_t max,
                                  uint64_t *value_p)
{
    uint64_t mult = 1;
    unsigned long long v;
    char *end;

    if (!isdigit((unsigned char)s[0])) {
        return -1;
    }
    errno = 0;
    v = strtoull(s, &end, 10);
    if (errno != 0) {
        return -1;
    }
    if (with_suffix && (*end == 'K' || *end == 'k')) {
        mult = BENCH_KIB;
        end++;
    } else if (with_suffix && (*end == 'M' || *end == 'm')) {
        mult = BENCH_MIB;
        end++;
    }
    if (*end != '\0' || v > max / mult) {
        return -1;
    }
    *value_p = (uint64_t)v * mult;
    return 0;
}

static inline int bench_parse_size(const char *s, size_t *size_p)
{
    uint64_t v;

    if (bench_parse_u64(s, 1, BENCH_MAX_SIZE, &v) != 0) {
        return -1;
    }
    *size_p = (size_t)v;
    return 0;
}

/* The powers of two in [min, max], and 0 first if min is 0 (OSU's size ladder). */
static inline size_t bench_sizes_pow2(size_t min, size_t max, size_t *sizes, size_t cap)
{
    size_t n = 0;

    if (min == 0 && n < cap) {
        sizes[n++] = 0;
    }
    for (size_t p = 1; p != 0 && p <= max && n < cap; p <<= 1) {
        if (p >= min) {
            sizes[n++] = p;
        }
    }
    return n;
}

/*
 * --sizes: "N" (one size), "MIN:MAX" (the powers of two in the range), or "A,B,C" (those
 * sizes, in that order). Sizes take K and M suffixes. 0 on success, -1 with a message.
 */
static inline int bench_sizes_parse(const char *arg, size_t *sizes, size_t *nsizes_p)
{
    const char *colon = strchr(arg, ':');
    char buf[1024];
    size_t n = 0;

    if (strlen(arg) >= sizeof(buf)) {
        fprintf(stderr, "bp-bench: --sizes: list too long\n");
        return -1;
    }
    strcpy(buf, arg);

    if (colon != NULL) {
        const char *max_str = buf + (colon - arg) + 1;
        size_t min, max;

        buf[colon - arg] = '\0'; /* buf is now MIN, max_str MAX */
        if (bench_parse_size(buf, &min) != 0 || bench_parse_size(max_str, &max) != 0) {
            fprintf(stderr, "bp-bench: --sizes %s: expected MIN:MAX, sizes up to 1024M\n", arg);
            return -1;
        }
        n = bench_sizes_pow2(min, max, sizes, BENCH_MAX_SIZES);
        if (min > max || n == 0) {
            fprintf(stderr, "bp-bench: --sizes %s: no power of two in the range\n", arg);
            return -1;
        }
        *nsizes_p = n;
        return 0;
    }

    for (char *save = NULL, *tok = strtok_r(buf, ",", &save); tok != NULL;
         tok = strtok_r(NULL, ",", &save)) {
        if (n == BENCH_MAX_SIZES) {
            fprintf(stderr, "bp-bench: --sizes: more than %d sizes\n", BENCH_MAX_SIZES);
            return -1;
        }
        if (bench_parse_size(tok, &sizes[n]) != 0) {
            fprintf(stderr, "bp-bench: --sizes: '%s' is not a size up to 1024M\n", tok);
            return -1;
        }
        n++;
    }
    if (n == 0 || arg[strlen(arg) - 1] == ',' || arg[0] == ',' || strstr(arg, ",,") != NULL) {
        fprintf(stderr, "bp-bench: --sizes %s: empty size\n", arg);
        return -1;
    }
    *nsizes_p = n;
    return 0;
}

/* --cpus A,B: two different CPU numbers. */
static inline int bench_cpus_parse(const char *arg, int cpus[2])
{
    const char *comma = strchr(arg, ',');
    char first[32];
    uint64_t a, b;

    if (comma == NULL || (size_t)(comma - arg) >= sizeof(first)) {
        goto err;
    }
    memcpy(first, arg, (size_t)(comma - arg));
    first[comma - arg] = '\0';
    if (bench_parse_u64(first, 0, 4095, &a) != 0 || bench_parse_u64(comma + 1, 0, 4095, &b) != 0
        || a == b) {
        goto err;
    }
    cpus[0] = (int)a;
    cpus[1] = (int)b;
    return 0;

err:
    fprintf(stderr, "bp-bench: --cpus %s: expected two different CPU numbers A,B\n", arg);
    return -1;
}

/*
 * The common options, "--opt VALUE" or "--opt=VALUE", anywhere on the line; the first other
 * argument is the mode, the second one (compare's) what it runs. 0 on success, -1 after a message on stderr (the caller prints the
 * usage and exits 2). Whether an option makes sense for the mode is the mode's call.
 */
static inline int bench_opts_parse(int argc, char **argv, bench_opts_t *opts)
{
    memset(opts, 0, sizeof(*opts));
    opts->warmup = -1;

    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i];
        const char *eq = strchr(arg, '=');
        size_t namelen = (eq != NULL) ? (size_t)(eq - arg) : strlen(arg);
        const char *value = NULL;
        uint64_t v;

        if (strncmp(arg, "--", 2) != 0) {
            if (opts->mode == NULL) {
                opts->mode = arg;
            } else if (opts->what == NULL) {
                opts->what = arg;
            } else {
                fprintf(stderr, "bp-bench: unexpected argument '%s'\n", arg);
                return -1;
            }
            continue;
        }

#define BENCH_OPT_IS(name) (namelen == strlen(name) && strncmp(arg, name, namelen) == 0)
        if (BENCH_OPT_IS("--csv") || BENCH_OPT_IS("--json") || BENCH_OPT_IS("--help")
            || BENCH_OPT_IS("--quick") || BENCH_OPT_IS("--quiet")) {
            if (eq != NULL) {
                fprintf(stderr, "bp-bench: %.*s takes no value\n", (int)namelen, arg);
                return -1;
            }
            if (BENCH_OPT_IS("--csv")) {
                opts->csv = 1;
            } else if (BENCH_OPT_IS("--json")) {
                opts->json = 1;
            } else if (BENCH_OPT_IS("--quick")) {
                opts->quick = 1;
            } else if (BENCH_OPT_IS("--quiet")) {
                opts->quiet = 1;
            } else {
                opts->help = 1;
            }
            continue;
        }
        if (!BENCH_OPT_IS("--sizes") && !BENCH_OPT_IS("--iters") && !BENCH_OPT_IS("--warmup")
            && !BENCH_OPT_IS("--cpus") && !BENCH_OPT_IS("--pairs")
            && !BENCH_OPT_IS("--transport") && !BENCH_OPT_IS("--backend")
            && !BENCH_OPT_IS("--runs") && !BENCH_OPT_IS("--out") && !BENCH_OPT_IS("--skip")
            && !BENCH_OPT_IS("--timeout")) {
            fprintf(stderr, "bp-bench: unknown option '%s'\n", arg);
            return -1;
        }
        if (eq != NULL) {
            value = eq + 1;
        } else if (i + 1 < argc) {
            value = argv[++i];
        } else {
            fprintf(stderr, "bp-bench: %s needs a value\n", arg);
            return -1;
        }

        if (BENCH_OPT_IS("--sizes")) {
            if (bench_sizes_parse(value, opts->sizes, &opts->nsizes) != 0) {
                return -1;
            }
        } else if (BENCH_OPT_IS("--cpus")) {
            if (bench_cpus_parse(value, opts->cpus) != 0) {
                return -1;
            }
            opts->ncpus = 2;
        } else if (BENCH_OPT_IS("--transport") || BENCH_OPT_IS("--backend")
                   || BENCH_OPT_IS("--out") || BENCH_OPT_IS("--skip")) {
            if (value[0] == '\0') {
                fprintf(stderr, "bp-bench: %.*s needs a non-empty value\n", (int)namelen, arg);
                return -1;
            }
            if (BENCH_OPT_IS("--transport")) {
                opts->transport = value;
            } else if (BENCH_OPT_IS("--backend")) {
                opts->backend = value;
            } else if (BENCH_OPT_IS("--out")) {
                opts->out_dir = value;
            } else {
                opts->skip = value;
            }
        } else if (BENCH_OPT_IS("--pairs") || BENCH_OPT_IS("--runs")
                   || BENCH_OPT_IS("--timeout")) {
            uint64_t max = BENCH_OPT_IS("--pairs") ? BENCH_MAX_PAIRS
                           : BENCH_OPT_IS("--runs") ? BENCH_MAX_RUNS : 86400;

            if (bench_parse_u64(value, 0, max, &v) != 0 || v == 0) {
                fprintf(stderr, "bp-bench: %.*s %s: expected a count from 1 to %llu\n",
                        (int)namelen, arg, value, (unsigned long long)max);
                return -1;
            }
            if (BENCH_OPT_IS("--pairs")) {
                opts->pairs = (int)v;
            } else if (BENCH_OPT_IS("--runs")) {
                opts->runs = (int)v;
            } else {
                opts->timeout = v;
            }
        } else if (bench_parse_u64(value, 0, BENCH_MAX_COUNT, &v) != 0
                   || (BENCH_OPT_IS("--iters") && v == 0)) {
            fprintf(stderr, "bp-bench: %.*s %s: expected a count%s\n", (int)namelen, arg,
                    value, BENCH_OPT_IS("--iters") ? " of at least 1" : "");
            return -1;
        } else if (BENCH_OPT_IS("--iters")) {
            opts->iters = v;
        } else {
            opts->warmup = (int64_t)v;
        }
#undef BENCH_OPT_IS
    }
    if (opts->csv && opts->json) {
        fprintf(stderr, "bp-bench: --csv and --json exclude each other\n");
        return -1;
    }
    return 0;
}

/* --- clock, buffers, patterns -------------------------------------------------------- */

/* CLOCK_MONOTONIC is read in the vDSO on Linux: no syscall in a timed region. */
static inline uint64_t bench_now_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Page-aligned, at least one page, every page touched (no first-touch fault when timed).
 * NULL after a message on stderr. */
static inline void *bench_buf_alloc(size_t size)
{
    long page = sysconf(_SC_PAGESIZE);
    void *buf;
    int err;

    if (page <= 0) {
        page = 4096;
    }
    if (size < (size_t)page) {
        size = (size_t)page;
    }
    err = posix_memalign(&buf, (size_t)page, size);
    if (err != 0) {
        fprintf(stderr, "bp-bench: allocating %zu bytes: %s\n", size, strerror(err));
        return NULL;
    }
    memset(buf, 0, size);
    return buf;
}

/*
 * Byte j of the pattern with seed s. Changing the seed by one changes every byte, and the
 * j >> 8 term keeps a copy shifted by a multiple of 256 from matching.
 */
static inline uint8_t bench_pattern_byte(uint64_t seed, size_t j)
{
    return (uint8_t)(seed + j + (j >> 8));
}

static inline void bench_pattern_fill(void *buf, size_t len, uint64_t seed)
{
    uint8_t *p = buf;

    for (size_t j = 0; j < len; j++) {
        p[j] = bench_pattern_byte(seed, j);
    }
}

/* The offset of the first byte that is not the pattern, or len if all are. */
static inline size_t bench_pattern_check(const void *buf, size_t len, uint64_t seed)
{
    const uint8_t *p = buf;

    for (size_t j = 0; j < len; j++) {
        if (p[j] != bench_pattern_byte(seed, j)) {
            return j;
        }
    }
    return len;
}

/* --- output -------------------------------------------------------------------------- */

/*
 * OSU-style output: "# ..." comment lines, a column header per table, then one
 * "%-10zu%20.2f..." row per size. With --csv only a header line and comma rows:
 * "size,<col>[,<col>]" for a mode with one table, "kind,size,value" for one with several
 * (base). With --json one object: {"key": "value", ..., "rows": [{"size": N, "<col>": v},
 * ...]}, rows of a kinded output carrying "kind" and "value". Each row is flushed as it is
 * printed, so a long run shows its progress and a killed run keeps what it measured.
 */
enum { BENCH_FMT_TABLE, BENCH_FMT_CSV, BENCH_FMT_JSON };

#define BENCH_MAX_COLS 4

typedef struct bench_out {
    int format;
    int kinded;                          /* several tables: rows carry their kind */
    size_t ncols;                        /* value columns of a one-table mode */
    const char *cols[BENCH_MAX_COLS];
    size_t nrows;                        /* rows printed (JSON: comma before the next) */
} bench_out_t;

/* For bench_out_begin: the format asked for on the command line. */
static inline int bench_out_format(int csv, int json)
{
    return json ? BENCH_FMT_JSON : (csv ? BENCH_FMT_CSV : BENCH_FMT_TABLE);
}

/* A JSON string: s with quotes, backslashes and control characters escaped. */
static inline void bench_json_str(const char *s)
{
    putchar('"');
    for (const unsigned char *p = (const unsigned char *)s; *p != '\0'; p++) {
        if (*p == '"' || *p == '\\') {
            printf("\\%c", *p);
        } else if (*p < 0x20) {
            printf("\\u%04x", *p);
        } else {
            putchar(*p);
        }
    }
    putchar('"');
}

/*
 * cols names the ncols value columns of a one-table mode (CSV header, JSON keys); ncols 0
 * makes a kinded output ("kind,size,value"). Only rank 0 prints: others pass print = 0.
 */
static inline void bench_out_begin(bench_out_t *out, int format, size_t ncols,
                                   const char *const *cols)
{
    memset(out, 0, sizeof(*out));
    out->format = format;
    out->kinded = (ncols == 0);
    out->ncols = (ncols > BENCH_MAX_COLS) ? BENCH_MAX_COLS : ncols;
    for (size_t c = 0; c < out->ncols; c++) {
        out->cols[c] = cols[c];
    }
    if (format == BENCH_FMT_CSV) {
        printf("%s", out->kinded ? "kind,size,value" : "size");
        for (size_t c = 0; c < out->ncols; c++) {
            printf(",%s", out->cols[c]);
        }
        printf("\n");
    } else if (format == BENCH_FMT_JSON) {
        printf("{");
    }
    fflush(stdout);
}

/* A "key": "value" pair of the JSON object (before any row); a "# key: value" comment line
 * in a table; nothing in CSV. */
__attribute__((format(printf, 3, 4))) static inline void bench_out_meta(
    const bench_out_t *out, const char *key, const char *fmt, ...)
{
    char value[256];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(value, sizeof(value), fmt, ap);
    va_end(ap);
    if (out->format == BENCH_FMT_JSON) {
        bench_json_str(key);
        printf(": ");
        bench_json_str(value);
        printf(", ");
    } else if (out->format == BENCH_FMT_TABLE) {
        printf("# %s: %s\n", key, value);
    }
}

/* A "# ..." comment line; nothing in CSV or JSON. */
__attribute__((format(printf, 2, 3))) static inline void bench_out_comment(
    const bench_out_t *out, const char *fmt, ...)
{
    va_list ap;

    if (out->format != BENCH_FMT_TABLE) {
        return;
    }
    printf("# ");
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    printf("\n");
}

/* A table's column header: "Latency (us)" or several, e.g. "MB/s", "Messages/s"; nothing in
 * CSV or JSON. */
static inline void bench_out_table(const bench_out_t *out, size_t n, const char *const *titles)
{
    if (out->format != BENCH_FMT_TABLE) {
        return;
    }
    printf("%-*s", BENCH_SIZE_WIDTH, "# Size");
    for (size_t c = 0; c < n; c++) {
        printf("%*s", BENCH_FIELD_WIDTH, titles[c]);
    }
    printf("\n");
    fflush(stdout);
}

static inline void bench_json_num(double v)
{
    if (isfinite(v)) {
        printf("%.*f", BENCH_CSV_PRECISION, v);
    } else {
        printf("null");
    }
}

/* One row of n values; kind names its table in a kinded output (ignored otherwise). */
static inline void bench_out_rowv(bench_out_t *out, const char *kind, size_t size, size_t n,
                                  const double *values)
{
    if (out->format == BENCH_FMT_TABLE) {
        printf("%-*zu", BENCH_SIZE_WIDTH, size);
        for (size_t c = 0; c < n; c++) {
            printf("%*.*f", BENCH_FIELD_WIDTH, BENCH_PRECISION, values[c]);
        }
        printf("\n");
    } else if (out->format == BENCH_FMT_CSV) {
        if (out->kinded) {
            printf("%s,", kind);
        }
        printf("%zu", size);
        for (size_t c = 0; c < n; c++) {
            printf(",%.*f", BENCH_CSV_PRECISION, values[c]);
        }
        printf("\n");
    } else {
        printf("%s{", out->nrows == 0 ? "\"rows\": [\n  " : ",\n  ");
        if (out->kinded) {
            printf("\"kind\": ");
            bench_json_str(kind);
            printf(", ");
        }
        printf("\"size\": %zu", size);
        for (size_t c = 0; c < n; c++) {
            printf(", ");
            bench_json_str(out->kinded ? "value" : (c < out->ncols ? out->cols[c] : "value"));
            printf(": ");
            bench_json_num(values[c]);
        }
        printf("}");
    }
    out->nrows++;
    fflush(stdout);
}

static inline void bench_out_row(bench_out_t *out, const char *kind, size_t size, double value)
{
    bench_out_rowv(out, kind, size, 1, &value);
}

/* Closes the JSON object; nothing to do for the others. */
static inline void bench_out_end(bench_out_t *out)
{
    if (out->format == BENCH_FMT_JSON) {
        printf("%s]}\n", out->nrows == 0 ? "\"rows\": [" : "\n");
        fflush(stdout);
    }
}

#endif /* BENCH_UTIL_H */
