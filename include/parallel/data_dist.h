/* data_dist.h: how the ranks of a run hold a data file.
 *   shared (default): one copy per node in an MPI-3 shared-memory window that the node's ranks map;
 *                     any rank can draw any sample, so results do not depend on the rank count.
 *   shard:            rank r holds only its contiguous block of rows (dataset_shard), read by HDF5
 *                     hyperslab; for data larger than a node's memory. Batches are drawn within
 *                     shards, so results then depend on the rank count.
 * io read (default): every node leader (shared) or every rank (shard) reads the file itself;
 * io scatter: world rank 0 reads and sends, for file systems that suffer under many readers.
 * Either way every rank gets the chromosome of every row of the file (DataTable.chroms) when the
 * file has /chrom: rank 0 reads it and broadcasts it, 4 bytes a row. */
#ifndef GSEQ_DATA_DIST_H
#define GSEQ_DATA_DIST_H

#include "data/data_table.h"
#include "parallel/par.h"

typedef enum { DATA_SHARED, DATA_SHARD } DataMode;
typedef enum { IO_READ, IO_SCATTER } IoMode;


/* Collective over the world; each rank that reads opens the file once. On failure every rank
 * returns -1; exactly one rank has the message in err and *reporter set (the others' err is empty). */
int data_load(DataTable *t, const char *path, DataMode mode, IoMode io, Error *err, int *reporter);
void data_release(DataTable *t);
/* Bytes of rows this rank holds (shared: its node's copy counts once, on the leader). */
size_t data_bytes_held(const DataTable *t);

#endif
