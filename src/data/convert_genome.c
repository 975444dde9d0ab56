/* convert_genome.c: a genome FASTA and peak files to the gseq file (converter.h).
 *
 * Bins mode (DeepSEA): each chromosome is cut into --bin bp bins [b*bin, (b+1)*bin) (a last partial
 * bin is not a bin); a bin is positive for a target when the target's merged peaks cover at least
 * min_overlap * bin of its bases. The example of bin b is the window of --window bp starting at
 * b*bin + bin/2 - window/2 (integer halves). A bin is left out when it overlaps the blacklist, when
 * its window passes a chromosome end, or when its window holds more than max_n * window N. Of the
 * bins positive for no target and not left out, negatives * P are drawn per chromosome (P: that
 * chromosome's positives kept), or per 2% GC bin of the window with gc_match: the bins with the
 * smallest keyed draws rng_u64_at(seed, RNG_DATA, hash(chromosome), 0, bin), so the sample does
 * not depend on the order of anything.
 * Regions mode (Basset): each region of the BED is one example (in the order of their centres),
 * the window centred on start + (end - start) / 2, positive for a target when its peaks cover at least min_overlap of the region.
 * With bigWig tracks (convert_signal.h) the labels are the tracks' mean signals instead: rows are
 * queued, a block at a time, their means computed in one walk of each track, then written. The
 * peaks, if any, still choose the bins; without peaks every bin (region) not left out is a row.
 * Memory: one chromosome's tokens and per-bin counts, its positives' label bits (K / 8 bytes
 * each), the merged peaks, one block of rows. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/rng.h"
#include "data/bed.h"
#include "data/convert_oracle.h"
#include "data/convert_signal.h"
#include "data/convert_sink.h"
#include "data/genome.h"

enum { LEFT_BLACK = 1, LEFT_END = 2, LEFT_N = 3 };
#define GC_BINS 50

typedef struct {
    const GenomeSettings *gs;
    Genome *g;
    int C, K, KB;     /* KB = (K + 7) / 8 bytes of label bits a row */
    BedSet *peaks;    /* (K) merged */
    int64_t **first;  /* (K) of (C + 1): each target's intervals per chromosome */
    BedSet black, regions;
    int64_t *bfirst, *rfirst;
    uint8_t *use;     /* (C) */
    GenomeReport *rep;
    Sink sink;
    SinkBlock blk;
    const char **chrom; /* the block's coordinates */
    int64_t *start, *end;
    const char **strand;
    SignalSet sig;      /* sig.T tracks: the labels (else the peaks') */
    Oracle orc;         /* orc.K motifs, one per output target: the /oracle scores (--oracle) */
    int64_t npend;      /* rows queued for their signal (at most blk.B) */
    int64_t *pend_centre; /* (blk.B) their window centres */
    char *pend_strand;  /* (blk.B) */
    float *pend_y;      /* (blk.B, T) */
} Conv;

/* One chromosome at work (bins mode). */
typedef struct {
    int c;
    int64_t len, nb;
    uint8_t *tok;      /* (len) */
    int32_t *row;      /* (nb) positive row of each bin, -1 */
    uint8_t *lab;      /* (P, KB) label bits, bit k of byte k / 8 */
    int64_t P, labcap;
    uint8_t *left;     /* (nb) 0 kept, else LEFT_* */
    uint8_t *gc;       /* (nb) GC bin of the window */
    uint8_t *sel;      /* (nb) drawn as a negative */
} Chrom;

static uint32_t chrom_hash(const char *s)
{
    uint32_t h = 2166136261u;
    for (; *s; s++)
        h = (h ^ (uint8_t)*s) * 16777619u;
    return h;
}

/* ---- the output block ---- */

static int flush_rows(Conv *v, Error *err)
{
    int64_t n = v->blk.b;
    if (n == 0)
        return 0;
    if (sink_block_flush(&v->blk, &v->sink, 0, err) != 0 ||
        dataset_writer_coords(v->sink.w, n, v->chrom, v->start, v->end, v->strand, err) != 0)
        return -1;
    return 0;
}

static int bit_of(const uint8_t *bits, int k) { return bits[k >> 3] >> (k & 7) & 1; }

/* The block's next row: the window [ws, ws + window) of chromosome c (tokens tok of the
 * chromosome from 0); its labels are already at blk.y + blk.b * blk.K. */
static int put_row(Conv *v, int c, const uint8_t *tok, int64_t ws, char strand, Error *err)
{
    const int W = v->gs->window;
    const char *name = genome_name(v->g, c);
    char id[512];
    snprintf(id, sizeof id, "%s:%lld-%lld", name, (long long)ws, (long long)(ws + W));
    int64_t b = v->blk.b;
    if (v->orc.K)
        oracle_scores(&v->orc, tok + ws, W, v->blk.extra + b * v->orc.K);
    sink_block_add(&v->blk, PAD_PRE, id, tok + ws, W);
    v->chrom[b] = name;
    v->start[b] = ws;
    v->end[b] = ws + W;
    v->strand[b] = strand == '+' ? "+" : strand == '-' ? "-" : ".";
    return v->blk.b == v->blk.B ? flush_rows(v, err) : 0;
}

