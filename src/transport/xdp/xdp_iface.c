/*
 * xdp_iface.c - the xdp transport's set-up and its ops table: which interface, whether
 * AF_XDP can be used there (and why not), the business card (MAC, MTU, largest frame),
 * one endpoint per peer on another host. The UMEM and sockets are in xdp_umem.c, the
 * steering program in xdp_prog.c, the data path in xdp_progress.c.
 */
#include <errno.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/log.h"
#include "transport/xdp/xdp.h"

/*
 * The interface: BP_XDP_IFACE, or for auto the one interface that is up, is not loopback
 * and has an IPv4 address (the one a job's hosts reach each other through). None or
 * several: xdp is not used, and why is written in why.
 */
bp_status_t bpi_xdp_ifname(const bpi_config_t *config, char *name, char *why, size_t whylen)
{
    struct ifaddrs *ifs, *ifa;
    char seen[128] = "";
    size_t off = 0;
    int n = 0;

    if (strcmp(config->xdp_if, "auto") != 0) {
        if (if_nametoindex(config->xdp_if) == 0) {
            snprintf(why, whylen, "BP_XDP_IFACE=%s: no such interface here", config->xdp_if);
            return BP_ERR_CONFIG;
        }
        snprintf(name, 16, "%s", config->xdp_if);
        return BP_OK;
    }
    if (getifaddrs(&ifs) != 0) {
        snprintf(why, whylen, "getifaddrs: %s", strerror(errno));
        return BP_ERR_SYS;
    }
    for (ifa = ifs; ifa != NULL; ifa = ifa->ifa_next) {
        if (ifa->ifa_addr == NULL || ifa->ifa_addr->sa_family != AF_INET ||
            (ifa->ifa_flags & IFF_LOOPBACK) || !(ifa->ifa_flags & IFF_UP)) {
            continue;
        }
        if (n == 0) {
            snprintf(name, 16, "%s", ifa->ifa_name);
        }
        if (strcmp(name, ifa->ifa_name) != 0 || n == 0) {
            n++;
            if (off < sizeof(seen)) {
                off += (size_t)snprintf(seen + off, sizeof(seen) - off, " %s", ifa->ifa_name);
            }
        }
    }
    freeifaddrs(ifs);
    if (n != 1) {
        snprintf(why, whylen, "BP_XDP_IFACE=auto: %s up with an IPv4 address (%s); name one "
                 "in BP_XDP_IFACE", n == 0 ? "no interface" : "several interfaces",
                 n == 0 ? "none" : seen + 1);
        return BP_ERR_NOTSUP;
    }
    return BP_OK;
}

static bp_status_t xdp_query(const bpi_config_t *config, char *why, size_t whylen)
{
    char name[16];
    bp_status_t status = bpi_xdp_ifname(config, name, why, whylen);
    int fd;

    if (status != BP_OK) {
        return status == BP_ERR_CONFIG ? BP_ERR_CONFIG : BP_ERR_NOTSUP;
    }
    fd = socket(AF_XDP, SOCK_RAW | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        snprintf(why, whylen, "cannot create an AF_XDP socket (%s)%s", strerror(errno),
                 errno == EPERM || errno == EACCES
                     ? ": CAP_NET_RAW, CAP_NET_ADMIN and CAP_BPF (or root) are needed"
                     : "");
        return BP_ERR_NOTSUP;
    }
    close(fd);
    snprintf(why, whylen, "AF_XDP on %s", name);
    return BP_OK;
}

static bp_status_t xdp_link_info(bpi_tl_iface_t *iface)
{
    struct ifreq ifr;
    int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    bp_status_t status = BP_OK;

    memset(&ifr, 0, sizeof(ifr));
    snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", iface->ifname);
    if (fd < 0 || ioctl(fd, SIOCGIFHWADDR, &ifr) != 0) {
        bpi_log_error("xdp: the MAC address of %s: %s", iface->ifname, strerror(errno));
        status = BP_ERR_SYS;
    } else {
        memcpy(iface->mac, ifr.ifr_hwaddr.sa_data, 6);
        if (ioctl(fd, SIOCGIFMTU, &ifr) != 0) {
            bpi_log_error("xdp: the MTU of %s: %s", iface->ifname, strerror(errno));
            status = BP_ERR_SYS;
        } else {
            iface->mtu = (uint32_t)ifr.ifr_mtu;
        }
    }
    if (fd >= 0) {
        close(fd);
    }
    return status;
}

