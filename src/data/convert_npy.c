/* convert_npy.c: NumPy arrays to the gseq file. See converter.h. X is one-hot (N, L, 4), channels
 * first (N, 4, L), or tokens (N, L) (0 = padding, 1..4 = A C G T, 5 = N); y is (N, K) or (N). Both
 * come from .npy files, zipped .npy files or one .npz archive, read as streams (npy.h). The labels
 * are read twice: once to choose uint8 or float32 storage, once to write them. Here too: which
 * arrays and fields --x-name/--y-name name; X of strings or a structured X goes on to
 * convert_npy_str.c. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "data/convert_sink.h"
#include "data/h5io.h"
#include "data/npy.h"

/* The two arrays, their layout, and what to convert. */
typedef struct {
    NpyReader *xr, *yr;
    const char *ypath, *ymember;
    int onehot, chfirst; /* layouts: tokens (N, L); one-hot (N, L, 4); channels first (N, 4, L) */
    int64_t N, L, T, first, K, n, B;
    Task task;
} Arrays;

/* The member of a zip named like one of `names`, or NULL (plain .npy files need no member). */
static const char *pick_member(const char *path, const char *given, const char *const *names,
                               char *buf, size_t n, Error *err)
{
    if (given || !file_is_zip(path))
        return given;
    int count;
    char **members = zip_members(path, &count, err);
    if (!members)
        return NULL;
    const char *found = NULL;
    for (; *names && !found; names++)
        for (int i = 0; i < count && !found; i++) {
            size_t l = strlen(*names);
            if (strcmp(members[i], *names) == 0 ||
                (strncmp(members[i], *names, l) == 0 && strcmp(members[i] + l, ".npy") == 0)) {
                snprintf(buf, n, "%s", members[i]);
                found = buf;
            }
        }
    h5_free_strings(members, count);
    return found;
}

int npy_label_columns(const NpyReader *yr, int64_t N, const char *xname, int64_t *T, Error *err)
{
    const int yrank = npy_rank(yr);
    const int64_t *ys = npy_shape(yr);
    if ((yrank != 1 && yrank != 2) || ys[0] != N)
        return error_set(err, "%s: expected labels (N, K) or (N) with N = %lld as in %s, found "
                              "%s%lld rows", npy_name(yr), (long long)N, xname,
                         yrank ? "" : "rank 0, ", yrank ? (long long)ys[0] : 0LL);
    if (npy_fields(yr) || npy_dtype(yr)->kind == NPY_UNICODE || npy_dtype(yr)->kind == NPY_BYTES)
        return error_set(err, "%s: labels of dtype '%s'; expected numbers (bool, integers, floats)",
                         npy_name(yr), npy_descr(yr));
    *T = yrank == 2 ? ys[1] : 1;
    return 0;
}

/* The layout of X and the shape of y, checked against each other; then columns, task, blocks. */
static int check_shapes(Arrays *a, const ConvertSettings *s, Error *err)
{
    const int xrank = npy_rank(a->xr);
    const int64_t *xs = npy_shape(a->xr);
    a->N = xrank ? xs[0] : 0;
    if (xrank == 2) {
        a->L = xs[1];
    } else if (xrank == 3 && xs[2] == 4) {
        a->onehot = 1;
        a->L = xs[1];
    } else if (xrank == 3 && xs[1] == 4) {
        a->onehot = a->chfirst = 1;
        a->L = xs[2];
    } else {
        return error_set(err, "%s: shape of rank %d, expected one-hot (N, L, 4), (N, 4, L) or "
                              "tokens (N, L)", npy_name(a->xr), xrank);
    }
    if (a->N < 1 || a->L < 1 || a->L > (1 << 30))
        return error_set(err, "%s: no samples or an empty sequence axis", npy_name(a->xr));
    if (npy_label_columns(a->yr, a->N, npy_name(a->xr), &a->T, err) != 0 ||
        convert_resolve_targets(s, a->T, &a->first, &a->K, err) != 0 ||
        convert_resolve_task(s, (int)a->K, 0, &a->task, err) != 0)
        return -1;
    a->n = s->limit > 0 && s->limit < a->N ? s->limit : a->N;
    a->B = CONVERT_BLOCK_VALUES / (4 * a->L);
    a->B = a->B < 1 ? 1 : a->B > a->n ? a->n : a->B;
    return 0;
}

