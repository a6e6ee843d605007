/*
 * mpi_p2p.c - point-to-point communication and the MPI requests around native requests.
 *
 * An MPI request owns at most one native request: bp_isend, bp_issend (a synchronous send:
 * the native layer completes it once a receive has matched it) or bp_irecv. The native
 * library progresses inside every native call, so nothing here has to be sent on the
 * receiver's behalf, and a pending receive costs the MPI layer nothing while its rank waits
 * on something else.
 *
 * Service: a request the user freed while active (MPI_Request_free) still has to finish (its
 * noncontiguous data unpacked, its objects released) with nobody waiting for it. While such
 * requests exist (bpmpi.n_service > 0), every blocking call also waits on them: `wait_step`
 * hands all the native requests to one bp_waitany. When there are none (the common case)
 * blocking calls go straight to bp_send / bp_recv / bp_wait, so the MPI layer adds a few
 * branches to the native latency path and nothing more.
 */
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "mpi_impl.h"

/* --- request objects ------------------------------------------------------------------- */

static struct bpmpi_request *p2p_free_list; /* recycled requests (single-threaded) */

static struct bpmpi_request *req_alloc(void)
{
    struct bpmpi_request *r = p2p_free_list;

    if (r != NULL) {
        p2p_free_list = r->next;
        memset(r, 0, sizeof(*r));
        return r;
    }
    return calloc(1, sizeof(*r));
}

static void req_release(struct bpmpi_request *r)
{
    bpmpi_dt_release(r->dt);
    r->dt = MPI_DATATYPE_NULL;
    r->next = p2p_free_list;
    p2p_free_list = r;
}

static void req_list_add(struct bpmpi_request *r)
{
    r->prev = NULL;
    r->next = bpmpi.active;
    if (bpmpi.active != NULL) {
        bpmpi.active->prev = r;
    }
    bpmpi.active = r;
    r->in_list = true;
}

static void req_list_remove(struct bpmpi_request *r)
{
    if (r->prev != NULL) {
        r->prev->next = r->next;
    } else {
        bpmpi.active = r->next;
    }
    if (r->next != NULL) {
        r->next->prev = r->prev;
    }
    r->prev = r->next = NULL;
    r->in_list = false;
}

static void req_service(struct bpmpi_request *r, bool on)
{
    if (on && !r->serviced) {
        bpmpi.n_service++;
    } else if (!on && r->serviced) {
        bpmpi.n_service--;
    }
    r->serviced = on;
    bpmpi_fast_update();
}

static void status_empty(MPI_Status *st, int source)
{
    st->MPI_SOURCE = source;
    st->MPI_TAG = MPI_ANY_TAG;
    st->MPI_ERROR = MPI_SUCCESS;
    st->bpmpi_count = 0;
    st->bpmpi_cancelled = 0;
}

/* --- detached sends (acks, buffered sends) --------------------------------------------- */

void bpmpi_detach(bp_request_t *req, void *mem, size_t mem_len)
{
    if (bpmpi.n_detached == bpmpi.cap_detached) {
        size_t cap = bpmpi.cap_detached ? bpmpi.cap_detached * 2 : 16;
        bpmpi_detached_t *d = realloc(bpmpi.detached, cap * sizeof(*d));
        if (d == NULL) {
            /* cannot keep track of it: complete it now */
            bp_wait(&req, NULL);
            free(mem);
            bpmpi.bsend_used -= mem_len;
            return;
        }
        bpmpi.detached = d;
        bpmpi.cap_detached = cap;
    }
    bpmpi.detached[bpmpi.n_detached++] = (bpmpi_detached_t){req, mem, mem_len};
}

void bpmpi_detached_reap(int wait_all)
{
    size_t k = 0;

    for (size_t i = 0; i < bpmpi.n_detached; i++) {
        bpmpi_detached_t *d = &bpmpi.detached[i];
        int done = 1;
        if (wait_all) {
            bp_wait(&d->req, NULL); /* a failed peer completes it with an error: nothing owed */
        } else {
            bp_test(&d->req, &done, NULL);
        }
        if (done) {
            free(d->mem);
            bpmpi.bsend_used -= d->mem_len;
        } else {
            bpmpi.detached[k++] = *d;
        }
    }
    bpmpi.n_detached = k;
}

/* --- argument checks ------------------------------------------------------------------- */

static int p2p_check(MPI_Comm comm, const void *buf, int count, MPI_Datatype dt, int peer,
                     int tag, bool recv, size_t *bytes_p)
{
    int err;

    if (BPMPI_UNLIKELY(!bpmpi_comm_ok(comm))) {
        return MPI_ERR_COMM;
    }
    if (BPMPI_UNLIKELY((err = bpmpi_dt_check(dt)) != MPI_SUCCESS)) {
        return err;
    }
    if (BPMPI_UNLIKELY((err = bpmpi_dt_bytes(dt, count, bytes_p)) != MPI_SUCCESS)) {
        return err;
    }
    if (BPMPI_UNLIKELY(tag < 0 && !(recv && tag == MPI_ANY_TAG))) {
        return MPI_ERR_TAG;
    }
    if (BPMPI_UNLIKELY((peer < 0 || peer >= comm->size) && peer != MPI_PROC_NULL &&
                       !(recv && peer == MPI_ANY_SOURCE))) {
        return MPI_ERR_RANK;
    }
    if (BPMPI_UNLIKELY(buf == NULL && *bytes_p > 0 && dt->predef)) {
        return MPI_ERR_BUFFER; /* MPI_BOTTOM is NULL, but only derived types can use it */
    }
    return MPI_SUCCESS;
}

/* The native (source, tag, ignore) of a receive. */
static inline void p2p_recv_match(MPI_Comm comm, int source, int tag, int *src_p,
                                  uint64_t *tag_p, uint64_t *ignore_p)
{
    *src_p = (source == MPI_ANY_SOURCE) ? BP_ANY_SOURCE : comm->world[source];
    if (tag == MPI_ANY_TAG) {
        *tag_p = bpmpi_tag(BPMPI_KIND_P2P, comm->ctx, 0);
        *ignore_p = BPMPI_IGNORE_ANY_TAG;
    } else {
        *tag_p = bpmpi_tag(BPMPI_KIND_P2P, comm->ctx, (uint64_t)tag);
        *ignore_p = BPMPI_IGNORE_TAG;
    }
}

/* The status of a completed receive (or probe) from the native info; cap: the buffer. */
static void p2p_status(MPI_Comm comm, const bp_msginfo_t *info, bp_status_t st, size_t cap,
                       MPI_Status *out)
{
    out->MPI_SOURCE = (info->source >= 0 && info->source < bpmpi.size)
                          ? comm->local[info->source]
                          : MPI_ANY_SOURCE;
    out->MPI_TAG = (int)(info->tag & BPMPI_TAG_LOW_MASK);
    out->bpmpi_count = info->length < cap ? info->length : cap;
    out->bpmpi_cancelled = (st == BP_ERR_CANCELED);
    out->MPI_ERROR = bpmpi_from_status(st);
}

/* --- start and finish ------------------------------------------------------------------ */

