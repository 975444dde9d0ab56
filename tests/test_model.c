/* test_model.c: whole models. Padding (before or after, or none at all) does not change a sequence's
 * prediction; the model's gradient matches finite differences through every layer wiring; a small
 * model of each family learns a planted motif (the loss falls by a stated factor); runs repeat
 * bit for bit. */
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
#include "nn/kernels.h"
#include "nn/config.h"
#include "nn/model.h"
#include "base/rng.h"
#include "testutil.h"


static const char *seed_ini(const char *mode, int bidirectional)
{
    static char text[1024];
    snprintf(text, sizeof text,
             "[train]\nbatch = 32\nlearning_rate = 0.01\n[embedding]\ndim = 8\n"
             "[lstm_1]\ntype = lstm\nunits = 12\nreturn_sequences = true\nbidirectional = %s\n"
             "[lstm_2]\ntype = lstm\nunits = 10\nreturn_sequences = true\n"
             "[lambda]\ntype = pool_time\nmode = %s\n[dropout]\nrate = 0.2\n[output]\ntype = dense\n",
             bidirectional ? "true" : "false", mode);
    return text;
}

static const char *danq_ini =
    "[train]\nbatch = 32\nlearning_rate = 0.005\n[onehot]\n[conv1d]\nfilters = 8\nwidth = 7\n"
    "[maxpool1d]\npool = 4\n[dropout_1]\nrate = 0.1\n"
    "[bilstm]\ntype = lstm\nunits = 8\nbidirectional = true\nreturn_sequences = true\n"
    "[dropout_2]\nrate = 0.2\n[flatten]\n[dense]\nunits = 16\nactivation = relu\n[output]\ntype = dense\n";

static void build(Model *m, Config *cfg, const char *ini, int length, int targets, Task task, int batch)
{
    Error err;
    if (config_load_text(cfg, ini, "test.ini", &err) != 0 ||
        model_build(m, cfg, length, targets, task, batch, &err) != 0)
        fail_msg("%s", err.msg);
    model_init_params(m, 17);
}

/* One sequence, run unpadded (length S) and pre- and post-padded to length L: same logits. */
static void check_padding_invariance(const char *mode, int bidirectional)
{
    enum { S = 23, L = 40 };
    Config cs, cl;
    Model short_m, long_m;
    build(&short_m, &cs, seed_ini(mode, bidirectional), S, 1, TASK_BINARY, 1);
    build(&long_m, &cl, seed_ini(mode, bidirectional), L, 1, TASK_BINARY, 2);
    assert_int_equal(short_m.n_params, long_m.n_params);
    memcpy(long_m.params, short_m.params, sizeof(float) * short_m.n_params);
    uint8_t seq[S], padded[2 * L] = {0};
    for (int t = 0; t < S; t++)
        seq[t] = (uint8_t)(1 + t * 7 % 5);
    memcpy(padded + (L - S), seq, S); /* row 0: pre-padded */
    memcpy(padded + L, seq, S);       /* row 1: post-padded */
    Pass ps = {.n = 1, .tokens = seq}, pl = {.n = 2, .tokens = padded};
    float alone = model_forward(&short_m, &ps)[0];
    const float *both = model_forward(&long_m, &pl);
    printf("    %s%s: unpadded %.7f, pre-padded %.7f, post-padded %.7f\n", mode,
           bidirectional ? " (bidirectional)" : "", alone, both[0], both[1]);
    assert_true(fabsf(both[0] - alone) <= 1e-6f + 1e-5f * fabsf(alone));
    assert_true(fabsf(both[1] - alone) <= 1e-6f + 1e-5f * fabsf(alone));
    model_free(&short_m), model_free(&long_m);
    config_free(&cs), config_free(&cl);
}

static void test_padding_last(void **state) { check_padding_invariance("last", 0); }
static void test_padding_mean(void **state) { check_padding_invariance("mean", 0); }
static void test_padding_max_bidirectional(void **state) { check_padding_invariance("max", 1); }

