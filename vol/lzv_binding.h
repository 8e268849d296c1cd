/* lzv_binding.h — an expression bound to a file's datasets, not (or not
 * yet) stored anywhere: what `define` validates before writing a
 * placeholder, and what `h5lazy eval` reads. */
#ifndef LZV_BINDING_H
#define LZV_BINDING_H

#include "lzv_operand.h"

typedef struct lzv_binding {
    lz_ctx *ctx;          /* owns expr and graph; holds the error of a failure */
    lz_expr *expr;
    lz_graph *graph;      /* NULL until bound */
    lzv_operand *ops;     /* the opened operands */
    size_t nops;
    lzv_place place;      /* where operands are resolved */
    hid_t failed_stack;   /* HDF5 stack of an operand read that failed */
} lzv_binding;

/* Parse `expression` and bind it as if it were the dataset `name` of the
 * file (operands resolve from name's group; name also heads the cycle
 * check). On failure returns -1: an engine error is left on b->ctx for the
 * caller to report (b->ctx is NULL only when memory is short, with an error
 * pushed); HDF5 failures are pushed. Always call lzv_binding_close. */
herr_t lzv_binding_open(lzv_obj *file, const char *name, const char *expression, const lz_config *cfg,
                        hid_t dxpl_id, lzv_binding *b);
void lzv_binding_close(lzv_binding *b, hid_t dxpl_id);

#endif
