/*
 * tcp_progress.c - the receive side and connection management, driven by one epoll set
 * (level-triggered) over the listener and every connection: accept, read handshakes and
 * match them to peers, finish nonblocking connects, flush send backlogs, read into each
 * connection's reassembly buffer and deliver complete frames through recv_cb.
 *
 * A frame whose header is malformed (frame_len above the largest frame, or a sender rank
 * that is not the connection's peer) is a protocol error: logged once, the connection is
 * closed and the peer reported failed (ep_check). A connection closed or reset by the peer
 * fails the same way, after the frames already reassembled have been delivered.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* accept4 */
#endif
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "core/log.h"
#include "transport/tcp/tcp.h"

/* ---- receive ---------------------------------------------------------------------------- */

static void tcp_rx_list_add(bpi_tl_ep_t *ep)
{
    if (!ep->rx_listed) {
        ep->rx_listed = 1;
        ep->rx_next = ep->iface->rx_list;
        ep->iface->rx_list = ep;
    }
}

/* Is a complete frame buffered (or placed)? (headers are checked when delivered) */
static int tcp_rx_complete(const bpi_tl_ep_t *ep)
{
    size_t avail = ep->rx_len - ep->rx_off;
    bpi_wire_hdr_t hdr;

    if (ep->pl_on) {
        return ep->pl_got == ep->pl_hdr.frame_len;
    }
    if (avail < sizeof(hdr)) {
        return 0;
    }
    memcpy(&hdr, ep->rx + ep->rx_off, sizeof(hdr));
    return hdr.frame_len > BPI_TCP_MAX_FRAME || avail >= sizeof(hdr) + hdr.frame_len;
}

static void tcp_rx_proto_error(bpi_tl_ep_t *ep, const bpi_wire_hdr_t *hdr)
{
    bpi_log_error("tcp: rank %d sent a malformed frame header (frame_len %u, largest %u; src "
                  "%u): protocol error, closing the connection",
                  ep->peer, hdr->frame_len, BPI_TCP_MAX_FRAME, hdr->src);
    ep->rx_off = 0;
    ep->rx_len = 0;
    bpi_tcp_ep_fail(ep);
}

/*
 * Placing a frame's payload (params.place): the next len bytes of it, from src (what the
 * reassembly buffer already holds), or NULL to recv them from the socket. Returns how many
 * were moved (0: none yet, or the peer is gone); the core says before each move where they
 * go, and bytes it has no room for are dropped (read into the reassembly buffer, which is
 * empty while a frame is placed).
 */
static size_t tcp_rx_place_move(bpi_tl_ep_t *ep, const char *src, size_t len)
{
    bpi_tl_iface_t *iface = ep->iface;
    void *dest = NULL;
    size_t room = 0;
    ssize_t n;

    if (!iface->params.place(iface->params.cb_arg, &ep->pl_hdr, ep->pl_got, &dest, &room) ||
        room == 0) {
        dest = NULL;
        room = src != NULL ? len : BPI_TCP_RX_BYTES;
    }
    if (len > room) {
        len = room;
    }
    if (src != NULL) {
        if (dest != NULL) {
            memcpy(dest, src, len);
        }
        ep->pl_got += len;
        return len;
    }
    do {
        n = recv(ep->fd, dest != NULL ? dest : ep->rx, len, MSG_DONTWAIT);
    } while (n < 0 && errno == EINTR);
    if (n > 0) {
        ep->pl_got += (size_t)n;
        return (size_t)n;
    }
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
        return 0;
    }
    if (n == 0) {
        bpi_log_info("tcp: rank %d closed the connection in the middle of a frame", ep->peer);
    } else {
        bpi_log_info("tcp: rank %d: recv: %s", ep->peer, strerror(errno));
    }
    bpi_tcp_ep_fail(ep);
    return 0;
}

/* Bytes of the placed frame's payload that are already in memory (the fuzz harness feeds
 * its stream through here, as tcp_rx_read would recv them). */
