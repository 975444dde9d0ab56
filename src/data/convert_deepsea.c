/* convert_deepsea.c: DeepSEA .mat files (MATLAB v7.3, which is HDF5) to the gseq file. See
 * converter.h. HDF5 shows DeepSEA's arrays transposed: one-hot x as (L, 4, N) with the channels in
 * A G C T order, labels as (T, N). Blocks are whole chunks along the sample axis, so no chunk is
 * inflated twice. An all-zero position is N by default: the windows have a fixed length. */
#include <stdlib.h>
#include <string.h>

#include "data/convert_sink.h"
#include "data/h5io.h"

/* The input as found: its datasets, their shapes, and the columns and samples to convert. */
typedef struct {
    H5File *f;
    const char *path, *xname, *yname;
    H5Info xi, yi;
    int L;
    int64_t N, first, K, n;
    Task task;
} DeepSea;

static const char *first_present(H5File *f, const char *const *names)
{
    for (; *names; names++)
        if (h5_has(f, *names))
            return *names;
    return NULL;
}

/* x and y by the names given or DeepSEA's own (y paired with x: trainxdata -> traindata). */
static int find_datasets(DeepSea *d, const char *xname, const char *yname, Error *err)
{
    static const char *const xs[] = {"trainxdata", "validxdata", "testxdata", NULL};
    static const char *const ys[] = {"traindata", "validdata", "testdata", NULL};
    H5File *f = d->f;
    if (!xname)
        xname = first_present(f, xs);
    if (!yname && xname) {
        for (int i = 0; xs[i]; i++)
            if (strcmp(xname, xs[i]) == 0 && h5_has(f, ys[i]))
                yname = ys[i];
        if (!yname)
            yname = first_present(f, ys);
    }
    if (!xname || !yname || !h5_has(f, xname) || !h5_has(f, yname)) {
        const char *missing = !xname ? "trainxdata" : !h5_has(f, xname) ? xname
                              : yname ? yname : "traindata";
        return error_set(err, "%s: dataset %s: missing (a DeepSEA .mat holds trainxdata and "
                              "traindata; name others with --x-name and --y-name)", d->path,
                         missing);
    }
    d->xname = xname;
    d->yname = yname;
    return 0;
}

/* Shapes (L, 4, N) and (T, N) of numbers; then the label columns, the task and the samples. */
static int check_shapes(DeepSea *d, const ConvertSettings *s, Error *err)
{
    const H5Info *xi = &d->xi, *yi = &d->yi;
    if (h5_info(d->f, d->xname, &d->xi, err) != 0 || h5_info(d->f, d->yname, &d->yi, err) != 0)
        return -1;
    if (xi->rank != 3 || xi->dims[1] != 4 || (xi->kind != H5K_INTEGER && xi->kind != H5K_FLOAT))
        return error_set(err, "%s: dataset %s: expected numbers of shape (L, 4, N) as HDF5 sees "
                              "DeepSEA's trainxdata, found rank %d%s", d->path, d->xname, xi->rank,
                         xi->rank == 3 ? " with a middle axis other than 4" : "");
    if (yi->rank != 2 || (yi->kind != H5K_INTEGER && yi->kind != H5K_FLOAT))
        return error_set(err, "%s: dataset %s: expected numbers (targets, N), found rank %d",
                         d->path, d->yname, yi->rank);
    d->N = xi->dims[2];
    d->L = (int)xi->dims[0];
    if (yi->dims[1] != d->N)
        return error_set(err, "%s: %s has %lld samples but %s has %lld", d->path, d->xname,
                         (long long)d->N, d->yname, (long long)yi->dims[1]);
    if (convert_resolve_targets(s, yi->dims[0], &d->first, &d->K, err) != 0 ||
        convert_resolve_task(s, (int)d->K, 0, &d->task, err) != 0)
        return -1;
    d->n = s->limit > 0 && s->limit < d->N ? s->limit : d->N;
    return 0;
}

