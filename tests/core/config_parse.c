/*
 * config_parse.c - bpi_config_parse is strict: defaults for an empty environment, every
 * BP_* variable accepted with its documented values, and anything else under BP_ refused
 * with BP_ERR_CONFIG and a message that lists what is accepted. Variables outside BP_ are
 * none of its business. Handcrafted environment arrays only; no bp_init.
 */
#include <stddef.h>
#include <string.h>

#include "core/config.h"
#include "unit.h"

#define ERRLEN 512

/* Parse a one-variable environment; returns the status, fills cfg and err. */
static bp_status_t parse1(const char *var, bpi_config_t *cfg, char *err)
{
    char *envp[2] = {(char *)var, NULL};

    err[0] = '\0';
    return bpi_config_parse(envp, cfg, err, ERRLEN);
}

/* var must be refused, with a message naming it and containing want. */
static void check_refused(const char *var, const char *want)
{
    bpi_config_t cfg;
    char err[ERRLEN];
    char name[64];
    size_t nlen = strcspn(var, "=");

    UNIT_CHECK(nlen < sizeof(name));
    memcpy(name, var, nlen);
    name[nlen] = '\0';
    fprintf(stderr, "   %s\n", var);
    UNIT_CHECK_EQ(parse1(var, &cfg, err), BP_ERR_CONFIG);
    UNIT_CHECK_STR_HAS(err, name);
    UNIT_CHECK_STR_HAS(err, want);
}

/* var must be accepted, the field at offset then holding want (the others: defaults). */
static void check_accepted(const char *var, size_t offset, uint64_t want)
{
    bpi_config_t cfg, def;
    char err[ERRLEN];
    char *empty[1] = {NULL};

    fprintf(stderr, "   %s\n", var);
    UNIT_CHECK_EQ(bpi_config_parse(empty, &def, err, ERRLEN), BP_OK);
    UNIT_CHECK_EQ(parse1(var, &cfg, err), BP_OK);
    UNIT_CHECK_EQ_U(*(uint64_t *)((char *)&cfg + offset), want);
    *(uint64_t *)((char *)&def + offset) = want;
    UNIT_CHECK_MEM_EQ(&cfg, &def, sizeof(cfg));
}

static void check_defaults(const bpi_config_t *cfg)
{
    UNIT_CHECK_EQ_U(cfg->log_level, BPI_LOG_WARN);
    UNIT_CHECK_EQ_U(cfg->progress, BPI_PROGRESS_AUTO);
    UNIT_CHECK_EQ_U(cfg->shm_slot_size, 256);
    UNIT_CHECK_EQ_U(cfg->shm_queue_slots, 256);
    UNIT_CHECK_EQ_U(cfg->shm_ring_slots, 128);
    UNIT_CHECK_EQ_U(cfg->shm_max_rings, 8);
    UNIT_CHECK_EQ_U(cfg->shm_ring_thresh, 16);
    UNIT_CHECK_EQ_U(cfg->shm_cma, BPI_SHM_CMA_AUTO);
    UNIT_CHECK_EQ_U(cfg->rndv_thresh, 65536);
    UNIT_CHECK_EQ_U(cfg->rndv_coop, 65536);
    UNIT_CHECK_EQ_U(cfg->rndv_lane, BPI_RNDV_LANE_AUTO);
}

static void config_defaults_when_empty(void)
{
    bpi_config_t cfg;
    char err[ERRLEN];
    char *empty[1] = {NULL};

    memset(&cfg, 0xff, sizeof(cfg));
    UNIT_CHECK_EQ(bpi_config_parse(empty, &cfg, err, sizeof(err)), BP_OK);
    check_defaults(&cfg);

    /* a NULL environment is an empty one */
    memset(&cfg, 0xff, sizeof(cfg));
    UNIT_CHECK_EQ(bpi_config_parse(NULL, &cfg, err, sizeof(err)), BP_OK);
    check_defaults(&cfg);
}

