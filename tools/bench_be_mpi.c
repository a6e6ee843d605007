/*
 * bench_be_mpi.c - bp-bench's backend over MPI: the same benchmarks, built with an MPI
 * library's compiler wrapper (CMake: bp-bench-openmpi with mpicc.openmpi, bp-bench-mpich with
 * mpicc.mpich; bp-bench-bpmpi against bypass's own mpi.h) and started by its launcher. Only
 * MPI-1 point to point, and Barrier, Bcast and Allreduce on MPI_COMM_WORLD, with MPI_BYTE,
 * MPI_DOUBLE and one tag, so any mpi.h builds it.
 */
#include <mpi.h>
#include <stdint.h>
#include <stdio.h>

#include "bench_backend.h"

#define MPIB_TAG 100

static int mpib_rank = -1, mpib_size;
static MPI_Request mpib_reqs[BENCH_BE_MAX_REQS];
static MPI_Status mpib_stats[BENCH_BE_MAX_REQS];
static size_t mpib_lens[BENCH_BE_MAX_REQS]; /* receives: the length posted; sends: SIZE_MAX */
static int mpib_nreqs;
static char mpib_desc[MPI_MAX_LIBRARY_VERSION_STRING + 64];

__attribute__((cold)) static int mpib_fail(const char *call, int err)
{
    char msg[MPI_MAX_ERROR_STRING];
    int len = 0;

    if (MPI_Error_string(err, msg, &len) != MPI_SUCCESS) {
        snprintf(msg, sizeof(msg), "MPI error %d", err);
    }
    fprintf(stderr, "bp-bench: rank %d: %s: %s\n", mpib_rank, call, msg);
    return -1;
}

/* MPI counts are int: a size beyond INT_MAX cannot be sent as one message of MPI_BYTE. */
static int mpib_count(size_t len, int *count_p)
{
    if (len > (size_t)INT32_MAX) {
        fprintf(stderr, "bp-bench: rank %d: %zu bytes is beyond an MPI count\n", mpib_rank, len);
        return -1;
    }
    *count_p = (int)len;
    return 0;
}

static int mpib_init(const bench_be_t *be, const bench_opts_t *opts, int *argc_p,
                     char ***argv_p)
{
    char version[MPI_MAX_LIBRARY_VERSION_STRING];
    int err, len = 0;

    err = MPI_Init(argc_p, argv_p);
    if (err != MPI_SUCCESS) {
        return mpib_fail("MPI_Init", err);
    }
    /* Errors come back as codes, so a failure says which call and why. */
    MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
    MPI_Comm_rank(MPI_COMM_WORLD, &mpib_rank);
    MPI_Comm_size(MPI_COMM_WORLD, &mpib_size);
    if (MPI_Get_library_version(version, &len) != MPI_SUCCESS) {
        snprintf(version, sizeof(version), "unknown MPI");
    }
    /* The first line only: Open MPI's string is one line, MPICH's several. */
    version[strcspn(version, "\r\n")] = '\0';
    snprintf(mpib_desc, sizeof(mpib_desc), "%s", version);
    return 0;
}

static int mpib_rank_get(void)
{
    return mpib_rank;
}

static int mpib_size_get(void)
{
    return mpib_size;
}

static const char *mpib_describe(void)
{
    return mpib_desc;
}

static int mpib_post(void *buf, size_t len, int peer, int is_send)
{
    int count, err;

    if (BENCH_UNLIKELY(mpib_nreqs == BENCH_BE_MAX_REQS)) {
        fprintf(stderr, "bp-bench: rank %d: more than %d requests posted\n", mpib_rank,
                BENCH_BE_MAX_REQS);
        return -1;
    }
    if (mpib_count(len, &count) != 0) {
        return -1;
    }
    if (is_send) {
        err = MPI_Isend(buf, count, MPI_BYTE, peer, MPIB_TAG, MPI_COMM_WORLD,
                        &mpib_reqs[mpib_nreqs]);
    } else {
        err = MPI_Irecv(buf, count, MPI_BYTE, peer, MPIB_TAG, MPI_COMM_WORLD,
                        &mpib_reqs[mpib_nreqs]);
    }
    if (BENCH_UNLIKELY(err != MPI_SUCCESS)) {
        return mpib_fail(is_send ? "MPI_Isend" : "MPI_Irecv", err);
    }
    mpib_lens[mpib_nreqs++] = is_send ? SIZE_MAX : len;
    return 0;
}

static int mpib_isend(const void *buf, size_t len, int peer)
{
    return mpib_post((void *)(uintptr_t)buf, len, peer, 1); /* MPI-2 mpi.h lacks const */
}

