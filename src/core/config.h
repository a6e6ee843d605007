/*
 * config.h - every BP_* environment variable, in one table, validated at bp_init: an unknown
 * BP_ variable or an unknown value is BP_ERR_CONFIG with a message that lists what is
 * accepted. Pure (no global state): parse from an environment array into a struct.
 */
#ifndef BPI_CONFIG_H
#define BPI_CONFIG_H

#include <stddef.h>
#include <stdint.h>

#include "bypass.h"
#include "core/log.h"

typedef enum bpi_progress_mode {
    BPI_PROGRESS_AUTO = 0, /* spin when every local rank has a core of its own, else adaptive */
    BPI_PROGRESS_SPIN = 1,
    BPI_PROGRESS_BLOCK = 2,
    BPI_PROGRESS_ADAPTIVE = 3, /* spin a learned while, yield a few times, then block */
} bpi_progress_mode_t;

typedef struct bpi_config {
    uint64_t log_level;       /* bpi_log_level_t */
    uint64_t progress;        /* bpi_progress_mode_t */
    uint64_t shm_slot_size;   /* bytes per ring slot, header included */
    uint64_t shm_queue_slots; /* slots of the shared receive queue of each process */
    uint64_t shm_ring_slots;  /* slots of each per-sender fast ring */
    uint64_t shm_max_rings;   /* fast rings a process hands out to its senders */
    uint64_t shm_ring_thresh; /* messages to a peer before asking it for a fast ring */
    uint64_t shm_cma;         /* bpi_shm_cma_mode_t: bulk path of rendezvous */
    uint64_t rndv_thresh;     /* messages of at least this many bytes use rendezvous */
    uint64_t rndv_coop;       /* ... and from this size on both sides copy, half each */
    uint64_t rndv_lane;       /* bpi_rndv_lane_mode_t: rendezvous data over a bulk lane */
    uint64_t transports;      /* BP_TRANSPORTS: registry index + 1 per byte, in order; 0: all */
    uint64_t boot;            /* bpi_boot_mode_t */
    char tcp_if[16];          /* BP_TCP_IF: the interface the tcp transport listens on */
    char xdp_if[16];          /* BP_XDP_IFACE: the interface of the xdp transport, or auto */
} bpi_config_t;

typedef enum bpi_boot_mode {
    BPI_BOOT_AUTO = 0,
    BPI_BOOT_PMIX = 1,
    BPI_BOOT_PMI2 = 2,
    BPI_BOOT_PMI1 = 3,
    BPI_BOOT_BPRUN = 4,
    BPI_BOOT_SINGLETON = 5,
} bpi_boot_mode_t;

typedef enum bpi_shm_cma_mode {
    BPI_SHM_CMA_AUTO = 0, /* use process_vm_readv where a probe at start-up shows it works */
    BPI_SHM_CMA_ON = 1,   /* require it: bp_init fails where it does not work */
    BPI_SHM_CMA_OFF = 2,  /* never: stream through the rings */
} bpi_shm_cma_mode_t;

typedef enum bpi_rndv_lane_mode {
    BPI_RNDV_LANE_AUTO = 0, /* where the peer's transport asks for it (xdp in copy mode) */
    BPI_RNDV_LANE_ON = 1,   /* for every peer of a transport that takes a lane (xdp) */
    BPI_RNDV_LANE_OFF = 2,  /* never: rendezvous data goes where the messages go */
} bpi_rndv_lane_mode_t;

typedef enum bpi_config_kind {
    BPI_CONFIG_ENUM,
    BPI_CONFIG_UINT,
    BPI_CONFIG_TLLIST, /* "auto", or a comma list of transport names from the registry */
    BPI_CONFIG_IFNAME, /* a network interface name (a char[16] field) */
} bpi_config_kind_t;

#define BPI_CONFIG_POW2 0x1u  /* value must be a power of two */
#define BPI_CONFIG_MUL64 0x2u /* value must be a multiple of 64 */

typedef struct bpi_config_var {
    const char *name;
    const char *defval;
    const char *help;
    bpi_config_kind_t kind;
    const char *const *choices; /* ENUM: NULL-terminated; the value is the index */
    uint64_t min, max;          /* UINT */
    unsigned flags;
    size_t offset; /* of the field in bpi_config_t (uint64_t; char[16] for IFNAME) */
} bpi_config_var_t;

extern const bpi_config_var_t bpi_config_vars[];
extern const size_t bpi_config_nvars;

/*
 * Fill *cfg from envp (a NULL-terminated "NAME=value" array, as environ). On error returns
 * BP_ERR_CONFIG and writes the reason (naming the variable and what is accepted) into err.
 */
bp_status_t bpi_config_parse(char *const *envp, bpi_config_t *cfg, char *err, size_t errlen);

/* The current value of a variable as written in envp, or NULL when unset. */
const char *bpi_config_getenv(char *const *envp, const char *name);

#endif
