/* model.c: builds the layer stack from a Config, points every layer at its part of the flat buffers,
 * and runs forward, loss and backward over a batch. See model.h. */
#include "nn/model.h"

#include <stdlib.h>
#include <string.h>

#include "nn/kernels.h"

/* Kinds after which steps still line up with input tokens, so the padding mask applies. */
static int keeps_time_alignment(const Layer *l)
{
    switch (l->spec.kind) {
    case LAYER_EMBEDDING:
    case LAYER_ONEHOT:
    case LAYER_DROPOUT:
    case LAYER_DENSE:
        return 1;
    case LAYER_LSTM:
        return l->spec.return_sequences;
    default:
        return 0;
    }
}

static int plan_layers(Model *m, const Config *cfg, Error *err)
{
    Shape in = {m->length, 1};
    int aligned = 1;
    for (int i = 0; i < m->n_layers; i++) {
        Layer *l = &m->layers[i];
        l->spec = cfg->layers[i];
        l->ops = layer_ops(l->spec.kind);
        l->index = i;
        l->in = in;
        l->is_output = i == m->n_layers - 1;
        l->masked = aligned && in.t == m->length;
        if (l->is_output) {
            if (l->spec.kind != LAYER_DENSE)
                return error_set(err, "%s:%d: [%s] the last layer must be dense, not %s", cfg->path,
                                 l->spec.line, l->spec.name, layer_kind_name(l->spec.kind));
            if (l->spec.units == 0)
                l->spec.units = m->targets;
            if (l->spec.units != m->targets)
                return error_set(err, "%s:%d: [%s] has %d units but the data has %d targets",
                                 cfg->path, l->spec.line, l->spec.name, l->spec.units, m->targets);
            Activation want = m->out_act;
            if (l->spec.act == ACT_AUTO)
                l->spec.act = want;
            if (l->spec.act != want)
                return error_set(err, "%s:%d: [%s] activation %s does not fit a %s task with loss "
                                 "%s (use %s or auto)", cfg->path, l->spec.line, l->spec.name,
                                 activation_name(l->spec.act), task_name(m->task),
                                 loss_name(m->loss), activation_name(want));
        } else if (l->spec.act == ACT_AUTO) {
            l->spec.act = ACT_LINEAR; /* Keras's Dense default */
        }
        Error why;
        if (l->ops->plan(l, &why) != 0)
            return error_set(err, "%s:%d: [%s] %s (input: %d steps x %d channels)", cfg->path,
                             l->spec.line, l->spec.name, why.msg, in.t, in.c);
        if (i > 0 && (l->spec.kind == LAYER_EMBEDDING || l->spec.kind == LAYER_ONEHOT))
            return error_set(err, "%s:%d: [%s] %s must be the first layer", cfg->path, l->spec.line,
                             l->spec.name, layer_kind_name(l->spec.kind));
        aligned = aligned && keeps_time_alignment(l);
        in = l->out;
    }
    Layer *last = &m->layers[m->n_layers - 1];
    if (last->out.t != 1)
        return error_set(err, "%s:%d: [%s] the output is still a sequence of %d steps: add flatten "
                         "or pool_time before it", cfg->path, last->spec.line, last->spec.name,
                         last->out.t);
    return 0;
}

/* Each layer's offset into the flat buffers, which mirror the layer order; their size. */
static void plan_offsets(Model *m)
{
    size_t offset = 0;
    for (int i = 0; i < m->n_layers; i++) {
        m->layers[i].offset = offset;
        offset += m->layers[i].n_params;
    }
    m->n_params = offset;
}

void model_place(Model *m, float *params, float *grads)
{
    if (m->params)
        die("model_place: the model's parameters are placed already");
    m->params = params;
    m->grads = grads;
    m->lent_buffers = 1;
    for (int i = 0; i < m->n_layers; i++) {
        m->layers[i].w = params + m->layers[i].offset;
        m->layers[i].dw = grads + m->layers[i].offset;
    }
}

/* Which layers need their input gradient: all but those with only parameter-free input layers
 * before them. */
