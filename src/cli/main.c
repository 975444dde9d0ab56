/* main.c: gseq_mpi's command line: `gseq_mpi <command> [options]`. Dispatches to src/cli/cmd_*.c. */
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "cli/commands.h"
#include "parallel/par.h"

static const struct {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *help;
} commands[] = {
    {"train", cmd_train, "train a model (mpirun -np N for data-parallel training)"},
    {"cv", cmd_cv, "choose hyper-parameters by k-fold cross-validation on groups of ranks"},
    {"info", cmd_info, "print a model's layers, shapes, parameters and training memory"},
    {"convert", cmd_convert, "convert a genome + peaks, FASTA+TSV, DeepSEA .mat, Basset or NumPy to gseq HDF5"},
    {"synth", cmd_synth, "write synthetic data with planted JASPAR motifs"},
    {"eval", cmd_eval, "a trained model's metrics on labelled data: per-target AUROC/AUPRC, curves"},
    {"predict", cmd_predict, "a trained model's probabilities for HDF5 or FASTA sequences"},
    {"motifs", cmd_motifs, "the first convolution's filters as MEME motifs, matched against JASPAR"},
    {"mutagenesis", cmd_mutagenesis, "in-silico mutagenesis: every base's effect on the targets"},
    {"attribute", cmd_attribute, "saliency or integrated gradients of the targets' logits"},
    {"variants", cmd_variants, "VCF variants' effects on a trained model's predictions (ref, alt)"},
};

static void usage(FILE *out)
{
    fprintf(out, "usage: gseq_mpi <command> [options]   (gseq_mpi <command> --help for its options)\n\n");
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        fprintf(out, "  %-12s %s\n", commands[i].name, commands[i].help);
}

int main(int argc, char **argv)
{
    /* Past a file size limit (ulimit -f) a write fails with EFBIG and the error names the file;
     * the default SIGXFSZ would kill the process (and dump core) halfway through a checkpoint. */
    signal(SIGXFSZ, SIG_IGN);
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "help") == 0) {
        usage(stdout);
        return 0;
    }
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        if (strcmp(argv[1], commands[i].name) == 0)
            return commands[i].run(argc - 1, argv + 1);
    /* Under a launcher, rank 0 says it once and every rank leaves after it has: a rank that left
     * at once could make mpirun end the job before rank 0's line was out. */
    int launched = par_launched();
    if (launched)
        par_init(&argc, &argv);
    if (!launched || par_rank(par_world()) == 0) {
        fprintf(stderr, "gseq_mpi: unknown command '%s' (expected", argv[1]);
        for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
            fprintf(stderr, "%s %s", i ? "," : "", commands[i].name);
        fprintf(stderr, ")\n");
    }
    if (launched) {
        par_barrier(par_world());
        par_finalize();
    }
    return 2;
}
