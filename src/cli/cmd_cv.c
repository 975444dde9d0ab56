/* cmd_cv.c: `gseq_mpi cv`: model selection as the seed method does it. The test rows (test_fraction,
 * stratified, seeded) are set aside first and never seen here; k-fold cross-validation over the rest
 * scores every configuration of a hyper-parameter grid; the tasks (configuration, fold) run on G
 * groups of ranks at once (MPI_Comm_split), each group data-parallel inside itself; the best
 * configuration (mean of the monitored metric over folds) is trained on all the non-test rows for
 * the median of its folds' best epochs, then evaluated once on the test rows. With --folds-by chrom
 * (data.folds_by = chrom) the folds are of whole chromosomes, listed in folds.tsv; data.test_chroms
 * sets the test rows aside by chromosome (plan.c). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/json_out.h"
#include "train/checkpoint.h"
#include "cli/commands.h"
#include "cli/run.h"
#include "parallel/data_dist.h"
#include "parallel/plan.h"
#include "train/trainer.h"

#define MAX_GRID 16
#define MAX_CONFIGS 256
#define MAX_VALUES 32

typedef struct {
    const char *config, *out, *data;
    OptList sets, grids;
    int folds, groups, quiet;
    int folds_by; /* 0 rows, 1 chrom, -1 not given (the config's data.folds_by) */
} CvArgs;

static const OptChoice fold_ways[] = {{"rows", 0}, {"chrom", 1}, {NULL, 0}};

typedef struct {
    char key[96];
    char *values[MAX_VALUES];
    int n;
} GridAxis;

/* One fold's results. The two scores are AUROC and accuracy, or for regression Pearson and
 * Spearman (then R_MSE too): FieldNames says which. */
enum { R_EPOCH, R_LOSS, R_SCORE, R_SCORE2, R_MSE, R_DONE, R_FIELDS };

typedef struct {
    int regression;
    const char *score, *score2; /* "val_auroc", "val_accuracy" or "val_pearson", "val_spearman" */
} FieldNames;

static FieldNames field_names(Task task)
{
    return task == TASK_REGRESSION ? (FieldNames){1, "val_pearson", "val_spearman"}
                                   : (FieldNames){0, "val_auroc", "val_accuracy"};
}

/* The result field a monitor reads (config_check_monitor made it fit the task). */
static int monitor_field(const char *monitor)
{
    return !strcmp(monitor, "val_auroc") || !strcmp(monitor, "val_pearson") ? R_SCORE
           : !strcmp(monitor, "val_accuracy")                               ? R_SCORE2
                                                                            : R_LOSS;
}

/* Starts MPI and reads the options: 1 to go on, else 0 with the exit status. */
static int read_options(int *argc, char ***argv, CvArgs *a, int *status)
{
    const Option options[] = {
        OPT_STRING("config", "FILE", &a->config,
                   "model and training settings (INI); required unless --grid\n"
                   "config=A.ini,B.ini gives the configurations"),
        OPT_LIST("set", "SEC.KEY=VALUE", &a->sets, 64,
                 "override a setting for every configuration (repeatable)"),
        OPT_STRING("data", "FILE", &a->data, "the data (same as --set data.train=FILE)"),
        OPT_INT("folds", "K", &a->folds, 2, 100000, "folds over the non-test rows (default 5)"),
        OPT_CHOICE("folds-by", "rows|chrom", &a->folds_by, fold_ways,
                   "rows: stratified random folds (default); chrom: folds of whole\n"
                   "chromosomes, balanced by rows (the file's /chrom; the same as\n"
                   "--set data.folds_by=chrom)"),
        OPT_LIST("grid", "SEC.KEY=V1,V2", &a->grids, MAX_GRID,
                 "a hyper-parameter axis (repeatable; the grid is their product);\n"
                 "config=A.ini,B.ini is an axis of whole config files"),
        OPT_INT("groups", "G", &a->groups, 1, 100000,
                "groups of ranks training tasks at once (default: min(ranks, tasks))"),
        OPT_REQUIRED("out", "DIR", &a->out, "cv.tsv, summary.tsv, best.h5 of the final model, report.json"),
        OPT_FLAG("quiet", &a->quiet, "no progress lines"),
        OPT_END,
    };
    const OptCommand cmd = {"cv", "usage: gseq_mpi cv --config FILE --out DIR [options]\n"
                             "       gseq_mpi cv --grid config=A.ini,B.ini --out DIR [options]\n", options};
    return run_start(&cmd, argc, argv, status);
}

