#!/bin/sh
# bprun_bind: --bind core gives each rank one CPU; --bind none leaves bprun's mask; with more
# ranks than CPUs the default is still core: one CPU each, round robin (rank r on the
# (r mod CPUs)-th CPU of bprun's mask); --bind block puts consecutive ranks on the same CPU
# (rank r on the (r * CPUs / N)-th).
# usage: bprun_bind.sh BPRUN HELPER
set -u
BPRUN=$1 HELPER=$2
out=$(mktemp) || exit 1
trap 'rm -f "$out"' EXIT
ncpu=$(nproc)
"$BPRUN" --timeout 20 --bind core -n 2 "$HELPER" affinity >"$out" || exit 1
[ "$(grep -c 'cpus 1 ' "$out")" -eq 2 ] || { echo "FAIL: --bind core"; cat "$out"; exit 1; }
"$BPRUN" --timeout 20 --bind none -n 2 "$HELPER" affinity >"$out" || exit 1
[ "$(grep -c "cpus $ncpu " "$out")" -eq 2 ] || { echo "FAIL: --bind none"; cat "$out"; exit 1; }

# the CPUs of bprun's mask, in order
cpus=$(taskset -pc $$ | sed 's/.*: *//' | tr ',' '\n' |
       awk -F- '{ for (c = $1; c <= ($2 == "" ? $1 : $2); c++) print c }')
n=$((2 * ncpu + 1))
for opt in "" "--bind core" "--bind block"; do
    # shellcheck disable=SC2086
    "$BPRUN" --timeout 20 $opt -n $n "$HELPER" affinity >"$out" || exit 1
    r=0
    while [ $r -lt $n ]; do
        if [ "$opt" = "--bind block" ]; then
            want=$(echo "$cpus" | sed -n "$((r * ncpu / n + 1))p")
        else
            want=$(echo "$cpus" | sed -n "$((r % ncpu + 1))p")
        fi
        grep -q "^rank $r cpus 1 first $want\$" "$out" ||
            { echo "FAIL: ${opt:-default} with $n ranks: rank $r not alone on CPU $want"; cat "$out"; exit 1; }
        r=$((r + 1))
    done
done
echo PASS
