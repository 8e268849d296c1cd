/* test_decode.c — CF decoding of sources (issue 15): missing values, valid
 * ranges, packing and the signedness twin, each checked against values
 * computed as numpy computes them (see the comments); raw(); mdtol= on the
 * nan-reductions (biggus's meaning); fill values of results; where the
 * axes of a result come from; whether a result is a reduction. */
#include "engine_test.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Bind `text` over sources a, b, ... with fill value `fill` (NaN: none). */
static lz_status
bind_over(bound *b, const char *text, const lz_source *const *srcs, double fill)
{
    b->ctx = lz_ctx_new(NULL);
    b->expr = NULL;
    b->graph = NULL;
    lz_status st = lz_expr_parse(b->ctx, text, &b->expr);
    if (st == LZ_OK) {
        const lz_expr *e = b->expr;
        st = lz_graph_new_multi_fill(b->ctx, &e, 1, &srcs, &fill, &b->graph);
    }
    return st;
}

/* pr: int16 packed with float32 scale 0.5 and offset 10, _FillValue -1,
 * missing_value [-2, 7], valid_range [-5, 100]. */
static const int16_t pr_stored[8] = {0, -1, 3, -2, 7, -6, 101, 100};
static const lz_value pr_missing[3] = {{.i = -1}, {.i = -2}, {.i = 7}};

static lz_decode
pr_decode(void)
{
    lz_decode d = {.as = LZ_INT16, .dtype = LZ_FLOAT32, .nmissing = 3, .missing = pr_missing};
    d.has_valid_min = d.has_valid_max = true;
    d.valid_min.i = -5;
    d.valid_max.i = 100;
    d.has_scale_factor = d.has_add_offset = true;
    d.scale_factor = 0.5;
    d.add_offset = 10;
    return d;
}

static void
test_missing_range_and_packing(void)
{
    lz_decode d = pr_decode();
    lz_source s;
    lz_source_init_memory(&s, LZ_INT16, 1, (int64_t[]){8}, pr_stored);
    s.decode = &d;
    const lz_source *srcs[1] = {&s};
    bound b;
    CU_ASSERT_EQUAL_FATAL(bind_over(&b, "a", srcs, NAN), LZ_OK);
    CU_ASSERT_EQUAL(lz_graph_dtype(b.graph), LZ_FLOAT32);
    float out[8];
    CU_ASSERT_EQUAL(eval_all(&b, out), LZ_OK);
    /* numpy: np.where(mask, nan, pr.astype(float32) * float32(0.5) + float32(10)) */
    const bool missing[8] = {false, true, false, true, true, true, true, false};
    for (int i = 0; i < 8; i++) {
        CU_ASSERT(missing[i] ? isnan(out[i]) : out[i] == (float)pr_stored[i] * 0.5f + 10.0f);
    }
    unbind(&b);
    /* raw(): the stored values, in the stored type, in the same expression. */
    CU_ASSERT_EQUAL_FATAL(bind_over(&b, "raw(a) + 0 * a", srcs, NAN), LZ_OK);
    CU_ASSERT_EQUAL(lz_graph_dtype(b.graph), LZ_FLOAT32); /* int16 + float32 */
    CU_ASSERT_EQUAL(lz_graph_source_count(b.graph), 1);
    CU_ASSERT_EQUAL(eval_all(&b, out), LZ_OK);
    CU_ASSERT_EQUAL(out[0], 0.0f);
    CU_ASSERT_EQUAL(out[2], 3.0f);
    CU_ASSERT(isnan(out[1])); /* 0 * NaN */
    unbind(&b);
    CU_ASSERT_EQUAL_FATAL(bind_over(&b, "raw(a)", srcs, NAN), LZ_OK);
    CU_ASSERT_EQUAL(lz_graph_dtype(b.graph), LZ_INT16);
    int16_t raw[8];
    CU_ASSERT_EQUAL(eval_all(&b, raw), LZ_OK);
    CU_ASSERT_EQUAL(memcmp(raw, pr_stored, sizeof raw), 0);
    unbind(&b);
}

