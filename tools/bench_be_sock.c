/*
 * bench_be_sock.c - the kernel baselines of bp-bench: the same benchmarks over a TCP
 * connection on 127.0.0.1 and over a UNIX stream socketpair, each in two flavours:
 *
 *   tcp, unix            blocking: a lone pending operation is a blocking system call, and
 *                        when both directions wait the process sleeps in poll()
 *   tcp-spin, unix-spin  busy-polling: every call is nonblocking (MSG_DONTWAIT) and the
 *                        process spins on EAGAIN, as a user-space poller would
 *
 * Standalone: init forks the second rank itself (rank 0 the parent, rank 1 the child), each
 * pinned to one of two CPUs (--cpus A,B, else the first two the process may use). Both then
 * run the benchmark. Messages are framed by an 8-byte length; a receive takes the next
 * message and it must be exactly the length posted. One pair only.
 */
#define _GNU_SOURCE /* sched_setaffinity */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench_backend.h"

#define SOCK_HDR 8 /* the frame: uint64_t payload length, then the payload */

typedef struct sock_op {
    uint8_t *buf;
    size_t len;
    size_t done;   /* bytes of header + payload moved so far */
    uint64_t hdr;  /* send: the length to write; receive: the length read */
} sock_op_t;

/* A FIFO of operations of one direction, completed in order. */
typedef struct sock_queue {
    sock_op_t ops[BENCH_BE_MAX_REQS];
    size_t head, n;
} sock_queue_t;

static int sock_fd = -1;
static int sock_rank = -1;
static int sock_spin;
static pid_t sock_child = -1;
static const char *sock_name = "sock";
static char sock_desc[128];
static sock_queue_t sock_sendq, sock_recvq;

static inline void sock_cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#else
    __asm__ __volatile__("" ::: "memory");
#endif
}

__attribute__((cold)) static int sock_fail(const char *call)
{
    fprintf(stderr, "bp-bench %s: rank %d: %s: %s\n", sock_name, sock_rank, call,
            strerror(errno));
    return -1;
}

/* The two CPUs: --cpus, else the first two of the mask; -1 in cpus[k] when there is none. */
static void sock_cpus_pick(const bench_opts_t *opts, int cpus[2])
{
    cpu_set_t set;
    int n = 0;

    cpus[0] = cpus[1] = -1;
    if (opts->ncpus == 2) {
        cpus[0] = opts->cpus[0];
        cpus[1] = opts->cpus[1];
        return;
    }
    if (sched_getaffinity(0, sizeof(set), &set) != 0) {
        return;
    }
    for (int cpu = 0; cpu < CPU_SETSIZE && n < 2; cpu++) {
        if (CPU_ISSET(cpu, &set)) {
            cpus[n++] = cpu;
        }
    }
    if (n < 2) {
        cpus[0] = cpus[1] = -1; /* one CPU: leave both where the scheduler puts them */
    }
}

static int sock_pin(int cpu)
{
    cpu_set_t set;

    if (cpu < 0) {
        return 0;
    }
    CPU_ZERO(&set);
    CPU_SET(cpu, &set);
    if (sched_setaffinity(0, sizeof(set), &set) != 0) {
        fprintf(stderr, "bp-bench %s: rank %d: sched_setaffinity to cpu %d: %s\n", sock_name,
                sock_rank, cpu, strerror(errno));
        return -1;
    }
    return 0;
}

/* TCP: listen on 127.0.0.1, port chosen by the kernel; the child connects after the fork. */
static int sock_tcp_listen(struct sockaddr_in *addr_p)
{
    socklen_t alen = sizeof(*addr_p);
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

    if (fd < 0) {
        return sock_fail("socket");
    }
    memset(addr_p, 0, sizeof(*addr_p));
    addr_p->sin_family = AF_INET;
    addr_p->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    /* BPBENCH_TCP_ADDR: listen on another address (between emulated hosts: see below) */
    if (getenv("BPBENCH_TCP_ADDR") != NULL &&
        inet_pton(AF_INET, getenv("BPBENCH_TCP_ADDR"), &addr_p->sin_addr) != 1) {
        close(fd);
        return sock_fail("BPBENCH_TCP_ADDR is not an IPv4 address");
    }
    if (bind(fd, (struct sockaddr *)addr_p, sizeof(*addr_p)) != 0 || listen(fd, 1) != 0
        || getsockname(fd, (struct sockaddr *)addr_p, &alen) != 0) {
        sock_fail("bind/listen on 127.0.0.1");
        close(fd);
        return -1;
    }
    return fd;
}

static int sock_nodelay(int fd)
{
    int one = 1;

    if (setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)) != 0) {
        return sock_fail("setsockopt TCP_NODELAY");
    }
    return 0;
}

