/* convert_npy_str.c: NumPy arrays of sequences as strings to the gseq file (convert_sink.h). X is a
 * fixed-width string array, <U (UTF-32, either byte order) or |S (bytes), of shape (N) or (N, 1),
 * or (N, 2) of sequence and label; or a structured array with a string field of sequences and
 * fields of labels. Labels come from X, or from a y array as for numeric X (convert_npy.c).
 *
 * Every string is a sequence of its own length (NumPy pads with NULs to the width): bases of either
 * case, U as T, IUPAC codes as N (token_of_base, as FASTA); anything else is an error naming the
 * row and position. Two passes, each reading X block by block: the first checks every row and
 * learns the longest sequence and whether the labels are small integers; the second pads or trims
 * the rows to one length on the padding side (SinkBlock, as FASTA) and writes them. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "data/convert_sink.h"

/* X and where its sequences and labels are. Fields are copies, so X can be reopened. */
typedef struct {
    const NpySources *src;
    NpyReader *xr, *yr;    /* yr: a y array, or NULL (labels in X) */
    NpyField seq;          /* the string field, or X's own dtype */
    NpyField lab[NPY_MAX_FIELDS];
    int nlab;              /* label fields of X (the second column of an (N, 2) array is one) */
    int per;               /* elements of X a row: 2 for (N, 2), else 1 */
    int W;                 /* characters of the string type */
    int64_t N, T, first, K, n;
    char **names;          /* T column names from the fields of a structured X, or NULL */
    Task task;
    int integer;           /* the kept labels are whole numbers 0..255 (pass 1) */
    int64_t longest;       /* pass 1 */
} Strings;

static int is_string(const NpyField *f) { return f->kind == NPY_UNICODE || f->kind == NPY_BYTES; }
static int is_number(const NpyField *f) { return f->kind <= NPY_FLOAT; }

static int strings_open(Strings *a, Error *err)
{
    a->xr = npy_open(a->src->xpath, a->src->xmember, err);
    if (!a->xr)
        return -1;
    a->yr = a->src->ypath ? npy_open(a->src->ypath, a->src->ymember, err) : NULL;
    return a->src->ypath && !a->yr ? -1 : 0;
}

static void strings_close(Strings *a)
{
    npy_close(a->xr);
    npy_close(a->yr);
    a->xr = a->yr = NULL;
}

/* "seq <U20, label <i8" for messages. */
static const char *field_list(const NpyReader *r, char *buf, size_t n)
{
    buf[0] = '\0';
    for (int i = 0; i < npy_fields(r); i++)
        snprintf(buf + strlen(buf), n - strlen(buf), "%s%s %s", i ? ", " : "",
                 npy_field(r, i)->name, npy_field(r, i)->descr);
    return buf;
}

/* The index of the field named `name`, or of the only field `pick` accepts (-1 none, -2 several). */
static int find_field(const NpyReader *r, const char *name, int skip, int (*pick)(const NpyField *))
{
    int found = -1;
    for (int i = 0; i < npy_fields(r); i++) {
        const NpyField *f = npy_field(r, i);
        if (i == skip || !(name ? strcmp(f->name, name) == 0 : pick(f)))
            continue;
        found = found == -1 ? i : -2;
    }
    return found;
}

/* The label fields of a structured X besides field `seq`: the one --y-name names, or every
 * numeric one; T columns. */
static int pick_label_fields(Strings *a, int seq, const char *list, Error *err)
{
    const NpyReader *r = a->xr;
    const char *yfield = a->src->yfield;
    for (int i = 0; i < npy_fields(r); i++) {
        const NpyField *f = npy_field(r, i);
        if (i == seq || (yfield ? strcmp(f->name, yfield) != 0 : !is_number(f)))
            continue;
        if (!is_number(f) && !(is_string(f) && f->count == 1))
            return error_set(err, "%s: field '%s' (%s) holds no labels (numbers, or strings of "
                                  "numbers)", npy_name(r), f->name, f->descr);
        a->lab[a->nlab++] = *f;
        a->T += is_string(f) ? 1 : f->count;
    }
    if (a->nlab == 0 && yfield)
        return error_set(err, "--y-name %s: %s has no such array or field (fields: %s)", yfield,
                         npy_name(r), list);
    if (a->nlab == 0)
        return error_set(err, "%s: no field of numbers for the labels (fields: %s); name one with "
                              "--y-name, or give the labels with --npy-y", npy_name(r), list);
    return 0;
}

