/*
 * pmi.c - the bootstrap under a PMI-2 or PMI-1 server speaking the simple wire protocol
 * (MPICH's Hydra mpiexec, Slurm's srun --mpi=pmi2). The connection is the socket the
 * launcher handed down as PMI_FD, or a TCP connection to PMI_PORT (host:port) that names
 * itself with PMI_ID. The bytes are built and parsed by pmi_wire.c.
 *
 * allgather: each rank puts its contribution, hex-encoded (values must be printable), under
 * "bp<round>-<rank>-<part>", split into parts that fit the server's value length; then a
 * fence (PMI-2 kvs-fence, PMI-1 barrier); then every rank gets every other rank's parts.
 * The round number makes each call's keys new: the KVS never overwrites.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "boot/boot.h"
#include "boot/pmi_wire.h"
#include "core/log.h"

#define PMI_NAME_MAX 256   /* kvsname / jobid we keep */
#define PMI_CHUNK_MAX 1024 /* hex characters per key, at most */

typedef struct pmi_boot {
    bpi_boot_t boot;
    int fd;
    int version; /* 1 or 2 */
    int broken;  /* the stream lost sync: every later call fails */
    unsigned round;
    size_t chunk; /* hex characters per key: even, within the server's value length */
    char kvsname[PMI_NAME_MAX];
    size_t rlen;
    char rbuf[BPI_PMI_MSG_MAX + BPI_PMI2_HDR_LEN];
    bpi_pmi_msg_t msg; /* the last reply */
    char out[BPI_PMI_MSG_MAX + BPI_PMI2_HDR_LEN + 1];
} pmi_boot_t;

int bpi_boot_pmi_present(void)
{
    return getenv("PMI_FD") != NULL || (getenv("PMI_PORT") != NULL && getenv("PMI_ID") != NULL);
}

static const char *pmi_name(const pmi_boot_t *pb)
{
    return pb->version == 2 ? "pmi2" : "pmi1";
}


static bp_status_t pmi_send(pmi_boot_t *pb, const char *buf, size_t len)
{
    while (len > 0) {
        ssize_t n = send(pb->fd, buf, len, MSG_NOSIGNAL);
        if (n < 0) {
            if (errno == EINTR) {
                continue;
            }
            if (errno == EAGAIN || errno == EWOULDBLOCK) {
                struct pollfd pfd = { .fd = pb->fd, .events = POLLOUT };
                (void)poll(&pfd, 1, -1);
                continue;
            }
            bpi_log_error("%s: send to the PMI server (fd %d): %s", pmi_name(pb), pb->fd,
                          strerror(errno));
            pb->broken = 1;
            return BP_ERR_BOOT;
        }
        buf += n;
        len -= (size_t)n;
    }
    return BP_OK;
}

/* Reads more bytes into rbuf; the server closing is an error. */
static bp_status_t pmi_fill(pmi_boot_t *pb)
{
    for (;;) {
        ssize_t n = recv(pb->fd, pb->rbuf + pb->rlen, sizeof(pb->rbuf) - pb->rlen, 0);
        if (n > 0) {
            pb->rlen += (size_t)n;
            return BP_OK;
        }
        if (n == 0) {
            bpi_log_error("%s: the PMI server closed the connection (fd %d; did the launcher "
                          "or a rank die?)", pmi_name(pb), pb->fd);
            break;
        }
        if (errno == EINTR) {
            continue;
        }
        if (errno == EAGAIN || errno == EWOULDBLOCK) {
            struct pollfd pfd = { .fd = pb->fd, .events = POLLIN };
            (void)poll(&pfd, 1, -1);
            continue;
        }
        bpi_log_error("%s: recv from the PMI server (fd %d): %s", pmi_name(pb), pb->fd,
                      strerror(errno));
        break;
    }
    pb->broken = 1;
    return BP_ERR_BOOT;
}

static void pmi_consume(pmi_boot_t *pb, size_t n)
{
    memmove(pb->rbuf, pb->rbuf + n, pb->rlen - n);
    pb->rlen -= n;
}

