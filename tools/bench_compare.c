/*
 * bench_compare.c - `bp-bench compare [lat|bw|bibw|mr|all]`: one invocation runs, on the
 * same two CPUs, the physical baseline (bp-bench base), bypass over shm (bprun -n 2), the
 * kernel baselines (bp-bench --backend tcp|tcp-spin|unix|unix-spin), Open MPI (its default
 * path, and its TCP BTL: --mca pml ob1 --mca btl tcp,self) and MPICH (as packaged), RUNS
 * times each, and prints one table per benchmark: median, spread, ratio to the baseline and
 * to the best peer (the best MPI library). It writes into the results folder:
 *
 *   <bench>.txt   the table             <bench>.csv  median, min, max, spread and every run
 *   <bench>.dat   gnuplot's data        <bench>.png  the plot (when gnuplot is installed)
 *   raw/<bench>-<config>-<run>.csv|.log  each run's own output and stderr
 *
 * Runs are interleaved (run 1 of every configuration, then run 2...), so a machine that
 * drifts during the comparison drifts under all of them alike. Every run is a child in its
 * own process group, with the two CPUs as its affinity mask, killed after --timeout seconds.
 * A peer that is not installed is skipped with one line. The launchers can be renamed with
 * BPBENCH_MPIRUN_OPENMPI and BPBENCH_MPIEXEC_MPICH (a name that does not exist hides the
 * peer; the tests use that). Not BP_*: bp_init rejects unknown BP_ variables.
 * The collectives (barrier, bcast, allreduce: one `bp-bench coll` run each) are measured
 * where there are collectives: the MPI builds, and native bypass for the barrier.
 */
#define _GNU_SOURCE /* sched_setaffinity */
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "bench_compare.h"
#include "bench_suite.h"

enum { CMP_K_BASE, CMP_K_BYPASS, CMP_K_KERNEL, CMP_K_PEER };

enum {
    CMP_BASE,
    CMP_BYPASS,
    CMP_BYPASS_TCP,
    CMP_BYPASS_HOSTS,
    CMP_BYPASS_XDP,
    CMP_BYPASS_MPI,
    CMP_TCP,
    CMP_TCP_SPIN,
    CMP_UNIX,
    CMP_UNIX_SPIN,
    CMP_OPENMPI,
    CMP_OPENMPI_TCP,
    CMP_MPICH,
    CMP_NCFG
};

typedef struct cmp_cfg {
    const char *name;  /* for --skip, file names, CSV */
    const char *label; /* for the table and the plot */
    int kind;
} cmp_cfg_t;

static const cmp_cfg_t cmp_cfgs[CMP_NCFG] = {
    [CMP_BASE] = { "base", "baseline (hardware)", CMP_K_BASE },
    [CMP_BYPASS] = { "bypass", "bypass shm", CMP_K_BYPASS },
    [CMP_BYPASS_TCP] = { "bypass-tcp", "bypass tcp loopback", CMP_K_BYPASS },
    [CMP_BYPASS_HOSTS] = { "bypass-hosts", "bypass tcp, 2 emulated hosts", CMP_K_BYPASS },
    [CMP_BYPASS_XDP] = { "bypass-xdp", "bypass xdp, 2 emulated hosts", CMP_K_BYPASS },
    [CMP_BYPASS_MPI] = { "bypass-mpi", "bypass MPI layer (shm)", CMP_K_BYPASS },
    [CMP_TCP] = { "tcp", "kernel TCP loopback", CMP_K_KERNEL },
    [CMP_TCP_SPIN] = { "tcp-spin", "kernel TCP loopback, spin", CMP_K_KERNEL },
    [CMP_UNIX] = { "unix", "kernel UNIX socket", CMP_K_KERNEL },
    [CMP_UNIX_SPIN] = { "unix-spin", "kernel UNIX socket, spin", CMP_K_KERNEL },
    [CMP_OPENMPI] = { "openmpi", "Open MPI (default)", CMP_K_PEER },
    [CMP_OPENMPI_TCP] = { "openmpi-tcp", "Open MPI (btl tcp)", CMP_K_PEER },
    [CMP_MPICH] = { "mpich", "MPICH", CMP_K_PEER },
};

typedef struct cmp_bench {
    const char *name;
    const char *mode;  /* bp-bench's mode that measures it */
    const char *col;   /* the CSV column compared */
    const char *unit;
    const char *title;
    int lower_better;
    const char *sizes_full, *sizes_quick;
} cmp_bench_t;

static const cmp_bench_t cmp_benches[] = {
    { "lat", "lat", "latency_us", "us", "latency (us), lower is better", 1, "0:1M",
      "0,8,4K" },
    { "bw", "bw", "bandwidth_MBps", "MB/s", "bandwidth (MB/s, 1 MB = 1e6 B), higher is better",
      0, "1:4M", "8,64K" },
    { "bibw", "bibw", "bandwidth_MBps", "MB/s", "bidirectional bandwidth (MB/s), higher is "
      "better", 0, "1:4M", "8,64K" },
    { "mr", "mr", "messages_per_s", "msg/s", "message rate (messages/s, window 64), higher is "
      "better", 0, "1,8,64,512,4K,32K", "8" },
    { "barrier", "coll", "barrier_us", "us", "MPI_Barrier latency, 2 ranks (us), lower is "
      "better", 1, "8", "8" },
    { "bcast", "coll", "bcast_us", "us", "MPI_Bcast latency, 2 ranks (us), lower is better", 1,
      "8", "8" },
    { "allreduce", "coll", "allreduce_us", "us", "MPI_Allreduce latency, doubles, MPI_SUM, 2 "
      "ranks (us), lower is better", 1, "8", "8" },
};
#define CMP_NBENCH (sizeof(cmp_benches) / sizeof(cmp_benches[0]))

