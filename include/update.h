/* update.h: the synchronous step of data-parallel training, split over the ranks. A ring
 * reduce-scatter sums the ranks' gradients so that each rank holds the sum for its own slice of
 * the flat buffer; each rank takes the Adam step on that slice only (as the last pieces of the sum
 * arrive, or after the global norm when it is clipped); the new parameters are all-gathered. Every
 * rank ends with the parameters of one Adam step over the whole buffer, Adam's work and memory
 * traffic are divided by the number of ranks, and the exchange moves the bytes of one ring
 * all-reduce. Adam's moments are then current only on a rank's own slice: update_share_moments
 * makes them whole on every rank (before a checkpoint is written). */
#ifndef GSEQ_UPDATE_H
#define GSEQ_UPDATE_H
#include <stddef.h>

#include "adam.h"
#include "par.h"
#include "util.h"

typedef struct {
    ParComm *comm;
    int *counts, *displs; /* (ranks) each rank's slice of the flat buffers */
    float *scratch;             /* a piece of another rank's gradient, on its way round the ring */
    int moments_whole;          /* no step since the last update_share_moments */
    double exchange_seconds;    /* summed over the steps: reduce-scatter and all-gather */
    double optimizer_seconds;   /* the Adam update of this rank's slice */
} Update;

/* Fails (and says why) when the model is too large for the slices' int counts. */
int update_build(Update *u, ParComm *c, size_t n, Error *err);
void update_free(Update *u);
/* One step from this rank's gradient part (summed in place; `summed`: already summed over the
 * ranks, e.g. by the overlapped buckets, so every rank updates the whole buffer). Returns the
 * global gradient norm when clipping is on, else 0. Collective. */
double update_step(Update *u, Adam *a, const AdamConfig *cfg, float *params, float *grads, int summed);
/* Adam's moments whole on every rank. Collective. */
void update_share_moments(Update *u, Adam *a);
#endif
