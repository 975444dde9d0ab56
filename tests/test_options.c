/* test_options.c: the one option parser of the commands (src/cli/options.c). Every kind of entry
 * reads its text into its place; an unknown option, a missing value, a number that is not one or
 * is out of its range, a name that is not a choice, a repeatable option used too often and a
 * missing required option are each refused with the one wording every command shares; --help is
 * generated from the same table and lists every option. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "cli/options.h"

typedef struct {
    const char *out, *name;
    int threads, quiet, mode, exchange;
    int64_t seed;
    double rate;
    OptList sets;
} Args;

static const OptChoice modes[] = {{"shared", 10}, {"shard", 20}, {NULL, 0}};
static const OptChoice rings[] = {{"auto", 0}, {"shared", 1}, {"ring", 2}, {"buckets", 3}, {NULL, 0}};

/* The table of a made-up command "demo", over a. */
static const Option *demo_options(Args *a)
{
    static Option o[16];
    const Option table[] = {
        OPT_REQUIRED("out", "DIR", &a->out, "where to write"),
        OPT_STRING("name", "NAME", &a->name, "a name\nover two lines"),
        OPT_INT("threads", "N", &a->threads, 1, 1000000, "threads"),
        OPT_INT64("seed", "S", &a->seed, 0, INT64_MAX, "a seed"),
        OPT_DOUBLE("rate", "P", &a->rate, 0, 1, "a probability"),
        OPT_FLAG("quiet", &a->quiet, "say nothing"),
        OPT_CHOICE("mode", "MODE", &a->mode, modes, "shared or shard"),
        OPT_CHOICE("exchange", NULL, &a->exchange, rings, "how to sum"),
        OPT_SET("overlap", &a->exchange, 3, "the same as --exchange buckets"),
        OPT_LIST("set", "SEC.KEY=VALUE", &a->sets, 3, "repeatable, at most 3"),
        OPT_END,
    };
    memcpy(o, table, sizeof table);
    return o;
}

/* Parses the NULL-ended words after the command name; returns opt_parse's result. */
static int parse(Args *a, Error *err, ...)
{
    char *argv[32] = {"demo"};
    int argc = 1;
    va_list ap;
    va_start(ap, err);
    for (char *w; (w = va_arg(ap, char *)) != NULL && argc < 31;)
        argv[argc++] = w;
    va_end(ap);
    memset(a, 0, sizeof *a);
    a->threads = 7; /* a default the parser must keep when --threads is not given */
    OptCommand cmd = {"demo", "usage: gseq_mpi demo --out DIR [options]\n", demo_options(a)};
    memset(err, 0, sizeof *err);
    return opt_parse(&cmd, argc, argv, err);
}

static void expect_error(int rc, const Error *err, const char *want)
{
    printf("    -> %s\n", err->msg);
    assert_int_equal(rc, -1);
    if (strcmp(err->msg, want) != 0)
        fail_msg("expected \"%s\", got \"%s\"", want, err->msg);
}

static void test_every_kind_reads_its_value(void **state)
{
    (void)state;
    Args a;
    Error err;
    assert_int_equal(parse(&a, &err, "--out", "d", "--name=x=y", "--threads", "4", "--seed",
                           "9223372036854775807", "--rate", "0.25", "--quiet", "--mode", "shard",
                           "--exchange", "ring", "--set", "a.b=1", "--set", "c.d=2", NULL), 0);
    assert_string_equal(a.out, "d");
    assert_string_equal(a.name, "x=y"); /* only the first '=' splits */
    assert_int_equal(a.threads, 4);
    assert_true(a.seed == INT64_MAX);
    assert_true(a.rate == 0.25);
    assert_int_equal(a.quiet, 1);
    assert_int_equal(a.mode, 20);
    assert_int_equal(a.exchange, 2);
    assert_int_equal(a.sets.n, 2);
    assert_string_equal(a.sets.item[0], "a.b=1");
    assert_string_equal(a.sets.item[1], "c.d=2");
    /* defaults stay; the last of a repeated single option wins; a SET flag stores its value */
    assert_int_equal(parse(&a, &err, "--out", "d", "--name", "1", "--name", "2", "--overlap", NULL), 0);
    assert_int_equal(a.threads, 7);
    assert_string_equal(a.name, "2");
    assert_int_equal(a.exchange, 3);
}

static void test_unknown_option(void **state)
{
    (void)state;
    Args a;
    Error err;
    expect_error(parse(&a, &err, "--out", "d", "--bogus", NULL), &err,
                 "unknown option --bogus (see gseq_mpi demo --help)");
    expect_error(parse(&a, &err, "--bogus=3", NULL), &err,
                 "unknown option --bogus (see gseq_mpi demo --help)");
    expect_error(parse(&a, &err, "--thread", "3", NULL), &err, /* no prefixes */
                 "unknown option --thread (see gseq_mpi demo --help)");
    expect_error(parse(&a, &err, "stray", NULL), &err,
                 "unexpected argument 'stray' (options start with --; see gseq_mpi demo --help)");
    expect_error(parse(&a, &err, "--quiet=1", NULL), &err, "--quiet takes no value");
}

