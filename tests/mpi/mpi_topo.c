/*
 * Cartesian topologies and subarray types (MPI-3.1 chapter 7 and 4.1.3), against serial
 * references: Dims_create on known cases (and MPI_ERR_DIMS when nnodes does not divide);
 * Cart_create from Dims_create's grid, periodic in the first dimension only: coordinates
 * and ranks round-trip, Cart_shift gives the row-major neighbours (MPI_PROC_NULL off a
 * non-periodic edge), a halo exchange by Sendrecv along the shifts delivers the neighbours'
 * ranks, Cart_sub rows sum the ranks of each row, Cart_get / Cartdim_get / Topo_test, a
 * Comm_dup keeps the topology, a grid smaller than the communicator leaves the extra ranks
 * MPI_COMM_NULL; Type_create_subarray in C and Fortran order moves exactly the sub-block
 * (size, extent, Pack order and a send into a zeroed array); distributed graphs
 * (Dist_graph_create_adjacent, its neighbour lists and weights) and the neighbourhood
 * collectives, blocking and nonblocking, on a graph with repeated and self edges and on
 * Cartesian grids (a two-rank periodic ring has the same rank on both sides: what goes
 * towards +1 must arrive as coming from -1); object names; windows are refused
 * (MPI_ERR_NOT_SUPPORTED).
 */
#include "mtest.h"

static void check_dims(int nnodes, int ndims, const int *in, const int *expect)
{
    int d[8];

    memcpy(d, in, (size_t)ndims * sizeof(int));
    MT_OK(MPI_Dims_create(nnodes, ndims, d));
    for (int i = 0; i < ndims; i++) {
        if (d[i] != expect[i]) {
            MT_FAIL("Dims_create(%d, %d): dim %d is %d, expected %d", nnodes, ndims, i, d[i],
                    expect[i]);
        }
    }
}

static void check_subarray(int rank, int n, int order)
{
    enum { R = 6, C = 5 };
    int sizes[2] = {R, C}, sub[2] = {3, 2}, starts[2] = {1, 2}, a[R * C], packed[6];
    int size, pos = 0;
    MPI_Aint lb, ext;
    MPI_Datatype t;

    if (order == MPI_ORDER_FORTRAN) { /* the same block, dimensions named the other way */
        sizes[0] = C, sizes[1] = R, sub[0] = 2, sub[1] = 3, starts[0] = 2, starts[1] = 1;
    }
    MT_OK(MPI_Type_create_subarray(2, sizes, sub, starts, order, MPI_INT, &t));
    MT_OK(MPI_Type_commit(&t));
    MT_OK(MPI_Type_size(t, &size));
    MT_EQ(size, 6 * (int)sizeof(int));
    MT_OK(MPI_Type_get_extent(t, &lb, &ext));
    MT_EQ(lb, 0);
    MT_EQ(ext, R * C * (int)sizeof(int));
    for (int i = 0; i < R * C; i++) {
        a[i] = i;
    }
    /* rows 1..3, columns 2..3 of the row-major R x C array, in order */
    MT_OK(MPI_Pack(a, 1, t, packed, sizeof(packed), &pos, MPI_COMM_WORLD));
    MT_EQ(pos, 6 * (int)sizeof(int));
    for (int r = 0, k = 0; r < 3; r++) {
        for (int c = 0; c < 2; c++, k++) {
            MT_EQ(packed[k], (1 + r) * C + 2 + c);
        }
    }
    if (n >= 2 && rank < 2) {
        if (rank == 0) {
            MT_OK(MPI_Send(a, 1, t, 1, 3, MPI_COMM_WORLD));
        } else {
            memset(a, 0, sizeof(a));
            MT_OK(MPI_Recv(a, 1, t, 0, 3, MPI_COMM_WORLD, MPI_STATUS_IGNORE));
            for (int r = 0; r < R; r++) {
                for (int c = 0; c < C; c++) {
                    int in = r >= 1 && r < 4 && c >= 2 && c < 4;
                    MT_EQ(a[r * C + c], in ? r * C + c : 0);
                }
            }
        }
    }
    MT_OK(MPI_Type_free(&t));
}

