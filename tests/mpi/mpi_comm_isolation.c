/*
 * Communicators: the same tag on two communicators never mixes (a wildcard receive on one
 * never takes a message sent on the other, and collectives never take point-to-point
 * messages), Comm_split orders the new ranks by key then old rank, Comm_create from a
 * group, Comm_create_group (collective over the group's members only), Comm_compare,
 * Group_incl / Group_translate_ranks, and Comm_free.
 */
#include "mtest.h"

int main(int argc, char **argv)
{
    int rank, n, res;
    MPI_Comm dup, split, created;
    MPI_Group world_group, even_group;

    mtest_init(&argc, &argv);
    rank = mtest_rank;
    n = mtest_size;
    MT_OK(MPI_Comm_dup(MPI_COMM_WORLD, &dup));

    /* 1. isolation: rank 0 sends on dup first, then on world, same tag; the others take the
     *    world message with wildcards first and must get the world one. */
    if (rank == 0) {
        for (int p = 1; p < n; p++) {
            int a = 100 + p, b = 200 + p;
            MT_OK(MPI_Send(&a, 1, MPI_INT, p, 7, dup));
            MT_OK(MPI_Send(&b, 1, MPI_INT, p, 7, MPI_COMM_WORLD));
        }
    } else {
        int v;
        MPI_Status st;
        /* let the dup message arrive first, so a wrong match would take it */
        MT_OK(MPI_Probe(0, 7, dup, &st));
        MT_OK(MPI_Recv(&v, 1, MPI_INT, MPI_ANY_SOURCE, MPI_ANY_TAG, MPI_COMM_WORLD, &st));
        MT_EQ(v, 200 + rank);
        MT_OK(MPI_Recv(&v, 1, MPI_INT, MPI_ANY_SOURCE, MPI_ANY_TAG, dup, &st));
        MT_EQ(v, 100 + rank);
    }
    /* a point-to-point message pending on world does not disturb a collective on world */
    if (n >= 2) {
        int x = rank, sum = 0, v = -1;
        if (rank == 1) {
            int m = 42;
            MT_OK(MPI_Send(&m, 1, MPI_INT, 0, 0, MPI_COMM_WORLD));
        }
        MT_OK(MPI_Allreduce(&x, &sum, 1, MPI_INT, MPI_SUM, MPI_COMM_WORLD));
        MT_EQ(sum, n * (n - 1) / 2);
        MT_OK(MPI_Bcast(&x, 1, MPI_INT, 1, MPI_COMM_WORLD));
        MT_EQ(x, 1);
        if (rank == 0) {
            MT_OK(MPI_Recv(&v, 1, MPI_INT, MPI_ANY_SOURCE, MPI_ANY_TAG, MPI_COMM_WORLD,
                           MPI_STATUS_IGNORE));
            MT_EQ(v, 42);
        }
    }
    MT_OK(MPI_Comm_compare(MPI_COMM_WORLD, dup, &res));
    MT_EQ(res, MPI_CONGRUENT);
    MT_OK(MPI_Comm_compare(dup, dup, &res));
    MT_EQ(res, MPI_IDENT);

    /* 2. split: colour rank % 3, key -rank: reversed order inside each colour */
    MT_OK(MPI_Comm_split(MPI_COMM_WORLD, rank % 3, -rank, &split));
    {
        int srank, ssize, expect_size = 0, expect_rank = 0;
        for (int r = 0; r < n; r++) {
            if (r % 3 == rank % 3) {
                expect_size++;
                if (r > rank) {
                    expect_rank++;
                }
            }
        }
        MT_OK(MPI_Comm_rank(split, &srank));
        MT_OK(MPI_Comm_size(split, &ssize));
        MT_EQ(ssize, expect_size);
        MT_EQ(srank, expect_rank);
        /* ties in key keep the old order */
        {
            MPI_Comm tie;
            int trank;
            MT_OK(MPI_Comm_split(MPI_COMM_WORLD, 0, 5, &tie));
            MT_OK(MPI_Comm_rank(tie, &trank));
            MT_EQ(trank, rank);
            MT_OK(MPI_Comm_free(&tie));
        }
        /* a ring on the split: world ranks come back through the group translation */
        {
            MPI_Group sg;
            int to = (srank + 1) % ssize, from = (srank - 1 + ssize) % ssize, wfrom, got;
            MT_OK(MPI_Sendrecv(&rank, 1, MPI_INT, to, 3, &got, 1, MPI_INT, from, 3, split,
                               MPI_STATUS_IGNORE));
            MT_OK(MPI_Comm_group(split, &sg));
            MT_OK(MPI_Comm_group(MPI_COMM_WORLD, &world_group));
            MT_OK(MPI_Group_translate_ranks(sg, 1, &from, world_group, &wfrom));
            MT_EQ(got, wfrom);
            MT_OK(MPI_Group_free(&sg));
        }
        /* MPI_UNDEFINED colour: no communicator */
        {
            MPI_Comm none;
            MT_OK(MPI_Comm_split(MPI_COMM_WORLD, rank == 0 ? MPI_UNDEFINED : 1, 0, &none));
            if (rank == 0) {
                MT_CHECK(none == MPI_COMM_NULL);
            } else {
                int s;
                MT_OK(MPI_Comm_size(none, &s));
                MT_EQ(s, n - 1);
                MT_OK(MPI_Comm_free(&none));
            }
        }
    }

    /* 3. Comm_create from the even ranks of world */
    {
        int *evens = malloc((size_t)n * sizeof(int)), ne = 0, out[64], in[64];
        for (int r = 0; r < n; r += 2) {
            evens[ne++] = r;
        }
        MT_OK(MPI_Group_incl(world_group, ne, evens, &even_group));
        MT_OK(MPI_Comm_create(MPI_COMM_WORLD, even_group, &created));
        if (rank % 2 == 0) {
            int crank, csize, sum = 0;
            MT_OK(MPI_Comm_rank(created, &crank));
            MT_OK(MPI_Comm_size(created, &csize));
            MT_EQ(crank, rank / 2);
            MT_EQ(csize, ne);
            MT_OK(MPI_Allreduce(&rank, &sum, 1, MPI_INT, MPI_SUM, created));
            MT_EQ(sum, ne * (ne - 1)); /* 0 + 2 + 4 + ... */
            MT_OK(MPI_Comm_free(&created));
        } else {
            MT_CHECK(created == MPI_COMM_NULL);
        }
        for (int i = 0; i < ne; i++) {
            in[i] = i;
        }
        MT_OK(MPI_Group_translate_ranks(even_group, ne, in, world_group, out));
        for (int i = 0; i < ne; i++) {
            MT_EQ(out[i], 2 * i);
        }
        if (n > 1) {
            in[0] = 1;
            MT_OK(MPI_Group_translate_ranks(world_group, 1, in, even_group, out));
            MT_EQ(out[0], MPI_UNDEFINED);
        }
        MT_OK(MPI_Group_compare(world_group, even_group, &res));
        MT_EQ(res, n <= 1 ? MPI_IDENT : MPI_UNEQUAL);
        MT_OK(MPI_Group_free(&even_group));
        MT_OK(MPI_Group_free(&world_group));
        free(evens);
    }

    /* 4. many communicators created and freed: contexts stay distinct and usable */
    for (int i = 0; i < 50; i++) {
        MPI_Comm c;
        int v = i, r = -1;
        MT_OK(MPI_Comm_dup(dup, &c));
        MT_OK(MPI_Allreduce(&v, &r, 1, MPI_INT, MPI_MAX, c));
        MT_EQ(r, i);
        MT_OK(MPI_Comm_free(&c));
        MT_CHECK(c == MPI_COMM_NULL);
    }
    /* 5. Comm_split_type SHARED: under bprun every rank is on this host */
    {
        MPI_Comm node;
        int ns, nr;
        MT_OK(MPI_Comm_split_type(MPI_COMM_WORLD, MPI_COMM_TYPE_SHARED, rank, MPI_INFO_NULL,
                                  &node));
        MT_OK(MPI_Comm_size(node, &ns));
        MT_OK(MPI_Comm_rank(node, &nr));
        MT_EQ(ns, n);
        MT_EQ(nr, rank);
        MT_OK(MPI_Comm_free(&node));
    }
    /* 6. Comm_create_group: only the members call it collectively (the odd ranks, in
     * descending order, so new rank 0 is the highest odd rank); a non-member gets
     * MPI_COMM_NULL at once, without waiting for anyone. While the members agree, the even
     * ranks run a Comm_create_group of their own with the same tag, and world traffic with
     * that tag goes on: nothing mixes. */
    {
        MPI_Group wg, g;
        MPI_Comm c;
        int *members = malloc((size_t)n * sizeof(int)), m = 0, mine = -1;
        MT_CHECK(members != NULL);
        for (int r = n - 1; r >= 0; r--) {
            if (r % 2 == rank % 2) {
                if (r == rank) {
                    mine = m;
                }
                members[m++] = r;
            }
        }
        MT_OK(MPI_Comm_group(MPI_COMM_WORLD, &wg));
        MT_OK(MPI_Group_incl(wg, m, members, &g));
        MT_OK(MPI_Comm_create_group(MPI_COMM_WORLD, g, 5, &c));
        MT_CHECK(c != MPI_COMM_NULL);
        {
            int cr, cs, v = rank, sum = -1, expect = 0;
            MT_OK(MPI_Comm_rank(c, &cr));
            MT_OK(MPI_Comm_size(c, &cs));
            MT_EQ(cr, mine);
            MT_EQ(cs, m);
            MT_OK(MPI_Allreduce(&v, &sum, 1, MPI_INT, MPI_SUM, c));
            for (int i = 0; i < m; i++) {
                expect += members[i];
            }
            MT_EQ(sum, expect);
            /* a message on the new communicator is not one on world, same tag */
            if (cs > 1) {
                int x = -1;
                MPI_Status st;
                if (cr == 0) {
                    int a = 100 + rank, b = 200 + rank;
                    MT_OK(MPI_Send(&a, 1, MPI_INT, members[1], 5, MPI_COMM_WORLD));
                    MT_OK(MPI_Send(&b, 1, MPI_INT, 1, 5, c));
                } else if (cr == 1) {
                    MT_OK(MPI_Recv(&x, 1, MPI_INT, MPI_ANY_SOURCE, MPI_ANY_TAG, c, &st));
                    MT_EQ(x, 200 + members[0]);
                    MT_EQ(st.MPI_SOURCE, 0);
                    MT_OK(MPI_Recv(&x, 1, MPI_INT, MPI_ANY_SOURCE, 5, MPI_COMM_WORLD, &st));
                    MT_EQ(x, 100 + members[0]);
                    MT_EQ(st.MPI_SOURCE, members[0]);
                }
            }
            MT_OK(MPI_Comm_free(&c));
        }
        MT_OK(MPI_Group_free(&g));
        /* not a member: MPI_COMM_NULL, a local call (only rank 0 makes it) */
        if (n > 1 && rank == 0) {
            int one = 1;
            MT_OK(MPI_Group_incl(wg, 1, &one, &g));
            MT_OK(MPI_Comm_create_group(MPI_COMM_WORLD, g, 6, &c));
            MT_CHECK(c == MPI_COMM_NULL);
            MT_OK(MPI_Group_free(&g));
        }
        MT_OK(MPI_Group_free(&wg));
        free(members);
    }
    /* 7. a group the program never frees (as IMB does): MPI_Finalize frees it, which the
     * sanitizer build's leak check sees */
    {
        MPI_Group leftover;
        MT_OK(MPI_Comm_group(dup, &leftover));
    }
    MT_OK(MPI_Comm_free(&split));
    MT_OK(MPI_Comm_free(&dup));
    return mtest_fini("mpi_comm_isolation");
}
