/*
 * bp-info - what this bypass is and how it is configured here (as ucx_info / fi_info):
 * library and protocol versions, the transports built in and whether each can work on this
 * machine, and every BP_* variable with its default and its current value.
 *
 *   bp-info          everything
 *   bp-info -c       the variables only, as NAME=value lines (ready to paste in a shell)
 *
 * Exit status 1 when the current BP_* environment is invalid (the line says why).
 */
#include <stdio.h>
#include <string.h>

#include "bypass.h"
#include "core/config.h"
#include "core/core.h"
#include "transport/transport.h"

extern char **environ;

static void usage(FILE *out)
{
    fprintf(out, "usage: bp-info [-c] [-h]\n"
                 "  -c  print the configuration only (NAME=value)\n");
}

static void info_config(int shell)
{
    if (!shell) {
        printf("\n# Configuration (environment variables)\n");
        printf("# %-22s %-10s %-10s %s\n", "variable", "default", "current", "meaning");
    }
    for (size_t i = 0; i < bpi_config_nvars; i++) {
        const bpi_config_var_t *var = &bpi_config_vars[i];
        const char *cur = bpi_config_getenv(environ, var->name);
        if (shell) {
            printf("%s=%s\n", var->name, cur != NULL ? cur : var->defval);
            continue;
        }
        printf("  %-22s %-10s %-10s %s", var->name, var->defval, cur != NULL ? cur : "-",
               var->help);
        if (var->kind == BPI_CONFIG_ENUM) {
            printf(" [");
            for (size_t c = 0; var->choices[c] != NULL; c++) {
                printf("%s%s", c > 0 ? "|" : "", var->choices[c]);
            }
            printf("]");
        }
        printf("\n");
    }
}

int main(int argc, char **argv)
{
    int major, minor, patch, protocol;
    bpi_config_t cfg;
    char err[1024];
    int shell = 0;
    int valid = 1;

    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "-c") == 0) {
            shell = 1;
        } else if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
            usage(stdout);
            return 0;
        } else {
            fprintf(stderr, "bp-info: unknown argument '%s'\n", argv[i]);
            usage(stderr);
            return 2;
        }
    }

    if (shell) {
        info_config(1);
        return 0;
    }
    bp_version(&major, &minor, &patch, &protocol);
    printf("# bypass %d.%d.%d, wire protocol version %d\n", major, minor, patch, protocol);

    if (bpi_config_parse(environ, &cfg, err, sizeof(err)) != BP_OK) {
        printf("# configuration: INVALID: %s\n", err);
        valid = 0;
        memset(&cfg, 0, sizeof(cfg));
        bpi_config_parse(NULL, &cfg, err, sizeof(err)); /* defaults, to query transports */
    } else {
        printf("# configuration: valid\n");
    }

    printf("\n# Transports (in order of preference)\n");
    for (size_t i = 0; i < bpi_tl_count; i++) {
        char why[256] = "";
        bp_status_t st = bpi_tl_all[i]->query(&cfg, why, sizeof(why));
        printf("  %-6s %-13s %s\n", bpi_tl_all[i]->name, st == BP_OK ? "available" : "unavailable",
               why);
        if (st == BP_OK && cfg.shm_slot_size != 0) {
            char info[1024];
            bpi_tl_all[i]->info(&cfg, info, sizeof(info));
            /* one line per line of info, each under the transport's name */
            for (char *line = info, *nl; line[0] != '\0'; line = nl + 1) {
                nl = strchr(line, '\n');
                if (nl != NULL) {
                    *nl = '\0';
                }
                printf("  %-6s %s\n", bpi_tl_all[i]->name, line);
                if (nl == NULL) {
                    break;
                }
            }
        }
    }
    printf("  rendezvous above %llu bytes (BP_RNDV_THRESH)\n",
           (unsigned long long)cfg.rndv_thresh);
    if (cfg.shm_slot_size != 0) {
        unsigned long long q = cfg.shm_queue_slots * cfg.shm_slot_size;
        unsigned long long r = cfg.shm_ring_slots * cfg.shm_slot_size;
        printf("  shm    segment per process: 4096 + %llu (queue) + %llu x %llu (fast rings)"
               " = %llu bytes, touched as used\n",
               q + 128, (unsigned long long)cfg.shm_max_rings, r + 128,
               4096 + q + 128 + cfg.shm_max_rings * (r + 128));
    }
    {
        char progress[2048];
        bpi_progress_describe(&cfg, progress, sizeof(progress));
        printf("\n# Progress (BP_PROGRESS; BP_LOG_LEVEL=debug logs each rank's choice and why)\n"
               "%s", progress);
    }
    info_config(0);
    return valid ? 0 : 1;
}
