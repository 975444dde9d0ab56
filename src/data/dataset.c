/* dataset.c: the canonical gseq file: validation on open, checked block reads, a streaming writer.
 * See dataset.h for the layout. All HDF5 access goes through h5io; nothing here knows about MPI. */
#include "data/dataset.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "data/h5io.h"

#define CHUNK_BYTES (1 << 20)          /* target size of one HDF5 chunk */
#define DECODE_ELEMS ((int64_t)1 << 22) /* one-hot values decoded per sub-block (16 MB of floats) */

const char TOKEN_LETTERS[7] = "-ACGTN";

const char *padding_name(Padding p) { return p == PAD_PRE ? "pre" : "post"; }

int padding_parse(const char *s, Padding *out)
{
    if (strcmp(s, "pre") == 0)
        *out = PAD_PRE;
    else if (strcmp(s, "post") == 0)
        *out = PAD_POST;
    else
        return -1;
    return 0;
}

int token_of_base(int c)
{
    switch (c) {
    case 'A': case 'a': return TOKEN_A;
    case 'C': case 'c': return TOKEN_C;
    case 'G': case 'g': return TOKEN_G;
    case 'T': case 't': case 'U': case 'u': return TOKEN_T;
    case 'N': case 'n':
    case 'R': case 'r': case 'Y': case 'y': case 'S': case 's': case 'W': case 'w':
    case 'K': case 'k': case 'M': case 'm': case 'B': case 'b': case 'D': case 'd':
    case 'H': case 'h': case 'V': case 'v': return TOKEN_N;
    default: return -1;
    }
}

void tokens_reverse_complement(const uint8_t *x, uint8_t *y, int64_t n, int L)
{
    static const uint8_t complement[6] = {TOKEN_PAD, TOKEN_T, TOKEN_G, TOKEN_C, TOKEN_A, TOKEN_N};
    for (int64_t r = 0; r < n; r++) {
        const uint8_t *a = x + r * L;
        uint8_t *b = y + r * L;
        int s = 0, e = L;
        while (s < L && a[s] == TOKEN_PAD)
            s++;
        while (e > s && a[e - 1] == TOKEN_PAD)
            e--;
        memcpy(b, a, (size_t)L); /* padding outside [s, e) stays */
        for (int j = s; j < e; j++)
            b[j] = complement[a[s + e - 1 - j] <= TOKEN_N ? a[s + e - 1 - j] : TOKEN_N];
    }
}

/* ---- one-hot decoding ---- */

#define DEFINE_ONEHOT_DECODE(NAME, T)                                                              \
    int NAME(const T *src, int64_t n, int L, int64_t s_n, int64_t s_l, int64_t s_c,                \
             const uint8_t order[4], uint8_t zero_token, uint8_t *dst, int64_t *bad_i, int *bad_j) \
    {                                                                                              \
        for (int64_t i = 0; i < n; i++)                                                            \
            for (int j = 0; j < L; j++) {                                                          \
                const T *p = src + i * s_n + (int64_t)j * s_l;                                     \
                T v0 = p[0], v1 = p[s_c], v2 = p[2 * s_c], v3 = p[3 * s_c];                        \
                int nz = (v0 != 0) + (v1 != 0) + (v2 != 0) + (v3 != 0);                            \
                uint8_t tok;                                                                       \
                if (nz == 0)                                                                       \
                    tok = zero_token;                                                              \
                else if (nz == 1 && v0 + v1 + v2 + v3 > 0) /* the one value is positive */         \
                    tok = order[v0 ? 0 : v1 ? 1 : v2 ? 2 : 3];                                     \
                else if (v0 > 0 && v0 == v1 && v1 == v2 && v2 == v3)                               \
                    tok = TOKEN_N;                                                                 \
                else {                                                                             \
                    *bad_i = i;                                                                    \
                    *bad_j = j;                                                                    \
                    return -1;                                                                     \
                }                                                                                  \
                dst[i * L + j] = tok;                                                              \
            }                                                                                      \
        return 0;                                                                                  \
    }

DEFINE_ONEHOT_DECODE(onehot_decode_f32, float)
DEFINE_ONEHOT_DECODE(onehot_decode_u8, uint8_t)

/* ---- reading ---- */

struct Dataset {
    H5File *f;
    char *path;
    DatasetInfo info;
    int x_u8;         /* /x stored as uint8 (tokens are read without conversion) */
    int y_u8;         /* /y stored as uint8 */
    int y_rank;       /* 1: /y is (N), 2: (N, K) */
    int32_t *lengths; /* (N) when /length is present */
};

static const char *plural(int64_t n) { return n == 1 ? "" : "s"; }

