/*
 * progress.c - the progress engine: poll the transports, push queued sends, and what a wait
 * does while nothing happens (bpi_idle), which BP_PROGRESS chooses:
 *
 *   spin      poll with a pause between polls: the lowest latency, a core per waiting rank;
 *   block     sleep on the transports' wait handles (shm: a futex; tcp: epoll) at once;
 *   adaptive  spin for a budget learned from recent waits, then sched_yield a few times,
 *             then sleep as block does. The budget follows how long recent idle gaps lasted
 *             (a gap: from a wait's first idle poll to the next arrival), and is zero while
 *             yields show that the CPU is shared where ranks outnumber CPUs: spinning then
 *             only delays the rank that would send to us. Yields are skipped while they take
 *             long (a loaded machine gives whole time slices to others: a futex wake-up
 *             brings us back sooner);
 *   auto      (bp_init, bpi_progress_resolve) spin when every rank of this host has a CPU
 *             of its own, adaptive when ranks outnumber CPUs; a spinning rank whose CPU
 *             another program wants after all turns adaptive (progress_auto_watch).
 *
 * An idle wait also checks, every BPI_LIVENESS_NS (100 ms), that its peers are alive, so a
 * dead peer completes requests with BP_ERR_PEER instead of hanging them.
 *
 * The message path (bpi_progress, a wait that ends with an arrival, posting a receive)
 * knows nothing of failed peers or of the adaptive mode's gaps: both are handled where a
 * wait goes idle, which costs nothing while messages flow (docs/RELIABILITY.md, "Cost").
 * A receive posted once a peer has failed is queued like any other; the wait's first idle
 * poll (or every 1024th unfinished bp_test) fails it if it waits on a failed peer. The
 * adaptive mode polls once more at the end of each idle step itself, and ends its gap
 * there when something arrived.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#if __has_include(<sys/rseq.h>)
#include <sys/rseq.h> /* __rseq_size: bpi_progress_resolve */
#endif
#include <time.h>
#include <unistd.h>

#include "core/copy.h"
#include "core/core.h"

BP_HOT unsigned bpi_progress(bp_context_t *ctx)
{
    unsigned n = 0;

    for (unsigned i = 0; i < ctx->nactive; i++) {
        n += ctx->active[i]->ops->progress(ctx->active[i]->iface, BPI_PROGRESS_BUDGET);
    }

    if (BP_UNLIKELY(!bpi_list_empty(&ctx->sendq_peers))) {
        bpi_sendq_progress(ctx);
    }
    return n;
}

/* A failed peer's send slot: the fast path of bp_send needs no test of its own. */
static bp_status_t progress_send_failed(bpi_tl_ep_t *ep, const bpi_wire_hdr_t *hdr,
                                        const void *payload)
{
    return BP_ERR_PEER;
}

/* Fail the posted receives that wait on a failed peer (bpi_peer_fail_hits); how many. */
static unsigned progress_fail_posted(bp_context_t *ctx)
{
    bpi_list_t *pos, *tmp;
    unsigned n = 0;

    bpi_list_for_each_safe(pos, tmp, &ctx->posted) {
        bp_request_t *req = bpi_container_of(pos, bp_request_t, link);
        if (bpi_peer_fail_hits(ctx, req->peer, req->flags)) {
            bpi_list_remove(&req->link);
            req->queued = 0;
            bpi_req_complete(req, BP_ERR_PEER);
            n++;
        }
    }
    return n;
}

/*
 * Complete everything that waits on a peer that is gone. What it sent before it went is
 * delivered first: frames already in our rings are drained (a bounded number of rounds).
 */
void bpi_peer_fail(bp_context_t *ctx, int rank)
{
    bpi_peer_t *peer = &ctx->peers[rank];
    bpi_list_t *pos, *tmp;
    unsigned nfailed = 0;

    if (peer->failed) {
        return;
    }
    for (int i = 0; i < 4096 && bpi_progress(ctx) > 0; i++) {
    }
    peer->failed = 1;
    peer->send = progress_send_failed;
    bpi_list_for_each_safe(pos, tmp, &peer->sendq) {
        bp_request_t *req = bpi_container_of(pos, bp_request_t, link);
        bpi_list_remove(&req->link);
        req->queued = 0;
        bpi_rndv_release(ctx, req);
        bpi_req_complete(req, BP_ERR_PEER);
        if (req->autofree) {
            bpi_req_put(req);
        } else {
            nfailed++;
        }
    }
    bpi_rndv_fail_peer(ctx, rank, BP_ERR_PEER, &nfailed);
    if (!bpi_list_empty(&peer->sendq_link)) {
        bpi_list_remove(&peer->sendq_link);
    }
    ctx->nfailed++;
    nfailed += progress_fail_posted(ctx);
    if (peer->rx_req != NULL) {
        bpi_req_complete(peer->rx_req, BP_ERR_PEER);
        peer->rx_req = NULL;
        nfailed++;
    }
    if (nfailed > 0) {
        bpi_log_error("rank %d is gone: %u pending requests completed with an error", rank,
                      nfailed);
    }
}

/*
 * Once a peer has failed, does a receive from src (a rank or BP_ANY_SOURCE) with these flags
 * fail instead of waiting? From a failed rank, yes. From any source, yes: the dead rank may
 * have been the sender it waits for (MPI ULFM fails such receives too; without an
 * acknowledge call they keep failing). The core's own traffic (the barrier), yes: a
 * collective involves every rank, and a survivor waiting for another survivor that has
 * already left the barrier with this error would wait forever.
 */
int bpi_peer_fail_hits(const bp_context_t *ctx, int src, uint8_t flags)
{
    if (src != BP_ANY_SOURCE && ctx->peers[src].failed) {
        return 1;
    }
    /* in bp_finalize's barrier a rank that has passed it may exit before a slower one has
     * heard from a third: that is the end of the job, not a failure of it */
    return !ctx->finalizing && (src == BP_ANY_SOURCE || (flags & BPI_WIRE_F_INTERNAL) != 0);
}

/* now: a clock reading the caller has just taken (bpi_tl_now_ns) */
static void progress_liveness(bp_context_t *ctx, uint64_t now)
{
    if (now - ctx->last_liveness_ns < BPI_LIVENESS_NS) {
        return;
    }
    ctx->last_liveness_ns = now;
    for (int r = 0; r < ctx->size; r++) {
        const bpi_peer_t *peer = &ctx->peers[r];
        /* a bulk lane that found the peer gone (a stream's send failed) counts too: the
         * application may have been told already (lane.c) */
        if (r != ctx->rank && !peer->failed &&
            (peer->tl->ep_check(peer->ep) != BP_OK ||
             (peer->lane_ep != NULL && peer->lane->ops->ep_check(peer->lane_ep) != BP_OK))) {
            bpi_peer_fail(ctx, r);
        }
    }
}