/* On cart: rank r sends r * 10 + k as block k; block k received from in-neighbour k must
 * be what that neighbour sent towards this rank (block 2d + 1 - s of the neighbour). */
static void check_cart_neighbors(MPI_Comm cart, int nb)
{
    int cr, out[8], in[8], in2[8];
    MPI_Request r;

    MT_OK(MPI_Comm_rank(cart, &cr));
    for (int k = 0; k < nb; k++) {
        out[k] = cr * 10 + k;
        in[k] = in2[k] = -5;
    }
    MT_OK(MPI_Neighbor_alltoall(out, 1, MPI_INT, in, 1, MPI_INT, cart));
    MT_OK(MPI_Ineighbor_alltoall(out, 1, MPI_INT, in2, 1, MPI_INT, cart, &r));
    MT_OK(MPI_Wait(&r, MPI_STATUS_IGNORE));
    for (int d = 0; d < nb / 2; d++) {
        int lo, hi;
        MT_OK(MPI_Cart_shift(cart, d, 1, &lo, &hi));
        MT_EQ(in[2 * d], lo == MPI_PROC_NULL ? -5 : lo * 10 + 2 * d + 1);
        MT_EQ(in[2 * d + 1], hi == MPI_PROC_NULL ? -5 : hi * 10 + 2 * d);
        MT_EQ(in2[2 * d], in[2 * d]);
        MT_EQ(in2[2 * d + 1], in[2 * d + 1]);
    }
    /* allgather: every neighbour's one value */
    for (int k = 0; k < nb; k++) {
        in[k] = -5;
    }
    MT_OK(MPI_Neighbor_allgather(&cr, 1, MPI_INT, in, 1, MPI_INT, cart));
    for (int d = 0; d < nb / 2; d++) {
        int lo, hi;
        MT_OK(MPI_Cart_shift(cart, d, 1, &lo, &hi));
        MT_EQ(in[2 * d], lo == MPI_PROC_NULL ? -5 : lo);
        MT_EQ(in[2 * d + 1], hi == MPI_PROC_NULL ? -5 : hi);
    }
}

/* A graph where r sends to r + 1 and r + 2 and receives from r - 1 and r - 2 (mod n): with
 * one or two ranks that is the same rank twice, or a self edge. */