/* Pass over the labels: *integer when every value is a whole number 0..255; y is reopened. */
static int labels_integer(Arrays *a, float *yall, int *integer, Error *err)
{
    *integer = 1;
    for (int64_t s0 = 0; s0 < a->n && *integer; s0 += a->B) {
        int64_t b = a->n - s0 < a->B ? a->n - s0 : a->B;
        if (npy_read_f32(a->yr, (size_t)(b * a->T), yall, err) != 0)
            return -1;
        for (int64_t i = 0; i < b * a->T; i++)
            *integer &= yall[i] >= 0 && yall[i] <= 255 && yall[i] == (float)(int)yall[i];
    }
    npy_close(a->yr);
    a->yr = npy_open(a->ypath, a->ymember, err);
    return a->yr ? 0 : -1;
}

/* Tokens of b samples (starting at sample s0) from a block of X. */
static int block_tokens(const Arrays *a, const ConvertSettings *s, const float *xbuf, int64_t s0,
                        int64_t b, uint8_t *tok, Error *err)
{
    static const uint8_t acgt[4] = {TOKEN_A, TOKEN_C, TOKEN_G, TOKEN_T};
    const uint8_t zero = s->zeros_n == 1 ? TOKEN_N : TOKEN_PAD;
    const int64_t L = a->L;
    if (a->onehot) {
        int64_t bi;
        int bj;
        int bad = a->chfirst ? onehot_decode_f32(xbuf, b, (int)L, 4 * L, 1, L, acgt, zero, tok, &bi, &bj)
                             : onehot_decode_f32(xbuf, b, (int)L, 4 * L, 4, 1, acgt, zero, tok, &bi, &bj);
        if (bad)
            return error_set(err, "%s: sample %lld position %d is not one-hot", npy_name(a->xr),
                             (long long)(s0 + bi), bj);
        return 0;
    }
    for (int64_t i = 0; i < b * L; i++) {
        float v = xbuf[i];
        if (!(v >= 0 && v <= TOKEN_N && v == (float)(int)v))
            return error_set(err, "%s: sample %lld position %lld: token %g outside 0..5 (0 = "
                                  "padding, 1..4 = A C G T, 5 = N)", npy_name(a->xr),
                             (long long)(s0 + i / L), (long long)(i % L), (double)v);
        tok[i] = (uint8_t)v;
    }
    return 0;
}

static int write_samples(Arrays *a, const ConvertSettings *s, const char *xpath, Error *err)
{
    const int64_t n = a->n, B = a->B, L = a->L, T = a->T, K = a->K;
    float *yall = xmalloc((size_t)B * (size_t)T, sizeof *yall), *xbuf = NULL, *y = NULL;
    uint8_t *tok = NULL;
    Sink sink = {0};
    int rc = -1, integer;
    if (labels_integer(a, yall, &integer, err) != 0)
        goto done;
    DatasetSpec spec = {.n = n, .length = (int)L, .targets = (int)K, .task = a->task,
                        .y_float = !integer};
    if (sink_open(&sink, s, &spec, npy_name(a->xr), npy_name(a->yr), err) != 0)
        goto done;
    xbuf = xmalloc((size_t)B * (size_t)L, a->onehot ? 4 * sizeof(float) : sizeof(float));
    tok = xmalloc((size_t)B, (size_t)L);
    y = xmalloc((size_t)B * (size_t)K, sizeof *y);
    for (int64_t s0 = 0; s0 < n; s0 += B) {
        int64_t b = n - s0 < B ? n - s0 : B;
        if (npy_read_f32(a->xr, (size_t)(b * L * (a->onehot ? 4 : 1)), xbuf, err) != 0 ||
            npy_read_f32(a->yr, (size_t)(b * T), yall, err) != 0 ||
            block_tokens(a, s, xbuf, s0, b, tok, err) != 0)
            goto done;
        for (int64_t i = 0; i < b; i++)
            for (int64_t k = 0; k < K; k++)
                y[i * K + k] = yall[i * T + a->first + k];
        if (sink_append(&sink, b, tok, y, NULL, NULL, NULL, npy_bytes_in(a->xr), err) != 0)
            goto done;
    }
    rc = sink_finish(&sink, xpath, "numpy", err);
done:
    sink_close(&sink);
    free(xbuf);
    free(tok);
    free(y);
    free(yall);
    return rc;
}

/* Which arrays of a zip --x-name and --y-name name, and else which fields of X (see converter.h):
 * src from the command's paths and names; buffers xb and yb hold the member names found. */
