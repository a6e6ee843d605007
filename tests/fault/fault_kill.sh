#!/usr/bin/env bash
# fault_kill.sh BPRUN PROG PATTERN NRANKS REPEAT [TRANSPORTS]
#
# REPEAT times: start PROG (fault_kill.c) PATTERN on NRANKS ranks under bprun, make one
# random rank die by SIGKILL at a random point (odd runs: killed from here after a random
# delay, anywhere in its loop; even runs: it raises SIGKILL itself before a random
# iteration), then check:
#   - every other rank reported BP_ERR_PEER_FAILED within FAULT_BOUND_MS (5000) of the
#     death, and its bp_finalize returned;
#   - bprun exited non-zero and named the rank, the signal and the host;
#   - /dev/shm holds no bp-<jobkey>-* file of that job.
# TRANSPORTS sets BP_TRANSPORTS (shm, tcp). Prints the slowest detection seen.
set -uo pipefail

bprun=$1 prog=$2 pattern=$3 n=$4 repeat=$5 tl=${6:-auto}
bound_ms=${FAULT_BOUND_MS:-5000}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
worst=0

fail() {
    echo "FAIL (run $run, $pattern, $n ranks, transports $tl, victim $victim, $mode): $*"
    echo "--- stdout"; cat "$tmp/out"; echo "--- stderr"; cat "$tmp/err"
    exit 1
}

for run in $(seq 1 "$repeat"); do
    victim=$((RANDOM % n))
    if [ $((run % 2)) -eq 1 ]; then
        mode=external self_at=
    else
        mode=self self_at=$((RANDOM % 40))
    fi
    : >"$tmp/out"
    : >"$tmp/err"
    env BP_TRANSPORTS=$tl FAULT_VICTIM=$victim ${self_at:+FAULT_SELF_AT=$self_at} \
        "$bprun" --timeout 60 -n "$n" "$prog" "$pattern" >"$tmp/out" 2>"$tmp/err" &
    bp=$!

    t0=
    if [ "$mode" = external ]; then
        for _ in $(seq 1 300); do # up to 30 s for every rank to be ready
            [ "$(grep -c ' ready$' "$tmp/out")" -ge "$n" ] && break
            kill -0 $bp 2>/dev/null || break
            sleep 0.1
        done
        pid=$(sed -n "s/^fault: rank $victim pid \([0-9]*\) .*/\1/p" "$tmp/out")
        [ -n "$pid" ] || { wait $bp; fail "rank $victim never became ready"; }
        sleep "0.$((RANDOM % 300 + 10))"
        t0=$(date +%s%N)
        kill -9 "$pid" 2>/dev/null || { wait $bp; fail "rank $victim had already exited"; }
    fi
    wait $bp
    rc=$?

    if [ "$mode" = self ]; then
        t0=$(sed -n "s/^fault: rank $victim dies at \([0-9]*\)$/\1/p" "$tmp/out")
        [ -n "$t0" ] || fail "rank $victim did not die where it was told to"
    fi
    [ "$rc" -ne 0 ] || fail "bprun exited 0 although rank $victim was killed"
    grep -q "rank $victim (pid [0-9]*) on host [^ ]* killed by signal 9" "$tmp/err" ||
        fail "bprun did not name rank $victim, signal 9 and the host"
    for r in $(seq 0 $((n - 1))); do
        [ "$r" -eq "$victim" ] && continue
        line=$(grep "^fault: rank $r got " "$tmp/out")
        [ -n "$line" ] || fail "rank $r never reported (hung, or killed by bprun after 2 s)"
        echo "$line" | grep -q " got BP_ERR_PEER_FAILED " || fail "rank $r: $line"
        t1=${line##* at }
        ms=$(((t1 - t0) / 1000000))
        [ "$ms" -le "$bound_ms" ] || fail "rank $r took $ms ms (bound $bound_ms ms)"
        [ "$ms" -gt "$worst" ] && worst=$ms
        grep -q "^fault: rank $r finalize: " "$tmp/out" || fail "rank $r: bp_finalize did not return"
    done
    key=$(sed -n 's/^fault: rank 0 pid [0-9]* jobkey \([0-9a-f]*\) ready$/\1/p' "$tmp/out" | head -1)
    [ -n "$key" ] || key=$(sed -n 's/^fault: rank [0-9]* pid [0-9]* jobkey \([0-9a-f]*\) ready$/\1/p' "$tmp/out" | head -1)
    [ -n "$key" ] || fail "no job key printed"
    left=$(ls /dev/shm 2>/dev/null | grep "^bp-$key-" || true)
    [ -z "$left" ] || fail "left in /dev/shm: $left"
done
echo "fault_kill $pattern ($n ranks, $tl): $repeat runs passed; slowest detection ${worst} ms (bound ${bound_ms} ms)"