/* r has its status: out of the active list and of the serviced set, complete, and let go
 * of at once if the program freed it while it was active. */
static void req_done(struct bpmpi_request *r)
{
    if (r->in_list) {
        req_list_remove(r);
    }
    req_service(r, false);
    r->complete = true;
    if (r->user_freed) {
        r->active = false;
        req_release(r);
    }
}

static void req_finish(struct bpmpi_request *r)
{
    if (r->kind == BPMPI_RQ_RECV) {
        p2p_status(r->comm, &r->info, r->nst, r->bytes, &r->status);
        if (r->tmp != NULL && (r->nst == BP_OK || r->nst == BP_ERR_TRUNC)) {
            bpmpi_dt_unpack(r->tmp, r->status.bpmpi_count, r->buf, r->dt);
        }
    } else {
        status_empty(&r->status, MPI_ANY_SOURCE);
        r->status.MPI_ERROR = bpmpi_from_status(r->nst);
    }
    free(r->tmp);
    r->tmp = NULL;
    req_done(r);
}

static inline void req_maybe_finish(struct bpmpi_request *r)
{
    if (r->nreq == NULL && !r->complete) {
        if (r->kind == BPMPI_RQ_COLL) {
            bpmpi_nbc_resume(r); /* it goes on to its next wait, or ends */
        } else {
            req_finish(r);
        }
    }
}

struct bpmpi_request *bpmpi_req_coll_new(MPI_Comm comm)
{
    struct bpmpi_request *r = req_alloc();

    if (r == NULL) {
        return NULL;
    }
    r->kind = BPMPI_RQ_COLL;
    r->comm = comm;
    r->dt = MPI_DATATYPE_NULL;
    r->peer = MPI_PROC_NULL;
    r->active = true;
    req_list_add(r);
    req_service(r, true);
    return r;
}

void bpmpi_req_coll_finish(struct bpmpi_request *r, int err)
{
    status_empty(&r->status, MPI_ANY_SOURCE);
    r->status.MPI_ERROR = err;
    r->nbc = NULL;
    req_done(r);
}

/* A send's native request is posted: a send that went out at once (most small standard
 * ones) completes now, never on the active list (bp_test of a complete request makes no
 * progress call); anything else waits there. */
static void req_send_posted(struct bpmpi_request *r)
{
    int done;
    bp_msginfo_t info;
    bp_status_t nst = bp_test(&r->nreq, &done, &info);

    if (done) {
        r->nst = nst;
        r->info = info;
        req_finish(r);
        return;
    }
    req_list_add(r);
}

/* Starts r (new or persistent): posts its native requests. */
static int req_start(struct bpmpi_request *r)
{
    MPI_Comm comm = r->comm;
    bp_status_t st;
    const void *p;

    r->active = true;
    r->complete = false;
    r->nreq = NULL;
    r->nst = BP_OK;
    r->tmp = NULL;
    if (r->peer == MPI_PROC_NULL) {
        status_empty(&r->status, MPI_PROC_NULL);
        r->complete = true;
        return MPI_SUCCESS;
    }
    bpmpi_dt_bytes(r->dt, r->count, &r->bytes); /* checked by the caller */
    if (r->kind == BPMPI_RQ_SEND) {
        int dest = comm->world[r->peer];
        uint64_t tag = bpmpi_tag(BPMPI_KIND_P2P, comm->ctx, (uint64_t)r->tag);
        if (r->mode == BPMPI_MODE_BUF) {
            /* copied out now; the send itself goes on without the request. Room that
             * earlier buffered sends held comes back once they are out: look first. */
            if (bpmpi.bsend_used + r->bytes + MPI_BSEND_OVERHEAD > bpmpi.bsend_size) {
                bpmpi_detached_reap(0);
            }
            if (bpmpi.bsend_used + r->bytes + MPI_BSEND_OVERHEAD > bpmpi.bsend_size) {
                return MPI_ERR_BUFFER;
            }
            if ((r->tmp = malloc(r->bytes ? r->bytes : 1)) == NULL) {
                return MPI_ERR_NO_MEM;
            }
            bpmpi_dt_pack(r->buf, r->count, r->dt, r->tmp);
            st = bp_isend(bpmpi.ctx, r->tmp, r->bytes, dest, tag, &r->nreq);
            if (st != BP_OK) {
                free(r->tmp);
                r->tmp = NULL;
                return bpmpi_from_status(st);
            }
            bpmpi.bsend_used += r->bytes + MPI_BSEND_OVERHEAD;
            bpmpi_detach(r->nreq, r->tmp, r->bytes + MPI_BSEND_OVERHEAD);
            r->nreq = NULL;
            r->tmp = NULL;
            status_empty(&r->status, MPI_ANY_SOURCE);
            r->complete = true;
            return MPI_SUCCESS;
        }
        if (bpmpi_dt_contig(r->dt, r->count)) {
            p = bpmpi_dt_base(r->buf, r->dt);
        } else {
            if ((r->tmp = malloc(r->bytes ? r->bytes : 1)) == NULL) {
                return MPI_ERR_NO_MEM;
            }
            bpmpi_dt_pack(r->buf, r->count, r->dt, r->tmp);
            p = r->tmp;
        }
        /* synchronous: the native send completes once a receive has matched it */
        st = r->mode == BPMPI_MODE_SYNC ? bp_issend(bpmpi.ctx, p, r->bytes, dest, tag, &r->nreq)
                                        : bp_isend(bpmpi.ctx, p, r->bytes, dest, tag, &r->nreq);
        if (st != BP_OK) {
            goto err_free;
        }
        req_send_posted(r);
        return MPI_SUCCESS;
    } else {
        int src;
        uint64_t tag, ignore;
        void *q;
        p2p_recv_match(comm, r->peer, r->tag, &src, &tag, &ignore);
        if (bpmpi_dt_contig(r->dt, r->count)) {
            q = bpmpi_dt_base(r->buf, r->dt);
        } else if ((q = r->tmp = malloc(r->bytes ? r->bytes : 1)) == NULL) {
            return MPI_ERR_NO_MEM;
        }
        st = bp_irecv(bpmpi.ctx, q, r->bytes, src, tag, ignore, &r->nreq);
        if (st != BP_OK) {
            goto err_free;
        }
    }
    req_list_add(r);
    return MPI_SUCCESS;

err_free:
    free(r->tmp);
    r->tmp = NULL;
    r->active = false;
    return bpmpi_from_status(st);
}

/* The call's arguments, kept in the request (a persistent one starts again from them). */
static inline void req_fill(struct bpmpi_request *r, int kind, int mode, const void *buf,
                            int count, MPI_Datatype dt, int peer, int tag, MPI_Comm comm,
                            bool persistent)
{
    r->kind = kind;
    r->mode = mode;
    r->buf = (void *)(uintptr_t)buf;
    r->count = count;
    r->dt = bpmpi_dt_retain(dt);
    r->peer = peer;
    r->tag = tag;
    r->comm = comm;
    r->persistent = persistent;
}

