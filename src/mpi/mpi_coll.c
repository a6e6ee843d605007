/*
 * mpi_coll.c - the collectives, on any communicator, as point-to-point messages of tag kind
 * COLL (mpi_impl.h): a collective's messages carry 16 bits of the communicator's collective
 * sequence number and 15 bits of step, so they never match a user's receive, nor another
 * collective's message. Data moves packed (mpi_dt.c); contiguous buffers are used in place.
 *
 * Algorithms, chosen by size as MPICH and Open MPI do (thresholds in bytes of the whole
 * message unless said; docs/MPI.md has the table):
 *   Barrier        dissemination (ceil(log2 n) rounds of zero-byte messages)
 *   Bcast          binomial tree; >= COLL_BCAST_LONG and >= 3 ranks: binomial scatter + ring
 *                  allgather (van de Geijn)
 *   Reduce         binomial tree (rooted at 0 then forwarded for non-commutative operations)
 *   Allreduce      recursive doubling (non-powers of two folded first); commutative from
 *                  COLL_ALLREDUCE_MID with count >= the largest power of two of the ranks:
 *                  Rabenseifner (reduce-scatter by recursive halving, allgather by recursive
 *                  doubling), except from COLL_ALLREDUCE_LONG on a non-power of two with
 *                  count >= ranks: ring (reduce-scatter ring + allgather ring), which needs no
 *                  folding
 *   Gather(v), Scatter(v)    linear at the root (every other rank one message)
 *   Allgather      recursive doubling on powers of two below COLL_ALLGATHER_LONG, else ring
 *   Allgatherv     ring
 *   Alltoall       Bruck for blocks <= COLL_ALLTOALL_SHORT with >= 8 ranks, else pairwise
 *   Alltoallv      pairwise exchange
 *   Reduce_scatter(_block)   ring reduce-scatter (commutative), else reduce + scatterv
 *   Scan, Exscan   recursive doubling
 */
#include <limits.h>
#include <stdalign.h>
#include <stdlib.h>
#include <string.h>

#include "mpi_impl.h"

#define COLL_BCAST_LONG 65536
#define COLL_ALLREDUCE_MID 2048
#define COLL_ALLREDUCE_LONG 65536
#define COLL_ALLGATHER_LONG 524288
#define COLL_ALLTOALL_SHORT 256
#define COLL_STACK 512 /* reductions up to this many bytes use buffers on the stack */

typedef struct coll {
    MPI_Comm comm;
    uint64_t tag;
} coll_t;

static inline void coll_begin(coll_t *c, MPI_Comm comm)
{
    c->comm = comm;
    c->tag = bpmpi_coll_tag_base(comm);
}

static inline uint64_t coll_tag(const coll_t *c, int step)
{
    return c->tag | ((uint64_t)step & 0x7fffu);
}

static int coll_status(bp_status_t st)
{
    return st == BP_OK ? MPI_SUCCESS : bpmpi_from_status(st);
}

static int c_send(const coll_t *c, const void *buf, size_t n, int peer, int step)
{
    bp_request_t *req;
    bp_status_t st;

    if (BPMPI_LIKELY(bpmpi.n_service == 0)) {
        return coll_status(bp_send(bpmpi.ctx, buf, n, c->comm->world[peer], coll_tag(c, step)));
    }
    st = bp_isend(bpmpi.ctx, buf, n, c->comm->world[peer], coll_tag(c, step), &req);
    if (st == BP_OK) {
        st = bpmpi_nwait(&req, NULL, 1);
    }
    return coll_status(st);
}

static int c_recv(const coll_t *c, void *buf, size_t n, int peer, int step, size_t *got_p)
{
    bp_request_t *req;
    bp_msginfo_t info = {.length = 0};
    bp_status_t st;

    if (BPMPI_LIKELY(bpmpi.n_service == 0)) {
        st = bp_recv(bpmpi.ctx, buf, n, c->comm->world[peer], coll_tag(c, step), 0, &info);
    } else {
        st = bp_irecv(bpmpi.ctx, buf, n, c->comm->world[peer], coll_tag(c, step), 0, &req);
        if (st == BP_OK) {
            st = bpmpi_nwait(&req, &info, 1);
        }
    }
    if (got_p != NULL) {
        *got_p = info.length < n ? info.length : n;
    }
    return coll_status(st);
}

/* The receive is posted before the send, on every rank: a blocking send (even a rendezvous
 * one) then cannot deadlock against a peer doing the same, because that peer's receive is
 * there to match it. */
static int c_sendrecv(const coll_t *c, const void *sbuf, size_t sn, int dst, void *rbuf,
                      size_t rn, int src, int step, size_t *got_p)
{
    bp_request_t *reqs[2] = {NULL, NULL};
    bp_msginfo_t infos[2] = {{.length = 0}, {.length = 0}};
    bp_status_t st;

    st = bp_irecv(bpmpi.ctx, rbuf, rn, c->comm->world[src], coll_tag(c, step), 0, &reqs[0]);
    if (st != BP_OK) {
        return coll_status(st);
    }
    if (BPMPI_LIKELY(bpmpi.n_service == 0)) {
        /* the common case: no request object for the send */
        st = bp_send(bpmpi.ctx, sbuf, sn, c->comm->world[dst], coll_tag(c, step));
        if (st == BP_OK) {
            st = bp_wait(&reqs[0], &infos[0]);
        }
    } else {
        st = bp_isend(bpmpi.ctx, sbuf, sn, c->comm->world[dst], coll_tag(c, step), &reqs[1]);
        if (st == BP_OK) {
            st = bpmpi_nwait(reqs, infos, 2);
        }
    }
    if (reqs[0] != NULL) { /* the send failed: let go of the receive */
        bp_cancel(reqs[0]);
        bp_wait(&reqs[0], NULL);
    }
    if (got_p != NULL) {
        *got_p = infos[0].length < rn ? infos[0].length : rn;
    }
    return coll_status(st);
}

/* --- argument checks and buffers -------------------------------------------------------- */

static int coll_check(MPI_Comm comm, MPI_Datatype dt, int count, size_t *bytes_p)
{
    int err;

    if (BPMPI_UNLIKELY(!bpmpi_comm_ok(comm))) {
        return MPI_ERR_COMM;
    }
    if (BPMPI_UNLIKELY((err = bpmpi_dt_check(dt)) != MPI_SUCCESS)) {
        return err;
    }
    return bpmpi_dt_bytes(dt, count, bytes_p);
}

static inline int coll_root_check(MPI_Comm comm, int root)
{
    return (root < 0 || root >= comm->size) ? MPI_ERR_ROOT : MPI_SUCCESS;
}

static void *coll_alloc(size_t n)
{
    return malloc(n > 0 ? n : 1);
}

/* A packed view of (buf, count, dt): the buffer itself when contiguous, else a copy. */
typedef struct cbuf {
    char *p;
    char *tmp;
    size_t bytes;
} cbuf_t;

static int cbuf_in(cbuf_t *b, const void *buf, int count, MPI_Datatype dt)
{
    b->bytes = (size_t)count * dt->size;
    b->tmp = NULL;
    if (bpmpi_dt_contig(dt, count)) {
        b->p = bpmpi_dt_base(buf, dt);
        return MPI_SUCCESS;
    }
    if ((b->tmp = coll_alloc(b->bytes)) == NULL) {
        return MPI_ERR_NO_MEM;
    }
    bpmpi_dt_pack(buf, count, dt, b->tmp);
    b->p = b->tmp;
    return MPI_SUCCESS;
}

/* For receiving: where packed data goes; cbuf_out_done unpacks it into buf. */
static int cbuf_out(cbuf_t *b, void *buf, int count, MPI_Datatype dt)
{
    b->bytes = (size_t)count * dt->size;
    b->tmp = NULL;
    if (bpmpi_dt_contig(dt, count)) {
        b->p = bpmpi_dt_base(buf, dt);
        return MPI_SUCCESS;
    }
    if ((b->tmp = coll_alloc(b->bytes)) == NULL) {
        return MPI_ERR_NO_MEM;
    }
    b->p = b->tmp;
    return MPI_SUCCESS;
}

static void cbuf_out_done(cbuf_t *b, void *buf, MPI_Datatype dt, int ok)
{
    if (b->tmp != NULL) {
        if (ok) {
            bpmpi_dt_unpack(b->tmp, b->bytes, buf, dt);
        }
        free(b->tmp);
        b->tmp = NULL;
    }
}

static void cbuf_free(cbuf_t *b)
{
    free(b->tmp);
    b->tmp = NULL;
}

/* Copies (sbuf, scount, stype) into (rbuf, rcount, rtype) through their type maps. */
static int coll_local_copy(const void *sbuf, int scount, MPI_Datatype stype, void *rbuf,
                           int rcount, MPI_Datatype rtype)
{
    size_t sbytes = (size_t)scount * stype->size, rbytes = (size_t)rcount * rtype->size;
    char *tmp;

    if (sbytes > rbytes) {
        return MPI_ERR_TRUNCATE;
    }
    if (sbytes == 0) {
        return MPI_SUCCESS;
    }
    if (bpmpi_dt_contig(rtype, rcount)) {
        bpmpi_dt_pack(sbuf, scount, stype, bpmpi_dt_base(rbuf, rtype));
        return MPI_SUCCESS;
    }
    if ((tmp = coll_alloc(sbytes)) == NULL) {
        return MPI_ERR_NO_MEM;
    }
    bpmpi_dt_pack(sbuf, scount, stype, tmp);
    bpmpi_dt_unpack(tmp, sbytes, rbuf, rtype);
    free(tmp);
    return MPI_SUCCESS;
}

/* --- barrier --------------------------------------------------------------------------- */

/*
 * May this blocking collective use the native one? The native collectives go through
 * shared memory when the job is on one host (bp_coll_shm). The job's are one sequence of
 * steps for all of them, and a communicator of every rank of the job (MPI_COMM_WORLD, a
 * duplicate, a split that kept every rank, in any order) may share that sequence: a correct
 * MPI program calls the blocking collectives of communicators with the same members in the
 * same order on every rank, since a synchronising implementation would deadlock otherwise
 * (MPI-3.1 5.14). A communicator of some of the ranks has a sequence of its own, its native
 * group (comm->group, made at its creation, mpi_comm.c). Every rank decides alike: on the
 * communicator's size or group and outside a nonblocking collective's coroutine
 * (MPI_Ibarrier and the like run the message algorithms there, and a native wait cannot
 * yield). Pending nonblocking collectives go on meanwhile through the collectives' hook
 * (bpmpi_coll_hook).
 */
