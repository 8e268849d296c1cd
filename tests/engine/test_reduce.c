/* test_reduce.c — reductions: values against sums done here, NaN rules,
 * ties, integer sums in 64 bits, results identical under every budget
 * (slab size down to one), partial reads reading only what they need, and
 * several reductions of one input in one scan. */
#include "engine_test.h"
#include "lz_graph.h" /* to see that nodes are merged */

#include <math.h>
#include <stdlib.h>
#include <stdbool.h>
#include <string.h>

enum { R0 = 23, R1 = 11, R2 = 9 };
static double rdata[R0 * R1 * R2];

static double
r_at(int i, int j, int k)
{
    return rdata[(i * R1 + j) * R2 + k];
}

static void
fill_random(unsigned seed)
{
    srand(seed);
    for (int i = 0; i < R0 * R1 * R2; i++)
        rdata[i] = (double)(rand() % 20001 - 10000) / 64.0; /* exact in binary */
}

static void
test_values(void)
{
    fill_random(1);
    rdata[(3 * R1 + 4) * R2 + 5] = NAN;
    counting c;
    counting_init(&c, 3, (int64_t[]){R0, R1, R2}, rdata);
    static const char *const exprs[] = {"sum(x, axis=0)", "nansum(x, axis=0)", "mean(x, axis=0)",
                                        "nanmean(x, axis=0)", "max(x, axis=0)", "nanmin(x, axis=0)",
                                        "count(x, axis=0)", "std(x, axis=0, ddof=1)", "nanvar(x, axis=0)"};
    for (size_t e = 0; e < sizeof exprs / sizeof exprs[0]; e++) {
        bound b;
        CU_ASSERT_EQUAL_FATAL(bind_text(&b, exprs[e], &c, 1, 0), LZ_OK);
        union {
            double f[R1 * R2];
            int64_t i[R1 * R2];
        } out;
        CU_ASSERT_EQUAL(eval_all(&b, &out), LZ_OK);
        int bad = 0;
        for (int j = 0; j < R1; j++)
            for (int k = 0; k < R2; k++) {
                double sum = 0, mn = INFINITY, mx = -INFINITY;
                int n = 0;
                bool has_nan = false;
                for (int i = 0; i < R0; i++) {
                    double v = r_at(i, j, k);
                    if (isnan(v)) {
                        has_nan = true;
                        continue;
                    }
                    sum += v;
                    n++;
                    mn = v < mn ? v : mn;
                    mx = v > mx ? v : mx;
                }
                double mean = sum / n, m2 = 0;
                for (int i = 0; i < R0; i++)
                    if (!isnan(r_at(i, j, k)))
                        m2 += (r_at(i, j, k) - mean) * (r_at(i, j, k) - mean);
                double got = out.f[j * R2 + k], want;
                switch (e) {
                case 0: want = has_nan ? NAN : sum; break;
                case 1: want = sum; break;
                case 2: want = has_nan ? NAN : mean; break;
                case 3: want = mean; break;
                case 4: want = has_nan ? NAN : mx; break;
                case 5: want = mn; break;
                case 6: got = (double)out.i[j * R2 + k]; want = n; break;
                case 7: want = has_nan ? NAN : sqrt(m2 / (n - 1)); break;
                default: want = m2 / n; break;
                }
                bool ok = isnan(want) ? isnan(got) : fabs(got - want) <= 1e-12 * fabs(want);
                bad += !ok;
            }
        if (bad)
            fprintf(stderr, "\n  %s: %d wrong\n", exprs[e], bad);
        CU_ASSERT_EQUAL(bad, 0);
        unbind(&b);
    }
}

/* IEEE specials in compensated sums: an infinity gives that infinity (not
 * inf - inf = NaN from the error term), opposite infinities give NaN, and
 * finite values that overflow give inf, as numpy. Compensation makes
 * 1 + 1e100 - 1e100 exact, as numpy's pairwise sum does not. */
