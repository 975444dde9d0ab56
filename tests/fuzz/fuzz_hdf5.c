/* fuzz_hdf5.c: libFuzzer target for reading HDF5 files: the gseq data reader (dataset.c over h5io.c)
 * and the checkpoint reader (checkpoint.c), on corrupted files. Seeds are real files
 * (tests/fuzz/seeds/hdf5/); libFuzzer mutates their bytes.
 * What must hold: every failure is an Error of one line naming the file, never a crash, a hang or
 * a die(). (HDF5 itself is not instrumented; a crash inside libhdf5 is reported as what it is.) */
#include <math.h>

#include "nn/adam.h"
#include "train/checkpoint.h"
#include "nn/config.h"
#include "data/dataset.h"
#include "fuzz_util.h"
#include "data/h5io.h"
#include "nn/model.h"

static void check_error(const Error *err, const char *path)
{
    if (strchr(err->msg, '\n') || !strstr(err->msg, path))
        abort(); /* one line naming the file */
}

static void read_data(const char *path)
{
    Error err;
    Dataset *d = dataset_open(path, &err);
    if (!d) {
        check_error(&err, path);
        return;
    }
    const DatasetInfo *in = dataset_info(d);
    int64_t n = in->n < 16 ? in->n : 16;
    if (in->length > 0 && in->length <= 100000 && in->targets > 0 && in->targets <= 10000) {
        uint8_t *tok = malloc((size_t)n * (size_t)in->length + 1);
        float *y = malloc(sizeof(float) * (size_t)n * (size_t)in->targets + 1);
        int32_t *len = malloc(sizeof(int32_t) * (size_t)n + 1);
        char **ids = calloc((size_t)n + 1, sizeof(char *));
        if (dataset_read_rows(d, 0, n, tok, y, &err) != 0)
            check_error(&err, path);
        if (dataset_read_lengths(d, 0, n, len, &err) != 0)
            check_error(&err, path);
        if (dataset_read_ids(d, 0, n, ids, &err) == 0)
            for (int64_t i = 0; i < n; i++)
                free(ids[i]);
        int width;
        if (dataset_read_extra(d, "oracle", 0, n, NULL, &width, &err) == 0 && width > 0 &&
            width <= 10000) {
            float *o = malloc(sizeof(float) * (size_t)n * (size_t)width + 1);
            dataset_read_extra(d, "oracle", 0, n, o, &width, &err);
            free(o);
        }
        if (in->n * (int64_t)in->length <= (1 << 20) && dataset_check(d, &err) != 0)
            check_error(&err, path);
        free(tok), free(y), free(len), free(ids);
    }
    dataset_close(d);
}

static void read_checkpoint(const char *path)
{
    Error err;
    char *text = checkpoint_read_config(path, &err);
    if (!text) {
        check_error(&err, path);
        return;
    }
    H5File *f = h5_open(path, 0, &err);
    double L = 0, K = 0;
    char *task_s = f ? h5_read_attr_string(f, "/", "task", &err) : NULL;
    Task task;
    int ok = f && task_s && h5_read_attr_double(f, "/", "length", &L, &err) == 0 &&
             h5_read_attr_double(f, "/", "targets", &K, &err) == 0 && task_parse(task_s, &task) == 0 &&
             task != TASK_AUTO && L >= 1 && L <= 4096 && K >= 1 && K <= 64;
    h5_close(f, &err);
    free(task_s);
    Config cfg;
    Model m;
    if (ok && config_load_text(&cfg, text, path, &err) != 0) {
        check_error(&err, path);
        config_free(&cfg);
    } else if (ok) {
        int small = cfg.n_layers <= 12;
        for (int i = 0; i < cfg.n_layers; i++)
            small &= cfg.layers[i].units <= 64 && cfg.layers[i].filters <= 64 && cfg.layers[i].dim <= 64;
        if (small && model_build(&m, &cfg, (int)L, (int)K, task, 2, &err) == 0) {
            Adam adam = {0};
            adam.m = calloc(m.n_params + 1, sizeof(float));
            adam.v = calloc(m.n_params + 1, sizeof(float));
            TrainState s;
            if (checkpoint_read(path, &m, &adam, &s, &err) != 0)
                check_error(&err, path);
            free(adam.m), free(adam.v);
            model_free(&m);
        }
        config_free(&cfg);
    }
    free(text);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_init();
    const char *path = fuzz_path("in.h5");
    fuzz_write(path, data, size);
    read_data(path);
    read_checkpoint(path);
    unlink(path);
    return 0;
}
