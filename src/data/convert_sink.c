/* convert_sink.c: the sink the converters write through, the block of variable-length sequences
 * (FASTA records, NumPy strings), and the converters' choice of task, label columns and length.
 * See convert_sink.h. */
#include "data/convert_sink.h"

#include <stdlib.h>
#include <string.h>

int sink_open(Sink *s, const ConvertSettings *st, DatasetSpec *spec, const char *in_name,
              const char *y_name, Error *err)
{
    spec->padding = st->padding;
    spec->gzip = st->gzip;
    s->task = spec->task;
    s->K = spec->targets;
    s->y_name = y_name;
    s->in_name = xmalloc(strlen(in_name) + 1, 1);
    strcpy(s->in_name, in_name);
    s->w = dataset_writer_open(st->out, spec, err);
    if (!s->w)
        return -1;
    guard_temp(dataset_writer_temp_path(s->w));
    progress_start(&s->prog, "convert", "samples", spec->n > 0 ? spec->n : 0, st->progress);
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
            else if (s->task != TASK_REGRESSION && (v < 0 || v > 1))
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

int sink_append(Sink *s, int64_t count, const uint8_t *tok, const float *y, const int32_t *len,
                const char *const *ids, const float *extra, int64_t bytes, Error *err)
{
    int64_t first = dataset_writer_rows(s->w);
    if (sink_check(s, first, count, y, err) != 0 ||
        dataset_writer_append(s->w, count, tok, y, len, ids, extra, err) != 0)
        return -1;
    progress_update(&s->prog, first + count, bytes);
    return 0;
}

int sink_finish(Sink *s, const char *source, const char *format, Error *err)
{
    progress_end(&s->prog);
    if (dataset_writer_attr_string(s->w, "source", source, err) != 0 ||
        dataset_writer_attr_string(s->w, "converted_from", format, err) != 0)
        return -1;
    DatasetWriter *w = s->w;
    s->w = NULL;
    int rc = dataset_writer_finish(w, err);
    guard_temp(NULL);
    return rc;
}

void sink_close(Sink *s)
{
    if (s->w)
        dataset_writer_abort(s->w);
    s->w = NULL;
    guard_temp(NULL);
    free(s->in_name);
    s->in_name = NULL;
}

int64_t sink_block_rows(int L)
{
    int64_t B = CONVERT_BLOCK_VALUES / 4 / (L > 0 ? L : 1);
    return B < 1 ? 1 : B > 65536 ? 65536 : B;
}

void sink_block_alloc(SinkBlock *k, int64_t B, int L, int K, int with_ids)
{
    memset(k, 0, sizeof *k);
    k->B = B;
    k->L = L;
    k->K = K;
    k->tok = xmalloc((size_t)B, (size_t)L);
    k->y = xmalloc((size_t)B * (size_t)K, sizeof *k->y);
    k->len = xmalloc((size_t)B, sizeof *k->len);
    if (with_ids) {
        k->ids = xmalloc((size_t)B, sizeof *k->ids);
        k->off = xmalloc((size_t)B, sizeof *k->off);
        k->arena_cap = 1 << 16;
        k->arena = xmalloc(k->arena_cap, 1);
    }
}

void sink_block_free(SinkBlock *k)
{
    free(k->tok);
    free(k->y);
    free(k->len);
    free(k->ids);
    free(k->off);
    free(k->arena);
    free(k->extra);
    memset(k, 0, sizeof *k);
}

/* The id of the sequence being added, into the arena. */
static void block_add_id(SinkBlock *k, const char *id)
{
    size_t il = strlen(id) + 1;
    if (k->arena_len + il > k->arena_cap) {
        while (k->arena_len + il > k->arena_cap)
            k->arena_cap *= 2;
        char *a = xmalloc(k->arena_cap, 1);
        memcpy(a, k->arena, k->arena_len);
        free(k->arena);
        k->arena = a;
    }
    memcpy(k->arena + k->arena_len, id, il);
    k->off[k->b] = (int64_t)k->arena_len;
    k->arena_len += il;
}

void sink_block_add(SinkBlock *k, Padding pad, const char *id, const uint8_t *seq, int64_t slen)
{
    const int L = k->L;
    int64_t keep = slen < L ? slen : L;
    const uint8_t *src = seq + (pad == PAD_PRE ? slen - keep : 0); /* trim the padding side */
    uint8_t *dst = k->tok + k->b * L;
    memset(dst, TOKEN_PAD, (size_t)L);
    if (keep > 0)
        memcpy(dst + (pad == PAD_PRE ? L - keep : 0), src, (size_t)keep);
    k->len[k->b] = (int32_t)keep;
    if (k->ids && id)
        block_add_id(k, id);
    k->b++;
}

int sink_block_flush(SinkBlock *k, Sink *sink, int64_t bytes, Error *err)
{
    for (int64_t q = 0; k->ids && q < k->b; q++)
        k->ids[q] = k->arena + k->off[q];
    if (sink_append(sink, k->b, k->tok, k->y, k->len, (const char *const *)k->ids, k->extra, bytes,
                    err) != 0)
        return -1;
    k->b = 0;
    k->arena_len = 0;
    return 0;
}

int convert_resolve_length(const ConvertSettings *s, int64_t longest, const char *in, int *L,
                           Error *err)
{
    if (s->length > 0) {
        *L = s->length;
        return 0;
    }
    if (longest > (1 << 30))
        return error_set(err, "%s: a sequence of %lld bases; use --length to trim", in,
                         (long long)longest);
    if (longest < 1)
        return error_set(err, "%s: every sequence is empty", in);
    *L = (int)longest;
    return 0;
}

int convert_resolve_task(const ConvertSettings *s, int K, int classes, Task *task, Error *err)
{
    if (s->task != TASK_AUTO)
        *task = s->task;
    else
        *task = classes ? TASK_MULTICLASS : K == 1 ? TASK_BINARY : TASK_MULTILABEL;
    if (*task == TASK_BINARY && K != 1)
        return error_set(err, "task binary needs one label column, the input has %d (select one "
                              "with --targets, or use --task multilabel)", K);
    if (*task == TASK_MULTICLASS && K < 2)
        return error_set(err, "task multiclass needs 2 or more label columns, the input has %d", K);
    return 0;
}

int convert_resolve_targets(const ConvertSettings *s, int64_t T, int64_t *first, int64_t *count,
                            Error *err)
{
    if (!s->targets) {
        *first = 0;
        *count = T;
        return 0;
    }
    return s->targets(s->targets_ctx, T, first, count, err);
}
