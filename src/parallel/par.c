/* par.c: the one compilation unit that calls MPI. See par.h. */
#include "parallel/par.h"

#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/util.h"

struct ParComm {
    MPI_Comm comm;
    int rank, size;
};

struct ParBuckets {
    ParComm *comm;
    float *buf;
    size_t *offsets; /* n + 1 boundaries into buf */
    int n;
    MPI_Request *req;
};

static ParComm world;
static int started;

static void check(int rc, const char *what)
{
    if (rc == MPI_SUCCESS)
        return;
    char msg[MPI_MAX_ERROR_STRING];
    int len = 0;
    MPI_Error_string(rc, msg, &len);
    die("MPI %s failed: %s", what, msg);
}

void par_abort(int status)
{
    int up = 0, down = 0;
    MPI_Initialized(&up);
    MPI_Finalized(&down);
    if (up && !down)
        MPI_Abort(MPI_COMM_WORLD, status);
    exit(status);
}

void par_init(int *argc, char ***argv)
{
    int provided;
    check(MPI_Init_thread(argc, argv, MPI_THREAD_FUNNELED, &provided), "MPI_Init_thread");
    started = 1;
    MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
    world.comm = MPI_COMM_WORLD;
    check(MPI_Comm_rank(world.comm, &world.rank), "MPI_Comm_rank");
    check(MPI_Comm_size(world.comm, &world.size), "MPI_Comm_size");
    util_set_die_hook(world.size > 1 ? par_abort : NULL);
}

void par_finalize(void)
{
    if (started)
        MPI_Finalize();
    started = 0;
}

ParComm *par_world(void) { return &world; }
int par_rank(const ParComm *c) { return c->rank; }
int par_size(const ParComm *c) { return c->size; }

ParComm *par_split(ParComm *c, int color)
{
    ParComm *g = xcalloc(1, sizeof *g);
    check(MPI_Comm_split(c->comm, color, c->rank, &g->comm), "MPI_Comm_split");
    MPI_Comm_set_errhandler(g->comm, MPI_ERRORS_RETURN);
    check(MPI_Comm_rank(g->comm, &g->rank), "MPI_Comm_rank");
    check(MPI_Comm_size(g->comm, &g->size), "MPI_Comm_size");
    return g;
}

void par_comm_free(ParComm *c)
{
    if (!c || c == &world)
        return;
    MPI_Comm_free(&c->comm);
    free(c);
}

int par_node_size(void)
{
    MPI_Comm node;
    int size = 1;
    check(MPI_Comm_split_type(MPI_COMM_WORLD, MPI_COMM_TYPE_SHARED, 0, MPI_INFO_NULL, &node),
          "MPI_Comm_split_type");
    check(MPI_Comm_size(node, &size), "MPI_Comm_size");
    MPI_Comm_free(&node);
    return size;
}

int par_launched(void)
{
    return getenv("OMPI_COMM_WORLD_SIZE") != NULL || getenv("PMIX_RANK") != NULL;
}

int par_root_verdict(ParComm *c, int rc)
{
    par_bcast(c, &rc, sizeof rc, 0);
    return rc;
}

int par_any_failed(ParComm *c, int rc, Error *err)
{
    double first = rc ? c->rank : c->size;
    par_allreduce_min_f64(c, &first, 1);
    if (first >= c->size)
        return 0;
    par_bcast(c, err->msg, sizeof err->msg, (int)first);
    return -1;
}

void par_barrier(ParComm *c) { check(MPI_Barrier(c->comm), "MPI_Barrier"); }

void par_bcast(ParComm *c, void *buf, size_t bytes, int root)
{
    char *p = buf;
    while (bytes > 0) { /* MPI counts are int: send in pieces under 1 GiB */
        int piece = bytes > (1u << 30) ? (1 << 30) : (int)bytes;
        check(MPI_Bcast(p, piece, MPI_BYTE, root, c->comm), "MPI_Bcast");
        p += piece;
        bytes -= (size_t)piece;
    }
}

