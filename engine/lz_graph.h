/* lz_graph.h — the typed expression graph (internal).
 *
 * Binding turns the syntax tree into nodes that each know their element type
 * and shape. Literals stay "weak" (untyped, NEP 50) until an operation gives
 * them the type of their partner; operations on weak constants alone are
 * folded at bind time. Every operation's inputs are cast explicitly (CAST
 * nodes) to the type its loop runs in, so the evaluator never guesses.
 */
#ifndef LZ_GRAPH_H
#define LZ_GRAPH_H

#include "lz_arena.h"
#include "lz_dtype.h"
#include "lz_kernel.h"

typedef enum lz_node_kind {
    LZ_NODE_SOURCE, /* an operand: reads from graph->sources[source] */
    LZ_NODE_CONST,  /* a scalar broadcast to any shape */
    LZ_NODE_CAST,   /* in[0] converted to dtype */
    LZ_NODE_UFUNC,  /* elementwise ufunc over in[0..nin-1], all of one type */
} lz_node_kind;

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
    int nin;                    /* number of inputs */
    lz_node *in[3];             /* inputs */
    int line;                   /* where in the text the node comes from */
    int column;
    int id;                     /* 0..graph->nnodes-1, for per-node tables */
};

struct lz_graph {
    lz_ctx *ctx;                  /* owner of all memory */
    lz_arena arena;               /* nodes */
    lz_node *root;                /* the result */
    int nnodes;                   /* nodes made so far (ids are below this) */
    const lz_source **sources;    /* one per operand, borrowed */
    size_t nsources;
    struct lz_program *program;   /* compiled fused program (lz_vm.c) */
};

#endif
