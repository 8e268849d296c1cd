/* lz_reduce.c — reductions, streamed through accumulators.
 *
 * How it works: a reduction's output box maps to the input's kept axes; the
 * reduced axes are scanned in slabs (C-order pieces of the whole reduced
 * extent, as large as the budget left after the accumulators allows). Each
 * slab is evaluated on the calling thread, then folded into one
 * accumulator per output element, the outputs split among the pool's
 * threads. Runs along the innermost axis are converted a tile at a time to
 * a canonical value type (double, int64 or uint64) and folded by a loop
 * specialised for the operation: "vector" runs (innermost axis kept: one
 * value for each of m consecutive outputs) and "scalar" runs (innermost
 * axis reduced: m values for one output). Several reductions of the same
 * input over the same axes share the scan (mean and std in one pass).
 *
 * Every output folds its elements one at a time in C order of the reduced
 * axes, whatever the slab and piece sizes, so results do not depend on the
 * memory budget or on chunking. And because the reduced extent is scanned
 * whole and in order, an element's flat reduced index is the number of
 * elements its output has already folded (the nan* forms count instead).
 *
 * LZ_REDUCTION_RULES — accumulators:
 *   sum, mean   compensated sum in double: each addition's rounding error
 *               (Knuth's TwoSum, exact and branch-free) is summed apart and
 *               added at the end, unless the sum is inf or NaN (integers:
 *               exact int64 / uint64 sums that wrap as numpy's);
 *               mean = sum / count
 *   var, std    Welford: running mean and M2; var = M2 / max(n - ddof, 0)
 *   prod        product in double, int64 or uint64 (wrapping)
 *   min, max    NaN propagates (nan* forms skip it; all-NaN gives NaN)
 *   argmin/max  value and flat index over the reduced axes; the first of
 *               equal values wins, as does the first NaN (nan* forms skip
 *               NaN; all-NaN is an error, as numpy's ValueError)
 *   count       elements that are not NaN
 *   any, all    x != 0 (NaN is true)
 * Float results can differ from numpy's (pairwise in the input's type) in
 * the last bits; h5lazy's are the more accurate (documented tolerance in
 * docs/language.md).
 */
#include "lz_eval.h"
#include "lz_pool.h"
#include "lz_vm.h"

#include <math.h>
#include <string.h>

typedef enum canon { CANON_F, CANON_I, CANON_U } canon;

/* One reduction's accumulators, structure of arrays. */
typedef struct red_state {
    const lz_node *node;  /* the REDUCE node */
    lz_reduce_op op;      /* its operation */
    bool skipna;          /* a nan* form */
    canon c;              /* value type it works in */
    union {
        double *f;
        int64_t *i;
        uint64_t *u;
        void *any;
    } v;                  /* sum, product, running mean, extreme */
    double *comp;         /* summed rounding errors, or M2 (F only) */
    int64_t *n;           /* counts (nan* forms, count) or extreme's index */
    uint8_t *flag;        /* seen / any / all */
} red_state;

/* Which accumulator arrays an operation uses (the others stay NULL): the
 * state of a reduction over many outputs is often the largest buffer of a
 * read, and its size decides how deep the slabs can be. */
enum { ST_V = 1, ST_COMP = 2, ST_N = 4, ST_FLAG = 8 };

static unsigned
state_arrays(const lz_reduction *red)
{
    switch (red->op) {
    case LZ_RED_SUM:
        return ST_V | ST_COMP;
    case LZ_RED_MEAN:
    case LZ_RED_VAR:
    case LZ_RED_STD: /* the nan* forms count what they fold */
        return ST_V | ST_COMP | (red->skipna ? ST_N : 0);
    case LZ_RED_PROD:
        return ST_V;
    case LZ_RED_MIN:
    case LZ_RED_MAX:
        return ST_V | ST_FLAG;
    case LZ_RED_ARGMIN:
    case LZ_RED_ARGMAX:
        return ST_V | ST_N | ST_FLAG;
    case LZ_RED_COUNT:
        return ST_N;
    case LZ_RED_ANY:
    case LZ_RED_ALL:
    case LZ_REDUCE_COUNT:
        break;
    }
    return ST_FLAG;
}

