/*
 * mpi_comm.c - communicators and groups. A communicator is a context id (carried in every
 * native tag, so messages of two communicators never match each other) and the table of its
 * members' world ranks. A new communicator's context id is agreed by an allreduce (MAX) of
 * every member's lowest never-used id over the parent: every rank that took part moves past
 * it, so two communicators can share an id only when no process belongs to both (the
 * disjoint results of one Comm_split do, which is harmless: no message can cross them).
 * Ids are not reused; 2^28 creations per job is the limit (MPI_ERR_INTERN beyond).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mpi_impl.h"

struct bpmpi_comm bpmpi_comm_world, bpmpi_comm_self;
struct bpmpi_group bpmpi_group_empty = {.refs = 1, .predef = 1, .size = 0, .world = NULL};

/* Groups made and not freed yet: programs often never free the groups they ask for (IMB
 * does not), and MPI_Finalize frees them, as MPI implementations' object pools do. */
static struct bpmpi_group *live_groups;

static void group_unlink(struct bpmpi_group *g)
{
    if (g->live_prev != NULL) {
        g->live_prev->live_next = g->live_next;
    } else {
        live_groups = g->live_next;
    }
    if (g->live_next != NULL) {
        g->live_next->live_prev = g->live_prev;
    }
}

/* Makes a communicator of the given members (world ranks, in comm rank order). */
static int comm_make(uint32_t ctx, const int *world, int n, MPI_Comm *comm_p)
{
    struct bpmpi_comm *c = calloc(1, sizeof(*c));

    if (c == NULL) {
        return MPI_ERR_NO_MEM;
    }
    c->world = malloc((size_t)(n > 0 ? n : 1) * sizeof(int));
    c->local = malloc((size_t)bpmpi.size * sizeof(int));
    if (c->world == NULL || c->local == NULL) {
        free(c->world);
        free(c->local);
        free(c);
        return MPI_ERR_NO_MEM;
    }
    for (int w = 0; w < bpmpi.size; w++) {
        c->local[w] = -1;
    }
    c->rank = MPI_UNDEFINED;
    for (int i = 0; i < n; i++) {
        c->world[i] = world[i];
        c->local[world[i]] = i;
        if (world[i] == bpmpi.rank) {
            c->rank = i;
        }
    }
    c->ctx = ctx;
    c->p2p_tag = bpmpi_tag(BPMPI_KIND_P2P, ctx, 0);
    c->size = n;
    c->eh = MPI_ERRORS_ARE_FATAL;
    *comm_p = c;
    return MPI_SUCCESS;
}

static void comm_destroy(struct bpmpi_comm *c)
{
    if (c->group != NULL) {
        (void)bp_group_free(&c->group); /* local: the others free theirs in their own time */
    }
    bpmpi_topo_free(c);
    free(c->world);
    free(c->local);
    c->world = c->local = NULL;
}

void bpmpi_comm_init_predef(void)
{
    struct bpmpi_comm *w = &bpmpi_comm_world, *s = &bpmpi_comm_self;
    MPI_Comm tmp;

    /* built by comm_make, then copied into the exported objects */
    if (comm_make(0, NULL, 0, &tmp) != MPI_SUCCESS) {
        bpmpi_fatal("out of memory in MPI_Init");
    }
    free(tmp->world);
    tmp->world = malloc((size_t)bpmpi.size * sizeof(int));
    if (tmp->world == NULL) {
        bpmpi_fatal("out of memory in MPI_Init");
    }
    for (int i = 0; i < bpmpi.size; i++) {
        tmp->world[i] = i;
        tmp->local[i] = i;
    }
    tmp->rank = bpmpi.rank;
    tmp->size = bpmpi.size;
    *w = *tmp;
    w->predef = 1;
    strcpy(w->name, "MPI_COMM_WORLD");
    free(tmp);
    if (comm_make(1, &bpmpi.rank, 1, &tmp) != MPI_SUCCESS) {
        bpmpi_fatal("out of memory in MPI_Init");
    }
    *s = *tmp;
    s->predef = 1;
    strcpy(s->name, "MPI_COMM_SELF");
    free(tmp);
}

