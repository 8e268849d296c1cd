/* lz_bind_decode.c — what an operand's name means: its stored values, or
 * their CF decoding (lz_decode, lz.h), and raw(x), which always means the
 * stored values.
 *
 * How it works. The decoding is built out of ordinary nodes where the
 * expression first names the operand, so it fuses into the elementwise
 * programs around it and needs no kernel of its own:
 *
 *     where(equal(x, m1) | ... | less(x, vmin) | greater(x, vmax),
 *           nan, astype(x, dtype) * scale_factor + add_offset)
 *
 * with x the stored values taken as `as` (a cast when that differs: for a
 * same-size integer of the other signedness, numpy's astype keeps the
 * bits). The comparisons are made in `as` against constants of that type,
 * so a missing value matches exactly the stored values equal to it; the
 * arithmetic is in `dtype` with the constants converted to `dtype` first,
 * which is what xarray computes (its scale_factor and add_offset are
 * numpy scalars of at most that precision, or Python floats, which numpy
 * converts to the array's type). Pieces that do not apply are left out.
 * The top node records the SOURCE it decodes, so that plans print the
 * decoding as one step (lz_describe.c).
 */
#include "lz_bind.h"

#include <math.h>

/* An lz_value of type t as the scalar of a typed constant. */
static lz_scalar
value_scalar(lz_dtype t, lz_value v)
{
    lz_scalar s = {0};
    switch (lz_dtype_kind(t)) {
    case LZ_KIND_FLOAT:
        s.kind = LZ_KIND_FLOAT;
        s.v.f = v.f;
        break;
    case LZ_KIND_INT:
        s.kind = LZ_KIND_INT;
        s.v.i = v.i;
        break;
    case LZ_KIND_UINT:
        s.kind = LZ_KIND_INT;
        s.v.i = v.u;
        break;
    default:
        s.kind = LZ_KIND_BOOL;
        s.v.b = v.u != 0;
        break;
    }
    return s;
}

/* Whether the engine can apply `d` to stored values of type `stored`; if
 * not, why. */
static const char *
decode_problem(const lz_decode *d, lz_dtype stored)
{
    if ((unsigned)d->as >= LZ_DTYPE_COUNT || (unsigned)d->dtype >= LZ_DTYPE_COUNT)
        return "an unknown type";
    bool twins = lz_dtype_is_integer(d->as) && lz_dtype_is_integer(stored) &&
                 lz_dtype_size(d->as) == lz_dtype_size(stored);
    if (d->as != stored && !twins)
        return "its values taken as a type that is neither the stored one nor its same-size twin";
    bool to_float = d->nmissing || d->has_valid_min || d->has_valid_max || d->has_scale_factor ||
                    d->has_add_offset;
    if (to_float && lz_dtype_kind(d->dtype) != LZ_KIND_FLOAT)
        return "missing values or packing but a decoded type that is not a float type";
    if (d->nmissing && !d->missing)
        return "missing values without their list";
    return NULL;
}

/* x <op> value, for a value of x's type. */
static lz_status
compare(binder *b, const lz_ast *at, lz_ufunc op, lz_node *x, lz_value value, lz_node **out)
{
    lz_scalar v = value_scalar(x->dtype, value);
    lz_node *in[2] = {x, lz_bind_const(b, at, &v, false, x->dtype)};
    if (!in[1])
        return LZ_ENOMEM;
    return lz_bind_ufunc(b, at, op, in, 2, LZ_T_EOF, out);
}

/* *mask = *mask | term (or term, the first time). */
static lz_status
or_into(binder *b, const lz_ast *at, lz_node **mask, lz_node *term)
{
    if (!*mask) {
        *mask = term;
        return LZ_OK;
    }
    lz_node *in[2] = {*mask, term};
    return lz_bind_ufunc(b, at, LZ_UF_LOGICAL_OR, in, 2, LZ_T_EOF, mask);
}

