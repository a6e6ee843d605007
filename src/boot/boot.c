/*
 * boot.c - picks the bootstrap. The order is the one of DESIGN.md: PMIx, then PMI-2/PMI-1
 * (PMI_FD or PMI_PORT), then bprun (BPRUN_FD), else a singleton. The launchers' checks come
 * before bprun's so that a process started by Slurm or Hydra from inside a bprun job follows
 * its own launcher. BP_BOOT forces one; it is read here (the configuration table lists it
 * too, so that bp_init accepts it and bp-info shows it).
 */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <errno.h>
#include "boot/boot.h"
#include "core/log.h"

typedef enum boot_kind {
    BOOT_AUTO,
    BOOT_PMIX,
    BOOT_PMI2,
    BOOT_PMI1,
    BOOT_BPRUN,
    BOOT_SINGLETON,
} boot_kind_t;

static const char *const boot_names[] = { "auto", "pmix", "pmi2", "pmi1", "bprun", "singleton" };

static bp_status_t boot_kind_get(boot_kind_t *kind_p)
{
    const char *value = getenv("BP_BOOT");

    if (value == NULL) {
        *kind_p = BOOT_AUTO;
        return BP_OK;
    }
    for (size_t i = 0; i < sizeof(boot_names) / sizeof(boot_names[0]); i++) {
        if (strcmp(value, boot_names[i]) == 0) {
            *kind_p = (boot_kind_t)i;
            return BP_OK;
        }
    }
    bpi_log_error("configuration: BP_BOOT=%.64s: unknown value; accepted: auto pmix pmi2 pmi1 "
                  "bprun singleton", value);
    return BP_ERR_CONFIG;
}

static bp_status_t boot_auto(bpi_boot_t **boot_p)
{
    if (bpi_boot_pmix_present()) {
        if (bpi_boot_pmix_built()) {
            return bpi_boot_pmix_open(boot_p);
        }
        if (!bpi_boot_pmi_present() && !bpi_boot_bprun_present()) {
            bpi_log_warn("the environment says PMIx (PMIX_* variables) but this bypass was "
                         "built without libpmix: starting as a singleton");
        }
    }
    if (bpi_boot_pmi_present()) {
        return bpi_boot_pmi_open(2, boot_p);
    }
    if (bpi_boot_bprun_present()) {
        return bpi_boot_bprun_open(boot_p);
    }
    return bpi_boot_single_open(boot_p);
}

bp_status_t bpi_boot_open(bpi_boot_t **boot_p)
{
    boot_kind_t kind;
    bp_status_t status;

    if (boot_p == NULL) {
        return BP_ERR_INVAL;
    }
    status = boot_kind_get(&kind);
    if (status != BP_OK) {
        return status;
    }
    switch (kind) {
    case BOOT_AUTO:
        return boot_auto(boot_p);
    case BOOT_PMIX:
        if (!bpi_boot_pmix_built()) {
            return bpi_boot_pmix_open(boot_p); /* says why: BP_ERR_NOTSUP */
        }
        if (!bpi_boot_pmix_present()) {
            bpi_log_error("BP_BOOT=pmix, but no PMIx server: none of PMIX_RANK, PMIX_NAMESPACE, "
                          "PMIX_SERVER_URI* is set (start under mpirun or srun --mpi=pmix)");
            return BP_ERR_BOOT;
        }
        return bpi_boot_pmix_open(boot_p);
    case BOOT_PMI2:
    case BOOT_PMI1:
        if (!bpi_boot_pmi_present()) {
            bpi_log_error("BP_BOOT=%s, but no PMI server: neither PMI_FD nor PMI_PORT and PMI_ID "
                          "are set (start under mpiexec.hydra or srun --mpi=pmi2)",
                          boot_names[kind]);
            return BP_ERR_BOOT;
        }
        return bpi_boot_pmi_open(kind == BOOT_PMI2 ? 2 : 1, boot_p);
    case BOOT_BPRUN:
        if (!bpi_boot_bprun_present()) {
            bpi_log_error("BP_BOOT=bprun, but BPRUN_FD is not set (start under bprun)");
            return BP_ERR_BOOT;
        }
        return bpi_boot_bprun_open(boot_p);
    case BOOT_SINGLETON:
        return bpi_boot_single_open(boot_p);
    }
    return BP_ERR_INVAL;
}

bp_status_t bpi_boot_env_long(const char *who, const char *name, long min, long max,
                              long *value_p)
{
    const char *s = getenv(name);
    char *end;
    long v;

    if (s == NULL) {
        bpi_log_error("%s: %s is not set (the launcher's environment is incomplete)", who, name);
        return BP_ERR_BOOT;
    }
    errno = 0;
    v = strtol(s, &end, 10);
    if (*s < '0' || *s > '9' || errno != 0 || *end != '\0' || v < min || v > max) {
        bpi_log_error("%s: %s=\"%.64s\" is not a decimal integer in [%ld, %ld]", who, name, s,
                      min, max);
        return BP_ERR_BOOT;
    }
    *value_p = v;
    return BP_OK;
}
