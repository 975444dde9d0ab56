/* layer_dropout.c: inverted dropout, active in training only. The mask of sample s is drawn from the
 * counter-based generator keyed by (seed, epoch, layer, s), never by rank or batch position, so a
 * sample is dropped the same way however the batch is split over processes. */
#include <stdlib.h>
#include <string.h>

#include "layer.h"
#include "rng.h"

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

/* Fills one sample's scale: element e keeps with probability 1 - rate. */
static void draw_mask(float *scale, size_t width, float rate, uint64_t seed, uint32_t epoch,
                      int layer, uint32_t sample)
{
    float keep = 1.0f / (1.0f - rate);
    size_t blocks = (width + 3) / 4;
    uint64_t first = (uint64_t)sample * blocks;
    for (size_t b = 0; b < blocks; b++) {
        float u[4];
        rng_uniform4(seed, RNG_DROPOUT, (uint32_t)layer, epoch, first + b, u);
        for (size_t k = 0; k < 4 && 4 * b + k < width; k++)
            scale[4 * b + k] = u[k] >= rate ? keep : 0.0f;
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
    DropoutState *s = l->state;
    for (int n = 0; n < p->n; n++) {
        float *scale = s->scale + (size_t)n * width;
        uint32_t sample = p->sample_index ? p->sample_index[n] : (uint32_t)n;
        draw_mask(scale, width, l->spec.rate, p->seed, p->epoch, l->index, sample);
        const float *xn = x + (size_t)n * width;
        float *yn = y + (size_t)n * width;
        for (size_t i = 0; i < width; i++)
            yn[i] = xn[i] * scale[i];
    }
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
