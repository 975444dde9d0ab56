/* cmd_cv.c: `gseq_mpi cv`: model selection as the seed method does it. The test rows (test_fraction,
 * stratified, seeded) are set aside first and never seen here; k-fold cross-validation over the rest
 * scores every configuration of a hyper-parameter grid; the tasks (configuration, fold) run on G
 * groups of ranks at once (MPI_Comm_split), each group data-parallel inside itself; the best
 * configuration (mean of the monitored metric over folds) is trained on all the non-test rows for
 * the median of its folds' best epochs, then evaluated once on the test rows. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "train/checkpoint.h"
#include "cli/commands.h"
#include "parallel/data_dist.h"
#include "parallel/plan.h"
#include "train/trainer.h"

#define MAX_GRID 16
#define MAX_CONFIGS 256
#define MAX_VALUES 32

typedef struct {
    const char *config, *out, *data;
    const char *sets[64];
    int n_sets, folds, groups, quiet;
    const char *grids[MAX_GRID];
    int n_grids;
} CvArgs;

typedef struct {
    char key[96];
    char *values[MAX_VALUES];
    int n;
} GridAxis;

enum { R_EPOCH, R_LOSS, R_AUROC, R_ACCURACY, R_DONE, R_FIELDS };

static void usage(FILE *out)
{
    fprintf(out,
            "usage: gseq_mpi cv --config FILE --out DIR [options]\n"
            "  --config FILE          model and training settings (INI)\n"
            "  --set SEC.KEY=VALUE    override a setting for every configuration (repeatable)\n"
            "  --data FILE            the data (same as --set data.train=FILE)\n"
            "  --folds K              folds over the non-test rows (default 5)\n"
            "  --grid SEC.KEY=V1,V2   a hyper-parameter axis (repeatable; the grid is their product)\n"
            "  --groups G             groups of ranks training tasks at once (default: min(ranks, tasks))\n"
            "  --out DIR              cv.tsv, summary.tsv, best.h5 of the final model, report.json\n"
            "  --quiet                no progress lines\n");
}

static int parse_args(int argc, char **argv, CvArgs *a, Error *err, int *help)
{
    memset(a, 0, sizeof *a);
    a->folds = 5;
    for (int i = 1; i < argc; i++) {
        const char *f = argv[i];
        if (!strcmp(f, "--help") || !strcmp(f, "-h")) {
            *help = 1;
            return 0;
        }
        if (!strcmp(f, "--quiet")) {
            a->quiet = 1;
            continue;
        }
        static const char *valued[] = {"--config", "--out", "--data", "--set", "--folds", "--grid", "--groups"};
        int known = 0;
        for (size_t k = 0; k < sizeof valued / sizeof valued[0]; k++)
            known |= !strcmp(f, valued[k]);
        if (!known)
            return error_set(err, "cv: unknown option %s (see gseq_mpi cv --help)", f), 2;
        if (i + 1 >= argc)
            return error_set(err, "cv: %s needs a value", f), 2;
        const char *v = argv[++i];
        char *end;
        if (!strcmp(f, "--config")) a->config = v;
        else if (!strcmp(f, "--out")) a->out = v;
        else if (!strcmp(f, "--data")) a->data = v;
        else if (!strcmp(f, "--set") && a->n_sets < 64) a->sets[a->n_sets++] = v;
        else if (!strcmp(f, "--grid")) {
            if (a->n_grids == MAX_GRID)
                return error_set(err, "cv: more than %d --grid axes", MAX_GRID), 2;
            a->grids[a->n_grids++] = v;
        } else {
            long x = strtol(v, &end, 10);
            int folds = !strcmp(f, "--folds");
            if (*end || end == v || x < (folds ? 2 : 1) || x > 100000)
                return error_set(err, "cv: %s %s: expected an integer >= %d", f, v, folds ? 2 : 1), 2;
            *(folds ? &a->folds : &a->groups) = (int)x;
        }
    }
    if (!a->config)
        return error_set(err, "cv: --config FILE is required"), 2;
    if (!a->out)
        return error_set(err, "cv: --out DIR is required"), 2;
    return 0;
}

/* "train.batch=300,400,500" into an axis; every value must be non-empty. */
static int parse_axis(const char *text, GridAxis *ax, Error *err)
{
    const char *eq = strchr(text, '=');
    memset(ax, 0, sizeof *ax);
    if (!eq || eq == text || !strchr(text, '.') || strchr(text, '.') > eq)
        return error_set(err, "--grid %s: expected section.key=value1,value2,...", text);
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

static int load_config(const CvArgs *a, const GridAxis *axes, int n_axes, int c, const char *extra,
                       Config *cfg, Error *err)
{
    if (config_load(cfg, a->config, err))
        return -1;
    for (int i = 0; i < a->n_sets; i++)
        if (config_set(cfg, a->sets[i], err))
            return -1;
    char set[700];
    if (a->data) {
        snprintf(set, sizeof set, "data.train=%s", a->data);
        if (config_set(cfg, set, err))
            return -1;
    }
    for (int i = n_axes - 1; i >= 0; i--) {
        int v = c % axes[i].n;
        c /= axes[i].n;
        snprintf(set, sizeof set, "%s=%s", axes[i].key, axes[i].values[v]);
        Error why;
        if (config_set(cfg, set, &why))
            return error_set(err, "--grid %s: %s", axes[i].key, why.msg);
    }
    if (extra && config_set(cfg, extra, err))
        return -1;
    if (!cfg->data_train[0])
        return error_set(err, "%s: no data: set [data] train = FILE or --data FILE", a->config);
    return 0;
}

static int agree(ParComm *c, int rc)
{
    par_bcast(c, &rc, sizeof rc, 0);
    return rc;
}

static int fail(ParComm *c, const Error *err, int status)
{
    if (par_rank(c) == 0)
        fprintf(stderr, "gseq_mpi: %s\n", err->msg);
    par_finalize();
    return status;
}

/* Rank 0 checks everything that can be checked before training: every configuration plans on the
 * data, and the folds can be stratified. */
static int check_all(const CvArgs *a, const GridAxis *axes, int n_axes, int n_configs,
                     const DataTable *data, Error *err)
{
    for (int c = 0; c < n_configs; c++) {
        Config cfg;
        Model m;
        Task task = data->task;
        int rc = load_config(a, axes, n_axes, c, NULL, &cfg, err);
        if (rc == 0 && (rc = model_build(&m, &cfg, data->length, data->targets, task, 1, err)) == 0)
            model_free(&m);
        config_free(&cfg);
        if (rc)
            return -1;
    }
    return 0;
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
    result[R_AUROC] = t.best_val.auroc_mean;
    result[R_ACCURACY] = t.best_val.accuracy;
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
                     const double *res, const char *monitor)
{
    FILE *t = open_out(a->out, "cv.tsv"), *s = open_out(a->out, "summary.tsv");
    fprintf(t, "config\tsettings\tfold\tbest_epoch\tval_loss\tval_auroc\tval_accuracy\n");
    fprintf(s, "config\tsettings\t%s_mean\t%s_sd\tmedian_best_epoch\n", monitor, monitor);
    int field = !strcmp(monitor, "val_auroc") ? R_AUROC : !strcmp(monitor, "val_accuracy") ? R_ACCURACY : R_LOSS;
    int lower = field == R_LOSS, best = 0;
    double best_mean = 0;
    printf("cross-validation, %d folds, monitored %s (mean ± sd over folds):\n", a->folds, monitor);
    for (int c = 0; c < n_configs; c++) {
        char desc[512];
        describe(axes, n_axes, c, desc, sizeof desc);
        const double *r = res + (size_t)c * a->folds * R_FIELDS;
        for (int f = 0; f < a->folds; f++) {
            const double *x = r + f * R_FIELDS;
            fprintf(t, "%d\t%s\t%d\t%d\t%.9g\t%.9g\t%.9g\n", c + 1, desc, f + 1, (int)x[R_EPOCH],
                    x[R_LOSS], x[R_AUROC], x[R_ACCURACY]);
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

/* The final model: the chosen configuration on all non-test rows for the median epochs. */
static void final_model(ParComm *w, const CvArgs *a, const GridAxis *axes, int n_axes, int choice,
                        int epochs, const DataTable *data, double best_mean, const char *monitor)
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
        FILE *f = open_out(a->out, "report.json");
        fprintf(f, "{\"chosen_config\": %d, \"settings\": \"%s\", \"monitor\": \"%s\", "
                   "\"cv_mean\": %.9g, \"epochs\": %d, \"folds\": %d, \"test\": {\"n\": %lld, "
                   "\"loss\": %.9g, \"auroc\": %.9g, \"accuracy\": %.9g, \"oracle_auroc\": %.9g}}\n",
                choice + 1, desc, monitor, best_mean, epochs, a->folds, (long long)out.n, s.loss,
                s.auroc_mean, s.accuracy, oracle);
        close_out(f, a->out, "report.json");
        printf("chosen: configuration %d (%s) by mean %s %.4f; final model trained on %lld rows for "
               "%d epochs\ntest (%lld held-out samples): loss %.4f, auroc %.4f, accuracy %.4f",
               choice + 1, *desc ? desc : "as given", monitor, best_mean, (long long)t.train.n,
               epochs, (long long)out.n, s.loss, s.auroc_mean, s.accuracy);
        if (!isnan(oracle))
            printf("; the planted motifs' oracle reaches auroc %.4f", oracle);
        printf("\noutputs in %s: cv.tsv, summary.tsv, best.h5, report.json\n", a->out);
    }
    eval_outputs_free(&out);
    trainer_free(&t);
    rowset_free(&plan.valid); /* empty: the trainer took it */
    rowset_free(&plan.test);
    rowset_free(&plan.rest);
    config_free(&cfg);
}

int cmd_cv(int argc, char **argv)
{
    par_init(&argc, &argv);
    ParComm *w = par_world();
    int rank = par_rank(w), P = par_size(w), help = 0;
    CvArgs a;
    Error err = {{0}};
    if (parse_args(argc, argv, &a, &err, &help))
        return fail(w, &err, 2);
    if (help) {
        if (rank == 0)
            usage(stdout);
        par_finalize();
        return 0;
    }
    GridAxis axes[MAX_GRID];
    int n_configs = 1;
    for (int i = 0; i < a.n_grids; i++) {
        int bad = parse_axis(a.grids[i], &axes[i], &err);
        n_configs *= axes[i].n;
        if (!bad && n_configs > MAX_CONFIGS)
            bad = error_set(&err, "cv: the grid has more than %d configurations", MAX_CONFIGS);
        if (bad) {
            free_axes(axes, i + 1);
            return fail(w, &err, 2);
        }
    }
    Config base;
    int rc = load_config(&a, axes, a.n_grids, 0, NULL, &base, &err);
    if (rc == 0 && rank == 0 && mkdir(a.out, 0777) != 0 && errno != EEXIST)
        rc = error_set(&err, "--out %s: cannot create it: %s", a.out, strerror(errno));
    if (agree(w, rc)) {
        config_free(&base);
        free_axes(axes, a.n_grids);
        return fail(w, &err, 1);
    }
    DataTable data;
    int reporter = 0;
    if (data_load(base.data_train, DATA_SHARED, IO_READ, &data, &err, &reporter)) {
        if (reporter)
            fprintf(stderr, "gseq_mpi: %s\n", err.msg);
        config_free(&base);
        free_axes(axes, a.n_grids);
        par_finalize();
        return 1;
    }
    rc = rank == 0 ? check_all(&a, axes, a.n_grids, n_configs, &data, &err) : 0;
    RowPlan probe; /* the folds can be stratified */
    int tasks = n_configs * a.folds;
    int G = a.groups ? a.groups : (P < tasks ? P : tasks), status = 1;
    if (!agree(w, rc) && !plan_rows(w, &base, &data, NULL, NULL, 0, a.folds, 0, &probe, &err)) {
        plan_free(&probe);
        rc = G > P ? error_set(&err, "cv: --groups %d is more than the %d ranks", G, P) : 0;
        status = 2;
    } else {
        rc = -1;
    }
    if (rc) {
        data_release(&data);
        config_free(&base);
        free_axes(axes, a.n_grids);
        return fail(w, &err, status);
    }
    int group = (int)((int64_t)rank * G / P);
    ParComm *g = par_split(w, group);
    if (rank == 0 && !a.quiet)
        printf("gseq_mpi cv: %d configuration%s x %d folds = %d tasks on %d group%s of ranks (%d rank%s)\n",
               n_configs, n_configs > 1 ? "s" : "", a.folds, tasks, G, G > 1 ? "s" : "", P, P > 1 ? "s" : "");
    double *res = xcalloc((size_t)tasks * R_FIELDS, sizeof(double));
    for (int task = group; task < tasks; task += G) {
        double r[R_FIELDS];
        run_task(g, &a, axes, a.n_grids, task / a.folds, task % a.folds, &data, r);
        if (par_rank(g) == 0)
            memcpy(res + (size_t)task * R_FIELDS, r, sizeof r);
        if (rank == 0 && !a.quiet)
            printf("  task %d/%d (configuration %d, fold %d): best epoch %d, val loss %.4f, val auroc %.4f\n",
                   task + 1, tasks, task / a.folds + 1, task % a.folds + 1, (int)r[R_EPOCH], r[R_LOSS], r[R_AUROC]);
    }
    par_allreduce_sum_f64(w, res, (size_t)tasks * R_FIELDS);
    int choice = 0, epochs = 0;
    double best_mean = 0.0, sd;
    if (rank == 0) {
        choice = report_cv(&a, axes, a.n_grids, n_configs, res, base.train.monitor);
        const double *r = res + (size_t)choice * a.folds * R_FIELDS;
        epochs = median_epoch(r, a.folds);
        int field = !strcmp(base.train.monitor, "val_auroc") ? R_AUROC
                    : !strcmp(base.train.monitor, "val_accuracy") ? R_ACCURACY : R_LOSS;
        best_mean = mean_of(r, a.folds, field, &sd);
    }
    par_bcast(w, &choice, sizeof choice, 0);
    par_bcast(w, &epochs, sizeof epochs, 0);
    par_bcast(w, &best_mean, sizeof best_mean, 0);
    final_model(w, &a, axes, a.n_grids, choice, epochs, &data, best_mean, base.train.monitor);
    free(res);
    par_comm_free(g);
    data_release(&data);
    config_free(&base);
    free_axes(axes, a.n_grids);
    par_finalize();
    return 0;
}
