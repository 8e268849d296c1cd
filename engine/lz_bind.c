/* lz_bind.c — binding the syntax tree: literals, operands, operators and
 * elementwise functions, and the graph's public constructors.
 *
 * How it works: one recursive walk. Operand names become SOURCE nodes (one
 * per distinct operand), literals weak CONSTs, operators and ufunc calls
 * UFUNC nodes whose inputs are cast to the loop numpy would choose. Shape
 * functions and indexing are in lz_bind_shape.c, reductions in
 * lz_bind_reduce.c. Errors carry the position of the offending node.
 */
#include "lz_bind.h"

#include "lz_weak.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* ---- nodes --------------------------------------------------------------------- */

lz_node *
lz_node_new(lz_graph *g, lz_node_kind kind, int nin, int line, int column)
{
    lz_node *n = lz_arena_alloc(&g->arena, sizeof *n);
    if (!n)
        return NULL;
    if (nin > 0 && !(n->in = lz_arena_alloc(&g->arena, (size_t)nin * sizeof *n->in)))
        return NULL;
    n->kind = kind;
    n->nin = nin;
    n->line = line;
    n->column = column;
    n->id = g->nnodes++;
    return n;
}

lz_status
lz_bind_fail(binder *b, const lz_ast *at, lz_status code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    lz_ctx_vfail(b->ctx, code, at ? at->line : 0, at ? at->column : 0, fmt, ap);
    va_end(ap);
    return code;
}

bool
lz_bind_same_shape(const lz_node *a, const lz_node *b)
{
    if (a->rank != b->rank)
        return false;
    for (int k = 0; k < a->rank; k++)
        if (a->shape[k] != b->shape[k])
            return false;
    return true;
}

static bool
is_weak(const lz_node *n)
{
    return n->kind == LZ_NODE_CONST && n->weak;
}

/* The kind a weak literal promotes as. */
static lz_kind
weak_kind(const lz_node *n)
{
    return n->value.kind;
}

static lz_node *
make_const(binder *b, const lz_ast *at, const lz_scalar *value, bool weak)
{
    lz_node *n = lz_node_new(b->graph, LZ_NODE_CONST, 0, at->line, at->column);
    if (n) {
        n->weak = weak;
        n->value = *value;
    }
    return n;
}

lz_node *
lz_bind_const(binder *b, const lz_ast *at, const lz_scalar *value, bool weak, lz_dtype dtype)
{
    lz_node *n = make_const(b, at, value, weak);
    if (n && !weak)
        n->dtype = dtype;
    return n;
}

/* ---- casts ------------------------------------------------------------------------ */

lz_status
lz_bind_cast(binder *b, lz_node **n, lz_dtype to)
{
    lz_node *x = *n;
    if (is_weak(x)) { /* type the literal itself */
        lz_node *c = lz_node_new(b->graph, LZ_NODE_CONST, 0, x->line, x->column);
        if (!c)
            return LZ_ENOMEM;
        c->value = x->value;
        c->dtype = to;
        *n = c;
        return LZ_OK;
    }
    if (x->dtype == to)
        return LZ_OK;
    lz_node *c = lz_node_new(b->graph, LZ_NODE_CAST, 1, x->line, x->column);
    if (!c)
        return LZ_ENOMEM;
    c->dtype = to;
    c->rank = x->rank;
    memcpy(c->shape, x->shape, sizeof c->shape);
    c->in[0] = x;
    *n = c;
    return LZ_OK;
}

/* Give a weak literal the type `to` for an arithmetic loop: numpy refuses
 * (OverflowError) an integer that does not fit the loop's integer type. */
static lz_status
type_literal(binder *b, lz_node **n, lz_dtype to)
{
    lz_node *x = *n;
    if (!lz_scalar_fits(&x->value, to)) {
        char lit[64];
        lz_scalar_format(&x->value, lit, sizeof lit);
        return lz_ctx_fail(b->ctx, LZ_EVALUE, x->line, x->column, "integer literal %s is out of bounds for %s",
                           lit, lz_dtype_name(to));
    }
    return lz_bind_cast(b, n, to);
}

/* ---- broadcasting ------------------------------------------------------------------ */

