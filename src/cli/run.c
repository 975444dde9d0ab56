/* run.c: the start, the end on error, the output directory and the eval/predict frame of the
 * commands that run on every rank. See run.h. */
#include "cli/run.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "nn/kernels.h"

const OptChoice padding_choices[] = {{"pre", PAD_PRE}, {"post", PAD_POST}, {NULL, 0}};

int run_start(const OptCommand *cmd, int *argc, char ***argv, int *status)
{
    par_init(argc, argv);
    int st = opt_read(cmd, *argc, *argv, par_rank(par_world()) == 0, 2);
    if (st < 0)
        return 1;
    par_finalize();
    *status = st;
    return 0;
}

int run_usage_error(const OptCommand *cmd, const Error *err)
{
    if (par_rank(par_world()) == 0)
        opt_report(cmd, err);
    par_finalize();
    return 2;
}

int run_fail(ParComm *c, const Error *err, int status)
{
    if (par_rank(c) == 0) {
        fprintf(stderr, "gseq_mpi: %s\n", err->msg);
        fflush(stderr);
    }
    par_finalize();
    return status;
}

int run_make_dir(const char *dir, Error *err)
{
    char path[512];
    snprintf(path, sizeof path, "%s", dir);
    for (char *p = path + 1; *p; p++)
        if (*p == '/') {
            *p = '\0';
            if (mkdir(path, 0777) != 0 && errno != EEXIST)
                return error_set(err, "--out %s: cannot create %s: %s", dir, path, strerror(errno));
            *p = '/';
        }
    if (mkdir(path, 0777) != 0 && errno != EEXIST)
        return error_set(err, "--out %s: cannot create it: %s", dir, strerror(errno));
    char probe[600];
    snprintf(probe, sizeof probe, "%s/.gseq_write_test", dir);
    FILE *f = fopen(probe, "w");
    if (!f)
        return error_set(err, "--out %s: not writable: %s", dir, strerror(errno));
    fclose(f);
    unlink(probe);
    return 0;
}

int run_inference(ParComm *c, const InferJob *job)
{
    int root = par_rank(c) == 0;
    Error err = {{0}};
    InferResult res = {.ranks = par_size(c), .started = now_seconds()};
    kernels_set_threads(job->threads, par_node_size());
    if (par_root_verdict(c, root ? job->check_out(job->ctx, &err) : 0) != 0)
        return run_fail(c, &err, 1);
    Trained t;
    if (trained_load(c, job->checkpoint, job->batch, &t, &err) != 0)
        return run_fail(c, &err, 1);
    InferInput in;
    Padding padding = job->padding >= 0 ? (Padding)job->padding : t.padding;
    if (infer_input_open(c, job->data, &t, padding, job->labels, job->chroms, &in, &err) != 0) {
        trained_free(&t);
        return run_fail(c, &err, 1);
    }
    size_t total = (size_t)in.n * t.targets + 1;
    res.probs = root ? xalloc_floats(total) : NULL;
    res.labels = root && job->labels ? xalloc_floats(total) : NULL;
    res.oracle = root && in.oracle ? xalloc_floats(total) : NULL;
    int rc = infer_run(c, &t, &in, job->rc_average, res.probs, res.labels, res.oracle, &res.loss,
                       &err);
    if (rc == 0)
        rc = par_root_verdict(c, root ? job->finish(job->ctx, &t, &in, &res, &err) : 0);
    free(res.probs), free(res.labels), free(res.oracle);
    infer_input_free(&in);
    trained_free(&t);
    if (rc != 0)
        return run_fail(c, &err, 1);
    par_finalize();
    return 0;
}
