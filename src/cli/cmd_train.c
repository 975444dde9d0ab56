/* cmd_train.c: `gseq_mpi train`: reads the config and data, plans the split on rank 0, runs the
 * trainer over all ranks, and reports: progress, metrics.jsonl, best.h5 / last.h5, the config as
 * run, train.log, and the held-out test metrics. SIGTERM / SIGUSR1 (SLURM's warning before a time
 * limit or preemption) finish the current step, write last.h5 and exit 0. Only rank 0 writes. */
#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/json_out.h"
#include "train/checkpoint.h"
#include "cli/commands.h"
#include "cli/run.h"
#include "nn/kernels.h"
#include "parallel/data_dist.h"
#include "parallel/plan.h"
#include "train/trainer.h"
#include "nn/schedule.h"
#include "train/trainer_faults.h"

typedef struct {
    const char *config, *out, *resume, *data;
    int data_mode; /* DataMode */
    int io;        /* IoMode */
    OptList sets;
    int threads, quiet, log_every, force;
    int exchange;    /* ExchangeMode */
    int folds, fold; /* --folds K --fold k: validate on fold k of the rest (as cv does) */
} TrainArgs;

typedef struct {
    int rank;
    const TrainArgs *args;
    char dir[512];
    FILE *log, *metrics;
    char log_path[600], metrics_path[600];
    int created[2]; /* the log, the metrics: made by this run (not there before) */
    int tty;
    char *config_text;
    double started;
} Report;

static volatile sig_atomic_t stop_requested;
static void on_signal(int sig) { stop_requested = sig; }

/* Rank 0 prints to the screen and the log; the others keep quiet. */
__attribute__((format(printf, 2, 3))) static void say(Report *r, const char *fmt, ...)
{
    if (r->rank != 0)
        return;
    va_list ap;
    va_start(ap, fmt);
    char line[2048];
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    if (r->tty && !r->args->quiet)
        fputs("\r\033[K", stdout);
    fputs(line, stdout);
    fflush(stdout);
    if (r->log && (fputs(line, r->log) < 0 || fflush(r->log) != 0))
        die("%s: cannot write: %s", r->log_path, strerror(errno));
}

static const char train_usage[] =
    "usage: gseq_mpi train --config FILE --out DIR [options]\n"
    "       gseq_mpi train --resume DIR/last.h5 [options]\n";

static const OptChoice data_modes[] = {{"shared", DATA_SHARED}, {"shard", DATA_SHARD}, {NULL, 0}};
static const OptChoice io_modes[] = {{"read", IO_READ}, {"scatter", IO_SCATTER}, {NULL, 0}};
static const OptChoice exchanges[] = {{"auto", EXCHANGE_AUTO}, {"shared", EXCHANGE_SHARED},
                                      {"ring", EXCHANGE_RING}, {"buckets", EXCHANGE_BUCKETS},
                                      {NULL, 0}};

