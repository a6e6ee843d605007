/*
 * mpi_env.c - the MPI environment on one bypass context: MPI_Init/Finalize (bp_init /
 * bp_finalize), the clock, versions, and errors: error strings and classes, the two error
 * handlers, and MPI_Abort, the one place where libbpmpi ends the process (MPI requires it;
 * the native library never exits). Under bprun, a rank that exits non-zero makes bprun stop
 * the others, which is how an abort reaches the whole job.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "mpi_impl.h"

bpmpi_state_t bpmpi = {.rank = -1};

struct bpmpi_errhandler bpmpi_errors_are_fatal = {.fatal = 1};
struct bpmpi_errhandler bpmpi_errors_return = {.fatal = 0};
char bpmpi_in_place;

static struct timespec env_t0;

static const char *const env_err_strings[MPI_ERR_LASTCODE] = {
    [MPI_SUCCESS] = "MPI_SUCCESS: no error",
    [MPI_ERR_BUFFER] = "MPI_ERR_BUFFER: invalid buffer pointer",
    [MPI_ERR_COUNT] = "MPI_ERR_COUNT: invalid count (negative, or a byte count too large)",
    [MPI_ERR_TYPE] = "MPI_ERR_TYPE: invalid datatype (null, freed or not committed)",
    [MPI_ERR_TAG] = "MPI_ERR_TAG: invalid tag (must be 0..MPI_TAG_UB, or MPI_ANY_TAG to receive)",
    [MPI_ERR_COMM] = "MPI_ERR_COMM: invalid communicator",
    [MPI_ERR_RANK] = "MPI_ERR_RANK: invalid rank",
    [MPI_ERR_REQUEST] = "MPI_ERR_REQUEST: invalid request",
    [MPI_ERR_ROOT] = "MPI_ERR_ROOT: invalid root",
    [MPI_ERR_GROUP] = "MPI_ERR_GROUP: invalid group",
    [MPI_ERR_OP] = "MPI_ERR_OP: invalid operation, or not defined on this datatype",
    [MPI_ERR_TOPOLOGY] = "MPI_ERR_TOPOLOGY: invalid topology",
    [MPI_ERR_DIMS] = "MPI_ERR_DIMS: invalid dimensions",
    [MPI_ERR_ARG] = "MPI_ERR_ARG: invalid argument",
    [MPI_ERR_UNKNOWN] = "MPI_ERR_UNKNOWN: unknown error",
    [MPI_ERR_TRUNCATE] = "MPI_ERR_TRUNCATE: message truncated (longer than the receive buffer)",
    [MPI_ERR_OTHER] = "MPI_ERR_OTHER: other error (the bypass log on stderr says more)",
    [MPI_ERR_INTERN] = "MPI_ERR_INTERN: internal error",
    [MPI_ERR_IN_STATUS] = "MPI_ERR_IN_STATUS: error code is in the status",
    [MPI_ERR_PENDING] = "MPI_ERR_PENDING: pending request",
    [MPI_ERR_NO_MEM] = "MPI_ERR_NO_MEM: out of memory",
    [MPI_ERR_PROC_FAILED] = "MPI_ERR_PROC_FAILED: a peer process failed",
    [MPI_ERR_NOT_SUPPORTED] = "MPI_ERR_NOT_SUPPORTED: not supported by bypass's MPI layer",
};

/* --- errors ---------------------------------------------------------------------------- */

void bpmpi_fatal(const char *fmt, ...)
{
    va_list ap;

    fprintf(stderr, "bypass MPI (rank %d): ", bpmpi.rank);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\n");
    MPI_Abort(MPI_COMM_WORLD, 1);
    _exit(1); /* not reached */
}

int bpmpi_error(MPI_Comm comm, int code, const char *call)
{
    MPI_Errhandler eh;

    if (code == MPI_SUCCESS) {
        return code;
    }
    if (bpmpi_nbc_current != NULL) {
        call = bpmpi_nbc_call(); /* an error of MPI_Ibcast's, not of the MPI_Bcast it runs */
    }
    eh = (comm != MPI_COMM_NULL) ? comm->eh : bpmpi_comm_world.eh;
    if (eh == NULL || eh->fatal) {
        bpmpi_fatal("%s: %s; MPI_ERRORS_ARE_FATAL: aborting the job", call,
                    (code > 0 && code < MPI_ERR_LASTCODE) ? env_err_strings[code]
                                                          : "unknown error code");
    }
    return code;
}

