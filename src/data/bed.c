/* bed.c: BED, narrowPeak and broadPeak reading (bed.h) through zlib, which reads plain files too;
 * sorting and merging of intervals, and the target name a file gives. */
#include "data/bed.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#define BED_LINE_MAX (1 << 16)
#define BED_MAX_COLS 16

typedef enum { KIND_BED, KIND_NARROW, KIND_BROAD } BedKind;

static int ends_with(const char *s, const char *tail)
{
    size_t a = strlen(s), b = strlen(tail);
    return a >= b && strcmp(s + a - b, tail) == 0;
}

static BedKind kind_of(const char *path)
{
    char *p = xmalloc(strlen(path) + 1, 1);
    strcpy(p, path);
    if (ends_with(p, ".gz"))
        p[strlen(p) - 3] = '\0';
    BedKind k = ends_with(p, ".narrowPeak") ? KIND_NARROW :
                ends_with(p, ".broadPeak") ? KIND_BROAD : KIND_BED;
    free(p);
    return k;
}

/* Splits a line at runs of tabs and spaces; the number of columns (at most BED_MAX_COLS). */
static int split_columns(char *line, char **col)
{
    int n = 0;
    char *p = line;
    while (*p && n < BED_MAX_COLS) {
        while (*p == '\t' || *p == ' ')
            p++;
        if (!*p)
            break;
        col[n++] = p;
        while (*p && *p != '\t' && *p != ' ')
            p++;
        if (*p)
            *p++ = '\0';
    }
    return n;
}

static int parse_int(const char *s, int64_t *v)
{
    char *end;
    errno = 0;
    long long x = strtoll(s, &end, 10);
    if (errno || end == s || *end)
        return -1;
    *v = x;
    return 0;
}

static int is_number(const char *s)
{
    char *end;
    errno = 0;
    (void)strtod(s, &end);
    return end != s && !*end && errno != ERANGE;
}

/* The peak columns (5, 7.. numbers; 6 a strand) of a narrowPeak or broadPeak line. */
static int check_peak_columns(const char *path, int64_t lineno, BedKind kind, char **col, int n,
                              Error *err)
{
    const char *what = kind == KIND_NARROW ? "narrowPeak" : "broadPeak";
    int want = kind == KIND_NARROW ? 10 : 9;
    static const char *names[] = {"", "", "", "", "score", "strand", "signalValue", "pValue",
                                  "qValue", "peak"};
    if (n < want)
        return error_set(err, "%s line %lld: %d columns, a %s line has %d (chrom start end name "
                              "score strand signalValue pValue qValue%s)", path, (long long)lineno,
                         n, what, want, kind == KIND_NARROW ? " peak" : "");
    for (int c = 4; c < want; c++) {
        if (c == 5) {
            if (strcmp(col[c], "+") && strcmp(col[c], "-") && strcmp(col[c], "."))
                return error_set(err, "%s line %lld: strand '%s', expected +, - or . (column 6 of "
                                      "a %s)", path, (long long)lineno, col[c], what);
        } else if (!is_number(col[c])) {
            return error_set(err, "%s line %lld: %s '%s' is not a number (column %d of a %s)",
                             path, (long long)lineno, names[c], col[c], c + 1, what);
        }
    }
    return 0;
}

static void set_push(BedSet *s, BedInterval v)
{
    if (s->n == s->cap) {
        int64_t cap = s->cap ? s->cap * 2 : 1024;
        BedInterval *iv = xmalloc((size_t)cap, sizeof *iv);
        if (s->n)
            memcpy(iv, s->iv, (size_t)s->n * sizeof *iv);
        free(s->iv);
        s->iv = iv;
        s->cap = cap;
    }
    s->iv[s->n++] = v;
}

/* One data line (already split) into out. */
static int parse_line(const char *path, int64_t lineno, BedKind kind, char **col, int n,
                      const ChromTable *chroms, int skip_unknown, BedSet *out, Error *err)
{
    int64_t start, end;
    if (n < 3)
        return error_set(err, "%s line %lld: %d column%s, expected at least 3 (chrom start end)",
                         path, (long long)lineno, n, n == 1 ? "" : "s");
    if (parse_int(col[1], &start) != 0 || parse_int(col[2], &end) != 0)
        return error_set(err, "%s line %lld: '%s %s' is not BED (expected chrom, then start and "
                              "end as whole numbers)", path, (long long)lineno, col[1], col[2]);
    if (kind != KIND_BED && check_peak_columns(path, lineno, kind, col, n, err) != 0)
        return -1;
    int c = chrom_table_find(chroms, col[0]);
    if (c < 0) {
        if (skip_unknown) {
            out->skipped++;
            return 0;
        }
        return error_set(err, "%s line %lld: chromosome '%s' is not in the genome (or give "
                              "--skip-unknown-chroms)", path, (long long)lineno, col[0]);
    }
    if (start < 0 || end < 0)
        return error_set(err, "%s line %lld: negative coordinate %lld (BED is 0-based, from 0)",
                         path, (long long)lineno, (long long)(start < 0 ? start : end));
    if (start >= end)
        return error_set(err, "%s line %lld: start %lld >= end %lld (expected start < end)", path,
                         (long long)lineno, (long long)start, (long long)end);
    if (end > chroms->length[c])
        return error_set(err, "%s line %lld: end %lld is past the end of %s (%lld bp)", path,
                         (long long)lineno, (long long)end, col[0], (long long)chroms->length[c]);
    char strand = n >= 6 && (!strcmp(col[5], "+") || !strcmp(col[5], "-")) ? col[5][0] : '.';
    out->stranded |= strand != '.';
    set_push(out, (BedInterval){start, end, c, strand});
    return 0;
}