static inline bool coll_native_comm(MPI_Comm comm)
{
    return (comm->size == bpmpi.size || comm->group != NULL) && bpmpi_nbc_current == NULL;
}

/* The native collectives of comm (coll_native_comm): root is a rank of comm. */
static inline bp_status_t native_barrier(MPI_Comm comm)
{
    return comm->group != NULL ? bp_group_barrier(comm->group) : bp_barrier(bpmpi.ctx);
}

static inline bp_status_t native_bcast(MPI_Comm comm, void *buf, size_t bytes, int root)
{
    return comm->group != NULL ? bp_group_bcast(comm->group, buf, bytes, root)
                               : bp_bcast(bpmpi.ctx, buf, bytes, comm->world[root]);
}

static inline bp_status_t native_allreduce(MPI_Comm comm, const void *sendbuf, void *recvbuf,
                                           size_t count, bp_dtype_t dtype, bp_op_t op)
{
    return comm->group != NULL
               ? bp_group_allreduce(comm->group, sendbuf, recvbuf, count, dtype, op)
               : bp_allreduce(bpmpi.ctx, sendbuf, recvbuf, count, dtype, op);
}

static int coll_barrier(MPI_Comm comm)
{
    coll_t c;
    char dummy;

    /* one step (with more ranks than CPUs, far fewer context switches: docs/MPI.md) */
    if (coll_native_comm(comm) && bpmpi.shm_allreduce_max > 0) {
        return coll_status(native_barrier(comm));
    }
    coll_begin(&c, comm);
    for (int dist = 1, round = 0; dist < comm->size; dist <<= 1, round++) {
        int to = (comm->rank + dist) % comm->size;
        int from = (comm->rank - dist + comm->size) % comm->size;
        int err;
        if (BPMPI_LIKELY(bpmpi.fast)) {
            /* A zero-byte send is eager: it cannot wait for the peer's receive, so the plain
             * blocking pair does, without a request, what c_sendrecv does. */
            err = c_send(&c, &dummy, 0, to, round);
            if (err == MPI_SUCCESS) {
                err = c_recv(&c, &dummy, 0, from, round, NULL);
            }
        } else {
            err = c_sendrecv(&c, &dummy, 0, to, &dummy, 0, from, round, NULL);
        }
        if (err != MPI_SUCCESS) {
            return err;
        }
    }
    return MPI_SUCCESS;
}

int MPI_Barrier(MPI_Comm comm)
{
    BPMPI_CHECK_INIT("MPI_Barrier");
    if (!bpmpi_comm_ok(comm)) {
        return bpmpi_error(MPI_COMM_WORLD, MPI_ERR_COMM, "MPI_Barrier");
    }
    return bpmpi_error(comm, coll_barrier(comm), "MPI_Barrier");
}

/* --- bcast ----------------------------------------------------------------------------- */

/* Relative ranks without divisions: both operands are in [0, n). */
static inline int coll_add(int a, int b, int n)
{
    return a + b >= n ? a + b - n : a + b;
}

static inline int coll_sub(int a, int b, int n)
{
    return a - b < 0 ? a - b + n : a - b;
}

/* At 2 ranks: one send by the root, one receive by the other, nothing else. */
static int bcast_binomial(const coll_t *c, char *buf, size_t bytes, int root)
{
    int n = c->comm->size, r = c->comm->rank, vr = coll_sub(r, root, n), mask = 1, err;

    while (mask < n) {
        if (vr & mask) {
            if ((err = c_recv(c, buf, bytes, coll_sub(r, mask, n), 0, NULL)) != MPI_SUCCESS) {
                return err;
            }
            break;
        }
        mask <<= 1;
    }
    for (mask >>= 1; mask > 0; mask >>= 1) {
        if (vr + mask < n) {
            if ((err = c_send(c, buf, bytes, coll_add(r, mask, n), 0)) != MPI_SUCCESS) {
                return err;
            }
        }
    }
    return MPI_SUCCESS;
}

/* van de Geijn: the root's buffer is scattered in n chunks down a binomial tree, then a
 * ring allgather completes it everywhere. Chunks are indexed by relative rank. */
static int bcast_scatter_ring(const coll_t *c, char *buf, size_t bytes, int root)
{
    int n = c->comm->size, r = c->comm->rank, vr = (r - root + n) % n, mask = 1, err;
    size_t chunk = (bytes + (size_t)n - 1) / (size_t)n, cur = (vr == 0) ? bytes : 0;

    while (mask < n) {
        if (vr & mask) {
            size_t off = (size_t)vr * chunk;
            size_t want = off < bytes ? bytes - off : 0;
            if (want > 0) {
                err = c_recv(c, buf + off, want, (r - mask + n) % n, 1, &cur);
                if (err != MPI_SUCCESS) {
                    return err;
                }
            }
            break;
        }
        mask <<= 1;
    }
    for (mask >>= 1; mask > 0; mask >>= 1) {
        if (vr + mask < n && cur > chunk * (size_t)mask) {
            size_t send = cur - chunk * (size_t)mask;
            err = c_send(c, buf + chunk * (size_t)(vr + mask), send, (r + mask) % n, 1);
            if (err != MPI_SUCCESS) {
                return err;
            }
            cur -= send;
        }
    }
    /* ring allgather of the chunks */
    {
        int left = (r - 1 + n) % n, right = (r + 1) % n;
        int j = vr, jnext = (vr - 1 + n) % n;
        for (int i = 1; i < n; i++) {
            size_t soff = (size_t)j * chunk, roff = (size_t)jnext * chunk;
            size_t sn = soff < bytes ? (bytes - soff < chunk ? bytes - soff : chunk) : 0;
            size_t rn = roff < bytes ? (bytes - roff < chunk ? bytes - roff : chunk) : 0;
            err = c_sendrecv(c, buf + (sn ? soff : 0), sn, right, buf + (rn ? roff : 0), rn,
                             left, 2 + i, NULL);
            if (err != MPI_SUCCESS) {
                return err;
            }
            j = jnext;
            jnext = (jnext - 1 + n) % n;
        }
    }
    return MPI_SUCCESS;
}

/*
 * The small broadcast when nothing else needs looking after (bpmpi.fast): the binomial tree
 * straight on the native blocking calls, the tag computed once. At 2 ranks it is one eager
 * bp_send for the root, which returns once the data is injected, and one bp_recv for the
 * other: no request, no synchronisation round.
 */
static inline __attribute__((always_inline)) int bcast_small(MPI_Comm comm, char *buf,
                                                             size_t bytes, int root)
{
    int n = comm->size, r = comm->rank, vr = coll_sub(r, root, n), mask = 1;
    uint64_t tag = bpmpi_coll_tag_base(comm); /* step 0 */
    bp_status_t st;

    if (n == 2) { /* the tree below, without its loops */
        if (r == root) {
            st = bp_send(bpmpi.ctx, buf, bytes, comm->world[1 - r], tag);
        } else {
            bp_msginfo_t info;
            st = bp_recv(bpmpi.ctx, buf, bytes, comm->world[1 - r], tag, 0, &info);
        }
        return BPMPI_LIKELY(st == BP_OK) ? MPI_SUCCESS : coll_status(st);
    }
    while (mask < n) {
        if (vr & mask) {
            bp_msginfo_t info;
            st = bp_recv(bpmpi.ctx, buf, bytes, comm->world[coll_sub(r, mask, n)], tag, 0, &info);
            if (BPMPI_UNLIKELY(st != BP_OK)) {
                return coll_status(st);
            }
            break;
        }
        mask <<= 1;
    }
    for (mask >>= 1; mask > 0; mask >>= 1) {
        if (vr + mask < n) {
            st = bp_send(bpmpi.ctx, buf, bytes, comm->world[coll_add(r, mask, n)], tag);
            if (BPMPI_UNLIKELY(st != BP_OK)) {
                return coll_status(st);
            }
        }
    }
    return MPI_SUCCESS;
}

/* Every other case: argument checks, packing, and the long-message algorithm. */
/* The blocking bcast of up to bp_coll_shm's size on a communicator with native collectives
 * (coll_native_comm), from 3 ranks: the native one (one step through shared memory), as for
 * MPI_Barrier; bytes is the same on every rank (MPI asks the same type signature), the
 * datatypes need not be: each rank packs or unpacks its own. */
static inline bool bcast_native_ok(MPI_Comm comm, size_t bytes)
{
    /* at 2 ranks one message is shorter than a step through the segment (0.23 against
     * 0.26 us with a CPU each, docs/MPI.md) */
    return comm->size > 2 && bytes <= bpmpi.shm_bcast_max && coll_native_comm(comm);
}

__attribute__((noinline)) static int bcast_general(void *buffer, int count,
                                                   MPI_Datatype datatype, int root,
                                                   MPI_Comm comm)
{
    size_t bytes;
    cbuf_t b;
    coll_t c;
    bool native;
    int err;

    BPMPI_CHECK_INIT("MPI_Bcast");
    if ((err = coll_check(comm, datatype, count, &bytes)) != MPI_SUCCESS ||
        (err = coll_root_check(comm, root)) != MPI_SUCCESS) {
        return bpmpi_error(comm != MPI_COMM_NULL ? comm : MPI_COMM_WORLD, err, "MPI_Bcast");
    }
    if (comm->size == 1 || bytes == 0) {
        return MPI_SUCCESS;
    }
    native = bcast_native_ok(comm, bytes);
    if (!native) {
        coll_begin(&c, comm);
    }
    err = (comm->rank == root) ? cbuf_in(&b, buffer, count, datatype)
                               : cbuf_out(&b, buffer, count, datatype);
    if (err != MPI_SUCCESS) {
        return bpmpi_error(comm, err, "MPI_Bcast");
    }
    if (native) {
        err = coll_status(native_bcast(comm, b.p, bytes, root));
    } else if (bytes >= COLL_BCAST_LONG && comm->size >= 3) {
        err = bcast_scatter_ring(&c, b.p, bytes, root);
    } else {
        err = bcast_binomial(&c, b.p, bytes, root);
    }
    if (comm->rank == root) {
        cbuf_free(&b);
    } else {
        cbuf_out_done(&b, buffer, datatype, err == MPI_SUCCESS);
    }
    return bpmpi_error(comm, err, "MPI_Bcast");
}

