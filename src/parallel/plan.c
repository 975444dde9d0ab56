/* plan.c: the train / validation / test rows of a run: random rows (stratified, seeded) or whole
 * chromosomes (data.test_chroms, data.valid_chroms, data.folds_by = chrom, from the file's /chrom).
 * See plan.h. */
#include "parallel/plan.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void bcast_rows(ParComm *c, RowSet *r)
{
    par_bcast(c, &r->n, sizeof r->n, 0);
    if (par_rank(c) != 0)
        r->rows = xmalloc((size_t)r->n + 1, sizeof(int64_t));
    par_bcast(c, r->rows, sizeof(int64_t) * (size_t)r->n, 0);
}

static RowSet rows_held(const DataTable *t)
{
    RowSet r = {xmalloc((size_t)t->n_local + 1, sizeof(int64_t)), t->n_local};
    for (int64_t i = 0; i < r.n; i++)
        r.rows[i] = t->first_row + i;
    return r;
}

static RowSet copy_rows(const RowSet *r)
{
    RowSet c = {xmalloc((size_t)r->n + 1, sizeof(int64_t)), r->n};
    memcpy(c.rows, r->rows, sizeof(int64_t) * (size_t)r->n);
    return c;
}

/* The union of two increasing row sets, increasing; frees both. */
static RowSet merge_rows(RowSet *a, RowSet *b)
{
    RowSet m = {xmalloc((size_t)(a->n + b->n) + 1, sizeof(int64_t)), 0};
    int64_t i = 0, j = 0;
    while (i < a->n || j < b->n)
        m.rows[m.n++] = j == b->n || (i < a->n && a->rows[i] < b->rows[j]) ? a->rows[i++] : b->rows[j++];
    rowset_free(a);
    rowset_free(b);
    return m;
}

/* mark[c] for each chromosome of the file: 1 on data.valid_chroms, 2 on data.test_chroms. */
static int mark_list(const DataTable *data, const char *list, const char *key, uint8_t value,
                     uint8_t *mark, Error *err)
{
    for (const char *p = list; *p;) {
        size_t n = strcspn(p, ",");
        char name[512];
        snprintf(name, sizeof name, "%.*s", (int)n, p);
        int c = chrom_index_find(&data->chroms, name);
        if (c < 0) {
            char some[256] = "";
            for (int k = 0, at = 0; k < data->chroms.n_names && k <= 12 && at < 200; k++)
                at += snprintf(some + at, sizeof some - (size_t)at, "%s%s", k ? ", " : "",
                               k < 12 ? data->chroms.names[k] : "...");
            return error_set(err, "data.%s: %s: no row of %s is on it (its chromosomes: %s)", key,
                             name, data->path, some);
        }
        mark[c] = value;
        p += n + (p[n] == ',');
    }
    return 0;
}

/* The chromosome marks of a chromosome hold-out (NULL in *mark when none is asked for). */
static int chrom_marks(const Config *cfg, const DataTable *data, const DataTable *valid,
                       const DataTable *test, int folds, uint8_t **mark, Error *err)
{
    *mark = NULL;
    int by_chrom = folds > 0 && cfg->folds_by_chrom;
    if (!cfg->valid_chroms[0] && !cfg->test_chroms[0] && !by_chrom)
        return 0;
    const char *what = cfg->test_chroms[0] ? "data.test_chroms" : cfg->valid_chroms[0]
                       ? "data.valid_chroms" : "data.folds_by = chrom";
    if (!data->chroms.of_row)
        return error_set(err, "%s: %s needs the chromosome of every row, but the file has no /chrom "
                         "(convert it from a genome: gseq_mpi convert --genome)", data->path, what);
    if (test && cfg->test_chroms[0])
        return error_set(err, "%s: data.test and data.test_chroms both choose the test rows: set "
                         "one", cfg->path);
    if (valid && cfg->valid_chroms[0])
        return error_set(err, "%s: data.valid and data.valid_chroms both choose the validation "
                         "rows: set one", cfg->path);
    if (folds > 0 && cfg->valid_chroms[0])
        return error_set(err, "%s: data.valid_chroms with folds: cross-validation validates on its "
                         "folds (data.folds_by = chrom makes them of whole chromosomes)", cfg->path);
    *mark = xcalloc((size_t)data->chroms.n_names + 1, 1);
    if (mark_list(data, cfg->valid_chroms, "valid_chroms", 1, *mark, err) ||
        mark_list(data, cfg->test_chroms, "test_chroms", 2, *mark, err)) {
        free(*mark);
        *mark = NULL;
        return -1;
    }
    return 0;
}

/* The test rows and the rest: a test file, data.test_chroms, or test_fraction of the rows that are
 * not on data.valid_chroms. Frees mine. */