static int has_control(const char *s)
{
    for (; *s; s++)
        if ((unsigned char)*s < 0x20 && *s != '\t')
            return 1;
    return 0;
}

static int skip_line(const char *s)
{
    while (*s == ' ' || *s == '\t')
        s++;
    return !*s || *s == '#' || !strncmp(s, "track", 5) || !strncmp(s, "browser", 7);
}

int bed_read(const char *path, const ChromTable *chroms, int skip_unknown, BedSet *out,
             Error *err)
{
    errno = 0;
    gzFile g = gzopen(path, "rb");
    if (!g)
        return error_set(err, "%s: cannot open: %s", path, strerror(errno ? errno : ENOMEM));
    BedKind kind = kind_of(path);
    char *line = xmalloc(BED_LINE_MAX, 1), *col[BED_MAX_COLS];
    int64_t lineno = 0;
    int rc = 0;
    while (rc == 0 && gzgets(g, line, BED_LINE_MAX)) {
        lineno++;
        size_t len = strlen(line);
        if (len == BED_LINE_MAX - 1 && line[len - 1] != '\n')
            rc = error_set(err, "%s line %lld: longer than %d characters (not BED?)", path,
                           (long long)lineno, BED_LINE_MAX - 2);
        while (len && (line[len - 1] == '\n' || line[len - 1] == '\r'))
            line[--len] = '\0';
        if (rc || skip_line(line))
            continue;
        if (has_control(line))
            rc = error_set(err, "%s line %lld: control characters: not BED text", path,
                           (long long)lineno);
        else
            rc = parse_line(path, lineno, kind, col, split_columns(line, col), chroms,
                            skip_unknown, out, err);
    }
    int zerr;
    const char *msg = gzerror(g, &zerr);
    if (rc == 0 && zerr != Z_OK && zerr != Z_STREAM_END)
        rc = error_set(err, "%s: damaged or truncated gzip data near line %lld (zlib: %s)", path,
                       (long long)lineno, msg);
    free(line);
    gzclose(g);
    return rc;
}

static int cmp_interval(const void *a, const void *b)
{
    const BedInterval *x = a, *y = b;
    if (x->chrom != y->chrom)
        return x->chrom < y->chrom ? -1 : 1;
    if (x->start != y->start)
        return x->start < y->start ? -1 : 1;
    return (x->end > y->end) - (x->end < y->end);
}

void bed_sort(BedSet *s)
{
    if (s->n > 1)
        qsort(s->iv, (size_t)s->n, sizeof *s->iv, cmp_interval);
}

void bed_merge(BedSet *s)
{
    bed_sort(s);
    int64_t m = 0;
    for (int64_t i = 0; i < s->n; i++) {
        BedInterval v = s->iv[i];
        v.strand = '.';
        if (m > 0 && s->iv[m - 1].chrom == v.chrom && v.start <= s->iv[m - 1].end) {
            if (v.end > s->iv[m - 1].end)
                s->iv[m - 1].end = v.end;
        } else {
            s->iv[m++] = v;
        }
    }
    s->n = m;
    s->stranded = 0;
}

void bed_index(const BedSet *s, int nchroms, int64_t *first)
{
    int64_t i = 0;
    for (int c = 0; c <= nchroms; c++) {
        while (i < s->n && s->iv[i].chrom < c)
            i++;
        first[c] = i;
    }
}

void bed_free(BedSet *s)
{
    free(s->iv);
    memset(s, 0, sizeof *s);
}

char *bed_target_name(const char *path)
{
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    char *name = xmalloc(strlen(base) + 1, 1);
    strcpy(name, base);
    static const char *ext[] = {".gz", ".bgz", ".bed", ".narrowPeak", ".broadPeak", ".txt",
                                ".bed3", ".bed6"};
    for (int again = 1; again;) {
        again = 0;
        for (size_t e = 0; e < sizeof ext / sizeof *ext; e++)
            if (ends_with(name, ext[e]) && strlen(name) > strlen(ext[e])) {
                name[strlen(name) - strlen(ext[e])] = '\0';
                again = 1;
            }
    }
    return name;
}
