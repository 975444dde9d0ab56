/* update.c: the gradient sum and Adam step of data-parallel training, split over the ranks.
 * See update.h. */
#include "parallel/update.h"

#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "base/util.h"

/* Floats of a piece: the ring's pieces of 1 MB (in L2) go round; the shared mode sums and
 * updates its slice a piece at a time. */
#define UPDATE_PIECE (1 << 18)

static const char *const mode_names[] = {"auto", "shared", "ring", "buckets"};

int exchange_mode_parse(const char *s)
{
    for (int i = 0; i < 4; i++)
        if (!strcmp(s, mode_names[i]))
            return i;
    return -1;
}

const char *exchange_mode_name(ExchangeMode mode) { return mode_names[mode]; }

/* Bytes of n floats, padded to whole 64-byte lines. */
static size_t padded_bytes(size_t n) { return (sizeof(float) * n + 63) & ~(size_t)63; }

/* Slices as even as they go, of whole 64-byte lines, one per part, in order. */
static void plan_slices(Update *u, int parts)
{
    u->counts = xmalloc((size_t)parts, sizeof(int));
    u->displs = xmalloc((size_t)parts, sizeof(int));
    for (int q = 0; q < parts; q++) {
        size_t lo = u->n * q / parts / 16 * 16, hi = q + 1 == parts ? u->n : u->n * (q + 1) / parts / 16 * 16;
        u->displs[q] = (int)lo;
        u->counts[q] = (int)(hi - lo);
    }
}

/* The node's shared memory: the common block holds the parameters and both moments, each rank's
 * own block its gradient. Each rank zeroes (and so first touches: its NUMA node) its own slice of
 * the common block and its whole gradient. */
static void place_shared(Update *u)
{
    ParComm *node = par_nodemem_node(u->shared);
    size_t n = u->n, lo = (size_t)u->displs[u->me], hi = lo + (size_t)u->counts[u->me];
    size_t stride = padded_bytes(n) / sizeof(float);
    u->params = par_nodemem_common(u->shared);
    u->adam_m = u->params + stride;
    u->adam_v = u->adam_m + stride;
    u->grads_of = xmalloc((size_t)par_size(node), sizeof(float *));
    for (int q = 0; q < par_size(node); q++)
        u->grads_of[q] = par_nodemem_own(u->shared, q);
    u->grads = u->grads_of[u->me];
    memset(u->params + lo, 0, sizeof(float) * (hi - lo));
    memset(u->adam_m + lo, 0, sizeof(float) * (hi - lo));
    memset(u->adam_v + lo, 0, sizeof(float) * (hi - lo));
    memset(u->grads, 0, sizeof(float) * n);
    par_nodemem_sync(u->shared);
}

/* Starts summing a layer's bucket as soon as backward has finished its gradient. */
static void on_grad_ready(void *ctx, int layer)
{
    Update *u = ctx;
    par_buckets_start(u->buckets, u->bucket_of_layer[layer]);
    par_buckets_poke(u->buckets);
}

/* Buckets: one per layer with parameters, contiguous ranges of the flat gradient, which backward
 * finishes last layer first; backward starts each as its layer is done (Model.grad_ready). */
static void plan_buckets(Update *u, Model *m)
{
    size_t *bounds = xmalloc((size_t)m->n_layers + 1, sizeof(size_t));
    int n = 0;
    u->bucket_of_layer = xmalloc((size_t)m->n_layers, sizeof(int));
    for (int i = 0; i < m->n_layers; i++) {
        u->bucket_of_layer[i] = m->layers[i].n_params ? n : -1;
        if (m->layers[i].n_params)
            bounds[n++] = m->layers[i].offset;
    }
    bounds[n] = m->n_params;
    u->buckets = par_buckets_create(u->comm, u->grads, bounds, n);
    free(bounds);
    m->grad_ready = on_grad_ready;
    m->grad_ready_ctx = u;
}

/* The mode: AUTO is shared when the node's memory can serve the ranks (then u->shared is mapped),
 * ring otherwise; one rank always takes the whole buffer (ring's step degenerates to Adam). */
static int choose_mode(Update *u, ExchangeMode mode, Error *err)
{
    int P = par_size(u->comm);
    if (P > 1 && (mode == EXCHANGE_AUTO || mode == EXCHANGE_SHARED))
        u->shared = par_nodemem_create(u->comm, padded_bytes(u->n), 3 * padded_bytes(u->n));
    if (mode == EXCHANGE_SHARED && P > 1 && !u->shared)
        return error_set(err, "--exchange shared: the nodes run different numbers of ranks, or one "
                              "each, or a node cannot map %.0f MB of shared memory a rank (use "
                              "auto, ring or buckets)", 4.0 * padded_bytes(u->n) / 1e6);
    u->mode = mode == EXCHANGE_AUTO ? (u->shared ? EXCHANGE_SHARED : EXCHANGE_RING) : mode;
    if (P == 1 && u->mode == EXCHANGE_SHARED)
        u->mode = EXCHANGE_RING; /* one rank: nothing to share, the step takes the whole buffer */
    return 0;
}