/* One PMI-1 line into pb->msg. */
static bp_status_t pmi1_recv(pmi_boot_t *pb)
{
    char *nl;
    bp_status_t status;

    while ((nl = memchr(pb->rbuf, '\n', pb->rlen)) == NULL) {
        if (pb->rlen >= BPI_PMI_MSG_MAX) {
            bpi_log_error("pmi1: a reply line longer than %d bytes", BPI_PMI_MSG_MAX);
            pb->broken = 1;
            return BP_ERR_PROTO;
        }
        status = pmi_fill(pb);
        if (status != BP_OK) {
            return status;
        }
    }
    status = bpi_pmi1_parse(pb->rbuf, (size_t)(nl - pb->rbuf) + 1, &pb->msg);
    if (status != BP_OK) {
        bpi_log_error("pmi1: malformed reply from the PMI server: %s: \"%.*s\"", pb->msg.why,
                      (int)(nl - pb->rbuf < 200 ? nl - pb->rbuf : 200), pb->rbuf);
        pb->broken = 1;
        return status;
    }
    pmi_consume(pb, (size_t)(nl - pb->rbuf) + 1);
    return BP_OK;
}

/* One PMI-2 command into pb->msg. */
static bp_status_t pmi2_recv(pmi_boot_t *pb)
{
    const char *why = NULL;
    size_t len;
    bp_status_t status;

    while (pb->rlen < BPI_PMI2_HDR_LEN) {
        status = pmi_fill(pb);
        if (status != BP_OK) {
            return status;
        }
    }
    status = bpi_pmi2_parse_len(pb->rbuf, BPI_PMI2_HDR_LEN, &len, &why);
    if (status != BP_OK) {
        bpi_log_error("pmi2: malformed reply from the PMI server: %s: \"%.6s\"", why, pb->rbuf);
        pb->broken = 1;
        return status;
    }
    while (pb->rlen < BPI_PMI2_HDR_LEN + len) {
        status = pmi_fill(pb);
        if (status != BP_OK) {
            return status;
        }
    }
    status = bpi_pmi2_parse(pb->rbuf + BPI_PMI2_HDR_LEN, len, &pb->msg);
    if (status != BP_OK) {
        bpi_log_error("pmi2: malformed reply from the PMI server: %s: \"%.*s\"", pb->msg.why,
                      (int)(len < 200 ? len : 200), pb->rbuf + BPI_PMI2_HDR_LEN);
        pb->broken = 1;
        return status;
    }
    pmi_consume(pb, BPI_PMI2_HDR_LEN + len);
    return BP_OK;
}

/*
 * Sends one command (PMI-1 line when v1, else PMI-2), reads one reply into pb->msg and checks
 * that it is the expected command with rc=0 (a missing rc counts as 0: some replies have none).
 */
static bp_status_t pmi_call(pmi_boot_t *pb, int v1, const char *cmd, const char *const *kv,
                            size_t nkv, const char *reply)
{
    const char *got, *rc;
    size_t len;
    bp_status_t status;

    if (pb->broken) {
        bpi_log_error("%s: %s after an earlier failure on the connection to the PMI server",
                      pmi_name(pb), cmd);
        return BP_ERR_BOOT;
    }
    status = v1 ? bpi_pmi1_build(pb->out, sizeof(pb->out), &len, cmd, kv, nkv)
                : bpi_pmi2_build(pb->out, sizeof(pb->out), &len, cmd, kv, nkv);
    if (status != BP_OK) {
        bpi_log_error("%s: cannot write the command %s (a value too long or not printable)",
                      pmi_name(pb), cmd);
        return BP_ERR_BOOT;
    }
    status = pmi_send(pb, pb->out, len);
    if (status != BP_OK) {
        return status;
    }
    status = v1 ? pmi1_recv(pb) : pmi2_recv(pb);
    if (status != BP_OK) {
        return BP_ERR_BOOT;
    }
    got = bpi_pmi_msg_get(&pb->msg, "cmd");
    if (strcmp(got, reply) != 0) {
        bpi_log_error("%s: the PMI server answered %s with cmd=%.64s, expected cmd=%s",
                      pmi_name(pb), cmd, got, reply);
        pb->broken = 1;
        return BP_ERR_BOOT;
    }
    rc = bpi_pmi_msg_get(&pb->msg, "rc");
    if (rc != NULL && strcmp(rc, "0") != 0) {
        const char *why = bpi_pmi_msg_get(&pb->msg, "msg");
        if (why == NULL) {
            why = bpi_pmi_msg_get(&pb->msg, "errmsg");
        }
        bpi_log_error("%s: the PMI server refused %s: rc=%.16s%s%.200s", pmi_name(pb), cmd, rc,
                      why != NULL ? ": " : "", why != NULL ? why : "");
        return BP_ERR_BOOT;
    }
    return BP_OK;
}

