#!/bin/sh
# mpi_hydra.sh N PROG NAME: runs an MPI test program built against bypass's mpi.h under
# MPICH's Hydra (mpiexec.hydra) instead of bprun: the library boots through PMI. Passes when
# the launcher exits 0 and all N ranks report "NAME passed". Exit 77 (ctest SKIP) when
# mpiexec.hydra is not installed. The launcher runs under `timeout` (Hydra hangs when a
# launch fails).
n=$1 prog=$2 name=$3
if ! command -v mpiexec.hydra >/dev/null 2>&1; then
    echo "SKIP: mpiexec.hydra is not installed (Debian: apt-get install mpich)"
    exit 77
fi
out=$(timeout -k 5 240 mpiexec.hydra -n "$n" "$prog" 2>&1)
rc=$?
echo "$out"
[ "$rc" -eq 0 ] || { echo "FAIL: mpiexec.hydra exited with $rc"; exit 1; }
got=$(echo "$out" | grep -c "$name passed")
[ "$got" -eq "$n" ] || { echo "FAIL: $got of $n ranks passed"; exit 1; }
echo "ok: $name on $n ranks under mpiexec.hydra"
