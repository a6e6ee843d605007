/*
 * bprun - the embedded launcher: starts N ranks of a program on this machine and serves
 * their bootstrap (src/boot/bprun_proto.h) from one poll() loop.
 *
 *   bprun -n N [--bind core|block|none] [--tag-output] [--timeout SECONDS] [--grace SECONDS]
 *         [--] prog [args...]
 *
 * Each rank gets BPRUN_RANK, BPRUN_SIZE, BPRUN_JOBKEY and BPRUN_FD (its end of a socketpair).
 * Rank 0 inherits stdin, the others read /dev/null. When a rank fails (non-zero exit or a
 * signal), bprun reports it once, sends SIGTERM to the others and SIGKILL 2 s later
 * (--grace: survivors that must report and finalize, e.g. over xdp, whose failing host
 * keeps its steering program 500 ms in bp_finalize), and
 * exits with the failing rank's status (128 + signal when it was killed). SIGINT and SIGTERM
 * are forwarded to the ranks; a second one kills them. --timeout ends the job the same way
 * (exit status 124). Every descriptor bprun opens is close-on-exec, so a rank inherits only
 * its own socket (and, with --tag-output, its own pipes as stdout and stderr).
 *
 * bprun itself killed (SIGKILL, or an OOM kill: nothing of bprun runs then): every rank gets
 * SIGKILL from the kernel (PR_SET_PDEATHSIG, set before the exec; it survives the exec of
 * wrappers such as `ip netns exec`), so no rank runs on without its launcher. Their shared
 * memory is already unlinked once bp_init has returned; names of ranks killed inside bp_init
 * are removed by the next bp_init on the machine (docs/RELIABILITY.md).
 *
 * Binding: rank r gets CPU r mod ncpus of bprun's mask (core, round robin), whether or not
 * the ranks fit the CPUs, so the kernel cannot stack ranks unevenly. With more ranks than
 * CPUs, neighbours in rank order then sit on different CPUs, and the library's adaptive
 * progress hands a CPU to the rank nearest the next message while the other CPU passes it
 * on (docs/ARCHITECTURE.md, "Progress", hand-off). --bind block (consecutive ranks share a
 * CPU: rank r on CPU r * ncpus / N) was the default with more ranks than CPUs until the
 * hand-off learnt whom each rank waits for (docs/PERFORMANCE.md, "a fifth session").
 *
 * rseq: with more ranks than CPUs, the ranks start with glibc's rseq registration off
 * (glibc.pthread.rseq=0 added to GLIBC_TUNABLES, unless that already names the tunable).
 * The kernel updates a registered thread's rseq area on its way back to user space after
 * every context switch, and there ranks hand their CPU to each other at every message: the
 * hand-off ring went from 1.30 to 1.17 us per hop with it off, bypass's 4-rank ring by 8%
 * (docs/PERFORMANCE.md, "a twelfth session"). glibc's sched_getcpu then asks the vDSO
 * (11 ns here instead of 5); a library that wants rseq of its own registers it itself.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/prctl.h>
#include <sys/random.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "boot/bprun_proto.h"

#define BPRUN_EXIT_USAGE 2
#define BPRUN_EXIT_NOTFOUND 127
#define BPRUN_EXIT_TIMEOUT 124
#define BPRUN_KILL_GRACE_MS 2000  /* SIGTERM, then SIGKILL after this (--grace) */
#define BPRUN_REAP_GRACE_MS 5000  /* after SIGKILL, give up waiting after this */
#define BPRUN_DRAIN_GRACE_MS 1000 /* after the last rank, stop relaying output after this */
#define BPRUN_LINE_MAX 65536      /* --tag-output: longer lines are cut into pieces */

enum { BPRUN_BIND_NONE, BPRUN_BIND_CORE, BPRUN_BIND_BLOCK };

typedef struct bprun_stream {
    int fd;     /* read end of the rank's stdout or stderr pipe, -1 when closed */
    int out_fd; /* where its lines go: 1 or 2 */
    char *buf;
    size_t used;
} bprun_stream_t;

typedef struct bprun_rank {
    pid_t pid;
    int alive; /* started and not reaped yet */
    int sock;  /* bprun's end of the socketpair, -1 when closed */

    /* The request being read. */
    bpi_bprun_msg_t req;
    size_t req_got;   /* header bytes read */
    size_t body_got;  /* body bytes read (or dropped) */
    unsigned char *body;
    uint32_t bad;     /* BPI_BPRUN_STATUS_* of an invalid request, 0 if valid */
    int ready;        /* a whole request is in, waiting for the round */

    /* The reply being written: header, then the shared payload. */
    bpi_bprun_msg_t rep;
    int rep_pending;
    size_t rep_off;
    size_t rep_body_len;

    bprun_stream_t streams[2];
} bprun_rank_t;

