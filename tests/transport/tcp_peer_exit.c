/*
 * tcp_peer_exit: rank 1 exits in the middle of a stream (without closing anything); the
 * survivor, which keeps sending 64 KiB frames and progressing (sleeping in wait() when its
 * backlog is full), sees ep_check answer BP_ERR_PEER within a bounded time, and from then on
 * send answers BP_ERR_PEER (or BP_ERR_AGAIN), never hangs and never raises SIGPIPE.
 */
#include "tcp_test.h"

#define EXIT_AFTER 20
#define DETECT_MS 5000

static unsigned char tx_buf[BPI_TCP_MAX_FRAME];
static uint64_t rx_count;

static void on_frame(void *arg, const bpi_wire_hdr_t *hdr, const void *payload)
{
    UNIT_CHECK_EQ_U(hdr->tag, rx_count);
    rx_count++;
}

static void survivor(bpi_tl_iface_t *iface, bpi_tl_ep_t *ep)
{
    int64_t deadline = tt_now_ms() + 30000;
    uint64_t seq = 0;
    bp_status_t st;

    for (;;) {
        bpi_wire_hdr_t hdr;
        tt_hdr(&hdr, 0, 1, seq, BPI_TCP_MAX_FRAME);
        st = bpi_tl_tcp.send(ep, &hdr, tx_buf);
        if (st == BP_OK) {
            seq++;
        } else if (st == BP_ERR_AGAIN) {
            UNIT_CHECK_EQ(bpi_tl_tcp.wait(iface, 50), BP_OK);
        } else {
            UNIT_CHECK_EQ(st, BP_ERR_PEER);
        }
        bpi_tl_tcp.progress(iface, 64);
        if (bpi_tl_tcp.ep_check(ep) == BP_ERR_PEER) {
            break;
        }
        if (tt_now_ms() > deadline) {
            UNIT_FAIL("rank 1 exited, but after 30 s ep_check still says BP_OK (%llu frames "
                      "sent)",
                      (unsigned long long)seq);
        }
    }
    UNIT_CHECK(seq >= EXIT_AFTER);
    UNIT_CHECK(atomic_load(&tt_sh->mark_ms) != 0);
    if (tt_now_ms() - atomic_load(&tt_sh->mark_ms) > DETECT_MS) {
        UNIT_FAIL("the exit took %lld ms to detect (limit %d)",
                  (long long)(tt_now_ms() - atomic_load(&tt_sh->mark_ms)), DETECT_MS);
    }
    for (int i = 0; i < 100; i++) {
        bpi_wire_hdr_t hdr;
        tt_hdr(&hdr, 0, 1, seq, 8);
        st = bpi_tl_tcp.send(ep, &hdr, tx_buf);
        UNIT_CHECK(st == BP_ERR_PEER || st == BP_ERR_AGAIN);
        bpi_tl_tcp.progress(iface, 64);
        UNIT_CHECK_EQ(bpi_tl_tcp.ep_check(ep), BP_ERR_PEER);
    }
    bpi_tl_tcp.disconnect(ep);
    bpi_tl_tcp.close(iface);
}

static void body(void)
{
    bpi_tl_ep_t *eps[TT_MAX_RANKS];
    bpi_tl_iface_t *iface = tt_open(0x7c9e11aa00000002ull, on_frame, NULL, eps);

    if (tt_rank == 0) {
        survivor(iface, eps[1]);
        return;
    }
    while (rx_count < EXIT_AFTER) {
        bpi_tl_tcp.progress(iface, 4);
    }
    atomic_store(&tt_sh->mark_ms, tt_now_ms());
    _exit(0); /* mid-stream: frames still in flight, nothing closed by hand */
}

int main(void)
{
    return tt_run(2, body);
}
