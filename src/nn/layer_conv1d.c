/* layer_conv1d.c: valid convolution, stride 1: (N, L, C) -> (N, L-k+1, F), then the activation
 * (relu by default). An output row (sample s, step t) is its window, the k*C contiguous floats from
 * x + (s*T + t)*C, times W (k*C, F). With AVX-512 and F >= 16 the forward pass reads the windows
 * where they lie (the direct path: gemm_block takes each row by pointer), in blocks of
 * DIRECT_MB rows, strips of 64 filters and chunks of DIRECT_KB terms, so W's panel stays in L2
 * and the block's outputs in L1; each row's sum runs in one order whatever the batch. Elsewhere,
 * and for the backward pass, im2col copies the windows of CHUNK_ROWS rows at a time into a buffer
 * and sgemm does the products (dW += col^T dy; col = dy W^T, added back into dx by col2im): the
 * buffer is a chunk's, not the batch's (at DanQ-like shapes 2.4 MB instead of hundreds).
 *
 * Narrow inputs (C <= SPARSE_MAX_C: one-hot DNA, C = 4) take another path when AVX-512 is there:
 * each input step is coded as a unit vector (its channel), zero (padding) or dense (N = 0.25
 * everywhere, or any other values), and an output row is its bias plus, for each of the k steps
 * of its window, the one weight row of that step's channel (dense steps: the sum of C weight rows
 * times their values). For one-hot input that is a quarter of the sgemm's multiply-adds and no
 * im2col; the weight gradient is built the same way, row by row, with the relu's mask and the bias
 * gradient applied on the way. Same sums, in another order.
 *
 * On that path the layer also absorbs a maxpool1d that follows it (relu or linear activation, no
 * input gradient needed: DanQ's first layers): the rows of a window are summed in registers, only
 * their maximum and its place are stored (75 rows instead of 975 at DanQ's shape), and backward
 * adds each pooled gradient to the weight rows of the one row it came from. That saves writing
 * the convolution's output, the pooling's pass over it and the scattered gradient it hands back
 * (62 MB each at DanQ's local batch of 50). The maximum of act(z) is act of the maximum of z for
 * these activations, and the first of equal maxima gets the gradient, as in maxpool1d. */
#include <stdlib.h>
#include <string.h>

#include "nn/kernels.h"

/* Inputs at most this wide take the sparse path. */
#ifndef SPARSE_MAX_C
#define SPARSE_MAX_C 8
#endif
enum { STEP_ZERO = -1, STEP_DENSE = -2 }; /* codes of an input step that is not a unit vector */
enum { DIRECT_MB = 48, DIRECT_KB = 512, CHUNK_ROWS = 512 };

typedef struct {
    float *col;   /* (CHUNK_ROWS, k*C): a chunk's windows, then their gradients (sgemm) */
    int8_t *code; /* (max_batch, T): each input step's channel, STEP_ZERO or STEP_DENSE */
    int32_t *at;  /* (max_batch, T_out / pool, F): absorbed pooling, the row of each maximum
                   * within its window */
} Conv1DState;

static int sparse_path(const Layer *l)
{
#if defined(__AVX512F__)
    return l->in.c <= SPARSE_MAX_C;
#else
    return 0;
#endif
}

/* The direct forward pass: AVX-512, a wide input, at least 16 filters (gemm_block reads whole
 * vectors of W's rows: past the last one, into the bias that follows W). */
static int direct_path(const Layer *l)
{
#if defined(__AVX512F__)
    return !sparse_path(l) && l->out.c >= 16;
#else
    return 0;
#endif
}

/* Rows of the windows' buffer: a chunk, or the whole batch when it is smaller. */
static size_t chunk_rows(const Layer *l, int batch)
{
    size_t rows = (size_t)batch * l->out.t;
    return rows < CHUNK_ROWS ? rows : CHUNK_ROWS;
}

static int conv1d_plan(Layer *l, Error *err)
{
    int k = l->spec.width, F = l->spec.filters;
    if (k <= 0 || F <= 0)
        return error_set(err, "conv1d needs positive filters and width, got %d and %d", F, k);
    if (l->spec.act == ACT_SOFTMAX || l->spec.act == ACT_SOFTPLUS || l->spec.act == ACT_AUTO)
        return error_set(err, "conv1d activation must be relu, sigmoid or linear");
    if (l->in.t < k)
        return error_set(err, "conv1d width %d is longer than its input of %d steps", k, l->in.t);
    l->out = (Shape){l->in.t - k + 1, F};
    l->n_params = (size_t)k * l->in.c * F + F;
    return 0;
}

