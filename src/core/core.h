/*
 * core.h - the core's state: the context, peers, requests and unexpected messages. The core
 * knows messages, tags, requests and peers, and reaches transports only through
 * transport/transport.h.
 */
#ifndef BPI_CORE_H
#define BPI_CORE_H

#include <stdalign.h>
#include <stdatomic.h>
#include <stdint.h>

#include "boot/boot.h"
#include "bypass.h"
#include "core/config.h"
#include "core/list.h"
#include "core/log.h"
#include "transport/transport.h"

#define BP_LIKELY(x) __builtin_expect(!!(x), 1)
#define BP_UNLIKELY(x) __builtin_expect(!!(x), 0)
/* A slow path kept out of line, so the fast path around it stays short. */
#define BP_SLOWPATH __attribute__((noinline, cold))
/* Another path, not rare but not the shortest: out of line as well. */
#define BP_NOINLINE __attribute__((noinline))

/* A polite spin-wait hint to the CPU. */
static inline void bpi_cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    __asm__ __volatile__("yield" ::: "memory");
#else
    __asm__ __volatile__("" ::: "memory");
#endif
}

/* Frames a transport may deliver per progress call (a bound on each poll). */
#define BPI_PROGRESS_BUDGET 32
/* Unexpected messages up to this size come from a free list, not malloc. */
#define BPI_UNEXP_SMALL 256
/* How often an idle wait checks that peers are alive (shm: a poll of each peer's pidfd;
 * tcp: the endpoint's state; xdp: a keep-alive to a peer unheard-of for a while). A dead
 * peer is seen within one period (shm, tcp) or two (xdp: one to send the keep-alive, one
 * to see its host's answer), and a failure can cascade through a rank that leaves because
 * of it: 100 ms keeps the worst case near 1 s (docs/RELIABILITY.md) for a cost of a few
 * system calls a second while waiting. */
#define BPI_LIVENESS_NS 100000000ull
/* Blocking progress: the longest sleep before re-checking peers (the liveness period). */
#define BPI_BLOCK_TIMEOUT_US 100000

/*
 * Adaptive progress (progress.c). A futex sleep/wake costs 7-8 us between two CPUs of this
 * machine and 4 us on one (bench/oversub_probe.c), an idle sched_yield 0.7 us: spinning
 * longer than about twice a wake-up cannot pay back. Whether the CPU is shared, the kernel
 * says: a yield that ran another process counts an involuntary switch (ru_nivcsw). The
 * clock cannot tell: a yield to a rank that only yields back takes 2 us here, as long as
 * an idle one takes on a slower machine (docs/ARCHITECTURE.md, "adaptive").
 */
#define BPI_ADAPT_SPIN_MAX_NS 20000ull /* the spin budget's ceiling */
#define BPI_ADAPT_YIELDS 4             /* sched_yield calls between spinning and sleeping */
#define BPI_ADAPT_YIELD_SAMPLE 16      /* while shared, every 16th yield is timed */
#define BPI_ADAPT_SWITCH_SAMPLE 64     /* and every 64th asks the kernel (a multiple of 16) */
/* Yields that take this long on average hand the CPU to others for whole time slices (a
 * loaded machine): a futex sleep then brings us back sooner (the wake-up preempts), so
 * adaptive sleeps at once, with one timed yield at most every BPI_ADAPT_PROBE_NS to notice
 * when that changes. Each such yield costs the wait a slice of the other program's (1-3 ms
 * here): one every 16th wait, as it was, cost a barrier beside a CPU hog 80 us a round
 * (docs/PERFORMANCE.md, "a thirteenth session"). */
