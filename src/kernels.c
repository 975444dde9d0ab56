/* kernels.c: sgemm wrapper, activations, Keras initialisers. See kernels.h. */
#include "kernels.h"

#include <cblas.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "rng.h"

void gemm(int ta, int tb, int M, int N, int K, float alpha, const float *A, int lda, const float *B,
          int ldb, float beta, float *C, int ldc)
{
    if (M == 0 || N == 0)
        return;
    if (K == 0) { /* no terms: C = beta C (an empty local batch) */
        for (int i = 0; i < M; i++)
            for (int j = 0; j < N; j++)
                C[(size_t)i * ldc + j] = beta == 0.0f ? 0.0f : beta * C[(size_t)i * ldc + j];
        return;
    }
    cblas_sgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans, tb ? CblasTrans : CblasNoTrans, M, N,
                K, alpha, A, lda, B, ldb, beta, C, ldc);
}

static void softmax_rows(float *x, size_t n, int width)
{
    for (size_t r = 0; r < n / (size_t)width; r++) {
        float *row = x + r * (size_t)width;
        float mx = row[0];
        for (int j = 1; j < width; j++)
            mx = row[j] > mx ? row[j] : mx;
        float sum = 0.0f;
        for (int j = 0; j < width; j++) {
            row[j] = expf(row[j] - mx);
            sum += row[j];
        }
        for (int j = 0; j < width; j++)
            row[j] /= sum;
    }
}

void activation_forward(Activation act, float *x, size_t n, int width)
{
    switch (act) {
    case ACT_RELU:
        for (size_t i = 0; i < n; i++)
            x[i] = x[i] > 0.0f ? x[i] : 0.0f;
        break;
    case ACT_SIGMOID:
        for (size_t i = 0; i < n; i++)
            x[i] = sigmoidf(x[i]);
        break;
    case ACT_SOFTMAX:
        softmax_rows(x, n, width);
        break;
    default:
        break;
    }
}

void activation_backward(Activation act, const float *y, float *d, size_t n)
{
    switch (act) {
    case ACT_RELU:
        for (size_t i = 0; i < n; i++)
            d[i] = y[i] > 0.0f ? d[i] : 0.0f;
        break;
    case ACT_SIGMOID:
        for (size_t i = 0; i < n; i++)
            d[i] *= y[i] * (1.0f - y[i]);
        break;
    default:
        break;
    }
}

void add_bias_rows(float *y, const float *b, int rows, int cols)
{
    for (int r = 0; r < rows; r++) {
        float *yr = y + (size_t)r * cols;
        for (int j = 0; j < cols; j++)
            yr[j] += b[j];
    }
}

void sum_rows_into(float *db, const float *d, int rows, int cols)
{
    for (int r = 0; r < rows; r++) {
        const float *dr = d + (size_t)r * cols;
        for (int j = 0; j < cols; j++)
            db[j] += dr[j];
    }
}

static uint32_t init_stream(int layer, int tensor) { return ((uint32_t)layer << 8) | (uint32_t)tensor; }

void init_uniform(float *w, size_t n, float limit, uint64_t seed, int layer, int tensor)
{
    for (size_t i = 0; i < n; i++)
        w[i] = limit * (2.0f * rng_uniform_at(seed, RNG_INIT, init_stream(layer, tensor), 0, i) - 1.0f);
}

void init_glorot_uniform(float *w, size_t n, int fan_in, int fan_out, uint64_t seed, int layer,
                         int tensor)
{
    init_uniform(w, n, sqrtf(6.0f / (float)(fan_in + fan_out)), seed, layer, tensor);
}

/* LAPACK (shipped inside OpenBLAS): QR factorisation and the explicit Q. */
extern void dgeqrf_(const int *m, const int *n, double *a, const int *lda, double *tau, double *work,
                    const int *lwork, int *info);
extern void dorgqr_(const int *m, const int *n, const int *k, double *a, const int *lda,
                    const double *tau, double *work, const int *lwork, int *info);

void init_orthogonal(float *w, int rows, int cols, uint64_t seed, int layer, int tensor)
{
    /* Keras: QR of a normal (max, min) matrix, columns signed by diag(R), transposed if rows < cols. */
    int m = rows > cols ? rows : cols, k = rows > cols ? cols : rows;
    double *a = xmalloc((size_t)m * k, sizeof(double)); /* column-major (m, k) */
    double *tau = xmalloc((size_t)k, sizeof(double));
    double *sign = xmalloc((size_t)k, sizeof(double));
    for (size_t i = 0; i < (size_t)m * k; i++)
        a[i] = rng_normal_at(seed, RNG_INIT, init_stream(layer, tensor), 0, i);
    int lwork = 64 * m, info = 0;
    double *work = xmalloc((size_t)lwork, sizeof(double));
    dgeqrf_(&m, &k, a, &m, tau, work, &lwork, &info);
    if (info != 0)
        die("orthogonal initialisation: LAPACK dgeqrf failed (info %d)", info);
    for (int j = 0; j < k; j++)
        sign[j] = a[j + (size_t)j * m] < 0.0 ? -1.0 : 1.0;
    dorgqr_(&m, &k, &k, a, &m, tau, work, &lwork, &info);
    if (info != 0)
        die("orthogonal initialisation: LAPACK dorgqr failed (info %d)", info);
    /* q[i][j] = a[i + j*m] * sign[j]; w = q (rows >= cols) or q^T (rows < cols), row-major. */
    for (int i = 0; i < m; i++)
        for (int j = 0; j < k; j++) {
            float q = (float)(a[i + (size_t)j * m] * sign[j]);
            if (rows >= cols)
                w[(size_t)i * cols + j] = q;
            else
                w[(size_t)j * cols + i] = q;
        }
    free(work);
    free(sign);
    free(tau);
    free(a);
}
