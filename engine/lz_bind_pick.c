/* lz_bind_pick.c — binding picking, weighted means and windows:
 * take(x, indices, axis=None), x[..., [i, j, k], ...] (numpy's advanced
 * indexing with one integer list), average(a, axis=None, weights=None,
 * keepdims=False) and sliding_window_view(x, window_shape, axis=None).
 *
 * Index lists are integer literals, checked and wrapped (negative from the
 * end) here, so a read never meets a bad index.
 */
#include "lz_bind.h"

#include <stdio.h>
#include <string.h>

/* ---- index lists ----------------------------------------------------------------- */

/* The integers of a list literal, normalised against `extent` (the
 * message names input axis `axis`, as numpy's IndexError does). */
static lz_status
index_list(binder *b, const lz_ast *list, int64_t extent, int axis, int64_t **out, int64_t *n)
{
    int64_t *idx = lz_arena_alloc(&b->graph->arena, (list->nitems ? list->nitems : 1) * sizeof *idx);
    if (!idx)
        return LZ_ENOMEM;
    for (size_t i = 0; i < list->nitems; i++) {
        const lz_ast *e = list->items[i];
        lz_node *c;
        lz_status st = lz_bind_node(b, e, &c);
        if (st)
            return st;
        if (c->kind != LZ_NODE_CONST || c->rank != 0 || c->value.kind != LZ_KIND_INT)
            return lz_bind_fail(b, e, LZ_ETYPE, "an index list holds integers only");
        lz_int128 v = c->value.v.i;
        if (v < -(lz_int128)extent || v >= (lz_int128)extent) {
            char lit[48];
            lz_int128_format(v, lit, sizeof lit);
            return lz_bind_fail(b, e, LZ_EVALUE, "index %s is out of bounds for axis %d with size %lld", lit, axis,
                                (long long)extent);
        }
        idx[i] = (int64_t)(v < 0 ? v + extent : v);
    }
    *out = idx;
    *n = (int64_t)list->nitems;
    return LZ_OK;
}

/* The TAKE node of x at idx[0..n-1] along axis (flat: of x in C order). */
static lz_node *
take_node(binder *b, const lz_ast *at, lz_node *x, int axis, bool flat, int64_t *idx, int64_t n)
{
    lz_graph *g = b->graph;
    lz_node *t = lz_node_new(g, LZ_NODE_TAKE, 1, at->line, at->column);
    if (!t || !(t->take = lz_arena_alloc(&g->arena, sizeof *t->take)))
        return NULL;
    t->take->axis = flat ? 0 : axis;
    t->take->flat = flat;
    t->take->nindex = n;
    t->take->index = idx;
    t->in[0] = x;
    t->dtype = x->dtype;
    if (flat) {
        t->rank = 1;
    } else {
        t->rank = x->rank;
        memcpy(t->shape, x->shape, sizeof t->shape);
    }
    t->shape[t->take->axis] = n;
    return t;
}

/* The product of x's extents (checked when x was made). */
static int64_t
size_of(const lz_node *x)
{
    int64_t total = 1;
    for (int k = 0; k < x->rank; k++)
        total *= x->shape[k];
    return total;
}

/* take(a, indices, axis=None): a list picks along the axis (or from the
 * flattened a); an integer drops the axis as a[..., i] does. */
lz_status
lz_bind_take(binder *b, const lz_ast *call, lz_node **out)
{
    static const char *const keywords[] = {"axis", NULL};
    call_args args;
    lz_node *x;
    lz_status st = lz_bind_collect(b, call, 2, 3, keywords, &args);
    if (st || (st = lz_bind_array(b, args.pos[0], &x)))
        return st;
    bool flat;
    int axis;
    if ((st = lz_bind_arg_flat_axis(b, args.kw[0], x, &flat, &axis)))
        return st;
    const lz_ast *ia = args.pos[1];
    bool scalar = ia->kind != LZ_AST_LIST && ia->kind != LZ_AST_TUPLE;
    lz_ast one = {.kind = LZ_AST_LIST, .line = ia->line, .column = ia->column, .items = (lz_ast **)&ia, .nitems = 1};
    int64_t *idx, n;
    int64_t extent = flat ? size_of(x) : x->shape[axis];
    if ((st = index_list(b, scalar ? &one : ia, extent, flat ? 0 : axis, &idx, &n)))
        return st;
    lz_node *t = take_node(b, call, x, axis, flat, idx, n);
    if (!t)
        return LZ_ENOMEM;
    if (scalar) { /* the picked axis, of one, dropped */
        lz_view v;
        memset(&v, 0, sizeof v);
        int64_t shape[LZ_MAX_RANK];
        int rank = 0;
        for (int k = 0; k < t->rank; k++) {
            if (k == t->take->axis)
                continue;
            v.in_axis[rank] = k;
            v.step[rank] = 1;
            shape[rank++] = t->shape[k];
        }
        if (!(t = lz_bind_view(b, call, t, rank, shape, &v)))
            return LZ_ENOMEM;
    }
    *out = t;
    return LZ_OK;
}

