/*
 * mpi_topo.c - Cartesian process topologies (MPI-3.1 chapter 7: Dims_create, Cart_create and
 * the calls that read one) and MPI_Type_create_subarray, the datatype that goes with them in
 * stencil codes.
 *
 * A Cartesian communicator is an ordinary communicator (made by Comm_split, so it has its
 * own context) with dims and periods attached; rank r sits at the coordinates of r in
 * row-major order (the last dimension varies fastest), as MPI defines. reorder is accepted
 * and not used: keeping the ranks is always a valid answer. Graph topologies are not here.
 */
#include <stdlib.h>
#include <string.h>

#include "mpi_impl.h"

int bpmpi_topo_copy(MPI_Comm dst, MPI_Comm src)
{
    if (src->ndims == 0) {
        return MPI_SUCCESS;
    }
    dst->dims = malloc((size_t)src->ndims * sizeof(int));
    dst->periods = malloc((size_t)src->ndims * sizeof(int));
    if (dst->dims == NULL || dst->periods == NULL) {
        bpmpi_topo_free(dst);
        return MPI_ERR_NO_MEM;
    }
    memcpy(dst->dims, src->dims, (size_t)src->ndims * sizeof(int));
    memcpy(dst->periods, src->periods, (size_t)src->ndims * sizeof(int));
    dst->ndims = src->ndims;
    return MPI_SUCCESS;
}

void bpmpi_topo_free(MPI_Comm comm)
{
    free(comm->dims);
    free(comm->periods);
    comm->dims = comm->periods = NULL;
    comm->ndims = 0;
}

static int topo_set(MPI_Comm comm, int ndims, const int *dims, const int *periods)
{
    struct bpmpi_comm src = {.ndims = ndims, .dims = (int *)dims, .periods = (int *)periods};

    return bpmpi_topo_copy(comm, &src);
}

/* --- Dims_create ------------------------------------------------------------------------- */

/*
 * Fills the zero entries of dims so that their product with the others is nnodes, as close
 * to each other as possible, in non-increasing order (MPI-3.1 7.5.2). The prime factors of
 * what is left, largest first, each go to the free dimension with the smallest product so
 * far; then the free dimensions are sorted, largest first.
 */
int MPI_Dims_create(int nnodes, int ndims, int dims[])
{
    int fixed = 1, nfree = 0, left, *f;

    if (nnodes <= 0 || ndims < 0 || (ndims > 0 && dims == NULL)) {
        return bpmpi_error(MPI_COMM_WORLD, MPI_ERR_ARG, "MPI_Dims_create");
    }
    for (int i = 0; i < ndims; i++) {
        if (dims[i] < 0) {
            return bpmpi_error(MPI_COMM_WORLD, MPI_ERR_DIMS, "MPI_Dims_create");
        }
        if (dims[i] > 0) {
            fixed *= dims[i];
        } else {
            nfree++;
        }
    }
    if (nnodes % fixed != 0 || (nfree == 0 && fixed != nnodes)) {
        return bpmpi_error(MPI_COMM_WORLD, MPI_ERR_DIMS, "MPI_Dims_create");
    }
    if (nfree == 0) {
        return MPI_SUCCESS;
    }
    if ((f = malloc((size_t)nfree * sizeof(int))) == NULL) {
        return bpmpi_error(MPI_COMM_WORLD, MPI_ERR_NO_MEM, "MPI_Dims_create");
    }
    for (int i = 0; i < nfree; i++) {
        f[i] = 1;
    }
    /* left's prime factors, smallest first (at most 31 of them) */
    int primes[32], np = 0;
    left = nnodes / fixed;
    for (int q = 2; left > 1; q++) {
        if ((long long)q * q > left) {
            q = left; /* what is left is prime */
        }
        while (left % q == 0) {
            primes[np++] = q;
            left /= q;
        }
    }
    for (int j = np - 1; j >= 0; j--) { /* largest first */
        int k = 0;
        for (int i = 1; i < nfree; i++) {
            if (f[i] < f[k]) {
                k = i;
            }
        }
        f[k] *= primes[j];
    }
    /* non-increasing */
    for (int i = 0; i < nfree; i++) {
        for (int j = i + 1; j < nfree; j++) {
            if (f[j] > f[i]) {
                int t = f[i];
                f[i] = f[j];
                f[j] = t;
            }
        }
    }
    for (int i = 0, k = 0; i < ndims; i++) {
        if (dims[i] == 0) {
            dims[i] = f[k++];
        }
    }
    free(f);
    return MPI_SUCCESS;
}