/* A structured X: the sequence field (--x-name, or the only string field) and the labels. */
static int pick_structured(Strings *a, Error *err)
{
    const NpyReader *r = a->xr;
    const char *xfield = a->src->xfield;
    char list[512];
    field_list(r, list, sizeof list);
    int seq = find_field(r, xfield, -1, is_string);
    static const char *const usual[] = {"seq", "sequence", "sequences", "x", "X", NULL};
    for (const char *const *u = usual; seq == -2 && !xfield && *u; u++) { /* the usual name */
        int i = find_field(r, *u, -1, NULL);
        seq = i >= 0 && is_string(npy_field(r, i)) ? i : seq;
    }
    if (seq < 0 && xfield)
        return error_set(err, "--x-name %s: %s has no such array or field (fields: %s)", xfield,
                         npy_name(r), list);
    if (seq == -1)
        return error_set(err, "%s: no string field for the sequences (fields: %s)", npy_name(r),
                         list);
    if (seq == -2)
        return error_set(err, "%s: several string fields (%s), none named seq or sequence: name "
                              "the sequences' field with --x-name", npy_name(r), list);
    const NpyField *f = npy_field(r, seq);
    if (!is_string(f) || f->count != 1)
        return error_set(err, "%s: field '%s' (%s) is not a string field (sequences are <U or "
                              "|S)", npy_name(r), f->name, f->descr);
    a->seq = *f;
    a->per = 1;
    if (a->yr) {
        a->T = 0;
        return 0;
    }
    return pick_label_fields(a, seq, list, err);
}

/* A plain string X: (N) or (N, 1) sequences, or (N, 2) sequence and label. */
static int pick_plain(Strings *a, Error *err)
{
    const NpyReader *r = a->xr;
    const int rank = npy_rank(r);
    const int64_t *sh = npy_shape(r);
    if (a->src->xfield || a->src->yfield)
        return error_set(err, "--%s-name %s: %s has no such array or field (dtype '%s', not a "
                              "structured array)", a->src->xfield ? "x" : "y",
                         a->src->xfield ? a->src->xfield : a->src->yfield, npy_name(r),
                         npy_descr(r));
    a->seq = *npy_dtype(r);
    a->per = rank == 2 && sh[1] == 2 ? 2 : 1;
    if (!(rank == 1 || (rank == 2 && (sh[1] == 1 || sh[1] == 2))))
        return error_set(err, "%s: strings of rank %d; expected sequences (N), or (N, 2) of "
                              "sequence and label", npy_name(r), rank);
    if (a->per == 2 && a->yr)
        return error_set(err, "%s: (N, 2) strings are read as sequence and label, and %s gives "
                              "labels too; save the sequences alone, X[:, 0]", npy_name(r),
                         npy_name(a->yr));
    if (a->per == 1 && !a->yr)
        return error_set(err, "%s: holds sequences but no labels; give them with --npy-y (or as y "
                              "in the .npz), or save one array with both (a structured array, or "
                              "(N, 2) strings)",
                         npy_name(r));
    if (a->per == 2) {
        a->lab[0] = a->seq;
        a->lab[0].offset = npy_itemsize(r); /* the second element of the row */
        a->nlab = 1;
        a->T = 1;
    }
    return 0;
}

/* Column names of a structured X's label fields: the field's name ("name_k" for a sub-array). */
static void label_names(Strings *a)
{
    if (a->per != 1 || a->nlab == 0)
        return;
    a->names = xcalloc((size_t)a->T, sizeof *a->names);
    int64_t t = 0;
    for (int i = 0; i < a->nlab; i++) {
        const NpyField *f = &a->lab[i];
        int count = is_string(f) ? 1 : f->count;
        for (int k = 0; k < count; k++) {
            size_t n = strlen(f->name) + 16;
            a->names[t] = xmalloc(n, 1);
            snprintf(a->names[t++], n, count > 1 ? "%s_%d" : "%s", f->name, k);
        }
    }
}

/* Fields, shapes, label columns and task. */
static int strings_layout(Strings *a, const ConvertSettings *s, Error *err)
{
    const NpyReader *r = a->xr;
    if (npy_fields(r) ? pick_structured(a, err) != 0 : pick_plain(a, err) != 0)
        return -1;
    const int rank = npy_rank(r);
    const int64_t *sh = npy_shape(r);
    if (npy_fields(r) && !(rank == 1 || (rank == 2 && sh[1] == 1)))
        return error_set(err, "%s: a structured array of rank %d; expected one record a row (N)",
                         npy_name(r), rank);
    a->N = rank ? sh[0] : 0;
    a->W = a->seq.kind == NPY_UNICODE ? a->seq.size / 4 : a->seq.size;
    if (a->N < 1)
        return error_set(err, "%s: no samples", npy_name(r));
    if (a->yr && npy_label_columns(a->yr, a->N, npy_name(r), &a->T, err) != 0)
        return -1;
    if (convert_resolve_targets(s, a->T, &a->first, &a->K, err) != 0 ||
        convert_resolve_task(s, (int)a->K, 0, &a->task, err) != 0)
        return -1;
    a->n = s->limit > 0 && s->limit < a->N ? s->limit : a->N;
    label_names(a);
    return 0;
}

