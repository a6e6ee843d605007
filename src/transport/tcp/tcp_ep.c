/*
 * tcp_ep.c - sending a frame to a peer: header and payload in one sendmsg (MSG_NOSIGNAL:
 * a closed peer is an error status, never a SIGPIPE). What the socket does not take goes
 * to the connection's bounded backlog, which progress flushes when epoll says the socket
 * is writable; once the backlog holds anything, later frames queue behind it (order).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include "core/log.h"
#include "transport/tcp/tcp.h"

void bpi_tcp_fd_close(bpi_tl_iface_t *iface, int fd)
{
    /* a closed fd leaves the epoll set by itself unless it was dup'ed: be explicit */
    epoll_ctl(iface->epfd, EPOLL_CTL_DEL, fd, NULL);
    close(fd);
}

/* Register what we wait for on this connection: input unless paused, output while the
 * connect is in flight or the backlog holds bytes. */
void bpi_tcp_ep_events(bpi_tl_ep_t *ep)
{
    struct epoll_event ev;
    uint32_t want;

    if (ep->fd < 0) {
        return;
    }
    want = (ep->rx_paused ? 0u : (uint32_t)EPOLLIN) |
           ((ep->state == BPI_TCP_EP_CONNECTING || ep->tx_len > 0 || ep->tx_part)
                ? (uint32_t)EPOLLOUT
                : 0u);
    if (want == ep->events) {
        return;
    }
    memset(&ev, 0, sizeof(ev));
    ev.events = want;
    ev.data.ptr = ep;
    if (epoll_ctl(ep->iface->epfd, EPOLL_CTL_MOD, ep->fd, &ev) != 0) {
        bpi_log_error("tcp: rank %d: epoll_ctl: %s", ep->peer, strerror(errno));
        return;
    }
    ep->events = want;
}

/* The connection is gone (the caller has logged why): sends answer BP_ERR_PEER from now on.
 * Frames already reassembled stay deliverable. */
void bpi_tcp_ep_fail(bpi_tl_ep_t *ep)
{
    if (ep->fd >= 0) {
        bpi_tcp_fd_close(ep->iface, ep->fd);
        ep->fd = -1;
    }
    ep->state = BPI_TCP_EP_DEAD;
    ep->events = 0;
    ep->tx_part = 0;
    ep->tx_off = 0;
    ep->tx_len = 0;
}

/* Room for len more bytes at the backlog's end, compacting if needed; 0 if there is none. */
static int tcp_tx_reserve(bpi_tl_ep_t *ep, size_t len)
{
    if (ep->tx == NULL) {
        ep->tx = malloc(BPI_TCP_TX_BYTES);
        if (ep->tx == NULL) {
            return 0; /* treated as "no room now": the caller retries */
        }
    }
    if (ep->tx_len + len > BPI_TCP_TX_BYTES) {
        return 0;
    }
    if (ep->tx_off + ep->tx_len + len > BPI_TCP_TX_BYTES) {
        memmove(ep->tx, ep->tx + ep->tx_off, ep->tx_len);
        ep->tx_off = 0;
    }
    return 1;
}

static void tcp_tx_append(bpi_tl_ep_t *ep, const void *buf, size_t len)
{
    if (len > 0) {
        memcpy(ep->tx + ep->tx_off + ep->tx_len, buf, len);
        ep->tx_len += len;
    }
}

bp_status_t bpi_tcp_ep_queue(bpi_tl_ep_t *ep, const void *buf, size_t len)
{
    if (!tcp_tx_reserve(ep, len)) {
        return BP_ERR_AGAIN;
    }
    tcp_tx_append(ep, buf, len);
    bpi_tcp_ep_events(ep);
    return BP_OK;
}

/* Write as much of the backlog as the socket takes. */
void bpi_tcp_ep_flush(bpi_tl_ep_t *ep)
{
    while (ep->tx_len > 0 && ep->state == BPI_TCP_EP_UP) {
        ssize_t n = send(ep->fd, ep->tx + ep->tx_off, ep->tx_len, MSG_NOSIGNAL | MSG_DONTWAIT);
        if (n < 0) {
            if (errno == EINTR) {
                continue;
            }
            if (errno == EAGAIN || errno == EWOULDBLOCK) {
                break;
            }
            bpi_log_info("tcp: rank %d: send: %s", ep->peer, strerror(errno));
            bpi_tcp_ep_fail(ep);
            return;
        }
        ep->tx_off += (size_t)n;
        ep->tx_len -= (size_t)n;
    }
    if (ep->tx_len == 0) {
        ep->tx_off = 0;
    }
    bpi_tcp_ep_events(ep);
}

/* Out of line: the socket took only part of the frame (or none); the rest goes to the empty
 * backlog, which always has room for one frame. */
static __attribute__((noinline)) bp_status_t tcp_send_rest(bpi_tl_ep_t *ep,
                                                           const bpi_wire_hdr_t *hdr,
                                                           const void *payload, size_t sent)
{
    size_t hlen = sizeof(*hdr);
    size_t total = hlen + hdr->frame_len;

    if (!tcp_tx_reserve(ep, total - sent)) {
        bpi_log_error("tcp: rank %d: out of memory for the send backlog", ep->peer);
        bpi_tcp_ep_fail(ep);
        return BP_ERR_NOMEM;
    }
    if (sent < hlen) {
        tcp_tx_append(ep, (const char *)hdr + sent, hlen - sent);
        tcp_tx_append(ep, payload, hdr->frame_len);
    } else {
        tcp_tx_append(ep, (const char *)payload + (sent - hlen), total - sent);
    }
    bpi_tcp_ep_events(ep);
    return BP_OK;
}

