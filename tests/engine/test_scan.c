/* test_scan.c — issue 13 part B: scans, take and integer-list indexing,
 * diff, sliding windows and average, against element-by-element
 * references computed here, under budgets down to a few bytes and chunks
 * of one; and what they read: a forward strip walk over a scan reads each
 * source element about once (its carries kept in the result cache), a take
 * reads only the rows it names. */
#include "engine_test.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { S0 = 13, S1 = 7, S2 = 5, SN = S0 * S1 * S2 };
static double sdata[SN];

static void
fill(unsigned seed, bool with_nan)
{
    srand(seed);
    for (int i = 0; i < SN; i++)
        sdata[i] = (double)(rand() % 2001 - 1000) / 7.0; /* inexact: sums round */
    if (with_nan)
        for (int i = 0; i < SN; i += 11)
            sdata[i] = NAN;
}

/* The scan of sdata along `axis` (-1: flattened), as numpy computes it. */
static void
reference_scan(int axis, bool product, bool skipna, double *out)
{
    int64_t shape[3] = {S0, S1, S2};
    if (axis < 0) {
        double acc = 0;
        for (int i = 0; i < SN; i++) {
            double v = sdata[i];
            if (skipna && isnan(v))
                v = product ? 1 : 0;
            acc = i == 0 ? v : product ? acc * v : acc + v;
            out[i] = acc;
        }
        return;
    }
    int64_t stride = 1;
    for (int k = 2; k > axis; k--)
        stride *= shape[k];
    for (int i = 0; i < SN; i++) {
        int64_t pos = (i / stride) % shape[axis];
        double v = sdata[i];
        if (skipna && isnan(v))
            v = product ? 1 : 0;
        out[i] = pos == 0 ? v : product ? out[i - stride] * v : out[i - stride] + v;
    }
}

/* The elements of `box` of a dense C-order array of `shape`. */
static void
gather(const double *full, int rank, const int64_t *shape, const lz_box *box, double *out)
{
    int64_t idx[LZ_MAX_RANK] = {0}, n;
    lz_box_nelem(box, &n);
    for (int64_t e = 0; e < n; e++) {
        int64_t off = 0;
        for (int k = 0; k < rank; k++)
            off = off * shape[k] + box->start[k] + idx[k] * box->step[k];
        out[e] = full[off];
        for (int k = rank - 1; k >= 0; k--) {
            if (++idx[k] < box->count[k])
                break;
            idx[k] = 0;
        }
    }
}

static void
random_box(int rank, const int64_t *shape, lz_box *box)
{
    box->rank = rank;
    for (int k = 0; k < rank; k++) {
        box->start[k] = rand() % shape[k];
        box->step[k] = 1 + rand() % 3;
        int64_t room = (shape[k] - 1 - box->start[k]) / box->step[k] + 1;
        box->count[k] = 1 + rand() % room;
    }
}

static bool
same_bits(const double *a, const double *b, int64_t n)
{
    return memcmp(a, b, (size_t)n * sizeof *a) == 0;
}

/* Every scan, along every axis and flattened, bit for bit, for the whole
 * array and random boxes, with budgets down to 64 bytes and chunks of 1. */
