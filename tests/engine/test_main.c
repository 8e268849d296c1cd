/* test_main.c — runs the engine's CUnit suites (no HDF5 involved). */
#include "engine_test.h"

#include <CUnit/Basic.h>
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
        st = lz_graph_eval(g, &box, out);
    }
    if (st != LZ_OK && err)
        *err = *lz_ctx_error(ctx);
    lz_graph_free(g);
    lz_expr_free(e);
    CU_ASSERT_EQUAL(lz_ctx_bytes_in_use(ctx), 0);
    lz_ctx_free(ctx);
    return st;
}

int
main(void)
{
    if (CU_initialize_registry() != CUE_SUCCESS)
        return 2;
    register_lex_parse_suite();
    register_types_suite();
    register_eval_suite();
    register_failure_suite();
    CU_basic_set_mode(CU_BRM_VERBOSE);
    CU_basic_run_tests();
    /* A suite whose setup fails runs no tests: that is a failure too. */
    unsigned failed = CU_get_number_of_failures() + CU_get_number_of_tests_failed() +
                      CU_get_number_of_suites_failed();
    CU_cleanup_registry();
    return failed ? 1 : 0;
}