int bpmpi_from_status(bp_status_t status)
{
    switch (status) {
    case BP_OK:
    case BP_ERR_CANCELED:
        return MPI_SUCCESS;
    case BP_ERR_TRUNC:
        return MPI_ERR_TRUNCATE;
    case BP_ERR_PEER:
        return MPI_ERR_PROC_FAILED;
    case BP_ERR_NOMEM:
        return MPI_ERR_NO_MEM;
    case BP_ERR_INVAL:
        return MPI_ERR_ARG;
    case BP_ERR_NOTSUP:
        return MPI_ERR_NOT_SUPPORTED;
    default:
        return MPI_ERR_OTHER;
    }
}

int bpmpi_check_init(const char *call)
{
    /* No communicator exists yet (or any more): the default handler is the only one. */
    fprintf(stderr, "bypass MPI: %s called %s\n", call,
            bpmpi.finalized ? "after MPI_Finalize" : "before MPI_Init");
    MPI_Abort(MPI_COMM_WORLD, 1);
    return MPI_ERR_OTHER;
}

int MPI_Error_string(int errorcode, char *string, int *resultlen)
{
    const char *s = (errorcode >= 0 && errorcode < MPI_ERR_LASTCODE) ? env_err_strings[errorcode]
                                                                     : NULL;
    char unknown[64];

    if (string == NULL || resultlen == NULL) {
        return MPI_ERR_ARG;
    }
    if (s == NULL) {
        snprintf(unknown, sizeof(unknown), "unknown MPI error code %d", errorcode);
        s = unknown;
    }
    snprintf(string, MPI_MAX_ERROR_STRING, "%s", s);
    *resultlen = (int)strlen(string);
    return (s == unknown) ? MPI_ERR_ARG : MPI_SUCCESS;
}

int MPI_Error_class(int errorcode, int *errorclass)
{
    if (errorclass == NULL || errorcode < 0 || errorcode >= MPI_ERR_LASTCODE) {
        return MPI_ERR_ARG;
    }
    *errorclass = errorcode; /* every code is its own class */
    return MPI_SUCCESS;
}

int MPI_Comm_set_errhandler(MPI_Comm comm, MPI_Errhandler errhandler)
{
    BPMPI_CHECK_INIT("MPI_Comm_set_errhandler");
    if (!bpmpi_comm_ok(comm)) {
        return bpmpi_error(MPI_COMM_WORLD, MPI_ERR_COMM, "MPI_Comm_set_errhandler");
    }
    if (errhandler != MPI_ERRORS_ARE_FATAL && errhandler != MPI_ERRORS_RETURN) {
        return bpmpi_error(comm, MPI_ERR_ARG, "MPI_Comm_set_errhandler");
    }
    comm->eh = errhandler;
    return MPI_SUCCESS;
}

int MPI_Comm_get_errhandler(MPI_Comm comm, MPI_Errhandler *errhandler)
{
    BPMPI_CHECK_INIT("MPI_Comm_get_errhandler");
    if (!bpmpi_comm_ok(comm)) {
        return bpmpi_error(MPI_COMM_WORLD, MPI_ERR_COMM, "MPI_Comm_get_errhandler");
    }
    if (errhandler == NULL) {
        return bpmpi_error(comm, MPI_ERR_ARG, "MPI_Comm_get_errhandler");
    }
    *errhandler = comm->eh;
    return MPI_SUCCESS;
}

int MPI_Errhandler_free(MPI_Errhandler *errhandler)
{
    if (errhandler == NULL) {
        return MPI_ERR_ARG;
    }
    *errhandler = MPI_ERRHANDLER_NULL; /* the two handlers are predefined */
    return MPI_SUCCESS;
}

/* --- init and finalize ----------------------------------------------------------------- */

int MPI_Init_thread(int *argc, char ***argv, int required, int *provided)
{
    bp_status_t status;

    if (bpmpi.initialized) {
        fprintf(stderr, "bypass MPI: MPI_Init called twice\n");
        return MPI_ERR_OTHER;
    }
    status = bp_init(&bpmpi.ctx);
    if (status != BP_OK) {
        /* bp_init logged the cause; without a context no communicator can report it */
        fprintf(stderr, "bypass MPI: MPI_Init: bp_init failed: %s\n", bp_strerror(status));
        return MPI_ERR_OTHER;
    }
    bp_rank(bpmpi.ctx, &bpmpi.rank);
    bp_size(bpmpi.ctx, &bpmpi.size);
    bp_set_coll_hook(bpmpi.ctx, bpmpi_coll_hook, NULL);
    bp_coll_shm(bpmpi.ctx, &bpmpi.shm_allreduce_max, &bpmpi.shm_bcast_max);
    clock_gettime(CLOCK_MONOTONIC, &env_t0);
    /* A context is used by one thread at a time: FUNNELED at most (SERIALIZED would need
     * the MPI layer's own state guarded too, which it is not). */
    bpmpi.thread_level = required < MPI_THREAD_FUNNELED ? required : MPI_THREAD_FUNNELED;
    if (bpmpi.thread_level < MPI_THREAD_SINGLE) {
        bpmpi.thread_level = MPI_THREAD_SINGLE;
    }
    if (provided != NULL) {
        *provided = bpmpi.thread_level;
    }
    bpmpi.next_ctx = 2; /* 0 world, 1 self */
    bpmpi_dt_init();
    bpmpi_comm_init_predef();
    bpmpi.initialized = 1;
    bpmpi_fast_update();
    (void)argc;
    (void)argv;
    return MPI_SUCCESS;
}