/*
 * Look at every peer now, whatever the time since the last look (bp_finalize). A transport
 * may have told the application of a failure before the core heard of it: a send to a
 * peer whose xdp or tcp endpoint has just found it dead returns BP_ERR_PEER at once,
 * while the core fails the peer (bpi_peer_fail) at its next liveness check.
 */
void bpi_liveness_now(bp_context_t *ctx)
{
    ctx->last_liveness_ns = 0;
    progress_liveness(ctx, bpi_tl_now_ns());
}

/*
 * Sleep on several transports at once: one poll() over a descriptor of each (shm's wake
 * socket, tcp's epoll set, xdp's socket), after each has said it sleeps and had its last
 * look (ops->wait_fd); a transport that finds a frame already there cancels the sleep.
 */
static void progress_sleep_fds(bp_context_t *ctx)
{
    struct pollfd pfd[BPI_TL_MAX];
    int timeout_us = BPI_BLOCK_TIMEOUT_US;
    struct timespec ts;
    unsigned n = 0;
    int sleep = 1;

    while (n < ctx->nactive) {
        bpi_ctx_tl_t *tl = ctx->active[n++];
        if (tl->ops->wait_fd(tl->iface, &pfd[n - 1], &timeout_us) != BP_OK) {
            sleep = 0;
            break;
        }
    }
    if (sleep) {
        int got;
        ts = bpi_tl_timespec(timeout_us);
        got = ppoll(pfd, n, &ts, NULL);
        ctx->sleeps.polls++;
        if (got == 0) {
            ctx->sleeps.polls_idle++;
        } else if (got < 0 && errno != EINTR) {
            bpi_log_error("poll on %u transports: %s", n, strerror(errno));
        }
    }
    while (n > 0) {
        bpi_ctx_tl_t *tl = ctx->active[--n];
        tl->ops->wait_fd_done(tl->iface);
    }
}

/* Just turned adaptive (progress_turn_adaptive): not asleep before the grace is over. */
static BP_SLOWPATH int progress_sleep_grace(bp_context_t *ctx)
{
    if (bpi_tl_now_ns() < ctx->watch.sleep_from_ns) {
        return 1;
    }
    ctx->watch.sleep_from_ns = 0;
    return 0;
}

/*
 * Sleep on the transports' wait handles (block, and adaptive's last phase): one transport's
 * own wait (shm: its futex), several transports' descriptors in one poll(). A rank whose
 * sends wait for room yields instead: nothing would wake it when the room comes, and the
 * receiver that must make it may share its core.
 */
static void progress_sleep(bp_context_t *ctx)
{
    if (!bpi_list_empty(&ctx->sendq_peers) ||
        (BP_UNLIKELY(ctx->watch.sleep_from_ns != 0) && progress_sleep_grace(ctx))) {
        sched_yield();
        return;
    }
    ctx->sleeps.n++;
    if (ctx->nactive == 1) {
        ctx->active[0]->ops->wait(ctx->active[0]->iface, BPI_BLOCK_TIMEOUT_US);
    } else if (ctx->nactive > 1) {
        progress_sleep_fds(ctx);
    }
}

/* One gap of length len for a budget with ceiling max (the spin budget, the yield budget):
 * exponentially weighted, 1/8 per gap, the share of gaps no longer than max (*hit, of 256)
 * and their average length (*need). */
static void progress_learn(uint32_t *hit, uint64_t *need, uint64_t len, uint64_t max)
{
    int caught = len <= max;

    *hit = *hit - (*hit >> 3) + (caught ? 32 : 0);
    if (caught) {
        *need = *need - (*need >> 3) + (len >> 3);
    }
}

/* The budget that follows: twice that average length when at least a quarter of the gaps
 * were short enough, else none. */
static uint64_t progress_twice(uint32_t hit, uint64_t need, uint64_t max)
{
    return hit < 64 ? 0 : 2 * need < max ? 2 * need : max;
}

/*
 * The spin budget, none while the CPU is shared with ranks of ours: spinning would delay
 * the rank we wait for. Where auto counted a CPU per rank of this host (a->mates 0), a
 * yield that ran another process ran another program's: spinning costs that program at
 * most our own share of the CPU, and catches what a sleep would make wait for a wake-up.
 * There the budget is never less than a wake-up costs (up to the ceiling): the ski-rental
 * rule, as for the yields. Beside a CPU hog, whose time slices make the yields too long to
 * keep, an 8 B ping-pong's gaps average a few ns, so twice that sent 0.5-1.3% of them to
 * sleep, at 30-60 us a wake-up: 0.3-2.9 us a message against spin's 0.67.
 */
static void progress_budget(bpi_adapt_t *a)
{
    uint64_t b, w;

    if (a->mates && a->shared >= 128) {
        a->spin_ns = 0;
        return;
    }
    b = progress_twice(a->hit, a->need_ns, BPI_ADAPT_SPIN_MAX_NS);
    w = a->wake_ns < BPI_ADAPT_SPIN_MAX_NS ? a->wake_ns : BPI_ADAPT_SPIN_MAX_NS;
    a->spin_ns = !a->mates && w > b ? w : b;
}

/*
 * How long a gap past its yields, beside CPU-mates that all wait, may go on yielding: the
 * learned budget, and never less than twice what a wake-up costs here (bpi_progress_woke),
 * at most 1 ms. Sleeping then halts the CPU (nobody of ours runs on it), and whoever ends
 * our wait waits for it to run again. Yielding for as long as a wake-up takes is the
 * ski-rental rule (it costs at most twice the better choice); twice, because the wait that
 * a sleep lengthens holds a wake-up of another rank too: once, the host's slow phase still
 * kept some runs sleeping (docs/PERFORMANCE.md, "an eighth session"). A few us on a quiet
 * machine, where the learned budget is what counts; hundreds when the host is slow to run a
 * halted vCPU.
 */
static uint64_t progress_yield_budget(const bpi_adapt_t *a)
{
    uint64_t b = a->yield_budget_ns;
    uint64_t w = 2 * a->wake_ns < BPI_ADAPT_WAKE_MAX_NS ? 2 * a->wake_ns : BPI_ADAPT_WAKE_MAX_NS;

    return b > w ? b : w;
}

