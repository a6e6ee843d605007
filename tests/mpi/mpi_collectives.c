/*
 * Every collective against a serial reference computed locally from the inputs every rank
 * can recompute (value(rank, i) is a known function): Barrier, Bcast, Reduce, Allreduce,
 * Gather(v), Scatter(v), Allgather(v), Alltoall(v), Reduce_scatter(_block), Scan, Exscan.
 * On MPI_COMM_WORLD, a duplicate of it, a split that keeps every rank in reverse order (a
 * communicator of the whole job, as the native collectives serve, whose ranks are not the
 * job's), the halves of a Comm_split (reversed by key),
 * with counts on both sides of the algorithm switches (8 B to 72 KB per rank), MPI_IN_PLACE,
 * predefined operations on several types, MINLOC/MAXLOC, a non-commutative user operation,
 * and a noncontiguous (vector) datatype. Run with 1..8 ranks.
 */
#include <stdint.h>

#include "mtest.h"

static const int counts[] = {0, 1, 5, 300, 700, 9000};
#define NCOUNTS ((int)(sizeof(counts) / sizeof(counts[0])))

static long long val(int rank, int i)
{
    return (long long)rank * 1000003LL + (long long)i * 7 + 1;
}

/* Non-commutative and associative: affine maps x -> a x + b composed left to right. */
typedef struct affine {
    uint64_t a, b;
} affine_t;

static void affine_op(void *in, void *inout, int *len, MPI_Datatype *dt)
{
    affine_t *x = in, *y = inout;

    for (int i = 0; i < *len; i++) {
        affine_t r = {x[i].a * y[i].a, x[i].b * y[i].a + y[i].b}; /* y(x(.)) */
        y[i] = r;
    }
}

static affine_t affine_val(int rank, int i)
{
    return (affine_t){(uint64_t)(rank * 2 + 3 + i), (uint64_t)(rank * 5 + 1 + i)};
}

static affine_t affine_fold(int from, int to, int i) /* ranks from..to-1, in order */
{
    affine_t acc = affine_val(from, i);

    for (int r = from + 1; r < to; r++) {
        affine_t x = affine_val(r, i);
        acc = (affine_t){acc.a * x.a, acc.b * x.a + x.b};
    }
    return acc;
}

static void test_bcast(MPI_Comm comm, int rank, int n, int count)
{
    long long *buf = calloc(1, ((size_t)count + 1) * sizeof(*buf));

    for (int root = 0; root < n; root += (count > 300 ? n - 1 > 0 ? n - 1 : 1 : 1)) {
        for (int i = 0; i < count; i++) {
            buf[i] = (rank == root) ? val(root, i) : -1;
        }
        MT_OK(MPI_Bcast(buf, count, MPI_LONG_LONG, root, comm));
        for (int i = 0; i < count; i++) {
            MT_EQ(buf[i], val(root, i));
        }
    }
    free(buf);
}

static void test_reduce(MPI_Comm comm, int rank, int n, int count)
{
    long long *in = calloc(1, ((size_t)count + 1) * sizeof(long long));
    long long *out = calloc(1, ((size_t)count + 1) * sizeof(long long));
    int root = n / 2;

    for (int i = 0; i < count; i++) {
        in[i] = val(rank, i);
        out[i] = -7;
    }
    MT_OK(MPI_Reduce(in, out, count, MPI_LONG_LONG, MPI_SUM, root, comm));
    for (int i = 0; i < count && rank == root; i++) {
        long long s = 0;
        for (int r = 0; r < n; r++) {
            s += val(r, i);
        }
        MT_EQ(out[i], s);
    }
    /* in place at the root, MAX */
    for (int i = 0; i < count; i++) {
        out[i] = (i % 2) ? val(rank, i) : -val(rank, i);
    }
    MT_OK(MPI_Reduce(rank == root ? MPI_IN_PLACE : out, rank == root ? out : NULL, count,
                     MPI_LONG_LONG, MPI_MAX, root, comm));
    for (int i = 0; i < count && rank == root; i++) {
        MT_EQ(out[i], (i % 2) ? val(n - 1, i) : -val(0, i));
    }
    free(in);
    free(out);
}

