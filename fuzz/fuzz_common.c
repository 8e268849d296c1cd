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

static int64_t
node_work(const lz_node *n, unsigned char *seen, int nnodes, bool *has_reduce)
{
    if (n->id < 0 || n->id >= nnodes || seen[n->id])
        return 0;
    seen[n->id] = 1;
    if (n->kind == LZ_NODE_REDUCE)
        *has_reduce = true;
    int64_t e = 1;
    for (int k = 0; k < n->rank; k++) /* an empty node still costs a visit */
        e = fuzz_sat_mul(e, n->shape[k] > 0 ? n->shape[k] : 1);
    for (int i = 0; i < n->nin; i++)
        e = sat_add(e, node_work(n->in[i], seen, nnodes, has_reduce));
    return e;
}

int64_t
fuzz_graph_work(const lz_graph *g, bool *has_reduce)
{
    *has_reduce = false;
    unsigned char *seen = calloc((size_t)g->nnodes + 1, 1);
    if (!seen)
        return INT64_MAX;
    int64_t w = 0;
    for (int r = 0; r < g->nroots; r++)
        w = sat_add(w, node_work(g->roots[r], seen, g->nnodes, has_reduce));
    free(seen);
    return w;
}