/*
 * Does a gap past its yields, beside CPU-mates none of which has work, go on yielding
 * rather than sleep, `len` into it? In a gap of the yield budget's kind, while shorter than
 * that budget; and while shorter than BPI_ADAPT_LONE_NS when the board shows no CPU-mate
 * of ours awake (all sleep, or we have none: we are the last rank of the job running on
 * this CPU; the board is read only when the budget does not already say yes). Were the last one to sleep,
 * the CPU would halt, and every rank of it that the job needs next would wait for the
 * host to run the vCPU again: a barrier after 300 us of one rank's work cost 85 us beyond
 * the work instead of 24, and in the host's slow phase the 4-rank ring went from 1.3 to
 * 10-150 us per hop, while Open MPI, which never sleeps, took 2-20 (docs/PERFORMANCE.md,
 * "a ninth session"). One rank per CPU pays it, at most 1 ms of CPU per wait.
 */
static int progress_yield_on(bp_context_t *ctx, const bpi_idle_t *idle, uint64_t len)
{
    bpi_adapt_t *a = &ctx->adapt;

    if ((a->spun & BPI_ADAPT_SPUN_YIELD) && len < progress_yield_budget(a)) {
        return 1;
    }
    if (len < BPI_ADAPT_LONE_NS && ctx->handoff && bpi_hcoll_hand_lone(ctx, idle)) {
        a->spun |= BPI_ADAPT_SPUN_LONE;
        return 1;
    }
    return 0;
}

/* adaptive's sleeps (a park, the last phase): the board says so meanwhile (lone) */
static void progress_adaptive_sleep(bp_context_t *ctx)
{
    if (ctx->handoff) {
        bpi_hcoll_hand_asleep(ctx, 1);
    }
    progress_sleep(ctx);
    if (ctx->handoff) {
        bpi_hcoll_hand_asleep(ctx, 0);
    }
}

/* How often the kernel has taken this thread's CPU while it could run: a yield that ran
 * another process adds one (and so does a preemption: another process wanted the CPU). */
static long progress_switched(void)
{
    struct rusage ru;

    return getrusage(RUSAGE_THREAD, &ru) == 0 ? ru.ru_nivcsw : -1;
}

/* now: the time of the arrival, or a reading taken just before the poll that found it */
static void progress_gap_end(bp_context_t *ctx, uint64_t now)
{
    bpi_adapt_t *a = &ctx->adapt;
    uint64_t len = now - a->gap_start_ns;

    /* what the gap would have lasted had it not slept: a sleep ended by a peer's wake-up
     * adds how late we ran after it (a halted vCPU's wake-up can take hundreds of us),
     * which would teach the budgets that such gaps are too long to yield through, and so
     * keep them sleeping */
    len -= a->late_ns < len ? a->late_ns : len;
    a->gap_start_ns = 0;
    a->ngaps++;
    /* every gap teaches the spin budget (progress_budget adds the shared CPU) */
    progress_learn(&a->hit, &a->need_ns, len, BPI_ADAPT_SPIN_MAX_NS);
    a->nspingaps += (a->spun & BPI_ADAPT_SPUN_BUDGET) != 0;
    if (a->spun & BPI_ADAPT_SPUN_YIELD) {
        /* only the gaps that every rank of its CPU spent waiting past its yields teach the
         * yield budget */
        progress_learn(&a->yhit, &a->yneed_ns, len, BPI_ADAPT_YIELD_MAX_NS);
        a->yield_budget_ns = progress_twice(a->yhit, a->yneed_ns, BPI_ADAPT_YIELD_MAX_NS);
        a->nyieldgaps++;
    }
    a->nlonegaps += (a->spun & BPI_ADAPT_SPUN_LONE) != 0;
    if (a->spun & BPI_ADAPT_SPUN_HAND) {
        /* 1/8 per gap that spun for a sender on another CPU: did the sender come in time? */
        a->hand_hit = a->hand_hit - (a->hand_hit >> 3) +
                      (now - a->hand_from_ns <= BPI_ADAPT_HAND_NS ? 32 : 0);
        a->nhandgaps++;
    }
    progress_budget(a);
}

void bpi_progress_woke(void *arg, uint64_t late_ns)
{
    bpi_adapt_t *a = &((bp_context_t *)arg)->adapt;

    /* 1/8 per sample, the first sets it; a sample counts for at most BPI_ADAPT_WAKE_MAX_NS
     * (a host that stole the vCPU for milliseconds is not the rule) */
    late_ns = late_ns < BPI_ADAPT_WAKE_MAX_NS ? late_ns : BPI_ADAPT_WAKE_MAX_NS;
    a->late_ns = late_ns;
    a->wake_ns = a->nwakes++ == 0 ? late_ns : a->wake_ns - (a->wake_ns >> 3) + (late_ns >> 3);
}

void bpi_idle_gap_end(bp_context_t *ctx)
{
    if (ctx->adapt.gap_start_ns != 0) {
        progress_gap_end(ctx, bpi_tl_now_ns());
    }
}

/*
 * The first idle poll of a wait: once a peer has failed, receives posted since then that
 * wait on it (or on any source, see bpi_peer_fail_hits) fail here rather than when they
 * were posted, which keeps the check off the message path. How many failed: the wait
 * then looks at its request again instead of going idle.
 */
static BP_SLOWPATH unsigned progress_idle_first(bp_context_t *ctx)
{
    if (ctx->nlanes_on > 0) {
        bpi_lane_settle(ctx); /* a lane that had frames to write when its streams ended */
    }
    return ctx->nfailed > 0 ? progress_fail_posted(ctx) : 0;
}

/*
 * auto's spinning rank turns adaptive: it tells its transports that it may sleep from now
 * on (shm: senders then look whether to wake it), and keeps from sleeping for
 * BPI_TL_SLEEP_GRACE_NS, until a send that read the old word has become visible. Adaptive
 * goes on from the state auto gave it: no rank of ours shares this CPU, so it keeps a spin
 * budget of at least a wake-up (progress_budget).
 */
static void progress_turn_adaptive(bp_context_t *ctx, long switched, uint64_t cpu_ns,
                                   uint64_t window_ns, uint64_t now)
{
    for (unsigned i = 0; i < ctx->ntl; i++) {
        ctx->tls[i].ops->may_sleep(ctx->tls[i].iface, 1);
    }
    ctx->watch.on = 0;
    ctx->watch.turned = 1;
    ctx->watch.from_ns = 0; /* progress_auto_back's first window starts at its first call */
    ctx->watch.sleep_from_ns = now + BPI_TL_SLEEP_GRACE_NS;
    ctx->progress_mode = BPI_PROGRESS_ADAPTIVE;
    bpi_log_info("progress: auto turns adaptive: the kernel took this rank's CPU away %ld times "
                 "in %llu ms, and it ran %llu ms of them (another program wants the CPU)",
                 switched, (unsigned long long)(window_ns / 1000000),
                 (unsigned long long)(cpu_ns / 1000000));
}

