/*
 * coll_shm.c - collectives through one shared segment ("host collectives", hcoll), used
 * when every rank of the job is on this host and reaches every other through a transport
 * that can wake it (ep_wake: shm). As Open MPI's coll/sm and MPICH's release/gather do,
 * a barrier is one step instead of the log2(n) rounds of messages of coll.c:
 *
 *   - sync (barrier, and the second half of allreduce): each rank adds one to `count`;
 *     the rank that brings it to n is the last, resets it and publishes the sync's
 *     sequence number in `gen`; the others wait for `gen`. A counter rather than a flag per
 *     rank polled by one gatherer: nobody waits for one particular rank to be scheduled
 *     (with more ranks than CPUs that rank may be asleep), and only the last one wakes the
 *     sleepers;
 *   - bcast (up to BPI_HCOLL_BCAST_MAX bytes): the root copies into one of two buffers and
 *     publishes the bcast's number in `bgen`; readers copy out and count themselves in
 *     `bdone` of that buffer. A root reuses a buffer only once every reader of the bcast
 *     before the last is counted, so it seldom waits (and says so in `bwaiter`, so that
 *     the readers it waits for, of another root's bcast, know whom to wake);
 *   - allreduce (up to BPI_HCOLL_AR_MAX bytes per rank): every rank copies its data into
 *     its own slot, syncs, then reduces all slots in rank order itself (the result is the
 *     same, bit for bit, on every rank). Two sets of slots, used in turn: a rank writes
 *     the slots of allreduce k+2 only after the sync of k+1, which every rank reached after
 *     reading the slots of k.
 *
 * These words and buffers make a channel. Channel 0 is the job's; the other 31 are lent to
 * groups (bp_group_create: the same collectives among some of the ranks, an MPI layer's
 * sub-communicators), each with counters of its own, since groups of different members
 * run their collectives in no common order. Member 0 of a new group claims a free channel
 * in the header's bitmap and tells the others which in a message; the last member to free
 * the group zeroes the channel and gives it back. A group's sync leaves the hand-off
 * below out (docs/PERFORMANCE.md says what including it measured).
 *
 * Waiting is the progress engine's (bpi_idle): spin, yield or sleep as BP_PROGRESS says,
 * polling the transports meanwhile so point-to-point traffic keeps moving. A sleeper
 * sleeps in the shm transport's futex; its last look before sleeping asks the core
 * (bpi_hcoll_pending) whether the word it waits for has moved, and every writer of such a
 * word calls the transport's ep_wake for the ranks that may wait for it: the same
 * announce/fence/look handshake as a message, so no wake-up is lost.
 *
 * CPU hand-off (adaptive progress, ctx->handoff): with more ranks than CPUs, a yield hands
 * the CPU to whichever process the scheduler picks, often another waiter that yields it on
 * again. The segment's board says, per rank, the CPU it last waited on (hand_cpu; until its
 * first wait, the one it attached on) and whether it has work (need: set by every send
 * to it and by the rank itself when a wait of its that went idle ends, cleared when it next
 * goes idle). A receive that waits for one sender on another CPU, while every rank of its
 * own CPU is idle with nothing sent to it, spins instead of yielding (bounded per gap,
 * BPI_ADAPT_HAND_NS): yielding would only run ranks with nothing to do, and the message
 * finds its receiver running. Once a rank of this CPU is marked, the yield goes to it, and
 * so it does when a rank of this CPU is nearer the token (wait: whom each waiting rank
 * waits for; hcoll_hand_walk counts the hops to a rank with work), so that the CPU changes
 * hands while the other CPU still passes the token on. A
 * sync (barrier, allreduce) spins the same way once every rank of its CPU has arrived
 * (sync: the last sync each rank reached): what it waits for runs elsewhere.
 * With bprun's round-robin binding (neighbours on different CPUs), a token passing between
 * neighbours then finds each receiver running, its switch made during the hop before
 * (docs/PERFORMANCE.md, "Oversubscribed"). The board is advice: a stale entry costs a
 * yield too many or a bounded spin, never a lost message.
 *
 * Order. A yield does not say to whom: the kernel (EEVDF) runs the yielders of a CPU in the
 * order they last yielded, so their turns go round a cycle that rotates but never changes
 * its order. When that cycle is not the token's (ranks 0, 4, 2, 6 on a CPU, the token going
 * 0, 2, 4, 6), every hop waits for two or three yields instead of one, for the whole run.
 * So a rank the kernel runs again after a yield, whose look at the board finds a CPU-mate
 * on its own chain (nearer the token, still to run), parks instead of yielding:
 * it names itself in that mate's `parked` and sleeps as a blocking wait does (the mate's
 * word is part of the last look, bpi_hcoll_pending, so no wake-up is lost); the mate, in
 * its next gap (it has passed the token on), wakes it, and yields. The parked rank leaves
 * the cycle and comes back right behind the mate, where the token's order wants it. A few
 * parks put a cycle right, and it then stays right: with 8 ranks on 2 CPUs, 0.2-2% of gaps
 * park, and a rank yields once per lap (docs/PERFORMANCE.md). A rank past its yields that
 * would sleep parks too, if such a mate is ahead of it: the mate wakes it a hop or more
 * before its message comes, where a plain sleep would make the message's sender pay the
 * wake-up on the token's path. Once woken, the rank is next on its CPU: the hand-off's
 * spin window starts again there (adaptive's hand_from_ns), not at the start of its gap,
 * which with many ranks a CPU is long past. A parked rank is woken as any sleeper is by a
 * message to it, and its sleep has the blocking timeout: a mate that never passes the
 * token on costs a wake-up, never a hang.
 *
 * Life of the segment, /dev/shm/bp-<jobkey>-coll-<pid>-<pidns> (mode 0600): rank 0 creates it before the
 * address round of bp_init, the others open it after that round, and rank 0 unlinks it
 * after the start-up fence (every rank has mapped it by then): as for the shm transport's
 * segments, a killed job leaves nothing behind (and bprun removes bp-<jobkey>-* names).
 */
#define _GNU_SOURCE /* sched_getcpu */
#include <dirent.h>
#include <errno.h>
#include <sched.h>
#include <fcntl.h>
#include <limits.h>
#include <stdalign.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/core.h"