/* d[i] must be the sum over the n ranks of (double)(val(r, i) % 1024), exactly (integers). */
static void check_dsum(const double *d, int count, int n)
{
    for (int i = 0; i < count; i++) {
        double s = 0;
        for (int r = 0; r < n; r++) {
            s += (double)(val(r, i) % 1024);
        }
        MT_CHECK(d[i] == s);
    }
}

static void test_allreduce(MPI_Comm comm, int rank, int n, int count)
{
    long long *in = calloc(1, ((size_t)count + 1) * sizeof(long long));
    long long *out = calloc(1, ((size_t)count + 1) * sizeof(long long));
    double *d = calloc(1, ((size_t)count + 1) * sizeof(double));
    int *bits = calloc(1, ((size_t)count + 1) * sizeof(int));

    for (int i = 0; i < count; i++) {
        in[i] = val(rank, i);
        d[i] = (double)(val(rank, i) % 1024);
        bits[i] = 1 << ((rank + i) % 31);
    }
    MT_OK(MPI_Allreduce(in, out, count, MPI_LONG_LONG, MPI_SUM, comm));
    for (int i = 0; i < count; i++) {
        long long s = 0;
        for (int r = 0; r < n; r++) {
            s += val(r, i);
        }
        MT_EQ(out[i], s);
    }
    MT_OK(MPI_Allreduce(MPI_IN_PLACE, d, count, MPI_DOUBLE, MPI_SUM, comm));
    check_dsum(d, count, n);
    MT_OK(MPI_Allreduce(MPI_IN_PLACE, bits, count, MPI_INT, MPI_BOR, comm));
    for (int i = 0; i < count; i++) {
        int b = 0;
        for (int r = 0; r < n; r++) {
            b |= 1 << ((r + i) % 31);
        }
        MT_EQ(bits[i], b);
    }
    for (int i = 0; i < count; i++) {
        in[i] = (val(rank, i) % 97) + 1;
    }
    MT_OK(MPI_Allreduce(in, out, count, MPI_LONG_LONG, MPI_PROD, comm));
    for (int i = 0; i < count; i++) {
        long long p = 1;
        for (int r = 0; r < n; r++) {
            p *= (val(r, i) % 97) + 1;
        }
        MT_EQ(out[i], p);
    }
    free(in);
    free(out);
    free(d);
    free(bits);
}

/* MAX and MIN where signedness and width matter: unsigned values above the signed range
 * (a signed reduction would pick the wrong one), a 4-byte unsigned type, float. */
static void test_allreduce_types(MPI_Comm comm, int rank, int n, int count)
{
    unsigned long *ul = calloc(1, ((size_t)count + 1) * sizeof(*ul));
    unsigned *u = calloc(1, ((size_t)count + 1) * sizeof(*u));
    float *f = calloc(1, ((size_t)count + 1) * sizeof(*f));

    for (int i = 0; i < count; i++) {
        ul[i] = (rank % 2 ? ~0ul - (unsigned long)rank : (unsigned long)rank) + (unsigned long)i;
        u[i] = (rank % 2 ? ~0u - (unsigned)rank : (unsigned)rank) + (unsigned)i;
        f[i] = (float)((rank * 7 + i) % 13) - 6.5f;
    }
    MT_OK(MPI_Allreduce(MPI_IN_PLACE, ul, count, MPI_UNSIGNED_LONG, MPI_MAX, comm));
    MT_OK(MPI_Allreduce(MPI_IN_PLACE, u, count, MPI_UNSIGNED, MPI_MAX, comm));
    MT_OK(MPI_Allreduce(MPI_IN_PLACE, f, count, MPI_FLOAT, MPI_MIN, comm));
    for (int i = 0; i < count; i++) {
        unsigned long eul = 0;
        unsigned eu = 0;
        float ef = 1e9f;
        for (int r = 0; r < n; r++) {
            unsigned long vul =
                (r % 2 ? ~0ul - (unsigned long)r : (unsigned long)r) + (unsigned long)i;
            unsigned vu = (r % 2 ? ~0u - (unsigned)r : (unsigned)r) + (unsigned)i;
            float vf = (float)((r * 7 + i) % 13) - 6.5f;
            eul = vul > eul ? vul : eul;
            eu = vu > eu ? vu : eu;
            ef = vf < ef ? vf : ef;
        }
        MT_EQ(ul[i], eul);
        MT_EQ(u[i], eu);
        MT_CHECK(f[i] == ef);
    }
    free(ul);
    free(u);
    free(f);
}

