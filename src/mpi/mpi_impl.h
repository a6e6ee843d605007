/*
 * mpi_impl.h - what the files of libbpmpi share: the objects behind the MPI handles, the
 * layout of the 64-bit native tag, the process-wide state, and the helpers every MPI call
 * uses (argument checks, error handlers, waiting with progress).
 *
 * libbpmpi sits on the native API (bypass.h) only. A communicator is a context id carried
 * in the native tag plus a table from its ranks to world ranks; datatypes are flattened to
 * (offset, length) blocks and moved as packed bytes when not contiguous; collectives are
 * point-to-point messages with their own tag kind (mpi_coll.c).
 *
 * Native tag layout (docs/MPI.md):
 *
 *   63..60  kind      0 point-to-point, 1 collective, 2 MPI_Comm_create_group's agreement
 *                     on a context id (low: the call's tag; 2 was the synchronous-send ack's
 *                     kind before synchronous sends moved into the native layer)
 *   59..32  context   the communicator's context id (28 bits; 0 world, 1 self)
 *   31      sync      point-to-point: the sender waits for an ack (Ssend, Issend)
 *   30..0   low       point-to-point and ack: the MPI tag (MPI_TAG_UB = 2^31 - 1);
 *                     collective: 16 bits of the communicator's collective sequence and
 *                     15 bits of step inside the algorithm
 *
 * A receive compares kind and context always; MPI_ANY_TAG ignores bits 31..0 only, a given
 * tag ignores bit 31 only, so no receive ever matches across communicators or kinds.
 */
#ifndef BPMPI_IMPL_H
#define BPMPI_IMPL_H

#include <bypass.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mpi.h"

#define BPMPI_UNLIKELY(x) __builtin_expect(!!(x), 0)
#define BPMPI_LIKELY(x) __builtin_expect(!!(x), 1)

/* --- native tag ------------------------------------------------------------------------ */

#define BPMPI_KIND_P2P 0ull
#define BPMPI_KIND_COLL 1ull
#define BPMPI_KIND_GROUP 2ull
#define BPMPI_KIND_SHIFT 60
#define BPMPI_CTX_SHIFT 32
#define BPMPI_CTX_MAX ((1u << 28) - 1)
#define BPMPI_TAG_LOW_MASK 0x7fffffffull
#define BPMPI_IGNORE_ANY_TAG BPMPI_TAG_LOW_MASK
#define BPMPI_IGNORE_TAG 0ull

static inline uint64_t bpmpi_tag(uint64_t kind, uint32_t ctx, uint64_t low)
{
    return (kind << BPMPI_KIND_SHIFT) | ((uint64_t)ctx << BPMPI_CTX_SHIFT) | low;
}

/* --- objects --------------------------------------------------------------------------- */

struct bpmpi_errhandler {
    int fatal; /* 1: MPI_ERRORS_ARE_FATAL, 0: MPI_ERRORS_RETURN */
};

struct bpmpi_group {
    int refs; /* predefined groups never reach 0 */
    int predef;
    int size;
    int *world; /* world rank of each member */
    /* the groups the program holds (MPI_Finalize frees those it never freed) */
    struct bpmpi_group *live_prev, *live_next;
};

struct bpmpi_comm {
    uint32_t ctx;
    int rank, size;
    int *world;        /* comm rank -> world rank */
    int *local;        /* world rank -> comm rank or -1 (world size entries) */
    MPI_Errhandler eh; /* never NULL */
    uint32_t coll_seq; /* collectives called on this communicator so far */
    /* Some of the job's ranks on one host: the native collectives of its members
     * (bp_group_create at creation, mpi_comm.c); NULL: the job's, or messages. */
    bp_group_t *group;
    uint64_t p2p_tag;  /* bpmpi_tag(P2P, ctx, 0): OR the MPI tag in */
    int predef;
    /* Cartesian topology (mpi_topo.c): ndims > 0 when the communicator has one; rank r's
     * coordinates are r in row-major order over dims. */
    int ndims;
    int *dims, *periods;
    /* Distributed graph topology (Dist_graph_create_adjacent): graph set, the in- and
     * out-neighbours as ranks of this communicator, with their weights. */
    bool graph;
    int indeg, outdeg;
    int *srcs, *dsts, *srcw, *dstw;
    bool weighted;
    char name[MPI_MAX_OBJECT_NAME]; /* Comm_set_name / Comm_get_name */
    /* Nonblocking collectives still running on it: MPI_Comm_free then only marks it
     * (freed), and the last of them to end frees it (MPI-3.1 6.4.3). */
    int nbc_pending;
    bool freed;
};

typedef struct bpmpi_block {
    MPI_Aint off;
    size_t len;
} bpmpi_block_t;