int MPI_Init(int *argc, char ***argv)
{
    return MPI_Init_thread(argc, argv, MPI_THREAD_SINGLE, NULL);
}

int MPI_Initialized(int *flag)
{
    if (flag == NULL) {
        return MPI_ERR_ARG;
    }
    *flag = bpmpi.initialized;
    return MPI_SUCCESS;
}

int MPI_Finalized(int *flag)
{
    if (flag == NULL) {
        return MPI_ERR_ARG;
    }
    *flag = bpmpi.finalized;
    return MPI_SUCCESS;
}

int MPI_Finalize(void)
{
    bp_status_t status;

    BPMPI_CHECK_INIT("MPI_Finalize");
    /* Acks and buffered sends still in flight must leave before the context goes. */
    bpmpi_p2p_fini();
    bpmpi_detached_reap(1);
    bp_set_coll_hook(bpmpi.ctx, NULL, NULL); /* bp_finalize's barrier: nothing left to serve */
    status = bp_finalize(bpmpi.ctx);
    bpmpi.ctx = NULL;
    bpmpi.finalized = 1;
    bpmpi_fast_update();
    bpmpi_comm_fini_predef();
    free(bpmpi.detached);
    bpmpi.detached = NULL;
    return bpmpi_error(MPI_COMM_WORLD, bpmpi_from_status(status), "MPI_Finalize");
}

int MPI_Abort(MPI_Comm comm, int errorcode)
{
    int code = errorcode & 0xff;

    fprintf(stderr, "bypass MPI: rank %d called MPI_Abort with error code %d\n", bpmpi.rank,
            errorcode);
    fflush(stderr);
    fflush(stdout);
    /* bprun (or the external launcher) sees a non-zero exit and stops the other ranks */
    _exit(code != 0 ? code : 1);
}

/* --- queries --------------------------------------------------------------------------- */

int MPI_Query_thread(int *provided)
{
    BPMPI_CHECK_INIT("MPI_Query_thread");
    if (provided == NULL) {
        return bpmpi_error(MPI_COMM_WORLD, MPI_ERR_ARG, "MPI_Query_thread");
    }
    *provided = bpmpi.thread_level;
    return MPI_SUCCESS;
}

int MPI_Is_thread_main(int *flag)
{
    BPMPI_CHECK_INIT("MPI_Is_thread_main");
    if (flag == NULL) {
        return bpmpi_error(MPI_COMM_WORLD, MPI_ERR_ARG, "MPI_Is_thread_main");
    }
    *flag = 1; /* FUNNELED at most: only the main thread calls MPI */
    return MPI_SUCCESS;
}

int MPI_Get_processor_name(char *name, int *resultlen)
{
    if (name == NULL || resultlen == NULL) {
        return bpmpi_error(MPI_COMM_WORLD, MPI_ERR_ARG, "MPI_Get_processor_name");
    }
    if (gethostname(name, MPI_MAX_PROCESSOR_NAME) != 0) {
        snprintf(name, MPI_MAX_PROCESSOR_NAME, "localhost");
    }
    name[MPI_MAX_PROCESSOR_NAME - 1] = '\0';
    *resultlen = (int)strlen(name);
    return MPI_SUCCESS;
}

int MPI_Get_version(int *version, int *subversion)
{
    if (version == NULL || subversion == NULL) {
        return MPI_ERR_ARG;
    }
    *version = MPI_VERSION;
    *subversion = MPI_SUBVERSION;
    return MPI_SUCCESS;
}

int MPI_Get_library_version(char *version, int *resultlen)
{
    int major = 0, minor = 0, patch = 0, proto = 0;

    if (version == NULL || resultlen == NULL) {
        return MPI_ERR_ARG;
    }
    bp_version(&major, &minor, &patch, &proto);
    snprintf(version, MPI_MAX_LIBRARY_VERSION_STRING,
             "bypass MPI %d.%d.%d (MPI %d.%d subset, protocol %d)", major, minor, patch,
             MPI_VERSION, MPI_SUBVERSION, proto);
    *resultlen = (int)strlen(version);
    return MPI_SUCCESS;
}

double MPI_Wtime(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)(ts.tv_sec - env_t0.tv_sec) + (double)(ts.tv_nsec - env_t0.tv_nsec) * 1e-9;
}

