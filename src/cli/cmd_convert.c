/* cmd_convert.c: `gseq_mpi convert`: reads and checks the options, hands one input to its converter
 * (data/converter.h: FASTA + labels TSV, DeepSEA .mat, Basset HDF5, NumPy .npy/.npz) and reports
 * what was written. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/commands.h"
#include "data/convert.h"
#include "data/converter.h"

static const char *convert_usage =
    "usage: gseq_mpi convert INPUT --out FILE [options]\n"
    "Converts sequence data to the gseq HDF5 format (see README, File formats). INPUT is one of:\n"
    "  --fasta FILE --labels FILE [--classes]   FASTA (plain or .gz) and a labels TSV\n"
    "  --deepsea FILE                           DeepSEA train.mat (MATLAB v7.3 = HDF5)\n"
    "  --basset FILE [--split train]            Basset HDF5\n"
    "  --npz FILE                               NumPy archive holding X and y\n"
    "  --npy-x FILE [--npy-y FILE]              NumPy arrays (.npy, or a zip holding one); y may\n"
    "                                           be in X (structured, or (N, 2) strings)\n\n";

/* The input flags, once parsed. */
typedef struct {
    const char *fasta, *labels, *deepsea, *basset, *npz, *npyx, *npyy, *xname, *yname, *split;
    int classes;
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
                 (in->npz != NULL) + (in->npyx != NULL || in->npyy != NULL);
    if (inputs != 1)
        return error_set(err, "give one input: --fasta with --labels, --deepsea, --basset, --npz, "
                              "or --npy-x (with --npy-y) (see --help)");
    if (!out)
        return error_set(err, "--out FILE is required");
    if (in->fasta && !in->labels)
        return error_set(err, "--fasta needs --labels TSV (first column the id, a header naming "
                              "the targets)");
    if (in->npyy && !in->npyx)
        return error_set(err, "--npy-y needs --npy-x (the sequences)");
    return 0;
}

/* --out names none of the inputs (same device and inode). */
static int check_not_input(const Inputs *in, const char *out, Error *err)
{
    const char *files[] = {in->fasta, in->labels, in->deepsea, in->basset, in->npz, in->npyx,
                           in->npyy};
    for (size_t i = 0; i < sizeof files / sizeof *files; i++) {
        struct stat a, b;
        if (files[i] && stat(files[i], &a) == 0 && stat(out, &b) == 0 && a.st_dev == b.st_dev &&
            a.st_ino == b.st_ino)
            return error_set(err, "--out %s is also an input", out);
    }
    return 0;
}

/* --task: TASK_AUTO (inferred) when not given. */
static int read_task_option(const char *text, Task *task, Error *err)
{
    if (text && (task_parse(text, task) != 0 || *task == TASK_AUTO))
        return error_set(err, "--task: '%s', expected binary, multilabel or multiclass", text);
    return 0;
}

static int run_converter(const ConvertSettings *s, const Inputs *in, Error *err)
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

