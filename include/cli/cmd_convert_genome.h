/* cmd_convert_genome.h: the genome options of `gseq_mpi convert` (--genome, --peaks, --bigwig,
 * ...): their entries in convert's one option table, the checks between them, the target lists
 * (NAME=FILE, --targets-file, --bigwig-file) and the log of what the conversion did. The conversion is data/converter.h's. */
#ifndef GSEQ_CMD_CONVERT_GENOME_H
#define GSEQ_CMD_CONVERT_GENOME_H

#include <stdint.h>

#include "base/util.h"
#include "cli/options.h"
#include "data/converter.h"
#include "parallel/par.h"

typedef struct {
    const char *genome, *regions, *blacklist, *chroms, *targets_file, *bigwig_file, *oracle;
    OptList peaks, bigwig;
    int bin, window, gc_match, skip_unknown, signal_window; /* signal_window 0: not given */
    double min_overlap, negatives, max_n; /* negatives < 0: not given */
    int64_t seed;
} GenomeArgs;

#define GENOME_ARGS_DEFAULT                                                                       \
    {.bin = 200, .window = 1000, .min_overlap = 0.5, .negatives = -1, .max_n = 0.1, .seed = 1}

/* The genome's entries of the option table (ga: a GenomeArgs variable). */
#define GENOME_OPTIONS(ga)                                                                        \
    OPT_STRING("genome", "FASTA", &(ga).genome,                                                   \
               "genome FASTA, plain or bgzip; its .fai is built when missing"),                   \
    OPT_LIST("peaks", "NAME=BED", &(ga).peaks, OPT_LIST_MAX,                                      \
             "a target's peaks: BED, narrowPeak or broadPeak, plain or .gz\n"                     \
             "(repeatable; without NAME= named after the file)"),                                 \
    OPT_STRING("targets-file", "TSV", &(ga).targets_file,                                         \
               "more targets: lines 'name<TAB>peak file' (paths relative to the TSV)"),           \
    OPT_LIST("bigwig", "NAME=BW", &(ga).bigwig, OPT_LIST_MAX,                                     \
             "a signal target: the mean of a bigWig track over each example's\n"                  \
             "signal window; task regression (repeatable; without NAME= named\n"                 \
             "after the file)"),                                                                  \
    OPT_STRING("bigwig-file", "TSV", &(ga).bigwig_file,                                           \
               "more signal targets: lines 'name<TAB>bigWig' (paths relative to the TSV)"),       \
    OPT_INT("signal-window", "BP", &(ga).signal_window, 1, 1 << 30,                               \
            "bases of signal averaged, centred on the bin (region) (the --bin size)"),            \
    OPT_STRING("regions", "BED", &(ga).regions,                                                   \
               "regions mode: one example per region, centred (else bins of the genome)"),        \
    OPT_INT("bin", "BP", &(ga).bin, 1, 1 << 24, "bin size (200)"),                              \
    OPT_INT("window", "BP", &(ga).window, 1, 1 << 24, "example length, centred on the bin (1000)"), \
    OPT_DOUBLE("min-overlap", "F", &(ga).min_overlap, 1e-9, 1,                                    \
               "positive when peaks cover at least F of the bin (region) (0.5)"),                 \
    OPT_DOUBLE("negatives", "R", &(ga).negatives, 0, 1e6,                                         \
               "negative bins drawn per positive, per chromosome (1)"),                           \
    OPT_FLAG("gc-match", &(ga).gc_match, "draw negatives matching the positives' GC (2% bins)"),  \
    OPT_STRING("blacklist", "BED", &(ga).blacklist, "leave out bins (regions) overlapping these"), \
    OPT_DOUBLE("max-n", "F", &(ga).max_n, 0, 1, "leave out windows with more than F N (0.1)"),    \
    OPT_STRING("chroms", "A,B,...", &(ga).chroms, "use these chromosomes only (all)"),            \
    OPT_INT64("seed", "S", &(ga).seed, 0, INT64_MAX, "seed of the negatives' draw (1)"),          \
    OPT_FLAG("skip-unknown-chroms", &(ga).skip_unknown,                                           \
             "skip BED lines on chromosomes not in the genome (counted)"),                        \
    OPT_STRING("oracle", "TSV", &(ga).oracle,                                                     \
               "/oracle: each row's score of a JASPAR motif per target, lines\n"                   \
               "'target<TAB>motif ID or name' (synth --genome writes DIR/motifs.tsv)")

/* The checks between the genome options (given without --genome, regions with negatives). */
int genome_check_args(const GenomeArgs *ga, Error *err);
/* Builds the targets, runs the conversion and prints its log on stderr. c: the ranks under a
 * launcher (NULL without): with more than one, over the ranks (chromosomes dealt out, rank 0
 * merges and alone prints); every rank returns the same rc, the message on rank 0. */
int convert_genome_command(ParComm *c, const ConvertSettings *s, const GenomeArgs *ga,
                           Error *err);

#endif