static void config_each_variable_accepted(void)
{
    UNIT_CHECK_EQ(bpi_config_nvars, 15);

    check_accepted("BP_LOG_LEVEL=error", offsetof(bpi_config_t, log_level), BPI_LOG_ERROR);
    check_accepted("BP_LOG_LEVEL=warn", offsetof(bpi_config_t, log_level), BPI_LOG_WARN);
    check_accepted("BP_LOG_LEVEL=info", offsetof(bpi_config_t, log_level), BPI_LOG_INFO);
    check_accepted("BP_LOG_LEVEL=debug", offsetof(bpi_config_t, log_level), BPI_LOG_DEBUG);
    check_accepted("BP_PROGRESS=auto", offsetof(bpi_config_t, progress), BPI_PROGRESS_AUTO);
    check_accepted("BP_PROGRESS=spin", offsetof(bpi_config_t, progress), BPI_PROGRESS_SPIN);
    check_accepted("BP_PROGRESS=block", offsetof(bpi_config_t, progress), BPI_PROGRESS_BLOCK);
    check_accepted("BP_PROGRESS=adaptive", offsetof(bpi_config_t, progress),
                   BPI_PROGRESS_ADAPTIVE);
    check_accepted("BP_SHM_SLOT_SIZE=128", offsetof(bpi_config_t, shm_slot_size), 128);
    check_accepted("BP_SHM_SLOT_SIZE=576", offsetof(bpi_config_t, shm_slot_size), 576);
    check_accepted("BP_SHM_SLOT_SIZE=65536", offsetof(bpi_config_t, shm_slot_size), 65536);
    check_accepted("BP_SHM_QUEUE_SLOTS=4", offsetof(bpi_config_t, shm_queue_slots), 4);
    check_accepted("BP_SHM_QUEUE_SLOTS=65536", offsetof(bpi_config_t, shm_queue_slots), 65536);
    check_accepted("BP_SHM_RING_SLOTS=4", offsetof(bpi_config_t, shm_ring_slots), 4);
    check_accepted("BP_SHM_RING_SLOTS=1024", offsetof(bpi_config_t, shm_ring_slots), 1024);
    check_accepted("BP_SHM_MAX_RINGS=0", offsetof(bpi_config_t, shm_max_rings), 0);
    check_accepted("BP_SHM_MAX_RINGS=1024", offsetof(bpi_config_t, shm_max_rings), 1024);
    check_accepted("BP_SHM_RING_THRESH=0", offsetof(bpi_config_t, shm_ring_thresh), 0);
    check_accepted("BP_SHM_RING_THRESH=1073741824", offsetof(bpi_config_t, shm_ring_thresh),
                   1ull << 30);
    check_accepted("BP_SHM_CMA=auto", offsetof(bpi_config_t, shm_cma), BPI_SHM_CMA_AUTO);
    check_accepted("BP_SHM_CMA=on", offsetof(bpi_config_t, shm_cma), BPI_SHM_CMA_ON);
    check_accepted("BP_SHM_CMA=off", offsetof(bpi_config_t, shm_cma), BPI_SHM_CMA_OFF);
    check_accepted("BP_RNDV_THRESH=1024", offsetof(bpi_config_t, rndv_thresh), 1024);
    check_accepted("BP_RNDV_THRESH=64k", offsetof(bpi_config_t, rndv_thresh), 65536);
    check_accepted("BP_RNDV_LANE=auto", offsetof(bpi_config_t, rndv_lane), BPI_RNDV_LANE_AUTO);
    check_accepted("BP_RNDV_LANE=on", offsetof(bpi_config_t, rndv_lane), BPI_RNDV_LANE_ON);
    check_accepted("BP_RNDV_LANE=off", offsetof(bpi_config_t, rndv_lane), BPI_RNDV_LANE_OFF);
    check_refused("BP_RNDV_LANE=tcp", "accepted: auto on off");
    check_accepted("BP_TRANSPORTS=auto", offsetof(bpi_config_t, transports), 0);
    check_accepted("BP_TRANSPORTS=shm", offsetof(bpi_config_t, transports), 1);
    check_accepted("BP_BOOT=bprun", offsetof(bpi_config_t, boot), BPI_BOOT_BPRUN);
    check_accepted("BP_BOOT=singleton", offsetof(bpi_config_t, boot), BPI_BOOT_SINGLETON);
    check_refused("BP_TRANSPORTS=shm,shm", "comma list of distinct names of: shm");
    check_refused("BP_TRANSPORTS=carrier-pigeon", "comma list of distinct names of: shm");
    check_refused("BP_TRANSPORTS=", "comma list of distinct names");
    check_refused("BP_TRANSPORTS=shm,", "empty name after the last comma");
    check_refused("BP_BOOT=slurm", "accepted: auto pmix pmi2 pmi1 bprun singleton");

    /* all of them at once, among foreign variables */
    {
        char *envp[] = {"HOME=/root",
                        "BP_LOG_LEVEL=info",
                        "BP_PROGRESS=spin",
                        "BP_SHM_SLOT_SIZE=1024",
                        "BP_SHM_QUEUE_SLOTS=512",
                        "BP_SHM_RING_SLOTS=32",
                        "BP_SHM_MAX_RINGS=3",
                        "BP_SHM_RING_THRESH=100",
                        "TERM=dumb",
                        NULL};
        bpi_config_t cfg;
        char err[ERRLEN];

        UNIT_CHECK_EQ(bpi_config_parse(envp, &cfg, err, sizeof(err)), BP_OK);
        UNIT_CHECK_EQ_U(cfg.log_level, BPI_LOG_INFO);
        UNIT_CHECK_EQ_U(cfg.progress, BPI_PROGRESS_SPIN);
        UNIT_CHECK_EQ_U(cfg.shm_slot_size, 1024);
        UNIT_CHECK_EQ_U(cfg.shm_queue_slots, 512);
        UNIT_CHECK_EQ_U(cfg.shm_ring_slots, 32);
        UNIT_CHECK_EQ_U(cfg.shm_max_rings, 3);
        UNIT_CHECK_EQ_U(cfg.shm_ring_thresh, 100);
    }
}

