/*
 * bypass.h - the native API of bypass, a message-passing library for HPC jobs whose short
 * messages never enter the kernel.
 *
 * This is the only public header. All types are opaque; every call returns a bp_status_t
 * (BP_OK == 0, BP_INPROGRESS > 0, errors < 0; bp_strerror() names them). Nothing in the
 * library prints to stdout or calls exit(): errors are returned, and logged once on stderr
 * at the level set by BP_LOG_LEVEL.
 *
 * Model (the one of UCX's UCP tag API, libfabric's fi_tagged and MPI point-to-point):
 *   - one context per process: bp_init() reads rank, size and the job from the environment
 *     (set by the launcher, `bprun`); a program started without a launcher is rank 0 of 1.
 *   - tagged messages: a 64-bit tag and, on the receive side, an ignore mask: a message
 *     matches a receive when ((msg_tag ^ tag) & ~ignore) == 0 and the source matches
 *     (BP_ANY_SOURCE matches every source).
 *   - messages from one sender that match the same receive are received in the order they
 *     were sent (MPI's non-overtaking rule), BP_ANY_SOURCE included.
 *   - nonblocking calls return a request; bp_test / bp_wait / bp_waitall / bp_waitany
 *     complete it, free it and set the caller's handle to NULL.
 *
 * Threads: a context is used by one thread at a time (the caller serialises; MPI's
 * THREAD_FUNNELED / SERIALIZED). Progress happens inside bypass calls only.
 */
#ifndef BYPASS_H
#define BYPASS_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__GNUC__)
#define BP_API __attribute__((visibility("default")))
#else
#define BP_API
#endif

#define BP_VERSION_MAJOR 0
#define BP_VERSION_MINOR 1
#define BP_VERSION_PATCH 0

/* Status codes. 0 is success, > 0 "not yet", < 0 an error. */
typedef enum bp_status {
    BP_OK = 0,
    BP_INPROGRESS = 1,     /* the operation has not completed yet */
    BP_ERR_INVAL = -1,     /* invalid argument */
    BP_ERR_NOMEM = -2,     /* out of memory */
    BP_ERR_SYS = -3,       /* a system call failed (the log names it and the OS error) */
    BP_ERR_TRUNC = -4,     /* the message was longer than the receive buffer */
    BP_ERR_CANCELED = -5,  /* the request was cancelled */
    BP_ERR_VERSION = -6,   /* peers speak different protocol versions */
    BP_ERR_CONFIG = -7,    /* an unknown BP_* variable or an unknown value */
    BP_ERR_PEER = -8,      /* a peer failed or went away (see BP_ERR_PEER_FAILED) */
    BP_ERR_AGAIN = -9,     /* no resources right now, try again (flow control) */
    BP_ERR_NOTSUP = -10,   /* not supported here */
    BP_ERR_BOOT = -11,     /* the launcher / bootstrap failed */
    BP_ERR_STATE = -12,    /* called in the wrong state (e.g. after finalize) */
    BP_ERR_PROTO = -13,    /* malformed or foreign data on the wire */
    /*
     * The name MPI's fault-tolerance work (ULFM: MPI_ERR_PROC_FAILED) leads readers to look
     * for; the same code as BP_ERR_PEER. A peer found dead (its process gone, its connection
     * closed, its host silent) completes, within 2 s of the death (a few hundred ms in
     * practice, docs/RELIABILITY.md): every request to or from it,
     * every BP_ANY_SOURCE receive that no message already matched, and every barrier
     * (noticed while a call waits, or polls with bp_test / bp_progress). From then on such
     * receives, barriers and probes that find nothing fail at once (a nonblocking receive
     * when it is first waited on, or within 1024 unfinished bp_test calls; there is no way
     * to acknowledge a failure and go on with the rest of the job); receives from and sends to
     * live ranks work as before. A send to a rank that died may still return BP_OK before
     * its death is noticed (its bytes are lost), as an eager send in MPI.
     */
    BP_ERR_PEER_FAILED = BP_ERR_PEER,
} bp_status_t;

#define BP_ANY_SOURCE (-1)
#define BP_ANY_TAG UINT64_MAX /* as an ignore mask: ignore every tag bit */

typedef struct bp_context bp_context_t;
typedef struct bp_request bp_request_t;

/* What a completed receive (or a probe) reports. */
typedef struct bp_msginfo {
    int source;         /* rank of the sender */
    uint64_t tag;       /* the tag the sender used */
    size_t length;      /* the message's full length, even when it was truncated */
    bp_status_t status; /* BP_OK, BP_ERR_TRUNC, BP_ERR_CANCELED, BP_ERR_PEER, ... */
} bp_msginfo_t;

/* --- library ------------------------------------------------------------------------- */

/* A printable name for a status code; never NULL. */
BP_API const char *bp_strerror(bp_status_t status);

