/*
 * xdp.h - the xdp transport: AF_XDP sockets on one Ethernet interface, frames of bypass's
 * own EtherType steered to each process's socket by an XDP program, and a reliable,
 * ordered stream per peer on top. Shared by:
 *   xdp_umem.c     the UMEM, the sockets and their four rings; one UMEM per interface queue
 *                  shared by the processes of a host (leader / followers)
 *   xdp_prog.c     loading, configuring and removing the steering program
 *   xdp_iface.c    the ops table: query, open, close, card, connect, info
 *   xdp_progress.c send, receive, acknowledgements and retransmission, wait
 *
 * Sharing one queue. An AF_XDP socket only receives frames of the (interface, queue) it is
 * bound to, and a NIC without flow steering (veth, most Ethernet ports) delivers a host's
 * frames to one queue. So the processes of a host share one UMEM bound there
 * (XDP_SHARED_UMEM): the first local process (the leader) creates it in a memfd, the
 * others receive the memfd and its socket over a UNIX socket, each then owns an AF_XDP
 * socket with its own rx and tx ring. The UMEM's fill and completion rings are shared: a
 * robust process-shared mutex guards them. UMEM frames: each process owns a fixed range of
 * transmit frames (a frame is reused when the kernel has completed it and the peer has
 * acknowledged it); the rest form the receive pool in the fill ring. Each socket's rx ring
 * holds at most BPI_XDP_RX_RING frames and a process returns every frame it consumed at
 * the end of the progress call, so a slow process holds at most its ring's worth of the
 * pool (its credit), and the pool is sized for every process's ring to be full at once:
 * no process can starve the others.
 */
#ifndef BPI_XDP_H
#define BPI_XDP_H

#include <linux/if_xdp.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "transport/transport.h"
#include "transport/xdp/xdp_proto.h"

#define BPI_XDP_FRAME 4096u       /* UMEM chunk: one frame */
#define BPI_XDP_TX_FRAMES 256u    /* transmit frames each process owns */
#define BPI_XDP_RX_RING 512u      /* each socket's rx ring (its credit on the pool) */
#define BPI_XDP_TX_RING 256u      /* each socket's tx ring */
#define BPI_XDP_MAX_LOCAL 16      /* processes of one host on one interface queue */
#define BPI_XDP_WINDOW 128u       /* unacknowledged frames per peer */
#define BPI_XDP_KICK_BATCH 16u        /* frames per kick in a burst (see tx_kick) */
#define BPI_XDP_KICK_GAP_NS 2000ull   /* a send this long after the last kick kicks at once */
#define BPI_XDP_ETH_HLEN 14u
#define BPI_XDP_RX_HEADROOM 256u /* XDP_PACKET_HEADROOM: before every received frame */
#define BPI_XDP_HDRS (BPI_XDP_ETH_HLEN + sizeof(bpi_xdp_hdr_t) + sizeof(bpi_wire_hdr_t))
/* Where a transmit frame's Ethernet header starts: the bypass header is then 8-aligned. */
#define BPI_XDP_TX_OFF 2u

/* Retransmission: timeout from the measured round trip, bounded. */
#define BPI_XDP_RTO_MIN_NS 1000000ull   /* 1 ms: above a scheduler's hiccup, far below
                                           a TCP timeout; real loss is NACKed sooner */
#define BPI_XDP_RTO_MAX_NS 100000000ull /* 100 ms */
#define BPI_XDP_RTO_INIT_NS 2000000ull  /* 2 ms, until a round trip is measured */
#define BPI_XDP_RTO_RESEND 4u           /* frames resent when the timeout expires */