size_t
lz_reduce_state_bytes(const lz_node *n)
{
    unsigned a = state_arrays(n->reduce);
    return (a & ST_V ? 8 : 0) + (a & ST_COMP ? 8 : 0) + (a & ST_N ? 8 : 0) + (a & ST_FLAG ? 1 : 0);
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

/* ---- state -------------------------------------------------------------------------- */

static lz_status
state_new(lz_ctx *ctx, const lz_node *node, int64_t nout, red_state *s)
{
    memset(s, 0, sizeof *s);
    s->node = node;
    s->op = node->reduce->op;
    s->skipna = node->reduce->skipna;
    s->c = canon_of(node);
    size_t n = (size_t)nout;
    unsigned arrays = state_arrays(node->reduce);
    if ((arrays & ST_V && !(s->v.any = lz_calloc(ctx, n, 8))) ||
        (arrays & ST_COMP && !(s->comp = lz_calloc(ctx, n, sizeof *s->comp))) ||
        (arrays & ST_N && !(s->n = lz_calloc(ctx, n, sizeof *s->n))) ||
        (arrays & ST_FLAG && !(s->flag = lz_calloc(ctx, n, 1))))
        return LZ_ENOMEM;
    for (size_t i = 0; i < n; i++) {
        switch (s->op) {
        case LZ_RED_PROD:
            if (s->c == CANON_F)
                s->v.f[i] = 1;
            else
                s->v.i[i] = 1;
            break;
        case LZ_RED_ALL:
            s->flag[i] = 1;
            break;
        case LZ_RED_ARGMIN:
        case LZ_RED_ARGMAX:
            s->n[i] = -1;
            break;
        default:
            break;
        }
    }
    return LZ_OK;
}

static void
state_free(lz_ctx *ctx, red_state *s)
{
    lz_free(ctx, s->v.any);
    lz_free(ctx, s->comp);
    lz_free(ctx, s->n);
    lz_free(ctx, s->flag);
}

/* ---- folding: floats ----------------------------------------------------------------------- */

/* s += x, with the rounding error of the addition added to *c (TwoSum:
 * exact for any s and x, six operations and no branch, so loops over it
 * vectorize). */
static inline void
add_compensated(double *s, double *c, double x)
{
    double t = *s + x;
    double x_part = t - *s, s_part = t - x_part;
    *c += (*s - s_part) + (x - x_part);
    *s = t;
}

/* The compensated total; when the sum overflowed or met inf or NaN the
 * errors are meaningless (inf - inf) and the plain sum is the answer. */
static inline double
compensated_total(double s, double c)
{
    return isfinite(s) ? s + c : s;
}

/* Whether x replaces the extreme so far (NaN sticks; first of equals kept
 * by the caller's index rule). */
static inline bool
better_f(lz_reduce_op op, double x, double cur)
{
    return op == LZ_RED_MIN || op == LZ_RED_ARGMIN ? x < cur : x > cur;
}

/* Fold x (reduced index r) into output o. The general case, for scalar runs
 * and rarer operations. */
static inline void
fold_one_f(red_state *s, int64_t o, double x, int64_t r)
{
    bool nan = isnan(x);
    if (s->skipna && nan && s->op != LZ_RED_COUNT)
        return;
    switch (s->op) {
    case LZ_RED_SUM:
        add_compensated(&s->v.f[o], &s->comp[o], x);
        break;
    case LZ_RED_MEAN:
        add_compensated(&s->v.f[o], &s->comp[o], x);
        if (s->skipna)
            s->n[o]++; /* otherwise every output folds all elements */
        break;
    case LZ_RED_VAR:
    case LZ_RED_STD: {
        int64_t k = s->skipna ? ++s->n[o] : r + 1; /* elements folded, this one included */
        double delta = x - s->v.f[o];
        s->v.f[o] += delta / (double)k;
        s->comp[o] += delta * (x - s->v.f[o]);
        break;
    }
    case LZ_RED_PROD:
        s->v.f[o] *= x;
        break;
    case LZ_RED_MIN:
    case LZ_RED_MAX:
        if (!s->flag[o] || nan || (!isnan(s->v.f[o]) && better_f(s->op, x, s->v.f[o])))
            if (!(s->flag[o] && isnan(s->v.f[o])))
                s->v.f[o] = x;
        s->flag[o] = 1;
        break;
    case LZ_RED_ARGMIN:
    case LZ_RED_ARGMAX: {
        double cur = s->v.f[o];
        bool take = !s->flag[o] || (isnan(cur) ? nan && r < s->n[o]
                                               : nan || (x == cur ? r < s->n[o] : better_f(s->op, x, cur)));
        if (take) {
            s->v.f[o] = x;
            s->n[o] = r;
        }
        s->flag[o] = 1;
        break;
    }
    case LZ_RED_COUNT:
        s->n[o] += !nan;
        break;
    case LZ_RED_ANY:
        s->flag[o] |= x != 0;
        break;
    case LZ_RED_ALL:
        s->flag[o] &= x != 0;
        break;
    case LZ_REDUCE_COUNT:
        break;
    }
}

/* x[0..m) for outputs o0..o0+m, all at reduced index r: the hot loops of
 * reductions over outer axes (mean(x, axis=0) and the like). */
static void
fold_vector_f(red_state *s, int64_t o0, const double *x, int64_t m, int64_t r)
{
    /* v.f and comp are offset only where the operation has them: count,
     * any, all have neither, prod no comp (state_arrays), and NULL + o0 is
     * undefined. */
    if (!s->skipna) {
        switch (s->op) {
        case LZ_RED_SUM:
        case LZ_RED_MEAN: {
            double *v = s->v.f + o0, *c = s->comp + o0;
            for (int64_t j = 0; j < m; j++)
                add_compensated(&v[j], &c[j], x[j]);
            return;
        }
        case LZ_RED_VAR:
        case LZ_RED_STD: {
            double *v = s->v.f + o0, *c = s->comp + o0;
            double inv = 1.0 / (double)(r + 1); /* every output gains its (r+1)-th element */
            for (int64_t j = 0; j < m; j++) {
                double delta = x[j] - v[j];
                v[j] += delta * inv;
                c[j] += delta * (x[j] - v[j]);
            }
            return;
        }
        case LZ_RED_PROD: {
            double *v = s->v.f + o0;
            for (int64_t j = 0; j < m; j++)
                v[j] *= x[j];
            return;
        }
        default:
            break;
        }
    }
    for (int64_t j = 0; j < m; j++)
        fold_one_f(s, o0 + j, x[j], r);
}

/* ---- folding: integers ---------------------------------------------------------------------- */

#define FOLD_INT(name, T, field)                                                                   \
    static inline void name(red_state *s, int64_t o, T x, int64_t r)                               \
    {                                                                                              \
        T *v = s->v.field;                                                                         \
        switch (s->op) {                                                                           \
        case LZ_RED_SUM:                                                                           \
            v[o] = (T)((uint64_t)v[o] + (uint64_t)x);                                              \
            break;                                                                                 \
        case LZ_RED_PROD:                                                                          \
            v[o] = (T)((uint64_t)v[o] * (uint64_t)x);                                              \
            break;                                                                                 \
        case LZ_RED_MIN:                                                                           \
        case LZ_RED_MAX:                                                                           \
            if (!s->flag[o] || (s->op == LZ_RED_MIN ? x < v[o] : x > v[o]))                        \
                v[o] = x;                                                                          \
            s->flag[o] = 1;                                                                        \
            break;                                                                                 \
        case LZ_RED_ARGMIN:                                                                        \
        case LZ_RED_ARGMAX:                                                                        \
            if (!s->flag[o] || (s->op == LZ_RED_ARGMIN ? x < v[o] : x > v[o]) ||                    \
                (x == v[o] && r < s->n[o])) {                                                      \
                v[o] = x;                                                                          \
                s->n[o] = r;                                                                       \
            }                                                                                      \
            s->flag[o] = 1;                                                                        \
            break;                                                                                 \
        case LZ_RED_COUNT:                                                                         \
            s->n[o]++;                                                                             \
            break;                                                                                 \
        case LZ_RED_ANY:                                                                           \
            s->flag[o] |= x != 0;                                                                  \
            break;                                                                                 \
        case LZ_RED_ALL:                                                                           \
            s->flag[o] &= x != 0;                                                                  \
            break;                                                                                 \
        default: /* mean, var, std work in double */                                               \
            break;                                                                                 \
        }                                                                                          \
    }
FOLD_INT(fold_one_i, int64_t, i)
FOLD_INT(fold_one_u, uint64_t, u)

static void
fold_vector_int(red_state *s, int64_t o0, const void *x, int64_t m, int64_t r)
{
    if (s->op == LZ_RED_SUM) { /* the common case, without the switch */
        if (s->c == CANON_I) {
            int64_t *v = s->v.i + o0;
            const int64_t *xi = x;
            for (int64_t j = 0; j < m; j++)
                v[j] = (int64_t)((uint64_t)v[j] + (uint64_t)xi[j]);
        } else {
            uint64_t *v = s->v.u + o0;
            const uint64_t *xu = x;
            for (int64_t j = 0; j < m; j++)
                v[j] += xu[j];
        }
        return;
    }
    for (int64_t j = 0; j < m; j++) {
        if (s->c == CANON_I)
            fold_one_i(s, o0 + j, ((const int64_t *)x)[j], r);
        else
            fold_one_u(s, o0 + j, ((const uint64_t *)x)[j], r);
    }
}

/* m values of output o at reduced indices r0, r0 + rstep, ... */
static void
fold_scalar(red_state *s, int64_t o, const void *x, int64_t m, int64_t r0, int64_t rstep)
{
    for (int64_t j = 0; j < m; j++) {
        int64_t r = r0 + j * rstep;
        if (s->c == CANON_F)
            fold_one_f(s, o, ((const double *)x)[j], r);
        else if (s->c == CANON_I)
            fold_one_i(s, o, ((const int64_t *)x)[j], r);
        else
            fold_one_u(s, o, ((const uint64_t *)x)[j], r);
    }
}

/* ---- finishing ---------------------------------------------------------------------------- */

static lz_status
finish(lz_evaluator *ev, const red_state *s, int64_t nout, int64_t total, void *out)
{
    const lz_node *n = s->node;
    lz_dtype t = n->dtype;
    size_t isz = lz_dtype_size(t);
    for (int64_t i = 0; i < nout; i++) {
        lz_scalar v = {.kind = LZ_KIND_FLOAT};
        switch (s->op) {
        case LZ_RED_SUM:
        case LZ_RED_PROD:
        case LZ_RED_MIN:
        case LZ_RED_MAX:
            if (s->c == CANON_F) {
                v.v.f = s->op == LZ_RED_SUM ? compensated_total(s->v.f[i], s->comp[i]) : s->v.f[i];
                if ((s->op == LZ_RED_MIN || s->op == LZ_RED_MAX) && !s->flag[i])
                    v.v.f = NAN; /* nanmin of nothing but NaN */
            } else {
                v.kind = LZ_KIND_INT;
                v.v.i = s->c == CANON_I ? (lz_int128)s->v.i[i] : (lz_int128)s->v.u[i];
            }
            break;
        case LZ_RED_MEAN: {
            int64_t count = s->skipna ? s->n[i] : total; /* elements folded */
            v.v.f = compensated_total(s->v.f[i], s->comp[i]) / (double)count; /* 0/0 is NaN, as numpy's */
            break;
        }
        case LZ_RED_VAR:
        case LZ_RED_STD: {
            int64_t count = s->skipna ? s->n[i] : total;
            double dof = (double)count - (double)n->reduce->ddof;
            /* numpy: var divides by max(dof, 0) (so inf or NaN), nanvar
             * gives NaN wherever dof <= 0. */
            double var = count == 0 || (s->skipna && dof <= 0) ? NAN : s->comp[i] / (dof > 0 ? dof : 0.0);
            v.v.f = s->op == LZ_RED_STD ? sqrt(var) : var;
            break;
        }
        case LZ_RED_ARGMIN:
        case LZ_RED_ARGMAX:
            if (s->n[i] < 0)
                return lz_ctx_fail(ev->ctx, LZ_EVALUE, n->line, n->column, "All-NaN slice encountered");
            v.kind = LZ_KIND_INT;
            v.v.i = s->n[i];
            break;
        case LZ_RED_COUNT:
            v.kind = LZ_KIND_INT;
            v.v.i = s->c == CANON_F ? s->n[i] : total; /* only floats have NaN */
            break;
        case LZ_RED_ANY:
        case LZ_RED_ALL:
        case LZ_REDUCE_COUNT:
            v.kind = LZ_KIND_BOOL;
            v.v.b = s->flag[i] != 0;
            break;
        }
        lz_scalar_store(&v, t, (char *)out + i * (int64_t)isz);
    }
    return LZ_OK;
}

/* ---- the scan ------------------------------------------------------------------------------ */

/* One slab to fold, and how its elements map to outputs. */
typedef struct slab_job {
    red_state *states;   /* one per reduction */
    int nred;
    const lz_node *x;    /* the input */
    const lz_box *slab;  /* the slab's box over the input */
    const char *data;    /* its elements, dense */
    int64_t ostride[LZ_MAX_RANK]; /* output stride of each kept axis (0 reduced) */
    int64_t rstride[LZ_MAX_RANK]; /* reduced-index stride of each reduced axis (0 kept) */
    int64_t nout;        /* outputs */
    int nparts;          /* output ranges the work is split into */
    double *tiles;       /* LZ_TILE canonical values per part */
} slab_job;

/* Fold columns [c0, c1) of every run of the slab (a run: the elements
 * along the innermost axis) into the outputs of part `part`. */
static void
fold_columns(slab_job *job, int part, int64_t c0, int64_t c1)
{
    const lz_node *x = job->x;
    const lz_box *slab = job->slab;
    int64_t lo = job->nout * part / job->nparts, hi = job->nout * (part + 1) / job->nparts;
    double *tile = job->tiles + (size_t)part * LZ_TILE;
    int rank = x->rank, last = rank - 1;
    size_t isz = lz_dtype_size(x->dtype);
    int64_t m = rank ? slab->count[last] : 1;
    bool inner_reduced = rank && job->rstride[last] != 0;
    int64_t index[LZ_MAX_RANK] = {0};
    const char *p = job->data;
    for (;;) {
        int64_t o = 0, r = 0;
        for (int a = 0; a < last; a++) {
            o += index[a] * job->ostride[a];
            r += (slab->start[a] + index[a]) * job->rstride[a];
        }
        /* This run's outputs: [o, o + m) for a kept inner axis, o alone
         * for a reduced one; clip to the part and the columns. */
        int64_t first = c0, end = c1;
        if (inner_reduced) {
            if (o < lo || o >= hi)
                first = end = 0;
            r += slab->start[last] * job->rstride[last];
        } else if (rank) {
            first = lo - o > first ? lo - o : first;
            end = hi - o < end ? hi - o : end;
        } else if (o < lo || o >= hi) {
            first = end = 0;
        }
        for (int64_t j0 = first; j0 < end; j0 += LZ_TILE) {
            int64_t len = end - j0 < LZ_TILE ? end - j0 : LZ_TILE;
            canon done = (canon)-1;
            for (int q = 0; q < job->nred; q++) {
                red_state *s = &job->states[q];
                if (s->c != done) {
                    lz_kernel_convert(canon_dtype(s->c), x->dtype)(tile, p + j0 * (int64_t)isz, (size_t)len);
                    done = s->c;
                }
                if (inner_reduced)
                    fold_scalar(s, o, tile, len, r + j0 * job->rstride[last], job->rstride[last]);
                else if (s->c == CANON_F)
                    fold_vector_f(s, o + j0, tile, len, r);
                else
                    fold_vector_int(s, o + j0, tile, len, r);
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

/* Fold the slab into the outputs of part `part` (a contiguous range). With
 * the innermost axis kept, the runs are walked once per block of LZ_TILE
 * columns, so that the accumulators of a block stay in cache while every
 * run of the slab folds into them (walking whole runs instead streamed all
 * accumulators through memory once per run: 16 bytes read and written per
 * element of mean(x, axis=0), the bulk of its time). Each output still
 * folds its elements in order. */
static void
fold_part(void *arg, int part)
{
    slab_job *job = arg;
    int rank = job->x->rank;
    int64_t m = rank ? job->slab->count[rank - 1] : 1;
    int64_t block = rank && job->rstride[rank - 1] == 0 ? LZ_TILE : m;
    for (int64_t c0 = 0; c0 < m; c0 += block)
        fold_columns(job, part, c0, m - c0 < block ? m : c0 + block);
}

void
lz_reduce_input_box(const lz_node *n, const lz_box *box, lz_box *ibox)
{
    const lz_node *x = n->in[0];
    ibox->rank = x->rank;
    for (int a = x->rank - 1, k = box->rank - 1; a >= 0; a--) {
        if (n->reduce->axis[a]) {
            ibox->start[a] = 0;
            ibox->count[a] = x->shape[a];
            ibox->step[a] = 1;
            k -= n->reduce->keepdims;
        } else {
            ibox->start[a] = box->start[k];
            ibox->count[a] = box->count[k];
            ibox->step[a] = box->step[k];
            k--;
        }
    }
}

lz_status
lz_eval_reductions(lz_evaluator *ev, const lz_node *const *nodes, int nred, const lz_box *box, void *const *outs)
{
    lz_ctx *ctx = ev->ctx;
    const lz_node *x = nodes[0]->in[0];
    const lz_reduction *red = nodes[0]->reduce;
    int64_t nout;
    lz_box_nelem(box, &nout);
    lz_box ibox, rbox = {.rank = 0};
    lz_reduce_input_box(nodes[0], box, &ibox);
    int raxis[LZ_MAX_RANK];
    slab_job job = {.nred = nred, .x = x, .nout = nout};
    /* Where each input axis goes: an output stride for kept axes, a stride
     * of the flat reduced index for reduced ones. */
    int64_t os = 1, rs = 1;
    for (int a = x->rank - 1; a >= 0; a--) {
        job.ostride[a] = red->axis[a] ? 0 : os;
        job.rstride[a] = red->axis[a] ? rs : 0;
        if (red->axis[a]) /* wraps only when another reduced axis is empty (binding refuses
                             * more than 2^63 elements), and that axis makes it 0 */
            __builtin_mul_overflow(rs, x->shape[a], &rs);
        else
            os *= ibox.count[a];
    }
    for (int a = 0; a < x->rank; a++) {
        if (!red->axis[a])
            continue;
        raxis[rbox.rank] = a;
        rbox.start[rbox.rank] = 0;
        rbox.count[rbox.rank] = x->shape[a];
        rbox.step[rbox.rank] = 1;
        rbox.rank++;
    }
    int64_t total = rs; /* reduced elements per output */
    red_state states[nred];
    lz_status st = LZ_OK;
    int made = 0;
    for (int q = 0; q < nred && st == LZ_OK; q++, made++)
        st = state_new(ctx, nodes[q], nout, &states[q]);
    job.states = states;
    lz_pool *pool = lz_ctx_pool(ctx);
    job.nparts = nout < 4096 ? 1 : lz_pool_size(pool); /* small reductions are not worth the threads */
    if (st == LZ_OK && !(job.tiles = lz_alloc(ctx, (size_t)job.nparts * LZ_TILE * sizeof(double))))
        st = LZ_ENOMEM;
    /* Slabs: the reduced extent cut to fit what the budget has left. */
    size_t per = lz_dtype_size(x->dtype) + lz_node_cost(ev, x);
    size_t used = lz_ctx_budget_used(ctx), budget = ctx->config.memory_bytes;
    int64_t avail = (int64_t)((budget > used ? budget - used : 0) / 2 / per);
    int64_t rmax = avail / (nout ? nout : 1);
    lz_box_pieces pieces;
    lz_box_pieces_init(&pieces, &rbox, rmax < 1 ? 1 : rmax);
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
        if ((st = lz_eval_node(ev, x, &slab, data)) == LZ_OK) {
            job.slab = &slab;
            job.data = data;
            lz_pool_run(pool, job.nparts, fold_part, &job);
        }
    }
    lz_free(ctx, data);
    lz_free(ctx, job.tiles);
    for (int q = 0; st == LZ_OK && q < nred; q++)
        st = finish(ev, &states[q], nout, total, outs[q]);
    for (int q = 0; q < made; q++)
        state_free(ctx, &states[q]);
    return st;
}
