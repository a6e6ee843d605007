/*
 * bench_backend.h - the seam between bp-bench's benchmarks (bench_suite.c) and what moves the
 * bytes. The benchmarks are written once against this table; a backend fills it:
 *
 *   bench_be_bypass.c  the native API (bp-bench, under bprun)
 *   bench_be_mpi.c     any mpi.h (bp-bench-openmpi, bp-bench-mpich, built with mpicc.*;
 *                      bp-bench-bpmpi, built against bypass's own mpi.h)
 *   bench_be_sock.c    kernel baselines: TCP over 127.0.0.1 and a UNIX socketpair, blocking
 *                      or busy-polling; the process forks its peer itself (standalone)
 *
 * The model is two-sided, in order, one implicit tag: a receive matches the next message
 * from its peer, which is all the OSU patterns need. Requests live inside the backend: isend
 * and irecv post (at most BENCH_BE_MAX_REQS at once), waitall completes every posted one.
 * Every call returns 0, or -1 after printing why on stderr (the benchmark then exits 1).
 */
#ifndef BENCH_BACKEND_H
#define BENCH_BACKEND_H

#include <stddef.h>

#include "bench_util.h"

#define BENCH_BE_MAX_REQS 256 /* bibw posts 2 x window 64 */

typedef struct bench_be {
    const char *name; /* "bypass", "mpi", "tcp", "tcp-spin", "unix", "unix-spin" */
    /* Start (MPI_Init, bp_init, fork...). *argc_p / *argv_p may be rewritten (MPI). */
    int (*init)(const struct bench_be *be, const bench_opts_t *opts, int *argc_p,
                char ***argv_p);
    int (*rank)(void);
    int (*size)(void);
    /* One line for the output's header: library and version, transport. */
    const char *(*describe)(void);
    int (*isend)(const void *buf, size_t len, int peer);
    int (*irecv)(void *buf, size_t len, int peer);
    int (*waitall)(void);
    int (*send)(const void *buf, size_t len, int peer);
    /* A receive of exactly len bytes: any other length is an error. */
    int (*recv)(void *buf, size_t len, int peer);
    /* The same receive with its check of the length left for recv_check (NULL where the
     * check costs nothing: the kernel baselines): lat runs the check while the reply is on
     * its way, so that the latency is the library's, not the benchmark's verification (an
     * MPI_Get_count call per message in the MPI backend). */
    int (*recv_unchecked)(void *buf, size_t len, int peer);
    int (*recv_check)(size_t len); /* the last recv_unchecked's */
    int (*barrier)(void);
    /* Collectives of `coll` beyond the barrier, over every rank; NULL where the backend has
     * none (the native API, the kernel baselines): coll then measures the barrier only. */
    int (*bcast)(void *buf, size_t len, int root);
    int (*allreduce_sum)(const double *in, double *out, size_t count); /* MPI_SUM of doubles */
    int (*finalize)(void);
} bench_be_t;

/* The backends of this build: bypass or MPI (one of the two), and the kernel baselines. */
extern const bench_be_t bench_be_main;
extern const bench_be_t bench_be_tcp;
extern const bench_be_t bench_be_tcp_spin;
extern const bench_be_t bench_be_unix;
extern const bench_be_t bench_be_unix_spin;

#endif /* BENCH_BACKEND_H */