static void
test_scans_bit_exact(void)
{
    static const char *const fns[] = {"cumsum", "cumprod", "nancumsum", "nancumprod"};
    static double want[SN], got[SN], part[SN];
    static const size_t budgets[] = {0, 4096, 64};
    for (int f = 0; f < 4; f++) {
        fill(10 + (unsigned)f, f >= 2);
        if (f == 1 || f == 3) /* products: values near 1, so they stay finite */
            for (int i = 0; i < SN; i++)
                sdata[i] = isnan(sdata[i]) ? NAN : 1.0 + sdata[i] / 4096.0;
        for (int axis = -1; axis < 3; axis++) {
            reference_scan(axis, f % 2 == 1, f >= 2, want);
            for (size_t bi = 0; bi < sizeof budgets / sizeof budgets[0]; bi++) {
                counting c;
                counting_init(&c, 3, (int64_t[]){S0, S1, S2}, sdata);
                if (bi == 2)
                    c.src.chunk[0] = c.src.chunk[1] = c.src.chunk[2] = 1;
                char text[64];
                if (axis < 0)
                    snprintf(text, sizeof text, "%s(x)", fns[f]);
                else
                    snprintf(text, sizeof text, "%s(x, axis=%d)", fns[f], axis);
                bound b;
                CU_ASSERT_EQUAL_FATAL(bind_text(&b, text, &c, 1, budgets[bi]), LZ_OK);
                CU_ASSERT_EQUAL(eval_all(&b, got), LZ_OK);
                CU_ASSERT(same_bits(got, want, SN));
                int rank = axis < 0 ? 1 : 3;
                int64_t shape1[1] = {SN}, shape3[3] = {S0, S1, S2};
                const int64_t *shape = axis < 0 ? shape1 : shape3;
                for (int t = 0; t < 20; t++) {
                    lz_box box;
                    random_box(rank, shape, &box);
                    int64_t n;
                    lz_box_nelem(&box, &n);
                    CU_ASSERT_EQUAL(lz_graph_eval(b.graph, &box, got, NULL), LZ_OK);
                    gather(want, rank, shape, &box, part);
                    CU_ASSERT(same_bits(got, part, n));
                }
                unbind(&b);
            }
        }
    }
}

/* numpy's integer scans: int8 accumulates in int64, uint16 in uint64, an
 * int64 sum wraps, and dtype="int8" wraps at 8 bits. */
static void
test_integer_scans(void)
{
    int8_t i8[6] = {100, 100, 100, -128, -1, 5};
    test_array a = {LZ_INT8, 1, {6}, i8};
    int64_t out64[6];
    lz_dtype t;
    CU_ASSERT_EQUAL(eval_full("cumsum(x)", &a, 1, 0, out64, &t, NULL), LZ_OK);
    CU_ASSERT_EQUAL(t, LZ_INT64);
    int64_t want[6] = {100, 200, 300, 172, 171, 176};
    CU_ASSERT(memcmp(out64, want, sizeof want) == 0);
    int8_t out8[6];
    CU_ASSERT_EQUAL(eval_full("cumsum(x, dtype=\"int8\")", &a, 1, 0, out8, &t, NULL), LZ_OK);
    CU_ASSERT_EQUAL(t, LZ_INT8);
    for (int i = 0; i < 6; i++)
        CU_ASSERT_EQUAL(out8[i], (int8_t)(uint8_t)(want[i] & 0xff));
    int64_t big[3] = {INT64_MAX, 1, 1};
    test_array b = {LZ_INT64, 1, {3}, big};
    CU_ASSERT_EQUAL(eval_full("cumsum(x)", &b, 1, 0, out64, &t, NULL), LZ_OK);
    CU_ASSERT_EQUAL(out64[1], INT64_MIN);
    CU_ASSERT_EQUAL(out64[2], INT64_MIN + 1);
    uint16_t u16[3] = {65535, 65535, 2};
    test_array u = {LZ_UINT16, 1, {3}, u16};
    uint64_t outu[3];
    CU_ASSERT_EQUAL(eval_full("cumprod(x)", &u, 1, 0, outu, &t, NULL), LZ_OK);
    CU_ASSERT_EQUAL(t, LZ_UINT64);
    CU_ASSERT_EQUAL(outu[2], (uint64_t)65535 * 65535 * 2);
}

/* A leading -0.0 stays -0.0 (numpy's first element is a copy), and a
 * leading NaN of nancumsum counts as 0. */
static void
test_scan_first_element(void)
{
    double v[3] = {-0.0, NAN, 1.5};
    test_array a = {LZ_FLOAT64, 1, {3}, v};
    double out[3];
    CU_ASSERT_EQUAL(eval_full("nancumsum(x)", &a, 1, 0, out, NULL, NULL), LZ_OK);
    CU_ASSERT(signbit(out[0]) && out[0] == 0);
    CU_ASSERT(out[1] == 0 && out[2] == 1.5);
    double w[2] = {NAN, -2};
    test_array b = {LZ_FLOAT64, 1, {2}, w};
    CU_ASSERT_EQUAL(eval_full("nancumprod(x)", &b, 1, 0, out, NULL, NULL), LZ_OK);
    CU_ASSERT(out[0] == 1 && out[1] == -2);
}

