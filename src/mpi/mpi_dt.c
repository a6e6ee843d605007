/*
 * mpi_dt.c - datatypes. Every datatype is flattened at construction into the list of
 * (offset, length) byte blocks of one element, adjacent blocks merged, plus MPI's lb and
 * extent. Sending packs count elements into one buffer (or sends in place when the type is
 * contiguous), receiving unpacks: the wire only ever carries packed bytes, so any two type
 * maps with the same type signature interoperate. The basic type inside (when there is only
 * one) is kept for reductions (mpi_op.c).
 */
#include <limits.h>
#include <stdalign.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>

#include "mpi_impl.h"

struct bpmpi_datatype bpmpi_dt_char, bpmpi_dt_signed_char, bpmpi_dt_unsigned_char,
    bpmpi_dt_byte, bpmpi_dt_short, bpmpi_dt_unsigned_short, bpmpi_dt_int, bpmpi_dt_unsigned,
    bpmpi_dt_long, bpmpi_dt_unsigned_long, bpmpi_dt_long_long_int, bpmpi_dt_unsigned_long_long,
    bpmpi_dt_float, bpmpi_dt_double, bpmpi_dt_long_double, bpmpi_dt_wchar, bpmpi_dt_c_bool,
    bpmpi_dt_int8_t, bpmpi_dt_int16_t, bpmpi_dt_int32_t, bpmpi_dt_int64_t, bpmpi_dt_uint8_t,
    bpmpi_dt_uint16_t, bpmpi_dt_uint32_t, bpmpi_dt_uint64_t, bpmpi_dt_aint, bpmpi_dt_offset,
    bpmpi_dt_count, bpmpi_dt_c_float_complex, bpmpi_dt_c_double_complex, bpmpi_dt_packed,
    bpmpi_dt_float_int, bpmpi_dt_double_int, bpmpi_dt_long_int, bpmpi_dt_2int,
    bpmpi_dt_short_int, bpmpi_dt_long_double_int;

/* In the order of op_class (mpi_op.c) and dt_desc below: the index is the basic type. */
static struct bpmpi_datatype *const dt_predef[BPMPI_DT_NPREDEF] = {
    &bpmpi_dt_char, &bpmpi_dt_signed_char, &bpmpi_dt_unsigned_char, &bpmpi_dt_byte,
    &bpmpi_dt_short, &bpmpi_dt_unsigned_short, &bpmpi_dt_int, &bpmpi_dt_unsigned,
    &bpmpi_dt_long, &bpmpi_dt_unsigned_long, &bpmpi_dt_long_long_int,
    &bpmpi_dt_unsigned_long_long, &bpmpi_dt_float, &bpmpi_dt_double, &bpmpi_dt_long_double,
    &bpmpi_dt_wchar, &bpmpi_dt_c_bool, &bpmpi_dt_int8_t, &bpmpi_dt_int16_t,
    &bpmpi_dt_int32_t, &bpmpi_dt_int64_t, &bpmpi_dt_uint8_t, &bpmpi_dt_uint16_t,
    &bpmpi_dt_uint32_t, &bpmpi_dt_uint64_t, &bpmpi_dt_aint, &bpmpi_dt_offset,
    &bpmpi_dt_count, &bpmpi_dt_c_float_complex, &bpmpi_dt_c_double_complex,
    &bpmpi_dt_packed, &bpmpi_dt_float_int, &bpmpi_dt_double_int, &bpmpi_dt_long_int,
    &bpmpi_dt_2int, &bpmpi_dt_short_int, &bpmpi_dt_long_double_int,
};

/* Pair types: the value, then an int, laid out as the C struct. */
#define DT_PAIR(vt) struct { vt v; int i; }

typedef struct dt_predef_desc {
    const char *name;
    size_t size, align;
    size_t extent;  /* pairs: the struct's size; others: size */
    MPI_Aint ioff;  /* pairs: offset of the int */
} dt_predef_desc_t;

#define DT_BASIC(n, t) {n, sizeof(t), alignof(t), sizeof(t), 0}
#define DT_PAIRD(n, vt)                                                                        \
    {n, sizeof(vt) + sizeof(int), alignof(DT_PAIR(vt)), sizeof(DT_PAIR(vt)),                   \
     (MPI_Aint)offsetof(DT_PAIR(vt), i)}