typedef struct bprun_job {
    char host[256]; /* ours (and every rank's): named when a rank fails */
    int size;
    int started;
    int nalive;
    int tag_output;
    int bind; /* BPRUN_BIND_* */
    double timeout_s;
    int64_t grace_ms; /* SIGTERM, then SIGKILL after this */
    char **argv;
    uint64_t jobkey;
    cpu_set_t cpus;
    int cpu_list[CPU_SETSIZE];
    int ncpus;
    sigset_t orig_mask;
    int sigfd;
    bprun_rank_t *ranks;

    /* Allgather rounds. */
    int nready;
    int broken;             /* a rank closed its connection: no round can complete */
    unsigned char *payload; /* size * len bytes of the last completed round */
    int payload_refs;

    /* Ending. */
    int exit_code;   /* -1 while nothing went wrong */
    int stopping;    /* SIGTERM sent after a failure or the timeout */
    int killed;      /* SIGKILL sent */
    int gave_up;
    int64_t deadline_ms; /* --timeout, 0 if none */
    int64_t kill_at_ms;
    int64_t giveup_at_ms;
    int64_t drain_until_ms;
} bprun_job_t;

static const char bprun_usage_text[] =
    "usage: bprun -n N [--bind core|block|none] [--tag-output] [--timeout SECONDS] "
    "[--grace SECONDS] [--] prog [args...]\n"
    "  -n, -np N           start N ranks (1..4096)\n"
    "  --bind core|block|none\n"
    "                      core: pin rank r to the r-th CPU of bprun's affinity mask (round\n"
    "                      robin); block: consecutive ranks share a CPU (rank r on CPU\n"
    "                      r * CPUs / N); none: leave the mask; default: core\n"
    "  --tag-output        prefix every line of a rank's stdout and stderr with \"[rank] \"\n"
    "  --timeout SECONDS   kill the job when it has not ended after SECONDS\n"
    "  --grace SECONDS     once a rank has failed (or the timeout): SIGTERM to the others,\n"
    "                      SIGKILL SECONDS later (default 2)\n"
    "  -h, --help          this text\n"
    "With more ranks than CPUs, the ranks start with glibc's rseq registration off\n"
    "(glibc.pthread.rseq=0 added to GLIBC_TUNABLES; name glibc.pthread.rseq there to choose).\n";

__attribute__((format(printf, 1, 2))) static void bprun_err(const char *fmt, ...)
{
    char line[1024];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(line, sizeof(line), fmt, ap);
    va_end(ap);
    fprintf(stderr, "bprun: %s\n", line);
    fflush(stderr);
}

static int64_t bprun_now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* --- arguments --------------------------------------------------------------------------- */

static void bprun_usage_exit(const char *why, const char *arg)
{
    if (arg != NULL) {
        fprintf(stderr, "bprun: %s: %s\n", why, arg);
    } else {
        fprintf(stderr, "bprun: %s\n", why);
    }
    fputs(bprun_usage_text, stderr);
    exit(BPRUN_EXIT_USAGE);
}

/* "--name value" or "--name=value"; *i is moved past what was used. NULL if it is not name. */
static const char *bprun_opt_value(int argc, char **argv, int *i, const char *name)
{
    const char *a = argv[*i];
    size_t n = strlen(name);

    if (strncmp(a, name, n) != 0) {
        return NULL;
    }
    if (a[n] == '=') {
        return a + n + 1;
    }
    if (a[n] != '\0') {
        return NULL;
    }
    if (*i + 1 >= argc) {
        bprun_usage_exit("missing value for", name);
    }
    *i += 1;
    return argv[*i];
}

static void bprun_args_parse(bprun_job_t *job, int argc, char **argv)
{
    int bind_set = 0;
    int i;

    job->size = 0;
    job->bind = BPRUN_BIND_NONE;
    for (i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v;
        char *end;

        if (strcmp(a, "--") == 0) {
            i++;
            break;
        }
        if (a[0] != '-' || a[1] == '\0') {
            break;
        }
        if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
            fputs(bprun_usage_text, stdout);
            exit(0);
        }
        if ((v = bprun_opt_value(argc, argv, &i, "-n")) != NULL ||
            (v = bprun_opt_value(argc, argv, &i, "-np")) != NULL ||
            (v = bprun_opt_value(argc, argv, &i, "--np")) != NULL) {
            long n;
            errno = 0;
            n = (*v >= '0' && *v <= '9') ? strtol(v, &end, 10) : -1;
            if (n < 0 || errno != 0 || *end != '\0') {
                bprun_usage_exit("not a number of ranks", v);
            }
            if (n < 1 || n > BPI_BPRUN_MAX_SIZE) {
                bprun_usage_exit("the number of ranks must be in 1..4096, not", v);
            }
            job->size = (int)n;
        } else if ((v = bprun_opt_value(argc, argv, &i, "--bind")) != NULL) {
            if (strcmp(v, "core") == 0) {
                job->bind = BPRUN_BIND_CORE;
            } else if (strcmp(v, "block") == 0) {
                job->bind = BPRUN_BIND_BLOCK;
            } else if (strcmp(v, "none") == 0) {
                job->bind = BPRUN_BIND_NONE;
            } else {
                bprun_usage_exit("--bind accepts core, block or none, not", v);
            }
            bind_set = 1;
        } else if (strcmp(a, "--tag-output") == 0) {
            job->tag_output = 1;
        } else if ((v = bprun_opt_value(argc, argv, &i, "--timeout")) != NULL) {
            double t;
            errno = 0;
            t = (*v >= '0' && *v <= '9') ? strtod(v, &end) : -1.0;
            if (errno != 0 || *end != '\0' || !(t > 0.0) || t > 1e7) {
                bprun_usage_exit("--timeout takes a positive number of seconds, not", v);
            }
            job->timeout_s = t;
        } else if ((v = bprun_opt_value(argc, argv, &i, "--grace")) != NULL) {
            double t;
            errno = 0;
            t = (*v >= '0' && *v <= '9') ? strtod(v, &end) : -1.0;
            if (errno != 0 || *end != '\0' || !(t >= 0.0) || t > 3600.0) {
                bprun_usage_exit("--grace takes a number of seconds up to 3600, not", v);
            }
            job->grace_ms = (int64_t)(t * 1000.0 + 0.5);
        } else {
            bprun_usage_exit("unknown option", a);
        }
    }
    if (job->size == 0) {
        bprun_usage_exit("missing -n N", NULL);
    }
    if (i >= argc) {
        bprun_usage_exit("no program to run", NULL);
    }
    job->argv = &argv[i];

    if (sched_getaffinity(0, sizeof(job->cpus), &job->cpus) != 0) {
        bprun_err("sched_getaffinity: %s; not binding", strerror(errno));
        CPU_ZERO(&job->cpus);
    }
    job->ncpus = 0;
    for (i = 0; i < CPU_SETSIZE; i++) {
        if (CPU_ISSET(i, &job->cpus)) {
            job->cpu_list[job->ncpus++] = i;
        }
    }
    if (!bind_set) {
        job->bind = BPRUN_BIND_CORE;
    }
    if (job->ncpus == 0) {
        job->bind = BPRUN_BIND_NONE;
    }
}

