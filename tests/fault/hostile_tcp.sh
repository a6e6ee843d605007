#!/usr/bin/env bash
# hostile_tcp.sh BPRUN PROG: strangers connect to the tcp listeners of a running job
# (hostile_tcp.c, 2 ranks, BP_TRANSPORTS=tcp) and send garbage, a wrong tcp protocol
# version, another job's key, a wrong cookie, and half a handshake then close. Each rank
# must log each rejection, and the job must finish with every message intact. A stranger
# that sends half a handshake and stays silent is closed once 10 s have passed (seen at the
# next connection the rank accepts).
set -uo pipefail

bprun=$1 prog=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() {
    echo "FAIL: $*"
    echo "--- stdout"; cat "$tmp/out"; echo "--- stderr"; cat "$tmp/err"
    exit 1
}
command -v ss >/dev/null || { echo "SKIP: no ss (iproute2) to find the listeners"; exit 0; }

env BP_TRANSPORTS=tcp "$bprun" --timeout 60 -n 2 "$prog" 14 >"$tmp/out" 2>"$tmp/err" &
bp=$!
for _ in $(seq 1 300); do
    [ "$(grep -c ' ready$' "$tmp/out")" -ge 2 ] && break
    kill -0 $bp 2>/dev/null || break
    sleep 0.1
done
key=$(sed -n 's/^hostile: rank 0 pid [0-9]* jobkey \([0-9a-f]*\) ready$/\1/p' "$tmp/out")
[ ${#key} -eq 16 ] || { wait $bp; fail "the job did not start"; }

le64() { # 16 hex digits -> 8 bytes little endian, as printf escapes
    local h=$1 out= i
    for i in 14 12 10 8 6 4 2 0; do out+="\\x${h:$i:2}"; done
    printf '%s' "$out"
}
magic='\x43\x54\x50\x42' # "BPTC", little endian
vcur='\x02\x00\x00\x00' # the current tcp version (BPI_TCP_VERSION)
tail_ok='\x00\x00\x00\x00\x01\x00\x00\x00\x00\x00\x01\x00\x00\x00\x00\x00' # src 0 dst 1 ...
cookie='\x11\x22\x33\x44\x55\x66\x77\x88'
declare -A attack=(
    [garbage]='GET / HTTP/1.1\r\nHost: x\r\n\r\nxxxxxxxxxxxxxx'
    [version]="$magic\\x63\\x00\\x00\\x00$(le64 "$key")$cookie$tail_ok"
    [jobkey]="$magic$vcur$(le64 0123456789abcdef)$cookie$tail_ok"
    [cookie]="$magic$vcur$(le64 "$key")$cookie$tail_ok"
    [short]="$magic$vcur"
)
for r in 0 1; do
    pid=$(sed -n "s/^hostile: rank $r pid \([0-9]*\) .*/\1/p" "$tmp/out")
    port=$(ss -ltnpH 2>/dev/null | grep "pid=$pid," | awk '{print $4}' | sed 's/.*://' | head -1)
    [ -n "$port" ] || { kill $bp; wait $bp; fail "no tcp listener found for rank $r (pid $pid)"; }
    for a in garbage version jobkey cookie short; do
        if exec 3<>"/dev/tcp/127.0.0.1/$port"; then
            printf "${attack[$a]}" >&3
            sleep 0.1
            exec 3>&-
        else
            kill $bp; wait $bp; fail "could not connect to rank $r's listener on port $port"
        fi
    done
done
# the silent stranger: half a handshake to rank 1, then nothing; 11 s later one more
# connection makes rank 1 look at its pending ones, and the silent one must be closed
pid1=$(sed -n "s/^hostile: rank 1 pid \([0-9]*\) .*/\1/p" "$tmp/out")
port1=$(ss -ltnpH 2>/dev/null | grep "pid=$pid1," | awk '{print $4}' | sed 's/.*://' | head -1)
exec 4<>"/dev/tcp/127.0.0.1/$port1" || { kill $bp; wait $bp; fail "could not connect to rank 1"; }
printf "$magic$vcur" >&4
sleep 11
exec 3<>"/dev/tcp/127.0.0.1/$port1" && printf 'garbage-garbage-garbage-garbage-garbage-' >&3
sleep 0.5
exec 3>&-
read -r -t 3 -u 4 _
rd=$? # 1: end of stream (closed by the rank), > 128: still open after 3 s
exec 4>&-
[ $rd -gt 128 ] && { kill $bp; wait $bp; fail "rank 1 kept a silent stranger's connection open past 10 s"; }

wait $bp
rc=$?
[ $rc -eq 0 ] || fail "the job failed (bprun exit $rc)"
for r in 0 1; do
    grep -q "^hostile: rank $r passed after [0-9]* round trips$" "$tmp/out" || fail "rank $r did not pass"
    for why in "not a bypass handshake (bad magic)" "another tcp transport version" \
               "another job's key" "wrong cookie" "closed before its handshake"; do
        grep -q "^bypass\[$r\] warn: tcp: .*$why" "$tmp/err" || fail "rank $r did not log: $why"
    done
done
grep -q "^bypass\[1\] warn: tcp: closed a connection from .*: no handshake within 10 s" "$tmp/err" ||
    fail "rank 1 did not log the silent stranger's closing"
echo "hostile_tcp passed: every stranger refused with a log line, the job intact"
cat "$tmp/out"
