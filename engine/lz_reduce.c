/* lz_reduce.c — reductions, streamed through accumulators.
 *
 * How it works: a reduction's output box maps to the input's kept axes; the
 * reduced axes are scanned in slabs (C-order pieces of the reduced extent,
 * aligned with the input's storage chunks, as large as the budget left
 * after the accumulators allows). Each slab is evaluated, converted run by
 * run to a canonical value type (double, int64 or uint64), and folded into
 * one accumulator per output element. Several reductions of the same input
 * over the same axes share the scan (mean and std of a field in one pass).
 *
 * LZ_REDUCTION_RULES — accumulators and merges, chosen so that the result
 * does not depend on how the input was cut into slabs and runs:
 *   sum, mean     Neumaier-compensated sum in double (integers: exact int64
 *                 or uint64 sums that wrap as numpy's); mean = sum / count
 *   var, std      Welford per element, Chan's formula to merge a run's
 *                 (count, mean, M2); var = M2 / max(count - ddof, 0)
 *   prod          product in double, int64 or uint64 (wrapping)
 *   min, max      NaN propagates (nan* forms: NaN is skipped; all-NaN gives
 *                 NaN)
 *   argmin/max    value and flat index over the reduced axes; equal values
 *                 keep the lower index, so order does not matter; the first
 *                 NaN wins (nan* forms: all-NaN is an error, as numpy's)
 *   count         elements that are not NaN
 *   any, all      x != 0 (NaN is true)
 * Floating-point results can differ from numpy's (which sums pairwise in
 * the input's type) in the last bits: h5lazy's are the more accurate; the
 * documented tolerance is 1e-12 relative for float64 results and 1e-6 for
 * float32.
 */
#include "lz_eval.h"
#include "lz_vm.h"

#include <math.h>
#include <string.h>

/* One accumulator per output element. */
typedef struct acc {
    union {
        double f;
        int64_t i;
        uint64_t u;
    } v;        /* sum, product, running mean, extreme value */
    double c;   /* Neumaier compensation, or Welford's M2 */
    int64_t n;  /* count, or the index of the extreme */
    int64_t flag; /* a value has been seen / any / all */
} acc;

typedef enum canon { CANON_F, CANON_I, CANON_U } canon;

size_t
lz_reduce_state_bytes(const lz_node *n)
{
    (void)n;
    return sizeof(acc);
}

bool
lz_reduce_same_scan(const lz_node *a, const lz_node *b)
{
    if (a->kind != LZ_NODE_REDUCE || b->kind != LZ_NODE_REDUCE || a->in[0] != b->in[0] ||
        a->reduce->keepdims != b->reduce->keepdims)
        return false;
    for (int k = 0; k < a->in[0]->rank; k++)
        if (a->reduce->axis[k] != b->reduce->axis[k])
            return false;
    return true;
}

/* The value type a reduction works in. */
static canon
canon_of(const lz_node *n)
{
    lz_dtype t = n->in[0]->dtype;
    switch (n->reduce->op) {
    case LZ_RED_MEAN:
    case LZ_RED_VAR:
    case LZ_RED_STD:
        return CANON_F;
    default:
        if (lz_dtype_kind(t) == LZ_KIND_FLOAT)
            return CANON_F;
        return lz_dtype_kind(t) == LZ_KIND_UINT ? CANON_U : CANON_I;
    }
}

static lz_dtype
canon_dtype(canon c)
{
    return c == CANON_F ? LZ_FLOAT64 : c == CANON_I ? LZ_INT64 : LZ_UINT64;
}

static void
acc_init(const lz_node *n, acc *a, int64_t count)
{
    memset(a, 0, (size_t)count * sizeof *a);
    lz_reduce_op op = n->reduce->op;
    canon c = canon_of(n);
    for (int64_t i = 0; i < count; i++) {
        if (op == LZ_RED_PROD) {
            if (c == CANON_F)
                a[i].v.f = 1;
            else
                a[i].v.i = 1; /* one for int64 and uint64 alike */
        } else if (op == LZ_RED_ALL) {
            a[i].flag = 1;
        } else if (op == LZ_RED_ARGMIN || op == LZ_RED_ARGMAX) {
            a[i].n = -1;
        }
    }
}

