/* kernels.c: sgemm wrapper, activations, Keras initialisers. See kernels.h. */
#include "nn/kernels.h"

#include <cblas.h>
#include <math.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/rng.h"

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#endif

#define MAX_PARTS 64

/* OpenBLAS's own reports, weak: other BLAS libraries do not have them. */
extern char *openblas_get_corename(void) __attribute__((weak));
extern int openblas_get_num_threads(void) __attribute__((weak));
extern void openblas_set_num_threads(int); /* the program links OpenBLAS (the Makefile) */

void kernels_set_threads(int requested, int node_ranks)
{
    int n = requested;
    const char *env = getenv("OPENBLAS_NUM_THREADS");
    if (!n && !(env && *env))
        env = getenv("OMP_NUM_THREADS");
    if (!n && env && *env)
        n = atoi(env);
    if (n <= 0) {
        long cores = sysconf(_SC_NPROCESSORS_ONLN);
        n = cores > node_ranks ? (int)(cores / (node_ranks > 0 ? node_ranks : 1)) : 1;
    }
    openblas_set_num_threads(n);
}

int kernels_threads(void)
{
    int n = openblas_get_num_threads ? openblas_get_num_threads() : 1;
    return n < 1 ? 1 : (n > MAX_PARTS ? MAX_PARTS : n);
}

int kernels_parts(int units)
{
    int t = kernels_threads();
    return t < units ? t : (units > 0 ? units : 1);
}

/* The worker pool of parallel_run: workers wait at `start`, run their part, meet at `done`. */
static struct {
    int workers; /* started so far: parts 1 .. workers */
    pthread_barrier_t start, done;
    pthread_t thread[MAX_PARTS];
    ParallelFn fn;
    void *ctx;
    int parts;
} pool;

static void *pool_worker(void *arg)
{
    int part = (int)(intptr_t)arg;
    for (;;) {
        pthread_barrier_wait(&pool.start);
        if (part < pool.parts)
            pool.fn(pool.ctx, part, pool.parts);
        pthread_barrier_wait(&pool.done);
    }
    return NULL;
}

void parallel_start(int parts)
{
    parts = parts > MAX_PARTS ? MAX_PARTS : parts;
    if (pool.workers > 0 || parts <= 1) /* the pool's size is set once */
        return;
    pool.workers = parts - 1;
    if (pthread_barrier_init(&pool.start, NULL, (unsigned)parts) != 0 ||
        pthread_barrier_init(&pool.done, NULL, (unsigned)parts) != 0)
        die("parallel_run: cannot create barriers");
    for (int i = 1; i < parts; i++)
        if (pthread_create(&pool.thread[i], NULL, pool_worker, (void *)(intptr_t)i) != 0)
            die("parallel_run: cannot start thread %d of %d", i, parts);
}

void parallel_run(int parts, ParallelFn fn, void *ctx)
{
    parallel_start(parts);
    if (parts > pool.workers + 1)
        parts = pool.workers + 1;
    if (parts <= 1) {
        fn(ctx, 0, 1);
        return;
    }
    pool.fn = fn;
    pool.ctx = ctx;
    pool.parts = parts;
    pthread_barrier_wait(&pool.start);
    fn(ctx, 0, parts);
    pthread_barrier_wait(&pool.done);
}

extern void blas_thread_shutdown_(void) __attribute__((weak));

const char *kernels_init(void)
{
    static int restarted;
#if defined(__x86_64__) || defined(__i386__)
    _mm_setcsr(_mm_getcsr() | 0x8040); /* FTZ (bit 15) and DAZ (bit 6) */
#endif
    /* OpenBLAS started its worker threads when it was loaded, before this mode was set, and a thread
     * keeps the mode it was started with; stopped here (as OpenBLAS does itself before a fork), they
     * are started again at the next multi-threaded call, from this thread, and inherit the mode.
     * Our own workers (parallel_run) start later, from this thread, too. */
    if (!restarted && blas_thread_shutdown_) {
        restarted = 1;
        blas_thread_shutdown_();
    }
    return openblas_get_corename ? openblas_get_corename() : "unknown";
}

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

