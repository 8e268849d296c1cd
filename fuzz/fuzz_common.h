/* fuzz_common.h — what both fuzz targets share: the values operands hold,
 * and the work a bound graph stands for (they evaluate only graphs of
 * bounded work, because a huge broadcast is slow, not wrong). */
#ifndef FUZZ_COMMON_H
#define FUZZ_COMMON_H

#include "lz.h"

#include <stdbool.h>
#include <stdint.h>

/* Fill `count` elements of type t with interesting values (NaN, infinities,
 * signed zeros, subnormals, type limits), element n taking entry
 * (n * 5 + salt) of each table: salt makes operands differ. */
void fuzz_fill(void *buf, lz_dtype t, int salt, int count);

/* a * b, or INT64_MAX when it does not fit. */
int64_t fuzz_sat_mul(int64_t a, int64_t b);

/* The elements evaluation of g may compute: every node's elements times
 * how often it may be evaluated whole (nested reductions are evaluated
 * again per slab of the outer one when nothing is kept), saturating at
 * INT64_MAX, which an allocation failure also gives; *has_reduce says
 * whether one of them is a reduction. */
int64_t fuzz_graph_work(const lz_graph *g, bool *has_reduce);

#endif
