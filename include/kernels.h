/* kernels.h: the numeric building blocks the layers share: row-major sgemm through BLAS, activations
 * and their derivatives, the Keras initialisers. Everything is float32 over contiguous arrays. */
#ifndef GSEQ_KERNELS_H
#define GSEQ_KERNELS_H

#include <stddef.h>
#include <stdint.h>

#include "layer.h"

/* C (M, N) = alpha * op(A) op(B) + beta * C, row-major; ta/tb: 0 = as stored, 1 = transposed. */
void gemm(int ta, int tb, int M, int N, int K, float alpha, const float *A, int lda, const float *B,
          int ldb, float beta, float *C, int ldc);

/* exp for float, Cephes' polynomial after range reduction (relative error ~2e-7), written without
 * calls or branches so that loops over it vectorise; the LSTM's gates spend their time here. */
static inline float exp_fast(float x)
{
    x = x < -87.0f ? -87.0f : (x > 88.0f ? 88.0f : x);
    float n = __builtin_floorf(x * 1.44269504088896341f + 0.5f);
    float r = x - n * 0.693359375f + n * 2.12194440e-4f;
    float p = 1.9875691500e-4f;
    p = p * r + 1.3981999507e-3f;
    p = p * r + 8.3334519073e-3f;
    p = p * r + 4.1665795894e-2f;
    p = p * r + 1.6666665459e-1f;
    p = p * r + 5.0000001201e-1f;
    p = p * r * r + r + 1.0f;
    union {
        int32_t i;
        float f;
    } scale = {((int32_t)n + 127) << 23};
    return p * scale.f;
}

static inline float sigmoidf(float x) { return 1.0f / (1.0f + exp_fast(-x)); }
/* tanh(x) = 1 - 2 / (exp(2x) + 1): no cancellation near 0 worse than ~1e-7 absolute. */
static inline float tanh_fast(float x) { return 1.0f - 2.0f / (exp_fast(2.0f * x) + 1.0f); }

/* y = act(x) in place over n values; softmax works on rows of width `width`. */
void activation_forward(Activation act, float *x, size_t n, int width);
/* dx = dy * act'(.) given the activation's output y, in place on d (not for softmax). */
void activation_backward(Activation act, const float *y, float *d, size_t n);

/* Adds b (cols) to each of the rows of y (rows, cols). */
void add_bias_rows(float *y, const float *b, int rows, int cols);
/* db (cols) += column sums of d (rows, cols). */
void sum_rows_into(float *db, const float *d, int rows, int cols);

/* Keras initialisers, keyed by (seed, layer, tensor) so that any process draws the same values. */
void init_glorot_uniform(float *w, size_t n, int fan_in, int fan_out, uint64_t seed, int layer,
                         int tensor);
void init_uniform(float *w, size_t n, float limit, uint64_t seed, int layer, int tensor);
/* Orthogonal (rows, cols) matrix, gain 1, as keras.initializers.Orthogonal. */
void init_orthogonal(float *w, int rows, int cols, uint64_t seed, int layer, int tensor);

#endif
