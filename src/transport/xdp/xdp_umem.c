/*
 * xdp_umem.c - the UMEM, the AF_XDP sockets and their rings, shared by the processes of
 * a host on one interface queue (see xdp.h for why and how).
 *
 * The leader (local index 0) creates the UMEM in a memfd, registers it on a socket of its
 * own (the owner: fill and completion rings, bound to queue 0 of the interface, never in
 * the steering map), binds its rank's socket to it like the others, loads the steering
 * program, and then hands the memfd, the owner socket and the program's socket map to every
 * other local process over an abstract UNIX socket (named after the job key and the
 * interface, so only the job's own processes in this network namespace find it; abstract
 * names vanish with their sockets, so a killed job leaves nothing behind). The followers
 * bind their own sockets with XDP_SHARED_UMEM and map the leader's fill and completion
 * rings through the owner socket. The leader's open() waits until every follower was
 * served, the followers' open() until the leader answers: both bounded. Why an owner socket
 * apart from the leader's rank socket: every follower maps rings through the owner and so
 * keeps it open; were it the leader's rank socket, it would outlive a killed leader and stay
 * in the steering map, swallowing the frames for the dead rank instead of letting its host
 * answer NOEP (the kernel removes a socket from the map only when it is released).
 *
 * Leaving. The steering program stays on the interface until someone detaches it, so the
 * last process of the host to close removes it. Each process registers in the shared
 * users[] table (its pid and start time, under the shared lock); at close it clears its
 * slot and looks at the others: slots of processes that no longer run (killed with
 * SIGKILL, which never closes anything) are cleared too, and when no live process is left,
 * this one is the last. A survivor of a killed rank thus still cleans up; only a host whose
 * processes were all killed leaves the program, which the next job's leader removes as
 * stale (xdp_prog.c). When a local process was killed, or a local process had seen a peer
 * fail before its teardown (the job is failing: ranks elsewhere may still wait for ours,
 * which leave early), the last one out keeps the program a little longer
 * (BPI_XDP_GONE_LINGER_MS, xdp.h): it is what answers the other hosts' probes for the ranks
 * gone from here with NOEP, so that their ranks fail them at once; without it they would
 * wait for the give-up of a silent host.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <assert.h>
#include <time.h>
#include <unistd.h>

#include "core/log.h"
#include "transport/xdp/xdp.h"

#ifndef SOL_XDP
#define SOL_XDP 283
#endif

#define XDP_HANDOFF_MAGIC 0x42505848u /* "BPXH" */
#define XDP_HANDOFF_TIMEOUT_MS 20000
#define XDP_OWNER_TX_RING 64 /* the owner socket sends nothing: the smallest ring will do */

typedef struct xdp_hello {
    uint32_t magic;
    uint32_t local_index;
    int32_t rank;
    uint32_t reserved;
} xdp_hello_t;

typedef struct xdp_handoff {
    uint32_t magic;
    uint32_t nlocal;
    uint32_t nframes;
    uint32_t pool_first;
    uint32_t pool_frames;
    uint32_t fill_size;
    uint32_t comp_size;
    uint32_t sg; /* the UMEM takes multi-buffer frames (XDP_USE_SG on the leader's bind) */
} xdp_handoff_t;

static_assert(sizeof(bpi_xdp_shared_t) <= BPI_XDP_SHARED_BYTES,
              "the shared block must fit before the first frame");

static uint32_t pow2_at_least(uint32_t n)
{
    uint32_t p = 1;

    while (p < n) {
        p <<= 1;
    }
    return p;
}

/*
 * The start time of process pid (clock ticks since boot, /proc/<pid>/stat field 22), 0 when
 * it does not run: gone, or a zombie (killed, not yet reaped by its parent: it will never
 * close anything either).
 */