/* Checks /x and fills n, L, x_onehot, x_u8. */
static int open_x(Dataset *d, Error *err)
{
    const char *p = d->path;
    if (!h5_has(d->f, "/x"))
        return error_set(err, "%s: dataset /x: missing (a gseq file holds /x and /y; "
                              "make one with gseq_mpi convert)", p);
    H5Info xi;
    if (h5_info(d->f, "/x", &xi, err) != 0)
        return -1;
    char kind[32];
    h5_kind_name(&xi, kind, sizeof kind);
    if (xi.rank == 2) {
        if (xi.kind != H5K_INTEGER)
            return error_set(err, "%s: dataset /x: %s (N, L), expected uint8 tokens "
                                  "(a one-hot /x must be (N, L, 4))", p, kind);
        d->x_u8 = !xi.is_signed && xi.size == 1;
    } else if (xi.rank == 3) {
        if (xi.dims[2] != 4)
            return error_set(err, "%s: dataset /x: shape (%lld, %lld, %lld), expected one-hot "
                                  "(N, L, 4) or tokens (N, L)", p, (long long)xi.dims[0],
                             (long long)xi.dims[1], (long long)xi.dims[2]);
        if (xi.kind != H5K_INTEGER && xi.kind != H5K_FLOAT)
            return error_set(err, "%s: dataset /x: %s, expected uint8 or float32", p, kind);
        d->info.x_onehot = 1;
        d->x_u8 = xi.kind == H5K_INTEGER;
    } else {
        return error_set(err, "%s: dataset /x: rank %d, expected tokens (N, L) or one-hot "
                              "(N, L, 4)", p, xi.rank);
    }
    if (xi.dims[0] < 1)
        return error_set(err, "%s: dataset /x: no rows (N = 0)", p);
    if (xi.dims[1] < 1 || xi.dims[1] > (1 << 30))
        return error_set(err, "%s: dataset /x: sequence length %lld not supported", p,
                         (long long)xi.dims[1]);
    if (h5_check_stored(d->f, "/x", err) != 0)
        return -1;
    d->info.n = xi.dims[0];
    d->info.length = (int)xi.dims[1];
    return 0;
}

static int open_y(Dataset *d, Error *err)
{
    const char *p = d->path;
    if (!h5_has(d->f, "/y"))
        return error_set(err, "%s: dataset /y: missing (labels (N, K) are required)", p);
    H5Info yi;
    if (h5_info(d->f, "/y", &yi, err) != 0)
        return -1;
    char kind[32];
    if (yi.kind != H5K_INTEGER && yi.kind != H5K_FLOAT)
        return error_set(err, "%s: dataset /y: %s, expected uint8 or float32 labels", p,
                         h5_kind_name(&yi, kind, sizeof kind));
    if (yi.rank != 1 && yi.rank != 2)
        return error_set(err, "%s: dataset /y: rank %d, expected (N, K) or (N)", p, yi.rank);
    if (yi.dims[0] != d->info.n)
        return error_set(err, "%s: /x has %lld row%s but /y has %lld", p, (long long)d->info.n,
                         plural(d->info.n), (long long)yi.dims[0]);
    d->y_rank = yi.rank;
    d->info.targets = yi.rank == 2 ? (int)yi.dims[1] : 1;
    d->info.y_float = yi.kind == H5K_FLOAT;
    d->y_u8 = yi.kind == H5K_INTEGER && !yi.is_signed && yi.size == 1;
    if (d->info.targets < 1)
        return error_set(err, "%s: dataset /y: no label columns (K = 0)", p);
    return h5_check_stored(d->f, "/y", err);
}

static int open_attrs(Dataset *d, Error *err)
{
    const char *p = d->path;
    d->info.task = d->info.targets == 1 ? TASK_BINARY : TASK_MULTILABEL;
    d->info.padding = PAD_PRE;
    d->info.format_version = DATASET_FORMAT_VERSION;
    if (h5_has_attr(d->f, "/", "task")) {
        char *s = h5_read_attr_string(d->f, "/", "task", err);
        if (!s)
            return -1;
        int bad = task_parse(s, &d->info.task) != 0 || d->info.task == TASK_AUTO;
        if (bad)
            error_set(err, "%s: attribute task = '%s', expected binary, multilabel, "
                      "multiclass or regression",
                      p, s);
        free(s);
        if (bad)
            return -1;
    }
    if (h5_has_attr(d->f, "/", "padding")) {
        char *s = h5_read_attr_string(d->f, "/", "padding", err);
        if (!s)
            return -1;
        int bad = padding_parse(s, &d->info.padding) != 0;
        if (bad)
            error_set(err, "%s: attribute padding = '%s', expected pre or post", p, s);
        free(s);
        if (bad)
            return -1;
    }
    if (h5_has_attr(d->f, "/", "format_version")) {
        double v;
        if (h5_read_attr_double(d->f, "/", "format_version", &v, err) != 0)
            return -1;
        if (!(v >= 1 && v <= DATASET_FORMAT_VERSION))
            return error_set(err, "%s: attribute format_version = %g, this program reads "
                                  "version 1 to %d", p, v, DATASET_FORMAT_VERSION);
        d->info.format_version = (int)v;
    }
    if (d->info.task == TASK_BINARY && d->info.targets != 1)
        return error_set(err, "%s: task binary needs one label column, /y has %d (use task "
                              "multilabel)", p, d->info.targets);
    if (d->info.task == TASK_MULTICLASS && d->info.targets < 2)
        return error_set(err, "%s: task multiclass needs at least 2 label columns (one-hot), "
                              "/y has %d", p, d->info.targets);
    return 0;
}

/* Checks a 1-D dataset of N (or K) entries. */
static int check_vector(Dataset *d, const char *name, int64_t want, const char *of, H5Kind kind,
                        Error *err)
{
    H5Info info;
    if (h5_info(d->f, name, &info, err) != 0)
        return -1;
    char k[32];
    h5_kind_name(&info, k, sizeof k);
    if (info.rank != 1 || info.dims[0] != want)
        return error_set(err, "%s: dataset %s: %s entries expected (%lld), found rank %d with "
                              "%lld", d->path, name, of, (long long)want, info.rank,
                         info.rank ? (long long)info.dims[0] : 0LL);
    if (info.kind != kind)
        return error_set(err, "%s: dataset %s: %s, expected %s", d->path, name, k,
                         kind == H5K_STRING ? "strings" : "integers");
    return 0;
}

