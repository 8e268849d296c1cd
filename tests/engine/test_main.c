/* test_main.c — runs the engine's CUnit suites (no HDF5 involved). */
#include "engine_test.h"

#include "cunit_run.h"

#include <string.h>

lz_status
parse_to_text(const char *text, char *tree, size_t size, lz_error *err)
{
    lz_ctx *ctx = lz_ctx_new(NULL);
    lz_expr *e = NULL;
    lz_status st = lz_expr_parse(ctx, text, &e);
    if (st == LZ_OK)
        lz_expr_format(e, tree, size);
    else if (err)
        *err = *lz_ctx_error(ctx);
    lz_expr_free(e);
    CU_ASSERT_EQUAL(lz_ctx_bytes_in_use(ctx), 0);
    lz_ctx_free(ctx);
    return st;
}

lz_status
eval_full(const char *text, const test_array *operands, size_t noperands, size_t memory_bytes,
          void *out, lz_dtype *out_dtype, lz_error *err)
{
    lz_config cfg;
    lz_config_init(&cfg);
    if (memory_bytes)
        cfg.memory_bytes = memory_bytes;
    lz_ctx *ctx = lz_ctx_new(&cfg);
    lz_expr *e = NULL;
    lz_graph *g = NULL;
    lz_source srcs[8];
    const lz_source *ptrs[8];
    lz_status st = lz_expr_parse(ctx, text, &e);
    if (st == LZ_OK) {
        size_t n = lz_expr_operand_count(e);
        CU_ASSERT_FATAL(n <= noperands && n <= 8);
        for (size_t i = 0; i < n; i++) {
            lz_source_init_memory(&srcs[i], operands[i].dtype, operands[i].rank, operands[i].shape,
                                  operands[i].data);
            ptrs[i] = &srcs[i];
        }
        st = lz_graph_new(ctx, e, ptrs, &g);
    }
    if (st == LZ_OK) {
        lz_box box;
        box.rank = lz_graph_rank(g);
        for (int k = 0; k < box.rank; k++) {
            box.start[k] = 0;
            box.count[k] = lz_graph_shape(g)[k];
            box.step[k] = 1;
        }
        if (out_dtype)
            *out_dtype = lz_graph_dtype(g);
        st = lz_graph_eval(g, &box, out, NULL);
    }
    if (st != LZ_OK && err)
        *err = *lz_ctx_error(ctx);
    lz_graph_free(g);
    lz_expr_free(e);
    CU_ASSERT_EQUAL(lz_ctx_bytes_in_use(ctx), 0);
    lz_ctx_free(ctx);
    return st;
}

/* A memory source that records what is read from it. */
static lz_status
counting_read(const lz_source *src, lz_ctx *ctx, const lz_box *box, void *buf, void *read_arg)
{
    (void)ctx;
    (void)read_arg;
    counting *c = src->impl;
    int64_t n;
    lz_box_nelem(box, &n);
    c->elements += n;
    c->reads++;
    c->last = *box;
    /* The element at (i, j, ...) of a dense C-order array. */
    double *out = buf;
    int64_t idx[LZ_MAX_RANK] = {0};
    for (int64_t e = 0; e < n; e++) {
        int64_t off = 0;
        for (int k = 0; k < src->rank; k++)
            off = off * src->shape[k] + box->start[k] + idx[k] * box->step[k];
        out[e] = c->data[off];
        for (int k = src->rank - 1; k >= 0; k--) {
            if (++idx[k] < box->count[k])
                break;
            idx[k] = 0;
        }
    }
    return LZ_OK;
}

static const lz_source_ops counting_ops = {counting_read};

void
counting_init(counting *c, int rank, const int64_t *shape, const double *data)
{
    memset(c, 0, sizeof *c);
    c->src.ops = &counting_ops;
    c->src.impl = c;
    c->src.dtype = LZ_FLOAT64;
    c->src.rank = rank;
    memcpy(c->src.shape, shape, (size_t)rank * sizeof *shape);
    c->data = data;
}

lz_status
bind_text(bound *b, const char *text, counting *srcs, int n, size_t memory)
{
    lz_config cfg;
    lz_config_init(&cfg);
    if (memory)
        cfg.memory_bytes = memory;
    return bind_text_with(b, text, srcs, n, &cfg);
}

lz_status
bind_text_with(bound *b, const char *text, counting *srcs, int n, const lz_config *cfg)
{
    b->ctx = lz_ctx_new(cfg);
    b->expr = NULL;
    b->graph = NULL;
    lz_status st = lz_expr_parse(b->ctx, text, &b->expr);
    if (st)
        return st;
    const lz_source *ps[3];
    for (int i = 0; i < n; i++)
        ps[i] = &srcs[i].src;
    return lz_graph_new(b->ctx, b->expr, ps, &b->graph);
}

void
unbind(bound *b)
{
    lz_graph_free(b->graph);
    lz_expr_free(b->expr);
    CU_ASSERT_EQUAL(lz_ctx_bytes_in_use(b->ctx), 0);
    lz_ctx_free(b->ctx);
}

lz_status
eval_all(bound *b, void *out)
{
    lz_box box;
    lz_box_full(&box, lz_graph_rank(b->graph), lz_graph_shape(b->graph));
    return lz_graph_eval(b->graph, &box, out, NULL);
}

/* The suites (tests/engine/CMakeLists.txt registers a ctest entry for each
 * CUNIT_SUITE line). */
static const cunit_suite suites[] = {
    CUNIT_SUITE("lex_parse", register_lex_parse_suite),
    CUNIT_SUITE("types", register_types_suite),
    CUNIT_SUITE("eval", register_eval_suite),
    CUNIT_SUITE("shape", register_shape_suite),
    CUNIT_SUITE("reduce", register_reduce_suite),
    CUNIT_SUITE("reduce_typed", register_reduce_typed_suite),
    CUNIT_SUITE("describe", register_describe_suite),
    CUNIT_SUITE("decode", register_decode_suite),
    CUNIT_SUITE("failure", register_failure_suite),
    CUNIT_SUITE("scan", register_scan_suite),
    CUNIT_SUITE("order", register_order_suite),
};

int
main(int argc, char **argv)
{
    return cunit_run(argc, argv, suites, sizeof suites / sizeof suites[0]);
}