/*
 * Find prog as execvp would, before anything is started: a name with a slash is used as it
 * is, else each PATH entry is tried (an empty entry is the current directory).
 */
static int bprun_prog_check(const char *prog)
{
    const char *path = getenv("PATH");
    const char *p;
    int err = ENOENT;
    struct stat st;
    char cand[PATH_MAX];

    if (prog[0] == '\0') {
        bprun_err("'': command not found");
        return BPRUN_EXIT_NOTFOUND;
    }
    if (strchr(prog, '/') != NULL) {
        if (stat(prog, &st) != 0) {
            bprun_err("%s: %s", prog, strerror(errno));
            return BPRUN_EXIT_NOTFOUND;
        }
        if (S_ISDIR(st.st_mode)) {
            bprun_err("%s: %s", prog, strerror(EISDIR));
            return BPRUN_EXIT_NOTFOUND;
        }
        if (access(prog, X_OK) != 0) {
            bprun_err("%s: %s", prog, strerror(errno));
            return BPRUN_EXIT_NOTFOUND;
        }
        return 0;
    }
    if (path == NULL) {
        path = "/bin:/usr/bin";
    }
    for (p = path;; p++) {
        const char *colon = strchrnul(p, ':');
        size_t dlen = (size_t)(colon - p);
        int n;

        if (dlen == 0) {
            n = snprintf(cand, sizeof(cand), "%s", prog);
        } else {
            n = snprintf(cand, sizeof(cand), "%.*s/%s", (int)dlen, p, prog);
        }
        if (n > 0 && (size_t)n < sizeof(cand) && stat(cand, &st) == 0 && !S_ISDIR(st.st_mode)) {
            if (access(cand, X_OK) == 0) {
                return 0;
            }
            err = EACCES;
        }
        if (*colon == '\0') {
            break;
        }
        p = colon;
    }
    if (err == ENOENT) {
        bprun_err("%s: command not found", prog);
    } else {
        bprun_err("%s: %s", prog, strerror(err));
    }
    return BPRUN_EXIT_NOTFOUND;
}

static uint64_t bprun_jobkey_new(void)
{
    struct timespec ts;
    uint64_t key = 0;

    if (getrandom(&key, sizeof(key), GRND_NONBLOCK) != (ssize_t)sizeof(key) || key == 0) {
        clock_gettime(CLOCK_REALTIME, &ts);
        key = ((uint64_t)getpid() << 40) ^ ((uint64_t)ts.tv_sec << 20) ^ (uint64_t)ts.tv_nsec;
        key = (key ^ (key >> 31)) * 0x94d049bb133111ebull;
        key ^= key >> 29;
    }
    return key != 0 ? key : 1;
}

/* --- signals to ranks -------------------------------------------------------------------- */

static void bprun_signal_all(bprun_job_t *job, int sig)
{
    int r;

    /* Only ranks not reaped yet: their pids cannot have been reused. */
    for (r = 0; r < job->started; r++) {
        if (job->ranks[r].alive) {
            (void)kill(job->ranks[r].pid, sig);
        }
    }
}

/* The first failure sets the exit code; later ones only follow. */
static void bprun_stop(bprun_job_t *job, int exit_code)
{
    if (job->exit_code < 0) {
        job->exit_code = exit_code;
    }
    if (job->stopping) {
        return;
    }
    job->stopping = 1;
    bprun_signal_all(job, SIGTERM);
    job->kill_at_ms = bprun_now_ms() + job->grace_ms;
}

static void bprun_kill_now(bprun_job_t *job)
{
    if (job->killed) {
        return;
    }
    job->stopping = 1;
    job->killed = 1;
    bprun_signal_all(job, SIGKILL);
    job->giveup_at_ms = bprun_now_ms() + BPRUN_REAP_GRACE_MS;
}

/* --- starting ---------------------------------------------------------------------------- */

