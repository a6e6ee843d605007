/*
 * mpi_nbc.c - nonblocking collectives (MPI_Ibarrier, MPI_Ibcast, ... MPI-3.1 section 5.12).
 *
 * Each one runs the blocking collective's own code (mpi_coll.c: the same algorithms, the same
 * messages, so a nonblocking and a blocking collective agree on the wire) in a coroutine: a
 * small stack of its own, entered with swapcontext. Where the blocking code would wait for
 * native requests (bpmpi_nwait), the coroutine instead tests them and, when some are still
 * pending, puts one of them in its MPI request's nreq and switches back to the caller. The
 * caller's thread goes on with the program; whenever that native request completes inside
 * any MPI call that waits or tests (the request is "serviced", mpi_p2p.c, so every blocking
 * call watches it, as MPI's progress rule requires), the coroutine is resumed and goes on to
 * its next wait or to its end, which completes the MPI request.
 *
 * Why a coroutine and not a schedule of rounds (libNBC's way): the blocking algorithms stay
 * the one implementation, and an MPI_Ibcast is exactly an MPI_Bcast's messages. The cost is a
 * context switch per wait and a stack per pending collective (mmap'd, 1 MiB reserved, only
 * touched pages used; a few are kept for reuse).
 *
 * Ordering: a collective takes its sequence number (the tag that separates it from the
 * communicator's other collectives) when it starts, before its first wait; the coroutine
 * runs at once up to that first wait, so a nonblocking collective is numbered at its call,
 * as MPI's ordering rule for collectives asks. Coroutines never nest: one runs only from the
 * program's own stack.
 *
 * Errors: argument errors surface when the call starts (the coroutine ends at once: the
 * call returns the error, as the blocking call would, through the same error handler, whose
 * message names the nonblocking call: bpmpi_error asks bpmpi_nbc_call); later ones complete
 * the request with the error, which MPI_Wait / MPI_Test return.
 */
#define _GNU_SOURCE
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <ucontext.h>

#include "mpi_impl.h"

#ifndef __has_feature
#define __has_feature(x) 0
#endif
#if defined(__SANITIZE_ADDRESS__) || __has_feature(address_sanitizer)
#define NBC_ASAN 1
#include <dlfcn.h>
#include <sanitizer/asan_interface.h>
#include <sanitizer/common_interface_defs.h>
#endif
#if defined(__SANITIZE_THREAD__) || __has_feature(thread_sanitizer)
#define NBC_TSAN 1
#include <sanitizer/tsan_interface.h>
#endif

#define NBC_STACK (1u << 20) /* reserved per coroutine; pages are touched as used */
#define NBC_GUARD 4096u      /* an unmapped page below: an overflow faults, never corrupts */
#define NBC_STACK_CACHE 8

enum nbc_kind {
    NBC_BARRIER,
    NBC_BCAST,
    NBC_REDUCE,
    NBC_ALLREDUCE,
    NBC_GATHER,
    NBC_GATHERV,
    NBC_SCATTER,
    NBC_SCATTERV,
    NBC_ALLGATHER,
    NBC_ALLGATHERV,
    NBC_ALLTOALL,
    NBC_ALLTOALLV,
    NBC_ALLTOALLW,
    NBC_REDUCE_SCATTER,
    NBC_REDUCE_SCATTER_BLOCK,
    NBC_SCAN,
    NBC_EXSCAN,
    NBC_NEIGHBOR_ALLGATHER,
    NBC_NEIGHBOR_ALLGATHERV,
    NBC_NEIGHBOR_ALLTOALL,
    NBC_NEIGHBOR_ALLTOALLV,
    NBC_NEIGHBOR_ALLTOALLW,
};

/* The call's arguments: what the blocking collective is given. MPI says buffers and count
 * and displacement arrays stay untouched until completion, so pointers are enough. */
