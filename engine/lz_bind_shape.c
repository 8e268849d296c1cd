/* lz_bind_shape.c — binding indexing and the shape functions: x[...],
 * transpose, squeeze, expand_dims, broadcast_to (all views), concat and
 * stack (CONCAT nodes; stack is concat of new axes).
 *
 * Views compose: a view of a view is one view of the innermost node, so
 * x[2:][::2] reads x at start 2, step 2 — one strided box, never an index
 * list. Indexing follows numpy's basic indexing: integers (negative from
 * the end, checked against the extent), slices with Python's rules
 * (slice.indices), one '...', and None for a new axis.
 */
#include "lz_bind.h"

#include <stdio.h>
#include <string.h>

/* ---- views ---------------------------------------------------------------------- */

/* The view `outer` applied to the output of the view `inner`, as one view of
 * inner's input (axes of inner that outer holds fixed are handled by the
 * caller). */
static void
compose(const lz_view *outer, int outer_rank, const lz_view *inner, int inner_in_rank, lz_view *out)
{
    for (int a = 0; a < inner_in_rank; a++)
        out->fixed[a] = inner->fixed[a];
    for (int k = 0; k < outer_rank; k++) {
        int a2 = outer->in_axis[k];
        if (a2 < 0 || inner->in_axis[a2] < 0) { /* independent of the input either way */
            out->in_axis[k] = -1;
            out->start[k] = 0;
            out->step[k] = 0;
        } else {
            out->in_axis[k] = inner->in_axis[a2];
            out->start[k] = inner->start[a2] + inner->step[a2] * outer->start[k];
            out->step[k] = inner->step[a2] * outer->step[k];
        }
    }
}

lz_node *
lz_bind_view(binder *b, const lz_ast *at, lz_node *x, int rank, const int64_t *shape, const lz_view *view)
{
    lz_graph *g = b->graph;
    /* A constant stays a constant, now of the new shape. */
    if (x->kind == LZ_NODE_CONST) {
        lz_node *c = lz_node_new(g, LZ_NODE_CONST, 0, at->line, at->column);
        if (!c)
            return NULL;
        c->value = x->value;
        c->weak = false;
        c->dtype = x->weak ? lz_dtype_of_kind(x->value.kind) : x->dtype;
        c->rank = rank;
        memcpy(c->shape, shape, (size_t)rank * sizeof *shape);
        return c;
    }
    lz_view v = *view;
    lz_node *base = x;
    if (x->kind == LZ_NODE_VIEW) {
        base = x->in[0];
        compose(view, rank, x->view, base->rank, &v);
        /* Axes of x that `view` holds fixed: fixed indices of the base axes. */
        for (int a2 = 0; a2 < x->rank; a2++) {
            bool read = false;
            for (int k = 0; k < rank; k++)
                read = read || view->in_axis[k] == a2;
            if (!read && x->view->in_axis[a2] >= 0)
                v.fixed[x->view->in_axis[a2]] = x->view->start[a2] + x->view->step[a2] * view->fixed[a2];
        }
    }
    /* The identity view is no view. */
    bool identity = rank == base->rank;
    for (int k = 0; identity && k < rank; k++)
        identity = v.in_axis[k] == k && v.start[k] == 0 && v.step[k] == 1 && shape[k] == base->shape[k];
    if (identity)
        return base;
    lz_node *n = lz_node_new(g, LZ_NODE_VIEW, 1, at->line, at->column);
    if (!n || !(n->view = lz_arena_alloc(&g->arena, sizeof *n->view)))
        return NULL;
    *n->view = v;
    n->in[0] = base;
    n->dtype = base->dtype;
    n->rank = rank;
    memcpy(n->shape, shape, (size_t)rank * sizeof *shape);
    return n;
}

/* A view with every axis read straight through, to be edited. */
static void
view_identity(lz_view *v, int rank)
{
    memset(v, 0, sizeof *v);
    for (int k = 0; k < rank; k++) {
        v->in_axis[k] = k;
        v->step[k] = 1;
    }
}

