/*
 * pmi_wire.c - builds and parses PMI-1 lines and PMI-2 commands (see pmi_wire.h). Pure:
 * whatever the input, these return BP_OK or an error with a reason, and never read or write
 * outside the lengths they are given.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "boot/pmi_wire.h"

static bp_status_t wire_fail(bpi_pmi_msg_t *msg, const char *why)
{
    msg->why = why;
    msg->npairs = 0;
    return BP_ERR_PROTO;
}

/* Printable ASCII without blank: what a key or a PMI-1 value may hold. */
static int wire_is_graph(unsigned char c)
{
    return c > ' ' && c < 0x7f;
}

static bp_status_t wire_key_check(const char *key, size_t len, bpi_pmi_msg_t *msg)
{
    size_t i;

    if (len == 0) {
        return wire_fail(msg, "empty key");
    }
    if (len > BPI_PMI_KEY_MAX) {
        return wire_fail(msg, "key longer than 64 bytes");
    }
    for (i = 0; i < len; i++) {
        if (!wire_is_graph((unsigned char)key[i])) {
            return wire_fail(msg, "non-printable byte in a key");
        }
    }
    return BP_OK;
}

/* After the pairs are split: the first must be cmd with a non-empty value. */
static bp_status_t wire_cmd_check(bpi_pmi_msg_t *msg)
{
    if (msg->npairs == 0) {
        return wire_fail(msg, "empty command");
    }
    if (strcmp(msg->key[0], "cmd") != 0) {
        return wire_fail(msg, "the command does not start with cmd=");
    }
    if (msg->val[0][0] == '\0') {
        return wire_fail(msg, "empty cmd=");
    }
    msg->why = NULL;
    return BP_OK;
}

bp_status_t bpi_pmi1_parse(const char *line, size_t len, bpi_pmi_msg_t *msg)
{
    char *p, *end;
    char *prev_end = NULL; /* where the previous value's terminating NUL was put */

    msg->npairs = 0;
    if (line == NULL || len == 0) {
        return wire_fail(msg, "empty line");
    }
    if (len > BPI_PMI_MSG_MAX) {
        return wire_fail(msg, "line longer than 8192 bytes");
    }
    if (line[len - 1] != '\n') {
        return wire_fail(msg, "truncated line (no newline at its end)");
    }
    if (memchr(line, '\n', len - 1) != NULL) {
        return wire_fail(msg, "newline inside a line");
    }
    if (memchr(line, '\0', len) != NULL) {
        return wire_fail(msg, "NUL byte in a line");
    }
    memcpy(msg->buf, line, len - 1);
    msg->buf[len - 1] = '\0';
    p = msg->buf;
    end = msg->buf + len - 1;

    while (p < end) {
        char *word, *eq, *stop;
        size_t wlen;

        if (*p == ' ' || *p == '\t' || *p == '\r') {
            p++;
            continue;
        }
        word = p;
        while (p < end && *p != ' ' && *p != '\t' && *p != '\r') {
            p++;
        }
        wlen = (size_t)(p - word);
        stop = p;
        eq = memchr(word, '=', wlen);
        if (eq == NULL) {
            /* A word without '=' continues the previous value ("msg=key not found"). */
            if (prev_end == NULL) {
                return wire_fail(msg, "a word without '=' before any key");
            }
            *prev_end = ' ';
        } else {
            bp_status_t status;

            if (msg->npairs == BPI_PMI_PAIRS_MAX) {
                return wire_fail(msg, "more than 32 key=value pairs");
            }
            status = wire_key_check(word, (size_t)(eq - word), msg);
            if (status != BP_OK) {
                return status;
            }
            *eq = '\0';
            msg->key[msg->npairs] = word;
            msg->val[msg->npairs] = eq + 1;
            msg->npairs++;
        }
        if (stop < end) {
            *stop = '\0';
            prev_end = stop;
            p = stop + 1;
        } else {
            prev_end = NULL; /* the value ends the line: nothing more can continue it */
        }
    }
    for (int i = 0; i < msg->npairs; i++) {
        for (const char *v = msg->val[i]; *v != '\0'; v++) {
            if ((unsigned char)*v < ' ' || (unsigned char)*v == 0x7f) {
                return wire_fail(msg, "control byte in a value");
            }
        }
    }
    return wire_cmd_check(msg);
}

