/* test_eval.c: `gseq_mpi eval` and `gseq_mpi predict` as users run them, under mpirun and alone.
 * Tiny models are trained first (a seed LSTM on binary synth data, a small DanQ on multilabel data,
 * a seed LSTM on multiclass data). Results must not depend on the number of ranks; eval must
 * reproduce train's own test metrics; predict must give the same probabilities for a FASTA file as
 * for the HDF5 rows it came from (with records longer than the model trimmed at the front);
 * --rc-average must be the mean of the forward and reverse-complement predictions; targets with too
 * few positives must be skipped and listed; bad inputs and damaged parameters must fail with one
 * line from rank 0. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "data/dataset.h"
#include "data/h5io.h"
#include "train/infer.h"
#include "testutil.h"

#define WORK "build/test_eval"
#define MPIRUN "mpirun --oversubscribe -np "
/* last-step pooling (seed_lstm.ini's default until issue 19): the trimmed-FASTA case below needs
 * a model that the bases far before the end barely move, which max pooling is not */
#define SEED_SMALL "--config jobs/configs/seed_lstm.ini --set embedding.dim=8 --set lstm_1.units=12 " \
                   "--set lstm_2.units=12 --set train.batch=40 --set train.lr=0.01 " \
                   "--set lambda.mode=last --quiet --force"
#define DANQ_SMALL "--config jobs/configs/danq.ini --set conv1d.filters=8 --set conv1d.width=5 " \
                   "--set maxpool1d.pool=4 --set bilstm.units=8 --set dense.units=16 " \
                   "--set train.batch=50 --set train.epochs=2 --quiet --force"
#define BIN_CKPT WORK "/bin/best.h5"
#define ML_CKPT WORK "/ml/best.h5"
#define MC_CKPT WORK "/mc/best.h5"

/* ---- data written here ---- */

/* n random rows of length 40..L, pre-padded; labels from `label(i, k)`. */
static void write_data(const char *path, int64_t n, int L, int K, Task task, char **names,
                       float (*label)(int64_t i, int k, int K))
{
    DatasetSpec spec = {.n = n, .length = L, .targets = K, .task = task, .padding = PAD_PRE,
                        .with_lengths = 1, .target_names = names};
    Error err;
    DatasetWriter *w = dataset_writer_open(path, &spec, &err);
    if (!w)
        fail_msg("%s", err.msg);
    uint8_t *tok = xcalloc((size_t)n, (size_t)L);
    float *y = xalloc_floats((size_t)n * K);
    int32_t *len = xmalloc((size_t)n, sizeof(int32_t));
    uint64_t state = 0x9E3779B97F4A7C15ull;
    for (int64_t i = 0; i < n; i++) {
        state = state * 6364136223846793005ull + 1442695040888963407ull;
        len[i] = 40 + (int)((state >> 33) % (uint64_t)(L - 39));
        for (int j = L - len[i]; j < L; j++) {
            state = state * 6364136223846793005ull + 1442695040888963407ull;
            tok[i * L + j] = (uint8_t)(1 + (state >> 33) % 4);
        }
        for (int k = 0; k < K; k++)
            y[i * K + k] = label(i, k, K);
    }
    if (dataset_writer_append(w, n, tok, y, len, NULL, NULL, &err) != 0 ||
        dataset_writer_finish(w, &err) != 0)
        fail_msg("%s", err.msg);
    free(tok), free(y), free(len);
}

/* multilabel: target 0 about half, target 1 a third, target 2 exactly two positives */
static float label_ml(int64_t i, int k, int K)
{
    return k == 0 ? (float)(i % 2) : k == 1 ? (float)(i % 3 == 0) : (float)(i == 5 || i == 77);
}
static float label_mc(int64_t i, int k, int K) { return (float)(i % K == k); }
static float label_any(int64_t i, int k, int K) { return (float)((i + k) % 2); }
/* classes of 1/2, 1/3 and 1/6 of the rows */
static float label_skew(int64_t i, int k, int K) { return (float)((i % 6 < 3 ? 0 : i % 6 < 5 ? 1 : 2) == k); }

