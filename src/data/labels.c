/* labels.c: the labels TSV of FASTA conversion: one checking pass that builds an id index, then values
 * read back by seeking to a row. See labels.h. */
#include "data/labels.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <zlib.h>

#define LABELS_BUF (1 << 18)

/* An open-addressing hash of strings kept in an arena: key i lives at arena + off[i]. */
typedef struct {
    char *arena;
    size_t arena_len, arena_cap;
    int64_t *off;   /* (n) */
    int64_t n, cap;
    int64_t *slots; /* key index + 1, 0 = empty */
    uint64_t mask;
} StrIndex;

static uint64_t hash_str(const char *s)
{
    uint64_t h = 1469598103934665603ull; /* FNV-1a */
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ull;
    return h;
}

static const char *sx_key(const StrIndex *x, int64_t i) { return x->arena + x->off[i]; }

static int64_t sx_find(const StrIndex *x, const char *s)
{
    if (!x->slots)
        return -1;
    for (uint64_t h = hash_str(s) & x->mask;; h = (h + 1) & x->mask) {
        int64_t v = x->slots[h];
        if (v == 0)
            return -1;
        if (strcmp(sx_key(x, v - 1), s) == 0)
            return v - 1;
    }
}

static void sx_rehash(StrIndex *x, uint64_t size)
{
    free(x->slots);
    x->slots = xcalloc(size, sizeof *x->slots);
    x->mask = size - 1;
    for (int64_t i = 0; i < x->n; i++) {
        uint64_t h = hash_str(sx_key(x, i)) & x->mask;
        while (x->slots[h])
            h = (h + 1) & x->mask;
        x->slots[h] = i + 1;
    }
}

/* Adds s (not present) and returns its index. */
static int64_t sx_add(StrIndex *x, const char *s)
{
    size_t len = strlen(s) + 1;
    if (x->arena_len + len > x->arena_cap) {
        size_t cap = x->arena_cap ? x->arena_cap : 4096;
        while (cap < x->arena_len + len)
            cap *= 2;
        char *a = xmalloc(cap, 1);
        if (x->arena_len)
            memcpy(a, x->arena, x->arena_len);
        free(x->arena);
        x->arena = a;
        x->arena_cap = cap;
    }
    if (x->n == x->cap) {
        x->cap = x->cap ? 2 * x->cap : 1024;
        int64_t *o = xmalloc((size_t)x->cap, sizeof *o);
        if (x->n)
            memcpy(o, x->off, (size_t)x->n * sizeof *o);
        free(x->off);
        x->off = o;
    }
    memcpy(x->arena + x->arena_len, s, len);
    x->off[x->n] = (int64_t)x->arena_len;
    x->arena_len += len;
    x->n++;
    if (!x->slots || (uint64_t)x->n * 2 > x->mask + 1)
        sx_rehash(x, x->slots ? 2 * (x->mask + 1) : 2048);
    else {
        uint64_t h = hash_str(s) & x->mask;
        while (x->slots[h])
            h = (h + 1) & x->mask;
        x->slots[h] = x->n;
    }
    return x->n - 1;
}

static void sx_free(StrIndex *x)
{
    free(x->arena);
    free(x->off);
    free(x->slots);
}

struct LabelTable {
    char *path;
    gzFile g;
    unsigned char *buf;
    int pos, len;
    int64_t offset;    /* uncompressed offset of buf[pos] */
    char *line;        /* the current line, NUL-terminated, without '\r' or '\n' */
    size_t line_cap;
    int64_t lineno;
    char **fields;     /* pointers into line */
    int nfields, fields_cap;
    int tabs;          /* fields separated by tabs (else by runs of blanks) */

    int K;
    Task task;
    int classes;
    int integer;
    char **names;      /* (K) */
    StrIndex ids;
    int64_t *row_off;  /* (N) offset of each row's line */
    int64_t *row_line; /* (N) */
    int32_t *row_class;/* (N) classes mode */
    int64_t cap;
};

static char *dup_str(const char *s)
{
    size_t n = strlen(s) + 1;
    char *p = xmalloc(n, 1);
    memcpy(p, s, n);
    return p;
}

