/* data_table.c: load a data file into memory (opened once), fingerprint it, split it. See
 * data_table.h. */
#include "data/data_table.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "data/dataset.h"
#include "base/rng.h"

#define LOAD_BLOCK 65536

uint64_t data_table_hash(const DataTable *t, uint64_t h)
{
    const unsigned char *parts[2] = {t->tokens, (const unsigned char *)t->labels};
    size_t sizes[2] = {(size_t)t->n_local * t->length, (size_t)t->n_local * t->targets * sizeof(float)};
    uint64_t shape[3] = {(uint64_t)t->n, (uint64_t)t->length, (uint64_t)t->targets};
    for (size_t i = 0; i < sizeof shape; i++)
        h = (h ^ ((const unsigned char *)shape)[i]) * 1099511628211ull;
    for (int p = 0; p < 2; p++)
        for (size_t i = 0; i < sizes[p]; i++)
            h = (h ^ parts[p][i]) * 1099511628211ull;
    return h;
}

int data_table_read(Dataset *d, int64_t start, int64_t count, uint8_t *tokens, float *labels,
                    float *oracle, Error *err)
{
    const DatasetInfo *info = dataset_info(d);
    for (int64_t at = 0; at < count; at += LOAD_BLOCK) {
        int64_t k = count - at < LOAD_BLOCK ? count - at : LOAD_BLOCK;
        int width = 0;
        if (dataset_read_rows(d, start + at, k, tokens + at * info->length,
                              labels + at * info->targets, err) ||
            (oracle && dataset_read_extra(d, "/oracle", start + at, k, oracle + at * info->targets,
                                          &width, err)))
            return -1;
    }
    return 0;
}

int data_table_open(DataTable *t, const char *path, Dataset **d, int *has_oracle, Error *err)
{
    memset(t, 0, sizeof *t);
    *has_oracle = 0;
    snprintf(t->path, sizeof t->path, "%s", path);
    *d = dataset_open(path, err);
    if (!*d)
        return -1;
    const DatasetInfo *info = dataset_info(*d);
    t->n = info->n;
    t->length = info->length;
    t->targets = info->targets;
    t->task = info->task;
    if (t->n < 1) {
        dataset_close(*d);
        *d = NULL;
        return error_set(err, "%s: holds no samples", path);
    }
    Error probe;
    int width = 0;
    *has_oracle = dataset_read_extra(*d, "/oracle", 0, 1, NULL, &width, &probe) == 0 &&
                  width == t->targets;
    return 0;
}

int data_table_load(DataTable *t, const char *path, Error *err)
{
    Dataset *d;
    int has_oracle;
    if (data_table_open(t, path, &d, &has_oracle, err) != 0)
        return -1;
    t->n_local = t->n;
    t->tokens = xmalloc((size_t)t->n, (size_t)t->length);
    t->labels = xmalloc((size_t)t->n * t->targets, sizeof(float));
    if (has_oracle)
        t->oracle = xmalloc((size_t)t->n * t->targets, sizeof(float));
    int rc = data_table_read(d, 0, t->n, t->tokens, t->labels, t->oracle, err);
    dataset_close(d);
    if (rc == 0)
        rc = chrom_index_read(path, t->n, &t->chroms, err);
    if (rc != 0) {
        data_table_free(t);
        return -1;
    }
    snprintf(t->fingerprint, sizeof t->fingerprint, "%016llx",
             (unsigned long long)data_table_hash(t, 1469598103934665603ull));
    return 0;
}

void data_table_free(DataTable *t)
{
    if (!t->shared) {
        free(t->tokens);
        free(t->labels);
        free(t->oracle);
    }
    t->tokens = NULL;
    t->labels = t->oracle = NULL;
    chrom_index_free(&t->chroms);
}

RowSet rowset_all(int64_t n)
{
    RowSet r = {xmalloc((size_t)n, sizeof(int64_t)), n};
    for (int64_t i = 0; i < n; i++)
        r.rows[i] = i;
    return r;
}

void rowset_free(RowSet *r)
{
    free(r->rows);
    r->rows = NULL;
    r->n = 0;
}

/* Strata of the splits and folds: the classes (multiclass), else 4 (positives 0, 1, 2, 3+); one
 * for regression, whose labels are values, not classes: a plain seeded split. */
static int strata_of(const DataTable *t)
{
    return t->task == TASK_REGRESSION ? 1 : t->task == TASK_MULTICLASS ? t->targets : 4;
}

static int stratum_of(const DataTable *t, int64_t row)
{
    if (t->task == TASK_REGRESSION)
        return 0;
    const float *y = data_labels(t, row);
    if (t->task == TASK_MULTICLASS) {
        int best = 0;
        for (int k = 1; k < t->targets; k++)
            best = y[k] > y[best] ? k : best;
        return best;
    }
    if (t->task == TASK_BINARY && t->targets == 1)
        return y[0] > 0.5f;
    int positives = 0;
    for (int k = 0; k < t->targets; k++)
        positives += y[k] > 0.5f;
    return positives < 3 ? positives : 3;
}