static int setup(void **state)
{
    mkdir("build", 0777);
    mkdir(WORK, 0777);
    if (run("./gseq_mpi synth --mode binary --n 400 --seed 3 --out " WORK "/data.h5 >/dev/null") ||
        run("./gseq_mpi synth --mode binary --n 150 --seed 5 --out " WORK "/test.h5 >/dev/null"))
        return -1;
    char *ml_names[3] = {"half", "third", "rare"}, *mc_names[3] = {"liver", "brain", "heart"};
    write_data(WORK "/ml.h5", 200, 60, 3, TASK_MULTILABEL, ml_names, label_ml);
    write_data(WORK "/mc.h5", 150, 50, 3, TASK_MULTICLASS, mc_names, label_mc);
    write_data(WORK "/k2.h5", 20, 190, 2, TASK_MULTILABEL, NULL, label_any);     /* wrong targets */
    write_data(WORK "/short.h5", 20, 120, 1, TASK_BINARY, NULL, label_any);      /* wrong length */
    write_data(WORK "/task.h5", 20, 190, 1, TASK_MULTILABEL, NULL, label_any);   /* wrong task */
    return run("./gseq_mpi train " SEED_SMALL " --data " WORK "/data.h5 --set data.test=" WORK
               "/test.h5 --set train.epochs=2 --out " WORK "/bin > " WORK "/train.log") ||
           run("./gseq_mpi train " DANQ_SMALL " --data " WORK "/ml.h5 --out " WORK "/ml >> " WORK
               "/train.log") ||
           run("./gseq_mpi train " SEED_SMALL " --data " WORK "/mc.h5 --set train.epochs=1 --out "
               WORK "/mc >> " WORK "/train.log");
}

/* ---- reading results ---- */

static double json_value(const char *path, const char *key)
{
    char buf[1 << 16], pat[64];
    FILE *f = fopen(path, "r");
    if (!f)
        fail_msg("%s: missing", path);
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    snprintf(pat, sizeof pat, "\"%s\": ", key);
    const char *at = strstr(buf, pat);
    if (!at)
        fail_msg("%s: no %s", path, key);
    at += strlen(pat);
    return strncmp(at, "null", 4) == 0 ? NAN : atof(at);
}

/* The text of a file (up to 64 KB). */
static char *slurp(const char *path)
{
    static char buf[1 << 16];
    FILE *f = fopen(path, "r");
    if (!f)
        fail_msg("%s: missing", path);
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    return buf;
}

typedef struct {
    int64_t n;
    int K;
    float *p;
    char **ids;
} Predictions;

static Predictions read_predictions(const char *path)
{
    Error err;
    H5File *f = h5_open(path, 0, &err);
    if (!f)
        fail_msg("%s", err.msg);
    int rank;
    int64_t dims[H5IO_MAX_RANK], start = 0;
    assert_int_equal(h5_dims(f, "probabilities", &rank, dims, &err), 0);
    assert_int_equal(rank, 2);
    Predictions p = {dims[0], (int)dims[1], xalloc_floats((size_t)(dims[0] * dims[1])), NULL};
    assert_int_equal(h5_read_f32(f, "probabilities", p.p, (size_t)(p.n * p.K), &err), 0);
    p.ids = xcalloc((size_t)p.n, sizeof(char *));
    assert_int_equal(h5_read_slab(f, "id", H5IO_STR, &start, &p.n, p.ids, &err), 0);
    h5_close(f, &err);
    return p;
}

static void free_predictions(Predictions *p)
{
    h5_free_strings(p->ids, p->n);
    free(p->p);
}

static void expect_same(const char *what, const Predictions *a, const Predictions *b, double tol)
{
    assert_int_equal(a->n, b->n);
    assert_int_equal(a->K, b->K);
    for (int64_t i = 0; i < a->n; i++)
        assert_string_equal(a->ids[i], b->ids[i]);
    double worst = compare_f(what, a->p, b->p, (size_t)(a->n * a->K), tol, 0.0);
    printf("    %s: worst %.3g of tolerance %.0e\n", what, worst * tol, tol);
    assert_true(worst <= 1.0);
}

/* ---- tests ---- */

