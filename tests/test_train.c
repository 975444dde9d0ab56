/* test_train.c: `gseq_mpi train` as users run it, under mpirun and alone. The result does not depend
 * on the number of ranks (P = 1, 2, 3, 4, oversubscribed) nor on how the gradients are summed; a run interrupted by a signal and resumed
 * ends with the same parameters, bit for bit, as an uninterrupted one; a diverging run stops, names
 * the step and leaves the checkpoints as they were; bad command lines fail with one clear line. */
#include <math.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "data/h5io.h"
#include "testutil.h"

#define WORK "build/test_train"
#define DATA WORK "/data.h5"
#define SMALL "--config jobs/configs/seed_lstm.ini --data " DATA " --set embedding.dim=8 " \
              "--set lstm_1.units=12 --set lstm_2.units=12 --set train.batch=40 --set train.lr=0.01"
#define MPIRUN "mpirun --oversubscribe -np "

static float *read_dataset(const char *path, const char *name, size_t *n)
{
    Error err;
    H5File *f = h5_open(path, 0, &err);
    if (!f)
        fail_msg("%s", err.msg);
    int rank;
    int64_t dims[H5IO_MAX_RANK];
    assert_int_equal(h5_dims(f, name, &rank, dims, &err), 0);
    *n = (size_t)dims[0];
    float *p = xalloc_floats(*n);
    assert_int_equal(h5_read_f32(f, name, p, *n, &err), 0);
    h5_close(f, &err);
    return p;
}

static float *read_params(const char *path, size_t *n) { return read_dataset(path, "params", n); }

/* The value of `key` ("train_loss", "lr") of every epoch from metrics.jsonl */
static int read_values(const char *dir, const char *key, double *out, int max)
{
    char path[256], line[1024], pattern[64];
    snprintf(path, sizeof path, "%s/metrics.jsonl", dir);
    snprintf(pattern, sizeof pattern, "\"%s\": ", key);
    FILE *f = fopen(path, "r");
    if (!f)
        fail_msg("%s: missing", path);
    int n = 0;
    while (n < max && fgets(line, sizeof line, f)) {
        const char *at = strstr(line, pattern);
        assert_non_null(at);
        out[n++] = atof(at + strlen(pattern));
    }
    fclose(f);
    return n;
}

/* train_loss of every epoch from metrics.jsonl */
static int read_losses(const char *dir, double *loss, int max)
{
    return read_values(dir, "train_loss", loss, max);
}

static int setup(void **state)
{
    mkdir("build", 0777);
    mkdir(WORK, 0777);
    return run("./gseq_mpi synth --mode binary --n 600 --seed 3 --out " DATA " >/dev/null");
}

/* Parameters, Adam's first moment and the losses of run `dir` against those of `ref`. */
static void compare_runs(const char *ref, const char *dir, int p)
{
    char path[128], ref_path[128];
    snprintf(path, sizeof path, "%s/last.h5", dir);
    snprintf(ref_path, sizeof ref_path, "%s/last.h5", ref);
    size_t n1, n;
    float *want = read_params(ref_path, &n1), *want_m = read_dataset(ref_path, "adam/m", &n1);
    float *got = read_params(path, &n), *got_m = read_dataset(path, "adam/m", &n);
    assert_int_equal(n, n1);
    double worst_p = compare_f("parameters vs P=1", got, want, n, 1e-4, 0.0);
    double worst_m = compare_f("Adam's first moment vs P=1", got_m, want_m, n, 1e-6, 1e-3);
    double ref_loss[4], loss[4], worst_l = 0.0;
    int epochs = read_losses(ref, ref_loss, 4);
    assert_int_equal(epochs, 2);
    assert_int_equal(read_losses(dir, loss, 4), epochs);
    for (int e = 0; e < epochs; e++)
        worst_l = fmax(worst_l, fabs(loss[e] - ref_loss[e]) / (1e-4 * fabs(ref_loss[e])));
    printf("    %s, P=%d: parameters worst %.3f, losses worst %.3f (of tolerance 1e-4), first moment "
           "worst %.3f (of 1e-6 + 1e-3 rel)\n", dir, p, worst_p, worst_l, worst_m);
    assert_true(worst_p <= 1.0 && worst_l <= 1.0 && worst_m <= 1.0);
    free(want), free(want_m), free(got), free(got_m);
}