/* /chrom, /start, /end (all or none) and /strand. */
static int open_coords(Dataset *d, Error *err)
{
    const char *names[3] = {"/chrom", "/start", "/end"};
    int have = h5_has(d->f, "/chrom") + h5_has(d->f, "/start") + h5_has(d->f, "/end");
    if (have == 0) {
        if (h5_has(d->f, "/strand"))
            return error_set(err, "%s: dataset /strand without /chrom, /start and /end", d->path);
        return 0;
    }
    for (int i = 0; i < 3; i++) {
        if (!h5_has(d->f, names[i]))
            return error_set(err, "%s: dataset %s: missing (coordinates are /chrom, /start and "
                                  "/end together)", d->path, names[i]);
        if (check_vector(d, names[i], d->info.n, "one per row", i ? H5K_INTEGER : H5K_STRING,
                         err) != 0)
            return -1;
    }
    if (h5_has(d->f, "/strand")) {
        if (check_vector(d, "/strand", d->info.n, "one per row", H5K_STRING, err) != 0)
            return -1;
        d->info.has_strand = 1;
    }
    d->info.has_coords = 1;
    return 0;
}

static int open_optional(Dataset *d, Error *err)
{
    const DatasetInfo *in = &d->info;
    if (h5_has(d->f, "/length")) {
        if (check_vector(d, "/length", in->n, "one per row", H5K_INTEGER, err) != 0 ||
            h5_check_stored(d->f, "/length", err) != 0)
            return -1;
        d->lengths = xmalloc((size_t)in->n, sizeof *d->lengths);
        if (h5_read_i32(d->f, "/length", d->lengths, (size_t)in->n, err) != 0)
            return -1;
        for (int64_t i = 0; i < in->n; i++)
            if (d->lengths[i] < 0 || d->lengths[i] > in->length)
                return error_set(err, "%s: dataset /length: row %lld: length %d outside 0..%d "
                                      "(the width of /x)", d->path, (long long)i, d->lengths[i],
                                 in->length);
        d->info.has_lengths = 1;
    }
    if (h5_has(d->f, "/id")) {
        if (check_vector(d, "/id", in->n, "one per row", H5K_STRING, err) != 0)
            return -1;
        d->info.has_ids = 1;
    }
    if (open_coords(d, err) != 0)
        return -1;
    d->info.target_names = xcalloc((size_t)in->targets, sizeof(char *));
    if (h5_has(d->f, "/target_names")) {
        if (check_vector(d, "/target_names", in->targets, "one per label column", H5K_STRING,
                         err) != 0)
            return -1;
        int64_t start = 0, count = in->targets;
        if (h5_read_slab(d->f, "/target_names", H5IO_STR, &start, &count, d->info.target_names,
                         err) != 0)
            return -1;
    } else {
        for (int k = 0; k < in->targets; k++) {
            char name[32];
            snprintf(name, sizeof name, "target_%d", k);
            d->info.target_names[k] = xstrdup(name);
        }
    }
    return 0;
}

Dataset *dataset_open(const char *path, Error *err)
{
    H5File *f = h5_open(path, 0, err);
    if (!f)
        return NULL;
    Dataset *d = xcalloc(1, sizeof *d);
    d->f = f;
    d->path = xstrdup(path);
    if (open_x(d, err) != 0 || open_y(d, err) != 0 || open_attrs(d, err) != 0 ||
        open_optional(d, err) != 0) {
        dataset_close(d);
        return NULL;
    }
    return d;
}

const DatasetInfo *dataset_info(const Dataset *d) { return &d->info; }
const char *dataset_path(const Dataset *d) { return d->path; }

void dataset_close(Dataset *d)
{
    if (!d)
        return;
    Error ignored;
    h5_close(d->f, &ignored);
    if (d->info.target_names)
        for (int k = 0; k < d->info.targets; k++)
            free(d->info.target_names[k]);
    free(d->info.target_names);
    free(d->lengths);
    free(d->path);
    free(d);
}

static int check_range(const Dataset *d, int64_t start, int64_t count, Error *err)
{
    if (start < 0 || count < 0 || start + count > d->info.n)
        return error_set(err, "%s: rows %lld..%lld requested, the file has %lld", d->path,
                         (long long)start, (long long)(start + count), (long long)d->info.n);
    return 0;
}

