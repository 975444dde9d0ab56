/* variant.h: the two windows of the model's length L that a variant's effect compares, the
 * reference window and the alternative window, built from the genome the way Selene's
 * variant_effect_prediction centres them (docs/cli.md, "variants"). With 0-based p0 = POS - 1,
 * r = |REF|, a = |ALT| and o = L/2 - r/2 - 1 (integer division):
 *   reference   genome [p0 - o, p0 - o + L), with REF at offset o (written there if the genome
 *               differs: the mismatch is the caller's to count);
 *   a == r      the reference window with ALT at offset o;
 *   a > r       the reference window with REF replaced by ALT (L + a - r bases), of which
 *               (a - r)/2 are dropped on the left and the rest trimmed to L on the right;
 *   a < r       genome left of REF, ALT, genome right of REF: r/2 - a/2 more bases on the left
 *               and ceil(r/2) - ceil(a/2) more on the right than the reference window has.
 * Bases outside the chromosome are N. The VCF reading is vcf.h's. */
#ifndef GSEQ_VARIANT_H
#define GSEQ_VARIANT_H

#include <stdint.h>

#include "base/util.h"
#include "data/genome.h"

typedef enum {
    VARIANT_OK,       /* a substitution or an indel that the window holds */
    VARIANT_SYMBOLIC, /* ALT not a sequence of bases: <DEL>, a breakend, *, IUPAC codes */
    VARIANT_TOO_LONG, /* REF or ALT too long for the window (o < 0, o + r > L, or a > L) */
} VariantKind;

VariantKind variant_classify(const char *ref, const char *alt, int L);

/* The windows (L tokens each) of ALT at 1-based `pos` of chromosome `chrom` of g; *ref_match 1
 * when the genome has REF there (case-insensitive). The variant must be VARIANT_OK and REF lie
 * within the chromosome (the caller's check). 0, or -1 when the genome cannot be read. */
int variant_windows(const Genome *g, int chrom, int64_t pos, const char *ref, const char *alt,
                    int L, uint8_t *ref_win, uint8_t *alt_win, int *ref_match, Error *err);

#endif