static void mark_input_gradients(Model *m)
{
    for (int i = 0; i < m->n_layers; i++)
        m->layers[i].need_dx = i > 0 && (m->layers[i - 1].n_params > 0 || m->layers[i - 1].need_dx ||
                                         m->input_grad);
}

/* Lets each layer take over the next one's work where it can (absorb_next); the absorbed layer
 * then passes its input on as its output. */
static void absorb_layers(Model *m)
{
    for (int i = 0; i + 1 < m->n_layers; i++) {
        Layer *l = &m->layers[i], *next = &m->layers[i + 1];
        if (l->ops->absorb_next && !next->is_output && l->ops->absorb_next(l, next)) {
            next->absorbed = 1;
            next->aliases = 1;
        }
    }
}

/* The floats of one sample's output as stored: an absorbing layer stores the output of the layer
 * it absorbed. */
static size_t stored_out(const Model *m, int i)
{
    const Layer *l = i + 1 < m->n_layers && m->layers[i + 1].absorbed ? &m->layers[i + 1] : &m->layers[i];
    return (size_t)l->out.t * l->out.c;
}

static size_t stored_in(const Model *m, int i) { return i > 0 ? stored_out(m, i - 1) : (size_t)m->length; }

static void allocate_buffers(Model *m)
{
    size_t biggest = 0;
    mark_input_gradients(m);
    absorb_layers(m);
    m->act = xcalloc((size_t)m->n_layers, sizeof *m->act);
    for (int i = 0; i < m->n_layers; i++) {
        Layer *l = &m->layers[i];
        size_t size = (size_t)m->max_batch * stored_out(m, i);
        size_t in_size = (size_t)m->max_batch * stored_in(m, i);
        biggest = size > biggest ? size : biggest;
        biggest = in_size > biggest ? in_size : biggest;
        m->act[i] = (l->aliases && i > 0) ? m->act[i - 1] : xalloc_floats(size);
        l->max_batch = m->max_batch;
        if (l->ops->alloc)
            l->ops->alloc(l, m->max_batch);
        m->uses_mask |= l->masked && (l->spec.kind == LAYER_LSTM || l->spec.kind == LAYER_POOL_TIME);
    }
    m->dbuf[0] = xalloc_floats(biggest);
    m->dbuf[1] = xalloc_floats(biggest);
    m->mask = xmalloc((size_t)m->max_batch * m->length, 1);
}

/* model_plan; with input_grad, every layer after the first computes its input gradient (so none
 * absorbs the next) and model_input_gradient can reach the input. */
static int plan_model(Model *m, const Config *cfg, int length, int targets, Task task,
                      int max_batch, int input_grad, Error *err)
{
    memset(m, 0, sizeof *m);
    m->input_grad = input_grad;
    kernels_init(); /* denormals flushed, the fastest BLAS kernels: before the first BLAS call */
    if (length <= 0 || targets <= 0 || max_batch <= 0)
        return error_set(err, "model needs a positive length, target count and batch (got %d, %d, %d)",
                         length, targets, max_batch);
    if (task == TASK_AUTO)
        return error_set(err, "model needs a task (binary, multilabel, multiclass or regression)");
    if (task == TASK_MULTICLASS && targets < 2)
        return error_set(err, "a multiclass task needs at least 2 classes, got %d", targets);
    m->length = length;
    m->targets = targets;
    m->task = task;
    /* the loss from train.loss and the task; the output activation follows from it */
    Activation asked = cfg->n_layers ? cfg->layers[cfg->n_layers - 1].act : ACT_AUTO;
    if (config_loss(cfg, task, asked, &m->loss, err) != 0)
        return -1;
    m->out_act = loss_activation(m->loss);
    m->max_batch = max_batch;
    m->n_layers = cfg->n_layers;
    m->layers = xcalloc((size_t)m->n_layers, sizeof *m->layers);
    if (plan_layers(m, cfg, err) != 0) {
        free(m->layers);
        m->layers = NULL;
        return -1;
    }
    plan_offsets(m);
    allocate_buffers(m);
    return 0;
}

int model_plan(Model *m, const Config *cfg, int length, int targets, Task task, int max_batch,
               Error *err)
{
    return plan_model(m, cfg, length, targets, task, max_batch, 0, err);
}

