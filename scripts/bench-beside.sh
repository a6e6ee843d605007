#!/usr/bin/env bash
# bench-beside.sh [RUNS] [OUT]: 2 ranks on 2 CPUs beside another program that wants the first
# CPU (docs/PERFORMANCE.md, "Beside another program"). A CPU hog (a shell loop) is bound to
# the first CPU of this shell's mask; rank 0 runs there, rank 1 on the second. RUNS (default
# 5) interleaved runs of each configuration, medians:
#   imbalance  a barrier after rank 1 computed 300 us of its own CPU time (bp-oversub,
#              OVERSUB_BENCH=imbalance): the time per round beyond the work, in us;
#   lat        8 B ping-pong latency (bp-bench lat, 2,000,000 round trips), in us;
#   hog        the share of its CPU the hog got meanwhile (/proc/PID/stat), in %;
#   leave      the imbalance benchmark over 4 s (LEAVE_S) beside a hog that leaves after
#              the first second (a hog of its own per run): the time per round beyond the
#              work over the whole run, in us (auto turns adaptive, then back to spin);
# for bypass-auto (the default: spin, a CPU each, until a rank sees its CPU wanted and turns
# adaptive), bypass-spin, bypass-adaptive and bypass-block (BP_PROGRESS=...; block's ping-pong
# is left out: a wake-up per message, 2,000,000 times) and Open MPI's and MPICH's defaults (when installed:
# scripts/setup.sh --peers). A benchmark: run it alone on the machine. Writes OUT (default
# results/beside): beside.csv (every run: config,bench,run,value) and beside.txt (the
# table). Every launch runs under `timeout`.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
runs=${1:-5}
out=${2:-results/beside}
build=${BUILD:-build}
iters=${LAT_ITERS:-2000000}
tmp=$(mktemp -d)
hog=
trap '[ -n "$hog" ] && kill "$hog" 2>/dev/null; rm -rf "$tmp"' EXIT
mkdir -p "$out"
csv="$out/beside.csv" txt="$out/beside.txt"
echo "config,bench,run,value" > "$csv"
set -- $(taskset -pc $$ | sed 's/.*: *//' | tr ',' '\n' |
         awk -F- '{ for (c = $1; c <= ($2 == "" ? $1 : $2); c++) print c }' | head -2)
[ $# -eq 2 ] || { echo "bench-beside: needs two CPUs"; exit 1; }
cpu0=$1 cpu1=$2

configs=(bypass-auto bypass-spin bypass-adaptive bypass-block)
if command -v mpicc.openmpi > /dev/null && [ -x "$build/bin/bp-bench-openmpi" ]; then
    mpicc.openmpi -O2 bench/oversub_mpi.c -o "$tmp/oversub_openmpi"
    configs+=(openmpi)
fi
if command -v mpicc.mpich > /dev/null && [ -x "$build/bin/bp-bench-mpich" ]; then
    mpicc.mpich -O2 bench/oversub_mpi.c -o "$tmp/oversub_mpich"
    configs+=(mpich)
fi

# run CONFIG BENCH [SECONDS]: the benchmark's value on stdout (imbalance: SECONDS long)
run() {
    local ompi=(timeout 120 mpirun.openmpi --allow-run-as-root --bind-to none -np 2)
    local mpich=(timeout 120 mpiexec.mpich -n 2)
    local lat=(lat --sizes 8 --iters "$iters" --csv)
    case $1-$2 in
    bypass-*-imbalance)
        env "BP_PROGRESS=${1#bypass-}" OVERSUB_BENCH=imbalance OVERSUB_WORK_US=300 timeout 120 \
            "$build/bin/bprun" -n 2 "$build/bin/bp-oversub" ${3:-} 2>/dev/null |
            awk '$1 == "imbalance" { print $2 }' ;;
    bypass-*-lat)
        env "BP_PROGRESS=${1#bypass-}" timeout 120 "$build/bin/bprun" -n 2 "$build/bin/bp-bench" \
            "${lat[@]}" 2>/dev/null | awk -F, '$1 == 8 { print $2 }' ;;
    openmpi-imbalance)
        OVERSUB_BENCH=imbalance OVERSUB_WORK_US=300 "${ompi[@]}" -x OVERSUB_BENCH \
            -x OVERSUB_WORK_US taskset -c "$cpu0,$cpu1" "$tmp/oversub_openmpi" ${3:-} 2>/dev/null |
            awk '$1 == "imbalance" { print $2 }' ;;
    openmpi-lat)
        "${ompi[@]}" "$build/bin/bp-bench-openmpi" "${lat[@]}" --cpus "$cpu0,$cpu1" \
            2>/dev/null | awk -F, '$1 == 8 { print $2 }' ;;
    mpich-imbalance)
        OVERSUB_BENCH=imbalance OVERSUB_WORK_US=300 "${mpich[@]}" \
            taskset -c "$cpu0,$cpu1" "$tmp/oversub_mpich" ${3:-} 2>/dev/null |
            awk '$1 == "imbalance" { print $2 }' ;;
    mpich-lat)
        "${mpich[@]}" "$build/bin/bp-bench-mpich" "${lat[@]}" --cpus "$cpu0,$cpu1" \
            2>/dev/null | awk -F, '$1 == 8 { print $2 }' ;;
    esac
}

