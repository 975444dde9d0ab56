/* cmd_convert.c: `gseq_mpi convert`: FASTA + labels TSV, DeepSEA .mat (v7.3), Basset HDF5 and NumPy
 * .npy/.npz to the canonical gseq file (dataset.h).
 *
 * Every converter streams: it reads a block of samples, turns it into tokens and float labels, checks
 * the labels against the task (naming the input file and row), and appends the block to a
 * DatasetWriter, which writes a temporary file and renames it only when everything succeeded.
 * Memory is a block plus, for FASTA, an index of the labels TSV (ids and line offsets). HDF5 inputs
 * are read through h5io like everything else. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/commands.h"
#include "cli/options.h"
#include "data/convert.h"
#include "data/dataset.h"
#include "data/fasta.h"
#include "data/h5io.h"
#include "data/labels.h"
#include "data/npy.h"

#define BLOCK_VALUES ((int64_t)1 << 23) /* one-hot values per block (32 MB as float) */

typedef struct {
    const char *out;
    const char *targets; /* "A:B" or NULL */
    const char *task_s;  /* NULL: inferred */
    Padding padding;
    int length;          /* FASTA: 0 = the longest record */
    int zeros_n;         /* -1 default, 0 padding, 1 N */
    int64_t limit;       /* 0 = all */
    int gzip;
    int progress;
    const char *source;
    const char *format;
} Options;

/* The writer plus what every block goes through. */
typedef struct {
    DatasetWriter *w;
    Progress prog;
    Task task;
    int K;
    char *in_name; /* the input, for messages */
    const char *y_name;
} Sink;

static int sink_open(Sink *s, const Options *o, DatasetSpec *spec, const char *in_name,
                     const char *y_name, Error *err)
{
    spec->padding = o->padding;
    spec->gzip = o->gzip;
    s->task = spec->task;
    s->K = spec->targets;
    s->y_name = y_name;
    s->in_name = xmalloc(strlen(in_name) + 1, 1);
    strcpy(s->in_name, in_name);
    s->w = dataset_writer_open(o->out, spec, err);
    if (!s->w)
        return -1;
    guard_temp(dataset_writer_temp_path(s->w));
    progress_start(&s->prog, "convert", "samples", spec->n > 0 ? spec->n : 0, o->progress);
    return 0;
}

/* Labels the task allows, named by input row. */
static int sink_check(const Sink *s, int64_t first, int64_t count, const float *y, Error *err)
{
    for (int64_t i = 0; i < count; i++) {
        double sum = 0;
        for (int k = 0; k < s->K; k++) {
            float v = y[i * s->K + k];
            const char *why = NULL;
            if (!(v == v) || v > 3.4e38f || v < -3.4e38f)
                why = "is not a finite number";
            else if (s->task == TASK_BINARY && v != 0 && v != 1)
                why = "is not 0 or 1 (task binary)";
            else if (v < 0 || v > 1)
                why = "is outside 0..1";
            if (why)
                return error_set(err, "%s: %s row %lld column %d: label %g %s", s->in_name,
                                 s->y_name, (long long)(first + i), k, (double)v, why);
            sum += v;
        }
        if (s->task == TASK_MULTICLASS && (sum < 0.999 || sum > 1.001))
            return error_set(err, "%s: %s row %lld: labels sum to %g, a multiclass row must be "
                                  "one-hot", s->in_name, s->y_name, (long long)(first + i), sum);
    }
    return 0;
}

static int sink_append(Sink *s, int64_t count, const uint8_t *tok, const float *y, const int32_t *len,
                       const char *const *ids, int64_t bytes, Error *err)
{
    int64_t first = dataset_writer_rows(s->w);
    if (sink_check(s, first, count, y, err) != 0 ||
        dataset_writer_append(s->w, count, tok, y, len, ids, NULL, err) != 0)
        return -1;
    progress_update(&s->prog, first + count, bytes);
    return 0;
}

static int sink_finish(Sink *s, const Options *o, Error *err)
{
    progress_end(&s->prog);
    if (dataset_writer_attr_string(s->w, "source", o->source, err) != 0 ||
        dataset_writer_attr_string(s->w, "converted_from", o->format, err) != 0)
        return -1;
    DatasetWriter *w = s->w;
    s->w = NULL;
    int rc = dataset_writer_finish(w, err);
    guard_temp(NULL);
    return rc;
}

static void sink_close(Sink *s)
{
    if (s->w)
        dataset_writer_abort(s->w);
    s->w = NULL;
    guard_temp(NULL);
    free(s->in_name);
    s->in_name = NULL;
}

