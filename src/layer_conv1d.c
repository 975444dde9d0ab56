/* layer_conv1d.c: valid convolution, stride 1: (N, L, C) -> (N, L-k+1, F), then the activation
 * (relu by default). im2col copies each output step's window, (k, C) contiguous floats, into a row;
 * then one sgemm (N*T_out, k*C) x (k*C, F) does the work, and two more do the backward pass. */
#include <stdlib.h>
#include <string.h>

#include "kernels.h"

typedef struct {
    float *col; /* (max_batch * T_out, k*C): windows, then their gradients */
} Conv1DState;

static int conv1d_plan(Layer *l, Error *err)
{
    int k = l->spec.width, F = l->spec.filters;
    if (k <= 0 || F <= 0)
        return error_set(err, "conv1d needs positive filters and width, got %d and %d", F, k);
    if (l->spec.act == ACT_SOFTMAX || l->spec.act == ACT_AUTO)
        return error_set(err, "conv1d activation must be relu, sigmoid or linear");
    if (l->in.t < k)
        return error_set(err, "conv1d width %d is longer than its input of %d steps", k, l->in.t);
    l->out = (Shape){l->in.t - k + 1, F};
    l->n_params = (size_t)k * l->in.c * F + F;
    return 0;
}

static size_t conv1d_work(const Layer *l, int batch)
{
    return (size_t)batch * l->out.t * l->spec.width * l->in.c;
}

static void conv1d_alloc(Layer *l, int max_batch)
{
    Conv1DState *s = xcalloc(1, sizeof *s);
    s->col = xalloc_floats(conv1d_work(l, max_batch));
    l->state = s;
}

static void conv1d_release(Layer *l)
{
    Conv1DState *s = l->state;
    if (s) {
        free(s->col);
        free(s);
    }
    l->state = NULL;
}

static void conv1d_init(Layer *l, uint64_t seed)
{
    int k = l->spec.width, C = l->in.c, F = l->out.c;
    size_t nw = (size_t)k * C * F;
    init_glorot_uniform(l->w, nw, k * C, k * F, seed, l->index, 0);
    memset(l->w + nw, 0, sizeof(float) * F);
}

static void im2col(const float *x, float *col, int n, int T, int To, int kc, int C)
{
    for (int s = 0; s < n; s++)
        for (int t = 0; t < To; t++)
            memcpy(col + ((size_t)s * To + t) * kc, x + ((size_t)s * T + t) * C, sizeof(float) * kc);
}

static void col2im(const float *col, float *dx, int n, int T, int To, int kc, int C)
{
    memset(dx, 0, sizeof(float) * (size_t)n * T * C);
    for (int s = 0; s < n; s++)
        for (int t = 0; t < To; t++) {
            const float *c = col + ((size_t)s * To + t) * kc;
            float *d = dx + ((size_t)s * T + t) * C;
            for (int j = 0; j < kc; j++)
                d[j] += c[j];
        }
}

static void conv1d_forward(Layer *l, const Pass *p, const float *x, float *y)
{
    int T = l->in.t, C = l->in.c, To = l->out.t, F = l->out.c, kc = l->spec.width * C;
    int rows = p->n * To;
    float *col = ((Conv1DState *)l->state)->col;
    im2col(x, col, p->n, T, To, kc, C);
    gemm(0, 0, rows, F, kc, 1.0f, col, kc, l->w, F, 0.0f, y, F);
    add_bias_rows(y, l->w + (size_t)kc * F, rows, F);
    activation_forward(l->spec.act, y, (size_t)rows * F, F);
}

static void conv1d_backward(Layer *l, const Pass *p, const float *x, const float *y, float *dy,
                            float *dx)
{
    int T = l->in.t, C = l->in.c, To = l->out.t, F = l->out.c, kc = l->spec.width * C;
    int rows = p->n * To;
    float *col = ((Conv1DState *)l->state)->col;
    activation_backward(l->spec.act, y, dy, (size_t)rows * F);
    gemm(1, 0, kc, F, rows, 1.0f, col, kc, dy, F, 1.0f, l->dw, F);
    sum_rows_into(l->dw + (size_t)kc * F, dy, rows, F);
    if (dx) {
        gemm(0, 1, rows, kc, F, 1.0f, dy, F, l->w, F, 0.0f, col, kc);
        col2im(col, dx, p->n, T, To, kc, C);
    }
}

const LayerOps conv1d_ops = {
    .kind = "conv1d",
    .plan = conv1d_plan,
    .init = conv1d_init,
    .alloc = conv1d_alloc,
    .forward = conv1d_forward,
    .backward = conv1d_backward,
    .release = conv1d_release,
    .work_floats = conv1d_work,
};