/* The arithmetic is numpy's in the decoded type: float32 here, so the
 * scale 0.1 (not exact in binary) is rounded to float32 first, as numpy
 * does with a float32 scale_factor or a Python float next to a float32
 * array; float64 keeps all of it. */
static void
test_arithmetic_in_decoded_type(void)
{
    const int16_t v[2] = {3, 7};
    lz_decode d32 = {.as = LZ_INT16, .dtype = LZ_FLOAT32, .has_scale_factor = true, .scale_factor = 0.1};
    lz_decode d64 = d32;
    d64.dtype = LZ_FLOAT64;
    lz_source s;
    lz_source_init_memory(&s, LZ_INT16, 1, (int64_t[]){2}, v);
    const lz_source *srcs[1] = {&s};
    bound b;
    s.decode = &d32;
    float o32[2];
    CU_ASSERT_EQUAL_FATAL(bind_over(&b, "a", srcs, NAN), LZ_OK);
    CU_ASSERT_EQUAL(eval_all(&b, o32), LZ_OK);
    CU_ASSERT_EQUAL(o32[0], 3.0f * 0.1f);
    CU_ASSERT_EQUAL(o32[1], 7.0f * 0.1f);
    unbind(&b);
    s.decode = &d64;
    double o64[2];
    CU_ASSERT_EQUAL_FATAL(bind_over(&b, "a", srcs, NAN), LZ_OK);
    CU_ASSERT_EQUAL(eval_all(&b, o64), LZ_OK);
    CU_ASSERT_EQUAL(o64[0], 3.0 * 0.1);
    unbind(&b);
}

/* _Unsigned: int8 storage meaning uint8 (same bits, numpy's astype), with
 * a fill value given as the unsigned value. */
static void
test_signedness_twin(void)
{
    const int8_t v[4] = {-1, -128, 5, 127};
    const lz_value fill[1] = {{.u = 255}};
    lz_decode d = {.as = LZ_UINT8, .dtype = LZ_UINT8};
    lz_source s;
    lz_source_init_memory(&s, LZ_INT8, 1, (int64_t[]){4}, v);
    s.decode = &d;
    const lz_source *srcs[1] = {&s};
    bound b;
    uint8_t u[4];
    CU_ASSERT_EQUAL_FATAL(bind_over(&b, "a", srcs, NAN), LZ_OK);
    CU_ASSERT_EQUAL(lz_graph_dtype(b.graph), LZ_UINT8); /* nothing missing: stays an integer */
    CU_ASSERT_EQUAL(eval_all(&b, u), LZ_OK);
    CU_ASSERT(u[0] == 255 && u[1] == 128 && u[2] == 5 && u[3] == 127);
    unbind(&b);
    d.dtype = LZ_FLOAT32;
    d.nmissing = 1;
    d.missing = fill;
    float f[4];
    CU_ASSERT_EQUAL_FATAL(bind_over(&b, "a", srcs, NAN), LZ_OK);
    CU_ASSERT_EQUAL(eval_all(&b, f), LZ_OK);
    CU_ASSERT(isnan(f[0]) && f[1] == 128.0f && f[2] == 5.0f && f[3] == 127.0f);
    unbind(&b);
}

/* Decodings the engine cannot apply are refused where the operand is
 * named; raw() takes operands only. */
