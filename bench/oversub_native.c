/*
 * oversub_native.c - the oversubscription benchmark program (docs/PERFORMANCE.md,
 * scripts/bench-oversub.sh) over bypass; oversub_mpi.c is the same over MPI, for Open MPI
 * and MPICH. The benchmarks, iteration counts and output are oversub_common.h's; this file
 * gives them bp_barrier, bp_allreduce, bp_bcast, bp_send and bp_recv. The progress mode is
 * BP_PROGRESS's, from the environment.
 *
 *   bprun -n 8 build/bin/bp-oversub [TARGET_S] [idle]
 *   OVERSUB_BENCH=ring bprun -n 8 build/bin/bp-oversub   (one benchmark alone: barrier,
 *                                                          allreduce8, ring or imbalance)
 *   OVERSUB_BENCH=imbalance OVERSUB_WORK_US=100 ...       (a barrier after rank 1 computed
 *                                                          100 us: the time beyond that;
 *                                                          imbalance_any: a message from it
 *                                                          to each, received from any
 *                                                          source and answered)
 */
#include <bypass.h>
#include <stdlib.h>
#include <string.h>

#include "oversub_common.h"

static bp_context_t *ctx;
static oversub_ops_t ops;

static void check(bp_status_t st, const char *what)
{
    if (st != BP_OK) {
        fprintf(stderr, "rank %d: %s: %s\n", ops.rank, what, bp_strerror(st));
        exit(1);
    }
}

static void nat_barrier(void)
{
    check(bp_barrier(ctx), "bp_barrier");
}

static void nat_allreduce8(void)
{
    double in = ops.rank, out = 0;

    check(bp_allreduce(ctx, &in, &out, 1, BP_DT_DOUBLE, BP_OP_SUM), "bp_allreduce");
}

static void nat_bcast_u64(uint64_t *v)
{
    check(bp_bcast(ctx, v, sizeof(*v), 0), "bp_bcast");
}

static void nat_send(const void *buf, size_t len, int dest, int tag)
{
    check(bp_send(ctx, buf, len, dest, (uint64_t)tag), "bp_send");
}

static void nat_recv(void *buf, size_t len, int src, int tag)
{
    check(bp_recv(ctx, buf, len, src, (uint64_t)tag, 0, NULL), "bp_recv");
}

int main(int argc, char **argv)
{
    double target_s = argc > 1 ? atof(argv[1]) : 1.0;
    int idle_only = argc > 2 && strcmp(argv[2], "idle") == 0;

    check(bp_init(&ctx), "bp_init");
    bp_rank(ctx, &ops.rank);
    bp_size(ctx, &ops.size);
    if (ops.size < 2) {
        fprintf(stderr, "bp-oversub: run it with at least 2 ranks\n");
        return 1;
    }
    ops.barrier = nat_barrier;
    ops.allreduce8 = nat_allreduce8;
    ops.bcast_u64 = nat_bcast_u64;
    ops.send = nat_send;
    ops.recv = nat_recv;
    ops.any_source = BP_ANY_SOURCE;
    oversub_run(&ops, target_s, idle_only);
    check(bp_finalize(ctx), "bp_finalize");
    return 0;
}
