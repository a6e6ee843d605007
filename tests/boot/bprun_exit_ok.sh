#!/bin/sh
# bprun_exit_ok: every rank exits 0 -> bprun exits 0 and prints nothing of its own.
# usage: bprun_exit_ok.sh BPRUN HELPER
set -u
BPRUN=$1 HELPER=$2
err=$(mktemp) || exit 1
trap 'rm -f "$err"' EXIT
"$BPRUN" --timeout 20 -n 4 "$HELPER" exit 0 0 2>"$err"
rc=$?
[ $rc -eq 0 ] || { echo "FAIL: bprun exited $rc, expected 0"; cat "$err"; exit 1; }
[ ! -s "$err" ] || { echo "FAIL: unexpected stderr:"; cat "$err"; exit 1; }
# -np and -- are accepted too.
"$BPRUN" --timeout 20 -np 2 -- "$HELPER" exit 0 0 || { echo "FAIL: -np/-- form"; exit 1; }
echo PASS