/* ---- folding values in ------------------------------------------------------------ */

static inline void
neumaier_add(acc *a, double x)
{
    double s = a->v.f, t = s + x;
    a->c += fabs(s) >= fabs(x) ? (s - t) + x : (x - t) + s;
    a->v.f = t;
}

static inline void
welford_add(acc *a, double x)
{
    a->n++;
    double delta = x - a->v.f;
    a->v.f += delta / (double)a->n;
    a->c += delta * (x - a->v.f);
}

/* Fold value x at reduced index r into accumulator a (one element). */
static inline void
fold_f(lz_reduce_op op, bool skipna, acc *a, double x, int64_t r)
{
    bool nan = isnan(x);
    switch (op) {
    case LZ_RED_SUM:
        if (!(skipna && nan))
            neumaier_add(a, x);
        break;
    case LZ_RED_MEAN:
        if (!(skipna && nan)) {
            neumaier_add(a, x);
            a->n++;
        }
        break;
    case LZ_RED_VAR:
    case LZ_RED_STD:
        if (!(skipna && nan))
            welford_add(a, x);
        break;
    case LZ_RED_PROD:
        if (!(skipna && nan))
            a->v.f *= x;
        break;
    case LZ_RED_MIN:
    case LZ_RED_MAX:
        if (nan) { /* NaN propagates and stays, unless skipped */
            if (!skipna) {
                a->v.f = x;
                a->flag = 1;
            }
        } else if (!a->flag) {
            a->v.f = x;
            a->flag = 1;
        } else if (!isnan(a->v.f) && (op == LZ_RED_MIN ? x < a->v.f : x > a->v.f)) {
            a->v.f = x;
        }
        break;
    case LZ_RED_ARGMIN:
    case LZ_RED_ARGMAX: {
        if (skipna && nan)
            break;
        bool take;
        if (!a->flag)
            take = true;
        else if (isnan(a->v.f))
            take = nan && r < a->n; /* the first NaN wins */
        else if (nan)
            take = true;
        else if (x == a->v.f)
            take = r < a->n;
        else
            take = op == LZ_RED_ARGMIN ? x < a->v.f : x > a->v.f;
        if (take) {
            a->v.f = x;
            a->n = r;
        }
        a->flag = 1;
        break;
    }
    case LZ_RED_COUNT:
        a->n += !nan;
        break;
    case LZ_RED_ANY:
        a->flag |= x != 0;
        break;
    case LZ_RED_ALL:
        a->flag &= x != 0;
        break;
    case LZ_REDUCE_COUNT:
        break;
    }
}

/* The same for integers (signed in int64, unsigned in uint64). */
#define FOLD_INT(name, T, field)                                                                   \
    static inline void name(lz_reduce_op op, acc *a, T x, int64_t r)                               \
    {                                                                                              \
        switch (op) {                                                                              \
        case LZ_RED_SUM:                                                                           \
            a->v.field = (T)((uint64_t)a->v.field + (uint64_t)x);                                  \
            break;                                                                                 \
        case LZ_RED_PROD:                                                                          \
            a->v.field = (T)((uint64_t)a->v.field * (uint64_t)x);                                  \
            break;                                                                                 \
        case LZ_RED_MIN:                                                                           \
            if (!a->flag || x < a->v.field)                                                        \
                a->v.field = x;                                                                    \
            a->flag = 1;                                                                           \
            break;                                                                                 \
        case LZ_RED_MAX:                                                                           \
            if (!a->flag || x > a->v.field)                                                        \
                a->v.field = x;                                                                    \
            a->flag = 1;                                                                           \
            break;                                                                                 \
        case LZ_RED_ARGMIN:                                                                        \
        case LZ_RED_ARGMAX:                                                                        \
            if (!a->flag || (op == LZ_RED_ARGMIN ? x < a->v.field : x > a->v.field) ||              \
                (x == a->v.field && r < a->n)) {                                                   \
                a->v.field = x;                                                                    \
                a->n = r;                                                                          \
            }                                                                                      \
            a->flag = 1;                                                                           \
            break;                                                                                 \
        case LZ_RED_COUNT:                                                                         \
            a->n++;                                                                                \
            break;                                                                                 \
        case LZ_RED_ANY:                                                                           \
            a->flag |= x != 0;                                                                     \
            break;                                                                                 \
        case LZ_RED_ALL:                                                                           \
            a->flag &= x != 0;                                                                     \
            break;                                                                                 \
        default: /* mean, var, std work in double */                                               \
            break;                                                                                 \
        }                                                                                          \
    }
