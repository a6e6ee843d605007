#!/bin/sh
# bench_args.sh BP_BENCH: every usage error exits 2 with a message, before anything runs;
# --help exits 0.
bench=$1
fail=0

# expect STATUS ARGS...: bp-bench ARGS exits STATUS (and says something on stderr if not 0)
expect() {
    want=$1
    shift
    err=$(timeout 20 "$bench" "$@" 2>&1 >/dev/null)
    got=$?
    if [ "$got" -ne "$want" ]; then
        echo "FAIL: bp-bench $*: exit $got, expected $want; stderr: $err"
        fail=1
    elif [ "$want" -ne 0 ] && [ -z "$err" ]; then
        echo "FAIL: bp-bench $*: exit $got without a message"
        fail=1
    fi
}

expect 0 --help
expect 2
expect 2 nope
expect 2 lat --nope
expect 2 lat --sizes
expect 2 lat --sizes abc
expect 2 lat --sizes 8:4
expect 2 lat --sizes 8,,16
expect 2 lat --iters 0
expect 2 lat --iters -5
expect 2 lat --warmup x
expect 2 lat --pairs 0
expect 2 lat --csv --json
expect 2 lat --csv=1
expect 2 lat extra
expect 2 lat --cpus 1
expect 2 lat --cpus 1,1
expect 2 lat --transport tcp
expect 2 lat --transport=xdp
expect 2 lat --backend nope
expect 2 lat --backend unix --transport shm
expect 2 lat --backend unix --pairs 2
expect 2 lat --runs 3
expect 2 bw --quick
expect 2 base --backend unix
expect 2 base extra
expect 2 compare nope
expect 2 compare lat --skip nope
expect 2 compare lat --csv
expect 2 compare lat --pairs 2
expect 2 compare lat --runs 0
expect 2 compare lat --timeout 0
# a usage error found after start-up: a job of the wrong size (one rank, no launcher)
expect 2 lat --iters 1 --sizes 8

[ "$fail" -eq 0 ] && echo "bench_args: ok"
exit "$fail"
