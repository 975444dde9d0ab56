/* test_motifs.c: what `gseq_mpi motifs` is made of. The TOMTOM-like comparison (a JASPAR matrix
 * against itself and its reverse complement, against shuffled columns; the p-values and q-values);
 * the activation scan against the conv1d layer's own forward pass; the sites, position probability
 * matrices and information content against an independent NumPy computation
 * (tests/motifs_reference.py, skipped without /usr/bin/python3 and NumPy); MEME output read back. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "base/rng.h"
#include "data/dataset.h"
#include "data/motif.h"
#include "nn/kernels.h"
#include "parallel/par.h"
#include "testutil.h"
#include "train/motifs.h"

#define WORK "build/tests/motifs_work"
#define JASPAR "data/jaspar_vertebrates.pfm"

static MotifSet jaspar;

static int setup(void **state)
{
    (void)state;
    Error err;
    if (motif_read_jaspar(JASPAR, &jaspar, &err) != 0) {
        fprintf(stderr, "%s\n", err.msg);
        return -1;
    }
    return run("mkdir -p " WORK) == 0 ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    motif_set_free(&jaspar);
    return 0;
}

/* A copy of m with its columns in the order `order` (order[j]: the column put at j), optionally
 * reverse complemented after that. */
static void motif_reordered(const Motif *m, const int *order, int revcomp, Motif *out)
{
    const int W = m->width;
    double *c = xmalloc((size_t)W * 4, sizeof(double));
    for (int j = 0; j < W; j++)
        for (int b = 0; b < 4; b++) {
            int src = revcomp ? order[W - 1 - j] : order[j];
            c[4 * j + b] = m->counts[4 * src + (revcomp ? 3 - b : b)];
        }
    motif_from_counts(out, m->id, m->name, c, W, m->nsites);
    free(c);
}

static void test_pearson(void **state)
{
    (void)state;
    double a[4] = {0.7, 0.1, 0.1, 0.1}, b[4] = {0.1, 0.1, 0.1, 0.7}, u[4] = {0.25, 0.25, 0.25, 0.25};
    assert_true(fabs(motif_column_pearson(a, a) - 1) < 1e-12);
    assert_true(fabs(motif_column_pearson(a, b) + 1.0 / 3) < 1e-12); /* r of (6,0,0,0) and (0,0,0,6) */
    assert_true(motif_column_pearson(a, u) == 0); /* a constant column: 0, not NaN */
}

/* CTCF against itself and its reverse complement: offset 0, the right strand, every column r = 1,
 * better than against any other JASPAR matrix; a copy with its columns shuffled scores lower. */
static void test_compare_self(void **state)
{
    (void)state;
    const Motif *ctcf = motif_find(&jaspar, "CTCF");
    assert_non_null(ctcf);
    const int W = ctcf->width;
    int order[64];
    for (int j = 0; j < W; j++)
        order[j] = j;
    Motif same, rc, shuffled;
    motif_reordered(ctcf, order, 0, &same);
    motif_reordered(ctcf, order, 1, &rc);
    for (int j = W - 1; j > 0; j--) {
        int k = (int)(rng_u64_at(5, RNG_DATA, 1, 0, (uint64_t)j) % (uint64_t)(j + 1));
        int t = order[j];
        order[j] = order[k], order[k] = t;
    }
    motif_reordered(ctcf, order, 0, &shuffled);
    MotifAlign a = motif_compare(&same, ctcf, 5), r = motif_compare(&rc, ctcf, 5);
    MotifAlign s = motif_compare(&shuffled, ctcf, 5);
    printf("    self %.4f (offset %d strand %d), reverse complement %.4f (offset %d strand %d), "
           "shuffled %.4f\n", a.score, a.offset, a.strand, r.score, r.offset, r.strand, s.score);
    assert_int_equal(a.offset, 0), assert_int_equal(a.strand, 0), assert_int_equal(a.overlap, W);
    assert_int_equal(r.offset, 0), assert_int_equal(r.strand, 1), assert_int_equal(r.overlap, W);
    assert_true(fabs(a.score - W) < 1e-9 && fabs(r.score - W) < 1e-9);
    assert_true(s.score < a.score - 1);
    for (int i = 0; i < jaspar.n; i++)
        if (&jaspar.m[i] != ctcf)
            assert_true(motif_compare(&same, &jaspar.m[i], 5).score < a.score);
    double p_self = motif_compare_pvalue(&same, ctcf, a.score, 5, 1000, 1, 7);
    double p_shuf = motif_compare_pvalue(&shuffled, ctcf, s.score, 5, 1000, 1, 7);
    printf("    p-values: self %.3g, shuffled %.3g\n", p_self, p_shuf);
    assert_true(p_self < 1e-3);
    assert_true(p_shuf > p_self);
    motif_free(&same), motif_free(&rc), motif_free(&shuffled);
}