static int read_tokens(Dataset *d, int64_t start, int64_t count, uint8_t *tokens, Error *err)
{
    const int L = d->info.length;
    if (!d->info.x_onehot && d->x_u8) {
        int64_t s[2] = {start, 0}, c[2] = {count, L};
        if (h5_read_slab(d->f, "/x", H5IO_U8, s, c, tokens, err) != 0)
            return -1;
    } else if (!d->info.x_onehot) {
        /* wider integers: read as int32 so that -1 or 300 are caught, not clamped into range */
        int64_t rows = DECODE_ELEMS / L > 0 ? DECODE_ELEMS / L : 1;
        int32_t *tmp = xmalloc((size_t)(rows < count ? rows : count) * (size_t)L, sizeof *tmp);
        for (int64_t r = 0; r < count; r += rows) {
            int64_t m = count - r < rows ? count - r : rows;
            int64_t s[2] = {start + r, 0}, c[2] = {m, L};
            if (h5_read_slab(d->f, "/x", H5IO_I32, s, c, tmp, err) != 0) {
                free(tmp);
                return -1;
            }
            for (int64_t i = 0; i < m * L; i++) {
                if (tmp[i] < 0 || tmp[i] > TOKEN_N) {
                    int64_t row = start + r + i / L;
                    error_set(err, "%s: dataset /x: row %lld position %lld: token %d outside "
                                   "0..5", d->path, (long long)row, (long long)(i % L), tmp[i]);
                    free(tmp);
                    return -1;
                }
                tokens[r * L + i] = (uint8_t)tmp[i];
            }
        }
        free(tmp);
    } else {
        static const uint8_t acgt[4] = {TOKEN_A, TOKEN_C, TOKEN_G, TOKEN_T};
        int64_t rows = DECODE_ELEMS / (4 * (int64_t)L) > 0 ? DECODE_ELEMS / (4 * (int64_t)L) : 1;
        size_t cap = (size_t)(rows < count ? rows : count) * (size_t)L * 4;
        void *tmp = d->x_u8 ? xmalloc(cap, 1) : xmalloc(cap, sizeof(float));
        for (int64_t r = 0; r < count; r += rows) {
            int64_t m = count - r < rows ? count - r : rows;
            int64_t s[3] = {start + r, 0, 0}, c[3] = {m, L, 4}, bi = 0;
            int bj = 0, rc;
            if (h5_read_slab(d->f, "/x", d->x_u8 ? H5IO_U8 : H5IO_F32, s, c, tmp, err) != 0) {
                free(tmp);
                return -1;
            }
            if (d->x_u8)
                rc = onehot_decode_u8(tmp, m, L, 4 * (int64_t)L, 4, 1, acgt, TOKEN_PAD,
                                      tokens + r * L, &bi, &bj);
            else
                rc = onehot_decode_f32(tmp, m, L, 4 * (int64_t)L, 4, 1, acgt, TOKEN_PAD,
                                       tokens + r * L, &bi, &bj);
            if (rc != 0) {
                error_set(err, "%s: dataset /x: row %lld position %d is not one-hot (expected a "
                               "unit vector, four equal values for N, or zeros for padding)",
                          d->path, (long long)(start + r + bi), bj);
                free(tmp);
                return -1;
            }
        }
        free(tmp);
        return 0;
    }
    /* a max over the block vectorises; only a failing block is searched for the culprit */
    uint8_t top = 0;
    const int64_t total = count * L;
    for (int64_t i = 0; i < total; i++)
        top = tokens[i] > top ? tokens[i] : top;
    if (top <= TOKEN_N)
        return 0;
    int64_t i = 0;
    while (tokens[i] <= TOKEN_N)
        i++;
    return error_set(err, "%s: dataset /x: row %lld position %lld: token %d outside 0..5 "
                          "(0 = padding, 1..4 = A C G T, 5 = N)", d->path,
                     (long long)(start + i / L), (long long)(i % L), tokens[i]);
}

/* Labels the task allows: binary 0/1, multilabel in [0, 1], multiclass rows of [0, 1] summing to 1,
 * regression any finite value. */
static int check_labels(const Dataset *d, int64_t start, int64_t count, const float *y, Error *err)
{
    const int K = d->info.targets;
    for (int64_t i = 0; i < count; i++) {
        double sum = 0;
        for (int k = 0; k < K; k++) {
            float v = y[i * K + k];
            Task t = d->info.task;
            int ok = t == TASK_BINARY ? (v == 0.0f || v == 1.0f)
                   : t == TASK_REGRESSION ? isfinite(v) : (v >= 0.0f && v <= 1.0f); /* NaN fails */
            if (!ok)
                return error_set(err, "%s: dataset /y: row %lld column %d: label %g %s (task %s)",
                                 d->path, (long long)(start + i), k, (double)v,
                                 t == TASK_BINARY ? "is not 0 or 1"
                                 : t == TASK_REGRESSION ? "is not a finite number"
                                                        : "is outside 0..1",
                                 task_name(t));
            sum += v;
        }
        if (d->info.task == TASK_MULTICLASS && fabs(sum - 1.0) > 1e-3)
            return error_set(err, "%s: dataset /y: row %lld: labels sum to %g, a multiclass row "
                                  "must be one-hot (sum 1)", d->path, (long long)(start + i), sum);
    }
    return 0;
}

int dataset_read_rows(Dataset *d, int64_t start, int64_t count, uint8_t *tokens, float *labels,
                      Error *err)
{
    if (check_range(d, start, count, err) != 0)
        return -1;
    if (count == 0)
        return 0;
    if (tokens && read_tokens(d, start, count, tokens, err) != 0)
        return -1;
    if (labels) {
        int64_t s[2] = {start, 0}, c[2] = {count, d->info.targets};
        if (d->y_u8) {
            /* uint8 labels: read the bytes and widen them here, cheaper than HDF5's conversion;
             * the bytes sit in the last quarter of the float buffer; widening front to back never
             * overwrites a byte not yet read */
            size_t n = (size_t)count * (size_t)d->info.targets;
            uint8_t *bytes = (uint8_t *)(labels + n) - n;
            if (h5_read_slab(d->f, "/y", H5IO_U8, s, c, bytes, err) != 0)
                return -1;
            for (size_t i = 0; i < n; i++)
                labels[i] = (float)bytes[i];
        } else if (h5_read_slab(d->f, "/y", H5IO_F32, s, c, labels, err) != 0) {
            return -1;
        }
        if (check_labels(d, start, count, labels, err) != 0)
            return -1;
    }
    return 0;
}

