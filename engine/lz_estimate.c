/* lz_estimate.c — what evaluating a box would read, without reading: the
 * elements of each source, following the same box mapping as evaluation
 * (lz_eval.h), piece by piece as evaluation cuts the box, since every
 * piece reads again the operands it broadcasts. Kept results (the cache)
 * and shared reads are not counted, so it is what a first read of the box
 * costs at most, but for one thing: a box of more than LZ_ESTIMATE_PIECES
 * pieces is estimated whole, counting its broadcast operands once. */
#include "lz_eval.h"
#include "lz_vm.h"

static void
add(int64_t *total, int64_t n)
{
    *total = n > INT64_MAX - *total ? INT64_MAX : *total + n;
}

static void estimate(const lz_graph *g, const lz_node *n, const lz_box *box, int64_t *elements);

typedef struct input_job {
    const lz_graph *g;
    int64_t *elements;
} input_job;

static void
estimate_input(void *arg, const lz_node *in, const lz_box *ibox)
{
    input_job *job = arg;
    estimate(job->g, in, ibox, job->elements);
}

static void
estimate(const lz_graph *g, const lz_node *n, const lz_box *box, int64_t *elements)
{
    input_job job = {g, elements};
    int64_t nelem;
    if (!lz_box_nelem(box, &nelem)) {
        nelem = INT64_MAX;
    }
    if (nelem == 0)
        return;
    switch (n->kind) {
    case LZ_NODE_SOURCE:
        add(&elements[n->source], nelem);
        return;
    case LZ_NODE_CONST:
    case LZ_NODE_CAST:
    case LZ_NODE_UFUNC: {
        const lz_program *p = g->programs[n->id];
        for (int i = 0; p && i < lz_program_leaf_count(p); i++) {
            const lz_node *leaf = lz_program_leaf(p, i);
            lz_box lbox;
            int64_t stride[LZ_MAX_RANK];
            lz_leaf_box(leaf, box, &lbox, stride);
            estimate(g, leaf, &lbox, elements);
        }
        return;
    }
    case LZ_NODE_VIEW: {
        lz_box ib;
        bool flip[LZ_MAX_RANK];
        lz_view_input_box(n, box, &ib, flip);
        estimate(g, n->in[0], &ib, elements);
        return;
    }
    case LZ_NODE_CONCAT:
        for (int i = 0; i < n->nin; i++) {
            lz_box sub;
            int64_t first;
            if (lz_concat_part(n, box, i, &sub, &first))
                estimate(g, n->in[i], &sub, elements);
        }
        return;
    case LZ_NODE_REDUCE: {
        lz_box ib;
        lz_reduce_input_box(n, box, &ib);
        estimate(g, n->in[0], &ib, elements);
        return;
    }
    case LZ_NODE_TAKE:
        lz_take_inputs(n, box, estimate_input, &job);
        return;
    case LZ_NODE_SCAN:
        lz_scan_inputs(n, box, estimate_input, &job);
        return;
    case LZ_NODE_WINDOW:
        lz_window_inputs(n, box, estimate_input, &job);
        return;
    case LZ_NODE_GUARD: {
        lz_box cbox;
        int64_t stride[LZ_MAX_RANK];
        lz_leaf_box(n->in[1], box, &cbox, stride);
        estimate(g, n->in[1], &cbox, elements);
        estimate(g, n->in[0], box, elements);
        return;
    }
    case LZ_NODE_ORDER: { /* one pass; lz_graph_passes says how many a read makes */
        lz_box ib;
        lz_order_input_box(n, box, &ib);
        estimate(g, n->in[0], &ib, elements);
        return;
    }
    }
}

/* Pieces estimated one by one at most; more are estimated as one box (a
 * read of that many pieces is long anyway, and its broadcast operands are
 * a small part of it). A piece has at least one element, so every box of
 * up to 2^16 elements (the fuzzer's) is estimated piece by piece. */
#define LZ_ESTIMATE_PIECES ((int64_t)1 << 16)

typedef struct estimate_job {
    const lz_graph *g;
    const lz_node *root;
    int64_t *elements;
    bool started;        /* elements zeroed (only once a piece comes: they
                          * are written only on success) */
} estimate_job;

static void
zero(const lz_graph *g, int64_t *elements)
{
    for (size_t i = 0; i < g->nsources; i++)
        elements[i] = 0;
}

static void
estimate_piece(void *arg, const lz_box *piece)
{
    estimate_job *job = arg;
    if (!job->started)
        zero(job->g, job->elements);
    job->started = true;
    estimate(job->g, job->root, piece, job->elements);
}

lz_status
lz_graph_estimate_reads(const lz_graph *g, int root, const lz_box *box, int64_t *elements)
{
    if (root < 0 || root >= g->nroots)
        return lz_ctx_fail(g->ctx, LZ_EVALUE, 0, 0, "no root %d", root);
    const lz_node *r = g->roots[root];
    lz_status st = lz_box_check(g->ctx, box, r->rank, r->shape, "estimated box");
    if (st)
        return st;
    estimate_job job = {.g = g, .root = r, .elements = elements};
    bool complete;
    st = lz_graph_visit_pieces(g, root, box, LZ_ESTIMATE_PIECES, estimate_piece, &job, &complete);
    if (st == LZ_OK && (!job.started || !complete)) { /* an empty box, or too many pieces */
        zero(g, elements);
        estimate(g, r, box, elements);
    }
    return st;
}
