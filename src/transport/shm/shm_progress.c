/*
 * shm_progress.c - the receive side: read committed frames from this process's shared queue
 * and from the fast rings it handed out, hand them to the core, and sleep on the segment's
 * futex in blocking mode (woken by a sender's frame, or by bpi_shm_ep_wake when the core's
 * shared-memory collectives move on); when the core sleeps on several transports at once,
 * in its poll() on the wake socket instead (bpi_shm_wait_fd).
 */
#include <errno.h>
#include <linux/futex.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "core/log.h"
#include "transport/shm/shm.h"

/* A RING_ON from src: its next frames come on fast ring idx of my segment. */
static void shm_ring_on(bpi_tl_iface_t *iface, const bpi_wire_hdr_t *hdr)
{
    bpi_shm_seg_hdr_t *seg = iface->seg;
    uint64_t idx = hdr->tag;
    bpi_shm_rx_ring_t *rx;

    if (idx >= seg->max_rings || iface->nrx_rings >= seg->max_rings) {
        bpi_log_error("shm: rank %u announced fast ring %llu of %u: ignored", hdr->src,
                      (unsigned long long)idx, seg->max_rings);
        return;
    }
    rx = &iface->rx_rings[iface->nrx_rings];
    bpi_shm_ring_view(&rx->ring, (char *)seg + seg->rings_off + idx * seg->ring_bytes,
                      seg->ring_slots, seg->slot_size);
    rx->cons.head = 0;
    rx->cons.published = 0;
    rx->src = (int)hdr->src;
    iface->nrx_rings++;
    bpi_log_debug("shm: rank %u now sends on fast ring %llu", hdr->src,
                  (unsigned long long)idx);
}

/* Inlined into bpi_shm_progress: an empty poll is the loop every waiting rank spins in. */
static inline __attribute__((always_inline)) unsigned
shm_ring_poll(bpi_tl_iface_t *iface, const bpi_shm_ring_t *ring, bpi_shm_ring_cons_t *cons,
              unsigned budget)
{
    unsigned n = 0;

    while (n < budget) {
        bpi_shm_slot_t *slot = bpi_shm_ring_peek(ring, cons->head);
        uint32_t span;
        if (slot == NULL) {
            bpi_shm_ring_flush(ring, cons);
            break;
        }
        span = bpi_shm_ring_span(ring, slot->hdr.frame_len);
        if (__builtin_expect(slot->hdr.type == BPI_WIRE_TL, 0)) {
            if (slot->hdr.tl_op == BPI_SHM_OP_RING_ON) {
                shm_ring_on(iface, &slot->hdr);
            } /* BPI_SHM_OP_PAD: nothing to do but skip it */
        } else {
            iface->recv_cb(iface->cb_arg, &slot->hdr, slot + 1);
        }
        bpi_shm_ring_consume_span(ring, cons, span);
        n++;
    }
    return n;
}

BP_HOT unsigned bpi_shm_progress(bpi_tl_iface_t *iface, unsigned budget)
{
    unsigned n = 0;

    for (uint32_t i = 0; i < iface->nrx_rings; i++) {
        n += shm_ring_poll(iface, &iface->rx_rings[i].ring, &iface->rx_rings[i].cons, budget);
    }
    n += shm_ring_poll(iface, &iface->queue, &iface->queue_cons, budget);
    return n;
}

/* The fast ring ep's peer sends us on, once its RING_ON has been read (then cached). */
static bpi_shm_rx_ring_t *shm_ep_rx(bpi_tl_ep_t *ep)
{
    bpi_tl_iface_t *iface = ep->iface;

    for (uint32_t i = 0; i < iface->nrx_rings; i++) {
        if (iface->rx_rings[i].src == ep->peer) {
            ep->rx = &iface->rx_rings[i];
            return ep->rx;
        }
    }
    return NULL;
}

/* The frame at the head of the peer's fast ring. Before the ring exists the peer's frames
 * come through the shared queue, mixed with others': none is offered then. */
BP_HOT const bpi_wire_hdr_t *bpi_shm_ep_peek(bpi_tl_ep_t *ep, const void **payload_p)
{
    bpi_shm_rx_ring_t *rx = ep->rx;
    bpi_shm_slot_t *slot;

    if (__builtin_expect(rx == NULL, 0) && (rx = shm_ep_rx(ep)) == NULL) {
        return NULL;
    }
    slot = bpi_shm_ring_peek(&rx->ring, rx->cons.head);
    if (slot == NULL) {
        return NULL;
    }
    *payload_p = slot + 1;
    return &slot->hdr;
}