static void allreduce(ParComm *c, void *buf, size_t n, MPI_Datatype type, size_t width, MPI_Op op)
{
    if (c->size == 1)
        return;
    char *p = buf;
    while (n > 0) {
        int piece = n > (1u << 28) ? (1 << 28) : (int)n;
        check(MPI_Allreduce(MPI_IN_PLACE, p, piece, type, op, c->comm), "MPI_Allreduce");
        p += (size_t)piece * width;
        n -= (size_t)piece;
    }
}

void par_allreduce_sum_f32(ParComm *c, float *buf, size_t n) { allreduce(c, buf, n, MPI_FLOAT, 4, MPI_SUM); }
void par_allreduce_sum_f64(ParComm *c, double *buf, size_t n) { allreduce(c, buf, n, MPI_DOUBLE, 8, MPI_SUM); }
void par_allreduce_max_f64(ParComm *c, double *buf, size_t n) { allreduce(c, buf, n, MPI_DOUBLE, 8, MPI_MAX); }
void par_allreduce_min_f64(ParComm *c, double *buf, size_t n) { allreduce(c, buf, n, MPI_DOUBLE, 8, MPI_MIN); }
void par_allreduce_sum_i64(ParComm *c, int64_t *buf, size_t n) { allreduce(c, buf, n, MPI_INT64_T, 8, MPI_SUM); }

void par_reduce_scatter_sum_f32(ParComm *c, float *buf, const int *counts, const int *displs,
                                float *tmp, int tmp_n, ParPieceFn last, void *ctx)
{
    /* A ring: at step s, block (r - s - 1) goes to the right and block (r - s - 2) comes from the
     * left and is added to this rank's copy, in pieces of tmp_n floats; after P - 1 steps block r
     * holds the sum. Open MPI's own MPI_Reduce_scatter took twice as long as MPI_Allreduce here. */
    int P = c->size, r = c->rank, right = (r + 1) % P, left = (r + P - 1) % P, most = 0;
    for (int q = 0; q < P; q++) /* every rank walks the same pieces, so that each send is matched */
        most = counts[q] > most ? counts[q] : most;
    for (int s = 0; s < P - 1; s++) {
        int out = ((r - s - 1) % P + P) % P, in = ((r - s - 2) % P + P) % P;
        for (int at = 0; at < most; at += tmp_n) {
            int n_out = counts[out] - at < tmp_n ? counts[out] - at : tmp_n;
            int n_in = counts[in] - at < tmp_n ? counts[in] - at : tmp_n;
            n_out = n_out < 0 ? 0 : n_out, n_in = n_in < 0 ? 0 : n_in;
            check(MPI_Sendrecv(buf + displs[out] + at, n_out, MPI_FLOAT, right, 7, tmp, n_in, MPI_FLOAT,
                               left, 7, c->comm, MPI_STATUS_IGNORE),
                  "MPI_Sendrecv");
            if (s == P - 2 && last) { /* the last piece of this rank's own block */
                if (n_in > 0)
                    last(ctx, (size_t)displs[in] + (size_t)at, tmp, n_in);
                continue;
            }
            float *dst = buf + displs[in] + at;
            for (int i = 0; i < n_in; i++)
                dst[i] += tmp[i];
        }
    }
}

void par_allgather_f32(ParComm *c, float *buf, const int *counts, const int *displs)
{
    if (c->size == 1)
        return;
    check(MPI_Allgatherv(MPI_IN_PLACE, 0, MPI_DATATYPE_NULL, buf, counts, displs, MPI_FLOAT, c->comm),
          "MPI_Allgatherv");
}

void par_gather_f32(ParComm *c, const float *send, int count, float *recv, int root)
{
    int *counts = NULL, *displs = NULL;
    if (c->rank == root) {
        counts = xmalloc((size_t)c->size, sizeof(int));
        displs = xmalloc((size_t)c->size, sizeof(int));
    }
    check(MPI_Gather(&count, 1, MPI_INT, counts, 1, MPI_INT, root, c->comm), "MPI_Gather");
    if (c->rank == root)
        for (int r = 0, at = 0; r < c->size; at += counts[r], r++)
            displs[r] = at;
    check(MPI_Gatherv(send, count, MPI_FLOAT, recv, counts, displs, MPI_FLOAT, root, c->comm),
          "MPI_Gatherv");
    free(counts);
    free(displs);
}

