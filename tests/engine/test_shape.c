/* test_shape.c — views (indexing, transpose, squeeze, expand_dims,
 * broadcast_to), concat and stack, checked element by element against
 * index arithmetic done here, and the box algebra behind them: a slice of a
 * slice reads one strided box, concat touches only the inputs it needs. */
#include "engine_test.h"

#include <string.h>

enum { A0 = 6, A1 = 7, A2 = 5 };
static double adata[A0 * A1 * A2];
static double bdata[4 * A1 * A2];

static double
a_at(int i, int j, int k)
{
    return adata[(i * A1 + j) * A2 + k];
}

static void
fill(void)
{
    for (int i = 0; i < A0 * A1 * A2; i++)
        adata[i] = i * 0.5 - 7;
    for (int i = 0; i < 4 * A1 * A2; i++)
        bdata[i] = 1000 + i;
}

static void
test_slices_compose_into_one_box(void)
{
    fill();
    counting c;
    counting_init(&c, 3, (int64_t[]){A0, A1, A2}, adata);
    bound b;
    CU_ASSERT_EQUAL_FATAL(bind_text(&b, "x[1:][::2, 6:0:-3, 4]", &c, 1, 0), LZ_OK);
    CU_ASSERT_EQUAL(lz_graph_rank(b.graph), 2);
    CU_ASSERT(lz_graph_shape(b.graph)[0] == 3 && lz_graph_shape(b.graph)[1] == 2);
    double out[6];
    CU_ASSERT_EQUAL(eval_all(&b, out), LZ_OK);
    /* x[1:][::2] is rows 1, 3, 5; 6:0:-3 is 6, 3; then column 4. */
    const int rows[3] = {1, 3, 5}, cols[2] = {6, 3};
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < 2; j++)
            CU_ASSERT_EQUAL(out[i * 2 + j], a_at(rows[i], cols[j], 4));
    /* One read of exactly the 6 elements: a strided box, steps 2 and 3. */
    CU_ASSERT_EQUAL(c.reads, 1);
    CU_ASSERT_EQUAL(c.elements, 6);
    CU_ASSERT(c.last.start[0] == 1 && c.last.step[0] == 2 && c.last.count[0] == 3);
    CU_ASSERT(c.last.start[1] == 3 && c.last.step[1] == 3 && c.last.count[1] == 2);
    unbind(&b);
}

/* Steps multiply when slices compose; a slice of one element keeps none,
 * so huge steps neither overflow nor reach the source. */
static void
test_one_element_slices_drop_their_step(void)
{
    fill();
    counting c;
    counting_init(&c, 3, (int64_t[]){A0, A1, A2}, adata);
    bound b;
    CU_ASSERT_EQUAL_FATAL(bind_text(&b, "x[::10**10][::10**10, 5:][:, ::-10**18, ::10**17]", &c, 1, 0), LZ_OK);
    CU_ASSERT(lz_graph_shape(b.graph)[0] == 1 && lz_graph_shape(b.graph)[1] == 1 &&
              lz_graph_shape(b.graph)[2] == 1);
    double out[1];
    CU_ASSERT_EQUAL(eval_all(&b, out), LZ_OK);
    CU_ASSERT_EQUAL(out[0], a_at(0, 6, 0));
    /* A box of one element, of any step. */
    lz_box one = {.rank = 3, .count = {1, 1, 1}, .step = {INT64_MAX, INT64_MAX, INT64_MAX}};
    CU_ASSERT_EQUAL(lz_graph_eval(b.graph, &one, out, NULL), LZ_OK);
    CU_ASSERT_EQUAL(out[0], a_at(0, 6, 0));
    CU_ASSERT(c.last.step[0] == 1 && c.last.step[1] == 1 && c.last.step[2] == 1);
    unbind(&b);
}

