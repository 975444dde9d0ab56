/* trainer.c: the data-parallel training loop and distributed evaluation. See trainer.h. */
#include "train/trainer.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/rng.h"
#include "data/dataset.h"
#include "nn/loss.h"
#include "nn/schedule.h"
#include "train/trainer_faults.h"

static int local_capacity(int batch, int ranks) { return (batch + ranks - 1) / ranks; }

/* The test hook (trainer_faults.h): none unless a test asks. */
static TrainerFaults faults;

void trainer_test_faults(const TrainerFaults *f) { faults = f ? *f : (TrainerFaults){0, 0}; }

/* Poisson needs counts: the first negative label of the rows held here (sharded: this rank's),
 * named by file, row and column; the verdict is the same on every rank. */
static int check_poisson_labels(const Trainer *t, const DataTable *d, Error *err)
{
    int bad = 0;
    for (int64_t i = 0; t->model.loss == LOSS_POISSON && d && i < d->n_local && !bad; i++)
        for (int k = 0; k < d->targets; k++) {
            float y = d->labels[i * d->targets + k];
            if (y < 0.0f) {
                bad = error_set(err, "%s: row %lld, target %d: label %g is negative, but "
                                "train.loss = poisson needs counts >= 0 (use mse)", d->path,
                                (long long)(d->first_row + i), k, (double)y);
                break;
            }
        }
    return par_any_failed(t->comm, bad, err);
}

static int resolve_shape(const Config *cfg, const DataTable *d, Task *task, Error *err)
{
    if (cfg->length && cfg->length != d->length)
        return error_set(err, "%s: [data] length = %d but %s holds sequences of %d", cfg->path,
                         cfg->length, d->path, d->length);
    if (cfg->targets && cfg->targets != d->targets)
        return error_set(err, "%s: [data] targets = %d but %s holds %d targets", cfg->path,
                         cfg->targets, d->path, d->targets);
    if (cfg->task != TASK_AUTO && cfg->task != d->task)
        return error_set(err, "%s: [data] task = %s but %s is %s", cfg->path, task_name(cfg->task),
                         d->path, task_name(d->task));
    *task = d->task;
    return config_check_monitor(cfg, *task, err);
}

/* The model for the data's shape, placed by the update, with rank 0's seeded parameters. */
static int build_model(Trainer *t, int cap, ExchangeMode exchange, Error *err)
{
    Task task = TASK_AUTO;
    if (resolve_shape(t->cfg, t->data, &task, err) ||
        model_plan(&t->model, t->cfg, t->data->length, t->data->targets, task, cap, err))
        return -1;
    if (update_build(&t->update, t->comm, &t->model, &t->adam, exchange, err)) {
        model_free(&t->model);
        return -1;
    }
    if (par_rank(t->comm) == 0)
        model_init_params(&t->model, t->cfg->train.seed);
    update_bcast_params(&t->update);
    return 0;
}

/* Sums of each target's labels over the training rows (every rank holds them all, or, sharded,
 * its own: then summed over the ranks, exactly, for 0/1 labels). */
static void count_positives(const Trainer *t, const RowSet *rows, int sharded, double *pos, double *n)
{
    int K = t->data->targets;
    for (int k = 0; k <= K; k++)
        pos[k] = 0.0;
    for (int64_t i = 0; i < rows->n; i++) {
        const float *y = data_labels(t->data, rows->rows[i]);
        for (int k = 0; k < K; k++)
            pos[k] += y[k];
    }
    pos[K] = (double)rows->n;
    if (sharded)
        par_allreduce_sum_f64(t->comm, pos, K + 1);
    *n = pos[K];
}

/* The class weights the config asks for (config.h), checked against the task and the targets,
 * into t->loss_weights and the model; none asked: nothing. */
