/*
 * mpi.h - the MPI subset of bypass (libbpmpi), on the native API (bypass.h) only.
 *
 * What is here is listed in docs/MPI.md: the environment, point-to-point (blocking,
 * nonblocking, synchronous, buffered, ready, persistent), communicators and groups,
 * Cartesian and distributed graph topologies, derived datatypes with Pack/Unpack, the
 * collectives on any communicator, blocking and nonblocking (MPI-3), the neighbourhood
 * collectives, predefined and user reduction operations, error handlers and error classes.
 * Build with `bpcc` (C++: `bpcxx`), run with `mpiexec -n N` (bypass's own, which starts
 * bprun).
 *
 * Handles are pointers to opaque objects; the predefined ones are the addresses of objects
 * inside libbpmpi, so they are constants usable in static initialisers (as Open MPI does).
 * This header is installed as <includedir>/bypass/mpi.h so that it never shadows a system
 * mpi.h: bpcc adds that directory to the include path.
 */
#ifndef BYPASS_MPI_H
#define BYPASS_MPI_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__GNUC__)
#define BPMPI_API __attribute__((visibility("default")))
#else
#define BPMPI_API
#endif

#define MPI_VERSION 3
#define MPI_SUBVERSION 1
#define BYPASS_MPI 1 /* lets a program know it was built against bypass's mpi.h */

/* --- handles -------------------------------------------------------------------------- */

typedef struct bpmpi_comm *MPI_Comm;
typedef struct bpmpi_group *MPI_Group;
typedef struct bpmpi_datatype *MPI_Datatype;
typedef struct bpmpi_op *MPI_Op;
typedef struct bpmpi_request *MPI_Request;
typedef struct bpmpi_errhandler *MPI_Errhandler;
typedef intptr_t MPI_Aint;
typedef long long MPI_Offset;
typedef long long MPI_Count;
typedef int MPI_Fint;
typedef int MPI_Info; /* only MPI_INFO_NULL exists */

typedef struct MPI_Status {
    int MPI_SOURCE;
    int MPI_TAG;
    int MPI_ERROR;
    /* private: the received length in bytes, and whether the request was cancelled */
    size_t bpmpi_count;
    int bpmpi_cancelled;
} MPI_Status;

typedef void(MPI_User_function)(void *invec, void *inoutvec, int *len, MPI_Datatype *datatype);
typedef void(MPI_Comm_errhandler_function)(MPI_Comm *comm, int *errcode, ...);

/* The objects the predefined handles point at (opaque; only their addresses are used). */
extern BPMPI_API struct bpmpi_comm bpmpi_comm_world, bpmpi_comm_self;
extern BPMPI_API struct bpmpi_group bpmpi_group_empty;
extern BPMPI_API struct bpmpi_errhandler bpmpi_errors_are_fatal, bpmpi_errors_return;
extern BPMPI_API struct bpmpi_datatype bpmpi_dt_char, bpmpi_dt_signed_char,
    bpmpi_dt_unsigned_char, bpmpi_dt_byte, bpmpi_dt_short, bpmpi_dt_unsigned_short,
    bpmpi_dt_int, bpmpi_dt_unsigned, bpmpi_dt_long, bpmpi_dt_unsigned_long,
    bpmpi_dt_long_long_int, bpmpi_dt_unsigned_long_long, bpmpi_dt_float, bpmpi_dt_double,
    bpmpi_dt_long_double, bpmpi_dt_wchar, bpmpi_dt_c_bool, bpmpi_dt_int8_t, bpmpi_dt_int16_t,
    bpmpi_dt_int32_t, bpmpi_dt_int64_t, bpmpi_dt_uint8_t, bpmpi_dt_uint16_t, bpmpi_dt_uint32_t,
    bpmpi_dt_uint64_t, bpmpi_dt_aint, bpmpi_dt_offset, bpmpi_dt_count, bpmpi_dt_c_float_complex,
    bpmpi_dt_c_double_complex, bpmpi_dt_packed, bpmpi_dt_float_int, bpmpi_dt_double_int,
    bpmpi_dt_long_int, bpmpi_dt_2int, bpmpi_dt_short_int, bpmpi_dt_long_double_int;
extern BPMPI_API struct bpmpi_op bpmpi_op_max, bpmpi_op_min, bpmpi_op_sum, bpmpi_op_prod,
    bpmpi_op_land, bpmpi_op_band, bpmpi_op_lor, bpmpi_op_bor, bpmpi_op_lxor, bpmpi_op_bxor,
    bpmpi_op_maxloc, bpmpi_op_minloc, bpmpi_op_replace, bpmpi_op_no_op;
extern BPMPI_API char bpmpi_in_place;

