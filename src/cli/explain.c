/* explain.c: the frame of `mutagenesis` and `attribute`: targets, window, and the streamed output
 * on rank 0. See explain.h. */
#include "cli/explain.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "data/dataset.h"

#define EXPLAIN_FORMAT_VERSION 1

/* "A:B" with nothing else: 1 and the two numbers. */
static int parse_range(const char *spec, long *a, long *b)
{
    char *end;
    errno = 0;
    *a = strtol(spec, &end, 10);
    if (end == spec || *end != ':' || errno)
        return 0;
    const char *rest = end + 1;
    *b = strtol(rest, &end, 10);
    return end != rest && *end == '\0' && !errno;
}

/* Rank 0: the names of spec into index (K2 set), or a message naming the first unknown one. */
static int find_names(const char *spec, char *const *names, int K, const char *ckpt, int *index,
                      int *K2, Error *err)
{
    *K2 = 0;
    for (const char *p = spec;;) {
        size_t len = strcspn(p, ",");
        int k = 0;
        while (k < K && !(strlen(names[k]) == len && strncmp(names[k], p, len) == 0))
            k++;
        if (len == 0 || k == K) {
            char known[200] = "";
            for (int j = 0; j < K && strlen(known) < 150; j++)
                snprintf(known + strlen(known), sizeof known - strlen(known), "%s%s", j ? ", " : "",
                         names[j]);
            return error_set(err, "--targets %s: %s has no target '%.*s' (its targets: %s%s)", spec,
                             ckpt, (int)len, p, known, strlen(known) >= 150 ? ", ..." : "");
        }
        index[(*K2)++] = k;
        if (p[len] == '\0')
            return 0;
        p += len + 1;
    }
}

/* Rank 0: spec into index and K2. */
static int parse_targets(const char *spec, char *const *names, int K, const char *ckpt, int *index,
                         int *K2, Error *err)
{
    long a, b;
    if (!spec || !*spec) {
        for (int k = 0; k < K; k++)
            index[k] = k;
        *K2 = K;
        return 0;
    }
    if (parse_range(spec, &a, &b)) {
        if (a < 0 || b > K || a >= b)
            return error_set(err, "--targets %s: outside the %d target%s of %s (expected A:B with "
                             "0 <= A < B <= %d)", spec, K, K == 1 ? "" : "s", ckpt, K);
        for (long k = a; k < b; k++)
            index[k - a] = (int)k;
        *K2 = (int)(b - a);
        return 0;
    }
    return find_names(spec, names, K, ckpt, index, K2, err);
}

int explain_targets(ParComm *c, const char *spec, const Trained *t, const InferInput *in,
                    ExplainTargets *out, Error *err)
{
    int K = t->targets, root = par_rank(c) == 0, commas = 0;
    memset(out, 0, sizeof *out);
    for (const char *p = spec; p && *p; p++)
        commas += *p == ',';
    int most = K + commas + 1;
    out->index = xmalloc((size_t)most, sizeof(int));
    char *const *names = in->target_names ? in->target_names : t->target_names;
    int rc = root ? parse_targets(spec, names, K, t->path, out->index, &out->K2, err) : 0;
    if (par_any_failed(c, rc, err) != 0) {
        explain_targets_free(out);
        return -1;
    }
    par_bcast(c, &out->K2, sizeof out->K2, 0);
    par_bcast(c, out->index, sizeof(int) * (size_t)out->K2, 0);
    if (root) {
        out->names = xcalloc((size_t)out->K2, sizeof(char *));
        for (int k = 0; k < out->K2; k++)
            out->names[k] = xstrdup(names[out->index[k]]);
    }
    return 0;
}

void explain_targets_free(ExplainTargets *tg)
{
    for (int k = 0; tg->names && k < tg->K2; k++)
        free(tg->names[k]);
    free(tg->names);
    free(tg->index);
    memset(tg, 0, sizeof *tg);
}

int explain_input_open(ParComm *c, const char *data, const char *genome, const Trained *t,
                       Padding padding, InferInput *in, Error *err)
{
    if (genome)
        return infer_input_open_bed(c, data, genome, t, in, err);
    return infer_input_open(c, data, t, padding, 0, NULL, in, err);
}