/* "train.batch=300,400,500" into an axis; every value must be non-empty. */
static int parse_axis(const char *text, GridAxis *ax, Error *err)
{
    const char *eq = strchr(text, '=');
    memset(ax, 0, sizeof *ax);
    int is_config = eq && eq - text == 6 && !strncmp(text, "config", 6);
    if (!is_config && (!eq || eq == text || !strchr(text, '.') || strchr(text, '.') > eq))
        return error_set(err, "--grid %s: expected section.key=value1,value2,... or "
                         "config=A.ini,B.ini", text);
    snprintf(ax->key, sizeof ax->key, "%.*s", (int)(eq - text), text);
    const char *p = eq + 1;
    if (!*p)
        return error_set(err, "--grid %s: the list of values is empty", text);
    while (*p) {
        const char *comma = strchr(p, ',');
        size_t len = comma ? (size_t)(comma - p) : strlen(p);
        if (len == 0)
            return error_set(err, "--grid %s: an empty value in the list", text);
        if (ax->n == MAX_VALUES)
            return error_set(err, "--grid %s: more than %d values", text, MAX_VALUES);
        ax->values[ax->n] = xmalloc(len + 1, 1);
        memcpy(ax->values[ax->n], p, len);
        ax->values[ax->n++][len] = '\0';
        p += len + (comma ? 1 : 0);
        if (comma && !*p)
            return error_set(err, "--grid %s: an empty value in the list", text);
    }
    return 0;
}

static void free_axes(GridAxis *axes, int n)
{
    for (int i = 0; i < n; i++)
        for (int v = 0; v < axes[i].n; v++)
            free(axes[i].values[v]);
}

/* Configuration c of the grid as "key=value" assignments (mixed-radix over the axes). */
static void describe(const GridAxis *axes, int n_axes, int c, char *out, size_t len)
{
    size_t at = 0;
    out[0] = '\0';
    for (int i = n_axes - 1; i >= 0; i--) {
        int v = c % axes[i].n;
        c /= axes[i].n;
        at += (size_t)snprintf(out + at, len - at, "%s%s=%s", at ? " " : "", axes[i].key,
                               axes[i].values[v]);
    }
}

/* The value index of every axis for configuration c (mixed radix, the last axis fastest). */
static void axis_values(const GridAxis *axes, int n_axes, int c, int *v)
{
    for (int i = n_axes - 1; i >= 0; i--) {
        v[i] = c % axes[i].n;
        c /= axes[i].n;
    }
}

/* The config file of configuration c: the config axis's value, else --config. */
static const char *config_path(const CvArgs *a, const GridAxis *axes, int n_axes, const int *v)
{
    for (int i = 0; i < n_axes; i++)
        if (!strcmp(axes[i].key, "config"))
            return axes[i].values[v[i]];
    return a->config;
}