/* Appends n bytes at *pos, keeping room for the final NUL. */
static int wire_put(char *out, size_t cap, size_t *pos, const char *s, size_t n)
{
    if (n >= cap - *pos) {
        return -1;
    }
    memcpy(out + *pos, s, n);
    *pos += n;
    return 0;
}

bp_status_t bpi_pmi1_build(char *out, size_t cap, size_t *len_p, const char *cmd,
                           const char *const *kv, size_t nkv)
{
    size_t pos = 0, i;

    if (out == NULL || cap == 0 || cmd == NULL || (nkv > 0 && kv == NULL)) {
        return BP_ERR_INVAL;
    }
    if (wire_put(out, cap, &pos, "cmd=", 4) != 0) {
        return BP_ERR_INVAL;
    }
    for (i = 0; i <= nkv; i++) {
        const char *key = i == 0 ? "cmd" : kv[2 * (i - 1)];
        const char *val = i == 0 ? cmd : kv[2 * (i - 1) + 1];
        size_t klen, vlen, j;

        if (key == NULL || val == NULL) {
            return BP_ERR_INVAL;
        }
        klen = strlen(key);
        vlen = strlen(val);
        if (klen == 0 || klen > BPI_PMI_KEY_MAX || (i == 0 && vlen == 0)) {
            return BP_ERR_INVAL;
        }
        for (j = 0; j < klen; j++) {
            if (!wire_is_graph((unsigned char)key[j]) || key[j] == '=') {
                return BP_ERR_INVAL;
            }
        }
        for (j = 0; j < vlen; j++) {
            if (!wire_is_graph((unsigned char)val[j])) {
                return BP_ERR_INVAL;
            }
        }
        if (i > 0 && (wire_put(out, cap, &pos, " ", 1) != 0 ||
                      wire_put(out, cap, &pos, key, klen) != 0 ||
                      wire_put(out, cap, &pos, "=", 1) != 0)) {
            return BP_ERR_INVAL;
        }
        if (wire_put(out, cap, &pos, val, vlen) != 0) {
            return BP_ERR_INVAL;
        }
    }
    if (wire_put(out, cap, &pos, "\n", 1) != 0 || pos > BPI_PMI_MSG_MAX) {
        return BP_ERR_INVAL;
    }
    out[pos] = '\0';
    *len_p = pos;
    return BP_OK;
}

bp_status_t bpi_pmi2_parse_len(const char *hdr, size_t hdr_len, size_t *len_p, const char **why_p)
{
    size_t i = 0, v = 0, digits = 0;

    if (hdr == NULL || hdr_len != BPI_PMI2_HDR_LEN) {
        *why_p = "truncated length prefix (PMI-2 needs 6 bytes)";
        return BP_ERR_PROTO;
    }
    while (i < hdr_len && hdr[i] == ' ') {
        i++;
    }
    while (i < hdr_len && hdr[i] >= '0' && hdr[i] <= '9') {
        v = v * 10 + (size_t)(hdr[i] - '0'); /* at most 6 digits: no overflow */
        digits++;
        i++;
    }
    while (i < hdr_len && hdr[i] == ' ') {
        i++;
    }
    if (digits == 0 || i != hdr_len) {
        *why_p = "the length prefix is not a decimal number";
        return BP_ERR_PROTO;
    }
    if (v == 0) {
        *why_p = "zero-length command";
        return BP_ERR_PROTO;
    }
    if (v > BPI_PMI_MSG_MAX) {
        *why_p = "command longer than 8192 bytes";
        return BP_ERR_PROTO;
    }
    *len_p = v;
    return BP_OK;
}

