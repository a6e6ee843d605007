#!/bin/sh
# mpi-thirdparty.sh - builds third-party MPI benchmark suites and small MPI applications,
# unmodified, with bypass's compiler wrappers (mpicc / mpicxx), and runs each program briefly
# under bprun with 2 and 4 ranks. One line per program:
#
#   <suite>/<program>   built | NOT BUILT (why)   -n 2: ran | failed (why) | n/a (why)   -n 4: ...
#
# It downloads nothing: it takes the directories of sources you fetched (below), copies each
# into the work directory (the sources are never written to) and builds there. Not part of
# .ci/run (CI has no network); docs/MPI.md has the table of what builds and runs today.
#
# Usage:
#   scripts/mpi-thirdparty.sh [-b BINDIR] [-w WORKDIR] [--imb DIR] [--osu DIR] [--tutorial DIR]
#                             [--prk DIR] [--stencil2d DIR] [--csc DIR]
#     -b BINDIR   bypass's bin directory (mpicc, mpicxx, bprun): default build/bin of this tree
#     -w WORKDIR  where copies are built and logs kept: default /tmp/bp-mpi-thirdparty
#   Environment: MPI3P_CPU_LOCK=/path/to/lock wraps every build and run in `flock -s` on it;
#   MPI3P_TIMEOUT (seconds per run, default 120). Runs are at nice 19. (Not BP_ names:
#   bypass refuses to start with a BP_ variable it does not know.)
#
# The sources (the commits last tried are in docs/MPI.md; any recent one should do):
#   --imb        git clone https://github.com/intel/mpi-benchmarks            (Intel MPI Benchmarks)
#   --osu        git clone https://github.com/forresti/osu-micro-benchmarks   (OSU 5.3), or OSU 7.x:
#                https://github.com/sherrywong1220/osu-micro-benchmarks-7.4, or a tarball from
#                https://mvapich.cse.ohio-state.edu/benchmarks/ (--osu may be given twice)
#   --tutorial   git clone https://github.com/mpitutorial/mpitutorial         (the tutorials' C codes)
#   --prk        git clone https://github.com/ParRes/Kernels                  (Parallel Research Kernels, MPI1)
#   --stencil2d  git clone https://github.com/rzambre/2D-stencil             (2D stencil halo exchanges)
#   --csc        git clone https://github.com/csc-training/summerschool      (heat equation, MPI exercises)
set -u

here=$(cd "$(dirname "$0")/.." && pwd)
bin=$here/build/bin
work=/tmp/bp-mpi-thirdparty
imb='' osu='' osu2='' tut='' prk='' st2d='' csc=''
while [ $# -gt 0 ]; do
    case $1 in
    -b) bin=$2; shift 2 ;;
    -w) work=$2; shift 2 ;;
    --imb) imb=$2; shift 2 ;;
    --osu) if [ -z "$osu" ]; then osu=$2; else osu2=$2; fi; shift 2 ;;
    --tutorial) tut=$2; shift 2 ;;
    --prk) prk=$2; shift 2 ;;
    --stencil2d) st2d=$2; shift 2 ;;
    --csc) csc=$2; shift 2 ;;
    -h | --help) sed -n '2,31p' "$0"; exit 0 ;;
    *) echo "mpi-thirdparty.sh: unknown argument $1 (see --help)" >&2; exit 2 ;;
    esac
done
bin=$(cd "$bin" && pwd) || exit 2
for t in mpicc mpicxx bprun; do
    [ -x "$bin/$t" ] || { echo "mpi-thirdparty.sh: no $bin/$t (build bypass first)" >&2; exit 2; }
done
if [ -z "$imb$osu$tut$prk$st2d$csc" ]; then
    echo "mpi-thirdparty.sh: give at least one source directory (see --help)" >&2
    exit 2
fi
mkdir -p "$work/logs"
work=$(cd "$work" && pwd)
timeout_s=${MPI3P_TIMEOUT:-120}
PATH=$bin:$PATH # configure scripts look for mpicc / mpicxx by name
export PATH

