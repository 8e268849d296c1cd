/* lz_bind_order.c — binding order statistics: median, quantile, percentile
 * and their nan* forms, with axis (an int, a tuple, or None for all axes),
 * keepdims, q (a number or a list of numbers: a list adds a leading axis)
 * and method ("linear", "lower", "higher", "nearest", "midpoint").
 *
 * Result types, as numpy's (numpy/lib/_function_base_impl.py, NumPy 2):
 *   - median: float32 for float32, float64 for everything else (its mean of
 *     the middle two);
 *   - an element taken as it is (methods lower, higher, nearest, and linear
 *     when every q is an integer, which numpy's quantile then takes): the
 *     input's type;
 *   - an interpolation (linear, midpoint): float32 for float32 with a scalar
 *     q (numpy's weak Python float keeps float32), float64 otherwise; bool
 *     is refused (numpy cannot subtract booleans).
 * percentile's q is divided by 100 in float64 first, as numpy does, so it
 * never takes. The evaluation is in lz_order.c.
 */
#include "lz_bind.h"

#include <math.h>
#include <string.h>

/* Quantiles one call may ask for: a list literal's length, kept small
 * because every output computes each of them. */
#define LZ_MAX_QUANTILES 256

static const char *const methods[] = {
    [LZ_OM_LINEAR] = "linear",     [LZ_OM_LOWER] = "lower",       [LZ_OM_HIGHER] = "higher",
    [LZ_OM_NEAREST] = "nearest",   [LZ_OM_MIDPOINT] = "midpoint",
};

/* numpy's other methods, which h5lazy does not compute. */
static const char *const other_methods[] = {"inverted_cdf", "averaged_inverted_cdf", "closest_observation",
                                            "interpolated_inverted_cdf", "hazen", "weibull",
                                            "median_unbiased", "normal_unbiased"};

/* One number of q: into *v, and whether it is an integer. */
static lz_status
q_number(binder *b, const lz_ast *a, const char *fn, double *v, bool *integer)
{
    lz_node *n;
    lz_status st = lz_bind_node(b, a, &n);
    if (st)
        return st;
    if (n->kind != LZ_NODE_CONST || n->rank != 0)
        return lz_bind_fail(b, a, LZ_ETYPE, "%s() needs q as a number or a list of numbers", fn);
    const lz_scalar *s = &n->value;
    *integer = s->kind != LZ_KIND_FLOAT;
    *v = s->kind == LZ_KIND_FLOAT ? s->v.f : s->kind == LZ_KIND_BOOL ? (double)s->v.b : (double)s->v.i;
    return LZ_OK;
}

/* q of quantile/percentile into r (fractions, checked), and whether every
 * one is an integer and q is a scalar (numpy's weak q). */
static lz_status
bind_q(binder *b, const lz_ast *a, const char *fn, bool percent, lz_order *r, bool *all_int, bool *weak)
{
    bool list = a->kind == LZ_AST_LIST || a->kind == LZ_AST_TUPLE;
    size_t nq = list ? a->nitems : 1;
    if (nq > LZ_MAX_QUANTILES)
        return lz_bind_fail(b, a, LZ_ELIMIT, "%s() takes at most %d quantiles", fn, LZ_MAX_QUANTILES);
    if (list && nq == 0) /* numpy gives an empty leading axis; h5lazy has no use for it */
        return lz_bind_fail(b, a, LZ_EVALUE, "%s() needs at least one quantile in q", fn);
    double *q = lz_arena_alloc(&b->graph->arena, nq * sizeof *q);
    if (!q)
        return LZ_ENOMEM;
    *all_int = !percent;
    for (size_t i = 0; i < nq; i++) {
        bool integer = false;
        lz_status st = q_number(b, list ? a->items[i] : a, fn, &q[i], &integer);
        if (st)
            return st;
        *all_int = *all_int && integer;
        if (percent)
            q[i] /= 100.0; /* numpy: np.true_divide(q, 100), in float64 */
        if (!(q[i] >= 0 && q[i] <= 1))
            return lz_bind_fail(b, list ? a->items[i] : a, LZ_EVALUE, "%s must be in the range [0, %d]",
                                percent ? "Percentiles" : "Quantiles", percent ? 100 : 1);
    }
    r->q = q;
    r->nq = (int)nq;
    r->qaxis = list;
    *weak = !list;
    return LZ_OK;
}

static lz_status
bind_method(binder *b, const lz_ast *a, const char *fn, lz_order_method *out)
{
    if (a->kind != LZ_AST_STRING)
        return lz_bind_fail(b, a, LZ_ETYPE, "%s() needs method as a name in quotes, such as \"linear\"", fn);
    for (int m = 0; m < (int)(sizeof methods / sizeof *methods); m++) {
        if (!strcmp(a->text, methods[m])) {
            *out = (lz_order_method)m;
            return LZ_OK;
        }
    }
    for (size_t m = 0; m < sizeof other_methods / sizeof *other_methods; m++)
        if (!strcmp(a->text, other_methods[m]))
            return lz_bind_fail(b, a, LZ_EVALUE,
                                "method '%s' is not supported: use one of 'linear', 'lower', 'higher', "
                                "'nearest', 'midpoint'",
                                a->text);
    return lz_bind_fail(b, a, LZ_EVALUE,
                        "'%s' is not a valid method: use one of 'linear', 'lower', 'higher', 'nearest', "
                        "'midpoint'",
                        a->text);
}