bp_status_t bpi_pmi2_parse(const char *body, size_t len, bpi_pmi_msg_t *msg)
{
    size_t i = 0, o = 0;

    msg->npairs = 0;
    if (body == NULL || len == 0) {
        return wire_fail(msg, "empty command");
    }
    if (len > BPI_PMI_MSG_MAX) {
        return wire_fail(msg, "command longer than 8192 bytes");
    }
    if (memchr(body, '\0', len) != NULL) {
        return wire_fail(msg, "NUL byte in a command");
    }
    /* Each pair: key up to '=', value up to a single ';' (";;" is a ';' of the value). */
    while (i < len) {
        size_t kstart = o;
        bp_status_t status;

        while (i < len && body[i] != '=' && body[i] != ';') {
            msg->buf[o++] = body[i++];
        }
        if (i == len || body[i] == ';') {
            if (o == kstart && i == len) {
                break; /* nothing after the last ';' */
            }
            return wire_fail(msg, "a segment without '='");
        }
        status = wire_key_check(msg->buf + kstart, o - kstart, msg);
        if (status != BP_OK) {
            return status;
        }
        if (msg->npairs == BPI_PMI_PAIRS_MAX) {
            return wire_fail(msg, "more than 32 key=value pairs");
        }
        msg->buf[o++] = '\0';
        i++; /* '=' */
        msg->key[msg->npairs] = msg->buf + kstart;
        msg->val[msg->npairs] = msg->buf + o;
        msg->npairs++;
        while (i < len) {
            if (body[i] == ';') {
                if (i + 1 < len && body[i + 1] == ';') {
                    msg->buf[o++] = ';';
                    i += 2;
                    continue;
                }
                break;
            }
            if ((unsigned char)body[i] < ' ' || (unsigned char)body[i] == 0x7f) {
                return wire_fail(msg, "control byte in a value");
            }
            msg->buf[o++] = body[i++];
        }
        msg->buf[o++] = '\0';
        if (i < len) {
            i++; /* the separating ';' */
        }
    }
    /* o never exceeds len + 1: a pair adds at most as many bytes (NULs replace '=' and ';'). */
    return wire_cmd_check(msg);
}

bp_status_t bpi_pmi2_build(char *out, size_t cap, size_t *len_p, const char *cmd,
                           const char *const *kv, size_t nkv)
{
    size_t pos = BPI_PMI2_HDR_LEN, i, body;
    char hdr[BPI_PMI2_HDR_LEN + 1];

    if (out == NULL || cap <= BPI_PMI2_HDR_LEN || cmd == NULL || (nkv > 0 && kv == NULL)) {
        return BP_ERR_INVAL;
    }
    for (i = 0; i <= nkv; i++) {
        const char *key = i == 0 ? "cmd" : kv[2 * (i - 1)];
        const char *val = i == 0 ? cmd : kv[2 * (i - 1) + 1];
        size_t klen, j;

        if (key == NULL || val == NULL) {
            return BP_ERR_INVAL;
        }
        klen = strlen(key);
        if (klen == 0 || klen > BPI_PMI_KEY_MAX || (i == 0 && val[0] == '\0')) {
            return BP_ERR_INVAL;
        }
        for (j = 0; j < klen; j++) {
            if (!wire_is_graph((unsigned char)key[j]) || key[j] == '=' || key[j] == ';') {
                return BP_ERR_INVAL;
            }
        }
        if (wire_put(out, cap, &pos, key, klen) != 0 || wire_put(out, cap, &pos, "=", 1) != 0) {
            return BP_ERR_INVAL;
        }
        for (j = 0; val[j] != '\0'; j++) {
            unsigned char c = (unsigned char)val[j];
            if (c < ' ' || c == 0x7f) {
                return BP_ERR_INVAL;
            }
            if (c == ';' && wire_put(out, cap, &pos, ";", 1) != 0) {
                return BP_ERR_INVAL;
            }
            if (wire_put(out, cap, &pos, &val[j], 1) != 0) {
                return BP_ERR_INVAL;
            }
        }
        if (wire_put(out, cap, &pos, ";", 1) != 0) {
            return BP_ERR_INVAL;
        }
    }
    body = pos - BPI_PMI2_HDR_LEN;
    if (body > BPI_PMI_MSG_MAX) {
        return BP_ERR_INVAL;
    }
    /* Left-justified, blank padded: "42    ". body <= 8192 fits in 6 digits. */
    memset(hdr, ' ', BPI_PMI2_HDR_LEN);
    {
        char digits[8];
        size_t n = 0, b = body;
        do {
            digits[n++] = (char)('0' + b % 10);
            b /= 10;
        } while (b > 0);
        for (size_t k = 0; k < n; k++) {
            hdr[k] = digits[n - 1 - k];
        }
    }
    memcpy(out, hdr, BPI_PMI2_HDR_LEN);
    out[pos] = '\0';
    *len_p = pos;
    return BP_OK;
}

