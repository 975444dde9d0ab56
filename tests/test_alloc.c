/* test_alloc.c: nothing is allocated inside the training step loop. This program defines malloc,
 * calloc, realloc, posix_memalign, aligned_alloc and free itself (they forward to glibc's
 * __libc_ versions), so every allocation of the process, in any thread, passes through a counter,
 * which tells gseq_mpi's code (linked into this program) from the libraries' by the caller's
 * address.
 * The shipped models (seed_lstm.ini, danq.ini, danq_book.ini at small batches, so that the dense
 * layers take matmul_wide and the convolution its one-hot path) are built, run two warm-up steps,
 * then three counted steps of what the trainer does: forward, zeroing, backward, the update; alone,
 * and on 2 ranks under mpirun with each exchange that sums gradients after backward (shared, ring). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include <cmocka.h>

#include "nn/adam.h"
#include "nn/config.h"
#include "nn/kernels.h"
#include "nn/loss.h"
#include "nn/model.h"
#include "parallel/par.h"
#include "base/rng.h"
#include "parallel/update.h"

static atomic_int counting;
static atomic_long calls, library_calls; /* from gseq_mpi's code (linked into this program); others */

#if defined(__SANITIZE_ADDRESS__) /* AddressSanitizer owns malloc in that build (make sanitize) */
#define INTERPOSED 0
#else
#define INTERPOSED 1
extern char __executable_start[], etext[];

extern void *__libc_malloc(size_t);
extern void *__libc_calloc(size_t, size_t);
extern void *__libc_realloc(void *, size_t);
extern void *__libc_memalign(size_t, size_t);
extern void __libc_free(void *);


/* A macro, so that the return address is the caller of malloc. */
#define count()                                                                                    \
    do {                                                                                           \
        if (atomic_load(&counting)) {                                                              \
            char *from = __builtin_return_address(0);                                              \
            atomic_fetch_add(from >= __executable_start && from < etext ? &calls : &library_calls, 1); \
        }                                                                                          \
    } while (0)

void *malloc(size_t n)
{
    count();
    return __libc_malloc(n);
}

void *calloc(size_t n, size_t size)
{
    count();
    return __libc_calloc(n, size);
}

void *realloc(void *p, size_t n)
{
    count();
    return __libc_realloc(p, n);
}

int posix_memalign(void **p, size_t align, size_t n)
{
    count();
    *p = __libc_memalign(align, n);
    return *p ? 0 : ENOMEM;
}

void *aligned_alloc(size_t align, size_t n)
{
    count();
    return __libc_memalign(align, n);
}

void free(void *p)
{
    if (p)
        count();
    __libc_free(p);
}

#endif

/* Steps of `config` with `batch` samples of random tokens (some padded); returns the calls
 * counted over the last three. */
static long calls_in_steps(const char *config, int length, int targets, Task task, int batch,
                           ExchangeMode exchange)
{
    Config cfg;
    Model m;
    Adam adam;
    Update u;
    Error err;
    if (config_load(&cfg, config, &err) != 0 || model_plan(&m, &cfg, length, targets, task, batch, &err) ||
        update_build(&u, par_world(), &m, &adam, exchange, &err))
        fail_msg("%s", err.msg);
    if (par_rank(par_world()) == 0)
        model_init_params(&m, 1);
    update_bcast_params(&u);
    uint8_t *tokens = calloc((size_t)batch * length, 1);
    float *labels = calloc((size_t)batch * targets, sizeof(float));
    uint32_t *index = calloc((size_t)batch, sizeof(uint32_t));
    for (int n = 0; n < batch; n++) {
        index[n] = (uint32_t)n;
        for (int t = n % 3 == 0 ? length / 3 : 0; t < length; t++) /* every third is padded */
            tokens[(size_t)n * length + t] = (uint8_t)(1 + (n * 7 + t * 3) % 4);
        for (int k = 0; k < targets; k++)
            labels[(size_t)n * targets + k] = (float)((n + k) % 2);
    }
    long counted = 0;
    for (int step = 0; step < 5; step++) {
        if (step == 2) {
            atomic_store(&calls, 0);
            atomic_store(&library_calls, 0);
            atomic_store(&counting, 1);
        }
        Pass p = {.n = batch, .training = 1, .tokens = tokens, .sample_index = index, .seed = 1,
                  .epoch = (uint32_t)step};
        model_forward(&m, &p);
        model_zero_grads(&m);
        model_backward(&m, &p, labels, loss_count(m.loss, batch, targets));
        update_step(&u, &adam, &cfg.train.adam);
    }
    atomic_store(&counting, 0);
    counted = atomic_load(&calls);
    printf("    %s, batch %d: %ld allocations or frees in 3 steps by gseq_mpi's code (%ld inside "
           "libraries: OpenBLAS's threaded sgemm allocates its job array per call)\n",
           config, batch, counted, atomic_load(&library_calls));
    free(tokens), free(labels), free(index);
    update_free(&u);
    adam_free(&adam);
    model_free(&m);
    config_free(&cfg);
    return counted;
}