static int resolve_weights(Trainer *t, const RowSet *rows, int sharded, Error *err)
{
    const TrainConfig *tc = &t->cfg->train;
    int K = t->model.targets, bce = t->model.loss == LOSS_BCE;
    int want_pos = tc->pos_weight_auto || tc->n_pos_weight, want_class = tc->class_weight_auto;
    if (!want_pos && !want_class)
        return 0;
    if (t->model.task == TASK_REGRESSION)
        return error_set(err, "%s: train.%s is for classification; this data is regression "
                         "(remove it)", t->cfg->path, want_pos ? "pos_weight" : "class_weight");
    if (want_pos && !bce)
        return error_set(err, "%s: train.pos_weight is for binary and multilabel data; this data is "
                         "multiclass: use train.class_weight = auto", t->cfg->path);
    if (want_class && bce)
        return error_set(err, "%s: train.class_weight is for multiclass data; this data is %s: use "
                         "train.pos_weight", t->cfg->path, task_name(t->model.task));
    if (tc->n_pos_weight > 1 && tc->n_pos_weight != K)
        return error_set(err, "%s: train.pos_weight lists %d weights but the data has %d targets "
                         "(give one weight, or one per target)", t->cfg->path, tc->n_pos_weight, K);
    t->loss_weights = xalloc_floats((size_t)K);
    if (tc->n_pos_weight) {
        for (int k = 0; k < K; k++)
            t->loss_weights[k] = tc->pos_weight[tc->n_pos_weight == 1 ? 0 : k];
    } else {
        double *pos = xmalloc((size_t)K + 1, sizeof(double)), n = 0.0;
        count_positives(t, rows, sharded, pos, &n);
        loss_auto_weights(t->model.loss, pos, n, K, t->loss_weights);
        free(pos);
    }
    t->model.loss_weights = t->loss_weights;
    return 0;
}

int trainer_describe_weights(const Trainer *t, char *out, size_t len)
{
    const TrainConfig *tc = &t->cfg->train;
    int K = t->model.targets;
    if (!t->loss_weights)
        return snprintf(out, len, "class weights: none");
    const char *how = tc->n_pos_weight      ? "pos_weight"
                      : tc->pos_weight_auto ? "pos_weight auto (negatives / positives"
                                              ", within 1/100..100)"
                                            : "class_weight auto (rows / (classes x rows of the "
                                              "class), within 1/100..100)";
    size_t at = (size_t)snprintf(out, len, "class weights: %s:", how);
    float lo = t->loss_weights[0], hi = lo;
    for (int k = 0; k < K; k++) {
        lo = t->loss_weights[k] < lo ? t->loss_weights[k] : lo;
        hi = t->loss_weights[k] > hi ? t->loss_weights[k] : hi;
        if (k < 8 && at < len)
            at += (size_t)snprintf(out + at, len - at, "%s %.4g", k ? "," : "", t->loss_weights[k]);
    }
    if (K > 8 && at < len)
        at += (size_t)snprintf(out + at, len - at, ", ... (%d targets, %.4g to %.4g)", K, lo, hi);
    return (int)at;
}

int trainer_init(Trainer *t, ParComm *comm, const Config *cfg, const DataTable *data,
                 RowPlan *plan, const TrainerOptions *opt, Error *err)
{
    memset(t, 0, sizeof *t);
    t->comm = comm;
    t->cfg = cfg;
    t->data = data;
    int cap = local_capacity(cfg->train.batch, par_size(comm));
    if (build_model(t, cap, opt->exchange, err) != 0)
        return -1;
    if (check_poisson_labels(t, data, err) != 0 || check_poisson_labels(t, opt->valid_data, err) != 0 ||
        resolve_weights(t, &plan->train, opt->sharded, err) != 0) {
        trainer_free(t);
        return -1;
    }
    t->valid_data = opt->valid_data;
    t->sharded = opt->sharded;
    t->no_validation = opt->no_validation;
    t->hooks = opt->hooks;
    t->train = plan->train;
    t->valid = plan->valid;
    t->train_total = plan->train_total;
    plan->train = plan->valid = (RowSet){0};
    t->state = (TrainState){.seed = cfg->train.seed, .best_metric = INFINITY, .best_epoch = -1,
                            .sched = schedule_start(&cfg->train)};
    int64_t B = cfg->train.batch;
    t->steps_per_epoch = (long)((t->train_total + B - 1) / B);
    memcpy(t->state.fingerprint, data->fingerprint, sizeof t->state.fingerprint);
    t->best_params = xalloc_floats(t->model.n_params);
    memcpy(t->best_params, t->model.params, sizeof(float) * t->model.n_params);
    t->batch_tokens = xmalloc((size_t)cap, (size_t)data->length);
    t->batch_labels = xalloc_floats((size_t)cap * data->targets);
    t->batch_index = xmalloc((size_t)cap, sizeof(uint32_t));
    t->my_rows = xmalloc((size_t)cap, sizeof(int64_t));
    return 0;
}

