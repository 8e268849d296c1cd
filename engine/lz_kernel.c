/* lz_kernel.c — elementwise kernels and conversions, generated per type.
 *
 * Integer arithmetic wraps modulo 2^bits as numpy's does; it is computed in
 * uint64_t because signed overflow is undefined in C (and small unsigned
 * types promote to int, where a product can overflow). Converting the
 * uint64_t result back to a narrower or signed type is modular on every
 * compiler we support (GCC, Clang document it).
 */
#include "lz_kernel.h"

#include <math.h>
#include <stdint.h>

/* ---- loop templates ---------------------------------------------------------- */

#define KERNEL1(fname, TO, TI, EXPR)                                                              \
    static void fname(void *o_, const void *a_, size_t n)                                          \
    {                                                                                              \
        TO *o = o_;                                                                                \
        const TI *a = a_;                                                                          \
        for (size_t i = 0; i < n; i++) {                                                           \
            TI x = a[i];                                                                           \
            o[i] = (TO)(EXPR);                                                                     \
        }                                                                                          \
    }

#define KERNEL2(fname, TO, TI, EXPR)                                                              \
    static void fname(void *o_, const void *a_, const void *b_, size_t n)                          \
    {                                                                                              \
        TO *o = o_;                                                                                \
        const TI *a = a_, *b = b_;                                                                 \
        for (size_t i = 0; i < n; i++) {                                                           \
            TI x = a[i], y = b[i];                                                                 \
            o[i] = (TO)(EXPR);                                                                     \
        }                                                                                          \
    }

/* Apply M(ID, T, ...) to every integer type, float type. */
#define FOR_INTS(M, ...)                                                                           \
    M(int8, int8_t, __VA_ARGS__)                                                                   \
    M(uint8, uint8_t, __VA_ARGS__)                                                                 \
    M(int16, int16_t, __VA_ARGS__)                                                                 \
    M(uint16, uint16_t, __VA_ARGS__)                                                               \
    M(int32, int32_t, __VA_ARGS__)                                                                 \
    M(uint32, uint32_t, __VA_ARGS__)                                                               \
    M(int64, int64_t, __VA_ARGS__)                                                                 \
    M(uint64, uint64_t, __VA_ARGS__)
#define FOR_FLOATS(M, ...)                                                                         \
    M(float32, float, __VA_ARGS__)                                                                 \
    M(float64, double, __VA_ARGS__)

/* Same-type loops: k_<op>_<type>. */
#define SAME1(tname, T, op, EXPR) KERNEL1(k_##op##_##tname, T, T, EXPR)
#define SAME2(tname, T, op, EXPR) KERNEL2(k_##op##_##tname, T, T, EXPR)

/* Table rows: [LZ_<TYPE>] = k_<op>_<type>. */
#define ROW_ENTRY(tname, T, op) [LZ_DT_##tname] = k_##op##_##tname,
#define ROW_INTS(op) FOR_INTS(ROW_ENTRY, op)
#define ROW_FLOATS(op) FOR_FLOATS(ROW_ENTRY, op)

/* Lower-case aliases of the dtype ids, for the token pasting above. */
enum {
    LZ_DT_bool_ = LZ_BOOL,
    LZ_DT_int8 = LZ_INT8,
    LZ_DT_uint8 = LZ_UINT8,
    LZ_DT_int16 = LZ_INT16,
    LZ_DT_uint16 = LZ_UINT16,
    LZ_DT_int32 = LZ_INT32,
    LZ_DT_uint32 = LZ_UINT32,
    LZ_DT_int64 = LZ_INT64,
    LZ_DT_uint64 = LZ_UINT64,
    LZ_DT_float32 = LZ_FLOAT32,
    LZ_DT_float64 = LZ_FLOAT64,
};

/* ---- arithmetic ---------------------------------------------------------------- */

FOR_INTS(SAME2, add, (uint64_t)x + (uint64_t)y)
FOR_FLOATS(SAME2, add, x + y)
SAME2(bool_, uint8_t, add, x | y) /* numpy: bool + bool is logical or */