#define MPI_COMM_NULL ((MPI_Comm)0)
#define MPI_COMM_WORLD (&bpmpi_comm_world)
#define MPI_COMM_SELF (&bpmpi_comm_self)
#define MPI_GROUP_NULL ((MPI_Group)0)
#define MPI_GROUP_EMPTY (&bpmpi_group_empty)
#define MPI_REQUEST_NULL ((MPI_Request)0)
#define MPI_DATATYPE_NULL ((MPI_Datatype)0)
#define MPI_OP_NULL ((MPI_Op)0)
#define MPI_ERRHANDLER_NULL ((MPI_Errhandler)0)
#define MPI_ERRORS_ARE_FATAL (&bpmpi_errors_are_fatal)
#define MPI_ERRORS_RETURN (&bpmpi_errors_return)
#define MPI_IN_PLACE ((void *)&bpmpi_in_place)
#define MPI_BOTTOM ((void *)0)
#define MPI_STATUS_IGNORE ((MPI_Status *)0)
#define MPI_STATUSES_IGNORE ((MPI_Status *)0)
#define MPI_INFO_NULL ((MPI_Info)0)
#define MPI_COMM_TYPE_SHARED 1

/* Predefined datatypes. */
#define MPI_CHAR (&bpmpi_dt_char)
#define MPI_SIGNED_CHAR (&bpmpi_dt_signed_char)
#define MPI_UNSIGNED_CHAR (&bpmpi_dt_unsigned_char)
#define MPI_BYTE (&bpmpi_dt_byte)
#define MPI_SHORT (&bpmpi_dt_short)
#define MPI_UNSIGNED_SHORT (&bpmpi_dt_unsigned_short)
#define MPI_INT (&bpmpi_dt_int)
#define MPI_UNSIGNED (&bpmpi_dt_unsigned)
#define MPI_LONG (&bpmpi_dt_long)
#define MPI_UNSIGNED_LONG (&bpmpi_dt_unsigned_long)
#define MPI_LONG_LONG_INT (&bpmpi_dt_long_long_int)
#define MPI_LONG_LONG MPI_LONG_LONG_INT
#define MPI_UNSIGNED_LONG_LONG (&bpmpi_dt_unsigned_long_long)
#define MPI_FLOAT (&bpmpi_dt_float)
#define MPI_DOUBLE (&bpmpi_dt_double)
#define MPI_LONG_DOUBLE (&bpmpi_dt_long_double)
#define MPI_WCHAR (&bpmpi_dt_wchar)
#define MPI_C_BOOL (&bpmpi_dt_c_bool)
#define MPI_INT8_T (&bpmpi_dt_int8_t)
#define MPI_INT16_T (&bpmpi_dt_int16_t)
#define MPI_INT32_T (&bpmpi_dt_int32_t)
#define MPI_INT64_T (&bpmpi_dt_int64_t)
#define MPI_UINT8_T (&bpmpi_dt_uint8_t)
#define MPI_UINT16_T (&bpmpi_dt_uint16_t)
#define MPI_UINT32_T (&bpmpi_dt_uint32_t)
#define MPI_UINT64_T (&bpmpi_dt_uint64_t)
#define MPI_AINT (&bpmpi_dt_aint)
#define MPI_OFFSET (&bpmpi_dt_offset)
#define MPI_COUNT (&bpmpi_dt_count)
#define MPI_C_FLOAT_COMPLEX (&bpmpi_dt_c_float_complex)
#define MPI_C_COMPLEX MPI_C_FLOAT_COMPLEX
#define MPI_C_DOUBLE_COMPLEX (&bpmpi_dt_c_double_complex)
#define MPI_PACKED (&bpmpi_dt_packed)
#define MPI_FLOAT_INT (&bpmpi_dt_float_int)
#define MPI_DOUBLE_INT (&bpmpi_dt_double_int)
#define MPI_LONG_INT (&bpmpi_dt_long_int)
#define MPI_2INT (&bpmpi_dt_2int)
#define MPI_SHORT_INT (&bpmpi_dt_short_int)
#define MPI_LONG_DOUBLE_INT (&bpmpi_dt_long_double_int)
#define BPMPI_DT_NPREDEF 37 /* how many there are */

/* Predefined operations. */
#define MPI_MAX (&bpmpi_op_max)
#define MPI_MIN (&bpmpi_op_min)
#define MPI_SUM (&bpmpi_op_sum)
#define MPI_PROD (&bpmpi_op_prod)
#define MPI_LAND (&bpmpi_op_land)
#define MPI_BAND (&bpmpi_op_band)
#define MPI_LOR (&bpmpi_op_lor)
#define MPI_BOR (&bpmpi_op_bor)
#define MPI_LXOR (&bpmpi_op_lxor)
#define MPI_BXOR (&bpmpi_op_bxor)
#define MPI_MAXLOC (&bpmpi_op_maxloc)
#define MPI_MINLOC (&bpmpi_op_minloc)
#define MPI_REPLACE (&bpmpi_op_replace)
#define MPI_NO_OP (&bpmpi_op_no_op)

/* --- constants ------------------------------------------------------------------------ */

#define MPI_ANY_SOURCE (-1)
#define MPI_PROC_NULL (-2)
#define MPI_ROOT (-3)
#define MPI_ANY_TAG (-1)
#define MPI_UNDEFINED (-32766)
#define MPI_TAG_UB_VALUE 0x7fffffff /* bypass: the largest tag (31 bits of the native tag) */
#define MPI_MAX_PROCESSOR_NAME 256
#define MPI_MAX_ERROR_STRING 256
#define MPI_MAX_LIBRARY_VERSION_STRING 256
#define MPI_MAX_OBJECT_NAME 64
#define MPI_BSEND_OVERHEAD 64

