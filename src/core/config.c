/* config.c - the table of BP_* variables and its strict parser. */
#include "core/config.h"
#include "transport/transport.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const config_levels[] = {"error", "warn", "info", "debug", NULL};
static const char *const config_progress[] = {"auto", "spin", "block", "adaptive", NULL};
static const char *const config_auto_on_off[] = {"auto", "on", "off", NULL};
static const char *const config_boot[] = {"auto",  "pmix",      "pmi2", "pmi1",
                                          "bprun", "singleton", NULL};

#define CFG_OFF(field) offsetof(bpi_config_t, field)

const bpi_config_var_t bpi_config_vars[] = {
    {"BP_LOG_LEVEL", "warn", "what the library logs on stderr", BPI_CONFIG_ENUM,
     config_levels, 0, 0, 0, CFG_OFF(log_level)},
    {"BP_PROGRESS", "auto",
     "spin: poll (lowest latency); block: sleep on a futex when idle; adaptive: spin as long "
     "as recent waits needed (none when cores are shared), yield, then sleep; auto: spin when "
     "every local rank has its own CPU, else adaptive",
     BPI_CONFIG_ENUM, config_progress, 0, 0, 0, CFG_OFF(progress)},
    {"BP_SHM_SLOT_SIZE", "256", "bytes per shm ring slot (40 of them header)", BPI_CONFIG_UINT,
     NULL, 128, 65536, BPI_CONFIG_MUL64, CFG_OFF(shm_slot_size)},
    {"BP_SHM_QUEUE_SLOTS", "256", "slots of each process's shared shm receive queue",
     BPI_CONFIG_UINT, NULL, 4, 65536, BPI_CONFIG_POW2, CFG_OFF(shm_queue_slots)},
    {"BP_SHM_RING_SLOTS", "128", "slots of each per-sender shm fast ring", BPI_CONFIG_UINT,
     NULL, 4, 65536, BPI_CONFIG_POW2, CFG_OFF(shm_ring_slots)},
    {"BP_SHM_MAX_RINGS", "8", "per-sender fast rings a process hands out (0: queue only)",
     BPI_CONFIG_UINT, NULL, 0, 1024, 0, CFG_OFF(shm_max_rings)},
    {"BP_SHM_RING_THRESH", "16", "messages sent to a peer before asking it for a fast ring",
     BPI_CONFIG_UINT, NULL, 0, 1u << 30, 0, CFG_OFF(shm_ring_thresh)},
    {"BP_SHM_CMA", "auto",
     "rendezvous bulk copy with process_vm_readv (one copy): auto: where a start-up probe "
     "shows it works, else stream through the rings",
     BPI_CONFIG_ENUM, config_auto_on_off, 0, 0, 0, CFG_OFF(shm_cma)},
    {"BP_RNDV_THRESH", "64k",
     "messages of at least this many bytes use the rendezvous protocol", BPI_CONFIG_UINT, NULL,
     1024, 1ull << 40, 0, CFG_OFF(rndv_thresh)},
    {"BP_RNDV_COOP", "64k",
     "rendezvous messages of at least this many bytes are copied by both sides, half each "
     "(the sender writes while the receiver reads), where the bulk path allows it",
     BPI_CONFIG_UINT, NULL, 1024, 1ull << 40, 0, CFG_OFF(rndv_coop)},
    {"BP_RNDV_LANE", "auto",
     "rendezvous data to a peer reached over xdp travels over tcp (a bulk lane) when tcp "
     "reaches it too: auto: where xdp runs in copy mode (kernel TCP moves bulk data with "
     "fewer copies); on: also in zero-copy mode; off: never (no tcp connection for it). "
     "Set the same value on every rank",
     BPI_CONFIG_ENUM, config_auto_on_off, 0, 0, 0, CFG_OFF(rndv_lane)},
    {"BP_TRANSPORTS", "auto",
     "transports to use, in order of preference (a comma list, e.g. shm,tcp); for each peer "
     "the first one both sides have that reaches it (shm: same host only)",
     BPI_CONFIG_TLLIST, NULL, 0, 0, 0, CFG_OFF(transports)},
    {"BP_TCP_IF", "lo",
     "the network interface the tcp transport listens on (its first IPv4 address); set it "
     "to the interface that reaches the other hosts",
     BPI_CONFIG_IFNAME, NULL, 0, 0, 0, CFG_OFF(tcp_if)},
    {"BP_XDP_IFACE", "auto",
     "the Ethernet interface the xdp transport uses between hosts; auto: the one interface "
     "that is up, not loopback, and carries an IPv4 address (none or several: xdp is not "
     "used unless named here)",
     BPI_CONFIG_IFNAME, NULL, 0, 0, 0, CFG_OFF(xdp_if)},
    {"BP_BOOT", "auto",
     "how to learn rank, size and peers: auto tries pmix, pmi2/pmi1, bprun, then singleton",
     BPI_CONFIG_ENUM, config_boot, 0, 0, 0, CFG_OFF(boot)},
};
const size_t bpi_config_nvars = sizeof(bpi_config_vars) / sizeof(bpi_config_vars[0]);