static lz_status
broadcast_shapes(binder *b, const lz_ast *at, lz_node *const *in, int nin, lz_node *out)
{
    int rank = 0;
    for (int i = 0; i < nin; i++)
        if (in[i]->rank > rank)
            rank = in[i]->rank;
    out->rank = rank;
    for (int k = 0; k < rank; k++) {
        int64_t dim = 1;
        for (int i = 0; i < nin; i++) {
            int ik = k - (rank - in[i]->rank); /* aligned from the right */
            if (ik < 0)
                continue;
            int64_t d = in[i]->shape[ik];
            if (d == dim || d == 1)
                continue;
            if (dim != 1) {
                char shapes[300];
                size_t used = 0;
                for (int j = 0; j < nin && used < sizeof shapes; j++) {
                    char s[120];
                    lz_shape_format(in[j]->rank, in[j]->shape, s, sizeof s);
                    used += (size_t)snprintf(shapes + used, sizeof shapes - used, "%s%s", j ? " " : "", s);
                }
                return lz_bind_fail(b, at, LZ_ESHAPE, "operands could not be broadcast together with shapes %s",
                                    shapes);
            }
            dim = d;
        }
        out->shape[k] = dim;
    }
    return LZ_OK;
}

/* ---- folding --------------------------------------------------------------------- */

/* The value of a typed constant, as a scalar of its type's kind. */
static lz_scalar
typed_value(lz_dtype t, const void *bytes)
{
    lz_scalar v = {0};
    switch (t) {
    case LZ_BOOL:
        v.kind = LZ_KIND_BOOL;
        v.v.b = *(const uint8_t *)bytes != 0;
        return v;
    case LZ_FLOAT32:
        v.kind = LZ_KIND_FLOAT;
        v.v.f = *(const float *)bytes;
        return v;
    case LZ_FLOAT64:
        v.kind = LZ_KIND_FLOAT;
        v.v.f = *(const double *)bytes;
        return v;
    default:
        break;
    }
    v.kind = LZ_KIND_INT;
    switch (t) {
    case LZ_INT8:
        v.v.i = *(const int8_t *)bytes;
        break;
    case LZ_UINT8:
        v.v.i = *(const uint8_t *)bytes;
        break;
    case LZ_INT16:
        v.v.i = *(const int16_t *)bytes;
        break;
    case LZ_UINT16:
        v.v.i = *(const uint16_t *)bytes;
        break;
    case LZ_INT32:
        v.v.i = *(const int32_t *)bytes;
        break;
    case LZ_UINT32:
        v.v.i = *(const uint32_t *)bytes;
        break;
    case LZ_INT64:
        v.v.i = *(const int64_t *)bytes;
        break;
    default:
        v.v.i = *(const uint64_t *)bytes;
        break;
    }
    return v;
}

/* Compute a UFUNC whose inputs are all typed constants, in place: it
 * becomes a (strong) CONST, as numpy's result on scalars is a numpy scalar. */
static lz_status
fold_ufunc(binder *b, const lz_ast *at, lz_node *n)
{
    union {
        uint8_t bytes[8];
        double align;
    } args[3], out = {{0}};
    const void *ins[3];
    for (int k = 0; k < n->nin; k++) {
        lz_scalar_store(&n->in[k]->value, n->in[k]->dtype, args[k].bytes);
        ins[k] = args[k].bytes;
    }
    int fault = LZ_FAULT_NONE;
    lz_kernel_find(n->ufunc, &n->loop)(out.bytes, ins, 1, &fault);
    if (fault == LZ_FAULT_NEGATIVE_POWER)
        return lz_bind_fail(b, at, LZ_EVALUE, "Integers to negative integer powers are not allowed");
    n->kind = LZ_NODE_CONST;
    n->value = typed_value(n->dtype, out.bytes);
    n->nin = 0;
    return LZ_OK;
}

/* numpy 2 compares an integer array with a Python integer outside its type
 * exactly, without raising: the answer is the same for every element. */
static bool
compare_out_of_range(binder *b, const lz_ast *at, lz_ufunc uf, lz_node **in, lz_node **out, lz_status *st)
{
    int w = is_weak(in[0]) ? 0 : is_weak(in[1]) ? 1 : -1;
    if (w < 0 || in[w]->value.kind != LZ_KIND_INT || !lz_dtype_is_integer(in[1 - w]->dtype) ||
        lz_scalar_fits(&in[w]->value, in[1 - w]->dtype))
        return false;
    /* The literal is above (or below) every value of the array. */
    bool literal_above = in[w]->value.v.i > 0;
    bool array_less = w == 1 ? literal_above : !literal_above; /* is the left side the smaller one? */
    bool r;
    switch (uf) {
    case LZ_UF_EQUAL:
        r = false;
        break;
    case LZ_UF_NOT_EQUAL:
        r = true;
        break;
    case LZ_UF_LESS:
    case LZ_UF_LESS_EQUAL:
        r = array_less;
        break;
    default: /* greater, greater_equal */
        r = !array_less;
        break;
    }
    lz_scalar v = {.kind = LZ_KIND_BOOL};
    v.v.b = r;
    lz_node *c = make_const(b, at, &v, false);
    if (!c) {
        *st = LZ_ENOMEM;
        return true;
    }
    c->dtype = LZ_BOOL;
    c->rank = in[1 - w]->rank;
    memcpy(c->shape, in[1 - w]->shape, sizeof c->shape);
    *out = c;
    *st = LZ_OK;
    return true;
}

