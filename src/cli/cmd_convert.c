/* cmd_convert.c: `gseq_mpi convert`: reads and checks the options, hands one input to its converter
 * (data/converter.h: FASTA + labels TSV, DeepSEA .mat, Basset HDF5, NumPy .npy/.npz, a genome and
 * peak files) and reports what was written. The genome's targets and log are in
 * cmd_convert_genome.c. Under a launcher (mpirun) every rank runs the command and rank 0 alone
 * speaks: a genome is converted over the ranks, any other input by rank 0 while the others wait
 * for its verdict. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/commands.h"
#include "cli/cmd_convert_genome.h"
#include "cli/options.h"
#include "cli/run.h"
#include "data/convert.h"
#include "data/converter.h"
#include "parallel/par.h"

static const char *convert_usage =
    "usage: gseq_mpi convert INPUT --out FILE [options]\n"
    "Converts sequence data to the gseq HDF5 format (see docs/formats.md). INPUT is one of:\n"
    "  --fasta FILE --labels FILE [--classes]   FASTA (plain or .gz) and a labels TSV\n"
    "  --deepsea FILE                           DeepSEA train.mat (MATLAB v7.3 = HDF5)\n"
    "  --basset FILE [--split train]            Basset HDF5\n"
    "  --npz FILE                               NumPy archive holding X and y\n"
    "  --npy-x FILE [--npy-y FILE]              NumPy arrays (.npy, or a zip holding one); y may\n"
    "                                           be in X (structured, or (N, 2) strings)\n"
    "  --genome FASTA --peaks NAME=BED ...      a genome (plain or bgzip, .fai) and peak files:\n"
    "                                           bins (DeepSEA), or --regions BED (Basset)\n"
    "  --genome FASTA --bigwig NAME=BW ...      a genome and bigWig tracks: the mean signal of\n"
    "                                           each bin (region), task regression\n\n";

/* The input flags, once parsed. */
typedef struct {
    const char *fasta, *labels, *deepsea, *basset, *npz, *npyx, *npyy, *xname, *yname, *split;
    int classes;
    const GenomeArgs *ga;
} Inputs;

/* --targets A:B against the T label columns of the input (the converters call back). */
static int select_targets(const void *text, int64_t T, int64_t *first, int64_t *count, Error *err)
{
    return parse_range("targets", (const char *)text, T, first, count, err);
}

/* Exactly one input, with what it needs, and an --out. */
static int check_inputs(const Inputs *in, const char *out, Error *err)
{
    int inputs = (in->fasta != NULL) + (in->deepsea != NULL) + (in->basset != NULL) +
                 (in->npz != NULL) + (in->npyx != NULL || in->npyy != NULL) +
                 (in->ga->genome != NULL);
    if (genome_check_args(in->ga, err) != 0)
        return -1;
    if (inputs != 1)
        return error_set(err, "give one input: --fasta with --labels, --deepsea, --basset, --npz, "
                              "--npy-x (with --npy-y), or --genome with --peaks (see --help)");
    if (!out)
        return error_set(err, "--out FILE is required");
    if (in->fasta && !in->labels)
        return error_set(err, "--fasta needs --labels TSV (first column the id, a header naming "
                              "the targets)");
    if (in->npyy && !in->npyx)
        return error_set(err, "--npy-y needs --npy-x (the sequences)");
    return 0;
}

/* Whether a and b are the same file (device and inode). */
static int same_file(const char *a, const char *b)
{
    struct stat x, y;
    return a && stat(a, &x) == 0 && stat(b, &y) == 0 && x.st_dev == y.st_dev && x.st_ino == y.st_ino;
}