#define BPI_HCOLL_MAGIC 0x4250434fu /* "BPCO" */
#define BPI_HCOLL_VERSION 5
#define BPI_HCOLL_HDR_BYTES 4096
#define BPI_HCOLL_BCAST_MAX 4096 /* bytes of one bcast through the segment */
#define BPI_HCOLL_AR_MAX 1024    /* bytes of one rank's allreduce data through it */
#define BPI_HCOLL_HAND_MAX 256   /* ranks of a job with a hand-off board */
#define BPI_HCOLL_CHANS 32       /* channel 0: the job; the others: bp_group_create */
#define BPI_HCOLL_HAND_HOPS 16   /* the farthest a hand-off looks along the chain of waits */

/* The segment's first page; each word that ranks wait on has its own cache line. */
typedef struct bpi_hcoll_seg {
    uint32_t magic;
    uint32_t version;
    uint64_t jobkey;
    int32_t size;
    uint32_t reserved;
    uint64_t seg_size;
    alignas(BPI_HCOLL_LINE) _Atomic uint32_t chan_used; /* bit c: channel c has a group */
    /* the hand-off board: CPU each rank last waited on (-1: not attached); the rest of
     * each rank's entry is its bpi_hcoll_hand_t after this page */
    alignas(BPI_HCOLL_LINE) _Atomic int32_t hand_cpu[BPI_HCOLL_HAND_MAX];
} bpi_hcoll_seg_t;

static_assert(sizeof(bpi_hcoll_seg_t) <= BPI_HCOLL_HDR_BYTES, "header fits its page");

/*
 * A channel: the words and buffers of one sequence of collectives among a fixed set of
 * ranks. Channel 0 is the job's (bp_barrier, bp_bcast, bp_allreduce); the others are lent
 * to groups (bp_group_create) and given back, zeroed, by the last member to free its
 * group. Its bcast buffers and allreduce slots follow it.
 */
typedef struct bpi_hcoll_chan {
    alignas(BPI_HCOLL_LINE) _Atomic uint64_t count; /* arrivals at the current sync */
    alignas(BPI_HCOLL_LINE) _Atomic uint64_t gen;   /* syncs completed */
    alignas(BPI_HCOLL_LINE) _Atomic uint64_t bgen;  /* bcasts posted */
    uint64_t blen[2];                               /* length of each buffer's bcast */
    alignas(BPI_HCOLL_LINE) _Atomic uint64_t bdone[2][BPI_HCOLL_LINE / 8]; /* reads, [p][0] */
    alignas(BPI_HCOLL_LINE) _Atomic int32_t bwaiter; /* 1 + a root (job rank) waiting for
                                                        bdone, or 0 */
    alignas(BPI_HCOLL_LINE) _Atomic uint32_t left;   /* members that freed the group */
} bpi_hcoll_chan_t;

/*
 * This process's view of a channel: the job's, or a group's (bp_group_t). The counters are
 * this member's own: every member goes through the same sequence, so they agree.
 */
struct bp_group {
    bp_context_t *ctx;
    bpi_hcoll_chan_t *chan;
    int idx;          /* the channel */
    int n, me;        /* members, and this rank's index among them */
    int *ranks;       /* member -> rank of the job; NULL: the job itself (the identity) */
    uint64_t sseq;    /* syncs done (the next one publishes sseq + 1) */
    uint64_t bseq;    /* bcasts done */
    uint64_t aseq;    /* allreduces done */
    char *bdata[2];
    char *adata[2];   /* n slots of BPI_HCOLL_AR_MAX bytes each */
    struct bp_group *next; /* the context's live groups, freed by bp_finalize if need be */
};

/* This process's view. */
struct bpi_hcoll {
    bpi_hcoll_seg_t *seg;
    size_t seg_size;
    char name[48];
    int creator;  /* rank 0: created the name, unlinks it */
    int unlinked;
    bpi_hcoll_hand_t *hand; /* size entries, after the header page */
    struct bp_group job;    /* channel 0 */
    struct bp_group *groups;
    /* what the current wait watches: bpi_hcoll_pending reads it */
    _Atomic uint64_t *watch;
    uint64_t watch_val;
    /* a parked wait (bpi_hcoll_hand_park): the word its CPU-mate clears on passing the
     * token on, and what it holds until then; bpi_hcoll_pending reads it too */
    _Atomic int32_t *park;
    int32_t park_val;
};

/* The board's lines: after the header page. */
static bpi_hcoll_hand_t *hcoll_board(bpi_hcoll_seg_t *seg)
{
    return (bpi_hcoll_hand_t *)((char *)seg + BPI_HCOLL_HDR_BYTES);
}

/* A channel and its buffers, sized for the whole job (a group has at most its ranks). */
static size_t hcoll_chan_bytes(int size)
{
    return sizeof(bpi_hcoll_chan_t) + 2 * (size_t)BPI_HCOLL_BCAST_MAX +
           2 * (size_t)size * BPI_HCOLL_AR_MAX;
}

/* The channels are far larger than what most jobs touch: the file is sparse, and tmpfs
 * gives a page only when a rank first writes it. */
static size_t hcoll_seg_size(int size)
{
    return BPI_HCOLL_HDR_BYTES + (size_t)size * sizeof(bpi_hcoll_hand_t) +
           BPI_HCOLL_CHANS * hcoll_chan_bytes(size);
}

/* Point g at channel idx of seg, as member me of n (ranks: their ranks in the job). */
static void hcoll_view(struct bp_group *g, bp_context_t *ctx, int idx, int n, int me, int *ranks)
{
    bpi_hcoll_seg_t *seg = ctx->hcoll->seg;
    char *c = (char *)hcoll_board(seg) + (size_t)seg->size * sizeof(bpi_hcoll_hand_t) +
              (size_t)idx * hcoll_chan_bytes(seg->size);

    memset(g, 0, sizeof(*g));
    g->ctx = ctx;
    g->chan = (bpi_hcoll_chan_t *)c;
    g->idx = idx;
    g->n = n;
    g->me = me;
    g->ranks = ranks;
    g->bdata[0] = c + sizeof(bpi_hcoll_chan_t);
    g->bdata[1] = g->bdata[0] + BPI_HCOLL_BCAST_MAX;
    g->adata[0] = g->bdata[1] + BPI_HCOLL_BCAST_MAX;
    g->adata[1] = g->adata[0] + (size_t)n * BPI_HCOLL_AR_MAX;
}

