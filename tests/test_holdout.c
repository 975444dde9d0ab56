/* test_holdout.c: the chromosome hold-out from the library side. A data file made here (rows on
 * five chromosomes, interleaved) with /chrom, /start, /end and /strand written through coords.c:
 * read back as coordinates and as a per-row chromosome index; plan_rows puts exactly the rows of
 * data.test_chroms in test and of data.valid_chroms in validation, the rest in training; folds by
 * chromosome hold whole chromosomes, balanced by rows, the same for every seed; and each bad
 * request is refused with one message naming it. The command-line side is tests/test_holdout.sh. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "data_fixtures.h"
#include "data/coords.h"
#include "data/data_table.h"
#include "data/dataset.h"
#include "data/h5io.h"
#include "nn/config.h"
#include "parallel/par.h"
#include "parallel/plan.h"

#define N 300
#define L 12

static const char *const NAMES[5] = {"chr1", "chr2", "chr3", "chrX", "chr10"};

#define assert_contains(text, part)                                                                \
    do {                                                                                           \
        if (!strstr((text), (part))) {                                                             \
            print_error("expected \"%s\" in \"%s\"\n", (part), (text));                            \
            fail();                                                                                \
        }                                                                                          \
    } while (0)

/* Row i's chromosome: uneven sizes, interleaved. */
static int chrom_of(int i)
{
    int r = i * 37 % 100; /* every residue three times: 105, 75, 54, 36 and 30 rows */
    return r < 35 ? 0 : r < 60 ? 1 : r < 78 ? 2 : r < 90 ? 3 : 4;
}

/* A file of N binary rows; with_coords adds the coordinates. */
static const char *make_file(const char *name, int with_coords)
{
    const char *p = fx_path(name);
    Error err = {{0}};
    uint8_t tok[N * L];
    float y[N];
    for (int i = 0; i < N * L; i++)
        tok[i] = (uint8_t)(1 + (i * 31 + i / 7) % 4);
    for (int i = 0; i < N; i++)
        y[i] = (float)((i * 13) % 3 == 0);
    DatasetSpec spec = {.n = N, .length = L, .targets = 1, .task = TASK_BINARY, .padding = PAD_PRE};
    DatasetWriter *w = dataset_writer_open(p, &spec, &err);
    assert_non_null(w);
    assert_int_equal(dataset_writer_append(w, N, tok, y, NULL, NULL, NULL, &err), 0);
    assert_int_equal(dataset_writer_finish(w, &err), 0);
    if (!with_coords)
        return p;
    char *chrom[N], *strand[N];
    int64_t start[N], end[N];
    for (int i = 0; i < N; i++) {
        chrom[i] = (char *)NAMES[chrom_of(i)];
        strand[i] = i % 2 ? "-" : "+";
        start[i] = 1000 + 200 * (int64_t)i;
        end[i] = start[i] + L;
    }
    Coords c = {N, chrom, start, end, strand};
    H5File *f = h5_open(p, 1, &err);
    assert_non_null(f);
    assert_int_equal(coords_write(f, &c, &err), 0);
    assert_int_equal(h5_close(f, &err), 0);
    return p;
}

static void test_coords_round_trip(void **state)
{
    Error err = {{0}};
    const char *p = make_file("coords.h5", 1);
    Coords c;
    assert_int_equal(coords_read(p, N, &c, &err), 0);
    assert_non_null(c.chrom);
    assert_non_null(c.strand);
    for (int i = 0; i < N; i++) {
        assert_string_equal(c.chrom[i], NAMES[chrom_of(i)]);
        assert_int_equal(c.start[i], 1000 + 200 * i);
        assert_int_equal(c.end[i], 1000 + 200 * i + L);
        assert_string_equal(c.strand[i], i % 2 ? "-" : "+");
    }
    coords_free(&c);
    ChromIndex ix;
    assert_int_equal(chrom_index_read(p, N, &ix, &err), 0);
    assert_int_equal(ix.n_names, 5);
    int64_t total = 0;
    for (int i = 0; i < N; i++)
        assert_string_equal(ix.names[ix.of_row[i]], NAMES[chrom_of(i)]);
    for (int k = 0; k < ix.n_names; k++)
        total += ix.rows[k];
    assert_int_equal(total, N);
    chrom_index_free(&ix);
    /* no coordinates: nothing, and no error */
    const char *plain = make_file("plain.h5", 0);
    assert_int_equal(coords_read(plain, N, &c, &err), 0);
    assert_null(c.chrom);
    assert_int_equal(chrom_index_read(plain, N, &ix, &err), 0);
    assert_null(ix.of_row);
    assert_int_equal(coords_present(plain, &err), 0);
    assert_int_equal(coords_present(p, &err), 1);
}

