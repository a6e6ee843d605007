/*
 * xdp_prog.c - the steering program (bp_steer.bpf.c): embedded in the library, loaded and
 * attached by each host's leader, configured with the job key, given one socket per local
 * rank, and removed by the last process of the host to leave.
 *
 * Loading goes through libxdp first, so the program shares the interface with other XDP
 * programs (libxdp's dispatcher chains them; frames of another bypass job are passed on
 * to the next program). libxdp's dispatcher needs the BPF filesystem at /sys/fs/bpf; where
 * it is not mounted (as on these test machines, and in every `ip netns exec`), the program
 * is attached directly through libbpf, alone on the interface. Both in generic (skb) mode
 * on veth (measured faster than native there) and native mode elsewhere.
 *
 * A stale program: one named bp_steer whose owner (pid and start time in its bp_cfg map)
 * no longer runs is the leftover of a killed job; it is detached before ours is attached.
 */
#include <errno.h>
#include <net/if.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/if_link.h>
#include <xdp/libxdp.h>

#include "core/log.h"
#include "transport/xdp/xdp.h"

/* the compiled program, embedded by xdp_obj.S */
extern const char bpi_xdp_obj[];
extern const char bpi_xdp_obj_end[];

static int prog_print(enum libxdp_print_level level, const char *fmt, va_list args)
{
    char line[512];

    if (level > LIBXDP_WARN || bpi_log_level_current < BPI_LOG_DEBUG) {
        return 0; /* its info and debug lines would drown ours */
    }
    vsnprintf(line, sizeof(line), fmt, args);
    line[strcspn(line, "\n")] = '\0';
    bpi_log_debug("xdp: libxdp: %s", line);
    return 0;
}

static int libbpf_print(enum libbpf_print_level level, const char *fmt, va_list args)
{
    char line[512];

    if (level > LIBBPF_WARN || bpi_log_level_current < BPI_LOG_DEBUG) {
        return 0;
    }
    vsnprintf(line, sizeof(line), fmt, args);
    line[strcspn(line, "\n")] = '\0';
    bpi_log_debug("xdp: libbpf: %s", line);
    return 0;
}

static uint64_t proc_start_time(pid_t pid)
{
    char path[64], buf[1024];
    unsigned long long start = 0;
    FILE *f;
    char *p;

    snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
    f = fopen(path, "re");
    if (f == NULL) {
        return 0;
    }
    if (fgets(buf, sizeof(buf), f) != NULL && (p = strrchr(buf, ')')) != NULL) {
        /* fields after the command: state is 3rd, starttime 22nd */
        int field = 2;
        for (char *tok = strtok(p + 1, " "); tok != NULL; tok = strtok(NULL, " ")) {
            if (++field == 22) {
                start = strtoull(tok, NULL, 10);
                break;
            }
        }
    }
    fclose(f);
    return start;
}

/* The fd of the map called name used by program id (-1 if none). */
static int prog_map_fd(uint32_t prog_id, const char *name)
{
    struct bpf_prog_info info;
    uint32_t ids[8], len = sizeof(info);
    int pfd = bpf_prog_get_fd_by_id(prog_id), found = -1;

    if (pfd < 0) {
        return -1;
    }
    memset(&info, 0, sizeof(info));
    info.nr_map_ids = 8;
    info.map_ids = (uint64_t)(uintptr_t)ids;
    if (bpf_obj_get_info_by_fd(pfd, &info, &len) == 0) {
        for (uint32_t i = 0; i < info.nr_map_ids && i < 8 && found < 0; i++) {
            struct bpf_map_info minfo;
            uint32_t mlen = sizeof(minfo);
            int mfd = bpf_map_get_fd_by_id(ids[i]);
            memset(&minfo, 0, sizeof(minfo));
            if (mfd >= 0 && bpf_obj_get_info_by_fd(mfd, &minfo, &mlen) == 0 &&
                strcmp(minfo.name, name) == 0) {
                found = mfd;
            } else if (mfd >= 0) {
                close(mfd);
            }
        }
    }
    close(pfd);
    return found;
}