/*
 * Is the peer alive? All the times that bound how soon a dead peer fails, in one place
 * (issue 10 asks for every pending request within 2 s of the death; docs/RELIABILITY.md has
 * the chains they make and what was measured). A dead rank on a live host is known from
 * its host's NOEP to our next frame; the times below decide how soon that frame goes out,
 * and how long a host that answers nothing at all is given.
 *
 * IDLE_PROBE: a peer unheard-of this long gets a keep-alive DATA frame from ep_check (the
 * core calls it every BPI_LIVENESS_NS while a wait is idle), so a rank killed while we
 * wait for it is seen within IDLE_PROBE + 2 liveness periods (one to send, one for the
 * core to see the NOEP): 300 ms. When a failure cascades (a survivor fails a dead peer and
 * leaves; a third rank waiting for the survivor learns that in turn) two such chains add
 * up: 100 ms keeps that near 600 ms. Shorter would only add keep-alive frames (one per
 * idle peer and half period at most: a 64 B frame and its ack).
 *
 * PROBE_AFTER, PROBE_GAP: frames unacknowledged with no progress and nothing heard for
 * PROBE_AFTER make us PROBE the peer's host every PROBE_GAP. Its XDP program answers ALIVE
 * while the peer's socket exists, whether the peer polls or not (it may compute, or be
 * descheduled, for seconds), so a probe costs one round trip through the two kernels and
 * proves the host is there. 50 ms: twenty probes in the give-up time below, and far above
 * a round trip through a loaded host's softirq (tens of us, a few ms at worst).
 *
 * GIVEUP, GIVEUP_PROBES: a host that answers none of at least GIVEUP_PROBES probes sent
 * over GIVEUP is taken for gone (its machine or its link died, or all its processes were
 * killed and the program removed): a live host's kernel answers probes, so silence this
 * long is not a busy rank. The count keeps our own descheduling from looking like their
 * silence (back on a CPU after a long pause, we send probes again and read the answers
 * before the count is reached). 1 s: a silent host is failed within about 1.3 s of its
 * death (IDLE_PROBE + a liveness period + PROBE_AFTER + GIVEUP + a liveness period), in
 * the 2 s of the issue, and a live host would have to lose some twenty probes in a row, or
 * their answers, to be taken for dead (xdp_blackout drops everything for 100 ms).
 *
 * GONE_LINGER: when the job is failing (a local process was killed, or one saw a peer
 * fail), the last process of a host to close keeps the steering program this long, so the
 * other hosts' frames to the ranks gone from here are answered NOEP (a fail at once)
 * rather than met by silence (the give-up). They send one within IDLE_PROBE + a liveness
 * period of the last frame they heard: 200 ms; 500 ms leaves room for a loaded machine,
 * and bp_finalize of that last process is longer by as much.
 */
#define BPI_XDP_IDLE_PROBE_NS 100000000ull  /* 100 ms */
#define BPI_XDP_PROBE_AFTER_NS 50000000ull  /* 50 ms */
#define BPI_XDP_PROBE_GAP_NS 50000000ull    /* 50 ms */
#define BPI_XDP_GIVEUP_NS 1000000000ull     /* 1 s */
#define BPI_XDP_GIVEUP_PROBES 5u
#define BPI_XDP_GONE_LINGER_MS 500
/* A receiver acknowledges on its own (without data to carry the ack) after this long, or
 * once half a window is unacknowledged. */
#define BPI_XDP_ACK_DELAY_NS 50000ull /* 50 us */

/*
 * Frames larger than a UMEM chunk (jumbo MTUs): AF_XDP multi-buffer (kernel >= 6.6; the
 * constants are not in older uapi headers). A frame then spans up to BPI_XDP_MAX_CHUNKS
 * chunks, each a descriptor, all but the last flagged XDP_PKT_CONTD. The kernel's copy mode
 * costs about the same per frame whatever its size (an skb, the veth hop, the program), so
 * bigger frames are what moves bandwidth; see docs/PERFORMANCE.md.
 */
#ifndef XDP_USE_SG
#define XDP_USE_SG (1 << 4)
#endif
#ifndef XDP_PKT_CONTD
#define XDP_PKT_CONTD (1 << 0)
#endif
#define BPI_XDP_MAX_CHUNKS 16u
/* the largest frame, from the Ethernet header on: what 16 received chunks hold after the
 * headroom the kernel keeps in each */
#define BPI_XDP_SG_MAX_FRAME (BPI_XDP_MAX_CHUNKS * (BPI_XDP_FRAME - BPI_XDP_RX_HEADROOM))
#define BPI_XDP_CHAIN_END UINT32_MAX

#define BPI_XDP_UNLIKELY(x) __builtin_expect(!!(x), 0)
#define BPI_XDP_LIKELY(x) __builtin_expect(!!(x), 1)

/* The business card: where this rank's frames must go. */
typedef struct bpi_xdp_card {
    uint32_t magic; /* BPI_XDP_CARD_MAGIC */
    uint32_t mtu;
    uint8_t mac[6];
    uint16_t reserved;
    uint32_t max_frame; /* largest core payload per frame */
    uint32_t ifindex;   /* informational (logs) */
    uint64_t host_key;  /* MAC + interface: peers with the same key share our queue */
} bpi_xdp_card_t;

#define BPI_XDP_CARD_MAGIC 0x42505844u /* "BPXD" */

/* One of the rings the kernel shares with us (mmapped). */
typedef struct bpi_xdp_ring {
    _Atomic uint32_t *producer;
    _Atomic uint32_t *consumer;
    uint32_t *flags;
    void *descs; /* struct xdp_desc (rx, tx) or uint64_t (fill, completion) */
    uint32_t mask;
    uint32_t cached; /* our own side's index (tx, rx: the only user) */
    void *map;
    size_t map_len;
} bpi_xdp_ring_t;

