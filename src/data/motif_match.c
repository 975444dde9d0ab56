/* motif_match.c: motifs stacked from sites (a convolution filter's), MEME minimal motif format
 * (written for TOMTOM and every motif tool, read back for --motif-file), and a TOMTOM-like
 * comparison: the sum of the Pearson correlations of aligned columns, over every offset and both
 * strands, with a p-value from column shuffles of the target. See motif.h. The scan that finds a
 * filter's sites is train/motifs.c's. */
#include "data/motif.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/rng.h"

static const double uniform_bg[4] = {0.25, 0.25, 0.25, 0.25};

/* The arrays of a motif of width W (as motif.c's reader makes them). */
static void motif_alloc(Motif *m, int width)
{
    m->width = width;
    m->counts = xcalloc((size_t)width * 4, sizeof(double));
    m->prob = xcalloc((size_t)width * 4, sizeof(double));
    m->llr = xcalloc((size_t)width * 4, sizeof(double));
    m->tab = xcalloc((size_t)width * 8, sizeof(float));
    m->rtab = xcalloc((size_t)width * 8, sizeof(float));
}

void motif_from_counts(Motif *m, const char *id, const char *name, const double *counts, int width,
                       double nsites)
{
    memset(m, 0, sizeof *m);
    snprintf(m->id, sizeof m->id, "%s", id);
    snprintf(m->name, sizeof m->name, "%s", name);
    motif_alloc(m, width);
    memcpy(m->counts, counts, sizeof(double) * 4 * (size_t)width);
    m->nsites = nsites;
    /* motif_prepare: (count + pseudocount / 4) / (column total + pseudocount); a column's total is
     * nsites (N and padding spread 0.25 over the bases), so 4 gives Basset's (count + 1) / (S + 4) */
    motif_prepare(m, uniform_bg, 4.0);
}

int motif_write_meme(const char *path, const Motif *m, int n, const double bg[4], Error *err)
{
    FILE *f = out_open(path, err); /* PATH.tmp.PID, renamed by out_close when complete */
    if (!f)
        return -1;
    fprintf(f, "MEME version 4\n\nALPHABET= ACGT\n\nstrands: + -\n\n"
               "Background letter frequencies\nA %.4f C %.4f G %.4f T %.4f\n",
            bg[0], bg[1], bg[2], bg[3]);
    for (int i = 0; i < n; i++) {
        fprintf(f, "\nMOTIF %s %s\nletter-probability matrix: alength= 4 w= %d nsites= %.0f E= 0\n",
                m[i].id, m[i].name, m[i].width, m[i].nsites);
        for (int j = 0; j < m[i].width; j++) {
            const double *p = m[i].prob + 4 * j;
            fprintf(f, " %.6f  %.6f  %.6f  %.6f\n", p[0], p[1], p[2], p[3]);
        }
    }
    return out_close(f, path, err);
}

/* ---- reading MEME ---- */

/* A new motif at the end of set from "MOTIF ID [NAME]". */
static Motif *meme_begin(MotifSet *set, int *cap, const char *line)
{
    if (set->n == *cap) {
        *cap = *cap ? 2 * *cap : 64;
        Motif *m = xcalloc((size_t)*cap, sizeof *m);
        if (set->n)
            memcpy(m, set->m, (size_t)set->n * sizeof *m);
        free(set->m);
        set->m = m;
    }
    Motif *cur = &set->m[set->n++];
    char id[sizeof cur->id] = "", name[sizeof cur->name] = ""; /* longer ones are cut */
    sscanf(line + 5, " %31s %63s", id, name);
    memcpy(cur->id, id, sizeof id);
    memcpy(cur->name, name[0] ? name : id, name[0] ? sizeof name : sizeof id);
    return cur;
}

