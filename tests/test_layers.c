/* test_layers.c: every layer's fast (float, BLAS) forward and backward pass against the plain-loop
 * double reference (tests/reference.c), and the reference against central finite differences; the
 * losses, dropout's keyed masks, the initialisers and Adam. */
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
#include "nn/loss.h"
#include "reference.h"
#include "base/rng.h"
#include "testutil.h"

typedef struct {
    const char *name;
    LayerSpec spec;
    Shape in;
    int masked, is_output, n;
    int onehot; /* the input is one-hot DNA: unit vectors, zero (padding) and 0.25 (N) steps */
} Case;

#define FAST_ATOL 2e-5
#define FAST_RTOL 2e-4
#define FD_STEP 1e-6
#define FD_ATOL 1e-6
#define FD_RTOL 1e-5
#define FD_PROBES 48

/* f = sum(y * r): the scalar whose gradient the backward pass computes when dy = r. */
static double weighted_output(const Layer *l, int n, const uint8_t *tok, const uint8_t *mask,
                              const double *x, const double *w, const double *r, double *y)
{
    ref_forward(l, n, tok, mask, x, w, y);
    double f = 0.0;
    for (size_t i = 0; i < (size_t)n * l->out.t * l->out.c; i++)
        f += y[i] * r[i];
    return f;
}

/* Central differences of f along `probes` coordinates of v, against the analytic gradient g. */
static double fd_check(const char *what, const Layer *l, int n, const uint8_t *tok,
                       const uint8_t *mask, double *x, double *w, double *v, size_t len,
                       const double *g, const double *r, double *scratch)
{
    double worst = 0.0;
    size_t stride = len > FD_PROBES ? len / FD_PROBES : 1;
    for (size_t i = 0; i < len; i += stride) {
        double keep = v[i];
        v[i] = keep + FD_STEP;
        double up = weighted_output(l, n, tok, mask, x, w, r, scratch);
        v[i] = keep - FD_STEP;
        double down = weighted_output(l, n, tok, mask, x, w, r, scratch);
        v[i] = keep;
        double fd = (up - down) / (2 * FD_STEP);
        double ratio = compare_dd(what, &g[i], &fd, 1, FD_ATOL, FD_RTOL);
        worst = ratio > worst ? ratio : worst;
    }
    return worst;
}

static void run_case(void **state)
{
    const Case *c = *state;
    int n = c->n;
    int first = c->spec.kind == LAYER_EMBEDDING || c->spec.kind == LAYER_ONEHOT;
    Layer l = layer_make(c->spec, c->in, first ? 0 : 3, c->masked, c->is_output, n);
    size_t nx = (size_t)n * l.in.t * l.in.c, ny = (size_t)n * l.out.t * l.out.c, nw = l.n_params;
    uint8_t *tok = xmalloc((size_t)n * l.in.t, 1), *mask = xmalloc((size_t)n * l.in.t, 1);
    float *x = xalloc_floats(nx), *y = xalloc_floats(ny), *dy = xalloc_floats(ny);
    float *dx = xalloc_floats(nx);
    double *xd = xcalloc(nx + 1, sizeof(double)), *wd = xcalloc(nw + 1, sizeof(double));
    double *yd = xcalloc(ny, sizeof(double)), *rd = xcalloc(ny, sizeof(double));
    double *dxd = xcalloc(nx + 1, sizeof(double)), *dwd = xcalloc(nw + 1, sizeof(double));
    tokens_with_padding(tok, mask, n, l.in.t, 1);
    fill_uniform(x, nx, 1.0f, 2);
    if (c->onehot) /* conv1d's sparse path: each kind of step */
        for (size_t i = 0; i < (size_t)n * l.in.t; i++)
            for (int k = 0; k < l.in.c; k++)
                x[i * l.in.c + k] = i % 7 == 3 ? 0.0f : i % 5 == 1 ? 0.25f : (float)(k == (int)(i * 3 % 4));
    fill_uniform(l.w, nw, 0.5f, 3);
    fill_uniform(dy, ny, 1.0f, 4);
    to_double(x, xd, nx);
    to_double(l.w, wd, nw);
    to_double(dy, rd, ny);
    Pass p = {.n = n, .tokens = tok, .mask = mask, .seed = 1};


    l.ops->forward(&l, &p, first ? NULL : x, y);
    ref_forward(&l, n, tok, mask, xd, wd, yd);
    double worst = compare_fd("forward y", y, yd, ny, FAST_ATOL, FAST_RTOL);

    l.ops->backward(&l, &p, first ? NULL : x, y, dy, first ? NULL : dx);
    ref_backward(&l, n, tok, mask, xd, wd, rd, first ? NULL : dxd, dwd);
    if (!first)
        worst = fmax(worst, compare_fd("backward dx", dx, dxd, nx, FAST_ATOL, FAST_RTOL));
    worst = fmax(worst, compare_fd("backward dw", l.dw, dwd, nw, FAST_ATOL, FAST_RTOL));

    double *scratch = xcalloc(ny, sizeof(double));
    double fd = 0.0;
    if (!first)
        fd = fmax(fd, fd_check("finite differences dx", &l, n, tok, mask, xd, wd, xd, nx, dxd, rd, scratch));
    if (nw)
        fd = fmax(fd, fd_check("finite differences dw", &l, n, tok, mask, xd, wd, wd, nw, dwd, rd, scratch));
    printf("    %-34s fast/reference worst %.3f, finite differences worst %.3f (of tolerance)\n",
           c->name, worst, fd);
    assert_true(worst <= 1.0);
    assert_true(fd <= 1.0);

    free(scratch);
    free(tok), free(mask), free(x), free(y), free(dy), free(dx);
    free(xd), free(wd), free(yd), free(rd), free(dxd), free(dwd);
    layer_destroy(&l);
}

