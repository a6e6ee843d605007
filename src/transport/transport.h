/*
 * transport.h - the seam between the core and the transports. A transport moves frames (a
 * bpi_wire_hdr_t and its payload) to a peer and hands arriving frames to the core through
 * one callback. It knows no tags and no requests. Each transport fills one const
 * bpi_tl_ops_t (designated initializers) and registry.c lists them; optional slots point
 * to bpi_tl_notsup_* stubs, never NULL.
 */
#ifndef BPI_TRANSPORT_H
#define BPI_TRANSPORT_H

#include <poll.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "bypass.h"
#include "core/config.h"
#include "transport/wire.h"

/* The message path's functions, core and transports alike: GCC places them together
 * (.text.hot), a few pages instead of nine. With more ranks than CPUs every message is run
 * by a rank just switched in, whose code the switch and its CPU-mate have pushed out of the
 * caches and TLBs: the 4-rank ring's hop 2-3% shorter (docs/PERFORMANCE.md, "a twelfth
 * session"). */
#define BP_HOT __attribute__((hot))

/* A transport that cannot wake a sleeping process through a descriptor is looked at again
 * after at most this long when the core sleeps on several transports (wait_fd). */
#define BPI_TL_POLL_US 1000
/* After ops->may_sleep, how long the core keeps from sleeping: a sender that read the old
 * word has had its frame (stored before that read, in a store buffer that drains in well
 * under a microsecond) become visible to the sleeper's last look by then. */
#define BPI_TL_SLEEP_GRACE_NS 1000000ull

/* A wait's timeout in microseconds (>= 0), as ppoll, epoll_pwait2 and futex take it. */
static inline struct timespec bpi_tl_timespec(int timeout_us)
{
    struct timespec ts = {timeout_us / 1000000, (long)(timeout_us % 1000000) * 1000L};
    return ts;
}

/* CLOCK_MONOTONIC in ns (vDSO: no system call); one clock for every process of a host */
static inline uint64_t bpi_tl_now_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts); /* vDSO: no system call */
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* The same clock in milliseconds, for timeouts and keep-alives. */
static inline uint64_t bpi_tl_now_ms(void)
{
    return bpi_tl_now_ns() / 1000000u;
}

typedef struct bpi_tl_iface bpi_tl_iface_t; /* a transport opened in this process */
typedef struct bpi_tl_ep bpi_tl_ep_t;       /* this process's way to one peer */

/*
 * Called by the transport's progress for every frame that arrives. hdr and payload are valid
 * only during the call (they may live in a ring slot): the core copies what it keeps.
 * payload is NULL for a frame whose payload the transport has already read into place
 * (bpi_tl_place_t).
 */
typedef void (*bpi_tl_recv_cb_t)(void *arg, const bpi_wire_hdr_t *hdr, const void *payload);

/*
 * Where the payload of a frame whose header has arrived goes, from its byte `got` on: 1 with
 * *dest_p and *room_p (the bytes that fit there; 0: read and drop the rest, e.g. past the
 * end of a truncated receive), or 0 when the core has no place for it (the frame is then
 * delivered through recv_cb as usual). Asked again before every read: a receive that ended
 * meanwhile (its peer was given up) answers 0 or room 0, never a stale buffer.
 */
typedef int (*bpi_tl_place_t)(void *arg, const bpi_wire_hdr_t *hdr, size_t got, void **dest_p,
                              size_t *room_p);

typedef struct bpi_tl_params {
    int rank;
    int size;
    uint64_t jobkey;
    int local_index; /* this rank's place among the ranks of its host (0 .. nlocal-1) */
    int nlocal;      /* ranks on this host */
    const bpi_config_t *config;
    /* per rank: 1 when that rank runs on this host (valid until close) */
    const uint8_t *same_host;
    bpi_tl_recv_cb_t recv_cb;
    void *cb_arg;
    /* Optional (may be NULL): RDATA payloads read straight into the receive buffer. A
     * transport that reads a byte stream (tcp) asks it; one with its own buffers needs not. */
    bpi_tl_place_t place;
    /*
     * Optional (may be NULL): nonzero when the core has work that came without a frame (a
     * shared-memory collective moved on). A wait that can be woken by ep_wake calls it in its
     * last look, after announcing that it sleeps, and does not sleep when it says so.
     */
    int (*pending)(void *arg);
    /*
     * Optional (may be NULL): a wait that a peer ended with a wake-up says how long after
     * that peer's wake-up call it ran again (the waker's clock, bpi_tl_now_ns). What a sleep
     * costs the rank that ends it: a few us on an idle machine, hundreds when the host is
     * slow to run a halted vCPU again (core: adaptive progress weighs yielding against it).
     */
    void (*woke)(void *arg, uint64_t late_ns);
} bpi_tl_params_t;

