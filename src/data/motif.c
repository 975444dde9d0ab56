/* motif.c: JASPAR motifs, PWM sampling and log-likelihood-ratio scores. See motif.h. */
#include "data/motif.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <limits.h>
#include <unistd.h>

#include "data/dataset.h"

/* Parses the numbers of one matrix row ("4 19 0 0" or "A [ 4 19 0 0 ]"); returns the count. */
static int parse_row(const char *line, double *out, int cap)
{
    int n = 0;
    const char *p = line;
    while (*p) {
        if (isdigit((unsigned char)*p) || *p == '.' || ((*p == '-' || *p == '+') && isdigit((unsigned char)p[1]))) {
            char *end;
            double v = strtod(p, &end);
            if (end == p) {
                p++;
                continue;
            }
            if (n < cap)
                out[n] = v;
            n++;
            p = end;
        } else {
            p++;
        }
    }
    return n;
}

static void trim_newline(char *s)
{
    size_t n = strlen(s);
    while (n > 0 && (s[n - 1] == '\n' || s[n - 1] == '\r' || s[n - 1] == ' ' || s[n - 1] == '\t'))
        s[--n] = '\0';
}

enum { ROWS = 4, MAXW = 512 }; /* rows A C G T of a matrix; its widest */

/* A new motif at the end of set from its header line ">ID NAME" (no name: the ID). */
static Motif *motif_begin(MotifSet *set, int *cap, const char *line)
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
    const char *p = line + 1;
    while (*p == ' ' || *p == '\t')
        p++;
    size_t idlen = strcspn(p, " \t");
    snprintf(cur->id, sizeof cur->id, "%.*s", (int)idlen, p);
    p += idlen;
    while (*p == ' ' || *p == '\t')
        p++;
    snprintf(cur->name, sizeof cur->name, "%s", *p ? p : cur->id);
    return cur;
}

/* The four rows read, as the motif's counts (none negative) and its tables, still unprepared. */
static int motif_store(Motif *cur, double rows[ROWS][MAXW], int width, const char *path,
                       Error *err)
{
    cur->width = width;
    cur->counts = xmalloc((size_t)width * 4, sizeof(double));
    cur->prob = xmalloc((size_t)width * 4, sizeof(double));
    cur->llr = xmalloc((size_t)width * 4, sizeof(double));
    cur->tab = xcalloc((size_t)width * 8, sizeof(float));
    cur->rtab = xcalloc((size_t)width * 8, sizeof(float));
    for (int j = 0; j < width; j++)
        for (int b = 0; b < 4; b++) {
            double c = rows[b][j];
            if (!(c >= 0))
                return error_set(err, "%s: motif %s: negative count", path, cur->id);
            cur->counts[j * 4 + b] = c;
            if (j == 0)
                cur->nsites += c;
        }
    return 0;
}

/* The motifs of an open file: headers, then four rows of as many numbers each. */
static int read_motifs(FILE *fp, const char *path, MotifSet *set, Error *err)
{
    int cap = 0, rc = 0, row = ROWS, width = 0;
    char *line = NULL;
    size_t linecap = 0;
    long lineno = 0;
    double rows[ROWS][MAXW];
    Motif *cur = NULL;
    while (rc == 0 && getline(&line, &linecap, fp) >= 0) {
        lineno++;
        trim_newline(line);
        if (line[0] == '\0')
            continue;
        if (line[0] == '>') {
            if (row != ROWS) {
                rc = error_set(err, "%s line %ld: motif %s has %d rows, expected 4 (A C G T)", path,
                               lineno, cur->id, row);
                break;
            }
            cur = motif_begin(set, &cap, line);
            row = 0;
            width = 0;
            continue;
        }
        if (!cur || row >= ROWS) {
            rc = error_set(err, "%s line %ld: a matrix row outside a motif (expected '>ID NAME')",
                           path, lineno);
            break;
        }
        int n = parse_row(line, rows[row], MAXW);
        if (n < 1 || n > MAXW || (row > 0 && n != width)) {
            rc = error_set(err, "%s line %ld: motif %s row %d has %d numbers, expected %s", path,
                           lineno, cur->id, row + 1, n, row > 0 ? "as many as row 1" : "1..512");
            break;
        }
        width = n;
        if (++row == ROWS)
            rc = motif_store(cur, rows, width, path, err);
    }
    free(line);
    if (rc == 0 && row != ROWS)
        rc = error_set(err, "%s: motif %s is incomplete at the end of the file", path, cur->id);
    if (rc == 0 && set->n == 0)
        rc = error_set(err, "%s: no motifs (expected JASPAR '>ID NAME' headers)", path);
    return rc;
}

int motif_read_jaspar(const char *path, MotifSet *set, Error *err)
{
    memset(set, 0, sizeof *set);
    FILE *fp = fopen(path, "r");
    if (!fp)
        return error_set(err, "%s: cannot open motif file: %s", path, strerror(errno));
    int rc = read_motifs(fp, path, set, err);
    fclose(fp);
    if (rc != 0) {
        motif_set_free(set);
        return -1;
    }
    static const double uniform[4] = {0.25, 0.25, 0.25, 0.25};
    for (int i = 0; i < set->n; i++)
        motif_prepare(&set->m[i], uniform, 0.8);
    return 0;
}

