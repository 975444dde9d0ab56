/* adam.c: the Keras Adam update over flat buffers, or a range of them. See adam.h. */
#include "nn/adam.h"

#include <math.h>
#include <stdlib.h>

#include "nn/kernels.h"
#include "base/util.h"

AdamConfig adam_defaults(void) { return (AdamConfig){0.001f, 0.9f, 0.999f, 1e-7f, 0.0f}; }

void adam_build(Adam *a, size_t n)
{
    a->n = n;
    a->m = xalloc_floats(n);
    a->v = xalloc_floats(n);
    a->step = 0;
    a->lent = 0;
}

void adam_build_on(Adam *a, size_t n, float *m, float *v)
{
    *a = (Adam){.n = n, .m = m, .v = v, .step = 0, .lent = 1};
}

void adam_free(Adam *a)
{
    if (!a->lent) {
        free(a->m);
        free(a->v);
    }
    a->m = a->v = NULL;
}

double adam_sumsq(const float *g, size_t n)
{
    double s = 0.0;
    for (size_t i = 0; i < n; i++)
        s += (double)g[i] * g[i];
    return s;
}

float adam_clip_scale(const AdamConfig *cfg, double norm)
{
    return cfg->clip_norm > 0.0f && norm > cfg->clip_norm ? (float)(cfg->clip_norm / norm) : 1.0f;
}

/* One thread's share of an update: elements [lo, hi) of params, m, v; g[0] (plus g2[0]) is
 * element lo's gradient. */
typedef struct {
    float *params, *m, *v;
    const float *g, *g2;
    float scale, lr_t, b1, b2, eps;
    size_t lo, hi;
} UpdateJob;

static void update_part(void *ctx, int part, int parts)
{
    const UpdateJob *j = ctx;
    size_t n = j->hi - j->lo, a = n * part / parts, b = n * (part + 1) / parts;
    float *p = j->params + j->lo, *m = j->m + j->lo, *v = j->v + j->lo;
    const float *g = j->g, *g2 = j->g2;
    float scale = j->scale, lr_t = j->lr_t, b1 = j->b1, b2 = j->b2, eps = j->eps;
    size_t i = a;
#if defined(__AVX512F__)
    /* the same operations in the same order as the loop below, 16 at a time (IEEE sqrt and
     * division are exact, so both give the same bits) */
    __m512 vs = _mm512_set1_ps(scale), vl = _mm512_set1_ps(lr_t), vb1 = _mm512_set1_ps(b1);
    __m512 vb2 = _mm512_set1_ps(b2), vc1 = _mm512_set1_ps(1.0f - b1), vc2 = _mm512_set1_ps(1.0f - b2);
    __m512 ve = _mm512_set1_ps(eps);
    for (; i + 16 <= b; i += 16) {
        __m512 gs = _mm512_loadu_ps(g + i);
        if (g2)
            gs = _mm512_add_ps(gs, _mm512_loadu_ps(g2 + i));
        __m512 gi = _mm512_mul_ps(gs, vs);
        __m512 mi = _mm512_add_ps(_mm512_mul_ps(vb1, _mm512_loadu_ps(m + i)), _mm512_mul_ps(vc1, gi));
        __m512 vi = _mm512_add_ps(_mm512_mul_ps(vb2, _mm512_loadu_ps(v + i)),
                                  _mm512_mul_ps(_mm512_mul_ps(vc2, gi), gi));
        __m512 step = _mm512_div_ps(_mm512_mul_ps(vl, mi), _mm512_add_ps(_mm512_sqrt_ps(vi), ve));
        _mm512_storeu_ps(m + i, mi);
        _mm512_storeu_ps(v + i, vi);
        _mm512_storeu_ps(p + i, _mm512_sub_ps(_mm512_loadu_ps(p + i), step));
    }
#endif
    for (; i < b; i++) {
        float gi = (g2 ? g[i] + g2[i] : g[i]) * scale;
        m[i] = b1 * m[i] + (1.0f - b1) * gi;
        v[i] = b2 * v[i] + (1.0f - b2) * gi * gi;
        p[i] -= lr_t * m[i] / (sqrtf(v[i]) + eps);
    }
}

void adam_update(const Adam *a, const AdamConfig *cfg, float *params, const float *g,
                 const float *g2, float scale, size_t lo, size_t hi)
{
    double t = (double)(a->step + 1);
    UpdateJob job = {.params = params, .m = a->m, .v = a->v, .g = g, .g2 = g2, .scale = scale,
                     .lr_t = (float)(cfg->lr * sqrt(1.0 - pow(cfg->beta2, t)) / (1.0 - pow(cfg->beta1, t))),
                     .b1 = cfg->beta1, .b2 = cfg->beta2, .eps = cfg->eps, .lo = lo, .hi = hi};
    int parts = hi - lo < 65536 ? 1 : kernels_threads();
    parallel_run(parts, update_part, &job);
}

double adam_step(Adam *a, const AdamConfig *cfg, float *params, const float *g)
{
    double norm = cfg->clip_norm > 0.0f ? sqrt(adam_sumsq(g, a->n)) : 0.0; /* a pass saved when not clipping */
    adam_update(a, cfg, params, g, NULL, adam_clip_scale(cfg, norm), 0, a->n);
    a->step++;
    return norm;
}
