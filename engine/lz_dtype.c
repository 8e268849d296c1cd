/* lz_dtype.c — element type table, promotion (NumPy 2 / NEP 50) and scalar
 * conversion. The promotion rules are written out in lz_dtype.h. */
#include "lz_dtype.h"

#include "lz_cast.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

typedef struct dtype_info {
    const char *name;
    size_t size;
    char kind;
    int bits;
} dtype_info;

static const dtype_info dtypes[LZ_DTYPE_COUNT] = {
#define LZ_DTYPE(id, ctype, name, kind, bits) [id] = {name, sizeof(ctype), kind, bits},
#include "lz_dtype.def"
#undef LZ_DTYPE
};

const char *
lz_dtype_name(lz_dtype t)
{
    return (unsigned)t < LZ_DTYPE_COUNT ? dtypes[t].name : "?";
}

char
lz_dtype_kind_code(lz_dtype t)
{
    return (unsigned)t < LZ_DTYPE_COUNT ? dtypes[t].kind : '?';
}

size_t
lz_dtype_size(lz_dtype t)
{
    return dtypes[t].size;
}

int
lz_dtype_bits(lz_dtype t)
{
    return dtypes[t].bits;
}

int
lz_dtype_from_name(const char *name, lz_dtype *out)
{
    for (int t = 0; t < LZ_DTYPE_COUNT; t++) {
        if (strcmp(dtypes[t].name, name) == 0) {
            *out = (lz_dtype)t;
            return 0;
        }
    }
    return -1;
}

lz_kind
lz_dtype_kind(lz_dtype t)
{
    switch (dtypes[t].kind) {
    case 'b':
        return LZ_KIND_BOOL;
    case 'i':
        return LZ_KIND_INT;
    case 'u':
        return LZ_KIND_UINT;
    default:
        return LZ_KIND_FLOAT;
    }
}

bool
lz_dtype_is_integer(lz_dtype t)
{
    lz_kind k = lz_dtype_kind(t);
    return k == LZ_KIND_INT || k == LZ_KIND_UINT;
}

static lz_dtype
int_of_bits(bool is_signed, int bits)
{
    switch (bits) {
    case 8:
        return is_signed ? LZ_INT8 : LZ_UINT8;
    case 16:
        return is_signed ? LZ_INT16 : LZ_UINT16;
    case 32:
        return is_signed ? LZ_INT32 : LZ_UINT32;
    default:
        return is_signed ? LZ_INT64 : LZ_UINT64;
    }
}

lz_dtype
lz_dtype_promote(lz_dtype a, lz_dtype b)
{
    if (a == b)
        return a;
    lz_kind ka = lz_dtype_kind(a), kb = lz_dtype_kind(b);
    int ba = dtypes[a].bits, bb = dtypes[b].bits;
    if (ka == LZ_KIND_BOOL)
        return b;
    if (kb == LZ_KIND_BOOL)
        return a;
    if (ka == LZ_KIND_FLOAT && kb == LZ_KIND_FLOAT)
        return ba > bb ? a : b;
    if (ka == LZ_KIND_FLOAT || kb == LZ_KIND_FLOAT) {
        lz_dtype f = ka == LZ_KIND_FLOAT ? a : b;
        int int_bits = ka == LZ_KIND_FLOAT ? bb : ba;
        /* float32 holds integers of up to 16 bits exactly (24-bit mantissa). */
        if (f == LZ_FLOAT32 && int_bits <= 16)
            return LZ_FLOAT32;
        return LZ_FLOAT64;
    }
    if (ka == kb)
        return ba > bb ? a : b;
    /* One signed, one unsigned. */
    int sbits = ka == LZ_KIND_INT ? ba : bb;
    int ubits = ka == LZ_KIND_UINT ? ba : bb;
    if (sbits > ubits)
        return int_of_bits(true, sbits);
    if (ubits == 64)
        return LZ_FLOAT64;
    return int_of_bits(true, 2 * ubits);
}

lz_dtype
lz_dtype_promote_many(const lz_dtype *types, int n)
{
    /* numpy's result_type of several arrays is not a left fold: int8,
     * uint16 and float32 give float32 in any order, while (int8 + uint16)
     * + float32 would be float64. Folding the floats first, then the
     * integers, then the bools, each in the order given, gives numpy's
     * answer (checked against np.result_type for every sequence of two to
     * four of these types). */
    static const lz_kind order[] = {LZ_KIND_FLOAT, LZ_KIND_INT, LZ_KIND_BOOL};
    lz_dtype result = LZ_BOOL;
    bool any = false;
    for (size_t c = 0; c < sizeof order / sizeof order[0]; c++)
        for (int i = 0; i < n; i++) {
            lz_kind k = lz_dtype_kind(types[i]);
            if ((k == LZ_KIND_UINT ? LZ_KIND_INT : k) != order[c])
                continue;
            result = any ? lz_dtype_promote(result, types[i]) : types[i];
            any = true;
        }
    return result;
}