static void test_loc_and_user(MPI_Comm comm, int rank, int n, int count)
{
    struct {
        double v;
        int i;
    } *p = calloc(1, ((size_t)count + 1) * sizeof(*p));
    affine_t *a = calloc(1, ((size_t)count + 1) * sizeof(*a));
    MPI_Datatype aff;
    MPI_Op op;

    for (int i = 0; i < count; i++) {
        p[i].v = (double)((rank * 7 + i) % n); /* ties possible: the lowest index wins */
        p[i].i = rank;
    }
    MT_OK(MPI_Allreduce(MPI_IN_PLACE, p, count, MPI_DOUBLE_INT, MPI_MAXLOC, comm));
    for (int i = 0; i < count; i++) {
        double best = -1;
        int who = -1;
        for (int r = 0; r < n; r++) {
            double v = (double)((r * 7 + i) % n);
            if (v > best) {
                best = v;
                who = r;
            }
        }
        MT_CHECK(p[i].v == best);
        MT_EQ(p[i].i, who);
    }
    MT_OK(MPI_Type_contiguous(2, MPI_UINT64_T, &aff));
    MT_OK(MPI_Type_commit(&aff));
    MT_OK(MPI_Op_create(affine_op, 0, &op));
    for (int i = 0; i < count; i++) {
        a[i] = affine_val(rank, i);
    }
    MT_OK(MPI_Allreduce(MPI_IN_PLACE, a, count, aff, op, comm));
    for (int i = 0; i < count; i++) {
        affine_t e = affine_fold(0, n, i);
        MT_CHECK(a[i].a == e.a && a[i].b == e.b);
    }
    for (int i = 0; i < count; i++) {
        a[i] = affine_val(rank, i);
    }
    MT_OK(MPI_Reduce(rank == n - 1 ? MPI_IN_PLACE : a, a, count, aff, op, n - 1, comm));
    for (int i = 0; i < count && rank == n - 1; i++) {
        affine_t e = affine_fold(0, n, i);
        MT_CHECK(a[i].a == e.a && a[i].b == e.b);
    }
    for (int i = 0; i < count; i++) {
        a[i] = affine_val(rank, i);
    }
    MT_OK(MPI_Scan(MPI_IN_PLACE, a, count, aff, op, comm));
    for (int i = 0; i < count; i++) {
        affine_t e = affine_fold(0, rank + 1, i);
        MT_CHECK(a[i].a == e.a && a[i].b == e.b);
    }
    for (int i = 0; i < count; i++) {
        a[i] = affine_val(rank, i);
    }
    MT_OK(MPI_Exscan(MPI_IN_PLACE, a, count, aff, op, comm));
    for (int i = 0; i < count && rank > 0; i++) {
        affine_t e = affine_fold(0, rank, i);
        MT_CHECK(a[i].a == e.a && a[i].b == e.b);
    }
    MT_OK(MPI_Op_free(&op));
    MT_OK(MPI_Type_free(&aff));
    free(p);
    free(a);
}