static int resolve_task(const Options *o, int K, int classes, Task *task, Error *err)
{
    if (o->task_s) {
        if (task_parse(o->task_s, task) != 0 || *task == TASK_AUTO)
            return error_set(err, "--task: '%s', expected binary, multilabel or multiclass", o->task_s);
    } else {
        *task = classes ? TASK_MULTICLASS : K == 1 ? TASK_BINARY : TASK_MULTILABEL;
    }
    if (*task == TASK_BINARY && K != 1)
        return error_set(err, "task binary needs one label column, the input has %d (select one "
                              "with --targets, or use --task multilabel)", K);
    if (*task == TASK_MULTICLASS && K < 2)
        return error_set(err, "task multiclass needs 2 or more label columns, the input has %d", K);
    return 0;
}

/* Column selection from --targets against the input's T columns. */
static int resolve_targets(const Options *o, int64_t T, int64_t *first, int64_t *count, Error *err)
{
    if (!o->targets) {
        *first = 0;
        *count = T;
        return 0;
    }
    return parse_range("targets", o->targets, T, first, count, err);
}

/* ---- FASTA + TSV ---- */

static int convert_fasta(const Options *o, const char *fasta, const char *tsv, int classes,
                         Error *err)
{
    Task forced, *taskp = NULL;
    if (o->task_s) {
        if (task_parse(o->task_s, &forced) != 0 || forced == TASK_AUTO)
            return error_set(err, "--task: '%s', expected binary, multilabel or multiclass",
                             o->task_s);
        taskp = &forced;
    }
    if (o->targets)
        return error_set(err, "--targets applies to DeepSEA, Basset and NumPy inputs; select "
                              "columns of the TSV before converting");
    LabelTable *lt = labels_open(tsv, classes, taskp, err);
    if (!lt)
        return -1;
    FastaReader *fr = fasta_open(fasta, err);
    if (!fr) {
        labels_close(lt);
        return -1;
    }
    int rc = -1;
    const int64_t rows = labels_rows(lt);
    const int K = labels_targets(lt);
    int64_t *seen_line = xcalloc((size_t)rows, sizeof *seen_line); /* FASTA line of each TSV row */
    uint8_t *tok = NULL;
    float *y = NULL;
    int32_t *len = NULL;
    char **ids = NULL, *idarena = NULL;
    Sink sink = {0};
    const char *id;
    const uint8_t *seq;
    int64_t n = 0, maxlen = 0, slen;
    int r = 0;

    /* Pass 1: check the FASTA and match it to the table; learn N and the longest record. */
    Progress scan;
    progress_start(&scan, "convert: checking", "records", 0, o->progress);
    while ((o->limit == 0 || n < o->limit) && (r = fasta_next(fr, &id, &seq, &slen, err)) == 1) {
        int64_t row = labels_find(lt, id);
        if (row < 0) {
            error_set(err, "%s line %lld: id '%s' has no row in %s", fasta,
                      (long long)fasta_record_line(fr), id, tsv);
            goto done;
        }
        if (seen_line[row]) {
            error_set(err, "%s line %lld: duplicate id '%s' (first on line %lld)", fasta,
                      (long long)fasta_record_line(fr), id, (long long)seen_line[row]);
            goto done;
        }
        seen_line[row] = fasta_record_line(fr);
        maxlen = slen > maxlen ? slen : maxlen;
        n++;
        progress_update(&scan, n, fasta_bytes_in(fr));
    }
    progress_end(&scan);
    if (o->limit == 0 || n < o->limit) {
        if (r < 0)
            goto done;
        for (int64_t row = 0; row < rows && o->limit == 0; row++)
            if (!seen_line[row]) {
                error_set(err, "%s line %lld: id '%s' is not in %s", tsv,
                          (long long)labels_line(lt, row), labels_id(lt, row), fasta);
                goto done;
            }
    }
    if (maxlen > (1 << 30)) {
        error_set(err, "%s: a record of %lld bases; use --length to trim", fasta, (long long)maxlen);
        goto done;
    }
    const int L = o->length > 0 ? o->length : (int)maxlen;

    /* Pass 2: write, in the FASTA's order. */
    if (fasta_rewind(fr, err) != 0)
        goto done;
    DatasetSpec spec = {.n = n, .length = L, .targets = K, .task = labels_task(lt),
                        .y_float = !labels_integer(lt), .with_lengths = 1, .with_ids = 1,
                        .target_names = labels_names(lt)};
    if (sink_open(&sink, o, &spec, fasta, "labels", err) != 0)
        goto done;
    int64_t B = BLOCK_VALUES / 4 / L;
    B = B < 1 ? 1 : B > 65536 ? 65536 : B;
    B = B > n ? n : B;
    tok = xmalloc((size_t)B, (size_t)L);
    y = xmalloc((size_t)B * (size_t)K, sizeof *y);
    len = xmalloc((size_t)B, sizeof *len);
    ids = xmalloc((size_t)B, sizeof *ids);
    size_t arena_cap = 1 << 16, arena_len = 0;
    idarena = xmalloc(arena_cap, 1);
    int64_t *idoff = xmalloc((size_t)B, sizeof *idoff);
    int64_t done_rows = 0, b = 0;
    while (done_rows + b < n && (r = fasta_next(fr, &id, &seq, &slen, err)) == 1) {
        int64_t row = labels_find(lt, id);
        if (labels_get(lt, row, y + b * K, err) != 0) {
            free(idoff);
            goto done;
        }
        int64_t keep = slen < L ? slen : L;
        const uint8_t *src = seq + (o->padding == PAD_PRE ? slen - keep : 0); /* trim the padding side */
        uint8_t *dst = tok + b * L;
        memset(dst, TOKEN_PAD, (size_t)L);
        memcpy(dst + (o->padding == PAD_PRE ? L - keep : 0), src, (size_t)keep);
        len[b] = (int32_t)keep;
        size_t il = strlen(id) + 1;
        if (arena_len + il > arena_cap) {
            while (arena_len + il > arena_cap)
                arena_cap *= 2;
            char *a = xmalloc(arena_cap, 1);
            memcpy(a, idarena, arena_len);
            free(idarena);
            idarena = a;
        }
        memcpy(idarena + arena_len, id, il);
        idoff[b] = (int64_t)arena_len;
        arena_len += il;
        if (++b == B || done_rows + b == n) {
            for (int64_t q = 0; q < b; q++)
                ids[q] = idarena + idoff[q];
            if (sink_append(&sink, b, tok, y, len, (const char *const *)ids, fasta_bytes_in(fr),
                            err) != 0) {
                free(idoff);
                goto done;
            }
            done_rows += b;
            b = 0;
            arena_len = 0;
        }
    }
    free(idoff);
    if (done_rows != n) {
        if (r >= 0)
            error_set(err, "%s: changed while being converted (%lld records, then %lld)", fasta,
                      (long long)n, (long long)done_rows);
        goto done;
    }
    rc = sink_finish(&sink, o, err);
done:
    sink_close(&sink);
    fasta_close(fr);
    labels_close(lt);
    free(seen_line);
    free(tok);
    free(y);
    free(len);
    free(ids);
    free(idarena);
    return rc;
}