typedef struct nbc_args {
    enum nbc_kind kind;
    const void *sbuf;
    void *rbuf;
    int scount, rcount;
    const int *scounts, *sdispls, *rcounts, *rdispls;
    MPI_Datatype stype, rtype;
    const MPI_Aint *sbdispls, *rbdispls; /* Neighbor_alltoallw: bytes */
    const MPI_Datatype *stypes, *rtypes; /* the w forms: one per block */
    int nstypes, nrtypes;
    MPI_Op op;
    int root;
    MPI_Comm comm;
} nbc_args_t;

struct bpmpi_nbc {
    ucontext_t co, caller;
    char *map; /* the mapping: guard page, then the stack */
    struct bpmpi_request *req;
    const char *call; /* "MPI_Ibcast" ...: what error messages name */
    nbc_args_t a;
    int err;
    bool done;
#ifdef NBC_ASAN
    void *fake;               /* the coroutine's fake stack while it is switched out */
    const void *caller_lo;    /* the caller's stack, as ASan reports it on each switch */
    size_t caller_len;
#endif
#ifdef NBC_TSAN
    void *fiber, *caller_fiber;
#endif
};

struct bpmpi_nbc *bpmpi_nbc_current;

/* The running coroutine's call: the blocking code it runs names the blocking call. */
const char *bpmpi_nbc_call(void)
{
    return bpmpi_nbc_current != NULL ? bpmpi_nbc_current->call : NULL;
}

static char *stack_cache[NBC_STACK_CACHE];
static int n_stack_cache;

