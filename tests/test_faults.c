/* test_faults.c: reliability (README.md, "Reliability"). Bad inputs the other suites do not try --
 * damaged, foreign and mismatched checkpoints, outputs that cannot be written (read-only, full), a
 * bad row on another rank than 0, data files that are damaged or claim rows they never stored,
 * config files with one fault each, command lines of every command -- each one its own test: under
 * `mpirun -np 2`, bounded in time, a non-zero exit without a signal or core, exactly one line
 * `gseq_mpi: ...` naming the file, option or dataset, every checkpoint left as it was, and no file
 * written at all (no temporary, half-written or empty one). Then faults: a rank of four SIGKILLed mid-epoch, a checkpoint
 * write that fails on a full file system and past a file size limit, and the memory of a run of 300
 * epochs. (SIGTERM / SIGUSR1 mid-run and an exact resume are in test_train.c.)
 *
 * Full and read-only file systems are small tmpfs mounts under build/test_faults (root and
 * CAP_SYS_ADMIN, as here and in CI); where mounting is not allowed those tests are skipped, and the
 * file-size-limit test still makes a checkpoint write fail. */
#define _GNU_SOURCE /* syscall(SYS_prlimit64) */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "data/h5io.h"
#include "nn/kernels.h"
#include "testutil.h"

#define WORK "build/test_faults"
#define DATA WORK "/data.h5"
#define REF WORK "/ref"    /* a good run (2 epochs): its checkpoints must never change */
#define CK WORK "/ck"      /* damaged and mismatched checkpoints */
#define FULL WORK "/full"  /* a tmpfs with no space left */
#define RO WORK "/ro"      /* a read-only tmpfs */
#define SMALL "--config jobs/configs/seed_lstm.ini --data " DATA " --set embedding.dim=8 " \
              "--set lstm_1.units=12 --set lstm_2.units=12 --set train.batch=40 --set train.lr=0.01"
#define MPIRUN "mpirun --oversubscribe -np "

static int have_full, have_ro; /* the mounts worked */

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + 1e-9 * ts.tv_nsec;
}

static void h5_edit(const char *path, void (*edit)(H5File *f))
{
    Error err;
    H5File *f = h5_open(path, 1, &err);
    if (!f)
        fail_msg("%s", err.msg);
    edit(f);
    assert_int_equal(h5_close(f, &err), 0);
}

/* ---- the damaged checkpoints ---- */

static void set_version_3(H5File *f)
{
    Error err;
    assert_int_equal(h5_write_attr_int(f, "/", "format_version", 3, &err), 0);
}

static void drop_adam(H5File *f)
{
    Error err;
    assert_int_equal(h5_write_attr_int(f, "/", "has_adam", 0, &err), 0);
}

static void short_params(H5File *f)
{
    Error err;
    float p[100] = {0};
    int64_t n = 100;
    assert_int_equal(h5_write_f32(f, "params", 1, &n, p, &err), 0);
}

static void other_units(H5File *f) /* the config says lstm_1 has 13 units; the weights, 12 */
{
    Error err;
    char *text = h5_read_string(f, "config", &err);
    assert_non_null(text);
    char *at = strstr(text, "units = 12");
    assert_non_null(at);
    at[9] = '3';
    assert_int_equal(h5_write_string(f, "config", text, &err), 0);
    free(text);
}

static void not_ini(H5File *f)
{
    Error err;
    assert_int_equal(h5_write_string(f, "config", "this is not ini\n", &err), 0);
}

/* A file with the checkpoint's datasets but only some of its attributes. */
static void partial_checkpoint(const char *from, const char *to, int with_version)
{
    Error err;
    int rank;
    int64_t dims[H5IO_MAX_RANK];
    H5File *f = h5_open(from, 0, &err);
    assert_non_null(f);
    assert_int_equal(h5_dims(f, "params", &rank, dims, &err), 0);
    float *p = xalloc_floats((size_t)dims[0]);
    assert_int_equal(h5_read_f32(f, "params", p, (size_t)dims[0], &err), 0);
    char *text = h5_read_string(f, "config", &err);
    h5_close(f, &err);
    H5File *g = h5_create(to, &err);
    assert_non_null(g);
    assert_int_equal(h5_write_f32(g, "params", 1, dims, p, &err), 0);
    assert_int_equal(h5_write_f32(g, "adam/m", 1, dims, p, &err), 0);
    assert_int_equal(h5_write_f32(g, "adam/v", 1, dims, p, &err), 0);
    assert_int_equal(h5_write_string(g, "config", text, &err), 0);
    if (with_version) {
        assert_int_equal(h5_write_attr_int(g, "/", "format_version", 1, &err), 0);
        assert_int_equal(h5_write_attr_int(g, "/", "n_params", dims[0], &err), 0);
        assert_int_equal(h5_write_attr_int(g, "/", "has_adam", 1, &err), 0);
        assert_int_equal(h5_write_attr_int(g, "/", "length", 190, &err), 0);
        assert_int_equal(h5_write_attr_int(g, "/", "targets", 1, &err), 0);
        assert_int_equal(h5_write_attr_string(g, "/", "task", "binary", &err), 0);
    }
    assert_int_equal(h5_close(g, &err), 0);
    free(p);
    free(text);
}

