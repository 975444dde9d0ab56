/* test_json_out.c: the JSON writer (base/json_out.c) on its own: non-finite numbers are null and
 * finite ones keep 10 significant digits; strings are escaped and made UTF-8; a whole file appears
 * or does not; a JSON Lines record that cannot be written is an error naming the file. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "base/json_out.h"
#include "testutil.h"

#define WORK "build/test_json_out"

/* The text of value (taken), compared with want. */
static void expect_text(json_t *value, const char *want)
{
    char *text = json_out_text(value);
    if (strcmp(text, want) != 0)
        fail_msg("got %s, expected %s", text, want);
    free(text);
}

static void test_numbers(void **state)
{
    expect_text(json_out_pack("[o, o, o, o, o, o, o]", json_out_number(NAN),
                              json_out_number(INFINITY), json_out_number(-INFINITY),
                              json_out_number(0.1),
                              json_out_number(1.0 / 3.0), json_out_number(2.0),
                              json_out_number(1e-5)),
                "[null, null, null, 0.1, 0.3333333333, 2.0, 1e-5]");
    expect_text(json_out_pack("{s:I, s:i, s:b}", "n", (json_int_t)1 << 40, "epoch", 3, "rc", 1),
                "{\"n\": 1099511627776, \"epoch\": 3, \"rc\": true}");
    /* a float's value survives (9 significant digits are enough for one) */
    float f = 0.693147182f;
    char *text = json_out_text(json_out_number(f));
    assert_true((float)atof(text) == f);
    free(text);
}

static void test_strings(void **state)
{
    expect_text(json_out_string("a \"b\" \\ c\n\t"), "\"a \\\"b\\\" \\\\ c\\n\\t\"");
    /* valid UTF-8 (e acute, euro sign, G clef) is kept */
    expect_text(json_out_string("caf\xC3\xA9 \xE2\x82\xAC \xF0\x9D\x84\x9E"),
                "\"caf\xC3\xA9 \xE2\x82\xAC \xF0\x9D\x84\x9E\"");
    /* Latin-1, a lone continuation byte, an overlong NUL, a surrogate, a cut sequence: U+FFFD */
    expect_text(json_out_string("caf\xE9"), "\"caf\xEF\xBF\xBD\"");
    expect_text(json_out_string("\x80x"), "\"\xEF\xBF\xBDx\"");
    expect_text(json_out_string("\xC0\x80"), "\"\xEF\xBF\xBD\xEF\xBF\xBD\"");
    expect_text(json_out_string("\xED\xA0\x80"), "\"\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD\"");
    expect_text(json_out_string("\xE2\x82"), "\"\xEF\xBF\xBD\xEF\xBF\xBD\"");
    expect_text(json_out_string(NULL), "null");
}

/* The keys in the order they were added; nested values; one line. */
static void test_order_and_nesting(void **state)
{
    json_t *o = json_out_pack("{s:i, s:o}", "z", 1, "a", json_out_number(NAN));
    json_t *list = json_array();
    json_out_set(o, "list", list);
    json_out_push(list, json_out_pack("{s:s}", "m", "x"));
    json_out_push(list, json_array());
    json_out_set(o, "b", json_out_string("y"));
    expect_text(o, "{\"z\": 1, \"a\": null, \"list\": [{\"m\": \"x\"}, []], \"b\": \"y\"}");
}

static char *slurp(const char *path)
{
    static char buf[4096];
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    return buf;
}

static void test_write_file(void **state)
{
    Error err;
    const char *path = WORK "/a.json";
    json_t *v = json_out_pack("{s:o}", "x", json_out_number(NAN));
    assert_int_equal(json_out_write_file(path, v, &err), 0);
    assert_string_equal(slurp(path), "{\"x\": null}\n");
    assert_int_equal(run("! ls " WORK "/a.json.tmp* 2>/dev/null"), 0);
    /* a directory that is not there: an error naming the file, nothing written */
    const char *missing = WORK "/no/such/dir/b.json";
    assert_int_equal(json_out_write_file(missing, json_out_pack("{}"), &err), -1);
    if (!strstr(err.msg, missing) || !strstr(err.msg, "cannot write"))
        fail_msg("message: %s", err.msg);
}

static void test_append_line(void **state)
{
    Error err;
    const char *path = WORK "/m.jsonl";
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    for (int epoch = 1; epoch <= 2; epoch++) {
        json_t *v = json_out_pack("{s:i, s:o}", "epoch", epoch, "auroc", json_out_number(NAN));
        assert_int_equal(json_out_append_line(f, path, v, &err), 0);
    }
    assert_string_equal(slurp(path), "{\"epoch\": 1, \"auroc\": null}\n"
                                     "{\"epoch\": 2, \"auroc\": null}\n");
    fclose(f);
    /* a full disk: the record is refused with the file's name and why */
    f = fopen("/dev/full", "w");
    if (!f)
        skip();
    json_t *v = json_out_pack("{s:i}", "epoch", 1);
    assert_int_equal(json_out_append_line(f, "/dev/full", v, &err), -1);
    fclose(f);
    if (!strstr(err.msg, "/dev/full: cannot write: No space left on device"))
        fail_msg("message: %s", err.msg);
}

int main(void)
{
    if (run("mkdir -p " WORK) != 0)
        return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_numbers),
        cmocka_unit_test(test_strings),
        cmocka_unit_test(test_order_and_nesting),
        cmocka_unit_test(test_write_file),
        cmocka_unit_test(test_append_line),
    };
    return cmocka_run_group_tests_name("json_out", tests, NULL, NULL);
}
