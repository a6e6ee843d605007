/*
 * pmi_wire.h - the simple PMI wire protocols, as pure functions: no I/O, no logging, no
 * allocation. pmi.c does the talking; these build and parse the bytes, and are what the
 * unit tests (and, later, the fuzzers) exercise.
 *
 * PMI-1: one line per command, "cmd=NAME key=value key=value\n". Pairs are separated by
 *   blanks; a blank-separated word without '=' continues the previous value (servers put
 *   spaces in their "msg=" texts). There is no escaping: what we send never holds a blank,
 *   a newline or a control character (the builder refuses them).
 * PMI-2: a 6-character decimal length (blank padded), then that many bytes of
 *   "cmd=NAME;key=value;...;". A ';' inside a value is written ";;".
 *
 * Every length is bounded (BPI_PMI_MSG_MAX bytes, BPI_PMI_PAIRS_MAX pairs, BPI_PMI_KEY_MAX
 * bytes per key); anything longer, truncated or malformed is BP_ERR_PROTO with a reason in
 * msg->why (a static string).
 */
#ifndef BPI_PMI_WIRE_H
#define BPI_PMI_WIRE_H

#include <stddef.h>
#include <stdint.h>

#include "bypass.h"

#define BPI_PMI_MSG_MAX 8192  /* bytes of one command: a PMI-1 line with its '\n', a PMI-2 body */
#define BPI_PMI_PAIRS_MAX 32  /* key=value pairs in one command, cmd included */
#define BPI_PMI_KEY_MAX 64    /* bytes of one key */
#define BPI_PMI2_HDR_LEN 6    /* the PMI-2 length prefix */

/* A parsed command: npairs pairs, key[0] is always "cmd". Pointers go into buf. */
typedef struct bpi_pmi_msg {
    int npairs;
    const char *key[BPI_PMI_PAIRS_MAX];
    const char *val[BPI_PMI_PAIRS_MAX];
    const char *why; /* on BP_ERR_PROTO: what was wrong */
    char buf[BPI_PMI_MSG_MAX + 1];
} bpi_pmi_msg_t;

/* Parses one PMI-1 line of len bytes; it must end with its only '\n'. */
bp_status_t bpi_pmi1_parse(const char *line, size_t len, bpi_pmi_msg_t *msg);

/*
 * Builds "cmd=CMD k0=v0 k1=v1 ...\n" into out (capacity cap, NUL-terminated); kv holds nkv
 * keys and values alternately. *len_p gets the length without the NUL. BP_ERR_INVAL when a
 * key or value cannot be written (blank, '=' in a key, control byte) or out is too small.
 */
bp_status_t bpi_pmi1_build(char *out, size_t cap, size_t *len_p, const char *cmd,
                           const char *const *kv, size_t nkv);

/* Parses the 6-byte PMI-2 length prefix into *len_p (at most BPI_PMI_MSG_MAX). */
bp_status_t bpi_pmi2_parse_len(const char *hdr, size_t hdr_len, size_t *len_p, const char **why_p);

/* Parses a PMI-2 body of len bytes (without the prefix). */
bp_status_t bpi_pmi2_parse(const char *body, size_t len, bpi_pmi_msg_t *msg);

/* Builds the prefix and "cmd=CMD;k0=v0;...;" (';' in values doubled), like bpi_pmi1_build. */
bp_status_t bpi_pmi2_build(char *out, size_t cap, size_t *len_p, const char *cmd,
                           const char *const *kv, size_t nkv);

/* The value of key (the first one), or NULL. */
const char *bpi_pmi_msg_get(const bpi_pmi_msg_t *msg, const char *key);

/* A decimal value of key in [min, max], nothing else; BP_ERR_PROTO otherwise. */
bp_status_t bpi_pmi_msg_long(const bpi_pmi_msg_t *msg, const char *key, long min, long max,
                             long *value_p);

/* Lower-case hex: out needs 2 * len + 1 bytes; BP_ERR_INVAL if cap is smaller. */
bp_status_t bpi_pmi_hex_encode(const void *in, size_t len, char *out, size_t cap);

/* Exactly 2 * len hex digits into len bytes; BP_ERR_PROTO on any other input. */
bp_status_t bpi_pmi_hex_decode(const char *in, size_t in_len, void *out, size_t len);

/* A 64-bit job key from the launcher's job name (never 0; the same for the same name). */
uint64_t bpi_pmi_jobkey(const char *name);

#endif