FOR_INTS(SAME2, subtract, (uint64_t)x - (uint64_t)y)
FOR_FLOATS(SAME2, subtract, x - y)

FOR_INTS(SAME2, multiply, (uint64_t)x * (uint64_t)y)
FOR_FLOATS(SAME2, multiply, x * y)
SAME2(bool_, uint8_t, multiply, x & y) /* numpy: bool * bool is logical and */

FOR_FLOATS(SAME2, divide, x / y) /* integers are cast to float64 first (true division) */

FOR_INTS(SAME1, negative, 0 - (uint64_t)x)
FOR_FLOATS(SAME1, negative, -x)

FOR_INTS(SAME1, positive, x)
FOR_FLOATS(SAME1, positive, x)

static const lz_kernel2 binary_kernels[LZ_UFUNC_COUNT][LZ_DTYPE_COUNT] = {
    [LZ_UF_ADD] = {ROW_INTS(add) ROW_FLOATS(add)[LZ_BOOL] = k_add_bool_},
    [LZ_UF_SUBTRACT] = {ROW_INTS(subtract) ROW_FLOATS(subtract)},
    [LZ_UF_MULTIPLY] = {ROW_INTS(multiply) ROW_FLOATS(multiply)[LZ_BOOL] = k_multiply_bool_},
    [LZ_UF_DIVIDE] = {ROW_FLOATS(divide)},
};

static const lz_kernel1 unary_kernels[LZ_UFUNC_COUNT][LZ_DTYPE_COUNT] = {
    [LZ_UF_NEGATIVE] = {ROW_INTS(negative) ROW_FLOATS(negative)},
    [LZ_UF_POSITIVE] = {ROW_INTS(positive) ROW_FLOATS(positive)},
};

lz_kernel1
lz_kernel_unary(lz_ufunc uf, lz_dtype in)
{
    return unary_kernels[uf][in];
}

lz_kernel2
lz_kernel_binary(lz_ufunc uf, lz_dtype in)
{
    return binary_kernels[uf][in];
}

static const struct {
    const char *name;
    int nin;
} ufunc_info[LZ_UFUNC_COUNT] = {
#define LZ_UFUNC(id, name, nin, rule) [LZ_UF_##id] = {name, nin},
#include "lz_ufunc.def"
#undef LZ_UFUNC
};

const char *
lz_ufunc_name(lz_ufunc uf)
{
    return ufunc_info[uf].name;
}

int
lz_ufunc_nin(lz_ufunc uf)
{
    return ufunc_info[uf].nin;
}

/* ---- conversions ------------------------------------------------------------- */

/* Float to integer as numpy compiles it on x86-64: values inside the range
 * of the 32- or 64-bit conversion instruction truncate toward zero, anything
 * else (NaN, +-inf, too large) gives the instruction's "indefinite" value,
 * INT_MIN. Narrower targets take the low bits of the 32-bit result; uint32
 * takes the low bits of the 64-bit result; uint64 uses the 2^63 split. C
 * leaves all the out-of-range cases undefined, hence the explicit checks. */
static inline int32_t
f_to_i32(double x)
{
    return (x > -2147483649.0 && x < 2147483648.0) ? (int32_t)x : INT32_MIN;
}

static inline int64_t
f_to_i64(double x)
{
    return (x >= -9223372036854775808.0 && x < 9223372036854775808.0) ? (int64_t)x : INT64_MIN;
}

static inline uint64_t
f_to_u64(double x)
{
    if (x < 9223372036854775808.0)
        return (uint64_t)f_to_i64(x); /* negative values wrap, as on x86-64 */
    if (x < 18446744073709551616.0)
        return (uint64_t)(int64_t)(x - 9223372036854775808.0) ^ (UINT64_C(1) << 63);
    return UINT64_C(1) << 63;
}

