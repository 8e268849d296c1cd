/* test_failure.c — every allocation of a representative parse, bind and
 * evaluation failed in turn: each gives LZ_ENOMEM with a message, and no
 * byte stays allocated. */
#include "engine_test.h"

#include <stdbool.h>
#include <math.h>
#include <stdlib.h>

/* Fail allocation n, n = 0, 1, ...: every failing run reports LZ_ENOMEM
 * and leaves nothing allocated; returns the number of failing runs and
 * evaluates `text` fully into out on the final, successful run.
 * memory_bytes: the budget (0: the default). */
static int
fail_each_allocation(const char *text, const lz_source *const *ps, int rank, const int64_t *shape, void *out,
                     size_t memory_bytes)
{
    int injected = 0;
    for (long n = 0;; n++) {
        lz_config cfg;
        lz_config_init(&cfg);
        if (memory_bytes)
            cfg.memory_bytes = memory_bytes;
        lz_ctx *ctx = lz_ctx_new(&cfg);
        lz_ctx_fail_allocation_after(ctx, n);
        lz_expr *e = NULL;
        lz_graph *g = NULL;
        lz_status st = lz_expr_parse(ctx, text, &e);
        if (st == LZ_OK)
            st = lz_graph_new(ctx, e, ps, &g);
        if (st == LZ_OK) {
            CU_ASSERT_EQUAL(lz_graph_rank(g), rank);
            lz_box box;
            lz_box_full(&box, rank, shape);
            st = lz_graph_eval(g, &box, out, NULL);
        }
        lz_graph_free(g);
        lz_expr_free(e);
        CU_ASSERT_EQUAL(lz_ctx_bytes_in_use(ctx), 0);
        bool failed = st != LZ_OK;
        if (failed) {
            CU_ASSERT_EQUAL(st, LZ_ENOMEM);
            CU_ASSERT_EQUAL(lz_ctx_error(ctx)->code, LZ_ENOMEM);
            injected++;
        }
        lz_ctx_free(ctx);
        if (!failed)
            return injected;
        CU_ASSERT_FATAL(n < 100000);
    }
}

/* Views, concat, a reduction and ufuncs together. */
static void
test_every_allocation_fails_cleanly_in_a_rich_graph(void)
{
    static double x[40 * 30];
    for (int i = 0; i < 40 * 30; i++)
        x[i] = (i % 97) * 0.25 - 3;
    lz_source s;
    lz_source_init_memory(&s, LZ_FLOAT64, 2, (int64_t[]){40, 30}, x);
    const lz_source *ps[1] = {&s};
    static double out[30];
    int injected = fail_each_allocation(
        "mean(concat([x, x[::-1]], axis=0), axis=0) - sqrt(abs(x[0])) + where(x[3] > 0, 1, 2)", ps, 1,
        (int64_t[]){30}, out, 4096); /* small pieces: more allocations, more paths */
    CU_ASSERT(injected > 20);
    for (int j = 0; j < 30; j++) {
        double mean = 0;
        for (int i = 0; i < 40; i++)
            mean += x[i * 30 + j];
        mean /= 40; /* the reversed copy has the same mean */
        double want = mean - sqrt(fabs(x[j])) + (x[3 * 30 + j] > 0 ? 1 : 2);
        CU_ASSERT(fabs(out[j] - want) < 1e-12);
    }
}

static void
test_every_allocation_fails_cleanly(void)
{
    double a[64], b[8], out[64];
    for (int i = 0; i < 64; i++)
        a[i] = i;
    for (int i = 0; i < 8; i++)
        b[i] = -i;
    lz_source s[2];
    lz_source_init_memory(&s[0], LZ_FLOAT64, 2, (int64_t[]){8, 8}, a);
    lz_source_init_memory(&s[1], LZ_FLOAT64, 1, (int64_t[]){8}, b);
    const lz_source *ps[2] = {&s[0], &s[1]};
    int injected = fail_each_allocation("(x + ds('y') * 2) / 3 - x", ps, 2, (int64_t[]){8, 8}, out, 0);
    CU_ASSERT(injected > 10); /* the operation does allocate at many points */
    for (int i = 0; i < 8; i++)
        for (int j = 0; j < 8; j++)
            CU_ASSERT_EQUAL(out[i * 8 + j], (a[i * 8 + j] + b[j] * 2) / 3 - a[i * 8 + j]);
}

