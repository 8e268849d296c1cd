/* test_reduce_typed.c — how reductions plan their scans and fold typed
 * data: float32 and narrow integer sources with a storage chunk grid (the
 * typed vector folds straight from the slab, the plain sums of float32 and
 * small integers, the overlap of reads and folds on worker threads) give
 * the same bits under every chunking, budget and thread count and match
 * sums done here in long double; large accumulators are scanned in pieces
 * of outputs (not for filtered sources); a small budget keeps pieces of a
 * whole chunk's outputs. */
#include "engine_test.h"

#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

/* Large enough that outputs are split among threads (>= 4096 outputs for
 * a reduction over axis 0) and slabs are cut under the small budgets. */
enum { S0 = 5, S1 = 48, S2 = 100, SN = S0 * S1 * S2 };

static float f32[SN];
static int16_t i16[SN];
static uint8_t u8[SN];
static int32_t i32[SN];

static void
fill_typed(void)
{
    srand(21);
    for (int i = 0; i < SN; i++) {
        f32[i] = (float)(rand() % 20001 - 10000) / 64.0f + 1000.0f; /* an offset: std must not cancel */
        i16[i] = (int16_t)(rand() % 65536 - 32768);
        u8[i] = (uint8_t)(rand() % 256);
        i32[i] = (int32_t)((unsigned)rand() * 2654435761u); /* the whole range: sums leave 32 bits */
    }
}

static double
element_as_double(lz_dtype t, const void *data, int64_t i)
{
    switch (t) {
    case LZ_FLOAT32:
        return ((const float *)data)[i];
    case LZ_FLOAT64:
        return ((const double *)data)[i];
    case LZ_INT16:
        return ((const int16_t *)data)[i];
    case LZ_UINT8:
        return ((const uint8_t *)data)[i];
    case LZ_INT32:
        return ((const int32_t *)data)[i];
    case LZ_INT64:
        return (double)((const int64_t *)data)[i];
    case LZ_UINT64:
        return (double)((const uint64_t *)data)[i];
    default:
        CU_FAIL("unexpected result type");
        return NAN;
    }
}

/* The reference of op over the axes in `axis` (a bit per axis), for the
 * output at flat index o of the kept axes, in long double. */
static double
reference(const char *op, unsigned axis, lz_dtype t, const void *data, int64_t o)
{
    const int64_t shape[3] = {S0, S1, S2};
    int64_t kept[3] = {0, 0, 0};
    for (int a = 2; a >= 0; a--)
        if (!(axis & 1u << a)) {
            kept[a] = o % shape[a];
            o /= shape[a];
        }
    long double sum = 0, sq = 0, best = 0;
    int64_t n = 0, best_at = 0;
    int64_t lo[3], hi[3]; /* the reduced axes whole, the kept ones at the output */
    for (int a = 0; a < 3; a++) {
        lo[a] = axis & 1u << a ? 0 : kept[a];
        hi[a] = axis & 1u << a ? shape[a] : kept[a] + 1;
    }
    for (int64_t i = lo[0]; i < hi[0]; i++)
        for (int64_t j = lo[1]; j < hi[1]; j++)
            for (int64_t k = lo[2]; k < hi[2]; k++) {
                double x = element_as_double(t, data, (i * S1 + j) * S2 + k);
                if (n == 0 || (!strcmp(op, "min") ? x < best : x > best)) {
                    best = x;
                    best_at = n;
                }
                sum += x;
                sq += (long double)x * x;
                n++;
            }
    if (!strcmp(op, "sum"))
        return (double)sum;
    if (!strcmp(op, "mean"))
        return (double)(sum / n);
    if (!strcmp(op, "std")) {
        long double mean = sum / n, var = sq / n - mean * mean;
        return sqrt((double)(var > 0 ? var : 0));
    }
    if (!strcmp(op, "argmax"))
        return (double)best_at;
    return (double)best; /* min, max */
}

typedef struct typed_case {
    lz_dtype dtype;
    const void *data;
    const char *name;
} typed_case;