#define MPI_THREAD_SINGLE 0
#define MPI_THREAD_FUNNELED 1
#define MPI_THREAD_SERIALIZED 2
#define MPI_THREAD_MULTIPLE 3

/* Comm_compare / Group_compare results. */
#define MPI_IDENT 0
#define MPI_CONGRUENT 1
#define MPI_SIMILAR 2
#define MPI_UNEQUAL 3

/* Comm_get_attr keys (MPI_COMM_WORLD). */
#define MPI_TAG_UB 1
#define MPI_HOST 2
#define MPI_IO 3
#define MPI_WTIME_IS_GLOBAL 4

/* Error classes (error codes are their classes). */
#define MPI_SUCCESS 0
#define MPI_ERR_BUFFER 1
#define MPI_ERR_COUNT 2
#define MPI_ERR_TYPE 3
#define MPI_ERR_TAG 4
#define MPI_ERR_COMM 5
#define MPI_ERR_RANK 6
#define MPI_ERR_REQUEST 7
#define MPI_ERR_ROOT 8
#define MPI_ERR_GROUP 9
#define MPI_ERR_OP 10
#define MPI_ERR_TOPOLOGY 11
#define MPI_ERR_DIMS 12
#define MPI_ERR_ARG 13
#define MPI_ERR_UNKNOWN 14
#define MPI_ERR_TRUNCATE 15
#define MPI_ERR_OTHER 16
#define MPI_ERR_INTERN 17
#define MPI_ERR_IN_STATUS 18
#define MPI_ERR_PENDING 19
#define MPI_ERR_NO_MEM 20
#define MPI_ERR_PROC_FAILED 21 /* a peer process failed (the ULFM class, MPIX_ in others) */
#define MPIX_ERR_PROC_FAILED MPI_ERR_PROC_FAILED
#define MPI_ERR_NOT_SUPPORTED 22
#define MPI_ERR_LASTCODE 23

/* --- environment ---------------------------------------------------------------------- */

BPMPI_API int MPI_Init(int *argc, char ***argv);
BPMPI_API int MPI_Init_thread(int *argc, char ***argv, int required, int *provided);
BPMPI_API int MPI_Initialized(int *flag);
BPMPI_API int MPI_Finalize(void);
BPMPI_API int MPI_Finalized(int *flag);
BPMPI_API int MPI_Abort(MPI_Comm comm, int errorcode);
BPMPI_API int MPI_Get_processor_name(char *name, int *resultlen);
BPMPI_API int MPI_Get_version(int *version, int *subversion);
BPMPI_API int MPI_Get_library_version(char *version, int *resultlen);
BPMPI_API double MPI_Wtime(void);
BPMPI_API double MPI_Wtick(void);
BPMPI_API int MPI_Query_thread(int *provided);
BPMPI_API int MPI_Is_thread_main(int *flag);
BPMPI_API int MPI_Alloc_mem(MPI_Aint size, MPI_Info info, void *baseptr);
BPMPI_API int MPI_Free_mem(void *base);

/* --- errors --------------------------------------------------------------------------- */

BPMPI_API int MPI_Comm_set_errhandler(MPI_Comm comm, MPI_Errhandler errhandler);
BPMPI_API int MPI_Comm_get_errhandler(MPI_Comm comm, MPI_Errhandler *errhandler);
BPMPI_API int MPI_Errhandler_free(MPI_Errhandler *errhandler);
BPMPI_API int MPI_Error_string(int errorcode, char *string, int *resultlen);
BPMPI_API int MPI_Error_class(int errorcode, int *errorclass);

/* --- point to point ------------------------------------------------------------------- */

BPMPI_API int MPI_Send(const void *buf, int count, MPI_Datatype datatype, int dest, int tag,
                       MPI_Comm comm);
BPMPI_API int MPI_Ssend(const void *buf, int count, MPI_Datatype datatype, int dest, int tag,
                        MPI_Comm comm);
BPMPI_API int MPI_Bsend(const void *buf, int count, MPI_Datatype datatype, int dest, int tag,
                        MPI_Comm comm);
BPMPI_API int MPI_Rsend(const void *buf, int count, MPI_Datatype datatype, int dest, int tag,
                        MPI_Comm comm);
BPMPI_API int MPI_Recv(void *buf, int count, MPI_Datatype datatype, int source, int tag,
                       MPI_Comm comm, MPI_Status *status);
BPMPI_API int MPI_Isend(const void *buf, int count, MPI_Datatype datatype, int dest, int tag,
                        MPI_Comm comm, MPI_Request *request);
BPMPI_API int MPI_Issend(const void *buf, int count, MPI_Datatype datatype, int dest, int tag,
                         MPI_Comm comm, MPI_Request *request);