static int req_new(int kind, int mode, const void *buf, int count, MPI_Datatype dt, int peer,
                   int tag, MPI_Comm comm, bool persistent, struct bpmpi_request **r_p)
{
    size_t bytes;
    int err = p2p_check(comm, buf, count, dt, peer, tag, kind == BPMPI_RQ_RECV, &bytes);
    struct bpmpi_request *r;

    if (BPMPI_UNLIKELY(err != MPI_SUCCESS)) {
        return err;
    }
    if ((r = req_alloc()) == NULL) {
        return MPI_ERR_NO_MEM;
    }
    req_fill(r, kind, mode, buf, count, dt, peer, tag, comm, persistent);
    if (!persistent && (err = req_start(r)) != MPI_SUCCESS) {
        req_release(r);
        return err;
    }
    *r_p = r;
    return MPI_SUCCESS;
}

/* --- waiting --------------------------------------------------------------------------- */

typedef struct wait_slot {
    struct bpmpi_request *r; /* NULL: a raw native request of the caller */
    int which;               /* raw: the caller's index */
} wait_slot_t;

static bp_request_t **wait_arr;
static wait_slot_t *wait_slots;
static size_t wait_cap;

static int wait_reserve(size_t n)
{
    if (n > wait_cap) {
        size_t cap = n * 2;
        bp_request_t **a = realloc(wait_arr, cap * sizeof(*a));
        wait_slot_t *s;
        if (a == NULL) {
            return -1;
        }
        wait_arr = a;
        if ((s = realloc(wait_slots, cap * sizeof(*s))) == NULL) {
            return -1;
        }
        wait_slots = s;
        wait_cap = cap;
    }
    return 0;
}

static void wait_push(size_t *n, bp_request_t *req, struct bpmpi_request *r, int which)
{
    wait_arr[*n] = req;
    wait_slots[*n] = (wait_slot_t){r, which};
    (*n)++;
}

/*
 * Gathers into wait_arr the native requests to wait on: the caller's raw ones, those of the
 * requests in want, and those of every request that needs service. *n_p: how many.
 */
static bp_status_t wait_gather(bp_request_t **raw, int nraw, struct bpmpi_request *const *want,
                               int nwant, size_t *n_p)
{
    size_t n = 0;
    size_t need = (size_t)nraw + 2 * (size_t)nwant + 2 * (size_t)bpmpi.n_service;

    if (wait_reserve(need) != 0) {
        return BP_ERR_NOMEM;
    }
    for (int i = 0; i < nraw; i++) {
        if (raw[i] != NULL) {
            wait_push(&n, raw[i], NULL, i);
        }
    }
    /* sends first: they mostly complete at once, and bp_waitany takes the first done entry,
     * so a done send behind a pending receive would cost a scan each time */
    for (int pass = 0; pass < 2; pass++) {
        for (int i = 0; i < nwant; i++) {
            struct bpmpi_request *r = want[i];
            if (r == NULL || r->complete || r->mark ||
                r->kind != (pass == 0 ? BPMPI_RQ_SEND : BPMPI_RQ_RECV)) {
                continue;
            }
            r->mark = true;
            if (r->nreq != NULL) {
                wait_push(&n, r->nreq, r, 0);
            }
        }
    }
    for (struct bpmpi_request *r = bpmpi.active; r != NULL; r = r->next) {
        if (r->serviced && !r->mark) {
            if (r->nreq != NULL) {
                wait_push(&n, r->nreq, r, 0);
            }
        }
    }
    for (int i = 0; i < nwant; i++) {
        if (want[i] != NULL) {
            want[i]->mark = false;
        }
    }
    *n_p = n;
    return BP_OK;
}

/*
 * Waits for one of wait_arr[start, n) and records its completion where it belongs. Returns
 * an error only when waiting itself failed.
 */
static bp_status_t wait_one(size_t start, size_t n, bp_request_t **raw, bp_status_t *raw_st,
                            bp_msginfo_t *raw_info)
{
    bp_msginfo_t info;
    bp_status_t st;
    size_t idx;

    st = bp_waitany(n - start, wait_arr + start, &idx, &info);
    if (idx >= n - start) {
        return st != BP_OK ? st : BP_ERR_STATE;
    }
    idx += start;
    if (wait_slots[idx].r == NULL) {
        int i = wait_slots[idx].which;
        raw[i] = NULL;
        raw_st[i] = st;
        if (raw_info != NULL) {
            raw_info[i] = info;
        }
    } else {
        struct bpmpi_request *r = wait_slots[idx].r;
        r->nreq = NULL;
        r->nst = st;
        r->info = info;
        req_maybe_finish(r);
    }
    return BP_OK;
}

/* One blocking step: one native request of those wait_gather names completes. */
static bp_status_t wait_step(bp_request_t **raw, bp_status_t *raw_st, bp_msginfo_t *raw_info,
                             int nraw, struct bpmpi_request *const *want, int nwant)
{
    size_t n;
    bp_status_t st = wait_gather(raw, nraw, want, nwant, &n);

    if (st != BP_OK || n == 0) {
        return st;
    }
    return wait_one(0, n, raw, raw_st, raw_info);
}

/*
 * Waits until every raw request and every request of want is complete, servicing the rest
 * meanwhile. The array is gathered once (nothing new can start while we wait) and waited on
 * from its first live entry: completions mostly come in order, so this stays linear in the
 * number of requests where a fresh gather per completion would be quadratic.
 */
static bp_status_t wait_all(bp_request_t **raw, bp_status_t *raw_st, bp_msginfo_t *raw_info,
                            int nraw, struct bpmpi_request *const *want, int nwant)
{
    size_t n, start = 0;
    int ri = 0, wi = 0; /* everything before these is done (and stays done: nothing starts) */
    unsigned epoch = bpmpi.nbc_epoch;
    bp_status_t st = wait_gather(raw, nraw, want, nwant, &n);

    if (st != BP_OK) {
        return st;
    }
    for (;;) {
        if (BPMPI_UNLIKELY(epoch != bpmpi.nbc_epoch)) {
            /* a nonblocking collective went on to wait for a new native request */
            epoch = bpmpi.nbc_epoch;
            start = 0;
            if ((st = wait_gather(raw, nraw, want, nwant, &n)) != BP_OK) {
                return st;
            }
        }
        while (ri < nraw && raw[ri] == NULL) {
            ri++;
        }
        while (wi < nwant &&
               (want[wi] == NULL || !want[wi]->active || want[wi]->complete)) {
            wi++;
        }
        if (ri == nraw && wi == nwant) {
            return BP_OK;
        }
        while (start < n && wait_arr[start] == NULL) {
            start++;
        }
        if (start == n) {
            return BP_ERR_STATE; /* cannot happen: what is pending is in the array */
        }
        if ((st = wait_one(start, n, raw, raw_st, raw_info)) != BP_OK) {
            return st;
        }
    }
}