int explain_window(const char *spec, int L, int *w0, int *w1, Error *err)
{
    long a, b;
    *w0 = 0, *w1 = L;
    if (!spec)
        return 0;
    if (!parse_range(spec, &a, &b))
        return error_set(err, "--window %s: expected A:B (positions A to B - 1, from 0)", spec);
    if (a < 0 || b > L || a >= b)
        return error_set(err, "--window %s: outside the sequence of %d positions (expected A:B "
                         "with 0 <= A < B <= %d)", spec, L, L);
    *w0 = (int)a, *w1 = (int)b;
    return 0;
}

int explain_probe_out(const char *out, Error *err)
{
    char tmp[4200];
    snprintf(tmp, sizeof tmp, "%s.tmp.%ld", out, (long)getpid());
    FILE *f = fopen(tmp, "w");
    if (!f)
        return error_set(err, "--out %s: cannot write: %s", out, strerror(errno));
    fclose(f);
    unlink(tmp);
    return 0;
}

/* ---- the output ---- */

static int extras_of(const ExplainJob *job) { return (job->extra[0] != NULL) + (job->extra[1] != NULL); }

static int write_strings(H5File *f, const char *name, char *const *s, int64_t n, Error *err)
{
    int64_t start = 0;
    return h5_create_dataset(f, name, H5IO_STR, 1, &n, NULL, NULL, 0, err) ||
           h5_write_slab(f, name, H5IO_STR, &start, &n, s, err);
}

/* Rank 0: the file with its (empty) datasets of results. */
static H5File *create_out(const char *tmp, const InferInput *in, const ExplainTargets *tg,
                          const ExplainJob *job, Error *err)
{
    H5File *f = h5_create(tmp, err);
    if (!f)
        return NULL;
    int64_t dims[4] = {in->n, job->W, 4, tg->K2}, two[2] = {in->n, tg->K2};
    int rc = h5_create_dataset(f, job->main_name, H5IO_F32, 4, dims, NULL, NULL, 0, err);
    for (int e = 0; e < extras_of(job) && rc == 0; e++)
        rc = h5_create_dataset(f, job->extra[e], H5IO_F32, 2, two, NULL, NULL, 0, err);
    if (rc != 0) {
        Error ignore;
        h5_close(f, &ignore);
        return NULL;
    }
    return f;
}

/* Rank 0: one sequence's rows (main, then the extras) at global row g. */
static int write_rows(H5File *f, const ExplainJob *job, int K2, int64_t g, const float *rows,
                      Error *err)
{
    int64_t start[4] = {g, 0, 0, 0}, count[4] = {1, job->W, 4, K2};
    if (h5_write_slab(f, job->main_name, H5IO_F32, start, count, rows, err) != 0)
        return -1;
    const float *at = rows + (size_t)job->W * 4 * K2;
    int64_t s2[2] = {g, 0}, c2[2] = {1, K2};
    for (int e = 0; e < extras_of(job); e++, at += K2)
        if (h5_write_slab(f, job->extra[e], H5IO_F32, s2, c2, at, err) != 0)
            return -1;
    return 0;
}

/* Rank 0: what the rows are of, after them. */
static int write_meta(H5File *f, const Trained *t, const InferInput *in, const ExplainTargets *tg,
                      int w0, const ExplainJob *job, Error *err)
{
    int32_t *index = xmalloc((size_t)tg->K2, sizeof(int32_t));
    for (int k = 0; k < tg->K2; k++)
        index[k] = tg->index[k];
    int64_t K2 = tg->K2;
    int rc = write_strings(f, "id", in->ids, in->n, err) ||
             write_strings(f, "target_names", tg->names, K2, err) ||
             h5_write_i32(f, "target_index", 1, &K2, index, err) ||
             (in->coords.chrom && coords_write(f, &in->coords, err)) ||
             h5_write_attr_int(f, "/", "format_version", EXPLAIN_FORMAT_VERSION, err) ||
             h5_write_attr_string(f, "/", "checkpoint", t->path, err) ||
             h5_write_attr_string(f, "/", "data", in->path, err) ||
             h5_write_attr_string(f, "/", "task", task_name(t->task), err) ||
             h5_write_attr_int(f, "/", "length", t->length, err) ||
             h5_write_attr_string(f, "/", "padding", padding_name(in->padding), err) ||
             h5_write_attr_int(f, "/", "window_start", w0, err) ||
             h5_write_attr_int(f, "/", "window_end", w0 + job->W, err) ||
             (job->attrs && job->attrs(job->ctx, f, err))
                 ? -1
                 : 0;
    free(index);
    return rc;
}

