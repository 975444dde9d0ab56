/* testutil.c: helpers shared by the C tests. See testutil.h. */
#include "testutil.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "base/rng.h"

void fill_uniform(float *x, size_t n, float scale, uint32_t stream)
{
    for (size_t i = 0; i < n; i++)
        x[i] = scale * (2.0f * rng_uniform_at(12345, RNG_DATA, stream, 7, i) - 1.0f);
}

void fill_uniform_d(double *x, size_t n, double scale, uint32_t stream)
{
    for (size_t i = 0; i < n; i++)
        x[i] = scale * (2.0 * rng_uniform_at(12345, RNG_DATA, stream, 7, i) - 1.0);
}

void to_double(const float *x, double *y, size_t n)
{
    for (size_t i = 0; i < n; i++)
        y[i] = x[i];
}

void to_float(const double *x, float *y, size_t n)
{
    for (size_t i = 0; i < n; i++)
        y[i] = (float)x[i];
}

static double compare_generic(const char *what, size_t n, double atol, double rtol,
                              double (*a_at)(const void *, size_t), const void *a,
                              double (*b_at)(const void *, size_t), const void *b)
{
    double worst = 0.0;
    size_t at = 0;
    for (size_t i = 0; i < n; i++) {
        double av = a_at(a, i), bv = b_at(b, i);
        double ratio = fabs(av - bv) / (atol + rtol * fabs(bv));
        if (!(ratio <= worst)) { /* also catches NaN */
            worst = isnan(ratio) ? INFINITY : ratio;
            at = i;
        }
    }
    if (worst > 1.0)
        printf("    %s: worst element %zu of %zu: got %.9g, expected %.9g (|diff| %.3g > %.3g + %.3g*|expected|)\n",
               what, at, n, a_at(a, at), b_at(b, at), fabs(a_at(a, at) - b_at(b, at)), atol, rtol);
    return worst;
}

static double float_at(const void *p, size_t i) { return ((const float *)p)[i]; }
static double double_at(const void *p, size_t i) { return ((const double *)p)[i]; }

double compare_f(const char *what, const float *a, const float *b, size_t n, double atol, double rtol)
{
    return compare_generic(what, n, atol, rtol, float_at, a, float_at, b);
}

double compare_fd(const char *what, const float *a, const double *b, size_t n, double atol,
                  double rtol)
{
    return compare_generic(what, n, atol, rtol, float_at, a, double_at, b);
}

double compare_dd(const char *what, const double *a, const double *b, size_t n, double atol,
                  double rtol)
{
    return compare_generic(what, n, atol, rtol, double_at, a, double_at, b);
}

LayerSpec spec_of(LayerKind kind)
{
    LayerSpec s = {0};
    snprintf(s.name, sizeof s.name, "%s", layer_kind_name(kind));
    s.kind = kind;
    s.act = ACT_LINEAR;
    s.unit_forget_bias = 1;
    return s;
}

Layer layer_make(LayerSpec spec, Shape in, int index, int masked, int is_output, int max_batch)
{
    Layer l = {0};
    Error err;
    l.spec = spec;
    l.ops = layer_ops(spec.kind);
    l.in = in;
    l.index = index;
    l.masked = masked;
    l.is_output = is_output;
    if (l.ops->plan(&l, &err) != 0) {
        fprintf(stderr, "layer_make: %s\n", err.msg);
        abort();
    }
    l.w = xalloc_floats(l.n_params);
    l.dw = xalloc_floats(l.n_params);
    l.max_batch = max_batch;
    l.need_dx = 1; /* the tests check every input gradient */
    if (l.ops->alloc)
        l.ops->alloc(&l, max_batch);
    return l;
}

void layer_destroy(Layer *l)
{
    if (l->ops->release)
        l->ops->release(l);
    free(l->w);
    free(l->dw);
}

void tokens_with_padding(uint8_t *tok, uint8_t *mask, int n, int L, uint32_t stream)
{
    for (int r = 0; r < n; r++)
        for (int t = 0; t < L; t++) {
            int v = 1 + (int)(5.0f * rng_uniform_at(99, RNG_DATA, stream, 3, (uint64_t)r * L + t));
            int pad = 0;
            switch (r % 4) {
            case 1: pad = t < L / 3; break;            /* pre-padded */
            case 2: pad = t >= L - L / 2; break;       /* post-padded */
            case 3: pad = t == L / 2; break;           /* a gap */
            default: break;
            }
            tok[(size_t)r * L + t] = pad ? 0 : (uint8_t)(v > 5 ? 5 : v);
            if (mask)
                mask[(size_t)r * L + t] = !pad;
        }
}

int run(const char *fmt, ...)
{
    char cmd[4096];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(cmd, sizeof cmd, fmt, ap);
    va_end(ap);
    printf("    $ %s\n", cmd);
    fflush(stdout);
    int st = system(cmd);
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}