/* numpy's logical functions take any Python integer next to an integer
 * array (as comparisons do): only its truth matters, so one outside the
 * array's type stands for true. */
static lz_status
logical_literal_as_truth(binder *b, const lz_ast *at, lz_node **in)
{
    for (int w = 0; w < 2; w++) {
        lz_node *other = in[1 - w];
        if (!is_weak(in[w]) || in[w]->value.kind != LZ_KIND_INT || is_weak(other) ||
            !lz_dtype_is_integer(other->dtype) || lz_scalar_fits(&in[w]->value, other->dtype))
            continue;
        lz_scalar truth = {.kind = LZ_KIND_BOOL};
        truth.v.b = in[w]->value.v.i != 0;
        if (!(in[w] = make_const(b, at, &truth, true)))
            return LZ_ENOMEM;
    }
    return LZ_OK;
}

/* ldexp is the one ufunc whose loops mix types ("fi->f"): its literals
 * take the loop's types, not their partner's. A literal exponent is an
 * int32 (numpy checks it fits: "out of bounds for int32"); a literal
 * mantissa is float16 for an integer (float32 here, as every float16
 * result) and float64 for a float. */
static void
ldexp_literal_types(lz_node *const *in, lz_dtype *types)
{
    if (is_weak(in[0]))
        types[0] = weak_kind(in[0]) == LZ_KIND_FLOAT ? LZ_FLOAT64 : LZ_FLOAT32;
    if (is_weak(in[1]) && weak_kind(in[1]) != LZ_KIND_FLOAT)
        types[1] = LZ_INT32;
}

lz_status
lz_bind_ufunc(binder *b, const lz_ast *at, lz_ufunc uf, lz_node **in, int nin, lz_tok op, lz_node **out)
{
    lz_status st;
    bool all_weak = true;
    for (int k = 0; k < nin; k++)
        all_weak = all_weak && is_weak(in[k]);
    /* Operators on literals alone: Python computes them, numpy never sees them. */
    if (all_weak && op != LZ_T_EOF) {
        char why[200];
        lz_scalar v;
        st = nin == 1 ? lz_weak_unary(op, &in[0]->value, &v, why, sizeof why)
                      : lz_weak_binary(op, &in[0]->value, &in[1]->value, &v, why, sizeof why);
        if (st)
            return lz_bind_fail(b, at, st, "%s", why);
        return (*out = make_const(b, at, &v, true)) ? LZ_OK : LZ_ENOMEM;
    }
    if ((lz_ufunc_flags(uf) & LZ_UFF_COMPARE) && compare_out_of_range(b, at, uf, in, out, &st))
        return st;
    if ((uf == LZ_UF_LOGICAL_AND || uf == LZ_UF_LOGICAL_OR || uf == LZ_UF_LOGICAL_XOR) &&
        (st = logical_literal_as_truth(b, at, in)))
        return st;
    /* The types the loop search sees: arrays' own; literals take the type
     * NEP 50 gives them next to the arrays (or their kind's default). */
    lz_dtype strong_types[3];
    int nstrong = 0;
    int first = (lz_ufunc_flags(uf) & LZ_UFF_WHERE) ? 1 : 0; /* where's condition does not promote */
    for (int k = first; k < nin; k++)
        if (!is_weak(in[k]))
            strong_types[nstrong++] = in[k]->dtype;
    bool have_strong = nstrong > 0;
    lz_dtype strong = have_strong ? lz_dtype_promote_many(strong_types, nstrong) : LZ_BOOL;
    lz_dtype types[3];
    for (int k = 0; k < nin; k++) {
        if (!is_weak(in[k]))
            types[k] = in[k]->dtype;
        else if (have_strong && k >= first)
            types[k] = lz_dtype_promote_weak(strong, weak_kind(in[k]));
        else
            types[k] = lz_dtype_of_kind(weak_kind(in[k]));
    }
    if (uf == LZ_UF_LDEXP)
        ldexp_literal_types(in, types);
    lz_loop loop;
    char why[300];
    if (lz_resolve_loop(uf, types, &loop, why, sizeof why) != LZ_OK)
        return lz_bind_fail(b, at, LZ_ETYPE, "%s", why);
    if (!lz_kernel_find(uf, &loop))
        return lz_bind_fail(b, at, LZ_EINTERNAL, "no kernel for %s", lz_ufunc_name(uf));
    lz_node *n = lz_node_new(b->graph, LZ_NODE_UFUNC, nin, at->line, at->column);
    if (!n)
        return LZ_ENOMEM;
    n->ufunc = uf;
    n->loop = loop;
    n->dtype = loop.out;
    if ((st = broadcast_shapes(b, at, in, nin, n)))
        return st;
    bool all_const = true;
    for (int k = 0; k < nin; k++) {
        n->in[k] = in[k];
        st = is_weak(in[k]) ? type_literal(b, &n->in[k], loop.in[k]) : lz_bind_cast(b, &n->in[k], loop.in[k]);
        if (st)
            return st;
        all_const = all_const && n->in[k]->kind == LZ_NODE_CONST && n->in[k]->rank == 0;
    }
    if (all_const && n->rank == 0 && (st = fold_ufunc(b, at, n)))
        return st;
    *out = n;
    return LZ_OK;
}

