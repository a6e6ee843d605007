/*
 * hello.c - the smallest user of an installed bypass: only <bypass.h>, only public calls.
 * Prints "bypass MAJOR.MINOR.PATCH protocol N" so the test can compare it with what
 * pkg-config and find_package report. Exit status 0 only if every check holds.
 */
#include <bypass.h>
#include <stdio.h>
#include <string.h>

static int check(int ok, const char *what)
{
    if (!ok) {
        fprintf(stderr, "hello: check failed: %s\n", what);
    }
    return ok ? 0 : 1;
}

int main(void)
{
    int major = -1, minor = -1, patch = -1, protocol = -1;
    int failed = 0;

    bp_status_t st = bp_version(&major, &minor, &patch, &protocol);
    failed += check(st == BP_OK, "bp_version returns BP_OK");
    failed += check(major == BP_VERSION_MAJOR && minor == BP_VERSION_MINOR &&
                        patch == BP_VERSION_PATCH,
                    "library version equals header version");
    failed += check(protocol > 0, "protocol version is positive");
    /* NULL outputs are allowed. */
    failed += check(bp_version(NULL, NULL, NULL, NULL) == BP_OK, "bp_version(NULL...)");

    const char *ok_text = bp_strerror(BP_OK);
    const char *inval_text = bp_strerror(BP_ERR_INVAL);
    const char *unknown_text = bp_strerror((bp_status_t)-12345);
    failed += check(ok_text != NULL && ok_text[0] != '\0', "bp_strerror(BP_OK) is text");
    failed += check(inval_text != NULL && inval_text[0] != '\0',
                    "bp_strerror(BP_ERR_INVAL) is text");
    failed += check(ok_text != NULL && inval_text != NULL && strcmp(ok_text, inval_text) != 0,
                    "BP_OK and BP_ERR_INVAL have different texts");
    failed += check(unknown_text != NULL && unknown_text[0] != '\0',
                    "bp_strerror(unknown) is text");

    printf("bypass %d.%d.%d protocol %d\n", major, minor, patch, protocol);
    printf("BP_ERR_INVAL: %s\n", inval_text != NULL ? inval_text : "(null)");
    return failed == 0 ? 0 : 1;
}
