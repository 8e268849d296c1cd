/* test_order.c — order statistics (median, quantile, percentile and the
 * nan* forms): values against a reference that sorts (numpy's formulas
 * written out here over the sorted values), NaN, ±0, ±inf, ties, all-equal,
 * empty axes, 0-d, every dtype, the same results in memory and in passes
 * (a tiny budget), how often the passes read, and what binding refuses. */
#include "engine_test.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int
cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    if (isnan(x) || isnan(y))
        return isnan(x) - isnan(y); /* NaN last, as numpy sorts */
    return (x > y) - (x < y);
}

/* numpy's quantile of v[0..n) (float64 data, float64 result) by sorting. */
static double
ref_quantile(const double *v, int64_t n, double q, const char *method, bool skipna)
{
    double *s = malloc((size_t)(n ? n : 1) * sizeof *s);
    memcpy(s, v, (size_t)n * sizeof *s);
    qsort(s, (size_t)n, sizeof *s, cmp_double);
    int64_t m = n;
    while (m > 0 && isnan(s[m - 1]))
        m--;
    double r;
    if ((m < n && !skipna) || m == 0) {
        r = NAN;
    } else if (!strcmp(method, "median")) {
        r = m % 2 ? s[m / 2] : (s[m / 2 - 1] + s[m / 2]) / 2.0;
    } else {
        double x = (double)(m - 1) * q;
        if (!strcmp(method, "lower")) {
            r = s[(int64_t)floor(x)];
        } else if (!strcmp(method, "higher")) {
            r = s[(int64_t)ceil(x)];
        } else if (!strcmp(method, "nearest")) {
            r = s[(int64_t)nearbyint(x)];
        } else {
            double vi = !strcmp(method, "midpoint") ? 0.5 * (floor(x) + ceil(x)) : x;
            bool last = vi >= (double)(m - 1);
            int64_t i = last ? m - 1 : (int64_t)floor(vi), j = last ? m - 1 : i + 1;
            double t = !strcmp(method, "midpoint") ? (fmod(vi, 1.0) == 0 ? 0 : 0.5)
                                                   : vi - (last ? -1.0 : floor(vi));
            double d = s[j] - s[i];
            r = t >= 0.5 ? s[j] - d * (1 - t) : s[i] + d * t;
        }
    }
    free(s);
    return r;
}

/* Same value (NaN alike, -0 == +0 as numpy's sort holds them). */
static bool
same(double a, double b)
{
    return (isnan(a) && isnan(b)) || a == b;
}

enum { N0 = 37, N1 = 8 };
static double data[N0 * N1];

static void
fill(unsigned seed)
{
    srand(seed);
    for (int i = 0; i < N0 * N1; i++)
        data[i] = (double)(rand() % 9 - 4) / 4.0; /* many ties */
    data[3] = -0.0;
    data[4] = 0.0;
    data[5 * N1 + 1] = INFINITY;
    data[6 * N1 + 1] = -INFINITY;
    data[7 * N1 + 2] = NAN;
    data[9 * N1 + 3] = NAN;
    for (int i = 0; i < N0; i++) { /* column 4 all NaN, column 5 all equal */
        data[i * N1 + 4] = NAN;
        data[i * N1 + 5] = 1.5;
    }
}

/* Every function and method over axis 0, against the reference, under a
 * budget large enough for memory and one that forces the passes. */