/*
 * auto's watch over a rank it set spinning (BPI_AUTO_WATCH_NS in core.h): auto counted a
 * CPU per rank of this host, but another program may want ours too. Then the two take
 * turns a time slice each: a wait spun through while that program waits for the CPU delays
 * it, and a wait for a peer that has lost its own CPU lasts a time slice, where adaptive
 * sleeps and is woken. The kernel says it, over a window of at least BPI_AUTO_WATCH_NS: it
 * took the CPU away more than once per BPI_AUTO_PREEMPT_NS, and we ran less than 3/4 of the
 * window. Both, because a program that wants the CPU for a moment only (kernel threads:
 * 30 times a second on a CPU beside a busy one here) takes it often but briefly, and a rank
 * that sleeps of its own accord (the program's I/O) runs little but is not taken from.
 * Then the rank turns adaptive, until progress_auto_back sees the CPU free again.
 */
static void progress_auto_watch(bp_context_t *ctx, uint64_t now)
{
    bpi_auto_watch_t *w = &ctx->watch;
    uint64_t window = now - w->from_ns, cpu_ns;
    struct rusage ru;
    long switched;

    if (w->from_ns != 0 && window < BPI_AUTO_WATCH_NS) {
        return;
    }
    if (getrusage(RUSAGE_THREAD, &ru) != 0) {
        return;
    }
    switched = ru.ru_nivcsw;
    cpu_ns = ((uint64_t)ru.ru_utime.tv_sec + (uint64_t)ru.ru_stime.tv_sec) * 1000000000ull +
             ((uint64_t)ru.ru_utime.tv_usec + (uint64_t)ru.ru_stime.tv_usec) * 1000ull;
    /* counts that went back: another thread of the program waits now (a context is used by
     * one thread at a time, not always the same one): start again */
    if (w->from_ns != 0 && window <= BPI_AUTO_WATCH_MAX_NS && switched >= w->from_switched &&
        cpu_ns >= w->from_cpu_ns &&
        (uint64_t)(switched - w->from_switched) * BPI_AUTO_PREEMPT_NS > window &&
        (cpu_ns - w->from_cpu_ns) * 4 < window * 3) {
        progress_turn_adaptive(ctx, switched - w->from_switched, cpu_ns - w->from_cpu_ns,
                               window, now);
        return;
    }
    w->from_ns = now;
    w->from_switched = switched;
    w->from_cpu_ns = cpu_ns;
}

/* This thread's time on a CPU and waiting for one while it could run, in ns
 * (/proc/thread-self/schedstat: the kernel's scheduler statistics); -1 without the file. A
 * kernel that keeps no such statistics writes "0 0 0" there: never judged (the window
 * needs run time). */
static int progress_schedstat(uint64_t *run_ns, uint64_t *delay_ns)
{
    char buf[96];
    unsigned long long run, delay;
    int fd = open("/proc/thread-self/schedstat", O_RDONLY | O_CLOEXEC);
    ssize_t n;

    if (fd < 0) {
        return -1;
    }
    n = read(fd, buf, sizeof(buf) - 1);
    close(fd);
    if (n <= 0) {
        return -1;
    }
    buf[n] = '\0';
    if (sscanf(buf, "%llu %llu", &run, &delay) != 2) {
        return -1;
    }
    *run_ns = run;
    *delay_ns = delay;
    return 0;
}

/* Yields that take long are skipped, unless a wake-up takes longer still (core.h,
 * BPI_ADAPT_YIELD_LONG_NS): are this rank's yields worth making? */
static inline int progress_yields_pay(const bpi_adapt_t *a)
{
    return a->yield_ns <= BPI_ADAPT_YIELD_LONG_NS || a->yield_ns <= a->wake_ns;
}

/*
 * The watch the other way, for a rank it turned adaptive (BPI_AUTO_WATCH_NS in core.h):
 * at the start of a gap, at most every BPI_AUTO_WATCH_NS, the kernel's count of how long
 * this thread waited for its CPU while it could run. Under 1/8 of a window in which it ran
 * or waited to run at least 1/16 of the time: nobody else wants the CPU now (another job
 * on the node has ended, a build is done), and spinning costs nobody anything, so the rank
 * turns back to spin, and the watch is on again. Measured here over 200 ms windows, a rank
 * in barriers after its peer's 300 us of work: beside a CPU hog it waited 53-58 ms to run
 * 15; once the hog had gone, 2-9 ms to run 21-26. A rank that hardly runs (a long wait
 * asleep) is not judged: woken seldom, the kernel runs it at once even beside a hog, and it
 * would turn back to spin through the wait beside it. 1 when it turned.
 */
static BP_SLOWPATH int progress_auto_back(bp_context_t *ctx, uint64_t now)
{
    bpi_auto_watch_t *w = &ctx->watch;
    uint64_t window = now - w->from_ns, run, delay;

    if (w->from_ns != 0 && window < BPI_AUTO_WATCH_NS) {
        return 0;
    }
    if (progress_schedstat(&run, &delay) != 0) {
        w->turned = 0;
        bpi_log_debug("progress: no scheduler statistics (/proc/thread-self/schedstat): auto "
                      "stays adaptive");
        return 0;
    }
    /* counts that went back: another thread of the program waits now (see the watch). And
     * yields must pay again: beside a CPU hog a rank that sleeps through its waits is woken
     * ahead of the hog, and so hardly waits for its CPU; its probe yields, which hand the
     * hog the CPU for a time slice each, are what still sees the hog there */
    if (w->from_ns != 0 && window <= BPI_AUTO_WATCH_MAX_NS && progress_yields_pay(&ctx->adapt) &&
        run >= w->from_cpu_ns &&
        delay >= w->from_delay_ns &&
        (run - w->from_cpu_ns + (delay - w->from_delay_ns)) * 16 >= window &&
        (delay - w->from_delay_ns) * 8 < window) {
        for (unsigned i = 0; i < ctx->ntl; i++) {
            ctx->tls[i].ops->may_sleep(ctx->tls[i].iface, 0); /* awake: no sleep from now */
        }
        bpi_log_info("progress: auto turns back to spin: in %llu ms this rank waited %llu ms "
                     "for its CPU and ran %llu ms (the CPU is its own again)",
                     (unsigned long long)(window / 1000000),
                     (unsigned long long)((delay - w->from_delay_ns) / 1000000),
                     (unsigned long long)((run - w->from_cpu_ns) / 1000000));
        ctx->progress_mode = BPI_PROGRESS_SPIN;
        ctx->adapt.gap_start_ns = 0;
        w->turned = 0;
        w->on = 1;
        w->from_ns = 0;
        return 1;
    }
    w->from_ns = now;
    w->from_cpu_ns = run;
    w->from_delay_ns = delay;
    return 0;
}