bp_status_t bpmpi_nwait(bp_request_t **reqs, bp_msginfo_t *infos, int n)
{
    bp_status_t first = BP_OK, st, sts[8], *stv = sts;

    if (bpmpi_nbc_current != NULL) {
        return bpmpi_nbc_wait(reqs, infos, n); /* inside a nonblocking collective */
    }
    if (BPMPI_LIKELY(bpmpi.n_service == 0)) {
        return bp_waitall((size_t)n, reqs, infos);
    }
    if (n > 8 && (stv = malloc((size_t)n * sizeof(*stv))) == NULL) {
        return BP_ERR_NOMEM;
    }
    for (int i = 0; i < n; i++) {
        stv[i] = BP_OK;
    }
    if ((st = wait_all(reqs, stv, infos, n, NULL, 0)) != BP_OK) {
        first = st;
    }
    for (int i = 0; i < n && first == BP_OK; i++) {
        if (stv[i] != BP_OK) {
            first = stv[i];
        }
    }
    if (stv != sts) {
        free(stv);
    }
    return first;
}

/* Nonblocking: tests r's native requests. */
static void req_poll(struct bpmpi_request *r)
{
    int done;

    if (r->complete) {
        return;
    }
    if (r->kind == BPMPI_RQ_COLL) {
        bpmpi_nbc_resume(r); /* the coroutine tests what it waits for */
        return;
    }
    if (r->nreq != NULL) {
        bp_msginfo_t info;
        bp_status_t st = bp_test(&r->nreq, &done, &info);
        if (done) {
            r->nst = st;
            r->info = info;
        }
    }
    req_maybe_finish(r);
}

/*
 * Nonblocking progress of everything that needs service. Test loops call it, so it runs one
 * call in P2P_SERVICE_EVERY (or when asked to): each bp_test of a pending request polls the
 * transports, which a test loop with many receives posted should not pay on every call.
 */
#define P2P_SERVICE_EVERY 16

static void p2p_poll_service(int force)
{
    static unsigned calls;
    struct bpmpi_request *r = bpmpi.active, *next;

    if (!force && (++calls % P2P_SERVICE_EVERY) != 0) {
        return;
    }
    for (; r != NULL; r = next) {
        next = r->next; /* r may be released */
        if (r->serviced) {
            req_poll(r);
        }
    }
}

/* bp_set_coll_hook: while a native collective waits (mpi_coll.c, coll_native_comm), keep
 * what needs service going, as the message collectives' own waits do (bpmpi_nwait). */
void bpmpi_coll_hook(void *arg)
{
    (void)arg;
    if (bpmpi.n_service > 0 && bpmpi_nbc_current == NULL) {
        p2p_poll_service(0);
    }
}

/* Blocks until r is complete. */
static void req_block(struct bpmpi_request *r)
{
    req_poll(r); /* most often done already: no need to gather the others */
    while (!r->complete) {
        int others = bpmpi.n_service - (r->serviced ? 1 : 0);
        if (others == 0) {
            if (r->nreq != NULL) {
                r->nst = bp_wait(&r->nreq, &r->info);
            }
            req_maybe_finish(r);
        } else if (wait_step(NULL, NULL, NULL, 0, &r, 1) != BP_OK) {
            req_poll(r); /* waiting failed (no memory): fall back to polling */
        }
    }
}

/* Hands a complete request's result to the caller and retires it (persistent: inactive). */
static int req_retire(MPI_Request *request, MPI_Status *status)
{
    struct bpmpi_request *r = *request;
    int err = r->status.MPI_ERROR;

    if (status != MPI_STATUS_IGNORE) {
        *status = r->status;
    }
    r->active = false;
    if (!r->persistent) {
        req_release(r);
        *request = MPI_REQUEST_NULL;
    }
    return err;
}

static bool req_inactive(MPI_Request r)
{
    return r == MPI_REQUEST_NULL || !r->active;
}

/* --- blocking point to point ----------------------------------------------------------- */

/*
 * The fast paths of MPI_Send, MPI_Rsend and MPI_Recv: MPI initialised, nothing the MPI layer
 * must look after (bpmpi.fast), a committed contiguous type, valid ranks and tag, and a
 * buffer. Then the call is the native blocking call on count * size bytes with the
 * communicator's precomputed tag bits, and success costs no error handler nor status work
 * beyond the fields MPI defines. Anything else (errors included) takes the general path,
 * which checks everything and reports through the error handler.
 */
static inline __attribute__((always_inline)) bool p2p_fast(MPI_Comm comm, const void *buf,
                                                           int count, MPI_Datatype dt)
{
    return BPMPI_LIKELY(bpmpi.fast && comm != MPI_COMM_NULL && dt != MPI_DATATYPE_NULL &&
                        dt->fast && count >= 0 && (buf != NULL || count == 0));
}

__attribute__((noinline)) static int p2p_send_blocking(const char *call, int mode,
                                                       const void *buf, int count,
                                                       MPI_Datatype dt, int dest, int tag,
                                                       MPI_Comm comm)
{
    struct bpmpi_request *r;
    MPI_Request h;
    int err;

    BPMPI_CHECK_INIT(call);
    err = req_new(BPMPI_RQ_SEND, mode, buf, count, dt, dest, tag, comm, false, &r);
    if (err != MPI_SUCCESS) {
        return bpmpi_error(comm, err, call);
    }
    req_block(r);
    h = r;
    return bpmpi_error(comm, req_retire(&h, MPI_STATUS_IGNORE), call);
}

static inline __attribute__((always_inline)) int p2p_send_std(const char *call, const void *buf,
                                                              int count, MPI_Datatype dt,
                                                              int dest, int tag, MPI_Comm comm)
{
    if (p2p_fast(comm, buf, count, dt) && BPMPI_LIKELY((unsigned)dest < (unsigned)comm->size &&
                                                        tag >= 0)) {
        bp_status_t st = bp_send(bpmpi.ctx, (const char *)buf + dt->fast_off,
                                 (size_t)count * dt->size, comm->world[dest],
                                 comm->p2p_tag | (uint64_t)tag);
        return BPMPI_LIKELY(st == BP_OK) ? MPI_SUCCESS
                                         : bpmpi_error(comm, bpmpi_from_status(st), call);
    }
    return p2p_send_blocking(call, BPMPI_MODE_STD, buf, count, dt, dest, tag, comm);
}

int MPI_Send(const void *buf, int count, MPI_Datatype datatype, int dest, int tag,
             MPI_Comm comm)
{
    return p2p_send_std("MPI_Send", buf, count, datatype, dest, tag, comm);
}

int MPI_Rsend(const void *buf, int count, MPI_Datatype datatype, int dest, int tag,
              MPI_Comm comm)
{
    /* a ready send may be a standard send: the receive is posted, so it cannot block long */
    return p2p_send_std("MPI_Rsend", buf, count, datatype, dest, tag, comm);
}

int MPI_Ssend(const void *buf, int count, MPI_Datatype datatype, int dest, int tag,
              MPI_Comm comm)
{
    return p2p_send_blocking("MPI_Ssend", BPMPI_MODE_SYNC, buf, count, datatype, dest, tag,
                             comm);
}

int MPI_Bsend(const void *buf, int count, MPI_Datatype datatype, int dest, int tag,
              MPI_Comm comm)
{
    return p2p_send_blocking("MPI_Bsend", BPMPI_MODE_BUF, buf, count, datatype, dest, tag,
                             comm);
}