int MPI_Comm_set_name(MPI_Comm comm, const char *comm_name)
{
    BPMPI_CHECK_INIT("MPI_Comm_set_name");
    if (!bpmpi_comm_ok(comm)) {
        return bpmpi_error(MPI_COMM_WORLD, MPI_ERR_COMM, "MPI_Comm_set_name");
    }
    if (comm_name == NULL) {
        return bpmpi_error(comm, MPI_ERR_ARG, "MPI_Comm_set_name");
    }
    /* longer names are cut (MPI-3.1 6.8) */
    snprintf(comm->name, sizeof(comm->name), "%s", comm_name);
    return MPI_SUCCESS;
}

int MPI_Comm_get_name(MPI_Comm comm, char *comm_name, int *resultlen)
{
    BPMPI_CHECK_INIT("MPI_Comm_get_name");
    if (!bpmpi_comm_ok(comm)) {
        return bpmpi_error(MPI_COMM_WORLD, MPI_ERR_COMM, "MPI_Comm_get_name");
    }
    if (comm_name == NULL || resultlen == NULL) {
        return bpmpi_error(comm, MPI_ERR_ARG, "MPI_Comm_get_name");
    }
    strcpy(comm_name, comm->name);
    *resultlen = (int)strlen(comm->name);
    return MPI_SUCCESS;
}

void bpmpi_comm_fini_predef(void)
{
    while (live_groups != NULL) {
        struct bpmpi_group *g = live_groups;
        group_unlink(g);
        free(g->world);
        free(g);
    }
    comm_destroy(&bpmpi_comm_world);
    comm_destroy(&bpmpi_comm_self);
}

/*
 * A new communicator of some of the job's ranks (2 or more; one of all of them shares the
 * job's collectives, mpi_coll.c) gets native collectives of its own when the job's go
 * through shared memory: a channel of the segment, lent by its rank 0 to all its members
 * (bp_group_create, collective over them, keyed by the context id every member agreed
 * on). BP_ERR_NOTSUP (every channel lent) leaves it to the message algorithms, on every
 * member alike.
 */
static int comm_native_group(MPI_Comm c)
{
    bp_status_t st;

    if (c->size < 2 || c->size >= bpmpi.size || bpmpi.shm_allreduce_max == 0) {
        return MPI_SUCCESS;
    }
    st = bp_group_create(bpmpi.ctx, c->world, c->size, c->ctx, &c->group);
    return st == BP_OK || st == BP_ERR_NOTSUP ? MPI_SUCCESS : bpmpi_from_status(st);
}

/* comm_make, then its native group: every member calls it at the same point. */
static int comm_make_member(uint32_t ctx, const int *world, int n, MPI_Comm *comm_p)
{
    int err = comm_make(ctx, world, n, comm_p);

    if (err == MPI_SUCCESS && (err = comm_native_group(*comm_p)) != MPI_SUCCESS) {
        comm_destroy(*comm_p);
        free(*comm_p);
        *comm_p = MPI_COMM_NULL;
    }
    return err;
}

/* The next context id, agreed over parent (collective over parent). */
static int comm_ctx_agree(MPI_Comm parent, uint32_t *ctx_p)
{
    unsigned v = bpmpi.next_ctx;
    int err = bpmpi_allreduce_raw(&v, 1, MPI_UNSIGNED, MPI_MAX, parent);

    if (err != MPI_SUCCESS) {
        return err;
    }
    if (v > BPMPI_CTX_MAX) {
        return MPI_ERR_INTERN; /* 2^28 communicators created: out of context ids */
    }
    bpmpi.next_ctx = v + 1;
    *ctx_p = v;
    return MPI_SUCCESS;
}

int MPI_Comm_rank(MPI_Comm comm, int *rank)
{
    BPMPI_CHECK_INIT("MPI_Comm_rank");
    if (BPMPI_UNLIKELY(!bpmpi_comm_ok(comm))) {
        return bpmpi_error(MPI_COMM_WORLD, MPI_ERR_COMM, "MPI_Comm_rank");
    }
    if (BPMPI_UNLIKELY(rank == NULL)) {
        return bpmpi_error(comm, MPI_ERR_ARG, "MPI_Comm_rank");
    }
    *rank = comm->rank;
    return MPI_SUCCESS;
}