FOLD_INT(fold_i, int64_t, i)
FOLD_INT(fold_u, uint64_t, u)

/* A run of m values of one output element (the innermost axis reduced):
 * var and std fold the run as a whole (Chan), the rest element by element. */
static void
fold_run_scalar(const lz_node *n, canon c, acc *a, const void *vals, int64_t m, int64_t r0, int64_t r_step)
{
    lz_reduce_op op = n->reduce->op;
    bool skipna = n->reduce->skipna;
    if (c == CANON_F && (op == LZ_RED_VAR || op == LZ_RED_STD)) {
        const double *x = vals;
        double sum = 0;
        int64_t cnt = 0;
        for (int64_t j = 0; j < m; j++)
            if (!(skipna && isnan(x[j]))) {
                sum += x[j];
                cnt++;
            }
        if (cnt == 0)
            return;
        double mean = sum / (double)cnt, m2 = 0;
        for (int64_t j = 0; j < m; j++)
            if (!(skipna && isnan(x[j])))
                m2 += (x[j] - mean) * (x[j] - mean);
        int64_t na = a->n, nn = na + cnt;
        double delta = mean - a->v.f;
        a->v.f += delta * (double)cnt / (double)nn;
        a->c += m2 + delta * delta * (double)na * (double)cnt / (double)nn;
        a->n = nn;
        return;
    }
    for (int64_t j = 0; j < m; j++) {
        int64_t r = r0 + j * r_step;
        if (c == CANON_F)
            fold_f(op, skipna, a, ((const double *)vals)[j], r);
        else if (c == CANON_I)
            fold_i(op, a, ((const int64_t *)vals)[j], r);
        else
            fold_u(op, a, ((const uint64_t *)vals)[j], r);
    }
}

/* A run of m values of m consecutive output elements (the innermost axis
 * kept), all at reduced index r. */
static void
fold_run_vector(const lz_node *n, canon c, acc *a, const void *vals, int64_t m, int64_t r)
{
    lz_reduce_op op = n->reduce->op;
    bool skipna = n->reduce->skipna;
    if (c == CANON_F && (op == LZ_RED_VAR || op == LZ_RED_STD) && !skipna) {
        /* Every output gains one element: one reciprocal serves the run. */
        const double *x = vals;
        double inv = 1.0 / (double)(a[0].n + 1);
        for (int64_t j = 0; j < m; j++) {
            double delta = x[j] - a[j].v.f;
            a[j].v.f += delta * inv;
            a[j].c += delta * (x[j] - a[j].v.f);
            a[j].n++;
        }
        return;
    }
    for (int64_t j = 0; j < m; j++) {
        if (c == CANON_F)
            fold_f(op, skipna, &a[j], ((const double *)vals)[j], r);
        else if (c == CANON_I)
            fold_i(op, &a[j], ((const int64_t *)vals)[j], r);
        else
            fold_u(op, &a[j], ((const uint64_t *)vals)[j], r);
    }
}

/* ---- finishing --------------------------------------------------------------------- */