/* The fast receive's rare outcome: an error. */
__attribute__((noinline, cold)) static int p2p_recv_fast_end(MPI_Comm comm,
                                                             const bp_msginfo_t *info,
                                                             bp_status_t st, size_t bytes,
                                                             MPI_Status *status)
{
    if (status != MPI_STATUS_IGNORE) {
        p2p_status(comm, info, st, bytes, status);
    }
    return st == BP_OK ? MPI_SUCCESS : bpmpi_error(comm, bpmpi_from_status(st), "MPI_Recv");
}

__attribute__((noinline)) static int p2p_recv_blocking(void *buf, int count, MPI_Datatype dt,
                                                       int source, int tag, MPI_Comm comm,
                                                       MPI_Status *status)
{
    struct bpmpi_request *r;
    MPI_Request h;
    int err;

    BPMPI_CHECK_INIT("MPI_Recv");
    err = req_new(BPMPI_RQ_RECV, BPMPI_MODE_STD, buf, count, dt, source, tag, comm, false, &r);
    if (err != MPI_SUCCESS) {
        return bpmpi_error(comm, err, "MPI_Recv");
    }
    req_block(r);
    h = r;
    return bpmpi_error(comm, req_retire(&h, status), "MPI_Recv");
}

int MPI_Recv(void *buf, int count, MPI_Datatype datatype, int source, int tag, MPI_Comm comm,
             MPI_Status *status)
{
    if (p2p_fast(comm, buf, count, datatype) &&
        BPMPI_LIKELY((tag >= 0 || tag == MPI_ANY_TAG) &&
                     ((unsigned)source < (unsigned)comm->size || source == MPI_ANY_SOURCE))) {
        size_t bytes = (size_t)count * datatype->size;
        bp_msginfo_t info;
        bp_status_t st;

        st = bp_recv(bpmpi.ctx, (char *)buf + datatype->fast_off, bytes,
                     source >= 0 ? comm->world[source] : BP_ANY_SOURCE,
                     comm->p2p_tag | (tag >= 0 ? (uint64_t)tag : 0),
                     tag >= 0 ? BPMPI_IGNORE_TAG : BPMPI_IGNORE_ANY_TAG, &info);
        if (BPMPI_LIKELY(st == BP_OK)) {
            if (status != MPI_STATUS_IGNORE) {
                /* a message received whole comes from a member: local[] has its rank */
                status->MPI_SOURCE = comm->local[info.source];
                status->MPI_TAG = (int)(info.tag & BPMPI_TAG_LOW_MASK);
                status->MPI_ERROR = MPI_SUCCESS;
                status->bpmpi_count = info.length;
                status->bpmpi_cancelled = 0;
            }
            return MPI_SUCCESS;
        }
        return p2p_recv_fast_end(comm, &info, st, bytes, status);
    }
    return p2p_recv_blocking(buf, count, datatype, source, tag, comm, status);
}

/* --- nonblocking and persistent -------------------------------------------------------- */

static int p2p_post(const char *call, int kind, int mode, const void *buf, int count,
                    MPI_Datatype dt, int peer, int tag, MPI_Comm comm, bool persistent,
                    MPI_Request *request)
{
    int err;

    BPMPI_CHECK_INIT(call);
    if (BPMPI_UNLIKELY(request == NULL)) {
        return bpmpi_error(comm, MPI_ERR_REQUEST, call);
    }
    err = req_new(kind, mode, buf, count, dt, peer, tag, comm, persistent, request);
    return BPMPI_LIKELY(err == MPI_SUCCESS) ? MPI_SUCCESS : bpmpi_error(comm, err, call);
}

/* The nonblocking and persistent sends differ only in their mode and persistence. */
#define P2P_SEND_POST(name, mode, persistent)                                                  \
    int name(const void *buf, int count, MPI_Datatype datatype, int dest, int tag,             \
             MPI_Comm comm, MPI_Request *request)                                              \
    {                                                                                          \
        return p2p_post(#name, BPMPI_RQ_SEND, (mode), buf, count, datatype, dest, tag, comm,   \
                        (persistent), request);                                                \
    }

/*
 * The fast paths of MPI_Isend and MPI_Irecv: the blocking calls' conditions (MPI
 * initialised, a committed contiguous type, valid ranks and tag, a buffer) except the one on
 * receives owing acks, since a nonblocking call never waits. The request is filled as
 * req_new fills it, without the general checks and the mode and datatype branches of
 * req_start; anything else, errors included, takes p2p_post.
 */
static inline __attribute__((always_inline)) bool p2p_post_fast(MPI_Comm comm, const void *buf,
                                                                int count, MPI_Datatype dt,
                                                                int peer, int tag, bool recv,
                                                                MPI_Request *request)
{
    return BPMPI_LIKELY(bpmpi.initialized && !bpmpi.finalized && request != NULL &&
                        comm != MPI_COMM_NULL && dt != MPI_DATATYPE_NULL && dt->fast &&
                        count >= 0 && (buf != NULL || count == 0) &&
                        ((unsigned)peer < (unsigned)comm->size ||
                         (recv && peer == MPI_ANY_SOURCE)) &&
                        (tag >= 0 || (recv && tag == MPI_ANY_TAG)));
}

int MPI_Isend(const void *buf, int count, MPI_Datatype datatype, int dest, int tag,
              MPI_Comm comm, MPI_Request *request)
{
    struct bpmpi_request *r;

    if (p2p_post_fast(comm, buf, count, datatype, dest, tag, false, request) &&
        BPMPI_LIKELY((r = req_alloc()) != NULL)) {
        bp_status_t st;
        req_fill(r, BPMPI_RQ_SEND, BPMPI_MODE_STD, buf, count, datatype, dest, tag, comm, false);
        r->active = true;
        r->bytes = (size_t)count * datatype->size;
        st = bp_isend(bpmpi.ctx, (const char *)buf + datatype->fast_off, r->bytes,
                      comm->world[dest], comm->p2p_tag | (uint64_t)tag, &r->nreq);
        if (BPMPI_UNLIKELY(st != BP_OK)) {
            req_release(r);
            return bpmpi_error(comm, bpmpi_from_status(st), "MPI_Isend");
        }
        req_send_posted(r);
        *request = r;
        return MPI_SUCCESS;
    }
    return p2p_post("MPI_Isend", BPMPI_RQ_SEND, BPMPI_MODE_STD, buf, count, datatype, dest, tag,
                    comm, false, request);
}

P2P_SEND_POST(MPI_Issend, BPMPI_MODE_SYNC, false)
P2P_SEND_POST(MPI_Ibsend, BPMPI_MODE_BUF, false)
P2P_SEND_POST(MPI_Irsend, BPMPI_MODE_STD, false) /* ready = standard, as for MPI_Rsend */
P2P_SEND_POST(MPI_Send_init, BPMPI_MODE_STD, true)
P2P_SEND_POST(MPI_Ssend_init, BPMPI_MODE_SYNC, true)
P2P_SEND_POST(MPI_Bsend_init, BPMPI_MODE_BUF, true)
P2P_SEND_POST(MPI_Rsend_init, BPMPI_MODE_STD, true)

