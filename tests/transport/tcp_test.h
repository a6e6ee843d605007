/*
 * tcp_test.h - what the tcp transport tests share: fork N real processes, each opens the
 * tcp transport with hand-filled parameters, publishes its card in a shared anonymous
 * mapping, connects to every peer in rank order, and meets the others at barriers (which
 * keep the transport progressing, so backlogs drain while a rank waits). Every process is
 * bounded by alarm(); the parent fails if any child fails, is killed, or is late.
 */
#ifndef BP_TESTS_TCP_TEST_H
#define BP_TESTS_TCP_TEST_H

#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "transport/tcp/tcp.h"
#include "unit.h"

#define TT_MAX_RANKS 8
#define TT_CHILD_ALARM 60
#define TT_PARENT_ALARM 90

typedef struct tt_shared {
    _Atomic unsigned arrive;
    _Atomic int64_t mark_ms; /* a time one rank publishes for another (e.g. when it exited) */
    uint32_t card_len[TT_MAX_RANKS];
    char card[TT_MAX_RANKS][BPI_CARD_ADDR_SIZE];
} tt_shared_t;

static tt_shared_t *tt_sh;
static int tt_n;
static int tt_rank;
static unsigned tt_gen;
static bpi_config_t tt_config;
static bpi_tl_place_t tt_place; /* params.place of the next tt_open (NULL: none) */

static inline int64_t tt_now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* All ranks meet; while waiting, iface (if any) keeps progressing. */
static inline void tt_barrier(bpi_tl_iface_t *iface)
{
    tt_gen++;
    atomic_fetch_add(&tt_sh->arrive, 1);
    while (atomic_load(&tt_sh->arrive) < tt_gen * (unsigned)tt_n) {
        if (iface != NULL) {
            bpi_tl_tcp.progress(iface, 64);
        }
        sched_yield();
    }
}

/* Open, publish the card, connect to every peer (rank order), fence, ready. */
static inline bpi_tl_iface_t *tt_open(uint64_t jobkey, bpi_tl_recv_cb_t cb, void *arg,
                                      bpi_tl_ep_t **eps)
{
    bpi_tl_params_t params;
    bpi_tl_iface_t *iface = NULL;
    char err[256];
    size_t len = BPI_CARD_ADDR_SIZE;

    UNIT_CHECK_EQ(bpi_config_parse(NULL, &tt_config, err, sizeof(err)), BP_OK);
    memset(&params, 0, sizeof(params));
    params.rank = tt_rank;
    params.size = tt_n;
    params.jobkey = jobkey;
    params.config = &tt_config;
    params.recv_cb = cb;
    params.cb_arg = arg;
    params.place = tt_place;
    UNIT_CHECK_EQ(bpi_tl_tcp.open(&params, &iface), BP_OK);
    UNIT_CHECK_EQ(bpi_tl_tcp.card_pack(iface, tt_sh->card[tt_rank], &len), BP_OK);
    UNIT_CHECK(len <= 200);
    tt_sh->card_len[tt_rank] = (uint32_t)len;
    tt_barrier(NULL);
    for (int r = 0; r < tt_n; r++) {
        eps[r] = NULL;
        if (r != tt_rank) {
            UNIT_CHECK_EQ(bpi_tl_tcp.connect(iface, r, tt_sh->card[r], tt_sh->card_len[r],
                                             &eps[r]),
                          BP_OK);
            UNIT_CHECK_NOT_NULL(eps[r]);
        }
    }
    tt_barrier(NULL); /* the bootstrap fence: every rank has called connect for every peer */
    UNIT_CHECK_EQ(bpi_tl_tcp.ready(iface), BP_OK);
    return iface;
}

/* Fork n ranks running body(rank); 0 when all of them exit 0. */
static inline int tt_run(int n, void (*body)(void))
{
    pid_t pids[TT_MAX_RANKS];
    int failed = 0;

    UNIT_CHECK(n >= 2 && n <= TT_MAX_RANKS);
    tt_sh = mmap(NULL, sizeof(*tt_sh), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1,
                 0);
    UNIT_CHECK(tt_sh != MAP_FAILED);
    tt_n = n;
    alarm(TT_PARENT_ALARM);
    for (int r = 0; r < n; r++) {
        pids[r] = fork();
        UNIT_CHECK(pids[r] >= 0);
        if (pids[r] == 0) {
            alarm(TT_CHILD_ALARM);
            tt_rank = r;
            bpi_log_set_rank(r);
            body();
            _exit(0);
        }
    }
    for (int k = 0; k < n; k++) {
        int st;
        pid_t pid = wait(&st);
        UNIT_CHECK(pid > 0);
        if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
            fprintf(stderr, "rank (pid %d) failed: %s %d\n", (int)pid,
                    WIFEXITED(st) ? "exit" : "signal",
                    WIFEXITED(st) ? WEXITSTATUS(st) : WTERMSIG(st));
            if (!failed) {
                for (int r = 0; r < n; r++) {
                    if (pids[r] != pid) {
                        kill(pids[r], SIGKILL); /* ours: no rank waits forever on a dead one */
                    }
                }
            }
            failed = 1;
        }
    }
    return failed;
}

/* The payload byte i of frame seq from src to dst. */
static inline unsigned char tt_byte(int src, int dst, uint64_t seq, uint32_t i)
{
    return (unsigned char)(src * 31 + dst * 7 + seq * 13 + i * 5 + (i >> 8));
}

static inline void tt_fill(unsigned char *buf, int src, int dst, uint64_t seq, uint32_t len)
{
    for (uint32_t i = 0; i < len; i++) {
        buf[i] = tt_byte(src, dst, seq, i);
    }
}

static inline void tt_hdr(bpi_wire_hdr_t *hdr, int src, int dst, uint64_t seq, uint32_t len)
{
    memset(hdr, 0, sizeof(*hdr));
    hdr->type = BPI_WIRE_EAGER;
    hdr->src = (uint32_t)src;
    hdr->frame_len = len;
    hdr->tag = seq;
    hdr->msg_len = (uint64_t)dst;
}

/* Send, progressing while the backlog is full. */
static inline void tt_send(bpi_tl_iface_t *iface, bpi_tl_ep_t *ep, const bpi_wire_hdr_t *hdr,
                           const void *payload)
{
    bp_status_t st;

    while ((st = bpi_tl_tcp.send(ep, hdr, payload)) == BP_ERR_AGAIN) {
        bpi_tl_tcp.progress(iface, 64);
    }
    UNIT_CHECK_EQ(st, BP_OK);
}

#endif
