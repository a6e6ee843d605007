/*
 * json_check.c - reads a JSON text on stdin and exits 0 if it is well-formed (RFC 8259: one
 * value, nothing but white space after it), 1 with the offset of the first error otherwise.
 * With an argument KEY, also prints how many times "KEY" appears as an object key, so a test
 * can count rows without a JSON library.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *text, *pos;
static const char *count_key;
static long key_count;

static int parse_value(int depth);

static void skip_ws(void)
{
    while (*pos == ' ' || *pos == '\t' || *pos == '\n' || *pos == '\r') {
        pos++;
    }
}

/* A string; when is_key, counted if it equals count_key. */
static int parse_string(int is_key)
{
    const char *start;

    if (*pos != '"') {
        return -1;
    }
    start = ++pos;
    while (*pos != '"') {
        if ((unsigned char)*pos < 0x20) {
            return -1; /* also the end of the text */
        }
        if (*pos == '\\') {
            pos++;
            if (*pos == 'u') {
                for (int k = 1; k <= 4; k++) {
                    if (!isxdigit((unsigned char)pos[k])) {
                        return -1;
                    }
                }
                pos += 4;
            } else if (strchr("\"\\/bfnrt", *pos) == NULL || *pos == '\0') {
                return -1;
            }
        }
        pos++;
    }
    if (is_key && count_key != NULL && (size_t)(pos - start) == strlen(count_key)
        && strncmp(start, count_key, strlen(count_key)) == 0) {
        key_count++;
    }
    pos++;
    return 0;
}

static int parse_number(void)
{
    if (*pos == '-') {
        pos++;
    }
    if (*pos == '0') {
        pos++;
    } else if (isdigit((unsigned char)*pos)) {
        while (isdigit((unsigned char)*pos)) {
            pos++;
        }
    } else {
        return -1;
    }
    if (*pos == '.') {
        pos++;
        if (!isdigit((unsigned char)*pos)) {
            return -1;
        }
        while (isdigit((unsigned char)*pos)) {
            pos++;
        }
    }
    if (*pos == 'e' || *pos == 'E') {
        pos++;
        if (*pos == '+' || *pos == '-') {
            pos++;
        }
        if (!isdigit((unsigned char)*pos)) {
            return -1;
        }
        while (isdigit((unsigned char)*pos)) {
            pos++;
        }
    }
    return 0;
}

/* Object or array: open, then members separated by commas, then close. */
static int parse_container(int depth, char close, int object)
{
    pos++;
    skip_ws();
    if (*pos == close) {
        pos++;
        return 0;
    }
    for (;;) {
        skip_ws();
        if (object) {
            if (parse_string(1) != 0) {
                return -1;
            }
            skip_ws();
            if (*pos++ != ':') {
                return -1;
            }
        }
        if (parse_value(depth + 1) != 0) {
            return -1;
        }
        skip_ws();
        if (*pos == ',') {
            pos++;
            continue;
        }
        if (*pos == close) {
            pos++;
            return 0;
        }
        return -1;
    }
}

static int parse_value(int depth)
{
    if (depth > 64) {
        return -1;
    }
    skip_ws();
    switch (*pos) {
    case '{':
        return parse_container(depth, '}', 1);
    case '[':
        return parse_container(depth, ']', 0);
    case '"':
        return parse_string(0);
    case 't':
        return strncmp(pos, "true", 4) == 0 ? (pos += 4, 0) : -1;
    case 'f':
        return strncmp(pos, "false", 5) == 0 ? (pos += 5, 0) : -1;
    case 'n':
        return strncmp(pos, "null", 4) == 0 ? (pos += 4, 0) : -1;
    default:
        return parse_number();
    }
}

int main(int argc, char **argv)
{
    size_t cap = 1 << 16, len = 0, r;
    char *buf = malloc(cap + 1);

    count_key = (argc > 1) ? argv[1] : NULL;
    while (buf != NULL && (r = fread(buf + len, 1, cap - len, stdin)) > 0) {
        len += r;
        if (len == cap) {
            cap *= 2;
            buf = realloc(buf, cap + 1);
        }
    }
    if (buf == NULL) {
        fprintf(stderr, "json_check: out of memory\n");
        return 1;
    }
    buf[len] = '\0';
    text = pos = buf;
    if (strlen(buf) != len || parse_value(0) != 0 || (skip_ws(), *pos != '\0')) {
        fprintf(stderr, "json_check: not well-formed JSON at offset %ld\n", (long)(pos - text));
        free(buf);
        return 1;
    }
    if (count_key != NULL) {
        printf("%ld\n", key_count);
    }
    free(buf);
    return 0;
}