#define CMP_BASE_MEMCPY_MIN 1024 /* smaller memcpy sizes take too long to say little */
#define CMP_MAX_ARGS 48
#define CMP_PATH 4096

/* Everything one compare invocation knows. */
typedef struct cmp {
    const bench_opts_t *opts;
    int runs;
    uint64_t timeout;
    const char *out_dir;
    char self[CMP_PATH], bindir[CMP_PATH];
    int cpus[2];
    int skip[CMP_NCFG];      /* 1: left out (said why already) */
    char prog[CMP_NCFG][CMP_PATH]; /* what runs: bp-bench, bprun, the MPI launcher */
    char peer_bin[CMP_NCFG][CMP_PATH]; /* the MPI builds of bp-bench */
    int failed;              /* some configuration failed: exit 1 */
} cmp_t;

/* An argument vector under construction; strings are copied into it. */
typedef struct cmp_argv {
    char *v[CMP_MAX_ARGS + 1];
    int n;
} cmp_argv_t;

__attribute__((format(printf, 2, 3))) static void cmp_arg(cmp_argv_t *a, const char *fmt, ...)
{
    va_list ap;
    char *s = NULL;

    va_start(ap, fmt);
    if (a->n < CMP_MAX_ARGS && vasprintf(&s, fmt, ap) >= 0) {
        a->v[a->n++] = s;
        a->v[a->n] = NULL;
    }
    va_end(ap);
}

static void cmp_argv_free(cmp_argv_t *a)
{
    for (int k = 0; k < a->n; k++) {
        free(a->v[k]);
    }
    a->n = 0;
}

/* --- finding the programs ------------------------------------------------------------ */

/* name's path: as given if it has a slash, else the first executable one on PATH. */
static int cmp_which(const char *name, char *path, size_t cap)
{
    const char *env = getenv("PATH");
    char dirs[CMP_PATH];

    if (strchr(name, '/') != NULL) {
        snprintf(path, cap, "%s", name);
        return access(path, X_OK) == 0 ? 0 : -1;
    }
    snprintf(dirs, sizeof(dirs), "%s", env != NULL ? env : "/usr/bin:/bin");
    for (char *save = NULL, *d = strtok_r(dirs, ":", &save); d != NULL;
         d = strtok_r(NULL, ":", &save)) {
        if ((size_t)snprintf(path, cap, "%s/%s", d, name) < cap && access(path, X_OK) == 0) {
            return 0;
        }
    }
    return -1;
}

/* --- emulated hosts ------------------------------------------------------------------ */

/*
 * bypass's tcp transport between two emulated hosts: network namespaces joined by a bridge,
 * made here for the run and removed at exit (our own test hosts: no traffic leaves them).
 * Root only; rank r of the job runs in namespace <prefix>-r.
 */
static char cmp_hosts[32];  /* the namespaces' prefix, empty when none */
static char cmp_ip[256];     /* the ip(8) program */

static void cmp_hosts_down(void)
{
    char cmd[2048];

    if (cmp_hosts[0] == '\0') {
        return;
    }
    snprintf(cmd, sizeof(cmd),
             "%s netns del %s-0 2>/dev/null; %s netns del %s-1 2>/dev/null; "
             "%s link del %sbr 2>/dev/null",
             cmp_ip, cmp_hosts, cmp_ip, cmp_hosts, cmp_ip, cmp_hosts);
    if (system(cmd) != 0) {
        /* best effort: what is left is named after this process */
    }
    cmp_hosts[0] = '\0';
}

static const char *cmp_hosts_up(void)
{
    char cmd[4096];
    int net = (int)(getpid() % 250) + 1;

    if (geteuid() != 0) {
        return "needs root (network namespaces)";
    }
    if (cmp_which("ip", cmp_ip, sizeof(cmp_ip)) != 0 &&
        cmp_which("/usr/sbin/ip", cmp_ip, sizeof(cmp_ip)) != 0 &&
        cmp_which("/sbin/ip", cmp_ip, sizeof(cmp_ip)) != 0) {
        return "ip (iproute2) is not installed";
    }
    snprintf(cmp_hosts, sizeof(cmp_hosts), "bpc%d", (int)getpid());
    atexit(cmp_hosts_down);
    snprintf(cmd, sizeof(cmd),
             "set -e; ip=%s; p=%s; $ip link add ${p}br type bridge; $ip link set ${p}br up; "
             "for i in 0 1; do $ip netns add $p-$i; "
             "$ip link add ${p}v$i type veth peer name ${p}p$i; "
             "$ip link set ${p}p$i netns $p-$i; $ip link set ${p}v$i master ${p}br up; "
             "$ip -n $p-$i link set lo up; $ip -n $p-$i link set ${p}p$i name eth0; "
             "$ip -n $p-$i addr add 10.214.%d.$((i + 1))/24 dev eth0; "
             "$ip -n $p-$i link set eth0 up; done",
             cmp_ip, cmp_hosts, net);
    if (system(cmd) != 0) {
        cmp_hosts_down();
        return "could not create the network namespaces";
    }
    return NULL;
}