#define BPI_ADAPT_YIELD_LONG_NS 200000ull
#define BPI_ADAPT_PROBE_NS 100000000ull /* 100 ms */
/* The yield budget: while every rank of this CPU waits (the hand-off board) and yields
 * reach one of them or the board shows one, a gap goes on yielding past BPI_ADAPT_YIELDS
 * rather than sleep, for twice the average length of recent such gaps, when at least a
 * quarter of them were no longer than this (then none). Yields then go only to ranks that
 * wait, and a sleeper costs whoever ends its wait a wake-up on the critical path: a few us
 * here, tens of us when the hypervisor is busy, when sleeping ranks made every hop of a
 * ring and every barrier one such wake-up, a state the ranks kept (docs/PERFORMANCE.md).
 * And never for less than twice a wake-up, as measured here, up to BPI_ADAPT_WAKE_MAX_NS
 * (progress_yield_budget). */
#define BPI_ADAPT_YIELD_MAX_NS 200000ull
#define BPI_ADAPT_WAKE_MAX_NS 1000000ull /* the most such a gap yields for a wake-up's sake */
/* A gap whose CPU would be left with no rank of the job awake (the board: every CPU-mate
 * sleeps, or there is none) yields on for this long before it sleeps: a halted CPU makes
 * whoever needs one of its ranks next wait for the host to run it again (progress.c,
 * progress_yield_on) */
#define BPI_ADAPT_LONE_NS 1000000ull
/* Hand-off: a receive whose sender runs on another CPU spins instead of yielding while no
 * rank of this CPU has been sent anything, for at most this long per gap (then as before),
 * and only while at least a quarter of recent such spins caught their sender: a slow
 * sender (or a process outside the job, which the board cannot see, wanting this CPU)
 * makes it spin once every 16th gap instead, to notice when that changes. */
#define BPI_ADAPT_HAND_NS 50000ull
#define BPI_ADAPT_HAND_HIT_MIN 64 /* of 256: "a quarter of recent such spins" */
#define BPI_ADAPT_SPUN_BUDGET 1u
#define BPI_ADAPT_SPUN_HAND 2u
#define BPI_ADAPT_SPUN_YIELD 4u /* past BPI_ADAPT_YIELDS with every rank of its CPU waiting */
#define BPI_ADAPT_SPUN_LONE 8u  /* past them as the last rank of the job awake on its CPU */
/*
 * auto's watch (progress.c, progress_auto_watch): a rank that auto set spinning (a CPU per
 * rank of its host) looks, every 1024th idle poll of a wait and at most every
 * BPI_AUTO_WATCH_NS, how often the kernel took its CPU away (involuntary switches). On a CPU
 * of its own that is 2-7 times a second here, 30 beside a busy CPU (kernel threads, for a
 * moment each); beside another program that wants the CPU, at the end of every time slice,
 * 125 times a second, and the rank runs half the time. More than once per
 * BPI_AUTO_PREEMPT_NS over a window, with less than 3/4 of it run: the CPU is shared after
 * all, and the rank turns adaptive. A window longer than BPI_AUTO_WATCH_MAX_NS (the rank
 * spent that long away from idle polls) starts again instead of judging.
 *
 * Turned, it watches the other way (progress_auto_back), at the start of a gap, over the
 * same windows: the kernel's own count of how long the thread waited for a CPU while it
 * could run (/proc/thread-self/schedstat). Beside a CPU hog an adaptive rank waits so 27-30%
 * of the time here, alone 1-5%: a window in which it ran or waited to run at least 1/16 of
 * the time (a rank that hardly runs says nothing) and waited less than 1/8 of it turns it
 * back to spin, the watch on again.
 */
#define BPI_AUTO_WATCH_NS 200000000ull     /* 200 ms */
#define BPI_AUTO_WATCH_MAX_NS 2000000000ull /* 2 s */
#define BPI_AUTO_PREEMPT_NS 20000000ull    /* 20 ms: 10 in a 200 ms window */

enum {
    BPI_REQ_SEND = 1,
    BPI_REQ_RECV = 2,
};

/* How a request's frames go out (send side) or come in (receive side). */
enum {
    BPI_PROTO_EAGER = 0,  /* EAGER + FRAG frames carry the data */
    BPI_PROTO_RTS = 1,    /* rendezvous send: an RTS, then a FIN (bulk get) or a CTS */
    BPI_PROTO_STREAM = 2, /* rendezvous data streamed as RDATA frames (no bulk path) */
    BPI_PROTO_CTRL = 3,   /* a CTS or FIN: one frame, the library's own request */
    BPI_PROTO_COOP = 4,   /* rendezvous receive, both sides copying half: waits for WDONE */
};

