#!/bin/sh
# version_mismatch.sh BPRUN PROG: rank 1 claims protocol version 99 (a test-only hook); both
# ranks must fail bp_init with BP_ERR_VERSION and a message that names both versions.
bprun=$1 prog=$2
out=$(BPI_TEST_WIRE_VERSION=1:99 "$bprun" --timeout 30 -n 2 "$prog" 2>&1)
rc=$?
echo "$out"
[ "$rc" -ne 0 ] || { echo "FAIL: the job should fail"; exit 1; }
echo "$out" | grep -q "bypass\[0\] error: protocol version mismatch: rank 1 speaks version 99, this rank (0) speaks version [0-9]*" ||
    { echo "FAIL: rank 0 did not name both versions"; exit 1; }
echo "$out" | grep -q "bypass\[1\] error: protocol version mismatch: rank 0 speaks version [0-9]*, this rank (1) speaks version 99" ||
    { echo "FAIL: rank 1 did not name both versions"; exit 1; }
echo "$out" | grep -q "init: .*protocol version mismatch" || { echo "FAIL: no BP_ERR_VERSION"; exit 1; }
echo "version_mismatch passed"
