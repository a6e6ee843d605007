/*
 * boot.h - how a process learns its rank, the job's size, the job key, and every peer's
 * business card. One implementation per launcher (bprun.c, single.c; PMIx and PMI later),
 * chosen from the environment by bpi_boot_open(). The core calls only what is here.
 */
#ifndef BPI_BOOT_H
#define BPI_BOOT_H

#include <stddef.h>
#include <stdint.h>

#include "bypass.h"

typedef struct bpi_boot bpi_boot_t;

struct bpi_boot {
    const char *name; /* "bprun", "singleton", ... */
    int rank;
    int size;
    uint64_t jobkey;  /* the same on every rank of a job, different between jobs */

    /*
     * Collective: every rank contributes len bytes (len is the same on every rank); out
     * receives size * len bytes, rank r's contribution at out + r * len. Also a barrier.
     */
    bp_status_t (*allgather)(bpi_boot_t *boot, const void *in, size_t len, void *out);
    void (*close)(bpi_boot_t *boot);
    void *priv;
};

/* Picks the bootstrap from the environment (bprun's variables, else a singleton). */
bp_status_t bpi_boot_open(bpi_boot_t **boot_p);

/* The implementations, for bpi_boot_open and for tests. */
bp_status_t bpi_boot_bprun_open(bpi_boot_t **boot_p);
bp_status_t bpi_boot_single_open(bpi_boot_t **boot_p);

/* Present when the process was started by bprun (BPRUN_FD is set). */
int bpi_boot_bprun_present(void);

#endif
