/* fuzz_common.c — what both fuzz targets share (fuzz_common.h). */
#include "fuzz_common.h"

#include "lz_graph.h" /* internal: node shapes and inputs */

#include <math.h>
#include <stdlib.h>

/* Interesting values per kind (fuzz_fill). */
static const double float_values[] = {1.5,   -2.0,     0.0,       -0.0,      NAN,  INFINITY, -INFINITY, 3.0,
                                      1e300, -1e-310, 0.1,       7.0,       -3.5, 1e38,     65504.0,   2.5};
static const int64_t int_values[] = {0,  1,  -1, 2,   7,   -128, 127,        255,       -32768, 65535,
                                     3, -7, 100, INT32_MIN, INT32_MAX, INT64_MIN, INT64_MAX, 42};
static const uint64_t uint_values[] = {0, 1, 2, 7, 255, 256, 65535, 3, UINT32_MAX, UINT64_MAX, 100, 42, 128};

void
fuzz_fill(void *buf, lz_dtype t, int salt, int count)
{
    for (int n = 0; n < count; n++) {
        int fi = (n * 5 + salt) % (int)(sizeof float_values / sizeof float_values[0]);
        int ii = (n * 5 + salt) % (int)(sizeof int_values / sizeof int_values[0]);
        int ui = (n * 5 + salt) % (int)(sizeof uint_values / sizeof uint_values[0]);
        int64_t iv = int_values[ii];
        uint64_t uv = uint_values[ui];
        switch (t) {
        case LZ_BOOL: ((uint8_t *)buf)[n] = (uint8_t)((n * 3 + salt) % 2); break;
        case LZ_INT8: ((int8_t *)buf)[n] = (int8_t)iv; break;
        case LZ_UINT8: ((uint8_t *)buf)[n] = (uint8_t)uv; break;
        case LZ_INT16: ((int16_t *)buf)[n] = (int16_t)iv; break;
        case LZ_UINT16: ((uint16_t *)buf)[n] = (uint16_t)uv; break;
        case LZ_INT32: ((int32_t *)buf)[n] = (int32_t)iv; break;
        case LZ_UINT32: ((uint32_t *)buf)[n] = (uint32_t)uv; break;
        case LZ_INT64: ((int64_t *)buf)[n] = iv; break;
        case LZ_UINT64: ((uint64_t *)buf)[n] = uv; break;
        case LZ_FLOAT32: ((float *)buf)[n] = (float)float_values[fi]; break;
        default: ((double *)buf)[n] = float_values[fi]; break;
        }
    }
}

int64_t
fuzz_sat_mul(int64_t a, int64_t b)
{
    int64_t r;
    return __builtin_mul_overflow(a, b, &r) ? INT64_MAX : r;
}

static int64_t
sat_add(int64_t a, int64_t b)
{
    int64_t r;
    return __builtin_add_overflow(a, b, &r) ? INT64_MAX : r;
}

/* How many times a node may be evaluated whole: a reduction inside the
 * input of another is evaluated again for every slab of the outer one when
 * nothing is kept (the reference context has no cache; a small budget
 * makes slabs of one element), so nested reductions multiply:
 * sum(x - sum(x - sum(x))) of 64 elements costs 64^3, not 3 * 64 (a
 * fuzzer timeout, 14 s under ASan, before this was counted). `times` is
 * how often n is evaluated; `rtimes` how often a reduction found below n
 * is. Each node keeps the largest pair seen and is walked again only when
 * one grows, so shared subgraphs cost little. */
typedef struct work_walk {
    int64_t *times, *rtimes; /* per node id: largest seen, 0 = not yet */
    int64_t *cost;           /* per node id: its elements times its evaluations */
    int nnodes;
    bool has_reduce;
} work_walk;

/* A node's elements, at least 1 (an empty node still costs a visit). */
static int64_t
node_elements(const lz_node *n)
{
    int64_t e = 1;
    for (int k = 0; k < n->rank; k++)
        e = fuzz_sat_mul(e, n->shape[k] > 0 ? n->shape[k] : 1);
    return e;
}

static void
walk_work(work_walk *w, const lz_node *n, int64_t times, int64_t rtimes)
{
    if (n->id < 0 || n->id >= w->nnodes || (times <= w->times[n->id] && rtimes <= w->rtimes[n->id]))
        return;
    if (times > w->times[n->id])
        w->times[n->id] = times;
    if (rtimes > w->rtimes[n->id])
        w->rtimes[n->id] = rtimes;
    times = w->times[n->id];
    rtimes = w->rtimes[n->id];
    /* A reduction's own evaluation happens rtimes over, the others' times over. */
    bool reduces = n->kind == LZ_NODE_REDUCE || n->kind == LZ_NODE_ORDER; /* order statistics read alike */
    w->cost[n->id] = fuzz_sat_mul(node_elements(n), reduces ? rtimes : times);
    if (reduces) {
        w->has_reduce = true;
        walk_work(w, n->in[0], rtimes, fuzz_sat_mul(rtimes, node_elements(n->in[0])));
        return;
    }
    for (int i = 0; i < n->nin; i++)
        walk_work(w, n->in[i], times, rtimes);
}

int64_t
fuzz_graph_work(const lz_graph *g, bool *has_reduce)
{
    size_t n = (size_t)g->nnodes + 1;
    work_walk w = {.times = calloc(n, sizeof(int64_t)), .rtimes = calloc(n, sizeof(int64_t)),
                   .cost = calloc(n, sizeof(int64_t)), .nnodes = g->nnodes};
    int64_t total = INT64_MAX;
    if (w.times && w.rtimes && w.cost) {
        for (int r = 0; r < g->nroots; r++)
            walk_work(&w, g->roots[r], 1, 1);
        total = 0;
        for (int i = 0; i < g->nnodes; i++)
            total = sat_add(total, w.cost[i]);
    }
    *has_reduce = w.has_reduce;
    free(w.times);
    free(w.rtimes);
    free(w.cost);
    return total;
}
