/* lz_kernel_math.c — the elementwise kernels, one per loop of lz_ufunc.def.
 *
 * Values follow numpy's definitions, including where C would be undefined:
 *   - integer + - * and square, negative, absolute wrap modulo 2^bits,
 *     computed in uint64_t (signed overflow is undefined in C, and small
 *     unsigned types promote to int, where a product can overflow); the
 *     conversion back is modular on GCC and Clang;
 *   - integer // and % by zero give 0, INT_MIN // -1 gives INT_MIN and
 *     INT_MIN % -1 gives 0; // and % floor like Python's (the float versions
 *     follow Python's divmod, as numpy's do);
 *   - integer ** with a negative exponent is a fault (numpy raises);
 *   - shifts by a negative count or by the width or more give 0 (or -1 for
 *     a right shift of a negative value), as numpy's do;
 *   - integer reciprocal is computed in double and converted (1/0 gives the
 *     x86-64 "indefinite" integer, as numpy's does);
 *   - maximum/minimum propagate NaN, fmax/fmin ignore it;
 *   - signed/unsigned 64-bit comparisons are exact.
 * Float functions use <tgmath.h>, so float32 loops call the float variants
 * of libm (numpy's own float32 implementations may differ in the last bit
 * for transcendental functions; the tests allow for that).
 */
#include "lz_cast.h"
#include "lz_kernel.h"
#include "lz_resolve.h"

#include <stdint.h>
#include <string.h>
#include <tgmath.h>

/* ---- templates ---------------------------------------------------------------- */

#define KERNEL1(fname, TO, TI, EXPR)                                                              \
    static void fname(void *o_, const void *const *in, size_t n, int *fault)                       \
    {                                                                                              \
        (void)fault;                                                                               \
        TO *o = o_;                                                                                \
        const TI *a = in[0];                                                                       \
        for (size_t i = 0; i < n; i++) {                                                           \
            TI x = a[i];                                                                           \
            (void)x; /* constant results (isnan of an integer) ignore it */                        \
            o[i] = (TO)(EXPR);                                                                     \
        }                                                                                          \
    }

#define KERNEL2(fname, TO, TA, TB, EXPR)                                                          \
    static void fname(void *o_, const void *const *in, size_t n, int *fault)                       \
    {                                                                                              \
        (void)fault;                                                                               \
        TO *o = o_;                                                                                \
        const TA *a = in[0];                                                                       \
        const TB *b = in[1];                                                                       \
        for (size_t i = 0; i < n; i++) {                                                           \
            TA x = a[i];                                                                           \
            TB y = b[i];                                                                           \
            o[i] = (TO)(EXPR);                                                                     \
        }                                                                                          \
    }

/* Type lists: M(letter, C type, ...). Letters are numpy's, bool is 'o' in
 * identifiers ('?' in signatures). */
#define SINTS(M, ...) M(b, int8_t, __VA_ARGS__) M(h, int16_t, __VA_ARGS__) M(i, int32_t, __VA_ARGS__) M(l, int64_t, __VA_ARGS__)
#define UINTS(M, ...) M(B, uint8_t, __VA_ARGS__) M(H, uint16_t, __VA_ARGS__) M(I, uint32_t, __VA_ARGS__) M(L, uint64_t, __VA_ARGS__)
#define FLOATS(M, ...) M(f, float, __VA_ARGS__) M(d, double, __VA_ARGS__)
#define INTS(M, ...) SINTS(M, __VA_ARGS__) UINTS(M, __VA_ARGS__)
#define NUMS(M, ...) INTS(M, __VA_ARGS__) FLOATS(M, __VA_ARGS__)
#define ALL(M, ...) M(o, uint8_t, __VA_ARGS__) NUMS(M, __VA_ARGS__)

/* Kernel families: same type in and out, or bool out. */
#define SAME1(c, T, op, EXPR) KERNEL1(k_##op##_##c, T, T, EXPR)
#define PRED1(c, T, op, EXPR) KERNEL1(k_##op##_##c, uint8_t, T, EXPR)
#define SAME2(c, T, op, EXPR) KERNEL2(k_##op##_##c##c, T, T, T, EXPR)
#define PRED2(c, T, op, EXPR) KERNEL2(k_##op##_##c##c, uint8_t, T, T, EXPR)