/*
 * Spin mode's now and then: the first idle poll of a wait, and every 1024th of a wait
 * (40-140 us of polls here): every 64th of those, the peers' liveness; while auto watches,
 * auto's watch, which reads the clock (vDSO, no system call) and the kernel's counts at most
 * every BPI_AUTO_WATCH_NS. A ping-pong's waits, a few polls each, reach none of it: no
 * system call; the waits for an uneven peer, where spinning costs another program its
 * CPU, do.
 */
static BP_SLOWPATH unsigned progress_spin_slow(bp_context_t *ctx, const bpi_idle_t *idle)
{
    if (idle->spins == 1) {
        return progress_idle_first(ctx);
    }
    if ((idle->spins & 0xffff) == 1 || ctx->watch.on) {
        uint64_t now = bpi_tl_now_ns();
        if ((idle->spins & 0xffff) == 1) {
            progress_liveness(ctx, now);
        }
        if (ctx->watch.on) {
            progress_auto_watch(ctx, now);
        }
    }
    return 0;
}

/*
 * A receive from one peer, first in the posted queue (so no other posted receive may claim
 * what that peer sends next): its peer, when its transport offers the next frame in place
 * (ops->peek; not the stub: a tcp or xdp wait then polls as before, with no call more per
 * turn); else NULL.
 */
static bpi_peer_t *wait_take_peer(bp_context_t *ctx, const bp_request_t *req)
{
    const bpi_peer_t *peer;

    if (req->type != BPI_REQ_RECV || !req->queued || req->peer < 0 ||
        req->peer == ctx->rank || ctx->posted.next != &req->link) {
        return NULL;
    }
    peer = &ctx->peers[req->peer];
    if (peer->tl == NULL || peer->tl->peek == bpi_tl_notsup_peek) {
        return NULL;
    }
    return &ctx->peers[req->peer];
}

/*
 * Take the peer's next frame straight into req when it is a whole message (one eager frame)
 * that req matches and can hold: what match.c would do with it, without the round through
 * the transport's progress, the arrival callback and the posted queue's walk. Anything else
 * (another tag, a fragment, a rendezvous, a message too long: truncation) stays for
 * progress to deliver the usual way. req stays first among the posted receives for the
 * whole wait (progress only removes receives), and frames of one peer come in order: the
 * matching rules are those of match.c.
 */
BP_HOT static inline int wait_take(bpi_peer_t *peer, bp_request_t *req)
{
    const void *payload;
    const bpi_wire_hdr_t *hdr;

    if (!req->queued || peer->rx_req != NULL || peer->rx_unexp != NULL) {
        /* progress matched req meanwhile (a rendezvous, or the first of its fragments), or
         * a message of this peer is under way and its fragments come next */
        return 0;
    }
    hdr = peer->tl->peek(peer->ep, &payload);
    if (hdr == NULL || hdr->type != BPI_WIRE_EAGER || hdr->src != (uint32_t)req->peer ||
        hdr->frame_len != hdr->msg_len || hdr->msg_len > req->len ||
        !bpi_match(req->peer, req->tag, req->ignore, req->flags, req->peer, hdr->tag,
                   hdr->flags)) {
        return 0;
    }
    bpi_list_remove(&req->link);
    req->queued = 0;
    req->source = req->peer;
    req->rtag = hdr->tag;
    req->msg_len = hdr->msg_len;
    req->offset = hdr->msg_len;
    bpi_copy(req->buf, payload, hdr->frame_len);
    peer->tl->consume(peer->ep);
    bpi_req_complete(req, BP_OK);
    return 1;
}

/*
 * The first idle step of a wait, in the CPU hand-off's steady state: ranks of ours
 * outnumber the CPUs (a->mates) and yields show this one shared, so the spin budget is 0;
 * yields take their usual time; nothing is to be failed or settled (progress_idle_first);
 * and this yield is not one that the sampling below asks about (every 16th). The step then
 * comes to what adaptive's own would: the board's marks for a gap, its quick look, a yield,
 * a poll. Without the gap: no clock, no learning, none of its bookkeeping. In a shared
 * CPU's ring a hop is a rank's run plus a CPU's switch, halved, and these were a fifth of
 * the run (docs/PERFORMANCE.md, "a twelfth session"); the gaps it skips would teach the
 * spin budget, which is 0 here whatever they teach, and nothing else. 1 when it yielded and
 * polled (the wait looks at its request again; if it goes on, its next step opens a gap
 * that counts this yield: idle->fast); 0 when the look says spin: the full step, then.
 */
BP_HOT static int progress_first_yield(bp_context_t *ctx, bpi_idle_t *idle)
{
    bpi_adapt_t *a = &ctx->adapt;

    idle->cpu1 = bpi_hcoll_hand_gap(ctx, idle) + 1;
    idle->spinning = 0;
    if (bpi_hcoll_hand_spin(ctx, idle, BPI_HAND_LOOK_QUICK) == BPI_HAND_SPIN) {
        return 0;
    }
    a->gap_start_ns = 0; /* one left open by an earlier wait is dropped, as a gap's start does */
    a->nyields++;
    a->nfast++;
    idle->spins = 1;
    idle->fast = 1;
    sched_yield();
    if (idle->take == NULL || !wait_take(idle->take, idle->req)) {
        bpi_progress(ctx);
    }
    return 1;
}

/* One step of the adaptive mode (spin, yield or sleep), then a poll of our own: an arrival
 * ends the gap here, so bpi_progress needs no test for it. `now` is the step's latest clock
 * reading, passed on rather than read again (31 ns a reading on the development VMs, and
 * with more ranks than CPUs every hop of a message is one such step). */