size_t bpi_tcp_rx_place_bytes(bpi_tl_ep_t *ep, const char *src, size_t len)
{
    size_t n = 0;

    while (n < len && ep->pl_on && ep->pl_got < ep->pl_hdr.frame_len) {
        size_t left = ep->pl_hdr.frame_len - ep->pl_got;
        n += tcp_rx_place_move(ep, src + n, len - n < left ? len - n : left);
    }
    return n;
}

/* An RDATA frame whose payload has not all come: place it if the core has a place for it
 * (it then leaves the reassembly buffer, with the part of its payload already there). */
static int tcp_rx_place_start(bpi_tl_ep_t *ep, const bpi_wire_hdr_t *hdr, const char *payload,
                              size_t have)
{
    bpi_tl_iface_t *iface = ep->iface;
    void *dest;
    size_t room;

    if (iface->params.place == NULL ||
        !iface->params.place(iface->params.cb_arg, hdr, 0, &dest, &room)) {
        return 0;
    }
    ep->pl_on = 1;
    ep->pl_hdr = *hdr;
    ep->pl_got = 0;
    while (ep->pl_got < have) {
        tcp_rx_place_move(ep, payload + ep->pl_got, have - ep->pl_got);
    }
    ep->rx_off += sizeof(*hdr) + have;
    return 1;
}

/* Deliver complete frames from the reassembly buffer, at most budget. Every header is
 * checked here, before the core sees it: this is where untrusted bytes become frames
 * (fuzz/fuzz_frames.c drives it). */
unsigned bpi_tcp_rx_deliver(bpi_tl_ep_t *ep, unsigned budget)
{
    bpi_tl_iface_t *iface = ep->iface;
    unsigned n = 0;

    if (ep->pl_on) {
        if (ep->pl_got < ep->pl_hdr.frame_len || budget == 0) {
            return 0;
        }
        ep->pl_on = 0;
        ep->rx_hdr_first = 1;
        iface->params.recv_cb(iface->params.cb_arg, &ep->pl_hdr, NULL);
        n++;
    }
    while (n < budget) {
        size_t avail = ep->rx_len - ep->rx_off;
        const char *frame = ep->rx + ep->rx_off;
        bpi_wire_hdr_t hdr; /* a copy: the buffer need not be aligned */
        uint32_t max;

        if (avail < sizeof(hdr)) {
            break;
        }
        memcpy(&hdr, frame, sizeof(hdr));
        /* a placed frame may be larger than the buffer (send_part's) */
        max = hdr.type == BPI_WIRE_RDATA && iface->params.place != NULL ? BPI_WIRE_PLACED_MAX
                                                                        : BPI_TCP_MAX_FRAME;
        if (BPI_TCP_UNLIKELY(!bpi_wire_hdr_ok(&hdr, (uint32_t)ep->peer, max))) {
            tcp_rx_proto_error(ep, &hdr);
            break;
        }
        if (hdr.type != BPI_WIRE_RDATA) {
            ep->rx_hdr_first = 0;
        }
        if (avail < sizeof(hdr) + hdr.frame_len) {
            if (hdr.type == BPI_WIRE_RDATA &&
                tcp_rx_place_start(ep, &hdr, frame + sizeof(hdr), avail - sizeof(hdr))) {
                break; /* the rest comes straight from the socket (tcp_rx_read) */
            }
            if (hdr.frame_len > BPI_TCP_MAX_FRAME) {
                tcp_rx_proto_error(ep, &hdr); /* too large for the buffer, and no place */
            }
            break;
        }
        /* consumed before the call: the callback may send, even on this connection */
        ep->rx_off += sizeof(hdr) + hdr.frame_len;
        if (BPI_TCP_UNLIKELY(hdr.type == BPI_WIRE_TL)) {
            continue; /* tcp has no private frames yet: skipped, never given to the core */
        }
        iface->params.recv_cb(iface->params.cb_arg, &hdr, frame + sizeof(hdr));
        n++;
    }
    if (ep->rx_off == ep->rx_len) {
        ep->rx_off = 0;
        ep->rx_len = 0;
    }
    return n;
}

/* One recv into the reassembly buffer. The caller has delivered every complete frame, so
 * what is left is less than one frame and, once moved to the front, leaves room for one. */
