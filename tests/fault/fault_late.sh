#!/usr/bin/env bash
# fault_late.sh BPRUN FAULT_LATE: a message announced by a rank that then dies, received
# after its death was noticed (fault_late.c): what came whole is delivered, a rendezvous
# fails at once with BP_ERR_PEER_FAILED instead of waiting for ever. Each way the receiver
# fetches rendezvous data: shm's cooperative copy (both sides copy, CMA), shm's one-sided
# read (BP_RNDV_COOP above the length), shm's stream through the rings (BP_SHM_CMA=off),
# and tcp's stream. bprun stops the job after the death (SIGKILL --grace 5 s later): a
# receiver still waiting then never prints its verdict.
set -uo pipefail

bprun=$1 prog=$2
fail=0
run() { # run NAME ENV...
    local name=$1 out
    shift
    out=$(env "$@" "$bprun" --timeout 60 --grace 5 -n 2 "$prog" 100000 2>&1)
    if echo "$out" | grep -q "fault_late: rank 1 passed"; then
        echo "$name: $(echo "$out" | grep 'failed in')"
    else
        echo "FAIL: $name:"
        echo "$out" | tail -20
        fail=1
    fi
    echo "$out" | grep -q "rank 0 (pid [0-9]*) on host [^ ]* killed by signal 9" ||
        { echo "FAIL: $name: bprun did not report rank 0's death"; fail=1; }
}
run "shm, cooperative copy" BP_TRANSPORTS=shm
run "shm, one-sided read" BP_TRANSPORTS=shm BP_RNDV_COOP=1m
run "shm, streamed" BP_TRANSPORTS=shm BP_SHM_CMA=off
run "tcp, streamed" BP_TRANSPORTS=tcp
[ $fail -eq 0 ] && echo "fault_late passed"
exit $fail
