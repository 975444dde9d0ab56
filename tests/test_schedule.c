/* test_schedule.c: the learning-rate schedules (schedule.h) against the formulas written out here
 * independently, in double, step by step; the plateau's cuts over a given sequence of epoch values;
 * the config keys that set them and their errors; the class-weight keys. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "nn/config.h"
#include "nn/schedule.h"

static Config load(const char *train_keys)
{
    char text[1024];
    snprintf(text, sizeof text, "[train]\n%s\n[onehot]\n[dense]\n", train_keys);
    Config cfg;
    Error err;
    if (config_load_text(&cfg, text, "t.ini", &err) != 0)
        fail_msg("%s", err.msg);
    return cfg;
}

static void expect_close(const char *what, long step, double got, double want)
{
    if (fabs(got - want) > 1e-9 + 2e-7 * fabs(want))
        fail_msg("%s, step %ld: got %.9g, want %.9g", what, step, got, want);
}

/* constant with warmup: lr (s+1)/W for s < W, then lr */
static void test_constant_warmup(void **state)
{
    Config cfg = load("lr = 0.01\nwarmup_steps = 8");
    ScheduleState s = schedule_start(&cfg.train);
    for (long k = 0; k < 30; k++)
        expect_close("constant", k, schedule_lr(&cfg.train, &s, k, 30),
                     k < 8 ? 0.01 * (k + 1) / 8.0 : 0.01);
    assert_int_equal(schedule_epoch_end(&cfg.train, &s, 1.0), 0);
    config_free(&cfg);
}

/* cosine: a half period from lr at the end of the warmup to min_lr at the last step + 1 */
static void test_cosine(void **state)
{
    Config cfg = load("lr = 0.004\nschedule = cosine\nwarmup_steps = 5\nmin_lr = 0.0001");
    ScheduleState s = schedule_start(&cfg.train);
    const long S = 105, W = 5;
    for (long k = 0; k < S; k++) {
        double want = k < W ? 0.004 * (k + 1) / W
                            : 0.0001 + 0.5 * (0.004 - 0.0001) * (1 + cos(acos(-1.0) * (k - W) / (S - W)));
        expect_close("cosine", k, schedule_lr(&cfg.train, &s, k, S), want);
    }
    /* the fixed points: the top after the warmup, the middle, the floor past the end */
    expect_close("cosine top", W, schedule_lr(&cfg.train, &s, W, S), 0.004);
    expect_close("cosine middle", 55, schedule_lr(&cfg.train, &s, 55, S), (0.004 + 0.0001) / 2);
    expect_close("cosine end", S, schedule_lr(&cfg.train, &s, S, S), 0.0001);
    config_free(&cfg);
}

/* plateau, patience 2, factor 0.5, floor 0.0003: the values and where the rate falls */
static void test_plateau(void **state)
{
    Config cfg = load("lr = 0.002\nschedule = plateau\nplateau_patience = 2\nplateau_factor = 0.5\n"
                      "min_lr = 0.0003\nmin_delta = 0.01");
    ScheduleState s = schedule_start(&cfg.train);
    /* epoch values:  improve, improve, too small a gain, same, better, worse, worse, worse, worse */
    double score[] = {1.0, 0.9, 0.895, 0.9, 0.8, 0.85, 0.81, 0.82, 0.9, 0.95, 0.99};
    int cut[] = {0, 0, 0, 1, 0, 0, 1, 0, 1, 0, 0};
    double lr_after[] = {0.002, 0.002, 0.002, 0.001, 0.001, 0.001, 0.0005, 0.0005, 0.0003, 0.0003, 0.0003};
    for (int e = 0; e < 11; e++) {
        int c = schedule_epoch_end(&cfg.train, &s, score[e]);
        if (c != cut[e])
            fail_msg("epoch %d: cut %d, want %d", e + 1, c, cut[e]);
        expect_close("plateau", e, schedule_lr(&cfg.train, &s, 100 + e, 1000), lr_after[e]);
    }
    /* a NaN value never counts as an improvement */
    ScheduleState t = schedule_start(&cfg.train);
    assert_int_equal(schedule_epoch_end(&cfg.train, &t, NAN), 0);
    assert_int_equal(schedule_epoch_end(&cfg.train, &t, NAN), 1);
    config_free(&cfg);
}

/* The keys' values and their errors, each naming the file, the line and the key. */
static void test_keys(void **state)
{
    Config cfg = load("pos_weight = 2.5, 1,3");
    assert_int_equal(cfg.train.n_pos_weight, 3);
    assert_true(cfg.train.pos_weight[0] == 2.5f && cfg.train.pos_weight[2] == 3.0f);
    assert_int_equal(cfg.train.schedule, SCHEDULE_CONSTANT);
    config_free(&cfg);
    cfg = load("pos_weight = auto\nclass_weight = auto");
    assert_true(cfg.train.pos_weight_auto && cfg.train.class_weight_auto && !cfg.train.n_pos_weight);
    config_free(&cfg);
    const struct {
        const char *keys, *msg;
    } bad[] = {
        {"schedule = step", "t.ini:2: [train] schedule = step: expected constant, plateau or cosine"},
        {"warmup_steps = -1", "t.ini:2: [train] warmup_steps = -1: expected an integer >= 0"},
        {"plateau_factor = 1.5", "t.ini:2: [train] plateau_factor = 1.5: expected a number in (0, 1]"},
        {"plateau_patience = 0", "t.ini:2: [train] plateau_patience = 0: expected an integer >= 1"},
        {"pos_weight = 2,,3", "t.ini:2: [train] pos_weight = 2,,3: expected none, auto, a number"},
        {"pos_weight = -1", "t.ini:2: [train] pos_weight = -1: expected none, auto, a number"},
        {"class_weight = 3", "t.ini:2: [train] class_weight = 3: expected none or auto"},
        {"lr_schedule = cosine", "t.ini:2: [train] unknown key 'lr_schedule'"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        char text[512];
        snprintf(text, sizeof text, "[train]\n%s\n[onehot]\n[dense]\n", bad[i].keys);
        Config c;
        Error err;
        assert_int_not_equal(config_load_text(&c, text, "t.ini", &err), 0);
        if (strncmp(err.msg, bad[i].msg, strlen(bad[i].msg)) != 0)
            fail_msg("'%s': got '%s', want '%s...'", bad[i].keys, err.msg, bad[i].msg);
        config_free(&c);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_constant_warmup), cmocka_unit_test(test_cosine),
        cmocka_unit_test(test_plateau), cmocka_unit_test(test_keys),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
