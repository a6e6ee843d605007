/*
 * boot_env_malformed.c - the rank side rejects every malformed BPRUN_* value with
 * BP_ERR_BOOT (and a log line), and accepts a well-formed environment.
 */
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include "boot/boot.h"
#include "boot_test.h"

static char fd_str[16];

static void env_good(void)
{
    setenv("BPRUN_RANK", "1", 1);
    setenv("BPRUN_SIZE", "2", 1);
    setenv("BPRUN_JOBKEY", "0123456789abcDEF", 1);
    setenv("BPRUN_FD", fd_str, 1);
}

static void expect_boot_error(const char *name, const char *value)
{
    bpi_boot_t *boot = NULL;

    env_good();
    if (value == NULL) {
        unsetenv(name);
    } else {
        setenv(name, value, 1);
    }
    fprintf(stderr, "expect an error for %s=%s:\n", name, value == NULL ? "(unset)" : value);
    BOOT_CHECK_EQ(bpi_boot_open(&boot), BP_ERR_BOOT);
    BOOT_CHECK(boot == NULL);
}

int main(void)
{
    static const char *const bad_int[] = { "", " 1", "1 ", "+1", "-1", "1x", "0x1", "abc",
                                           "99999999999999999999999" };
    bpi_boot_t *boot = NULL;
    char pipe_str[16];
    int sv[2], pfd[2];
    size_t i;

    BOOT_CHECK_EQ(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    snprintf(fd_str, sizeof(fd_str), "%d", sv[1]);

    env_good();
    BOOT_CHECK_EQ(bpi_boot_open(&boot), BP_OK);
    BOOT_CHECK_EQ(boot->rank, 1);
    BOOT_CHECK_EQ(boot->size, 2);
    BOOT_CHECK(boot->jobkey == 0x0123456789abcdefull);
    /* close() closes the fd: make a new pair for the rest. */
    boot->close(boot);
    BOOT_CHECK_EQ(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    snprintf(fd_str, sizeof(fd_str), "%d", sv[1]);

    for (i = 0; i < sizeof(bad_int) / sizeof(bad_int[0]); i++) {
        expect_boot_error("BPRUN_RANK", bad_int[i]);
        expect_boot_error("BPRUN_SIZE", bad_int[i]);
        expect_boot_error("BPRUN_FD", bad_int[i]);
    }
    expect_boot_error("BPRUN_RANK", NULL);
    expect_boot_error("BPRUN_SIZE", NULL);
    expect_boot_error("BPRUN_JOBKEY", NULL);
    expect_boot_error("BPRUN_RANK", "2");    /* rank >= size */
    expect_boot_error("BPRUN_SIZE", "0");
    expect_boot_error("BPRUN_SIZE", "4097");
    expect_boot_error("BPRUN_JOBKEY", "");
    expect_boot_error("BPRUN_JOBKEY", "0123456789abcde");   /* 15 digits */
    expect_boot_error("BPRUN_JOBKEY", "0123456789abcdef0"); /* 17 digits */
    expect_boot_error("BPRUN_JOBKEY", "0123456789abcdeg");
    expect_boot_error("BPRUN_JOBKEY", "0x23456789abcdef");
    expect_boot_error("BPRUN_FD", "999");  /* not open */
    BOOT_CHECK_EQ(pipe(pfd), 0);
    snprintf(pipe_str, sizeof(pipe_str), "%d", pfd[0]);
    expect_boot_error("BPRUN_FD", pipe_str); /* not a socket */
    close(sv[0]);
    close(sv[1]);
    return 0;
}
