/*
 * boot_bprun_cloexec.c - started by bprun: the rank inherits BPRUN_FD without FD_CLOEXEC
 * (else it would not have it), and the bootstrap sets FD_CLOEXEC so that the user's own
 * children do not inherit the connection to bprun.
 */
#include <fcntl.h>
#include <stdlib.h>

#include "boot/boot.h"
#include "boot_test.h"

int main(void)
{
    bpi_boot_t *boot = NULL;
    const char *fd_env = getenv("BPRUN_FD");
    int fd;

    BOOT_CHECK(fd_env != NULL);
    fd = atoi(fd_env);
    BOOT_CHECK_EQ(fcntl(fd, F_GETFD) & FD_CLOEXEC, 0);
    BOOT_CHECK_EQ(bpi_boot_open(&boot), BP_OK);
    BOOT_CHECK_EQ(fcntl(fd, F_GETFD) & FD_CLOEXEC, FD_CLOEXEC);
    BOOT_CHECK_EQ(boot->allgather(boot, NULL, 0, NULL), BP_OK);
    boot->close(boot);
    return 0;
}
