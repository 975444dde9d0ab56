/* reference.c: the slow, obviously-correct double-precision reference of every layer and loss.
 * Written from the math, not from src/layer_*.c: plain nested loops, no BLAS, no buffers kept
 * between calls. Backward recomputes whatever forward state it needs. The tests check this file
 * against finite differences, then hold the fast float layers against it.
 *
 * Conventions (fixed; the fast layers must match them):
 *   tokens 0 = padding, 1..4 = A C G T, 5 = N (values above 5 count as N);
 *   a step is "real" unless the layer is masked, a mask is given and mask[n, t] == 0;
 *   max scans keep the FIRST index achieving the max (strict '>'), and the gradient goes there. */
#include "reference.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "base/util.h"

#define VOCAB 6

static int token_row(uint8_t tok) { return tok > 5 ? 5 : tok; }

static double sigmoid(double v) {
    if (v >= 0) return 1.0 / (1.0 + exp(-v));
    double e = exp(v);
    return e / (1.0 + e);
}

/* The activation a layer applies: the output dense writes logits. */
static Activation layer_act(const Layer *l) {
    if (l->spec.kind == LAYER_DENSE && l->is_output) return ACT_LINEAR;
    Activation a = l->spec.act;
    if (a != ACT_LINEAR && a != ACT_RELU && a != ACT_SIGMOID && a != ACT_SOFTPLUS)
        die("reference: layer '%s': activation %d not supported here", l->spec.name, (int)a);
    return a;
}

static double act_apply(Activation a, double v) {
    switch (a) {
    case ACT_RELU: return v > 0 ? v : 0;
    case ACT_SIGMOID: return sigmoid(v);
    case ACT_SOFTPLUS: return log(1 + exp(v));
    default: return v;
    }
}

/* d act / d pre-activation, written in terms of the activation's output y. */
static double act_grad(Activation a, double y) {
    switch (a) {
    case ACT_RELU: return y > 0 ? 1 : 0;
    case ACT_SIGMOID: return y * (1 - y);
    case ACT_SOFTPLUS: return 1 - exp(-y);
    default: return 1;
    }
}

static int step_real(const Layer *l, const uint8_t *mask, int s, int t) {
    if (!l->masked || !mask) return 1;
    return mask[(size_t)s * l->in.t + t] != 0;
}

static size_t in_size(const Layer *l) { return (size_t)l->in.t * l->in.c; }
static size_t out_size(const Layer *l) { return (size_t)l->out.t * l->out.c; }

static void expect(const Layer *l, int ok, const char *what) {
    if (!ok) die("reference: layer '%s' (kind %d): %s", l->spec.name, (int)l->spec.kind, what);
}

/* The shapes and parameter count the math implies; dies when the layer disagrees. */
static void check_layer(const Layer *l) {
    const LayerSpec *sp = &l->spec;
    int T = l->in.t, C = l->in.c;
    switch (sp->kind) {
    case LAYER_EMBEDDING:
        expect(l, l->out.t == T && l->out.c == sp->dim, "out must be (T, dim)");
        expect(l, l->n_params == (size_t)VOCAB * sp->dim, "n_params must be 6 * dim");
        break;
    case LAYER_ONEHOT:
        expect(l, l->out.t == T && l->out.c == 4 && l->n_params == 0, "out must be (T, 4), no params");
        break;
    case LAYER_CONV1D:
        expect(l, l->out.t == T - sp->width + 1 && l->out.c == sp->filters,
               "out must be (T - width + 1, filters)");
        expect(l, l->n_params == (size_t)sp->width * C * sp->filters + sp->filters,
               "n_params must be width * C * filters + filters");
        break;
    case LAYER_MAXPOOL1D:
        expect(l, sp->pool > 0 && l->out.t == T / sp->pool && l->out.c == C && l->n_params == 0,
               "out must be (T / pool, C), no params");
        break;
    case LAYER_LSTM: {
        int D = sp->bidirectional ? 2 : 1, H = sp->units;
        size_t P = (size_t)C * 4 * H + (size_t)H * 4 * H + 4 * (size_t)H;
        expect(l, l->out.t == (sp->return_sequences ? T : 1) && l->out.c == D * H,
               "out must be (T or 1, directions * units)");
        expect(l, l->n_params == D * P, "n_params must be directions * (I*4H + H*4H + 4H)");
        break;
    }
    case LAYER_POOL_TIME:
        expect(l, l->out.t == 1 && l->out.c == C && l->n_params == 0, "out must be (1, C), no params");
        break;
    case LAYER_DROPOUT:
        expect(l, l->out.t == T && l->out.c == C && l->n_params == 0, "out must equal in, no params");
        break;
    case LAYER_FLATTEN:
        expect(l, out_size(l) == in_size(l) && l->n_params == 0, "out must hold in, no params");
        break;
    case LAYER_DENSE:
        expect(l, l->out.t == T, "out must keep the steps of in");
        expect(l, l->n_params == (size_t)C * l->out.c + l->out.c, "n_params must be C_in*C_out + C_out");
        break;
    default: die("reference: layer '%s': unknown kind %d", sp->name, (int)sp->kind);
    }
}

