/* loss.c: binary cross-entropy and softmax cross-entropy on logits, unweighted or with class
 * weights; mean squared error and Poisson on the regression output's logits. See loss.h. */
#include "nn/loss.h"

#include <math.h>

#include "nn/kernels.h"

const char *const loss_names[LOSS_KIND_COUNT] = {"bce", "softmax_ce", "mse", "poisson"};

const char *loss_name(LossKind kind)
{
    return kind >= 0 && kind < LOSS_KIND_COUNT ? loss_names[kind] : "unknown";
}

double loss_count(LossKind kind, int n, int K)
{
    return loss_per_element(kind) ? (double)n * K : (double)n;
}

/* max(z, 0) - z y + log(1 + exp(-|z|)): no overflow for any z. */
static double bce_sum(const float *z, const float *y, int n, int K, float *dz, double norm)
{
    double sum = 0.0;
    for (long i = 0; i < (long)n * K; i++) {
        double zi = z[i];
        sum += (zi > 0.0 ? zi : 0.0) - zi * y[i] + log1p(exp(-fabs(zi)));
        if (dz)
            dz[i] = (float)((1.0 / (1.0 + exp(-zi)) - y[i]) / norm);
    }
    return sum;
}

/* -sum_k y_k log softmax(z)_k, with the log-sum-exp taken around the row maximum. */
static double softmax_ce_sum(const float *z, const float *y, int n, int K, float *dz, double norm)
{
    double sum = 0.0;
    for (int r = 0; r < n; r++) {
        const float *zr = z + (long)r * K, *yr = y + (long)r * K;
        double mx = zr[0], ysum = 0.0, lse = 0.0;
        for (int k = 1; k < K; k++)
            mx = zr[k] > mx ? zr[k] : mx;
        for (int k = 0; k < K; k++) {
            lse += exp(zr[k] - mx);
            ysum += yr[k];
        }
        lse = mx + log(lse);
        for (int k = 0; k < K; k++) {
            sum -= yr[k] * (zr[k] - lse);
            if (dz)
                dz[(long)r * K + k] = (float)((exp(zr[k] - lse) * ysum - yr[k]) / norm);
        }
    }
    return sum;
}

static double softplus(double x) { return (x > 0.0 ? x : 0.0) + log1p(exp(-fabs(x))); }

/* (z - y)^2, the linear output's; d/dz = 2 (z - y). */
static double mse_sum(const float *z, const float *y, int n, int K, float *dz, double norm)
{
    double sum = 0.0;
    for (long i = 0; i < (long)n * K; i++) {
        double e = (double)z[i] - y[i];
        sum += e * e;
        if (dz)
            dz[i] = (float)(2.0 * e / norm);
    }
    return sum;
}

/* p - y log(p + eps), p = softplus(z); d/dz = (1 - y / (p + eps)) sigmoid(z). For z far below
 * 0, p = e^z underflows to 0 and the term to y log(1/eps): finite, as PyTorch's. */
double loss_poisson_term(double z, double y, double *dz)
{
    double p = softplus(z), s = z >= 0.0 ? 1.0 / (1.0 + exp(-z)) : exp(z) / (1.0 + exp(z));
    if (dz)
        *dz = s - y * (s / (p + LOSS_POISSON_EPS));
    return p - y * log(p + LOSS_POISSON_EPS);
}

static double poisson_sum(const float *z, const float *y, int n, int K, float *dz, double norm)
{
    double sum = 0.0, g = 0.0;
    for (long i = 0; i < (long)n * K; i++) {
        sum += loss_poisson_term(z[i], y[i], dz ? &g : NULL);
        if (dz)
            dz[i] = (float)(g / norm);
    }
    return sum;
}

double loss_sum(LossKind kind, const float *z, const float *y, int n, int K, float *dz, double norm)
{
    switch (kind) {
    case LOSS_BCE:
        return bce_sum(z, y, n, K, dz, norm);
    case LOSS_MSE:
        return mse_sum(z, y, n, K, dz, norm);
    case LOSS_POISSON:
        return poisson_sum(z, y, n, K, dz, norm);
    default:
        return softmax_ce_sum(z, y, n, K, dz, norm);
    }
}