static void test_reverse_complement(void **state)
{
    /* pre-padded, post-padded, full, with N */
    const uint8_t x[4][6] = {{0, 0, 1, 2, 3, 5}, {1, 1, 4, 0, 0, 0}, {1, 2, 3, 4, 4, 2},
                             {0, 0, 0, 0, 0, 0}};
    const uint8_t want[4][6] = {{0, 0, 5, 2, 3, 4}, {1, 4, 4, 0, 0, 0}, {3, 1, 1, 2, 3, 4},
                                {0, 0, 0, 0, 0, 0}};
    uint8_t y[4][6], back[4][6];
    tokens_reverse_complement(&x[0][0], &y[0][0], 4, 6);
    assert_memory_equal(y, want, sizeof want);
    tokens_reverse_complement(&y[0][0], &back[0][0], 4, 6);
    assert_memory_equal(back, x, sizeof x);
}

static void test_eval_reproduces_train(void **state)
{
    assert_int_equal(run("./gseq_mpi eval --checkpoint " BIN_CKPT " --data " WORK "/test.h5 --out "
                         WORK "/e1"), 0);
    const char *tm = WORK "/bin/test_metrics.json", *em = WORK "/e1/metrics.json";
    double loss = json_value(em, "loss"), want_loss = json_value(tm, "loss");
    double auroc = json_value(em, "auroc_mean"), want_auroc = json_value(tm, "auroc");
    printf("    eval: loss %.6f auroc %.6f; train's test: loss %.6f auroc %.6f\n", loss, auroc,
           want_loss, want_auroc);
    assert_true(fabs(loss - want_loss) < 1e-5 && fabs(auroc - want_auroc) < 1e-5);
    assert_true(fabs(json_value(em, "accuracy") - json_value(tm, "accuracy")) < 1e-5);
    assert_true(fabs(json_value(em, "oracle_auroc_mean") - json_value(tm, "oracle_auroc")) < 1e-5);
    assert_int_equal(json_value(em, "n"), 150);
    const char *files[] = {"targets.tsv", "roc.tsv", "pr.tsv", "confusion.tsv"};
    for (size_t i = 0; i < 4; i++)
        assert_int_equal(run("test -s " WORK "/e1/%s", files[i]), 0);
    assert_int_equal(run("head -1 " WORK "/e1/targets.tsv | grep -q '^target\tpositives\tnegatives"
                         "\tauroc\tauprc$' && grep -q '^Gata1\t' " WORK "/e1/targets.tsv"), 0);
    assert_int_equal(run("grep -c . " WORK "/e1/confusion.tsv | grep -qx 3"), 0);
}

static void test_eval_independent_of_ranks(void **state)
{
    for (int p = 2; p <= 3; p++)
        assert_int_equal(run(MPIRUN "%d ./gseq_mpi eval --checkpoint " BIN_CKPT " --data " WORK
                             "/test.h5 --out " WORK "/e%d --quiet", p, p), 0);
    for (int p = 2; p <= 3; p++) {
        char path[128];
        snprintf(path, sizeof path, WORK "/e%d/metrics.json", p);
        double dl = fabs(json_value(path, "loss") - json_value(WORK "/e1/metrics.json", "loss"));
        /* probabilities agree to float rounding (the batches differ); near-ties may reorder */
        double da = fabs(json_value(path, "auroc_mean") -
                         json_value(WORK "/e1/metrics.json", "auroc_mean"));
        printf("    P=%d vs P=1: loss differs by %.2g, AUROC by %.2g\n", p, dl, da);
        assert_true(dl < 1e-6 && da < 1e-3);
    }
    /* the multilabel DanQ and the multiclass model too, with --rc-average */
    const char *ml = "--checkpoint " ML_CKPT " --data " WORK "/ml.h5 --rc-average";
    assert_int_equal(run("./gseq_mpi eval %s --out " WORK "/ml1 --quiet", ml), 0);
    assert_int_equal(run(MPIRUN "2 ./gseq_mpi eval %s --out " WORK "/ml2 --quiet", ml), 0);
    assert_true(fabs(json_value(WORK "/ml1/metrics.json", "loss") -
                     json_value(WORK "/ml2/metrics.json", "loss")) < 1e-6);
}

