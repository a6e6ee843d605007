/*
 * Ping-pong of every size class from 0 to 4 MiB between rank 0 and every other rank (powers
 * of two, each +-1, and around the transport's frame size), content checked both ways.
 */
#include "itest.h"

static size_t sizes[256];
static int nsizes;

static void add_size(size_t s)
{
    if (s <= (4u << 20) && nsizes < 256) {
        sizes[nsizes++] = s;
    }
}

int main(void)
{
    int rank, size;
    bp_context_t *ctx = itest_init(&rank, &size);
    unsigned char *buf = malloc((4u << 20) + 1);

    CHECK(buf != NULL);
    for (size_t p = 1; p <= (4u << 20); p <<= 1) {
        add_size(p - 1);
        add_size(p);
        add_size(p + 1);
    }
    for (size_t f = 200; f < 240; f++) { /* around the default slot payload of 216 bytes */
        add_size(f);
    }
    for (int peer = 1; peer < size; peer++) {
        for (int i = 0; i < nsizes; i++) {
            size_t n = sizes[i];
            uint64_t seed = (uint64_t)peer * 1000 + (uint64_t)i;
            bp_msginfo_t info;

            if (rank == 0) {
                itest_fill(buf, n, seed);
                CHECK_OK(bp_send(ctx, buf, n, peer, (uint64_t)i));
                memset(buf, 0, n);
                CHECK_OK(bp_recv(ctx, buf, n, peer, (uint64_t)i, 0, &info));
                CHECK_EQ(info.length, n);
                CHECK_EQ(info.source, peer);
                itest_verify(buf, n, seed + 1);
            } else if (rank == peer) {
                CHECK_OK(bp_recv(ctx, buf, n, 0, (uint64_t)i, 0, &info));
                CHECK_EQ(info.length, n);
                CHECK_EQ(info.tag, i);
                itest_verify(buf, n, seed);
                itest_fill(buf, n, seed + 1);
                CHECK_OK(bp_send(ctx, buf, n, 0, (uint64_t)i));
            }
        }
    }
    free(buf);
    itest_fini(ctx, "pingpong_sizes");
    return 0;
}
