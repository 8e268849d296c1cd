/* lz_eval.h — the evaluator's internal interface, shared by lz_eval.c
 * (dispatch, views, concat, fused regions), lz_plan.c (cost, grid,
 * pieces) and lz_reduce.c. */
#ifndef LZ_EVAL_H
#define LZ_EVAL_H

#include "lz_box.h"
#include "lz_graph.h"

/* A source read kept for the rest of a piece, so that roots sharing an
 * operand read it once (lz_graph_eval_many). */
typedef struct lz_memo {
    const lz_node *node; /* the SOURCE node */
    bool shared;         /* reached along several paths: reads are kept */
    lz_box box;          /* what was read */
    void *data;          /* its elements (owned) */
} lz_memo;

typedef struct lz_evaluator {
    lz_graph *g;         /* what is evaluated */
    lz_ctx *ctx;         /* memory and errors */
    size_t *cost;        /* per node id: bytes of temporaries per output element */
    lz_memo *memo;       /* per source index, when sharing reads; else NULL */
    void *read_arg;      /* the caller's, for every source read */
} lz_evaluator;

/* Evaluate `box` of node n (inside its shape, steps >= 1) into out: dense,
 * C order, n->dtype. Temporaries come from the context; the caller sizes
 * boxes so that they fit the budget (lz_node_cost). */
lz_status lz_eval_node(lz_evaluator *ev, const lz_node *n, const lz_box *box, void *out);

/* How boxes map to inputs (lz_eval.c), shared by evaluation and the
 * read estimate (lz_estimate.c):
 * - an elementwise region's leaf: its box, and the stride of each region
 *   axis in the leaf's dense buffer (0 where broadcast);
 * - a view's input box, flip[a] when input axis a is walked backwards;
 *   true when the input's buffer is the output's as it is;
 * - the part of a concat's box in input i: false when it misses it, else
 *   the input's box and the index along the axis where it starts. */
void lz_leaf_box(const lz_node *leaf, const lz_box *box, lz_box *lbox, int64_t *stride);
bool lz_view_input_box(const lz_node *n, const lz_box *box, lz_box *ib, bool *flip);
bool lz_concat_part(const lz_node *n, const lz_box *box, int i, lz_box *sub, int64_t *j_first);

/* Picking, scans, windows and guards (lz_take.c, lz_scan.c,
 * lz_window.c): their evaluation, and the input boxes a box of theirs
 * reads, handed one by one to `visit` (for the read estimate; a scan's are
 * the most it reads: from the start of its axis, no carry kept). */
typedef void (*lz_input_visit)(void *arg, const lz_node *in, const lz_box *ibox);
lz_status lz_eval_take(lz_evaluator *ev, const lz_node *n, const lz_box *box, void *out);
lz_status lz_eval_scan(lz_evaluator *ev, const lz_node *n, const lz_box *box, void *out);
lz_status lz_eval_window(lz_evaluator *ev, const lz_node *n, const lz_box *box, void *out);
lz_status lz_eval_guard(lz_evaluator *ev, const lz_node *n, const lz_box *box, void *out);
void lz_take_inputs(const lz_node *n, const lz_box *box, lz_input_visit visit, void *arg);
void lz_scan_inputs(const lz_node *n, const lz_box *box, lz_input_visit visit, void *arg);
void lz_window_inputs(const lz_node *n, const lz_box *box, lz_input_visit visit, void *arg);
/* The next box of x's flat C-order range [*first, end) (*first < end):
 * the largest box starting at *first that stays in the range; *first
 * moves past it. A range is at most 2 * rank boxes. */
void lz_flat_next(const lz_node *x, int64_t *first, int64_t end, lz_box *box);
/* Evaluate the flat range [first, end) of x into out (dense). */
lz_status lz_eval_flat(lz_evaluator *ev, const lz_node *x, int64_t first, int64_t end, void *out);
/* The graph's result cache, made on first use (NULL: none). */
struct lz_cache *lz_graph_cache(lz_graph *g);

/* Planning (lz_plan.c). Bytes per output element a node needs for
 * temporaries while evaluated. */
size_t lz_node_cost(lz_evaluator *ev, const lz_node *n);
/* The storage chunk grid of n's dominant source along n's axes (0 where
 * there is none): what pieces and slabs should align with. */
void lz_node_grid(lz_evaluator *ev, const lz_node *n, int64_t *grid);
/* Whether evaluating n reads a source whose chunks pass through filters
 * (true when that cannot be found out for want of memory: the cautious
 * answer). */
bool lz_node_reads_filtered(lz_evaluator *ev, const lz_node *n);
/* What the graph's source reads ask of an evaluation in a budget of
 * `budget` bytes (sources needing more than half of it for their chunks in
 * flight are left out: they are read otherwise): the most scratch
 * bytes one read allocates (planning keeps them out of the budget), and
 * for filtered sources the most chunks a read decodes at once and their
 * largest chunk in elements (reads span that many chunks, so that every
 * thread has one). */
typedef struct lz_read_needs {
    size_t scratch_bytes; /* max of lz_source.scratch_bytes */
    int read_chunks;      /* max of lz_source.read_chunks over filtered sources, >= 1 */
    int64_t chunk_elems;  /* largest chunk of a filtered source, elements (0: none) */
} lz_read_needs;
void lz_graph_read_needs(const lz_graph *g, size_t budget, lz_read_needs *needs);
/* What the budget (less what the caller reserved) has left for a scan's
 * buffers: less what is in use now and the sources' chunks in flight. The
 * sources' needs go into *needs when it is not NULL. */
size_t lz_plan_budget_left(lz_evaluator *ev, lz_read_needs *needs);
/* How lz_graph_eval_many cuts `box` (nelem > 0 elements) of ev's roots
 * into pieces (lz_plan.c). */
void lz_plan_pieces(lz_evaluator *ev, const lz_box *box, int64_t nelem, lz_grid_pieces *p);
/* Call visit(arg, piece) for the pieces lz_graph_eval cuts `box` of root
 * `root` into, in order: all of them (*complete true) or the first `most`
 * (*complete false). Fails only for want of memory. */
lz_status lz_graph_visit_pieces(const lz_graph *g, int root, const lz_box *box, int64_t most,
                                void (*visit)(void *arg, const lz_box *piece), void *arg, bool *complete);

/* Reductions (lz_reduce.c). Several reductions of the same input over the
 * same axes, evaluated in one scan of it: nodes[0..n-1] over one box. */
lz_status lz_eval_reductions(lz_evaluator *ev, const lz_node *const *nodes, int n, const lz_box *box,
                             void *const *outs);
/* The box of a reduction's input that `box` of its output needs: kept
 * axes from the box, reduced axes whole. */
void lz_reduce_input_box(const lz_node *n, const lz_box *box, lz_box *ibox);
/* Order statistics (lz_order.c): `box` of ORDER node n into out, and the
 * box of its input that `box` needs (kept axes from the box, reduced axes
 * whole; the q axis maps to none). */
lz_status lz_eval_order(lz_evaluator *ev, const lz_node *n, const lz_box *box, void *out);
void lz_order_input_box(const lz_node *n, const lz_box *box, lz_box *ibox);
/* Accumulator bytes per output element of a reduction. */
size_t lz_reduce_state_bytes(const lz_node *n);
/* Whether two reductions can share one scan. */
bool lz_reduce_same_scan(const lz_node *a, const lz_node *b);

#endif
