/* adam.c: the Keras Adam update over flat buffers. See adam.h. */
#include "adam.h"

#include <math.h>
#include <stdlib.h>

#include "util.h"

AdamConfig adam_defaults(void) { return (AdamConfig){0.001f, 0.9f, 0.999f, 1e-7f, 0.0f}; }

void adam_build(Adam *a, size_t n)
{
    a->n = n;
    a->m = xalloc_floats(n);
    a->v = xalloc_floats(n);
    a->step = 0;
}

void adam_free(Adam *a)
{
    free(a->m);
    free(a->v);
    a->m = a->v = NULL;
}

static double l2_norm(const float *g, size_t n)
{
    double s = 0.0;
    for (size_t i = 0; i < n; i++)
        s += (double)g[i] * g[i];
    return sqrt(s);
}

double adam_step(Adam *a, const AdamConfig *cfg, float *params, float *g)
{
    double norm = cfg->clip_norm > 0.0f ? l2_norm(g, a->n) : 0.0; /* a pass saved when not clipping */
    if (cfg->clip_norm > 0.0f && norm > cfg->clip_norm) {
        float scale = (float)(cfg->clip_norm / norm);
        for (size_t i = 0; i < a->n; i++)
            g[i] *= scale;
    }
    a->step++;
    double t = (double)a->step;
    float lr_t = (float)(cfg->lr * sqrt(1.0 - pow(cfg->beta2, t)) / (1.0 - pow(cfg->beta1, t)));
    float b1 = cfg->beta1, b2 = cfg->beta2, eps = cfg->eps;
    float *m = a->m, *v = a->v;
    for (size_t i = 0; i < a->n; i++) {
        m[i] = b1 * m[i] + (1.0f - b1) * g[i];
        v[i] = b2 * v[i] + (1.0f - b2) * g[i] * g[i];
        params[i] -= lr_t * m[i] / (sqrtf(v[i]) + eps);
    }
    return norm;
}
