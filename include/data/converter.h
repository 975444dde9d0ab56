/* converter.h: the converters behind `gseq_mpi convert`: FASTA + labels TSV, DeepSEA .mat (v7.3),
 * Basset HDF5 and NumPy .npy/.npz, each to the canonical gseq file (dataset.h).
 *
 * Every converter streams: it reads a block of samples, turns it into tokens and float labels, checks
 * the labels against the task (naming the input file and row), and appends the block to a
 * DatasetWriter, which writes a temporary file and renames it only when everything succeeded.
 * Memory is a block plus, for FASTA, an index of the labels TSV (ids and line offsets). HDF5 inputs
 * are read through h5io like everything else.
 *
 * The converters take settings, not options: the command reads and checks its flags, fills a
 * ConvertSettings and calls one of them; each returns 0, or -1 with one line naming the input and
 * the problem in err. Sources: convert_fasta.c, convert_deepsea.c, convert_basset.c, convert_npy.c;
 * what they share is in convert_sink.c. */
#ifndef GSEQ_CONVERTER_H
#define GSEQ_CONVERTER_H

#include <stdint.h>

#include "base/task.h"
#include "base/util.h"
#include "data/dataset.h"

/* Chooses the label columns to keep from the T the input has: *first and *count, or -1 with a
 * message. The command resolves its --targets text here, once the converter knows T. */
typedef int (*ColumnSelect)(const void *ctx, int64_t T, int64_t *first, int64_t *count, Error *err);

typedef struct {
    const char *out;         /* the gseq file to write */
    Task task;               /* TASK_AUTO: inferred from the labels */
    ColumnSelect targets;    /* NULL: every label column (DeepSEA, Basset, NumPy; FASTA refuses it) */
    const void *targets_ctx; /* handed to targets */
    Padding padding;         /* side of the padding (and of FASTA trimming) */
    int length;              /* FASTA, NumPy strings: pad or trim to it; 0 = the longest */
    int zeros_n;             /* an all-zero one-hot position: -1 the input's default, 0 padding, 1 N */
    int64_t limit;           /* the first `limit` samples; 0 = all */
    int gzip;                /* gzip level of the HDF5 chunks, 0..9 */
    int progress;            /* progress lines even when stderr is not a terminal */
} ConvertSettings;

/* FASTA (plain or gzip) and its labels TSV; `classes`: the TSV's one column holds class names. */
int convert_fasta(const ConvertSettings *s, const char *fasta, const char *tsv, int classes,
                  Error *err);
/* DeepSEA .mat: x (L, 4, N) and y (T, N) as HDF5 sees them; NULL names take trainxdata/traindata
 * (or the first of valid*, test* present). */
int convert_deepsea(const ConvertSettings *s, const char *path, const char *xname,
                    const char *yname, Error *err);
/* Basset HDF5: <split>_in (N, 4, 1, L) or (N, 4, L) and <split>_out (N, T), target_labels if any. */
int convert_basset(const ConvertSettings *s, const char *path, const char *split, Error *err);
/* NumPy: X and y in two files or one archive (xpath == ypath), or X alone holding its labels
 * (ypath NULL). X is numbers (one-hot or tokens), or strings (<U, |S) of any length up to the width:
 * sequences (N), (N, 2) of sequence and label, or a structured array of a string field and label
 * fields. xname and yname name arrays of a zip (NULL: the usual names X, x, X_train, arr_0 and y, Y,
 * y_train, arr_1); a name that is no array of the zip (any name, for a plain .npy) names a field of
 * a structured X. */
int convert_npy(const ConvertSettings *s, const char *xpath, const char *ypath, const char *xmember,
                const char *ymember, Error *err);

/* ---- a genome and peak files (convert_genome.c) ---- */

