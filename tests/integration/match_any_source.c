/*
 * Any-source receives and tag ignore masks: every rank but 0 sends rank 0 messages whose
 * tags encode (kind, rank); rank 0 receives them through BP_ANY_SOURCE and through masks
 * that select one kind only, and checks that each message lands where its tag says.
 */
#include "itest.h"

#define KIND_SHIFT 32
#define KIND_A 1ull
#define KIND_B 2ull
#define PER_KIND 50

int main(void)
{
    int rank, size;
    bp_context_t *ctx = itest_init(&rank, &size);

    if (rank != 0) {
        for (int i = 0; i < PER_KIND; i++) {
            uint64_t a = (KIND_A << KIND_SHIFT) | (uint64_t)rank;
            uint64_t b = (KIND_B << KIND_SHIFT) | (uint64_t)rank;
            int va = rank * 1000 + i, vb = -(rank * 1000 + i);
            CHECK_OK(bp_send(ctx, &va, sizeof(va), 0, a));
            CHECK_OK(bp_send(ctx, &vb, sizeof(vb), 0, b));
        }
    } else {
        int count_a[64] = {0}, count_b[64] = {0};
        int total = PER_KIND * (size - 1);
        /* kind B only, from anyone: ignore the low 32 bits (the rank) */
        for (int i = 0; i < total; i++) {
            int v;
            bp_msginfo_t info;
            CHECK_OK(bp_recv(ctx, &v, sizeof(v), BP_ANY_SOURCE, KIND_B << KIND_SHIFT,
                             0xffffffffull, &info));
            CHECK_EQ(info.tag >> KIND_SHIFT, KIND_B);
            CHECK_EQ((int)(info.tag & 0xffffffff), info.source);
            CHECK_EQ(v, -(info.source * 1000 + count_b[info.source]));
            count_b[info.source]++;
        }
        /* the kind A messages all stayed unexpected; take them with any tag, any source */
        for (int i = 0; i < total; i++) {
            int v;
            bp_msginfo_t info;
            CHECK_OK(bp_recv(ctx, &v, sizeof(v), BP_ANY_SOURCE, 0, BP_ANY_TAG, &info));
            CHECK_EQ(info.tag >> KIND_SHIFT, KIND_A);
            CHECK_EQ(v, info.source * 1000 + count_a[info.source]);
            count_a[info.source]++;
        }
        for (int r = 1; r < size; r++) {
            CHECK_EQ(count_a[r], PER_KIND);
            CHECK_EQ(count_b[r], PER_KIND);
        }
        /* nothing left over */
        int found = 1;
        CHECK_OK(bp_iprobe(ctx, BP_ANY_SOURCE, 0, BP_ANY_TAG, &found, NULL));
        CHECK_EQ(found, 0);
    }
    itest_fini(ctx, "match_any_source");
    return 0;
}