/* --out names none of the inputs (peak and bigWig files included, with or without NAME=). */
static int check_not_input(const Inputs *in, const char *out, Error *err)
{
    const char *files[] = {in->fasta, in->labels, in->deepsea, in->basset, in->npz, in->npyx,
                           in->npyy, in->ga->genome, in->ga->regions, in->ga->blacklist,
                           in->ga->targets_file, in->ga->bigwig_file};
    int clash = 0;
    for (size_t i = 0; i < sizeof files / sizeof *files; i++)
        clash |= same_file(files[i], out);
    const OptList *lists[] = {&in->ga->peaks, &in->ga->bigwig};
    for (int l = 0; l < 2; l++)
        for (int i = 0; i < lists[l]->n; i++) {
            const char *item = lists[l]->item[i], *eq = strchr(item, '=');
            clash |= same_file(item, out) || (eq && same_file(eq + 1, out));
        }
    if (clash)
        return error_set(err, "--out %s is also an input", out);
    return 0;
}

/* --task: TASK_AUTO (inferred) when not given. */
static int read_task_option(const char *text, Task *task, Error *err)
{
    if (text && (task_parse(text, task) != 0 || *task == TASK_AUTO))
        return error_set(err, "--task: '%s', expected binary, multilabel, multiclass or "
                              "regression", text);
    return 0;
}

/* Whether this process prints: no launcher, or rank 0 of it. */
static int speaks(void) { return !par_launched() || par_rank(par_world()) == 0; }

/* The end of the command on every rank: rank 0's one line for an error, MPI finalized. */
static int convert_end(int status, const Error *err)
{
    if (err && speaks())
        report_error("convert", err);
    par_finalize();
    return status;
}

static int run_one_converter(const ConvertSettings *s, const Inputs *in, Error *err)
{
    if (in->fasta)
        return convert_fasta(s, in->fasta, in->labels, in->classes, err);
    if (in->deepsea)
        return convert_deepsea(s, in->deepsea, in->xname, in->yname, err);
    if (in->basset)
        return convert_basset(s, in->basset, in->split, err);
    const char *x = in->npz ? in->npz : in->npyx, *y = in->npz ? in->npz : in->npyy;
    return convert_npy(s, x, y, in->xname, in->yname, err);
}

static int run_converter(const ConvertSettings *s, const Inputs *in, Error *err)
{
    ParComm *c = par_launched() ? par_world() : NULL;
    if (in->ga->genome)
        return convert_genome_command(c, s, in->ga, err);
    if (!c || par_size(c) == 1)
        return run_one_converter(s, in, err);
    return par_root_verdict(c, par_rank(c) == 0 ? run_one_converter(s, in, err) : 0);
}