static void
test_typed_sources_same_bits(void)
{
    fill_typed();
    static const typed_case types[] = {
        {LZ_FLOAT32, f32, "float32"}, {LZ_INT16, i16, "int16"}, {LZ_UINT8, u8, "uint8"}, {LZ_INT32, i32, "int32"}};
    /* No grid; whole leading steps (1, S1, S2): the grid cuts only axis 0,
     * so sum(x, axis=1) is scanned in pieces of outputs; an odd grid; chunk
     * size 1 everywhere. */
    static const int64_t chunkings[][3] = {{0, 0, 0}, {1, S1, S2}, {2, 7, 33}, {1, 1, 1}};
    static const char *const ops[] = {"sum", "mean", "std", "min", "argmax"};
    static const struct {
        const char *text;
        unsigned bits;
    } axes[] = {{"0", 1}, {"1", 2}, {"2", 4}, {"(0, 2)", 5}, {"None", 7}};
    static const size_t budgets[] = {0, 64 << 10, 8 << 10};
    static unsigned char first[SN * 8], got[SN * 8];
    for (size_t t = 0; t < sizeof types / sizeof *types; t++)
        for (size_t o = 0; o < sizeof ops / sizeof *ops; o++)
            for (size_t a = 0; a < sizeof axes / sizeof *axes; a++) {
                if (!strcmp(ops[o], "argmax") && strchr(axes[a].text, ','))
                    continue; /* one axis or none */
                char text[64];
                snprintf(text, sizeof text, "%s(x, axis=%s)", ops[o], axes[a].text);
                bool have_first = false, all_same = true, close = true;
                for (size_t c = 0; c < sizeof chunkings / sizeof *chunkings; c++)
                    for (size_t bi = 0; bi < sizeof budgets / sizeof *budgets; bi++)
                        for (int threads = 1; threads <= 3; threads += 2) {
                            lz_config cfg;
                            lz_config_init(&cfg);
                            cfg.threads = threads;
                            if (budgets[bi])
                                cfg.memory_bytes = budgets[bi];
                            lz_ctx *ctx = lz_ctx_new(&cfg);
                            lz_source src;
                            lz_source_init_memory(&src, types[t].dtype, 3, (int64_t[]){S0, S1, S2}, types[t].data);
                            memcpy(src.chunk, chunkings[c], sizeof chunkings[c]);
                            const lz_source *srcs[1] = {&src};
                            lz_expr *e = NULL;
                            lz_graph *g = NULL;
                            CU_ASSERT_EQUAL_FATAL(lz_expr_parse(ctx, text, &e), LZ_OK);
                            CU_ASSERT_EQUAL_FATAL(lz_graph_new(ctx, e, srcs, &g), LZ_OK);
                            lz_box box;
                            lz_box_full(&box, lz_graph_rank(g), lz_graph_shape(g));
                            int64_t n = 1;
                            for (int k = 0; k < box.rank; k++)
                                n *= box.count[k];
                            lz_dtype rt = lz_graph_dtype(g);
                            size_t bytes = (size_t)n * lz_dtype_size(rt);
                            CU_ASSERT_EQUAL(lz_graph_eval(g, &box, got, NULL), LZ_OK);
                            if (!have_first) {
                                memcpy(first, got, bytes);
                                have_first = true;
                                /* float32 results round once from double: one
                                 * float32 ulp; double ones 1e-12 relative. */
                                double tol = rt == LZ_FLOAT32 ? 1.2e-7 : 1e-12;
                                for (int64_t i = 0; i < n; i++) {
                                    double want = reference(ops[o], axes[a].bits, types[t].dtype, types[t].data, i);
                                    double have = element_as_double(rt, got, i);
                                    close &= fabs(have - want) <= tol * fabs(want) + 1e-300;
                                }
                            } else if (memcmp(first, got, bytes) != 0) {
                                all_same = false;
                                fprintf(stderr, "\n  %s of %s differs: chunks %zu, budget %zu, %d threads\n", text,
                                        types[t].name, c, budgets[bi], threads);
                            }
                            lz_graph_free(g);
                            lz_expr_free(e);
                            CU_ASSERT_EQUAL(lz_ctx_bytes_in_use(ctx), 0);
                            lz_ctx_free(ctx);
                        }
                if (!close)
                    fprintf(stderr, "\n  %s of %s is off the long double reference\n", text, types[t].name);
                CU_ASSERT(all_same);
                CU_ASSERT(close);
            }
}