static size_t pooled_steps(const Layer *l) { return l->pooled ? (size_t)(l->out.t / l->pooled) : 0; }

static size_t conv1d_work(const Layer *l, int batch)
{
    size_t col = chunk_rows(l, batch) * l->spec.width * l->in.c;
    if (sparse_path(l)) /* the codes, the places of the maxima, windows only for an input gradient */
        return ((size_t)batch * l->in.t + 3) / 4 + (size_t)batch * pooled_steps(l) * l->out.c +
               (l->need_dx ? col : 0);
    return col;
}

static void conv1d_alloc(Layer *l, int max_batch)
{
    Conv1DState *s = xcalloc(1, sizeof *s);
    int sparse = sparse_path(l);
    if (!sparse || l->need_dx)
        s->col = xalloc_floats(chunk_rows(l, max_batch) * l->spec.width * l->in.c);
    if (sparse)
        s->code = xmalloc((size_t)max_batch * l->in.t, 1);
    if (l->pooled)
        s->at = xmalloc((size_t)max_batch * pooled_steps(l) * l->out.c, sizeof(int32_t));
    l->state = s;
}

/* Absorbs a maxpool1d that follows, on the sparse path when no input gradient is needed, for an
 * activation that commutes with the maximum and keeps its ties (relu, linear). */
static int conv1d_absorb_next(Layer *l, const Layer *next)
{
    if (!sparse_path(l) || l->need_dx || next->spec.kind != LAYER_MAXPOOL1D ||
        (l->spec.act != ACT_RELU && l->spec.act != ACT_LINEAR))
        return 0;
    l->pooled = next->spec.pool;
    return 1;
}

static void conv1d_release(Layer *l)
{
    Conv1DState *s = l->state;
    if (s) {
        free(s->col);
        free(s->code);
        free(s->at);
        free(s);
    }
    l->state = NULL;
}

static void conv1d_init(Layer *l, uint64_t seed)
{
    int k = l->spec.width, C = l->in.c, F = l->out.c;
    size_t nw = (size_t)k * C * F;
    init_glorot_uniform(l->w, nw, k * C, k * F, seed, l->index, 0);
    memset(l->w + nw, 0, sizeof(float) * F);
}

/* The windows of output rows [i0, i0 + m) (row i: sample i / To, step i % To) into col (m, kc). */
static void im2col(const float *x, float *col, int i0, int m, int T, int To, int kc, int C)
{
    for (int i = i0; i < i0 + m; i++)
        memcpy(col + (size_t)(i - i0) * kc, x + ((size_t)(i / To) * T + i % To) * C,
               sizeof(float) * kc);
}

/* The window gradients of rows [i0, i0 + m) added into dx. */
static void col2im_add(const float *col, float *dx, int i0, int m, int T, int To, int kc, int C)
{
    for (int i = i0; i < i0 + m; i++) {
        const float *c = col + (size_t)(i - i0) * kc;
        float *d = dx + ((size_t)(i / To) * T + i % To) * C;
        for (int j = 0; j < kc; j++)
            d[j] += c[j];
    }
}

/* y = act(windows W + b) through im2col and sgemm, a chunk of rows at a time. */
static void chunked_forward(Layer *l, const float *x, float *y, int n, float *col)
{
    int T = l->in.t, C = l->in.c, To = l->out.t, F = l->out.c, kc = l->spec.width * C;
    int rows = n * To, step = (int)chunk_rows(l, n);
    for (int i0 = 0; i0 < rows; i0 += step) {
        int m = rows - i0 < step ? rows - i0 : step;
        im2col(x, col, i0, m, T, To, kc, C);
        gemm(0, 0, m, F, kc, 1.0f, col, kc, l->w, F, 0.0f, y + (size_t)i0 * F, F);
    }
    add_bias_rows(y, l->w + (size_t)kc * F, rows, F);
    activation_forward(l->spec.act, y, (size_t)rows * F, F);
}

/* dW += windows^T dy (with_dw) and dx = dy W^T put back on the windows (dx not NULL), a chunk of
 * rows at a time; dy is the pre-activation gradient. */