/* A copy of DATA whose last row has token 9 (it falls in rank 1's shard) or whose row 1 label is 2. */
static void bad_data(const char *path, int token)
{
    Error err;
    assert_int_equal(run("cp " DATA " %s", path), 0);
    H5File *f = h5_open(path, 1, &err);
    assert_non_null(f);
    int rank;
    int64_t dims[H5IO_MAX_RANK];
    const char *name = token ? "x" : "y";
    assert_int_equal(h5_dims(f, name, &rank, dims, &err), 0);
    size_t n = 1;
    for (int i = 0; i < rank; i++)
        n *= (size_t)dims[i];
    uint8_t *v = malloc(n);
    assert_int_equal(h5_read_u8(f, name, v, n, &err), 0);
    v[token ? n - 1 : 1] = token ? 9 : 2;
    assert_int_equal(h5_write_u8(f, name, rank, dims, v, &err), 0);
    assert_int_equal(h5_close(f, &err), 0);
    free(v);
}

/* A data file whose /x and /y claim 2^40 rows that were never written (a 2 KB file): HDF5 would
 * read them as zeros; before h5_check_stored, train allocated 20 GB and ran for hours. */
static void unstored_data(const char *path)
{
    Error err;
    H5File *f = h5_create(path, &err);
    assert_non_null(f);
    int64_t dx[2] = {(int64_t)1 << 40, 100}, cx[2] = {1024, 100}, dy = dx[0], cy = 1024;
    assert_int_equal(h5_create_dataset(f, "/x", H5IO_U8, 2, dx, NULL, cx, 1, &err), 0);
    assert_int_equal(h5_create_dataset(f, "/y", H5IO_U8, 1, &dy, NULL, &cy, 1, &err), 0);
    assert_int_equal(h5_close(f, &err), 0);
}

/* A data file with /x and no labels. */
static void data_without_y(const char *path)
{
    Error err;
    H5File *f = h5_create(path, &err);
    assert_non_null(f);
    uint8_t x[4 * 190] = {1};
    int64_t dims[2] = {4, 190};
    assert_int_equal(h5_write_u8(f, "x", 2, dims, x, &err), 0);
    assert_int_equal(h5_close(f, &err), 0);
}

/* Writes zeros into path until the file system is full, then gives back `keep` bytes. */
static void fill(const char *path, size_t keep)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    assert_true(fd >= 0);
    static char block[4096];
    off_t size = 0;
    ssize_t n;
    while ((n = write(fd, block, sizeof block)) > 0)
        size += n;
    assert_int_equal(errno, ENOSPC);
    assert_int_equal(ftruncate(fd, size > (off_t)keep ? size - (off_t)keep : 0), 0);
    close(fd);
}

static int mount_tmpfs(const char *dir, const char *options)
{
    mkdir(dir, 0777);
    return run("mount -t tmpfs -o %s tmpfs %s 2>/dev/null", options, dir) == 0;
}

static int setup(void **state)
{
    run("umount " FULL " " RO " " WORK "/small 2>/dev/null");
    run("rm -rf " WORK);
    mkdir("build", 0777);
    mkdir(WORK, 0777);
    mkdir(CK, 0777);
    if (run("./gseq_mpi synth --mode binary --n 300 --seed 3 --out " DATA " > /dev/null") ||
        run("./gseq_mpi synth --mode binary --n 300 --seed 4 --out " WORK "/other.h5 > /dev/null") ||
        run("./gseq_mpi synth --mode binary --n 300 --seed 3 --min-length 100 --max-length 120 "
            "--out " WORK "/short.h5 > /dev/null") ||
        run("./gseq_mpi synth --mode multilabel --n 100 --length 190 --targets 2 --out " WORK "/ml.h5 > /dev/null") ||
        run("./gseq_mpi train " SMALL " --set train.epochs=2 --quiet --out " REF " --force > /dev/null"))
        return -1;
    bad_data(WORK "/badtoken.h5", 1);
    bad_data(WORK "/badlabel.h5", 0);
    unstored_data(WORK "/unstored.h5");
    data_without_y(WORK "/noy.h5");
    run("head -c 4000 " DATA " > " WORK "/truncated.h5");
    /* configs: small models, each with one fault (test_config.c has them all, in-process) */
    mkdir(WORK "/cfg", 0777);
#define CFG_LAYERS "[train]\\nbatch = 40\\n[embedding]\\ndim = 4\\n[lstm_1]\\nunits = 4\\n" \
                   "return_sequences = true\\n"
#define CFG_TAIL "[lambda]\\ntype = pool_time\\n[output]\\ntype = dense\\n"
    const struct {
        const char *name, *text;
    } configs[] = {
        {"unknown_key", "[data]\\nbogus = 1\\n" CFG_LAYERS CFG_TAIL},
        {"bad_number", CFG_LAYERS "[lstm_2]\\nunits = 4x\\n" CFG_TAIL},
        {"negative_size", CFG_LAYERS "[lstm_2]\\nunits = -5\\n" CFG_TAIL},
        {"cannot_follow", "[onehot]\\n[flatten]\\n[conv1d]\\nfilters = 4\\nwidth = 3\\n[output]\\ntype = dense\\n"},
        {"pool_too_long", "[onehot]\\n[maxpool1d]\\npool = 1000\\n[flatten]\\n[output]\\ntype = dense\\n"},
    };
    for (size_t i = 0; i < sizeof configs / sizeof *configs; i++)
        run("printf '%s' > " WORK "/cfg/%s.ini", configs[i].text, configs[i].name);
    /* checkpoints: each in a directory of its own (train --resume writes its log beside it) */
    const char *copies[] = {"truncated", "v3", "noadam", "short", "units", "notini", "noversion",
                            "nostate", "empty", "text", "dir.h5", "ok"};
    for (size_t i = 0; i < sizeof copies / sizeof *copies; i++)
        run("mkdir -p " CK "/%s", copies[i]);
    run("head -c 20000 " REF "/last.h5 > " CK "/truncated/last.h5");
    run(": > " CK "/empty/last.h5");
    run("echo 'not a checkpoint' > " CK "/text/last.h5");
    const struct {
        const char *dir;
        void (*edit)(H5File *);
    } edits[] = {{"v3", set_version_3}, {"noadam", drop_adam}, {"short", short_params},
                 {"units", other_units}, {"notini", not_ini}, {"ok", NULL}};
    for (size_t i = 0; i < sizeof edits / sizeof *edits; i++) {
        char path[256];
        snprintf(path, sizeof path, CK "/%s/last.h5", edits[i].dir);
        run("cp " REF "/last.h5 %s", path);
        if (edits[i].edit)
            h5_edit(path, edits[i].edit);
    }
    partial_checkpoint(REF "/last.h5", CK "/noversion/last.h5", 0);
    partial_checkpoint(REF "/last.h5", CK "/nostate/last.h5", 1);
    /* the reference checkpoints, to compare after every case */
    run("cp " REF "/last.h5 " WORK "/ref_last.h5 && cp " REF "/best.h5 " WORK "/ref_best.h5");
    run("printf '>s1\\nACGT\\n>s2\\nGGCC\\n' > " WORK "/a.fa && printf 'id\\tt\\ns1\\t1\\ns2\\t0\\n' > " WORK "/a.tsv");
    run("echo text > " WORK "/plainfile");
    have_full = mount_tmpfs(FULL, "size=256k");
    if (have_full)
        fill(FULL "/filler", 0);
    have_ro = mount_tmpfs(RO, "ro,size=64k");
    printf("    tmpfs mounts: full %s, read-only %s\n", have_full ? "yes" : "no (skipped)",
           have_ro ? "yes" : "no (skipped)");
    return 0;
}

