/*
 * shm_iface.c - the shm transport's set-up: create and map this process's segment, publish
 * its name in the business card, map the peers' segments, unlink once all have mapped.
 * The ops table is at the end of the file.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <stddef.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <unistd.h>

#include "core/log.h"
#include "transport/shm/shm.h"

/*
 * Test-only hook: BPI_TEST_SHM_STALL_MS=N makes ready() wait N ms before unlinking the
 * segment name, so that tests/fault can kill a job in the window where its names exist.
 * Not a BP_ variable: users never set it.
 */
#define SHM_TEST_STALL_ENV "BPI_TEST_SHM_STALL_MS"

/*
 * The wake socket (blocking progress on several transports, shm.h): a datagram socket bound
 * to an abstract address named after the job and the rank, so that it needs no file and
 * goes with the process however it ends. Its name goes into the segment's header, where
 * senders read it. Not fatal when it cannot be made: the core then looks at shm again within
 * BPI_TL_POLL_US while it sleeps on the other transports.
 */
static void shm_wake_open(bpi_tl_iface_t *iface, bpi_shm_seg_hdr_t *seg, uint64_t jobkey,
                          int rank)
{
    struct sockaddr_un addr = {.sun_family = AF_UNIX};
    int n, fd;

    n = snprintf(addr.sun_path + 1, sizeof(seg->wake_name) - 1, "bypass-%016llx-%d",
                 (unsigned long long)jobkey, rank);
    fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        bpi_log_info("shm: no wake socket (%s): blocking waits on several transports look "
                     "at shm every %d us", strerror(errno), BPI_TL_POLL_US);
        return;
    }
    if (bind(fd, (const struct sockaddr *)&addr,
             (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + (size_t)n)) != 0) {
        bpi_log_info("shm: no wake socket (bind @%s: %s): blocking waits on several "
                     "transports look at shm every %d us", addr.sun_path + 1, strerror(errno),
                     BPI_TL_POLL_US);
        close(fd);
        return;
    }
    memcpy(seg->wake_name, addr.sun_path, (size_t)n + 1);
    seg->wake_len = (uint32_t)n + 1;
    iface->wake_fd = fd;
}

/* A pidfd for the peer's process, or -1 (kernel before 5.3, or not allowed here). */
static int shm_pidfd_open(pid_t pid)
{
#ifdef SYS_pidfd_open
    return (int)syscall(SYS_pidfd_open, pid, 0);
#else
    return -1;
#endif
}

/* Has the process exited? A zombie has (its init may be slow to reap it, or never do:
 * some containers' pid 1), which kill(pid, 0) cannot tell; a pidfd can. */
static int shm_pid_gone(pid_t pid)
{
    int fd = shm_pidfd_open(pid);

    if (fd >= 0) {
        struct pollfd pfd = {.fd = fd, .events = POLLIN};
        int gone = poll(&pfd, 1, 0) > 0;
        close(fd);
        return gone;
    }
    if (errno == ESRCH) {
        return 1;
    }
    return kill(pid, 0) != 0 && errno == ESRCH;
}

static bp_status_t shm_query(const bpi_config_t *config, char *why, size_t whylen)
{
    if (access("/dev/shm", W_OK) != 0) {
        snprintf(why, whylen, "/dev/shm is not writable: %s", strerror(errno));
        return BP_ERR_NOTSUP;
    }
    snprintf(why, whylen, "/dev/shm writable");
    return BP_OK;
}

/* Our pid namespace, so that a sweep never judges the pids of another namespace. */
static uint32_t shm_pidns(void)
{
    struct stat st;

    return stat("/proc/self/ns/pid", &st) == 0 ? (uint32_t)st.st_ino : 0;
}

/*
 * /bp-<jobkey>-<rank>-<owner pid>-<owner's pid namespace>: bprun removes a job's names by
 * the bp-<jobkey> prefix; the owner's pid lets any later bp_init remove the name of a rank
 * killed during start-up under a launcher that does not clean up (srun, Hydra, mpirun).
 */