/* Starts MPI and reads the options: 1 to go on, else 0 with the exit status. */
static int read_options(int *argc, char ***argv, TrainArgs *a, int *status)
{
    const Option options[] = {
        OPT_STRING("config", "FILE", &a->config, "model and training settings (INI; see jobs/configs/)"),
        OPT_LIST("set", "SEC.KEY=VALUE", &a->sets, 64,
                 "override a config setting (repeatable), e.g. --set train.epochs=5"),
        OPT_STRING("data", "FILE", &a->data, "training data (same as --set data.train=FILE)"),
        OPT_STRING("out", "DIR", &a->out, "output directory (created); refuses one holding a checkpoint\n"
                                          "unless --force"),
        OPT_STRING("resume", "CKPT", &a->resume,
                   "continue exactly from a checkpoint (its config unless --config)"),
        OPT_CHOICE("data-mode", "MODE", &a->data_mode, data_modes,
                   "shared: one copy of the data per node, any rank draws any\n"
                   "sample (default); shard: each rank holds N/P rows and draws\n"
                   "within them (results then depend on the rank count)"),
        OPT_CHOICE("io", "MODE", &a->io, io_modes,
                   "read: node leaders (shared) or every rank (shard) read the\n"
                   "file (default); scatter: rank 0 reads and sends"),
        OPT_INT("folds", "K", &a->folds, 1, 1000000,
                "with --fold k: validate on fold k of K over the non-test rows, as cv does"),
        OPT_INT("fold", "k", &a->fold, 1, 1000, "the fold to validate on (1..K), with --folds K"),
        OPT_INT("threads", "N", &a->threads, 1, 1000000,
                "BLAS threads per rank (default: OPENBLAS_NUM_THREADS,\n"
                "OMP_NUM_THREADS, or cores / ranks on the node)"),
        OPT_INT("log-every", "N", &a->log_every, 1, 1000000,
                "plain progress line every N steps (default: ~10 per epoch)"),
        OPT_CHOICE("exchange", "MODE", &a->exchange, exchanges,
                   "how the ranks sum gradients: shared (one copy of the\n"
                   "parameters in memory the node's ranks share), ring (MPI\n"
                   "reduce-scatter and all-gather), buckets (per-layer\n"
                   "MPI_Iallreduce overlapped with backward); default auto:\n"
                   "shared when every node runs the same number (>= 2) of\n"
                   "ranks, else ring"),
        OPT_SET("overlap", &a->exchange, EXCHANGE_BUCKETS, "the same as --exchange buckets"),
        OPT_SET("no-overlap", &a->exchange, EXCHANGE_AUTO, "the same as --exchange auto"),
        OPT_FLAG("quiet", &a->quiet, "no per-step progress (the epoch lines and summary stay)"),
        OPT_FLAG("force", &a->force, "write into an --out that already holds checkpoints"),
        OPT_END,
    };
    const OptCommand cmd = {"train", train_usage, options};
    if (!run_start(&cmd, argc, argv, status))
        return 0;
    Error err = {{0}};
    if (!a->config && !a->resume)
        error_set(&err, "--config FILE is required (or --resume CKPT)");
    else if ((a->folds > 0) != (a->fold > 0) || a->fold > a->folds || a->folds == 1)
        error_set(&err, "--folds K (K >= 2) and --fold k (1..K) go together");
    else if (!a->out && !a->resume)
        error_set(&err, "--out DIR is required");
    if (!err.msg[0])
        return 1;
    *status = run_usage_error(&cmd, &err);
    return 0;
}

/* ---- steps that rank 0 does and the others hear about ---- */

static char *bcast_string(ParComm *c, char *s)
{
    long len = s ? (long)strlen(s) + 1 : 0;
    par_bcast(c, &len, sizeof len, 0);
    if (par_rank(c) != 0)
        s = len ? xmalloc((size_t)len, 1) : NULL;
    if (len)
        par_bcast(c, s, (size_t)len, 0);
    return s;
}

static int load_config(ParComm *c, const TrainArgs *a, Config *cfg, Error *err)
{
    char *text = NULL;
    const char *name = a->config;
    if (a->config) {
        if (config_load(cfg, a->config, err) != 0)
            return -1;
    } else {
        if (par_rank(c) == 0)
            text = checkpoint_read_config(a->resume, err);
        if (par_root_verdict(c, text ? 0 : -1) != 0)
            return -1;
        text = bcast_string(c, text);
        name = a->resume;
        int rc = config_load_text(cfg, text, name, err);
        free(text);
        if (rc != 0)
            return -1;
    }
    for (int i = 0; i < a->sets.n; i++)
        if (config_set(cfg, a->sets.item[i], err) != 0)
            return -1;
    if (a->data) {
        char set[600];
        snprintf(set, sizeof set, "data.train=%s", a->data);
        if (config_set(cfg, set, err) != 0)
            return -1;
    }
    if (!cfg->data_train[0])
        return error_set(err, "%s: no training data: set [data] train = FILE, --set data.train=FILE "
                         "or --data FILE", name);
    return 0;
}

