/*
 * boot.c - picks the bootstrap from the environment. The order is the one of DESIGN.md:
 * PMIx, then PMI-2/PMI-1 (PMI_FD or PMI_PORT), then bprun (BPRUN_FD), else a singleton.
 * PMIx and PMI are not written yet; when they are, their checks go before bprun's, so that
 * a process started by Slurm or Hydra from inside a bprun job follows its own launcher.
 */
#include <stddef.h>

#include "boot/boot.h"

bp_status_t bpi_boot_open(bpi_boot_t **boot_p)
{
    if (boot_p == NULL) {
        return BP_ERR_INVAL;
    }
    /* PMIx (PMIX_RANK, PMIX_NAMESPACE) goes here. */
    /* PMI-2 / PMI-1 (PMI_FD, PMI_PORT) goes here. */
    if (bpi_boot_bprun_present()) {
        return bpi_boot_bprun_open(boot_p);
    }
    return bpi_boot_single_open(boot_p);
}