static void shm_seg_name(char *buf, size_t len, uint64_t jobkey, int rank)
{
    snprintf(buf, len, "/bp-%016llx-%d-%d-%08x", (unsigned long long)jobkey, rank,
             (int)getpid(), shm_pidns());
}

/*
 * A rank killed between creating its segment and the fence after which every segment name
 * is unlinked (a kill -9 during bp_init) leaves its name in /dev/shm. Remove the names
 * whose owner process is gone: ours (same user; /dev/shm is sticky, so only those can be
 * removed anyway), of our pid namespace, whose owner process has exited (shm_pid_gone). A
 * name in the old form, of another namespace, or whose pid was reused, is left alone:
 * never guess.
 */
static void shm_sweep_stale(void)
{
    uint32_t ns = shm_pidns();
    struct dirent *de;
    DIR *dir;

    dir = opendir("/dev/shm");
    if (dir == NULL) {
        return;
    }
    while ((de = readdir(dir)) != NULL) {
        unsigned long long key;
        unsigned owner_ns;
        int rank, pid, end = 0;
        struct stat st;

        if (strncmp(de->d_name, "bp-", 3) != 0) {
            continue;
        }
        /* a rank's segment, or the one-host collectives' (src/core/coll_shm.c: rank 0's) */
        if (sscanf(de->d_name, "bp-%16llx-%d-%d-%8x%n", &key, &rank, &pid, &owner_ns, &end) !=
            4) {
            end = 0;
            rank = 0;
            if (sscanf(de->d_name, "bp-%16llx-coll-%d-%8x%n", &key, &pid, &owner_ns, &end) !=
                3) {
                continue;
            }
        }
        if (de->d_name[end] != '\0' || owner_ns != ns || pid <= 0 || pid == (int)getpid()) {
            continue;
        }
        if (fstatat(dirfd(dir), de->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0 ||
            st.st_uid != getuid() || !shm_pid_gone(pid)) {
            continue;
        }
        if (unlinkat(dirfd(dir), de->d_name, 0) == 0) {
            bpi_log_info("shm: removed /dev/shm/%s: its owner (pid %d, rank %d of job "
                         "%016llx) is gone",
                         de->d_name, pid, rank, key);
        }
    }
    closedir(dir);
}

static bp_status_t shm_open_iface(const bpi_tl_params_t *params, bpi_tl_iface_t **iface_p)
{
    const bpi_config_t *cfg = params->config;
    bpi_tl_iface_t *iface;
    bpi_shm_seg_hdr_t *seg;
    uint32_t slot_size = (uint32_t)cfg->shm_slot_size;
    uint64_t queue_bytes = bpi_shm_ring_bytes((uint32_t)cfg->shm_queue_slots, slot_size);
    uint64_t ring_bytes = bpi_shm_ring_bytes((uint32_t)cfg->shm_ring_slots, slot_size);
    uint64_t size = BPI_SHM_HDR_BYTES + queue_bytes + cfg->shm_max_rings * ring_bytes;
    bp_status_t status;
    void *mem;
    int fd;

    iface = calloc(1, sizeof(*iface));
    if (iface == NULL) {
        bpi_log_error("shm: out of memory");
        return BP_ERR_NOMEM;
    }
    iface->rx_rings = calloc(cfg->shm_max_rings + 1, sizeof(*iface->rx_rings));
    if (iface->rx_rings == NULL) {
        bpi_log_error("shm: out of memory");
        status = BP_ERR_NOMEM;
        goto err_free;
    }
    iface->params = *params;
    iface->recv_cb = params->recv_cb;
    iface->cb_arg = params->cb_arg;
    iface->ring_thresh = (uint32_t)cfg->shm_ring_thresh;
    shm_sweep_stale();
    shm_seg_name(iface->name, sizeof(iface->name), params->jobkey, params->rank);

    fd = shm_open(iface->name, O_RDWR | O_CREAT | O_EXCL, 0600);
    if (fd < 0) {
        bpi_log_error("shm: shm_open %s: %s", iface->name, strerror(errno));
        status = BP_ERR_SYS;
        goto err_free_rings;
    }
    if (ftruncate(fd, (off_t)size) != 0) {
        bpi_log_error("shm: ftruncate %s to %llu bytes: %s", iface->name,
                      (unsigned long long)size, strerror(errno));
        status = BP_ERR_SYS;
        goto err_close;
    }
    mem = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (mem == MAP_FAILED) {
        bpi_log_error("shm: mmap %s (%llu bytes): %s", iface->name, (unsigned long long)size,
                      strerror(errno));
        status = BP_ERR_SYS;
        goto err_close;
    }
    close(fd);

    /* The file is new, so zero-filled: every slot's seq is 0, every ring empty. */
    seg = mem;
    seg->magic = BPI_SHM_MAGIC;
    seg->version = BPI_SHM_VERSION;
    seg->jobkey = params->jobkey;
    seg->rank = params->rank;
    seg->pid = (int32_t)getpid();
    seg->slot_size = slot_size;
    seg->queue_slots = (uint32_t)cfg->shm_queue_slots;
    seg->ring_slots = (uint32_t)cfg->shm_ring_slots;
    seg->max_rings = (uint32_t)cfg->shm_max_rings;
    seg->seg_size = size;
    seg->queue_off = BPI_SHM_HDR_BYTES;
    seg->rings_off = BPI_SHM_HDR_BYTES + queue_bytes;
    seg->ring_bytes = ring_bytes;

    iface->seg = seg;
    iface->seg_size = size;
    /* whatever this rank's progress mode: it sends wake-ups to peers that sleep */
    iface->wake_fd = -1;
    shm_wake_open(iface, seg, params->jobkey, params->rank);
    bpi_shm_cma_probe_init(iface);
    bpi_shm_ring_view(&iface->queue, (char *)seg + seg->queue_off, seg->queue_slots, slot_size);
    iface->queue.clear_spans = 1; /* many producers: the consumer zeroes covered slots */
    bpi_log_debug("shm: segment %s, %llu bytes (queue %u x %u B, %u fast rings x %u slots)",
                  iface->name, (unsigned long long)size, seg->queue_slots, slot_size,
                  seg->max_rings, seg->ring_slots);
    *iface_p = iface;
    return BP_OK;

err_close:
    close(fd);
    shm_unlink(iface->name);
err_free_rings:
    free(iface->rx_rings);
err_free:
    free(iface);
    return status;
}

static void shm_close(bpi_tl_iface_t *iface)
{
    if (!iface->unlinked) {
        shm_unlink(iface->name);
    }
    munmap(iface->seg, iface->seg_size);
    if (iface->wake_fd >= 0) {
        close(iface->wake_fd);
    }
    free(iface->rx_rings);
    free(iface);
}

/* A frame may span up to a quarter of the smaller of the queue and a fast ring. */
static uint32_t shm_geometry_max_frame(uint32_t queue_slots, uint32_t ring_slots,
                                       uint32_t slot_size, uint32_t max_rings)
{
    bpi_shm_ring_t q, r;
    uint32_t max;

    bpi_shm_ring_view(&q, NULL, queue_slots, slot_size);
    bpi_shm_ring_view(&r, NULL, ring_slots, slot_size);
    max = bpi_shm_ring_max_frame(&q);
    if (max_rings > 0 && bpi_shm_ring_max_frame(&r) < max) {
        max = bpi_shm_ring_max_frame(&r);
    }
    return max;
}

static size_t shm_max_frame(const bpi_tl_iface_t *iface)
{
    const bpi_shm_seg_hdr_t *seg = iface->seg;

    return shm_geometry_max_frame(seg->queue_slots, seg->ring_slots, seg->slot_size,
                                  seg->max_rings);
}

static bp_status_t shm_card_pack(bpi_tl_iface_t *iface, void *buf, size_t *len_p)
{
    bpi_shm_card_t card;

    if (*len_p < sizeof(card)) {
        bpi_log_error("shm: no room for the card (%zu < %zu bytes)", *len_p, sizeof(card));
        return BP_ERR_INVAL;
    }
    memset(&card, 0, sizeof(card));
    memcpy(card.name, iface->name, sizeof(card.name));
    card.seg_size = iface->seg_size;
    card.pid = iface->seg->pid;
    card.cma_probe_addr = (uint64_t)(uintptr_t)&iface->cma_probe;
    card.cma_probe_value = iface->cma_probe;
    memcpy(buf, &card, sizeof(card));
    *len_p = sizeof(card);
    return BP_OK;
}

static bp_status_t shm_connect(bpi_tl_iface_t *iface, int peer, const void *cardbuf, size_t len,
                               bpi_tl_ep_t **ep_p)
{
    bpi_shm_card_t card;
    bpi_shm_seg_hdr_t *seg;
    bpi_tl_ep_t *ep;
    struct stat st;
    bp_status_t status;
    void *mem;
    int fd;

    if (len < sizeof(card)) {
        bpi_log_error("shm: rank %d: card too short (%zu bytes)", peer, len);
        return BP_ERR_PROTO;
    }
    memcpy(&card, cardbuf, sizeof(card));
    card.name[sizeof(card.name) - 1] = '\0';

    ep = calloc(1, sizeof(*ep));
    if (ep == NULL) {
        bpi_log_error("shm: out of memory");
        return BP_ERR_NOMEM;
    }
    fd = shm_open(card.name, O_RDWR, 0);
    if (fd < 0) {
        bpi_log_error("shm: rank %d: shm_open %s: %s", peer, card.name, strerror(errno));
        status = BP_ERR_SYS;
        goto err_free;
    }
    if (fstat(fd, &st) != 0 || (uint64_t)st.st_size != card.seg_size) {
        bpi_log_error("shm: rank %d: segment %s has %lld bytes, its card says %llu", peer,
                      card.name, (long long)st.st_size, (unsigned long long)card.seg_size);
        status = BP_ERR_PROTO;
        goto err_close;
    }
    mem = mmap(NULL, card.seg_size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (mem == MAP_FAILED) {
        bpi_log_error("shm: rank %d: mmap %s: %s", peer, card.name, strerror(errno));
        status = BP_ERR_SYS;
        goto err_close;
    }
    close(fd);
    seg = mem;
    if (seg->magic != BPI_SHM_MAGIC || seg->version != BPI_SHM_VERSION ||
        seg->jobkey != iface->params.jobkey || seg->rank != peer) {
        bpi_log_error("shm: rank %d: segment %s is foreign (magic %#x version %u rank %d)", peer,
                      card.name, seg->magic, seg->version, seg->rank);
        status = BP_ERR_PROTO;
        goto err_unmap;
    }

    /* our frames must fit the peer's rings: refuse a peer configured with smaller ones */
    if (shm_geometry_max_frame(seg->queue_slots, seg->ring_slots, seg->slot_size,
                               seg->max_rings) < shm_max_frame(iface)) {
        bpi_log_error("shm: rank %d has smaller rings (BP_SHM_* differ between ranks): its "
                      "largest frame is %u bytes, ours %zu",
                      peer,
                      shm_geometry_max_frame(seg->queue_slots, seg->ring_slots, seg->slot_size,
                                             seg->max_rings),
                      shm_max_frame(iface));
        status = BP_ERR_CONFIG;
        goto err_unmap;
    }
    ep->state = seg->max_rings > 0 ? BPI_SHM_EP_QUEUE : BPI_SHM_EP_REFUSED;
    ep->ring_pending = -1;
    ep->seg = seg;
    ep->seg_size = card.seg_size;
    ep->peer = peer;
    ep->pid = card.pid;
    ep->pidfd = -1;
    ep->iface = iface;
    bpi_shm_ring_view(&ep->queue, (char *)seg + seg->queue_off, seg->queue_slots,
                      seg->slot_size);
    status = bpi_shm_cma_connect(iface, ep, &card);
    if (status != BP_OK) {
        goto err_unmap;
    }
    ep->pidfd = shm_pidfd_open(card.pid);
    *ep_p = ep;
    return BP_OK;

err_unmap:
    munmap(mem, card.seg_size);
    goto err_free;
err_close:
    close(fd);
err_free:
    free(ep);
    return status;
}

static void shm_disconnect(bpi_tl_ep_t *ep)
{
    if (ep->pidfd >= 0) {
        close(ep->pidfd);
    }
    free(ep->covered);
    munmap(ep->seg, ep->seg_size);
    free(ep);
}

static bp_status_t shm_ready(bpi_tl_iface_t *iface)
{
    const char *stall = getenv(SHM_TEST_STALL_ENV);

    if (stall != NULL) {
        usleep((useconds_t)atoi(stall) * 1000u); /* tests only: see SHM_TEST_STALL_ENV */
    }
    /* Every local peer has mapped the segment: the name is no longer needed. */
    if (shm_unlink(iface->name) != 0) {
        bpi_log_warn("shm: shm_unlink %s: %s", iface->name, strerror(errno));
    }
    iface->unlinked = 1;
    return BP_OK;
}

/*
 * Is the peer alive? Called by the core's idle liveness check only (about every 250 ms of
 * waiting), never per message. A pidfd (Linux 5.3) becomes readable when the process
 * exits and cannot name a later process that reuses the pid; kill(pid, 0) is the fallback.
 */
static bp_status_t shm_ep_check(bpi_tl_ep_t *ep)
{
    int gone;

    if (ep->pidfd >= 0) {
        struct pollfd pfd = {.fd = ep->pidfd, .events = POLLIN};
        gone = poll(&pfd, 1, 0) > 0 && (pfd.revents & (POLLIN | POLLHUP)) != 0;
    } else {
        gone = kill(ep->pid, 0) != 0 && errno == ESRCH;
    }
    if (gone) {
        bpi_log_info("shm: rank %d (pid %d) has exited", ep->peer, (int)ep->pid);
        return BP_ERR_PEER;
    }
    return BP_OK;
}

const bpi_tl_ops_t bpi_tl_shm = {
    .size = sizeof(bpi_tl_ops_t),
    .name = "shm",
    .local_only = 1,
    .query = shm_query,
    .open = shm_open_iface,
    .close = shm_close,
    .max_frame = shm_max_frame,
    .card_pack = shm_card_pack,
    .connect = shm_connect,
    .disconnect = shm_disconnect,
    .ready = shm_ready,
    .send = bpi_shm_ep_send,
    .send_part = bpi_tl_notsup_send_part,
    .progress = bpi_shm_progress,
    .peek = bpi_shm_ep_peek,
    .consume = bpi_shm_ep_consume,
    .wait = bpi_shm_wait,
    .wait_fd = bpi_shm_wait_fd,
    .wait_fd_done = bpi_shm_wait_fd_done,
    .may_sleep = bpi_shm_may_sleep,
    .ep_check = shm_ep_check,
    .ep_wake = bpi_shm_ep_wake,
    .bulk_get = bpi_shm_bulk_get,
    .bulk_put = bpi_shm_bulk_put,
    .bulk_lane = bpi_tl_notsup_bulk_lane,
    .sending = bpi_tl_notsup_sending,
    .info = bpi_shm_info,
};