static const dt_predef_desc_t dt_desc[BPMPI_DT_NPREDEF] = {
    DT_BASIC("MPI_CHAR", char),
    DT_BASIC("MPI_SIGNED_CHAR", signed char),
    DT_BASIC("MPI_UNSIGNED_CHAR", unsigned char),
    DT_BASIC("MPI_BYTE", unsigned char),
    DT_BASIC("MPI_SHORT", short),
    DT_BASIC("MPI_UNSIGNED_SHORT", unsigned short),
    DT_BASIC("MPI_INT", int),
    DT_BASIC("MPI_UNSIGNED", unsigned),
    DT_BASIC("MPI_LONG", long),
    DT_BASIC("MPI_UNSIGNED_LONG", unsigned long),
    DT_BASIC("MPI_LONG_LONG_INT", long long),
    DT_BASIC("MPI_UNSIGNED_LONG_LONG", unsigned long long),
    DT_BASIC("MPI_FLOAT", float),
    DT_BASIC("MPI_DOUBLE", double),
    DT_BASIC("MPI_LONG_DOUBLE", long double),
    DT_BASIC("MPI_WCHAR", wchar_t),
    DT_BASIC("MPI_C_BOOL", _Bool),
    DT_BASIC("MPI_INT8_T", int8_t),
    DT_BASIC("MPI_INT16_T", int16_t),
    DT_BASIC("MPI_INT32_T", int32_t),
    DT_BASIC("MPI_INT64_T", int64_t),
    DT_BASIC("MPI_UINT8_T", uint8_t),
    DT_BASIC("MPI_UINT16_T", uint16_t),
    DT_BASIC("MPI_UINT32_T", uint32_t),
    DT_BASIC("MPI_UINT64_T", uint64_t),
    DT_BASIC("MPI_AINT", MPI_Aint),
    DT_BASIC("MPI_OFFSET", MPI_Offset),
    DT_BASIC("MPI_COUNT", MPI_Count),
    DT_BASIC("MPI_C_FLOAT_COMPLEX", float _Complex),
    DT_BASIC("MPI_C_DOUBLE_COMPLEX", double _Complex),
    DT_BASIC("MPI_PACKED", unsigned char),
    DT_PAIRD("MPI_FLOAT_INT", float),
    DT_PAIRD("MPI_DOUBLE_INT", double),
    DT_PAIRD("MPI_LONG_INT", long),
    DT_PAIRD("MPI_2INT", int),
    DT_PAIRD("MPI_SHORT_INT", short),
    DT_PAIRD("MPI_LONG_DOUBLE_INT", long double),
};

/* Pair types have two blocks (value, int); their storage lives here. */
static bpmpi_block_t dt_pair_blocks[BPMPI_DT_NPREDEF][2];

void bpmpi_dt_init(void)
{
    for (int i = 0; i < BPMPI_DT_NPREDEF; i++) {
        const dt_predef_desc_t *d = &dt_desc[i];
        struct bpmpi_datatype *t = dt_predef[i];

        memset(t, 0, sizeof(*t));
        t->predef = 1;
        t->committed = 1;
        t->name = d->name;
        t->size = d->size;
        t->align = d->align;
        t->extent = (MPI_Aint)d->extent;
        t->true_ub = (MPI_Aint)d->extent;
        t->basic = i;
        t->nbasic = 1;
        if (d->ioff != 0) {
            dt_pair_blocks[i][0] = (bpmpi_block_t){0, d->size - sizeof(int)};
            dt_pair_blocks[i][1] = (bpmpi_block_t){d->ioff, sizeof(int)};
            if (dt_pair_blocks[i][0].len == (size_t)d->ioff) { /* no padding between */
                t->one = (bpmpi_block_t){0, d->size};
                t->blocks = &t->one;
                t->nblocks = 1;
            } else {
                t->blocks = dt_pair_blocks[i];
                t->nblocks = 2;
            }
            t->true_ub = d->ioff + (MPI_Aint)sizeof(int);
        } else {
            t->one = (bpmpi_block_t){0, d->size};
            t->blocks = &t->one;
            t->nblocks = 1;
        }
        t->contig = (t->nblocks == 1 && t->size == d->extent);
        bpmpi_dt_set_fast(t);
    }
}

