/* lz_order.c — evaluating order statistics (ORDER nodes: median, quantile,
 * percentile and the nan* forms), exactly as numpy computes them.
 *
 * How it works. Every value becomes an unsigned 64-bit key whose order is
 * the values' order (order_key): integers with the sign bit flipped,
 * floats widened to double with the sign bit set for positives and all
 * bits flipped for negatives, and NaN the largest key of all (numpy sorts
 * NaN last). -0 and +0 get neighbouring keys; numpy's sort holds them
 * equal, and so do the results (a -0 for a +0 is the same value).
 *
 * The ranks an output needs follow from its count n of values (without
 * NaN for the nan* forms) and numpy's formulas (order_ranks). They are
 * found by selection over the output's keys:
 *   - in memory, when the reduced values of at least one output fit the
 *     budget: pieces of outputs are evaluated with their whole reduced
 *     extent, the outputs split among the pool's threads, a block of
 *     outputs' keys gathered into rows at a time, each rank found by radix
 *     selection (radix_select) and the one after it by a count (rank_after);
 *   - in passes, when they do not (lz_order_pass.c): the output's values
 *     are read again a few times, narrowing each rank by histograms of the
 *     keys' bits until its candidates fit in memory.
 * The values at the ranks then go through numpy's formulas (lz_order_value):
 * median's mean of the middle two, _lerp's interpolation (a + d*t, or
 * b - d*(1-t) from t = 0.5 on, with d = b - a in the input's type, wrapping
 * for integers as numpy's subtraction does), the element itself for the
 * discrete methods.
 */
#include "lz_order.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define SIGN ((uint64_t)1 << 63)

/* ---- keys ------------------------------------------------------------------------------ */

static inline uint64_t
key_of_double(double d)
{
    if (isnan(d))
        return UINT64_MAX;
    uint64_t u;
    memcpy(&u, &d, sizeof u);
    return u & SIGN ? ~u : u | SIGN;
}

double
lz_order_key_double(uint64_t k)
{
    uint64_t u = k & SIGN ? k ^ SIGN : ~k;
    double d;
    memcpy(&d, &u, sizeof d);
    return d;
}

void
lz_order_keys(lz_dtype t, const void *src, int64_t n, uint64_t *keys)
{
    switch (t) {
#define KEYS(T, EXPR)                                                                              \
    {                                                                                              \
        const T *s = src;                                                                          \
        for (int64_t i = 0; i < n; i++)                                                            \
            keys[i] = EXPR;                                                                        \
        return;                                                                                    \
    }
    case LZ_BOOL:
        KEYS(uint8_t, (uint64_t)(s[i] != 0))
    case LZ_INT8:
        KEYS(int8_t, (uint64_t)(int64_t)s[i] ^ SIGN)
    case LZ_INT16:
        KEYS(int16_t, (uint64_t)(int64_t)s[i] ^ SIGN)
    case LZ_INT32:
        KEYS(int32_t, (uint64_t)(int64_t)s[i] ^ SIGN)
    case LZ_INT64:
        KEYS(int64_t, (uint64_t)s[i] ^ SIGN)
    case LZ_UINT8:
        KEYS(uint8_t, (uint64_t)s[i])
    case LZ_UINT16:
        KEYS(uint16_t, (uint64_t)s[i])
    case LZ_UINT32:
        KEYS(uint32_t, (uint64_t)s[i])
    case LZ_UINT64:
        KEYS(uint64_t, s[i])
    case LZ_FLOAT32:
        KEYS(float, key_of_double((double)s[i]))
    case LZ_FLOAT64:
        KEYS(double, key_of_double(s[i]))
#undef KEYS
    case LZ_DTYPE_COUNT:
        break;
    }
}

/* ---- selection ---------------------------------------------------------------------------- */