int MPI_Bcast(void *buffer, int count, MPI_Datatype datatype, int root, MPI_Comm comm)
{
    if (BPMPI_LIKELY(bpmpi.fast && comm != MPI_COMM_NULL && datatype != MPI_DATATYPE_NULL &&
                     datatype->fast && count > 0 && buffer != NULL &&
                     (unsigned)root < (unsigned)comm->size && comm->size > 1)) {
        size_t bytes = (size_t)count * datatype->size;
        if (bytes == 0) {
            return MPI_SUCCESS; /* as bcast_general: a root may send count 0 of the same type
                                 * signature, and then nothing moves anywhere */
        }
        if (bcast_native_ok(comm, bytes)) {
            bp_status_t st = native_bcast(comm, (char *)buffer + datatype->fast_off, bytes, root);
            return BPMPI_LIKELY(st == BP_OK) ? MPI_SUCCESS
                                              : bpmpi_error(comm, coll_status(st), "MPI_Bcast");
        }
        if (BPMPI_LIKELY(bytes < COLL_BCAST_LONG || comm->size < 3)) {
            int err = bcast_small(comm, (char *)buffer + datatype->fast_off, bytes, root);
            return BPMPI_LIKELY(err == MPI_SUCCESS) ? MPI_SUCCESS
                                                    : bpmpi_error(comm, err, "MPI_Bcast");
        }
    }
    return bcast_general(buffer, count, datatype, root, comm);
}

/* --- reduce and allreduce -------------------------------------------------------------- */

/* Reduction scratch: acc and tmp, each bytes long, on the stack when small. */
typedef struct red {
    char *acc, *tmp;
    char *heap;
    char stack[2 * COLL_STACK];
} red_t;

static int red_init(red_t *rd, size_t bytes)
{
    rd->heap = NULL;
    if (bytes <= COLL_STACK) {
        rd->acc = rd->stack;
        rd->tmp = rd->stack + COLL_STACK;
        return MPI_SUCCESS;
    }
    if ((rd->heap = malloc(2 * bytes)) == NULL) {
        return MPI_ERR_NO_MEM;
    }
    rd->acc = rd->heap;
    rd->tmp = rd->heap + bytes;
    return MPI_SUCCESS;
}

static void red_swap(red_t *rd)
{
    char *t = rd->acc;

    rd->acc = rd->tmp;
    rd->tmp = t;
}

/* Binomial reduce of acc to root (vr 0); the data of higher relative ranks comes after. */
static int reduce_binomial(const coll_t *c, red_t *rd, size_t bytes, int count, MPI_Datatype dt,
                           MPI_Op op, int root)
{
    int n = c->comm->size, r = c->comm->rank, vr = (r - root + n) % n, err;

    for (int mask = 1; mask < n; mask <<= 1) {
        if ((vr & mask) == 0) {
            int src = vr | mask;
            if (src < n) {
                err = c_recv(c, rd->tmp, bytes, (src + root) % n, 0, NULL);
                if (err != MPI_SUCCESS) {
                    return err;
                }
                /* acc = acc op tmp: tmp holds higher ranks */
                bpmpi_op_apply(op, dt, rd->acc, rd->tmp, count);
                red_swap(rd);
            }
        } else {
            return c_send(c, rd->acc, bytes, ((vr & ~mask) + root) % n, 0);
        }
    }
    return MPI_SUCCESS;
}

static int reduce_args(const char *call, const void *sendbuf, void *recvbuf, int count,
                       MPI_Datatype dt, MPI_Op op, MPI_Comm comm, size_t *bytes_p)
{
    int err;

    if ((err = coll_check(comm, dt, count, bytes_p)) != MPI_SUCCESS ||
        (err = bpmpi_op_check(op, dt)) != MPI_SUCCESS) {
        return err;
    }
    if (*bytes_p > 0 && sendbuf == NULL && recvbuf == NULL && dt->predef) {
        return MPI_ERR_BUFFER;
    }
    (void)call;
    return MPI_SUCCESS;
}

int MPI_Reduce(const void *sendbuf, void *recvbuf, int count, MPI_Datatype datatype, MPI_Op op,
               int root, MPI_Comm comm)
{
    size_t bytes;
    red_t rd;
    coll_t c;
    int err, tree_root;
    const void *in;

    BPMPI_CHECK_INIT("MPI_Reduce");
    if ((err = reduce_args("MPI_Reduce", sendbuf, recvbuf, count, datatype, op, comm,
                           &bytes)) != MPI_SUCCESS ||
        (err = coll_root_check(comm, root)) != MPI_SUCCESS) {
        return bpmpi_error(comm != MPI_COMM_NULL ? comm : MPI_COMM_WORLD, err, "MPI_Reduce");
    }
    in = (sendbuf == MPI_IN_PLACE) ? recvbuf : sendbuf;
    if (comm->size == 1) {
        if (sendbuf != MPI_IN_PLACE) {
            err = coll_local_copy(sendbuf, count, datatype, recvbuf, count, datatype);
        }
        return bpmpi_error(comm, err, "MPI_Reduce");
    }
    if ((err = red_init(&rd, bytes)) != MPI_SUCCESS) {
        return bpmpi_error(comm, err, "MPI_Reduce");
    }
    coll_begin(&c, comm);
    bpmpi_dt_pack(in, count, datatype, rd.acc);
    /* the binomial tree keeps rank order only when rooted at 0 */
    tree_root = op->commute ? root : 0;
    err = reduce_binomial(&c, &rd, bytes, count, datatype, op, tree_root);
    if (err == MPI_SUCCESS && tree_root != root) {
        if (comm->rank == 0) {
            err = c_send(&c, rd.acc, bytes, root, 1);
        } else if (comm->rank == root) {
            err = c_recv(&c, rd.acc, bytes, 0, 1, NULL);
        }
    }
    if (err == MPI_SUCCESS && comm->rank == root) {
        bpmpi_dt_unpack(rd.acc, bytes, recvbuf, datatype);
    }
    free(rd.heap);
    return bpmpi_error(comm, err, "MPI_Reduce");
}

/* The fold of allreduce on a non-power of two (MPICH's): of the first 2 * rem ranks, each
 * even one hands its acc to the odd one above it and sits out; the rank's place among the
 * pof2 that go on is *newrank_p (-1: sitting out). The unfold is allreduce_unfold. */
static int allreduce_fold(const coll_t *c, red_t *rd, size_t bytes, int count, MPI_Datatype dt,
                          MPI_Op op, int pof2, int *newrank_p)
{
    int r = c->comm->rank, rem = c->comm->size - pof2, err;

    *newrank_p = r - rem;
    if (r < 2 * rem) {
        if (r % 2 == 0) {
            *newrank_p = -1;
            return c_send(c, rd->acc, bytes, r + 1, 0);
        }
        if ((err = c_recv(c, rd->tmp, bytes, r - 1, 0, NULL)) != MPI_SUCCESS) {
            return err;
        }
        bpmpi_op_apply(op, dt, rd->tmp, rd->acc, count); /* acc = (r-1) op r */
        *newrank_p = r / 2;
    }
    return MPI_SUCCESS;
}

/* The ranks that sat out get the result from the rank they handed their data to. */
static int allreduce_unfold(const coll_t *c, red_t *rd, size_t bytes, int pof2)
{
    int r = c->comm->rank, rem = c->comm->size - pof2;

    if (r >= 2 * rem) {
        return MPI_SUCCESS;
    }
    return (r % 2 == 1) ? c_send(c, rd->acc, bytes, r - 1, 100)
                        : c_recv(c, rd->acc, bytes, r + 1, 100, NULL);
}

/* The communicator rank of the participant newrank after the fold. */
static inline int allreduce_fold_rank(int newrank, int rem)
{
    return newrank < rem ? newrank * 2 + 1 : newrank + rem;
}

/* Recursive doubling on acc; ranks beyond the largest power of two fold in first. */
static int allreduce_rd(const coll_t *c, red_t *rd, size_t bytes, int count, MPI_Datatype dt,
                        MPI_Op op, int pof2)
{
    int r = c->comm->rank, rem = c->comm->size - pof2, newrank, err;

    if ((err = allreduce_fold(c, rd, bytes, count, dt, op, pof2, &newrank)) != MPI_SUCCESS) {
        return err;
    }
    if (newrank != -1) {
        int step = 1;
        for (int mask = 1; mask < pof2; mask <<= 1, step++) {
            int dst = allreduce_fold_rank(newrank ^ mask, rem);
            err = c_sendrecv(c, rd->acc, bytes, dst, rd->tmp, bytes, dst, step, NULL);
            if (err != MPI_SUCCESS) {
                return err;
            }
            if (dst < r) {
                bpmpi_op_apply(op, dt, rd->tmp, rd->acc, count);
            } else {
                bpmpi_op_apply(op, dt, rd->acc, rd->tmp, count);
                red_swap(rd);
            }
        }
    }
    return allreduce_unfold(c, rd, bytes, pof2);
}

/* Segment i of count elements split over n: cnt[i] elements at element offset off[i]. */
static void coll_segments(int count, int n, int *cnt, int *off)
{
    int base = count / n, extra = count % n, o = 0;

    for (int i = 0; i < n; i++) {
        cnt[i] = base + (i < extra ? 1 : 0);
        off[i] = o;
        o += cnt[i];
    }
}

/*
 * Ring reduce-scatter over acc (commutative ops): segment i (cnt[i] elements at off[i])
 * ends fully reduced on rank i. tmp holds at least the largest segment.
 */