static uint64_t proc_start(uint32_t pid)
{
    char path[64], buf[1024];
    unsigned long long start = 0;
    FILE *f;
    char *p;

    snprintf(path, sizeof(path), "/proc/%u/stat", pid);
    f = fopen(path, "re");
    if (f == NULL) {
        return 0;
    }
    if (fgets(buf, sizeof(buf), f) != NULL && (p = strrchr(buf, ')')) != NULL &&
        p[1] == ' ' && p[2] != 'Z' && p[2] != 'X') {
        /* fields after the command: state is the 3rd, starttime the 22nd */
        int field = 2;
        char *save = NULL;
        for (char *tok = strtok_r(p + 1, " ", &save); tok != NULL;
             tok = strtok_r(NULL, " ", &save)) {
            if (++field == 22) {
                start = strtoull(tok, NULL, 10);
                break;
            }
        }
    }
    fclose(f);
    return start;
}

static void shared_lock(bpi_xdp_shared_t *sh);

/* Our pid namespace's inode: the pids in the table mean something only in it. */
static uint32_t pidns_self(void)
{
    struct stat st;

    return stat("/proc/self/ns/pid", &st) == 0 ? (uint32_t)st.st_ino : 0;
}

/* Our slot in the users table (under the lock: a closing process scans the table). */
static void users_enter(bpi_tl_iface_t *iface)
{
    bpi_xdp_user_t *u = &iface->shared->users[iface->local_index];

    shared_lock(iface->shared);
    u->pid = (uint32_t)getpid();
    u->pidns = pidns_self();
    u->start = proc_start(u->pid);
    pthread_mutex_unlock(&iface->shared->lock);
}

/*
 * Clear our slot and those of processes that no longer run; 0 when live processes are
 * left, 1 when we are the last out, 2 when we are and a local process was killed. Under
 * the lock, so of two processes closing at once exactly one sees the other's slot cleared.
 */
static int users_leave(bpi_tl_iface_t *iface)
{
    bpi_xdp_shared_t *sh = iface->shared;
    uint32_t ns = pidns_self();
    int live = 0;

    shared_lock(sh);
    sh->users[iface->local_index].pid = 0;
    for (uint32_t i = 0; i < BPI_XDP_MAX_LOCAL; i++) {
        bpi_xdp_user_t *u = &sh->users[i];
        if (u->pid == 0) {
            continue;
        }
        if (u->pidns != ns || proc_start(u->pid) == u->start) {
            live++; /* running, or in another pid namespace: taken for running */
        } else {
            bpi_log_debug("xdp: local process %u (pid %u) left without closing (killed)", i,
                          u->pid);
            u->pid = 0;
            sh->gone++;
        }
    }
    pthread_mutex_unlock(&sh->lock);
    return live > 0 ? 0 : sh->gone > 0 || sh->failed ? 2 : 1;
}

static void handoff_name(const bpi_tl_iface_t *iface, struct sockaddr_un *sa, socklen_t *len)
{
    int n;

    memset(sa, 0, sizeof(*sa));
    sa->sun_family = AF_UNIX;
    /* abstract: sun_path[0] is NUL */
    n = snprintf(sa->sun_path + 1, sizeof(sa->sun_path) - 1, "bypass-xdp-%016llx-%d",
                 (unsigned long long)iface->jobkey, iface->ifindex);
    *len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + (size_t)n);
}

/* Map one of the four rings of socket fd. */
static bp_status_t ring_map(bpi_xdp_ring_t *ring, int fd, const struct xdp_ring_offset *off,
                            uint32_t size, size_t desc_size, off_t pgoff, const char *what)
{
    ring->map_len = off->desc + size * desc_size;
    ring->map = mmap(NULL, ring->map_len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE,
                     fd, pgoff);
    if (ring->map == MAP_FAILED) {
        ring->map = NULL;
        bpi_log_error("xdp: mmap of the %s ring: %s", what, strerror(errno));
        return BP_ERR_SYS;
    }
    ring->producer = (_Atomic uint32_t *)((char *)ring->map + off->producer);
    ring->consumer = (_Atomic uint32_t *)((char *)ring->map + off->consumer);
    ring->flags = (uint32_t *)((char *)ring->map + off->flags);
    ring->descs = (char *)ring->map + off->desc;
    ring->mask = size - 1;
    ring->cached = 0;
    return BP_OK;
}

static void ring_unmap(bpi_xdp_ring_t *ring)
{
    if (ring->map != NULL) {
        munmap(ring->map, ring->map_len);
        ring->map = NULL;
    }
}

