#!/usr/bin/env bash
# fault_kill.sh BPRUN PROG PATTERN NRANKS REPEAT [TRANSPORTS]
#
# REPEAT times: start PROG (fault_kill.c) PATTERN on NRANKS ranks under bprun, make one
# random rank die by SIGKILL at a random point (odd runs: killed from here after a random
# delay, anywhere in its loop; even runs: it raises SIGKILL itself before a random
# iteration), then check:
#   - every other rank reported BP_ERR_PEER_FAILED within FAULT_BOUND_MS (2000: issue 10's
#     bound) of the death, and its bp_finalize returned (before bprun's SIGKILL);
#   - bprun exited non-zero and named the rank, the signal and the host;
#   - /dev/shm holds no bp-<jobkey>-* file of that job.
# TRANSPORTS sets BP_TRANSPORTS (shm, tcp). Prints the slowest detection seen, and the
# slowest return of bp_finalize after the death.
#
# TRANSPORTS xdp_lane: the same with tcp opened too, so that rendezvous data between the
# hosts travels over tcp connections (bulk lanes, src/core/lane.c) while everything else
# stays on xdp; the log must show streams sent over a lane.
#
# TRANSPORTS xdp: the ranks run on two emulated hosts (tests/net/hosts.sh: network
# namespaces made here, ranks 0..N/2-1 on host 0), shm inside a host and xdp between them
# (BP_TRANSPORTS=shm,xdp: no tcp to fall back on). The victim is every rank in turn (run R:
# rank (R-1) % N): a host's first process, which loaded the steering program, and the
# others. Also checked: after every run no XDP program is left on a host where a rank
# survived (the last live process of the host removed it, although the victim never left);
# on a host whose only rank was the victim it stays, and the next run's leader must remove
# it as stale. At the end the namespaces are gone. Needs root (skips with 77 otherwise).
set -uo pipefail

bprun=$1 prog=$2 pattern=$3 n=$4 repeat=$5 tl=${6:-auto}
bound_ms=${FAULT_BOUND_MS:-2000}
grace=
tmp=$(mktemp -d)
worst=0 worst_fin=0
wrap=()
lane=
if [ "$tl" = xdp_lane ]; then
    tl=xdp lane=1
fi
if [ "$tl" = xdp ]; then
    [ "$(id -u)" -eq 0 ] || { echo "SKIP: needs root for network namespaces and AF_XDP"; exit 77; }
    command -v ip >/dev/null || { echo "SKIP: iproute2 (ip) is not installed"; exit 77; }
    . "$(dirname "${BASH_SOURCE[0]}")/../net/hosts.sh"
    hosts_up 2 || { hosts_down; echo "FAIL: could not create the emulated hosts"; exit 1; }
    n=$4 # hosts.sh's functions use n as their own
    # bprun's rank R runs in host R / (N/2): its pid is the program's (exec all the way)
    wrap=(sh -c 'exec ip netns exec "$0-$((BPRUN_RANK / $1))" "$2" "$3"' "$HOSTS_PREFIX"
          $((n / 2)))
    export BP_TRANSPORTS=shm,xdp BP_TCP_IF=eth0 BP_LOG_LEVEL=debug
    # the emulated hosts share this machine's 2 CPUs, which each host's auto cannot see
    export BP_PROGRESS=${BP_PROGRESS:-adaptive}
    # bprun sends SIGKILL 2 s (--grace) after SIGTERM; a survivor must have reported and
    # finished bp_finalize by then. Over xdp the last process of a failing host keeps its
    # steering program BPI_XDP_GONE_LINGER_MS (500 ms) in bp_finalize, after a detection
    # that can cascade (docs/RELIABILITY.md): 3 s leaves room for a loaded machine. The
    # bound on the detection itself is the same as over shm and tcp.
    grace=3
    tl_env=shm,xdp${lane:+,tcp}
    stale=
else
    tl_env=$tl
fi
trap '[ "$tl" = xdp ] && hosts_down; rm -rf "$tmp"' EXIT

