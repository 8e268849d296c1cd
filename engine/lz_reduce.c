/* lz_reduce.c — reductions, streamed through accumulators.
 *
 * How it works: a reduction's output box maps to the input's kept axes; the
 * reduced axes are scanned in slabs (C-order pieces of the whole reduced
 * extent, as large as the budget left after the accumulators allows, at
 * most LZ_SLAB_BYTES), for all outputs of the box at once or for pieces of
 * outputs: on the chunk grid when the input's chunks cut kept axes only,
 * of LZ_STATE_BYTES of accumulators when they are larger (plan_scan).
 * Each slab is evaluated on the calling thread, then folded into one
 * accumulator per output element, the outputs split among the pool's
 * threads; with threads, the fold of one slab overlaps the read of the
 * next. Runs along the innermost axis (neighbouring axes merged,
 * slab_geometry) are folded by a loop specialised for the operation:
 * "vector" runs (innermost axis kept: one value for each of m consecutive
 * outputs), straight from the slab's floats and narrow integers, and
 * "scalar" runs (innermost axis reduced: m values for one output),
 * converted a tile at a time to a canonical value type (double, int64 or
 * uint64) first. Several reductions of the same input over the same axes
 * share the scan (mean and std in one pass).
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
 *               mean = sum / count. A plain double sum where that is as
 *               good (plain_sum): integers of up to 32 bits while
 *               n * 2^bits <= 2^53 (every partial sum is an integer below
 *               2^53: exact, the same result), and float32 while
 *               n <= 2^24 (the n - 1 additions err by at most
 *               (n-1) 2^-53 sum|x| <= 2^-29 sum|x|, 1/32 of the float32
 *               result's rounding unless the values cancel; numpy's float32
 *               pairwise sum errs up to about log2(n) 2^-24 sum|x|)
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
    bool plain;           /* a float sum without compensation (plain_sum) */
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

static bool plain_sum(const lz_node *n);

