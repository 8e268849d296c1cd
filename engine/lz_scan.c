/* lz_scan.c — cumsum, cumprod, nancumsum and nancumprod (SCAN nodes).
 *
 * How it works. Output index i along the scanned axis is
 * out[i] = out[i-1] op x[i], out[0] = x[0], folded one element at a time in
 * the accumulator's type (the node's: int64, uint64, float32 or float64;
 * the binder casts x to it), exactly as numpy's add.accumulate and
 * multiply.accumulate do, so results are numpy's to the bit. Integers wrap
 * as numpy's (the arithmetic is done in uint64). The nan-forms fold NaN as
 * 0 (or 1), which is numpy's "replace NaN, then scan"; out[0] is still
 * x[0], so a leading -0.0 stays -0.0 as in numpy.
 *
 * A box [a:b] needs the accumulated value before a. The result cache
 * (lz_cache.c) keeps "carries": the node's values at the last index a
 * read computed, over that read's box on the other axes. A read starts
 * from the latest carry at or before a - 1 (or from index 0) and streams
 * x along the axis in slabs sized to what is left of the budget, keeping
 * its own last values as a carry for the next read: a reader walking
 * forward in strips (h5dump, h5py loops, the pieces of one read) reads
 * each element of x about once.
 */
#include "lz_cache.h"
#include "lz_eval.h"

#include <math.h>
#include <string.h>

/* Where output rows land: the requested indices s, s + t, ... (c of them). */
typedef struct scan_geom {
    int64_t outer, inner; /* the box's extents before and after the axis, as products */
    int64_t s, t, c;      /* the box along the axis */
} scan_geom;

/* Fold `len` rows of x (dense [outer][len][inner], first row at axis
 * index p) into acc ([outer][inner]), copying acc into out after every
 * requested index. T: the element type, W: the type the arithmetic is
 * done in, NAN_TO: what a NaN counts as (ints: never NaN). */
#define SCAN_FOLD(T, W, IS_NAN)                                                                                   \
    do {                                                                                                           \
        T *a = acc;                                                                                                \
        const T *xs = x;                                                                                           \
        T *o = out;                                                                                                \
        for (int64_t r = 0; r < g->outer; r++) {                                                                   \
            T *ar = a + r * g->inner;                                                                              \
            for (int64_t k = 0; k < len; k++) {                                                                    \
                const T *xr = xs + (r * len + k) * g->inner;                                                       \
                if (first && k == 0) {                                                                             \
                    for (int64_t m = 0; m < g->inner; m++)                                                         \
                        ar[m] = skipna && IS_NAN(xr[m]) ? (T)identity : xr[m];                                     \
                } else if (product) {                                                                              \
                    for (int64_t m = 0; m < g->inner; m++)                                                         \
                        ar[m] = (T)((W)ar[m] * (W)(skipna && IS_NAN(xr[m]) ? (T)1 : xr[m]));                       \
                } else {                                                                                           \
                    for (int64_t m = 0; m < g->inner; m++)                                                         \
                        ar[m] = (T)((W)ar[m] + (W)(skipna && IS_NAN(xr[m]) ? (T)0 : xr[m]));                       \
                }                                                                                                  \
                int64_t i = p + k;                                                                                 \
                if (i >= g->s && (i - g->s) % g->t == 0)                                                           \
                    memcpy(o + (r * g->c + (i - g->s) / g->t) * g->inner, ar, (size_t)g->inner * sizeof(T));       \
            }                                                                                                      \
        }                                                                                                          \
    } while (0)

#define NEVER_NAN(v) ((void)(v), 0)

static void
fold(const lz_node *n, const scan_geom *g, void *acc, const void *x, int64_t p, int64_t len, bool first, void *out)
{
    bool product = n->scan->product, skipna = n->scan->skipna;
    int identity = product ? 1 : 0; /* what the nan-forms count a NaN as */
    switch (n->dtype) {
    case LZ_FLOAT32:
        SCAN_FOLD(float, float, isnan);
        return;
    case LZ_FLOAT64:
        SCAN_FOLD(double, double, isnan);
        return;
    case LZ_INT64: /* two's complement wrap, as numpy's, without signed overflow */
        SCAN_FOLD(int64_t, uint64_t, NEVER_NAN);
        return;
    default: /* LZ_UINT64: the binder casts to one of these four */
        SCAN_FOLD(uint64_t, uint64_t, NEVER_NAN);
        return;
    }
}

