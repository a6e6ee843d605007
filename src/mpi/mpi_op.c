/*
 * mpi_op.c - reduction operations: the predefined ones on every basic type they are defined
 * for (MPI-3.1 section 5.9.2), MINLOC/MAXLOC on the pair types, and user operations. The
 * collectives keep their data packed (mpi_dt.c), so a predefined operation runs over
 * count * nbasic basic elements; a user operation on a noncontiguous type is given the data
 * in the type's own layout, as MPI promises it.
 */
#include <complex.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>

#include "mpi_impl.h"

enum { OP_MAX, OP_MIN, OP_SUM, OP_PROD, OP_LAND, OP_BAND, OP_LOR, OP_BOR, OP_LXOR, OP_BXOR,
       OP_MAXLOC, OP_MINLOC, OP_REPLACE, OP_NO_OP };

struct bpmpi_op bpmpi_op_max = {OP_MAX, NULL, 1}, bpmpi_op_min = {OP_MIN, NULL, 1},
               bpmpi_op_sum = {OP_SUM, NULL, 1}, bpmpi_op_prod = {OP_PROD, NULL, 1},
               bpmpi_op_land = {OP_LAND, NULL, 1}, bpmpi_op_band = {OP_BAND, NULL, 1},
               bpmpi_op_lor = {OP_LOR, NULL, 1}, bpmpi_op_bor = {OP_BOR, NULL, 1},
               bpmpi_op_lxor = {OP_LXOR, NULL, 1}, bpmpi_op_bxor = {OP_BXOR, NULL, 1},
               bpmpi_op_maxloc = {OP_MAXLOC, NULL, 1}, bpmpi_op_minloc = {OP_MINLOC, NULL, 1},
               bpmpi_op_replace = {OP_REPLACE, NULL, 0}, bpmpi_op_no_op = {OP_NO_OP, NULL, 0};

/* The classes of MPI-3.1 5.9.2: which basic types each operation takes. */
enum { CL_INT = 1, CL_FLOAT = 2, CL_COMPLEX = 4, CL_BOOL = 8, CL_BYTE = 16, CL_PAIR = 32 };

/* Basic types by their index (dt_predef in mpi_dt.c). */
#define OP_INT_TYPES(X)                                                                        \
    X(0, char) X(1, signed char) X(2, unsigned char) X(4, short) X(5, unsigned short)          \
    X(6, int) X(7, unsigned) X(8, long) X(9, unsigned long) X(10, long long)                   \
    X(11, unsigned long long) X(15, wchar_t) X(17, int8_t) X(18, int16_t) X(19, int32_t)       \
    X(20, int64_t) X(21, uint8_t) X(22, uint16_t) X(23, uint32_t) X(24, uint64_t)              \
    X(25, MPI_Aint) X(26, MPI_Offset) X(27, MPI_Count)
#define OP_FLOAT_TYPES(X) X(12, float) X(13, double) X(14, long double)
#define OP_COMPLEX_TYPES(X) X(28, float _Complex) X(29, double _Complex)
#define OP_BOOL_TYPES(X) X(16, _Bool)
#define OP_BYTE_TYPES(X) X(3, unsigned char) X(30, unsigned char)

static int op_class(int basic)
{
    switch (basic) {
#define X(i, t) case i:
        OP_INT_TYPES(X) return CL_INT;
        OP_FLOAT_TYPES(X) return CL_FLOAT;
        OP_COMPLEX_TYPES(X) return CL_COMPLEX;
        OP_BOOL_TYPES(X) return CL_BOOL;
        OP_BYTE_TYPES(X) return CL_BYTE;
#undef X
    case 31: case 32: case 33: case 34: case 35: case 36:
        return CL_PAIR;
    default:
        return 0;
    }
}

static int op_classes(int op)
{
    switch (op) {
    case OP_MAX:
    case OP_MIN:
        return CL_INT | CL_FLOAT;
    case OP_SUM:
    case OP_PROD:
        return CL_INT | CL_FLOAT | CL_COMPLEX;
    case OP_LAND:
    case OP_LOR:
    case OP_LXOR:
        return CL_INT | CL_BOOL;
    case OP_BAND:
    case OP_BOR:
    case OP_BXOR:
        return CL_INT | CL_BYTE;
    case OP_MAXLOC:
    case OP_MINLOC:
        return CL_PAIR;
    default: /* REPLACE, NO_OP */
        return CL_INT | CL_FLOAT | CL_COMPLEX | CL_BOOL | CL_BYTE | CL_PAIR;
    }
}