static int build_model(Model *m, const Config *cfg, int length, int targets, Task task,
                       int max_batch, int input_grad, Error *err)
{
    if (plan_model(m, cfg, length, targets, task, max_batch, input_grad, err) != 0)
        return -1;
    model_place(m, xalloc_floats(m->n_params), xalloc_floats(m->n_params));
    m->lent_buffers = 0;
    return 0;
}

int model_build(Model *m, const Config *cfg, int length, int targets, Task task, int max_batch,
                Error *err)
{
    return build_model(m, cfg, length, targets, task, max_batch, 0, err);
}

int model_build_input_grad(Model *m, const Config *cfg, int length, int targets, Task task,
                           int max_batch, Error *err)
{
    return build_model(m, cfg, length, targets, task, max_batch, 1, err);
}

void model_free(Model *m)
{
    for (int i = 0; i < m->n_layers; i++) {
        Layer *l = &m->layers[i];
        if (l->ops->release)
            l->ops->release(l);
        if (m->act && !(l->aliases && i > 0))
            free(m->act[i]);
    }
    free(m->act);
    free(m->layers);
    if (!m->lent_buffers) {
        free(m->params);
        free(m->grads);
    }
    free(m->dbuf[0]);
    free(m->dbuf[1]);
    free(m->mask);
    memset(m, 0, sizeof *m);
}

void model_init_params(Model *m, uint64_t seed)
{
    for (int i = 0; i < m->n_layers; i++) {
        Layer *l = &m->layers[i];
        if (l->ops->init)
            l->ops->init(l, seed);
    }
}

void model_zero_grads(Model *m)
{
    for (int i = 0; i < m->n_layers; i++) {
        const Layer *l = &m->layers[i];
        if (l->n_params && !l->ops->sets_grads)
            memset(l->dw, 0, sizeof(float) * l->n_params);
    }
}

const float *model_forward(Model *m, Pass *p)
{
    if (p->n > m->max_batch)
        die("batch of %d samples exceeds the model's maximum of %d", p->n, m->max_batch);
    if (m->uses_mask) {
        size_t total = (size_t)p->n * m->length;
        for (size_t i = 0; i < total; i++)
            m->mask[i] = p->tokens[i] != 0;
        p->mask = m->mask;
    }
    const float *x = NULL;
    ModelTimes *t = m->times;
    for (int i = 0; i < m->n_layers; i++) {
        Layer *l = &m->layers[i];
        double t0 = t ? t->clock() : 0.0;
        l->ops->forward(l, p, x, m->act[i]);
        if (t)
            t->forward[i] += t->clock() - t0;
        x = m->act[i];
    }
    return x;
}

double model_loss(const Model *m, const Pass *p, const float *targets)
{
    return loss_sum(m->loss, m->act[m->n_layers - 1], targets, p->n, m->targets, NULL, 1.0);
}

double model_backward(Model *m, const Pass *p, const float *targets, double norm)
{
    int last = m->n_layers - 1;
    float *dy = m->dbuf[0], *other = m->dbuf[1];
    ModelTimes *t = m->times;
    double t0 = t ? t->clock() : 0.0;
    double loss = loss_sum_weighted(m->loss, m->act[last], targets, p->n, m->targets,
                                    m->loss_weights, dy, norm);
    if (t)
        t->loss += t->clock() - t0;
    for (int i = last; i >= 0; i--) {
        Layer *l = &m->layers[i];
        const float *x = i > 0 ? m->act[i - 1] : NULL;
        float *dx = l->need_dx ? (l->aliases ? dy : other) : NULL;
        t0 = t ? t->clock() : 0.0;
        l->ops->backward(l, p, x, m->act[i], dy, dx);
        if (t)
            t->backward[i] += t->clock() - t0;
        if (m->grad_ready && l->n_params)
            m->grad_ready(m->grad_ready_ctx, i);
        if (!dx)
            break;
        if (dx == other) {
            other = dy;
            dy = dx;
        }
    }
    return loss;
}

