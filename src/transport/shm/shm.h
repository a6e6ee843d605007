/*
 * shm.h - the shm transport's segment layout and its process-local state, shared by
 * shm_iface.c (open, close, card, connect), shm_ep.c (send) and shm_progress.c (receive,
 * wait).
 *
 * Each process owns one segment, /dev/shm/bp-<jobkey>-<rank>-<pid>-<pidns> (mode 0600),
 * that holds what it RECEIVES: one shared queue every local sender may write, and up to
 * max_rings fast rings, each handed to one sender after it has sent ring_thresh messages
 * through the queue. Every peer maps every local segment; the names are unlinked as soon as all local
 * ranks have mapped them (a bootstrap fence), so a killed job leaves nothing in /dev/shm.
 * Offsets, not pointers: each process maps the segment at its own address.
 */
#ifndef BPI_SHM_H
#define BPI_SHM_H

#include <stdint.h>
#include <sys/types.h>

#include "transport/shm/shm_ring.h"
#include "transport/transport.h"

#define BPI_SHM_MAGIC 0x42505348u /* "BPSH" */
#define BPI_SHM_VERSION 4
#define BPI_SHM_NAME_MAX 48
#define BPI_SHM_WAKE_MAX 48 /* an abstract UNIX socket name: "\0bypass-<jobkey>-<rank>" */

/* seg->sleeping: how the owner sleeps, hence how a sender wakes it */
enum {
    BPI_SHM_AWAKE = 0,
    BPI_SHM_SLEEP_FUTEX = 1, /* on `futex` (shm is its only transport): bump it, FUTEX_WAKE */
    BPI_SHM_SLEEP_FD = 2,    /* in the core's poll() over several transports: a datagram to
                                its wake socket (wake_name) */
};

/* seg->may_sleep: whether the owner may sleep, hence what a sender does after its commit */
enum {
    BPI_SHM_NEVER_SLEEPS = 0,  /* nothing (spin progress) */
    BPI_SHM_SLEEPS_FENCED = 1, /* a seq_cst fence, then a look at `sleeping` (Dekker's pairing
                                  with the owner's fence before its last look) */
    BPI_SHM_SLEEPS_RELOOK = 2, /* a look at `sleeping` with no fence: the owner looks at its
                                  rings again BPI_SHM_RELOOK_US into each sleep (shm_progress.c) */
};
/* How far into a futex sleep the owner looks again for frames of senders that read it awake
 * without a fence (BPI_SHM_SLEEPS_RELOOK). Their commit came before that read in program
 * order, so it is visible once their store buffer has drained: well under a microsecond,
 * and a serialising event (an interrupt, the host's exit) drains it. 50 us: a lost race
 * costs a few wake-ups' worth, and a sleep longer than this one timer wake-up more. At 1 ms
 * block mode lost 18% of its 8 B message rate to races; at 50 us it gained 21% over the
 * fence, adaptive 40% (docs/PERFORMANCE.md, "a thirteenth session"). */
#define BPI_SHM_RELOOK_US 50

/* Transport-private frame opcodes (hdr.type == BPI_WIRE_TL). */
enum {
    BPI_SHM_OP_RING_ON = 1, /* hdr.tag = ring index: my next frames come on that ring */
    BPI_SHM_OP_PAD = 2,     /* filler up to the ring's end, so that a span does not wrap */
};

/* The segment's first page. */
typedef struct bpi_shm_seg_hdr {
    uint32_t magic;
    uint32_t version;
    uint64_t jobkey;
    int32_t rank;
    int32_t pid;
    uint32_t slot_size;
    uint32_t queue_slots;
    uint32_t ring_slots;
    uint32_t max_rings;
    uint32_t reserved[2];
    uint64_t seg_size;
    uint64_t queue_off; /* the shared queue */
    uint64_t rings_off; /* fast ring i at rings_off + i * ring_bytes */
    uint64_t ring_bytes;
    /* the owner's wake socket (abstract address, wake_len bytes; 0: it has none) */
    uint32_t wake_len;
    char wake_name[BPI_SHM_WAKE_MAX];

    /* written by senders: fast rings handed out so far (may exceed max_rings: refused) */
    alignas(BPI_CACHELINE) _Atomic uint32_t rings_used;

    /* blocking progress: the owner sets `sleeping` (BPI_SHM_SLEEP_*) before it sleeps; a
     * sender that sees it wakes the owner the way it says. Senders look only while
     * `may_sleep` says the owner may sleep (BPI_SHM_SLEEPS_*; bpi_shm_may_sleep: block and
     * adaptive progress, from open; auto's spinning rank while it is turned adaptive), read
     * after every send: one line, which a spinning owner never writes */
    alignas(BPI_CACHELINE) _Atomic uint32_t sleeping;
    _Atomic uint32_t may_sleep;
    alignas(BPI_CACHELINE) _Atomic uint32_t futex;
    _Atomic uint64_t woken_ns; /* the waker's clock at its last wake-up (params.woke) */
} bpi_shm_seg_hdr_t;

#define BPI_SHM_HDR_BYTES 4096
static_assert(sizeof(bpi_shm_seg_hdr_t) <= BPI_SHM_HDR_BYTES, "header fits its page");

