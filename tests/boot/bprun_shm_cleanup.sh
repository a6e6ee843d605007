#!/bin/sh
# bprun_shm_cleanup: a rank killed after it created /dev/shm/bp-<jobkey>-... leaves nothing
# behind: bprun removes the job's segments when all ranks are gone.
# usage: bprun_shm_cleanup.sh BPRUN HELPER
set -u
BPRUN=$1 HELPER=$2
out=$(mktemp) || exit 1
trap 'rm -f "$out"' EXIT
[ -d /dev/shm ] && [ -w /dev/shm ] || { echo "SKIP: no writable /dev/shm"; exit 0; }
"$BPRUN" --timeout 20 -n 2 "$HELPER" shm >"$out" 2>/dev/null
rc=$?
[ $rc -ne 0 ] || { echo "FAIL: bprun exited 0"; exit 1; }
path=$(head -n 1 "$out")
case "$path" in
/dev/shm/bp-????????????????-leftover) ;;
*) echo "FAIL: helper printed '$path'"; exit 1 ;;
esac
[ ! -e "$path" ] || { echo "FAIL: $path left behind"; rm -f "$path"; exit 1; }
echo PASS