/* The queued rows of chromosome c with their mean signals (the queue is emptied). */
static int flush_signal(Conv *v, int c, const uint8_t *tok, Error *err)
{
    const int T = v->sig.T, half = v->gs->window / 2;
    int64_t n = v->npend;
    v->npend = 0;
    if (n == 0)
        return 0;
    if (signal_means(&v->sig, v->g, c, n, v->pend_centre, v->pend_y, err) != 0)
        return -1;
    for (int64_t i = 0; i < n; i++) {
        memcpy(v->blk.y + v->blk.b * T, v->pend_y + i * T, (size_t)T * sizeof *v->pend_y);
        if (put_row(v, c, tok, v->pend_centre[i] - half, v->pend_strand[i], err) != 0)
            return -1;
    }
    return 0;
}

/* A row: the window [ws, ws + window) of chromosome c (tokens tok of the chromosome from 0) and
 * its label bits (NULL: a negative); with tracks, queued for its signal. */
static int emit_row(Conv *v, int c, const uint8_t *tok, int64_t ws, const uint8_t *lab,
                    char strand, Error *err)
{
    const int K = v->K;
    for (int k = 0; lab && k < K; k++)
        v->rep->target_pos[k] += bit_of(lab, k);
    if (v->sig.T) {
        v->pend_centre[v->npend] = ws + v->gs->window / 2;
        v->pend_strand[v->npend++] = strand;
        return v->npend == v->blk.B ? flush_signal(v, c, tok, err) : 0;
    }
    for (int k = 0; k < K; k++)
        v->blk.y[v->blk.b * K + k] = lab ? (float)bit_of(lab, k) : 0.0f;
    return put_row(v, c, tok, ws, strand, err);
}

/* ---- bins mode ---- */

static void mark_positive(Chrom *ch, int KB, int64_t b, int t)
{
    if (ch->row[b] < 0) {
        if (ch->P == ch->labcap) {
            int64_t cap = ch->labcap ? ch->labcap * 2 : 1024;
            uint8_t *lab = xcalloc((size_t)cap, (size_t)KB);
            if (ch->P)
                memcpy(lab, ch->lab, (size_t)(ch->P * KB));
            free(ch->lab);
            ch->lab = lab;
            ch->labcap = cap;
        }
        ch->row[b] = (int32_t)ch->P++;
    }
    ch->lab[(int64_t)ch->row[b] * KB + (t >> 3)] |= (uint8_t)(1u << (t & 7));
}

/* The bins target t's merged peaks cover by at least min_overlap * bin. */
static void add_target(const Conv *v, Chrom *ch, int t)
{
    const int64_t bin = v->gs->bin;
    const double need = v->gs->min_overlap * (double)bin;
    const BedInterval *iv = v->peaks[t].iv;
    int64_t cur = -1, acc = 0;
    for (int64_t i = v->first[t][ch->c]; i < v->first[t][ch->c + 1]; i++) {
        int64_t b1 = (iv[i].end - 1) / bin;
        if (b1 >= ch->nb)
            b1 = ch->nb - 1;
        for (int64_t b = iv[i].start / bin; b <= b1; b++) {
            int64_t lo = iv[i].start > b * bin ? iv[i].start : b * bin;
            int64_t hi = iv[i].end < (b + 1) * bin ? iv[i].end : (b + 1) * bin;
            if (b != cur) {
                if (cur >= 0 && (double)acc >= need)
                    mark_positive(ch, v->KB, cur, t);
                cur = b;
                acc = 0;
            }
            acc += hi - lo;
        }
    }
    if (cur >= 0 && (double)acc >= need)
        mark_positive(ch, v->KB, cur, t);
}

static void count_range(const uint8_t *t, int64_t a, int64_t e, int64_t *h, int sign)
{
    int64_t c[6] = {0};
    for (int64_t j = a; j < e; j++)
        c[t[j]]++;
    for (int k = 0; k < 6; k++)
        h[k] += sign * c[k];
}

/* The window of bin b's N and GC: left[b] (past an end, too many N) and gc[b]. */
static void judge_window(const Conv *v, Chrom *ch, int64_t b, const int64_t *h)
{
    const int64_t W = v->gs->window;
    int64_t acgt = h[1] + h[2] + h[3] + h[4];
    int64_t g = acgt ? (h[2] + h[3]) * GC_BINS / acgt : 0;
    ch->gc[b] = (uint8_t)(g >= GC_BINS ? GC_BINS - 1 : g);
    if (!ch->left[b] && (double)h[5] > v->gs->max_n * (double)W)
        ch->left[b] = LEFT_N;
}