/* ---- embedding, onehot ---- */

static void embedding_forward(const Layer *l, int n, const uint8_t *tokens, const double *w,
                              double *y) {
    int T = l->in.t, D = l->out.c;
    for (int s = 0; s < n; s++)
        for (int t = 0; t < T; t++) {
            int r = token_row(tokens[(size_t)s * T + t]);
            for (int d = 0; d < D; d++) y[((size_t)s * T + t) * D + d] = w[(size_t)r * D + d];
        }
}

static void embedding_backward(const Layer *l, int n, const uint8_t *tokens, const double *dy,
                               double *dw) {
    int T = l->in.t, D = l->out.c;
    for (int s = 0; s < n; s++)
        for (int t = 0; t < T; t++) {
            int r = token_row(tokens[(size_t)s * T + t]);
            for (int d = 0; d < D; d++) dw[(size_t)r * D + d] += dy[((size_t)s * T + t) * D + d];
        }
}

static void onehot_forward(const Layer *l, int n, const uint8_t *tokens, double *y) {
    int T = l->in.t;
    for (int s = 0; s < n; s++)
        for (int t = 0; t < T; t++) {
            int r = token_row(tokens[(size_t)s * T + t]);
            double *yt = y + ((size_t)s * T + t) * 4;
            for (int c = 0; c < 4; c++) {
                if (r == 0) yt[c] = 0;                     /* padding */
                else if (r == 5) yt[c] = 0.25;             /* N */
                else yt[c] = (c == r - 1) ? 1.0 : 0.0;     /* A C G T */
            }
        }
}

/* ---- conv1d: W (k, C, F), b (F) ---- */

static void conv1d_forward(const Layer *l, int n, const double *x, const double *w, double *y) {
    int T = l->in.t, C = l->in.c, k = l->spec.width, F = l->spec.filters, To = l->out.t;
    const double *W = w, *b = w + (size_t)k * C * F;
    Activation a = layer_act(l);
    for (int s = 0; s < n; s++)
        for (int t = 0; t < To; t++)
            for (int f = 0; f < F; f++) {
                double z = b[f];
                for (int j = 0; j < k; j++)
                    for (int c = 0; c < C; c++)
                        z += x[((size_t)s * T + t + j) * C + c] * W[((size_t)j * C + c) * F + f];
                y[((size_t)s * To + t) * F + f] = act_apply(a, z);
            }
}