double MPI_Wtick(void)
{
    struct timespec res;

    if (clock_getres(CLOCK_MONOTONIC, &res) != 0) {
        return 1e-9;
    }
    return (double)res.tv_sec + (double)res.tv_nsec * 1e-9;
}

int MPI_Alloc_mem(MPI_Aint size, MPI_Info info, void *baseptr)
{
    void *p;

    BPMPI_CHECK_INIT("MPI_Alloc_mem");
    if (size < 0 || baseptr == NULL) {
        return bpmpi_error(MPI_COMM_WORLD, MPI_ERR_ARG, "MPI_Alloc_mem");
    }
    /* no memory is special to bypass: page-aligned, as registration-minded code expects */
    if (posix_memalign(&p, 4096, size > 0 ? (size_t)size : 1) != 0) {
        return bpmpi_error(MPI_COMM_WORLD, MPI_ERR_NO_MEM, "MPI_Alloc_mem");
    }
    *(void **)baseptr = p;
    return MPI_SUCCESS;
}

int MPI_Free_mem(void *base)
{
    free(base);
    return MPI_SUCCESS;
}

/* --- one-sided communication: not supported ---------------------------------------------- *
 * Defined so that programs carrying window helpers build (mpi.h says why); every call
 * fails through the error handler of the communicator it names, else MPI_COMM_WORLD's
 * (there are no windows, so no window error handlers). */

int MPI_Win_create(void *base, MPI_Aint size, int disp_unit, MPI_Info info, MPI_Comm comm,
                   MPI_Win *win)
{
    (void)base, (void)size, (void)disp_unit, (void)info;
    if (win != NULL) {
        *win = MPI_WIN_NULL;
    }
    return bpmpi_error(comm != MPI_COMM_NULL ? comm : MPI_COMM_WORLD, MPI_ERR_NOT_SUPPORTED,
                       "MPI_Win_create (one-sided communication is not supported)");
}

int MPI_Win_allocate(MPI_Aint size, int disp_unit, MPI_Info info, MPI_Comm comm, void *baseptr,
                     MPI_Win *win)
{
    (void)size, (void)disp_unit, (void)info, (void)baseptr;
    if (win != NULL) {
        *win = MPI_WIN_NULL;
    }
    return bpmpi_error(comm != MPI_COMM_NULL ? comm : MPI_COMM_WORLD, MPI_ERR_NOT_SUPPORTED,
                       "MPI_Win_allocate (one-sided communication is not supported)");
}

int MPI_Win_allocate_shared(MPI_Aint size, int disp_unit, MPI_Info info, MPI_Comm comm,
                            void *baseptr, MPI_Win *win)
{
    (void)size, (void)disp_unit, (void)info, (void)baseptr;
    if (win != NULL) {
        *win = MPI_WIN_NULL;
    }
    return bpmpi_error(comm != MPI_COMM_NULL ? comm : MPI_COMM_WORLD, MPI_ERR_NOT_SUPPORTED,
                       "MPI_Win_allocate_shared (one-sided communication is not supported)");
}

int MPI_Win_create_dynamic(MPI_Info info, MPI_Comm comm, MPI_Win *win)
{
    (void)info;
    if (win != NULL) {
        *win = MPI_WIN_NULL;
    }
    return bpmpi_error(comm != MPI_COMM_NULL ? comm : MPI_COMM_WORLD, MPI_ERR_NOT_SUPPORTED,
                       "MPI_Win_create_dynamic (one-sided communication is not supported)");
}

int MPI_Win_attach(MPI_Win win, void *base, MPI_Aint size)
{
    (void)win, (void)base, (void)size;
    return bpmpi_error(MPI_COMM_WORLD, MPI_ERR_NOT_SUPPORTED,
                       "MPI_Win_attach (one-sided communication is not supported)");
}

int MPI_Win_detach(MPI_Win win, const void *base)
{
    (void)win, (void)base;
    return bpmpi_error(MPI_COMM_WORLD, MPI_ERR_NOT_SUPPORTED,
                       "MPI_Win_detach (one-sided communication is not supported)");
}

int MPI_Win_get_attr(MPI_Win win, int win_keyval, void *attribute_val, int *flag)
{
    (void)win, (void)win_keyval, (void)attribute_val;
    if (flag != NULL) {
        *flag = 0;
    }
    return bpmpi_error(MPI_COMM_WORLD, MPI_ERR_NOT_SUPPORTED,
                       "MPI_Win_get_attr (one-sided communication is not supported)");
}

int MPI_Win_free(MPI_Win *win)
{
    (void)win;
    return bpmpi_error(MPI_COMM_WORLD, MPI_ERR_NOT_SUPPORTED,
                       "MPI_Win_free (one-sided communication is not supported)");
}