static void
test_sums_with_infinities(void)
{
    static const struct {
        double x[4];
        double sum;
    } cases[] = {
        {{INFINITY, 1.0, 2.0, 3.0}, INFINITY},
        {{1.0, -INFINITY, 2.0, 3.0}, -INFINITY},
        {{INFINITY, 1.0, -INFINITY, 3.0}, NAN},
        {{1e308, 1e308, 1.0, 1.0}, INFINITY},
        {{-1e308, -1e308, 1.0, 1.0}, -INFINITY},
        {{1.0, 1e100, 1.0, -1e100}, 2.0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        double got[3];
        lz_dtype t;
        test_array a = {LZ_FLOAT64, 1, {4}, cases[i].x};
        CU_ASSERT_EQUAL(eval_full("sum(a)", &a, 1, 0, &got[0], &t, NULL), LZ_OK);
        CU_ASSERT_EQUAL(eval_full("mean(a)", &a, 1, 0, &got[1], &t, NULL), LZ_OK);
        /* The vector loop: four outputs each folding one column. */
        test_array col = {LZ_FLOAT64, 2, {4, 1}, cases[i].x};
        CU_ASSERT_EQUAL(eval_full("sum(a, axis=0)", &col, 1, 0, &got[2], &t, NULL), LZ_OK);
        double want = cases[i].sum;
        for (int k = 0; k < 3; k++) {
            double w = k == 1 ? want / 4 : want;
            bool ok = isnan(w) ? isnan(got[k]) : got[k] == w;
            if (!ok)
                fprintf(stderr, "\n  case %zu form %d: got %g want %g\n", i, k, got[k], w);
            CU_ASSERT(ok);
        }
    }
}

static void
test_arg_reductions_and_ties(void)
{
    double d[8] = {3, 1, 4, 1, 5, NAN, 9, 9};
    counting c;
    counting_init(&c, 1, (int64_t[]){8}, d);
    static const struct {
        const char *expr;
        int64_t want;
    } cases[] = {{"argmin(x)", 5}, /* the first NaN wins */
                 {"nanargmin(x)", 1},           /* the first of equal values */
                 {"nanargmax(x)", 6},
                 {"argmax(x[:5])", 4},
                 {"argmin(x[::-1][:3])", 2}}; /* 9, 9, nan -> nan at 2 */
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        bound b;
        int64_t got = -1;
        CU_ASSERT_EQUAL_FATAL(bind_text(&b, cases[i].expr, &c, 1, 0), LZ_OK);
        CU_ASSERT_EQUAL(eval_all(&b, &got), LZ_OK);
        if (got != cases[i].want)
            fprintf(stderr, "\n  %s = %lld, want %lld\n", cases[i].expr, (long long)got, (long long)cases[i].want);
        CU_ASSERT_EQUAL(got, cases[i].want);
        unbind(&b);
    }
    /* All-NaN is numpy's ValueError for the nan forms: a read error here. */
    double all_nan[3] = {NAN, NAN, NAN};
    counting_init(&c, 1, (int64_t[]){3}, all_nan);
    bound b;
    int64_t got;
    CU_ASSERT_EQUAL_FATAL(bind_text(&b, "nanargmax(x)", &c, 1, 0), LZ_OK);
    CU_ASSERT_EQUAL(eval_all(&b, &got), LZ_EVALUE);
    CU_ASSERT_STRING_EQUAL(lz_ctx_error(b.ctx)->message, "All-NaN slice encountered");
    unbind(&b);
}

static void
test_integer_sums_are_wide(void)
{
    static int8_t small[4000];
    for (int i = 0; i < 4000; i++)
        small[i] = 100;
    lz_dtype t;
    int64_t sum;
    test_array a = {LZ_INT8, 1, {4000}, small};
    CU_ASSERT_EQUAL(eval_full("sum(a)", &a, 1, 0, &sum, &t, NULL), LZ_OK);
    CU_ASSERT_EQUAL(t, LZ_INT64);
    CU_ASSERT_EQUAL(sum, 400000);
    uint64_t usum;
    static uint8_t bytes[3000];
    memset(bytes, 255, sizeof bytes);
    test_array u = {LZ_UINT8, 1, {3000}, bytes};
    CU_ASSERT_EQUAL(eval_full("sum(a)", &u, 1, 0, &usum, &t, NULL), LZ_OK);
    CU_ASSERT_EQUAL(t, LZ_UINT64);
    CU_ASSERT_EQUAL(usum, 765000u);
    double mean;
    CU_ASSERT_EQUAL(eval_full("mean(a)", &u, 1, 0, &mean, &t, NULL), LZ_OK);
    CU_ASSERT_EQUAL(t, LZ_FLOAT64);
    CU_ASSERT_EQUAL(mean, 255.0);
}

/* Every reduction over every axis set gives the same bits with the default
 * budget and with budgets that force slabs of one row and pieces of one
 * output element: every output folds its elements in the same order. */
