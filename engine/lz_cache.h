/* lz_cache.h — results of reductions kept between evaluations.
 *
 * A reduction inside an expression (the mean of x - mean(x, axis=0)) is
 * needed whole by every piece of a read and by every read of a strip or a
 * row: without a cache each of them would scan the reduced axes again. The
 * cache keeps evaluated boxes of REDUCE nodes that are not roots, up to a
 * byte capacity, least recently used out first; a later request for any
 * box inside a kept one (same steps or coarser) is copied out of it.
 *
 * The cache lives with its graph and holds results computed from the
 * sources as they were: whoever changes a source calls lz_graph_cache_clear.
 */
#ifndef LZ_CACHE_H
#define LZ_CACHE_H

#include "lz_graph.h"

typedef struct lz_cache lz_cache;

/* NULL when capacity is 0 or memory is short (the cache is an
 * optimisation: no error is recorded). */
lz_cache *lz_cache_new(lz_ctx *ctx, size_t capacity);
void lz_cache_free(lz_cache *cache);
/* Drop every entry. */
void lz_cache_clear(lz_cache *cache);
/* Copy `box` of node n into out (dense, C order) if a kept entry covers it. */
bool lz_cache_get(lz_cache *cache, const lz_node *n, const lz_box *box, void *out);
/* For scans' carries: the kept values of n at the largest index <= limit
 * along `axis`, over `box` on the other axes (box's own count along axis
 * is ignored), copied into out; *at is that index. False when no entry
 * covers such a box. */
bool lz_cache_get_before(lz_cache *cache, const lz_node *n, const lz_box *box, int axis, int64_t limit, void *out,
                         int64_t *at);
/* Keep a copy of `data`, box `box` of node n, if it fits the capacity
 * (evicting older entries); silently nothing otherwise. */
void lz_cache_put(lz_cache *cache, const lz_node *n, const lz_box *box, const void *data);

#endif