static void
test_refused(void)
{
    const int16_t v[2] = {1, 2};
    const lz_value m[1] = {{.i = 1}};
    lz_source s;
    lz_source_init_memory(&s, LZ_INT16, 1, (int64_t[]){2}, v);
    const lz_source *srcs[1] = {&s};
    bound b;
    lz_decode to_int = {.as = LZ_INT16, .dtype = LZ_INT32, .nmissing = 1, .missing = m};
    s.decode = &to_int;
    CU_ASSERT_EQUAL(bind_over(&b, "a + 1", srcs, NAN), LZ_EVALUE);
    CU_ASSERT_STRING_EQUAL(lz_ctx_error(b.ctx)->message,
                           "the decoding given for this operand has missing values or packing but a "
                           "decoded type that is not a float type");
    CU_ASSERT_EQUAL(lz_ctx_error(b.ctx)->column, 1);
    unbind(&b);
    lz_decode other = {.as = LZ_FLOAT32, .dtype = LZ_FLOAT32};
    s.decode = &other;
    CU_ASSERT_EQUAL(bind_over(&b, "a", srcs, NAN), LZ_EVALUE);
    unbind(&b);
    CU_ASSERT_EQUAL(bind_over(&b, "raw(a)", srcs, NAN), LZ_OK); /* not decoded: not refused */
    unbind(&b);
    s.decode = NULL;
    CU_ASSERT_EQUAL(bind_over(&b, "raw(a + 1)", srcs, NAN), LZ_ETYPE);
    CU_ASSERT_STRING_EQUAL(lz_ctx_error(b.ctx)->message,
                           "raw() takes an operand (a dataset name or ds(...)), not an expression");
    CU_ASSERT_EQUAL(lz_ctx_error(b.ctx)->column, 7); /* the operator of a + 1 */
    unbind(&b);
    CU_ASSERT_EQUAL(bind_over(&b, "raw(a, a)", srcs, NAN), LZ_ESYNTAX);
    unbind(&b);
}

/* Plans show a decoding as one step over its operand. */
static void
test_plan(void)
{
    lz_decode d = pr_decode();
    lz_source s;
    lz_source_init_memory(&s, LZ_INT16, 1, (int64_t[]){8}, pr_stored);
    s.decode = &d;
    const lz_source *srcs[1] = {&s};
    bound b;
    CU_ASSERT_EQUAL_FATAL(bind_over(&b, "a * 2 + raw(a)", srcs, NAN), LZ_OK);
    const char *labels[1] = {"pr"};
    char text[1024];
    lz_graph_describe(b.graph, 0, 0, labels, text, sizeof text);
    CU_ASSERT_STRING_EQUAL(text, "add  float32 (8,)\n"
                                 "├── multiply  float32 (8,)\n"
                                 "│   ├── decode  float32 (8,)\n"
                                 "│   │   └── pr  int16 (8,)\n"
                                 "│   └── 2  float32 ()\n"
                                 "└── astype float32  float32 (8,)\n"
                                 "    └── pr  int16 (8,)\n");
    unbind(&b);
}

/* mdtol: NaN where the fraction of NaN inputs exceeds mdtol, or where all
 * are NaN; without it numpy's nan-forms (nansum of all-NaN is 0). */