static void
geometry(const lz_node *n, const lz_box *box, scan_geom *g)
{
    int axis = n->scan->axis;
    g->outer = g->inner = 1;
    for (int k = 0; k < axis; k++)
        g->outer *= box->count[k];
    for (int k = axis + 1; k < n->rank; k++)
        g->inner *= box->count[k];
    g->s = box->start[axis];
    g->t = box->step[axis];
    g->c = box->count[axis];
}

/* Evaluate rows [p, p + len) of x (all of the box's other axes) into buf. */
static lz_status
read_rows(lz_evaluator *ev, const lz_node *n, const lz_box *box, int64_t p, int64_t len, void *buf)
{
    const lz_node *x = n->in[0];
    if (n->scan->flat)
        return lz_eval_flat(ev, x, p, p + len, buf);
    lz_box ib = *box;
    ib.start[n->scan->axis] = p;
    ib.step[n->scan->axis] = 1;
    ib.count[n->scan->axis] = len;
    return lz_eval_node(ev, x, &ib, buf);
}

lz_status
lz_eval_scan(lz_evaluator *ev, const lz_node *n, const lz_box *box, void *out)
{
    lz_ctx *ctx = ev->ctx;
    const lz_node *x = n->in[0];
    int axis = n->scan->axis;
    size_t isz = lz_dtype_size(n->dtype);
    scan_geom g;
    geometry(n, box, &g);
    int64_t rows = g.outer * g.inner, last = g.s + g.t * (g.c - 1);
    void *acc = lz_alloc(ctx, (size_t)rows * isz);
    if (!acc)
        return LZ_ENOMEM;
    lz_cache *cache = lz_graph_cache(ev->g);
    int64_t from = 0, at;
    if (g.s > 0 && lz_cache_get_before(cache, n, box, axis, g.s - 1, acc, &at))
        from = at + 1;
    /* Slabs of what is left of the budget, half of it (the other half for
     * what evaluating x allocates besides). */
    size_t left = lz_plan_budget_left(ev, NULL) / 2;
    size_t per_row = (size_t)rows * (isz + lz_node_cost(ev, x));
    int64_t slab = (int64_t)(left / per_row), todo = last - from + 1;
    slab = slab < 1 ? 1 : slab < todo ? slab : todo;
    void *buf = lz_alloc(ctx, (size_t)(slab * rows) * isz);
    lz_status st = buf ? LZ_OK : LZ_ENOMEM;
    for (int64_t p = from; st == LZ_OK && p <= last; p += slab) {
        int64_t len = last - p + 1 < slab ? last - p + 1 : slab;
        if ((st = read_rows(ev, n, box, p, len, buf)) == LZ_OK)
            fold(n, &g, acc, buf, p, len, p == 0, out);
    }
    if (st == LZ_OK) { /* this read's carry, for the next one */
        lz_box kept = *box;
        kept.start[axis] = last;
        kept.step[axis] = 1;
        kept.count[axis] = 1;
        lz_cache_put(cache, n, &kept, acc);
    }
    lz_free(ctx, buf);
    lz_free(ctx, acc);
    return st;
}

void
lz_scan_inputs(const lz_node *n, const lz_box *box, lz_input_visit visit, void *arg)
{
    const lz_node *x = n->in[0];
    int axis = n->scan->axis;
    int64_t end = box->start[axis] + box->step[axis] * (box->count[axis] - 1) + 1;
    if (n->scan->flat) {
        for (int64_t p = 0; p < end;) {
            lz_box ib;
            lz_flat_next(x, &p, end, &ib);
            visit(arg, x, &ib);
        }
        return;
    }
    lz_box ib = *box;
    ib.start[axis] = 0;
    ib.step[axis] = 1;
    ib.count[axis] = end;
    visit(arg, x, &ib);
}