static void load_config(Config *cfg, const char *sets)
{
    Error err = {{0}};
    assert_int_equal(config_load_text(cfg, "[train]\nseed = 7\n[onehot]\n[output]\ntype = dense\n",
                                      "holdout.ini", &err), 0);
    char buf[256];
    snprintf(buf, sizeof buf, "%s", sets);
    for (char *s = strtok(buf, " "); s; s = strtok(NULL, " "))
        if (config_set(cfg, s, &err) != 0)
            fail_msg("%s: %s", s, err.msg);
}

/* Every row of `set` is on a chromosome of `mask` (bits over NAMES), in increasing order, and set
 * has `expected` rows (-1: every row of the file on those chromosomes). */
static void assert_rows_on(const RowSet *set, int mask, int64_t expected)
{
    int64_t n = 0;
    for (int i = 0; i < N; i++)
        n += (mask >> chrom_of(i)) & 1;
    assert_int_equal(set->n, expected < 0 ? n : expected);
    for (int64_t i = 0; i < set->n; i++) {
        assert_true((mask >> chrom_of((int)set->rows[i])) & 1);
        if (i > 0)
            assert_true(set->rows[i] > set->rows[i - 1]);
    }
}

static void test_plan_by_chromosome(void **state)
{
    Error err = {{0}};
    DataTable t;
    assert_int_equal(data_table_load(&t, make_file("plan.h5", 1), &err), 0);
    Config cfg;
    load_config(&cfg, "data.test_chroms=chrX,chr10 data.valid_chroms=chr2");
    RowPlan p;
    assert_int_equal(plan_rows(par_world(), &cfg, &t, NULL, NULL, 0, 0, 0, &p, &err), 0);
    assert_rows_on(&p.test, (1 << 3) | (1 << 4), -1);
    assert_rows_on(&p.valid, 1 << 1, -1);
    assert_rows_on(&p.train, (1 << 0) | (1 << 2), -1);
    assert_int_equal(p.rest.n, p.train.n + p.valid.n);
    plan_free(&p);
    config_free(&cfg);
    /* valid_chroms alone: the test rows are drawn from the other chromosomes */
    load_config(&cfg, "data.valid_chroms=chr1 data.test_fraction=0.3");
    assert_int_equal(plan_rows(par_world(), &cfg, &t, NULL, NULL, 0, 0, 0, &p, &err), 0);
    assert_rows_on(&p.valid, 1 << 0, -1);
    assert_rows_on(&p.test, 0x1e, p.test.n);
    assert_true(p.test.n > 0);
    assert_int_equal(p.train.n + p.valid.n + p.test.n, N);
    assert_int_equal(p.rest.n, p.train.n + p.valid.n);
    plan_free(&p);
    config_free(&cfg);
    data_table_free(&t);
}

static void test_folds_by_chromosome(void **state)
{
    Error err = {{0}};
    DataTable t;
    assert_int_equal(data_table_load(&t, make_file("folds.h5", 1), &err), 0);
    RowSet all = rowset_all(N);
    int fold[N], again[N], chrom_fold[5];
    assert_int_equal(assign_folds_by_chrom(&t, &all, 3, fold, chrom_fold, &err), 0);
    int64_t load[3] = {0}, biggest = 0;
    for (int i = 0; i < N; i++) {
        int c = t.chroms.of_row[i];
        assert_int_equal(fold[i], chrom_fold[c]); /* a chromosome lies in one fold */
        load[fold[i]]++;
    }
    for (int c = 0; c < 5; c++)
        biggest = t.chroms.rows[c] > biggest ? t.chroms.rows[c] : biggest;
    for (int k = 0; k < 3; k++) /* greedy: no fold more than the biggest chromosome above another */
        for (int j = 0; j < 3; j++)
            assert_true(load[k] > 0 && load[k] - load[j] <= biggest);
    assert_int_equal(assign_folds_by_chrom(&t, &all, 3, again, NULL, &err), 0);
    assert_memory_equal(fold, again, sizeof fold);
    assert_int_equal(assign_folds_by_chrom(&t, &all, 6, again, NULL, &err), -1);
    assert_contains(err.msg, "6 folds by chromosome");
    assert_contains(err.msg, "5 chromosomes");
    rowset_free(&all);
    /* through the plan: the same for any seed, and the validation rows are whole chromosomes */
    Config cfg;
    RowPlan p[2];
    load_config(&cfg, "data.test_chroms=chr10 data.folds_by=chrom");
    for (int s = 0; s < 2; s++) {
        if (s)
            assert_int_equal(config_set(&cfg, "train.seed=99", &err), 0);
        assert_int_equal(plan_rows(par_world(), &cfg, &t, NULL, NULL, 0, 2, 1, &p[s], &err), 0);
    }
    assert_int_equal(p[0].valid.n, p[1].valid.n);
    assert_memory_equal(p[0].valid.rows, p[1].valid.rows, sizeof(int64_t) * (size_t)p[0].valid.n);
    assert_rows_on(&p[0].test, 1 << 4, -1);
    int in_valid[5] = {0};
    for (int64_t i = 0; i < p[0].valid.n; i++)
        in_valid[chrom_of((int)p[0].valid.rows[i])] = 1;
    int mask = 0;
    for (int c = 0; c < 5; c++)
        mask |= in_valid[c] << c;
    assert_rows_on(&p[0].valid, mask, -1); /* every row of those chromosomes */
    plan_free(&p[0]), plan_free(&p[1]);
    config_free(&cfg);
    data_table_free(&t);
}

