/* bench_model.c: training speed of one model config, for `make bench` (not a test).
 *
 *   mpirun -np P build/bench_model --config FILE --data FILE [--batch B] [--steps S] [--warmup W]
 *                                  [--repeat R] [--threads T] [--profile S] [--cpu-time]
 *                                  [--no-ceiling] [--label TEXT] [--exchange MODE]
 *
 * Runs what a training step runs, on the rows of a data file (`gseq_mpi synth` makes one), taken in
 * order and split over the ranks as the trainer splits them: forward, loss, backward, then the
 * trainer's update (update.c; --exchange as in `gseq_mpi train`, default auto: on one node the
 * gradients are summed in shared memory, each rank takes the Adam step on its slice of the one
 * copy of the parameters). Buffers are allocated once, so
 * the steady state is measured, after W warm-up steps. It then reports:
 *   - samples/s over S steps (the best of R such timings: other work on a shared machine only ever
 *     slows a run down);
 *   - GFLOP/s from an analytic count: the multiply-adds of every GEMM-shaped product a step does
 *     (forward, the parameter gradients, the input gradients a layer needs), times 2;
 *   - the sgemm ceiling: OpenBLAS timed at exactly those shapes, on every rank at once with the same
 *     threads, summed over one step; the achieved GFLOP/s as a share of it;
 *   - with --profile S: S more steps timed per layer and per phase (forward, loss, backward,
 *     exchange, Adam), min/avg/max over the ranks, so the next bottleneck is visible, and the
 *     share of step time spent in the gradient exchange;
 *   - peak resident memory per rank next to the analytic need (parameters, gradients, two Adam
 *     moments, the activations and layer buffers of the local batch, the data held); with shared
 *     memory, RSS counts a shared page in every rank that touches it, so the need is what a rank
 *     touches (its gradient, the parameters, its slices of the other gradients and the moments),
 *     and the node's total (proportional set sizes summed over the ranks) is printed next to the
 *     node's need (P gradients and batches, one copy of parameters and moments).
 * Rank 0 prints a table and one line `RESULT {json}` that tools/bench.sh collects. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "base/json_out.h"
#include "nn/adam.h"
#include "nn/config.h"
#include "data/data_table.h"
#include "nn/kernels.h"
#include "nn/loss.h"
#include "nn/model.h"
#include "parallel/par.h"
#include "parallel/update.h"

/* The profile's clock: wall time, or with --cpu-time this process's CPU time (steadier on a machine
 * that other work shares; it counts BLAS threads too, so use it with 1 thread). */
static int use_cpu_time;

typedef struct {
    const char *config, *data, *label;
    int batch, steps, warmup, threads, profile, ceiling, repeat;
    ExchangeMode exchange;
} Options;

static void usage(void)
{
    fprintf(stderr, "usage: bench_model --config FILE --data FILE [--batch B] [--steps S] [--warmup W]\n"
                    "                   [--repeat R] [--threads T] [--profile S] [--cpu-time]\n"
                    "                   [--no-ceiling] [--label TEXT] [--exchange MODE]\n");
    exit(2);
}

static Options parse(int argc, char **argv)
{
    Options o = {.steps = 10, .warmup = 2, .threads = 1, .ceiling = 1, .repeat = 1, .label = ""};
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--no-ceiling")) {
            o.ceiling = 0;
            continue;
        }
        if (!strcmp(a, "--cpu-time")) {
            use_cpu_time = 1;
            continue;
        }
        if (i + 1 >= argc)
            usage();
        const char *v = argv[++i];
        if (!strcmp(a, "--config"))
            o.config = v;
        else if (!strcmp(a, "--data"))
            o.data = v;
        else if (!strcmp(a, "--label"))
            o.label = v;
        else if (!strcmp(a, "--batch"))
            o.batch = atoi(v);
        else if (!strcmp(a, "--steps"))
            o.steps = atoi(v);
        else if (!strcmp(a, "--warmup"))
            o.warmup = atoi(v);
        else if (!strcmp(a, "--threads"))
            o.threads = atoi(v);
        else if (!strcmp(a, "--profile"))
            o.profile = atoi(v);
        else if (!strcmp(a, "--repeat"))
            o.repeat = atoi(v);
        else if (!strcmp(a, "--exchange") && exchange_mode_parse(v) >= 0)
            o.exchange = (ExchangeMode)exchange_mode_parse(v);
        else
            usage();
    }
    if (!o.config || !o.data || o.steps < 1 || o.warmup < 0 || o.threads < 1 || o.profile < 0 ||
        o.repeat < 1)
        usage();
    return o;
}