BP_HOT void bpi_shm_ep_consume(bpi_tl_ep_t *ep)
{
    bpi_shm_rx_ring_t *rx = ep->rx;
    const bpi_shm_slot_t *slot = bpi_shm_ring_slot(&rx->ring, rx->cons.head);

    bpi_shm_ring_consume_span(&rx->ring, &rx->cons,
                              bpi_shm_ring_span(&rx->ring, slot->hdr.frame_len));
}

static int shm_anything_waiting(bpi_tl_iface_t *iface)
{
    if (bpi_shm_ring_peek(&iface->queue, iface->queue_cons.head) != NULL) {
        return 1;
    }
    for (uint32_t i = 0; i < iface->nrx_rings; i++) {
        bpi_shm_rx_ring_t *rx = &iface->rx_rings[i];
        if (bpi_shm_ring_peek(&rx->ring, rx->cons.head) != NULL) {
            return 1;
        }
    }
    return 0;
}

/* A sleep is over: if a peer's wake-up ended it, tell the core how late we ran again. */
static void shm_woke(bpi_tl_iface_t *iface)
{
    uint64_t woken = atomic_load_explicit(&iface->seg->woken_ns, memory_order_relaxed);

    if (woken > iface->slept_ns && iface->params.woke != NULL) {
        uint64_t now = bpi_tl_now_ns();
        iface->params.woke(iface->params.cb_arg, now > woken ? now - woken : 0);
    }
}

/* Nothing to read, and nothing the core waits for (a collective's word: its writers call
 * bpi_shm_ep_wake after their store): a sleep's last look. */
static int shm_nothing(bpi_tl_iface_t *iface)
{
    return !shm_anything_waiting(iface) &&
           (iface->params.pending == NULL || !iface->params.pending(iface->params.cb_arg));
}

/* FUTEX_WAIT on `futex` while it holds val, at most timeout_us: 1 when it ended early (a
 * wake-up, a sender that bumped the word after we read val, a signal), 0 when it timed
 * out, -1 on an error (logged). */
static int shm_futex_wait(bpi_tl_iface_t *iface, uint32_t val, int timeout_us)
{
    struct timespec ts = bpi_tl_timespec(timeout_us);

    if (syscall(SYS_futex, &iface->seg->futex, FUTEX_WAIT, val, &ts, NULL, 0) == 0) {
        shm_woke(iface);
        return 1;
    }
    if (errno == ETIMEDOUT) {
        return 0;
    }
    if (errno == EAGAIN || errno == EINTR) {
        return 1;
    }
    bpi_log_error("shm: futex wait: %s", strerror(errno));
    return -1;
}

bp_status_t bpi_shm_wait(bpi_tl_iface_t *iface, int timeout_us)
{
    bpi_shm_seg_hdr_t *seg = iface->seg;
    uint32_t val;
    int ended = 0;

    atomic_store_explicit(&seg->sleeping, BPI_SHM_SLEEP_FUTEX, memory_order_relaxed);
    /* seq_cst fence: our store of `sleeping` before our last look at the rings; pairs with
     * the sender's fence between its commit and its read of `sleeping` (shm_ep.c) */
    atomic_thread_fence(memory_order_seq_cst);
    val = atomic_load_explicit(&seg->futex, memory_order_acquire);
    if (shm_nothing(iface)) {
        /* senders that do not fence (BPI_SHM_SLEEPS_RELOOK): a look again BPI_SHM_RELOOK_US
         * in, when every commit made before such a sender saw us awake is visible. A sleep
         * no longer than that needs none: the core polls after each one */
        int relook = atomic_load_explicit(&seg->may_sleep, memory_order_relaxed) ==
                         BPI_SHM_SLEEPS_RELOOK &&
                     timeout_us > BPI_SHM_RELOOK_US;

        iface->slept_ns = bpi_tl_now_ns();
        ended = shm_futex_wait(iface, val, relook ? BPI_SHM_RELOOK_US : timeout_us);
        if (ended == 0 && relook) {
            val = atomic_load_explicit(&seg->futex, memory_order_acquire);
            if (shm_nothing(iface)) {
                ended = shm_futex_wait(iface, val, timeout_us - BPI_SHM_RELOOK_US);
            }
        }
    }
    atomic_store_explicit(&seg->sleeping, BPI_SHM_AWAKE, memory_order_relaxed);
    return ended < 0 ? BP_ERR_SYS : BP_OK;
}