/* The w rows after a "letter-probability matrix:" line into cur. */
static int meme_matrix(FILE *fp, const char *path, long *lineno, const char *head, Motif *cur,
                       Error *err)
{
    const char *w = strstr(head, "w="), *s = strstr(head, "nsites=");
    int width = w ? atoi(w + 2) : 0;
    if (width < 1 || width > 512)
        return error_set(err, "%s line %ld: motif %s: expected w= 1..512 on the matrix line", path,
                         *lineno, cur->id);
    motif_alloc(cur, width);
    cur->nsites = s && atof(s + 7) > 0 ? atof(s + 7) : 20;
    char line[1024];
    for (int j = 0; j < width; j++) {
        double p[4];
        ++*lineno;
        if (!fgets(line, sizeof line, fp) ||
            sscanf(line, "%lf %lf %lf %lf", &p[0], &p[1], &p[2], &p[3]) != 4)
            return error_set(err, "%s line %ld: motif %s row %d: expected 4 probabilities", path,
                             *lineno, cur->id, j + 1);
        double total = p[0] + p[1] + p[2] + p[3];
        if (!(p[0] >= 0 && p[1] >= 0 && p[2] >= 0 && p[3] >= 0 && total > 0))
            return error_set(err, "%s line %ld: motif %s row %d: probabilities must be >= 0 with a "
                             "positive sum", path, *lineno, cur->id, j + 1);
        for (int b = 0; b < 4; b++)
            cur->counts[4 * j + b] = p[b] / total * cur->nsites;
    }
    motif_prepare(cur, uniform_bg, 0.0);
    return 0;
}

int motif_read_meme(const char *path, MotifSet *set, Error *err)
{
    memset(set, 0, sizeof *set);
    FILE *fp = fopen(path, "r");
    if (!fp)
        return error_set(err, "%s: cannot open motif file: %s", path, strerror(errno));
    char line[1024];
    long lineno = 0;
    int cap = 0, rc = 0;
    Motif *cur = NULL;
    while (rc == 0 && fgets(line, sizeof line, fp)) {
        lineno++;
        if (strncmp(line, "MOTIF", 5) == 0) {
            if (cur && !cur->width)
                rc = error_set(err, "%s line %ld: motif %s has no letter-probability matrix", path,
                               lineno, cur->id);
            cur = meme_begin(set, &cap, line);
        } else if (strncmp(line, "letter-probability matrix:", 26) == 0) {
            if (!cur || cur->width)
                rc = error_set(err, "%s line %ld: a matrix outside a motif (expected MOTIF first)",
                               path, lineno);
            else
                rc = meme_matrix(fp, path, &lineno, line, cur, err);
        }
    }
    fclose(fp);
    if (rc == 0 && cur && !cur->width)
        rc = error_set(err, "%s: motif %s has no letter-probability matrix", path, cur->id);
    if (rc == 0 && set->n == 0)
        rc = error_set(err, "%s: no motifs (expected MEME 'MOTIF' entries)", path);
    if (rc != 0)
        motif_set_free(set);
    return rc;
}

int motif_read_file(const char *path, MotifSet *set, Error *err)
{
    FILE *fp = fopen(path, "r");
    if (!fp)
        return error_set(err, "%s: cannot open motif file: %s", path, strerror(errno));
    char head[16] = "";
    size_t got = fread(head, 1, sizeof head - 1, fp);
    head[got] = '\0';
    fclose(fp);
    return strncmp(head, "MEME version", 12) == 0 ? motif_read_meme(path, set, err)
                                                 : motif_read_jaspar(path, set, err);
}

/* ---- comparison ---- */

double motif_column_pearson(const double *a, const double *b)
{
    double ma = (a[0] + a[1] + a[2] + a[3]) / 4, mb = (b[0] + b[1] + b[2] + b[3]) / 4;
    double sab = 0, saa = 0, sbb = 0;
    for (int i = 0; i < 4; i++) {
        sab += (a[i] - ma) * (b[i] - mb);
        saa += (a[i] - ma) * (a[i] - ma);
        sbb += (b[i] - mb) * (b[i] - mb);
    }
    return saa > 0 && sbb > 0 ? sab / sqrt(saa * sbb) : 0.0;
}

/* r (Wq, 2, Wt): the correlation of query column i with target column j (strand 0) and with the
 * complement of target column j (strand 1). */
static double *pearson_table(const Motif *q, const Motif *t)
{
    const int Wq = q->width, Wt = t->width;
    double *r = xmalloc((size_t)Wq * 2 * Wt, sizeof(double));
    for (int i = 0; i < Wq; i++)
        for (int j = 0; j < Wt; j++) {
            const double *c = t->prob + 4 * j;
            double comp[4] = {c[3], c[2], c[1], c[0]};
            r[((size_t)i * 2 + 0) * Wt + j] = motif_column_pearson(q->prob + 4 * i, c);
            r[((size_t)i * 2 + 1) * Wt + j] = motif_column_pearson(q->prob + 4 * i, comp);
        }
    return r;
}

/* The best alignment of the target whose column p is perm[p] (of the target as given): strand 1
 * reads column p of the reverse complement, the complement of column perm[Wt - 1 - p]. */
