/* lz_bind.h — shared pieces of the binder (lz_bind*.c): from syntax tree to
 * typed graph. */
#ifndef LZ_BIND_H
#define LZ_BIND_H

#include "lz_ast.h"
#include "lz_graph.h"

typedef struct binder {
    lz_ctx *ctx;              /* errors */
    lz_graph *graph;          /* nodes go here */
    lz_node **source_nodes;   /* per operand of the current expression: its stored values */
    lz_node **decoded_nodes;  /* per operand: what its name means (the decoding of
                                 lz_source.decode), made on first use; NULL until then */
} binder;

/* A call's arguments, checked against the function's signature. */
#define LZ_MAX_ARGS 8
typedef struct call_args {
    const lz_ast *call;             /* the call, for positions */
    const lz_ast *pos[LZ_MAX_ARGS]; /* positional arguments */
    int npos;
    const lz_ast *kw[LZ_MAX_ARGS];  /* keyword values, indexed like the keyword list */
} call_args;

lz_status lz_bind_fail(binder *b, const lz_ast *at, lz_status code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
lz_status lz_bind_node(binder *b, const lz_ast *a, lz_node **out);
/* An argument that stands for an array (a function's x, weights): a
 * literal gets its default type there, as numpy's asarray gives it
 * (take(5, [0]) is of int64, not weak). */
lz_status lz_bind_array(binder *b, const lz_ast *a, lz_node **out);

/* Gather a call's arguments: between min and max positional ones, and the
 * keywords named in `keywords` (NULL-terminated), each also accepted in the
 * positional slot after the last required one, as numpy's signatures do. */
lz_status lz_bind_collect(binder *b, const lz_ast *call, int min_pos, int max_pos, const char *const *keywords,
                       call_args *args);

/* Constant arguments. */
lz_status lz_bind_arg_int(binder *b, const lz_ast *a, const char *what, int64_t *out);
lz_status lz_bind_arg_bool(binder *b, const lz_ast *a, const char *what, bool *out);
/* An axis argument (int, tuple of ints, or None for every axis when
 * none_means_all) normalised against `rank` into a mask. */
lz_status lz_bind_arg_axes(binder *b, const lz_ast *a, int rank, bool none_means_all, bool *mask, int *count);
/* The axis= of a function that flattens x for axis=None (take, cumsum):
 * *flat when x is taken raveled (None over x of rank other than 1, or
 * axis 0 or -1 of a 0-d x, as numpy), else *axis normalised (0 when
 * flat). `a` may be NULL (the default, None). */
lz_status lz_bind_arg_flat_axis(binder *b, const lz_ast *a, const lz_node *x, bool *flat, int *axis);
/* A tuple or list of integers (a shape, a permutation). */
lz_status lz_bind_arg_int_list(binder *b, const lz_ast *a, const char *what, int64_t *values, int *n);

/* Elementwise operations: a ufunc over bound inputs (weak literals get
 * their type here; `op` is the operator token for Python folding of
 * literal-only operands, or LZ_T_EOF for a call). */
lz_status lz_bind_ufunc(binder *b, const lz_ast *at, lz_ufunc uf, lz_node **in, int nin, lz_tok op, lz_node **out);
/* Replace *n by its conversion to `to` (explicit casts: numpy's unsafe
 * casting, no range check). */
lz_status lz_bind_cast(binder *b, lz_node **n, lz_dtype to);

/* Functions that are not ufuncs: each binds a call of its name (the
 * table of names in lz_bind.c routes calls to them). */
typedef lz_status (*lz_bind_fn)(binder *b, const lz_ast *call, lz_node **out);
/* Shapes (lz_bind_shape.c). */
lz_status lz_bind_concat(binder *b, const lz_ast *call, lz_node **out);
lz_status lz_bind_stack(binder *b, const lz_ast *call, lz_node **out);
lz_status lz_bind_transpose(binder *b, const lz_ast *call, lz_node **out);
lz_status lz_bind_squeeze(binder *b, const lz_ast *call, lz_node **out);
lz_status lz_bind_expand_dims(binder *b, const lz_ast *call, lz_node **out);
lz_status lz_bind_broadcast_to(binder *b, const lz_ast *call, lz_node **out);
/* Reductions (lz_bind_reduce.c): every name of lz_reduce.def. */
lz_status lz_bind_reduce(binder *b, const lz_ast *call, lz_node **out);
/* The elements each output of a reduction of x over `axis` (a mask)
 * takes, into *count (0 when a reduced axis is empty); refused when more
 * than 2^63 (`fn` names the function in the message). */
lz_status lz_bind_reduced_count(binder *b, const lz_ast *call, const lz_node *x, const bool *axis, const char *fn,
                                int64_t *count);
/* Order statistics (lz_bind_order.c): median, quantile, percentile and
 * their nan* forms. */
lz_status lz_bind_order(binder *b, const lz_ast *call, lz_node **out);
/* Indexing: x[...]. */
lz_status lz_bind_index(binder *b, const lz_ast *a, lz_node **out);
/* Picking, weighted means and windows (lz_bind_pick.c); x[...] with an
 * integer list among the subscripts. */
lz_status lz_bind_take(binder *b, const lz_ast *call, lz_node **out);
lz_status lz_bind_index_list(binder *b, const lz_ast *a, lz_node **out);
lz_status lz_bind_average(binder *b, const lz_ast *call, lz_node **out);
lz_status lz_bind_sliding_window_view(binder *b, const lz_ast *call, lz_node **out);
/* Scans and differences (lz_bind_scan.c). */
lz_status lz_bind_cumulative(binder *b, const lz_ast *call, lz_node **out);
lz_status lz_bind_diff(binder *b, const lz_ast *call, lz_node **out);

/* CF decoding and raw() (lz_bind_decode.c). */
/* The node a bare name of operand `i` stands for: its SOURCE node, or the
 * decoding of it its source asks for (made once per expression). */
lz_status lz_bind_operand(binder *b, int i, lz_node **out);
/* raw(x): the stored values of operand x, without decoding. */
lz_status lz_bind_raw(binder *b, const lz_ast *call, lz_node **out);

/* Node helpers shared by the binder files. */
/* A constant: weak (a literal, typed by the operation using it) or of type
 * `dtype` (ignored when weak); NULL on failure. */
lz_node *lz_bind_const(binder *b, const lz_ast *at, const lz_scalar *value, bool weak, lz_dtype dtype);
lz_node *lz_bind_view(binder *b, const lz_ast *at, lz_node *x, int rank, const int64_t *shape, const lz_view *view);
bool lz_bind_same_shape(const lz_node *a, const lz_node *b);

#endif