/* What to make of a genome FASTA and peak BED files. */
typedef struct {
    const char *genome;             /* FASTA, plain or bgzip, indexed (genome.h) */
    int targets;                    /* K peak files */
    const char *const *target_name; /* (K) */
    const char *const *peak_path;   /* (K) BED, narrowPeak or broadPeak (bed.h) */
    const char *regions;            /* regions mode: one example per region; NULL: bins */
    const char *blacklist;          /* BED of regions to leave out, or NULL */
    int nchroms;                    /* the chromosomes to use (0: all) */
    const char *const *chroms;
    int bin, window;                /* bp */
    double min_overlap;             /* fraction of a bin (region) covered by a target's peaks */
    double negatives;               /* negatives per positive (bins mode) */
    int gc_match;                   /* negatives matched to the positives' GC in 2% bins */
    double max_n;                   /* most N in a window, as a fraction */
    int skip_unknown;               /* skip BED lines on chromosomes not in the genome */
    uint64_t seed;                  /* of the negatives' sample */
    int tracks;                     /* T bigWig signal targets (regression); 0: the peaks label */
    const char *const *track_name;  /* (T) */
    const char *const *track_path;  /* (T) bigWig files */
    int signal_window;              /* bp of signal averaged, centred on the bin (region) */
    const char *oracle;             /* TSV of a motif per target: the /oracle scores, or NULL */
} GenomeSettings;

/* What a genome conversion did, for the log. */
typedef struct {
    int64_t chroms, bins;            /* chromosomes used, bins (or regions) looked at */
    int64_t positives, negatives;    /* rows written of each */
    int64_t pos_left[3], neg_left[3]; /* left out: blacklisted, window past a chromosome end,
                                        * more than max_n N (bins positive / negative) */
    int64_t neg_short;               /* negatives asked for that the chromosome (GC bin) lacked */
    int64_t skipped_lines;           /* BED lines on unknown chromosomes (skip_unknown) */
    int64_t *peaks;                  /* (K) merged peaks of each target */
    int64_t *target_pos;             /* (K) rows positive for each target */
} GenomeReport;

/* Bins (DeepSEA) or regions (Basset) of a genome, labelled by the peak files, or by the mean
 * signal of bigWig tracks (the peaks, if any, then only choose the bins); rows in genome
 * order with /id "chr:start-end" and the coordinates (dataset.h). rep is filled (free its arrays
 * with genome_report_free), also for the log on failure. */
int convert_genome(const ConvertSettings *s, const GenomeSettings *g, GenomeReport *rep,
                   Error *err);
void genome_report_free(GenomeReport *rep);

/* ---- the same conversion over ranks (the command does the MPI between the steps) ----
 * Every rank opens the job (the inputs are loaded on every rank) and gets the same deal of the
 * chosen chromosomes (genome_deal: contiguous runs in FASTA order, balanced by length). Rank 0
 * (or the one process) converts its chromosomes straight into the output, then takes each other
 * rank's chromosomes in FASTA order from the parts they wrote (one gseq file per chromosome,
 * <out>.tmp-chrom<c>), as each is ready; the rows go to the output in the same blocks as on one
 * process, so the file has the same bytes whatever the number of ranks. */
typedef struct GenomeJob GenomeJob;

/* Chromosome c to rank owner[c]: the chromosomes of load[c] >= 0 (owner -1 for the others) in
 * FASTA order, cut into nranks runs of near-equal load: c goes to the rank whose share of the
 * total holds the middle of c. */
void genome_deal(int C, const int64_t *load, int nranks, int *owner);

/* Loads the inputs (checked), deals the chromosomes. NULL + err on a bad input. rep as for
 * convert_genome: this rank's counts (the chromosomes it converts), the peaks and skipped lines
 * of the inputs (the same on every rank). */
GenomeJob *genome_job_open(const ConvertSettings *s, const GenomeSettings *g, int rank,
                           int nranks, GenomeReport *rep, Error *err);
int genome_job_chroms(const GenomeJob *j);       /* C: the genome's chromosomes */
int genome_job_owner(const GenomeJob *j, int c); /* the rank converting c, -1: unused */
/* Rank 0: opens the output. */
int genome_job_begin(GenomeJob *j, Error *err);
/* This rank's chromosome c: on rank 0 into the output, on the others into c's part (none
 * when c has no row); *rows: its rows. */
int genome_job_chrom(GenomeJob *j, int c, int64_t *rows, Error *err);
/* Rank 0: chromosome c's part (of `rows` rows, as its rank said), into the output, removed. */
int genome_job_take(GenomeJob *j, int c, int64_t rows, Error *err);
/* Rank 0: the last rows, the provenance, the output renamed into place. */
int genome_job_end(GenomeJob *j, Error *err);
/* Frees the job; removes this rank's parts left and an output not finished. NULL: a no-op. */
void genome_job_close(GenomeJob *j);

#endif
