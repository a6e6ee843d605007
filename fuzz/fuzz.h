/*
 * fuzz.h - what every fuzz target shares: the libFuzzer entry point (built with clang and
 * -fsanitize=fuzzer in a BP_FUZZ=ON build, or linked with replay_main.c by gcc in every
 * build, so that each target's corpus is a unit test) and a reader that takes bytes from
 * the input without ever reading past it.
 */
#ifndef BP_FUZZ_H
#define BP_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

typedef struct fuzz_in {
    const uint8_t *p;
    size_t n;
} fuzz_in_t;

/* Up to len bytes into out (the rest zeroed); returns how many were there. */
static inline size_t fuzz_take(fuzz_in_t *in, void *out, size_t len)
{
    size_t k = in->n < len ? in->n : len;

    memcpy(out, in->p, k);
    memset((char *)out + k, 0, len - k);
    in->p += k;
    in->n -= k;
    return k;
}

static inline uint8_t fuzz_u8(fuzz_in_t *in)
{
    uint8_t v;

    fuzz_take(in, &v, 1);
    return v;
}

static inline uint16_t fuzz_u16(fuzz_in_t *in)
{
    uint16_t v;

    fuzz_take(in, &v, 2);
    return v;
}

#endif