static bp_status_t pmi_reply_long(pmi_boot_t *pb, const char *key, long min, long max,
                                  long *value_p)
{
    if (bpi_pmi_msg_long(&pb->msg, key, min, max, value_p) != BP_OK) {
        const char *v = bpi_pmi_msg_get(&pb->msg, key);
        bpi_log_error("%s: reply cmd=%s: %s=%.32s is not an integer in [%ld, %ld]",
                      pmi_name(pb), pb->msg.val[0], key, v != NULL ? v : "(missing)", min, max);
        pb->broken = 1;
        return BP_ERR_BOOT;
    }
    return BP_OK;
}

static bp_status_t pmi_reply_name(pmi_boot_t *pb, const char *key)
{
    const char *v = bpi_pmi_msg_get(&pb->msg, key);

    if (v == NULL || v[0] == '\0' || strlen(v) >= sizeof(pb->kvsname)) {
        bpi_log_error("%s: reply cmd=%s: %s is missing, empty or longer than %zu bytes",
                      pmi_name(pb), pb->msg.val[0], key, sizeof(pb->kvsname) - 1);
        pb->broken = 1;
        return BP_ERR_BOOT;
    }
    memcpy(pb->kvsname, v, strlen(v) + 1);
    return BP_OK;
}

/* The connection: PMI_FD, else PMI_PORT=host:port. */
static bp_status_t pmi_connect(pmi_boot_t *pb)
{
    struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM };
    struct addrinfo *res, *ai;
    const char *port_env;
    char host[256], *colon;
    long fd;
    int rc, err = 0, flags;
    bp_status_t status;

    if (getenv("PMI_FD") != NULL) {
        struct stat st;

        status = bpi_boot_env_long("pmi", "PMI_FD", 0, INT_MAX, &fd);
        if (status != BP_OK) {
            return status;
        }
        if (fstat((int)fd, &st) != 0 || !S_ISSOCK(st.st_mode)) {
            bpi_log_error("pmi: PMI_FD=%ld is not an open socket (was the process started by a "
                          "PMI launcher?)", fd);
            return BP_ERR_BOOT;
        }
        pb->fd = (int)fd;
        /* The user's own children must not inherit the connection to the server. */
        flags = fcntl(pb->fd, F_GETFD);
        if (flags < 0 || fcntl(pb->fd, F_SETFD, flags | FD_CLOEXEC) != 0) {
            bpi_log_error("pmi: fcntl(PMI_FD=%d, FD_CLOEXEC): %s", pb->fd, strerror(errno));
            return BP_ERR_BOOT;
        }
        return BP_OK;
    }

    port_env = getenv("PMI_PORT");
    if (port_env == NULL || strlen(port_env) >= sizeof(host) ||
        (colon = strrchr(strcpy(host, port_env), ':')) == NULL || colon == host ||
        colon[1] == '\0') {
        bpi_log_error("pmi: PMI_PORT=\"%.64s\" is not host:port", port_env != NULL ? port_env : "");
        return BP_ERR_BOOT;
    }
    *colon = '\0';
    rc = getaddrinfo(host, colon + 1, &hints, &res);
    if (rc != 0) {
        bpi_log_error("pmi: PMI_PORT=%s: getaddrinfo: %s", port_env, gai_strerror(rc));
        return BP_ERR_BOOT;
    }
    pb->fd = -1;
    for (ai = res; ai != NULL; ai = ai->ai_next) {
        int s = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
        if (s < 0) {
            err = errno;
            continue;
        }
        while ((rc = connect(s, ai->ai_addr, ai->ai_addrlen)) != 0 && errno == EINTR) {
        }
        if (rc == 0) {
            pb->fd = s;
            break;
        }
        err = errno;
        close(s);
    }
    freeaddrinfo(res);
    if (pb->fd < 0) {
        bpi_log_error("pmi: connect to PMI_PORT=%s: %s", port_env, strerror(err));
        return BP_ERR_BOOT;
    }
    return BP_OK;
}

