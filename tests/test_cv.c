/* test_cv.c: `gseq_mpi cv` as users run it. A fold trained inside cv (on a group of ranks, beside
 * other groups) gives the same result as that fold trained alone with `train --folds K --fold k`;
 * on data where one setting is clearly better the grid picks it, with 1, 2 and 4 ranks; bad grids
 * and impossible requests are refused before any training. */
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

#include "testutil.h"

#define WORK "build/test_cv"
#define DATA WORK "/data.h5"
#define CONV WORK "/conv.ini"
#define LSTM WORK "/lstm.ini"
#define MPIRUN "mpirun --oversubscribe -np "
#define SEED_SMALL "--config jobs/configs/seed_lstm.ini --data " DATA " --quiet --set embedding.dim=8 " \
                   "--set lstm_1.units=8 --set lstm_2.units=8 --set train.batch=40 --set train.lr=0.01 " \
                   "--set train.epochs=3"

static int setup(void **state)
{
    mkdir("build", 0777);
    mkdir(WORK, 0777);
    FILE *f = fopen(CONV, "w");
    if (!f)
        return -1;
    fputs("[train]\nbatch = 50\nepochs = 4\nlr = 0.01\nseed = 3\n[onehot]\n[conv1d]\nfilters = 8\n"
          "width = 8\n[lambda]\ntype = pool_time\nmode = max\n[output]\ntype = dense\n", f);
    fclose(f);
    if (!(f = fopen(LSTM, "w")))
        return -1;
    fputs("[train]\nbatch = 40\nepochs = 3\nlr = 0.01\n[embedding]\ndim = 8\n[lstm]\nunits = 8\n"
          "return_sequences = true\n[lambda]\ntype = pool_time\nmode = max\n[output]\ntype = dense\n", f);
    fclose(f);
    return run("./gseq_mpi synth --mode binary --n 800 --seed 4 --out " DATA " >/dev/null");
}

/* Field `col` (0-based) of the cv.tsv row of (config, fold). */
static double cv_field(const char *dir, int config, int fold, int col)
{
    char path[256], line[1024];
    snprintf(path, sizeof path, "%s/cv.tsv", dir);
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    double v = NAN;
    while (fgets(line, sizeof line, f)) {
        char *fields[8];
        int n = 0;
        for (char *tok = strtok(line, "\t\n"); tok && n < 8; tok = strtok(NULL, "\t\n"))
            fields[n++] = tok;
        if (n >= 7 && atoi(fields[0]) == config && atoi(fields[2]) == fold)
            v = atof(fields[col]);
    }
    fclose(f);
    return v;
}

/* val_loss of epoch `epoch` in a train run's metrics.jsonl */
static double train_val_loss(const char *dir, int epoch)
{
    char path[256], line[1024];
    snprintf(path, sizeof path, "%s/metrics.jsonl", dir);
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    double v = NAN;
    for (int e = 1; fgets(line, sizeof line, f); e++)
        if (e == epoch)
            v = atof(strstr(line, "\"val_loss\": ") + 12);
    fclose(f);
    return v;
}

static void test_fold_alone_matches_cv(void **state)
{
    assert_int_equal(run(MPIRUN "3 ./gseq_mpi cv " SEED_SMALL " --folds 3 --grid lstm_1.units=4,8 "
                         "--out " WORK "/match > /dev/null"), 0);
    for (int fold = 1; fold <= 3; fold++) {
        assert_int_equal(run("./gseq_mpi train " SEED_SMALL " --set lstm_1.units=8 --folds 3 --fold %d "
                             "--out " WORK "/alone%d --force", fold, fold), 0);
        char dir[64];
        snprintf(dir, sizeof dir, WORK "/alone%d", fold);
        int best = (int)cv_field(WORK "/match", 2, fold, 3);
        double in_cv = cv_field(WORK "/match", 2, fold, 4), alone = train_val_loss(dir, best);
        printf("    fold %d: best epoch %d, val loss in cv %.7f, alone %.7f\n", fold, best, in_cv, alone);
        assert_true(best >= 1);
        assert_true(fabs(in_cv - alone) <= 1e-5 * fabs(alone));
    }
}

static int chosen(const char *dir)
{
    char path[256], line[1024] = "";
    snprintf(path, sizeof path, "%s/report.json", dir);
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    assert_non_null(fgets(line, sizeof line, f));
    fclose(f);
    return atoi(strstr(line, "\"chosen_config\": ") + 17);
}

static void test_grid_picks_the_better_setting(void **state)
{
    /* a learning rate of 1e-5 cannot learn the motif in 4 epochs; 0.01 can */
    for (int p = 1; p <= 4; p *= 2) {
        assert_int_equal(run(MPIRUN "%d ./gseq_mpi cv --config " CONV " --data " DATA " --quiet --folds 3 "
                             "--grid train.lr=0.00001,0.01 --out " WORK "/pick%d", p, p), 0);
        char dir[64];
        snprintf(dir, sizeof dir, WORK "/pick%d", p);
        printf("    P=%d chose configuration %d\n", p, chosen(dir));
        assert_int_equal(chosen(dir), 2);
    }
}