static int teardown(void **state)
{
    run("umount " FULL " " RO " 2>/dev/null");
    return 0;
}

/* ---- bad inputs ---- */

typedef struct {
    const char *name, *args;
    const char *expect1, *expect2; /* the one line holds both */
    const char *guard;             /* a file that must not change (besides REF's checkpoints) */
    int needs;                     /* 1: the full tmpfs, 2: the read-only one; +4: one process
                                    * (convert, synth, info do not use MPI) */
} BadCase;

#define RESUME(dir) "train --resume " CK "/" dir "/last.h5"
static const BadCase bad_cases[] = {
    /* checkpoints */
    {"resume: truncated checkpoint", RESUME("truncated"), CK "/truncated/last.h5", "truncated or damaged", CK "/truncated/last.h5", 0},
    {"resume: empty checkpoint", RESUME("empty"), CK "/empty/last.h5", "empty file", NULL, 0},
    {"resume: checkpoint not HDF5", RESUME("text"), CK "/text/last.h5", "not an HDF5 file", NULL, 0},
    {"resume: checkpoint a directory", "train --resume " CK "/dir.h5", CK "/dir.h5", "is a directory", NULL, 0},
    {"resume: format version 3", RESUME("v3"), CK "/v3/last.h5", "checkpoint format version 3, this gseq_mpi reads versions 1 to 2", CK "/v3/last.h5", 0},
    {"resume: no format version", RESUME("noversion"), CK "/noversion/last.h5", "no format_version", CK "/noversion/last.h5", 0},
    {"resume: --config that does not match the weights", RESUME("ok") " --config jobs/configs/seed_lstm.ini --data " DATA,
     CK "/ok/last.h5: holds 2269 parameters but the model has", "config and weights do not match", CK "/ok/last.h5", 0},
    {"resume: stored config that does not match its weights", RESUME("units"), CK "/units/last.h5: holds 2269 parameters", "do not match", CK "/units/last.h5", 0},
    {"resume: stored config not INI", RESUME("notini"), CK "/notini/last.h5:1", "not INI syntax", CK "/notini/last.h5", 0},
    {"resume: no optimiser state", RESUME("noadam"), CK "/noadam/last.h5", "holds no optimiser state", CK "/noadam/last.h5", 0},
    {"resume: parameters cut short", RESUME("short"), CK "/short/last.h5", "params", CK "/short/last.h5", 0},
    {"resume: training state missing", RESUME("nostate"), CK "/nostate/last.h5", "step", CK "/nostate/last.h5", 0},
    {"resume: other training data", RESUME("ok") " --data " WORK "/other.h5", CK "/ok/last.h5: was trained on other data", "fingerprint", CK "/ok/last.h5", 0},
    {"eval: truncated checkpoint", "eval --checkpoint " CK "/truncated/last.h5 --data " DATA " --out " WORK "/ev", CK "/truncated/last.h5", "truncated or damaged", NULL, 0},
    {"eval: format version 3", "eval --checkpoint " CK "/v3/last.h5 --data " DATA " --out " WORK "/ev", CK "/v3/last.h5", "format version 3", NULL, 0},
    {"eval: config that does not match the weights", "eval --checkpoint " CK "/units/last.h5 --data " DATA " --out " WORK "/ev", CK "/units/last.h5", "do not match", NULL, 0},
    {"eval: no format version", "eval --checkpoint " CK "/noversion/last.h5 --data " DATA " --out " WORK "/ev", CK "/noversion/last.h5", "checkpoint", NULL, 0},
    {"predict: truncated checkpoint", "predict --checkpoint " CK "/truncated/last.h5 --data " WORK "/a.fa --out " WORK "/p.h5", CK "/truncated/last.h5", "truncated or damaged", NULL, 0},
    {"predict: checkpoint not HDF5", "predict --checkpoint " CK "/text/last.h5 --data " WORK "/a.fa --out " WORK "/p.h5", CK "/text/last.h5", "not an HDF5 file", NULL, 0},
    {"predict: format version 3", "predict --checkpoint " CK "/v3/last.h5 --data " WORK "/a.fa --out " WORK "/p.h5", CK "/v3/last.h5", "format version 3", NULL, 0},
    /* output directories */
    {"train: --out under a plain file", "train " SMALL " --out " WORK "/plainfile/run", "--out " WORK "/plainfile/run", "Not a directory", NULL, 0},
    {"train: --out on a full disk", "train " SMALL " --out " FULL "/run", FULL "/run", "No space left on device", NULL, 1},
    {"train: --out on a read-only file system", "train " SMALL " --out " RO "/run", "--out " RO "/run", "Read-only file system", NULL, 2},
    {"eval: --out on a full disk", "eval --checkpoint " REF "/best.h5 --data " DATA " --out " FULL "/ev", FULL "/ev", "No space left on device", NULL, 1},
    {"predict: --out on a full disk", "predict --checkpoint " REF "/best.h5 --data " DATA " --out " FULL "/p.h5", FULL "/p.h5", "No space left on device", NULL, 1},
    {"predict: --out on a read-only file system", "predict --checkpoint " REF "/best.h5 --data " WORK "/a.fa --out " RO "/p.h5", RO "/p.h5", "Read-only file system", NULL, 2},
    {"predict --tsv: --out on a full disk", "predict --checkpoint " REF "/best.h5 --data " DATA " --tsv --out " FULL "/p.tsv", FULL "/p.tsv", "No space left on device", NULL, 1},
    {"convert: --out on a full disk", "convert --fasta " WORK "/a.fa --labels " WORK "/a.tsv --out " FULL "/c.h5", FULL "/c.h5", "No space left on device", NULL, 5},
    {"synth: --out on a full disk", "synth --n 100 --out " FULL "/s.h5", FULL "/s.h5", "No space left on device", NULL, 5},
    /* data: the bad row is found by rank 1 alone (shard mode) or by rank 0 */
    {"train: bad token in rank 1's shard", "train " SMALL " --data " WORK "/badtoken.h5 --data-mode shard --out " WORK "/x --force",
     WORK "/badtoken.h5", "token 9 outside 0..5", NULL, 0},
    {"train: bad token, scattered by rank 0", "train " SMALL " --data " WORK "/badtoken.h5 --io scatter --out " WORK "/x --force",
     WORK "/badtoken.h5", "token 9 outside 0..5", NULL, 0},
    {"train: label 2 in binary data", "train " SMALL " --data " WORK "/badlabel.h5 --out " WORK "/x --force", WORK "/badlabel.h5", "label 2 is not 0 or 1", NULL, 0},
    {"train: validation data of another length", "train " SMALL " --set data.valid=" WORK "/short.h5 --out " WORK "/x --force", WORK "/short.h5", "rows of 120 tokens", NULL, 0},
    {"train: test data of another length", "train " SMALL " --set data.test=" WORK "/short.h5 --out " WORK "/x --force", WORK "/short.h5", "a test file needs the same", NULL, 0},
    {"train: validation data of another task", "train " SMALL " --set data.valid=" WORK "/ml.h5 --out " WORK "/x --force", WORK "/ml.h5", "multilabel", NULL, 0},
    {"eval: data of another length", "eval --checkpoint " REF "/best.h5 --data " WORK "/short.h5 --out " WORK "/ev", WORK "/short.h5", "rows of 120 tokens", NULL, 0},
    {"train: rows claimed but never stored", "train " SMALL " --data " WORK "/unstored.h5 --out " WORK "/x --force",
     WORK "/unstored.h5: dataset /x: shape (1099511627776, 100) needs 1073741824 chunks", "the file stores 0", NULL, 0},
    {"train: data file truncated", "train " SMALL " --data " WORK "/truncated.h5 --out " WORK "/x --force", WORK "/truncated.h5", "truncated or damaged", NULL, 0},
    {"train: data file not HDF5", "train " SMALL " --data " WORK "/a.fa --out " WORK "/x --force", WORK "/a.fa", "not an HDF5 file", NULL, 0},
    {"train: data file without labels", "train " SMALL " --data " WORK "/noy.h5 --out " WORK "/x --force", WORK "/noy.h5", "dataset /y: missing", NULL, 0},
    {"train: data file missing", "train " SMALL " --data " WORK "/nope.h5 --out " WORK "/x --force", WORK "/nope.h5", "No such file", NULL, 0},
    /* config files */
    {"config: missing", "train --config " WORK "/cfg/nope.ini --data " DATA " --out " WORK "/x", WORK "/cfg/nope.ini", "No such file", NULL, 0},
    {"config: unknown key", "train --config " WORK "/cfg/unknown_key.ini --data " DATA " --out " WORK "/x", WORK "/cfg/unknown_key.ini:2:", "unknown key 'bogus'", NULL, 0},
    {"config: bad number", "train --config " WORK "/cfg/bad_number.ini --data " DATA " --out " WORK "/x", WORK "/cfg/bad_number.ini:9:", "units = 4x", NULL, 0},
    {"config: negative size", "train --config " WORK "/cfg/negative_size.ini --data " DATA " --out " WORK "/x", WORK "/cfg/negative_size.ini:9:", "units = -5", NULL, 0},
    {"config: a layer that cannot follow", "train --config " WORK "/cfg/cannot_follow.ini --data " DATA " --out " WORK "/x", WORK "/cfg/cannot_follow.ini:3:",
     "width 3 is longer than its input of 1 steps", NULL, 0},
    {"config: pool larger than the sequence", "train --config " WORK "/cfg/pool_too_long.ini --data " DATA " --out " WORK "/x", WORK "/cfg/pool_too_long.ini:2:",
     "pool 1000 is larger than its input of 190 steps", NULL, 0},
    /* command lines */
    {"unknown command", "bogus", "unknown command 'bogus'", "expected train", NULL, 0},
    {"train: unknown option", "train " SMALL " --bogus --out " WORK "/x", "unknown option --bogus", "train", NULL, 0},
    {"train: missing value", "train " SMALL " --out", "--out", "needs a value", NULL, 0},
    {"train: --set of an unknown section", "train " SMALL " --set gru.units=3 --out " WORK "/x", "gru", "no section", NULL, 0},
    {"train: --log-every not a number", "train " SMALL " --log-every often --out " WORK "/x", "--log-every 'often'", "expected an integer from 1", NULL, 0},
    {"train: --folds without --fold", "train " SMALL " --folds 3 --out " WORK "/x", "--folds K", "--fold k", NULL, 0},
    {"eval: missing value", "eval --checkpoint", "--checkpoint", "needs a value", NULL, 0},
    {"predict: unknown option", "predict --bogus", "unknown option", "--bogus", NULL, 0},
    {"cv: unknown option", "cv --bogus", "unknown option", "--bogus", NULL, 0},
    {"info: unknown option", "info --bogus", "unknown option", "--bogus", NULL, 4},
    {"synth: missing value", "synth --n", "--n", "needs a value", NULL, 4},
    {"convert: --compress out of range", "convert --fasta " WORK "/a.fa --labels " WORK "/a.tsv --compress 12 --out " WORK "/c.h5", "--compress", "12", NULL, 4},
};

