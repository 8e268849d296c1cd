/* lz_eval.h — the evaluator's internal interface, shared by lz_eval.c
 * (dispatch, views, concat, fused regions, planning) and lz_reduce.c. */
#ifndef LZ_EVAL_H
#define LZ_EVAL_H

#include "lz_box.h"
#include "lz_graph.h"

/* A source read kept for the rest of a piece, so that roots sharing an
 * operand read it once (lz_graph_eval_many). */
typedef struct lz_memo {
    const lz_node *node; /* the SOURCE node */
    lz_box box;          /* what was read */
    void *data;          /* its elements (owned) */
} lz_memo;

typedef struct lz_evaluator {
    lz_graph *g;         /* what is evaluated */
    lz_ctx *ctx;         /* memory and errors */
    size_t *cost;        /* per node id: bytes of temporaries per output element */
    lz_memo *memo;       /* per source index, when sharing reads; else NULL */
} lz_evaluator;

/* Evaluate `box` of node n (inside its shape, steps >= 1) into out: dense,
 * C order, n->dtype. Temporaries come from the context; the caller sizes
 * boxes so that they fit the budget (lz_node_cost). */
lz_status lz_eval_node(lz_evaluator *ev, const lz_node *n, const lz_box *box, void *out);

/* Bytes per output element a node needs for temporaries while evaluated. */
size_t lz_node_cost(lz_evaluator *ev, const lz_node *n);

/* Reductions (lz_reduce.c). Several reductions of the same input over the
 * same axes, evaluated in one scan of it: nodes[0..n-1] over one box. */
lz_status lz_eval_reductions(lz_evaluator *ev, const lz_node *const *nodes, int n, const lz_box *box,
                             void *const *outs);
/* Accumulator bytes per output element of a reduction. */
size_t lz_reduce_state_bytes(const lz_node *n);
/* Whether two reductions can share one scan. */
bool lz_reduce_same_scan(const lz_node *a, const lz_node *b);

#endif
