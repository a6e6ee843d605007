/*
 * bprun.c - the rank side of the embedded launcher: rank, size and job key from the BPRUN_*
 * environment, allgather over the socketpair bprun handed down as BPRUN_FD. The wire is in
 * bprun_proto.h; tools/bprun.c is the other end.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "boot/boot.h"
#include "core/log.h"
#include "boot/bprun_proto.h"

typedef struct bprun_boot {
    bpi_boot_t boot;
    int fd;
    int broken; /* the stream lost sync: every later call fails */
} bprun_boot_t;

/* Until src/core/log.h exists: one line on stderr. */
int bpi_boot_bprun_present(void)
{
    return getenv("BPRUN_FD") != NULL;
}


static bp_status_t bprun_env_jobkey(uint64_t *jobkey_p)
{
    const char *s = getenv("BPRUN_JOBKEY");
    uint64_t key = 0;
    size_t i;

    if (s == NULL) {
        bpi_log_error("bprun: BPRUN_JOBKEY is not set (BPRUN_FD is: the environment is incomplete)");
        return BP_ERR_BOOT;
    }
    for (i = 0; s[i] != '\0'; i++) {
        int c = (unsigned char)s[i];
        if (i >= 16 || !isxdigit(c)) {
            break;
        }
        key = (key << 4) | (uint64_t)(isdigit(c) ? c - '0' : tolower(c) - 'a' + 10);
    }
    if (i != 16 || s[i] != '\0') {
        bpi_log_error("bprun: BPRUN_JOBKEY=\"%.64s\" is not exactly 16 hex digits", s);
        return BP_ERR_BOOT;
    }
    *jobkey_p = key;
    return BP_OK;
}

static bp_status_t bprun_send_all(int fd, const void *buf, size_t len)
{
    const char *p = buf;

    while (len > 0) {
        ssize_t n = send(fd, p, len, MSG_NOSIGNAL);
        if (n < 0) {
            if (errno == EINTR) {
                continue;
            }
            if (errno == EAGAIN || errno == EWOULDBLOCK) {
                struct pollfd pfd = { .fd = fd, .events = POLLOUT };
                (void)poll(&pfd, 1, -1);
                continue;
            }
            if (errno == EPIPE || errno == ECONNRESET) {
                bpi_log_error("bprun: send to bprun (fd %d): bprun closed the connection (did bprun "
                         "or a rank die?)", fd);
            } else {
                bpi_log_error("bprun: send to bprun (fd %d): %s", fd, strerror(errno));
            }
            return BP_ERR_BOOT;
        }
        p += n;
        len -= (size_t)n;
    }
    return BP_OK;
}

static bp_status_t bprun_recv_all(int fd, void *buf, size_t len)
{
    char *p = buf;

    while (len > 0) {
        ssize_t n = recv(fd, p, len, 0);
        if (n == 0) {
            bpi_log_error("bprun: recv from bprun (fd %d): bprun closed the connection (did bprun "
                     "or a rank die?)", fd);
            return BP_ERR_BOOT;
        }
        if (n < 0) {
            if (errno == EINTR) {
                continue;
            }
            if (errno == EAGAIN || errno == EWOULDBLOCK) {
                struct pollfd pfd = { .fd = fd, .events = POLLIN };
                (void)poll(&pfd, 1, -1);
                continue;
            }
            bpi_log_error("bprun: recv from bprun (fd %d): %s", fd, strerror(errno));
            return BP_ERR_BOOT;
        }
        p += n;
        len -= (size_t)n;
    }
    return BP_OK;
}