int dataset_read_index(Dataset *d, const int64_t *rows, int64_t count, uint8_t *tokens,
                       float *labels, Error *err)
{
    const int64_t L = d->info.length, K = d->info.targets;
    for (int64_t i = 0; i < count;) {
        int64_t j = i + 1;
        while (j < count && rows[j] == rows[j - 1] + 1)
            j++;
        if (i > 0 && rows[i] <= rows[i - 1])
            return error_set(err, "%s: rows must be read in increasing order (row %lld after "
                                  "%lld)", d->path, (long long)rows[i], (long long)rows[i - 1]);
        if (dataset_read_rows(d, rows[i], j - i, tokens ? tokens + i * L : NULL,
                              labels ? labels + i * K : NULL, err) != 0)
            return -1;
        i = j;
    }
    return 0;
}

/* Real bases of a row from its padding side. */
static int32_t counted_length(const uint8_t *t, int L, Padding pad)
{
    int j;
    if (pad == PAD_PRE) {
        for (j = 0; j < L && t[j] == TOKEN_PAD; j++)
            ;
        return L - j;
    }
    for (j = L; j > 0 && t[j - 1] == TOKEN_PAD; j--)
        ;
    return j;
}

int dataset_read_lengths(Dataset *d, int64_t start, int64_t count, int32_t *lengths, Error *err)
{
    if (check_range(d, start, count, err) != 0)
        return -1;
    if (d->lengths) {
        memcpy(lengths, d->lengths + start, (size_t)count * sizeof *lengths);
        return 0;
    }
    const int L = d->info.length;
    int64_t rows = DECODE_ELEMS / L > 0 ? DECODE_ELEMS / L : 1;
    uint8_t *tmp = xmalloc((size_t)(rows < count ? rows : count), (size_t)L);
    for (int64_t r = 0; r < count; r += rows) {
        int64_t m = count - r < rows ? count - r : rows;
        if (read_tokens(d, start + r, m, tmp, err) != 0) {
            free(tmp);
            return -1;
        }
        for (int64_t i = 0; i < m; i++)
            lengths[r + i] = counted_length(tmp + i * L, L, d->info.padding);
    }
    free(tmp);
    return 0;
}

int dataset_read_ids(Dataset *d, int64_t start, int64_t count, char **ids, Error *err)
{
    if (check_range(d, start, count, err) != 0)
        return -1;
    if (!d->info.has_ids) {
        for (int64_t i = 0; i < count; i++) {
            char name[32];
            snprintf(name, sizeof name, "row_%lld", (long long)(start + i));
            ids[i] = xstrdup(name);
        }
        return 0;
    }
    return h5_read_slab(d->f, "/id", H5IO_STR, &start, &count, ids, err);
}

int dataset_read_coords(Dataset *d, int64_t start, int64_t count, char **chrom, int64_t *cstart,
                        int64_t *cend, Error *err)
{
    if (check_range(d, start, count, err) != 0)
        return -1;
    if (!d->info.has_coords)
        return error_set(err, "%s: no genome coordinates (/chrom, /start, /end): convert the "
                              "data with --genome", d->path);
    if (count == 0)
        return 0;
    if (chrom && h5_read_slab(d->f, "/chrom", H5IO_STR, &start, &count, chrom, err) != 0)
        return -1;
    int64_t *s = cstart ? cstart : xmalloc((size_t)count, sizeof *s);
    int64_t *e = cend ? cend : xmalloc((size_t)count, sizeof *e);
    int rc = h5_read_slab(d->f, "/start", H5IO_I64, &start, &count, s, err);
    if (rc == 0)
        rc = h5_read_slab(d->f, "/end", H5IO_I64, &start, &count, e, err);
    for (int64_t i = 0; rc == 0 && i < count; i++)
        if (s[i] < 0 || s[i] >= e[i])
            rc = error_set(err, "%s: row %lld: coordinates %lld-%lld, expected 0 <= start < end",
                           d->path, (long long)(start + i), (long long)s[i], (long long)e[i]);
    if (rc != 0 && chrom)
        for (int64_t i = 0; i < count; i++) {
            free(chrom[i]);
            chrom[i] = NULL;
        }
    if (!cstart)
        free(s);
    if (!cend)
        free(e);
    return rc;
}

int dataset_read_strand(Dataset *d, int64_t start, int64_t count, char *strand, Error *err)
{
    if (check_range(d, start, count, err) != 0)
        return -1;
    memset(strand, '.', (size_t)count);
    if (!d->info.has_strand || count == 0)
        return 0;
    char **s = xcalloc((size_t)count, sizeof *s);
    int rc = h5_read_slab(d->f, "/strand", H5IO_STR, &start, &count, s, err);
    for (int64_t i = 0; i < count; i++) {
        if (rc == 0 && s[i] && (!strcmp(s[i], "+") || !strcmp(s[i], "-")))
            strand[i] = s[i][0];
        else if (rc == 0 && !(s[i] && !strcmp(s[i], ".")))
            rc = error_set(err, "%s: dataset /strand: row %lld: '%s', expected +, - or .",
                           d->path, (long long)(start + i), s[i] ? s[i] : "");
        free(s[i]);
    }
    free(s);
    return rc;
}