static int load_config(const CvArgs *a, const GridAxis *axes, int n_axes, int c, const char *extra,
                       Config *cfg, Error *err)
{
    int v[MAX_GRID];
    axis_values(axes, n_axes, c, v);
    const char *path = config_path(a, axes, n_axes, v);
    if (!path) {
        memset(cfg, 0, sizeof *cfg); /* config_free is safe */
        return error_set(err, "cv: --config FILE is required (or --grid config=A.ini,B.ini)");
    }
    if (config_load(cfg, path, err))
        return -1;
    for (int i = 0; i < a->sets.n; i++)
        if (config_set(cfg, a->sets.item[i], err))
            return -1;
    char set[700];
    if (a->data) {
        snprintf(set, sizeof set, "data.train=%s", a->data);
        if (config_set(cfg, set, err))
            return -1;
    }
    if (a->folds_by >= 0 &&
        config_set(cfg, a->folds_by ? "data.folds_by=chrom" : "data.folds_by=rows", err))
        return -1;
    for (int i = 0; i < n_axes; i++) {
        if (!strcmp(axes[i].key, "config"))
            continue;
        snprintf(set, sizeof set, "%s=%s", axes[i].key, axes[i].values[v[i]]);
        Error why;
        if (config_set(cfg, set, &why))
            return error_set(err, "--grid %s (configuration %d, %s): %s", axes[i].key, c + 1, path,
                             why.msg);
    }
    if (extra && config_set(cfg, extra, err))
        return -1;
    if (!cfg->data_train[0])
        return error_set(err, "%s: no data: set [data] train = FILE or --data FILE", path);
    return 0;
}

/* Rank 0 checks everything that can be checked before training: every configuration plans on the
 * data, and the folds can be stratified. */
static int check_all(const CvArgs *a, const GridAxis *axes, int n_axes, int n_configs,
                     const DataTable *data, Error *err)
{
    Config first;
    if (load_config(a, axes, n_axes, 0, NULL, &first, err)) {
        config_free(&first);
        return -1;
    }
    int rc = 0;
    for (int c = 0; c < n_configs && rc == 0; c++) {
        Config cfg;
        Model m;
        Task task = data->task;
        rc = load_config(a, axes, n_axes, c, NULL, &cfg, err);
        if (rc == 0 && strcmp(cfg.data_train, first.data_train))
            rc = error_set(err, "cv: configuration %d (%s) trains on %s but configuration 1 (%s) on "
                           "%s: give --data FILE for all", c + 1, cfg.path, cfg.data_train,
                           first.path, first.data_train);
        if (rc == 0 && strcmp(cfg.train.monitor, first.train.monitor))
            rc = error_set(err, "cv: configuration %d (%s) monitors %s but configuration 1 (%s) %s: "
                           "the folds' means would not compare; give --set train.monitor=...",
                           c + 1, cfg.path, cfg.train.monitor, first.path, first.train.monitor);
        if (rc == 0)
            rc = config_check_monitor(&cfg, task, err);
        if (rc == 0 && (rc = model_build(&m, &cfg, data->length, data->targets, task, 1, err)) == 0)
            model_free(&m);
        config_free(&cfg);
    }
    config_free(&first);
    return rc ? -1 : 0;
}

/* One task: configuration c, fold f, trained by the ranks of group g. */
static void run_task(ParComm *g, const CvArgs *a, const GridAxis *axes, int n_axes, int c, int f,
                     const DataTable *data, double *result)
{
    Config cfg;
    Error err;
    if (load_config(a, axes, n_axes, c, NULL, &cfg, &err))
        die("%s", err.msg); /* checked before: cannot happen */
    RowPlan plan;
    Trainer t;
    if (plan_rows(g, &cfg, data, NULL, NULL, 0, a->folds, f, &plan, &err) ||
        trainer_init(&t, g, &cfg, data, &plan, &(TrainerOptions){.exchange = EXCHANGE_AUTO}, &err))
        die("%s", err.msg);
    trainer_run(&t);
    if (t.diverged)
        die("configuration %d fold %d diverged at step %ld", c + 1, f + 1, t.state.step + 1);
    result[R_EPOCH] = t.state.best_epoch + 1;
    result[R_LOSS] = t.best_val.loss;
    int regression = t.model.task == TASK_REGRESSION;
    result[R_SCORE] = regression ? t.best_val.pearson_mean : t.best_val.auroc_mean;
    result[R_SCORE2] = regression ? t.best_val.spearman_mean : t.best_val.accuracy;
    result[R_MSE] = t.best_val.mse_mean;
    result[R_DONE] = 1;
    trainer_free(&t); /* frees the train and valid rows, which it took from the plan */
    rowset_free(&plan.test);
    rowset_free(&plan.rest);
    config_free(&cfg);
}

