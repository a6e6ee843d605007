/*
 * pmi_wire_parse.c - the PMI wire parsers and builders (src/boot/pmi_wire.c) alone:
 * well-formed PMI-1 lines and PMI-2 commands, malformed, truncated and oversize input (each
 * BP_ERR_PROTO with a reason), builders refusing what cannot be written and buffers that are
 * too small, hex, the job key; then every prefix and random mutations of valid input, which
 * must never crash (the sanitizer builds check the bounds).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "boot/pmi_wire.h"
#include "boot_test.h"

static bpi_pmi_msg_t msg;

#define STR_EQ(a, b) BOOT_CHECK((a) != NULL && strcmp((a), (b)) == 0)

static bp_status_t p1(const char *s)
{
    return bpi_pmi1_parse(s, strlen(s), &msg);
}

static bp_status_t p2(const char *s)
{
    return bpi_pmi2_parse(s, strlen(s), &msg);
}

static void p1_bad(const char *s)
{
    BOOT_CHECK_EQ(p1(s), BP_ERR_PROTO);
    BOOT_CHECK(msg.why != NULL);
}

static void p2_bad(const char *s)
{
    BOOT_CHECK_EQ(p2(s), BP_ERR_PROTO);
    BOOT_CHECK(msg.why != NULL);
}

static void test_pmi1_good(void)
{
    long v;

    BOOT_CHECK_EQ(p1("cmd=maxes kvsname_max=256 keylen_max=64 vallen_max=1024\n"), BP_OK);
    BOOT_CHECK_EQ(msg.npairs, 4);
    STR_EQ(bpi_pmi_msg_get(&msg, "cmd"), "maxes");
    STR_EQ(bpi_pmi_msg_get(&msg, "vallen_max"), "1024");
    BOOT_CHECK(bpi_pmi_msg_get(&msg, "nope") == NULL);
    BOOT_CHECK_EQ(bpi_pmi_msg_long(&msg, "keylen_max", 1, 100, &v), BP_OK);
    BOOT_CHECK_EQ(v, 64);
    BOOT_CHECK_EQ(bpi_pmi_msg_long(&msg, "vallen_max", 1, 100, &v), BP_ERR_PROTO);
    BOOT_CHECK_EQ(bpi_pmi_msg_long(&msg, "cmd", 0, 100, &v), BP_ERR_PROTO);
    BOOT_CHECK_EQ(bpi_pmi_msg_long(&msg, "nope", 0, 100, &v), BP_ERR_PROTO);

    /* blanks around and between pairs; a value with '='; an empty value */
    BOOT_CHECK_EQ(p1("  cmd=get_result   rc=0\tvalue=a=b empty=\r\n"), BP_OK);
    BOOT_CHECK_EQ(msg.npairs, 4);
    STR_EQ(bpi_pmi_msg_get(&msg, "value"), "a=b");
    STR_EQ(bpi_pmi_msg_get(&msg, "empty"), "");

    /* words without '=' continue the previous value */
    BOOT_CHECK_EQ(p1("cmd=get_result rc=1 msg=key bp0-1-0 not found\n"), BP_OK);
    BOOT_CHECK_EQ(msg.npairs, 3);
    STR_EQ(bpi_pmi_msg_get(&msg, "msg"), "key bp0-1-0 not found");
    BOOT_CHECK_EQ(bpi_pmi_msg_long(&msg, "rc", 0, 10, &v), BP_OK);
    BOOT_CHECK_EQ(v, 1);

    BOOT_CHECK_EQ(p1("cmd=barrier_out\n"), BP_OK);
    BOOT_CHECK_EQ(msg.npairs, 1);
}

