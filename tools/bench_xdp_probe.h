/* bench_xdp_probe.h - the raw AF_XDP ping-pong of `bp-bench base xdp` (bench_xdp_probe.c). */
#ifndef BENCH_XDP_PROBE_H
#define BENCH_XDP_PROBE_H

#include <stdint.h>

/* Half the mean round trip of 64-byte frames, pinned to cpus; 0, or -1 after a message. */
int bench_xdp_probe(int cpus[2], uint64_t warmup, uint64_t iters, double *us_p);

#endif
