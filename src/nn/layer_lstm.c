/* layer_lstm.c: LSTM with Keras semantics: gates i, f, c, o; one bias per gate; sigmoid and tanh; zero
 * initial state; uni- or bidirectional (outputs concatenated, forward first); the whole sequence or
 * the last state. Masked (padded) steps carry h and c through unchanged, as Keras does with
 * mask_zero, so padding before or after a sequence does not change its result.
 *
 * Inside, the gate columns are packed in panels of 16 units: a panel holds the i, f, c, o columns of
 * its 16 units side by side (64 floats), and units are padded to Hp = 16 * ceil(H / 16) with zero
 * weights. One 6 x 64 block of a step's product (gemm_block) then holds all four gates of 16
 * units of 6 samples, and the cell update runs on it while it is still in cache.
 * Per direction, a step computes [x_t, h_t-1, 1] (N, I+H+1) x [W; U; b] packed (I+H+1, 4Hp) in such
 * blocks; for wide inputs (I > LSTM_FUSE_MAX_INPUT, DanQ's 320 filters) the input part is one
 * sgemm over all steps first instead, where BLAS is at its fastest. Backward through time, a step:
 * the gate gradients dz, then dh_t-1 = dz (N, 4Hp) x U^T in the same blocks and, for narrow
 * inputs, while dz is in cache, [dW; dU; db] += [x_t, h_t-1, 1]^T dz and dx_t = dz W^T (wide
 * inputs: two sgemm over all N*T rows after the loop).
 * Run-time buffers are time-major and indexed by step (the backward direction walks positions
 * T-1 .. 0), so that a step's rows for all samples are contiguous; x, y and their gradients are
 * batch-major, copied in and out once per pass. Samples are independent through the recurrence, so
 * kernels_threads() threads each run every step for their own share of the batch, with no
 * synchronisation inside the loop (parallel_run). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "nn/kernels.h"

/* Inputs at most this wide go through the step kernel with h; wider ones (DanQ's 320 filters) are
 * projected for all steps by one large sgemm first, where BLAS is at its fastest. */
#define LSTM_FUSE_MAX_INPUT 128
#define PANEL 16 /* units in a panel: 4 gates x 16 = 64 columns */
#define BACK_KB 128 /* terms of dz U^T a pass over the rows takes: 128 x 64 floats of wut */

typedef struct {
    float *xh;   /* (T+1, N, I+H+1) by step: x, h before the step (0 at the first), 1; slot T: final h */
    float *act;  /* (T, N, 4Hp) by step, packed: i f g o after their nonlinearity; gate gradients
                  * after backward */
    float *cell; /* (T, N, Hp) by step: c after the step */
    float *wcat; /* (I+H+1, 4Hp) packed [W; U; b], from the last forward pass */
    float *wut;  /* (4Hp, Hq + Iq) packed [U^T, W^T], Hq, Iq = Hp, I rounded up to 64 (W^T only
                  * for narrow inputs) */
} LstmDirection;

typedef struct {
    LstmDirection dir[2];
    int Hp, Hq, Iq, Gp, K; /* padded units, U^T and W^T widths in wut, packed gate columns, I+H+1 */
    int fused;             /* narrow input: x W inside the step kernel, dz W^T by blocks */
    float *dyt;            /* (T, N, H) by step: the output gradient of one direction */
    float *dh;             /* (N, Hp): gradient flowing to the previous step */
    float *dc;             /* (N, Hp) */
    float *dwcat;          /* (parts, I+H+1, 4Hp): packed parameter gradients [dW; dU; db] of one
                            * direction, one block a thread (part 0 gets their sum) */
    int parts;             /* threads the buffers are for */
    float *zeros;          /* (N, Hp) */
    int *active;           /* (N): at each step, the samples whose step is real (each thread its
                            * own range of it); padded steps skip the products */
    float *gather_x;       /* (N, K), (N, Gp): the real steps' rows of xh and the gate gradients, */
    float *gather_z;       /* gathered for the parameter gradients (narrow inputs) */
    float *tile;           /* (N, 64): 64 columns of dh_prev or dx_t (each thread its rows) */
} LstmState;

static int directions(const Layer *l) { return l->spec.bidirectional ? 2 : 1; }

static size_t direction_params(const Layer *l)
{
    size_t H = (size_t)l->spec.units, I = (size_t)l->in.c;
    return I * 4 * H + H * 4 * H + 4 * H;
}