static void test_predict_independent_of_ranks(void **state)
{
    for (int p = 1; p <= 3; p++)
        assert_int_equal(run(MPIRUN "%d ./gseq_mpi predict --checkpoint " ML_CKPT " --data " WORK
                             "/ml.h5 --out " WORK "/ml_p%d.h5 --quiet --batch 16", p, p), 0);
    Predictions a = read_predictions(WORK "/ml_p1.h5");
    assert_int_equal(a.n, 200);
    assert_int_equal(a.K, 3);
    for (int p = 2; p <= 3; p++) {
        char path[128], what[32];
        snprintf(path, sizeof path, WORK "/ml_p%d.h5", p);
        snprintf(what, sizeof what, "predict P=%d vs P=1", p);
        Predictions b = read_predictions(path);
        expect_same(what, &b, &a, 1e-6);
        free_predictions(&b);
    }
    free_predictions(&a);
}

static void test_predict_outputs(void **state)
{
    assert_int_equal(run(MPIRUN "2 ./gseq_mpi predict --checkpoint " BIN_CKPT " --data " WORK
                         "/test.h5 --out " WORK "/p.h5"), 0);
    Predictions p = read_predictions(WORK "/p.h5");
    assert_int_equal(p.n, 150);
    assert_int_equal(p.K, 1);
    Error err;
    Dataset *d = dataset_open(WORK "/test.h5", &err);
    assert_non_null(d);
    char **ids = xcalloc(150, sizeof(char *));
    assert_int_equal(dataset_read_ids(d, 0, 150, ids, &err), 0);
    for (int i = 0; i < 150; i++)
        assert_string_equal(p.ids[i], ids[i]);
    H5File *f = h5_open(WORK "/p.h5", 0, &err);
    char *names[1];
    int64_t start = 0, one = 1;
    assert_int_equal(h5_read_slab(f, "target_names", H5IO_STR, &start, &one, names, &err), 0);
    assert_string_equal(names[0], dataset_info(d)->target_names[0]);
    char *task = h5_read_attr_string(f, "/", "task", &err);
    assert_string_equal(task, "binary");
    free(task), free(names[0]);
    h5_close(f, &err);
    dataset_close(d);
    h5_free_strings(ids, 150);

    /* TSV: a header, then one line a sequence with the same numbers to 7 digits */
    assert_int_equal(run("./gseq_mpi predict --checkpoint " BIN_CKPT " --data " WORK "/test.h5 --out "
                         WORK "/p.tsv --tsv --quiet"), 0);
    FILE *t = fopen(WORK "/p.tsv", "r");
    char line[512];
    assert_non_null(fgets(line, sizeof line, t));
    assert_string_equal(line, "id\tGata1\n");
    int rows = 0;
    while (fgets(line, sizeof line, t)) {
        char *tab = strchr(line, '\t');
        assert_non_null(tab);
        *tab = '\0';
        assert_string_equal(line, p.ids[rows]);
        assert_true(fabs(atof(tab + 1) - p.p[rows]) < 1e-6);
        rows++;
    }
    fclose(t);
    assert_int_equal(rows, 150);
    free_predictions(&p);
}

/* FASTA of the HDF5 rows: forward, reverse complement, and forward with extra bases in front of
 * every third record (trimmed away, as the model's data is pre-padded). */
static void write_fastas(const char *h5, int64_t n, int L)
{
    Error err;
    Dataset *d = dataset_open(h5, &err);
    assert_non_null(d);
    uint8_t *tok = xmalloc((size_t)n, (size_t)L);
    char **ids = xcalloc((size_t)n, sizeof(char *));
    assert_int_equal(dataset_read_rows(d, 0, n, tok, NULL, &err), 0);
    assert_int_equal(dataset_read_ids(d, 0, n, ids, &err), 0);
    FILE *fw = fopen(WORK "/fw.fa", "w"), *rc = fopen(WORK "/rc.fa", "w"),
         *lg = fopen(WORK "/long.fa", "w");
    static const char comp[128] = {['A'] = 'T', ['C'] = 'G', ['G'] = 'C', ['T'] = 'A', ['N'] = 'N'};
    for (int64_t i = 0; i < n; i++) {
        char seq[1024];
        int len = 0;
        for (int j = 0; j < L; j++)
            if (tok[i * L + j])
                seq[len++] = TOKEN_LETTERS[tok[i * L + j]];
        seq[len] = '\0';
        fprintf(fw, ">%s some description\n%.*s\n%s\n", ids[i], len / 2, seq, seq + len / 2);
        fprintf(lg, ">%s\n%s%s\n", ids[i], i % 3 ? "" : "acgtacgtacgtacgtacgtacgtacgtacgtacgtacgtacgt"
                "acgtacgtacgtacgtacgtacgtacgtacgtacgtacgtacgtacgtacgtacgtacgtacgtacgtacgtacgtacgt"
                "acgtacgtacgtacgtacgtacgtacgtacgtacgtacgtacgtacgtacgtacgtacgtacgtacgtacgt", seq);
        fprintf(rc, ">%s\n", ids[i]);
        for (int j = len - 1; j >= 0; j--)
            fputc(comp[(int)seq[j]], rc);
        fputc('\n', rc);
    }
    fclose(fw), fclose(rc), fclose(lg);
    dataset_close(d);
    h5_free_strings(ids, n);
    free(tok);
}