void bpmpi_dt_set_fast(MPI_Datatype dt)
{
    dt->fast = dt->committed && dt->contig && dt->size <= UINT32_MAX;
    dt->fast_off = dt->nblocks > 0 ? dt->blocks[0].off : 0;
}

int bpmpi_dt_check(MPI_Datatype dt)
{
    if (BPMPI_UNLIKELY(dt == MPI_DATATYPE_NULL || !dt->committed)) {
        return MPI_ERR_TYPE;
    }
    return MPI_SUCCESS;
}

int bpmpi_dt_bytes(MPI_Datatype dt, int count, size_t *bytes_p)
{
    size_t bytes;

    if (BPMPI_UNLIKELY(count < 0 || __builtin_mul_overflow((size_t)count, dt->size, &bytes) ||
                       bytes > (size_t)PTRDIFF_MAX)) {
        return MPI_ERR_COUNT;
    }
    *bytes_p = bytes;
    return MPI_SUCCESS;
}

MPI_Datatype bpmpi_dt_retain(MPI_Datatype dt)
{
    if (!dt->predef) {
        dt->refs++;
    }
    return dt;
}

void bpmpi_dt_release(MPI_Datatype dt)
{
    if (dt != MPI_DATATYPE_NULL && !dt->predef && --dt->refs == 0) {
        free(dt->blocks);
        free(dt);
    }
}

void bpmpi_dt_pack(const void *buf, int count, MPI_Datatype dt, void *out)
{
    char *o = out;
    const char *b = buf;

    if (bpmpi_dt_contig(dt, count)) {
        memcpy(o, bpmpi_dt_base(buf, dt), (size_t)count * dt->size);
        return;
    }
    for (int i = 0; i < count; i++, b += dt->extent) {
        for (int k = 0; k < dt->nblocks; k++) {
            memcpy(o, b + dt->blocks[k].off, dt->blocks[k].len);
            o += dt->blocks[k].len;
        }
    }
}

/* Unpacks bytes (at most the buffer's count elements; a partial last element too). */
void bpmpi_dt_unpack(const void *in, size_t bytes, void *buf, MPI_Datatype dt)
{
    const char *p = in;
    char *b = buf;

    if (dt->size == 0) {
        return;
    }
    if (dt->contig) {
        memcpy(bpmpi_dt_base(buf, dt), p, bytes);
        return;
    }
    while (bytes > 0) {
        for (int k = 0; k < dt->nblocks && bytes > 0; k++) {
            size_t n = dt->blocks[k].len < bytes ? dt->blocks[k].len : bytes;
            memcpy(b + dt->blocks[k].off, p, n);
            p += n;
            bytes -= n;
        }
        b += dt->extent;
    }
}

/* --- construction ---------------------------------------------------------------------- */

/* A type under construction. */
typedef struct dt_build {
    struct bpmpi_datatype *t;
    size_t cap;
    bool have_bounds;
    bool first_piece;
} dt_build_t;

static int dt_build_start(dt_build_t *b)
{
    b->t = calloc(1, sizeof(*b->t));
    if (b->t == NULL) {
        return MPI_ERR_NO_MEM;
    }
    b->t->refs = 1;
    b->t->basic = -1;
    b->t->align = 1;
    b->cap = 0;
    b->have_bounds = false;
    b->first_piece = true;
    return MPI_SUCCESS;
}

static int dt_block_add(dt_build_t *b, MPI_Aint off, size_t len)
{
    struct bpmpi_datatype *t = b->t;

    if (len == 0) {
        return MPI_SUCCESS;
    }
    if (t->nblocks > 0) {
        bpmpi_block_t *last = &t->blocks[t->nblocks - 1];
        if (last->off + (MPI_Aint)last->len == off) {
            last->len += len;
            return MPI_SUCCESS;
        }
    }
    if ((size_t)t->nblocks == b->cap) {
        size_t cap = b->cap ? b->cap * 2 : 4;
        bpmpi_block_t *nb;
        if (cap > INT_MAX) {
            return MPI_ERR_COUNT;
        }
        nb = realloc(t->blocks, cap * sizeof(*nb));
        if (nb == NULL) {
            return MPI_ERR_NO_MEM;
        }
        t->blocks = nb;
        b->cap = cap;
    }
    t->blocks[t->nblocks++] = (bpmpi_block_t){off, len};
    return MPI_SUCCESS;
}