/* ---- HDF5 one-hot sources: DeepSEA (L, 4, N) and Basset (N, 4, 1, L) ---- */

static const char *first_present(H5File *f, const char *const *names)
{
    for (; *names; names++)
        if (h5_has(f, *names))
            return *names;
    return NULL;
}

static int convert_deepsea(const Options *o, const char *path, const char *xname,
                           const char *yname, Error *err)
{
    H5File *f = h5_open(path, 0, err);
    if (!f)
        return -1;
    static const char *const xs[] = {"trainxdata", "validxdata", "testxdata", NULL};
    static const char *const ys[] = {"traindata", "validdata", "testdata", NULL};
    int rc = -1;
    Sink sink = {0};
    void *xbuf = NULL;
    uint8_t *tok = NULL;
    float *ybuf = NULL, *y = NULL;
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
        error_set(err, "%s: dataset %s: missing (a DeepSEA .mat holds trainxdata and traindata; "
                       "name others with --x-name and --y-name)", path, missing);
        goto done;
    }
    H5Info xi, yi;
    if (h5_info(f, xname, &xi, err) != 0 || h5_info(f, yname, &yi, err) != 0)
        goto done;
    if (xi.rank != 3 || xi.dims[1] != 4 || (xi.kind != H5K_INTEGER && xi.kind != H5K_FLOAT)) {
        error_set(err, "%s: dataset %s: expected numbers of shape (L, 4, N) as HDF5 sees "
                       "DeepSEA's trainxdata, found rank %d%s", path, xname, xi.rank,
                  xi.rank == 3 ? " with a middle axis other than 4" : "");
        goto done;
    }
    if (yi.rank != 2 || (yi.kind != H5K_INTEGER && yi.kind != H5K_FLOAT)) {
        error_set(err, "%s: dataset %s: expected numbers (targets, N), found rank %d", path, yname,
                  yi.rank);
        goto done;
    }
    const int64_t N = xi.dims[2], T = yi.dims[0];
    const int L = (int)xi.dims[0];
    if (yi.dims[1] != N) {
        error_set(err, "%s: %s has %lld samples but %s has %lld", path, xname, (long long)N,
                  yname, (long long)yi.dims[1]);
        goto done;
    }
    int64_t first, K;
    Task task;
    if (resolve_targets(o, T, &first, &K, err) != 0 || resolve_task(o, (int)K, 0, &task, err) != 0)
        goto done;
    const int64_t n = o->limit > 0 && o->limit < N ? o->limit : N;
    /* blocks of whole chunks along the sample axis, so no chunk is inflated twice */
    int64_t B = BLOCK_VALUES / (4 * (int64_t)L);
    if (xi.chunked && xi.chunk[2] > 0 && xi.chunk[2] <= 4 * B) /* (a bigger chunk: not aligned) */
        B = B < xi.chunk[2] ? xi.chunk[2] : B / xi.chunk[2] * xi.chunk[2];
    B = B < 1 ? 1 : B > n ? n : B;
    DatasetSpec spec = {.n = n, .length = L, .targets = (int)K, .task = task,
                        .y_float = yi.kind == H5K_FLOAT};
    if (sink_open(&sink, o, &spec, path, yname, err) != 0)
        goto done;
    const int as_u8 = xi.kind == H5K_INTEGER;
    xbuf = xmalloc((size_t)B * 4 * (size_t)L, as_u8 ? 1 : sizeof(float));
    tok = xmalloc((size_t)B, (size_t)L);
    ybuf = xmalloc((size_t)B * (size_t)K, sizeof *ybuf);
    y = xmalloc((size_t)B * (size_t)K, sizeof *y);
    static const uint8_t agct[4] = {TOKEN_A, TOKEN_G, TOKEN_C, TOKEN_T};
    const uint8_t zero = o->zeros_n != 0 ? TOKEN_N : TOKEN_PAD; /* fixed-length windows: zeros are N */
    for (int64_t s0 = 0; s0 < n; s0 += B) {
        int64_t b = n - s0 < B ? n - s0 : B;
        int64_t xs0[3] = {0, 0, s0}, xc[3] = {L, 4, b}, ys0[2] = {first, s0}, yc[2] = {K, b};
        if (h5_read_slab(f, xname, as_u8 ? H5IO_U8 : H5IO_F32, xs0, xc, xbuf, err) != 0 ||
            h5_read_slab(f, yname, H5IO_F32, ys0, yc, ybuf, err) != 0)
            goto done;
        int64_t bi;
        int bj, bad;
        /* element (sample i, position j, channel c) sits at j*4*b + c*b + i */
        if (as_u8)
            bad = onehot_decode_u8(xbuf, b, L, 1, 4 * b, b, agct, zero, tok, &bi, &bj);
        else
            bad = onehot_decode_f32(xbuf, b, L, 1, 4 * b, b, agct, zero, tok, &bi, &bj);
        if (bad) {
            error_set(err, "%s: dataset %s: sample %lld position %d is not one-hot", path, xname,
                      (long long)(s0 + bi), bj);
            goto done;
        }
        for (int64_t i = 0; i < b; i++) /* (K, b) -> (b, K) */
            for (int64_t k = 0; k < K; k++)
                y[i * K + k] = ybuf[k * b + i];
        if (sink_append(&sink, b, tok, y, NULL, NULL, 0, err) != 0)
            goto done;
    }
    rc = sink_finish(&sink, o, err);
