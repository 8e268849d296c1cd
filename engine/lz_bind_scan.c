/* lz_bind_scan.c — binding scans and differences: cumsum, cumprod,
 * nancumsum, nancumprod (SCAN nodes, lz_scan.c) and diff (views and
 * subtract, as numpy computes it).
 *
 * Types, as numpy's: a scan accumulates bool and signed integers of up to
 * 64 bits in int64, unsigned ones in uint64, floats in their own type;
 * dtype="..." accumulates in that type instead. Integer dtypes narrower
 * than 64 bits are folded in 64 bits and cast at the end: sums and
 * products modulo 2^k are the same either way (wrap-around is preserved),
 * so the result is numpy's. diff gives subtract's type (not_equal, bool,
 * for bool input).
 */
#include "lz_bind.h"

#include <string.h>

/* The scan node of x (already of the accumulator type acc). */
static lz_node *
scan_node(binder *b, const lz_ast *at, lz_node *x, int axis, bool flat, bool product, bool skipna)
{
    lz_graph *g = b->graph;
    lz_node *n = lz_node_new(g, LZ_NODE_SCAN, 1, at->line, at->column);
    if (!n || !(n->scan = lz_arena_alloc(&g->arena, sizeof *n->scan)))
        return NULL;
    n->scan->axis = flat ? 0 : axis;
    n->scan->flat = flat;
    n->scan->product = product;
    n->scan->skipna = skipna && lz_dtype_kind(x->dtype) == LZ_KIND_FLOAT;
    n->in[0] = x;
    n->dtype = x->dtype;
    if (flat) {
        int64_t total = 1;
        for (int k = 0; k < x->rank; k++)
            total *= x->shape[k]; /* fits: the shape's product was checked when x was made */
        n->rank = 1;
        n->shape[0] = total;
    } else {
        n->rank = x->rank;
        memcpy(n->shape, x->shape, sizeof n->shape);
    }
    return n;
}

/* cumsum(a, axis=None, dtype=None) and the others of its family. */
lz_status
lz_bind_cumulative(binder *b, const lz_ast *call, lz_node **out)
{
    static const char *const keywords[] = {"axis", "dtype", NULL};
    bool skipna = !strncmp(call->text, "nan", 3);
    bool product = strstr(call->text, "prod") != NULL;
    call_args args;
    lz_node *x;
    lz_status st = lz_bind_collect(b, call, 1, 3, keywords, &args);
    if (st || (st = lz_bind_array(b, args.pos[0], &x)))
        return st;
    bool flat;
    int axis;
    if ((st = lz_bind_arg_flat_axis(b, args.kw[0], x, &flat, &axis)))
        return st;
    /* The accumulator: numpy's default, or dtype=. */
    lz_kind k = lz_dtype_kind(x->dtype);
    lz_dtype want = k == LZ_KIND_FLOAT ? x->dtype : k == LZ_KIND_UINT ? LZ_UINT64 : LZ_INT64;
    const lz_ast *dt = args.kw[1];
    if (dt && dt->kind != LZ_AST_NONE) {
        if (dt->kind != LZ_AST_STRING || lz_dtype_from_name(dt->text, &want) < 0)
            return lz_bind_fail(b, dt, LZ_ETYPE, "%s() needs dtype as a type name in quotes, e.g. dtype=\"float64\"",
                                call->text);
        if (want == LZ_BOOL)
            return lz_bind_fail(b, dt, LZ_ETYPE, "%s() with dtype=\"bool\" is not supported", call->text);
        /* numpy's nan-forms replace NaN (by 0 or 1) before the cast to an
         * integer dtype, which would turn NaN into something else. */
        if (skipna && k == LZ_KIND_FLOAT && lz_dtype_kind(want) != LZ_KIND_FLOAT) {
            lz_scalar one = {.kind = LZ_KIND_INT};
            one.v.i = product ? 1 : 0;
            lz_node *nan, *in[3] = {NULL, lz_bind_const(b, call, &one, true, LZ_BOOL), x};
            if (!in[1])
                return LZ_ENOMEM;
            if ((st = lz_bind_ufunc(b, call, LZ_UF_ISNAN, &x, 1, LZ_T_EOF, &nan)))
                return st;
            in[0] = nan;
            if ((st = lz_bind_ufunc(b, call, LZ_UF_WHERE, in, 3, LZ_T_EOF, &x)))
                return st;
        }
        /* numpy casts x to dtype first (a float dtype of an integer x too). */
        if ((st = lz_bind_cast(b, &x, want)))
            return st;
    }
    lz_kind wk = lz_dtype_kind(want);
    lz_dtype acc = wk == LZ_KIND_FLOAT ? want : wk == LZ_KIND_UINT ? LZ_UINT64 : LZ_INT64;
    if ((st = lz_bind_cast(b, &x, acc)))
        return st;
    lz_node *n = scan_node(b, call, x, axis, flat, product, skipna);
    if (!n)
        return LZ_ENOMEM;
    if ((st = lz_bind_cast(b, &n, want)))
        return st;
    *out = n;
    return LZ_OK;
}

