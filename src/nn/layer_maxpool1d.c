/* layer_maxpool1d.c: max over windows of `pool` steps with stride `pool`, Keras floor semantics
 * (975 -> 487 for pool 2, 975 -> 75 for pool 13). Backward routes each gradient to its argmax.
 * After a conv1d that absorbs it (layer_conv1d.c), the convolution pools, and this layer passes its
 * input on. */
#include <stdlib.h>
#include <string.h>

#include "nn/kernels.h"
#include "nn/layer.h"

typedef struct {
    int32_t *argmax; /* (max_batch, T_out, C): input step of the maximum */
} MaxPoolState;

static int maxpool_plan(Layer *l, Error *err)
{
    int p = l->spec.pool;
    if (p <= 0)
        return error_set(err, "maxpool1d pool must be positive, got %d", p);
    if (l->in.t < p)
        return error_set(err, "maxpool1d pool %d is larger than its input of %d steps", p, l->in.t);
    l->out = (Shape){l->in.t / p, l->in.c};
    l->n_params = 0;
    return 0;
}

static size_t maxpool_work(const Layer *l, int batch)
{
    return l->absorbed ? 0 : (size_t)batch * l->out.t * l->out.c;
}

static void maxpool_alloc(Layer *l, int max_batch)
{
    if (l->absorbed)
        return;
    MaxPoolState *s = xcalloc(1, sizeof *s);
    s->argmax = xmalloc(maxpool_work(l, max_batch), sizeof(int32_t));
    l->state = s;
}

static void maxpool_release(Layer *l)
{
    MaxPoolState *s = l->state;
    if (s) {
        free(s->argmax);
        free(s);
    }
    l->state = NULL;
}

typedef struct {
    const Layer *l;
    int n;
    const float *x, *dy;
    float *y, *dx;
} PoolJob;

/* One window of P steps (rows of C floats, the first at step `first`): the maximum of each
 * channel into y, the step it was at (the first of equal ones) into arg. */
static void window_max(const float *x, int P, int C, int32_t first, float *y, int32_t *arg)
{
    int c = 0;
#if defined(__AVX512F__)
    for (; c + 16 <= C; c += 16) { /* 16 channels in registers through the window */
        __m512 best = _mm512_loadu_ps(x + c);
        __m512i where = _mm512_set1_epi32(first);
        for (int k = 1; k < P; k++) {
            __m512 v = _mm512_loadu_ps(x + (size_t)k * C + c);
            __mmask16 more = _mm512_cmp_ps_mask(v, best, _CMP_GT_OQ);
            best = _mm512_mask_mov_ps(best, more, v);
            where = _mm512_mask_mov_epi32(where, more, _mm512_set1_epi32(first + k));
        }
        _mm512_storeu_ps(y + c, best);
        _mm512_storeu_si512(arg + c, where);
    }
#endif
    for (; c < C; c++) {
        float best = x[c];
        int32_t where = first;
        for (int k = 1; k < P; k++)
            if (x[(size_t)k * C + c] > best)
                best = x[(size_t)k * C + c], where = first + k;
        y[c] = best;
        arg[c] = where;
    }
}

/* Samples [n0, n1) forward: each window's maximum and where it was. */
static void forward_part(void *ctx, int part, int parts)
{
    const PoolJob *j = ctx;
    const Layer *l = j->l;
    int P = l->spec.pool, T = l->in.t, To = l->out.t, C = l->in.c;
    int n0 = j->n * part / parts, n1 = j->n * (part + 1) / parts;
    int32_t *arg = ((MaxPoolState *)l->state)->argmax;
    for (int n = n0; n < n1; n++)
        for (int t = 0; t < To; t++) {
            size_t o = ((size_t)n * To + t) * C;
            window_max(j->x + ((size_t)n * T + (size_t)t * P) * C, P, C, t * P, j->y + o, arg + o);
        }
}

/* Samples [n0, n1) backward: each gradient to its window's argmax, every step of dx written once
 * (the others 0: no zeroing pass first); steps past the last whole window get 0. */
static void backward_part(void *ctx, int part, int parts)
{
    const PoolJob *j = ctx;
    const Layer *l = j->l;
    int P = l->spec.pool, T = l->in.t, To = l->out.t, C = l->in.c;
    int n0 = j->n * part / parts, n1 = j->n * (part + 1) / parts;
    const int32_t *arg = ((MaxPoolState *)l->state)->argmax;
    for (int n = n0; n < n1; n++) {
        for (int t = 0; t < To; t++) {
            const int32_t *ao = arg + ((size_t)n * To + t) * C;
            const float *dyo = j->dy + ((size_t)n * To + t) * C;
            for (int k = 0; k < P; k++) {
                int32_t at = t * P + k;
                float *d = j->dx + ((size_t)n * T + at) * C;
                for (int c = 0; c < C; c++)
                    d[c] = ao[c] == at ? dyo[c] : 0.0f;
            }
        }
        memset(j->dx + ((size_t)n * T + (size_t)To * P) * C, 0, sizeof(float) * (T - To * P) * C);
    }
}

static void maxpool_forward(Layer *l, const Pass *p, const float *x, float *y)
{
    if (l->absorbed) /* pooled already: y is x */
        return;
    PoolJob job = {.l = l, .n = p->n, .x = x, .y = y};
    parallel_run(kernels_parts(p->n), forward_part, &job);
}

static void maxpool_backward(Layer *l, const Pass *p, const float *x, const float *y, float *dy,
                             float *dx)
{
    if (!dx || l->absorbed) /* absorbed: dx is dy */
        return;
    PoolJob job = {.l = l, .n = p->n, .dy = dy, .dx = dx};
    parallel_run(kernels_parts(p->n), backward_part, &job);
}

const LayerOps maxpool1d_ops = {
    .kind = "maxpool1d",
    .plan = maxpool_plan,
    .alloc = maxpool_alloc,
    .forward = maxpool_forward,
    .backward = maxpool_backward,
    .release = maxpool_release,
    .work_floats = maxpool_work,
};