static int prepare_out(Report *r, const TrainArgs *a, Error *err)
{
    if (a->out)
        snprintf(r->dir, sizeof r->dir, "%s", a->out);
    else { /* resume: beside the checkpoint */
        snprintf(r->dir, sizeof r->dir, "%s", a->resume);
        char *slash = strrchr(r->dir, '/');
        if (slash)
            *slash = '\0';
        else
            snprintf(r->dir, sizeof r->dir, ".");
    }
    if (r->rank != 0)
        return 0;
    if (run_make_dir(r->dir, err))
        return -1;
    char last[600];
    snprintf(last, sizeof last, "%s/last.h5", r->dir);
    if (!a->resume && !a->force && access(last, F_OK) == 0)
        return error_set(err, "--out %s already holds a checkpoint (last.h5): resume with --resume "
                         "%s, choose another --out, or --force", r->dir, last);
    snprintf(r->log_path, sizeof r->log_path, "%s/train.log", r->dir);
    r->created[0] = access(r->log_path, F_OK) != 0;
    r->log = fopen(r->log_path, a->resume ? "a" : "w");
    if (!r->log)
        return error_set(err, "%s: cannot write: %s", r->log_path, strerror(errno));
    snprintf(r->metrics_path, sizeof r->metrics_path, "%s/metrics.jsonl", r->dir);
    r->created[1] = access(r->metrics_path, F_OK) != 0;
    r->metrics = fopen(r->metrics_path, a->resume ? "a" : "w");
    if (!r->metrics)
        return error_set(err, "%s: cannot write: %s", r->metrics_path, strerror(errno));
    return 0;
}

/* Closes the log files; one that this run created and left empty (it failed before its first
 * line) is removed, so a bad input leaves no empty train.log or metrics.jsonl behind. Logs that
 * were there before (a resumed run appends to them) always stay. */
static void close_logs(Report *r)
{
    FILE **files[2] = {&r->log, &r->metrics};
    const char *paths[2] = {r->log_path, r->metrics_path};
    for (int i = 0; i < 2; i++) {
        if (!*files[i])
            continue;
        int empty = ftell(*files[i]) == 0;
        fclose(*files[i]);
        *files[i] = NULL;
        if (empty && r->created[i])
            unlink(paths[i]);
    }
}

/* Whole or not at all (a temporary file renamed into place). */
static void write_text_file(Report *r, const char *name, const char *text)
{
    char path[600];
    Error err;
    snprintf(path, sizeof path, "%s/%s", r->dir, name);
    FILE *f = out_open(path, &err);
    if (f)
        fputs(text, f);
    if (!f || out_close(f, path, &err) != 0) {
        close_logs(r);
        die("%s", err.msg);
    }
}

/* ---- reporting ---- */

static void on_step(void *ctx, const Trainer *t, int k, int steps, double loss, double rate)
{
    Report *r = ctx;
    if (r->rank != 0 || r->args->quiet)
        return;
    int every = r->args->log_every ? r->args->log_every : (steps >= 10 ? steps / 10 : 1);
    double eta = rate > 0 ? (double)(steps - k) * t->cfg->train.batch / rate : 0.0;
    if (r->tty) {
        int filled = 30 * k / steps;
        printf("\repoch %d/%d [%.*s%*s] %d/%d loss %.4f %.0f samples/s ETA %d:%02d \033[K",
               t->state.epoch + 1, t->cfg->train.epochs, filled, "==============================",
               30 - filled, "", k, steps, loss, rate, (int)eta / 60, (int)eta % 60);
        fflush(stdout);
    } else if (k % every == 0 && k < steps) {
        say(r, "epoch %d/%d step %d/%d loss %.4f %.0f samples/s ETA %d:%02d\n",
            t->state.epoch + 1, t->cfg->train.epochs, k, steps, loss, rate, (int)eta / 60,
            (int)eta % 60);
    }
}