/* Reads the next line into t->line; 1, 0 at the end, -1 on a gzip error. *start = its offset. */
static int read_line(LabelTable *t, int64_t *start, Error *err)
{
    size_t n = 0;
    int got = 0;
    *start = t->offset;
    for (;;) {
        if (t->pos == t->len) {
            int r = gzread(t->g, t->buf, LABELS_BUF);
            int zerr;
            const char *msg = gzerror(t->g, &zerr);
            if (r < 0 || (zerr != Z_OK && zerr != Z_STREAM_END))
                return error_set(err, "%s: damaged or truncated gzip data near line %lld (zlib: %s)",
                                 t->path, (long long)t->lineno + 1, msg);
            t->pos = 0;
            t->len = r;
            if (r == 0)
                break;
        }
        int c = t->buf[t->pos++];
        t->offset++;
        got = 1;
        if (c == '\n')
            break;
        if (n + 2 > t->line_cap) {
            t->line_cap *= 2;
            char *p = xmalloc(t->line_cap, 1);
            memcpy(p, t->line, n);
            free(t->line);
            t->line = p;
        }
        t->line[n++] = (char)c;
    }
    if (!got)
        return 0;
    while (n > 0 && t->line[n - 1] == '\r')
        n--;
    t->line[n] = '\0';
    t->lineno++;
    return 1;
}

static void split(LabelTable *t)
{
    t->nfields = 0;
    char *p = t->line;
    for (;;) {
        if (!t->tabs)
            while (*p == ' ' || *p == '\t')
                p++;
        if (!t->tabs && !*p)
            break;
        if (t->nfields == t->fields_cap) {
            t->fields_cap = t->fields_cap ? 2 * t->fields_cap : 64;
            char **f = xmalloc((size_t)t->fields_cap, sizeof *f);
            if (t->nfields)
                memcpy(f, t->fields, (size_t)t->nfields * sizeof *f);
            free(t->fields);
            t->fields = f;
        }
        t->fields[t->nfields++] = p;
        p += t->tabs ? strcspn(p, "\t") : strcspn(p, " \t");
        if (!*p)
            break;
        *p++ = '\0';
    }
}

static int is_blank(const char *s)
{
    for (; *s; s++)
        if (*s != ' ' && *s != '\t')
            return 0;
    return 1;
}