static int ring_reduce_scatter(const coll_t *c, char *acc, char *tmp, const int *cnt,
                               const int *off, MPI_Datatype dt, MPI_Op op, int step0)
{
    int n = c->comm->size, r = c->comm->rank, left = (r - 1 + n) % n, right = (r + 1) % n;
    size_t es = dt->size;

    for (int s = 0; s < n - 1; s++) {
        int sseg = (r - s - 1 + 2 * n) % n, rseg = (r - s - 2 + 2 * n) % n;
        int err = c_sendrecv(c, acc + (size_t)off[sseg] * es, (size_t)cnt[sseg] * es, right, tmp,
                             (size_t)cnt[rseg] * es, left, step0 + s, NULL);
        if (err != MPI_SUCCESS) {
            return err;
        }
        bpmpi_op_apply(op, dt, tmp, acc + (size_t)off[rseg] * es, cnt[rseg]);
    }
    return MPI_SUCCESS;
}

/* Ring allgather of segments (rank i owns segment i) over buf; sizes in bytes. */
static int ring_allgather(const coll_t *c, char *buf, const size_t *len, const size_t *off,
                          int step0)
{
    int n = c->comm->size, r = c->comm->rank, left = (r - 1 + n) % n, right = (r + 1) % n;

    for (int s = 0; s < n - 1; s++) {
        int sseg = (r - s + n) % n, rseg = (r - s - 1 + n) % n;
        int err = c_sendrecv(c, buf + off[sseg], len[sseg], right, buf + off[rseg], len[rseg],
                             left, step0 + s, NULL);
        if (err != MPI_SUCCESS) {
            return err;
        }
    }
    return MPI_SUCCESS;
}

static int allreduce_ring(const coll_t *c, char *acc, int count, MPI_Datatype dt, MPI_Op op)
{
    int n = c->comm->size, err = MPI_ERR_NO_MEM;
    int *cnt = malloc((size_t)n * sizeof(int)), *off = malloc((size_t)n * sizeof(int));
    size_t *blen = malloc((size_t)n * sizeof(size_t)), *boff = malloc((size_t)n * sizeof(size_t));
    char *tmp = NULL;

    if (cnt == NULL || off == NULL || blen == NULL || boff == NULL || n < 1) {
        goto out;
    }
    coll_segments(count, n, cnt, off);
    if ((tmp = coll_alloc((size_t)cnt[0] * dt->size)) == NULL) {
        goto out;
    }
    for (int i = 0; i < n; i++) {
        blen[i] = (size_t)cnt[i] * dt->size;
        boff[i] = (size_t)off[i] * dt->size;
    }
    err = ring_reduce_scatter(c, acc, tmp, cnt, off, dt, op, 0);
    if (err == MPI_SUCCESS) {
        err = ring_allgather(c, acc, blen, boff, n);
    }
out:
    free(cnt);
    free(off);
    free(blen);
    free(boff);
    free(tmp);
    return err;
}

/*
 * Rabenseifner (commutative operations, count >= pof2): after the fold, the pof2 ranks
 * reduce-scatter acc by recursive halving (at each step a rank keeps the half of its window
 * of segments that holds its own segment, sends the other half to its partner and reduces
 * what the partner sends of the kept half), so each ends with its own segment (1/pof2 of
 * the data) fully reduced; then recursive doubling gathers the segments back. Each segment
 * is reduced on one rank only, so every rank gets the same bits. Moves 2 (pof2-1)/pof2 of
 * the data in 2 log2(pof2) steps, where recursive doubling moves all of it log2(pof2) times.
 */
static int allreduce_rabenseifner(const coll_t *c, red_t *rd, size_t bytes, int count,
                                  MPI_Datatype dt, MPI_Op op, int pof2)
{
    int rem = c->comm->size - pof2, newrank, err, lo = 0, hi = pof2, step = 1;
    int *cnt = malloc((size_t)pof2 * sizeof(int)), *off = malloc((size_t)pof2 * sizeof(int));
    size_t es = dt->size;

    if (cnt == NULL || off == NULL) {
        err = MPI_ERR_NO_MEM;
        goto out;
    }
    err = allreduce_fold(c, rd, bytes, count, dt, op, pof2, &newrank);
    if (err != MPI_SUCCESS || newrank == -1) {
        goto out;
    }
    coll_segments(count, pof2, cnt, off);
    /* reduce-scatter: the window [lo, hi) of segments halves each step */
    for (int mask = pof2 / 2; mask > 0; mask /= 2, step++) {
        int dst = allreduce_fold_rank(newrank ^ mask, rem);
        int keep_lo = (newrank & mask) ? lo + mask : lo;
        int send_lo = (newrank & mask) ? lo : lo + mask;
        int keep_n = off[keep_lo + mask - 1] + cnt[keep_lo + mask - 1] - off[keep_lo];
        int send_n = off[send_lo + mask - 1] + cnt[send_lo + mask - 1] - off[send_lo];
        err = c_sendrecv(c, rd->acc + (size_t)off[send_lo] * es, (size_t)send_n * es, dst,
                         rd->tmp, (size_t)keep_n * es, dst, step, NULL);
        if (err != MPI_SUCCESS) {
            goto out;
        }
        bpmpi_op_apply(op, dt, rd->tmp, rd->acc + (size_t)off[keep_lo] * es, keep_n);
        lo = keep_lo;
        hi = keep_lo + mask;
    }
    /* allgather: the window doubles each step, the partner's is the adjacent one */
    for (int mask = 1; mask < pof2; mask *= 2, step++) {
        int dst = allreduce_fold_rank(newrank ^ mask, rem);
        int their_lo = (newrank & mask) ? lo - mask : hi;
        int my_n = off[hi - 1] + cnt[hi - 1] - off[lo];
        int their_n = off[their_lo + mask - 1] + cnt[their_lo + mask - 1] - off[their_lo];
        err = c_sendrecv(c, rd->acc + (size_t)off[lo] * es, (size_t)my_n * es, dst,
                         rd->acc + (size_t)off[their_lo] * es, (size_t)their_n * es, dst, step,
                         NULL);
        if (err != MPI_SUCCESS) {
            goto out;
        }
        if (their_lo < lo) {
            lo = their_lo;
        } else {
            hi = their_lo + mask;
        }
    }
out:
    free(cnt);
    free(off);
    if (err == MPI_SUCCESS) {
        err = allreduce_unfold(c, rd, bytes, pof2);
    }
    return err;
}

/* Allreduce of (in -> out), both with (count, dt); in may be MPI_IN_PLACE. */
static int coll_allreduce(const void *sendbuf, void *recvbuf, int count, MPI_Datatype dt,
                          MPI_Op op, MPI_Comm comm, size_t bytes)
{
    const void *in = (sendbuf == MPI_IN_PLACE) ? recvbuf : sendbuf;
    red_t rd;
    coll_t c;
    int err, pof2;

    if (comm->size == 1 || bytes == 0) {
        return (sendbuf == MPI_IN_PLACE)
                   ? MPI_SUCCESS
                   : coll_local_copy(sendbuf, count, dt, recvbuf, count, dt);
    }
    if ((err = red_init(&rd, bytes)) != MPI_SUCCESS) {
        return err;
    }
    coll_begin(&c, comm);
    bpmpi_dt_pack(in, count, dt, rd.acc);
    pof2 = 1;
    while (pof2 * 2 <= comm->size) {
        pof2 *= 2;
    }
    if (!op->commute || bytes < COLL_ALLREDUCE_MID || count < pof2) {
        err = allreduce_rd(&c, &rd, bytes, count, dt, op, pof2);
    } else if (pof2 != comm->size && bytes >= COLL_ALLREDUCE_LONG && count >= comm->size) {
        err = allreduce_ring(&c, rd.acc, count, dt, op);
    } else {
        err = allreduce_rabenseifner(&c, &rd, bytes, count, dt, op, pof2);
    }
    if (err == MPI_SUCCESS) {
        bpmpi_dt_unpack(rd.acc, bytes, recvbuf, dt);
    }
    free(rd.heap);
    return err;
}

int bpmpi_allreduce_raw(void *buf, int count, MPI_Datatype dt, MPI_Op op, MPI_Comm comm)
{
    return coll_allreduce(MPI_IN_PLACE, buf, count, dt, op, comm, (size_t)count * dt->size);
}

/*
 * The small allreduce's fast path: a committed contiguous type, a predefined operation that
 * accepts it, up to COLL_STACK bytes, a power-of-two communicator, nothing the MPI layer must
 * look after (bpmpi.fast). Then it is allreduce_rd without its set-up: recursive doubling
 * straight on recvbuf, each step a plain eager send then a blocking receive (an eager send
 * never waits for the peer, as in the barrier), no request, no packing. The messages, tags
 * and order of operands (the lower rank's data on the left) are the general path's, so a
 * rank that takes it meets one that does not (its bpmpi.fast can differ), and every rank
 * computes the same value. Checked before the collective's tag is taken: 0 means "not here".
 */
static inline __attribute__((always_inline)) bool allreduce_small_ok(const void *sendbuf,
                                                                     const void *recvbuf,
                                                                     int count, MPI_Datatype dt,
                                                                     MPI_Op op, MPI_Comm comm)
{
    return BPMPI_LIKELY(bpmpi.fast && comm != MPI_COMM_NULL && dt != MPI_DATATYPE_NULL &&
                        dt->fast && count > 0 && dt->size > 0 && recvbuf != NULL && sendbuf != NULL &&
                        op != MPI_OP_NULL && op->predef >= 0 && comm->size > 1 &&
                        (comm->size & (comm->size - 1)) == 0 &&
                        (size_t)count * dt->size <= COLL_STACK &&
                        bpmpi_op_check(op, dt) == MPI_SUCCESS);
}

static int allreduce_small(const void *sendbuf, void *recvbuf, int count, MPI_Datatype dt,
                           MPI_Op op, MPI_Comm comm)
{
    size_t bytes = (size_t)count * dt->size;
    uint64_t tag = bpmpi_coll_tag_base(comm);
    char *acc = (char *)recvbuf + dt->fast_off;
    alignas(16) char tmp[COLL_STACK];
    int r = comm->rank;

    if (sendbuf != MPI_IN_PLACE) {
        memcpy(acc, (const char *)sendbuf + dt->fast_off, bytes);
    }
    for (int mask = 1, step = 1; mask < comm->size; mask <<= 1, step++) {
        int dst = r ^ mask;
        bp_msginfo_t info;
        bp_status_t st;

        st = bp_send(bpmpi.ctx, acc, bytes, comm->world[dst], tag | (uint64_t)step);
        if (BPMPI_LIKELY(st == BP_OK)) {
            st = bp_recv(bpmpi.ctx, tmp, bytes, comm->world[dst], tag | (uint64_t)step, 0,
                         &info);
        }
        if (BPMPI_UNLIKELY(st != BP_OK)) {
            return coll_status(st);
        }
        if (dst < r) {
            bpmpi_op_apply(op, dt, tmp, acc, count); /* acc = theirs op mine */
        } else {
            bpmpi_op_apply(op, dt, acc, tmp, count); /* tmp = mine op theirs */
            memcpy(acc, tmp, bytes);
        }
    }
    return MPI_SUCCESS;
}