/* The lines `cmd` prints, each printed after `label`; counted. */
static int lines_of(const char *cmd, const char *label)
{
    FILE *p = popen(cmd, "r");
    char line[512];
    int n = 0;
    while (p && fgets(line, sizeof line, p)) {
        printf("    %s: %s", label, line);
        n++;
    }
    if (p)
        pclose(p);
    return n;
}

/* Every file under dir that is a temporary one, or (on the full disk) not empty: printed; counted. */
static int leftovers(const char *dir, int nonempty_too)
{
    char cmd[512];
    snprintf(cmd, sizeof cmd, "find %s -type f \\( -name '*.tmp.*'%s \\) ! -name filler", dir,
             nonempty_too ? " -o -size +0" : "");
    return lines_of(cmd, "left behind");
}

/* Files a failed command created or changed (newer than WORK/stamp), besides what the test itself
 * writes: printed; counted. */
static int files_written(void)
{
    return lines_of("find " WORK " -type f -newer " WORK "/stamp ! -name 'bad.std*' ! -name guard",
                    "written");
}

static void run_bad(void **state)
{
    const BadCase *b = *state;
    int needs = b->needs & 3;
    if ((needs == 1 && !have_full) || (needs == 2 && !have_ro))
        skip();
    if (b->guard)
        assert_int_equal(run("cp %s " WORK "/guard", b->guard), 0);
    run("rm -rf " WORK "/x && touch " WORK "/stamp");
    double t0 = now();
    int st = run("timeout 60 %s./gseq_mpi %s > " WORK "/bad.stdout 2> " WORK "/bad.stderr",
                 b->needs & 4 ? "" : MPIRUN "2 ", b->args);
    double took = now() - t0;
    printf("    exit status %d after %.1f s\n", st, took);
    assert_int_not_equal(st, 0);
    assert_true(st != 124 && st < 128); /* no hang, no signal, no core */
    assert_true(took < 30.0);
    FILE *f = fopen(WORK "/bad.stderr", "r");
    char line[2048];
    int lines = 0, found = 0;
    while (f && fgets(line, sizeof line, f))
        if (strncmp(line, "gseq_mpi", 8) == 0) {
            lines++;
            found |= strstr(line, b->expect1) && strstr(line, b->expect2);
            printf("    -> %s", line);
        }
    if (f)
        fclose(f);
    assert_int_equal(lines, 1); /* one line, from one rank */
    assert_true(found);
    if (b->guard)
        assert_int_equal(run("cmp -s %s " WORK "/guard", b->guard), 0);
    assert_int_equal(run("cmp -s " REF "/last.h5 " WORK "/ref_last.h5 && cmp -s " REF "/best.h5 " WORK "/ref_best.h5"), 0);
    assert_int_equal(leftovers(WORK, 0), 0);
    if (needs == 1) /* nothing half-written on the full disk */
        assert_int_equal(leftovers(FULL, 1), 0);
    assert_int_equal(files_written(), 0); /* nor anything else, not even an empty log */
}