void par_gather_bytes(ParComm *c, const void *send, size_t bytes, void *recv, int root)
{
    if (bytes > (size_t)INT32_MAX)
        die("gather of %zu bytes is too large", bytes);
    int *counts = NULL, *displs = NULL, n = (int)bytes;
    if (c->rank == root) {
        counts = xmalloc((size_t)c->size, sizeof(int));
        displs = xmalloc((size_t)c->size, sizeof(int));
    }
    check(MPI_Gather(&n, 1, MPI_INT, counts, 1, MPI_INT, root, c->comm), "MPI_Gather");
    if (c->rank == root)
        for (int r = 0, at = 0; r < c->size; at += counts[r], r++)
            displs[r] = at;
    check(MPI_Gatherv(send, n, MPI_BYTE, recv, counts, displs, MPI_BYTE, root, c->comm),
          "MPI_Gatherv");
    free(counts);
    free(displs);
}

void par_send_bytes(ParComm *c, const void *buf, size_t bytes, int to)
{
    const char *p = buf;
    do {
        int piece = bytes > (1u << 30) ? (1 << 30) : (int)bytes;
        check(MPI_Send(p, piece, MPI_BYTE, to, 7, c->comm), "MPI_Send");
        p += piece;
        bytes -= (size_t)piece;
    } while (bytes > 0);
}

void par_recv_bytes(ParComm *c, void *buf, size_t bytes, int from)
{
    char *p = buf;
    do {
        int piece = bytes > (1u << 30) ? (1 << 30) : (int)bytes;
        check(MPI_Recv(p, piece, MPI_BYTE, from, 7, c->comm, MPI_STATUS_IGNORE), "MPI_Recv");
        p += piece;
        bytes -= (size_t)piece;
    } while (bytes > 0);
}

struct ParShared {
    MPI_Comm node, leaders; /* leaders is MPI_COMM_NULL on the other ranks */
    MPI_Win win;
    void *base;
    int leader, nodes;
};

ParShared *par_shared_create(size_t bytes)
{
    ParShared *s = xcalloc(1, sizeof *s);
    int node_rank;
    check(MPI_Comm_split_type(MPI_COMM_WORLD, MPI_COMM_TYPE_SHARED, world.rank, MPI_INFO_NULL, &s->node),
          "MPI_Comm_split_type");
    check(MPI_Comm_rank(s->node, &node_rank), "MPI_Comm_rank");
    s->leader = node_rank == 0;
    check(MPI_Comm_split(MPI_COMM_WORLD, s->leader ? 0 : MPI_UNDEFINED, world.rank, &s->leaders),
          "MPI_Comm_split");
    int is_leader = s->leader;
    check(MPI_Allreduce(&is_leader, &s->nodes, 1, MPI_INT, MPI_SUM, MPI_COMM_WORLD), "MPI_Allreduce");
    MPI_Aint size = s->leader ? (MPI_Aint)(bytes ? bytes : 1) : 0;
    check(MPI_Win_allocate_shared(size, 1, MPI_INFO_NULL, s->node, &s->base, &s->win),
          "MPI_Win_allocate_shared");
    MPI_Aint got;
    int unit;
    check(MPI_Win_shared_query(s->win, 0, &got, &unit, &s->base), "MPI_Win_shared_query");
    return s;
}

void *par_shared_base(ParShared *s) { return s->base; }
int par_shared_is_leader(const ParShared *s) { return s->leader; }
int par_shared_nodes(const ParShared *s) { return s->nodes; }