/*
 * The blocking allreduce of a predefined operation on a contiguous type the native API has,
 * small enough for one step through shared memory (bp_coll_shm), on a communicator with
 * native collectives (coll_native_comm), from 3 ranks (at 2, the one exchange of allreduce_small is shorter): the native
 * one, as for MPI_Barrier. The decision rests on what MPI requires to be the same on every
 * rank (count, datatype, op, communicator), on a fact of the job (shm), and on not being
 * inside a nonblocking collective's coroutine (MPI_Iallreduce runs the message algorithms).
 * 1 when it ran.
 */
static int allreduce_native(const void *sendbuf, void *recvbuf, int count, MPI_Datatype dt,
                            MPI_Op op, MPI_Comm comm, int *err)
{
    bp_dtype_t ndt;
    bp_op_t nop;
    char *rb;

    if (!(bpmpi.initialized && !bpmpi.finalized && comm != MPI_COMM_NULL && comm->size > 2 &&
          coll_native_comm(comm) && dt != MPI_DATATYPE_NULL && dt->fast &&
          count > 0 && (size_t)count * dt->size <= bpmpi.shm_allreduce_max &&
          recvbuf != NULL && sendbuf != NULL && bpmpi_op_native(op, dt, &ndt, &nop))) {
        return 0;
    }
    rb = (char *)recvbuf + dt->fast_off;
    *err = coll_status(native_allreduce(comm,
                                        sendbuf == MPI_IN_PLACE
                                            ? rb
                                            : (const char *)sendbuf + dt->fast_off,
                                        rb, (size_t)count * dt->nbasic, ndt, nop));
    return 1;
}

int MPI_Allreduce(const void *sendbuf, void *recvbuf, int count, MPI_Datatype datatype,
                  MPI_Op op, MPI_Comm comm)
{
    size_t bytes;
    int err;

    if (allreduce_native(sendbuf, recvbuf, count, datatype, op, comm, &err)) {
        return BPMPI_LIKELY(err == MPI_SUCCESS) ? MPI_SUCCESS
                                                : bpmpi_error(comm, err, "MPI_Allreduce");
    }
    if (allreduce_small_ok(sendbuf, recvbuf, count, datatype, op, comm)) {
        err = allreduce_small(sendbuf, recvbuf, count, datatype, op, comm);
        return BPMPI_LIKELY(err == MPI_SUCCESS) ? MPI_SUCCESS
                                                : bpmpi_error(comm, err, "MPI_Allreduce");
    }
    BPMPI_CHECK_INIT("MPI_Allreduce");
    if ((err = reduce_args("MPI_Allreduce", sendbuf, recvbuf, count, datatype, op, comm,
                           &bytes)) != MPI_SUCCESS) {
        return bpmpi_error(comm != MPI_COMM_NULL ? comm : MPI_COMM_WORLD, err, "MPI_Allreduce");
    }
    return bpmpi_error(comm, coll_allreduce(sendbuf, recvbuf, count, datatype, op, comm, bytes),
                       "MPI_Allreduce");
}

/* --- gather and scatter ---------------------------------------------------------------- */

/*
 * Linear gather of variable blocks at the root: block i is rcounts[i] elements of rtype at
 * element displacement displs[i] (NULL: i * rcounts[0]). The root's own block is copied.
 */
static int gather_linear(const coll_t *c, const void *sendbuf, int scount, MPI_Datatype stype,
                         void *recvbuf, const int *rcounts, int rcount1, const int *displs,
                         MPI_Datatype rtype, int root)
{
    int n = c->comm->size, r = c->comm->rank, err = MPI_SUCCESS;

    if (r != root) {
        cbuf_t b;
        if ((err = cbuf_in(&b, sendbuf, scount, stype)) != MPI_SUCCESS) {
            return err;
        }
        err = c_send(c, b.p, b.bytes, root, 0);
        cbuf_free(&b);
        return err;
    }
    {
        bp_request_t **reqs = calloc((size_t)n, sizeof(*reqs));
        bp_msginfo_t *infos = calloc((size_t)n, sizeof(*infos));
        cbuf_t *bufs = calloc((size_t)n, sizeof(*bufs));
        bp_status_t st = BP_OK;
        if (reqs == NULL || infos == NULL || bufs == NULL) {
            err = MPI_ERR_NO_MEM;
            goto out;
        }
        for (int i = 0; i < n && err == MPI_SUCCESS; i++) {
            int cnt = rcounts != NULL ? rcounts[i] : rcount1;
            MPI_Aint disp = displs != NULL ? displs[i] : (MPI_Aint)i * rcount1;
            char *dst = (char *)recvbuf + disp * rtype->extent;
            if (i == r) {
                if (sendbuf != MPI_IN_PLACE) {
                    err = coll_local_copy(sendbuf, scount, stype, dst, cnt, rtype);
                }
                continue;
            }
            if ((err = cbuf_out(&bufs[i], dst, cnt, rtype)) != MPI_SUCCESS) {
                break;
            }
            st = bp_irecv(bpmpi.ctx, bufs[i].p, bufs[i].bytes, c->comm->world[i], coll_tag(c, 0),
                          0, &reqs[i]);
            if (st != BP_OK) {
                err = coll_status(st);
            }
        }
        st = bpmpi_nwait(reqs, infos, n);
        if (err == MPI_SUCCESS) {
            err = coll_status(st);
        }
        for (int i = 0; i < n; i++) {
            if (i != r) {
                MPI_Aint disp = displs != NULL ? displs[i] : (MPI_Aint)i * rcount1;
                cbuf_out_done(&bufs[i], (char *)recvbuf + disp * rtype->extent, rtype,
                              err == MPI_SUCCESS);
            }
        }
    out:
        free(reqs);
        free(infos);
        free(bufs);
    }
    return err;
}

static int scatter_linear(const coll_t *c, const void *sendbuf, const int *scounts, int scount1,
                          const int *displs, MPI_Datatype stype, void *recvbuf, int rcount,
                          MPI_Datatype rtype, int root)
{
    int n = c->comm->size, r = c->comm->rank, err = MPI_SUCCESS;

    if (r != root) {
        cbuf_t b;
        if ((err = cbuf_out(&b, recvbuf, rcount, rtype)) != MPI_SUCCESS) {
            return err;
        }
        err = c_recv(c, b.p, b.bytes, root, 0, NULL);
        cbuf_out_done(&b, recvbuf, rtype, err == MPI_SUCCESS);
        return err;
    }
    {
        bp_request_t **reqs = calloc((size_t)n, sizeof(*reqs));
        cbuf_t *bufs = calloc((size_t)n, sizeof(*bufs));
        bp_status_t st;
        if (reqs == NULL || bufs == NULL) {
            err = MPI_ERR_NO_MEM;
            goto out;
        }
        for (int i = 0; i < n && err == MPI_SUCCESS; i++) {
            int cnt = scounts != NULL ? scounts[i] : scount1;
            MPI_Aint disp = displs != NULL ? displs[i] : (MPI_Aint)i * scount1;
            const char *src = (const char *)sendbuf + disp * stype->extent;
            if (i == r) {
                if (recvbuf != MPI_IN_PLACE) {
                    err = coll_local_copy(src, cnt, stype, recvbuf, rcount, rtype);
                }
                continue;
            }
            if ((err = cbuf_in(&bufs[i], src, cnt, stype)) != MPI_SUCCESS) {
                break;
            }
            st = bp_isend(bpmpi.ctx, bufs[i].p, bufs[i].bytes, c->comm->world[i], coll_tag(c, 0),
                          &reqs[i]);
            if (st != BP_OK) {
                err = coll_status(st);
            }
        }
        st = bpmpi_nwait(reqs, NULL, n);
        if (err == MPI_SUCCESS) {
            err = coll_status(st);
        }
        for (int i = 0; i < n; i++) {
            cbuf_free(&bufs[i]);
        }
    out:
        free(reqs);
        free(bufs);
    }
    return err;
}

/* Checks of a (count, type) pair of a rooted or all-to-all collective. */
static int coll_pair_check(MPI_Datatype dt, int count)
{
    size_t bytes;
    int err = bpmpi_dt_check(dt);

    return err != MPI_SUCCESS ? err : bpmpi_dt_bytes(dt, count, &bytes);
}

static int coll_counts_check(MPI_Datatype dt, const int *counts, const int *displs, int n)
{
    int err = bpmpi_dt_check(dt);

    if (err != MPI_SUCCESS) {
        return err;
    }
    if (counts == NULL || displs == NULL) {
        return MPI_ERR_ARG;
    }
    for (int i = 0; i < n; i++) {
        size_t bytes;
        if ((err = bpmpi_dt_bytes(dt, counts[i], &bytes)) != MPI_SUCCESS) {
            return err;
        }
    }
    return MPI_SUCCESS;
}

#define COLL_FAIL(call, comm, err)                                                             \
    bpmpi_error(((comm) != MPI_COMM_NULL) ? (comm) : MPI_COMM_WORLD, (err), (call))

/* One side (send or receive) of an exchange collective, for its argument checks: count
 * elements of dt, or (the v forms) counts[i] elements at displs[i]. */
typedef struct xside {
    bool in_place; /* MPI_IN_PLACE here: nothing to check */
    bool v;        /* counts and displs (which must not be NULL) rather than count */
    int count;
    const int *counts, *displs;
    MPI_Datatype dt;
} xside_t;

enum { XCHG_ALL, XCHG_ROOT_SENDS, XCHG_ROOT_RECEIVES };