static void save_checkpoint(Report *r, const Trainer *t, const char *name, const float *params)
{
    char path[600];
    Error err;
    snprintf(path, sizeof path, "%s/%s", r->dir, name);
    Model view = t->model; /* same shape, other parameters */
    view.params = (float *)params;
    if (checkpoint_write(path, &view, &t->adam, &t->state, r->config_text, &err) != 0)
        die("%s", err.msg);
}

static void on_epoch(void *ctx, const Trainer *t, const EpochReport *e)
{
    Report *r = ctx;
    if (r->rank != 0)
        return;
    if (e->improved)
        save_checkpoint(r, t, "best.h5", t->model.params);
    save_checkpoint(r, t, "last.h5", t->model.params);
    json_t *line = json_out_pack("{s:i, s:I, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o}",
        "epoch", e->epoch, "step", (json_int_t)e->step, "lr", json_out_number(e->lr),
        "train_loss", json_out_number(e->train_loss), "val_loss", json_out_number(e->val.loss),
        "val_accuracy", json_out_number(e->val.accuracy),
        "val_auroc", json_out_number(e->val.auroc_mean),
        "samples_per_s", json_out_number(e->samples_per_s),
        "exchange_share", json_out_number(e->exchange_share),
        "seconds", json_out_number(e->seconds), "rss_mb", json_out_number(e->rss_bytes / 1e6));
    int regression = t->model.task == TASK_REGRESSION;
    if (regression) {
        json_out_set(line, "val_pearson", json_out_number(e->val.pearson_mean));
        json_out_set(line, "val_spearman", json_out_number(e->val.spearman_mean));
        json_out_set(line, "val_mse", json_out_number(e->val.mse_mean));
    }
    Error err;
    if (json_out_append_line(r->metrics, r->metrics_path, line, &err) != 0)
        die("%s", err.msg);
    say(r, "epoch %d/%d: train loss %.4f, val loss %.4f, val %s %.4f, val %s %.4f, "
           "lr %.3g, %.0f samples/s, %.1f s%s%s%s\n",
        e->epoch, t->cfg->train.epochs, e->train_loss, e->val.loss,
        regression ? "pearson" : "auroc", regression ? e->val.pearson_mean : e->val.auroc_mean,
        regression ? "spearman" : "accuracy", regression ? e->val.spearman_mean : e->val.accuracy,
        e->lr, e->samples_per_s, e->seconds, e->improved ? " (best)" : "",
        e->lr_cut ? " - lr cut" : "", e->stop_early ? " - early stop" : "");
}

static int should_stop(void *ctx) { return stop_requested != 0; }

static void install_signals(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGUSR1, &sa, NULL);
}

/* ---- the end: test metrics and summary ---- */

static void write_test_metrics(Report *r, Trainer *t, const DataTable *d, const RowSet *test)
{
    update_set_params(&t->update, t->best_params);
    EvalOutputs out;
    EvalSummary s = trainer_evaluate(t, d, test, &out);
    if (r->rank != 0) {
        eval_outputs_free(&out);
        return;
    }
    double oracle = NAN;
    if (out.oracle) {
        EvalSummary os;
        metrics_summarise(d->task, out.oracle, out.labels, (size_t)out.n, d->targets, &os);
        oracle = os.auroc_mean;
    }
    char path[600];
    Error err;
    snprintf(path, sizeof path, "%s/test_metrics.json", r->dir);
    json_t *json = json_out_pack("{s:I, s:i, s:o, s:o, s:o, s:o}", "n", (json_int_t)out.n,
        "best_epoch", t->state.best_epoch + 1, "loss", json_out_number(s.loss),
        "accuracy", json_out_number(s.accuracy), "auroc", json_out_number(s.auroc_mean),
        "oracle_auroc", json_out_number(oracle));
    if (d->task == TASK_REGRESSION) {
        json_out_set(json, "pearson", json_out_number(s.pearson_mean));
        json_out_set(json, "spearman", json_out_number(s.spearman_mean));
        json_out_set(json, "mse", json_out_number(s.mse_mean));
    }
    if (json_out_write_file(path, json, &err) != 0)
        die("%s", err.msg);
    if (d->task == TASK_REGRESSION)
        say(r, "test (%lld held-out samples, best epoch %d): loss %.4f, pearson %.4f, spearman "
            "%.4f, mse %.4g", (long long)out.n, t->state.best_epoch + 1, s.loss, s.pearson_mean,
            s.spearman_mean, s.mse_mean);
    else
        say(r, "test (%lld held-out samples, best epoch %d): loss %.4f, auroc %.4f, accuracy %.4f",
            (long long)out.n, t->state.best_epoch + 1, s.loss, s.auroc_mean, s.accuracy);
    if (!isnan(oracle))
        say(r, "; the planted motifs' oracle reaches auroc %.4f", oracle);
    say(r, "\n");
    eval_outputs_free(&out);
}

