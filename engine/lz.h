/* lz.h — the h5lazy expression engine, public interface.
 *
 * The engine parses an expression over named operands, binds the operands to
 * sources, infers the result's shape and element type, and evaluates any box
 * of the result (start/count/step per axis) into a caller's buffer within a
 * memory budget. It never includes hdf5.h: data arrives only through the
 * lz_source method table, implemented over HDF5 by the connector and over
 * memory by the tests.
 *
 * Ownership and errors, everywhere below:
 *   - every object is made with a context (lz_ctx) and accounted to it; the
 *     context must outlive the objects made with it;
 *   - functions return an lz_status; on failure the detail (message, line,
 *     column) is in lz_ctx_error(ctx), the first error since the last
 *     lz_ctx_clear_error() wins, and out-parameters are left untouched.
 */
#ifndef LZ_H
#define LZ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The maximum rank of an array: HDF5's H5S_MAX_RANK. */
#define LZ_MAX_RANK 32

typedef enum lz_status {
#define LZ_STATUS(id, summary) id,
#include "lz_status.def"
#undef LZ_STATUS
    LZ_STATUS_COUNT
} lz_status;

typedef enum lz_dtype {
#define LZ_DTYPE(id, ctype, name, kind, bits) id,
#include "lz_dtype.def"
#undef LZ_DTYPE
    LZ_DTYPE_COUNT
} lz_dtype;

/* One error, kept on the context; fixed size so that reporting never
 * allocates (an out-of-memory error must be reportable). */
typedef struct lz_error {
    lz_status code;    /* LZ_OK when there is no error */
    int line;          /* 1-based line in the expression text, 0 if none */
    int column;        /* 1-based column (in bytes), 0 if none */
    char message[400]; /* complete sentence, without position prefix */
} lz_error;

/* A strided box: along axis k the indices start[k] + i*step[k] for
 * 0 <= i < count[k]. Steps are >= 1; a box of rank 0 is one element. */
typedef struct lz_box {
    int rank;                   /* number of axes, 0..LZ_MAX_RANK */
    int64_t start[LZ_MAX_RANK]; /* first index on each axis */
    int64_t count[LZ_MAX_RANK]; /* number of indices on each axis */
    int64_t step[LZ_MAX_RANK];  /* distance between indices, >= 1 */
} lz_box;

/* The box covering the whole of `shape`. */
void lz_box_full(lz_box *box, int rank, const int64_t *shape);
/* Whether two boxes select the same elements in the same order (rank,
 * start and count alike, and the step wherever it matters: count > 1). */
bool lz_box_equal(const lz_box *a, const lz_box *b);
/* Number of elements into *nelem; false (nothing written) if it overflows
 * int64. */
bool lz_box_nelem(const lz_box *box, int64_t *nelem);

/* A shape as numpy prints it, "(3, 4)", "(3,)" or "()", into buf (cut to
 * size - 1 bytes, always terminated). */
void lz_shape_format(int rank, const int64_t *shape, char *buf, size_t size);

/* Iteration over a box in C-order pieces of at most `max_elems` elements,
 * each contiguous in a dense C-order buffer of the whole box: axes before
 * `axis` have count 1 in a piece, `axis` is cut into runs, later axes whole. */
typedef struct lz_box_pieces {
    lz_box box;                 /* the whole box being cut */
    int axis;                   /* the axis cut into runs */
    int64_t run;                /* indices of `axis` per piece */
    int64_t index[LZ_MAX_RANK]; /* position of the next piece, in box indices */
    int64_t offset;             /* element offset of the next piece in the dense box */
    bool done;                  /* no pieces left */
} lz_box_pieces;

void lz_box_pieces_init(lz_box_pieces *it, const lz_box *box, int64_t max_elems);
/* The next piece (in source coordinates) and its element offset in the
 * dense box; false when there is none. */
bool lz_box_pieces_next(lz_box_pieces *it, lz_box *piece, int64_t *offset);

/* ---- context ----------------------------------------------------------- */

typedef struct lz_ctx lz_ctx;

