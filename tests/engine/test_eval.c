/* test_eval.c — evaluation over in-memory sources: numpy's values for
 * wrapping and division, broadcasting, 0-d and empty results, and results
 * independent of the memory budget and of the requested box. */
#include "engine_test.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static void
test_integer_wrapping(void)
{
    int8_t a[2] = {100, -100}, out8[2];
    test_array ta = {LZ_INT8, 1, {2}, a};
    CU_ASSERT_EQUAL(eval_full("a + a", &ta, 1, 0, out8, NULL, NULL), LZ_OK);
    CU_ASSERT_EQUAL(out8[0], -56); /* numpy: np.int8(100) + np.int8(100) == -56 */
    CU_ASSERT_EQUAL(out8[1], 56);

    uint8_t u[2] = {0, 255}, outu[2];
    test_array tu = {LZ_UINT8, 1, {2}, u};
    CU_ASSERT_EQUAL(eval_full("a - 1", &tu, 1, 0, outu, NULL, NULL), LZ_OK);
    CU_ASSERT_EQUAL(outu[0], 255);
    CU_ASSERT_EQUAL(outu[1], 254);
    CU_ASSERT_EQUAL(eval_full("-a", &tu, 1, 0, outu, NULL, NULL), LZ_OK);
    CU_ASSERT_EQUAL(outu[0], 0);
    CU_ASSERT_EQUAL(outu[1], 1);

    int32_t i[2] = {1 << 30, INT32_MIN}, out32[2];
    test_array ti = {LZ_INT32, 1, {2}, i};
    CU_ASSERT_EQUAL(eval_full("a * 4", &ti, 1, 0, out32, NULL, NULL), LZ_OK);
    CU_ASSERT_EQUAL(out32[0], 0);
    CU_ASSERT_EQUAL(out32[1], 0);
    CU_ASSERT_EQUAL(eval_full("-a", &ti, 1, 0, out32, NULL, NULL), LZ_OK);
    CU_ASSERT_EQUAL(out32[1], INT32_MIN);

    int64_t l[1] = {INT64_MAX}, out64[1];
    test_array tl = {LZ_INT64, 1, {1}, l};
    CU_ASSERT_EQUAL(eval_full("a + 1", &tl, 1, 0, out64, NULL, NULL), LZ_OK);
    CU_ASSERT_EQUAL(out64[0], INT64_MIN);
}

static void
test_true_division(void)
{
    int16_t a[3] = {1, -7, 0}, b[3] = {2, 0, 0};
    double out[3];
    test_array ops[2] = {{LZ_INT16, 1, {3}, a}, {LZ_INT16, 1, {3}, b}};
    lz_dtype t;
    CU_ASSERT_EQUAL(eval_full("a / b", ops, 2, 0, out, &t, NULL), LZ_OK);
    CU_ASSERT_EQUAL(t, LZ_FLOAT64);
    CU_ASSERT_EQUAL(out[0], 0.5);
    CU_ASSERT(isinf(out[1]) && out[1] < 0);
    CU_ASSERT(isnan(out[2]));
}

static void
test_mixed_types(void)
{
    uint8_t a[2] = {200, 3};
    int8_t b[2] = {-1, 100};
    int16_t out[2];
    test_array ops[2] = {{LZ_UINT8, 1, {2}, a}, {LZ_INT8, 1, {2}, b}};
    lz_dtype t;
    CU_ASSERT_EQUAL(eval_full("a + b", ops, 2, 0, out, &t, NULL), LZ_OK);
    CU_ASSERT_EQUAL(t, LZ_INT16); /* uint8 + int8 -> int16, no wrap */
    CU_ASSERT_EQUAL(out[0], 199);
    CU_ASSERT_EQUAL(out[1], 103);

    float f[2] = {0.1f, -2.5f};
    test_array tf = {LZ_FLOAT32, 1, {2}, f};
    float outf[2];
    CU_ASSERT_EQUAL(eval_full("a * 3 + 1.5", &tf, 1, 0, outf, &t, NULL), LZ_OK);
    CU_ASSERT_EQUAL(t, LZ_FLOAT32);
    CU_ASSERT_EQUAL(outf[0], 0.1f * 3.0f + 1.5f); /* computed in float32, as numpy */
    CU_ASSERT_EQUAL(outf[1], -6.0f);
}