/* For each configuration: the program it needs, or why it is skipped (one line). */
static void cmp_find(cmp_t *c)
{
    static const struct {
        int cfg;
        const char *env, *launcher, *bin, *lib;
    } peers[] = {
        { CMP_OPENMPI, "BPBENCH_MPIRUN_OPENMPI", "mpirun.openmpi", "bp-bench-openmpi",
          "Open MPI" },
        { CMP_OPENMPI_TCP, "BPBENCH_MPIRUN_OPENMPI", "mpirun.openmpi", "bp-bench-openmpi",
          "Open MPI" },
        { CMP_MPICH, "BPBENCH_MPIEXEC_MPICH", "mpiexec.mpich", "bp-bench-mpich", "MPICH" },
    };

    for (int k = 0; k < CMP_NCFG; k++) {
        snprintf(c->prog[k], CMP_PATH, "%s", c->self);
    }
    for (int k = CMP_BYPASS; k <= CMP_BYPASS_MPI; k++) {
        if (!c->skip[k]
            && (size_t)snprintf(c->prog[k], CMP_PATH, "%s/bprun", c->bindir) < CMP_PATH
            && access(c->prog[k], X_OK) != 0) {
            fprintf(stderr, "compare: %s: skipped: no bprun beside bp-bench (%s)\n",
                    cmp_cfgs[k].name, c->prog[k]);
            c->skip[k] = 1;
        }
    }
    if (!c->skip[CMP_BYPASS_MPI]
        && ((size_t)snprintf(c->peer_bin[CMP_BYPASS_MPI], CMP_PATH, "%s/bp-bench-bpmpi",
                             c->bindir) >= CMP_PATH
            || access(c->peer_bin[CMP_BYPASS_MPI], X_OK) != 0)) {
        fprintf(stderr, "compare: %s: skipped: no bp-bench-bpmpi beside bp-bench (%s)\n",
                cmp_cfgs[CMP_BYPASS_MPI].name, c->peer_bin[CMP_BYPASS_MPI]);
        c->skip[CMP_BYPASS_MPI] = 1;
    }
    if (!c->skip[CMP_BYPASS_HOSTS] || !c->skip[CMP_BYPASS_XDP]) {
        const char *why = cmp_hosts_up();
        for (int k = CMP_BYPASS_HOSTS; k <= CMP_BYPASS_XDP && why != NULL; k++) {
            if (!c->skip[k]) {
                fprintf(stderr, "compare: %s: skipped: %s\n", cmp_cfgs[k].name, why);
                c->skip[k] = 1;
            }
        }
    }
    for (size_t p = 0; p < sizeof(peers) / sizeof(peers[0]); p++) {
        int k = peers[p].cfg;
        const char *launcher = getenv(peers[p].env);

        if (c->skip[k]) {
            continue;
        }
        if (launcher == NULL || launcher[0] == '\0') {
            launcher = peers[p].launcher;
        }
        if (cmp_which(launcher, c->prog[k], CMP_PATH) != 0) {
            fprintf(stderr, "compare: %s: skipped: %s is not installed (%s not found; "
                    "scripts/setup.sh --peers installs it)\n", cmp_cfgs[k].name,
                    peers[p].lib, launcher);
            c->skip[k] = 1;
            continue;
        }
        if ((size_t)snprintf(c->peer_bin[k], CMP_PATH, "%s/%s", c->bindir, peers[p].bin)
                >= CMP_PATH
            || access(c->peer_bin[k], X_OK) != 0) {
            fprintf(stderr, "compare: %s: skipped: %s was not built (the build found no "
                    "compiler wrapper for %s; install it, then re-run cmake)\n",
                    cmp_cfgs[k].name, c->peer_bin[k], peers[p].lib);
            c->skip[k] = 1;
        }
    }
}

/* --- running one configuration once --------------------------------------------------- */

static double cmp_now(void)
{
    return (double)bench_now_ns() / 1e9;
}

/*
 * Runs argv with stdout in out_path and stderr in err_path, pinned to the two CPUs (bprun
 * and the MPI launchers place their ranks inside that mask), in its own process group, for
 * at most c->timeout seconds. 0 if it exited 0; -1 otherwise, after a line saying how.
 */