/*
 * The checks every exchange collective (gather, scatter, allgather, alltoall and their v
 * forms) starts with: MPI initialised, the communicator, the root of a rooted one, and the two
 * sides, the root's side (its sends for scatter, its receives for gather) at the root only.
 * True when the call may go on; false with what it returns (the error, through its
 * communicator's handler) in *ret_p.
 */
static bool xchg_check(const char *call, MPI_Comm comm, int kind, int root, const xside_t *s,
                       const xside_t *r, int *ret_p)
{
    const xside_t *sides[2] = {s, r};
    int err = MPI_SUCCESS;

    if (BPMPI_UNLIKELY(!bpmpi.initialized || bpmpi.finalized)) {
        *ret_p = bpmpi_check_init(call);
        return false;
    }
    if (!bpmpi_comm_ok(comm)) {
        *ret_p = COLL_FAIL(call, comm, MPI_ERR_COMM);
        return false;
    }
    if (kind != XCHG_ALL) {
        err = coll_root_check(comm, root);
    }
    for (int i = 0; i < 2 && err == MPI_SUCCESS; i++) {
        bool root_side = (kind == XCHG_ROOT_SENDS && i == 0) ||
                         (kind == XCHG_ROOT_RECEIVES && i == 1);
        if (sides[i]->in_place || (root_side && comm->rank != root)) {
            continue;
        }
        err = sides[i]->v
                  ? coll_counts_check(sides[i]->dt, sides[i]->counts, sides[i]->displs,
                                      comm->size)
                  : coll_pair_check(sides[i]->dt, sides[i]->count);
    }
    if (err != MPI_SUCCESS) {
        *ret_p = COLL_FAIL(call, comm, err);
        return false;
    }
    return true;
}

/* The sides of one call, as xchg_check wants them: a side that may be MPI_IN_PLACE, one
 * that may not (the root's side of gather and scatter, the receive side of the others), and
 * the v forms' sides. */
#define XSIDE(buf, count, dt)                                                                  \
    (&(xside_t){(buf) == MPI_IN_PLACE, false, (count), NULL, NULL, (dt)})
#define XSIDE_NOT_IN_PLACE(count, dt) (&(xside_t){false, false, (count), NULL, NULL, (dt)})
#define XSIDE_V(buf, counts, displs, dt)                                                       \
    (&(xside_t){(buf) == MPI_IN_PLACE, true, 0, (counts), (displs), (dt)})

int MPI_Gather(const void *sendbuf, int sendcount, MPI_Datatype sendtype, void *recvbuf,
               int recvcount, MPI_Datatype recvtype, int root, MPI_Comm comm)
{
    coll_t c;
    int ret;

    if (!xchg_check("MPI_Gather", comm, XCHG_ROOT_RECEIVES, root,
                    XSIDE(sendbuf, sendcount, sendtype),
                    XSIDE_NOT_IN_PLACE(recvcount, recvtype), &ret)) {
        return ret;
    }
    coll_begin(&c, comm);
    ret = gather_linear(&c, sendbuf, sendcount, sendtype, recvbuf, NULL, recvcount, NULL,
                        recvtype, root);
    return bpmpi_error(comm, ret, "MPI_Gather");
}

int MPI_Gatherv(const void *sendbuf, int sendcount, MPI_Datatype sendtype, void *recvbuf,
                const int recvcounts[], const int displs[], MPI_Datatype recvtype, int root,
                MPI_Comm comm)
{
    coll_t c;
    int ret;

    if (!xchg_check("MPI_Gatherv", comm, XCHG_ROOT_RECEIVES, root,
                    XSIDE(sendbuf, sendcount, sendtype),
                    XSIDE_V(NULL, recvcounts, displs, recvtype), &ret)) {
        return ret;
    }
    coll_begin(&c, comm);
    ret = gather_linear(&c, sendbuf, sendcount, sendtype, recvbuf, recvcounts, 0, displs,
                        recvtype, root);
    return bpmpi_error(comm, ret, "MPI_Gatherv");
}

int MPI_Scatter(const void *sendbuf, int sendcount, MPI_Datatype sendtype, void *recvbuf,
                int recvcount, MPI_Datatype recvtype, int root, MPI_Comm comm)
{
    coll_t c;
    int ret;

    if (!xchg_check("MPI_Scatter", comm, XCHG_ROOT_SENDS, root,
                    XSIDE_NOT_IN_PLACE(sendcount, sendtype),
                    XSIDE(recvbuf, recvcount, recvtype), &ret)) {
        return ret;
    }
    coll_begin(&c, comm);
    ret = scatter_linear(&c, sendbuf, NULL, sendcount, NULL, sendtype, recvbuf, recvcount,
                         recvtype, root);
    return bpmpi_error(comm, ret, "MPI_Scatter");
}

int MPI_Scatterv(const void *sendbuf, const int sendcounts[], const int displs[],
                 MPI_Datatype sendtype, void *recvbuf, int recvcount, MPI_Datatype recvtype,
                 int root, MPI_Comm comm)
{
    coll_t c;
    int ret;

    if (!xchg_check("MPI_Scatterv", comm, XCHG_ROOT_SENDS, root,
                    XSIDE_V(NULL, sendcounts, displs, sendtype),
                    XSIDE(recvbuf, recvcount, recvtype), &ret)) {
        return ret;
    }
    coll_begin(&c, comm);
    ret = scatter_linear(&c, sendbuf, sendcounts, 0, displs, sendtype, recvbuf, recvcount,
                         recvtype, root);
    return bpmpi_error(comm, ret, "MPI_Scatterv");
}

/* --- allgather ------------------------------------------------------------------------- */

/* Recursive doubling over n (a power of two) equal blocks of bb bytes. */
static int allgather_rd(const coll_t *c, char *buf, size_t bb)
{
    int r = c->comm->rank, n = c->comm->size, i = 0;

    for (int mask = 1; mask < n; mask <<= 1, i++) {
        int dst = r ^ mask;
        size_t mine = (size_t)((r >> i) << i), theirs = (size_t)((dst >> i) << i);
        int err = c_sendrecv(c, buf + mine * bb, (size_t)mask * bb, dst, buf + theirs * bb,
                             (size_t)mask * bb, dst, i, NULL);
        if (err != MPI_SUCCESS) {
            return err;
        }
    }
    return MPI_SUCCESS;
}

/*
 * Allgather of variable blocks: rank i contributes rcounts[i] elements, placed at element
 * displacement displs[i] of recvbuf (NULL: equal blocks of rcount1). The data moves in one
 * packed buffer (blocks in rank order), unpacked at the end.
 */
static int coll_allgather(const void *sendbuf, int scount, MPI_Datatype stype, void *recvbuf,
                          const int *rcounts, int rcount1, const int *displs,
                          MPI_Datatype rtype, MPI_Comm comm)
{
    int n = comm->size, r = comm->rank, err = MPI_ERR_NO_MEM;
    size_t *len = malloc((size_t)n * sizeof(size_t)), *off = malloc((size_t)n * sizeof(size_t));
    size_t total = 0;
    char *buf = NULL;
    bool direct;
    coll_t c;

    if (len == NULL || off == NULL) {
        goto out;
    }
    for (int i = 0; i < n; i++) {
        len[i] = (size_t)(rcounts != NULL ? rcounts[i] : rcount1) * rtype->size;
        off[i] = total;
        if (__builtin_add_overflow(total, len[i], &total) || total > (size_t)PTRDIFF_MAX) {
            err = MPI_ERR_COUNT;
            goto out;
        }
    }
    /* equal blocks of a contiguous type: work in recvbuf itself */
    direct = (displs == NULL && bpmpi_dt_contig(rtype, rcount1 * n));
    buf = direct ? bpmpi_dt_base(recvbuf, rtype) : coll_alloc(total);
    if (buf == NULL) {
        goto out;
    }
    coll_begin(&c, comm);
    {
        MPI_Aint disp = displs != NULL ? displs[r] : (MPI_Aint)r * rcount1;
        char *mine = (char *)recvbuf + disp * rtype->extent;
        int cnt = rcounts != NULL ? rcounts[r] : rcount1;
        if (sendbuf == MPI_IN_PLACE) {
            if (!direct) {
                bpmpi_dt_pack(mine, cnt, rtype, buf + off[r]);
            }
        } else {
            size_t sbytes = (size_t)scount * stype->size;
            if (sbytes != len[r]) {
                err = MPI_ERR_TRUNCATE;
                goto out_buf;
            }
            bpmpi_dt_pack(sendbuf, scount, stype, buf + off[r]);
        }
    }
    {
        bool pof2 = (n & (n - 1)) == 0;
        if (displs == NULL && rcounts == NULL && pof2 && total < COLL_ALLGATHER_LONG) {
            err = allgather_rd(&c, buf, len[0]);
        } else {
            err = ring_allgather(&c, buf, len, off, 0);
        }
    }
    if (err == MPI_SUCCESS && !direct) {
        for (int i = 0; i < n; i++) {
            MPI_Aint disp = displs != NULL ? displs[i] : (MPI_Aint)i * rcount1;
            bpmpi_dt_unpack(buf + off[i], len[i], (char *)recvbuf + disp * rtype->extent, rtype);
        }
    }
out_buf:
    if (!direct) {
        free(buf);
    }
out:
    free(len);
    free(off);
    return err;
}

int MPI_Allgather(const void *sendbuf, int sendcount, MPI_Datatype sendtype, void *recvbuf,
                  int recvcount, MPI_Datatype recvtype, MPI_Comm comm)
{
    int ret;

    if (!xchg_check("MPI_Allgather", comm, XCHG_ALL, 0,
                    XSIDE(sendbuf, sendcount, sendtype),
                    XSIDE_NOT_IN_PLACE(recvcount, recvtype), &ret)) {
        return ret;
    }
    ret = coll_allgather(sendbuf, sendcount, sendtype, recvbuf, NULL, recvcount, NULL, recvtype,
                         comm);
    return bpmpi_error(comm, ret, "MPI_Allgather");
}

int MPI_Allgatherv(const void *sendbuf, int sendcount, MPI_Datatype sendtype, void *recvbuf,
                   const int recvcounts[], const int displs[], MPI_Datatype recvtype,
                   MPI_Comm comm)
{
    int ret;

    if (!xchg_check("MPI_Allgatherv", comm, XCHG_ALL, 0,
                    XSIDE(sendbuf, sendcount, sendtype),
                    XSIDE_V(NULL, recvcounts, displs, recvtype), &ret)) {
        return ret;
    }
    ret = coll_allgather(sendbuf, sendcount, sendtype, recvbuf, recvcounts, 0, displs, recvtype,
                         comm);
    return bpmpi_error(comm, ret, "MPI_Allgatherv");
}