static int mpib_irecv(void *buf, size_t len, int peer)
{
    return mpib_post(buf, len, peer, 0);
}

static int mpib_status_check(const MPI_Status *st, size_t len)
{
    int count = -1;

    MPI_Get_count(st, MPI_BYTE, &count);
    if (BENCH_UNLIKELY(count < 0 || (size_t)count != len)) {
        fprintf(stderr, "bp-bench: rank %d: received %d bytes from rank %d, expected %zu\n",
                mpib_rank, count, st->MPI_SOURCE, len);
        return -1;
    }
    return 0;
}

static int mpib_waitall(void)
{
    int n = mpib_nreqs, err;

    mpib_nreqs = 0;
    err = MPI_Waitall(n, mpib_reqs, mpib_stats);
    if (BENCH_UNLIKELY(err != MPI_SUCCESS)) {
        return mpib_fail("MPI_Waitall", err);
    }
    for (int k = 0; k < n; k++) {
        if (mpib_lens[k] != SIZE_MAX && mpib_status_check(&mpib_stats[k], mpib_lens[k]) != 0) {
            return -1;
        }
    }
    return 0;
}

static int mpib_send(const void *buf, size_t len, int peer)
{
    int count, err;

    if (mpib_count(len, &count) != 0) {
        return -1;
    }
    err = MPI_Send((void *)(uintptr_t)buf, count, MPI_BYTE, peer, MPIB_TAG, MPI_COMM_WORLD);
    return BENCH_UNLIKELY(err != MPI_SUCCESS) ? mpib_fail("MPI_Send", err) : 0;
}

static int mpib_recv(void *buf, size_t len, int peer)
{
    MPI_Status st;
    int count, err;

    if (mpib_count(len, &count) != 0) {
        return -1;
    }
    err = MPI_Recv(buf, count, MPI_BYTE, peer, MPIB_TAG, MPI_COMM_WORLD, &st);
    if (BENCH_UNLIKELY(err != MPI_SUCCESS)) {
        return mpib_fail("MPI_Recv", err);
    }
    return mpib_status_check(&st, len);
}

/* lat's receive, checked apart (bench_backend.h): the status waits in mpib_last. */
static MPI_Status mpib_last;

static int mpib_recv_unchecked(void *buf, size_t len, int peer)
{
    int count, err;

    if (mpib_count(len, &count) != 0) {
        return -1;
    }
    err = MPI_Recv(buf, count, MPI_BYTE, peer, MPIB_TAG, MPI_COMM_WORLD, &mpib_last);
    return BENCH_UNLIKELY(err != MPI_SUCCESS) ? mpib_fail("MPI_Recv", err) : 0;
}

static int mpib_recv_check(size_t len)
{
    return mpib_status_check(&mpib_last, len);
}

static int mpib_barrier(void)
{
    int err = MPI_Barrier(MPI_COMM_WORLD);

    return (err != MPI_SUCCESS) ? mpib_fail("MPI_Barrier", err) : 0;
}

static int mpib_bcast(void *buf, size_t len, int root)
{
    int count, err;

    if (mpib_count(len, &count) != 0) {
        return -1;
    }
    err = MPI_Bcast(buf, count, MPI_BYTE, root, MPI_COMM_WORLD);
    return BENCH_UNLIKELY(err != MPI_SUCCESS) ? mpib_fail("MPI_Bcast", err) : 0;
}

static int mpib_allreduce_sum(const double *in, double *out, size_t count)
{
    int n, err;

    if (mpib_count(count, &n) != 0) {
        return -1;
    }
    err = MPI_Allreduce((void *)(uintptr_t)in, out, n, MPI_DOUBLE, MPI_SUM, MPI_COMM_WORLD);
    return BENCH_UNLIKELY(err != MPI_SUCCESS) ? mpib_fail("MPI_Allreduce", err) : 0;
}

static int mpib_finalize(void)
{
    int err = MPI_Finalize();

    return (err != MPI_SUCCESS) ? mpib_fail("MPI_Finalize", err) : 0;
}

const bench_be_t bench_be_main = {
    .name = "mpi",
    .init = mpib_init,
    .rank = mpib_rank_get,
    .size = mpib_size_get,
    .describe = mpib_describe,
    .isend = mpib_isend,
    .irecv = mpib_irecv,
    .waitall = mpib_waitall,
    .send = mpib_send,
    .recv = mpib_recv,
    .recv_unchecked = mpib_recv_unchecked,
    .recv_check = mpib_recv_check,
    .barrier = mpib_barrier,
    .bcast = mpib_bcast,
    .allreduce_sum = mpib_allreduce_sum,
    .finalize = mpib_finalize,
};
