/* layer_pool_time.c: the lambda layer of the seed classifier, (N, T, C) -> (N, 1, C) by the last real
 * step, the mean or the max over time. Padded steps (Pass.mask) are left out; a sample with no real
 * step gives zeros. */
#include <stdlib.h>
#include <string.h>

#include "nn/layer.h"

typedef struct {
    int32_t *pick; /* (max_batch, C): step chosen by last / max; -1 when none */
    float *count;  /* (max_batch): real steps, for mean */
} PoolTimeState;

static int pool_time_plan(Layer *l, Error *err)
{
    if (l->in.t < 1)
        return error_set(err, "pool_time needs a sequence input");
    l->out = (Shape){1, l->in.c};
    l->n_params = 0;
    return 0;
}

static size_t pool_time_work(const Layer *l, int batch) { return (size_t)batch * (l->in.c + 1); }

static void pool_time_alloc(Layer *l, int max_batch)
{
    PoolTimeState *s = xcalloc(1, sizeof *s);
    s->pick = xmalloc((size_t)max_batch * l->in.c, sizeof(int32_t));
    s->count = xalloc_floats((size_t)max_batch);
    l->state = s;
}

static void pool_time_release(Layer *l)
{
    PoolTimeState *s = l->state;
    if (s) {
        free(s->pick);
        free(s->count);
        free(s);
    }
    l->state = NULL;
}

static inline int is_real(const Layer *l, const Pass *p, int n, int t)
{
    return !l->masked || !p->mask || p->mask[(size_t)n * l->in.t + t];
}

static void pool_one(const Layer *l, const Pass *p, int n, const float *x, float *y, int32_t *pick,
                     float *count)
{
    int T = l->in.t, C = l->in.c;
    memset(y, 0, sizeof(float) * C);
    for (int c = 0; c < C; c++)
        pick[c] = -1;
    *count = 0.0f;
    if (l->spec.mode == POOL_LAST) { /* the last real step, found from the end */
        int t = T - 1;
        while (t >= 0 && !is_real(l, p, n, t))
            t--;
        if (t >= 0) {
            memcpy(y, x + (size_t)t * C, sizeof(float) * C);
            for (int c = 0; c < C; c++)
                pick[c] = t;
            *count = 1.0f;
        }
        return;
    }
    for (int t = 0; t < T; t++) {
        if (!is_real(l, p, n, t))
            continue;
        const float *xt = x + (size_t)t * C;
        *count += 1.0f;
        for (int c = 0; c < C; c++) {
            if (l->spec.mode == POOL_MEAN)
                y[c] += xt[c];
            else if (l->spec.mode == POOL_LAST || pick[c] < 0 || xt[c] > y[c]) {
                y[c] = xt[c];
                pick[c] = t;
            }
        }
    }
    if (l->spec.mode == POOL_MEAN && *count > 0.0f)
        for (int c = 0; c < C; c++)
            y[c] /= *count;
}

static void pool_time_forward(Layer *l, const Pass *p, const float *x, float *y)
{
    PoolTimeState *s = l->state;
    int T = l->in.t, C = l->in.c;
    for (int n = 0; n < p->n; n++)
        pool_one(l, p, n, x + (size_t)n * T * C, y + (size_t)n * C, s->pick + (size_t)n * C,
                 s->count + n);
}

static void pool_time_backward(Layer *l, const Pass *p, const float *x, const float *y, float *dy,
                               float *dx)
{
    if (!dx)
        return;
    PoolTimeState *s = l->state;
    int T = l->in.t, C = l->in.c;
    memset(dx, 0, sizeof(float) * (size_t)p->n * T * C);
    for (int n = 0; n < p->n; n++) {
        const float *d = dy + (size_t)n * C;
        float *dxn = dx + (size_t)n * T * C;
        if (l->spec.mode == POOL_MEAN) {
            if (s->count[n] == 0.0f)
                continue;
            float inv = 1.0f / s->count[n];
            for (int t = 0; t < T; t++)
                if (is_real(l, p, n, t))
                    for (int c = 0; c < C; c++)
                        dxn[(size_t)t * C + c] = d[c] * inv;
        } else {
            const int32_t *pick = s->pick + (size_t)n * C;
            for (int c = 0; c < C; c++)
                if (pick[c] >= 0)
                    dxn[(size_t)pick[c] * C + c] = d[c];
        }
    }
}

const LayerOps pool_time_ops = {
    .kind = "pool_time",
    .plan = pool_time_plan,
    .alloc = pool_time_alloc,
    .forward = pool_time_forward,
    .backward = pool_time_backward,
    .release = pool_time_release,
    .work_floats = pool_time_work,
};
