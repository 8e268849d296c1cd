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
