/* lz_eval.c — evaluating boxes of a graph within the memory budget.
 *
 * How it works. lz_eval_node evaluates one node over one box into a dense
 * buffer, recursively, mapping the box through the node:
 *   - SOURCE: one strided read;
 *   - elementwise region (CONST/CAST/UFUNC): each leaf is evaluated over
 *     the box it needs (broadcast axes collapse), then the region's fused
 *     program runs over the box in cache-sized tiles;
 *   - VIEW: the box maps to one strided box of the input (negative steps
 *     read ascending and reverse in the copy); when the axes keep their
 *     order the input is evaluated straight into the output;
 *   - CONCAT: the box is split across the inputs it intersects (the others
 *     are not touched), each evaluated into its slab of the output;
 *   - REDUCE: lz_reduce.c streams the reduced axes through accumulators;
 *   - ORDER: lz_order.c selects among the reduced values.
 * The public entry points cut the requested box into the pieces lz_plan.c
 * chooses; reductions use what is left of the budget to size the slabs
 * they stream.
 */
#include "lz_eval.h"
#include "lz_cache.h"

#include "lz_vm.h"

#include <string.h>

/* ---- leaves of fused regions --------------------------------------------------------- */

/* The box a leaf must supply for the region's box, and the strides that
 * map the region's axes onto the leaf's dense buffer. Leaf axes align with
 * the region's from the right (numpy broadcasting); a leaf axis of extent 1
 * is read once and repeated. */
void
lz_leaf_box(const lz_node *leaf, const lz_box *box, lz_box *lbox, int64_t *stride)
{
    int offset = box->rank - leaf->rank;
    lbox->rank = leaf->rank;
    int64_t s = 1;
    for (int k = leaf->rank - 1; k >= 0; k--) {
        int ok = k + offset;
        if (leaf->shape[k] == 1) { /* broadcast, or a genuine axis of one */
            lbox->start[k] = 0;
            lbox->count[k] = 1;
            lbox->step[k] = 1;
        } else {
            lbox->start[k] = box->start[ok];
            lbox->count[k] = box->count[ok];
            lbox->step[k] = box->step[ok];
        }
        stride[ok] = lbox->count[k] == 1 ? 0 : s;
        s *= lbox->count[k];
    }
    for (int ok = 0; ok < offset; ok++)
        stride[ok] = 0;
}

static lz_status
eval_region(lz_evaluator *ev, const lz_node *n, const lz_box *box, void *out)
{
    lz_ctx *ctx = ev->ctx;
    lz_program *prog = ev->g->programs[n->id];
    if (!prog)
        return lz_ctx_fail(ctx, LZ_EINTERNAL, n->line, n->column, "no program for an elementwise node");
    int nleaves = lz_program_leaf_count(prog);
    lz_leaf_data data[nleaves ? nleaves : 1];
    void *bufs[nleaves ? nleaves : 1];
    lz_status st = LZ_OK;
    int made = 0;
    for (int i = 0; i < nleaves && st == LZ_OK; i++) {
        const lz_node *leaf = lz_program_leaf(prog, i);
        lz_box lbox;
        int64_t nelem;
        lz_leaf_box(leaf, box, &lbox, data[i].stride);
        lz_box_nelem(&lbox, &nelem);
        if (!(bufs[i] = lz_alloc(ctx, (size_t)nelem * lz_dtype_size(leaf->dtype)))) {
            st = LZ_ENOMEM;
            break;
        }
        made++;
        st = lz_eval_node(ev, leaf, &lbox, bufs[i]);
        data[i].base = bufs[i];
    }
    if (st == LZ_OK) {
        const lz_node *faulting = NULL;
        int fault = lz_program_run(prog, box->rank, box->count, data, out, &faulting);
        if (fault == LZ_FAULT_NEGATIVE_POWER)
            st = lz_ctx_fail(ctx, LZ_EVALUE, faulting->line, faulting->column,
                             "Integers to negative integer powers are not allowed");
    }
    for (int i = 0; i < made; i++)
        lz_free(ctx, bufs[i]);
    return st;
}

/* ---- sources ----------------------------------------------------------------------- */

