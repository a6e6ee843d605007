/*
 * mpi_topo.c - Cartesian process topologies (MPI-3.1 chapter 7: Dims_create, Cart_create and
 * the calls that read one) and MPI_Type_create_subarray, the datatype that goes with them in
 * stencil codes.
 *
 * A Cartesian communicator is an ordinary communicator (made by Comm_split, so it has its
 * own context) with dims and periods attached; rank r sits at the coordinates of r in
 * row-major order (the last dimension varies fastest), as MPI defines. reorder is accepted
 * and not used: keeping the ranks is always a valid answer. A distributed graph communicator
 * (the adjacent form only) is a duplicate with its in- and out-neighbour lists. The
 * neighbourhood collectives run on either: one message per edge, of tag kind COLL with the
 * communicator's next sequence number, so they match nothing else. The general graph
 * topology (MPI_Graph_create) and MPI_Dist_graph_create are not here.
 */
#include <stdlib.h>
#include <string.h>

#include "mpi_impl.h"

int bpmpi_unweighted_, bpmpi_weights_empty_;

static int *topo_dup_ints(const int *a, int n, bool *fail)
{
    int *b = malloc((size_t)(n > 0 ? n : 1) * sizeof(int));

    if (b == NULL) {
        *fail = true;
    } else if (n > 0) {
        memcpy(b, a, (size_t)n * sizeof(int));
    }
    return b;
}

int bpmpi_topo_copy(MPI_Comm dst, MPI_Comm src)
{
    if (src->graph) {
        bool fail = false;
        dst->srcs = topo_dup_ints(src->srcs, src->indeg, &fail);
        dst->dsts = topo_dup_ints(src->dsts, src->outdeg, &fail);
        dst->srcw = topo_dup_ints(src->srcw, src->indeg, &fail);
        dst->dstw = topo_dup_ints(src->dstw, src->outdeg, &fail);
        dst->indeg = src->indeg;
        dst->outdeg = src->outdeg;
        dst->weighted = src->weighted;
        dst->graph = true;
        if (fail) {
            bpmpi_topo_free(dst);
            return MPI_ERR_NO_MEM;
        }
        return MPI_SUCCESS;
    }
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
    free(comm->srcs);
    free(comm->dsts);
    free(comm->srcw);
    free(comm->dstw);
    comm->srcs = comm->dsts = comm->srcw = comm->dstw = NULL;
    comm->indeg = comm->outdeg = 0;
    comm->graph = false;
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
    *status = comm->ndims > 0 ? MPI_CART : comm->graph ? MPI_DIST_GRAPH : MPI_UNDEFINED;
    return MPI_SUCCESS;
}

/* --- distributed graphs ------------------------------------------------------------------ */

/* Each rank names its own in- and out-neighbours (collective only to make the communicator,
 * a duplicate of comm_old: reorder is not used). */