static MotifAlign best_alignment(const double *r, int Wq, int Wt, const int *perm, int min_overlap)
{
    int least = min_overlap < Wq ? min_overlap : Wq;
    least = least < Wt ? least : Wt;
    least = least < 1 ? 1 : least;
    MotifAlign best = {.score = -INFINITY};
    for (int strand = 0; strand < 2; strand++)
        for (int o = -(Wt - 1); o <= Wq - 1; o++) {
            int p0 = o < 0 ? -o : 0, p1 = Wq - o < Wt ? Wq - o : Wt; /* target columns [p0, p1) */
            if (p1 - p0 < least)
                continue;
            double s = 0;
            for (int p = p0; p < p1; p++) {
                int j = strand ? perm[Wt - 1 - p] : perm[p];
                s += r[((size_t)(o + p) * 2 + strand) * Wt + j];
            }
            if (s > best.score)
                best = (MotifAlign){s, o, strand, p1 - p0};
        }
    return best;
}

MotifAlign motif_compare(const Motif *q, const Motif *t, int min_overlap)
{
    double *r = pearson_table(q, t);
    int *perm = xmalloc((size_t)t->width, sizeof(int));
    for (int j = 0; j < t->width; j++)
        perm[j] = j;
    MotifAlign a = best_alignment(r, q->width, t->width, perm, min_overlap);
    free(perm);
    free(r);
    return a;
}

/* The upper tail at x of a Gumbel distribution fitted to n maxima by their mean and variance. */
static double gumbel_tail(const double *null, int n, double x)
{
    double mean = 0, var = 0;
    for (int i = 0; i < n; i++)
        mean += null[i];
    mean /= n;
    for (int i = 0; i < n; i++)
        var += (null[i] - mean) * (null[i] - mean);
    var /= n > 1 ? n - 1 : 1;
    double beta = sqrt(6.0 * var) / 3.14159265358979323846, mu = mean - 0.5772156649 * beta;
    if (!(beta > 0))
        return x > mu ? 0.0 : 1.0;
    return -expm1(-exp(-(x - mu) / beta));
}

double motif_compare_pvalue(const Motif *q, const Motif *t, double score, int min_overlap,
                            int max_shuffles, uint64_t seed, uint32_t stream)
{
    enum { HITS = 10 }; /* Besag & Clifford's h */
    const int Wt = t->width;
    double *r = pearson_table(q, t);
    double *null = xmalloc((size_t)max_shuffles, sizeof(double));
    int *perm = xmalloc((size_t)Wt, sizeof(int));
    int hits = 0, s;
    for (s = 1; s <= max_shuffles; s++) {
        for (int j = 0; j < Wt; j++)
            perm[j] = j;
        for (int j = Wt - 1; j > 0; j--) { /* Fisher-Yates, keyed by (stream, shuffle, j) */
            int k = (int)(rng_u64_at(seed, RNG_DATA, stream, (uint32_t)s, (uint64_t)j) % (uint64_t)(j + 1));
            int tmp = perm[j];
            perm[j] = perm[k], perm[k] = tmp;
        }
        null[s - 1] = best_alignment(r, q->width, Wt, perm, min_overlap).score;
        /* a shuffle that ties the score counts: the identity order must reach it */
        if (null[s - 1] >= score - 1e-9 && ++hits == HITS)
            break;
    }
    double p = hits == HITS ? (double)HITS / s : gumbel_tail(null, max_shuffles, score);
    free(perm);
    free(null);
    free(r);
    return p;
}

/* Insertion sort of idx by p, smaller first (n is a motif file's size: a few hundred). */
static void sort_by_p(int *idx, int n, const double *p)
{
    for (int i = 1; i < n; i++) {
        int v = idx[i], j = i;
        while (j > 0 && p[idx[j - 1]] > p[v]) {
            idx[j] = idx[j - 1];
            j--;
        }
        idx[j] = v;
    }
}

void motif_qvalues(const double *p, int n, double *q)
{
    int *idx = xmalloc((size_t)n + 1, sizeof(int));
    for (int i = 0; i < n; i++)
        idx[i] = i;
    sort_by_p(idx, n, p);
    double run = 1.0;
    for (int r = n - 1; r >= 0; r--) { /* q_(r) = min over ranks >= r of p_(k) n / k */
        double v = p[idx[r]] * n / (r + 1);
        run = v < run ? v : run;
        q[idx[r]] = run;
    }
    free(idx);
}