static void bprun_child_exec(bprun_job_t *job, int r, int sock, const int *out_w, pid_t bprun)
{
    char val[32];
    int fd;

    /* Die with bprun. If bprun died before this line, the signal will never come: the
     * parent is then no longer bprun, and the rank must not start. */
    if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0 || getppid() != bprun) {
        _exit(BPRUN_EXIT_NOTFOUND);
    }

    /* Back to what bprun itself was started with. */
    signal(SIGPIPE, SIG_DFL);
    sigprocmask(SIG_SETMASK, &job->orig_mask, NULL);

    /* Everything bprun opened is close-on-exec; only this rank's socket stays open. */
    if (fcntl(sock, F_SETFD, 0) != 0) {
        fprintf(stderr, "bprun: rank %d: fcntl(BPRUN_FD): %s\n", r, strerror(errno));
        _exit(BPRUN_EXIT_NOTFOUND);
    }
    if (r != 0) {
        fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
        if (fd >= 0) {
            dup2(fd, 0);
        }
    }
    if (out_w != NULL) {
        if (dup2(out_w[0], 1) < 0 || dup2(out_w[1], 2) < 0) {
            fprintf(stderr, "bprun: rank %d: dup2: %s\n", r, strerror(errno));
            _exit(BPRUN_EXIT_NOTFOUND);
        }
    }
    if (job->bind != BPRUN_BIND_NONE) {
        cpu_set_t set;
        int cpu = job->cpu_list[job->bind == BPRUN_BIND_CORE
                                    ? r % job->ncpus
                                    : (int)((int64_t)r * job->ncpus / job->size)];

        CPU_ZERO(&set);
        CPU_SET(cpu, &set);
        if (sched_setaffinity(0, sizeof(set), &set) != 0) {
            fprintf(stderr, "bprun: rank %d: sched_setaffinity(cpu %d): %s; not bound\n", r,
                    cpu, strerror(errno));
        }
    }

    snprintf(val, sizeof(val), "%d", r);
    setenv("BPRUN_RANK", val, 1);
    snprintf(val, sizeof(val), "%d", job->size);
    setenv("BPRUN_SIZE", val, 1);
    snprintf(val, sizeof(val), "%016" PRIx64, job->jobkey);
    setenv("BPRUN_JOBKEY", val, 1);
    snprintf(val, sizeof(val), "%d", sock);
    setenv("BPRUN_FD", val, 1);

    execvp(job->argv[0], job->argv);
    fprintf(stderr, "bprun: rank %d: exec %s: %s\n", r, job->argv[0], strerror(errno));
    _exit(BPRUN_EXIT_NOTFOUND);
}

static int bprun_rank_start(bprun_job_t *job, int r)
{
    bprun_rank_t *rk = &job->ranks[r];
    int sv[2];
    int pipes[2][2] = { { -1, -1 }, { -1, -1 } };
    int out_w[2];
    int s;
    pid_t pid, parent;

    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0) {
        bprun_err("socketpair for rank %d: %s", r, strerror(errno));
        return -1;
    }
    if (job->tag_output) {
        for (s = 0; s < 2; s++) {
            if (pipe2(pipes[s], O_CLOEXEC) != 0) {
                bprun_err("pipe for rank %d: %s", r, strerror(errno));
                goto err_close;
            }
            out_w[s] = pipes[s][1];
        }
    }
    fflush(stdout);
    fflush(stderr);
    parent = getpid();
    pid = fork();
    if (pid < 0) {
        bprun_err("fork for rank %d: %s", r, strerror(errno));
        goto err_close;
    }
    if (pid == 0) {
        bprun_child_exec(job, r, sv[1], job->tag_output ? out_w : NULL, parent);
    }
    close(sv[1]);
    (void)fcntl(sv[0], F_SETFL, fcntl(sv[0], F_GETFL) | O_NONBLOCK);
    rk->pid = pid;
    rk->alive = 1;
    rk->sock = sv[0];
    for (s = 0; s < 2; s++) {
        rk->streams[s].fd = -1;
        rk->streams[s].out_fd = 1 + s;
        if (job->tag_output) {
            close(pipes[s][1]);
            rk->streams[s].fd = pipes[s][0];
        }
    }
    job->nalive++;
    return 0;

err_close:
    for (s = 0; s < 2; s++) {
        if (pipes[s][0] >= 0) {
            close(pipes[s][0]);
            close(pipes[s][1]);
        }
    }
    close(sv[0]);
    close(sv[1]);
    return -1;
}

/* --- allgather rounds -------------------------------------------------------------------- */

static void bprun_payload_release(bprun_job_t *job)
{
    if (--job->payload_refs == 0) {
        free(job->payload);
        job->payload = NULL;
    }
}

static void bprun_req_reset(bprun_rank_t *rk)
{
    free(rk->body);
    rk->body = NULL;
    rk->req_got = 0;
    rk->body_got = 0;
    rk->bad = 0;
    rk->ready = 0;
}

static void bprun_reply_set(bprun_rank_t *rk, uint32_t status, uint32_t len, size_t body_len)
{
    rk->rep.op = status;
    rk->rep.len = len;
    rk->rep_off = 0;
    rk->rep_body_len = body_len;
    rk->rep_pending = 1;
}

static void bprun_sock_close(bprun_job_t *job, bprun_rank_t *rk)
{
    if (rk->sock < 0) {
        return;
    }
    close(rk->sock);
    rk->sock = -1;
    if (rk->ready) {
        job->nready--;
    }
    bprun_req_reset(rk);
    if (rk->rep_pending) {
        rk->rep_pending = 0;
        if (rk->rep_body_len > 0) {
            bprun_payload_release(job);
        }
    }
    job->broken = 1;
}