/* ---- arguments -------------------------------------------------------------------- */

lz_status
lz_bind_collect(binder *b, const lz_ast *call, int min_pos, int max_pos, const char *const *keywords,
                call_args *args)
{
    memset(args, 0, sizeof *args);
    args->call = call;
    int nkw = 0;
    while (keywords && keywords[nkw])
        nkw++;
    for (size_t i = 0; i < call->nitems; i++) {
        const lz_ast *a = call->items[i];
        if (a->kind != LZ_AST_KEYWORD) {
            if (args->npos >= max_pos)
                return lz_bind_fail(b, a, LZ_ESYNTAX, "%s() takes at most %d positional argument%s", call->text,
                                    max_pos, max_pos == 1 ? "" : "s");
            /* Positional slots past the required ones are the keywords, in order. */
            if (args->npos >= min_pos)
                args->kw[args->npos - min_pos] = a;
            else
                args->pos[args->npos] = a;
            args->npos++;
            continue;
        }
        int k = 0;
        while (k < nkw && strcmp(keywords[k], a->text))
            k++;
        if (k == nkw)
            return lz_bind_fail(b, a, LZ_ESYNTAX, "%s() got an unexpected keyword argument '%s'", call->text,
                                a->text);
        if (args->kw[k])
            return lz_bind_fail(b, a, LZ_ESYNTAX, "%s() got multiple values for argument '%s'", call->text, a->text);
        args->kw[k] = a->items[0];
    }
    if (args->npos < min_pos)
        return lz_bind_fail(b, call, LZ_ESYNTAX, "%s() takes %d positional argument%s but %d %s given", call->text,
                            min_pos, min_pos == 1 ? "" : "s", args->npos, args->npos == 1 ? "was" : "were");
    return LZ_OK;
}

/* Bind an argument that must be a constant integer (or bool). */
lz_status
lz_bind_arg_int(binder *b, const lz_ast *a, const char *what, int64_t *out)
{
    lz_node *n;
    lz_status st = lz_bind_node(b, a, &n);
    if (st)
        return st;
    if (n->kind != LZ_NODE_CONST || n->rank != 0 || n->value.kind == LZ_KIND_FLOAT)
        return lz_bind_fail(b, a, LZ_ETYPE, "%s must be an integer constant", what);
    lz_int128 v = n->value.kind == LZ_KIND_BOOL ? n->value.v.b : n->value.v.i;
    if (v > INT64_MAX || v < INT64_MIN)
        return lz_bind_fail(b, a, LZ_EVALUE, "%s is too large", what);
    *out = (int64_t)v;
    return LZ_OK;
}

lz_status
lz_bind_arg_bool(binder *b, const lz_ast *a, const char *what, bool *out)
{
    int64_t v;
    lz_status st = lz_bind_arg_int(b, a, what, &v);
    if (st == LZ_OK)
        *out = v != 0;
    return st;
}

