/* kernels.h: the numeric building blocks the layers share: row-major sgemm through BLAS, activations
 * and their derivatives, the Keras initialisers. Everything is float32 over contiguous arrays. */
#ifndef GSEQ_KERNELS_H
#define GSEQ_KERNELS_H

#include <stddef.h>
#include <stdint.h>

#include "nn/layer.h"

/* Flush-to-zero and denormals-are-zero (x86's MXCSR), the usual mode for training: products of tiny
 * gradients give 0 instead of a subnormal number, which x86 computes up to 100x slower, and float32
 * training loses nothing it could resolve. model_build calls it, so the thread that trains has it,
 * and so do the threads that do its work: OpenBLAS's workers are restarted from it (once) and
 * parallel_run's start from it. Every rank sets the same mode. Returns the BLAS core in use
 * (OpenBLAS's name for the kernels it chose, e.g. "Cooperlake"), or "unknown" for another BLAS. */
const char *kernels_init(void);

/* BLAS threads of this process: `requested` when > 0, else OPENBLAS_NUM_THREADS, else
 * OMP_NUM_THREADS, else the node's cores divided by the ranks on it (node_ranks). */
void kernels_set_threads(int requested, int node_ranks);

/* Work split over threads for the kernels that are not BLAS calls (the LSTM's recurrence): as many
 * as BLAS uses (the --threads of train, OPENBLAS_NUM_THREADS), 1 without OpenBLAS. */
int kernels_threads(void);
/* Parts to split `units` independent pieces of work into: kernels_threads(), at most units, at
 * least 1. */
int kernels_parts(int units);
/* Runs fn(ctx, part, parts) for part = 0 .. parts-1 at once, part 0 on the calling thread, the
 * others on worker threads started at the first call and kept (so that a training step starts
 * none); returns when all are done. Not reentrant: call it from one thread. */
typedef void (*ParallelFn)(void *ctx, int part, int parts);
void parallel_run(int parts, ParallelFn fn, void *ctx);
/* Starts the workers for `parts` now (a layer's alloc calls it, so that training steps start none). */
void parallel_start(int parts);

/* C (M, N) = alpha * op(A) op(B) + beta * C, row-major; ta/tb: 0 = as stored, 1 = transposed. */
void gemm(int ta, int tb, int M, int N, int K, float alpha, const float *A, int lda, const float *B,
          int ldb, float beta, float *C, int ldc);

/* A block of a row-major product, the recurrent LSTM kernels' building block:
 *   C[r * ldc + j] = beta * C[r * ldc + j] + sum_k a[r][k] * B[k * ldb + j]
 * for r < rows (1..GEMM_BLOCK_ROWS), j < cols (1..64), beta 0 or 1, each row of A given by its own
 * pointer (rows may lie anywhere). B is read in whole vectors of 16 columns (it must have
 * 16 * ceil(cols / 16) readable columns: masked loads there measured 2x slower); only C's `cols`
 * columns are touched. AVX-512: up to 24
 * accumulators in registers; elsewhere plain C. */
#define GEMM_BLOCK_ROWS 6
void gemm_block(int rows, int cols, int K, const float *const *a, const float *B, int ldb, float *C,
                int ldc, int beta);
/* The same with A transposed: row r, element k of A is A[k * lda + r] (parameter gradients: rows
 * of A^T are columns of A). */
void gemm_block_tn(int rows, int cols, int K, const float *A, int lda, const float *B, int ldb,
                   float *C, int ldc, int beta);

/* Products with a weight matrix W (K, N) for few rows, over kernels_threads() threads, without
 * BLAS's packing of W (dense layers at small local batches): Y (M, N) = X (M, K) W,
 * dX (M, K) = dY (M, N) W^T with scratch of N * 16 * ceil(M / 16) floats, and the weight gradient
 * dW (K, N) = X^T dY (set, not added) with scratch of M * 16 * ceil(N / 16). matmul_wide_pays says
 * when they beat OpenBLAS here (AVX-512, M <= 128, W of a million floats or more); W must be
 * followed by 15 readable floats (a dense layer's bias). */
int matmul_wide_pays(int M, int N, int K);
void matmul_wide(int M, int N, int K, const float *X, const float *W, float *Y);
void matmul_wide_t(int M, int N, int K, const float *dY, const float *W, float *dX, float *scratch);
void matmul_wide_tn(int M, int N, int K, const float *X, const float *dY, float *dW, float *scratch);

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
    } scale = {((n == n ? (int32_t)n : 0) + 127) << 23}; /* NaN in: p is NaN, the result too */
    return p * scale.f;
}

static inline float sigmoidf(float x) { return 1.0f / (1.0f + exp_fast(-x)); }
/* tanh(x) = 1 - 2 / (exp(2x) + 1): no cancellation near 0 worse than ~1e-7 absolute. */
static inline float tanh_fast(float x) { return 1.0f - 2.0f / (exp_fast(2.0f * x) + 1.0f); }

#if defined(__AVX512F__)
#include <immintrin.h>
/* exp_fast, sigmoidf and tanh_fast on 16 floats at once (the same polynomial, with fused
 * multiply-adds), for the LSTM's cell updates. */
static inline __m512 exp16_fast(__m512 x)
{
    x = _mm512_min_ps(_mm512_max_ps(x, _mm512_set1_ps(-87.0f)), _mm512_set1_ps(88.0f));
    __m512 n = _mm512_roundscale_ps(_mm512_fmadd_ps(x, _mm512_set1_ps(1.44269504088896341f),
                                                    _mm512_set1_ps(0.5f)),
                                    _MM_FROUND_TO_NEG_INF | _MM_FROUND_NO_EXC);
    __m512 r = _mm512_fnmadd_ps(n, _mm512_set1_ps(0.693359375f), x);
    r = _mm512_fmadd_ps(n, _mm512_set1_ps(2.12194440e-4f), r);
    __m512 p = _mm512_set1_ps(1.9875691500e-4f);
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.3981999507e-3f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(8.3334519073e-3f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(4.1665795894e-2f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.6666665459e-1f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(5.0000001201e-1f));
    p = _mm512_fmadd_ps(_mm512_mul_ps(p, r), r, _mm512_add_ps(r, _mm512_set1_ps(1.0f)));
    __m512i e = _mm512_slli_epi32(_mm512_add_epi32(_mm512_cvttps_epi32(n), _mm512_set1_epi32(127)), 23);
    return _mm512_mul_ps(p, _mm512_castsi512_ps(e));
}
/* 1 / d for d >= 1: the 14-bit estimate and one Newton step (relative error ~1e-8), much faster
 * than a division. */
static inline __m512 recip16(__m512 d)
{
    __m512 r = _mm512_rcp14_ps(d);
    return _mm512_fmadd_ps(r, _mm512_fnmadd_ps(d, r, _mm512_set1_ps(1.0f)), r);
}
static inline __m512 sigmoid16(__m512 x)
{
    __m512 one = _mm512_set1_ps(1.0f);
    return recip16(_mm512_add_ps(one, exp16_fast(_mm512_sub_ps(_mm512_setzero_ps(), x))));
}
static inline __m512 tanh16(__m512 x)
{
    __m512 one = _mm512_set1_ps(1.0f);
    __m512 e = exp16_fast(_mm512_add_ps(x, x));
    return _mm512_fnmadd_ps(_mm512_set1_ps(2.0f), recip16(_mm512_add_ps(e, one)), one);
}
#endif

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
