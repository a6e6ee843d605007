#!/bin/sh
# bprun_bad_args: missing -n, N < 1, N > 4096, a bad N, an unknown option, no program, a bad
# --bind or --timeout -> usage on stderr, exit 2, nothing started.
# usage: bprun_bad_args.sh BPRUN HELPER
set -u
BPRUN=$1 HELPER=$2
err=$(mktemp) || exit 1
trap 'rm -f "$err"' EXIT
fail=0
check() {
    "$BPRUN" "$@" >/dev/null 2>"$err"
    rc=$?
    if [ $rc -ne 2 ] || ! grep -q '^usage: bprun' "$err"; then
        echo "FAIL: bprun $* -> exit $rc"; cat "$err"; fail=1
    fi
}
check "$HELPER" exit 0 0
check -n 0 "$HELPER" exit 0 0
check -n 4097 "$HELPER" exit 0 0
check -n x "$HELPER" exit 0 0
check -n -1 "$HELPER" exit 0 0
check -n 2 --frobnicate "$HELPER" exit 0 0
check -n 2
check -n 2 --
check -n
check -n 2 --bind socket "$HELPER" exit 0 0
check -n 2 --timeout 0 "$HELPER" exit 0 0
check -n 2 --timeout abc "$HELPER" exit 0 0
[ $fail -eq 0 ] && echo PASS
exit $fail