static void test_predict_fasta(void **state)
{
    write_fastas(WORK "/test.h5", 150, 190);
    assert_int_equal(run("./gseq_mpi predict --checkpoint " BIN_CKPT " --data " WORK "/test.h5 --out "
                         WORK "/h.h5 --quiet"), 0);
    assert_int_equal(run(MPIRUN "2 ./gseq_mpi predict --checkpoint " BIN_CKPT " --data " WORK
                         "/fw.fa --out " WORK "/fw.h5"), 0);
    assert_int_equal(run(MPIRUN "3 ./gseq_mpi predict --checkpoint " BIN_CKPT " --data " WORK
                         "/long.fa --out " WORK "/long.h5 > " WORK "/long.out"), 0);
    assert_int_equal(run("grep -q '50 trimmed' " WORK "/long.out"), 0);
    Predictions h = read_predictions(WORK "/h.h5"), fw = read_predictions(WORK "/fw.h5"),
                lg = read_predictions(WORK "/long.h5");
    expect_same("FASTA vs HDF5", &fw, &h, 1e-6);
    expect_same("FASTA trimmed at the front vs HDF5", &lg, &h, 1e-6);
    /* the seed LSTM masks padding: padding at the back gives the same probabilities */
    assert_int_equal(run("./gseq_mpi predict --checkpoint " BIN_CKPT " --data " WORK "/fw.fa "
                         "--padding post --out " WORK "/post.h5 --quiet"), 0);
    Predictions post = read_predictions(WORK "/post.h5");
    expect_same("FASTA padded at the back vs HDF5", &post, &h, 1e-5);
    free_predictions(&h), free_predictions(&fw), free_predictions(&lg), free_predictions(&post);
}

static void test_rc_average(void **state)
{
    assert_int_equal(run("./gseq_mpi predict --checkpoint " BIN_CKPT " --data " WORK "/rc.fa --out "
                         WORK "/rc.h5 --quiet"), 0);
    assert_int_equal(run(MPIRUN "2 ./gseq_mpi predict --checkpoint " BIN_CKPT " --data " WORK
                         "/test.h5 --rc-average --out " WORK "/avg.h5 --quiet"), 0);
    Predictions fw = read_predictions(WORK "/h.h5"), rc = read_predictions(WORK "/rc.h5"),
                avg = read_predictions(WORK "/avg.h5");
    float *mean = xalloc_floats((size_t)fw.n);
    double moved = 0.0;
    for (int64_t i = 0; i < fw.n; i++) {
        mean[i] = 0.5f * (fw.p[i] + rc.p[i]);
        moved = fmax(moved, fabs(avg.p[i] - fw.p[i]));
    }
    printf("    --rc-average moves probabilities by up to %.3g\n", moved);
    assert_true(moved > 1e-6); /* the reverse strand did count */
    double worst = compare_f("rc-average vs mean of both strands", avg.p, mean, (size_t)fw.n, 1e-6, 0.0);
    assert_true(worst <= 1.0);
    free(mean);
    free_predictions(&fw), free_predictions(&rc), free_predictions(&avg);
    /* eval takes it too, and says so */
    assert_int_equal(run(MPIRUN "2 ./gseq_mpi eval --checkpoint " BIN_CKPT " --data " WORK
                         "/test.h5 --rc-average --out " WORK "/erc --quiet"), 0);
    assert_non_null(strstr(slurp(WORK "/erc/metrics.json"), "\"rc_average\": true"));
}