/* Width in bits of a variable, for shifts. */
#define BITS(v) ((int64_t)(8 * sizeof(v)))
/* Families calling a per-type helper named <fn>_<letter>. */
#define CALL2(c, T, op, fn) KERNEL2(k_##op##_##c##c, T, T, T, fn##_##c(x, y))
#define CALL2_FAULT(c, T, op, fn) KERNEL2(k_##op##_##c##c, T, T, T, fn##_##c(x, y, fault))
#define RECIPROCAL_INT(c, T, unused) KERNEL1(k_reciprocal_##c, T, T, lz_cast_d_##c(1.0 / (double)x))

/* ---- helpers with numpy's integer and float semantics --------------------------- */

static inline uint64_t
upow(uint64_t base, uint64_t exp)
{
    uint64_t r = 1;
    while (exp) {
        if (exp & 1)
            r *= base;
        base *= base;
        exp >>= 1;
    }
    return r;
}

#define INT_DIVMOD(c, T, MIN)                                                                      \
    static inline T floordiv_##c(T x, T y)                                                         \
    {                                                                                              \
        if (y == 0)                                                                                \
            return 0;                                                                              \
        if (x == MIN && y == -1)                                                                   \
            return MIN;                                                                            \
        T q = (T)(x / y);                                                                          \
        if (x % y != 0 && ((x < 0) != (y < 0)))                                                    \
            q--;                                                                                   \
        return q;                                                                                  \
    }                                                                                              \
    static inline T remainder_##c(T x, T y)                                                        \
    {                                                                                              \
        if (y == 0 || y == -1)                                                                     \
            return 0;                                                                              \
        T r = (T)(x % y);                                                                          \
        if (r != 0 && ((r < 0) != (y < 0)))                                                        \
            r = (T)(r + y);                                                                        \
        return r;                                                                                  \
    }                                                                                              \
    static inline T fmod_##c(T x, T y) { return (y == 0 || y == -1) ? 0 : (T)(x % y); }          \
    static inline T power_##c(T x, T y, int *fault)                                                \
    {                                                                                              \
        if (y < 0) {                                                                               \
            *fault = LZ_FAULT_NEGATIVE_POWER;                                                      \
            return 0;                                                                              \
        }                                                                                          \
        return (T)upow((uint64_t)x, (uint64_t)y);                                                  \
    }
INT_DIVMOD(b, int8_t, INT8_MIN)
INT_DIVMOD(h, int16_t, INT16_MIN)
INT_DIVMOD(i, int32_t, INT32_MIN)
INT_DIVMOD(l, int64_t, INT64_MIN)

/* Python's divmod for floats (numpy's npy_divmod): the quotient is floored,
 * the remainder takes the divisor's sign; by zero, a/b and fmod(a, 0). */
#define FLOAT_DIVMOD(c, T)                                                                         \
    static inline T floordiv_##c(T a, T b)                                                         \
    {                                                                                              \
        if (b == 0)                                                                                \
            return a / b;                                                                          \
        T mod = fmod(a, b);                                                                        \
        T div = (a - mod) / b;                                                                     \
        if (mod != 0 && ((b < 0) != (mod < 0)))                                                    \
            div -= 1;                                                                              \
        if (div != 0) {                                                                            \
            T fl = floor(div);                                                                     \
            if (div - fl > (T)0.5)                                                                 \
                fl += 1;                                                                           \
            return fl;                                                                             \
        }                                                                                          \
        return copysign((T)0, a / b);                                                              \
    }                                                                                              \
    static inline T remainder_##c(T a, T b)                                                        \
    {                                                                                              \
        if (b == 0)                                                                                \
            return fmod(a, b);                                                                     \
        T mod = fmod(a, b);                                                                        \
        if (mod != 0) {                                                                            \
            if ((b < 0) != (mod < 0))                                                              \
                mod += b;                                                                          \
        } else {                                                                                   \
            mod = copysign((T)0, b);                                                               \
        }                                                                                          \
        return mod;                                                                                \
    }
FLOAT_DIVMOD(f, float)
FLOAT_DIVMOD(d, double)

/* ldexp with a 64-bit exponent: clamp into int, where the result already
 * saturates to 0 or inf. */
static inline int
clamp_exponent(int64_t e)
{
    return e > 100000 ? 100000 : e < -100000 ? -100000 : (int)e;
}

/* ---- unary ------------------------------------------------------------------------- */

