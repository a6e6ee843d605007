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
 * finds its receiver running. Once a rank of this CPU is marked, the yield goes to it. A
 * sync (barrier, allreduce) spins the same way once every rank of its CPU has arrived
 * (sync: the last sync each rank reached): what it waits for runs elsewhere.
 * With bprun's block binding (consecutive ranks share a CPU), a token passing between
 * neighbours then costs about one context switch per CPU instead of several
 * (docs/PERFORMANCE.md, "Oversubscribed"). The board is advice: a stale entry costs a
 * yield too many or a bounded spin, never a lost message.
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
#define BPI_HCOLL_VERSION 3
#define BPI_HCOLL_HDR_BYTES 4096
#define BPI_HCOLL_BCAST_MAX 4096 /* bytes of one bcast through the segment */
#define BPI_HCOLL_AR_MAX 1024    /* bytes of one rank's allreduce data through it */
#define BPI_HCOLL_LINE 64
#define BPI_HCOLL_HAND_MAX 256   /* ranks of a job with a hand-off board */

/* The segment's first page; each word that ranks wait on has its own cache line. */
typedef struct bpi_hcoll_seg {
    uint32_t magic;
    uint32_t version;
    uint64_t jobkey;
    int32_t size;
    uint32_t reserved;
    uint64_t seg_size;
    alignas(BPI_HCOLL_LINE) _Atomic uint64_t count; /* arrivals at the current sync */
    alignas(BPI_HCOLL_LINE) _Atomic uint64_t gen;   /* syncs completed */
    alignas(BPI_HCOLL_LINE) _Atomic uint64_t bgen;  /* bcasts posted */
    uint64_t blen[2];                               /* length of each buffer's bcast */
    alignas(BPI_HCOLL_LINE) _Atomic uint64_t bdone[2][BPI_HCOLL_LINE / 8]; /* reads, [p][0] */
    alignas(BPI_HCOLL_LINE) _Atomic int32_t bwaiter; /* 1 + a root waiting for bdone, or 0 */
    /* the hand-off board: CPU each rank last waited on (-1: not attached); the rest of
     * each rank's entry is its bpi_hcoll_hand_t after this page */
    alignas(BPI_HCOLL_LINE) _Atomic int32_t hand_cpu[BPI_HCOLL_HAND_MAX];
} bpi_hcoll_seg_t;

static_assert(sizeof(bpi_hcoll_seg_t) <= BPI_HCOLL_HDR_BYTES, "header fits its page");

/*
 * A rank's changing part of the board, a cache line each, written by the rank (and `need`
 * by its senders) and read by its CPU-mates. One line for all ranks' marks made every
 * write by a rank on one CPU take the line from the ranks spinning on the other, whose
 * every step reads it: a sender marking its receiver stalled the receiver's next look at
 * its ring. Now a spinning rank reads only its CPU-mates' lines, which stay put.
 */
typedef struct bpi_hcoll_hand {
    alignas(BPI_HCOLL_LINE) _Atomic uint32_t sync; /* the last sync it reached */
    _Atomic uint8_t need;                          /* has work (see above) */
} bpi_hcoll_hand_t;

static_assert(sizeof(bpi_hcoll_hand_t) == BPI_HCOLL_LINE, "one line per rank");

/* This process's view. */
struct bpi_hcoll {
    bpi_hcoll_seg_t *seg;
    size_t seg_size;
    char name[48];
    int creator;  /* rank 0: created the name, unlinks it */
    int unlinked;
    uint64_t sseq; /* syncs done (the next one publishes sseq + 1) */
    uint64_t bseq; /* bcasts done */
    uint64_t aseq; /* allreduces done */
    bpi_hcoll_hand_t *hand; /* size entries, after the header page */
    char *bdata[2];
    char *adata[2]; /* size slots of BPI_HCOLL_AR_MAX bytes each */
    /* what the current wait watches: bpi_hcoll_pending reads it */
    _Atomic uint64_t *watch;
    uint64_t watch_val;
};

/* The board's lines: after the header page. */
static bpi_hcoll_hand_t *hcoll_board(bpi_hcoll_seg_t *seg)
{
    return (bpi_hcoll_hand_t *)((char *)seg + BPI_HCOLL_HDR_BYTES);
}