# heavy: the command, under the shared CPU lock when one is named, at nice 19
heavy() {
    if [ -n "${MPI3P_CPU_LOCK:-}" ]; then
        flock -s "$MPI3P_CPU_LOCK" nice -n 19 "$@"
    else
        nice -n 19 "$@"
    fi
}

# copy_src NAME DIR: a fresh copy of DIR in $work/NAME (printed)
copy_src() {
    rm -rf "${work:?}/$1"
    cp -a "$2" "$work/$1" && echo "$work/$1"
}

# why LOG: the first missing name or error a build log shows, in a few words
why() {
    w=$(grep -oE "undefined reference to .[A-Za-z_0-9]+.|.[A-Z][A-Za-z_0-9]+. undeclared|unknown type name .[A-Za-z_0-9]+.|implicit declaration of function .[A-Za-z_0-9]+." "$1" |
        sed -E "s/undefined reference to .(.*)./\1/; s/.(.*). undeclared/\1/; s/unknown type name .(.*)./\1/; s/implicit declaration of function .(.*)./\1/" |
        sort -u | sort -t_ -k1,1r | head -6 | tr '\n' ' ')
    if [ -n "$w" ]; then
        echo "needs: $w"
    else
        grep -m1 -E 'error' "$1" | cut -c1-100
    fi
}

# run NAME N EXPECT DIR CMD...: one run under bprun; "ran" when it exits 0 and (when EXPECT
# is not empty) its output has a line matching EXPECT
run() {
    name=$1 n=$2 expect=$3 dir=$4
    shift 4
    log=$work/logs/$(echo "$name" | tr '/ ' '__').n$n.log
    (cd "$dir" && heavy timeout "$timeout_s" "$bin/bprun" -n "$n" "$@") > "$log" 2>&1
    rc=$?
    if [ $rc -ne 0 ]; then
        last=$(grep -v '^bprun:' "$log" | tail -n 1 | cut -c1-80)
        [ $rc = 124 ] && echo "failed (timeout)" || echo "failed (exit $rc: $last)"
    elif [ -n "${reject:-}" ] && grep -qE "$reject" "$log"; then
        echo "failed (its own check: $(grep -m1 -E "$reject" "$log" | cut -c1-60))"
    elif [ -n "$expect" ] && ! grep -qE "$expect" "$log"; then
        echo "failed (no '$expect' in the output)"
    else
        echo "ran"
    fi
}

# line NAME BUILT R2 R4
line() {
    printf '%-44s %-10s -n 2: %-24s -n 4: %s\n' "$1" "$2" "$3" "$4"
}

# prog NAME BINARY EXPECT DIR RANKS ARGS...: a built program (or not) run at 2 and 4 ranks;
# RANKS "any", "2" (exactly two), "even", or a number N (needs N ranks: run at N instead)
prog() {
    name=$1 exe=$2 expect=$3 dir=$4 ranks=$5
    shift 5
    if [ ! -x "$dir/$exe" ]; then
        line "$name" "NOT BUILT" "-" "-"
        return
    fi
    case $ranks in
    any | even) r2=$(run "$name" 2 "$expect" "$dir" "./$exe" "$@"); r4=$(run "$name" 4 "$expect" "$dir" "./$exe" "$@") ;;
    2) r2=$(run "$name" 2 "$expect" "$dir" "./$exe" "$@"); r4="n/a (needs 2 ranks)" ;;
    *) r2="n/a (needs $ranks ranks)"; r4="n/a; -n $ranks: $(run "$name" "$ranks" "$expect" "$dir" "./$exe" "$@")" ;;
    esac
    line "$name" built "$r2" "$r4"
}

