/* checkpoint.c: write and read training checkpoints through h5io. See checkpoint.h. */
#include "train/checkpoint.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "data/h5io.h"

static int write_all(H5File *f, const Model *m, const Adam *adam, const TrainState *s,
                     const char *config_text, Error *err)
{
    int64_t dims[1] = {(int64_t)m->n_params};
    if (h5_write_f32(f, "params", 1, dims, m->params, err) ||
        (adam && (h5_write_f32(f, "adam/m", 1, dims, adam->m, err) ||
                  h5_write_f32(f, "adam/v", 1, dims, adam->v, err))) ||
        h5_write_string(f, "config", config_text, err))
        return -1;
    struct {
        const char *name;
        int64_t value;
    } ints[] = {
        {"format_version", CHECKPOINT_FORMAT_VERSION},
        {"step", s->step},
        {"epoch", s->epoch},
        {"step_in_epoch", s->step_in_epoch},
        {"best_epoch", s->best_epoch},
        {"bad_epochs", s->bad_epochs},
        {"n_params", (int64_t)m->n_params},
        {"length", m->length},
        {"targets", m->targets},
        {"epoch_samples", s->epoch_samples},
    };
    for (size_t i = 0; i < sizeof ints / sizeof ints[0]; i++)
        if (h5_write_attr_int(f, "/", ints[i].name, ints[i].value, err))
            return -1;
    char seed[32];
    snprintf(seed, sizeof seed, "%llu", (unsigned long long)s->seed);
    if (h5_write_attr_string(f, "/", "seed", seed, err) ||
        h5_write_attr_double(f, "/", "best_metric", s->best_metric, err) ||
        h5_write_attr_double(f, "/", "epoch_loss_sum", s->epoch_loss_sum, err) ||
        h5_write_attr_string(f, "/", "task", task_name(m->task), err) ||
        h5_write_attr_string(f, "/", "loss", loss_name(m->loss), err) ||
        h5_write_attr_string(f, "/", "data_fingerprint", s->fingerprint, err) ||
        h5_write_attr_int(f, "/", "has_adam", adam != NULL, err) ||
        h5_write_attr_double(f, "/", "lr", s->sched.lr, err) ||
        h5_write_attr_double(f, "/", "plateau_best", s->sched.best, err) ||
        h5_write_attr_int(f, "/", "plateau_bad", s->sched.bad, err))
        return -1;
    return 0;
}

/* Forces a file (or directory) to stable storage, so that a crash of the machine right after the
 * rename cannot leave an empty checkpoint in place of the previous one. */
static int sync_path(const char *path, int directory)
{
    int fd = open(path, directory ? O_RDONLY : O_RDWR);
    if (fd < 0)
        return -1;
    int rc = fsync(fd);
    int e = errno;
    close(fd);
    errno = e;
    return rc;
}

static void dir_of(const char *path, char *dir, size_t n)
{
    snprintf(dir, n, "%s", path);
    char *slash = strrchr(dir, '/');
    if (!slash)
        snprintf(dir, n, ".");
    else if (slash == dir)
        dir[1] = '\0';
    else
        *slash = '\0';
}

int checkpoint_write(const char *path, const Model *m, const Adam *adam, const TrainState *s,
                     const char *config_text, Error *err)
{
    char tmp[4200];
    snprintf(tmp, sizeof tmp, "%s.tmp.%ld", path, (long)getpid());
    H5File *f = h5_create(tmp, err);
    int rc = f ? write_all(f, m, adam, s, config_text, err) : -1;
    Error close_err;
    if (f && h5_close(f, &close_err) != 0 && rc == 0) {
        *err = close_err;
        rc = -1;
    }
    if (rc == 0 && sync_path(tmp, 0) != 0)
        rc = error_set(err, "%s: cannot write: %s", tmp, strerror(errno));
    if (rc == 0 && rename(tmp, path) != 0)
        rc = error_set(err, "%s: cannot rename %s into place: %s", path, tmp, strerror(errno));
    if (rc == 0) { /* the rename itself, durable; the checkpoint is complete either way */
        char dir[4200];
        dir_of(path, dir, sizeof dir);
        (void)sync_path(dir, 1); /* some file systems refuse fsync on a directory: no matter */
    }
    if (rc != 0) {
        unlink(tmp);
        char why[sizeof err->msg];
        snprintf(why, sizeof why, "%s", err->msg);
        error_set(err, "writing checkpoint %s failed (the previous one is untouched): %s", path, why);
    }
    return rc;
}

char *checkpoint_read_config(const char *path, Error *err)
{
    H5File *f = h5_open(path, 0, err);
    if (!f)
        return NULL;
    char *text = NULL;
    if (!h5_has(f, "config") || !h5_has(f, "params"))
        error_set(err, "%s: not a gseq_mpi checkpoint (expected /params and /config)", path);
    else
        text = h5_read_string(f, "config", err);
    Error ignore;
    h5_close(f, &ignore);
    return text;
}