static void conv1d_backward(const Layer *l, int n, const double *x, const double *w,
                            const double *dy, double *dx, double *dw) {
    int T = l->in.t, C = l->in.c, k = l->spec.width, F = l->spec.filters, To = l->out.t;
    const double *W = w;
    double *dW = dw, *db = dw + (size_t)k * C * F;
    Activation a = layer_act(l);
    double *y = xmalloc((size_t)n * out_size(l), sizeof *y);
    conv1d_forward(l, n, x, w, y);
    if (dx) memset(dx, 0, (size_t)n * in_size(l) * sizeof *dx);
    for (int s = 0; s < n; s++)
        for (int t = 0; t < To; t++)
            for (int f = 0; f < F; f++) {
                size_t o = ((size_t)s * To + t) * F + f;
                double dz = dy[o] * act_grad(a, y[o]);
                db[f] += dz;
                for (int j = 0; j < k; j++)
                    for (int c = 0; c < C; c++) {
                        size_t xi = ((size_t)s * T + t + j) * C + c;
                        size_t wi = ((size_t)j * C + c) * F + f;
                        dW[wi] += x[xi] * dz;
                        if (dx) dx[xi] += W[wi] * dz;
                    }
            }
    free(y);
}

/* ---- maxpool1d: window = stride = pool; a trailing partial window is dropped ---- */

/* Index j < p of the first maximum of x[s, t*p + j, c]. */
static int maxpool_argmax(const Layer *l, const double *x, int s, int t, int c) {
    int T = l->in.t, C = l->in.c, p = l->spec.pool, best = 0;
    for (int j = 1; j < p; j++)
        if (x[((size_t)s * T + t * p + j) * C + c] > x[((size_t)s * T + t * p + best) * C + c])
            best = j;
    return best;
}

static void maxpool1d_forward(const Layer *l, int n, const double *x, double *y) {
    int T = l->in.t, C = l->in.c, p = l->spec.pool, To = l->out.t;
    for (int s = 0; s < n; s++)
        for (int t = 0; t < To; t++)
            for (int c = 0; c < C; c++) {
                int j = maxpool_argmax(l, x, s, t, c);
                y[((size_t)s * To + t) * C + c] = x[((size_t)s * T + t * p + j) * C + c];
            }
}

static void maxpool1d_backward(const Layer *l, int n, const double *x, const double *dy,
                               double *dx) {
    int T = l->in.t, C = l->in.c, p = l->spec.pool, To = l->out.t;
    if (!dx) return;
    memset(dx, 0, (size_t)n * in_size(l) * sizeof *dx);
    for (int s = 0; s < n; s++)
        for (int t = 0; t < To; t++)
            for (int c = 0; c < C; c++) {
                int j = maxpool_argmax(l, x, s, t, c);
                dx[((size_t)s * T + t * p + j) * C + c] += dy[((size_t)s * To + t) * C + c];
            }
}

/* ---- lstm ----
 * One sample, one direction, processing steps k = 0..T-1 at time tk = k (forward) or T-1-k
 * (backward). State index 0 is the zero initial state; index k+1 is the state after step k. */

typedef struct {
    int T, I, H;
    double *h, *c;  /* (T+1, H) */
    double *gate;   /* (T, 4H): i, f, g, o after their nonlinearities */
    int *real;      /* (T) */
} LstmTrace;

static int lstm_time(int d, int T, int k) { return d == 0 ? k : T - 1 - k; }

/* Offset of direction d's [W, U, b] block in the layer's params. */
static size_t lstm_block(const Layer *l, int d) {
    size_t I = l->in.c, H = l->spec.units;
    return (size_t)d * (I * 4 * H + H * 4 * H + 4 * H);
}