static void tcp_rx_read(bpi_tl_ep_t *ep)
{
    size_t want;
    ssize_t n;

    if (ep->pl_on) {
        if (ep->pl_got < ep->pl_hdr.frame_len && ep->fd >= 0) {
            tcp_rx_place_move(ep, NULL, ep->pl_hdr.frame_len - ep->pl_got);
        }
        return;
    }
    if (ep->rx == NULL) {
        ep->rx = malloc(BPI_TCP_RX_BYTES);
        if (ep->rx == NULL) {
            bpi_log_error("tcp: rank %d: out of memory for the receive buffer", ep->peer);
            bpi_tcp_ep_fail(ep);
            return;
        }
    }
    if (ep->rx_off > 0) {
        memmove(ep->rx, ep->rx + ep->rx_off, ep->rx_len - ep->rx_off);
        ep->rx_len -= ep->rx_off;
        ep->rx_off = 0;
    }
    want = BPI_TCP_RX_BYTES - ep->rx_len;
    if (ep->rx_hdr_first && ep->rx_len < sizeof(bpi_wire_hdr_t)) {
        want = sizeof(bpi_wire_hdr_t) - ep->rx_len; /* a stream: its payload goes to place */
    }
    do {
        n = recv(ep->fd, ep->rx + ep->rx_len, want, MSG_DONTWAIT);
    } while (n < 0 && errno == EINTR);
    if (n > 0) {
        ep->rx_len += (size_t)n;
        return;
    }
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
        return;
    }
    if (n == 0) {
        bpi_log_info("tcp: rank %d closed the connection%s", ep->peer,
                     ep->rx_len > 0 && !tcp_rx_complete(ep) ? " in the middle of a frame" : "");
    } else {
        bpi_log_info("tcp: rank %d: recv: %s", ep->peer, strerror(errno));
    }
    bpi_tcp_ep_fail(ep); /* what is reassembled stays deliverable */
}

/* After a delivery: keep the endpoint listed while complete frames wait in its buffer. */
static void tcp_rx_settle(bpi_tl_ep_t *ep)
{
    if (tcp_rx_complete(ep)) {
        tcp_rx_list_add(ep);
    }
}

static unsigned tcp_ep_input(bpi_tl_ep_t *ep, unsigned budget)
{
    unsigned n = bpi_tcp_rx_deliver(ep, budget);

    if (n < budget && ep->fd >= 0) {
        tcp_rx_read(ep);
        n += bpi_tcp_rx_deliver(ep, budget - n);
    }
    tcp_rx_settle(ep);
    return n;
}

/* Endpoints left with complete frames by an earlier budget: served first (they are older). */
static unsigned tcp_rx_list_progress(bpi_tl_iface_t *iface, unsigned budget)
{
    bpi_tl_ep_t *ep = iface->rx_list;
    unsigned n = 0;

    iface->rx_list = NULL;
    while (ep != NULL) {
        bpi_tl_ep_t *next = ep->rx_next;
        ep->rx_listed = 0;
        ep->rx_next = NULL;
        if (n < budget) {
            n += bpi_tcp_rx_deliver(ep, budget - n);
        }
        tcp_rx_settle(ep);
        ep = next;
    }
    return n;
}

/* ---- connections -------------------------------------------------------------------------- */

static void tcp_sockaddr_name(const struct sockaddr_storage *sa, char *buf, size_t len)
{
    char host[INET6_ADDRSTRLEN] = "?";
    unsigned port = 0;

    if (sa->ss_family == AF_INET) {
        const struct sockaddr_in *in = (const struct sockaddr_in *)sa;
        inet_ntop(AF_INET, &in->sin_addr, host, sizeof(host));
        port = ntohs(in->sin_port);
    } else if (sa->ss_family == AF_INET6) {
        const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)sa;
        inet_ntop(AF_INET6, &in6->sin6_addr, host, sizeof(host));
        port = ntohs(in6->sin6_port);
    }
    snprintf(buf, len, "%s:%u", host, port);
}

