/* test_config.c: the shipped model configs plan to the documented shapes and parameter counts, and
 * every bad config is refused with one message naming the file, the line and the key. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "nn/config.h"
#include "nn/model.h"

static Model build_shipped(const char *path, int length, int targets, Task task)
{
    Config cfg;
    Error err;
    Model m;
    if (config_load(&cfg, path, &err) != 0)
        fail_msg("%s", err.msg);
    if (model_build(&m, &cfg, length, targets, task, 2, &err) != 0)
        fail_msg("%s", err.msg);
    config_free(&cfg);
    return m;
}

static void test_danq_book_counts(void **state)
{
    Model m = build_shipped("jobs/configs/danq_book.ini", 1000, 690, TASK_MULTILABEL);
    size_t want[] = {0, 33600, 0, 0, 1640960, 0, 0, 216618295, 480240};
    assert_int_equal(m.n_layers, 9);
    for (int i = 0; i < 9; i++)
        assert_int_equal(m.layers[i].n_params, want[i]);
    assert_int_equal(m.n_params, 218773095);
    assert_int_equal(m.layers[2].out.t, 487); /* 975 -> 487 for pool 2 */
    model_free(&m);
}

static void test_danq_counts(void **state)
{
    Model m = build_shipped("jobs/configs/danq.ini", 1000, 919, TASK_MULTILABEL);
    assert_int_equal(m.layers[2].out.t, 75); /* 975 -> 75 for pool 13 */
    assert_int_equal(m.layers[7].n_params, 48000 * 925 + 925);
    assert_int_equal(m.n_params, 46926479);
    model_free(&m);
}

/* DeepSEA's published count, the same as tools/bench_torch.py's PyTorch model's */
static void test_deepsea_counts(void **state)
{
    Model m = build_shipped("jobs/configs/deepsea.ini", 1000, 919, TASK_MULTILABEL);
    assert_int_equal(m.layers[1].out.t, 993);  /* 1000 - 8 + 1 */
    assert_int_equal(m.layers[4].out.t, 241);  /* 248 - 8 + 1 after pool 4 */
    assert_int_equal(m.layers[7].out.t, 53);   /* 60 - 8 + 1 after pool 4 */
    assert_int_equal(m.layers[10].n_params, 53 * 960 * 925 + 925);
    assert_int_equal(m.n_params, 52843119);
    model_free(&m);
}

static void test_seed_lstm_counts(void **state)
{
    Model m = build_shipped("jobs/configs/seed_lstm.ini", 190, 1, TASK_BINARY);
    assert_int_equal(m.layers[1].n_params, 4 * 60 * (32 + 60) + 240);
    assert_int_equal(m.layers[2].n_params, 4 * 60 * (60 + 60) + 240);
    assert_int_equal(m.n_params, 51613);
    assert_int_equal(m.loss, LOSS_BCE);
    model_free(&m);
}

/* The short-sequence recipe (docs/recipes.md) at 60 bp: conv 64 x 11 over one-hot, pool 4,
 * BiLSTM(32), max over time, dense 32, output; a plateau schedule with a warmup. */
static void test_short_conv_counts(void **state)
{
    Model m = build_shipped("jobs/configs/short_conv.ini", 60, 1, TASK_BINARY);
    size_t want[] = {0, 11 * 4 * 64 + 64, 0, 0, 2 * (4 * 32 * (64 + 32) + 128), 0, 0, 64 * 32 + 32, 33};
    assert_int_equal(m.n_layers, 9);
    for (int i = 0; i < 9; i++)
        assert_int_equal(m.layers[i].n_params, want[i]);
    assert_int_equal(m.n_params, 29825);
    assert_int_equal(m.layers[2].out.t, 12); /* 50 -> 12 for pool 4 */
    model_free(&m);
    Config cfg;
    Error err;
    assert_int_equal(config_load(&cfg, "jobs/configs/short_conv.ini", &err), 0);
    assert_int_equal(cfg.train.schedule, SCHEDULE_PLATEAU);
    assert_true(cfg.train.warmup_steps > 0 && cfg.train.min_lr > 0.0f);
    config_free(&cfg);
}