/* ---- the GEMM shapes of one training step ---- */

typedef struct {
    const char *what;
    int ta, tb, M, N, K;
    int count; /* calls a step */
    int layer;
} Shape3;

#define MAX_SHAPES 256

/* Every GEMM-shaped product of one step of the local batch n, as the layers run them. */
static int step_shapes(const Model *m, int n, Shape3 *s)
{
    int k = 0;
    for (int i = 0; i < m->n_layers; i++) {
        const Layer *l = &m->layers[i];
        int dx = l->need_dx;
        if (l->spec.kind == LAYER_CONV1D) {
            int rows = n * l->out.t, kc = l->spec.width * l->in.c, F = l->out.c;
            s[k++] = (Shape3){"conv fwd", 0, 0, rows, F, kc, 1, i};
            s[k++] = (Shape3){"conv dW", 1, 0, kc, F, rows, 1, i};
            if (dx)
                s[k++] = (Shape3){"conv dx", 0, 1, rows, kc, F, 1, i};
        } else if (l->spec.kind == LAYER_DENSE) {
            int rows = n * l->in.t, I = l->in.c, O = l->out.c;
            s[k++] = (Shape3){"dense fwd", 0, 0, rows, O, I, 1, i};
            s[k++] = (Shape3){"dense dW", 1, 0, I, O, rows, 1, i};
            if (dx)
                s[k++] = (Shape3){"dense dx", 0, 1, rows, I, O, 1, i};
        } else if (l->spec.kind == LAYER_LSTM) {
            int D = l->spec.bidirectional ? 2 : 1, T = l->in.t, I = l->in.c, H = l->spec.units;
            int G = 4 * H;
            s[k++] = (Shape3){"lstm x W", 0, 0, n * T, G, I, D, i};
            s[k++] = (Shape3){"lstm h U (a step)", 0, 0, n, G, H, D * (T - 1), i};
            s[k++] = (Shape3){"lstm dz U^T (a step)", 0, 1, n, H, G, D * (T - 1), i};
            s[k++] = (Shape3){"lstm dW", 1, 0, I, G, n * T, D, i};
            s[k++] = (Shape3){"lstm dU", 1, 0, H, G, n * T, D, i};
            if (dx)
                s[k++] = (Shape3){"lstm dx", 0, 1, n * T, I, G, D, i};
        }
    }
    return k;
}

static double shape_flops(const Shape3 *s) { return 2.0 * s->M * s->N * s->K * s->count; }

/* Seconds per call of sgemm at shape s: repeated for at least `budget` seconds after one warm call.
 * Every rank runs this at the same time, as in training. */
static double time_shape(const Shape3 *s, float *A, float *B, float *C, double budget)
{
    int lda = s->ta ? s->M : s->K, ldb = s->tb ? s->K : s->N;
    gemm(s->ta, s->tb, s->M, s->N, s->K, 1.0f, A, lda, B, ldb, 0.0f, C, s->N);
    int reps = 0;
    double t0 = now_seconds(), t;
    do {
        gemm(s->ta, s->tb, s->M, s->N, s->K, 1.0f, A, lda, B, ldb, 1.0f, C, s->N);
        reps++;
        t = now_seconds() - t0;
    } while (t < budget && reps < 1000);
    return t / reps;
}

/* ---- the step, with or without per-layer timers ---- */

static double clock_now(void)
{
    if (!use_cpu_time)
        return now_seconds();
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return ts.tv_sec + 1e-9 * ts.tv_nsec;
}

typedef struct {
    ModelTimes layers; /* per layer, and the loss (model.c times them) */
    double exchange, adam, gather;
} Profile;

typedef struct {
    Model *m;
    Adam *adam;
    Update *update;
    AdamConfig acfg;
    const DataTable *d;
    ParComm *comm;
    int B, P, r;
    uint8_t *tokens;
    float *labels;
    uint32_t *index;
} Bench;