static char *stack_get(void)
{
    char *m;

    if (n_stack_cache > 0) {
        m = stack_cache[--n_stack_cache];
    } else {
        m = mmap(NULL, NBC_STACK + NBC_GUARD, PROT_READ | PROT_WRITE,
                 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
        if (m == MAP_FAILED) {
            return NULL;
        }
        if (mprotect(m, NBC_GUARD, PROT_NONE) != 0) {
            munmap(m, NBC_STACK + NBC_GUARD);
            return NULL;
        }
    }
#ifdef NBC_ASAN
    /* a coroutine that ended left its frames' redzones poisoned */
    __asan_unpoison_memory_region(m + NBC_GUARD, NBC_STACK);
#endif
    return m;
}

static void stack_put(char *m)
{
    if (n_stack_cache < NBC_STACK_CACHE) {
        stack_cache[n_stack_cache++] = m;
    } else {
        munmap(m, NBC_STACK + NBC_GUARD);
    }
}

/* --- switching ---------------------------------------------------------------------------- */

#ifdef NBC_ASAN
/* ASan's swapcontext interceptor prints a warning in every process that switches, and
 * guesses at stacks; the switches here tell ASan exactly (the fiber annotations), so they go
 * to the C library's swapcontext itself. */
static int nbc_swapcontext(ucontext_t *from, const ucontext_t *to)
{
    static int (*real)(ucontext_t *, const ucontext_t *);

    if (real == NULL) {
        *(void **)&real = dlsym(RTLD_NEXT, "swapcontext");
        if (real == NULL) {
            real = swapcontext;
        }
    }
    return real(from, to);
}
#else
#define nbc_swapcontext swapcontext
#endif

/* From the program's stack into the coroutine, until it waits or ends. */
static void nbc_enter(struct bpmpi_nbc *b)
{
#ifdef NBC_ASAN
    void *fake = NULL;
    __sanitizer_start_switch_fiber(&fake, b->map + NBC_GUARD, NBC_STACK);
#endif
#ifdef NBC_TSAN
    b->caller_fiber = __tsan_get_current_fiber();
    __tsan_switch_to_fiber(b->fiber, 0);
#endif
    bpmpi_nbc_current = b;
    nbc_swapcontext(&b->caller, &b->co);
    bpmpi_nbc_current = NULL;
#ifdef NBC_ASAN
    __sanitizer_finish_switch_fiber(fake, NULL, NULL);
#endif
}

/* Back to whoever entered (for good when the collective has ended). */
static void nbc_leave(struct bpmpi_nbc *b)
{
#ifdef NBC_ASAN
    __sanitizer_start_switch_fiber(b->done ? NULL : &b->fake, b->caller_lo, b->caller_len);
#endif
#ifdef NBC_TSAN
    __tsan_switch_to_fiber(b->caller_fiber, 0);
#endif
    nbc_swapcontext(&b->co, &b->caller);
#ifdef NBC_ASAN
    __sanitizer_finish_switch_fiber(b->fake, &b->caller_lo, &b->caller_len);
#endif
}

/* The blocking collective, as the program would have called it. */
static int nbc_run(const nbc_args_t *a)
{
    switch (a->kind) {
    case NBC_BARRIER:
        return MPI_Barrier(a->comm);
    case NBC_BCAST:
        return MPI_Bcast(a->rbuf, a->rcount, a->rtype, a->root, a->comm);
    case NBC_REDUCE:
        return MPI_Reduce(a->sbuf, a->rbuf, a->rcount, a->rtype, a->op, a->root, a->comm);
    case NBC_ALLREDUCE:
        return MPI_Allreduce(a->sbuf, a->rbuf, a->rcount, a->rtype, a->op, a->comm);
    case NBC_GATHER:
        return MPI_Gather(a->sbuf, a->scount, a->stype, a->rbuf, a->rcount, a->rtype, a->root,
                          a->comm);
    case NBC_GATHERV:
        return MPI_Gatherv(a->sbuf, a->scount, a->stype, a->rbuf, a->rcounts, a->rdispls,
                           a->rtype, a->root, a->comm);
    case NBC_SCATTER:
        return MPI_Scatter(a->sbuf, a->scount, a->stype, a->rbuf, a->rcount, a->rtype, a->root,
                           a->comm);
    case NBC_SCATTERV:
        return MPI_Scatterv(a->sbuf, a->scounts, a->sdispls, a->stype, a->rbuf, a->rcount,
                            a->rtype, a->root, a->comm);
    case NBC_ALLGATHER:
        return MPI_Allgather(a->sbuf, a->scount, a->stype, a->rbuf, a->rcount, a->rtype,
                             a->comm);
    case NBC_ALLGATHERV:
        return MPI_Allgatherv(a->sbuf, a->scount, a->stype, a->rbuf, a->rcounts, a->rdispls,
                              a->rtype, a->comm);
    case NBC_ALLTOALL:
        return MPI_Alltoall(a->sbuf, a->scount, a->stype, a->rbuf, a->rcount, a->rtype,
                            a->comm);
    case NBC_ALLTOALLV:
        return MPI_Alltoallv(a->sbuf, a->scounts, a->sdispls, a->stype, a->rbuf, a->rcounts,
                             a->rdispls, a->rtype, a->comm);
    case NBC_ALLTOALLW:
        return MPI_Alltoallw(a->sbuf, a->scounts, a->sdispls, a->stypes, a->rbuf, a->rcounts,
                             a->rdispls, a->rtypes, a->comm);
    case NBC_REDUCE_SCATTER:
        return MPI_Reduce_scatter(a->sbuf, a->rbuf, a->rcounts, a->rtype, a->op, a->comm);
    case NBC_REDUCE_SCATTER_BLOCK:
        return MPI_Reduce_scatter_block(a->sbuf, a->rbuf, a->rcount, a->rtype, a->op, a->comm);
    case NBC_SCAN:
        return MPI_Scan(a->sbuf, a->rbuf, a->rcount, a->rtype, a->op, a->comm);
    case NBC_EXSCAN:
        return MPI_Exscan(a->sbuf, a->rbuf, a->rcount, a->rtype, a->op, a->comm);
    case NBC_NEIGHBOR_ALLGATHER:
        return MPI_Neighbor_allgather(a->sbuf, a->scount, a->stype, a->rbuf, a->rcount,
                                      a->rtype, a->comm);
    case NBC_NEIGHBOR_ALLGATHERV:
        return MPI_Neighbor_allgatherv(a->sbuf, a->scount, a->stype, a->rbuf, a->rcounts,
                                       a->rdispls, a->rtype, a->comm);
    case NBC_NEIGHBOR_ALLTOALL:
        return MPI_Neighbor_alltoall(a->sbuf, a->scount, a->stype, a->rbuf, a->rcount,
                                     a->rtype, a->comm);
    case NBC_NEIGHBOR_ALLTOALLV:
        return MPI_Neighbor_alltoallv(a->sbuf, a->scounts, a->sdispls, a->stype, a->rbuf,
                                      a->rcounts, a->rdispls, a->rtype, a->comm);
    case NBC_NEIGHBOR_ALLTOALLW:
        return MPI_Neighbor_alltoallw(a->sbuf, a->scounts, a->sbdispls, a->stypes, a->rbuf,
                                      a->rcounts, a->rbdispls, a->rtypes, a->comm);
    }
    return MPI_ERR_INTERN;
}

static void nbc_main(void)
{
    struct bpmpi_nbc *b = bpmpi_nbc_current;

#ifdef NBC_ASAN
    __sanitizer_finish_switch_fiber(NULL, &b->caller_lo, &b->caller_len);
#endif
    b->err = nbc_run(&b->a);
    b->done = true;
    nbc_leave(b); /* never resumed */
    abort();
}

/* Keeps the call's types alive (or lets them go): MPI lets the program free a type while
 * a collective using it is pending (MPI-3.1 4.1.9). */
static void nbc_types(const nbc_args_t *a, bool retain)
{
    MPI_Datatype one[2] = {a->stype, a->rtype};

    for (int i = 0; i < 2 + a->nstypes + a->nrtypes; i++) {
        MPI_Datatype t = i < 2 ? one[i] : i - 2 < a->nstypes ? a->stypes[i - 2]
                                                              : a->rtypes[i - 2 - a->nstypes];
        if (t == MPI_DATATYPE_NULL) {
            continue;
        }
        if (retain) {
            bpmpi_dt_retain(t);
        } else {
            bpmpi_dt_release(t);
        }
    }
}

static void nbc_free(struct bpmpi_nbc *b, bool keep_stack)
{
    nbc_types(&b->a, false);
    if (!keep_stack) {
        stack_put(b->map);
    }
#ifdef NBC_TSAN
    __tsan_destroy_fiber(b->fiber);
#endif
    free(b);
}

void bpmpi_nbc_resume(struct bpmpi_request *r)
{
    struct bpmpi_nbc *b = r->nbc;

    if (b == NULL || b->done || bpmpi_nbc_current != NULL) {
        return;
    }
    nbc_enter(b);
    if (b->done) {
        int err = b->err;
        MPI_Comm comm = b->a.comm;
        nbc_free(b, false);
        bpmpi_req_coll_finish(r, err); /* may release r */
        bpmpi_comm_nbc_done(comm);
    }
}

void bpmpi_nbc_drop(struct bpmpi_request *r)
{
    if (r->nbc != NULL) {
        /* Its native requests go with bp_finalize, and may still point into its stack:
         * the stack stays mapped (a program that never waited for a collective). */
        nbc_free(r->nbc, true);
        r->nbc = NULL;
    }
}

bp_status_t bpmpi_nbc_wait(bp_request_t **reqs, bp_msginfo_t *infos, int n)
{
    struct bpmpi_nbc *b = bpmpi_nbc_current;
    struct bpmpi_request *r = b->req;
    bp_status_t first = BP_OK;

    for (;;) {
        int k = -1;
        for (int i = 0; i < n; i++) {
            int done;
            bp_msginfo_t info;
            bp_status_t st;
            if (reqs[i] == NULL) {
                continue;
            }
            st = bp_test(&reqs[i], &done, &info);
            if (!done) {
                k = k < 0 ? i : k;
                continue;
            }
            if (infos != NULL) {
                infos[i] = info;
            }
            if (st != BP_OK && first == BP_OK) {
                first = st;
            }
        }
        if (k < 0) {
            return first;
        }
        /* The request's nreq is this native request until we run again: whoever completes
         * it there (a wait of the program's) sets nreq to NULL and resumes us. */
        r->nreq = reqs[k];
        bpmpi.nbc_epoch++;
        nbc_leave(b);
        if (r->nreq == NULL) {
            reqs[k] = NULL;
            if (infos != NULL) {
                infos[k] = r->info;
            }
            if (r->nst != BP_OK && first == BP_OK) {
                first = r->nst;
            }
        }
        r->nreq = NULL;
    }
}

/* --- the calls ---------------------------------------------------------------------------- */

/* Starts the collective a: runs it up to its first wait. */
static int nbc_start(const char *call, nbc_args_t *a, MPI_Request *request)
{
    struct bpmpi_nbc *b;
    struct bpmpi_request *r;
    int err;

    BPMPI_CHECK_INIT(call);
    if (request == NULL) {
        return bpmpi_error(MPI_COMM_WORLD, MPI_ERR_ARG, call);
    }
    if (!bpmpi_comm_ok(a->comm)) {
        return bpmpi_error(MPI_COMM_WORLD, MPI_ERR_COMM, call);
    }
    if (bpmpi_nbc_current != NULL) {
        return bpmpi_error(a->comm, MPI_ERR_INTERN, call); /* cannot happen: no nesting */
    }
    if ((b = calloc(1, sizeof(*b))) == NULL) {
        return bpmpi_error(a->comm, MPI_ERR_NO_MEM, call);
    }
    if ((b->map = stack_get()) == NULL) {
        free(b);
        return bpmpi_error(a->comm, MPI_ERR_NO_MEM, call);
    }
    if ((r = bpmpi_req_coll_new(a->comm)) == NULL) {
        stack_put(b->map);
        free(b);
        return bpmpi_error(a->comm, MPI_ERR_NO_MEM, call);
    }
    b->a = *a;
    b->call = call;
    nbc_types(&b->a, true);
    a->comm->nbc_pending++;
    b->req = r;
    r->nbc = b;
    getcontext(&b->co);
    b->co.uc_stack.ss_sp = b->map + NBC_GUARD;
    b->co.uc_stack.ss_size = NBC_STACK;
    b->co.uc_link = NULL;
    makecontext(&b->co, nbc_main, 0);
#ifdef NBC_TSAN
    b->fiber = __tsan_create_fiber(0);
#endif
    nbc_enter(b);
    if (b->done) {
        /* ended at once: an argument error (already through the error handler, as the
         * blocking call reports it), or a collective with nothing to wait for */
        err = b->err;
        nbc_free(b, false);
        bpmpi_req_coll_finish(r, err);
        bpmpi_comm_nbc_done(a->comm);
        if (err != MPI_SUCCESS) {
            r->active = false;
            MPI_Request_free(&r);
            *request = MPI_REQUEST_NULL;
            return err;
        }
    }
    *request = r;
    return MPI_SUCCESS;
}

int MPI_Ibarrier(MPI_Comm comm, MPI_Request *request)
{
    nbc_args_t a = {.kind = NBC_BARRIER, .comm = comm};

    return nbc_start("MPI_Ibarrier", &a, request);
}

int MPI_Ibcast(void *buffer, int count, MPI_Datatype datatype, int root, MPI_Comm comm,
               MPI_Request *request)
{
    nbc_args_t a = {.kind = NBC_BCAST, .rbuf = buffer, .rcount = count, .rtype = datatype,
                    .root = root, .comm = comm};

    return nbc_start("MPI_Ibcast", &a, request);
}

int MPI_Ireduce(const void *sendbuf, void *recvbuf, int count, MPI_Datatype datatype, MPI_Op op,
                int root, MPI_Comm comm, MPI_Request *request)
{
    nbc_args_t a = {.kind = NBC_REDUCE, .sbuf = sendbuf, .rbuf = recvbuf, .rcount = count,
                    .rtype = datatype, .op = op, .root = root, .comm = comm};

    return nbc_start("MPI_Ireduce", &a, request);
}

int MPI_Iallreduce(const void *sendbuf, void *recvbuf, int count, MPI_Datatype datatype,
                   MPI_Op op, MPI_Comm comm, MPI_Request *request)
{
    nbc_args_t a = {.kind = NBC_ALLREDUCE, .sbuf = sendbuf, .rbuf = recvbuf, .rcount = count,
                    .rtype = datatype, .op = op, .comm = comm};

    return nbc_start("MPI_Iallreduce", &a, request);
}

int MPI_Igather(const void *sendbuf, int sendcount, MPI_Datatype sendtype, void *recvbuf,
                int recvcount, MPI_Datatype recvtype, int root, MPI_Comm comm,
                MPI_Request *request)
{
    nbc_args_t a = {.kind = NBC_GATHER, .sbuf = sendbuf, .scount = sendcount, .stype = sendtype,
                    .rbuf = recvbuf, .rcount = recvcount, .rtype = recvtype, .root = root,
                    .comm = comm};

    return nbc_start("MPI_Igather", &a, request);
}

int MPI_Igatherv(const void *sendbuf, int sendcount, MPI_Datatype sendtype, void *recvbuf,
                 const int recvcounts[], const int displs[], MPI_Datatype recvtype, int root,
                 MPI_Comm comm, MPI_Request *request)
{
    nbc_args_t a = {.kind = NBC_GATHERV, .sbuf = sendbuf, .scount = sendcount,
                    .stype = sendtype, .rbuf = recvbuf, .rcounts = recvcounts,
                    .rdispls = displs, .rtype = recvtype, .root = root, .comm = comm};

    return nbc_start("MPI_Igatherv", &a, request);
}

int MPI_Iscatter(const void *sendbuf, int sendcount, MPI_Datatype sendtype, void *recvbuf,
                 int recvcount, MPI_Datatype recvtype, int root, MPI_Comm comm,
                 MPI_Request *request)
{
    nbc_args_t a = {.kind = NBC_SCATTER, .sbuf = sendbuf, .scount = sendcount,
                    .stype = sendtype, .rbuf = recvbuf, .rcount = recvcount, .rtype = recvtype,
                    .root = root, .comm = comm};

    return nbc_start("MPI_Iscatter", &a, request);
}

int MPI_Iscatterv(const void *sendbuf, const int sendcounts[], const int displs[],
                  MPI_Datatype sendtype, void *recvbuf, int recvcount, MPI_Datatype recvtype,
                  int root, MPI_Comm comm, MPI_Request *request)
{
    nbc_args_t a = {.kind = NBC_SCATTERV, .sbuf = sendbuf, .scounts = sendcounts,
                    .sdispls = displs, .stype = sendtype, .rbuf = recvbuf, .rcount = recvcount,
                    .rtype = recvtype, .root = root, .comm = comm};

    return nbc_start("MPI_Iscatterv", &a, request);
}

int MPI_Iallgather(const void *sendbuf, int sendcount, MPI_Datatype sendtype, void *recvbuf,
                   int recvcount, MPI_Datatype recvtype, MPI_Comm comm, MPI_Request *request)
{
    nbc_args_t a = {.kind = NBC_ALLGATHER, .sbuf = sendbuf, .scount = sendcount,
                    .stype = sendtype, .rbuf = recvbuf, .rcount = recvcount, .rtype = recvtype,
                    .comm = comm};

    return nbc_start("MPI_Iallgather", &a, request);
}

int MPI_Iallgatherv(const void *sendbuf, int sendcount, MPI_Datatype sendtype, void *recvbuf,
                    const int recvcounts[], const int displs[], MPI_Datatype recvtype,
                    MPI_Comm comm, MPI_Request *request)
{
    nbc_args_t a = {.kind = NBC_ALLGATHERV, .sbuf = sendbuf, .scount = sendcount,
                    .stype = sendtype, .rbuf = recvbuf, .rcounts = recvcounts,
                    .rdispls = displs, .rtype = recvtype, .comm = comm};

    return nbc_start("MPI_Iallgatherv", &a, request);
}

int MPI_Ialltoall(const void *sendbuf, int sendcount, MPI_Datatype sendtype, void *recvbuf,
                  int recvcount, MPI_Datatype recvtype, MPI_Comm comm, MPI_Request *request)
{
    nbc_args_t a = {.kind = NBC_ALLTOALL, .sbuf = sendbuf, .scount = sendcount,
                    .stype = sendtype, .rbuf = recvbuf, .rcount = recvcount, .rtype = recvtype,
                    .comm = comm};

    return nbc_start("MPI_Ialltoall", &a, request);
}

int MPI_Ialltoallv(const void *sendbuf, const int sendcounts[], const int sdispls[],
                   MPI_Datatype sendtype, void *recvbuf, const int recvcounts[],
                   const int rdispls[], MPI_Datatype recvtype, MPI_Comm comm,
                   MPI_Request *request)
{
    nbc_args_t a = {.kind = NBC_ALLTOALLV, .sbuf = sendbuf, .scounts = sendcounts,
                    .sdispls = sdispls, .stype = sendtype, .rbuf = recvbuf,
                    .rcounts = recvcounts, .rdispls = rdispls, .rtype = recvtype,
                    .comm = comm};

    return nbc_start("MPI_Ialltoallv", &a, request);
}

int MPI_Ialltoallw(const void *sendbuf, const int sendcounts[], const int sdispls[],
                   const MPI_Datatype sendtypes[], void *recvbuf, const int recvcounts[],
                   const int rdispls[], const MPI_Datatype recvtypes[], MPI_Comm comm,
                   MPI_Request *request)
{
    nbc_args_t a = {.kind = NBC_ALLTOALLW, .sbuf = sendbuf, .scounts = sendcounts,
                    .sdispls = sdispls, .rbuf = recvbuf, .rcounts = recvcounts,
                    .rdispls = rdispls, .comm = comm};

    /* the types are kept alive only when the arrays are there to read (else the call fails
     * on its argument check) */
    if (bpmpi_comm_ok(comm) && bpmpi.initialized && recvtypes != NULL &&
        (sendbuf == MPI_IN_PLACE || sendtypes != NULL)) {
        a.nstypes = a.nrtypes = comm->size;
        a.rtypes = recvtypes;
        a.stypes = sendbuf == MPI_IN_PLACE ? recvtypes : sendtypes;
    }
    return nbc_start("MPI_Ialltoallw", &a, request);
}

int MPI_Ireduce_scatter(const void *sendbuf, void *recvbuf, const int recvcounts[],
                        MPI_Datatype datatype, MPI_Op op, MPI_Comm comm, MPI_Request *request)
{
    nbc_args_t a = {.kind = NBC_REDUCE_SCATTER, .sbuf = sendbuf, .rbuf = recvbuf,
                    .rcounts = recvcounts, .rtype = datatype, .op = op, .comm = comm};

    return nbc_start("MPI_Ireduce_scatter", &a, request);
}

int MPI_Ireduce_scatter_block(const void *sendbuf, void *recvbuf, int recvcount,
                              MPI_Datatype datatype, MPI_Op op, MPI_Comm comm,
                              MPI_Request *request)
{
    nbc_args_t a = {.kind = NBC_REDUCE_SCATTER_BLOCK, .sbuf = sendbuf, .rbuf = recvbuf,
                    .rcount = recvcount, .rtype = datatype, .op = op, .comm = comm};

    return nbc_start("MPI_Ireduce_scatter_block", &a, request);
}

int MPI_Iscan(const void *sendbuf, void *recvbuf, int count, MPI_Datatype datatype, MPI_Op op,
              MPI_Comm comm, MPI_Request *request)
{
    nbc_args_t a = {.kind = NBC_SCAN, .sbuf = sendbuf, .rbuf = recvbuf, .rcount = count,
                    .rtype = datatype, .op = op, .comm = comm};

    return nbc_start("MPI_Iscan", &a, request);
}

int MPI_Iexscan(const void *sendbuf, void *recvbuf, int count, MPI_Datatype datatype,
                MPI_Op op, MPI_Comm comm, MPI_Request *request)
{
    nbc_args_t a = {.kind = NBC_EXSCAN, .sbuf = sendbuf, .rbuf = recvbuf, .rcount = count,
                    .rtype = datatype, .op = op, .comm = comm};

    return nbc_start("MPI_Iexscan", &a, request);
}

/* --- neighbourhood collectives ----------------------------------------------------------- */

int MPI_Ineighbor_allgather(const void *sendbuf, int sendcount, MPI_Datatype sendtype,
                            void *recvbuf, int recvcount, MPI_Datatype recvtype, MPI_Comm comm,
                            MPI_Request *request)
{
    nbc_args_t a = {.kind = NBC_NEIGHBOR_ALLGATHER, .sbuf = sendbuf, .scount = sendcount,
                    .stype = sendtype, .rbuf = recvbuf, .rcount = recvcount, .rtype = recvtype,
                    .comm = comm};

    return nbc_start("MPI_Ineighbor_allgather", &a, request);
}

int MPI_Ineighbor_allgatherv(const void *sendbuf, int sendcount, MPI_Datatype sendtype,
                             void *recvbuf, const int recvcounts[], const int displs[],
                             MPI_Datatype recvtype, MPI_Comm comm, MPI_Request *request)
{
    nbc_args_t a = {.kind = NBC_NEIGHBOR_ALLGATHERV, .sbuf = sendbuf, .scount = sendcount,
                    .stype = sendtype, .rbuf = recvbuf, .rcounts = recvcounts,
                    .rdispls = displs, .rtype = recvtype, .comm = comm};

    return nbc_start("MPI_Ineighbor_allgatherv", &a, request);
}

int MPI_Ineighbor_alltoall(const void *sendbuf, int sendcount, MPI_Datatype sendtype,
                           void *recvbuf, int recvcount, MPI_Datatype recvtype, MPI_Comm comm,
                           MPI_Request *request)
{
    nbc_args_t a = {.kind = NBC_NEIGHBOR_ALLTOALL, .sbuf = sendbuf, .scount = sendcount,
                    .stype = sendtype, .rbuf = recvbuf, .rcount = recvcount, .rtype = recvtype,
                    .comm = comm};

    return nbc_start("MPI_Ineighbor_alltoall", &a, request);
}

int MPI_Ineighbor_alltoallv(const void *sendbuf, const int sendcounts[], const int sdispls[],
                            MPI_Datatype sendtype, void *recvbuf, const int recvcounts[],
                            const int rdispls[], MPI_Datatype recvtype, MPI_Comm comm,
                            MPI_Request *request)
{
    nbc_args_t a = {.kind = NBC_NEIGHBOR_ALLTOALLV, .sbuf = sendbuf, .scounts = sendcounts,
                    .sdispls = sdispls, .stype = sendtype, .rbuf = recvbuf,
                    .rcounts = recvcounts, .rdispls = rdispls, .rtype = recvtype,
                    .comm = comm};

    return nbc_start("MPI_Ineighbor_alltoallv", &a, request);
}

int MPI_Ineighbor_alltoallw(const void *sendbuf, const int sendcounts[],
                            const MPI_Aint sdispls[], const MPI_Datatype sendtypes[],
                            void *recvbuf, const int recvcounts[], const MPI_Aint rdispls[],
                            const MPI_Datatype recvtypes[], MPI_Comm comm, MPI_Request *request)
{
    nbc_args_t a = {.kind = NBC_NEIGHBOR_ALLTOALLW, .sbuf = sendbuf, .scounts = sendcounts,
                    .sbdispls = sdispls, .rbuf = recvbuf, .rcounts = recvcounts,
                    .rbdispls = rdispls, .comm = comm};

    /* the types are kept alive when they can be counted (else the call fails its checks) */
    if (bpmpi.initialized && bpmpi_comm_ok(comm) && sendtypes != NULL && recvtypes != NULL &&
        (comm->graph || comm->ndims > 0)) {
        a.stypes = sendtypes;
        a.rtypes = recvtypes;
        a.nstypes = comm->graph ? comm->outdeg : 2 * comm->ndims;
        a.nrtypes = comm->graph ? comm->indeg : 2 * comm->ndims;
    }
    return nbc_start("MPI_Ineighbor_alltoallw", &a, request);
}