static int read_int(H5File *f, const char *attr, int64_t *out, Error *err)
{
    double v;
    if (h5_read_attr_double(f, "/", attr, &v, err))
        return -1;
    *out = (int64_t)v;
    return 0;
}

/* The schedule's state (version 2); a float rate stored as a double comes back exactly. */
static int read_schedule(H5File *f, const char *path, ScheduleState *sched, Error *err)
{
    double lr, best, bad;
    if (h5_read_attr_double(f, "/", "lr", &lr, err) ||
        h5_read_attr_double(f, "/", "plateau_best", &best, err) ||
        h5_read_attr_double(f, "/", "plateau_bad", &bad, err)) {
        char why[sizeof err->msg];
        snprintf(why, sizeof why, "%s", err->msg);
        return error_set(err, "%s: incomplete learning-rate schedule state: %s", path, why);
    }
    *sched = (ScheduleState){.lr = (float)lr, .best = best, .bad = (int)bad};
    return 0;
}

static int read_state(H5File *f, const char *path, TrainState *s, Error *err)
{
    int64_t v[6];
    const char *names[6] = {"step", "epoch", "step_in_epoch", "best_epoch", "bad_epochs",
                            "epoch_samples"};
    for (int i = 0; i < 6; i++)
        if (read_int(f, names[i], &v[i], err))
            return -1;
    s->step = (long)v[0];
    s->epoch = (int)v[1];
    s->step_in_epoch = (int)v[2];
    s->best_epoch = (int)v[3];
    s->bad_epochs = (int)v[4];
    s->epoch_samples = v[5];
    char *seed = h5_read_attr_string(f, "/", "seed", err);
    char *fp = seed ? h5_read_attr_string(f, "/", "data_fingerprint", err) : NULL;
    if (!seed || !fp || h5_read_attr_double(f, "/", "best_metric", &s->best_metric, err) ||
        h5_read_attr_double(f, "/", "epoch_loss_sum", &s->epoch_loss_sum, err)) {
        free(seed);
        free(fp);
        char why[sizeof err->msg];
        snprintf(why, sizeof why, "%s", err->msg);
        return error_set(err, "%s: incomplete training state: %s", path, why);
    }
    if (h5_has_attr(f, "/", "lr") && read_schedule(f, path, &s->sched, err)) {
        free(seed);
        free(fp);
        return -1;
    }
    s->seed = strtoull(seed, NULL, 10);
    snprintf(s->fingerprint, sizeof s->fingerprint, "%s", fp);
    free(seed);
    free(fp);
    return 0;
}

/* The loss the checkpoint was trained with, when it says (since regression), must be the one its
 * config gives the model now. */
static int check_loss(H5File *f, const char *path, const Model *m, Error *err)
{
    if (!h5_has_attr(f, "/", "loss"))
        return 0;
    char *name = h5_read_attr_string(f, "/", "loss", err);
    if (!name)
        return -1;
    int rc = strcmp(name, loss_name(m->loss)) == 0
                 ? 0
                 : error_set(err, "%s: trained with loss %s, but its config gives the model %s "
                             "(config and weights do not match)", path, name, loss_name(m->loss));
    free(name);
    return rc;
}

static int read_all(H5File *f, const char *path, Model *m, Adam *adam, TrainState *s, Error *err)
{
    int64_t version, n_params, has_adam;
    if (read_int(f, "format_version", &version, err))
        return error_set(err, "%s: not a gseq_mpi checkpoint (no format_version)", path);
    if (version < 1 || version > CHECKPOINT_FORMAT_VERSION)
        return error_set(err, "%s: checkpoint format version %lld, this gseq_mpi reads versions 1 "
                         "to %d", path, (long long)version, CHECKPOINT_FORMAT_VERSION);
    if (read_int(f, "n_params", &n_params, err) || read_int(f, "has_adam", &has_adam, err))
        return -1;
    if ((size_t)n_params != m->n_params)
        return error_set(err, "%s: holds %lld parameters but the model has %zu (config and weights "
                         "do not match)", path, (long long)n_params, m->n_params);
    if (check_loss(f, path, m, err) || h5_read_f32(f, "params", m->params, m->n_params, err))
        return -1;
    if (adam) {
        if (!has_adam)
            return error_set(err, "%s: holds no optimiser state to resume from", path);
        if (h5_read_f32(f, "adam/m", adam->m, m->n_params, err) ||
            h5_read_f32(f, "adam/v", adam->v, m->n_params, err))
            return -1;
    }
    if (s && read_state(f, path, s, err))
        return -1;
    if (adam && s)
        adam->step = s->step;
    return 0;
}

int checkpoint_read(const char *path, Model *m, Adam *adam, TrainState *s, Error *err)
{
    H5File *f = h5_open(path, 0, err);
    if (!f)
        return -1;
    int rc = read_all(f, path, m, adam, s, err);
    Error ignore;
    h5_close(f, &ignore);
    return rc;
}
