/* lzv_binding.h — an expression bound to a file's datasets: the one path
 * from text to an evaluable graph, for a virtual dataset's reads
 * (lzv_vdset.c), for what `define` validates before writing a placeholder,
 * and for what `h5lazy eval` reads (lzv_inspect.c).
 *
 * Binding: parse, check that no operand leads back to the dataset being
 * bound (a cycle), open the operands through the under connector, and
 * build the graph. Evaluation: every read passes its transfer state
 * (lzv_xfer) down to the operand reads, and kept reduction results are
 * dropped first when stored data changed since they were computed.
 */
#ifndef LZV_BINDING_H
#define LZV_BINDING_H

#include "lzv_operand.h"

typedef struct lzv_binding {
    lz_ctx *ctx;              /* owns expr and graph; holds the error of a failure */
    lz_expr *expr;            /* the parsed expression, NULL when parsing failed */
    lz_graph *graph;          /* NULL until bound */
    lzv_operand *ops;         /* the opened operands, lz_expr_operand_count(expr) of them */
    size_t nops;
    lzv_place place;          /* where operands are resolved (owned) */
    unsigned long generation; /* the data generation the graph's kept results are from */
} lzv_binding;

/* Bind `expression` as the virtual dataset `name` (an absolute path, or
 * relative to the root; messages and the cycle check use it) at `place`,
 * which the binding takes over whatever happens. `chain` lists the
 * virtual datasets that use this one as an operand (NULL: it is read or
 * defined itself); the binding heads it. `cfg` configures the engine (NULL:
 * defaults). `fill` (NaN: none) is the number missing values of the
 * result are written as (its _FillValue). Returns 0, or -1 with the engine's error on b->ctx (b->ctx is
 * NULL only when memory is short; then an error is pushed) and HDF5's
 * account of a failing operand open on the current stack. Always call
 * lzv_binding_close, after success and failure alike. */
herr_t lzv_binding_open(lzv_binding *b, const char *name, const char *expression, const lz_config *cfg,
                        double fill, lzv_place *place, const lzv_chain *chain, hid_t dxpl_id);
/* Release everything; the HDF5 error stack is left as it was. */
void lzv_binding_close(lzv_binding *b, hid_t dxpl_id);
/* Evaluate `box` of the bound graph into out (lz_graph_eval), with x
 * collecting the cause of a failed operand read; kept results are dropped
 * first if stored data changed since they were computed. */
lz_status lzv_binding_eval(lzv_binding *b, const lz_box *box, void *out, lzv_xfer *x);

/* Record that stored data may have changed (a write, an extent change, a
 * refresh, a direct chunk write, a file flush through the connector):
 * every binding drops its kept results before its next evaluation. */
void lzv_data_changed(void);

#endif