static void check_graph(int rank, int n)
{
    int srcs[2] = {(rank - 1 + n) % n, (rank - 2 + 2 * n) % n};
    int dsts[2] = {(rank + 1) % n, (rank + 2) % n};
    int sw[2] = {7, 8}, dw[2] = {9, 10}, indeg, outdeg, weighted, status;
    int gs[2], gd[2], gsw[2], gdw[2], in[2], out[2], in6[6], sc[2], sd[2], rc[2], rd[2];
    MPI_Comm g;
    MPI_Request r;

    MT_OK(MPI_Dist_graph_create_adjacent(MPI_COMM_WORLD, 2, srcs, sw, 2, dsts, dw,
                                         MPI_INFO_NULL, 0, &g));
    MT_OK(MPI_Topo_test(g, &status));
    MT_EQ(status, MPI_DIST_GRAPH);
    MT_OK(MPI_Dist_graph_neighbors_count(g, &indeg, &outdeg, &weighted));
    MT_EQ(indeg, 2);
    MT_EQ(outdeg, 2);
    MT_CHECK(weighted);
    MT_OK(MPI_Dist_graph_neighbors(g, 2, gs, gsw, 2, gd, gdw));
    for (int i = 0; i < 2; i++) {
        MT_EQ(gs[i], srcs[i]);
        MT_EQ(gd[i], dsts[i]);
        MT_EQ(gsw[i], sw[i]);
        MT_EQ(gdw[i], dw[i]);
    }
    /* alltoall: block i goes to dsts[i]; from srcs[i] comes its block i (r - 1 sent its
     * block 0 to r, r - 2 its block 1) */
    out[0] = rank * 100 + 0;
    out[1] = rank * 100 + 1;
    MT_OK(MPI_Neighbor_alltoall(out, 1, MPI_INT, in, 1, MPI_INT, g));
    MT_EQ(in[0], srcs[0] * 100 + 0);
    MT_EQ(in[1], srcs[1] * 100 + 1);
    /* alltoallv, nonblocking: block i is i + 1 ints, received at 3 * i */
    {
        int sb[3] = {rank, rank + 1000, rank + 2000};
        for (int i = 0; i < 2; i++) {
            sc[i] = rc[i] = i + 1;
            sd[i] = i; /* block 0: sb[0]; block 1: sb[1..2] */
            rd[i] = 3 * i;
        }
        for (int i = 0; i < 6; i++) {
            in6[i] = -1;
        }
        MT_OK(MPI_Ineighbor_alltoallv(sb, sc, sd, MPI_INT, in6, rc, rd, MPI_INT, g, &r));
        MT_OK(MPI_Wait(&r, MPI_STATUS_IGNORE));
        MT_EQ(in6[0], srcs[0]);
        MT_EQ(in6[1], -1);
        MT_EQ(in6[3], srcs[1] + 1000);
        MT_EQ(in6[4], srcs[1] + 2000);
        MT_EQ(in6[5], -1);
    }
    /* allgatherv and alltoallw (byte displacements, a type per block) */
    {
        int v = rank * 3, cnt[2] = {1, 1}, dis[2] = {1, 0}, got[2] = {-1, -1};
        MPI_Aint bs[2] = {0, sizeof(int)}, br[2] = {sizeof(int), 0};
        MPI_Datatype ts[2] = {MPI_INT, MPI_INT};
        MT_OK(MPI_Neighbor_allgatherv(&v, 1, MPI_INT, got, cnt, dis, MPI_INT, g));
        MT_EQ(got[1], srcs[0] * 3);
        MT_EQ(got[0], srcs[1] * 3);
        got[0] = got[1] = -1;
        MT_OK(MPI_Neighbor_alltoallw(out, cnt, bs, ts, got, cnt, br, ts, g));
        MT_EQ(got[1], srcs[0] * 100 + 0);
        MT_EQ(got[0], srcs[1] * 100 + 1);
    }
    MT_OK(MPI_Comm_free(&g));
}

static void check_names(void)
{
    char name[MPI_MAX_OBJECT_NAME];
    int len;
    MPI_Datatype t;
    MPI_Comm d;

    MT_OK(MPI_Type_get_name(MPI_INT, name, &len));
    MT_CHECK(strcmp(name, "MPI_INT") == 0 && len == 7);
    MT_OK(MPI_Type_contiguous(2, MPI_INT, &t));
    MT_OK(MPI_Type_get_name(t, name, &len));
    MT_CHECK(name[0] == '\0' && len == 0);
    MT_OK(MPI_Type_set_name(t, "pair"));
    MT_OK(MPI_Type_get_name(t, name, &len));
    MT_CHECK(strcmp(name, "pair") == 0 && len == 4);
    MT_OK(MPI_Type_free(&t));
    MT_OK(MPI_Comm_get_name(MPI_COMM_WORLD, name, &len));
    MT_CHECK(strcmp(name, "MPI_COMM_WORLD") == 0);
    MT_OK(MPI_Comm_dup(MPI_COMM_WORLD, &d));
    MT_OK(MPI_Comm_get_name(d, name, &len));
    MT_EQ(len, 0);
    MT_OK(MPI_Comm_set_name(d, "mine"));
    MT_OK(MPI_Comm_get_name(d, name, &len));
    MT_CHECK(strcmp(name, "mine") == 0);
    MT_OK(MPI_Comm_free(&d));
}