/* Answer what can be answered: a whole round, or anyone waiting once the job is broken. */
static void bprun_rounds_serve(bprun_job_t *job)
{
    uint32_t status = BPI_BPRUN_STATUS_OK;
    uint32_t len;
    size_t i;
    int r;

    if (job->nready == 0) {
        return;
    }
    if (job->broken) {
        for (r = 0; r < job->started; r++) {
            bprun_rank_t *rk = &job->ranks[r];
            if (rk->ready) {
                bprun_req_reset(rk);
                job->nready--;
                bprun_reply_set(rk, BPI_BPRUN_STATUS_PEER, 0, 0);
            }
        }
        return;
    }
    if (job->nready < job->size) {
        return;
    }

    len = job->ranks[0].req.len;
    for (r = 0; r < job->size && status == BPI_BPRUN_STATUS_OK; r++) {
        if (job->ranks[r].bad != 0) {
            status = job->ranks[r].bad;
        }
    }
    for (r = 0; r < job->size && status == BPI_BPRUN_STATUS_OK; r++) {
        if (job->ranks[r].req.len != len) {
            status = BPI_BPRUN_STATUS_LEN;
        }
    }
    /* Every reply of the previous round has been written: no rank is read before it is. */
    if (status == BPI_BPRUN_STATUS_OK && len > 0) {
        job->payload = malloc((size_t)(unsigned)job->size * len);
        if (job->payload == NULL) {
            status = BPI_BPRUN_STATUS_NOMEM;
        } else {
            for (r = 0; r < job->size; r++) {
                i = (size_t)r * len;
                memcpy(job->payload + i, job->ranks[r].body, len);
            }
            job->payload_refs = job->size;
        }
    }
    for (r = 0; r < job->size; r++) {
        bprun_rank_t *rk = &job->ranks[r];
        bprun_req_reset(rk);
        if (status == BPI_BPRUN_STATUS_OK) {
            bprun_reply_set(rk, status, len, (size_t)job->size * len);
        } else {
            bprun_reply_set(rk, status, 0, 0);
        }
    }
    job->nready = 0;
}

/* Read what the rank has sent of its request. */
static void bprun_sock_read(bprun_job_t *job, bprun_rank_t *rk)
{
    static unsigned char drop[65536];

    while (!rk->ready) {
        ssize_t n;

        if (rk->req_got < sizeof(rk->req)) {
            n = recv(rk->sock, (char *)&rk->req + rk->req_got, sizeof(rk->req) - rk->req_got,
                     0);
        } else if (rk->body != NULL) {
            n = recv(rk->sock, rk->body + rk->body_got, rk->req.len - rk->body_got, 0);
        } else {
            size_t want = rk->req.len - rk->body_got;
            n = recv(rk->sock, drop, want < sizeof(drop) ? want : sizeof(drop), 0);
        }
        if (n < 0) {
            if (errno == EINTR) {
                continue;
            }
            if (errno != EAGAIN && errno != EWOULDBLOCK) {
                bprun_sock_close(job, rk);
            }
            return;
        }
        if (n == 0) {
            bprun_sock_close(job, rk);
            return;
        }
        if (rk->req_got < sizeof(rk->req)) {
            rk->req_got += (size_t)n;
            if (rk->req_got < sizeof(rk->req)) {
                continue;
            }
            /* A whole header: validate it before reading len bytes for it. */
            if (rk->req.op != BPI_BPRUN_OP_ALLGATHER) {
                rk->bad = BPI_BPRUN_STATUS_OP;
            } else if (rk->req.len > BPI_BPRUN_MAX_LEN) {
                rk->bad = BPI_BPRUN_STATUS_TOOBIG;
            } else if (rk->req.len > 0) {
                rk->body = malloc(rk->req.len);
                if (rk->body == NULL) {
                    rk->bad = BPI_BPRUN_STATUS_NOMEM;
                }
            }
        } else {
            rk->body_got += (size_t)n;
        }
        if (rk->body_got == rk->req.len) {
            rk->ready = 1;
            job->nready++;
        }
    }
}

/* Write what the socket takes of the pending reply. */
static void bprun_sock_write(bprun_job_t *job, bprun_rank_t *rk)
{
    size_t total = sizeof(rk->rep) + rk->rep_body_len;

    while (rk->rep_off < total) {
        struct iovec iov[2];
        struct msghdr mh = { .msg_iov = iov };
        ssize_t n;

        if (rk->rep_off < sizeof(rk->rep)) {
            iov[0].iov_base = (char *)&rk->rep + rk->rep_off;
            iov[0].iov_len = sizeof(rk->rep) - rk->rep_off;
            iov[1].iov_base = job->payload;
            iov[1].iov_len = rk->rep_body_len;
            mh.msg_iovlen = rk->rep_body_len > 0 ? 2 : 1;
        } else {
            size_t off = rk->rep_off - sizeof(rk->rep);
            iov[0].iov_base = job->payload + off;
            iov[0].iov_len = rk->rep_body_len - off;
            mh.msg_iovlen = 1;
        }
        n = sendmsg(rk->sock, &mh, MSG_NOSIGNAL | MSG_DONTWAIT);
        if (n < 0) {
            if (errno == EINTR) {
                continue;
            }
            if (errno != EAGAIN && errno != EWOULDBLOCK) {
                bprun_sock_close(job, rk);
            }
            return;
        }
        rk->rep_off += (size_t)n;
    }
    rk->rep_pending = 0;
    if (rk->rep_body_len > 0) {
        bprun_payload_release(job);
    }
}