static bp_status_t xsk_setopt(int fd, int opt, uint32_t val, const char *what)
{
    if (setsockopt(fd, SOL_XDP, opt, &val, sizeof(val)) != 0) {
        bpi_log_error("xdp: setsockopt(%s, %u): %s", what, val, strerror(errno));
        return BP_ERR_SYS;
    }
    return BP_OK;
}

static bp_status_t xsk_offsets(int fd, struct xdp_mmap_offsets *off)
{
    socklen_t len = sizeof(*off);

    if (getsockopt(fd, SOL_XDP, XDP_MMAP_OFFSETS, off, &len) != 0) {
        bpi_log_error("xdp: getsockopt(XDP_MMAP_OFFSETS): %s", strerror(errno));
        return BP_ERR_SYS;
    }
    return BP_OK;
}

/* Our own socket's rx and tx rings (every process). */
static bp_status_t xsk_own_rings(bpi_tl_iface_t *iface)
{
    struct xdp_mmap_offsets off;
    bp_status_t status;

    if ((status = xsk_setopt(iface->xsk, XDP_RX_RING, BPI_XDP_RX_RING, "XDP_RX_RING")) !=
            BP_OK ||
        (status = xsk_setopt(iface->xsk, XDP_TX_RING, BPI_XDP_TX_RING, "XDP_TX_RING")) !=
            BP_OK ||
        (status = xsk_offsets(iface->xsk, &off)) != BP_OK ||
        (status = ring_map(&iface->rx, iface->xsk, &off.rx, BPI_XDP_RX_RING,
                           sizeof(struct xdp_desc), XDP_PGOFF_RX_RING, "rx")) != BP_OK ||
        (status = ring_map(&iface->tx, iface->xsk, &off.tx, BPI_XDP_TX_RING,
                           sizeof(struct xdp_desc), XDP_PGOFF_TX_RING, "tx")) != BP_OK) {
        return status;
    }
    return BP_OK;
}

/* The UMEM's fill and completion rings, through the socket that owns the UMEM. */
static bp_status_t xsk_umem_rings(bpi_tl_iface_t *iface, uint32_t fill_size, uint32_t comp_size)
{
    struct xdp_mmap_offsets off;
    bp_status_t status;

    if ((status = xsk_offsets(iface->umem_xsk, &off)) != BP_OK ||
        (status = ring_map(&iface->fill, iface->umem_xsk, &off.fr, fill_size, sizeof(uint64_t),
                           (off_t)XDP_UMEM_PGOFF_FILL_RING, "fill")) != BP_OK ||
        (status = ring_map(&iface->comp, iface->umem_xsk, &off.cr, comp_size,
                           sizeof(uint64_t), (off_t)XDP_UMEM_PGOFF_COMPLETION_RING,
                           "completion")) != BP_OK) {
        return status;
    }
    return BP_OK;
}

static bp_status_t area_map(bpi_tl_iface_t *iface, uint32_t nframes)
{
    iface->area_len = BPI_XDP_SHARED_BYTES + (size_t)nframes * BPI_XDP_FRAME;
    iface->area = mmap(NULL, iface->area_len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE,
                       iface->memfd, 0);
    if (iface->area == MAP_FAILED) {
        iface->area = NULL;
        bpi_log_error("xdp: mmap of the UMEM (%zu bytes): %s", iface->area_len,
                      strerror(errno));
        return BP_ERR_SYS;
    }
    iface->shared = iface->area;
    iface->frames = (uint8_t *)iface->area + BPI_XDP_SHARED_BYTES;
    return BP_OK;
}

/*
 * Bind a socket to queue 0 of the interface: 0, or the errno. The queue stays busy for a
 * moment after the sockets of a job that just ended are closed (the kernel releases them
 * asynchronously), so a job started right after another on the same interface retries
 * EBUSY for a while (bounded) before it gives up.
 */