/* PMI-1: [initack], init, get_maxes, get_appnum, get_my_kvsname. */
static bp_status_t pmi1_handshake(pmi_boot_t *pb, long *rank_p, long *size_p, long *vallen_p)
{
    long rank = -1, size = -1, v;
    bp_status_t status;

    if (getenv("PMI_FD") == NULL) {
        /* Port mode: the server learns who we are from PMI_ID, then sets size and rank. */
        const char *id = getenv("PMI_ID");
        const char *kv[] = { "pmiid", id };
        status = bpi_boot_env_long("pmi", "PMI_ID", 0, INT_MAX, &v);
        if (status != BP_OK) {
            return status;
        }
        status = pmi_call(pb, 1, "initack", kv, 1, "initack");
        if (status != BP_OK) {
            return status;
        }
        for (int i = 0; i < 3; i++) { /* cmd=set size=N, cmd=set rank=R, cmd=set debug=D */
            status = pmi1_recv(pb);
            if (status != BP_OK) {
                return BP_ERR_BOOT;
            }
            if (strcmp(pb->msg.val[0], "set") != 0) {
                bpi_log_error("pmi1: after initack the PMI server sent cmd=%.64s, expected "
                              "cmd=set", pb->msg.val[0]);
                pb->broken = 1;
                return BP_ERR_BOOT;
            }
            if (bpi_pmi_msg_get(&pb->msg, "size") != NULL) {
                status = pmi_reply_long(pb, "size", 1, INT_MAX, &size);
            } else if (bpi_pmi_msg_get(&pb->msg, "rank") != NULL) {
                status = pmi_reply_long(pb, "rank", 0, INT_MAX, &rank);
            }
            if (status != BP_OK) {
                return status;
            }
        }
    } else {
        status = bpi_boot_env_long("pmi", "PMI_SIZE", 1, INT_MAX, &size);
        if (status == BP_OK) {
            status = bpi_boot_env_long("pmi", "PMI_RANK", 0, INT_MAX, &rank);
        }
        if (status != BP_OK) {
            return status;
        }
    }
    if (size < 1 || rank < 0 || rank >= size) {
        bpi_log_error("pmi1: rank %ld of a job of %ld is not a valid rank", rank, size);
        return BP_ERR_BOOT;
    }
    {
        const char *kv[] = { "pmi_version", "1", "pmi_subversion", "1" };
        status = pmi_call(pb, 1, "init", kv, 2, "response_to_init");
        if (status != BP_OK) {
            return status;
        }
    }
    status = pmi_call(pb, 1, "get_maxes", NULL, 0, "maxes");
    if (status == BP_OK) {
        status = pmi_reply_long(pb, "keylen_max", 1, INT_MAX, &v);
    }
    if (status == BP_OK && v < 32) {
        bpi_log_error("pmi1: the PMI server's keys are at most %ld bytes: too short", v);
        status = BP_ERR_BOOT;
    }
    if (status == BP_OK) {
        status = pmi_reply_long(pb, "vallen_max", 1, INT_MAX, vallen_p);
    }
    if (status == BP_OK) {
        status = pmi_call(pb, 1, "get_appnum", NULL, 0, "appnum");
    }
    if (status == BP_OK) {
        status = pmi_call(pb, 1, "get_my_kvsname", NULL, 0, "my_kvsname");
    }
    if (status == BP_OK) {
        status = pmi_reply_name(pb, "kvsname");
    }
    *rank_p = rank;
    *size_p = size;
    return status;
}