/* Member i's rank in the job. */
static inline int hcoll_rank(const struct bp_group *g, int i)
{
    return g->ranks != NULL ? g->ranks[i] : i;
}

/*
 * /bp-<jobkey>-coll-<creator pid>-<its pid namespace>: the creator's pid, as in the shm
 * transport's segment names, so that a later bp_init sweeps the name of a job killed during
 * start-up (src/transport/shm/shm_iface.c, shm_sweep_stale). The other ranks find it by its
 * prefix.
 */
static void hcoll_name(char *buf, size_t len, uint64_t jobkey)
{
    struct stat st;
    uint32_t ns = stat("/proc/self/ns/pid", &st) == 0 ? (uint32_t)st.st_ino : 0;

    snprintf(buf, len, "/bp-%016llx-coll-%d-%08x", (unsigned long long)jobkey, (int)getpid(),
             ns);
}

/* The creator's name, found by its prefix; 0, or -1 when there is none. */
static int hcoll_find(char *buf, size_t len, uint64_t jobkey)
{
    char prefix[48];
    struct dirent *de;
    DIR *dir = opendir("/dev/shm");
    int found = -1;

    if (dir == NULL) {
        return -1;
    }
    snprintf(prefix, sizeof(prefix), "bp-%016llx-coll-", (unsigned long long)jobkey);
    while (found != 0 && (de = readdir(dir)) != NULL) {
        if (strncmp(de->d_name, prefix, strlen(prefix)) == 0 &&
            strlen(de->d_name) + 2 <= len) {
            snprintf(buf, len, "/%s", de->d_name);
            found = 0;
        }
    }
    closedir(dir);
    return found;
}

static void hcoll_unmap(bp_context_t *ctx)
{
    struct bpi_hcoll *hc = ctx->hcoll;

    ctx->handoff = 0;
    if (hc == NULL) {
        return;
    }
    while (hc->groups != NULL) { /* not freed by the program: the segment goes anyway */
        struct bp_group *g = hc->groups;
        hc->groups = g->next;
        free(g->ranks);
        free(g);
    }
    if (hc->creator && !hc->unlinked) {
        shm_unlink(hc->name);
    }
    if (hc->seg != NULL) {
        munmap(hc->seg, hc->seg_size);
    }
    free(hc);
    ctx->hcoll = NULL;
}

/* Rank 0 of a one-host job: create the segment before anyone looks for it. */
bp_status_t bpi_hcoll_create(bp_context_t *ctx)
{
    struct bpi_hcoll *hc;
    bpi_hcoll_seg_t *seg;
    size_t size = hcoll_seg_size(ctx->size);
    void *mem;
    int fd;

    if (ctx->rank != 0 || ctx->size < 2 || ctx->nlocal != ctx->size) {
        return BP_OK;
    }
    hc = calloc(1, sizeof(*hc));
    if (hc == NULL) {
        bpi_log_error("out of memory");
        return BP_ERR_NOMEM;
    }
    hcoll_name(hc->name, sizeof(hc->name), ctx->boot->jobkey);
    fd = shm_open(hc->name, O_RDWR | O_CREAT | O_EXCL, 0600);
    if (fd < 0) {
        bpi_log_error("collectives: shm_open %s: %s", hc->name, strerror(errno));
        free(hc);
        return BP_ERR_SYS;
    }
    hc->creator = 1;
    ctx->hcoll = hc;
    if (ftruncate(fd, (off_t)size) != 0) {
        bpi_log_error("collectives: ftruncate %s to %zu bytes: %s", hc->name, size,
                      strerror(errno));
        close(fd);
        hcoll_unmap(ctx);
        return BP_ERR_SYS;
    }
    mem = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    close(fd);
    if (mem == MAP_FAILED) {
        bpi_log_error("collectives: mmap %s (%zu bytes): %s", hc->name, size, strerror(errno));
        hcoll_unmap(ctx);
        return BP_ERR_SYS;
    }
    /* a new file is zero-filled: every counter starts at 0 */
    seg = mem;
    seg->magic = BPI_HCOLL_MAGIC;
    seg->version = BPI_HCOLL_VERSION;
    seg->jobkey = ctx->boot->jobkey;
    seg->size = ctx->size;
    seg->seg_size = size;
    seg->chan_used = 1; /* channel 0: the job's */
    for (int r = 0; r < BPI_HCOLL_HAND_MAX; r++) {
        seg->hand_cpu[r] = -1;
    }
    for (int r = 0; r < ctx->size; r++) {
        atomic_init(&hcoll_board(seg)[r].need, 1); /* busy until its first idle gap */
    }
    hc->seg = seg;
    hc->seg_size = size;
    return BP_OK;
}

/* Every peer reached by a transport that can wake it, so a sleeper sees the segment move. */
static int hcoll_wakeable(const bp_context_t *ctx, int *why_rank_p)
{
    for (int r = 0; r < ctx->size; r++) {
        if (r != ctx->rank && (ctx->peers[r].tl->ep_wake == NULL ||
                               ctx->peers[r].tl->ep_wake == bpi_tl_notsup_ep_wake)) {
            *why_rank_p = r;
            return 0;
        }
    }
    return 1;
}

