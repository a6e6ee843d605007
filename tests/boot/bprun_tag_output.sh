#!/bin/sh
# bprun_tag_output: with --tag-output every line of each rank's stdout and stderr starts with
# "[rank] ", a last line without a newline is flushed at exit; without it, output is as is.
# usage: bprun_tag_output.sh BPRUN HELPER
set -u
BPRUN=$1 HELPER=$2
out=$(mktemp) || exit 1
err=$(mktemp) || exit 1
trap 'rm -f "$out" "$err"' EXIT
fail=0
"$BPRUN" --timeout 20 --tag-output -n 3 "$HELPER" print >"$out" 2>"$err"
rc=$?
[ $rc -eq 0 ] || { echo "FAIL: bprun exited $rc"; fail=1; }
for r in 0 1 2; do
    grep -qx "\[$r\] out $r" "$out" || { echo "FAIL: no '[$r] out $r' on stdout"; fail=1; }
    grep -qx "\[$r\] tail $r" "$out" || { echo "FAIL: no '[$r] tail $r' on stdout"; fail=1; }
    grep -qx "\[$r\] err $r" "$err" || { echo "FAIL: no '[$r] err $r' on stderr"; fail=1; }
done
[ "$(wc -l <"$out")" -eq 6 ] || { echo "FAIL: stdout is not 6 lines"; fail=1; }
[ "$(wc -l <"$err")" -eq 3 ] || { echo "FAIL: stderr is not 3 lines"; fail=1; }
grep -v '^\[[0-2]\] ' "$out" "$err" && { echo "FAIL: untagged lines"; fail=1; }
# Without the option: inherited descriptors, no prefix.
"$BPRUN" --timeout 20 -n 1 "$HELPER" print >"$out" 2>"$err"
[ "$(cat "$out")" = "out 0
tail 0" ] || { echo "FAIL: untagged stdout differs"; cat "$out"; fail=1; }
[ $fail -eq 0 ] || { echo "stdout:"; cat "$out"; echo "stderr:"; cat "$err"; exit 1; }
echo PASS
