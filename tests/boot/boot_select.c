/*
 * boot_select.c - bpi_boot_open's choice: BP_BOOT validated strictly (BP_ERR_CONFIG), a forced
 * bootstrap whose launcher is absent is BP_ERR_BOOT, auto follows the environment, and a PMI
 * server that answers garbage or hangs up fails the open (BP_ERR_BOOT), never hangs.
 */
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "boot/boot.h"
#include "boot_test.h"

static void env_clear(void)
{
    static const char *const names[] = { "BP_BOOT", "PMI_FD", "PMI_PORT", "PMI_ID", "PMI_RANK",
                                         "PMI_SIZE", "PMI_JOBID", "PMIX_RANK", "PMIX_NAMESPACE",
                                         "BPRUN_FD", "BPRUN_RANK", "BPRUN_SIZE",
                                         "BPRUN_JOBKEY" };
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        unsetenv(names[i]);
    }
}

static bp_status_t open_with(const char *boot_value, const char **name_p)
{
    bpi_boot_t *boot = NULL;
    bp_status_t status;

    if (boot_value != NULL) {
        setenv("BP_BOOT", boot_value, 1);
    } else {
        unsetenv("BP_BOOT");
    }
    fprintf(stderr, "BP_BOOT=%s:\n", boot_value != NULL ? boot_value : "(unset)");
    status = bpi_boot_open(&boot);
    if (status == BP_OK) {
        *name_p = boot->name;
        BOOT_CHECK(boot->size >= 1);
        boot->close(boot);
    } else {
        BOOT_CHECK(boot == NULL);
    }
    return status;
}

/* A PMI server that reads one request, answers reply (unless NULL), and hangs up. */
static pid_t fake_server(const char *reply, int *client_fd_p)
{
    int sv[2];
    pid_t pid;

    BOOT_CHECK_EQ(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    pid = fork();
    BOOT_CHECK(pid >= 0);
    if (pid == 0) {
        char buf[512];
        close(sv[0]);
        alarm(10);
        if (read(sv[1], buf, sizeof(buf)) > 0 && reply != NULL) {
            ssize_t w = write(sv[1], reply, strlen(reply));
            (void)w;
        }
        /* then hang up: a truncated reply ends in EOF, not in a wait */
        _exit(0);
    }
    close(sv[1]);
    *client_fd_p = sv[0];
    return pid;
}

static void expect_server_failure(const char *version, const char *reply)
{
    const char *name = NULL;
    char fd_str[16];
    int fd, wstatus;
    pid_t pid = fake_server(reply, &fd);

    snprintf(fd_str, sizeof(fd_str), "%d", fd);
    setenv("PMI_FD", fd_str, 1);
    setenv("PMI_RANK", "0", 1);
    setenv("PMI_SIZE", "1", 1);
    BOOT_CHECK_EQ(open_with(version, &name), BP_ERR_BOOT);
    close(fd);
    BOOT_CHECK_EQ(waitpid(pid, &wstatus, 0), pid);
    unsetenv("PMI_FD");
}

int main(void)
{
    const char *name = NULL;
    int sv[2], pfd[2];
    char fd_str[16];

    alarm(30);
    env_clear();
    BOOT_CHECK_EQ(open_with(NULL, &name), BP_OK);
    BOOT_CHECK(strcmp(name, "singleton") == 0);
    BOOT_CHECK_EQ(open_with("auto", &name), BP_OK);
    BOOT_CHECK(strcmp(name, "singleton") == 0);
    BOOT_CHECK_EQ(open_with("singleton", &name), BP_OK);

    /* unknown values */
    BOOT_CHECK_EQ(open_with("", &name), BP_ERR_CONFIG);
    BOOT_CHECK_EQ(open_with("pmi", &name), BP_ERR_CONFIG);
    BOOT_CHECK_EQ(open_with("PMI2", &name), BP_ERR_CONFIG);
    BOOT_CHECK_EQ(open_with("pmi2 ", &name), BP_ERR_CONFIG);

    /* forced, but the launcher is absent */
    BOOT_CHECK_EQ(open_with("pmi2", &name), BP_ERR_BOOT);
    BOOT_CHECK_EQ(open_with("pmi1", &name), BP_ERR_BOOT);
    BOOT_CHECK_EQ(open_with("bprun", &name), BP_ERR_BOOT);
    BOOT_CHECK(open_with("pmix", &name) == (bpi_boot_pmix_built() ? BP_ERR_BOOT : BP_ERR_NOTSUP));
    setenv("PMI_PORT", "127.0.0.1:1", 1); /* PMI_PORT alone (no PMI_ID) is not PMI */
    BOOT_CHECK_EQ(open_with("pmi2", &name), BP_ERR_BOOT);
    BOOT_CHECK_EQ(open_with(NULL, &name), BP_OK);
    BOOT_CHECK(strcmp(name, "singleton") == 0);

    /* PMI_PORT + PMI_ID: auto picks PMI; a refused or malformed port fails */
    setenv("PMI_ID", "0", 1);
    BOOT_CHECK_EQ(open_with(NULL, &name), BP_ERR_BOOT);
    setenv("PMI_PORT", "no-port-here", 1);
    BOOT_CHECK_EQ(open_with("pmi1", &name), BP_ERR_BOOT);
    setenv("PMI_PORT", "127.0.0.1:", 1);
    BOOT_CHECK_EQ(open_with("pmi1", &name), BP_ERR_BOOT);
    unsetenv("PMI_PORT");
    unsetenv("PMI_ID");

    /* PMI_FD that is not a socket, or not a number */
    BOOT_CHECK_EQ(pipe(pfd), 0);
    snprintf(fd_str, sizeof(fd_str), "%d", pfd[0]);
    setenv("PMI_FD", fd_str, 1);
    BOOT_CHECK_EQ(open_with(NULL, &name), BP_ERR_BOOT);
    setenv("PMI_FD", "x", 1);
    BOOT_CHECK_EQ(open_with("pmi1", &name), BP_ERR_BOOT);
    /* ...but BP_BOOT=singleton ignores it */
    BOOT_CHECK_EQ(open_with("singleton", &name), BP_OK);
    unsetenv("PMI_FD");
    close(pfd[0]);
    close(pfd[1]);

    /* BPRUN_FD alone: auto picks bprun, which says its environment is incomplete */
    BOOT_CHECK_EQ(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    snprintf(fd_str, sizeof(fd_str), "%d", sv[1]);
    setenv("BPRUN_FD", fd_str, 1);
    BOOT_CHECK_EQ(open_with(NULL, &name), BP_ERR_BOOT);
    unsetenv("BPRUN_FD");
    close(sv[0]);
    close(sv[1]);

    /* PMI servers that misbehave */
    expect_server_failure("pmi1", NULL);                      /* hangs up */
    expect_server_failure("pmi2", NULL);
    expect_server_failure("pmi1", "garbage\n");               /* not key=value */
    expect_server_failure("pmi2", "cmd=response_to_init rc=1\n"); /* refuses */
    expect_server_failure("pmi1", "cmd=something_else\n");    /* another command */
    expect_server_failure("pmi1", "cmd=response_to_init");    /* truncated, then EOF */
    return 0;
}
