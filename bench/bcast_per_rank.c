/*
 * bcast_per_rank.c - where an OSU-style MPI_Bcast figure at 2 ranks comes from: each rank
 * times its MPI_Bcast calls and the MPI_Barrier after each (the osu_bcast loop) on its own,
 * so the root's cost (injecting one message) and the other rank's wait (for a message the
 * root sends only once it has left the barrier) show apart. Any mpi.h:
 *   build/bin/bpcc -O2 bench/bcast_per_rank.c -o /tmp/bc && build/bin/bprun -n 2 --bind core /tmp/bc
 *   mpicc.openmpi -O2 bench/bcast_per_rank.c -o /tmp/bc_ompi &&
 *       mpirun.openmpi -np 2 --bind-to core /tmp/bc_ompi
 */
#include <mpi.h>
#include <stdio.h>
#include <time.h>

#define WARMUP 20000
#define ITERS 100000

static double now_us(void)
{
    struct timespec t;

    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec * 1e6 + (double)t.tv_nsec / 1e3;
}

int main(int argc, char **argv)
{
    int rank;
    double buf = 1.0, bcast_us = 0.0, barrier_us = 0.0;

    MPI_Init(&argc, &argv);
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Barrier(MPI_COMM_WORLD);
    for (int i = 0; i < WARMUP + ITERS; i++) {
        double t0 = now_us(), t1, t2;
        MPI_Bcast(&buf, (int)sizeof(buf), MPI_BYTE, 0, MPI_COMM_WORLD);
        t1 = now_us();
        MPI_Barrier(MPI_COMM_WORLD);
        t2 = now_us();
        if (i >= WARMUP) {
            bcast_us += t1 - t0;
            barrier_us += t2 - t1;
        }
    }
    printf("rank %d: MPI_Bcast %.3f us, MPI_Barrier after it %.3f us\n", rank,
           bcast_us / ITERS, barrier_us / ITERS);
    MPI_Finalize();
    return 0;
}
