/*
 * shm_cma.c - the shm transport's bulk path for rendezvous: the receiver copies the message
 * straight out of the sender's buffer with process_vm_readv (Cross Memory Attach), one copy.
 *
 * CMA can be refused: Yama's ptrace_scope >= 1 between processes that are not parent and
 * child (bprun's ranks are siblings), containers without CAP_SYS_PTRACE, seccomp. So it is
 * not guessed from a sysctl: at connect, every rank reads a word of known value out of each
 * peer with process_vm_readv. Where that works (and BP_SHM_CMA is not off) the peer gets the
 * bulk path; elsewhere the core streams the data through the rings (a pipelined copy through
 * shared memory: the sender fills frames while the receiver empties earlier ones).
 * BP_SHM_CMA=on makes a failed probe an error.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/log.h"
#include "transport/shm/shm.h"

#define SHM_CMA_PROBE_MAGIC 0x636d612d70726f62ull /* "cma-prob" */

void bpi_shm_cma_probe_init(bpi_tl_iface_t *iface)
{
    iface->cma_probe = SHM_CMA_PROBE_MAGIC ^ (uint64_t)getpid();
}

/* Copy len bytes between local and remote in process pid (write: local to remote): 0, or
 * the errno of the failure. */
static int shm_cma_copy(pid_t pid, void *local, uint64_t remote, size_t len, int write)
{
    size_t done = 0;

    while (done < len) {
        struct iovec l = {(char *)local + done, len - done};
        struct iovec r = {(void *)(uintptr_t)(remote + done), len - done};
        ssize_t n = write ? process_vm_writev(pid, &l, 1, &r, 1, 0)
                          : process_vm_readv(pid, &l, 1, &r, 1, 0);
        if (n < 0) {
            if (errno == EINTR) {
                continue;
            }
            return errno;
        }
        if (n == 0) {
            return EFAULT;
        }
        done += (size_t)n; /* a partial read (e.g. more than 2 GiB): go on */
    }
    return 0;
}

bp_status_t bpi_shm_cma_connect(bpi_tl_iface_t *iface, bpi_tl_ep_t *ep,
                                const bpi_shm_card_t *card)
{
    uint64_t mode = iface->params.config->shm_cma;
    uint64_t word = 0;
    int err;

    ep->cma = 0;
    if (mode == BPI_SHM_CMA_OFF) {
        return BP_OK;
    }
    err = shm_cma_copy(ep->pid, &word, card->cma_probe_addr, sizeof(word), 0);
    if (err == 0 && word == card->cma_probe_value) {
        ep->cma = 1;
        bpi_log_debug("shm: rank %d: process_vm_readv works: rendezvous copies once", ep->peer);
        return BP_OK;
    }
    if (mode == BPI_SHM_CMA_ON) {
        bpi_log_error("shm: rank %d: BP_SHM_CMA=on but process_vm_readv from pid %d fails: %s",
                      ep->peer, (int)ep->pid, err ? strerror(err) : "wrong value read");
        return BP_ERR_NOTSUP;
    }
    bpi_log_info("shm: rank %d: process_vm_readv refused (%s): rendezvous streams through "
                 "the rings", ep->peer, err ? strerror(err) : "wrong value read");
    return BP_OK;
}

static bp_status_t shm_bulk(bpi_tl_ep_t *ep, void *local, uint64_t remote_addr, size_t len,
                            int write)
{
    int err;

    if (!ep->cma) {
        return BP_ERR_NOTSUP;
    }
    err = shm_cma_copy(ep->pid, local, remote_addr, len, write);
    if (err != 0) {
        bpi_log_error("shm: rank %d: process_vm_%s of %zu bytes at %#llx: %s", ep->peer,
                      write ? "writev" : "readv", len, (unsigned long long)remote_addr,
                      strerror(err));
        return err == ESRCH ? BP_ERR_PEER : BP_ERR_SYS;
    }
    return BP_OK;
}

bp_status_t bpi_shm_bulk_get(bpi_tl_ep_t *ep, void *local, uint64_t remote_addr, size_t len)
{
    return shm_bulk(ep, local, remote_addr, len, 0);
}

bp_status_t bpi_shm_bulk_put(bpi_tl_ep_t *ep, const void *local, uint64_t remote_addr,
                             size_t len)
{
    return shm_bulk(ep, (void *)local, remote_addr, len, 1);
}

/*
 * For bp-info: does CMA work between two sibling processes here (as between bprun's ranks)?
 * Two children: the first holds a word and waits, the second reads it.
 */
void bpi_shm_info(const bpi_config_t *config, char *buf, size_t len)
{
    int hold[2], done[2];
    pid_t a, b;
    int status = 0, err = -1;
    uint64_t word = SHM_CMA_PROBE_MAGIC;

    if (config->shm_cma == BPI_SHM_CMA_OFF) {
        snprintf(buf, len, "rendezvous: streamed through the rings (BP_SHM_CMA=off)");
        return;
    }
    if (pipe(hold) != 0 || pipe(done) != 0) {
        snprintf(buf, len, "rendezvous: CMA probe failed: pipe: %s", strerror(errno));
        return;
    }
    fflush(NULL);
    a = fork();
    if (a == 0) { /* holds `word` until the reader is done */
        char c;
        close(hold[0]);
        close(done[1]);
        if (write(hold[1], &c, 1) != 1) {
            _exit(1);
        }
        _exit(read(done[0], &c, 1) < 0 ? 1 : 0);
    }
    close(hold[1]);
    close(done[0]);
    if (a > 0) {
        char c;
        if (read(hold[0], &c, 1) == 1) {
            b = fork();
            if (b == 0) {
                uint64_t got = 0;
                int e = shm_cma_copy(a, &got, (uint64_t)(uintptr_t)&word, sizeof(got), 0);
                _exit(e != 0 ? (e & 0x7f) : (got == word ? 0 : 0x7f));
            }
            if (b > 0 && waitpid(b, &status, 0) == b && WIFEXITED(status)) {
                err = WEXITSTATUS(status);
            }
        }
    }
    close(hold[0]);
    close(done[1]); /* releases the holder */
    if (a > 0) {
        waitpid(a, NULL, 0);
    }
    if (err == 0) {
        snprintf(buf, len, "rendezvous: one copy with process_vm_readv (CMA works between "
                           "sibling processes here)");
    } else {
        snprintf(buf, len, "rendezvous: streamed through the rings: CMA refused between "
                           "sibling processes here (%s)%s",
                 err > 0 && err < 0x7f ? strerror(err) : "probe failed",
                 config->shm_cma == BPI_SHM_CMA_ON ? "; BP_SHM_CMA=on will fail bp_init" : "");
    }
}
