/*
 * tcp_zc_probe.c - a probe, not a benchmark: would MSG_ZEROCOPY make a bulk lane (core/lane.c)
 * as fast as the kernel's TCP on a bare veth pair? With bypass's steering program attached,
 * the kernel copies every packet a veth receives once more (generic XDP needs a private,
 * linear or page-pool copy of a cloned TCP skb), so TCP over that pair makes three copies of
 * each byte where it made two. MSG_ZEROCOPY removes the sender's copy (the skb points at the
 * user's pages until the data is acknowledged); on a bare pair the kernel then copies at
 * local delivery instead (the notifications say SO_EE_CODE_ZEROCOPY_COPIED), with the program
 * attached the XDP copy stands in for it. scripts/bench-tcp-zerocopy.sh runs it between two
 * emulated hosts, with and without the program, beside bp-bench's tcp-spin; docs/PERFORMANCE.md
 * ("Bulk lanes") has what it measured.
 *
 *   bp-tcp-zc-probe recv PORT                  accept one connection, read until it closes
 *   bp-tcp-zc-probe send ADDR PORT ZC ROUNDS   ROUNDS rounds of 16 x 1 MiB, each answered by a
 *                                              one-byte ack; ZC=1: MSG_ZEROCOPY, waiting for
 *                                              every notification before the next round
 *
 * Both sides busy-poll (MSG_DONTWAIT), as bp-bench's tcp-spin does; the sender prints
 * "copy|zc MB/s" (two warm-up rounds left out) and whether the kernel copied anyway.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <linux/errqueue.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MSG_SIZE (1u << 20)
#define WINDOW 16 /* messages per round, then an ack */
#define WARMUP 2

static unsigned zc_done;   /* notifications: sends released up to this count */
static int zc_copied;      /* the kernel said it copied */

static double now_s(void)
{
    struct timespec t;

    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* Read the zerocopy notifications waiting on the error queue. */
static void zc_reap(int fd)
{
    for (;;) {
        char ctl[256];
        struct msghdr m;
        memset(&m, 0, sizeof(m));
        m.msg_control = ctl;
        m.msg_controllen = sizeof(ctl);
        if (recvmsg(fd, &m, MSG_ERRQUEUE | MSG_DONTWAIT) < 0) {
            return;
        }
        for (struct cmsghdr *c = CMSG_FIRSTHDR(&m); c != NULL; c = CMSG_NXTHDR(&m, c)) {
            const struct sock_extended_err *e = (const void *)CMSG_DATA(c);
            if (e->ee_origin == SO_EE_ORIGIN_ZEROCOPY) {
                zc_done = e->ee_data + 1;
                zc_copied |= (e->ee_code & SO_EE_CODE_ZEROCOPY_COPIED) != 0;
            }
        }
    }
}

static int do_recv(int port, char *buf)
{
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    int l = socket(AF_INET, SOCK_STREAM, 0), one = 1, s;
    unsigned long long got = 0;
    char ack = 1;

    setsockopt(l, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    if (bind(l, (struct sockaddr *)&a, sizeof(a)) != 0 || listen(l, 1) != 0 ||
        (s = accept(l, NULL, NULL)) < 0) {
        perror("recv: bind/listen/accept");
        return 1;
    }
    for (;;) {
        ssize_t r = recv(s, buf, MSG_SIZE, MSG_DONTWAIT);
        if (r < 0 && (errno == EAGAIN || errno == EINTR)) {
            continue;
        }
        if (r <= 0) {
            break;
        }
        got += (unsigned long long)r;
        if (got % ((unsigned long long)MSG_SIZE * WINDOW) == 0 && send(s, &ack, 1, 0) != 1) {
            perror("recv: send ack");
            return 1;
        }
    }
    return 0;
}

static int do_send(const char *addr, int port, int zc, int rounds, char *buf)
{
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    int s = socket(AF_INET, SOCK_STREAM, 0), one = 1, tries = 0;
    unsigned calls = 0;
    double t0 = 0;

    inet_pton(AF_INET, addr, &a.sin_addr);
    if (zc && setsockopt(s, SOL_SOCKET, SO_ZEROCOPY, &one, sizeof(one)) != 0) {
        perror("send: SO_ZEROCOPY");
        return 1;
    }
    while (connect(s, (struct sockaddr *)&a, sizeof(a)) != 0) {
        if (++tries == 200) { /* 2 s */
            perror("send: connect");
            return 1;
        }
        usleep(10000);
    }
    setsockopt(s, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    for (int i = 0; i < rounds + WARMUP; i++) {
        char ack;
        if (i == WARMUP) {
            t0 = now_s();
        }
        for (int w = 0; w < WINDOW; w++) {
            size_t off = 0;
            while (off < MSG_SIZE) {
                ssize_t r = send(s, buf + off, MSG_SIZE - off,
                                 MSG_DONTWAIT | (zc ? MSG_ZEROCOPY : 0));
                if (r < 0 && (errno == EAGAIN || errno == ENOBUFS || errno == EINTR)) {
                    if (zc) {
                        zc_reap(s); /* ENOBUFS: too many notifications unread */
                    }
                    continue;
                }
                if (r < 0) {
                    perror("send: send");
                    return 1;
                }
                off += (size_t)r;
                calls += zc;
            }
        }
        while (recv(s, &ack, 1, MSG_DONTWAIT) != 1) {
            if (zc) {
                zc_reap(s);
            }
        }
        while (zc && zc_done < calls) { /* the pages are ours again */
            zc_reap(s);
        }
    }
    printf("%s %.1f MB/s%s\n", zc ? "zc" : "copy",
           (double)MSG_SIZE * WINDOW * rounds / (now_s() - t0) / 1e6,
           zc ? (zc_copied ? " (the kernel copied)" : " (not copied)") : "");
    close(s);
    return 0;
}

int main(int argc, char **argv)
{
    char *buf = aligned_alloc(4096, MSG_SIZE);

    if (buf == NULL) {
        return 1;
    }
    memset(buf, 1, MSG_SIZE);
    if (argc == 3 && strcmp(argv[1], "recv") == 0) {
        return do_recv(atoi(argv[2]), buf);
    }
    if (argc == 6 && strcmp(argv[1], "send") == 0) {
        return do_send(argv[2], atoi(argv[3]), atoi(argv[4]), atoi(argv[5]), buf);
    }
    fprintf(stderr, "usage: %s recv PORT | send ADDR PORT ZC ROUNDS\n", argv[0]);
    return 2;
}
