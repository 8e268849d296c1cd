/* lz_dtype.h — element types: sizes, kinds, names and NumPy 2 promotion.
 *
 * Promotion follows NumPy 2 (NEP 50). Between two arrays (strong types):
 *   - bool with T gives T; two signed (or two unsigned) integers give the wider;
 *   - signed sN with unsigned uM gives sN when N > M, else the signed type of
 *     2M bits, and float64 when M is 64 (no integer type holds both);
 *   - an integer of at most 16 bits with float32 gives float32; wider integers
 *     with float32 give float64; anything with float64 gives float64.
 * Python scalars (literals) are weak: they take the array's type when their
 * kind (bool < integer < float) is not above the array's kind; an integer
 * literal that does not fit that type is an error (numpy raises OverflowError);
 * a float literal with a bool/integer array gives float64, an integer literal
 * with a bool array gives int64.
 */
#ifndef LZ_DTYPE_H
#define LZ_DTYPE_H

#include "lz.h"

#include <stdbool.h>

/* Kinds of types (numpy's dtype.kind) and of literal values. */
typedef enum lz_kind { LZ_KIND_BOOL, LZ_KIND_INT, LZ_KIND_UINT, LZ_KIND_FLOAT } lz_kind;

/* Integer literals and their arithmetic follow Python, whose integers are
 * unbounded; 128 bits hold every value an int64 or uint64 array can meet
 * and their sums and products, and beyond that h5lazy reports an error. */
__extension__ typedef __int128 lz_int128;

/* The value of a literal or folded constant: kind BOOL, INT or FLOAT. */
typedef struct lz_scalar {
    lz_kind kind; /* which member holds the value */
    union {
        bool b;
        lz_int128 i;
        double f;
    } v;
} lz_scalar;

lz_kind lz_dtype_kind(lz_dtype t);
int lz_dtype_bits(lz_dtype t);
bool lz_dtype_is_integer(lz_dtype t); /* signed or unsigned, not bool */

/* The NumPy 2 result type of two arrays of types a and b. */
lz_dtype lz_dtype_promote(lz_dtype a, lz_dtype b);
/* The NumPy 2 result type of n >= 1 arrays (not a left fold of the above). */
lz_dtype lz_dtype_promote_many(const lz_dtype *types, int n);
/* The type a weak scalar of `kind` takes next to an array of type t. */
lz_dtype lz_dtype_promote_weak(lz_dtype t, lz_kind weak_kind);
/* The type of a weak scalar when nothing gives it one (a constant result):
 * bool, int64 or float64. */
lz_dtype lz_dtype_of_kind(lz_kind kind);

/* Whether an INT scalar's value is representable in integer type t (bools,
 * floats and float targets always are). */
bool lz_scalar_fits(const lz_scalar *s, lz_dtype t);
/* Store the scalar converted to t at `dst` (native byte order). */
void lz_scalar_store(const lz_scalar *s, lz_dtype t, void *dst);
/* Decimal text of a 128-bit integer. */
void lz_int128_format(lz_int128 v, char *buf, size_t size);
/* Format the scalar as a literal (for messages and plans). */
void lz_scalar_format(const lz_scalar *s, char *buf, size_t size);

#endif