/* A grid of two whole configurations times two batch sizes: every configuration's folds run, and
 * report.json ranks all four, best first, the chosen one at the top. */
static void test_grid_of_configs(void **state)
{
    assert_int_equal(run(MPIRUN "2 ./gseq_mpi cv --grid config=" LSTM "," CONV " --grid train.batch=40,80 "
                         "--set train.epochs=2 --data " DATA " --quiet --folds 2 --out " WORK "/configs"), 0);
    assert_int_equal(run("python3 -c 'import json, sys; d = json.load(open(\"" WORK "/configs/report.json\")); "
                         "r = d[\"ranking\"]; means = [x[\"mean\"] for x in r]; "
                         "ok = sorted(x[\"config\"] for x in r) == [1, 2, 3, 4] and [x[\"rank\"] for x in r] == [1, 2, 3, 4] "
                         "and means == sorted(means) and r[0][\"config\"] == d[\"chosen_config\"] "
                         "and \"config=" CONV "\" in r[[x[\"config\"] for x in r].index(3)][\"settings\"]; "
                         "print(\"    ranking:\", [(x[\"config\"], round(x[\"mean\"], 4)) for x in r]); "
                         "sys.exit(0 if ok else 1)'"), 0);
    for (int c = 1; c <= 4; c++)
        assert_false(isnan(cv_field(WORK "/configs", c, 2, 4)));
}

typedef struct {
    const char *name, *args, *expect;
    int whole; /* args are the whole command line, without SEED_SMALL */
} BadCv;

static const BadCv bad[] = {
    {"unknown grid key", "--grid lstm_1.bogus=1,2", "--grid lstm_1.bogus", 0},
    {"unknown grid section", "--grid gru.units=1,2", "no section [gru]", 0},
    {"empty grid list", "--grid train.batch=", "the list of values is empty", 0},
    {"empty grid value", "--grid train.batch=10,,20", "an empty value", 0},
    {"bad grid value", "--grid train.batch=10,x", "train.batch=x", 0},
    {"grid without a key", "--grid 300,400", "expected section.key=value1", 0},
    {"more folds than samples of a class", "--folds 1000", "for 1000 folds", 0},
    {"one fold", "--folds 1", "--folds '1'", 0},
    {"more groups than ranks", "--groups 5", "--groups 5", 0},
    {"grid key missing from one config", "--data " DATA " --quiet --grid config=jobs/configs/seed_lstm.ini," CONV
     " --grid lstm_1.units=4", "--grid lstm_1.units (configuration 2, " CONV "): --set lstm_1.units=4: " CONV
     " has no section [lstm_1]", 1},
    {"config and a config grid", "--grid config=" CONV, "--config and --grid config=... both name the config", 0},
    {"no config", "--data " DATA " --grid train.batch=10,20", "--config FILE is required (or --grid config=A.ini,B.ini)", 1},
    {"a config grid of a missing file", "--data " DATA " --grid config=" CONV ",nope.ini", "nope.ini: cannot open config", 1},
};

static void run_bad(void **state)
{
    const BadCv *b = *state;
    run("rm -rf " WORK "/bad");
    int st = run("timeout 60 " MPIRUN "2 ./gseq_mpi cv %s %s --out " WORK "/bad > /dev/null 2> "
                 WORK "/bad.stderr", b->whole ? "" : SEED_SMALL, b->args);
    assert_int_not_equal(st, 0);
    assert_int_not_equal(st, 124);
    assert_int_not_equal(access(WORK "/bad/cv.tsv", F_OK), 0); /* nothing trained */
    FILE *f = fopen(WORK "/bad.stderr", "r");
    char line[1024];
    int lines = 0, found = 0;
    while (f && fgets(line, sizeof line, f))
        if (!strncmp(line, "gseq_mpi", 8)) {
            lines++;
            found |= strstr(line, b->expect) != NULL;
            printf("    -> %s", line);
        }
    if (f)
        fclose(f);
    assert_int_equal(lines, 1);
    assert_true(found);
}

int main(void)
{
    setenv("OMPI_ALLOW_RUN_AS_ROOT", "1", 1);
    setenv("OMPI_ALLOW_RUN_AS_ROOT_CONFIRM", "1", 1);
    setenv("OMPI_MCA_rmaps_base_oversubscribe", "1", 1);
    setenv("OPENBLAS_NUM_THREADS", "1", 1);
    enum { NBAD = sizeof bad / sizeof bad[0], NFIXED = 3 };
    if (getenv("GSEQ_TEST_FILTER")) /* e.g. GSEQ_TEST_FILTER='*config*' */
        cmocka_set_test_filter(getenv("GSEQ_TEST_FILTER"));
    struct CMUnitTest tests[NFIXED + NBAD] = {
        cmocka_unit_test(test_fold_alone_matches_cv),
        cmocka_unit_test(test_grid_picks_the_better_setting),
        cmocka_unit_test(test_grid_of_configs),
    };
    for (int i = 0; i < NBAD; i++)
        tests[NFIXED + i] = (struct CMUnitTest){bad[i].name, run_bad, NULL, NULL, (void *)&bad[i]};
    return _cmocka_run_group_tests("cv", tests, NFIXED + NBAD, setup, NULL);
}
