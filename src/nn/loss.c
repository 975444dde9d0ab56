/* loss.c: binary cross-entropy and softmax cross-entropy on logits. See loss.h. */
#include "nn/loss.h"

#include <math.h>

#include "nn/kernels.h"

double loss_count(LossKind kind, int n, int K) { return kind == LOSS_BCE ? (double)n * K : (double)n; }

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

double loss_sum(LossKind kind, const float *z, const float *y, int n, int K, float *dz, double norm)
{
    return kind == LOSS_BCE ? bce_sum(z, y, n, K, dz, norm) : softmax_ce_sum(z, y, n, K, dz, norm);
}