static void test_scan(MPI_Comm comm, int rank, int n, int count)
{
    long long *in = calloc(1, ((size_t)count + 1) * sizeof(long long));
    long long *out = calloc(1, ((size_t)count + 1) * sizeof(long long));

    for (int i = 0; i < count; i++) {
        in[i] = val(rank, i);
    }
    MT_OK(MPI_Scan(in, out, count, MPI_LONG_LONG, MPI_SUM, comm));
    for (int i = 0; i < count; i++) {
        long long s = 0;
        for (int r = 0; r <= rank; r++) {
            s += val(r, i);
        }
        MT_EQ(out[i], s);
    }
    for (int i = 0; i < count; i++) {
        out[i] = -3;
    }
    MT_OK(MPI_Exscan(in, out, count, MPI_LONG_LONG, MPI_SUM, comm));
    for (int i = 0; i < count && rank > 0; i++) {
        long long s = 0;
        for (int r = 0; r < rank; r++) {
            s += val(r, i);
        }
        MT_EQ(out[i], s);
    }
    free(in);
    free(out);
}

/* variable counts: rank r contributes vc(r) elements */
static int vc(int r, int count)
{
    return count == 0 ? 0 : count + (r % 3) - 1 + (count == 1);
}

static void test_gather_scatter(MPI_Comm comm, int rank, int n, int count)
{
    size_t total = (size_t)n * (size_t)(count + 4);
    long long *mine = calloc(1, ((size_t)count + 2) * sizeof(long long));
    long long *all = calloc(1, (total + 1) * sizeof(long long));
    int *rc = calloc(1, (size_t)n * sizeof(int)), *dis = calloc(1, (size_t)n * sizeof(int));
    int root = n - 1, off = 0;

    for (int r = 0; r < n; r++) {
        rc[r] = vc(r, count);
        dis[r] = off;
        off += rc[r] + 1; /* a gap between blocks */
    }
    /* Gather */
    for (int i = 0; i < count; i++) {
        mine[i] = val(rank, i);
    }
    MT_OK(MPI_Gather(mine, count, MPI_LONG_LONG, all, count, MPI_LONG_LONG, root, comm));
    for (int r = 0; r < n && rank == root; r++) {
        for (int i = 0; i < count; i++) {
            MT_EQ(all[(size_t)r * count + i], val(r, i));
        }
    }
    /* Gatherv, in place at the root */
    for (size_t k = 0; k < total; k++) {
        all[k] = -1;
    }
    for (int i = 0; i < rc[rank]; i++) {
        mine[i] = val(rank, i);
        if (rank == root) {
            all[dis[rank] + i] = val(rank, i);
        }
    }
    MT_OK(MPI_Gatherv(rank == root ? MPI_IN_PLACE : mine, rc[rank], MPI_LONG_LONG, all, rc, dis,
                      MPI_LONG_LONG, root, comm));
    for (int r = 0; r < n && rank == root; r++) {
        for (int i = 0; i < rc[r]; i++) {
            MT_EQ(all[dis[r] + i], val(r, i));
        }
        MT_EQ(all[dis[r] + rc[r]], -1); /* the gap is untouched */
    }
    /* Scatter */
    for (int r = 0; r < n; r++) {
        for (int i = 0; i < count; i++) {
            all[(size_t)r * count + i] = (rank == root) ? val(r, i) * 3 : -1;
        }
    }
    MT_OK(MPI_Scatter(all, count, MPI_LONG_LONG, mine, count, MPI_LONG_LONG, root, comm));
    for (int i = 0; i < count; i++) {
        MT_EQ(mine[i], val(rank, i) * 3);
    }
    /* Scatterv */
    for (int r = 0; r < n && rank == root; r++) {
        for (int i = 0; i < rc[r]; i++) {
            all[dis[r] + i] = val(r, i) + 11;
        }
    }
    MT_OK(MPI_Scatterv(all, rc, dis, MPI_LONG_LONG, mine, rc[rank], MPI_LONG_LONG, root, comm));
    for (int i = 0; i < rc[rank]; i++) {
        MT_EQ(mine[i], val(rank, i) + 11);
    }
    /* Allgather, plain and in place */
    for (int i = 0; i < count; i++) {
        mine[i] = val(rank, i);
    }
    MT_OK(MPI_Allgather(mine, count, MPI_LONG_LONG, all, count, MPI_LONG_LONG, comm));
    for (int r = 0; r < n; r++) {
        for (int i = 0; i < count; i++) {
            MT_EQ(all[(size_t)r * count + i], val(r, i));
        }
    }
    for (size_t k = 0; k < total; k++) {
        all[k] = -1;
    }
    for (int i = 0; i < count; i++) {
        all[(size_t)rank * count + i] = val(rank, i) + 5;
    }
    MT_OK(MPI_Allgather(MPI_IN_PLACE, 0, MPI_DATATYPE_NULL, all, count, MPI_LONG_LONG, comm));
    for (int r = 0; r < n; r++) {
        for (int i = 0; i < count; i++) {
            MT_EQ(all[(size_t)r * count + i], val(r, i) + 5);
        }
    }
    /* Allgatherv */
    for (size_t k = 0; k < total; k++) {
        all[k] = -1;
    }
    for (int i = 0; i < rc[rank]; i++) {
        mine[i] = val(rank, i) - 2;
    }
    MT_OK(MPI_Allgatherv(mine, rc[rank], MPI_LONG_LONG, all, rc, dis, MPI_LONG_LONG, comm));
    for (int r = 0; r < n; r++) {
        for (int i = 0; i < rc[r]; i++) {
            MT_EQ(all[dis[r] + i], val(r, i) - 2);
        }
        MT_EQ(all[dis[r] + rc[r]], -1);
    }
    free(mine);
    free(all);
    free(rc);
    free(dis);
}

