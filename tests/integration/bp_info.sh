#!/bin/sh
# bp_info.sh BPINFO: bp-info lists versions, transports and every BP_ variable with default
# and current value; an invalid environment is reported with exit status 1.
info=$1
fail=0
out=$("$info") || { echo "FAIL: bp-info exited $?"; fail=1; }
for want in "wire protocol version [0-9]" "shm    available" "BP_PROGRESS            auto" \
            "BP_SHM_SLOT_SIZE" "BP_SHM_QUEUE_SLOTS" "BP_LOG_LEVEL" \
            "here: $(nproc) CPUs in this process's affinity mask: spin for up to $(nproc) ranks" \
            "adaptive: spin up to [0-9]* us"; do
    echo "$out" | grep -q "$want" || { echo "FAIL: no '$want'"; fail=1; }
done
BP_PROGRESS=adaptive "$info" | grep -q "forced: every rank uses adaptive" ||
    { echo "FAIL: a forced mode is not shown"; fail=1; }
out=$(BP_PROGRESS=block "$info" -c)
echo "$out" | grep -qx "BP_PROGRESS=block" || { echo "FAIL: -c does not show the current value"; fail=1; }
out=$(BP_PROGRESS=nope "$info") && { echo "FAIL: invalid env accepted"; fail=1; }
echo "$out" | grep -q "INVALID: BP_PROGRESS=nope: unknown value; accepted: auto spin block adaptive" ||
    { echo "FAIL: invalid env not explained"; fail=1; }
"$info" --bogus 2>/dev/null; [ $? -eq 2 ] || { echo "FAIL: bad argument not exit 2"; fail=1; }
[ $fail -eq 0 ] && echo "bp_info passed"
exit $fail