static int xsk_bind_try(bpi_tl_iface_t *iface, int fd, uint16_t flags, int shared_fd)
{
    struct sockaddr_xdp sxdp;
    const struct timespec pause = {.tv_sec = 0, .tv_nsec = 5000000};

    memset(&sxdp, 0, sizeof(sxdp));
    sxdp.sxdp_family = AF_XDP;
    sxdp.sxdp_ifindex = (uint32_t)iface->ifindex;
    sxdp.sxdp_queue_id = 0;
    sxdp.sxdp_flags = flags;
    sxdp.sxdp_shared_umem_fd = (uint32_t)shared_fd;
    for (int tries = 0; bind(fd, (struct sockaddr *)&sxdp, sizeof(sxdp)) != 0; tries++) {
        if (errno != EBUSY || tries == 400) { /* 2 s */
            return errno;
        }
        nanosleep(&pause, NULL);
    }
    return 0;
}

static bp_status_t xsk_bind(bpi_tl_iface_t *iface, int fd, uint16_t flags, int shared_fd)
{
    int err = xsk_bind_try(iface, fd, flags, shared_fd);

    if (err != 0) {
        bpi_log_error("xdp: bind of the AF_XDP socket to %s queue 0%s: %s", iface->ifname,
                      shared_fd >= 0 ? " (shared UMEM)" : "", strerror(err));
        return BP_ERR_SYS;
    }
    return BP_OK;
}

static void xsk_probe_mode(bpi_tl_iface_t *iface)
{
    struct xdp_options opts;
    socklen_t len = sizeof(opts);

    iface->zerocopy = getsockopt(iface->xsk, SOL_XDP, XDP_OPTIONS, &opts, &len) == 0 &&
                      (opts.flags & XDP_OPTIONS_ZEROCOPY);
    iface->need_wakeup = 1; /* flags carry XDP_RING_NEED_WAKEUP; checked per kick */
}

