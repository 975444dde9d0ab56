/* test_par.c: the collectives of par.c that the update is built from, on 2, 3 and 4 ranks under
 * mpirun: the ring reduce-scatter (slices of uneven size, pieces much smaller than a slice, so
 * that ranks walk different numbers of non-empty pieces), its fused last step, the in-place
 * all-gather, and the two verdicts (rank 0's outcome to every rank; whether any rank failed, with
 * the lowest failing rank's message on every rank). Without a launcher the cmocka tests start this program again under mpirun as a
 * worker (--worker), which checks the sums on every rank and exits non-zero on any mismatch. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include <cmocka.h>

#include "parallel/par.h"
#include "base/util.h"

enum { PIECE = 3 }; /* floats a piece: every slice takes several */

/* Element i of rank r's buffer: exact in float, and the sum over ranks is too. */
static float value(int r, size_t i) { return (float)((r + 1) * 1000 + (int)(i % 97)); }

static float sum_over_ranks(int P, size_t i)
{
    float s = 0.0f;
    for (int r = 0; r < P; r++)
        s += value(r, i);
    return s;
}

typedef struct {
    float *seen; /* the fused step's sums, at their place */
    const float *buf;
} Fused;

static void take_piece(void *ctx, size_t at, const float *incoming, int n)
{
    Fused *f = ctx;
    for (int i = 0; i < n; i++)
        f->seen[at + i] = f->buf[at + i] + incoming[i];
}

static int worker(void)
{
    ParComm *c = par_world();
    int P = par_size(c), r = par_rank(c), bad = 0;
    int counts[16], displs[16];
    size_t n = 0;
    for (int q = 0; q < P; q++) { /* slices of 10, 11, 12, ... floats: 4, 4, 4, 5 ... pieces */
        displs[q] = (int)n;
        counts[q] = 10 + q;
        n += (size_t)counts[q];
    }
    float *buf = xalloc_floats(n), *tmp = xalloc_floats(PIECE), *seen = xalloc_floats(n);
    for (int fused = 0; fused < 2; fused++) {
        for (size_t i = 0; i < n; i++)
            buf[i] = value(r, i);
        Fused f = {seen, buf};
        par_reduce_scatter_sum_f32(c, buf, counts, displs, tmp, PIECE, fused ? take_piece : NULL, &f);
        const float *got = fused ? seen : buf;
        for (int i = displs[r]; i < displs[r] + counts[r]; i++)
            bad += got[i] != sum_over_ranks(P, (size_t)i);
    }
    for (size_t i = 0; i < n; i++) /* the all-gather: each rank's slice from that rank */
        buf[i] = (int)i >= displs[r] && (int)i < displs[r] + counts[r] ? value(r, i) : -1.0f;
    par_allgather_f32(c, buf, counts, displs);
    for (int q = 0; q < P; q++)
        for (int i = displs[q]; i < displs[q] + counts[q]; i++)
            bad += buf[i] != value(q, (size_t)i);
    bad += par_root_verdict(c, r == 0 ? 7 : 0) != 7;
    Error err;
    char mine[32], want[32];
    snprintf(mine, sizeof mine, "rank %d", r);
    snprintf(want, sizeof want, "rank %d", P / 2); /* ranks P/2 .. P-1 fail; P/2 is the lowest */
    snprintf(err.msg, sizeof err.msg, "%s", mine);
    bad += par_any_failed(c, 0, &err) != 0 || strcmp(err.msg, mine) != 0; /* untouched */
    bad += par_any_failed(c, r >= P / 2 ? -1 : 0, &err) != -1 || strcmp(err.msg, want) != 0;
    if (bad)
        fprintf(stderr, "rank %d of %d: %d wrong sums or verdicts\n", r, P, bad);
    free(buf), free(tmp), free(seen);
    return bad != 0;
}

static void check_ranks(int P)
{
    char cmd[256];
    snprintf(cmd, sizeof cmd,
             "timeout 60 mpirun --oversubscribe -np %d build/tests/test_par --worker", P);
    printf("    $ %s\n", cmd);
    fflush(stdout);
    int st = system(cmd);
    assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
}

static void test_two_ranks(void **state) { check_ranks(2); }
static void test_three_ranks(void **state) { check_ranks(3); }
static void test_four_ranks(void **state) { check_ranks(4); }

int main(int argc, char **argv)
{
    if (argc > 1 && !strcmp(argv[1], "--worker")) {
        par_init(&argc, &argv);
        int status = worker();
        par_finalize();
        return status;
    }
    setenv("OMPI_ALLOW_RUN_AS_ROOT", "1", 1);
    setenv("OMPI_ALLOW_RUN_AS_ROOT_CONFIRM", "1", 1);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_two_ranks),
        cmocka_unit_test(test_three_ranks),
        cmocka_unit_test(test_four_ranks),
    };
    return cmocka_run_group_tests_name("par", tests, NULL, NULL);
}
