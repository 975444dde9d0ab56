/* cmd_synth.c: `gseq_mpi synth`: reads and checks the options, writes the synthetic data through
 * the generator (data/synth.h: JASPAR motifs planted in random or real background, with the oracle
 * score of every sample) and reports a failure. */
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli/commands.h"
#include "data/convert.h"
#include "data/synth.h"

/* data/jaspar_vertebrates.pfm here, or beside the program (…/gseq_mpi -> …/data/…). */
static const char *default_motif_file(char *buf, size_t n)
{
    const char *rel = "data/jaspar_vertebrates.pfm";
    if (access(rel, R_OK) == 0)
        return rel;
    char exe[PATH_MAX];
    ssize_t len = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (len > 0) {
        exe[len] = '\0';
        char *slash = strrchr(exe, '/');
        if (slash) {
            *slash = '\0';
            snprintf(buf, n, "%s/%s", exe, rel);
            if (access(buf, R_OK) == 0)
                return buf;
        }
    }
    return rel;
}

static const char *synth_usage =
    "usage: gseq_mpi synth --out FILE [options]\n"
    "Writes a gseq HDF5 file of synthetic sequences with planted JASPAR motifs and, in /oracle,\n"
    "the log-likelihood-ratio score of the true motifs for every sample.\n\n";

int cmd_synth(int argc, char **argv)
{
    const char *out = NULL, *mode = "binary", *n_s = NULL, *seed_s = "1", *motifs_s = NULL,
               *motif_file = NULL, *minl_s = "100", *maxl_s = "190", *len_s = "1000", *k_s = "8",
               *pos_s = "0.5", *rate_s = "0.25", *gc_s = "0.41", *bgfile = NULL, *pad_s = "pre",
               *gzip_s = "0";
    int progress = 0;
    const OptSpec specs[] = {
        {"out", "FILE", &out, NULL, "output file (required)"},
        {"mode", "MODE", &mode, NULL, "binary (variable length) or multilabel (default binary)"},
        {"n", "N", &n_s, NULL, "samples (default 2000)"},
        {"seed", "S", &seed_s, NULL, "random seed: the output depends on it and the options only (1)"},
        {"motifs", "LIST", &motifs_s, NULL, "comma-separated JASPAR IDs or names (default: Gata1 for "
                                            "binary; CTCF, Gata1, FOXA1, HNF4A, ... for multilabel)"},
        {"motif-file", "FILE", &motif_file, NULL, "JASPAR count matrices (data/jaspar_vertebrates.pfm)"},
        {"min-length", "L", &minl_s, NULL, "binary: shortest sequence (100)"},
        {"max-length", "L", &maxl_s, NULL, "binary: longest sequence, the padded width (190)"},
        {"positive", "P", &pos_s, NULL, "binary: fraction of samples with a motif (0.5)"},
        {"length", "L", &len_s, NULL, "multilabel: sequence length (1000)"},
        {"targets", "K", &k_s, NULL, "multilabel: targets, one motif each (8)"},
        {"rate", "P", &rate_s, NULL, "multilabel: probability that a motif is planted (0.25)"},
        {"gc", "F", &gc_s, NULL, "GC content of the random background (0.41)"},
        {"background", "FASTA", &bgfile, NULL, "draw background windows from real sequences instead"},
        {"padding", "pre|post", &pad_s, NULL, "where padding goes in shorter sequences (pre)"},
        {"compress", "0-9", &gzip_s, NULL, "gzip level of the HDF5 chunks, 0 = none (0)"},
        {"progress", NULL, NULL, &progress, "show progress even when stderr is not a terminal"},
        {NULL, NULL, NULL, NULL, NULL},
    };
    Error err = {{0}};
    int r = parse_options(argc, argv, specs, &err);
    if (r == 1) {
        fputs(synth_usage, stdout);
        print_options(stdout, specs);
        return 0;
    }
    if (r != 0)
        return report_error("synth", &err);

    SynthSettings st = {.out = out, .motifs = motifs_s, .motif_file = motif_file,
                        .background = bgfile, .progress = progress};
    int64_t seed = 1;
    st.multilabel = strcmp(mode, "multilabel") == 0;
    if (!st.multilabel && strcmp(mode, "binary") != 0)
        error_set(&err, "--mode: '%s', expected binary or multilabel", mode);
    else if (!out)
        error_set(&err, "--out FILE is required (see --help)");
    if (err.msg[0] ||
        parse_int64("n", n_s ? n_s : "2000", 1, (int64_t)UINT32_MAX, &st.n, &err) != 0 ||
        parse_int64("seed", seed_s, 0, INT64_MAX, &seed, &err) != 0 ||
        parse_int("min-length", minl_s, 1, 1 << 20, &st.min_len, &err) != 0 ||
        parse_int("max-length", maxl_s, 1, 1 << 20, &st.max_len, &err) != 0 ||
        parse_int("length", len_s, 1, 1 << 20, &st.length, &err) != 0 ||
        parse_int("targets", k_s, 1, 4096, &st.targets, &err) != 0 ||
        parse_double("positive", pos_s, 0, 1, &st.positive, &err) != 0 ||
        parse_double("rate", rate_s, 0, 1, &st.rate, &err) != 0 ||
        parse_double("gc", gc_s, 0, 1, &st.gc, &err) != 0 ||
        parse_int("compress", gzip_s, 0, 9, &st.gzip, &err) != 0)
        return report_error("synth", &err);
    if (padding_parse(pad_s, &st.padding) != 0) {
        error_set(&err, "--padding: '%s', expected pre or post", pad_s);
        return report_error("synth", &err);
    }
    st.seed = (uint64_t)seed;
    char exe_path[PATH_MAX + 64];
    if (!st.motif_file)
        st.motif_file = default_motif_file(exe_path, sizeof exe_path);
    if (synth_write(&st, &err) != 0)
        return report_error("synth", &err);
    return 0;
}