void trainer_free(Trainer *t)
{
    model_free(&t->model); /* before update_free, which owns the memory they point into */
    adam_free(&t->adam);
    update_free(&t->update);
    rowset_free(&t->train);
    rowset_free(&t->valid);
    free(t->best_params);
    free(t->loss_weights);
    free(t->batch_tokens);
    free(t->batch_labels);
    free(t->batch_index);
    free(t->order);
    free(t->my_rows);
}

/* Whether row r is read as its reverse complement in this epoch (train.rc_augment): a keyed
 * draw of the seed, the epoch and the row, so the same rows flip whatever the rank count. */
static int flipped(const Trainer *t, uint32_t epoch, int64_t r)
{
    return t->cfg->train.rc_augment &&
           (rng_u64_at(t->cfg->train.seed, RNG_AUGMENT, epoch, 0, (uint64_t)r) & 1);
}

/* Copies the rows of this rank's part of a batch into the local buffers; a training batch
 * (augment) with the rows flipped() gives as their reverse complements. */
static int gather_rows(Trainer *t, const DataTable *d, const int64_t *rows, int n, int augment,
                       uint32_t epoch)
{
    for (int i = 0; i < n; i++) {
        int64_t r = rows[i];
        uint8_t *dst = t->batch_tokens + (size_t)i * d->length;
        if (augment && flipped(t, epoch, r))
            tokens_reverse_complement(data_tokens(d, r), dst, 1, d->length);
        else
            memcpy(dst, data_tokens(d, r), (size_t)d->length);
        memcpy(t->batch_labels + (size_t)i * d->targets, data_labels(d, r), sizeof(float) * d->targets);
        t->batch_index[i] = (uint32_t)r;
    }
    return n;
}

/* This rank's share of a global batch of nb samples, as even as it goes. */
static int share_of(int nb, int r, int P) { return (int)((int64_t)nb * (r + 1) / P - (int64_t)nb * r / P); }

/* This rank's rows of step k: its slice of the global order, or (sharded) the next rows of its own
 * shard's order, wrapping around, at a cursor that depends only on k. */
static int rows_of_step(Trainer *t, int k, int nb)
{
    int P = par_size(t->comm), r = par_rank(t->comm), B = t->cfg->train.batch;
    int n = share_of(nb, r, P);
    if (!t->sharded) {
        memcpy(t->my_rows, t->order + (int64_t)k * B + (int64_t)nb * r / P, sizeof(int64_t) * n);
        return n;
    }
    int64_t have = t->train.n, cursor = (int64_t)k * share_of(B, r, P);
    for (int i = 0; i < n; i++)
        t->my_rows[i] = have ? t->order[(cursor + i) % have] : 0;
    return have ? n : 0;
}

/* Forward and backward (in buckets mode, also the gradient sum) of one global batch of nb samples,
 * of which this rank holds rows[0..n); returns the global loss sum and sets *stop when any rank was asked to stop. */
static double train_step(Trainer *t, const int64_t *rows, int n, int nb, uint32_t epoch, int *stop)
{
    Model *m = &t->model;
    gather_rows(t, t->data, rows, n, 1, epoch);
    double t0 = now_seconds();
    Pass p = {.n = n, .training = 1, .tokens = t->batch_tokens, .sample_index = t->batch_index,
              .seed = t->cfg->train.seed, .epoch = epoch};
    model_forward(m, &p);
    model_zero_grads(m);
    double local = model_backward(m, &p, t->batch_labels, loss_count(m->loss, nb, m->targets));
    double t1 = now_seconds();
    update_wait_buckets(&t->update);
    double status[2] = {local, t->hooks.should_stop ? (double)t->hooks.should_stop(t->hooks.ctx) : 0.0};
    par_allreduce_sum_f64(t->comm, status, 2);
    double t2 = now_seconds();
    t->exchange_seconds += t2 - t1;
    t->step_seconds += t2 - t0;
    *stop = status[1] > 0.0;
    return status[0];
}

/* The gradient sum (unless the buckets did it) and the Adam step, timed into the step's share. */
static void apply_update(Trainer *t)
{
    Update *u = &t->update;
    const TrainConfig *tc = &t->cfg->train;
    double t0 = now_seconds(), exchange = u->exchange_seconds;
    AdamConfig adam = tc->adam; /* at this step's rate */
    adam.lr = schedule_lr(tc, &t->state.sched, t->state.step, t->steps_per_epoch * tc->epochs);
    t->lr = adam.lr;
    update_step(u, &t->adam, &adam);
    t->exchange_seconds += u->exchange_seconds - exchange;
    t->step_seconds += now_seconds() - t0;
}