/*
 * The core's sleep over several transports: the same announcement and last look as
 * bpi_shm_wait, but senders are told to wake us through the wake socket, which the core's
 * poll() watches. Without a socket, say nothing (senders would not wake us) and ask to be
 * looked at again within BPI_TL_POLL_US.
 */
bp_status_t bpi_shm_wait_fd(bpi_tl_iface_t *iface, struct pollfd *pfd, int *timeout_us)
{
    bpi_shm_seg_hdr_t *seg = iface->seg;

    pfd->fd = iface->wake_fd;
    pfd->events = POLLIN;
    pfd->revents = 0;
    if (iface->wake_fd < 0) {
        if (*timeout_us < 0 || *timeout_us > BPI_TL_POLL_US) {
            *timeout_us = BPI_TL_POLL_US;
        }
        return shm_anything_waiting(iface) ? BP_ERR_AGAIN : BP_OK;
    }
    uint64_t now = bpi_tl_now_ns();

    if (atomic_load_explicit(&seg->may_sleep, memory_order_relaxed) == BPI_SHM_SLEEPS_RELOOK) {
        /* the look again that senders without a fence rely on would here be the core's
         * next poll, a wake-up every BPI_SHM_RELOOK_US for a long sleep: ask them to fence
         * from now on instead, and sleep no longer than that until each has seen it (a
         * sender reads may_sleep after its commit: the grace is ample) */
        atomic_store_explicit(&seg->may_sleep, BPI_SHM_SLEEPS_FENCED, memory_order_seq_cst);
        iface->fenced_from_ns = now + BPI_TL_SLEEP_GRACE_NS;
    }
    if (iface->fenced_from_ns != 0) {
        if (now < iface->fenced_from_ns) {
            if (*timeout_us < 0 || *timeout_us > BPI_SHM_RELOOK_US) {
                *timeout_us = BPI_SHM_RELOOK_US;
            }
        } else {
            iface->fenced_from_ns = 0;
        }
    }
    atomic_store_explicit(&seg->sleeping, BPI_SHM_SLEEP_FD, memory_order_relaxed);
    /* the same fence as in bpi_shm_wait: our store before our last look */
    atomic_thread_fence(memory_order_seq_cst);
    if (!shm_nothing(iface)) {
        iface->slept_ns = UINT64_MAX; /* no sleep: nothing to learn in wait_fd_done */
        return BP_ERR_AGAIN;
    }
    iface->slept_ns = now;
    return BP_OK;
}

/* Awake again: senders stop sending wake-ups, and those that came are read and dropped
 * (their content is nothing; a wake-up sent after this look is dropped by the next one). */
void bpi_shm_wait_fd_done(bpi_tl_iface_t *iface)
{
    char buf[64];

    if (iface->wake_fd < 0) {
        return;
    }
    atomic_store_explicit(&iface->seg->sleeping, BPI_SHM_AWAKE, memory_order_relaxed);
    shm_woke(iface);
    /* each frame sent to us while we slept may have brought one; what a bounded drain
     * leaves only makes the next sleep end at once */
    for (int i = 0; i < 64 && recv(iface->wake_fd, buf, sizeof(buf), MSG_DONTWAIT) >= 0; i++) {
    }
}

/* From now on we may sleep (on 1): senders look at `sleeping` after each send, with no
 * fence, and our futex sleeps look again BPI_SHM_RELOOK_US in (shm_ep.c, bpi_shm_wait); or we
 * will not (on 0, called awake): they need not look. */
void bpi_shm_may_sleep(bpi_tl_iface_t *iface, int on)
{
    atomic_store_explicit(&iface->seg->may_sleep,
                          on ? BPI_SHM_SLEEPS_RELOOK : BPI_SHM_NEVER_SLEEPS,
                          memory_order_seq_cst);
    iface->fenced_from_ns = 0;
}
