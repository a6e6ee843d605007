/*
 * pmix.c - the bootstrap under a PMIx server (Open MPI's mpirun, Slurm's srun --mpi=pmix),
 * through libpmix. Rank from PMIx_Init, size from PMIX_JOB_SIZE, the job key from the
 * namespace; allgather is put (a byte object under "bp.<round>"), commit, fence with
 * PMIX_COLLECT_DATA, then a get per peer. Built without pmix.h (BP_HAVE_PMIX unset), the
 * open says BP_ERR_NOTSUP.
 *
 * libpmix is loaded with dlopen at open, not linked: libbypass then needs nothing more at
 * link time (the static library and the installed pkg-config / CMake files stay as they
 * are), and a library built with PMIx support still loads on a machine without libpmix.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "boot/boot.h"
#include "boot/pmi_wire.h"
#include "core/log.h"

extern char **environ;

int bpi_boot_pmix_present(void)
{
    if (getenv("PMIX_RANK") != NULL || getenv("PMIX_NAMESPACE") != NULL) {
        return 1;
    }
    for (char **e = environ; *e != NULL; e++) {
        if (strncmp(*e, "PMIX_SERVER_URI", 15) == 0) {
            return 1;
        }
    }
    return 0;
}

#ifndef BP_HAVE_PMIX

int bpi_boot_pmix_built(void)
{
    return 0;
}

bp_status_t bpi_boot_pmix_open(bpi_boot_t **boot_p)
{
    (void)boot_p;
    bpi_log_error("pmix: this bypass was built without libpmix (install libpmix-dev and "
                  "rebuild), so it cannot start under a PMIx launcher");
    return BP_ERR_NOTSUP;
}

#else

#include <dlfcn.h>
#include <pmix.h>

#define PMIX_LIB_NAME "libpmix.so.2"

/* The calls we make, resolved once from libpmix. */
typedef struct pmix_lib {
    __typeof__(PMIx_Init) *init;
    __typeof__(PMIx_Finalize) *finalize;
    __typeof__(PMIx_Get) *get;
    __typeof__(PMIx_Put) *put;
    __typeof__(PMIx_Commit) *commit;
    __typeof__(PMIx_Fence) *fence;
    __typeof__(PMIx_Error_string) *error_string;
    __typeof__(PMIx_Value_destruct) *value_destruct;
} pmix_lib_t;

typedef struct pmix_boot {
    bpi_boot_t boot;
    pmix_lib_t lib;
    pmix_proc_t me;
    unsigned round;
} pmix_boot_t;

int bpi_boot_pmix_built(void)
{
    return 1;
}

static bp_status_t pmix_lib_load(pmix_lib_t *lib)
{
    static const char *const names[] = { "PMIx_Init", "PMIx_Finalize", "PMIx_Get", "PMIx_Put",
                                         "PMIx_Commit", "PMIx_Fence", "PMIx_Error_string",
                                         "PMIx_Value_destruct" };
    void **slots[] = { (void **)&lib->init, (void **)&lib->finalize, (void **)&lib->get,
                       (void **)&lib->put, (void **)&lib->commit, (void **)&lib->fence,
                       (void **)&lib->error_string, (void **)&lib->value_destruct };
    /* Global: libpmix loads plugins of its own that look for its symbols. Never closed:
     * libpmix may leave threads and handlers behind after PMIx_Finalize. */
    void *handle = dlopen(PMIX_LIB_NAME, RTLD_NOW | RTLD_GLOBAL);

    if (handle == NULL) {
        bpi_log_error("pmix: dlopen(%s): %s (install libpmix2)", PMIX_LIB_NAME, dlerror());
        return BP_ERR_BOOT;
    }
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        *slots[i] = dlsym(handle, names[i]);
        if (*slots[i] == NULL) {
            bpi_log_error("pmix: %s has no %s: %s", PMIX_LIB_NAME, names[i], dlerror());
            return BP_ERR_BOOT;
        }
    }
    return BP_OK;
}

static void pmix_proc_set(pmix_proc_t *proc, const char *nspace, pmix_rank_t rank)
{
    memset(proc, 0, sizeof(*proc));
    memcpy(proc->nspace, nspace, strnlen(nspace, PMIX_MAX_NSLEN));
    proc->rank = rank;
}

static void pmix_value_release(pmix_boot_t *xb, pmix_value_t *val)
{
    xb->lib.value_destruct(val);
    free(val);
}

