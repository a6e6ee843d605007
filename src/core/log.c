/* log.c - formatting of log lines; one write(2) per line so ranks do not interleave. */
#include "core/log.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

bpi_log_level_t bpi_log_level_current = BPI_LOG_WARN;
static int log_rank = -1;

void bpi_log_set_rank(int rank)
{
    log_rank = rank;
}

void bpi_log_emit(bpi_log_level_t level, const char *fmt, ...)
{
    static const char *const names[] = {"error", "warn", "info", "debug"};
    char line[1024];
    int n;
    va_list ap;

    if (log_rank >= 0) {
        n = snprintf(line, sizeof(line), "bypass[%d] %s: ", log_rank, names[level]);
    } else {
        n = snprintf(line, sizeof(line), "bypass %s: ", names[level]);
    }
    va_start(ap, fmt);
    n += vsnprintf(line + n, sizeof(line) - (size_t)n - 1, fmt, ap);
    va_end(ap);
    if (n > (int)sizeof(line) - 2) {
        n = (int)sizeof(line) - 2;
    }
    line[n++] = '\n';
    /* best effort: a failed write to stderr has nowhere else to go */
    ssize_t w = write(STDERR_FILENO, line, (size_t)n);
    (void)w;
}
