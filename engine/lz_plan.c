/* lz_plan.c — planning an evaluation: the temporaries each node needs per
 * output element, the chunk grid of the dominant source, and how a
 * requested box is cut into pieces.
 *
 * How it works. Pieces are C-order boxes (lz_grid_pieces) on the grid of
 * the first root's dominant source where there is one, small enough that
 * one piece's temporaries, for every root, fit half the budget. Graphs
 * without reductions or broadcast operands go in pieces of LZ_PIECE_BYTES
 * of temporaries instead, which stay in cache from piece to piece.
 */
#include "lz_eval.h"
#include "lz_order.h"

#include "lz_vm.h"

#include <string.h>

/* ---- cost model ------------------------------------------------------------------- */

size_t
lz_node_cost(lz_evaluator *ev, const lz_node *n)
{
    size_t *memo = &ev->cost[n->id];
    if (*memo != (size_t)-1)
        return *memo;
    size_t c = 0;
    switch (n->kind) {
    case LZ_NODE_SOURCE:
        break;
    case LZ_NODE_CONST:
    case LZ_NODE_CAST:
    case LZ_NODE_UFUNC: {
        /* Leaf buffers live together; each leaf's own temporaries do not. */
        const lz_program *p = ev->g->programs[n->id];
        size_t worst = 0;
        for (int i = 0; p && i < lz_program_leaf_count(p); i++) {
            const lz_node *leaf = lz_program_leaf(p, i);
            size_t lc = lz_node_cost(ev, leaf);
            c += lz_dtype_size(leaf->dtype);
            worst = lc > worst ? lc : worst;
        }
        c += worst;
        break;
    }
    case LZ_NODE_VIEW:
        c = lz_dtype_size(n->in[0]->dtype) + lz_node_cost(ev, n->in[0]);
        break;
    case LZ_NODE_CONCAT:
        /* A part evaluates into a temporary only when the box has more
         * than one index before the concatenated axis (eval_concat), which
         * along axis 0 it never has: concatenations over time then cost
         * only their inputs' temporaries (W2z, mean and std over a concat
         * of float32: 4 bytes per slab element, not 8). */
        for (int i = 0; i < n->nin; i++) {
            size_t ic = (n->concat_axis > 0 ? lz_dtype_size(n->in[i]->dtype) : 0) + lz_node_cost(ev, n->in[i]);
            c = ic > c ? ic : c;
        }
        break;
    case LZ_NODE_REDUCE:
        /* Accumulators, and at least one input element per output in a slab. */
        c = lz_reduce_state_bytes(n) + lz_dtype_size(n->in[0]->dtype) + lz_node_cost(ev, n->in[0]);
        break;
    case LZ_NODE_TAKE:   /* a run's copy, as a view's */
    case LZ_NODE_WINDOW: /* the range of x a box spans (at most twice the box) */
        c = (n->kind == LZ_NODE_WINDOW ? 2 : 1) * lz_dtype_size(n->in[0]->dtype) + lz_node_cost(ev, n->in[0]);
        break;
    case LZ_NODE_SCAN: /* the accumulators; its slabs take what is left of the budget */
        c = lz_dtype_size(n->dtype) + lz_node_cost(ev, n->in[0]);
        break;
    case LZ_NODE_GUARD: /* the condition, then the value */
        c = 1 + lz_node_cost(ev, n->in[1]) > lz_node_cost(ev, n->in[0]) ? 1 + lz_node_cost(ev, n->in[1])
                                                                         : lz_node_cost(ev, n->in[0]);
        break;
    case LZ_NODE_ORDER: {
        /* Every reduced value of an output at once when they fit (then the
         * pieces hold whole outputs); else the passes' slabs, which take
         * what is left of the budget whatever the piece. */
        double per = (double)lz_order_reduced_count(n) * (double)lz_order_element_bytes(ev, n);
        c = lz_order_bytes_per_output(ev, n) > (double)lz_ctx_budget(ev->ctx) ? sizeof(uint64_t)
                                                                                    : (size_t)per + sizeof(uint64_t);
        break;
    }
    }
    *memo = c;
    return c;
}