typedef struct lz_config {
    size_t memory_bytes;   /* evaluation budget for block buffers */
    size_t max_expr_bytes; /* longest accepted expression text */
    int max_depth;         /* deepest accepted expression nesting */
    int max_operands;      /* most distinct operands in one expression */
    int threads;           /* threads that compute (the caller counts as one) */
    size_t cache_bytes;    /* reduction results kept between reads (0: none) */
} lz_config;

/* Defaults: 64 MiB budget, 64 KiB text, depth 200, 256 operands, 1 thread,
 * 32 MiB cache. */
void lz_config_init(lz_config *cfg);

/* Make a context; NULL only when memory is exhausted. `cfg` may be NULL for
 * the defaults; it is copied. */
lz_ctx *lz_ctx_new(const lz_config *cfg);
/* Free the context. Objects made with it must be freed first. */
void lz_ctx_free(lz_ctx *ctx);
const lz_config *lz_ctx_config(const lz_ctx *ctx);
const lz_error *lz_ctx_error(const lz_ctx *ctx);
void lz_ctx_clear_error(lz_ctx *ctx);
/* Bytes currently allocated through the context, and the most ever. */
size_t lz_ctx_bytes_in_use(const lz_ctx *ctx);
size_t lz_ctx_peak_bytes(const lz_ctx *ctx);
/* Memory for a source's read, accounted to the context like the engine's
 * own (so that bytes in use and the budget include it): NULL, with
 * LZ_ENOMEM recorded, when it cannot be had. Free with lz_ctx_release. */
void *lz_ctx_alloc(lz_ctx *ctx, size_t nbytes);
void lz_ctx_release(lz_ctx *ctx, void *ptr);
/* Count `nbytes` of memory a source holds itself (buffers it keeps between
 * reads) as in use by the context while a read uses them: false, nothing
 * counted, when they do not fit in the budget left. lz_ctx_uncharge gives
 * them back; every charge must be given back before the read returns. */
bool lz_ctx_charge(lz_ctx *ctx, size_t nbytes);
void lz_ctx_uncharge(lz_ctx *ctx, size_t nbytes);
/* Bytes of the budget not in use now (a source sizing its in-flight
 * buffers to what is left). */
size_t lz_ctx_budget_left(const lz_ctx *ctx);
/* Set up to `nbytes` of the budget aside for the caller's own buffers
 * while it reads (selection and conversion buffers): evaluations plan with
 * the rest, as if the budget were that much smaller. Returns what was set
 * aside: at most what is left (a budget too small for even the smallest
 * buffers is exceeded by them, as by the smallest pieces of an
 * evaluation). lz_ctx_unreserve gives it back. */
size_t lz_ctx_reserve(lz_ctx *ctx, size_t nbytes);
void lz_ctx_unreserve(lz_ctx *ctx, size_t nbytes);
/* Test hook: the allocation after the next `n` succeeds fails (n < 0: never). */
void lz_ctx_fail_allocation_after(lz_ctx *ctx, long n);

/* Record an error on the context (first one wins) and return `code`. For
 * source implementations and the connector; `line`/`column` may be 0. */
lz_status lz_ctx_fail(lz_ctx *ctx, lz_status code, int line, int column, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 5, 6)))
#endif
    ;

/* ---- types --------------------------------------------------------------- */

const char *lz_dtype_name(lz_dtype t);   /* "float32"; "?" when out of range */
size_t lz_dtype_size(lz_dtype t);        /* bytes per element */
char lz_dtype_kind_code(lz_dtype t);     /* numpy's dtype.kind: 'b', 'i', 'u' or 'f'; '?' when out of range */
int lz_dtype_from_name(const char *name, lz_dtype *out); /* 0 on success */
const char *lz_status_summary(lz_status s);

/* ---- sources ------------------------------------------------------------- */

typedef struct lz_source lz_source;

/* A value of some element type t: `i` for the signed integers, `u` for bool
 * and the unsigned integers, `f` for the floats (a float32 value widened,
 * which is exact). */