/* bypass steering programs attached on ifindex: ids into ids[], how many. */
static int prog_find(int ifindex, uint32_t *ids, int max)
{
    struct xdp_multiprog *mp = xdp_multiprog__get_from_ifindex(ifindex);
    struct xdp_program *p;
    int n = 0;

    if (libxdp_get_error(mp) || mp == NULL) {
        return 0;
    }
    if (xdp_multiprog__is_legacy(mp)) {
        p = xdp_multiprog__main_prog(mp);
        if (p != NULL && strcmp(xdp_program__name(p), "bp_steer") == 0 && n < max) {
            ids[n++] = xdp_program__id(p);
        }
    } else {
        for (p = xdp_multiprog__next_prog(NULL, mp); p != NULL;
             p = xdp_multiprog__next_prog(p, mp)) {
            if (strcmp(xdp_program__name(p), "bp_steer") == 0 && n < max) {
                ids[n++] = xdp_program__id(p);
            }
        }
    }
    xdp_multiprog__close(mp);
    return n;
}

static int prog_cfg_read(uint32_t prog_id, bpi_xdp_cfg_t *cfg)
{
    int fd = prog_map_fd(prog_id, "bp_cfg");
    uint32_t zero = 0;
    int rc;

    if (fd < 0) {
        return -1;
    }
    rc = bpf_map_lookup_elem(fd, &zero, cfg);
    close(fd);
    return rc;
}

static void prog_detach_id(int ifindex, uint32_t prog_id)
{
    struct xdp_program *p = xdp_program__from_id(prog_id);
    enum xdp_attach_mode mode;

    if (libxdp_get_error(p) || p == NULL) {
        return;
    }
    mode = xdp_program__is_attached(p, ifindex);
    if (mode != XDP_MODE_UNSPEC && xdp_program__detach(p, ifindex, mode, 0) != 0) {
        /* attached through libbpf alone */
        bpf_xdp_detach(ifindex, mode == XDP_MODE_SKB ? XDP_FLAGS_SKB_MODE : XDP_FLAGS_DRV_MODE,
                       NULL);
    }
    xdp_program__close(p);
}

/* Remove programs of killed jobs from the interface. */
static void prog_remove_stale(bpi_tl_iface_t *iface)
{
    uint32_t ids[16];
    int n = prog_find(iface->ifindex, ids, 16);

    for (int i = 0; i < n; i++) {
        bpi_xdp_cfg_t cfg;
        if (prog_cfg_read(ids[i], &cfg) != 0) {
            continue;
        }
        if (cfg.owner_pid != 0 && proc_start_time((pid_t)cfg.owner_pid) == cfg.owner_start) {
            continue; /* its job still runs */
        }
        bpi_log_info("xdp: removing a stale steering program (id %u, job %016llx, loaded by "
                     "pid %u, which is gone) from %s", ids[i], (unsigned long long)cfg.jobkey,
                     cfg.owner_pid, iface->ifname);
        prog_detach_id(iface->ifindex, ids[i]);
    }
}

/*
 * A virtual interface (veth, and anything without a device behind it): generic mode there
 * (measured faster than native on veth); native on real devices, which have a driver.
 */
static int prog_is_virtual(const char *ifname)
{
    char path[128], link[256];

    snprintf(path, sizeof(path), "/sys/class/net/%s/device/driver", ifname);
    return readlink(path, link, sizeof(link) - 1) <= 0;
}