/* Leader: create the UMEM, our socket, bind, fill the receive pool. */
static bp_status_t umem_create(bpi_tl_iface_t *iface, uint32_t *fill_size, uint32_t *comp_size)
{
    uint32_t nlocal = iface->nlocal;
    uint32_t nframes;
    struct xdp_umem_reg mr;
    pthread_mutexattr_t attr;
    bp_status_t status;

    iface->pool_first = nlocal * BPI_XDP_TX_FRAMES;
    iface->pool_frames = nlocal * BPI_XDP_RX_RING;
    nframes = iface->pool_first + iface->pool_frames;
    *fill_size = pow2_at_least(iface->pool_frames);
    *comp_size = pow2_at_least(nlocal * BPI_XDP_TX_RING);

    iface->memfd = memfd_create("bypass-xdp-umem", MFD_CLOEXEC);
    if (iface->memfd < 0) {
        bpi_log_error("xdp: memfd_create: %s", strerror(errno));
        return BP_ERR_SYS;
    }
    if (ftruncate(iface->memfd, (off_t)(BPI_XDP_SHARED_BYTES +
                                        (size_t)nframes * BPI_XDP_FRAME)) != 0) {
        bpi_log_error("xdp: ftruncate of the UMEM memfd: %s", strerror(errno));
        return BP_ERR_SYS;
    }
    if ((status = area_map(iface, nframes)) != BP_OK) {
        return status;
    }
    pthread_mutexattr_init(&attr);
    pthread_mutexattr_setpshared(&attr, PTHREAD_PROCESS_SHARED);
    pthread_mutexattr_setrobust(&attr, PTHREAD_MUTEX_ROBUST);
    pthread_mutex_init(&iface->shared->lock, &attr);
    pthread_mutexattr_destroy(&attr);
    iface->shared->nlocal = nlocal;
    iface->shared->ifindex = (uint32_t)iface->ifindex;
    users_enter(iface);

    iface->umem_xsk = socket(AF_XDP, SOCK_RAW | SOCK_CLOEXEC, 0);
    if (iface->umem_xsk < 0) {
        bpi_log_error("xdp: socket(AF_XDP): %s", strerror(errno));
        return BP_ERR_SYS;
    }
    memset(&mr, 0, sizeof(mr));
    mr.addr = (uint64_t)(uintptr_t)iface->frames;
    mr.len = (uint64_t)nframes * BPI_XDP_FRAME;
    mr.chunk_size = BPI_XDP_FRAME;
    mr.headroom = 0;
    if (setsockopt(iface->umem_xsk, SOL_XDP, XDP_UMEM_REG, &mr, sizeof(mr)) != 0) {
        bpi_log_error("xdp: registering the UMEM (%llu bytes): %s",
                      (unsigned long long)mr.len, strerror(errno));
        return BP_ERR_SYS;
    }
    /* a bound socket needs an rx or a tx ring: the owner gets a small tx ring it never uses */
    if ((status = xsk_setopt(iface->umem_xsk, XDP_UMEM_FILL_RING, *fill_size,
                             "XDP_UMEM_FILL_RING")) != BP_OK ||
        (status = xsk_setopt(iface->umem_xsk, XDP_UMEM_COMPLETION_RING, *comp_size,
                             "XDP_UMEM_COMPLETION_RING")) != BP_OK ||
        (status = xsk_setopt(iface->umem_xsk, XDP_TX_RING, XDP_OWNER_TX_RING,
                             "XDP_TX_RING")) != BP_OK ||
        (status = xsk_umem_rings(iface, *fill_size, *comp_size)) != BP_OK) {
        return status;
    }
    /* the whole receive pool goes to the kernel */
    for (uint32_t i = 0; i < iface->pool_frames; i++) {
        ((uint64_t *)iface->fill.descs)[i & iface->fill.mask] =
            (uint64_t)(iface->pool_first + i) * BPI_XDP_FRAME;
    }
    atomic_store_explicit(iface->fill.producer, iface->pool_frames, memory_order_release);
    /* the kernel takes zero-copy where the driver has it, copy mode otherwise; frames
     * larger than a chunk need multi-buffer sockets (XDP_USE_SG, kernel >= 6.6): where
     * the kernel refuses it, frames stay within one chunk */
    if (iface->sg) {
        int err = xsk_bind_try(iface, iface->umem_xsk, XDP_USE_NEED_WAKEUP | XDP_USE_SG, -1);
        if (err != 0) {
            bpi_log_info("xdp: multi-buffer frames refused on %s (%s): frames of at most "
                         "one UMEM chunk", iface->ifname, strerror(err));
            iface->sg = 0;
        }
    }
    if (!iface->sg &&
        (status = xsk_bind(iface, iface->umem_xsk, XDP_USE_NEED_WAKEUP, -1)) != BP_OK) {
        return status;
    }
    /* our rank's socket, bound to the owner's UMEM as the followers' are */
    iface->xsk = socket(AF_XDP, SOCK_RAW | SOCK_CLOEXEC, 0);
    if (iface->xsk < 0) {
        bpi_log_error("xdp: socket(AF_XDP): %s", strerror(errno));
        return BP_ERR_SYS;
    }
    if ((status = xsk_own_rings(iface)) != BP_OK) {
        return status;
    }
    return xsk_bind(iface, iface->xsk, XDP_SHARED_UMEM, iface->umem_xsk);
}

static int handoff_send(int fd, const xdp_handoff_t *ho, const int *fds, int nfds)
{
    char cbuf[CMSG_SPACE(3 * sizeof(int))];
    struct iovec iov = {.iov_base = (void *)ho, .iov_len = sizeof(*ho)};
    struct msghdr msg;
    struct cmsghdr *cm;

    memset(&msg, 0, sizeof(msg));
    memset(cbuf, 0, sizeof(cbuf));
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = cbuf;
    msg.msg_controllen = CMSG_SPACE((size_t)nfds * sizeof(int));
    cm = CMSG_FIRSTHDR(&msg);
    cm->cmsg_level = SOL_SOCKET;
    cm->cmsg_type = SCM_RIGHTS;
    cm->cmsg_len = CMSG_LEN((size_t)nfds * sizeof(int));
    memcpy(CMSG_DATA(cm), fds, (size_t)nfds * sizeof(int));
    return sendmsg(fd, &msg, MSG_NOSIGNAL) == (ssize_t)sizeof(*ho) ? 0 : -1;
}

