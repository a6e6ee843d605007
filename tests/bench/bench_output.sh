#!/bin/sh
# bench_output.sh BP_BENCH BPRUN JSON_CHECK: the CSV and JSON of the benchmarks are
# well-formed and hold one row per size, for each kind of backend (bypass under bprun, a
# kernel baseline, base, and an MPI build when there is one). Tiny runs; figures unchecked.
bench=$1
bprun=$2
json_check=$3
bindir=$(dirname "$bench")
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0
t="timeout 60"

bad() {
    echo "FAIL: $*"
    fail=1
}

# csv_ok FILE HEADER ROWS: the header line, then ROWS lines of as many numeric fields
csv_ok() {
    awk -F, -v header="$2" -v rows="$3" '
        NR == 1 { if ($0 != header) { print "header: " $0 " (expected " header ")"; bad = 1 }
                  n = NF; next }
        NF != n { print "line " NR ": " NF " fields, expected " n; bad = 1 }
        { for (i = 1; i <= NF; i++)
              if ($i !~ /^-?[0-9]+(\.[0-9]+)?$/) { print "line " NR ": not a number: " $i; bad = 1 } }
        END { if (NR - 1 != rows) { print NR - 1 " rows, expected " rows; bad = 1 }
              exit bad }' "$1" || bad "$1 is not the CSV expected ($2, $3 rows)"
}

# json_ok FILE ROWS: well-formed, ROWS "size" keys
json_ok() {
    n=$("$json_check" size < "$1") || { bad "$1 is not well-formed JSON"; cat "$1"; return; }
    [ "$n" -eq "$2" ] || bad "$1: $n rows, expected $2"
}

run() { # OUT ARGS...: stdout in OUT, stderr shown on failure
    out=$1
    shift
    $t "$@" > "$out" 2> "$tmp/err" || { bad "$* failed"; cat "$tmp/err"; }
}

few="--iters 20 --warmup 2"
run "$tmp/lat.csv" "$bprun" -n 2 "$bench" lat --sizes 0,8,1K $few --csv
csv_ok "$tmp/lat.csv" "size,latency_us" 3
run "$tmp/mr.json" "$bprun" -n 2 "$bench" mr --sizes 8,64 $few --json --transport shm
json_ok "$tmp/mr.json" 2
grep -q '"messages_per_s"' "$tmp/mr.json" || bad "mr JSON has no messages_per_s"
run "$tmp/pairs.csv" "$bprun" -n 4 "$bench" lat --pairs 2 --sizes 8 $few --csv
csv_ok "$tmp/pairs.csv" "size,latency_us" 1
for be in unix unix-spin tcp tcp-spin; do
    run "$tmp/$be.csv" "$bench" bw --backend "$be" --sizes 1,4K $few --csv
    csv_ok "$tmp/$be.csv" "size,bandwidth_MBps" 2
done
run "$tmp/bibw.json" "$bench" bibw --backend unix --sizes 8,1M --iters 2 --warmup 0 --json
json_ok "$tmp/bibw.json" 2
run "$tmp/base.csv" "$bench" base --sizes 4K --iters 1000 --csv
csv_ok_base=$(awk -F, 'NR == 1 && $0 != "kind,size,value" { exit 1 } NR > 1 && NF != 3 { exit 1 }
                       END { exit NR != 3 }' "$tmp/base.csv" && echo ok)
[ "$csv_ok_base" = ok ] || bad "base CSV: $(cat "$tmp/base.csv")"
run "$tmp/base.json" "$bench" base --sizes 4K,8K --iters 1000 --json
json_ok "$tmp/base.json" 3

# Progress: one line per size on stderr, unless --quiet.
"$bench" lat --backend unix --sizes 8,16 $few --csv 2> "$tmp/err" > /dev/null
[ "$(grep -c 'done' "$tmp/err")" -eq 2 ] || bad "expected 2 progress lines: $(cat "$tmp/err")"
"$bench" lat --backend unix --sizes 8,16 $few --csv --quiet 2> "$tmp/err" > /dev/null
[ -s "$tmp/err" ] && bad "--quiet printed: $(cat "$tmp/err")"

# The MPI builds, when there are both the build and the launcher.
root=
[ "$(id -u)" -eq 0 ] && root=--allow-run-as-root
if [ -x "$bindir/bp-bench-openmpi" ] && command -v mpirun.openmpi > /dev/null; then
    run "$tmp/ompi.json" mpirun.openmpi $root --bind-to none -np 2 "$bindir/bp-bench-openmpi" \
        lat --sizes 8,4K $few --json
    json_ok "$tmp/ompi.json" 2
else
    echo "Open MPI: not installed or bp-bench-openmpi not built, skipped"
fi
if [ -x "$bindir/bp-bench-mpich" ] && command -v mpiexec.mpich > /dev/null; then
    run "$tmp/mpich.csv" mpiexec.mpich -n 2 "$bindir/bp-bench-mpich" bw --sizes 8,4K $few --csv
    csv_ok "$tmp/mpich.csv" "size,bandwidth_MBps" 2
else
    echo "MPICH: not installed or bp-bench-mpich not built, skipped"
fi

[ "$fail" -eq 0 ] && echo "bench_output: ok"
exit "$fail"