/* One global batch (the k-th, rows taken cyclically); returns this rank's seconds of it. */
static void step(Bench *b, long k, Profile *pr)
{
    Model *m = b->m;
    int lo = (int)((int64_t)b->B * b->r / b->P), hi = (int)((int64_t)b->B * (b->r + 1) / b->P);
    int n = hi - lo, L = b->d->length, K = b->d->targets;
    double t0 = clock_now();
    for (int i = 0; i < n; i++) {
        int64_t row = ((int64_t)k * b->B + lo + i) % b->d->n;
        memcpy(b->tokens + (size_t)i * L, b->d->tokens + row * L, (size_t)L);
        memcpy(b->labels + (size_t)i * K, b->d->labels + row * K, sizeof(float) * K);
        b->index[i] = (uint32_t)row;
    }
    Pass p = {.n = n, .training = 1, .tokens = b->tokens, .sample_index = b->index, .seed = 1,
              .epoch = (uint32_t)(k / 1000)};
    double norm = loss_count(m->loss, b->B, K);
    double t1 = clock_now();
    if (pr)
        pr->gather += t1 - t0;
    m->times = pr ? &pr->layers : NULL;
    model_forward(m, &p);
    model_zero_grads(m);
    model_backward(m, &p, b->labels, norm);
    m->times = NULL;
    Update *u = b->update;
    double exchange = u->exchange_seconds, optimizer = u->optimizer_seconds;
    update_step(u, b->adam, &b->acfg);
    if (pr) { /* wall time, as update.c measures it */
        pr->exchange += u->exchange_seconds - exchange;
        pr->adam += u->optimizer_seconds - optimizer;
    }
}

/* Proportional set size now: shared pages divided among the processes that map them. */
static double pss_bytes(void)
{
    FILE *f = fopen("/proc/self/smaps_rollup", "r");
    char line[256];
    double kb = 0.0;
    while (f && fgets(line, sizeof line, f))
        if (sscanf(line, "Pss: %lf", &kb) == 1)
            break;
    if (f)
        fclose(f);
    return kb * 1024.0;
}

static double peak_rss_bytes(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_maxrss * 1024.0;
}

/* min, mean, max of v over the ranks */
static void over_ranks(ParComm *c, double v, double out[3])
{
    double lo[1] = {v}, sum[1] = {v}, hi[1] = {v};
    par_allreduce_min_f64(c, lo, 1);
    par_allreduce_sum_f64(c, sum, 1);
    par_allreduce_max_f64(c, hi, 1);
    out[0] = lo[0];
    out[1] = sum[0] / par_size(c);
    out[2] = hi[0];
}