static void test_pmi1_bad(void)
{
    char big[BPI_PMI_MSG_MAX + 2];
    char line[4096];
    size_t n;

    p1_bad("");
    p1_bad("\n");
    p1_bad("   \n");
    p1_bad("cmd=init");                  /* truncated: no newline */
    p1_bad("cmd=init\ncmd=init\n");      /* two lines */
    p1_bad("word cmd=init\n");           /* a word before any key */
    p1_bad("rc=0 cmd=init\n");           /* cmd not first */
    p1_bad("cmd= rc=0\n");               /* empty cmd */
    p1_bad("cmd=x =v\n");                /* empty key */
    p1_bad("cmd=x k\x01y=v\n");          /* control byte in a key */
    p1_bad("cmd=x k=a\x7f\n");           /* control byte in a value */
    BOOT_CHECK_EQ(bpi_pmi1_parse("cmd=a\0b\n", 8, &msg), BP_ERR_PROTO); /* NUL */
    BOOT_CHECK_EQ(bpi_pmi1_parse(NULL, 0, &msg), BP_ERR_PROTO);

    /* a key of 64 bytes is fine, 65 is not */
    n = (size_t)snprintf(line, sizeof(line), "cmd=x %.*s=1\n", 64,
                         "kkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkk");
    BOOT_CHECK_EQ(bpi_pmi1_parse(line, n, &msg), BP_OK);
    n = (size_t)snprintf(line, sizeof(line), "cmd=x %.*s=1\n", 65,
                         "kkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkk");
    BOOT_CHECK_EQ(bpi_pmi1_parse(line, n, &msg), BP_ERR_PROTO);

    /* 32 pairs are fine, 33 are not */
    n = (size_t)snprintf(line, sizeof(line), "cmd=x");
    for (int i = 1; i < 32; i++) {
        n += (size_t)snprintf(line + n, sizeof(line) - n, " k%d=%d", i, i);
    }
    memcpy(line + n, "\n", 2);
    BOOT_CHECK_EQ(bpi_pmi1_parse(line, n + 1, &msg), BP_OK);
    BOOT_CHECK_EQ(msg.npairs, 32);
    n += (size_t)snprintf(line + n, sizeof(line) - n, " k32=32\n");
    BOOT_CHECK_EQ(bpi_pmi1_parse(line, n, &msg), BP_ERR_PROTO);

    /* oversize: the limit itself parses, one byte more does not */
    memset(big, 'v', sizeof(big));
    memcpy(big, "cmd=x v=", 8);
    big[BPI_PMI_MSG_MAX - 1] = '\n';
    BOOT_CHECK_EQ(bpi_pmi1_parse(big, BPI_PMI_MSG_MAX, &msg), BP_OK);
    big[BPI_PMI_MSG_MAX - 1] = 'v';
    big[BPI_PMI_MSG_MAX] = '\n';
    BOOT_CHECK_EQ(bpi_pmi1_parse(big, BPI_PMI_MSG_MAX + 1, &msg), BP_ERR_PROTO);
}

static void test_pmi1_build(void)
{
    const char *kv[] = { "kvsname", "kvs_1_0", "key", "bp0-1-0", "value", "0aff" };
    const char *bad_kv[][2] = { { "k k", "v" }, { "k=", "v" }, { "", "v" }, { "k", "a b" },
                                { "k", "a\nb" } };
    const char *expect = "cmd=put kvsname=kvs_1_0 key=bp0-1-0 value=0aff\n";
    char out[256];
    size_t len, cap;

    BOOT_CHECK_EQ(bpi_pmi1_build(out, sizeof(out), &len, "put", kv, 3), BP_OK);
    BOOT_CHECK_EQ(len, strlen(expect));
    BOOT_CHECK(strcmp(out, expect) == 0);
    BOOT_CHECK_EQ(bpi_pmi1_parse(out, len, &msg), BP_OK);
    STR_EQ(bpi_pmi_msg_get(&msg, "value"), "0aff");
    /* every capacity short of len + 1 is refused, never overrun */
    for (cap = 1; cap <= strlen(expect); cap++) {
        char *small = malloc(cap);
        BOOT_CHECK(small != NULL);
        BOOT_CHECK_EQ(bpi_pmi1_build(small, cap, &len, "put", kv, 3), BP_ERR_INVAL);
        free(small);
    }
    for (size_t i = 0; i < sizeof(bad_kv) / sizeof(bad_kv[0]); i++) {
        BOOT_CHECK_EQ(bpi_pmi1_build(out, sizeof(out), &len, "put", bad_kv[i], 1), BP_ERR_INVAL);
    }
    BOOT_CHECK_EQ(bpi_pmi1_build(out, sizeof(out), &len, "", NULL, 0), BP_ERR_INVAL);
    BOOT_CHECK_EQ(bpi_pmi1_build(out, sizeof(out), &len, "barrier_in", NULL, 0), BP_OK);
    BOOT_CHECK(strcmp(out, "cmd=barrier_in\n") == 0);
}