bp_status_t bpi_xdp_prog_attach(bpi_tl_iface_t *iface)
{
    struct bpf_object *obj;
    struct bpf_program *bprog;
    struct xdp_program *prog;
    enum xdp_attach_mode mode;
    bpi_xdp_cfg_t cfg;
    uint32_t zero = 0;
    char err[128];
    int rc;
    LIBBPF_OPTS(bpf_object_open_opts, oopts, .object_name = "bp_steer");

    libxdp_set_print(prog_print);
    libbpf_set_print(libbpf_print);
    prog_remove_stale(iface);

    mode = prog_is_virtual(iface->ifname) ? XDP_MODE_SKB : XDP_MODE_NATIVE;
    obj = bpf_object__open_mem(bpi_xdp_obj, (size_t)(bpi_xdp_obj_end - bpi_xdp_obj), &oopts);
    if (obj == NULL) {
        bpi_log_error("xdp: opening the embedded steering program: %s", strerror(errno));
        return BP_ERR_SYS;
    }
    {
        DECLARE_LIBXDP_OPTS(xdp_program_opts, popts, .obj = obj, .prog_name = "bp_steer");
        prog = xdp_program__create(&popts);
    }
    rc = libxdp_get_error(prog);
    if (rc == 0) {
        rc = xdp_program__attach(prog, iface->ifindex, mode, 0);
        if (rc != 0 && mode == XDP_MODE_NATIVE) {
            mode = XDP_MODE_SKB;
            rc = xdp_program__attach(prog, iface->ifindex, mode, 0);
        }
    }
    if (rc == 0) {
        iface->prog = prog;
        iface->bpf_obj = obj;
        iface->shared->via_libxdp = 1;
        iface->shared->prog_id = xdp_program__id(prog);
    } else {
        /* libxdp could not (no BPF filesystem for its dispatcher, say): libbpf directly */
        uint32_t flags;
        libxdp_strerror(rc, err, sizeof(err));
        bpi_log_debug("xdp: libxdp could not attach (%s); attaching through libbpf", err);
        if (!libxdp_get_error(prog)) {
            xdp_program__close(prog); /* the object is ours: libxdp leaves it open */
        }
        bpf_object__close(obj);
        prog = NULL;
        obj = bpf_object__open_mem(bpi_xdp_obj, (size_t)(bpi_xdp_obj_end - bpi_xdp_obj),
                                   &oopts);
        if (obj == NULL || bpf_object__load(obj) != 0) {
            bpi_log_error("xdp: loading the steering program: %s (CAP_BPF and "
                          "CAP_NET_ADMIN are needed)", strerror(errno));
            if (obj != NULL) {
                bpf_object__close(obj);
            }
            return BP_ERR_SYS;
        }
        bprog = bpf_object__find_program_by_name(obj, "bp_steer");
        flags = XDP_FLAGS_UPDATE_IF_NOEXIST |
                (mode == XDP_MODE_SKB ? XDP_FLAGS_SKB_MODE : XDP_FLAGS_DRV_MODE);
        rc = bpf_xdp_attach(iface->ifindex, bpf_program__fd(bprog), flags, NULL);
        /* another attach or detach in flight on the interface: a moment later (bounded) */
        for (int tries = 0; rc == -EBUSY && tries < 50; tries++) {
            usleep(20000);
            rc = bpf_xdp_attach(iface->ifindex, bpf_program__fd(bprog), flags, NULL);
        }
        if (rc != 0 && mode == XDP_MODE_NATIVE) {
            flags = XDP_FLAGS_UPDATE_IF_NOEXIST | XDP_FLAGS_SKB_MODE;
            mode = XDP_MODE_SKB;
            rc = bpf_xdp_attach(iface->ifindex, bpf_program__fd(bprog), flags, NULL);
        }
        if (rc != 0) {
            bpi_log_error("xdp: attaching the steering program to %s: %s%s", iface->ifname,
                          strerror(-rc),
                          rc == -EBUSY || rc == -EEXIST
                              ? " (another XDP program is attached there, and without the "
                                "BPF filesystem at /sys/fs/bpf libxdp cannot chain them)"
                              : "");
            bpf_object__close(obj);
            return BP_ERR_SYS;
        }
        {
            struct bpf_prog_info info;
            uint32_t len = sizeof(info);
            memset(&info, 0, sizeof(info));
            bpf_obj_get_info_by_fd(bpf_program__fd(bprog), &info, &len);
            iface->shared->prog_id = info.id;
        }
        iface->shared->via_libxdp = 0;
        iface->bpf_obj = obj;
    }
    iface->shared->xdp_flags = mode == XDP_MODE_SKB ? XDP_FLAGS_SKB_MODE : XDP_FLAGS_DRV_MODE;
    obj = iface->bpf_obj;
    iface->xskmap_fd = dup(bpf_object__find_map_fd_by_name(obj, "bp_xsks"));
    iface->cfg_fd = dup(bpf_object__find_map_fd_by_name(obj, "bp_cfg"));
    memset(&cfg, 0, sizeof(cfg));
    cfg.jobkey = iface->jobkey;
    cfg.version = BPI_XDP_VERSION;
    cfg.owner_pid = (uint32_t)getpid();
    cfg.owner_start = proc_start_time(getpid());
    if (iface->xskmap_fd < 0 || iface->cfg_fd < 0 ||
        bpf_map_update_elem(iface->cfg_fd, &zero, &cfg, BPF_ANY) != 0) {
        bpi_log_error("xdp: configuring the steering program: %s", strerror(errno));
        return BP_ERR_SYS;
    }
    bpi_log_debug("xdp: steering program id %u attached to %s in %s mode through %s",
                  iface->shared->prog_id, iface->ifname,
                  mode == XDP_MODE_SKB ? "generic (skb)" : "native",
                  iface->shared->via_libxdp ? "libxdp" : "libbpf");
    return BP_OK;
}