/* ---- indexing ----------------------------------------------------------------------- */

/* Python's slice.indices(n): the start, step and length of a slice. */
static lz_status
slice_bounds(binder *b, const lz_ast *s, int64_t n, int64_t *start, int64_t *step, int64_t *count)
{
    int64_t v[3];
    bool given[3];
    for (int i = 0; i < 3; i++) {
        given[i] = s->items[i] && s->items[i]->kind != LZ_AST_NONE;
        lz_status st = given[i] ? lz_bind_arg_int(b, s->items[i], "a slice index", &v[i]) : LZ_OK;
        if (st)
            return st;
    }
    int64_t st = given[2] ? v[2] : 1;
    if (st == 0)
        return lz_bind_fail(b, s, LZ_EVALUE, "slice step cannot be zero");
    int64_t lower = st > 0 ? 0 : -1, upper = st > 0 ? n : n - 1;
    int64_t lo, hi;
    for (int i = 0; i < 2; i++) {
        int64_t x;
        if (!given[i]) {
            x = (i == 0) == (st > 0) ? lower : upper;
        } else {
            x = v[i];
            if (x < 0) {
                x += n;
                if (x < lower)
                    x = lower;
            } else if (x > upper) {
                x = upper;
            }
        }
        if (i == 0)
            lo = x;
        else
            hi = x;
    }
    int64_t len = st > 0 ? (hi > lo ? (hi - lo - 1) / st + 1 : 0) : (lo > hi ? (lo - hi - 1) / (-st) + 1 : 0);
    /* A slice of one element or none has no use for its step (nor, empty,
     * for its start): 1 (and 0) keep every view step within its input's
     * extent, so composed views, whose steps multiply, cannot overflow:
     * a[::10**10][::10**10] is a[0:1]. */
    *start = len ? lo : 0;
    *step = len > 1 ? st : 1;
    *count = len;
    return LZ_OK;
}

lz_status
lz_bind_index(binder *b, const lz_ast *a, lz_node **out)
{
    for (size_t i = 1; i < a->nitems; i++) /* an integer list: advanced indexing */
        if (a->items[i]->kind == LZ_AST_LIST)
            return lz_bind_index_list(b, a, out);
    lz_node *x;
    lz_status st = lz_bind_node(b, a->items[0], &x);
    if (st)
        return st;
    const lz_ast *const *subs = (const lz_ast *const *)a->items + 1;
    int nsubs = (int)a->nitems - 1, consuming = 0, ellipses = 0;
    for (int i = 0; i < nsubs; i++) {
        if (subs[i]->kind == LZ_AST_ELLIPSIS)
            ellipses++;
        else if (subs[i]->kind != LZ_AST_NONE)
            consuming++;
    }
    if (ellipses > 1)
        return lz_bind_fail(b, a, LZ_EVALUE, "an index can only have a single ellipsis ('...')");
    if (consuming > x->rank)
        return lz_bind_fail(b, a, LZ_EVALUE, "too many indices for array: array is %d-dimensional, but %d were indexed",
                            x->rank, consuming);
    lz_view v;
    memset(&v, 0, sizeof v);
    int64_t shape[LZ_MAX_RANK];
    int rank = 0, axis = 0;
    /* Walk the subscripts; '...' (or the end) stands for the axes not named. */
    for (int i = 0; i <= nsubs; i++) {
        const lz_ast *s = i < nsubs ? subs[i] : NULL;
        if (!s || s->kind == LZ_AST_ELLIPSIS) {
            int skip = s ? x->rank - consuming : x->rank - axis;
            for (int j = 0; j < skip; j++, axis++) {
                if (rank >= LZ_MAX_RANK)
                    return lz_bind_fail(b, a, LZ_ELIMIT, "the result has more than %d axes", LZ_MAX_RANK);
                v.in_axis[rank] = axis;
                v.start[rank] = 0;
                v.step[rank] = 1;
                shape[rank++] = x->shape[axis];
            }
            continue;
        }
        if (rank >= LZ_MAX_RANK)
            return lz_bind_fail(b, a, LZ_ELIMIT, "the result has more than %d axes", LZ_MAX_RANK);
        if (s->kind == LZ_AST_NONE) {
            v.in_axis[rank] = -1;
            shape[rank++] = 1;
        } else if (s->kind == LZ_AST_SLICE) {
            if ((st = slice_bounds(b, s, x->shape[axis], &v.start[rank], &v.step[rank], &shape[rank])))
                return st;
            v.in_axis[rank++] = axis++;
        } else {
            lz_node *idx;
            if ((st = lz_bind_node(b, s, &idx)))
                return st;
            if (idx->kind != LZ_NODE_CONST || idx->rank != 0 || idx->value.kind != LZ_KIND_INT)
                return lz_bind_fail(b, s, LZ_ETYPE,
                                    "only integers, slices (`:`), ellipsis (`...`) and None are valid indices");
            lz_int128 i128 = idx->value.v.i;
            int64_t n = x->shape[axis];
            if (i128 < -(lz_int128)n || i128 >= (lz_int128)n) {
                char lit[48];
                lz_int128_format(i128, lit, sizeof lit);
                return lz_bind_fail(b, s, LZ_EVALUE, "index %s is out of bounds for axis %d with size %lld", lit, axis,
                                    (long long)n);
            }
            v.fixed[axis++] = (int64_t)(i128 < 0 ? i128 + n : i128);
        }
    }
    return (*out = lz_bind_view(b, a, x, rank, shape, &v)) ? LZ_OK : LZ_ENOMEM;
}