# --- Intel MPI Benchmarks (src_c, plain make) --------------------------------------------
if [ -n "$imb" ]; then
    d=$(copy_src imb "$imb") || exit 1
    c=$(copy_src imb-check "$imb") || exit 1
    for t in MPI1 NBC EXT RMA IO MPI4; do
        heavy make -C "$d/src_c" -k CC=mpicc TARGET=$t > "$work/logs/imb-build-$t.log" 2>&1
        if [ ! -x "$d/src_c/IMB-$t" ]; then
            line "imb/IMB-$t" "NOT BUILT" "$(why "$work/logs/imb-build-$t.log")" "-"
        fi
    done
    heavy make -C "$d/src_c/P2P" -k CC=mpicc > "$work/logs/imb-build-P2P.log" 2>&1
    a="-iter 20 -msglog 0:12 -time 1"
    # shellcheck disable=SC2086 # a is a list of arguments
    {
        prog imb/IMB-MPI1 IMB-MPI1 "All processes entering MPI_Finalize" "$d/src_c" any $a
        prog imb/IMB-NBC IMB-NBC "All processes entering MPI_Finalize" "$d/src_c" any $a
        prog imb/IMB-P2P IMB-P2P "" "$d/src_c/P2P" any -iter 20 -msglog 0:12
    }
    # -DCHECK: IMB checks every result; a nonzero "defects" column is a failure
    for t in MPI1 NBC; do
        heavy make -C "$c/src_c" -k CC=mpicc CFLAGS=-DCHECK TARGET=$t > "$work/logs/imb-check-build-$t.log" 2>&1
    done
    # IMB-NBC's own check of Ireduce_scatter is wrong (it expects every rank's block at
    # position 0, and fails under MPICH too): left out of the checked run
    nbc_list="Ibcast Iallgather Iallgatherv Igather Igatherv Iscatter Iscatterv Ialltoall Ialltoallv Ireduce Iallreduce Ibarrier"
    for t in MPI1 NBC; do
        l=; [ $t = NBC ] && l=$nbc_list
        # shellcheck disable=SC2086
        prog "imb/IMB-$t -DCHECK" "IMB-$t" "All processes entering MPI_Finalize" "$c/src_c" any $a $l
    done
    for f in "$work"/logs/imb_IMB-*_-DCHECK.n*.log; do
        [ -f "$f" ] || continue
        # the "defects" column (last) of the tables that have one must be 0 everywhere
        if awk '/^# Benchmarking/ { col = 0 } /^ *#bytes|^ *#repetitions/ { col = ($NF == "defects") ? NF : 0 }
                col && $1 ~ /^[0-9]+$/ && NF == col && $col + 0 != 0 { bad = 1 } END { exit !bad }' "$f" ||
            grep -q 'Got invalid buffer' "$f"; then
            echo "    defects reported by IMB in $f"
        fi
    done
fi

# --- OSU micro-benchmarks (configure CC=mpicc CXX=mpicxx) --------------------------------
# 5.x: mpi/{pt2pt,collective,startup}; 7.x: c/mpi/..., with -c (each result checked) and
# -m min:max
osu_suite() {
    tagname=$1 src=$2
    d=$(copy_src "$tagname" "$src") || return 1
    (cd "$d" && heavy ./configure CC=mpicc CXX=mpicxx > "$work/logs/$tagname-configure.log" 2>&1 &&
        heavy make -k > "$work/logs/$tagname-build.log" 2>&1)
    if [ -d "$d/c/mpi" ]; then
        top=$d/c/mpi sizes="-m 1:4096" check=-c
    else
        top=$d/mpi sizes="-m 4096" check=''
    fi
    reject='[Ff]ail'
    for f in $(find "$top" -name 'osu_*.c' | sort); do
        p=$(basename "$f" .c) dir=$(dirname "$f")
        case $p in osu_coll | osu_pt2pt | osu_util* | osu_1sc | osu_bw_fan_util) continue ;; esac
        case $p in
        osu_latency | osu_bw | osu_bibw | osu_*_persistent | osu_latency_mt | osu_latency_mp)
            case $dir in */collective*) ranks=any ;; *) ranks=2 ;; esac ;;
        osu_get_* | osu_put_* | osu_acc_* | osu_cas_* | osu_fop_*) ranks=2 ;;
        osu_bw_fan_*) line "$tagname/$p" "$([ -x "$dir/$p" ] && echo built || echo "NOT BUILT")" \
            "n/a (needs 2 nodes)" "n/a (needs 2 nodes)"; continue ;;
        *) ranks=any ;;
        esac
        # 5.x point-to-point programs take no -m; barriers have no sizes
        case $p in
        osu_hello | osu_init) a='' ;;
        osu_barrier | osu_ibarrier | osu_barrier_persistent) a="-i 20 -x 5" ;; # no -c there
        *) case $dir in
           */pt2pt*) [ -n "$check" ] && a="-i 20 -x 5 $sizes $check" || a="-i 20 -x 5" ;;
           *) a="-i 20 -x 5 $sizes $check" ;;
           esac ;;
        esac
        if [ -x "$dir/$p" ]; then
            # shellcheck disable=SC2086 # a is a list of arguments
            prog "$tagname/$p" "$p" "" "$dir" $ranks $a
        elif grep -q "$p" "$work/logs/$tagname-build.log"; then
            line "$tagname/$p" "NOT BUILT" "$(why "$work/logs/$tagname-build.log")" "-"
        else
            line "$tagname/$p" "NOT BUILT" "(left out by configure)" "-"
        fi
    done
    reject=''
}
[ -n "$osu" ] && osu_suite osu "$osu"
[ -n "$osu2" ] && osu_suite osu-2 "$osu2"

