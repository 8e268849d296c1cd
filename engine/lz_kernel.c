/* lz_kernel.c — type conversions between the engine's element types,
 * generated per pair (the elementwise functions are in lz_kernel_math.c). */
#include "lz_cast.h"
#include "lz_kernel.h"

#include <math.h>
#include <stdint.h>

/* Lower-case aliases of the dtype ids, for token pasting. */
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

#define CONV_FN(from, to) conv_##from##_to_##to
#define DEFINE_CONV(from, TF, to, TT, EXPR)                                                        \
    static void CONV_FN(from, to)(void *d_, const void *s_, size_t n)                              \
    {                                                                                              \
        TT *restrict d = d_;                                                                       \
        const TF *restrict s = s_;                                                                 \
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
CONV_INTO(int8, int8_t, x, lz_cast_d_b(x))
CONV_INTO(uint8, uint8_t, x, lz_cast_d_B(x))
CONV_INTO(int16, int16_t, x, lz_cast_d_h(x))
CONV_INTO(uint16, uint16_t, x, lz_cast_d_H(x))
CONV_INTO(int32, int32_t, x, lz_cast_d_i(x))
CONV_INTO(uint32, uint32_t, x, lz_cast_d_I(x))
CONV_INTO(int64, int64_t, x, lz_cast_d_l(x))
CONV_INTO(uint64, uint64_t, x, lz_cast_d_L(x))
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