lz_dtype
lz_dtype_promote_weak(lz_dtype t, lz_kind weak_kind)
{
    lz_kind k = lz_dtype_kind(t);
    if (weak_kind == LZ_KIND_BOOL)
        return t;
    if (weak_kind == LZ_KIND_FLOAT)
        return k == LZ_KIND_FLOAT ? t : LZ_FLOAT64;
    /* weak integer */
    return k == LZ_KIND_BOOL ? LZ_INT64 : t;
}

lz_dtype
lz_dtype_of_kind(lz_kind kind)
{
    switch (kind) {
    case LZ_KIND_BOOL:
        return LZ_BOOL;
    case LZ_KIND_INT:
        return LZ_INT64;
    case LZ_KIND_UINT:
        return LZ_UINT64;
    default:
        return LZ_FLOAT64;
    }
}

/* Smallest and largest value of an integer type, in 128 bits. */
static void
integer_range(lz_dtype t, lz_int128 *lo, lz_int128 *hi)
{
    int bits = dtypes[t].bits;
    if (lz_dtype_kind(t) == LZ_KIND_INT) {
        *hi = ((lz_int128)1 << (bits - 1)) - 1;
        *lo = -*hi - 1;
    } else {
        *lo = 0;
        *hi = ((lz_int128)1 << bits) - 1;
    }
}

bool
lz_scalar_fits(const lz_scalar *s, lz_dtype t)
{
    if (s->kind != LZ_KIND_INT || !lz_dtype_is_integer(t))
        return true;
    lz_int128 lo, hi;
    integer_range(t, &lo, &hi);
    return s->v.i >= lo && s->v.i <= hi;
}

/* The scalar as a double, for float destinations. */
static double
scalar_as_double(const lz_scalar *s)
{
    switch (s->kind) {
    case LZ_KIND_BOOL:
        return s->v.b ? 1.0 : 0.0;
    case LZ_KIND_INT:
        return (double)s->v.i;
    default:
        return s->v.f;
    }
}

void
lz_scalar_store(const lz_scalar *s, lz_dtype t, void *dst)
{
    if (t == LZ_FLOAT32 || t == LZ_FLOAT64) {
        double d = scalar_as_double(s);
        if (t == LZ_FLOAT32) {
            float f = (float)d;
            memcpy(dst, &f, sizeof f);
        } else {
            memcpy(dst, &d, sizeof d);
        }
        return;
    }
    if (t == LZ_BOOL) {
        uint8_t b = s->kind == LZ_KIND_FLOAT ? s->v.f != 0.0 : s->kind == LZ_KIND_INT ? s->v.i != 0 : s->v.b;
        memcpy(dst, &b, 1);
        return;
    }
    /* Integers: the value modulo 2^bits (callers check ranges first where
     * numpy would refuse); floats convert as numpy's casts do. */
    uint64_t bits = s->kind == LZ_KIND_INT    ? (uint64_t)s->v.i
                    : s->kind == LZ_KIND_BOOL ? (uint64_t)s->v.b
                                              : lz_cast_f_to_u64(s->v.f);
    if (s->kind == LZ_KIND_FLOAT && lz_dtype_kind(t) == LZ_KIND_INT)
        bits = (uint64_t)lz_cast_f_to_i64(s->v.f);
    size_t size = lz_dtype_size(t);
    uint8_t b8 = (uint8_t)bits;
    uint16_t b16 = (uint16_t)bits;
    uint32_t b32 = (uint32_t)bits;
    memcpy(dst, size == 1 ? (void *)&b8 : size == 2 ? (void *)&b16 : size == 4 ? (void *)&b32 : (void *)&bits,
           size);
}

void
lz_int128_format(lz_int128 v, char *buf, size_t size)
{
    char digits[48];
    int n = 0;
    bool negative = v < 0;
    /* Work with the magnitude in unsigned 128 bits (the minimum has no
     * positive counterpart). */
    __extension__ unsigned __int128 m = negative ? -(unsigned __int128)v : (unsigned __int128)v;
    do {
        digits[n++] = (char)('0' + (int)(m % 10));
        m /= 10;
    } while (m);
    size_t k = 0;
    if (negative && k + 1 < size)
        buf[k++] = '-';
    while (n > 0 && k + 1 < size)
        buf[k++] = digits[--n];
    if (size)
        buf[k] = '\0';
}

void
lz_scalar_format(const lz_scalar *s, char *buf, size_t size)
{
    switch (s->kind) {
    case LZ_KIND_BOOL:
        snprintf(buf, size, "%s", s->v.b ? "true" : "false");
        break;
    case LZ_KIND_INT:
        lz_int128_format(s->v.i, buf, size);
        break;
    default:
        if (isnan(s->v.f))
            snprintf(buf, size, "nan");
        else if (isinf(s->v.f))
            snprintf(buf, size, "%sinf", s->v.f < 0 ? "-" : "");
        else
            snprintf(buf, size, "%.17g", s->v.f);
        break;
    }
}