static void plan_test(const Config *cfg, const DataTable *data, const DataTable *test,
                      const uint8_t *mark, uint32_t stream, RowSet *mine, RowPlan *p)
{
    uint64_t seed = cfg->train.seed;
    if (test) {
        p->rest = *mine;
        p->test = rows_held(test);
    } else if (cfg->test_chroms[0]) {
        split_by_chrom(data, mine, mark, 2, &p->rest, &p->test);
        rowset_free(mine);
    } else if (cfg->valid_chroms[0]) {
        RowSet others, on_valid, kept;
        split_by_chrom(data, mine, mark, 1, &others, &on_valid);
        split_stratified(data, &others, cfg->test_fraction, seed, stream | 1, &kept, &p->test);
        rowset_free(&others);
        rowset_free(mine);
        p->rest = merge_rows(&kept, &on_valid);
    } else {
        split_stratified(data, mine, cfg->test_fraction, seed, stream | 1, &p->rest, &p->test);
        rowset_free(mine);
    }
}

/* The plan of the rows this process holds; stream keeps shards' draws apart. */
static int plan_local(const Config *cfg, const DataTable *data, const DataTable *valid,
                      const DataTable *test, int folds, int fold, uint32_t stream, RowPlan *p,
                      Error *err)
{
    uint8_t *mark;
    if (chrom_marks(cfg, data, valid, test, folds, &mark, err) != 0)
        return -1;
    RowSet mine = rows_held(data);
    uint64_t seed = cfg->train.seed;
    plan_test(cfg, data, test, mark, stream, &mine, p);
    int rc = 0;
    if (folds > 0) {
        int *which = xmalloc((size_t)p->rest.n + 1, sizeof(int));
        rc = cfg->folds_by_chrom ? assign_folds_by_chrom(data, &p->rest, folds, which, NULL, err)
                                 : assign_folds(data, &p->rest, folds, seed, which, err);
        if (rc == 0 && fold >= 0)
            split_fold(&p->rest, which, fold, &p->train, &p->valid);
        else if (rc == 0)
            p->train = copy_rows(&p->rest);
        free(which);
    } else if (valid) {
        p->train = copy_rows(&p->rest);
        p->valid = rows_held(valid);
    } else if (cfg->valid_chroms[0]) {
        split_by_chrom(data, &p->rest, mark, 1, &p->train, &p->valid);
    } else {
        split_stratified(data, &p->rest, cfg->valid_fraction, seed, stream | 2, &p->train, &p->valid);
    }
    free(mark);
    return rc;
}

int plan_chrom_folds(const Config *cfg, const DataTable *data, int folds, int *chrom_fold,
                     int64_t *chrom_rows, Error *err)
{
    uint8_t *mark;
    if (chrom_marks(cfg, data, NULL, NULL, folds, &mark, err) != 0)
        return -1;
    RowSet mine = rows_held(data);
    RowPlan p = {0};
    plan_test(cfg, data, NULL, mark, 0, &mine, &p);
    int *which = xmalloc((size_t)p.rest.n + 1, sizeof(int));
    int rc = assign_folds_by_chrom(data, &p.rest, folds, which, chrom_fold, err);
    memset(chrom_rows, 0, sizeof(int64_t) * (size_t)data->chroms.n_names);
    for (int64_t i = 0; i < p.rest.n; i++)
        chrom_rows[data->chroms.of_row[p.rest.rows[i]]]++;
    free(which);
    free(mark);
    plan_free(&p);
    return rc;
}

int plan_rows(ParComm *c, const Config *cfg, const DataTable *data, const DataTable *valid,
              const DataTable *test, int sharded, int folds, int fold, RowPlan *p, Error *err)
{
    memset(p, 0, sizeof *p);
    int rc = 0;
    if (sharded) {
        rc = plan_local(cfg, data, valid, test, folds, fold, (uint32_t)(par_rank(c) + 1) << 8, p, err);
        if (par_any_failed(c, rc, err) != 0) { /* every rank has the failing shard's reason */
            plan_free(p); /* on failure the plan holds nothing */
            return -1;
        }
    } else {
        if (par_rank(c) == 0)
            rc = plan_local(cfg, data, valid, test, folds, fold, 0, p, err);
        if (par_root_verdict(c, rc) != 0) {
            plan_free(p);
            return -1;
        }
        bcast_rows(c, &p->train);
        bcast_rows(c, &p->valid);
        bcast_rows(c, &p->test);
        bcast_rows(c, &p->rest);
    }
    double counts[2] = {(double)p->train.n, (double)p->valid.n}, least[1] = {(double)p->train.n};
    if (sharded) {
        par_allreduce_sum_f64(c, counts, 2);
        par_allreduce_min_f64(c, least, 1);
    }
    p->train_total = (int64_t)counts[0];
    int needs_valid = !(folds > 0 && fold < 0);
    if (least[0] <= 0 || (needs_valid && counts[1] <= 0)) {
        plan_free(p);
        return error_set(err, "%s: too few samples (%lld%s) to hold out validation and test rows",
                         data->path, (long long)data->n, sharded ? " over all shards" : "");
    }
    return 0;
}

void plan_free(RowPlan *p)
{
    rowset_free(&p->train);
    rowset_free(&p->valid);
    rowset_free(&p->test);
    rowset_free(&p->rest);
}