static void chunked_backward(Layer *l, const float *x, const float *dy, float *dx, int n,
                             float *col, int with_dw)
{
    int T = l->in.t, C = l->in.c, To = l->out.t, F = l->out.c, kc = l->spec.width * C;
    int rows = n * To, step = (int)chunk_rows(l, n);
    if (dx)
        memset(dx, 0, sizeof(float) * (size_t)n * T * C);
    for (int i0 = 0; i0 < rows; i0 += step) {
        int m = rows - i0 < step ? rows - i0 : step;
        const float *d = dy + (size_t)i0 * F;
        if (with_dw) {
            im2col(x, col, i0, m, T, To, kc, C);
            gemm(1, 0, kc, F, m, 1.0f, col, kc, d, F, 1.0f, l->dw, F);
        }
        if (dx) {
            gemm(0, 1, m, kc, F, 1.0f, d, F, l->w, F, 0.0f, col, kc);
            col2im_add(col, dx, i0, m, T, To, kc, C);
        }
    }
    if (with_dw)
        sum_rows_into(l->dw + (size_t)kc * F, dy, rows, F);
}

#if defined(__AVX512F__)
typedef struct {
    const Layer *l;
    const float *x;
    float *y;
    int n;
} DirectJob;

/* The direct path's blocks of DIRECT_MB output rows of this part: the windows by pointer. */
static void direct_forward_part(void *ctx, int part, int parts)
{
    const DirectJob *j = ctx;
    const Layer *l = j->l;
    const int T = l->in.t, C = l->in.c, To = l->out.t, F = l->out.c, kc = l->spec.width * C;
    const int M = j->n * To, blocks = (M + DIRECT_MB - 1) / DIRECT_MB;
    const float *a[GEMM_BLOCK_ROWS];
    for (int b = blocks * part / parts; b < blocks * (part + 1) / parts; b++) {
        int m0 = b * DIRECT_MB, m1 = m0 + DIRECT_MB < M ? m0 + DIRECT_MB : M;
        for (int j0 = 0; j0 < F; j0 += 64) {
            int cols = F - j0 < 64 ? F - j0 : 64;
            for (int kb = 0; kb < kc; kb += DIRECT_KB) {
                int kn = kc - kb < DIRECT_KB ? kc - kb : DIRECT_KB;
                for (int i0 = m0; i0 < m1; i0 += GEMM_BLOCK_ROWS) {
                    int rows = m1 - i0 < GEMM_BLOCK_ROWS ? m1 - i0 : GEMM_BLOCK_ROWS;
                    for (int r = 0; r < rows; r++)
                        a[r] = j->x + ((size_t)((i0 + r) / To) * T + (i0 + r) % To) * C + kb;
                    gemm_block(rows, cols, kn, a, l->w + (size_t)kb * F + j0, F,
                               j->y + (size_t)i0 * F + j0, F, kb > 0);
                }
            }
        }
        float *y = j->y + (size_t)m0 * F;
        add_bias_rows(y, l->w + (size_t)kc * F, m1 - m0, F);
        activation_forward(l->spec.act, y, (size_t)(m1 - m0) * F, F);
    }
}
#endif

#if defined(__AVX512F__)
/* The codes of samples [n0, n1): a step with one value 1 and the rest 0 is that channel. */
static void code_steps(const float *x, int8_t *code, int n0, int n1, int T, int C)
{
    for (size_t i = (size_t)n0 * T; i < (size_t)n1 * T; i++) {
        const float *v = x + i * C;
        int nonzero = 0, at = 0;
        for (int c = 0; c < C; c++)
            if (v[c] != 0.0f)
                nonzero++, at = c;
        code[i] = nonzero == 0 ? STEP_ZERO : nonzero == 1 && v[at] == 1.0f ? (int8_t)at : STEP_DENSE;
    }
}

/* Masks of the four 16-float vectors of columns [f0, f0 + 64) below F. */
static inline void chunk_masks(int f0, int F, __mmask16 m[4])
{
    for (int j = 0; j < 4; j++) {
        int left = F - f0 - 16 * j;
        m[j] = left >= 16 ? 0xFFFF : left <= 0 ? 0 : (__mmask16)((1u << left) - 1);
    }
}