#if defined(__AVX512F__)
/* R rows and Q vectors of 16 columns known at compile time, so that the accumulators stay in
 * registers. Row r, element k of A is a[r][k] (rows by pointer) or, transposed, At[k * lda + r].
 * The last vector of a row covers the columns of `last` (a mask). */
static inline __attribute__((always_inline)) void block_rows(const int R, const int Q, const int TRANS,
                                                             int K, const float *const *a,
                                                             const float *At, int lda, const float *B,
                                                             int ldb, float *C, int ldc, int beta,
                                                             __mmask16 last)
{
    __m512 acc[GEMM_BLOCK_ROWS][4];
    for (int r = 0; r < R; r++)
        for (int q = 0; q < Q; q++)
            acc[r][q] = beta ? _mm512_maskz_loadu_ps(q == Q - 1 ? last : 0xffff, C + (size_t)r * ldc + 16 * q)
                             : _mm512_setzero_ps();
    for (int k = 0; k < K; k++) {
        const float *b = B + (size_t)k * ldb;
        __m512 bq[4];
        for (int q = 0; q < Q; q++)
            bq[q] = _mm512_loadu_ps(b + 16 * q);
        const float *ak = TRANS ? At + (size_t)k * lda : NULL;
        for (int r = 0; r < R; r++) {
            __m512 x = _mm512_set1_ps(TRANS ? ak[r] : a[r][k]);
            for (int q = 0; q < Q; q++)
                acc[r][q] = _mm512_fmadd_ps(x, bq[q], acc[r][q]);
        }
    }
    for (int r = 0; r < R; r++)
        for (int q = 0; q < Q; q++)
            _mm512_mask_storeu_ps(C + (size_t)r * ldc + 16 * q, q == Q - 1 ? last : 0xffff, acc[r][q]);
}

#define BLOCK_Q(R, T, a, At, lda)                                                                  \
    switch (nq) {                                                                                  \
    case 1: block_rows(R, 1, T, K, a, At, lda, B, ldb, C, ldc, beta, last); break;                 \
    case 2: block_rows(R, 2, T, K, a, At, lda, B, ldb, C, ldc, beta, last); break;                 \
    case 3: block_rows(R, 3, T, K, a, At, lda, B, ldb, C, ldc, beta, last); break;                 \
    default: block_rows(R, 4, T, K, a, At, lda, B, ldb, C, ldc, beta, last); break;                \
    }
#define BLOCK_DISPATCH(T, a, At, lda)                                                              \
    int nq = (cols + 15) / 16;                                                                     \
    __mmask16 last = (__mmask16)(0xffffu >> (16 * nq - cols));                                     \
    switch (rows) {                                                                                \
    case 6: BLOCK_Q(6, T, a, At, lda) break;                                                       \
    case 5: BLOCK_Q(5, T, a, At, lda) break;                                                       \
    case 4: BLOCK_Q(4, T, a, At, lda) break;                                                       \
    case 3: BLOCK_Q(3, T, a, At, lda) break;                                                       \
    case 2: BLOCK_Q(2, T, a, At, lda) break;                                                       \
    default: BLOCK_Q(1, T, a, At, lda) break;                                                      \
    }

void gemm_block(int rows, int cols, int K, const float *const *a, const float *B, int ldb, float *C,
                int ldc, int beta)
{
    BLOCK_DISPATCH(0, a, NULL, 0)
}

void gemm_block_tn(int rows, int cols, int K, const float *A, int lda, const float *B, int ldb,
                   float *C, int ldc, int beta)
{
    BLOCK_DISPATCH(1, NULL, A, lda)
}
#else
static void block_ref(int rows, int cols, int K, const float *const *a, const float *At, int lda,
                      const float *B, int ldb, float *C, int ldc, int beta)
{
    for (int r = 0; r < rows; r++) {
        float *c = C + (size_t)r * ldc;
        for (int j = 0; j < cols; j++) {
            float sum = beta ? c[j] : 0.0f;
            for (int k = 0; k < K; k++)
                sum += (At ? At[(size_t)k * lda + r] : a[r][k]) * B[(size_t)k * ldb + j];
            c[j] = sum;
        }
    }
}

