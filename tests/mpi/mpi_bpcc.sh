#!/bin/sh
# mpi_bpcc.sh BINDIR SRC WORKDIR: the README's steps from the build tree:
# `bpcc hello.c && mpiexec -n 2 ./a.out`, plus `bpcc -show` naming bypass's mpi.h
# directory and libbpmpi, and mpirun -np / mpiexec defaults; mpicxx builds a C++ program
# (mpi.h is extern "C") that runs the same way.
bin=$1 src=$2 work=$3
set -e
rm -rf "$work"
mkdir -p "$work"
cd "$work"
show=$("$bin/bpcc" -show hello.c)
echo "bpcc -show: $show"
case $show in *-lbpmpi*) ;; *) echo "FAIL: -show does not link libbpmpi"; exit 1 ;; esac
[ "$("$bin/mpicc" -show -c x.c)" != "" ] || { echo "FAIL: mpicc -show printed nothing"; exit 1; }
case $("$bin/mpicc" -show -c x.c) in *-lbpmpi*) echo "FAIL: -c must not link"; exit 1 ;; esac
cp "$src" hello.c
"$bin/bpcc" -Wall -Wextra -Werror hello.c
out=$("$bin/mpiexec" --timeout 60 -n 2 ./a.out)
echo "$out"
[ "$(echo "$out" | grep -c '^hello from rank [01] of 2')" -eq 2 ] ||
    { echo "FAIL: mpiexec -n 2"; exit 1; }
out=$("$bin/mpirun" -np 3 ./a.out)
[ "$(echo "$out" | grep -c 'of 3')" -eq 3 ] || { echo "FAIL: mpirun -np 3"; exit 1; }
out=$("$bin/mpiexec" ./a.out)
[ "$(echo "$out" | grep -c 'of 1')" -eq 1 ] ||
    { echo "FAIL: mpiexec without -n runs 1 rank"; exit 1; }
case $("$bin/mpicxx" -show x.cpp) in *-lbpmpi*) ;; *) echo "FAIL: mpicxx does not link libbpmpi"; exit 1 ;; esac
cat > hello.cpp <<'EOF'
#include <mpi.h>
#include <cstdio>
int main(int argc, char **argv)
{
    int rank = -1, size = 0, sum = 0;
    MPI_Init(&argc, &argv);
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    MPI_Allreduce(&rank, &sum, 1, MPI_INT, MPI_SUM, MPI_COMM_WORLD);
    std::printf("c++ rank %d of %d sum %d\n", rank, size, sum);
    MPI_Finalize();
    return 0;
}
EOF
"$bin/mpicxx" -Wall -Wextra -Werror hello.cpp -o hello-cxx
out=$("$bin/mpiexec" --timeout 60 -n 2 ./hello-cxx)
echo "$out"
[ "$(echo "$out" | grep -c '^c++ rank [01] of 2 sum 1$')" -eq 2 ] || { echo "FAIL: mpicxx program"; exit 1; }
echo "mpi_bpcc passed"