/* --- --tag-output ------------------------------------------------------------------------ */

static void bprun_write_all(int fd, const struct iovec *iov_in, int iovcnt)
{
    struct iovec iov[2];
    int i = 0;

    memcpy(iov, iov_in, (size_t)iovcnt * sizeof(*iov));
    while (i < iovcnt) {
        ssize_t n = writev(fd, iov + i, iovcnt - i);
        if (n < 0) {
            if (errno == EINTR) {
                continue;
            }
            if (errno == EAGAIN || errno == EWOULDBLOCK) {
                struct pollfd pfd = { .fd = fd, .events = POLLOUT };
                if (poll(&pfd, 1, 1000) > 0) {
                    continue;
                }
            }
            return; /* our own output is gone: drop the rank's output */
        }
        while (i < iovcnt && (size_t)n >= iov[i].iov_len) {
            n -= (ssize_t)iov[i].iov_len;
            i++;
        }
        if (i < iovcnt) {
            iov[i].iov_base = (char *)iov[i].iov_base + n;
            iov[i].iov_len -= (size_t)n;
        }
    }
}

static void bprun_line_emit(int r, int fd, const char *line, size_t len, int add_newline)
{
    char text[BPRUN_LINE_MAX + 32];
    struct iovec iov;
    int n = snprintf(text, 32, "[%d] ", r);

    memcpy(text + n, line, len);
    if (add_newline) {
        text[n + len++] = '\n';
    }
    iov.iov_base = text;
    iov.iov_len = (size_t)n + len;
    bprun_write_all(fd, &iov, 1);
}

/* Emit the whole lines in the buffer; at_eof also flushes a partial one. */
static void bprun_stream_flush(int r, bprun_stream_t *st, int at_eof)
{
    size_t start = 0;
    char *nl;

    while (start < st->used &&
           (nl = memchr(st->buf + start, '\n', st->used - start)) != NULL) {
        size_t end = (size_t)(nl - st->buf) + 1;
        bprun_line_emit(r, st->out_fd, st->buf + start, end - start, 0);
        start = end;
    }
    if (start < st->used && (at_eof || (start == 0 && st->used == BPRUN_LINE_MAX))) {
        bprun_line_emit(r, st->out_fd, st->buf + start, st->used - start, 1);
        start = st->used;
    }
    memmove(st->buf, st->buf + start, st->used - start);
    st->used -= start;
}

static void bprun_stream_close(int r, bprun_stream_t *st)
{
    if (st->fd < 0) {
        return;
    }
    bprun_stream_flush(r, st, 1);
    close(st->fd);
    st->fd = -1;
    free(st->buf);
    st->buf = NULL;
    st->used = 0;
}

static void bprun_stream_read(int r, bprun_stream_t *st)
{
    ssize_t n;

    if (st->buf == NULL) {
        st->buf = malloc(BPRUN_LINE_MAX);
        if (st->buf == NULL) {
            bprun_err("out of memory relaying the output of rank %d", r);
            bprun_stream_close(r, st);
            return;
        }
    }
    do {
        n = read(st->fd, st->buf + st->used, BPRUN_LINE_MAX - st->used);
    } while (n < 0 && errno == EINTR);
    if (n <= 0) {
        if (n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK)) {
            bprun_stream_close(r, st);
        }
        return;
    }
    st->used += (size_t)n;
    bprun_stream_flush(r, st, 0);
}

/* --- the end of ranks -------------------------------------------------------------------- */

static void bprun_reap(bprun_job_t *job)
{
    for (;;) {
        int wstatus;
        pid_t pid = waitpid(-1, &wstatus, WNOHANG);
        bprun_rank_t *rk = NULL;
        int r;

        if (pid < 0 && errno == EINTR) {
            continue;
        }
        if (pid <= 0) {
            return;
        }
        for (r = 0; r < job->started; r++) {
            if (job->ranks[r].alive && job->ranks[r].pid == pid) {
                rk = &job->ranks[r];
                break;
            }
        }
        if (rk == NULL) {
            continue; /* not ours (inherited from whoever exec'ed bprun) */
        }
        rk->alive = 0;
        job->nalive--;
        /* Its connection is useless now; whoever waits in a round is told at once. */
        bprun_sock_close(job, rk);

        if (WIFEXITED(wstatus) && WEXITSTATUS(wstatus) == 0) {
            continue;
        }
        if (job->stopping || job->exit_code >= 0) {
            /* Not the first failure: only follow. */
            bprun_stop(job, 1);
            continue;
        }
        if (WIFEXITED(wstatus)) {
            bprun_err("rank %d (pid %ld) on host %s exited with status %d; killing the other "
                      "ranks", r, (long)pid, job->host, WEXITSTATUS(wstatus));
            bprun_stop(job, WEXITSTATUS(wstatus));
        } else {
            int sig = WTERMSIG(wstatus);
            bprun_err("rank %d (pid %ld) on host %s killed by signal %d (%s); killing the "
                      "other ranks", r, (long)pid, job->host, sig, strsignal(sig));
            bprun_stop(job, 128 + sig);
        }
    }
}