/* ---- transpose, squeeze, expand_dims, broadcast_to -------------------------------- */

lz_status
lz_bind_transpose(binder *b, const lz_ast *a, lz_node **out)
{
    static const char *const keywords[] = {"axes", NULL};
    call_args args;
    lz_node *x;
    lz_status st = lz_bind_collect(b, a, 1, 2, keywords, &args);
    if (st || (st = lz_bind_node(b, args.pos[0], &x)))
        return st;
    int64_t axes[LZ_MAX_RANK];
    int n = x->rank;
    if (args.kw[0] && args.kw[0]->kind != LZ_AST_NONE) {
        if ((st = lz_bind_arg_int_list(b, args.kw[0], "axes", axes, &n)))
            return st;
        if (n != x->rank)
            return lz_bind_fail(b, args.kw[0], LZ_EVALUE,
                                "axes don't match array: %d axes for an array of dimension %d", n, x->rank);
    } else {
        for (int k = 0; k < n; k++)
            axes[k] = n - 1 - k;
    }
    lz_view v;
    view_identity(&v, n);
    int64_t shape[LZ_MAX_RANK];
    bool seen[LZ_MAX_RANK] = {false};
    for (int k = 0; k < n; k++) {
        int64_t ax = axes[k] < 0 ? axes[k] + n : axes[k];
        if (ax < 0 || ax >= n)
            return lz_bind_fail(b, args.kw[0], LZ_EVALUE, "axis %lld is out of bounds for array of dimension %d",
                                (long long)axes[k], n);
        if (seen[ax])
            return lz_bind_fail(b, args.kw[0], LZ_EVALUE, "repeated axis in transpose");
        seen[ax] = true;
        v.in_axis[k] = (int)ax;
        shape[k] = x->shape[ax];
    }
    return (*out = lz_bind_view(b, a, x, n, shape, &v)) ? LZ_OK : LZ_ENOMEM;
}

