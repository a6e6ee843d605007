/*
 * boot_allgather.c - started by bprun with N ranks: several allgather rounds of growing
 * sizes (up to 256 KiB per rank, more than a socket buffer) through bpi_boot_open(); every
 * rank checks every entry and that the job key is the same everywhere.
 *
 *   boot_allgather EXPECTED_SIZE ROUNDS
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "boot/boot.h"
#include "boot_test.h"

typedef struct entry {
    uint64_t jobkey;
    int32_t rank;
    int32_t round;
} entry_t;

static unsigned char pattern(int rank, int round, size_t i)
{
    return (unsigned char)(rank * 31 + round * 7 + i * 13);
}

int main(int argc, char **argv)
{
    bpi_boot_t *boot = NULL;
    int expected_size, rounds, round, r;

    BOOT_CHECK(argc == 3);
    expected_size = atoi(argv[1]);
    rounds = atoi(argv[2]);

    BOOT_CHECK_EQ(bpi_boot_open(&boot), BP_OK);
    BOOT_CHECK(strcmp(boot->name, expected_size == 1 && getenv("BPRUN_FD") == NULL
                                      ? "singleton" : "bprun") == 0);
    BOOT_CHECK_EQ(boot->size, expected_size);
    BOOT_CHECK(boot->rank >= 0 && boot->rank < boot->size);

    for (round = 0; round < rounds; round++) {
        /* Sizes: 16 bytes, then 1 KiB, 64 KiB, 256 KiB, and back. */
        static const size_t extra[] = { 0, 1024, 65536, 262144, 8 };
        size_t len = sizeof(entry_t) + extra[round % 5];
        unsigned char *in = malloc(len);
        unsigned char *out = malloc(len * (size_t)boot->size);
        entry_t e = { .jobkey = boot->jobkey, .rank = boot->rank, .round = round };
        size_t i;

        BOOT_CHECK(in != NULL && out != NULL);
        memcpy(in, &e, sizeof(e));
        for (i = sizeof(e); i < len; i++) {
            in[i] = pattern(boot->rank, round, i);
        }
        memset(out, 0xee, len * (size_t)boot->size);
        BOOT_CHECK_EQ(boot->allgather(boot, in, len, out), BP_OK);
        for (r = 0; r < boot->size; r++) {
            const unsigned char *p = out + (size_t)r * len;
            entry_t got;

            memcpy(&got, p, sizeof(got));
            BOOT_CHECK_EQ(got.rank, r);
            BOOT_CHECK_EQ(got.round, round);
            BOOT_CHECK(got.jobkey == boot->jobkey);
            for (i = sizeof(got); i < len; i++) {
                BOOT_CHECK_EQ(p[i], pattern(r, round, i));
            }
        }
        free(in);
        free(out);
    }
    /* A zero-length round is a barrier. */
    BOOT_CHECK_EQ(boot->allgather(boot, NULL, 0, NULL), BP_OK);
    boot->close(boot);
    return 0;
}