static LayerSpec lstm_spec(int units, int seq, int bi)
{
    LayerSpec s = spec_of(LAYER_LSTM);
    s.units = units;
    s.return_sequences = seq;
    s.bidirectional = bi;
    return s;
}

static LayerSpec with_act(LayerKind kind, Activation act)
{
    LayerSpec s = spec_of(kind);
    s.act = act;
    s.units = 5;
    s.filters = 6;
    s.width = 3;
    return s;
}

static LayerSpec pool_spec(LayerKind kind, int pool, PoolMode mode)
{
    LayerSpec s = spec_of(kind);
    s.pool = pool;
    s.mode = mode;
    s.dim = 5;
    s.rate = 0.3f;
    return s;
}

static Case cases[] = {
    {"embedding", .in = {9, 1}, 1, 0, 5},
    {"onehot", .in = {9, 1}, 1, 0, 5},
    {"conv1d relu", .in = {11, 4}, 0, 0, 3},
    {"conv1d sigmoid", .in = {11, 4}, 0, 0, 3},
    {"conv1d linear, width 1", .in = {6, 3}, 0, 0, 2},
    {"conv1d relu, one-hot input", .in = {13, 4}, 0, 0, 3, 1},
    {"conv1d sigmoid, one-hot, 70 filters", .in = {12, 4}, 0, 0, 2, 1},
    {"conv1d relu, 10 channels", .in = {9, 10}, 0, 0, 2},
    {"maxpool1d 3 (floor: 10 -> 3)", .in = {10, 3}, 0, 0, 3},
    {"maxpool1d 2", .in = {9, 2}, 0, 0, 2},
    {"lstm sequences", .in = {8, 3}, 0, 0, 4},
    {"lstm sequences masked", .in = {8, 3}, 1, 0, 4},
    {"lstm last state", .in = {8, 3}, 0, 0, 4},
    {"lstm last state masked", .in = {8, 3}, 1, 0, 4},
    {"bilstm sequences", .in = {8, 3}, 0, 0, 4},
    {"bilstm sequences masked", .in = {8, 3}, 1, 0, 4},
    {"bilstm last state masked", .in = {8, 3}, 1, 0, 4},
    {"bilstm last state", .in = {8, 3}, 0, 0, 4},
    {"pool_time last", .in = {7, 3}, 0, 0, 4},
    {"pool_time last masked", .in = {7, 3}, 1, 0, 4},
    {"pool_time mean masked", .in = {7, 3}, 1, 0, 4},
    {"pool_time max masked", .in = {7, 3}, 1, 0, 4},
    {"pool_time max", .in = {7, 3}, 0, 0, 4},
    {"dense relu", .in = {1, 7}, 0, 0, 4},
    {"dense sigmoid on a sequence", .in = {3, 7}, 0, 0, 4},
    {"dense output (logits)", .in = {1, 7}, 0, 1, 4},
    {"dense relu, wide weights (matmul_wide)", .in = {1, 1100}, 0, 0, 13},
    {"dropout (inference)", .in = {4, 3}, 0, 0, 3},
    {"flatten", .in = {4, 3}, 0, 0, 3},
    {"bilstm sequences masked, wide input", .in = {6, 130}, 1, 0, 3},
    {"lstm last state, wide input", .in = {5, 140}, 0, 0, 2},
    {"bilstm sequences masked, 40 units", .in = {5, 3}, 1, 0, 7},
    {"lstm sequences masked, 136 units (dz U^T in blocks of terms)", .in = {4, 3}, 1, 0, 5},
    {"maxpool1d 13, 37 channels (vectors of 16 and a tail)", .in = {28, 37}, 0, 0, 2},
    {"dense softplus", .in = {1, 7}, 0, 0, 4},
    {"conv1d relu, 40 channels x 13, 20 filters (direct, 512-term chunks)", .in = {16, 40}, 0, 0, 4},
    {"conv1d sigmoid, 12 channels, 70 filters (direct, 48-row blocks)", .in = {30, 12}, 0, 0, 3},
    {"conv1d relu, 10 channels, 200 steps (im2col in 512-row chunks)", .in = {200, 10}, 0, 0, 3},
};