static lz_status
eval_source(lz_evaluator *ev, const lz_node *n, const lz_box *box, void *out)
{
    const lz_source *src = ev->g->sources[n->source];
    int64_t nelem;
    lz_box_nelem(box, &nelem);
    size_t bytes = (size_t)nelem * lz_dtype_size(n->dtype);
    lz_memo *m = ev->memo && ev->memo[n->source].shared ? &ev->memo[n->source] : NULL;
    if (m && m->data && lz_box_equal(&m->box, box)) {
        memcpy(out, m->data, bytes);
        return LZ_OK;
    }
    lz_status st = src->ops->read(src, ev->ctx, box, out, ev->read_arg);
    if (st != LZ_OK) {
        if (lz_ctx_error(ev->ctx)->code == LZ_OK) /* a source that failed without saying why */
            lz_ctx_fail(ev->ctx, LZ_ESOURCE, n->line, n->column, "reading an operand failed");
        return st;
    }
    if (m) { /* keep it for the other roots of this piece */
        lz_free(ev->ctx, m->data);
        if ((m->data = lz_alloc(ev->ctx, bytes))) {
            memcpy(m->data, out, bytes);
            m->box = *box;
        } else {
            lz_ctx_clear_error(ev->ctx); /* the memo is an optimisation only */
        }
    }
    return LZ_OK;
}

static lz_status
eval_const(const lz_node *n, const lz_box *box, void *out)
{
    int64_t nelem;
    lz_box_nelem(box, &nelem);
    size_t isz = lz_dtype_size(n->dtype);
    char one[8];
    lz_scalar_store(&n->value, n->dtype, one);
    for (int64_t i = 0; i < nelem; i++)
        memcpy((char *)out + i * (int64_t)isz, one, isz);
    return LZ_OK;
}

/* ---- views --------------------------------------------------------------------------- */

bool
lz_view_input_box(const lz_node *n, const lz_box *box, lz_box *ib, bool *flip)
{
    const lz_node *x = n->in[0];
    const lz_view *v = n->view;
    ib->rank = x->rank;
    for (int a = 0; a < x->rank; a++) {
        ib->start[a] = v->fixed[a];
        ib->count[a] = 1;
        ib->step[a] = 1;
        flip[a] = false;
    }
    /* Axis order must be preserved for the input's buffer to be the
     * output's: mapped axes of extent > 1 increasing, no flips, no repeats. */
    bool direct = true;
    int last_axis = -1;
    for (int k = 0; k < n->rank; k++) {
        int a = v->in_axis[k];
        int64_t c = box->count[k];
        if (a < 0) { /* an axis the input does not have: repeated when longer than 1 */
            direct = direct && c == 1;
            continue;
        }
        int64_t s = v->start[k] + v->step[k] * box->start[k];
        /* One input index, repeated if broadcast. Tested before the steps
         * multiply: the step of a box of one element may be any size. */
        if (c == 1 || v->step[k] == 0) {
            ib->start[a] = s;
            direct = direct && c == 1;
            continue;
        }
        int64_t d = v->step[k] * box->step[k]; /* |d| * (c - 1) < the input's extent */
        if (d > 0) {
            ib->start[a] = s;
            ib->step[a] = d;
        } else {
            ib->start[a] = s + d * (c - 1);
            ib->step[a] = -d;
            flip[a] = true;
            direct = false;
        }
        ib->count[a] = c;
        if (a < last_axis)
            direct = false;
        last_axis = a;
    }
    return direct;
}

static lz_status
eval_view(lz_evaluator *ev, const lz_node *n, const lz_box *box, void *out)
{
    const lz_node *x = n->in[0];
    const lz_view *v = n->view;
    lz_box ib;
    bool flip[LZ_MAX_RANK];
    bool direct = lz_view_input_box(n, box, &ib, flip);
    if (direct)
        return lz_eval_node(ev, x, &ib, out);
    int64_t nelem;
    lz_box_nelem(&ib, &nelem);
    size_t isz = lz_dtype_size(x->dtype);
    void *tmp = lz_alloc(ev->ctx, (size_t)nelem * isz);
    if (!tmp)
        return LZ_ENOMEM;
    lz_status st = lz_eval_node(ev, x, &ib, tmp);
    if (st == LZ_OK) {
        int64_t xs[LZ_MAX_RANK], stride[LZ_MAX_RANK], base = 0;
        int64_t s = 1;
        for (int a = x->rank - 1; a >= 0; a--) {
            xs[a] = s;
            s *= ib.count[a];
            if (flip[a])
                base += (ib.count[a] - 1) * xs[a];
        }
        for (int k = 0; k < n->rank; k++) {
            int a = v->in_axis[k];
            stride[k] = (a < 0 || ib.count[a] == 1) ? 0 : flip[a] ? -xs[a] : xs[a];
        }
        lz_strided_copy(out, (char *)tmp + base * (int64_t)isz, n->rank, box->count, stride, isz);
    }
    lz_free(ev->ctx, tmp);
    return st;
}

