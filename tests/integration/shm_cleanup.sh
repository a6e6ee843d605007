#!/bin/sh
# shm_cleanup.sh BPRUN PROG: no file of the job is left in /dev/shm after a normal run, after
# a rank exits without finalize, and after kill -9 of the whole job (bprun and every rank).
bprun=$1 prog=$2
fail=0
snap() { ls /dev/shm 2>/dev/null | grep '^bp-' | sort; }
before=$(snap)
check() { # what
    left=$(snap | comm -13 /tmp/bp_shm_before.$$ -)
    if [ -n "$left" ]; then echo "FAIL ($1): left in /dev/shm: $left"; fail=1; fi
}
echo "$before" > /tmp/bp_shm_before.$$

"$bprun" --timeout 30 -n 4 "$prog" > /dev/null 2>&1 || { echo "FAIL: normal run failed"; fail=1; }
check "normal run"

# kill -9 of the whole job once every rank is up: bprun and ranks all at once
out=/tmp/bp_shm_out.$$
: > "$out" # exists before the background job writes it: the count below reads it at once
setsid "$bprun" --timeout 60 -n 4 "$prog" hold > "$out" 2>&1 &
pgid=$! # setsid made bprun the leader of a new process group, which its ranks share
i=0
while [ "$(grep -c '^ready' "$out" 2>/dev/null)" -lt 4 ] && [ $i -lt 200 ]; do
    sleep 0.1; i=$((i + 1))
done
[ "$(grep -c '^ready' "$out")" -eq 4 ] || { echo "FAIL: job did not start"; cat "$out"; fail=1; }
kill -9 "-$pgid"
wait 2>/dev/null
sleep 0.2
check "kill -9 of the job"
rm -f "$out" /tmp/bp_shm_before.$$
[ "$fail" -eq 0 ] && echo "shm_cleanup passed"
exit $fail