/* --- Cartesian communicators ------------------------------------------------------------- */

int MPI_Cart_create(MPI_Comm comm_old, int ndims, const int dims[], const int periods[],
                    int reorder, MPI_Comm *comm_cart)
{
    long long nnodes = 1;
    int err;

    (void)reorder;
    BPMPI_CHECK_INIT("MPI_Cart_create");
    if (!bpmpi_comm_ok(comm_old)) {
        return bpmpi_error(MPI_COMM_WORLD, MPI_ERR_COMM, "MPI_Cart_create");
    }
    if (ndims < 0 || comm_cart == NULL || (ndims > 0 && (dims == NULL || periods == NULL))) {
        return bpmpi_error(comm_old, MPI_ERR_ARG, "MPI_Cart_create");
    }
    for (int i = 0; i < ndims; i++) {
        if (dims[i] <= 0) {
            return bpmpi_error(comm_old, MPI_ERR_DIMS, "MPI_Cart_create");
        }
        nnodes *= dims[i];
        if (nnodes > comm_old->size) {
            return bpmpi_error(comm_old, MPI_ERR_TOPOLOGY, "MPI_Cart_create");
        }
    }
    /* the first nnodes ranks, in order; the others get MPI_COMM_NULL */
    err = MPI_Comm_split(comm_old, comm_old->rank < nnodes ? 0 : MPI_UNDEFINED, comm_old->rank,
                         comm_cart);
    if (err != MPI_SUCCESS) {
        return err; /* reported by Comm_split */
    }
    if (*comm_cart == MPI_COMM_NULL || ndims == 0) {
        return MPI_SUCCESS; /* ndims 0: a communicator of one rank without a topology */
    }
    if ((err = topo_set(*comm_cart, ndims, dims, periods)) != MPI_SUCCESS) {
        MPI_Comm_free(comm_cart);
        return bpmpi_error(comm_old, err, "MPI_Cart_create");
    }
    for (int i = 0; i < ndims; i++) {
        (*comm_cart)->periods[i] = periods[i] != 0;
    }
    return MPI_SUCCESS;
}

/* The checks every call on a Cartesian communicator starts with. */
static int cart_check(const char *call, MPI_Comm comm)
{
    if (!bpmpi.initialized || bpmpi.finalized) {
        return bpmpi_check_init(call);
    }
    if (!bpmpi_comm_ok(comm)) {
        return bpmpi_error(MPI_COMM_WORLD, MPI_ERR_COMM, call);
    }
    if (comm->ndims == 0) {
        return bpmpi_error(comm, MPI_ERR_TOPOLOGY, call);
    }
    return MPI_SUCCESS;
}

static void cart_coords_of(MPI_Comm comm, int rank, int *coords)
{
    for (int i = comm->ndims - 1; i >= 0; i--) {
        coords[i] = rank % comm->dims[i];
        rank /= comm->dims[i];
    }
}

int MPI_Cart_get(MPI_Comm comm, int maxdims, int dims[], int periods[], int coords[])
{
    int err = cart_check("MPI_Cart_get", comm), n;

    if (err != MPI_SUCCESS) {
        return err;
    }
    n = maxdims < comm->ndims ? maxdims : comm->ndims;
    if (n > 0 && (dims == NULL || periods == NULL || coords == NULL)) {
        return bpmpi_error(comm, MPI_ERR_ARG, "MPI_Cart_get");
    }
    {
        int c[comm->ndims];
        cart_coords_of(comm, comm->rank, c);
        for (int i = 0; i < n; i++) {
            dims[i] = comm->dims[i];
            periods[i] = comm->periods[i];
            coords[i] = c[i];
        }
    }
    return MPI_SUCCESS;
}