struct bp_request {
    bpi_list_t link; /* posted queue, or its peer's send queue */
    bp_context_t *ctx;
    uint8_t type;
    uint8_t done;
    uint8_t flags;    /* BPI_WIRE_F_*: matched exactly */
    uint8_t pooled;   /* 1: from the pool (user-visible), 0: on a blocking call's stack */
    uint8_t queued;   /* in the posted queue or a send queue */
    uint8_t proto;    /* BPI_PROTO_* */
    uint8_t wire_type; /* BPI_PROTO_CTRL: the frame's type */
    uint8_t autofree; /* the library's own request: back to the pool once sent */
    uint8_t sync;     /* send: bp_issend (rendezvous at any size: completes once matched) */
    uint8_t lane;     /* a rendezvous stream that holds its peer's bulk lane (lane.c) */
    size_t part;      /* stream through send_part: bytes of the current frame written */
    bp_status_t status;
    int peer;         /* send: destination; receive: wanted source or BP_ANY_SOURCE */
    uint64_t tag;
    uint64_t ignore;  /* receive only */
    char *buf;
    size_t len;       /* buffer length */
    size_t msg_len;   /* receive: the message's length once matched */
    size_t offset;    /* bytes moved so far */
    int source;       /* receive: who sent it */
    uint64_t rtag;    /* receive: its tag */
    /* rendezvous */
    uint64_t rndv_id;     /* our id for the message in ctx->rndv (0: none) */
    uint64_t remote_id;   /* the peer's id for it */
    uint64_t remote_addr; /* the sender's data address (receive side of a bulk get) */
    char ctrl[16];        /* BPI_PROTO_CTRL: the frame's payload (len bytes) */
};

/* A message that arrived before a matching receive was posted. */
typedef struct bpi_unexp {
    bpi_list_t link;
    int source;
    uint8_t flags;
    uint64_t tag;
    size_t msg_len;
    size_t received; /* < msg_len: fragments are still coming */
    size_t cap;      /* bytes of data[] */
    int rndv;        /* a rendezvous message: nothing received yet, the RTS says where */
    bpi_wire_rts_t rts;
    char data[];
} bpi_unexp_t;

struct bpi_ctx_tl;

typedef struct bpi_peer {
    bpi_tl_ep_t *ep;
    bp_status_t (*send)(bpi_tl_ep_t *ep, const bpi_wire_hdr_t *hdr, const void *payload);
    size_t eager_max;           /* bp_send's one-frame fast path: up to this many bytes */
    size_t max_frame;           /* the transport's largest frame payload */
    const bpi_tl_ops_t *tl;     /* the transport that reaches this peer */
    /* a message whose fragments are arriving: into a receive, or into an unexpected one */
    bp_request_t *rx_req;
    bpi_unexp_t *rx_unexp;
    bpi_list_t sendq;     /* sends waiting for room, in order */
    bpi_list_t sendq_link; /* in ctx->sendq_peers while sendq is not empty */
    int failed;
    /* the bulk lane (lane.c): a second transport for rendezvous data, or lane NULL */
    struct bpi_ctx_tl *lane;
    bpi_tl_ep_t *lane_ep;
    int lane_use; /* our streams to this peer go there (the peer may use it either way) */
} bpi_peer_t;

/* A transport opened in this process. */
typedef struct bpi_ctx_tl {
    const bpi_tl_ops_t *ops;
    bpi_tl_iface_t *iface;
    int npeers; /* peers it reaches; progress polls only transports in use */
    unsigned lane_users; /* rendezvous streams on it as a bulk lane (lane.c) */
    int lane_on;         /* in ctx->active for them alone (npeers is 0) */
} bpi_ctx_tl_t;

#define BPI_TL_MAX 8