static void test_pmi2_len(void)
{
    const char *why = NULL;
    size_t len = 0;

    BOOT_CHECK_EQ(bpi_pmi2_parse_len("42    ", 6, &len, &why), BP_OK);
    BOOT_CHECK_EQ(len, 42);
    BOOT_CHECK_EQ(bpi_pmi2_parse_len("    42", 6, &len, &why), BP_OK);
    BOOT_CHECK_EQ(bpi_pmi2_parse_len("000042", 6, &len, &why), BP_OK);
    BOOT_CHECK_EQ(len, 42);
    BOOT_CHECK_EQ(bpi_pmi2_parse_len("8192  ", 6, &len, &why), BP_OK);
    BOOT_CHECK_EQ(bpi_pmi2_parse_len("8193  ", 6, &len, &why), BP_ERR_PROTO); /* oversize */
    BOOT_CHECK_EQ(bpi_pmi2_parse_len("999999", 6, &len, &why), BP_ERR_PROTO);
    BOOT_CHECK_EQ(bpi_pmi2_parse_len("0     ", 6, &len, &why), BP_ERR_PROTO);
    BOOT_CHECK_EQ(bpi_pmi2_parse_len("      ", 6, &len, &why), BP_ERR_PROTO);
    BOOT_CHECK_EQ(bpi_pmi2_parse_len("4 2   ", 6, &len, &why), BP_ERR_PROTO);
    BOOT_CHECK_EQ(bpi_pmi2_parse_len("-1    ", 6, &len, &why), BP_ERR_PROTO);
    BOOT_CHECK_EQ(bpi_pmi2_parse_len("cmd=in", 6, &len, &why), BP_ERR_PROTO);
    BOOT_CHECK_EQ(bpi_pmi2_parse_len("42   ", 5, &len, &why), BP_ERR_PROTO); /* truncated */
    BOOT_CHECK(why != NULL);
}

static void test_pmi2_good(void)
{
    BOOT_CHECK_EQ(p2("cmd=fullinit-response;rc=0;rank=1;size=2;appnum=0;"), BP_OK);
    BOOT_CHECK_EQ(msg.npairs, 5);
    STR_EQ(bpi_pmi_msg_get(&msg, "cmd"), "fullinit-response");
    STR_EQ(bpi_pmi_msg_get(&msg, "size"), "2");
    BOOT_CHECK_EQ(p2("cmd=job-getid-response;jobid=kvs_7_0"), BP_OK); /* no final ';' */
    STR_EQ(bpi_pmi_msg_get(&msg, "jobid"), "kvs_7_0");
    /* ";;" is a ';' of the value; ";;;" is one, then the separator */
    BOOT_CHECK_EQ(p2("cmd=kvs-get-response;value=a;;b;;;found=TRUE;"), BP_OK);
    STR_EQ(bpi_pmi_msg_get(&msg, "value"), "a;b;");
    STR_EQ(bpi_pmi_msg_get(&msg, "found"), "TRUE");
    BOOT_CHECK_EQ(p2("cmd=x;empty=;"), BP_OK);
    STR_EQ(bpi_pmi_msg_get(&msg, "empty"), "");
}