/* What a process publishes in its business card. */
typedef struct bpi_shm_card {
    char name[BPI_SHM_NAME_MAX];
    uint64_t seg_size;
    int32_t pid;
    uint32_t reserved;
    uint64_t cma_probe_addr; /* address of a word with a known value, for the CMA probe */
    uint64_t cma_probe_value;
} bpi_shm_card_t;

/* A fast ring this process reads, with the sender it belongs to. */
typedef struct bpi_shm_rx_ring {
    bpi_shm_ring_t ring;
    bpi_shm_ring_cons_t cons;
    int src;
} bpi_shm_rx_ring_t;

struct bpi_tl_iface {
    bpi_tl_params_t params;
    bpi_tl_recv_cb_t recv_cb;
    void *cb_arg;

    char name[BPI_SHM_NAME_MAX];
    int unlinked;
    bpi_shm_seg_hdr_t *seg; /* my segment */
    uint64_t seg_size;

    /* receive side: my shared queue and the fast rings handed out, in activation order */
    bpi_shm_ring_t queue;
    bpi_shm_ring_cons_t queue_cons;
    bpi_shm_rx_ring_t *rx_rings; /* max_rings entries */
    uint32_t nrx_rings;
    uint32_t ring_thresh;

    /* rendezvous bulk path: peers read this word with process_vm_readv at connect */
    uint64_t cma_probe;
    /* blocking progress on several transports: a datagram socket bound to the abstract
     * address in seg->wake_name, whose datagrams wake the core's poll(); also what this
     * process sends its own wake-ups from. -1: none (a peer that sleeps in poll() is then
     * not woken by us, and looks again within BPI_TL_POLL_US) */
    int wake_fd;
    uint64_t slept_ns; /* when the current sleep began: a wake-up after it ended it */
    /* until then, a poll() sleep lasts at most BPI_SHM_RELOOK_US: some sender may still
     * skip the fence (bpi_shm_wait_fd turned BPI_SHM_SLEEPS_RELOOK into _FENCED); 0: none */
    uint64_t fenced_from_ns;
};

enum {
    BPI_SHM_EP_QUEUE = 0,   /* sending through the peer's shared queue */
    BPI_SHM_EP_RING = 1,    /* sending through a fast ring of our own */
    BPI_SHM_EP_REFUSED = 2, /* the peer has no fast ring left for us: queue for good */
};

struct bpi_tl_ep {
    /* hot: the fast ring, then the queue */
    int state;
    bpi_shm_ring_t ring; /* valid in state RING */
    uint64_t ring_tail;  /* single producer: our own tail */
    uint64_t ring_head_cache;
    uint64_t *covered; /* fast ring: bit i, slot i's seq word holds span payload (shm_ring.h) */
    bpi_shm_ring_t queue; /* the peer's shared queue */
    uint64_t queue_head_cache;
    bpi_shm_seg_hdr_t *seg; /* the peer's segment, mapped here */
    bpi_shm_rx_ring_t *rx; /* the fast ring the peer sends us on, once known (peek) */

    /* cold */
    uint64_t queue_sends; /* frames sent through the queue, to decide on a fast ring */
    int64_t ring_pending; /* ring index obtained but not yet announced, else -1 */
    uint64_t seg_size;
    int peer;
    pid_t pid;
    int pidfd; /* readable once the peer's process has exited; -1: use kill(pid, 0) */
    int cma; /* process_vm_readv from this peer works (and is allowed) */
    bpi_tl_iface_t *iface;
};

/* shm_ep.c */
bp_status_t bpi_shm_ep_send(bpi_tl_ep_t *ep, const bpi_wire_hdr_t *hdr, const void *payload);
bp_status_t bpi_shm_ep_wake(bpi_tl_ep_t *ep);
void bpi_shm_wake(bpi_tl_iface_t *iface, bpi_shm_seg_hdr_t *seg, uint32_t how);

/* shm_cma.c */
void bpi_shm_cma_probe_init(bpi_tl_iface_t *iface);
bp_status_t bpi_shm_cma_connect(bpi_tl_iface_t *iface, bpi_tl_ep_t *ep,
                                const bpi_shm_card_t *card);
bp_status_t bpi_shm_bulk_get(bpi_tl_ep_t *ep, void *local, uint64_t remote_addr, size_t len);
bp_status_t bpi_shm_bulk_put(bpi_tl_ep_t *ep, const void *local, uint64_t remote_addr,
                             size_t len);
void bpi_shm_info(const bpi_config_t *config, char *buf, size_t len);

/* shm_progress.c */
unsigned bpi_shm_progress(bpi_tl_iface_t *iface, unsigned budget);
const bpi_wire_hdr_t *bpi_shm_ep_peek(bpi_tl_ep_t *ep, const void **payload_p);
void bpi_shm_ep_consume(bpi_tl_ep_t *ep);
bp_status_t bpi_shm_wait(bpi_tl_iface_t *iface, int timeout_us);
bp_status_t bpi_shm_wait_fd(bpi_tl_iface_t *iface, struct pollfd *pfd, int *timeout_us);
void bpi_shm_wait_fd_done(bpi_tl_iface_t *iface);
void bpi_shm_may_sleep(bpi_tl_iface_t *iface, int on);

#endif