static void xdp_close(bpi_tl_iface_t *iface)
{
    if (iface == NULL) {
        return;
    }
    bpi_log_debug("xdp: frames sent %llu, resent %llu (timeouts %llu, NACKs received %llu), "
                  "acks sent %llu (NACKs %llu), received duplicates %llu, gaps %llu; sends "
                  "refused: no frame %llu, tx ring full %llu; multi-buffer frames received %llu; "
                  "probes sent %llu, answered ALIVE %llu",
                  (unsigned long long)iface->stats.sent, (unsigned long long)iface->stats.resent,
                  (unsigned long long)iface->stats.timeouts,
                  (unsigned long long)iface->stats.nacks_got,
                  (unsigned long long)iface->stats.acks_sent,
                  (unsigned long long)iface->stats.nacks_sent,
                  (unsigned long long)iface->stats.dups, (unsigned long long)iface->stats.gaps,
                  (unsigned long long)iface->stats.no_frame,
                  (unsigned long long)iface->stats.ring_full,
                  (unsigned long long)iface->stats.sg_frames_rx,
                  (unsigned long long)iface->stats.probes, (unsigned long long)iface->stats.alive);
    bpi_xdp_umem_close(iface);
    free(iface->rxbuf);
    free(iface->eps);
    free(iface->owed);
    free(iface);
}

static bp_status_t xdp_open(const bpi_tl_params_t *params, bpi_tl_iface_t **iface_p)
{
    bpi_tl_iface_t *iface;
    char why[256];
    uint32_t room;
    bp_status_t status;

    if (params->size > BPI_XDP_MAX_RANKS || params->nlocal > BPI_XDP_MAX_LOCAL) {
        bpi_log_info("xdp: not used: jobs of up to %d ranks, %d per host, can use it",
                     BPI_XDP_MAX_RANKS, BPI_XDP_MAX_LOCAL);
        return BP_ERR_NOTSUP;
    }
    iface = calloc(1, sizeof(*iface));
    if (iface == NULL) {
        bpi_log_error("xdp: out of memory");
        return BP_ERR_NOMEM;
    }
    iface->rank = params->rank;
    iface->size = params->size;
    iface->jobkey = params->jobkey;
    iface->recv_cb = params->recv_cb;
    iface->cb_arg = params->cb_arg;
    iface->local_index = params->local_index;
    iface->nlocal = (uint32_t)params->nlocal;
    iface->memfd = iface->xsk = iface->umem_xsk = iface->xskmap_fd = iface->cfg_fd = -1;
    iface->eps = calloc((size_t)params->size, sizeof(*iface->eps));
    iface->owed = calloc((size_t)params->size, sizeof(*iface->owed));
    if (iface->eps == NULL || iface->owed == NULL) {
        bpi_log_error("xdp: out of memory");
        status = BP_ERR_NOMEM;
        goto err;
    }
    if ((status = bpi_xdp_ifname(params->config, iface->ifname, why, sizeof(why))) != BP_OK) {
        bpi_log_error("xdp: %s", why);
        goto err;
    }
    iface->ifindex = (int)if_nametoindex(iface->ifname);
    if ((status = xdp_link_info(iface)) != BP_OK) {
        goto err;
    }
    if (iface->mtu < 256 + BPI_XDP_HDRS) {
        bpi_log_error("xdp: the MTU of %s (%u) is too small", iface->ifname, iface->mtu);
        status = BP_ERR_NOTSUP;
        goto err;
    }
    /* a jumbo MTU asks for multi-buffer frames (the leader's UMEM decides) */
    iface->sg = iface->mtu + BPI_XDP_ETH_HLEN > BPI_XDP_FRAME - BPI_XDP_RX_HEADROOM;
    if ((status = bpi_xdp_umem_open(iface, params)) != BP_OK) {
        goto err;
    }
    /* a frame: Ethernet header, then at most MTU bytes; within one UMEM chunk after the
     * headroom the kernel keeps in front of a received frame (XDP_PACKET_HEADROOM), or
     * with multi-buffer within BPI_XDP_MAX_CHUNKS of them */
    room = iface->sg ? BPI_XDP_SG_MAX_FRAME : BPI_XDP_FRAME - BPI_XDP_RX_HEADROOM;
    room = iface->mtu < room - BPI_XDP_ETH_HLEN ? iface->mtu : room - BPI_XDP_ETH_HLEN;
    iface->max_frame = room - (uint32_t)(sizeof(bpi_xdp_hdr_t) + sizeof(bpi_wire_hdr_t));
    if (iface->sg && (iface->rxbuf = malloc(BPI_XDP_SG_MAX_FRAME)) == NULL) {
        bpi_log_error("xdp: out of memory");
        status = BP_ERR_NOMEM;
        goto err;
    }
    bpi_log_debug("xdp: on %s (ifindex %d, MTU %u, %s mode), %s of %u local processes, "
                  "frames of up to %u bytes%s", iface->ifname, iface->ifindex, iface->mtu,
                  iface->zerocopy ? "zero-copy" : "copy",
                  iface->leader ? "leader" : "follower", iface->nlocal, iface->max_frame,
                  iface->sg ? " (multi-buffer)" : "");
    *iface_p = iface;
    return BP_OK;
err:
    xdp_close(iface);
    return status;
}

