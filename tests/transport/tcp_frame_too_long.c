/*
 * tcp_frame_too_long: a connected peer that sends a frame header whose frame_len exceeds
 * max_frame is a protocol error: the receiver logs it, closes the connection and reports
 * the peer failed (ep_check); frames before it were delivered; the sender sees its
 * connection closed too (ep_check BP_ERR_PEER after progress), and nobody hangs.
 */
#include "tcp_test.h"

#define GOOD 10

static unsigned char tx_buf[64];
static uint64_t rx_count;

static void on_frame(void *arg, const bpi_wire_hdr_t *hdr, const void *payload)
{
    UNIT_CHECK(hdr->frame_len <= BPI_TCP_MAX_FRAME);
    UNIT_CHECK_EQ_U(hdr->tag, rx_count);
    rx_count++;
}

static void body(void)
{
    bpi_tl_ep_t *eps[TT_MAX_RANKS];
    bpi_tl_iface_t *iface = tt_open(0x7c9e11aa00000004ull, on_frame, NULL, eps);
    bpi_tl_ep_t *ep = eps[1 - tt_rank];
    int64_t deadline = tt_now_ms() + 10000;

    if (tt_rank == 0) {
        bpi_wire_hdr_t bad;
        for (uint64_t seq = 0; seq < GOOD; seq++) {
            bpi_wire_hdr_t hdr;
            tt_hdr(&hdr, 0, 1, seq, sizeof(tx_buf));
            tt_send(iface, ep, &hdr, tx_buf);
        }
        while (ep->tx_len > 0) {
            bpi_tl_tcp.progress(iface, 64);
        }
        /* past the transport's own check: straight onto the socket */
        tt_hdr(&bad, 0, 1, GOOD, BPI_TCP_MAX_FRAME + 1);
        UNIT_CHECK_EQ(write(ep->fd, &bad, sizeof(bad)), (long long)sizeof(bad));
    }
    while (bpi_tl_tcp.ep_check(ep) == BP_OK) {
        if (bpi_tl_tcp.progress(iface, 64) == 0) {
            bpi_tl_tcp.wait(iface, 50);
        }
        if (tt_now_ms() > deadline) {
            UNIT_FAIL("rank %d: the connection is still up after 10 s", tt_rank);
        }
    }
    UNIT_CHECK_EQ_U(rx_count, tt_rank == 1 ? GOOD : 0);
    /* a failed connection refuses frames */
    {
        bpi_wire_hdr_t hdr;
        tt_hdr(&hdr, tt_rank, 1 - tt_rank, 0, 8);
        UNIT_CHECK_EQ(bpi_tl_tcp.send(ep, &hdr, tx_buf), BP_ERR_PEER);
    }
    tt_barrier(iface);
    bpi_tl_tcp.disconnect(ep);
    bpi_tl_tcp.close(iface);
}

int main(void)
{
    return tt_run(2, body);
}
