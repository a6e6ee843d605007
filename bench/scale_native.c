/*
 * scale_native.c - the "scale on one machine" benchmark program (docs/PERFORMANCE.md): every
 * rank exchanges one message with every other rank, then all hold still for HOLD_MS so that
 * scripts/bench-scale.sh can read the machine's shared memory in use, then finalize.
 * scale_mpi.c is the same program over MPI, for Open MPI and MPICH.
 *
 *   bprun -n 64 build/bin/bp-scale [HOLD_MS]
 */
#include <bypass.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    bp_context_t *ctx;
    int rank, size, hold_ms = argc > 1 ? atoi(argv[1]) : 0;
    bp_status_t st = bp_init(&ctx);

    if (st != BP_OK) {
        fprintf(stderr, "bp_init: %s\n", bp_strerror(st));
        return 1;
    }
    bp_rank(ctx, &rank);
    bp_size(ctx, &size);
    for (int d = 1; d < size; d++) { /* pairwise: send to rank+d, receive from rank-d */
        int to = (rank + d) % size, from = (rank - d + size) % size, out = rank, in = -1;
        bp_request_t *req;
        if (bp_isend(ctx, &out, sizeof(out), to, 1, &req) != BP_OK ||
            bp_recv(ctx, &in, sizeof(in), from, 1, 0, NULL) != BP_OK ||
            bp_wait(&req, NULL) != BP_OK || in != from) {
            fprintf(stderr, "rank %d: exchange with %d/%d failed\n", rank, to, from);
            return 1;
        }
    }
    bp_barrier(ctx);
    if (rank == 0) {
        printf("exchanged: %d ranks, every pair\n", size);
        fflush(stdout);
    }
    if (hold_ms > 0) {
        usleep((useconds_t)hold_ms * 1000);
    }
    bp_barrier(ctx);
    return bp_finalize(ctx) == BP_OK ? 0 : 1;
}
