/* synth_genome.c: `gseq_mpi synth --genome`: a synthetic genome FASTA with JASPAR motifs planted
 * at the peaks of the BED files it writes (synth.h), so that the genome path (convert --genome)
 * can be tested and benchmarked without a download. Every draw is keyed (rng.h) by (seed, what,
 * chromosome or target, element): the output depends on the settings only. One chromosome is held
 * at a time; the peaks of all targets are kept (8 bytes each). Motifs of targets whose peaks
 * overlap are planted in target order, a later one over an earlier one. The signal bigWigs are
 * drawn from the peaks alone (synth.h), one chromosome of steps at a time. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/rng.h"
#include "data/bigwig.h"
#include "data/dataset.h"
#include "data/motif.h"
#include "data/synth.h"

/* Streams of the draws: purpose << 24 | index (chromosome or target). */
enum { G_BASES = 1, G_PEAK, G_STRAND, G_SITE };

#define STREAM(purpose, index) ((uint32_t)(purpose) << 24 | (uint32_t)(index))

typedef struct {
    const SynthGenomeSettings *st;
    Motif **motif;   /* (K) */
    char **name;     /* (K) target names (motif names, made unique) */
    int64_t npeaks;  /* per target and chromosome */
    int64_t *start;  /* (K, C, npeaks) sorted within each chromosome */
} GenomeSynth;

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

/* Peak starts of every target on every chromosome, uniform over the places a peak fits. */
static void draw_peaks(GenomeSynth *g)
{
    const SynthGenomeSettings *st = g->st;
    const int K = st->targets, C = st->chroms;
    g->npeaks = (int64_t)llround(st->peaks_per_mb * (double)st->length / 1e6);
    g->start = xmalloc((size_t)K * (size_t)C * (size_t)(g->npeaks ? g->npeaks : 1), sizeof *g->start);
    const uint64_t span = (uint64_t)(st->length - st->peak_width + 1);
    for (int k = 0; k < K; k++)
        for (int c = 0; c < C; c++) {
            int64_t *s = g->start + ((int64_t)k * C + c) * g->npeaks;
            for (int64_t i = 0; i < g->npeaks; i++)
                s[i] = (int64_t)(rng_u64_at(st->seed, RNG_DATA, STREAM(G_PEAK, k), (uint32_t)c,
                                            (uint64_t)i) % span);
            qsort(s, (size_t)g->npeaks, sizeof *s, cmp_i64);
        }
}

static int peak_strand(const GenomeSynth *g, int k, int c, int64_t i)
{
    return rng_uniform_at(g->st->seed, RNG_DATA, STREAM(G_STRAND, k), (uint32_t)c,
                          (uint64_t)i) < 0.5f;
}

/* Chromosome c: background bases, then every target's motif at the centre of its peaks. */
static void make_chrom(const GenomeSynth *g, int c, uint8_t *seq)
{
    const SynthGenomeSettings *st = g->st;
    const float a = (float)((1 - st->gc) / 2), ac = 0.5f, acg = (float)(0.5 + st->gc / 2);
    for (int64_t j = 0; j < st->length; j += 4) {
        float u[4];
        rng_uniform4(st->seed, RNG_DATA, STREAM(G_BASES, c), 0, (uint64_t)j / 4, u);
        for (int q = 0; q < 4 && j + q < st->length; q++)
            seq[j + q] = u[q] < a ? TOKEN_A : u[q] < ac ? TOKEN_C : u[q] < acg ? TOKEN_G : TOKEN_T;
    }
    for (int k = 0; k < st->targets; k++) {
        const Motif *m = g->motif[k];
        const int W = m->width;
        const int64_t *s = g->start + ((int64_t)k * st->chroms + c) * g->npeaks;
        for (int64_t i = 0; i < g->npeaks; i++) {
            int64_t p = s[i] + (st->peak_width - W) / 2;
            int reverse = peak_strand(g, k, c, i);
            uint64_t key = (uint64_t)c << 44 | (uint64_t)i << 12; /* W < 4096 */
            for (int j = 0; j < W; j++) {
                float u = rng_uniform_at(st->seed, RNG_DATA, STREAM(G_SITE, k), 0, key | (uint64_t)j);
                int tok = motif_sample(m, j, u);
                if (reverse)
                    seq[p + W - 1 - j] = (uint8_t)(TOKEN_A + TOKEN_T - tok);
                else
                    seq[p + j] = (uint8_t)tok;
            }
        }
    }
}