/* Sequences of random bases; a positive carries the AP-1 site TGACTCA at three random places. */
static void planted_motif_data(uint8_t *tok, float *y, int n, int L, uint32_t stream)
{
    static const uint8_t motif[] = {4, 3, 1, 2, 4, 2, 1}; /* T G A C T C A */
    for (int r = 0; r < n; r++) {
        for (int t = 0; t < L; t++)
            tok[(size_t)r * L + t] = (uint8_t)(1 + (int)(4.0f * rng_uniform_at(5, RNG_DATA, stream, 0, (uint64_t)r * L + t)));
        y[r] = (float)(r % 2);
        for (int copy = 0; copy < 3 && r % 2; copy++) {
            int at = (int)((L - 7) * rng_uniform_at(5, RNG_DATA, stream, 1 + copy, (uint64_t)r));
            memcpy(tok + (size_t)r * L + at, motif, sizeof motif);
        }
    }
}

/* Mean loss of each epoch of Adam on (tok, y); dropout on; returns the last epoch's. */
static double train_epochs(Model *m, const Config *cfg, const uint8_t *tok, const float *y, int n,
                           int epochs, double *first)
{
    int B = cfg->train.batch, L = m->length;
    Adam adam;
    adam_build(&adam, m->n_params);
    uint32_t *index = xmalloc((size_t)B, sizeof(uint32_t));
    double mean = 0.0;
    for (int e = 0; e < epochs; e++) {
        double sum = 0.0;
        for (int start = 0; start < n; start += B) {
            int b = n - start < B ? n - start : B;
            for (int i = 0; i < b; i++)
                index[i] = (uint32_t)(start + i);
            Pass p = {.n = b, .training = 1, .tokens = tok + (size_t)start * L,
                      .sample_index = index, .seed = cfg->train.seed, .epoch = (uint32_t)e};
            model_forward(m, &p);
            model_zero_grads(m);
            sum += model_backward(m, &p, y + start, loss_count(m->loss, b, 1));
            adam_step(&adam, &cfg->train.adam, m->params, m->grads);
        }
        mean = sum / n;
        if (e == 0)
            *first = mean;
    }
    free(index);
    adam_free(&adam);
    return mean;
}

/* Trains on a planted motif; the mean loss of the last epoch must be `factor` times below the
 * first epoch's, and a second run from the same seed must repeat every bit. */
static void check_learns(const char *name, const char *ini, int L, int epochs, double factor)
{
    enum { N = 512, B = 32 };
    Config cfg;
    Model m;
    uint8_t *tok = xmalloc((size_t)N * L, 1);
    float *y = xalloc_floats(N);
    planted_motif_data(tok, y, N, L, 1);
    build(&m, &cfg, ini, L, 1, TASK_BINARY, B);
    float *start = xalloc_floats(m.n_params);
    memcpy(start, m.params, sizeof(float) * m.n_params);
    double t0 = now_seconds(), first = 0.0;
    double last = train_epochs(&m, &cfg, tok, y, N, epochs, &first);
    printf("    %s: mean loss epoch 1 %.4f -> epoch %d %.4f (%.1fx lower, need %.1fx) in %.2f s\n", name,
           first, epochs, last, first / last, factor, now_seconds() - t0);
    assert_true(last * factor <= first);
    float *after = xalloc_floats(m.n_params);
    memcpy(after, m.params, sizeof(float) * m.n_params);
    memcpy(m.params, start, sizeof(float) * m.n_params);
    double again_first = 0.0, again = train_epochs(&m, &cfg, tok, y, N, epochs, &again_first);
    assert_true(again == last && again_first == first);
    assert_memory_equal(after, m.params, sizeof(float) * m.n_params);
    free(tok), free(y), free(start), free(after);
    model_free(&m);
    config_free(&cfg);
}