static int lstm_plan(Layer *l, Error *err)
{
    if (l->spec.units <= 0)
        return error_set(err, "lstm units must be positive, got %d", l->spec.units);
    if (l->in.t < 1)
        return error_set(err, "lstm needs a sequence input");
    int DH = directions(l) * l->spec.units;
    l->out = l->spec.return_sequences ? (Shape){l->in.t, DH} : (Shape){1, DH};
    l->n_params = directions(l) * direction_params(l);
    return 0;
}

static int padded_units(int H) { return (H + PANEL - 1) / PANEL * PANEL; }
static int fused_input(const Layer *l) { return l->in.c <= LSTM_FUSE_MAX_INPUT; }

static size_t lstm_work(const Layer *l, int batch)
{
    size_t N = (size_t)batch, T = (size_t)l->in.t, H = (size_t)l->spec.units;
    size_t Hp = (size_t)padded_units(l->spec.units), Hq = (Hp + 63) / 64 * 64, K = l->in.c + H + 1;
    size_t Iq = fused_input(l) ? ((size_t)l->in.c + 63) / 64 * 64 : 0, Gp = 4 * Hp;
    size_t per_dir = (T + 1) * N * K + T * N * (Gp + Hp) + K * Gp + Gp * (Hq + Iq);
    size_t dyt = l->spec.return_sequences ? T * N * H : 0;
    size_t parts = fused_input(l) ? (size_t)kernels_threads() : 1;
    return (size_t)directions(l) * per_dir + dyt + 3 * N * Hp + parts * K * Gp + N + N * 64 +
           (fused_input(l) ? N * (K + Gp) : 0);
}

static void lstm_alloc(Layer *l, int max_batch)
{
    LstmState *s = xcalloc(1, sizeof *s);
    size_t N = (size_t)max_batch, T = (size_t)l->in.t, H = (size_t)l->spec.units;
    s->Hp = padded_units(l->spec.units);
    s->Hq = (s->Hp + 63) / 64 * 64;
    s->fused = fused_input(l);
    s->Iq = s->fused ? (l->in.c + 63) / 64 * 64 : 0;
    s->Gp = 4 * s->Hp;
    s->K = l->in.c + (int)H + 1;
    for (int d = 0; d < directions(l); d++) {
        LstmDirection *st = &s->dir[d];
        st->xh = xalloc_floats((T + 1) * N * s->K);
        st->act = xalloc_floats(T * N * s->Gp);
        st->cell = xalloc_floats(T * N * s->Hp);
        st->wcat = xalloc_floats((size_t)s->K * s->Gp); /* padded columns stay zero */
        st->wut = xalloc_floats((size_t)s->Gp * (s->Hq + s->Iq));
    }
    if (l->spec.return_sequences)
        s->dyt = xalloc_floats(T * N * H);
    s->dh = xalloc_floats(N * s->Hp);
    s->dc = xalloc_floats(N * s->Hp);
    s->zeros = xalloc_floats(N * s->Hp);
    s->active = xmalloc(N > 0 ? N : 1, sizeof(int));
    s->tile = xalloc_floats((N > 0 ? N : 1) * 64);
    if (s->fused) {
        s->gather_x = xalloc_floats(N * s->K);
        s->gather_z = xalloc_floats(N * s->Gp);
    }
    s->parts = s->fused ? kernels_threads() : 1;
    parallel_start(kernels_threads());
    s->dwcat = xalloc_floats((size_t)s->parts * s->K * s->Gp);
    l->state = s;
}

static void lstm_release(Layer *l)
{
    LstmState *s = l->state;
    if (!s)
        return;
    for (int d = 0; d < 2; d++) {
        LstmDirection *st = &s->dir[d];
        free(st->xh);
        free(st->act);
        free(st->cell);
        free(st->wcat);
        free(st->wut);
    }
    free(s->dyt);
    free(s->dh);
    free(s->dc);
    free(s->dwcat);
    free(s->zeros);
    free(s->active);
    free(s->tile);
    free(s->gather_x);
    free(s->gather_z);
    free(s);
    l->state = NULL;
}

/* Views of one direction's weights (or gradients) in a flat block. */
typedef struct {
    float *W, *U, *b; /* (I, 4H), (H, 4H), (4H) */
} LstmWeights;

static LstmWeights weights_of(const Layer *l, float *base, int d)
{
    size_t H = (size_t)l->spec.units, I = (size_t)l->in.c;
    float *W = base + d * direction_params(l);
    return (LstmWeights){W, W + I * 4 * H, W + I * 4 * H + H * 4 * H};
}