/* Appends n consecutive elements of old at displacement disp. */
static int dt_piece_add(dt_build_t *b, MPI_Aint disp, int n, MPI_Datatype old)
{
    struct bpmpi_datatype *t = b->t;
    int err;

    if (n < 0) {
        return MPI_ERR_COUNT;
    }
    if (b->first_piece) {
        t->basic = old->basic;
        b->first_piece = false;
    } else if (t->basic != old->basic) {
        t->basic = -1;
    }
    if (old->align > t->align) {
        t->align = old->align;
    }
    if (n == 0) {
        return MPI_SUCCESS;
    }
    for (int k = 0; k < n; k++) {
        MPI_Aint base = disp + (MPI_Aint)k * old->extent;
        MPI_Aint lo = base + old->lb, hi = base + old->lb + old->extent;
        if (!b->have_bounds) {
            t->lb = lo;
            t->true_lb = lo; /* replaced by the blocks' bounds at the end */
            t->extent = hi; /* holds ub until dt_build_end */
            b->have_bounds = true;
        } else {
            t->lb = lo < t->lb ? lo : t->lb;
            t->extent = hi > t->extent ? hi : t->extent;
        }
        for (int j = 0; j < old->nblocks; j++) {
            if ((err = dt_block_add(b, base + old->blocks[j].off, old->blocks[j].len)) != 0) {
                return err;
            }
        }
        if (__builtin_add_overflow(t->size, old->size, &t->size)) {
            return MPI_ERR_COUNT;
        }
        t->nbasic += old->nbasic;
    }
    return MPI_SUCCESS;
}

/* Finishes the type: extent (padded to the alignment for structs), true bounds, flags. */
static MPI_Datatype dt_build_end(dt_build_t *b, bool pad)
{
    struct bpmpi_datatype *t = b->t;
    MPI_Aint ub = t->extent;

    if (!b->have_bounds) {
        t->lb = 0;
        ub = 0;
    }
    if (pad && t->align > 1) {
        MPI_Aint span = ub - t->lb, a = (MPI_Aint)t->align;
        if (span % a != 0) {
            ub += a - span % a;
        }
    }
    t->extent = ub - t->lb;
    if (t->nblocks > 0) {
        t->true_lb = t->blocks[0].off;
        t->true_ub = t->blocks[0].off + (MPI_Aint)t->blocks[0].len;
        for (int j = 1; j < t->nblocks; j++) {
            MPI_Aint lo = t->blocks[j].off, hi = lo + (MPI_Aint)t->blocks[j].len;
            t->true_lb = lo < t->true_lb ? lo : t->true_lb;
            t->true_ub = hi > t->true_ub ? hi : t->true_ub;
        }
    } else {
        t->true_lb = t->true_ub = 0;
    }
    t->contig = t->nblocks == 0 || (t->nblocks == 1 && (MPI_Aint)t->size == t->extent);
    t->name = "derived";
    return t;
}

static void dt_build_abort(dt_build_t *b)
{
    free(b->t->blocks);
    free(b->t);
}

static int dt_args_check(const char *call, int count, MPI_Datatype old, MPI_Datatype *newtype)
{
    BPMPI_CHECK_INIT(call);
    if (old == MPI_DATATYPE_NULL) {
        return bpmpi_error(MPI_COMM_WORLD, MPI_ERR_TYPE, call);
    }
    if (count < 0) {
        return bpmpi_error(MPI_COMM_WORLD, MPI_ERR_COUNT, call);
    }
    if (newtype == NULL) {
        return bpmpi_error(MPI_COMM_WORLD, MPI_ERR_ARG, call);
    }
    return MPI_SUCCESS;
}

