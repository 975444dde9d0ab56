/* par.h: every use of MPI goes through here (src/par.c is the only file that includes mpi.h).
 * Wrappers are named by intent; each checks its MPI call and dies with MPI's own message. The rest of
 * the program sees a communicator as an opaque ParComm with plain integer rank and size.
 * Without a launcher (./gseq_mpi train ...) MPI starts as a singleton: rank 0 of 1. */
#ifndef GSEQ_PAR_H
#define GSEQ_PAR_H

#include <stddef.h>
#include <stdint.h>

#include "base/util.h"

typedef struct ParComm ParComm;

/* Starts MPI and makes die() abort every rank. */
void par_init(int *argc, char ***argv);
void par_finalize(void);
ParComm *par_world(void);
int par_rank(const ParComm *c);
int par_size(const ParComm *c);
/* Splits c into groups by color (ranks keep their order); free with par_comm_free. */
ParComm *par_split(ParComm *c, int color);
void par_comm_free(ParComm *c);

/* Ranks of the world that share this node (for BLAS thread defaults). */
int par_node_size(void);

/* Whether a launcher (mpirun, srun) started this process; callable before par_init. */
int par_launched(void);

/* The two ways the ranks settle the outcome of a step that may fail. Both are collective over c.
 * par_root_verdict: rank 0 alone did the step (it read a file, made a directory); every rank
 *   returns rank 0's rc, and rank 0 has the message.
 * par_any_failed: each rank did its part; 0 when rc is 0 on every rank, else -1 on every rank with
 *   the message of the lowest failing rank copied into err on every rank. */
int par_root_verdict(ParComm *c, int rc);
int par_any_failed(ParComm *c, int rc, Error *err);

void par_barrier(ParComm *c);
void par_bcast(ParComm *c, void *buf, size_t bytes, int root);
void par_allreduce_sum_f32(ParComm *c, float *buf, size_t n);
void par_allreduce_sum_f64(ParComm *c, double *buf, size_t n);
void par_allreduce_max_f64(ParComm *c, double *buf, size_t n);
void par_allreduce_min_f64(ParComm *c, double *buf, size_t n);
void par_allreduce_sum_i64(ParComm *c, int64_t *buf, size_t n);
/* The sum over the ranks of the block buf[displs[r] .. + counts[r]) lands on rank r, in place
 * (the other blocks of buf are left partly summed); tmp holds tmp_n floats of scratch. With
 * `last`, the pieces of the final step are handed to it instead of being added: buf[at .. at+n)
 * plus incoming[0 .. n) is then the sum, for the caller to use as it goes. */
typedef void (*ParPieceFn)(void *ctx, size_t at, const float *incoming, int n);
void par_reduce_scatter_sum_f32(ParComm *c, float *buf, const int *counts, const int *displs,
                                float *tmp, int tmp_n, ParPieceFn last, void *ctx);
/* Every rank's buf[displs[r] .. + counts[r]) from rank r, in place on every rank. */
void par_allgather_f32(ParComm *c, float *buf, const int *counts, const int *displs);
/* Rank-ordered concatenation onto root of each rank's `count` floats (counts may differ). */
void par_gather_f32(ParComm *c, const float *send, int count, float *recv, int root);

/* Rank-ordered concatenation of each rank's bytes onto root (counts may differ). */
void par_gather_bytes(ParComm *c, const void *send, size_t bytes, void *recv, int root);
/* Point to point, for rank 0 handing out pieces (in chunks under 1 GiB). */
void par_send_bytes(ParComm *c, const void *buf, size_t bytes, int to);
void par_recv_bytes(ParComm *c, void *buf, size_t bytes, int from);

/* Node-shared memory (MPI-3 shared window over the world): one buffer per node, allocated by the
 * node's leader (its lowest world rank), mapped by every rank of the node. Collective over the world. */
typedef struct ParShared ParShared;
ParShared *par_shared_create(size_t bytes);
void *par_shared_base(ParShared *s);
int par_shared_is_leader(const ParShared *s);
int par_shared_nodes(const ParShared *s);
/* Leaders only: world rank 0's bytes to every node's leader. */
void par_shared_bcast_leaders(ParShared *s, void *buf, size_t bytes);
/* After the leaders have written: every rank of the node sees the data. Collective over the world. */
void par_shared_ready(ParShared *s);
void par_shared_free(ParShared *s);

/* Memory shared by the ranks of a communicator that run on one node (MPI-3 shared window), on
 * every node: each rank's own block of own_bytes, and one common block of common_bytes per node,
 * every block of a node mapped by every rank of that node; 64-byte aligned. NULL, with nothing
 * allocated, when the nodes hold different numbers of the ranks, or one each, or a node cannot map
 * that much (Open MPI checks the room of its backing file). Pages land on the NUMA node of the rank
 * that first touches them. GSEQ_RANKS_PER_NODE=k (for tests) makes each k ranks of a node act as
 * a node. Collective over c. */
typedef struct ParNodeMem ParNodeMem;
ParNodeMem *par_nodemem_create(ParComm *c, size_t own_bytes, size_t common_bytes);
void *par_nodemem_own(ParNodeMem *s, int node_rank);
void *par_nodemem_common(ParNodeMem *s);
ParComm *par_nodemem_node(ParNodeMem *s); /* this node's ranks, in c's order */
int par_nodemem_nodes(const ParNodeMem *s);
/* Every rank's writes before this call are seen by every rank of the node after it. Collective
 * over the node. */
void par_nodemem_sync(ParNodeMem *s);
void par_nodemem_free(ParNodeMem *s);

/* Gradient exchange in fixed-order buckets that start while the backward pass goes on. */
typedef struct ParBuckets ParBuckets;
ParBuckets *par_buckets_create(ParComm *c, float *buf, const size_t *offsets, int n_buckets);
void par_buckets_start(ParBuckets *b, int bucket); /* its range is final: start summing it */
void par_buckets_poke(ParBuckets *b);              /* lets MPI progress the started ones */
void par_buckets_wait(ParBuckets *b);              /* all started buckets are summed */
void par_buckets_free(ParBuckets *b);

/* Ranks working apart, each on its own pieces, and rank 0 taking the others' results as each is
 * ready. A rank that fails tells the others without waiting for them: it raises the alarm (a
 * message to every other rank, not waited for); the others hear it when they poll between two
 * pieces, or while rank 0 waits for a piece, and stop early. par_alarm_settle ends it,
 * collectively, without spinning (a rank done early leaves the core to the ones still working):
 * every rank's rc, as par_any_failed (the lowest failing rank's message on every rank), and the
 * messages not taken. Created collectively (its own communicator: no other message is taken for
 * one of its). */
typedef struct ParAlarm ParAlarm;
ParAlarm *par_alarm_create(ParComm *c);
void par_alarm_raise(ParAlarm *a);
int par_alarm_heard(ParAlarm *a); /* another rank has raised it (does not wait) */
/* A piece is ready, with a number (e.g. its rows), to rank `to` (in order: the receiver takes
 * them in the order they were sent). */
void par_alarm_send_ready(ParAlarm *a, int to, int64_t value);
/* Waits (without spinning) for the next piece of rank `from`: 0 with *value, or -1 when the
 * alarm is heard first. */
int par_alarm_wait_ready(ParAlarm *a, int from, int64_t *value);
int par_alarm_settle(ParAlarm *a, int rc, Error *err); /* frees a */

/* Ends every rank now with the status (used by die()). */
void par_abort(int status);

#endif
