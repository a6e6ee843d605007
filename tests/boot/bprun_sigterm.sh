#!/bin/sh
# bprun_sigterm: SIGTERM to bprun reaches every rank, and bprun exits non-zero promptly.
# usage: bprun_sigterm.sh BPRUN HELPER
set -u
BPRUN=$1 HELPER=$2
dir=$(mktemp -d) || exit 1
trap 'rm -rf "$dir"' EXIT
"$BPRUN" --timeout 25 -n 3 "$HELPER" term "$dir" &
pid=$!
i=0
while [ "$(ls "$dir" | grep -c '^ready\.')" -lt 3 ] && [ $i -lt 100 ]; do
    sleep 0.1
    i=$((i + 1))
done
[ $i -lt 100 ] || { echo "FAIL: ranks not ready"; kill "$pid"; exit 1; }
start=$(date +%s)
kill -TERM "$pid"
wait "$pid"
rc=$?
elapsed=$(( $(date +%s) - start ))
[ $rc -ne 0 ] || { echo "FAIL: bprun exited 0"; exit 1; }
[ $elapsed -lt 5 ] || { echo "FAIL: took ${elapsed}s"; exit 1; }
for r in 0 1 2; do
    [ -e "$dir/term.$r" ] || { echo "FAIL: rank $r did not get SIGTERM"; exit 1; }
done
echo "PASS (exit $rc)"