void bpi_tcp_pending_free(bpi_tl_iface_t *iface, bpi_tcp_pending_t *p)
{
    bpi_tcp_pending_t **pp;

    for (pp = &iface->pending; *pp != NULL; pp = &(*pp)->next) {
        if (*pp == p) {
            *pp = p->next;
            break;
        }
    }
    if (p->fd >= 0) {
        bpi_tcp_fd_close(iface, p->fd);
    }
    free(p);
}

/* Strangers that connected and never sent a whole handshake: each holds a descriptor. */
static void tcp_pending_expire(bpi_tl_iface_t *iface, int64_t now)
{
    bpi_tcp_pending_t *p = iface->pending;

    while (p != NULL) {
        bpi_tcp_pending_t *next = p->next;
        if (p->src < 0 && now >= p->deadline_ms) {
            bpi_log_warn("tcp: closed a connection from %s: no handshake within %d s "
                         "(%u of %zu bytes)",
                         p->peer_name, BPI_TCP_HS_TIMEOUT_MS / 1000, p->have, sizeof(p->hs));
            iface->rejected++;
            bpi_tcp_pending_free(iface, p);
        }
        p = next;
    }
}

static void tcp_accept(bpi_tl_iface_t *iface)
{
    int64_t now = (int64_t)bpi_tl_now_ms();

    tcp_pending_expire(iface, now);
    for (;;) {
        struct sockaddr_storage sa;
        socklen_t salen = sizeof(sa);
        struct epoll_event ev;
        bpi_tcp_pending_t *p;
        int one = 1;
        int fd;

        fd = accept4(iface->lfd, (struct sockaddr *)&sa, &salen, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0) {
            if (errno == EINTR || errno == ECONNABORTED) {
                continue;
            }
            if (errno != EAGAIN && errno != EWOULDBLOCK) {
                bpi_log_error("tcp: accept: %s", strerror(errno));
            }
            return;
        }
        p = calloc(1, sizeof(*p));
        if (p == NULL) {
            bpi_log_error("tcp: out of memory for an incoming connection");
            close(fd);
            continue;
        }
        p->kind = BPI_TCP_KIND_PENDING;
        p->fd = fd;
        p->src = -1;
        p->deadline_ms = now + BPI_TCP_HS_TIMEOUT_MS;
        tcp_sockaddr_name(&sa, p->peer_name, sizeof(p->peer_name));
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
        memset(&ev, 0, sizeof(ev));
        ev.events = EPOLLIN;
        ev.data.ptr = p;
        if (epoll_ctl(iface->epfd, EPOLL_CTL_ADD, fd, &ev) != 0) {
            bpi_log_error("tcp: epoll_ctl (connection from %s): %s", p->peer_name,
                          strerror(errno));
            close(fd);
            free(p);
            continue;
        }
        p->next = iface->pending;
        iface->pending = p;
        bpi_log_debug("tcp: accepted a connection from %s", p->peer_name);
    }
}

/* The handshake of an accepted connection; NULL if acceptable, else why not. */
static const char *tcp_hs_check(bpi_tl_iface_t *iface, const bpi_tcp_pending_t *p)
{
    const bpi_tcp_hs_t *hs = &p->hs;

    if (hs->magic != BPI_TCP_MAGIC) {
        return "not a bypass handshake (bad magic)";
    }
    if (hs->version != BPI_TCP_VERSION) {
        return "another tcp transport version";
    }
    if (hs->jobkey != iface->params.jobkey) {
        return "another job's key";
    }
    if (hs->cookie != iface->cookie) {
        return "wrong cookie (it did not come from our business card)";
    }
    if (hs->dst != iface->params.rank) {
        return "meant for another rank";
    }
    if (hs->src < 0 || hs->src >= iface->params.rank) {
        return "from a rank that must not connect to us (only lower ranks connect)";
    }
    if (hs->max_frame > BPI_TCP_MAX_FRAME) {
        return "its frames are larger than ours";
    }
    if (iface->eps[hs->src] != NULL && iface->eps[hs->src]->state != BPI_TCP_EP_ACCEPTING) {
        return "a second connection from that rank";
    }
    for (const bpi_tcp_pending_t *q = iface->pending; q != NULL; q = q->next) {
        if (q != p && q->src == hs->src) {
            return "a second connection from that rank";
        }
    }
    return NULL;
}