void par_shared_bcast_leaders(ParShared *s, void *buf, size_t bytes)
{
    if (!s->leader || s->nodes == 1)
        return;
    ParComm leaders = {s->leaders, 0, 0};
    check(MPI_Comm_rank(s->leaders, &leaders.rank), "MPI_Comm_rank");
    check(MPI_Comm_size(s->leaders, &leaders.size), "MPI_Comm_size");
    par_bcast(&leaders, buf, bytes, 0);
}

void par_shared_ready(ParShared *s)
{
    check(MPI_Win_fence(0, s->win), "MPI_Win_fence");
    check(MPI_Barrier(s->node), "MPI_Barrier");
}

void par_shared_free(ParShared *s)
{
    if (!s)
        return;
    MPI_Win_free(&s->win);
    if (s->leaders != MPI_COMM_NULL)
        MPI_Comm_free(&s->leaders);
    MPI_Comm_free(&s->node);
    free(s);
}

struct ParNodeMem {
    ParComm node; /* the ranks of this node, in the order of the communicator's ranks */
    MPI_Win win;
    void **own;   /* (node ranks) each rank's block, 64-byte aligned */
    void *common;
    int nodes;
};

/* Rounds an address up to 64 bytes (a block is allocated 64 bytes larger for it). */
static void *aligned64(void *p) { return (void *)(((uintptr_t)p + 63) & ~(uintptr_t)63); }

/* The ranks of c on this node; with GSEQ_RANKS_PER_NODE=k (tests), groups of k of them, as if
 * each group ran on a node of its own. */
static MPI_Comm node_of(ParComm *c)
{
    MPI_Comm node, group;
    int rank;
    check(MPI_Comm_split_type(c->comm, MPI_COMM_TYPE_SHARED, c->rank, MPI_INFO_NULL, &node),
          "MPI_Comm_split_type");
    const char *k = getenv("GSEQ_RANKS_PER_NODE");
    if (!k || atoi(k) < 1)
        return node;
    check(MPI_Comm_rank(node, &rank), "MPI_Comm_rank");
    check(MPI_Comm_split(node, rank / atoi(k), rank, &group), "MPI_Comm_split");
    MPI_Comm_free(&node);
    return group;
}

/* The window: the node's first rank allocates the common block after its own. 0 when a rank
 * could not (e.g. too little room where Open MPI maps it), on every rank of c. */
static int allocate_window(ParNodeMem *s, ParComm *c, size_t own_bytes, size_t common_bytes)
{
    MPI_Info info;
    check(MPI_Info_create(&info), "MPI_Info_create");
    check(MPI_Info_set(info, "alloc_shared_noncontig", "true"), "MPI_Info_set");
    size_t mine = own_bytes + 64 + (s->node.rank == 0 ? common_bytes + 64 : 0);
    void *base;
    int rc = MPI_Win_allocate_shared((MPI_Aint)mine, 1, info, s->node.comm, &base, &s->win);
    MPI_Info_free(&info);
    int ok = rc == MPI_SUCCESS, all_ok = 0;
    check(MPI_Allreduce(&ok, &all_ok, 1, MPI_INT, MPI_MIN, c->comm), "MPI_Allreduce");
    if (!all_ok && ok)
        MPI_Win_free(&s->win);
    return all_ok;
}