/* The library's version (as built) and the wire protocol version it speaks. */
BP_API bp_status_t bp_version(int *major_p, int *minor_p, int *patch_p, int *protocol_p);

/* --- context ------------------------------------------------------------------------- */

/*
 * Create this process's context: validate every BP_* environment variable, learn rank, size
 * and the job from the launcher, open the transports, exchange addresses with every peer and
 * check that all speak the same protocol. Collective: every rank of the job calls it.
 * Errors: BP_ERR_CONFIG (a bad BP_* variable; the log lists what is accepted), BP_ERR_VERSION
 * (a peer speaks another protocol version; the log names both), BP_ERR_BOOT, BP_ERR_SYS.
 */
BP_API bp_status_t bp_init(bp_context_t **ctx_p);

/*
 * Collective: waits until every rank has reached finalize (so no message in flight is lost),
 * then frees everything. Requests still pending are cancelled. ctx is invalid afterwards.
 */
BP_API bp_status_t bp_finalize(bp_context_t *ctx);

BP_API bp_status_t bp_rank(const bp_context_t *ctx, int *rank_p);
BP_API bp_status_t bp_size(const bp_context_t *ctx, int *size_p);

/* Make progress on pending communication without blocking. */
BP_API bp_status_t bp_progress(bp_context_t *ctx);

/* --- point to point ------------------------------------------------------------------ */

/*
 * Start sending len bytes of buf to rank dest with tag. The buffer must stay untouched until
 * the request completes. *req_p is set on BP_OK. Sending to oneself works.
 */
BP_API bp_status_t bp_isend(bp_context_t *ctx, const void *buf, size_t len, int dest,
                            uint64_t tag, bp_request_t **req_p);

/*
 * A synchronous send: as bp_isend, but the request completes only once a receive on rank
 * dest has matched the message (MPI_Issend's semantics; a send to oneself completes at
 * once). It always takes the rendezvous protocol, whatever its size: the receiver's answer
 * that completes it is the one it sends for every large message.
 */
BP_API bp_status_t bp_issend(bp_context_t *ctx, const void *buf, size_t len, int dest,
                             uint64_t tag, bp_request_t **req_p);

/*
 * Post a receive of at most len bytes into buf from rank src (or BP_ANY_SOURCE) for tags t
 * with ((t ^ tag) & ~ignore) == 0. A longer message completes the request with BP_ERR_TRUNC:
 * len bytes are written, nothing past them, and the info reports the full length.
 */
BP_API bp_status_t bp_irecv(bp_context_t *ctx, void *buf, size_t len, int src, uint64_t tag,
                            uint64_t ignore, bp_request_t **req_p);

/* Blocking forms: return when the send buffer may be reused / the message has arrived. */
BP_API bp_status_t bp_send(bp_context_t *ctx, const void *buf, size_t len, int dest,
                           uint64_t tag);
BP_API bp_status_t bp_recv(bp_context_t *ctx, void *buf, size_t len, int src, uint64_t tag,
                           uint64_t ignore, bp_msginfo_t *info_p);

/*
 * Completion. On completion the request is freed, *req_p is set to NULL, *info_p (if not
 * NULL) is filled, and the call returns the request's own status (BP_OK, BP_ERR_TRUNC,
 * BP_ERR_CANCELED, BP_ERR_PEER...). bp_test sets *done_p to 0 and returns BP_OK while the
 * request is pending. A NULL *req_p counts as already complete (info: source
 * BP_ANY_SOURCE, length 0).
 */
BP_API bp_status_t bp_test(bp_request_t **req_p, int *done_p, bp_msginfo_t *info_p);
BP_API bp_status_t bp_wait(bp_request_t **req_p, bp_msginfo_t *info_p);

/* Waits for all n requests; infos may be NULL. Returns BP_OK or the first error (each info
 * says which requests failed). */
BP_API bp_status_t bp_waitall(size_t n, bp_request_t **reqs, bp_msginfo_t *infos);

/* Waits for one of n requests; *index_p says which one (SIZE_MAX if all are NULL). */
BP_API bp_status_t bp_waitany(size_t n, bp_request_t **reqs, size_t *index_p,
                              bp_msginfo_t *info_p);

/*
 * Cancel a posted receive that has not matched a message yet: it then completes with
 * BP_ERR_CANCELED. A receive that has matched, and a send, are not cancelled (BP_OK is still
 * returned; the request completes normally). The request must still be waited for or tested.
 */
BP_API bp_status_t bp_cancel(bp_request_t *req);

/* Probe for a matching message without receiving it (blocking, and non-blocking). */
BP_API bp_status_t bp_probe(bp_context_t *ctx, int src, uint64_t tag, uint64_t ignore,
                            bp_msginfo_t *info_p);
BP_API bp_status_t bp_iprobe(bp_context_t *ctx, int src, uint64_t tag, uint64_t ignore,
                             int *found_p, bp_msginfo_t *info_p);

