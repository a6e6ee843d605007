/*
 * fault_kill - one rank of a job dies by SIGKILL in the middle of communication; every
 * other rank must see its pending call fail with BP_ERR_PEER_FAILED, soon. Run by
 * fault_kill.sh, which starts it under bprun, kills the victim (or lets it kill itself)
 * and checks what every rank printed, what bprun said and what is left in /dev/shm.
 *
 *   fault_kill pingpong|testloop|alltoall|barrier   (testloop: polls with bp_test)
 *   fault_kill stall   (nobody dies: FAULT_VICTIM makes no library call for FAULT_STALL_MS,
 *                       3000 by default, while rank 0 sends to it; both must succeed)
 *
 * Environment: FAULT_VICTIM (the rank that dies), FAULT_SELF_AT (if set, the victim
 * raises SIGKILL itself before that iteration; else it is killed from outside while it
 * loops). Lines on stdout, for the script:
 *   fault: rank R pid P jobkey K ready
 *   fault: rank R dies at T                    (self kill: T in ns, CLOCK_REALTIME)
 *   fault: rank R got <status> after I iterations at T
 *   fault: rank R finalize: <status> at T
 * Every rank ignores SIGTERM, so that bprun's stop of the job (SIGTERM, SIGKILL --grace
 * seconds later) does not end a survivor before the library has told it: a survivor that
 * has not reported and finalized by then is killed and the script fails.
 */
#include <bypass.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define FAULT_MAX_RANKS 16
#define FAULT_LIMIT_S 30 /* no rank loops longer than this */

static long long fault_now_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_REALTIME, &ts);
    return (long long)ts.tv_sec * 1000000000ll + ts.tv_nsec;
}

/* Message sizes cycle through eager, multi-frame and rendezvous. */
static size_t fault_len(long it)
{
    static const size_t lens[] = {8, 3000, 100000};

    return lens[it % 3];
}

static bp_status_t fault_pingpong(bp_context_t *ctx, int rank, long it, char *buf)
{
    int peer = rank ^ 1;
    size_t len = fault_len(it);
    bp_status_t st;

    if (rank % 2 == 0) {
        st = bp_send(ctx, buf, len, peer, 1);
        return st != BP_OK ? st : bp_recv(ctx, buf, len, peer, 2, 0, NULL);
    }
    st = bp_recv(ctx, buf, len, BP_ANY_SOURCE, 1, 0, NULL); /* any source: fails too */
    return st != BP_OK ? st : bp_send(ctx, buf, len, peer, 2);
}

/* The same exchange, polled with bp_test as a program that computes between polls does. */
static bp_status_t fault_testloop(bp_context_t *ctx, int rank, long it, char *sbuf, char *rbuf)
{
    bp_request_t *reqs[2];
    int peer = rank ^ 1;
    size_t len = fault_len(it);
    bp_status_t st = bp_irecv(ctx, rbuf, len, peer, (uint64_t)it, 0, &reqs[0]);

    if (st != BP_OK || (st = bp_isend(ctx, sbuf, len, peer, (uint64_t)it, &reqs[1])) != BP_OK) {
        return st;
    }
    for (int i = 0; i < 2; i++) {
        int done = 0;
        while (!done) {
            st = bp_test(&reqs[i], &done, NULL);
            if (st != BP_OK) {
                return st;
            }
        }
    }
    return BP_OK;
}

/*
 * A rank that computes (or is stopped by the script) for seconds without calling the
 * library while rank 0 sends it 100 KB (a rendezvous: its RTS stays unacknowledged): it is
 * alive, and rank 0 must wait for it rather than take it for dead. Then it answers.
 */
static bp_status_t fault_stall(bp_context_t *ctx, int rank, int victim, char *sbuf, char *rbuf)
{
    const char *env = getenv("FAULT_STALL_MS");
    long long stall_ns = (env != NULL ? atoll(env) : 3000) * 1000000ll;
    bp_status_t st;

    if (rank == victim) {
        long long until = fault_now_ns() + stall_ns;
        printf("fault: rank %d stalls\n", rank);
        fflush(stdout);
        while (fault_now_ns() < until) {
        }
        st = bp_recv(ctx, rbuf, 100000, 0, 1, 0, NULL);
        return st != BP_OK ? st : bp_send(ctx, sbuf, 100000, 0, 2);
    }
    if (rank == 0) {
        st = bp_send(ctx, sbuf, 100000, victim, 1);
        return st != BP_OK ? st : bp_recv(ctx, rbuf, 100000, victim, 2, 0, NULL);
    }
    return BP_OK;
}