/* Leader: serve nlocal - 1 followers, each once. */
static bp_status_t umem_serve(bpi_tl_iface_t *iface, uint32_t fill_size, uint32_t comp_size)
{
    struct sockaddr_un sa;
    socklen_t salen;
    uint32_t served = 0;
    uint64_t deadline = bpi_tl_now_ms() + XDP_HANDOFF_TIMEOUT_MS;
    int lfd;
    bp_status_t status = BP_OK;
    xdp_handoff_t ho = {
        .magic = XDP_HANDOFF_MAGIC,
        .nlocal = iface->nlocal,
        .nframes = iface->pool_first + iface->pool_frames,
        .pool_first = iface->pool_first,
        .pool_frames = iface->pool_frames,
        .sg = (uint32_t)iface->sg,
        .fill_size = fill_size,
        .comp_size = comp_size,
    };
    int fds[3] = {iface->memfd, iface->umem_xsk, iface->xskmap_fd};

    if (iface->nlocal <= 1) {
        return BP_OK;
    }
    lfd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
    handoff_name(iface, &sa, &salen);
    if (lfd < 0 || bind(lfd, (struct sockaddr *)&sa, salen) != 0 || listen(lfd, 64) != 0) {
        bpi_log_error("xdp: the UMEM hand-off socket @%s: %s", sa.sun_path + 1,
                      strerror(errno));
        if (lfd >= 0) {
            close(lfd);
        }
        return BP_ERR_SYS;
    }
    while (served + 1 < iface->nlocal) {
        struct pollfd pfd = {.fd = lfd, .events = POLLIN};
        uint64_t now = bpi_tl_now_ms();
        xdp_hello_t hello;
        int cfd;

        if (now >= deadline) {
            bpi_log_error("xdp: %u of %u local processes did not come for the shared UMEM "
                          "within %d ms", iface->nlocal - 1 - served, iface->nlocal - 1,
                          XDP_HANDOFF_TIMEOUT_MS);
            status = BP_ERR_BOOT;
            break;
        }
        if (poll(&pfd, 1, (int)(deadline - now)) <= 0) {
            continue;
        }
        cfd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
        if (cfd < 0) {
            continue;
        }
        if (recv(cfd, &hello, sizeof(hello), 0) == (ssize_t)sizeof(hello) &&
            hello.magic == XDP_HANDOFF_MAGIC && hello.local_index > 0 &&
            hello.local_index < iface->nlocal && handoff_send(cfd, &ho, fds, 3) == 0) {
            served++;
        } else {
            bpi_log_warn("xdp: a malformed request on the UMEM hand-off socket, ignored");
        }
        close(cfd);
    }
    close(lfd);
    return status;
}