int bpmpi_op_check(MPI_Op op, MPI_Datatype dt)
{
    if (op == MPI_OP_NULL) {
        return MPI_ERR_OP;
    }
    if (op->predef < 0) {
        return MPI_SUCCESS; /* a user function takes any type */
    }
    if (dt->size == 0) {
        return MPI_SUCCESS;
    }
    if (dt->basic < 0 || (op_classes(op->predef) & op_class(dt->basic)) == 0) {
        return MPI_ERR_OP;
    }
    return MPI_SUCCESS;
}

/* The native API's element type for a basic type, from the type table above: the integers
 * of 4 bytes (signed) or 8 (either), float and double; -1 for the rest. */
#define OP_NATIVE_INT(t)                                                                       \
    ((t)-1 > (t)0 ? (sizeof(t) == 8 ? BP_DT_UINT64 : -1)                                       \
                  : sizeof(t) == 4 ? BP_DT_INT32 : sizeof(t) == 8 ? BP_DT_INT64 : -1)
#define OP_NATIVE_FLOAT(t)                                                                     \
    (sizeof(t) == sizeof(float) ? BP_DT_FLOAT : sizeof(t) == sizeof(double) ? BP_DT_DOUBLE : -1)

static int op_native_dtype(int basic)
{
    switch (basic) {
#define X(i, t) case i: return OP_NATIVE_INT(t);
        OP_INT_TYPES(X)
#undef X
#define X(i, t) case i: return OP_NATIVE_FLOAT(t);
        OP_FLOAT_TYPES(X)
#undef X
    default:
        return -1;
    }
}

int bpmpi_op_native(MPI_Op op, MPI_Datatype dt, bp_dtype_t *ndt, bp_op_t *nop)
{
    static const int ops[] = {[OP_MAX] = BP_OP_MAX,   [OP_MIN] = BP_OP_MIN,
                              [OP_SUM] = BP_OP_SUM,   [OP_PROD] = BP_OP_PROD,
                              [OP_LAND] = BP_OP_LAND, [OP_BAND] = BP_OP_BAND,
                              [OP_LOR] = BP_OP_LOR,   [OP_BOR] = BP_OP_BOR,
                              [OP_LXOR] = -1,         [OP_BXOR] = BP_OP_BXOR};
    int native;

    if (op == MPI_OP_NULL || op->predef < 0 || op->predef > OP_BXOR || ops[op->predef] < 0 ||
        bpmpi_op_check(op, dt) != MPI_SUCCESS || (native = op_native_dtype(dt->basic)) < 0) {
        return 0;
    }
    *ndt = (bp_dtype_t)native;
    *nop = (bp_op_t)ops[op->predef];
    return 1;
}

/* One loop per (operation, type): b[i] = a[i] op b[i]. */
#define OP_LOOP(T, EXPR)                                                                       \
    {                                                                                          \
        const T *a_ = in;                                                                      \
        T *b_ = inout;                                                                         \
        for (size_t i_ = 0; i_ < n; i_++) {                                                    \
            T a = a_[i_], b = b_[i_];                                                          \
            b_[i_] = (T)(EXPR);                                                                \
        }                                                                                      \
    }                                                                                          \
    return

#define OP_CASE_MAX(i, T) case i: OP_LOOP(T, a > b ? a : b);
#define OP_CASE_MIN(i, T) case i: OP_LOOP(T, a < b ? a : b);
#define OP_CASE_SUM(i, T) case i: OP_LOOP(T, a + b);
#define OP_CASE_PROD(i, T) case i: OP_LOOP(T, a * b);
#define OP_CASE_LAND(i, T) case i: OP_LOOP(T, (a != 0) && (b != 0));
#define OP_CASE_LOR(i, T) case i: OP_LOOP(T, (a != 0) || (b != 0));
#define OP_CASE_LXOR(i, T) case i: OP_LOOP(T, (a != 0) != (b != 0));
#define OP_CASE_BAND(i, T) case i: OP_LOOP(T, a & b);
#define OP_CASE_BOR(i, T) case i: OP_LOOP(T, a | b);
#define OP_CASE_BXOR(i, T) case i: OP_LOOP(T, a ^ b);

