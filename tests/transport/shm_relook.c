/*
 * shm_relook: a sender that reads its receiver awake without a fence (shm.h,
 * BPI_SHM_SLEEPS_RELOOK) may commit its frame just after the receiver's last look before a
 * futex sleep, and send no wake-up; the receiver then finds the frame when it looks again
 * BPI_SHM_RELOOK_US into its sleep, not when its timeout ends. Two ranks of the shm
 * transport in one process, a thread each: rank 1 sleeps in wait() with a 300 ms timeout;
 * rank 0 waits until rank 1 has said it sleeps, then commits a frame into rank 1's queue at
 * once, with no wake-up, as such a sender does. Each of TRIALS sleeps must end well before
 * its timeout (under 100 ms), and its frame must be delivered. Without the look again, the
 * sleeps whose last look came before the commit last the whole 300 ms (196 of 200 here).
 * A real sender commits before it reads; here the read comes first, so a trial whose
 * commit came over 40 us after rank 1 began its sleep (a thread lost its CPU meanwhile,
 * and the commit may have come after the look again) does not count, and at least an
 * eighth of them must.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/config.h"
#include "transport/shm/shm.h"
#include "unit.h"

#define TRIALS 200
#define TIMEOUT_US 300000
#define LATE_NS 100000000ull
#define PROMPT_NS 40000ull /* under BPI_SHM_RELOOK_US, 50 */

static bpi_config_t config;
static bpi_tl_iface_t *iface[2];
static bpi_tl_ep_t *ep01; /* rank 0's way to rank 1 */
static uint64_t received;
static _Atomic int sleeper_go; /* trial number rank 1 is to sleep for */
static _Atomic int sleeper_done;
static uint64_t slept_ns[TRIALS];
static _Atomic uint64_t sleep_from_ns; /* the clock just before rank 1's wait() */
static int prompt[TRIALS]; /* the commit came within PROMPT_NS of that */

static void on_frame(void *arg, const bpi_wire_hdr_t *hdr, const void *payload)
{
    (void)arg;
    (void)payload;
    UNIT_CHECK_EQ(hdr->type, BPI_WIRE_EAGER);
    UNIT_CHECK_EQ_U(hdr->tag, received); /* in order, none lost or doubled */
    received++;
}

static void open_rank(int rank, uint64_t jobkey)
{
    static const uint8_t same_host[2] = {1, 1};
    bpi_tl_params_t params;

    memset(&params, 0, sizeof(params));
    params.rank = rank;
    params.size = 2;
    params.jobkey = jobkey;
    params.local_index = rank;
    params.nlocal = 2;
    params.config = &config;
    params.same_host = same_host;
    params.recv_cb = on_frame;
    UNIT_CHECK_EQ(bpi_tl_shm.open(&params, &iface[rank]), BP_OK);
}

/* Rank 1: sleep when told, for each trial; time the sleep, then take the frame. */
static void *sleeper(void *arg)
{
    (void)arg;
    for (int t = 0; t < TRIALS; t++) {
        uint64_t t0;
        while (atomic_load(&sleeper_go) != t + 1) {
        }
        t0 = bpi_tl_now_ns();
        atomic_store(&sleep_from_ns, t0);
        UNIT_CHECK_EQ(bpi_tl_shm.wait(iface[1], TIMEOUT_US), BP_OK);
        slept_ns[t] = bpi_tl_now_ns() - t0;
        for (int k = 0; k < 1000000 && received < (uint64_t)t + 1; k++) {
            bpi_tl_shm.progress(iface[1], 16);
        }
        atomic_store(&sleeper_done, t + 1);
    }
    return NULL;
}

/* Rank 0's frame, committed into rank 1's queue without the send's look at `sleeping`. */
static void commit_unwoken(uint64_t seq)
{
    bpi_shm_slot_t *slot;
    uint64_t pos;

    UNIT_CHECK_EQ(bpi_shm_ring_claim_mp(&ep01->queue, &ep01->queue_head_cache, &pos), 0);
    slot = bpi_shm_ring_slot(&ep01->queue, pos);
    memset(&slot->hdr, 0, sizeof(slot->hdr));
    slot->hdr.type = BPI_WIRE_EAGER;
    slot->hdr.src = 0;
    slot->hdr.tag = seq;
    bpi_shm_ring_commit(slot, pos);
}

int main(void)
{
    char err[256], card[2][BPI_CARD_ADDR_SIZE];
    size_t len[2] = {sizeof(card[0]), sizeof(card[1])};
    bpi_tl_ep_t *ep10 = NULL;
    uint64_t jobkey = ((uint64_t)getpid() << 20) ^ (uint64_t)time(NULL);
    pthread_t th;
    int late = 0, counted = 0;

    alarm(90);
    UNIT_CHECK_EQ(bpi_config_parse(NULL, &config, err, sizeof(err)), BP_OK);
    open_rank(0, jobkey);
    open_rank(1, jobkey);
    for (int r = 0; r < 2; r++) {
        UNIT_CHECK_EQ(bpi_tl_shm.card_pack(iface[r], card[r], &len[r]), BP_OK);
    }
    UNIT_CHECK_EQ(bpi_tl_shm.connect(iface[0], 1, card[1], len[1], &ep01), BP_OK);
    UNIT_CHECK_EQ(bpi_tl_shm.connect(iface[1], 0, card[0], len[0], &ep10), BP_OK);
    UNIT_CHECK_EQ(bpi_tl_shm.ready(iface[0]), BP_OK);
    UNIT_CHECK_EQ(bpi_tl_shm.ready(iface[1]), BP_OK);
    bpi_tl_shm.may_sleep(iface[1], 1);
    UNIT_CHECK_EQ_U(atomic_load(&ep01->seg->may_sleep), BPI_SHM_SLEEPS_RELOOK);

    UNIT_CHECK_EQ(pthread_create(&th, NULL, sleeper, NULL), 0);
    for (int t = 0; t < TRIALS; t++) {
        atomic_store(&sleeper_go, t + 1);
        /* the moment rank 1 has said it sleeps: its last look is under way, or done */
        for (uint64_t t0 = bpi_tl_now_ns();
             atomic_load(&ep01->seg->sleeping) != BPI_SHM_SLEEP_FUTEX;) {
            UNIT_CHECK(bpi_tl_now_ns() - t0 < 10000000000ull);
        }
        commit_unwoken((uint64_t)t);
        prompt[t] = bpi_tl_now_ns() - atomic_load(&sleep_from_ns) < PROMPT_NS;
        while (atomic_load(&sleeper_done) != t + 1) {
        }
    }
    UNIT_CHECK_EQ(pthread_join(th, NULL), 0);
    UNIT_CHECK_EQ_U(received, TRIALS);
    for (int t = 0; t < TRIALS; t++) {
        counted += prompt[t];
        late += prompt[t] && slept_ns[t] >= LATE_NS;
    }
    printf("%d of %d sleeps lasted %llu ms or more (%d trials not counted: a late commit)\n",
           late, counted, (unsigned long long)(LATE_NS / 1000000), TRIALS - counted);
    UNIT_CHECK(counted >= TRIALS / 8);
    UNIT_CHECK_EQ(late, 0);
    bpi_tl_shm.disconnect(ep10);
    bpi_tl_shm.disconnect(ep01);
    bpi_tl_shm.close(iface[1]);
    bpi_tl_shm.close(iface[0]);
    printf("shm_relook passed\n");
    return 0;
}