/* Follower: ask the leader for the UMEM; bind our socket to it. */
static bp_status_t umem_join(bpi_tl_iface_t *iface)
{
    struct sockaddr_un sa;
    socklen_t salen;
    uint64_t deadline = bpi_tl_now_ms() + XDP_HANDOFF_TIMEOUT_MS;
    xdp_hello_t hello = {.magic = XDP_HANDOFF_MAGIC,
                         .local_index = (uint32_t)iface->local_index,
                         .rank = iface->rank};
    xdp_handoff_t ho;
    char cbuf[CMSG_SPACE(3 * sizeof(int))];
    struct iovec iov = {.iov_base = &ho, .iov_len = sizeof(ho)};
    struct msghdr msg;
    struct cmsghdr *cm;
    int fd = -1, fds[3];
    ssize_t n;
    bp_status_t status;

    handoff_name(iface, &sa, &salen);
    for (;;) {
        fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
        if (fd < 0) {
            bpi_log_error("xdp: socket(AF_UNIX): %s", strerror(errno));
            return BP_ERR_SYS;
        }
        if (connect(fd, (struct sockaddr *)&sa, salen) == 0) {
            break;
        }
        close(fd);
        if (bpi_tl_now_ms() >= deadline) {
            bpi_log_error("xdp: the host's first process never offered the shared UMEM "
                          "(@%s: %s)", sa.sun_path + 1, strerror(errno));
            return BP_ERR_BOOT;
        }
        usleep(2000);
    }
    memset(&msg, 0, sizeof(msg));
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = cbuf;
    msg.msg_controllen = sizeof(cbuf);
    if (send(fd, &hello, sizeof(hello), MSG_NOSIGNAL) != (ssize_t)sizeof(hello)) {
        bpi_log_error("xdp: UMEM hand-off: send: %s", strerror(errno));
        close(fd);
        return BP_ERR_SYS;
    }
    {
        struct pollfd pfd = {.fd = fd, .events = POLLIN};
        if (poll(&pfd, 1, XDP_HANDOFF_TIMEOUT_MS) != 1) {
            bpi_log_error("xdp: UMEM hand-off: no answer from the host's first process");
            close(fd);
            return BP_ERR_BOOT;
        }
    }
    n = recvmsg(fd, &msg, MSG_CMSG_CLOEXEC);
    close(fd);
    cm = CMSG_FIRSTHDR(&msg);
    if (n != (ssize_t)sizeof(ho) || ho.magic != XDP_HANDOFF_MAGIC || cm == NULL ||
        cm->cmsg_type != SCM_RIGHTS || cm->cmsg_len != CMSG_LEN(3 * sizeof(int)) ||
        ho.nlocal != iface->nlocal) {
        bpi_log_error("xdp: UMEM hand-off: a malformed answer (%zd bytes)", n);
        if (cm != NULL && cm->cmsg_type == SCM_RIGHTS) {
            memcpy(fds, CMSG_DATA(cm), sizeof(fds));
            for (size_t i = 0; i < (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int) && i < 3; i++) {
                close(fds[i]);
            }
        }
        return BP_ERR_PROTO;
    }
    memcpy(fds, CMSG_DATA(cm), sizeof(fds));
    iface->memfd = fds[0];
    iface->umem_xsk = fds[1];
    iface->xskmap_fd = fds[2];
    iface->pool_first = ho.pool_first;
    iface->pool_frames = ho.pool_frames;
    iface->sg = ho.sg != 0; /* the UMEM's, whatever our MTU asked for */
    if ((status = area_map(iface, ho.nframes)) != BP_OK) {
        return status;
    }
    iface->xsk = socket(AF_XDP, SOCK_RAW | SOCK_CLOEXEC, 0);
    if (iface->xsk < 0) {
        bpi_log_error("xdp: socket(AF_XDP): %s", strerror(errno));
        return BP_ERR_SYS;
    }
    if ((status = xsk_own_rings(iface)) != BP_OK ||
        (status = xsk_umem_rings(iface, ho.fill_size, ho.comp_size)) != BP_OK) {
        return status;
    }
    users_enter(iface);
    return xsk_bind(iface, iface->xsk, XDP_SHARED_UMEM, iface->umem_xsk);
}

void bpi_xdp_umem_note_failures(bpi_tl_iface_t *iface)
{
    for (int r = 0; r < iface->size && iface->shared != NULL; r++) {
        if (iface->eps[r] != NULL && iface->eps[r]->dead) {
            shared_lock(iface->shared);
            iface->shared->failed = 1;
            pthread_mutex_unlock(&iface->shared->lock);
            return;
        }
    }
}

bp_status_t bpi_xdp_umem_open(bpi_tl_iface_t *iface, const bpi_tl_params_t *params)
{
    uint32_t fill_size = 0, comp_size = 0;
    bp_status_t status;

    iface->memfd = iface->xsk = iface->umem_xsk = iface->xskmap_fd = iface->cfg_fd = -1;
    iface->leader = iface->local_index == 0;
    if (iface->leader) {
        if ((status = umem_create(iface, &fill_size, &comp_size)) != BP_OK ||
            (status = bpi_xdp_prog_attach(iface)) != BP_OK ||
            (status = bpi_xdp_prog_add_socket(iface)) != BP_OK) {
            return status;
        }
        status = umem_serve(iface, fill_size, comp_size);
    } else {
        if ((status = umem_join(iface)) != BP_OK) {
            return status;
        }
        status = bpi_xdp_prog_add_socket(iface);
    }
    if (status != BP_OK) {
        return status;
    }
    xsk_probe_mode(iface);
    iface->tx_first = (uint32_t)iface->local_index * BPI_XDP_TX_FRAMES;
    bpi_xdp_tx_init(iface);
    return BP_OK;
}

