/*
 * bprun_proto.h - the wire between bprun and the ranks it started (src/boot/bprun.c is the
 * rank side, tools/bprun.c the launcher side). Local only: a SOCK_STREAM socketpair per
 * rank, inherited by the rank as file descriptor BPRUN_FD.
 *
 * Environment set by bprun for each rank:
 *   BPRUN_RANK, BPRUN_SIZE  decimal
 *   BPRUN_JOBKEY            16 hex digits
 *   BPRUN_FD                decimal file descriptor of the rank's end of its socketpair
 *
 * Request (rank -> bprun): bpi_bprun_msg_t { op, len } followed by len bytes.
 * Reply   (bprun -> rank): bpi_bprun_msg_t { op = status (0 ok), len } followed by len bytes.
 *
 * BPI_BPRUN_OP_ALLGATHER: every rank sends the same len; when all have, bprun answers each
 * with size * len bytes ordered by rank. A rank sending a different len gets status 1 and
 * len 0 (all ranks do).
 */
#ifndef BPI_BPRUN_PROTO_H
#define BPI_BPRUN_PROTO_H

#include <stdint.h>

#define BPI_BPRUN_OP_ALLGATHER 1u
#define BPI_BPRUN_MAX_LEN (1u << 20) /* per rank contribution */

typedef struct bpi_bprun_msg {
    uint32_t op;
    uint32_t len;
} bpi_bprun_msg_t;

#endif
