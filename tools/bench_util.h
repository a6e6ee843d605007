/*
 * bench_util.h - what every bp-bench mode shares and no mode owns: the command-line options,
 * size lists, clocks, page-aligned buffers, fill patterns and the OSU-style output (plain
 * tables or CSV). Backend-free: nothing here calls bypass, so an MPI backend of the same
 * benchmarks can include it too. Header-only, all static, for the one or two tools using it.
 */
#ifndef BENCH_UTIL_H
#define BENCH_UTIL_H

#include <ctype.h>
#include <errno.h>
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

/* OSU's output format: sizes left in 10 columns, values right in 20 with 2 decimals. */
#define BENCH_SIZE_WIDTH 10
#define BENCH_FIELD_WIDTH 20
#define BENCH_PRECISION 2
#define BENCH_CSV_PRECISION 3 /* a little more for machines: base's latencies are ~0.1 us */

/* --- options ------------------------------------------------------------------------- */

/* The command line, parsed but not yet interpreted: 0 / -1 / empty mean "mode's default". */
typedef struct bench_opts {
    const char *mode;               /* first non-option argument; NULL if none */
    size_t sizes[BENCH_MAX_SIZES];  /* --sizes, expanded */
    size_t nsizes;                  /* 0: the mode's default sizes */
    uint64_t iters;                 /* --iters; 0: the mode's default */
    int64_t warmup;                 /* --warmup; -1: the mode's default */
    int cpus[2];                    /* --cpus A,B */
    int ncpus;                      /* 0: not given */
    int csv;                        /* --csv */
    int help;                       /* --help */
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
 * argument is the mode. 0 on success, -1 after a message on stderr (the caller prints the
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
            if (opts->mode != NULL) {
                fprintf(stderr, "bp-bench: unexpected argument '%s'\n", arg);
                return -1;
            }
            opts->mode = arg;
            continue;
        }

#define BENCH_OPT_IS(name) (namelen == strlen(name) && strncmp(arg, name, namelen) == 0)
        if (BENCH_OPT_IS("--csv") || BENCH_OPT_IS("--help")) {
            if (eq != NULL) {
                fprintf(stderr, "bp-bench: %.*s takes no value\n", (int)namelen, arg);
                return -1;
            }
            if (BENCH_OPT_IS("--csv")) {
                opts->csv = 1;
            } else {
                opts->help = 1;
            }
            continue;
        }
        if (!BENCH_OPT_IS("--sizes") && !BENCH_OPT_IS("--iters") && !BENCH_OPT_IS("--warmup")
            && !BENCH_OPT_IS("--cpus")) {
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
 * "%-10zu%20.2f" row per size. With --csv only a header line and comma rows: "size,<value>"
 * for a mode with one table, "kind,size,value" for one with several. Each row is flushed as
 * it is printed, so a long run shows its progress.
 */
typedef struct bench_out {
    int csv;
    int kinded; /* CSV rows start with the table's kind */
} bench_out_t;

/* csv_value names the CSV value column of a one-table mode; NULL for "kind,size,value". */
static inline void bench_out_begin(bench_out_t *out, int csv, const char *csv_value)
{
    out->csv = csv;
    out->kinded = (csv_value == NULL);
    if (csv) {
        printf("%s%s\n", out->kinded ? "kind,size," : "size,",
               out->kinded ? "value" : csv_value);
        fflush(stdout);
    }
}

/* A "# ..." comment line; nothing in CSV. */
__attribute__((format(printf, 2, 3))) static inline void bench_out_comment(
    const bench_out_t *out, const char *fmt, ...)
{
    va_list ap;

    if (out->csv) {
        return;
    }
    printf("# ");
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    printf("\n");
}

/* A table's column header, e.g. "Latency (us)"; nothing in CSV. */
static inline void bench_out_table(const bench_out_t *out, const char *value_column)
{
    if (out->csv) {
        return;
    }
    printf("%-*s%*s\n", BENCH_SIZE_WIDTH, "# Size", BENCH_FIELD_WIDTH, value_column);
    fflush(stdout);
}

/* One row; kind names its table, the first CSV column of a kinded output. */
static inline void bench_out_row(const bench_out_t *out, const char *kind, size_t size,
                                 double value)
{
    if (!out->csv) {
        printf("%-*zu%*.*f\n", BENCH_SIZE_WIDTH, size, BENCH_FIELD_WIDTH, BENCH_PRECISION,
               value);
    } else if (out->kinded) {
        printf("%s,%zu,%.*f\n", kind, size, BENCH_CSV_PRECISION, value);
    } else {
        printf("%zu,%.*f\n", size, BENCH_CSV_PRECISION, value);
    }
    fflush(stdout);
}

#endif /* BENCH_UTIL_H */
