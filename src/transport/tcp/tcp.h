/*
 * tcp.h - the tcp transport's card, handshake and process-local state, shared by
 * tcp_iface.c (open, close, card, connect, ready), tcp_ep.c (send, backlog) and
 * tcp_progress.c (accept, handshakes, receive, wait).
 *
 * One stream connection per peer pair; the lower rank connects to the higher rank's
 * listener and first sends a handshake (magic, version, job key, both ranks, the
 * listener's random cookie from its card), so a connection from anything that has not
 * read our card through the bootstrap is rejected and never matched to a peer. After the
 * handshake both directions carry frames: a bpi_wire_hdr_t then frame_len payload bytes.
 */
#ifndef BPI_TCP_H
#define BPI_TCP_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "transport/transport.h"

#define BPI_TCP_MAGIC 0x42505443u /* "BPTC" */
/* 2: RDATA frames of up to BPI_WIRE_PLACED_MAX (send_part), where version 1 took 64 KiB */
#define BPI_TCP_VERSION 2

/* Largest payload of a frame; the core fragments longer messages. */
#define BPI_TCP_MAX_FRAME (64u * 1024u)
#define BPI_TCP_FRAME_BYTES (sizeof(bpi_wire_hdr_t) + BPI_TCP_MAX_FRAME)
/* Reassembly buffer per connection: a whole frame always fits after compaction. */
#define BPI_TCP_RX_BYTES (2 * BPI_TCP_FRAME_BYTES)
/* Send backlog per connection (bytes the socket did not take yet): send answers
 * BP_ERR_AGAIN beyond it. Allocated on first use. */
#define BPI_TCP_TX_BYTES (4 * BPI_TCP_FRAME_BYTES)
/* ready() waits at most this long for every connection to come up. */
#define BPI_TCP_CONNECT_TIMEOUT_MS 30000
/* An accepted connection that has not sent its whole handshake within this long is closed
 * (checked whenever another connection is accepted): a peer sends it at once. */
#define BPI_TCP_HS_TIMEOUT_MS 10000
#define BPI_TCP_EVENTS 64

#define BPI_TCP_UNLIKELY(x) __builtin_expect(!!(x), 0)

/* What a process publishes in its business card (40 bytes). */
typedef struct bpi_tcp_card {
    uint32_t magic;
    uint16_t version;
    uint16_t family;    /* AF_INET or AF_INET6 */
    uint32_t max_frame; /* the listener's largest frame */
    uint16_t port;      /* network byte order */
    uint16_t reserved;
    uint8_t addr[16];   /* IPv4 in the first 4 bytes, or IPv6 */
    uint64_t cookie;    /* random: a connecting peer must echo it in its handshake */
} bpi_tcp_card_t;

static_assert(sizeof(bpi_tcp_card_t) == 40, "tcp card layout");

/* The first bytes on every connection, from the connecting (lower) rank. */
typedef struct bpi_tcp_hs {
    uint32_t magic;
    uint32_t version;
    uint64_t jobkey;
    uint64_t cookie; /* the listener's, from its card */
    int32_t src;     /* the connecting rank */
    int32_t dst;     /* the rank it means to reach */
    uint32_t max_frame;
    uint32_t reserved;
} bpi_tcp_hs_t;

static_assert(sizeof(bpi_tcp_hs_t) == 40, "tcp handshake layout");

/* What an epoll event's data.ptr points to: each of these structs starts with `kind`. */
enum {
    BPI_TCP_KIND_LISTEN = 1, /* the iface: its listening socket */
    BPI_TCP_KIND_EP = 2,     /* an endpoint's connection */
    BPI_TCP_KIND_PENDING = 3 /* an accepted connection whose handshake is not complete */
};

enum {
    BPI_TCP_EP_CONNECTING = 1, /* we connect: connect() in flight, the handshake queued */
    BPI_TCP_EP_ACCEPTING = 2,  /* the peer connects: waiting for its handshake */
    BPI_TCP_EP_UP = 3,
    BPI_TCP_EP_DEAD = 4, /* closed, reset, or a protocol error: sends answer BP_ERR_PEER */
};

/* An accepted connection: handshake being read, or parked until connect() names its rank. */
typedef struct bpi_tcp_pending {
    int kind; /* BPI_TCP_KIND_PENDING */
    int fd;
    int src; /* -1 while the handshake is incomplete; then the peer's rank (parked) */
    uint32_t have;
    int64_t deadline_ms; /* CLOCK_MONOTONIC: closed if the handshake is not complete by then */
    bpi_tcp_hs_t hs;
    char peer_name[64]; /* address:port, for logs */
    struct bpi_tcp_pending *next;
} bpi_tcp_pending_t;