static void test_seed_lstm(void **state)
{
    if (!INTERPOSED)
        skip();
    assert_int_equal(calls_in_steps("jobs/configs/seed_lstm.ini", 190, 1, TASK_BINARY, 24, EXCHANGE_AUTO), 0);
}

static void test_danq(void **state)
{
    if (!INTERPOSED)
        skip();
    assert_int_equal(calls_in_steps("jobs/configs/danq.ini", 1000, 919, TASK_MULTILABEL, 4, EXCHANGE_AUTO), 0);
}

static void test_danq_book(void **state)
{
    if (!INTERPOSED)
        skip();
    assert_int_equal(calls_in_steps("jobs/configs/danq_book.ini", 1000, 690, TASK_MULTILABEL, 2, EXCHANGE_AUTO), 0);
}

/* Under mpirun: the seed LSTM and DanQ steps on each of 2 ranks, with the given exchange. */
static int worker(const char *mode)
{
    ExchangeMode exchange = (ExchangeMode)exchange_mode_parse(mode);
    long counted = calls_in_steps("jobs/configs/seed_lstm.ini", 190, 1, TASK_BINARY, 24, exchange) +
                   calls_in_steps("jobs/configs/danq.ini", 1000, 919, TASK_MULTILABEL, 4, exchange);
    return counted != 0;
}

/* This process is an MPI singleton: the variables its MPI set for itself (PMIX_*, OMPI_MCA_*,
 * ORTE_*, ...) would make the mpirun it starts join them instead of launching afresh. */
static void forget_singleton_env(void)
{
    extern char **environ;
    char names[256][128];
    int n = 0;
    for (char **e = environ; *e && n < 256; e++) {
        const char *eq = strchr(*e, '=');
        int len = eq ? (int)(eq - *e) : 0;
        if (len > 0 && len < 128 && strncmp(*e, "OMPI_ALLOW_RUN_AS_ROOT", 22) &&
            (!strncmp(*e, "PMIX_", 5) || !strncmp(*e, "OMPI_", 5) || !strncmp(*e, "ORTE_", 5) ||
             !strncmp(*e, "OPAL_", 5)))
            snprintf(names[n++], 128, "%.*s", len, *e);
    }
    for (int i = 0; i < n; i++)
        unsetenv(names[i]);
}

static void check_two_ranks(const char *mode)
{
    if (!INTERPOSED)
        skip();
    forget_singleton_env();
    char cmd[256];
    snprintf(cmd, sizeof cmd, "timeout 120 mpirun --oversubscribe -np 2 build/tests/test_alloc "
             "--worker %s", mode);
    printf("    $ %s\n", cmd);
    fflush(stdout);
    int st = system(cmd);
    assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
}

static void test_two_ranks_shared(void **state) { check_two_ranks("shared"); }
static void test_two_ranks_ring(void **state) { check_two_ranks("ring"); }

int main(int argc, char **argv)
{
    int work = argc > 2 && !strcmp(argv[1], "--worker");
    par_init(&argc, &argv);
    kernels_init();
    if (work) {
        int status = worker(argv[2]);
        par_finalize();
        return status;
    }
    setenv("OMPI_ALLOW_RUN_AS_ROOT", "1", 1);
    setenv("OMPI_ALLOW_RUN_AS_ROOT_CONFIRM", "1", 1);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_seed_lstm),
        cmocka_unit_test(test_danq),
        cmocka_unit_test(test_danq_book),
        cmocka_unit_test(test_two_ranks_shared),
        cmocka_unit_test(test_two_ranks_ring),
    };
    int failed = cmocka_run_group_tests_name("alloc", tests, NULL, NULL);
    par_finalize();
    return failed;
}
