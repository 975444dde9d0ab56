/* layer_flatten.c: (N, T, C) -> (N, 1, T*C). The memory is the same, so the model aliases the
 * buffers and forward/backward copy only when handed distinct ones (tests do). */
#include <string.h>

#include "nn/layer.h"

static int flatten_plan(Layer *l, Error *err)
{
    l->out = (Shape){1, l->in.t * l->in.c};
    l->n_params = 0;
    l->aliases = 1;
    return 0;
}

static void flatten_forward(Layer *l, const Pass *p, const float *x, float *y)
{
    if (y != x)
        memcpy(y, x, sizeof(float) * (size_t)p->n * l->out.c);
}

static void flatten_backward(Layer *l, const Pass *p, const float *x, const float *y, float *dy,
                             float *dx)
{
    if (dx && dx != dy)
        memcpy(dx, dy, sizeof(float) * (size_t)p->n * l->out.c);
}

const LayerOps flatten_ops = {
    .kind = "flatten",
    .plan = flatten_plan,
    .forward = flatten_forward,
    .backward = flatten_backward,
};
