/*
 * tcp_iface.c - the tcp transport's set-up: a listening socket and an epoll set at open,
 * the listen address and a random cookie in the business card, one connection per peer
 * pair at connect, and a bounded wait in ready() until every connection is up. The ops
 * table is at the end of the file.
 *
 * Connection set-up, and why it cannot deadlock: the lower rank of a pair connects to the
 * higher rank's listener, the higher rank accepts. connect() never blocks: towards a
 * higher rank it starts a nonblocking connect() and queues the handshake (and any frames)
 * in the connection's backlog; towards a lower rank it only creates the endpoint, which
 * takes over the peer's accepted connection as soon as that connection's handshake has
 * been read (in progress or ready; a handshake that arrives before its endpoint exists is
 * parked). The listener exists before the cards are exchanged, so every connect() finds it
 * listening and the kernel completes the TCP handshake without the peer's help. ready()
 * (after the bootstrap fence: every rank has called connect for every peer) waits, at most
 * BPI_TCP_CONNECT_TIMEOUT_MS, until every connection is up, accepting and finishing
 * connects meanwhile; frames that arrive then stay in the sockets until progress.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <ifaddrs.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "core/log.h"
#include "transport/tcp/tcp.h"

static bp_status_t tcp_query(const bpi_config_t *config, char *why, size_t whylen)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

    if (fd < 0) {
        snprintf(why, whylen, "cannot create a TCP socket: %s", strerror(errno));
        return BP_ERR_NOTSUP;
    }
    close(fd);
    snprintf(why, whylen, "TCP sockets available");
    return BP_OK;
}

/*
 * Where to listen: the first IPv4 address of BP_TCP_IF (default "lo": 127.0.0.1, so that a
 * job never opens a port on a network it was not told about), port chosen by the kernel.
 */
static bp_status_t tcp_listen_addr(const bpi_tl_params_t *params, struct sockaddr_storage *sa,
                                   socklen_t *len_p)
{
    const char *want = params->config->tcp_if;
    struct sockaddr_in *in = (struct sockaddr_in *)sa;
    struct ifaddrs *ifs, *ifa;
    char names[256] = "";
    size_t off = 0;

    memset(sa, 0, sizeof(*sa));
    in->sin_family = AF_INET;
    in->sin_port = htons(0);
    in->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    *len_p = sizeof(*in);
    if (strcmp(want, "lo") == 0) {
        return BP_OK;
    }
    if (getifaddrs(&ifs) != 0) {
        bpi_log_error("tcp: getifaddrs: %s", strerror(errno));
        return BP_ERR_SYS;
    }
    for (ifa = ifs; ifa != NULL; ifa = ifa->ifa_next) {
        if (ifa->ifa_addr == NULL || ifa->ifa_addr->sa_family != AF_INET) {
            continue;
        }
        if (strcmp(ifa->ifa_name, want) == 0) {
            memcpy(in, ifa->ifa_addr, sizeof(*in));
            in->sin_port = htons(0);
            freeifaddrs(ifs);
            return BP_OK;
        }
        if (off < sizeof(names)) {
            off += (size_t)snprintf(names + off, sizeof(names) - off, " %s", ifa->ifa_name);
        }
    }
    freeifaddrs(ifs);
    bpi_log_error("tcp: BP_TCP_IF=%s: no interface of that name with an IPv4 address here "
                  "(those with one:%s)", want, names);
    return BP_ERR_CONFIG;
}

static uint64_t tcp_cookie_new(void)
{
    uint64_t cookie = 0;
    struct timespec ts;

    if (getrandom(&cookie, sizeof(cookie), GRND_NONBLOCK) == (ssize_t)sizeof(cookie) &&
        cookie != 0) {
        return cookie;
    }
    /* no entropy yet (early boot): still unpredictable enough to reject strays by mistake */
    clock_gettime(CLOCK_REALTIME, &ts);
    cookie = ((uint64_t)ts.tv_nsec << 32) ^ (uint64_t)ts.tv_sec ^ ((uint64_t)getpid() << 16);
    return cookie * 0x9e3779b97f4a7c15ull + 1;
}