static void test_set_overrides(void **state)
{
    Config cfg;
    Error err;
    assert_int_equal(config_load(&cfg, "jobs/configs/seed_lstm.ini", &err), 0);
    assert_int_equal(config_set(&cfg, "lstm_1.units=40", &err), 0);
    assert_int_equal(config_set(&cfg, "train.batch=300", &err), 0);
    assert_int_equal(config_set(&cfg, "lambda.mode=mean", &err), 0);
    assert_int_equal(cfg.layers[1].units, 40);
    assert_int_equal(cfg.train.batch, 300);
    assert_int_equal(cfg.layers[3].mode, POOL_MEAN);
    assert_int_not_equal(config_set(&cfg, "lstm_9.units=40", &err), 0);
    assert_non_null(strstr(err.msg, "no section [lstm_9]"));
    assert_int_not_equal(config_set(&cfg, "lstm_1.units=forty", &err), 0);
    assert_non_null(strstr(err.msg, "--set lstm_1.units=forty"));
    assert_int_not_equal(config_set(&cfg, "batch=3", &err), 0);
    assert_non_null(strstr(err.msg, "expected section.key=value"));
    config_free(&cfg);
}

typedef struct {
    const char *name, *text;
    const char *expect1, *expect2; /* substrings the one-line message must hold */
    int at_build;                  /* found when planning the model (length 40, 1 target) */
} BadConfig;

#define LAYERS "[embedding]\ndim = 4\n[lstm_1]\nunits = 8\nreturn_sequences = true\n"
#define TAIL "[lambda]\ntype = pool_time\n[output]\ntype = dense\nunits = auto\nactivation = auto\n"

