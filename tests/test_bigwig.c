/* test_bigwig.c: the bigWig door (data/bigwig.h): a file written through bigwig_create holds what
 * was added (chromosomes, lengths), and bigwig_sums over many windows (overlapping, touching,
 * empty, past the last interval, one base) equals a per-base reference summed here in double,
 * NaN and bases without data counting as 0, for windows walked in one stretch and in several
 * (far apart). Refused: a file that is not bigWig, a missing file, windows out of order; target
 * names from file names. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "data/bigwig.h"
#include "testutil.h"

#define LEN1 3000000u /* long enough for walks far apart (> 256 kb) */
#define LEN2 5000u

typedef struct {
    char path[64];
    double *base; /* (LEN1) chr1's per-base signal, NaN and no data as 0 */
} Fixture;

/* chr1: intervals of 1..200 bp with gaps, a NaN one, touching one-base runs, the last base;
 * chr2: one interval. */
static int setup(void **state)
{
    Fixture *f = calloc(1, sizeof *f);
    snprintf(f->path, sizeof f->path, "/tmp/gseq_test_bigwig_%d.bw", (int)getpid());
    f->base = calloc(LEN1, sizeof *f->base);
    const char *names[] = {"chr1", "chr2"};
    const uint32_t lens[] = {LEN1, LEN2};
    Error err = {{0}};
    BigWigWriter *w = bigwig_create(f->path, 2, names, lens, &err);
    assert_non_null(w);
    uint32_t n = 0, cap = 200000, *s = malloc(cap * 4), *e = malloc(cap * 4);
    float *v = malloc(cap * 4);
    uint64_t r = 12345;
    for (uint32_t pos = 0; pos < LEN1 - 1000 && n < cap - 1;) {
        r = r * 6364136223846793005ull + 1442695040888963407ull;
        uint32_t k = 1 + (uint32_t)(r >> 33) % 200, gap = (uint32_t)(r >> 20) % 3 ? 0 : (uint32_t)(r >> 40) % 500;
        if (pos > 1000000 && pos < 1500000) /* a stretch without data: walks far apart */
            gap = 600000;
        pos += gap;
        if (pos + k > LEN1 - 1000)
            break;
        s[n] = pos;
        e[n] = pos + k;
        v[n] = n == 77 ? NAN : (float)((double)(r >> 44) / 8192.0 - 64.0);
        for (uint32_t b = pos; b < pos + k; b++)
            f->base[b] = n == 77 ? 0.0 : v[n];
        pos += k;
        n++;
    }
    s[n] = LEN1 - 1;
    e[n] = LEN1;
    v[n] = 5.5f;
    f->base[LEN1 - 1] = 5.5;
    n++;
    assert_int_equal(bigwig_add(w, "chr1", n, s, e, v, &err), 0);
    uint32_t s2 = 100, e2 = 200;
    float v2 = 2.0f;
    assert_int_equal(bigwig_add(w, "chr2", 1, &s2, &e2, &v2, &err), 0);
    assert_int_equal(bigwig_finish(w, &err), 0);
    free(s);
    free(e);
    free(v);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    Fixture *f = *state;
    unlink(f->path);
    free(f->base);
    free(f);
    return 0;
}

static void test_bigwig_chroms(void **state)
{
    Fixture *f = *state;
    Error err = {{0}};
    BigWig *bw = bigwig_open(f->path, &err);
    assert_non_null(bw);
    assert_int_equal(bigwig_count(bw), 2);
    assert_string_equal(bigwig_name(bw, 1), "chr2");
    assert_int_equal(bigwig_length(bw, 0), LEN1);
    assert_int_equal(bigwig_find(bw, "chr2"), 1);
    assert_int_equal(bigwig_find(bw, "chrX"), -1);
    assert_string_equal(bigwig_path(bw), f->path);
    bigwig_close(bw);
}

/* Windows of length L every `step` from `first`, and their sums against the per-base reference. */
static double check_windows(BigWig *bw, const double *base, int64_t first, int64_t step, int64_t L,
                            int64_t n)
{
    int64_t *s = malloc((size_t)n * 8), *e = malloc((size_t)n * 8);
    double *got = malloc((size_t)n * 8), *want = calloc((size_t)n, 8);
    for (int64_t i = 0; i < n; i++) {
        s[i] = first + i * step;
        e[i] = s[i] + L > LEN1 ? LEN1 : s[i] + L;
        for (int64_t b = s[i]; b < e[i]; b++)
            want[i] += base[b];
    }
    Error err = {{0}};
    assert_int_equal(bigwig_sums(bw, 0, n, s, e, got, &err), 0);
    double worst = compare_dd("window sums", got, want, (size_t)n, 1e-9, 1e-12);
    free(s);
    free(e);
    free(got);
    free(want);
    return worst;
}

static void test_bigwig_sums(void **state)
{
    Fixture *f = *state;
    Error err = {{0}};
    BigWig *bw = bigwig_open(f->path, &err);
    assert_non_null(bw);
    assert_true(check_windows(bw, f->base, 0, 200, 200, LEN1 / 200) <= 1);  /* touching bins */
    assert_true(check_windows(bw, f->base, 50, 200, 1000, 14000) <= 1);     /* overlapping */
    assert_true(check_windows(bw, f->base, 7, 1, 1, 20000) <= 1);           /* one base each */
    assert_true(check_windows(bw, f->base, 0, 299999, 5000, 10) <= 1);      /* far apart */
    assert_true(check_windows(bw, f->base, LEN1 - 300, 10, 400, 30) <= 1);  /* the end, clipped */
    /* an empty window, chr2 */
    int64_t s[2] = {150, 150}, e[2] = {150, 250};
    double sum[2];
    assert_int_equal(bigwig_sums(bw, 1, 2, s, e, sum, &err), 0);
    assert_true(sum[0] == 0 && sum[1] == 100.0);
    /* out of order */
    int64_t s2[2] = {500, 100}, e2[2] = {600, 200};
    assert_int_equal(bigwig_sums(bw, 0, 2, s2, e2, sum, &err), -1);
    assert_non_null(strstr(err.msg, "out of order"));
    bigwig_close(bw);
}

static void test_bigwig_refused(void **state)
{
    (void)state;
    Error err = {{0}};
    assert_null(bigwig_open("/tmp/gseq_no_such_file.bw", &err));
    assert_non_null(strstr(err.msg, "/tmp/gseq_no_such_file.bw: cannot open"));
    char path[64];
    snprintf(path, sizeof path, "/tmp/gseq_test_notbw_%d.bw", (int)getpid());
    FILE *fp = fopen(path, "w");
    fputs("chr1\t0\t10\t1.0\n", fp);
    fclose(fp);
    memset(&err, 0, sizeof err);
    assert_null(bigwig_open(path, &err));
    assert_non_null(strstr(err.msg, ": not a bigWig file (or cannot be read)"));
    unlink(path);
}

static void test_bigwig_target_name(void **state)
{
    (void)state;
    const char *in[] = {"a/b/DNase.bw", "H3K27ac.bigWig", "x.bigwig", "plain", ".bw", "c.bw.txt"};
    const char *out[] = {"DNase", "H3K27ac", "x", "plain", ".bw", "c.bw.txt"};
    for (size_t i = 0; i < sizeof in / sizeof *in; i++) {
        char *name = bigwig_target_name(in[i]);
        assert_string_equal(name, out[i]);
        free(name);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_bigwig_chroms, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bigwig_sums, setup, teardown),
        cmocka_unit_test(test_bigwig_refused),
        cmocka_unit_test(test_bigwig_target_name),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
