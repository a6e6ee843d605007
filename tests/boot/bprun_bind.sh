#!/bin/sh
# bprun_bind: --bind core gives each rank one CPU; --bind none leaves bprun's mask.
# usage: bprun_bind.sh BPRUN HELPER
set -u
BPRUN=$1 HELPER=$2
out=$(mktemp) || exit 1
trap 'rm -f "$out"' EXIT
ncpu=$(nproc)
"$BPRUN" --timeout 20 --bind core -n 2 "$HELPER" affinity >"$out" || exit 1
[ "$(grep -c 'cpus 1$' "$out")" -eq 2 ] || { echo "FAIL: --bind core"; cat "$out"; exit 1; }
"$BPRUN" --timeout 20 --bind none -n 2 "$HELPER" affinity >"$out" || exit 1
[ "$(grep -c "cpus $ncpu\$" "$out")" -eq 2 ] || { echo "FAIL: --bind none"; cat "$out"; exit 1; }
echo PASS
