/* status.c - names of status codes and the version query. */
#include "bypass.h"
#include "transport/wire.h"

const char *bp_strerror(bp_status_t status)
{
    switch (status) {
    case BP_OK:           return "success";
    case BP_INPROGRESS:   return "operation in progress";
    case BP_ERR_INVAL:    return "invalid argument";
    case BP_ERR_NOMEM:    return "out of memory";
    case BP_ERR_SYS:      return "system call failed";
    case BP_ERR_TRUNC:    return "message truncated: receive buffer too short";
    case BP_ERR_CANCELED: return "request cancelled";
    case BP_ERR_VERSION:  return "protocol version mismatch between peers";
    case BP_ERR_CONFIG:   return "invalid configuration (BP_* environment variable)";
    case BP_ERR_PEER:     return "peer failed or went away";
    case BP_ERR_AGAIN:    return "resources temporarily unavailable";
    case BP_ERR_NOTSUP:   return "not supported";
    case BP_ERR_BOOT:     return "bootstrap (launcher) failure";
    case BP_ERR_STATE:    return "invalid state for this call";
    case BP_ERR_PROTO:    return "malformed or foreign data received";
    }
    return "unknown status code";
}

bp_status_t bp_version(int *major_p, int *minor_p, int *patch_p, int *protocol_p)
{
    if (major_p != NULL) {
        *major_p = BP_VERSION_MAJOR;
    }
    if (minor_p != NULL) {
        *minor_p = BP_VERSION_MINOR;
    }
    if (patch_p != NULL) {
        *patch_p = BP_VERSION_PATCH;
    }
    if (protocol_p != NULL) {
        *protocol_p = BPI_WIRE_VERSION;
    }
    return BP_OK;
}
