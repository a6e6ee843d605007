/*
 * copy.h - memcpy for the message path. Short copies (the common case: small messages) are
 * done inline with at most two overlapping loads and stores of fixed size, which the
 * compiler turns into plain moves, instead of a call through the PLT into the C library;
 * longer ones call memcpy, which is faster there.
 */
#ifndef BPI_COPY_H
#define BPI_COPY_H

#include <stdint.h>
#include <string.h>

static inline void bpi_copy(void *dst, const void *src, size_t n)
{
    char *d = dst;
    const char *s = src;

    if (n > 32) {
        memcpy(d, s, n);
    } else if (n >= 16) {
        char a[16], b[16];
        memcpy(a, s, 16);
        memcpy(b, s + n - 16, 16);
        memcpy(d, a, 16);
        memcpy(d + n - 16, b, 16);
    } else if (n >= 8) {
        uint64_t a, b;
        memcpy(&a, s, 8);
        memcpy(&b, s + n - 8, 8);
        memcpy(d, &a, 8);
        memcpy(d + n - 8, &b, 8);
    } else if (n >= 4) {
        uint32_t a, b;
        memcpy(&a, s, 4);
        memcpy(&b, s + n - 4, 4);
        memcpy(d, &a, 4);
        memcpy(d + n - 4, &b, 4);
    } else if (n > 0) {
        d[0] = s[0];
        d[n / 2] = s[n / 2];
        d[n - 1] = s[n - 1];
    }
}

#endif