static void config_unknown_variable(void)
{
    static const char *const unknown[] = {"BP_FOO=1", "BP_LOG_LEVELX=warn", "BP_LOG=warn",
                                          "BP_=1", "BP_SHM_SLOT_SIZE_=256"};
    bpi_config_t cfg;
    char err[ERRLEN];

    for (size_t k = 0; k < sizeof(unknown) / sizeof(unknown[0]); k++) {
        check_refused(unknown[k], "unknown variable");
        /* the message lists every accepted name */
        UNIT_CHECK_EQ(parse1(unknown[k], &cfg, err), BP_ERR_CONFIG);
        UNIT_CHECK_STR_HAS(err, "accepted:");
        for (size_t i = 0; i < bpi_config_nvars; i++) {
            UNIT_CHECK_STR_HAS(err, bpi_config_vars[i].name);
        }
    }

    /* refused even when every other variable is good */
    {
        char *envp[] = {"BP_LOG_LEVEL=info", "BP_FOO=1", "BP_PROGRESS=spin", NULL};
        UNIT_CHECK_EQ(bpi_config_parse(envp, &cfg, err, sizeof(err)), BP_ERR_CONFIG);
        UNIT_CHECK_STR_HAS(err, "BP_FOO");
    }
}

static void config_bad_enum_value(void)
{
    check_refused("BP_LOG_LEVEL=verbose", "accepted: error warn info debug");
    check_refused("BP_LOG_LEVEL=", "accepted: error warn info debug");
    check_refused("BP_LOG_LEVEL=warn ", "accepted: error warn info debug");
    check_refused("BP_PROGRESS=fast", "accepted: auto spin block");
    check_refused("BP_PROGRESS=1", "accepted: auto spin block");
}

static void config_bad_number(void)
{
    /* not a number */
    check_refused("BP_SHM_SLOT_SIZE=abc", "an integer in [128, 65536]");
    check_refused("BP_SHM_SLOT_SIZE=", "an integer in [128, 65536]");
    check_refused("BP_SHM_SLOT_SIZE=-256", "an integer in [128, 65536]");
    check_refused("BP_SHM_SLOT_SIZE= 256", "an integer in [128, 65536]");
    check_refused("BP_SHM_SLOT_SIZE=+256", "an integer in [128, 65536]");
    check_refused("BP_SHM_SLOT_SIZE=256x", "an integer in [128, 65536]");
    check_refused("BP_SHM_SLOT_SIZE=0x100", "an integer in [128, 65536]");
    check_refused("BP_SHM_SLOT_SIZE=1kk", "an integer in [128, 65536]");
    check_refused("BP_SHM_RING_THRESH=99999999999999999999999", "an integer in [0, 1073741824]");

    /* out of range */
    check_refused("BP_SHM_SLOT_SIZE=64", "an integer in [128, 65536]");
    check_refused("BP_SHM_SLOT_SIZE=65600", "an integer in [128, 65536]");
    check_refused("BP_SHM_QUEUE_SLOTS=2", "an integer in [4, 65536]");
    check_refused("BP_SHM_QUEUE_SLOTS=131072", "an integer in [4, 65536]");
    check_refused("BP_SHM_RING_SLOTS=0", "an integer in [4, 65536]");
    check_refused("BP_SHM_MAX_RINGS=1025", "an integer in [0, 1024]");
    check_refused("BP_SHM_RING_THRESH=1073741825", "an integer in [0, 1073741824]");

    /* not a power of two, not a multiple of 64 */
    check_refused("BP_SHM_QUEUE_SLOTS=100", "a power of two");
    check_refused("BP_SHM_RING_SLOTS=96", "a power of two");
    check_refused("BP_SHM_SLOT_SIZE=100", "a multiple of 64");
    check_refused("BP_SHM_SLOT_SIZE=200", "a multiple of 64");
}