/* ---- faults ---- */

static float *read_params(const char *path, size_t *n)
{
    Error err;
    H5File *f = h5_open(path, 0, &err);
    if (!f)
        fail_msg("%s", err.msg);
    int rank;
    int64_t dims[H5IO_MAX_RANK];
    assert_int_equal(h5_dims(f, "params", &rank, dims, &err), 0);
    *n = (size_t)dims[0];
    float *p = xalloc_floats(*n);
    assert_int_equal(h5_read_f32(f, "params", p, *n, &err), 0);
    h5_close(f, &err);
    return p;
}

static int log_has(const char *path, const char *text)
{
    FILE *f = fopen(path, "r");
    char line[1024];
    int seen = 0;
    while (f && fgets(line, sizeof line, f))
        seen |= strstr(line, text) != NULL;
    if (f)
        fclose(f);
    return seen;
}

/* Starts `sh -c cmd` (exec'd, so the pid is the command's) and waits for `text` in `log`. */
static pid_t start_and_wait_for(const char *cmd, const char *log, const char *text)
{
    printf("    $ %s &\n", cmd);
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
        _exit(127);
    }
    for (int i = 0; i < 3000 && !log_has(log, text); i++) /* up to 60 s */
        nanosleep(&(struct timespec){0, 20000000L}, NULL);
    if (!log_has(log, text)) {
        kill(pid, SIGKILL);
        waitpid(pid, NULL, 0);
        fail_msg("'%s' never appeared in %s", text, log);
    }
    return pid;
}

