#!/bin/sh
# mpi_fatal.sh BPRUN PROG: under the default MPI_ERRORS_ARE_FATAL, rank 0's bad send (then
# its bad MPI_Ibcast) ends the whole job: bprun exits non-zero, stderr names the call the
# program made and the error class, and no rank goes on.
bprun=$1 prog=$2
check() { # MODE EXPECTED
    out=$("$bprun" --timeout 30 -n 2 "$prog" $1 2>&1)
    rc=$?
    echo "$out"
    [ "$rc" -ne 0 ] || { echo "FAIL ($1): the job should have failed"; exit 1; }
    echo "$out" | grep -q "$2" || { echo "FAIL ($1): no message naming $2"; exit 1; }
    if echo "$out" | grep -q "still running\|nobody sent"; then
        echo "FAIL ($1): a rank went on after the fatal error"
        exit 1
    fi
}
check send "MPI_Send: MPI_ERR_RANK"
check ibcast "MPI_Ibcast: MPI_ERR_ROOT"
echo "mpi_fatal passed"