struct bpi_tl_ep {
    int kind; /* BPI_TCP_KIND_EP */
    int fd;   /* -1 while accepting and once dead */
    int state;
    int peer;
    uint32_t events; /* registered with epoll */
    int rx_paused;   /* ready(): EPOLLIN off, frames stay in the socket */

    /* send backlog: bytes [tx_off, tx_off + tx_len) of tx */
    char *tx;
    size_t tx_off, tx_len;
    int tx_part; /* send_part wrote part of a frame: the caller owes the rest */

    /* reassembly: bytes [rx_off, rx_len) of rx are received, not yet delivered */
    char *rx;
    size_t rx_off, rx_len;
    int rx_eof;        /* the peer closed: deliver what is buffered, then fail */
    /* a frame whose payload is read straight into place (params.place): its header, and
     * how many payload bytes have come; rx_hdr_first: the last frame was placed, so read
     * only up to the next header (its payload may go straight to place too) */
    int pl_on;
    bpi_wire_hdr_t pl_hdr;
    size_t pl_got;
    int rx_hdr_first;
    int rx_listed;     /* on iface->rx_list: complete frames left over after a budget */
    bpi_tl_ep_t *rx_next;

    bpi_tl_iface_t *iface;
};

#define BPI_TCP_DIRECT_MAX 4
#define BPI_TCP_DIRECT_EVERY 16

struct bpi_tl_iface {
    int kind; /* BPI_TCP_KIND_LISTEN */
    int lfd;  /* listening socket */
    int epfd;
    bpi_tl_params_t params;
    uint64_t cookie;
    struct sockaddr_storage addr; /* where we listen (the port filled in after bind) */
    socklen_t addrlen;
    bpi_tl_ep_t **eps;            /* params.size entries, NULL until connect */
    bpi_tcp_pending_t *pending;   /* accepted, handshake incomplete or parked */
    bpi_tl_ep_t *rx_list;         /* endpoints with complete frames buffered */

    /* Few connections (set at ready): progress reads them directly, one recv each, and asks
     * epoll only every BPI_TCP_DIRECT_EVERY calls (accepts, connects, backlogs) */
    bpi_tl_ep_t *direct[BPI_TCP_DIRECT_MAX];
    unsigned ndirect;
    unsigned calls;
    unsigned rejected;            /* stray connections refused (for logs and tests) */
};

/* tcp_ep.c */
bp_status_t bpi_tcp_ep_send(bpi_tl_ep_t *ep, const bpi_wire_hdr_t *hdr, const void *payload);
bp_status_t bpi_tcp_ep_send_part(bpi_tl_ep_t *ep, const bpi_wire_hdr_t *hdr,
                                 const void *payload, size_t *done_p);
bp_status_t bpi_tcp_ep_queue(bpi_tl_ep_t *ep, const void *buf, size_t len);
void bpi_tcp_ep_flush(bpi_tl_ep_t *ep);
void bpi_tcp_ep_events(bpi_tl_ep_t *ep);
void bpi_tcp_ep_fail(bpi_tl_ep_t *ep);
int bpi_tcp_sending(const bpi_tl_iface_t *iface);
void bpi_tcp_fd_close(bpi_tl_iface_t *iface, int fd);

/* tcp_progress.c */
unsigned bpi_tcp_rx_deliver(bpi_tl_ep_t *ep, unsigned budget);
size_t bpi_tcp_rx_place_bytes(bpi_tl_ep_t *ep, const char *src, size_t len);
unsigned bpi_tcp_progress(bpi_tl_iface_t *iface, unsigned budget);
bp_status_t bpi_tcp_wait(bpi_tl_iface_t *iface, int timeout_us);
bp_status_t bpi_tcp_wait_fd(bpi_tl_iface_t *iface, struct pollfd *pfd, int *timeout_us);
void bpi_tcp_events(bpi_tl_iface_t *iface, int timeout_ms, unsigned budget, unsigned *n_p,
                    int deliver);
void bpi_tcp_pending_attach(bpi_tl_iface_t *iface, bpi_tl_ep_t *ep);
void bpi_tcp_pending_free(bpi_tl_iface_t *iface, bpi_tcp_pending_t *p);

#endif