const char *bpi_config_getenv(char *const *envp, const char *name)
{
    size_t nlen = strlen(name);

    for (char *const *e = envp; e != NULL && *e != NULL; e++) {
        if (strncmp(*e, name, nlen) == 0 && (*e)[nlen] == '=') {
            return *e + nlen + 1;
        }
    }
    return NULL;
}

static int config_parse_uint(const char *s, uint64_t *val_p)
{
    char *end;
    unsigned long long v;

    if (*s < '0' || *s > '9') {
        return -1;
    }
    errno = 0;
    v = strtoull(s, &end, 10);
    if (errno != 0) {
        return -1;
    }
    if (*end == 'k' || *end == 'K' || *end == 'm' || *end == 'M') {
        unsigned shift = (*end == 'k' || *end == 'K') ? 10 : 20;
        if (v > (UINT64_MAX >> shift)) {
            return -1; /* would overflow */
        }
        v <<= shift;
        end++;
    }
    if (*end != '\0') {
        return -1;
    }
    *val_p = v;
    return 0;
}

static bp_status_t config_set(const bpi_config_var_t *var, const char *value, bpi_config_t *cfg,
                              char *err, size_t errlen)
{
    uint64_t *field = (uint64_t *)((char *)cfg + var->offset);
    uint64_t v;

    if (var->kind == BPI_CONFIG_IFNAME) {
        char *name = (char *)cfg + var->offset;
        size_t len = strlen(value);
        int ok = len > 0 && len < 16;
        for (size_t i = 0; ok && i < len; i++) {
            char c = value[i];
            ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                 c == '-' || c == '_' || c == '.' || c == '@';
        }
        if (!ok) {
            snprintf(err, errlen, "%s=%s: invalid value; accepted: a network interface name "
                     "(1 to 15 letters, digits, '-', '_', '.')", var->name, value);
            return BP_ERR_CONFIG;
        }
        memcpy(name, value, len + 1);
        return BP_OK;
    }
    if (var->kind == BPI_CONFIG_TLLIST) {
        /* "auto" (every transport built in), or up to 8 names, each once */
        const char *p = value;
        uint64_t list = 0;
        unsigned n = 0;
        if (strcmp(value, "auto") == 0) {
            *field = 0;
            return BP_OK;
        }
        do {
            const char *end = strchr(p, ',');
            size_t len = end != NULL ? (size_t)(end - p) : strlen(p);
            size_t idx = bpi_tl_count;
            for (size_t i = 0; i < bpi_tl_count; i++) {
                if (strlen(bpi_tl_all[i]->name) == len &&
                    strncmp(bpi_tl_all[i]->name, p, len) == 0) {
                    idx = i;
                }
            }
            for (unsigned k = 0; k < n && idx < bpi_tl_count; k++) {
                if (((list >> (8 * k)) & 0xff) == idx + 1) {
                    idx = bpi_tl_count; /* named twice */
                }
            }
            if (len == 0 || idx == bpi_tl_count || n == 8) {
                size_t off = (size_t)snprintf(err, errlen,
                                              "%s=%s: unknown value; accepted: auto, or a "
                                              "comma list of distinct names of:",
                                              var->name, value);
                for (size_t i = 0; i < bpi_tl_count && off < errlen; i++) {
                    off += (size_t)snprintf(err + off, errlen - off, " %s",
                                            bpi_tl_all[i]->name);
                }
                return BP_ERR_CONFIG;
            }
            list |= (uint64_t)(idx + 1) << (8 * n++);
            p = end != NULL ? end + 1 : p + len;
            if (end != NULL && *p == '\0') {
                snprintf(err, errlen, "%s=%s: empty name after the last comma", var->name,
                         value);
                return BP_ERR_CONFIG;
            }
        } while (*p != '\0');
        *field = list;
        return BP_OK;
    }
    if (var->kind == BPI_CONFIG_ENUM) {
        size_t off = 0;
        for (size_t i = 0; var->choices[i] != NULL; i++) {
            if (strcmp(value, var->choices[i]) == 0) {
                *field = i;
                return BP_OK;
            }
        }
        off += (size_t)snprintf(err, errlen, "%s=%s: unknown value; accepted:", var->name,
                                value);
        for (size_t i = 0; var->choices[i] != NULL && off < errlen; i++) {
            off += (size_t)snprintf(err + off, errlen - off, " %s", var->choices[i]);
        }
        return BP_ERR_CONFIG;
    }

    if (config_parse_uint(value, &v) != 0 || v < var->min || v > var->max ||
        ((var->flags & BPI_CONFIG_POW2) && (v & (v - 1)) != 0) ||
        ((var->flags & BPI_CONFIG_MUL64) && (v % 64) != 0)) {
        snprintf(err, errlen, "%s=%s: invalid value; accepted: an integer in [%llu, %llu]%s%s",
                 var->name, value, (unsigned long long)var->min, (unsigned long long)var->max,
                 (var->flags & BPI_CONFIG_POW2) ? ", a power of two" : "",
                 (var->flags & BPI_CONFIG_MUL64) ? ", a multiple of 64" : "");
        return BP_ERR_CONFIG;
    }
    *field = v;
    return BP_OK;
}