ParNodeMem *par_nodemem_create(ParComm *c, size_t own_bytes, size_t common_bytes)
{
    ParNodeMem *s = xcalloc(1, sizeof *s);
    s->node.comm = node_of(c);
    MPI_Comm_set_errhandler(s->node.comm, MPI_ERRORS_RETURN);
    check(MPI_Comm_rank(s->node.comm, &s->node.rank), "MPI_Comm_rank");
    check(MPI_Comm_size(s->node.comm, &s->node.size), "MPI_Comm_size");
    int sizes[2] = {s->node.size, -s->node.size}; /* the most and (negated) the fewest on a node */
    check(MPI_Allreduce(MPI_IN_PLACE, sizes, 2, MPI_INT, MPI_MAX, c->comm), "MPI_Allreduce");
    if (sizes[0] != -sizes[1] || sizes[0] == 1 ||
        !allocate_window(s, c, own_bytes, common_bytes)) {
        MPI_Comm_free(&s->node.comm);
        free(s);
        return NULL;
    }
    s->nodes = c->size / s->node.size;
    s->own = xmalloc((size_t)s->node.size, sizeof(void *));
    for (int q = 0; q < s->node.size; q++) {
        MPI_Aint size;
        int unit;
        void *at;
        check(MPI_Win_shared_query(s->win, q, &size, &unit, &at), "MPI_Win_shared_query");
        s->own[q] = aligned64(at);
        if (q == 0)
            s->common = aligned64((char *)s->own[0] + own_bytes);
    }
    check(MPI_Win_lock_all(MPI_MODE_NOCHECK, s->win), "MPI_Win_lock_all");
    return s;
}

void *par_nodemem_own(ParNodeMem *s, int node_rank) { return s->own[node_rank]; }
void *par_nodemem_common(ParNodeMem *s) { return s->common; }
ParComm *par_nodemem_node(ParNodeMem *s) { return &s->node; }
int par_nodemem_nodes(const ParNodeMem *s) { return s->nodes; }

void par_nodemem_sync(ParNodeMem *s)
{
    check(MPI_Win_sync(s->win), "MPI_Win_sync");
    check(MPI_Barrier(s->node.comm), "MPI_Barrier");
    check(MPI_Win_sync(s->win), "MPI_Win_sync");
}

void par_nodemem_free(ParNodeMem *s)
{
    if (!s)
        return;
    MPI_Win_unlock_all(s->win);
    MPI_Win_free(&s->win);
    MPI_Comm_free(&s->node.comm);
    free(s->own);
    free(s);
}

ParBuckets *par_buckets_create(ParComm *c, float *buf, const size_t *offsets, int n_buckets)
{
    ParBuckets *b = xcalloc(1, sizeof *b);
    b->comm = c;
    b->buf = buf;
    b->n = n_buckets;
    b->offsets = xmalloc((size_t)n_buckets + 1, sizeof(size_t));
    memcpy(b->offsets, offsets, sizeof(size_t) * ((size_t)n_buckets + 1));
    b->req = xmalloc((size_t)n_buckets, sizeof(MPI_Request));
    for (int i = 0; i < n_buckets; i++) {
        b->req[i] = MPI_REQUEST_NULL;
        if (b->offsets[i + 1] - b->offsets[i] > (size_t)INT32_MAX)
            die("gradient bucket %d holds more than 2^31 floats", i);
    }
    return b;
}

void par_buckets_start(ParBuckets *b, int i)
{
    if (b->comm->size == 1)
        return;
    int count = (int)(b->offsets[i + 1] - b->offsets[i]);
    check(MPI_Iallreduce(MPI_IN_PLACE, b->buf + b->offsets[i], count, MPI_FLOAT, MPI_SUM,
                         b->comm->comm, &b->req[i]),
          "MPI_Iallreduce");
}

void par_buckets_poke(ParBuckets *b)
{
    if (b->comm->size == 1)
        return;
    int done;
    check(MPI_Testall(b->n, b->req, &done, MPI_STATUSES_IGNORE), "MPI_Testall");
}

void par_buckets_wait(ParBuckets *b)
{
    if (b->comm->size == 1)
        return;
    check(MPI_Waitall(b->n, b->req, MPI_STATUSES_IGNORE), "MPI_Waitall");
}

void par_buckets_free(ParBuckets *b)
{
    if (!b)
        return;
    free(b->offsets);
    free(b->req);
    free(b);
}

/* ---- the alarm: point-to-point messages on a communicator of its own ---- */

enum { ALARM_TAG = 17, READY_TAG = 18 };

struct ParAlarm {
    ParComm c;         /* a duplicate of the caller's */
    int raised, token;
    MPI_Request *sent; /* (size) to each other rank, once raised */
    int64_t readies_sent, readies_taken;
};