static unsigned
state_arrays(const lz_node *n)
{
    const lz_reduction *red = n->reduce;
    switch (red->op) {
    case LZ_RED_SUM:
        return ST_V | (plain_sum(n) ? 0 : ST_COMP);
    case LZ_RED_MEAN: /* the nan* forms count what they fold */
        return ST_V | (plain_sum(n) ? 0 : ST_COMP) | (red->skipna ? ST_N : 0);
    case LZ_RED_VAR:
    case LZ_RED_STD:
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
    unsigned a = state_arrays(n);
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

/* Elements each output of reduction n folds. Binding refuses more than
 * 2^63, so the product wraps only when another reduced axis is empty, and
 * that axis makes it 0. */
static int64_t
reduced_count(const lz_node *n)
{
    int64_t count = 1;
    for (int a = 0; a < n->in[0]->rank; a++)
        if (n->reduce->axis[a])
            __builtin_mul_overflow(count, n->in[0]->shape[a], &count);
    return count;
}

/* Whether a sum or mean in double may add plainly (LZ_REDUCTION_RULES):
 * then the fold is a convert and an add, which the compiler vectorizes,
 * instead of TwoSum's six operations and a second accumulator. */
static bool
plain_sum(const lz_node *n)
{
    if ((n->reduce->op != LZ_RED_SUM && n->reduce->op != LZ_RED_MEAN) || canon_of(n) != CANON_F)
        return false;
    int64_t count = reduced_count(n);
    int bits; /* every value's magnitude is at most 2^bits */
    switch (n->in[0]->dtype) {
    case LZ_FLOAT32:
        return count <= (int64_t)1 << 24;
    case LZ_BOOL:
    case LZ_INT8:
    case LZ_UINT8:
        bits = 8;
        break;
    case LZ_INT16:
    case LZ_UINT16:
        bits = 16;
        break;
    case LZ_INT32:
    case LZ_UINT32:
        bits = 32;
        break;
    default: /* float64 and 64-bit integers need the compensation */
        return false;
    }
    return count <= ((int64_t)1 << 53) >> bits;
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
    s->plain = plain_sum(node);
    size_t n = (size_t)nout;
    unsigned arrays = state_arrays(node);
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
    case LZ_RED_MEAN:
        if (s->plain)
            s->v.f[o] += x;
        else
            add_compensated(&s->v.f[o], &s->comp[o], x);
        if (s->op == LZ_RED_MEAN && s->skipna)
            s->n[o]++; /* otherwise every output folds all elements */
        break;
    case LZ_RED_VAR:
    case LZ_RED_STD: {
        int64_t k = s->skipna ? ++s->n[o] : r + 1; /* elements folded, this one included */
        double delta = x - s->v.f[o];
        /* Times the reciprocal, as the vector loops: a slab of one reduced
         * element folds as a vector run, and the bits must not change. */
        s->v.f[o] += delta * (1.0 / (double)k);
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

/* x[0..m) of element type T for outputs o0..o0+m, all at reduced index r:
 * the hot loops of reductions over outer axes (mean(x, axis=0) and the
 * like), converting as they go (the same conversion as
 * lz_kernel_convert's: a plain cast) rather than through a tile. v.f and
 * comp are offset only where the operation has them: count, any, all have
 * neither, prod and plain sums no comp (state_arrays), and NULL + o0 is
 * undefined. */
#define FOLD_VECTOR_AS(name, T, TARGET)                                                            \
    TARGET static void name(red_state *s, int64_t o0, const T *restrict x, int64_t m, int64_t r)   \
    {                                                                                              \
        if (!s->skipna) {                                                                          \
            switch (s->op) {                                                                       \
            case LZ_RED_SUM:                                                                       \
            case LZ_RED_MEAN: {                                                                    \
                double *restrict v = s->v.f + o0;                                                  \
                if (s->plain) {                                                                    \
                    for (int64_t j = 0; j < m; j++)                                                \
                        v[j] += (double)x[j];                                                      \
                    return;                                                                        \
                }                                                                                  \
                double *restrict c = s->comp + o0;                                                 \
                for (int64_t j = 0; j < m; j++)                                                    \
                    add_compensated(&v[j], &c[j], (double)x[j]);                                   \
                return;                                                                            \
            }                                                                                      \
            case LZ_RED_VAR:                                                                       \
            case LZ_RED_STD: {                                                                     \
                double *restrict v = s->v.f + o0, *restrict c = s->comp + o0;                      \
                double inv = 1.0 / (double)(r + 1); /* every output gains its (r+1)-th element */  \
                for (int64_t j = 0; j < m; j++) {                                                  \
                    double xj = (double)x[j], delta = xj - v[j];                                   \
                    v[j] += delta * inv;                                                           \
                    c[j] += delta * (xj - v[j]);                                                   \
                }                                                                                  \
                return;                                                                            \
            }                                                                                      \
            case LZ_RED_PROD: {                                                                    \
                double *restrict v = s->v.f + o0;                                                  \
                for (int64_t j = 0; j < m; j++)                                                    \
                    v[j] *= (double)x[j];                                                          \
                return;                                                                            \
            }                                                                                      \
            default:                                                                               \
                break;                                                                             \
            }                                                                                      \
        }                                                                                          \
        for (int64_t j = 0; j < m; j++)                                                            \
            fold_one_f(s, o0 + j, (double)x[j], r);                                                \
    }
/* On x86-64 each loop is built twice, for AVX2 and for the baseline, and
 * the CPU picks at run time: four doubles per instruction instead of two
 * (callgrind of mean and std of float32: 40% fewer instructions). The same
 * IEEE operations in the same order (no FMA: contraction is off in ISO C),
 * so the same bits. A branch rather than target_clones: an ifunc resolver
 * runs before ThreadSanitizer's runtime is up, and crashes. */
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define FOLD_VECTOR(name, T)                                                                       \
    FOLD_VECTOR_AS(name##_base, T, )                                                               \
    FOLD_VECTOR_AS(name##_avx2, T, __attribute__((target("avx2"))))                               \
    static void name(red_state *s, int64_t o0, const T *x, int64_t m, int64_t r)                   \
    {                                                                                              \
        if (__builtin_cpu_supports("avx2"))                                                        \
            name##_avx2(s, o0, x, m, r);                                                           \
        else                                                                                       \
            name##_base(s, o0, x, m, r);                                                           \
    }
#else
#define FOLD_VECTOR(name, T) FOLD_VECTOR_AS(name, T, )
#endif
FOLD_VECTOR(fold_vector_f64, double)
FOLD_VECTOR(fold_vector_f32, float)
FOLD_VECTOR(fold_vector_i8, int8_t)
FOLD_VECTOR(fold_vector_u8, uint8_t)
FOLD_VECTOR(fold_vector_i16, int16_t)
FOLD_VECTOR(fold_vector_u16, uint16_t)
FOLD_VECTOR(fold_vector_i32, int32_t)
FOLD_VECTOR(fold_vector_u32, uint32_t)

/* A vector run straight from the slab's elements of type t, when a loop
 * for t exists; false: convert to a tile of doubles first. */
static bool
fold_vector_typed(red_state *s, int64_t o0, const void *x, lz_dtype t, int64_t m, int64_t r)
{
    switch (t) {
    case LZ_FLOAT64:
        fold_vector_f64(s, o0, x, m, r);
        return true;
    case LZ_FLOAT32:
        fold_vector_f32(s, o0, x, m, r);
        return true;
    case LZ_INT8:
        fold_vector_i8(s, o0, x, m, r);
        return true;
    case LZ_UINT8:
        fold_vector_u8(s, o0, x, m, r);
        return true;
    case LZ_INT16:
        fold_vector_i16(s, o0, x, m, r);
        return true;
    case LZ_UINT16:
        fold_vector_u16(s, o0, x, m, r);
        return true;
    case LZ_INT32:
        fold_vector_i32(s, o0, x, m, r);
        return true;
    case LZ_UINT32:
        fold_vector_u32(s, o0, x, m, r);
        return true;
    default: /* bool, 64-bit integers */
        return false;
    }
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
                v.v.f = s->op == LZ_RED_SUM && !s->plain ? compensated_total(s->v.f[i], s->comp[i]) : s->v.f[i];
                if ((s->op == LZ_RED_MIN || s->op == LZ_RED_MAX) && !s->flag[i])
                    v.v.f = NAN; /* nanmin of nothing but NaN */
            } else {
                v.kind = LZ_KIND_INT;
                v.v.i = s->c == CANON_I ? (lz_int128)s->v.i[i] : (lz_int128)s->v.u[i];
            }
            break;
        case LZ_RED_MEAN: {
            int64_t count = s->skipna ? s->n[i] : total; /* elements folded */
            double sum = s->plain ? s->v.f[i] : compensated_total(s->v.f[i], s->comp[i]);
            v.v.f = sum / (double)count; /* 0/0 is NaN, as numpy's */
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
    const char *data;    /* the slab's elements, dense */
    int64_t ostride[LZ_MAX_RANK]; /* output stride of each kept input axis (0 reduced) */
    int64_t rstride[LZ_MAX_RANK]; /* reduced-index stride of each reduced input axis (0 kept) */
    /* The slab as folded (slab_geometry): its axes of more than one
     * element, neighbours merged where one stride walks both, at least one. */
    int rank;
    int64_t count[LZ_MAX_RANK], gostride[LZ_MAX_RANK], grstride[LZ_MAX_RANK];
    int64_t r0;          /* reduced index of the slab's first element */
    int64_t nout;        /* outputs */
    int nparts;          /* output ranges the work is split into */
    double *tiles;       /* LZ_TILE canonical values per part */
} slab_job;

/* The slab's axes as the fold walks them. Axes of one element go (their
 * start only moves r0), and an axis merges into the one before it when
 * both strides continue it: kept axes after kept axes, and a reduced axis
 * the slab has whole after a reduced axis. mean(x, axis=0) of (t, y, x)
 * then folds runs of y * x elements, cut into blocks of LZ_TILE columns
 * that stay in cache across the slab's t (fold_part), rather than runs of
 * x that stream every accumulator through memory once per t. */
static void
slab_geometry(slab_job *job, const lz_box *slab)
{
    job->rank = 0;
    job->r0 = 0;
    for (int a = 0; a < job->x->rank; a++) {
        job->r0 += slab->start[a] * job->rstride[a];
        int64_t c = slab->count[a];
        if (c == 1)
            continue;
        int k = job->rank - 1;
        if (k >= 0 && job->gostride[k] == c * job->ostride[a] && job->grstride[k] == c * job->rstride[a]) {
            job->count[k] *= c;
            job->gostride[k] = job->ostride[a];
            job->grstride[k] = job->rstride[a];
            continue;
        }
        job->count[++k] = c;
        job->gostride[k] = job->ostride[a];
        job->grstride[k] = job->rstride[a];
        job->rank = k + 1;
    }
    if (job->rank == 0) { /* one element: a run of one kept output */
        job->count[0] = job->gostride[0] = 1;
        job->grstride[0] = 0;
        job->rank = 1;
    }
}

/* Fold columns [c0, c1) of every run of the slab (a run: the elements
 * along the innermost folded axis) into the outputs of part `part`. */
static void
fold_columns(slab_job *job, int part, int64_t c0, int64_t c1)
{
    const lz_node *x = job->x;
    int64_t lo = job->nout * part / job->nparts, hi = job->nout * (part + 1) / job->nparts;
    double *tile = job->tiles + (size_t)part * LZ_TILE;
    int last = job->rank - 1;
    size_t isz = lz_dtype_size(x->dtype);
    int64_t m = job->count[last];
    bool inner_reduced = job->grstride[last] != 0;
    int64_t index[LZ_MAX_RANK] = {0};
    const char *p = job->data;
    for (;;) {
        int64_t o = 0, r = job->r0;
        for (int a = 0; a < last; a++) {
            o += index[a] * job->gostride[a];
            r += index[a] * job->grstride[a];
        }
        /* This run's outputs: [o, o + m) for a kept inner axis, o alone
         * for a reduced one; clip to the part and the columns. */
        int64_t first = c0, end = c1;
        if (inner_reduced) {
            if (o < lo || o >= hi)
                first = end = 0;
        } else {
            first = lo - o > first ? lo - o : first;
            end = hi - o < end ? hi - o : end;
        }
        for (int64_t j0 = first; j0 < end; j0 += LZ_TILE) {
            int64_t len = end - j0 < LZ_TILE ? end - j0 : LZ_TILE;
            const char *run = p + j0 * (int64_t)isz;
            canon done = (canon)-1;
            for (int q = 0; q < job->nred; q++) {
                red_state *s = &job->states[q];
                if (!inner_reduced && s->c == CANON_F && fold_vector_typed(s, o + j0, run, x->dtype, len, r))
                    continue;
                if (s->c != done) {
                    lz_kernel_convert(canon_dtype(s->c), x->dtype)(tile, run, (size_t)len);
                    done = s->c;
                }
                if (inner_reduced)
                    fold_scalar(s, o, tile, len, r + j0 * job->grstride[last], job->grstride[last]);
                else if (s->c == CANON_F)
                    fold_vector_f64(s, o + j0, tile, len, r);
                else
                    fold_vector_int(s, o + j0, tile, len, r);
            }
        }
        p += m * (int64_t)isz;
        int a = last - 1;
        while (a >= 0 && ++index[a] == job->count[a])
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
    int64_t m = job->count[job->rank - 1];
    int64_t block = job->grstride[job->rank - 1] == 0 ? LZ_TILE : m;
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

/* How the scan goes: pieces of outputs, each with the reduced extent cut
 * into slabs that fit the budget. */
typedef struct scan_plan {
    int64_t most;        /* outputs per piece */
    size_t slab_cap;     /* a slab buffer's most bytes */
    int64_t grid[LZ_MAX_RANK]; /* the outputs' chunk grid, to cut pieces on */
    size_t state;        /* accumulator bytes per output, all reductions */
    size_t per;          /* bytes per input element of a slab */
    size_t left;         /* budget left before the scan */
    int nbuf;            /* slab buffers: 2 when reads overlap folds */
} scan_plan;

/* A slab buffer's most bytes, whatever the budget: a slab is written by
 * the read and read back by the fold at once, and one that stays in the
 * last-level cache (with the accumulators' tiles) is read back from it.
 * bench/ (W1, W2 on threads=1, 64 MiB budget): slabs of 4 MiB took 0.285
 * and 0.48 s, slabs of all the budget allows (~20 MiB) 0.31 and 0.59 s;
 * 2 MiB made the reads of sum(C, axis=1) slower. */
#define LZ_SLAB_BYTES ((size_t)4 << 20)

/* Chunks each decoding thread takes in a slab over filtered sources: at
 * the end of a slab one thread may idle while the last chunk decodes, and
 * the fold waits for it. W2z (mean and std, 2 threads, 64 MiB, medians of
 * 4): 1 round 0.57 s, 2 rounds 0.56 s (CPU 1.02 -> 1.00 s), 3 or 4 the
 * same; W1z 0.50 s either way. */
#define LZ_DECODE_ROUNDS 2

/* Input elements per slab buffer for a piece of nout outputs: half of
 * what the budget has left after the accumulators, at most LZ_SLAB_BYTES. */
static int64_t
slab_elements(const scan_plan *p, int64_t nout)
{
    size_t state = (size_t)nout * p->state;
    size_t free = p->left > state ? p->left - state : 0;
    size_t bytes = free / 2 / (size_t)p->nbuf;
    /* Slabs over filtered sources may take all of what is left, to span a
     * chunk per decoding thread (slab_cap); the per-element cost already
     * counts their temporaries. */
    if (p->slab_cap > LZ_SLAB_BYTES && bytes < p->slab_cap)
        bytes = free / (size_t)p->nbuf < p->slab_cap ? free / (size_t)p->nbuf : p->slab_cap;
    return (int64_t)((bytes < p->slab_cap ? bytes : p->slab_cap) / p->per);
}

/* Accumulators of a piece beyond this are cut into pieces of outputs, so
 * that a piece's accumulators stay in cache while its slabs go deep
 * through the reduced axes, instead of streaming through memory once per
 * slab. bench/ (medians of 5): mean(C, axis=0) 0.31 -> 0.26 s, mean and
 * std together 0.51 -> 0.45 s on one thread, 0.35 -> 0.30 s on two; 1 MiB
 * is as good, 256 KiB makes the reads too narrow. */
#define LZ_STATE_BYTES ((size_t)2 << 20)

/* Outputs per piece: all of the box, unless
 * - the input's chunks cut kept axes and no reduced one (sum(x, axis=1) of
 *   x chunked (1, y, z)). Slabs over every output would cut the chunks
 *   across (rows 0-4 of every chunk, then rows 5-9...: 512 partial reads
 *   per slab, 40% of sum(C, axis=1)'s time in per-read work), so pieces on
 *   the chunk grid take the whole reduced extent, each slab whole chunks
 *   (or, past LZ_SLAB_BYTES or the budget, contiguous parts of them);
 * - or the accumulators exceed LZ_STATE_BYTES, and no source has filters
 *   (the narrower reads of pieces are contiguous runs of the chunks, but
 *   a filtered chunk would be decoded once per piece). */
static void
plan_scan(lz_evaluator *ev, const lz_node *const *nodes, int nred, const lz_box *box, int64_t nout, scan_plan *p)
{
    const lz_node *x = nodes[0]->in[0];
    const lz_reduction *red = nodes[0]->reduce;
    p->state = 0;
    for (int q = 0; q < nred; q++)
        p->state += lz_reduce_state_bytes(nodes[q]);
    p->per = lz_dtype_size(x->dtype) + lz_node_cost(ev, x);
    /* The sources' in-flight chunks come out of what is left. */
    lz_read_needs needs;
    p->left = lz_plan_budget_left(ev, &needs);
    p->nbuf = lz_pool_size(lz_ctx_pool(ev->ctx)) > 1 ? 2 : 1;
    /* A slab over filtered sources spans LZ_DECODE_ROUNDS times as many
     * of their chunks as a read decodes at once (one per thread), or its
     * threads would idle: W1z's chunks are the 4 MiB of LZ_SLAB_BYTES. */
    p->slab_cap = LZ_SLAB_BYTES;
    if (needs.chunk_elems > 0 && needs.read_chunks > 1 && lz_node_reads_filtered(ev, x)) {
        double want = (double)needs.chunk_elems * (double)needs.read_chunks * LZ_DECODE_ROUNDS * (double)p->per;
        if (want > (double)p->slab_cap && want < (double)SIZE_MAX)
            p->slab_cap = (size_t)want;
        /* And one slab buffer: the read keeps every thread decoding, and
         * the fold then runs on every thread, instead of a fold overlapping
         * a read that competes with it for the same cores (W1z, 2 threads:
         * the budget then holds slabs of 2 chunks, not 1). */
        p->nbuf = 1;
    }
    p->most = nout;
    memset(p->grid, 0, sizeof p->grid);
    int64_t total = reduced_count(nodes[0]);
    if (total == 0 || nout == 0)
        return;
    lz_box ibox;
    lz_reduce_input_box(nodes[0], box, &ibox);
    int64_t xgrid[LZ_MAX_RANK];
    lz_node_grid(ev, x, xgrid);
    bool kept_cut = false, reduced_cut = false;
    for (int a = 0; a < x->rank; a++) {
        bool cut = xgrid[a] > 0 && xgrid[a] < ibox.count[a];
        kept_cut |= cut && !red->axis[a];
        reduced_cut |= cut && red->axis[a];
    }
    int64_t grid[LZ_MAX_RANK], cell = 1; /* outputs of one chunk of the box */
    lz_node_grid(ev, nodes[0], grid);
    for (int k = 0; k < box->rank; k++)
        cell *= grid[k] > 0 && grid[k] < box->count[k] ? grid[k] : box->count[k];
    double fit;
    /* A reduction over window axes (issue 13) also takes whole reduced
     * extents per piece: a slab of part of the windows would read the
     * range of x under the piece's windows again for every slab. */
    if ((kept_cut && !reduced_cut) || x->kind == LZ_NODE_WINDOW) {
        /* Half the budget for a piece's accumulators and its slab buffers,
         * the whole reduced extent in each (as slab_elements allows). */
        fit = (double)p->left / 2 / ((double)p->state + (double)p->per * (double)total * p->nbuf);
        /* Windows: whole windows in one slab, however small the piece
         * (their range of x is read once a piece; no chunk to keep whole). */
        if (x->kind == LZ_NODE_WINDOW && fit > (double)p->slab_cap / ((double)p->per * (double)total))
            fit = (double)p->slab_cap / ((double)p->per * (double)total);
        /* Never fewer outputs than a chunk has: smaller pieces read every
         * chunk in slivers, a read per few outputs (sum(C, axis=1) with
         * memory=16MiB: 413,000 preads and 1.1 s, against 554 and 0.24 s).
         * A piece of one chunk's outputs whose whole reduced extent does
         * not fit is scanned in several slabs, each a contiguous part of
         * the chunks. Only when not even its accumulators fit, the scan of
         * every output. */
        if (fit < (double)cell && x->kind != LZ_NODE_WINDOW) {
            if ((double)cell * (double)p->state > (double)p->left / 2)
                return;
            fit = (double)cell;
        }
    } else {
        if ((double)nout * (double)p->state <= (double)LZ_STATE_BYTES || lz_node_reads_filtered(ev, x))
            return;
        fit = (double)(LZ_STATE_BYTES / p->state);
    }
    p->most = fit < (double)nout ? (int64_t)fit : nout;
    memcpy(p->grid, grid, sizeof grid);
}

/* Where each input axis of a piece's slabs goes: an output stride for kept
 * axes, a stride of the flat reduced index for reduced ones. */
static void
piece_strides(const lz_node *node, const lz_box *ibox, slab_job *job)
{
    const lz_node *x = node->in[0];
    int64_t os = 1, rs = 1;
    for (int a = x->rank - 1; a >= 0; a--) {
        job->ostride[a] = node->reduce->axis[a] ? 0 : os;
        job->rstride[a] = node->reduce->axis[a] ? rs : 0;
        if (node->reduce->axis[a]) /* wraps only when another reduced axis is empty (binding refuses
                                    * more than 2^63 elements), and that axis makes it 0 */
            __builtin_mul_overflow(rs, x->shape[a], &rs);
        else
            os *= ibox->count[a];
    }
}

/* The accumulators of a piece of outputs. */
typedef struct piece_state {
    red_state *states;   /* one per reduction */
    int made;            /* how many are made */
    void **outs;         /* where each one's results go */
    int64_t nout;        /* outputs of the piece */
} piece_state;

/* Finish the piece that has accumulators (all its folds done), then make
 * those of the next one: n outputs at `offset` of the box. */
static lz_status
next_piece(lz_evaluator *ev, const lz_node *const *nodes, int nred, void *const *outs, piece_state *ps, int64_t n,
           int64_t offset)
{
    lz_status st = LZ_OK;
    for (int q = 0; st == LZ_OK && q < ps->made; q++)
        st = finish(ev, &ps->states[q], ps->nout, reduced_count(nodes[q]), ps->outs[q]);
    for (int q = 0; q < ps->made; q++)
        state_free(ev->ctx, &ps->states[q]);
    ps->made = 0;
    ps->nout = n;
    for (int q = 0; q < nred && st == LZ_OK && n > 0; q++, ps->made++) {
        st = state_new(ev->ctx, nodes[q], n, &ps->states[q]);
        ps->outs[q] = (char *)outs[q] + offset * (int64_t)lz_dtype_size(nodes[q]->dtype);
    }
    return st;
}

/* The scan. Every slab is read on the calling thread; with workers, the
 * fold of a slab runs on them while the caller reads the next one into
 * the other buffer (then joins the fold), so reading and folding overlap
 * instead of taking turns. A slab's fold ends before the next one's
 * starts: each output still folds its elements in order. A piece's
 * results are finished once its last fold is done, before the next
 * piece's accumulators are made. */
lz_status
lz_eval_reductions(lz_evaluator *ev, const lz_node *const *nodes, int nred, const lz_box *box, void *const *outs)
{
    lz_ctx *ctx = ev->ctx;
    const lz_node *x = nodes[0]->in[0];
    size_t isz = lz_dtype_size(x->dtype);
    int64_t nout;
    lz_box_nelem(box, &nout);
    scan_plan plan;
    plan_scan(ev, nodes, nred, box, nout, &plan);
    lz_grid_pieces pieces;
    lz_grid_pieces_init(&pieces, box, plan.most, plan.grid);
    lz_pool *pool = lz_ctx_pool(ctx);
    bool overlap = plan.nbuf == 2;
    /* Parts: enough for the caller to join a fold after its read. */
    int nparts = overlap ? 4 * lz_pool_size(pool) : lz_pool_size(pool);
    if (nparts > 1 && plan.most / 1024 < nparts)
        nparts = plan.most / 1024 > 1 ? (int)(plan.most / 1024) : 1; /* a part of fewer outputs is not worth it */
    double *tiles = lz_alloc(ctx, (size_t)nparts * LZ_TILE * sizeof(double));
    lz_status st = tiles ? LZ_OK : LZ_ENOMEM;
    red_state states[nred];
    void *piece_outs[nred];
    piece_state ps = {.states = states, .outs = piece_outs};
    slab_job jobs[2];
    char *data[2] = {NULL, NULL};
    size_t data_bytes[2] = {0, 0};
    int cur = 0;
    bool folding = false; /* a fold started and not waited for */
    lz_box piece;
    int64_t offset;
    while (st == LZ_OK && lz_grid_pieces_next(&pieces, &piece, &offset)) {
        int64_t n;
        lz_box_nelem(&piece, &n);
        lz_box ibox, rbox = {.rank = 0};
        lz_reduce_input_box(nodes[0], &piece, &ibox);
        int raxis[LZ_MAX_RANK];
        for (int a = 0; a < x->rank; a++) {
            if (!nodes[0]->reduce->axis[a])
                continue;
            raxis[rbox.rank] = a;
            rbox.start[rbox.rank] = 0;
            rbox.count[rbox.rank] = x->shape[a];
            rbox.step[rbox.rank] = 1;
            rbox.rank++;
        }
        int64_t rmax = slab_elements(&plan, n) / n;
        lz_box_pieces slabs;
        lz_box_pieces_init(&slabs, &rbox, rmax < 1 ? 1 : rmax);
        lz_box rpiece;
        int64_t roff;
        bool first = true;
        if (slabs.done) { /* nothing to fold (an empty reduced axis), but results to give */
            if (folding)
                lz_pool_wait(pool);
            folding = false;
            st = next_piece(ev, nodes, nred, outs, &ps, n, offset);
        }
        while (st == LZ_OK && lz_box_pieces_next(&slabs, &rpiece, &roff)) {
            lz_box slab = ibox;
            int64_t r = 1;
            for (int q = 0; q < rbox.rank; q++) {
                slab.start[raxis[q]] = rpiece.start[q];
                slab.count[raxis[q]] = rpiece.count[q];
                r *= rpiece.count[q];
            }
            size_t bytes = (size_t)(n * r) * isz;
            if (bytes > data_bytes[cur]) { /* the first slab of the first piece is the largest */
                lz_free(ctx, data[cur]);
                data_bytes[cur] = 0;
                if (!(data[cur] = lz_alloc(ctx, bytes))) {
                    st = LZ_ENOMEM;
                    break;
                }
                data_bytes[cur] = bytes;
            }
            st = lz_eval_node(ev, x, &slab, data[cur]);
            if (folding) {
                lz_pool_wait(pool);
                folding = false;
            }
            if (st != LZ_OK)
                break;
            if (first) { /* the previous piece is complete */
                first = false;
                if ((st = next_piece(ev, nodes, nred, outs, &ps, n, offset)) != LZ_OK)
                    break;
            }
            slab_job *job = &jobs[cur];
            *job = (slab_job){.states = states, .nred = nred, .x = x, .data = data[cur], .nout = n,
                              .nparts = nparts, .tiles = tiles};
            piece_strides(nodes[0], &ibox, job);
            slab_geometry(job, &slab);
            if (overlap) {
                lz_pool_start(pool, job->nparts, fold_part, job);
                folding = true;
                cur ^= 1;
            } else {
                lz_pool_run(pool, job->nparts, fold_part, job);
            }
        }
    }
    if (folding)
        lz_pool_wait(pool);
    if (st == LZ_OK)
        st = next_piece(ev, nodes, nred, outs, &ps, 0, 0);
    for (int q = 0; q < ps.made; q++)
        state_free(ctx, &states[q]);
    lz_free(ctx, data[0]);
    lz_free(ctx, data[1]);
    lz_free(ctx, tiles);
    return st;
}
