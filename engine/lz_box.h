/* lz_box.h — box algebra: validating, counting, splitting and copying
 * strided boxes.
 *
 * A box is the engine's only unit of data movement: sources are read by box,
 * results are evaluated by box, and every graph node maps an output box to
 * the input boxes it needs.
 */
#ifndef LZ_BOX_H
#define LZ_BOX_H

#include "lz_ctx.h"

#include <stdbool.h>

/* Check that `box` has rank `rank`, steps >= 1, counts >= 0 and lies inside
 * `shape`; on failure record LZ_EVALUE naming `what` and return it. */
lz_status lz_box_check(lz_ctx *ctx, const lz_box *box, int rank, const int64_t *shape,
                       const char *what);

/* Cut `box` into C-order pieces of at most max_elems elements (as
 * lz_box_pieces) whose runs along the cut axis start and end on `grid`'s
 * lines on that axis (when it has one and the box's step there is 1): a
 * piece then covers whole chunks and no chunk is read by two pieces. A
 * run that already spans the whole axis is not cut: one piece reads every
 * chunk once anyway, and every extra piece reads again the operands it
 * broadcasts. Used for the pieces of an evaluation (lz_eval.c) and of a
 * reduction's outputs (lz_reduce.c). */
typedef struct lz_grid_pieces {
    lz_box_pieces it; /* the plain cut */
    int64_t grid;     /* grid along it.axis, or 0 */
} lz_grid_pieces;

void lz_grid_pieces_init(lz_grid_pieces *p, const lz_box *box, int64_t max_elems, const int64_t *grid);
bool lz_grid_pieces_next(lz_grid_pieces *p, lz_box *piece, int64_t *offset);

/* Copy the elements of `box` out of a dense C-order array `src` of `shape`
 * into the dense buffer `dst` (itemsize bytes each). */
void lz_box_gather(void *dst, const void *src, int rank, const int64_t *shape, const lz_box *box,
                   size_t itemsize);

/* dst (dense C-order, extents `count`) <- src elements at offsets
 * sum(i[k] * src_stride[k]) from `src` (strides in elements, any sign; 0
 * repeats). */
void lz_strided_copy(void *dst, const void *src, int rank, const int64_t *count, const int64_t *src_stride,
                     size_t itemsize);

#endif