/* A motif inside a wider one: the offset says where, on either strand. */
static void test_compare_offset(void **state)
{
    (void)state;
    const Motif *g = motif_find(&jaspar, "Gata1");
    const int W = g->width, pad = 3, wide = W + 2 * pad;
    double *c = xmalloc((size_t)wide * 4, sizeof(double));
    for (int j = 0; j < wide; j++)
        for (int b = 0; b < 4; b++)
            c[4 * j + b] = j >= pad && j < pad + W ? g->counts[4 * (j - pad) + b] : g->nsites / 4;
    Motif q;
    motif_from_counts(&q, "q", "q", c, wide, g->nsites);
    MotifAlign a = motif_compare(&q, g, 5);
    assert_int_equal(a.offset, pad), assert_int_equal(a.strand, 0), assert_int_equal(a.overlap, W);
    motif_free(&q);
    free(c);
}

static void test_qvalues(void **state)
{
    (void)state;
    double p[5] = {0.04, 0.01, 0.03, 0.5, 0.02}, q[5];
    motif_qvalues(p, 5, q); /* sorted .01 .02 .03 .04 .5: *5/rank = .05 .05 .05 .05 .5 */
    const double want[5] = {0.05, 0.05, 0.05, 0.5, 0.05};
    for (int i = 0; i < 5; i++)
        assert_true(fabs(q[i] - want[i]) < 1e-12);
}

/* A conv1d layer with dyadic weights (exact sums in float and double) over random tokens with N
 * and padding. */
static Layer make_conv(int W, int F, int L, int max_batch)
{
    LayerSpec spec = spec_of(LAYER_CONV1D);
    spec.filters = F, spec.width = W, spec.act = ACT_RELU;
    Layer l = layer_make(spec, (Shape){L, 4}, 1, 0, 0, max_batch);
    for (size_t i = 0; i < l.n_params; i++)
        l.w[i] = (float)(floor(16 * rng_uniform_at(3, RNG_DATA, 9, 0, i)) - 6) / 8.0f;
    return l;
}

static void make_tokens(uint8_t *tok, int n, int L)
{
    uint8_t *mask = xmalloc((size_t)n * L, 1);
    tokens_with_padding(tok, mask, n, L, 11); /* 1..5 with pre-, post-padding and gaps */
    free(mask);
}

/* motifs_activations equals the conv1d layer's forward pass on the one-hot input. */
static void test_activations_match_layer(void **state)
{
    (void)state;
    enum { N = 6, L = 40, W = 7, F = 19 };
    Layer l = make_conv(W, F, L, N);
    uint8_t tok[N * L];
    uint8_t mask[N * L];
    tokens_with_padding(tok, mask, N, L, 11);
    float *x = xalloc_floats((size_t)N * L * 4), *want = xalloc_floats((size_t)N * (L - W + 1) * F);
    for (int i = 0; i < N * L; i++) {
        float fill = tok[i] == TOKEN_N ? 0.25f : 0.0f;
        for (int b = 0; b < 4; b++)
            x[4 * i + b] = tok[i] == TOKEN_A + b ? 1.0f : fill;
    }
    Pass p = {.n = N, .tokens = tok, .mask = mask};
    l.ops->forward(&l, &p, x, want);
    float *y = xalloc_floats((size_t)N * (L - W + 1) * F);
    motifs_activations(&l, tok, N, L, y);
    assert_true(compare_f("activations", y, want, (size_t)N * (L - W + 1) * F, 1e-5, 1e-5) <= 1);
    free(x), free(want), free(y);
    layer_destroy(&l);
}

/* Scan, build the motifs and write them as `motifs` does; NumPy recomputes them from the same
 * tokens and weights. */