struct bpmpi_datatype {
    int predef;
    int refs;               /* derived: the handle and each request using it */
    int committed;
    size_t size;            /* bytes of data in one element */
    MPI_Aint lb, extent;    /* as MPI defines them (resized types included) */
    MPI_Aint true_lb, true_ub;
    size_t align;           /* largest alignment among the basic types inside */
    int nblocks;            /* the type map of one element, flattened, merged */
    bpmpi_block_t *blocks;  /* predefined: points at one */
    bpmpi_block_t one;
    int basic;              /* the one basic type inside (its index, mpi_dt.c), or -1 */
    size_t nbasic;          /* how many basic elements one element holds */
    bool contig;            /* count elements are one run of count * size bytes at lb */
    /* Committed, contiguous and size < 2^32 (so int count * size cannot overflow): the
     * blocking calls' fast paths move count * size bytes at buf + fast_off in place. */
    bool fast;
    MPI_Aint fast_off;
    const char *name;
    char uname[MPI_MAX_OBJECT_NAME]; /* Type_set_name (empty: none set) */
};

struct bpmpi_op {
    int predef; /* index in bpmpi_op_predef, or -1 for user operations */
    MPI_User_function *fn;
    int commute;
};

/* COLL: a nonblocking collective (mpi_nbc.c); its nreq is the native request its coroutine
 * waits on, and its completion resumes the coroutine instead of finishing the request. */
enum { BPMPI_RQ_SEND, BPMPI_RQ_RECV, BPMPI_RQ_COLL };
struct bpmpi_nbc;
enum { BPMPI_MODE_STD, BPMPI_MODE_SYNC, BPMPI_MODE_BUF, BPMPI_MODE_READY };

struct bpmpi_request {
    int kind, mode;
    bool persistent, active, complete, user_freed, in_list, cancel_asked;
    MPI_Comm comm;
    /* the call's arguments (kept for persistent requests) */
    void *buf;
    int count;
    MPI_Datatype dt;
    int peer, tag;
    /* in flight */
    bp_request_t *nreq; /* the native request */
    bp_status_t nst;
    bp_msginfo_t info;
    bool serviced; /* counted in bpmpi.n_service */
    bool mark;     /* scratch: in the set a wait is for */
    void *tmp; /* packed copy of a noncontiguous buffer */
    size_t bytes;
    struct bpmpi_nbc *nbc; /* COLL: the coroutine running the collective */
    MPI_Status status; /* the result, once complete */
    struct bpmpi_request *prev, *next; /* the active list */
};

/* --- process state --------------------------------------------------------------------- */

typedef struct bpmpi_detached {
    bp_request_t *req; /* a send nobody waits for: an ack, a buffered send */
    void *mem;         /* freed (or returned to the attach buffer) when it completes */
    size_t mem_len;
} bpmpi_detached_t;

typedef struct bpmpi_state {
    /* initialized, not finalized and n_service == 0 (bpmpi_fast_update): the one load the
     * fast paths of the blocking calls test before going straight to the native calls */
    int fast;
    bp_context_t *ctx;
    int rank, size;
    int initialized, finalized;
    /* bp_coll_shm: the native collectives' one-step shared-memory sizes (0: messages) */
    size_t shm_allreduce_max, shm_bcast_max;
    int thread_level;
    uint32_t next_ctx; /* the lowest context id this process has never used */
    struct bpmpi_request *active; /* requests with native requests in flight */
    /* Active requests the MPI layer must complete by itself while the user waits on
     * something else: those the user freed while active. 0 (the common case) lets blocking
     * calls go straight to the native blocking calls. */
    int n_service;
    bpmpi_detached_t *detached;
    size_t n_detached, cap_detached;
    /* Counts the native requests nonblocking collectives have exposed in their requests'
     * nreq: a wait that gathered native requests once gathers again when it changes. */
    unsigned nbc_epoch;
    void *bsend_buf; /* MPI_Buffer_attach: only its size is used, as an accounting limit */
    size_t bsend_size, bsend_used;
} bpmpi_state_t;

extern bpmpi_state_t bpmpi;

/* To be called whenever initialized, finalized or n_service changes. */
static inline void bpmpi_fast_update(void)
{
    bpmpi.fast = bpmpi.initialized && !bpmpi.finalized && bpmpi.n_service == 0;
}

/* --- helpers (mpi_env.c) --------------------------------------------------------------- */

/* Applies comm's error handler to code (MPI_SUCCESS passes through) and returns it. */
int bpmpi_error(MPI_Comm comm, int code, const char *call);
int bpmpi_from_status(bp_status_t status);
/* Checks that MPI is initialised and not finalised (MPI_ERR_OTHER otherwise). */
int bpmpi_check_init(const char *call);
void bpmpi_fatal(const char *fmt, ...) __attribute__((noreturn, format(printf, 1, 2)));

#define BPMPI_CHECK_INIT(call)                                                                 \
    do {                                                                                       \
        if (BPMPI_UNLIKELY(!bpmpi.initialized || bpmpi.finalized)) {                           \
            return bpmpi_check_init(call);                                                     \
        }                                                                                      \
    } while (0)

/* --- datatypes (mpi_dt.c) -------------------------------------------------------------- */