static double mean_of(const double *r, int folds, int field, double *sd)
{
    double s = 0, s2 = 0;
    for (int f = 0; f < folds; f++)
        s += r[f * R_FIELDS + field];
    double m = s / folds;
    for (int f = 0; f < folds; f++)
        s2 += (r[f * R_FIELDS + field] - m) * (r[f * R_FIELDS + field] - m);
    *sd = folds > 1 ? sqrt(s2 / (folds - 1)) : 0.0;
    return m;
}

static int median_epoch(const double *r, int folds)
{
    int e[128], n = folds < 128 ? folds : 128;
    for (int i = 0; i < n; i++)
        e[i] = (int)r[i * R_FIELDS + R_EPOCH];
    for (int i = 1; i < n; i++) /* insertion sort */
        for (int j = i; j > 0 && e[j] < e[j - 1]; j--) {
            int tmp = e[j];
            e[j] = e[j - 1];
            e[j - 1] = tmp;
        }
    return n % 2 ? e[n / 2] : (e[n / 2 - 1] + e[n / 2] + 1) / 2; /* upper middle on a tie */
}

/* Rank 0's outputs appear whole or not at all (util.h); a failure ends the run. */
static FILE *open_out(const char *dir, const char *name)
{
    char path[700];
    Error err;
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = out_open(path, &err);
    if (!f)
        die("%s", err.msg);
    return f;
}

static void close_out(FILE *f, const char *dir, const char *name)
{
    char path[700];
    Error err;
    snprintf(path, sizeof path, "%s/%s", dir, name);
    if (out_close(f, path, &err) != 0)
        die("%s", err.msg);
}

/* Rank 0: cv.tsv and summary.tsv; returns the chosen configuration. */
static int report_cv(const CvArgs *a, const GridAxis *axes, int n_axes, int n_configs,
                     const double *res, const char *monitor, FieldNames names)
{
    FILE *t = open_out(a->out, "cv.tsv"), *s = open_out(a->out, "summary.tsv");
    fprintf(t, "config\tsettings\tfold\tbest_epoch\tval_loss\t%s\t%s%s\n", names.score,
            names.score2, names.regression ? "\tval_mse" : "");
    fprintf(s, "config\tsettings\t%s_mean\t%s_sd\tmedian_best_epoch\n", monitor, monitor);
    int field = monitor_field(monitor);
    int lower = field == R_LOSS, best = 0;
    double best_mean = 0;
    printf("cross-validation, %d folds, monitored %s (mean ± sd over folds):\n", a->folds, monitor);
    for (int c = 0; c < n_configs; c++) {
        char desc[512];
        describe(axes, n_axes, c, desc, sizeof desc);
        const double *r = res + (size_t)c * a->folds * R_FIELDS;
        for (int f = 0; f < a->folds; f++) {
            const double *x = r + f * R_FIELDS;
            fprintf(t, "%d\t%s\t%d\t%d\t%.9g\t%.9g\t%.9g", c + 1, desc, f + 1, (int)x[R_EPOCH],
                    x[R_LOSS], x[R_SCORE], x[R_SCORE2]);
            if (names.regression)
                fprintf(t, "\t%.9g", x[R_MSE]);
            fputc('\n', t);
        }
        double sd, mean = mean_of(r, a->folds, field, &sd);
        fprintf(s, "%d\t%s\t%.9g\t%.9g\t%d\n", c + 1, desc, mean, sd, median_epoch(r, a->folds));
        printf("  %2d  %-40s %.4f ± %.4f  (median best epoch %d)\n", c + 1, *desc ? desc : "(config as given)",
               mean, sd, median_epoch(r, a->folds));
        if (c == 0 || (lower ? mean < best_mean : mean > best_mean)) {
            best = c;
            best_mean = mean;
        }
    }
    close_out(t, a->out, "cv.tsv");
    close_out(s, a->out, "summary.tsv");
    return best;
}