BPMPI_API int MPI_Ibsend(const void *buf, int count, MPI_Datatype datatype, int dest, int tag,
                         MPI_Comm comm, MPI_Request *request);
BPMPI_API int MPI_Irsend(const void *buf, int count, MPI_Datatype datatype, int dest, int tag,
                         MPI_Comm comm, MPI_Request *request);
BPMPI_API int MPI_Irecv(void *buf, int count, MPI_Datatype datatype, int source, int tag,
                        MPI_Comm comm, MPI_Request *request);
BPMPI_API int MPI_Sendrecv(const void *sendbuf, int sendcount, MPI_Datatype sendtype, int dest,
                           int sendtag, void *recvbuf, int recvcount, MPI_Datatype recvtype,
                           int source, int recvtag, MPI_Comm comm, MPI_Status *status);
BPMPI_API int MPI_Sendrecv_replace(void *buf, int count, MPI_Datatype datatype, int dest,
                                   int sendtag, int source, int recvtag, MPI_Comm comm,
                                   MPI_Status *status);
BPMPI_API int MPI_Probe(int source, int tag, MPI_Comm comm, MPI_Status *status);
BPMPI_API int MPI_Iprobe(int source, int tag, MPI_Comm comm, int *flag, MPI_Status *status);
BPMPI_API int MPI_Buffer_attach(void *buffer, int size);
BPMPI_API int MPI_Buffer_detach(void *buffer_addr, int *size);

BPMPI_API int MPI_Send_init(const void *buf, int count, MPI_Datatype datatype, int dest,
                            int tag, MPI_Comm comm, MPI_Request *request);
BPMPI_API int MPI_Ssend_init(const void *buf, int count, MPI_Datatype datatype, int dest,
                             int tag, MPI_Comm comm, MPI_Request *request);
BPMPI_API int MPI_Bsend_init(const void *buf, int count, MPI_Datatype datatype, int dest,
                             int tag, MPI_Comm comm, MPI_Request *request);
BPMPI_API int MPI_Rsend_init(const void *buf, int count, MPI_Datatype datatype, int dest,
                             int tag, MPI_Comm comm, MPI_Request *request);
BPMPI_API int MPI_Recv_init(void *buf, int count, MPI_Datatype datatype, int source, int tag,
                            MPI_Comm comm, MPI_Request *request);
BPMPI_API int MPI_Start(MPI_Request *request);
BPMPI_API int MPI_Startall(int count, MPI_Request array_of_requests[]);

BPMPI_API int MPI_Wait(MPI_Request *request, MPI_Status *status);
BPMPI_API int MPI_Waitall(int count, MPI_Request array_of_requests[],
                          MPI_Status array_of_statuses[]);
BPMPI_API int MPI_Waitany(int count, MPI_Request array_of_requests[], int *index,
                          MPI_Status *status);
BPMPI_API int MPI_Waitsome(int incount, MPI_Request array_of_requests[], int *outcount,
                           int array_of_indices[], MPI_Status array_of_statuses[]);
BPMPI_API int MPI_Test(MPI_Request *request, int *flag, MPI_Status *status);
BPMPI_API int MPI_Testall(int count, MPI_Request array_of_requests[], int *flag,
                          MPI_Status array_of_statuses[]);
BPMPI_API int MPI_Testany(int count, MPI_Request array_of_requests[], int *index, int *flag,
                          MPI_Status *status);
BPMPI_API int MPI_Testsome(int incount, MPI_Request array_of_requests[], int *outcount,
                           int array_of_indices[], MPI_Status array_of_statuses[]);
BPMPI_API int MPI_Cancel(MPI_Request *request);
BPMPI_API int MPI_Test_cancelled(const MPI_Status *status, int *flag);
BPMPI_API int MPI_Request_free(MPI_Request *request);
BPMPI_API int MPI_Get_count(const MPI_Status *status, MPI_Datatype datatype, int *count);
BPMPI_API int MPI_Get_elements(const MPI_Status *status, MPI_Datatype datatype, int *count);

/* --- communicators and groups --------------------------------------------------------- */

BPMPI_API int MPI_Comm_rank(MPI_Comm comm, int *rank);
BPMPI_API int MPI_Comm_size(MPI_Comm comm, int *size);
BPMPI_API int MPI_Comm_dup(MPI_Comm comm, MPI_Comm *newcomm);
BPMPI_API int MPI_Comm_split(MPI_Comm comm, int color, int key, MPI_Comm *newcomm);
BPMPI_API int MPI_Comm_split_type(MPI_Comm comm, int split_type, int key, MPI_Info info,
                                  MPI_Comm *newcomm);
BPMPI_API int MPI_Comm_create(MPI_Comm comm, MPI_Group group, MPI_Comm *newcomm);
BPMPI_API int MPI_Comm_create_group(MPI_Comm comm, MPI_Group group, int tag,
                                    MPI_Comm *newcomm);