/* hindexed is the general form: every other constructor calls it (struct aside). */
static int dt_hindexed(const char *call, int count, const int *blens, const MPI_Aint *disps,
                       MPI_Aint disp_unit_stride, MPI_Aint stride, int fixed_blen,
                       MPI_Datatype old, MPI_Datatype *newtype)
{
    dt_build_t b;
    int err = dt_args_check(call, count, old, newtype);

    if (err != MPI_SUCCESS) {
        return err;
    }
    if ((err = dt_build_start(&b)) != MPI_SUCCESS) {
        return bpmpi_error(MPI_COMM_WORLD, err, call);
    }
    for (int i = 0; i < count; i++) {
        MPI_Aint disp = (disps != NULL) ? disps[i] * disp_unit_stride : (MPI_Aint)i * stride;
        int blen = (blens != NULL) ? blens[i] : fixed_blen;
        if ((err = dt_piece_add(&b, disp, blen, old)) != MPI_SUCCESS) {
            dt_build_abort(&b);
            return bpmpi_error(MPI_COMM_WORLD, err, call);
        }
    }
    *newtype = dt_build_end(&b, false);
    return MPI_SUCCESS;
}

int MPI_Type_contiguous(int count, MPI_Datatype oldtype, MPI_Datatype *newtype)
{
    return dt_hindexed("MPI_Type_contiguous", 1, NULL, NULL, 0, 0, count, oldtype, newtype);
}

int MPI_Type_vector(int count, int blocklength, int stride, MPI_Datatype oldtype,
                    MPI_Datatype *newtype)
{
    if (oldtype == MPI_DATATYPE_NULL) {
        return dt_args_check("MPI_Type_vector", count, oldtype, newtype);
    }
    return dt_hindexed("MPI_Type_vector", count, NULL, NULL, 0,
                       (MPI_Aint)stride * oldtype->extent, blocklength, oldtype, newtype);
}

int MPI_Type_create_hvector(int count, int blocklength, MPI_Aint stride, MPI_Datatype oldtype,
                            MPI_Datatype *newtype)
{
    return dt_hindexed("MPI_Type_create_hvector", count, NULL, NULL, 0, stride, blocklength,
                       oldtype, newtype);
}

int MPI_Type_indexed(int count, const int array_of_blocklengths[],
                     const int array_of_displacements[], MPI_Datatype oldtype,
                     MPI_Datatype *newtype)
{
    MPI_Aint *disps;
    int err;

    if ((err = dt_args_check("MPI_Type_indexed", count, oldtype, newtype)) != MPI_SUCCESS) {
        return err;
    }
    if (count > 0 && (array_of_blocklengths == NULL || array_of_displacements == NULL)) {
        return bpmpi_error(MPI_COMM_WORLD, MPI_ERR_ARG, "MPI_Type_indexed");
    }
    disps = malloc(((size_t)count + 1) * sizeof(*disps));
    if (disps == NULL) {
        return bpmpi_error(MPI_COMM_WORLD, MPI_ERR_NO_MEM, "MPI_Type_indexed");
    }
    for (int i = 0; i < count; i++) {
        disps[i] = array_of_displacements[i];
    }
    err = dt_hindexed("MPI_Type_indexed", count, array_of_blocklengths, disps, oldtype->extent,
                      0, 0, oldtype, newtype);
    free(disps);
    return err;
}

int MPI_Type_create_hindexed(int count, const int array_of_blocklengths[],
                             const MPI_Aint array_of_displacements[], MPI_Datatype oldtype,
                             MPI_Datatype *newtype)
{
    if (count > 0 && (array_of_blocklengths == NULL || array_of_displacements == NULL)) {
        return bpmpi_error(MPI_COMM_WORLD, MPI_ERR_ARG, "MPI_Type_create_hindexed");
    }
    return dt_hindexed("MPI_Type_create_hindexed", count, array_of_blocklengths,
                       array_of_displacements, 1, 0, 0, oldtype, newtype);
}

