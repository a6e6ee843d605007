/*
 * fuzz_pmi.c - the PMI-1 and PMI-2 parsers (src/boot/pmi_wire.c) on what a launcher's PMI
 * server, or anything else at the end of PMI_FD / PMI_PORT, may send: a PMI-1 line, a
 * PMI-2 length prefix and body, then what pmi.c does with a parsed reply (look up keys,
 * read numbers, hex-decode values). Invariant checked: a command the builder accepts
 * parses back to the same pairs.
 *
 * Input: one byte choosing PMI-1 or PMI-2, then the bytes as they came off the socket.
 */
#include <stdlib.h>
#include <string.h>

#include "boot/pmi_wire.h"
#include "fuzz.h"

static bpi_pmi_msg_t fz_msg, fz_back;
static char fz_out[BPI_PMI_MSG_MAX + 64];

/* What pmi.c does with a reply. */
static void fz_use(const bpi_pmi_msg_t *msg)
{
    static const char *const keys[] = {"cmd", "rc", "msg", "size", "rank", "found", "value",
                                       "appnum", "kvsname", "spawner-jobid", "PMI_process_mapping"};
    unsigned char bin[64];
    long v;

    for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
        const char *val = bpi_pmi_msg_get(msg, keys[i]);
        (void)bpi_pmi_msg_long(msg, keys[i], -1, 1L << 30, &v);
        if (val != NULL) {
            size_t n = strlen(val);
            (void)bpi_pmi_hex_decode(val, n, bin, n / 2 < sizeof(bin) ? n / 2 : sizeof(bin));
            (void)bpi_pmi_jobkey(val);
        }
    }
}

/* Build the parsed pairs again and parse the result: the same pairs must come back. */
static void fz_roundtrip(const bpi_pmi_msg_t *msg, int v1)
{
    const char *kv[2 * BPI_PMI_PAIRS_MAX];
    size_t nkv = 0, len;
    bp_status_t status;

    for (int i = 1; i < msg->npairs; i++) {
        kv[nkv++] = msg->key[i];
        kv[nkv++] = msg->val[i];
    }
    nkv /= 2; /* the builders count pairs */
    status = v1 ? bpi_pmi1_build(fz_out, sizeof(fz_out), &len, msg->val[0], kv, nkv)
                : bpi_pmi2_build(fz_out, sizeof(fz_out), &len, msg->val[0], kv, nkv);
    if (status != BP_OK) {
        return;
    }
    if (v1) {
        status = bpi_pmi1_parse(fz_out, len, &fz_back);
    } else {
        size_t blen;
        const char *why;
        status = bpi_pmi2_parse_len(fz_out, BPI_PMI2_HDR_LEN, &blen, &why);
        if (status == BP_OK && blen + BPI_PMI2_HDR_LEN == len) {
            status = bpi_pmi2_parse(fz_out + BPI_PMI2_HDR_LEN, blen, &fz_back);
        } else if (status == BP_OK) {
            abort(); /* the prefix does not say the body's length */
        }
    }
    if (status != BP_OK || fz_back.npairs != msg->npairs) {
        abort(); /* built, but does not parse back */
    }
    for (int i = 0; i < msg->npairs; i++) {
        if (strcmp(fz_back.key[i], msg->key[i]) != 0 || strcmp(fz_back.val[i], msg->val[i]) != 0) {
            abort();
        }
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *in = (const char *)data + 1;
    size_t len;

    if (size < 1) {
        return 0;
    }
    size--;
    fz_msg.why = NULL;
    if (data[0] & 1) {
        if (bpi_pmi1_parse(in, size, &fz_msg) == BP_OK) {
            fz_use(&fz_msg);
            fz_roundtrip(&fz_msg, 1);
        } else if (fz_msg.why == NULL) {
            abort(); /* an error must say why */
        }
        return 0;
    }
    {
        const char *why = NULL;
        if (bpi_pmi2_parse_len(in, size < BPI_PMI2_HDR_LEN ? size : BPI_PMI2_HDR_LEN, &len,
                               &why) != BP_OK) {
            if (why == NULL) {
                abort();
            }
            return 0;
        }
    }
    if (size < BPI_PMI2_HDR_LEN + len) {
        return 0; /* pmi.c reads until it has len bytes */
    }
    if (bpi_pmi2_parse(in + BPI_PMI2_HDR_LEN, len, &fz_msg) == BP_OK) {
        fz_use(&fz_msg);
        fz_roundtrip(&fz_msg, 0);
    } else if (fz_msg.why == NULL) {
        abort();
    }
    return 0;
}