int MPI_Irecv(void *buf, int count, MPI_Datatype datatype, int source, int tag, MPI_Comm comm,
              MPI_Request *request)
{
    struct bpmpi_request *r;

    if (p2p_post_fast(comm, buf, count, datatype, source, tag, true, request) &&
        BPMPI_LIKELY((r = req_alloc()) != NULL)) {
        bp_status_t st;
        uint64_t ntag, ignore;
        int src;
        req_fill(r, BPMPI_RQ_RECV, BPMPI_MODE_STD, buf, count, datatype, source, tag, comm,
                 false);
        r->active = true;
        r->bytes = (size_t)count * datatype->size;
        p2p_recv_match(comm, source, tag, &src, &ntag, &ignore);
        st = bp_irecv(bpmpi.ctx, (char *)buf + datatype->fast_off, r->bytes, src, ntag, ignore,
                      &r->nreq);
        if (BPMPI_UNLIKELY(st != BP_OK)) {
            req_release(r);
            return bpmpi_error(comm, bpmpi_from_status(st), "MPI_Irecv");
        }
        req_list_add(r);
        *request = r;
        return MPI_SUCCESS;
    }
    return p2p_post("MPI_Irecv", BPMPI_RQ_RECV, BPMPI_MODE_STD, buf, count, datatype, source,
                    tag, comm, false, request);
}

int MPI_Recv_init(void *buf, int count, MPI_Datatype datatype, int source, int tag,
                  MPI_Comm comm, MPI_Request *request)
{
    return p2p_post("MPI_Recv_init", BPMPI_RQ_RECV, BPMPI_MODE_STD, buf, count, datatype, source,
                    tag, comm, true, request);
}

int MPI_Start(MPI_Request *request)
{
    int err;

    BPMPI_CHECK_INIT("MPI_Start");
    if (request == NULL || *request == MPI_REQUEST_NULL || !(*request)->persistent ||
        (*request)->active) {
        return bpmpi_error(MPI_COMM_WORLD, MPI_ERR_REQUEST, "MPI_Start");
    }
    err = req_start(*request);
    return err == MPI_SUCCESS ? err : bpmpi_error((*request)->comm, err, "MPI_Start");
}

int MPI_Startall(int count, MPI_Request array_of_requests[])
{
    if (count < 0 || (count > 0 && array_of_requests == NULL)) {
        return bpmpi_error(MPI_COMM_WORLD, MPI_ERR_ARG, "MPI_Startall");
    }
    for (int i = 0; i < count; i++) {
        int err = MPI_Start(&array_of_requests[i]);
        if (err != MPI_SUCCESS) {
            return err;
        }
    }
    return MPI_SUCCESS;
}

/* --- completion ------------------------------------------------------------------------ */

int MPI_Wait(MPI_Request *request, MPI_Status *status)
{
    struct bpmpi_request *r;
    MPI_Comm comm;

    BPMPI_CHECK_INIT("MPI_Wait");
    if (BPMPI_UNLIKELY(request == NULL)) {
        return bpmpi_error(MPI_COMM_WORLD, MPI_ERR_REQUEST, "MPI_Wait");
    }
    r = *request;
    if (req_inactive(r)) {
        if (status != MPI_STATUS_IGNORE) {
            status_empty(status, MPI_ANY_SOURCE);
        }
        return MPI_SUCCESS;
    }
    comm = r->comm;
    req_block(r);
    return bpmpi_error(comm, req_retire(request, status), "MPI_Wait");
}

int MPI_Test(MPI_Request *request, int *flag, MPI_Status *status)
{
    struct bpmpi_request *r;
    MPI_Comm comm;

    BPMPI_CHECK_INIT("MPI_Test");
    if (request == NULL || flag == NULL) {
        return bpmpi_error(MPI_COMM_WORLD, MPI_ERR_ARG, "MPI_Test");
    }
    r = *request;
    if (req_inactive(r)) {
        *flag = 1;
        if (status != MPI_STATUS_IGNORE) {
            status_empty(status, MPI_ANY_SOURCE);
        }
        return MPI_SUCCESS;
    }
    comm = r->comm;
    req_poll(r);
    if (!r->complete && bpmpi.n_service > 0) {
        p2p_poll_service(0);
    }
    *flag = r->complete;
    if (!r->complete) {
        return MPI_SUCCESS;
    }
    return bpmpi_error(comm, req_retire(request, status), "MPI_Test");
}

/* Retires every complete request of the set into statuses; MPI_ERR_IN_STATUS on errors. */
static int p2p_retire_set(int count, MPI_Request reqs[], MPI_Status statuses[])
{
    int err = MPI_SUCCESS;

    for (int i = 0; i < count; i++) {
        MPI_Status tmp, *st = (statuses != MPI_STATUSES_IGNORE) ? &statuses[i] : &tmp;
        if (req_inactive(reqs[i])) {
            if (statuses != MPI_STATUSES_IGNORE) {
                status_empty(st, MPI_ANY_SOURCE);
            }
            continue;
        }
        if (req_retire(&reqs[i], st) != MPI_SUCCESS) {
            err = MPI_ERR_IN_STATUS;
        }
    }
    return err;
}

int MPI_Waitall(int count, MPI_Request array_of_requests[], MPI_Status array_of_statuses[])
{
    MPI_Comm comm = MPI_COMM_WORLD;

    BPMPI_CHECK_INIT("MPI_Waitall");
    if (count < 0 || (count > 0 && array_of_requests == NULL)) {
        return bpmpi_error(MPI_COMM_WORLD, MPI_ERR_ARG, "MPI_Waitall");
    }
    /* Nothing to service: sends only, each straight to bp_wait. Else one wait over the set
     * and what needs service. */
    if (bpmpi.n_service > 0 &&
        wait_all(NULL, NULL, NULL, 0, array_of_requests, count) != BP_OK) {
        /* no memory for the wait set: one request at a time still completes them all */
    }
    for (int i = 0; i < count; i++) {
        if (!req_inactive(array_of_requests[i])) {
            comm = array_of_requests[i]->comm;
            req_block(array_of_requests[i]);
        }
    }
    return bpmpi_error(comm, p2p_retire_set(count, array_of_requests, array_of_statuses),
                       "MPI_Waitall");
}

int MPI_Testall(int count, MPI_Request array_of_requests[], int *flag,
                MPI_Status array_of_statuses[])
{
    MPI_Comm comm = MPI_COMM_WORLD;
    int all = 1;

    BPMPI_CHECK_INIT("MPI_Testall");
    if (count < 0 || flag == NULL || (count > 0 && array_of_requests == NULL)) {
        return bpmpi_error(MPI_COMM_WORLD, MPI_ERR_ARG, "MPI_Testall");
    }
    for (int i = 0; i < count; i++) {
        if (!req_inactive(array_of_requests[i])) {
            comm = array_of_requests[i]->comm;
            req_poll(array_of_requests[i]);
            all &= array_of_requests[i]->complete;
        }
    }
    if (!all && bpmpi.n_service > 0) {
        p2p_poll_service(0);
    }
    *flag = all;
    if (!all) {
        return MPI_SUCCESS; /* MPI: nothing is retired unless all are complete */
    }
    return bpmpi_error(comm, p2p_retire_set(count, array_of_requests, array_of_statuses),
                       "MPI_Testall");
}

