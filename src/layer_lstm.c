/* layer_lstm.c: LSTM with Keras semantics: gates i, f, c, o; one bias per gate; sigmoid and tanh; zero
 * initial state; uni- or bidirectional (outputs concatenated, forward first); the whole sequence or
 * the last state. Masked (padded) steps carry h and c through unchanged, as Keras does with
 * mask_zero, so padding before or after a sequence does not change its result.
 *
 * Per direction: the input projection of every step is one sgemm, (N*T, I) x (I, 4H); each step adds
 * h_prev (N, H) x U (H, 4H) in one fused sgemm; backward through time runs one (N, 4H) x (4H, H)
 * sgemm a step, and dW, dU, db and dx are one sgemm each over all N*T rows.
 * Buffers are indexed by position p in the sequence; the backward direction walks p = T-1 .. 0. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "kernels.h"

typedef struct {
    float *gates; /* (N, T, 4H): i f g o after their nonlinearity; gradients after backward */
    float *hprev; /* (N, T, H): h before the step at p (0 at the first step) */
    float *cell;  /* (N, T, H): c after the step at p */
} LstmDirection;

typedef struct {
    LstmDirection dir[2];
    float *hseq; /* (N, T, D*H) when only the last state is returned; else y itself */
    float *dh;   /* (N, H): gradient flowing to the previous step */
    float *dc;   /* (N, H) */
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

static size_t lstm_work(const Layer *l, int batch)
{
    size_t NT = (size_t)batch * l->in.t, H = (size_t)l->spec.units, D = (size_t)directions(l);
    size_t seq = l->spec.return_sequences ? 0 : NT * D * H;
    return D * NT * 6 * H + seq + 2 * (size_t)batch * H;
}

static void lstm_alloc(Layer *l, int max_batch)
{
    LstmState *s = xcalloc(1, sizeof *s);
    size_t NT = (size_t)max_batch * l->in.t, H = (size_t)l->spec.units;
    for (int d = 0; d < directions(l); d++) {
        s->dir[d].gates = xalloc_floats(NT * 4 * H);
        s->dir[d].hprev = xalloc_floats(NT * H);
        s->dir[d].cell = xalloc_floats(NT * H);
    }
    if (!l->spec.return_sequences)
        s->hseq = xalloc_floats(NT * directions(l) * H);
    s->dh = xalloc_floats((size_t)max_batch * H);
    s->dc = xalloc_floats((size_t)max_batch * H);
    l->state = s;
}

static void lstm_release(Layer *l)
{
    LstmState *s = l->state;
    if (!s)
        return;
    for (int d = 0; d < 2; d++) {
        free(s->dir[d].gates);
        free(s->dir[d].hprev);
        free(s->dir[d].cell);
    }
    free(s->hseq);
    free(s->dh);
    free(s->dc);
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

static inline int step_real(const Layer *l, const Pass *p, int n, int t)
{
    return !l->masked || !p->mask || p->mask[(size_t)n * l->in.t + t];
}

/* Nonlinearities and the cell update of one sample at one step; z holds the pre-activations. */
static void cell_forward(float *z, const float *cprev, float *c, float *h, int H)
{
    float *i = z, *f = z + H, *g = z + 2 * H, *o = z + 3 * H;
    for (int j = 0; j < H; j++) {
        i[j] = sigmoidf(i[j]);
        f[j] = sigmoidf(f[j]);
        g[j] = tanh_fast(g[j]);
        o[j] = sigmoidf(o[j]);
        c[j] = f[j] * (cprev ? cprev[j] : 0.0f) + i[j] * g[j];
        h[j] = o[j] * tanh_fast(c[j]);
    }
}

static void direction_forward(Layer *l, const Pass *p, int d, const float *x, float *hseq)
{
    LstmState *s = l->state;
    LstmDirection *st = &s->dir[d];
    LstmWeights w = weights_of(l, l->w, d);
    int N = p->n, T = l->in.t, I = l->in.c, H = l->spec.units, G = 4 * H;
    int DH = directions(l) * H;
    int rev = d == 1;

    gemm(0, 0, N * T, G, I, 1.0f, x, I, w.W, G, 0.0f, st->gates, G);
    add_bias_rows(st->gates, w.b, N * T, G);
    for (int n = 0; n < N; n++) /* zero initial state */
        memset(st->hprev + ((size_t)n * T + (rev ? T - 1 : 0)) * H, 0, sizeof(float) * H);
    for (int step = 0; step < T; step++) {
        int t = rev ? T - 1 - step : step, prev = rev ? t + 1 : t - 1, next = rev ? t - 1 : t + 1;
        if (step > 0)
            gemm(0, 0, N, G, H, 1.0f, st->hprev + (size_t)t * H, T * H, w.U, G, 1.0f,
                 st->gates + (size_t)t * G, T * G);
        for (int n = 0; n < N; n++) {
            size_t nt = (size_t)n * T + t;
            float *h = hseq + nt * DH + d * H, *c = st->cell + nt * H;
            const float *hp = st->hprev + nt * H;
            const float *cp = step > 0 ? st->cell + ((size_t)n * T + prev) * H : NULL;
            if (step_real(l, p, n, t)) {
                cell_forward(st->gates + nt * G, cp, c, h, H);
            } else { /* padding: carry the state */
                memcpy(h, hp, sizeof(float) * H);
                if (cp)
                    memcpy(c, cp, sizeof(float) * H);
                else
                    memset(c, 0, sizeof(float) * H);
            }
            if (step < T - 1)
                memcpy(st->hprev + ((size_t)n * T + next) * H, h, sizeof(float) * H);
        }
    }
}

static void lstm_forward(Layer *l, const Pass *p, const float *x, float *y)
{
    LstmState *s = l->state;
    int T = l->in.t, H = l->spec.units, D = directions(l), DH = D * H;
    float *hseq = l->spec.return_sequences ? y : s->hseq;
    for (int d = 0; d < D; d++)
        direction_forward(l, p, d, x, hseq);
    if (!l->spec.return_sequences) /* last state: step T-1 forward, step 0 backward */
        for (int n = 0; n < p->n; n++)
            for (int d = 0; d < D; d++) {
                int t = d == 0 ? T - 1 : 0;
                memcpy(y + (size_t)n * DH + d * H, hseq + ((size_t)n * T + t) * DH + d * H,
                       sizeof(float) * H);
            }
}

/* Gate gradients of one sample at one step, written over its gates; updates dc in place. */
static void cell_backward(float *gates, const float *c, const float *cprev, const float *dh,
                          float *dc, int H)
{
    float *i = gates, *f = gates + H, *g = gates + 2 * H, *o = gates + 3 * H;
    for (int j = 0; j < H; j++) {
        float tc = tanh_fast(c[j]);
        float dcj = dc[j] + dh[j] * o[j] * (1.0f - tc * tc);
        float cp = cprev ? cprev[j] : 0.0f;
        float di = dcj * g[j] * i[j] * (1.0f - i[j]);
        float df = dcj * cp * f[j] * (1.0f - f[j]);
        float dg = dcj * i[j] * (1.0f - g[j] * g[j]);
        float dout = dh[j] * tc * o[j] * (1.0f - o[j]);
        dc[j] = dcj * f[j];
        i[j] = di;
        f[j] = df;
        g[j] = dg;
        o[j] = dout;
    }
}

/* dy_seq: (N, T, D*H) gradient of every step's output, or NULL when only dy_last (N, D*H) is. */
static void direction_backward(Layer *l, const Pass *p, int d, const float *x, const float *dy_seq,
                               const float *dy_last, float *dx)
{
    LstmState *s = l->state;
    LstmDirection *st = &s->dir[d];
    LstmWeights w = weights_of(l, l->w, d), dw = weights_of(l, l->dw, d);
    int N = p->n, T = l->in.t, I = l->in.c, H = l->spec.units, G = 4 * H;
    int DH = directions(l) * H;
    int rev = d == 1;

    memset(s->dh, 0, sizeof(float) * (size_t)N * H);
    memset(s->dc, 0, sizeof(float) * (size_t)N * H);
    for (int step = T - 1; step >= 0; step--) {
        int t = rev ? T - 1 - step : step, prev = rev ? t + 1 : t - 1;
        for (int n = 0; n < N; n++) {
            size_t nt = (size_t)n * T + t;
            float *dh = s->dh + (size_t)n * H, *dc = s->dc + (size_t)n * H;
            const float *dyt = dy_seq ? dy_seq + nt * DH + d * H
                                      : (step == T - 1 ? dy_last + (size_t)n * DH + d * H : NULL);
            if (dyt)
                for (int j = 0; j < H; j++)
                    dh[j] += dyt[j];
            float *gates = st->gates + nt * G;
            if (!step_real(l, p, n, t)) { /* carried state: gradients pass through unchanged */
                memset(gates, 0, sizeof(float) * G);
                continue;
            }
            const float *cp = step > 0 ? st->cell + ((size_t)n * T + prev) * H : NULL;
            cell_backward(gates, st->cell + nt * H, cp, dh, dc, H);
            memset(dh, 0, sizeof(float) * H); /* refilled below from the gate gradients */
        }
        if (step > 0) /* dh_prev += dgates (N, 4H) x U^T */
            gemm(0, 1, N, H, G, 1.0f, st->gates + (size_t)t * G, T * G, w.U, G, 1.0f, s->dh, H);
    }
    gemm(1, 0, I, G, N * T, 1.0f, x, I, st->gates, G, 1.0f, dw.W, G);
    gemm(1, 0, H, G, N * T, 1.0f, st->hprev, H, st->gates, G, 1.0f, dw.U, G);
    sum_rows_into(dw.b, st->gates, N * T, G);
    if (dx)
        gemm(0, 1, N * T, I, G, 1.0f, st->gates, G, w.W, G, d == 0 ? 0.0f : 1.0f, dx, I);
}

static void lstm_backward(Layer *l, const Pass *p, const float *x, const float *y, float *dy,
                          float *dx)
{
    const float *dy_seq = l->spec.return_sequences ? dy : NULL;
    const float *dy_last = l->spec.return_sequences ? NULL : dy;
    for (int d = 0; d < directions(l); d++)
        direction_backward(l, p, d, x, dy_seq, dy_last, dx);
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
