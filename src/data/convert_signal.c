/* convert_signal.c: the bigWig targets of `convert --genome` (convert_signal.h): the tracks'
 * chromosomes matched by name to the genome's (lengths must agree), and the mean signal of each
 * row's window, a block of rows at a time, one walk of each track per block (bigwig_sums). */
#include "data/convert_signal.h"

#include <stdlib.h>
#include <string.h>

int signal_open(SignalSet *s, const GenomeSettings *gs, const Genome *g, const uint8_t *use,
                int64_t B, Error *err)
{
    memset(s, 0, sizeof *s);
    s->T = gs->tracks;
    s->C = genome_count(g);
    s->S = gs->signal_window;
    s->path = gs->track_path;
    s->B = B;
    s->bw = xcalloc((size_t)s->T, sizeof *s->bw);
    s->chrom = xmalloc((size_t)s->T * (size_t)s->C, sizeof *s->chrom);
    s->ws = xmalloc((size_t)B, sizeof *s->ws);
    s->we = xmalloc((size_t)B, sizeof *s->we);
    s->sum = xmalloc((size_t)B, sizeof *s->sum);
    for (int t = 0; t < s->T; t++) {
        BigWig *bw = s->bw[t] = bigwig_open(gs->track_path[t], err);
        if (!bw)
            return -1;
        for (int c = 0; c < s->C; c++) {
            int i = s->chrom[(size_t)t * s->C + c] = bigwig_find(bw, genome_name(g, c));
            if (i >= 0 && use[c] && bigwig_length(bw, i) != genome_length(g, c))
                return error_set(err, "%s: %s has %lld bp, in the genome %s %lld bp (a bigWig of "
                                      "another assembly?)", gs->track_path[t], genome_name(g, c),
                                 (long long)bigwig_length(bw, i), genome_path(g),
                                 (long long)genome_length(g, c));
        }
    }
    return 0;
}

int signal_means(SignalSet *s, const Genome *g, int c, int64_t n, const int64_t *centre,
                 float *y, Error *err)
{
    const int64_t len = genome_length(g, c);
    for (int64_t i = 0; i < n; i++) {
        int64_t a = centre[i] - s->S / 2, e = a + s->S;
        s->ws[i] = a < 0 ? 0 : a > len ? len : a;
        s->we[i] = e > len ? len : e < 0 ? 0 : e;
    }
    for (int t = 0; t < s->T; t++) {
        int k = s->chrom[(size_t)t * s->C + c];
        if (k < 0)
            return error_set(err, "%s: no chromosome '%s', which has examples in the genome %s "
                                  "(leave it out with --chroms)", s->path[t], genome_name(g, c),
                             genome_path(g));
        if (bigwig_sums(s->bw[t], k, n, s->ws, s->we, s->sum, err) != 0)
            return -1;
        for (int64_t i = 0; i < n; i++) {
            int64_t bases = s->we[i] - s->ws[i];
            y[i * s->T + t] = bases > 0 ? (float)(s->sum[i] / (double)bases) : 0.0f;
        }
    }
    return 0;
}

void signal_close(SignalSet *s)
{
    for (int t = 0; s->bw && t < s->T; t++)
        bigwig_close(s->bw[t]);
    free(s->bw);
    free(s->chrom);
    free(s->ws);
    free(s->we);
    free(s->sum);
    memset(s, 0, sizeof *s);
}