/* Rows of X a block holds at length L: about 8 MB of X, and SinkBlock's bound. */
static int64_t strings_block(const Strings *a, int L)
{
    int64_t row = (int64_t)a->per * (int64_t)npy_itemsize(a->xr);
    int64_t B = sink_block_rows(L > a->W ? L : a->W), byb = ((int64_t)1 << 23) / row;
    B = B < byb ? B : byb;
    return B < 1 ? 1 : B > a->n ? a->n : B;
}

/* "'X'", "U+00E9" or "byte 0xff": a character for messages. */
static void describe_char(const NpyField *f, uint32_t c, char *buf, size_t n)
{
    if (c >= 33 && c < 127)
        snprintf(buf, n, "'%c'", (char)c);
    else if (f->kind == NPY_BYTES)
        snprintf(buf, n, "byte 0x%02x", (unsigned)c);
    else
        snprintf(buf, n, "U+%04X", (unsigned)c);
}

/* The tokens of the sequence of row `row` (its element at p): *len of them into tok. */
static int row_tokens(const Strings *a, const unsigned char *p, int64_t row, uint8_t *tok,
                      int64_t *len, Error *err)
{
    const int n = npy_strlen(&a->seq, p);
    for (int j = 0; j < n; j++) {
        uint32_t c = npy_char(&a->seq, p, j);
        int t = c < 256 ? token_of_base((int)c) : -1;
        if (t < 0) {
            char what[24];
            describe_char(&a->seq, c, what, sizeof what);
            return error_set(err, "%s: row %lld position %d: %s is not a base (expected A C G T, "
                                  "N or another IUPAC code)", npy_name(a->xr), (long long)row, j,
                             what);
        }
        tok[j] = (uint8_t)t;
    }
    *len = n;
    return 0;
}

/* A string that is a number ("1", "0.5", " 2 ", "True", "False"): 0 and *out, or -1; text gets the
 * string (non-ASCII as '?') for messages. */
static int string_number(const NpyField *f, const unsigned char *p, float *out, char *text,
                         size_t size)
{
    int n = npy_strlen(f, p), ascii = 1;
    size_t k = 0;
    for (int j = 0; j < n && k + 1 < size; j++) {
        uint32_t c = npy_char(f, p, j);
        ascii &= c > 0 && c < 128;
        text[k++] = c > 0 && c < 128 ? (char)c : '?';
    }
    text[k] = '\0';
    if (!ascii || (size_t)n != k)
        return -1;
    if (strcmp(text, "True") == 0 || strcmp(text, "False") == 0) {
        *out = text[0] == 'T';
        return 0;
    }
    char *end;
    errno = 0;
    double v = strtod(text, &end);
    if (end == text || errno || !isfinite(v) || end[strspn(end, " \t")] != '\0')
        return -1;
    *out = (float)v;
    return 0;
}

/* The T label values of row `row` (X's element at p, or y's values yrow). */
static int row_labels(const Strings *a, const unsigned char *p, const float *yrow, int64_t row,
                      float *out, Error *err)
{
    if (a->yr) {
        memcpy(out, yrow, (size_t)a->T * sizeof *out);
        return 0;
    }
    int64_t t = 0;
    for (int i = 0; i < a->nlab; i++) {
        const NpyField *f = &a->lab[i];
        char text[48];
        if (is_string(f) && string_number(f, p, &out[t++], text, sizeof text) != 0) {
            if (a->per == 2)
                return error_set(err, "%s: row %lld column 1: '%s' is not a label (an (N, 2) "
                                      "string array is read as sequence and label)",
                                 npy_name(a->xr), (long long)row, text);
            return error_set(err, "%s: row %lld field '%s': '%s' is not a number",
                             npy_name(a->xr), (long long)row, f->name, text);
        }
        for (int k = 0; !is_string(f) && k < f->count; k++)
            out[t++] = npy_value_f32(f, p, k);
    }
    return 0;
}

/* Reads the next b rows of X (and of y). */
static int read_rows(Strings *a, int64_t b, unsigned char *xraw, float *yraw, Error *err)
{
    if (npy_read_raw(a->xr, (size_t)(b * a->per), xraw, err) != 0)
        return -1;
    return a->yr ? npy_read_f32(a->yr, (size_t)(b * a->T), yraw, err) : 0;
}

/* Per-block buffers: X's raw rows, y's values, one row's tokens and labels. */
typedef struct {
    unsigned char *xraw;
    float *yraw, *lab;
    uint8_t *tok;
    int64_t B, row; /* rows a block, bytes of X a row */
} Buffers;