int MPI_Type_create_struct(int count, const int array_of_blocklengths[],
                           const MPI_Aint array_of_displacements[],
                           const MPI_Datatype array_of_types[], MPI_Datatype *newtype)
{
    static const char call[] = "MPI_Type_create_struct";
    dt_build_t b;
    int err;

    BPMPI_CHECK_INIT(call);
    if (count < 0) {
        return bpmpi_error(MPI_COMM_WORLD, MPI_ERR_COUNT, call);
    }
    if (newtype == NULL || (count > 0 && (array_of_blocklengths == NULL ||
                                          array_of_displacements == NULL ||
                                          array_of_types == NULL))) {
        return bpmpi_error(MPI_COMM_WORLD, MPI_ERR_ARG, call);
    }
    for (int i = 0; i < count; i++) {
        if (array_of_types[i] == MPI_DATATYPE_NULL) {
            return bpmpi_error(MPI_COMM_WORLD, MPI_ERR_TYPE, call);
        }
    }
    if ((err = dt_build_start(&b)) != MPI_SUCCESS) {
        return bpmpi_error(MPI_COMM_WORLD, err, call);
    }
    for (int i = 0; i < count; i++) {
        err = dt_piece_add(&b, array_of_displacements[i], array_of_blocklengths[i],
                           array_of_types[i]);
        if (err != MPI_SUCCESS) {
            dt_build_abort(&b);
            return bpmpi_error(MPI_COMM_WORLD, err, call);
        }
    }
    *newtype = dt_build_end(&b, true);
    return MPI_SUCCESS;
}

int MPI_Type_create_resized(MPI_Datatype oldtype, MPI_Aint lb, MPI_Aint extent,
                            MPI_Datatype *newtype)
{
    int err = dt_hindexed("MPI_Type_create_resized", 1, NULL, NULL, 0, 0, 1, oldtype, newtype);

    if (err == MPI_SUCCESS) {
        struct bpmpi_datatype *t = *newtype;
        t->lb = lb;
        t->extent = extent;
        t->contig = t->nblocks == 0 || (t->nblocks == 1 && (MPI_Aint)t->size == extent);
    }
    return err;
}

int MPI_Type_dup(MPI_Datatype oldtype, MPI_Datatype *newtype)
{
    int err = dt_hindexed("MPI_Type_dup", 1, NULL, NULL, 0, 0, 1, oldtype, newtype);

    if (err == MPI_SUCCESS) {
        (*newtype)->lb = oldtype->lb;
        (*newtype)->extent = oldtype->extent;
        (*newtype)->contig = oldtype->contig;
        (*newtype)->committed = oldtype->committed;
        bpmpi_dt_set_fast(*newtype);
    }
    return err;
}

int MPI_Type_commit(MPI_Datatype *datatype)
{
    BPMPI_CHECK_INIT("MPI_Type_commit");
    if (datatype == NULL || *datatype == MPI_DATATYPE_NULL) {
        return bpmpi_error(MPI_COMM_WORLD, MPI_ERR_TYPE, "MPI_Type_commit");
    }
    (*datatype)->committed = 1;
    bpmpi_dt_set_fast(*datatype);
    return MPI_SUCCESS;
}

int MPI_Type_free(MPI_Datatype *datatype)
{
    BPMPI_CHECK_INIT("MPI_Type_free");
    if (datatype == NULL || *datatype == MPI_DATATYPE_NULL || (*datatype)->predef) {
        return bpmpi_error(MPI_COMM_WORLD, MPI_ERR_TYPE, "MPI_Type_free");
    }
    bpmpi_dt_release(*datatype); /* pending requests hold their own reference */
    *datatype = MPI_DATATYPE_NULL;
    return MPI_SUCCESS;
}

int MPI_Type_set_name(MPI_Datatype datatype, const char *type_name)
{
    BPMPI_CHECK_INIT("MPI_Type_set_name");
    if (datatype == MPI_DATATYPE_NULL) {
        return bpmpi_error(MPI_COMM_WORLD, MPI_ERR_TYPE, "MPI_Type_set_name");
    }
    if (type_name == NULL) {
        return bpmpi_error(MPI_COMM_WORLD, MPI_ERR_ARG, "MPI_Type_set_name");
    }
    snprintf(datatype->uname, sizeof(datatype->uname), "%s", type_name);
    return MPI_SUCCESS;
}

/* A predefined type is named as in mpi.h ("MPI_INT"); a derived one has no name ("") until
 * Type_set_name gives it one (MPI-3.1 6.8). */