/* --- alltoall -------------------------------------------------------------------------- */

/* Bruck: log2(n) rounds; sbuf holds the n packed send blocks of bb bytes, rbuf gets the n
 * received blocks in rank order. */
static int alltoall_bruck(const coll_t *c, const char *sbuf, char *rbuf, size_t bb)
{
    int n = c->comm->size, r = c->comm->rank, err = MPI_ERR_NO_MEM, round = 0;
    char *tmp = coll_alloc((size_t)n * bb), *pk = coll_alloc((size_t)n * bb);
    char *pr = coll_alloc((size_t)n * bb);

    if (tmp == NULL || pk == NULL || pr == NULL) {
        goto out;
    }
    /* block i of tmp: what goes to rank r + i */
    for (int i = 0; i < n; i++) {
        memcpy(tmp + (size_t)i * bb, sbuf + (size_t)((r + i) % n) * bb, bb);
    }
    err = MPI_SUCCESS;
    for (int pof2 = 1; pof2 < n; pof2 <<= 1, round++) {
        size_t k = 0;
        for (int i = 0; i < n; i++) {
            if (i & pof2) {
                memcpy(pk + k * bb, tmp + (size_t)i * bb, bb);
                k++;
            }
        }
        err = c_sendrecv(c, pk, k * bb, (r + pof2) % n, pr, k * bb, (r - pof2 + n) % n, round,
                         NULL);
        if (err != MPI_SUCCESS) {
            goto out;
        }
        k = 0;
        for (int i = 0; i < n; i++) {
            if (i & pof2) {
                memcpy(tmp + (size_t)i * bb, pr + k * bb, bb);
                k++;
            }
        }
    }
    /* block i of tmp came from rank r - i */
    for (int i = 0; i < n; i++) {
        memcpy(rbuf + (size_t)((r - i + n) % n) * bb, tmp + (size_t)i * bb, bb);
    }
out:
    free(tmp);
    free(pk);
    free(pr);
    return err;
}

/*
 * Pairwise exchange of variable blocks, packed: block i to send is slen[i] bytes at soff[i]
 * of sbuf, block i to receive rlen[i] bytes at roff[i] of rbuf.
 */
static int alltoall_pairwise(const coll_t *c, const char *sbuf, const size_t *slen,
                             const size_t *soff, char *rbuf, const size_t *rlen,
                             const size_t *roff)
{
    int n = c->comm->size, r = c->comm->rank;
    bool pof2 = (n & (n - 1)) == 0;

    memcpy(rbuf + roff[r], sbuf + soff[r], slen[r] < rlen[r] ? slen[r] : rlen[r]);
    for (int i = 1; i < n; i++) {
        int dst = pof2 ? (r ^ i) : (r + i) % n, src = pof2 ? (r ^ i) : (r - i + n) % n;
        int err = c_sendrecv(c, sbuf + soff[dst], slen[dst], dst, rbuf + roff[src], rlen[src],
                             src, i, NULL);
        if (err != MPI_SUCCESS) {
            return err;
        }
    }
    return slen[r] > rlen[r] ? MPI_ERR_TRUNCATE : MPI_SUCCESS;
}

/*
 * All-to-all of variable blocks with types. counts/displs NULL: equal blocks of count1 at
 * i * count1. sendbuf MPI_IN_PLACE: the send blocks are the receive blocks. stypes / rtypes
 * (Alltoallw) not NULL: block i has its own type, and its displacement is in bytes.
 */
static int coll_alltoall(const void *sendbuf, const int *scounts, int scount1,
                         const int *sdispls, MPI_Datatype stype, void *recvbuf,
                         const int *rcounts, int rcount1, const int *rdispls,
                         MPI_Datatype rtype, MPI_Comm comm, const MPI_Datatype *stypes,
                         const MPI_Datatype *rtypes)
{
    int n = comm->size, err = MPI_ERR_NO_MEM;
    size_t *sl = malloc((size_t)n * sizeof(size_t)), *so = malloc((size_t)n * sizeof(size_t));
    size_t *rl = malloc((size_t)n * sizeof(size_t)), *ro = malloc((size_t)n * sizeof(size_t));
    size_t stot = 0, rtot = 0;
    char *sb = NULL, *rb = NULL;
    bool in_place = (sendbuf == MPI_IN_PLACE);
    coll_t c;

    if (sl == NULL || so == NULL || rl == NULL || ro == NULL) {
        goto out;
    }
    if (in_place) {
        scounts = rcounts;
        scount1 = rcount1;
        sdispls = rdispls;
        stype = rtype;
        stypes = rtypes;
        sendbuf = recvbuf;
    }
#define A2A_ST(i) (stypes != NULL ? stypes[i] : stype)
#define A2A_RT(i) (rtypes != NULL ? rtypes[i] : rtype)
    /* Alltoallw: a block of count 0 may name no type (MPI_DATATYPE_NULL), as programs
     * that exchange with a few neighbours do */
#define A2A_SC(i) (scounts != NULL ? scounts[i] : scount1)
#define A2A_RC(i) (rcounts != NULL ? rcounts[i] : rcount1)
    for (int i = 0; i < n; i++) {
        sl[i] = A2A_SC(i) == 0 ? 0 : (size_t)A2A_SC(i) * A2A_ST(i)->size;
        rl[i] = A2A_RC(i) == 0 ? 0 : (size_t)A2A_RC(i) * A2A_RT(i)->size;
        so[i] = stot;
        ro[i] = rtot;
        if (__builtin_add_overflow(stot, sl[i], &stot) ||
            __builtin_add_overflow(rtot, rl[i], &rtot) || stot > (size_t)PTRDIFF_MAX ||
            rtot > (size_t)PTRDIFF_MAX) {
            err = MPI_ERR_COUNT;
            goto out;
        }
    }
    if ((sb = coll_alloc(stot)) == NULL || (rb = coll_alloc(rtot)) == NULL) {
        goto out;
    }
    for (int i = 0; i < n; i++) {
        MPI_Aint d = sdispls != NULL ? sdispls[i] : (MPI_Aint)i * scount1;
        if (A2A_SC(i) > 0) {
            bpmpi_dt_pack((const char *)sendbuf + (stypes != NULL ? d : d * stype->extent),
                          A2A_SC(i), A2A_ST(i), sb + so[i]);
        }
    }
    coll_begin(&c, comm);
    if (scounts == NULL && rcounts == NULL && sl[0] == rl[0] && sl[0] <= COLL_ALLTOALL_SHORT &&
        n >= 8) {
        err = alltoall_bruck(&c, sb, rb, sl[0]);
    } else {
        err = alltoall_pairwise(&c, sb, sl, so, rb, rl, ro);
    }
    if (err == MPI_SUCCESS) {
        for (int i = 0; i < n; i++) {
            MPI_Aint d = rdispls != NULL ? rdispls[i] : (MPI_Aint)i * rcount1;
            if (A2A_RC(i) > 0) {
                bpmpi_dt_unpack(rb + ro[i], rl[i],
                                (char *)recvbuf + (rtypes != NULL ? d : d * rtype->extent),
                                A2A_RT(i));
            }
        }
    }
#undef A2A_ST
#undef A2A_RT
#undef A2A_SC
#undef A2A_RC
out:
    free(sl);
    free(so);
    free(rl);
    free(ro);
    free(sb);
    free(rb);
    return err;
}

int MPI_Alltoall(const void *sendbuf, int sendcount, MPI_Datatype sendtype, void *recvbuf,
                 int recvcount, MPI_Datatype recvtype, MPI_Comm comm)
{
    int ret;

    if (!xchg_check("MPI_Alltoall", comm, XCHG_ALL, 0,
                    XSIDE(sendbuf, sendcount, sendtype),
                    XSIDE_NOT_IN_PLACE(recvcount, recvtype), &ret)) {
        return ret;
    }
    ret = coll_alltoall(sendbuf, NULL, sendcount, NULL, sendtype, recvbuf, NULL, recvcount, NULL,
                        recvtype, comm, NULL, NULL);
    return bpmpi_error(comm, ret, "MPI_Alltoall");
}

int MPI_Alltoallv(const void *sendbuf, const int sendcounts[], const int sdispls[],
                  MPI_Datatype sendtype, void *recvbuf, const int recvcounts[],
                  const int rdispls[], MPI_Datatype recvtype, MPI_Comm comm)
{
    int ret;

    if (!xchg_check("MPI_Alltoallv", comm, XCHG_ALL, 0,
                    XSIDE_V(sendbuf, sendcounts, sdispls, sendtype),
                    XSIDE_V(NULL, recvcounts, rdispls, recvtype), &ret)) {
        return ret;
    }
    ret = coll_alltoall(sendbuf, sendcounts, 0, sdispls, sendtype, recvbuf, recvcounts, 0,
                        rdispls, recvtype, comm, NULL, NULL);
    return bpmpi_error(comm, ret, "MPI_Alltoallv");
}

/* One side of Alltoallw: counts, displacements and a committed type for each rank. */
static int alltoallw_side_check(const int *counts, const int *displs,
                                const MPI_Datatype *types, int n)
{
    if (counts == NULL || displs == NULL || types == NULL) {
        return MPI_ERR_ARG;
    }
    for (int i = 0; i < n; i++) {
        int err = counts[i] == 0 ? MPI_SUCCESS : coll_pair_check(types[i], counts[i]);
        if (err != MPI_SUCCESS) {
            return err;
        }
    }
    return MPI_SUCCESS;
}