static bp_status_t tcp_open(const bpi_tl_params_t *params, bpi_tl_iface_t **iface_p)
{
    bpi_tl_iface_t *iface;
    struct epoll_event ev;
    bp_status_t status;
    char name[80];
    int one = 1;

    iface = calloc(1, sizeof(*iface));
    if (iface == NULL) {
        bpi_log_error("tcp: out of memory");
        return BP_ERR_NOMEM;
    }
    iface->eps = calloc((size_t)params->size, sizeof(*iface->eps));
    if (iface->eps == NULL) {
        bpi_log_error("tcp: out of memory");
        status = BP_ERR_NOMEM;
        goto err_free;
    }
    iface->kind = BPI_TCP_KIND_LISTEN;
    iface->params = *params;
    iface->cookie = tcp_cookie_new();
    status = tcp_listen_addr(params, &iface->addr, &iface->addrlen);
    if (status != BP_OK) {
        goto err_free_eps;
    }

    iface->lfd = socket(iface->addr.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (iface->lfd < 0) {
        bpi_log_error("tcp: socket: %s", strerror(errno));
        status = BP_ERR_SYS;
        goto err_free_eps;
    }
    setsockopt(iface->lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    if (bind(iface->lfd, (struct sockaddr *)&iface->addr, iface->addrlen) != 0 ||
        listen(iface->lfd, SOMAXCONN) != 0 ||
        getsockname(iface->lfd, (struct sockaddr *)&iface->addr, &iface->addrlen) != 0) {
        bpi_log_error("tcp: bind/listen on %s (BP_TCP_IF=%s): %s",
                      inet_ntoa(((struct sockaddr_in *)&iface->addr)->sin_addr),
                      params->config->tcp_if, strerror(errno));
        status = BP_ERR_SYS;
        goto err_close_listen;
    }
    iface->epfd = epoll_create1(EPOLL_CLOEXEC);
    if (iface->epfd < 0) {
        bpi_log_error("tcp: epoll_create1: %s", strerror(errno));
        status = BP_ERR_SYS;
        goto err_close_listen;
    }
    memset(&ev, 0, sizeof(ev));
    ev.events = EPOLLIN;
    ev.data.ptr = iface; /* kind LISTEN */
    if (epoll_ctl(iface->epfd, EPOLL_CTL_ADD, iface->lfd, &ev) != 0) {
        bpi_log_error("tcp: epoll_ctl (listener): %s", strerror(errno));
        status = BP_ERR_SYS;
        goto err_close_epoll;
    }
    inet_ntop(AF_INET, &((struct sockaddr_in *)&iface->addr)->sin_addr, name, sizeof(name));
    bpi_log_debug("tcp: listening on %s:%u", name,
                  ntohs(((struct sockaddr_in *)&iface->addr)->sin_port));
    *iface_p = iface;
    return BP_OK;

err_close_epoll:
    close(iface->epfd);
err_close_listen:
    close(iface->lfd);
err_free_eps:
    free(iface->eps);
err_free:
    free(iface);
    return status;
}

static size_t tcp_max_frame(const bpi_tl_iface_t *iface)
{
    return BPI_TCP_MAX_FRAME;
}

static bp_status_t tcp_card_pack(bpi_tl_iface_t *iface, void *buf, size_t *len_p)
{
    bpi_tcp_card_t card;

    if (*len_p < sizeof(card)) {
        bpi_log_error("tcp: no room for the card (%zu < %zu bytes)", *len_p, sizeof(card));
        return BP_ERR_INVAL;
    }
    memset(&card, 0, sizeof(card));
    card.magic = BPI_TCP_MAGIC;
    card.version = BPI_TCP_VERSION;
    card.family = (uint16_t)iface->addr.ss_family;
    card.max_frame = BPI_TCP_MAX_FRAME;
    card.cookie = iface->cookie;
    if (iface->addr.ss_family == AF_INET6) {
        const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)&iface->addr;
        card.port = in6->sin6_port;
        memcpy(card.addr, &in6->sin6_addr, 16);
    } else {
        const struct sockaddr_in *in = (const struct sockaddr_in *)&iface->addr;
        card.port = in->sin_port;
        memcpy(card.addr, &in->sin_addr, 4);
    }
    memcpy(buf, &card, sizeof(card));
    *len_p = sizeof(card);
    return BP_OK;
}

/* Start a nonblocking connect to the peer's listener; the handshake goes first. */
static bp_status_t tcp_connect_start(bpi_tl_iface_t *iface, bpi_tl_ep_t *ep,
                                     const bpi_tcp_card_t *card)
{
    struct sockaddr_storage sa;
    struct epoll_event ev;
    bpi_tcp_hs_t hs;
    socklen_t salen;
    char name[INET6_ADDRSTRLEN] = "?";
    int one = 1;
    int rc;

    memset(&sa, 0, sizeof(sa));
    if (card->family == AF_INET6) {
        struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&sa;
        in6->sin6_family = AF_INET6;
        in6->sin6_port = card->port;
        memcpy(&in6->sin6_addr, card->addr, 16);
        salen = sizeof(*in6);
    } else {
        struct sockaddr_in *in = (struct sockaddr_in *)&sa;
        in->sin_family = AF_INET;
        in->sin_port = card->port;
        memcpy(&in->sin_addr, card->addr, 4);
        salen = sizeof(*in);
    }
    inet_ntop(card->family, card->addr, name, sizeof(name));

    ep->fd = socket(card->family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (ep->fd < 0) {
        bpi_log_error("tcp: rank %d: socket: %s", ep->peer, strerror(errno));
        return BP_ERR_SYS;
    }
    setsockopt(ep->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    setsockopt(ep->fd, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof(one));
    do {
        rc = connect(ep->fd, (struct sockaddr *)&sa, salen);
    } while (rc != 0 && errno == EINTR);
    if (rc != 0 && errno != EINPROGRESS) {
        bpi_log_error("tcp: connect to rank %d at %s:%u: %s", ep->peer, name,
                      ntohs(card->port), strerror(errno));
        close(ep->fd);
        ep->fd = -1;
        return BP_ERR_SYS;
    }
    ep->state = rc == 0 ? BPI_TCP_EP_UP : BPI_TCP_EP_CONNECTING;
    memset(&ev, 0, sizeof(ev));
    ev.events = EPOLLIN | EPOLLOUT;
    ev.data.ptr = ep;
    if (epoll_ctl(iface->epfd, EPOLL_CTL_ADD, ep->fd, &ev) != 0) {
        bpi_log_error("tcp: rank %d: epoll_ctl: %s", ep->peer, strerror(errno));
        close(ep->fd);
        ep->fd = -1;
        return BP_ERR_SYS;
    }
    ep->events = ev.events;

    memset(&hs, 0, sizeof(hs));
    hs.magic = BPI_TCP_MAGIC;
    hs.version = BPI_TCP_VERSION;
    hs.jobkey = iface->params.jobkey;
    hs.cookie = card->cookie;
    hs.src = iface->params.rank;
    hs.dst = ep->peer;
    hs.max_frame = BPI_TCP_MAX_FRAME;
    if (bpi_tcp_ep_queue(ep, &hs, sizeof(hs)) != BP_OK) {
        bpi_log_error("tcp: rank %d: out of memory for the send backlog", ep->peer);
        bpi_tcp_fd_close(iface, ep->fd);
        ep->fd = -1;
        return BP_ERR_NOMEM;
    }
    if (ep->state == BPI_TCP_EP_UP) {
        bpi_tcp_ep_flush(ep);
    }
    bpi_log_debug("tcp: connecting to rank %d at %s:%u", ep->peer, name, ntohs(card->port));
    return BP_OK;
}

static int tcp_card_loopback(const bpi_tcp_card_t *card)
{
    static const uint8_t v6_loopback[16] = {[15] = 1};

    return card->family == AF_INET ? card->addr[0] == 127
                                   : memcmp(card->addr, v6_loopback, 16) == 0;
}

static bp_status_t tcp_connect(bpi_tl_iface_t *iface, int peer, const void *cardbuf, size_t len,
                               bpi_tl_ep_t **ep_p)
{
    bpi_tcp_card_t card;
    bpi_tl_ep_t *ep;
    bp_status_t status;

    if (peer < 0 || peer >= iface->params.size || peer == iface->params.rank ||
        iface->eps[peer] != NULL) {
        bpi_log_error("tcp: connect to rank %d: invalid or already connected", peer);
        return BP_ERR_INVAL;
    }
    if (len < sizeof(card)) {
        bpi_log_error("tcp: rank %d: card too short (%zu bytes)", peer, len);
        return BP_ERR_PROTO;
    }
    memcpy(&card, cardbuf, sizeof(card));
    if (card.magic != BPI_TCP_MAGIC || card.version != BPI_TCP_VERSION ||
        (card.family != AF_INET && card.family != AF_INET6)) {
        bpi_log_error("tcp: rank %d: foreign card (magic %#x version %u family %u), this "
                      "rank speaks tcp version %u",
                      peer, card.magic, card.version, card.family, BPI_TCP_VERSION);
        return BP_ERR_PROTO;
    }
    if (card.max_frame < BPI_TCP_MAX_FRAME) {
        bpi_log_error("tcp: rank %d takes frames of at most %u bytes, ours are up to %u",
                      peer, card.max_frame, BPI_TCP_MAX_FRAME);
        return BP_ERR_CONFIG;
    }
    if (tcp_card_loopback(&card) && iface->params.same_host != NULL &&
        !iface->params.same_host[peer]) {
        /* its listener is on its host's loopback (BP_TCP_IF=lo, the default): only ranks
         * of that host reach it. Both sides see the same two cards and agree. */
        bpi_log_debug("tcp: rank %d listens on loopback on another host: not reachable "
                      "(set BP_TCP_IF to the interface between the hosts)", peer);
        return BP_ERR_NOTSUP;
    }
    ep = calloc(1, sizeof(*ep));
    if (ep == NULL) {
        bpi_log_error("tcp: out of memory");
        return BP_ERR_NOMEM;
    }
    ep->kind = BPI_TCP_KIND_EP;
    ep->fd = -1;
    ep->peer = peer;
    ep->iface = iface;
    if (iface->params.rank < peer) {
        status = tcp_connect_start(iface, ep, &card);
        if (status != BP_OK) {
            goto err_free;
        }
    } else {
        ep->state = BPI_TCP_EP_ACCEPTING;
        bpi_tcp_pending_attach(iface, ep); /* its handshake may be parked already */
    }
    iface->eps[peer] = ep;
    *ep_p = ep;
    return BP_OK;

err_free:
    free(ep->tx);
    free(ep);
    return status;
}

static void tcp_disconnect(bpi_tl_ep_t *ep)
{
    bpi_tl_iface_t *iface = ep->iface;
    bpi_tl_ep_t **pp;

    /* frames that send accepted are owed to the peer: a bounded last flush */
    if (ep->state == BPI_TCP_EP_UP && ep->tx_len > 0) {
        uint64_t t0 = bpi_tl_now_ms();
        for (;;) {
            struct pollfd pfd;
            bpi_tcp_ep_flush(ep);
            if (ep->state != BPI_TCP_EP_UP || ep->tx_len == 0) {
                break;
            }
            if (bpi_tl_now_ms() - t0 >= 5000) {
                bpi_log_warn("tcp: rank %d: %zu bytes not sent at close", ep->peer,
                             ep->tx_len);
                break;
            }
            pfd.fd = ep->fd;
            pfd.events = POLLOUT;
            poll(&pfd, 1, 10);
        }
    }
    for (pp = &iface->rx_list; *pp != NULL; pp = &(*pp)->rx_next) {
        if (*pp == ep) {
            *pp = ep->rx_next;
            break;
        }
    }
    if (ep->fd >= 0) {
        bpi_tcp_fd_close(iface, ep->fd);
    }
    if (iface->eps[ep->peer] == ep) {
        iface->eps[ep->peer] = NULL;
    }
    free(ep->tx);
    free(ep->rx);
    free(ep);
}

static void tcp_close(bpi_tl_iface_t *iface)
{
    for (int r = 0; r < iface->params.size; r++) {
        if (iface->eps[r] != NULL) {
            tcp_disconnect(iface->eps[r]);
        }
    }
    while (iface->pending != NULL) {
        bpi_tcp_pending_free(iface, iface->pending);
    }
    close(iface->lfd);
    close(iface->epfd);
    free(iface->eps);
    free(iface);
}

/* Every rank has called connect for every peer: wait until every connection is up. */
static bp_status_t tcp_ready(bpi_tl_iface_t *iface)
{
    int64_t deadline = (int64_t)bpi_tl_now_ms() + BPI_TCP_CONNECT_TIMEOUT_MS;
    bp_status_t status = BP_OK;

    for (;;) {
        int missing = -1;
        int64_t left;
        unsigned n = 0;

        for (int r = 0; r < iface->params.size && status == BP_OK; r++) {
            bpi_tl_ep_t *ep = iface->eps[r];
            if (ep == NULL) {
                continue;
            }
            if (ep->state == BPI_TCP_EP_DEAD) {
                bpi_log_error("tcp: the connection with rank %d failed during start-up", r);
                status = BP_ERR_PEER;
            } else if (ep->state != BPI_TCP_EP_UP && missing < 0) {
                missing = r;
            }
        }
        if (status != BP_OK || missing < 0) {
            break;
        }
        left = deadline - (int64_t)bpi_tl_now_ms();
        if (left <= 0) {
            if (iface->eps[missing]->state == BPI_TCP_EP_ACCEPTING) {
                bpi_log_error("tcp: rank %d never connected to this rank (no valid handshake "
                              "within %d s)",
                              missing, BPI_TCP_CONNECT_TIMEOUT_MS / 1000);
            } else {
                bpi_log_error("tcp: the connection to rank %d was not established within %d s",
                              missing, BPI_TCP_CONNECT_TIMEOUT_MS / 1000);
            }
            status = BP_ERR_PEER;
            break;
        }
        bpi_tcp_events(iface, left < 100 ? (int)left : 100, 0, &n, 0);
    }
    /* frames held back while we waited are for progress to deliver now */
    iface->ndirect = 0;
    for (int r = 0; r < iface->params.size; r++) {
        bpi_tl_ep_t *ep = iface->eps[r];
        if (ep != NULL && ep->rx_paused) {
            ep->rx_paused = 0;
            bpi_tcp_ep_events(ep);
        }
        if (ep != NULL && iface->ndirect <= BPI_TCP_DIRECT_MAX) {
            if (iface->ndirect < BPI_TCP_DIRECT_MAX) {
                iface->direct[iface->ndirect] = ep;
            }
            iface->ndirect++;
        }
    }
    if (iface->ndirect > BPI_TCP_DIRECT_MAX) {
        iface->ndirect = 0; /* too many: epoll tells which ones to read */
    }
    return status;
}

static bp_status_t tcp_ep_check(bpi_tl_ep_t *ep)
{
    return ep->state == BPI_TCP_EP_DEAD ? BP_ERR_PEER : BP_OK;
}

const bpi_tl_ops_t bpi_tl_tcp = {
    .size = sizeof(bpi_tl_ops_t),
    .name = "tcp",
    .query = tcp_query,
    .open = tcp_open,
    .close = tcp_close,
    .max_frame = tcp_max_frame,
    .card_pack = tcp_card_pack,
    .connect = tcp_connect,
    .disconnect = tcp_disconnect,
    .ready = tcp_ready,
    .send = bpi_tcp_ep_send,
    .send_part = bpi_tcp_ep_send_part,
    .progress = bpi_tcp_progress,
    .peek = bpi_tl_notsup_peek,
    .consume = bpi_tl_notsup_consume,
    .wait = bpi_tcp_wait,
    .wait_fd = bpi_tcp_wait_fd,
    .wait_fd_done = bpi_tl_notsup_wait_fd_done,
    .may_sleep = bpi_tl_notsup_may_sleep,
    .ep_check = tcp_ep_check,
    .ep_wake = bpi_tl_notsup_ep_wake, /* epoll cannot see shared memory: no shm collectives */
    .bulk_get = bpi_tl_notsup_bulk_get,
    .bulk_put = bpi_tl_notsup_bulk_put,
    .bulk_lane = bpi_tl_notsup_bulk_lane,
    .sending = bpi_tcp_sending,
    .info = bpi_tl_notsup_info,
};