static void
test_broadcasting(void)
{
    double a[3] = {1, 2, 3};        /* shape (3, 1) */
    double b[4] = {10, 20, 30, 40}; /* shape (4,) */
    double out[12];
    test_array ops[2] = {{LZ_FLOAT64, 2, {3, 1}, a}, {LZ_FLOAT64, 1, {4}, b}};
    CU_ASSERT_EQUAL(eval_full("a * 100 + b", ops, 2, 0, out, NULL, NULL), LZ_OK);
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < 4; j++)
            CU_ASSERT_EQUAL(out[i * 4 + j], a[i] * 100 + b[j]);

    lz_error err;
    test_array bad[2] = {{LZ_FLOAT64, 2, {3, 2}, a}, {LZ_FLOAT64, 1, {4}, b}};
    CU_ASSERT_EQUAL(eval_full("a + b", bad, 2, 0, out, NULL, &err), LZ_ESHAPE);
    CU_ASSERT_STRING_EQUAL(err.message,
                           "operands could not be broadcast together with shapes (3, 2) (4,)");
    CU_ASSERT_EQUAL(err.column, 3);
}

static void
test_zero_d_and_empty(void)
{
    double x = 4.0, out;
    test_array t0 = {LZ_FLOAT64, 0, {0}, &x};
    CU_ASSERT_EQUAL(eval_full("-x / 8", &t0, 1, 0, &out, NULL, NULL), LZ_OK);
    CU_ASSERT_EQUAL(out, -0.5);

    int64_t c;
    lz_dtype t;
    CU_ASSERT_EQUAL(eval_full("1 + 2 * 3", NULL, 0, 0, &c, &t, NULL), LZ_OK);
    CU_ASSERT_EQUAL(t, LZ_INT64);
    CU_ASSERT_EQUAL(c, 7);

    double dc;
    CU_ASSERT_EQUAL(eval_full("7 / 2", NULL, 0, 0, &dc, &t, NULL), LZ_OK);
    CU_ASSERT_EQUAL(t, LZ_FLOAT64);
    CU_ASSERT_EQUAL(dc, 3.5);

    double none[1];
    test_array te = {LZ_FLOAT64, 2, {0, 3}, none};
    CU_ASSERT_EQUAL(eval_full("e * 2", &te, 1, 0, none, NULL, NULL), LZ_OK);
}

/* A float64 expression over three broadcast operands, checked element by
 * element against the same arithmetic done here. */
enum { N0 = 37, N1 = 29, N2 = 13 };

static double *
random_array(size_t n, unsigned seed)
{
    double *d = malloc(n * sizeof *d);
    srand(seed);
    for (size_t i = 0; i < n; i++)
        d[i] = (double)rand() / RAND_MAX * 200.0 - 100.0;
    return d;
}

static double
reference(const double *a, const double *b, const double *c, int i, int j, int k)
{
    double x = a[(i * N1 + j) * N2 + k];
    return x * b[j] - c[k] / 3.0 + x;
}

static void
test_budget_independence(void)
{
    double *a = random_array(N0 * N1 * N2, 1), *b = random_array(N1, 2), *c = random_array(N2, 3);
    test_array ops[3] = {
        {LZ_FLOAT64, 3, {N0, N1, N2}, a}, {LZ_FLOAT64, 2, {N1, 1}, b}, {LZ_FLOAT64, 1, {N2}, c}};
    double *out = malloc(N0 * N1 * N2 * sizeof *out);
    /* From everything in one block down to one tile per piece. */
    const size_t budgets[] = {0, 1 << 20, 100000, 30000, 1};
    for (size_t bi = 0; bi < sizeof budgets / sizeof budgets[0]; bi++) {
        memset(out, 0, N0 * N1 * N2 * sizeof *out);
        CU_ASSERT_EQUAL(eval_full("a * b - c / 3 + a", ops, 3, budgets[bi], out, NULL, NULL), LZ_OK);
        int bad = 0;
        for (int i = 0; i < N0; i++)
            for (int j = 0; j < N1; j++)
                for (int k = 0; k < N2; k++)
                    bad += out[(i * N1 + j) * N2 + k] != reference(a, b, c, i, j, k);
        CU_ASSERT_EQUAL(bad, 0);
    }
    free(a);
    free(b);
    free(c);
    free(out);
}