static bp_status_t fault_alltoall(bp_context_t *ctx, int rank, int size, long it, char *sbuf,
                                  char *rbuf)
{
    bp_request_t *reqs[2 * FAULT_MAX_RANKS];
    size_t len = fault_len(it);
    int n = 0;

    for (int r = 0; r < size; r++) {
        if (r != rank) {
            bp_status_t st = bp_irecv(ctx, rbuf + (size_t)r * len, len, r, (uint64_t)it, 0,
                                      &reqs[n]);
            if (st != BP_OK) {
                return st;
            }
            n++;
        }
    }
    for (int r = 0; r < size; r++) {
        if (r != rank) {
            bp_status_t st = bp_isend(ctx, sbuf, len, r, (uint64_t)it, &reqs[n]);
            if (st != BP_OK) {
                return st;
            }
            n++;
        }
    }
    return bp_waitall((size_t)n, reqs, NULL);
}

int main(int argc, char **argv)
{
    const char *pattern = argc > 1 ? argv[1] : "";
    const char *victim_env = getenv("FAULT_VICTIM");
    const char *self_env = getenv("FAULT_SELF_AT");
    const char *key = getenv("BPRUN_JOBKEY");
    int victim = victim_env != NULL ? atoi(victim_env) : 0;
    long self_at = self_env != NULL ? atol(self_env) : -1;
    bp_context_t *ctx;
    int rank, size;
    bp_status_t st = BP_OK;
    long long start;
    char *sbuf, *rbuf;
    long it;

    signal(SIGTERM, SIG_IGN);
    if (bp_init(&ctx) != BP_OK || bp_rank(ctx, &rank) != BP_OK || bp_size(ctx, &size) != BP_OK) {
        fprintf(stderr, "fault: bp_init failed\n");
        return 1;
    }
    if (size > FAULT_MAX_RANKS ||
        ((strcmp(pattern, "pingpong") == 0 || strcmp(pattern, "testloop") == 0) &&
         size % 2 != 0)) {
        fprintf(stderr, "fault: %d ranks do not fit pattern '%s'\n", size, pattern);
        return 1;
    }
    sbuf = calloc(1, 100000);
    rbuf = calloc((size_t)size, 100000);
    if (sbuf == NULL || rbuf == NULL) {
        return 1;
    }
    if (bp_barrier(ctx) != BP_OK) {
        fprintf(stderr, "fault: rank %d: first barrier failed\n", rank);
        return 1;
    }
    printf("fault: rank %d pid %d jobkey %s ready\n", rank, (int)getpid(),
           key != NULL ? key : "none");
    fflush(stdout);

    start = fault_now_ns();
    for (it = 0; fault_now_ns() - start < FAULT_LIMIT_S * 1000000000ll; it++) {
        if (rank == victim && it == self_at) {
            printf("fault: rank %d dies at %lld\n", rank, fault_now_ns());
            fflush(stdout);
            raise(SIGKILL);
        }
        if (strcmp(pattern, "stall") == 0) {
            st = fault_stall(ctx, rank, victim, sbuf, rbuf);
            it++;
            break;
        }
        if (strcmp(pattern, "pingpong") == 0) {
            st = fault_pingpong(ctx, rank, it, sbuf);
        } else if (strcmp(pattern, "alltoall") == 0) {
            st = fault_alltoall(ctx, rank, size, it, sbuf, rbuf);
        } else if (strcmp(pattern, "testloop") == 0) {
            st = fault_testloop(ctx, rank, it, sbuf, rbuf);
        } else if (strcmp(pattern, "barrier") == 0) {
            st = bp_barrier(ctx);
        } else {
            fprintf(stderr, "fault: unknown pattern '%s'\n", pattern);
            return 1;
        }
        if (st != BP_OK) {
            break;
        }
    }
    printf("fault: rank %d got %s after %ld iterations at %lld\n", rank,
           st == BP_ERR_PEER_FAILED ? "BP_ERR_PEER_FAILED" : bp_strerror(st), it,
           fault_now_ns());
    fflush(stdout);
    /* finalize after a failure: it must return (its barrier fails at once), not hang */
    st = bp_finalize(ctx);
    printf("fault: rank %d finalize: %s at %lld\n", rank, bp_strerror(st), fault_now_ns());
    free(sbuf);
    free(rbuf);
    return 0;
}