/*
 * Adaptive progress: what recent idle gaps (from a wait's first idle poll to the next
 * arrival) needed, and the spin budget learned from it. Fixed point: ratios in 1/256.
 */
typedef struct bpi_adapt {
    uint64_t gap_start_ns; /* the open gap's start, 0 when none is open */
    uint64_t hand_from_ns; /* the hand-off's spin window starts here: the gap's start, or
                            * the end of a park (the CPU-mate ahead passed the token on) */
    uint32_t phase;        /* of the open gap: 0 spin, 1 yield, 2 sleep */
    uint32_t yields;       /* yields in the open gap */
    uint64_t spin_ns;      /* the spin budget */
    uint64_t need_ns;      /* average length of the gaps a spin up to the ceiling caught */
    uint32_t hit;          /* share of gaps no longer than the ceiling */
    uint32_t shared;       /* share of sampled yields that ran another process */
    uint32_t mates;        /* 1: our ranks outnumber the CPUs (shared zeroes the spin) */
    uint32_t hand_hit;     /* share of hand-off gaps whose sender came within the spin */
    uint64_t yield_budget_ns; /* how long a gap may yield (see BPI_ADAPT_YIELD_MAX_NS) */
    uint64_t yneed_ns;     /* average length of such gaps no longer than the ceiling */
    uint32_t yhit;         /* share of such gaps no longer than the ceiling */
    uint32_t spun;         /* the open gap's kinds: BPI_ADAPT_SPUN_BUDGET, _HAND, _YIELD */
    uint64_t yield_ns;     /* average time a yield took */
    uint64_t probe_ns;     /* the last yield made while yields do not pay */
    uint64_t ngaps, nsleeps, nyields; /* for the debug log at finalize */
    uint64_t nspin, nspingaps;        /* idle steps spun within the budget; gaps with them */
    uint64_t nhand, nhandgaps;        /* idle steps spun for a sender on another CPU; gaps */
    uint64_t nyieldgaps;              /* gaps that could yield within the yield budget */
    uint64_t nlonegaps;               /* gaps that yielded on as their CPU's last awake rank */
    uint64_t nparks;                  /* sleeps until a CPU-mate passed the token on */
    uint64_t nfast;                   /* first yields of a wait without a gap (the clock) */
    uint64_t wake_ns;  /* average time from a peer's wake-up call to our running again */
    uint64_t late_ns;  /* that time for the open gap's last sleep (0: none measured) */
    uint64_t nwakes;   /* such sleeps measured */
} bpi_adapt_t;

/* The sleeps of blocking progress (block, and adaptive's last phase), for the debug log at
 * finalize and the tests: how many, and how many of the core's own poll() over several
 * transports ended with nothing to read (its timeout, or a transport's BPI_TL_POLL_MS). */
typedef struct bpi_sleeps {
    uint64_t n;
    uint64_t polls, polls_idle;
} bpi_sleeps_t;

/* auto's watch over a rank it set spinning (progress.c, progress_auto_watch) */
typedef struct bpi_auto_watch {
    int on;                 /* auto chose spin: watch whether the CPU is shared after all */
    int turned;             /* the watch turned it adaptive: watch whether it is ours again */
    uint64_t from_ns;       /* the window: since when (0: none yet), */
    long from_switched;     /* the involuntary switches then, */
    uint64_t from_cpu_ns;   /* and the CPU time this thread had used (turned: had run, */
    uint64_t from_delay_ns; /* and had waited to run) */
    uint64_t sleep_from_ns; /* no sleep before (BPI_TL_SLEEP_GRACE_NS after turning) */
} bpi_auto_watch_t;

struct bpi_hcoll; /* coll_shm.c: the shared-memory collectives of a one-host job */

struct bp_context {
    int rank;
    int size;
    int progress_mode; /* BPI_PROGRESS_SPIN, _BLOCK or _ADAPTIVE (auto is resolved) */
    int handoff;       /* adaptive on a one-host job: CPU hand-off (coll_shm.c) */
    int nlocal;        /* ranks on this host, this one included */
    bpi_adapt_t adapt;
    bpi_auto_watch_t watch;
    bpi_sleeps_t sleeps;
    struct bpi_hcoll *hcoll; /* NULL: collectives over messages */