static bp_status_t bprun_allgather(bpi_boot_t *boot, const void *in, size_t len, void *out)
{
    bprun_boot_t *bb = boot->priv;
    bpi_bprun_msg_t msg;
    bp_status_t status;

    if (len > BPI_BPRUN_MAX_LEN) {
        bpi_log_error("bprun: allgather of %zu bytes per rank: the limit is %u", len,
                 BPI_BPRUN_MAX_LEN);
        return BP_ERR_INVAL;
    }
    if (len > 0 && (in == NULL || out == NULL)) {
        return BP_ERR_INVAL;
    }
    if (bb->broken) {
        bpi_log_error("bprun: allgather after an earlier failure on the connection to bprun");
        return BP_ERR_BOOT;
    }

    msg.op = BPI_BPRUN_OP_ALLGATHER;
    msg.len = (uint32_t)len;
    status = bprun_send_all(bb->fd, &msg, sizeof(msg));
    if (status != BP_OK) {
        goto err_broken;
    }
    status = bprun_send_all(bb->fd, in, len);
    if (status != BP_OK) {
        goto err_broken;
    }
    status = bprun_recv_all(bb->fd, &msg, sizeof(msg));
    if (status != BP_OK) {
        goto err_broken;
    }
    if (msg.op != BPI_BPRUN_STATUS_OK) {
        /* An error reply carries no payload: the stream is still in sync. */
        bpi_log_error("bprun: allgather of %zu bytes per rank refused by bprun: %s (status %u)", len,
                 bpi_bprun_status_str(msg.op), msg.op);
        return BP_ERR_BOOT;
    }
    if (msg.len != len) {
        bpi_log_error("bprun: allgather of %zu bytes per rank: bprun answered %u bytes per rank",
                 len, msg.len);
        status = BP_ERR_BOOT;
        goto err_broken;
    }
    status = bprun_recv_all(bb->fd, out, (size_t)boot->size * len);
    if (status != BP_OK) {
        goto err_broken;
    }
    return BP_OK;

err_broken:
    bb->broken = 1;
    return status;
}

static void bprun_close(bpi_boot_t *boot)
{
    bprun_boot_t *bb = boot->priv;

    if (close(bb->fd) != 0) {
        bpi_log_error("bprun: close(BPRUN_FD=%d): %s", bb->fd, strerror(errno));
    }
    free(bb);
}

bp_status_t bpi_boot_bprun_open(bpi_boot_t **boot_p)
{
    bprun_boot_t *bb;
    struct stat st;
    long rank, size, fd;
    uint64_t jobkey;
    bp_status_t status;
    int flags;

    status = bpi_boot_env_long("bprun", "BPRUN_SIZE", 1, BPI_BPRUN_MAX_SIZE, &size);
    if (status != BP_OK) {
        return status;
    }
    status = bpi_boot_env_long("bprun", "BPRUN_RANK", 0, size - 1, &rank);
    if (status != BP_OK) {
        return status;
    }
    status = bprun_env_jobkey(&jobkey);
    if (status != BP_OK) {
        return status;
    }
    status = bpi_boot_env_long("bprun", "BPRUN_FD", 0, INT_MAX, &fd);
    if (status != BP_OK) {
        return status;
    }
    if (fstat((int)fd, &st) != 0) {
        bpi_log_error("bprun: BPRUN_FD=%ld: fstat: %s (was the process started by bprun?)", fd,
                 strerror(errno));
        return BP_ERR_BOOT;
    }
    if (!S_ISSOCK(st.st_mode)) {
        bpi_log_error("bprun: BPRUN_FD=%ld is not a socket (was the process started by bprun?)", fd);
        return BP_ERR_BOOT;
    }
    /* The user's own children must not inherit the connection to bprun. */
    flags = fcntl((int)fd, F_GETFD);
    if (flags < 0 || fcntl((int)fd, F_SETFD, flags | FD_CLOEXEC) != 0) {
        bpi_log_error("bprun: fcntl(BPRUN_FD=%ld, FD_CLOEXEC): %s", fd, strerror(errno));
        return BP_ERR_BOOT;
    }

    bb = calloc(1, sizeof(*bb));
    if (bb == NULL) {
        bpi_log_error("bprun: out of memory");
        return BP_ERR_NOMEM;
    }
    bb->fd = (int)fd;
    bb->boot.name = "bprun";
    bb->boot.rank = (int)rank;
    bb->boot.size = (int)size;
    bb->boot.jobkey = jobkey;
    bb->boot.allgather = bprun_allgather;
    bb->boot.close = bprun_close;
    bb->boot.priv = bb;
    *boot_p = &bb->boot;
    return BP_OK;
}