static void test_seed_family_learns(void **state) { check_learns("seed LSTM", seed_ini("max", 0), 40, 10, 2.0); }
static void test_danq_family_learns(void **state) { check_learns("DanQ-style", danq_ini, 50, 6, 2.0); }

/* The whole model's gradient against central differences of its loss, in float, through every
 * wiring (ping-pong buffers, aliasing flatten, skipped input gradients). */
static void check_model_gradient(const char *name, const char *ini, Task task, int K)
{
    enum { N = 3, L = 30, PROBES = 40 };
    Config cfg;
    Model m;
    build(&m, &cfg, ini, L, K, task, N);
    uint8_t tok[N * L];
    float y[N * 4] = {1, 0, 0, 0, 0, 1, 0, 0, 1, 0, 0, 0};
    tokens_with_padding(tok, NULL, N, L, 8);
    Pass p = {.n = N, .tokens = tok};
    double count = loss_count(m.loss, N, K);
    model_forward(&m, &p);
    for (size_t i = 0; i < m.n_params; i++) /* what a previous step left: every gradient must be */
        m.grads[i] = NAN;                   /* cleared or written (LayerOps.sets_grads) */
    model_zero_grads(&m);
    model_backward(&m, &p, y, count);
    size_t stale = 0;
    for (size_t i = 0; i < m.n_params; i++)
        stale += !isfinite(m.grads[i]);
    assert_int_equal(stale, 0);
    double worst = 0.0;
    for (size_t k = 0; k < PROBES; k++) {
        size_t i = (k * 7919u + 13) % m.n_params;
        float keep = m.params[i], h = 2e-3f * fmaxf(1.0f, fabsf(keep));
        m.params[i] = keep + h;
        model_forward(&m, &p);
        double up = model_loss(&m, &p, y) / count;
        m.params[i] = keep - h;
        model_forward(&m, &p);
        double down = model_loss(&m, &p, y) / count;
        m.params[i] = keep;
        float fd = (float)((up - down) / (2.0 * ((double)(keep + h) - (double)keep)));
        double r = compare_f("model gradient", &m.grads[i], &fd, 1, 2e-4, 3e-2);
        if (r > 1.0)
            printf("      parameter %zu (offsets: layer 1 at %zu, 4 at %zu, 7 at %zu)\n", i, m.layers[1].offset, m.layers[4].offset, m.layers[7].offset);
        worst = fmax(worst, r);
    }
    printf("    %s (loss %s): worst %.3f of tolerance over %d parameters\n", name, loss_name(m.loss), worst, PROBES);
    assert_true(worst <= 1.0);
    model_free(&m);
    config_free(&cfg);
}

static void test_seed_model_gradient(void **state)
{
    check_model_gradient("seed, multiclass", seed_ini("mean", 1), TASK_MULTICLASS, 4);
}
static void test_danq_model_gradient(void **state)
{
    check_model_gradient("DanQ-style, multilabel", danq_ini, TASK_MULTILABEL, 4);
}
/* Regression: the same model with mse (linear output) and poisson (softplus output); the layers
 * between are the same, so this is the losses' wiring into backward. */
static void test_regression_model_gradient(void **state)
{
    char ini[1024];
    snprintf(ini, sizeof ini, "%s", danq_ini);
    check_model_gradient("DanQ-style, regression mse", ini, TASK_REGRESSION, 4);
    snprintf(ini, sizeof ini, "%s", danq_ini);
    char *at = strstr(ini, "[onehot]");
    memmove(at + 15, at, strlen(at) + 1);
    memcpy(at, "loss = poisson\n", 15);
    check_model_gradient("DanQ-style, regression poisson", ini, TASK_REGRESSION, 4);
}

/* conv1d absorbs the maxpool1d after it (one-hot input, relu): the pooled output is exactly what
 * the two layers give apart, and the weight gradient matches theirs (the same terms, added in
 * another order), on 1 thread and split over 2. 37 filters: two vectors and a tail;
 * 30 - 5 + 1 = 26 rows pooled by 3: a remainder row to drop; padding and N steps in the input. */