/* One refusal: the plan fails with every part of the message. */
static void refused(DataTable *t, const char *sets, int folds, const char *part1, const char *part2)
{
    Error err = {{0}};
    Config cfg;
    load_config(&cfg, sets);
    RowPlan p;
    assert_int_equal(plan_rows(par_world(), &cfg, t, NULL, NULL, 0, folds, 0, &p, &err), -1);
    assert_contains(err.msg, part1);
    assert_contains(err.msg, part2);
    assert_null(strchr(err.msg, '\n'));
    config_free(&cfg);
}

static void test_refusals(void **state)
{
    Error err = {{0}};
    DataTable t, plain;
    assert_int_equal(data_table_load(&t, make_file("refuse.h5", 1), &err), 0);
    assert_int_equal(data_table_load(&plain, make_file("refuse_plain.h5", 0), &err), 0);
    refused(&t, "data.test_chroms=chr1,chr7", 0, "chr7", "refuse.h5");
    refused(&t, "data.valid_chroms=chrY", 0, "data.valid_chroms", "chrY");
    refused(&t, "data.test_chroms=chr1 data.folds_by=chrom", 5, "5 folds by chromosome", "4 chromosomes");
    refused(&t, "data.valid_chroms=chr1", 3, "data.valid_chroms", "folds");
    refused(&plain, "data.test_chroms=chr1", 0, "refuse_plain.h5", "no /chrom");
    refused(&plain, "data.folds_by=chrom", 3, "refuse_plain.h5", "no /chrom");
    data_table_free(&t);
    data_table_free(&plain);
    /* the config refuses lists that overlap or are malformed */
    Config cfg;
    assert_int_equal(config_load_text(&cfg, "[data]\nvalid_chroms = chr1, chr2\ntest_chroms = chr2\n"
                                      "[onehot]\n[output]\ntype = dense\n", "x.ini", &err), -1);
    assert_contains(err.msg, "both name chr2");
    config_free(&cfg);
    const char *bad[] = {"data.test_chroms=chr1,", "data.test_chroms=,chr1", "data.test_chroms=a b",
                         "data.test_chroms=chr1,chr1", "data.folds_by=genes"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        load_config(&cfg, "");
        assert_int_equal(config_set(&cfg, bad[i], &err), -1);
        assert_contains(err.msg, "--set data.");
        config_free(&cfg);
    }
    load_config(&cfg, "data.test_chroms=chr8,chr9");
    assert_string_equal(cfg.test_chroms, "chr8,chr9");
    assert_int_equal(config_set(&cfg, "data.valid_chroms= chr7 ", &err), 0);
    assert_string_equal(cfg.valid_chroms, "chr7");
    config_free(&cfg);
}

int main(int argc, char **argv)
{
    setenv("OMPI_ALLOW_RUN_AS_ROOT", "1", 1);
    setenv("OMPI_ALLOW_RUN_AS_ROOT_CONFIRM", "1", 1);
    par_init(&argc, &argv);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_coords_round_trip),
        cmocka_unit_test(test_plan_by_chromosome),
        cmocka_unit_test(test_folds_by_chromosome),
        cmocka_unit_test(test_refusals),
    };
    int failed = cmocka_run_group_tests_name("holdout", tests, NULL, NULL);
    fx_cleanup();
    par_finalize();
    return failed;
}