static void bprun_signals_read(bprun_job_t *job)
{
    struct signalfd_siginfo si;

    for (;;) {
        ssize_t n = read(job->sigfd, &si, sizeof(si));
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n != (ssize_t)sizeof(si)) {
            return;
        }
        if (si.ssi_signo == SIGCHLD) {
            bprun_reap(job);
            continue;
        }
        /* SIGINT or SIGTERM. */
        if (job->exit_code < 0) {
            job->exit_code = 128 + (int)si.ssi_signo;
            bprun_err("got signal %u (%s); forwarding it to the ranks", si.ssi_signo,
                      strsignal((int)si.ssi_signo));
            bprun_signal_all(job, (int)si.ssi_signo);
        } else if (!job->killed) {
            bprun_err("got signal %u (%s) again; killing the ranks", si.ssi_signo,
                      strsignal((int)si.ssi_signo));
            bprun_kill_now(job);
        }
    }
}

/* Leftover shared memory of this job: /dev/shm/bp-<jobkey>-*, from ranks killed early. */
static void bprun_shm_cleanup(const bprun_job_t *job)
{
    char prefix[32];
    struct dirent *de;
    DIR *dir;
    size_t plen;

    plen = (size_t)snprintf(prefix, sizeof(prefix), "bp-%016" PRIx64, job->jobkey);
    dir = opendir("/dev/shm");
    if (dir == NULL) {
        return;
    }
    while ((de = readdir(dir)) != NULL) {
        if (strncasecmp(de->d_name, prefix, plen) == 0) {
            (void)unlinkat(dirfd(dir), de->d_name, 0);
        }
    }
    closedir(dir);
}

static int bprun_streams_open(const bprun_job_t *job)
{
    int r, s;

    for (r = 0; r < job->started; r++) {
        for (s = 0; s < 2; s++) {
            if (job->ranks[r].streams[s].fd >= 0) {
                return 1;
            }
        }
    }
    return 0;
}

/* --- the loop ---------------------------------------------------------------------------- */

static int bprun_poll_timeout(const bprun_job_t *job, int64_t now)
{
    int64_t next = INT64_MAX;

    if (job->deadline_ms > 0 && !job->stopping) {
        next = job->deadline_ms;
    }
    if (job->stopping && !job->killed && job->nalive > 0 && job->kill_at_ms < next) {
        next = job->kill_at_ms;
    }
    if (job->killed && job->nalive > 0 && job->giveup_at_ms < next) {
        next = job->giveup_at_ms;
    }
    if (job->nalive == 0 && job->drain_until_ms < next) {
        next = job->drain_until_ms;
    }
    if (next == INT64_MAX) {
        return -1;
    }
    return next <= now ? 0 : (int)(next - now < INT32_MAX ? next - now : INT32_MAX);
}

static void bprun_timers_check(bprun_job_t *job, int64_t now)
{
    if (job->deadline_ms > 0 && !job->stopping && now >= job->deadline_ms) {
        bprun_err("timeout: the job did not end within %g seconds; killing the ranks",
                  job->timeout_s);
        bprun_stop(job, BPRUN_EXIT_TIMEOUT);
    }
    if (job->stopping && !job->killed && job->nalive > 0 && now >= job->kill_at_ms) {
        bprun_kill_now(job);
    }
    if (job->killed && job->nalive > 0 && now >= job->giveup_at_ms) {
        bprun_err("%d rank(s) still alive %d ms after SIGKILL; giving up on them", job->nalive,
                  BPRUN_REAP_GRACE_MS);
        job->gave_up = 1;
    }
}

static int bprun_loop(bprun_job_t *job)
{
    struct pollfd *pfds;
    int *owner; /* index into ranks * 3 + kind (0 sock, 1 stdout, 2 stderr); -1 signalfd */
    int drain_armed = 0;

    pfds = calloc((size_t)job->started * 3 + 1, sizeof(*pfds));
    owner = calloc((size_t)job->started * 3 + 1, sizeof(*owner));
    if (pfds == NULL || owner == NULL) {
        bprun_err("out of memory");
        free(pfds);
        free(owner);
        bprun_kill_now(job);
        return -1;
    }

    for (;;) {
        int64_t now = bprun_now_ms();
        nfds_t n = 0;
        int r, s, rc;
        nfds_t i;

        bprun_rounds_serve(job);
        bprun_timers_check(job, now);
        if (job->nalive == 0 || job->gave_up) {
            if (!drain_armed) {
                drain_armed = 1;
                job->drain_until_ms = now + BPRUN_DRAIN_GRACE_MS;
            }
            if (!bprun_streams_open(job) || now >= job->drain_until_ms || job->gave_up) {
                break;
            }
        }

        pfds[n].fd = job->sigfd;
        pfds[n].events = POLLIN;
        owner[n++] = -1;
        for (r = 0; r < job->started; r++) {
            bprun_rank_t *rk = &job->ranks[r];
            if (rk->sock >= 0) {
                short ev = 0;
                if (rk->rep_pending) {
                    ev = POLLOUT;
                } else if (!rk->ready) {
                    ev = POLLIN;
                }
                /* ev == 0: still polled, so that a hang-up is seen. */
                pfds[n].fd = rk->sock;
                pfds[n].events = ev;
                owner[n++] = r * 3;
            }
            for (s = 0; s < 2; s++) {
                if (rk->streams[s].fd >= 0) {
                    pfds[n].fd = rk->streams[s].fd;
                    pfds[n].events = POLLIN;
                    owner[n++] = r * 3 + 1 + s;
                }
            }
        }

        rc = poll(pfds, n, bprun_poll_timeout(job, now));
        if (rc < 0) {
            if (errno == EINTR) {
                continue;
            }
            bprun_err("poll: %s", strerror(errno));
            bprun_kill_now(job);
            continue;
        }
        for (i = 0; i < n; i++) {
            short rev = pfds[i].revents;
            bprun_rank_t *rk;

            if (rev == 0) {
                continue;
            }
            if (owner[i] < 0) {
                bprun_signals_read(job);
                continue;
            }
            r = owner[i] / 3;
            s = owner[i] % 3;
            rk = &job->ranks[r];
            if (s > 0) {
                if (rk->streams[s - 1].fd >= 0) {
                    bprun_stream_read(r, &rk->streams[s - 1]);
                }
                continue;
            }
            if (rk->sock < 0) {
                continue; /* closed by an earlier entry of this pass (a reap) */
            }
            if (rk->rep_pending && (rev & (POLLOUT | POLLERR | POLLHUP))) {
                bprun_sock_write(job, rk);
            } else if (!rk->ready && (rev & (POLLIN | POLLERR | POLLHUP))) {
                bprun_sock_read(job, rk);
            } else if (rev & (POLLERR | POLLHUP)) {
                bprun_sock_close(job, rk);
            }
        }
    }
    free(pfds);
    free(owner);
    return 0;
}