typedef struct bpi_tl_ops {
    size_t size; /* sizeof(bpi_tl_ops_t), so the table can grow */
    const char *name;
    int local_only;  /* reaches only peers on the same host (shm) */
    int remote_only; /* reaches only peers on other hosts (xdp): not opened in a job on
                        one host */

    /* Can this transport work here? BP_OK, or an error with the reason written in why. */
    bp_status_t (*query)(const bpi_config_t *config, char *why, size_t whylen);

    bp_status_t (*open)(const bpi_tl_params_t *params, bpi_tl_iface_t **iface_p);
    void (*close)(bpi_tl_iface_t *iface);

    /* Largest payload of one frame (the core fragments longer messages). */
    size_t (*max_frame)(const bpi_tl_iface_t *iface);

    /* This process's address, for the business card; *len_p: in room, out used. */
    bp_status_t (*card_pack)(bpi_tl_iface_t *iface, void *buf, size_t *len_p);

    /* BP_ERR_NOTSUP: this transport cannot reach that peer after all (the core tries the
     * next one); other errors fail bp_init. */
    bp_status_t (*connect)(bpi_tl_iface_t *iface, int peer, const void *card, size_t len,
                           bpi_tl_ep_t **ep_p);
    void (*disconnect)(bpi_tl_ep_t *ep);

    /* Every peer has connected (a bootstrap fence has passed): e.g. unlink shared names. */
    bp_status_t (*ready)(bpi_tl_iface_t *iface);

    /*
     * Send one frame: hdr (its frame_len says how many payload bytes follow). BP_OK once the
     * frame is on its way and payload may be reused; BP_ERR_AGAIN when there is no room now
     * (flow control, never logged); other errors when the peer is gone.
     */
    bp_status_t (*send)(bpi_tl_ep_t *ep, const bpi_wire_hdr_t *hdr, const void *payload);

    /*
     * Optional (stub: BP_ERR_NOTSUP, and the core sends frames of max_frame through send):
     * send one RDATA frame of up to BPI_WIRE_PLACED_MAX payload bytes, in as many calls as
     * it takes. *done_p counts the frame's bytes (header first) already written; BP_OK once
     * all are, BP_ERR_AGAIN with *done_p advanced when the socket took only part: the caller
     * keeps the payload and offers the same frame again before anything else to this
     * endpoint. Nothing is copied: the payload stays the caller's until BP_OK.
     */
    bp_status_t (*send_part)(bpi_tl_ep_t *ep, const bpi_wire_hdr_t *hdr, const void *payload,
                             size_t *done_p);

    /* Deliver arrived frames through recv_cb, at most budget of them; returns how many. */
    unsigned (*progress)(bpi_tl_iface_t *iface, unsigned budget);

    /*
     * The next frame from this endpoint's peer, left in place: its header, and its payload
     * in *payload_p; NULL when none has arrived, or when this peer's frames do not come on
     * a path of their own (shm: before the peer has its fast ring). A blocking receive that
     * waits on one peer looks here first, and takes a matching message without the round
     * through progress and recv_cb (core/progress.c, bpi_wait_req); progress delivers
     * whatever it leaves. consume: done with the frame peek returned (its slots are free).
     */
    const bpi_wire_hdr_t *(*peek)(bpi_tl_ep_t *ep, const void **payload_p);
    void (*consume)(bpi_tl_ep_t *ep);

    /*
     * Sleep until a frame may have arrived or timeout_us microseconds passed (blocking
     * progress), or until the transport's own next timer is due, whichever comes first.
     * Returns at once when frames are already waiting. Spurious returns are allowed.
     */
    bp_status_t (*wait)(bpi_tl_iface_t *iface, int timeout_us);
    /*
     * Sleeping on several transports at once (a rank with peers on its host and on others):
     * the core sleeps in one poll() over a descriptor of each. wait_fd readies this
     * transport for that sleep: BP_OK with *pfd to watch (fd -1: none, and then *timeout_us
     * lowered to BPI_TL_POLL_US, so that the core looks again that soon) and *timeout_us
     * lowered if the transport must be back sooner (a timer of its own); BP_ERR_AGAIN when a
     * frame is already waiting (the core does not sleep). wait_fd_done follows every
     * wait_fd, whatever it returned, once the sleep is over. A transport whose senders must
     * wake a sleeping receiver (shm) says in wait_fd that the receiver sleeps in poll now.
     */
    bp_status_t (*wait_fd)(bpi_tl_iface_t *iface, struct pollfd *pfd, int *timeout_us);
    void (*wait_fd_done)(bpi_tl_iface_t *iface);
    /*
     * on 1: from now on this process may sleep in wait or wait_fd: a transport whose senders
     * must wake a sleeping receiver (shm) tells them to. Until then they need not (spin
     * progress: no fence, no look at a sleep flag after each send). The core calls it after
     * open when its progress mode sleeps (block, adaptive), and when auto's spinning rank
     * turns adaptive (core/progress.c). A sender that read the old word just before the
     * call may miss a sleep that begins less than BPI_TL_SLEEP_GRACE_NS after it: the core
     * sleeps no sooner. on 0: it will not sleep again (auto's rank turns back to spin; it
     * is awake when it calls), so senders may stop looking. Stub: nothing to tell (tcp,
     * xdp: the kernel ends their sleeps).
     */
    void (*may_sleep)(bpi_tl_iface_t *iface, int on);

    /* Is the peer still alive? BP_OK or BP_ERR_PEER. Slow path: called when idle. */
    bp_status_t (*ep_check)(bpi_tl_ep_t *ep);

    /*
     * Wake the peer if it sleeps in wait, so that it looks again at what params.pending
     * watches (the core's shared-memory collectives). Call after the store the peer waits
     * for; the transport orders that store before its look at the peer's sleep flag.
     * BP_ERR_NOTSUP where the transport cannot: the core then runs its collectives over
     * messages instead.
     */
    bp_status_t (*ep_wake)(bpi_tl_ep_t *ep);

    /*
     * Bulk move for rendezvous: copy len bytes at remote_addr in the peer's address space to
     * local, in one copy (shm: process_vm_readv). BP_ERR_NOTSUP when there is no such path
     * to this peer (the core then has the data streamed through send); returns when done.
     */
    bp_status_t (*bulk_get)(bpi_tl_ep_t *ep, void *local, uint64_t remote_addr, size_t len);
    /* The other direction (shm: process_vm_writev): the sender's half of a cooperative copy. */
    bp_status_t (*bulk_put)(bpi_tl_ep_t *ep, const void *local, uint64_t remote_addr,
                            size_t len);

    /*
     * A bulk lane (core/lane.c): should this transport's peers have their rendezvous data
     * carried by another transport? 0: no (the stub); 1: connect one, but stream here
     * unless BP_RNDV_LANE=on; 2: connect one and stream there (xdp in copy mode, where the
     * kernel copies every frame three times and one TCP segment carries 64 KiB).
     */
    int (*bulk_lane)(const bpi_tl_iface_t *iface);
    /* Nonzero while frames that send accepted still wait in the transport (tcp: a
     * backlog): a lane is polled until it has written them. Stub: 0. */
    int (*sending)(const bpi_tl_iface_t *iface);

    /* Extra lines for bp-info (e.g. which bulk path works here and why). Optional. */
    void (*info)(const bpi_config_t *config, char *buf, size_t len);
} bpi_tl_ops_t;

