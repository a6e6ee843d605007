#!/bin/sh
# bprun_rseq: with more ranks than CPUs, bprun starts the ranks with glibc's rseq
# registration off (glibc.pthread.rseq=0 added to GLIBC_TUNABLES), and glibc honours it (its
# registration is 0 bytes); with a CPU per rank it leaves it on; a GLIBC_TUNABLES that names
# glibc.pthread.rseq is the user's choice and stays as it is; other tunables are kept. Skipped
# (77) when glibc registers no rseq area even alone (an old kernel).
# usage: bprun_rseq.sh BPRUN HELPER
set -u
BPRUN=$1 HELPER=$2
out=$(mktemp) || exit 1
trap 'rm -f "$out"' EXIT
ncpu=$(nproc)
over=$((ncpu + 1))
fail() { echo "FAIL: $1"; cat "$out"; exit 1; }

# bprun's own affinity mask counts, as for binding
[ "$(taskset -pc $$ | sed 's/.*: *//' | tr ',' '\n' |
     awk -F- '{ n += ($2 == "" ? 1 : $2 - $1 + 1) } END { print n }')" -eq "$ncpu" ] ||
    { echo "SKIP: the affinity mask is not every CPU"; exit 77; }

env -u GLIBC_TUNABLES "$BPRUN" --timeout 20 -n "$ncpu" "$HELPER" rseq >"$out" || fail "a CPU each"
grep -q "rseq 0 " "$out" && { grep -q "tunables -" "$out" || fail "a CPU each: tunables"; \
    echo "SKIP: glibc registers no rseq area here"; exit 77; }
[ "$(grep -c "rseq [1-9][0-9]* tunables -$" "$out")" -eq "$ncpu" ] || fail "a CPU each: rseq on"

env -u GLIBC_TUNABLES "$BPRUN" --timeout 20 -n "$over" "$HELPER" rseq >"$out" || fail "run"
[ "$(grep -c "rseq 0 tunables glibc.pthread.rseq=0$" "$out")" -eq "$over" ] ||
    fail "more ranks than CPUs: rseq off"

GLIBC_TUNABLES=glibc.malloc.check=0 "$BPRUN" --timeout 20 -n "$over" "$HELPER" rseq >"$out" ||
    fail "run"
[ "$(grep -c "rseq 0 tunables glibc.malloc.check=0:glibc.pthread.rseq=0$" "$out")" -eq "$over" ] ||
    fail "other tunables kept"

GLIBC_TUNABLES=glibc.pthread.rseq=1 "$BPRUN" --timeout 20 -n "$over" "$HELPER" rseq >"$out" ||
    fail "run"
[ "$(grep -c "rseq [1-9][0-9]* tunables glibc.pthread.rseq=1$" "$out")" -eq "$over" ] ||
    fail "the user's glibc.pthread.rseq=1"
echo PASS
