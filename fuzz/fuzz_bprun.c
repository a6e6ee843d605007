/*
 * fuzz_bprun.c - bprun's server side of the control protocol (src/boot/bprun_proto.h), the
 * very code of tools/bprun.c (included here with its main renamed): a job of 1..4 ranks
 * whose sockets are real socketpairs, fed with what the input says each rank sends
 * (headers, bodies, bad ops, lengths too large or different, a rank that hangs up), read
 * by bprun_sock_read, answered by bprun_rounds_serve and bprun_sock_write. Every reply
 * that comes back is checked against the protocol: a known status, and a payload of
 * exactly size * len bytes when the status is OK, none otherwise.
 *
 * Input: job size - 1, then records: a byte (rank; bit 7: that rank hangs up), a 16-bit
 * length and that many bytes to write on the rank's socket.
 */
#define BPRUN_MAIN bprun_tool_main
int bprun_tool_main(int argc, char **argv);
#include "../tools/bprun.c"

#include "fuzz.h"

#define FZ_RANKS 4

typedef struct fz_client {
    int fd;               /* the rank's end */
    bpi_bprun_msg_t rep;  /* the reply header being read */
    size_t rep_got;
    size_t body_left;     /* payload bytes of the current reply still to come */
} fz_client_t;

static void fz_client_read(const bprun_job_t *job, fz_client_t *c)
{
    unsigned char buf[65536];

    while (c->fd >= 0) {
        ssize_t n;
        if (c->rep_got < sizeof(c->rep)) {
            n = recv(c->fd, (char *)&c->rep + c->rep_got, sizeof(c->rep) - c->rep_got,
                     MSG_DONTWAIT);
        } else {
            n = recv(c->fd, buf, c->body_left < sizeof(buf) ? c->body_left : sizeof(buf),
                     MSG_DONTWAIT);
        }
        if (n <= 0) {
            return;
        }
        if (c->rep_got < sizeof(c->rep)) {
            c->rep_got += (size_t)n;
            if (c->rep_got < sizeof(c->rep)) {
                continue;
            }
            if (c->rep.op > BPI_BPRUN_STATUS_PEER ||
                (c->rep.op != BPI_BPRUN_STATUS_OK && c->rep.len != 0) ||
                c->rep.len > BPI_BPRUN_MAX_LEN) {
                abort(); /* not what bprun_proto.h promises */
            }
            c->body_left = (size_t)c->rep.len * (size_t)job->size;
        } else {
            c->body_left -= (size_t)n;
        }
        if (c->body_left == 0) {
            c->rep_got = 0;
        }
    }
}

/* What bprun's poll loop does, until nothing moves any more (bounded). */
static void fz_serve(bprun_job_t *job, fz_client_t *cl)
{
    for (int round = 0; round < 8; round++) {
        int moved = 0;
        for (int r = 0; r < job->size; r++) {
            bprun_rank_t *rk = &job->ranks[r];
            if (rk->sock >= 0 && !rk->rep_pending) {
                size_t before = rk->req_got + rk->body_got + (size_t)rk->ready;
                bprun_sock_read(job, rk);
                moved |= rk->sock < 0 || rk->req_got + rk->body_got + (size_t)rk->ready != before;
            }
        }
        bprun_rounds_serve(job);
        for (int r = 0; r < job->size; r++) {
            bprun_rank_t *rk = &job->ranks[r];
            if (rk->sock >= 0 && rk->rep_pending) {
                bprun_sock_write(job, rk);
                moved = 1;
            }
            if (cl[r].fd >= 0 && moved) {
                fz_client_read(job, &cl[r]);
            }
        }
        if (!moved) {
            break;
        }
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_in_t in = {data, size};
    bprun_job_t job;
    bprun_rank_t ranks[FZ_RANKS];
    fz_client_t cl[FZ_RANKS];
    static unsigned char chunk[65536];

    memset(&job, 0, sizeof(job));
    memset(ranks, 0, sizeof(ranks));
    memset(cl, 0, sizeof(cl));
    job.exit_code = -1;
    job.sigfd = -1;
    job.size = 1 + fuzz_u8(&in) % FZ_RANKS;
    job.ranks = ranks;
    job.started = job.size;
    for (int r = 0; r < job.size; r++) {
        int sv[2];
        if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv) != 0) {
            for (int k = 0; k < r; k++) {
                close(ranks[k].sock);
                close(cl[k].fd);
            }
            return 0;
        }
        ranks[r].sock = sv[0];
        ranks[r].alive = 0; /* no process: bprun never signals pid 0 */
        for (int s = 0; s < 2; s++) {
            ranks[r].streams[s].fd = -1;
        }
        cl[r].fd = sv[1];
    }
    while (in.n > 0) {
        uint8_t who = fuzz_u8(&in);
        size_t len = fuzz_u16(&in);
        fz_client_t *c = &cl[(who & 0x7f) % job.size];
        len = fuzz_take(&in, chunk, len);
        if (c->fd < 0) {
            continue;
        }
        if (who & 0x80) {
            close(c->fd);
            c->fd = -1;
        } else if (len > 0) {
            (void)send(c->fd, chunk, len, MSG_DONTWAIT | MSG_NOSIGNAL);
        }
        fz_serve(&job, cl);
    }
    for (int r = 0; r < job.size; r++) {
        if (ranks[r].sock >= 0) {
            bprun_sock_close(&job, &ranks[r]);
        }
        bprun_req_reset(&ranks[r]);
        if (cl[r].fd >= 0) {
            close(cl[r].fd);
        }
    }
    free(job.payload);
    return 0;
}