/* The storage chunk of the dominant source seen from node n's axes (0: no
 * grid on that axis): through elementwise regions from the largest leaf of
 * n's own shape, through unit-step views, concats and the kept axes of
 * reductions. */
void
lz_node_grid(lz_evaluator *ev, const lz_node *n, int64_t *grid)
{
    for (int k = 0; k < n->rank; k++)
        grid[k] = 0;
    switch (n->kind) {
    case LZ_NODE_SOURCE: {
        const lz_source *src = ev->g->sources[n->source];
        for (int k = 0; k < n->rank; k++)
            grid[k] = src->chunk[k];
        return;
    }
    case LZ_NODE_CONST:
    case LZ_NODE_CAST:
    case LZ_NODE_UFUNC: {
        const lz_program *p = ev->g->programs[n->id];
        for (int i = 0; p && i < lz_program_leaf_count(p); i++) {
            const lz_node *leaf = lz_program_leaf(p, i);
            bool aligned = leaf->rank == n->rank;
            for (int k = 0; aligned && k < n->rank; k++)
                aligned = leaf->shape[k] == n->shape[k];
            if (aligned) {
                lz_node_grid(ev, leaf, grid);
                return;
            }
        }
        return;
    }
    case LZ_NODE_VIEW: {
        int64_t in[LZ_MAX_RANK];
        lz_node_grid(ev, n->in[0], in);
        for (int k = 0; k < n->rank; k++) {
            int a = n->view->in_axis[k];
            if (a >= 0 && (n->view->step[k] == 1 || n->view->step[k] == -1) && in[a] > 0)
                grid[k] = in[a];
        }
        return;
    }
    case LZ_NODE_CONCAT: {
        /* The joined axis keeps the grid when every input has it and ends
         * on it (concat([a, b], axis=0) of sources chunked (1, y, x)):
         * then the inputs' chunk boundaries are the grid's. */
        lz_node_grid(ev, n->in[0], grid);
        int ax = n->concat_axis;
        for (int i = 0; i < n->nin && grid[ax] > 0; i++) {
            int64_t in[LZ_MAX_RANK];
            if (i > 0)
                lz_node_grid(ev, n->in[i], in);
            if ((i > 0 && in[ax] != grid[ax]) || n->in[i]->shape[ax] % grid[ax] != 0)
                grid[ax] = 0;
        }
        return;
    }
    case LZ_NODE_REDUCE: {
        int64_t in[LZ_MAX_RANK];
        lz_node_grid(ev, n->in[0], in);
        for (int a = 0, k = 0; a < n->in[0]->rank; a++) {
            if (!n->reduce->axis[a])
                grid[k++] = in[a];
            else if (n->reduce->keepdims)
                grid[k++] = 0;
        }
        return;
    }
    case LZ_NODE_TAKE:   /* the axes not picked from */
    case LZ_NODE_SCAN:   /* every axis, unless flattened */
    case LZ_NODE_WINDOW: /* the axes not windowed */
    case LZ_NODE_GUARD: {
        int64_t in[LZ_MAX_RANK];
        lz_node_grid(ev, n->in[0], in);
        if ((n->kind == LZ_NODE_TAKE && n->take->flat) || (n->kind == LZ_NODE_SCAN && n->scan->flat))
            return;
        for (int k = 0; k < n->in[0]->rank; k++)
            grid[k] = in[k];
        if (n->kind == LZ_NODE_TAKE)
            grid[n->take->axis] = 0;
        for (int j = 0; n->kind == LZ_NODE_WINDOW && j < n->window->nwin; j++)
            grid[n->window->in_axis[j]] = 0;
        return;
    }
    case LZ_NODE_ORDER: { /* as REDUCE, after the q axis (no grid) */
        int64_t in[LZ_MAX_RANK];
        lz_node_grid(ev, n->in[0], in);
        for (int a = 0, k = n->order->qaxis; a < n->in[0]->rank; a++) {
            if (!n->order->axis[a])
                grid[k++] = in[a];
            else if (n->order->keepdims)
                grid[k++] = 0;
        }
        return;
    }
    }
}