/* x[subscripts] with one integer list among them (lz_bind_index sends
 * these here). The list is read as ':' for a basic index, then taken
 * along its axis. As numpy's advanced indexing, integers count as
 * advanced indices with the list: when a slice, '...' or None stands
 * between them, the list's axis goes first. */
lz_status
lz_bind_index_list(binder *b, const lz_ast *a, lz_node **out)
{
    int nsubs = (int)a->nitems - 1, at = -1;
    for (int i = 0; i < nsubs; i++) {
        if (a->items[1 + i]->kind != LZ_AST_LIST)
            continue;
        if (at >= 0)
            return lz_bind_fail(b, a->items[1 + i], LZ_ESYNTAX, "only one integer list per subscript is supported");
        at = i;
    }
    const lz_ast *list = a->items[1 + at];
    /* The basic index, the list replaced by ':'. */
    lz_ast **items = lz_arena_alloc(&b->graph->arena, a->nitems * sizeof *items);
    lz_ast *colon = lz_arena_alloc(&b->graph->arena, sizeof *colon);
    lz_ast **none3 = lz_arena_alloc(&b->graph->arena, 3 * sizeof *none3);
    if (!items || !colon || !none3)
        return LZ_ENOMEM;
    memset(none3, 0, 3 * sizeof *none3);
    *colon = (lz_ast){.kind = LZ_AST_SLICE, .line = list->line, .column = list->column, .items = none3,
                      .nitems = 3, .operand = -1};
    memcpy(items, a->items, a->nitems * sizeof *items);
    items[1 + at] = colon;
    lz_ast basic = *a;
    basic.items = items;
    lz_node *v;
    lz_status st = lz_bind_index(b, &basic, &v);
    if (st)
        return st;
    /* Where the list's axis is: in v (output) and in x (for messages). */
    int before_out = 0, before_in = 0, named_out = 0, ellipsis = -1, first_adv = -1, last_adv = -1;
    for (int i = 0; i < nsubs; i++) {
        lz_ast_kind k = a->items[1 + i]->kind;
        if (k == LZ_AST_ELLIPSIS) {
            ellipsis = i;
            continue;
        }
        bool adv = k != LZ_AST_SLICE && k != LZ_AST_NONE; /* an integer or the list */
        named_out += !adv || i == at;
        if (i < at) {
            before_out += !adv;
            before_in += k != LZ_AST_NONE;
        }
        if (adv) {
            first_adv = first_adv < 0 ? i : first_adv;
            last_adv = i;
        }
    }
    int expanded = v->rank - named_out; /* the axes '...' (or the end) stands for */
    if (ellipsis >= 0 && ellipsis < at) {
        before_out += expanded;
        before_in += expanded;
    }
    bool together = true;
    for (int i = first_adv; i <= last_adv; i++) {
        lz_ast_kind k = a->items[1 + i]->kind;
        together = together && (k != LZ_AST_SLICE && k != LZ_AST_NONE && k != LZ_AST_ELLIPSIS);
    }
    int64_t *idx, n;
    if ((st = index_list(b, list, v->shape[before_out], before_in, &idx, &n)))
        return st;
    lz_node *t = take_node(b, a, v, before_out, false, idx, n);
    if (!t)
        return LZ_ENOMEM;
    if (!together && before_out > 0) { /* the list's axis first */
        lz_view m;
        memset(&m, 0, sizeof m);
        int64_t shape[LZ_MAX_RANK];
        for (int k = 0; k < t->rank; k++) {
            int from = k == 0 ? before_out : k <= before_out ? k - 1 : k;
            m.in_axis[k] = from;
            m.step[k] = 1;
            shape[k] = t->shape[from];
        }
        if (!(t = lz_bind_view(b, a, t, t->rank, shape, &m)))
            return LZ_ENOMEM;
    }
    *out = t;
    return LZ_OK;
}

/* ---- average ------------------------------------------------------------------------ */

/* What average() says when the weights of a result sum to zero (numpy:
 * ZeroDivisionError). One string, so that equal guards merge. */
static const char zero_weights[] = "average(): the weights sum to zero, so they cannot be normalized";