/* Rank 0: every configuration, best first by the mean of the monitored metric over the folds
 * (ties: the earlier configuration first), with the means of all three metrics. */
static json_t *ranking_json(const CvArgs *a, const GridAxis *axes, int n_axes, int n_configs,
                            const double *res, int field, FieldNames names)
{
    int *order = xmalloc((size_t)n_configs, sizeof(int));
    double *key = xmalloc((size_t)n_configs, sizeof(double)), sd;
    for (int c = 0; c < n_configs; c++) {
        double m = mean_of(res + (size_t)c * a->folds * R_FIELDS, a->folds, field, &sd);
        key[c] = isnan(m) ? INFINITY : field == R_LOSS ? m : -m; /* lower is better */
        order[c] = c;
    }
    for (int i = 1; i < n_configs; i++) /* insertion sort: stable */
        for (int j = i; j > 0 && key[order[j]] < key[order[j - 1]]; j--) {
            int tmp = order[j];
            order[j] = order[j - 1];
            order[j - 1] = tmp;
        }
    json_t *list = json_array();
    for (int i = 0; i < n_configs; i++) {
        int c = order[i];
        const double *r = res + (size_t)c * a->folds * R_FIELDS;
        char desc[512];
        describe(axes, n_axes, c, desc, sizeof desc);
        double m = mean_of(r, a->folds, field, &sd), other_sd;
        char score[40], score2[40];
        snprintf(score, sizeof score, "%s_mean", names.score);
        snprintf(score2, sizeof score2, "%s_mean", names.score2);
        json_t *entry = json_out_pack("{s:i, s:i, s:o, s:o, s:o, s:o, s:o, s:o, s:i}",
            "rank", i + 1, "config", c + 1, "settings", json_out_string(desc),
            "mean", json_out_number(m), "sd", json_out_number(sd),
            "val_loss_mean", json_out_number(mean_of(r, a->folds, R_LOSS, &other_sd)),
            score, json_out_number(mean_of(r, a->folds, R_SCORE, &other_sd)),
            score2, json_out_number(mean_of(r, a->folds, R_SCORE2, &other_sd)),
            "median_best_epoch", median_epoch(r, a->folds));
        if (names.regression)
            json_out_set(entry, "val_mse_mean", json_out_number(mean_of(r, a->folds, R_MSE, &other_sd)));
        json_out_push(list, entry);
    }
    free(order);
    free(key);
    return list;
}

/* Rank 0: report.json, the choice and the final model's test metrics (null where undefined: the
 * oracle of data without planted motifs). */
static void write_report(const CvArgs *a, int choice, const char *desc, const char *monitor,
                         double cv_mean, int epochs, int64_t n, const EvalSummary *s, double oracle,
                         json_t *ranking)
{
    char path[700];
    Error err;
    snprintf(path, sizeof path, "%s/report.json", a->out);
    json_t *test = json_out_pack("{s:I, s:o, s:o, s:o, s:o}", "n", (json_int_t)n,
        "loss", json_out_number(s->loss), "auroc", json_out_number(s->auroc_mean),
        "accuracy", json_out_number(s->accuracy), "oracle_auroc", json_out_number(oracle));
    if (!isnan(s->mse_mean)) { /* regression */
        json_out_set(test, "pearson", json_out_number(s->pearson_mean));
        json_out_set(test, "spearman", json_out_number(s->spearman_mean));
        json_out_set(test, "mse", json_out_number(s->mse_mean));
    }
    json_t *report = json_out_pack("{s:i, s:o, s:o, s:o, s:i, s:i, s:o}", "chosen_config",
        choice + 1, "settings", json_out_string(desc), "monitor", json_out_string(monitor),
        "cv_mean", json_out_number(cv_mean), "epochs", epochs, "folds", a->folds, "test", test);
    json_out_set(report, "ranking", ranking);
    if (json_out_write_file(path, report, &err) != 0)
        die("%s", err.msg);
}

