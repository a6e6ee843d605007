/*
 * launcher_exchange.c - started by a real launcher (mpiexec.hydra, mpirun.openmpi): bp_init
 * through the public API, then a ping-pong between rank 0 and every other rank and an
 * all-to-all, each message's content checked, then a barrier and bp_finalize. Argument: the
 * number of ranks the launcher was asked for (the bootstrap must report exactly that).
 * Rank 0 prints "launcher_exchange: ok N ranks" on success.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bypass.h"

#define LX_CHECK(call)                                                                        \
    do {                                                                                      \
        bp_status_t lx_st_ = (call);                                                          \
        if (lx_st_ != BP_OK) {                                                                \
            fprintf(stderr, "rank %d: %s:%d: %s: %s\n", lx_rank, __FILE__, __LINE__, #call,   \
                    bp_strerror(lx_st_));                                                     \
            exit(1);                                                                          \
        }                                                                                     \
    } while (0)

#define LX_LEN 100
#define LX_ROUNDS 20

static int lx_rank = -1;

/* The byte j of the message from src to dst in round i. */
static unsigned char lx_byte(int src, int dst, int i, size_t j)
{
    return (unsigned char)(src * 131 + dst * 31 + i * 7 + (int)j);
}

static void lx_fill(unsigned char *buf, int src, int dst, int i)
{
    for (size_t j = 0; j < LX_LEN; j++) {
        buf[j] = lx_byte(src, dst, i, j);
    }
}

static void lx_check(const unsigned char *buf, const bp_msginfo_t *info, int src, int dst, int i)
{
    if (info->source != src || info->length != LX_LEN) {
        fprintf(stderr, "rank %d: from %d round %d: got source %d length %zu\n", lx_rank, src, i,
                info->source, info->length);
        exit(1);
    }
    for (size_t j = 0; j < LX_LEN; j++) {
        if (buf[j] != lx_byte(src, dst, i, j)) {
            fprintf(stderr, "rank %d: from %d round %d: byte %zu is %u, expected %u\n", lx_rank,
                    src, i, j, buf[j], lx_byte(src, dst, i, j));
            exit(1);
        }
    }
}

static void lx_pingpong(bp_context_t *ctx, int size)
{
    unsigned char buf[LX_LEN];
    bp_msginfo_t info;

    for (int peer = 1; peer < size; peer++) {
        if (lx_rank != 0 && lx_rank != peer) {
            continue;
        }
        for (int i = 0; i < LX_ROUNDS; i++) {
            if (lx_rank == 0) {
                lx_fill(buf, 0, peer, i);
                LX_CHECK(bp_send(ctx, buf, LX_LEN, peer, 1));
                LX_CHECK(bp_recv(ctx, buf, LX_LEN, peer, 2, 0, &info));
                lx_check(buf, &info, peer, 0, i);
            } else {
                LX_CHECK(bp_recv(ctx, buf, LX_LEN, 0, 1, 0, &info));
                lx_check(buf, &info, 0, peer, i);
                lx_fill(buf, peer, 0, i);
                LX_CHECK(bp_send(ctx, buf, LX_LEN, 0, 2));
            }
        }
    }
}

static void lx_alltoall(bp_context_t *ctx, int size)
{
    unsigned char *sbuf = malloc((size_t)size * LX_LEN);
    unsigned char *rbuf = malloc((size_t)size * LX_LEN);
    bp_request_t **reqs = malloc(2 * (size_t)size * sizeof(*reqs));
    bp_msginfo_t *infos = malloc(2 * (size_t)size * sizeof(*infos));

    if (sbuf == NULL || rbuf == NULL || reqs == NULL || infos == NULL) {
        fprintf(stderr, "rank %d: out of memory\n", lx_rank);
        exit(1);
    }
    for (int i = 0; i < 3; i++) {
        for (int p = 0; p < size; p++) {
            LX_CHECK(bp_irecv(ctx, rbuf + (size_t)p * LX_LEN, LX_LEN, p, 100 + (uint64_t)i, 0,
                              &reqs[p]));
        }
        for (int p = 0; p < size; p++) {
            lx_fill(sbuf + (size_t)p * LX_LEN, lx_rank, p, i);
            LX_CHECK(bp_isend(ctx, sbuf + (size_t)p * LX_LEN, LX_LEN, p, 100 + (uint64_t)i,
                              &reqs[size + p]));
        }
        LX_CHECK(bp_waitall(2 * (size_t)size, reqs, infos));
        for (int p = 0; p < size; p++) {
            lx_check(rbuf + (size_t)p * LX_LEN, &infos[p], p, lx_rank, i);
        }
    }
    free(infos);
    free(reqs);
    free(rbuf);
    free(sbuf);
}

int main(int argc, char **argv)
{
    bp_context_t *ctx;
    int size, expected;

    if (argc != 2 || (expected = atoi(argv[1])) < 1) {
        fprintf(stderr, "usage: launcher_exchange NRANKS\n");
        return 2;
    }
    LX_CHECK(bp_init(&ctx));
    LX_CHECK(bp_rank(ctx, &lx_rank));
    LX_CHECK(bp_size(ctx, &size));
    if (size != expected) {
        fprintf(stderr, "rank %d: size %d, the launcher started %d\n", lx_rank, size, expected);
        return 1;
    }
    lx_pingpong(ctx, size);
    lx_alltoall(ctx, size);
    LX_CHECK(bp_barrier(ctx));
    LX_CHECK(bp_finalize(ctx));
    if (lx_rank == 0) {
        printf("launcher_exchange: ok %d ranks\n", size);
    }
    return 0;
}