static double monitored(const Config *cfg, const EvalSummary *v)
{
    if (!strcmp(cfg->train.monitor, "val_auroc"))
        return -v->auroc_mean;
    if (!strcmp(cfg->train.monitor, "val_accuracy"))
        return -v->accuracy;
    if (!strcmp(cfg->train.monitor, "val_pearson"))
        return -v->pearson_mean;
    return v->loss;
}

static void finish_epoch(Trainer *t, int epoch, double seconds, int samples)
{
    update_share_moments(&t->update, &t->adam); /* whole for the checkpoints the hook writes */
    EpochReport rep = {.epoch = epoch + 1, .step = t->state.step, .seconds = seconds};
    rep.train_loss = t->state.epoch_loss_sum /
                     loss_count(t->model.loss, (int)t->state.epoch_samples, t->model.targets);
    rep.samples_per_s = samples / (seconds > 0 ? seconds : 1e-9);
    double most[2] = {t->step_seconds > 0 ? t->exchange_seconds / t->step_seconds : 0.0,
                      (double)util_rss_bytes()};
    par_allreduce_max_f64(t->comm, most, 2);
    rep.exchange_share = most[0];
    rep.rss_bytes = most[1];
    EvalSummary none = {.loss = NAN, .accuracy = NAN, .auroc_mean = NAN, .pearson_mean = NAN,
                        .spearman_mean = NAN, .mse_mean = NAN};
    const DataTable *vd = t->valid_data ? t->valid_data : t->data;
    rep.val = t->no_validation ? none : trainer_evaluate(t, vd, &t->valid, NULL);
    double score = t->no_validation ? -(double)epoch : monitored(t->cfg, &rep.val);
    TrainState *s = &t->state;
    rep.lr = t->lr;
    rep.lr_cut = schedule_epoch_end(&t->cfg->train, &s->sched,
                                    t->no_validation ? rep.train_loss : score);
    s->epoch = epoch + 1;
    s->step_in_epoch = 0;
    s->epoch_loss_sum = 0.0;
    s->epoch_samples = 0;
    if (isfinite(score) && score < s->best_metric - t->cfg->train.min_delta) {
        s->best_metric = score;
        s->best_epoch = epoch;
        s->bad_epochs = 0;
        rep.improved = 1;
        t->best_val = rep.val;
        memcpy(t->best_params, t->model.params, sizeof(float) * t->model.n_params);
    } else {
        s->bad_epochs++;
    }
    rep.stop_early = t->cfg->train.patience > 0 && s->bad_epochs >= t->cfg->train.patience;
    if (t->hooks.epoch)
        t->hooks.epoch(t->hooks.ctx, t, &rep);
}

static int stopped_early(const Trainer *t)
{
    return t->cfg->train.patience > 0 && t->state.bad_epochs >= t->cfg->train.patience;
}

static void run_epochs(Trainer *t)
{
    const TrainConfig *tc = &t->cfg->train;
    TrainState *s = &t->state;
    int B = tc->batch;
    int64_t n = t->train_total;
    int steps = (int)t->steps_per_epoch;
    uint32_t stream_base = t->sharded ? (uint32_t)(par_rank(t->comm) + 1) << 20 : 0;
    if (!t->order)
        t->order = xmalloc((size_t)t->train.n + 1, sizeof(int64_t));
    while (s->epoch < tc->epochs && !stopped_early(t)) {
        int epoch = s->epoch, samples = 0;
        double start = now_seconds();
        t->exchange_seconds = t->step_seconds = 0.0;
        shuffle_rows(&t->train, tc->seed, stream_base | (uint32_t)epoch, t->order);
        for (int k = s->step_in_epoch; k < steps; k++) {
            int nb = (int)(n - (int64_t)k * B < B ? n - (int64_t)k * B : B), stop = 0;
            int mine = rows_of_step(t, k, nb);
            double loss = train_step(t, t->my_rows, mine, nb, (uint32_t)epoch, &stop);
            if (faults.nan_at_step == s->step + 1)
                loss = NAN;
            if (faults.step_sleep_ms)
                nanosleep(&(struct timespec){0, 1000000L * faults.step_sleep_ms}, NULL);
            if (!isfinite(loss)) {
                t->diverged = 1;
                return;
            }
            apply_update(t);
            s->step++;
            s->step_in_epoch = k + 1;
            s->epoch_loss_sum += loss;
            s->epoch_samples += nb;
            samples += nb;
            if (t->hooks.step)
                t->hooks.step(t->hooks.ctx, t, k + 1, steps,
                              s->epoch_loss_sum /
                                  loss_count(t->model.loss, (int)s->epoch_samples, t->model.targets),
                              samples / (now_seconds() - start));
            if (stop && k + 1 < steps) {
                t->stopped = 1;
                return;
            }
            if (stop) { /* the epoch is complete: finish it, then stop */
                t->stopped = 1;
                break;
            }
        }
        finish_epoch(t, epoch, now_seconds() - start, samples);
        if (t->stopped)
            return;
    }
}

