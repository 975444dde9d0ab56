/* layer_embedding.c: tokens (N, L) -> vectors (N, L, D) from a (6, D) table; also the one-hot input
 * layer, tokens -> (N, L, 4). Both must come first; the model hands them the tokens in Pass. */
#include <string.h>

#include "nn/kernels.h"

#define VOCAB 6 /* 0 = padding, 1..4 = A C G T, 5 = N */

static inline int token_at(const Pass *p, size_t i)
{
    int v = p->tokens[i];
    return v < VOCAB ? v : VOCAB - 1;
}

static int embedding_plan(Layer *l, Error *err)
{
    if (l->index != 0)
        return error_set(err, "embedding must be the first layer");
    if (l->spec.dim <= 0)
        return error_set(err, "embedding dim must be positive, got %d", l->spec.dim);
    l->out = (Shape){l->in.t, l->spec.dim};
    l->n_params = (size_t)VOCAB * l->spec.dim;
    return 0;
}

static void embedding_init(Layer *l, uint64_t seed)
{
    init_uniform(l->w, l->n_params, 0.05f, seed, l->index, 0); /* Keras RandomUniform(-0.05, 0.05) */
}

static void embedding_forward(Layer *l, const Pass *p, const float *x, float *y)
{
    int D = l->out.c;
    size_t n = (size_t)p->n * l->in.t;
    for (size_t i = 0; i < n; i++)
        memcpy(y + i * D, l->w + (size_t)token_at(p, i) * D, sizeof(float) * D);
}

static void embedding_backward(Layer *l, const Pass *p, const float *x, const float *y, float *dy,
                               float *dx)
{
    int D = l->out.c;
    size_t n = (size_t)p->n * l->in.t;
    for (size_t i = 0; i < n; i++) {
        float *g = l->dw + (size_t)token_at(p, i) * D;
        const float *d = dy + i * D;
        for (int j = 0; j < D; j++)
            g[j] += d[j];
    }
}

const LayerOps embedding_ops = {
    .kind = "embedding",
    .plan = embedding_plan,
    .init = embedding_init,
    .forward = embedding_forward,
    .backward = embedding_backward,
};

static int onehot_plan(Layer *l, Error *err)
{
    if (l->index != 0)
        return error_set(err, "onehot must be the first layer");
    l->out = (Shape){l->in.t, 4};
    l->n_params = 0;
    return 0;
}

/* A C G T are unit vectors, N is 0.25 everywhere (as Basset and Selene encode it), padding is 0. */
static void onehot_forward(Layer *l, const Pass *p, const float *x, float *y)
{
    size_t n = (size_t)p->n * l->in.t;
    for (size_t i = 0; i < n; i++) {
        float *v = y + i * 4;
        int t = token_at(p, i);
        float fill = t == VOCAB - 1 ? 0.25f : 0.0f;
        v[0] = v[1] = v[2] = v[3] = fill;
        if (t >= 1 && t <= 4)
            v[t - 1] = 1.0f;
    }
}

static void onehot_backward(Layer *l, const Pass *p, const float *x, const float *y, float *dy,
                            float *dx)
{
}

const LayerOps onehot_ops = {
    .kind = "onehot",
    .plan = onehot_plan,
    .forward = onehot_forward,
    .backward = onehot_backward,
};
