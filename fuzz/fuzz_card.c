/*
 * fuzz_card.c - the business card, as bp_init reads it from every peer through the
 * bootstrap: round one's hello (bpi_card_check: magic, version, job key, rank), then round
 * two's address blocks (bpi_card_find, for every transport name, and every byte of the
 * block it returns is read, so a block that runs past the card is caught).
 *
 * Input: job size - 1 and our rank (one byte each), then the hellos and the address cards
 * of every rank, zero-filled where the input ends.
 */
#include <stdlib.h>
#include <string.h>

#include "core/core.h"
#include "fuzz.h"

#define FZ_CARD_RANKS 8

static volatile unsigned char fz_sink;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char *const names[] = {"shm", "tcp", "xdp", "", "shmshmshm"};
    fuzz_in_t in = {data, size};
    int n = 1 + fuzz_u8(&in) % FZ_CARD_RANKS;
    int rank = fuzz_u8(&in) % n;
    bpi_card_hdr_t *hellos = malloc((size_t)n * sizeof(*hellos));
    char *cards = malloc((size_t)n * BPI_CARD_ADDR_SIZE);

    if (hellos == NULL || cards == NULL) {
        free(hellos);
        free(cards);
        return 0;
    }
    fuzz_take(&in, hellos, (size_t)n * sizeof(*hellos));
    fuzz_take(&in, cards, (size_t)n * BPI_CARD_ADDR_SIZE);
    (void)bpi_card_check(hellos, n, rank);
    for (int r = 0; r < n; r++) {
        for (size_t k = 0; k < sizeof(names) / sizeof(names[0]); k++) {
            const bpi_card_tl_t *tl = bpi_card_find(cards + (size_t)r * BPI_CARD_ADDR_SIZE,
                                                    names[k]);
            if (tl != NULL) {
                const unsigned char *b = (const unsigned char *)(tl + 1);
                for (uint32_t i = 0; i < tl->len; i++) {
                    fz_sink ^= b[i];
                }
            }
        }
    }
    free(hellos);
    free(cards);
    return 0;
}
