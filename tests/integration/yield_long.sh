#!/bin/sh
# yield_long.sh BPRUN PROG: adaptive progress skips yields that take long (src/core/progress.c,
# the phase-1 step of progress_adaptive). 2 ranks in BP_PROGRESS=adaptive, bound one a CPU;
# before each barrier rank 1 computes 300 us (PROG is yield_budget.c) and rank 0 waits:
#   - alone on its CPU, rank 0 yields through its waits (its yields cost nothing: nobody
#     else is there; as its CPU's last awake rank it yields on for up to 1 ms): at least one
#     yield per gap;
#   - beside a CPU hog (a shell loop bound to rank 0's CPU, started here), each yield hands
#     the hog a time slice (milliseconds), so rank 0 learns that a yield takes long and,
#     while a wake-up costs less, skips its yields and sleeps: under one yield per 16 gaps
#     (4-7 yields in about 300 gaps here: the first, which teach it, then one at most every
#     100 ms, to notice when the hog is gone). Without the rule: 424 yields in 153 gaps, and
#     1,711 us per barrier beyond the work instead of 49; with a yield every 16th gap, as
#     the rule first was, 21-23 yields and 102-113 us.
# Read from rank 0's debug line at bp_finalize ("N idle gaps", "N yields", "a yield takes N
# ns, a wake-up N ns"). The premise is the kernel's: a yield beside a runnable hog takes
# longer than a wake-up (it did by 25x here); a run where it does not fails with that said,
# as the rule would rightly not apply. Skipped (77) on a machine with one CPU.
bprun=$1
prog=$2
fail=0
. "$(dirname "$0")/two_cpus.sh"

hog=
trap '[ -n "$hog" ] && kill $hog 2>/dev/null' EXIT

line() { echo "$out" | grep "bypass\[0\] debug: adaptive progress"; }
num() { line | sed -n "s/.*$1.*/\\1/p"; }

# run LABEL: the program, and rank 0's gaps, yields, yield and wake-up times
run() {
    out=$(BP_LOG_LEVEL=debug BP_PROGRESS=adaptive taskset -c "$cpus" "$bprun" --timeout 120 \
        -n 2 "$prog" 300 300 2>&1)
    echo "$out" | grep -q "rank 1: yield_budget passed" || { echo "FAIL: $1:"; echo "$out" | tail -20; fail=1; }
    gaps=$(num ' \([0-9]*\) idle gaps') yields=$(num ' \([0-9]*\) yields,')
    yield_ns=$(num 'a yield takes \([0-9]*\) ns') wake_ns=$(num 'a wake-up \([0-9]*\) ns')
    echo "$1: $(echo "$out" | grep "rank 0: .* per round")"
    echo "  rank 0: ${gaps:-?} gaps, ${yields:-?} yields, a yield takes ${yield_ns:-?} ns, a wake-up ${wake_ns:-?} ns"
    if [ -z "$gaps" ] || [ -z "$yields" ] || [ -z "$yield_ns" ] || [ -z "$wake_ns" ] ||
        [ "$gaps" -lt 150 ]; then
        echo "  $1: no debug line from rank 0, or under 150 gaps (of 300 waits):"
        echo "$out" | tail -20
        gaps=
        return 1
    fi
}

# alone, then beside the hog; three tries each, 2 s apart, when one fails (another process
# on the machine, or the host taking the vCPU away, makes yields long on their own)
alone_ok() { [ "$yields" -ge "$gaps" ]; }
hog_ok() { [ "$yield_ns" -gt "$wake_ns" ] && [ $((yields * 16)) -lt "$gaps" ]; }
for case in alone hog; do
    if [ "$case" = hog ]; then
        timeout 250 taskset -c "$cpu0" sh -c 'while :; do :; done' &
        hog=$!
    fi
    for try in 1 2 3; do
        [ "$try" -gt 1 ] && sleep 2
        run "$case (try $try)" && ${case}_ok && break
        [ "$try" -lt 3 ] && continue
        if [ -z "$gaps" ]; then
            echo "FAIL: $case: no debug line from rank 0, or under 150 gaps, in every try"
        elif [ "$case" = alone ]; then
            echo "FAIL: alone on its CPU, rank 0 yielded $yields times in $gaps gaps (at least one a gap expected)"
        elif [ "$yield_ns" -le "$wake_ns" ]; then
            echo "FAIL: beside a hog a yield took $yield_ns ns, no longer than a wake-up ($wake_ns ns): the premise of this test did not hold"
        else
            echo "FAIL: beside a hog rank 0 yielded $yields times in $gaps gaps, though a yield took $yield_ns ns and a wake-up $wake_ns ns"
        fi
        fail=1
    done
done

[ $fail -eq 0 ] && echo "yield_long passed"
exit $fail