int MPI_Comm_size(MPI_Comm comm, int *size)
{
    BPMPI_CHECK_INIT("MPI_Comm_size");
    if (BPMPI_UNLIKELY(!bpmpi_comm_ok(comm))) {
        return bpmpi_error(MPI_COMM_WORLD, MPI_ERR_COMM, "MPI_Comm_size");
    }
    if (BPMPI_UNLIKELY(size == NULL)) {
        return bpmpi_error(comm, MPI_ERR_ARG, "MPI_Comm_size");
    }
    *size = comm->size;
    return MPI_SUCCESS;
}

int MPI_Comm_dup(MPI_Comm comm, MPI_Comm *newcomm)
{
    uint32_t ctx;
    int err;

    BPMPI_CHECK_INIT("MPI_Comm_dup");
    if (!bpmpi_comm_ok(comm)) {
        return bpmpi_error(MPI_COMM_WORLD, MPI_ERR_COMM, "MPI_Comm_dup");
    }
    if (newcomm == NULL) {
        return bpmpi_error(comm, MPI_ERR_ARG, "MPI_Comm_dup");
    }
    if ((err = comm_ctx_agree(comm, &ctx)) != MPI_SUCCESS ||
        (err = comm_make_member(ctx, comm->world, comm->size, newcomm)) != MPI_SUCCESS) {
        return bpmpi_error(comm, err, "MPI_Comm_dup");
    }
    (*newcomm)->eh = comm->eh; /* MPI: the error handler is duplicated too */
    if ((err = bpmpi_topo_copy(*newcomm, comm)) != MPI_SUCCESS) { /* and the topology */
        comm_destroy(*newcomm);
        free(*newcomm);
        *newcomm = MPI_COMM_NULL;
        return bpmpi_error(comm, err, "MPI_Comm_dup");
    }
    return MPI_SUCCESS;
}

typedef struct comm_split_entry {
    int color, key, rank;
} comm_split_entry_t;

static int comm_split_cmp(const void *a, const void *b)
{
    const comm_split_entry_t *x = a, *y = b;

    if (x->key != y->key) {
        return x->key < y->key ? -1 : 1;
    }
    return (x->rank > y->rank) - (x->rank < y->rank);
}

int MPI_Comm_split(MPI_Comm comm, int color, int key, MPI_Comm *newcomm)
{
    comm_split_entry_t *all = NULL;
    int *members = NULL, n = 0, err, mine[2] = {color, key}, *pairs = NULL;
    uint32_t ctx;

    BPMPI_CHECK_INIT("MPI_Comm_split");
    if (!bpmpi_comm_ok(comm)) {
        return bpmpi_error(MPI_COMM_WORLD, MPI_ERR_COMM, "MPI_Comm_split");
    }
    if (newcomm == NULL || (color < 0 && color != MPI_UNDEFINED)) {
        return bpmpi_error(comm, MPI_ERR_ARG, "MPI_Comm_split");
    }
    pairs = malloc((size_t)comm->size * 2 * sizeof(int));
    all = malloc((size_t)comm->size * sizeof(*all));
    members = malloc((size_t)comm->size * sizeof(int));
    if (pairs == NULL || all == NULL || members == NULL) {
        err = MPI_ERR_NO_MEM;
        goto out;
    }
    if ((err = MPI_Allgather(mine, 2, MPI_INT, pairs, 2, MPI_INT, comm)) != MPI_SUCCESS) {
        goto out;
    }
    if ((err = comm_ctx_agree(comm, &ctx)) != MPI_SUCCESS) {
        goto out;
    }
    if (color == MPI_UNDEFINED) {
        *newcomm = MPI_COMM_NULL;
        goto out;
    }
    for (int i = 0; i < comm->size; i++) {
        if (pairs[2 * i] == color) {
            all[n++] = (comm_split_entry_t){color, pairs[2 * i + 1], i};
        }
    }
    /* MPI: ordered by key, ties by rank in the parent */
    qsort(all, (size_t)n, sizeof(*all), comm_split_cmp);
    for (int i = 0; i < n; i++) {
        members[i] = comm->world[all[i].rank];
    }
    err = comm_make_member(ctx, members, n, newcomm);
    if (err == MPI_SUCCESS) {
        (*newcomm)->eh = comm->eh;
    }
out:
    free(pairs);
    free(all);
    free(members);
    return bpmpi_error(comm, err, "MPI_Comm_split");
}

