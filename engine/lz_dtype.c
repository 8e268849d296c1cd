/* lz_dtype.c — element type table, promotion (NumPy 2 / NEP 50) and scalar
 * conversion. The promotion rules are written out in lz_dtype.h. */
#include "lz_dtype.h"

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

bool
lz_scalar_fits(const lz_scalar *s, lz_dtype t)
{
    if (!lz_dtype_is_integer(t) || s->kind == LZ_KIND_BOOL || s->kind == LZ_KIND_FLOAT)
        return true;
    int bits = dtypes[t].bits;
    bool is_signed = lz_dtype_kind(t) == LZ_KIND_INT;
    if (s->kind == LZ_KIND_UINT) {
        uint64_t max = is_signed ? (UINT64_C(1) << (bits - 1)) - 1
                                 : (bits == 64 ? UINT64_MAX : (UINT64_C(1) << bits) - 1);
        return s->v.u <= max;
    }
    int64_t v = s->v.i;
    if (is_signed) {
        if (bits == 64)
            return true;
        int64_t lim = INT64_C(1) << (bits - 1);
        return v >= -lim && v < lim;
    }
    if (v < 0)
        return false;
    return bits == 64 || (uint64_t)v < (UINT64_C(1) << bits);
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
    case LZ_KIND_UINT:
        return (double)s->v.u;
    default:
        return s->v.f;
    }
}

/* The scalar as integer bits modulo 2^64, for integer destinations. Float
 * values reach here only through explicit casts checked by the caller. */
static uint64_t
scalar_as_bits(const lz_scalar *s)
{
    switch (s->kind) {
    case LZ_KIND_BOOL:
        return s->v.b;
    case LZ_KIND_INT:
        return (uint64_t)s->v.i;
    case LZ_KIND_UINT:
        return s->v.u;
    default: {
        double f = s->v.f;
        /* Out-of-range or NaN float-to-integer conversion is undefined in C;
         * map it to 0, which is also what the kernels do. */
        if (!(f > -9223372036854775808.0 && f < 9223372036854775808.0))
            return 0;
        return (uint64_t)(int64_t)f;
    }
    }
}

void
lz_scalar_store(const lz_scalar *s, lz_dtype t, void *dst)
{
    uint64_t bits = scalar_as_bits(s);
    switch (t) {
    case LZ_BOOL: {
        uint8_t b = s->kind == LZ_KIND_FLOAT ? s->v.f != 0.0 : bits != 0;
        memcpy(dst, &b, 1);
        break;
    }
#define STORE_INT(ID, T)                                                                           \
    case ID: {                                                                                     \
        T v = (T)bits;                                                                             \
        memcpy(dst, &v, sizeof v);                                                                 \
        break;                                                                                     \
    }
        STORE_INT(LZ_INT8, int8_t)
        STORE_INT(LZ_UINT8, uint8_t)
        STORE_INT(LZ_INT16, int16_t)
        STORE_INT(LZ_UINT16, uint16_t)
        STORE_INT(LZ_INT32, int32_t)
        STORE_INT(LZ_UINT32, uint32_t)
        STORE_INT(LZ_INT64, int64_t)
        STORE_INT(LZ_UINT64, uint64_t)
#undef STORE_INT
    case LZ_FLOAT32: {
        float v = (float)scalar_as_double(s);
        memcpy(dst, &v, sizeof v);
        break;
    }
    default: {
        double v = scalar_as_double(s);
        memcpy(dst, &v, sizeof v);
        break;
    }
    }
}

void
lz_scalar_format(const lz_scalar *s, char *buf, size_t size)
{
    switch (s->kind) {
    case LZ_KIND_BOOL:
        snprintf(buf, size, "%s", s->v.b ? "true" : "false");
        break;
    case LZ_KIND_INT:
        snprintf(buf, size, "%" PRId64, s->v.i);
        break;
    case LZ_KIND_UINT:
        snprintf(buf, size, "%" PRIu64, s->v.u);
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
