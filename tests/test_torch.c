/* test_torch.c: PyTorch parity. tools/make_torch_fixtures.py builds small models of both families in
 * PyTorch (float64) and stores the config, inputs, weights, every layer's output, the logits, the
 * loss, every parameter gradient and the losses of 10 Keras-Adam steps. Here the C engine loads the
 * same config and weights and must agree: outputs and gradients within 1e-4 relative (plus a small
 * absolute floor), the 10 losses within 1e-4. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "nn/adam.h"
#include "nn/config.h"
#include "data/h5io.h"
#include "nn/model.h"
#include "testutil.h"

#define FIXTURES "tests/fixtures/"
#define RTOL 1e-4
#define ATOL_OUT 1e-5
#define ATOL_GRAD 1e-6

typedef struct {
    H5File *f;
    Config cfg;
    Model m;
    int n, length, k;
    uint8_t *tokens;
    float *targets, *params;
    double lr;
} Fixture;

static float *read_floats(H5File *f, const char *name, size_t n)
{
    Error err;
    float *buf = xalloc_floats(n);
    if (h5_read_f32(f, name, buf, n, &err) != 0)
        fail_msg("%s", err.msg);
    return buf;
}

static void fixture_open(Fixture *fx, const char *file)
{
    Error err;
    char path[256];
    snprintf(path, sizeof path, FIXTURES "%s", file);
    fx->f = h5_open(path, 0, &err);
    if (!fx->f)
        fail_msg("%s", err.msg);
    int rank;
    int64_t dims[H5IO_MAX_RANK];
    assert_int_equal(h5_dims(fx->f, "tokens", &rank, dims, &err), 0);
    fx->n = (int)dims[0];
    fx->length = (int)dims[1];
    assert_int_equal(h5_dims(fx->f, "targets", &rank, dims, &err), 0);
    fx->k = (int)dims[1];
    char *text = h5_read_string(fx->f, "config", &err);
    char *task_text = h5_read_attr_string(fx->f, "/", "task", &err);
    assert_non_null(text);
    assert_non_null(task_text);
    Task task;
    assert_int_equal(task_parse(task_text, &task), 0);
    if (config_load_text(&fx->cfg, text, path, &err) != 0)
        fail_msg("%s", err.msg);
    if (model_build(&fx->m, &fx->cfg, fx->length, fx->k, task, fx->n, &err) != 0)
        fail_msg("%s", err.msg);
    free(text);
    free(task_text);
    fx->tokens = xmalloc((size_t)fx->n * fx->length, 1);
    assert_int_equal(h5_read_u8(fx->f, "tokens", fx->tokens, (size_t)fx->n * fx->length, &err), 0);
    fx->targets = read_floats(fx->f, "targets", (size_t)fx->n * fx->k);
    assert_int_equal(h5_dims(fx->f, "params", &rank, dims, &err), 0);
    if ((size_t)dims[0] != fx->m.n_params)
        fail_msg("%s: PyTorch has %lld parameters, the C model %zu", file, (long long)dims[0],
                 fx->m.n_params);
    fx->params = read_floats(fx->f, "params", fx->m.n_params);
    memcpy(fx->m.params, fx->params, sizeof(float) * fx->m.n_params);
    assert_int_equal(h5_read_attr_double(fx->f, "/", "learning_rate", &fx->lr, &err), 0);
}

static void fixture_close(Fixture *fx)
{
    Error err;
    model_free(&fx->m);
    config_free(&fx->cfg);
    h5_close(fx->f, &err);
    free(fx->tokens);
    free(fx->targets);
    free(fx->params);
}

static double compare_named(H5File *f, const char *name, const float *got, size_t n, double atol)
{
    float *want = read_floats(f, name, n);
    double worst = compare_f(name, got, want, n, atol, RTOL);
    free(want);
    return worst;
}

/* Forward (each layer, logits, probabilities, loss) and backward (every parameter gradient). */
static void check_forward_backward(Fixture *fx, const char *file)
{
    Model *m = &fx->m;
    Pass p = {.n = fx->n, .tokens = fx->tokens, .seed = 1};
    const float *logits = model_forward(m, &p);
    double worst = 0.0;
    for (int i = 0; i < m->n_layers; i++) {
        char name[64];
        Layer *l = &m->layers[i];
        if (i + 1 < m->n_layers && m->layers[i + 1].absorbed)
            continue; /* it stores the next layer's output (conv1d pooling): compared there */
        snprintf(name, sizeof name, "layer_outputs/%d", i);
        worst = fmax(worst, compare_named(fx->f, name, m->act[i],
                                          (size_t)fx->n * l->out.t * l->out.c, ATOL_OUT));
    }
    size_t nk = (size_t)fx->n * fx->k;
    worst = fmax(worst, compare_named(fx->f, "logits", logits, nk, ATOL_OUT));
    float *probs = xalloc_floats(nk);
    model_probabilities(m, logits, probs, fx->n);
    worst = fmax(worst, compare_named(fx->f, "probs", probs, nk, ATOL_OUT));
    double count = loss_count(m->loss, fx->n, fx->k);
    model_zero_grads(m);
    float loss = (float)(model_backward(m, &p, fx->targets, count) / count);
    worst = fmax(worst, compare_named(fx->f, "loss", &loss, 1, 0.0));
    double grads = compare_named(fx->f, "grads", m->grads, m->n_params, ATOL_GRAD);
    printf("    %-34s forward worst %.3f, gradients worst %.3f (of tolerance), loss %.6f\n", file,
           worst, grads, loss);
    free(probs);
    assert_true(worst <= 1.0);
    assert_true(grads <= 1.0);
}

