/* cmd_synth.c: `gseq_mpi synth`: reads and checks the options, writes the synthetic data through
 * the generator (data/synth.h: JASPAR motifs planted in random or real background, with the oracle
 * score of every sample), or with --genome a synthetic genome FASTA and the peak files of its
 * planted motifs, and reports a failure. */
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli/commands.h"
#include "cli/options.h"
#include "cli/run.h"
#include "data/convert.h"
#include "data/motif.h"
#include "data/synth.h"

static const char *synth_usage =
    "usage: gseq_mpi synth --out FILE [options]\n"
    "Writes a gseq HDF5 file of synthetic sequences with planted JASPAR motifs and, in /oracle,\n"
    "the log-likelihood-ratio score of the true motifs for every sample.\n"
    "       gseq_mpi synth --genome FASTA --peaks-out DIR [options]\n"
    "Writes a synthetic genome with the --targets' motifs planted at the peaks of the BED files\n"
    "(and DIR/targets.tsv) it writes, for convert --genome.\n\n";

/* synth --genome: the genome settings from the shared ones. */
static int synth_genome_command(SynthGenomeSettings *g, const SynthSettings *st, Error *err)
{
    if (st->out)
        return error_set(err, "--genome writes a FASTA and --peaks-out the BED files: no --out");
    if (st->background)
        return error_set(err, "--background does not apply to --genome (the genome is i.i.d.)");
    g->targets = st->targets;
    g->gc = st->gc;
    g->motifs = st->motifs;
    g->motif_file = st->motif_file;
    g->seed = st->seed;
    return synth_genome_write(g, err);
}

int cmd_synth(int argc, char **argv)
{
    int64_t seed = 1;
    int padding = PAD_PRE;
    SynthSettings st = {.n = 2000, .min_len = 100, .max_len = 190, .length = 1000, .targets = 8,
                        .positive = 0.5, .rate = 0.25, .gc = 0.41};
    SynthGenomeSettings g = {.chroms = 4, .length = 1000000, .peaks_per_mb = 50,
                             .peak_width = 300};
    static const OptChoice modes[] = {{"binary", 0}, {"multilabel", 1}, {NULL, 0}};
    const Option options[] = {
        OPT_STRING("out", "FILE", &st.out, "output file (required)"),
        OPT_CHOICE("mode", "MODE", &st.multilabel, modes,
                   "binary (variable length) or multilabel (default binary)"),
        OPT_INT64("n", "N", &st.n, 1, UINT32_MAX, "samples (default 2000)"),
        OPT_INT64("seed", "S", &seed, 0, INT64_MAX,
                  "random seed: the output depends on it and the options only (1)"),
        OPT_STRING("motifs", "LIST", &st.motifs, "comma-separated JASPAR IDs or names (default: Gata1 "
                                                 "for binary; CTCF, Gata1, FOXA1, HNF4A, ... for multilabel)"),
        OPT_STRING("motif-file", "FILE", &st.motif_file,
                   "JASPAR count matrices (data/jaspar_vertebrates.pfm)"),
        OPT_INT("min-length", "L", &st.min_len, 1, 1 << 20, "binary: shortest sequence (100)"),
        OPT_INT("max-length", "L", &st.max_len, 1, 1 << 20,
                "binary: longest sequence, the padded width (190)"),
        OPT_DOUBLE("positive", "P", &st.positive, 0, 1, "binary: fraction of samples with a motif (0.5)"),
        OPT_INT("length", "L", &st.length, 1, 1 << 20, "multilabel: sequence length (1000)"),
        OPT_INT("targets", "K", &st.targets, 1, 4096, "multilabel: targets, one motif each (8)"),
        OPT_DOUBLE("rate", "P", &st.rate, 0, 1,
                   "multilabel: probability that a motif is planted (0.25)"),
        OPT_DOUBLE("gc", "F", &st.gc, 0, 1, "GC content of the random background (0.41)"),
        OPT_STRING("background", "FASTA", &st.background,
                   "draw background windows from real sequences instead"),
        OPT_CHOICE("padding", "pre|post", &padding, padding_choices,
                   "where padding goes in shorter sequences (pre)"),
        OPT_INT("compress", "0-9", &st.gzip, 0, 9, "gzip level of the HDF5 chunks, 0 = none (0)"),
        OPT_FLAG("progress", &st.progress, "show progress even when stderr is not a terminal"),
        OPT_STRING("genome", "FASTA", &g.fasta, "write a synthetic genome instead (with --peaks-out)"),
        OPT_STRING("peaks-out", "DIR", &g.peaks_dir, "--genome: the folder of the peak BED files"),
        OPT_INT("chromosomes", "N", &g.chroms, 1, 100000, "--genome: chromosomes (4)"),
        OPT_INT64("chrom-length", "BP", &g.length, 1, (int64_t)1 << 31,
                  "--genome: bases of each chromosome (1000000)"),
        OPT_DOUBLE("peaks-per-mb", "R", &g.peaks_per_mb, 0, 1e5,
                   "--genome: peaks of each target per Mb (50)"),
        OPT_INT("peak-width", "BP", &g.peak_width, 1, 1 << 20, "--genome: peak width (300)"),
        OPT_FLAG("signal", &g.signal, "--genome: also DIR/<target>.bw, a coverage track: a triangle\n"
                 "of height 10 over each peak, and DIR/signal.tsv (for --bigwig-file)"),
        OPT_END,
    };
    const OptCommand cmd = {"synth", synth_usage, options};
    int r = opt_read(&cmd, argc, argv, 1, 2);
    if (r >= 0)
        return r;
    Error err = {{0}};
    st.seed = (uint64_t)seed;
    char exe_path[PATH_MAX + 64];
    if (!st.motif_file)
        st.motif_file = motif_default_file(exe_path, sizeof exe_path);
    if (g.fasta || g.peaks_dir) {
        if (!g.fasta)
            error_set(&err, "--peaks-out needs --genome FASTA");
        else if (synth_genome_command(&g, &st, &err) == 0)
            return 0;
        return report_error("synth", &err);
    }
    if (g.signal) {
        error_set(&err, "--signal writes coverage tracks of a genome's peaks: it needs --genome");
        return report_error("synth", &err);
    }
    if (!st.out) {
        error_set(&err, "--out FILE is required (see --help)");
        return report_error("synth", &err);
    }
    st.padding = (Padding)padding;
    if (synth_write(&st, &err) != 0)
        return report_error("synth", &err);
    return 0;
}
