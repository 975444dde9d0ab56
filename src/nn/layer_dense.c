/* layer_dense.c: y = act(x W + b) over the last axis: (N, T, C_in) -> (N, T, C_out), one sgemm each
 * way; a large W at a small local batch (DanQ's 48000 x 925 at 50 rows) goes through matmul_wide
 * instead, which does not pack W on every call. The model's output layer writes logits; the loss
 * applies its sigmoid or softmax. */
#include <stdlib.h>
#include <string.h>

#include "nn/kernels.h"

static int dense_plan(Layer *l, Error *err)
{
    if (l->spec.units <= 0)
        return error_set(err, "dense units must be positive, got %d", l->spec.units);
    if (l->spec.act == ACT_SOFTMAX && !l->is_output)
        return error_set(err, "dense activation softmax is only supported on the output layer");
    l->out = (Shape){l->in.t, l->spec.units};
    l->n_params = (size_t)l->in.c * l->spec.units + l->spec.units;
    return 0;
}

static void dense_init(Layer *l, uint64_t seed)
{
    size_t nw = (size_t)l->in.c * l->out.c;
    init_glorot_uniform(l->w, nw, l->in.c, l->out.c, seed, l->index, 0);
    for (int j = 0; j < l->out.c; j++)
        l->w[nw + j] = 0.0f;
}

/* The rows of the largest local batch; scratch for matmul_wide_t and matmul_wide_tn (one after
 * the other) when they pay at that size. */
static int max_rows(const Layer *l, int batch) { return batch * l->in.t; }

static size_t dense_work(const Layer *l, int batch)
{
    size_t M = (size_t)max_rows(l, batch), O = (size_t)l->out.c;
    size_t t = O * ((M + 15) / 16 * 16), tn = M * ((O + 15) / 16 * 16);
    return matmul_wide_pays((int)M, l->out.c, l->in.c) ? (t > tn ? t : tn) : 0;
}

static void dense_alloc(Layer *l, int max_batch)
{
    size_t n = dense_work(l, max_batch);
    l->state = n ? xalloc_floats(n) : NULL; /* dY^T for the input gradient */
}

static void dense_release(Layer *l)
{
    free(l->state);
    l->state = NULL;
}

static void dense_forward(Layer *l, const Pass *p, const float *x, float *y)
{
    int rows = p->n * l->in.t, I = l->in.c, O = l->out.c;
    const float *W = l->w, *b = l->w + (size_t)I * O;
    if (l->state && matmul_wide_pays(rows, O, I))
        matmul_wide(rows, O, I, x, W, y);
    else
        gemm(0, 0, rows, O, I, 1.0f, x, I, W, O, 0.0f, y, O);
    add_bias_rows(y, b, rows, O);
    if (!l->is_output)
        activation_forward(l->spec.act, y, (size_t)rows * O, O);
}

static void dense_backward(Layer *l, const Pass *p, const float *x, const float *y, float *dy,
                           float *dx)
{
    int rows = p->n * l->in.t, I = l->in.c, O = l->out.c;
    if (!l->is_output)
        activation_backward(l->spec.act, y, dy, (size_t)rows * O);
    float *dW = l->dw, *db = l->dw + (size_t)I * O;
    int wide = l->state && matmul_wide_pays(rows, O, I);
    if (wide) /* set, not added: no zeroing pass */
        matmul_wide_tn(rows, O, I, x, dy, dW, l->state);
    else
        gemm(1, 0, I, O, rows, 1.0f, x, I, dy, O, 0.0f, dW, O);
    memset(db, 0, sizeof(float) * O);
    sum_rows_into(db, dy, rows, O);
    if (dx && wide)
        matmul_wide_t(rows, O, I, dy, l->w, dx, l->state);
    else if (dx)
        gemm(0, 1, rows, I, O, 1.0f, dy, O, l->w, O, 0.0f, dx, I);
}

const LayerOps dense_ops = {
    .kind = "dense",
    .plan = dense_plan,
    .init = dense_init,
    .forward = dense_forward,
    .backward = dense_backward,
    .alloc = dense_alloc,
    .release = dense_release,
    .work_floats = dense_work,
    .sets_grads = 1,
};