/* A reduction of x over `axes` (x float for SUM: its own type). */
static lz_node *
reduce_node(binder *b, const lz_ast *at, lz_node *x, lz_reduce_op op, const bool *axes, bool keepdims)
{
    lz_graph *g = b->graph;
    lz_node *n = lz_node_new(g, LZ_NODE_REDUCE, 1, at->line, at->column);
    if (!n || !(n->reduce = lz_arena_alloc(&g->arena, sizeof *n->reduce)))
        return NULL;
    memset(n->reduce, 0, sizeof *n->reduce);
    n->reduce->op = op;
    n->reduce->keepdims = keepdims;
    memcpy(n->reduce->axis, axes, sizeof n->reduce->axis);
    n->in[0] = x;
    /* mean of integers and bool is float64; a float stays itself */
    n->dtype = lz_dtype_kind(x->dtype) == LZ_KIND_FLOAT ? x->dtype : LZ_FLOAT64;
    for (int k = 0; k < x->rank; k++) {
        if (!axes[k])
            n->shape[n->rank++] = x->shape[k];
        else if (keepdims)
            n->shape[n->rank++] = 1;
    }
    return n;
}

/* Weights w of the averaged axes only (numpy: of shape a.shape[axis]
 * for each axis named, in the order named), as a view with a's rank that
 * broadcasts along the others. */
static lz_node *
weights_along(binder *b, const lz_ast *at, lz_node *w, int rank, const int64_t *order, int naxes)
{
    lz_view v;
    memset(&v, 0, sizeof v);
    int64_t shape[LZ_MAX_RANK];
    for (int k = 0; k < rank; k++) {
        v.in_axis[k] = -1;
        shape[k] = 1;
        for (int i = 0; i < naxes; i++) {
            if (order[i] == k) {
                v.in_axis[k] = i;
                v.step[k] = 1;
                shape[k] = w->shape[i];
            }
        }
    }
    return lz_bind_view(b, at, w, rank, shape, &v);
}

lz_status
lz_bind_average(binder *b, const lz_ast *call, lz_node **out)
{
    static const char *const keywords[] = {"axis", "weights", "keepdims", NULL};
    call_args args;
    lz_node *a, *w = NULL;
    lz_status st = lz_bind_collect(b, call, 1, 3, keywords, &args);
    if (st || (st = lz_bind_array(b, args.pos[0], &a)))
        return st;
    const lz_ast *ax = args.kw[0];
    bool given = ax && ax->kind != LZ_AST_NONE, keepdims = false, axes[LZ_MAX_RANK];
    int naxes;
    int64_t order[LZ_MAX_RANK];
    if ((st = lz_bind_arg_axes(b, ax, a->rank, true, axes, &naxes)))
        return st;
    if (given && (st = lz_bind_arg_int_list(b, ax, "axis", order, &naxes)))
        return st;
    for (int i = 0; given && i < naxes; i++)
        order[i] = order[i] < 0 ? order[i] + a->rank : order[i];
    if (args.kw[2] && (st = lz_bind_arg_bool(b, args.kw[2], "keepdims", &keepdims)))
        return st;
    if (!args.kw[1] || args.kw[1]->kind == LZ_AST_NONE) { /* numpy: a.mean(axis) */
        *out = reduce_node(b, call, a, LZ_RED_MEAN, axes, keepdims);
        return *out ? LZ_OK : LZ_ENOMEM;
    }
    const lz_ast *wa = args.kw[1];
    if ((st = lz_bind_array(b, wa, &w)))
        return st;
    /* numpy: result_type(a, w), and at least float64 for integer a. */
    lz_dtype r = lz_dtype_promote(a->dtype, w->dtype);
    if (lz_dtype_kind(a->dtype) != LZ_KIND_FLOAT)
        r = lz_dtype_promote(r, LZ_FLOAT64);
    if (!lz_bind_same_shape(a, w)) {
        if (!given)
            return lz_bind_fail(b, wa, LZ_ESHAPE, "average(): the weights' shape differs from the array's, so "
                                                  "axis= must say which axes they weigh");
        bool fits = w->rank == naxes;
        for (int i = 0; fits && i < naxes; i++)
            fits = w->shape[i] == a->shape[order[i]];
        if (!fits) {
            char ws[120], as[120];
            lz_shape_format(w->rank, w->shape, ws, sizeof ws);
            lz_shape_format(a->rank, a->shape, as, sizeof as);
            return lz_bind_fail(b, wa, LZ_ESHAPE,
                                "average(): weights of shape %s do not match the array's shape %s along the "
                                "axes averaged",
                                ws, as);
        }
        if (!(w = weights_along(b, call, w, a->rank, order, naxes)))
            return LZ_ENOMEM;
    }
    /* scl = sum(w), avg = sum(a * w) / scl, all in r; a read where scl
     * is 0 fails (numpy refuses the whole call). */
    lz_node *wr = w, *ar = a, *prod, *num, *scl, *avg, *zero_test;
    if ((st = lz_bind_cast(b, &wr, r)) || (st = lz_bind_cast(b, &ar, r)))
        return st;
    lz_node *pair[2] = {ar, wr};
    if ((st = lz_bind_ufunc(b, call, LZ_UF_MULTIPLY, pair, 2, LZ_T_EOF, &prod)))
        return st;
    if (!(num = reduce_node(b, call, prod, LZ_RED_SUM, axes, keepdims)) ||
        !(scl = reduce_node(b, call, wr, LZ_RED_SUM, axes, keepdims)))
        return LZ_ENOMEM;
    lz_scalar zv = {.kind = LZ_KIND_INT};
    lz_node *zero = lz_bind_const(b, call, &zv, true, LZ_BOOL);
    lz_node *quot[2] = {num, scl}, *test[2] = {scl, zero};
    if (!zero)
        return LZ_ENOMEM;
    if ((st = lz_bind_ufunc(b, call, LZ_UF_DIVIDE, quot, 2, LZ_T_EOF, &avg)) ||
        (st = lz_bind_ufunc(b, call, LZ_UF_EQUAL, test, 2, LZ_T_EOF, &zero_test)))
        return st;
    lz_node *g = lz_node_new(b->graph, LZ_NODE_GUARD, 2, call->line, call->column);
    if (!g)
        return LZ_ENOMEM;
    g->guard = zero_weights;
    g->in[0] = avg;
    g->in[1] = zero_test;
    g->dtype = avg->dtype;
    g->rank = avg->rank;
    memcpy(g->shape, avg->shape, sizeof g->shape);
    *out = g;
    return LZ_OK;
}