static void
test_index_forms(void)
{
    fill();
    counting c;
    counting_init(&c, 3, (int64_t[]){A0, A1, A2}, adata);
    bound b;
    /* ..., None and a negative index; then transpose, squeeze, expand_dims. */
    CU_ASSERT_EQUAL_FATAL(bind_text(&b, "transpose(x[-1, ..., None], (2, 0, 1))", &c, 1, 0), LZ_OK);
    CU_ASSERT(lz_graph_rank(b.graph) == 3 && lz_graph_shape(b.graph)[0] == 1 &&
              lz_graph_shape(b.graph)[1] == A1 && lz_graph_shape(b.graph)[2] == A2);
    double out[A1 * A2];
    CU_ASSERT_EQUAL(eval_all(&b, out), LZ_OK);
    int bad = 0;
    for (int j = 0; j < A1; j++)
        for (int k = 0; k < A2; k++)
            bad += out[j * A2 + k] != a_at(A0 - 1, j, k);
    CU_ASSERT_EQUAL(bad, 0);
    unbind(&b);

    CU_ASSERT_EQUAL_FATAL(bind_text(&b, "squeeze(expand_dims(x[:, 2], (0, 3)), 0)", &c, 1, 0), LZ_OK);
    CU_ASSERT(lz_graph_rank(b.graph) == 3 && lz_graph_shape(b.graph)[2] == 1);
    double out2[A0 * A2];
    CU_ASSERT_EQUAL(eval_all(&b, out2), LZ_OK);
    bad = 0;
    for (int i = 0; i < A0; i++)
        for (int k = 0; k < A2; k++)
            bad += out2[i * A2 + k] != a_at(i, 2, k);
    CU_ASSERT_EQUAL(bad, 0);
    unbind(&b);

    /* A transposed, reversed read: the copy reorders, the read stays one box. */
    c.reads = 0;
    CU_ASSERT_EQUAL_FATAL(bind_text(&b, "transpose(x)[::-1, 2]", &c, 1, 0), LZ_OK);
    double out3[A2 * A0];
    CU_ASSERT_EQUAL(eval_all(&b, out3), LZ_OK);
    bad = 0;
    for (int k = 0; k < A2; k++)
        for (int i = 0; i < A0; i++)
            bad += out3[k * A0 + i] != a_at(i, 2, A2 - 1 - k);
    CU_ASSERT_EQUAL(bad, 0);
    CU_ASSERT_EQUAL(c.reads, 1);
    unbind(&b);
}

static void
test_broadcast_to(void)
{
    fill();
    counting c;
    counting_init(&c, 3, (int64_t[]){A0, A1, A2}, adata);
    bound b;
    CU_ASSERT_EQUAL_FATAL(bind_text(&b, "broadcast_to(x[0, 1:2], (3, 4, 5))", &c, 1, 0), LZ_OK);
    double out[3 * 4 * 5];
    CU_ASSERT_EQUAL(eval_all(&b, out), LZ_OK);
    int bad = 0;
    for (int i = 0; i < 3 * 4; i++)
        for (int k = 0; k < 5; k++)
            bad += out[i * 5 + k] != a_at(0, 1, k);
    CU_ASSERT_EQUAL(bad, 0);
    CU_ASSERT_EQUAL(c.elements, 5); /* read once, repeated in the copy */
    unbind(&b);
}