int dataset_read_extra(Dataset *d, const char *name, int64_t start, int64_t count, float *out,
                       int *width, Error *err)
{
    if (check_range(d, start, count, err) != 0)
        return -1;
    if (!h5_has(d->f, name))
        return error_set(err, "%s: dataset %s: missing", d->path, name);
    H5Info info;
    if (h5_info(d->f, name, &info, err) != 0)
        return -1;
    if ((info.rank != 1 && info.rank != 2) || info.dims[0] != d->info.n ||
        (info.kind != H5K_FLOAT && info.kind != H5K_INTEGER))
        return error_set(err, "%s: dataset %s: expected numbers (N) or (N, W) with N = %lld",
                         d->path, name, (long long)d->info.n);
    *width = info.rank == 2 ? (int)info.dims[1] : 1;
    if (!out)
        return 0;
    int64_t s[2] = {start, 0}, c[2] = {count, *width};
    return h5_read_slab(d->f, name, H5IO_F32, s, c, out, err);
}

int dataset_check(Dataset *d, Error *err)
{
    const int L = d->info.length, K = d->info.targets;
    int64_t rows = DECODE_ELEMS / L > 0 ? DECODE_ELEMS / L : 1;
    if (rows > d->info.n)
        rows = d->info.n;
    uint8_t *tok = xmalloc((size_t)rows, (size_t)L);
    float *lab = xmalloc((size_t)rows, (size_t)K * sizeof(float));
    int rc = 0;
    for (int64_t r = 0; r < d->info.n && rc == 0; r += rows) {
        int64_t m = d->info.n - r < rows ? d->info.n - r : rows;
        rc = dataset_read_rows(d, r, m, tok, lab, err);
        for (int64_t i = 0; i < m && rc == 0 && d->lengths; i++) {
            const uint8_t *t = tok + i * L;
            int32_t len = d->lengths[r + i];
            int pad0 = d->info.padding == PAD_PRE ? 0 : len;      /* padding [pad0, pad0 + L - len) */
            for (int j = 0; j < L; j++) {
                int is_pad = j >= pad0 && j < pad0 + (L - len);
                if (is_pad != (t[j] == TOKEN_PAD)) {
                    rc = error_set(err, "%s: row %lld position %d: %s, but /length = %d with %s "
                                        "padding", d->path, (long long)(r + i), j,
                                   is_pad ? "a base where padding belongs" : "padding inside the sequence",
                                   len, padding_name(d->info.padding));
                    break;
                }
            }
        }
    }
    free(tok);
    free(lab);
    return rc;
}

void dataset_shard(int64_t n, int rank, int nranks, int64_t *start, int64_t *count)
{
    int64_t base = n / nranks, extra = n % nranks;
    *start = rank * base + (rank < extra ? rank : extra);
    *count = base + (rank < extra ? 1 : 0);
}

/* ---- writing ---- */

struct DatasetWriter {
    H5File *f;
    char *path, *tmp;
    DatasetSpec spec;
    char *extra_name;
    int64_t rows;
    int64_t coord_rows; /* rows whose coordinates are written */
    uint8_t *ybuf; /* labels as uint8, one append's worth */
    size_t ybuf_cap;
};

/* Rows per chunk: about CHUNK_BYTES, at least 1, at most the rows there will be. */
static int64_t chunk_rows(int64_t row_bytes, int64_t n)
{
    int64_t r = CHUNK_BYTES / (row_bytes > 0 ? row_bytes : 1);
    if (r < 1)
        r = 1;
    if (r > 65536)
        r = 65536;
    if (n > 0 && r > n)
        r = n;
    return r;
}

static int writer_create(DatasetWriter *w, const char *name, H5Type type, int64_t width,
                         int64_t elem_bytes, Error *err)
{
    const DatasetSpec *s = &w->spec;
    int rank = width > 0 ? 2 : 1;
    int64_t dims[2] = {s->n > 0 ? s->n : 0, width}, maxd[2] = {s->n > 0 ? s->n : -1, width};
    int64_t chunk[2] = {chunk_rows(elem_bytes * (width > 0 ? width : 1), s->n), width};
    return h5_create_dataset(w->f, name, type, rank, dims, maxd, chunk, s->gzip, err);
}