/* Random strided boxes of the result equal the same elements of the whole. */
static void
test_boxes(void)
{
    double *a = random_array(N0 * N1 * N2, 4), *b = random_array(N1, 5), *c = random_array(N2, 6);
    lz_config cfg;
    lz_config_init(&cfg);
    cfg.memory_bytes = 20000; /* force several pieces for larger boxes */
    lz_ctx *ctx = lz_ctx_new(&cfg);
    lz_expr *e;
    lz_graph *g;
    CU_ASSERT_EQUAL_FATAL(lz_expr_parse(ctx, "a * b - c / 3 + a", &e), LZ_OK);
    lz_source s[3];
    lz_source_init_memory(&s[0], LZ_FLOAT64, 3, (int64_t[]){N0, N1, N2}, a);
    lz_source_init_memory(&s[1], LZ_FLOAT64, 2, (int64_t[]){N1, 1}, b);
    lz_source_init_memory(&s[2], LZ_FLOAT64, 1, (int64_t[]){N2}, c);
    const lz_source *ps[3] = {&s[0], &s[1], &s[2]};
    CU_ASSERT_EQUAL_FATAL(lz_graph_new(ctx, e, ps, &g), LZ_OK);
    const int64_t shape[3] = {N0, N1, N2};
    double *out = malloc(N0 * N1 * N2 * sizeof *out);
    srand(7);
    for (int trial = 0; trial < 300; trial++) {
        lz_box box = {.rank = 3};
        int64_t n = 1;
        for (int k = 0; k < 3; k++) {
            box.step[k] = 1 + rand() % 4;
            box.start[k] = rand() % shape[k];
            int64_t room = (shape[k] - 1 - box.start[k]) / box.step[k] + 1;
            box.count[k] = rand() % (room + 1);
            n *= box.count[k];
        }
        CU_ASSERT_EQUAL(lz_graph_eval(g, &box, out, NULL), LZ_OK);
        int bad = 0;
        int64_t idx = 0;
        for (int64_t i = 0; i < box.count[0]; i++)
            for (int64_t j = 0; j < box.count[1]; j++)
                for (int64_t k = 0; k < box.count[2]; k++)
                    bad += out[idx++] != reference(a, b, c, (int)(box.start[0] + i * box.step[0]),
                                                   (int)(box.start[1] + j * box.step[1]),
                                                   (int)(box.start[2] + k * box.step[2]));
        CU_ASSERT_EQUAL(idx, n);
        CU_ASSERT_EQUAL(bad, 0);
    }
    CU_ASSERT(lz_ctx_peak_bytes(ctx) <= 20000 + 64 * 1024); /* budget plus tiles and graph */

    /* Boxes outside the result are refused with the reason. */
    lz_box outside = {.rank = 3, .start = {0, 0, 10}, .count = {1, 1, 2}, .step = {1, 1, 3}};
    CU_ASSERT_EQUAL(lz_graph_eval(g, &outside, out, NULL), LZ_EVALUE);
    CU_ASSERT_STRING_EQUAL(lz_ctx_error(ctx)->message,
                           "requested box on axis 2 (start 10, count 2, step 3) goes beyond the "
                           "extent 13");
    lz_ctx_clear_error(ctx);
    lz_box wrong_rank = {.rank = 2, .count = {1, 1}, .step = {1, 1}};
    CU_ASSERT_EQUAL(lz_graph_eval(g, &wrong_rank, out, NULL), LZ_EVALUE);
    CU_ASSERT_STRING_EQUAL(lz_ctx_error(ctx)->message, "requested box has rank 2 but the array has rank 3");

    lz_graph_free(g);
    lz_expr_free(e);
    CU_ASSERT_EQUAL(lz_ctx_bytes_in_use(ctx), 0);
    lz_ctx_free(ctx);
    free(a);
    free(b);
    free(c);
    free(out);
}

void
register_eval_suite(void)
{
    CU_pSuite s = CU_add_suite("evaluation", NULL, NULL);
    CU_add_test(s, "integers wrap as numpy's", test_integer_wrapping);
    CU_add_test(s, "int / int is float64, x/0 is inf or nan", test_true_division);
    CU_add_test(s, "mixed operand types", test_mixed_types);
    CU_add_test(s, "numpy broadcasting", test_broadcasting);
    CU_add_test(s, "0-d, constant and empty results", test_zero_d_and_empty);
    CU_add_test(s, "results do not depend on the budget", test_budget_independence);
    CU_add_test(s, "any strided box equals the whole", test_boxes);
}