int MPI_Dist_graph_create_adjacent(MPI_Comm comm_old, int indegree, const int sources[],
                                   const int sourceweights[], int outdegree,
                                   const int destinations[], const int destweights[],
                                   MPI_Info info, int reorder, MPI_Comm *comm_dist_graph)
{
    static const char call[] = "MPI_Dist_graph_create_adjacent";
    struct bpmpi_comm g = {0};
    bool weighted = sourceweights != MPI_UNWEIGHTED && destweights != MPI_UNWEIGHTED;
    int err;

    (void)info, (void)reorder;
    BPMPI_CHECK_INIT(call);
    if (!bpmpi_comm_ok(comm_old)) {
        return bpmpi_error(MPI_COMM_WORLD, MPI_ERR_COMM, call);
    }
    if (indegree < 0 || outdegree < 0 || comm_dist_graph == NULL ||
        (indegree > 0 && sources == NULL) || (outdegree > 0 && destinations == NULL)) {
        return bpmpi_error(comm_old, MPI_ERR_ARG, call);
    }
    for (int i = 0; i < indegree + outdegree; i++) {
        int r = i < indegree ? sources[i] : destinations[i - indegree];
        if (r < 0 || r >= comm_old->size) {
            return bpmpi_error(comm_old, MPI_ERR_RANK, call);
        }
    }
    g.graph = true;
    g.indeg = indegree;
    g.outdeg = outdegree;
    g.srcs = (int *)sources;
    g.dsts = (int *)destinations;
    /* without weights (or with MPI_WEIGHTS_EMPTY for a degree of 0) every edge weighs 1 */
    {
        int ones_in[indegree > 0 ? indegree : 1], ones_out[outdegree > 0 ? outdegree : 1];
        for (int i = 0; i < indegree; i++) {
            ones_in[i] = 1;
        }
        for (int i = 0; i < outdegree; i++) {
            ones_out[i] = 1;
        }
        g.srcw = (int *)(weighted && indegree > 0 && sourceweights != MPI_WEIGHTS_EMPTY
                             ? sourceweights
                             : ones_in);
        g.dstw = (int *)(weighted && outdegree > 0 && destweights != MPI_WEIGHTS_EMPTY
                             ? destweights
                             : ones_out);
        g.weighted = weighted;
        if ((err = MPI_Comm_dup(comm_old, comm_dist_graph)) != MPI_SUCCESS) {
            return err;
        }
        bpmpi_topo_free(*comm_dist_graph); /* a duplicate of a Cartesian one is not that */
        if ((err = bpmpi_topo_copy(*comm_dist_graph, &g)) != MPI_SUCCESS) {
            MPI_Comm_free(comm_dist_graph);
            return bpmpi_error(comm_old, err, call);
        }
    }
    return MPI_SUCCESS;
}

int MPI_Dist_graph_neighbors_count(MPI_Comm comm, int *indegree, int *outdegree, int *weighted)
{
    BPMPI_CHECK_INIT("MPI_Dist_graph_neighbors_count");
    if (!bpmpi_comm_ok(comm)) {
        return bpmpi_error(MPI_COMM_WORLD, MPI_ERR_COMM, "MPI_Dist_graph_neighbors_count");
    }
    if (!comm->graph) {
        return bpmpi_error(comm, MPI_ERR_TOPOLOGY, "MPI_Dist_graph_neighbors_count");
    }
    if (indegree == NULL || outdegree == NULL || weighted == NULL) {
        return bpmpi_error(comm, MPI_ERR_ARG, "MPI_Dist_graph_neighbors_count");
    }
    *indegree = comm->indeg;
    *outdegree = comm->outdeg;
    *weighted = comm->weighted;
    return MPI_SUCCESS;
}

int MPI_Dist_graph_neighbors(MPI_Comm comm, int maxindegree, int sources[],
                             int sourceweights[], int maxoutdegree, int destinations[],
                             int destweights[])
{
    BPMPI_CHECK_INIT("MPI_Dist_graph_neighbors");
    if (!bpmpi_comm_ok(comm)) {
        return bpmpi_error(MPI_COMM_WORLD, MPI_ERR_COMM, "MPI_Dist_graph_neighbors");
    }
    if (!comm->graph) {
        return bpmpi_error(comm, MPI_ERR_TOPOLOGY, "MPI_Dist_graph_neighbors");
    }
    if (maxindegree < comm->indeg || maxoutdegree < comm->outdeg ||
        (comm->indeg > 0 && sources == NULL) || (comm->outdeg > 0 && destinations == NULL)) {
        return bpmpi_error(comm, MPI_ERR_ARG, "MPI_Dist_graph_neighbors");
    }
    for (int i = 0; i < comm->indeg; i++) {
        sources[i] = comm->srcs[i];
        if (comm->weighted && sourceweights != NULL && sourceweights != MPI_UNWEIGHTED) {
            sourceweights[i] = comm->srcw[i];
        }
    }
    for (int i = 0; i < comm->outdeg; i++) {
        destinations[i] = comm->dsts[i];
        if (comm->weighted && destweights != NULL && destweights != MPI_UNWEIGHTED) {
            destweights[i] = comm->dstw[i];
        }
    }
    return MPI_SUCCESS;
}

/* --- neighbourhood collectives ----------------------------------------------------------- */