int MPI_Alltoallw(const void *sendbuf, const int sendcounts[], const int sdispls[],
                  const MPI_Datatype sendtypes[], void *recvbuf, const int recvcounts[],
                  const int rdispls[], const MPI_Datatype recvtypes[], MPI_Comm comm)
{
    int err;

    BPMPI_CHECK_INIT("MPI_Alltoallw");
    if (!bpmpi_comm_ok(comm)) {
        return COLL_FAIL("MPI_Alltoallw", comm, MPI_ERR_COMM);
    }
    err = alltoallw_side_check(recvcounts, rdispls, recvtypes, comm->size);
    if (err == MPI_SUCCESS && sendbuf != MPI_IN_PLACE) {
        err = alltoallw_side_check(sendcounts, sdispls, sendtypes, comm->size);
    }
    if (err == MPI_SUCCESS) {
        err = coll_alltoall(sendbuf, sendcounts, 0, sdispls, MPI_DATATYPE_NULL, recvbuf,
                            recvcounts, 0, rdispls, MPI_DATATYPE_NULL, comm, sendtypes,
                            recvtypes);
    }
    return bpmpi_error(comm, err, "MPI_Alltoallw");
}

/* --- reduce_scatter -------------------------------------------------------------------- */

static int coll_reduce_scatter(const void *sendbuf, void *recvbuf, const int *rcounts,
                               MPI_Datatype dt, MPI_Op op, MPI_Comm comm)
{
    int n = comm->size, r = comm->rank, total = 0, err = MPI_ERR_NO_MEM, maxc = 0;
    int *off = malloc((size_t)n * sizeof(int));
    const void *in = (sendbuf == MPI_IN_PLACE) ? recvbuf : sendbuf;
    char *acc = NULL, *tmp = NULL;
    size_t bytes;
    coll_t c;

    if (off == NULL) {
        goto out;
    }
    for (int i = 0; i < n; i++) {
        off[i] = total;
        if (rcounts[i] > INT_MAX - total) {
            err = MPI_ERR_COUNT;
            goto out;
        }
        total += rcounts[i];
        maxc = rcounts[i] > maxc ? rcounts[i] : maxc;
    }
    if ((err = bpmpi_dt_bytes(dt, total, &bytes)) != MPI_SUCCESS) {
        goto out;
    }
    err = MPI_ERR_NO_MEM;
    if ((acc = coll_alloc(bytes)) == NULL ||
        (tmp = coll_alloc((size_t)maxc * dt->size)) == NULL) {
        goto out;
    }
    bpmpi_dt_pack(in, total, dt, acc);
    if (n == 1) {
        err = MPI_SUCCESS;
    } else if (op->commute) {
        coll_begin(&c, comm);
        err = ring_reduce_scatter(&c, acc, tmp, rcounts, off, dt, op, 0);
    } else {
        /* order matters: reduce everything to rank 0 in rank order, then scatter */
        red_t rd = {.acc = acc, .tmp = NULL, .heap = NULL};
        char *full = coll_alloc(bytes);
        if (full == NULL) {
            goto out;
        }
        rd.tmp = full;
        coll_begin(&c, comm);
        err = reduce_binomial(&c, &rd, bytes, total, dt, op, 0);
        /* the tree swaps acc and tmp: find the result, keep both buffers owned */
        if (rd.acc != acc) {
            memcpy(acc, rd.acc, bytes);
        }
        free(full);
        if (err == MPI_SUCCESS) {
            /* The scatter is step 1 of the same sequence number: a collective takes one
             * number, at its start, so that a nonblocking one (mpi_nbc.c), resumed here
             * whenever the program lets it, cannot take a number another collective
             * started since took on other ranks. */
            if (r == 0) {
                bp_request_t **reqs = calloc((size_t)n, sizeof(*reqs));
                bp_status_t st = BP_OK;
                if (reqs == NULL) {
                    err = MPI_ERR_NO_MEM;
                    goto out;
                }
                for (int i = 1; i < n && st == BP_OK; i++) {
                    st = bp_isend(bpmpi.ctx, acc + (size_t)off[i] * dt->size,
                                  (size_t)rcounts[i] * dt->size, comm->world[i], coll_tag(&c, 1),
                                  &reqs[i]);
                }
                bp_status_t st2 = bpmpi_nwait(reqs, NULL, n);
                err = coll_status(st != BP_OK ? st : st2);
                free(reqs);
            } else {
                err = c_recv(&c, acc + (size_t)off[r] * dt->size, (size_t)rcounts[r] * dt->size,
                             0, 1, NULL);
            }
        }
    }
    if (err == MPI_SUCCESS) {
        bpmpi_dt_unpack(acc + (size_t)off[r] * dt->size, (size_t)rcounts[r] * dt->size, recvbuf,
                        dt);
    }
out:
    free(off);
    free(acc);
    free(tmp);
    return err;
}

int MPI_Reduce_scatter(const void *sendbuf, void *recvbuf, const int recvcounts[],
                       MPI_Datatype datatype, MPI_Op op, MPI_Comm comm)
{
    int err;

    BPMPI_CHECK_INIT("MPI_Reduce_scatter");
    if (!bpmpi_comm_ok(comm)) {
        return COLL_FAIL("MPI_Reduce_scatter", comm, MPI_ERR_COMM);
    }
    if ((err = bpmpi_dt_check(datatype)) != MPI_SUCCESS ||
        (err = bpmpi_op_check(op, datatype)) != MPI_SUCCESS) {
        return bpmpi_error(comm, err, "MPI_Reduce_scatter");
    }
    if (recvcounts == NULL) {
        return bpmpi_error(comm, MPI_ERR_ARG, "MPI_Reduce_scatter");
    }
    for (int i = 0; i < comm->size; i++) {
        size_t b;
        if ((err = bpmpi_dt_bytes(datatype, recvcounts[i], &b)) != MPI_SUCCESS) {
            return bpmpi_error(comm, err, "MPI_Reduce_scatter");
        }
    }
    err = coll_reduce_scatter(sendbuf, recvbuf, recvcounts, datatype, op, comm);
    return bpmpi_error(comm, err, "MPI_Reduce_scatter");
}

int MPI_Reduce_scatter_block(const void *sendbuf, void *recvbuf, int recvcount,
                             MPI_Datatype datatype, MPI_Op op, MPI_Comm comm)
{
    int *counts, err;
    size_t b;

    BPMPI_CHECK_INIT("MPI_Reduce_scatter_block");
    if (!bpmpi_comm_ok(comm)) {
        return COLL_FAIL("MPI_Reduce_scatter_block", comm, MPI_ERR_COMM);
    }
    if ((err = bpmpi_dt_check(datatype)) != MPI_SUCCESS ||
        (err = bpmpi_dt_bytes(datatype, recvcount, &b)) != MPI_SUCCESS ||
        (err = bpmpi_op_check(op, datatype)) != MPI_SUCCESS) {
        return bpmpi_error(comm, err, "MPI_Reduce_scatter_block");
    }
    if ((counts = malloc((size_t)comm->size * sizeof(int))) == NULL) {
        return bpmpi_error(comm, MPI_ERR_NO_MEM, "MPI_Reduce_scatter_block");
    }
    for (int i = 0; i < comm->size; i++) {
        counts[i] = recvcount;
    }
    err = coll_reduce_scatter(sendbuf, recvbuf, counts, datatype, op, comm);
    free(counts);
    return bpmpi_error(comm, err, "MPI_Reduce_scatter_block");
}

/* --- scan and exscan ------------------------------------------------------------------- */

/* Recursive doubling (MPICH's): partial holds the reduction of a growing range of ranks
 * around this one, result that of the ranks up to this one (inclusive or exclusive). */
static int coll_scan(const void *sendbuf, void *recvbuf, int count, MPI_Datatype dt, MPI_Op op,
                     MPI_Comm comm, bool exclusive)
{
    const void *in = (sendbuf == MPI_IN_PLACE) ? recvbuf : sendbuf;
    size_t bytes = (size_t)count * dt->size;
    int n = comm->size, r = comm->rank, err = MPI_SUCCESS, step = 0;
    char *partial = coll_alloc(bytes), *tmp = coll_alloc(bytes), *result = coll_alloc(bytes);
    bool have = !exclusive;
    coll_t c;

    if (partial == NULL || tmp == NULL || result == NULL) {
        err = MPI_ERR_NO_MEM;
        goto out;
    }
    bpmpi_dt_pack(in, count, dt, partial);
    memcpy(result, partial, bytes);
    coll_begin(&c, comm);
    for (int mask = 1; mask < n; mask <<= 1, step++) {
        int dst = r ^ mask;
        if (dst >= n) {
            continue;
        }
        err = c_sendrecv(&c, partial, bytes, dst, tmp, bytes, dst, step, NULL);
        if (err != MPI_SUCCESS) {
            goto out;
        }
        if (r > dst) {
            /* tmp covers lower ranks: partial = tmp op partial, result = tmp op result */
            bpmpi_op_apply(op, dt, tmp, partial, count);
            if (have) {
                bpmpi_op_apply(op, dt, tmp, result, count);
            } else {
                memcpy(result, tmp, bytes);
                have = true;
            }
        } else {
            /* tmp covers higher ranks: partial = partial op tmp */
            bpmpi_op_apply(op, dt, partial, tmp, count);
            memcpy(partial, tmp, bytes);
        }
    }
    if (have && !(exclusive && r == 0)) {
        bpmpi_dt_unpack(result, bytes, recvbuf, dt);
    }
out:
    free(partial);
    free(tmp);
    free(result);
    return err;
}

static int scan_entry(const char *call, const void *sendbuf, void *recvbuf, int count,
                      MPI_Datatype datatype, MPI_Op op, MPI_Comm comm, bool exclusive)
{
    size_t bytes;
    int err;

    BPMPI_CHECK_INIT(call);
    if ((err = reduce_args(call, sendbuf, recvbuf, count, datatype, op, comm, &bytes)) !=
        MPI_SUCCESS) {
        return COLL_FAIL(call, comm, err);
    }
    return bpmpi_error(comm, coll_scan(sendbuf, recvbuf, count, datatype, op, comm, exclusive),
                       call);
}

int MPI_Scan(const void *sendbuf, void *recvbuf, int count, MPI_Datatype datatype, MPI_Op op,
             MPI_Comm comm)
{
    return scan_entry("MPI_Scan", sendbuf, recvbuf, count, datatype, op, comm, false);
}

int MPI_Exscan(const void *sendbuf, void *recvbuf, int count, MPI_Datatype datatype, MPI_Op op,
               MPI_Comm comm)
{
    return scan_entry("MPI_Exscan", sendbuf, recvbuf, count, datatype, op, comm, true);
}
