/* lz_origin.c — where a result's axes come from, and whether a result is
 * a reduction: what the connector needs to give a virtual dataset the
 * dimensions, coordinates and CF cell_methods of its operands.
 *
 * How it works. An axis of a node is followed down the graph as an affine
 * map from the result's index i to the node's index s + t*i: a view turns
 * it into the view's own start and step composed with the map, a
 * reduction or concatenation passes it to the input axis it keeps,
 * elementwise operations pass it to every input that has the axis at full
 * extent (numpy's broadcasting aligns axes from the right), and a SOURCE
 * ends it. Axes that appear (new axes, broadcasting) end nowhere; an axis
 * joined from several inputs (concat) ends in the parts, which
 * lz_graph_axis_parts follows one by one.
 */
#include "lz_graph.h"

#include <string.h>

typedef struct found {
    lz_axis_origin *out;     /* the caller's array */
    size_t max;              /* its room */
    size_t n;                /* origins found so far (may exceed max) */
    const lz_node *joined;   /* the first concatenation met on its joined axis, or NULL */
    int64_t joined_start;    /* its index of the result's index 0 */
    int64_t joined_step;     /* its indices per result index */
} found;

static void
add(found *f, const lz_axis_origin *o)
{
    for (size_t i = 0; i < f->n && i < f->max; i++) {
        const lz_axis_origin *p = &f->out[i];
        if (p->source == o->source && p->axis == o->axis && p->start == o->start && p->step == o->step)
            return;
    }
    if (f->n < f->max)
        f->out[f->n] = *o;
    f->n++;
}

/* Axis `axis` of node n, whose index is s + t*i for result index i. */
static void
follow(found *f, const lz_node *n, int axis, int64_t s, int64_t t)
{
    switch (n->kind) {
    case LZ_NODE_SOURCE: {
        lz_axis_origin o = {(size_t)n->source, axis, s, t};
        add(f, &o);
        return;
    }
    case LZ_NODE_CONST:
        return;
    case LZ_NODE_CAST:
    case LZ_NODE_UFUNC:
        for (int i = 0; i < n->nin; i++) {
            const lz_node *in = n->in[i];
            int k = axis - (n->rank - in->rank);
            if (k >= 0 && in->shape[k] == n->shape[axis])
                follow(f, in, k, s, t);
        }
        return;
    case LZ_NODE_VIEW: {
        const lz_view *v = n->view;
        if (v->in_axis[axis] < 0 || v->step[axis] == 0)
            return; /* a new axis, or one broadcast from extent 1 */
        follow(f, n->in[0], v->in_axis[axis], v->start[axis] + v->step[axis] * s, v->step[axis] * t);
        return;
    }
    case LZ_NODE_CONCAT:
        if (axis != n->concat_axis) {
            for (int i = 0; i < n->nin; i++)
                follow(f, n->in[i], axis, s, t);
        } else if (!f->joined) {
            f->joined = n;
            f->joined_start = s;
            f->joined_step = t;
        }
        return;
    case LZ_NODE_ORDER: { /* as REDUCE, after the q axis (from nowhere) */
        const lz_order *o = n->order;
        for (int a = 0, k = o->qaxis; a < n->in[0]->rank; a++) {
            if (o->axis[a] && !o->keepdims)
                continue;
            if (k++ == axis) {
                if (!o->axis[a])
                    follow(f, n->in[0], a, s, t);
                return;
            }
        }
        return;
    }
    case LZ_NODE_REDUCE: {
        const lz_reduction *r = n->reduce;
        int k = 0;
        for (int a = 0; a < n->in[0]->rank; a++) {
            if (r->axis[a] && !r->keepdims)
                continue;
            if (k++ == axis) {
                if (!r->axis[a])
                    follow(f, n->in[0], a, s, t);
                return;
            }
        }
        return;
    }
    case LZ_NODE_TAKE: /* the picked axis is no affine map of the input's: no origin */
        if (!n->take->flat && axis != n->take->axis)
            follow(f, n->in[0], axis, s, t);
        return;
    case LZ_NODE_SCAN: /* a scan keeps its axes (a flattened one is new) */
        if (!n->scan->flat)
            follow(f, n->in[0], axis, s, t);
        return;
    case LZ_NODE_WINDOW: /* x's axes (a windowed one: the window's start); window axes are new */
        if (axis < n->in[0]->rank)
            follow(f, n->in[0], axis, s, t);
        return;
    case LZ_NODE_GUARD:
        follow(f, n->in[0], axis, s, t);
        return;
    }
}