static void config_suffix(void)
{
    check_accepted("BP_SHM_SLOT_SIZE=1k", offsetof(bpi_config_t, shm_slot_size), 1024);
    check_accepted("BP_SHM_SLOT_SIZE=64K", offsetof(bpi_config_t, shm_slot_size), 65536);
    check_accepted("BP_SHM_QUEUE_SLOTS=4k", offsetof(bpi_config_t, shm_queue_slots), 4096);
    check_accepted("BP_SHM_RING_THRESH=1m", offsetof(bpi_config_t, shm_ring_thresh), 1u << 20);
    check_accepted("BP_SHM_RING_THRESH=1024M", offsetof(bpi_config_t, shm_ring_thresh),
                   1u << 30);
    /* the suffix counts for the range and the other rules */
    check_refused("BP_SHM_SLOT_SIZE=65k", "an integer in [128, 65536]");
    check_refused("BP_SHM_QUEUE_SLOTS=1m", "an integer in [4, 65536]");
    check_refused("BP_SHM_RING_THRESH=1025m", "an integer in [0, 1073741824]");
    check_refused("BP_SHM_SLOT_SIZE=k", "an integer in [128, 65536]");
    check_refused("BP_SHM_SLOT_SIZE=1g", "an integer in [128, 65536]");
}

static void config_foreign_ignored(void)
{
    char *envp[] = {"BPX=1",     "PATH=/bin", "BP=1",      "bp_log_level=debug", "XBP_FOO=1",
                    "B=P_FOO",   "BPFOO=2",   "_BP_FOO=1", "LD_PRELOAD=BP_FOO=1", "Bp_LOG=x",
                    NULL};
    bpi_config_t cfg;
    char err[ERRLEN];

    err[0] = '\0';
    UNIT_CHECK_EQ(bpi_config_parse(envp, &cfg, err, sizeof(err)), BP_OK);
    check_defaults(&cfg);
    UNIT_CHECK_STR_EQ(err, "");
}

/* A short error buffer gets a truncated, terminated message and nothing past its end. */
static void config_short_error_buffer(void)
{
    char *envp[] = {"BP_FOO=1", NULL};
    char *envp2[] = {"BP_PROGRESS=fast", NULL};
    bpi_config_t cfg;
    char buf[24];

    memset(buf, 0x5a, sizeof(buf));
    UNIT_CHECK_EQ(bpi_config_parse(envp, &cfg, buf, 16), BP_ERR_CONFIG);
    UNIT_CHECK_EQ(strlen(buf), 15);
    for (size_t i = 16; i < sizeof(buf); i++) {
        UNIT_CHECK_EQ(buf[i], 0x5a);
    }
    memset(buf, 0x5a, sizeof(buf));
    UNIT_CHECK_EQ(bpi_config_parse(envp2, &cfg, buf, 16), BP_ERR_CONFIG);
    UNIT_CHECK_EQ(strlen(buf), 15);
    for (size_t i = 16; i < sizeof(buf); i++) {
        UNIT_CHECK_EQ(buf[i], 0x5a);
    }
}

static void config_getenv(void)
{
    char *envp[] = {"BP_LOG_LEVELX=info", "BP_LOG=x", "PATH=/bin", "BP_LOG_LEVEL=debug",
                    "BP_PROGRESS=", NULL};

    UNIT_CHECK_STR_EQ(bpi_config_getenv(envp, "BP_LOG_LEVEL"), "debug");
    UNIT_CHECK_STR_EQ(bpi_config_getenv(envp, "BP_LOG_LEVELX"), "info");
    UNIT_CHECK_STR_EQ(bpi_config_getenv(envp, "BP_LOG"), "x");
    UNIT_CHECK_STR_EQ(bpi_config_getenv(envp, "PATH"), "/bin");
    UNIT_CHECK_STR_EQ(bpi_config_getenv(envp, "BP_PROGRESS"), "");
    UNIT_CHECK_NULL(bpi_config_getenv(envp, "BP_SHM_SLOT_SIZE"));
    UNIT_CHECK_NULL(bpi_config_getenv(envp, "BP_LOG_LEV"));
    UNIT_CHECK_NULL(bpi_config_getenv(envp, "BP"));
    UNIT_CHECK_NULL(bpi_config_getenv(NULL, "BP_LOG_LEVEL"));
}

int main(void)
{
    UNIT_RUN(config_defaults_when_empty);
    UNIT_RUN(config_each_variable_accepted);
    UNIT_RUN(config_unknown_variable);
    UNIT_RUN(config_bad_enum_value);
    UNIT_RUN(config_bad_number);
    UNIT_RUN(config_suffix);
    UNIT_RUN(config_foreign_ignored);
    UNIT_RUN(config_short_error_buffer);
    UNIT_RUN(config_getenv);
    return 0;
}