#define CONV_FN(from, to) conv_##from##_to_##to
#define DEFINE_CONV(from, TF, to, TT, EXPR)                                                        \
    static void CONV_FN(from, to)(void *d_, const void *s_, size_t n)                              \
    {                                                                                              \
        TT *d = d_;                                                                                \
        const TF *s = s_;                                                                          \
        for (size_t i = 0; i < n; i++) {                                                           \
            TF x = s[i];                                                                           \
            d[i] = (TT)(EXPR);                                                                     \
        }                                                                                          \
    }

/* All sources into one target type, with the expression chosen by the
 * source's class. Integer to integer narrowing is modular; integer or bool
 * to float is exact or rounds to nearest; anything to bool tests != 0 (NaN
 * is true, as in numpy). */
#define CONV_INTO(to, TT, INT_EXPR, FLOAT_EXPR)                                                    \
    DEFINE_CONV(bool_, uint8_t, to, TT, x != 0)                                                     \
    DEFINE_CONV(int8, int8_t, to, TT, INT_EXPR)                                                    \
    DEFINE_CONV(uint8, uint8_t, to, TT, INT_EXPR)                                                  \
    DEFINE_CONV(int16, int16_t, to, TT, INT_EXPR)                                                  \
    DEFINE_CONV(uint16, uint16_t, to, TT, INT_EXPR)                                                \
    DEFINE_CONV(int32, int32_t, to, TT, INT_EXPR)                                                  \
    DEFINE_CONV(uint32, uint32_t, to, TT, INT_EXPR)                                                \
    DEFINE_CONV(int64, int64_t, to, TT, INT_EXPR)                                                  \
    DEFINE_CONV(uint64, uint64_t, to, TT, INT_EXPR)                                                \
    DEFINE_CONV(float32, float, to, TT, FLOAT_EXPR)                                                \
    DEFINE_CONV(float64, double, to, TT, FLOAT_EXPR)

CONV_INTO(bool_, uint8_t, x != 0, x != 0)
CONV_INTO(int8, int8_t, x, f_to_i32(x))
CONV_INTO(uint8, uint8_t, x, f_to_i32(x))
CONV_INTO(int16, int16_t, x, f_to_i32(x))
CONV_INTO(uint16, uint16_t, x, f_to_i32(x))
CONV_INTO(int32, int32_t, x, f_to_i32(x))
CONV_INTO(uint32, uint32_t, x, f_to_i64(x))
CONV_INTO(int64, int64_t, x, f_to_i64(x))
CONV_INTO(uint64, uint64_t, x, f_to_u64(x))
CONV_INTO(float32, float, x, x)
CONV_INTO(float64, double, x, x)

#define CONV_ROW(to)                                                                               \
    [LZ_DT_##to] = {                                                                               \
        [LZ_BOOL] = CONV_FN(bool_, to),       [LZ_INT8] = CONV_FN(int8, to),                        \
        [LZ_UINT8] = CONV_FN(uint8, to),     [LZ_INT16] = CONV_FN(int16, to),                      \
        [LZ_UINT16] = CONV_FN(uint16, to),   [LZ_INT32] = CONV_FN(int32, to),                      \
        [LZ_UINT32] = CONV_FN(uint32, to),   [LZ_INT64] = CONV_FN(int64, to),                      \
        [LZ_UINT64] = CONV_FN(uint64, to),   [LZ_FLOAT32] = CONV_FN(float32, to),                  \
        [LZ_FLOAT64] = CONV_FN(float64, to),                                                       \
    },

static const lz_convert_fn conversions[LZ_DTYPE_COUNT][LZ_DTYPE_COUNT] = {
    CONV_ROW(bool_) CONV_ROW(int8) CONV_ROW(uint8) CONV_ROW(int16) CONV_ROW(uint16)
        CONV_ROW(int32) CONV_ROW(uint32) CONV_ROW(int64) CONV_ROW(uint64) CONV_ROW(float32)
            CONV_ROW(float64)};

lz_convert_fn
lz_kernel_convert(lz_dtype to, lz_dtype from)
{
    return conversions[to][from];
}
