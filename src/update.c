/* update.c: the gradient exchange and Adam step of data-parallel training, split over the ranks.
 * See update.h. */
#include "update.h"

#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

/* Floats of the reduce-scatter's scratch: pieces of 1 MB (in L2) go round the ring. */
#define UPDATE_PIECE (1 << 18)

int update_build(Update *u, ParComm *c, size_t n, Error *err)
{
    memset(u, 0, sizeof *u);
    int P = par_size(c);
    if (n > (size_t)INT_MAX)
        return error_set(err, "the model has %zu parameters; at most %d are supported", n, INT_MAX);
    u->comm = c;
    u->counts = xmalloc((size_t)P, sizeof(int));
    u->displs = xmalloc((size_t)P, sizeof(int));
    for (int r = 0; r < P; r++) { /* slices as even as they go, in rank order */
        u->displs[r] = (int)(n * r / P);
        u->counts[r] = (int)(n * (r + 1) / P) - u->displs[r];
    }
    u->scratch = P > 1 ? xalloc_floats(UPDATE_PIECE) : NULL;
    u->moments_whole = 1;
    return 0;
}

void update_free(Update *u)
{
    free(u->counts);
    free(u->displs);
    free(u->scratch);
    u->counts = u->displs = NULL;
    u->scratch = NULL;
}

/* The fused end of the reduce-scatter: Adam on each arriving piece of this rank's slice. */
typedef struct {
    Adam *a;
    const AdamConfig *cfg;
    float *params, *grads;
    double seconds; /* spent in the updates */
} PieceJob;

static void update_piece(void *ctx, size_t at, const float *incoming, int n)
{
    PieceJob *j = ctx;
    double t0 = now_seconds();
    adam_update(j->a, j->cfg, j->params, j->grads + at, incoming, 1.0f, at, at + (size_t)n);
    j->seconds += now_seconds() - t0;
}

double update_step(Update *u, Adam *a, const AdamConfig *cfg, float *params, float *grads, int summed)
{
    double t0 = now_seconds(), norm = 0.0;
    if (summed || par_size(u->comm) == 1) {
        norm = adam_step(a, cfg, params, grads);
        u->optimizer_seconds += now_seconds() - t0;
        return norm;
    }
    int r = par_rank(u->comm);
    size_t lo = (size_t)u->displs[r], hi = lo + (size_t)u->counts[r];
    PieceJob job = {a, cfg, params, grads, 0.0};
    if (cfg->clip_norm > 0.0f) { /* the global norm first, then the update */
        par_reduce_scatter_sum_f32(u->comm, grads, u->counts, u->displs, u->scratch, UPDATE_PIECE,
                                   NULL, NULL);
        double sumsq[1] = {adam_sumsq(grads + lo, hi - lo)}, t1 = now_seconds();
        par_allreduce_sum_f64(u->comm, sumsq, 1);
        norm = sqrt(sumsq[0]);
        adam_update(a, cfg, params, grads + lo, NULL, adam_clip_scale(cfg, norm), lo, hi);
        job.seconds = now_seconds() - t1;
    } else { /* the update as the last pieces of the sum arrive, while they are in cache */
        par_reduce_scatter_sum_f32(u->comm, grads, u->counts, u->displs, u->scratch, UPDATE_PIECE,
                                   update_piece, &job);
    }
    a->step++;
    u->moments_whole = 0;
    par_allgather_f32(u->comm, params, u->counts, u->displs);
    u->optimizer_seconds += job.seconds;
    u->exchange_seconds += now_seconds() - t0 - job.seconds;
    return norm;
}

void update_share_moments(Update *u, Adam *a)
{
    if (u->moments_whole)
        return;
    par_allgather_f32(u->comm, a->m, u->counts, u->displs);
    par_allgather_f32(u->comm, a->v, u->counts, u->displs);
    u->moments_whole = 1;
}