/* MPI_COMM_TYPE_SHARED: the ranks of one host (same host name), as a Comm_split whose
 * colour is the lowest rank of comm on this host. */
int MPI_Comm_split_type(MPI_Comm comm, int split_type, int key, MPI_Info info,
                        MPI_Comm *newcomm)
{
    char *names;
    int color = MPI_UNDEFINED, err;

    BPMPI_CHECK_INIT("MPI_Comm_split_type");
    if (!bpmpi_comm_ok(comm)) {
        return bpmpi_error(MPI_COMM_WORLD, MPI_ERR_COMM, "MPI_Comm_split_type");
    }
    if (split_type != MPI_COMM_TYPE_SHARED && split_type != MPI_UNDEFINED) {
        return bpmpi_error(comm, MPI_ERR_ARG, "MPI_Comm_split_type");
    }
    names = calloc((size_t)comm->size, MPI_MAX_PROCESSOR_NAME);
    if (names == NULL) {
        return bpmpi_error(comm, MPI_ERR_NO_MEM, "MPI_Comm_split_type");
    }
    {
        char mine[MPI_MAX_PROCESSOR_NAME] = {0};
        int len;
        MPI_Get_processor_name(mine, &len);
        err = MPI_Allgather(mine, MPI_MAX_PROCESSOR_NAME, MPI_CHAR, names,
                            MPI_MAX_PROCESSOR_NAME, MPI_CHAR, comm);
    }
    if (err == MPI_SUCCESS && split_type == MPI_COMM_TYPE_SHARED) {
        for (int i = 0; i < comm->size && color == MPI_UNDEFINED; i++) {
            if (strncmp(names + (size_t)i * MPI_MAX_PROCESSOR_NAME,
                        names + (size_t)comm->rank * MPI_MAX_PROCESSOR_NAME,
                        MPI_MAX_PROCESSOR_NAME) == 0) {
                color = i;
            }
        }
    }
    free(names);
    if (err != MPI_SUCCESS) {
        return err;
    }
    return MPI_Comm_split(comm, color, key, newcomm);
}

int MPI_Comm_create(MPI_Comm comm, MPI_Group group, MPI_Comm *newcomm)
{
    uint32_t ctx;
    int err;

    BPMPI_CHECK_INIT("MPI_Comm_create");
    if (!bpmpi_comm_ok(comm)) {
        return bpmpi_error(MPI_COMM_WORLD, MPI_ERR_COMM, "MPI_Comm_create");
    }
    if (group == MPI_GROUP_NULL) {
        return bpmpi_error(comm, MPI_ERR_GROUP, "MPI_Comm_create");
    }
    if (newcomm == NULL) {
        return bpmpi_error(comm, MPI_ERR_ARG, "MPI_Comm_create");
    }
    for (int i = 0; i < group->size; i++) {
        if (comm->local[group->world[i]] < 0) {
            return bpmpi_error(comm, MPI_ERR_GROUP, "MPI_Comm_create"); /* not a subgroup */
        }
    }
    if ((err = comm_ctx_agree(comm, &ctx)) != MPI_SUCCESS) {
        return bpmpi_error(comm, err, "MPI_Comm_create");
    }
    *newcomm = MPI_COMM_NULL;
    for (int i = 0; i < group->size; i++) {
        if (group->world[i] == bpmpi.rank) {
            err = comm_make_member(ctx, group->world, group->size, newcomm);
            if (err == MPI_SUCCESS) {
                (*newcomm)->eh = comm->eh;
            }
            break;
        }
    }
    return bpmpi_error(comm, err, "MPI_Comm_create");
}