int main(int argc, char **argv)
{
    par_init(&argc, &argv);
    ParComm *comm = par_world();
    int r = par_rank(comm), P = par_size(comm);
    Options o = parse(argc, argv);
    kernels_set_threads(o.threads, 1);
    const char *core = kernels_init();

    Error err;
    Config cfg;
    DataTable d;
    if (config_load(&cfg, o.config, &err) != 0 || data_table_load(&d, o.data, &err) != 0)
        die("%s", err.msg);
    int B = o.batch ? o.batch : cfg.train.batch, cap = (B + P - 1) / P;
    Model m;
    Adam adam;
    Update update;
    if (model_plan(&m, &cfg, d.length, d.targets, d.task, cap, &err) != 0 ||
        update_build(&update, comm, &m, &adam, o.exchange, &err) != 0)
        die("%s", err.msg);
    if (r == 0)
        model_init_params(&m, 1);
    update_bcast_params(&update);
    Bench b = {.m = &m, .adam = &adam, .update = &update, .acfg = cfg.train.adam, .d = &d, .comm = comm, .B = B, .P = P,
               .r = r};
    b.tokens = xmalloc((size_t)cap, (size_t)d.length);
    b.labels = xalloc_floats((size_t)cap * d.targets);
    b.index = xmalloc((size_t)cap, sizeof(uint32_t));

    long k = 0;
    for (int i = 0; i < o.warmup; i++)
        step(&b, k++, NULL);
    double seconds = 0.0; /* the best of `repeat` timings of S steps: other work on the machine
                           * only ever slows a run down */
    for (int rep = 0; rep < o.repeat; rep++) {
        par_barrier(comm);
        double t0 = now_seconds();
        for (int i = 0; i < o.steps; i++)
            step(&b, k++, NULL);
        par_barrier(comm);
        double t = now_seconds() - t0;
        seconds = rep == 0 || t < seconds ? t : seconds;
    }
    double samples_per_s = (double)B * o.steps / seconds;

    /* per layer and phase */
    Profile pr = {.layers = {.clock = clock_now,
                             .forward = xcalloc((size_t)m.n_layers, sizeof(double)),
                             .backward = xcalloc((size_t)m.n_layers, sizeof(double))}};
    double prof_seconds = 0.0;
    if (o.profile) {
        par_barrier(comm);
        double p0 = clock_now();
        for (int i = 0; i < o.profile; i++)
            step(&b, k++, &pr);
        prof_seconds = clock_now() - p0;
        par_barrier(comm);
    }

    /* analytic FLOPs of the local batch of rank 0 (the largest part) */
    Shape3 shapes[MAX_SHAPES];
    int ns = step_shapes(&m, cap, shapes);
    double flops = 0.0;
    for (int i = 0; i < ns; i++)
        flops += shape_flops(&shapes[i]);
    double gflops = flops * P / (seconds / o.steps) / 1e9; /* all ranks together */

    /* memory: peak before the ceiling measurement frees the model */
    double rss[3];
    over_ranks(comm, peak_rss_bytes(), rss);
    double per_rank = sizeof(float) * (double)model_activation_floats(&m, cap) +
                      (double)d.n * d.length + sizeof(float) * (double)d.n * d.targets +
                      (double)cap * d.length + sizeof(float) * (double)cap * d.targets;
    int shared = update.mode == EXCHANGE_SHARED;
    double nbytes = sizeof(float) * (double)m.n_params;
    double need = per_rank + (shared ? nbytes * (3.0 + 1.0 / P) : 4.0 * nbytes);
    double node_need = P * (per_rank + nbytes) + 3.0 * nbytes, pss[3];
    over_ranks(comm, pss_bytes(), pss);

    const char *names[MAX_SHAPES];
    for (int i = 0; i < m.n_layers; i++)
        names[i] = m.layers[i].spec.name;
    int n_layers = m.n_layers;
    size_t n_params = m.n_params;
    double share[3];
    over_ranks(comm, pr.exchange / (prof_seconds > 0 ? prof_seconds : 1.0), share);

    if (r == 0) {
        printf("%s  %s  batch %d over %d rank%s x %d thread%s, best of %d x %d steps after %d "
               "warm-up (BLAS core %s, exchange %s)\n", o.label, o.config, B, P, P > 1 ? "s" : "",
               o.threads, o.threads > 1 ? "s" : "", o.repeat, o.steps, o.warmup, core,
               P > 1 ? exchange_mode_name(update.mode) : "none");
        printf("  %.1f samples/s, %.3f s a step, %.1f GFLOP/s (%.3g GFLOP a step, analytic)\n",
               samples_per_s, seconds / o.steps, gflops, flops * P / 1e9);
        printf("  peak RSS per rank %.0f MB (max %.0f), analytic need %.0f MB: %.2fx\n", rss[1] / 1e6,
               rss[2] / 1e6, need / 1e6, rss[2] / need);
        if (shared)
            printf("  shared memory: node total %.0f MB (PSS at the end, summed over ranks), "
                   "analytic need %.0f MB: %.2fx\n", pss[1] * P / 1e6, node_need / 1e6,
                   pss[1] * P / node_need);
    }
    if (o.profile) {
        /* per-layer table: average over the ranks of seconds a step, min and max */
        if (r == 0)
            printf("  profile over %d steps (ms a step, mean over ranks [min max]):\n", o.profile);
        double total_f = 0.0, total_b = 0.0;
        for (int i = 0; i < n_layers; i++) {
            double f[3], bw[3];
            over_ranks(comm, pr.layers.forward[i] / o.profile * 1e3, f);
            over_ranks(comm, pr.layers.backward[i] / o.profile * 1e3, bw);
            total_f += f[1];
            total_b += bw[1];
            if (r == 0)
                printf("    %-12s forward %8.2f [%8.2f %8.2f]  backward %8.2f [%8.2f %8.2f]%s\n",
                       names[i], f[1], f[0], f[2], bw[1], bw[0], bw[2],
                       m.layers[i].absorbed ? "  (done by the layer before)" : "");
        }
        double ph[4][3];
        over_ranks(comm, pr.layers.loss / o.profile * 1e3, ph[0]);
        over_ranks(comm, pr.exchange / o.profile * 1e3, ph[1]);
        over_ranks(comm, pr.adam / o.profile * 1e3, ph[2]);
        over_ranks(comm, pr.gather / o.profile * 1e3, ph[3]);
        if (r == 0) {
            printf("    phases: forward %.2f, loss %.2f, backward %.2f, exchange %.2f [%.2f %.2f], "
                   "adam %.2f, batch copy %.2f; step %.2f ms\n",
                   total_f, ph[0][1], total_b, ph[1][1], ph[1][0], ph[1][2], ph[2][1], ph[3][1],
                   prof_seconds / o.profile * 1e3);
            printf("    gradient exchange: %.1f%% of step time (max over ranks)\n", 100 * share[2]);
        }
    }

    /* the sgemm ceiling at the model's shapes: free the model first (its memory is counted) */
    double ceiling = 0.0, ceiling_seconds = 0.0;
    if (o.ceiling) {
        size_t maxA = 1, maxB = 1, maxC = 1;
        for (int i = 0; i < ns; i++) {
            size_t a = (size_t)shapes[i].M * shapes[i].K, bb = (size_t)shapes[i].K * shapes[i].N;
            size_t c = (size_t)shapes[i].M * shapes[i].N;
            maxA = a > maxA ? a : maxA;
            maxB = bb > maxB ? bb : maxB;
            maxC = c > maxC ? c : maxC;
        }
        model_free(&m);
        adam_free(&adam);
        update_free(&update);
        data_table_free(&d);
        float *A = xalloc_floats(maxA), *Bm = xalloc_floats(maxB), *C = xalloc_floats(maxC);
        for (size_t i = 0; i < maxA; i++)
            A[i] = 0.01f * (float)((i * 2654435761u) % 1000) - 5.0f;
        for (size_t i = 0; i < maxB; i++)
            Bm[i] = 1e-3f * (float)((i * 40503u) % 1000) - 0.5f;
        if (r == 0)
            printf("  sgemm at the model's shapes (local batch %d):\n", cap);
        for (int i = 0; i < ns; i++) {
            par_barrier(comm);
            double t = time_shape(&shapes[i], A, Bm, C, 0.3);
            double tt[3];
            over_ranks(comm, t, tt);
            double g = 2.0 * shapes[i].M * shapes[i].N * shapes[i].K / tt[1] / 1e9;
            ceiling_seconds += tt[1] * shapes[i].count;
            if (r == 0)
                printf("    %-12s %-22s %c%c M %6d N %6d K %6d x %4d: %7.1f GFLOP/s a rank\n",
                       names[shapes[i].layer], shapes[i].what, shapes[i].ta ? 'T' : 'N',
                       shapes[i].tb ? 'T' : 'N', shapes[i].M, shapes[i].N, shapes[i].K,
                       shapes[i].count, g);
        }
        ceiling = flops * P / ceiling_seconds / 1e9;
        if (r == 0)
            printf("  sgemm ceiling for this model: %.1f GFLOP/s (all ranks); reached %.1f%%\n",
                   ceiling, 100.0 * gflops / ceiling);
        free(A), free(Bm), free(C);
    }
    if (r == 0) {
        char *result = json_out_text(json_out_pack(
            "{s:o, s:o, s:i, s:i, s:i, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:I, s:o}",
            "label", json_out_string(o.label), "config", json_out_string(o.config), "batch", B,
            "ranks", P, "threads", o.threads, "samples_per_s", json_out_number(samples_per_s),
            "step_s", json_out_number(seconds / o.steps), "gflops", json_out_number(gflops),
            "ceiling_gflops", json_out_number(ceiling),
            "ceiling_share", json_out_number(ceiling > 0 ? gflops / ceiling : 0.0),
            "exchange_share", json_out_number(o.profile ? share[2] : -1.0),
            "rss_mb", json_out_number(rss[2] / 1e6), "need_mb", json_out_number(need / 1e6),
            "n_params", (json_int_t)n_params, "flops_per_step", json_out_number(flops * P)));
        printf("RESULT %s\n", result);
        free(result);
        fflush(stdout);
    }
    if (!o.ceiling) {
        model_free(&m);
        adam_free(&adam);
        update_free(&update);
        data_table_free(&d);
    }
    free(pr.layers.forward), free(pr.layers.backward), free(b.tokens), free(b.labels), free(b.index);
    config_free(&cfg);
    par_finalize();
    return 0;
}
