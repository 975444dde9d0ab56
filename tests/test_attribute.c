/* test_attribute.c: the input gradient (model_input_gradient) against central differences of the
 * logit, for a conv1d that absorbs its maxpool1d in training and for the seed LSTM's embedding;
 * the model built for gradients gives the same logits as the one built for speed; integrated
 * gradients' completeness; ISM against the forward pass on the mutated sequence; the dinucleotide
 * shuffle keeps every dinucleotide count. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "base/rng.h"
#include "data/dataset.h"
#include "nn/config.h"
#include "nn/kernels.h"
#include "nn/model.h"
#include "testutil.h"
#include "train/attribution.h"

enum { L = 40, K = 3 };

static const char *conv_ini(const char *act)
{
    static char text[512];
    snprintf(text, sizeof text,
             "[train]\nbatch = 8\n[onehot]\n[conv1d]\nfilters = 20\nwidth = 5\nactivation = %s\n"
             "[maxpool1d]\npool = 3\n[flatten]\n[dense]\nunits = 6\nactivation = sigmoid\n"
             "[output]\ntype = dense\n", act);
    return text;
}

static const char *seed_ini =
    "[train]\nbatch = 8\n[embedding]\ndim = 6\n[lstm_1]\ntype = lstm\nunits = 7\n"
    "return_sequences = true\nbidirectional = true\n[lambda]\ntype = pool_time\nmode = mean\n"
    "[output]\ntype = dense\n";

/* The model built for gradients (g) and, with the same parameters, the one built for speed (f). */
static void build_pair(const char *ini, Model *g, Model *f, Config *cfg, int batch)
{
    float scale = strstr(ini, "[onehot]") ? 3.0f : 2.0f; /* an LSTM scaled up more turns chaotic */
    Error err;
    if (config_load_text(cfg, ini, "test.ini", &err) != 0 ||
        model_build_input_grad(g, cfg, L, K, TASK_MULTILABEL, batch, &err) != 0 ||
        model_build(f, cfg, L, K, TASK_MULTILABEL, batch, &err) != 0)
        fail_msg("%s", err.msg);
    model_init_params(g, 23);
    for (size_t i = 0; i < g->n_params; i++) /* larger weights than the initialiser's: logits */
        g->params[i] *= scale;               /* that move, so differences are well above noise */
    memcpy(f->params, g->params, sizeof(float) * g->n_params);
}

static void sequence(uint8_t *tok, uint32_t stream)
{
    for (int t = 0; t < L; t++)
        tok[t] = (uint8_t)(TOKEN_A + (int)(rng_uniform_at(5, RNG_DATA, stream, 0, (uint64_t)t) * 4));
}

static float logit_of(Model *g, const uint8_t *tok, const float *x, int k)
{
    Pass p = {.n = 1, .tokens = tok};
    return model_forward_input(g, &p, x)[k];
}

/* d logit_k / d x against differences of the logit at every (position, base) entry: the central
 * difference, or where a maxpool's choice or a relu flips within h (the conv models are piecewise
 * linear) the one-sided difference on the side without the kink; such entries are counted, and must
 * be few. */
static void check_input_gradient(const char *name, const char *ini)
{
    Config cfg;
    Model g, f;
    build_pair(ini, &g, &f, &cfg, 4);
    uint8_t tok[L];
    sequence(tok, 1);
    float x[L * 4], grad[L * 4];
    attr_onehot(tok, 1, L, x);
    /* same logits as the speed build (a conv1d there absorbs its maxpool1d) */
    Pass p = {.n = 1, .tokens = tok};
    float fast[K], slow[K];
    memcpy(fast, model_forward(&f, &p), sizeof fast);
    memcpy(slow, model_forward_input(&g, &p, x), sizeof slow);
    assert_true(compare_f("logits, gradient build vs speed build", slow, fast, K, 1e-6, 1e-5) <= 1.0);
    int kinks = 0, bad = 0;
    for (int k = 0; k < K; k++) {
        model_input_gradient(&g, &p, x, &k, grad);
        double mid = logit_of(&g, tok, x, k);
        for (int j = 0; j < L * 4; j++) {
            float keep = x[j], h = 1e-3f;
            x[j] = keep + h;
            double up = logit_of(&g, tok, x, k);
            x[j] = keep - h;
            double down = logit_of(&g, tok, x, k);
            x[j] = keep;
            double fd[3] = {(up - down) / (2.0 * h), (up - mid) / h, (mid - down) / h};
            double tol = 1e-3 + 2e-2 * fabs(fd[0]);
            if (fabs(grad[j] - fd[0]) <= tol)
                continue;
            if (fabs(grad[j] - fd[1]) <= tol || fabs(grad[j] - fd[2]) <= tol) {
                kinks++;
                continue;
            }
            printf("      target %d, position %d, base %d: gradient %.6f, differences %.6f "
                   "(central), %.6f (up), %.6f (down)\n", k, j / 4, j % 4, grad[j], fd[0], fd[1], fd[2]);
            bad++;
        }
    }
    printf("    %s: %d of %d entries off, %d beside a kink\n", name, bad, K * L * 4, kinks);
    assert_int_equal(bad, 0);
    assert_true(kinks <= K * L * 4 / 10);
    model_free(&g), model_free(&f);
    config_free(&cfg);
}

static void test_gradient_conv_relu(void **state) { check_input_gradient("conv relu + maxpool", conv_ini("relu")); }
static void test_gradient_conv_linear(void **state) { check_input_gradient("conv linear + maxpool", conv_ini("linear")); }
static void test_gradient_embedding(void **state) { check_input_gradient("seed LSTM (embedding)", seed_ini); }