int update_build(Update *u, ParComm *c, Model *m, Adam *a, ExchangeMode mode, Error *err)
{
    memset(u, 0, sizeof *u);
    size_t n = m->n_params;
    if (n > (size_t)INT_MAX)
        return error_set(err, "the model has %zu parameters; at most %d are supported", n, INT_MAX);
    u->comm = c;
    u->n = n;
    u->moments_whole = 1;
    if (choose_mode(u, mode, err) != 0)
        return -1;
    if (u->shared) {
        ParComm *node = par_nodemem_node(u->shared);
        u->me = par_rank(node);
        plan_slices(u, par_size(node));
        if (par_nodemem_nodes(u->shared) > 1) /* the ranks with the same slice on every node */
            u->cross = par_split(c, u->me);
        place_shared(u);
    } else { /* private, zeroed */
        u->me = par_rank(c);
        plan_slices(u, par_size(c));
        u->params = xalloc_floats(n);
        u->grads = xalloc_floats(n);
        u->adam_m = xalloc_floats(n);
        u->adam_v = xalloc_floats(n);
    }
    model_place(m, u->params, u->grads);
    adam_build_on(a, n, u->adam_m, u->adam_v);
    if (u->mode == EXCHANGE_BUCKETS)
        plan_buckets(u, m);
    u->scratch = par_size(c) > 1 && u->mode == EXCHANGE_RING ? xalloc_floats(UPDATE_PIECE) : NULL;
    return 0;
}