BPMPI_API int MPI_Comm_free(MPI_Comm *comm);
BPMPI_API int MPI_Comm_compare(MPI_Comm comm1, MPI_Comm comm2, int *result);
BPMPI_API int MPI_Comm_group(MPI_Comm comm, MPI_Group *group);
BPMPI_API int MPI_Comm_test_inter(MPI_Comm comm, int *flag);
BPMPI_API int MPI_Comm_get_attr(MPI_Comm comm, int keyval, void *attribute_val, int *flag);
BPMPI_API int MPI_Group_size(MPI_Group group, int *size);
BPMPI_API int MPI_Group_rank(MPI_Group group, int *rank);
BPMPI_API int MPI_Group_incl(MPI_Group group, int n, const int ranks[], MPI_Group *newgroup);
BPMPI_API int MPI_Group_excl(MPI_Group group, int n, const int ranks[], MPI_Group *newgroup);
BPMPI_API int MPI_Group_free(MPI_Group *group);
BPMPI_API int MPI_Group_compare(MPI_Group group1, MPI_Group group2, int *result);
BPMPI_API int MPI_Group_translate_ranks(MPI_Group group1, int n, const int ranks1[],
                                        MPI_Group group2, int ranks2[]);

/* Cartesian topologies (mpi_topo.c); graph topologies are not in the subset. */
#define MPI_CART 1
#define MPI_GRAPH 2
#define MPI_DIST_GRAPH 3
BPMPI_API int MPI_Dims_create(int nnodes, int ndims, int dims[]);
BPMPI_API int MPI_Cart_create(MPI_Comm comm_old, int ndims, const int dims[],
                              const int periods[], int reorder, MPI_Comm *comm_cart);
BPMPI_API int MPI_Cart_get(MPI_Comm comm, int maxdims, int dims[], int periods[], int coords[]);
BPMPI_API int MPI_Cartdim_get(MPI_Comm comm, int *ndims);
BPMPI_API int MPI_Cart_rank(MPI_Comm comm, const int coords[], int *rank);
BPMPI_API int MPI_Cart_coords(MPI_Comm comm, int rank, int maxdims, int coords[]);
BPMPI_API int MPI_Cart_shift(MPI_Comm comm, int direction, int disp, int *rank_source,
                             int *rank_dest);
BPMPI_API int MPI_Cart_sub(MPI_Comm comm, const int remain_dims[], MPI_Comm *newcomm);
BPMPI_API int MPI_Topo_test(MPI_Comm comm, int *status);
/* Distributed graph topologies (adjacent form) and the neighbourhood collectives, on them
 * and on Cartesian communicators. */
extern int bpmpi_unweighted_, bpmpi_weights_empty_;
#define MPI_UNWEIGHTED (&bpmpi_unweighted_)
#define MPI_WEIGHTS_EMPTY (&bpmpi_weights_empty_)
BPMPI_API int MPI_Dist_graph_create_adjacent(MPI_Comm comm_old, int indegree,
                                             const int sources[], const int sourceweights[],
                                             int outdegree, const int destinations[],
                                             const int destweights[], MPI_Info info,
                                             int reorder, MPI_Comm *comm_dist_graph);
BPMPI_API int MPI_Dist_graph_neighbors_count(MPI_Comm comm, int *indegree, int *outdegree,
                                             int *weighted);
BPMPI_API int MPI_Dist_graph_neighbors(MPI_Comm comm, int maxindegree, int sources[],
                                       int sourceweights[], int maxoutdegree,
                                       int destinations[], int destweights[]);
BPMPI_API int MPI_Neighbor_allgather(const void *sendbuf, int sendcount, MPI_Datatype sendtype,
                                     void *recvbuf, int recvcount, MPI_Datatype recvtype,
                                     MPI_Comm comm);
BPMPI_API int MPI_Neighbor_allgatherv(const void *sendbuf, int sendcount,
                                      MPI_Datatype sendtype, void *recvbuf,
                                      const int recvcounts[], const int displs[],
                                      MPI_Datatype recvtype, MPI_Comm comm);
BPMPI_API int MPI_Neighbor_alltoall(const void *sendbuf, int sendcount, MPI_Datatype sendtype,
                                    void *recvbuf, int recvcount, MPI_Datatype recvtype,
                                    MPI_Comm comm);
BPMPI_API int MPI_Neighbor_alltoallv(const void *sendbuf, const int sendcounts[],
                                     const int sdispls[], MPI_Datatype sendtype, void *recvbuf,
                                     const int recvcounts[], const int rdispls[],
                                     MPI_Datatype recvtype, MPI_Comm comm);
BPMPI_API int MPI_Neighbor_alltoallw(const void *sendbuf, const int sendcounts[],
                                     const MPI_Aint sdispls[], const MPI_Datatype sendtypes[],
                                     void *recvbuf, const int recvcounts[],
                                     const MPI_Aint rdispls[], const MPI_Datatype recvtypes[],
                                     MPI_Comm comm);
BPMPI_API int MPI_Ineighbor_allgather(const void *sendbuf, int sendcount,
                                      MPI_Datatype sendtype, void *recvbuf, int recvcount,
                                      MPI_Datatype recvtype, MPI_Comm comm,
                                      MPI_Request *request);
