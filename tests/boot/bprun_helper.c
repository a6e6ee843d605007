/*
 * bprun_helper.c - what the bprun_*.sh tests start under bprun. Not a test by itself.
 *
 *   bprun_helper exit R CODE   rank R exits with CODE, the others with 0
 *   bprun_helper raise R SIG   rank R raises SIG, the others sleep 30 s
 *   bprun_helper sleep S       every rank sleeps S seconds, then exits 0
 *   bprun_helper print         stdout: "out <r>", "tail <r>" (no newline); stderr: "err <r>"
 *   bprun_helper affinity      prints "rank <r> cpus <number of CPUs in its mask> first <the
 *                              lowest of them>"
 *   bprun_helper term DIR      on SIGTERM, creates DIR/term.<r> and exits 0; else sleeps 30 s
 *   bprun_helper shm           rank 0 creates /dev/shm/bp-<jobkey>-leftover and is killed
 *   bprun_helper rseq          prints "rank <r> rseq <bytes of glibc's rseq registration, 0:
 *                              none> tunables <GLIBC_TUNABLES, or ->"
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/rseq.h>
#include <time.h>
#include <unistd.h>

static const char *term_dir;
static char term_path[4096];
static int my_rank;

static void helper_sleep(double s)
{
    struct timespec ts = { .tv_sec = (time_t)s, .tv_nsec = (long)((s - (time_t)s) * 1e9) };

    while (nanosleep(&ts, &ts) != 0) {
    }
}

static void helper_on_term(int sig)
{
    int fd = open(term_path, O_WRONLY | O_CREAT | O_TRUNC, 0644);

    if (fd >= 0) {
        close(fd);
    }
    _exit(0);
}

int main(int argc, char **argv)
{
    const char *rank_env = getenv("BPRUN_RANK");
    const char *mode = argc > 1 ? argv[1] : "";

    if (rank_env == NULL) {
        fprintf(stderr, "bprun_helper: BPRUN_RANK is not set\n");
        return 99;
    }
    my_rank = atoi(rank_env);

    if (strcmp(mode, "exit") == 0 && argc == 4) {
        return my_rank == atoi(argv[2]) ? atoi(argv[3]) : 0;
    }
    if (strcmp(mode, "raise") == 0 && argc == 4) {
        if (my_rank == atoi(argv[2])) {
            helper_sleep(0.2);
            raise(atoi(argv[3]));
            return 98;
        }
        helper_sleep(30);
        return 0;
    }
    if (strcmp(mode, "sleep") == 0 && argc == 3) {
        helper_sleep(atof(argv[2]));
        return 0;
    }
    if (strcmp(mode, "print") == 0) {
        printf("out %d\n", my_rank);
        fflush(stdout);
        fprintf(stderr, "err %d\n", my_rank);
        printf("tail %d", my_rank);
        return 0;
    }
    if (strcmp(mode, "affinity") == 0) {
        cpu_set_t set;
        if (sched_getaffinity(0, sizeof(set), &set) != 0) {
            return 97;
        }
        int first = 0;
        while (first < CPU_SETSIZE - 1 && !CPU_ISSET(first, &set)) {
            first++;
        }
        printf("rank %d cpus %d first %d\n", my_rank, CPU_COUNT(&set), first);
        return 0;
    }
    if (strcmp(mode, "rseq") == 0) {
        const char *t = getenv("GLIBC_TUNABLES");
        printf("rank %d rseq %u tunables %s\n", my_rank, __rseq_size, t != NULL ? t : "-");
        return 0;
    }
    if (strcmp(mode, "term") == 0 && argc == 3) {
        term_dir = argv[2];
        snprintf(term_path, sizeof(term_path), "%s/term.%d", term_dir, my_rank);
        signal(SIGTERM, helper_on_term);
        /* Tell the script this rank is ready for the signal. */
        {
            char path[4096];
            int fd;
            snprintf(path, sizeof(path), "%s/ready.%d", term_dir, my_rank);
            fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
            if (fd >= 0) {
                close(fd);
            }
        }
        helper_sleep(30);
        return 0;
    }
    if (strcmp(mode, "shm") == 0) {
        if (my_rank == 0) {
            char path[256];
            int fd;
            snprintf(path, sizeof(path), "/dev/shm/bp-%s-leftover", getenv("BPRUN_JOBKEY"));
            fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
            if (fd < 0) {
                perror(path);
                return 96;
            }
            close(fd);
            printf("%s\n", path);
            fflush(stdout);
            raise(SIGKILL);
        }
        helper_sleep(30);
        return 0;
    }
    fprintf(stderr, "bprun_helper: bad arguments\n");
    return 95;
}