/* Temporaries of one piece of an evaluation without reductions. */
#define LZ_PIECE_BYTES ((size_t)512 << 10)

/* Whether n reduces, or reads an operand along a broadcast axis (one
 * element of it for many of n's): an elementwise input of another shape
 * (not a literal, which reads nothing), or a view's new or step-0 axis. */
static bool
reduces_or_broadcasts(const lz_graph *g, const lz_node *n)
{
    (void)g;
    switch (n->kind) {
    case LZ_NODE_REDUCE:
    case LZ_NODE_SCAN: /* its pieces are scanned from a carry: few, large ones */
    case LZ_NODE_ORDER:
        return true;
    case LZ_NODE_CAST:
    case LZ_NODE_UFUNC:
        for (int i = 0; i < n->nin; i++) {
            const lz_node *x = n->in[i];
            bool same = x->kind == LZ_NODE_CONST || x->rank == n->rank;
            for (int k = 0; same && x->kind != LZ_NODE_CONST && k < n->rank; k++)
                same = x->shape[k] == n->shape[k];
            if (!same)
                return true;
        }
        return false;
    case LZ_NODE_VIEW:
        for (int k = 0; k < n->rank; k++)
            if (n->shape[k] > 1 && (n->view->in_axis[k] < 0 || n->view->step[k] == 0))
                return true;
        return false;
    default:
        return false;
    }
}

static bool
reads_filtered_source(const lz_graph *g, const lz_node *n)
{
    return n->kind == LZ_NODE_SOURCE && g->sources[n->source]->filtered;
}

static bool
holds_below(const lz_graph *g, const lz_node *n, bool *seen, bool (*holds)(const lz_graph *, const lz_node *))
{
    if (seen[n->id])
        return false;
    seen[n->id] = true;
    if (holds(g, n))
        return true;
    for (int i = 0; i < n->nin; i++)
        if (holds_below(g, n->in[i], seen, holds))
            return true;
    return false;
}

/* Whether `holds` is true of a node reached from tops[0..ntops-1], each
 * node asked once; true when that cannot be found out for want of memory
 * (the cautious answer for every caller). */
static bool
holds_anywhere(lz_evaluator *ev, const lz_node *const *tops, int ntops,
               bool (*holds)(const lz_graph *, const lz_node *))
{
    bool *seen = lz_calloc(ev->ctx, (size_t)ev->g->nnodes, sizeof *seen);
    bool found = !seen;
    for (int t = 0; !found && t < ntops; t++)
        found = holds_below(ev->g, tops[t], seen, holds);
    if (!seen)
        lz_ctx_clear_error(ev->ctx);
    lz_free(ev->ctx, seen);
    return found;
}

bool
lz_node_reads_filtered(lz_evaluator *ev, const lz_node *n)
{
    return holds_anywhere(ev, &n, 1, reads_filtered_source);
}

void
lz_graph_read_needs(const lz_graph *g, size_t budget, lz_read_needs *needs)
{
    memset(needs, 0, sizeof *needs);
    needs->read_chunks = 1;
    for (size_t i = 0; i < g->nsources; i++) {
        const lz_source *src = g->sources[i];
        /* A source whose chunks in flight need more than half the budget
         * is read another way (the connector hands it to HDF5): reserving
         * for it would only shrink every piece (memory=1MiB over 1.3 MB
         * chunks: pieces of one element, each decoding a chunk). */
        if (src->scratch_bytes > budget / 2)
            continue;
        needs->scratch_bytes = src->scratch_bytes > needs->scratch_bytes ? src->scratch_bytes : needs->scratch_bytes;
        if (!src->filtered || src->rank == 0)
            continue;
        int64_t elems = 1;
        for (int k = 0; k < src->rank; k++)
            elems *= src->chunk[k] > 0 ? src->chunk[k] : 1;
        needs->chunk_elems = elems > needs->chunk_elems ? elems : needs->chunk_elems;
        needs->read_chunks = src->read_chunks > needs->read_chunks ? src->read_chunks : needs->read_chunks;
    }
}