/* Where the data lives: the most any rank holds, and how many copies there are. */
static void report_data_memory(Report *r, ParComm *c, const DataTable *d, DataMode mode)
{
    double held[1] = {(double)data_bytes_held(d)}, most[1] = {held[0]};
    par_allreduce_sum_f64(c, held, 1);
    par_allreduce_max_f64(c, most, 1);
    if (mode == DATA_SHARED)
        say(r, "data: shared, one copy per node: %.4g MB in all, %.4g MB on the largest node\n",
            held[0] / 1e6, most[0] / 1e6);
    else
        say(r, "data: sharded over %d ranks: %.4g MB in all, at most %.4g MB on one rank\n",
            par_size(c), held[0] / 1e6, most[0] / 1e6);
}

/* ---- the command ---- */

/* A validation or test file must hold rows the model takes: the training data's shape and task. */
static int same_shape(const DataTable *data, const DataTable *other, const char *role, Error *err)
{
    if (!other->n || (other->length == data->length && other->targets == data->targets &&
                      other->task == data->task))
        return 0;
    return error_set(err, "%s: rows of %d tokens, %d target%s (%s), but the training data %s has "
                     "%d tokens, %d target%s (%s): a %s file needs the same", other->path,
                     other->length, other->targets, other->targets == 1 ? "" : "s",
                     task_name(other->task), data->path, data->length, data->targets,
                     data->targets == 1 ? "" : "s", task_name(data->task), role);
}

/* Ends the command on every rank; rank 0 (or the rank that holds the reason) says why. */
static int end_run(Report *r, ParComm *c, const Error *err, int status)
{
    if (r)
        close_logs(r);
    return run_fail(c, err, status);
}

/* What a run holds, released on every way out (each part may be empty or zero). */
static void release(Config *cfg, DataTable *data, DataTable *valid, DataTable *test, Trainer *t,
                    RowSet *test_rows)
{
    if (t)
        trainer_free(t);
    if (test_rows)
        rowset_free(test_rows);
    data_release(data), data_release(valid), data_release(test);
    config_free(cfg);
}

static int resume_state(ParComm *c, const char *path, Trainer *t, Error *err)
{
    char fp[24];
    memcpy(fp, t->state.fingerprint, sizeof fp);
    int rc = par_rank(c) == 0 ? checkpoint_read(path, &t->model, &t->adam, &t->state, err) : 0;
    if (rc == 0 && par_rank(c) == 0 && strcmp(fp, t->state.fingerprint) != 0)
        rc = error_set(err, "%s: was trained on other data (fingerprint %s, this data %s)", path,
                       t->state.fingerprint, fp);
    if (par_root_verdict(c, rc) != 0)
        return -1;
    update_bcast_state(&t->update, &t->adam);
    par_bcast(c, &t->state, sizeof t->state, 0);
    t->adam.step = t->state.step;
    if (par_rank(c) == 0) { /* the best parameters so far, for the final test */
        char best[600];
        snprintf(best, sizeof best, "%s", path);
        char *slash = strrchr(best, '/');
        snprintf(slash ? slash + 1 : best, sizeof best - (size_t)(slash ? slash + 1 - best : 0), "best.h5");
        Model view = t->model;
        view.params = t->best_params;
        Error ignore;
        if (checkpoint_read(best, &view, NULL, NULL, &ignore) != 0)
            memcpy(t->best_params, t->model.params, sizeof(float) * t->model.n_params);
    }
    par_bcast(c, t->best_params, sizeof(float) * t->model.n_params, 0);
    return 0;
}

