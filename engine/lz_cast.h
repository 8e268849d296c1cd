/* lz_cast.h — float to integer conversion as numpy compiles it on x86-64.
 *
 * Values inside the range of the 32- or 64-bit conversion instruction
 * truncate toward zero; anything else (NaN, +-inf, too large) gives the
 * instruction's "indefinite" value, INT_MIN. Narrower targets take the low
 * bits of the 32-bit result; uint32 the low bits of the 64-bit result;
 * uint64 uses the 2^63 split (below). C leaves all the out-of-range cases
 * undefined, hence the explicit range checks.
 */
#ifndef LZ_CAST_H
#define LZ_CAST_H

#include <stdint.h>

static inline int32_t
lz_cast_f_to_i32(double x)
{
    return (x > -2147483649.0 && x < 2147483648.0) ? (int32_t)x : INT32_MIN;
}

static inline int64_t
lz_cast_f_to_i64(double x)
{
    return (x >= -9223372036854775808.0 && x < 9223372036854775808.0) ? (int64_t)x : INT64_MIN;
}

/* GCC's sequence for (uint64_t)x: below 2^63 (NaN too: the comparison is
 * false) the signed conversion, so negatives wrap and NaN or -inf give
 * 2^63; from 2^63 on, the signed conversion of x - 2^63 with the top bit
 * flipped, so inf and anything from 2^64 on give 0. */
static inline uint64_t
lz_cast_f_to_u64(double x)
{
    if (!(x >= 9223372036854775808.0))
        return (uint64_t)lz_cast_f_to_i64(x);
    return (uint64_t)lz_cast_f_to_i64(x - 9223372036854775808.0) ^ (UINT64_C(1) << 63);
}

/* The same, per target type. */
static inline int8_t lz_cast_d_b(double x) { return (int8_t)lz_cast_f_to_i32(x); }
static inline uint8_t lz_cast_d_B(double x) { return (uint8_t)lz_cast_f_to_i32(x); }
static inline int16_t lz_cast_d_h(double x) { return (int16_t)lz_cast_f_to_i32(x); }
static inline uint16_t lz_cast_d_H(double x) { return (uint16_t)lz_cast_f_to_i32(x); }
static inline int32_t lz_cast_d_i(double x) { return lz_cast_f_to_i32(x); }
static inline uint32_t lz_cast_d_I(double x) { return (uint32_t)lz_cast_f_to_i64(x); }
static inline int64_t lz_cast_d_l(double x) { return lz_cast_f_to_i64(x); }
static inline uint64_t lz_cast_d_L(double x) { return lz_cast_f_to_u64(x); }

#endif