static size_t xdp_max_frame(const bpi_tl_iface_t *iface)
{
    return iface->max_frame;
}

static bp_status_t xdp_card_pack(bpi_tl_iface_t *iface, void *buf, size_t *len_p)
{
    bpi_xdp_card_t card;

    if (*len_p < sizeof(card)) {
        bpi_log_error("xdp: no room for the card");
        return BP_ERR_NOMEM;
    }
    memset(&card, 0, sizeof(card));
    card.magic = BPI_XDP_CARD_MAGIC;
    card.mtu = iface->mtu;
    memcpy(card.mac, iface->mac, 6);
    card.max_frame = iface->max_frame;
    card.ifindex = (uint32_t)iface->ifindex;
    memcpy(buf, &card, sizeof(card));
    *len_p = sizeof(card);
    return BP_OK;
}

static bp_status_t xdp_connect(bpi_tl_iface_t *iface, int peer, const void *cardp, size_t len,
                               bpi_tl_ep_t **ep_p)
{
    bpi_xdp_card_t card;
    bpi_tl_ep_t *ep;

    if (len < sizeof(card)) {
        bpi_log_error("xdp: rank %d's card is truncated (%zu bytes)", peer, len);
        return BP_ERR_PROTO;
    }
    memcpy(&card, cardp, sizeof(card));
    if (card.magic != BPI_XDP_CARD_MAGIC) {
        bpi_log_error("xdp: rank %d's card has a bad magic (%08x)", peer, card.magic);
        return BP_ERR_PROTO;
    }
    if (memcmp(card.mac, iface->mac, 6) == 0) {
        return BP_ERR_NOTSUP; /* our own interface: frames cannot loop back to us */
    }
    if (card.max_frame != iface->max_frame) {
        bpi_log_info("xdp: rank %d's interface has another MTU (%u, ours %u): not through "
                     "xdp", peer, card.mtu, iface->mtu);
        return BP_ERR_NOTSUP;
    }
    ep = calloc(1, sizeof(*ep));
    if (ep == NULL) {
        bpi_log_error("xdp: out of memory");
        return BP_ERR_NOMEM;
    }
    ep->iface = iface;
    ep->peer = peer;
    memcpy(ep->mac, card.mac, 6);
    ep->rto_ns = BPI_XDP_RTO_INIT_NS;
    iface->eps[peer] = ep;
    *ep_p = ep;
    return BP_OK;
}

