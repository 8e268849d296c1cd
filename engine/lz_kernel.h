/* lz_kernel.h — the inner loops: elementwise functions and type conversions
 * over contiguous runs. Kernels never allocate, and tolerate the output
 * aliasing an input of the same type (they read element i before writing
 * it). */
#ifndef LZ_KERNEL_H
#define LZ_KERNEL_H

#include "lz.h"

typedef enum lz_ufunc {
#define LZ_UFUNC(id, name, nin, flags, loops) LZ_UF_##id,
#include "lz_ufunc.def"
#undef LZ_UFUNC
    LZ_UFUNC_COUNT
} lz_ufunc;

/* Faults a kernel reports instead of a value (numpy raises for these). */
enum {
    LZ_FAULT_NONE = 0,
    LZ_FAULT_NEGATIVE_POWER = 1, /* an integer raised to a negative integer power */
};

/* out[i] = f(in[0][i], in[1][i], ...) for i < n; on a fault, *fault is set
 * and the remaining outputs are unspecified. */
typedef void (*lz_kernel_fn)(void *out, const void *const *in, size_t n, int *fault);
typedef void (*lz_convert_fn)(void *dst, const void *src, size_t n);

struct lz_loop;
/* The kernel of `uf` for a loop chosen by lz_resolve_loop; NULL if none. */
lz_kernel_fn lz_kernel_find(lz_ufunc uf, const struct lz_loop *loop);
/* Conversion from `from` to `to` with numpy's value semantics, including
 * its x86-64 results for NaN and out-of-range float-to-integer casts. */
lz_convert_fn lz_kernel_convert(lz_dtype to, lz_dtype from);

#endif