/* Stubs for optional slots. */
bp_status_t bpi_tl_notsup_wait(bpi_tl_iface_t *iface, int timeout_us);
bp_status_t bpi_tl_notsup_wait_fd(bpi_tl_iface_t *iface, struct pollfd *pfd, int *timeout_us);
void bpi_tl_notsup_wait_fd_done(bpi_tl_iface_t *iface);
void bpi_tl_notsup_may_sleep(bpi_tl_iface_t *iface, int on);
const bpi_wire_hdr_t *bpi_tl_notsup_peek(bpi_tl_ep_t *ep, const void **payload_p);
void bpi_tl_notsup_consume(bpi_tl_ep_t *ep);
bp_status_t bpi_tl_notsup_ready(bpi_tl_iface_t *iface);
bp_status_t bpi_tl_notsup_ep_check(bpi_tl_ep_t *ep);
bp_status_t bpi_tl_notsup_ep_wake(bpi_tl_ep_t *ep);
bp_status_t bpi_tl_notsup_bulk_get(bpi_tl_ep_t *ep, void *local, uint64_t remote_addr,
                                   size_t len);
bp_status_t bpi_tl_notsup_bulk_put(bpi_tl_ep_t *ep, const void *local, uint64_t remote_addr,
                                   size_t len);
bp_status_t bpi_tl_notsup_send_part(bpi_tl_ep_t *ep, const bpi_wire_hdr_t *hdr,
                                    const void *payload, size_t *done_p);
int bpi_tl_notsup_bulk_lane(const bpi_tl_iface_t *iface);
int bpi_tl_notsup_sending(const bpi_tl_iface_t *iface);
void bpi_tl_notsup_info(const bpi_config_t *config, char *buf, size_t len);

/* The registry: every transport built into the library, in order of preference. */
extern const bpi_tl_ops_t *const bpi_tl_all[];
extern const size_t bpi_tl_count;
const bpi_tl_ops_t *bpi_tl_find(const char *name);

extern const bpi_tl_ops_t bpi_tl_shm;
extern const bpi_tl_ops_t bpi_tl_tcp;
#ifdef BP_HAVE_XDP
extern const bpi_tl_ops_t bpi_tl_xdp;
#endif

#endif
