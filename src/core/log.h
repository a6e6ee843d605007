/*
 * log.h - the library's only voice: one line per event on stderr, prefixed "bypass[rank]",
 * filtered by BP_LOG_LEVEL. Never stdout. The function that first classifies a failure
 * logs it (with peer, transport, syscall and OS error text); callers just return the status.
 */
#ifndef BPI_LOG_H
#define BPI_LOG_H

typedef enum bpi_log_level {
    BPI_LOG_ERROR = 0,
    BPI_LOG_WARN = 1,
    BPI_LOG_INFO = 2,
    BPI_LOG_DEBUG = 3,
} bpi_log_level_t;

extern bpi_log_level_t bpi_log_level_current;

/* Who we are, for the prefix; -1 until the rank is known. */
void bpi_log_set_rank(int rank);

/* cold: the compiler moves every logging branch off the message path */
void bpi_log_emit(bpi_log_level_t level, const char *fmt, ...)
    __attribute__((cold, format(printf, 2, 3)));

#define bpi_log_(lvl, ...)                                                                     \
    do {                                                                                       \
        if (__builtin_expect((lvl) <= bpi_log_level_current, 0)) {                             \
            bpi_log_emit((lvl), __VA_ARGS__);                                                  \
        }                                                                                      \
    } while (0)

#define bpi_log_error(...) bpi_log_(BPI_LOG_ERROR, __VA_ARGS__)
#define bpi_log_warn(...) bpi_log_(BPI_LOG_WARN, __VA_ARGS__)
#define bpi_log_info(...) bpi_log_(BPI_LOG_INFO, __VA_ARGS__)
#define bpi_log_debug(...) bpi_log_(BPI_LOG_DEBUG, __VA_ARGS__)

#endif
