/* lz_cse.c — merging equal subexpressions of a graph.
 *
 * Each expression is bound on its own, so mean(concat([a, b]), axis=0) and
 * std(concat([a, b]), axis=0) in one graph (h5lazy save of both, an
 * H5Dread_multi of both) arrive with two concat nodes over the same
 * sources. After binding, nodes equal in kind, type, shape, parameters and
 * (already merged) inputs are merged into one, bottom-up, so that shared
 * work is done once: the two reductions then read one input node and run
 * in one scan (lz_reduce_same_scan), and a shared elementwise node is
 * computed once per tile. Source nodes are already one per source. The
 * nodes merged away stay in the arena, unreachable.
 */
#include "lz_graph.h"

#include <string.h>

static bool
same_scalar(const lz_scalar *a, const lz_scalar *b)
{
    if (a->kind != b->kind)
        return false;
    switch (a->kind) {
    case LZ_KIND_BOOL:
        return a->v.b == b->v.b;
    case LZ_KIND_FLOAT:
        return memcmp(&a->v.f, &b->v.f, sizeof a->v.f) == 0; /* NaN == NaN, 0.0 != -0.0 */
    default:
        return a->v.i == b->v.i;
    }
}

static bool
same_params(const lz_node *a, const lz_node *b)
{
    if (a->decodes != b->decodes) /* keep the decoding's top node, for plans */
        return false;
    switch (a->kind) {
    case LZ_NODE_SOURCE:
        return a->source == b->source;
    case LZ_NODE_CONST:
        return a->weak == b->weak && same_scalar(&a->value, &b->value);
    case LZ_NODE_CAST:
        return true;
    case LZ_NODE_UFUNC:
        if (a->ufunc != b->ufunc || a->loop.nin != b->loop.nin || a->loop.out != b->loop.out)
            return false;
        for (int i = 0; i < a->loop.nin; i++)
            if (a->loop.in[i] != b->loop.in[i])
                return false;
        return true;
    case LZ_NODE_VIEW: {
        const lz_view *x = a->view, *y = b->view;
        for (int k = 0; k < a->rank; k++)
            if (x->in_axis[k] != y->in_axis[k] || x->start[k] != y->start[k] || x->step[k] != y->step[k])
                return false;
        for (int k = 0; k < a->in[0]->rank; k++)
            if (x->fixed[k] != y->fixed[k])
                return false;
        return true;
    }
    case LZ_NODE_CONCAT:
        return a->concat_axis == b->concat_axis;
    case LZ_NODE_ORDER: {
        const lz_order *x = a->order, *y = b->order;
        if (strcmp(x->name, y->name) || x->method != y->method || x->keepdims != y->keepdims ||
            x->qaxis != y->qaxis || x->nq != y->nq || x->take != y->take)
            return false;
        for (int i = 0; i < x->nq; i++)
            if (x->q[i] != y->q[i])
                return false;
        for (int k = 0; k < a->in[0]->rank; k++)
            if (x->axis[k] != y->axis[k])
                return false;
        return true;
    }
    case LZ_NODE_REDUCE: {
        const lz_reduction *x = a->reduce, *y = b->reduce;
        if (x->op != y->op || x->skipna != y->skipna || x->keepdims != y->keepdims || x->ddof != y->ddof)
            return false;
        for (int k = 0; k < a->in[0]->rank; k++)
            if (x->axis[k] != y->axis[k])
                return false;
        return true;
    }
    case LZ_NODE_TAKE: {
        const lz_take *x = a->take, *y = b->take;
        return x->axis == y->axis && x->flat == y->flat && x->nindex == y->nindex &&
               (x->nindex == 0 || !memcmp(x->index, y->index, (size_t)x->nindex * sizeof *x->index));
    }
    case LZ_NODE_SCAN: {
        const lz_scan *x = a->scan, *y = b->scan;
        return x->axis == y->axis && x->flat == y->flat && x->product == y->product && x->skipna == y->skipna;
    }
    case LZ_NODE_WINDOW:
        return a->window->nwin == b->window->nwin &&
               !memcmp(a->window->in_axis, b->window->in_axis, (size_t)a->window->nwin * sizeof(int));
    case LZ_NODE_GUARD:
        return a->guard == b->guard;
    }
    return false;
}

/* Whether a and b (inputs already merged) compute the same values. */
static bool
same_node(const lz_node *a, const lz_node *b)
{
    if (a->kind != b->kind || a->dtype != b->dtype || a->rank != b->rank || a->nin != b->nin)
        return false;
    for (int k = 0; k < a->rank; k++)
        if (a->shape[k] != b->shape[k])
            return false;
    for (int i = 0; i < a->nin; i++)
        if (a->in[i] != b->in[i])
            return false;
    return same_params(a, b);
}

typedef struct merger {
    lz_node **canon;   /* per node id: its representative, NULL until visited */
    lz_node **kept;    /* representatives so far */
    int nkept;
} merger;

/* Merge below n (post-order) and return n's representative. Depth is
 * bounded by the parser's nesting limit, as the binder's is. */
static lz_node *
merge(merger *m, lz_node *n)
{
    if (m->canon[n->id])
        return m->canon[n->id];
    for (int i = 0; i < n->nin; i++)
        n->in[i] = merge(m, n->in[i]);
    lz_node *rep = n;
    /* Graphs are small (tens to hundreds of nodes): a linear scan of the
     * representatives is cheaper than hashing nodes. */
    for (int j = 0; j < m->nkept; j++) {
        if (same_node(m->kept[j], n)) {
            rep = m->kept[j];
            break;
        }
    }
    if (rep == n)
        m->kept[m->nkept++] = n;
    m->canon[n->id] = rep;
    return rep;
}

lz_status
lz_graph_merge_common(lz_graph *g)
{
    merger m = {0};
    m.canon = lz_calloc(g->ctx, (size_t)g->nnodes, sizeof *m.canon);
    m.kept = lz_calloc(g->ctx, (size_t)g->nnodes, sizeof *m.kept);
    if (m.canon && m.kept)
        for (int r = 0; r < g->nroots; r++)
            g->roots[r] = merge(&m, g->roots[r]);
    lz_status st = m.canon && m.kept ? LZ_OK : LZ_ENOMEM;
    lz_free(g->ctx, m.canon);
    lz_free(g->ctx, m.kept);
    return st;
}
