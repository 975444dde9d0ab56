/* variant.c: the reference and alternative windows of a variant, centred as Selene does. See
 * variant.h for the rule. */
#include "data/variant.h"

#include <stdlib.h>
#include <string.h>

#include "data/dataset.h"
#include "data/vcf.h"

VariantKind variant_classify(const char *ref, const char *alt, int L)
{
    if (!vcf_allele_is_bases(alt))
        return VARIANT_SYMBOLIC;
    long r = (long)strlen(ref), a = (long)strlen(alt), o = L / 2 - r / 2 - 1;
    if (o < 0 || o + r > L || a > L)
        return VARIANT_TOO_LONG;
    return VARIANT_OK;
}

/* Tokens of [start, end) of the chromosome into out, N outside it. */
static int fetch_padded(const Genome *g, int chrom, int64_t start, int64_t end, uint8_t *out,
                        Error *err)
{
    int64_t len = genome_length(g, chrom);
    int64_t a = start < 0 ? 0 : start, b = end > len ? len : end;
    for (int64_t i = start; i < end; i++)
        out[i - start] = TOKEN_N;
    if (a >= b)
        return 0;
    int64_t got;
    uint8_t *t = genome_fetch(g, chrom, a, b, &got, err);
    if (!t)
        return -1;
    memcpy(out + (a - start), t, (size_t)got);
    free(t);
    return 0;
}

static void put_allele(uint8_t *out, const char *allele, long n)
{
    for (long i = 0; i < n; i++)
        out[i] = (uint8_t)token_of_base((unsigned char)allele[i]);
}

/* a < r: genome left of REF, ALT, genome right of REF, L in all. */
static int deletion_window(const Genome *g, int chrom, int64_t p0, long o, long r, const char *alt,
                           long a, int L, uint8_t *out, Error *err)
{
    int64_t s = p0 - o;
    int64_t left = s - (r / 2 - a / 2), right = s + L + (r + 1) / 2 - (a + 1) / 2;
    long nl = (long)(p0 - left);
    if (fetch_padded(g, chrom, left, p0, out, err) != 0)
        return -1;
    put_allele(out + nl, alt, a);
    return fetch_padded(g, chrom, p0 + r, right, out + nl + a, err);
}

int variant_windows(const Genome *g, int chrom, int64_t pos, const char *ref, const char *alt,
                    int L, uint8_t *ref_win, uint8_t *alt_win, int *ref_match, Error *err)
{
    long r = (long)strlen(ref), a = (long)strlen(alt), o = L / 2 - r / 2 - 1;
    int64_t p0 = pos - 1;
    if (fetch_padded(g, chrom, p0 - o, p0 - o + L, ref_win, err) != 0)
        return -1;
    *ref_match = 1;
    for (long i = 0; i < r; i++)
        if (ref_win[o + i] != (uint8_t)token_of_base((unsigned char)ref[i]))
            *ref_match = 0;
    put_allele(ref_win + o, ref, r);
    if (a < r)
        return deletion_window(g, chrom, p0, o, r, alt, a, L, alt_win, err);
    if (a == r) {
        memcpy(alt_win, ref_win, (size_t)L);
        put_allele(alt_win + o, alt, a);
        return 0;
    }
    uint8_t *tmp = xmalloc((size_t)(L + a - r), 1);
    memcpy(tmp, ref_win, (size_t)o);
    put_allele(tmp + o, alt, a);
    memcpy(tmp + o + a, ref_win + o + r, (size_t)(L - o - r));
    memcpy(alt_win, tmp + (a - r) / 2, (size_t)L);
    free(tmp);
    return 0;
}
