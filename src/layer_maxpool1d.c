/* layer_maxpool1d.c: max over windows of `pool` steps with stride `pool`, Keras floor semantics
 * (975 -> 487 for pool 2, 975 -> 75 for pool 13). Backward routes each gradient to its argmax. */
#include <stdlib.h>
#include <string.h>

#include "kernels.h"
#include "layer.h"

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

static size_t maxpool_work(const Layer *l, int batch) { return (size_t)batch * l->out.t * l->out.c; }

static void maxpool_alloc(Layer *l, int max_batch)
{
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
            const float *xw = j->x + ((size_t)n * T + (size_t)t * P) * C;
            float *yo = j->y + ((size_t)n * To + t) * C;
            int32_t *ao = arg + ((size_t)n * To + t) * C;
            for (int c = 0; c < C; c++) {
                yo[c] = xw[c];
                ao[c] = t * P;
            }
            for (int k = 1; k < P; k++) {
                const float *xk = xw + (size_t)k * C;
                int32_t at = t * P + k;
                for (int c = 0; c < C; c++) { /* selects, not branches: the loop vectorises */
                    int more = xk[c] > yo[c];
                    ao[c] = more ? at : ao[c];
                    yo[c] = more ? xk[c] : yo[c];
                }
            }
        }
}

/* Samples [n0, n1) backward: each gradient to its window's argmax. */
static void backward_part(void *ctx, int part, int parts)
{
    const PoolJob *j = ctx;
    const Layer *l = j->l;
    int T = l->in.t, To = l->out.t, C = l->in.c;
    int n0 = j->n * part / parts, n1 = j->n * (part + 1) / parts;
    const int32_t *arg = ((MaxPoolState *)l->state)->argmax;
    memset(j->dx + (size_t)n0 * T * C, 0, sizeof(float) * (size_t)(n1 - n0) * T * C);
    for (int n = n0; n < n1; n++)
        for (int t = 0; t < To; t++) {
            size_t o = ((size_t)n * To + t) * C;
            for (int c = 0; c < C; c++)
                j->dx[((size_t)n * T + arg[o + c]) * C + c] += j->dy[o + c];
        }
}

static void maxpool_forward(Layer *l, const Pass *p, const float *x, float *y)
{
    PoolJob job = {.l = l, .n = p->n, .x = x, .y = y};
    parallel_run(kernels_parts(p->n), forward_part, &job);
}

static void maxpool_backward(Layer *l, const Pass *p, const float *x, const float *y, float *dy,
                             float *dx)
{
    if (!dx)
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
