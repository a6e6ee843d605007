/*
 * boot_test.h - the check macro of the boot tests: on failure it prints both values and the
 * line, and the test exits non-zero.
 */
#ifndef BOOT_TEST_H
#define BOOT_TEST_H

#include <stdio.h>
#include <stdlib.h>

#define BOOT_CHECK_EQ(a, b)                                                                   \
    do {                                                                                      \
        long long boot_a_ = (long long)(a), boot_b_ = (long long)(b);                         \
        if (boot_a_ != boot_b_) {                                                             \
            fprintf(stderr, "%s:%d: %s == %s failed: %lld != %lld\n", __FILE__, __LINE__, #a, \
                    #b, boot_a_, boot_b_);                                                    \
            exit(1);                                                                          \
        }                                                                                     \
    } while (0)

#define BOOT_CHECK(cond)                                                                      \
    do {                                                                                      \
        if (!(cond)) {                                                                        \
            fprintf(stderr, "%s:%d: %s failed\n", __FILE__, __LINE__, #cond);                 \
            exit(1);                                                                          \
        }                                                                                     \
    } while (0)

#endif
