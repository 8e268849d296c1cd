/* lz_bind_reduce.c — binding reductions: sum prod mean var std min max
 * argmin argmax count any all and the nan* forms, with axis (an int, a
 * tuple, or None for all axes), keepdims and, for var and std, ddof.
 *
 * Result types, as numpy's (keep in step: LZ_REDUCTION_RULES in
 * lz_reduce.c): sum and prod of bool and signed integers give int64, of
 * unsigned integers uint64, of floats the same float; mean, var and std of
 * bool and integers give float64, of floats the same float; min and max
 * keep the type; argmin and argmax give int64 (flat index over the reduced
 * axes, C order); count gives int64 (the elements that are not NaN —
 * xarray's and pandas' count; numpy has none); any and all give bool.
 *
 * mdtol= (the nan-forms of sum prod mean var std min max): biggus's
 * tolerance of missing data. A result is missing (NaN) where the fraction
 * of its inputs that are missing exceeds mdtol, and where all of them are
 * (biggus: "mdtol=1 masks a result if and only if all its inputs are").
 * It is built as where(greater((n - count) / n, mdtol) | (count == 0),
 * nan, r) with count the same reduction's count of values: the engine
 * computes reductions of one input over the same axes in one scan, so it
 * costs no second pass. Without mdtol the nan-forms are numpy's.
 */
#include "lz_bind.h"

#include <math.h>
#include <string.h>

static const struct {
    const char *name;
    const char *nan_name;
} reductions[LZ_REDUCE_COUNT] = {
#define LZ_REDUCTION(id, name, nan_name) [LZ_RED_##id] = {name, nan_name},
#include "lz_reduce.def"
#undef LZ_REDUCTION
};

/* numpy's other names for reductions. */
static const struct {
    const char *alias;
    lz_reduce_op op;
} aliases[] = {
#define LZ_REDUCTION(id, name, nan_name)
#define LZ_REDUCTION_ALIAS(alias, id) {alias, LZ_RED_##id},
#include "lz_reduce.def"
#undef LZ_REDUCTION
};

static bool
lookup(const char *name, lz_reduce_op *op, bool *skipna)
{
    for (size_t i = 0; i < sizeof aliases / sizeof aliases[0]; i++)
        if (!strcmp(name, aliases[i].alias))
            name = reductions[aliases[i].op].name;
    for (int i = 0; i < LZ_REDUCE_COUNT; i++) {
        if (!strcmp(name, reductions[i].name) || (reductions[i].nan_name[0] && !strcmp(name, reductions[i].nan_name))) {
            *op = (lz_reduce_op)i;
            *skipna = strcmp(name, reductions[i].name) != 0;
            return true;
        }
    }
    return false;
}

static lz_dtype
result_type(lz_reduce_op op, lz_dtype in)
{
    lz_kind k = lz_dtype_kind(in);
    switch (op) {
    case LZ_RED_SUM:
    case LZ_RED_PROD:
        return k == LZ_KIND_FLOAT ? in : k == LZ_KIND_UINT ? LZ_UINT64 : LZ_INT64;
    case LZ_RED_MEAN:
    case LZ_RED_VAR:
    case LZ_RED_STD:
        return k == LZ_KIND_FLOAT ? in : LZ_FLOAT64;
    case LZ_RED_MIN:
    case LZ_RED_MAX:
        return in;
    case LZ_RED_ARGMIN:
    case LZ_RED_ARGMAX:
    case LZ_RED_COUNT:
        return LZ_INT64;
    default: /* any, all */
        return LZ_BOOL;
    }
}

/* The REDUCE node of `r` over x. */
static lz_node *
reduce_node(binder *b, const lz_ast *call, lz_node *x, lz_reduction *r)
{
    lz_node *n = lz_node_new(b->graph, LZ_NODE_REDUCE, 1, call->line, call->column);
    if (!n)
        return NULL;
    n->reduce = r;
    n->in[0] = x;
    n->dtype = result_type(r->op, x->dtype);
    for (int k = 0; k < x->rank; k++) {
        if (!r->axis[k])
            n->shape[n->rank++] = x->shape[k];
        else if (r->keepdims)
            n->shape[n->rank++] = 1;
    }
    return n;
}

/* a <op> b for bound nodes. */
static lz_status
binary(binder *b, const lz_ast *at, lz_ufunc op, lz_node *x, lz_node *y, lz_node **out)
{
    lz_node *in[2] = {x, y};
    return lz_bind_ufunc(b, at, op, in, 2, LZ_T_EOF, out);
}

/* A weak literal: an integer, or a float. */
static lz_node *
literal(binder *b, const lz_ast *at, bool is_float, int64_t i, double f)
{
    lz_scalar v = {.kind = is_float ? LZ_KIND_FLOAT : LZ_KIND_INT};
    if (is_float)
        v.v.f = f;
    else
        v.v.i = i;
    return lz_bind_const(b, at, &v, true, LZ_BOOL);
}

/* mdtol=m on the result `red` of reduction r over x, which folds `n`
 * elements into each result (see the file's header). Integer results hold
 * no missing values and are left as they are. */