enum { W0 = 400, W1 = 30 };
static double wdata[W0 * W1];

/* Elements read by a walk over `text` in strips of `rows` rows (or flat
 * elements for a 1-D result), checking every strip against `want`. */
static int64_t
strip_walk(const char *text, size_t cache_bytes, int64_t rows, const double *want)
{
    counting c;
    counting_init(&c, 2, (int64_t[]){W0, W1}, wdata);
    lz_config cfg;
    lz_config_init(&cfg);
    cfg.cache_bytes = cache_bytes;
    bound b;
    CU_ASSERT_EQUAL_FATAL(bind_text_with(&b, text, &c, 1, &cfg), LZ_OK);
    int rank = lz_graph_rank(b.graph);
    const int64_t *shape = lz_graph_shape(b.graph);
    static double got[W0 * W1];
    for (int64_t r = 0; r < shape[0]; r += rows) {
        lz_box box;
        lz_box_full(&box, rank, shape);
        box.start[0] = r;
        box.count[0] = r + rows <= shape[0] ? rows : shape[0] - r;
        CU_ASSERT_EQUAL(lz_graph_eval(b.graph, &box, got, NULL), LZ_OK);
        int64_t inner = rank == 2 ? W1 : 1;
        CU_ASSERT(same_bits(got, want + r * inner, box.count[0] * inner));
    }
    unbind(&b);
    return c.elements;
}

/* The carries in the result cache: a forward walk in strips of 10 rows
 * reads each element once; without the cache it rescans from row 0 for
 * every strip (about 20 times as much here). */
static void
test_strip_walk_reads_once(void)
{
    fill(3, false);
    for (int i = 0; i < W0 * W1; i++)
        wdata[i] = sdata[i % SN] + i;
    static double want[W0 * W1];
    for (int i = 0; i < W0 * W1; i++)
        want[i] = i < W1 ? wdata[i] : want[i - W1] + wdata[i];
    int64_t cached = strip_walk("cumsum(x, axis=0)", (size_t)1 << 20, 10, want);
    int64_t uncached = strip_walk("cumsum(x, axis=0)", 0, 10, want);
    CU_ASSERT_EQUAL(cached, W0 * W1);
    CU_ASSERT(uncached > 15 * W0 * W1);
    /* Flattened: strips of 50 elements of the 1-D result. */
    for (int i = 0; i < W0 * W1; i++)
        want[i] = i == 0 ? wdata[0] : want[i - 1] + wdata[i];
    CU_ASSERT_EQUAL(strip_walk("cumsum(x)", (size_t)1 << 20, 50, want), W0 * W1);
}

/* A scan of 94 KiB read whole in a budget of 8 KiB stays within it (plus
 * the tiles and the graph, as test_eval allows) and gives the same bits. */
static void
test_scan_within_budget(void)
{
    for (int i = 0; i < W0 * W1; i++)
        wdata[i] = (double)(i % 101) / 3.0;
    static double want[W0 * W1], got[W0 * W1];
    for (int i = 0; i < W0 * W1; i++)
        want[i] = i < W1 ? wdata[i] : want[i - W1] + wdata[i];
    counting c;
    counting_init(&c, 2, (int64_t[]){W0, W1}, wdata);
    bound b;
    size_t budget = 8 << 10;
    CU_ASSERT_EQUAL_FATAL(bind_text(&b, "cumsum(x, axis=0)", &c, 1, budget), LZ_OK);
    CU_ASSERT_EQUAL(eval_all(&b, got), LZ_OK);
    CU_ASSERT(same_bits(got, want, W0 * W1));
    CU_ASSERT(lz_ctx_peak_bytes(b.ctx) <= budget + 64 * 1024);
    CU_ASSERT_EQUAL(c.elements, W0 * W1); /* the pieces carry on from each other */
    unbind(&b);
}

