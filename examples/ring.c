/*
 * ring.c - the example of docs/API.md: pass a token around all ranks, then gather a
 * greeting from every rank at rank 0 with any-source receives.
 *
 *   cc ring.c $(pkg-config --cflags --libs bypass) -o ring && bprun -n 4 ./ring
 */
#include <bypass.h>
#include <stdio.h>

#define TAG_TOKEN 1
#define TAG_HELLO 2

static int fail(const char *what, bp_status_t st)
{
    fprintf(stderr, "%s: %s\n", what, bp_strerror(st));
    return 1;
}

int main(void)
{
    bp_context_t *ctx;
    bp_status_t st;
    int rank, size, token;

    if ((st = bp_init(&ctx)) != BP_OK) {
        return fail("bp_init", st);
    }
    bp_rank(ctx, &rank);
    bp_size(ctx, &size);

    /* 1. a token travels 0 -> 1 -> ... -> size-1 -> 0, each rank adding its rank */
    if (rank == 0) {
        token = 0;
        if ((st = bp_send(ctx, &token, sizeof(token), (rank + 1) % size, TAG_TOKEN)) != BP_OK) {
            return fail("bp_send", st);
        }
    }
    st = bp_recv(ctx, &token, sizeof(token), (rank - 1 + size) % size, TAG_TOKEN, 0, NULL);
    if (st != BP_OK) {
        return fail("bp_recv", st);
    }
    if (rank != 0) {
        token += rank;
        if ((st = bp_send(ctx, &token, sizeof(token), (rank + 1) % size, TAG_TOKEN)) != BP_OK) {
            return fail("bp_send", st);
        }
    } else {
        printf("token came back as %d (expected %d)\n", token, size * (size - 1) / 2);
    }

    /* 2. nonblocking: every rank greets rank 0, which takes them in arrival order */
    char msg[64];
    int n = snprintf(msg, sizeof(msg), "hello from rank %d of %d", rank, size) + 1;
    bp_request_t *req;
    if ((st = bp_isend(ctx, msg, (size_t)n, 0, TAG_HELLO, &req)) != BP_OK) {
        return fail("bp_isend", st);
    }
    if (rank == 0) {
        for (int i = 0; i < size; i++) {
            char in[64];
            bp_msginfo_t info;
            st = bp_recv(ctx, in, sizeof(in), BP_ANY_SOURCE, TAG_HELLO, 0, &info);
            if (st != BP_OK) {
                return fail("bp_recv", st);
            }
            printf("%s (%zu bytes from rank %d)\n", in, info.length, info.source);
        }
    }
    if ((st = bp_wait(&req, NULL)) != BP_OK) {
        return fail("bp_wait", st);
    }

    bp_barrier(ctx);
    return bp_finalize(ctx) == BP_OK ? 0 : 1;
}
