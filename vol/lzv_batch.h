/* lzv_batch.h — several virtual datasets evaluated together.
 *
 * An H5Dread_multi of virtual datasets with the same shape and selection
 * (mean and std of one input, say) is evaluated in one pass: one graph
 * holds every dataset's expression, operands that are the same stored
 * dataset become one source, equal subexpressions merge (lz_cse.c), and
 * each piece of the selection is evaluated once for all of them. The
 * readers (lzv_read.c) walk the selection in lockstep and take their
 * dataset's values of each piece from here.
 */
#ifndef LZV_BATCH_H
#define LZV_BATCH_H

#include "lzv_vdset_int.h"

typedef struct lzv_batch lzv_batch;

/* A batch of n bound virtual datasets (same rank and shape), evaluating
 * pieces of up to max_elems elements into buffers of its own (reserved in
 * its budget), or none with max_elems 0 (lzv_batch_eval_into only).
 * Pushes an error and returns NULL on failure. */
lzv_batch *lzv_batch_new(lzv_obj *const *dsets, size_t n, int64_t max_elems);
void lzv_batch_free(lzv_batch *g);
/* The batch's evaluation context: whose budget the readers' buffers come
 * out of. */
lz_ctx *lzv_batch_ctx(lzv_batch *g);
/* Dataset `index`'s values of `box` into dst (dense, its element type):
 * the first dataset to ask for a box evaluates it for all, with the read's
 * state x. Pushes an error and returns -1 on failure. */
int lzv_batch_eval(lzv_batch *g, size_t index, const lz_box *box, void *dst, lzv_xfer *x);
/* Every dataset's values of `box` at once, dataset e's into dst[e] (dense,
 * its element type): no buffer of the batch's, no copy. Pushes an error
 * and returns -1 on failure. */
int lzv_batch_eval_into(lzv_batch *g, const lz_box *box, void *const *dst, lzv_xfer *x);

#endif
