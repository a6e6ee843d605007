/*
 * Datatypes round trip: vector, hvector, indexed, struct (with its alignment padding) and
 * contiguous types sent between ranks (receiver with a different but matching type map),
 * Pack/Unpack of the same data, sizes and extents as MPI defines them, Get_count and
 * Get_elements. Ranks pair up (0-1, 2-3, ...); an odd last rank talks to itself.
 */
#include <stddef.h>

#include "mtest.h"

typedef struct particle {
    double pos[3];
    int id;
    char tag;
} particle_t;

static MPI_Datatype particle_type(void)
{
    int bl[3] = {3, 1, 1};
    MPI_Aint disp[3] = {offsetof(particle_t, pos), offsetof(particle_t, id),
                        offsetof(particle_t, tag)};
    MPI_Datatype types[3] = {MPI_DOUBLE, MPI_INT, MPI_CHAR}, t;
    MPI_Aint lb, ext;
    int size;

    MT_OK(MPI_Type_create_struct(3, bl, disp, types, &t));
    MT_OK(MPI_Type_commit(&t));
    MT_OK(MPI_Type_size(t, &size));
    MT_EQ(size, 3 * sizeof(double) + sizeof(int) + 1);
    MT_OK(MPI_Type_get_extent(t, &lb, &ext));
    MT_EQ(lb, 0);
    MT_EQ(ext, sizeof(particle_t)); /* padded to the alignment of double */
    return t;
}