/* The final model: the chosen configuration on all non-test rows for the median epochs. */
static void final_model(ParComm *w, const CvArgs *a, const GridAxis *axes, int n_axes, int choice,
                        int epochs, const DataTable *data, double best_mean, const char *monitor,
                        json_t *ranking)
{
    Config cfg;
    Error err;
    char set[64];
    snprintf(set, sizeof set, "train.epochs=%d", epochs);
    if (load_config(a, axes, n_axes, choice, set, &cfg, &err))
        die("%s", err.msg);
    RowPlan plan;
    Trainer t;
    TrainerOptions opt = {.exchange = EXCHANGE_AUTO, .no_validation = 1};
    if (plan_rows(w, &cfg, data, NULL, NULL, 0, a->folds, -1, &plan, &err) ||
        trainer_init(&t, w, &cfg, data, &plan, &opt, &err))
        die("%s", err.msg);
    trainer_run(&t);
    if (t.diverged)
        die("the final model diverged at step %ld", t.state.step + 1);
    EvalOutputs out;
    EvalSummary s = trainer_evaluate(&t, data, &plan.test, &out);
    if (par_rank(w) == 0) {
        char path[700], desc[512], *text = config_effective_text(&cfg);
        snprintf(path, sizeof path, "%s/best.h5", a->out);
        if (checkpoint_write(path, &t.model, &t.adam, &t.state, text, &err))
            die("%s", err.msg);
        free(text);
        describe(axes, n_axes, choice, desc, sizeof desc);
        double oracle = NAN;
        if (out.oracle) {
            EvalSummary os;
            metrics_summarise(data->task, out.oracle, out.labels, (size_t)out.n, data->targets, &os);
            oracle = os.auroc_mean;
        }
        write_report(a, choice, desc, monitor, best_mean, epochs, out.n, &s, oracle, ranking);
        int regression = data->task == TASK_REGRESSION;
        printf("chosen: configuration %d (%s) by mean %s %.4f; final model trained on %lld rows for "
               "%d epochs\ntest (%lld held-out samples): loss %.4f, %s %.4f, %s %.4f",
               choice + 1, *desc ? desc : "as given", monitor, best_mean, (long long)t.train.n,
               epochs, (long long)out.n, s.loss, regression ? "pearson" : "auroc",
               regression ? s.pearson_mean : s.auroc_mean, regression ? "spearman" : "accuracy",
               regression ? s.spearman_mean : s.accuracy);
        if (regression)
            printf(", mse %.4g", s.mse_mean);
        if (!isnan(oracle))
            printf("; the planted motifs' oracle reaches auroc %.4f", oracle);
        printf("\noutputs in %s: cv.tsv, summary.tsv, best.h5, report.json%s\n", a->out,
               cfg.folds_by_chrom ? ", folds.tsv" : "");
    }
    eval_outputs_free(&out);
    trainer_free(&t);
    rowset_free(&plan.valid); /* empty: the trainer took it */
    rowset_free(&plan.test);
    rowset_free(&plan.rest);
    config_free(&cfg);
}

/* The grid's axes from the --grid options, and the number of configurations: 0, or -1 with the
 * message in err (the axes freed). */