/* left[] and gc[] of every bin: the blacklist, then windows past an end, then N. */
static void judge_bins(const Conv *v, Chrom *ch)
{
    const int64_t bin = v->gs->bin, W = v->gs->window, off = bin / 2 - W / 2;
    const BedInterval *bl = v->black.iv;
    for (int64_t i = v->bfirst[ch->c]; i < v->bfirst[ch->c + 1]; i++)
        for (int64_t b = bl[i].start / bin; b <= (bl[i].end - 1) / bin && b < ch->nb; b++)
            ch->left[b] = LEFT_BLACK;
    int64_t h[6] = {0}, prev = -1;
    for (int64_t b = 0; b < ch->nb; b++) {
        int64_t ws = b * bin + off;
        if (ws < 0 || ws + W > ch->len) {
            if (!ch->left[b])
                ch->left[b] = LEFT_END;
            continue;
        }
        if (prev == b - 1 && W > 2 * bin) { /* slide the window of b - 1 by one bin */
            count_range(ch->tok, ws - bin, ws, h, -1);
            count_range(ch->tok, ws + W - bin, ws + W, h, 1);
        } else {
            memset(h, 0, sizeof h);
            count_range(ch->tok, ws, ws + W, h, 1);
        }
        prev = b;
        judge_window(v, ch, b, h);
    }
}

typedef struct {
    uint64_t key;
    int64_t bin;
    int group;
} Draw;

static int cmp_draw(const void *a, const void *b)
{
    const Draw *x = a, *y = b;
    if (x->group != y->group)
        return x->group < y->group ? -1 : 1;
    if (x->key != y->key)
        return x->key < y->key ? -1 : 1;
    return (x->bin > y->bin) - (x->bin < y->bin);
}

/* sel[]: negatives * P of the kept negative bins (per GC bin with gc_match), smallest keys. */
static void draw_negatives(const Conv *v, Chrom *ch)
{
    const GenomeSettings *gs = v->gs;
    int64_t want[GC_BINS] = {0}, avail = 0;
    for (int64_t b = 0; b < ch->nb; b++) {
        if (ch->left[b])
            continue;
        if (ch->row[b] >= 0)
            want[gs->gc_match ? ch->gc[b] : 0]++;
        else
            avail++;
    }
    if (avail == 0 && ch->P == 0)
        return;
    Draw *d = xmalloc((size_t)(avail ? avail : 1), sizeof *d);
    const uint32_t stream = chrom_hash(genome_name(v->g, ch->c));
    int64_t n = 0;
    for (int64_t b = 0; b < ch->nb; b++)
        if (!ch->left[b] && ch->row[b] < 0)
            d[n++] = (Draw){rng_u64_at(gs->seed, RNG_DATA, stream, 0, (uint64_t)b), b,
                            gs->gc_match ? ch->gc[b] : 0};
    qsort(d, (size_t)n, sizeof *d, cmp_draw);
    int64_t i = 0;
    for (int g = 0; g < GC_BINS; g++) {
        int64_t m = (int64_t)llround(gs->negatives * (double)want[g]), taken = 0;
        for (; i < n && d[i].group == g; i++)
            if (taken < m) {
                ch->sel[d[i].bin] = 1;
                taken++;
            }
        v->rep->neg_short += m - taken;
    }
    free(d);
}

/* The rows of one chromosome in bin order, and what was left out, for the report. */
static int write_bins(Conv *v, Chrom *ch, Error *err)
{
    const int64_t bin = v->gs->bin, off = bin / 2 - v->gs->window / 2;
    GenomeReport *r = v->rep;
    r->bins += ch->nb;
    for (int64_t b = 0; b < ch->nb; b++) {
        int pos = ch->row[b] >= 0;
        if (ch->left[b]) {
            (pos ? r->pos_left : r->neg_left)[ch->left[b] - 1]++;
            continue;
        }
        if (!pos && !ch->sel[b] && v->K > 0) /* without peaks, every bin */
            continue;
        const uint8_t *lab = pos ? ch->lab + (int64_t)ch->row[b] * v->KB : NULL;
        if (emit_row(v, ch->c, ch->tok, b * bin + off, lab, '.', err) != 0)
            return -1;
        if (pos)
            r->positives++;
        else
            r->negatives++;
    }
    return flush_signal(v, ch->c, ch->tok, err);
}