static void lstm_init(Layer *l, uint64_t seed)
{
    int H = l->spec.units, I = l->in.c;
    for (int d = 0; d < directions(l); d++) {
        LstmWeights w = weights_of(l, l->w, d);
        init_glorot_uniform(w.W, (size_t)I * 4 * H, I, 4 * H, seed, l->index, 3 * d);
        init_orthogonal(w.U, H, 4 * H, seed, l->index, 3 * d + 1);
        for (int j = 0; j < 4 * H; j++)
            w.b[j] = (l->spec.unit_forget_bias && j >= H && j < 2 * H) ? 1.0f : 0.0f;
    }
}

/* Packed column of gate q (0..3 = i f c o), unit j. */
static inline int packed(int q, int j) { return (j / PANEL) * 4 * PANEL + q * PANEL + j % PANEL; }
/* Units of H in the panel that starts at unit u0. */
static inline int panel_units(int H, int u0) { return H - u0 < PANEL ? H - u0 : PANEL; }

/* wcat = [W; U; b] and wut = [U^T, W^T] in the packed layout; padded units keep their zeros. */
static void pack_weights(const Layer *l, LstmState *s, int d)
{
    LstmDirection *st = &s->dir[d];
    LstmWeights w = weights_of(l, l->w, d);
    int H = l->spec.units, I = l->in.c, G = 4 * H, Gp = s->Gp, ldw = s->Hq + s->Iq;
    for (int k = 0; k < s->K; k++) {
        const float *src = k < I ? w.W + (size_t)k * G : k < I + H ? w.U + (size_t)(k - I) * G : w.b;
        float *dst = st->wcat + (size_t)k * Gp;
        for (int u0 = 0; u0 < H; u0 += PANEL) /* a panel's 16 units of each gate: runs of 16 */
            for (int q = 0; q < 4; q++)
                memcpy(dst + packed(q, u0), src + q * H + u0, sizeof(float) * panel_units(H, u0));
    }
    for (int q = 0; q < 4; q++)
        for (int j = 0; j < H; j++) {
            float *row = st->wut + (size_t)packed(q, j) * ldw;
            for (int u = 0; u < H; u++)
                row[u] = w.U[(size_t)u * G + q * H + j];
            for (int i = 0; s->fused && i < I; i++)
                row[s->Hq + i] = w.W[(size_t)i * G + q * H + j];
        }
}

static inline int step_real(const Layer *l, const Pass *p, int n, int t)
{
    return !l->masked || !p->mask || p->mask[(size_t)n * l->in.t + t];
}

/* The cell update of one sample for the 16 units of one panel. The pre-activations are z (64: i f
 * g o), + act when it holds the input part (pre); act then gets the gates after their
 * nonlinearity, c the new cell state; h (16) is the new output. */
static inline void cell_forward(const float *z, int pre, float *act, const float *cprev, float *c,
                                float *h)
{
#if defined(__AVX512F__)
    __m512 zz[4];
    for (int q = 0; q < 4; q++) {
        zz[q] = _mm512_loadu_ps(z + q * PANEL);
        if (pre)
            zz[q] = _mm512_add_ps(zz[q], _mm512_loadu_ps(act + q * PANEL));
    }
    __m512 i = sigmoid16(zz[0]), f = sigmoid16(zz[1]), g = tanh16(zz[2]), o = sigmoid16(zz[3]);
    _mm512_storeu_ps(act, i);
    _mm512_storeu_ps(act + PANEL, f);
    _mm512_storeu_ps(act + 2 * PANEL, g);
    _mm512_storeu_ps(act + 3 * PANEL, o);
    __m512 cn = _mm512_fmadd_ps(f, _mm512_loadu_ps(cprev), _mm512_mul_ps(i, g));
    _mm512_storeu_ps(c, cn);
    _mm512_storeu_ps(h, _mm512_mul_ps(o, tanh16(cn)));
#else
    float zz[4 * PANEL];
    for (int j = 0; j < 4 * PANEL; j++)
        zz[j] = z[j] + (pre ? act[j] : 0.0f);
    for (int j = 0; j < PANEL; j++) {
        float i = sigmoidf(zz[j]), f = sigmoidf(zz[PANEL + j]);
        float g = tanh_fast(zz[2 * PANEL + j]), o = sigmoidf(zz[3 * PANEL + j]);
        act[j] = i;
        act[PANEL + j] = f;
        act[2 * PANEL + j] = g;
        act[3 * PANEL + j] = o;
        c[j] = f * cprev[j] + i * g;
        h[j] = o * tanh_fast(c[j]);
    }
#endif
}