static int write_fasta(const GenomeSynth *g, Error *err)
{
    const SynthGenomeSettings *st = g->st;
    FILE *f = out_open(st->fasta, err);
    if (!f)
        return -1;
    uint8_t *seq = xmalloc((size_t)st->length, 1);
    char line[62];
    for (int c = 0; c < st->chroms; c++) {
        make_chrom(g, c, seq);
        fprintf(f, ">chr%d synthetic\n", c + 1);
        for (int64_t j = 0; j < st->length; j += 60) {
            int n = st->length - j < 60 ? (int)(st->length - j) : 60;
            for (int q = 0; q < n; q++)
                line[q] = TOKEN_LETTERS[seq[j + q]];
            line[n] = '\n';
            fwrite(line, 1, (size_t)n + 1, f);
        }
    }
    free(seq);
    return out_close(f, st->fasta, err);
}

/* DIR/<name>.bed of target k: BED6 with the planted motif's strand, in genome order. */
static int write_bed(const GenomeSynth *g, int k, const char *path, Error *err)
{
    const SynthGenomeSettings *st = g->st;
    FILE *f = out_open(path, err);
    if (!f)
        return -1;
    for (int c = 0; c < st->chroms; c++) {
        const int64_t *s = g->start + ((int64_t)k * st->chroms + c) * g->npeaks;
        for (int64_t i = 0; i < g->npeaks; i++)
            fprintf(f, "chr%d\t%lld\t%lld\t%s_%lld\t0\t%c\n", c + 1, (long long)s[i],
                    (long long)(s[i] + st->peak_width), g->name[k], (long long)i,
                    peak_strand(g, k, c, i) ? '-' : '+');
    }
    return out_close(f, path, err);
}

/* Target names: the motifs' names with '/' and spaces as '_', a second use of one as NAME_2. */
static void name_targets(GenomeSynth *g)
{
    const int K = g->st->targets;
    g->name = xcalloc((size_t)K, sizeof *g->name);
    for (int k = 0; k < K; k++) {
        const char *base = g->motif[k]->name[0] ? g->motif[k]->name : g->motif[k]->id;
        g->name[k] = xmalloc(strlen(base) + 16, 1);
        strcpy(g->name[k], base);
        for (char *p = g->name[k]; *p; p++)
            if (*p == '/' || *p == ' ' || *p == '\t')
                *p = '_';
        for (int j = 0, n = 2; j < k; j++)
            if (strcmp(g->name[j], g->name[k]) == 0) {
                sprintf(g->name[k], "%s_%d", base, n++);
                j = -1;
            }
    }
}

/* mkdir -p */
static int make_folder(const char *dir, Error *err)
{
    char *p = xmalloc(strlen(dir) + 1, 1);
    strcpy(p, dir);
    int rc = 0;
    for (char *q = p + 1;; q++) {
        if (*q != '/' && *q != '\0')
            continue;
        char c = *q;
        *q = '\0';
        if (mkdir(p, 0777) != 0 && errno != EEXIST)
            rc = error_set(err, "--peaks-out %s: cannot make the folder %s: %s", dir, p,
                           strerror(errno));
        *q = c;
        if (rc != 0 || c == '\0')
            break;
    }
    free(p);
    return rc;
}