static void test_result_independent_of_ranks(void **state)
{
    /* 432 training rows / 40 = 11 steps an epoch: 22 steps in all. Each rank updates its slice
     * of the parameters (update.c): as the sums arrive (P = 2, 4), or after the global gradient
     * norm when it is clipped (P = 3 against P = 1 with clipping). */
    for (int p = 1; p <= 4; p++)
        assert_int_equal(run(MPIRUN "%d ./gseq_mpi train " SMALL " --set train.epochs=2 %s --out " WORK
                             "/p%d --force", p, p == 3 ? "--set train.clip_norm=0.2" : "", p), 0);
    assert_int_equal(run(MPIRUN "1 ./gseq_mpi train " SMALL " --set train.epochs=2 "
                         "--set train.clip_norm=0.2 --out " WORK "/p1clip --force"), 0);
    compare_runs(WORK "/p1", WORK "/p2", 2);
    compare_runs(WORK "/p1clip", WORK "/p3", 3);
    compare_runs(WORK "/p1", WORK "/p4", 4);
}

/* The three ways of summing gradients (update.h) give the same training: with 2 ranks bit for bit
 * (a sum of two terms does not depend on the order, and each Adam element sees the same
 * operations); ring with 3 and 4 ranks, clipped and not, matches P = 1 as the shared mode does
 * above (uses p1 and p1clip of test_result_independent_of_ranks, which runs first). */
static void test_exchange_modes(void **state)
{
    const char *modes[3] = {"shared", "ring", "buckets"};
    for (int i = 0; i < 3; i++)
        assert_int_equal(run(MPIRUN "2 ./gseq_mpi train " SMALL " --set train.epochs=2 --exchange %s "
                             "--quiet --out " WORK "/x2_%s --force", modes[i], modes[i]), 0);
    for (int i = 1; i < 3; i++) {
        char a_path[128], b_path[128];
        snprintf(a_path, sizeof a_path, WORK "/x2_%s/last.h5", modes[0]);
        snprintf(b_path, sizeof b_path, WORK "/x2_%s/last.h5", modes[i]);
        const char *names[3] = {"params", "adam/m", "adam/v"};
        for (int k = 0; k < 3; k++) {
            size_t n, m;
            float *a = read_dataset(a_path, names[k], &n), *b = read_dataset(b_path, names[k], &m);
            assert_int_equal(n, m);
            printf("    %s, 2 ranks: %s %s as shared\n", modes[i], names[k],
                   memcmp(a, b, sizeof(float) * n) ? "differs from" : "bit for bit the same");
            assert_memory_equal(a, b, sizeof(float) * n);
            free(a), free(b);
        }
    }
    assert_int_equal(run(MPIRUN "3 ./gseq_mpi train " SMALL " --set train.epochs=2 --exchange ring "
                         "--set train.clip_norm=0.2 --quiet --out " WORK "/x3_ring --force"), 0);
    assert_int_equal(run(MPIRUN "4 ./gseq_mpi train " SMALL " --set train.epochs=2 --exchange ring "
                         "--quiet --out " WORK "/x4_ring --force"), 0);
    compare_runs(WORK "/p1clip", WORK "/x3_ring", 3);
    compare_runs(WORK "/p1", WORK "/x4_ring", 4);
}

/* Several nodes (GSEQ_RANKS_PER_NODE=2 makes each 2 ranks act as one): the node sums in shared
 * memory, then MPI between nodes, with and without clipping, match P = 1; nodes of unequal rank
 * counts (3 ranks: 2 + 1) fall back to the ring. */
static void test_exchange_across_nodes(void **state)
{
    assert_int_equal(run("GSEQ_RANKS_PER_NODE=2 " MPIRUN "4 ./gseq_mpi train " SMALL
                         " --set train.epochs=2 --out " WORK "/n4 --force > " WORK "/n4.out"), 0);
    assert_int_equal(run("GSEQ_RANKS_PER_NODE=2 " MPIRUN "4 ./gseq_mpi train " SMALL
                         " --set train.epochs=2 --set train.clip_norm=0.2 --quiet --out " WORK
                         "/n4clip --force"), 0);
    assert_int_equal(run("GSEQ_RANKS_PER_NODE=2 " MPIRUN "3 ./gseq_mpi train " SMALL
                         " --set train.epochs=1 --out " WORK "/n3 --force > " WORK "/n3.out"), 0);
    assert_int_equal(run("grep -q 'gradients summed: shared on each of 2 nodes' " WORK "/n4.out"), 0);
    assert_int_equal(run("grep -q 'gradients summed: ring' " WORK "/n3.out"), 0);
    assert_int_not_equal(run("GSEQ_RANKS_PER_NODE=2 " MPIRUN "3 ./gseq_mpi train " SMALL
                             " --set train.epochs=1 --exchange shared --out " WORK "/n3s --force "
                             "2> " WORK "/n3s.err"), 0);
    assert_int_equal(run("grep -q 'exchange shared: the nodes run different numbers of ranks' "
                         WORK "/n3s.err"), 0);
    compare_runs(WORK "/p1", WORK "/n4", 4);
    compare_runs(WORK "/p1clip", WORK "/n4clip", 4);
}