DatasetWriter *dataset_writer_open(const char *path, const DatasetSpec *spec, Error *err)
{
    if (spec->length < 1 || spec->targets < 1 || spec->n == 0) {
        error_set(err, "%s: nothing to write (N = %lld, L = %d, K = %d)", path,
                  (long long)spec->n, spec->length, spec->targets);
        return NULL;
    }
    if (spec->task == TASK_BINARY && spec->targets != 1) {
        error_set(err, "%s: task binary needs one label column, not %d", path, spec->targets);
        return NULL;
    }
    DatasetWriter *w = xcalloc(1, sizeof *w);
    w->spec = *spec;
    w->path = xstrdup(path);
    w->tmp = xmalloc(strlen(path) + 32, 1);
    sprintf(w->tmp, "%s.tmp.%ld", path, (long)getpid());
    w->f = h5_create(w->tmp, err);
    if (!w->f) {
        free(w->path);
        free(w->tmp);
        free(w);
        return NULL;
    }
    w->spec.target_names = NULL;
    w->extra_name = spec->extra_name && spec->extra_width > 0 ? xstrdup(spec->extra_name) : NULL;
    w->spec.extra_name = w->extra_name;
    int rc = writer_create(w, "/x", H5IO_U8, spec->length, 1, err);
    if (rc == 0)
        rc = writer_create(w, "/y", spec->y_float ? H5IO_F32 : H5IO_U8, spec->targets,
                           spec->y_float ? 4 : 1, err);
    if (rc == 0 && spec->with_lengths)
        rc = writer_create(w, "/length", H5IO_I32, 0, 4, err);
    if (rc == 0 && spec->with_ids)
        rc = writer_create(w, "/id", H5IO_STR, 0, 16, err);
    if (rc == 0 && w->extra_name)
        rc = writer_create(w, w->extra_name, H5IO_F32, spec->extra_width, 4, err);
    if (rc == 0 && spec->with_coords)
        rc = writer_create(w, "/chrom", H5IO_STR, 0, 16, err);
    if (rc == 0 && spec->with_coords)
        rc = writer_create(w, "/start", H5IO_I64, 0, 8, err);
    if (rc == 0 && spec->with_coords)
        rc = writer_create(w, "/end", H5IO_I64, 0, 8, err);
    if (rc == 0 && spec->with_coords && spec->with_strand)
        rc = writer_create(w, "/strand", H5IO_STR, 0, 16, err);
    if (rc == 0 && spec->target_names) {
        int64_t dims = spec->targets, start = 0;
        rc = h5_create_dataset(w->f, "/target_names", H5IO_STR, 1, &dims, NULL, NULL, 0, err);
        if (rc == 0)
            rc = h5_write_slab(w->f, "/target_names", H5IO_STR, &start, &dims, spec->target_names,
                               err);
    }
    if (rc != 0) {
        dataset_writer_abort(w);
        return NULL;
    }
    return w;
}

int64_t dataset_writer_rows(const DatasetWriter *w) { return w->rows; }
const char *dataset_writer_temp_path(const DatasetWriter *w) { return w->tmp; }

/* Checks a block before it is written, naming the row (counted from the file's first row). */
static int writer_check(DatasetWriter *w, int64_t count, const uint8_t *tokens, const float *labels,
                        const int32_t *lengths, Error *err)
{
    const DatasetSpec *s = &w->spec;
    const int64_t L = s->length, K = s->targets;
    uint8_t top = 0;
    for (int64_t i = 0; i < count * L; i++)
        top = tokens[i] > top ? tokens[i] : top;
    for (int64_t i = 0; top > TOKEN_N && i < count * L; i++)
        if (tokens[i] > TOKEN_N)
            return error_set(err, "%s: row %lld position %lld: token %d outside 0..5", w->path,
                             (long long)(w->rows + i / L), (long long)(i % L), tokens[i]);
    for (int64_t i = 0; i < count * K; i++) {
        float v = labels[i];
        const char *why = NULL;
        if (!isfinite(v))
            why = "is not a finite number";
        else if (s->task == TASK_BINARY && v != 0.0f && v != 1.0f)
            why = "is not 0 or 1 (task binary)";
        else if (!s->y_float && (v < 0 || v > 255 || v != floorf(v)))
            why = "is not an integer 0..255 (store labels as float32)";
        if (why)
            return error_set(err, "%s: row %lld column %lld: label %g %s", w->path,
                             (long long)(w->rows + i / K), (long long)(i % K), (double)v, why);
    }
    for (int64_t i = 0; lengths && i < count; i++)
        if (lengths[i] < 0 || lengths[i] > L)
            return error_set(err, "%s: row %lld: length %d outside 0..%lld", w->path,
                             (long long)(w->rows + i), lengths[i], (long long)L);
    return 0;
}

/* Rows [row0, row0 + count) of a dataset, growing it when the number of rows is not known. */
static int writer_put_at(DatasetWriter *w, const char *name, H5Type type, int64_t row0,
                         int64_t count, int64_t width, const void *buf, Error *err)
{
    int64_t start[2] = {row0, 0}, cnt[2] = {count, width};
    if (w->spec.n < 0) {
        int64_t dims[2] = {row0 + count, width};
        if (h5_extend(w->f, name, dims, err) != 0)
            return -1;
    }
    return h5_write_slab(w->f, name, type, start, cnt, buf, err);
}