done:
    sink_close(&sink);
    free(xbuf);
    free(tok);
    free(ybuf);
    free(y);
    Error ignored;
    h5_close(f, &ignored);
    return rc;
}

static int convert_basset(const Options *o, const char *path, const char *split, Error *err)
{
    H5File *f = h5_open(path, 0, err);
    if (!f)
        return -1;
    int rc = -1;
    Sink sink = {0};
    float *xbuf = NULL, *y = NULL;
    uint8_t *tok = NULL;
    char **all_names = NULL, **names = NULL;
    int64_t T = 0, first = 0, K = 0;
    char xname[64], yname[64];
    snprintf(xname, sizeof xname, "%s_in", split);
    snprintf(yname, sizeof yname, "%s_out", split);
    if (!h5_has(f, xname) || !h5_has(f, yname)) {
        error_set(err, "%s: dataset %s: missing (a Basset file holds train_in/train_out, "
                       "valid_*, test_*; choose with --split)", path,
                  h5_has(f, xname) ? yname : xname);
        goto done;
    }
    H5Info xi, yi;
    if (h5_info(f, xname, &xi, err) != 0 || h5_info(f, yname, &yi, err) != 0)
        goto done;
    int ok_x = (xi.rank == 4 && xi.dims[1] == 4 && xi.dims[2] == 1) || (xi.rank == 3 && xi.dims[1] == 4);
    if (!ok_x || (xi.kind != H5K_INTEGER && xi.kind != H5K_FLOAT)) {
        error_set(err, "%s: dataset %s: expected numbers of shape (N, 4, 1, L) or (N, 4, L), "
                       "found rank %d", path, xname, xi.rank);
        goto done;
    }
    if ((yi.rank != 2 && yi.rank != 1) || (yi.kind != H5K_INTEGER && yi.kind != H5K_FLOAT)) {
        error_set(err, "%s: dataset %s: expected numbers (N, targets), found rank %d", path, yname,
                  yi.rank);
        goto done;
    }
    const int64_t N = xi.dims[0];
    const int L = (int)xi.dims[xi.rank - 1];
    T = yi.rank == 2 ? yi.dims[1] : 1;
    if (yi.dims[0] != N) {
        error_set(err, "%s: %s has %lld samples but %s has %lld", path, xname, (long long)N,
                  yname, (long long)yi.dims[0]);
        goto done;
    }
    Task task;
    if (resolve_targets(o, T, &first, &K, err) != 0 || resolve_task(o, (int)K, 0, &task, err) != 0)
        goto done;
    if (h5_has(f, "target_labels")) {
        H5Info ti;
        if (h5_info(f, "target_labels", &ti, err) != 0)
            goto done;
        if (ti.kind == H5K_STRING && ti.rank == 1 && ti.dims[0] == T) {
            int64_t s = 0, c = T;
            all_names = xcalloc((size_t)T, sizeof *all_names);
            if (h5_read_slab(f, "target_labels", H5IO_STR, &s, &c, all_names, err) != 0)
                goto done;
            names = all_names + first;
        }
    }
    const int64_t n = o->limit > 0 && o->limit < N ? o->limit : N;
    int64_t B = BLOCK_VALUES / (4 * (int64_t)L);
    B = B < 1 ? 1 : B > n ? n : B;
    DatasetSpec spec = {.n = n, .length = L, .targets = (int)K, .task = task,
                        .y_float = yi.kind == H5K_FLOAT, .target_names = names};
    if (sink_open(&sink, o, &spec, path, yname, err) != 0)
        goto done;
    xbuf = xmalloc((size_t)B * 4 * (size_t)L, sizeof *xbuf);
    tok = xmalloc((size_t)B, (size_t)L);
    y = xmalloc((size_t)B * (size_t)K, sizeof *y);
    static const uint8_t acgt[4] = {TOKEN_A, TOKEN_C, TOKEN_G, TOKEN_T};
    const uint8_t zero = o->zeros_n == 1 ? TOKEN_N : TOKEN_PAD;
    for (int64_t s0 = 0; s0 < n; s0 += B) {
        int64_t b = n - s0 < B ? n - s0 : B;
        int64_t xs0[4] = {s0, 0, 0, 0}, xc[4] = {b, 4, 1, 1}, ys0[2] = {s0, first}, yc[2] = {b, K};
        xc[xi.rank - 1] = L;
        if (h5_read_slab(f, xname, H5IO_F32, xs0, xc, xbuf, err) != 0 ||
            h5_read_slab(f, yname, H5IO_F32, ys0, yc, y, err) != 0)
            goto done;
        int64_t bi;
        int bj;
        /* element (i, c, 0, j) at i*4L + c*L + j */
        if (onehot_decode_f32(xbuf, b, L, 4 * (int64_t)L, 1, L, acgt, zero, tok, &bi, &bj) != 0) {
            error_set(err, "%s: dataset %s: sample %lld position %d is not one-hot", path, xname,
                      (long long)(s0 + bi), bj);
            goto done;
        }
        if (sink_append(&sink, b, tok, y, NULL, NULL, 0, err) != 0)
            goto done;
    }
    rc = sink_finish(&sink, o, err);
done:
    sink_close(&sink);
    free(xbuf);
    free(tok);
    free(y);
    h5_free_strings(all_names, all_names ? T : 0);
    Error ignored;
    h5_close(f, &ignored);
    return rc;
}