static int chrom_bins(Conv *v, int c, uint8_t *tok, int64_t len, Error *err)
{
    Chrom ch = {.c = c, .len = len, .nb = len / v->gs->bin, .tok = tok};
    size_t nb = (size_t)(ch.nb ? ch.nb : 1);
    ch.row = xmalloc(nb, sizeof *ch.row);
    for (int64_t b = 0; b < ch.nb; b++)
        ch.row[b] = -1;
    ch.left = xcalloc(nb, 1);
    ch.gc = xcalloc(nb, 1);
    ch.sel = xcalloc(nb, 1);
    for (int t = 0; t < v->K; t++)
        add_target(v, &ch, t);
    judge_bins(v, &ch);
    if (v->K > 0)
        draw_negatives(v, &ch);
    int rc = write_bins(v, &ch, err);
    free(ch.row);
    free(ch.lab);
    free(ch.left);
    free(ch.gc);
    free(ch.sel);
    return rc;
}

/* ---- regions mode ---- */

/* Bases of [s, e) that the sorted, disjoint intervals iv[lo, hi) cover. */
static int64_t covered(const BedInterval *iv, int64_t lo, int64_t hi, int64_t s, int64_t e)
{
    int64_t a = lo, z = hi;
    while (a < z) { /* the first interval ending after s */
        int64_t mid = a + (z - a) / 2;
        if (iv[mid].end <= s)
            a = mid + 1;
        else
            z = mid;
    }
    int64_t sum = 0;
    for (int64_t i = a; i < hi && iv[i].start < e; i++)
        sum += (iv[i].end < e ? iv[i].end : e) - (iv[i].start > s ? iv[i].start : s);
    return sum;
}

/* Why region [s, e) with window ws is left out (LEFT_*), or 0. */
static int judge_region(const Conv *v, int c, const uint8_t *tok, int64_t len, int64_t s,
                        int64_t e, int64_t ws)
{
    const int64_t W = v->gs->window;
    if (covered(v->black.iv, v->bfirst[c], v->bfirst[c + 1], s, e) > 0)
        return LEFT_BLACK;
    if (ws < 0 || ws + W > len)
        return LEFT_END;
    int64_t h[6] = {0};
    count_range(tok, ws, ws + W, h, 1);
    return (double)h[5] > v->gs->max_n * (double)W ? LEFT_N : 0;
}

static int chrom_regions(Conv *v, int c, const uint8_t *tok, int64_t len, Error *err)
{
    const GenomeSettings *gs = v->gs;
    uint8_t *lab = xmalloc((size_t)v->KB, 1);
    int rc = 0;
    for (int64_t i = v->rfirst[c]; i < v->rfirst[c + 1] && rc == 0; i++) {
        const BedInterval *r = &v->regions.iv[i];
        int64_t ws = r->start + (r->end - r->start) / 2 - gs->window / 2;
        int any = 0;
        memset(lab, 0, (size_t)v->KB);
        for (int t = 0; t < v->K; t++) {
            int64_t cov = covered(v->peaks[t].iv, v->first[t][c], v->first[t][c + 1], r->start,
                                  r->end);
            int on = (double)cov >= gs->min_overlap * (double)(r->end - r->start);
            lab[t >> 3] |= (uint8_t)(on << (t & 7));
            any |= on;
        }
        v->rep->bins++;
        int left = judge_region(v, c, tok, len, r->start, r->end, ws);
        if (left) {
            (any ? v->rep->pos_left : v->rep->neg_left)[left - 1]++;
            continue;
        }
        rc = emit_row(v, c, tok, ws, lab, r->strand, err);
        if (any)
            v->rep->positives++;
        else
            v->rep->negatives++;
    }
    free(lab);
    return rc == 0 ? flush_signal(v, c, tok, err) : rc;
}

/* ---- the whole conversion ---- */

static int cmp_centre(const void *a, const void *b)
{
    const BedInterval *x = a, *y = b;
    int64_t cx = x->start + (x->end - x->start) / 2, cy = y->start + (y->end - y->start) / 2;
    if (x->chrom != y->chrom)
        return x->chrom < y->chrom ? -1 : 1;
    if (cx != cy)
        return cx < cy ? -1 : 1;
    if (x->start != y->start)
        return x->start < y->start ? -1 : 1;
    return (x->end > y->end) - (x->end < y->end);
}

/* The chromosomes to use: --chroms, each in the genome, or all. */
static int choose_chroms(Conv *v, Error *err)
{
    const GenomeSettings *gs = v->gs;
    v->use = xcalloc((size_t)v->C, 1);
    for (int i = 0; i < gs->nchroms; i++) {
        int c = genome_find(v->g, gs->chroms[i]);
        if (c < 0)
            return error_set(err, "--chroms: '%s' is not a chromosome of %s", gs->chroms[i],
                             gs->genome);
        v->use[c] = 1;
    }
    int64_t longest = 0;
    int at = 0;
    for (int c = 0; c < v->C; c++) {
        v->use[c] |= gs->nchroms == 0;
        if (v->use[c] && genome_length(v->g, c) > longest) {
            longest = genome_length(v->g, c);
            at = c;
        }
    }
    if (longest < gs->window || longest < gs->bin)
        return error_set(err, "%s: a window of %d bp (bins of %d) is longer than every "
                              "chromosome (the longest, %s, has %lld bp)", gs->genome, gs->window,
                         gs->bin, genome_name(v->g, at), (long long)longest);
    return 0;
}