/* MINLOC / MAXLOC on packed pairs (value, then int; no padding when packed). */
#define OP_PAIR(i, VT)                                                                         \
    case i:                                                                                    \
        for (size_t k_ = 0; k_ < n; k_++) {                                                    \
            const char *pa = (const char *)in + k_ * (sizeof(VT) + sizeof(int));               \
            char *pb = (char *)inout + k_ * (sizeof(VT) + sizeof(int));                        \
            VT va, vb;                                                                         \
            int ia, ib;                                                                        \
            memcpy(&va, pa, sizeof(VT));                                                       \
            memcpy(&vb, pb, sizeof(VT));                                                       \
            memcpy(&ia, pa + sizeof(VT), sizeof(int));                                         \
            memcpy(&ib, pb + sizeof(VT), sizeof(int));                                         \
            if ((is_max ? va > vb : va < vb) || (va == vb && ia < ib)) {                       \
                memcpy(pb, pa, sizeof(VT) + sizeof(int));                                      \
            }                                                                                  \
        }                                                                                      \
        return;

static void op_loc(int basic, int is_max, const void *in, void *inout, size_t n)
{
    switch (basic) {
        OP_PAIR(31, float)
        OP_PAIR(32, double)
        OP_PAIR(33, long)
        OP_PAIR(34, int)
        OP_PAIR(35, short)
        OP_PAIR(36, long double)
    default:
        return;
    }
}

static void op_predef(int op, int basic, const void *in, void *inout, size_t n)
{
    switch (op) {
    case OP_MAX:
        switch (basic) { OP_INT_TYPES(OP_CASE_MAX) OP_FLOAT_TYPES(OP_CASE_MAX) default: return; }
    case OP_MIN:
        switch (basic) { OP_INT_TYPES(OP_CASE_MIN) OP_FLOAT_TYPES(OP_CASE_MIN) default: return; }
    case OP_SUM:
        switch (basic) {
            OP_INT_TYPES(OP_CASE_SUM) OP_FLOAT_TYPES(OP_CASE_SUM) OP_COMPLEX_TYPES(OP_CASE_SUM)
        default:
            return;
        }
    case OP_PROD:
        switch (basic) {
            OP_INT_TYPES(OP_CASE_PROD) OP_FLOAT_TYPES(OP_CASE_PROD)
            OP_COMPLEX_TYPES(OP_CASE_PROD)
        default:
            return;
        }
    case OP_LAND:
        switch (basic) { OP_INT_TYPES(OP_CASE_LAND) OP_BOOL_TYPES(OP_CASE_LAND) default: return; }
    case OP_LOR:
        switch (basic) { OP_INT_TYPES(OP_CASE_LOR) OP_BOOL_TYPES(OP_CASE_LOR) default: return; }
    case OP_LXOR:
        switch (basic) { OP_INT_TYPES(OP_CASE_LXOR) OP_BOOL_TYPES(OP_CASE_LXOR) default: return; }
    case OP_BAND:
        switch (basic) { OP_INT_TYPES(OP_CASE_BAND) OP_BYTE_TYPES(OP_CASE_BAND) default: return; }
    case OP_BOR:
        switch (basic) { OP_INT_TYPES(OP_CASE_BOR) OP_BYTE_TYPES(OP_CASE_BOR) default: return; }
    case OP_BXOR:
        switch (basic) { OP_INT_TYPES(OP_CASE_BXOR) OP_BYTE_TYPES(OP_CASE_BXOR) default: return; }
    case OP_MAXLOC:
    case OP_MINLOC:
        op_loc(basic, op == OP_MAXLOC, in, inout, n);
        return;
    default:
        return;
    }
}

/* A user function on a noncontiguous type: give it the data in the type's layout. */
static void op_user_layout(MPI_Op op, MPI_Datatype dt, const void *in, void *inout, int count)
{
    size_t span = (size_t)(dt->true_ub - dt->true_lb) + (size_t)(count - 1) * (size_t)dt->extent;
    char *ma = malloc(span), *mb = malloc(span);
    MPI_Datatype d = dt;
    int len = count;

    if (ma == NULL || mb == NULL) {
        bpmpi_fatal("out of memory for a user reduction of %zu bytes", span);
    }
    bpmpi_dt_unpack(in, (size_t)count * dt->size, ma - dt->true_lb, dt);
    bpmpi_dt_unpack(inout, (size_t)count * dt->size, mb - dt->true_lb, dt);
    op->fn(ma - dt->true_lb, mb - dt->true_lb, &len, &d);
    bpmpi_dt_pack(mb - dt->true_lb, count, dt, inout);
    free(ma);
    free(mb);
}