static const BadConfig bad[] = {
    {"unknown train key", "[train]\nbatch = 4\nbogus = 1\n" LAYERS TAIL, "bad.ini:3:", "unknown key 'bogus'", 0},
    {"bad number", "[train]\nbatch = 4x\n" LAYERS TAIL, "bad.ini:2:", "batch = 4x", 0},
    {"negative size", LAYERS "[lstm_2]\nunits = -5\n" TAIL, "bad.ini:7:", "units = -5", 0},
    {"zero batch", "[train]\nbatch = 0\n" LAYERS TAIL, "bad.ini:2:", "integer >= 1", 0},
    {"learning rate out of range", "[train]\nlearning_rate = -1\n" LAYERS TAIL, "bad.ini:2:", "learning_rate", 0},
    {"bad boolean", LAYERS "[lstm_2]\nunits = 5\nreturn_sequences = maybe\n" TAIL, "bad.ini:8:", "true or false", 0},
    {"bad activation", LAYERS "[dense_1]\nunits = 3\nactivation = swish\n" TAIL, "bad.ini:8:", "activation = swish", 0},
    {"bad pool mode", LAYERS "[lambda]\ntype = pool_time\nmode = median\n[output]\ntype = dense\n", "bad.ini:8:", "last, mean or max", 0},
    {"unknown layer type", LAYERS "[gru_1]\nunits = 3\n" TAIL, "bad.ini:6:", "[gru_1]", 0},
    {"bad type value", LAYERS "[x]\ntype = transformer\n" TAIL, "bad.ini:7:", "type = transformer", 0},
    {"key of another kind", LAYERS "[lstm_2]\nunits = 5\npool = 2\n" TAIL, "bad.ini:8:", "unknown key 'pool' for a lstm layer", 0},
    {"duplicate section", LAYERS "[lstm_1]\nunits = 8\n" TAIL, "bad.ini:6:", "appears twice", 0},
    {"missing rate", LAYERS "[dropout]\n" TAIL, "bad.ini:6:", "needs rate", 0},
    {"missing lstm units", LAYERS "[lstm_2]\nreturn_sequences = true\n" TAIL, "bad.ini:6:", "needs units", 0},
    {"hidden dense without units", LAYERS "[lambda]\ntype = pool_time\n[dense_1]\n[output]\ntype = dense\n", "bad.ini:8:", "needs units", 0},
    {"key outside a section", "batch = 4\n" LAYERS TAIL, "bad.ini:1:", "outside any [section]", 0},
    {"not INI", LAYERS "this is not ini\n" TAIL, "bad.ini:6:", "not INI syntax", 0},
    {"no layers", "[train]\nbatch = 4\n", "bad.ini", "no layers", 0},
    {"unknown data key", "[data]\nwidth = 3\n" LAYERS TAIL, "bad.ini:2:", "unknown key 'width'", 0},
    {"bad task", "[data]\ntask = ranking\n" LAYERS TAIL, "bad.ini:2:", "binary, multilabel, multiclass or regression", 0},
    {"bad loss", "[train]\nloss = huber\n" LAYERS TAIL, "bad.ini:2:", "auto, bce, softmax_ce, mse or poisson", 0},
    {"bad monitor", "[train]\nmonitor = val_r2\n" LAYERS TAIL, "bad.ini:2:", "val_accuracy or val_pearson", 0},
    {"poisson on a binary task", "[train]\nloss = poisson\n" LAYERS TAIL, "bad.ini:", "train.loss = poisson does not fit a binary task", 1},
    {"softplus on a binary task", LAYERS "[lambda]\ntype = pool_time\n[output]\ntype = dense\nactivation = softplus\n", "bad.ini:8:", "activation softplus does not fit a binary task", 1},
    {"softplus on a conv1d", "[onehot]\n[conv1d]\nfilters = 4\nwidth = 3\nactivation = softplus\n" TAIL, "bad.ini:2:", "relu, sigmoid or linear", 1},
    {"conv after flatten", "[onehot]\n[flatten]\n[conv1d]\nfilters = 4\nwidth = 3\n" TAIL, "bad.ini:3:", "[conv1d] conv1d width 3 is longer than its input of 1 steps", 1},
    {"pool larger than the sequence", "[onehot]\n[maxpool1d]\npool = 50\n[flatten]\n[output]\ntype = dense\n", "bad.ini:2:", "pool 50 is larger than its input of 40 steps", 1},
    {"conv wider than the sequence", "[onehot]\n[conv1d]\nfilters = 4\nwidth = 41\n[flatten]\n[output]\ntype = dense\n", "bad.ini:2:", "width 41 is longer", 1},
    {"embedding not first", LAYERS "[embedding_2]\ndim = 3\n" TAIL, "bad.ini:6:", "must be the first layer", 1},
    {"output not dense", LAYERS "[lambda]\ntype = pool_time\n", "bad.ini:6:", "last layer must be dense", 1},
    {"output still a sequence", LAYERS "[output]\ntype = dense\n", "bad.ini:6:", "still a sequence", 1},
    {"output width differs from the data", LAYERS "[lambda]\ntype = pool_time\n[output]\ntype = dense\nunits = 3\n", "bad.ini:8:", "3 units but the data has 1 targets", 1},
    /* found by make fuzz (tests/fuzz/fuzz_config.c) */
    {"empty key", LAYERS "[lstm_2]\nunits = 5\n= 3\n" TAIL, "bad.ini:8:", "unknown key ''", 0},
    {"section header without ]", "[train\nbatch = 4\n[train\n" LAYERS TAIL, "bad.ini:1:", "not INI syntax", 0},
    {"no input layer", "[train]\nbatch = 4\n[lambda]\ntype = pool_time\n[output]\ntype = dense\n", "bad.ini:3:", "first layer must be embedding or onehot", 0},
    {"dense on tokens", "[dense_1]\nunits = 4\n" TAIL, "bad.ini:1:", "not dense", 0},
    {"key twice", "[train]\nbatch = 4\nbatch = 8\n" LAYERS TAIL, "bad.ini:3:", "batch appears twice (first on line 2)", 0},
    {"value that starts a comment", "[data]\ntrain:;x.h5\n" LAYERS TAIL, "bad.ini:2:", "cannot start with ';'", 0},
    {"empty section name", LAYERS "[]\nunits = 3\n" TAIL, "bad.ini:6:", "empty section name", 0},
    {"section name too long", "[a_layer_name_that_is_longer_than_forty_seven_characters]\nunits = 3\n" LAYERS TAIL, "bad.ini:1:", "longer than 47", 0},
    {"softmax on a binary task", LAYERS "[lambda]\ntype = pool_time\n[output]\ntype = dense\nactivation = softmax\n", "bad.ini:8:", "does not fit a binary task", 1},
};

static void run_bad(void **state)
{
    const BadConfig *b = *state;
    Config cfg;
    Model m;
    Error err = {{0}};
    int rc = config_load_text(&cfg, b->text, "bad.ini", &err);
    if (b->at_build) {
        if (rc != 0)
            fail_msg("parsing failed early: %s", err.msg);
        rc = model_build(&m, &cfg, 40, 1, TASK_BINARY, 2, &err);
    }
    printf("    %-36s -> %s\n", b->name, err.msg);
    assert_int_not_equal(rc, 0);
    assert_null(strchr(err.msg, '\n'));
    if (!strstr(err.msg, b->expect1) || !strstr(err.msg, b->expect2))
        fail_msg("expected '%s' and '%s' in: %s", b->expect1, b->expect2, err.msg);
    config_free(&cfg);
}