/* dst[0..n) = src[0..n), n <= 16 */
static inline void copy16(float *dst, const float *src, int n)
{
#if defined(__AVX512F__)
    __mmask16 m = (__mmask16)((1u << n) - 1);
    _mm512_mask_storeu_ps(dst, m, _mm512_maskz_loadu_ps(m, src));
#else
    memcpy(dst, src, sizeof(float) * n);
#endif
}

static inline int position(int d, int T, int step) { return d == 0 ? step : T - 1 - step; }

typedef enum { TO_STEPS, FROM_STEPS, ADD_FROM_STEPS } Transfer;

/* Moves w floats a row between the batch-major rows bm[(n*T + t) * ldb] and the step-major rows
 * sm[(step*N + n) * lds] (t = position(d, T, step)) of samples n0 .. n1-1, in tiles of samples so
 * that both sides stream. */
static void transfer_rows(Transfer how, float *bm, int ldb, float *sm, int lds, int N, int T, int d,
                          int w, int n0, int n1)
{
    enum { TILE = 16 };
    for (int a = n0; a < n1; a += TILE) {
        int b = n1 - a < TILE ? n1 : a + TILE;
        for (int step = 0; step < T; step++) {
            int t = position(d, T, step);
            for (int n = a; n < b; n++) {
                float *x = bm + ((size_t)n * T + t) * ldb, *st = sm + ((size_t)step * N + n) * lds;
                if (how == TO_STEPS)
                    for (int j = 0; j < w; j++)
                        st[j] = x[j];
                else if (how == FROM_STEPS)
                    for (int j = 0; j < w; j++)
                        x[j] = st[j];
                else
                    for (int j = 0; j < w; j++)
                        x[j] += st[j];
            }
        }
    }
}

/* One direction's pass, split over threads by samples: samples are independent through the
 * recurrence, so each thread runs every step for its own rows. */
typedef struct {
    Layer *l;
    const Pass *p;
    int d, phase;
    const float *x;
    float *y, *dy, *dx;
} DirectionJob;

static void part_range(int N, int part, int parts, int *n0, int *n1)
{
    *n0 = (int)((int64_t)N * part / parts);
    *n1 = (int)((int64_t)N * (part + 1) / parts);
}

/* A region asked into L2 a slice at a time, spread over the blocks of a step: the next step's
 * input parts (wide inputs), which the step reads 256 bytes a row, 5 KB apart, where the hardware
 * prefetcher does not follow (DanQ's forward pass: 3-4% faster). */
typedef struct {
    const char *at, *end;
    size_t lines; /* cache lines a block */
} Ahead;

static Ahead ahead_start(const float *region, size_t floats, int blocks)
{
    size_t lines = (floats * sizeof(float) + 63) / 64;
    return (Ahead){(const char *)region, (const char *)(region + floats),
                   blocks > 0 ? (lines + (size_t)blocks - 1) / (size_t)blocks : lines};
}

static inline void ahead_next(Ahead *a)
{
    for (size_t i = 0; i < a->lines && a->at < a->end; i++, a->at += 64)
        __builtin_prefetch(a->at, 0, 2);
}

/* Phase 0: this part's x into the step-major rows of xh, with the constant 1 that multiplies the
 * bias row of wcat, and h = 0 before the first step. Phase 1: the recurrence, then the outputs. */