/* x along `axis` from `start` for `count` elements (step 1). */
static lz_node *
along(binder *b, const lz_ast *at, lz_node *x, int axis, int64_t start, int64_t count)
{
    lz_view v;
    memset(&v, 0, sizeof v);
    int64_t shape[LZ_MAX_RANK];
    for (int k = 0; k < x->rank; k++) {
        v.in_axis[k] = k;
        v.step[k] = 1;
        shape[k] = x->shape[k];
    }
    v.start[axis] = count > 0 ? start : 0;
    shape[axis] = count;
    return lz_bind_view(b, at, x, x->rank, shape, &v);
}

/* diff(a, n=1, axis=-1): n times a[1:] - a[:-1] along the axis (not_equal
 * for bool), numpy's own computation, so the same bits. */
lz_status
lz_bind_diff(binder *b, const lz_ast *call, lz_node **out)
{
    static const char *const keywords[] = {"n", "axis", NULL};
    call_args args;
    lz_node *x;
    lz_status st = lz_bind_collect(b, call, 1, 3, keywords, &args);
    if (st || (st = lz_bind_array(b, args.pos[0], &x)))
        return st;
    int64_t n = 1, axis = -1;
    if (args.kw[0] && (st = lz_bind_arg_int(b, args.kw[0], "n", &n)))
        return st;
    if (n == 0) {
        *out = x;
        return LZ_OK;
    }
    if (n < 0)
        return lz_bind_fail(b, args.kw[0], LZ_EVALUE, "diff() order n must be non-negative, not %lld", (long long)n);
    if (x->rank == 0)
        return lz_bind_fail(b, call, LZ_EVALUE, "diff() requires input that is at least one dimensional");
    if (args.kw[1] && (st = lz_bind_arg_int(b, args.kw[1], "axis", &axis)))
        return st;
    if (axis < -x->rank || axis >= x->rank)
        return lz_bind_fail(b, args.kw[1], LZ_EVALUE, "axis %lld is out of bounds for array of dimension %d",
                            (long long)axis, x->rank);
    int ax = (int)(axis < 0 ? axis + x->rank : axis);
    lz_ufunc op = x->dtype == LZ_BOOL ? LZ_UF_NOT_EQUAL : LZ_UF_SUBTRACT;
    /* Past the axis' extent every further difference is empty too. */
    int64_t rounds = n < x->shape[ax] + 1 ? n : x->shape[ax] + 1;
    for (int64_t i = 0; i < rounds; i++) {
        int64_t m = x->shape[ax] > 0 ? x->shape[ax] - 1 : 0;
        lz_node *in[2] = {along(b, call, x, ax, 1, m), along(b, call, x, ax, 0, m)};
        if (!in[0] || !in[1])
            return LZ_ENOMEM;
        if ((st = lz_bind_ufunc(b, call, op, in, 2, LZ_T_EOF, &x)))
            return st;
    }
    *out = x;
    return LZ_OK;
}