bp_status_t bpi_xdp_prog_add_socket(bpi_tl_iface_t *iface)
{
    uint32_t key = (uint32_t)iface->rank;
    int fd = iface->xsk;

    if (bpf_map_update_elem(iface->xskmap_fd, &key, &fd, BPF_ANY) != 0) {
        bpi_log_error("xdp: adding rank %d's socket to the steering map: %s", iface->rank,
                      strerror(errno));
        return BP_ERR_SYS;
    }
    return BP_OK;
}

/* Our socket leaves the map; the leader also drops its handle on the program. */
void bpi_xdp_prog_detach(bpi_tl_iface_t *iface)
{
    uint32_t key = (uint32_t)iface->rank;

    bpf_map_delete_elem(iface->xskmap_fd, &key);
}

/*
 * Our handles on the program go (the leader's); the last process of the host out also
 * detaches it from the interface (its maps go with it).
 */
void bpi_xdp_prog_release(bpi_tl_iface_t *iface, int last)
{
    uint32_t ids[16];
    int n = last ? prog_find(iface->ifindex, ids, 16) : 0;

    for (int i = 0; i < n; i++) {
        if (ids[i] == iface->shared->prog_id) {
            prog_detach_id(iface->ifindex, ids[i]);
        }
    }
    if (iface->prog != NULL) {
        xdp_program__close(iface->prog);
        iface->prog = NULL;
    }
    if (iface->bpf_obj != NULL) {
        bpf_object__close(iface->bpf_obj);
        iface->bpf_obj = NULL;
    }
}

static int prog_open_map(const char *ifname, const char *map)
{
    int ifindex = (int)if_nametoindex(ifname);
    uint32_t ids[16];
    int n;

    if (ifindex == 0) {
        return -1;
    }
    n = prog_find(ifindex, ids, 16);
    return n > 0 ? prog_map_fd(ids[0], map) : -1;
}

bp_status_t bpi_xdp_prog_counters(const char *ifname, uint64_t *cnt, bpi_xdp_cfg_t *cfg)
{
    int fd = prog_open_map(ifname, "bp_counters");
    int cfd = prog_open_map(ifname, "bp_cfg");
    uint32_t zero = 0;

    if (fd < 0 || cfd < 0) {
        if (fd >= 0) {
            close(fd);
        }
        if (cfd >= 0) {
            close(cfd);
        }
        return BP_ERR_NOTSUP;
    }
    for (uint32_t i = 0; i < BPI_XDP_NCNT; i++) {
        cnt[i] = 0;
        bpf_map_lookup_elem(fd, &i, &cnt[i]);
    }
    bpf_map_lookup_elem(cfd, &zero, cfg);
    close(fd);
    close(cfd);
    return BP_OK;
}

bp_status_t bpi_xdp_prog_set_drop(const char *ifname, uint32_t drop_ppm)
{
    int cfd = prog_open_map(ifname, "bp_cfg");
    uint32_t zero = 0;
    bpi_xdp_cfg_t cfg;
    bp_status_t status = BP_ERR_SYS;

    if (cfd < 0) {
        return BP_ERR_NOTSUP;
    }
    if (bpf_map_lookup_elem(cfd, &zero, &cfg) == 0) {
        cfg.drop_ppm = drop_ppm;
        if (bpf_map_update_elem(cfd, &zero, &cfg, BPF_ANY) == 0) {
            status = BP_OK;
        }
    }
    close(cfd);
    return status;
}