static void forward_part(void *ctx, int part, int parts)
{
    DirectionJob *j = ctx;
    Layer *l = j->l;
    const Pass *p = j->p;
    int d = j->d;
    LstmState *s = l->state;
    LstmDirection *st = &s->dir[d];
    int N = p->n, T = l->in.t, I = l->in.c, H = l->spec.units, Hp = s->Hp, Gp = s->Gp, K = s->K;
    int fused = s->fused, n_lo, n_hi;
    size_t NK = (size_t)N * K;
    part_range(N, part, parts, &n_lo, &n_hi);
    if (j->phase == 0) {
        transfer_rows(TO_STEPS, (float *)j->x, I, st->xh, K, N, T, d, I, n_lo, n_hi);
        for (int step = 0; step < T; step++)
            for (int n = n_lo; n < n_hi; n++)
                st->xh[step * NK + (size_t)n * K + K - 1] = 1.0f;
        for (int n = n_lo; n < n_hi; n++)
            memset(st->xh + (size_t)n * K + I, 0, sizeof(float) * H);
        return;
    }
    const float *B = fused ? st->wcat : st->wcat + (size_t)I * Gp;
    int kk = fused ? K : H + 1, off = fused ? 0 : I, *active = s->active + n_lo;
    float out[GEMM_BLOCK_ROWS * 64];
    const float *a[GEMM_BLOCK_ROWS];
    for (int step = 0; step < T; step++) {
        int t = position(d, T, step);
        const float *xs = st->xh + step * NK; /* this step's rows */
        float *xn = st->xh + (step + 1) * NK;  /* the next step's rows: h goes there */
        float *acts = st->act + (size_t)step * N * Gp, *cs = st->cell + (size_t)step * N * Hp;
        const float *cps = step > 0 ? cs - (size_t)N * Hp : s->zeros;
        int na = 0;
        for (int n = n_lo; n < n_hi; n++) {
            if (step_real(l, p, n, t)) {
                active[na++] = n;
            } else { /* padding: carry the state */
                memcpy(cs + (size_t)n * Hp, cps + (size_t)n * Hp, sizeof(float) * Hp);
                memcpy(xn + (size_t)n * K + I, xs + (size_t)n * K + I, sizeof(float) * H);
            }
        }
        Ahead ahead = {0}; /* the next step's input parts (this part's rows) into L2 meanwhile */
        if (!fused && step + 1 < T)
            ahead = ahead_start(acts + (size_t)(N + n_lo) * Gp, (size_t)(n_hi - n_lo) * Gp,
                                (Hp / PANEL) * ((na + GEMM_BLOCK_ROWS - 1) / GEMM_BLOCK_ROWS));
        for (int pp = 0; pp < Hp / PANEL; pp++) {
            int u0 = pp * PANEL, units = panel_units(H, u0);
            for (int i0 = 0; i0 < na; i0 += GEMM_BLOCK_ROWS) {
                int rows = na - i0 < GEMM_BLOCK_ROWS ? na - i0 : GEMM_BLOCK_ROWS;
                for (int r = 0; r < rows; r++)
                    a[r] = xs + (size_t)active[i0 + r] * K + off;
                ahead_next(&ahead);
                gemm_block(rows, 64, kk, a, B + (size_t)pp * 64, Gp, out, 64, 0);
                for (int r = 0; r < rows; r++) {
                    int n = active[i0 + r];
                    float h16[PANEL];
                    cell_forward(out + r * 64, !fused, acts + (size_t)n * Gp + pp * 64,
                                 cps + (size_t)n * Hp + u0, cs + (size_t)n * Hp + u0, h16);
                    copy16(xn + (size_t)n * K + I + u0, h16, units);
                }
            }
        }
    }
    /* the outputs: every step's h, or the last one */
    int DH = directions(l) * H;
    if (l->spec.return_sequences)
        transfer_rows(FROM_STEPS, j->y + d * H, DH, st->xh + NK + I, K, N, T, d, H, n_lo, n_hi);
    else
        for (int n = n_lo; n < n_hi; n++)
            memcpy(j->y + (size_t)n * DH + d * H, st->xh + T * NK + (size_t)n * K + I,
                   sizeof(float) * H);
}

static void direction_forward(Layer *l, const Pass *p, int d, const float *x, float *y)
{
    LstmState *s = l->state;
    LstmDirection *st = &s->dir[d];
    int N = p->n, T = l->in.t, I = l->in.c, K = s->K, Gp = s->Gp;
    int parts = kernels_parts(N);
    DirectionJob job = {.l = l, .p = p, .d = d, .x = x, .y = y};
    pack_weights(l, s, d);
    parallel_run(parts, forward_part, &job);
    if (!s->fused) /* the input part of every step at once */
        gemm(0, 0, N * T, Gp, I, 1.0f, st->xh, K, st->wcat, Gp, 0.0f, st->act, Gp);
    job.phase = 1;
    parallel_run(parts, forward_part, &job);
}

static void lstm_forward(Layer *l, const Pass *p, const float *x, float *y)
{
    for (int d = 0; d < directions(l); d++)
        direction_forward(l, p, d, x, y);
}

/* Gate gradients of one sample at one step (Hp units), written over its packed gates; updates dc
 * in place. */