static void lstm_trace(const Layer *l, const uint8_t *mask, const double *x, const double *w,
                       int s, int d, LstmTrace *tr) {
    int T = tr->T, I = tr->I, H = tr->H, G = 4 * H;
    const double *W = w + lstm_block(l, d), *U = W + (size_t)I * G, *b = U + (size_t)H * G;
    memset(tr->h, 0, (size_t)H * sizeof *tr->h);
    memset(tr->c, 0, (size_t)H * sizeof *tr->c);
    for (int k = 0; k < T; k++) {
        int t = lstm_time(d, T, k);
        const double *xt = x + ((size_t)s * T + t) * I;
        const double *hp = tr->h + (size_t)k * H, *cp = tr->c + (size_t)k * H;
        double *hn = tr->h + (size_t)(k + 1) * H, *cn = tr->c + (size_t)(k + 1) * H;
        double *g = tr->gate + (size_t)k * G;
        tr->real[k] = step_real(l, mask, s, t);
        if (!tr->real[k]) {
            memcpy(hn, hp, (size_t)H * sizeof *hn);
            memcpy(cn, cp, (size_t)H * sizeof *cn);
            memset(g, 0, (size_t)G * sizeof *g);
            continue;
        }
        for (int col = 0; col < G; col++) {
            double z = b[col];
            for (int q = 0; q < I; q++) z += xt[q] * W[(size_t)q * G + col];
            for (int q = 0; q < H; q++) z += hp[q] * U[(size_t)q * G + col];
            g[col] = (col >= 2 * H && col < 3 * H) ? tanh(z) : sigmoid(z);
        }
        for (int j = 0; j < H; j++) {
            double gi = g[j], gf = g[H + j], gg = g[2 * H + j], go = g[3 * H + j];
            cn[j] = gf * cp[j] + gi * gg;
            hn[j] = go * tanh(cn[j]);
        }
    }
}

static void lstm_trace_alloc(const Layer *l, LstmTrace *tr) {
    tr->T = l->in.t;
    tr->I = l->in.c;
    tr->H = l->spec.units;
    tr->h = xmalloc((size_t)(tr->T + 1) * tr->H, sizeof *tr->h);
    tr->c = xmalloc((size_t)(tr->T + 1) * tr->H, sizeof *tr->c);
    tr->gate = xmalloc((size_t)tr->T * 4 * tr->H, sizeof *tr->gate);
    tr->real = xmalloc((size_t)tr->T, sizeof *tr->real);
}

static void lstm_trace_free(LstmTrace *tr) {
    free(tr->h);
    free(tr->c);
    free(tr->gate);
    free(tr->real);
}

static void lstm_forward(const Layer *l, int n, const uint8_t *mask, const double *x,
                         const double *w, double *y) {
    int D = l->spec.bidirectional ? 2 : 1, H = l->spec.units, T = l->in.t, To = l->out.t;
    int DH = D * H;
    LstmTrace tr;
    lstm_trace_alloc(l, &tr);
    for (int s = 0; s < n; s++)
        for (int d = 0; d < D; d++) {
            lstm_trace(l, mask, x, w, s, d, &tr);
            if (l->spec.return_sequences) {
                for (int k = 0; k < T; k++) {
                    int t = lstm_time(d, T, k);
                    for (int j = 0; j < H; j++)
                        y[((size_t)s * To + t) * DH + d * H + j] = tr.h[(size_t)(k + 1) * H + j];
                }
            } else {
                for (int j = 0; j < H; j++) y[(size_t)s * DH + d * H + j] = tr.h[(size_t)T * H + j];
            }
        }
    lstm_trace_free(&tr);
}