int cmd_convert(int argc, char **argv)
{
    const char *out = NULL, *fasta = NULL, *labels = NULL, *deepsea = NULL, *basset = NULL,
               *npz = NULL, *npyx = NULL, *npyy = NULL, *xname = NULL, *yname = NULL,
               *split = "train", *targets = NULL, *task = NULL;
    int classes = 0, progress = 0, length = 0, padding = PAD_PRE, zeros = -1, gzip = 0;
    int64_t limit = 0;
    GenomeArgs ga = GENOME_ARGS_DEFAULT;
    static const OptChoice zero_kinds[] = {{"padding", 0}, {"n", 1}, {NULL, 0}};
    const Option options[] = {
        OPT_STRING("out", "FILE", &out, "output gseq HDF5 file (required)"),
        OPT_STRING("fasta", "FILE", &fasta, "FASTA input, plain or gzip"),
        OPT_STRING("labels", "FILE", &labels, "labels TSV for --fasta: header 'id<TAB>target...'"),
        OPT_FLAG("classes", &classes, "the TSV has one column of class names: multiclass"),
        OPT_STRING("deepsea", "FILE", &deepsea, "DeepSEA .mat v7.3 (trainxdata (L,4,N), traindata)"),
        OPT_STRING("basset", "FILE", &basset, "Basset HDF5 (train_in (N,4,1,L), train_out, ...)"),
        OPT_STRING("split", "NAME", &split, "Basset split: train, valid or test (train)"),
        OPT_STRING("npz", "FILE", &npz, "NumPy .npz holding X (N,L,4) or (N,L) and y (N,K)"),
        OPT_STRING("npy-x", "FILE", &npyx, "NumPy X: a .npy, or a zip holding one (X_train.npy.zip)"),
        OPT_STRING("npy-y", "FILE", &npyy, "NumPy y, likewise (not needed when X holds the labels)"),
        OPT_STRING("x-name", "NAME", &xname, "dataset, array or field of the sequences (DeepSEA, NumPy)"),
        OPT_STRING("y-name", "NAME", &yname, "dataset, array or field of the labels (DeepSEA, NumPy)"),
        OPT_STRING("targets", "A:B", &targets, "keep label columns A..B-1 (DeepSEA TFs: 125:815)"),
        OPT_STRING("task", "TASK", &task,
                   "binary, multilabel, multiclass or regression (default: inferred)"),
        OPT_INT("length", "L", &length, 1, 1 << 30, "FASTA, NumPy strings: pad or trim to L (the longest)"),
        OPT_CHOICE("padding", "pre|post", &padding, padding_choices,
                   "side that padding (and FASTA trimming) goes on (pre)"),
        OPT_CHOICE("zeros", "padding|n", &zeros, zero_kinds,
                   "an all-zero one-hot position means (DeepSEA n, others padding)"),
        OPT_INT64("limit", "N", &limit, 1, INT64_MAX, "convert the first N samples only"),
        OPT_INT("compress", "0-9", &gzip, 0, 9, "gzip level of the HDF5 chunks, 0 = none (0)"),
        OPT_FLAG("progress", &progress, "show progress even when stderr is not a terminal"),
        GENOME_OPTIONS(ga),
        OPT_END,
    };
    const OptCommand cmd = {"convert", convert_usage, options};
    if (par_launched())
        par_init(&argc, &argv);
    int r = opt_read(&cmd, argc, argv, speaks(), 2);
    if (r >= 0)
        return convert_end(r, NULL);
    Error err = {{0}};
    const Inputs in = {fasta, labels, deepsea, basset, npz, npyx, npyy, xname, yname, split, classes,
                       &ga};
    ConvertSettings s = {.out = out, .progress = progress, .zeros_n = zeros,
                         .padding = (Padding)padding, .length = length, .limit = limit, .gzip = gzip};
    if (check_inputs(&in, out, &err) != 0)
        return convert_end(1, &err);
    if (strcmp(split, "train") && strcmp(split, "valid") && strcmp(split, "test"))
        error_set(&err, "--split: '%s', expected train, valid or test", split);
    else if (length && (deepsea || basset || ga.genome))
        error_set(&err, "--length applies to --fasta and NumPy strings (DeepSEA, Basset and "
                        "--genome have a fixed length; --window sets the genome's)");
    else if (ga.genome && (targets || limit || classes))
        error_set(&err, "--%s does not apply to --genome", targets ? "targets" : limit ? "limit" :
                        "classes");
    if (err.msg[0] || check_not_input(&in, out, &err) != 0 ||
        read_task_option(task, &s.task, &err) != 0)
        return convert_end(1, &err);
    s.targets = targets ? select_targets : NULL;
    s.targets_ctx = targets;
    double t0 = now_seconds();
    if (run_converter(&s, &in, &err) != 0)
        return convert_end(1, &err);
    if (!ga.genome && speaks() && (progress || isatty(2))) {
        const char *source = fasta ? fasta : deepsea ? deepsea : basset ? basset : npz ? npz : npyx;
        struct stat st;
        double mb = stat(source, &st) == 0 ? (double)st.st_size / 1e6 : 0;
        fprintf(stderr, "convert: wrote %s in %.2f s (%.1f MB of input, %.1f MB/s)\n", out,
                now_seconds() - t0, mb, mb / (now_seconds() - t0 + 1e-9));
    }
    return convert_end(0, NULL);
}