/* take and x[:, [...]] read only the rows named, a run of them at once. */
static void
test_take_reads_only_named_rows(void)
{
    for (int i = 0; i < W0 * W1; i++)
        wdata[i] = i;
    counting c;
    counting_init(&c, 2, (int64_t[]){W0, W1}, wdata);
    bound b;
    CU_ASSERT_EQUAL_FATAL(bind_text(&b, "take(x, [3, 4, 5, 10, 200, -1, 3], axis=0)", &c, 1, 0), LZ_OK);
    static double got[7 * W1];
    CU_ASSERT_EQUAL(eval_all(&b, got), LZ_OK);
    static const int rows[7] = {3, 4, 5, 10, 200, W0 - 1, 3};
    bool ok = true;
    for (int r = 0; r < 7; r++)
        for (int j = 0; j < W1; j++)
            ok = ok && got[r * W1 + j] == wdata[rows[r] * W1 + j];
    CU_ASSERT(ok);
    CU_ASSERT_EQUAL(c.elements, 7 * W1);
    CU_ASSERT_EQUAL(c.reads, 4); /* 3:6, then 10 and 200 (one strided box), 399, 3 */
    int64_t est[1];
    lz_box box;
    lz_box_full(&box, 2, lz_graph_shape(b.graph));
    CU_ASSERT_EQUAL(lz_graph_estimate_reads(b.graph, 0, &box, est), LZ_OK);
    CU_ASSERT_EQUAL(est[0], 7 * W1);
    unbind(&b);

    counting_init(&c, 2, (int64_t[]){W0, W1}, wdata);
    CU_ASSERT_EQUAL_FATAL(bind_text(&b, "x[10:20, [7, 0, 29]]", &c, 1, 0), LZ_OK);
    CU_ASSERT_EQUAL(eval_all(&b, got), LZ_OK);
    ok = true;
    for (int r = 0; r < 10; r++)
        for (int j = 0; j < 3; j++)
            ok = ok && got[r * 3 + j] == wdata[(10 + r) * W1 + (j == 0 ? 7 : j == 1 ? 0 : 29)];
    CU_ASSERT(ok);
    CU_ASSERT_EQUAL(c.elements, 30);
    unbind(&b);
}

/* take over random boxes, flattened and along axes, chunks of one, tiny
 * budgets, against indexing done here. */
static void
test_take_random_boxes(void)
{
    fill(5, false);
    static const char *const texts[] = {"take(x, [12, 0, 0, 5, 6, 7, 1], axis=0)",
                                        "take(x, [4, 4, 3, 0, 1, 2], axis=2)", "take(x, [400, -1, 2, 3, 4, 0])",
                                        "x[[2, 9], 1, ::2]", "x[1, :, [4, 0]]"};
    static double want[2 * SN], got[2 * SN], part[2 * SN]; /* take(..., axis=2) has 6/5 of x */
    for (size_t e = 0; e < sizeof texts / sizeof texts[0]; e++) {
        for (int chunked = 0; chunked < 2; chunked++) {
            counting c;
            counting_init(&c, 3, (int64_t[]){S0, S1, S2}, sdata);
            if (chunked)
                c.src.chunk[0] = c.src.chunk[1] = c.src.chunk[2] = 1;
            bound b;
            CU_ASSERT_EQUAL_FATAL(bind_text(&b, texts[e], &c, 1, chunked ? 64 : 0), LZ_OK);
            int rank = lz_graph_rank(b.graph);
            const int64_t *shape = lz_graph_shape(b.graph);
            CU_ASSERT_EQUAL(eval_all(&b, got), LZ_OK);
            /* The reference, element by element. */
            lz_box full;
            lz_box_full(&full, rank, shape);
            int64_t n, idx[LZ_MAX_RANK] = {0};
            lz_box_nelem(&full, &n);
            for (int64_t i = 0; i < n; i++) {
                int64_t a, bb, cc;
                switch (e) {
                case 0: a = (int64_t[]){12, 0, 0, 5, 6, 7, 1}[idx[0]], bb = idx[1], cc = idx[2]; break;
                case 1: a = idx[0], bb = idx[1], cc = (int64_t[]){4, 4, 3, 0, 1, 2}[idx[2]]; break;
                case 2: {
                    int64_t f = (int64_t[]){400, SN - 1, 2, 3, 4, 0}[idx[0]];
                    a = f / (S1 * S2), bb = f / S2 % S1, cc = f % S2;
                    break;
                }
                case 3: a = idx[0] ? 9 : 2, bb = 1, cc = 2 * idx[1]; break;
                default: a = 1, bb = idx[1], cc = idx[0] ? 0 : 4; break; /* list axis first */
                }
                want[i] = sdata[(a * S1 + bb) * S2 + cc];
                for (int k = rank - 1; k >= 0; k--) {
                    if (++idx[k] < shape[k])
                        break;
                    idx[k] = 0;
                }
            }
            CU_ASSERT(same_bits(got, want, n));
            for (int t = 0; t < 20; t++) {
                lz_box box;
                random_box(rank, shape, &box);
                CU_ASSERT_EQUAL(lz_graph_eval(b.graph, &box, got, NULL), LZ_OK);
                gather(want, rank, shape, &box, part);
                lz_box_nelem(&box, &n);
                CU_ASSERT(same_bits(got, part, n));
            }
            unbind(&b);
        }
    }
}