/* The names this file binds (the table of lz_bind.c lists them too): the
 * graph keeps a pointer to one, since it outlives the expression's text. */
static const char *const names[] = {"median", "nanmedian", "quantile", "nanquantile", "percentile",
                                    "nanpercentile"};

lz_status
lz_bind_order(binder *b, const lz_ast *call, lz_node **out)
{
    const char *fn = NULL;
    for (size_t i = 0; i < sizeof names / sizeof *names; i++)
        if (!strcmp(call->text, names[i]))
            fn = names[i];
    if (!fn)
        return lz_bind_fail(b, call, LZ_EINTERNAL, "'%s' is not an order statistic", call->text);
    bool skipna = !strncmp(fn, "nan", 3);
    const char *base = fn + (skipna ? 3 : 0);
    bool median = !strcmp(base, "median"), percent = !strcmp(base, "percentile");
    static const char *const median_kw[] = {"axis", "keepdims", NULL};
    static const char *const quantile_kw[] = {"axis", "method", "keepdims", NULL};
    call_args args;
    lz_node *x;
    lz_status st;
    if ((st = lz_bind_collect(b, call, median ? 1 : 2, median ? 3 : 5, median ? median_kw : quantile_kw, &args)) ||
        (st = lz_bind_array(b, args.pos[0], &x)))
        return st;
    lz_order *r = lz_arena_alloc(&b->graph->arena, sizeof *r);
    if (!r)
        return LZ_ENOMEM;
    memset(r, 0, sizeof *r);
    r->name = fn;
    r->skipna = skipna;
    r->method = median ? LZ_OM_MEDIAN : LZ_OM_LINEAR;
    bool all_int = false, weak = true;
    static const double half = 0.5;
    if (median) {
        r->q = &half;
        r->nq = 1;
    } else if ((st = bind_q(b, args.pos[1], fn, percent, r, &all_int, &weak))) {
        return st;
    }
    const lz_ast *axis = args.kw[0], *method = median ? NULL : args.kw[1], *keepdims = args.kw[median ? 1 : 2];
    int count;
    if ((st = lz_bind_arg_axes(b, axis, x->rank, true, r->axis, &count)) ||
        (keepdims && (st = lz_bind_arg_bool(b, keepdims, "keepdims", &r->keepdims))) ||
        (method && (st = bind_method(b, method, fn, &r->method))))
        return st;
    /* numpy takes an element for the discrete methods, and for linear when
     * q is integers: (n - 1) * q is then an integer index. */
    r->take = r->method == LZ_OM_LOWER || r->method == LZ_OM_HIGHER || r->method == LZ_OM_NEAREST ||
              (r->method == LZ_OM_LINEAR && all_int);
    lz_dtype t = x->dtype;
    lz_dtype result;
    if (r->take)
        result = t;
    else if (median)
        result = t == LZ_FLOAT32 ? LZ_FLOAT32 : LZ_FLOAT64;
    else if (t == LZ_BOOL)
        return lz_bind_fail(b, call, LZ_ETYPE,
                            "%s() cannot interpolate booleans (numpy cannot subtract them): use method "
                            "'lower', 'higher' or 'nearest'",
                            fn);
    else
        result = t == LZ_FLOAT32 && weak ? LZ_FLOAT32 : LZ_FLOAT64;
    int64_t reduced;
    if ((st = lz_bind_reduced_count(b, call, x, r->axis, fn, &reduced)))
        return st;
    bool empty = reduced == 0;
    /* Of nothing, numpy's median is NaN (mean of an empty slice), its
     * quantile fails on the index of the last element, and its
     * nanquantile is nanmean's NaN, without q's axis and of nanmean's type:
     * h5lazy gives that NaN where the shape and type agree. */
    if (empty && !median && (!skipna || r->take || r->qaxis))
        return lz_bind_fail(b, call, LZ_EVALUE,
                            skipna ? "%s() of an empty array with a list of q or an element's method: numpy gives "
                                     "nanmean's result there, which h5lazy does not"
                                   : "%s() of an empty array: index -1 is out of bounds for axis 0 with size 0",
                            fn);
    if (r->qaxis && x->rank - (r->keepdims ? 0 : count) + 1 > LZ_MAX_RANK)
        return lz_bind_fail(b, call, LZ_ELIMIT, "%s() would give a result of more than %d dimensions", fn,
                            LZ_MAX_RANK);
    lz_node *n = lz_node_new(b->graph, LZ_NODE_ORDER, 1, call->line, call->column);
    if (!n)
        return LZ_ENOMEM;
    n->order = r;
    n->in[0] = x;
    n->dtype = result;
    if (r->qaxis)
        n->shape[n->rank++] = r->nq;
    for (int k = 0; k < x->rank; k++) {
        if (!r->axis[k])
            n->shape[n->rank++] = x->shape[k];
        else if (r->keepdims)
            n->shape[n->rank++] = 1;
    }
    *out = n;
    return LZ_OK;
}