static void test_skipped_targets(void **state)
{
    /* "rare" has 2 positives: kept with the default --min-count 1, skipped with 3 */
    const char *m1 = WORK "/ml1/metrics.json";
    assert_int_equal(json_value(m1, "targets_evaluated"), 3);
    assert_non_null(strstr(slurp(m1), "\"skipped\": []"));
    assert_int_equal(run(MPIRUN "2 ./gseq_mpi eval --checkpoint " ML_CKPT " --data " WORK
                         "/ml.h5 --min-count 3 --out " WORK "/ml3"), 0);
    const char *m3 = WORK "/ml3/metrics.json";
    assert_int_equal(json_value(m3, "targets_evaluated"), 2);
    assert_int_equal(json_value(m3, "min_count"), 3);
    assert_non_null(strstr(slurp(m3), "\"skipped\": [{\"target\": \"rare\", \"positives\": 2, "
                                      "\"negatives\": 198}]"));
    assert_int_equal(run("grep -q '^rare\t2\t198\tNaN\tNaN$' " WORK "/ml3/targets.tsv"), 0);
    assert_int_equal(run("! grep -q '^rare' " WORK "/ml3/roc.tsv && grep -q '^third' " WORK
                         "/ml3/roc.tsv && grep -q '^half' " WORK "/ml3/pr.tsv"), 0);
    assert_int_equal(run("test ! -e " WORK "/ml3/confusion.tsv"), 0); /* multilabel: none */
    /* --curve-points bounds the points per target */
    assert_int_equal(run("./gseq_mpi eval --checkpoint " ML_CKPT " --data " WORK "/ml.h5 "
                         "--curve-points 5 --out " WORK "/ml5 --quiet"), 0);
    assert_int_equal(run("test $(grep -c '^half' " WORK "/ml5/pr.tsv) -eq 5"), 0);
}

static void test_multiclass_confusion(void **state)
{
    assert_int_equal(run(MPIRUN "2 ./gseq_mpi eval --checkpoint " MC_CKPT " --data " WORK
                         "/mc.h5 --out " WORK "/emc"), 0);
    FILE *f = fopen(WORK "/emc/confusion.tsv", "r");
    assert_non_null(f);
    char line[256];
    assert_non_null(fgets(line, sizeof line, f));
    assert_string_equal(line, "true\\predicted\tliver\tbrain\theart\n");
    long total = 0, right = 0;
    for (int i = 0; i < 3; i++) {
        char name[32];
        long c[3];
        assert_int_equal(fscanf(f, "%31s %ld %ld %ld", name, &c[0], &c[1], &c[2]), 4);
        total += c[0] + c[1] + c[2];
        right += c[i];
    }
    fclose(f);
    assert_int_equal(total, 150);
    double acc = json_value(WORK "/emc/metrics.json", "accuracy");
    printf("    confusion: %ld of %ld right; accuracy %.4f\n", right, total, acc);
    assert_true(fabs(acc - (double)right / total) < 1e-9);
}

/* Damaged parameters: NaN weights make NaN probabilities, which stop predict with one line. */
static void test_nan_parameters(void **state)
{
    assert_int_equal(run("cp " BIN_CKPT " " WORK "/nan.h5"), 0);
    Error err;
    H5File *f = h5_open(WORK "/nan.h5", 1, &err);
    assert_non_null(f);
    int rank;
    int64_t dims[H5IO_MAX_RANK];
    assert_int_equal(h5_dims(f, "params", &rank, dims, &err), 0);
    float *p = xalloc_floats((size_t)dims[0]);
    assert_int_equal(h5_read_f32(f, "params", p, (size_t)dims[0], &err), 0);
    for (int64_t i = 0; i < dims[0]; i++)
        p[i] = NAN;
    assert_int_equal(h5_write_f32(f, "params", 1, dims, p, &err), 0);
    assert_int_equal(h5_close(f, &err), 0);
    free(p);
    int st = run(MPIRUN "2 ./gseq_mpi predict --checkpoint " WORK "/nan.h5 --data " WORK
                 "/test.h5 --out " WORK "/x.h5 2> " WORK "/nan.stderr");
    assert_int_not_equal(st, 0);
    assert_int_equal(run("test $(grep -c '^gseq_mpi' " WORK "/nan.stderr) -eq 1 && grep -q "
                         "'non-finite probability for row 0 of' " WORK "/nan.stderr && test ! -e "
                         WORK "/x.h5"), 0);
}

typedef struct {
    const char *name, *args, *expect;
} BadRun;

