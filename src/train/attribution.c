/* attribution.c: in-silico mutagenesis, gradient x input and integrated gradients of one model on
 * a few sequences, on one process. See attribution.h. */
#include "train/attribution.h"

#include <stdlib.h>
#include <string.h>

#include "base/rng.h"
#include "data/dataset.h"

void attr_onehot(const uint8_t *tokens, int64_t n, int L, float *x)
{
    for (int64_t i = 0; i < n * L; i++) {
        float *v = x + i * 4;
        int t = tokens[i];
        float fill = t == TOKEN_N || t > TOKEN_N ? 0.25f : 0.0f;
        v[0] = v[1] = v[2] = v[3] = fill;
        if (t >= TOKEN_A && t <= TOKEN_T)
            v[t - TOKEN_A] = 1.0f;
    }
}

/* ---- the dinucleotide shuffle ---- */

void attr_dinuc_shuffle(const uint8_t *in, uint8_t *out, int L, uint64_t seed, uint64_t row)
{
    enum { LETTERS = 256 };
    memcpy(out, in, (size_t)L);
    int s = 0, e = L;
    while (s < L && in[s] == TOKEN_PAD)
        s++;
    while (e > s && in[e - 1] == TOKEN_PAD)
        e--;
    if (e - s < 3)
        return;
    /* next[start[c] .. start[c] + count[c]): the positions that follow each occurrence of c */
    int count[LETTERS] = {0}, start[LETTERS], used[LETTERS] = {0};
    int *next = xmalloc((size_t)(e - s), sizeof(int));
    for (int i = s; i < e - 1; i++)
        count[in[i]]++;
    for (int c = 0, at = 0; c < LETTERS; c++)
        start[c] = at, at += count[c];
    for (int i = s; i < e - 1; i++)
        next[start[in[i]] + used[in[i]]++] = i + 1;
    uint64_t draw = 0;
    for (int c = 0; c < LETTERS; c++) /* all but the last edge of each letter */
        for (int j = count[c] - 2; j > 0; j--) {
            int k = (int)(rng_u64_at(seed, RNG_DATA, (uint32_t)row, 0x5d1u, draw++) % (uint64_t)(j + 1));
            int *a = next + start[c];
            int keep = a[j];
            a[j] = a[k];
            a[k] = keep;
        }
    memset(used, 0, sizeof used);
    int at = s;
    for (int j = s + 1; j < e; j++) {
        int c = in[at];
        at = next[start[c] + used[c]++];
        out[j] = in[at];
    }
    free(next);
}

/* ---- in-silico mutagenesis ---- */

/* Where the walk over a group's rows stands: sequence s, then position pos (-1: the reference),
 * base b. */
typedef struct {
    int s, pos, b;
} IsmCursor;

/* The next row of the walk into (s, pos, b); 0 when the group is done. A mutant is a base other
 * than the reference's at a non-padding position. */
static int ism_next(IsmCursor *c, const uint8_t *tokens, int n, int L, int w0, int w1)
{
    for (;;) {
        if (c->s >= n)
            return 0;
        if (c->pos < 0) { /* the reference row comes first */
            c->pos = w0;
            c->b = 0;
            return 1;
        }
        for (; c->pos < w1; c->pos++, c->b = 0) {
            int t = tokens[(size_t)c->s * L + c->pos];
            while (c->b < 4 && t != TOKEN_PAD && t == TOKEN_A + c->b)
                c->b++;
            if (c->b < 4 && t != TOKEN_PAD) {
                c->b++;
                return 1;
            }
        }
        c->s++;
        c->pos = -1;
    }
}

void attr_ism(Model *m, const uint8_t *tokens, int n, int w0, int w1, const int *targets, int K2,
              int logit, float *out, float *ref)
{
    int L = m->length, K = m->targets, B = m->max_batch, W = w1 - w0;
    uint8_t *rows = xmalloc((size_t)B, (size_t)L);
    int *seq = xmalloc((size_t)B, sizeof(int)), *slot = xmalloc((size_t)B, sizeof(int));
    float *probs = xalloc_floats((size_t)B * K);
    memset(out, 0, sizeof(float) * (size_t)n * W * 4 * K2);
    IsmCursor c = {0, -1, 0};
    int got;
    do {
        for (got = 0; got < B; got++) {
            int was_ref = c.pos < 0;
            if (!ism_next(&c, tokens, n, L, w0, w1))
                break;
            uint8_t *r = rows + (size_t)got * L;
            memcpy(r, tokens + (size_t)c.s * L, (size_t)L);
            seq[got] = c.s;
            slot[got] = was_ref ? -1 : (c.pos - w0) * 4 + (c.b - 1);
            if (!was_ref)
                r[c.pos] = (uint8_t)(TOKEN_A + c.b - 1);
        }
        if (got == 0)
            break;
        Pass p = {.n = got, .tokens = rows};
        const float *z = model_forward(m, &p);
        if (!logit)
            model_probabilities(m, z, probs, got);
        const float *v = logit ? z : probs;
        for (int i = 0; i < got; i++) {
            float *to = slot[i] < 0 ? ref + (size_t)seq[i] * K2
                                    : out + ((size_t)seq[i] * W * 4 + slot[i]) * K2;
            for (int k = 0; k < K2; k++)
                to[k] = v[(size_t)i * K + targets[k]];
        }
    } while (got == B);
    c = (IsmCursor){0, -1, 0};
    while (ism_next(&c, tokens, n, L, w0, w1)) /* mutants minus their reference */
        if (c.b > 0) { /* b 0: the reference row */
            float *to = out + ((size_t)c.s * W * 4 + (size_t)(c.pos - w0) * 4 + (c.b - 1)) * K2;
            const float *r0 = ref + (size_t)c.s * K2;
            for (int k = 0; k < K2; k++)
                to[k] -= r0[k];
        }
    free(rows), free(seq), free(slot), free(probs);
}

