/* motifs.c: the first convolution's activations over sequences and the sites of each filter, the
 * windows above a fraction of its maximum, as base counts summed over the ranks. See motifs.h.
 * The convolution is recomputed here from its weights rather than run through the layer: the
 * layer may have absorbed the maxpool after it and then keeps only the pooled maxima. On one-hot
 * input a window's pre-activation is the bias plus one weight row per base (conv1d's sparse path,
 * in plain loops): a quarter of the multiply-adds of the im2col sgemm. */
#include "train/motifs.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "data/dataset.h"
#include "nn/kernels.h"

int motifs_first_conv(const Model *m, const char *checkpoint, const Layer **conv, Error *err)
{
    const Layer *l0 = &m->layers[0], *l1 = m->n_layers > 1 ? &m->layers[1] : NULL;
    if (l0->spec.kind != LAYER_ONEHOT || !l1 || l1->spec.kind != LAYER_CONV1D)
        return error_set(err, "%s: the first layers are %s, %s: motifs needs onehot then conv1d (its "
                         "filters are read as motifs)", checkpoint, layer_kind_name(l0->spec.kind),
                         l1 ? layer_kind_name(l1->spec.kind) : "nothing");
    *conv = l1;
    return 0;
}

void motifs_activations(const Layer *conv, const uint8_t *tokens, int n, int L, float *y)
{
    const int W = conv->spec.width, F = conv->out.c, To = L - W + 1;
    const float *w = conv->w, *bias = conv->w + (size_t)W * 4 * F; /* W (k, 4, F), b (F) */
    float *wn = xalloc_floats((size_t)W * F); /* (k, F): an N's row, a quarter of each base's */
    for (int k = 0; k < W; k++)
        for (int f = 0; f < F; f++) {
            const float *c = w + (size_t)k * 4 * F + f;
            wn[(size_t)k * F + f] = 0.25f * (c[0] + c[F] + c[2 * F] + c[3 * F]);
        }
    for (int s = 0; s < n; s++)
        for (int t = 0; t < To; t++) {
            const uint8_t *tok = tokens + (size_t)s * L + t;
            float *out = y + ((size_t)s * To + t) * F;
            memcpy(out, bias, sizeof(float) * F);
            for (int k = 0; k < W; k++) {
                const float *row = tok[k] >= TOKEN_A && tok[k] <= TOKEN_T
                                       ? w + ((size_t)k * 4 + (tok[k] - TOKEN_A)) * F
                                   : tok[k] == TOKEN_N ? wn + (size_t)k * F : NULL;
                for (int f = 0; row && f < F; f++)
                    out[f] += row[f];
            }
        }
    activation_forward(conv->spec.act, y, (size_t)n * To * F, F);
    free(wn);
}

/* ok[t] = 1 when the window of W tokens at t of a row has no padding. */
static void windows_without_padding(const uint8_t *row, int L, int W, uint8_t *ok)
{
    int pads = 0;
    for (int i = 0; i < W - 1; i++)
        pads += row[i] == TOKEN_PAD;
    for (int t = 0; t + W <= L; t++) {
        pads += row[t + W - 1] == TOKEN_PAD;
        ok[t] = pads == 0;
        pads -= row[t] == TOKEN_PAD;
    }
}

/* The window's bases added to one filter's counts (W, 4). */
static void add_site(double *counts, const uint8_t *tok, int W)
{
    for (int k = 0; k < W; k++) {
        double *c = counts + 4 * k;
        if (tok[k] >= TOKEN_A && tok[k] <= TOKEN_T)
            c[tok[k] - TOKEN_A] += 1;
        else
            c[0] += 0.25, c[1] += 0.25, c[2] += 0.25, c[3] += 0.25;
    }
}

/* One pass over the rows: with sites == 0 the maxima (and the windows, the background), else the
 * sites above s->threshold. */
static void scan_pass(const Layer *conv, const uint8_t *tokens, int64_t count, int L, int batch,
                      int sites, FilterScan *s)
{
    const int W = s->W, F = s->F, To = L - W + 1;
    float *y = xalloc_floats((size_t)batch * To * F);
    uint8_t *ok = xmalloc((size_t)To, 1);
    for (int64_t b0 = 0; b0 < count; b0 += batch) {
        int n = count - b0 < batch ? (int)(count - b0) : batch;
        motifs_activations(conv, tokens + b0 * L, n, L, y);
        for (int r = 0; r < n; r++) {
            const uint8_t *row = tokens + (b0 + r) * L;
            windows_without_padding(row, L, W, ok);
            for (int t = 0; t < To; t++) {
                if (!ok[t])
                    continue;
                const float *a = y + ((size_t)r * To + t) * F;
                for (int f = 0; f < F; f++)
                    if (!sites && a[f] > s->max[f])
                        s->max[f] = a[f];
                    else if (sites && a[f] > s->threshold[f]) {
                        add_site(s->counts + (size_t)f * W * 4, row + t, W);
                        s->sites[f] += 1;
                    }
                s->windows += !sites;
            }
            for (int i = 0; !sites && i < L; i++)
                if (row[i] >= TOKEN_A && row[i] <= TOKEN_T)
                    s->bg[row[i] - TOKEN_A] += 1;
        }
    }
    free(ok);
    free(y);
}