static long long a2a(int from, int to, int i)
{
    return (long long)from * 100000 + (long long)to * 1000 + i;
}

static void test_alltoall(MPI_Comm comm, int rank, int n, int count)
{
    int c = count > 1000 ? 1000 : count; /* n * n blocks */
    size_t total = (size_t)n * (size_t)(c + 4);
    long long *s = calloc(total + 1, sizeof(long long)), *r = calloc(total + 1, sizeof(long long));
    int *sc = calloc(1, (size_t)n * sizeof(int)), *sd = calloc(1, (size_t)n * sizeof(int));
    int *rcv = calloc(1, (size_t)n * sizeof(int)), *rd = calloc(1, (size_t)n * sizeof(int));

    for (int p = 0; p < n; p++) {
        for (int i = 0; i < c; i++) {
            s[(size_t)p * c + i] = a2a(rank, p, i);
        }
    }
    MT_OK(MPI_Alltoall(s, c, MPI_LONG_LONG, r, c, MPI_LONG_LONG, comm));
    for (int p = 0; p < n; p++) {
        for (int i = 0; i < c; i++) {
            MT_EQ(r[(size_t)p * c + i], a2a(p, rank, i));
        }
    }
    /* in place */
    for (int p = 0; p < n; p++) {
        for (int i = 0; i < c; i++) {
            r[(size_t)p * c + i] = a2a(rank, p, i) + 1;
        }
    }
    MT_OK(MPI_Alltoall(MPI_IN_PLACE, 0, MPI_DATATYPE_NULL, r, c, MPI_LONG_LONG, comm));
    for (int p = 0; p < n; p++) {
        for (int i = 0; i < c; i++) {
            MT_EQ(r[(size_t)p * c + i], a2a(p, rank, i) + 1);
        }
    }
    /* Alltoallv: rank x sends vc(x + p) elements to p */
    {
        int so = 0, ro = 0;
        for (int p = 0; p < n; p++) {
            sc[p] = vc(rank + p, c);
            sd[p] = so;
            so += sc[p] + 1;
            rcv[p] = vc(p + rank, c);
            rd[p] = ro;
            ro += rcv[p] + 1;
        }
        for (int p = 0; p < n; p++) {
            for (int i = 0; i < sc[p]; i++) {
                s[sd[p] + i] = a2a(rank, p, i);
            }
        }
        for (int k = 0; k < ro; k++) {
            r[k] = -1;
        }
        MT_OK(MPI_Alltoallv(s, sc, sd, MPI_LONG_LONG, r, rcv, rd, MPI_LONG_LONG, comm));
        for (int p = 0; p < n; p++) {
            for (int i = 0; i < rcv[p]; i++) {
                MT_EQ(r[rd[p] + i], a2a(p, rank, i));
            }
            MT_EQ(r[rd[p] + rcv[p]], -1);
        }
    }
    free(s);
    free(r);
    free(sc);
    free(sd);
    free(rcv);
    free(rd);
}