/* Rewrites a checkpoint as gseq_mpi wrote version 1: the same datasets and attributes, without
 * the schedule's state (lr, plateau_best, plateau_bad). */
static void make_version_1(const char *path)
{
    Error err;
    char tmp[256];
    snprintf(tmp, sizeof tmp, "%s.v1", path);
    H5File *f = h5_open(path, 0, &err), *g = h5_create(tmp, &err);
    assert_true(f && g);
    const char *sets[3] = {"params", "adam/m", "adam/v"};
    for (int i = 0; i < 3; i++) {
        size_t n;
        float *p = read_dataset(path, sets[i], &n);
        int64_t dims[1] = {(int64_t)n};
        assert_int_equal(h5_write_f32(g, sets[i], 1, dims, p, &err), 0);
        free(p);
    }
    char *text = h5_read_string(f, "config", &err);
    assert_non_null(text);
    assert_int_equal(h5_write_string(g, "config", text, &err), 0);
    free(text);
    const char *ints[] = {"step", "epoch", "step_in_epoch", "best_epoch", "bad_epochs", "n_params",
                          "length", "targets", "epoch_samples", "has_adam"};
    for (size_t i = 0; i < sizeof ints / sizeof *ints; i++) {
        double v;
        assert_int_equal(h5_read_attr_double(f, "/", ints[i], &v, &err), 0);
        assert_int_equal(h5_write_attr_int(g, "/", ints[i], (int64_t)v, &err), 0);
    }
    const char *doubles[] = {"best_metric", "epoch_loss_sum"}, *strings[] = {"seed", "task", "data_fingerprint"};
    for (int i = 0; i < 2; i++) {
        double v;
        assert_int_equal(h5_read_attr_double(f, "/", doubles[i], &v, &err), 0);
        assert_int_equal(h5_write_attr_double(g, "/", doubles[i], v, &err), 0);
    }
    for (int i = 0; i < 3; i++) {
        char *v = h5_read_attr_string(f, "/", strings[i], &err);
        assert_non_null(v);
        assert_int_equal(h5_write_attr_string(g, "/", strings[i], v, &err), 0);
        free(v);
    }
    assert_int_equal(h5_write_attr_int(g, "/", "format_version", 1, &err), 0);
    assert_false(h5_has_attr(g, "/", "lr"));
    h5_close(f, &err);
    assert_int_equal(h5_close(g, &err), 0);
    assert_int_equal(rename(tmp, path), 0);
}