/*
 * The neighbours of comm: in[i] (receive block i comes from there) and out[j] (send block j
 * goes there), and the step each message carries. On a Cartesian communicator block 2d is
 * the neighbour at -1 along dimension d and 2d + 1 the one at +1 (MPI_PROC_NULL off an
 * edge): what a rank sends towards +1 is what its neighbour there receives as coming from
 * -1, so send block 2d + s carries step 2d + s and receive block 2d + s expects step
 * 2d + 1 - s; with two ranks on a periodic ring both neighbours are the same rank, and only
 * the steps keep the two messages apart. On a graph every edge is step 0 and repeated edges
 * between two ranks match in list order (MPI-3.1 7.6).
 */
typedef struct nbr {
    int nin, nout;
    int *in, *out, *in_step, *out_step;
} nbr_t;

static void nbr_free(nbr_t *nb)
{
    free(nb->in);
    free(nb->out);
    free(nb->in_step);
    free(nb->out_step);
}

static int nbr_get(MPI_Comm comm, nbr_t *nb)
{
    memset(nb, 0, sizeof(*nb));
    if (comm->graph) {
        nb->nin = comm->indeg;
        nb->nout = comm->outdeg;
    } else if (comm->ndims > 0) {
        nb->nin = nb->nout = 2 * comm->ndims;
    } else {
        return MPI_ERR_TOPOLOGY;
    }
    nb->in = malloc((size_t)(nb->nin + 1) * sizeof(int));
    nb->out = malloc((size_t)(nb->nout + 1) * sizeof(int));
    nb->in_step = malloc((size_t)(nb->nin + 1) * sizeof(int));
    nb->out_step = malloc((size_t)(nb->nout + 1) * sizeof(int));
    if (nb->in == NULL || nb->out == NULL || nb->in_step == NULL || nb->out_step == NULL) {
        nbr_free(nb);
        return MPI_ERR_NO_MEM;
    }
    if (comm->graph) {
        for (int i = 0; i < nb->nin; i++) {
            nb->in[i] = comm->srcs[i];
            nb->in_step[i] = 0;
        }
        for (int i = 0; i < nb->nout; i++) {
            nb->out[i] = comm->dsts[i];
            nb->out_step[i] = 0;
        }
        return MPI_SUCCESS;
    }
    for (int d = 0; d < comm->ndims; d++) {
        int lo, hi;
        MPI_Cart_shift(comm, d, 1, &lo, &hi); /* a Cartesian communicator: cannot fail */
        nb->in[2 * d] = nb->out[2 * d] = lo;
        nb->in[2 * d + 1] = nb->out[2 * d + 1] = hi;
        nb->out_step[2 * d] = 2 * d;
        nb->out_step[2 * d + 1] = 2 * d + 1;
        nb->in_step[2 * d] = 2 * d + 1;
        nb->in_step[2 * d + 1] = 2 * d;
    }
    return MPI_SUCCESS;
}

/* One side of a neighbourhood exchange: block i is count(i) elements of type(i) at byte
 * offset off(i) of buf. */
typedef struct nside {
    const char *buf;
    int count1;
    const int *counts;    /* or NULL: count1 each */
    const int *displs;    /* elements of the type, or NULL: i * count1 */
    const MPI_Aint *bdispls; /* alltoallw: bytes */
    MPI_Datatype type1;
    const MPI_Datatype *types; /* alltoallw */
    bool same;            /* allgather's send side: every block is the whole buffer */
} nside_t;

static int ns_count(const nside_t *s, int i)
{
    return s->counts != NULL ? s->counts[i] : s->count1;
}

static MPI_Datatype ns_type(const nside_t *s, int i)
{
    return s->types != NULL ? s->types[i] : s->type1;
}

static MPI_Aint ns_off(const nside_t *s, int i)
{
    if (s->same) {
        return 0;
    }
    if (s->bdispls != NULL) {
        return s->bdispls[i];
    }
    return (s->displs != NULL ? (MPI_Aint)s->displs[i] : (MPI_Aint)i * s->count1) *
           s->type1->extent;
}

