#!/usr/bin/env bash
# bench-oversub.sh [RUNS] [OUT]: polite progress (docs/PERFORMANCE.md, "Oversubscribed").
# Run it alone on the machine (it loads every CPU); RUNS (default 5) interleaved runs of each
# configuration, medians. Writes OUT (default results/oversub): oversub.txt (the tables),
# oversub.csv (every run: ranks,config,bench,run,value), oversub-n8.png and oversub-n4.png
# (gnuplot, when installed) and raw/ (every run's output).
#
#   1. 8 ranks, then 4 ranks, on this machine (2 CPUs here): barrier, 8 B allreduce (one
#      double, sum) and a token around the ring (per hop), in microseconds (bench/oversub_*.c),
#      for bypass default (auto: adaptive when ranks outnumber CPUs), bypass BP_PROGRESS=spin,
#      Open MPI default, Open MPI --mca mpi_yield_when_idle 1, MPICH default, and Open MPI
#      with glibc's rseq registration off as bprun starts ranks that outnumber CPUs
#      (openmpi-norseq: what that launcher setting alone is worth to another library; not
#      a default, so not among the goal's peers);
#   2. 2 ranks on 2 CPUs: 8 B one-way latency (bp-bench lat), bypass default vs spin;
#   3. idle: the CPU a rank uses while it waits 2 s in a receive (getrusage, % of a core),
#      every bypass progress mode and the MPI libraries;
#   4. the floor (bp-oversub-floor, interleaved with 1.): the same ring and a counter
#      barrier with no library, each process waiting by yield, futex or both (floor-*
#      rows), and what handing one CPU from a process to another costs (two processes on
#      one CPU passing a token: each hop is one hand-off, by sched_yield or by futex);
#   5. the hand-off's floor (bp-order-floor, interleaved with 1.): the ring with no library,
#      each process waiting as adaptive progress with the CPU hand-off does (the one
#      nearest the token spins, the others yield, and one the kernel runs out of the
#      token's order parks): the fastest any library of this design passes the token here
#      (floor-hand row, the better of bp-order-floor's two variants), and so what the
#      ring's goal leaves the library. The floors run with rseq off, as bprun's ranks do.
#
# Open MPI and MPICH are used when installed (scripts/setup.sh --peers), else skipped with a
# line. Every launch runs under `timeout`. TARGET_S (default 1) is about how long each
# benchmark of each run lasts; LAT_OPTS adds bp-bench options (e.g. --iters); BUILD
# (default build) is the build directory. A smoke test, not figures:
#   RUNS=1 TARGET_S=0.01 LAT_OPTS="--iters 100 --warmup 10" scripts/bench-oversub.sh 1 /tmp/o
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
runs=${1:-5}
out=${2:-results/oversub}
build=${BUILD:-build}
target=${TARGET_S:-1}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$out/raw"
csv="$out/oversub.csv"
txt="$out/oversub.txt"
echo "ranks,config,bench,run,value" > "$csv"

for f in "$build/bin/bprun" "$build/bin/bp-oversub" "$build/bin/bp-bench" \
    "$build/bin/bp-oversub-floor" "$build/bin/bp-order-floor"; do
    [ -x "$f" ] || { echo "missing $f: build first (cmake --build $build)"; exit 1; }
done
configs=(bypass-default bypass-spin)
idle_configs=(bypass-default bypass-spin bypass-block bypass-adaptive)
if command -v mpicc.openmpi > /dev/null && command -v mpirun.openmpi > /dev/null; then
    mpicc.openmpi -O2 bench/oversub_mpi.c -o "$tmp/oversub_openmpi"
    configs+=(openmpi openmpi-yield openmpi-norseq)
    idle_configs+=(openmpi openmpi-yield)
else
    echo "Open MPI: not installed (scripts/setup.sh --peers), skipped"
fi
if command -v mpicc.mpich > /dev/null && command -v mpiexec.mpich > /dev/null; then
    mpicc.mpich -O2 bench/oversub_mpi.c -o "$tmp/oversub_mpich"
    configs+=(mpich)
    idle_configs+=(mpich)
else
    echo "MPICH: not installed (scripts/setup.sh --peers), skipped"
fi

# The command that runs configuration $1 with $2 ranks.
command_for() {
    local ompi=(env OMPI_MCA_oob_tcp_if_include=lo timeout 300 mpirun.openmpi --oversubscribe
                --allow-run-as-root -np "$2")
    case $1 in
    bypass-default) echo timeout 300 "$build/bin/bprun" -n "$2" "$build/bin/bp-oversub" ;;
    bypass-spin | bypass-block | bypass-adaptive)
        echo env "BP_PROGRESS=${1#bypass-}" timeout 300 "$build/bin/bprun" -n "$2" \
            "$build/bin/bp-oversub" ;;
    openmpi) echo "${ompi[@]}" "$tmp/oversub_openmpi" ;;
    openmpi-yield) echo "${ompi[@]}" --mca mpi_yield_when_idle 1 "$tmp/oversub_openmpi" ;;
    openmpi-norseq) echo env GLIBC_TUNABLES=glibc.pthread.rseq=0 "${ompi[@]}" \
        "$tmp/oversub_openmpi" ;;
    mpich) echo timeout 300 mpiexec.mpich -n "$2" "$tmp/oversub_mpich" ;;
    esac
}