/* A BED into set (merged or only sorted) and its per-chromosome index. */
static int load_bed(Conv *v, const char *path, int merge, BedSet *set, int64_t **first,
                    Error *err)
{
    if (bed_read(path, genome_chroms(v->g), v->gs->skip_unknown, set, err) != 0)
        return -1;
    v->rep->skipped_lines += set->skipped;
    if (merge)
        bed_merge(set);
    else
        bed_sort(set);
    *first = xmalloc((size_t)v->C + 1, sizeof **first);
    bed_index(set, v->C, *first);
    return 0;
}

static int load_inputs(Conv *v, Error *err)
{
    const GenomeSettings *gs = v->gs;
    v->g = genome_open(gs->genome, err);
    if (!v->g)
        return -1;
    v->C = genome_count(v->g);
    if (choose_chroms(v, err) != 0)
        return -1;
    v->peaks = xcalloc((size_t)v->K, sizeof *v->peaks);
    v->first = xcalloc((size_t)v->K, sizeof *v->first);
    for (int t = 0; t < v->K; t++) {
        if (load_bed(v, gs->peak_path[t], 1, &v->peaks[t], &v->first[t], err) != 0)
            return -1;
        v->rep->peaks[t] = v->peaks[t].n;
    }
    if (gs->blacklist && load_bed(v, gs->blacklist, 1, &v->black, &v->bfirst, err) != 0)
        return -1;
    if (!gs->blacklist) {
        v->bfirst = xcalloc((size_t)v->C + 1, sizeof *v->bfirst);
    }
    if (gs->regions && load_bed(v, gs->regions, 0, &v->regions, &v->rfirst, err) != 0)
        return -1;
    if (v->regions.n > 1) /* windows in genome order: by centre */
        qsort(v->regions.iv, (size_t)v->regions.n, sizeof *v->regions.iv, cmp_centre);
    if (gs->tracks &&
        signal_open(&v->sig, gs, v->g, v->use, sink_block_rows(gs->window), err) != 0)
        return -1;
    if (gs->oracle) /* a motif for each output target: the tracks, else the peaks */
        return oracle_open(&v->orc, gs->oracle, gs->tracks ? gs->tracks : v->K,
                           gs->tracks ? gs->track_name : gs->target_name, err);
    return 0;
}

/* The task and targets: the peaks' (binary or multilabel), or the tracks' (regression). */
static int output_targets(const Conv *v, const ConvertSettings *s, DatasetSpec *spec, Error *err)
{
    const GenomeSettings *gs = v->gs;
    if (gs->tracks) {
        if (s->task != TASK_AUTO && s->task != TASK_REGRESSION)
            return error_set(err, "--task %s: bigWig targets are signal (task regression)",
                             task_name(s->task));
        spec->task = TASK_REGRESSION;
        spec->targets = gs->tracks;
        spec->target_names = (char *const *)gs->track_name;
        spec->y_float = 1;
        return 0;
    }
    if (convert_resolve_task(s, v->K, 0, &spec->task, err) != 0)
        return -1;
    if (spec->task == TASK_MULTICLASS || spec->task == TASK_REGRESSION)
        return error_set(err, "--task %s: peaks give binary or multilabel labels (signal: "
                              "--bigwig)", task_name(spec->task));
    spec->targets = v->K;
    spec->target_names = (char *const *)gs->target_name;
    return 0;
}

static int open_output(Conv *v, const ConvertSettings *s, Error *err)
{
    DatasetSpec spec = {.n = -1, .length = v->gs->window, .with_ids = 1, .with_coords = 1,
                        .with_strand = v->gs->regions && v->regions.stranded,
                        .extra_name = v->orc.K ? "/oracle" : NULL, .extra_width = v->orc.K};
    if (output_targets(v, s, &spec, err) != 0 ||
        sink_open(&v->sink, s, &spec, v->gs->genome, v->sig.T ? "signal" : "labels", err) != 0)
        return -1;
    int64_t B = sink_block_rows(v->gs->window);
    sink_block_alloc(&v->blk, B, v->gs->window, spec.targets, 1);
    if (v->orc.K)
        v->blk.extra = xmalloc((size_t)B * (size_t)v->orc.K, sizeof *v->blk.extra);
    if (v->sig.T) {
        v->pend_centre = xmalloc((size_t)B, sizeof *v->pend_centre);
        v->pend_strand = xmalloc((size_t)B, 1);
        v->pend_y = xmalloc((size_t)B * (size_t)v->sig.T, sizeof *v->pend_y);
    }
    v->chrom = xmalloc((size_t)B, sizeof *v->chrom);
    v->start = xmalloc((size_t)B, sizeof *v->start);
    v->end = xmalloc((size_t)B, sizeof *v->end);
    v->strand = xmalloc((size_t)B, sizeof *v->strand);
    return 0;
}