static int sock_init(const bench_be_t *be, const bench_opts_t *opts, int *argc_p,
                     char ***argv_p)
{
    int tcp = (strncmp(be->name, "tcp", 3) == 0);
    struct sockaddr_in addr;
    int fds[2] = { -1, -1 }, lfd = -1, cpus[2];
    pid_t parent = getpid();

    sock_name = be->name;
    sock_spin = (strstr(be->name, "-spin") != NULL);
    sock_rank = 0;
    snprintf(sock_desc, sizeof(sock_desc), "kernel %s, %s", tcp ? "TCP over 127.0.0.1 "
             "(TCP_NODELAY)" : "UNIX stream socketpair", sock_spin ? "busy-polling "
             "(MSG_DONTWAIT, spin on EAGAIN)" : "blocking (poll when both directions wait)");
    sock_cpus_pick(opts, cpus);

    if (tcp) {
        lfd = sock_tcp_listen(&addr);
        if (lfd < 0) {
            return -1;
        }
    } else if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) != 0) {
        return sock_fail("socketpair");
    }

    fflush(NULL); /* the child must not inherit unwritten output */
    sock_child = fork();
    if (sock_child < 0) {
        return sock_fail("fork");
    }
    if (sock_child == 0) {
        sock_rank = 1;
        /* Die with the parent rather than spin alone; checked after, in case it is gone. */
        if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0 || getppid() != parent) {
            exit(1);
        }
        if (tcp) {
            /* BPBENCH_TCP_NETNS: the child connects from another network namespace (an
             * emulated host: scripts/bench-xdp-hosts.sh), so the kernel path is the same
             * veth and bridge the transports between hosts use */
            const char *ns = getenv("BPBENCH_TCP_NETNS");
            close(lfd);
            if (ns != NULL) {
                int nsfd = open(ns, O_RDONLY | O_CLOEXEC);
                if (nsfd < 0 || setns(nsfd, CLONE_NEWNET) != 0) {
                    return sock_fail("BPBENCH_TCP_NETNS: setns");
                }
                close(nsfd);
            }
            sock_fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
            if (sock_fd < 0 || connect(sock_fd, (struct sockaddr *)&addr, sizeof(addr)) != 0) {
                return sock_fail("connect to 127.0.0.1");
            }
        } else {
            close(fds[0]);
            sock_fd = fds[1];
        }
    } else if (tcp) {
        sock_fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
        close(lfd);
        if (sock_fd < 0) {
            return sock_fail("accept");
        }
    } else {
        close(fds[1]);
        sock_fd = fds[0];
    }
    if (tcp && sock_nodelay(sock_fd) != 0) {
        return -1;
    }
    return sock_pin(cpus[sock_rank]);
}

static int sock_rank_get(void)
{
    return sock_rank;
}

static int sock_size_get(void)
{
    return 2;
}

static const char *sock_describe(void)
{
    return sock_desc;
}

static int sock_post(sock_queue_t *q, const void *buf, size_t len, int peer)
{
    sock_op_t *op;

    if (BENCH_UNLIKELY(peer != 1 - sock_rank)) {
        fprintf(stderr, "bp-bench %s: rank %d: no rank %d (one pair only)\n", sock_name,
                sock_rank, peer);
        return -1;
    }
    if (BENCH_UNLIKELY(q->n == BENCH_BE_MAX_REQS)) {
        fprintf(stderr, "bp-bench %s: more than %d requests posted\n", sock_name,
                BENCH_BE_MAX_REQS);
        return -1;
    }
    op = &q->ops[(q->head + q->n) % BENCH_BE_MAX_REQS];
    op->buf = (uint8_t *)(uintptr_t)buf;
    op->len = len;
    op->done = 0;
    op->hdr = len;
    q->n++;
    return 0;
}

static int sock_isend(const void *buf, size_t len, int peer)
{
    return sock_post(&sock_sendq, buf, len, peer);
}

static int sock_irecv(void *buf, size_t len, int peer)
{
    return sock_post(&sock_recvq, buf, len, peer);
}

/* The iovec of what is left of op: the rest of the header and the payload, or the rest of
 * the payload. Returns the number of entries. */
static int sock_iov(sock_op_t *op, struct iovec iov[2])
{
    if (op->done < SOCK_HDR) {
        iov[0].iov_base = (uint8_t *)&op->hdr + op->done;
        iov[0].iov_len = SOCK_HDR - op->done;
        iov[1].iov_base = op->buf;
        iov[1].iov_len = op->len;
        return 2;
    }
    iov[0].iov_base = op->buf + (op->done - SOCK_HDR);
    iov[0].iov_len = op->len - (op->done - SOCK_HDR);
    return 1;
}

/*
 * One system call for the head of q: 1 if it moved bytes, 0 if it would block, -1 on error.
 * Receives read header and payload together: the sender sends the same lengths, so the
 * payload is this message's; a header that says otherwise is caught as soon as it is whole.
 */