static void cell_backward(float *gates, const float *c, const float *cprev, const float *dh,
                          float *dc, int Hp)
{
    for (int u0 = 0; u0 < Hp; u0 += PANEL) {
        float *gi = gates + 4 * u0, *gf = gi + PANEL, *gg = gi + 2 * PANEL, *go = gi + 3 * PANEL;
#if defined(__AVX512F__)
        __m512 one = _mm512_set1_ps(1.0f);
        __m512 i = _mm512_loadu_ps(gi), f = _mm512_loadu_ps(gf), g = _mm512_loadu_ps(gg);
        __m512 o = _mm512_loadu_ps(go), dhv = _mm512_loadu_ps(dh + u0);
        __m512 tc = tanh16(_mm512_loadu_ps(c + u0));
        __m512 dcj = _mm512_add_ps(_mm512_loadu_ps(dc + u0),
                                   _mm512_mul_ps(_mm512_mul_ps(dhv, o), _mm512_fnmadd_ps(tc, tc, one)));
        __m512 di = _mm512_mul_ps(_mm512_mul_ps(dcj, g), _mm512_mul_ps(i, _mm512_sub_ps(one, i)));
        __m512 df = _mm512_mul_ps(_mm512_mul_ps(dcj, _mm512_loadu_ps(cprev + u0)),
                                  _mm512_mul_ps(f, _mm512_sub_ps(one, f)));
        __m512 dg = _mm512_mul_ps(_mm512_mul_ps(dcj, i), _mm512_fnmadd_ps(g, g, one));
        __m512 dout = _mm512_mul_ps(_mm512_mul_ps(dhv, tc), _mm512_mul_ps(o, _mm512_sub_ps(one, o)));
        _mm512_storeu_ps(dc + u0, _mm512_mul_ps(dcj, f));
        _mm512_storeu_ps(gi, di);
        _mm512_storeu_ps(gf, df);
        _mm512_storeu_ps(gg, dg);
        _mm512_storeu_ps(go, dout);
#else
        const float *cu = c + u0, *cpu = cprev + u0, *dhu = dh + u0;
        float *dcu = dc + u0;
        for (int j = 0; j < PANEL; j++) {
            float tc = tanh_fast(cu[j]);
            float dcj = dcu[j] + dhu[j] * go[j] * (1.0f - tc * tc);
            float di = dcj * gg[j] * gi[j] * (1.0f - gi[j]);
            float df = dcj * cpu[j] * gf[j] * (1.0f - gf[j]);
            float dg = dcj * gi[j] * (1.0f - gg[j] * gg[j]);
            float dout = dhu[j] * tc * go[j] * (1.0f - go[j]);
            dcu[j] = dcj * gf[j];
            gi[j] = di;
            gf[j] = df;
            gg[j] = dg;
            go[j] = dout;
        }
#endif
    }
}

/* dW, dU, db (Keras layout) += the packed dwcat. */
static void unpack_gradients(const Layer *l, LstmState *s, int d)
{
    LstmWeights dw = weights_of(l, l->dw, d);
    int H = l->spec.units, I = l->in.c, G = 4 * H, Gp = s->Gp;
    for (int k = 0; k < s->K; k++) {
        float *dst = k < I ? dw.W + (size_t)k * G : k < I + H ? dw.U + (size_t)(k - I) * G : dw.b;
        const float *src = s->dwcat + (size_t)k * Gp;
        for (int u0 = 0; u0 < H; u0 += PANEL)
            for (int q = 0; q < 4; q++) {
                float *to = dst + q * H + u0;
                const float *g = src + packed(q, u0);
                for (int j = 0; j < panel_units(H, u0); j++)
                    to[j] += g[j];
            }
    }
}

/* dw (K, Gp) += xh^T (K, rows) dz (rows, Gp): [dW; dU; db] over `rows` rows, a chunk of rows at a
 * time so that its gate gradients stay in cache. */
static void parameter_gradients(const LstmState *s, float *dw, const float *xh, const float *dz,
                                size_t rows)
{
    enum { CHUNK = 128 };
    int K = s->K, Gp = s->Gp;
    for (size_t k0 = 0; k0 < rows; k0 += CHUNK) {
        int kc = rows - k0 < CHUNK ? (int)(rows - k0) : CHUNK;
        for (int c0 = 0; c0 < Gp; c0 += 64)
            for (int r0 = 0; r0 < K; r0 += GEMM_BLOCK_ROWS) {
                int nr = K - r0 < GEMM_BLOCK_ROWS ? K - r0 : GEMM_BLOCK_ROWS;
                gemm_block_tn(nr, 64, kc, xh + k0 * K + r0, K, dz + k0 * Gp + c0, Gp,
                              dw + (size_t)r0 * Gp + c0, Gp, 1);
            }
    }
}

/* One step's dz (rows active[0..na) of acts, Gp wide) times 64 columns (c0..c0+cols) of wut, into
 * the rows active[i] of dst (ldd floats a row), through tile ((na, 64) scratch). */
typedef struct {
    const float *acts, *wut;
    const int *active;
    int na, Gp, ldw, c0, cols, ldd;
    float *tile, *dst;
} StepProduct;

