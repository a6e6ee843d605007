/*
 * boot.h - how a process learns its rank, the job's size, the job key, and every peer's
 * business card. One implementation per launcher (pmix.c, pmi.c, bprun.c, single.c), chosen
 * from the environment (or forced by BP_BOOT) by bpi_boot_open(). The core calls only what is
 * here.
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

/*
 * Picks the bootstrap: BP_BOOT=auto|pmix|pmi2|pmi1|bprun|singleton (unset: auto). auto takes
 * PMIx, then PMI-2 (PMI_FD, or PMI_PORT and PMI_ID), then bprun (BPRUN_FD), else a singleton.
 * An unknown BP_BOOT is BP_ERR_CONFIG; forcing one whose launcher is absent is BP_ERR_BOOT.
 */
bp_status_t bpi_boot_open(bpi_boot_t **boot_p);

/* The implementations, for bpi_boot_open and for tests. */
bp_status_t bpi_boot_bprun_open(bpi_boot_t **boot_p);
bp_status_t bpi_boot_single_open(bpi_boot_t **boot_p);
bp_status_t bpi_boot_pmi_open(int version, bpi_boot_t **boot_p); /* version 1 or 2 */
bp_status_t bpi_boot_pmix_open(bpi_boot_t **boot_p); /* BP_ERR_NOTSUP without libpmix */

/* Present when PMI_FD, or PMI_PORT and PMI_ID, are set (Hydra, srun --mpi=pmi2). */
int bpi_boot_pmi_present(void);
/* Present when PMIX_RANK, PMIX_NAMESPACE or a PMIX_SERVER_URI* variable is set. */
int bpi_boot_pmix_present(void);
/* 1 when this library was built with libpmix. */
int bpi_boot_pmix_built(void);

/*
 * The launcher variable `name` as a decimal integer in [min, max], nothing else: no sign,
 * no blanks, no trailing bytes. Unset or malformed: BP_ERR_BOOT, logged as "who: ...".
 */
bp_status_t bpi_boot_env_long(const char *who, const char *name, long min, long max,
                              long *value_p);

/* Present when the process was started by bprun (BPRUN_FD is set). */
int bpi_boot_bprun_present(void);

#endif