static void fill_case_specs(void)
{
    cases[0].spec = pool_spec(LAYER_EMBEDDING, 0, POOL_LAST);
    cases[1].spec = spec_of(LAYER_ONEHOT);
    cases[2].spec = with_act(LAYER_CONV1D, ACT_RELU);
    cases[3].spec = with_act(LAYER_CONV1D, ACT_SIGMOID);
    cases[4].spec = with_act(LAYER_CONV1D, ACT_LINEAR);
    cases[4].spec.width = 1;
    cases[5].spec = with_act(LAYER_CONV1D, ACT_RELU);
    cases[5].spec.width = 5;
    cases[6].spec = with_act(LAYER_CONV1D, ACT_SIGMOID);
    cases[6].spec.filters = 70;
    cases[7].spec = with_act(LAYER_CONV1D, ACT_RELU);
    cases[8].spec = pool_spec(LAYER_MAXPOOL1D, 3, POOL_LAST);
    cases[9].spec = pool_spec(LAYER_MAXPOOL1D, 2, POOL_LAST);
    cases[10].spec = lstm_spec(4, 1, 0);
    cases[11].spec = lstm_spec(4, 1, 0);
    cases[12].spec = lstm_spec(4, 0, 0);
    cases[13].spec = lstm_spec(4, 0, 0);
    cases[14].spec = lstm_spec(4, 1, 1);
    cases[15].spec = lstm_spec(4, 1, 1);
    cases[16].spec = lstm_spec(4, 0, 1);
    cases[17].spec = lstm_spec(4, 0, 1);
    cases[18].spec = pool_spec(LAYER_POOL_TIME, 0, POOL_LAST);
    cases[19].spec = pool_spec(LAYER_POOL_TIME, 0, POOL_LAST);
    cases[20].spec = pool_spec(LAYER_POOL_TIME, 0, POOL_MEAN);
    cases[21].spec = pool_spec(LAYER_POOL_TIME, 0, POOL_MAX);
    cases[22].spec = pool_spec(LAYER_POOL_TIME, 0, POOL_MAX);
    cases[23].spec = with_act(LAYER_DENSE, ACT_RELU);
    cases[24].spec = with_act(LAYER_DENSE, ACT_SIGMOID);
    cases[25].spec = with_act(LAYER_DENSE, ACT_SIGMOID);
    cases[26].spec = with_act(LAYER_DENSE, ACT_RELU);
    cases[26].spec.units = 970; /* 1100 x 970 weights: over matmul_wide_pays' million */
    cases[27].spec = pool_spec(LAYER_DROPOUT, 0, POOL_LAST);
    cases[28].spec = spec_of(LAYER_FLATTEN);
    cases[29].spec = lstm_spec(5, 1, 1); /* inputs over 128 wide take the LSTM's sgemm path */
    cases[30].spec = lstm_spec(17, 0, 0);
    cases[31].spec = lstm_spec(40, 1, 1); /* units not a multiple of the panel's 16 */
    cases[32].spec = lstm_spec(136, 1, 0); /* 4 x 144 packed gate columns: over 4 x BACK_KB */
    cases[33].spec = pool_spec(LAYER_MAXPOOL1D, 13, POOL_LAST);
    cases[34].spec = with_act(LAYER_DENSE, ACT_SOFTPLUS);
    cases[35].spec = with_act(LAYER_CONV1D, ACT_RELU);
    cases[35].spec.filters = 20;
    cases[35].spec.width = 13;
    cases[36].spec = with_act(LAYER_CONV1D, ACT_SIGMOID);
    cases[36].spec.filters = 70;
    cases[36].spec.width = 5;
    cases[37].spec = with_act(LAYER_CONV1D, ACT_RELU);
}

/* ---- losses ---- */