INTS(SAME1, negative, 0 - (uint64_t)x)
FLOATS(SAME1, negative, -x)
NUMS(SAME1, positive, x)
SAME1(o, uint8_t, absolute, x)
SINTS(SAME1, absolute, x < 0 ? 0 - (uint64_t)x : (uint64_t)x)
UINTS(SAME1, absolute, x)
FLOATS(SAME1, absolute, fabs(x))
SINTS(SAME1, sign, (x > 0) - (x < 0))
UINTS(SAME1, sign, x > 0)
FLOATS(SAME1, sign, x > 0 ? 1 : x < 0 ? -1 : x == 0 ? 0 : x) /* NaN stays NaN */
FLOATS(SAME1, rint, rint(x))
SAME1(o, uint8_t, floor, x)
INTS(SAME1, floor, x)
FLOATS(SAME1, floor, floor(x))
SAME1(o, uint8_t, ceil, x)
INTS(SAME1, ceil, x)
FLOATS(SAME1, ceil, ceil(x))
SAME1(o, uint8_t, trunc, x)
INTS(SAME1, trunc, x)
FLOATS(SAME1, trunc, trunc(x))
FLOATS(SAME1, sqrt, sqrt(x))
INTS(SAME1, square, (uint64_t)x * (uint64_t)x)
FLOATS(SAME1, square, x * x)
INTS(RECIPROCAL_INT, _)
FLOATS(SAME1, reciprocal, 1 / x)
FLOATS(SAME1, exp, exp(x))
FLOATS(SAME1, exp2, exp2(x))
FLOATS(SAME1, expm1, expm1(x))
FLOATS(SAME1, log, log(x))
FLOATS(SAME1, log2, log2(x))
FLOATS(SAME1, log10, log10(x))
FLOATS(SAME1, log1p, log1p(x))
FLOATS(SAME1, sin, sin(x))
FLOATS(SAME1, cos, cos(x))
FLOATS(SAME1, tan, tan(x))
FLOATS(SAME1, arcsin, asin(x))
FLOATS(SAME1, arccos, acos(x))
FLOATS(SAME1, arctan, atan(x))
FLOATS(SAME1, sinh, sinh(x))
FLOATS(SAME1, cosh, cosh(x))
FLOATS(SAME1, tanh, tanh(x))
FLOATS(SAME1, arcsinh, asinh(x))
FLOATS(SAME1, arccosh, acosh(x))
FLOATS(SAME1, arctanh, atanh(x))
SAME1(f, float, deg2rad, x * (float)(3.14159265358979323846 / 180.0))
SAME1(d, double, deg2rad, x * (3.14159265358979323846 / 180.0))
SAME1(f, float, rad2deg, x * (float)(180.0 / 3.14159265358979323846))
SAME1(d, double, rad2deg, x * (180.0 / 3.14159265358979323846))
PRED1(o, uint8_t, isnan, 0)
INTS(PRED1, isnan, 0)
FLOATS(PRED1, isnan, isnan(x))
PRED1(o, uint8_t, isinf, 0)
INTS(PRED1, isinf, 0)
FLOATS(PRED1, isinf, isinf(x))
PRED1(o, uint8_t, isfinite, 1)
INTS(PRED1, isfinite, 1)
FLOATS(PRED1, isfinite, isfinite(x))
FLOATS(PRED1, signbit, signbit(x) != 0)
ALL(PRED1, logical_not, x == 0)
SAME1(o, uint8_t, invert, !x)
INTS(SAME1, invert, ~x)

/* ---- binary ------------------------------------------------------------------------ */