/* ---- NumPy ---- */

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

static int convert_npy(const Options *o, const char *xpath, const char *ypath, const char *xmember,
                       const char *ymember, Error *err)
{
    static const char *const xnames[] = {"X", "x", "X_train", "x_train", "arr_0", NULL};
    static const char *const ynames[] = {"y", "Y", "y_train", "Y_train", "arr_1", NULL};
    char xb[256], yb[256];
    int same = strcmp(xpath, ypath) == 0;
    err->msg[0] = '\0';
    xmember = pick_member(xpath, xmember, xnames, xb, sizeof xb, err);
    if (!xmember && err->msg[0])
        return -1;
    ymember = pick_member(ypath, ymember, ynames, yb, sizeof yb, err);
    if (!ymember && err->msg[0])
        return -1;
    if (same && file_is_zip(xpath) && (!xmember || !ymember))
        return error_set(err, "%s: cannot tell which arrays are X and y (looked for X, x, X_train, "
                              "arr_0 and y, Y, y_train, arr_1): name them with --x-name and "
                              "--y-name", xpath);
    NpyReader *xr = npy_open(xpath, xmember, err);
    if (!xr)
        return -1;
    NpyReader *yr = npy_open(ypath, ymember, err);
    if (!yr) {
        npy_close(xr);
        return -1;
    }
    int rc = -1;
    Sink sink = {0};
    float *xbuf = NULL, *y = NULL, *yall = NULL;
    uint8_t *tok = NULL;
    const int xrank = npy_rank(xr), yrank = npy_rank(yr);
    const int64_t *xs = npy_shape(xr), *ys = npy_shape(yr);
    /* layouts: tokens (N, L); one-hot (N, L, 4); channels first (N, 4, L) */
    int onehot = 0, chfirst = 0;
    int64_t N = xrank ? xs[0] : 0, L = 0;
    if (xrank == 2) {
        L = xs[1];
    } else if (xrank == 3 && xs[2] == 4) {
        onehot = 1;
        L = xs[1];
    } else if (xrank == 3 && xs[1] == 4) {
        onehot = chfirst = 1;
        L = xs[2];
    } else {
        error_set(err, "%s: shape of rank %d, expected one-hot (N, L, 4), (N, 4, L) or tokens "
                       "(N, L)", npy_name(xr), xrank);
        goto done;
    }
    if (N < 1 || L < 1 || L > (1 << 30)) {
        error_set(err, "%s: no samples or an empty sequence axis", npy_name(xr));
        goto done;
    }
    if ((yrank != 1 && yrank != 2) || ys[0] != N) {
        error_set(err, "%s: expected labels (N, K) or (N) with N = %lld as in %s, found %s%lld "
                       "rows", npy_name(yr), (long long)N, npy_name(xr), yrank ? "" : "rank 0, ",
                  yrank ? (long long)ys[0] : 0LL);
        goto done;
    }
    const int64_t T = yrank == 2 ? ys[1] : 1;
    int64_t first, K;
    Task task;
    if (resolve_targets(o, T, &first, &K, err) != 0 || resolve_task(o, (int)K, 0, &task, err) != 0)
        goto done;
    const int64_t n = o->limit > 0 && o->limit < N ? o->limit : N;
    /* Labels are small next to X: read them once up front to choose uint8 or float32 storage. */
    int64_t B = BLOCK_VALUES / (4 * L);
    B = B < 1 ? 1 : B > n ? n : B;
    yall = xmalloc((size_t)B * (size_t)T, sizeof *yall);
    int integer = 1;
    for (int64_t s0 = 0; s0 < n && integer; s0 += B) {
        int64_t b = n - s0 < B ? n - s0 : B;
        if (npy_read_f32(yr, (size_t)(b * T), yall, err) != 0)
            goto done;
        for (int64_t i = 0; i < b * T; i++)
            integer &= yall[i] >= 0 && yall[i] <= 255 && yall[i] == (float)(int)yall[i];
    }
    npy_close(yr);
    yr = npy_open(ypath, ymember, err);
    if (!yr)
        goto done;
    DatasetSpec spec = {.n = n, .length = (int)L, .targets = (int)K, .task = task, .y_float = !integer};
    if (sink_open(&sink, o, &spec, npy_name(xr), npy_name(yr), err) != 0)
        goto done;
    xbuf = xmalloc((size_t)B * (size_t)L, onehot ? 4 * sizeof(float) : sizeof(float));
    tok = xmalloc((size_t)B, (size_t)L);
    y = xmalloc((size_t)B * (size_t)K, sizeof *y);
    static const uint8_t acgt[4] = {TOKEN_A, TOKEN_C, TOKEN_G, TOKEN_T};
    const uint8_t zero = o->zeros_n == 1 ? TOKEN_N : TOKEN_PAD;
    for (int64_t s0 = 0; s0 < n; s0 += B) {
        int64_t b = n - s0 < B ? n - s0 : B;
        if (npy_read_f32(xr, (size_t)(b * L * (onehot ? 4 : 1)), xbuf, err) != 0 ||
            npy_read_f32(yr, (size_t)(b * T), yall, err) != 0)
            goto done;
        if (onehot) {
            int64_t bi;
            int bj;
            int bad = chfirst ? onehot_decode_f32(xbuf, b, (int)L, 4 * L, 1, L, acgt, zero, tok, &bi, &bj)
                              : onehot_decode_f32(xbuf, b, (int)L, 4 * L, 4, 1, acgt, zero, tok, &bi, &bj);
            if (bad) {
                error_set(err, "%s: sample %lld position %d is not one-hot", npy_name(xr),
                          (long long)(s0 + bi), bj);
                goto done;
            }
        } else {
            for (int64_t i = 0; i < b * L; i++) {
                float v = xbuf[i];
                if (!(v >= 0 && v <= TOKEN_N && v == (float)(int)v)) {
                    error_set(err, "%s: sample %lld position %lld: token %g outside 0..5 (0 = "
                                   "padding, 1..4 = A C G T, 5 = N)", npy_name(xr),
                              (long long)(s0 + i / L), (long long)(i % L), (double)v);
                    goto done;
                }
                tok[i] = (uint8_t)v;
            }
        }
        for (int64_t i = 0; i < b; i++)
            for (int64_t k = 0; k < K; k++)
                y[i * K + k] = yall[i * T + first + k];
        if (sink_append(&sink, b, tok, y, NULL, NULL, npy_bytes_in(xr), err) != 0)
            goto done;
    }
    rc = sink_finish(&sink, o, err);
done:
    sink_close(&sink);
    npy_close(xr);
    npy_close(yr);
    free(xbuf);
    free(tok);
    free(y);
    free(yall);
    return rc;
}