void gemm_block(int rows, int cols, int K, const float *const *a, const float *B, int ldb, float *C,
                int ldc, int beta)
{
    block_ref(rows, cols, K, a, NULL, 0, B, ldb, C, ldc, beta);
}

void gemm_block_tn(int rows, int cols, int K, const float *A, int lda, const float *B, int ldb,
                   float *C, int ldc, int beta)
{
    block_ref(rows, cols, K, NULL, A, lda, B, ldb, C, ldc, beta);
}
#endif

/* ---- products with a wide weight matrix and few rows (dense layers at small local batches) ----
 * OpenBLAS packs the whole weight matrix on every call; with 32-100 rows (DanQ's 48000 x 925 dense
 * layer at its local batch) that costs as much as the arithmetic, and it reached 40-60 GFLOP/s at
 * these shapes here. gemm_block reads the weights where they lie instead: Y = X W takes strips of
 * 64 columns and WIDE_KB rows (32 KB, in L1 and L2) past every block of 6 rows of X; dX = dY W^T
 * streams 6 rows of W at a time against dY^T (in L2) and writes each 6 x 64 tile transposed. Both
 * measured 1.3-1.7x OpenBLAS at these shapes on one core. dW = X^T dY writes dW 6 rows at a time,
 * in order, from 6 columns of X against dY (in L1): no zeroing pass and no read of dW, which
 * OpenBLAS does (beta = 0 is a memset first, then the kernel adds): 1.1-1.2x OpenBLAS. */
enum { WIDE_KB = 128 };

typedef struct {
    int M, N, K, Mp;
    const float *X, *W;
    float *Y;
} WideJob;

/* Y = X W: this part's strips of 64 columns. */
static void wide_nn_part(void *ctx, int part, int parts)
{
    const WideJob *j = ctx;
    int strips = (j->N + 63) / 64, s0 = strips * part / parts, s1 = strips * (part + 1) / parts;
    const float *a[GEMM_BLOCK_ROWS];
    for (int kb = 0; kb < j->K; kb += WIDE_KB) {
        int kc = j->K - kb < WIDE_KB ? j->K - kb : WIDE_KB;
        for (int s = s0; s < s1; s++) {
            int j0 = 64 * s, cols = j->N - j0 < 64 ? j->N - j0 : 64;
            for (int i0 = 0; i0 < j->M; i0 += GEMM_BLOCK_ROWS) {
                int rows = j->M - i0 < GEMM_BLOCK_ROWS ? j->M - i0 : GEMM_BLOCK_ROWS;
                for (int r = 0; r < rows; r++)
                    a[r] = j->X + (size_t)(i0 + r) * j->K + kb;
                gemm_block(rows, cols, kc, a, j->W + (size_t)kb * j->N + j0, j->N,
                           j->Y + (size_t)i0 * j->N + j0, j->N, kb > 0);
            }
        }
    }
}

/* dX = dY W^T: this part's blocks of 6 rows of W (columns of dX); X holds dY^T (N, Mp). */
static void wide_nt_part(void *ctx, int part, int parts)
{
    const WideJob *j = ctx;
    int blocks = (j->K + GEMM_BLOCK_ROWS - 1) / GEMM_BLOCK_ROWS;
    int b0 = blocks * part / parts, b1 = blocks * (part + 1) / parts;
    const float *a[GEMM_BLOCK_ROWS];
    float tile[GEMM_BLOCK_ROWS * 64];
    for (int b = b0; b < b1; b++) {
        int k0 = b * GEMM_BLOCK_ROWS, rows = j->K - k0 < GEMM_BLOCK_ROWS ? j->K - k0 : GEMM_BLOCK_ROWS;
        for (int r = 0; r < rows; r++)
            a[r] = j->W + (size_t)(k0 + r) * j->N;
        for (int i0 = 0; i0 < j->M; i0 += 64) {
            int cols = j->M - i0 < 64 ? j->M - i0 : 64;
            gemm_block(rows, cols, j->N, a, j->X + i0, j->Mp, tile, 64, 0);
            for (int i = 0; i < cols; i++)
                for (int r = 0; r < rows; r++)
                    j->Y[(size_t)(i0 + i) * j->K + k0 + r] = tile[r * 64 + i];
        }
    }
}