static void test_pmi2_bad(void)
{
    char big[BPI_PMI_MSG_MAX + 1];
    char line[4096];
    size_t n;

    p2_bad("");
    p2_bad(";");
    p2_bad("cmd=;");            /* empty cmd */
    p2_bad("rc=0;cmd=x;");      /* cmd not first */
    p2_bad("cmd=x;noeq;");      /* a segment without '=' */
    p2_bad("cmd=x;noeq");
    p2_bad(";cmd=x;");
    p2_bad("cmd=x;=v;");        /* empty key */
    p2_bad("cmd=x;k k=v;");     /* blank in a key */
    p2_bad("cmd=x;k=a\nb;");    /* control byte in a value */
    BOOT_CHECK_EQ(bpi_pmi2_parse("cmd=a\0b;", 8, &msg), BP_ERR_PROTO);
    BOOT_CHECK_EQ(bpi_pmi2_parse(NULL, 0, &msg), BP_ERR_PROTO);

    n = (size_t)snprintf(line, sizeof(line), "cmd=x");
    for (int i = 1; i < 33; i++) {
        n += (size_t)snprintf(line + n, sizeof(line) - n, ";k%d=%d", i, i);
    }
    BOOT_CHECK_EQ(bpi_pmi2_parse(line, n, &msg), BP_ERR_PROTO); /* 33 pairs */

    memset(big, 'v', sizeof(big));
    memcpy(big, "cmd=x;v=", 8);
    BOOT_CHECK_EQ(bpi_pmi2_parse(big, BPI_PMI_MSG_MAX, &msg), BP_OK);
    BOOT_CHECK_EQ(bpi_pmi2_parse(big, BPI_PMI_MSG_MAX + 1, &msg), BP_ERR_PROTO);
    /* the worst case for the unescaped copy: a value that ends the command unterminated */
    memset(big, ';', sizeof(big));
    memcpy(big, "cmd=x;v=", 8);
    BOOT_CHECK_EQ(bpi_pmi2_parse(big, BPI_PMI_MSG_MAX, &msg), BP_OK);
    BOOT_CHECK_EQ(strlen(bpi_pmi_msg_get(&msg, "v")), (BPI_PMI_MSG_MAX - 8) / 2);
}

static void test_pmi2_build(void)
{
    const char *kv[] = { "key", "bp0-0-0", "value", "x;y" };
    const char *expect = "35    cmd=kvs-put;key=bp0-0-0;value=x;;y;";
    const char *why;
    char out[256];
    size_t len, blen, cap;

    BOOT_CHECK_EQ(bpi_pmi2_build(out, sizeof(out), &len, "kvs-put", kv, 2), BP_OK);
    BOOT_CHECK(strcmp(out, expect) == 0);
    BOOT_CHECK_EQ(len, strlen(expect));
    BOOT_CHECK_EQ(bpi_pmi2_parse_len(out, 6, &blen, &why), BP_OK);
    BOOT_CHECK_EQ(blen, len - 6);
    BOOT_CHECK_EQ(bpi_pmi2_parse(out + 6, blen, &msg), BP_OK);
    STR_EQ(bpi_pmi_msg_get(&msg, "value"), "x;y");
    for (cap = 1; cap <= strlen(expect); cap++) {
        char *small = malloc(cap);
        BOOT_CHECK(small != NULL);
        BOOT_CHECK_EQ(bpi_pmi2_build(small, cap, &len, "kvs-put", kv, 2), BP_ERR_INVAL);
        free(small);
    }
    {
        const char *bad[] = { "k;", "v" };
        BOOT_CHECK_EQ(bpi_pmi2_build(out, sizeof(out), &len, "x", bad, 1), BP_ERR_INVAL);
    }
    {
        const char *bad[] = { "k", "a\tb" };
        BOOT_CHECK_EQ(bpi_pmi2_build(out, sizeof(out), &len, "x", bad, 1), BP_ERR_INVAL);
    }
}