/* Waits up to `limit` seconds; kills and fails past it. Returns the exit status and the time. */
static int wait_bounded(pid_t pid, double limit, double *took)
{
    double t0 = now();
    int st;
    while (waitpid(pid, &st, WNOHANG) == 0) {
        if (now() - t0 > limit) {
            kill(pid, SIGKILL);
            waitpid(pid, &st, 0);
            fail_msg("still running after %.0f s", limit);
        }
        nanosleep(&(struct timespec){0, 10000000L}, NULL);
    }
    *took = now() - t0;
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

/* The process among parent's children whose MPI rank is `rank`. */
static pid_t child_with_rank(pid_t parent, int rank)
{
    DIR *d = opendir("/proc");
    struct dirent *e;
    char want[64];
    snprintf(want, sizeof want, "OMPI_COMM_WORLD_RANK=%d", rank);
    pid_t found = 0;
    while (d && !found && (e = readdir(d))) {
        pid_t pid = (pid_t)atoi(e->d_name);
        if (pid <= 0)
            continue;
        char path[64], buf[8192];
        snprintf(path, sizeof path, "/proc/%d/stat", pid);
        FILE *f = fopen(path, "r");
        int ppid = 0;
        if (!f || fscanf(f, "%*d (%*[^)]) %*c %d", &ppid) != 1 || ppid != parent) {
            if (f)
                fclose(f);
            continue;
        }
        fclose(f);
        snprintf(path, sizeof path, "/proc/%d/environ", pid);
        int fd = open(path, O_RDONLY);
        ssize_t n = fd >= 0 ? read(fd, buf, sizeof buf - 1) : -1;
        if (fd >= 0)
            close(fd);
        for (ssize_t i = 0; i < n; i += (ssize_t)strlen(buf + i) + 1) {
            buf[n] = '\0';
            if (strcmp(buf + i, want) == 0)
                found = pid;
        }
    }
    if (d)
        closedir(d);
    return found;
}

/* One rank of four is SIGKILLed in the middle of epoch 2: the job ends within 30 s, last.h5 (of
 * epoch 1) is intact, and resuming from it ends exactly where an uninterrupted run ends. */
static void test_sigkill_one_rank_of_four(void **state)
{
    assert_int_equal(run(MPIRUN "4 ./gseq_mpi train " SMALL " --set train.epochs=3 --quiet --out " WORK
                         "/kill_whole --force > /dev/null"), 0);
    mkdir(WORK "/kill", 0777);
    pid_t pid = start_and_wait_for("GSEQ_FAULT_STEP_SLEEP_MS=100 exec " MPIRUN "4 ./gseq_mpi train " SMALL
                                   " --set train.epochs=3 --log-every 1 --out " WORK "/kill --force > "
                                   WORK "/kill.out 2>&1", WORK "/kill/train.log", "epoch 2/3 step 3/");
    assert_int_equal(run("cp " WORK "/kill/last.h5 " WORK "/kill_before.h5"), 0);
    pid_t victim = child_with_rank(pid, 2);
    assert_true(victim > 0);
    printf("    SIGKILL to rank 2 (pid %d) of mpirun %d\n", (int)victim, (int)pid);
    kill(victim, SIGKILL);
    double took;
    int st = wait_bounded(pid, 60.0, &took);
    printf("    the job ended %.1f s later with status %d\n", took, st);
    assert_true(took < 30.0);
    assert_int_not_equal(st, 0);
    assert_int_equal(run("cmp " WORK "/kill/last.h5 " WORK "/kill_before.h5"), 0);
    assert_int_equal(leftovers(WORK "/kill", 0), 0);
    assert_int_equal(run(MPIRUN "4 ./gseq_mpi train --resume " WORK "/kill/last.h5 --quiet > /dev/null"), 0);
    size_t n, m;
    float *a = read_params(WORK "/kill_whole/last.h5", &n), *b = read_params(WORK "/kill/last.h5", &m);
    assert_int_equal(n, m);
    assert_memory_equal(a, b, sizeof(float) * n);
    free(a), free(b);
}

static int metrics_lines(const char *path)
{
    FILE *f = fopen(path, "r");
    int n = 0, c, last = '\n';
    while (f && (c = fgetc(f)) != EOF) {
        n += c == '\n';
        last = c;
    }
    if (f)
        fclose(f);
    return last == '\n' ? n : -1; /* -1: a half-written line */
}

static void check_failed_write(const char *dir, const char *err_file, const char *why)
{
    char line[2048] = "";
    int lines = 0, found = 0;
    FILE *f = fopen(err_file, "r");
    while (f && fgets(line, sizeof line, f))
        if (strncmp(line, "gseq_mpi", 8) == 0) {
            lines++;
            found |= strstr(line, "writing checkpoint") && strstr(line, dir) && strstr(line, why);
            printf("    -> %s", line);
        }
    if (f)
        fclose(f);
    assert_int_equal(lines, 1);
    assert_true(found);
    char cmd[512];
    snprintf(cmd, sizeof cmd, "cmp %s/last.h5 " WORK "/before_last.h5 && cmp %s/best.h5 " WORK
             "/before_best.h5", dir, dir);
    assert_int_equal(run("%s", cmd), 0);
    assert_int_equal(leftovers(dir, 0), 0);
    char metrics[256];
    snprintf(metrics, sizeof metrics, "%s/metrics.jsonl", dir);
    assert_int_equal(metrics_lines(metrics), 1); /* epoch 1's line, whole; nothing after it */
}

/* A checkpoint write fails on a full file system: one line naming it, exit 1, the previous
 * checkpoints byte for byte as they were; with space again, resuming from them works. */
static void test_checkpoint_on_full_disk(void **state)
{
    if (!mount_tmpfs(WORK "/small", "size=512k"))
        skip();
    const char *dir = WORK "/small/run";
    int ok = run(MPIRUN "2 ./gseq_mpi train " SMALL " --set train.epochs=1 --quiet --out %s > /dev/null", dir) == 0 &&
             run("cp %s/last.h5 " WORK "/before_last.h5 && cp %s/best.h5 " WORK "/before_best.h5", dir, dir) == 0;
    if (ok) /* room for the config and a log line, not for a checkpoint (36 KB) */
        fill(WORK "/small/filler", 12 * 1024);
    double t0 = now();
    int st = ok ? run("timeout 60 " MPIRUN "2 ./gseq_mpi train --resume %s/last.h5 --set train.epochs=2 "
                      "--quiet > /dev/null 2> " WORK "/full.stderr", dir) : -1;
    printf("    exit status %d after %.1f s\n", st, now() - t0);
    if (ok) {
        ok = st != 0 && st != 124 && st < 128 && now() - t0 < 30;
        check_failed_write(dir, WORK "/full.stderr", "No space left on device");
        unlink(WORK "/small/filler");
        ok &= run(MPIRUN "2 ./gseq_mpi train --resume %s/last.h5 --set train.epochs=2 --quiet > /dev/null", dir) == 0;
        char metrics[256];
        snprintf(metrics, sizeof metrics, "%s/metrics.jsonl", dir);
        ok &= metrics_lines(metrics) == 2;
    }
    run("umount " WORK "/small");
    assert_true(ok);
}

/* The same past a file size limit (RLIMIT_FSIZE, set on the running process: a limit set before
 * MPI starts breaks Open MPI's own shared-memory files). gseq_mpi ignores SIGXFSZ, so the write
 * fails with EFBIG ("File too large") instead of the signal killing the process mid-write. */
static void test_checkpoint_past_file_size_limit(void **state)
{
    const char *dir = WORK "/fsize";
    mkdir(dir, 0777);
    unlink(WORK "/fsize/train.log");
    pid_t pid = start_and_wait_for("GSEQ_FAULT_STEP_SLEEP_MS=60 exec ./gseq_mpi train " SMALL
                                   " --set train.epochs=3 --out " WORK "/fsize --force > /dev/null 2> "
                                   WORK "/fsize.stderr", WORK "/fsize/train.log", "epoch 1/3:");
    assert_int_equal(run("cp %s/last.h5 " WORK "/before_last.h5 && cp %s/best.h5 " WORK "/before_best.h5", dir, dir), 0);
    struct rlimit lim = {16 * 1024, 16 * 1024}; /* a checkpoint is 36 KB */
    assert_int_equal(syscall(SYS_prlimit64, pid, RLIMIT_FSIZE, &lim, NULL), 0);
    double took;
    int st = wait_bounded(pid, 60.0, &took);
    printf("    exit status %d after %.1f s\n", st, took);
    assert_int_equal(st, 1); /* not 128 + SIGXFSZ */
    check_failed_write(dir, WORK "/fsize.stderr", "File too large");
    assert_int_equal(run("./gseq_mpi train --resume %s/last.h5 --quiet > /dev/null", dir), 0);
}

static double json_number_after(const char *path, const char *key)
{
    FILE *f = fopen(path, "r");
    char buf[8192];
    size_t n = f ? fread(buf, 1, sizeof buf - 1, f) : 0;
    if (f)
        fclose(f);
    buf[n] = '\0';
    const char *at = strstr(buf, key);
    if (!at)
        fail_msg("%s: no %s", path, key);
    return atof(at + strlen(key));
}

/* A validation file of its own is what the validation loss is computed on (it was the training
 * file's first rows until this test): epoch 1's val_loss equals eval's loss of that epoch's
 * checkpoint on the validation file. */
static void test_validation_file_is_used(void **state)
{
    assert_int_equal(run(MPIRUN "2 ./gseq_mpi train " SMALL " --set data.valid=" WORK "/other.h5 "
                         "--set train.epochs=1 --quiet --out " WORK "/vf --force > /dev/null"), 0);
    assert_int_equal(run(MPIRUN "2 ./gseq_mpi eval --checkpoint " WORK "/vf/last.h5 --data " WORK
                         "/other.h5 --out " WORK "/vf/eval --quiet"), 0);
    double train_says = json_number_after(WORK "/vf/metrics.jsonl", "\"val_loss\": ");
    double eval_says = json_number_after(WORK "/vf/eval/metrics.json", "\"loss\": ");
    printf("    validation loss: train %.6g, eval on the validation file %.6g\n", train_says, eval_says);
    assert_true(fabs(train_says - eval_says) <= 1e-5 * fabs(eval_says));
}

/* 300 epochs on tiny data under 2 ranks: the resident memory at the end of each epoch (the most on
 * one rank, metrics.jsonl's rss_mb) does not grow after the first epochs. */
static void test_memory_flat_over_a_long_run(void **state)
{
    if (getenv("GSEQ_SANITIZED")) {
        printf("    skipped: AddressSanitizer keeps freed memory in quarantine, so RSS grows by design\n");
        skip();
    }
    assert_int_equal(run("./gseq_mpi synth --n 100 --seed 4 --out " WORK "/tiny.h5 > /dev/null"), 0);
    double t0 = now();
    assert_int_equal(run(MPIRUN "2 ./gseq_mpi train --config jobs/configs/seed_lstm.ini --data " WORK
                         "/tiny.h5 --set embedding.dim=4 --set lstm_1.units=4 --set lstm_2.units=4 "
                         "--set train.batch=24 --set train.epochs=300 --set train.patience=0 --quiet "
                         "--out " WORK "/long --force > /dev/null"), 0);
    printf("    300 epochs in %.1f s\n", now() - t0);
    FILE *f = fopen(WORK "/long/metrics.jsonl", "r");
    assert_non_null(f);
    char line[1024];
    double rss[300] = {0}, most = 0;
    int n = 0;
    while (n < 300 && fgets(line, sizeof line, f)) {
        const char *at = strstr(line, "\"rss_mb\": ");
        assert_non_null(at);
        rss[n] = atof(at + 10);
        n++;
    }
    fclose(f);
    assert_int_equal(n, 300);
    for (int i = 10; i < n; i++)
        most = fmax(most, rss[i]);
    printf("    resident memory (most on one rank): epoch 1 %.2f MB, 10 %.2f MB, 100 %.2f MB, "
           "300 %.2f MB; highest after epoch 10 %.2f MB\n", rss[0], rss[9], rss[99], rss[299], most);
    assert_true(rss[0] > 1.0);
    assert_true(rss[299] - rss[9] < 1.0); /* under 3.5 KB an epoch */
    assert_true(most - rss[9] < 1.0);
}

/* Found by make sanitize (test_eval's checkpoint of NaN parameters): exp_fast converts
 * floor(x log2 e) to int, which for x = NaN is undefined behaviour (UBSan: "-nan is outside the
 * range of representable values of type 'int'", include/nn/kernels.h). The normal build gives NaN for
 * NaN, as it must; under make sanitize it failed until the conversion was guarded (a NaN n now
 * converts as 0). In a child process, since the sanitizer ends the process that trips it. */
static void test_exp_fast_of_nan(void **state)
{
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        volatile float nan = NAN, big = 1000.0f;
        int ok = isnan(exp_fast(nan)) && isnan(sigmoidf(nan)) && isnan(tanh_fast(nan)) &&
                 exp_fast(-big) < 1e-37f && exp_fast(big) > 1e38f;
        _exit(ok ? 0 : 1);
    }
    int st;
    assert_int_equal(waitpid(pid, &st, 0), pid);
    printf("    exp_fast of NaN, +-1000 in a child: %s\n",
           WIFEXITED(st) && WEXITSTATUS(st) == 0 ? "as expected"
           : WIFEXITED(st) && WEXITSTATUS(st) == 99 ? "undefined behaviour (make sanitize)"
                                                    : "wrong values");
    assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
}