BP_HOT static BP_NOINLINE void progress_adaptive(bp_context_t *ctx, bpi_idle_t *idle)
{
    bpi_adapt_t *a = &ctx->adapt;
    uint64_t now;

    if (idle->spins == 0 && ctx->handoff && a->mates && a->spin_ns == 0 && a->shared >= 128 &&
        progress_yields_pay(a) &&
        a->nyields % BPI_ADAPT_YIELD_SAMPLE != 0 && ctx->nfailed == 0 &&
        ctx->nlanes_on == 0 && progress_first_yield(ctx, idle)) {
        return;
    }
    now = bpi_tl_now_ns();
    if (idle->spins++ == 0 || a->gap_start_ns == 0) {
        if (idle->spins == 1 && progress_idle_first(ctx) > 0) {
            return;
        }
        if (BP_UNLIKELY(ctx->watch.turned) && progress_auto_back(ctx, now)) {
            return; /* spin from the next idle poll on */
        }
        a->gap_start_ns = now;
        a->hand_from_ns = now;
        a->late_ns = 0;
        a->phase = 0;
        a->yields = (uint32_t)idle->fast; /* the first step's yield, if it made one */
        a->nfast -= (uint64_t)idle->fast;  /* which then did not end the gap */
        a->spun = 0;
        idle->spinning = 0;
        idle->yielded = idle->fast;
        idle->fast = 0;
        idle->cpu1 = ctx->handoff ? bpi_hcoll_hand_gap(ctx, idle) + 1 : 0;
    }
    if (a->phase == 0) {
        if (now - a->gap_start_ns < a->spin_ns) {
            a->nspin++;
            a->spun |= BPI_ADAPT_SPUN_BUDGET;
            bpi_cpu_relax();
            goto poll;
        }
        a->phase = 1;
    }
    if (a->phase == 1) {
        /* yields that do not pay: one, timed, at most every BPI_ADAPT_PROBE_NS */
        int pay = progress_yields_pay(a);
        int probe = !pay && a->yields == 0 && now - a->probe_ns >= BPI_ADAPT_PROBE_NS;
        uint32_t yields = pay ? BPI_ADAPT_YIELDS : probe ? 1 : 0;
        int how = BPI_HAND_BUSY;
        if (ctx->handoff) {
            how = bpi_hcoll_hand_spin(ctx, idle,
                                      idle->spinning            ? BPI_HAND_LOOK_MATES
                                      : a->yields < yields      ? BPI_HAND_LOOK_QUICK
                                                                : BPI_HAND_LOOK_ALL);
            idle->spinning = 0;
            /* the spin is for a receive from one rank, or a sync of the job's: waits whose
             * sender the board can name (any source, a group's sync: only the yield budget) */
            if (how == BPI_HAND_SPIN && (idle->peer1 > 0 || idle->sync != 0) &&
                now - a->hand_from_ns < BPI_ADAPT_HAND_NS &&
                (a->hand_hit >= BPI_ADAPT_HAND_HIT_MIN || (a->ngaps & 15) == 0)) {
                /* the hand-off (coll_shm.c): our sender runs elsewhere, nobody here needs
                 * the CPU */
                a->spun |= BPI_ADAPT_SPUN_HAND;
                a->nhand++;
                idle->spinning = 1;
                bpi_cpu_relax();
                goto poll;
            }
        }
        if (how != BPI_HAND_SPIN && idle->mate1 > 0 && idle->yielded) {
            /* The kernel ran us out of the token's order: a CPU-mate nearer the token is
             * still to run. Yields keep the order they were made in, so it would stay
             * wrong for every lap; sleep until that mate passes the token on instead, and
             * come back behind it (coll_shm.c, "Order"). Past our yields too: a plain
             * sleep would wait for our own message, whose sender would pay the wake-up on
             * the token's path; the mate wakes us a hop or more ahead of it */
            a->yields++;
            a->nparks++;
            bpi_hcoll_hand_park(ctx, idle->mate1 - 1);
            progress_adaptive_sleep(ctx);
            bpi_hcoll_hand_unpark(ctx);
            now = bpi_tl_now_ns();
            a->hand_from_ns = now; /* the mate ahead has passed the token on: we are next */
            progress_liveness(ctx, now);
            goto poll;
        }
        /* The yield budget's kind of gap: every rank of our CPU waits, and our yields run
         * one of them, or the board shows one there that sleeps. Its yields then run
         * nobody, so the samples call the CPU free; but were we to sleep too, the vCPU
         * would halt, and whoever ends our wait would pay for the hypervisor to run it
         * again: tens of us, at times hundreds (docs/PERFORMANCE.md, "an eighth session") */
        if (a->yields >= yields && how != BPI_HAND_BUSY && yields == BPI_ADAPT_YIELDS &&
            (a->shared >= 128 || idle->mated)) {
            a->spun |= BPI_ADAPT_SPUN_YIELD;
        }
        if (a->yields < yields || (how != BPI_HAND_BUSY && yields == BPI_ADAPT_YIELDS &&
                                   progress_yield_on(ctx, idle, now - a->gap_start_ns))) {
            /* How long did the yield take, and did it run another process? Asked of the
             * clock and the kernel for every yield while the CPU looks free (yields are rare
             * then: the budget catches most gaps); while it looks shared (a yield per
             * message), of the clock every 16th (33 ns a reading here) and of the kernel
             * every 64th (two getrusage cost 0.65 us). An untimed yield leaves `now` as it
             * was: the gap's end, should the frame be there, takes the time before the
             * yield, and the next step reads the clock */
            int sampled = a->shared < 128 || a->yield_ns > BPI_ADAPT_YIELD_LONG_NS / 2 ||
                          a->nyields % BPI_ADAPT_YIELD_SAMPLE == 0; /* a probe's among them */
            long switched = a->shared < 128 || probe || a->nyields % BPI_ADAPT_SWITCH_SAMPLE == 0
                                ? progress_switched()
                                : -1;
            uint64_t took;
            a->yields++;
            a->nyields++;
            a->probe_ns = probe ? now : a->probe_ns;
            idle->yielded = 1;
            sched_yield();
            if (!sampled) {
                goto poll;
            }
            took = bpi_tl_now_ns() - now;
            now += took;
            /* each sample counts for at most BPI_ADAPT_WAKE_MAX_NS, as a wake-up's does: the
             * two are weighed against each other above (the host took the vCPU away for
             * milliseconds now and then in its slow phase, and that alone turned yields off) */
            took = took < BPI_ADAPT_WAKE_MAX_NS ? took : BPI_ADAPT_WAKE_MAX_NS;
            if (switched >= 0) {
                /* 1/8 per sample: how often a yield let another process run on this CPU */
                a->shared = a->shared - (a->shared >> 3) +
                            (progress_switched() != switched ? 32 : 0);
            }
            /* 1/8 per sample: how long a yield takes. A probe that came back soon puts the
             * average at the edge of paying (the other program may have gone): the yields
             * that follow are all timed there, and one that hands the CPU away for a time
             * slice takes it past the edge again */
            a->yield_ns = probe && took <= BPI_ADAPT_YIELD_LONG_NS && a->yield_ns > took
                              ? BPI_ADAPT_YIELD_LONG_NS
                              : a->yield_ns - (a->yield_ns >> 3) + (took >> 3);
            if (a->yields == yields) {
                progress_budget(a);
            }
            progress_liveness(ctx, now);
            goto poll;
        }
        a->phase = 2;
        a->nsleeps++;
    }
    progress_adaptive_sleep(ctx);
    now = bpi_tl_now_ns();
    progress_liveness(ctx, now);
poll:
    /* the frame the wait is for straight from its sender's ring first: after a yield it has
     * usually come, and the full progress (every ring, the matching) costs more than the
     * rest of the hop's user time */
    if (((idle->take != NULL && wait_take(idle->take, idle->req)) || bpi_progress(ctx) > 0) &&
        a->gap_start_ns != 0) {
        progress_gap_end(ctx, now);
    }
}