BPMPI_API int MPI_Ineighbor_allgatherv(const void *sendbuf, int sendcount,
                                       MPI_Datatype sendtype, void *recvbuf,
                                       const int recvcounts[], const int displs[],
                                       MPI_Datatype recvtype, MPI_Comm comm,
                                       MPI_Request *request);
BPMPI_API int MPI_Ineighbor_alltoall(const void *sendbuf, int sendcount, MPI_Datatype sendtype,
                                     void *recvbuf, int recvcount, MPI_Datatype recvtype,
                                     MPI_Comm comm, MPI_Request *request);
BPMPI_API int MPI_Ineighbor_alltoallv(const void *sendbuf, const int sendcounts[],
                                      const int sdispls[], MPI_Datatype sendtype,
                                      void *recvbuf, const int recvcounts[],
                                      const int rdispls[], MPI_Datatype recvtype,
                                      MPI_Comm comm, MPI_Request *request);
BPMPI_API int MPI_Ineighbor_alltoallw(const void *sendbuf, const int sendcounts[],
                                      const MPI_Aint sdispls[],
                                      const MPI_Datatype sendtypes[], void *recvbuf,
                                      const int recvcounts[], const MPI_Aint rdispls[],
                                      const MPI_Datatype recvtypes[], MPI_Comm comm,
                                      MPI_Request *request);

/* Object names. */
BPMPI_API int MPI_Comm_set_name(MPI_Comm comm, const char *comm_name);
BPMPI_API int MPI_Comm_get_name(MPI_Comm comm, char *comm_name, int *resultlen);
BPMPI_API int MPI_Type_set_name(MPI_Datatype datatype, const char *type_name);
BPMPI_API int MPI_Type_get_name(MPI_Datatype datatype, char *type_name, int *resultlen);

/* --- datatypes ------------------------------------------------------------------------ */

BPMPI_API int MPI_Type_contiguous(int count, MPI_Datatype oldtype, MPI_Datatype *newtype);
BPMPI_API int MPI_Type_vector(int count, int blocklength, int stride, MPI_Datatype oldtype,
                              MPI_Datatype *newtype);
BPMPI_API int MPI_Type_create_hvector(int count, int blocklength, MPI_Aint stride,
                                      MPI_Datatype oldtype, MPI_Datatype *newtype);
BPMPI_API int MPI_Type_indexed(int count, const int array_of_blocklengths[],
                               const int array_of_displacements[], MPI_Datatype oldtype,
                               MPI_Datatype *newtype);
BPMPI_API int MPI_Type_create_hindexed(int count, const int array_of_blocklengths[],
                                       const MPI_Aint array_of_displacements[],
                                       MPI_Datatype oldtype, MPI_Datatype *newtype);
BPMPI_API int MPI_Type_create_struct(int count, const int array_of_blocklengths[],
                                     const MPI_Aint array_of_displacements[],
                                     const MPI_Datatype array_of_types[],
                                     MPI_Datatype *newtype);
BPMPI_API int MPI_Type_create_resized(MPI_Datatype oldtype, MPI_Aint lb, MPI_Aint extent,
                                      MPI_Datatype *newtype);
#define MPI_ORDER_C 56
#define MPI_ORDER_FORTRAN 57
BPMPI_API int MPI_Type_create_subarray(int ndims, const int array_of_sizes[],
                                       const int array_of_subsizes[],
                                       const int array_of_starts[], int order,
                                       MPI_Datatype oldtype, MPI_Datatype *newtype);
BPMPI_API int MPI_Type_dup(MPI_Datatype oldtype, MPI_Datatype *newtype);
BPMPI_API int MPI_Type_commit(MPI_Datatype *datatype);
BPMPI_API int MPI_Type_free(MPI_Datatype *datatype);
BPMPI_API int MPI_Type_size(MPI_Datatype datatype, int *size);
BPMPI_API int MPI_Type_get_extent(MPI_Datatype datatype, MPI_Aint *lb, MPI_Aint *extent);
BPMPI_API int MPI_Type_get_true_extent(MPI_Datatype datatype, MPI_Aint *true_lb,
                                       MPI_Aint *true_extent);
BPMPI_API int MPI_Get_address(const void *location, MPI_Aint *address);
BPMPI_API int MPI_Pack(const void *inbuf, int incount, MPI_Datatype datatype, void *outbuf,
                       int outsize, int *position, MPI_Comm comm);
BPMPI_API int MPI_Unpack(const void *inbuf, int insize, int *position, void *outbuf,
                         int outcount, MPI_Datatype datatype, MPI_Comm comm);
BPMPI_API int MPI_Pack_size(int incount, MPI_Datatype datatype, MPI_Comm comm, int *size);

/* --- operations and collectives ------------------------------------------------------- */

BPMPI_API int MPI_Op_create(MPI_User_function *user_fn, int commute, MPI_Op *op);
BPMPI_API int MPI_Op_free(MPI_Op *op);
BPMPI_API int MPI_Op_commutative(MPI_Op op, int *commute);
BPMPI_API int MPI_Reduce_local(const void *inbuf, void *inoutbuf, int count,
                               MPI_Datatype datatype, MPI_Op op);

