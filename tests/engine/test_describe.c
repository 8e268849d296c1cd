/* test_describe.c — what the engine says about a graph without evaluating
 * it: the elements each source a box reads (checked against the counting
 * source's count when the box is evaluated), and the tree and DOT text. */
#include "engine_test.h"

#include <stdlib.h>
#include <string.h>

enum { D0 = 6, D1 = 5, D2 = 4 };
static double ddata[D0 * D1 * D2];

/* The estimate for `box` equals what evaluating it reads (no cache: a
 * fresh graph per box), x chunked by `chunk0` rows (0: no chunks). */
static void
check_estimate(const char *text, const lz_box *box, int64_t chunk0, int64_t want)
{
    counting c;
    counting_init(&c, 3, (int64_t[]){D0, D1, D2}, ddata);
    c.src.chunk[0] = chunk0;
    bound b;
    CU_ASSERT_EQUAL_FATAL(bind_text(&b, text, &c, 1, 0), LZ_OK);
    CU_ASSERT_EQUAL_FATAL(lz_graph_source_count(b.graph), 1);
    int64_t got = -1;
    CU_ASSERT_EQUAL(lz_graph_estimate_reads(b.graph, 0, box, &got), LZ_OK);
    int64_t nelem;
    lz_box_nelem(box, &nelem);
    double *out = calloc((size_t)nelem + 1, sizeof *out);
    CU_ASSERT_EQUAL(lz_graph_eval(b.graph, box, out, NULL), LZ_OK);
    if (got != want || c.elements != want)
        fprintf(stderr, "\n  %s: estimate %lld, read %lld, want %lld\n", text, (long long)got,
                (long long)c.elements, (long long)want);
    CU_ASSERT_EQUAL(got, want);
    CU_ASSERT_EQUAL(c.elements, want);
    free(out);
    unbind(&b);
}

static void
test_estimates(void)
{
    for (int i = 0; i < D0 * D1 * D2; i++)
        ddata[i] = i % 7;
    lz_box rows = {.rank = 3, .start = {2, 0, 0}, .count = {2, D1, D2}, .step = {1, 1, 1}};
    check_estimate("x * 2 + 1", &rows, 0, 2 * D1 * D2);
    /* the rows, and the whole of x for the mean of their columns */
    check_estimate("x - mean(x, axis=0)", &rows, 0, 2 * D1 * D2 + D0 * D1 * D2);
    lz_box col = {.rank = 2, .start = {1, 2}, .count = {2, 1}, .step = {2, 1}};
    check_estimate("sum(x, axis=0)", &col, 0, 2 * D0);
    /* a concat box across the join reads a row of each part */
    lz_box across = {.rank = 3, .start = {D0 - 1, 0, 0}, .count = {2, D1, D2}, .step = {1, 1, 1}};
    check_estimate("concat([x, x[::-1]], axis=0)", &across, 0, 2 * D1 * D2);
    lz_box one = {.rank = 2, .start = {2, 1}, .count = {1, 1}, .step = {1, 1}};
    check_estimate("x[::2, 1, ::-1]", &one, 0, 1);
    /* A box that fits one piece is one piece, whatever the chunks: cut on
     * the grid it read the broadcast row once per piece. */
    lz_box whole = {.rank = 3, .count = {D0, D1, D2}, .step = {1, 1, 1}};
    check_estimate("x + x[:1]", &whole, 2, D0 * D1 * D2 + D1 * D2);
    /* A box cut into pieces reads a broadcast operand once per piece, and
     * the estimate counts it so (fuzz/regressions/fuzz_expr/
     * estimate-reads-small-pieces-reread-broadcast: it counted x once).
     * Pieces are small (512 KiB of temporaries) only where that costs no
     * reads: not over a broadcast, so with the default budget this box is
     * one piece, and a 64 KiB budget cuts it. */
    static const size_t budgets[] = {0, 64 << 10};
    lz_box big = {.rank = 4, .count = {1000, D0, D1, D2}, .step = {1, 1, 1, 1}};
    double *out = malloc(1000 * D0 * D1 * D2 * sizeof *out);
    for (int i = 0; i < 2; i++) {
        counting c;
        counting_init(&c, 3, (int64_t[]){D0, D1, D2}, ddata);
        bound b;
        CU_ASSERT_EQUAL_FATAL(bind_text(&b, "-broadcast_to(x, (1000, 6, 5, 4))", &c, 1, budgets[i]), LZ_OK);
        int64_t est = -1;
        CU_ASSERT_EQUAL(lz_graph_estimate_reads(b.graph, 0, &big, &est), LZ_OK);
        CU_ASSERT_EQUAL(lz_graph_eval(b.graph, &big, out, NULL), LZ_OK);
        CU_ASSERT(budgets[i] ? c.reads > 1 : c.reads == 1);
        CU_ASSERT_EQUAL(est, c.elements);
        unbind(&b);
    }
    free(out);
}

static void
test_describe_text(void)
{
    counting c;
    counting_init(&c, 3, (int64_t[]){D0, D1, D2}, ddata);
    bound b;
    CU_ASSERT_EQUAL_FATAL(bind_text(&b, "x[1] * 2 + mean(x, axis=0)", &c, 1, 0), LZ_OK);
    const char *labels[] = {"x"};
    char tree[2000];
    size_t need = lz_graph_describe(b.graph, 0, 0, labels, tree, sizeof tree);
    CU_ASSERT(need > 0 && need < sizeof tree);
    const char *want = "add  float64 (5, 4)\n"
                       "├── multiply  float64 (5, 4)\n"
                       "│   ├── view [1, 0::1, 0::1]  float64 (5, 4)\n"
                       "│   │   └── x  float64 (6, 5, 4)\n"
                       "│   └── 2  float64 ()\n"
                       "└── mean axis=(0,)  float64 (5, 4)\n"
                       "    └── x  float64 (6, 5, 4)\n";
    if (strcmp(tree, want))
        fprintf(stderr, "\n%s", tree);
    CU_ASSERT_STRING_EQUAL(tree, want);
    char dot[2000];
    lz_graph_describe(b.graph, 0, 1, labels, dot, sizeof dot);
    CU_ASSERT(!strncmp(dot, "digraph h5lazy {", 16));
    CU_ASSERT_PTR_NOT_NULL(strstr(dot, "[label=\"mean axis=(0,)\\nfloat64 (5, 4)\"];"));
    /* Truncation: the length needed is still reported, the text cut. */
    char small[8];
    CU_ASSERT_EQUAL(lz_graph_describe(b.graph, 0, 0, labels, small, sizeof small), need);
    CU_ASSERT_EQUAL(strlen(small), sizeof small - 1);
    unbind(&b);
}

void
register_describe_suite(void)
{
    CU_pSuite s = CU_add_suite("describing graphs", NULL, NULL);
    CU_add_test(s, "estimated reads are the reads", test_estimates);
    CU_add_test(s, "tree and DOT text", test_describe_text);
}