static void
test_budget_independence(void)
{
    fill_random(2);
    counting c;
    counting_init(&c, 3, (int64_t[]){R0, R1, R2}, rdata);
    static const char *const ops[] = {"sum", "mean", "std", "var", "min", "argmax", "prod", "count", "any"};
    static const char *const axes[] = {"0", "1", "2", "(0, 2)", "(1, 2)", "None"};
    static const size_t budgets[] = {0, 64 << 10, 8 << 10, 4096};
    for (size_t o = 0; o < sizeof ops / sizeof ops[0]; o++)
        for (size_t a = 0; a < sizeof axes / sizeof axes[0]; a++) {
            if (!strcmp(ops[o], "argmax") && strchr(axes[a], ','))
                continue; /* argmax takes one axis */
            char text[96];
            snprintf(text, sizeof text, "%s(x / 7%s, axis=%s)", ops[o], !strcmp(ops[o], "prod") ? " / 100 + 1" : "",
                     axes[a]);
            double first[R0 * R1 * R2];
            for (size_t bi = 0; bi < sizeof budgets / sizeof budgets[0]; bi++) {
                bound b;
                CU_ASSERT_EQUAL_FATAL(bind_text(&b, text, &c, 1, budgets[bi]), LZ_OK);
                int64_t n = 1;
                for (int k = 0; k < lz_graph_rank(b.graph); k++)
                    n *= lz_graph_shape(b.graph)[k];
                double out[R0 * R1 * R2];
                CU_ASSERT_EQUAL(eval_all(&b, out), LZ_OK);
                size_t bytes = (size_t)n * lz_dtype_size(lz_graph_dtype(b.graph));
                bool same = bi == 0 || memcmp(first, out, bytes) == 0;
                if (bi == 0)
                    memcpy(first, out, bytes);
                else if (!same)
                    fprintf(stderr, "\n  %s differs with a budget of %zu bytes\n", text, budgets[bi]);
                CU_ASSERT(same);
                CU_ASSERT(budgets[bi] == 0 || lz_ctx_peak_bytes(b.ctx) <= budgets[bi] + 64 * 1024);
                unbind(&b);
            }
        }
}

/* Outputs split among threads fold exactly as on one thread: the same bits
 * for vector runs (inner axis kept), scalar runs (inner axis reduced) and
 * both, with whole and sliced slabs. The array is large enough (>= 4096
 * outputs) for the work to be split. */
enum { T0 = 7, T1 = 64, T2 = 80 };
static double tdata[T0 * T1 * T2];

static void
test_threads_same_bits(void)
{
    srand(11);
    for (int i = 0; i < T0 * T1 * T2; i++)
        tdata[i] = (double)(rand() % 20001 - 10000) / 64.0;
    tdata[5 * T1 * T2 + 17] = NAN; /* NaN rules hold in every part */
    counting c;
    counting_init(&c, 3, (int64_t[]){T0, T1, T2}, tdata);
    static const char *const ops[] = {"sum", "mean", "std", "min", "nanmax", "argmin", "prod", "count", "all"};
    static const char *const axes[] = {"0", "2", "(0, 2)", "(0, 1)"};
    static const size_t budgets[] = {0, 64 << 10};
    static double want[T0 * T1 * T2], got[T0 * T1 * T2];
    for (size_t o = 0; o < sizeof ops / sizeof ops[0]; o++)
        for (size_t a = 0; a < sizeof axes / sizeof axes[0]; a++)
            for (size_t bi = 0; bi < sizeof budgets / sizeof budgets[0]; bi++) {
                if (!strcmp(ops[o], "argmin") && strchr(axes[a], ','))
                    continue;
                char text[96];
                snprintf(text, sizeof text, "%s(x / 7%s, axis=%s)", ops[o],
                         !strcmp(ops[o], "prod") ? " / 1000 + 1" : "", axes[a]);
                size_t bytes = 0;
                for (int threads = 1; threads <= 3; threads += 2) {
                    lz_config cfg;
                    lz_config_init(&cfg);
                    cfg.threads = threads;
                    if (budgets[bi])
                        cfg.memory_bytes = budgets[bi];
                    bound b;
                    CU_ASSERT_EQUAL_FATAL(bind_text_with(&b, text, &c, 1, &cfg), LZ_OK);
                    int64_t n = 1;
                    for (int k = 0; k < lz_graph_rank(b.graph); k++)
                        n *= lz_graph_shape(b.graph)[k];
                    bytes = (size_t)n * lz_dtype_size(lz_graph_dtype(b.graph));
                    CU_ASSERT_EQUAL(eval_all(&b, threads == 1 ? want : got), LZ_OK);
                    unbind(&b);
                }
                bool same = memcmp(want, got, bytes) == 0;
                if (!same)
                    fprintf(stderr, "\n  %s differs on 3 threads (budget %zu)\n", text, budgets[bi]);
                CU_ASSERT(same);
            }
}