static lz_status
apply_mdtol(binder *b, const lz_ast *call, const lz_ast *arg, lz_node *x, const lz_reduction *r, int64_t n,
            lz_node **red)
{
    lz_node *m;
    lz_status st = lz_bind_node(b, arg, &m);
    if (st)
        return st;
    double tol = NAN;
    if (m->kind == LZ_NODE_CONST && m->rank == 0)
        tol = m->value.kind == LZ_KIND_FLOAT ? m->value.v.f
              : m->value.kind == LZ_KIND_BOOL ? m->value.v.b
                                              : (double)m->value.v.i;
    if (!(tol >= 0 && tol <= 1))
        return lz_bind_fail(b, arg, LZ_EVALUE, "mdtol must be a number from 0 to 1");
    if (lz_dtype_kind((*red)->dtype) != LZ_KIND_FLOAT)
        return LZ_OK;
    lz_reduction *rc = lz_arena_alloc(&b->graph->arena, sizeof *rc);
    if (!rc)
        return LZ_ENOMEM;
    *rc = *r;
    rc->op = LZ_RED_COUNT;
    rc->skipna = false;
    lz_node *count = reduce_node(b, call, x, rc), *lost, *frac, *over, *none, *missing;
    lz_node *n1 = literal(b, call, false, n, 0), *n2 = literal(b, call, false, n, 0);
    lz_node *zero = literal(b, call, false, 0, 0), *limit = literal(b, call, true, 0, tol);
    lz_node *nan = literal(b, call, true, 0, NAN);
    if (!count || !n1 || !n2 || !zero || !limit || !nan)
        return LZ_ENOMEM;
    if ((st = binary(b, call, LZ_UF_SUBTRACT, n1, count, &lost)) ||
        (st = binary(b, call, LZ_UF_DIVIDE, lost, n2, &frac)) ||
        (st = binary(b, call, LZ_UF_GREATER, frac, limit, &over)) ||
        (st = binary(b, call, LZ_UF_EQUAL, count, zero, &none)) ||
        (st = binary(b, call, LZ_UF_LOGICAL_OR, over, none, &missing)))
        return st;
    lz_node *in[3] = {missing, nan, *red};
    return lz_bind_ufunc(b, call, LZ_UF_WHERE, in, 3, LZ_T_EOF, red);
}

lz_status
lz_bind_reduced_count(binder *b, const lz_ast *call, const lz_node *x, const bool *axis, const char *fn,
                      int64_t *count)
{
    /* The evaluator indexes each output's elements (argmin answers with
     * one, order statistics pick ranks): their count must fit in 64 bits,
     * unless an axis is empty, which makes it 0 whatever the others. */
    int64_t reduced = 1;
    bool too_many = false, empty = false;
    for (int k = 0; k < x->rank; k++) {
        if (axis[k]) {
            too_many |= __builtin_mul_overflow(reduced, x->shape[k], &reduced);
            empty |= x->shape[k] == 0;
        }
    }
    if (too_many && !empty)
        return lz_bind_fail(b, call, LZ_ELIMIT,
                            "%s() would reduce more than 2^63 elements into each result: their count does not fit "
                            "in 64 bits",
                            fn);
    *count = empty ? 0 : reduced;
    return LZ_OK;
}

lz_status
lz_bind_reduce(binder *b, const lz_ast *call, lz_node **out)
{
    lz_reduce_op op;
    bool skipna;
    if (!lookup(call->text, &op, &skipna))
        return lz_bind_fail(b, call, LZ_EINTERNAL, "'%s' is not a reduction", call->text);
    bool arg = op == LZ_RED_ARGMIN || op == LZ_RED_ARGMAX;
    bool spread = op == LZ_RED_VAR || op == LZ_RED_STD;
    bool tolerant = skipna && !arg; /* takes mdtol=, keyword only */
    static const char *const keywords[2][2][5] = {
        {{"axis", "keepdims", NULL}, {"axis", "keepdims", "mdtol", NULL}},
        {{"axis", "keepdims", "ddof", NULL}, {"axis", "keepdims", "ddof", "mdtol", NULL}},
    };
    const int mdtol_kw = spread ? 3 : 2;
    call_args args;
    lz_node *x;
    lz_status st;
    if ((st = lz_bind_collect(b, call, 1, spread ? 4 : 3, keywords[spread][tolerant], &args)) ||
        (st = lz_bind_array(b, args.pos[0], &x)))
        return st;
    lz_reduction *r = lz_arena_alloc(&b->graph->arena, sizeof *r);
    if (!r)
        return LZ_ENOMEM;
    r->op = op;
    r->skipna = skipna;
    int count;
    const lz_ast *axis = args.kw[0];
    if (arg && axis && (axis->kind == LZ_AST_TUPLE || axis->kind == LZ_AST_LIST))
        return lz_bind_fail(b, axis, LZ_ETYPE, "%s() takes an integer axis or None, not a tuple", call->text);
    if ((st = lz_bind_arg_axes(b, axis, x->rank, true, r->axis, &count)))
        return st;
    if (args.kw[1] && (st = lz_bind_arg_bool(b, args.kw[1], "keepdims", &r->keepdims)))
        return st;
    if (spread && args.kw[2] && (st = lz_bind_arg_int(b, args.kw[2], "ddof", &r->ddof)))
        return st;
    int64_t reduced;
    if ((st = lz_bind_reduced_count(b, call, x, r->axis, call->text, &reduced)))
        return st;
    bool empty = reduced == 0;
    /* numpy refuses these on empty input (no identity, nothing to point at). */
    if (empty && (op == LZ_RED_MIN || op == LZ_RED_MAX || arg))
        return lz_bind_fail(b, call, LZ_EVALUE,
                            arg ? "attempt to get %s of an empty sequence"
                                : "zero-size array to reduction operation %s which has no identity",
                            arg ? reductions[op].name : (op == LZ_RED_MIN ? "minimum" : "maximum"));
    lz_node *n = reduce_node(b, call, x, r);
    if (!n)
        return LZ_ENOMEM;
    if (tolerant && args.kw[mdtol_kw] &&
        (st = apply_mdtol(b, call, args.kw[mdtol_kw], x, r, reduced, &n)))
        return st;
    *out = n;
    return LZ_OK;
}