/* ---- sliding windows --------------------------------------------------------------- */

lz_status
lz_bind_sliding_window_view(binder *b, const lz_ast *call, lz_node **out)
{
    static const char *const keywords[] = {"axis", NULL};
    call_args args;
    lz_node *x;
    lz_status st = lz_bind_collect(b, call, 2, 3, keywords, &args);
    if (st || (st = lz_bind_array(b, args.pos[0], &x)))
        return st;
    int64_t wins[LZ_MAX_RANK], axes[LZ_MAX_RANK];
    int nwin, naxes;
    if ((st = lz_bind_arg_int_list(b, args.pos[1], "window_shape", wins, &nwin)))
        return st;
    for (int j = 0; j < nwin; j++)
        if (wins[j] < 0)
            return lz_bind_fail(b, args.pos[1], LZ_EVALUE, "window_shape cannot contain negative values");
    const lz_ast *ax = args.kw[0];
    if (!ax || ax->kind == LZ_AST_NONE) {
        naxes = x->rank;
        for (int k = 0; k < naxes; k++)
            axes[k] = k;
        if (nwin != naxes)
            return lz_bind_fail(b, args.pos[1], LZ_EVALUE,
                                "with axis=None, window_shape needs one entry per axis of x: got %d for %d axes",
                                nwin, naxes);
    } else {
        if ((st = lz_bind_arg_int_list(b, ax, "axis", axes, &naxes)))
            return st;
        for (int j = 0; j < naxes; j++) { /* repeats allowed, as numpy's */
            if (axes[j] < -x->rank || axes[j] >= x->rank)
                return lz_bind_fail(b, ax, LZ_EVALUE, "axis %lld is out of bounds for array of dimension %d",
                                    (long long)axes[j], x->rank);
            axes[j] = axes[j] < 0 ? axes[j] + x->rank : axes[j];
        }
        if (nwin != naxes)
            return lz_bind_fail(b, ax, LZ_EVALUE, "window_shape and axis differ in length: %d and %d", nwin, naxes);
    }
    if (x->rank + nwin > LZ_MAX_RANK)
        return lz_bind_fail(b, call, LZ_ELIMIT, "the result has more than %d axes", LZ_MAX_RANK);
    lz_graph *g = b->graph;
    lz_node *n = lz_node_new(g, LZ_NODE_WINDOW, 1, call->line, call->column);
    if (!n || !(n->window = lz_arena_alloc(&g->arena, sizeof *n->window)))
        return LZ_ENOMEM;
    n->in[0] = x;
    n->dtype = x->dtype;
    n->rank = x->rank + nwin;
    memcpy(n->shape, x->shape, sizeof n->shape);
    n->window->nwin = nwin;
    for (int j = 0; j < nwin; j++) {
        int a = (int)axes[j];
        if (n->shape[a] < wins[j])
            return lz_bind_fail(b, args.pos[1], LZ_EVALUE,
                                "a window of %lld is larger than axis %d of extent %lld: windows cannot be larger "
                                "than the array",
                                (long long)wins[j], a, (long long)n->shape[a]);
        n->shape[a] -= wins[j] - 1;
        n->shape[x->rank + j] = wins[j];
        n->window->in_axis[j] = a;
    }
    *out = n;
    return LZ_OK;
}