static void lstm_backward(const Layer *l, int n, const uint8_t *mask, const double *x,
                          const double *w, const double *dy, double *dx, double *dw) {
    int D = l->spec.bidirectional ? 2 : 1, H = l->spec.units, T = l->in.t, I = l->in.c;
    int To = l->out.t, DH = D * H, G = 4 * H;
    LstmTrace tr;
    lstm_trace_alloc(l, &tr);
    double *dh = xmalloc((size_t)H, sizeof *dh), *dc = xmalloc((size_t)H, sizeof *dc);
    double *dhp = xmalloc((size_t)H, sizeof *dhp), *dz = xmalloc((size_t)G, sizeof *dz);
    if (dx) memset(dx, 0, (size_t)n * in_size(l) * sizeof *dx);
    for (int s = 0; s < n; s++)
        for (int d = 0; d < D; d++) {
            const double *W = w + lstm_block(l, d), *U = W + (size_t)I * G;
            double *dW = dw + lstm_block(l, d), *dU = dW + (size_t)I * G;
            double *db = dU + (size_t)H * G;
            lstm_trace(l, mask, x, w, s, d, &tr);
            memset(dh, 0, (size_t)H * sizeof *dh);
            memset(dc, 0, (size_t)H * sizeof *dc);
            for (int k = T - 1; k >= 0; k--) {
                int t = lstm_time(d, T, k);
                /* gradient arriving at the state after step k */
                if (l->spec.return_sequences) {
                    for (int j = 0; j < H; j++) dh[j] += dy[((size_t)s * To + t) * DH + d * H + j];
                } else if (k == T - 1) {
                    for (int j = 0; j < H; j++) dh[j] += dy[(size_t)s * DH + d * H + j];
                }
                if (!tr.real[k]) continue; /* state carried: dh, dc pass through unchanged */
                const double *g = tr.gate + (size_t)k * G;
                const double *hp = tr.h + (size_t)k * H, *cp = tr.c + (size_t)k * H;
                const double *cn = tr.c + (size_t)(k + 1) * H;
                const double *xt = x + ((size_t)s * T + t) * I;
                for (int j = 0; j < H; j++) {
                    double gi = g[j], gf = g[H + j], gg = g[2 * H + j], go = g[3 * H + j];
                    double tc = tanh(cn[j]);
                    double dct = dc[j] + dh[j] * go * (1 - tc * tc);
                    dz[j] = dct * gg * gi * (1 - gi);                /* input gate */
                    dz[H + j] = dct * cp[j] * gf * (1 - gf);         /* forget gate */
                    dz[2 * H + j] = dct * gi * (1 - gg * gg);        /* candidate */
                    dz[3 * H + j] = dh[j] * tc * go * (1 - go);      /* output gate */
                    dc[j] = dct * gf;                                /* to c_prev */
                }
                for (int col = 0; col < G; col++) {
                    db[col] += dz[col];
                    for (int q = 0; q < I; q++) dW[(size_t)q * G + col] += xt[q] * dz[col];
                    for (int q = 0; q < H; q++) dU[(size_t)q * G + col] += hp[q] * dz[col];
                }
                if (dx)
                    for (int q = 0; q < I; q++) {
                        double acc = 0;
                        for (int col = 0; col < G; col++) acc += W[(size_t)q * G + col] * dz[col];
                        dx[((size_t)s * T + t) * I + q] += acc;
                    }
                for (int q = 0; q < H; q++) {
                    double acc = 0;
                    for (int col = 0; col < G; col++) acc += U[(size_t)q * G + col] * dz[col];
                    dhp[q] = acc;
                }
                memcpy(dh, dhp, (size_t)H * sizeof *dh);
            }
        }
    free(dh);
    free(dc);
    free(dhp);
    free(dz);
    lstm_trace_free(&tr);
}

/* ---- pool_time: last / mean / max over the real steps ---- */

/* Step whose value feeds y[s, c], or -1 when the sample has no real step (LAST, MAX only). */
static int pool_time_pick(const Layer *l, const uint8_t *mask, const double *x, int s, int c) {
    int T = l->in.t, C = l->in.c, pick = -1;
    for (int t = 0; t < T; t++) {
        if (!step_real(l, mask, s, t)) continue;
        if (l->spec.mode == POOL_LAST || pick < 0 ||
            x[((size_t)s * T + t) * C + c] > x[((size_t)s * T + pick) * C + c])
            pick = t;
    }
    return pick;
}

static int pool_time_count(const Layer *l, const uint8_t *mask, int s) {
    int cnt = 0;
    for (int t = 0; t < l->in.t; t++) cnt += step_real(l, mask, s, t);
    return cnt;
}

