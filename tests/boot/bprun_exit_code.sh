#!/bin/sh
# bprun_exit_code: one rank exits 3 -> one line naming the rank on stderr, bprun exits 3.
# usage: bprun_exit_code.sh BPRUN HELPER
set -u
BPRUN=$1 HELPER=$2
err=$(mktemp) || exit 1
trap 'rm -f "$err"' EXIT
"$BPRUN" --timeout 20 -n 4 "$HELPER" exit 2 3 2>"$err"
rc=$?
cat "$err"
[ $rc -eq 3 ] || { echo "FAIL: bprun exited $rc, expected 3"; exit 1; }
grep -q '^bprun: rank 2 (pid [0-9]*) on host [^ ]* exited with status 3; killing the other ranks$' "$err" ||
    { echo "FAIL: no line naming rank 2"; exit 1; }
[ "$(grep -c '^bprun: ' "$err")" -eq 1 ] || { echo "FAIL: more than one bprun line"; exit 1; }
echo PASS