size_t
lz_graph_axis_origins(const lz_graph *graph, int root, int axis, lz_axis_origin *out, size_t max)
{
    if (root < 0 || root >= graph->nroots || axis < 0 || axis >= graph->roots[root]->rank)
        return 0;
    found f = {.out = out, .max = max};
    follow(&f, graph->roots[root], axis, 0, 1);
    return f.n;
}

size_t
lz_graph_axis_parts(const lz_graph *graph, int root, int axis, int64_t *start, int64_t *step, int64_t *extents,
                    size_t *counts, lz_axis_origin *origins, size_t max_origins, size_t max_parts)
{
    if (root < 0 || root >= graph->nroots || axis < 0 || axis >= graph->roots[root]->rank)
        return 0;
    found f = {.out = NULL, .max = 0};
    follow(&f, graph->roots[root], axis, 0, 1);
    if (!f.joined)
        return 0;
    const lz_node *c = f.joined;
    *start = f.joined_start;
    *step = f.joined_step;
    for (int p = 0; p < c->nin && (size_t)p < max_parts; p++) {
        found part = {.out = origins + (size_t)p * max_origins, .max = max_origins};
        follow(&part, c->in[p], c->concat_axis, 0, 1);
        extents[p] = c->in[p]->shape[c->concat_axis];
        counts[p] = part.n;
    }
    return (size_t)c->nin;
}

/* ---- reductions ------------------------------------------------------------------- */

/* numpy's name of a REDUCE or ORDER node's operation without "nan": an
 * order statistic is a median, a quantile or a percentile (CF names only
 * the median among them: cell_methods "median"). */
static const char *
reduction_name(const lz_node *n)
{
    static const char *const names[] = {
#define LZ_REDUCTION(id, name, nan_name) [LZ_RED_##id] = name,
#include "lz_reduce.def"
#undef LZ_REDUCTION
    };
    if (n->kind == LZ_NODE_REDUCE)
        return names[n->reduce->op];
    const char *name = n->order->name;
    return n->order->skipna ? name + 3 : name;
}

static bool
reduced_axis(const lz_node *n, int k)
{
    return n->kind == LZ_NODE_REDUCE ? n->reduce->axis[k] : n->order->axis[k];
}

/* The reductions that make up n: REDUCE and ORDER nodes reached through elementwise
 * operations (not where's condition) and views; *other is set when
 * something else (a source, a concatenation) contributes values. */
static void
collect(const lz_node *n, const lz_node **first, bool *alike, bool *other)
{
    switch (n->kind) {
    case LZ_NODE_CONST:
        return;
    case LZ_NODE_REDUCE:
    case LZ_NODE_ORDER: {
        if (!*first) {
            *first = n;
            return;
        }
        bool same = !strcmp(reduction_name(*first), reduction_name(n)) && (*first)->in[0]->rank == n->in[0]->rank;
        for (int k = 0; same && k < n->in[0]->rank; k++)
            same = reduced_axis(*first, k) == reduced_axis(n, k);
        *alike = *alike && same;
        return;
    }
    case LZ_NODE_CAST:
    case LZ_NODE_VIEW:
        collect(n->in[0], first, alike, other);
        return;
    case LZ_NODE_UFUNC:
        for (int i = (lz_ufunc_flags(n->ufunc) & LZ_UFF_WHERE) ? 1 : 0; i < n->nin; i++)
            collect(n->in[i], first, alike, other);
        return;
    default:
        *other = true;
        return;
    }
}

static const lz_node *
root_reduction(const lz_graph *graph, int root)
{
    if (root < 0 || root >= graph->nroots)
        return NULL;
    const lz_node *first = NULL;
    bool alike = true, other = false;
    collect(graph->roots[root], &first, &alike, &other);
    return first && alike && !other ? first : NULL;
}

bool
lz_graph_root_reduction(const lz_graph *graph, int root, const char **op, int *in_rank, bool *reduced)
{
    const lz_node *r = root_reduction(graph, root);
    if (!r)
        return false;
    *op = reduction_name(r);
    *in_rank = r->in[0]->rank;
    for (int k = 0; k < r->in[0]->rank; k++)
        reduced[k] = reduced_axis(r, k);
    return true;
}

size_t
lz_graph_reduced_axis_origins(const lz_graph *graph, int root, int in_axis, lz_axis_origin *out, size_t max)
{
    const lz_node *r = root_reduction(graph, root);
    if (!r || in_axis < 0 || in_axis >= r->in[0]->rank)
        return 0;
    found f = {.out = out, .max = max};
    follow(&f, r->in[0], in_axis, 0, 1);
    return f.n;
}