/* ---- gradients ---- */

/* Run buffers of a gradient pass: B rows of tokens, inputs, gradients and their targets. */
typedef struct {
    int B, L;
    uint8_t *tokens; /* (B, L): the sequence in every row (the padding mask) */
    float *x, *grad; /* (B, L, 4) */
    int *target;     /* (B) */
} GradRows;

static GradRows grad_rows_make(const Model *m, const uint8_t *tokens)
{
    GradRows g = {.B = m->max_batch, .L = m->length};
    g.tokens = xmalloc((size_t)g.B, (size_t)g.L);
    for (int i = 0; i < g.B; i++)
        memcpy(g.tokens + (size_t)i * g.L, tokens, (size_t)g.L);
    g.x = xalloc_floats((size_t)g.B * g.L * 4);
    g.grad = xalloc_floats((size_t)g.B * g.L * 4);
    g.target = xmalloc((size_t)g.B, sizeof(int));
    return g;
}

static void grad_rows_free(GradRows *g) { free(g->tokens), free(g->x), free(g->grad), free(g->target); }

/* The chosen targets' logits of one input row x (L, 4). */
static void logits_at(Model *m, GradRows *g, const float *x, const int *targets, int K2, float *out)
{
    memcpy(g->x, x, sizeof(float) * (size_t)g->L * 4);
    Pass p = {.n = 1, .tokens = g->tokens};
    const float *z = model_forward_input(m, &p, g->x);
    for (int k = 0; k < K2; k++)
        out[k] = z[targets[k]];
}

void attr_saliency(Model *m, const uint8_t *tokens, const int *targets, int K2, float *out,
                   float *logit)
{
    GradRows g = grad_rows_make(m, tokens);
    size_t LC = (size_t)g.L * 4;
    float *x = xalloc_floats(LC);
    attr_onehot(tokens, 1, g.L, x);
    for (int k0 = 0; k0 < K2; k0 += g.B) {
        int n = K2 - k0 < g.B ? K2 - k0 : g.B;
        for (int i = 0; i < n; i++) {
            memcpy(g.x + i * LC, x, sizeof(float) * LC);
            g.target[i] = targets[k0 + i];
        }
        Pass p = {.n = n, .tokens = g.tokens};
        model_input_gradient(m, &p, g.x, g.target, g.grad);
        for (int i = 0; i < n; i++)
            for (size_t j = 0; j < LC; j++)
                out[j * K2 + k0 + i] = g.grad[i * LC + j] * x[j];
    }
    logits_at(m, &g, x, targets, K2, logit);
    free(x);
    grad_rows_free(&g);
}

void attr_integrated(Model *m, const uint8_t *tokens, const float *baseline, int steps,
                     const int *targets, int K2, float *out, float *logit, float *base_logit)
{
    GradRows g = grad_rows_make(m, tokens);
    size_t LC = (size_t)g.L * 4;
    float *x = xalloc_floats(LC);
    double *sum = xcalloc(LC * K2, sizeof(double));
    attr_onehot(tokens, 1, g.L, x);
    int64_t total = (int64_t)steps * K2; /* rows: (step, target) pairs */
    for (int64_t r0 = 0; r0 < total; r0 += g.B) {
        int n = (int)(total - r0 < g.B ? total - r0 : g.B);
        for (int i = 0; i < n; i++) {
            int64_t r = r0 + i;
            float a = (float)(((double)(r / K2) + 0.5) / steps);
            for (size_t j = 0; j < LC; j++)
                g.x[i * LC + j] = baseline[j] + a * (x[j] - baseline[j]);
            g.target[i] = targets[r % K2];
        }
        Pass p = {.n = n, .tokens = g.tokens};
        model_input_gradient(m, &p, g.x, g.target, g.grad);
        for (int i = 0; i < n; i++) {
            int k = (int)((r0 + i) % K2);
            for (size_t j = 0; j < LC; j++)
                sum[j * K2 + k] += g.grad[i * LC + j];
        }
    }
    for (size_t j = 0; j < LC; j++)
        for (int k = 0; k < K2; k++)
            out[j * K2 + k] = (float)((x[j] - baseline[j]) * sum[j * K2 + k] / steps);
    logits_at(m, &g, x, targets, K2, logit);
    logits_at(m, &g, baseline, targets, K2, base_logit);
    free(x), free(sum);
    grad_rows_free(&g);
}