static void
test_values_and_methods(void)
{
    fill(7);
    test_array a = {LZ_FLOAT64, 2, {N0, N1}, data};
    static const char *const methods[] = {"linear", "lower", "higher", "nearest", "midpoint"};
    /* Written as floats: an integer q takes the element (numpy's integer
     * index path), which the reference does not compute. */
    static const double qs[] = {0.0, 0.1, 0.25, 0.5, 0.7, 0.999, 1.0};
    size_t budgets[] = {0, 2048};
    for (int skipna = 0; skipna < 2; skipna++) {
        for (size_t bi = 0; bi < 2; bi++) {
            char text[200];
            double out[N1];
            lz_error err;
            snprintf(text, sizeof text, "%smedian(a, axis=0)", skipna ? "nan" : "");
            CU_ASSERT_EQUAL_FATAL(eval_full(text, &a, 1, budgets[bi], out, NULL, &err), LZ_OK);
            for (int j = 0; j < N1; j++) {
                double col[N0];
                for (int i = 0; i < N0; i++)
                    col[i] = data[i * N1 + j];
                CU_ASSERT(same(out[j], ref_quantile(col, N0, 0.5, "median", skipna)));
            }
            for (size_t m = 0; m < 5; m++) {
                for (size_t k = 0; k < sizeof qs / sizeof *qs; k++) {
                    snprintf(text, sizeof text, "%squantile(a, %.17f, axis=0, method=\"%s\")", skipna ? "nan" : "",
                             qs[k], methods[m]);
                    CU_ASSERT_EQUAL_FATAL(eval_full(text, &a, 1, budgets[bi], out, NULL, &err), LZ_OK);
                    for (int j = 0; j < N1; j++) {
                        double col[N0];
                        for (int i = 0; i < N0; i++)
                            col[i] = data[i * N1 + j];
                        double want = ref_quantile(col, N0, qs[k], methods[m], skipna);
                        if (!same(out[j], want))
                            fprintf(stderr, "%s [%d] budget %zu: %g, want %g\n", text, j, budgets[bi], out[j], want);
                        CU_ASSERT(same(out[j], want));
                    }
                }
            }
        }
    }
}

/* q as a list adds a leading axis; percentile divides by 100. */
static void
test_list_of_q_and_percentile(void)
{
    fill(11);
    test_array a = {LZ_FLOAT64, 2, {N0, N1}, data};
    double out[3 * N1], one[N1];
    lz_error err;
    lz_dtype t;
    CU_ASSERT_EQUAL_FATAL(eval_full("nanpercentile(a, [10, 50, 90], axis=0)", &a, 1, 0, out, &t, &err), LZ_OK);
    CU_ASSERT_EQUAL(t, LZ_FLOAT64);
    static const double qs[] = {0.1, 0.5, 0.9};
    for (int k = 0; k < 3; k++) {
        char text[100];
        snprintf(text, sizeof text, "nanquantile(a, %.17g, axis=0)", qs[k]);
        CU_ASSERT_EQUAL_FATAL(eval_full(text, &a, 1, 0, one, NULL, &err), LZ_OK);
        for (int j = 0; j < N1; j++)
            CU_ASSERT(same(out[k * N1 + j], one[j]));
    }
    /* The whole array: the same in memory and in passes. Integer q takes
     * the extremes; 0.0 interpolates from -inf, and -inf + inf * 0 is NaN
     * in numpy's formula. */
    double whole[3], passes[3];
    CU_ASSERT_EQUAL(eval_full("nanquantile(a, [0, 1])", &a, 1, 0, whole, NULL, &err), LZ_OK);
    CU_ASSERT_EQUAL(eval_full("nanquantile(a, [0, 1])", &a, 1, 1024, passes, NULL, &err), LZ_OK);
    CU_ASSERT_EQUAL(whole[0], -INFINITY);
    CU_ASSERT_EQUAL(whole[1], INFINITY);
    for (int k = 0; k < 2; k++)
        CU_ASSERT(same(whole[k], passes[k]));
    CU_ASSERT_EQUAL(eval_full("nanquantile(a, [0.0, 0.5, 1.0])", &a, 1, 0, whole, NULL, &err), LZ_OK);
    CU_ASSERT_EQUAL(eval_full("nanquantile(a, [0.0, 0.5, 1.0])", &a, 1, 1024, passes, NULL, &err), LZ_OK);
    CU_ASSERT(isnan(whole[0]) && isnan(whole[2]) && !isnan(whole[1]));
    for (int k = 0; k < 3; k++)
        CU_ASSERT(same(whole[k], passes[k]));
}