/* ---- concat -------------------------------------------------------------------------- */

bool
lz_concat_part(const lz_node *n, const lz_box *box, int i, lz_box *sub, int64_t *j_first)
{
    int axis = n->concat_axis;
    int64_t b = box->start[axis], t = box->step[axis], c = box->count[axis];
    int64_t lo = 0; /* where input i starts along the axis */
    for (int k = 0; k < i; k++)
        lo += n->in[k]->shape[axis];
    int64_t e = n->in[i]->shape[axis], hi = lo + e - 1;
    if (e == 0 || hi < b)
        return false;
    /* The box's indices b + t*j that fall in [lo, hi]. */
    int64_t first = b >= lo ? 0 : (lo - b + t - 1) / t;
    int64_t last = (hi - b) / t;
    if (last > c - 1)
        last = c - 1;
    if (first > last)
        return false;
    *sub = *box;
    sub->start[axis] = b + t * first - lo;
    sub->count[axis] = last - first + 1;
    *j_first = first;
    return true;
}

static lz_status
eval_concat(lz_evaluator *ev, const lz_node *n, const lz_box *box, void *out)
{
    int axis = n->concat_axis;
    int64_t c = box->count[axis];
    int64_t inner = 1, outer = 1;
    for (int k = axis + 1; k < n->rank; k++)
        inner *= box->count[k];
    for (int k = 0; k < axis; k++)
        outer *= box->count[k];
    size_t isz = lz_dtype_size(n->dtype);
    for (int i = 0; i < n->nin; i++) {
        const lz_node *x = n->in[i];
        lz_box sub;
        int64_t j_first;
        if (!lz_concat_part(n, box, i, &sub, &j_first))
            continue;
        char *slab = (char *)out + j_first * inner * (int64_t)isz;
        lz_status st;
        if (outer == 1) { /* the slab is one contiguous run of the output */
            st = lz_eval_node(ev, x, &sub, slab);
        } else {
            int64_t nelem = outer * sub.count[axis] * inner;
            char *tmp = lz_alloc(ev->ctx, (size_t)nelem * isz);
            if (!tmp)
                return LZ_ENOMEM;
            st = lz_eval_node(ev, x, &sub, tmp);
            size_t run = (size_t)(sub.count[axis] * inner) * isz;
            for (int64_t r = 0; st == LZ_OK && r < outer; r++)
                memcpy(slab + r * c * inner * (int64_t)isz, tmp + r * (int64_t)run, run);
            lz_free(ev->ctx, tmp);
        }
        if (st)
            return st;
    }
    return LZ_OK;
}

/* ---- reductions inside expressions ----------------------------------------------------- */

lz_cache *
lz_graph_cache(lz_graph *g)
{
    if (!g->cache_tried) {
        g->cache_tried = true;
        g->cache = lz_cache_new(g->ctx, g->ctx->config.cache_bytes);
    }
    return g->cache;
}

void
lz_graph_cache_clear(lz_graph *g)
{
    if (g)
        lz_cache_clear(g->cache);
}

/* A reduction that feeds other nodes goes through the cache: every piece of
 * a read, and every later read, that needs the same reduced values finds
 * them there instead of scanning the input again. A root's values go to
 * the reader and are not asked for twice. */
static lz_status
eval_reduce(lz_evaluator *ev, const lz_node *n, const lz_box *box, void *out)
{
    bool root = false;
    for (int r = 0; r < ev->g->nroots; r++)
        root |= ev->g->roots[r] == n;
    lz_cache *cache = root ? NULL : lz_graph_cache(ev->g);
    if (lz_cache_get(cache, n, box, out))
        return LZ_OK;
    lz_status st = n->kind == LZ_NODE_ORDER ? lz_eval_order(ev, n, box, out) : lz_eval_reductions(ev, &n, 1, box, &out);
    if (st == LZ_OK)
        lz_cache_put(cache, n, box, out);
    return st;
}

/* ---- dispatch ------------------------------------------------------------------------ */