int MPI_Cartdim_get(MPI_Comm comm, int *ndims)
{
    int err = cart_check("MPI_Cartdim_get", comm);

    if (err != MPI_SUCCESS) {
        return err;
    }
    if (ndims == NULL) {
        return bpmpi_error(comm, MPI_ERR_ARG, "MPI_Cartdim_get");
    }
    *ndims = comm->ndims;
    return MPI_SUCCESS;
}

int MPI_Cart_rank(MPI_Comm comm, const int coords[], int *rank)
{
    int err = cart_check("MPI_Cart_rank", comm), r = 0;

    if (err != MPI_SUCCESS) {
        return err;
    }
    if (coords == NULL || rank == NULL) {
        return bpmpi_error(comm, MPI_ERR_ARG, "MPI_Cart_rank");
    }
    for (int i = 0; i < comm->ndims; i++) {
        int c = coords[i], d = comm->dims[i];
        if (c < 0 || c >= d) {
            if (!comm->periods[i]) {
                return bpmpi_error(comm, MPI_ERR_RANK, "MPI_Cart_rank");
            }
            c = ((c % d) + d) % d; /* periodic: shifted into range */
        }
        r = r * d + c;
    }
    *rank = r;
    return MPI_SUCCESS;
}

int MPI_Cart_coords(MPI_Comm comm, int rank, int maxdims, int coords[])
{
    int err = cart_check("MPI_Cart_coords", comm);

    if (err != MPI_SUCCESS) {
        return err;
    }
    if (rank < 0 || rank >= comm->size) {
        return bpmpi_error(comm, MPI_ERR_RANK, "MPI_Cart_coords");
    }
    if (maxdims < comm->ndims || coords == NULL) {
        return bpmpi_error(comm, MPI_ERR_ARG, "MPI_Cart_coords");
    }
    cart_coords_of(comm, rank, coords);
    return MPI_SUCCESS;
}

/* The ranks disp steps before and after this one along direction (MPI_PROC_NULL off the
 * edge of a non-periodic dimension). */
int MPI_Cart_shift(MPI_Comm comm, int direction, int disp, int *rank_source, int *rank_dest)
{
    int err = cart_check("MPI_Cart_shift", comm);

    if (err != MPI_SUCCESS) {
        return err;
    }
    if (direction < 0 || direction >= comm->ndims || rank_source == NULL || rank_dest == NULL) {
        return bpmpi_error(comm, MPI_ERR_ARG, "MPI_Cart_shift");
    }
    {
        int c[comm->ndims], d = comm->dims[direction], me;
        cart_coords_of(comm, comm->rank, c);
        me = c[direction];
        for (int k = 0; k < 2; k++) {
            int at = me + (k == 0 ? -disp : disp);
            int *out = k == 0 ? rank_source : rank_dest;
            if ((at < 0 || at >= d) && !comm->periods[direction]) {
                *out = MPI_PROC_NULL;
                continue;
            }
            c[direction] = ((at % d) + d) % d;
            MPI_Cart_rank(comm, c, out); /* in range now: cannot fail */
        }
    }
    return MPI_SUCCESS;
}

/* The sub-grids that keep the dimensions remain_dims says: ranks with the same coordinates
 * in the dropped dimensions form one, ordered as in comm. */
int MPI_Cart_sub(MPI_Comm comm, const int remain_dims[], MPI_Comm *newcomm)
{
    int err = cart_check("MPI_Cart_sub", comm), color = 0, nd = 0;

    if (err != MPI_SUCCESS) {
        return err;
    }
    if (remain_dims == NULL || newcomm == NULL) {
        return bpmpi_error(comm, MPI_ERR_ARG, "MPI_Cart_sub");
    }
    {
        int c[comm->ndims], dims[comm->ndims], periods[comm->ndims];
        cart_coords_of(comm, comm->rank, c);
        for (int i = 0; i < comm->ndims; i++) {
            if (remain_dims[i]) {
                dims[nd] = comm->dims[i];
                periods[nd] = comm->periods[i];
                nd++;
            } else {
                color = color * comm->dims[i] + c[i];
            }
        }
        if ((err = MPI_Comm_split(comm, color, comm->rank, newcomm)) != MPI_SUCCESS) {
            return err;
        }
        if (nd == 0) {
            /* every dimension dropped: a one-rank grid of dimension 0, as MPICH makes */
            return MPI_SUCCESS;
        }
        if ((err = topo_set(*newcomm, nd, dims, periods)) != MPI_SUCCESS) {
            MPI_Comm_free(newcomm);
            return bpmpi_error(comm, err, "MPI_Cart_sub");
        }
    }
    return MPI_SUCCESS;
}