static lz_status
finish(lz_evaluator *ev, const lz_node *n, const acc *a, int64_t count, void *out)
{
    lz_reduce_op op = n->reduce->op;
    canon c = canon_of(n);
    lz_dtype t = n->dtype;
    size_t isz = lz_dtype_size(t);
    for (int64_t i = 0; i < count; i++) {
        lz_scalar v = {.kind = LZ_KIND_FLOAT};
        switch (op) {
        case LZ_RED_SUM:
        case LZ_RED_PROD:
        case LZ_RED_MIN:
        case LZ_RED_MAX:
            if (c == CANON_F) {
                v.v.f = op == LZ_RED_SUM ? a[i].v.f + a[i].c : a[i].v.f;
                if ((op == LZ_RED_MIN || op == LZ_RED_MAX) && !a[i].flag)
                    v.v.f = NAN; /* nanmin of nothing but NaN */
            } else {
                v.kind = LZ_KIND_INT;
                v.v.i = c == CANON_I ? (lz_int128)a[i].v.i : (lz_int128)a[i].v.u;
            }
            break;
        case LZ_RED_MEAN:
            v.v.f = (a[i].v.f + a[i].c) / (double)a[i].n; /* 0/0 is NaN, as numpy's */
            break;
        case LZ_RED_VAR:
        case LZ_RED_STD: {
            double dof = (double)a[i].n - (double)n->reduce->ddof;
            double var = a[i].n == 0 ? NAN : a[i].c / (dof > 0 ? dof : 0.0);
            v.v.f = op == LZ_RED_STD ? sqrt(var) : var;
            break;
        }
        case LZ_RED_ARGMIN:
        case LZ_RED_ARGMAX:
            if (a[i].n < 0)
                return lz_ctx_fail(ev->ctx, LZ_EVALUE, n->line, n->column, "All-NaN slice encountered");
            v.kind = LZ_KIND_INT;
            v.v.i = a[i].n;
            break;
        case LZ_RED_COUNT:
            v.kind = LZ_KIND_INT;
            v.v.i = a[i].n;
            break;
        case LZ_RED_ANY:
        case LZ_RED_ALL:
        case LZ_REDUCE_COUNT:
            v.kind = LZ_KIND_BOOL;
            v.v.b = a[i].flag != 0;
            break;
        }
        lz_scalar_store(&v, t, (char *)out + i * (int64_t)isz);
    }
    return LZ_OK;
}

/* ---- the scan ------------------------------------------------------------------------ */

/* Fold one evaluated slab (dense over the input's axes, extents `count`,
 * reduced axes starting at rstart) into the accumulators of every
 * reduction. `tile` holds LZ_TILE canonical values. */
static void
fold_slab(const lz_node *const *nodes, int nred, acc *const *accs, const lz_node *x, const lz_box *slab,
          const char *data, void *tile)
{
    const lz_reduction *red = nodes[0]->reduce;
    int rank = x->rank;
    /* Output strides of kept axes (dense over the output box), and flat
     * reduced-index strides over the whole reduced extents. */
    int64_t ostride[LZ_MAX_RANK], rstride[LZ_MAX_RANK];
    int64_t os = 1, rs = 1;
    for (int a = rank - 1; a >= 0; a--) {
        if (red->axis[a]) {
            rstride[a] = rs;
            rs *= x->shape[a];
            ostride[a] = 0;
        } else {
            ostride[a] = os;
            os *= slab->count[a];
            rstride[a] = 0;
        }
    }
    size_t isz = lz_dtype_size(x->dtype);
    int last = rank - 1;
    int64_t m = rank ? slab->count[last] : 1;
    bool inner_reduced = rank && red->axis[last];
    int64_t index[LZ_MAX_RANK] = {0};
    const char *p = data;
    for (;;) {
        int64_t o = 0, r = 0;
        for (int a = 0; a < last; a++) {
            o += index[a] * ostride[a];
            r += (slab->start[a] + index[a]) * rstride[a];
        }
        if (rank)
            r += inner_reduced ? slab->start[last] * rstride[last] : 0;
        /* The run, converted a tile at a time. */
        for (int64_t j0 = 0; j0 < m; j0 += LZ_TILE) {
            int64_t len = m - j0 < LZ_TILE ? m - j0 : LZ_TILE;
            canon done = (canon)-1;
            for (int q = 0; q < nred; q++) {
                canon c = canon_of(nodes[q]);
                if (c != done) {
                    lz_kernel_convert(canon_dtype(c), x->dtype)(tile, p + j0 * (int64_t)isz, (size_t)len);
                    done = c;
                }
                if (inner_reduced)
                    fold_run_scalar(nodes[q], c, &accs[q][o], tile, len, r + j0 * rstride[last], rstride[last]);
                else
                    fold_run_vector(nodes[q], c, &accs[q][o + j0 * (rank ? ostride[last] : 0)], tile, len, r);
            }
        }
        p += m * (int64_t)isz;
        int a = last - 1;
        while (a >= 0 && ++index[a] == slab->count[a])
            index[a--] = 0;
        if (a < 0)
            break;
    }
}