/* After connect, before the fence: every rank maps the segment (or all agree not to). */
bp_status_t bpi_hcoll_attach(bp_context_t *ctx)
{
    struct bpi_hcoll *hc = ctx->hcoll;
    bpi_hcoll_seg_t *seg;
    struct stat st;
    int rank = -1;
    void *mem;
    int fd;

    if (ctx->size < 2) {
        return BP_OK;
    }
    if (ctx->nlocal != ctx->size) {
        bpi_log_debug("collectives: through messages (%d of %d ranks on this host)",
                      ctx->nlocal, ctx->size);
        return BP_OK;
    }
    if (!hcoll_wakeable(ctx, &rank)) {
        /* every rank of the host sees the same transports: all decide alike */
        bpi_log_debug("collectives: through messages (rank %d is reached through %s)", rank,
                      ctx->peers[rank].tl->name);
        hcoll_unmap(ctx);
        return BP_OK;
    }
    if (hc == NULL) {
        hc = calloc(1, sizeof(*hc));
        if (hc == NULL) {
            bpi_log_error("out of memory");
            return BP_ERR_NOMEM;
        }
        ctx->hcoll = hc;
        fd = hcoll_find(hc->name, sizeof(hc->name), ctx->boot->jobkey) == 0
                 ? shm_open(hc->name, O_RDWR, 0)
                 : (errno = ENOENT, -1);
        if (fd < 0) {
            bpi_log_error("collectives: shm_open %s: %s", hc->name, strerror(errno));
            hcoll_unmap(ctx);
            return BP_ERR_SYS;
        }
        if (fstat(fd, &st) != 0 || (size_t)st.st_size != hcoll_seg_size(ctx->size)) {
            bpi_log_error("collectives: segment %s has %lld bytes, expected %zu", hc->name,
                          (long long)st.st_size, hcoll_seg_size(ctx->size));
            close(fd);
            hcoll_unmap(ctx);
            return BP_ERR_PROTO;
        }
        mem = mmap(NULL, (size_t)st.st_size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
        close(fd);
        if (mem == MAP_FAILED) {
            bpi_log_error("collectives: mmap %s: %s", hc->name, strerror(errno));
            hcoll_unmap(ctx);
            return BP_ERR_SYS;
        }
        hc->seg = mem;
        hc->seg_size = (size_t)st.st_size;
    }
    seg = hc->seg;
    if (seg->magic != BPI_HCOLL_MAGIC || seg->version != BPI_HCOLL_VERSION ||
        seg->jobkey != ctx->boot->jobkey || seg->size != ctx->size) {
        bpi_log_error("collectives: segment %s is foreign (magic %#x version %u size %d)",
                      hc->name, seg->magic, seg->version, seg->size);
        hcoll_unmap(ctx);
        return BP_ERR_PROTO;
    }
    hc->hand = hcoll_board(seg);
    hcoll_view(&hc->job, ctx, 0, ctx->size, ctx->rank, NULL);
    ctx->handoff = ctx->progress_mode == BPI_PROGRESS_ADAPTIVE &&
                   ctx->size <= BPI_HCOLL_HAND_MAX;
    if (ctx->handoff) {
        /* our CPU from the start (the creator wrote -1 before any rank attached): a rank
         * that computes before it ever waits is still seen as its CPU-mates' neighbour */
        atomic_store_explicit(&seg->hand_cpu[ctx->rank], sched_getcpu(), memory_order_relaxed);
    }
    bpi_log_debug("collectives: through shared memory, segment %s (%zu bytes); CPU hand-off "
                  "%s", hc->name, hc->seg_size,
                  ctx->handoff                                  ? "on"
                  : ctx->progress_mode != BPI_PROGRESS_ADAPTIVE ? "off (not adaptive progress)"
                                                                : "off (too many ranks)");
    return BP_OK;
}

/* After the fence: every rank has mapped it; the name is no longer needed. */
void bpi_hcoll_ready(bp_context_t *ctx)
{
    struct bpi_hcoll *hc = ctx->hcoll;

    if (hc != NULL && hc->creator && !hc->unlinked) {
        if (shm_unlink(hc->name) != 0) {
            bpi_log_warn("collectives: shm_unlink %s: %s", hc->name, strerror(errno));
        }
        hc->unlinked = 1;
    }
}

void bpi_hcoll_free(bp_context_t *ctx)
{
    hcoll_unmap(ctx);
}

/* The transport's last look before sleeping (params.pending): has our word moved? */
int bpi_hcoll_pending(void *arg)
{
    bp_context_t *ctx = arg;
    struct bpi_hcoll *hc = ctx->hcoll;

    return hc != NULL &&
           ((hc->watch != NULL &&
             atomic_load_explicit(hc->watch, memory_order_acquire) >= hc->watch_val) ||
            (hc->park != NULL && atomic_load_explicit(hc->park, memory_order_acquire) !=
                                     hc->park_val));
}

/* After a store others may wait for: wake those that sleep (the transport fences first). */
static void hcoll_wake(bp_context_t *ctx, int rank)
{
    ctx->peers[rank].tl->ep_wake(ctx->peers[rank].ep);
}

BP_HOT void bpi_hcoll_hand_mark(bp_context_t *ctx, int dest)
{
    _Atomic uint8_t *need = &ctx->hcoll->hand[dest].need;

    if (atomic_load_explicit(need, memory_order_relaxed) == 0) { /* the line stays shared */
        atomic_store_explicit(need, 1, memory_order_relaxed);
    }
}

BP_HOT void bpi_hcoll_hand_busy(bp_context_t *ctx)
{
    /* a store, not a look first: the sender that ended our wait has usually marked us from
     * its CPU, so the line is there; a load would stall on it, a store does not */
    atomic_store_explicit(&ctx->hcoll->hand[ctx->rank].need, 1, memory_order_relaxed);
}

BP_HOT int bpi_hcoll_hand_gap(bp_context_t *ctx, const bpi_idle_t *idle)
{
    bpi_hcoll_seg_t *seg = ctx->hcoll->seg;
    int cpu = sched_getcpu(); /* from rseq, or the vDSO with rseq off: no system call */
    _Atomic int32_t *wait = &ctx->hcoll->hand[ctx->rank].wait;
    _Atomic int32_t *parked = &ctx->hcoll->hand[ctx->rank].parked;

    /* we have passed the token on: the CPU-mate parked behind us is next on this CPU */
    if (atomic_load_explicit(parked, memory_order_relaxed) != 0) {
        int32_t mate1 = atomic_exchange_explicit(parked, 0, memory_order_seq_cst);
        if (mate1 > 0 && mate1 <= ctx->size) {
            hcoll_wake(ctx, mate1 - 1);
        }
    }

    if (atomic_load_explicit(wait, memory_order_relaxed) != idle->peer1) {
        atomic_store_explicit(wait, idle->peer1, memory_order_relaxed);
    }

    if (atomic_load_explicit(&seg->hand_cpu[ctx->rank], memory_order_relaxed) != cpu) {
        atomic_store_explicit(&seg->hand_cpu[ctx->rank], cpu, memory_order_relaxed);
    }
    _Atomic uint8_t *need = &ctx->hcoll->hand[ctx->rank].need;

    if (atomic_load_explicit(need, memory_order_relaxed) != 0) {
        atomic_store_explicit(need, 0, memory_order_relaxed);
    }
    return cpu;
}

/* Hops until rank r gets the token it waits for: 0 when it has work, then along the ranks
 * each waits for; INT_MAX when the chain ends in a rank waiting for any or none, loops, or
 * runs beyond `limit` hops (a spinning rank asks at every step: the walk stays short).
 * With cpu >= 0, the first rank met (other than `me`) that last waited on that CPU goes to
 * *mate1 (1 + it) and its hops to *mate_d; with `stop`, the walk ends there (INT_MAX,
 * unless that rank has work). */
static int hcoll_hand_walk(const bpi_hand_board_t *b, int r, int limit, int cpu, int stop,
                           int *mate1, int *mate_d)
{
    for (int d = 0; d <= limit; d++) {
        int w;
        if (cpu >= 0 && *mate1 == 0 && r != b->me &&
            atomic_load_explicit(&b->cpu[r], memory_order_relaxed) == cpu) {
            *mate1 = r + 1;
            *mate_d = d;
        }
        if (atomic_load_explicit(&b->hand[r].need, memory_order_relaxed) != 0) {
            return d;
        }
        if (stop && *mate1 != 0) {
            return INT_MAX;
        }
        w = atomic_load_explicit(&b->hand[r].wait, memory_order_relaxed);
        if (w <= 0 || w > b->n) { /* waits for any rank, or for none */
            return INT_MAX;
        }
        r = w - 1;
    }
    return INT_MAX;
}

BP_HOT int bpi_hand_look(const bpi_hand_board_t *b, bpi_idle_t *idle, int look)
{
    int cpu = idle->cpu1 - 1;
    int mine = INT_MAX, how = BPI_HAND_SPIN;

    idle->mate1 = 0;
    idle->mated = 0;
    if (cpu < 0 || (idle->peer1 > 0 && atomic_load_explicit(&b->cpu[idle->peer1 - 1],
                                                            memory_order_relaxed) == cpu)) {
        return BPI_HAND_BUSY; /* the sender needs this CPU (or we do not know ours) */
    }
    /* our own chain, from our sender toward the token: a rank of this CPU on it is nearer
     * the token than we are. A quick look (the caller yields anyway, whether busy or not)
     * stops there: the rest of the walk and the look at every CPU-mate read lines the
     * other CPU has written since, a cache miss each, on every yield of every waiting
     * rank. While we spin, no CPU-mate can come nearer: the look at their marks is enough,
     * and we leave alone the lines of the ranks the token passes on the other CPU, which
     * each of our reads would take from them. */
    if (look != BPI_HAND_LOOK_MATES && idle->peer1 > 0) {
        int mate_d = 0;
        mine = hcoll_hand_walk(b, idle->peer1 - 1, BPI_HCOLL_HAND_HOPS, cpu,
                               look == BPI_HAND_LOOK_QUICK, &idle->mate1, &mate_d);
        if (idle->mate1 != 0) { /* the nearest ahead of us: bpi_hcoll_hand_park */
            idle->mated = 1;
            if (mate_d == mine) {
                return BPI_HAND_BUSY; /* the mate has work */
            }
            if (look == BPI_HAND_LOOK_QUICK) {
                return BPI_HAND_YIELD;
            }
            how = BPI_HAND_YIELD;
        }
    }
    /* one pass over the ranks of this CPU */
    for (int r = 0; r < b->n; r++) {
        int d;
        if (r == b->me || atomic_load_explicit(&b->cpu[r], memory_order_relaxed) != cpu) {
            continue;
        }
        idle->mated = 1;
        if (idle->sync != 0 && (int32_t)(atomic_load_explicit(&b->hand[r].sync,
                                                              memory_order_relaxed) -
                                         idle->sync) < 0) {
            return BPI_HAND_BUSY; /* it has yet to arrive */
        }
        /* 0: it has something to do. Else, when we know our own distance to the token: is
         * it as near or nearer (it waits for a rank that will get the token first)? Give it
         * the CPU now, so that its switch overlaps the hops before. */
        d = hcoll_hand_walk(b, r, mine == INT_MAX ? 0 : mine, -1, 0, NULL, NULL);
        if (d == 0) {
            return BPI_HAND_BUSY;
        }
        if (mine != INT_MAX && d <= mine) {
            how = BPI_HAND_YIELD; /* and go on looking for one with work */
        }
    }
    return how;
}

BP_HOT int bpi_hcoll_hand_spin(bp_context_t *ctx, bpi_idle_t *idle, int look)
{
    const bpi_hand_board_t b = {ctx->hcoll->seg->hand_cpu, ctx->hcoll->hand, ctx->size,
                                ctx->rank};

    return bpi_hand_look(&b, idle, look);
}

int bpi_hand_lone(const bpi_hand_board_t *b, int cpu)
{
    for (int r = 0; r < b->n; r++) {
        if (r != b->me && atomic_load_explicit(&b->cpu[r], memory_order_relaxed) == cpu &&
            atomic_load_explicit(&b->hand[r].asleep, memory_order_relaxed) == 0) {
            return 0;
        }
    }
    return 1;
}

int bpi_hcoll_hand_lone(bp_context_t *ctx, const bpi_idle_t *idle)
{
    const bpi_hand_board_t b = {ctx->hcoll->seg->hand_cpu, ctx->hcoll->hand, ctx->size,
                                ctx->rank};

    return bpi_hand_lone(&b, idle->cpu1 - 1);
}

void bpi_hcoll_hand_asleep(bp_context_t *ctx, int asleep)
{
    atomic_store_explicit(&ctx->hcoll->hand[ctx->rank].asleep, (uint8_t)asleep,
                          memory_order_relaxed);
}

void bpi_hcoll_hand_park(bp_context_t *ctx, int mate)
{
    struct bpi_hcoll *hc = ctx->hcoll;

    hc->park_val = ctx->rank + 1;
    hc->park = &hc->hand[mate].parked;
    atomic_store_explicit(hc->park, hc->park_val, memory_order_relaxed);
}

void bpi_hcoll_hand_unpark(bp_context_t *ctx)
{
    struct bpi_hcoll *hc = ctx->hcoll;
    int32_t mine = hc->park_val;

    /* woken by something else (our message, the timeout): the mate need not wake us */
    atomic_compare_exchange_strong_explicit(hc->park, &mine, 0, memory_order_relaxed,
                                            memory_order_relaxed);
    hc->park = NULL;
}

bp_status_t bp_coll_shm(const bp_context_t *ctx, size_t *allreduce_max_p, size_t *bcast_max_p)
{
    if (ctx == NULL || allreduce_max_p == NULL || bcast_max_p == NULL) {
        return BP_ERR_INVAL;
    }
    *allreduce_max_p = ctx->hcoll != NULL ? BPI_HCOLL_AR_MAX : 0;
    *bcast_max_p = ctx->hcoll != NULL ? BPI_HCOLL_BCAST_MAX : 0;
    return BP_OK;
}

static void hcoll_wake_all(const struct bp_group *g)
{
    for (int i = 0; i < g->n; i++) {
        if (i != g->me) {
            hcoll_wake(g->ctx, hcoll_rank(g, i));
        }
    }
}

/* A member that died will never arrive: fail instead of waiting for ever. */
static int hcoll_peer_gone(const struct bp_group *g)
{
    for (int i = 0; i < g->n; i++) {
        int r = hcoll_rank(g, i);
        if (g->ctx->peers[r].failed) {
            bpi_log_error("collective: rank %d is gone, it will never arrive", r);
            return 1;
        }
    }
    return 0;
}

/* Wait until *word >= val, the way the progress mode waits, moving messages meanwhile. */
static bp_status_t hcoll_wait(const struct bp_group *g, _Atomic uint64_t *word, uint64_t val,
                              uint32_t sync)
{
    bp_context_t *ctx = g->ctx;
    struct bpi_hcoll *hc = ctx->hcoll;
    bpi_idle_t idle = {.sync = sync};
    bp_status_t status = BP_OK;
    unsigned polls = 0;

    hc->watch_val = val;
    hc->watch = word;
    while (atomic_load_explicit(word, memory_order_acquire) < val) {
        if (bpi_progress(ctx) > 0 || atomic_load_explicit(word, memory_order_acquire) >= val) {
            continue;
        }
        bpi_idle(ctx, &idle);
        /* the peers' liveness is checked inside bpi_idle; look at its verdict now and then
         * (every time when not spinning: then an idle call is long anyway). A peer that
         * left after the word moved (the last barrier of bp_finalize) is no failure: the
         * word is read again after the verdict. */
        if ((ctx->progress_mode != BPI_PROGRESS_SPIN || (++polls & 1023) == 0) &&
            atomic_load_explicit(word, memory_order_acquire) < val && hcoll_peer_gone(g)) {
            status = BP_ERR_PEER;
            break;
        }
    }
    hc->watch = NULL;
    bpi_idle_gap_end(ctx);
    bpi_idle_end(ctx, &idle);
    return status;
}

static bp_status_t hcoll_sync(struct bp_group *g)
{
    bp_context_t *ctx = g->ctx;
    bpi_hcoll_chan_t *chan = g->chan;
    uint64_t s = ++g->sseq;
    uint32_t sync = 0;

    if (ctx->handoff && g->ranks == NULL) {
        /* arrived: a rank of our CPU waiting for this sync need not yield to us. The board
         * knows the job's syncs only: a group's waits yield and sleep as any other. */
        atomic_store_explicit(&ctx->hcoll->hand[ctx->rank].sync, (uint32_t)s,
                              memory_order_relaxed);
        sync = (uint32_t)s != 0 ? (uint32_t)s : 1;
    }
    /* acq_rel: what each rank wrote before arriving is visible to the last, whose release
     * of gen makes it visible to all */
    if (atomic_fetch_add_explicit(&chan->count, 1, memory_order_acq_rel) ==
        (uint64_t)g->n - 1) {
        atomic_store_explicit(&chan->count, 0, memory_order_relaxed);
        atomic_store_explicit(&chan->gen, s, memory_order_release);
        hcoll_wake_all(g);
        return BP_OK;
    }
    return hcoll_wait(g, &chan->gen, s, sync);
}

/* root: a member index */
static bp_status_t hcoll_bcast(struct bp_group *g, void *buf, size_t len, int root)
{
    bp_context_t *ctx = g->ctx;
    bpi_hcoll_chan_t *chan = g->chan;
    uint64_t b;
    int p, waiter;
    bp_status_t status;

    if (len > BPI_HCOLL_BCAST_MAX) {
        return BP_ERR_NOTSUP; /* every rank has the same len: all take messages */
    }
    b = g->bseq++;
    p = (int)(b & 1);
    if (g->me == root) {
        /* buffer p last carried bcast b - 2: wait until its n - 1 readers are done. Its
         * readers do not know who will wait for them: say it in bwaiter (seq_cst store,
         * then the look at bdone; they add, then look at bwaiter: one of us sees the
         * other). One root at most waits at a time: the next one reads this bcast first. */
        uint64_t need = (b >> 1) * (uint64_t)(g->n - 1);
        if (atomic_load_explicit(&chan->bdone[p][0], memory_order_acquire) < need) {
            atomic_store(&chan->bwaiter, ctx->rank + 1);
            atomic_thread_fence(memory_order_seq_cst); /* before hcoll_wait's first look */
            status = hcoll_wait(g, &chan->bdone[p][0], need, 0);
            atomic_store_explicit(&chan->bwaiter, 0, memory_order_relaxed);
            if (status != BP_OK) {
                return status;
            }
        }
        memcpy(g->bdata[p], buf, len);
        chan->blen[p] = len;
        atomic_store_explicit(&chan->bgen, b + 1, memory_order_release);
        hcoll_wake_all(g);
        return BP_OK;
    }
    status = hcoll_wait(g, &chan->bgen, b + 1, 0);
    if (status != BP_OK) {
        return status;
    }
    if (chan->blen[p] != len) {
        bpi_log_error("bp_bcast: rank %d broadcasts %llu bytes, this rank expects %zu",
                      hcoll_rank(g, root), (unsigned long long)chan->blen[p], len);
        status = BP_ERR_INVAL;
    } else {
        memcpy(buf, g->bdata[p], len);
    }
    /* counted even on a mismatch, so that no root is left waiting */
    atomic_fetch_add(&chan->bdone[p][0], 1);
    waiter = atomic_load(&chan->bwaiter);
    if (waiter > 0 && waiter - 1 != ctx->rank) {
        hcoll_wake(ctx, waiter - 1);
    }
    return status;
}

static bp_status_t hcoll_allreduce(struct bp_group *g, const void *sendbuf, void *recvbuf,
                                   size_t count, bp_dtype_t dtype, bp_op_t op)
{
    size_t bytes = count * bpi_dtype_size(dtype);
    bp_status_t status;
    char *slots;

    if (bytes > BPI_HCOLL_AR_MAX) {
        return BP_ERR_NOTSUP;
    }
    slots = g->adata[g->aseq++ & 1];
    memcpy(slots + (size_t)g->me * BPI_HCOLL_AR_MAX, sendbuf, bytes);
    status = hcoll_sync(g);
    if (status != BP_OK) {
        return status;
    }
    /* every member reduces in member order: the same result, bit for bit, everywhere */
    memcpy(recvbuf, slots, bytes);
    for (int i = 1; i < g->n; i++) {
        bpi_reduce(recvbuf, slots + (size_t)i * BPI_HCOLL_AR_MAX, count, dtype, op);
    }
    return BP_OK;
}

/* The job's collectives (coll.c): channel 0. */
bp_status_t bpi_hcoll_barrier(bp_context_t *ctx)
{
    return hcoll_sync(&ctx->hcoll->job);
}

bp_status_t bpi_hcoll_bcast(bp_context_t *ctx, void *buf, size_t len, int root)
{
    return hcoll_bcast(&ctx->hcoll->job, buf, len, root);
}

bp_status_t bpi_hcoll_allreduce(bp_context_t *ctx, const void *sendbuf, void *recvbuf,
                                size_t count, bp_dtype_t dtype, bp_op_t op)
{
    return hcoll_allreduce(&ctx->hcoll->job, sendbuf, recvbuf, count, dtype, op);
}

/* --- groups: the same collectives among some of the job's ranks -------------------------- */

/* Leader: a free channel, marked used; 0 when all are lent. */
static int hcoll_chan_claim(bpi_hcoll_seg_t *seg)
{
    uint32_t used = atomic_load_explicit(&seg->chan_used, memory_order_acquire);

    for (;;) {
        uint32_t free_bits = ~used;
        int idx;
        if (free_bits == 0) {
            return 0;
        }
        idx = __builtin_ctz(free_bits);
        /* acquire: the zeroing by the channel's last user (hcoll_group_leave) is seen */
        if (atomic_compare_exchange_weak_explicit(&seg->chan_used, &used, used | (1u << idx),
                                                  memory_order_acq_rel,
                                                  memory_order_acquire)) {
            return idx;
        }
    }
}

/*
 * A member is done with the channel (every collective of its group on this rank has
 * returned). The last of the n zeroes the channel and gives it back: nobody else looks at
 * it any more (a root's readers leave after their read, a sync's waiters after their look
 * at gen), and acq_rel on `left` orders every member's last access before the zeroing.
 */
static void hcoll_group_leave(struct bp_group *g)
{
    bpi_hcoll_chan_t *chan = g->chan;
    bpi_hcoll_seg_t *seg = g->ctx->hcoll->seg;

    if (atomic_fetch_add_explicit(&chan->left, 1, memory_order_acq_rel) != (uint32_t)g->n - 1) {
        return;
    }
    atomic_store_explicit(&chan->count, 0, memory_order_relaxed);
    atomic_store_explicit(&chan->gen, 0, memory_order_relaxed);
    atomic_store_explicit(&chan->bgen, 0, memory_order_relaxed);
    chan->blen[0] = chan->blen[1] = 0;
    atomic_store_explicit(&chan->bdone[0][0], 0, memory_order_relaxed);
    atomic_store_explicit(&chan->bdone[1][0], 0, memory_order_relaxed);
    atomic_store_explicit(&chan->bwaiter, 0, memory_order_relaxed);
    atomic_store_explicit(&chan->left, 0, memory_order_relaxed);
    /* release: the zeroing before the next leader's claim (hcoll_chan_claim) */
    atomic_fetch_and_explicit(&seg->chan_used, ~(1u << g->idx), memory_order_release);
}

/* Is ranks[0..n) a list of distinct ranks of the job that holds this one? Its index. */
static int group_check(const bp_context_t *ctx, const int *ranks, int n)
{
    int me = -1;

    for (int i = 0; i < n; i++) {
        if (ranks[i] < 0 || ranks[i] >= ctx->size) {
            bpi_log_error("bp_group_create: member %d is rank %d of a job of %d", i, ranks[i],
                          ctx->size);
            return -1;
        }
        for (int j = 0; j < i; j++) {
            if (ranks[j] == ranks[i]) {
                bpi_log_error("bp_group_create: rank %d is member %d and %d", ranks[i], j, i);
                return -1;
            }
        }
        if (ranks[i] == ctx->rank) {
            me = i;
        }
    }
    if (me < 0) {
        bpi_log_error("bp_group_create: this rank (%d) is not among the %d members", ctx->rank,
                      n);
    }
    return me;
}

bp_status_t bp_group_create(bp_context_t *ctx, const int *ranks, int n, uint32_t key,
                            bp_group_t **group_p)
{
    struct bp_group *g;
    bp_request_t *req;
    bp_status_t status = BP_OK;
    uint64_t tag = bpi_coll_tag(BPI_COLL_GROUP, key, 0);
    int32_t idx = 0;
    int me, *copy;

    if (group_p != NULL) {
        *group_p = NULL;
    }
    if (ctx == NULL || ranks == NULL || n < 1 || group_p == NULL) {
        return BP_ERR_INVAL;
    }
    if ((me = group_check(ctx, ranks, n)) < 0) {
        return BP_ERR_INVAL;
    }
    if (ctx->hcoll == NULL) {
        return BP_ERR_NOTSUP; /* the same on every rank: nobody waits for a message */
    }
    if (BP_UNLIKELY(ctx->nfailed > 0)) {
        return BP_ERR_PEER;
    }
    /* member 0 lends a channel and tells the others which (0: none left) */
    if (me == 0) {
        idx = hcoll_chan_claim(ctx->hcoll->seg);
        for (int i = 1; i < n && status == BP_OK; i++) {
            if ((status = bpi_isend(ctx, &idx, sizeof(idx), ranks[i], tag,
                                    BPI_WIRE_F_INTERNAL, &req)) == BP_OK) {
                status = bp_wait(&req, NULL);
            }
        }
    } else if ((status = bpi_irecv(ctx, &idx, sizeof(idx), ranks[0], tag, 0,
                                   BPI_WIRE_F_INTERNAL, &req)) == BP_OK) {
        status = bp_wait(&req, NULL);
    }
    if (status == BP_OK && (idx < 0 || idx >= BPI_HCOLL_CHANS)) {
        bpi_log_error("bp_group_create: rank %d lent channel %d of %d", ranks[0], (int)idx,
                      BPI_HCOLL_CHANS);
        status = BP_ERR_PROTO;
    }
    if (status == BP_OK && idx == 0) {
        bpi_log_debug("bp_group_create: all %d channels of the segment are lent: messages",
                      BPI_HCOLL_CHANS - 1);
        status = BP_ERR_NOTSUP;
    }
    g = status == BP_OK ? malloc(sizeof(*g)) : NULL;
    copy = g != NULL ? malloc((size_t)n * sizeof(int)) : NULL;
    if (status == BP_OK && copy == NULL) {
        bpi_log_error("out of memory");
        free(g);
        status = BP_ERR_NOMEM;
    }
    if (status != BP_OK) {
        /* a lent channel goes back when a member cannot use it: every member leaves it */
        if (idx > 0 && idx < BPI_HCOLL_CHANS) {
            struct bp_group tmp;
            hcoll_view(&tmp, ctx, idx, n, me, NULL);
            hcoll_group_leave(&tmp);
        }
        return status;
    }
    memcpy(copy, ranks, (size_t)n * sizeof(int));
    hcoll_view(g, ctx, idx, n, me, copy);
    g->next = ctx->hcoll->groups;
    ctx->hcoll->groups = g;
    *group_p = g;
    return BP_OK;
}

bp_status_t bp_group_free(bp_group_t **group_p)
{
    struct bp_group *g, **link;

    if (group_p == NULL || *group_p == NULL) {
        return BP_ERR_INVAL;
    }
    g = *group_p;
    for (link = &g->ctx->hcoll->groups; *link != NULL && *link != g; link = &(*link)->next) {
    }
    if (*link == NULL) {
        bpi_log_error("bp_group_free: %p is not a live group of this context", (void *)g);
        return BP_ERR_INVAL;
    }
    *link = g->next;
    hcoll_group_leave(g);
    free(g->ranks);
    free(g);
    *group_p = NULL;
    return BP_OK;
}

int bp_group_rank(const bp_group_t *group)
{
    return group != NULL ? group->me : -1;
}

int bp_group_size(const bp_group_t *group)
{
    return group != NULL ? group->n : -1;
}

/* As the job's collectives (coll.c), under BPI_IN_COLL. */
bp_status_t bp_group_barrier(bp_group_t *group)
{
    bp_status_t status;

    if (group == NULL) {
        return BP_ERR_INVAL;
    }
    if (BP_UNLIKELY(group->ctx->nfailed > 0)) {
        return BP_ERR_PEER;
    }
    BPI_IN_COLL(group->ctx, status, hcoll_sync(group));
    return status;
}

bp_status_t bp_group_bcast(bp_group_t *group, void *buf, size_t len, int root)
{
    bp_status_t status;

    if (group == NULL || root < 0 || root >= group->n || (buf == NULL && len > 0) ||
        len > BPI_HCOLL_BCAST_MAX) {
        bpi_log_error("bp_group_bcast: root %d of %d members, buffer %p for %zu bytes (at "
                      "most %d)",
                      root, group != NULL ? group->n : 0, buf, len, BPI_HCOLL_BCAST_MAX);
        return BP_ERR_INVAL;
    }
    if (BP_UNLIKELY(group->ctx->nfailed > 0)) {
        return BP_ERR_PEER;
    }
    BPI_IN_COLL(group->ctx, status, hcoll_bcast(group, buf, len, root));
    return status;
}

bp_status_t bp_group_allreduce(bp_group_t *group, const void *sendbuf, void *recvbuf,
                               size_t count, bp_dtype_t dtype, bp_op_t op)
{
    size_t esize = bpi_reduce_esize(dtype, op, "bp_group_allreduce");
    bp_status_t status;

    if (esize == 0) {
        return BP_ERR_INVAL;
    }
    if (group == NULL || count > BPI_HCOLL_AR_MAX / esize ||
        ((sendbuf == NULL || recvbuf == NULL) && count > 0)) {
        bpi_log_error("bp_group_allreduce: %zu elements of %zu bytes, buffers %p and %p (at "
                      "most %d bytes)",
                      count, esize, sendbuf, recvbuf, BPI_HCOLL_AR_MAX);
        return BP_ERR_INVAL;
    }
    if (BP_UNLIKELY(group->ctx->nfailed > 0)) {
        return BP_ERR_PEER;
    }
    BPI_IN_COLL(group->ctx, status, hcoll_allreduce(group, sendbuf, recvbuf, count, dtype, op));
    return status;
}
