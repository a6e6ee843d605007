#!/usr/bin/env bash
# bench-mpi.sh [RUNS] [OUT]: the MPI layer's figures for docs/PERFORMANCE.md (issue 8).
#   1. 8 B latency: native bypass and bypass's MPI layer (bp-bench-bpmpi) in the same
#      compare run, beside Open MPI and MPICH: the MPI layer should cost almost nothing
#      (within 1.1x of native);
#   2. MPI_Barrier, MPI_Bcast (8 B) and MPI_Allreduce (one double, MPI_SUM) at 2 ranks:
#      bypass's MPI layer against the best of Open MPI and MPICH ("x best peer" column).
# RUNS runs of each configuration, interleaved (default 7); tables, CSV and plots into OUT
# (default results/mpi). Needs the peers (scripts/setup.sh --peers, then a rebuild so that
# bp-bench-openmpi and bp-bench-mpich exist). Run alone on the machine: it spins on two
# cores, and anything beside it spoils the figures.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
runs=${1:-7}
out=${2:-results/mpi}
bin=${BIN:-build/bin}
"$bin/bp-bench" compare lat --sizes 8 --runs "$runs" --out "$out" \
    --skip base,bypass-tcp,bypass-hosts,tcp,tcp-spin,unix,unix-spin,openmpi-tcp
"$bin/bp-bench" compare coll --runs "$runs" --out "$out" \
    --skip bypass-tcp,bypass-hosts,openmpi-tcp