SAME2(o, uint8_t, add, x | y) /* bool + bool is logical or */
INTS(SAME2, add, (uint64_t)x + (uint64_t)y)
FLOATS(SAME2, add, x + y)
INTS(SAME2, subtract, (uint64_t)x - (uint64_t)y)
FLOATS(SAME2, subtract, x - y)
SAME2(o, uint8_t, multiply, x & y) /* bool * bool is logical and */
INTS(SAME2, multiply, (uint64_t)x * (uint64_t)y)
FLOATS(SAME2, multiply, x * y)
FLOATS(SAME2, divide, x / y)
SINTS(CALL2, floor_divide, floordiv)
UINTS(SAME2, floor_divide, y ? x / y : 0)
FLOATS(CALL2, floor_divide, floordiv)
SINTS(CALL2, remainder, remainder)
UINTS(SAME2, remainder, y ? x % y : 0)
FLOATS(CALL2, remainder, remainder)
SINTS(CALL2, fmod, fmod)
UINTS(SAME2, fmod, y ? x % y : 0)
FLOATS(SAME2, fmod, fmod(x, y))
SINTS(CALL2_FAULT, power, power)
UINTS(SAME2, power, upow(x, y))
FLOATS(SAME2, power, pow(x, y))
FLOATS(SAME2, arctan2, atan2(x, y))
FLOATS(SAME2, hypot, hypot(x, y))
FLOATS(SAME2, copysign, copysign(x, y))
FLOATS(SAME2, nextafter, nextafter(x, y))
SAME2(o, uint8_t, maximum, x > y ? x : y)
INTS(SAME2, maximum, x > y ? x : y)
FLOATS(SAME2, maximum, isnan(x) ? x : isnan(y) ? y : x >= y ? x : y)
SAME2(o, uint8_t, minimum, x < y ? x : y)
INTS(SAME2, minimum, x < y ? x : y)
FLOATS(SAME2, minimum, isnan(x) ? x : isnan(y) ? y : x <= y ? x : y)
SAME2(o, uint8_t, fmax, x > y ? x : y)
INTS(SAME2, fmax, x > y ? x : y)
FLOATS(SAME2, fmax, fmax(x, y))
SAME2(o, uint8_t, fmin, x < y ? x : y)
INTS(SAME2, fmin, x < y ? x : y)
FLOATS(SAME2, fmin, fmin(x, y))
KERNEL2(k_ldexp_fi, float, float, int32_t, ldexp(x, (int)y))
KERNEL2(k_ldexp_fl, float, float, int64_t, ldexp(x, clamp_exponent(y)))
KERNEL2(k_ldexp_di, double, double, int32_t, ldexp(x, (int)y))
KERNEL2(k_ldexp_dl, double, double, int64_t, ldexp(x, clamp_exponent(y)))
SAME2(o, uint8_t, bitwise_and, x & y)
INTS(SAME2, bitwise_and, x & y)
SAME2(o, uint8_t, bitwise_or, x | y)
INTS(SAME2, bitwise_or, x | y)
SAME2(o, uint8_t, bitwise_xor, x ^ y)
INTS(SAME2, bitwise_xor, x ^ y)
SINTS(SAME2, left_shift, (y < 0 || y >= BITS(x)) ? 0 : (uint64_t)x << y)
UINTS(SAME2, left_shift, y >= BITS(x) ? 0 : (uint64_t)x << y)
SINTS(SAME2, right_shift, (y < 0 || y >= BITS(x)) ? (x < 0 ? -1 : 0) : x >> y)
UINTS(SAME2, right_shift, y >= BITS(x) ? 0 : x >> y)
ALL(PRED2, logical_and, x != 0 && y != 0)
ALL(PRED2, logical_or, x != 0 || y != 0)
ALL(PRED2, logical_xor, (x != 0) != (y != 0))
ALL(PRED2, equal, x == y)
ALL(PRED2, not_equal, x != y)
ALL(PRED2, less, x < y)
ALL(PRED2, less_equal, x <= y)
ALL(PRED2, greater, x > y)
ALL(PRED2, greater_equal, x >= y)
/* int64 against uint64, exactly. */
KERNEL2(k_equal_lL, uint8_t, int64_t, uint64_t, x >= 0 && (uint64_t)x == y)
KERNEL2(k_equal_Ll, uint8_t, uint64_t, int64_t, y >= 0 && x == (uint64_t)y)
KERNEL2(k_not_equal_lL, uint8_t, int64_t, uint64_t, x < 0 || (uint64_t)x != y)
KERNEL2(k_not_equal_Ll, uint8_t, uint64_t, int64_t, y < 0 || x != (uint64_t)y)
KERNEL2(k_less_lL, uint8_t, int64_t, uint64_t, x < 0 || (uint64_t)x < y)
KERNEL2(k_less_Ll, uint8_t, uint64_t, int64_t, y >= 0 && x < (uint64_t)y)
KERNEL2(k_less_equal_lL, uint8_t, int64_t, uint64_t, x < 0 || (uint64_t)x <= y)
KERNEL2(k_less_equal_Ll, uint8_t, uint64_t, int64_t, y >= 0 && x <= (uint64_t)y)
KERNEL2(k_greater_lL, uint8_t, int64_t, uint64_t, x >= 0 && (uint64_t)x > y)
KERNEL2(k_greater_Ll, uint8_t, uint64_t, int64_t, y < 0 || x > (uint64_t)y)
KERNEL2(k_greater_equal_lL, uint8_t, int64_t, uint64_t, x >= 0 && (uint64_t)x >= y)
KERNEL2(k_greater_equal_Ll, uint8_t, uint64_t, int64_t, y < 0 || x >= (uint64_t)y)

