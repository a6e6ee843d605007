/*
 * single.c - the bootstrap of a process started without a launcher: rank 0 of a job of one,
 * with a job key of its own, so that two such processes never share a segment name.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "boot/boot.h"

/* SplitMix64's finaliser: spreads pid and clock bits over the whole key. */
static uint64_t single_mix(uint64_t x)
{
    x += 0x9e3779b97f4a7c15ull;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
    return x ^ (x >> 31);
}

static uint64_t single_jobkey(void)
{
    struct timespec ts;
    uint64_t key;

    /* GRND_NONBLOCK: never wait for the entropy pool early at boot; fall back instead. */
    if (getrandom(&key, sizeof(key), GRND_NONBLOCK) == (ssize_t)sizeof(key) && key != 0) {
        return key;
    }
    clock_gettime(CLOCK_REALTIME, &ts);
    key = single_mix(((uint64_t)getpid() << 32) ^ (uint64_t)ts.tv_sec);
    key = single_mix(key ^ (uint64_t)ts.tv_nsec);
    return key != 0 ? key : 1;
}

static bp_status_t single_allgather(bpi_boot_t *boot, const void *in, size_t len, void *out)
{
    if (len > 0 && (in == NULL || out == NULL)) {
        return BP_ERR_INVAL;
    }
    if (len > 0 && in != out) {
        memmove(out, in, len);
    }
    return BP_OK;
}

static void single_close(bpi_boot_t *boot)
{
    free(boot);
}

bp_status_t bpi_boot_single_open(bpi_boot_t **boot_p)
{
    bpi_boot_t *boot = calloc(1, sizeof(*boot));

    if (boot == NULL) {
        return BP_ERR_NOMEM;
    }
    boot->name = "singleton";
    boot->rank = 0;
    boot->size = 1;
    boot->jobkey = single_jobkey();
    boot->allgather = single_allgather;
    boot->close = single_close;
    boot->priv = NULL;
    *boot_p = boot;
    return BP_OK;
}