const char *bpi_pmi_msg_get(const bpi_pmi_msg_t *msg, const char *key)
{
    for (int i = 0; i < msg->npairs; i++) {
        if (strcmp(msg->key[i], key) == 0) {
            return msg->val[i];
        }
    }
    return NULL;
}

bp_status_t bpi_pmi_msg_long(const bpi_pmi_msg_t *msg, const char *key, long min, long max,
                             long *value_p)
{
    const char *s = bpi_pmi_msg_get(msg, key);
    const char *p;
    char *end;
    long v;

    if (s == NULL) {
        return BP_ERR_PROTO;
    }
    p = s[0] == '-' ? s + 1 : s;
    if (*p < '0' || *p > '9') {
        return BP_ERR_PROTO;
    }
    errno = 0;
    v = strtol(s, &end, 10);
    if (errno != 0 || *end != '\0' || v < min || v > max) {
        return BP_ERR_PROTO;
    }
    *value_p = v;
    return BP_OK;
}

bp_status_t bpi_pmi_hex_encode(const void *in, size_t len, char *out, size_t cap)
{
    static const char digits[] = "0123456789abcdef";
    const unsigned char *b = in;

    if (out == NULL || cap == 0 || len > (cap - 1) / 2 || (len > 0 && in == NULL)) {
        return BP_ERR_INVAL;
    }
    for (size_t i = 0; i < len; i++) {
        out[2 * i] = digits[b[i] >> 4];
        out[2 * i + 1] = digits[b[i] & 0xf];
    }
    out[2 * len] = '\0';
    return BP_OK;
}

static int wire_hex_digit(char c)
{
    if (c >= '0' && c <= '9') {
        return c - '0';
    }
    if (c >= 'a' && c <= 'f') {
        return c - 'a' + 10;
    }
    if (c >= 'A' && c <= 'F') {
        return c - 'A' + 10;
    }
    return -1;
}

bp_status_t bpi_pmi_hex_decode(const char *in, size_t in_len, void *out, size_t len)
{
    unsigned char *b = out;

    if (len > SIZE_MAX / 2 || in_len != 2 * len || (len > 0 && (in == NULL || out == NULL))) {
        return BP_ERR_PROTO;
    }
    for (size_t i = 0; i < len; i++) {
        int hi = wire_hex_digit(in[2 * i]);
        int lo = wire_hex_digit(in[2 * i + 1]);
        if (hi < 0 || lo < 0) {
            return BP_ERR_PROTO;
        }
        b[i] = (unsigned char)(hi << 4 | lo);
    }
    return BP_OK;
}

uint64_t bpi_pmi_jobkey(const char *name)
{
    uint64_t h = 0xcbf29ce484222325ull; /* FNV-1a, then SplitMix64's finaliser to spread it */

    for (const char *p = name; *p != '\0'; p++) {
        h = (h ^ (unsigned char)*p) * 0x100000001b3ull;
    }
    h ^= h >> 30;
    h *= 0xbf58476d1ce4e5b9ull;
    h ^= h >> 27;
    h *= 0x94d049bb133111ebull;
    h ^= h >> 31;
    return h != 0 ? h : 1;
}
