/*
 * bench_xdp_probe.c - `bp-bench base xdp`: the raw AF_XDP frame ping-pong between two
 * emulated hosts, the floor under the xdp transport. The same sockets, UMEM and steering
 * program as the transport (opened through its ops table), but frames go straight from
 * one tx ring to the other rx ring: no sequence numbers, acks or matching. The parent
 * runs where it is started (host 0's namespace); the child moves into the network
 * namespace BPBENCH_XDP_NETNS names (host 1) before it opens its socket. Both use the
 * interface BP_XDP_IFACE (or auto). 64-byte frames, half the mean round trip.
 * scripts/bench-xdp-hosts.sh runs it beside the transport.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/random.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "bench_xdp_probe.h"
#include "core/log.h"
#include "transport/xdp/xdp.h"

extern char **environ;

#define PROBE_LEN 64u
#define PROBE_TIMEOUT_NS 10000000000ull

static uint64_t probe_now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void probe_recv_cb(void *arg, const bpi_wire_hdr_t *hdr, const void *payload)
{
}

static int probe_open(int rank, uint64_t jobkey, int cpu, bpi_config_t *cfg,
                      bpi_tl_iface_t **iface_p)
{
    bpi_tl_params_t params;
    char err[256];
    cpu_set_t set;

    CPU_ZERO(&set);
    CPU_SET(cpu, &set);
    if (sched_setaffinity(0, sizeof(set), &set) != 0) {
        fprintf(stderr, "bp-bench base xdp: pinning to cpu %d: %s\n", cpu, strerror(errno));
        return -1;
    }
    if (bpi_config_parse(environ, cfg, err, sizeof(err)) != BP_OK) {
        fprintf(stderr, "bp-bench base xdp: %s\n", err);
        return -1;
    }
    bpi_log_level_current = (bpi_log_level_t)cfg->log_level;
    memset(&params, 0, sizeof(params));
    params.rank = rank;
    params.size = 2;
    params.jobkey = jobkey;
    params.local_index = 0;
    params.nlocal = 1;
    params.config = cfg;
    params.recv_cb = probe_recv_cb;
    if (bpi_tl_xdp.open(&params, iface_p) != BP_OK) {
        fprintf(stderr, "bp-bench base xdp: the xdp transport does not open here (root, "
                        "an interface: BP_XDP_IFACE; BP_LOG_LEVEL=info says more)\n");
        return -1;
    }
    return 0;
}

/* Wait for one frame; 0, or -1 after PROBE_TIMEOUT_NS. */
static int probe_wait(bpi_tl_iface_t *iface)
{
    uint64_t spins = 0, deadline = 0;

    while (bpi_xdp_raw_recv(iface) == 0) {
        if ((++spins & 0xfffff) == 0) {
            uint64_t now = probe_now();
            deadline = deadline == 0 ? now + PROBE_TIMEOUT_NS : deadline;
            if (now > deadline) {
                fprintf(stderr, "bp-bench base xdp: no frame for 10 s\n");
                return -1;
            }
        }
    }
    return 0;
}

static int probe_send(bpi_tl_iface_t *iface, const uint8_t *mac, int dst)
{
    for (int i = 0; i < 1000000; i++) {
        if (bpi_xdp_raw_send(iface, mac, dst, PROBE_LEN) == BP_OK) {
            return 0;
        }
        bpi_xdp_raw_recv(iface); /* reaps completions */
    }
    fprintf(stderr, "bp-bench base xdp: no transmit frame free\n");
    return -1;
}

int bench_xdp_probe(int cpus[2], uint64_t warmup, uint64_t iters, double *us_p)
{
    const char *ns = getenv("BPBENCH_XDP_NETNS");
    int tochild[2], toparent[2], ret = -1, wstatus;
    uint8_t mac[6], peer_mac[6];
    uint64_t jobkey = 0, t0 = 0, t1 = 0;
    bpi_config_t cfg;
    bpi_tl_iface_t *iface = NULL;
    pid_t child;

    if (ns == NULL) {
        fprintf(stderr, "bp-bench base xdp: set BPBENCH_XDP_NETNS to the network namespace "
                        "of the other host (e.g. /var/run/netns/NAME) and run in this one\n");
        return -1;
    }
    if (getrandom(&jobkey, sizeof(jobkey), 0) != (ssize_t)sizeof(jobkey) ||
        pipe2(tochild, O_CLOEXEC) != 0 || pipe2(toparent, O_CLOEXEC) != 0) {
        fprintf(stderr, "bp-bench base xdp: %s\n", strerror(errno));
        return -1;
    }
    fflush(NULL);
    child = fork();
    if (child < 0) {
        fprintf(stderr, "bp-bench base xdp: fork: %s\n", strerror(errno));
        return -1;
    }
    if (child == 0) {
        int nsfd = open(ns, O_RDONLY | O_CLOEXEC);
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (nsfd < 0 || setns(nsfd, CLONE_NEWNET) != 0) {
            fprintf(stderr, "bp-bench base xdp: entering %s: %s\n", ns, strerror(errno));
            _exit(1);
        }
        if (probe_open(1, jobkey, cpus[1], &cfg, &iface) != 0) {
            _exit(1);
        }
        memcpy(mac, iface->mac, 6);
        if (write(toparent[1], mac, 6) != 6 || read(tochild[0], peer_mac, 6) != 6) {
            _exit(1);
        }
        for (uint64_t r = 0; r < warmup + iters; r++) {
            if (probe_wait(iface) != 0 || probe_send(iface, peer_mac, 0) != 0) {
                _exit(1);
            }
        }
        bpi_tl_xdp.close(iface);
        _exit(0);
    }
    if (probe_open(0, jobkey, cpus[0], &cfg, &iface) != 0) {
        kill(child, SIGKILL);
        goto out;
    }
    memcpy(mac, iface->mac, 6);
    if (write(tochild[1], mac, 6) != 6 || read(toparent[0], peer_mac, 6) != 6) {
        fprintf(stderr, "bp-bench base xdp: the child did not start\n");
        kill(child, SIGKILL);
        goto out;
    }
    ret = 0;
    for (uint64_t r = 0; r < warmup + iters && ret == 0; r++) {
        if (r == warmup) {
            t0 = probe_now();
        }
        ret = probe_send(iface, peer_mac, 1) != 0 || probe_wait(iface) != 0 ? -1 : 0;
    }
    t1 = probe_now();
    if (ret != 0) {
        kill(child, SIGKILL);
    }
out:
    while (waitpid(child, &wstatus, 0) < 0 && errno == EINTR) {
    }
    if (ret == 0 && !(WIFEXITED(wstatus) && WEXITSTATUS(wstatus) == 0)) {
        ret = -1;
    }
    if (iface != NULL) {
        bpi_tl_xdp.close(iface);
    }
    if (ret == 0) {
        *us_p = (double)(t1 - t0) / 1e3 / (2.0 * (double)iters);
    }
    return ret;
}