/* Rank 0: the rows of every rank for step `at` (each rank's sequences at .. at + group - 1 of
 * its block) from recv, in rank order. */
static int write_step(H5File *f, const InferInput *in, const ExplainJob *job, int K2, int P,
                      int64_t at, size_t stride, const float *recv, Error *err)
{
    for (int r = 0; r < P; r++) {
        int64_t first, count;
        dataset_shard(in->n, r, P, &first, &count);
        int64_t rows = count - at < job->group ? (count - at > 0 ? count - at : 0) : job->group;
        for (int64_t i = 0; i < rows; i++, recv += stride)
            if (write_rows(f, job, K2, first + at + i, recv, err) != 0)
                return -1;
    }
    return 0;
}

/* The steps over every rank's block; rank 0 writes into f (rc: its first failure, after which it
 * only keeps up with the others). */
static int run_steps(ParComm *c, const InferInput *in, const ExplainTargets *tg,
                     const ExplainJob *job, H5File *f, int rc, Error *err)
{
    int P = par_size(c), root = par_rank(c) == 0, L = in->length, G = job->group;
    size_t stride = ((size_t)job->W * 4 + (size_t)extras_of(job)) * tg->K2;
    int64_t most = (in->n + P - 1) / P, steps = (most + G - 1) / G;
    float *send = xalloc_floats((size_t)G * stride);
    float *recv = root ? xalloc_floats((size_t)G * stride * P) : NULL;
    for (int64_t s = 0; s < steps; s++) {
        int64_t at = s * G;
        int n = (int)(in->count - at < G ? (in->count - at > 0 ? in->count - at : 0) : G);
        if (n > 0)
            job->run(job->ctx, in->tokens + at * L, n, in->first + at, send);
        par_gather_f32(c, send, (int)(n * stride), recv, 0);
        if (root && rc == 0)
            rc = write_step(f, in, job, tg->K2, P, at, stride, recv, err);
    }
    free(send), free(recv);
    return rc;
}

int explain_run(ParComm *c, const Trained *t, const InferInput *in, const ExplainTargets *tg,
                int w0, const ExplainJob *job, Error *err)
{
    int root = par_rank(c) == 0, rc = 0;
    size_t stride = ((size_t)job->W * 4 + (size_t)extras_of(job)) * tg->K2;
    if ((size_t)job->group * stride * par_size(c) > INT_MAX)
        return error_set(err, "--out %s: %zu floats a sequence are too many for one gather "
                         "(fewer --targets, or a --window)", job->out, stride);
    char tmp[4200];
    snprintf(tmp, sizeof tmp, "%s.tmp.%ld", job->out, (long)getpid());
    H5File *f = root ? create_out(tmp, in, tg, job, err) : NULL;
    if (root && !f)
        unlink(tmp);
    if (par_root_verdict(c, root && !f ? -1 : 0) != 0)
        return -1;
    rc = run_steps(c, in, tg, job, f, 0, err);
    if (root && rc == 0)
        rc = write_meta(f, t, in, tg, w0, job, err);
    Error close_err;
    if (root && h5_close(f, &close_err) != 0 && rc == 0) {
        *err = close_err;
        rc = -1;
    }
    if (root && rc == 0 && rename(tmp, job->out) != 0)
        rc = error_set(err, "%s: cannot rename %s into place: %s", job->out, tmp, strerror(errno));
    if (root && rc != 0)
        unlink(tmp);
    return par_root_verdict(c, rc);
}