lz_status
lz_bind_squeeze(binder *b, const lz_ast *a, lz_node **out)
{
    static const char *const keywords[] = {"axis", NULL};
    call_args args;
    lz_node *x;
    lz_status st = lz_bind_collect(b, a, 1, 2, keywords, &args);
    if (st || (st = lz_bind_node(b, args.pos[0], &x)))
        return st;
    bool mask[LZ_MAX_RANK];
    int count;
    if (args.kw[0] && args.kw[0]->kind != LZ_AST_NONE) {
        if ((st = lz_bind_arg_axes(b, args.kw[0], x->rank, false, mask, &count)))
            return st;
        for (int k = 0; k < x->rank; k++)
            if (mask[k] && x->shape[k] != 1)
                return lz_bind_fail(b, args.kw[0], LZ_EVALUE,
                                    "cannot select an axis to squeeze out which has size not equal to one");
    } else {
        for (int k = 0; k < x->rank; k++)
            mask[k] = x->shape[k] == 1;
    }
    lz_view v;
    memset(&v, 0, sizeof v);
    int64_t shape[LZ_MAX_RANK];
    int rank = 0;
    for (int k = 0; k < x->rank; k++) {
        if (mask[k])
            continue; /* held at index 0 */
        v.in_axis[rank] = k;
        v.step[rank] = 1;
        shape[rank++] = x->shape[k];
    }
    return (*out = lz_bind_view(b, a, x, rank, shape, &v)) ? LZ_OK : LZ_ENOMEM;
}

lz_status
lz_bind_expand_dims(binder *b, const lz_ast *a, lz_node **out)
{
    static const char *const keywords[] = {"axis", NULL};
    call_args args;
    lz_node *x;
    lz_status st = lz_bind_collect(b, a, 1, 2, keywords, &args);
    if (st || (st = lz_bind_node(b, args.pos[0], &x)))
        return st;
    if (!args.kw[0])
        return lz_bind_fail(b, a, LZ_ESYNTAX, "expand_dims() needs axis");
    int64_t axes[LZ_MAX_RANK];
    int n;
    if ((st = lz_bind_arg_int_list(b, args.kw[0], "axis", axes, &n)))
        return st;
    int rank = x->rank + n;
    if (rank > LZ_MAX_RANK)
        return lz_bind_fail(b, a, LZ_ELIMIT, "the result has more than %d axes", LZ_MAX_RANK);
    bool mask[LZ_MAX_RANK];
    int count;
    if ((st = lz_bind_arg_axes(b, args.kw[0], rank, false, mask, &count)))
        return st;
    lz_view v;
    memset(&v, 0, sizeof v);
    int64_t shape[LZ_MAX_RANK];
    int axis = 0;
    for (int k = 0; k < rank; k++) {
        if (mask[k]) {
            v.in_axis[k] = -1;
            shape[k] = 1;
        } else {
            v.in_axis[k] = axis;
            v.step[k] = 1;
            shape[k] = x->shape[axis++];
        }
    }
    return (*out = lz_bind_view(b, a, x, rank, shape, &v)) ? LZ_OK : LZ_ENOMEM;
}

lz_status
lz_bind_broadcast_to(binder *b, const lz_ast *a, lz_node **out)
{
    static const char *const keywords[] = {"shape", NULL};
    call_args args;
    lz_node *x;
    lz_status st = lz_bind_collect(b, a, 1, 2, keywords, &args);
    if (st || (st = lz_bind_node(b, args.pos[0], &x)))
        return st;
    if (!args.kw[0])
        return lz_bind_fail(b, a, LZ_ESYNTAX, "broadcast_to() needs shape");
    int64_t shape[LZ_MAX_RANK];
    int rank;
    if ((st = lz_bind_arg_int_list(b, args.kw[0], "shape", shape, &rank)))
        return st;
    char from[200], to[200];
    lz_shape_format(x->rank, x->shape, from, sizeof from);
    lz_shape_format(rank, shape, to, sizeof to);
    if (rank < x->rank)
        return lz_bind_fail(b, args.kw[0], LZ_ESHAPE, "cannot broadcast shape %s to the smaller rank of %s", from, to);
    lz_view v;
    memset(&v, 0, sizeof v);
    for (int k = 0; k < rank; k++) {
        if (shape[k] < 0)
            return lz_bind_fail(b, args.kw[0], LZ_EVALUE, "all elements of broadcast shape must be non-negative");
        int xk = k - (rank - x->rank);
        if (xk < 0) {
            v.in_axis[k] = -1;
            continue;
        }
        if (x->shape[xk] != shape[k] && x->shape[xk] != 1)
            return lz_bind_fail(b, args.kw[0], LZ_ESHAPE, "cannot broadcast shape %s to %s", from, to);
        v.in_axis[k] = xk;
        v.step[k] = x->shape[xk] == shape[k] ? 1 : 0;
    }
    return (*out = lz_bind_view(b, a, x, rank, shape, &v)) ? LZ_OK : LZ_ENOMEM;
}