/* Integrated gradients sum to logit(x) - logit(baseline) within 1%, from zeros and from a shuffle
 * (a piecewise-linear conv model needs more steps: its gradient jumps at each relu and maxpool);
 * saliency is the gradient at the reference base and 0 elsewhere. */
static void check_completeness(const char *name, const char *ini, int steps)
{
    Config cfg;
    Model g, f;
    build_pair(ini, &g, &f, &cfg, 64);
    uint8_t tok[L], shuf[L];
    sequence(tok, 2);
    attr_dinuc_shuffle(tok, shuf, L, 7, 0);
    float zeros[L * 4] = {0}, base[L * 4], out[L * 4 * K], logit[K], base_logit[K];
    attr_onehot(shuf, 1, L, base);
    int targets[K] = {2, 0, 1};
    for (int b = 0; b < 2; b++) {
        attr_integrated(&g, tok, b ? base : zeros, steps, targets, K, out, logit, base_logit);
        for (int k = 0; k < K; k++) {
            double sum = 0.0, want = (double)logit[k] - base_logit[k];
            for (int j = 0; j < L * 4; j++)
                sum += out[j * K + k];
            printf("    %s, %s baseline, target %d: sum %.6f, logit difference %.6f\n", name,
                   b ? "shuffled" : "zero", targets[k], sum, want);
            assert_true(fabs(sum - want) <= 0.01 * fabs(want) + 1e-6);
        }
    }
    attr_saliency(&g, tok, targets, K, out, logit);
    float x[L * 4], grad[L * 4];
    attr_onehot(tok, 1, L, x);
    Pass p = {.n = 1, .tokens = tok};
    model_input_gradient(&g, &p, x, &targets[1], grad);
    for (int j = 0; j < L * 4; j++)
        assert_true(out[j * K + 1] == (x[j] != 0.0f ? grad[j] : 0.0f));
    model_free(&g), model_free(&f);
    config_free(&cfg);
}

static void test_completeness_conv(void **state) { check_completeness("conv", conv_ini("relu"), 400); }
static void test_completeness_embedding(void **state) { check_completeness("seed LSTM", seed_ini, 50); }

/* Each ISM value is the forward pass on the mutated sequence minus the reference's, for mutants of
 * two sequences (one with padding and an N) sharing batches of 7 rows. */
static void test_ism_matches_forward(void **state)
{
    enum { W0 = 3, W1 = 38, W = W1 - W0 };
    Config cfg;
    Model g, f;
    build_pair(conv_ini("relu"), &g, &f, &cfg, 7);
    uint8_t tok[2 * L], mut[L];
    sequence(tok, 3);
    sequence(tok + L, 4);
    memset(tok + L, TOKEN_PAD, 5);
    tok[L + 20] = TOKEN_N;
    int targets[2] = {2, 1};
    float *out = xalloc_floats(2 * W * 4 * 2), ref[4], probs[K];
    attr_ism(&f, tok, 2, W0, W1, targets, 2, 0, out, ref);
    double worst = 0.0;
    for (int s = 0; s < 2; s++)
        for (int t = W0; t < W1; t++)
            for (int b = 0; b < 4; b++) {
                const float *v = out + (((size_t)s * W + t - W0) * 4 + b) * 2;
                int was = tok[s * L + t];
                if (was == TOKEN_PAD || was == TOKEN_A + b) {
                    assert_true(v[0] == 0.0f && v[1] == 0.0f);
                    continue;
                }
                memcpy(mut, tok + s * L, L);
                mut[t] = (uint8_t)(TOKEN_A + b);
                Pass p = {.n = 1, .tokens = mut};
                model_probabilities(&f, model_forward(&f, &p), probs, 1);
                float want[2] = {probs[2] - ref[s * 2], probs[1] - ref[s * 2 + 1]};
                worst = fmax(worst, compare_f("ism", v, want, 2, 1e-6, 0.0));
            }
    printf("    ism: worst %.3f of tolerance (1e-6)\n", worst);
    assert_true(worst <= 1.0);
    free(out);
    model_free(&g), model_free(&f);
    config_free(&cfg);
}

/* The shuffle keeps the first letter, every dinucleotide count and the padding; it depends on the
 * seed and the row, and on nothing else. */
static void test_dinuc_shuffle(void **state)
{
    enum { N = 200 };
    uint8_t in[N], a[N], b[N], c[N];
    for (int t = 0; t < N; t++)
        in[t] = t < 10 ? TOKEN_PAD
                       : (uint8_t)(TOKEN_A + (int)(rng_uniform_at(9, RNG_DATA, 1, 0, (uint64_t)t) * 4));
    in[50] = TOKEN_N;
    attr_dinuc_shuffle(in, a, N, 1, 0);
    attr_dinuc_shuffle(in, b, N, 1, 0);
    attr_dinuc_shuffle(in, c, N, 1, 1);
    assert_memory_equal(a, b, N);
    assert_memory_not_equal(a, c, N);
    assert_memory_not_equal(a, in, N);
    int before[6][6] = {{0}}, after[6][6] = {{0}};
    for (int t = 10; t + 1 < N; t++)
        before[in[t]][in[t + 1]]++, after[a[t]][a[t + 1]]++;
    assert_memory_equal(before, after, sizeof before);
    assert_memory_equal(a, in, 11); /* padding and the first letter */
}

int main(void)
{
    kernels_set_threads(1, 1);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_gradient_conv_relu),    cmocka_unit_test(test_gradient_conv_linear),
        cmocka_unit_test(test_gradient_embedding),    cmocka_unit_test(test_completeness_conv),
        cmocka_unit_test(test_completeness_embedding), cmocka_unit_test(test_ism_matches_forward),
        cmocka_unit_test(test_dinuc_shuffle),
    };
    return cmocka_run_group_tests_name("attribute", tests, NULL, NULL);
}
