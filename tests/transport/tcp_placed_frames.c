/*
 * tcp_placed_frames: RDATA frames larger than the reassembly buffer, written with send_part
 * (as far as the socket takes them, resumed) and read straight into the place the receiver's
 * callback names (params.place):
 *   - a 300,000-byte frame lands in a 200,000-byte place: those bytes intact, the rest read
 *     and dropped (a truncated receive), nothing written past the place, recv_cb once with
 *     a NULL payload;
 *   - a small EAGER frame after it arrives whole, through the reassembly buffer;
 *   - a 1 MiB frame (BPI_WIRE_PLACED_MAX) placed whole;
 *   - an RDATA frame of 100,000 bytes that the callback has no place for is a protocol
 *     error (it cannot fit the buffer): the connection closes, the peer is reported failed.
 */
#include "tcp_test.h"

#define BIG 300000u
#define ROOM 200000u
#define GUARD 4096u

static unsigned char *place_buf; /* ROOM + GUARD; then reused for the 1 MiB frame */
static size_t place_room;
static unsigned places, got_big, got_small, got_whole, got_other;

static int on_place(void *arg, const bpi_wire_hdr_t *hdr, size_t got, void **dest_p,
                    size_t *room_p)
{
    places++;
    if (hdr->tag != 1 && hdr->tag != 3) {
        return 0; /* no place: tag 4 */
    }
    *dest_p = place_buf + (got < place_room ? got : place_room);
    *room_p = got < place_room ? place_room - got : 0;
    if (*room_p > hdr->frame_len - got) {
        *room_p = hdr->frame_len - got;
    }
    return 1;
}

static void on_frame(void *arg, const bpi_wire_hdr_t *hdr, const void *payload)
{
    switch (hdr->tag) {
    case 1:
        UNIT_CHECK(payload == NULL);
        UNIT_CHECK_EQ_U(hdr->frame_len, BIG);
        for (uint32_t i = 0; i < ROOM; i++) {
            UNIT_CHECK_EQ_U(place_buf[i], tt_byte(0, 1, 1, i));
        }
        for (uint32_t i = ROOM; i < ROOM + GUARD; i++) {
            UNIT_CHECK_EQ_U(place_buf[i], 0xEE); /* nothing past the place */
        }
        got_big++;
        place_room = BPI_WIRE_PLACED_MAX; /* the next one, whole */
        break;
    case 2:
        UNIT_CHECK(payload != NULL);
        UNIT_CHECK_EQ_U(hdr->frame_len, 64);
        for (uint32_t i = 0; i < 64; i++) {
            UNIT_CHECK_EQ_U(((const unsigned char *)payload)[i], tt_byte(0, 1, 2, i));
        }
        got_small++;
        break;
    case 3:
        UNIT_CHECK(payload == NULL);
        for (uint32_t i = 0; i < BPI_WIRE_PLACED_MAX; i++) {
            UNIT_CHECK_EQ_U(place_buf[i], tt_byte(0, 1, 3, i));
        }
        got_whole++;
        break;
    default:
        got_other++;
    }
}

static void send_parts(bpi_tl_iface_t *iface, bpi_tl_ep_t *ep, const bpi_wire_hdr_t *hdr,
                       const unsigned char *payload)
{
    size_t done = 0;
    bp_status_t st;

    while ((st = bpi_tl_tcp.send_part(ep, hdr, payload, &done)) == BP_ERR_AGAIN) {
        bpi_tl_tcp.progress(iface, 64);
    }
    UNIT_CHECK_EQ(st, BP_OK);
    UNIT_CHECK_EQ_U(done, sizeof(*hdr) + hdr->frame_len);
}

static void body(void)
{
    bpi_tl_ep_t *eps[TT_MAX_RANKS];
    bpi_tl_iface_t *iface;
    bpi_tl_ep_t *ep;
    int64_t deadline = tt_now_ms() + 20000;

    tt_place = on_place;
    iface = tt_open(0x7c9e11aa00000005ull, on_frame, NULL, eps);
    ep = eps[1 - tt_rank];
    if (tt_rank == 0) {
        unsigned char *big = malloc(BPI_WIRE_PLACED_MAX);
        unsigned char small[64];
        bpi_wire_hdr_t hdr;
        UNIT_CHECK_NOT_NULL(big);
        tt_fill(big, 0, 1, 1, BIG);
        tt_hdr(&hdr, 0, 1, 1, BIG);
        hdr.type = BPI_WIRE_RDATA;
        send_parts(iface, ep, &hdr, big);
        tt_fill(small, 0, 1, 2, sizeof(small));
        tt_hdr(&hdr, 0, 1, 2, sizeof(small));
        tt_send(iface, ep, &hdr, small);
        tt_fill(big, 0, 1, 3, BPI_WIRE_PLACED_MAX);
        tt_hdr(&hdr, 0, 1, 3, BPI_WIRE_PLACED_MAX);
        hdr.type = BPI_WIRE_RDATA;
        send_parts(iface, ep, &hdr, big);
        tt_hdr(&hdr, 0, 1, 4, 100000);
        hdr.type = BPI_WIRE_RDATA;
        send_parts(iface, ep, &hdr, big); /* tag 4: the receiver has no place for it */
        free(big);
    } else {
        place_buf = malloc(BPI_WIRE_PLACED_MAX + GUARD);
        UNIT_CHECK_NOT_NULL(place_buf);
        memset(place_buf, 0xEE, BPI_WIRE_PLACED_MAX + GUARD);
        place_room = ROOM;
    }
    while (bpi_tl_tcp.ep_check(ep) == BP_OK) {
        if (bpi_tl_tcp.progress(iface, 64) == 0) {
            bpi_tl_tcp.wait(iface, 50);
        }
        if (tt_now_ms() > deadline) {
            UNIT_FAIL("rank %d: the connection is still up after 20 s", tt_rank);
        }
    }
    if (tt_rank == 1) {
        UNIT_CHECK_EQ_U(got_big, 1);
        UNIT_CHECK_EQ_U(got_small, 1);
        UNIT_CHECK_EQ_U(got_whole, 1);
        UNIT_CHECK_EQ_U(got_other, 0);
        UNIT_CHECK(places > 2); /* asked again as the payloads came */
        free(place_buf);
    }
    tt_barrier(iface);
    bpi_tl_tcp.disconnect(ep);
    bpi_tl_tcp.close(iface);
}

int main(void)
{
    return tt_run(2, body);
}
