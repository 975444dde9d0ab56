/* synth.h: synthetic DNA with real JASPAR motifs planted in it, plus the oracle score of every
 * sample, so that a model's AUROC can be set beside the best achievable one (`gseq_mpi synth`).
 *
 * Two modes:
 *   binary      variable length (min_len..max_len, pre- or post-padded to max_len); a fraction
 *               `positive` of the samples carry one instance of a motif (drawn from its PWM, either
 *               strand, uniform position; with several motifs, one of them at random).
 *   multilabel  fixed length L, K targets, one motif per target, each planted with probability
 *               `rate`; label k says whether motif k was planted.
 * Background: i.i.d. bases with GC content `gc`, or windows of real sequence (a FASTA file).
 * The oracle (/oracle (N, K)) is the log-likelihood ratio of "motif planted" against "background",
 * averaged over the positions and strands the generator could have chosen: for binary data it is the
 * Bayes-optimal score, for multilabel data it is per target and ignores the other motifs.
 *
 * Every draw is a pure function of (seed, what, sample, element) through rng.h, so the output
 * depends on the seed and the settings only, never on block sizes or run order. */
#ifndef GSEQ_SYNTH_H
#define GSEQ_SYNTH_H

#include <stdint.h>

#include "base/util.h"
#include "data/dataset.h"
#include "data/motif.h"

typedef struct {
    const char *out;        /* the gseq file to write */
    int multilabel;         /* 0 binary, 1 multilabel */
    int64_t n;              /* samples, 1..UINT32_MAX */
    uint64_t seed;
    int min_len, max_len;   /* binary: the range of lengths; max_len is the padded width */
    int length, targets;    /* multilabel: L and K (1..4096) */
    double positive;        /* binary: fraction of samples with a motif */
    double rate;            /* multilabel: probability that each target's motif is planted */
    double gc;              /* GC content of the i.i.d. background */
    Padding padding;
    const char *motifs;     /* comma-separated JASPAR IDs or names; NULL: Gata1 for binary, CTCF,
                               Gata1, FOXA1, ... (then the file's others) for multilabel */
    const char *motif_file; /* JASPAR count matrices (data/jaspar_vertebrates.pfm) */
    const char *background; /* FASTA to draw background windows from, or NULL for i.i.d. bases */
    int gzip;               /* gzip level of the HDF5 chunks, 0..9 */
    int progress;           /* progress lines even when stderr is not a terminal */
} SynthSettings;

/* Writes st->out (through a temporary file, renamed at the end): 0, or -1 with one line in err
 * naming the motif, file or setting at fault; no output is left on failure. */
int synth_write(const SynthSettings *st, Error *err);

/* K motifs of set, as multilabel synth picks them: the list (IDs or names), or CTCF, Gata1,
 * FOXA1, ... then the file's others; each at most `width` wide. out: (K) pointers into set. */
int synth_pick_motifs(MotifSet *set, const char *list, int K, int width, Motif **out,
                      Error *err);

/* ---- a synthetic genome (synth_genome.c) ---- */

/* A genome FASTA of chromosomes chr1..chrN of i.i.d. bases (GC content gc) and, per target, peaks
 * at random places with an instance of the target's JASPAR motif planted at each peak's centre;
 * the peaks are written as BED files, one per target, with a targets file naming them all. With
 * signal, also a bigWig per target: a triangle over each peak rising from 0 at its ends to
 * SYNTH_SIGNAL_HEIGHT at its centre, in steps of SYNTH_SIGNAL_STEP bases (overlapping peaks
 * add), 0 elsewhere; and DIR/signal.tsv naming them (for convert --bigwig-file). */
#define SYNTH_SIGNAL_HEIGHT 10.0
#define SYNTH_SIGNAL_STEP 10
typedef struct {
    const char *fasta;      /* the genome to write (its old .fai and .gzi are removed) */
    const char *peaks_dir;  /* DIR/<target>.bed and DIR/targets.tsv (created if missing) */
    int chroms;             /* chromosomes */
    int64_t length;         /* bases of each */
    int targets;            /* K, one motif each */
    double peaks_per_mb;    /* peaks of each target per million bases */
    int peak_width;         /* bp of each peak (at least the motif's width) */
    double gc;
    const char *motifs;     /* as SynthSettings */
    const char *motif_file;
    uint64_t seed;
    int signal;             /* also DIR/<target>.bw and DIR/signal.tsv */
} SynthGenomeSettings;

/* 0, or -1 with one line naming the setting or file at fault. */
int synth_genome_write(const SynthGenomeSettings *st, Error *err);

#endif
