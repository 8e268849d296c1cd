/* lz_kernel.h — the inner loops: elementwise functions and type conversions
 * over contiguous runs. Kernels never allocate and tolerate the output
 * aliasing an input (they read element i before writing it). */
#ifndef LZ_KERNEL_H
#define LZ_KERNEL_H

#include "lz.h"

typedef enum lz_ufunc {
#define LZ_UFUNC(id, name, nin, rule) LZ_UF_##id,
#include "lz_ufunc.def"
#undef LZ_UFUNC
    LZ_UFUNC_COUNT
} lz_ufunc;

typedef void (*lz_kernel1)(void *out, const void *a, size_t n);
typedef void (*lz_kernel2)(void *out, const void *a, const void *b, size_t n);
typedef void (*lz_convert_fn)(void *dst, const void *src, size_t n);

/* The loop of `uf` over inputs of type `in` (outputs of the type the rule
 * gives), or NULL when numpy has no such loop. */
lz_kernel1 lz_kernel_unary(lz_ufunc uf, lz_dtype in);
lz_kernel2 lz_kernel_binary(lz_ufunc uf, lz_dtype in);
/* Conversion from `from` to `to` with numpy's value semantics, including
 * its x86-64 results for NaN and out-of-range float-to-integer casts. */
lz_convert_fn lz_kernel_convert(lz_dtype to, lz_dtype from);

const char *lz_ufunc_name(lz_ufunc uf);
int lz_ufunc_nin(lz_ufunc uf);

#endif