static size_t hcoll_seg_size(int size)
{
    return BPI_HCOLL_HDR_BYTES + (size_t)size * sizeof(bpi_hcoll_hand_t) +
           2 * (size_t)BPI_HCOLL_BCAST_MAX +
           2 * (size_t)size * BPI_HCOLL_AR_MAX;
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
    hc->bdata[0] = (char *)(hc->hand + ctx->size);
    hc->bdata[1] = hc->bdata[0] + BPI_HCOLL_BCAST_MAX;
    hc->adata[0] = hc->bdata[1] + BPI_HCOLL_BCAST_MAX;
    hc->adata[1] = hc->adata[0] + (size_t)ctx->size * BPI_HCOLL_AR_MAX;
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

    return hc != NULL && hc->watch != NULL &&
           atomic_load_explicit(hc->watch, memory_order_acquire) >= hc->watch_val;
}

void bpi_hcoll_hand_mark(bp_context_t *ctx, int dest)
{
    _Atomic uint8_t *need = &ctx->hcoll->hand[dest].need;

    if (atomic_load_explicit(need, memory_order_relaxed) == 0) { /* the line stays shared */
        atomic_store_explicit(need, 1, memory_order_relaxed);
    }
}

void bpi_hcoll_hand_busy(bp_context_t *ctx)
{
    /* a store, not a look first: the sender that ended our wait has usually marked us from
     * its CPU, so the line is there; a load would stall on it, a store does not */
    atomic_store_explicit(&ctx->hcoll->hand[ctx->rank].need, 1, memory_order_relaxed);
}

int bpi_hcoll_hand_gap(bp_context_t *ctx)
{
    bpi_hcoll_seg_t *seg = ctx->hcoll->seg;
    int cpu = sched_getcpu(); /* glibc reads it from rseq: no system call */

    if (atomic_load_explicit(&seg->hand_cpu[ctx->rank], memory_order_relaxed) != cpu) {
        atomic_store_explicit(&seg->hand_cpu[ctx->rank], cpu, memory_order_relaxed);
    }
    _Atomic uint8_t *need = &ctx->hcoll->hand[ctx->rank].need;

    if (atomic_load_explicit(need, memory_order_relaxed) != 0) {
        atomic_store_explicit(need, 0, memory_order_relaxed);
    }
    return cpu;
}

int bpi_hcoll_hand_spin(bp_context_t *ctx, const bpi_idle_t *idle)
{
    bpi_hcoll_seg_t *seg = ctx->hcoll->seg;
    const bpi_hcoll_hand_t *hand = ctx->hcoll->hand;
    int cpu = idle->cpu1 - 1;

    if (cpu < 0 || (idle->peer1 > 0 && atomic_load_explicit(&seg->hand_cpu[idle->peer1 - 1],
                                                            memory_order_relaxed) == cpu)) {
        return 0; /* the sender needs this CPU (or we do not know ours) */
    }
    for (int r = 0; r < ctx->size; r++) {
        if (r != ctx->rank &&
            atomic_load_explicit(&seg->hand_cpu[r], memory_order_relaxed) == cpu &&
            (atomic_load_explicit(&hand[r].need, memory_order_relaxed) != 0 ||
             (idle->sync != 0 &&
              (int32_t)(atomic_load_explicit(&hand[r].sync, memory_order_relaxed) -
                        idle->sync) < 0))) {
            return 0; /* a rank of this CPU has something to do, or has yet to arrive */
        }
    }
    return 1;
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

/* After a store others may wait for: wake those that sleep (the transport fences first). */
static void hcoll_wake(bp_context_t *ctx, int rank)
{
    ctx->peers[rank].tl->ep_wake(ctx->peers[rank].ep);
}

static void hcoll_wake_all(bp_context_t *ctx)
{
    for (int r = 0; r < ctx->size; r++) {
        if (r != ctx->rank) {
            hcoll_wake(ctx, r);
        }
    }
}

/* A local peer that died will never arrive: fail instead of waiting for ever. */
static int hcoll_peer_gone(bp_context_t *ctx)
{
    for (int r = 0; r < ctx->size; r++) {
        if (ctx->peers[r].failed) {
            bpi_log_error("collective: rank %d is gone, it will never arrive", r);
            return 1;
        }
    }
    return 0;
}

/* Wait until *word >= val, the way the progress mode waits, moving messages meanwhile. */
static bp_status_t hcoll_wait(bp_context_t *ctx, _Atomic uint64_t *word, uint64_t val,
                              uint32_t sync)
{
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
            atomic_load_explicit(word, memory_order_acquire) < val && hcoll_peer_gone(ctx)) {
            status = BP_ERR_PEER;
            break;
        }
    }
    hc->watch = NULL;
    bpi_idle_gap_end(ctx);
    bpi_idle_end(ctx, &idle);
    return status;
}