typedef union lz_value {
    int64_t i;  /* int8 ... int64 */
    uint64_t u; /* bool, uint8 ... uint64 */
    double f;   /* float32, float64 */
} lz_value;

/* How the values a source stores become the values an expression sees:
 * netCDF's and CF's conventions (missing values, valid ranges, packing),
 * which netCDF4-python and xarray apply by default. The caller decides the
 * rules from the dataset's attributes (the connector: vol/lzv_cf.c); the
 * engine applies them where an operand is named, in this order:
 *   1. the stored values are taken as type `as` (numpy's astype: for the
 *      same-size integer of the other signedness, the same bits);
 *   2. an element is missing when its value in `as` equals one of
 *      missing[], is below valid_min or is above valid_max;
 *   3. the value is converted to `dtype`, multiplied by scale_factor and
 *      add_offset is added, each operation in `dtype` (the constants
 *      converted to it first);
 *   4. missing elements become NaN.
 * raw(x) reads the stored values and skips all of it. `dtype` must be a
 * float type when anything can be missing or the values are scaled;
 * lz_graph_new refuses a decoding that breaks this or whose `as` is not the
 * stored type or its same-size twin. */
typedef struct lz_decode {
    lz_dtype as;             /* the type the stored values stand for (step 1) */
    lz_dtype dtype;          /* the type of the decoded values */
    size_t nmissing;         /* entries of `missing` */
    const lz_value *missing; /* values (of type `as`) that mean "missing"; borrowed */
    bool has_valid_min;      /* whether valid_min applies */
    lz_value valid_min;      /* of type `as`: values below it are missing */
    bool has_valid_max;      /* whether valid_max applies */
    lz_value valid_max;      /* of type `as`: values above it are missing */
    bool has_scale_factor;   /* whether values are multiplied by scale_factor */
    double scale_factor;     /* the multiplier (step 3) */
    bool has_add_offset;     /* whether add_offset is added */
    double add_offset;       /* the offset (step 3) */
} lz_decode;

typedef struct lz_source_ops {
    /* Read `box` (inside the source's shape, steps >= 1) into `buf` as a
     * dense C-order array of the source's dtype, in native byte order. On
     * failure record the reason with lz_ctx_fail(ctx, LZ_ESOURCE, ...).
     * `read_arg` is what the caller of lz_graph_eval passed for this
     * evaluation (the connector's transfer list and error cause). */
    lz_status (*read)(const lz_source *src, lz_ctx *ctx, const lz_box *box, void *buf, void *read_arg);
} lz_source_ops;

/* A source is described by value; the engine keeps a pointer to it while a
 * graph bound to it lives, and never frees it. */
struct lz_source {
    const lz_source_ops *ops;   /* how to read */
    void *impl;                 /* the implementation's own state */
    lz_dtype dtype;             /* element type of the data read */
    int rank;                   /* number of axes */
    int64_t shape[LZ_MAX_RANK]; /* extent of each axis */
    int64_t chunk[LZ_MAX_RANK]; /* storage chunk per axis; 0 = not chunked */
    bool filtered;              /* chunks are stored through filters: reading part of
                                 * one costs decoding all of it */
    const lz_decode *decode;    /* what a bare operand name sees (NULL: the stored
                                 * values); borrowed, outlives the graph */
    size_t scratch_bytes;       /* most bytes a read allocates through the context
                                 * beside the caller's buffer (chunks in flight);
                                 * planning leaves them out of the budget */
    int read_chunks;            /* chunks a read decodes at once (its threads); reads
                                 * of filtered sources span at least that many */
};

/* An in-memory source over a caller's dense C-order array (tests, Python).
 * `data` is borrowed and must outlive the source's use. */
void lz_source_init_memory(lz_source *src, lz_dtype dtype, int rank, const int64_t *shape,
                           const void *data);

/* ---- expressions ----------------------------------------------------------- */

typedef struct lz_expr lz_expr;

/* An operand the expression names: a dataset `path` in `file` (NULL: the
 * file holding the expression). Bare identifiers have a relative path; the
 * caller resolves relative paths against the expression's own location. */