/* A CF-decoded source (packed int16 with missing values and a valid
 * range), raw() and a nan-reduction with mdtol (issue 15). */
static void
test_every_allocation_fails_cleanly_while_decoding(void)
{
    static int16_t x[12 * 5];
    for (int i = 0; i < 12 * 5; i++)
        x[i] = (int16_t)(i % 13 - 2);
    const lz_value missing[2] = {{.i = -1}, {.i = 7}};
    lz_decode d = {.as = LZ_INT16, .dtype = LZ_FLOAT32, .nmissing = 2, .missing = missing, .has_valid_max = true,
                   .valid_max = {.i = 9}, .has_scale_factor = true, .scale_factor = 0.5, .has_add_offset = true,
                   .add_offset = 1};
    lz_source s;
    lz_source_init_memory(&s, LZ_INT16, 2, (int64_t[]){12, 5}, x);
    s.decode = &d;
    const lz_source *ps[1] = {&s};
    static float out[5];
    int injected = fail_each_allocation("nanmean(x, axis=0, mdtol=0.5) + raw(x)[0] * 0", ps, 1, (int64_t[]){5},
                                        out, 4096);
    CU_ASSERT(injected > 20);
    for (int j = 0; j < 5; j++) {
        double sum = 0;
        int n = 0;
        for (int i = 0; i < 12; i++) {
            int v = x[i * 5 + j];
            if (v != -1 && v != 7 && v <= 9) {
                sum += (float)v * 0.5f + 1.0f;
                n++;
            }
        }
        float want = (12 - n) / 12.0 > 0.5 ? NAN : (float)(sum / n);
        CU_ASSERT(isnan(want) ? isnan(out[j]) : fabsf(out[j] - want) < 1e-5f);
    }
}

/* Order statistics in memory (an anomaly against a median) and in passes
 * (a whole-array percentile over a 4 KiB budget). */
static void
test_every_allocation_fails_cleanly_in_order_statistics(void)
{
    static double x[40 * 30];
    for (int i = 0; i < 40 * 30; i++)
        x[i] = (i * 37 % 101) * 0.5 - 20;
    lz_source s;
    lz_source_init_memory(&s, LZ_FLOAT64, 2, (int64_t[]){40, 30}, x);
    const lz_source *ps[1] = {&s};
    static double out[40 * 30], q[2];
    CU_ASSERT(fail_each_allocation("x - nanmedian(x, axis=0) + quantile(x, 0.3)", ps, 2, (int64_t[]){40, 30}, out,
                                   0) > 10);
    CU_ASSERT(fail_each_allocation("nanpercentile(x, [25, 75], method=\"midpoint\")", ps, 1, (int64_t[]){2}, q,
                                   4096) > 5);
    CU_ASSERT(q[0] < q[1]);
}

void
register_failure_suite(void)
{
    CU_pSuite s = CU_add_suite("allocation failures", NULL, NULL);
    CU_add_test(s, "decoding, raw() and mdtol", test_every_allocation_fails_cleanly_while_decoding);
    CU_add_test(s, "every allocation failed in turn", test_every_allocation_fails_cleanly);
    CU_add_test(s, "the same over views, concat and a reduction", test_every_allocation_fails_cleanly_in_a_rich_graph);
    CU_add_test(s, "the same in order statistics, in memory and in passes",
                test_every_allocation_fails_cleanly_in_order_statistics);
}
