/* plan.c: the train / validation / test rows of a run. See plan.h. */
#include "parallel/plan.h"

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

/* The plan of the rows this process holds; stream keeps shards' draws apart. */
static int plan_local(const Config *cfg, const DataTable *data, const DataTable *valid,
                      const DataTable *test, int folds, int fold, uint32_t stream, RowPlan *p,
                      Error *err)
{
    RowSet mine = rows_held(data);
    uint64_t seed = cfg->train.seed;
    if (test) {
        p->rest = mine;
        p->test = rows_held(test);
    } else {
        split_stratified(data, &mine, cfg->test_fraction, seed, stream | 1, &p->rest, &p->test);
        rowset_free(&mine);
    }
    if (folds > 0) {
        int *which = xmalloc((size_t)p->rest.n + 1, sizeof(int));
        int rc = assign_folds(data, &p->rest, folds, seed, which, err);
        if (rc == 0 && fold >= 0)
            split_fold(&p->rest, which, fold, &p->train, &p->valid);
        else if (rc == 0)
            p->train = copy_rows(&p->rest);
        free(which);
        return rc;
    }
    if (valid) {
        p->train = copy_rows(&p->rest);
        p->valid = rows_held(valid);
    } else {
        split_stratified(data, &p->rest, cfg->valid_fraction, seed, stream | 2, &p->train, &p->valid);
    }
    return 0;
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