# the hog: a shell loop under `timeout` (bounded however this script ends); its CPU time is
# the loop's, timeout's child
timeout 3600 taskset -c "$cpu0" sh -c 'while :; do :; done' &
hog=$!
sleep 0.2
loop=$(pgrep -P "$hog")
hog_ticks() { awk '{ print $14 + $15 }' "/proc/$loop/stat"; }
tck=$(getconf CLK_TCK)
for r in $(seq "$runs"); do
    for c in "${configs[@]}"; do
        for b in imbalance lat; do
            [ "$c-$b" = bypass-block-lat ] && continue
            t0=$(hog_ticks) w0=$(date +%s.%N)
            v=$(run "$c" "$b" || true)
            t1=$(hog_ticks) w1=$(date +%s.%N)
            share=$(awk -v t="$((t1 - t0))" -v k="$tck" -v a="$w0" -v b="$w1" \
                'BEGIN { printf "%.1f", 100 * t / k / (b - a) }')
            echo "$r $c $b ${v:-FAILED} hog ${share}%"
            echo "$c,$b,$r,${v:-}" >> "$csv"
            echo "$c,hog-$b,$r,$share" >> "$csv"
        done
    done
done

# the hog that leaves: one per run, for its first second
kill "$hog" 2>/dev/null
hog=
for r in $(seq "$runs"); do
    for c in "${configs[@]}"; do
        timeout 1 taskset -c "$cpu0" sh -c 'while :; do :; done' &
        v=$(run "$c" imbalance "${LEAVE_S:-4}" || true)
        wait
        echo "$r $c leave ${v:-FAILED}"
        echo "$c,leave,$r,${v:-}" >> "$csv"
    done
done

median() { # config bench
    awk -F, -v c="$1" -v b="$2" '$1 == c && $2 == b && $4 != "" { print $4 }' "$csv" | sort -g |
        awk '{ a[NR] = $1 } END { if (NR == 0) print "-"; else
              print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'
}
{
    echo "# bench-beside: $(date -u +%Y-%m-%dT%H:%MZ), a CPU hog on CPU $cpu0, $runs runs each, medians"
    printf '%-16s %14s %9s %14s %9s %16s\n' config "imbalance(us)" "hog(%)" "lat 8 B(us)" \
        "hog(%)" "hog leaves(us)"
    for c in "${configs[@]}"; do
        printf '%-16s %14s %9s %14s %9s %16s\n' "$c" "$(median "$c" imbalance)" \
            "$(median "$c" hog-imbalance)" "$(median "$c" lat)" "$(median "$c" hog-lat)" \
            "$(median "$c" leave)"
    done
} | tee "$txt"