typedef struct {
    const Layer *l;
    const float *x, *y; /* input; output (backward: for relu's mask) */
    float *out, *dy;    /* forward's output; backward's output gradient */
    int8_t *code;
    int32_t *at; /* absorbed pooling: the row of each maximum */
    int n;
} SparseJob;

/* One output row's pre-activations for the filters [f0, f0 + 64) (m: those below F): the bias
 * plus the weight rows its window's steps pick (a dense step: every channel's row times its
 * value). code and xs start at the window's first step. */
static inline void window_sum(const float *W, const float *b, const int8_t *code, const float *xs,
                              int w, int C, int F, int f0, const __mmask16 m[4], __m512 acc[4])
{
    for (int q = 0; q < 4; q++)
        acc[q] = _mm512_maskz_loadu_ps(m[q], b + f0 + 16 * q);
    for (int k = 0; k < w; k++) {
        int c = code[k];
        if (c >= 0) {
            const float *row = W + ((size_t)k * C + c) * F + f0;
            for (int q = 0; q < 4; q++)
                acc[q] = _mm512_add_ps(acc[q], _mm512_maskz_loadu_ps(m[q], row + 16 * q));
        } else if (c == STEP_DENSE) {
            for (int cc = 0; cc < C; cc++) {
                const float *row = W + ((size_t)k * C + cc) * F + f0;
                __m512 v = _mm512_set1_ps(xs[(size_t)k * C + cc]);
                for (int q = 0; q < 4; q++)
                    acc[q] = _mm512_fmadd_ps(v, _mm512_maskz_loadu_ps(m[q], row + 16 * q), acc[q]);
            }
        }
    }
}

/* y rows of samples [n0, n1): bias + the weight rows the window's steps pick, then relu. */
static void sparse_forward_part(void *ctx, int part, int parts)
{
    const SparseJob *j = ctx;
    const Layer *l = j->l;
    int T = l->in.t, C = l->in.c, To = l->out.t, F = l->out.c, w = l->spec.width;
    int n0 = j->n * part / parts, n1 = j->n * (part + 1) / parts, relu = l->spec.act == ACT_RELU;
    const float *W = l->w, *b = l->w + (size_t)w * C * F;
    code_steps(j->x, j->code, n0, n1, T, C);
    for (int n = n0; n < n1; n++)
        for (int t = 0; t < To; t++) {
            size_t at = (size_t)n * T + t;
            float *yr = j->out + ((size_t)n * To + t) * F;
            for (int f0 = 0; f0 < F; f0 += 64) {
                __mmask16 m[4];
                __m512 acc[4];
                chunk_masks(f0, F, m);
                window_sum(W, b, j->code + at, j->x + at * C, w, C, F, f0, m, acc);
                for (int q = 0; q < 4; q++)
                    _mm512_mask_storeu_ps(yr + f0 + 16 * q, m[q],
                                          relu ? _mm512_max_ps(acc[q], _mm512_setzero_ps()) : acc[q]);
            }
        }
    if (!relu)
        activation_forward(l->spec.act, j->out + (size_t)n0 * To * F, (size_t)(n1 - n0) * To * F, F);
}

/* Absorbed pooling, samples [n0, n1): each window of `pooled` rows summed in registers, its
 * maximum (then the activation) into y and the row it came from into `at`. */
static void pooled_forward_part(void *ctx, int part, int parts)
{
    const SparseJob *j = ctx;
    const Layer *l = j->l;
    int T = l->in.t, C = l->in.c, F = l->out.c, w = l->spec.width, P = l->pooled;
    int Tp = (int)pooled_steps(l), n0 = j->n * part / parts, n1 = j->n * (part + 1) / parts;
    int relu = l->spec.act == ACT_RELU;
    const float *W = l->w, *b = l->w + (size_t)w * C * F;
    code_steps(j->x, j->code, n0, n1, T, C);
    for (int n = n0; n < n1; n++)
        for (int t = 0; t < Tp; t++) {
            size_t first = (size_t)n * T + (size_t)t * P, o = ((size_t)n * Tp + t) * F;
            for (int f0 = 0; f0 < F; f0 += 64) {
                __mmask16 m[4];
                __m512 acc[4], best[4];
                __m512i where[4];
                chunk_masks(f0, F, m);
                window_sum(W, b, j->code + first, j->x + first * C, w, C, F, f0, m, best);
                for (int q = 0; q < 4; q++)
                    where[q] = _mm512_setzero_si512();
                for (int r = 1; r < P; r++) {
                    window_sum(W, b, j->code + first + r, j->x + (first + r) * C, w, C, F, f0, m, acc);
                    for (int q = 0; q < 4; q++) {
                        __mmask16 more = _mm512_cmp_ps_mask(acc[q], best[q], _CMP_GT_OQ);
                        best[q] = _mm512_mask_mov_ps(best[q], more, acc[q]);
                        where[q] = _mm512_mask_mov_epi32(where[q], more, _mm512_set1_epi32(r));
                    }
                }
                for (int q = 0; q < 4; q++) {
                    _mm512_mask_storeu_ps(j->out + o + f0 + 16 * q, m[q],
                                          relu ? _mm512_max_ps(best[q], _mm512_setzero_ps()) : best[q]);
                    _mm512_mask_storeu_epi32(j->at + o + f0 + 16 * q, m[q], where[q]);
                }
            }
        }
}

