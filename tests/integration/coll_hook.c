/*
 * What a layer built on the native API gets from the collectives (bypass.h):
 *  - bp_coll_shm: the same sizes on every rank; 1 KiB and 4 KiB when the collectives go
 *    through shared memory, 0 and 0 through messages (argv[1]: "shm" or "msg", what the
 *    test's transport makes of it);
 *  - bp_set_coll_hook: the hook runs while a collective waits, and may make progress of
 *    its own with nonblocking calls: rank 0 sends each other rank a message, then arrives
 *    late at a barrier; each other rank's hook finds the message (bp_iprobe), receives it
 *    (bp_irecv, bp_test) inside the barrier's wait, and the barrier still completes;
 *  - it never runs inside a point-to-point wait (a bp_recv that waits for rank 0), and
 *    NULL removes it;
 *  - invalid arguments are refused.
 */
#include <unistd.h>

#include "itest.h"

static bp_context_t *ctx;
static long hook_calls;
static bp_request_t *hook_req;
static int64_t hook_got = -1;
static int hook_done;

/* The layer's own progress: a message tagged 99 from rank 0, received without blocking. */
static void hook(void *arg)
{
    bp_msginfo_t info;
    int found = 0;

    CHECK(arg == &hook_calls);
    hook_calls++;
    if (hook_done) {
        return;
    }
    if (hook_req == NULL) {
        CHECK_OK(bp_iprobe(ctx, 0, 99, 0, &found, &info));
        if (found) {
            CHECK_OK(bp_irecv(ctx, &hook_got, sizeof(hook_got), 0, 99, 0, &hook_req));
        }
    }
    if (hook_req != NULL) {
        CHECK_OK(bp_test(&hook_req, &hook_done, NULL));
    }
}

int main(int argc, char **argv)
{
    int rank, size;
    size_t ar_max = 7, bc_max = 7, mine[2], lo[2], hi[2];
    int shm = argc > 1 && strcmp(argv[1], "shm") == 0;

    ctx = itest_init(&rank, &size);
    CHECK(argc > 1 && (shm || strcmp(argv[1], "msg") == 0));

    CHECK_OK(bp_coll_shm(ctx, &ar_max, &bc_max));
    CHECK_EQ(ar_max, (size_t)(shm && size > 1 ? 1024 : 0));
    CHECK_EQ(bc_max, (size_t)(shm && size > 1 ? 4096 : 0));
    mine[0] = ar_max;
    mine[1] = bc_max;
    CHECK_OK(bp_allreduce(ctx, mine, lo, 2, BP_DT_UINT64, BP_OP_MIN));
    CHECK_OK(bp_allreduce(ctx, mine, hi, 2, BP_DT_UINT64, BP_OP_MAX));
    CHECK(lo[0] == hi[0] && lo[1] == hi[1]); /* every rank alike */

    CHECK_EQ(bp_set_coll_hook(NULL, hook, &hook_calls), BP_ERR_INVAL);
    CHECK_EQ(bp_coll_shm(NULL, &ar_max, &bc_max), BP_ERR_INVAL);
    CHECK_EQ(bp_coll_shm(ctx, NULL, &bc_max), BP_ERR_INVAL);
    CHECK_OK(bp_set_coll_hook(ctx, hook, &hook_calls));

    /* inside a collective's wait: the hook receives rank 0's message */
    if (rank == 0) {
        for (int r = 1; r < size; r++) {
            int64_t v = 1000 + r;
            CHECK_OK(bp_send(ctx, &v, sizeof(v), r, 99));
        }
        usleep(50000); /* the others wait in the barrier meanwhile */
    }
    CHECK_OK(bp_barrier(ctx));
    if (rank != 0) {
        CHECK(hook_calls > 0);
        CHECK_EQ(hook_done, 1);
        CHECK_EQ(hook_got, 1000 + rank);
    }

    /* not inside a point-to-point wait */
    if (size > 1) {
        long before = hook_calls;
        int64_t v = 7;
        if (rank == 0) {
            usleep(20000);
            for (int r = 1; r < size; r++) {
                CHECK_OK(bp_send(ctx, &v, sizeof(v), r, 5));
            }
        } else {
            CHECK_OK(bp_recv(ctx, &v, sizeof(v), 0, 5, 0, NULL));
            CHECK_EQ(v, 7);
            CHECK_EQ(hook_calls, before);
        }
    }

    /* NULL removes it */
    CHECK_OK(bp_set_coll_hook(ctx, NULL, NULL));
    {
        long before = hook_calls;
        if (rank == 0) {
            usleep(20000);
        }
        CHECK_OK(bp_barrier(ctx));
        CHECK_EQ(hook_calls, before);
    }
    itest_fini(ctx, "coll_hook");
    return 0;
}