# run_one CONFIG RANKS RUN [idle]: one run; its "bench value" lines go to the CSV.
run_one() {
    local raw="$out/raw/$1-n$2${4:+-$4}-run$3.txt"
    # shellcheck disable=SC2046
    if ! $(command_for "$1" "$2") "$target" ${4:-} > "$raw" 2>&1; then
        echo "  $1 -n $2 run $3 failed (exit $?): see $raw"
        return 0
    fi
    awk -v n="$2" -v c="$1" -v r="$3" \
        '$1 ~ /^(barrier|allreduce8|ring|idle)$/ && NF == 2 { print n "," c "," $1 "," r "," $2 }' \
        "$raw" >> "$csv"
}

# floor_one RANKS RUN: the probe's ring and barrier per waiting design (floor-yield,
# floor-futex, floor-hybrid); with RANKS 1, two processes on the first CPU we may use: the
# hand-off (ring only).
first_cpu=$(taskset -pc $$ | sed 's/.*: *//; s/[-,].*//')
norseq=(env GLIBC_TUNABLES=glibc.pthread.rseq=0) # as bprun starts ranks that outnumber CPUs
floor_one() {
    local raw="$out/raw/floor-n$1-run$2.txt"
    local cmd=("${norseq[@]}" "$build/bin/bp-oversub-floor" "$1" 1 4000)
    [ "$1" = 1 ] && cmd=("${norseq[@]}" taskset -c "$first_cpu" "$build/bin/bp-oversub-floor" 2 1 20000)
    if ! timeout 300 "${cmd[@]}" > "$raw" 2>&1; then
        echo "  floor -n $1 run $2 failed: see $raw"
        return 0
    fi
    awk -v n="$1" -v r="$2" '$1 == "median:" {
        for (i = 2; i + 4 <= NF; i += 5) {
            c = ((n == 1) ? "handoff-" : "floor-") $i
            print n "," c ",ring," r "," $(i + 2)
            if (n != 1) print n "," c ",barrier," r "," $(i + 4)
        } }' "$raw" >> "$csv"
}

# hand_one RANKS RUN: the hand-off's floor, one round (the ring only: floor-hand).
hand_one() {
    local raw="$out/raw/floor-hand-n$1-run$2.txt"
    if ! "${norseq[@]}" timeout 300 "$build/bin/bp-order-floor" "$1" 1 "${HAND_LAPS:-50000}" \
        > "$raw" 2>&1; then
        echo "  floor-hand -n $1 run $2 failed: see $raw"
        return 0
    fi
    # the better of its two variants: with 4 ranks a CPU, the kernel's yield order needs
    # the parks (park); with 2 they cost a look more for nothing (hand)
    awk -v n="$1" -v r="$2" '$1 == "median" && ($2 == "hand:" || $2 == "park:") &&
        (best == "" || $3 < best) { best = $3 }
        END { if (best != "") print n ",floor-hand,ring," r "," best }' "$raw" >> "$csv"
}

median_of() { # ranks config bench
    awk -F, -v n="$1" -v c="$2" -v b="$3" '$1 == n && $2 == c && $3 == b { print $5 }' "$csv" |
        sort -g | awk '{ a[NR] = $1 } END { if (NR == 0) print "-"; else
                       print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'
}

{
    echo "# bench-oversub: $(date -u +%Y-%m-%dT%H:%MZ), $(nproc) CPUs, kernel $(uname -r)," \
         "$runs runs each, medians"
    echo "# load average before: $(cut -d' ' -f1-3 /proc/loadavg) (should be near 0)"
} | tee "$txt"

for n in 8 4; do
    echo "== $n ranks: running ${configs[*]}"
    for ((r = 1; r <= runs; r++)); do
        for c in "${configs[@]}"; do
            run_one "$c" "$n" "$r"
        done
        floor_one "$n" "$r"
        hand_one "$n" "$r"
        floor_one 1 "$r"
    done
done
echo "== 2 ranks: 8 B latency, default vs spin"
for ((r = 1; r <= runs; r++)); do
    for c in bypass-default bypass-spin; do
        raw="$out/raw/lat-$c-run$r.txt"
        mode=()
        [ "$c" = bypass-spin ] && mode=(env BP_PROGRESS=spin)
        if "${mode[@]}" timeout 300 "$build/bin/bprun" -n 2 "$build/bin/bp-bench" lat \
            --sizes 8 --csv ${LAT_OPTS:-} > "$raw" 2>&1; then
            awk -F, -v c="$c" -v r="$r" '$1 == "8" { print "2," c ",lat8," r "," $2 }' "$raw" \
                >> "$csv"
        else
            echo "  lat $c run $r failed: see $raw"
        fi
    done
done
echo "== 2 ranks: idle CPU while waiting 2 s in a receive"
for ((r = 1; r <= runs; r++)); do
    for c in "${idle_configs[@]}"; do
        run_one "$c" 2 "$r" idle
    done