# --- mpitutorial.com's codes ------------------------------------------------------------
if [ -n "$tut" ]; then
    d=$(copy_src tutorial "$tut/tutorials") || exit 1
    for m in "$d"/*/code/makefile; do
        # their makefiles use MPICC (one directory names its targets wrongly and falls back
        # to make's own rule, hence CC too)
        heavy make -C "$(dirname "$m")" -k MPICC=mpicc MPICXX=mpicxx CC=mpicc CXX=mpicxx \
            >> "$work/logs/tutorial-build.log" 2>&1
    done
    t=$d
    prog tutorial/mpi_hello_world mpi_hello_world "Hello world" "$t/mpi-hello-world/code" any
    prog tutorial/send_recv send_recv "received number -1" "$t/mpi-send-and-receive/code" any
    prog tutorial/ping_pong ping_pong "ping_pong_count 10" "$t/mpi-send-and-receive/code" 2
    prog tutorial/ring ring "received token -1" "$t/mpi-send-and-receive/code" any
    prog tutorial/check_status check_status "" "$t/dynamic-receiving-with-mpi-probe-and-mpi-status/code" 2
    prog tutorial/probe probe "" "$t/dynamic-receiving-with-mpi-probe-and-mpi-status/code" 2
    prog tutorial/random_walk random_walk "done" "$t/point-to-point-communication-application-random-walk/code" any 100 500 20
    prog tutorial/my_bcast my_bcast "received data 100" "$t/mpi-broadcast-and-collective-communication/code" any
    prog tutorial/compare_bcast compare_bcast "Avg MPI_Bcast time" "$t/mpi-broadcast-and-collective-communication/code" any 100000 10
    prog tutorial/avg avg "Avg computed" "$t/mpi-scatter-gather-and-allgather/code" any 100
    prog tutorial/all_avg all_avg "Avg of all elements" "$t/mpi-scatter-gather-and-allgather/code" any 100
    prog tutorial/random_rank random_rank "Rank for" "$t/performing-parallel-rank-with-mpi/code" any 100
    prog tutorial/reduce_avg reduce_avg "Total sum" "$t/mpi-reduce-and-allreduce/code" any 100
    prog tutorial/reduce_stddev reduce_stddev "Standard deviation" "$t/mpi-reduce-and-allreduce/code" any 100
    prog tutorial/comm_split comm_split "ROW RANK/SIZE" "$t/introduction-to-groups-and-communicators/code" any
    prog tutorial/comm_groups comm_groups "PRIME RANK/SIZE: 6/7" "$t/introduction-to-groups-and-communicators/code" 16
    prog tutorial/bin bin "received" "$t/mpi-alltoall-and-v-routines/code" any 100
fi

# --- Parallel Research Kernels, MPI1 -----------------------------------------------------
if [ -n "$prk" ]; then
    d=$(copy_src prk "$prk") || exit 1
    printf 'MPICC=mpicc\nCC=cc -std=c11\nDEFAULT_OPT_FLAGS=-O2\n' > "$d/common/make.defs"
    heavy make -C "$d" -k allmpi1 > "$work/logs/prk-build.log" 2>&1
    k=$d/MPI1 v="Solution validates"
    prog prk/Synch_global Synch_global/global "$v" "$k" any 10 1024
    prog prk/Synch_p2p Synch_p2p/p2p "$v" "$k" any 10 256 256
    prog prk/Sparse Sparse/sparse "$v" "$k" any 10 8 2
    prog prk/Transpose Transpose/transpose "$v" "$k" any 10 256 32
    prog prk/Stencil Stencil/stencil "$v" "$k" any 10 256
    prog prk/DGEMM DGEMM/dgemm "$v" "$k" any 5 128 32 1
    prog prk/Nstream Nstream/nstream "$v" "$k" any 10 100000 0
    prog prk/Reduce Reduce/reduce "$v" "$k" any 10 100000
    prog prk/Random Random/random "$v" "$k" any 4 14
    prog prk/Branch Branch/branch "$v" "$k" any 10 1000 vector_go
    prog prk/PIC-static PIC-static/pic "$v" "$k" any 10 100 10000 1 2 GEOMETRIC 0.99
    prog prk/AMR AMR/amr "$v" "$k" any 10 1000 100 2 2 1 5 FINE_GRAIN 2
fi

# --- 2D stencil halo exchanges -----------------------------------------------------------
if [ -n "$st2d" ]; then
    d=$(copy_src stencil2d "$st2d") || exit 1
    heavy make -C "$d" -k CC=mpicc > "$work/logs/stencil2d-build.log" 2>&1
    for p in single_pack single_shared_mem_pack funneled_pack funneled_parallel_pack \
        multiple_comm_world_reg_part_pack multiple_multicomms_reg_part_pack; do
        # one OpenMP thread: the "multiple" ones ask for MPI_THREAD_MULTIPLE with more
        case $p in funneled*) th=2 ;; *) th=1 ;; esac
        r2=$(OMP_NUM_THREADS=$th run "stencil2d/$p" 2 "mesh_dim" "$d" "./2d_stencil_$p" 64 1 10 2 1 1 1)
        r4=$(OMP_NUM_THREADS=$th run "stencil2d/$p" 4 "mesh_dim" "$d" "./2d_stencil_$p" 64 1 10 2 2 1 1)
        [ -x "$d/2d_stencil_$p" ] && b=built || b="NOT BUILT"
        line "stencil2d/$p" "$b" "$r2" "$r4"
    done
fi

# --- CSC summer school: heat equation and MPI exercises -----------------------------------
if [ -n "$csc" ]; then
    d=$(copy_src csc "$csc/mpi") || exit 1
    h=$d/heat-equation/c/solution
    heavy make -C "$h" -k COMP=gnu > "$work/logs/csc-heat-build.log" 2>&1
    prog csc/heat_mpi heat_mpi "Reference value" "$h" any
    for f in "$work"/logs/csc_heat_mpi.n*.log; do
        [ -f "$f" ] || continue
        a=$(sed -n 's/^Average temperature: //p' "$f") r=$(sed -n 's/^Reference value with default arguments: //p' "$f")
        [ "$a" = "$r" ] || echo "    csc/heat_mpi: average $a differs from the reference $r ($f)"
    done
    for s in cartesian-grid/solution/cartesian-grid datatypes/solution/custom_type_c \
        datatypes-struct/solution/struct_with_type datatypes-extent/solution/send-receive-resized \
        message-exchange/solution/exchange; do
        heavy mpicc -O2 -o "$d/$s" "$d/$s.c" -lm > "$work/logs/csc-build-$(basename "$s").log" 2>&1
        prog "csc/$(basename "$s")" "$(basename "$s")" "" "$d/$(dirname "$s")" any
    done
fi
