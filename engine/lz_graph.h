/* lz_graph.h — the typed expression graph (internal).
 *
 * Binding (lz_bind.c) turns the syntax tree into nodes that each know their
 * element type and shape. Literals stay "weak" (untyped, NEP 50) until an
 * operation gives them the type of their partner; operators on literals
 * alone are folded with Python's semantics (lz_weak.c). Every elementwise
 * operation's inputs are cast explicitly (CAST nodes) to the types of the
 * inner loop numpy would choose (lz_resolve.c), so the evaluator never
 * guesses. Index maps — slicing, integer indices, new axes, transposes,
 * squeezes, broadcasts — compose into one VIEW over a non-view node, so a
 * slice of a slice of a source is one strided read.
 */
#ifndef LZ_GRAPH_H
#define LZ_GRAPH_H

#include "lz_arena.h"
#include "lz_dtype.h"
#include "lz_kernel.h"
#include "lz_resolve.h"

typedef enum lz_node_kind {
    LZ_NODE_SOURCE, /* an operand: reads from graph->sources[source] */
    LZ_NODE_CONST,  /* a scalar, broadcast to the node's shape */
    LZ_NODE_CAST,   /* in[0] converted to dtype (numpy's unsafe casting) */
    LZ_NODE_UFUNC,  /* elementwise ufunc over in[0..nin-1], with loop */
    LZ_NODE_VIEW,   /* an affine index map over in[0] */
    LZ_NODE_CONCAT, /* in[0..nin-1] joined along concat_axis */
    LZ_NODE_REDUCE, /* a reduction of in[0] over some of its axes */
    LZ_NODE_TAKE,   /* in[0] picked at a list of indices along one axis (lz_take.c) */
    LZ_NODE_SCAN,   /* a cumulative sum or product of in[0] along one axis (lz_scan.c) */
    LZ_NODE_WINDOW, /* sliding windows of in[0], window axes at the end (lz_window.c) */
    LZ_NODE_GUARD,  /* in[0], failing a read where in[1] is true (lz_take.c) */
    LZ_NODE_ORDER,  /* an order statistic of in[0] over some of its axes (lz_order.c) */
} lz_node_kind;

/* An index map. Output axis k reads input axis in_axis[k] at index
 * start[k] + step[k] * i for output index i (step may be negative, or 0 to
 * broadcast an input axis of extent 1); in_axis[k] == -1 marks an axis the
 * input does not have (a new axis, or one broadcast in front). Input axes
 * that no output axis reads are held at fixed[axis]. */
typedef struct lz_view {
    int in_axis[LZ_MAX_RANK];   /* per output axis */
    int64_t start[LZ_MAX_RANK]; /* per output axis */
    int64_t step[LZ_MAX_RANK];  /* per output axis */
    int64_t fixed[LZ_MAX_RANK]; /* per input axis, when not read by an output axis */
} lz_view;

/* The reductions of lz_reduce.def. */
typedef enum lz_reduce_op {
#define LZ_REDUCTION(id, name, nan_name) LZ_RED_##id,
#include "lz_reduce.def"
#undef LZ_REDUCTION
    LZ_REDUCE_COUNT
} lz_reduce_op;

typedef struct lz_reduction {
    lz_reduce_op op;          /* what to compute */
    bool skipna;              /* the nan* form: NaN elements are left out */
    bool axis[LZ_MAX_RANK];   /* per input axis: reduced */
    bool keepdims;            /* reduced axes stay, with extent 1 */
    int64_t ddof;             /* var and std: delta degrees of freedom */
} lz_reduction;

/* take(x, indices, axis): output index j along `axis` reads x at
 * index[j] there; flat (axis=None): the output is 1-D and index[j] is a
 * flat C-order index of x. Indices are normalised (0 <= index < extent). */
typedef struct lz_take {
    int axis;          /* the axis picked from (output and input alike); 0 when flat */
    bool flat;         /* x flattened in C order first */
    int64_t nindex;    /* number of indices (the output's extent along axis) */
    int64_t *index;    /* the indices, in the graph's arena */
} lz_take;

/* cumsum / cumprod and their nan-forms. in[0] is already of the node's
 * type (the accumulator's, as numpy's); flat: the output is 1-D, x
 * scanned in C order. */
typedef struct lz_scan {
    int axis;          /* the scanned axis; 0 when flat */
    bool flat;         /* axis=None over x of rank other than 1 */
    bool product;      /* cumprod, else cumsum */
    bool skipna;       /* nancumsum / nancumprod: NaN counts as 0 / 1 */
} lz_scan;

/* sliding_window_view: output axes 0..rank-1 are x's (a windowed axis has
 * extent n - w + 1: the window's start), then one axis per window, of
 * extent w, reading x at start + offset along its input axis. */