/* Samples per block: whole chunks of the sample axis when a chunk fits in about 4 blocks. */
static int64_t block_samples(const DeepSea *d)
{
    int64_t B = CONVERT_BLOCK_VALUES / (4 * (int64_t)d->L);
    const int64_t c = d->xi.chunk[2];
    if (d->xi.chunked && c > 0 && c <= 4 * B) /* (a bigger chunk: not aligned) */
        B = B < c ? c : B / c * c;
    return B < 1 ? 1 : B > d->n ? d->n : B;
}

static int write_samples(const DeepSea *d, const ConvertSettings *s, Error *err)
{
    const int L = d->L;
    const int64_t n = d->n, K = d->K, B = block_samples(d);
    DatasetSpec spec = {.n = n, .length = L, .targets = (int)K, .task = d->task,
                        .y_float = d->yi.kind == H5K_FLOAT};
    Sink sink = {0};
    void *xbuf = NULL;
    uint8_t *tok = NULL;
    float *ybuf = NULL, *y = NULL;
    int rc = -1;
    if (sink_open(&sink, s, &spec, d->path, d->yname, err) != 0)
        goto done;
    const int as_u8 = d->xi.kind == H5K_INTEGER;
    xbuf = xmalloc((size_t)B * 4 * (size_t)L, as_u8 ? 1 : sizeof(float));
    tok = xmalloc((size_t)B, (size_t)L);
    ybuf = xmalloc((size_t)B * (size_t)K, sizeof *ybuf);
    y = xmalloc((size_t)B * (size_t)K, sizeof *y);
    static const uint8_t agct[4] = {TOKEN_A, TOKEN_G, TOKEN_C, TOKEN_T};
    const uint8_t zero = s->zeros_n != 0 ? TOKEN_N : TOKEN_PAD; /* fixed-length windows: zeros are N */
    for (int64_t s0 = 0; s0 < n; s0 += B) {
        int64_t b = n - s0 < B ? n - s0 : B;
        int64_t xs0[3] = {0, 0, s0}, xc[3] = {L, 4, b}, ys0[2] = {d->first, s0}, yc[2] = {K, b};
        if (h5_read_slab(d->f, d->xname, as_u8 ? H5IO_U8 : H5IO_F32, xs0, xc, xbuf, err) != 0 ||
            h5_read_slab(d->f, d->yname, H5IO_F32, ys0, yc, ybuf, err) != 0)
            goto done;
        int64_t bi;
        int bj, bad;
        /* element (sample i, position j, channel c) sits at j*4*b + c*b + i */
        if (as_u8)
            bad = onehot_decode_u8(xbuf, b, L, 1, 4 * b, b, agct, zero, tok, &bi, &bj);
        else
            bad = onehot_decode_f32(xbuf, b, L, 1, 4 * b, b, agct, zero, tok, &bi, &bj);
        if (bad) {
            error_set(err, "%s: dataset %s: sample %lld position %d is not one-hot", d->path,
                      d->xname, (long long)(s0 + bi), bj);
            goto done;
        }
        for (int64_t i = 0; i < b; i++) /* (K, b) -> (b, K) */
            for (int64_t k = 0; k < K; k++)
                y[i * K + k] = ybuf[k * b + i];
        if (sink_append(&sink, b, tok, y, NULL, NULL, NULL, 0, err) != 0)
            goto done;
    }
    rc = sink_finish(&sink, d->path, "deepsea", err);
done:
    sink_close(&sink);
    free(xbuf);
    free(tok);
    free(ybuf);
    free(y);
    return rc;
}

int convert_deepsea(const ConvertSettings *s, const char *path, const char *xname,
                    const char *yname, Error *err)
{
    DeepSea d = {.path = path};
    d.f = h5_open(path, 0, err);
    if (!d.f)
        return -1;
    int rc = -1;
    if (find_datasets(&d, xname, yname, err) == 0 && check_shapes(&d, s, err) == 0)
        rc = write_samples(&d, s, err);
    Error ignored;
    h5_close(d.f, &ignored);
    return rc;
}