    bpi_ctx_tl_t tls[BPI_TL_MAX]; /* opened, in order of preference */
    unsigned ntl;
    bpi_ctx_tl_t *active[BPI_TL_MAX]; /* those in use, polled by progress */
    unsigned nactive;
    bpi_peer_t *peers;

    bpi_list_t posted;      /* posted receives, in posting order */
    bpi_list_t unexp;       /* unexpected messages, in arrival order */
    bpi_list_t sendq_peers; /* peers with queued sends */

    bpi_list_t req_free;    /* pool of requests (linked through link) */
    void *req_chunks;       /* the pool's allocations */
    bpi_list_t unexp_free;  /* pool of small unexpected buffers */
    uint64_t barrier_epoch;
    /* bp_set_coll_hook: called by bpi_idle while a collective waits (in_coll) */
    void (*coll_hook)(void *arg);
    void *coll_hook_arg;
    int in_coll;
    uint64_t last_liveness_ns;
    int nfailed; /* peers found dead: any-source receives and collectives fail from then on */
    uint32_t liveness_ticks; /* polls through bp_test / bp_progress (bpi_liveness_tick) */
    int finalizing; /* in bp_finalize: peers may now leave without having failed */

    /* rendezvous: messages in flight, by id (see rndv.c) */
    struct bpi_rndv_slot *rndv;
    uint32_t rndv_cap;
    uint32_t rndv_free;  /* first free slot + 1, 0 if none */

    uint8_t *same_host; /* per rank: 1 on this host (bpi_tl_params_t.same_host) */
    unsigned nlanes_on; /* transports in active only as bulk lanes (lane.c) */
    uint64_t streams[2]; /* rendezvous streams sent: [0] with the messages, [1] by lane */

    bpi_config_t config;
    bpi_boot_t *boot;
};

/* context.c: the business card, checked as it comes from other processes */
bp_status_t bpi_card_check(const bpi_card_hdr_t *hellos, int size, int rank);
const bpi_card_tl_t *bpi_card_find(const char *card, const char *name);

/* A request is done, with this status (inline: every arrival ends here). */
static inline void bpi_req_complete(bp_request_t *req, bp_status_t status)
{
    req->status = status;
    req->done = 1;
}

/* match.c: the arrival callback and the queues */
void bpi_core_recv_cb(void *arg, const bpi_wire_hdr_t *hdr, const void *payload);
void bpi_recv_post(bp_context_t *ctx, bp_request_t *req);
bpi_unexp_t *bpi_unexp_find(bp_context_t *ctx, int src, uint64_t tag, uint64_t ignore,
                            uint8_t flags);
void bpi_unexp_pool_free(bp_context_t *ctx);

/* request.c */
/* What a request points to when the caller gave NULL (zero bytes): arithmetic on a NULL
 * pointer, even + 0, is undefined (clang's UBSan found it: fuzz/fuzz_frames.c). Set once
 * per request, never per frame. */
extern char bpi_nobuf[1];
static inline char *bpi_buf(const void *buf)
{
    return buf != NULL ? (char *)buf : bpi_nobuf;
}
bp_request_t *bpi_req_get(bp_context_t *ctx);
void bpi_req_put(bp_request_t *req);
void bpi_req_pool_free(bp_context_t *ctx);
bp_status_t bpi_send_start(bp_context_t *ctx, bp_request_t *req);
bp_status_t bpi_isend(bp_context_t *ctx, const void *buf, size_t len, int dest, uint64_t tag,
                      uint8_t flags, bp_request_t **req_p);
bp_status_t bpi_irecv(bp_context_t *ctx, void *buf, size_t len, int src, uint64_t tag,
                      uint64_t ignore, uint8_t flags, bp_request_t **req_p);