/* Chromosome c onto the output's block (flushed as it fills); *rows: the rows it gave. */
static int run_chrom(Conv *v, int c, int64_t *rows, Error *err)
{
    int64_t len = genome_length(v->g, c), got;
    uint8_t *tok = genome_fetch(v->g, c, 0, len, &got, err);
    if (!tok)
        return -1;
    int64_t before = dataset_writer_rows(v->sink.w) + v->blk.b;
    v->rep->chroms++;
    int rc = v->gs->regions ? chrom_regions(v, c, tok, len, err) :
                              chrom_bins(v, c, tok, len, err);
    free(tok);
    *rows = dataset_writer_rows(v->sink.w) + v->blk.b - before;
    return rc;
}

/* The signal window and the bigWig files (one a line, in the order of /target_names). */
static int write_signal_provenance(Conv *v, Error *err)
{
    const GenomeSettings *gs = v->gs;
    size_t len = 1;
    for (int t = 0; t < gs->tracks; t++)
        len += strlen(gs->track_path[t]) + 1;
    char *files = xmalloc(len, 1), *p = files;
    for (int t = 0; t < gs->tracks; t++)
        p += sprintf(p, "%s%s", t ? "\n" : "", gs->track_path[t]);
    int rc = dataset_writer_attr_double(v->sink.w, "signal_window", gs->signal_window, err) != 0 ||
             dataset_writer_attr_string(v->sink.w, "bigwig_files", files, err) != 0 ||
             dataset_writer_attr_string(v->sink.w, "signal", "mean over the signal window; bases "
                                        "without data and NaN count as 0", err) != 0;
    free(files);
    return rc ? -1 : 0;
}

static int write_provenance(Conv *v, Error *err)
{
    DatasetWriter *w = v->sink.w;
    const GenomeSettings *gs = v->gs;
    if (dataset_writer_attr_double(w, "bin", gs->bin, err) != 0 ||
        dataset_writer_attr_double(w, "window", gs->window, err) != 0 ||
        dataset_writer_attr_double(w, "min_overlap", gs->min_overlap, err) != 0 ||
        dataset_writer_attr_double(w, "max_n", gs->max_n, err) != 0)
        return -1;
    if (!gs->regions && gs->targets > 0 &&
        (dataset_writer_attr_double(w, "negatives", gs->negatives, err) != 0 ||
         dataset_writer_attr_double(w, "seed", (double)gs->seed, err) != 0 ||
         dataset_writer_attr_double(w, "gc_match", gs->gc_match, err) != 0))
        return -1;
    return gs->tracks ? write_signal_provenance(v, err) : 0;
}

static void conv_free(Conv *v)
{
    sink_close(&v->sink);
    sink_block_free(&v->blk);
    for (int t = 0; v->peaks && t < v->K; t++) {
        bed_free(&v->peaks[t]);
        free(v->first[t]);
    }
    free(v->peaks);
    free(v->first);
    bed_free(&v->black);
    bed_free(&v->regions);
    free(v->bfirst);
    free(v->rfirst);
    free(v->use);
    free(v->chrom);
    free(v->start);
    free(v->end);
    free(v->strand);
    signal_close(&v->sig);
    oracle_close(&v->orc);
    free(v->pend_centre);
    free(v->pend_strand);
    free(v->pend_y);
    genome_close(v->g);
}

static int no_example(const Conv *v, Error *err)
{
    const char *unit = v->gs->regions ? "region" : "bin";
    if (v->K == 0)
        return error_set(err, "%s: no example: every %s is left out (blacklist, chromosome ends, "
                              "--max-n)", v->gs->genome, unit);
    return error_set(err, "%s: no example: no %s is positive for a target nor drawn as a "
                          "negative (do the peak files name this genome's chromosomes?)",
                     v->gs->genome, unit);
}

/* The output's last steps: a file of no example refused, the provenance, the rename. */
static int finish_output(Conv *v, Error *err)
{
    const GenomeSettings *gs = v->gs;
    int rc = 0;
    if (dataset_writer_rows(v->sink.w) == 0)
        rc = no_example(v, err);
    if (rc == 0)
        rc = write_provenance(v, err);
    if (rc == 0)
        rc = sink_finish(&v->sink, gs->genome, gs->regions ? "genome regions" : "genome bins",
                         err);
    return rc;
}