static int
cmp_key(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

static inline uint64_t
median3(uint64_t a, uint64_t b, uint64_t c)
{
    return a < b ? (b < c ? b : a < c ? c : a) : (a < c ? a : b < c ? c : b);
}

void
lz_order_select(uint64_t *a, int64_t lo, int64_t hi, int64_t k)
{
    /* Median-of-three pivots go quadratic only on crafted inputs; past
     * this many partitions the rest is sorted, so the worst case stays
     * n log n. The three-way split keeps ties (all-equal data) linear. */
    int depth = 64;
    while (hi - lo > 16) {
        if (depth-- == 0) {
            qsort(a + lo, (size_t)(hi - lo), sizeof *a, cmp_key);
            return;
        }
        uint64_t p = median3(a[lo], a[lo + (hi - lo) / 2], a[hi - 1]);
        int64_t lt = lo, i = lo, gt = hi; /* [lo, lt) < p, [lt, i) == p, [gt, hi) > p */
        while (i < gt) {
            uint64_t v = a[i];
            if (v < p) {
                a[i++] = a[lt];
                a[lt++] = v;
            } else if (v > p) {
                a[i] = a[--gt];
                a[gt] = v;
            } else {
                i++;
            }
        }
        if (k < lt)
            hi = lt;
        else if (k >= gt)
            lo = gt;
        else
            return;
    }
    for (int64_t i = lo + 1; i < hi; i++) { /* insertion sort of the last few */
        uint64_t v = a[i];
        int64_t j = i;
        for (; j > lo && a[j - 1] > v; j--)
            a[j] = a[j - 1];
        a[j] = v;
    }
}

/* ---- numpy's formulas ------------------------------------------------------------------------ */

int
lz_order_ranks(const lz_order *o, double q, int64_t n, lz_order_pick *pick)
{
    double nm1 = (double)(n - 1);
    pick->t = 0;
    switch (o->method) {
    case LZ_OM_MEDIAN: /* numpy's median: partition at n/2 (and n/2 - 1), mean of the middle */
        pick->i = n % 2 ? (n - 1) / 2 : n / 2 - 1;
        pick->j = n / 2;
        break;
    case LZ_OM_LOWER:
        pick->i = pick->j = (int64_t)floor(nm1 * q);
        break;
    case LZ_OM_HIGHER:
        pick->i = pick->j = (int64_t)ceil(nm1 * q);
        break;
    case LZ_OM_NEAREST: /* np.around: halves to even, as rint in the default rounding mode */
        pick->i = pick->j = (int64_t)rint(nm1 * q);
        break;
    case LZ_OM_LINEAR:
    case LZ_OM_MIDPOINT: {
        double vi = nm1 * q;
        if (o->method == LZ_OM_MIDPOINT)
            vi = 0.5 * (floor(vi) + ceil(vi));
        if (o->take) { /* integer q: numpy takes index (n - 1) * q */
            pick->i = pick->j = (int64_t)vi;
            break;
        }
        /* numpy's _get_indexes: an index at or past the last is the last
         * element for both neighbours, and the gamma of linear is then
         * taken against a previous index of -1 (vi + 1: d is 0 there, so
         * only infinities show it, as NaN). */
        double prev = floor(vi);
        bool last = vi >= nm1;
        pick->i = last ? n - 1 : (int64_t)prev;
        pick->j = last ? n - 1 : (int64_t)prev + 1;
        if (o->method == LZ_OM_MIDPOINT)
            pick->t = fmod(vi, 1.0) == 0 ? 0.0 : 0.5;
        else
            pick->t = vi - (last ? -1.0 : prev);
        break;
    }
    }
    return pick->i == pick->j ? 1 : 2;
}

/* d = b - a in type t, wrapping for integers as numpy's subtraction. */
static double
difference(lz_dtype t, uint64_t ka, uint64_t kb)
{
    uint64_t u = kb - ka; /* the difference of the keys is that of the values, mod 2^64 */
    switch (t) {
    case LZ_INT8:
        return (double)(int8_t)(uint8_t)u;
    case LZ_INT16:
        return (double)(int16_t)(uint16_t)u;
    case LZ_INT32:
        return (double)(int32_t)(uint32_t)u;
    case LZ_INT64:
        return (double)(int64_t)u;
    case LZ_UINT8:
        return (double)(uint8_t)u;
    case LZ_UINT16:
        return (double)(uint16_t)u;
    case LZ_UINT32:
        return (double)(uint32_t)u;
    case LZ_UINT64:
        return (double)u;
    case LZ_FLOAT32:
        return (double)((float)lz_order_key_double(kb) - (float)lz_order_key_double(ka));
    default: /* float64 (bool does not interpolate: binding refuses it) */
        return lz_order_key_double(kb) - lz_order_key_double(ka);
    }
}

/* The value a key stands for, as a double (exact but for 64-bit integers
 * beyond 2^53, which numpy converts the same way). */
static double
key_value(lz_dtype t, uint64_t k)
{
    switch (lz_dtype_kind(t)) {
    case LZ_KIND_FLOAT:
        return lz_order_key_double(k);
    case LZ_KIND_INT:
        return (double)(int64_t)(k ^ SIGN);
    default:
        return (double)k;
    }
}

/* Store the element a key stands for, in type t. */
static void
store_key(lz_dtype t, uint64_t k, void *dst)
{
    switch (t) {
#define PUT(T, V)                                                                                  \
    {                                                                                              \
        T v = (T)(V);                                                                              \
        memcpy(dst, &v, sizeof v);                                                                 \
        return;                                                                                    \
    }
    case LZ_BOOL:
        PUT(uint8_t, k)
    case LZ_INT8:
        PUT(int8_t, (int64_t)(k ^ SIGN))
    case LZ_INT16:
        PUT(int16_t, (int64_t)(k ^ SIGN))
    case LZ_INT32:
        PUT(int32_t, (int64_t)(k ^ SIGN))
    case LZ_INT64:
        PUT(int64_t, (int64_t)(k ^ SIGN))
    case LZ_UINT8:
        PUT(uint8_t, k)
    case LZ_UINT16:
        PUT(uint16_t, k)
    case LZ_UINT32:
        PUT(uint32_t, k)
    case LZ_UINT64:
        PUT(uint64_t, k)
    case LZ_FLOAT32:
        PUT(float, lz_order_key_double(k))
    case LZ_FLOAT64:
        PUT(double, lz_order_key_double(k))
#undef PUT
    case LZ_DTYPE_COUNT:
        break;
    }
}

void
lz_order_value(const lz_node *n, const lz_order_pick *pick, uint64_t ka, uint64_t kb, void *dst)
{
    const lz_order *o = n->order;
    lz_dtype t = n->in[0]->dtype;
    if (o->take) {
        store_key(t, ka, dst);
        return;
    }
    double a = key_value(t, ka), b = key_value(t, kb);
    if (o->method == LZ_OM_MEDIAN) {
        /* numpy's mean of part[i:j+1]: the sum in the result's type (float32
         * adds in float32), divided by the count. */
        if (n->dtype == LZ_FLOAT32) {
            float r = pick->i == pick->j ? (float)a : ((float)a + (float)b) / 2.0f;
            memcpy(dst, &r, sizeof r);
        } else {
            double r = pick->i == pick->j ? a : (a + b) / 2.0;
            memcpy(dst, &r, sizeof r);
        }
        return;
    }
    double d = difference(t, ka, kb), tt = pick->t;
    if (n->dtype == LZ_FLOAT32) { /* float32 data, weak q: every operation in float32 */
        float r = tt >= 0.5 ? (float)b - (float)d * (float)(1.0 - tt) : (float)a + (float)d * (float)tt;
        memcpy(dst, &r, sizeof r);
    } else {
        double r = tt >= 0.5 ? b - d * (1.0 - tt) : a + d * tt;
        memcpy(dst, &r, sizeof r);
    }
}

void
lz_order_nan(const lz_node *n, void *dst)
{
    if (n->dtype == LZ_FLOAT32) {
        float v = NAN;
        memcpy(dst, &v, sizeof v);
    } else {
        double v = NAN; /* a NaN result is always of a float type: only floats hold NaN */
        memcpy(dst, &v, sizeof v);
    }
}

/* ---- boxes ------------------------------------------------------------------------------------ */

void
lz_order_split_box(const lz_node *n, const lz_box *box, lz_box *kept, int64_t *q0, int64_t *qn, int64_t *qstep)
{
    *kept = *box;
    *q0 = 0;
    *qn = 1;
    *qstep = 1;
    if (!n->order->qaxis)
        return;
    *q0 = box->start[0];
    *qn = box->count[0];
    *qstep = box->step[0];
    kept->rank = box->rank - 1;
    for (int k = 0; k < kept->rank; k++) {
        kept->start[k] = box->start[k + 1];
        kept->count[k] = box->count[k + 1];
        kept->step[k] = box->step[k + 1];
    }
}

void
lz_order_input_box(const lz_node *n, const lz_box *box, lz_box *ibox)
{
    const lz_node *x = n->in[0];
    const lz_order *o = n->order;
    int off = o->qaxis ? 1 : 0; /* the q axis maps to no input axis */
    ibox->rank = x->rank;
    for (int a = 0, k = off; a < x->rank; a++) {
        if (o->axis[a]) {
            ibox->start[a] = 0;
            ibox->count[a] = x->shape[a];
            ibox->step[a] = 1;
            k += o->keepdims;
        } else {
            ibox->start[a] = box->start[k];
            ibox->count[a] = box->count[k];
            ibox->step[a] = box->step[k];
            k++;
        }
    }
}

int64_t
lz_order_reduced_count(const lz_node *n)
{
    int64_t count = 1;
    for (int a = 0; a < n->in[0]->rank; a++)
        if (n->order->axis[a]) /* binding refuses more than 2^63 unless an axis is empty (then 0) */
            __builtin_mul_overflow(count, n->in[0]->shape[a], &count);
    return count;
}

/* ---- one output's results -------------------------------------------------------------------------- */

/* The k-th smallest of a[0..n) (n > k), by radix selection on the bits
 * below the candidates' common prefix, 8 at a time: count the digits,
 * keep the keys of the bucket holding rank k (into cand, n keys of room),
 * until one value is left or a few keys. Counting and keeping do not
 * branch on the data; quickselect's partitions did, and mispredicted
 * about half of them (W6, a median of 512 values for each of 10^6
 * outputs, one thread: 7.6 s with quickselect, 4.5 s with this and the
 * padded rows of row_stride). */
static uint64_t
radix_select(const uint64_t *a, int64_t n, int64_t k, uint64_t *cand)
{
    const uint64_t *src = a;
    uint32_t hist[256];
    for (;;) {
        if (n <= 16) {
            if (src != cand)
                memcpy(cand, src, (size_t)n * sizeof *cand);
            lz_order_select(cand, 0, n, k);
            return cand[k];
        }
        uint64_t lo = UINT64_MAX, hi = 0;
        for (int64_t i = 0; i < n; i++) {
            lo = src[i] < lo ? src[i] : lo;
            hi = src[i] > hi ? src[i] : hi;
        }
        if (lo == hi)
            return lo;
        int top = 64 - __builtin_clzll(lo ^ hi); /* bits [0, top) differ somewhere */
        int w = top < 8 ? top : 8, shift = top - w;
        uint64_t mask = ((uint64_t)1 << w) - 1;
        memset(hist, 0, sizeof hist);
        for (int64_t i = 0; i < n; i++)
            hist[(src[i] >> shift) & mask]++;
        uint64_t b = 0;
        int64_t below = 0;
        while (k >= below + (int64_t)hist[b]) /* the bucket holding rank k: there is one */
            below += hist[b++];
        k -= below;
        int64_t m = 0;
        for (int64_t i = 0; i < n; i++) { /* in place when src is cand: m <= i */
            uint64_t v = src[i];
            cand[m] = v;
            m += ((v >> shift) & mask) == b;
        }
        src = cand;
        n = m;
    }
}

/* The key at rank j = i + 1 of a[0..n), given ka, the key at rank i: ka
 * again while more than j keys are at most ka, else the least key above. */
static uint64_t
rank_after(const uint64_t *a, int64_t n, uint64_t ka, int64_t j)
{
    int64_t le = 0;
    uint64_t above = UINT64_MAX;
    for (int64_t r = 0; r < n; r++) {
        le += a[r] <= ka;
        above = a[r] > ka && a[r] < above ? a[r] : above;
    }
    return le > j ? ka : above;
}

/* The results of one output from its keys row[0..R), nnan of them NaN:
 * every quantile of the box's q range, written at out + qi * qstride
 * bytes. cand: R keys of room. */
static void
finish_row(const lz_node *n, const uint64_t *row, int64_t R, int64_t nnan, int64_t q0, int64_t qn, int64_t qstep,
           char *out, int64_t qstride, uint64_t *cand)
{
    const lz_order *o = n->order;
    int64_t count = R - nnan;
    for (int64_t qi = 0; qi < qn; qi++) {
        if ((nnan > 0 && !o->skipna) || count == 0) {
            lz_order_nan(n, out + qi * qstride);
            continue;
        }
        /* NaN keys are the largest: ranks below count never meet them. */
        lz_order_pick p;
        lz_order_ranks(o, o->q[q0 + qi * qstep], count, &p);
        uint64_t ka = radix_select(row, R, p.i, cand);
        uint64_t kb = p.j == p.i ? ka : rank_after(row, R, ka, p.j);
        lz_order_value(n, &p, ka, kb, out + qi * qstride);
    }
}

/* ---- in memory ---------------------------------------------------------------------------------- */

/* Keys of one output block are gathered into rows of this many bytes at
 * most (64 outputs of 512 values: median over time of (512, y, x)): the
 * gather reads the slab along the kept axes, where neighbouring outputs'
 * values lie, and the rows stay in cache while written. Gathering one
 * output at a time instead read 512 values 64 KiB apart for each. */
#define LZ_ORDER_BLOCK_BYTES ((size_t)512 << 10)
#define LZ_ORDER_BLOCK_MOST 64

static int64_t
block_outputs(int64_t R)
{
    int64_t b = (int64_t)(LZ_ORDER_BLOCK_BYTES / sizeof(uint64_t)) / (R > 0 ? R : 1);
    return b < 1 ? 1 : b > LZ_ORDER_BLOCK_MOST ? LZ_ORDER_BLOCK_MOST : b;
}

/* Rows of keys lie this many keys apart: R rounded up past a multiple of
 * 8 (a cache line), so that the rows a gather writes at once do not all
 * map to one cache set (R = 512: 4 KiB apart, 64 rows thrashing one set;
 * the gather took a quarter of W6's time). */
static int64_t
row_stride(int64_t R)
{
    return (R + 7) / 8 * 8 + 8;
}

/* rows[jj * row_stride(R) + r] = the key of slab[base[jj] + roff[r]], for nb outputs. */
static void
gather_keys(lz_dtype t, const void *slab, const int64_t *base, int64_t nb, const int64_t *roff, int64_t R,
            uint64_t *rows)
{
    int64_t rs = row_stride(R);
    switch (t) {
#define GATHER(T, EXPR)                                                                            \
    {                                                                                              \
        const T *sv = slab;                                                                        \
        for (int64_t r = 0; r < R; r++)                                                            \
            for (int64_t jj = 0; jj < nb; jj++) {                                                  \
                T v = sv[base[jj] + roff[r]];                                                      \
                rows[jj * rs + r] = EXPR;                                                          \
            }                                                                                      \
        return;                                                                                    \
    }
    case LZ_BOOL:
        GATHER(uint8_t, (uint64_t)(v != 0))
    case LZ_INT8:
        GATHER(int8_t, (uint64_t)(int64_t)v ^ SIGN)
    case LZ_INT16:
        GATHER(int16_t, (uint64_t)(int64_t)v ^ SIGN)
    case LZ_INT32:
        GATHER(int32_t, (uint64_t)(int64_t)v ^ SIGN)
    case LZ_INT64:
        GATHER(int64_t, (uint64_t)v ^ SIGN)
    case LZ_UINT8:
        GATHER(uint8_t, (uint64_t)v)
    case LZ_UINT16:
        GATHER(uint16_t, (uint64_t)v)
    case LZ_UINT32:
        GATHER(uint32_t, (uint64_t)v)
    case LZ_UINT64:
        GATHER(uint64_t, v)
    case LZ_FLOAT32:
        GATHER(float, key_of_double((double)v))
    case LZ_FLOAT64:
        GATHER(double, key_of_double(v))
#undef GATHER
    case LZ_DTYPE_COUNT:
        break;
    }
}

/* One piece's selection, shared by the parts that split its outputs. */
typedef struct piece_job {
    const lz_node *n;
    const char *slab;            /* the piece's values, dense over ibox */
    lz_box ibox;                 /* the input box read */
    int64_t stride[LZ_MAX_RANK]; /* dense strides of the slab */
    const int64_t *roff;         /* offsets of an output's values (R) */
    int64_t R, m, nb;            /* values per output, outputs, block */
    int64_t q0, qn, qstep;       /* the quantiles asked for */
    char *out;                   /* the piece's first output (q index 0) */
    int64_t qstride;             /* bytes between an output's quantiles */
    lz_order_scratch *parts;     /* one per part */
    int nparts;
} piece_job;

/* Outputs [m * part / nparts, m * (part + 1) / nparts) of the piece, a
 * block at a time. Pure computation: a worker thread may run it. */
static void
select_part(void *arg, int part)
{
    piece_job *job = arg;
    const lz_node *n = job->n, *x = n->in[0];
    const lz_order *o = n->order;
    lz_order_scratch *s = &job->parts[part];
    int64_t lo = job->m * part / job->nparts, hi = job->m * (part + 1) / job->nparts, R = job->R;
    size_t osz = lz_dtype_size(n->dtype);
    bool is_float = lz_dtype_kind(x->dtype) == LZ_KIND_FLOAT;
    for (int64_t j0 = lo; j0 < hi; j0 += job->nb) {
        int64_t b = hi - j0 < job->nb ? hi - j0 : job->nb;
        for (int64_t jj = 0; jj < b; jj++) { /* where output j0 + jj starts: its kept indices */
            int64_t j = j0 + jj, p = 0;
            for (int a = x->rank - 1; a >= 0; a--) {
                if (o->axis[a])
                    continue;
                p += j % job->ibox.count[a] * job->stride[a];
                j /= job->ibox.count[a];
            }
            s->base[jj] = p;
        }
        gather_keys(x->dtype, job->slab, s->base, b, job->roff, R, s->row);
        for (int64_t jj = 0; jj < b; jj++) {
            uint64_t *row = s->row + jj * row_stride(R);
            int64_t nnan = 0;
            for (int64_t r = 0; is_float && r < R; r++)
                nnan += row[r] == UINT64_MAX;
            finish_row(n, row, R, nnan, job->q0, job->qn, job->qstep, job->out + (j0 + jj) * (int64_t)osz,
                       job->qstride, s->cand);
        }
    }
}

/* Outputs `piece` of the kept box (at element offset `off` of it, `nout`
 * kept outputs in all), evaluated with their whole reduced extent and
 * selected by nparts parts on the pool. */
static lz_status
eval_piece(lz_evaluator *ev, const lz_node *n, const lz_box *piece, int64_t off, int64_t nout, int64_t q0,
           int64_t qn, int64_t qstep, char *out, lz_order_scratch *parts, int nparts, int64_t *roff)
{
    const lz_node *x = n->in[0];
    const lz_order *o = n->order;
    lz_ctx *ctx = ev->ctx;
    size_t osz = lz_dtype_size(n->dtype), isz = lz_dtype_size(x->dtype);
    piece_job job = {.n = n, .R = lz_order_reduced_count(n), .q0 = q0, .qn = qn, .qstep = qstep,
                     .out = out + off * (int64_t)osz, .qstride = nout * (int64_t)osz, .parts = parts,
                     .nparts = nparts, .roff = roff};
    job.nb = block_outputs(job.R);
    lz_box full = *piece;
    if (o->qaxis) { /* lz_order_input_box wants the q axis in front */
        full.rank = piece->rank + 1;
        full.start[0] = 0;
        full.count[0] = full.step[0] = 1;
        for (int k = 0; k < piece->rank; k++) {
            full.start[k + 1] = piece->start[k];
            full.count[k + 1] = piece->count[k];
            full.step[k + 1] = piece->step[k];
        }
    }
    lz_order_input_box(n, &full, &job.ibox);
    int64_t nelem;
    lz_box_nelem(&job.ibox, &nelem);
    lz_box_nelem(piece, &job.m);
    char *slab = lz_alloc(ctx, (size_t)nelem * isz);
    lz_status st = slab ? lz_eval_node(ev, x, &job.ibox, slab) : LZ_ENOMEM;
    if (st == LZ_OK) {
        int64_t sz = 1, ridx[LZ_MAX_RANK] = {0};
        for (int a = x->rank - 1; a >= 0; a--) {
            job.stride[a] = sz;
            sz *= job.ibox.count[a];
        }
        for (int64_t r = 0; r < job.R; r++) { /* the reduced axes in C order */
            int64_t p = 0;
            for (int a = 0; a < x->rank; a++)
                p += o->axis[a] ? ridx[a] * job.stride[a] : 0;
            roff[r] = p;
            for (int a = x->rank - 1; a >= 0; a--) {
                if (!o->axis[a])
                    continue;
                if (++ridx[a] < x->shape[a])
                    break;
                ridx[a] = 0;
            }
        }
        job.slab = slab;
        /* Parts of fewer than a few blocks are not worth a thread. */
        int use = job.m / (4 * job.nb) < nparts ? (int)(job.m / (4 * job.nb)) : nparts;
        job.nparts = use < 1 ? 1 : use;
        lz_pool_run(lz_ctx_pool(ctx), job.nparts, select_part, &job);
    }
    lz_free(ctx, slab);
    return st;
}

size_t
lz_order_element_bytes(lz_evaluator *ev, const lz_node *n)
{
    /* Per reduced element of an output in memory: the value and the
     * input's temporaries (the gathered keys are per block, fixed_bytes). */
    return lz_dtype_size(n->in[0]->dtype) + lz_node_cost(ev, n->in[0]);
}

/* Bytes of an in-memory evaluation whatever its outputs: each part's
 * block of rows of keys, its candidates and its bases, and the offsets of
 * an output's values. */
static double
fixed_bytes(int64_t R, int nparts)
{
    return (double)sizeof(uint64_t) * ((double)(row_stride(R) * block_outputs(R) + R) * nparts + (double)R) +
           (double)block_outputs(R) * (double)sizeof(int64_t) * nparts;
}

/* Parts the selection is split into: one per thread of the pool. */
static int
order_parts(lz_ctx *ctx)
{
    return lz_pool_size(lz_ctx_pool(ctx));
}

int64_t
lz_order_fit(lz_evaluator *ev, const lz_node *n)
{
    int64_t R = lz_order_reduced_count(n);
    if (R == 0)
        return INT64_MAX;
    size_t budget_left = lz_plan_budget_left(ev, NULL);
    double left = budget_left > 0 ? (double)budget_left - fixed_bytes(R, order_parts(ev->ctx)) : 0;
    double fit = left / ((double)R * (double)lz_order_element_bytes(ev, n));
    return fit < 1 ? 0 : fit >= (double)INT64_MAX ? INT64_MAX : (int64_t)fit;
}

double
lz_order_bytes_per_output(lz_evaluator *ev, const lz_node *n)
{
    int64_t R = lz_order_reduced_count(n);
    return (double)R * (double)lz_order_element_bytes(ev, n) + fixed_bytes(R, order_parts(ev->ctx));
}

lz_status
lz_eval_order(lz_evaluator *ev, const lz_node *n, const lz_box *box, void *out)
{
    lz_ctx *ctx = ev->ctx;
    lz_box kbox;
    int64_t q0, qn, qstep, nout;
    lz_order_split_box(n, box, &kbox, &q0, &qn, &qstep);
    lz_box_nelem(&kbox, &nout);
    int64_t R = lz_order_reduced_count(n), nb = block_outputs(R), fit = lz_order_fit(ev, n);
    lz_status st = LZ_OK;
    if (R == 0) { /* nothing to select: NaN everywhere (binding allows only float results here) */
        for (int64_t i = 0; i < qn * nout; i++)
            lz_order_nan(n, (char *)out + i * (int64_t)lz_dtype_size(n->dtype));
    } else if (fit < 1) {
        st = lz_order_passes_eval(ev, n, &kbox, q0, qn, qstep, out);
    } else {
        int nparts = order_parts(ctx);
        lz_order_scratch parts[nparts];
        memset(parts, 0, sizeof parts);
        int64_t *roff = lz_alloc(ctx, (size_t)R * sizeof *roff);
        st = roff ? LZ_OK : LZ_ENOMEM;
        for (int k = 0; st == LZ_OK && k < nparts; k++)
            if (!(parts[k].row = lz_alloc(ctx, (size_t)(row_stride(R) * nb) * sizeof(uint64_t))) ||
                !(parts[k].cand = lz_alloc(ctx, (size_t)R * sizeof(uint64_t))) ||
                !(parts[k].base = lz_alloc(ctx, (size_t)nb * sizeof(int64_t))))
                st = LZ_ENOMEM;
        lz_box_pieces pieces;
        lz_box_pieces_init(&pieces, &kbox, fit);
        lz_box piece;
        int64_t off;
        while (st == LZ_OK && lz_box_pieces_next(&pieces, &piece, &off))
            st = eval_piece(ev, n, &piece, off, nout, q0, qn, qstep, out, parts, nparts, roff);
        for (int k = 0; k < nparts; k++)
            lz_order_scratch_free(ctx, &parts[k]);
        lz_free(ctx, roff);
    }
    return st;
}

void
lz_order_scratch_free(lz_ctx *ctx, lz_order_scratch *s)
{
    lz_free(ctx, s->row);
    lz_free(ctx, s->base);
    lz_free(ctx, s->cand);
    memset(s, 0, sizeof *s);
}

/* ---- passes ------------------------------------------------------------------------------------ */

/* The most passes an ORDER node below n makes (0: none below). */
static int
passes_below(lz_evaluator *ev, const lz_node *n, bool *seen)
{
    if (seen[n->id])
        return 0;
    seen[n->id] = true;
    int most = 0;
    if (n->kind == LZ_NODE_ORDER)
        most = lz_order_fit(ev, n) >= 1 ? 1 : lz_order_passes_bound(ev, n, n->order->nq);
    for (int i = 0; i < n->nin; i++) {
        int p = passes_below(ev, n->in[i], seen);
        most = p > most ? p : most;
    }
    return most;
}

lz_status
lz_graph_passes(const lz_graph *g, int root, int *passes)
{
    if (root < 0 || root >= g->nroots)
        return lz_ctx_fail(g->ctx, LZ_EVALUE, 0, 0, "no root %d", root);
    lz_evaluator ev = {.g = (lz_graph *)g, .ctx = g->ctx}; /* for the cost model only: nothing is evaluated */
    ev.cost = lz_alloc(g->ctx, (size_t)g->nnodes * sizeof *ev.cost);
    bool *seen = lz_calloc(g->ctx, (size_t)g->nnodes, sizeof *seen);
    lz_status st = ev.cost && seen ? LZ_OK : LZ_ENOMEM;
    if (st == LZ_OK) {
        for (int i = 0; i < g->nnodes; i++)
            ev.cost[i] = (size_t)-1;
        *passes = passes_below(&ev, g->roots[root], seen);
    }
    lz_free(g->ctx, seen);
    lz_free(g->ctx, ev.cost);
    return st;
}