static void check_loss(LossKind kind)
{
    enum { N = 5, K = 4 };
    float z[N * K], y[N * K], dz[N * K];
    double zd[N * K], yd[N * K], dzd[N * K];
    fill_uniform(z, N * K, 3.0f, 11);
    for (int r = 0; r < N; r++)
        for (int k = 0; k < K; k++)
            y[r * K + k] = kind == LOSS_BCE ? (float)((r + k) % 2) : (float)(k == r % K);
    to_double(z, zd, N * K);
    to_double(y, yd, N * K);
    double norm = loss_count(kind, N, K);
    double mean = loss_sum(kind, z, y, N, K, dz, norm) / norm;
    double ref = kind == LOSS_BCE ? ref_bce_logits(zd, yd, N, K, dzd) : ref_softmax_ce(zd, yd, N, K, dzd);
    assert_true(compare_fd("loss", (float[]){(float)mean}, &ref, 1, 1e-6, 1e-5) <= 1.0);
    assert_true(compare_fd("dloss/dz", dz, dzd, N * K, 1e-7, 1e-5) <= 1.0);
    for (int i = 0; i < N * K; i++) { /* finite differences of the reference */
        double keep = zd[i], g[N * K];
        zd[i] = keep + 1e-6;
        double up = kind == LOSS_BCE ? ref_bce_logits(zd, yd, N, K, g) : ref_softmax_ce(zd, yd, N, K, g);
        zd[i] = keep - 1e-6;
        double down = kind == LOSS_BCE ? ref_bce_logits(zd, yd, N, K, g) : ref_softmax_ce(zd, yd, N, K, g);
        zd[i] = keep;
        double fd = (up - down) / 2e-6;
        assert_true(compare_dd("loss finite differences", &dzd[i], &fd, 1, 1e-8, 1e-5) <= 1.0);
    }
    /* stable for huge logits: finite loss and gradients */
    float big[N * K];
    for (int i = 0; i < N * K; i++)
        big[i] = (i % 2 ? 1.0f : -1.0f) * 1000.0f;
    double s = loss_sum(kind, big, y, N, K, dz, norm);
    assert_true(isfinite(s));
    for (int i = 0; i < N * K; i++)
        assert_true(isfinite(dz[i]));
}

static double ref_regression(LossKind kind, const double *z, const double *y, int n, int K,
                             double *dz)
{
    return kind == LOSS_MSE ? ref_mse(z, y, n, K, dz)
                            : ref_poisson_softplus(z, y, n, K, LOSS_POISSON_EPS, dz);
}

/* MSE and Poisson: the loss and its gradient against the double reference, the reference's
 * gradient against central differences of it, then logits of +-60 and +-1000 (p = softplus
 * underflows to 0 or is z itself) finite with the reference's values where it still holds. */
static void check_regression_loss(LossKind kind)
{
    enum { N = 6, K = 3 };
    float z[N * K], y[N * K], dz[N * K];
    double zd[N * K], yd[N * K], dzd[N * K], g[N * K], worst = 0.0;
    fill_uniform(z, N * K, 3.0f, 23);
    fill_uniform(y, N * K, 2.0f, 29);
    for (int i = 0; kind == LOSS_POISSON && i < N * K; i++) /* counts, zeros among them */
        y[i] = (float)(i % 5 == 0 ? 0 : (int)(fabsf(y[i]) * 3.0f) + i % 3);
    to_double(z, zd, N * K);
    to_double(y, yd, N * K);
    double norm = loss_count(kind, N, K);
    assert_true(norm == N * K);
    double mean = loss_sum(kind, z, y, N, K, dz, norm) / norm;
    double ref = ref_regression(kind, zd, yd, N, K, dzd);
    assert_true(compare_fd("loss", (float[]){(float)mean}, &ref, 1, 1e-6, 1e-6) <= 1.0);
    assert_true(compare_fd("dloss/dz", dz, dzd, N * K, 1e-7, 1e-5) <= 1.0);
    for (int i = 0; i < N * K; i++) {
        double keep = zd[i];
        zd[i] = keep + 1e-6;
        double up = ref_regression(kind, zd, yd, N, K, g);
        zd[i] = keep - 1e-6;
        double down = ref_regression(kind, zd, yd, N, K, g);
        zd[i] = keep;
        double fd = (up - down) / 2e-6;
        worst = fmax(worst, fabs(fd - dzd[i]));
        assert_true(compare_dd("loss finite differences", &dzd[i], &fd, 1, 1e-9, 1e-6) <= 1.0);
    }
    float big[4] = {60.0f, -60.0f, 1000.0f, -1000.0f}, yb[4] = {3, 3, 3, 3}, db[4];
    double s = loss_sum(kind, big, yb, 1, 4, db, 4.0);
    assert_true(isfinite(s));
    for (int i = 0; i < 4; i++)
        assert_true(isfinite(db[i]));
    if (kind == LOSS_POISSON) { /* z = 60: p = 60, d = 1 - 3/60; z = -60: p ~ e^-60 */
        assert_true(fabs(db[0] * 4.0 - (1.0 - 3.0 / 60.0)) < 1e-6 && fabs(db[2] * 4.0 - 0.997) < 1e-6);
        assert_true(fabs(s - (60 - 3 * log(60.0) + 1000 - 3 * log(1000.0) + 2 * 3 * 18.420680743952367)) < 1e-3);
    }
    printf("    %s: mean loss %.8f (reference %.8f); reference gradient vs central differences: "
           "worst |error| %.2e\n", loss_name(kind), mean, ref, worst);
}