/* sliding windows, bit for bit, and a running mean from them in a budget
 * far below the windows' size: within it, and reading each element a
 * bounded number of times. */
static void
test_windows(void)
{
    fill(7, false);
    counting c;
    counting_init(&c, 3, (int64_t[]){S0, S1, S2}, sdata);
    bound b;
    CU_ASSERT_EQUAL_FATAL(bind_text(&b, "sliding_window_view(x, (3, 2), axis=(0, 2))", &c, 1, 0), LZ_OK);
    const int64_t *shape = lz_graph_shape(b.graph);
    CU_ASSERT_EQUAL(lz_graph_rank(b.graph), 5);
    CU_ASSERT(shape[0] == S0 - 2 && shape[1] == S1 && shape[2] == S2 - 1 && shape[3] == 3 && shape[4] == 2);
    static double got[SN * 6], want[SN * 6], part[SN * 6];
    CU_ASSERT_EQUAL(eval_all(&b, got), LZ_OK);
    int64_t n = 0;
    for (int i = 0; i < S0 - 2; i++)
        for (int j = 0; j < S1; j++)
            for (int k = 0; k < S2 - 1; k++)
                for (int u = 0; u < 3; u++)
                    for (int v = 0; v < 2; v++)
                        want[n++] = sdata[((i + u) * S1 + j) * S2 + k + v];
    CU_ASSERT(same_bits(got, want, n));
    for (int t = 0; t < 30; t++) {
        lz_box box;
        random_box(5, shape, &box);
        CU_ASSERT_EQUAL(lz_graph_eval(b.graph, &box, got, NULL), LZ_OK);
        gather(want, 5, shape, &box, part);
        int64_t m;
        lz_box_nelem(&box, &m);
        CU_ASSERT(same_bits(got, part, m));
    }
    unbind(&b);

    /* A 25-step running mean of 2000 rows of 30 in a budget of 16 KiB (the
     * windows are 11 MiB). */
    enum { R = 2000, C = 30, WIN = 25 };
    static double big[R * C], mean[(R - WIN + 1) * C];
    for (int i = 0; i < R * C; i++)
        big[i] = (double)(i % 977) / 3.0;
    counting_init(&c, 2, (int64_t[]){R, C}, big);
    size_t budget = 16 << 10;
    CU_ASSERT_EQUAL_FATAL(bind_text(&b, "mean(sliding_window_view(x, 25, axis=0), axis=-1)", &c, 1, budget), LZ_OK);
    CU_ASSERT_EQUAL(eval_all(&b, mean), LZ_OK);
    bool ok = true;
    for (int i = 0; i < R - WIN + 1; i++)
        for (int j = 0; j < C; j++) {
            double s = 0;
            for (int w = 0; w < WIN; w++)
                s += big[(i + w) * C + j];
            ok = ok && fabs(mean[i * C + j] - s / WIN) <= 1e-12 * fabs(s / WIN) + 1e-300;
        }
    CU_ASSERT(ok);
    CU_ASSERT(lz_ctx_peak_bytes(b.ctx) <= budget + 64 * 1024); /* budget plus tiles and graph, as test_eval's */
    CU_ASSERT(c.elements <= (int64_t)WIN * R * C); /* never more than the windows themselves */
    unbind(&b);
    /* In the default budget the slabs hold whole windows: the series is
     * read about once (each slab's range overlaps the next by WIN - 1). */
    counting_init(&c, 2, (int64_t[]){R, C}, big);
    CU_ASSERT_EQUAL_FATAL(bind_text(&b, "mean(sliding_window_view(x, 25, axis=0), axis=-1)", &c, 1, 0), LZ_OK);
    CU_ASSERT_EQUAL(eval_all(&b, mean), LZ_OK);
    CU_ASSERT(c.elements <= R * C + R * C / 5);
    unbind(&b);
}