/* Any / some: polls the set once; block: waits until at least one is complete. */
static int p2p_some(const char *call, int count, MPI_Request reqs[], bool block, bool one,
                    int *outcount, int indices[], MPI_Status statuses[])
{
    int n = 0, active = 0, err = MPI_SUCCESS;
    MPI_Comm comm = MPI_COMM_WORLD;

    for (;;) {
        active = 0;
        for (int i = 0; i < count; i++) {
            if (!req_inactive(reqs[i])) {
                active++;
                comm = reqs[i]->comm;
                req_poll(reqs[i]);
                if (reqs[i]->complete) {
                    n++;
                    if (one) {
                        break;
                    }
                }
            }
        }
        if (n > 0 || active == 0 || !block) {
            break;
        }
        if (wait_step(NULL, NULL, NULL, 0, reqs, count) != BP_OK) {
            p2p_poll_service(1);
        }
    }
    if (active == 0) {
        *outcount = MPI_UNDEFINED;
        return MPI_SUCCESS;
    }
    if (n == 0 && bpmpi.n_service > 0) {
        p2p_poll_service(0);
    }
    n = 0;
    for (int i = 0; i < count; i++) {
        if (!req_inactive(reqs[i]) && reqs[i]->complete) {
            MPI_Status tmp, *st = (statuses != MPI_STATUSES_IGNORE) ? &statuses[n] : &tmp;
            int e = req_retire(&reqs[i], st);
            indices[n++] = i;
            if (e != MPI_SUCCESS) {
                err = one ? e : MPI_ERR_IN_STATUS;
            }
            if (one) {
                break;
            }
        }
    }
    *outcount = n;
    return bpmpi_error(comm, err, call);
}

int MPI_Waitany(int count, MPI_Request array_of_requests[], int *index, MPI_Status *status)
{
    int out, idx = MPI_UNDEFINED, err;

    BPMPI_CHECK_INIT("MPI_Waitany");
    if (count < 0 || index == NULL || (count > 0 && array_of_requests == NULL)) {
        return bpmpi_error(MPI_COMM_WORLD, MPI_ERR_ARG, "MPI_Waitany");
    }
    err = p2p_some("MPI_Waitany", count, array_of_requests, true, true, &out, &idx, status);
    if (out == MPI_UNDEFINED) {
        idx = MPI_UNDEFINED;
        if (status != MPI_STATUS_IGNORE) {
            status_empty(status, MPI_ANY_SOURCE);
        }
    }
    *index = idx;
    return err;
}

int MPI_Testany(int count, MPI_Request array_of_requests[], int *index, int *flag,
                MPI_Status *status)
{
    int out, idx = MPI_UNDEFINED, err;

    BPMPI_CHECK_INIT("MPI_Testany");
    if (count < 0 || index == NULL || flag == NULL ||
        (count > 0 && array_of_requests == NULL)) {
        return bpmpi_error(MPI_COMM_WORLD, MPI_ERR_ARG, "MPI_Testany");
    }
    err = p2p_some("MPI_Testany", count, array_of_requests, false, true, &out, &idx, status);
    if (out == MPI_UNDEFINED) {
        *flag = 1;
        *index = MPI_UNDEFINED;
        if (status != MPI_STATUS_IGNORE) {
            status_empty(status, MPI_ANY_SOURCE);
        }
    } else {
        *flag = out > 0;
        *index = out > 0 ? idx : MPI_UNDEFINED;
    }
    return err;
}

int MPI_Waitsome(int incount, MPI_Request array_of_requests[], int *outcount,
                 int array_of_indices[], MPI_Status array_of_statuses[])
{
    BPMPI_CHECK_INIT("MPI_Waitsome");
    if (incount < 0 || outcount == NULL || (incount > 0 && (array_of_requests == NULL ||
                                                            array_of_indices == NULL))) {
        return bpmpi_error(MPI_COMM_WORLD, MPI_ERR_ARG, "MPI_Waitsome");
    }
    return p2p_some("MPI_Waitsome", incount, array_of_requests, true, false, outcount,
                    array_of_indices, array_of_statuses);
}

int MPI_Testsome(int incount, MPI_Request array_of_requests[], int *outcount,
                 int array_of_indices[], MPI_Status array_of_statuses[])
{
    BPMPI_CHECK_INIT("MPI_Testsome");
    if (incount < 0 || outcount == NULL || (incount > 0 && (array_of_requests == NULL ||
                                                            array_of_indices == NULL))) {
        return bpmpi_error(MPI_COMM_WORLD, MPI_ERR_ARG, "MPI_Testsome");
    }
    return p2p_some("MPI_Testsome", incount, array_of_requests, false, false, outcount,
                    array_of_indices, array_of_statuses);
}

int MPI_Cancel(MPI_Request *request)
{
    struct bpmpi_request *r;

    BPMPI_CHECK_INIT("MPI_Cancel");
    if (request == NULL || *request == MPI_REQUEST_NULL) {
        return bpmpi_error(MPI_COMM_WORLD, MPI_ERR_REQUEST, "MPI_Cancel");
    }
    r = *request;
    /* A receive not matched yet is cancelled; a send is not (MPI lets a cancel fail: the
     * status then says not cancelled, and the send completes normally). */
    if (r->active && !r->complete && r->kind == BPMPI_RQ_RECV && r->nreq != NULL) {
        bp_cancel(r->nreq);
    }
    return MPI_SUCCESS;
}

int MPI_Test_cancelled(const MPI_Status *status, int *flag)
{
    if (status == NULL || flag == NULL) {
        return bpmpi_error(MPI_COMM_WORLD, MPI_ERR_ARG, "MPI_Test_cancelled");
    }
    *flag = status->bpmpi_cancelled;
    return MPI_SUCCESS;
}

int MPI_Request_free(MPI_Request *request)
{
    struct bpmpi_request *r;

    BPMPI_CHECK_INIT("MPI_Request_free");
    if (request == NULL || *request == MPI_REQUEST_NULL) {
        return bpmpi_error(MPI_COMM_WORLD, MPI_ERR_REQUEST, "MPI_Request_free");
    }
    r = *request;
    *request = MPI_REQUEST_NULL;
    if (!r->active || r->complete) {
        req_release(r);
        return MPI_SUCCESS;
    }
    /* still in flight: completed (and released) by whoever makes progress next */
    r->user_freed = true;
    req_service(r, true);
    return MPI_SUCCESS;
}

/*
 * Finalize: requests the user freed while active end before the context does (a freed send
 * must still be delivered; a freed receive nothing matched is cancelled first). Requests
 * never waited for (an erroneous program) are let go: bp_finalize cancels their native
 * requests, and waiting here could hang on a peer that never answers.
 */