/* Accumulators beyond a cache's worth (sum of 160,000 float64 outputs:
 * 2.5 MB with the compensation) are scanned in pieces of outputs, each
 * read in bands of rows through the whole reduced axis; the values do not
 * change, and a filtered source (whose chunks a band would decode once per
 * piece) is read in whole rows. */
enum { L0 = 3, L1 = 400, L2 = 400 };

static void
test_large_accumulators_in_pieces(void)
{
    static double big[L0 * L1 * L2], want[L1 * L2], got[L1 * L2];
    srand(31);
    for (int i = 0; i < L0 * L1 * L2; i++)
        big[i] = (double)(rand() % 20001 - 10000) / 64.0; /* sums of three are exact */
    for (int o = 0; o < L1 * L2; o++)
        want[o] = big[o] + big[L1 * L2 + o] + big[2 * L1 * L2 + o];
    for (int filtered = 0; filtered <= 1; filtered++)
        for (int threads = 1; threads <= 3; threads += 2) {
            counting c;
            counting_init(&c, 3, (int64_t[]){L0, L1, L2}, big);
            memcpy(c.src.chunk, (int64_t[]){1, L1, L2}, 3 * sizeof(int64_t));
            c.src.filtered = filtered;
            lz_config cfg;
            lz_config_init(&cfg);
            cfg.threads = threads;
            bound b;
            CU_ASSERT_EQUAL_FATAL(bind_text_with(&b, "sum(x, axis=0)", &c, 1, &cfg), LZ_OK);
            CU_ASSERT_EQUAL(eval_all(&b, got), LZ_OK);
            CU_ASSERT_EQUAL(memcmp(got, want, sizeof want), 0);
            CU_ASSERT_EQUAL(c.elements, L0 * L1 * L2); /* every element once */
            if (filtered) {
                CU_ASSERT_EQUAL(c.last.count[1], L1);
            } else {
                CU_ASSERT(c.last.count[1] < L1 && c.last.count[0] == L0); /* a band, all of axis 0 */
            }
            unbind(&b);
        }
}

/* sum(x, axis=1) of x chunked (1, y, z) under a budget too small for the
 * whole reduced extent of one chunk: pieces of one chunk's outputs, each
 * scanned in a few slabs, never pieces of a few outputs read in slivers
 * (pieces of 62 outputs here before, and of one output, a read each,
 * 413,000 reads, for the benchmark's sum(C, axis=1) with memory=16MiB). */
enum { W0 = 4, W1 = 64, W2 = 256 };

static void
test_small_budget_keeps_chunk_pieces(void)
{
    static double x[W0 * W1 * W2], got[W0 * W2];
    srand(41);
    for (int i = 0; i < W0 * W1 * W2; i++)
        x[i] = (double)(rand() % 2001 - 1000);
    counting c;
    counting_init(&c, 3, (int64_t[]){W0, W1, W2}, x);
    memcpy(c.src.chunk, (int64_t[]){1, W1, W2}, 3 * sizeof(int64_t));
    bound b;
    CU_ASSERT_EQUAL_FATAL(bind_text(&b, "sum(x, axis=1)", &c, 1, 64 << 10), LZ_OK);
    CU_ASSERT_EQUAL(eval_all(&b, got), LZ_OK);
    bool right = true;
    for (int i = 0; i < W0; i++)
        for (int k = 0; k < W2; k++) {
            double sum = 0; /* integers: exact */
            for (int j = 0; j < W1; j++)
                sum += x[(i * W1 + j) * W2 + k];
            right &= got[i * W2 + k] == sum;
        }
    CU_ASSERT(right);
    CU_ASSERT_EQUAL(c.elements, W0 * W1 * W2);
    CU_ASSERT_EQUAL(c.last.count[2], W2); /* whole rows of a chunk, not slivers */
    CU_ASSERT(c.reads <= W0 * 8);
    unbind(&b);
}

void
register_reduce_typed_suite(void)
{
    CU_pSuite s = CU_add_suite("reductions of typed, chunked sources", NULL, NULL);
    CU_add_test(s, "float32 and narrow integers: same bits everywhere, right values", test_typed_sources_same_bits);
    CU_add_test(s, "large accumulators scanned in pieces of outputs", test_large_accumulators_in_pieces);
    CU_add_test(s, "a small budget still reads chunks in few pieces", test_small_budget_keeps_chunk_pieces);
}