static int write_peaks(const GenomeSynth *g, Error *err)
{
    const SynthGenomeSettings *st = g->st;
    if (make_folder(st->peaks_dir, err) != 0)
        return -1;
    size_t dl = strlen(st->peaks_dir);
    char *path = xmalloc(dl + 300, 1);
    int rc = 0;
    for (int k = 0; k < st->targets && rc == 0; k++) {
        snprintf(path, dl + 300, "%s/%s.bed", st->peaks_dir, g->name[k]);
        rc = write_bed(g, k, path, err);
    }
    snprintf(path, dl + 300, "%s/targets.tsv", st->peaks_dir);
    FILE *tsv = rc == 0 ? out_open(path, err) : NULL;
    if (tsv) {
        for (int k = 0; k < st->targets; k++)
            fprintf(tsv, "%s\t%s.bed\n", g->name[k], g->name[k]);
        rc = out_close(tsv, path, err);
    } else {
        rc = -1;
    }
    snprintf(path, dl + 300, "%s/motifs.tsv", st->peaks_dir); /* for convert --oracle */
    FILE *mot = rc == 0 ? out_open(path, err) : NULL;
    if (mot) {
        for (int k = 0; k < st->targets; k++)
            fprintf(mot, "%s\t%s\n", g->name[k], g->motif[k]->id);
        rc = out_close(mot, path, err);
    } else {
        rc = -1;
    }
    free(path);
    return rc;
}

/* Chromosome c of target k's signal: steps of SYNTH_SIGNAL_STEP bases (S of them), each the
 * triangle's value at the step's centre, summed over the peaks. */
static void signal_steps(const GenomeSynth *g, int k, int c, float *v, int64_t S)
{
    const SynthGenomeSettings *st = g->st;
    const double half = st->peak_width / 2.0;
    memset(v, 0, (size_t)S * sizeof *v);
    const int64_t *s = g->start + ((int64_t)k * st->chroms + c) * g->npeaks;
    for (int64_t i = 0; i < g->npeaks; i++)
        for (int64_t j = s[i] / SYNTH_SIGNAL_STEP; j < S; j++) {
            double x = (j + 0.5) * SYNTH_SIGNAL_STEP - (double)s[i]; /* from the peak's start */
            if (x >= st->peak_width)
                break;
            if (x > 0)
                v[j] += (float)(SYNTH_SIGNAL_HEIGHT * (1 - fabs(x - half) / half));
        }
}

/* DIR/<name>.bw of target k: the non-zero steps as bedGraph intervals. */
static int write_signal(const GenomeSynth *g, int k, const char *path, Error *err)
{
    const SynthGenomeSettings *st = g->st;
    const int C = st->chroms;
    char **names = xmalloc((size_t)C, sizeof *names);
    uint32_t *len = xmalloc((size_t)C, sizeof *len);
    for (int c = 0; c < C; c++) {
        names[c] = xmalloc(16, 1);
        snprintf(names[c], 16, "chr%d", c + 1);
        len[c] = (uint32_t)st->length;
    }
    const int64_t S = (st->length + SYNTH_SIGNAL_STEP - 1) / SYNTH_SIGNAL_STEP;
    float *v = xmalloc((size_t)S, sizeof *v), *val = xmalloc((size_t)S, sizeof *val);
    uint32_t *a = xmalloc((size_t)S, sizeof *a), *b = xmalloc((size_t)S, sizeof *b);
    BigWigWriter *w = bigwig_create(path, C, (const char *const *)names, len, err);
    int rc = w ? 0 : -1;
    for (int c = 0; c < C && rc == 0; c++) {
        signal_steps(g, k, c, v, S);
        uint32_t n = 0;
        for (int64_t j = 0; j < S; j++)
            if (v[j] != 0) {
                a[n] = (uint32_t)(j * SYNTH_SIGNAL_STEP);
                b[n] = (uint32_t)((j + 1) * SYNTH_SIGNAL_STEP < st->length ?
                                  (j + 1) * SYNTH_SIGNAL_STEP : st->length);
                val[n++] = v[j];
            }
        if (n > 0)
            rc = bigwig_add(w, names[c], n, a, b, val, err);
    }
    if (w && bigwig_finish(w, rc == 0 ? err : NULL) != 0)
        rc = -1;
    if (rc != 0)
        unlink(path); /* no half-written track */
    for (int c = 0; c < C; c++)
        free(names[c]);
    free(names), free(len), free(v), free(val), free(a), free(b);
    return rc;
}