/*
 * A program that polls with bp_test or bp_progress instead of waiting never reaches
 * bpi_idle: every 1024th such poll that finds its request unfinished (bpi_liveness_tick)
 * also fails receives that wait on a failed peer and looks at the clock, so a dead peer
 * fails its requests there too (not per message: a counter).
 */
void bpi_liveness_slow(bp_context_t *ctx)
{
    progress_idle_first(ctx);
    progress_liveness(ctx, bpi_tl_now_ns());
}

BP_HOT void bpi_idle(bp_context_t *ctx, bpi_idle_t *idle)
{
    if (BP_UNLIKELY(ctx->in_coll) && ctx->coll_hook != NULL) {
        ctx->coll_hook(ctx->coll_hook_arg); /* bp_set_coll_hook: between two polls */
    }
    if (BP_LIKELY(ctx->progress_mode == BPI_PROGRESS_SPIN)) {
        /* a pause between polls (it lets the other hardware thread of the core run, and
         * halved the latency on these machines); the rest only now and then */
        if (BP_UNLIKELY((idle->spins++ & 0x3ff) == 0) && progress_spin_slow(ctx, idle) > 0) {
            return;
        }
        bpi_cpu_relax();
        return;
    }
    if (ctx->progress_mode == BPI_PROGRESS_ADAPTIVE) {
        progress_adaptive(ctx, idle);
        return;
    }
    /* block */
    if (idle->spins++ == 0 && progress_idle_first(ctx) > 0) {
        return;
    }
    progress_sleep(ctx);
    progress_liveness(ctx, bpi_tl_now_ns());
}

const char *bpi_progress_name(int mode)
{
    switch (mode) {
    case BPI_PROGRESS_SPIN:
        return "spin";
    case BPI_PROGRESS_BLOCK:
        return "block";
    case BPI_PROGRESS_ADAPTIVE:
        return "adaptive";
    default:
        return "auto";
    }
}

/*
 * BP_PROGRESS=auto: spin when every rank of this host can have a CPU of its own, that is
 * when the CPUs the ranks of this host may run on, together, are at least as many as those
 * ranks; adaptive otherwise. Every rank of a host computes this from the same cards, so
 * the host agrees. (A rank bound to one CPU by the launcher sees one CPU in its own mask:
 * only the union says whether CPUs are shared.) CPUs are the kernel's logical CPUs, the
 * hardware threads: two ranks spinning on the two threads of one core slow each other a
 * little but never wait for a time slice, which is what makes spinning collapse; so no
 * topology library (hwloc) is needed to decide.
 */
void bpi_progress_resolve(bp_context_t *ctx, const bpi_card_hdr_t *hellos)
{
    uint64_t cpus[4] = {0, 0, 0, 0};
    int ncpus = 0, nlocal = 0;
    char why[160];

    for (int r = 0; r < ctx->size; r++) {
        if (hellos[r].host_id != hellos[ctx->rank].host_id) {
            continue; /* ranks elsewhere do not share our CPUs */
        }
        nlocal++;
        for (int w = 0; w < 4; w++) {
            cpus[w] |= hellos[r].cpus[w];
        }
    }
    for (int w = 0; w < 4; w++) {
        ncpus += __builtin_popcountll(cpus[w]);
    }
    ctx->nlocal = nlocal;
    if (ctx->config.progress != BPI_PROGRESS_AUTO) {
        ctx->progress_mode = (int)ctx->config.progress;
        snprintf(why, sizeof(why), "BP_PROGRESS=%s; %d ranks on this host, %d CPUs between "
                 "them", bpi_progress_name(ctx->progress_mode), nlocal, ncpus);
    } else if (nlocal <= ncpus) {
        ctx->progress_mode = BPI_PROGRESS_SPIN;
        ctx->watch.on = 1; /* unless another program wants our CPU (progress_auto_watch) */
        snprintf(why, sizeof(why), "auto: %d ranks on this host, %d CPUs between them: a CPU "
                 "each", nlocal, ncpus);
    } else {
        ctx->progress_mode = BPI_PROGRESS_ADAPTIVE;
        snprintf(why, sizeof(why), "auto: %d ranks on this host, %d CPUs between them: CPUs "
                 "are shared", nlocal, ncpus);
    }
    /* adaptive starts from what auto knows: no spinning where CPUs are shared */
    ctx->adapt.mates = nlocal > ncpus;
    ctx->adapt.shared = ctx->adapt.mates ? 256 : 0;
    ctx->adapt.hit = 256;
    ctx->adapt.hand_hit = 256;
    ctx->adapt.need_ns = BPI_ADAPT_SPIN_MAX_NS / 2;
    progress_budget(&ctx->adapt);
    bpi_log_debug("progress %s (%s)", bpi_progress_name(ctx->progress_mode), why);
#if __has_include(<sys/rseq.h>)
    if (ctx->adapt.mates && __rseq_size > 0) {
        /* bprun turns it off in such jobs (tools/bprun.c, "rseq"); other launchers do not */
        bpi_log_debug("progress: glibc's rseq registration is on: every hand-off of a CPU "
                      "between ranks costs more (GLIBC_TUNABLES=glibc.pthread.rseq=0 turns it "
                      "off, as bprun does with more ranks than CPUs)");
    }
#endif
}