/*
 * A process using the shared UMEM (xdp_umem.c), by local index: its pid and start time (pids
 * are reused), pid 0 when the slot is free. A table, not a counter: a process killed with
 * SIGKILL never leaves, and the last *live* process out must still remove the program.
 */
typedef struct bpi_xdp_user {
    uint32_t pid;
    uint32_t pidns; /* its pid namespace (inode): pids of another one cannot be judged */
    uint64_t start; /* clock ticks since boot (/proc/<pid>/stat) */
} bpi_xdp_user_t;

/* The start of the shared memfd: what the processes of a host share besides the frames. */
typedef struct bpi_xdp_shared {
    pthread_mutex_t lock; /* the fill and completion rings, users[] (robust, process-shared) */
    bpi_xdp_user_t users[BPI_XDP_MAX_LOCAL];
    uint32_t gone;   /* users found killed (under the lock) */
    uint32_t failed; /* a local process saw a peer fail before its teardown */
    uint32_t nlocal;
    uint32_t prog_id; /* the steering program, for the last process out to remove */
    uint32_t ifindex;
    uint32_t xdp_flags; /* how it was attached (libbpf's XDP_FLAGS_*) */
    uint32_t via_libxdp;
    /* transmissions the kernel has completed, per local process (the completion ring is
     * shared: whoever drains it credits the owner of each frame) */
    _Atomic uint64_t completed[BPI_XDP_MAX_LOCAL];
} bpi_xdp_shared_t;

#define BPI_XDP_SHARED_BYTES 4096u

/* A transmit chunk. A frame is one chunk, or (multi-buffer) its first chunk with the
 * others on `chain`; seq, sent_ns and resent are the first chunk's. */
typedef struct bpi_xdp_txf {
    uint64_t sent_ns;  /* last (re)transmission */
    uint32_t seq;
    uint16_t inflight; /* submissions the kernel has not completed */
    uint8_t acked;     /* by the peer (or needs no ack): free once inflight is 0 */
    uint8_t resent;
    uint32_t len;      /* bytes in this chunk (the first: from the Ethernet header on) */
    uint32_t next;     /* free list */
    uint32_t chain;    /* the frame's next chunk, BPI_XDP_CHAIN_END after the last */
} bpi_xdp_txf_t;

struct bpi_tl_ep {
    bpi_tl_iface_t *iface;
    int peer;
    int dead;
    uint8_t mac[6];
    /* sending: frames seq in [una, nxt) are unacknowledged, in unacked[seq % WINDOW] */
    uint32_t nxt;
    uint32_t una;
    uint32_t unacked[BPI_XDP_WINDOW]; /* tx frame index */
    uint64_t rto_ns;
    uint64_t srtt_ns;
    uint64_t progress_ns; /* when una last moved (or the first frame went out) */
    uint64_t heard_ns;    /* when the peer (or its host, for it) last answered */
    uint64_t probe_ns;    /* the last PROBE sent */
    uint64_t silent_ns;   /* the first PROBE of the current silence (0: none) */
    uint32_t nprobes;     /* PROBEs sent in it */
    uint32_t nack_seen;   /* the last NACK acted on (once per value) */
    /* receiving */
    uint32_t expect;      /* next sequence number in order */
    uint32_t ack_pending; /* in-order frames not yet acknowledged to the peer */
    uint64_t ack_since_ns;
    uint32_t nack_sent; /* expect value of the last NACK sent, +1 (0: none) */
    uint32_t listed;    /* on the iface's list of endpoints with an ack or frames owed */
};

struct bpi_tl_iface {
    bpi_tl_recv_cb_t recv_cb;
    void *cb_arg;
    int rank;
    int size;
    uint64_t jobkey;

    char ifname[16];
    int ifindex;
    uint8_t mac[6];
    uint32_t mtu;
    uint32_t max_frame;

    /* the UMEM and rings */
    int leader;
    int local_index;
    uint32_t nlocal;
    int memfd;
    int xsk;        /* our AF_XDP socket */
    int umem_xsk;   /* the socket that owns the UMEM (the leader's; ours if we lead) */
    int xskmap_fd;
    void *area;     /* the memfd mapping: bpi_xdp_shared_t, then the frames */
    size_t area_len;
    uint8_t *frames;
    bpi_xdp_shared_t *shared;
    bpi_xdp_ring_t rx, tx, fill, comp;
    uint32_t pool_first, pool_frames; /* frames of the receive pool */
    int zerocopy;
    int need_wakeup;
    int sg; /* multi-buffer frames (the MTU is larger than a chunk) */
    /* a multi-buffer frame being received: its chunks gathered here */
    uint8_t *rxbuf;
    uint32_t rxlen;
    uint8_t rx_in_frame, rx_bad;