typedef struct lz_operand {
    const char *file; /* NULL for the same file */
    const char *path; /* dataset path as written */
    int line;         /* where it is first named */
    int column;
} lz_operand;

/* Parse `text`. On success *out is a new expression owned by the caller. */
lz_status lz_expr_parse(lz_ctx *ctx, const char *text, lz_expr **out);
void lz_expr_free(lz_expr *expr);
/* The distinct operands, in order of first appearance. */
size_t lz_expr_operand_count(const lz_expr *expr);
const lz_operand *lz_expr_operand(const lz_expr *expr, size_t i);
const char *lz_expr_text(const lz_expr *expr);
/* The parsed tree in prefix form, e.g. "(subtract a (multiply b 2))", into
 * buf (truncated to size-1 bytes, always terminated). Returns the length the
 * full text needs, as snprintf does. */
size_t lz_expr_format(const lz_expr *expr, char *buf, size_t size);

/* ---- graphs ---------------------------------------------------------------- */

typedef struct lz_graph lz_graph;

/* Bind `expr` to one source per operand (sources[i] for operand i), check
 * types and shapes, and build an evaluable graph. The sources must outlive
 * the graph; the expression need not. */
lz_status lz_graph_new(lz_ctx *ctx, const lz_expr *expr, const lz_source *const *sources,
                       lz_graph **out);
/* Several expressions in one graph, evaluated together where they share
 * work (lz_graph_eval_many): sources[e][i] is operand i of exprs[e]; the
 * same lz_source pointer in several expressions is one operand, read once. */
lz_status lz_graph_new_multi(lz_ctx *ctx, const lz_expr *const *exprs, size_t nexprs,
                             const lz_source *const *const *sources, lz_graph **out);
/* lz_graph_new_multi whose roots write their missing values (NaN) as
 * fill_values[e] instead (NaN: left as NaN), as where(isnan(r), v, r);
 * netCDF readers that want a number see v, with _FillValue saying so. A
 * fill value other than NaN for a root of a type that is not a float is an
 * error. */
lz_status lz_graph_new_multi_fill(lz_ctx *ctx, const lz_expr *const *exprs, size_t nexprs,
                                  const lz_source *const *const *sources, const double *fill_values,
                                  lz_graph **out);
void lz_graph_free(lz_graph *graph);
/* The results: one root per expression, in order. */
int lz_graph_root_count(const lz_graph *graph);
lz_dtype lz_graph_root_dtype(const lz_graph *graph, int root);
int lz_graph_root_rank(const lz_graph *graph, int root);
const int64_t *lz_graph_root_shape(const lz_graph *graph, int root);
/* The same for root 0. */
lz_dtype lz_graph_dtype(const lz_graph *graph);
int lz_graph_rank(const lz_graph *graph);
const int64_t *lz_graph_shape(const lz_graph *graph);

/* Evaluate `box` of the result (inside the shape, steps >= 1) into `out`, a
 * dense C-order array of lz_graph_dtype() with one element per box element.
 * Memory for intermediate buffers stays within the context's budget.
 * `read_arg` goes to every source read of this evaluation (may be NULL). */
lz_status lz_graph_eval(lz_graph *graph, const lz_box *box, void *out, void *read_arg);
/* Evaluate `box` of every root (all roots must have the same rank and the
 * box must lie inside every root's shape) into outs[root], in one pass:
 * shared operands are read once per piece, and reductions of the same input
 * over the same axes are computed in one scan of it. */
lz_status lz_graph_eval_many(lz_graph *graph, const lz_box *box, void *const *outs, void *read_arg);
/* The distinct sources the graph reads (the same lz_source given for
 * several operands or expressions counts once), in order of first use. */
size_t lz_graph_source_count(const lz_graph *graph);
const lz_source *lz_graph_source(const lz_graph *graph, size_t i);
/* How many elements of each source (elements[i] for lz_graph_source(i))
 * evaluating `box` of root `root` reads, found without reading, piece by
 * piece as evaluation cuts the box (each piece reads again what it
 * broadcasts); results kept between evaluations are not counted. Fails
 * for a bad box or want of memory; `elements` is written on success only. */
