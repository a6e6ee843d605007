/* bench_sizes.c - bp-bench's --sizes parser (tools/bench_util.h): ranges, lists, suffixes,
 * and what it must refuse. */
#include <stdio.h>
#include <stdlib.h>

#include "bench_util.h"

static int failures;

/* arg must parse to exactly the n sizes of want. */
static void expect_ok(const char *arg, const size_t *want, size_t n)
{
    size_t got[BENCH_MAX_SIZES], ngot = 0;

    if (bench_sizes_parse(arg, got, &ngot) != 0) {
        fprintf(stderr, "FAIL: '%s' was refused\n", arg);
        failures++;
        return;
    }
    if (ngot != n) {
        fprintf(stderr, "FAIL: '%s': %zu sizes, expected %zu\n", arg, ngot, n);
        failures++;
        return;
    }
    for (size_t k = 0; k < n; k++) {
        if (got[k] != want[k]) {
            fprintf(stderr, "FAIL: '%s': size %zu is %zu, expected %zu\n", arg, k, got[k],
                    want[k]);
            failures++;
        }
    }
}

static void expect_refused(const char *arg)
{
    size_t got[BENCH_MAX_SIZES], ngot = 0;

    if (bench_sizes_parse(arg, got, &ngot) == 0) {
        fprintf(stderr, "FAIL: '%s' was accepted (%zu sizes)\n", arg, ngot);
        failures++;
    }
}

int main(void)
{
    static const size_t range0[] = { 0, 1, 2, 4, 8 };
    static const size_t range3[] = { 4, 8, 16 };
    static const size_t list[] = { 8, 4096, 2 * 1024 * 1024, 0 };
    static const size_t one[] = { 1024 };
    static const size_t big[] = { 1024u * 1024 * 1024 };
    size_t got[BENCH_MAX_SIZES], n = 0;

    expect_ok("0:8", range0, 5);
    expect_ok("3:16", range3, 3);   /* powers of two inside the range only */
    expect_ok("8,4K,2M,0", list, 4); /* a list keeps its order */
    expect_ok("1k", one, 1);
    expect_ok("1024M", big, 1);
    if (bench_sizes_parse("0:4M", got, &n) != 0 || n != 24 || got[23] != 4u * 1024 * 1024) {
        fprintf(stderr, "FAIL: '0:4M': %zu sizes, expected 24 ending at 4M\n", n);
        failures++;
    }

    expect_refused("");
    expect_refused("abc");
    expect_refused("-1");
    expect_refused("8:4");       /* min above max */
    expect_refused("5:7");       /* no power of two */
    expect_refused("1025M");     /* beyond 1 GiB */
    expect_refused("4G");
    expect_refused("8,,16");
    expect_refused(",8");
    expect_refused("8,");
    expect_refused("8:");
    expect_refused(":8");
    expect_refused("1 ");
    expect_refused("99999999999999999999999");

    if (failures != 0) {
        fprintf(stderr, "%d failure(s)\n", failures);
        return 1;
    }
    printf("bench_sizes: ok\n");
    return 0;
}