/* ---- concat and stack ----------------------------------------------------------------- */

/* Bind the members of a list or tuple argument. */
static lz_status
bind_list(binder *b, const lz_ast *list, const char *fname, lz_node ***members, int *n)
{
    if (list->kind != LZ_AST_LIST && list->kind != LZ_AST_TUPLE)
        return lz_bind_fail(b, list, LZ_ETYPE, "%s() takes a list of arrays, e.g. %s([a, b], axis=0)", fname, fname);
    if (list->nitems == 0)
        return lz_bind_fail(b, list, LZ_EVALUE, "need at least one array to %s", fname);
    *members = lz_arena_alloc(&b->graph->arena, list->nitems * sizeof **members);
    if (!*members)
        return LZ_ENOMEM;
    for (size_t i = 0; i < list->nitems; i++) {
        lz_status st = lz_bind_node(b, list->items[i], &(*members)[i]);
        if (st)
            return st;
        if ((*members)[i]->kind == LZ_NODE_CONST && (*members)[i]->weak)
            return lz_bind_fail(b, list->items[i], LZ_EVALUE, "zero-dimensional arrays cannot be %s",
                                !strcmp(fname, "stack") ? "stacked" : "concatenated");
    }
    *n = (int)list->nitems;
    return LZ_OK;
}

/* Join members along `axis` (already normalised): shapes must agree
 * elsewhere; the type is their promoted type. */
static lz_status
make_concat(binder *b, const lz_ast *at, lz_node **members, int n, int axis, lz_node **out)
{
    if (n == 1) {
        *out = members[0];
        return LZ_OK;
    }
    lz_node *first = members[0];
    lz_dtype t = first->dtype;
    int64_t total = 0;
    for (int i = 0; i < n; i++) {
        lz_node *m = members[i];
        if (m->rank != first->rank)
            return lz_bind_fail(b, at, LZ_ESHAPE,
                                "all the input array dimensions must match: array 0 has %d dimension(s) and array %d "
                                "has %d",
                                first->rank, i, m->rank);
        for (int k = 0; k < m->rank; k++) {
            if (k != axis && m->shape[k] != first->shape[k]) {
                char s0[200], si[200];
                lz_shape_format(first->rank, first->shape, s0, sizeof s0);
                lz_shape_format(m->rank, m->shape, si, sizeof si);
                return lz_bind_fail(b, at, LZ_ESHAPE,
                                    "all the input array dimensions except for the concatenation axis must match "
                                    "exactly: array 0 is %s and array %d is %s",
                                    s0, i, si);
            }
        }
        if (__builtin_add_overflow(total, m->shape[axis], &total))
            return lz_bind_fail(b, at, LZ_ELIMIT, "the joined extent overflows");
    }
    lz_dtype *types = lz_arena_alloc(&b->graph->arena, (size_t)n * sizeof *types);
    if (!types)
        return LZ_ENOMEM;
    for (int i = 0; i < n; i++)
        types[i] = members[i]->dtype;
    t = lz_dtype_promote_many(types, n);
    lz_node *c = lz_node_new(b->graph, LZ_NODE_CONCAT, n, at->line, at->column);
    if (!c)
        return LZ_ENOMEM;
    c->concat_axis = axis;
    c->dtype = t;
    c->rank = first->rank;
    memcpy(c->shape, first->shape, sizeof c->shape);
    c->shape[axis] = total;
    for (int i = 0; i < n; i++) {
        c->in[i] = members[i];
        lz_status st = lz_bind_cast(b, &c->in[i], t);
        if (st)
            return st;
    }
    *out = c;
    return LZ_OK;
}