/*
 * The next context id, agreed over the members of g only (Comm_create_group: the other
 * ranks of parent take no part). Member 0 of g gathers every member's lowest never-used id
 * and sends back the largest; the messages are of kind GROUP on parent's context with the
 * call's tag, so they match nothing else, and two calls with different tags never mix.
 */
static int comm_group_ctx_agree(MPI_Comm parent, MPI_Group g, int me, int tag, uint32_t *ctx_p)
{
    uint64_t t = bpmpi_tag(BPMPI_KIND_GROUP, parent->ctx, (uint64_t)tag);
    uint32_t v = bpmpi.next_ctx, u;
    bp_status_t st = BP_OK;
    bp_request_t *req;

    for (int i = 1; i < g->size && st == BP_OK; i++) {
        if (me == 0) {
            if ((st = bp_irecv(bpmpi.ctx, &u, sizeof(u), g->world[i], t, 0, &req)) == BP_OK &&
                (st = bpmpi_nwait(&req, NULL, 1)) == BP_OK && u > v) {
                v = u;
            }
        } else if (i == me) {
            if ((st = bp_isend(bpmpi.ctx, &v, sizeof(v), g->world[0], t, &req)) == BP_OK) {
                st = bpmpi_nwait(&req, NULL, 1);
            }
        }
    }
    for (int i = 1; i < g->size && st == BP_OK; i++) {
        if (me == 0) {
            if ((st = bp_isend(bpmpi.ctx, &v, sizeof(v), g->world[i], t, &req)) == BP_OK) {
                st = bpmpi_nwait(&req, NULL, 1);
            }
        } else if (i == me) {
            if ((st = bp_irecv(bpmpi.ctx, &v, sizeof(v), g->world[0], t, 0, &req)) == BP_OK) {
                st = bpmpi_nwait(&req, NULL, 1);
            }
        }
    }
    if (st != BP_OK) {
        return bpmpi_from_status(st);
    }
    if (v > BPMPI_CTX_MAX) {
        return MPI_ERR_INTERN;
    }
    bpmpi.next_ctx = v + 1;
    *ctx_p = v;
    return MPI_SUCCESS;
}

/* MPI-3.0: collective over the members of group only; a caller outside it gets
 * MPI_COMM_NULL at once (MPI-3.1 6.4.2). */
int MPI_Comm_create_group(MPI_Comm comm, MPI_Group group, int tag, MPI_Comm *newcomm)
{
    uint32_t ctx = 0;
    int err, me = -1;

    BPMPI_CHECK_INIT("MPI_Comm_create_group");
    if (!bpmpi_comm_ok(comm)) {
        return bpmpi_error(MPI_COMM_WORLD, MPI_ERR_COMM, "MPI_Comm_create_group");
    }
    if (group == MPI_GROUP_NULL) {
        return bpmpi_error(comm, MPI_ERR_GROUP, "MPI_Comm_create_group");
    }
    if (newcomm == NULL) {
        return bpmpi_error(comm, MPI_ERR_ARG, "MPI_Comm_create_group");
    }
    if (tag < 0) {
        return bpmpi_error(comm, MPI_ERR_TAG, "MPI_Comm_create_group");
    }
    for (int i = 0; i < group->size; i++) {
        if (comm->local[group->world[i]] < 0) {
            return bpmpi_error(comm, MPI_ERR_GROUP, "MPI_Comm_create_group");
        }
        if (group->world[i] == bpmpi.rank) {
            me = i;
        }
    }
    *newcomm = MPI_COMM_NULL;
    if (me < 0) {
        return MPI_SUCCESS;
    }
    if ((err = comm_group_ctx_agree(comm, group, me, tag, &ctx)) != MPI_SUCCESS) {
        return bpmpi_error(comm, err, "MPI_Comm_create_group");
    }
    err = comm_make_member(ctx, group->world, group->size, newcomm);
    if (err == MPI_SUCCESS) {
        (*newcomm)->eh = comm->eh;
    }
    return bpmpi_error(comm, err, "MPI_Comm_create_group");
}

