#!/bin/sh
# bench_compare_peer_missing.sh BP_BENCH: `bp-bench compare --quick` with Open MPI hidden
# (its launcher renamed to a path that does not exist) still succeeds, says the peer was
# skipped, and writes a well-formed table, CSV and, with gnuplot, a PNG. Figures unchecked.
bench=$1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0

bad() {
    echo "FAIL: $*"
    fail=1
}

BPBENCH_MPIRUN_OPENMPI=/nonexistent/mpirun.openmpi timeout 150 "$bench" compare lat --quick \
    --sizes 8,1K --out "$tmp/res" > "$tmp/out" 2> "$tmp/err"
rc=$?
cat "$tmp/out" "$tmp/err"
[ "$rc" -eq 0 ] || bad "compare exited $rc"
grep -q '^compare: openmpi: skipped: Open MPI is not installed' "$tmp/err" \
    || bad "no line saying Open MPI was skipped"
grep -q '^compare: openmpi-tcp: skipped' "$tmp/err" || bad "no line saying openmpi-tcp was skipped"
grep -q 'Open MPI' "$tmp/out" && bad "Open MPI appears in the table"
grep -q 'bypass shm' "$tmp/out" || bad "no bypass row in the table"
grep -q 'bypass tcp loopback' "$tmp/out" || bad "no bypass tcp row in the table"
[ -s "$tmp/res/lat.txt" ] || bad "no lat.txt"

# The CSV: its header, 10 fields a line, bypass and base rows for both sizes.
awk -F, 'NR == 1 { if ($0 != "benchmark,config,size,unit,median,min,max,spread_pct,runs,values") exit 1; next }
         NF != 10 || $1 != "lat" || $5 !~ /^[0-9.]+$/ { exit 1 }
         { seen[$2 "/" $3] = 1 }
         END { exit !(seen["bypass/8"] && seen["bypass/1024"] && seen["base/8"] && seen["base/1024"]) }' \
    "$tmp/res/lat.csv" || bad "lat.csv is not as expected: $(cat "$tmp/res/lat.csv")"
if command -v gnuplot > /dev/null; then
    [ -s "$tmp/res/lat.png" ] || bad "gnuplot is installed but there is no lat.png"
else
    grep -q 'plot: skipped: gnuplot is not installed' "$tmp/err" || bad "no line saying the plot was skipped"
fi

# A failing configuration makes compare exit 1 and say so, and the others still report.
BPBENCH_MPIEXEC_MPICH=/bin/false BPBENCH_MPIRUN_OPENMPI=/nonexistent timeout 150 "$bench" \
    compare lat --quick --sizes 8 --skip tcp,tcp-spin,unix,unix-spin --out "$tmp/res2" \
    > "$tmp/out2" 2> "$tmp/err2"
rc=$?
[ "$rc" -eq 1 ] || bad "compare with a failing peer exited $rc, expected 1"
grep -q '^compare: mpich: failed' "$tmp/err2" || bad "no line saying mpich failed: $(cat "$tmp/err2")"
grep -q 'bypass shm' "$tmp/out2" || bad "no bypass row after a peer failed"

[ "$fail" -eq 0 ] && echo "bench_compare_peer_missing: ok"
exit "$fail"