static int sock_step(sock_queue_t *q, int is_send, int flags)
{
    sock_op_t *op = &q->ops[q->head];
    struct msghdr msg = { 0 };
    struct iovec iov[2];
    ssize_t r;

    msg.msg_iov = iov;
    msg.msg_iovlen = (size_t)sock_iov(op, iov);
    r = is_send ? sendmsg(sock_fd, &msg, flags | MSG_NOSIGNAL) : recvmsg(sock_fd, &msg, flags);
    if (r < 0) {
        if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) {
            return 0;
        }
        return sock_fail(is_send ? "sendmsg" : "recvmsg");
    }
    if (r == 0 && !is_send) {
        fprintf(stderr, "bp-bench %s: rank %d: the peer closed the connection\n", sock_name,
                sock_rank);
        return -1;
    }
    if (!is_send && op->done < SOCK_HDR && op->done + (size_t)r >= SOCK_HDR
        && op->hdr != op->len) {
        fprintf(stderr, "bp-bench %s: rank %d: received a %llu-byte message, expected %zu\n",
                sock_name, sock_rank, (unsigned long long)op->hdr, op->len);
        return -1;
    }
    op->done += (size_t)r;
    if (op->done == SOCK_HDR + op->len) {
        q->head = (q->head + 1) % BENCH_BE_MAX_REQS;
        q->n--;
    }
    return 1;
}

/*
 * Until both queues are empty. Blocking flavour: a lone direction makes blocking calls; with
 * both pending, nonblocking calls and poll() when neither moved. Spin flavour: nonblocking
 * calls only, a pause between empty rounds.
 */
static int sock_waitall(void)
{
    while (sock_sendq.n > 0 || sock_recvq.n > 0) {
        int both = (sock_sendq.n > 0 && sock_recvq.n > 0);
        int flags = (sock_spin || both) ? MSG_DONTWAIT : 0;
        int moved = 0, r;

        if (sock_sendq.n > 0) {
            if ((r = sock_step(&sock_sendq, 1, flags)) < 0) {
                return -1;
            }
            moved += r;
        }
        if (sock_recvq.n > 0) {
            if ((r = sock_step(&sock_recvq, 0, flags)) < 0) {
                return -1;
            }
            moved += r;
        }
        if (moved == 0 && sock_spin) {
            sock_cpu_relax();
        } else if (moved == 0 && both) {
            struct pollfd pfd = { .fd = sock_fd, .events = POLLIN | POLLOUT };

            if (poll(&pfd, 1, -1) < 0 && errno != EINTR) {
                return sock_fail("poll");
            }
        }
    }
    return 0;
}

static int sock_send(const void *buf, size_t len, int peer)
{
    return (sock_isend(buf, len, peer) != 0) ? -1 : sock_waitall();
}

static int sock_recv(void *buf, size_t len, int peer)
{
    return (sock_irecv(buf, len, peer) != 0) ? -1 : sock_waitall();
}

/* Two ranks: rank 0 sends an empty message and waits for the answer. */
static int sock_barrier(void)
{
    uint8_t dummy = 0;

    if (sock_rank == 0) {
        return (sock_send(&dummy, 0, 1) != 0) ? -1 : sock_recv(&dummy, 0, 1);
    }
    return (sock_recv(&dummy, 0, 0) != 0) ? -1 : sock_send(&dummy, 0, 0);
}

/* The child closes and leaves; the parent waits for it and reports how it ended. */
static int sock_finalize(void)
{
    int wstatus;

    close(sock_fd);
    sock_fd = -1;
    if (sock_rank != 0) {
        return 0;
    }
    while (waitpid(sock_child, &wstatus, 0) < 0) {
        if (errno != EINTR) {
            return sock_fail("waitpid");
        }
    }
    if (!WIFEXITED(wstatus) || WEXITSTATUS(wstatus) != 0) {
        fprintf(stderr, "bp-bench %s: rank 1 (pid %d) failed\n", sock_name, (int)sock_child);
        return -1;
    }
    return 0;
}

#define SOCK_BE(var, str)                                                                     \
    const bench_be_t var = {                                                                  \
        .name = str,                                                                          \
        .init = sock_init,                                                                    \
        .rank = sock_rank_get,                                                                \
        .size = sock_size_get,                                                                \
        .describe = sock_describe,                                                            \
        .isend = sock_isend,                                                                  \
        .irecv = sock_irecv,                                                                  \
        .waitall = sock_waitall,                                                              \
        .send = sock_send,                                                                    \
        .recv = sock_recv,                                                                    \
        .barrier = sock_barrier,                                                              \
        .finalize = sock_finalize,                                                            \
    }

SOCK_BE(bench_be_tcp, "tcp");
SOCK_BE(bench_be_tcp_spin, "tcp-spin");
SOCK_BE(bench_be_unix, "unix");
SOCK_BE(bench_be_unix_spin, "unix-spin");