static void test_mse(void **state) { check_regression_loss(LOSS_MSE); }
static void test_poisson(void **state) { check_regression_loss(LOSS_POISSON); }

static void test_bce_logits(void **state) { check_loss(LOSS_BCE); }
static void test_softmax_ce(void **state) { check_loss(LOSS_SOFTMAX_CE); }

/* The weighted losses written out naively in double: BCE -w_k y log s - (1-y) log(1-s) with
 * s = 1/(1+e^-z); softmax -sum_k w_k y_k log(e^z_k / sum_j e^z_j); both as a sum. */
static double ref_weighted_sum(LossKind kind, const double *z, const double *y, int n, int K,
                               const double *w)
{
    double sum = 0.0;
    for (int r = 0; r < n; r++) {
        double den = 0.0;
        for (int k = 0; k < K; k++)
            den += exp(z[r * K + k]);
        for (int k = 0; k < K; k++) {
            double zi = z[r * K + k], yi = y[r * K + k], s = 1.0 / (1.0 + exp(-zi));
            sum += kind == LOSS_BCE ? -w[k] * yi * log(s) - (1.0 - yi) * log(1.0 - s)
                                    : -w[k] * yi * log(exp(zi) / den);
        }
    }
    return sum;
}

/* loss_sum_weighted against that reference, its gradient against central differences of it,
 * weights of 1 against loss_sum bit for bit, and the automatic weights' formula and cap. */
static void check_weighted_loss(LossKind kind)
{
    enum { N = 6, K = 3 };
    float z[N * K], y[N * K], dz[N * K], dz1[N * K], w[K] = {2.5f, 0.4f, 1.0f}, ones[K] = {1, 1, 1};
    double zd[N * K], yd[N * K], wd[K] = {2.5, 0.4, 1.0};
    fill_uniform(z, N * K, 3.0f, 17);
    for (int r = 0; r < N; r++)
        for (int k = 0; k < K; k++)
            y[r * K + k] = kind == LOSS_BCE ? (float)((r * 7 + k) % 3 == 0) : (float)(k == r % K);
    to_double(z, zd, N * K);
    to_double(y, yd, N * K);
    double norm = loss_count(kind, N, K);
    double got = loss_sum_weighted(kind, z, y, N, K, w, dz, norm);
    double want = ref_weighted_sum(kind, zd, yd, N, K, wd);
    assert_true(compare_dd("weighted loss", &got, &want, 1, 1e-6, 1e-6) <= 1.0);
    for (int i = 0; i < N * K; i++) {
        double keep = zd[i];
        zd[i] = keep + 1e-5;
        double up = ref_weighted_sum(kind, zd, yd, N, K, wd);
        zd[i] = keep - 1e-5;
        double down = ref_weighted_sum(kind, zd, yd, N, K, wd);
        zd[i] = keep;
        double fd = (up - down) / 2e-5 / norm, g = dz[i];
        assert_true(compare_dd("weighted dloss/dz vs finite differences", &g, &fd, 1, 1e-7, 1e-4) <= 1.0);
    }
    /* weights of 1 and no weights: the unweighted loss */
    double a = loss_sum_weighted(kind, z, y, N, K, ones, dz1, norm), b = loss_sum(kind, z, y, N, K, dz, norm);
    assert_true(compare_dd("weights of 1", &a, &b, 1, 1e-12, 1e-12) <= 1.0);
    for (int i = 0; i < N * K; i++)
        assert_true(fabsf(dz1[i] - dz[i]) <= 1e-7f);
    double c = loss_sum_weighted(kind, z, y, N, K, NULL, dz1, norm);
    assert_memory_equal(&c, &b, sizeof c);
    assert_memory_equal(dz1, dz, sizeof dz);
    /* automatic weights: 10 rows; 2, 5 and 0 positives */
    double pos[K] = {2, 5, 0};
    float aw[K];
    loss_auto_weights(kind, pos, 10, K, aw);
    if (kind == LOSS_BCE)
        assert_true(aw[0] == 4.0f && aw[1] == 1.0f && aw[2] == (float)LOSS_WEIGHT_CAP);
    else
        assert_true(fabsf(aw[0] - 10.0f / 6) < 1e-6f && fabsf(aw[1] - 10.0f / 15) < 1e-6f &&
                    aw[2] == (float)LOSS_WEIGHT_CAP);
    printf("    %s weighted: loss %.6f (reference %.6f); auto weights %.4g %.4g %.4g\n",
           kind == LOSS_BCE ? "bce" : "softmax", got, want, aw[0], aw[1], aw[2]);
}