int main(int argc, char **argv)
{
    enum { N = 64 };
    int peer, rank;
    double mat[N][N], col[N], recv_mat[N][N];
    MPI_Datatype column, hcol, idx, part, contig;
    MPI_Status st;
    MPI_Aint lb, ext;
    int count, size;

    mtest_init(&argc, &argv);
    rank = mtest_rank;
    peer = (rank % 2 == 0) ? rank + 1 : rank - 1;
    if (peer >= mtest_size) {
        peer = rank;
    }

    /* vector: one column of a row-major matrix; received as N contiguous doubles */
    MT_OK(MPI_Type_vector(N, 1, N, MPI_DOUBLE, &column));
    MT_OK(MPI_Type_commit(&column));
    MT_OK(MPI_Type_size(column, &size));
    MT_EQ(size, N * sizeof(double));
    MT_OK(MPI_Type_get_extent(column, &lb, &ext));
    MT_EQ(ext, ((N - 1) * N + 1) * sizeof(double));
    for (int i = 0; i < N; i++) {
        for (int j = 0; j < N; j++) {
            mat[i][j] = rank * 10000 + i * N + j;
        }
    }
    MT_OK(MPI_Sendrecv(&mat[0][3], 1, column, peer, 1, col, N, MPI_DOUBLE, peer, 1,
                       MPI_COMM_WORLD, &st));
    MT_OK(MPI_Get_count(&st, MPI_DOUBLE, &count));
    MT_EQ(count, N);
    MT_OK(MPI_Get_count(&st, column, &count));
    MT_EQ(count, 1);
    for (int i = 0; i < N; i++) {
        MT_CHECK(col[i] == peer * 10000 + i * N + 3);
    }

    /* hvector of the same column, received into a column of another matrix */
    MT_OK(MPI_Type_create_hvector(N, 1, N * sizeof(double), MPI_DOUBLE, &hcol));
    MT_OK(MPI_Type_commit(&hcol));
    for (int i = 0; i < N; i++) {
        for (int j = 0; j < N; j++) {
            recv_mat[i][j] = -1;
        }
    }
    MT_OK(MPI_Sendrecv(&mat[0][5], 1, column, peer, 2, &recv_mat[0][7], 1, hcol, peer, 2,
                       MPI_COMM_WORLD, MPI_STATUS_IGNORE));
    for (int i = 0; i < N; i++) {
        for (int j = 0; j < N; j++) {
            MT_CHECK(recv_mat[i][j] == (j == 7 ? peer * 10000 + i * N + 5 : -1));
        }
    }

    /* indexed: the upper triangle (row i from column i) */
    {
        int bl[N], disp[N], n = 0;
        double tri[N * (N + 1) / 2];
        for (int i = 0; i < N; i++) {
            bl[i] = N - i;
            disp[i] = i * N + i;
        }
        MT_OK(MPI_Type_indexed(N, bl, disp, MPI_DOUBLE, &idx));
        MT_OK(MPI_Type_commit(&idx));
        MT_OK(MPI_Type_size(idx, &size));
        MT_EQ(size, sizeof(tri));
        MT_OK(MPI_Sendrecv(mat, 1, idx, peer, 3, tri, N * (N + 1) / 2, MPI_DOUBLE, peer, 3,
                           MPI_COMM_WORLD, &st));
        MT_OK(MPI_Get_elements(&st, idx, &count));
        MT_EQ(count, N * (N + 1) / 2);
        for (int i = 0; i < N; i++) {
            for (int j = i; j < N; j++) {
                MT_CHECK(tri[n++] == peer * 10000 + i * N + j);
            }
        }
        /* and back into a matrix through the same type: only the triangle is written */
        for (int i = 0; i < N; i++) {
            for (int j = 0; j < N; j++) {
                recv_mat[i][j] = -2;
            }
        }
        MT_OK(MPI_Sendrecv(tri, N * (N + 1) / 2, MPI_DOUBLE, peer, 4, recv_mat, 1, idx, peer, 4,
                           MPI_COMM_WORLD, MPI_STATUS_IGNORE));
        for (int i = 0; i < N; i++) {
            for (int j = 0; j < N; j++) {
                MT_CHECK(recv_mat[i][j] == (j >= i ? rank * 10000 + i * N + j : -2));
            }
        }
    }

    /* struct: an array of particles, nonblocking */
    part = particle_type();
    {
        particle_t out[10], in[10];
        MPI_Request reqs[2];
        memset(in, 0, sizeof(in));
        for (int i = 0; i < 10; i++) {
            out[i] = (particle_t){{rank + 0.5, i + 0.25, -1.0 * i}, rank * 100 + i,
                                  (char)('a' + i)};
        }
        MT_OK(MPI_Irecv(in, 10, part, peer, 5, MPI_COMM_WORLD, &reqs[0]));
        MT_OK(MPI_Isend(out, 10, part, peer, 5, MPI_COMM_WORLD, &reqs[1]));
        MT_OK(MPI_Waitall(2, reqs, MPI_STATUSES_IGNORE));
        for (int i = 0; i < 10; i++) {
            MT_CHECK(in[i].pos[0] == peer + 0.5 && in[i].pos[1] == i + 0.25 &&
                     in[i].pos[2] == -1.0 * i);
            MT_EQ(in[i].id, peer * 100 + i);
            MT_EQ(in[i].tag, 'a' + i);
        }

        /* Pack / Unpack: the particles, then a column, in one buffer */
        {
            char packed[4096];
            int pos = 0, psize, csize;
            particle_t back[10];
            double col2[N];
            MT_OK(MPI_Pack_size(10, part, MPI_COMM_WORLD, &psize));
            MT_OK(MPI_Pack_size(1, column, MPI_COMM_WORLD, &csize));
            MT_CHECK(psize + csize <= (int)sizeof(packed));
            MT_OK(MPI_Pack(out, 10, part, packed, sizeof(packed), &pos, MPI_COMM_WORLD));
            MT_EQ(pos, psize);
            MT_OK(MPI_Pack(&mat[0][1], 1, column, packed, sizeof(packed), &pos, MPI_COMM_WORLD));
            MT_EQ(pos, psize + csize);
            /* the particles sent as MPI_PACKED, received as the type */
            MT_OK(MPI_Sendrecv(packed, psize, MPI_PACKED, peer, 6, back, 10, part, peer, 6,
                               MPI_COMM_WORLD, MPI_STATUS_IGNORE));
            for (int i = 0; i < 10; i++) {
                MT_EQ(back[i].id, peer * 100 + i);
            }
            memset(back, 0, sizeof(back));
            pos = 0;
            MT_OK(MPI_Unpack(packed, psize + csize, &pos, back, 10, part, MPI_COMM_WORLD));
            MT_OK(MPI_Unpack(packed, psize + csize, &pos, col2, N, MPI_DOUBLE, MPI_COMM_WORLD));
            MT_EQ(pos, psize + csize);
            for (int i = 0; i < 10; i++) {
                MT_EQ(back[i].id, rank * 100 + i);
                MT_EQ(back[i].tag, 'a' + i);
                MT_CHECK(back[i].pos[1] == i + 0.25);
            }
            for (int i = 0; i < N; i++) {
                MT_CHECK(col2[i] == rank * 10000 + i * N + 1);
            }
        }
    }

    /* contiguous of a struct, resized: extents stack as MPI says */
    {
        MPI_Datatype resized;
        MT_OK(MPI_Type_contiguous(4, part, &contig));
        MT_OK(MPI_Type_commit(&contig));
        MT_OK(MPI_Type_get_extent(contig, &lb, &ext));
        MT_EQ(ext, 4 * sizeof(particle_t));
        MT_OK(MPI_Type_create_resized(MPI_INT, 0, 2 * sizeof(int), &resized));
        MT_OK(MPI_Type_commit(&resized));
        {
            int a[8] = {1, 2, 3, 4, 5, 6, 7, 8}, b[8] = {0};
            MT_OK(MPI_Sendrecv(a, 4, resized, peer, 7, b, 4, resized, peer, 7, MPI_COMM_WORLD,
                               MPI_STATUS_IGNORE));
            for (int i = 0; i < 8; i++) {
                MT_EQ(b[i], (i % 2) ? 0 : i + 1);
            }
        }
        MT_OK(MPI_Type_free(&resized));
        MT_OK(MPI_Type_free(&contig));
    }

    /* a type freed while a receive that uses it is pending stays valid for that receive */
    {
        MPI_Request r;
        MPI_Datatype tmp;
        double c3[N];
        MT_OK(MPI_Type_vector(N, 1, N, MPI_DOUBLE, &tmp));
        MT_OK(MPI_Type_commit(&tmp));
        MT_OK(MPI_Irecv(&recv_mat[0][2], 1, tmp, peer, 8, MPI_COMM_WORLD, &r));
        MT_OK(MPI_Type_free(&tmp));
        MT_CHECK(tmp == MPI_DATATYPE_NULL);
        for (int i = 0; i < N; i++) {
            c3[i] = i * 2.0;
        }
        MT_OK(MPI_Send(c3, N, MPI_DOUBLE, peer, 8, MPI_COMM_WORLD));
        MT_OK(MPI_Wait(&r, MPI_STATUS_IGNORE));
        for (int i = 0; i < N; i++) {
            MT_CHECK(recv_mat[i][2] == i * 2.0);
        }
    }

    MT_OK(MPI_Type_free(&column));
    MT_OK(MPI_Type_free(&hcol));
    MT_OK(MPI_Type_free(&idx));
    MT_OK(MPI_Type_free(&part));
    return mtest_fini("mpi_datatypes");
}