/* Result types and values of every dtype: median of 1..6 is 3.5, the lower
 * quantile keeps the type, integer subtraction wraps as numpy's. */
static void
test_every_dtype(void)
{
    static const struct {
        lz_dtype t;
        lz_dtype median_type, quantile_type;
    } types[] = {
        {LZ_INT8, LZ_FLOAT64, LZ_FLOAT64},   {LZ_INT16, LZ_FLOAT64, LZ_FLOAT64},
        {LZ_INT32, LZ_FLOAT64, LZ_FLOAT64},  {LZ_INT64, LZ_FLOAT64, LZ_FLOAT64},
        {LZ_UINT8, LZ_FLOAT64, LZ_FLOAT64},  {LZ_UINT16, LZ_FLOAT64, LZ_FLOAT64},
        {LZ_UINT32, LZ_FLOAT64, LZ_FLOAT64}, {LZ_UINT64, LZ_FLOAT64, LZ_FLOAT64},
        {LZ_FLOAT32, LZ_FLOAT32, LZ_FLOAT32}, {LZ_FLOAT64, LZ_FLOAT64, LZ_FLOAT64},
    };
    for (size_t k = 0; k < sizeof types / sizeof *types; k++) {
        unsigned char raw[6 * 8];
        for (int i = 0; i < 6; i++) { /* 6 5 4 3 2 1, in the type */
            double v = 6 - i;
            size_t sz = lz_dtype_size(types[k].t);
            switch (types[k].t) {
            case LZ_FLOAT32: {
                float f = (float)v;
                memcpy(raw + i * sz, &f, sz);
                break;
            }
            case LZ_FLOAT64:
                memcpy(raw + i * sz, &v, sz);
                break;
            default: {
                uint64_t u = (uint64_t)v; /* little-endian: the low bytes */
                memcpy(raw + i * sz, &u, sz);
            }
            }
        }
        test_array a = {types[k].t, 1, {6}, raw};
        union {
            double f;
            float f32;
            unsigned char b[8];
        } out;
        lz_dtype t;
        lz_error err;
        CU_ASSERT_EQUAL_FATAL(eval_full("median(a)", &a, 1, 0, &out, &t, &err), LZ_OK);
        CU_ASSERT_EQUAL(t, types[k].median_type);
        CU_ASSERT_EQUAL(t == LZ_FLOAT32 ? out.f32 : out.f, 3.5);
        CU_ASSERT_EQUAL_FATAL(eval_full("quantile(a, 0.3)", &a, 1, 0, &out, &t, &err), LZ_OK);
        CU_ASSERT_EQUAL(t, types[k].quantile_type);
        CU_ASSERT_EQUAL(t == LZ_FLOAT32 ? out.f32 : out.f, 2.5); /* 5 * 0.3 = 1.5: 3 - (3 - 2) * 0.5 */
        CU_ASSERT_EQUAL_FATAL(eval_full("quantile(a, 0.3, method=\"lower\")", &a, 1, 0, &out, &t, &err), LZ_OK);
        CU_ASSERT_EQUAL(t, types[k].t);
        CU_ASSERT_EQUAL(memcmp(out.b, raw + 4 * lz_dtype_size(t), lz_dtype_size(t)), 0); /* 2 */
        CU_ASSERT_EQUAL_FATAL(eval_full("quantile(a, [0.3])", &a, 1, 0, &out, &t, &err), LZ_OK);
        CU_ASSERT_EQUAL(t, LZ_FLOAT64); /* a list is not weak: float32 computes in float64 */
    }
    /* int8: -128 and 127 differ by 255, which wraps to -1 in int8 as in
     * numpy's b - a; median adds in float64 instead. */
    int8_t w[2] = {-128, 127};
    test_array a = {LZ_INT8, 1, {2}, w};
    double out;
    lz_error err;
    CU_ASSERT_EQUAL(eval_full("quantile(a, 0.5)", &a, 1, 0, &out, NULL, &err), LZ_OK);
    CU_ASSERT_EQUAL(out, 127.5);
    CU_ASSERT_EQUAL(eval_full("median(a)", &a, 1, 0, &out, NULL, &err), LZ_OK);
    CU_ASSERT_EQUAL(out, -0.5);
    /* bool: median in float64, the discrete methods keep bool. */
    unsigned char bits[3] = {1, 0, 1};
    test_array bl = {LZ_BOOL, 1, {3}, bits};
    CU_ASSERT_EQUAL(eval_full("median(a)", &bl, 1, 0, &out, NULL, &err), LZ_OK);
    CU_ASSERT_EQUAL(out, 1.0);
    unsigned char b;
    lz_dtype t;
    CU_ASSERT_EQUAL(eval_full("quantile(a, 0.1, method=\"nearest\")", &bl, 1, 0, &b, &t, &err), LZ_OK);
    CU_ASSERT_EQUAL(t, LZ_BOOL);
    CU_ASSERT_EQUAL(b, 0);
    /* Integer q: numpy's quantile takes the element, in the input's type. */
    int16_t h[4] = {4, -9, 7, 1};
    test_array ha = {LZ_INT16, 1, {4}, h};
    int16_t hout[2];
    CU_ASSERT_EQUAL(eval_full("quantile(a, [0, 1])", &ha, 1, 0, hout, &t, &err), LZ_OK);
    CU_ASSERT_EQUAL(t, LZ_INT16);
    CU_ASSERT(hout[0] == -9 && hout[1] == 7);
}

