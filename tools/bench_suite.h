/*
 * bench_suite.h - bp-bench's message benchmarks (lat, bw, bibw, mr), written once against
 * bench_backend.h and run by bp-bench (bypass, kernel sockets) and bp-bench-<mpi> alike.
 */
#ifndef BENCH_SUITE_H
#define BENCH_SUITE_H

#include "bench_backend.h"
#include "bench_util.h"

#define BENCH_EXIT_OK 0
#define BENCH_EXIT_FAIL 1
#define BENCH_EXIT_USAGE 2

/* Whether mode is one of the suite's benchmarks. */
int bench_suite_has(const char *mode);

/*
 * Checks the options against the mode (before anything starts: a usage error exits 2 on
 * every rank alike). 0, or -1 after a message.
 */
int bench_suite_check(const char *mode, const bench_opts_t *opts);

/* Runs opts->mode over be: init, every size, finalize. Returns the exit status. */
int bench_suite_run(const bench_be_t *be, const bench_opts_t *opts, int *argc_p,
                    char ***argv_p);

#endif /* BENCH_SUITE_H */