/* ---- command ---- */

static const char *convert_usage =
    "usage: gseq_mpi convert INPUT --out FILE [options]\n"
    "Converts sequence data to the gseq HDF5 format (see README, File formats). INPUT is one of:\n"
    "  --fasta FILE --labels FILE [--classes]   FASTA (plain or .gz) and a labels TSV\n"
    "  --deepsea FILE                           DeepSEA train.mat (MATLAB v7.3 = HDF5)\n"
    "  --basset FILE [--split train]            Basset HDF5\n"
    "  --npz FILE                               NumPy archive holding X and y\n"
    "  --npy-x FILE --npy-y FILE                NumPy arrays (.npy, or a zip holding one)\n\n";

int cmd_convert(int argc, char **argv)
{
    const char *out = NULL, *fasta = NULL, *labels = NULL, *deepsea = NULL, *basset = NULL,
               *npz = NULL, *npyx = NULL, *npyy = NULL, *xname = NULL, *yname = NULL,
               *split = "train", *targets = NULL, *task = NULL;
    int classes = 0, progress = 0, length = 0, padding = PAD_PRE, zeros = -1, gzip = 0;
    int64_t limit = 0;
    static const OptChoice paddings[] = {{"pre", PAD_PRE}, {"post", PAD_POST}, {NULL, 0}};
    static const OptChoice zero_kinds[] = {{"padding", 0}, {"n", 1}, {NULL, 0}};
    const Option options[] = {
        OPT_STRING("out", "FILE", &out, "output gseq HDF5 file (required)"),
        OPT_STRING("fasta", "FILE", &fasta, "FASTA input, plain or gzip"),
        OPT_STRING("labels", "FILE", &labels, "labels TSV for --fasta: header 'id<TAB>target...'"),
        OPT_FLAG("classes", &classes, "the TSV has one column of class names: multiclass"),
        OPT_STRING("deepsea", "FILE", &deepsea, "DeepSEA .mat v7.3 (trainxdata (L,4,N), traindata)"),
        OPT_STRING("basset", "FILE", &basset, "Basset HDF5 (train_in (N,4,1,L), train_out, ...)"),
        OPT_STRING("split", "NAME", &split, "Basset split: train, valid or test (train)"),
        OPT_STRING("npz", "FILE", &npz, "NumPy .npz holding X (N,L,4) or (N,L) and y (N,K)"),
        OPT_STRING("npy-x", "FILE", &npyx, "NumPy X: a .npy, or a zip holding one (X_train.npy.zip)"),
        OPT_STRING("npy-y", "FILE", &npyy, "NumPy y, likewise"),
        OPT_STRING("x-name", "NAME", &xname, "dataset or array of the sequences (DeepSEA, NumPy)"),
        OPT_STRING("y-name", "NAME", &yname, "dataset or array of the labels (DeepSEA, NumPy)"),
        OPT_STRING("targets", "A:B", &targets, "keep label columns A..B-1 (DeepSEA TFs: 125:815)"),
        OPT_STRING("task", "TASK", &task, "binary, multilabel or multiclass (default: inferred)"),
        OPT_INT("length", "L", &length, 1, 1 << 30, "FASTA: pad or trim every sequence to L (the longest)"),
        OPT_CHOICE("padding", "pre|post", &padding, paddings,
                   "side that padding (and FASTA trimming) goes on (pre)"),
        OPT_CHOICE("zeros", "padding|n", &zeros, zero_kinds,
                   "an all-zero one-hot position means (DeepSEA n, others padding)"),
        OPT_INT64("limit", "N", &limit, 1, INT64_MAX, "convert the first N samples only"),
        OPT_INT("compress", "0-9", &gzip, 0, 9, "gzip level of the HDF5 chunks, 0 = none (0)"),
        OPT_FLAG("progress", &progress, "show progress even when stderr is not a terminal"),
        OPT_END,
    };
    const OptCommand cmd = {"convert", convert_usage, options};
    int r = opt_read(&cmd, argc, argv, 1, 1);
    if (r >= 0)
        return r;
    Error err = {{0}};
    Options o = {.out = out, .targets = targets, .task_s = task, .progress = progress,
                 .zeros_n = zeros, .padding = (Padding)padding, .length = length, .limit = limit,
                 .gzip = gzip};
    int inputs = (fasta != NULL) + (deepsea != NULL) + (basset != NULL) + (npz != NULL) +
                 (npyx != NULL || npyy != NULL);
    if (inputs != 1)
        error_set(&err, "give one input: --fasta with --labels, --deepsea, --basset, --npz, or "
                        "--npy-x with --npy-y (see --help)");
    else if (!out)
        error_set(&err, "--out FILE is required");
    else if (fasta && !labels)
        error_set(&err, "--fasta needs --labels TSV (first column the id, a header naming the "
                        "targets)");
    else if ((npyx != NULL) != (npyy != NULL))
        error_set(&err, "--npy-x and --npy-y go together");
    else if (strcmp(split, "train") && strcmp(split, "valid") && strcmp(split, "test"))
        error_set(&err, "--split: '%s', expected train, valid or test", split);
    if (err.msg[0])
        return report_error("convert", &err);
    if (length && !fasta) {
        error_set(&err, "--length applies to --fasta (other inputs have a fixed length)");
        return report_error("convert", &err);
    }
    const char *inputs_list[] = {fasta, labels, deepsea, basset, npz, npyx, npyy};
    for (size_t i = 0; i < sizeof inputs_list / sizeof *inputs_list; i++) {
        struct stat a, b;
        if (inputs_list[i] && stat(inputs_list[i], &a) == 0 && stat(out, &b) == 0 &&
            a.st_dev == b.st_dev && a.st_ino == b.st_ino) {
            error_set(&err, "--out %s is also an input", out);
            return report_error("convert", &err);
        }
    }
    double t0 = now_seconds();
    if (fasta) {
        o.source = fasta, o.format = "fasta";
        r = convert_fasta(&o, fasta, labels, classes, &err);
    } else if (deepsea) {
        o.source = deepsea, o.format = "deepsea";
        r = convert_deepsea(&o, deepsea, xname, yname, &err);
    } else if (basset) {
        o.source = basset, o.format = "basset";
        r = convert_basset(&o, basset, split, &err);
    } else {
        o.source = npz ? npz : npyx, o.format = "numpy";
        r = convert_npy(&o, npz ? npz : npyx, npz ? npz : npyy, xname, yname, &err);
    }
    if (r != 0)
        return report_error("convert", &err);
    if (progress || isatty(2)) {
        struct stat st;
        double mb = stat(o.source, &st) == 0 ? (double)st.st_size / 1e6 : 0;
        fprintf(stderr, "convert: wrote %s in %.2f s (%.1f MB of input, %.1f MB/s)\n", out,
                now_seconds() - t0, mb, mb / (now_seconds() - t0 + 1e-9));
    }
    return 0;
}