/* Infinities interpolate as numpy's formula does (inf - inf is NaN);
 * empty axes give NaN for median; 0-d input is its own median. */
static void
test_edges(void)
{
    double v[2] = {1.0, INFINITY}, out[3];
    test_array a = {LZ_FLOAT64, 1, {2}, v};
    lz_error err;
    CU_ASSERT_EQUAL(eval_full("quantile(a, 1.0)", &a, 1, 0, out, NULL, &err), LZ_OK);
    CU_ASSERT(isnan(out[0]));
    CU_ASSERT_EQUAL(eval_full("quantile(a, 0.25, method=\"lower\")", &a, 1, 0, out, NULL, &err), LZ_OK);
    CU_ASSERT_EQUAL(out[0], 1.0);
    double e[1];
    test_array empty = {LZ_FLOAT64, 2, {0, 3}, e};
    CU_ASSERT_EQUAL(eval_full("median(a, axis=0)", &empty, 1, 0, out, NULL, &err), LZ_OK);
    CU_ASSERT(isnan(out[0]) && isnan(out[1]) && isnan(out[2]));
    CU_ASSERT_EQUAL(eval_full("nanquantile(a, 0.5, axis=0)", &empty, 1, 0, out, NULL, &err), LZ_OK);
    CU_ASSERT(isnan(out[0]) && isnan(out[2]));
    CU_ASSERT_EQUAL(eval_full("quantile(a, 0.5, axis=0)", &empty, 1, 0, out, NULL, &err), LZ_EVALUE);
    CU_ASSERT_PTR_NOT_NULL(strstr(err.message, "index -1 is out of bounds"));
    double s = -2.5;
    test_array scalar = {LZ_FLOAT64, 0, {0}, &s};
    CU_ASSERT_EQUAL(eval_full("median(a) + percentile(a, 99, method=\"higher\")", &scalar, 1, 0, out, NULL, &err),
                    LZ_OK);
    CU_ASSERT_EQUAL(out[0], -5.0);
    /* -0 and +0 are equal: the median of them is zero (either sign). */
    double z[4] = {-0.0, 0.0, -0.0, 0.0};
    test_array za = {LZ_FLOAT64, 1, {4}, z};
    CU_ASSERT_EQUAL(eval_full("median(a)", &za, 1, 0, out, NULL, &err), LZ_OK);
    CU_ASSERT_EQUAL(out[0], 0.0);
}