void bpmpi_comm_nbc_done(MPI_Comm comm)
{
    if (--comm->nbc_pending == 0 && comm->freed) {
        comm_destroy(comm);
        free(comm);
    }
}

int MPI_Comm_free(MPI_Comm *comm)
{
    BPMPI_CHECK_INIT("MPI_Comm_free");
    if (comm == NULL || !bpmpi_comm_ok(*comm) || (*comm)->predef || (*comm)->freed) {
        return bpmpi_error(MPI_COMM_WORLD, MPI_ERR_COMM, "MPI_Comm_free");
    }
    if ((*comm)->nbc_pending > 0) {
        /* its nonblocking collectives go on; the last one to end frees it */
        (*comm)->freed = true;
        *comm = MPI_COMM_NULL;
        return MPI_SUCCESS;
    }
    comm_destroy(*comm);
    free(*comm);
    *comm = MPI_COMM_NULL;
    return MPI_SUCCESS;
}

/* IDENT (same members, same order), SIMILAR (same members), or UNEQUAL. */
static int comm_members_compare(const int *a, int na, const int *b, int nb)
{
    bool same_order = true;

    if (na != nb) {
        return MPI_UNEQUAL;
    }
    for (int i = 0; i < na; i++) {
        bool found = false;
        if (a[i] != b[i]) {
            same_order = false;
        }
        for (int j = 0; j < nb && !found; j++) {
            found = (a[i] == b[j]);
        }
        if (!found) {
            return MPI_UNEQUAL;
        }
    }
    return same_order ? MPI_IDENT : MPI_SIMILAR;
}

int MPI_Comm_compare(MPI_Comm comm1, MPI_Comm comm2, int *result)
{
    int r;

    BPMPI_CHECK_INIT("MPI_Comm_compare");
    if (!bpmpi_comm_ok(comm1) || !bpmpi_comm_ok(comm2)) {
        return bpmpi_error(MPI_COMM_WORLD, MPI_ERR_COMM, "MPI_Comm_compare");
    }
    if (result == NULL) {
        return bpmpi_error(comm1, MPI_ERR_ARG, "MPI_Comm_compare");
    }
    if (comm1 == comm2) {
        *result = MPI_IDENT;
        return MPI_SUCCESS;
    }
    r = comm_members_compare(comm1->world, comm1->size, comm2->world, comm2->size);
    *result = (r == MPI_IDENT) ? MPI_CONGRUENT : r;
    return MPI_SUCCESS;
}

int MPI_Comm_test_inter(MPI_Comm comm, int *flag)
{
    if (!bpmpi_comm_ok(comm)) {
        return bpmpi_error(MPI_COMM_WORLD, MPI_ERR_COMM, "MPI_Comm_test_inter");
    }
    if (flag == NULL) {
        return bpmpi_error(comm, MPI_ERR_ARG, "MPI_Comm_test_inter");
    }
    *flag = 0; /* intercommunicators are not part of this subset */
    return MPI_SUCCESS;
}

int MPI_Comm_get_attr(MPI_Comm comm, int keyval, void *attribute_val, int *flag)
{
    static int tag_ub = MPI_TAG_UB_VALUE, host = MPI_PROC_NULL, io = MPI_ANY_SOURCE,
               wtime_global = 0;
    int *v = NULL;

    BPMPI_CHECK_INIT("MPI_Comm_get_attr");
    if (!bpmpi_comm_ok(comm)) {
        return bpmpi_error(MPI_COMM_WORLD, MPI_ERR_COMM, "MPI_Comm_get_attr");
    }
    if (attribute_val == NULL || flag == NULL) {
        return bpmpi_error(comm, MPI_ERR_ARG, "MPI_Comm_get_attr");
    }
    switch (keyval) {
    case MPI_TAG_UB:
        v = &tag_ub;
        break;
    case MPI_HOST:
        v = &host;
        break;
    case MPI_IO:
        v = &io;
        break;
    case MPI_WTIME_IS_GLOBAL:
        v = &wtime_global;
        break;
    default:
        break;
    }
    *flag = (v != NULL);
    if (v != NULL) {
        *(int **)attribute_val = v;
    }
    return MPI_SUCCESS;
}

