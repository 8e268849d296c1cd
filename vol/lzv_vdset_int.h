/* lzv_vdset_int.h — the state of one open virtual dataset, shared by
 * lzv_vdset.c (recognition, presentation, binding) and lzv_read.c. */
#ifndef LZV_VDSET_INT_H
#define LZV_VDSET_INT_H

#include "lzv_operand.h"
#include "lzv_vdset.h"

struct lzv_vdset {
    char *name;                   /* path of the dataset, for messages */
    char *expression;             /* the definition's text */
    char *broken;                 /* why it cannot be evaluated, or NULL */
    int rank;                     /* placeholder rank */
    hsize_t dims[H5S_MAX_RANK];   /* placeholder shape */
    hsize_t chunks[H5S_MAX_RANK]; /* evaluation chunk presented to readers */
    lz_dtype dtype;               /* element type */
    hid_t native_type;            /* memory type of engine output (owned) */
    /* Made on the first read (lzv_vdset_bind) and kept until close: */
    lz_ctx *ctx;                  /* engine context */
    lz_expr *expr;                /* parsed expression */
    lz_graph *graph;              /* bound graph */
    lzv_place place;              /* where operands are resolved */
    lzv_operand *operands;        /* opened operands */
    size_t noperands;
    hid_t failed_stack;           /* HDF5 stack of an operand read that failed */
    unsigned long generation;     /* lzv_data_generation() the graph's cache is from */
};

/* Bind on first use: parse, open operands, check the result still matches
 * the placeholder's shape and type. Pushes an error on failure. */
herr_t lzv_vdset_bind(lzv_obj *dset, hid_t dxpl_id);
/* The same for a virtual dataset that is an operand: `chain` starts with
 * the dataset itself, followed by those that use it. */
herr_t lzv_vdset_bind_chain(lzv_obj *dset, hid_t dxpl_id, const lzv_chain *chain);
/* Before a read: set its transfer list on every operand, and drop results
 * the graphs keep if stored data changed since; nested virtual operands
 * included. */
void lzv_vdset_prepare_read(lzv_vdset *vd, hid_t dxpl_id);
/* The file selection of a read that passed H5S_PLIST, on a new dataspace
 * of the dataset's extent (lzv_plist_sel.c); pushes an error on failure. */
hid_t lzv_plist_selection(const lzv_vdset *vd, hid_t dxpl_id);
/* Push the engine context's error as an HDF5 error frame about `vd`, on top
 * of any saved under-connector stack; clears both. */
void lzv_vdset_push_error(lzv_vdset *vd, const char *what);

#endif