void motif_free(Motif *m)
{
    free(m->counts);
    free(m->prob);
    free(m->llr);
    free(m->tab);
    free(m->rtab);
    m->counts = m->prob = m->llr = NULL;
    m->tab = m->rtab = NULL;
}

void motif_set_free(MotifSet *set)
{
    for (int i = 0; i < set->n; i++)
        motif_free(&set->m[i]);
    free(set->m);
    set->m = NULL;
    set->n = 0;
}

const Motif *motif_find(const MotifSet *set, const char *key)
{
    size_t klen = strlen(key);
    for (int i = 0; i < set->n; i++) /* exact ID */
        if (strcasecmp(set->m[i].id, key) == 0)
            return &set->m[i];
    for (int i = 0; i < set->n; i++) /* ID without version */
        if (strncasecmp(set->m[i].id, key, klen) == 0 && set->m[i].id[klen] == '.')
            return &set->m[i];
    for (int i = 0; i < set->n; i++)
        if (strcasecmp(set->m[i].name, key) == 0)
            return &set->m[i];
    return NULL;
}

void motif_prepare(Motif *m, const double bg[4], double pseudocount)
{
    for (int j = 0; j < m->width; j++) {
        double total = pseudocount;
        for (int b = 0; b < 4; b++)
            total += m->counts[j * 4 + b];
        for (int b = 0; b < 4; b++) {
            double p = (m->counts[j * 4 + b] + pseudocount / 4) / total;
            m->prob[j * 4 + b] = p;
            m->llr[j * 4 + b] = log(p / bg[b]);
        }
    }
    const int W = m->width;
    for (int j = 0; j < W; j++)
        for (int b = 0; b < 4; b++) {
            m->tab[j * 8 + TOKEN_A + b] = (float)m->llr[j * 4 + b];
            /* reverse strand: window position j reads motif position W-1-j, complemented */
            m->rtab[j * 8 + TOKEN_A + b] = (float)m->llr[(W - 1 - j) * 4 + (3 - b)];
        }
}

double motif_information(const Motif *m)
{
    double bits = 0;
    for (int j = 0; j < m->width; j++)
        for (int b = 0; b < 4; b++) {
            double p = m->prob[j * 4 + b];
            if (p > 0)
                bits += p * log2(p / 0.25);
        }
    return bits;
}

int motif_sample(const Motif *m, int j, float u)
{
    const double *p = m->prob + j * 4;
    double c = 0;
    for (int b = 0; b < 3; b++) {
        c += p[b];
        if (u < c)
            return TOKEN_A + b;
    }
    return TOKEN_T;
}

double motif_llr(const Motif *m, const uint8_t *t, int strand)
{
    const int W = m->width;
    double s = 0;
    for (int j = 0; j < W; j++) {
        int tok = strand ? t[W - 1 - j] : t[j];
        if (tok < TOKEN_A || tok > TOKEN_T)
            continue; /* N (and padding) carry no evidence */
        int b = strand ? 3 - (tok - TOKEN_A) : tok - TOKEN_A; /* complement: A<->T, C<->G */
        s += m->llr[j * 4 + b];
    }
    return s;
}

double motif_oracle(const Motif *m, const uint8_t *t, int len)
{
    enum { CHUNK = 512 };
    const int W = m->width;
    if (len < W)
        return -INFINITY;
    const int npos = len - W + 1;
    /* Scores of CHUNK windows at a time, both strands, accumulated column by column of the motif
     * (table look-ups by token); then a log-sum-exp that rescales by the running maximum and skips
     * windows too far below it to matter (e^-24 of the maximum). */
    double best = -INFINITY, sum = 0;
    float fw[CHUNK], rv[CHUNK];
    for (int p0 = 0; p0 < npos; p0 += CHUNK) {
        const int c = npos - p0 < CHUNK ? npos - p0 : CHUNK;
        for (int p = 0; p < c; p++)
            fw[p] = rv[p] = 0;
        for (int j = 0; j < W; j++) {
            const float *ft = m->tab + j * 8, *rt = m->rtab + j * 8;
            const uint8_t *tj = t + p0 + j;
            for (int p = 0; p < c; p++) {
                fw[p] += ft[tj[p] & 7];
                rv[p] += rt[tj[p] & 7];
            }
        }
        float top = fw[0];
        for (int p = 0; p < c; p++) {
            top = fw[p] > top ? fw[p] : top;
            top = rv[p] > top ? rv[p] : top;
        }
        if (top > best) {
            sum *= exp(best - top);
            best = top;
        }
        const float cut = (float)best - 24.0f, ref = (float)best;
        float part = 0;
        for (int p = 0; p < c; p++) {
            if (fw[p] > cut)
                part += expf(fw[p] - ref);
            if (rv[p] > cut)
                part += expf(rv[p] - ref);
        }
        sum += part;
    }
    return best + log(sum / (2.0 * npos));
}

const char *motif_default_file(char *buf, size_t n)
{
    const char *rel = "data/jaspar_vertebrates.pfm";
    if (access(rel, R_OK) == 0)
        return rel;
    char exe[PATH_MAX];
    ssize_t len = readlink("/proc/self/exe", exe, sizeof exe - 1);
    char *slash = len > 0 ? (exe[len] = '\0', strrchr(exe, '/')) : NULL;
    if (slash) {
        *slash = '\0';
        snprintf(buf, n, "%s/%s", exe, rel);
        if (access(buf, R_OK) == 0)
            return buf;
    }
    return rel;
}