static const BadRun bad_runs[] = {
    {"eval: unknown option", "eval --bogus", "unknown option --bogus"},
    {"eval: no checkpoint", "eval --data " WORK "/test.h5 --out " WORK "/x", "--checkpoint CKPT is required"},
    {"eval: no out", "eval --checkpoint " BIN_CKPT " --data " WORK "/test.h5", "--out DIR is required"},
    {"eval: bad min-count", "eval --checkpoint " BIN_CKPT " --data " WORK "/test.h5 --out " WORK "/x --min-count 0", "--min-count '0'"},
    {"eval: missing checkpoint", "eval --checkpoint " WORK "/none.h5 --data " WORK "/test.h5 --out " WORK "/x", WORK "/none.h5"},
    {"eval: not a checkpoint", "eval --checkpoint " WORK "/test.h5 --data " WORK "/test.h5 --out " WORK "/x", "not a gseq_mpi checkpoint"},
    {"eval: missing data", "eval --checkpoint " BIN_CKPT " --data " WORK "/none.h5 --out " WORK "/x", WORK "/none.h5"},
    {"eval: wrong length", "eval --checkpoint " BIN_CKPT " --data " WORK "/short.h5 --out " WORK "/x", "rows of 120 tokens, but"},
    {"eval: wrong targets", "eval --checkpoint " BIN_CKPT " --data " WORK "/k2.h5 --out " WORK "/x", "2 targets, but"},
    {"eval: wrong task", "eval --checkpoint " BIN_CKPT " --data " WORK "/task.h5 --out " WORK "/x", "task multilabel, but"},
    {"eval: FASTA has no labels", "eval --checkpoint " BIN_CKPT " --data " WORK "/fw.fa --out " WORK "/x", "eval needs labels"},
    {"eval: unwritable out", "eval --checkpoint " BIN_CKPT " --data " WORK "/test.h5 --out /proc/gseq", "--out /proc/gseq"},
    {"predict: no data", "predict --checkpoint " BIN_CKPT " --out " WORK "/x.h5", "--data FILE is required"},
    {"predict: bad padding", "predict --checkpoint " BIN_CKPT " --data " WORK "/fw.fa --out " WORK "/x.h5 --padding middle", "--padding 'middle'"},
    {"predict: missing checkpoint", "predict --checkpoint " WORK "/none.h5 --data " WORK "/fw.fa --out " WORK "/x.h5", WORK "/none.h5"},
    {"predict: not a checkpoint", "predict --checkpoint " WORK "/fw.fa --data " WORK "/fw.fa --out " WORK "/x.h5", WORK "/fw.fa"},
    {"predict: wrong length", "predict --checkpoint " BIN_CKPT " --data " WORK "/short.h5 --out " WORK "/x.h5", "rows of 120 tokens, but"},
    {"predict: wrong targets", "predict --checkpoint " BIN_CKPT " --data " WORK "/k2.h5 --out " WORK "/x.h5", "2 targets, but"},
    {"predict: bad FASTA", "predict --checkpoint " BIN_CKPT " --data " WORK "/bad.fa --out " WORK "/x.h5", "bad.fa line 4"},
    {"predict: unwritable out", "predict --checkpoint " BIN_CKPT " --data " WORK "/fw.fa --out /proc/gseq/p.h5", "--out /proc/gseq/p.h5: cannot write"},
};

static void run_bad(void **state)
{
    const BadRun *b = *state;
    FILE *bad = fopen(WORK "/bad.fa", "w");
    fputs(">ok\nACGT\n>broken\nACXT\n", bad);
    fclose(bad);
    int st = run("timeout 60 " MPIRUN "2 ./gseq_mpi %s > /dev/null 2> " WORK "/bad.stderr", b->args);
    assert_int_not_equal(st, 0);
    assert_true(st != 124); /* no hang */
    char line[1024];
    FILE *f = fopen(WORK "/bad.stderr", "r");
    int lines = 0, found = 0;
    while (f && fgets(line, sizeof line, f)) {
        if (strncmp(line, "gseq_mpi", 8) == 0) {
            lines++;
            found |= strstr(line, b->expect) != NULL;
            printf("    -> %s", line);
        }
    }
    if (f)
        fclose(f);
    assert_int_equal(lines, 1); /* one line, from rank 0 only */
    assert_true(found);
    assert_int_equal(run("test ! -e " WORK "/x.h5"), 0);
}