/* PMI-2: the PMI-1 style init line that selects version 2, fullinit, job-getid. */
static bp_status_t pmi2_handshake(pmi_boot_t *pb, long *rank_p, long *size_p)
{
    const char *kv[8];
    size_t n = 0;
    bp_status_t status;

    {
        const char *init[] = { "pmi_version", "2", "pmi_subversion", "0" };
        status = pmi_call(pb, 1, "init", init, 2, "response_to_init");
        if (status != BP_OK) {
            return status;
        }
    }
    /* The server knows a process by pmirank: PMI_RANK, or in port mode (no PMI_RANK) the
     * PMI_ID it handed down; Slurm also by pmijobid. */
    if (getenv("PMI_JOBID") != NULL) {
        kv[n++] = "pmijobid";
        kv[n++] = getenv("PMI_JOBID");
    }
    kv[n++] = "pmirank";
    kv[n++] = getenv("PMI_RANK") != NULL ? getenv("PMI_RANK") : getenv("PMI_ID");
    if (kv[n - 1] == NULL) {
        bpi_log_error("pmi2: neither PMI_RANK nor PMI_ID is set: the server cannot tell who "
                      "this process is");
        return BP_ERR_BOOT;
    }
    kv[n++] = "threaded";
    kv[n++] = "FALSE";
    status = pmi_call(pb, 0, "fullinit", kv, n / 2, "fullinit-response");
    if (status == BP_OK) {
        status = pmi_reply_long(pb, "size", 1, INT_MAX, size_p);
    }
    if (status == BP_OK) {
        status = pmi_reply_long(pb, "rank", 0, *size_p - 1, rank_p);
    }
    if (status == BP_OK) {
        status = pmi_call(pb, 0, "job-getid", NULL, 0, "job-getid-response");
    }
    if (status == BP_OK) {
        status = pmi_reply_name(pb, "jobid");
    }
    return status;
}

static bp_status_t pmi_put(pmi_boot_t *pb, const char *key, const char *value)
{
    if (pb->version == 2) {
        const char *kv[] = { "key", key, "value", value };
        return pmi_call(pb, 0, "kvs-put", kv, 2, "kvs-put-response");
    } else {
        const char *kv[] = { "kvsname", pb->kvsname, "key", key, "value", value };
        return pmi_call(pb, 1, "put", kv, 3, "put_result");
    }
}

static bp_status_t pmi_fence(pmi_boot_t *pb)
{
    if (pb->version == 2) {
        return pmi_call(pb, 0, "kvs-fence", NULL, 0, "kvs-fence-response");
    }
    return pmi_call(pb, 1, "barrier_in", NULL, 0, "barrier_out");
}

/* Gets key's value into pb->msg; *value_p points into it. */
static bp_status_t pmi_get(pmi_boot_t *pb, const char *key, const char **value_p)
{
    const char *found;
    bp_status_t status;

    if (pb->version == 2) {
        const char *kv[] = { "jobid", pb->kvsname, "srcid", "-1", "key", key };
        status = pmi_call(pb, 0, "kvs-get", kv, 3, "kvs-get-response");
        found = bpi_pmi_msg_get(&pb->msg, "found");
        if (status == BP_OK && found != NULL && strcmp(found, "TRUE") != 0) {
            bpi_log_error("pmi2: key %s not found after the fence", key);
            return BP_ERR_BOOT;
        }
    } else {
        const char *kv[] = { "kvsname", pb->kvsname, "key", key };
        status = pmi_call(pb, 1, "get", kv, 2, "get_result");
    }
    if (status != BP_OK) {
        return status;
    }
    *value_p = bpi_pmi_msg_get(&pb->msg, "value");
    if (*value_p == NULL) {
        bpi_log_error("%s: the reply to get %s has no value", pmi_name(pb), key);
        return BP_ERR_BOOT;
    }
    return BP_OK;
}