static int by_row(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

void split_stratified(const DataTable *t, const RowSet *from, double fraction, uint64_t seed,
                      uint32_t stream, RowSet *kept, RowSet *held)
{
    int strata = strata_of(t);
    int64_t *order = xmalloc((size_t)from->n + 1, sizeof(int64_t));
    kept->rows = xmalloc((size_t)from->n + 1, sizeof(int64_t));
    held->rows = xmalloc((size_t)from->n + 1, sizeof(int64_t));
    kept->n = held->n = 0;
    shuffle_rows(from, seed, 0x5E000000u | stream, order);
    for (int s = 0; s < strata; s++) {
        int64_t in_stratum = 0, taken = 0;
        for (int64_t i = 0; i < from->n; i++)
            in_stratum += stratum_of(t, order[i]) == s;
        int64_t want = (int64_t)(fraction * (double)in_stratum + 0.5);
        for (int64_t i = 0; i < from->n; i++) {
            if (stratum_of(t, order[i]) != s)
                continue;
            if (taken++ < want)
                held->rows[held->n++] = order[i];
            else
                kept->rows[kept->n++] = order[i];
        }
    }
    qsort(kept->rows, (size_t)kept->n, sizeof(int64_t), by_row);
    qsort(held->rows, (size_t)held->n, sizeof(int64_t), by_row);
    free(order);
}

void shuffle_rows(const RowSet *rows, uint64_t seed, uint32_t epoch, int64_t *order)
{
    memcpy(order, rows->rows, sizeof(int64_t) * (size_t)rows->n);
    for (int64_t i = rows->n - 1; i > 0; i--) { /* Fisher-Yates */
        int64_t j = (int64_t)(rng_u64_at(seed, RNG_SHUFFLE, epoch, 0, (uint64_t)i) % (uint64_t)(i + 1));
        int64_t tmp = order[i];
        order[i] = order[j];
        order[j] = tmp;
    }
}

int assign_folds(const DataTable *t, const RowSet *from, int k, uint64_t seed, int *fold, Error *err)
{
    int strata = strata_of(t);
    int64_t *order = xmalloc((size_t)from->n + 1, sizeof(int64_t));
    RowSet positions = rowset_all(from->n); /* shuffle positions, not rows */
    shuffle_rows(&positions, seed, 0x5F000000u, order);
    int rc = 0;
    for (int s = 0; s < strata && rc == 0; s++) {
        int64_t dealt = 0;
        for (int64_t i = 0; i < from->n; i++) {
            int64_t at = order[i];
            if (stratum_of(t, from->rows[at]) == s)
                fold[at] = (int)(dealt++ % k);
        }
        if (dealt > 0 && dealt < k && t->task != TASK_MULTILABEL && t->task != TASK_REGRESSION)
            rc = error_set(err, "%s: only %lld samples of %s %d for %d folds", t->path,
                           (long long)dealt, t->task == TASK_MULTICLASS ? "class" : "label", s, k);
    }
    free(order);
    rowset_free(&positions);
    return rc;
}

void split_fold(const RowSet *from, const int *fold, int k, RowSet *kept, RowSet *held)
{
    kept->rows = xmalloc((size_t)from->n + 1, sizeof(int64_t));
    held->rows = xmalloc((size_t)from->n + 1, sizeof(int64_t));
    kept->n = held->n = 0;
    for (int64_t i = 0; i < from->n; i++) {
        if (fold[i] == k)
            held->rows[held->n++] = from->rows[i];
        else
            kept->rows[kept->n++] = from->rows[i];
    }
}

void split_by_chrom(const DataTable *t, const RowSet *from, const uint8_t *mark, uint8_t value,
                    RowSet *kept, RowSet *held)
{
    kept->rows = xmalloc((size_t)from->n + 1, sizeof(int64_t));
    held->rows = xmalloc((size_t)from->n + 1, sizeof(int64_t));
    kept->n = held->n = 0;
    for (int64_t i = 0; i < from->n; i++) {
        int64_t row = from->rows[i];
        if (mark[t->chroms.of_row[row]] == value)
            held->rows[held->n++] = row;
        else
            kept->rows[kept->n++] = row;
    }
}

typedef struct {
    int64_t rows;
    const char *name;
    int chrom;
} ChromSize;

static int by_size(const void *a, const void *b)
{
    const ChromSize *x = a, *y = b;
    if (x->rows != y->rows)
        return x->rows < y->rows ? 1 : -1;
    return strcmp(x->name, y->name);
}

int assign_folds_by_chrom(const DataTable *t, const RowSet *from, int k, int *fold, int *chrom_fold,
                          Error *err)
{
    const ChromIndex *ix = &t->chroms;
    ChromSize *size = xcalloc((size_t)ix->n_names + 1, sizeof(ChromSize));
    for (int c = 0; c < ix->n_names; c++)
        size[c] = (ChromSize){0, ix->names[c], c};
    for (int64_t i = 0; i < from->n; i++)
        size[ix->of_row[from->rows[i]]].rows++;
    qsort(size, (size_t)ix->n_names, sizeof *size, by_size);
    int used = 0;
    while (used < ix->n_names && size[used].rows > 0)
        used++;
    int *of_chrom = xmalloc((size_t)ix->n_names + 1, sizeof(int));
    int64_t *load = xcalloc((size_t)k, sizeof(int64_t));
    for (int c = 0; c < ix->n_names; c++)
        of_chrom[c] = -1;
    for (int i = 0; i < used; i++) { /* largest first, to the lightest fold */
        int best = 0;
        for (int f = 1; f < k; f++)
            best = load[f] < load[best] ? f : best;
        of_chrom[size[i].chrom] = best;
        load[best] += size[i].rows;
    }
    for (int64_t i = 0; i < from->n; i++)
        fold[i] = of_chrom[ix->of_row[from->rows[i]]];
    if (chrom_fold)
        memcpy(chrom_fold, of_chrom, sizeof(int) * (size_t)ix->n_names);
    free(size), free(of_chrom), free(load);
    if (used < k)
        return error_set(err, "%s: %d folds by chromosome, but the rows to fold lie on %d "
                         "chromosome%s", t->path, k, used, used == 1 ? "" : "s");
    return 0;
}