static void
test_mdtol(void)
{
    /* Columns with 0, 1, 2 and 4 NaN out of 4. */
    const double n = NAN;
    const double x[16] = {1, 1, 1, n, 2, 2, n, n, 3, n, n, n, 4, 4, 4, n};
    test_array a = {LZ_FLOAT64, 2, {4, 4}, x};
    double out[4];
    CU_ASSERT_EQUAL(eval_full("nansum(a, axis=0)", &a, 1, 0, out, NULL, NULL), LZ_OK);
    CU_ASSERT(out[0] == 10 && out[1] == 7 && out[2] == 5 && out[3] == 0);
    CU_ASSERT_EQUAL(eval_full("nansum(a, axis=0, mdtol=1)", &a, 1, 0, out, NULL, NULL), LZ_OK);
    CU_ASSERT(out[0] == 10 && out[1] == 7 && out[2] == 5 && isnan(out[3]));
    CU_ASSERT_EQUAL(eval_full("nanmean(a, axis=0, mdtol=0.25)", &a, 1, 0, out, NULL, NULL), LZ_OK);
    CU_ASSERT(out[0] == 2.5 && out[1] == 7.0 / 3 && isnan(out[2]) && isnan(out[3]));
    CU_ASSERT_EQUAL(eval_full("nanmax(a, axis=0, mdtol=0)", &a, 1, 0, out, NULL, NULL), LZ_OK);
    CU_ASSERT(out[0] == 4 && isnan(out[1]) && isnan(out[2]) && isnan(out[3]));
    CU_ASSERT_EQUAL(eval_full("nanstd(a, 0, False, 0, mdtol=0.5)", &a, 1, 0, out, NULL, NULL), LZ_OK);
    CU_ASSERT(out[0] > 1.11 && out[0] < 1.12 && !isnan(out[1]) && !isnan(out[2]) && isnan(out[3]));
    float f[4];
    test_array a32 = {LZ_FLOAT32, 2, {2, 2}, (float[]){1, NAN, 2, NAN}};
    lz_dtype t;
    CU_ASSERT_EQUAL(eval_full("nanmin(a, axis=0, keepdims=True, mdtol=0.5)", &a32, 1, 0, f, &t, NULL), LZ_OK);
    CU_ASSERT(t == LZ_FLOAT32 && f[0] == 1 && isnan(f[1]));
    /* Integers hold no missing values: mdtol changes nothing, not the type. */
    int64_t s[1];
    test_array ai = {LZ_INT32, 1, {3}, (int32_t[]){1, 2, 3}};
    CU_ASSERT_EQUAL(eval_full("nansum(a, mdtol=0)", &ai, 1, 0, s, &t, NULL), LZ_OK);
    CU_ASSERT(t == LZ_INT64 && s[0] == 6);
    lz_error err;
    CU_ASSERT_EQUAL(eval_full("nanmean(a, mdtol=2)", &a, 1, 0, out, NULL, &err), LZ_EVALUE);
    CU_ASSERT_STRING_EQUAL(err.message, "mdtol must be a number from 0 to 1");
    CU_ASSERT_EQUAL(err.column, 18);
    CU_ASSERT_EQUAL(eval_full("nanmean(a, mdtol=a)", &a, 1, 0, out, NULL, &err), LZ_EVALUE);
    CU_ASSERT_EQUAL(eval_full("mean(a, mdtol=0.5)", &a, 1, 0, out, NULL, &err), LZ_ESYNTAX);
    CU_ASSERT_STRING_EQUAL(err.message, "mean() got an unexpected keyword argument 'mdtol'");
    CU_ASSERT_EQUAL(eval_full("nanargmax(a, mdtol=0.5)", &a, 1, 0, out, NULL, &err), LZ_ESYNTAX);
    CU_ASSERT_EQUAL(eval_full("nanmean(a, 0, False, 0.5)", &a, 1, 0, out, NULL, &err), LZ_ESYNTAX);
}

/* A fill value replaces the root's NaN; a non-float root refuses one. */
static void
test_fill(void)
{
    const float v[3] = {1, NAN, 3};
    lz_source s;
    lz_source_init_memory(&s, LZ_FLOAT32, 1, (int64_t[]){3}, v);
    const lz_source *srcs[1] = {&s};
    bound b;
    float out[3];
    CU_ASSERT_EQUAL_FATAL(bind_over(&b, "a * 2", srcs, -999), LZ_OK);
    CU_ASSERT_EQUAL(lz_graph_dtype(b.graph), LZ_FLOAT32);
    CU_ASSERT_EQUAL(eval_all(&b, out), LZ_OK);
    CU_ASSERT(out[0] == 2 && out[1] == -999 && out[2] == 6);
    unbind(&b);
    CU_ASSERT_EQUAL(bind_over(&b, "a > 1", srcs, -999), LZ_ETYPE);
    CU_ASSERT_STRING_EQUAL(lz_ctx_error(b.ctx)->message,
                           "a fill value for missing values needs a float result, and this one is bool");
    unbind(&b);
}