/* dW rows of window steps [k0, k1) += g for the 16 filters at f (m: those below F): each step's
 * channel row (a dense step: every channel's row times its value). code and xs start at the
 * window's first step. */
static inline void add_to_picked(float *dW, const int8_t *code, const float *xs, int k0, int k1,
                                 int C, int F, int f, __mmask16 m, __m512 g)
{
    for (int k = k0; k < k1; k++) {
        int c = code[k];
        if (c >= 0) {
            float *row = dW + ((size_t)k * C + c) * F + f;
            _mm512_mask_storeu_ps(row, m, _mm512_add_ps(_mm512_maskz_loadu_ps(m, row), g));
        } else if (c == STEP_DENSE) {
            for (int cc = 0; cc < C; cc++) {
                float *row = dW + ((size_t)k * C + cc) * F + f;
                __m512 v = _mm512_set1_ps(xs[(size_t)k * C + cc]);
                _mm512_mask_storeu_ps(row, m, _mm512_fmadd_ps(v, g, _mm512_maskz_loadu_ps(m, row)));
            }
        }
    }
}

/* The gradient of 16 outputs at f (m: those below F), relu's mask applied (0 where y is 0). */
static inline __m512 output_gradient(const float *dy, const float *y, int f, __mmask16 m, int relu)
{
    __m512 g = _mm512_maskz_loadu_ps(m, dy + f);
    if (relu)
        g = _mm512_maskz_mov_ps(_mm512_cmp_ps_mask(_mm512_maskz_loadu_ps(m, y + f), _mm512_setzero_ps(),
                                                   _CMP_GT_OQ),
                                g);
    return g;
}

/* Absorbed pooling, this part's vectors of 16 filters (their dW columns and bias): each pooled
 * gradient, relu's mask applied, added to the weight rows of the row its maximum came from, one
 * pass per row of the window that holds some of the vector's maxima. */
static void pooled_backward_part(void *ctx, int part, int parts)
{
    const SparseJob *j = ctx;
    const Layer *l = j->l;
    int T = l->in.t, C = l->in.c, F = l->out.c, w = l->spec.width, P = l->pooled;
    int Tp = (int)pooled_steps(l), vectors = (F + 15) / 16, relu = l->spec.act == ACT_RELU;
    int f0 = 16 * (vectors * part / parts), f1 = 16 * (vectors * (part + 1) / parts);
    float *dW = l->dw, *db = l->dw + (size_t)w * C * F;
    for (int n = 0; n < j->n; n++)
        for (int t = 0; t < Tp; t++) {
            size_t first = (size_t)n * T + (size_t)t * P, o = ((size_t)n * Tp + t) * F;
            for (int f = f0; f < f1; f += 16) {
                __mmask16 m = F - f >= 16 ? 0xFFFF : (__mmask16)((1u << (F - f)) - 1);
                __m512 g = output_gradient(j->dy + o, j->y + o, f, m, relu);
                _mm512_mask_storeu_ps(db + f, m, _mm512_add_ps(_mm512_maskz_loadu_ps(m, db + f), g));
                __mmask16 live = _mm512_mask_cmp_ps_mask(m, g, _mm512_setzero_ps(), _CMP_NEQ_UQ);
                __m512i where = _mm512_maskz_loadu_epi32(m, j->at + o + f);
                while (live) { /* the rows of the window that hold the maxima of live filters */
                    int r = _mm512_mask_reduce_min_epi32(live, where);
                    __mmask16 sel = _mm512_mask_cmpeq_epi32_mask(live, where, _mm512_set1_epi32(r));
                    add_to_picked(dW, j->code + first + r, j->x + (first + r) * C, 0, w, C, F, f, m,
                                  _mm512_maskz_mov_ps(sel, g));
                    live &= (__mmask16)~sel;
                }
            }
        }
}