int convert_genome(const ConvertSettings *s, const GenomeSettings *gs, GenomeReport *rep,
                   Error *err)
{
    GenomeJob *j = genome_job_open(s, gs, 0, 1, rep, err);
    if (!j)
        return -1;
    int rc = genome_job_begin(j, err);
    for (int c = 0; c < genome_job_chroms(j) && rc == 0; c++) {
        int64_t rows;
        if (genome_job_owner(j, c) == 0)
            rc = genome_job_chrom(j, c, &rows, err);
    }
    if (rc == 0)
        rc = genome_job_end(j, err);
    genome_job_close(j);
    return rc;
}

void genome_report_free(GenomeReport *rep)
{
    free(rep->peaks);
    free(rep->target_pos);
    rep->peaks = rep->target_pos = NULL;
}


/* ---- over ranks ---- */

struct GenomeJob {
    Conv v;
    ConvertSettings s;
    int rank, nranks;
    int *owner; /* (C) genome_deal's */
};

void genome_deal(int C, const int64_t *load, int nranks, int *owner)
{
    double total = 0, before = 0;
    for (int c = 0; c < C; c++)
        total += load[c] >= 0 ? (double)load[c] : 0;
    for (int c = 0; c < C; c++) {
        owner[c] = -1;
        if (load[c] < 0)
            continue;
        double mid = before + 0.5 * (double)load[c]; /* the chromosome's middle, in bases */
        int r = total > 0 ? (int)(mid * nranks / total) : 0;
        owner[c] = r < nranks ? r : nranks - 1;
        before += (double)load[c];
    }
}

static void guard_owned_parts(const GenomeJob *j)
{
    int *mine = xmalloc((size_t)j->v.C, sizeof *mine), n = 0;
    for (int c = 0; c < j->v.C; c++)
        if (j->owner[c] == j->rank)
            mine[n++] = c;
    char prefix[4200];
    snprintf(prefix, sizeof prefix, "%s.tmp-chrom", j->s.out);
    guard_parts(prefix, mine, n);
    free(mine);
}

GenomeJob *genome_job_open(const ConvertSettings *s, const GenomeSettings *gs, int rank,
                           int nranks, GenomeReport *rep, Error *err)
{
    memset(rep, 0, sizeof *rep);
    rep->peaks = xcalloc((size_t)gs->targets, sizeof *rep->peaks);
    rep->target_pos = xcalloc((size_t)gs->targets, sizeof *rep->target_pos);
    GenomeJob *j = xcalloc(1, sizeof *j);
    j->v = (Conv){.gs = gs, .K = gs->targets, .KB = (gs->targets + 7) / 8, .rep = rep};
    j->s = *s;
    j->rank = rank;
    j->nranks = nranks;
    Conv *v = &j->v;
    if (load_inputs(v, err) != 0) {
        genome_job_close(j);
        return NULL;
    }
    int64_t *load = xmalloc((size_t)v->C, sizeof *load); /* a chromosome's bases, -1: unused */
    for (int c = 0; c < v->C; c++)
        load[c] = !v->use[c] || (gs->regions && v->rfirst[c] == v->rfirst[c + 1]) ?
                  -1 : genome_length(v->g, c);
    j->owner = xmalloc((size_t)v->C, sizeof *j->owner);
    genome_deal(v->C, load, nranks, j->owner);
    free(load);
    if (rank != 0) /* this rank's finished parts, until rank 0 takes them, go on a signal */
        guard_owned_parts(j);
    return j;
}

int genome_job_chroms(const GenomeJob *j) { return j->v.C; }
int genome_job_owner(const GenomeJob *j, int c) { return j->owner[c]; }

/* Chromosome c's part: <out>.tmp-chrom<c> (guard_owned_parts names them the same way). */
static void part_path(const GenomeJob *j, int c, char *buf, size_t size)
{
    snprintf(buf, size, "%s.tmp-chrom%d", j->s.out, c);
}

/* The output's block and the coordinates beside it, freed (the sink closed) for another open. */
static void output_free(Conv *v)
{
    sink_close(&v->sink);
    sink_block_free(&v->blk);
    free(v->chrom);
    free(v->start);
    free(v->end);
    free(v->strand);
    free(v->pend_centre);
    free(v->pend_strand);
    free(v->pend_y);
    v->chrom = NULL;
    v->start = v->end = NULL;
    v->strand = NULL;
    v->pend_centre = NULL;
    v->pend_strand = NULL;
    v->pend_y = NULL;
}

int genome_job_begin(GenomeJob *j, Error *err) { return open_output(&j->v, &j->s, err); }

/* Chromosome c into its own part (read back once: not compressed); none when it has no row. */
static int chrom_to_part(GenomeJob *j, int c, int64_t *rows, Error *err)
{
    Conv *v = &j->v;
    char path[4200];
    part_path(j, c, path, sizeof path);
    ConvertSettings ps = j->s;
    ps.out = path;
    ps.gzip = 0;
    int rc = open_output(v, &ps, err);
    if (rc == 0)
        rc = run_chrom(v, c, rows, err);
    if (rc == 0)
        rc = flush_rows(v, err);
    if (rc == 0 && *rows > 0)
        rc = sink_finish(&v->sink, v->gs->genome, "part", err);
    output_free(v);
    return rc;
}