/* --- groups ---------------------------------------------------------------------------- */

static int group_make(const int *world, int n, MPI_Group *group_p)
{
    struct bpmpi_group *g = calloc(1, sizeof(*g));

    if (g == NULL || (g->world = malloc((size_t)(n > 0 ? n : 1) * sizeof(int))) == NULL) {
        free(g);
        return MPI_ERR_NO_MEM;
    }
    if (n > 0) {
        memcpy(g->world, world, (size_t)n * sizeof(int));
    }
    g->size = n;
    g->refs = 1;
    g->live_next = live_groups;
    if (live_groups != NULL) {
        live_groups->live_prev = g;
    }
    live_groups = g;
    *group_p = g;
    return MPI_SUCCESS;
}

int MPI_Comm_group(MPI_Comm comm, MPI_Group *group)
{
    int err;

    BPMPI_CHECK_INIT("MPI_Comm_group");
    if (!bpmpi_comm_ok(comm)) {
        return bpmpi_error(MPI_COMM_WORLD, MPI_ERR_COMM, "MPI_Comm_group");
    }
    if (group == NULL) {
        return bpmpi_error(comm, MPI_ERR_ARG, "MPI_Comm_group");
    }
    err = group_make(comm->world, comm->size, group);
    return bpmpi_error(comm, err, "MPI_Comm_group");
}

int MPI_Group_size(MPI_Group group, int *size)
{
    if (group == MPI_GROUP_NULL) {
        return bpmpi_error(MPI_COMM_WORLD, MPI_ERR_GROUP, "MPI_Group_size");
    }
    if (size == NULL) {
        return bpmpi_error(MPI_COMM_WORLD, MPI_ERR_ARG, "MPI_Group_size");
    }
    *size = group->size;
    return MPI_SUCCESS;
}

int MPI_Group_rank(MPI_Group group, int *rank)
{
    if (group == MPI_GROUP_NULL) {
        return bpmpi_error(MPI_COMM_WORLD, MPI_ERR_GROUP, "MPI_Group_rank");
    }
    if (rank == NULL) {
        return bpmpi_error(MPI_COMM_WORLD, MPI_ERR_ARG, "MPI_Group_rank");
    }
    *rank = MPI_UNDEFINED;
    for (int i = 0; i < group->size; i++) {
        if (group->world[i] == bpmpi.rank) {
            *rank = i;
        }
    }
    return MPI_SUCCESS;
}

int MPI_Group_incl(MPI_Group group, int n, const int ranks[], MPI_Group *newgroup)
{
    int *w, err;

    BPMPI_CHECK_INIT("MPI_Group_incl");
    if (group == MPI_GROUP_NULL) {
        return bpmpi_error(MPI_COMM_WORLD, MPI_ERR_GROUP, "MPI_Group_incl");
    }
    if (n < 0 || n > group->size || newgroup == NULL || (n > 0 && ranks == NULL)) {
        return bpmpi_error(MPI_COMM_WORLD, MPI_ERR_ARG, "MPI_Group_incl");
    }
    if ((w = malloc((size_t)(n > 0 ? n : 1) * sizeof(int))) == NULL) {
        return bpmpi_error(MPI_COMM_WORLD, MPI_ERR_NO_MEM, "MPI_Group_incl");
    }
    for (int i = 0; i < n; i++) {
        if (ranks[i] < 0 || ranks[i] >= group->size) {
            free(w);
            return bpmpi_error(MPI_COMM_WORLD, MPI_ERR_RANK, "MPI_Group_incl");
        }
        for (int j = 0; j < i; j++) {
            if (ranks[j] == ranks[i]) { /* MPI: the ranks must be distinct */
                free(w);
                return bpmpi_error(MPI_COMM_WORLD, MPI_ERR_RANK, "MPI_Group_incl");
            }
        }
        w[i] = group->world[ranks[i]];
    }
    err = group_make(w, n, newgroup);
    free(w);
    return bpmpi_error(MPI_COMM_WORLD, err, "MPI_Group_incl");
}

