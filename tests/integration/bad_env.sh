#!/bin/sh
# bad_env.sh BPRUN PROG: unknown BP_ variables and unknown values fail bp_init with a message
# that lists what is accepted; a good value passes.
bprun=$1 prog=$2
fail=0
expect_fail() { # VAR=VALUE, pattern
    out=$(env "$1" "$bprun" --timeout 30 -n 2 "$prog" 2>&1)
    rc=$?
    if [ "$rc" -eq 0 ]; then echo "FAIL: $1 accepted"; fail=1; fi
    echo "$out" | grep -q -- "$2" || { echo "FAIL: $1: no '$2' in:"; echo "$out"; fail=1; }
}
expect_fail BP_PROGRESS=fast "BP_PROGRESS=fast: unknown value; accepted: auto spin block"
expect_fail BP_LOG_LEVEL=loud "accepted: error warn info debug"
expect_fail BP_NO_SUCH_THING=1 "unknown variable BP_NO_SUCH_THING; accepted: BP_LOG_LEVEL"
expect_fail BP_SHM_QUEUE_SLOTS=100 "a power of two"
expect_fail BP_SHM_SLOT_SIZE=100 "a multiple of 64"
expect_fail BP_SHM_RING_SLOTS=abc "invalid value"
expect_fail BP_SHM_MAX_RINGS=-1 "invalid value"
out=$(BP_PROGRESS=block BP_SHM_QUEUE_SLOTS=64 "$bprun" --timeout 30 -n 2 "$prog" 2>&1) ||
    { echo "FAIL: good values rejected: $out"; fail=1; }
# the singleton path validates too
out=$(BP_PROGRESS=fast "$prog" 2>&1) && { echo "FAIL: singleton accepted BP_PROGRESS=fast"; fail=1; }
[ "$fail" -eq 0 ] && echo "bad_env passed"
exit $fail