void update_free(Update *u)
{
    free(u->counts);
    free(u->displs);
    free(u->scratch);
    free(u->grads_of);
    free(u->bucket_of_layer);
    par_buckets_free(u->buckets);
    if (!u->shared) {
        free(u->params);
        free(u->grads);
        free(u->adam_m);
        free(u->adam_v);
    }
    par_comm_free(u->cross);
    par_nodemem_free(u->shared);
    memset(u, 0, sizeof *u);
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

/* Ring: reduce-scatter with the update fused into its last step (or after the global norm when
 * clipping), then the all-gather of the parameters. Returns the seconds spent in Adam. */
static double ring_step(Update *u, Adam *a, const AdamConfig *cfg, float *params, float *grads,
                        double *norm)
{
    int r = par_rank(u->comm);
    size_t lo = (size_t)u->displs[r], hi = lo + (size_t)u->counts[r];
    PieceJob job = {a, cfg, params, grads, 0.0};
    if (cfg->clip_norm > 0.0f) { /* the global norm first, then the update */
        par_reduce_scatter_sum_f32(u->comm, grads, u->counts, u->displs, u->scratch, UPDATE_PIECE,
                                   NULL, NULL);
        double sumsq[1] = {adam_sumsq(grads + lo, hi - lo)}, t1 = now_seconds();
        par_allreduce_sum_f64(u->comm, sumsq, 1);
        *norm = sqrt(sumsq[0]);
        adam_update(a, cfg, params, grads + lo, NULL, adam_clip_scale(cfg, *norm), lo, hi);
        job.seconds = now_seconds() - t1;
    } else { /* the update as the last pieces of the sum arrive, while they are in cache */
        par_reduce_scatter_sum_f32(u->comm, grads, u->counts, u->displs, u->scratch, UPDATE_PIECE,
                                   update_piece, &job);
    }
    u->moments_whole = 0;
    par_allgather_f32(u->comm, params, u->counts, u->displs);
    return job.seconds;
}

/* Adds every other rank's gradient of the node on [at, at + n) into this rank's, except the last
 * other rank's, which is returned for the caller to add (a node holds at least 2 ranks). */
static const float *sum_others(Update *u, size_t at, size_t n)
{
    int L = par_size(par_nodemem_node(u->shared)), me = u->me, last = me == L - 1 ? L - 2 : L - 1;
    float *mine = u->grads_of[me] + at;
    for (int q = 0; q < L; q++) {
        if (q == me || q == last)
            continue;
        const float *other = u->grads_of[q] + at;
        for (size_t i = 0; i < n; i++)
            mine[i] += other[i];
    }
    return u->grads_of[last] + at;
}

/* Shared: after every gradient of the node is complete, this rank sums its slice, a piece at a
 * time, and updates it. On one node without clipping the last addition is fused into the update;
 * otherwise the node's sum is completed first, summed between nodes (MPI_Allreduce among the ranks
 * of the same slice) and, when clipping, scaled by the global norm. The parameters are complete,
 * and every gradient read, after the second barrier. Returns the seconds spent in Adam. */
static double shared_step(Update *u, Adam *a, const AdamConfig *cfg, float *params, double *norm)
{
    size_t lo = (size_t)u->displs[u->me], hi = lo + (size_t)u->counts[u->me];
    float *mine = u->grads_of[u->me];
    int fuse = !u->cross && cfg->clip_norm <= 0.0f;
    double adam_seconds = 0.0, t0;
    par_nodemem_sync(u->shared);
    for (size_t at = lo; at < hi; at += UPDATE_PIECE) {
        size_t n = hi - at < UPDATE_PIECE ? hi - at : UPDATE_PIECE;
        const float *last = sum_others(u, at, n);
        if (fuse) {
            t0 = now_seconds();
            adam_update(a, cfg, params, mine + at, last, 1.0f, at, at + n);
            adam_seconds += now_seconds() - t0;
        } else {
            for (size_t i = 0; i < n; i++)
                mine[at + i] += last[i];
        }
    }
    if (!fuse) {
        if (u->cross)
            par_allreduce_sum_f32(u->cross, mine + lo, hi - lo);
        float scale = 1.0f;
        if (cfg->clip_norm > 0.0f) { /* every node holds every slice: the node's sum is global */
            double sumsq[1] = {adam_sumsq(mine + lo, hi - lo)};
            par_allreduce_sum_f64(par_nodemem_node(u->shared), sumsq, 1);
            *norm = sqrt(sumsq[0]);
            scale = adam_clip_scale(cfg, *norm);
        }
        t0 = now_seconds();
        adam_update(a, cfg, params, mine + lo, NULL, scale, lo, hi);
        adam_seconds = now_seconds() - t0;
    }
    par_nodemem_sync(u->shared);
    return adam_seconds;
}

void update_wait_buckets(Update *u)
{
    if (u->buckets)
        par_buckets_wait(u->buckets);
}

double update_step(Update *u, Adam *a, const AdamConfig *cfg)
{
    double t0 = now_seconds(), norm = 0.0, adam_seconds;
    if (u->mode == EXCHANGE_BUCKETS || par_size(u->comm) == 1) {
        update_wait_buckets(u); /* done already when the caller waited */
        double t1 = now_seconds();
        norm = adam_step(a, cfg, u->params, u->grads);
        u->exchange_seconds += t1 - t0;
        u->optimizer_seconds += now_seconds() - t1;
        return norm;
    }
    if (u->mode == EXCHANGE_SHARED)
        adam_seconds = shared_step(u, a, cfg, u->params, &norm);
    else
        adam_seconds = ring_step(u, a, cfg, u->params, u->grads, &norm);
    a->step++;
    u->optimizer_seconds += adam_seconds;
    u->exchange_seconds += now_seconds() - t0 - adam_seconds;
    return norm;
}

void update_bcast_params(Update *u)
{
    if (!u->shared) {
        par_bcast(u->comm, u->params, sizeof(float) * u->n, 0);
        return;
    }
    par_nodemem_sync(u->shared); /* one copy a node: rank 0 wrote its node's */
    if (u->cross && u->me == 0)
        par_bcast(u->cross, u->params, sizeof(float) * u->n, 0);
    par_nodemem_sync(u->shared);
}

void update_share_moments(Update *u, Adam *a)
{
    if (u->moments_whole)
        return;
    par_allgather_f32(u->comm, a->m, u->counts, u->displs);
    par_allgather_f32(u->comm, a->v, u->counts, u->displs);
    u->moments_whole = 1;
}

/* Rank 0 of c's parameters and moments to every rank of c. */
static void bcast_state(ParComm *c, float *params, Adam *a)
{
    par_bcast(c, params, sizeof(float) * a->n, 0);
    par_bcast(c, a->m, sizeof(float) * a->n, 0);
    par_bcast(c, a->v, sizeof(float) * a->n, 0);
}

void update_bcast_state(Update *u, Adam *a)
{
    float *params = u->params;
    if (!u->shared) {
        bcast_state(u->comm, params, a);
        return;
    }
    par_nodemem_sync(u->shared); /* one copy a node: rank 0 wrote its node's */
    if (u->cross && u->me == 0) /* the first ranks of the nodes, rank 0 first among them */
        bcast_state(u->cross, params, a);
    par_nodemem_sync(u->shared);
}

void update_set_params(Update *u, const float *src)
{
    float *params = u->params;
    if (!u->shared) {
        memcpy(params, src, sizeof(float) * u->n);
        return;
    }
    par_nodemem_sync(u->shared); /* no rank still reads the old parameters */
    memcpy(params + u->displs[u->me], src + u->displs[u->me], sizeof(float) * (size_t)u->counts[u->me]);
    par_nodemem_sync(u->shared);
}