lz_status
lz_bind_arg_int_list(binder *b, const lz_ast *a, const char *what, int64_t *values, int *n)
{
    if (a->kind != LZ_AST_TUPLE && a->kind != LZ_AST_LIST) {
        *n = 1;
        return lz_bind_arg_int(b, a, what, &values[0]);
    }
    if (a->nitems > LZ_MAX_RANK)
        return lz_bind_fail(b, a, LZ_ELIMIT, "%s has more than %d entries", what, LZ_MAX_RANK);
    for (size_t i = 0; i < a->nitems; i++) {
        lz_status st = lz_bind_arg_int(b, a->items[i], what, &values[i]);
        if (st)
            return st;
    }
    *n = (int)a->nitems;
    return LZ_OK;
}

lz_status
lz_bind_arg_flat_axis(binder *b, const lz_ast *a, const lz_node *x, bool *flat, int *axis)
{
    if (!a || a->kind == LZ_AST_NONE) { /* raveled; a 1-D x needs no raveling */
        *flat = x->rank != 1;
        *axis = 0;
        return LZ_OK;
    }
    int64_t v;
    int rank = x->rank > 0 ? x->rank : 1; /* numpy takes axis 0 or -1 of a 0-d x, raveled */
    lz_status st = lz_bind_arg_int(b, a, "axis", &v);
    if (st)
        return st;
    if (v < -rank || v >= rank)
        return lz_bind_fail(b, a, LZ_EVALUE, "axis %lld is out of bounds for array of dimension %d", (long long)v,
                            rank);
    *flat = x->rank == 0;
    *axis = (int)(v < 0 ? v + rank : v);
    return LZ_OK;
}

lz_status
lz_bind_arg_axes(binder *b, const lz_ast *a, int rank, bool none_means_all, bool *mask, int *count)
{
    for (int k = 0; k < LZ_MAX_RANK; k++)
        mask[k] = false;
    *count = 0;
    if (!a || a->kind == LZ_AST_NONE) {
        if (!none_means_all)
            return LZ_OK;
        for (int k = 0; k < rank; k++)
            mask[k] = true;
        *count = rank;
        return LZ_OK;
    }
    int64_t axes[LZ_MAX_RANK];
    int n;
    lz_status st = lz_bind_arg_int_list(b, a, "axis", axes, &n);
    if (st)
        return st;
    for (int i = 0; i < n; i++) {
        int64_t ax = axes[i] < 0 ? axes[i] + rank : axes[i];
        if (ax < 0 || ax >= rank)
            return lz_bind_fail(b, a, LZ_EVALUE, "axis %lld is out of bounds for array of dimension %d",
                                (long long)axes[i], rank);
        if (mask[ax])
            return lz_bind_fail(b, a, LZ_EVALUE, "repeated axis");
        mask[ax] = true;
    }
    *count = n;
    return LZ_OK;
}

/* ---- elementwise functions that are not ufuncs ------------------------------------- */

static const char *const no_keywords[] = {NULL};

/* where(condition, x, y): condition as bool, x and y in their promoted type. */
static lz_status
bind_where(binder *b, const lz_ast *a, lz_node **out)
{
    call_args args;
    lz_node *in[3];
    lz_status st = lz_bind_collect(b, a, 3, 3, no_keywords, &args);
    for (int k = 0; st == LZ_OK && k < 3; k++)
        st = lz_bind_node(b, args.pos[k], &in[k]);
    if (st == LZ_OK) /* numpy tests the condition as bool */
        st = lz_bind_cast(b, &in[0], LZ_BOOL);
    if (st)
        return st;
    return lz_bind_ufunc(b, a, LZ_UF_WHERE, in, 3, LZ_T_EOF, out);
}

/* A weak integer literal clamped into the range of integer type t. */
static lz_node *
clamp_literal(binder *b, const lz_ast *at, const lz_node *lit, lz_dtype t)
{
    int bits = lz_dtype_bits(t);
    bool is_signed = lz_dtype_kind(t) == LZ_KIND_INT;
    lz_int128 lo = is_signed ? -((lz_int128)1 << (bits - 1)) : 0;
    lz_int128 hi = is_signed ? ((lz_int128)1 << (bits - 1)) - 1 : ((lz_int128)1 << bits) - 1;
    lz_scalar v = lit->value;
    v.v.i = v.v.i < lo ? lo : v.v.i > hi ? hi : v.v.i;
    return make_const(b, at, &v, true);
}

/* clip(x, a_min, a_max), numpy's three-input ufunc: every input in the
 * result type of all three (not of two at a time), then
 * minimum(maximum(x, a_min), a_max). As numpy 2.4: a bound may be None (or
 * both, leaving x as it is), and an integer literal outside an integer
 * result type is clamped to the type's range rather than refused. */