static void xdp_disconnect(bpi_tl_ep_t *ep)
{
    bpi_tl_iface_t *iface = ep->iface;

    if (!iface->closing) {
        bpi_xdp_umem_note_failures(iface);
        bpi_xdp_linger(iface); /* the first endpoint to go: all of them are going */
    }
    for (unsigned i = 0; i < iface->nowed; i++) {
        if (iface->owed[i] == ep) {
            iface->owed[i] = iface->owed[--iface->nowed];
            break;
        }
    }
    iface->eps[ep->peer] = NULL;
    free(ep);
}

static bp_status_t xdp_ready(bpi_tl_iface_t *iface)
{
    uint64_t now = bpi_tl_now_ns();

    for (int r = 0; r < iface->size; r++) {
        if (iface->eps[r] != NULL) {
            iface->eps[r]->heard_ns = now;
        }
    }
    return BP_OK;
}

/* Copy mode (veth, and any driver without zero-copy AF_XDP): a frame is copied into an
 * skb, again for XDP's headroom and into the receiver's UMEM, where a TCP segment of up to
 * 64 KiB is copied once each way: rendezvous data is faster over tcp (docs/PERFORMANCE.md).
 * Zero-copy: the lane is connected, but data stays here unless BP_RNDV_LANE=on. */
static int xdp_bulk_lane(const bpi_tl_iface_t *iface)
{
    return iface->zerocopy ? 1 : 2;
}

static void xdp_info(const bpi_config_t *config, char *buf, size_t len)
{
    static const char *names[] = BPI_XDP_CNT_NAMES;
    char name[16], why[256];
    uint64_t cnt[BPI_XDP_NCNT];
    bpi_xdp_cfg_t cfg;
    size_t off = 0;

    if (bpi_xdp_ifname(config, name, why, sizeof(why)) != BP_OK) {
        snprintf(buf, len, "interface: none (%s)", why);
        return;
    }
    off += (size_t)snprintf(buf + off, len - off, "interface: %s (BP_XDP_IFACE=%s)", name,
                            config->xdp_if);
    if (bpi_xdp_prog_counters(name, cnt, &cfg) != BP_OK) {
        if (off < len) {
            snprintf(buf + off, len - off, "\nsteering program: not attached on %s", name);
        }
        return;
    }
    off += (size_t)snprintf(buf + off, len - off,
                            "\nsteering program: attached on %s (job %016llx, pid %u)", name,
                            (unsigned long long)cfg.jobkey, cfg.owner_pid);
    for (int i = 0; i < BPI_XDP_NCNT && off < len; i++) {
        off += (size_t)snprintf(buf + off, len - off, "\n  frames %-15s %llu", names[i],
                                (unsigned long long)cnt[i]);
    }
}

const bpi_tl_ops_t bpi_tl_xdp = {
    .size = sizeof(bpi_tl_ops_t),
    .name = "xdp",
    .local_only = 0,
    .remote_only = 1,
    .query = xdp_query,
    .open = xdp_open,
    .close = xdp_close,
    .max_frame = xdp_max_frame,
    .card_pack = xdp_card_pack,
    .connect = xdp_connect,
    .disconnect = xdp_disconnect,
    .ready = xdp_ready,
    .send = bpi_xdp_send,
    .send_part = bpi_tl_notsup_send_part,
    .progress = bpi_xdp_progress,
    .peek = bpi_tl_notsup_peek,
    .consume = bpi_tl_notsup_consume,
    .wait = bpi_xdp_wait,
    .wait_fd = bpi_xdp_wait_fd,
    .wait_fd_done = bpi_tl_notsup_wait_fd_done,
    .may_sleep = bpi_tl_notsup_may_sleep,
    .ep_check = bpi_xdp_ep_check,
    .ep_wake = bpi_tl_notsup_ep_wake, /* no one-host collectives across hosts */
    .bulk_get = bpi_tl_notsup_bulk_get,
    .bulk_put = bpi_tl_notsup_bulk_put,
    .bulk_lane = xdp_bulk_lane,
    .sending = bpi_tl_notsup_sending,
    .info = xdp_info,
};