/* What binding refuses, in numpy's words. */
static void
test_errors(void)
{
    double v[4] = {1, 2, 3, 4}, out[4];
    test_array a = {LZ_FLOAT64, 1, {4}, v};
    unsigned char bits[2] = {0, 1};
    test_array bl = {LZ_BOOL, 1, {2}, bits};
    static const struct {
        const char *text;
        bool boolean;
        lz_status code;
        const char *message;
    } cases[] = {
        {"quantile(a, 1.5)", false, LZ_EVALUE, "Quantiles must be in the range [0, 1]"},
        {"nanquantile(a, [0.5, -0.1])", false, LZ_EVALUE, "Quantiles must be in the range [0, 1]"},
        {"percentile(a, 101)", false, LZ_EVALUE, "Percentiles must be in the range [0, 100]"},
        {"quantile(a, nan)", false, LZ_EVALUE, "Quantiles must be in the range [0, 1]"},
        {"quantile(a, 0.5, method=\"linaer\")", false, LZ_EVALUE, "'linaer' is not a valid method"},
        {"quantile(a, 0.5, method=\"hazen\")", false, LZ_EVALUE, "method 'hazen' is not supported"},
        {"median(a, axis=1)", false, LZ_EVALUE, "axis 1 is out of bounds for array of dimension 1"},
        {"quantile(a, a)", false, LZ_ETYPE, "needs q as a number or a list of numbers"},
        {"quantile(a, 0.5)", true, LZ_ETYPE, "cannot interpolate booleans"},
        {"percentile(a)", false, LZ_ETYPE, NULL},
    };
    for (size_t k = 0; k < sizeof cases / sizeof *cases; k++) {
        lz_error err = {0};
        lz_status st = eval_full(cases[k].text, cases[k].boolean ? &bl : &a, 1, 0, out, NULL, &err);
        CU_ASSERT_NOT_EQUAL(st, LZ_OK);
        if (cases[k].message) {
            CU_ASSERT_EQUAL(st, cases[k].code);
            if (!strstr(err.message, cases[k].message))
                fprintf(stderr, "%s: %s\n", cases[k].text, err.message);
            CU_ASSERT_PTR_NOT_NULL(strstr(err.message, cases[k].message));
        }
    }
}

/* A whole-array median that does not fit the budget reads the data a few
 * times (the passes), never holding it, and gives what memory gives. */
static void
test_passes_read_a_few_times(void)
{
    enum { N = 200000 };
    double *big = malloc(N * sizeof *big);
    srand(3);
    for (int i = 0; i < N; i++)
        big[i] = (double)rand() / RAND_MAX * 1000.0 - 500.0;
    big[17] = NAN;
    static const char *const exprs[] = {"median(x)", "nanmedian(x)",
                                        "nanpercentile(x, [1, 50, 99], method=\"midpoint\")"};
    for (size_t e = 0; e < sizeof exprs / sizeof *exprs; e++) {
        double small[3], large[3];
        int64_t shape[1] = {N};
        counting c;
        counting_init(&c, 1, shape, big);
        bound b;
        CU_ASSERT_EQUAL_FATAL(bind_text(&b, exprs[e], &c, 1, 256 << 10), LZ_OK);
        int passes = 0;
        CU_ASSERT_EQUAL(lz_graph_passes(b.graph, 0, &passes), LZ_OK);
        CU_ASSERT(passes > 1);
        CU_ASSERT_EQUAL(eval_all(&b, small), LZ_OK);
        /* Whole passes, no more than the bound, and at least two (one for
         * median(x): the first pass finds the NaN, which is the answer). */
        CU_ASSERT_EQUAL(c.elements % N, 0);
        CU_ASSERT(c.elements / N >= (e == 0 ? 1 : 2) && c.elements / N <= passes);
        CU_ASSERT(e != 0 || c.elements == N);
        CU_ASSERT(lz_ctx_peak_bytes(b.ctx) <= (size_t)256 << 10);
        unbind(&b);
        counting_init(&c, 1, shape, big);
        CU_ASSERT_EQUAL_FATAL(bind_text(&b, exprs[e], &c, 1, 0), LZ_OK);
        CU_ASSERT_EQUAL(lz_graph_passes(b.graph, 0, &passes), LZ_OK);
        CU_ASSERT_EQUAL(passes, 1);
        CU_ASSERT_EQUAL(eval_all(&b, large), LZ_OK);
        CU_ASSERT_EQUAL(c.elements, N);
        unbind(&b);
        int nq = e == 2 ? 3 : 1;
        for (int k = 0; k < nq; k++)
            CU_ASSERT(same(small[k], large[k]));
        if (e == 0)
            CU_ASSERT(isnan(small[0]));
    }
    free(big);
}