    /* our transmit frames: indexes into frames[], owned by this process */
    uint32_t tx_first;
    bpi_xdp_txf_t txf[BPI_XDP_TX_FRAMES];
    uint32_t tx_free; /* free list head, UINT32_MAX when empty */
    uint32_t tx_nfree;
    uint64_t submitted;              /* descriptors put on our tx ring */
    uint64_t completed;              /* ... and completed, as far as we know */
    uint32_t subq[BPI_XDP_TX_RING];  /* frame of each submission not yet completed */
    /* received frames to give back to the fill ring */
    uint64_t refill[64];
    unsigned nrefill;
    uint64_t now_ns;
    uint64_t kick_ns;  /* when the last kick from a send returned */
    unsigned unkicked; /* descriptors on the tx ring the kernel was not told about */
    unsigned tick;
    int closing; /* bp_finalize: frames are acknowledged, no longer delivered */
    struct {
        uint64_t sent, resent, timeouts, nacks_sent, nacks_got, dups, gaps, acks_sent;
        uint64_t no_frame, ring_full, sg_frames_rx, probes, alive;
    } stats; /* written to the debug log at close */

    bpi_tl_ep_t **eps; /* by rank */
    bpi_tl_ep_t **owed; /* endpoints with unacknowledged frames or an ack owed */
    unsigned nowed;

    /* the steering program (leader only) */
    struct xdp_program *prog;    /* attached through libxdp */
    struct bpf_object *bpf_obj;  /* ... or through libbpf */
    int cfg_fd;
};

/* xdp_umem.c */
bp_status_t bpi_xdp_umem_open(bpi_tl_iface_t *iface, const bpi_tl_params_t *params);
void bpi_xdp_umem_close(bpi_tl_iface_t *iface);
void bpi_xdp_fill_flush(bpi_tl_iface_t *iface);
void bpi_xdp_comp_drain(bpi_tl_iface_t *iface);
/* At the start of the teardown: note on the host whether a peer had failed (see close). */
void bpi_xdp_umem_note_failures(bpi_tl_iface_t *iface);

/* xdp_prog.c */
bp_status_t bpi_xdp_prog_attach(bpi_tl_iface_t *iface);
bp_status_t bpi_xdp_prog_add_socket(bpi_tl_iface_t *iface);
void bpi_xdp_prog_detach(bpi_tl_iface_t *iface);
void bpi_xdp_prog_release(bpi_tl_iface_t *iface, int last);
/* counters of the program attached on ifname (bp-info); BP_ERR_NOTSUP when none */
bp_status_t bpi_xdp_prog_counters(const char *ifname, uint64_t *cnt, bpi_xdp_cfg_t *cfg);
bp_status_t bpi_xdp_prog_set_drop(const char *ifname, uint32_t drop_ppm);

/* xdp_iface.c */
bp_status_t bpi_xdp_ifname(const bpi_config_t *config, char *name, char *why, size_t whylen);

/* xdp_progress.c */
bp_status_t bpi_xdp_send(bpi_tl_ep_t *ep, const bpi_wire_hdr_t *hdr, const void *payload);
unsigned bpi_xdp_progress(bpi_tl_iface_t *iface, unsigned budget);
/* One received frame: a complete frame in contiguous memory, flen bytes from the Ethernet
 * header on, as the steering program passed it (its job key checked, nothing else).
 * Called by bpi_xdp_progress, and by fuzz/fuzz_xdp.c with frames of its own. */
void bpi_xdp_rx_frame(bpi_tl_iface_t *iface, const uint8_t *f, uint32_t flen);
bp_status_t bpi_xdp_wait(bpi_tl_iface_t *iface, int timeout_us);
bp_status_t bpi_xdp_wait_fd(bpi_tl_iface_t *iface, struct pollfd *pfd, int *timeout_us);
bp_status_t bpi_xdp_ep_check(bpi_tl_ep_t *ep);
void bpi_xdp_tx_init(bpi_tl_iface_t *iface);
void bpi_xdp_linger(bpi_tl_iface_t *iface);
bp_status_t bpi_xdp_raw_send(bpi_tl_iface_t *iface, const uint8_t mac[6], int dst,
                             uint32_t len);
unsigned bpi_xdp_raw_recv(bpi_tl_iface_t *iface);

#endif