/* Parses the K values of the split line into out, checking what the task allows. */
static int parse_values(LabelTable *t, float *out, int check, Error *err)
{
    double sum = 0;
    for (int k = 0; k < t->K; k++) {
        const char *s = t->fields[k + 1];
        char *end;
        errno = 0;
        double v = strtod(s, &end);
        while (*end == ' ')
            end++;
        if (end == s || *end || !isfinite(v))
            return error_set(err, "%s line %lld column '%s': '%s' is not a number", t->path,
                             (long long)t->lineno, t->names[k], s);
        if (check) {
            if (t->task == TASK_BINARY && v != 0 && v != 1)
                return error_set(err, "%s line %lld: label %s is not 0 or 1 (one label column: "
                                      "task binary; --classes reads class names)", t->path,
                                 (long long)t->lineno, s);
            if (v < 0 || v > 1)
                return error_set(err, "%s line %lld column '%s': label %s is outside 0..1 (task "
                                      "%s)", t->path, (long long)t->lineno, t->names[k], s,
                                 task_name(t->task));
            if (v != floor(v))
                t->integer = 0;
        }
        sum += v;
        if (out)
            out[k] = (float)v;
    }
    if (check && t->task == TASK_MULTICLASS && fabs(sum - 1) > 1e-3)
        return error_set(err, "%s line %lld: labels sum to %g, a multiclass row must be one-hot",
                         t->path, (long long)t->lineno, sum);
    return 0;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Room for row `row` in the row arrays (offsets, lines, classes). */
static void grow_rows(LabelTable *t, int64_t row)
{
    if (row < t->cap)
        return;
    t->cap = t->cap ? 2 * t->cap : 1024;
    int64_t *o = xmalloc((size_t)t->cap, sizeof *o), *l = xmalloc((size_t)t->cap, sizeof *l);
    int32_t *c = xmalloc((size_t)t->cap, sizeof *c);
    if (row) {
        memcpy(o, t->row_off, (size_t)row * sizeof *o);
        memcpy(l, t->row_line, (size_t)row * sizeof *l);
        memcpy(c, t->row_class, (size_t)row * sizeof *c);
    }
    free(t->row_off);
    free(t->row_line);
    free(t->row_class);
    t->row_off = o;
    t->row_line = l;
    t->row_class = c;
}

/* One non-blank line starting at file offset `start`: its columns and id checked, its row indexed,
 * its class named (--classes) or its values checked against the task. */
static int index_line(LabelTable *t, StrIndex *cls, int64_t start, Error *err)
{
    split(t);
    if (t->nfields != t->K + 1)
        return error_set(err, "%s line %lld: %d column%s, the header has %d", t->path,
                         (long long)t->lineno, t->nfields, t->nfields == 1 ? "" : "s", t->K + 1);
    const char *id = t->fields[0];
    if (!id[0])
        return error_set(err, "%s line %lld: empty id", t->path, (long long)t->lineno);
    int64_t dup = sx_find(&t->ids, id);
    if (dup >= 0)
        return error_set(err, "%s line %lld: duplicate id '%s' (first on line %lld)", t->path,
                         (long long)t->lineno, id, (long long)t->row_line[dup]);
    int64_t row = sx_add(&t->ids, id);
    grow_rows(t, row);
    t->row_off[row] = start;
    t->row_line[row] = t->lineno;
    if (!t->classes)
        return parse_values(t, NULL, 1, err);
    const char *name = t->fields[1];
    if (!name[0])
        return error_set(err, "%s line %lld: empty class name", t->path, (long long)t->lineno);
    int64_t c = sx_find(cls, name);
    t->row_class[row] = (int32_t)(c >= 0 ? c : sx_add(cls, name));
    return 0;
}

/* --classes: the class names, in sorted order so that the same table always gives the same
 * columns, become the K targets; rows are renumbered to match. */
static int order_classes(LabelTable *t, const StrIndex *cls, Error *err)
{
    if (cls->n < 2)
        return error_set(err, "%s: --classes found %lld class%s, a multiclass target needs 2 or "
                              "more", t->path, (long long)cls->n, cls->n == 1 ? "" : "es");
    t->K = (int)cls->n;
    t->names = xmalloc((size_t)cls->n, sizeof *t->names);
    for (int64_t c = 0; c < cls->n; c++)
        t->names[c] = dup_str(sx_key(cls, c));
    qsort(t->names, (size_t)cls->n, sizeof *t->names, cmp_str);
    int32_t *rank = xmalloc((size_t)cls->n, sizeof *rank);
    for (int k = 0; k < t->K; k++)
        rank[sx_find(cls, t->names[k])] = k;
    for (int64_t i = 0; i < t->ids.n; i++)
        t->row_class[i] = rank[t->row_class[i]];
    free(rank);
    return 0;
}

static int index_rows(LabelTable *t, Error *err)
{
    StrIndex cls = {0};
    int64_t start;
    int r = 0, rc = 0;
    while (rc == 0 && (r = read_line(t, &start, err)) == 1)
        if (!is_blank(t->line))
            rc = index_line(t, &cls, start, err);
    if (r < 0)
        rc = -1;
    if (rc == 0 && t->ids.n == 0)
        rc = error_set(err, "%s: no rows after the header", t->path);
    if (rc == 0 && t->classes)
        rc = order_classes(t, &cls, err);
    sx_free(&cls);
    return rc;
}

LabelTable *labels_open(const char *path, int classes, const Task *task, Error *err)
{
    struct stat st;
    if (stat(path, &st) != 0) {
        error_set(err, "%s: cannot open: %s", path, strerror(errno));
        return NULL;
    }
    if (st.st_size == 0) {
        error_set(err, "%s: empty file, expected a header line (id, then target names)", path);
        return NULL;
    }
    gzFile g = gzopen(path, "rb");
    if (!g) {
        error_set(err, "%s: cannot open: %s", path, strerror(errno ? errno : ENOMEM));
        return NULL;
    }
    LabelTable *t = xcalloc(1, sizeof *t);
    t->path = dup_str(path);
    t->g = g;
    t->buf = xmalloc(LABELS_BUF, 1);
    t->line_cap = 4096;
    t->line = xmalloc(t->line_cap, 1);
    t->classes = classes;
    t->integer = 1;
    int64_t start;
    int r = read_line(t, &start, err);
    if (r <= 0) {
        if (r == 0)
            error_set(err, "%s: empty file, expected a header line", path);
        labels_close(t);
        return NULL;
    }
    t->tabs = strchr(t->line, '\t') != NULL;
    split(t);
    if (t->nfields < 2 || (classes && t->nfields != 2)) {
        error_set(err, "%s line 1: header has %d column%s, expected %s", path, t->nfields,
                  t->nfields == 1 ? "" : "s",
                  classes ? "2 (id, class) with --classes" : "the id column, then target names");
        labels_close(t);
        return NULL;
    }
    t->K = t->nfields - 1;
    if (!classes) {
        t->names = xmalloc((size_t)t->K, sizeof *t->names);
        for (int k = 0; k < t->K; k++)
            t->names[k] = dup_str(t->fields[k + 1]);
    }
    t->task = classes ? TASK_MULTICLASS : t->K == 1 ? TASK_BINARY : TASK_MULTILABEL;
    if (task)
        t->task = *task;
    if (!classes && t->task == TASK_BINARY && t->K != 1) {
        error_set(err, "%s: task binary needs one label column, the header names %d", path, t->K);
        labels_close(t);
        return NULL;
    }
    if (index_rows(t, err) != 0) {
        labels_close(t);
        return NULL;
    }
    return t;
}

void labels_close(LabelTable *t)
{
    if (!t)
        return;
    gzclose(t->g);
    if (t->names)
        for (int k = 0; k < t->K; k++)
            free(t->names[k]);
    free(t->names);
    sx_free(&t->ids);
    free(t->row_off);
    free(t->row_line);
    free(t->row_class);
    free(t->fields);
    free(t->line);
    free(t->buf);
    free(t->path);
    free(t);
}

int64_t labels_rows(const LabelTable *t) { return t->ids.n; }
int labels_targets(const LabelTable *t) { return t->K; }
char *const *labels_names(const LabelTable *t) { return t->names; }
Task labels_task(const LabelTable *t) { return t->task; }
int labels_integer(const LabelTable *t) { return t->integer; }
int64_t labels_find(const LabelTable *t, const char *id) { return sx_find(&t->ids, id); }
const char *labels_id(const LabelTable *t, int64_t row) { return sx_key(&t->ids, row); }
int64_t labels_line(const LabelTable *t, int64_t row) { return t->row_line[row]; }

int labels_get(LabelTable *t, int64_t row, float *out, Error *err)
{
    if (t->classes) {
        for (int k = 0; k < t->K; k++)
            out[k] = k == t->row_class[row] ? 1.0f : 0.0f;
        return 0;
    }
    if (t->row_off[row] != t->offset) {
        /* a plain file seeks; a gzip one re-reads (fast forward, slow backward: keep the TSV in the
         * FASTA's order, or uncompressed) */
        if (gzseek(t->g, (z_off_t)t->row_off[row], SEEK_SET) < 0)
            return error_set(err, "%s: cannot seek to line %lld", t->path,
                             (long long)t->row_line[row]);
        t->offset = t->row_off[row];
        t->pos = t->len = 0;
    }
    int64_t start;
    t->lineno = t->row_line[row] - 1;
    if (read_line(t, &start, err) != 1)
        return error_set(err, "%s: line %lld changed while being read", t->path,
                         (long long)t->row_line[row]);
    split(t);
    if (t->nfields != t->K + 1)
        return error_set(err, "%s line %lld changed while being read", t->path,
                         (long long)t->row_line[row]);
    return parse_values(t, out, 0, err);
}
