#!/bin/sh
# bprun_timeout: a job still running after --timeout is killed, with a message naming the
# timeout, and bprun exits non-zero.
# usage: bprun_timeout.sh BPRUN HELPER
set -u
BPRUN=$1 HELPER=$2
err=$(mktemp) || exit 1
trap 'rm -f "$err"' EXIT
start=$(date +%s)
"$BPRUN" --timeout 1 -n 2 "$HELPER" sleep 30 2>"$err"
rc=$?
elapsed=$(( $(date +%s) - start ))
cat "$err"
[ $rc -ne 0 ] || { echo "FAIL: bprun exited 0"; exit 1; }
[ $elapsed -lt 6 ] || { echo "FAIL: took ${elapsed}s"; exit 1; }
grep -q '^bprun: timeout' "$err" || { echo "FAIL: no timeout message"; exit 1; }
echo "PASS (exit $rc)"