bp_status_t bpi_config_parse(char *const *envp, bpi_config_t *cfg, char *err, size_t errlen)
{
    bp_status_t status;

    memset(cfg, 0, sizeof(*cfg));
    for (size_t i = 0; i < bpi_config_nvars; i++) {
        status = config_set(&bpi_config_vars[i], bpi_config_vars[i].defval, cfg, err, errlen);
        if (status != BP_OK) {
            return status; /* a bad default is a bug, but say so rather than crash */
        }
    }

    for (char *const *e = envp; e != NULL && *e != NULL; e++) {
        const char *eq;
        const bpi_config_var_t *var = NULL;

        if (strncmp(*e, "BP_", 3) != 0) {
            continue;
        }
        eq = strchr(*e, '=');
        if (eq == NULL) {
            continue;
        }
        for (size_t i = 0; i < bpi_config_nvars; i++) {
            size_t nlen = strlen(bpi_config_vars[i].name);
            if ((size_t)(eq - *e) == nlen && strncmp(*e, bpi_config_vars[i].name, nlen) == 0) {
                var = &bpi_config_vars[i];
                break;
            }
        }
        if (var == NULL) {
            size_t off = (size_t)snprintf(err, errlen, "unknown variable %.*s; accepted:",
                                          (int)(eq - *e), *e);
            for (size_t i = 0; i < bpi_config_nvars && off < errlen; i++) {
                off += (size_t)snprintf(err + off, errlen - off, " %s",
                                        bpi_config_vars[i].name);
            }
            return BP_ERR_CONFIG;
        }
        status = config_set(var, eq + 1, cfg, err, errlen);
        if (status != BP_OK) {
            return status;
        }
    }
    return BP_OK;
}