static void test_bce_weighted(void **state) { check_weighted_loss(LOSS_BCE); }
static void test_softmax_weighted(void **state) { check_weighted_loss(LOSS_SOFTMAX_CE); }

/* ---- dropout ---- */

static void test_dropout_masks(void **state)
{
    enum { N = 3, T = 50, C = 40 };
    LayerSpec s = spec_of(LAYER_DROPOUT);
    s.rate = 0.25f;
    Layer l = layer_make(s, (Shape){T, C}, 4, 0, 0, N);
    float *x = xalloc_floats(N * T * C), *y = xalloc_floats(N * T * C), *y2 = xalloc_floats(N * T * C);
    for (int i = 0; i < N * T * C; i++)
        x[i] = 1.0f;
    uint32_t idx[N] = {7, 1000003, 42}, swapped[N] = {42, 7, 1000003};
    Pass p = {.n = N, .training = 1, .sample_index = idx, .seed = 9, .epoch = 2};
    l.ops->forward(&l, &p, x, y);
    size_t kept = 0;
    for (int i = 0; i < N * T * C; i++) {
        assert_true(y[i] == 0.0f || fabsf(y[i] - 1.0f / 0.75f) < 1e-6f);
        kept += y[i] != 0.0f;
    }
    double frac = (double)kept / (N * T * C), sd = sqrt(0.75 * 0.25 / (N * T * C));
    printf("    kept %.4f (expected 0.75 +- %.4f)\n", frac, 3 * sd);
    assert_true(fabs(frac - 0.75) < 4 * sd);
    /* a sample's mask follows its global index, not its place in the batch */
    Pass q = p;
    q.sample_index = swapped;
    l.ops->forward(&l, &q, x, y2);
    assert_memory_equal(y, y2 + T * C, sizeof(float) * T * C);       /* sample 7 */
    assert_memory_equal(y + 2 * T * C, y2, sizeof(float) * T * C);   /* sample 42 */
    /* another epoch draws another mask */
    q = p;
    q.epoch = 3;
    l.ops->forward(&l, &q, x, y2);
    assert_true(memcmp(y, y2, sizeof(float) * N * T * C) != 0);
    /* backward applies the same mask */
    l.ops->forward(&l, &p, x, y);
    float *dx = xalloc_floats(N * T * C), *dy = xalloc_floats(N * T * C);
    memcpy(dy, x, sizeof(float) * N * T * C);
    l.ops->backward(&l, &p, x, y, dy, dx);
    assert_memory_equal(dx, y, sizeof(float) * N * T * C);
    free(x), free(y), free(y2), free(dx), free(dy);
    layer_destroy(&l);
}

/* ---- maxpool1d: equal maxima ---- */

/* The gradient of a window goes to the first of its equal maxima (as PyTorch's max_pool1d and
 * Keras's MaxPooling1D do; after relu, windows of zeros are common), in the vector lanes and the
 * tail alike. */
static void test_maxpool_ties(void **state)
{
    enum { N = 1, T = 6, C = 37, P = 3 };
    LayerSpec s = pool_spec(LAYER_MAXPOOL1D, P, POOL_LAST);
    Layer l = layer_make(s, (Shape){T, C}, 4, 0, 0, N);
    float x[T * C], y[2 * C], dy[2 * C], dx[T * C];
    for (int t = 0; t < T; t++)
        for (int c = 0; c < C; c++) /* window 0: all equal; window 1: steps 4 and 5 equal, larger */
            x[t * C + c] = t < P ? 0.5f : (t == 3 ? -1.0f : 2.0f);
    for (int i = 0; i < 2 * C; i++)
        dy[i] = 1.0f;
    Pass p = {.n = N};
    l.ops->forward(&l, &p, x, y);
    l.ops->backward(&l, &p, x, y, dy, dx);
    for (int t = 0; t < T; t++)
        for (int c = 0; c < C; c++)
            assert_true(dx[t * C + c] == (t == 0 || t == 4 ? 1.0f : 0.0f));
    layer_destroy(&l);
}