/* x <op> constant, the constant of x's (float) type. */
static lz_status
arithmetic(binder *b, const lz_ast *at, lz_ufunc op, lz_node **x, double constant)
{
    lz_scalar v = {.kind = LZ_KIND_FLOAT};
    v.v.f = constant;
    lz_node *in[2] = {*x, lz_bind_const(b, at, &v, false, (*x)->dtype)};
    if (!in[1])
        return LZ_ENOMEM;
    return lz_bind_ufunc(b, at, op, in, 2, LZ_T_EOF, x);
}

static lz_status
build(binder *b, lz_node *src, const lz_decode *d, lz_node **out)
{
    lz_ast at = {.kind = LZ_AST_NAME, .line = src->line, .column = src->column};
    lz_node *x = src, *mask = NULL, *term;
    lz_status st = lz_bind_cast(b, &x, d->as);
    for (size_t k = 0; st == LZ_OK && k < d->nmissing; k++)
        if ((st = compare(b, &at, LZ_UF_EQUAL, x, d->missing[k], &term)) == LZ_OK)
            st = or_into(b, &at, &mask, term);
    if (st == LZ_OK && d->has_valid_min && (st = compare(b, &at, LZ_UF_LESS, x, d->valid_min, &term)) == LZ_OK)
        st = or_into(b, &at, &mask, term);
    if (st == LZ_OK && d->has_valid_max && (st = compare(b, &at, LZ_UF_GREATER, x, d->valid_max, &term)) == LZ_OK)
        st = or_into(b, &at, &mask, term);
    lz_node *value = x;
    if (st == LZ_OK)
        st = lz_bind_cast(b, &value, d->dtype);
    if (st == LZ_OK && d->has_scale_factor)
        st = arithmetic(b, &at, LZ_UF_MULTIPLY, &value, d->scale_factor);
    if (st == LZ_OK && d->has_add_offset)
        st = arithmetic(b, &at, LZ_UF_ADD, &value, d->add_offset);
    if (st == LZ_OK && mask) {
        lz_scalar nan = {.kind = LZ_KIND_FLOAT};
        nan.v.f = NAN;
        lz_node *in[3] = {mask, lz_bind_const(b, &at, &nan, false, d->dtype), value};
        st = in[1] ? lz_bind_ufunc(b, &at, LZ_UF_WHERE, in, 3, LZ_T_EOF, &value) : LZ_ENOMEM;
    }
    if (st != LZ_OK)
        return st;
    if (value != src)
        value->decodes = src;
    *out = value;
    return LZ_OK;
}

lz_status
lz_bind_operand(binder *b, int i, lz_node **out)
{
    lz_node *src = b->source_nodes[i];
    const lz_decode *d = b->graph->sources[src->source]->decode;
    if (!d) {
        *out = src;
        return LZ_OK;
    }
    if (!b->decoded_nodes[i]) {
        const char *why = decode_problem(d, src->dtype);
        if (why)
            return lz_ctx_fail(b->ctx, LZ_EVALUE, src->line, src->column,
                               "the decoding given for this operand has %s", why);
        lz_status st = build(b, src, d, &b->decoded_nodes[i]);
        if (st)
            return st;
    }
    *out = b->decoded_nodes[i];
    return LZ_OK;
}

lz_status
lz_bind_raw(binder *b, const lz_ast *call, lz_node **out)
{
    static const char *const no_keywords[] = {NULL};
    call_args args;
    lz_status st = lz_bind_collect(b, call, 1, 1, no_keywords, &args);
    if (st)
        return st;
    const lz_ast *a = args.pos[0];
    if ((a->kind != LZ_AST_NAME && a->kind != LZ_AST_CALL) || a->operand < 0)
        return lz_bind_fail(b, a, LZ_ETYPE,
                            "raw() takes an operand (a dataset name or ds(...)), not an expression");
    *out = b->source_nodes[a->operand];
    return LZ_OK;
}