typedef struct lz_window {
    int nwin;                     /* number of window axes */
    int in_axis[LZ_MAX_RANK];     /* per window axis: the input axis it walks */
} lz_window;
/* Order statistics (lz_bind_order.c, lz_order.c): numpy's quantile
 * methods, and median's own rule (the mean of the middle two). */
typedef enum lz_order_method {
    LZ_OM_LINEAR,   /* interpolate between neighbours (numpy's default) */
    LZ_OM_LOWER,    /* the lower neighbour */
    LZ_OM_HIGHER,   /* the higher neighbour */
    LZ_OM_NEAREST,  /* the nearer neighbour, ties to the even index */
    LZ_OM_MIDPOINT, /* halfway between the neighbours */
    LZ_OM_MEDIAN,   /* median: the middle element, or the mean of the middle two */
} lz_order_method;

typedef struct lz_order {
    const char *name;         /* numpy's function name as called ("nanpercentile") */
    lz_order_method method;   /* how a quantile between elements is found */
    bool skipna;              /* the nan* form: NaN elements are left out */
    bool axis[LZ_MAX_RANK];   /* per input axis: reduced */
    bool keepdims;            /* reduced axes stay, with extent 1 */
    bool qaxis;               /* q was a list: the result's axis 0 runs over it */
    int nq;                   /* quantiles (1 for a scalar q and for median) */
    const double *q;          /* the quantiles as fractions in [0, 1] (arena) */
    bool take;                /* the result is one of the elements, of the input's type
                                 (else it is computed in the node's float dtype) */
} lz_order;

typedef struct lz_node lz_node;
struct lz_node {
    lz_node_kind kind;          /* what the node computes */
    lz_dtype dtype;             /* element type of the result (unset while weak) */
    int rank;                   /* result rank */
    int64_t shape[LZ_MAX_RANK]; /* result shape */
    bool weak;                  /* CONST only: a literal not yet typed */
    lz_scalar value;            /* CONST only */
    int source;                 /* SOURCE only: index into graph->sources */
    lz_ufunc ufunc;             /* UFUNC only */
    lz_loop loop;               /* UFUNC only: the inner loop (inputs already cast) */
    lz_view *view;              /* VIEW only */
    int concat_axis;            /* CONCAT only */
    lz_reduction *reduce;       /* REDUCE only */
    lz_take *take;              /* TAKE only */
    lz_scan *scan;              /* SCAN only */
    lz_window *window;          /* WINDOW only */
    const char *guard;          /* GUARD only: the error of a read where in[1] holds */
    lz_order *order;            /* ORDER only */
    int nin;                    /* number of inputs */
    lz_node **in;               /* inputs */
    int line;                   /* where in the text the node comes from */
    int column;
    int id;                     /* 0..graph->nnodes-1, for per-node tables */
    const lz_node *decodes;     /* the top node of an operand's CF decoding
                                   (lz_bind_decode.c): the SOURCE node decoded, so
                                   that plans show the decoding as one step; else NULL */
};

struct lz_program;

struct lz_graph {
    lz_ctx *ctx;                  /* owner of all memory */
    lz_arena arena;               /* nodes */
    lz_node **roots;              /* the results (one per expression) */
    int nroots;
    int nnodes;                   /* nodes made so far (ids are below this) */
    const lz_source **sources;    /* distinct sources, borrowed */
    lz_node **source_nodes;       /* the SOURCE node of each */
    size_t nsources;
    size_t cap_sources;
    struct lz_program **programs; /* per node id: fused program of an elementwise
                                     region rooted there, else NULL */
    struct lz_cache *cache;       /* reduction results kept between evaluations,
                                     made on first use (lz_cache.h) */
    bool cache_tried;             /* so that a failed start is not retried */
};

/* Whether a node is evaluated inside fused elementwise programs. */
static inline bool
lz_node_is_elementwise(const lz_node *n)
{
    return n->kind == LZ_NODE_CONST || n->kind == LZ_NODE_CAST || n->kind == LZ_NODE_UFUNC;
}

/* Make a node of `kind` with `nin` input slots (zeroed), in the graph's
 * arena; NULL on failure (recorded on the context). */
lz_node *lz_node_new(lz_graph *g, lz_node_kind kind, int nin, int line, int column);

/* The SOURCE node of `src` in the graph, made on first use: one node per
 * source, across all the graph's expressions. */
lz_status lz_graph_source_node(lz_graph *g, const lz_source *src, int line, int column, const char *label,
                               lz_node **out);
/* Bind one expression into a root (lz_bind.c); a fill value other than
 * NaN replaces the root r by where(isnan(r), fill, r). */
lz_status lz_bind_expression(lz_graph *g, const struct lz_expr *expr, const lz_source *const *sources,
                             double fill, lz_node **root);

/* Merge equal subexpressions across the graph's roots (lz_cse.c). */
lz_status lz_graph_merge_common(lz_graph *g);

/* Compile the fused programs of every elementwise region (lz_vm.c). */
lz_status lz_graph_compile(lz_graph *g);

#endif