/* diff is a[1:] - a[:-1], n times; past the extent it is empty. */
static void
test_diff(void)
{
    double v[5] = {1, 4, 9, 16, 25};
    test_array a = {LZ_FLOAT64, 1, {5}, v};
    double out[5];
    CU_ASSERT_EQUAL(eval_full("diff(x, n=2)", &a, 1, 0, out, NULL, NULL), LZ_OK);
    CU_ASSERT(out[0] == 2 && out[1] == 2 && out[2] == 2);
    uint8_t u[3] = {5, 3, 250};
    test_array b = {LZ_UINT8, 1, {3}, u};
    uint8_t du[2];
    lz_dtype t;
    CU_ASSERT_EQUAL(eval_full("diff(x)", &b, 1, 0, du, &t, NULL), LZ_OK);
    CU_ASSERT(t == LZ_UINT8 && du[0] == 254 && du[1] == 247); /* wraps, as numpy's */
    lz_error err;
    CU_ASSERT_EQUAL(eval_full("diff(x, n=-1)", &a, 1, 0, out, NULL, &err), LZ_EVALUE);
    CU_ASSERT_PTR_NOT_NULL(strstr(err.message, "non-negative"));
}

/* average: weights along one axis; zero weights fail at read time with
 * average's message, never a number. */
static void
test_average(void)
{
    double x[6] = {1, 2, 3, 4, 5, 6}, w[3] = {1, 0, 3}, z[3] = {0, 0, 0};
    test_array ops[2] = {{LZ_FLOAT64, 2, {2, 3}, x}, {LZ_FLOAT64, 1, {3}, w}};
    double out[2];
    CU_ASSERT_EQUAL(eval_full("average(x, axis=1, weights=w)", ops, 2, 0, out, NULL, NULL), LZ_OK);
    CU_ASSERT(out[0] == 10.0 / 4 && out[1] == 22.0 / 4);
    ops[1].data = z;
    lz_error err;
    CU_ASSERT_EQUAL(eval_full("average(x, axis=1, weights=w)", ops, 2, 0, out, NULL, &err), LZ_EVALUE);
    CU_ASSERT_PTR_NOT_NULL(strstr(err.message, "weights sum to zero"));
    CU_ASSERT_EQUAL(eval_full("average(x, axis=0, weights=w)", ops, 2, 0, out, NULL, &err), LZ_ESHAPE);
}

/* Where the result's axes come from (dimension scales): a scan keeps its
 * axes, a picked axis and window axes have no origin, a windowed axis is
 * its windows' first elements; a flattened scan has none. */
static void
test_origins(void)
{
    static const struct {
        const char *text;
        int axis;
        size_t origins; /* 1: x's axis `axis` itself, step 1 */
        int x_axis;
    } rows[] = {
        {"cumsum(x, axis=1)", 0, 1, 0},  {"cumsum(x, axis=1)", 2, 1, 2}, {"nancumprod(x)", 0, 0, 0},
        {"take(x, [1, 2], axis=1)", 1, 0, 0}, {"take(x, [1, 2], axis=1)", 2, 1, 2},
        {"x[:, [3, 0]]", 1, 0, 0},       {"x[:, [3, 0]]", 0, 1, 0},
        {"sliding_window_view(x, 3, axis=0)", 0, 1, 0}, {"sliding_window_view(x, 3, axis=0)", 3, 0, 0},
        {"average(x, axis=1, weights=x[0, :, 0])", 1, 1, 2},
    };
    counting c;
    counting_init(&c, 3, (int64_t[]){S0, S1, S2}, sdata);
    for (size_t r = 0; r < sizeof rows / sizeof rows[0]; r++) {
        bound b;
        CU_ASSERT_EQUAL_FATAL(bind_text(&b, rows[r].text, &c, 1, 0), LZ_OK);
        lz_axis_origin o[4];
        size_t n = lz_graph_axis_origins(b.graph, 0, rows[r].axis, o, 4);
        CU_ASSERT_EQUAL(n, rows[r].origins);
        if (n == 1 && rows[r].origins == 1)
            CU_ASSERT(o[0].axis == rows[r].x_axis && o[0].start == 0 && o[0].step == 1);
        unbind(&b);
    }
}