/* ---- initialisers ---- */

static void test_orthogonal_init(void **state)
{
    enum { H = 12, G = 48 };
    float u[H * G];
    init_orthogonal(u, H, G, 5, 1, 1);
    double worst = 0.0; /* rows orthonormal: U U^T = I */
    for (int a = 0; a < H; a++)
        for (int b = 0; b < H; b++) {
            double dot = 0.0;
            for (int j = 0; j < G; j++)
                dot += (double)u[a * G + j] * u[b * G + j];
            worst = fmax(worst, fabs(dot - (a == b)));
        }
    printf("    max |U U^T - I| = %.2e\n", worst);
    assert_true(worst < 1e-5);
    float tall[G * H]; /* and columns orthonormal for the transposed shape */
    init_orthogonal(tall, G, H, 5, 1, 1);
    for (int a = 0; a < H; a++) {
        double dot = 0.0;
        for (int i = 0; i < G; i++)
            dot += (double)tall[i * H + a] * tall[i * H + a];
        assert_true(fabs(dot - 1.0) < 1e-5);
    }
}

static void test_glorot_and_keys(void **state)
{
    enum { I = 30, O = 50 };
    float a[I * O], b[I * O], c[I * O];
    init_glorot_uniform(a, I * O, I, O, 7, 2, 0);
    init_glorot_uniform(b, I * O, I, O, 7, 2, 0);
    init_glorot_uniform(c, I * O, I, O, 7, 3, 0);
    float limit = sqrtf(6.0f / (I + O)), mx = 0.0f;
    for (int i = 0; i < I * O; i++)
        mx = fmaxf(mx, fabsf(a[i]));
    assert_true(mx <= limit && mx > 0.9f * limit);
    assert_memory_equal(a, b, sizeof a);          /* same key, same draw */
    assert_true(memcmp(a, c, sizeof a) != 0);     /* another layer, another draw */
}

/* ---- random numbers ---- */

/* Philox4x32-10's known answers (Random123's kat_vectors). */
static void test_philox_known_answers(void **state)
{
    const uint32_t ctr[3][4] = {{0, 0, 0, 0},
                                {0xffffffffu, 0xffffffffu, 0xffffffffu, 0xffffffffu},
                                {0x243f6a88u, 0x85a308d3u, 0x13198a2eu, 0x03707344u}};
    const uint32_t key[3][2] = {{0, 0}, {0xffffffffu, 0xffffffffu}, {0xa4093822u, 0x299f31d0u}};
    const uint32_t want[3][4] = {{0x6627e8d5u, 0xe169c58du, 0xbc57ac4cu, 0x9b00dbd8u},
                                 {0x408f276du, 0x41c83b0eu, 0xa20bc7c6u, 0x6d5451fdu},
                                 {0xd16cfe09u, 0x94fdccebu, 0x5001e420u, 0x24126ea1u}};
    for (int i = 0; i < 3; i++) {
        uint32_t got[4];
        philox4x32(ctr[i], key[i], got);
        assert_memory_equal(got, want[i], sizeof got);
    }
}

/* The 16-block vector path gives the scalar blocks' words, across a carry into the high word. */
static void test_rng_words_match_blocks(void **state)
{
    enum { N = 64 * 3 + 7 };
    uint32_t words[N];
    uint64_t first = 0xfffffff0ull; /* block numbers cross 2^32 */
    rng_words(0x1234567890abcdefull, RNG_DROPOUT, 3, 9, first, words, N);
    for (int i = 0; i < N; i++) {
        float u = rng_uniform_at(0x1234567890abcdefull, RNG_DROPOUT, 3, 9, first * 4 + (uint64_t)i);
        assert_true((float)(words[i] >> 8) * (1.0f / 16777216.0f) == u);
    }
}

/* A training pass drops element e of sample s exactly when its keyed uniform is below the rate. */
static void test_dropout_mask_is_keyed(void **state)
{
    enum { N = 3, T = 5, C = 29 }; /* 145 elements a sample: vector blocks and a tail */
    LayerSpec spec = spec_of(LAYER_DROPOUT);
    spec.rate = 0.3f;
    Layer l = layer_make(spec, (Shape){T, C}, 4, 0, 0, N);
    float x[N * T * C], y[N * T * C];
    uint32_t index[N] = {7, 1000003, 42};
    for (int i = 0; i < N * T * C; i++)
        x[i] = 1.0f + (float)i;
    Pass p = {.n = N, .training = 1, .sample_index = index, .seed = 99, .epoch = 5};
    l.ops->forward(&l, &p, x, y);
    int dropped = 0;
    for (int n = 0; n < N; n++)
        for (int e = 0; e < T * C; e++) {
            uint64_t first = (uint64_t)index[n] * ((T * C + 3) / 4);
            float u = rng_uniform_at(99, RNG_DROPOUT, 4, 5, first * 4 + (uint64_t)e);
            float want = u >= 0.3f ? x[n * T * C + e] * (1.0f / 0.7f) : 0.0f;
            assert_true(y[n * T * C + e] == want);
            dropped += want == 0.0f;
        }
    printf("    dropped %d of %d at rate 0.3\n", dropped, N * T * C);
    layer_destroy(&l);
}