static int read_grid(const CvArgs *a, GridAxis *axes, int *n_configs, Error *err)
{
    *n_configs = 1;
    for (int i = 0; i < a->grids.n; i++) {
        int bad = parse_axis(a->grids.item[i], &axes[i], err);
        *n_configs *= axes[i].n;
        if (!bad && *n_configs > MAX_CONFIGS)
            bad = error_set(err, "cv: the grid has more than %d configurations", MAX_CONFIGS);
        if (bad) {
            free_axes(axes, i + 1);
            return -1;
        }
    }
    return 0;
}

/* Everything a cv run holds. */
typedef struct {
    GridAxis axes[MAX_GRID];
    int n_axes, n_configs, tasks, groups; /* groups: G */
    Config base;                          /* configuration 1, for the data and the monitor */
    DataTable data;
} Cv;

/* Ends the run on every rank after an error: what the run holds is released first. */
static int cv_fail(ParComm *w, Cv *v, int loaded, const Error *err, int status)
{
    if (loaded)
        data_release(&v->data);
    config_free(&v->base);
    free_axes(v->axes, v->n_axes);
    return run_fail(w, err, status);
}

/* The base config, the output directory, the data, and every check before training (every
 * configuration builds; the folds can be stratified; the groups fit): 0, or the exit status with
 * the run ended. */
static int cv_prepare(ParComm *w, const CvArgs *a, Cv *v)
{
    Error err = {{0}};
    int rank = par_rank(w), P = par_size(w);
    if (read_grid(a, v->axes, &v->n_configs, &err) != 0)
        return run_fail(w, &err, 2);
    v->n_axes = a->grids.n;
    int config_axes = 0;
    for (int i = 0; i < v->n_axes; i++)
        config_axes += !strcmp(v->axes[i].key, "config");
    if (config_axes > 1 || (config_axes && a->config) || (!config_axes && !a->config)) {
        error_set(&err, config_axes > 1 ? "cv: --grid config=... given twice (list the files in one)"
                        : config_axes ? "cv: --config and --grid config=... both name the config: "
                                        "give one"
                                      : "cv: --config FILE is required (or --grid config=A.ini,B.ini)");
        free_axes(v->axes, v->n_axes);
        return run_fail(w, &err, 2);
    }
    int rc = load_config(a, v->axes, v->n_axes, 0, NULL, &v->base, &err);
    if (rc == 0 && rank == 0)
        rc = run_make_dir(a->out, &err);
    if (par_root_verdict(w, rc))
        return cv_fail(w, v, 0, &err, 1);
    int reporter = 0;
    if (data_load(&v->data, v->base.data_train, DATA_SHARED, IO_READ, &err, &reporter))
        return cv_fail(w, v, 0, &err, 1);
    rc = rank == 0 ? check_all(a, v->axes, v->n_axes, v->n_configs, &v->data, &err) : 0;
    RowPlan probe; /* the folds can be stratified */
    v->tasks = v->n_configs * a->folds;
    v->groups = a->groups ? a->groups : (P < v->tasks ? P : v->tasks);
    int status = 1;
    if (!par_root_verdict(w, rc) &&
        !plan_rows(w, &v->base, &v->data, NULL, NULL, 0, a->folds, 0, &probe, &err)) {
        plan_free(&probe);
        rc = v->groups > P ? error_set(&err, "cv: --groups %d is more than the %d ranks", v->groups, P)
                           : 0;
        status = 2;
    } else {
        rc = -1;
    }
    return rc ? cv_fail(w, v, 1, &err, status) : 0;
}

/* Every task (configuration, fold) on its group of ranks; the results (tasks, R_FIELDS) on every
 * rank. */