/* Starts a run in the background, signals it once its log shows a step, waits for it. */
static int run_and_signal(const char *cmd, const char *log, int sig)
{
    pid_t pid = fork();
    if (pid == 0) {
        execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
        _exit(127);
    }
    for (int i = 0; i < 600; i++) { /* up to 60 s for the 4th step */
        nanosleep(&(struct timespec){0, 20000000L}, NULL);
        char line[512];
        FILE *f = fopen(log, "r");
        int seen = 0;
        while (f && fgets(line, sizeof line, f))
            seen |= strstr(line, "epoch 2/3 step 4/") != NULL;
        if (f)
            fclose(f);
        if (seen)
            break;
    }
    kill(pid, sig);
    int st;
    waitpid(pid, &st, 0);
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

/* A run of 3 epochs (with `extra` settings) interrupted in epoch 2 and resumed from its last.h5
 * (made a version 1 checkpoint first when `as_v1`) ends as the run that was not interrupted. */
static void check_resume_with(const char *launcher, int sig, const char *name, const char *extra,
                              int as_v1)
{
    char cmd[2048], dir[128], log[160], last[160], whole[160];
    snprintf(dir, sizeof dir, WORK "/%s", name);
    snprintf(log, sizeof log, "%s/train.log", dir);
    snprintf(last, sizeof last, "%s/last.h5", dir);
    snprintf(whole, sizeof whole, WORK "/%s_whole/last.h5", name);
    assert_int_equal(run("%s./gseq_mpi train " SMALL " --set train.epochs=3 %s --out " WORK
                         "/%s_whole --force", launcher, extra, name), 0);
    snprintf(cmd, sizeof cmd, "GSEQ_FAULT_STEP_SLEEP_MS=100 exec %s./gseq_mpi train " SMALL
             " --set train.epochs=3 %s --log-every 1 --out %s --force > %s/stdout 2>&1", launcher,
             extra, dir, dir);
    mkdir(dir, 0777);
    unlink(log);
    int st = run_and_signal(cmd, log, sig);
    printf("    interrupted run exited with %d\n", st);
    assert_int_equal(st, 0);
    assert_int_equal(run("grep -q 'stopped by signal' %s", log), 0);
    if (as_v1)
        make_version_1(last);
    assert_int_equal(run("%s./gseq_mpi train --resume %s --quiet", launcher, last), 0);
    size_t n, m;
    float *a = read_params(whole, &n), *b = read_params(last, &m);
    assert_int_equal(n, m);
    assert_memory_equal(a, b, sizeof(float) * n);
    double la[3], lb[3];
    char wdir[128];
    snprintf(wdir, sizeof wdir, WORK "/%s_whole", name);
    assert_int_equal(read_losses(wdir, la, 3), 3);
    assert_int_equal(read_losses(dir, lb, 3), 3);
    assert_memory_equal(la, lb, sizeof la);
    assert_int_equal(read_values(wdir, "lr", la, 3), 3);
    assert_int_equal(read_values(dir, "lr", lb, 3), 3);
    assert_memory_equal(la, lb, sizeof la);
    free(a), free(b);
}

static void check_interrupt_resume(const char *launcher, int sig, const char *name)
{
    check_resume_with(launcher, sig, name, "", 0);
}

static void test_sigterm_resume_single(void **state) { check_interrupt_resume("", SIGTERM, "sigterm"); }
static void test_sigusr1_resume_mpirun(void **state)
{
    check_interrupt_resume(MPIRUN "2 ", SIGUSR1, "sigusr1");
}

/* The same over 2 "nodes" of 2 ranks: the checkpoint's state reaches the second node's copy. */
static void test_sigusr1_resume_two_nodes(void **state)
{
    check_interrupt_resume("env GSEQ_RANKS_PER_NODE=2 " MPIRUN "4 ", SIGUSR1, "sigusr1_nodes");
}

/* The plateau schedule with a warmup (15 steps: into epoch 2, of 11 steps) and a min_delta no epoch
 * after the first can meet: the rate is cut after epoch 2, which the resumed run decides from the
 * state in the checkpoint (epoch 1's value). Resumed, the same parameters and rates, bit for bit. */
static void test_resume_plateau(void **state)
{
    check_resume_with("", SIGTERM, "plateau", "--set train.schedule=plateau --set train.warmup_steps=15 "
                      "--set train.plateau_patience=1 --set train.min_delta=10", 0);
    double lr[3];
    assert_int_equal(read_values(WORK "/plateau", "lr", lr, 3), 3);
    printf("    plateau rates: %g %g %g\n", lr[0], lr[1], lr[2]);
    /* epoch 1 ends at step 11 of the warmup's 15; epoch 2 past it; epoch 3 cut to half */
    assert_true(fabs(lr[0] - 0.01 * 11 / 15) < 1e-8 && fabs(lr[1] - 0.01) < 1e-8 &&
                fabs(lr[2] - 0.005) < 1e-8);
}

/* A version 1 checkpoint (no schedule state) still resumes, as it ran: at the configured rate. */
static void test_resume_version_1(void **state)
{
    check_resume_with("", SIGTERM, "v1", "", 1);
}

static void test_divergence_stops(void **state)
{
    assert_int_equal(run("./gseq_mpi train " SMALL " --set train.epochs=1 --out " WORK "/nan --force"), 0);
    assert_int_equal(run("cp " WORK "/nan/last.h5 " WORK "/nan_last_before.h5 && cp " WORK
                         "/nan/best.h5 " WORK "/nan_best_before.h5"), 0);
    /* epoch 2 of a resumed run: step 11 + 3 = 14 becomes NaN */
    int st = run("GSEQ_FAULT_NAN_AT_STEP=14 " MPIRUN "2 ./gseq_mpi train --resume " WORK
                 "/nan/last.h5 --set train.epochs=3 2> " WORK "/nan/stderr");
    assert_int_not_equal(st, 0);
    assert_int_equal(run("grep -q 'diverged at step 14' " WORK "/nan/stderr"), 0);
    assert_int_equal(run("cmp " WORK "/nan/last.h5 " WORK "/nan_last_before.h5"), 0);
    assert_int_equal(run("cmp " WORK "/nan/best.h5 " WORK "/nan_best_before.h5"), 0);
}

/* The "data:" line of a run's log: total MB and the most on one rank (or node). */
static void data_line(const char *dir, double *total, double *most)
{
    char path[256], line[512];
    snprintf(path, sizeof path, "%s/train.log", dir);
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    *total = *most = -1.0;
    while (fgets(line, sizeof line, f)) {
        const char *at = strstr(line, "MB in all, ");
        if (strncmp(line, "data:", 5) == 0 && at) {
            const char *colon = strrchr(line, ':');
            *total = atof(colon + 1);
            const char *m = strstr(at, "at most ") ? strstr(at, "at most ") + 8 : at + 11;
            *most = atof(m);
        }
    }
    fclose(f);
    assert_true(*total > 0.0);
}

/* Shared (one copy a node) and sharded (each rank about N/P rows) modes, each read by every reader
 * or scattered from rank 0: the two i/o modes give the same parameters. */
static void test_data_modes(void **state)
{
    const char *modes[4][2] = {{"shared", "read"}, {"shared", "scatter"}, {"shard", "read"}, {"shard", "scatter"}};
    for (int i = 0; i < 4; i++)
        assert_int_equal(run(MPIRUN "4 ./gseq_mpi train " SMALL " --set train.epochs=1 --data-mode %s "
                             "--io %s --out " WORK "/%s_%s --force", modes[i][0], modes[i][1],
                             modes[i][0], modes[i][1]), 0);
    double total, most, stotal, smost;
    data_line(WORK "/shared_read", &total, &most);
    data_line(WORK "/shard_read", &stotal, &smost);
    printf("    shared: %.3f MB in all (one node, one copy); shard: %.3f MB in all, at most %.3f MB a rank\n",
           total, stotal, smost);
    assert_true(fabs(total - most) < 1e-9);       /* one node: one copy */
    assert_true(fabs(stotal - total) < 0.002);    /* the shards add up to the file */
    assert_true(smost <= stotal / 4 * 1.05 + 0.001); /* each rank holds about N/P */
    const char *pairs[2][2] = {{WORK "/shared_read/last.h5", WORK "/shared_scatter/last.h5"},
                               {WORK "/shard_read/last.h5", WORK "/shard_scatter/last.h5"}};
    for (int i = 0; i < 2; i++) {
        size_t n, m;
        float *a = read_params(pairs[i][0], &n), *b = read_params(pairs[i][1], &m);
        assert_int_equal(n, m);
        assert_memory_equal(a, b, sizeof(float) * n);
        free(a), free(b);
    }
}

/* The training loss is a mean per (sample, target), as the validation loss: with 8 targets it must
 * start near log 2, not 8 times that. */
static void test_multilabel_train_loss_is_a_mean(void **state)
{
    assert_int_equal(run("./gseq_mpi synth --mode multilabel --n 300 --length 200 --targets 8 --seed 2 "
                         "--out " WORK "/ml.h5 > /dev/null"), 0);
    assert_int_equal(run("./gseq_mpi train --config jobs/configs/danq.ini --data " WORK "/ml.h5 --quiet "
                         "--set conv1d.filters=8 --set bilstm.units=4 --set dense.units=8 --set maxpool1d.pool=4 "
                         "--set train.epochs=1 --set train.batch=50 --out " WORK "/ml --force"), 0);
    double loss[1];
    assert_int_equal(read_losses(WORK "/ml", loss, 1), 1);
    printf("    multilabel train loss of epoch 1: %.4f\n", loss[0]);
    assert_true(loss[0] > 0.3 && loss[0] < 1.2);
}

typedef struct {
    const char *name, *args, *expect;
} BadRun;

static const BadRun bad_runs[] = {
    {"unknown option", "train --bogus", "unknown option --bogus"},
    {"missing value", "train --config", "--config needs a value"},
    {"no config", "train --out " WORK "/x", "--config FILE is required"},
    {"no out", "train --config jobs/configs/seed_lstm.ini", "--out DIR is required"},
    {"unknown command", "trian", "unknown command 'trian'"},
    {"missing config file", "train --config nope.ini --out " WORK "/x", "nope.ini: cannot open config"},
    {"no data", "train --config jobs/configs/seed_lstm.ini --out " WORK "/x", "no training data"},
    {"missing data file", "train --config jobs/configs/seed_lstm.ini --data nope.h5 --out " WORK "/x", "nope.h5"},
    {"bad --set", "train " SMALL " --set train.batch=zero --out " WORK "/x", "--set train.batch=zero"},
    {"bad threads", "train " SMALL " --threads -2 --out " WORK "/x", "--threads '-2'"},
    {"unwritable out", "train " SMALL " --out /proc/gseq", "--out /proc/gseq"},
    {"existing checkpoint", "train " SMALL " --out " WORK "/p1", "already holds a checkpoint"},
    {"resume from a non-checkpoint", "train --resume " DATA, "not a gseq_mpi checkpoint"},
    {"resume from a missing file", "train --resume " WORK "/none/last.h5", WORK "/none/last.h5"},
    {"bad data mode", "train " SMALL " --data-mode striped --out " WORK "/x", "--data-mode 'striped'"},
    {"bad io mode", "train " SMALL " --io parallel --out " WORK "/x", "--io 'parallel'"},
    {"bad exchange mode", "train " SMALL " --exchange fast --out " WORK "/x", "--exchange 'fast'"},
    {"pos_weight of the wrong length", "train " SMALL " --set train.pos_weight=1,2 --out " WORK "/x", "train.pos_weight lists 2 weights but the data has 1 targets"},
    {"class_weight on binary data", "train " SMALL " --set train.class_weight=auto --out " WORK "/x", "train.class_weight is for multiclass data; this data is binary"},
    {"bad schedule", "train " SMALL " --set train.schedule=linear --out " WORK "/x", "--set train.schedule=linear: expected constant, plateau or cosine"},
    {"not a data file, sharded", "train --config jobs/configs/seed_lstm.ini --data jobs/configs/danq.ini --data-mode shard --out " WORK "/x", "jobs/configs/danq.ini"},
};

static void run_bad(void **state)
{
    const BadRun *b = *state;
    char out[256];
    snprintf(out, sizeof out, WORK "/bad.stderr");
    int st = run("timeout 60 " MPIRUN "2 ./gseq_mpi %s > /dev/null 2> %s", b->args, out);
    assert_int_not_equal(st, 0);
    assert_true(st != 124); /* no hang */
    char line[1024] = "";
    FILE *f = fopen(out, "r");
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
}

int main(void)
{
    setenv("OMPI_ALLOW_RUN_AS_ROOT", "1", 1);
    setenv("OMPI_ALLOW_RUN_AS_ROOT_CONFIRM", "1", 1);
    setenv("OMPI_MCA_rmaps_base_oversubscribe", "1", 1);
    setenv("OPENBLAS_NUM_THREADS", "1", 1);
    enum { NBAD = sizeof bad_runs / sizeof bad_runs[0], NFIXED = 11 };
    if (getenv("GSEQ_TEST_FILTER")) /* e.g. GSEQ_TEST_FILTER='test_resume_*' */
        cmocka_set_test_filter(getenv("GSEQ_TEST_FILTER"));
    struct CMUnitTest tests[NFIXED + NBAD] = {
        cmocka_unit_test(test_result_independent_of_ranks),
        cmocka_unit_test(test_exchange_modes),
        cmocka_unit_test(test_exchange_across_nodes),
        cmocka_unit_test(test_sigterm_resume_single),
        cmocka_unit_test(test_sigusr1_resume_mpirun),
        cmocka_unit_test(test_sigusr1_resume_two_nodes),
        cmocka_unit_test(test_resume_plateau),
        cmocka_unit_test(test_resume_version_1),
        cmocka_unit_test(test_divergence_stops),
        cmocka_unit_test(test_data_modes),
        cmocka_unit_test(test_multilabel_train_loss_is_a_mean),
    };
    for (int i = 0; i < NBAD; i++)
        tests[NFIXED + i] = (struct CMUnitTest){bad_runs[i].name, run_bad, NULL, NULL, (void *)&bad_runs[i]};
    return _cmocka_run_group_tests("train", tests, NFIXED + NBAD, setup, NULL);
}
