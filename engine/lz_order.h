/* lz_order.h — order statistics' evaluation, shared by lz_order.c (keys,
 * selection, numpy's formulas, the in-memory path) and lz_order_pass.c
 * (the path in passes). */
#ifndef LZ_ORDER_H
#define LZ_ORDER_H

#include "lz_eval.h"

/* The ranks (0-based, among an output's n values in ascending order) one
 * quantile needs, and the weight between them. */
typedef struct lz_order_pick {
    int64_t i, j; /* lower and upper neighbour (equal when one element is taken) */
    double t;     /* numpy's gamma: the weight of j in the interpolation */
} lz_order_pick;

/* Work arrays of one part of an evaluation in memory. */
typedef struct lz_order_scratch {
    uint64_t *row;  /* a block of outputs' keys, R each */
    int64_t *base;  /* where each output of a block starts in a slab */
    uint64_t *cand; /* the keys radix selection keeps (R) */
} lz_order_scratch;

/* Free whatever of s is not NULL. */
void lz_order_scratch_free(lz_ctx *ctx, lz_order_scratch *s);

/* Keys whose unsigned order is the values' (NaN largest), n of them from
 * src (elements of type t). */
void lz_order_keys(lz_dtype t, const void *src, int64_t n, uint64_t *keys);
/* The double a float key stands for. */
double lz_order_key_double(uint64_t k);
/* Put the k-th smallest of a[lo..hi) at a[k], smaller ones before it and
 * larger ones after (lo <= k < hi). */
void lz_order_select(uint64_t *a, int64_t lo, int64_t hi, int64_t k);
/* The ranks quantile q needs among n >= 1 values; returns how many are
 * distinct (1 or 2). */
int lz_order_ranks(const lz_order *o, double q, int64_t n, lz_order_pick *pick);
/* Store the result of a quantile from the keys at its ranks (ka at i, kb
 * at j) into dst, of n's dtype. */
void lz_order_value(const lz_node *n, const lz_order_pick *pick, uint64_t ka, uint64_t kb, void *dst);
/* Store NaN of n's dtype (a float) into dst. */
void lz_order_nan(const lz_node *n, void *dst);

/* A box of an ORDER node without its q axis (kept: the outputs' axes), and
 * the q range it asks for. */
void lz_order_split_box(const lz_node *n, const lz_box *box, lz_box *kept, int64_t *q0, int64_t *qn,
                        int64_t *qstep);
/* Elements each output orders (0 when a reduced axis is empty). */
int64_t lz_order_reduced_count(const lz_node *n);
/* Bytes per reduced element of an output evaluated in memory, and all the
 * bytes one output needs there (its values and the evaluation's fixed
 * work arrays). */
size_t lz_order_element_bytes(lz_evaluator *ev, const lz_node *n);
double lz_order_bytes_per_output(lz_evaluator *ev, const lz_node *n);
/* Outputs whose reduced values fit in memory at once, in what is left of
 * the budget now (0: not even one; the passes are needed). */
int64_t lz_order_fit(lz_evaluator *ev, const lz_node *n);

/* The path in passes (lz_order_pass.c): every output of `kept` (the q
 * range q0, qn, qstep) into out, as lz_eval_order lays it out. */
lz_status lz_order_passes_eval(lz_evaluator *ev, const lz_node *n, const lz_box *kept, int64_t q0, int64_t qn,
                               int64_t qstep, void *out);
/* The most reads of the values the path in passes makes for node n
 * within the budget, for qn quantiles (the passes depend on the data;
 * this is the bound): outputs are taken in blocks, and each block's
 * passes read that block's values only. */
int lz_order_passes_bound(lz_evaluator *ev, const lz_node *n, int64_t qn);

#endif