int MPI_Group_excl(MPI_Group group, int n, const int ranks[], MPI_Group *newgroup)
{
    int *w, k = 0, err;

    BPMPI_CHECK_INIT("MPI_Group_excl");
    if (group == MPI_GROUP_NULL) {
        return bpmpi_error(MPI_COMM_WORLD, MPI_ERR_GROUP, "MPI_Group_excl");
    }
    if (n < 0 || n > group->size || newgroup == NULL || (n > 0 && ranks == NULL)) {
        return bpmpi_error(MPI_COMM_WORLD, MPI_ERR_ARG, "MPI_Group_excl");
    }
    for (int i = 0; i < n; i++) {
        if (ranks[i] < 0 || ranks[i] >= group->size) {
            return bpmpi_error(MPI_COMM_WORLD, MPI_ERR_RANK, "MPI_Group_excl");
        }
    }
    if ((w = malloc((size_t)(group->size > 0 ? group->size : 1) * sizeof(int))) == NULL) {
        return bpmpi_error(MPI_COMM_WORLD, MPI_ERR_NO_MEM, "MPI_Group_excl");
    }
    for (int i = 0; i < group->size; i++) {
        bool out = false;
        for (int j = 0; j < n && !out; j++) {
            out = (ranks[j] == i);
        }
        if (!out) {
            w[k++] = group->world[i];
        }
    }
    err = group_make(w, k, newgroup);
    free(w);
    return bpmpi_error(MPI_COMM_WORLD, err, "MPI_Group_excl");
}

int MPI_Group_free(MPI_Group *group)
{
    BPMPI_CHECK_INIT("MPI_Group_free");
    if (group == NULL || *group == MPI_GROUP_NULL) {
        return bpmpi_error(MPI_COMM_WORLD, MPI_ERR_GROUP, "MPI_Group_free");
    }
    if (!(*group)->predef) {
        group_unlink(*group);
        free((*group)->world);
        free(*group);
    }
    *group = MPI_GROUP_NULL;
    return MPI_SUCCESS;
}

int MPI_Group_compare(MPI_Group group1, MPI_Group group2, int *result)
{
    if (group1 == MPI_GROUP_NULL || group2 == MPI_GROUP_NULL) {
        return bpmpi_error(MPI_COMM_WORLD, MPI_ERR_GROUP, "MPI_Group_compare");
    }
    if (result == NULL) {
        return bpmpi_error(MPI_COMM_WORLD, MPI_ERR_ARG, "MPI_Group_compare");
    }
    *result = comm_members_compare(group1->world, group1->size, group2->world, group2->size);
    return MPI_SUCCESS;
}

int MPI_Group_translate_ranks(MPI_Group group1, int n, const int ranks1[], MPI_Group group2,
                              int ranks2[])
{
    if (group1 == MPI_GROUP_NULL || group2 == MPI_GROUP_NULL) {
        return bpmpi_error(MPI_COMM_WORLD, MPI_ERR_GROUP, "MPI_Group_translate_ranks");
    }
    if (n < 0 || (n > 0 && (ranks1 == NULL || ranks2 == NULL))) {
        return bpmpi_error(MPI_COMM_WORLD, MPI_ERR_ARG, "MPI_Group_translate_ranks");
    }
    for (int i = 0; i < n; i++) {
        int r = ranks1[i];
        if (r == MPI_PROC_NULL) {
            ranks2[i] = MPI_PROC_NULL;
            continue;
        }
        if (r < 0 || r >= group1->size) {
            return bpmpi_error(MPI_COMM_WORLD, MPI_ERR_RANK, "MPI_Group_translate_ranks");
        }
        ranks2[i] = MPI_UNDEFINED;
        for (int j = 0; j < group2->size; j++) {
            if (group2->world[j] == group1->world[r]) {
                ranks2[i] = j;
                break;
            }
        }
    }
    return MPI_SUCCESS;
}