/* --- collectives --------------------------------------------------------------------- */

/*
 * Collectives are called by every rank of the job, in the same order. When all ranks are on
 * one host (and reach each other through shm) they go through one shared segment in a
 * single step; otherwise (several hosts, BP_TRANSPORTS=tcp) through messages. They wait
 * the way the progress mode says (BP_PROGRESS), and keep point-to-point traffic moving.
 * A peer that dies during one makes it return BP_ERR_PEER.
 */

/* Returns once every rank of the job has entered the barrier. */
BP_API bp_status_t bp_barrier(bp_context_t *ctx);

/*
 * Copy len bytes of root's buf into buf on every rank (len must be the same everywhere).
 * Up to 4 KiB goes through shared memory when all ranks share a host; any length works.
 */
BP_API bp_status_t bp_bcast(bp_context_t *ctx, void *buf, size_t len, int root);

/* Element types and reduction operations of bp_allreduce. */
typedef enum bp_dtype {
    BP_DT_INT32 = 0,
    BP_DT_INT64 = 1,
    BP_DT_UINT64 = 2,
    BP_DT_FLOAT = 3,
    BP_DT_DOUBLE = 4,
} bp_dtype_t;

typedef enum bp_op {
    BP_OP_SUM = 0,
    BP_OP_PROD = 1,
    BP_OP_MIN = 2,
    BP_OP_MAX = 3,
    BP_OP_LAND = 4, /* logical and/or (result 0 or 1) and bitwise: integer types only */
    BP_OP_LOR = 5,
    BP_OP_BAND = 6,
    BP_OP_BOR = 7,
    BP_OP_BXOR = 8,
} bp_op_t;

/*
 * Combine count elements of every rank's sendbuf element-wise with op; every rank gets the
 * result in recvbuf, bit-identical on all ranks (the same order of operations everywhere).
 * sendbuf may be recvbuf. BP_ERR_INVAL for an unknown type or op, or a logical/bitwise op
 * on float/double. Up to 1 KiB per rank goes through shared memory when all ranks share a
 * host; any count works.
 */
BP_API bp_status_t bp_allreduce(bp_context_t *ctx, const void *sendbuf, void *recvbuf,
                                size_t count, bp_dtype_t dtype, bp_op_t op);

/*
 * A function the collectives call while they wait (between polls), for a layer above with
 * progress of its own to make: MPI's rule that a rank blocked in one collective keeps its
 * pending nonblocking ones going. It may call the nonblocking functions (bp_isend,
 * bp_irecv, bp_test, bp_iprobe, bp_cancel, bp_progress), never a blocking call or a
 * collective. NULL removes it.
 */
BP_API bp_status_t bp_set_coll_hook(bp_context_t *ctx, void (*hook)(void *arg), void *arg);

/*
 * How many bytes bp_allreduce (per rank) and bp_bcast take through shared memory in one
 * step; both 0 when the collectives go through messages (ranks on several hosts, or a
 * transport other than shm). The same on every rank of the job.
 */
BP_API bp_status_t bp_coll_shm(const bp_context_t *ctx, size_t *allreduce_max_p,
                               size_t *bcast_max_p);

/*
 * Groups: the one-host collectives among some of the job's ranks (an MPI layer's
 * sub-communicators). bp_group_create is collective over the members: every member calls
 * it with the same ranks (the job's, in the group's order: member i is ranks[i]) and the
 * same key, which must differ from that of any other group being created at the same time
 * with the same first member. It returns BP_ERR_NOTSUP on every member when the job's
 * collectives go through messages (bp_coll_shm gives 0) or when the segment's 31 group
 * channels are all in use: the caller then uses messages of its own. A group's collectives
 * are called by all its members in the same order, take a member index as root, and carry
 * at most bp_coll_shm's sizes (BP_ERR_INVAL beyond). bp_group_free is local; free every
 * group before bp_finalize (which frees those left).
 */
typedef struct bp_group bp_group_t;

BP_API bp_status_t bp_group_create(bp_context_t *ctx, const int *ranks, int n, uint32_t key,
                                   bp_group_t **group_p);
BP_API bp_status_t bp_group_free(bp_group_t **group_p);
BP_API int bp_group_rank(const bp_group_t *group); /* this rank's member index */
BP_API int bp_group_size(const bp_group_t *group);
BP_API bp_status_t bp_group_barrier(bp_group_t *group);
BP_API bp_status_t bp_group_bcast(bp_group_t *group, void *buf, size_t len, int root);
BP_API bp_status_t bp_group_allreduce(bp_group_t *group, const void *sendbuf, void *recvbuf,
                                      size_t count, bp_dtype_t dtype, bp_op_t op);

#ifdef __cplusplus
}
#endif

#endif /* BYPASS_H */
