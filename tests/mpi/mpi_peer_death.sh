#!/bin/sh
# mpi_peer_death.sh BPRUN PROG: rank 0 dies; rank 1 must get MPI_ERR_PROC_FAILED, not hang.
bprun=$1 prog=$2
out=$("$bprun" --timeout 30 -n 2 "$prog" 2>&1)
rc=$?
echo "$out"
[ "$rc" -ne 0 ] || { echo "FAIL: bprun should report rank 0's exit"; exit 1; }
echo "$out" | grep -q "rank 1: peer failure reported" ||
    { echo "FAIL: rank 1 did not report"; exit 1; }
echo "mpi_peer_death passed"
