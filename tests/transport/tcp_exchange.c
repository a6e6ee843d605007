/*
 * tcp_exchange: N real processes (argv[1], 2 or 4) connect over 127.0.0.1 through the tcp
 * transport; every rank sends every other rank K frames of sizes from 0 to max_frame,
 * interleaved across peers; every frame arrives once, in per-sender order, with its bytes
 * intact, and the counts are exact. The last phase sleeps in wait() between progress calls.
 */
#include <stdlib.h>

#include "tcp_test.h"

#define K 300

static unsigned char tx_buf[BPI_TCP_MAX_FRAME];
static uint64_t rx_next[TT_MAX_RANKS];
static uint64_t rx_count;

static uint32_t frame_size(int src, int dst, uint64_t seq)
{
    static const uint32_t edge[] = {0, 1, 31, 32, 33, 4095, 4096, BPI_TCP_MAX_FRAME - 1,
                                    BPI_TCP_MAX_FRAME, 7};
    uint64_t h = (seq + 1) * 0x9e3779b97f4a7c15ull ^ (uint64_t)(src * 97 + dst);

    h ^= h >> 29;
    if (seq < sizeof(edge) / sizeof(edge[0])) {
        return edge[seq];
    }
    return seq % 4 == 0 ? (uint32_t)(h % (BPI_TCP_MAX_FRAME + 1)) : (uint32_t)(h % 2048);
}

static void on_frame(void *arg, const bpi_wire_hdr_t *hdr, const void *payload)
{
    const unsigned char *p = payload;
    int src = (int)hdr->src;

    UNIT_CHECK(src >= 0 && src < tt_n && src != tt_rank);
    UNIT_CHECK_EQ(hdr->type, BPI_WIRE_EAGER);
    UNIT_CHECK_EQ_U(hdr->tag, rx_next[src]); /* per-sender order, nothing lost or doubled */
    UNIT_CHECK_EQ_U(hdr->msg_len, (uint64_t)tt_rank);
    UNIT_CHECK_EQ(hdr->frame_len, frame_size(src, tt_rank, hdr->tag));
    for (uint32_t i = 0; i < hdr->frame_len; i++) {
        if (p[i] != tt_byte(src, tt_rank, hdr->tag, i)) {
            UNIT_FAIL("rank %d: frame %llu from %d: byte %u is %u, expected %u", tt_rank,
                      (unsigned long long)hdr->tag, src, i, p[i],
                      tt_byte(src, tt_rank, hdr->tag, i));
        }
    }
    rx_next[src]++;
    rx_count++;
}

static void body(void)
{
    bpi_tl_ep_t *eps[TT_MAX_RANKS];
    bpi_tl_iface_t *iface = tt_open(0x7c9e11aa00000001ull, on_frame, NULL, eps);
    uint64_t expect = (uint64_t)(tt_n - 1) * K;
    int64_t deadline;

    UNIT_CHECK_EQ(bpi_tl_tcp.max_frame(iface), BPI_TCP_MAX_FRAME);
    for (uint64_t seq = 0; seq < K; seq++) {
        for (int k = 1; k < tt_n; k++) {
            int dst = (tt_rank + k) % tt_n;
            uint32_t len = frame_size(tt_rank, dst, seq);
            bpi_wire_hdr_t hdr;
            tt_hdr(&hdr, tt_rank, dst, seq, len);
            tt_fill(tx_buf, tt_rank, dst, seq, len);
            tt_send(iface, eps[dst], &hdr, len > 0 ? tx_buf : NULL);
        }
        bpi_tl_tcp.progress(iface, 16);
    }
    deadline = tt_now_ms() + 30000;
    while (rx_count < expect) {
        if (bpi_tl_tcp.progress(iface, 64) == 0) {
            UNIT_CHECK_EQ(bpi_tl_tcp.wait(iface, 100), BP_OK);
        }
        if (tt_now_ms() > deadline) {
            UNIT_FAIL("rank %d: %llu of %llu frames after 30 s", tt_rank,
                      (unsigned long long)rx_count, (unsigned long long)expect);
        }
    }
    tt_barrier(iface);
    UNIT_CHECK_EQ_U(rx_count, expect);
    for (int r = 0; r < tt_n; r++) {
        if (r != tt_rank) {
            UNIT_CHECK_EQ_U(rx_next[r], K);
            UNIT_CHECK_EQ(bpi_tl_tcp.ep_check(eps[r]), BP_OK);
        }
    }
    tt_barrier(iface); /* nobody closes while another still checks its peers */
    for (int r = 0; r < tt_n; r++) {
        if (r != tt_rank) {
            bpi_tl_tcp.disconnect(eps[r]);
        }
    }
    bpi_tl_tcp.close(iface);
}

int main(int argc, char **argv)
{
    int n = argc > 1 ? atoi(argv[1]) : 2;

    return tt_run(n, body);
}