int main(int argc, char **argv)
{
    int rank, n, dims[2] = {0, 0}, periods[2] = {1, 0}, coords[2], cr, ndims, status;
    MPI_Comm cart, dup, row;

    mtest_init(&argc, &argv);
    rank = mtest_rank;
    n = mtest_size;

    check_dims(6, 2, (int[]){0, 0}, (int[]){3, 2});
    check_dims(12, 3, (int[]){0, 0, 0}, (int[]){3, 2, 2});
    check_dims(7, 2, (int[]){0, 0}, (int[]){7, 1});
    check_dims(16, 3, (int[]){0, 4, 0}, (int[]){2, 4, 2});
    check_dims(64, 3, (int[]){0, 0, 0}, (int[]){4, 4, 4});
    check_dims(1, 2, (int[]){0, 0}, (int[]){1, 1});
    MT_OK(MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN));
    {
        int bad[2] = {3, 0};
        MT_EQ(MPI_Dims_create(10, 2, bad), MPI_ERR_DIMS);
        MT_EQ(MPI_Cart_shift(MPI_COMM_WORLD, 0, 1, &cr, &cr), MPI_ERR_TOPOLOGY);
    }
    MT_OK(MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_ARE_FATAL));

    MT_OK(MPI_Dims_create(n, 2, dims));
    MT_EQ(dims[0] * dims[1], n);
    MT_OK(MPI_Cart_create(MPI_COMM_WORLD, 2, dims, periods, 1, &cart));
    MT_CHECK(cart != MPI_COMM_NULL);
    MT_OK(MPI_Topo_test(cart, &status));
    MT_EQ(status, MPI_CART);
    MT_OK(MPI_Topo_test(MPI_COMM_WORLD, &status));
    MT_EQ(status, MPI_UNDEFINED);
    MT_OK(MPI_Comm_rank(cart, &cr));
    MT_OK(MPI_Cartdim_get(cart, &ndims));
    MT_EQ(ndims, 2);
    for (int r = 0; r < n; r++) { /* row-major, and back */
        int c[2], back;
        MT_OK(MPI_Cart_coords(cart, r, 2, c));
        MT_EQ(c[0], r / dims[1]);
        MT_EQ(c[1], r % dims[1]);
        MT_OK(MPI_Cart_rank(cart, c, &back));
        MT_EQ(back, r);
    }
    {
        int gd[2], gp[2], gc[2];
        MT_OK(MPI_Cart_get(cart, 2, gd, gp, gc));
        MT_EQ(gd[0], dims[0]);
        MT_EQ(gd[1], dims[1]);
        MT_EQ(gp[0], 1);
        MT_EQ(gp[1], 0);
        MT_EQ(gc[0], cr / dims[1]);
        MT_EQ(gc[1], cr % dims[1]);
        coords[0] = gc[0];
        coords[1] = gc[1];
    }
    /* periodic first dimension: Cart_rank wraps */
    {
        int c[2] = {coords[0] - dims[0], coords[1]}, r;
        MT_OK(MPI_Cart_rank(cart, c, &r));
        MT_EQ(r, cr);
    }
    /* shifts and a halo exchange along them */
    for (int dir = 0; dir < 2; dir++) {
        int src, dst, from_src = -7, from_dst = -7;
        int up = coords[dir] - 1, down = coords[dir] + 1;
        int esrc, edst, c[2] = {coords[0], coords[1]};
        MT_OK(MPI_Cart_shift(cart, dir, 1, &src, &dst));
        if (dir == 0) {
            c[0] = (up + dims[0]) % dims[0];
            esrc = c[0] * dims[1] + c[1];
            c[0] = down % dims[0];
            edst = c[0] * dims[1] + c[1];
        } else {
            esrc = up < 0 ? MPI_PROC_NULL : coords[0] * dims[1] + up;
            edst = down >= dims[1] ? MPI_PROC_NULL : coords[0] * dims[1] + down;
        }
        MT_EQ(src, esrc);
        MT_EQ(dst, edst);
        MT_OK(MPI_Sendrecv(&cr, 1, MPI_INT, dst, 9, &from_src, 1, MPI_INT, src, 9, cart,
                           MPI_STATUS_IGNORE));
        MT_OK(MPI_Sendrecv(&cr, 1, MPI_INT, src, 10, &from_dst, 1, MPI_INT, dst, 10, cart,
                           MPI_STATUS_IGNORE));
        MT_EQ(from_src, src == MPI_PROC_NULL ? -7 : src);
        MT_EQ(from_dst, dst == MPI_PROC_NULL ? -7 : dst);
    }
    /* rows: keep dimension 1 */
    {
        int remain[2] = {0, 1}, rs, rr, sum = 0, one_dims;
        MT_OK(MPI_Cart_sub(cart, remain, &row));
        MT_OK(MPI_Comm_size(row, &rs));
        MT_OK(MPI_Comm_rank(row, &rr));
        MT_EQ(rs, dims[1]);
        MT_EQ(rr, coords[1]);
        MT_OK(MPI_Cartdim_get(row, &one_dims));
        MT_EQ(one_dims, 1);
        MT_OK(MPI_Allreduce(&cr, &sum, 1, MPI_INT, MPI_SUM, row));
        MT_EQ(sum, coords[0] * dims[1] * dims[1] + dims[1] * (dims[1] - 1) / 2);
        MT_OK(MPI_Comm_free(&row));
    }
    MT_OK(MPI_Comm_dup(cart, &dup));
    MT_OK(MPI_Topo_test(dup, &status));
    MT_EQ(status, MPI_CART);
    MT_OK(MPI_Comm_free(&dup));
    MT_OK(MPI_Comm_free(&cart));

    /* a grid of n - 1 ranks: the last is left out */
    if (n > 1) {
        int d1 = n - 1, p1 = 0;
        MT_OK(MPI_Cart_create(MPI_COMM_WORLD, 1, &d1, &p1, 0, &cart));
        if (rank == n - 1) {
            MT_CHECK(cart == MPI_COMM_NULL);
        } else {
            int s, r;
            MT_CHECK(cart != MPI_COMM_NULL);
            MT_OK(MPI_Comm_size(cart, &s));
            MT_EQ(s, n - 1);
            MT_OK(MPI_Cart_shift(cart, 0, 2, &s, &r));
            MT_EQ(s, rank - 2 >= 0 ? rank - 2 : MPI_PROC_NULL);
            MT_EQ(r, rank + 2 < n - 1 ? rank + 2 : MPI_PROC_NULL);
            MT_OK(MPI_Comm_free(&cart));
        }
    }

    check_subarray(rank, n, MPI_ORDER_C);
    check_subarray(rank, n, MPI_ORDER_FORTRAN);

    /* neighbourhood collectives on Cartesian grids: the 2-D one (periodic in dimension 0
     * only), and a periodic ring */
    MT_OK(MPI_Cart_create(MPI_COMM_WORLD, 2, dims, periods, 0, &cart));
    check_cart_neighbors(cart, 4);
    MT_OK(MPI_Comm_free(&cart));
    {
        int one = n, per = 1;
        MT_OK(MPI_Cart_create(MPI_COMM_WORLD, 1, &one, &per, 0, &cart));
        check_cart_neighbors(cart, 2);
        MT_OK(MPI_Comm_free(&cart));
    }
    check_graph(rank, n);
    check_names();
    {
        MPI_Win w;
        MT_OK(MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN));
        MT_EQ(MPI_Win_create(NULL, 0, 1, MPI_INFO_NULL, MPI_COMM_WORLD, &w),
              MPI_ERR_NOT_SUPPORTED);
        MT_CHECK(w == MPI_WIN_NULL);
        MT_OK(MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_ARE_FATAL));
    }
    return mtest_fini("mpi_topo");
}
