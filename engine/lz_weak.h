/* lz_weak.h — arithmetic on literals with Python's semantics.
 *
 * An operator whose operands are all literals (or literal results) is
 * computed as Python computes it before numpy ever sees the value: True + 1
 * is 2, -True is -1, 7 / 2 is 3.5, 7 // -2 is -4, 2 ** -1 is 0.5, integers
 * are unbounded (here: 128 bits, see lz_int128). The result is again a
 * "weak" literal (NEP 50). Function calls on literals are numpy's business,
 * not Python's, and are folded elsewhere.
 */
#ifndef LZ_WEAK_H
#define LZ_WEAK_H

#include "lz_dtype.h"
#include "lz_lex.h"

/* Apply operator token `op` (binary) to a and b. On failure returns
 * LZ_EVALUE or LZ_ETYPE with Python's reason in why. */
lz_status lz_weak_binary(lz_tok op, const lz_scalar *a, const lz_scalar *b, lz_scalar *out, char *why,
                         size_t why_size);
/* Unary - + ~. */
lz_status lz_weak_unary(lz_tok op, const lz_scalar *a, lz_scalar *out, char *why, size_t why_size);

#endif
