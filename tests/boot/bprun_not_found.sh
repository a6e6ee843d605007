#!/bin/sh
# bprun_not_found: a program that is not in PATH, a path that does not exist, a file that is
# not executable -> a message naming it, exit 127, nothing started.
# usage: bprun_not_found.sh BPRUN HELPER
set -u
BPRUN=$1
err=$(mktemp) || exit 1
tmp=$(mktemp) || exit 1
trap 'rm -f "$err" "$tmp"' EXIT
fail=0
"$BPRUN" -n 2 bp-no-such-program-xyz 2>"$err"
rc=$?
[ $rc -eq 127 ] && grep -q '^bprun: bp-no-such-program-xyz: command not found$' "$err" ||
    { echo "FAIL: PATH search -> $rc"; cat "$err"; fail=1; }
"$BPRUN" -n 2 /nonexistent/prog 2>"$err"
rc=$?
[ $rc -eq 127 ] && grep -q '^bprun: /nonexistent/prog: No such file or directory$' "$err" ||
    { echo "FAIL: path -> $rc"; cat "$err"; fail=1; }
chmod 644 "$tmp"
"$BPRUN" -n 2 "$tmp" 2>"$err"
rc=$?
[ $rc -eq 127 ] && grep -q "^bprun: $tmp: Permission denied\$" "$err" ||
    { echo "FAIL: not executable -> $rc"; cat "$err"; fail=1; }
[ $fail -eq 0 ] && echo PASS
exit $fail
