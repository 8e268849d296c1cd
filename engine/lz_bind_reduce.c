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
 */
#include "lz_bind.h"

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

lz_status
lz_bind_reduce(binder *b, const lz_ast *call, lz_node **out)
{
    lz_reduce_op op;
    bool skipna;
    if (!lookup(call->text, &op, &skipna))
        return lz_bind_fail(b, call, LZ_EINTERNAL, "'%s' is not a reduction", call->text);
    bool arg = op == LZ_RED_ARGMIN || op == LZ_RED_ARGMAX;
    bool spread = op == LZ_RED_VAR || op == LZ_RED_STD;
    static const char *const plain[] = {"axis", "keepdims", NULL};
    static const char *const with_ddof[] = {"axis", "keepdims", "ddof", NULL};
    call_args args;
    lz_node *x;
    lz_status st;
    if ((st = lz_bind_collect(b, call, 1, spread ? 4 : 3, spread ? with_ddof : plain, &args)) ||
        (st = lz_bind_node(b, args.pos[0], &x)))
        return st;
    if (x->kind == LZ_NODE_CONST && x->weak && (st = lz_bind_cast(b, &x, lz_dtype_of_kind(x->value.kind))))
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
    /* The elements each output folds: their count must fit in 64 bits (the
     * evaluator indexes them, argmin answers with one) unless an axis is
     * empty, which makes it 0 whatever the others. */
    int64_t reduced = 1;
    bool too_many = false, empty = false;
    for (int k = 0; k < x->rank; k++) {
        if (r->axis[k]) {
            too_many |= __builtin_mul_overflow(reduced, x->shape[k], &reduced);
            empty |= x->shape[k] == 0;
        }
    }
    if (too_many && !empty)
        return lz_bind_fail(b, call, LZ_ELIMIT,
                            "%s() would reduce more than 2^63 elements into each result: their count does not fit "
                            "in 64 bits",
                            call->text);
    /* numpy refuses these on empty input (no identity, nothing to point at). */
    if (empty && (op == LZ_RED_MIN || op == LZ_RED_MAX || arg))
        return lz_bind_fail(b, call, LZ_EVALUE,
                            arg ? "attempt to get %s of an empty sequence"
                                : "zero-size array to reduction operation %s which has no identity",
                            arg ? reductions[op].name : (op == LZ_RED_MIN ? "minimum" : "maximum"));
    lz_node *n = lz_node_new(b->graph, LZ_NODE_REDUCE, 1, call->line, call->column);
    if (!n)
        return LZ_ENOMEM;
    n->reduce = r;
    n->in[0] = x;
    n->dtype = result_type(op, x->dtype);
    for (int k = 0; k < x->rank; k++) {
        if (!r->axis[k])
            n->shape[n->rank++] = x->shape[k];
        else if (r->keepdims)
            n->shape[n->rank++] = 1;
    }
    *out = n;
    return LZ_OK;
}