static bp_status_t pmi_allgather(bpi_boot_t *boot, const void *in, size_t len, void *out)
{
    pmi_boot_t *pb = boot->priv;
    size_t per = pb->chunk / 2; /* bytes per key */
    size_t nparts = len == 0 ? 0 : (len + per - 1) / per;
    unsigned round = pb->round++;
    char key[BPI_PMI_KEY_MAX + 1];
    char hex[PMI_CHUNK_MAX + 1];
    bp_status_t status;

    if (len > 0 && (in == NULL || out == NULL)) {
        return BP_ERR_INVAL;
    }
    if (len > (size_t)INT_MAX / (size_t)boot->size) {
        bpi_log_error("%s: allgather of %zu bytes per rank is too large", pmi_name(pb), len);
        return BP_ERR_INVAL;
    }
    for (size_t p = 0; p < nparts; p++) {
        size_t n = p == nparts - 1 ? len - p * per : per;
        snprintf(key, sizeof(key), "bp%u-%d-%zu", round, boot->rank, p);
        (void)bpi_pmi_hex_encode((const char *)in + p * per, n, hex, sizeof(hex));
        status = pmi_put(pb, key, hex);
        if (status != BP_OK) {
            return status;
        }
    }
    status = pmi_fence(pb);
    if (status != BP_OK) {
        return status;
    }
    for (int r = 0; r < boot->size; r++) {
        char *dst = (char *)out + (size_t)r * len;
        if (r == boot->rank) {
            if (len > 0 && dst != in) {
                memmove(dst, in, len);
            }
            continue;
        }
        for (size_t p = 0; p < nparts; p++) {
            size_t n = p == nparts - 1 ? len - p * per : per;
            const char *value;

            snprintf(key, sizeof(key), "bp%u-%d-%zu", round, r, p);
            status = pmi_get(pb, key, &value);
            if (status != BP_OK) {
                return status;
            }
            if (bpi_pmi_hex_decode(value, strlen(value), dst + p * per, n) != BP_OK) {
                bpi_log_error("%s: rank %d's value %s is not %zu hex-encoded bytes",
                              pmi_name(pb), r, key, n);
                return BP_ERR_BOOT;
            }
        }
    }
    return BP_OK;
}

static void pmi_close(bpi_boot_t *boot)
{
    pmi_boot_t *pb = boot->priv;

    if (!pb->broken) {
        if (pb->version == 2) {
            (void)pmi_call(pb, 0, "finalize", NULL, 0, "finalize-response");
        } else {
            (void)pmi_call(pb, 1, "finalize", NULL, 0, "finalize_ack");
        }
    }
    if (close(pb->fd) != 0) {
        bpi_log_warn("%s: close(fd %d): %s", pmi_name(pb), pb->fd, strerror(errno));
    }
    free(pb);
}

bp_status_t bpi_boot_pmi_open(int version, bpi_boot_t **boot_p)
{
    pmi_boot_t *pb;
    long rank = -1, size = -1, vallen = 1024;
    bp_status_t status;

    if (version != 1 && version != 2) {
        return BP_ERR_INVAL;
    }
    pb = calloc(1, sizeof(*pb));
    if (pb == NULL) {
        bpi_log_error("pmi: out of memory");
        return BP_ERR_NOMEM;
    }
    pb->version = version;
    pb->fd = -1;
    status = pmi_connect(pb);
    if (status != BP_OK) {
        goto err_free;
    }
    status = version == 2 ? pmi2_handshake(pb, &rank, &size)
                          : pmi1_handshake(pb, &rank, &size, &vallen);
    if (status != BP_OK) {
        goto err_close;
    }
    /* PMI-2 has no get_maxes: 1024 is the protocol's PMI2_MAX_VALLEN. Keep one byte spare. */
    pb->chunk = (size_t)(vallen - 1 < PMI_CHUNK_MAX ? vallen - 1 : PMI_CHUNK_MAX) & ~(size_t)1;
    if (pb->version == 1) {
        /* Slurm's PMI-1 server reads a command with one read of 1024 bytes: the whole
         * `cmd=put kvsname=K key=K value=V` line must fit, whatever vallen_max says */
        size_t over = strlen("cmd=put kvsname= key= value=\n") + strlen(pb->kvsname) +
                      BPI_PMI_KEY_MAX;
        if (pb->chunk > 1024 - over) {
            pb->chunk = (1024 - over) & ~(size_t)1;
        }
    }
    if (pb->chunk < 16) {
        bpi_log_error("%s: the PMI server's values are at most %ld bytes: too short",
                      pmi_name(pb), vallen);
        status = BP_ERR_BOOT;
        goto err_close;
    }
    pb->boot.name = pmi_name(pb);
    pb->boot.rank = (int)rank;
    pb->boot.size = (int)size;
    pb->boot.jobkey = bpi_pmi_jobkey(pb->kvsname);
    pb->boot.allgather = pmi_allgather;
    pb->boot.close = pmi_close;
    pb->boot.priv = pb;
    bpi_log_debug("%s: rank %d of %d, job %s", pmi_name(pb), pb->boot.rank, pb->boot.size,
                  pb->kvsname);
    *boot_p = &pb->boot;
    return BP_OK;

err_close:
    close(pb->fd);
err_free:
    free(pb);
    return status;
}
