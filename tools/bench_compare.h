/*
 * bench_compare.h - `bp-bench compare`: every configuration (the physical baseline, bypass,
 * the kernel baselines, Open MPI and MPICH) on the same two CPUs, side by side.
 */
#ifndef BENCH_COMPARE_H
#define BENCH_COMPARE_H

#include "bench_util.h"

/* Runs compare; self is argv[0] (the programs are found beside /proc/self/exe). Returns the
 * exit status: 0, 1 if a configuration failed, 2 on a usage error. */
int bench_compare_run(const bench_opts_t *opts, const char *self);

#endif /* BENCH_COMPARE_H */
