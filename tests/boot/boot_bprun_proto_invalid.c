/*
 * boot_bprun_proto_invalid.c - started by `bprun -n 3`: bprun answers invalid rounds with an
 * error to every rank and goes on serving (mismatched lengths, an unknown op, a contribution
 * over the limit), a valid round afterwards works, and once a rank has closed its connection
 * the others' allgather fails with BP_ERR_BOOT instead of hanging.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "boot/boot.h"
#include "boot/bprun_proto.h"
#include "boot_test.h"

static int raw_fd;

static void raw_send(uint32_t op, uint32_t len)
{
    bpi_bprun_msg_t msg = { .op = op, .len = len };
    static char zeros[65536];

    BOOT_CHECK_EQ(send(raw_fd, &msg, sizeof(msg), MSG_NOSIGNAL), sizeof(msg));
    while (len > 0) {
        ssize_t n = send(raw_fd, zeros, len < sizeof(zeros) ? len : sizeof(zeros), MSG_NOSIGNAL);
        BOOT_CHECK(n > 0);
        len -= (uint32_t)n;
    }
}

static uint32_t raw_reply_status(void)
{
    bpi_bprun_msg_t msg;

    BOOT_CHECK_EQ(recv(raw_fd, &msg, sizeof(msg), MSG_WAITALL), sizeof(msg));
    BOOT_CHECK_EQ(msg.len, 0);
    return msg.op;
}

int main(void)
{
    bpi_boot_t *boot = NULL;
    int ranks[3] = { -1, -1, -1 };

    BOOT_CHECK_EQ(bpi_boot_open(&boot), BP_OK);
    BOOT_CHECK_EQ(boot->size, 3);
    raw_fd = atoi(getenv("BPRUN_FD"));

    /* Rank r contributes 4 + r bytes. */
    raw_send(BPI_BPRUN_OP_ALLGATHER, 4 + (uint32_t)boot->rank);
    BOOT_CHECK_EQ(raw_reply_status(), BPI_BPRUN_STATUS_LEN);

    /* Rank 1 sends an unknown op with a body. */
    raw_send(boot->rank == 1 ? 77 : BPI_BPRUN_OP_ALLGATHER, 8);
    BOOT_CHECK_EQ(raw_reply_status(), BPI_BPRUN_STATUS_OP);

    /* Rank 2 sends more than the limit (bprun reads and drops it). */
    raw_send(BPI_BPRUN_OP_ALLGATHER, boot->rank == 2 ? BPI_BPRUN_MAX_LEN + 1 : 8);
    BOOT_CHECK_EQ(raw_reply_status(), BPI_BPRUN_STATUS_TOOBIG);

    /* The library call refuses more than the limit without asking bprun. */
    BOOT_CHECK_EQ(boot->allgather(boot, ranks, BPI_BPRUN_MAX_LEN + 1, ranks), BP_ERR_INVAL);

    /* The stream is still in sync: a valid round works. */
    BOOT_CHECK_EQ(boot->allgather(boot, &boot->rank, sizeof(int), ranks), BP_OK);
    BOOT_CHECK(ranks[0] == 0 && ranks[1] == 1 && ranks[2] == 2);

    /* Rank 0 goes away; the others must not hang. */
    if (boot->rank == 0) {
        boot->close(boot);
        return 0;
    }
    BOOT_CHECK_EQ(boot->allgather(boot, &boot->rank, sizeof(int), ranks), BP_ERR_BOOT);
    boot->close(boot);
    return 0;
}