/* Class weights as a user sets them: logged once, from rank 0, the same for 1 and 2 ranks (sharded
 * data too: the counts are summed over the ranks), on multiclass and on binary data. */
static void test_class_weights_logged(void **state)
{
    char *names[3] = {"half", "third", "sixth"};
    write_data(WORK "/skew.h5", 300, 50, 3, TASK_MULTICLASS, names, label_skew);
    const char *runs[4][3] = {
        {"", "skew.h5", "class_weight=auto"}, {MPIRUN "2 ", "skew.h5", "class_weight=auto"},
        {MPIRUN "2 ", "skew.h5", "class_weight=auto --data-mode shard"}, {"", "data.h5", "pos_weight=auto"}};
    char lines[4][512];
    for (int i = 0; i < 4; i++) {
        assert_int_equal(run("%s./gseq_mpi train " SEED_SMALL " --data " WORK "/%s --set train.epochs=1 "
                             "--set train.%s --out " WORK "/cw%d", runs[i][0], runs[i][1], runs[i][2], i), 0);
        char path[128];
        snprintf(path, sizeof path, WORK "/cw%d/train.log", i);
        FILE *f = fopen(path, "r");
        assert_non_null(f);
        int found = 0;
        while (fgets(lines[i], sizeof lines[i], f))
            if (!strncmp(lines[i], "class weights: ", 15) && ++found)
                break;
        fclose(f);
        assert_int_equal(found, 1);
        printf("    %s%s: %s", runs[i][0], runs[i][2], lines[i]);
    }
    assert_non_null(strstr(lines[0], "class_weight auto"));
    float w[3]; /* rows / (3 rows of the class): about 2/3, 1 and 2 on the stratified training rows */
    assert_int_equal(sscanf(strstr(lines[0], "100): ") + 6, "%f, %f, %f", &w[0], &w[1], &w[2]), 3);
    assert_true(fabsf(w[0] - 2.0f / 3) < 0.05f && fabsf(w[1] - 1.0f) < 0.05f && fabsf(w[2] - 2.0f) < 0.1f);
    assert_string_equal(lines[0], lines[1]);
    assert_string_equal(lines[0], lines[2]);
    assert_non_null(strstr(lines[3], "pos_weight auto (negatives / positives"));
}

int main(void)
{
    setenv("OMPI_ALLOW_RUN_AS_ROOT", "1", 1);
    setenv("OMPI_ALLOW_RUN_AS_ROOT_CONFIRM", "1", 1);
    setenv("OMPI_MCA_rmaps_base_oversubscribe", "1", 1);
    setenv("OPENBLAS_NUM_THREADS", "1", 1);
    /* a job whose ranks exit non-zero ends at once, not after mpirun's 1 s SIGTERM-to-SIGKILL wait
     * (which makes each failing run take 2.5 s) */
    setenv("OMPI_MCA_odls_base_sigkill_timeout", "0", 1);
    enum { NBAD = sizeof bad_runs / sizeof bad_runs[0], NFIXED = 11 };
    if (getenv("GSEQ_TEST_FILTER")) /* e.g. GSEQ_TEST_FILTER='*weights*' */
        cmocka_set_test_filter(getenv("GSEQ_TEST_FILTER"));
    struct CMUnitTest tests[NFIXED + NBAD] = {
        cmocka_unit_test(test_reverse_complement),
        cmocka_unit_test(test_eval_reproduces_train),
        cmocka_unit_test(test_eval_independent_of_ranks),
        cmocka_unit_test(test_predict_independent_of_ranks),
        cmocka_unit_test(test_predict_outputs),
        cmocka_unit_test(test_predict_fasta),
        cmocka_unit_test(test_rc_average),
        cmocka_unit_test(test_skipped_targets),
        cmocka_unit_test(test_multiclass_confusion),
        cmocka_unit_test(test_nan_parameters),
        cmocka_unit_test(test_class_weights_logged),
    };
    for (int i = 0; i < NBAD; i++)
        tests[NFIXED + i] = (struct CMUnitTest){bad_runs[i].name, run_bad, NULL, NULL, (void *)&bad_runs[i]};
    return _cmocka_run_group_tests("eval", tests, NFIXED + NBAD, setup, NULL);
}
