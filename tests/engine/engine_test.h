/* engine_test.h — shared helpers of the engine's CUnit suites. */
#ifndef ENGINE_TEST_H
#define ENGINE_TEST_H

#include "lz.h"

#include <CUnit/CUnit.h>

/* Each suite file registers its suite. */
void register_lex_parse_suite(void);
void register_types_suite(void);
void register_eval_suite(void);
void register_failure_suite(void);

/* Parse `text` with a fresh context and return the status; on success the
 * prefix form is in `tree`, on failure the error is copied to *err. */
lz_status parse_to_text(const char *text, char *tree, size_t size, lz_error *err);

/* Bind `text` over memory sources named a, b, c, ... (in order of first
 * appearance in the expression) and evaluate the whole result into `out`.
 * Returns the status and copies the error on failure. */
typedef struct test_array {
    lz_dtype dtype;
    int rank;
    int64_t shape[LZ_MAX_RANK];
    const void *data;
} test_array;

lz_status eval_full(const char *text, const test_array *operands, size_t noperands,
                    size_t memory_bytes, void *out, lz_dtype *out_dtype, lz_error *err);

/* A float64 memory source that counts what is read from it. */
typedef struct counting {
    lz_source src;      /* the source itself (impl points here) */
    const double *data; /* the array */
    int64_t elements;   /* elements read so far */
    int reads;          /* read calls so far */
    lz_box last;        /* the last box read */
} counting;

void counting_init(counting *c, int rank, const int64_t *shape, const double *data);

/* An expression bound over counting sources, with its own context. */
typedef struct bound {
    lz_ctx *ctx;
    lz_expr *expr;
    lz_graph *graph;
} bound;

/* memory: budget in bytes, 0 for the default. */
lz_status bind_text(bound *b, const char *text, counting *srcs, int n, size_t memory);
/* The same with a whole configuration. */
lz_status bind_text_with(bound *b, const char *text, counting *srcs, int n, const lz_config *cfg);
void unbind(bound *b);
lz_status eval_all(bound *b, void *out);

void register_shape_suite(void);
void register_reduce_suite(void);
void register_reduce_typed_suite(void);
void register_describe_suite(void);
void register_decode_suite(void);
void register_scan_suite(void);
void register_order_suite(void);

#endif
