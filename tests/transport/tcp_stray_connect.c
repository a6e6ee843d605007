/*
 * tcp_stray_connect: connections to a rank's listener that did not come from a peer (garbage,
 * another job's key, a wrong cookie while claiming to be rank 0, a rank that must not
 * connect, an immediate close, a silent half handshake) are rejected and logged, before and
 * during the real traffic, and never disturb the real peers: every frame arrives, counts exact.
 */
#include <arpa/inet.h>
#include <netinet/in.h>

#include "tcp_test.h"

#define K 200
#define NREJECT 6 /* strays that end in a rejection; the silent one stays pending */

static unsigned char tx_buf[4096];
static uint64_t rx_count;

static void on_frame(void *arg, const bpi_wire_hdr_t *hdr, const void *payload)
{
    UNIT_CHECK_EQ(hdr->src, 1 - tt_rank);
    UNIT_CHECK_EQ_U(hdr->tag, rx_count);
    UNIT_CHECK_EQ(hdr->frame_len, hdr->tag % 4096);
    for (uint32_t i = 0; i < hdr->frame_len; i++) {
        UNIT_CHECK_EQ(((const unsigned char *)payload)[i], tt_byte(1 - tt_rank, tt_rank, hdr->tag, i));
    }
    rx_count++;
}

/* A blocking connection to rank 1's listener, from its card. */
static int stray_connect(void)
{
    bpi_tcp_card_t card;
    struct sockaddr_in in;
    int fd;

    memcpy(&card, tt_sh->card[1], sizeof(card));
    UNIT_CHECK_EQ(card.family, AF_INET);
    memset(&in, 0, sizeof(in));
    in.sin_family = AF_INET;
    in.sin_port = card.port;
    memcpy(&in.sin_addr, card.addr, 4);
    fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    UNIT_CHECK(fd >= 0);
    UNIT_CHECK_EQ(connect(fd, (struct sockaddr *)&in, sizeof(in)), 0);
    return fd;
}

static void stray_send(const void *buf, size_t len)
{
    int fd = stray_connect();

    UNIT_CHECK_EQ(write(fd, buf, len), (long long)len);
    close(fd);
}

static void stray_hs(uint64_t jobkey, uint64_t cookie, int src)
{
    bpi_tcp_hs_t hs;

    memset(&hs, 0, sizeof(hs));
    hs.magic = BPI_TCP_MAGIC;
    hs.version = BPI_TCP_VERSION;
    hs.jobkey = jobkey;
    hs.cookie = cookie;
    hs.src = src;
    hs.dst = 1;
    hs.max_frame = BPI_TCP_MAX_FRAME;
    stray_send(&hs, sizeof(hs));
}

static void body(void)
{
    const uint64_t jobkey = 0x7c9e11aa00000003ull;
    bpi_tl_ep_t *eps[TT_MAX_RANKS];
    bpi_tl_iface_t *iface;
    bpi_tcp_card_t card1;
    unsigned char garbage[64];
    int silent = -1;
    int64_t deadline;

    if (tt_rank == 0) {
        /* rank 1's card is published before anyone connects: strays go first */
        while (tt_sh->card_len[1] == 0) {
            sched_yield();
        }
        memcpy(&card1, tt_sh->card[1], sizeof(card1));
        memset(garbage, 0xab, sizeof(garbage));
        stray_send(garbage, sizeof(garbage));             /* not a handshake */
        stray_hs(jobkey + 1, card1.cookie, 0);            /* another job */
        stray_hs(jobkey, card1.cookie ^ 1, 0);            /* rank 0's name, wrong cookie */
        stray_hs(jobkey, card1.cookie, 1);                /* not a lower rank */
        close(stray_connect());                           /* nothing at all */
        silent = stray_connect();                         /* half a handshake, then quiet */
        UNIT_CHECK_EQ(write(silent, garbage, 10), 10);
    }
    iface = tt_open(jobkey, on_frame, NULL, eps);

    for (uint64_t seq = 0; seq < K; seq++) {
        uint32_t len = (uint32_t)(seq % 4096);
        bpi_wire_hdr_t hdr;
        if (tt_rank == 0 && seq == K / 2) {
            stray_send(garbage, sizeof(garbage)); /* during the traffic */
        }
        tt_hdr(&hdr, tt_rank, 1 - tt_rank, seq, len);
        tt_fill(tx_buf, tt_rank, 1 - tt_rank, seq, len);
        tt_send(iface, eps[1 - tt_rank], &hdr, tx_buf);
        bpi_tl_tcp.progress(iface, 16);
    }
    deadline = tt_now_ms() + 20000;
    while (rx_count < K || (tt_rank == 1 && iface->rejected < NREJECT)) {
        if (bpi_tl_tcp.progress(iface, 64) == 0) {
            bpi_tl_tcp.wait(iface, 50);
        }
        if (tt_now_ms() > deadline) {
            UNIT_FAIL("rank %d: %llu of %d frames, %u strays rejected, after 20 s", tt_rank,
                      (unsigned long long)rx_count, K, iface->rejected);
        }
    }
    tt_barrier(iface);
    UNIT_CHECK_EQ_U(rx_count, K);
    UNIT_CHECK_EQ(bpi_tl_tcp.ep_check(eps[1 - tt_rank]), BP_OK);
    UNIT_CHECK_EQ(iface->rejected, tt_rank == 1 ? NREJECT : 0);
    if (tt_rank == 1) {
        UNIT_CHECK_NOT_NULL(iface->pending); /* the silent one: never matched to a peer */
        UNIT_CHECK_EQ(iface->pending->src, -1);
    }
    tt_barrier(iface);
    if (silent >= 0) {
        close(silent);
    }
    bpi_tl_tcp.disconnect(eps[1 - tt_rank]);
    bpi_tl_tcp.close(iface);
}

int main(void)
{
    return tt_run(2, body);
}