static void buffers_alloc(Buffers *u, const Strings *a, int64_t B)
{
    u->B = B;
    u->row = (int64_t)a->per * (int64_t)npy_itemsize(a->xr);
    u->xraw = xmalloc((size_t)B, (size_t)u->row);
    u->yraw = a->yr ? xmalloc((size_t)B * (size_t)a->T, sizeof *u->yraw) : NULL;
    u->lab = xmalloc((size_t)a->T, sizeof *u->lab);
    u->tok = xmalloc((size_t)a->W + 1, 1);
}

static void buffers_free(Buffers *u)
{
    free(u->xraw);
    free(u->yraw);
    free(u->lab);
    free(u->tok);
}

/* Pass 1: every row's bases and labels; the longest sequence and whether the labels are integers. */
static int scan_rows(Strings *a, const ConvertSettings *s, Error *err)
{
    Buffers u;
    buffers_alloc(&u, a, strings_block(a, a->W));
    Progress scan;
    progress_start(&scan, "convert: checking", "samples", a->n, s->progress);
    int rc = 0;
    a->integer = 1;
    a->longest = 0;
    for (int64_t s0 = 0; s0 < a->n && rc == 0; s0 += u.B) {
        int64_t b = a->n - s0 < u.B ? a->n - s0 : u.B;
        rc = read_rows(a, b, u.xraw, u.yraw, err);
        for (int64_t i = 0; i < b && rc == 0; i++) {
            int64_t len = 0;
            const unsigned char *p = u.xraw + i * u.row;
            rc = row_tokens(a, p, s0 + i, u.tok, &len, err) != 0 ||
                 row_labels(a, p, u.yraw ? u.yraw + i * a->T : NULL, s0 + i, u.lab, err) != 0;
            a->longest = len > a->longest ? len : a->longest;
            for (int64_t k = a->first; k < a->first + a->K && rc == 0; k++)
                a->integer &= u.lab[k] >= 0 && u.lab[k] <= 255 && u.lab[k] == (float)(int)u.lab[k];
        }
        progress_update(&scan, s0 + b, npy_bytes_in(a->xr));
    }
    progress_end(&scan);
    buffers_free(&u);
    return rc ? -1 : 0;
}

/* Pass 2: the n rows at length L, through the sink. */
static int write_rows(Strings *a, const ConvertSettings *s, int L, Error *err)
{
    DatasetSpec spec = {.n = a->n, .length = L, .targets = (int)a->K, .task = a->task,
                        .y_float = !a->integer, .with_lengths = 1,
                        .target_names = a->names ? a->names + a->first : NULL};
    Sink sink = {0};
    SinkBlock blk = {0};
    Buffers u;
    buffers_alloc(&u, a, strings_block(a, L));
    int rc = -1;
    const char *yname = a->yr ? npy_name(a->yr) : a->per == 2 ? "labels" : "label fields";
    if (sink_open(&sink, s, &spec, npy_name(a->xr), yname, err) != 0)
        goto done;
    sink_block_alloc(&blk, u.B, L, (int)a->K, 0);
    for (int64_t s0 = 0; s0 < a->n; s0 += u.B) {
        int64_t b = a->n - s0 < u.B ? a->n - s0 : u.B, len;
        if (read_rows(a, b, u.xraw, u.yraw, err) != 0)
            goto done;
        for (int64_t i = 0; i < b; i++) {
            const unsigned char *p = u.xraw + i * u.row;
            if (row_tokens(a, p, s0 + i, u.tok, &len, err) != 0 ||
                row_labels(a, p, u.yraw ? u.yraw + i * a->T : NULL, s0 + i, u.lab, err) != 0)
                goto done;
            memcpy(blk.y + blk.b * a->K, u.lab + a->first, (size_t)a->K * sizeof *u.lab);
            sink_block_add(&blk, s->padding, NULL, u.tok, len);
        }
        if (sink_block_flush(&blk, &sink, npy_bytes_in(a->xr), err) != 0)
            goto done;
    }
    rc = sink_finish(&sink, a->src->xpath, "numpy", err);
done:
    sink_close(&sink);
    sink_block_free(&blk);
    buffers_free(&u);
    return rc;
}

int convert_npy_strings(const ConvertSettings *s, const NpySources *src, Error *err)
{
    Strings a = {.src = src};
    int L = 0, rc = -1;
    if (strings_open(&a, err) == 0 && strings_layout(&a, s, err) == 0 && scan_rows(&a, s, err) == 0 &&
        convert_resolve_length(s, a.longest, npy_name(a.xr), &L, err) == 0) {
        strings_close(&a); /* the second pass reads from the start again */
        if (strings_open(&a, err) == 0)
            rc = write_rows(&a, s, L, err);
    }
    strings_close(&a);
    for (int64_t t = 0; a.names && t < a.T; t++)
        free(a.names[t]);
    free(a.names);
    return rc;
}