lz_status lz_graph_estimate_reads(const lz_graph *graph, int root, const lz_box *box, int64_t *elements);
/* How many times a read of root `root` reads its sources' values: 1 when
 * its order statistics (median, quantile, ...) hold the values of an
 * output in the budget, more when they select in passes (lz_order_pass.c;
 * the number depends on the data, and this is its bound), 0 when it has
 * none (a plain read or reduction: one pass). Fails only for want of
 * memory or a bad root; *passes is written on success only. */
lz_status lz_graph_passes(const lz_graph *graph, int root, int *passes);
/* The graph of root `root` for people: an indented tree (style 0) or
 * Graphviz DOT (style 1), one node per line with its type and shape;
 * sources are named by labels[i] for lz_graph_source(i). Written into buf
 * as snprintf does; returns the length the whole text needs. */
size_t lz_graph_describe(const lz_graph *graph, int root, int style, const char *const *labels, char *buf,
                         size_t size);
/* Forget the reduction results the graph keeps between evaluations (up to
 * the context's cache_bytes): call it whenever a source's data changes. */
void lz_graph_cache_clear(lz_graph *graph);

/* ---- where a result's axes come from (lz_origin.c) ---------------------------- */

/* One source axis that an axis of a result runs along: index i of the
 * result's axis is index start + step * i of the source's axis `axis`. */
typedef struct lz_axis_origin {
    size_t source;  /* which source (lz_graph_source) */
    int axis;       /* which of its axes */
    int64_t start;  /* source index of the result's index 0 */
    int64_t step;   /* source indices per result index (negative: reversed; never 0) */
} lz_axis_origin;

/* The source axes that axis `axis` of root `root` runs along, through
 * elementwise operations (inputs whose axis is broadcast from extent 1 do
 * not count), views (slices, steps, reversals, transposes), the axes of a
 * concatenation other than the joined one, and the kept axes of
 * reductions. New axes, broadcast axes, joined axes and the kept extent-1
 * axes of keepdims come from nowhere. Writes up to `max` distinct origins
 * in the order of the inputs (left to right) and returns how many there
 * are. */
size_t lz_graph_axis_origins(const lz_graph *graph, int root, int axis, lz_axis_origin *out, size_t max);

/* When axis `axis` of root `root` runs along the joined axis of a
 * concatenation (through views and elementwise operations): its parts.
 * Returns how many parts it has (0 when the axis is no joined one) and
 * writes, for the first `max_parts`: extents[p], the part's extent along
 * the joined axis; counts[p], how many origins the part's axis has (as
 * lz_graph_axis_origins, up to max_origins written at
 * origins[p * max_origins]); and *start, *step: index i of the root's axis
 * is index start + step * i of the joined axis. The first concatenation met
 * is the one described. */
size_t lz_graph_axis_parts(const lz_graph *graph, int root, int axis, int64_t *start, int64_t *step,
                           int64_t *extents, size_t *counts, lz_axis_origin *origins, size_t max_origins,
                           size_t max_parts);

/* Whether root `root` is one reduction apart from elementwise operations
 * with constants and views (mean(t, axis=0) * 86400, a nan-form with mdtol,
 * a result with a fill value), or several alike (the same operation over
 * the same axes of their inputs). On true: *op is numpy's name of the
 * operation without "nan" ("mean", "max", "std", ...), *in_rank the rank
 * of its input and reduced[k] whether input axis k is reduced. Elementwise
 * conditions (where's first input) are not followed. */
bool lz_graph_root_reduction(const lz_graph *graph, int root, const char **op, int *in_rank, bool *reduced);
/* For such a root: the origins of axis `in_axis` of the (first) reduction's
 * input, as lz_graph_axis_origins. 0 when the root is not a reduction. */
size_t lz_graph_reduced_axis_origins(const lz_graph *graph, int root, int in_axis, lz_axis_origin *out,
                                     size_t max);

#ifdef __cplusplus
}
#endif
#endif