/* Ten Keras-Adam steps on the same batch: the loss before each step, then the parameters. */
static void check_adam_steps(Fixture *fx, const char *file)
{
    Model *m = &fx->m;
    memcpy(m->params, fx->params, sizeof(float) * m->n_params);
    AdamConfig cfg = adam_defaults();
    cfg.lr = (float)fx->lr;
    Adam adam;
    adam_build(&adam, m->n_params);
    float losses[10];
    double count = loss_count(m->loss, fx->n, fx->k);
    for (int step = 0; step < 10; step++) {
        Pass p = {.n = fx->n, .tokens = fx->tokens, .seed = 1};
        model_forward(m, &p);
        model_zero_grads(m);
        losses[step] = (float)(model_backward(m, &p, fx->targets, count) / count);
        adam_step(&adam, &cfg, m->params, m->grads);
    }
    double worst = compare_named(fx->f, "adam_losses", losses, 10, 0.0);
    double params = compare_named(fx->f, "params_after", m->params, m->n_params, 1e-5);
    printf("    %-34s 10 Adam losses worst %.3f, parameters after worst %.3f (of tolerance)\n", file,
           worst, params);
    adam_free(&adam);
    assert_true(worst <= 1.0);
    assert_true(params <= 1.0);
}

static void run_fixture(void **state)
{
    const char *file = *state;
    Fixture fx = {0};
    fixture_open(&fx, file);
    check_forward_backward(&fx, file);
    check_adam_steps(&fx, file);
    fixture_close(&fx);
}

int main(void)
{
    static const char *files[] = {
        "seed_last_pre.h5",          "seed_mean_post_multiclass.h5", "seed_max_bi_multilabel.h5",
        "seed_bi_laststate_post.h5", "danq_small.h5",
    };
    enum { N = sizeof files / sizeof files[0] };
    struct CMUnitTest tests[N];
    for (int i = 0; i < N; i++)
        tests[i] = (struct CMUnitTest){files[i], run_fixture, NULL, NULL, (void *)files[i]};
    return _cmocka_run_group_tests("pytorch parity", tests, N, NULL, NULL);
}