static void tile_out(const StepProduct *sp)
{
    for (int i = 0; i < sp->na; i++)
        memcpy(sp->dst + (size_t)sp->active[i] * sp->ldd, sp->tile + i * 64, sizeof(float) * sp->cols);
}

/* `block` terms at a time over all the rows. Wide LSTMs take BACK_KB, so that that block of wut
 * (32 KB) stays in L1 (DanQ's Gp of 1280, 1.3 MB of U^T: 7% faster); narrow ones take all Gp at
 * once, rows outer, wut's 64 columns streaming from L2 (the seed model's 256: 5% faster). */
static void dz_times_wut(const StepProduct *sp, int block)
{
    const float *a[GEMM_BLOCK_ROWS];
    for (int kb = 0; kb < sp->Gp; kb += block) {
        int kc = sp->Gp - kb < block ? sp->Gp - kb : block;
        for (int i0 = 0; i0 < sp->na; i0 += GEMM_BLOCK_ROWS) {
            int rows = sp->na - i0 < GEMM_BLOCK_ROWS ? sp->na - i0 : GEMM_BLOCK_ROWS;
            for (int r = 0; r < rows; r++)
                a[r] = sp->acts + (size_t)sp->active[i0 + r] * sp->Gp + kb;
            gemm_block(rows, sp->cols, kc, a, sp->wut + (size_t)kb * sp->ldw + sp->c0, sp->ldw,
                       sp->tile + i0 * 64, 64, kb > 0);
        }
    }
    tile_out(sp);
}

/* Phase 0, this part's samples through time, last step first. Each step: the gate gradients dz
 * (over the gates in act), dh_prev = dz U^T; for narrow inputs also, while dz is in cache,
 * [dW; dU; db] += [x, h_prev, 1]^T dz (into this part's block of dwcat) and dx_t = dz W^T (into
 * the x columns of the step's xh rows, free once the parameter gradients have them).
 * Phase 1: dx out of xh. */
static void backward_part(void *ctx, int part, int parts)
{
    DirectionJob *j = ctx;
    Layer *l = j->l;
    const Pass *p = j->p;
    int d = j->d;
    LstmState *s = l->state;
    LstmDirection *st = &s->dir[d];
    int N = p->n, T = l->in.t, I = l->in.c, H = l->spec.units, Hp = s->Hp, Gp = s->Gp, K = s->K;
    int DH = directions(l) * H, seq = l->spec.return_sequences, ldw = s->Hq + s->Iq;
    int fused = s->fused, n_lo, n_hi;
    size_t NK = (size_t)N * K;
    part_range(N, part, parts, &n_lo, &n_hi);
    if (j->phase == 1) {
        transfer_rows(d == 0 ? FROM_STEPS : ADD_FROM_STEPS, j->dx, I, st->xh, K, N, T, d, I, n_lo,
                      n_hi);
        return;
    }
    float *dw = s->dwcat + (size_t)part * K * Gp, *tile = s->tile + (size_t)n_lo * 64;
    int *active = s->active + n_lo;
    if (seq) /* this direction's output gradient, step-major */
        transfer_rows(TO_STEPS, j->dy + d * H, DH, s->dyt, H, N, T, d, H, n_lo, n_hi);
    memset(s->dh + (size_t)n_lo * Hp, 0, sizeof(float) * (size_t)(n_hi - n_lo) * Hp);
    memset(s->dc + (size_t)n_lo * Hp, 0, sizeof(float) * (size_t)(n_hi - n_lo) * Hp);
    if (fused)
        memset(dw, 0, sizeof(float) * (size_t)K * Gp);
    for (int step = T - 1; step >= 0; step--) {
        int t = position(d, T, step);
        float *acts = st->act + (size_t)step * N * Gp, *xs = st->xh + step * NK;
        const float *cs = st->cell + (size_t)step * N * Hp;
        const float *cps = step > 0 ? cs - (size_t)N * Hp : s->zeros;
        int na = 0;
        for (int n = n_lo; n < n_hi; n++) {
            float *dh = s->dh + (size_t)n * Hp, *dc = s->dc + (size_t)n * Hp;
            const float *dyn = seq ? s->dyt + ((size_t)step * N + n) * H
                                   : (step == T - 1 ? j->dy + (size_t)n * DH + d * H : NULL);
            if (dyn)
                for (int u = 0; u < H; u++)
                    dh[u] += dyn[u];
            float *gates = acts + (size_t)n * Gp;
            if (!step_real(l, p, n, t)) { /* carried state: gradients pass through unchanged */
                memset(gates, 0, sizeof(float) * Gp);
                continue;
            }
            cell_backward(gates, cs + (size_t)n * Hp, cps + (size_t)n * Hp, dh, dc, Hp);
            memset(dh, 0, sizeof(float) * Hp); /* refilled below from the gate gradients */
            active[na++] = n;
        }
        if (fused && na == n_hi - n_lo) {
            parameter_gradients(s, dw, xs + (size_t)n_lo * K, acts + (size_t)n_lo * Gp, (size_t)na);
        } else if (fused && na > 0) { /* the real steps' rows, gathered (the others add 0) */
            float *gx = s->gather_x + (size_t)n_lo * K, *gz = s->gather_z + (size_t)n_lo * Gp;
            for (int i = 0; i < na; i++) {
                memcpy(gx + (size_t)i * K, xs + (size_t)active[i] * K, sizeof(float) * K);
                memcpy(gz + (size_t)i * Gp, acts + (size_t)active[i] * Gp, sizeof(float) * Gp);
            }
            parameter_gradients(s, dw, gx, gz, (size_t)na);
        }
        int c_first = step > 0 ? 0 : s->Hq, c_end = fused && j->dx ? s->Hq + I : s->Hq;
        if (c_end > s->Hq && na < n_hi - n_lo) /* dx_t = 0 at padded steps */
            for (int n = n_lo; n < n_hi; n++)
                if (!step_real(l, p, n, t))
                    memset(xs + (size_t)n * K, 0, sizeof(float) * I);
        /* for the real steps: dh_prev = dz (4Hp) x U^T (4Hp, Hp), then dx_t = dz W^T */
        StepProduct sp = {.acts = acts, .active = active, .na = na, .Gp = Gp, .wut = st->wut,
                          .ldw = ldw, .tile = tile};
        for (int c0 = c_first; c0 < c_end; c0 += 64) {
            int in_dh = c0 < s->Hq, lim = in_dh ? Hp : c_end;
            sp.c0 = c0;
            sp.cols = lim - c0 < 64 ? lim - c0 : 64;
            sp.dst = in_dh ? s->dh + c0 : xs + (c0 - s->Hq);
            sp.ldd = in_dh ? Hp : K;
            dz_times_wut(&sp, Gp > 4 * BACK_KB ? BACK_KB : Gp);
        }
    }
}