void model_probabilities(const Model *m, const float *logits, float *probs, int n)
{
    size_t total = (size_t)n * m->targets;
    memcpy(probs, logits, sizeof(float) * total);
    activation_forward(m->out_act, probs, total, m->targets);
}

size_t model_activation_floats(const Model *m, int batch)
{
    size_t total = 0, biggest = 0;
    for (int i = 0; i < m->n_layers; i++) {
        const Layer *l = &m->layers[i];
        size_t size = (size_t)batch * stored_out(m, i);
        if (!(l->aliases && i > 0))
            total += size;
        biggest = size > biggest ? size : biggest;
        if (l->ops->work_floats)
            total += l->ops->work_floats(l, batch);
    }
    return total + 2 * biggest;
}

/* ---- the input gradient (attribution) ---- */

/* The first layer's output from x (n, L, 4): one-hot, x itself; embedding, x times the rows of
 * A C G T (a one-hot row picks its base's vector, as the tokens would). */
static void input_layer_from(const Model *m, const float *x, int n, float *y)
{
    const Layer *l = &m->layers[0];
    size_t rows = (size_t)n * m->length;
    if (l->spec.kind == LAYER_ONEHOT) {
        memcpy(y, x, sizeof(float) * rows * 4);
        return;
    }
    int D = l->out.c;
    const float *E = l->w + D; /* row 0 is padding */
    for (size_t i = 0; i < rows; i++) {
        float *v = y + i * D;
        memset(v, 0, sizeof(float) * D);
        for (int b = 0; b < 4; b++)
            for (int j = 0; j < D; j++)
                v[j] += x[i * 4 + b] * E[(size_t)b * D + j];
    }
}

const float *model_forward_input(Model *m, Pass *p, const float *x)
{
    if (!m->input_grad)
        die("model_forward_input: the model was not built with input gradients");
    if (p->n > m->max_batch)
        die("batch of %d samples exceeds the model's maximum of %d", p->n, m->max_batch);
    if (m->uses_mask) {
        size_t total = (size_t)p->n * m->length;
        for (size_t i = 0; i < total; i++)
            m->mask[i] = p->tokens[i] != 0;
        p->mask = m->mask;
    }
    input_layer_from(m, x, p->n, m->act[0]);
    for (int i = 1; i < m->n_layers; i++)
        m->layers[i].ops->forward(&m->layers[i], p, m->act[i - 1], m->act[i]);
    return m->act[m->n_layers - 1];
}

/* Backward from dy (the logits' gradient) through every layer after the first; returns the
 * gradient of the first layer's output (one of the two ping-pong buffers). */
static const float *backward_to_input(Model *m, const Pass *p, float *dy, float *other)
{
    for (int i = m->n_layers - 1; i >= 1; i--) {
        Layer *l = &m->layers[i];
        float *dx = l->aliases ? dy : other;
        l->ops->backward(l, p, m->act[i - 1], m->act[i], dy, dx);
        if (dx == other) {
            other = dy;
            dy = dx;
        }
    }
    return dy;
}

void model_input_gradient(Model *m, Pass *p, const float *x, const int *target, float *grad)
{
    int K = m->targets;
    model_forward_input(m, p, x);
    float *dy = m->dbuf[0];
    memset(dy, 0, sizeof(float) * (size_t)p->n * K);
    for (int i = 0; i < p->n; i++)
        dy[(size_t)i * K + target[i]] = 1.0f;
    model_zero_grads(m); /* the parameter gradients are a by-product, cleared so they stay finite */
    const float *g = backward_to_input(m, p, dy, m->dbuf[1]);
    const Layer *l = &m->layers[0];
    size_t rows = (size_t)p->n * m->length;
    if (l->spec.kind == LAYER_ONEHOT) {
        memcpy(grad, g, sizeof(float) * rows * 4);
        return;
    }
    int D = l->out.c;
    const float *E = l->w + D;
    for (size_t i = 0; i < rows; i++)
        for (int b = 0; b < 4; b++) {
            double s = 0.0;
            for (int j = 0; j < D; j++)
                s += (double)g[i * D + j] * E[(size_t)b * D + j];
            grad[i * 4 + b] = (float)s;
        }
}