/* For bp-info: what BP_PROGRESS makes of this machine (outside a job: this process's CPUs). */
void bpi_progress_describe(const bpi_config_t *cfg, char *buf, size_t len)
{
    cpu_set_t set;
    int ncpus = 0;

    if (sched_getaffinity(0, sizeof(set), &set) == 0) {
        ncpus = CPU_COUNT(&set);
    }
    if (cfg->progress == BPI_PROGRESS_AUTO) {
        snprintf(buf, len,
                 "  auto: spin while the ranks of a host have a CPU each (counted in the union "
                 "of their affinity masks), else adaptive; a spinning rank whose CPU another "
                 "program wants (the kernel takes it more than every %llu ms, and the rank "
                 "runs under 3/4 of the time, over %llu ms) turns adaptive\n"
                 "  here: %d CPUs in this process's affinity mask: spin for up to %d ranks on "
                 "this host, adaptive beyond\n",
                 BPI_AUTO_PREEMPT_NS / 1000000, BPI_AUTO_WATCH_NS / 1000000, ncpus, ncpus);
    } else {
        snprintf(buf, len, "  forced: every rank uses %s (BP_PROGRESS=%s)\n",
                 bpi_progress_name((int)cfg->progress), bpi_progress_name((int)cfg->progress));
    }
    snprintf(buf + strlen(buf), len - strlen(buf),
             "  adaptive: spin up to %llu us (twice what recent waits needed; none while yields "
             "show the CPU is shared by more ranks than CPUs; where ranks do not outnumber "
             "CPUs, at least what a wake-up costs), then %d sched_yield, then sleep\n"
             "  adaptive, every rank on one host: a receive whose sender runs on another CPU "
             "spins instead of yielding, up to %llu us, while no rank of its CPU has been sent "
             "anything and such spins catch their sender (CPU hand-off; bprun binds rank r to "
             "CPU r mod CPUs); while every rank of its CPU waits, a wait yields on rather than "
             "sleep, up to %llu us (twice what recent such waits needed, none when they were "
             "longer), and never less than twice what a wake-up took (measured, up to %llu "
             "us); the last rank of the job awake on a CPU yields on up to %llu us before it "
             "sleeps, so that the CPU does not halt; a rank the kernel runs before the "
             "CPU-mate that is nearer the token "
             "sleeps until that mate passes the token on, so that the CPU's turns follow the "
             "token\n",
             BPI_ADAPT_SPIN_MAX_NS / 1000, BPI_ADAPT_YIELDS, BPI_ADAPT_HAND_NS / 1000,
             BPI_ADAPT_YIELD_MAX_NS / 1000, BPI_ADAPT_WAKE_MAX_NS / 1000,
             BPI_ADAPT_LONE_NS / 1000);
}

void bpi_progress_report(bp_context_t *ctx)
{
    bpi_adapt_t *a = &ctx->adapt;

    if (ctx->progress_mode == BPI_PROGRESS_ADAPTIVE || a->ngaps > 0) { /* or was, for a while */
        bpi_log_debug("adaptive progress: %llu idle gaps, %llu budget spins in %llu gaps, "
                      "%llu yields, %llu sleeps, %llu parked, %llu gaps that ended at their "
                      "first yield without the clock, %llu hand-off spins in %llu "
                      "gaps, %llu gaps past their yields beside waiting ranks (yield budget "
                      "%llu ns), %llu as their CPU's last awake rank; spin budget now %llu ns "
                      "(CPU shared by %u/256 of sampled yields, %u/256 of gaps short enough "
                      "to spin through, %u/256 of "
                      "hand-off spins caught their sender, a yield takes %llu ns, a wake-up "
                      "%llu ns in %llu measured)",
                      (unsigned long long)(a->ngaps + a->nfast), (unsigned long long)a->nspin,
                      (unsigned long long)a->nspingaps,
                      (unsigned long long)a->nyields, (unsigned long long)a->nsleeps,
                      (unsigned long long)a->nparks, (unsigned long long)a->nfast,
                      (unsigned long long)a->nhand,
                      (unsigned long long)a->nhandgaps,
                      (unsigned long long)a->nyieldgaps, (unsigned long long)a->yield_budget_ns,
                      (unsigned long long)a->nlonegaps,
                      (unsigned long long)a->spin_ns, a->shared, a->hit, a->hand_hit,
                      (unsigned long long)a->yield_ns, (unsigned long long)a->wake_ns,
                      (unsigned long long)a->nwakes);
    }
    if (ctx->streams[0] + ctx->streams[1] > 0) {
        bpi_log_debug("rendezvous streams sent: %llu with the messages, %llu over a bulk lane",
                      (unsigned long long)ctx->streams[0], (unsigned long long)ctx->streams[1]);
    }
    if (ctx->sleeps.n > 0) {
        /* every sleep on the transports' wait handles: block's, and adaptive's sleeps and
         * parks (a gap's "sleeps" above counts gaps that reached the sleep phase) */
        bpi_log_debug("sleeps on the transports: %llu (adaptive's parks among them); %llu in "
                      "one poll() over %u transports, "
                      "%llu of them ended with nothing to read",
                      (unsigned long long)ctx->sleeps.n, (unsigned long long)ctx->sleeps.polls,
                      ctx->nactive, (unsigned long long)ctx->sleeps.polls_idle);
    }
}

BP_HOT bp_status_t bpi_wait_req(bp_context_t *ctx, bp_request_t *req)
{
    bpi_idle_t idle = {.peer1 = req->type == BPI_REQ_RECV && req->peer >= 0 ? req->peer + 1 : 0,
                       .take = wait_take_peer(ctx, req),
                       .req = req};

    while (!req->done) {
        if (idle.take != NULL && wait_take(idle.take, req)) {
            break;
        }
        if (bpi_progress(ctx) == 0 && !req->done) {
            bpi_idle(ctx, &idle);
        }
    }
    bpi_idle_end(ctx, &idle);
    /* A wait can end without an arrival in adaptive's own poll (a send that found room, an
     * arrival in the poll above): its gap stays open and is dropped by the next wait's
     * first idle poll, never closed by a later arrival that would make it look long. */
    return req->status;
}

/* Finalize: nothing may stay in a queue that points into freed memory. */
void bpi_cancel_all(bp_context_t *ctx)
{
    bpi_list_t *pos, *tmp;

    bpi_list_for_each_safe(pos, tmp, &ctx->posted) {
        bp_request_t *req = bpi_container_of(pos, bp_request_t, link);
        bpi_list_remove(&req->link);
        req->queued = 0;
        bpi_req_complete(req, BP_ERR_CANCELED);
    }
    for (int r = 0; r < ctx->size; r++) {
        unsigned n = 0;
        bpi_list_for_each_safe(pos, tmp, &ctx->peers[r].sendq) {
            bp_request_t *req = bpi_container_of(pos, bp_request_t, link);
            bpi_list_remove(&req->link);
            req->queued = 0;
            bpi_rndv_release(ctx, req);
            bpi_req_complete(req, BP_ERR_CANCELED);
        }
        bpi_rndv_fail_peer(ctx, r, BP_ERR_CANCELED, &n);
    }
    bpi_list_init(&ctx->sendq_peers);
}