lz_status
lz_eval_node(lz_evaluator *ev, const lz_node *n, const lz_box *box, void *out)
{
    int64_t nelem;
    if (!lz_box_nelem(box, &nelem))
        return lz_ctx_fail(ev->ctx, LZ_ELIMIT, n->line, n->column, "a box has more than 2^63 elements");
    if (nelem == 0)
        return LZ_OK;
    switch (n->kind) {
    case LZ_NODE_SOURCE:
        return eval_source(ev, n, box, out);
    case LZ_NODE_CONST:
        if (!ev->g->programs[n->id])
            return eval_const(n, box, out);
        return eval_region(ev, n, box, out);
    case LZ_NODE_CAST:
    case LZ_NODE_UFUNC:
        return eval_region(ev, n, box, out);
    case LZ_NODE_VIEW:
        return eval_view(ev, n, box, out);
    case LZ_NODE_CONCAT:
        return eval_concat(ev, n, box, out);
    case LZ_NODE_REDUCE:
    case LZ_NODE_ORDER: /* kept in the cache alike */
        return eval_reduce(ev, n, box, out);
    case LZ_NODE_TAKE:
        return lz_eval_take(ev, n, box, out);
    case LZ_NODE_SCAN:
        return lz_eval_scan(ev, n, box, out);
    case LZ_NODE_WINDOW:
        return lz_eval_window(ev, n, box, out);
    case LZ_NODE_GUARD:
        return lz_eval_guard(ev, n, box, out);
    }
    return lz_ctx_fail(ev->ctx, LZ_EINTERNAL, n->line, n->column, "unknown node kind %d", (int)n->kind);
}

/* ---- public ------------------------------------------------------------------------------ */

/* Count the edges into every node reached from n (each input once per
 * node), listing the nodes in post-order. */
static void
count_uses(const lz_node *n, int *uses, const lz_node **post, int *npost)
{
    if (uses[n->id]++ > 0)
        return;
    for (int i = 0; i < n->nin; i++) {
        bool again = false;
        for (int k = 0; k < i; k++)
            again |= n->in[k] == n->in[i];
        if (!again)
            count_uses(n->in[i], uses, post, npost);
    }
    post[(*npost)++] = n;
}

/* Mark the sources that a piece may read more than once: those reached
 * from `tops` along several paths (x in two roots evaluated one after the
 * other, concat([x, x[::-1]])). Only their reads are kept in the memo: a
 * kept read costs a copy of every element and memory from the budget (the
 * copies of mean and std of concat([a, b]), which one scan reads once,
 * were 4% of its instructions). */
static lz_status
mark_shared(lz_evaluator *ev, const lz_node *const *tops, int ntops)
{
    lz_ctx *ctx = ev->ctx;
    int n = ev->g->nnodes;
    int *uses = lz_calloc(ctx, (size_t)n, sizeof *uses);
    bool *multi = lz_calloc(ctx, (size_t)n, sizeof *multi);
    const lz_node **post = lz_alloc(ctx, (size_t)n * sizeof *post);
    int npost = 0;
    if (uses && multi && post) {
        for (int t = 0; t < ntops; t++)
            count_uses(tops[t], uses, post, &npost);
        for (int k = npost - 1; k >= 0; k--) { /* every node before its inputs */
            const lz_node *x = post[k];
            multi[x->id] |= uses[x->id] > 1;
            for (int i = 0; i < x->nin; i++)
                multi[x->in[i]->id] |= multi[x->id];
            if (x->kind == LZ_NODE_SOURCE)
                ev->memo[x->source].shared = multi[x->id];
        }
    }
    lz_status st = uses && multi && post ? LZ_OK : LZ_ENOMEM;
    lz_free(ctx, uses);
    lz_free(ctx, multi);
    lz_free(ctx, post);
    return st;
}

/* share_reads: keep source reads for the rest of a piece, for the sources
 * reached along several paths from `tops`. */
static lz_status
evaluator_init(lz_evaluator *ev, lz_graph *g, bool share_reads, const lz_node *const *tops, int ntops)
{
    memset(ev, 0, sizeof *ev);
    ev->g = g;
    ev->ctx = g->ctx;
    if (!(ev->cost = lz_alloc(g->ctx, (size_t)g->nnodes * sizeof *ev->cost)))
        return LZ_ENOMEM;
    for (int i = 0; i < g->nnodes; i++)
        ev->cost[i] = (size_t)-1;
    if (share_reads && g->nsources && !(ev->memo = lz_calloc(g->ctx, g->nsources, sizeof *ev->memo)))
        return LZ_ENOMEM;
    return ev->memo ? mark_shared(ev, tops, ntops) : LZ_OK;
}