/* The config, the output directory, the BLAS threads and the data, on every rank: 0, or the exit
 * status with the run ended. */
static int prepare(ParComm *c, const TrainArgs *a, Report *r, Config *cfg, DataTable *data,
                   DataTable *valid, DataTable *test)
{
    Error err = {{0}};
    if (load_config(c, a, cfg, &err) != 0) {
        release(cfg, data, valid, test, NULL, NULL);
        return end_run(NULL, c, &err, 1);
    }
    if (par_root_verdict(c, prepare_out(r, a, &err)) != 0) {
        release(cfg, data, valid, test, NULL, NULL);
        return end_run(r, c, &err, 1);
    }
    kernels_set_threads(a->threads, par_node_size());
    int reporter = 0;
    if (data_load(data, cfg->data_train, a->data_mode, a->io, &err, &reporter) != 0 ||
        (cfg->data_valid[0] && data_load(valid, cfg->data_valid, a->data_mode, a->io, &err, &reporter)) ||
        (cfg->data_test[0] && data_load(test, cfg->data_test, a->data_mode, a->io, &err, &reporter))) {
        release(cfg, data, valid, test, NULL, NULL);
        return end_run(r, c, &err, 1);
    }
    if (same_shape(data, valid, "validation", &err) || same_shape(data, test, "test", &err)) {
        release(cfg, data, valid, test, NULL, NULL);
        return end_run(r, c, &err, 1);
    }
    return 0;
}

/* Rank 0: config.ini, and the line that says what runs where. */
static void announce(Report *r, ParComm *c, const Config *cfg, const DataTable *data,
                     const Trainer *t)
{
    const TrainArgs *a = r->args;
    r->config_text = config_effective_text(cfg);
    if (r->rank == 0)
        write_text_file(r, "config.ini", r->config_text);
    char exchange[96] = "";
    if (par_size(c) > 1 && t->update.cross)
        snprintf(exchange, sizeof exchange, ", gradients summed: shared on each of %d nodes, then "
                 "MPI between them", par_nodemem_nodes(t->update.shared));
    else if (par_size(c) > 1)
        snprintf(exchange, sizeof exchange, ", gradients summed: %s",
                 exchange_mode_name(t->update.mode));
    say(r, "gseq_mpi train: %s on %s (%lld samples, %lld for training), %d rank%s%s, %zu "
        "parameters%s\n", cfg->path, data->path, (long long)data->n, (long long)t->train_total,
        par_size(c), par_size(c) > 1 ? "s" : "", exchange, t->model.n_params,
        a->resume ? ", resumed" : "");
    char weights[512];
    if (t->loss_weights && trainer_describe_weights(t, weights, sizeof weights) > 0)
        say(r, "%s\n", weights);
    if (cfg->train.schedule != SCHEDULE_CONSTANT || cfg->train.warmup_steps)
        say(r, "learning rate: %s from %g%s, warmup %d steps\n", schedule_name(cfg->train.schedule),
            cfg->train.adam.lr, cfg->train.min_lr > 0 ? " (at least min_lr)" : "",
            cfg->train.warmup_steps);
    if (cfg->train.rc_augment)
        say(r, "augmentation: each epoch, about half the training rows as their reverse "
               "complements (train.rc_augment)\n");
    report_data_memory(r, c, data, (DataMode)a->data_mode);
}

/* After the training: the last checkpoint after a signal, else the test metrics; 0, or 1 with the
 * reason in err when the training diverged. */
