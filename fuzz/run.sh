#!/usr/bin/env bash
# fuzz/run.sh BUILD_DIR SECONDS [TARGET...] - run each libFuzzer target of a BP_FUZZ=ON build
# for SECONDS (one after the other), starting from its seed corpus in fuzz/corpus/<target>.
# New inputs go to BUILD_DIR/fuzz/work/<target> (the repository's corpus is only read);
# a crash, a leak, a timeout or an out-of-memory stops that target, leaves the input in
# BUILD_DIR/fuzz/artifacts/, and makes the script exit 1 after the others have run.
# Prints, per target, the executions done and the coverage reached. FUZZ_ARGS adds options.
set -uo pipefail

build=${1:?usage: fuzz/run.sh BUILD_DIR SECONDS [TARGET...]}
secs=${2:?usage: fuzz/run.sh BUILD_DIR SECONDS [TARGET...]}
shift 2
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
    targets=(frames card pmi bprun config)
    # xdp where the library was built with it (libxdp, libbpf and clang's BPF target)
    [ ! -x "$build/fuzz/fuzz_xdp" ] || targets+=(xdp)
fi

# A peer may announce a huge message: the library must refuse or fail the allocation, so
# a failed malloc is an answer here, not a crash.
export ASAN_OPTIONS=${ASAN_OPTIONS:-allocator_may_return_null=1:detect_leaks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

failed=0
mkdir -p "$build/fuzz/artifacts"
for t in "${targets[@]}"; do
    exe=$build/fuzz/fuzz_$t
    work=$build/fuzz/work/$t
    log=$build/fuzz/$t.log
    if [ ! -x "$exe" ]; then
        echo "fuzz: $exe missing (configure with CC=clang -DBP_FUZZ=ON, build fuzz_all)"
        failed=1
        continue
    fi
    mkdir -p "$work"
    "$exe" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 \
        -malloc_limit_mb=1048576 -print_final_stats=1 \
        -artifact_prefix="$build/fuzz/artifacts/$t-" ${FUZZ_ARGS:-} \
        "$work" "$here/corpus/$t" >"$log" 2>&1
    rc=$?
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
    cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1)
    if [ $rc -ne 0 ]; then
        echo "fuzz: $t FAILED (exit $rc) after ${execs:-?} executions; log $log:"
        grep -E -A25 '^==[0-9]+==ERROR|runtime error|Assertion|deadly signal|out-of-memory|timeout' \
            "$log" | head -60
        failed=1
    else
        echo "fuzz: $t: ${execs:-?} executions in ${secs} s, ${cov:-cov: ?}, no crash"
    fi
done
exit $failed