static void pool_time_forward(const Layer *l, int n, const uint8_t *mask, const double *x,
                              double *y) {
    int T = l->in.t, C = l->in.c;
    for (int s = 0; s < n; s++) {
        int cnt = pool_time_count(l, mask, s);
        for (int c = 0; c < C; c++) {
            double v = 0;
            if (l->spec.mode == POOL_MEAN) {
                for (int t = 0; t < T; t++)
                    if (step_real(l, mask, s, t)) v += x[((size_t)s * T + t) * C + c];
                if (cnt > 0) v /= cnt;
            } else {
                int t = pool_time_pick(l, mask, x, s, c);
                if (t >= 0) v = x[((size_t)s * T + t) * C + c];
            }
            y[(size_t)s * C + c] = v;
        }
    }
}

static void pool_time_backward(const Layer *l, int n, const uint8_t *mask, const double *x,
                               const double *dy, double *dx) {
    int T = l->in.t, C = l->in.c;
    if (!dx) return;
    memset(dx, 0, (size_t)n * in_size(l) * sizeof *dx);
    for (int s = 0; s < n; s++) {
        int cnt = pool_time_count(l, mask, s);
        for (int c = 0; c < C; c++) {
            double g = dy[(size_t)s * C + c];
            if (l->spec.mode == POOL_MEAN) {
                for (int t = 0; t < T; t++)
                    if (step_real(l, mask, s, t)) dx[((size_t)s * T + t) * C + c] += g / cnt;
            } else {
                int t = pool_time_pick(l, mask, x, s, c);
                if (t >= 0) dx[((size_t)s * T + t) * C + c] += g;
            }
        }
    }
}

/* ---- dense: W (C_in, C_out), b (C_out), over the last axis of every step ---- */

static void dense_forward(const Layer *l, int n, const double *x, const double *w, double *y) {
    int R = n * l->in.t, Ci = l->in.c, Co = l->out.c;
    const double *W = w, *b = w + (size_t)Ci * Co;
    Activation a = layer_act(l);
    for (int r = 0; r < R; r++)
        for (int o = 0; o < Co; o++) {
            double z = b[o];
            for (int i = 0; i < Ci; i++) z += x[(size_t)r * Ci + i] * W[(size_t)i * Co + o];
            y[(size_t)r * Co + o] = act_apply(a, z);
        }
}

static void dense_backward(const Layer *l, int n, const double *x, const double *w,
                           const double *dy, double *dx, double *dw) {
    int R = n * l->in.t, Ci = l->in.c, Co = l->out.c;
    const double *W = w;
    double *dW = dw, *db = dw + (size_t)Ci * Co;
    Activation a = layer_act(l);
    double *y = xmalloc((size_t)n * out_size(l), sizeof *y);
    dense_forward(l, n, x, w, y);
    if (dx) memset(dx, 0, (size_t)n * in_size(l) * sizeof *dx);
    for (int r = 0; r < R; r++)
        for (int o = 0; o < Co; o++) {
            double dz = dy[(size_t)r * Co + o] * act_grad(a, y[(size_t)r * Co + o]);
            db[o] += dz;
            for (int i = 0; i < Ci; i++) {
                dW[(size_t)i * Co + o] += x[(size_t)r * Ci + i] * dz;
                if (dx) dx[(size_t)r * Ci + i] += W[(size_t)i * Co + o] * dz;
            }
        }
    free(y);
}

/* ---- dispatch ---- */

void ref_forward(const Layer *l, int n, const uint8_t *tokens, const uint8_t *mask,
                 const double *x, const double *w, double *y) {
    check_layer(l);
    switch (l->spec.kind) {
    case LAYER_EMBEDDING: embedding_forward(l, n, tokens, w, y); break;
    case LAYER_ONEHOT: onehot_forward(l, n, tokens, y); break;
    case LAYER_CONV1D: conv1d_forward(l, n, x, w, y); break;
    case LAYER_MAXPOOL1D: maxpool1d_forward(l, n, x, y); break;
    case LAYER_LSTM: lstm_forward(l, n, mask, x, w, y); break;
    case LAYER_POOL_TIME: pool_time_forward(l, n, mask, x, y); break;
    case LAYER_DROPOUT: /* training off: identity */
    case LAYER_FLATTEN: memcpy(y, x, (size_t)n * in_size(l) * sizeof *y); break;
    case LAYER_DENSE: dense_forward(l, n, x, w, y); break;
    default: die("reference: layer '%s': unknown kind %d", l->spec.name, (int)l->spec.kind);
    }
}

