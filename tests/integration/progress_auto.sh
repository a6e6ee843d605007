#!/bin/sh
# progress_auto.sh BPRUN INIT_ONLY HELPER: BP_PROGRESS=auto picks spin when the ranks of the
# host have a CPU each and adaptive when they outnumber the CPUs, and the debug log says so
# and why; a forced mode is named as forced; collectives go through shared memory when every
# rank is on this host and shm reaches them, through messages over tcp. Oversubscribed, the
# log says when glibc's rseq registration is on (the user kept it: GLIBC_TUNABLES), and
# not when bprun turned it off; HELPER (bprun_helper) tells whether glibc registers at all.
bprun=$1
prog=$2
helper=$3
fail=0
ncpus=$(nproc)

expect() { # expect WHAT PATTERN OUTPUT
    echo "$3" | grep -q "$2" || { echo "FAIL: $1: no '$2' in:"; echo "$3" | head -20; fail=1; }
}

small=2
[ "$ncpus" -lt 2 ] && small=1
out=$(BP_LOG_LEVEL=debug "$bprun" --timeout 60 -n $small "$prog" 2>&1)
expect "a CPU each" "progress spin (auto: $small ranks on this host, [0-9]* CPUs between them: a CPU each)" "$out"

# oversubscribed on any machine: 3 ranks confined to one CPU (bprun's ranks inherit it)
cpu=$(taskset -pc $$ | sed 's/.*: *//; s/[,-].*//')
out=$(BP_LOG_LEVEL=debug taskset -c "$cpu" "$bprun" --timeout 60 -n 3 "$prog" 2>&1)
expect "oversubscribed" "progress adaptive (auto: 3 ranks on this host, 1 CPUs between them: CPUs are shared)" "$out"
expect "debug summary" "adaptive progress: [0-9]* idle gaps" "$out"
expect "shm collectives" "collectives: through shared memory" "$out"
hint="glibc's rseq registration is on"
if echo "$out" | grep -q "$hint"; then
    echo "FAIL: the rseq hint, though bprun turned rseq off:"; echo "$out" | grep "$hint"; fail=1
fi
if env -u GLIBC_TUNABLES "$bprun" --timeout 60 -n 1 "$helper" rseq | grep -q "rseq [1-9]"; then
    out=$(BP_LOG_LEVEL=debug GLIBC_TUNABLES=glibc.pthread.rseq=1 taskset -c "$cpu" "$bprun" \
          --timeout 60 -n 3 "$prog" 2>&1)
    [ "$(echo "$out" | grep -c "$hint")" -eq 3 ] ||
        { echo "FAIL: no rseq hint in every rank with rseq kept on:"; echo "$out" | head; fail=1; }
else
    echo "glibc registers no rseq area here: its hint not checked"
fi

out=$(BP_LOG_LEVEL=debug BP_PROGRESS=block "$bprun" --timeout 60 -n 2 "$prog" 2>&1)
expect "forced" "progress block (BP_PROGRESS=block; 2 ranks on this host" "$out"

out=$(BP_LOG_LEVEL=debug BP_TRANSPORTS=tcp "$bprun" --timeout 60 -n 2 "$prog" 2>&1)
expect "tcp collectives" "collectives: through messages (rank [01] is reached through tcp)" "$out"

[ $fail -eq 0 ] && echo "progress_auto passed"
exit $fail