/* Every allocation of a graph with every new node kind failed in turn:
 * each run reports LZ_ENOMEM and leaves nothing allocated, and the run that
 * succeeds gives the same bits as one without failures. */
static void
test_every_allocation_fails_cleanly(void)
{
    static const char text[] = "mean(sliding_window_view(x, 4, axis=0), axis=-1)[:30, :3] + "
                               "cumsum(x, axis=0)[5:35, [0, 7, 9]] + nancumsum(x)[:3] + "
                               "average(x, axis=0, weights=x[:, 0] * 0 + 1)[:3] + diff(x, axis=1)[:30, :3]";
    static double x[40 * 30];
    for (int i = 0; i < 40 * 30; i++)
        x[i] = (i % 97) * 0.25 - 3;
    lz_source s;
    lz_source_init_memory(&s, LZ_FLOAT64, 2, (int64_t[]){40, 30}, x);
    const lz_source *ps[1] = {&s};
    double want[90], got[90];
    int injected = 0;
    for (long n = -1;; n++) { /* -1: the run without failures */
        lz_config cfg;
        lz_config_init(&cfg);
        cfg.memory_bytes = 4096; /* small pieces and slabs: more allocations, more paths */
        lz_ctx *ctx = lz_ctx_new(&cfg);
        if (n >= 0)
            lz_ctx_fail_allocation_after(ctx, n);
        lz_expr *e = NULL;
        lz_graph *g = NULL;
        lz_status st = lz_expr_parse(ctx, text, &e);
        if (st == LZ_OK)
            st = lz_graph_new(ctx, e, ps, &g);
        if (st == LZ_OK) {
            lz_box box;
            lz_box_full(&box, 2, (int64_t[]){30, 3});
            st = lz_graph_eval(g, &box, n < 0 ? want : got, NULL);
        }
        lz_graph_free(g);
        lz_expr_free(e);
        CU_ASSERT_EQUAL(lz_ctx_bytes_in_use(ctx), 0);
        if (st != LZ_OK) {
            CU_ASSERT_EQUAL(st, LZ_ENOMEM);
            CU_ASSERT_EQUAL(lz_ctx_error(ctx)->code, LZ_ENOMEM);
            injected++;
        }
        lz_ctx_free(ctx);
        CU_ASSERT_FATAL(n >= 0 || st == LZ_OK);
        if (n >= 0 && st == LZ_OK)
            break;
        CU_ASSERT_FATAL(n < 100000);
    }
    CU_ASSERT(injected > 20);
    CU_ASSERT(same_bits(got, want, 90));
}

void
register_scan_suite(void)
{
    CU_pSuite s = CU_add_suite("scans, picking, windows", NULL, NULL);
    CU_add_test(s, "scans bit for bit under every budget", test_scans_bit_exact);
    CU_add_test(s, "integer scans as numpy's", test_integer_scans);
    CU_add_test(s, "a scan's first element is a copy", test_scan_first_element);
    CU_add_test(s, "a forward strip walk reads each element once", test_strip_walk_reads_once);
    CU_add_test(s, "a scan within a small budget", test_scan_within_budget);
    CU_add_test(s, "take reads only the rows named", test_take_reads_only_named_rows);
    CU_add_test(s, "take over random boxes", test_take_random_boxes);
    CU_add_test(s, "sliding windows and a running mean in a small budget", test_windows);
    CU_add_test(s, "diff", test_diff);
    CU_add_test(s, "average and its zero weights", test_average);
    CU_add_test(s, "origins of scanned, picked and windowed axes", test_origins);
    CU_add_test(s, "every allocation fails cleanly", test_every_allocation_fails_cleanly);
}