static int ns_check(const nside_t *s, int n)
{
    for (int i = 0; i < n; i++) {
        size_t bytes;
        int c = ns_count(s, i), err;
        if (c == 0) {
            continue;
        }
        if ((err = bpmpi_dt_check(ns_type(s, i))) != MPI_SUCCESS ||
            (err = bpmpi_dt_bytes(ns_type(s, i), c, &bytes)) != MPI_SUCCESS) {
            return err;
        }
    }
    return MPI_SUCCESS;
}

static int nbr_exchange(const char *call, MPI_Comm comm, const nside_t *snd, const nside_t *rcv)
{
    nbr_t nb;
    int err, n;
    uint64_t tag;
    bp_request_t **reqs = NULL;
    bp_msginfo_t *infos = NULL;
    char **tmp = NULL;
    size_t *len = NULL;
    bp_status_t st = BP_OK;

    BPMPI_CHECK_INIT(call);
    if (!bpmpi_comm_ok(comm)) {
        return bpmpi_error(MPI_COMM_WORLD, MPI_ERR_COMM, call);
    }
    if ((err = nbr_get(comm, &nb)) != MPI_SUCCESS) {
        return bpmpi_error(comm, err, call);
    }
    if ((err = ns_check(snd, nb.nout)) != MPI_SUCCESS ||
        (err = ns_check(rcv, nb.nin)) != MPI_SUCCESS) {
        nbr_free(&nb);
        return bpmpi_error(comm, err, call);
    }
    n = nb.nin + nb.nout;
    reqs = calloc((size_t)n + 1, sizeof(*reqs));
    infos = calloc((size_t)n + 1, sizeof(*infos));
    tmp = calloc((size_t)n + 1, sizeof(*tmp));
    len = calloc((size_t)n + 1, sizeof(*len));
    err = MPI_ERR_NO_MEM;
    if (reqs == NULL || infos == NULL || tmp == NULL || len == NULL) {
        goto out;
    }
    tag = bpmpi_coll_tag_base(comm);
    /* receives first: every packed block into a buffer of its own, unpacked at the end */
    for (int i = 0; i < nb.nin && st == BP_OK; i++) {
        int c = ns_count(rcv, i);
        if (nb.in[i] == MPI_PROC_NULL) {
            continue;
        }
        len[i] = c == 0 ? 0 : (size_t)c * ns_type(rcv, i)->size;
        if ((tmp[i] = malloc(len[i] ? len[i] : 1)) == NULL) {
            goto out;
        }
        st = bp_irecv(bpmpi.ctx, tmp[i], len[i], comm->world[nb.in[i]],
                      tag | (uint64_t)nb.in_step[i], 0, &reqs[i]);
    }
    for (int j = 0; j < nb.nout && st == BP_OK; j++) {
        int c = ns_count(snd, j), k = nb.nin + j;
        if (nb.out[j] == MPI_PROC_NULL) {
            continue;
        }
        len[k] = c == 0 ? 0 : (size_t)c * ns_type(snd, j)->size;
        if ((tmp[k] = malloc(len[k] ? len[k] : 1)) == NULL) {
            goto out;
        }
        if (c > 0) {
            bpmpi_dt_pack(snd->buf + ns_off(snd, j), c, ns_type(snd, j), tmp[k]);
        }
        st = bp_isend(bpmpi.ctx, tmp[k], len[k], comm->world[nb.out[j]],
                      tag | (uint64_t)nb.out_step[j], &reqs[k]);
    }
    {
        bp_status_t st2 = bpmpi_nwait(reqs, infos, n);
        st = st != BP_OK ? st : st2;
    }
    err = st == BP_OK ? MPI_SUCCESS : bpmpi_from_status(st);
    for (int i = 0; i < nb.nin && err == MPI_SUCCESS; i++) {
        if (nb.in[i] == MPI_PROC_NULL || ns_count(rcv, i) == 0) {
            continue;
        }
        if (infos[i].length > len[i]) {
            err = MPI_ERR_TRUNCATE;
            break;
        }
        bpmpi_dt_unpack(tmp[i], infos[i].length, (char *)rcv->buf + ns_off(rcv, i),
                        ns_type(rcv, i));
    }
out:
    if (reqs != NULL) {
        for (int i = 0; i < n; i++) {
            if (reqs[i] != NULL) { /* posting failed part-way: let the others go */
                bp_cancel(reqs[i]);
                bp_wait(&reqs[i], NULL);
            }
        }
    }
    for (int i = 0; tmp != NULL && i < n; i++) {
        free(tmp[i]);
    }
    free(tmp);
    free(len);
    free(infos);
    free(reqs);
    nbr_free(&nb);
    return bpmpi_error(comm, err, call);
}