/* lane.c */
bp_status_t bpi_lane_connect(bp_context_t *ctx, int rank, unsigned main_tl, const char *card);
void bpi_lane_hold(bp_context_t *ctx, bp_request_t *req, bpi_peer_t *peer);
void bpi_lane_drop(bp_context_t *ctx, bp_request_t *req);
void bpi_lane_settle(bp_context_t *ctx);

/* rndv.c */
typedef struct bpi_rndv_slot {
    bp_request_t *req;
    uint32_t gen;       /* bumped on every reuse: a stale or forged id finds nothing */
    uint32_t next_free; /* free list: next free slot + 1 */
} bpi_rndv_slot_t;

bp_status_t bpi_rndv_send_start(bp_context_t *ctx, bp_request_t *req);
void bpi_rndv_recv_start(bp_context_t *ctx, bp_request_t *req, int src,
                         const bpi_wire_rts_t *rts);
void bpi_rndv_frame(bp_context_t *ctx, const bpi_wire_hdr_t *hdr, const void *payload);
int bpi_rndv_place(void *arg, const bpi_wire_hdr_t *hdr, size_t got, void **dest_p,
                   size_t *room_p);
void bpi_rndv_fail_peer(bp_context_t *ctx, int rank, bp_status_t status, unsigned *nfailed_p);
void bpi_rndv_release(bp_context_t *ctx, bp_request_t *req);
void bpi_rndv_free(bp_context_t *ctx);
bp_status_t bpi_send_push(bp_context_t *ctx, bpi_peer_t *peer, bp_request_t *req);
void bpi_send_enqueue(bp_context_t *ctx, bpi_peer_t *peer, bp_request_t *req);

/* progress.c */
unsigned bpi_progress(bp_context_t *ctx);
void bpi_sendq_progress(bp_context_t *ctx);
bp_status_t bpi_wait_req(bp_context_t *ctx, bp_request_t *req);
/* One per wait, zeroed at its start: the first bpi_idle of a wait opens a new idle gap. */
typedef struct bpi_idle {
    uint32_t spins;
    bpi_peer_t *take;    /* a receive's sender whose next frame the wait takes in place, */
    bp_request_t *req;   /* into this receive (bpi_wait_req), or NULL */
    int peer1;     /* 1 + the one rank a receive waits for, 0 when any or none (hand-off) */
    uint32_t sync; /* the one-host sync a collective waits for, 0 when none (hand-off) */
    int cpu1;      /* 1 + the CPU a gap of this wait started on with the hand-off on, or 0 */
    int spinning;  /* the last step spun for the hand-off */
    int yielded;   /* a step of this gap yielded or parked: the kernel picked us since */
    int mate1;     /* 1 + the CPU-mate nearest ahead of us on our own chain (the board's
                    * last look), or 0 */
    int mated;     /* the board's last look found a CPU-mate, a rank of the job that last
                    * waited on our CPU */
    int fast;      /* the wait's first step yielded without a gap (progress_first_yield) */
} bpi_idle_t;
void bpi_idle(bp_context_t *ctx, bpi_idle_t *idle);
/* params.woke: a sleep that a peer's wake-up ended ran again late_ns after it */
void bpi_progress_woke(void *arg, uint64_t late_ns);
/* A wait ended without a frame arriving (a collective's shared word): close the gap. */
void bpi_idle_gap_end(bp_context_t *ctx);
/* bp_init: resolve BP_PROGRESS (auto: from the hello cards) and say why (debug log). */
void bpi_progress_resolve(bp_context_t *ctx, const bpi_card_hdr_t *hellos);
const char *bpi_progress_name(int mode);
void bpi_progress_report(bp_context_t *ctx);
void bpi_progress_describe(const bpi_config_t *cfg, char *buf, size_t len);
void bpi_peer_fail(bp_context_t *ctx, int peer);
/* A poll (bp_test, bp_iprobe, bp_progress) that found nothing done: every 1024th also
 * looks at failed and dead peers (progress.c); inline, so the other 1023 cost no call. */