void trainer_run(Trainer *t)
{
    run_epochs(t);
    update_share_moments(&t->update, &t->adam); /* whole for a checkpoint written after a stop */
}

/* Rows of `rows` this rank evaluates: a contiguous slice, or (sharded) all it holds. */
static void owned_slice(const Trainer *t, const RowSet *rows, int64_t *lo, int64_t *hi)
{
    int P = par_size(t->comm), r = par_rank(t->comm);
    *lo = t->sharded ? 0 : rows->n * r / P;
    *hi = t->sharded ? rows->n : rows->n * (r + 1) / P;
}

/* Rank-ordered (n, K) floats onto rank 0; returns the malloc'd array there, NULL elsewhere. */
static float *gather_rows_f32(Trainer *t, const float *mine, int64_t n_mine, int K, int64_t total)
{
    float *all = par_rank(t->comm) == 0 ? xalloc_floats((size_t)total * K + 1) : NULL;
    par_gather_bytes(t->comm, mine, sizeof(float) * (size_t)n_mine * K, all, 0);
    return all;
}

EvalSummary trainer_evaluate(Trainer *t, const DataTable *d, const RowSet *rows, EvalOutputs *out)
{
    Model *m = &t->model;
    int K = m->targets;
    int64_t lo, hi;
    owned_slice(t, rows, &lo, &hi);
    int64_t mine = hi - lo;
    float *probs = xalloc_floats((size_t)mine * K + 1), *labels = xalloc_floats((size_t)mine * K + 1);
    float *oracle = d->oracle ? xalloc_floats((size_t)mine * K + 1) : NULL;
    double sums[2] = {0.0, (double)mine};
    for (int64_t at = lo; at < hi; at += m->max_batch) {
        int n = (int)(hi - at < m->max_batch ? hi - at : m->max_batch);
        gather_rows(t, d, rows->rows + at, n, 0, 0);
        Pass p = {.n = n, .tokens = t->batch_tokens, .sample_index = t->batch_index};
        const float *logits = model_forward(m, &p);
        sums[0] += model_loss(m, &p, t->batch_labels);
        model_probabilities(m, logits, probs + (size_t)(at - lo) * K, n);
        memcpy(labels + (size_t)(at - lo) * K, t->batch_labels, sizeof(float) * (size_t)n * K);
        for (int i = 0; oracle && i < n; i++)
            memcpy(oracle + (size_t)(at - lo + i) * K,
                   d->oracle + (rows->rows[at + i] - d->first_row) * K, sizeof(float) * K);
    }
    par_allreduce_sum_f64(t->comm, sums, 2);
    int64_t total = (int64_t)sums[1];
    EvalOutputs o = {total, gather_rows_f32(t, probs, mine, K, total),
                     gather_rows_f32(t, labels, mine, K, total),
                     oracle ? gather_rows_f32(t, oracle, mine, K, total) : NULL};
    EvalSummary sum = {0};
    if (par_rank(t->comm) == 0)
        metrics_summarise(m->task, o.probs, o.labels, (size_t)total, K, &sum);
    sum.loss = sums[0] / loss_count(m->loss, (int)total, K);
    par_bcast(t->comm, &sum, sizeof sum, 0);
    if (out)
        *out = o;
    else
        eval_outputs_free(&o);
    free(probs), free(labels), free(oracle);
    return sum;
}

void eval_outputs_free(EvalOutputs *o)
{
    free(o->probs);
    free(o->labels);
    free(o->oracle);
    o->probs = o->labels = o->oracle = NULL;
}