static void test_reduce_scatter(MPI_Comm comm, int rank, int n, int count)
{
    int *rc = calloc(1, (size_t)n * sizeof(int)), total = 0, off = 0;
    long long *in, *out;

    for (int r = 0; r < n; r++) {
        rc[r] = vc(r, count);
        total += rc[r];
    }
    in = calloc(1, ((size_t)total + (size_t)n * count + 1) * sizeof(long long));
    out = calloc(1, ((size_t)total + (size_t)n * count + 1) * sizeof(long long));
    for (int i = 0; i < total; i++) {
        in[i] = val(rank, i);
    }
    MT_OK(MPI_Reduce_scatter(in, out, rc, MPI_LONG_LONG, MPI_SUM, comm));
    for (int r = 0; r < rank; r++) {
        off += rc[r];
    }
    for (int i = 0; i < rc[rank]; i++) {
        long long s = 0;
        for (int r = 0; r < n; r++) {
            s += val(r, off + i);
        }
        MT_EQ(out[i], s);
    }
    for (int i = 0; i < n * count; i++) {
        in[i] = val(rank, i);
    }
    MT_OK(MPI_Reduce_scatter_block(MPI_IN_PLACE, in, count, MPI_LONG_LONG, MPI_MAX, comm));
    for (int i = 0; i < count; i++) {
        MT_EQ(in[i], val(n - 1, rank * count + i));
    }
    free(rc);
    free(in);
    free(out);
}

/* A vector type (every other double) through Bcast and Allreduce; a Bcast whose root sends
 * plain doubles to ranks receiving into the vector type (the same type signature). */
static void test_vector(MPI_Comm comm, int rank, int n, int count)
{
    MPI_Datatype v;
    double *buf = calloc(1, ((size_t)count * 2 + 2) * sizeof(double));

    MT_OK(MPI_Type_vector(count, 1, 2, MPI_DOUBLE, &v));
    MT_OK(MPI_Type_commit(&v));
    for (int i = 0; i < 2 * count; i++) {
        buf[i] = (i % 2) ? -1.0 : (rank == 0 ? (double)i : 0.0);
    }
    MT_OK(MPI_Bcast(buf, 1, v, 0, comm));
    for (int i = 0; i < 2 * count; i++) {
        MT_CHECK(buf[i] == ((i % 2) ? -1.0 : (double)i));
    }
    /* the same type signature from another type: count contiguous doubles at the root */
    for (int i = 0; i < 2 * count; i++) {
        buf[i] = rank == 0 ? (double)(3 * i) : -1.0;
    }
    if (rank == 0) {
        MT_OK(MPI_Bcast(buf, count, MPI_DOUBLE, 0, comm));
    } else {
        MT_OK(MPI_Bcast(buf, 1, v, 0, comm));
    }
    for (int i = 0; i < 2 * count; i++) {
        double want = rank == 0 ? (double)(3 * i) : (i % 2) ? -1.0 : (double)(3 * (i / 2));
        MT_CHECK(buf[i] == want);
        buf[i] = (i % 2) ? -1.0 : buf[i]; /* the gaps as the allreduce below expects them */
    }
    for (int i = 0; i < 2 * count; i += 2) {
        buf[i] = (double)(rank + i);
    }
    MT_OK(MPI_Allreduce(MPI_IN_PLACE, buf, 1, v, MPI_SUM, comm));
    for (int i = 0; i < 2 * count; i++) {
        MT_CHECK(buf[i] == ((i % 2) ? -1.0 : (double)n * i + (double)n * (n - 1) / 2));
    }
    MT_OK(MPI_Type_free(&v));
    free(buf);
}