void bpi_liveness_slow(bp_context_t *ctx);
void bpi_liveness_now(bp_context_t *ctx);
static inline void bpi_liveness_tick(bp_context_t *ctx)
{
    if (BP_UNLIKELY((++ctx->liveness_ticks & 0x3ff) == 0)) {
        bpi_liveness_slow(ctx);
    }
}
int bpi_peer_fail_hits(const bp_context_t *ctx, int src, uint8_t flags);
void bpi_cancel_all(bp_context_t *ctx);

/* coll_shm.c: collectives through one shared segment when every rank is on this host */
bp_status_t bpi_hcoll_create(bp_context_t *ctx);
bp_status_t bpi_hcoll_attach(bp_context_t *ctx);
void bpi_hcoll_ready(bp_context_t *ctx);
void bpi_hcoll_free(bp_context_t *ctx);
int bpi_hcoll_pending(void *arg);
/* CPU hand-off (ctx->handoff): a send marks its receiver as having work, and so does a rank
 * itself when it leaves a wait that went idle (back to the program); a gap publishes our CPU
 * and clears our mark (returns the CPU); may this wait spin rather than give up its CPU? */
void bpi_hcoll_hand_mark(bp_context_t *ctx, int dest);
void bpi_hcoll_hand_busy(bp_context_t *ctx);
int bpi_hcoll_hand_gap(bp_context_t *ctx, const bpi_idle_t *idle);
#define BPI_HCOLL_LINE 64
/*
 * The hand-off board (coll_shm.c). A rank's changing part of it, a cache line each,
 * written by the rank (and `need` by its senders) and read by its CPU-mates. One line for
 * all ranks' marks made every write by a rank on one CPU take the line from the ranks
 * spinning on the other, whose every step reads it: a sender marking its receiver stalled
 * the receiver's next look at its ring. Now a spinning rank reads only its CPU-mates'
 * lines, which stay put.
 */
typedef struct bpi_hcoll_hand {
    alignas(BPI_HCOLL_LINE) _Atomic uint32_t sync; /* the last sync it reached */
    _Atomic uint8_t need;                          /* has work (see above) */
    _Atomic int32_t wait; /* in a gap: 1 + the one rank it waits for, 0 when any or none */
    _Atomic int32_t parked; /* 1 + a CPU-mate that sleeps until this rank passes the token
                             * on (bpi_hcoll_hand_park), or 0 */
    _Atomic uint8_t asleep; /* sleeps on the transports (a park, or adaptive's last phase) */
} bpi_hcoll_hand_t;

_Static_assert(sizeof(bpi_hcoll_hand_t) == BPI_HCOLL_LINE, "one line per rank");
/* The board as a look reads it: in the segment (bpi_hcoll_hand_spin), or in plain memory
 * (tests/core/hand_look.c) */
typedef struct bpi_hand_board {
    const _Atomic int32_t *cpu;   /* per rank: the CPU it last waited on, -1: not attached */
    const bpi_hcoll_hand_t *hand; /* per rank: its line */
    int n, me;                    /* ranks, and the looking one */
} bpi_hand_board_t;
/* What a waiting rank does with its CPU (bpi_hand_look, bpi_hcoll_hand_spin) */
enum {
    BPI_HAND_BUSY,  /* a rank of this CPU has work, or has yet to arrive: yield, then sleep */
    BPI_HAND_YIELD, /* every rank of this CPU waits, one of them nearer the token: yield */
    BPI_HAND_SPIN,  /* every rank of this CPU waits, none nearer the token than we are:
                     * spin, if we wait for one rank on another CPU or for a sync of the job */
};
/* How much of the board bpi_hcoll_hand_spin reads */
enum {
    BPI_HAND_LOOK_ALL,   /* everything (BPI_HAND_BUSY, _YIELD and _SPIN are exact) */
    BPI_HAND_LOOK_QUICK, /* the caller yields unless told to spin: a rank of this CPU
                          * nearer the token on our own chain ends the look (BPI_HAND_YIELD,
                          * though another may be busy) */
    BPI_HAND_LOOK_MATES, /* the last step spun: only whether a rank of this CPU got work
                          * or has yet to arrive (BPI_HAND_BUSY), else BPI_HAND_SPIN */
};
int bpi_hand_look(const bpi_hand_board_t *b, bpi_idle_t *idle, int look);
/* Is every CPU-mate of ours (a rank other than us that last waited on `cpu`) asleep, or is
 * there none? Then were we to sleep too, nothing of the job would run on our CPU. */