static lz_status
bind_clip(binder *b, const lz_ast *a, lz_node **out)
{
    static const char *const keywords[] = {"a_min", "a_max", NULL};
    call_args args;
    lz_status st = lz_bind_collect(b, a, 1, 3, keywords, &args);
    lz_node *in[3] = {NULL, NULL, NULL}; /* x, a_min, a_max */
    if (st || (st = lz_bind_node(b, args.pos[0], &in[0])))
        return st;
    for (int k = 1; k < 3; k++)
        if (args.kw[k - 1] && args.kw[k - 1]->kind != LZ_AST_NONE && (st = lz_bind_node(b, args.kw[k - 1], &in[k])))
            return st;
    lz_dtype strong[3];
    int nstrong = 0;
    for (int k = 0; k < 3; k++)
        if (in[k] && !is_weak(in[k]))
            strong[nstrong++] = in[k]->dtype;
    if (nstrong > 0) {
        lz_dtype t = lz_dtype_promote_many(strong, nstrong);
        for (int k = 0; k < 3; k++) {
            if (!in[k])
                continue;
            if (!is_weak(in[k]))
                st = in[k]->dtype == t ? LZ_OK : lz_bind_cast(b, &in[k], t);
            else if (k > 0 && lz_dtype_is_integer(t) && in[k]->value.kind == LZ_KIND_INT &&
                     !lz_scalar_fits(&in[k]->value, t))
                st = (in[k] = clamp_literal(b, args.kw[k - 1], in[k], t)) ? LZ_OK : LZ_ENOMEM;
            if (st)
                return st;
        }
    } else if (is_weak(in[0]) && (st = lz_bind_cast(b, &in[0], lz_dtype_of_kind(weak_kind(in[0]))))) {
        return st; /* numpy makes an array of a literal x first */
    }
    lz_node *x = in[0];
    static const lz_ufunc ops[3] = {0, LZ_UF_MAXIMUM, LZ_UF_MINIMUM};
    for (int k = 1; k < 3; k++) {
        if (!in[k])
            continue;
        lz_node *pair[2] = {x, in[k]};
        if ((st = lz_bind_ufunc(b, a, ops[k], pair, 2, LZ_T_EOF, &x)))
            return st;
    }
    *out = x;
    return LZ_OK;
}

/* astype(x, "float32"): numpy's unsafe cast, no range check. */
static lz_status
bind_astype(binder *b, const lz_ast *a, lz_node **out)
{
    call_args args;
    lz_status st = lz_bind_collect(b, a, 2, 2, no_keywords, &args);
    if (st)
        return st;
    const lz_ast *t = args.pos[1];
    lz_dtype to;
    if (t->kind != LZ_AST_STRING || lz_dtype_from_name(t->text, &to) < 0)
        return lz_bind_fail(b, t, LZ_ETYPE,
                            "astype() needs a type name in quotes: one of \"bool\", \"int8\" ... \"int64\", "
                            "\"uint8\" ... \"uint64\", \"float32\", \"float64\"");
    lz_node *x;
    if ((st = lz_bind_node(b, args.pos[0], &x)))
        return st;
    if (is_weak(x)) { /* numpy: np.asarray(literal) has its kind's default type first */
        if ((st = lz_bind_cast(b, &x, lz_dtype_of_kind(weak_kind(x)))))
            return st;
    }
    if (x->kind == LZ_NODE_CONST && x->rank == 0) { /* fold */
        union {
            uint8_t bytes[8];
            double align;
        } from, to_bytes;
        lz_scalar_store(&x->value, x->dtype, from.bytes);
        lz_kernel_convert(to, x->dtype)(to_bytes.bytes, from.bytes, 1);
        lz_node *c = make_const(b, a, &(lz_scalar){0}, false);
        if (!c)
            return LZ_ENOMEM;
        c->dtype = to;
        c->value = typed_value(to, to_bytes.bytes);
        *out = c;
        return LZ_OK;
    }
    if ((st = lz_bind_cast(b, &x, to)))
        return st;
    *out = x;
    return LZ_OK;
}

/* ---- the functions that are not ufuncs -------------------------------------------- */

/* Every function name the language knows besides the ufuncs, with what
 * binds a call of it: calls are routed here, and unknown names are matched
 * against it for "did you mean". */