void bpmpi_dt_init(void);
int bpmpi_dt_check(MPI_Datatype dt); /* MPI_SUCCESS or MPI_ERR_TYPE */
/* count * dt->size in *bytes_p, or MPI_ERR_COUNT (negative, or beyond what a size_t holds) */
int bpmpi_dt_bytes(MPI_Datatype dt, int count, size_t *bytes_p);
void bpmpi_dt_pack(const void *buf, int count, MPI_Datatype dt, void *out);
void bpmpi_dt_unpack(const void *in, size_t bytes, void *buf, MPI_Datatype dt);
MPI_Datatype bpmpi_dt_retain(MPI_Datatype dt);
/* Sets dt->fast and dt->fast_off; called when a type is committed. */
void bpmpi_dt_set_fast(MPI_Datatype dt);
void bpmpi_dt_release(MPI_Datatype dt);
/* Whether count elements of dt are one run of bytes (then bpmpi_dt_base is where). */
static inline bool bpmpi_dt_contig(MPI_Datatype dt, int count)
{
    return dt->contig || (count <= 1 && dt->nblocks <= 1);
}
/* The first byte of count contiguous elements. */
static inline char *bpmpi_dt_base(const void *buf, MPI_Datatype dt)
{
    return (char *)buf + (dt->nblocks > 0 ? dt->blocks[0].off : 0);
}

/* --- operations (mpi_op.c) ------------------------------------------------------------- */

/* Checks that op applies to dt: MPI_SUCCESS or MPI_ERR_OP. */
int bpmpi_op_check(MPI_Op op, MPI_Datatype dt);
/* The native bp_allreduce's element type and operation for a predefined operation on a
 * basic type (or a type of one basic type), when the native API has both: 1, else 0. */
int bpmpi_op_native(MPI_Op op, MPI_Datatype dt, bp_dtype_t *ndt, bp_op_t *nop);
/* inout[i] = in[i] op inout[i] for count elements of dt, both packed. */
void bpmpi_op_apply(MPI_Op op, MPI_Datatype dt, const void *in, void *inout, int count);

/* --- requests and progress (mpi_p2p.c) ------------------------------------------------- */

/*
 * Waits for n native requests (NULL entries are done) while keeping MPI-level progress
 * going (acks owed by active receives). Fills infos (may be NULL); returns the first error.
 */
bp_status_t bpmpi_nwait(bp_request_t **reqs, bp_msginfo_t *infos, int n);
/* The native collectives' hook (bp_set_coll_hook): services pending requests meanwhile. */
void bpmpi_coll_hook(void *arg);
void bpmpi_detach(bp_request_t *req, void *mem, size_t mem_len);
/* Before bp_finalize: completes requests the user freed while active, frees the rest. */
void bpmpi_p2p_fini(void);
void bpmpi_detached_reap(int wait_all);

/* A COLL request, active, on the active list and serviced (so that every blocking call
 * keeps it going, as MPI's progress rule asks), for mpi_nbc.c to run. */
struct bpmpi_request *bpmpi_req_coll_new(MPI_Comm comm);
/* The collective ended with err: the request completes (and is released if freed). */
void bpmpi_req_coll_finish(struct bpmpi_request *r, int err);

/* --- nonblocking collectives (mpi_nbc.c) ----------------------------------------------- */

/* Nonzero while a nonblocking collective's coroutine runs: waits there yield instead. */
extern struct bpmpi_nbc *bpmpi_nbc_current;
const char *bpmpi_nbc_call(void);
/* Inside a coroutine: the bpmpi_nwait that gives the caller control until reqs are done. */
bp_status_t bpmpi_nbc_wait(bp_request_t **reqs, bp_msginfo_t *infos, int n);
/* Runs r's coroutine until it waits again or ends (then r completes). */
void bpmpi_nbc_resume(struct bpmpi_request *r);
/* Finalize: frees the coroutine of a collective nobody waited for. */
void bpmpi_nbc_drop(struct bpmpi_request *r);

/* --- communicators (mpi_comm.c) -------------------------------------------------------- */

void bpmpi_comm_init_predef(void);
void bpmpi_comm_fini_predef(void);
static inline int bpmpi_comm_ok(MPI_Comm comm)
{
    return comm != MPI_COMM_NULL;
}

/* A nonblocking collective on comm ended: frees comm if it was freed meanwhile. */
void bpmpi_comm_nbc_done(MPI_Comm comm);
/* Copies src's topology to dst (Comm_dup); frees a communicator's topology. */
int bpmpi_topo_copy(MPI_Comm dst, MPI_Comm src);
void bpmpi_topo_free(MPI_Comm comm);

/* --- collectives (mpi_coll.c) ---------------------------------------------------------- */

/* Collective tags of comm for the collective started now (takes the next sequence). */
static inline uint64_t bpmpi_coll_tag_base(MPI_Comm comm)
{
    uint64_t seq = comm->coll_seq++ & 0xffffu;

    return bpmpi_tag(BPMPI_KIND_COLL, comm->ctx, seq << 15);
}
int bpmpi_allreduce_raw(void *buf, int count, MPI_Datatype dt, MPI_Op op, MPI_Comm comm);

#endif /* BPMPI_IMPL_H */