int MPI_Type_get_name(MPI_Datatype datatype, char *type_name, int *resultlen)
{
    const char *n;

    BPMPI_CHECK_INIT("MPI_Type_get_name");
    if (datatype == MPI_DATATYPE_NULL) {
        return bpmpi_error(MPI_COMM_WORLD, MPI_ERR_TYPE, "MPI_Type_get_name");
    }
    if (type_name == NULL || resultlen == NULL) {
        return bpmpi_error(MPI_COMM_WORLD, MPI_ERR_ARG, "MPI_Type_get_name");
    }
    n = datatype->uname[0] != '\0' ? datatype->uname
        : datatype->predef         ? datatype->name
                                   : "";
    snprintf(type_name, MPI_MAX_OBJECT_NAME, "%s", n);
    *resultlen = (int)strlen(type_name);
    return MPI_SUCCESS;
}

int MPI_Type_size(MPI_Datatype datatype, int *size)
{
    BPMPI_CHECK_INIT("MPI_Type_size");
    if (datatype == MPI_DATATYPE_NULL) {
        return bpmpi_error(MPI_COMM_WORLD, MPI_ERR_TYPE, "MPI_Type_size");
    }
    if (size == NULL) {
        return bpmpi_error(MPI_COMM_WORLD, MPI_ERR_ARG, "MPI_Type_size");
    }
    *size = datatype->size > INT_MAX ? MPI_UNDEFINED : (int)datatype->size;
    return MPI_SUCCESS;
}

int MPI_Type_get_extent(MPI_Datatype datatype, MPI_Aint *lb, MPI_Aint *extent)
{
    BPMPI_CHECK_INIT("MPI_Type_get_extent");
    if (datatype == MPI_DATATYPE_NULL) {
        return bpmpi_error(MPI_COMM_WORLD, MPI_ERR_TYPE, "MPI_Type_get_extent");
    }
    if (lb == NULL || extent == NULL) {
        return bpmpi_error(MPI_COMM_WORLD, MPI_ERR_ARG, "MPI_Type_get_extent");
    }
    *lb = datatype->lb;
    *extent = datatype->extent;
    return MPI_SUCCESS;
}

int MPI_Type_get_true_extent(MPI_Datatype datatype, MPI_Aint *true_lb, MPI_Aint *true_extent)
{
    BPMPI_CHECK_INIT("MPI_Type_get_true_extent");
    if (datatype == MPI_DATATYPE_NULL) {
        return bpmpi_error(MPI_COMM_WORLD, MPI_ERR_TYPE, "MPI_Type_get_true_extent");
    }
    if (true_lb == NULL || true_extent == NULL) {
        return bpmpi_error(MPI_COMM_WORLD, MPI_ERR_ARG, "MPI_Type_get_true_extent");
    }
    *true_lb = datatype->true_lb;
    *true_extent = datatype->true_ub - datatype->true_lb;
    return MPI_SUCCESS;
}

int MPI_Get_address(const void *location, MPI_Aint *address)
{
    if (address == NULL) {
        return bpmpi_error(MPI_COMM_WORLD, MPI_ERR_ARG, "MPI_Get_address");
    }
    *address = (MPI_Aint)(intptr_t)location;
    return MPI_SUCCESS;
}

int MPI_Get_count(const MPI_Status *status, MPI_Datatype datatype, int *count)
{
    size_t n;

    /* the common case first: bytes, one compare */
    if (BPMPI_LIKELY(datatype == MPI_BYTE && status != NULL && count != NULL &&
                     status->bpmpi_count <= INT_MAX)) {
        *count = (int)status->bpmpi_count;
        return MPI_SUCCESS;
    }
    if (status == NULL || count == NULL) {
        return bpmpi_error(MPI_COMM_WORLD, MPI_ERR_ARG, "MPI_Get_count");
    }
    if (datatype == MPI_DATATYPE_NULL) {
        return bpmpi_error(MPI_COMM_WORLD, MPI_ERR_TYPE, "MPI_Get_count");
    }
    if (datatype->size == 0) {
        *count = 0;
        return MPI_SUCCESS;
    }
    n = status->bpmpi_count / datatype->size;
    *count = (status->bpmpi_count % datatype->size != 0 || n > INT_MAX) ? MPI_UNDEFINED : (int)n;
    return MPI_SUCCESS;
}

