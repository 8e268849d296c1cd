/* lz_resolve.h — choosing a ufunc's inner loop the way numpy does.
 *
 * For inputs of given types (weak literals already given the type NEP 50
 * says): (1) a loop whose input types are exactly those; else (2) the loop
 * whose inputs are all the inputs' promoted type (lz_dtype_promote); else
 * (3) the first loop, in table order, that every input casts to safely
 * (numpy's can_cast(..., "safe")). Special resolvers, as numpy's:
 * LZ_UFF_TRUEDIV computes integers in float64; LZ_UFF_NOBOOL refuses bool
 * inputs where numpy does; LZ_UFF_COMPARE compares a signed with an
 * unsigned integer exactly (int64 against uint64) instead of in float64;
 * LZ_UFF_WHERE takes a condition and two values of their promoted type.
 */
#ifndef LZ_RESOLVE_H
#define LZ_RESOLVE_H

#include "lz_dtype.h"
#include "lz_kernel.h"

enum {
    LZ_UFF_NOBOOL = 1,  /* bool inputs are an error (numpy's message) */
    LZ_UFF_TRUEDIV = 2, /* integer and bool inputs compute in float64 */
    LZ_UFF_COMPARE = 4, /* a comparison */
    LZ_UFF_WHERE = 8,   /* where(condition, x, y) */
};

/* One inner loop: the types its inputs are cast to, and its output type. */
typedef struct lz_loop {
    int nin;         /* inputs */
    lz_dtype in[3];  /* input types */
    lz_dtype out;    /* output type */
} lz_loop;

bool lz_can_cast_safe(lz_dtype from, lz_dtype to);
int lz_ufunc_flags(lz_ufunc uf);
const char *lz_ufunc_name(lz_ufunc uf);
int lz_ufunc_nin(lz_ufunc uf);
/* The ufunc named `name` (aliases such as "abs" included), or -1. */
int lz_ufunc_lookup(const char *name);

/* Choose the loop of `uf` for inputs of types in[0..nin-1]. On failure
 * returns LZ_ETYPE and writes numpy's reason into why. */
lz_status lz_resolve_loop(lz_ufunc uf, const lz_dtype *in, lz_loop *loop, char *why, size_t why_size);

#endif