/* dW = X^T dY: this part's blocks of 6 rows of dW; X (M, K), dY in Y as (M, Mp) padded rows. */
static void wide_tn_part(void *ctx, int part, int parts)
{
    const WideJob *j = ctx;
    int blocks = (j->K + GEMM_BLOCK_ROWS - 1) / GEMM_BLOCK_ROWS;
    int b0 = blocks * part / parts, b1 = blocks * (part + 1) / parts;
    for (int b = b0; b < b1; b++) {
        int k0 = b * GEMM_BLOCK_ROWS, rows = j->K - k0 < GEMM_BLOCK_ROWS ? j->K - k0 : GEMM_BLOCK_ROWS;
        for (int j0 = 0; j0 < j->N; j0 += 64) {
            int cols = j->N - j0 < 64 ? j->N - j0 : 64;
            gemm_block_tn(rows, cols, j->M, j->X + k0, j->K, j->Y + j0, j->Mp,
                          (float *)j->W + (size_t)k0 * j->N + j0, j->N, 0);
        }
    }
}

int matmul_wide_pays(int M, int N, int K)
{
#if defined(__AVX512F__)
    /* N >= 16: gemm_block reads whole vectors, so the last strip of W's last row reads up to 15
     * floats past it, into the bias that follows W in the flat buffer */
    return M > 0 && M <= 128 && N >= 16 && (size_t)N * K >= ((size_t)1 << 20);
#else
    return 0; /* gemm_block is plain C there */
#endif
}

void matmul_wide(int M, int N, int K, const float *X, const float *W, float *Y)
{
    WideJob job = {.M = M, .N = N, .K = K, .X = X, .W = W, .Y = Y};
    parallel_run(kernels_parts((N + 63) / 64), wide_nn_part, &job);
}

void matmul_wide_t(int M, int N, int K, const float *dY, const float *W, float *dX, float *scratch)
{
    int Mp = (M + 15) / 16 * 16;
    for (int n = 0; n < N; n++) /* dY^T, padded with zeros to whole vectors */
        for (int i = 0; i < Mp; i++)
            scratch[(size_t)n * Mp + i] = i < M ? dY[(size_t)i * N + n] : 0.0f;
    WideJob job = {.M = M, .N = N, .K = K, .Mp = Mp, .X = scratch, .W = W, .Y = dX};
    parallel_run(kernels_parts((K + GEMM_BLOCK_ROWS - 1) / GEMM_BLOCK_ROWS), wide_nt_part, &job);
}

void matmul_wide_tn(int M, int N, int K, const float *X, const float *dY, float *dW, float *scratch)
{
    int Np = (N + 15) / 16 * 16;
    for (int i = 0; i < M; i++) { /* dY with rows padded to whole vectors */
        memcpy(scratch + (size_t)i * Np, dY + (size_t)i * N, sizeof(float) * N);
        memset(scratch + (size_t)i * Np + N, 0, sizeof(float) * (Np - N));
    }
    WideJob job = {.M = M, .N = N, .K = K, .Mp = Np, .X = X, .W = dW, .Y = scratch};
    parallel_run(kernels_parts((K + GEMM_BLOCK_ROWS - 1) / GEMM_BLOCK_ROWS), wide_tn_part, &job);
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
    case ACT_SOFTPLUS: /* max(x, 0) + log1p(exp(-|x|)): no overflow for any x */
        for (size_t i = 0; i < n; i++)
            x[i] = fmaxf(x[i], 0.0f) + log1pf(expf(-fabsf(x[i])));
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
    case ACT_SOFTPLUS: /* softplus' = sigmoid = 1 - exp(-y) */
        for (size_t i = 0; i < n; i++)
            d[i] *= -expm1f(-y[i]);
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