static bp_status_t hcoll_sync(bp_context_t *ctx)
{
    struct bpi_hcoll *hc = ctx->hcoll;
    bpi_hcoll_seg_t *seg = hc->seg;
    uint64_t s = ++hc->sseq;

    if (ctx->handoff) {
        /* arrived: a rank of our CPU waiting for this sync need not yield to us */
        atomic_store_explicit(&hc->hand[ctx->rank].sync, (uint32_t)s, memory_order_relaxed);
    }
    /* acq_rel: what each rank wrote before arriving is visible to the last, whose release
     * of gen makes it visible to all */
    if (atomic_fetch_add_explicit(&seg->count, 1, memory_order_acq_rel) ==
        (uint64_t)ctx->size - 1) {
        atomic_store_explicit(&seg->count, 0, memory_order_relaxed);
        atomic_store_explicit(&seg->gen, s, memory_order_release);
        hcoll_wake_all(ctx);
        return BP_OK;
    }
    return hcoll_wait(ctx, &seg->gen, s, (uint32_t)s != 0 ? (uint32_t)s : 1);
}

bp_status_t bpi_hcoll_barrier(bp_context_t *ctx)
{
    return hcoll_sync(ctx);
}

bp_status_t bpi_hcoll_bcast(bp_context_t *ctx, void *buf, size_t len, int root)
{
    struct bpi_hcoll *hc = ctx->hcoll;
    bpi_hcoll_seg_t *seg = hc->seg;
    uint64_t b;
    int p, waiter;
    bp_status_t status;

    if (len > BPI_HCOLL_BCAST_MAX) {
        return BP_ERR_NOTSUP; /* every rank has the same len: all take messages */
    }
    b = hc->bseq++;
    p = (int)(b & 1);
    if (ctx->rank == root) {
        /* buffer p last carried bcast b - 2: wait until its n - 1 readers are done. Its
         * readers do not know who will wait for them: say it in bwaiter (seq_cst store,
         * then the look at bdone; they add, then look at bwaiter: one of us sees the
         * other). One root at most waits at a time: the next one reads this bcast first. */
        uint64_t need = (b >> 1) * (uint64_t)(ctx->size - 1);
        if (atomic_load_explicit(&seg->bdone[p][0], memory_order_acquire) < need) {
            atomic_store(&seg->bwaiter, ctx->rank + 1);
            atomic_thread_fence(memory_order_seq_cst); /* before hcoll_wait's first look */
            status = hcoll_wait(ctx, &seg->bdone[p][0], need, 0);
            atomic_store_explicit(&seg->bwaiter, 0, memory_order_relaxed);
            if (status != BP_OK) {
                return status;
            }
        }
        memcpy(hc->bdata[p], buf, len);
        seg->blen[p] = len;
        atomic_store_explicit(&seg->bgen, b + 1, memory_order_release);
        hcoll_wake_all(ctx);
        return BP_OK;
    }
    status = hcoll_wait(ctx, &seg->bgen, b + 1, 0);
    if (status != BP_OK) {
        return status;
    }
    if (seg->blen[p] != len) {
        bpi_log_error("bp_bcast: rank %d broadcasts %llu bytes, this rank expects %zu", root,
                      (unsigned long long)seg->blen[p], len);
        status = BP_ERR_INVAL;
    } else {
        memcpy(buf, hc->bdata[p], len);
    }
    /* counted even on a mismatch, so that no root is left waiting */
    atomic_fetch_add(&seg->bdone[p][0], 1);
    waiter = atomic_load(&seg->bwaiter);
    if (waiter > 0 && waiter - 1 != ctx->rank) {
        hcoll_wake(ctx, waiter - 1);
    }
    return status;
}

bp_status_t bpi_hcoll_allreduce(bp_context_t *ctx, const void *sendbuf, void *recvbuf,
                                size_t count, bp_dtype_t dtype, bp_op_t op)
{
    struct bpi_hcoll *hc = ctx->hcoll;
    size_t bytes = count * bpi_dtype_size(dtype);
    bp_status_t status;
    char *slots;

    if (bytes > BPI_HCOLL_AR_MAX) {
        return BP_ERR_NOTSUP;
    }
    slots = hc->adata[hc->aseq++ & 1];
    memcpy(slots + (size_t)ctx->rank * BPI_HCOLL_AR_MAX, sendbuf, bytes);
    status = hcoll_sync(ctx);
    if (status != BP_OK) {
        return status;
    }
    /* every rank reduces in rank order: the same result, bit for bit, everywhere */
    memcpy(recvbuf, slots, bytes);
    for (int r = 1; r < ctx->size; r++) {
        bpi_reduce(recvbuf, slots + (size_t)r * BPI_HCOLL_AR_MAX, count, dtype, op);
    }
    return BP_OK;
}