static int conclude(Report *r, Trainer *t, const DataTable *data, const DataTable *test,
                    const RowSet *test_rows, Error *err)
{
    if (t->diverged)
        return error_set(err, "training diverged at step %ld (epoch %d): the loss is not finite; "
                         "best.h5 and last.h5 are left as they were", t->state.step + 1,
                         t->state.epoch + 1), 1;
    if (t->stopped) {
        if (r->rank == 0)
            save_checkpoint(r, t, "last.h5", t->model.params);
        say(r, "stopped by signal after step %ld: wrote %s/last.h5; continue with "
               "gseq_mpi train --resume %s/last.h5\n", t->state.step, r->dir, r->dir);
        return 0;
    }
    const DataTable *td = test->n ? test : data;
    if (test_rows->n)
        write_test_metrics(r, t, td, test_rows);
    say(r, "done: %ld steps in %.1f s; best epoch %d; outputs in %s\n", t->state.step,
        now_seconds() - r->started, t->state.best_epoch + 1, r->dir);
    return 0;
}

int cmd_train(int argc, char **argv)
{
    TrainArgs a = {0};
    int status;
    Report r = {.args = &a, .started = now_seconds()};
    if (!read_options(&argc, &argv, &a, &status))
        return status;
    ParComm *c = par_world();
    Error err = {{0}};
    r.rank = par_rank(c);
    /* A bar only on a terminal of our own: under mpirun the ranks' stdout is a pseudo-terminal
     * whatever the final destination, so launched runs print plain lines (SLURM logs). */
    r.tty = isatty(STDOUT_FILENO) && !par_launched() && !getenv("SLURM_JOB_ID");
    Config cfg = {0};
    DataTable data = {0}, valid = {0}, test = {0};
    if ((status = prepare(c, &a, &r, &cfg, &data, &valid, &test)) != 0)
        return status;
    /* fault injection for the tests: step N's loss becomes NaN; each step sleeps M ms */
    const char *fault = getenv("GSEQ_FAULT_NAN_AT_STEP"), *slow = getenv("GSEQ_FAULT_STEP_SLEEP_MS");
    trainer_test_faults(&(TrainerFaults){fault ? atol(fault) : 0, slow ? atoi(slow) : 0});
    RowSet test_rows;
    RowPlan plan;
    if (plan_rows(c, &cfg, &data, valid.n ? &valid : NULL, test.n ? &test : NULL,
                  a.data_mode == DATA_SHARD, a.folds, a.fold - 1, &plan, &err)) {
        release(&cfg, &data, &valid, &test, NULL, NULL);
        return end_run(&r, c, &err, 1);
    }
    Trainer t;
    TrainerOptions opt = {.exchange = a.exchange, .sharded = a.data_mode == DATA_SHARD,
                          .valid_data = valid.n ? &valid : NULL,
                          .hooks = {&r, on_step, on_epoch, should_stop}};
    int built = trainer_init(&t, c, &cfg, &data, &plan, &opt, &err);
    if (par_root_verdict(c, built) != 0) {
        /* a failed trainer_init freed its own; a rank whose init worked frees what it built */
        plan_free(&plan);
        release(&cfg, &data, &valid, &test, built == 0 ? &t : NULL, NULL);
        return end_run(&r, c, &err, 1);
    }
    test_rows = plan.test;
    rowset_free(&plan.rest);
    if (a.resume && resume_state(c, a.resume, &t, &err) != 0) {
        release(&cfg, &data, &valid, &test, &t, &test_rows);
        return end_run(&r, c, &err, 1);
    }
    announce(&r, c, &cfg, &data, &t);
    install_signals();
    trainer_run(&t);
    status = conclude(&r, &t, &data, &test, &test_rows, &err);
    release(&cfg, &data, &valid, &test, &t, &test_rows);
    free(r.config_text);
    if (status)
        return end_run(&r, c, &err, status);
    if (r.log)
        fclose(r.log);
    if (r.metrics)
        fclose(r.metrics);
    par_finalize();
    return 0;
}