fail() {
    echo "FAIL (run $run, $pattern, $n ranks, transports $tl, victim $victim, $mode): $*"
    echo "--- stdout"; cat "$tmp/out"; echo "--- stderr"; grep -v -e " debug: " "$tmp/err" | tail -60
    # the whole log (debug lines too) stays for a look: ctest runs this in the build tree
    keep=${FAULT_KEEP_LOG:-$PWD/fault_kill_${pattern}_$tl.err}
    cp "$tmp/err" "$keep" && echo "--- the whole stderr: $keep"
    exit 1
}

for run in $(seq 1 "$repeat"); do
    victim=$((RANDOM % n))
    [ "$tl" = xdp ] && victim=$(((run - 1) % n))
    if [ $((run % 2)) -eq 1 ]; then
        mode=external self_at=
    else
        mode=self self_at=$((RANDOM % 40))
    fi
    : >"$tmp/out"
    : >"$tmp/err"
    env BP_TRANSPORTS=$tl_env FAULT_VICTIM=$victim ${self_at:+FAULT_SELF_AT=$self_at} \
        "$bprun" --timeout 60 ${grace:+--grace $grace} -n "$n" "${wrap[@]}" "$prog" "$pattern" \
        >"$tmp/out" 2>"$tmp/err" &
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
        [ -n "$line" ] || fail "rank $r never reported (hung, or killed by bprun after ${grace:-2} s)"
        echo "$line" | grep -q " got BP_ERR_PEER_FAILED " || fail "rank $r: $line"
        t1=${line##* at }
        ms=$(((t1 - t0) / 1000000))
        [ "$ms" -le "$bound_ms" ] || fail "rank $r took $ms ms (bound $bound_ms ms)"
        [ "$ms" -gt "$worst" ] && worst=$ms
        line=$(grep "^fault: rank $r finalize: " "$tmp/out")
        [ -n "$line" ] || fail "rank $r: bp_finalize did not return"
        ms=$(((${line##* at } - t0) / 1000000))
        [ "$ms" -gt "$worst_fin" ] && worst_fin=$ms
    done
    key=$(sed -n 's/^fault: rank 0 pid [0-9]* jobkey \([0-9a-f]*\) ready$/\1/p' "$tmp/out" | head -1)
    [ -n "$key" ] || key=$(sed -n 's/^fault: rank [0-9]* pid [0-9]* jobkey \([0-9a-f]*\) ready$/\1/p' "$tmp/out" | head -1)
    [ -n "$key" ] || fail "no job key printed"
    left=$(ls /dev/shm 2>/dev/null | grep "^bp-$key-" || true)
    [ -z "$left" ] || fail "left in /dev/shm: $left"
    if [ "$tl" = xdp ]; then
        grep -q "bypass\[0\] debug: rank $((n - 1)) (host .*): through xdp" "$tmp/err" ||
            fail "rank 0 does not reach rank $((n - 1)) through xdp"
        [ -z "$stale" ] || grep -q "removing a stale steering program" "$tmp/err" ||
            fail "the stale steering program on host $stale was not removed"
        stale=
        if [ -n "$lane" ]; then
            grep -q "bulk lane through tcp (our rendezvous data goes there)" "$tmp/err" ||
                fail "no bulk lane through tcp"
            grep -q "streams sent: [0-9]* with the messages, [1-9][0-9]* over a bulk lane" \
                "$tmp/err" && lane_streams=1
        fi
        for h in 0 1; do
            if [ $((n / 2)) -eq 1 ] && [ $((victim / (n / 2))) -eq "$h" ]; then
                stale=$h # nobody left there to remove it
            elif ip -n "$HOSTS_PREFIX-$h" link show eth0 2>/dev/null | grep -q "prog/xdp"; then
                fail "the survivors on host $h left their steering program attached"
            fi
        done
    fi
done
if [ -n "$lane" ] && [ -z "${lane_streams:-}" ]; then
    echo "FAIL: no run sent a rendezvous stream over a bulk lane"; exit 1
fi
[ -n "$lane" ] && tl=xdp_lane
if [ "$tl" = xdp ] || [ -n "$lane" ]; then
    hosts_down
    left=$(ip netns list | grep "^$HOSTS_PREFIX-" || true)
    [ -z "$left" ] || { echo "FAIL: namespaces left: $left"; exit 1; }
fi
echo "fault_kill $pattern ($n ranks, $tl): $repeat runs passed; slowest detection ${worst} ms (bound ${bound_ms} ms); slowest bp_finalize return ${worst_fin} ms after the death"