void motifs_scan(ParComm *c, const Layer *conv, const uint8_t *tokens, int64_t count, int L,
                 int batch, double fraction, FilterScan *s)
{
    memset(s, 0, sizeof *s);
    s->F = conv->out.c, s->W = conv->spec.width;
    const int F = s->F;
    s->max = xmalloc((size_t)F, sizeof(double));
    s->threshold = xmalloc((size_t)F, sizeof(double));
    s->counts = xcalloc((size_t)F * s->W * 4, sizeof(double));
    s->sites = xcalloc((size_t)F, sizeof(double));
    for (int f = 0; f < F; f++)
        s->max[f] = -1e300;
    scan_pass(conv, tokens, count, L, batch, 0, s);
    par_allreduce_max_f64(c, s->max, (size_t)F);
    double tally[6] = {s->bg[0], s->bg[1], s->bg[2], s->bg[3], (double)count, (double)s->windows};
    par_allreduce_sum_f64(c, tally, 6);
    double bases = tally[0] + tally[1] + tally[2] + tally[3];
    for (int b = 0; b < 4; b++)
        s->bg[b] = bases > 0 ? tally[b] / bases : 0.25;
    s->sequences = (int64_t)tally[4], s->windows = (int64_t)tally[5];
    for (int f = 0; f < F; f++) /* a filter never above 0 (a dead relu) has no sites */
        s->threshold[f] = s->max[f] > 0 ? fraction * s->max[f] : 1e300;
    scan_pass(conv, tokens, count, L, batch, 1, s);
    par_allreduce_sum_f64(c, s->counts, (size_t)F * s->W * 4);
    par_allreduce_sum_f64(c, s->sites, (size_t)F);
}

void motifs_scan_free(FilterScan *s)
{
    free(s->max);
    free(s->threshold);
    free(s->counts);
    free(s->sites);
    memset(s, 0, sizeof *s);
}

/* ---- matching ---- */

enum { MATCH_FIELDS = 8 }; /* target + 1, offset, strand, overlap, score, p, q, spare */

/* Target indices ordered by p (smaller first), then score (higher first), then index. p-values
 * below `floor` (the resolution of the shuffles: there, they are Gumbel tails, too rough to rank
 * by) count as floor, so the best-scoring of the clearly significant matches comes first. */
static void order_targets(int *idx, int n, const double *p, const double *score, double floor)
{
    for (int i = 1; i < n; i++) {
        int v = idx[i], j = i;
        double pv = p[v] > floor ? p[v] : floor;
        while (j > 0) {
            int u = idx[j - 1];
            double pu = p[u] > floor ? p[u] : floor;
            int after = pu > pv || (pu == pv && (score[u] < score[v] ||
                                                 (score[u] == score[v] && u > v)));
            if (!after)
                break;
            idx[j] = u;
            j--;
        }
        idx[j] = v;
    }
}

/* One filter against every target: its `top` best into out (top * MATCH_FIELDS doubles). */
static void match_filter(const Motif *q, int f, const MotifSet *targets, int top, int min_overlap,
                         int shuffles, uint64_t seed, double *out)
{
    const int nt = targets->n;
    MotifAlign *al = xmalloc((size_t)nt, sizeof *al);
    double *p = xmalloc((size_t)nt, sizeof(double)), *qv = xmalloc((size_t)nt, sizeof(double));
    double *score = xmalloc((size_t)nt, sizeof(double));
    int *idx = xmalloc((size_t)nt, sizeof(int));
    for (int j = 0; j < nt; j++) {
        al[j] = motif_compare(q, &targets->m[j], min_overlap);
        score[j] = al[j].score;
        p[j] = motif_compare_pvalue(q, &targets->m[j], al[j].score, min_overlap, shuffles, seed,
                                    (uint32_t)((uint32_t)f * (uint32_t)nt + (uint32_t)j));
        idx[j] = j;
    }
    motif_qvalues(p, nt, qv);
    order_targets(idx, nt, p, score, 1.0 / (shuffles + 1.0));
    for (int r = 0; r < top && r < nt; r++) {
        int j = idx[r];
        double *o = out + (size_t)r * MATCH_FIELDS;
        o[0] = j + 1, o[1] = al[j].offset, o[2] = al[j].strand, o[3] = al[j].overlap;
        o[4] = al[j].score, o[5] = p[j], o[6] = qv[j];
    }
    free(al), free(p), free(qv), free(score), free(idx);
}

void motifs_match(ParComm *c, const Motif *filters, const int *use, int nf, const MotifSet *targets,
                  int top, int min_overlap, int shuffles, uint64_t seed, MotifMatch *matches)
{
    const size_t per = (size_t)top * MATCH_FIELDS;
    double *buf = xcalloc((size_t)nf * per + 1, sizeof(double));
    for (int f = par_rank(c); f < nf; f += par_size(c))
        if (use[f])
            match_filter(&filters[f], f, targets, top, min_overlap, shuffles, seed, buf + f * per);
    par_allreduce_sum_f64(c, buf, (size_t)nf * per);
    for (int f = 0; f < nf; f++)
        for (int r = 0; r < top; r++) {
            const double *o = buf + f * per + (size_t)r * MATCH_FIELDS;
            MotifMatch *m = &matches[(size_t)f * top + r];
            m->target = (int)o[0] - 1;
            m->align = (MotifAlign){o[4], (int)o[1], (int)o[2], (int)o[3]};
            m->p = o[5], m->q = o[6];
        }
    free(buf);
}