/* ---- where ----------------------------------------------------------------------- */

#define WHERE(c, T, unused)                                                                        \
    static void k_where_##c(void *o_, const void *const *in, size_t n, int *fault)                 \
    {                                                                                              \
        (void)fault;                                                                               \
        T *o = o_;                                                                                 \
        const uint8_t *cond = in[0];                                                               \
        const T *x = in[1], *y = in[2];                                                            \
        for (size_t i = 0; i < n; i++)                                                             \
            o[i] = cond[i] ? x[i] : y[i];                                                          \
    }
ALL(WHERE, _)

/* ---- the table --------------------------------------------------------------------- */

typedef struct entry {
    lz_ufunc uf;      /* which function */
    const char *sig;  /* input letters of the loop, numpy's ('?' for bool) */
    lz_kernel_fn fn;  /* the kernel */
} entry;

#define SIG_o "?"
#define SIG_b "b"
#define SIG_B "B"
#define SIG_h "h"
#define SIG_H "H"
#define SIG_i "i"
#define SIG_I "I"
#define SIG_l "l"
#define SIG_L "L"
#define SIG_f "f"
#define SIG_d "d"
#define E1(c, T, op, UF) {UF, SIG_##c, k_##op##_##c},
#define E2(c, T, op, UF) {UF, SIG_##c SIG_##c, k_##op##_##c##c},
#define EW(c, T, unused) {LZ_UF_WHERE, "?" SIG_##c SIG_##c, k_where_##c},