void bpi_xdp_umem_close(bpi_tl_iface_t *iface)
{
    int last = 0;

    if (iface->shared != NULL) {
        last = users_leave(iface);
    }
    if (iface->xskmap_fd >= 0) {
        bpi_xdp_prog_detach(iface); /* our socket out of the map */
    }
    if (last == 2) {
        bpi_log_debug("xdp: the job is failing: the steering program stays %d ms to answer "
                      "the other hosts for the ranks gone from here", BPI_XDP_GONE_LINGER_MS);
        usleep(BPI_XDP_GONE_LINGER_MS * 1000);
    }
    if (iface->shared != NULL) {
        bpi_xdp_prog_release(iface, last != 0);
    }
    if (iface->cfg_fd >= 0) {
        close(iface->cfg_fd);
    }
    ring_unmap(&iface->rx);
    ring_unmap(&iface->tx);
    ring_unmap(&iface->fill);
    ring_unmap(&iface->comp);
    if (iface->area != NULL) {
        munmap(iface->area, iface->area_len);
    }
    if (iface->xsk >= 0) {
        close(iface->xsk);
    }
    if (iface->umem_xsk >= 0 && iface->umem_xsk != iface->xsk) {
        close(iface->umem_xsk);
    }
    if (iface->xskmap_fd >= 0) {
        close(iface->xskmap_fd);
    }
    if (iface->memfd >= 0) {
        close(iface->memfd);
    }
}

/* Lock the shared rings; a process that died holding the lock left them consistent (each
 * ring update is published by one store of its index), so we just take over. */
static int shared_trylock(bpi_xdp_shared_t *sh)
{
    int rc = pthread_mutex_trylock(&sh->lock);

    if (rc == EOWNERDEAD) {
        pthread_mutex_consistent(&sh->lock);
        rc = 0;
    }
    return rc == 0;
}

static void shared_lock(bpi_xdp_shared_t *sh)
{
    if (pthread_mutex_lock(&sh->lock) == EOWNERDEAD) {
        pthread_mutex_consistent(&sh->lock);
    }
}

/* Give the frames we consumed back to the kernel (the shared fill ring). */
void bpi_xdp_fill_flush(bpi_tl_iface_t *iface)
{
    bpi_xdp_ring_t *fr = &iface->fill;
    uint32_t prod;

    if (iface->nrefill == 0) {
        return;
    }
    shared_lock(iface->shared);
    prod = atomic_load_explicit(fr->producer, memory_order_relaxed);
    /* the pool is never larger than the ring: there is always room */
    for (unsigned i = 0; i < iface->nrefill; i++) {
        ((uint64_t *)fr->descs)[(prod + i) & fr->mask] = iface->refill[i];
    }
    atomic_store_explicit(fr->producer, prod + iface->nrefill, memory_order_release);
    pthread_mutex_unlock(&iface->shared->lock);
    iface->nrefill = 0;
}

/* Drain the shared completion ring, crediting each frame's owner. */
void bpi_xdp_comp_drain(bpi_tl_iface_t *iface)
{
    bpi_xdp_ring_t *cr = &iface->comp;
    uint32_t cons, prod;

    if (!shared_trylock(iface->shared)) {
        return; /* another process is draining it */
    }
    cons = atomic_load_explicit(cr->consumer, memory_order_relaxed);
    prod = atomic_load_explicit(cr->producer, memory_order_acquire);
    for (; cons != prod; cons++) {
        uint64_t addr = ((uint64_t *)cr->descs)[cons & cr->mask];
        uint32_t owner = (uint32_t)(addr / BPI_XDP_FRAME) / BPI_XDP_TX_FRAMES;
        if (owner < BPI_XDP_MAX_LOCAL) {
            atomic_fetch_add_explicit(&iface->shared->completed[owner], 1,
                                      memory_order_release);
        }
    }
    atomic_store_explicit(cr->consumer, cons, memory_order_release);
    pthread_mutex_unlock(&iface->shared->lock);
}