int MPI_Neighbor_allgather(const void *sendbuf, int sendcount, MPI_Datatype sendtype,
                           void *recvbuf, int recvcount, MPI_Datatype recvtype, MPI_Comm comm)
{
    nside_t s = {.buf = sendbuf, .count1 = sendcount, .type1 = sendtype, .same = true};
    nside_t r = {.buf = recvbuf, .count1 = recvcount, .type1 = recvtype};

    return nbr_exchange("MPI_Neighbor_allgather", comm, &s, &r);
}

int MPI_Neighbor_allgatherv(const void *sendbuf, int sendcount, MPI_Datatype sendtype,
                            void *recvbuf, const int recvcounts[], const int displs[],
                            MPI_Datatype recvtype, MPI_Comm comm)
{
    nside_t s = {.buf = sendbuf, .count1 = sendcount, .type1 = sendtype, .same = true};
    nside_t r = {.buf = recvbuf, .counts = recvcounts, .displs = displs, .type1 = recvtype};

    if (recvcounts == NULL || displs == NULL) {
        return bpmpi_error(comm != MPI_COMM_NULL ? comm : MPI_COMM_WORLD, MPI_ERR_ARG,
                           "MPI_Neighbor_allgatherv");
    }
    return nbr_exchange("MPI_Neighbor_allgatherv", comm, &s, &r);
}

int MPI_Neighbor_alltoall(const void *sendbuf, int sendcount, MPI_Datatype sendtype,
                          void *recvbuf, int recvcount, MPI_Datatype recvtype, MPI_Comm comm)
{
    nside_t s = {.buf = sendbuf, .count1 = sendcount, .type1 = sendtype};
    nside_t r = {.buf = recvbuf, .count1 = recvcount, .type1 = recvtype};

    return nbr_exchange("MPI_Neighbor_alltoall", comm, &s, &r);
}

int MPI_Neighbor_alltoallv(const void *sendbuf, const int sendcounts[], const int sdispls[],
                           MPI_Datatype sendtype, void *recvbuf, const int recvcounts[],
                           const int rdispls[], MPI_Datatype recvtype, MPI_Comm comm)
{
    nside_t s = {.buf = sendbuf, .counts = sendcounts, .displs = sdispls, .type1 = sendtype};
    nside_t r = {.buf = recvbuf, .counts = recvcounts, .displs = rdispls, .type1 = recvtype};

    if (sendcounts == NULL || sdispls == NULL || recvcounts == NULL || rdispls == NULL) {
        return bpmpi_error(comm != MPI_COMM_NULL ? comm : MPI_COMM_WORLD, MPI_ERR_ARG,
                           "MPI_Neighbor_alltoallv");
    }
    return nbr_exchange("MPI_Neighbor_alltoallv", comm, &s, &r);
}

int MPI_Neighbor_alltoallw(const void *sendbuf, const int sendcounts[],
                           const MPI_Aint sdispls[], const MPI_Datatype sendtypes[],
                           void *recvbuf, const int recvcounts[], const MPI_Aint rdispls[],
                           const MPI_Datatype recvtypes[], MPI_Comm comm)
{
    nside_t s = {.buf = sendbuf, .counts = sendcounts, .bdispls = sdispls, .types = sendtypes};
    nside_t r = {.buf = recvbuf, .counts = recvcounts, .bdispls = rdispls, .types = recvtypes};

    if (sendcounts == NULL || sdispls == NULL || sendtypes == NULL || recvcounts == NULL ||
        rdispls == NULL || recvtypes == NULL) {
        return bpmpi_error(comm != MPI_COMM_NULL ? comm : MPI_COMM_WORLD, MPI_ERR_ARG,
                           "MPI_Neighbor_alltoallw");
    }
    return nbr_exchange("MPI_Neighbor_alltoallw", comm, &s, &r);
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