/* Outputs over an axis too long for the budget (a median over time of
 * columns that do not fit) are found in blocks: the passes read every
 * value a few times in all, not a few times per output, and give what
 * memory gives, down to the budget where one output is a block. */
static void
test_passes_take_outputs_in_blocks(void)
{
    enum { T = 20000, M = 24 };
    double *big = malloc((size_t)T * M * sizeof *big);
    srand(5);
    for (int i = 0; i < T * M; i++)
        big[i] = (double)(rand() % 5000) * 0.25 - 300.0; /* many ties */
    big[7 * M + 3] = NAN;
    static const char *const exprs[] = {"median(x, axis=0)", "nanquantile(x, [0.1, 0.9], axis=0, keepdims=true)",
                                        "percentile(x[::2, 1::3], 50, axis=0, method=\"nearest\")"};
    for (size_t e = 0; e < sizeof exprs / sizeof *exprs; e++) {
        for (int budget = 0; budget < 2; budget++) {
            double small[2 * M], large[2 * M];
            int64_t shape[2] = {T, M};
            counting c;
            counting_init(&c, 2, shape, big);
            bound b;
            size_t bytes = budget == 0 ? (size_t)256 << 10 : (size_t)24 << 10;
            CU_ASSERT_EQUAL_FATAL(bind_text(&b, exprs[e], &c, 1, bytes), LZ_OK);
            int passes = 0;
            CU_ASSERT_EQUAL(lz_graph_passes(b.graph, 0, &passes), LZ_OK);
            CU_ASSERT(passes > 1);
            CU_ASSERT_EQUAL(eval_all(&b, small), LZ_OK);
            /* Every value read no more often than the bound: the outputs
             * share their passes (one output at a time read M times that). */
            CU_ASSERT(c.elements <= (int64_t)passes * T * M);
            if (budget == 0)
                CU_ASSERT(c.elements <= 8 * (int64_t)T * M);
            CU_ASSERT(lz_ctx_peak_bytes(b.ctx) <= bytes);
            int64_t n = lz_graph_shape(b.graph)[0] * (lz_graph_rank(b.graph) > 1 ? lz_graph_shape(b.graph)[1] : 1);
            if (lz_graph_rank(b.graph) > 2)
                n *= lz_graph_shape(b.graph)[2];
            unbind(&b);
            counting_init(&c, 2, shape, big);
            CU_ASSERT_EQUAL_FATAL(bind_text(&b, exprs[e], &c, 1, 0), LZ_OK);
            CU_ASSERT_EQUAL(eval_all(&b, large), LZ_OK);
            unbind(&b);
            for (int64_t k = 0; k < n; k++)
                CU_ASSERT(same(small[k], large[k]));
        }
    }
    free(big);
}

/* An anomaly against a median, inside a concatenation, over a slice: the
 * median is computed once per read (kept in the cache), and a plain
 * expression has no passes to report. */