int MPI_Get_elements(const MPI_Status *status, MPI_Datatype datatype, int *count)
{
    size_t n;

    if (status == NULL || count == NULL) {
        return bpmpi_error(MPI_COMM_WORLD, MPI_ERR_ARG, "MPI_Get_elements");
    }
    if (datatype == MPI_DATATYPE_NULL) {
        return bpmpi_error(MPI_COMM_WORLD, MPI_ERR_TYPE, "MPI_Get_elements");
    }
    if (datatype->basic < 0 || datatype->nbasic == 0) {
        /* mixed basic types: whole elements only */
        return MPI_Get_count(status, datatype, count);
    }
    n = status->bpmpi_count / (datatype->size / datatype->nbasic);
    *count = n > INT_MAX ? MPI_UNDEFINED : (int)n;
    return MPI_SUCCESS;
}

/* --- Pack / Unpack --------------------------------------------------------------------- */

int MPI_Pack_size(int incount, MPI_Datatype datatype, MPI_Comm comm, int *size)
{
    size_t bytes;
    int err;

    BPMPI_CHECK_INIT("MPI_Pack_size");
    if ((err = bpmpi_dt_check(datatype)) != MPI_SUCCESS) {
        return bpmpi_error(comm, err, "MPI_Pack_size");
    }
    if (size == NULL) {
        return bpmpi_error(comm, MPI_ERR_ARG, "MPI_Pack_size");
    }
    if ((err = bpmpi_dt_bytes(datatype, incount, &bytes)) != MPI_SUCCESS || bytes > INT_MAX) {
        return bpmpi_error(comm, MPI_ERR_COUNT, "MPI_Pack_size");
    }
    *size = (int)bytes;
    return MPI_SUCCESS;
}

int MPI_Pack(const void *inbuf, int incount, MPI_Datatype datatype, void *outbuf, int outsize,
             int *position, MPI_Comm comm)
{
    size_t bytes;
    int err;

    BPMPI_CHECK_INIT("MPI_Pack");
    if ((err = bpmpi_dt_check(datatype)) != MPI_SUCCESS) {
        return bpmpi_error(comm, err, "MPI_Pack");
    }
    if ((err = bpmpi_dt_bytes(datatype, incount, &bytes)) != MPI_SUCCESS || outsize < 0) {
        return bpmpi_error(comm, MPI_ERR_COUNT, "MPI_Pack");
    }
    if (position == NULL || *position < 0 || (bytes > 0 && (outbuf == NULL || inbuf == NULL))) {
        return bpmpi_error(comm, MPI_ERR_ARG, "MPI_Pack");
    }
    if (bytes > (size_t)(outsize - *position) || *position > outsize) {
        return bpmpi_error(comm, MPI_ERR_TRUNCATE, "MPI_Pack");
    }
    bpmpi_dt_pack(inbuf, incount, datatype, (char *)outbuf + *position);
    *position += (int)bytes;
    return MPI_SUCCESS;
}

int MPI_Unpack(const void *inbuf, int insize, int *position, void *outbuf, int outcount,
               MPI_Datatype datatype, MPI_Comm comm)
{
    size_t bytes;
    int err;

    BPMPI_CHECK_INIT("MPI_Unpack");
    if ((err = bpmpi_dt_check(datatype)) != MPI_SUCCESS) {
        return bpmpi_error(comm, err, "MPI_Unpack");
    }
    if ((err = bpmpi_dt_bytes(datatype, outcount, &bytes)) != MPI_SUCCESS || insize < 0) {
        return bpmpi_error(comm, MPI_ERR_COUNT, "MPI_Unpack");
    }
    if (position == NULL || *position < 0 || (bytes > 0 && (outbuf == NULL || inbuf == NULL))) {
        return bpmpi_error(comm, MPI_ERR_ARG, "MPI_Unpack");
    }
    if (*position > insize || bytes > (size_t)(insize - *position)) {
        return bpmpi_error(comm, MPI_ERR_TRUNCATE, "MPI_Unpack");
    }
    bpmpi_dt_unpack((const char *)inbuf + *position, bytes, outbuf, datatype);
    *position += (int)bytes;
    return MPI_SUCCESS;
}
