/*
 * xdp_wire.c - the xdp transport on a hostile wire, between two emulated hosts (started by
 * xdp_wire.sh: ranks 0..N/2-1 on host 0, the rest on host 1, each host's interface eth0).
 *
 *   xdp_wire PPM COUNT mixed|small|burst
 *
 * The first rank of each host makes its host's steering program drop PPM of every million
 * bypass frames (the program's test knob, set through its map). Then every rank exchanges
 * COUNT messages with its partner on the other host (sizes from 1 B to several frames and
 * past the rendezvous threshold, windows of 16 in both directions), each carrying its
 * sequence number and a checksummed pattern: every message must arrive exactly once, in
 * order, intact. `small`: only sizes of one frame (for long runs). `burst`: host 0 also
 * drops every frame for 100 ms halfway through.
 * Finally host 1 sends frames of another job and of another version straight onto the
 * wire (an AF_PACKET socket); host 0's program must count them, and no process sees them.
 */
#include <arpa/inet.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "../integration/itest.h"
#include "core/core.h"
#include "transport/xdp/xdp.h"

#define WIN 16

static int small;

static size_t msg_size(uint32_t i)
{
    static const size_t sizes[] = {1, 8, 64, 1000, 1436, 1437, 3000, 9000, 70000};
    return sizes[i % (small ? 5 : sizeof(sizes) / sizeof(sizes[0]))];
}

static void fill(uint8_t *buf, size_t len, uint32_t seq, int src)
{
    memcpy(buf, &seq, len < 4 ? len : 4);
    for (size_t k = 4; k < len; k++) {
        buf[k] = (uint8_t)(seq * 31u + (uint32_t)src * 7u + k);
    }
}

static void check(const uint8_t *buf, size_t len, uint32_t seq, int src)
{
    uint32_t got = 0;

    memcpy(&got, buf, len < 4 ? len : 4);
    if (len >= 4) {
        CHECK_EQ(got, seq); /* in order, exactly once */
    }
    for (size_t k = 4; k < len; k++) {
        if (buf[k] != (uint8_t)(seq * 31u + (uint32_t)src * 7u + k)) {
            fprintf(stderr, "rank %d: message %u from %d corrupt at byte %zu\n", itest_rank,
                    seq, src, k);
            exit(1);
        }
    }
}

static void set_drop(uint32_t ppm)
{
    CHECK_OK(bpi_xdp_prog_set_drop("eth0", ppm));
}

/* Frames that must never reach a process: another job's key, then our key and a wrong
 * version, broadcast on eth0. */
static void send_foreign(uint64_t jobkey, int dst, int n)
{
    int fd = socket(AF_PACKET, SOCK_RAW, 0);
    struct sockaddr_ll sll;
    uint8_t frame[128];
    bpi_xdp_hdr_t xh;

    CHECK(fd >= 0);
    memset(&sll, 0, sizeof(sll));
    sll.sll_family = AF_PACKET;
    sll.sll_ifindex = (int)if_nametoindex("eth0");
    sll.sll_halen = 6;
    memset(sll.sll_addr, 0xff, 6);
    memset(frame, 0, sizeof(frame));
    memset(frame, 0xff, 6);
    {
        /* a bridge drops frames without a valid source address */
        struct ifreq ifr;
        memset(&ifr, 0, sizeof(ifr));
        snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "eth0");
        CHECK(ioctl(fd, SIOCGIFHWADDR, &ifr) == 0);
        memcpy(frame + 6, ifr.ifr_hwaddr.sa_data, 6);
    }
    frame[12] = BPI_XDP_ETHERTYPE >> 8;
    frame[13] = BPI_XDP_ETHERTYPE & 0xff;
    for (int i = 0; i < 2 * n; i++) {
        memset(&xh, 0, sizeof(xh));
        xh.jobkey = i < n ? jobkey ^ 0x5a5a5a5a5a5a5a5aull : jobkey;
        xh.version = i < n ? BPI_XDP_VERSION : BPI_XDP_VERSION + 7;
        xh.kind = BPI_XDP_KIND_DATA;
        xh.dst = (uint32_t)dst;
        xh.src = 0;
        xh.seq = 0; /* what the receiver expects first: it would be delivered if it got in */
        memcpy(frame + 14, &xh, sizeof(xh));
        CHECK(sendto(fd, frame, sizeof(frame), 0, (struct sockaddr *)&sll, sizeof(sll)) ==
              (ssize_t)sizeof(frame));
    }
    close(fd);
}