/* Part of a reduction reads only the columns it covers. */
static void
test_partial_reads_stay_small(void)
{
    fill_random(3);
    counting c;
    counting_init(&c, 3, (int64_t[]){R0, R1, R2}, rdata);
    bound b;
    CU_ASSERT_EQUAL_FATAL(bind_text(&b, "x - mean(x, axis=0)", &c, 1, 0), LZ_OK);
    lz_box box = {.rank = 3, .start = {4, 2, 7}, .count = {1, 2, 1}, .step = {1, 3, 1}};
    double out[2];
    CU_ASSERT_EQUAL(lz_graph_eval(b.graph, &box, out, NULL), LZ_OK);
    /* 2 elements of x, and R0 elements for each of the 2 means. */
    CU_ASSERT_EQUAL(c.elements, 2 + 2 * R0);
    for (int j = 0; j < 2; j++) {
        double sum = 0;
        for (int i = 0; i < R0; i++)
            sum += r_at(i, 2 + 3 * j, 7);
        CU_ASSERT(fabs(out[j] - (r_at(4, 2 + 3 * j, 7) - sum / R0)) < 1e-9);
    }
    unbind(&b);
}

/* Two expressions bound separately but sharing a subexpression (here a
 * concat of two views of x): their common nodes are merged, so mean and
 * std of it run in one scan. */
static void
test_common_subexpressions_merged(void)
{
    fill_random(5);
    counting c;
    counting_init(&c, 3, (int64_t[]){R0, R1, R2}, rdata);
    lz_ctx *ctx = lz_ctx_new(NULL);
    lz_expr *e[2];
    CU_ASSERT_EQUAL_FATAL(lz_expr_parse(ctx, "mean(concat([x, x[::-1]], axis=0), axis=0)", &e[0]), LZ_OK);
    CU_ASSERT_EQUAL_FATAL(lz_expr_parse(ctx, "std(concat([x, x[::-1]], axis=0), axis=0)", &e[1]), LZ_OK);
    const lz_source *s0[1] = {&c.src}, *s1[1] = {&c.src};
    const lz_source *const *srcs[2] = {s0, s1};
    lz_graph *g;
    CU_ASSERT_EQUAL_FATAL(lz_graph_new_multi(ctx, (const lz_expr *const *)e, 2, srcs, &g), LZ_OK);
    /* The two reductions read one merged concat node. */
    CU_ASSERT_PTR_EQUAL(g->roots[0]->in[0], g->roots[1]->in[0]);
    double mean[R1 * R2], std[R1 * R2];
    void *outs[2] = {mean, std};
    lz_box box;
    lz_box_full(&box, 2, lz_graph_root_shape(g, 0));
    CU_ASSERT_EQUAL(lz_graph_eval_many(g, &box, outs, NULL), LZ_OK);
    /* One scan, and x read once: both views of it need the same box. */
    CU_ASSERT_EQUAL(c.elements, R0 * R1 * R2);
    double want_mean = 0, want_m2 = 0;
    for (int i = 0; i < R0; i++)
        want_mean += r_at(i, 2, 3);
    want_mean /= R0; /* the reversed copy has the same mean and spread */
    for (int i = 0; i < R0; i++)
        want_m2 += 2 * (r_at(i, 2, 3) - want_mean) * (r_at(i, 2, 3) - want_mean);
    CU_ASSERT(fabs(mean[2 * R2 + 3] - want_mean) < 1e-12 * (fabs(want_mean) + 1));
    CU_ASSERT(fabs(std[2 * R2 + 3] - sqrt(want_m2 / (2 * R0))) < 1e-9);
    lz_graph_free(g);
    lz_expr_free(e[0]);
    lz_expr_free(e[1]);
    CU_ASSERT_EQUAL(lz_ctx_bytes_in_use(ctx), 0);
    lz_ctx_free(ctx);
}