static void test_hex_jobkey(void)
{
    unsigned char in[256], back[256];
    char hex[513];

    for (int i = 0; i < 256; i++) {
        in[i] = (unsigned char)i;
    }
    BOOT_CHECK_EQ(bpi_pmi_hex_encode(in, 256, hex, sizeof(hex)), BP_OK);
    BOOT_CHECK_EQ(strlen(hex), 512);
    BOOT_CHECK_EQ(bpi_pmi_hex_encode(in, 256, hex, 512), BP_ERR_INVAL); /* no room for NUL */
    BOOT_CHECK_EQ(bpi_pmi_hex_decode(hex, 512, back, 256), BP_OK);
    BOOT_CHECK(memcmp(in, back, 256) == 0);
    BOOT_CHECK_EQ(bpi_pmi_hex_decode("0A", 2, back, 1), BP_OK);
    BOOT_CHECK_EQ(back[0], 10);
    BOOT_CHECK_EQ(bpi_pmi_hex_decode(hex, 511, back, 256), BP_ERR_PROTO); /* odd */
    BOOT_CHECK_EQ(bpi_pmi_hex_decode(hex, 510, back, 256), BP_ERR_PROTO); /* short */
    BOOT_CHECK_EQ(bpi_pmi_hex_decode("0g", 2, back, 1), BP_ERR_PROTO);
    BOOT_CHECK_EQ(bpi_pmi_hex_decode("", 0, back, 0), BP_OK);

    BOOT_CHECK(bpi_pmi_jobkey("kvs_1234_0") == bpi_pmi_jobkey("kvs_1234_0"));
    BOOT_CHECK(bpi_pmi_jobkey("kvs_1234_0") != bpi_pmi_jobkey("kvs_1235_0"));
    BOOT_CHECK(bpi_pmi_jobkey("") != 0);
}

/* Every prefix, and random byte changes, of valid input: an answer, never a crash. */
static void test_mutations(void)
{
    static const char *const p1_lines[] = {
        "cmd=maxes kvsname_max=256 keylen_max=64 vallen_max=1024\n",
        "cmd=get_result rc=1 msg=key not found\n",
    };
    static const char *const p2_bodies[] = {
        "cmd=kvs-get-response;value=a;;b;;;found=TRUE;",
        "cmd=fullinit-response;rc=0;rank=1;size=2;",
    };
    unsigned seed = 12345;
    char buf[128];

    for (size_t t = 0; t < 2; t++) {
        size_t n1 = strlen(p1_lines[t]), n2 = strlen(p2_bodies[t]);
        for (size_t k = 0; k < n1; k++) {
            (void)bpi_pmi1_parse(p1_lines[t], k, &msg);
        }
        for (size_t k = 0; k < n2; k++) {
            (void)bpi_pmi2_parse(p2_bodies[t], k, &msg);
        }
        for (int it = 0; it < 20000; it++) {
            const char *src = (it & 1) ? p1_lines[t] : p2_bodies[t];
            size_t n = strlen(src);
            memcpy(buf, src, n);
            for (int m = 0; m < 3; m++) {
                seed = seed * 1103515245u + 12345u;
                buf[(seed >> 8) % n] = (char)(seed >> 20);
            }
            if (it & 1) {
                (void)bpi_pmi1_parse(buf, n, &msg);
            } else {
                (void)bpi_pmi2_parse(buf, n, &msg);
            }
            if (msg.npairs > 0) {
                BOOT_CHECK(strcmp(msg.key[0], "cmd") == 0);
            }
        }
    }
}

int main(void)
{
    test_pmi1_good();
    test_pmi1_bad();
    test_pmi1_build();
    test_pmi2_len();
    test_pmi2_good();
    test_pmi2_bad();
    test_pmi2_build();
    test_hex_jobkey();
    test_mutations();
    printf("pmi_wire_parse: ok\n");
    return 0;
}