int main(void)
{
    setenv("OMPI_ALLOW_RUN_AS_ROOT", "1", 1);
    setenv("OMPI_ALLOW_RUN_AS_ROOT_CONFIRM", "1", 1);
    setenv("OMPI_MCA_rmaps_base_oversubscribe", "1", 1);
    setenv("OMPI_MCA_odls_base_sigkill_timeout", "0", 1); /* see test_eval.c */
    setenv("OPENBLAS_NUM_THREADS", "1", 1);
    enum { NBAD = sizeof bad_cases / sizeof bad_cases[0], NFIXED = 5 };
    struct CMUnitTest tests[NBAD + NFIXED + 1] = {
        cmocka_unit_test(test_sigkill_one_rank_of_four),
        cmocka_unit_test(test_checkpoint_on_full_disk),
        cmocka_unit_test(test_checkpoint_past_file_size_limit),
        cmocka_unit_test(test_memory_flat_over_a_long_run),
        cmocka_unit_test(test_validation_file_is_used),
    };
    for (int i = 0; i < NBAD; i++)
        tests[NFIXED + i] = (struct CMUnitTest){bad_cases[i].name, run_bad, NULL, NULL, (void *)&bad_cases[i]};
    tests[NFIXED + NBAD] = (struct CMUnitTest)cmocka_unit_test(test_exp_fast_of_nan);
    return _cmocka_run_group_tests("faults", tests, NBAD + NFIXED + 1, setup, teardown);
}