/* dy: (N, T, D*H) gradient of every step's output, or (N, D*H) of the last state. */
static void direction_backward(Layer *l, const Pass *p, int d, float *dy, float *dx)
{
    LstmState *s = l->state;
    LstmDirection *st = &s->dir[d];
    int N = p->n, T = l->in.t, I = l->in.c, Gp = s->Gp, K = s->K;
    int parts = s->fused ? kernels_threads() : 1;
    parts = parts > s->parts ? s->parts : parts;
    parts = parts > N ? (N > 0 ? N : 1) : parts;
    int threads = kernels_parts(N);
    DirectionJob job = {.l = l, .p = p, .d = d, .dy = dy, .dx = dx};
    if (s->fused) {
        parallel_run(parts, backward_part, &job);
        for (int q = 1; q < parts; q++) { /* part 0's block gets the sum */
            const float *src = s->dwcat + (size_t)q * K * Gp;
            for (size_t i = 0; i < (size_t)K * Gp; i++)
                s->dwcat[i] += src[i];
        }
    } else { /* the recurrence, then large products, where BLAS is at its best */
        parallel_run(threads, backward_part, &job);
        gemm(1, 0, K, Gp, N * T, 1.0f, st->xh, K, st->act, Gp, 0.0f, s->dwcat, Gp);
        if (dx)
            gemm(0, 1, N * T, I, Gp, 1.0f, st->act, Gp, st->wcat, Gp, 0.0f, st->xh, K);
    }
    unpack_gradients(l, s, d);
    if (dx) {
        job.phase = 1;
        parallel_run(threads, backward_part, &job);
    }
}

static void lstm_backward(Layer *l, const Pass *p, const float *x, const float *y, float *dy,
                          float *dx)
{
    for (int d = 0; d < directions(l); d++)
        direction_backward(l, p, d, dy, dx);
}

const LayerOps lstm_ops = {
    .kind = "lstm",
    .plan = lstm_plan,
    .init = lstm_init,
    .alloc = lstm_alloc,
    .forward = lstm_forward,
    .backward = lstm_backward,
    .release = lstm_release,
    .work_floats = lstm_work,
};