ParAlarm *par_alarm_create(ParComm *c)
{
    ParAlarm *a = xcalloc(1, sizeof *a);
    a->c.rank = c->rank;
    a->c.size = c->size;
    check(MPI_Comm_dup(c->comm, &a->c.comm), "MPI_Comm_dup");
    MPI_Comm_set_errhandler(a->c.comm, MPI_ERRORS_RETURN);
    a->sent = xmalloc((size_t)c->size, sizeof *a->sent);
    for (int r = 0; r < c->size; r++)
        a->sent[r] = MPI_REQUEST_NULL;
    return a;
}

void par_alarm_raise(ParAlarm *a)
{
    if (a->raised)
        return;
    a->raised = 1;
    for (int r = 0; r < a->c.size; r++)
        if (r != a->c.rank)
            check(MPI_Isend(&a->token, 1, MPI_INT, r, ALARM_TAG, a->c.comm, &a->sent[r]),
                  "MPI_Isend");
}

int par_alarm_heard(ParAlarm *a)
{
    int flag = 0;
    check(MPI_Iprobe(MPI_ANY_SOURCE, ALARM_TAG, a->c.comm, &flag, MPI_STATUS_IGNORE),
          "MPI_Iprobe");
    return flag;
}

/* A request completed without spinning: tested every millisecond, the core left to the rank
 * that works meanwhile. */
static void wait_idle(MPI_Request *req, const char *what)
{
    const struct timespec ms = {0, 1000000};
    for (int done = 0;;) {
        check(MPI_Test(req, &done, MPI_STATUS_IGNORE), what);
        if (done)
            return;
        nanosleep(&ms, NULL);
    }
}

void par_alarm_send_ready(ParAlarm *a, int to, int64_t value)
{
    check(MPI_Send(&value, 1, MPI_INT64_T, to, READY_TAG, a->c.comm), "MPI_Send");
    a->readies_sent++;
}

int par_alarm_wait_ready(ParAlarm *a, int from, int64_t *value)
{
    const struct timespec ms = {0, 1000000};
    for (int flag = 0;;) {
        check(MPI_Iprobe(from, READY_TAG, a->c.comm, &flag, MPI_STATUS_IGNORE), "MPI_Iprobe");
        if (flag)
            break;
        if (par_alarm_heard(a))
            return -1;
        nanosleep(&ms, NULL);
    }
    check(MPI_Recv(value, 1, MPI_INT64_T, from, READY_TAG, a->c.comm, MPI_STATUS_IGNORE),
          "MPI_Recv");
    a->readies_taken++;
    return 0;
}

int par_alarm_settle(ParAlarm *a, int rc, Error *err)
{
    /* every raiser sent one alarm to each other rank; the readies not taken are taken here */
    int64_t n[2] = {a->raised, a->readies_sent - a->readies_taken};
    MPI_Request req;
    check(MPI_Iallreduce(MPI_IN_PLACE, n, 2, MPI_INT64_T, MPI_SUM, a->c.comm, &req),
          "MPI_Iallreduce");
    wait_idle(&req, "MPI_Iallreduce");
    int token;
    for (int64_t i = 0; i < n[0] - a->raised; i++)
        check(MPI_Recv(&token, 1, MPI_INT, MPI_ANY_SOURCE, ALARM_TAG, a->c.comm,
                       MPI_STATUS_IGNORE), "MPI_Recv");
    int64_t v;
    for (int64_t i = 0; a->c.rank == 0 && i < n[1]; i++) /* readies only go to rank 0 */
        check(MPI_Recv(&v, 1, MPI_INT64_T, MPI_ANY_SOURCE, READY_TAG, a->c.comm,
                       MPI_STATUS_IGNORE), "MPI_Recv");
    check(MPI_Waitall(a->c.size, a->sent, MPI_STATUSES_IGNORE), "MPI_Waitall");
    rc = par_any_failed(&a->c, rc, err);
    MPI_Comm_free(&a->c.comm);
    free(a->sent);
    free(a);
    return rc;
}