/* ---- Adam ---- */

static void test_adam_keras_update(void **state)
{
    enum { P = 37 }; /* two 16-wide vectors and a tail of 5 */
    float p[P], g[P];
    double pd[P], m[P] = {0}, v[P] = {0};
    for (int i = 0; i < P; i++)
        p[i] = (float)(pd[i] = 0.5 - 0.07 * i);
    AdamConfig cfg = adam_defaults();
    cfg.lr = 0.01f;
    Adam a;
    adam_build(&a, P);
    for (int t = 1; t <= 5; t++) {
        for (int i = 0; i < P; i++)
            g[i] = (float)(0.3 * (i % 5 + 1) * (t % 2 ? 1 : -0.5) * (i % 3 ? 1 : -1));
        double lr_t = 0.01 * sqrt(1 - pow(0.999, t)) / (1 - pow(0.9, t));
        for (int i = 0; i < P; i++) {
            m[i] = 0.9 * m[i] + 0.1 * g[i];
            v[i] = 0.999 * v[i] + 0.001 * g[i] * g[i];
            pd[i] -= lr_t * m[i] / (sqrt(v[i]) + 1e-7);
        }
        adam_step(&a, &cfg, p, g);
    }
    assert_true(compare_fd("adam parameters", p, pd, P, 1e-7, 1e-5) <= 1.0);
    /* clipping scales the whole gradient to the norm: the first moment gets 0.1 x (0.6, 0.8) */
    adam_free(&a);
    adam_build(&a, 2);
    float h[2] = {3.0f, 4.0f};
    cfg.clip_norm = 1.0f;
    double norm = adam_step(&a, &cfg, p, h);
    assert_true(fabs(norm - 5.0) < 1e-6);
    assert_true(fabsf(a.m[0] - 0.06f) < 1e-7f && fabsf(a.m[1] - 0.08f) < 1e-7f);
    adam_free(&a);
}

int main(void)
{
    fill_case_specs();
    enum { NCASES = sizeof cases / sizeof cases[0] };
    struct CMUnitTest tests[NCASES + 14];
    for (int i = 0; i < NCASES; i++)
        tests[i] = (struct CMUnitTest){cases[i].name, run_case, NULL, NULL, &cases[i]};
    tests[NCASES + 0] = (struct CMUnitTest)cmocka_unit_test(test_bce_logits);
    tests[NCASES + 1] = (struct CMUnitTest)cmocka_unit_test(test_softmax_ce);
    tests[NCASES + 2] = (struct CMUnitTest)cmocka_unit_test(test_dropout_masks);
    tests[NCASES + 3] = (struct CMUnitTest)cmocka_unit_test(test_orthogonal_init);
    tests[NCASES + 4] = (struct CMUnitTest)cmocka_unit_test(test_glorot_and_keys);
    tests[NCASES + 5] = (struct CMUnitTest)cmocka_unit_test(test_adam_keras_update);
    tests[NCASES + 6] = (struct CMUnitTest)cmocka_unit_test(test_philox_known_answers);
    tests[NCASES + 7] = (struct CMUnitTest)cmocka_unit_test(test_rng_words_match_blocks);
    tests[NCASES + 8] = (struct CMUnitTest)cmocka_unit_test(test_dropout_mask_is_keyed);
    tests[NCASES + 9] = (struct CMUnitTest)cmocka_unit_test(test_maxpool_ties);
    tests[NCASES + 10] = (struct CMUnitTest)cmocka_unit_test(test_bce_weighted);
    tests[NCASES + 11] = (struct CMUnitTest)cmocka_unit_test(test_softmax_weighted);
    tests[NCASES + 12] = (struct CMUnitTest)cmocka_unit_test(test_mse);
    tests[NCASES + 13] = (struct CMUnitTest)cmocka_unit_test(test_poisson);
    return _cmocka_run_group_tests("layers", tests, NCASES + 14, NULL, NULL);
}