static const struct {
    const char *name;
    lz_bind_fn bind; /* NULL: not a computation (ds() names an operand; the parser takes it) */
} functions[] = {
    {"where", bind_where},
    {"clip", bind_clip},
    {"astype", bind_astype},
    {"ds", NULL},
    {"raw", lz_bind_raw},
    {"concat", lz_bind_concat},
    {"concatenate", lz_bind_concat},
    {"stack", lz_bind_stack},
    {"transpose", lz_bind_transpose},
    {"squeeze", lz_bind_squeeze},
    {"expand_dims", lz_bind_expand_dims},
    {"broadcast_to", lz_bind_broadcast_to},
    {"take", lz_bind_take},
    {"diff", lz_bind_diff},
    {"cumsum", lz_bind_cumulative},
    {"cumprod", lz_bind_cumulative},
    {"nancumsum", lz_bind_cumulative},
    {"nancumprod", lz_bind_cumulative},
    {"average", lz_bind_average},
    {"sliding_window_view", lz_bind_sliding_window_view},
#define LZ_REDUCTION(id, name, nan_name) {name, lz_bind_reduce}, {nan_name, lz_bind_reduce},
#define LZ_REDUCTION_ALIAS(alias, id) {alias, lz_bind_reduce},
#include "lz_reduce.def"
#undef LZ_REDUCTION
    {"median", lz_bind_order},
    {"nanmedian", lz_bind_order},
    {"quantile", lz_bind_order},
    {"nanquantile", lz_bind_order},
    {"percentile", lz_bind_order},
    {"nanpercentile", lz_bind_order},
};

/* ---- suggestions ------------------------------------------------------------------- */

static size_t
edit_distance(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    if (la > 63 || lb > 63)
        return 64;
    size_t row[64];
    for (size_t j = 0; j <= lb; j++)
        row[j] = j;
    for (size_t i = 1; i <= la; i++) {
        size_t diag = row[0];
        row[0] = i;
        for (size_t j = 1; j <= lb; j++) {
            size_t up = row[j];
            size_t best = diag + (a[i - 1] != b[j - 1]);
            if (up + 1 < best)
                best = up + 1;
            if (row[j - 1] + 1 < best)
                best = row[j - 1] + 1;
            row[j] = best;
            diag = up;
        }
    }
    return row[lb];
}

static void
consider(const char *name, const char *candidate, const char **best, size_t *best_d)
{
    size_t d = edit_distance(name, candidate);
    if (d < *best_d) {
        *best_d = d;
        *best = candidate;
    }
}

static lz_status
unknown_function(binder *b, const lz_ast *call)
{
    const char *best = NULL;
    size_t best_d = strlen(call->text) <= 3 ? 2 : 3; /* suggest only close names */
    for (int i = 0; i < LZ_UFUNC_COUNT; i++)
        consider(call->text, lz_ufunc_name((lz_ufunc)i), &best, &best_d);
    for (size_t i = 0; i < sizeof functions / sizeof functions[0]; i++)
        if (functions[i].name[0]) /* "": a reduction without a nan-form */
            consider(call->text, functions[i].name, &best, &best_d);
    if (best)
        return lz_bind_fail(b, call, LZ_ENAME, "unknown function '%s' (did you mean '%s'?)", call->text, best);
    return lz_bind_fail(b, call, LZ_ENAME, "unknown function '%s'", call->text);
}

/* ---- the walk ----------------------------------------------------------------------- */

static lz_status
bind_call(binder *b, const lz_ast *a, lz_node **out)
{
    lz_status st;
    int uf = lz_ufunc_lookup(a->text);
    if (uf >= 0 && uf != LZ_UF_WHERE) { /* where() has a binder of its own */
        int nin = lz_ufunc_nin((lz_ufunc)uf);
        call_args args;
        lz_node *in[3];
        if ((st = lz_bind_collect(b, a, nin, nin, no_keywords, &args)))
            return st;
        for (int k = 0; k < nin; k++)
            if ((st = lz_bind_node(b, args.pos[k], &in[k])))
                return st;
        return lz_bind_ufunc(b, a, (lz_ufunc)uf, in, nin, LZ_T_EOF, out);
    }
    for (size_t i = 0; i < sizeof functions / sizeof functions[0]; i++)
        if (functions[i].bind && !strcmp(a->text, functions[i].name))
            return functions[i].bind(b, a, out);
    return unknown_function(b, a);
}

static lz_status
unsupported(binder *b, const lz_ast *a, const char *what)
{
    return lz_bind_fail(b, a, LZ_ESYNTAX, "%s cannot be used here", what);
}