/* Where result axes come from, and reductions. */
static void
test_origins(void)
{
    static double xd[4 * 6], yd[6], zd[4 * 6];
    lz_source x, y, z;
    lz_source_init_memory(&x, LZ_FLOAT64, 2, (int64_t[]){4, 6}, xd);
    lz_source_init_memory(&y, LZ_FLOAT64, 1, (int64_t[]){6}, yd);
    lz_source_init_memory(&z, LZ_FLOAT64, 2, (int64_t[]){4, 6}, zd);
    const lz_source *srcs[2] = {&x, &y}, *two[2] = {&x, &z}; /* operands a, b in order of appearance */
    lz_axis_origin o[4];
    bound b;

    /* Slices, steps and reversals compose; y's axis is the same as x's. */
    CU_ASSERT_EQUAL_FATAL(bind_over(&b, "(a - b)[1:4:2, ::-1][:, 1:]", srcs, NAN), LZ_OK);
    CU_ASSERT_EQUAL(lz_graph_axis_origins(b.graph, 0, 0, o, 4), 1);
    CU_ASSERT(o[0].source == 0 && o[0].axis == 0 && o[0].start == 1 && o[0].step == 2);
    CU_ASSERT_EQUAL(lz_graph_axis_origins(b.graph, 0, 1, o, 4), 2);
    CU_ASSERT(o[0].source == 0 && o[0].axis == 1 && o[0].start == 4 && o[0].step == -1);
    CU_ASSERT(o[1].source == 1 && o[1].axis == 0 && o[1].start == 4 && o[1].step == -1);
    CU_ASSERT_EQUAL(lz_graph_axis_origins(b.graph, 0, 1, o, 1), 2); /* counted past `max` */
    CU_ASSERT_EQUAL(lz_graph_axis_origins(b.graph, 0, 2, o, 4), 0); /* no such axis */
    const char *op;
    int in_rank;
    bool reduced[LZ_MAX_RANK];
    CU_ASSERT(!lz_graph_root_reduction(b.graph, 0, &op, &in_rank, reduced));
    unbind(&b);

    /* Transposes, new axes, broadcasting from extent 1, joined axes. */
    CU_ASSERT_EQUAL_FATAL(bind_over(&b, "transpose(concat([a, b], axis=0))[None] + a[0, :, None]", two, NAN),
                          LZ_OK);
    CU_ASSERT_EQUAL(lz_graph_rank(b.graph), 3);
    CU_ASSERT_EQUAL(lz_graph_axis_origins(b.graph, 0, 0, o, 4), 0);
    CU_ASSERT_EQUAL(lz_graph_axis_origins(b.graph, 0, 1, o, 4), 2); /* a's and b's axis 1 */
    CU_ASSERT(o[0].source == 0 && o[0].axis == 1 && o[1].source == 1 && o[1].axis == 1);
    CU_ASSERT_EQUAL(lz_graph_axis_origins(b.graph, 0, 2, o, 4), 0); /* joined, and broadcast */
    unbind(&b);

    /* The parts of a joined axis, under a slice of it. */
    CU_ASSERT_EQUAL_FATAL(bind_over(&b, "concat([a, b[::-1]], axis=0)[1::2] * 2", two, NAN), LZ_OK);
    int64_t start = -1, step = -1, extents[2] = {0};
    size_t counts[2] = {0};
    lz_axis_origin parts[2 * 4];
    CU_ASSERT_EQUAL(lz_graph_axis_parts(b.graph, 0, 0, &start, &step, extents, counts, parts, 4, 2), 2);
    CU_ASSERT(start == 1 && step == 2 && extents[0] == 4 && extents[1] == 4 && counts[0] == 1 && counts[1] == 1);
    CU_ASSERT(parts[0].source == 0 && parts[0].axis == 0 && parts[0].start == 0 && parts[0].step == 1);
    CU_ASSERT(parts[4].source == 1 && parts[4].axis == 0 && parts[4].start == 3 && parts[4].step == -1);
    CU_ASSERT_EQUAL(lz_graph_axis_parts(b.graph, 0, 1, &start, &step, extents, counts, parts, 4, 2), 0);
    CU_ASSERT_EQUAL(lz_graph_axis_parts(b.graph, 0, 2, &start, &step, extents, counts, parts, 4, 2), 0);
    unbind(&b);

    /* Reductions: kept axes go through; the cell method's axes. */
    CU_ASSERT_EQUAL_FATAL(bind_over(&b, "nanmean(a, axis=0, mdtol=0.5)[::2] * 86400", srcs, NAN), LZ_OK);
    CU_ASSERT_EQUAL(lz_graph_axis_origins(b.graph, 0, 0, o, 4), 1);
    CU_ASSERT(o[0].source == 0 && o[0].axis == 1 && o[0].start == 0 && o[0].step == 2);
    CU_ASSERT(lz_graph_root_reduction(b.graph, 0, &op, &in_rank, reduced));
    CU_ASSERT_STRING_EQUAL(op, "mean");
    CU_ASSERT(in_rank == 2 && reduced[0] && !reduced[1]);
    CU_ASSERT_EQUAL(lz_graph_reduced_axis_origins(b.graph, 0, 0, o, 4), 1);
    CU_ASSERT(o[0].source == 0 && o[0].axis == 0 && o[0].start == 0 && o[0].step == 1);
    unbind(&b);
    CU_ASSERT_EQUAL_FATAL(bind_over(&b, "max(a, axis=1, keepdims=True) - max(b, axis=1, keepdims=True)", two, NAN),
                          LZ_OK);
    CU_ASSERT_EQUAL(lz_graph_axis_origins(b.graph, 0, 1, o, 4), 0); /* kept with extent 1 */
    CU_ASSERT(lz_graph_root_reduction(b.graph, 0, &op, &in_rank, reduced));
    CU_ASSERT_STRING_EQUAL(op, "max");
    unbind(&b);
    const char *not_reductions[] = {"a - mean(a, axis=0)", "mean(a, axis=0) - max(b, axis=0)",
                                    "mean(a, axis=0) - mean(b, axis=1)[:, None]", "concat([mean(a, axis=0), b[0]])"};
    for (size_t i = 0; i < sizeof not_reductions / sizeof *not_reductions; i++) {
        CU_ASSERT_EQUAL_FATAL(bind_over(&b, not_reductions[i], two, NAN), LZ_OK);
        CU_ASSERT(!lz_graph_root_reduction(b.graph, 0, &op, &in_rank, reduced));
        CU_ASSERT_EQUAL(lz_graph_reduced_axis_origins(b.graph, 0, 0, o, 4), 0);
        unbind(&b);
    }
    CU_ASSERT_EQUAL_FATAL(bind_over(&b, "where(a[:, 0] > 0, mean(a, axis=1), std(b, axis=1))", two, NAN), LZ_OK);
    CU_ASSERT(!lz_graph_root_reduction(b.graph, 0, &op, &in_rank, reduced)); /* mean and std */
    unbind(&b);
}

void
register_decode_suite(void)
{
    CU_pSuite s = CU_add_suite("decode", NULL, NULL);
    CU_add_test(s, "missing values, valid range and packing", test_missing_range_and_packing);
    CU_add_test(s, "arithmetic in the decoded type", test_arithmetic_in_decoded_type);
    CU_add_test(s, "the signedness twin (_Unsigned)", test_signedness_twin);
    CU_add_test(s, "decodings refused, raw() of a non-operand", test_refused);
    CU_add_test(s, "plans show a decoding as one step", test_plan);
    CU_add_test(s, "mdtol on the nan-reductions", test_mdtol);
    CU_add_test(s, "fill values of results", test_fill);
    CU_add_test(s, "axis origins and root reductions", test_origins);
}