/*
 * Allreduce while one rank's MPI layer has a freed request still pending (a rendezvous
 * MPI_Isend that the peer receives only afterwards): that rank takes the general path, the
 * others the small-message one; both must meet and agree, at every size on both sides of
 * the small path's limit.
 */
static void test_allreduce_mixed(MPI_Comm comm, int rank, int n)
{
    enum { BIG = 1 << 17 };
    char *big = NULL;
    MPI_Request rq;
    int peer = n > 1 ? 1 : 0;

    if (n < 2) {
        return;
    }
    big = calloc(1, BIG);
    MT_CHECK(big != NULL);
    if (rank == 0) {
        memset(big, 0x5a, BIG);
        MT_OK(MPI_Isend(big, BIG, MPI_BYTE, peer, 77, comm, &rq));
        MT_OK(MPI_Request_free(&rq));
    }
    for (int count = 1; count <= 80; count += 13) {
        double d[80];
        for (int i = 0; i < count; i++) {
            d[i] = (double)(val(rank, i) % 1024);
        }
        MT_OK(MPI_Allreduce(MPI_IN_PLACE, d, count, MPI_DOUBLE, MPI_SUM, comm));
        check_dsum(d, count, n);
    }
    if (rank == peer) {
        MT_OK(MPI_Recv(big, BIG, MPI_BYTE, 0, 77, comm, MPI_STATUS_IGNORE));
        for (int i = 0; i < BIG; i += 4099) {
            MT_EQ(big[i], 0x5a);
        }
    }
    MT_OK(MPI_Barrier(comm)); /* rank 0's freed send has completed everywhere */
    free(big);
}

static void run_all(MPI_Comm comm)
{
    int rank, n;

    MT_OK(MPI_Comm_rank(comm, &rank));
    MT_OK(MPI_Comm_size(comm, &n));
    MT_OK(MPI_Barrier(comm));
    test_allreduce_mixed(comm, rank, n);
    for (int k = 0; k < NCOUNTS; k++) {
        int c = counts[k];
        test_bcast(comm, rank, n, c);
        test_reduce(comm, rank, n, c);
        test_allreduce(comm, rank, n, c);
        test_allreduce_types(comm, rank, n, c);
        test_loc_and_user(comm, rank, n, c > 300 ? 300 : c);
        test_scan(comm, rank, n, c);
        test_gather_scatter(comm, rank, n, c);
        test_alltoall(comm, rank, n, c);
        test_reduce_scatter(comm, rank, n, c);
        test_vector(comm, rank, n, c);
        MT_OK(MPI_Barrier(comm));
    }
}

int main(int argc, char **argv)
{
    MPI_Comm dup, rev, half;

    mtest_init(&argc, &argv);
    run_all(MPI_COMM_WORLD);
    MT_OK(MPI_Comm_dup(MPI_COMM_WORLD, &dup));
    run_all(dup);
    MT_OK(MPI_Comm_split(MPI_COMM_WORLD, 0, -mtest_rank, &rev));
    run_all(rev);
    MT_OK(MPI_Comm_free(&rev));
    MT_OK(MPI_Comm_split(MPI_COMM_WORLD, mtest_rank % 2, -mtest_rank, &half));
    run_all(half);
    run_all(MPI_COMM_SELF);
    MT_OK(MPI_Comm_free(&half));
    MT_OK(MPI_Comm_free(&dup));
    return mtest_fini("mpi_collectives");
}