int MPI_Topo_test(MPI_Comm comm, int *status)
{
    BPMPI_CHECK_INIT("MPI_Topo_test");
    if (!bpmpi_comm_ok(comm)) {
        return bpmpi_error(MPI_COMM_WORLD, MPI_ERR_COMM, "MPI_Topo_test");
    }
    if (status == NULL) {
        return bpmpi_error(comm, MPI_ERR_ARG, "MPI_Topo_test");
    }
    *status = comm->ndims > 0 ? MPI_CART : MPI_UNDEFINED;
    return MPI_SUCCESS;
}

/* --- Type_create_subarray ---------------------------------------------------------------- */

/*
 * The subsizes block at starts of an array of sizes (MPI-3.1 4.1.3), built from the other
 * constructors: a contiguous run along the fastest dimension, an hvector per slower one,
 * moved to its start, and resized to the whole array's extent (so that count > 1 means
 * consecutive whole arrays).
 */
int MPI_Type_create_subarray(int ndims, const int array_of_sizes[],
                             const int array_of_subsizes[], const int array_of_starts[],
                             int order, MPI_Datatype oldtype, MPI_Datatype *newtype)
{
    static const char call[] = "MPI_Type_create_subarray";
    MPI_Datatype t = MPI_DATATYPE_NULL, u;
    MPI_Aint lb, ext, stride, off = 0;
    int err;

    BPMPI_CHECK_INIT(call);
    if (ndims <= 0 || array_of_sizes == NULL || array_of_subsizes == NULL ||
        array_of_starts == NULL || newtype == NULL ||
        (order != MPI_ORDER_C && order != MPI_ORDER_FORTRAN)) {
        return bpmpi_error(MPI_COMM_WORLD, MPI_ERR_ARG, call);
    }
    if (oldtype == MPI_DATATYPE_NULL) {
        return bpmpi_error(MPI_COMM_WORLD, MPI_ERR_TYPE, call);
    }
    for (int i = 0; i < ndims; i++) {
        if (array_of_sizes[i] <= 0 || array_of_subsizes[i] <= 0 ||
            array_of_subsizes[i] > array_of_sizes[i] || array_of_starts[i] < 0 ||
            array_of_starts[i] > array_of_sizes[i] - array_of_subsizes[i]) {
            return bpmpi_error(MPI_COMM_WORLD, MPI_ERR_ARG, call);
        }
    }
    if ((err = MPI_Type_get_extent(oldtype, &lb, &ext)) != MPI_SUCCESS) {
        return err;
    }
    stride = ext;
    /* from the fastest dimension (the last in C order, the first in Fortran order) out */
    for (int k = 0; k < ndims; k++) {
        int d = order == MPI_ORDER_C ? ndims - 1 - k : k;
        if (k == 0) {
            err = MPI_Type_contiguous(array_of_subsizes[d], oldtype, &u);
        } else {
            err = MPI_Type_create_hvector(array_of_subsizes[d], 1, stride, t, &u);
            MPI_Type_free(&t);
        }
        if (err != MPI_SUCCESS) {
            return err;
        }
        t = u;
        off += (MPI_Aint)array_of_starts[d] * stride;
        stride *= array_of_sizes[d];
    }
    {
        int one = 1;
        err = MPI_Type_create_hindexed(1, &one, &off, t, &u);
        MPI_Type_free(&t);
        if (err != MPI_SUCCESS) {
            return err;
        }
    }
    /* stride is now the whole array's size in bytes */
    err = MPI_Type_create_resized(u, lb, stride, newtype);
    MPI_Type_free(&u);
    return err;
}