static void test_sites_against_numpy(void **state)
{
    (void)state;
    enum { N = 40, L = 60, W = 9, F = 12, BATCH = 7 };
    if (run("/usr/bin/python3 -c 'import numpy' 2>/dev/null") != 0) {
        printf("    skipped: /usr/bin/python3 lacks NumPy\n");
        return;
    }
    Layer l = make_conv(W, F, L, 1);
    uint8_t *tok = xmalloc((size_t)N * L, 1);
    make_tokens(tok, N, L);
    FilterScan s;
    motifs_scan(par_world(), &l, tok, N, L, BATCH, 0.5, &s);
    Motif *m = xcalloc(F, sizeof(Motif));
    int n = 0;
    for (int f = 0; f < F; f++) {
        if (s.sites[f] == 0)
            continue;
        char id[32], name[64];
        snprintf(id, sizeof id, "filter%d", f);
        motif_from_counts(&m[n], id, id, s.counts + (size_t)f * W * 4, W, s.sites[f]);
        snprintf(name, sizeof name, "IC=%.2f", motif_information(&m[n]));
        snprintf(m[n].name, sizeof m[n].name, "%s", name);
        n++;
    }
    Error err;
    assert_int_equal(motif_write_meme(WORK "/filters.meme", m, n, s.bg, &err), 0);
    FILE *f = fopen(WORK "/tokens.u8", "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(tok, 1, (size_t)N * L, f), (size_t)N * L);
    fclose(f);
    f = fopen(WORK "/weights.f32", "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(l.w, sizeof(float), l.n_params, f), l.n_params);
    fclose(f);
    printf("    %d of %d filters with sites, %lld windows\n", n, F, (long long)s.windows);
    assert_true(n >= F / 2);
    assert_int_equal(run("/usr/bin/python3 tests/motifs_reference.py " WORK " %d %d %d %d 0.5", N, L,
                         W, F), 0);
    for (int i = 0; i < n; i++)
        motif_free(&m[i]);
    free(m), free(tok);
    motifs_scan_free(&s);
    layer_destroy(&l);
}

/* A MEME file written and read back: ids, names, widths, nsites and probabilities. */
static void test_meme_round_trip(void **state)
{
    (void)state;
    const double bg[4] = {0.3, 0.2, 0.2, 0.3};
    const int n = 5;
    Error err;
    assert_int_equal(motif_write_meme(WORK "/jaspar.meme", jaspar.m, n, bg, &err), 0);
    MotifSet back;
    assert_int_equal(motif_read_file(WORK "/jaspar.meme", &back, &err), 0);
    assert_int_equal(back.n, n);
    for (int i = 0; i < n; i++) {
        const Motif *a = &jaspar.m[i], *b = &back.m[i];
        assert_string_equal(a->id, b->id);
        assert_int_equal(a->width, b->width);
        assert_true(fabs(a->nsites - b->nsites) < 0.5);
        for (int j = 0; j < 4 * a->width; j++)
            assert_true(fabs(a->prob[j] - b->prob[j]) < 2e-6);
    }
    motif_set_free(&back);
    /* a row cut short: one message naming the file, the line and the motif */
    assert_int_equal(run("printf 'MEME version 4\\n\\nMOTIF m1 x\\nletter-probability matrix: "
                         "alength= 4 w= 2 nsites= 9\\n0.25 0.25 0.25 0.25\\n0.5 0.5\\n' > "
                         WORK "/bad.meme"), 0);
    assert_int_equal(motif_read_file(WORK "/bad.meme", &back, &err), -1);
    printf("    %s\n", err.msg);
    assert_non_null(strstr(err.msg, "bad.meme line 6: motif m1 row 2"));
}

int main(int argc, char **argv)
{
    setenv("OMPI_ALLOW_RUN_AS_ROOT", "1", 1);
    setenv("OMPI_ALLOW_RUN_AS_ROOT_CONFIRM", "1", 1);
    setenv("OPENBLAS_NUM_THREADS", "1", 1);
    par_init(&argc, &argv);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pearson),
        cmocka_unit_test(test_compare_self),
        cmocka_unit_test(test_compare_offset),
        cmocka_unit_test(test_qvalues),
        cmocka_unit_test(test_activations_match_layer),
        cmocka_unit_test(test_sites_against_numpy),
        cmocka_unit_test(test_meme_round_trip),
    };
    int failed = cmocka_run_group_tests_name("motifs", tests, setup, teardown);
    par_finalize();
    return failed;
}