void bpmpi_op_apply(MPI_Op op, MPI_Datatype dt, const void *in, void *inout, int count)
{
    if (count <= 0 || dt->size == 0) {
        return;
    }
    if (op->predef >= 0) {
        if (op->predef == OP_REPLACE) {
            memcpy(inout, in, (size_t)count * dt->size);
        } else if (op->predef != OP_NO_OP) {
            op_predef(op->predef, dt->basic, in, inout, (size_t)count * dt->nbasic);
        }
        return;
    }
    if (bpmpi_dt_contig(dt, count)) {
        MPI_Aint off = dt->nblocks > 0 ? dt->blocks[0].off : 0;
        MPI_Datatype d = dt;
        int len = count;
        op->fn((char *)(uintptr_t)in - off, (char *)inout - off, &len, &d);
        return;
    }
    op_user_layout(op, dt, in, inout, count);
}

int MPI_Op_create(MPI_User_function *user_fn, int commute, MPI_Op *op)
{
    struct bpmpi_op *o;

    BPMPI_CHECK_INIT("MPI_Op_create");
    if (user_fn == NULL || op == NULL) {
        return bpmpi_error(MPI_COMM_WORLD, MPI_ERR_ARG, "MPI_Op_create");
    }
    o = malloc(sizeof(*o));
    if (o == NULL) {
        return bpmpi_error(MPI_COMM_WORLD, MPI_ERR_NO_MEM, "MPI_Op_create");
    }
    o->predef = -1;
    o->fn = user_fn;
    o->commute = commute != 0;
    *op = o;
    return MPI_SUCCESS;
}

int MPI_Op_free(MPI_Op *op)
{
    BPMPI_CHECK_INIT("MPI_Op_free");
    if (op == NULL || *op == MPI_OP_NULL || (*op)->predef >= 0) {
        return bpmpi_error(MPI_COMM_WORLD, MPI_ERR_OP, "MPI_Op_free");
    }
    free(*op);
    *op = MPI_OP_NULL;
    return MPI_SUCCESS;
}

int MPI_Op_commutative(MPI_Op op, int *commute)
{
    if (op == MPI_OP_NULL) {
        return bpmpi_error(MPI_COMM_WORLD, MPI_ERR_OP, "MPI_Op_commutative");
    }
    if (commute == NULL) {
        return bpmpi_error(MPI_COMM_WORLD, MPI_ERR_ARG, "MPI_Op_commutative");
    }
    *commute = op->commute;
    return MPI_SUCCESS;
}

int MPI_Reduce_local(const void *inbuf, void *inoutbuf, int count, MPI_Datatype datatype,
                     MPI_Op op)
{
    size_t bytes;
    int err;

    BPMPI_CHECK_INIT("MPI_Reduce_local");
    if ((err = bpmpi_dt_check(datatype)) != MPI_SUCCESS ||
        (err = bpmpi_dt_bytes(datatype, count, &bytes)) != MPI_SUCCESS ||
        (err = bpmpi_op_check(op, datatype)) != MPI_SUCCESS) {
        return bpmpi_error(MPI_COMM_WORLD, err, "MPI_Reduce_local");
    }
    if (bpmpi_dt_contig(datatype, count)) {
        bpmpi_op_apply(op, datatype, bpmpi_dt_base(inbuf, datatype),
                       bpmpi_dt_base(inoutbuf, datatype), count);
        return MPI_SUCCESS;
    }
    {
        char *a = malloc(bytes ? bytes : 1), *b = malloc(bytes ? bytes : 1);
        if (a == NULL || b == NULL) {
            free(a);
            free(b);
            return bpmpi_error(MPI_COMM_WORLD, MPI_ERR_NO_MEM, "MPI_Reduce_local");
        }
        bpmpi_dt_pack(inbuf, count, datatype, a);
        bpmpi_dt_pack(inoutbuf, count, datatype, b);
        bpmpi_op_apply(op, datatype, a, b, count);
        bpmpi_dt_unpack(b, bytes, inoutbuf, datatype);
        free(a);
        free(b);
    }
    return MPI_SUCCESS;
}
