/* genome.h: a reference genome FASTA read through htslib's faidx: plain or bgzip-compressed, with
 * its `.fai` index (built beside the file when missing and the directory is writable). The
 * chromosomes and their lengths come from the index, in the FASTA's order; a chromosome is fetched
 * whole as tokens (dataset.h: soft-masked lower case as upper case, N and the other IUPAC codes as
 * TOKEN_N). The only module that calls htslib; the interval and conversion code use this API. */
#ifndef GSEQ_GENOME_H
#define GSEQ_GENOME_H

#include <stdint.h>

#include "base/util.h"
#include "data/chrom_table.h"

typedef struct Genome Genome; /* opaque */

/* Opens path and its index. NULL + one line: a plain-gzip FASTA (recompress with bgzip), an index
 * that cannot be built (how to build it), duplicate chromosome names, a file that is not FASTA. */
Genome *genome_open(const char *path, Error *err);
void genome_close(Genome *g); /* NULL is a no-op */
const char *genome_path(const Genome *g);

int genome_count(const Genome *g);                 /* chromosomes */
const char *genome_name(const Genome *g, int i);   /* i-th chromosome, FASTA order */
int64_t genome_length(const Genome *g, int i);
int genome_find(const Genome *g, const char *name); /* index of a chromosome, -1 if absent */

/* Tokens of [start, end) of chromosome i: malloc'd, *len = end - start. A character that is no
 * base letter is an error naming the chromosome and position. */
uint8_t *genome_fetch(const Genome *g, int i, int64_t start, int64_t end, int64_t *len,
                      Error *err);

/* The genome's chromosomes (valid while g is open). */
const ChromTable *genome_chroms(const Genome *g);

#endif