/* dW rows of window steps [k0, k1) (and, for part 0, the bias): each output row's gradient, the
 * relu's mask applied, added to the weight rows its window's steps picked. */
static void sparse_backward_part(void *ctx, int part, int parts)
{
    const SparseJob *j = ctx;
    const Layer *l = j->l;
    int T = l->in.t, C = l->in.c, To = l->out.t, F = l->out.c, w = l->spec.width;
    int k0 = w * part / parts, k1 = w * (part + 1) / parts, relu = l->spec.act == ACT_RELU;
    float *dW = l->dw, *db = l->dw + (size_t)w * C * F;
    for (int n = 0; n < j->n; n++)
        for (int t = 0; t < To; t++) {
            size_t at = (size_t)n * T + t, o = ((size_t)n * To + t) * F;
            for (int f = 0; f < F; f += 16) {
                __mmask16 m = F - f >= 16 ? 0xFFFF : (__mmask16)((1u << (F - f)) - 1);
                __m512 g = output_gradient(j->dy + o, j->y + o, f, m, relu);
                if (part == 0)
                    _mm512_mask_storeu_ps(db + f, m, _mm512_add_ps(_mm512_maskz_loadu_ps(m, db + f), g));
                add_to_picked(dW, j->code + at, j->x + at * C, k0, k1, C, F, f, m, g);
            }
        }
}
#endif

static void conv1d_forward(Layer *l, const Pass *p, const float *x, float *y)
{
    Conv1DState *s = l->state;
#if defined(__AVX512F__)
    if (sparse_path(l)) {
        SparseJob job = {.l = l, .x = x, .out = y, .code = s->code, .at = s->at, .n = p->n};
        parallel_run(kernels_parts(p->n), l->pooled ? pooled_forward_part : sparse_forward_part, &job);
        return;
    }
    if (direct_path(l)) {
        DirectJob job = {.l = l, .x = x, .y = y, .n = p->n};
        int blocks = (p->n * l->out.t + DIRECT_MB - 1) / DIRECT_MB;
        parallel_run(kernels_parts(blocks), direct_forward_part, &job);
        return;
    }
#endif
    chunked_forward(l, x, y, p->n, s->col);
}

static void conv1d_backward(Layer *l, const Pass *p, const float *x, const float *y, float *dy,
                            float *dx)
{
    int rows = p->n * l->out.t, F = l->out.c;
    Conv1DState *s = l->state;
#if defined(__AVX512F__)
    if (sparse_path(l)) {
        if (l->spec.act != ACT_RELU && !l->pooled) /* relu's mask is applied inside */
            activation_backward(l->spec.act, y, dy, (size_t)rows * F);
        SparseJob job = {.l = l, .x = x, .y = y, .dy = dy, .code = s->code, .at = s->at, .n = p->n};
        if (l->pooled) /* over vectors of 16 filters; unpooled, over the window's steps */
            parallel_run(kernels_parts((F + 15) / 16), pooled_backward_part, &job);
        else
            parallel_run(kernels_parts(l->spec.width), sparse_backward_part, &job);
        if (dx) { /* the input gradient through sgemm, as below */
            if (l->spec.act == ACT_RELU)
                activation_backward(l->spec.act, y, dy, (size_t)rows * F);
            chunked_backward(l, x, dy, dx, p->n, s->col, 0);
        }
        return;
    }
#endif
    activation_backward(l->spec.act, y, dy, (size_t)rows * F);
    chunked_backward(l, x, dy, dx, p->n, s->col, 1);
}

const LayerOps conv1d_ops = {
    .kind = "conv1d",
    .plan = conv1d_plan,
    .init = conv1d_init,
    .alloc = conv1d_alloc,
    .forward = conv1d_forward,
    .backward = conv1d_backward,
    .release = conv1d_release,
    .work_floats = conv1d_work,
    .absorb_next = conv1d_absorb_next,
};
