#!/bin/sh
# progress_auto_shared.sh BPRUN YIELD_BUDGET WAKE_STRESS [MODE]: auto's watch
# (src/core/progress.c, progress_auto_watch). 2 ranks on 2 CPUs: auto sets them spinning
# (a CPU each), then watches whether another program wants a rank's CPU after all:
#   - alone, no rank turns: 2,000 barriers after rank 1 computed 300 us each (yield_budget.c),
#     and no "turns adaptive" in the log;
#   - beside a CPU hog (a shell loop bound to rank 0's CPU, started here) rank 0 turns
#     adaptive (the kernel takes its CPU at every time slice, and it runs half the time),
#     sleeps through its waits from then on (its adaptive line at bp_finalize counts the
#     sleeps), and rank 1, alone on its CPU, does not turn;
#   - no wake-up is lost across the turn: wake_stress (1,000,000 messages, ping-pongs and
#     bursts, every 4096th message a barrier and an allreduce) beside the hog, rank 1
#     starting 500 ms late: rank 0 turns while it waits for rank 1's first message, and
#     rank 1, still spinning, must then wake it (shm's may_sleep, read after every send). A
#     lost wake-up stalls a sleep until its 100 ms timeout: the run's own bound (bprun
#     --timeout 120) fails a run that crawls so (without the may_sleep call it did).
#     And after the turn rank 0 sleeps in under 1 in 500 of its gaps: adaptive keeps a spin
#     budget of at least a wake-up's cost where our ranks do not outnumber the CPUs
#     (progress_budget), and the ping-pongs' and bursts' gaps are far shorter (without that
#     floor 1 in 5 gaps slept here, with it 1 in 1,500 to 3,300). MODE "sanitized" (the
#     sanitizer builds): not counted, since every step there costs many times its time (1
#     in 13 gaps slept under ThreadSanitizer).
#   - the hog leaves: barriers as in the first case, beside a hog that is killed 1.5 s in.
#     Rank 0 turns adaptive, then back to spin once a window shows its CPU free again
#     (progress_auto_back: it waited under 1/8 of 200 ms to run), once each; rank 1 does
#     neither. In the cases before, with the hog there throughout, no rank turns back.
#   - the hog comes back: a hog for the first 1.2 s and another from 2.4 s on, barriers for
#     about 4 s. Rank 0 turns adaptive twice and back to spin once (the watch is on again
#     after the turn back); rank 1 does neither.
# Each case is tried up to three times, 2 s apart, when its log says otherwise (another
# process on the machine wanting a CPU for a while turns a rank of the "alone" case: that
# is the watch doing its job). Skipped (77) on a machine with one CPU.
bprun=$1
budget=$2
stress=$3
mode=${4:-}
fail=0
. "$(dirname "$0")/two_cpus.sh"

hog=
hog2=
trap '[ -n "$hog" ] && kill $hog 2>/dev/null; [ -n "$hog2" ] && kill $hog2 2>/dev/null' EXIT

turned() { echo "$out" | grep -c "bypass\[$1\] info: progress: auto turns adaptive"; }
back() { echo "$out" | grep -c "bypass\[$1\] info: progress: auto turns back to spin"; }
sleeps() {
    echo "$out" | grep "bypass\[$1\] debug: adaptive progress" |
        sed -n 's/.* \([0-9]*\) sleeps.*/\1/p'
}

# try CASE CHECK CMD...: CMD up to three times until CHECK passes; CASE names it. With
# hog_s set, each try starts a hog on rank 0's CPU that ends after that many seconds; with
# hog2_at, another that starts that many seconds in and ends with the try.
hog_s=
hog2_at=
try() {
    what=$1 check=$2
    shift 2
    for t in 1 2 3; do
        [ "$t" -gt 1 ] && sleep 2
        [ -n "$hog_s" ] && timeout "$hog_s" taskset -c "$cpu0" sh -c 'while :; do :; done' &
        if [ -n "$hog2_at" ]; then
            (sleep "$hog2_at" && exec taskset -c "$cpu0" sh -c 'while :; do :; done') &
            hog2=$!
        fi
        out=$(BP_LOG_LEVEL=debug taskset -c "$cpus" "$bprun" --timeout 120 -n 2 "$@" 2>&1)
        rc=$?
        [ -n "$hog2" ] && kill $hog2 2>/dev/null
        hog2=
        if [ $rc -ne 0 ] || ! echo "$out" | grep -q "rank 1: .* passed"; then
            echo "FAIL: $what: the program failed (exit $rc):"
            echo "$out" | grep -v "debug:" | tail -20
            fail=1
            return
        fi
        s=$(sleeps 0)
        echo "$what (try $t): rank 0 turned $(turned 0) and back $(back 0), rank 1 turned $(turned 1), rank 0 slept ${s:-0} times"
        $check && return
    done
    echo "FAIL: $what: in every try:"
    echo "$out" | grep -E "progress|turns" | head -10
    fail=1
}

alone_ok() {
    echo "$out" | grep -q "progress spin (auto: 2 ranks on this host" &&
        [ "$(turned 0)" -eq 0 ] && [ "$(turned 1)" -eq 0 ]
}
hog_ok() {
    s=$(sleeps 0)
    [ "$(turned 0)" -eq 1 ] && [ "$(back 0)" -eq 0 ] && [ "$(turned 1)" -eq 0 ] && [ -n "$s" ] &&
        [ "$s" -gt 0 ]
}
leave_ok() {
    [ "$(turned 0)" -eq 1 ] && [ "$(back 0)" -eq 1 ] && [ "$(turned 1)" -eq 0 ] &&
        [ "$(back 1)" -eq 0 ]
}
return_ok() {
    [ "$(turned 0)" -eq 2 ] && [ "$(back 0)" -eq 1 ] && [ "$(turned 1)" -eq 0 ] &&
        [ "$(back 1)" -eq 0 ]
}
stress_ok() {
    g=$(echo "$out" | grep "bypass\[0\] debug: adaptive progress" |
        sed -n 's/.*progress: \([0-9]*\) idle gaps.*/\1/p')
    s=$(sleeps 0)
    echo "  rank 0: ${g:-?} gaps, ${s:-?} sleeps"
    [ "$(turned 0)" -eq 1 ] && [ "$(back 0)" -eq 0 ] && [ -n "$g" ] && [ -n "$s" ] &&
        { [ "$mode" = sanitized ] || [ $((s * 500)) -lt "$g" ]; }
}

try "alone" alone_ok "$budget" 300 2000

timeout 250 taskset -c "$cpu0" sh -c 'while :; do :; done' &
hog=$!
try "beside a hog" hog_ok "$budget" 300 2000
try "wake_stress beside a hog" stress_ok "$stress" 1000000 500
kill $hog 2>/dev/null
hog=

# a hog for the first 1.5 s of each try, barriers for about 3 s
hog_s=1.5
try "the hog leaves" leave_ok "$budget" 300 8000

# a hog for the first 1.2 s, another from 2.4 s on, barriers for about 4 s
hog_s=1.2
hog2_at=2.4
try "the hog comes back" return_ok "$budget" 300 11000

[ $fail -eq 0 ] && echo "progress_auto_shared passed"
exit $fail