/* Every target's bigWig and DIR/signal.tsv. */
static int write_signals(const GenomeSynth *g, Error *err)
{
    const SynthGenomeSettings *st = g->st;
    size_t dl = strlen(st->peaks_dir);
    char *path = xmalloc(dl + 300, 1);
    int rc = 0;
    for (int k = 0; k < st->targets && rc == 0; k++) {
        snprintf(path, dl + 300, "%s/%s.bw", st->peaks_dir, g->name[k]);
        rc = write_signal(g, k, path, err);
    }
    snprintf(path, dl + 300, "%s/signal.tsv", st->peaks_dir);
    FILE *tsv = rc == 0 ? out_open(path, err) : NULL;
    if (tsv) {
        for (int k = 0; k < st->targets; k++)
            fprintf(tsv, "%s\t%s.bw\n", g->name[k], g->name[k]);
        rc = out_close(tsv, path, err);
    } else {
        rc = -1;
    }
    free(path);
    return rc;
}

/* An old index beside the FASTA would describe another genome. */
static int remove_old_index(const char *fasta, Error *err)
{
    static const char *ext[] = {".fai", ".gzi"};
    char *p = xmalloc(strlen(fasta) + 5, 1);
    int rc = 0;
    for (int e = 0; e < 2 && rc == 0; e++) {
        sprintf(p, "%s%s", fasta, ext[e]);
        if (unlink(p) != 0 && errno != ENOENT)
            rc = error_set(err, "%s: cannot remove the old index: %s", p, strerror(errno));
    }
    free(p);
    return rc;
}

static int check_settings(const SynthGenomeSettings *st, Error *err)
{
    if (!st->peaks_dir)
        return error_set(err, "--genome needs --peaks-out DIR (the peak files of the targets)");
    if (st->peak_width > st->length)
        return error_set(err, "--peak-width %d is longer than a chromosome (--chrom-length %lld)",
                         st->peak_width, (long long)st->length);
    return 0;
}

int synth_genome_write(const SynthGenomeSettings *st, Error *err)
{
    if (check_settings(st, err) != 0)
        return -1;
    MotifSet set;
    if (motif_read_jaspar(st->motif_file, &set, err) != 0)
        return -1;
    GenomeSynth g = {.st = st};
    g.motif = xcalloc((size_t)st->targets, sizeof *g.motif);
    int rc = synth_pick_motifs(&set, st->motifs, st->targets, st->peak_width, g.motif, err);
    const double bg[4] = {(1 - st->gc) / 2, st->gc / 2, st->gc / 2, (1 - st->gc) / 2};
    for (int k = 0; rc == 0 && k < st->targets; k++) {
        motif_prepare(g.motif[k], bg, 0.8);
        if (g.motif[k]->width >= 4096)
            rc = error_set(err, "motif %s: %d wide, more than 4095", g.motif[k]->id,
                           g.motif[k]->width);
    }
    if (rc == 0) {
        name_targets(&g);
        draw_peaks(&g);
        rc = remove_old_index(st->fasta, err);
    }
    if (rc == 0)
        rc = write_peaks(&g, err);
    if (rc == 0 && st->signal)
        rc = write_signals(&g, err);
    if (rc == 0)
        rc = write_fasta(&g, err);
    for (int k = 0; g.name && k < st->targets; k++)
        free(g.name[k]);
    free(g.name);
    free(g.start);
    free(g.motif);
    motif_set_free(&set);
    return rc;
}