/* A parked connection from ep's peer (handshake done) becomes the endpoint's. */
void bpi_tcp_pending_attach(bpi_tl_iface_t *iface, bpi_tl_ep_t *ep)
{
    struct epoll_event ev;
    bpi_tcp_pending_t *p;

    for (p = iface->pending; p != NULL; p = p->next) {
        if (p->src == ep->peer) {
            break;
        }
    }
    if (p == NULL || ep->state != BPI_TCP_EP_ACCEPTING) {
        return;
    }
    memset(&ev, 0, sizeof(ev));
    ev.events = EPOLLIN | (ep->tx_len > 0 ? (uint32_t)EPOLLOUT : 0u);
    ev.data.ptr = ep;
    if (epoll_ctl(iface->epfd, EPOLL_CTL_ADD, p->fd, &ev) != 0) {
        bpi_log_error("tcp: rank %d: epoll_ctl: %s", ep->peer, strerror(errno));
        bpi_tcp_pending_free(iface, p);
        bpi_tcp_ep_fail(ep);
        return;
    }
    ep->fd = p->fd;
    ep->events = ev.events;
    ep->state = BPI_TCP_EP_UP;
    p->fd = -1;
    bpi_tcp_pending_free(iface, p);
    bpi_log_debug("tcp: rank %d connected", ep->peer);
    if (ep->tx_len > 0) {
        bpi_tcp_ep_flush(ep); /* frames sent while we waited for the peer */
    }
}

static void tcp_pending_read(bpi_tl_iface_t *iface, bpi_tcp_pending_t *p)
{
    const char *why;
    ssize_t n;

    /* exactly the handshake: frames that follow stay in the socket for the endpoint */
    do {
        n = recv(p->fd, (char *)&p->hs + p->have, sizeof(p->hs) - p->have, MSG_DONTWAIT);
    } while (n < 0 && errno == EINTR);
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
        return;
    }
    if (n <= 0) {
        bpi_log_warn("tcp: connection from %s closed before its handshake (%s): ignored",
                     p->peer_name, n == 0 ? "end of stream" : strerror(errno));
        iface->rejected++;
        bpi_tcp_pending_free(iface, p);
        return;
    }
    p->have += (uint32_t)n;
    if (p->have < sizeof(p->hs)) {
        return;
    }
    why = tcp_hs_check(iface, p);
    if (why != NULL) {
        bpi_log_warn("tcp: rejected a connection from %s: %s", p->peer_name, why);
        iface->rejected++;
        bpi_tcp_pending_free(iface, p);
        return;
    }
    /* parked: out of the epoll set until its endpoint exists (connect() may not have been
     * called for that rank yet), so its frames wait in the socket */
    p->src = p->hs.src;
    epoll_ctl(iface->epfd, EPOLL_CTL_DEL, p->fd, NULL);
    if (iface->eps[p->src] != NULL) {
        bpi_tcp_pending_attach(iface, iface->eps[p->src]);
    }
}