static int resolve_sources(NpySources *src, const char *xpath, const char *ypath,
                           const char *xname, const char *yname, char *xb, char *yb, size_t n,
                           Error *err)
{
    static const char *const xnames[] = {"X", "x", "X_train", "x_train", "arr_0", NULL};
    static const char *const ynames[] = {"y", "Y", "y_train", "Y_train", "arr_1", NULL};
    const int xzip = file_is_zip(xpath), same = ypath && strcmp(xpath, ypath) == 0;
    err->msg[0] = '\0';
    *src = (NpySources){.xpath = xpath, .ypath = ypath};
    if (xname && !(xzip && pick_member(xpath, NULL, (const char *const[]){xname, NULL}, xb, n, err)))
        src->xfield = xname;
    if (err->msg[0])
        return -1;
    src->xmember = pick_member(xpath, src->xfield ? NULL : xname, xnames, xb, n, err);
    if (!src->xmember && err->msg[0])
        return -1;
    if (!ypath || (same && yname &&
                   !pick_member(ypath, NULL, (const char *const[]){yname, NULL}, yb, n, err))) {
        src->yfield = yname; /* a field of X, or no name: the labels are in X */
        src->ypath = NULL;
        return err->msg[0] ? -1 : 0;
    }
    src->ymember = pick_member(ypath, yname, ynames, yb, n, err);
    if (!src->ymember && err->msg[0])
        return -1;
    if (same && !src->ymember)
        src->ypath = NULL; /* no y array in the archive: the labels are in X */
    return 0;
}

/* X of numbers: the labels are a second array, and the length is fixed. */
static int check_numeric(const NpySources *src, const NpyReader *xr, const ConvertSettings *s,
                         Error *err)
{
    if (src->xfield)
        return error_set(err, "--x-name %s: %s has no such array or field (dtype '%s', not a "
                              "structured array)", src->xfield, npy_name(xr), npy_descr(xr));
    if (src->yfield)
        return error_set(err, "--y-name %s: %s has no such array or field (dtype '%s', not a "
                              "structured array)", src->yfield, npy_name(xr), npy_descr(xr));
    if (!src->ypath && file_is_zip(src->xpath))
        return error_set(err, "%s: cannot tell which arrays are X and y (looked for X, x, X_train, "
                              "arr_0 and y, Y, y_train, arr_1): name them with --x-name and "
                              "--y-name", src->xpath);
    if (!src->ypath)
        return error_set(err, "%s: holds no labels (dtype '%s'); give them with --npy-y",
                         npy_name(xr), npy_descr(xr));
    if (s->length > 0)
        return error_set(err, "--length applies to FASTA and NumPy strings; %s holds sequences of "
                              "one length", npy_name(xr));
    return 0;
}

int convert_npy(const ConvertSettings *s, const char *xpath, const char *ypath, const char *xname,
                const char *yname, Error *err)
{
    char xb[256], yb[256];
    NpySources src;
    if (resolve_sources(&src, xpath, ypath, xname, yname, xb, yb, sizeof xb, err) != 0)
        return -1;
    if (!src.xmember && file_is_zip(xpath) && ypath && strcmp(xpath, ypath) == 0) {
        int count;
        char **m = zip_members(xpath, &count, err);
        if (!m)
            return -1;
        h5_free_strings(m, count);
        if (count > 1)
            return error_set(err, "%s: cannot tell which arrays are X and y (looked for X, x, "
                                  "X_train, arr_0 and y, Y, y_train, arr_1): name them with "
                                  "--x-name and --y-name", xpath);
    }
    Arrays a = {.ypath = src.ypath, .ymember = src.ymember};
    a.xr = npy_open(xpath, src.xmember, err);
    if (!a.xr)
        return -1;
    const NpyKind kind = npy_dtype(a.xr)->kind;
    if (npy_fields(a.xr) || kind == NPY_UNICODE || kind == NPY_BYTES) {
        npy_close(a.xr);
        return convert_npy_strings(s, &src, err);
    }
    int rc = -1;
    if (check_numeric(&src, a.xr, s, err) == 0 && (a.yr = npy_open(src.ypath, src.ymember, err)) &&
        check_shapes(&a, s, err) == 0)
        rc = write_samples(&a, s, xpath, err);
    npy_close(a.xr);
    npy_close(a.yr);
    return rc;
}
