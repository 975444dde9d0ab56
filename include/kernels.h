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

static inline float sigmoidf(float x) { return 1.0f / (1.0f + __builtin_expf(-x)); }

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