static void
test_composition(void)
{
    fill(5);
    for (int j = 0; j < N1; j++) /* no NaN here */
        for (int i = 0; i < N0; i++)
            if (isnan(data[i * N1 + j]))
                data[i * N1 + j] = 0.25;
    counting c;
    counting_init(&c, 2, (int64_t[]){N0, N1}, data);
    bound b;
    CU_ASSERT_EQUAL_FATAL(bind_text(&b, "concat([x - median(x, axis=0), x[::-1] * 2], axis=0)", &c, 1, 0), LZ_OK);
    double out[2 * N0 * N1];
    CU_ASSERT_EQUAL(eval_all(&b, out), LZ_OK);
    for (int j = 0; j < N1; j++) {
        double col[N0];
        for (int i = 0; i < N0; i++)
            col[i] = data[i * N1 + j];
        double m = ref_quantile(col, N0, 0.5, "median", false);
        for (int i = 0; i < N0; i++) {
            CU_ASSERT(same(out[i * N1 + j], data[i * N1 + j] - m));
            CU_ASSERT(same(out[(N0 + i) * N1 + j], data[(N0 - 1 - i) * N1 + j] * 2));
        }
    }
    int passes = -1;
    CU_ASSERT_EQUAL(lz_graph_passes(b.graph, 0, &passes), LZ_OK);
    CU_ASSERT_EQUAL(passes, 1);
    unbind(&b);
    CU_ASSERT_EQUAL_FATAL(bind_text(&b, "x * 2", &c, 1, 0), LZ_OK);
    CU_ASSERT_EQUAL(lz_graph_passes(b.graph, 0, &passes), LZ_OK);
    CU_ASSERT_EQUAL(passes, 0);
    char text[400];
    unbind(&b);
    const char *text5 = "nanpercentile(x, [5, 95], axis=1, method=\"nearest\", keepdims=true)";
    CU_ASSERT_EQUAL_FATAL(bind_text(&b, text5, &c, 1, 0), LZ_OK);
    lz_graph_describe(b.graph, 0, 0, NULL, text, sizeof text);
    CU_ASSERT_PTR_NOT_NULL(strstr(text, "nanpercentile q=[5, 95] axis=(1,) method=nearest keepdims"));
    CU_ASSERT_EQUAL(lz_graph_rank(b.graph), 3);
    CU_ASSERT_EQUAL(lz_graph_shape(b.graph)[0], 2);
    unbind(&b);
}

/* Budgets from roomy down to the passes give the same bits, over every
 * piece size. */
static void
test_budget_independence(void)
{
    fill(13);
    test_array a = {LZ_FLOAT64, 2, {N0, N1}, data};
    double ref[2 * N0], out[2 * N0];
    lz_error err;
    const char *text = "nanquantile(a, [0.33, 0.5], axis=1)";
    CU_ASSERT_EQUAL_FATAL(eval_full(text, &a, 1, 0, ref, NULL, &err), LZ_OK);
    for (size_t budget = 256; budget <= 65536; budget *= 2) {
        CU_ASSERT_EQUAL_FATAL(eval_full(text, &a, 1, budget, out, NULL, &err), LZ_OK);
        for (int k = 0; k < 2 * N0; k++)
            CU_ASSERT(same(out[k], ref[k]));
    }
}

/* An operand decoded as CF says (packed int16, missing values): the
 * median sees the decoded floats, NaN where missing. */
