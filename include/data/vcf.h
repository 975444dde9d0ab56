/* vcf.h: a VCF or BCF file (plain, bgzip or gzip) read record by record through htslib, so that
 * memory does not grow with the file: the second module that calls htslib (genome.c is the first).
 * A record gives its chromosome, 1-based position, ID, REF and its ALT alleles; each ALT is
 * classified here (a sequence of bases, or symbolic: <DEL>, breakends, *), the checks against a
 * genome and the model's window are the caller's (variant.h). */
#ifndef GSEQ_VCF_H
#define GSEQ_VCF_H

#include <stdint.h>

#include "base/util.h"

typedef struct VcfReader VcfReader; /* opaque */

/* One record, valid until the next vcf_reader_next: strings point into the reader. */
typedef struct {
    const char *chrom, *id, *ref; /* id "." when the record has none */
    int64_t pos;                  /* VCF POS, 1-based */
    int64_t line;                 /* the record's number in the file, from 1 */
    int n_alt;                    /* ALT alleles (0 when ALT is ".") */
    const char *const *alt;       /* (n_alt) */
} VcfRecord;

/* NULL + one line: the file cannot be opened, or is not VCF or BCF, or its header is damaged. */
VcfReader *vcf_reader_open(const char *path, Error *err);
void vcf_reader_close(VcfReader *r); /* NULL is a no-op */
/* The next record: 1, 0 at the end, -1 with one line naming the file and the record. */
int vcf_reader_next(VcfReader *r, VcfRecord *rec, Error *err);

/* Whether an allele is a plain sequence of bases (A, C, G, T, N in either case); symbolic alleles
 * (<DEL>, <INS:ME>), breakends (G]17:198982], .A), the spanning deletion * and IUPAC codes are not. */
int vcf_allele_is_bases(const char *allele);

#endif