static bp_status_t pmix_allgather(bpi_boot_t *boot, const void *in, size_t len, void *out)
{
    pmix_boot_t *xb = boot->priv;
    pmix_info_t info;
    pmix_value_t val;
    pmix_status_t rc;
    char key[PMIX_MAX_KEYLEN + 1];

    if (len > 0 && (in == NULL || out == NULL)) {
        return BP_ERR_INVAL;
    }
    snprintf(key, sizeof(key), "bp.%u", xb->round++);
    memset(&val, 0, sizeof(val));
    val.type = PMIX_BYTE_OBJECT;
    val.data.bo.bytes = (char *)in;
    val.data.bo.size = len;
    rc = xb->lib.put(PMIX_GLOBAL, key, &val);
    if (rc != PMIX_SUCCESS) {
        bpi_log_error("pmix: PMIx_Put(%s): %s", key, xb->lib.error_string(rc));
        return BP_ERR_BOOT;
    }
    rc = xb->lib.commit();
    if (rc != PMIX_SUCCESS) {
        bpi_log_error("pmix: PMIx_Commit: %s", xb->lib.error_string(rc));
        return BP_ERR_BOOT;
    }
    memset(&info, 0, sizeof(info));
    memcpy(info.key, PMIX_COLLECT_DATA, sizeof(PMIX_COLLECT_DATA));
    info.value.type = PMIX_BOOL;
    info.value.data.flag = true;
    rc = xb->lib.fence(NULL, 0, &info, 1);
    if (rc != PMIX_SUCCESS) {
        bpi_log_error("pmix: PMIx_Fence: %s", xb->lib.error_string(rc));
        return BP_ERR_BOOT;
    }
    for (int r = 0; r < boot->size; r++) {
        char *dst = (char *)out + (size_t)r * len;
        pmix_proc_t peer;
        pmix_value_t *got = NULL;

        if (r == boot->rank) {
            if (len > 0 && dst != in) {
                memmove(dst, in, len);
            }
            continue;
        }
        pmix_proc_set(&peer, xb->me.nspace, (pmix_rank_t)r);
        rc = xb->lib.get(&peer, key, NULL, 0, &got);
        if (rc != PMIX_SUCCESS || got == NULL) {
            bpi_log_error("pmix: PMIx_Get(rank %d, %s): %s", r, key, xb->lib.error_string(rc));
            return BP_ERR_BOOT;
        }
        if (got->type != PMIX_BYTE_OBJECT || got->data.bo.size != len) {
            bpi_log_error("pmix: rank %d's %s is not %zu bytes (type %d, %zu bytes)", r, key, len,
                          (int)got->type,
                          got->type == PMIX_BYTE_OBJECT ? got->data.bo.size : (size_t)0);
            pmix_value_release(xb, got);
            return BP_ERR_BOOT;
        }
        if (len > 0) {
            memcpy(dst, got->data.bo.bytes, len);
        }
        pmix_value_release(xb, got);
    }
    return BP_OK;
}

static void pmix_close(bpi_boot_t *boot)
{
    pmix_boot_t *xb = boot->priv;
    pmix_status_t rc = xb->lib.finalize(NULL, 0);

    if (rc != PMIX_SUCCESS) {
        bpi_log_warn("pmix: PMIx_Finalize: %s", xb->lib.error_string(rc));
    }
    free(xb);
}

bp_status_t bpi_boot_pmix_open(bpi_boot_t **boot_p)
{
    pmix_boot_t *xb = calloc(1, sizeof(*xb));
    pmix_proc_t job;
    pmix_value_t *val = NULL;
    pmix_status_t rc;
    uint64_t size;
    bp_status_t status;

    if (xb == NULL) {
        bpi_log_error("pmix: out of memory");
        return BP_ERR_NOMEM;
    }
    status = pmix_lib_load(&xb->lib);
    if (status != BP_OK) {
        goto err_free;
    }
    rc = xb->lib.init(&xb->me, NULL, 0);
    if (rc != PMIX_SUCCESS) {
        bpi_log_error("pmix: PMIx_Init: %s (was the process started by a PMIx launcher?)",
                      xb->lib.error_string(rc));
        status = BP_ERR_BOOT;
        goto err_free;
    }
    pmix_proc_set(&job, xb->me.nspace, PMIX_RANK_WILDCARD);
    rc = xb->lib.get(&job, PMIX_JOB_SIZE, NULL, 0, &val);
    if (rc != PMIX_SUCCESS || val == NULL) {
        bpi_log_error("pmix: PMIx_Get(%s): %s", PMIX_JOB_SIZE, xb->lib.error_string(rc));
        status = BP_ERR_BOOT;
        goto err_finalize;
    }
    switch (val->type) {
    case PMIX_UINT32:
        size = val->data.uint32;
        break;
    case PMIX_UINT64:
        size = val->data.uint64;
        break;
    case PMIX_INT:
        size = val->data.integer < 0 ? 0 : (uint64_t)val->data.integer;
        break;
    default:
        size = 0;
        break;
    }
    pmix_value_release(xb, val);
    if (size < 1 || size > INT32_MAX || xb->me.rank >= size) {
        bpi_log_error("pmix: rank %u of a job of %llu is not a valid rank", (unsigned)xb->me.rank,
                      (unsigned long long)size);
        status = BP_ERR_BOOT;
        goto err_finalize;
    }
    xb->boot.name = "pmix";
    xb->boot.rank = (int)xb->me.rank;
    xb->boot.size = (int)size;
    xb->boot.jobkey = bpi_pmi_jobkey(xb->me.nspace);
    xb->boot.allgather = pmix_allgather;
    xb->boot.close = pmix_close;
    xb->boot.priv = xb;
    bpi_log_debug("pmix: rank %d of %d, namespace %s", xb->boot.rank, xb->boot.size,
                  xb->me.nspace);
    *boot_p = &xb->boot;
    return BP_OK;

err_finalize:
    (void)xb->lib.finalize(NULL, 0);
err_free:
    free(xb);
    return status;
}

#endif
