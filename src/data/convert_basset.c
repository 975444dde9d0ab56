/* convert_basset.c: Basset HDF5 files to the gseq file. See converter.h. A split (train, valid,
 * test) is the pair <split>_in, one-hot (N, 4, 1, L) or (N, 4, L) in A C G T order, and
 * <split>_out (N, T); target_labels, when present, names the T columns. */
#include <stdio.h>
#include <stdlib.h>

#include "data/convert_sink.h"
#include "data/h5io.h"

/* The input as found: the split's datasets, their shapes, and what to convert. */
typedef struct {
    H5File *f;
    const char *path;
    char xname[64], yname[64];
    H5Info xi, yi;
    int L;
    int64_t N, T, first, K, n;
    Task task;
    char **all_names; /* (T) target_labels, or NULL */
} Basset;

/* The split's datasets, their shapes, then the label columns and the task. */
static int check_split(Basset *d, const ConvertSettings *s, const char *split, Error *err)
{
    const H5Info *xi = &d->xi, *yi = &d->yi;
    snprintf(d->xname, sizeof d->xname, "%s_in", split);
    snprintf(d->yname, sizeof d->yname, "%s_out", split);
    if (!h5_has(d->f, d->xname) || !h5_has(d->f, d->yname))
        return error_set(err, "%s: dataset %s: missing (a Basset file holds train_in/train_out, "
                              "valid_*, test_*; choose with --split)", d->path,
                         h5_has(d->f, d->xname) ? d->yname : d->xname);
    if (h5_info(d->f, d->xname, &d->xi, err) != 0 || h5_info(d->f, d->yname, &d->yi, err) != 0)
        return -1;
    int ok_x = (xi->rank == 4 && xi->dims[1] == 4 && xi->dims[2] == 1) ||
               (xi->rank == 3 && xi->dims[1] == 4);
    if (!ok_x || (xi->kind != H5K_INTEGER && xi->kind != H5K_FLOAT))
        return error_set(err, "%s: dataset %s: expected numbers of shape (N, 4, 1, L) or (N, 4, "
                              "L), found rank %d", d->path, d->xname, xi->rank);
    if ((yi->rank != 2 && yi->rank != 1) || (yi->kind != H5K_INTEGER && yi->kind != H5K_FLOAT))
        return error_set(err, "%s: dataset %s: expected numbers (N, targets), found rank %d",
                         d->path, d->yname, yi->rank);
    d->N = xi->dims[0];
    d->L = (int)xi->dims[xi->rank - 1];
    d->T = yi->rank == 2 ? yi->dims[1] : 1;
    if (yi->dims[0] != d->N)
        return error_set(err, "%s: %s has %lld samples but %s has %lld", d->path, d->xname,
                         (long long)d->N, d->yname, (long long)yi->dims[0]);
    if (convert_resolve_targets(s, d->T, &d->first, &d->K, err) != 0 ||
        convert_resolve_task(s, (int)d->K, 0, &d->task, err) != 0)
        return -1;
    d->n = s->limit > 0 && s->limit < d->N ? s->limit : d->N;
    return 0;
}

/* The names of the kept columns from target_labels (T strings), or *names NULL without them. */
static int read_target_names(Basset *d, char ***names, Error *err)
{
    *names = NULL;
    if (!h5_has(d->f, "target_labels"))
        return 0;
    H5Info ti;
    if (h5_info(d->f, "target_labels", &ti, err) != 0)
        return -1;
    if (ti.kind == H5K_STRING && ti.rank == 1 && ti.dims[0] == d->T) {
        int64_t s = 0, c = d->T;
        d->all_names = xcalloc((size_t)d->T, sizeof *d->all_names);
        if (h5_read_slab(d->f, "target_labels", H5IO_STR, &s, &c, d->all_names, err) != 0)
            return -1;
        *names = d->all_names + d->first;
    }
    return 0;
}

static int write_samples(const Basset *d, char **names, const ConvertSettings *s, Error *err)
{
    const int L = d->L;
    const int64_t n = d->n, K = d->K;
    int64_t B = CONVERT_BLOCK_VALUES / (4 * (int64_t)L);
    B = B < 1 ? 1 : B > n ? n : B;
    DatasetSpec spec = {.n = n, .length = L, .targets = (int)K, .task = d->task,
                        .y_float = d->yi.kind == H5K_FLOAT, .target_names = names};
    Sink sink = {0};
    float *xbuf = NULL, *y = NULL;
    uint8_t *tok = NULL;
    int rc = -1;
    if (sink_open(&sink, s, &spec, d->path, d->yname, err) != 0)
        goto done;
    xbuf = xmalloc((size_t)B * 4 * (size_t)L, sizeof *xbuf);
    tok = xmalloc((size_t)B, (size_t)L);
    y = xmalloc((size_t)B * (size_t)K, sizeof *y);
    static const uint8_t acgt[4] = {TOKEN_A, TOKEN_C, TOKEN_G, TOKEN_T};
    const uint8_t zero = s->zeros_n == 1 ? TOKEN_N : TOKEN_PAD;
    for (int64_t s0 = 0; s0 < n; s0 += B) {
        int64_t b = n - s0 < B ? n - s0 : B;
        int64_t xs0[4] = {s0, 0, 0, 0}, xc[4] = {b, 4, 1, 1}, ys0[2] = {s0, d->first}, yc[2] = {b, K};
        xc[d->xi.rank - 1] = L;
        if (h5_read_slab(d->f, d->xname, H5IO_F32, xs0, xc, xbuf, err) != 0 ||
            h5_read_slab(d->f, d->yname, H5IO_F32, ys0, yc, y, err) != 0)
            goto done;
        int64_t bi;
        int bj;
        /* element (i, c, 0, j) at i*4L + c*L + j */
        if (onehot_decode_f32(xbuf, b, L, 4 * (int64_t)L, 1, L, acgt, zero, tok, &bi, &bj) != 0) {
            error_set(err, "%s: dataset %s: sample %lld position %d is not one-hot", d->path,
                      d->xname, (long long)(s0 + bi), bj);
            goto done;
        }
        if (sink_append(&sink, b, tok, y, NULL, NULL, NULL, 0, err) != 0)
            goto done;
    }
    rc = sink_finish(&sink, d->path, "basset", err);
done:
    sink_close(&sink);
    free(xbuf);
    free(tok);
    free(y);
    return rc;
}

int convert_basset(const ConvertSettings *s, const char *path, const char *split, Error *err)
{
    Basset d = {.path = path};
    d.f = h5_open(path, 0, err);
    if (!d.f)
        return -1;
    char **names = NULL;
    int rc = -1;
    if (check_split(&d, s, split, err) == 0 && read_target_names(&d, &names, err) == 0)
        rc = write_samples(&d, names, s, err);
    h5_free_strings(d.all_names, d.all_names ? d.T : 0);
    Error ignored;
    h5_close(d.f, &ignored);
    return rc;
}
