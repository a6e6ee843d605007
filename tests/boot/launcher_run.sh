#!/bin/sh
# launcher_run: starts PROGRAM (launcher_exchange) with N ranks under a real launcher, and
# checks that every rank started through the expected bootstrap (the debug log line
# "initialised: ... boot NAME") and that rank 0 reported success.
# usage: launcher_run.sh hydra|hydra-port|ompi N PROGRAM EXPECTED_BOOT [BP_BOOT]
# Exit 77 (ctest SKIP) when the launcher is not installed, or PMIx was not built in.
# Every launcher call runs under `timeout` (Hydra hangs when a launch fails).
set -u
kind=$1 n=$2 prog=$3 expect=$4 force=${5:-}
case $kind in
hydra) launcher=mpiexec.hydra; set -- -n "$n" ;;
hydra-port) launcher=mpiexec.hydra; set -- -pmi-port -n "$n" ;;
ompi)
    launcher=mpirun.openmpi
    set -- --allow-run-as-root --oversubscribe -np "$n"
    OMPI_MCA_oob_tcp_if_include=lo
    # sanitizer builds: libpmix's own leftovers are not ours (see lsan_pmix.supp)
    LSAN_OPTIONS="${LSAN_OPTIONS:+$LSAN_OPTIONS:}suppressions=$(dirname "$0")/lsan_pmix.supp"
    export OMPI_MCA_oob_tcp_if_include LSAN_OPTIONS
    ;;
ompi-nopmix)
    echo "SKIP: bypass was built without pmix.h (install libpmix-dev and reconfigure)"
    exit 77
    ;;
*) echo "usage: $0 hydra|hydra-port|ompi N PROGRAM EXPECTED_BOOT [BP_BOOT]" >&2; exit 2 ;;
esac
if ! command -v "$launcher" >/dev/null 2>&1; then
    echo "SKIP: $launcher is not installed (Debian: apt-get install mpich / openmpi-bin)"
    exit 77
fi
out=$(mktemp) || exit 1
err=$(mktemp) || exit 1
trap 'rm -f "$out" "$err"' EXIT
BP_LOG_LEVEL=debug
export BP_LOG_LEVEL
if [ -n "$force" ]; then
    BP_BOOT=$force
    export BP_BOOT
fi
# -k: a launcher that ignores SIGTERM while hung is killed 5 s later.
timeout -k 5 60 "$launcher" "$@" "$prog" "$n" >"$out" 2>"$err"
rc=$?
. "$(dirname "$0")/launcher_check.sh"
launcher_check "$rc" "$launcher $* $prog $n" "$n" "$expect" "$out" "$err" || exit 1
echo "ok: $n ranks under $launcher ($kind) through $expect"