static const entry table[] = {
    INTS(E1, negative, LZ_UF_NEGATIVE) FLOATS(E1, negative, LZ_UF_NEGATIVE)
    NUMS(E1, positive, LZ_UF_POSITIVE)
    ALL(E1, absolute, LZ_UF_ABSOLUTE)
    NUMS(E1, sign, LZ_UF_SIGN)
    FLOATS(E1, rint, LZ_UF_RINT)
    ALL(E1, floor, LZ_UF_FLOOR) ALL(E1, ceil, LZ_UF_CEIL) ALL(E1, trunc, LZ_UF_TRUNC)
    FLOATS(E1, sqrt, LZ_UF_SQRT)
    NUMS(E1, square, LZ_UF_SQUARE) NUMS(E1, reciprocal, LZ_UF_RECIPROCAL)
    FLOATS(E1, exp, LZ_UF_EXP) FLOATS(E1, exp2, LZ_UF_EXP2) FLOATS(E1, expm1, LZ_UF_EXPM1)
    FLOATS(E1, log, LZ_UF_LOG) FLOATS(E1, log2, LZ_UF_LOG2) FLOATS(E1, log10, LZ_UF_LOG10)
    FLOATS(E1, log1p, LZ_UF_LOG1P)
    FLOATS(E1, sin, LZ_UF_SIN) FLOATS(E1, cos, LZ_UF_COS) FLOATS(E1, tan, LZ_UF_TAN)
    FLOATS(E1, arcsin, LZ_UF_ARCSIN) FLOATS(E1, arccos, LZ_UF_ARCCOS) FLOATS(E1, arctan, LZ_UF_ARCTAN)
    FLOATS(E1, sinh, LZ_UF_SINH) FLOATS(E1, cosh, LZ_UF_COSH) FLOATS(E1, tanh, LZ_UF_TANH)
    FLOATS(E1, arcsinh, LZ_UF_ARCSINH) FLOATS(E1, arccosh, LZ_UF_ARCCOSH)
    FLOATS(E1, arctanh, LZ_UF_ARCTANH)
    FLOATS(E1, deg2rad, LZ_UF_DEG2RAD) FLOATS(E1, rad2deg, LZ_UF_RAD2DEG)
    ALL(E1, isnan, LZ_UF_ISNAN) ALL(E1, isinf, LZ_UF_ISINF) ALL(E1, isfinite, LZ_UF_ISFINITE)
    FLOATS(E1, signbit, LZ_UF_SIGNBIT)
    ALL(E1, logical_not, LZ_UF_LOGICAL_NOT)
    E1(o, _, invert, LZ_UF_INVERT) INTS(E1, invert, LZ_UF_INVERT)
    E2(o, _, add, LZ_UF_ADD) NUMS(E2, add, LZ_UF_ADD)
    NUMS(E2, subtract, LZ_UF_SUBTRACT)
    E2(o, _, multiply, LZ_UF_MULTIPLY) NUMS(E2, multiply, LZ_UF_MULTIPLY)
    FLOATS(E2, divide, LZ_UF_DIVIDE)
    NUMS(E2, floor_divide, LZ_UF_FLOOR_DIVIDE) NUMS(E2, remainder, LZ_UF_REMAINDER)
    NUMS(E2, fmod, LZ_UF_FMOD) NUMS(E2, power, LZ_UF_POWER)
    FLOATS(E2, arctan2, LZ_UF_ARCTAN2) FLOATS(E2, hypot, LZ_UF_HYPOT)
    FLOATS(E2, copysign, LZ_UF_COPYSIGN) FLOATS(E2, nextafter, LZ_UF_NEXTAFTER)
    ALL(E2, maximum, LZ_UF_MAXIMUM) ALL(E2, minimum, LZ_UF_MINIMUM)
    ALL(E2, fmax, LZ_UF_FMAX) ALL(E2, fmin, LZ_UF_FMIN)
    {LZ_UF_LDEXP, "fi", k_ldexp_fi}, {LZ_UF_LDEXP, "fl", k_ldexp_fl},
    {LZ_UF_LDEXP, "di", k_ldexp_di}, {LZ_UF_LDEXP, "dl", k_ldexp_dl},
    E2(o, _, bitwise_and, LZ_UF_BITWISE_AND) INTS(E2, bitwise_and, LZ_UF_BITWISE_AND)
    E2(o, _, bitwise_or, LZ_UF_BITWISE_OR) INTS(E2, bitwise_or, LZ_UF_BITWISE_OR)
    E2(o, _, bitwise_xor, LZ_UF_BITWISE_XOR) INTS(E2, bitwise_xor, LZ_UF_BITWISE_XOR)
    INTS(E2, left_shift, LZ_UF_LEFT_SHIFT) INTS(E2, right_shift, LZ_UF_RIGHT_SHIFT)
    ALL(E2, logical_and, LZ_UF_LOGICAL_AND) ALL(E2, logical_or, LZ_UF_LOGICAL_OR)
    ALL(E2, logical_xor, LZ_UF_LOGICAL_XOR)
    ALL(E2, equal, LZ_UF_EQUAL) ALL(E2, not_equal, LZ_UF_NOT_EQUAL)
    ALL(E2, less, LZ_UF_LESS) ALL(E2, less_equal, LZ_UF_LESS_EQUAL)
    ALL(E2, greater, LZ_UF_GREATER) ALL(E2, greater_equal, LZ_UF_GREATER_EQUAL)
    {LZ_UF_EQUAL, "lL", k_equal_lL}, {LZ_UF_EQUAL, "Ll", k_equal_Ll},
    {LZ_UF_NOT_EQUAL, "lL", k_not_equal_lL}, {LZ_UF_NOT_EQUAL, "Ll", k_not_equal_Ll},
    {LZ_UF_LESS, "lL", k_less_lL}, {LZ_UF_LESS, "Ll", k_less_Ll},
    {LZ_UF_LESS_EQUAL, "lL", k_less_equal_lL}, {LZ_UF_LESS_EQUAL, "Ll", k_less_equal_Ll},
    {LZ_UF_GREATER, "lL", k_greater_lL}, {LZ_UF_GREATER, "Ll", k_greater_Ll},
    {LZ_UF_GREATER_EQUAL, "lL", k_greater_equal_lL}, {LZ_UF_GREATER_EQUAL, "Ll", k_greater_equal_Ll},
    ALL(EW, _)
};

lz_kernel_fn
lz_kernel_find(lz_ufunc uf, const struct lz_loop *loop)
{
    static const char letters[] = "?bBhHiIlLfd"; /* lz_dtype order */
    char sig[4] = {0};
    for (int k = 0; k < loop->nin && k < 3; k++)
        sig[k] = letters[loop->in[k]];
    for (size_t i = 0; i < sizeof table / sizeof table[0]; i++)
        if (table[i].uf == uf && !strcmp(table[i].sig, sig))
            return table[i].fn;
    return NULL;
}