/* The anomaly x - mean(x, axis=0), read whole in many pieces, then row by
 * row, then a column range: the mean is computed once (the cache), so x is
 * read once for the mean and once for the subtraction. With the cache off
 * or too small for the mean, or after lz_graph_cache_clear, the mean is
 * computed again — and the values always match. */
static double
anomaly_want(int i, int j, int k)
{
    double sum = 0;
    for (int t = 0; t < R0; t++)
        sum += r_at(t, j, k);
    return r_at(i, j, k) - sum / R0;
}

static bool
anomaly_matches(const double *out, const lz_box *box)
{
    int64_t e = 0;
    for (int64_t i = 0; i < box->count[0]; i++)
        for (int64_t j = 0; j < box->count[1]; j++)
            for (int64_t k = 0; k < box->count[2]; k++, e++) {
                double want = anomaly_want((int)(box->start[0] + i * box->step[0]),
                                           (int)(box->start[1] + j * box->step[1]),
                                           (int)(box->start[2] + k * box->step[2]));
                if (fabs(out[e] - want) > 1e-12 * (fabs(want) + 1))
                    return false;
            }
    return true;
}

static void
test_reductions_inside_are_computed_once(void)
{
    fill_random(6);
    const int64_t n = R0 * R1 * R2;
    static const size_t caches[] = {(size_t)32 << 20, 0, R1 * R2 * 8 - 8};
    for (size_t ci = 0; ci < sizeof caches / sizeof caches[0]; ci++) {
        bool cached = caches[ci] >= R1 * R2 * 8;
        counting c;
        counting_init(&c, 3, (int64_t[]){R0, R1, R2}, rdata);
        lz_config cfg;
        lz_config_init(&cfg);
        cfg.memory_bytes = 8 << 10; /* pieces of a few rows */
        cfg.cache_bytes = caches[ci];
        bound b;
        CU_ASSERT_EQUAL_FATAL(bind_text_with(&b, "x - mean(x, axis=0)", &c, 1, &cfg), LZ_OK);
        static double out[R0 * R1 * R2];
        lz_box whole;
        lz_box_full(&whole, 3, (int64_t[]){R0, R1, R2});
        CU_ASSERT_EQUAL(lz_graph_eval(b.graph, &whole, out, NULL), LZ_OK);
        CU_ASSERT(anomaly_matches(out, &whole));
        int64_t after_whole = c.elements;
        /* Without the cache, the mean again for every piece. */
        CU_ASSERT(cached ? after_whole == 2 * n : after_whole > 3 * n);
        for (int i = 0; i < R0; i++) {
            lz_box row = {.rank = 3, .start = {i, 0, 0}, .count = {1, R1, R2}, .step = {1, 1, 1}};
            CU_ASSERT_EQUAL(lz_graph_eval(b.graph, &row, out, NULL), LZ_OK);
            CU_ASSERT(anomaly_matches(out, &row));
        }
        if (cached)
            CU_ASSERT_EQUAL(c.elements - after_whole, n); /* each row once, the mean not again */
        /* Inside the kept box, with steps: still no new scan. */
        int64_t before = c.elements;
        lz_box part = {.rank = 3, .start = {2, 3, 1}, .count = {4, 3, 4}, .step = {5, 2, 2}};
        CU_ASSERT_EQUAL(lz_graph_eval(b.graph, &part, out, NULL), LZ_OK);
        CU_ASSERT(anomaly_matches(out, &part));
        if (cached)
            CU_ASSERT_EQUAL(c.elements - before, 4 * 3 * 4);
        /* New data, cache cleared: new values. */
        rdata[(0 * R1 + 3) * R2 + 1] += 23.0;
        lz_graph_cache_clear(b.graph);
        CU_ASSERT_EQUAL(lz_graph_eval(b.graph, &part, out, NULL), LZ_OK);
        CU_ASSERT(anomaly_matches(out, &part));
        rdata[(0 * R1 + 3) * R2 + 1] -= 23.0;
        unbind(&b);
    }
}

/* mean and std of the same input, as two expressions of one graph, read
 * the input once; sums of views of a shared operand share its reads. */