static void
test_cf_decoded_operand(void)
{
    enum { T = 9, X = 4 };
    int16_t raw[T * X];
    for (int i = 0; i < T * X; i++)
        raw[i] = (int16_t)((i * 7) % 11 - 3);
    const lz_value missing[1] = {{.i = -1}};
    lz_decode d = {.as = LZ_INT16, .dtype = LZ_FLOAT32, .nmissing = 1, .missing = missing,
                   .has_scale_factor = true, .scale_factor = 0.5, .has_add_offset = true, .add_offset = 10};
    lz_source src;
    lz_source_init_memory(&src, LZ_INT16, 2, (int64_t[]){T, X}, raw);
    src.decode = &d;
    const lz_source *ps[1] = {&src};
    lz_ctx *ctx = lz_ctx_new(NULL);
    lz_expr *e = NULL;
    lz_graph *g = NULL;
    CU_ASSERT_EQUAL_FATAL(lz_expr_parse(ctx, "nanmedian(x, axis=0) - median(raw(x), axis=0) * 0", &e), LZ_OK);
    CU_ASSERT_EQUAL_FATAL(lz_graph_new(ctx, e, ps, &g), LZ_OK);
    CU_ASSERT_EQUAL(lz_graph_dtype(g), LZ_FLOAT64); /* float32 - float64 */
    double out[X];
    lz_box box;
    lz_box_full(&box, 1, (int64_t[]){X});
    CU_ASSERT_EQUAL(lz_graph_eval(g, &box, out, NULL), LZ_OK);
    for (int j = 0; j < X; j++) {
        double col[T];
        for (int i = 0; i < T; i++) {
            int16_t v = raw[i * X + j];
            col[i] = v == -1 ? NAN : (double)((float)v * 0.5f + 10.0f);
        }
        double want = ref_quantile(col, T, 0.5, "median", true);
        CU_ASSERT(same(out[j], (double)(float)want));
    }
    lz_graph_free(g);
    lz_expr_free(e);
    CU_ASSERT_EQUAL(lz_ctx_bytes_in_use(ctx), 0);
    lz_ctx_free(ctx);
}

/* Outputs split among threads select the same values as one thread. */
static void
test_threads_same_results(void)
{
    enum { T = 61, Y = 40, X = 33 };
    double *v = malloc(T * Y * X * sizeof *v);
    srand(17);
    for (int i = 0; i < T * Y * X; i++)
        v[i] = (double)(rand() % 1000) / 8.0;
    v[5] = NAN;
    double *one = malloc(3 * Y * X * sizeof *one), *two = malloc(3 * Y * X * sizeof *two);
    for (int threads = 1; threads <= 2; threads++) {
        counting c;
        counting_init(&c, 3, (int64_t[]){T, Y, X}, v);
        lz_config cfg;
        lz_config_init(&cfg);
        cfg.threads = threads;
        bound b;
        CU_ASSERT_EQUAL_FATAL(bind_text_with(&b, "nanquantile(x, [0.1, 0.5, 0.95], axis=0)", &c, 1, &cfg), LZ_OK);
        CU_ASSERT_EQUAL(eval_all(&b, threads == 1 ? one : two), LZ_OK);
        unbind(&b);
    }
    for (int i = 0; i < 3 * Y * X; i++)
        CU_ASSERT(same(one[i], two[i]));
    int j = 7; /* one column against the reference */
    double col[T];
    for (int i = 0; i < T; i++)
        col[i] = v[i * Y * X + j];
    CU_ASSERT(same(one[Y * X + j], ref_quantile(col, T, 0.5, "linear", true)));
    free(one);
    free(two);
    free(v);
}

void
register_order_suite(void)
{
    CU_pSuite s = CU_add_suite("order statistics", NULL, NULL);
    CU_add_test(s, "values of every function and method", test_values_and_methods);
    CU_add_test(s, "a list of q and percentile", test_list_of_q_and_percentile);
    CU_add_test(s, "every dtype: result types and numpy's wrapping", test_every_dtype);
    CU_add_test(s, "infinities, empty axes, 0-d, signed zeros", test_edges);
    CU_add_test(s, "bad q, method, axis, booleans", test_errors);
    CU_add_test(s, "passes read the data a few times within the budget", test_passes_read_a_few_times);
    CU_add_test(s, "passes take outputs in blocks", test_passes_take_outputs_in_blocks);
    CU_add_test(s, "anomaly against a median, inside concat", test_composition);
    CU_add_test(s, "every budget gives the same results", test_budget_independence);
    CU_add_test(s, "threads select the same values", test_threads_same_results);
    CU_add_test(s, "a CF-decoded operand", test_cf_decoded_operand);
}
