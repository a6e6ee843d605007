#!/bin/sh
# mpi_fatal.sh BPRUN PROG: under the default MPI_ERRORS_ARE_FATAL, rank 0's bad send ends
# the whole job: bprun exits non-zero, stderr names the call and the error class, and no
# rank goes on.
bprun=$1 prog=$2
out=$("$bprun" --timeout 30 -n 2 "$prog" 2>&1)
rc=$?
echo "$out"
[ "$rc" -ne 0 ] || { echo "FAIL: the job should have failed"; exit 1; }
echo "$out" | grep -q "MPI_Send: MPI_ERR_RANK" ||
    { echo "FAIL: no message naming MPI_Send and MPI_ERR_RANK"; exit 1; }
if echo "$out" | grep -q "still running\|nobody sent"; then
    echo "FAIL: a rank went on after the fatal error"
    exit 1
fi
echo "mpi_fatal passed"
