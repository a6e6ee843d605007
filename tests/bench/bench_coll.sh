#!/bin/sh
# bench_coll.sh BINDIR: `bp-bench coll` smoke runs with tiny iteration counts (figures are
# never asserted): over bypass's MPI layer (bp-bench-bpmpi: barrier, bcast, allreduce
# columns), over the native API (barrier only), and `bp-bench compare coll --quick`, which
# must report the three collectives with a bypass-mpi row, and native bypass for the barrier
# only. Open MPI is left out (slow to start); MPICH runs when it is installed.
bin=$1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0

bad() {
    echo "FAIL: $*"
    fail=1
}

"$bin/bprun" --timeout 60 -n 2 "$bin/bp-bench-bpmpi" coll --iters 50 --warmup 5 --csv \
    --sizes 8,4K > "$tmp/mpi.csv" || bad "bp-bench-bpmpi coll failed"
cat "$tmp/mpi.csv"
head -n 1 "$tmp/mpi.csv" | grep -qx 'size,barrier_us,bcast_us,allreduce_us' ||
    bad "bp-bench-bpmpi coll: header is not size,barrier_us,bcast_us,allreduce_us"
[ "$(grep -c '^[0-9]*,[0-9.]*,[0-9.]*,[0-9.]*$' "$tmp/mpi.csv")" -eq 2 ] ||
    bad "bp-bench-bpmpi coll: not two rows of three values"
"$bin/bprun" --timeout 60 -n 4 "$bin/bp-bench-bpmpi" coll --pairs 2 --iters 20 --warmup 2 \
    --csv > "$tmp/mpi4.csv" || bad "bp-bench-bpmpi coll on 4 ranks failed"
"$bin/bprun" --timeout 60 -n 2 "$bin/bp-bench" coll --iters 50 --warmup 5 --csv \
    > "$tmp/native.csv" || bad "bp-bench coll (native) failed"
cat "$tmp/native.csv"
head -n 1 "$tmp/native.csv" | grep -qx 'size,barrier_us' ||
    bad "bp-bench coll (native): header is not size,barrier_us"
"$bin/bprun" --timeout 60 -n 2 "$bin/bp-bench-bpmpi" coll --sizes 12 --iters 5 \
    > /dev/null 2>&1 && bad "coll accepted a size that is not a multiple of 8"

BPBENCH_MPIRUN_OPENMPI=/nonexistent timeout 150 "$bin/bp-bench" compare coll --quick \
    --out "$tmp/res" > "$tmp/out" 2> "$tmp/err"
rc=$?
cat "$tmp/out" "$tmp/err"
[ "$rc" -eq 0 ] || bad "compare coll exited $rc"
for b in barrier bcast allreduce; do
    [ -s "$tmp/res/$b.txt" ] || bad "no $b.txt"
    grep -q "^$b,bypass-mpi,8," "$tmp/res/$b.csv" || bad "$b.csv has no bypass-mpi row"
done
grep -q '^barrier,bypass,8,' "$tmp/res/barrier.csv" || bad "barrier.csv has no native row"
grep -q '^bcast,bypass,' "$tmp/res/bcast.csv" && bad "bcast.csv has a native row"
[ "$fail" -eq 0 ] && echo "bench_coll: ok"
exit "$fail"