int main(int argc, char **argv)
{
    int rank, size;
    bp_context_t *ctx;
    uint32_t ppm, count;
    int burst, nper, partner, lead;
    uint64_t before[BPI_XDP_NCNT], after[BPI_XDP_NCNT];
    bpi_xdp_cfg_t cfg;
    static uint8_t sbuf[WIN][70000], rbuf[WIN][70000];

    if (argc != 4) {
        fprintf(stderr, "usage: xdp_wire PPM COUNT mixed|small|burst\n");
        return 2;
    }
    ppm = (uint32_t)strtoul(argv[1], NULL, 10);
    count = (uint32_t)strtoul(argv[2], NULL, 10);
    burst = strcmp(argv[3], "burst") == 0;
    small = strcmp(argv[3], "small") == 0;
    ctx = itest_init(&rank, &size);
    nper = size / 2;
    partner = (rank + nper) % size;
    lead = rank % nper == 0;
    CHECK(size % 2 == 0);
    if (lead) {
        set_drop(ppm);
    }
    CHECK_OK(bp_barrier(ctx));

    for (uint32_t base = 0; base < count; base += WIN) {
        bp_request_t *reqs[2 * WIN];
        uint32_t n = count - base < WIN ? count - base : WIN;
        if (burst && rank == 0 && base == (count / 2 / WIN) * WIN) {
            set_drop(1000000); /* everything, both ways through host 0, for 100 ms */
            usleep(100000);
            set_drop(ppm);
        }
        for (uint32_t i = 0; i < n; i++) {
            CHECK_OK(bp_irecv(ctx, rbuf[i], sizeof(rbuf[i]), partner, 5, 0, &reqs[i]));
        }
        for (uint32_t i = 0; i < n; i++) {
            fill(sbuf[i], msg_size(base + i), base + i, rank);
            CHECK_OK(bp_isend(ctx, sbuf[i], msg_size(base + i), partner, 5, &reqs[WIN + i]));
        }
        for (uint32_t i = 0; i < n; i++) {
            bp_msginfo_t info;
            CHECK_OK(bp_wait(&reqs[i], &info));
            CHECK_EQ(info.length, msg_size(base + i));
            check(rbuf[i], info.length, base + i, partner);
            CHECK_OK(bp_wait(&reqs[WIN + i], NULL));
        }
    }
    CHECK_OK(bp_barrier(ctx));
    if (lead) {
        CHECK_OK(bpi_xdp_prog_counters("eth0", before, &cfg));
        if (ppm > 0 || (burst && rank == 0)) {
            CHECK(before[BPI_XDP_CNT_TEST_DROP] > 0); /* the loss really happened */
        }
        set_drop(0);
    }
    CHECK_OK(bp_barrier(ctx));
    /* foreign frames from host 1 to host 0 */
    if (rank == nper) {
        send_foreign(ctx->boot->jobkey, 0, 50);
    }
    CHECK_OK(bp_barrier(ctx));
    if (rank == 0) {
        CHECK_OK(bpi_xdp_prog_counters("eth0", after, &cfg));
        CHECK(after[BPI_XDP_CNT_FOREIGN] - before[BPI_XDP_CNT_FOREIGN] >= 50);
        CHECK(after[BPI_XDP_CNT_VERSION] - before[BPI_XDP_CNT_VERSION] >= 50);
        printf("rank 0: counters: redirected %llu, foreign %llu, version %llu, test-drop "
               "%llu\n", (unsigned long long)after[BPI_XDP_CNT_REDIRECT],
               (unsigned long long)after[BPI_XDP_CNT_FOREIGN],
               (unsigned long long)after[BPI_XDP_CNT_VERSION],
               (unsigned long long)after[BPI_XDP_CNT_TEST_DROP]);
    }
    itest_fini(ctx, "xdp_wire");
    return 0;
}
