#!/bin/sh
# bprun_rank_killed: rank 1 dies by SIGKILL while the others sleep 30 s -> they are killed
# promptly, bprun reports the signal and exits 128 + 9.
# usage: bprun_rank_killed.sh BPRUN HELPER
set -u
BPRUN=$1 HELPER=$2
err=$(mktemp) || exit 1
trap 'rm -f "$err"' EXIT
start=$(date +%s)
"$BPRUN" --timeout 25 -n 3 "$HELPER" raise 1 9 2>"$err"
rc=$?
elapsed=$(( $(date +%s) - start ))
cat "$err"
[ $rc -eq 137 ] || { echo "FAIL: bprun exited $rc, expected 137"; exit 1; }
[ $elapsed -lt 10 ] || { echo "FAIL: took ${elapsed}s"; exit 1; }
grep -q '^bprun: rank 1 (pid [0-9]*) on host [^ ]* killed by signal 9 (Killed); killing the other ranks$' \
    "$err" || { echo "FAIL: no line naming rank 1 and the signal"; exit 1; }
echo PASS