static void
memo_clear(lz_evaluator *ev)
{
    for (size_t i = 0; ev->memo && i < ev->g->nsources; i++) {
        lz_free(ev->ctx, ev->memo[i].data);
        ev->memo[i].data = NULL;
    }
}

static void
evaluator_destroy(lz_evaluator *ev)
{
    memo_clear(ev);
    lz_free(ev->ctx, ev->memo);
    lz_free(ev->ctx, ev->cost);
}

lz_status
lz_graph_visit_pieces(const lz_graph *g, int root, const lz_box *box, int64_t most,
                      void (*visit)(void *arg, const lz_box *piece), void *arg, bool *complete)
{
    *complete = true;
    int64_t nelem;
    if (!lz_box_nelem(box, &nelem) || nelem == 0)
        return LZ_OK;
    lz_graph one = *g; /* root `root` alone, as lz_graph_eval evaluates it */
    one.roots = g->roots + root;
    one.nroots = 1;
    lz_evaluator ev;
    lz_status st = evaluator_init(&ev, &one, false, NULL, 0);
    if (st == LZ_OK) {
        lz_grid_pieces p;
        lz_plan_pieces(&ev, box, nelem, &p);
        lz_box piece;
        int64_t offset, n = 0;
        while (lz_grid_pieces_next(&p, &piece, &offset)) {
            if (n++ == most) {
                *complete = false;
                break;
            }
            visit(arg, &piece);
        }
    }
    evaluator_destroy(&ev);
    return st;
}

lz_status
lz_graph_eval_many(lz_graph *g, const lz_box *box, void *const *outs, void *read_arg)
{
    lz_ctx *ctx = g->ctx;
    for (int r = 0; r < g->nroots; r++) {
        lz_status st = lz_box_check(ctx, box, g->roots[r]->rank, g->roots[r]->shape, "requested box");
        if (st)
            return st;
    }
    int64_t nelem;
    if (!lz_box_nelem(box, &nelem))
        return lz_ctx_fail(ctx, LZ_ELIMIT, 0, 0, "requested box has more than 2^63 elements");
    if (nelem == 0)
        return LZ_OK;
    /* Reductions of one input over the same axes share a scan. */
    bool one_scan = g->nroots > 1;
    for (int r = 0; one_scan && r < g->nroots; r++)
        one_scan = g->roots[r]->kind == LZ_NODE_REDUCE && lz_reduce_same_scan(g->roots[0], g->roots[r]);
    /* Several roots share reads through the memo: evaluated one after the
     * other, or in one scan of their common input (which can still read a
     * source twice: concat([x, x[::-1]])). */
    lz_evaluator ev;
    const lz_node *scanned = one_scan ? g->roots[0]->in[0] : NULL;
    lz_status st = one_scan ? evaluator_init(&ev, g, true, &scanned, 1)
                            : evaluator_init(&ev, g, g->nroots > 1, (const lz_node *const *)g->roots, g->nroots);
    ev.read_arg = read_arg;
    lz_grid_pieces p = {.grid = 0};
    if (st == LZ_OK)
        lz_plan_pieces(&ev, box, nelem, &p);
    lz_box piece;
    int64_t offset;
    while (st == LZ_OK && lz_grid_pieces_next(&p, &piece, &offset)) {
        void *piece_outs[g->nroots];
        for (int r = 0; r < g->nroots; r++)
            piece_outs[r] = (char *)outs[r] + offset * (int64_t)lz_dtype_size(g->roots[r]->dtype);
        if (one_scan) {
            st = lz_eval_reductions(&ev, (const lz_node *const *)g->roots, g->nroots, &piece, piece_outs);
        } else {
            for (int r = 0; st == LZ_OK && r < g->nroots; r++)
                st = lz_eval_node(&ev, g->roots[r], &piece, piece_outs[r]);
        }
        memo_clear(&ev);
    }
    evaluator_destroy(&ev);
    return st;
}

lz_status
lz_graph_eval(lz_graph *g, const lz_box *box, void *out, void *read_arg)
{
    if (g->nroots == 1)
        return lz_graph_eval_many(g, box, &out, read_arg);
    /* Root 0 alone, of a graph with several. */
    lz_graph one = *g;
    one.nroots = 1;
    return lz_graph_eval_many(&one, box, &out, read_arg);
}