static int cmp_spawn(const cmp_t *c, char *const argv[], const char *out_path,
                     const char *err_path, const char *what)
{
    double deadline = cmp_now() + (double)c->timeout;
    struct timespec tick = { 0, 20 * 1000 * 1000 }; /* 20 ms: cheap next to the runs */
    int wstatus, timed_out = 0;
    pid_t pid;

    fflush(NULL);
    pid = fork();
    if (pid < 0) {
        fprintf(stderr, "compare: %s: fork: %s\n", what, strerror(errno));
        return -1;
    }
    if (pid == 0) {
        int in = open("/dev/null", O_RDONLY);
        int out = open(out_path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        int err = open(err_path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        cpu_set_t set;

        if (in < 0 || out < 0 || err < 0 || dup2(in, 0) < 0 || dup2(out, 1) < 0
            || dup2(err, 2) < 0) {
            _exit(127);
        }
        setpgid(0, 0);
        CPU_ZERO(&set);
        CPU_SET(c->cpus[0], &set);
        CPU_SET(c->cpus[1], &set);
        if (sched_setaffinity(0, sizeof(set), &set) != 0) {
            fprintf(stderr, "compare: sched_setaffinity: %s\n", strerror(errno));
            _exit(127);
        }
        execv(argv[0], argv);
        fprintf(stderr, "compare: exec %s: %s\n", argv[0], strerror(errno));
        _exit(127);
    }
    setpgid(pid, pid); /* both sides set it: no race with the kill below */
    for (;;) {
        pid_t r = waitpid(pid, &wstatus, WNOHANG);

        if (r == pid) {
            break;
        }
        if (r < 0 && errno != EINTR) {
            fprintf(stderr, "compare: %s: waitpid: %s\n", what, strerror(errno));
            return -1;
        }
        if (!timed_out && cmp_now() > deadline) {
            timed_out = 1;
            kill(-pid, SIGTERM);
            deadline = cmp_now() + 5.0; /* then SIGKILL */
        } else if (timed_out && cmp_now() > deadline) {
            kill(-pid, SIGKILL);
            deadline = cmp_now() + 3600.0;
        }
        nanosleep(&tick, NULL);
    }
    kill(-pid, SIGKILL); /* whatever the launcher left behind in its group */
    if (timed_out) {
        fprintf(stderr, "compare: %s: killed after %llu s (--timeout); its stderr: %s\n", what,
                (unsigned long long)c->timeout, err_path);
        return -1;
    }
    if (!WIFEXITED(wstatus) || WEXITSTATUS(wstatus) != 0) {
        fprintf(stderr, "compare: %s: failed (%s %d); its stderr: %s\n", what,
                WIFEXITED(wstatus) ? "exit status" : "signal",
                WIFEXITED(wstatus) ? WEXITSTATUS(wstatus) : WTERMSIG(wstatus), err_path);
        return -1;
    }
    return 0;
}

/* Prints the last lines of a run's stderr, indented, so a failure explains itself. */
static void cmp_tail(const char *path)
{
    char lines[6][256];
    int n = 0;
    FILE *f = fopen(path, "r");

    if (f == NULL) {
        return;
    }
    while (fgets(lines[n % 6], sizeof(lines[0]), f) != NULL) {
        n++;
    }
    fclose(f);
    for (int k = (n > 6 ? n - 6 : 0); k < n; k++) {
        fprintf(stderr, "    | %s", lines[k % 6]);
    }
}

/* The sizes as a --sizes list. */
static void cmp_sizes_str(const size_t *sizes, size_t n, size_t min, char *buf, size_t cap)
{
    size_t len = 0;

    buf[0] = '\0';
    for (size_t k = 0; k < n && len < cap; k++) {
        if (sizes[k] >= min) {
            len += (size_t)snprintf(buf + len, cap - len, "%s%zu", len > 0 ? "," : "",
                                    sizes[k]);
        }
    }
}

/* The command of configuration k for benchmark b. */
static void cmp_command(const cmp_t *c, int k, const cmp_bench_t *b, const char *sizes,
                        cmp_argv_t *a)
{
    const bench_opts_t *o = c->opts;

    a->n = 0;
    a->v[0] = NULL;
    switch (cmp_cfgs[k].kind) {
    case CMP_K_BASE:
        cmp_arg(a, "%s", c->self);
        cmp_arg(a, "base");
        cmp_arg(a, "--csv");
        cmp_arg(a, "--cpus");
        cmp_arg(a, "%d,%d", c->cpus[0], c->cpus[1]);
        if (sizes[0] != '\0') {
            cmp_arg(a, "--sizes");
            cmp_arg(a, "%s", sizes);
        }
        if (o->quick) {
            cmp_arg(a, "--iters");
            cmp_arg(a, "10000");
        }
        return;
    case CMP_K_BYPASS:
        if (k == CMP_BYPASS_HOSTS || k == CMP_BYPASS_XDP) {
            /* every peer through tcp (or xdp, with its rendezvous data on a tcp bulk lane
             * as by default) on the namespaces' eth0; rank r in host r */
            cmp_arg(a, "/usr/bin/env");
            cmp_arg(a, k == CMP_BYPASS_XDP ? "BP_TRANSPORTS=xdp,tcp" : "BP_TRANSPORTS=tcp");
            cmp_arg(a, "BP_TCP_IF=eth0");
            cmp_arg(a, "BP_XDP_IFACE=eth0");
            cmp_arg(a, "%s", c->prog[k]);
            cmp_arg(a, "--timeout");
            cmp_arg(a, "%llu", (unsigned long long)c->timeout);
            cmp_arg(a, "-n");
            cmp_arg(a, "2");
            cmp_arg(a, "/bin/sh");
            cmp_arg(a, "-c");
            cmp_arg(a, "exec %s netns exec \"$0-$BPRUN_RANK\" \"$@\"", cmp_ip);
            cmp_arg(a, "%s", cmp_hosts);
            cmp_arg(a, "%s", c->self);
            break;
        }
        cmp_arg(a, "%s", c->prog[k]);
        cmp_arg(a, "--timeout");
        cmp_arg(a, "%llu", (unsigned long long)c->timeout);
        cmp_arg(a, "-n");
        cmp_arg(a, "2");
        cmp_arg(a, "%s", k == CMP_BYPASS_MPI ? c->peer_bin[k] : c->self);
        break;
    case CMP_K_KERNEL:
        cmp_arg(a, "%s", c->self);
        break;
    default:
        cmp_arg(a, "%s", c->prog[k]);
        if (k == CMP_MPICH) {
            cmp_arg(a, "-n");
            cmp_arg(a, "2");
        } else {
            if (geteuid() == 0) {
                cmp_arg(a, "--allow-run-as-root");
            }
            /* bp-bench pins each rank itself (--cpus), as for the other configurations. */
            cmp_arg(a, "--bind-to");
            cmp_arg(a, "none");
            if (k == CMP_OPENMPI_TCP) {
                cmp_arg(a, "--mca");
                cmp_arg(a, "pml");
                cmp_arg(a, "ob1");
                cmp_arg(a, "--mca");
                cmp_arg(a, "btl");
                cmp_arg(a, "tcp,self");
            }
            cmp_arg(a, "-np");
            cmp_arg(a, "2");
        }
        cmp_arg(a, "%s", c->peer_bin[k]);
        break;
    }
    cmp_arg(a, "%s", b->mode);
    if (cmp_cfgs[k].kind == CMP_K_KERNEL) {
        cmp_arg(a, "--backend");
        cmp_arg(a, "%s", cmp_cfgs[k].name);
    }
    if (k == CMP_BYPASS_TCP) {
        cmp_arg(a, "--transport");
        cmp_arg(a, "tcp");
    }
    if (cmp_cfgs[k].kind != CMP_K_BYPASS) {
        cmp_arg(a, "--cpus"); /* bprun pins bypass's ranks inside the mask already */
        cmp_arg(a, "%d,%d", c->cpus[0], c->cpus[1]);
    }
    cmp_arg(a, "--csv");
    cmp_arg(a, "--quiet");
    cmp_arg(a, "--sizes");
    cmp_arg(a, "%s", sizes);
    if (o->iters != 0 || o->quick) {
        cmp_arg(a, "--iters");
        cmp_arg(a, "%llu", (unsigned long long)(o->iters != 0 ? o->iters : 100));
    }
    if (o->warmup >= 0 || o->quick) {
        cmp_arg(a, "--warmup");
        cmp_arg(a, "%lld", (long long)(o->warmup >= 0 ? o->warmup : 10));
    }
}

/*
 * Reads a run's CSV into vals[size index] (NaN where a size is missing). base: lat takes the
 * cache-line ping-pong for every size, the others memcpy at the size. 0, or -1 if nothing
 * usable was found.
 */
static int cmp_parse(const char *path, int k, const cmp_bench_t *b, const size_t *sizes,
                     size_t nsizes, double *vals)
{
    char line[512];
    int col = -1, found = 0;
    FILE *f = fopen(path, "r");

    for (size_t s = 0; s < nsizes; s++) {
        vals[s] = NAN;
    }
    if (f == NULL) {
        return -1;
    }
    while (fgets(line, sizeof(line), f) != NULL) {
        char *fields[8], *save = NULL;
        int nf = 0;

        line[strcspn(line, "\r\n")] = '\0';
        for (char *t = strtok_r(line, ",", &save); t != NULL && nf < 8;
             t = strtok_r(NULL, ",", &save)) {
            fields[nf++] = t;
        }
        if (nf < 2) {
            continue;
        }
        if (col < 0) { /* the header */
            for (int i = 0; i < nf; i++) {
                if (strcmp(fields[i], k == CMP_BASE ? "value" : b->col) == 0) {
                    col = i;
                }
            }
            if (col < 0) {
                break;
            }
            continue;
        }
        if (col >= nf) {
            continue;
        }
        if (k == CMP_BASE) {
            double v = strtod(fields[2], NULL);

            if (strcmp(b->name, "lat") == 0 && strcmp(fields[0], "pingpong_us") == 0) {
                for (size_t s = 0; s < nsizes; s++) {
                    vals[s] = v;
                }
                found = 1;
            } else if (strcmp(b->name, "lat") != 0 && strcmp(fields[0], "memcpy_MBps") == 0) {
                size_t size = strtoull(fields[1], NULL, 10);

                for (size_t s = 0; s < nsizes; s++) {
                    if (sizes[s] == size) {
                        vals[s] = v;
                        found = 1;
                    }
                }
            }
            continue;
        }
        for (size_t s = 0; s < nsizes; s++) {
            if (sizes[s] == strtoull(fields[0], NULL, 10)) {
                vals[s] = strtod(fields[col], NULL);
                found = 1;
            }
        }
    }
    fclose(f);
    return found ? 0 : -1;
}

/* --- statistics, table, files --------------------------------------------------------- */

static int cmp_dbl_cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;

    return (x > y) - (x < y);
}

typedef struct cmp_stat {
    double median, min, max;
    int n; /* finite values */
} cmp_stat_t;

static cmp_stat_t cmp_stats(const double *v, int runs)
{
    double sorted[BENCH_MAX_RUNS];
    cmp_stat_t st = { NAN, NAN, NAN, 0 };

    for (int r = 0; r < runs; r++) {
        if (isfinite(v[r])) {
            sorted[st.n++] = v[r];
        }
    }
    if (st.n == 0) {
        return st;
    }
    qsort(sorted, (size_t)st.n, sizeof(double), cmp_dbl_cmp);
    st.min = sorted[0];
    st.max = sorted[st.n - 1];
    st.median = (st.n % 2) ? sorted[st.n / 2] : (sorted[st.n / 2 - 1] + sorted[st.n / 2]) / 2;
    return st;
}

/* printf to the terminal and to the table file. */
__attribute__((format(printf, 2, 3))) static void cmp_print(FILE *f, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    if (f != NULL) {
        va_start(ap, fmt);
        vfprintf(f, fmt, ap);
        va_end(ap);
    }
}

static FILE *cmp_fopen(const cmp_t *c, const char *bench, const char *ext, char *path)
{
    FILE *f;

    snprintf(path, CMP_PATH, "%s/%s.%s", c->out_dir, bench, ext);
    f = fopen(path, "w");
    if (f == NULL) {
        fprintf(stderr, "compare: cannot write %s: %s\n", path, strerror(errno));
    }
    return f;
}

/* vals[k][s][r]: configuration k, size s, run r. */
#define CMP_VAL(vals, nsizes, runs, k, s, r) ((vals)[((size_t)(k) * (nsizes) + (s)) * (runs) + (r)])

static void cmp_report(cmp_t *c, const cmp_bench_t *b, const size_t *sizes, size_t nsizes,
                       const double *vals)
{
    char path[CMP_PATH];
    FILE *txt = cmp_fopen(c, b->name, "txt", path);
    FILE *csv = cmp_fopen(c, b->name, "csv", path);
    FILE *dat = cmp_fopen(c, b->name, "dat", path);
    cmp_stat_t st[CMP_NCFG];
    int block = 0;

    cmp_print(txt, "\n== %s: %s\n", b->name, b->title);
    cmp_print(txt, "# median of %d run%s on cpus %d,%d; spread = (max - min) / median; "
              "x base: / the hardware baseline%s; x best peer: / the best MPI library\n",
              c->runs, c->runs == 1 ? "" : "s", c->cpus[0], c->cpus[1],
              strcmp(b->name, "lat") == 0    ? " (cache-line ping-pong)"
              : strcmp(b->name, "mr") == 0  ? " (none for a message rate)"
              : strcmp(b->mode, "coll") == 0 ? " (none for collectives)"
                                           : " (memcpy, 1 KiB and up)");
    cmp_print(txt, "%-10s %-27s %14s %8s %9s %12s\n", "# size", "configuration", b->unit,
              "spread", "x base", "x best peer");
    if (csv != NULL) {
        fprintf(csv, "benchmark,config,size,unit,median,min,max,spread_pct,runs,values\n");
    }

    for (size_t s = 0; s < nsizes; s++) {
        double best = NAN;
        int best_k = -1;

        for (int k = 0; k < CMP_NCFG; k++) {
            st[k] = cmp_stats(&CMP_VAL(vals, nsizes, c->runs, k, s, 0), c->runs);
            if (cmp_cfgs[k].kind == CMP_K_PEER && st[k].n > 0
                && (best_k < 0 || (b->lower_better ? st[k].median < best
                                                   : st[k].median > best))) {
                best = st[k].median;
                best_k = k;
            }
        }
        for (int k = 0; k < CMP_NCFG; k++) {
            char xbase[16] = "-", xpeer[16] = "-";

            if (st[k].n == 0) {
                continue;
            }
            if (st[CMP_BASE].n > 0 && st[CMP_BASE].median > 0) {
                snprintf(xbase, sizeof(xbase), "%.2f", st[k].median / st[CMP_BASE].median);
            }
            if (best_k >= 0 && best > 0) {
                snprintf(xpeer, sizeof(xpeer), "%.2f", st[k].median / best);
            }
            cmp_print(txt, "%-10zu %-27s %14.3f %7.1f%% %9s %12s%s\n", sizes[s],
                      cmp_cfgs[k].label, st[k].median,
                      st[k].median > 0 ? 100.0 * (st[k].max - st[k].min) / st[k].median : 0.0,
                      xbase, xpeer, k == best_k ? "  (best peer)" : "");
            if (csv != NULL) {
                fprintf(csv, "%s,%s,%zu,%s,%.4f,%.4f,%.4f,%.2f,%d,", b->name, cmp_cfgs[k].name,
                        sizes[s], b->unit, st[k].median, st[k].min, st[k].max,
                        st[k].median > 0 ? 100.0 * (st[k].max - st[k].min) / st[k].median
                                         : 0.0, st[k].n);
                for (int r = 0; r < c->runs; r++) {
                    fprintf(csv, "%s%.4f", r > 0 ? ";" : "",
                            CMP_VAL(vals, nsizes, c->runs, k, s, r));
                }
                fprintf(csv, "\n");
            }
        }
    }

    /* gnuplot data: one block per configuration (index i), "size median min max". */
    for (int k = 0; k < CMP_NCFG && dat != NULL; k++) {
        int any = 0;

        for (size_t s = 0; s < nsizes; s++) {
            cmp_stat_t one = cmp_stats(&CMP_VAL(vals, nsizes, c->runs, k, s, 0), c->runs);

            if (one.n == 0 || sizes[s] == 0) { /* no 0 on a log axis */
                continue;
            }
            if (!any) {
                fprintf(dat, "%s# %s\n", block > 0 ? "\n\n" : "", cmp_cfgs[k].label);
                any = 1;
            }
            fprintf(dat, "%zu %.4f %.4f %.4f\n", sizes[s], one.median, one.min, one.max);
        }
        block += any;
    }
    if (txt != NULL) {
        fclose(txt);
    }
    if (csv != NULL) {
        fclose(csv);
    }
    if (dat != NULL) {
        fclose(dat);
    }
    cmp_print(NULL, "# %s: %s/%s.txt, .csv, .dat\n", b->name, c->out_dir, b->name);
}

/* The plot: log-log, one line per configuration, min-max as error bars. */
static void cmp_plot(cmp_t *c, const cmp_bench_t *b)
{
    char gp[CMP_PATH], path[CMP_PATH], log[CMP_PATH], gnuplot[CMP_PATH], dat[CMP_PATH];
    FILE *f, *d;
    cmp_argv_t a = { .n = 0 };
    int nblocks = 0;
    char line[256], labels[CMP_NCFG][64];

    if (cmp_which("gnuplot", gnuplot, sizeof(gnuplot)) != 0) {
        fprintf(stderr, "compare: %s plot: skipped: gnuplot is not installed (scripts/setup.sh "
                "installs gnuplot-nox)\n", b->name);
        return;
    }
    snprintf(dat, sizeof(dat), "%s/%s.dat", c->out_dir, b->name);
    d = fopen(dat, "r");
    if (d == NULL) {
        return;
    }
    while (fgets(line, sizeof(line), d) != NULL && nblocks < CMP_NCFG) {
        if (line[0] == '#') {
            line[strcspn(line, "\n")] = '\0';
            if ((size_t)snprintf(labels[nblocks], sizeof(labels[0]), "%s", line + 2)
                < sizeof(labels[0])) {
                nblocks++;
            }
        }
    }
    fclose(d);
    if (nblocks == 0) {
        return;
    }
    f = cmp_fopen(c, b->name, "gp", gp);
    if (f == NULL) {
        return;
    }
    fprintf(f, "set terminal pngcairo size 1100,700 noenhanced\n");
    fprintf(f, "set output '%s/%s.png'\n", c->out_dir, b->name);
    fprintf(f, "set title 'bp-bench compare %s: %s, median of %d (bars: min-max)'\n", b->name,
            b->title, c->runs);
    fprintf(f, "set xlabel 'message size (bytes)'\nset ylabel '%s'\n", b->unit);
    fprintf(f, "set logscale xy 2\nset format x '%%.0s%%cB'\nset format y '%%g'\n");
    fprintf(f, "set logscale y 10\nset grid\nset key outside right\n");
    fprintf(f, "plot ");
    for (int i = 0; i < nblocks; i++) {
        fprintf(f, "%s'%s' index %d using 1:2:3:4 with yerrorlines title '%s'",
                i > 0 ? ", \\\n     " : "", dat, i, labels[i]);
    }
    fprintf(f, "\n");
    fclose(f);

    snprintf(path, sizeof(path), "%s/%s.png", c->out_dir, b->name);
    snprintf(log, sizeof(log), "%s/raw/%s-gnuplot.log", c->out_dir, b->name);
    cmp_arg(&a, "%s", gnuplot);
    cmp_arg(&a, "%s", gp);
    if (cmp_spawn(c, a.v, "/dev/null", log, "gnuplot") != 0) {
        cmp_tail(log);
    } else {
        printf("# %s: plot %s\n", b->name, path);
    }
    cmp_argv_free(&a);
}

/* --- the whole comparison ------------------------------------------------------------- */

/* Whether configuration k measures benchmark b: the collectives need collectives (the MPI
 * builds; native bypass has a barrier, over shm). */
static int cmp_applies(int k, const cmp_bench_t *b)
{
    if (strcmp(b->mode, "coll") != 0) {
        return 1;
    }
    if (k == CMP_BYPASS) {
        return strcmp(b->name, "barrier") == 0;
    }
    return k == CMP_BYPASS_MPI || cmp_cfgs[k].kind == CMP_K_PEER;
}

static int cmp_one_bench(cmp_t *c, const cmp_bench_t *b)
{
    const char *spec = c->opts->quick ? b->sizes_quick : b->sizes_full;
    size_t sizes[BENCH_MAX_SIZES], nsizes = c->opts->nsizes;
    char sizes_str[1024], base_sizes[1024];
    double *vals;
    int skip_base = c->skip[CMP_BASE] || strcmp(b->name, "mr") == 0
                    || strcmp(b->mode, "coll") == 0;

    if (nsizes > 0) {
        memcpy(sizes, c->opts->sizes, nsizes * sizeof(sizes[0]));
    } else if (bench_sizes_parse(spec, sizes, &nsizes) != 0) {
        return -1;
    }
    cmp_sizes_str(sizes, nsizes, 0, sizes_str, sizeof(sizes_str));
    cmp_sizes_str(sizes, nsizes, CMP_BASE_MEMCPY_MIN, base_sizes, sizeof(base_sizes));
    if (strcmp(b->name, "lat") == 0) {
        snprintf(base_sizes, sizeof(base_sizes), "4K"); /* lat uses base's ping-pong only */
    } else if (!skip_base && base_sizes[0] == '\0') {
        skip_base = 1;
    }
    if (strcmp(b->name, "mr") == 0 && !c->skip[CMP_BASE]) {
        fprintf(stderr, "compare: mr: no hardware baseline for a message rate; x base is -\n");
    }

    vals = malloc(sizeof(double) * CMP_NCFG * nsizes * (size_t)c->runs);
    if (vals == NULL) {
        fprintf(stderr, "compare: out of memory\n");
        return -1;
    }
    for (size_t i = 0; i < CMP_NCFG * nsizes * (size_t)c->runs; i++) {
        vals[i] = NAN;
    }

    for (int r = 0; r < c->runs; r++) {
        for (int k = 0; k < CMP_NCFG; k++) {
            char out[CMP_PATH], err[CMP_PATH], what[128];
            double one[BENCH_MAX_SIZES];
            cmp_argv_t a = { .n = 0 };
            double t0 = cmp_now();

            if (c->skip[k] || (k == CMP_BASE && skip_base) || !cmp_applies(k, b)) {
                continue;
            }
            snprintf(out, sizeof(out), "%s/raw/%s-%s-%d.csv", c->out_dir, b->name,
                     cmp_cfgs[k].name, r + 1);
            snprintf(err, sizeof(err), "%s/raw/%s-%s-%d.log", c->out_dir, b->name,
                     cmp_cfgs[k].name, r + 1);
            snprintf(what, sizeof(what), "%s %s run %d/%d", b->name, cmp_cfgs[k].name, r + 1,
                     c->runs);
            cmp_command(c, k, b, k == CMP_BASE ? base_sizes : sizes_str, &a);
            if (cmp_spawn(c, a.v, out, err, what) != 0
                || cmp_parse(out, k, b, sizes, nsizes, one) != 0) {
                cmp_tail(err);
                fprintf(stderr, "compare: %s: failed, left out of the remaining runs\n",
                        cmp_cfgs[k].name);
                c->failed = 1;
                c->skip[k] = 1;
            } else {
                for (size_t s = 0; s < nsizes; s++) {
                    CMP_VAL(vals, nsizes, c->runs, k, s, r) = one[s];
                }
                fprintf(stderr, "compare: %s: ok (%.1f s)\n", what, cmp_now() - t0);
            }
            cmp_argv_free(&a);
        }
    }
    cmp_report(c, b, sizes, nsizes, vals);
    cmp_plot(c, b);
    free(vals);
    return 0;
}

/* mkdir -p */
static int cmp_mkdirs(const char *dir)
{
    char p[CMP_PATH];

    snprintf(p, sizeof(p), "%s", dir);
    for (char *s = p + 1; *s != '\0'; s++) {
        if (*s == '/') {
            *s = '\0';
            if (mkdir(p, 0755) != 0 && errno != EEXIST) {
                break;
            }
            *s = '/';
        }
    }
    if (mkdir(p, 0755) != 0 && errno != EEXIST) {
        fprintf(stderr, "compare: mkdir %s: %s\n", p, strerror(errno));
        return -1;
    }
    return 0;
}

static int cmp_cpus(cmp_t *c)
{
    cpu_set_t set;
    int n = 0;

    if (c->opts->ncpus == 2) {
        c->cpus[0] = c->opts->cpus[0];
        c->cpus[1] = c->opts->cpus[1];
        return 0;
    }
    if (sched_getaffinity(0, sizeof(set), &set) != 0) {
        fprintf(stderr, "compare: sched_getaffinity: %s\n", strerror(errno));
        return -1;
    }
    for (int cpu = 0; cpu < CPU_SETSIZE && n < 2; cpu++) {
        if (CPU_ISSET(cpu, &set)) {
            c->cpus[n++] = cpu;
        }
    }
    if (n < 2) {
        fprintf(stderr, "compare: needs two CPUs, the affinity mask has %d\n", n);
        return -1;
    }
    return 0;
}

int bench_compare_run(const bench_opts_t *opts, const char *self)
{
    static cmp_t cmp; /* large: not on the stack */
    cmp_t *c = &cmp;
    const cmp_bench_t *todo[CMP_NBENCH];
    size_t ntodo = 0;
    ssize_t len;

    memset(c, 0, sizeof(*c));
    c->opts = opts;
    c->runs = opts->runs != 0 ? opts->runs : (opts->quick ? 1 : 5);
    c->timeout = opts->timeout != 0 ? opts->timeout : (opts->quick ? 60 : 600);
    c->out_dir = opts->out_dir != NULL ? opts->out_dir : "results";

    if (opts->csv || opts->json) {
        fprintf(stderr, "bp-bench compare: writes its CSV into the results folder: no "
                "--csv or --json\n");
        return BENCH_EXIT_USAGE;
    }
    if (opts->what == NULL || strcmp(opts->what, "all") == 0) {
        for (size_t k = 0; k < CMP_NBENCH; k++) {
            if (strcmp(cmp_benches[k].name, "bibw") != 0) { /* "all": all but bibw */
                todo[ntodo++] = &cmp_benches[k];
            }
        }
    } else {
        for (size_t k = 0; k < CMP_NBENCH; k++) {
            if (strcmp(opts->what, cmp_benches[k].name) == 0
                || strcmp(opts->what, cmp_benches[k].mode) == 0) { /* coll: all three */
                todo[ntodo++] = &cmp_benches[k];
            }
        }
        if (ntodo == 0) {
            fprintf(stderr, "bp-bench compare: '%s': expected lat, bw, bibw, mr, coll, "
                    "barrier, bcast, allreduce or all\n", opts->what);
            return BENCH_EXIT_USAGE;
        }
    }
    if (opts->skip != NULL) {
        char list[512], *save = NULL;

        snprintf(list, sizeof(list), "%s", opts->skip);
        for (char *t = strtok_r(list, ",", &save); t != NULL; t = strtok_r(NULL, ",", &save)) {
            int found = 0;

            for (int k = 0; k < CMP_NCFG; k++) {
                if (strcmp(t, cmp_cfgs[k].name) == 0) {
                    c->skip[k] = found = 1;
                    fprintf(stderr, "compare: %s: skipped (--skip)\n", t);
                }
            }
            if (!found) {
                fprintf(stderr, "bp-bench compare: --skip %s: unknown configuration '%s'; "
                        "expected base, bypass, bypass-mpi, tcp, tcp-spin, unix, unix-spin, "
                        "openmpi, openmpi-tcp, mpich\n", opts->skip, t);
                return BENCH_EXIT_USAGE;
            }
        }
    }
    if (getenv("BPRUN_FD") != NULL) {
        fprintf(stderr, "bp-bench compare: runs standalone, not under bprun\n");
        return BENCH_EXIT_USAGE;
    }

    len = readlink("/proc/self/exe", c->self, sizeof(c->self) - 1);
    if (len <= 0) {
        snprintf(c->self, sizeof(c->self), "%s", self);
    } else {
        c->self[len] = '\0';
    }
    memcpy(c->bindir, c->self, sizeof(c->bindir));
    *(strrchr(c->bindir, '/') != NULL ? strrchr(c->bindir, '/') : c->bindir) = '\0';

    if (cmp_cpus(c) != 0) {
        return BENCH_EXIT_FAIL;
    }
    {
        char raw[CMP_PATH];

        snprintf(raw, sizeof(raw), "%s/raw", c->out_dir);
        if (cmp_mkdirs(raw) != 0) {
            return BENCH_EXIT_FAIL;
        }
    }
    cmp_find(c);
    fprintf(stderr, "compare: %d run%s of each configuration on cpus %d,%d%s; results in %s\n",
            c->runs, c->runs == 1 ? "" : "s", c->cpus[0], c->cpus[1],
            opts->quick ? " (--quick: a smoke test, not figures)" : "", c->out_dir);

    for (size_t t = 0; t < ntodo; t++) {
        if (cmp_one_bench(c, todo[t]) != 0) {
            return BENCH_EXIT_FAIL;
        }
    }
    return c->failed ? BENCH_EXIT_FAIL : BENCH_EXIT_OK;
}