lz_status
lz_eval_reductions(lz_evaluator *ev, const lz_node *const *nodes, int nred, const lz_box *box, void *const *outs)
{
    lz_ctx *ctx = ev->ctx;
    const lz_node *first = nodes[0];
    const lz_node *x = first->in[0];
    const lz_reduction *red = first->reduce;
    int64_t nout;
    lz_box_nelem(box, &nout);
    /* The input box: kept axes from the output box, reduced axes whole. */
    lz_box ibox = {.rank = x->rank}, rbox = {.rank = 0};
    int raxis[LZ_MAX_RANK];
    for (int a = 0, k = 0; a < x->rank; a++) {
        if (red->axis[a]) {
            ibox.start[a] = 0;
            ibox.count[a] = x->shape[a];
            ibox.step[a] = 1;
            raxis[rbox.rank] = a;
            rbox.start[rbox.rank] = 0;
            rbox.count[rbox.rank] = x->shape[a];
            rbox.step[rbox.rank] = 1;
            rbox.rank++;
            if (red->keepdims)
                k++;
        } else {
            ibox.start[a] = box->start[k];
            ibox.count[a] = box->count[k];
            ibox.step[a] = box->step[k];
            k++;
        }
    }
    acc *accs[nred];
    int made = 0;
    lz_status st = LZ_OK;
    for (int q = 0; q < nred; q++) {
        if (!(accs[q] = lz_alloc(ctx, (size_t)nout * sizeof(acc)))) {
            st = LZ_ENOMEM;
            break;
        }
        made++;
        acc_init(nodes[q], accs[q], nout);
    }
    void *tile = st == LZ_OK ? lz_alloc(ctx, LZ_TILE * sizeof(double)) : NULL;
    if (st == LZ_OK && !tile)
        st = LZ_ENOMEM;
    /* Slabs: the reduced extent cut to fit what the budget has left. */
    size_t per = lz_dtype_size(x->dtype) + lz_node_cost(ev, x);
    size_t used = lz_ctx_bytes_in_use(ctx), budget = ctx->config.memory_bytes;
    int64_t avail = (int64_t)((budget > used ? budget - used : 0) / 2 / per);
    int64_t rmax = avail / (nout ? nout : 1);
    if (rmax < 1)
        rmax = 1;
    lz_box_pieces pieces;
    lz_box_pieces_init(&pieces, &rbox, rmax);
    lz_box rpiece;
    int64_t roff;
    char *data = NULL;
    size_t data_bytes = 0;
    while (st == LZ_OK && lz_box_pieces_next(&pieces, &rpiece, &roff)) {
        lz_box slab = ibox;
        int64_t r = 1;
        for (int q = 0; q < rbox.rank; q++) {
            slab.start[raxis[q]] = rpiece.start[q];
            slab.count[raxis[q]] = rpiece.count[q];
            r *= rpiece.count[q];
        }
        size_t bytes = (size_t)(nout * r) * lz_dtype_size(x->dtype);
        if (bytes > data_bytes) { /* the first slab is the largest */
            lz_free(ctx, data);
            if (!(data = lz_alloc(ctx, bytes))) {
                st = LZ_ENOMEM;
                break;
            }
            data_bytes = bytes;
        }
        if ((st = lz_eval_node(ev, x, &slab, data)) == LZ_OK)
            fold_slab(nodes, nred, accs, x, &slab, data, tile);
    }
    lz_free(ctx, data);
    lz_free(ctx, tile);
    for (int q = 0; st == LZ_OK && q < nred; q++)
        st = finish(ev, nodes[q], accs[q], nout, outs[q]);
    for (int q = 0; q < made; q++)
        lz_free(ctx, accs[q]);
    return st;
}