lz_status
lz_bind_concat(binder *b, const lz_ast *a, lz_node **out)
{
    static const char *const keywords[] = {"axis", NULL};
    call_args args;
    lz_node **members;
    int n;
    lz_status st = lz_bind_collect(b, a, 1, 2, keywords, &args);
    if (st || (st = bind_list(b, args.pos[0], a->text, &members, &n)))
        return st;
    if (members[0]->rank == 0)
        return lz_bind_fail(b, args.pos[0], LZ_EVALUE, "zero-dimensional arrays cannot be concatenated");
    int64_t axis = 0;
    if (args.kw[0] && args.kw[0]->kind == LZ_AST_NONE)
        return lz_bind_fail(b, args.kw[0], LZ_EVALUE, "concat() with axis=None (flattening) is not supported");
    if (args.kw[0] && (st = lz_bind_arg_int(b, args.kw[0], "axis", &axis)))
        return st;
    int rank = members[0]->rank;
    if (axis < -rank || axis >= rank)
        return lz_bind_fail(b, args.kw[0], LZ_EVALUE, "axis %lld is out of bounds for array of dimension %d",
                            (long long)axis, rank);
    return make_concat(b, a, members, n, (int)(axis < 0 ? axis + rank : axis), out);
}

lz_status
lz_bind_stack(binder *b, const lz_ast *a, lz_node **out)
{
    static const char *const keywords[] = {"axis", NULL};
    call_args args;
    lz_node **members;
    int n;
    lz_status st = lz_bind_collect(b, a, 1, 2, keywords, &args);
    if (st || (st = bind_list(b, args.pos[0], "stack", &members, &n)))
        return st;
    int64_t axis = 0;
    if (args.kw[0] && (st = lz_bind_arg_int(b, args.kw[0], "axis", &axis)))
        return st;
    int rank = members[0]->rank + 1;
    if (rank > LZ_MAX_RANK)
        return lz_bind_fail(b, a, LZ_ELIMIT, "the result has more than %d axes", LZ_MAX_RANK);
    if (axis < -rank || axis >= rank)
        return lz_bind_fail(b, args.kw[0], LZ_EVALUE, "axis %lld is out of bounds for array of dimension %d",
                            (long long)axis, rank);
    int ax = (int)(axis < 0 ? axis + rank : axis);
    for (int i = 1; i < n; i++)
        if (!lz_bind_same_shape(members[i], members[0]))
            return lz_bind_fail(b, args.pos[0]->items[i], LZ_ESHAPE, "all input arrays must have the same shape");
    for (int i = 0; i < n; i++) {
        /* Each member gets the new axis, of extent 1. */
        lz_view v;
        memset(&v, 0, sizeof v);
        int64_t shape[LZ_MAX_RANK];
        for (int k = 0, in_axis = 0; k < rank; k++) {
            if (k == ax) {
                v.in_axis[k] = -1;
                shape[k] = 1;
            } else {
                v.in_axis[k] = in_axis;
                v.step[k] = 1;
                shape[k] = members[i]->shape[in_axis++];
            }
        }
        if (!(members[i] = lz_bind_view(b, a, members[i], rank, shape, &v)))
            return LZ_ENOMEM;
    }
    return make_concat(b, a, members, n, ax, out);
}