static void
test_one_pass_for_many(void)
{
    fill_random(4);
    counting c;
    counting_init(&c, 3, (int64_t[]){R0, R1, R2}, rdata);
    lz_ctx *ctx = lz_ctx_new(NULL);
    lz_expr *e[2];
    CU_ASSERT_EQUAL_FATAL(lz_expr_parse(ctx, "mean(x, axis=0)", &e[0]), LZ_OK);
    CU_ASSERT_EQUAL_FATAL(lz_expr_parse(ctx, "std(x, axis=0)", &e[1]), LZ_OK);
    const lz_source *s0[1] = {&c.src}, *s1[1] = {&c.src};
    const lz_source *const *srcs[2] = {s0, s1};
    lz_graph *g;
    CU_ASSERT_EQUAL_FATAL(lz_graph_new_multi(ctx, (const lz_expr *const *)e, 2, srcs, &g), LZ_OK);
    CU_ASSERT_EQUAL(lz_graph_root_count(g), 2);
    double mean[R1 * R2], std[R1 * R2];
    void *outs[2] = {mean, std};
    lz_box box;
    lz_box_full(&box, 2, lz_graph_root_shape(g, 0));
    CU_ASSERT_EQUAL(lz_graph_eval_many(g, &box, outs, NULL), LZ_OK);
    CU_ASSERT_EQUAL(c.elements, R0 * R1 * R2); /* one scan for both */
    double want_mean = 0, want_m2 = 0;
    for (int i = 0; i < R0; i++)
        want_mean += r_at(i, 3, 4);
    want_mean /= R0;
    for (int i = 0; i < R0; i++)
        want_m2 += (r_at(i, 3, 4) - want_mean) * (r_at(i, 3, 4) - want_mean);
    CU_ASSERT(fabs(mean[3 * R2 + 4] - want_mean) < 1e-12 * fabs(want_mean) + 1e-12);
    CU_ASSERT(fabs(std[3 * R2 + 4] - sqrt(want_m2 / R0)) < 1e-9);
    lz_graph_free(g);
    lz_expr_free(e[0]);
    lz_expr_free(e[1]);
    CU_ASSERT_EQUAL(lz_ctx_bytes_in_use(ctx), 0);
    lz_ctx_free(ctx);
}

/* The count of elements one output folds must fit in 64 bits; an empty
 * reduced axis makes it 0 whatever the others. */
static void
test_more_than_2_63_elements_refused(void)
{
    double x[4] = {1, 2, 3, 4}, out[1];
    test_array a = {LZ_FLOAT64, 1, {4}, x};
    lz_error err;
    static const char *const refused[] = {"sum(broadcast_to(a[0], (2**62, 2**62)))",
                                          "argmax(broadcast_to(a[1], (2**62, 4, 2**62)))",
                                          "min(broadcast_to(a, (2**62, 2**62, 4)), axis=(0, 1))"};
    for (size_t i = 0; i < sizeof refused / sizeof *refused; i++) {
        CU_ASSERT_EQUAL(eval_full(refused[i], &a, 1, 0, out, NULL, &err), LZ_ELIMIT);
        CU_ASSERT_PTR_NOT_NULL(strstr(err.message, "more than 2^63 elements"));
    }
    CU_ASSERT_EQUAL(eval_full("sum(broadcast_to(a[0], (2**62, 0, 2**62)))", &a, 1, 0, out, NULL, &err), LZ_OK);
    CU_ASSERT_EQUAL(out[0], 0.0);
    CU_ASSERT_EQUAL(eval_full("min(broadcast_to(a[0], (2**62, 2**62, 0)))", &a, 1, 0, out, NULL, &err), LZ_EVALUE);
    CU_ASSERT_PTR_NOT_NULL(strstr(err.message, "zero-size array"));
}

void
register_reduce_suite(void)
{
    CU_pSuite s = CU_add_suite("reductions", NULL, NULL);
    CU_add_test(s, "values and NaN rules", test_values);
    CU_add_test(s, "sums with infinities and overflow", test_sums_with_infinities);
    CU_add_test(s, "arg reductions: ties, first NaN, all-NaN", test_arg_reductions_and_ties);
    CU_add_test(s, "integer sums accumulate in 64 bits", test_integer_sums_are_wide);
    CU_add_test(s, "same bits under every budget", test_budget_independence);
    CU_add_test(s, "threads fold the same bits", test_threads_same_bits);
    CU_add_test(s, "part of a reduction reads only its columns", test_partial_reads_stay_small);
    CU_add_test(s, "mean and std of one input in one scan", test_one_pass_for_many);
    CU_add_test(s, "common subexpressions of several expressions merged", test_common_subexpressions_merged);
    CU_add_test(s, "reductions inside expressions are computed once", test_reductions_inside_are_computed_once);
    CU_add_test(s, "more than 2^63 reduced elements refused", test_more_than_2_63_elements_refused);
}