void bpmpi_p2p_fini(void)
{
    while (bpmpi.active != NULL) {
        struct bpmpi_request *r = bpmpi.active;
        if (r->user_freed) {
            if (r->kind == BPMPI_RQ_RECV && r->nreq != NULL) {
                bp_cancel(r->nreq);
            }
            req_block(r); /* releases it */
        } else {
            free(r->tmp);
            r->tmp = NULL;
            if (r->kind == BPMPI_RQ_COLL) {
                bpmpi_nbc_drop(r);
            }
            req_list_remove(r);
            req_service(r, false);
            r->complete = true;
        }
    }
    while (p2p_free_list != NULL) {
        struct bpmpi_request *r = p2p_free_list;
        p2p_free_list = r->next;
        free(r);
    }
    free(wait_arr);
    free(wait_slots);
    wait_arr = NULL;
    wait_slots = NULL;
    wait_cap = 0;
}

/* --- combined and probing -------------------------------------------------------------- */

int MPI_Sendrecv(const void *sendbuf, int sendcount, MPI_Datatype sendtype, int dest,
                 int sendtag, void *recvbuf, int recvcount, MPI_Datatype recvtype, int source,
                 int recvtag, MPI_Comm comm, MPI_Status *status)
{
    struct bpmpi_request *rr, *sr;
    MPI_Request h;
    int err, serr;

    BPMPI_CHECK_INIT("MPI_Sendrecv");
    err = req_new(BPMPI_RQ_RECV, BPMPI_MODE_STD, recvbuf, recvcount, recvtype, source, recvtag,
                  comm, false, &rr);
    if (err != MPI_SUCCESS) {
        return bpmpi_error(comm, err, "MPI_Sendrecv");
    }
    err = req_new(BPMPI_RQ_SEND, BPMPI_MODE_STD, sendbuf, sendcount, sendtype, dest, sendtag,
                  comm, false, &sr);
    if (err != MPI_SUCCESS) {
        MPI_Cancel(&rr);
        req_block(rr);
        h = rr;
        req_retire(&h, MPI_STATUS_IGNORE);
        return bpmpi_error(comm, err, "MPI_Sendrecv");
    }
    req_block(sr);
    req_block(rr);
    h = sr;
    serr = req_retire(&h, MPI_STATUS_IGNORE);
    h = rr;
    err = req_retire(&h, status);
    return bpmpi_error(comm, err != MPI_SUCCESS ? err : serr, "MPI_Sendrecv");
}

int MPI_Sendrecv_replace(void *buf, int count, MPI_Datatype datatype, int dest, int sendtag,
                         int source, int recvtag, MPI_Comm comm, MPI_Status *status)
{
    size_t bytes;
    void *tmp;
    int err;

    BPMPI_CHECK_INIT("MPI_Sendrecv_replace");
    err = p2p_check(comm, buf, count, datatype, dest, sendtag, false, &bytes);
    if (err != MPI_SUCCESS || (bytes > (size_t)INT_MAX && (err = MPI_ERR_COUNT))) {
        return bpmpi_error(comm, err, "MPI_Sendrecv_replace");
    }
    if ((tmp = malloc(bytes ? bytes : 1)) == NULL) {
        return bpmpi_error(comm, MPI_ERR_NO_MEM, "MPI_Sendrecv_replace");
    }
    /* the wire carries packed bytes: sending them as MPI_BYTE is the same message */
    bpmpi_dt_pack(buf, count, datatype, tmp);
    err = MPI_Sendrecv(tmp, (int)bytes, MPI_BYTE, dest, sendtag, buf, count, datatype, source,
                       recvtag, comm, status);
    free(tmp);
    return err;
}

static int p2p_probe(const char *call, int source, int tag, MPI_Comm comm, int block,
                     int *flag, MPI_Status *status)
{
    bp_msginfo_t info;
    bp_status_t st;
    uint64_t ntag, ignore;
    int src, found = 0;
    size_t bytes;
    int err;

    BPMPI_CHECK_INIT(call);
    err = p2p_check(comm, NULL, 0, MPI_BYTE, source, tag, true, &bytes);
    if (err != MPI_SUCCESS) {
        return bpmpi_error(comm, err, call);
    }
    if (source == MPI_PROC_NULL) {
        if (flag != NULL) {
            *flag = 1;
        }
        if (status != MPI_STATUS_IGNORE) {
            status_empty(status, MPI_PROC_NULL);
        }
        return MPI_SUCCESS;
    }
    p2p_recv_match(comm, source, tag, &src, &ntag, &ignore);
    for (;;) {
        if (block && bpmpi.n_service == 0) {
            st = bp_probe(bpmpi.ctx, src, ntag, ignore, &info);
            found = (st == BP_OK);
        } else {
            st = bp_iprobe(bpmpi.ctx, src, ntag, ignore, &found, &info);
        }
        if (st != BP_OK) {
            return bpmpi_error(comm, bpmpi_from_status(st), call);
        }
        if (found || !block) {
            break;
        }
        p2p_poll_service(0);
    }
    if (flag != NULL) {
        *flag = found;
    }
    if (found && status != MPI_STATUS_IGNORE) {
        p2p_status(comm, &info, BP_OK, SIZE_MAX, status);
    }
    return MPI_SUCCESS;
}

int MPI_Probe(int source, int tag, MPI_Comm comm, MPI_Status *status)
{
    return p2p_probe("MPI_Probe", source, tag, comm, 1, NULL, status);
}

int MPI_Iprobe(int source, int tag, MPI_Comm comm, int *flag, MPI_Status *status)
{
    if (flag == NULL) {
        return bpmpi_error(comm, MPI_ERR_ARG, "MPI_Iprobe");
    }
    return p2p_probe("MPI_Iprobe", source, tag, comm, 0, flag, status);
}

/* --- buffered sends -------------------------------------------------------------------- */

int MPI_Buffer_attach(void *buffer, int size)
{
    BPMPI_CHECK_INIT("MPI_Buffer_attach");
    if (size < 0) {
        return bpmpi_error(MPI_COMM_WORLD, MPI_ERR_COUNT, "MPI_Buffer_attach");
    }
    if (bpmpi.bsend_buf != NULL) {
        return bpmpi_error(MPI_COMM_WORLD, MPI_ERR_BUFFER, "MPI_Buffer_attach");
    }
    /* Buffered data is copied to memory of our own; the attached size is the limit MPI
     * defines (MPI_BSEND_OVERHEAD per message included). */
    bpmpi.bsend_buf = buffer;
    bpmpi.bsend_size = (size_t)size;
    return MPI_SUCCESS;
}

int MPI_Buffer_detach(void *buffer_addr, int *size)
{
    BPMPI_CHECK_INIT("MPI_Buffer_detach");
    if (buffer_addr == NULL || size == NULL) {
        return bpmpi_error(MPI_COMM_WORLD, MPI_ERR_ARG, "MPI_Buffer_detach");
    }
    bpmpi_detached_reap(1); /* MPI: blocks until every buffered message has left */
    *(void **)buffer_addr = bpmpi.bsend_buf;
    *size = (int)bpmpi.bsend_size;
    bpmpi.bsend_buf = NULL;
    bpmpi.bsend_size = 0;
    return MPI_SUCCESS;
}