int dataset_writer_coords(DatasetWriter *w, int64_t count, const char *const *chrom,
                          const int64_t *start, const int64_t *end, const char *const *strand,
                          Error *err)
{
    const DatasetSpec *s = &w->spec;
    if (!s->with_coords || !chrom || !start || !end || (s->with_strand && !strand))
        return error_set(err, "%s: internal: coordinates the writer was not opened for", w->path);
    if (count <= 0)
        return 0;
    if (s->n > 0 && w->coord_rows + count > s->n)
        return error_set(err, "%s: coordinates of %lld rows, more than the %lld announced",
                         w->path, (long long)(w->coord_rows + count), (long long)s->n);
    for (int64_t i = 0; i < count; i++)
        if (start[i] < 0 || start[i] >= end[i])
            return error_set(err, "%s: row %lld: coordinates %lld-%lld, expected 0 <= start < "
                                  "end", w->path, (long long)(w->coord_rows + i),
                             (long long)start[i], (long long)end[i]);
    const int64_t r0 = w->coord_rows;
    if (writer_put_at(w, "/chrom", H5IO_STR, r0, count, 0, chrom, err) != 0 ||
        writer_put_at(w, "/start", H5IO_I64, r0, count, 0, start, err) != 0 ||
        writer_put_at(w, "/end", H5IO_I64, r0, count, 0, end, err) != 0 ||
        (s->with_strand && writer_put_at(w, "/strand", H5IO_STR, r0, count, 0, strand, err) != 0))
        return -1;
    w->coord_rows += count;
    return 0;
}

static int writer_put(DatasetWriter *w, const char *name, H5Type type, int64_t count, int64_t width,
                      const void *buf, Error *err)
{
    return writer_put_at(w, name, type, w->rows, count, width, buf, err);
}

int dataset_writer_append(DatasetWriter *w, int64_t count, const uint8_t *tokens, const float *labels,
                          const int32_t *lengths, const char *const *ids, const float *extra,
                          Error *err)
{
    const DatasetSpec *s = &w->spec;
    if (count <= 0)
        return 0;
    if (s->n > 0 && w->rows + count > s->n)
        return error_set(err, "%s: %lld rows written, more than the %lld announced", w->path,
                         (long long)(w->rows + count), (long long)s->n);
    if ((s->with_lengths && !lengths) || (s->with_ids && !ids) || (w->extra_name && !extra))
        return error_set(err, "%s: internal: append without lengths, ids or %s", w->path,
                         w->extra_name ? w->extra_name : "extra");
    if (writer_check(w, count, tokens, labels, s->with_lengths ? lengths : NULL, err) != 0)
        return -1;
    if (writer_put(w, "/x", H5IO_U8, count, s->length, tokens, err) != 0)
        return -1;
    if (s->y_float) {
        if (writer_put(w, "/y", H5IO_F32, count, s->targets, labels, err) != 0)
            return -1;
    } else {
        size_t n = (size_t)count * (size_t)s->targets;
        if (n > w->ybuf_cap) {
            free(w->ybuf);
            w->ybuf = xmalloc(n, 1);
            w->ybuf_cap = n;
        }
        for (size_t i = 0; i < n; i++)
            w->ybuf[i] = (uint8_t)labels[i];
        if (writer_put(w, "/y", H5IO_U8, count, s->targets, w->ybuf, err) != 0)
            return -1;
    }
    if (s->with_lengths && writer_put(w, "/length", H5IO_I32, count, 0, lengths, err) != 0)
        return -1;
    if (s->with_ids && writer_put(w, "/id", H5IO_STR, count, 0, ids, err) != 0)
        return -1;
    if (w->extra_name && writer_put(w, w->extra_name, H5IO_F32, count, s->extra_width, extra, err) != 0)
        return -1;
    w->rows += count;
    return 0;
}

int dataset_writer_attr_string(DatasetWriter *w, const char *name, const char *value, Error *err)
{
    return h5_write_attr_string(w->f, "/", name, value, err);
}

int dataset_writer_attr_double(DatasetWriter *w, const char *name, double value, Error *err)
{
    return h5_write_attr_double(w->f, "/", name, value, err);
}

static void writer_free(DatasetWriter *w)
{
    free(w->path);
    free(w->tmp);
    free(w->extra_name);
    free(w->ybuf);
    free(w);
}

int dataset_writer_finish(DatasetWriter *w, Error *err)
{
    const DatasetSpec *s = &w->spec;
    int rc = 0;
    if (w->rows == 0)
        rc = error_set(err, "%s: no rows to write", w->path);
    else if (s->n > 0 && w->rows != s->n)
        rc = error_set(err, "%s: %lld rows written, %lld announced", w->path, (long long)w->rows,
                       (long long)s->n);
    else if (s->with_coords && w->coord_rows != w->rows)
        rc = error_set(err, "%s: internal: coordinates of %lld rows for %lld rows written",
                       w->path, (long long)w->coord_rows, (long long)w->rows);
    if (rc == 0)
        rc = h5_write_attr_string(w->f, "/", "task", task_name(s->task), err);
    if (rc == 0)
        rc = h5_write_attr_string(w->f, "/", "padding", padding_name(s->padding), err);
    if (rc == 0)
        rc = h5_write_attr_int(w->f, "/", "format_version", DATASET_FORMAT_VERSION, err);
    if (rc != 0) {
        dataset_writer_abort(w);
        return -1;
    }
    H5File *f = w->f;
    w->f = NULL;
    if (h5_close(f, err) != 0) {
        unlink(w->tmp);
        writer_free(w);
        return -1;
    }
    if (rename(w->tmp, w->path) != 0) {
        error_set(err, "%s: cannot rename %s into place: %s", w->path, w->tmp, strerror(errno));
        unlink(w->tmp);
        writer_free(w);
        return -1;
    }
    writer_free(w);
    return 0;
}

void dataset_writer_abort(DatasetWriter *w)
{
    if (!w)
        return;
    Error ignored;
    if (w->f)
        h5_close(w->f, &ignored);
    unlink(w->tmp);
    writer_free(w);
}