int bpi_hand_lone(const bpi_hand_board_t *b, int cpu);
int bpi_hcoll_hand_lone(bp_context_t *ctx, const bpi_idle_t *idle); /* our board */
/* Our `asleep`, around a sleep of adaptive's (bpi_hand_lone reads it) */
void bpi_hcoll_hand_asleep(bp_context_t *ctx, int asleep);
int bpi_hcoll_hand_spin(bp_context_t *ctx, bpi_idle_t *idle, int look); /* our board */
/* Sleep in the token's order: the caller's next sleep (progress_sleep) lasts until CPU-mate
 * `mate` passes the token on (its next gap wakes us), or until anything that ends a sleep */
void bpi_hcoll_hand_park(bp_context_t *ctx, int mate);
void bpi_hcoll_hand_unpark(bp_context_t *ctx);
static inline void bpi_hand_sent(bp_context_t *ctx, int dest)
{
    if (BP_UNLIKELY(ctx->handoff)) {
        bpi_hcoll_hand_mark(ctx, dest);
    }
}
/* The end of every wait that calls bpi_idle. */
static inline void bpi_idle_end(bp_context_t *ctx, const bpi_idle_t *idle)
{
    if (BP_UNLIKELY(idle->cpu1 != 0)) {
        bpi_hcoll_hand_busy(ctx);
    }
}
bp_status_t bpi_hcoll_barrier(bp_context_t *ctx);
/* BP_ERR_NOTSUP: too large for the segment, use messages */
bp_status_t bpi_hcoll_bcast(bp_context_t *ctx, void *buf, size_t len, int root);
bp_status_t bpi_hcoll_allreduce(bp_context_t *ctx, const void *sendbuf, void *recvbuf,
                                size_t count, bp_dtype_t dtype, bp_op_t op);
/* coll.c */
/* The tags of the collectives' internal messages: kind (top byte), epoch, round. */
enum {
    BPI_COLL_BARRIER = 0, /* tag (epoch << 8) | round, as before the other kinds came */
    BPI_COLL_BCAST = 1,
    BPI_COLL_REDUCE = 2,
    BPI_COLL_GROUP = 3, /* bp_group_create (coll_shm.c): epoch is the caller's key */
};
/* A public collective's call, with in_coll raised: bpi_idle calls the layer above's hook
 * (bp_set_coll_hook) only then, never inside a point-to-point wait. */
#define BPI_IN_COLL(ctx, status, call)                                                         \
    do {                                                                                       \
        (ctx)->in_coll++;                                                                      \
        (status) = (call);                                                                     \
        (ctx)->in_coll--;                                                                      \
    } while (0)
static inline uint64_t bpi_coll_tag(int kind, uint64_t epoch, int round)
{
    return ((uint64_t)kind << 56) | ((epoch & 0xffffffffffull) << 8) | (uint64_t)round;
}
size_t bpi_dtype_size(bp_dtype_t dtype);
/* The size of an element of dtype when op applies to it, else 0 (logged as `what`'s error). */
size_t bpi_reduce_esize(bp_dtype_t dtype, bp_op_t op, const char *what);
void bpi_reduce(void *acc, const void *in, size_t count, bp_dtype_t dtype, bp_op_t op);

static inline int bpi_match(int want_src, uint64_t want_tag, uint64_t ignore, uint8_t want_flags,
                            int src, uint64_t tag, uint8_t flags)
{
    return (want_src == src || want_src == BP_ANY_SOURCE) &&
           ((want_tag ^ tag) & ~ignore) == 0 && want_flags == flags;
}

#endif