static double *cv_run_tasks(ParComm *w, const CvArgs *a, const Cv *v)
{
    int rank = par_rank(w), P = par_size(w), G = v->groups, tasks = v->tasks;
    int group = (int)((int64_t)rank * G / P);
    ParComm *g = par_split(w, group);
    if (rank == 0 && !a->quiet)
        printf("gseq_mpi cv: %d configuration%s x %d folds = %d tasks on %d group%s of ranks (%d rank%s)\n",
               v->n_configs, v->n_configs > 1 ? "s" : "", a->folds, tasks, G, G > 1 ? "s" : "", P,
               P > 1 ? "s" : "");
    double *res = xcalloc((size_t)tasks * R_FIELDS, sizeof(double));
    for (int task = group; task < tasks; task += G) {
        double r[R_FIELDS];
        run_task(g, a, v->axes, v->n_axes, task / a->folds, task % a->folds, &v->data, r);
        if (par_rank(g) == 0)
            memcpy(res + (size_t)task * R_FIELDS, r, sizeof r);
        if (rank == 0 && !a->quiet)
            printf("  task %d/%d (configuration %d, fold %d): best epoch %d, val loss %.4f, %s %.4f\n",
                   task + 1, tasks, task / a->folds + 1, task % a->folds + 1, (int)r[R_EPOCH], r[R_LOSS],
                   field_names(v->data.task).score, r[R_SCORE]);
    }
    par_allreduce_sum_f64(w, res, (size_t)tasks * R_FIELDS);
    par_comm_free(g);
    return res;
}

/* Rank 0, folds of whole chromosomes: folds.tsv, the fold of every chromosome and its rows in
 * the folds; fold 0 for the test chromosomes, with their rows in the file. */
static void write_folds(const CvArgs *a, const Cv *v)
{
    const ChromIndex *ix = &v->data.chroms;
    int *fold = xmalloc((size_t)ix->n_names + 1, sizeof(int));
    int64_t *rows = xmalloc((size_t)ix->n_names + 1, sizeof(int64_t));
    Error err;
    if (plan_chrom_folds(&v->base, &v->data, a->folds, fold, rows, &err) != 0)
        die("%s", err.msg); /* planned before: cannot happen */
    FILE *f = open_out(a->out, "folds.tsv");
    fprintf(f, "fold\tchrom\trows\n");
    for (int k = 0; k <= a->folds; k++)
        for (int c = 0; c < ix->n_names; c++)
            if (fold[c] + 1 == k)
                fprintf(f, "%d\t%s\t%lld\n", k, ix->names[c],
                        (long long)(k ? rows[c] : ix->rows[c]));
    close_out(f, a->out, "folds.tsv");
    free(fold), free(rows);
}

int cmd_cv(int argc, char **argv)
{
    CvArgs a = {.folds = 5, .folds_by = -1};
    int status;
    if (!read_options(&argc, &argv, &a, &status))
        return status;
    ParComm *w = par_world();
    Cv v = {0};
    if ((status = cv_prepare(w, &a, &v)) != 0)
        return status;
    if (par_rank(w) == 0 && v.base.folds_by_chrom)
        write_folds(&a, &v);
    double *res = cv_run_tasks(w, &a, &v);
    int choice = 0, epochs = 0;
    double best_mean = 0.0, sd;
    json_t *ranking = NULL;
    if (par_rank(w) == 0) {
        FieldNames names = field_names(v.data.task);
        choice = report_cv(&a, v.axes, v.n_axes, v.n_configs, res, v.base.train.monitor, names);
        const double *r = res + (size_t)choice * a.folds * R_FIELDS;
        epochs = median_epoch(r, a.folds);
        int field = monitor_field(v.base.train.monitor);
        best_mean = mean_of(r, a.folds, field, &sd);
        ranking = ranking_json(&a, v.axes, v.n_axes, v.n_configs, res, field, names);
    }
    par_bcast(w, &choice, sizeof choice, 0);
    par_bcast(w, &epochs, sizeof epochs, 0);
    par_bcast(w, &best_mean, sizeof best_mean, 0);
    final_model(w, &a, v.axes, v.n_axes, choice, epochs, &v.data, best_mean, v.base.train.monitor,
                ranking);
    free(res);
    data_release(&v.data);
    config_free(&v.base);
    free_axes(v.axes, v.n_axes);
    par_finalize();
    return 0;
}