BPMPI_API int MPI_Barrier(MPI_Comm comm);
BPMPI_API int MPI_Bcast(void *buffer, int count, MPI_Datatype datatype, int root,
                        MPI_Comm comm);
BPMPI_API int MPI_Reduce(const void *sendbuf, void *recvbuf, int count, MPI_Datatype datatype,
                         MPI_Op op, int root, MPI_Comm comm);
BPMPI_API int MPI_Allreduce(const void *sendbuf, void *recvbuf, int count,
                            MPI_Datatype datatype, MPI_Op op, MPI_Comm comm);
BPMPI_API int MPI_Gather(const void *sendbuf, int sendcount, MPI_Datatype sendtype,
                         void *recvbuf, int recvcount, MPI_Datatype recvtype, int root,
                         MPI_Comm comm);
BPMPI_API int MPI_Gatherv(const void *sendbuf, int sendcount, MPI_Datatype sendtype,
                          void *recvbuf, const int recvcounts[], const int displs[],
                          MPI_Datatype recvtype, int root, MPI_Comm comm);
BPMPI_API int MPI_Scatter(const void *sendbuf, int sendcount, MPI_Datatype sendtype,
                          void *recvbuf, int recvcount, MPI_Datatype recvtype, int root,
                          MPI_Comm comm);
BPMPI_API int MPI_Scatterv(const void *sendbuf, const int sendcounts[], const int displs[],
                           MPI_Datatype sendtype, void *recvbuf, int recvcount,
                           MPI_Datatype recvtype, int root, MPI_Comm comm);
BPMPI_API int MPI_Allgather(const void *sendbuf, int sendcount, MPI_Datatype sendtype,
                            void *recvbuf, int recvcount, MPI_Datatype recvtype,
                            MPI_Comm comm);
BPMPI_API int MPI_Allgatherv(const void *sendbuf, int sendcount, MPI_Datatype sendtype,
                             void *recvbuf, const int recvcounts[], const int displs[],
                             MPI_Datatype recvtype, MPI_Comm comm);
BPMPI_API int MPI_Alltoall(const void *sendbuf, int sendcount, MPI_Datatype sendtype,
                           void *recvbuf, int recvcount, MPI_Datatype recvtype, MPI_Comm comm);
BPMPI_API int MPI_Alltoallv(const void *sendbuf, const int sendcounts[], const int sdispls[],
                            MPI_Datatype sendtype, void *recvbuf, const int recvcounts[],
                            const int rdispls[], MPI_Datatype recvtype, MPI_Comm comm);
BPMPI_API int MPI_Alltoallw(const void *sendbuf, const int sendcounts[], const int sdispls[],
                            const MPI_Datatype sendtypes[], void *recvbuf,
                            const int recvcounts[], const int rdispls[],
                            const MPI_Datatype recvtypes[], MPI_Comm comm);
BPMPI_API int MPI_Reduce_scatter(const void *sendbuf, void *recvbuf, const int recvcounts[],
                                 MPI_Datatype datatype, MPI_Op op, MPI_Comm comm);
BPMPI_API int MPI_Reduce_scatter_block(const void *sendbuf, void *recvbuf, int recvcount,
                                       MPI_Datatype datatype, MPI_Op op, MPI_Comm comm);
BPMPI_API int MPI_Scan(const void *sendbuf, void *recvbuf, int count, MPI_Datatype datatype,
                       MPI_Op op, MPI_Comm comm);
BPMPI_API int MPI_Exscan(const void *sendbuf, void *recvbuf, int count, MPI_Datatype datatype,
                         MPI_Op op, MPI_Comm comm);

/* Nonblocking collectives (MPI-3.1 5.12; mpi_nbc.c). */
BPMPI_API int MPI_Ibarrier(MPI_Comm comm, MPI_Request *request);
BPMPI_API int MPI_Ibcast(void *buffer, int count, MPI_Datatype datatype, int root,
                         MPI_Comm comm, MPI_Request *request);
BPMPI_API int MPI_Ireduce(const void *sendbuf, void *recvbuf, int count, MPI_Datatype datatype,
                          MPI_Op op, int root, MPI_Comm comm, MPI_Request *request);
BPMPI_API int MPI_Iallreduce(const void *sendbuf, void *recvbuf, int count,
                             MPI_Datatype datatype, MPI_Op op, MPI_Comm comm,
                             MPI_Request *request);
BPMPI_API int MPI_Igather(const void *sendbuf, int sendcount, MPI_Datatype sendtype,
                          void *recvbuf, int recvcount, MPI_Datatype recvtype, int root,
                          MPI_Comm comm, MPI_Request *request);
BPMPI_API int MPI_Igatherv(const void *sendbuf, int sendcount, MPI_Datatype sendtype,
                           void *recvbuf, const int recvcounts[], const int displs[],
                           MPI_Datatype recvtype, int root, MPI_Comm comm,
                           MPI_Request *request);
BPMPI_API int MPI_Iscatter(const void *sendbuf, int sendcount, MPI_Datatype sendtype,
                           void *recvbuf, int recvcount, MPI_Datatype recvtype, int root,
                           MPI_Comm comm, MPI_Request *request);