done

{
    for n in 8 4; do
        echo
        echo "## $n ranks on $(nproc) CPUs (us per call; ring: per hop)"
        printf '%-18s %12s %12s %12s\n' config barrier allreduce8 ring
        for c in "${configs[@]}" floor-yield floor-futex floor-hybrid floor-hand; do
            printf '%-18s %12s %12s %12s\n' "$c" "$(median_of "$n" "$c" barrier)" \
                "$(median_of "$n" "$c" allreduce8)" "$(median_of "$n" "$c" ring)"
        done
        # the issue's goals: default >= 2x faster than the best MPI default, >= 5x than spin
        for b in barrier allreduce8 ring; do
            d=$(median_of "$n" bypass-default "$b")
            s=$(median_of "$n" bypass-spin "$b")
            best=-
            for c in openmpi mpich; do
                v=$(median_of "$n" "$c" "$b")
                if [ "$v" != - ] && { [ "$best" = - ] || awk -v a="$v" -v b="$best" 'BEGIN { exit !(a < b) }'; }; then
                    best=$v
                fi
            done
            awk -v b="$b" -v d="$d" -v s="$s" -v m="$best" 'BEGIN {
                printf "  %-10s default is %s x faster than spin, %s x faster than the best MPI default\n",
                    b, (d > 0 && s != "-") ? sprintf("%.1f", s / d) : "-",
                    (d > 0 && m != "-") ? sprintf("%.1f", m / d) : "-" }'
            if [ "$b" = ring ]; then
                fy=$(median_of "$n" floor-yield ring)
                awk -v d="$d" -v m="$best" -v f="$fy" -v hy="$(median_of 1 handoff-yield ring)" \
                    -v hf="$(median_of 1 handoff-futex ring)" 'BEGIN {
                    printf "  ring       default is %s x the yield floor; 2x the best MPI default is %s us per hop, a CPU hand-off costs %s us (yield) or %s us (futex)\n",
                        (f > 0 && d != "-") ? sprintf("%.2f", d / f) : "-",
                        (m != "-") ? sprintf("%.3f", m / 2) : "-",
                        (hy != "-") ? sprintf("%.3f", hy) : "-",
                        (hf != "-") ? sprintf("%.3f", hf) : "-" }'
                # the hand-off's floor, no library: what 2x leaves the library per hop
                awk -v d="$d" -v m="$best" -v h="$(median_of "$n" floor-hand ring)" 'BEGIN {
                    if (h == "-" || h <= 0) exit
                    printf "  ring       the hand-off floor (no library) is %s us per hop: %s x faster than the best MPI default; default is %s x it, and 2x leaves the library %s us per hop above it\n",
                        h, (m != "-") ? sprintf("%.2f", m / h) : "-",
                        (d != "-") ? sprintf("%.2f", d / h) : "-",
                        (m != "-") ? sprintf("%.3f", m / 2 - h) : "-" }'
            fi
        done
    done
    echo
    echo "## 2 ranks on $(nproc) CPUs: 8 B one-way latency (us)"
    d=$(median_of 2 bypass-default lat8)
    s=$(median_of 2 bypass-spin lat8)
    echo "  default $d, spin $s: default / spin = $(awk -v d="$d" -v s="$s" 'BEGIN { print (s > 0) ? sprintf("%.3f", d / s) : "-" }')"
    echo
    echo "## idle: % of a core used by a rank waiting 2 s in a receive (2 ranks)"
    for c in "${idle_configs[@]}"; do
        printf '  %-18s %6s %%\n' "$c" "$(median_of 2 "$c" idle)"
    done
    echo
    echo "# load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
} | tee -a "$txt"
# A plot per job size: microseconds per call (log scale) of each benchmark, one bar per
# configuration, when gnuplot is installed.
if command -v gnuplot > /dev/null; then
    for n in 8 4; do
        dat="$out/oversub-n$n.dat"
        {
            echo "# config barrier allreduce8 ring"
            for c in "${configs[@]}" floor-yield floor-hand; do
                echo "$c $(median_of "$n" "$c" barrier) $(median_of "$n" "$c" allreduce8)" \
                     "$(median_of "$n" "$c" ring)"
            done
        } | awk '{ for (i = 2; i <= NF; i++) if ($i == "-") $i = "NaN" } 1' > "$dat"
        gnuplot <<GP || echo "gnuplot failed: no $out/oversub-n$n.png"
set terminal pngcairo size 900,500
set output "$out/oversub-n$n.png"
set title "$n ranks on $(nproc) CPUs: time per call (ring: per hop), median of $runs runs"
set ylabel "microseconds (log scale)"
set logscale y
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.8 border -1
set key top left
set xtics nomirror
plot "$dat" using 2:xtic(1) title "barrier", "" using 3 title "allreduce 8 B", \
     "" using 4 title "ring hop"
GP
    done
else
    echo "gnuplot is not installed: no plots (the tables and CSV are written)"
fi
echo "wrote $txt, $csv, $out/oversub-n*.png and $out/raw/"
