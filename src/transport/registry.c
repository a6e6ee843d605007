/* registry.c - the one list of transports; adding a transport adds one line here. */
#include "transport/transport.h"

#include <string.h>

const bpi_tl_ops_t *const bpi_tl_all[] = {
    &bpi_tl_shm,
#ifdef BP_HAVE_XDP
    &bpi_tl_xdp,
#endif
    &bpi_tl_tcp,
};
const size_t bpi_tl_count = sizeof(bpi_tl_all) / sizeof(bpi_tl_all[0]);

const bpi_tl_ops_t *bpi_tl_find(const char *name)
{
    for (size_t i = 0; i < bpi_tl_count; i++) {
        if (strcmp(bpi_tl_all[i]->name, name) == 0) {
            return bpi_tl_all[i];
        }
    }
    return NULL;
}

bp_status_t bpi_tl_notsup_wait(bpi_tl_iface_t *iface, int timeout_us)
{
    return BP_ERR_NOTSUP;
}

/* No descriptor to sleep on: be looked at again within BPI_TL_POLL_US. */
bp_status_t bpi_tl_notsup_wait_fd(bpi_tl_iface_t *iface, struct pollfd *pfd, int *timeout_us)
{
    pfd->fd = -1;
    pfd->events = 0;
    pfd->revents = 0;
    if (*timeout_us < 0 || *timeout_us > BPI_TL_POLL_US) {
        *timeout_us = BPI_TL_POLL_US;
    }
    return BP_OK;
}

void bpi_tl_notsup_wait_fd_done(bpi_tl_iface_t *iface)
{
}

void bpi_tl_notsup_may_sleep(bpi_tl_iface_t *iface, int on)
{
}

const bpi_wire_hdr_t *bpi_tl_notsup_peek(bpi_tl_ep_t *ep, const void **payload_p)
{
    return NULL;
}

void bpi_tl_notsup_consume(bpi_tl_ep_t *ep)
{
}

bp_status_t bpi_tl_notsup_ready(bpi_tl_iface_t *iface)
{
    return BP_OK;
}

bp_status_t bpi_tl_notsup_ep_check(bpi_tl_ep_t *ep)
{
    return BP_OK;
}

bp_status_t bpi_tl_notsup_ep_wake(bpi_tl_ep_t *ep)
{
    return BP_ERR_NOTSUP;
}

bp_status_t bpi_tl_notsup_bulk_get(bpi_tl_ep_t *ep, void *local, uint64_t remote_addr,
                                   size_t len)
{
    return BP_ERR_NOTSUP;
}

bp_status_t bpi_tl_notsup_bulk_put(bpi_tl_ep_t *ep, const void *local, uint64_t remote_addr,
                                   size_t len)
{
    return BP_ERR_NOTSUP;
}

bp_status_t bpi_tl_notsup_send_part(bpi_tl_ep_t *ep, const bpi_wire_hdr_t *hdr,
                                    const void *payload, size_t *done_p)
{
    return BP_ERR_NOTSUP;
}

int bpi_tl_notsup_bulk_lane(const bpi_tl_iface_t *iface)
{
    return 0;
}

int bpi_tl_notsup_sending(const bpi_tl_iface_t *iface)
{
    return 0;
}

void bpi_tl_notsup_info(const bpi_config_t *config, char *buf, size_t len)
{
    if (len > 0) {
        buf[0] = '\0';
    }
}
