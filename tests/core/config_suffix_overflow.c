/*
 * config_suffix_overflow.c - a BP_* number whose k/m suffix takes it past 64 bits is refused
 * with BP_ERR_CONFIG, not wrapped around into the accepted range: (2^44 + 1) MiB is
 * 2^64 + 2^20 bytes, which a plain shift turns into 2^20.
 */
#include <string.h>

#include "core/config.h"
#include "unit.h"

static void check_refused(const char *var)
{
    char *envp[2] = {(char *)var, NULL};
    bpi_config_t cfg;
    char err[512];

    fprintf(stderr, "   %s\n", var);
    err[0] = '\0';
    memset(&cfg, 0, sizeof(cfg));
    if (bpi_config_parse(envp, &cfg, err, sizeof(err)) == BP_OK) {
        fprintf(stderr, "   accepted: shm_ring_thresh %llu, shm_max_rings %llu\n",
                (unsigned long long)cfg.shm_ring_thresh, (unsigned long long)cfg.shm_max_rings);
    }
    UNIT_CHECK_EQ(bpi_config_parse(envp, &cfg, err, sizeof(err)), BP_ERR_CONFIG);
    UNIT_CHECK_STR_HAS(err, "invalid value");
}

static void config_suffix_m_overflow(void)
{
    check_refused("BP_SHM_RING_THRESH=17592186044417m"); /* wraps to 2^20 */
    check_refused("BP_SHM_RING_THRESH=17592186044416m"); /* wraps to 0 */
}

static void config_suffix_k_overflow(void)
{
    check_refused("BP_SHM_MAX_RINGS=18014398509481984k"); /* 2^54 KiB wraps to 0 */
    check_refused("BP_SHM_RING_SLOTS=18014398509481985k"); /* wraps to 1024 */
}

int main(void)
{
    UNIT_RUN(config_suffix_m_overflow);
    UNIT_RUN(config_suffix_k_overflow);
    return 0;
}
