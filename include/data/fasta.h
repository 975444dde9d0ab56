/* fasta.h: a streaming FASTA reader (plain or gzip, told apart by zlib) that yields tokens.
 *
 * Records are ">ID description" then sequence lines of any width. Bases of either case (soft-masked
 * lower case included) become tokens (dataset.h: A C G T = 1..4, U = T, N and other IUPAC codes = 5);
 * any other character is an error naming the line. Memory: one record at a time. */
#ifndef GSEQ_FASTA_H
#define GSEQ_FASTA_H

#include <stdint.h>

#include "base/util.h"

typedef struct FastaReader FastaReader;

FastaReader *fasta_open(const char *path, Error *err);
/* 1 and the next record (id and seq valid until the next call), 0 at the end, -1 on error. */
int fasta_next(FastaReader *r, const char **id, const uint8_t **seq, int64_t *len, Error *err);
int64_t fasta_record_line(const FastaReader *r); /* header line of the record just returned */
int64_t fasta_bytes_in(const FastaReader *r);    /* bytes of the file consumed so far (progress) */
int fasta_rewind(FastaReader *r, Error *err);    /* back to the first record */
void fasta_close(FastaReader *r);

#endif