static void test_missing_file(void **state)
{
    Config cfg;
    Error err;
    assert_int_not_equal(config_load(&cfg, "no/such/model.ini", &err), 0);
    assert_non_null(strstr(err.msg, "no/such/model.ini: cannot open config"));
    config_free(&cfg);
}

/* Regression: train.loss and the output activation resolve each other (auto: mse and linear, or
 * poisson when the output asks for softplus); the wrong pairs fail; the monitors fit the task. */
static void test_regression_losses(void **state)
{
    static const struct {
        const char *train, *act;
        int ok;
        LossKind loss;
        Activation out;
    } cases[] = {
        {"", "auto", 1, LOSS_MSE, ACT_LINEAR},          {"", "linear", 1, LOSS_MSE, ACT_LINEAR},
        {"", "softplus", 1, LOSS_POISSON, ACT_SOFTPLUS}, {"loss = poisson\n", "auto", 1, LOSS_POISSON, ACT_SOFTPLUS},
        {"loss = mse\n", "auto", 1, LOSS_MSE, ACT_LINEAR}, {"loss = mse\n", "softplus", 0, 0, 0},
        {"loss = poisson\n", "linear", 0, 0, 0},        {"", "sigmoid", 0, 0, 0},
        {"loss = bce\n", "auto", 0, 0, 0},              {"loss = softmax_ce\n", "auto", 0, 0, 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char text[512];
        snprintf(text, sizeof text, "[train]\n%s[onehot]\n[conv1d]\nfilters = 4\nwidth = 3\n"
                 "[pool]\ntype = pool_time\nmode = mean\n[output]\ntype = dense\nactivation = %s\n",
                 cases[i].train, cases[i].act);
        Config cfg;
        Model m;
        Error err = {{0}};
        assert_int_equal(config_load_text(&cfg, text, "reg.ini", &err), 0);
        int rc = model_build(&m, &cfg, 20, 2, TASK_REGRESSION, 2, &err);
        printf("    regression, %.*s, activation %s -> %s\n", (int)strcspn(cases[i].train, "\n"),
               *cases[i].train ? cases[i].train : "loss auto", cases[i].act,
               rc ? err.msg : loss_name(m.loss));
        assert_int_equal(rc == 0, cases[i].ok);
        if (rc == 0) {
            assert_int_equal(m.loss, cases[i].loss);
            assert_int_equal(m.out_act, cases[i].out);
            assert_int_equal(m.layers[m.n_layers - 1].spec.act, cases[i].out);
            model_free(&m);
        } else {
            assert_null(strchr(err.msg, '\n'));
        }
        assert_int_equal(config_check_monitor(&cfg, TASK_REGRESSION, &err), 0);
        config_free(&cfg);
    }
    Config cfg;
    Error err;
    assert_int_equal(config_load_text(&cfg, "[train]\nmonitor = val_auroc\n[onehot]\n[pool]\ntype = pool_time\n[output]\ntype = dense\n", "m.ini", &err), 0);
    assert_int_not_equal(config_check_monitor(&cfg, TASK_REGRESSION, &err), 0);
    assert_non_null(strstr(err.msg, "train.monitor = val_auroc"));
    assert_int_equal(config_check_monitor(&cfg, TASK_BINARY, &err), 0);
    assert_int_equal(config_set(&cfg, "train.monitor=val_pearson", &err), 0);
    assert_int_equal(config_check_monitor(&cfg, TASK_REGRESSION, &err), 0);
    assert_int_not_equal(config_check_monitor(&cfg, TASK_MULTICLASS, &err), 0);
    config_free(&cfg);
}

int main(void)
{
    enum { NBAD = sizeof bad / sizeof bad[0], NFIXED = 7 };
    struct CMUnitTest tests[NBAD + NFIXED] = {
        cmocka_unit_test(test_danq_book_counts), cmocka_unit_test(test_danq_counts),
        cmocka_unit_test(test_deepsea_counts),
        cmocka_unit_test(test_seed_lstm_counts), cmocka_unit_test(test_short_conv_counts),
        cmocka_unit_test(test_set_overrides),
        cmocka_unit_test(test_missing_file),
        cmocka_unit_test(test_regression_losses),
    };
    for (int i = 0; i < NBAD; i++)
        tests[NFIXED + i] = (struct CMUnitTest){bad[i].name, run_bad, NULL, NULL, (void *)&bad[i]};
    return _cmocka_run_group_tests("config", tests, NBAD + NFIXED, NULL, NULL);
}