static void
test_concat_touches_only_what_it_needs(void)
{
    fill();
    counting c[2];
    counting_init(&c[0], 3, (int64_t[]){A0, A1, A2}, adata);
    counting_init(&c[1], 3, (int64_t[]){4, A1, A2}, bdata);
    bound b;
    CU_ASSERT_EQUAL_FATAL(bind_text(&b, "concat([x, y], axis=0)", c, 2, 0), LZ_OK);
    CU_ASSERT_EQUAL(lz_graph_shape(b.graph)[0], A0 + 4);
    /* Rows 1..4 are all in x: y is not read. */
    double out[4 * A1 * A2];
    lz_box box = {.rank = 3, .start = {1, 0, 0}, .count = {4, A1, A2}, .step = {1, 1, 1}};
    CU_ASSERT_EQUAL(lz_graph_eval(b.graph, &box, out, NULL), LZ_OK);
    CU_ASSERT_EQUAL(c[1].reads, 0);
    CU_ASSERT_EQUAL(out[0], a_at(1, 0, 0));
    /* Every third row from 2 crosses into y: rows 2, 5 of x, rows 2 of y... */
    box = (lz_box){.rank = 3, .start = {2, 3, 1}, .count = {3, 2, 2}, .step = {3, 2, 3}};
    double out2[12];
    CU_ASSERT_EQUAL(lz_graph_eval(b.graph, &box, out2, NULL), LZ_OK);
    const int rows[3] = {2, 5, 8};
    int bad = 0;
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < 2; j++)
            for (int k = 0; k < 2; k++) {
                int r = rows[i], jj = 3 + 2 * j, kk = 1 + 3 * k;
                double want = r < A0 ? a_at(r, jj, kk) : bdata[((r - A0) * A1 + jj) * A2 + kk];
                bad += out2[(i * 2 + j) * 2 + k] != want;
            }
    CU_ASSERT_EQUAL(bad, 0);
    unbind(&b);

    /* Along an inner axis, with different types (float64 and a uint8 view). */
    CU_ASSERT_EQUAL_FATAL(bind_text(&b, "concat([x[:4], y], axis=2)", c, 2, 0), LZ_OK);
    CU_ASSERT_EQUAL(lz_graph_shape(b.graph)[2], 2 * A2);
    double out3[4 * A1 * 2 * A2];
    CU_ASSERT_EQUAL(eval_all(&b, out3), LZ_OK);
    bad = 0;
    for (int i = 0; i < 4; i++)
        for (int j = 0; j < A1; j++)
            for (int k = 0; k < 2 * A2; k++) {
                double want = k < A2 ? a_at(i, j, k) : bdata[(i * A1 + j) * A2 + (k - A2)];
                bad += out3[(i * A1 + j) * 2 * A2 + k] != want;
            }
    CU_ASSERT_EQUAL(bad, 0);
    unbind(&b);
}

static void
test_stack_levels(void)
{
    fill();
    counting c[2];
    counting_init(&c[0], 3, (int64_t[]){A0, A1, A2}, adata);
    counting_init(&c[1], 3, (int64_t[]){4, A1, A2}, bdata);
    bound b;
    CU_ASSERT_EQUAL_FATAL(bind_text(&b, "stack([stack([x[0], y[1]], axis=-1), x[2:4, 0]], axis=1)", c, 2, 0),
                          LZ_ESHAPE); /* (7, 5, 2) vs (2, 5) */
    unbind(&b);
    CU_ASSERT_EQUAL_FATAL(bind_text(&b, "stack([stack([x[0], y[1]], axis=-1), stack([x[2], x[3]], 2)], axis=1)",
                                    c, 2, 0),
                          LZ_OK);
    const int64_t *s = lz_graph_shape(b.graph);
    CU_ASSERT(lz_graph_rank(b.graph) == 4 && s[0] == A1 && s[1] == 2 && s[2] == A2 && s[3] == 2);
    double out[A1 * 2 * A2 * 2];
    CU_ASSERT_EQUAL(eval_all(&b, out), LZ_OK);
    int bad = 0;
    for (int j = 0; j < A1; j++)
        for (int p = 0; p < 2; p++)
            for (int k = 0; k < A2; k++)
                for (int q = 0; q < 2; q++) {
                    double want = p == 0 ? (q == 0 ? a_at(0, j, k) : bdata[(1 * A1 + j) * A2 + k])
                                         : a_at(q == 0 ? 2 : 3, j, k);
                    bad += out[((j * 2 + p) * A2 + k) * 2 + q] != want;
                }
    CU_ASSERT_EQUAL(bad, 0);
    unbind(&b);
}

void
register_shape_suite(void)
{
    CU_pSuite s = CU_add_suite("shapes", NULL, NULL);
    CU_add_test(s, "slices of slices are one strided read", test_slices_compose_into_one_box);
    CU_add_test(s, "one-element slices drop their step", test_one_element_slices_drop_their_step);
    CU_add_test(s, "ellipsis, None, negative index, transpose, squeeze", test_index_forms);
    CU_add_test(s, "broadcast_to reads once", test_broadcast_to);
    CU_add_test(s, "concat reads only the inputs a box meets", test_concat_touches_only_what_it_needs);
    CU_add_test(s, "stack at several levels", test_stack_levels);
}
