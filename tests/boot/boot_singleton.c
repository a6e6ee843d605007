/*
 * boot_singleton.c - without a launcher, bpi_boot_open() gives a singleton: rank 0 of 1, a
 * non-zero job key that differs between two opens, and an allgather that copies in to out.
 */
#include <stdlib.h>
#include <string.h>

#include "boot/boot.h"
#include "boot_test.h"

int main(void)
{
    bpi_boot_t *a = NULL, *b = NULL;
    char in[] = "singleton contribution";
    char out[sizeof(in)];

    unsetenv("BPRUN_FD");
    BOOT_CHECK_EQ(bpi_boot_bprun_present(), 0);
    BOOT_CHECK_EQ(bpi_boot_open(&a), BP_OK);
    BOOT_CHECK(strcmp(a->name, "singleton") == 0);
    BOOT_CHECK_EQ(a->rank, 0);
    BOOT_CHECK_EQ(a->size, 1);
    BOOT_CHECK(a->jobkey != 0);

    memset(out, 0, sizeof(out));
    BOOT_CHECK_EQ(a->allgather(a, in, sizeof(in), out), BP_OK);
    BOOT_CHECK_EQ(memcmp(in, out, sizeof(in)), 0);
    BOOT_CHECK_EQ(a->allgather(a, in, sizeof(in), in), BP_OK);
    BOOT_CHECK_EQ(a->allgather(a, NULL, 0, NULL), BP_OK);

    BOOT_CHECK_EQ(bpi_boot_single_open(&b), BP_OK);
    BOOT_CHECK(b->jobkey != a->jobkey);
    b->close(b);
    a->close(a);
    return 0;
}
