# launcher_check.sh - sourced by launcher_run.sh (Hydra, mpirun) and tests/slurm/slurm_run.sh:
# the verdict on one launcher_exchange job.
#   launcher_check RC WHAT N EXPECT OUT ERR
# RC the launcher's exit status, WHAT the command (for the message), N the ranks, EXPECT the
# bootstrap every rank must name, OUT and ERR the job's stdout and stderr files. Returns 0
# when the job passed; otherwise says why, shows the output, and returns 1.
launcher_check() {
    lc_fail=0
    if [ "$1" -ne 0 ]; then
        echo "FAIL: $2 exited with $1"
        lc_fail=1
    fi
    grep -q "^launcher_exchange: ok $3 ranks\$" "$5" || { echo "FAIL: no success line"; lc_fail=1; }
    lc_got=$(grep -c "initialised: rank [0-9]* of $3, boot $4," "$6")
    if [ "$lc_got" -ne "$3" ]; then
        echo "FAIL: $lc_got of $3 ranks say they started through $4"
        lc_fail=1
    fi
    if [ $lc_fail -ne 0 ]; then
        echo "--- stdout"; cat "$5"; echo "--- stderr (tail)"; tail -n 40 "$6"
        return 1
    fi
    return 0
}