int cmd_convert(int argc, char **argv)
{
    const char *out = NULL, *fasta = NULL, *labels = NULL, *deepsea = NULL, *basset = NULL,
               *npz = NULL, *npyx = NULL, *npyy = NULL, *xname = NULL, *yname = NULL,
               *split = "train", *targets = NULL, *task = NULL, *length_s = NULL, *pad_s = "pre",
               *zeros_s = NULL, *limit_s = NULL, *gzip_s = "0";
    int classes = 0, progress = 0;
    const OptSpec specs[] = {
        {"out", "FILE", &out, NULL, "output gseq HDF5 file (required)"},
        {"fasta", "FILE", &fasta, NULL, "FASTA input, plain or gzip"},
        {"labels", "FILE", &labels, NULL, "labels TSV for --fasta: header 'id<TAB>target...'"},
        {"classes", NULL, NULL, &classes, "the TSV has one column of class names: multiclass"},
        {"deepsea", "FILE", &deepsea, NULL, "DeepSEA .mat v7.3 (trainxdata (L,4,N), traindata)"},
        {"basset", "FILE", &basset, NULL, "Basset HDF5 (train_in (N,4,1,L), train_out, ...)"},
        {"split", "NAME", &split, NULL, "Basset split: train, valid or test (train)"},
        {"npz", "FILE", &npz, NULL, "NumPy .npz holding X (N,L,4) or (N,L) and y (N,K)"},
        {"npy-x", "FILE", &npyx, NULL, "NumPy X: a .npy, or a zip holding one (X_train.npy.zip)"},
        {"npy-y", "FILE", &npyy, NULL, "NumPy y, likewise (not needed when X holds the labels)"},
        {"x-name", "NAME", &xname, NULL, "dataset, array or field of the sequences (DeepSEA, NumPy)"},
        {"y-name", "NAME", &yname, NULL, "dataset, array or field of the labels (DeepSEA, NumPy)"},
        {"targets", "A:B", &targets, NULL, "keep label columns A..B-1 (DeepSEA TFs: 125:815)"},
        {"task", "TASK", &task, NULL, "binary, multilabel or multiclass (default: inferred)"},
        {"length", "L", &length_s, NULL, "FASTA, NumPy strings: pad or trim to L (the longest)"},
        {"padding", "pre|post", &pad_s, NULL, "side that padding (and FASTA trimming) goes on (pre)"},
        {"zeros", "padding|n", &zeros_s, NULL, "an all-zero one-hot position means (DeepSEA n, "
                                               "others padding)"},
        {"limit", "N", &limit_s, NULL, "convert the first N samples only"},
        {"compress", "0-9", &gzip_s, NULL, "gzip level of the HDF5 chunks, 0 = none (0)"},
        {"progress", NULL, NULL, &progress, "show progress even when stderr is not a terminal"},
        {NULL, NULL, NULL, NULL, NULL},
    };
    Error err = {{0}};
    int r = parse_options(argc, argv, specs, &err);
    if (r == 1) {
        fputs(convert_usage, stdout);
        print_options(stdout, specs);
        return 0;
    }
    if (r != 0)
        return report_error("convert", &err);
    const Inputs in = {fasta, labels, deepsea, basset, npz, npyx, npyy, xname, yname, split, classes};
    ConvertSettings s = {.out = out, .progress = progress, .zeros_n = -1};
    if (check_inputs(&in, out, &err) != 0)
        return report_error("convert", &err);
    if (padding_parse(pad_s, &s.padding) != 0)
        error_set(&err, "--padding: '%s', expected pre or post", pad_s);
    else if (zeros_s && strcmp(zeros_s, "padding") != 0 && strcmp(zeros_s, "n") != 0)
        error_set(&err, "--zeros: '%s', expected padding or n", zeros_s);
    else if (strcmp(split, "train") && strcmp(split, "valid") && strcmp(split, "test"))
        error_set(&err, "--split: '%s', expected train, valid or test", split);
    if (err.msg[0] ||
        (length_s && parse_int("length", length_s, 1, 1 << 30, &s.length, &err) != 0) ||
        (limit_s && parse_int64("limit", limit_s, 1, INT64_MAX, &s.limit, &err) != 0) ||
        parse_int("compress", gzip_s, 0, 9, &s.gzip, &err) != 0)
        return report_error("convert", &err);
    if (zeros_s)
        s.zeros_n = strcmp(zeros_s, "n") == 0;
    if (length_s && (deepsea || basset))
        error_set(&err, "--length applies to --fasta and NumPy strings (DeepSEA and Basset have a "
                        "fixed length)");
    if (err.msg[0] || check_not_input(&in, out, &err) != 0 ||
        read_task_option(task, &s.task, &err) != 0)
        return report_error("convert", &err);
    s.targets = targets ? select_targets : NULL;
    s.targets_ctx = targets;
    double t0 = now_seconds();
    if (run_converter(&s, &in, &err) != 0)
        return report_error("convert", &err);
    if (progress || isatty(2)) {
        const char *source = fasta ? fasta : deepsea ? deepsea : basset ? basset : npz ? npz : npyx;
        struct stat st;
        double mb = stat(source, &st) == 0 ? (double)st.st_size / 1e6 : 0;
        fprintf(stderr, "convert: wrote %s in %.2f s (%.1f MB of input, %.1f MB/s)\n", out,
                now_seconds() - t0, mb, mb / (now_seconds() - t0 + 1e-9));
    }
    return 0;
}