lz_status
lz_bind_node(binder *b, const lz_ast *a, lz_node **out)
{
    lz_status st;
    switch (a->kind) {
    case LZ_AST_NUMBER:
    case LZ_AST_BOOL:
        return (*out = make_const(b, a, &a->value, true)) ? LZ_OK : LZ_ENOMEM;
    case LZ_AST_NAME:
        return lz_bind_operand(b, a->operand, out);
    case LZ_AST_CALL:
        if (a->operand >= 0) /* ds(...) */
            return lz_bind_operand(b, a->operand, out);
        return bind_call(b, a, out);
    case LZ_AST_UNARY:
    case LZ_AST_BINARY: {
        int nin = (int)a->nitems;
        int uf = nin == 1 ? lz_token_unary_ufunc(a->op) : lz_token_binary_ufunc(a->op);
        if (uf < 0)
            return lz_bind_fail(b, a, LZ_ESYNTAX, "unknown operator %s", lz_token_describe(a->op));
        lz_node *in[2];
        for (int k = 0; k < nin; k++)
            if ((st = lz_bind_node(b, a->items[k], &in[k])))
                return st;
        return lz_bind_ufunc(b, a, (lz_ufunc)uf, in, nin, a->op, out);
    }
    case LZ_AST_INDEX:
        return lz_bind_index(b, a, out);
    case LZ_AST_STRING:
        return unsupported(b, a, "a string");
    case LZ_AST_NONE:
        return unsupported(b, a, "None");
    case LZ_AST_LIST:
        return unsupported(b, a, "a list");
    case LZ_AST_TUPLE:
        return unsupported(b, a, "a tuple");
    case LZ_AST_SLICE:
        return unsupported(b, a, "a slice");
    case LZ_AST_ELLIPSIS:
        return unsupported(b, a, "'...'");
    case LZ_AST_KEYWORD:
        break;
    }
    return lz_bind_fail(b, a, LZ_EINTERNAL, "unexpected syntax node %d", (int)a->kind);
}

/* ---- expressions ------------------------------------------------------------------ */

/* where(isnan(r), fill, r) in place of the root r: missing values written
 * as a number, for readers that want one (define --fill-value). */
static lz_status
fill_missing(binder *b, double fill, lz_node **root)
{
    lz_node *r = *root;
    if (lz_dtype_kind(r->dtype) != LZ_KIND_FLOAT)
        return lz_ctx_fail(b->ctx, LZ_ETYPE, 0, 0,
                           "a fill value for missing values needs a float result, and this one is %s",
                           lz_dtype_name(r->dtype));
    lz_ast at = {.line = r->line, .column = r->column};
    lz_scalar v = {.kind = LZ_KIND_FLOAT};
    v.v.f = fill;
    lz_node *is_nan, *in[3] = {NULL, lz_bind_const(b, &at, &v, false, r->dtype), r};
    if (!in[1])
        return LZ_ENOMEM;
    lz_status st = lz_bind_ufunc(b, &at, LZ_UF_ISNAN, &r, 1, LZ_T_EOF, &is_nan);
    if (st)
        return st;
    in[0] = is_nan;
    return lz_bind_ufunc(b, &at, LZ_UF_WHERE, in, 3, LZ_T_EOF, root);
}

lz_status
lz_bind_expression(lz_graph *g, const lz_expr *expr, const lz_source *const *sources, double fill,
                   lz_node **root)
{
    lz_ctx *ctx = g->ctx;
    binder b = {.ctx = ctx, .graph = g};
    size_t n = expr->noperands;
    if (n && (!(b.source_nodes = lz_arena_alloc(&g->arena, n * sizeof *b.source_nodes)) ||
              !(b.decoded_nodes = lz_arena_alloc(&g->arena, n * sizeof *b.decoded_nodes))))
        return LZ_ENOMEM;
    for (size_t i = 0; i < n; i++) {
        const lz_operand *op = &expr->operands[i];
        lz_status st = lz_graph_source_node(g, sources[i], op->line, op->column, op->path, &b.source_nodes[i]);
        if (st)
            return st;
    }
    lz_status st = lz_bind_node(&b, expr->root, root);
    if (st == LZ_OK && is_weak(*root)) /* a literal result takes its kind's default type */
        st = lz_bind_cast(&b, root, lz_dtype_of_kind(weak_kind(*root)));
    if (st == LZ_OK && !isnan(fill))
        st = fill_missing(&b, fill, root);
    return st;
}

lz_status
lz_bind_array(binder *b, const lz_ast *a, lz_node **out)
{
    lz_node *x;
    lz_status st = lz_bind_node(b, a, &x);
    if (st == LZ_OK && x->kind == LZ_NODE_CONST && x->weak)
        st = lz_bind_cast(b, &x, lz_dtype_of_kind(x->value.kind));
    if (st == LZ_OK)
        *out = x;
    return st;
}
