/*
 * mtest.h - helpers for the MPI tests: programs written against mpi.h only (MPI semantics,
 * not bypass's), started by bprun or another launcher. A failed check prints where, the
 * values and the rank, and aborts the job (MPI_Abort), so the launcher fails the test.
 */
#ifndef MTEST_H
#define MTEST_H

#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int mtest_rank = -1, mtest_size = 0;

#define MT_FAIL(...)                                                                           \
    do {                                                                                       \
        fprintf(stderr, "rank %d: %s:%d: ", mtest_rank, __FILE__, __LINE__);                   \
        fprintf(stderr, __VA_ARGS__);                                                          \
        fprintf(stderr, "\n");                                                                 \
        fflush(stderr);                                                                        \
        MPI_Abort(MPI_COMM_WORLD, 1);                                                          \
    } while (0)

#define MT_EQ(a, b)                                                                            \
    do {                                                                                       \
        long long va_ = (long long)(a), vb_ = (long long)(b);                                  \
        if (va_ != vb_) {                                                                      \
            MT_FAIL("MT_EQ(%s, %s) failed: %lld != %lld", #a, #b, va_, vb_);                   \
        }                                                                                      \
    } while (0)

#define MT_CHECK(cond)                                                                         \
    do {                                                                                       \
        if (!(cond)) {                                                                         \
            MT_FAIL("MT_CHECK(%s) failed", #cond);                                             \
        }                                                                                      \
    } while (0)

/* An MPI call that must succeed. */
#define MT_OK(call)                                                                            \
    do {                                                                                       \
        int e_ = (call);                                                                       \
        if (e_ != MPI_SUCCESS) {                                                               \
            char s_[MPI_MAX_ERROR_STRING];                                                     \
            int l_ = 0;                                                                        \
            MPI_Error_string(e_, s_, &l_);                                                     \
            MT_FAIL("%s failed: %s (%d)", #call, s_, e_);                                      \
        }                                                                                      \
    } while (0)

static inline void mtest_init(int *argc, char ***argv)
{
    MT_OK(MPI_Init(argc, argv));
    MT_OK(MPI_Comm_rank(MPI_COMM_WORLD, &mtest_rank));
    MT_OK(MPI_Comm_size(MPI_COMM_WORLD, &mtest_size));
}

static inline int mtest_fini(const char *name)
{
    MT_OK(MPI_Finalize());
    printf("rank %d: %s passed\n", mtest_rank, name);
    return 0;
}

#endif /* MTEST_H */
