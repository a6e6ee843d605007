/*
 * fuzz_config.c - the BP_* configuration parser (bpi_config_parse), as bp_init runs it on
 * the process environment. The input is cut at newlines into at most 64 NUL-terminated
 * "NAME=value" strings; the parser must accept them or say why (BP_ERR_CONFIG and a
 * message), and bpi_config_getenv must find each variable's value.
 */
#include <stdlib.h>
#include <string.h>

#include "core/config.h"
#include "fuzz.h"

#define FZ_ENV_MAX 64

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *copy = malloc(size + 1);
    char *envp[FZ_ENV_MAX + 1];
    size_t n = 0, start = 0;
    bpi_config_t cfg;
    char err[512];

    if (copy == NULL) {
        return 0;
    }
    memcpy(copy, data, size);
    copy[size] = '\0';
    for (size_t i = 0; i <= size && n < FZ_ENV_MAX; i++) {
        if (i == size || copy[i] == '\n') {
            copy[i] = '\0';
            envp[n++] = copy + start;
            start = i + 1;
        }
    }
    envp[n] = NULL;
    err[0] = '\0';
    if (bpi_config_parse(envp, &cfg, err, sizeof(err)) != BP_OK) {
        if (err[0] == '\0' || memchr(err, '\0', sizeof(err)) == NULL) {
            abort(); /* an error must say why, in a terminated string */
        }
    }
    for (size_t i = 0; i < bpi_config_nvars; i++) {
        (void)bpi_config_getenv(envp, bpi_config_vars[i].name);
    }
    free(copy);
    return 0;
}