static void check_conv_absorbs_maxpool(int threads)
{
    enum { N = 3, L = 30 };
    kernels_set_threads(threads, 1);
    static const char *ini = "[onehot]\n[conv1d]\nfilters = 37\nwidth = 5\n[maxpool1d]\npool = 3\n"
                             "[flatten]\n[output]\ntype = dense\n";
    Config cfg;
    Model m;
    build(&m, &cfg, ini, L, 1, TASK_BINARY, N);
    Layer *conv = &m.layers[1], *pool = &m.layers[2];
#if defined(__AVX512F__)
    assert_int_equal(conv->pooled, 3); /* the one-hot path (AVX-512) absorbs it */
    assert_true(pool->absorbed);
#endif
    uint8_t tok[N * L];
    tokens_with_padding(tok, NULL, N, L, 8);
    tok[5] = 5; /* N: a dense step */
    Pass p = {.n = N, .tokens = tok};
    model_forward(&m, &p);
    const float *x = m.act[0], *pooled = m.act[pool->index];
    /* the two layers apart, same weights */
    Layer c2 = layer_make(conv->spec, conv->in, conv->index, 0, 0, N);
    Layer p2 = layer_make(pool->spec, pool->in, pool->index, 0, 0, N);
    memcpy(c2.w, conv->w, sizeof(float) * conv->n_params);
    size_t nc = (size_t)N * conv->out.t * conv->out.c, np = (size_t)N * pool->out.t * pool->out.c;
    float *y1 = xalloc_floats(nc), *y2 = xalloc_floats(np), *dy = xalloc_floats(np);
    float *dy1 = xalloc_floats(nc), *dy2 = xalloc_floats(np);
    c2.ops->forward(&c2, &p, x, y1);
    p2.ops->forward(&p2, &p, y1, y2);
    assert_memory_equal(pooled, y2, sizeof(float) * np);
    for (size_t i = 0; i < np; i++) /* some gradients 0, as dropout leaves them */
        dy[i] = i % 5 == 0 ? 0.0f : rng_uniform_at(3, RNG_DATA, 9, 0, i) - 0.5f;
    memcpy(dy2, dy, sizeof(float) * np);
    memset(c2.dw, 0, sizeof(float) * conv->n_params);
    p2.ops->backward(&p2, &p, y1, y2, dy2, dy1);
    c2.ops->backward(&c2, &p, x, y1, dy1, NULL);
    if (conv->pooled) { /* without AVX-512 the model runs the two layers apart: nothing to compare */
        memset(conv->dw, 0, sizeof(float) * conv->n_params);
        conv->ops->backward(conv, &p, x, pooled, dy, NULL);
        assert_true(compare_f("absorbed pooling: conv1d gradient", conv->dw, c2.dw, conv->n_params,
                              1e-6, 1e-5) <= 1.0);
    }
    free(y1), free(y2), free(dy), free(dy1), free(dy2);
    layer_destroy(&c2), layer_destroy(&p2);
    model_free(&m);
    config_free(&cfg);
}

static void test_conv_absorbs_maxpool(void **state)
{
    check_conv_absorbs_maxpool(1);
    check_conv_absorbs_maxpool(2);
    kernels_set_threads(1, 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_padding_last),        cmocka_unit_test(test_padding_mean),
        cmocka_unit_test(test_padding_max_bidirectional), cmocka_unit_test(test_seed_model_gradient),
        cmocka_unit_test(test_danq_model_gradient), cmocka_unit_test(test_regression_model_gradient), cmocka_unit_test(test_seed_family_learns),
        cmocka_unit_test(test_danq_family_learns), cmocka_unit_test(test_conv_absorbs_maxpool),
    };
    return cmocka_run_group_tests_name("model", tests, NULL, NULL);
}