BPMPI_API int MPI_Iscatterv(const void *sendbuf, const int sendcounts[], const int displs[],
                            MPI_Datatype sendtype, void *recvbuf, int recvcount,
                            MPI_Datatype recvtype, int root, MPI_Comm comm,
                            MPI_Request *request);
BPMPI_API int MPI_Iallgather(const void *sendbuf, int sendcount, MPI_Datatype sendtype,
                             void *recvbuf, int recvcount, MPI_Datatype recvtype,
                             MPI_Comm comm, MPI_Request *request);
BPMPI_API int MPI_Iallgatherv(const void *sendbuf, int sendcount, MPI_Datatype sendtype,
                              void *recvbuf, const int recvcounts[], const int displs[],
                              MPI_Datatype recvtype, MPI_Comm comm, MPI_Request *request);
BPMPI_API int MPI_Ialltoall(const void *sendbuf, int sendcount, MPI_Datatype sendtype,
                            void *recvbuf, int recvcount, MPI_Datatype recvtype, MPI_Comm comm,
                            MPI_Request *request);
BPMPI_API int MPI_Ialltoallv(const void *sendbuf, const int sendcounts[], const int sdispls[],
                             MPI_Datatype sendtype, void *recvbuf, const int recvcounts[],
                             const int rdispls[], MPI_Datatype recvtype, MPI_Comm comm,
                             MPI_Request *request);
BPMPI_API int MPI_Ialltoallw(const void *sendbuf, const int sendcounts[], const int sdispls[],
                             const MPI_Datatype sendtypes[], void *recvbuf,
                             const int recvcounts[], const int rdispls[],
                             const MPI_Datatype recvtypes[], MPI_Comm comm,
                             MPI_Request *request);
BPMPI_API int MPI_Ireduce_scatter(const void *sendbuf, void *recvbuf, const int recvcounts[],
                                  MPI_Datatype datatype, MPI_Op op, MPI_Comm comm,
                                  MPI_Request *request);
BPMPI_API int MPI_Ireduce_scatter_block(const void *sendbuf, void *recvbuf, int recvcount,
                                        MPI_Datatype datatype, MPI_Op op, MPI_Comm comm,
                                        MPI_Request *request);
BPMPI_API int MPI_Iscan(const void *sendbuf, void *recvbuf, int count, MPI_Datatype datatype,
                        MPI_Op op, MPI_Comm comm, MPI_Request *request);
BPMPI_API int MPI_Iexscan(const void *sendbuf, void *recvbuf, int count, MPI_Datatype datatype,
                          MPI_Op op, MPI_Comm comm, MPI_Request *request);

/* --- one-sided communication: window creation only, and it fails --------------------- *
 * Not in the subset (docs/MPI.md). The window handle, its attribute keys and the calls that
 * make, attach, query and free windows exist so that programs that carry window helpers they
 * may never call (PRK's MPI1 kernels' header, OSU 7's utility library linked into every
 * benchmark) build; each of these calls fails with MPI_ERR_NOT_SUPPORTED through the error
 * handler (the default one aborts, naming the call). The communication calls (Put, Get,
 * Accumulate, fences, locks) are not declared: a program using them does not build. */
typedef struct bpmpi_win *MPI_Win;
#define MPI_WIN_NULL ((MPI_Win)0)
#define MPI_WIN_BASE 101
#define MPI_WIN_SIZE 102
#define MPI_WIN_DISP_UNIT 103
#define MPI_WIN_CREATE_FLAVOR 104
#define MPI_WIN_MODEL 105
#define MPI_WIN_FLAVOR_CREATE 1
#define MPI_WIN_FLAVOR_ALLOCATE 2
#define MPI_WIN_FLAVOR_DYNAMIC 3
#define MPI_WIN_FLAVOR_SHARED 4
#define MPI_WIN_SEPARATE 1
#define MPI_WIN_UNIFIED 2
BPMPI_API int MPI_Win_create(void *base, MPI_Aint size, int disp_unit, MPI_Info info,
                             MPI_Comm comm, MPI_Win *win);
BPMPI_API int MPI_Win_allocate(MPI_Aint size, int disp_unit, MPI_Info info, MPI_Comm comm,
                               void *baseptr, MPI_Win *win);
BPMPI_API int MPI_Win_allocate_shared(MPI_Aint size, int disp_unit, MPI_Info info,
                                      MPI_Comm comm, void *baseptr, MPI_Win *win);
BPMPI_API int MPI_Win_create_dynamic(MPI_Info info, MPI_Comm comm, MPI_Win *win);
BPMPI_API int MPI_Win_attach(MPI_Win win, void *base, MPI_Aint size);
BPMPI_API int MPI_Win_detach(MPI_Win win, const void *base);
BPMPI_API int MPI_Win_get_attr(MPI_Win win, int win_keyval, void *attribute_val, int *flag);
BPMPI_API int MPI_Win_free(MPI_Win *win);

#ifdef __cplusplus
}
#endif

#endif /* BYPASS_MPI_H */