void ref_backward(const Layer *l, int n, const uint8_t *tokens, const uint8_t *mask,
                  const double *x, const double *w, const double *dy, double *dx, double *dw) {
    check_layer(l);
    switch (l->spec.kind) {
    case LAYER_EMBEDDING:
        embedding_backward(l, n, tokens, dy, dw);
        if (dx) memset(dx, 0, (size_t)n * in_size(l) * sizeof *dx);
        break;
    case LAYER_ONEHOT:
        if (dx) memset(dx, 0, (size_t)n * in_size(l) * sizeof *dx);
        break;
    case LAYER_CONV1D: conv1d_backward(l, n, x, w, dy, dx, dw); break;
    case LAYER_MAXPOOL1D: maxpool1d_backward(l, n, x, dy, dx); break;
    case LAYER_LSTM: lstm_backward(l, n, mask, x, w, dy, dx, dw); break;
    case LAYER_POOL_TIME: pool_time_backward(l, n, mask, x, dy, dx); break;
    case LAYER_DROPOUT:
    case LAYER_FLATTEN:
        if (dx) memcpy(dx, dy, (size_t)n * in_size(l) * sizeof *dx);
        break;
    case LAYER_DENSE: dense_backward(l, n, x, w, dy, dx, dw); break;
    default: die("reference: layer '%s': unknown kind %d", l->spec.name, (int)l->spec.kind);
    }
}

/* ---- losses ---- */

double ref_bce_logits(const double *z, const double *y, int n, int K, double *dz) {
    size_t m = (size_t)n * K;
    double sum = 0;
    for (size_t e = 0; e < m; e++) {
        sum += fmax(z[e], 0) - z[e] * y[e] + log1p(exp(-fabs(z[e])));
        dz[e] = (sigmoid(z[e]) - y[e]) / (double)m;
    }
    return sum / (double)m;
}

double ref_softmax_ce(const double *z, const double *y, int n, int K, double *dz) {
    double sum = 0;
    for (int r = 0; r < n; r++) {
        const double *zr = z + (size_t)r * K, *yr = y + (size_t)r * K;
        double zmax = zr[0], se = 0, ysum = 0;
        for (int k = 1; k < K; k++) zmax = fmax(zmax, zr[k]);
        for (int k = 0; k < K; k++) se += exp(zr[k] - zmax);
        double lse = zmax + log(se); /* log Σ exp z */
        for (int k = 0; k < K; k++) {
            sum -= yr[k] * (zr[k] - lse);
            ysum += yr[k];
        }
        for (int k = 0; k < K; k++)
            dz[(size_t)r * K + k] = (exp(zr[k] - lse) * ysum - yr[k]) / n;
    }
    return sum / n;
}

double ref_mse(const double *z, const double *y, int n, int K, double *dz) {
    size_t m = (size_t)n * K;
    double sum = 0;
    for (size_t e = 0; e < m; e++) {
        sum += (z[e] - y[e]) * (z[e] - y[e]);
        dz[e] = 2 * (z[e] - y[e]) / (double)m;
    }
    return sum / (double)m;
}

/* p = log(1 + e^z) written plainly (fine for the |z| < 30 the tests use). */
double ref_poisson_softplus(const double *z, const double *y, int n, int K, double eps, double *dz) {
    size_t m = (size_t)n * K;
    double sum = 0;
    for (size_t e = 0; e < m; e++) {
        double p = log(1 + exp(z[e]));
        sum += p - y[e] * log(p + eps);
        dz[e] = (1 - y[e] / (p + eps)) * sigmoid(z[e]) / (double)m;
    }
    return sum / (double)m;
}
