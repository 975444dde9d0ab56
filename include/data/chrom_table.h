/* chrom_table.h: chromosome names and a number beside each (a length, or a count), looked up by
 * name through a small open-addressing hash. The genome, the BED reader, the bigWig door and the
 * coordinates' index share it. */
#ifndef GSEQ_CHROM_TABLE_H
#define GSEQ_CHROM_TABLE_H

#include <stdint.h>

/* A table of chromosome names and lengths (the genome's, or a test's), looked up by name. */
typedef struct {
    int n;
    char **name;     /* (n) */
    int64_t *length; /* (n) */
    int *slot, cap;  /* open-addressing hash of indexes (-1 empty) */
} ChromTable;

void chrom_table_init(ChromTable *t);
/* Adds a chromosome: its index, or -1 if the name is already there. */
int chrom_table_add(ChromTable *t, const char *name, int64_t length);
int chrom_table_find(const ChromTable *t, const char *name);
void chrom_table_free(ChromTable *t);

#endif