int genome_job_chrom(GenomeJob *j, int c, int64_t *rows, Error *err)
{
    *rows = 0;
    if (j->rank != 0)
        return chrom_to_part(j, c, rows, err);
    return run_chrom(&j->v, c, rows, err);
}

/* A part's rows, read back a block at a time. */
typedef struct {
    uint8_t *tok;  /* (B, W) */
    float *y;      /* (B, K) */
    char **ids;    /* (B) */
    int64_t *start, *end;
    char *strand;  /* (B) */
    float *oracle; /* (B, orc.K), or NULL without --oracle */
} Stage;

/* Rows [0, n) of a part, all of chromosome c, onto the output's block. */
static int copy_rows(Conv *v, Dataset *d, Stage *st, int64_t n, int c, Error *err)
{
    const int W = v->gs->window, K = v->blk.K; /* the output's columns: targets or tracks */
    const int has_strand = dataset_info(d)->has_strand;
    for (int64_t r = 0; r < n;) {
        int64_t m = n - r < v->blk.B ? n - r : v->blk.B;
        if (dataset_read_rows(d, r, m, st->tok, st->y, err) != 0 ||
            dataset_read_ids(d, r, m, st->ids, err) != 0)
            return -1;
        int rc = dataset_read_coords(d, r, m, NULL, st->start, st->end, err), O = v->orc.K, w;
        if (rc == 0 && has_strand)
            rc = dataset_read_strand(d, r, m, st->strand, err);
        if (rc == 0 && O)
            rc = dataset_read_extra(d, "/oracle", r, m, st->oracle, &w, err);
        for (int64_t i = 0; i < m; i++) {
            int64_t b = v->blk.b;
            memcpy(v->blk.y + b * K, st->y + i * K, (size_t)K * sizeof *st->y);
            if (O)
                memcpy(v->blk.extra + b * O, st->oracle + i * O, (size_t)O * sizeof *st->oracle);
            sink_block_add(&v->blk, PAD_PRE, st->ids[i], st->tok + i * W, W);
            free(st->ids[i]);
            v->chrom[b] = genome_name(v->g, c);
            v->start[b] = st->start[i];
            v->end[b] = st->end[i];
            char sc = has_strand ? st->strand[i] : '.';
            v->strand[b] = sc == '+' ? "+" : sc == '-' ? "-" : ".";
            if (rc == 0 && v->blk.b == v->blk.B)
                rc = flush_rows(v, err);
        }
        if (rc != 0)
            return -1;
        r += m;
    }
    return 0;
}

int genome_job_take(GenomeJob *j, int c, int64_t rows, Error *err)
{
    if (rows == 0)
        return 0;
    Conv *v = &j->v;
    char path[4200];
    part_path(j, c, path, sizeof path);
    Dataset *d = dataset_open(path, err);
    if (!d)
        return -1;
    int rc = 0;
    if (dataset_info(d)->n != rows)
        rc = error_set(err, "%s: internal: %lld rows, %lld announced", path,
                       (long long)dataset_info(d)->n, (long long)rows);
    const int64_t B = v->blk.B;
    Stage st = {.tok = xmalloc((size_t)B, (size_t)v->gs->window),
                .y = xmalloc((size_t)B * (size_t)v->blk.K, sizeof *st.y),
                .ids = xcalloc((size_t)B, sizeof *st.ids),
                .start = xmalloc((size_t)B, sizeof *st.start),
                .end = xmalloc((size_t)B, sizeof *st.end), .strand = xmalloc((size_t)B, 1),
                .oracle = v->orc.K ? xmalloc((size_t)B * (size_t)v->orc.K, sizeof(float)) : NULL};
    if (rc == 0)
        rc = copy_rows(v, d, &st, rows, c, err);
    free(st.tok), free(st.y), free(st.ids), free(st.start), free(st.end), free(st.strand);
    free(st.oracle);
    dataset_close(d);
    unlink(path);
    return rc;
}

int genome_job_end(GenomeJob *j, Error *err)
{
    if (flush_rows(&j->v, err) != 0)
        return -1;
    return finish_output(&j->v, err);
}

void genome_job_close(GenomeJob *j)
{
    if (!j)
        return;
    for (int c = 0; j->rank != 0 && j->owner && c < j->v.C; c++)
        if (j->owner[c] == j->rank) { /* parts rank 0 did not take (after a failure) */
            char path[4200];
            part_path(j, c, path, sizeof path);
            unlink(path);
        }
    guard_parts(NULL, NULL, 0);
    conv_free(&j->v);
    free(j->owner);
    free(j);
}
