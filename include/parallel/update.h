/* update.h: the synchronous step of data-parallel training: the gradient sum over the ranks and
 * the Adam step, split over the ranks. Each rank takes the Adam step on its own slice of the flat
 * buffers only, so Adam's work and memory traffic are divided by the number of ranks. How the
 * slices meet depends on where the ranks run (ExchangeMode):
 *   - shared (the default when every node runs the same number, at least 2, of the ranks):
 *     parameters, Adam's moments and every rank's gradient live in memory the node's ranks share
 *     (par_nodemem), one copy a node; the slices are the node's, one per rank of a node. After a
 *     barrier each rank sums its slice of the node's gradients; with several nodes, the ranks of
 *     the same slice sum it between nodes (MPI_Allreduce, 1/ranks-per-node of the buffer each);
 *     each rank updates its slice of its node's parameters; a second barrier, and every rank of
 *     the node sees the new parameters. On one node no bytes are copied.
 *   - ring (otherwise): a ring reduce-scatter leaves each rank the sum of its slice, the Adam
 *     step runs as the last pieces arrive, and the new parameters are all-gathered. Adam's
 *     moments are then current only on a rank's own slice: update_share_moments makes them whole
 *     (before a checkpoint is written).
 *   - buckets (--exchange buckets, --overlap): the gradients are summed in per-layer MPI_Iallreduce buckets
 *     that backward starts as each layer's gradient is final (Model.grad_ready); every rank then
 *     updates the whole buffer.
 * The update decides the mode first and so where the parameters, gradients and Adam's moments live
 * (private buffers, or the node's shared memory); update_build places the model and Adam there, and
 * nothing is copied or pointed elsewhere later. */
#ifndef GSEQ_UPDATE_H
#define GSEQ_UPDATE_H
#include <stddef.h>

#include "nn/adam.h"
#include "nn/model.h"
#include "parallel/par.h"
#include "base/util.h"

typedef enum { EXCHANGE_AUTO, EXCHANGE_SHARED, EXCHANGE_RING, EXCHANGE_BUCKETS } ExchangeMode;

typedef struct {
    ParComm *comm;
    ExchangeMode mode;          /* resolved: never EXCHANGE_AUTO */
    size_t n;                   /* floats of the flat buffers */
    int *counts, *displs;       /* (ranks; shared: ranks of a node) the slices of the flat buffers */
    int me;                     /* this rank's slice */
    float *scratch;             /* ring: a piece of another rank's gradient on its way round */
    ParNodeMem *shared;         /* shared: the node's buffers */
    float **grads_of;           /* shared: (ranks of the node) every rank's gradient */
    ParComm *cross;             /* shared, several nodes: the ranks of the same slice, a node each */
    float *params, *grads;      /* (n) the model's flat buffers (shared: the node's parameters and
                                 * this rank's gradient); owned here, freed by update_free */
    float *adam_m, *adam_v;     /* (n) Adam's moments (shared: the node's) */
    ParBuckets *buckets;        /* buckets: one per layer with parameters, last layer first */
    int *bucket_of_layer;       /* buckets: (model layers) a layer's bucket, -1 without parameters */
    int moments_whole;          /* no step since the last update_share_moments */
    double exchange_seconds;    /* summed over the steps: the sum of gradients, waits included */
    double optimizer_seconds;   /* the Adam update of this rank's slice */
} Update;

/* "auto", "shared", "ring" or "buckets"; -1 for anything else. */
int exchange_mode_parse(const char *s);
const char *exchange_mode_name(ExchangeMode mode);
/* Builds the update for model m, planned (model_plan) but not yet placed, and Adam's state a:
 * decides the mode (AUTO is shared when par_nodemem can serve the ranks, ring otherwise), puts the
 * flat buffers there, zeroed (model_place, adam_build_on), and in buckets mode makes backward start
 * each layer's sum. The parameters are then zero: set them on rank 0 and update_bcast_params. Fails
 * (and says why) when the model is too large for the slices' int counts or when shared is asked for
 * and cannot be had. Collective. */
int update_build(Update *u, ParComm *c, Model *m, Adam *a, ExchangeMode mode, Error *err);
/* Frees the buffers too (the model and Adam only point into them: free those with them). */
void update_free(Update *u);
/* Buckets: after backward, waits until every bucket is summed; other modes: nothing. Collective. */
void update_wait_buckets(Update *u);
/* One step from this rank's gradient part (in buckets mode summed, waiting for it if the caller
 * did not). Returns the global gradient norm when clipping is on, else 0. Collective. */
double update_step(Update *u, Adam *a, const AdamConfig *cfg);
/* Rank 0's parameters on every rank (after rank 0 initialised them). Collective. */
void update_bcast_params(Update *u);
/* Adam's moments whole on every rank. Collective. */
void update_share_moments(Update *u, Adam *a);
/* Rank 0's parameters and moments on every rank (after rank 0 read a checkpoint). Collective. */
void update_bcast_state(Update *u, Adam *a);
/* The parameters = src (n floats) on every rank, src being equal on every rank. Collective. */
void update_set_params(Update *u, const float *src);
#endif