/* Our nonblocking connect has finished: fail, or send the handshake and queued frames. */
static void tcp_connect_done(bpi_tl_ep_t *ep)
{
    socklen_t len = sizeof(int);
    int err = 0;

    if (getsockopt(ep->fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0) {
        err = errno;
    }
    if (err != 0) {
        bpi_log_error("tcp: connect to rank %d: %s", ep->peer, strerror(err));
        bpi_tcp_ep_fail(ep);
        return;
    }
    ep->state = BPI_TCP_EP_UP;
    bpi_log_debug("tcp: connected to rank %d", ep->peer);
    bpi_tcp_ep_flush(ep);
}

static void tcp_ep_event(bpi_tl_ep_t *ep, uint32_t events, unsigned budget, unsigned *n_p,
                         int deliver)
{
    if (ep->state == BPI_TCP_EP_CONNECTING) {
        tcp_connect_done(ep);
        return; /* input, if any, is reported again (level-triggered) */
    }
    if ((events & EPOLLOUT) && ep->state == BPI_TCP_EP_UP) {
        bpi_tcp_ep_flush(ep);
    }
    if (ep->fd < 0 || !(events & (EPOLLIN | EPOLLHUP | EPOLLERR))) {
        return;
    }
    if (deliver) {
        if (*n_p < budget) {
            *n_p += tcp_ep_input(ep, budget - *n_p);
        }
        return;
    }
    /* ready(): frames stay in the socket until progress delivers them */
    if (events & (EPOLLHUP | EPOLLERR)) {
        bpi_log_error("tcp: rank %d closed its connection during start-up", ep->peer);
        bpi_tcp_ep_fail(ep);
        return;
    }
    ep->rx_paused = 1;
    bpi_tcp_ep_events(ep);
}

void bpi_tcp_events(bpi_tl_iface_t *iface, int timeout_ms, unsigned budget, unsigned *n_p,
                    int deliver)
{
    struct epoll_event ev[BPI_TCP_EVENTS];
    int k;

    k = epoll_wait(iface->epfd, ev, BPI_TCP_EVENTS, timeout_ms);
    if (k < 0) {
        if (errno != EINTR) {
            bpi_log_error("tcp: epoll_wait: %s", strerror(errno));
        }
        return;
    }
    for (int i = 0; i < k; i++) {
        switch (*(const int *)ev[i].data.ptr) {
        case BPI_TCP_KIND_LISTEN:
            tcp_accept(iface);
            break;
        case BPI_TCP_KIND_PENDING:
            tcp_pending_read(iface, ev[i].data.ptr);
            break;
        default:
            tcp_ep_event(ev[i].data.ptr, ev[i].events, budget, n_p, deliver);
            break;
        }
    }
}

/*
 * Few connections, all up with nothing to flush: one recv each, no epoll_wait first (that
 * would be two system calls per poll where a busy-polled socket needs one). Returns 0 and
 * does nothing when any of them needs epoll's attention.
 */
static int tcp_direct_progress(bpi_tl_iface_t *iface, unsigned budget, unsigned *n_p)
{
    for (unsigned i = 0; i < iface->ndirect; i++) {
        const bpi_tl_ep_t *ep = iface->direct[i];
        if (ep->state != BPI_TCP_EP_UP || ep->fd < 0 || ep->tx_len > 0 || ep->rx_paused) {
            return 0;
        }
    }
    for (unsigned i = 0; i < iface->ndirect && *n_p < budget; i++) {
        *n_p += tcp_ep_input(iface->direct[i], budget - *n_p);
    }
    return 1;
}

unsigned bpi_tcp_progress(bpi_tl_iface_t *iface, unsigned budget)
{
    unsigned n = 0;

    if (iface->rx_list != NULL) {
        n = tcp_rx_list_progress(iface, budget);
    }
    if (iface->ndirect > 0 && (++iface->calls % BPI_TCP_DIRECT_EVERY) != 0 &&
        tcp_direct_progress(iface, budget, &n)) {
        return n;
    }
    if (n < budget) {
        bpi_tcp_events(iface, 0, budget, &n, 1);
    }
    return n;
}

/* Sleeping on several transports: the epoll set is itself a descriptor poll() can watch
 * (readable while an event is ready; level-triggered, as in bpi_tcp_wait). */
bp_status_t bpi_tcp_wait_fd(bpi_tl_iface_t *iface, struct pollfd *pfd, int *timeout_us)
{
    pfd->fd = iface->epfd;
    pfd->events = POLLIN;
    pfd->revents = 0;
    return iface->rx_list != NULL ? BP_ERR_AGAIN : BP_OK;
}

bp_status_t bpi_tcp_wait(bpi_tl_iface_t *iface, int timeout_us)
{
    struct timespec ts = bpi_tl_timespec(timeout_us < 0 ? 0 : timeout_us);
    struct epoll_event ev;

    if (iface->rx_list != NULL) {
        return BP_OK; /* frames already waiting */
    }
    /* level-triggered: nothing is consumed here, progress sees the same events */
    if (epoll_pwait2(iface->epfd, &ev, 1, timeout_us < 0 ? NULL : &ts, NULL) < 0 &&
        errno != EINTR) {
        bpi_log_error("tcp: epoll_pwait2: %s", strerror(errno));
        return BP_ERR_SYS;
    }
    return BP_OK;
}