static void test_missing_value(void **state)
{
    (void)state;
    Args a;
    Error err;
    expect_error(parse(&a, &err, "--out", "d", "--threads", NULL), &err, "--threads needs a value");
    expect_error(parse(&a, &err, "--out", NULL), &err, "--out needs a value");
    expect_error(parse(&a, &err, "--quiet", NULL), &err, "--out DIR is required");
}

static void test_bad_number_and_range(void **state)
{
    (void)state;
    Args a;
    Error err;
    const char *want = "--threads 'abc': expected an integer from 1 to 1000000";
    expect_error(parse(&a, &err, "--out", "d", "--threads", "abc", NULL), &err, want);
    expect_error(parse(&a, &err, "--out", "d", "--threads", "4x", NULL), &err,
                 "--threads '4x': expected an integer from 1 to 1000000");
    expect_error(parse(&a, &err, "--out", "d", "--threads", "", NULL), &err,
                 "--threads '': expected an integer from 1 to 1000000");
    expect_error(parse(&a, &err, "--out", "d", "--threads", "0", NULL), &err,
                 "--threads '0': expected an integer from 1 to 1000000");
    expect_error(parse(&a, &err, "--out", "d", "--threads=1000001", NULL), &err,
                 "--threads '1000001': expected an integer from 1 to 1000000");
    expect_error(parse(&a, &err, "--out", "d", "--threads", "99999999999999999999", NULL), &err,
                 "--threads '99999999999999999999': expected an integer from 1 to 1000000");
    assert_int_equal(parse(&a, &err, "--out", "d", "--threads", "1000000", NULL), 0);
    assert_int_equal(a.threads, 1000000);
    assert_int_equal(parse(&a, &err, "--out", "d", "--threads", "1", NULL), 0);
    expect_error(parse(&a, &err, "--out", "d", "--seed", "-1", NULL), &err,
                 "--seed '-1': expected an integer from 0 to 9223372036854775807");
    expect_error(parse(&a, &err, "--out", "d", "--rate", "1.5", NULL), &err,
                 "--rate '1.5': expected a number from 0 to 1");
    expect_error(parse(&a, &err, "--out", "d", "--rate", "nan", NULL), &err,
                 "--rate 'nan': expected a number from 0 to 1");
    assert_int_equal(parse(&a, &err, "--out", "d", "--rate", "1", NULL), 0);
}

static void test_choice(void **state)
{
    (void)state;
    Args a;
    Error err;
    expect_error(parse(&a, &err, "--out", "d", "--mode", "striped", NULL), &err,
                 "--mode 'striped': expected shared or shard");
    expect_error(parse(&a, &err, "--out", "d", "--exchange", "fast", NULL), &err,
                 "--exchange 'fast': expected auto, shared, ring or buckets");
}

static void test_repeatable_option(void **state)
{
    (void)state;
    Args a;
    Error err;
    assert_int_equal(parse(&a, &err, "--out", "d", "--set", "1", "--set", "2", "--set", "3", NULL), 0);
    assert_int_equal(a.sets.n, 3);
    expect_error(parse(&a, &err, "--out", "d", "--set", "1", "--set", "2", "--set", "3", "--set",
                       "4", NULL), &err, "more than 3 --set options");
}

static void test_help_is_the_table(void **state)
{
    (void)state;
    Args a;
    Error err;
    assert_int_equal(parse(&a, &err, "--threads", "bad", "--help", NULL), -1); /* in order */
    assert_int_equal(parse(&a, &err, "--help", "--bogus", NULL), 1);
    assert_int_equal(parse(&a, &err, "-h", NULL), 1); /* --out is not required for help */
    OptCommand cmd = {"demo", "usage: gseq_mpi demo --out DIR [options]\n", demo_options(&a)};
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    assert_non_null(f);
    opt_help(&cmd, f);
    fclose(f);
    printf("%s", text);
    assert_non_null(strstr(text, "usage: gseq_mpi demo --out DIR [options]\n"));
    for (const Option *o = cmd.options; o->kind != OPT_KIND_END; o++) {
        char want[128];
        snprintf(want, sizeof want, "  --%s%s%s ", o->name, o->arg ? " " : "", o->arg ? o->arg : "");
        if (!o->arg && o->kind == OPT_KIND_CHOICE)
            snprintf(want, sizeof want, "  --%s auto|shared|ring|buckets", o->name);
        if (!strstr(text, want))
            fail_msg("--help does not list '%s'", want);
        size_t first = strcspn(o->help, "\n");
        char line[128];
        snprintf(line, sizeof line, "%.*s\n", (int)first, o->help);
        assert_non_null(strstr(text, line));
    }
    assert_non_null(strstr(text, "a name\n                         over two lines\n"));
    free(text);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_kind_reads_its_value),
        cmocka_unit_test(test_unknown_option),
        cmocka_unit_test(test_missing_value),
        cmocka_unit_test(test_bad_number_and_range),
        cmocka_unit_test(test_choice),
        cmocka_unit_test(test_repeatable_option),
        cmocka_unit_test(test_help_is_the_table),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