/* Out of line: not connected yet, or frames already wait: queue the whole frame behind them. */
static __attribute__((noinline)) bp_status_t tcp_send_queued(bpi_tl_ep_t *ep,
                                                             const bpi_wire_hdr_t *hdr,
                                                             const void *payload)
{
    size_t total = sizeof(*hdr) + hdr->frame_len;

    if (ep->state == BPI_TCP_EP_DEAD) {
        return BP_ERR_PEER;
    }
    if (hdr->frame_len > BPI_TCP_MAX_FRAME) {
        bpi_log_error("tcp: rank %d: frame of %u bytes exceeds the largest (%u)", ep->peer,
                      hdr->frame_len, BPI_TCP_MAX_FRAME);
        return BP_ERR_INVAL;
    }
    if (!tcp_tx_reserve(ep, total)) {
        return BP_ERR_AGAIN;
    }
    tcp_tx_append(ep, hdr, sizeof(*hdr));
    tcp_tx_append(ep, payload, hdr->frame_len);
    if (ep->state == BPI_TCP_EP_UP) {
        bpi_tcp_ep_flush(ep); /* the socket may have room again since the last progress */
        if (ep->state == BPI_TCP_EP_DEAD) {
            return BP_ERR_PEER;
        }
    }
    bpi_tcp_ep_events(ep);
    return BP_OK;
}

/* One nonblocking sendmsg: the bytes the socket took (0: none, it is full), or -1 when the
 * connection is gone (logged, the endpoint failed). */
static inline ssize_t tcp_sendmsg(bpi_tl_ep_t *ep, const struct msghdr *msg)
{
    ssize_t n;

    do {
        n = sendmsg(ep->fd, msg, MSG_NOSIGNAL | MSG_DONTWAIT);
    } while (n < 0 && errno == EINTR);
    if (__builtin_expect(n >= 0, 1)) {
        return n;
    }
    if (errno == EAGAIN || errno == EWOULDBLOCK) {
        return 0;
    }
    bpi_log_info("tcp: rank %d: sendmsg: %s", ep->peer, strerror(errno));
    bpi_tcp_ep_fail(ep);
    return -1;
}

/*
 * A large RDATA frame straight from the caller's buffer, as far as the socket takes it (no
 * backlog: the caller offers the rest again). Frames the backlog holds go first. While a
 * frame is part written, EPOLLOUT wakes a sleeping rank when the socket has room again.
 */
bp_status_t bpi_tcp_ep_send_part(bpi_tl_ep_t *ep, const bpi_wire_hdr_t *hdr,
                                 const void *payload, size_t *done_p)
{
    size_t hlen = sizeof(*hdr);
    size_t total = hlen + hdr->frame_len;
    size_t done = *done_p;
    struct iovec iov[2];
    struct msghdr msg;
    ssize_t n;

    if (ep->state != BPI_TCP_EP_UP) {
        return ep->state == BPI_TCP_EP_DEAD ? BP_ERR_PEER : BP_ERR_AGAIN;
    }
    if (ep->tx_len > 0) {
        bpi_tcp_ep_flush(ep);
        if (ep->tx_len > 0 || ep->state != BPI_TCP_EP_UP) {
            return ep->state == BPI_TCP_EP_DEAD ? BP_ERR_PEER : BP_ERR_AGAIN;
        }
    }
    memset(&msg, 0, sizeof(msg));
    msg.msg_iov = iov;
    if (done < hlen) {
        iov[0].iov_base = (char *)hdr + done;
        iov[0].iov_len = hlen - done;
        iov[1].iov_base = (void *)payload;
        iov[1].iov_len = hdr->frame_len;
        msg.msg_iovlen = hdr->frame_len > 0 ? 2 : 1;
    } else {
        iov[0].iov_base = (char *)payload + (done - hlen);
        iov[0].iov_len = total - done;
        msg.msg_iovlen = 1;
    }
    n = tcp_sendmsg(ep, &msg);
    if (n < 0) {
        return BP_ERR_PEER;
    }
    *done_p = done + (size_t)n;
    ep->tx_part = *done_p < total;
    bpi_tcp_ep_events(ep);
    return ep->tx_part ? BP_ERR_AGAIN : BP_OK;
}

/* A bulk lane is polled until this says its backlogs are written (core/lane.c). */
int bpi_tcp_sending(const bpi_tl_iface_t *iface)
{
    for (int r = 0; r < iface->params.size; r++) {
        const bpi_tl_ep_t *ep = iface->eps[r];
        if (ep != NULL && ep->tx_len > 0 && ep->state != BPI_TCP_EP_DEAD) {
            return 1;
        }
    }
    return 0;
}

bp_status_t bpi_tcp_ep_send(bpi_tl_ep_t *ep, const bpi_wire_hdr_t *hdr, const void *payload)
{
    struct iovec iov[2];
    struct msghdr msg;
    size_t total = sizeof(*hdr) + hdr->frame_len;
    ssize_t n;

    if (__builtin_expect(ep->state != BPI_TCP_EP_UP || ep->tx_len > 0 ||
                             hdr->frame_len > BPI_TCP_MAX_FRAME,
                         0)) {
        return tcp_send_queued(ep, hdr, payload);
    }
    iov[0].iov_base = (void *)hdr;
    iov[0].iov_len = sizeof(*hdr);
    iov[1].iov_base = (void *)payload;
    iov[1].iov_len = hdr->frame_len;
    memset(&msg, 0, sizeof(msg));
    msg.msg_iov = iov;
    msg.msg_iovlen = hdr->frame_len > 0 ? 2 : 1;
    n = tcp_sendmsg(ep, &msg);
    if (__builtin_expect((size_t)n == total, 1)) {
        return BP_OK;
    }
    if (n < 0) {
        return BP_ERR_PEER;
    }
    return tcp_send_rest(ep, hdr, payload, (size_t)n);
}