size_t
lz_plan_budget_left(lz_evaluator *ev, lz_read_needs *needs)
{
    lz_read_needs own;
    needs = needs ? needs : &own;
    size_t budget = lz_ctx_budget(ev->ctx);
    lz_graph_read_needs(ev->g, budget, needs);
    size_t used = lz_ctx_budget_used(ev->ctx) + needs->scratch_bytes;
    return budget > used ? budget - used : 0;
}

void
lz_plan_pieces(lz_evaluator *ev, const lz_box *box, int64_t nelem, lz_grid_pieces *p)
{
    const lz_graph *g = ev->g;
    size_t per = 0;
    for (int r = 0; r < g->nroots; r++)
        per += lz_node_cost(ev, g->roots[r]);
    /* Reductions sharing one scan (lz_graph_eval_many) share its slab: the
     * input element each one's cost counts is there once (mean and std of
     * one input: 32 bytes an output, not 40). */
    bool one_scan = g->nroots > 1;
    for (int r = 0; one_scan && r < g->nroots; r++)
        one_scan = g->roots[r]->kind == LZ_NODE_REDUCE && lz_reduce_same_scan(g->roots[0], g->roots[r]);
    if (one_scan) {
        const lz_node *x = g->roots[0]->in[0];
        per -= (size_t)(g->nroots - 1) * (lz_dtype_size(x->dtype) + lz_node_cost(ev, x));
    }
    int64_t max_elems = nelem;
    if (per > 0) {
        /* The sources' in-flight chunks come out of the budget first. */
        lz_read_needs needs;
        size_t budget = lz_ctx_budget(ev->ctx);
        lz_graph_read_needs(g, budget, &needs);
        budget = budget > needs.scratch_bytes ? budget - needs.scratch_bytes : 0;
        /* Half the budget for a piece, the rest for what its evaluation
         * allocates besides; all of it over filtered sources, where every
         * further piece of a reduction's outputs decodes every chunk again
         * (W2z, mean and std of 10^6 outputs in 64 MiB: 3 pieces, 3 times
         * the decoding), and `per` already counts an input element per
         * output for the scan's slab. */
        int64_t fit = (int64_t)(budget / (needs.chunk_elems > 0 ? 1 : 2) / per);
        max_elems = fit < 1 ? 1 : fit < max_elems ? fit : max_elems;
        /* Small pieces where they cost no reads: their temporaries stay
         * in cache and are reused from piece to piece, where large ones
         * are fresh pages each time (perf of ((A - B) * 2 + 1)[10:20,
         * 100:200]: a third of the time in page faults; W4's A * B + 1
         * saved took half the CPU time with pieces of 512 KiB). Not over
         * a reduction, whose scans they would cut across the chunks, nor
         * over a broadcast operand, which every piece reads again
         * (x[:, None] * y[None, :]: y 7 times per chunk of 32 rows), nor
         * over a filtered source, whose chunks every piece would decode
         * again and which decodes in parallel only what one read spans. */
        int64_t small = (int64_t)(LZ_PIECE_BYTES / per);
        if (small < max_elems && needs.chunk_elems == 0 &&
            !holds_anywhere(ev, (const lz_node *const *)g->roots, g->nroots, reduces_or_broadcasts))
            max_elems = small > 0 ? small : 1;
    }
    int64_t grid[LZ_MAX_RANK];
    lz_node_grid(ev, g->roots[0], grid);
    lz_grid_pieces_init(p, box, max_elems, grid);
}