double loss_sum_of_outputs(LossKind kind, const float *p, const float *y, int n, int K)
{
    const double eps = 1e-7;
    double sum = 0.0;
    for (long i = 0; i < (long)n * K; i++) {
        double q = fmin(fmax(p[i], eps), 1.0 - eps), e = (double)p[i] - y[i];
        switch (kind) {
        case LOSS_BCE:
            sum -= y[i] * log(q) + (1.0 - y[i]) * log(1.0 - q);
            break;
        case LOSS_MSE:
            sum += e * e;
            break;
        case LOSS_POISSON:
            sum += p[i] - y[i] * log((double)p[i] + LOSS_POISSON_EPS);
            break;
        default:
            sum -= y[i] * log(q);
        }
    }
    return sum;
}

/* ---- class weights ---- */

/* p y softplus(-z) + (1 - y) softplus(z), p = pos_weight[k]: PyTorch's BCEWithLogitsLoss with
 * pos_weight; d/dz = sigmoid(z) (p y + 1 - y) - p y. */
static double bce_weighted_sum(const float *z, const float *y, int n, int K, const float *pos_weight,
                               float *dz, double norm)
{
    double sum = 0.0;
    for (int r = 0; r < n; r++)
        for (int k = 0; k < K; k++) {
            long i = (long)r * K + k;
            double zi = z[i], yi = y[i], p = pos_weight[k];
            sum += p * yi * softplus(-zi) + (1.0 - yi) * softplus(zi);
            if (dz)
                dz[i] = (float)(((p * yi + 1.0 - yi) / (1.0 + exp(-zi)) - p * yi) / norm);
        }
    return sum;
}

/* -sum_k w_k y_k log softmax(z)_k; d/dz_j = softmax_j sum_k w_k y_k - w_j y_j. */
static double softmax_weighted_sum(const float *z, const float *y, int n, int K, const float *w,
                                   float *dz, double norm)
{
    double sum = 0.0;
    for (int r = 0; r < n; r++) {
        const float *zr = z + (long)r * K, *yr = y + (long)r * K;
        double mx = zr[0], wysum = 0.0, lse = 0.0;
        for (int k = 1; k < K; k++)
            mx = zr[k] > mx ? zr[k] : mx;
        for (int k = 0; k < K; k++) {
            lse += exp(zr[k] - mx);
            wysum += (double)w[k] * yr[k];
        }
        lse = mx + log(lse);
        for (int k = 0; k < K; k++) {
            sum -= (double)w[k] * yr[k] * (zr[k] - lse);
            if (dz)
                dz[(long)r * K + k] = (float)((exp(zr[k] - lse) * wysum - (double)w[k] * yr[k]) / norm);
        }
    }
    return sum;
}

double loss_sum_weighted(LossKind kind, const float *z, const float *y, int n, int K,
                         const float *weights, float *dz, double norm)
{
    if (!weights || kind == LOSS_MSE || kind == LOSS_POISSON) /* the trainer gives none for these */
        return loss_sum(kind, z, y, n, K, dz, norm);
    return kind == LOSS_BCE ? bce_weighted_sum(z, y, n, K, weights, dz, norm)
                            : softmax_weighted_sum(z, y, n, K, weights, dz, norm);
}

void loss_auto_weights(LossKind kind, const double *positives, double rows, int K, float *weights)
{
    for (int k = 0; k < K; k++) {
        double pos = positives[k], w;
        if (kind == LOSS_BCE) /* negatives / positives */
            w = pos > 0.0 ? (rows - pos) / pos : LOSS_WEIGHT_CAP;
        else /* rows / (K rows of class k): scikit-learn's "balanced" */
            w = pos > 0.0 ? rows / (K * pos) : LOSS_WEIGHT_CAP;
        weights[k] = (float)(w > LOSS_WEIGHT_CAP ? LOSS_WEIGHT_CAP
                                                 : w < 1.0 / LOSS_WEIGHT_CAP ? 1.0 / LOSS_WEIGHT_CAP : w);
    }
}