/* With more ranks than CPUs: glibc.pthread.rseq=0 into the ranks' GLIBC_TUNABLES (see the
 * top), unless the user's GLIBC_TUNABLES names that tunable. */
static void bprun_rseq_env(const bprun_job_t *job)
{
    const char *old = getenv("GLIBC_TUNABLES");
    char *val;

    if (job->ncpus == 0 || job->size <= job->ncpus ||
        (old != NULL && strstr(old, "glibc.pthread.rseq") != NULL)) {
        return;
    }
    if (old == NULL || old[0] == '\0') {
        setenv("GLIBC_TUNABLES", "glibc.pthread.rseq=0", 1);
        return;
    }
    if (asprintf(&val, "%s:glibc.pthread.rseq=0", old) < 0) {
        bprun_err("out of memory for GLIBC_TUNABLES: rseq stays on");
        return;
    }
    setenv("GLIBC_TUNABLES", val, 1);
    free(val);
}

/* fuzz/fuzz_bprun.c includes this file to drive the server side with another main. */
#ifndef BPRUN_MAIN
#define BPRUN_MAIN main
#endif

int BPRUN_MAIN(int argc, char **argv)
{
    bprun_job_t job = { .exit_code = -1, .sigfd = -1, .grace_ms = BPRUN_KILL_GRACE_MS };
    sigset_t mask;
    int r, s, rc;

    bprun_args_parse(&job, argc, argv);
    rc = bprun_prog_check(job.argv[0]);
    if (rc != 0) {
        return rc;
    }
    bprun_rseq_env(&job);
    job.jobkey = bprun_jobkey_new();
    if (gethostname(job.host, sizeof(job.host) - 1) != 0) {
        snprintf(job.host, sizeof(job.host), "?");
    }
    job.ranks = calloc((size_t)job.size, sizeof(*job.ranks));
    if (job.ranks == NULL) {
        bprun_err("out of memory for %d ranks", job.size);
        return 1;
    }

    /* Signals arrive through the poll loop; the children get the original mask back. */
    sigemptyset(&mask);
    sigaddset(&mask, SIGCHLD);
    sigaddset(&mask, SIGINT);
    sigaddset(&mask, SIGTERM);
    if (sigprocmask(SIG_BLOCK, &mask, &job.orig_mask) != 0) {
        bprun_err("sigprocmask: %s", strerror(errno));
        return 1;
    }
    job.sigfd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
    if (job.sigfd < 0) {
        bprun_err("signalfd: %s", strerror(errno));
        return 1;
    }
    signal(SIGPIPE, SIG_IGN);

    for (r = 0; r < job.size; r++) {
        if (bprun_rank_start(&job, r) != 0) {
            /* Those already started can never complete a round: stop them. */
            job.broken = 1;
            bprun_stop(&job, 1);
            break;
        }
        job.started++;
    }
    if (job.timeout_s > 0) {
        job.deadline_ms = bprun_now_ms() + (int64_t)(job.timeout_s * 1000.0 + 0.999);
    }

    bprun_loop(&job);

    /* Whatever is still alive here was given up on; reap what can be reaped without waiting. */
    bprun_reap(&job);
    for (r = 0; r < job.started; r++) {
        for (s = 0; s < 2; s++) {
            bprun_stream_close(r, &job.ranks[r].streams[s]);
        }
        if (job.ranks[r].sock >= 0) {
            close(job.ranks[r].sock);
            job.ranks[r].sock = -1;
        }
        bprun_req_reset(&job.ranks[r]);
    }
    bprun_shm_cleanup(&job);
    free(job.payload);
    free(job.ranks);
    close(job.sigfd);
    if (job.exit_code < 0) {
        job.exit_code = job.nalive > 0 ? 1 : 0;
    }
    return job.exit_code;
}
