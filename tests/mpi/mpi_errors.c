/*
 * Errors under MPI_ERRORS_RETURN: each bad argument gives its error class and nothing is
 * sent or written (bad rank, bad tag, negative and overflowing counts, null datatype and
 * communicator, bad root, an operation not defined on the type, Pack beyond the buffer);
 * a truncated receive gives MPI_ERR_TRUNCATE with the status saying how much was received
 * and nothing written past the buffer; Error_string and Error_class. Run with 2+ ranks.
 */
#include <limits.h>

#include "mtest.h"

static void check_string(int code, const char *want)
{
    char s[MPI_MAX_ERROR_STRING];
    int len = 0, cls = -1;

    MT_OK(MPI_Error_string(code, s, &len));
    MT_EQ(len, strlen(s));
    if (strstr(s, want) == NULL) {
        MT_FAIL("error string of %d is '%s', expected it to name %s", code, s, want);
    }
    MT_OK(MPI_Error_class(code, &cls));
    MT_EQ(cls, code);
}

int main(int argc, char **argv)
{
    int rank, n, v = 1, buf[16];
    MPI_Status st;
    MPI_Request r;
    MPI_Errhandler eh;

    mtest_init(&argc, &argv);
    rank = mtest_rank;
    n = mtest_size;
    MT_OK(MPI_Comm_get_errhandler(MPI_COMM_WORLD, &eh));
    MT_CHECK(eh == MPI_ERRORS_ARE_FATAL); /* the default */
    MT_OK(MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN));

    /* arguments */
    MT_EQ(MPI_Send(&v, 1, MPI_INT, n, 0, MPI_COMM_WORLD), MPI_ERR_RANK);
    MT_EQ(MPI_Send(&v, 1, MPI_INT, -5, 0, MPI_COMM_WORLD), MPI_ERR_RANK);
    MT_EQ(MPI_Recv(&v, 1, MPI_INT, n + 3, 0, MPI_COMM_WORLD, &st), MPI_ERR_RANK);
    MT_EQ(MPI_Isend(&v, 1, MPI_INT, n, 0, MPI_COMM_WORLD, &r), MPI_ERR_RANK);
    MT_EQ(MPI_Send(&v, 1, MPI_INT, 0, -3, MPI_COMM_WORLD), MPI_ERR_TAG);
    MT_EQ(MPI_Send(&v, 1, MPI_INT, 0, MPI_ANY_TAG, MPI_COMM_WORLD), MPI_ERR_TAG);
    MT_EQ(MPI_Send(&v, -1, MPI_INT, 0, 0, MPI_COMM_WORLD), MPI_ERR_COUNT);
    MT_EQ(MPI_Irecv(buf, -7, MPI_INT, 0, 0, MPI_COMM_WORLD, &r), MPI_ERR_COUNT);
    MT_EQ(MPI_Bcast(buf, -1, MPI_INT, 0, MPI_COMM_WORLD), MPI_ERR_COUNT);
    MT_EQ(MPI_Allreduce(buf, buf + 8, -2, MPI_INT, MPI_SUM, MPI_COMM_WORLD), MPI_ERR_COUNT);
    MT_EQ(MPI_Send(&v, 1, MPI_DATATYPE_NULL, 0, 0, MPI_COMM_WORLD), MPI_ERR_TYPE);
    MT_EQ(MPI_Send(&v, 1, MPI_INT, 0, 0, MPI_COMM_NULL), MPI_ERR_COMM);
    MT_EQ(MPI_Bcast(buf, 1, MPI_INT, n, MPI_COMM_WORLD), MPI_ERR_ROOT);
    MT_EQ(MPI_Reduce(buf, buf + 8, 1, MPI_INT, MPI_SUM, -1, MPI_COMM_WORLD), MPI_ERR_ROOT);
    {
        double d = 1.0, e;
        MT_EQ(MPI_Allreduce(&d, &e, 1, MPI_DOUBLE, MPI_BXOR, MPI_COMM_WORLD), MPI_ERR_OP);
        MT_EQ(MPI_Allreduce(&d, &e, 1, MPI_DOUBLE, MPI_MAXLOC, MPI_COMM_WORLD), MPI_ERR_OP);
    }
    /* an uncommitted type */
    {
        MPI_Datatype t;
        MT_OK(MPI_Type_contiguous(2, MPI_INT, &t));
        MT_EQ(MPI_Send(buf, 1, t, 0, 0, MPI_COMM_WORLD), MPI_ERR_TYPE);
        MT_OK(MPI_Type_free(&t));
    }
    /* a count whose byte size does not fit: never a short or out-of-bounds transfer */
    {
        MPI_Datatype mb, tb;
        MT_OK(MPI_Type_contiguous(1 << 20, MPI_DOUBLE, &mb));     /* 8 MiB */
        MT_OK(MPI_Type_contiguous(1 << 20, mb, &tb));             /* 8 TiB */
        MT_OK(MPI_Type_commit(&tb));
        MT_EQ(MPI_Send(buf, INT_MAX, tb, 0, 0, MPI_COMM_WORLD), MPI_ERR_COUNT);
        MT_EQ(MPI_Recv(buf, INT_MAX, tb, 0, 0, MPI_COMM_WORLD, &st), MPI_ERR_COUNT);
        MT_EQ(MPI_Bcast(buf, INT_MAX, tb, 0, MPI_COMM_WORLD), MPI_ERR_COUNT);
        {
            int size = 0;
            MT_EQ(MPI_Pack_size(INT_MAX, tb, MPI_COMM_WORLD, &size), MPI_ERR_COUNT);
        }
        MT_OK(MPI_Type_free(&mb));
        MT_OK(MPI_Type_free(&tb));
    }
    /* Pack beyond the output buffer, Unpack beyond the input */
    {
        char out[8];
        int pos = 0, in[4] = {1, 2, 3, 4};
        MT_EQ(MPI_Pack(in, 4, MPI_INT, out, sizeof(out), &pos, MPI_COMM_WORLD), MPI_ERR_TRUNCATE);
        MT_EQ(pos, 0);
        MT_OK(MPI_Pack(in, 2, MPI_INT, out, sizeof(out), &pos, MPI_COMM_WORLD));
        pos = 4;
        MT_EQ(MPI_Unpack(out, sizeof(out), &pos, in, 2, MPI_INT, MPI_COMM_WORLD),
              MPI_ERR_TRUNCATE);
    }
    /* Group_incl with a rank out of range */
    {
        MPI_Group g, g2;
        int bad = n;
        MT_OK(MPI_Comm_group(MPI_COMM_WORLD, &g));
        MT_EQ(MPI_Group_incl(g, 1, &bad, &g2), MPI_ERR_RANK);
        MT_OK(MPI_Group_free(&g));
    }
    /* none of the above sent anything: the next message rank 0 gets from 1 is the first */
    MT_OK(MPI_Barrier(MPI_COMM_WORLD));

    /* truncation: 10 ints into room for 4 */
    if (rank == 1) {
        int ten[10] = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9};
        MT_OK(MPI_Send(ten, 10, MPI_INT, 0, 21, MPI_COMM_WORLD));
        MT_OK(MPI_Send(ten, 10, MPI_INT, 0, 22, MPI_COMM_WORLD));
        MT_OK(MPI_Send(ten, 3, MPI_INT, 0, 23, MPI_COMM_WORLD));
        MT_OK(MPI_Send(ten, 7, MPI_BYTE, 0, 25, MPI_COMM_WORLD));
    } else if (rank == 0) {
        int count = -1;
        for (int i = 0; i < 16; i++) {
            buf[i] = -1;
        }
        MT_EQ(MPI_Recv(buf, 4, MPI_INT, 1, 21, MPI_COMM_WORLD, &st), MPI_ERR_TRUNCATE);
        MT_EQ(st.MPI_ERROR, MPI_ERR_TRUNCATE);
        MT_EQ(st.MPI_SOURCE, 1);
        MT_EQ(st.MPI_TAG, 21);
        MT_OK(MPI_Get_count(&st, MPI_INT, &count));
        MT_EQ(count, 4);
        for (int i = 0; i < 16; i++) {
            MT_EQ(buf[i], i < 4 ? i : -1);
        }
        /* nonblocking: the error comes from Wait, Waitall says MPI_ERR_IN_STATUS */
        MT_OK(MPI_Irecv(buf, 2, MPI_INT, 1, 22, MPI_COMM_WORLD, &r));
        MT_EQ(MPI_Wait(&r, &st), MPI_ERR_TRUNCATE);
        MT_OK(MPI_Get_count(&st, MPI_INT, &count));
        MT_EQ(count, 2);
        {
            MPI_Request rs[2];
            MPI_Status sts[2];
            int one = 5;
            MT_OK(MPI_Irecv(buf, 2, MPI_INT, 1, 23, MPI_COMM_WORLD, &rs[0]));
            MT_OK(MPI_Isend(&one, 1, MPI_INT, 0, 24, MPI_COMM_WORLD, &rs[1]));
            MT_EQ(MPI_Waitall(2, rs, sts), MPI_ERR_IN_STATUS);
            MT_EQ(sts[0].MPI_ERROR, MPI_ERR_TRUNCATE);
            MT_EQ(sts[1].MPI_ERROR, MPI_SUCCESS);
            MT_OK(MPI_Recv(&one, 1, MPI_INT, 0, 24, MPI_COMM_WORLD, MPI_STATUS_IGNORE));
        }
        /* 7 bytes are not a whole number of ints */
        MT_OK(MPI_Recv(buf, 16, MPI_BYTE, 1, 25, MPI_COMM_WORLD, &st));
        MT_OK(MPI_Get_count(&st, MPI_INT, &count));
        MT_EQ(count, MPI_UNDEFINED);
        MT_OK(MPI_Get_count(&st, MPI_BYTE, &count));
        MT_EQ(count, 7);
    }

    MT_OK(MPI_Barrier(MPI_COMM_WORLD));

    check_string(MPI_ERR_TRUNCATE, "MPI_ERR_TRUNCATE");
    check_string(MPI_ERR_RANK, "MPI_ERR_RANK");
    check_string(MPI_ERR_PROC_FAILED, "failed");
    {
        char s[MPI_MAX_ERROR_STRING];
        int len, cls;
        MT_CHECK(MPI_Error_string(12345, s, &len) != MPI_SUCCESS);
        MT_CHECK(MPI_Error_class(-4, &cls) != MPI_SUCCESS);
    }
    return mtest_fini("mpi_errors");
}
