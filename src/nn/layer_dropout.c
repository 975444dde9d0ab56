/* layer_dropout.c: inverted dropout, active in training only. The mask of sample s is drawn from the
 * counter-based generator keyed by (seed, epoch, layer, s), never by rank or batch position, so a
 * sample is dropped the same way however the batch is split over processes. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "nn/kernels.h"
#include "nn/layer.h"
#include "base/rng.h"

typedef struct {
    float *scale; /* (max_batch, T*C): 0 or 1/(1-rate), for backward */
} DropoutState;

static int dropout_plan(Layer *l, Error *err)
{
    if (!(l->spec.rate >= 0.0f && l->spec.rate < 1.0f))
        return error_set(err, "dropout rate must be in [0, 1), got %g", l->spec.rate);
    l->out = l->in;
    l->n_params = 0;
    return 0;
}

static size_t dropout_work(const Layer *l, int batch) { return (size_t)batch * l->in.t * l->in.c; }

static void dropout_alloc(Layer *l, int max_batch)
{
    DropoutState *s = xcalloc(1, sizeof *s);
    s->scale = xalloc_floats(dropout_work(l, max_batch));
    l->state = s;
}

static void dropout_release(Layer *l)
{
    DropoutState *s = l->state;
    if (s) {
        free(s->scale);
        free(s);
    }
    l->state = NULL;
}

/* Fills one sample's scale: element e keeps with probability 1 - rate. It keeps when its uniform
 * (word >> 8) / 2^24 is at least rate, i.e. when word >> 8 is at least ceil(rate 2^24): the same
 * test in integers, on words drawn 64 at a time. */
static void draw_mask(float *scale, size_t width, float rate, uint64_t seed, uint32_t epoch,
                      int layer, uint32_t sample)
{
    enum { WORDS = 256 };
    float keep = 1.0f / (1.0f - rate);
    uint32_t threshold = (uint32_t)ceil((double)rate * 16777216.0), words[WORDS];
    uint64_t first = (uint64_t)sample * ((width + 3) / 4);
    for (size_t at = 0; at < width; at += WORDS) {
        size_t n = width - at < WORDS ? width - at : WORDS;
        rng_words(seed, RNG_DROPOUT, (uint32_t)layer, epoch, first + at / 4, words, n);
        for (size_t k = 0; k < n; k++)
            scale[at + k] = (words[k] >> 8) >= threshold ? keep : 0.0f;
    }
}

typedef struct {
    const Layer *l;
    const Pass *p;
    const float *x;
    float *y;
} DropoutJob;

/* Samples [n0, n1) of a forward pass. */
static void forward_part(void *ctx, int part, int parts)
{
    const DropoutJob *j = ctx;
    const Layer *l = j->l;
    const Pass *p = j->p;
    size_t width = (size_t)l->in.t * l->in.c;
    int n0 = p->n * part / parts, n1 = p->n * (part + 1) / parts;
    DropoutState *s = l->state;
    for (int n = n0; n < n1; n++) {
        float *scale = s->scale + (size_t)n * width;
        uint32_t sample = p->sample_index ? p->sample_index[n] : (uint32_t)n;
        draw_mask(scale, width, l->spec.rate, p->seed, p->epoch, l->index, sample);
        const float *xn = j->x + (size_t)n * width;
        float *yn = j->y + (size_t)n * width;
        for (size_t i = 0; i < width; i++)
            yn[i] = xn[i] * scale[i];
    }
}

static void dropout_forward(Layer *l, const Pass *p, const float *x, float *y)
{
    size_t width = (size_t)l->in.t * l->in.c;
    if (!p->training || l->spec.rate == 0.0f) {
        if (y != x)
            memcpy(y, x, sizeof(float) * width * p->n);
        return;
    }
    DropoutJob job = {.l = l, .p = p, .x = x, .y = y};
    parallel_run(kernels_parts(p->n), forward_part, &job);
}

static void dropout_backward(Layer *l, const Pass *p, const float *x, const float *y, float *dy,
                             float *dx)
{
    if (!dx)
        return;
    size_t total = (size_t)l->in.t * l->in.c * p->n;
    if (!p->training || l->spec.rate == 0.0f) {
        if (dx != dy)
            memcpy(dx, dy, sizeof(float) * total);
        return;
    }
    const float *scale = ((DropoutState *)l->state)->scale;
    for (size_t i = 0; i < total; i++)
        dx[i] = dy[i] * scale[i];
}

const LayerOps dropout_ops = {
    .kind = "dropout",
    .plan = dropout_plan,
    .alloc = dropout_alloc,
    .forward = dropout_forward,
    .backward = dropout_backward,
    .release = dropout_release,
    .work_floats = dropout_work,
};
