/*
 * bprun_proto.h - the wire between bprun and the ranks it started (src/boot/bprun.c is the
 * rank side, tools/bprun.c the launcher side). Local only: a SOCK_STREAM socketpair per
 * rank, inherited by the rank as file descriptor BPRUN_FD. Integers are in host byte order
 * (both ends run on the same machine).
 *
 * Environment set by bprun for each rank:
 *   BPRUN_RANK, BPRUN_SIZE  decimal, 0 <= rank < size <= BPI_BPRUN_MAX_SIZE
 *   BPRUN_JOBKEY            exactly 16 hex digits (bprun writes lowercase); shared memory
 *                           segments of the job are named /dev/shm/bp-<these 16 digits>-...
 *                           and bprun removes leftovers when the job is over
 *   BPRUN_FD                decimal file descriptor of the rank's end of its socketpair (not
 *                           close-on-exec when the rank starts; the rank sets FD_CLOEXEC)
 *
 * Request (rank -> bprun): bpi_bprun_msg_t { op, len } followed by len bytes.
 * Reply   (bprun -> rank): bpi_bprun_msg_t { op = status, len } followed by the payload.
 *
 * A rank has at most one request outstanding: it sends the next one only after it has read
 * the whole reply to the previous one (bprun reads nothing from a rank while a reply to it
 * is still being written).
 *
 * BPI_BPRUN_OP_ALLGATHER: every rank sends one request per round; when all ranks have, bprun
 * answers each with status BPI_BPRUN_STATUS_OK, len = the per-rank length, followed by
 * size * len bytes ordered by rank (the per-rank length, not the total, is in the header so
 * that 4096 ranks x 1 MiB does not overflow 32 bits). Rounds repeat without limit.
 * When a request of the round is invalid (unknown op, len > BPI_BPRUN_MAX_LEN: its len bytes
 * are read and dropped) or the ranks sent different lengths, every rank of the round gets
 * that error status and len 0, with no payload; the next round starts afresh.
 * Once any rank has closed its connection (or died), no round can complete any more: every
 * pending and later request is answered at once with BPI_BPRUN_STATUS_PEER.
 */
#ifndef BPI_BPRUN_PROTO_H
#define BPI_BPRUN_PROTO_H

#include <stdint.h>

#define BPI_BPRUN_OP_ALLGATHER 1u
#define BPI_BPRUN_MAX_LEN (1u << 20) /* per rank contribution */
#define BPI_BPRUN_MAX_SIZE 4096      /* ranks per job */

/* Reply statuses (the op field of a reply). */
#define BPI_BPRUN_STATUS_OK 0u
#define BPI_BPRUN_STATUS_LEN 1u    /* the ranks sent different lengths */
#define BPI_BPRUN_STATUS_OP 2u     /* a rank sent an unknown op */
#define BPI_BPRUN_STATUS_TOOBIG 3u /* a rank sent len > BPI_BPRUN_MAX_LEN */
#define BPI_BPRUN_STATUS_NOMEM 4u  /* bprun could not allocate the reply */
#define BPI_BPRUN_STATUS_PEER 5u   /* a rank closed its connection or died */

typedef struct bpi_bprun_msg {
    uint32_t op;
    uint32_t len;
} bpi_bprun_msg_t;

_Static_assert(sizeof(bpi_bprun_msg_t) == 8, "bpi_bprun_msg_t is 8 bytes on the wire");

/* A printable name for a reply status; never NULL. */
static inline const char *bpi_bprun_status_str(uint32_t status)
{
    switch (status) {
    case BPI_BPRUN_STATUS_OK:
        return "ok";
    case BPI_BPRUN_STATUS_LEN:
        return "the ranks contributed different lengths";
    case BPI_BPRUN_STATUS_OP:
        return "a rank sent an unknown request";
    case BPI_BPRUN_STATUS_TOOBIG:
        return "a rank's contribution is larger than the limit";
    case BPI_BPRUN_STATUS_NOMEM:
        return "bprun is out of memory";
    case BPI_BPRUN_STATUS_PEER:
        return "a rank closed its connection or died";
    default:
        return "unknown status";
    }
}

#endif
