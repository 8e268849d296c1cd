/* lzv_cf.c — the CF decoding of an operand (see lzv_cf.h).
 *
 * The rules, and whose they are. xarray and netCDF4-python decode by
 * default and agree on most of it; where they differ the choice is named.
 *
 *  - _Unsigned = "true" on a signed integer variable means the unsigned
 *    type of its size, "false" on an unsigned one the signed type (both
 *    readers; the same bits). Other values, or other types, are ignored.
 *  - Missing values are the values of _FillValue and of missing_value (a
 *    scalar or a list), except NaN (xarray drops NaN fill values; NaN is
 *    missing in the decoded values anyway). A value counts when it is
 *    exactly a value of the stored type (under _Unsigned: of the type
 *    read, or of the stored type, whose bits are then taken, as
 *    netCDF4-python takes them for every attribute). Stored values equal
 *    to it are missing. A value no stored value can equal (1e20 in an
 *    int16, 0.5 in an integer, a float64 that is no float32) marks nothing,
 *    as in both readers (xarray compares after converting; netCDF4-python
 *    drops values that do not convert exactly); `show` says so.
 *  - valid_range (exactly two values), else valid_min and valid_max, mark
 *    stored values outside them missing, compared in the stored type, as
 *    netCDF4-python does and CF and the netCDF user guide ask. A bound
 *    that is not exactly a value of the stored type is ignored (as
 *    netCDF4-python ignores it); a valid_range of another number of values
 *    is ignored in favour of valid_min/valid_max (netCDF4-python). xarray
 *    ignores all three: there h5lazy differs from xarray on purpose.
 *  - scale_factor and add_offset unpack: x * scale_factor + add_offset,
 *    each must be one float32 or float64 value (a scalar or one element,
 *    as netCDF-C writes it). Text, integers or several values are errors
 *    naming the attribute: CF allows an integer scale only of the stored
 *    type, whose unpacking cannot hold missing values, and neither reader
 *    handles it coherently; raw(x) reads such data as stored.
 *  - The decoded type is xarray's (coding/variables.py,
 *    _choose_float_dtype and dtypes.maybe_promote): with scale_factor and
 *    add_offset of one float type, that type, except float64 for 32-bit
 *    integers (float32 would round them); with add_offset otherwise
 *    float64; with scale_factor alone its type. Without packing, when
 *    anything can be missing: a float type stays, integers of 8 and 16
 *    bits become float32 and wider ones float64. Otherwise the type read
 *    (an integer without CF attributes stays an integer). The arithmetic
 *    is done in the decoded type (lz.h), which is what xarray computes.
 *  - bool data is never decoded (no netCDF type maps to it).
 */
#include "lzv_cf.h"

#include "lzv_attrs.h"

#include <float.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Integers of 64 bits convert to long double and back exactly. */
_Static_assert(LDBL_MANT_DIG >= 64, "long double must hold every 64-bit integer");

static bool
is_float(lz_dtype t)
{
    return lz_dtype_kind_code(t) == 'f';
}

static bool
is_signed(lz_dtype t)
{
    return lz_dtype_kind_code(t) == 'i';
}

static bool
is_integer(lz_dtype t)
{
    return is_signed(t) || lz_dtype_kind_code(t) == 'u';
}

void
lzv_cf_free(lzv_cf *cf)
{
    if (!cf)
        return;
    free(cf->missing);
    free(cf->summary);
    free(cf);
}

bool
lzv_cf_is_encoding(const char *name)
{
    static const char *const names[] = {"_FillValue", "missing_value", "valid_min", "valid_max", "valid_range",
                                        "scale_factor", "add_offset", "_Unsigned", "_nc3_strict", "_NCProperties",
                                        "DIMENSION_LIST", "REFERENCE_LIST", "CLASS", "NAME"};
    for (size_t i = 0; i < sizeof names / sizeof *names; i++)
        if (!strcmp(name, names[i]))
            return true;
    return !strncmp(name, "_Netcdf4", 8) || !strncmp(name, "h5lazy_", 7);
}

/* ---- values ---------------------------------------------------------------------- */

static long double
as_long_double(lz_dtype t, lz_value v)
{
    return is_float(t) ? (long double)v.f : is_signed(t) ? (long double)v.i : (long double)v.u;
}

/* Value v of type `from` as type `to`, when it is exactly a value of it. */
static bool
exact_in(lz_dtype from, lz_value v, lz_dtype to, lz_value *out)
{
    long double x = as_long_double(from, v);
    if (isnan(x))
        return false;
    if (to == LZ_FLOAT32 || to == LZ_FLOAT64) {
        long double most = to == LZ_FLOAT32 ? FLT_MAX : DBL_MAX;
        if (isfinite(x) && fabsl(x) > most)
            return false;
        double d = to == LZ_FLOAT32 ? (double)(float)x : (double)x;
        out->f = d;
        return (long double)d == x;
    }
    if (!isfinite(x) || floorl(x) != x)
        return false;
    int bits = 8 * (int)lz_dtype_size(to);
    if (is_signed(to)) {
        long double lo = -ldexpl(1, bits - 1), hi = ldexpl(1, bits - 1);
        if (x < lo || x >= hi)
            return false;
        out->i = (int64_t)x;
        return true;
    }
    if (x < 0 || x >= ldexpl(1, bits))
        return false;
    out->u = (uint64_t)x;
    return true;
}

/* The bits of v (a value of the integer type `stored`) read as its
 * same-size twin of the other signedness. */
static lz_value
twin_bits(lz_dtype stored, lz_value v)
{
    int bits = 8 * (int)lz_dtype_size(stored);
    uint64_t mask = bits == 64 ? ~(uint64_t)0 : ((uint64_t)1 << bits) - 1;
    lz_value out;
    if (is_signed(stored)) {
        out.u = (uint64_t)v.i & mask;
    } else {
        uint64_t u = v.u & mask;
        out.i = (u >> (bits - 1)) & 1 ? (int64_t)(u | ~mask) : (int64_t)u;
    }
    return out;
}

/* An attribute's value as a value of type `as`: directly, or (under
 * _Unsigned) as a value of the stored type whose bits are taken. */
static bool
value_as(lz_dtype from, lz_value v, lz_dtype stored, lz_dtype as, lz_value *out)
{
    if (exact_in(from, v, as, out))
        return true;
    lz_value s;
    if (as != stored && exact_in(from, v, stored, &s)) {
        *out = twin_bits(stored, s);
        return true;
    }
    return false;
}

/* ---- the sentence for show ----------------------------------------------------------- */

typedef struct text {
    char buf[1024]; /* cut when longer, which only shortens what show prints */
    size_t len;     /* bytes in buf */
} text;

static void
put(text *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void
put(text *t, const char *fmt, ...)
{
    if (t->len >= sizeof t->buf)
        return;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(t->buf + t->len, sizeof t->buf - t->len, fmt, ap);
    va_end(ap);
    if (n > 0)
        t->len = t->len + (size_t)n < sizeof t->buf ? t->len + (size_t)n : sizeof t->buf - 1;
}

/* ---- reading ----------------------------------------------------------------------- */

/* Where attributes are read from, and where their errors go. */
typedef struct reader {
    void *dset;        /* the operand's dataset (under connector's) */
    hid_t vol_id;      /* the under connector */
    hid_t dxpl_id;     /* the transfer list of the call */
    const char *label; /* the operand, for messages */
    lz_ctx *ctx;       /* errors go here */
    int line, column;  /* where the expression names the operand */
} reader;

/* Read attribute `name`: 1 and *v when present, 0 when absent, -1 after
 * recording why it cannot be read. */
static int
read_attr(const reader *r, const char *name, lzv_attr_value *v)
{
    int got;
    H5E_BEGIN_TRY { got = lzv_attrs_read(r->dset, H5I_DATASET, r->vol_id, name, r->dxpl_id, v); }
    H5E_END_TRY
    if (got < 0) {
        char cause[300] = "";
        lzv_stack_innermost(cause, sizeof cause);
        H5Eclear2(H5E_DEFAULT);
        lz_ctx_fail(r->ctx, LZ_ESOURCE, r->line, r->column, "attribute %s of operand '%s' cannot be read%s%s", name,
                    r->label, cause[0] ? ": " : "", cause);
    }
    return got;
}

/* The one float value of scale_factor or add_offset, or an error. */
static int
read_packing(const reader *r, const char *name, double *value, lz_dtype *type)
{
    lzv_attr_value v;
    int got = read_attr(r, name, &v);
    if (got <= 0)
        return got;
    char shown[200];
    lzv_attrs_value_format(&v, shown, sizeof shown);
    const char *why = NULL;
    if (v.kind != LZV_ATTR_NUMBERS)
        why = v.kind == LZV_ATTR_STRING ? "is text" : "is not a number";
    else if (v.n != 1)
        why = "does not hold exactly one value";
    else if (!is_float(v.dtype))
        why = "is an integer";
    if (why) {
        lz_ctx_fail(r->ctx, LZ_ETYPE, r->line, r->column,
                    "attribute %s of operand '%s' %s (%s): CF packing takes one float32 or float64 %s (raw(%s) "
                    "reads the stored values)",
                    name, r->label, why, shown, name, r->label);
        lzv_attrs_value_destroy(&v);
        return -1;
    }
    *value = v.values[0].f;
    *type = v.dtype;
    lzv_attrs_value_destroy(&v);
    return 1;
}

/* Add the missing values of attribute `name` to cf->missing; notes for
 * values that mark nothing go to t. Returns -1 after an error, else
 * whether the attribute held a number other than NaN (which makes the
 * decoded type a float type, as in xarray). */
static int
read_missing(const reader *r, const char *name, lz_dtype stored, lz_dtype as, lzv_cf *cf, text *said, text *notes)
{
    lzv_attr_value v;
    int got = read_attr(r, name, &v);
    if (got <= 0)
        return got;
    char shown[200];
    lzv_attrs_value_format(&v, shown, sizeof shown);
    if (v.kind != LZV_ATTR_NUMBERS || v.dtype == LZ_BOOL) {
        lz_ctx_fail(r->ctx, LZ_ETYPE, r->line, r->column,
                    "attribute %s of operand '%s' is %s (%s), not a number of the operand's type (raw(%s) reads "
                    "the stored values)",
                    name, r->label, v.kind == LZV_ATTR_STRING ? "text" : "not a number", shown, r->label);
        lzv_attrs_value_destroy(&v);
        return -1;
    }
    bool counts = false;
    size_t before = cf->decode.nmissing;
    lz_value *grown = realloc(cf->missing, (cf->decode.nmissing + v.n + 1) * sizeof *grown);
    if (!grown) {
        lzv_attrs_value_destroy(&v);
        lz_ctx_fail(r->ctx, LZ_ENOMEM, r->line, r->column, "out of memory");
        return -1;
    }
    cf->missing = grown;
    bool nan_said = false;
    for (size_t i = 0; i < v.n; i++) {
        lz_value x;
        if (isnan(as_long_double(v.dtype, v.values[i]))) {
            if (!nan_said)
                put(notes, "; %s NaN: missing values are NaN already", name);
            nan_said = true;
            continue;
        }
        counts = true;
        if (value_as(v.dtype, v.values[i], stored, as, &x))
            cf->missing[cf->decode.nmissing++] = x;
        else
            put(notes, "; %s %s matches no %s value", name,
                v.n == 1 ? shown : "entry", lz_dtype_name(as));
    }
    if (cf->decode.nmissing > before)
        put(said, "%s%s %s", said->len ? " and " : "", name, shown);
    lzv_attrs_value_destroy(&v);
    return counts;
}

/* One valid bound: valid_min or valid_max, or an entry of valid_range.
 * Returns whether it applies; notes say why not. */
static bool
bound_of(const char *name, lz_dtype from, lz_value v, lz_dtype stored, lz_dtype as, lz_value *out, text *notes)
{
    if (value_as(from, v, stored, as, out))
        return true;
    put(notes, "; %s ignored: not a value of %s", name, lz_dtype_name(as));
    return false;
}

/* valid_range, else valid_min and valid_max. Returns -1 after an error. */
static int
read_valid(const reader *r, lz_dtype stored, lz_dtype as, lzv_cf *cf, text *said, text *notes)
{
    lz_decode *d = &cf->decode;
    lzv_attr_value v;
    int got = read_attr(r, "valid_range", &v);
    if (got < 0)
        return -1;
    if (got && v.kind == LZV_ATTR_NUMBERS && v.dtype != LZ_BOOL && v.n == 2) {
        char shown[200];
        lzv_attrs_value_format(&v, shown, sizeof shown);
        d->has_valid_min = bound_of("valid_range", v.dtype, v.values[0], stored, as, &d->valid_min, notes);
        d->has_valid_max = bound_of("valid_range", v.dtype, v.values[1], stored, as, &d->valid_max, notes);
        if (d->has_valid_min || d->has_valid_max)
            put(said, "; valid_range %s", shown);
        lzv_attrs_value_destroy(&v);
        return 0;
    }
    if (got) {
        char n[32];
        snprintf(n, sizeof n, "%zu values", v.n);
        put(notes, "; valid_range ignored: %s, not two numbers", v.kind == LZV_ATTR_NUMBERS ? n : "text");
        lzv_attrs_value_destroy(&v);
    }
    static const char *const names[2] = {"valid_min", "valid_max"};
    for (int k = 0; k < 2; k++) {
        if ((got = read_attr(r, names[k], &v)) < 0)
            return -1;
        if (!got)
            continue;
        bool *has = k ? &d->has_valid_max : &d->has_valid_min;
        lz_value *bound = k ? &d->valid_max : &d->valid_min;
        char shown[200];
        lzv_attrs_value_format(&v, shown, sizeof shown);
        if (v.kind == LZV_ATTR_NUMBERS && v.dtype != LZ_BOOL && v.n == 1)
            *has = bound_of(names[k], v.dtype, v.values[0], stored, as, bound, notes);
        else
            put(notes, "; %s ignored: %s is not one number", names[k], shown);
        if (*has)
            put(said, "; %s %s", names[k], shown);
        lzv_attrs_value_destroy(&v);
    }
    return 0;
}

/* _Unsigned: the type the stored values are read as. */
static int
read_unsigned(const reader *r, lz_dtype stored, lz_dtype *as, text *said, text *notes)
{
    lzv_attr_value v;
    int got = read_attr(r, "_Unsigned", &v);
    if (got <= 0)
        return got;
    static const lz_dtype signed_t[] = {LZ_INT8, LZ_INT16, LZ_INT32, LZ_INT64};
    static const lz_dtype unsigned_t[] = {LZ_UINT8, LZ_UINT16, LZ_UINT32, LZ_UINT64};
    bool yes = v.kind == LZV_ATTR_STRING && (!strcmp(v.text, "true") || !strcmp(v.text, "True"));
    bool no = v.kind == LZV_ATTR_STRING && (!strcmp(v.text, "false") || !strcmp(v.text, "False"));
    for (int i = 0; i < 4; i++) {
        if (yes && stored == signed_t[i])
            *as = unsigned_t[i];
        if (no && stored == unsigned_t[i])
            *as = signed_t[i];
    }
    if (*as != stored)
        put(said, "; _Unsigned: %s read as %s", lz_dtype_name(stored), lz_dtype_name(*as));
    else if (yes || no)
        put(notes, "; _Unsigned '%s' ignored: the values are %s", v.text, lz_dtype_name(stored));
    else
        put(notes, "; _Unsigned ignored: not 'true' or 'false'");
    lzv_attrs_value_destroy(&v);
    return 0;
}

/* xarray's dtypes.maybe_promote: the float type that holds a type's
 * values and NaN. */
static lz_dtype
float_of(lz_dtype t)
{
    if (is_float(t))
        return t;
    return lz_dtype_size(t) <= 2 ? LZ_FLOAT32 : LZ_FLOAT64;
}

/* xarray's _choose_float_dtype with scale_factor and/or add_offset. */
static lz_dtype
packed_type(lz_dtype as, bool scale, lz_dtype scale_t, bool offset, lz_dtype offset_t)
{
    if (scale && offset && scale_t == offset_t)
        return is_integer(as) && lz_dtype_size(as) == 4 ? LZ_FLOAT64 : scale_t;
    return offset ? LZ_FLOAT64 : scale_t;
}

lzv_cf *
lzv_cf_open(void *dset, hid_t vol_id, hid_t dxpl_id, lz_dtype stored, bool enabled, const char *label,
            lz_ctx *ctx, int line, int column)
{
    lzv_cf *cf = calloc(1, sizeof *cf);
    if (!cf) {
        lz_ctx_fail(ctx, LZ_ENOMEM, line, column, "out of memory");
        return NULL;
    }
    reader r = {dset, vol_id, dxpl_id, label, ctx, line, column};
    lz_decode *d = &cf->decode;
    text said = {.len = 0}, notes = {.len = 0}, missing = {.len = 0};
    lz_dtype as = stored;
    double scale = 1, offset = 0;
    lz_dtype scale_t = LZ_FLOAT64, offset_t = LZ_FLOAT64;
    int has_scale = 0, has_offset = 0, fills = 0, more = 0;
    bool ok = true;
    if (enabled && stored != LZ_BOOL) {
        ok = read_unsigned(&r, stored, &as, &said, &notes) >= 0 &&
             (fills = read_missing(&r, "_FillValue", stored, as, cf, &missing, &notes)) >= 0 &&
             (more = read_missing(&r, "missing_value", stored, as, cf, &missing, &notes)) >= 0 &&
             read_valid(&r, stored, as, cf, &said, &notes) >= 0 &&
             (has_scale = read_packing(&r, "scale_factor", &scale, &scale_t)) >= 0 &&
             (has_offset = read_packing(&r, "add_offset", &offset, &offset_t)) >= 0;
        fills = ok && (fills > 0 || more > 0);
    }
    if (!ok) {
        lzv_cf_free(cf);
        return NULL;
    }
    d->as = as;
    d->missing = cf->missing;
    d->has_scale_factor = has_scale;
    d->scale_factor = scale;
    d->has_add_offset = has_offset;
    d->add_offset = offset;
    bool can_miss = d->nmissing || d->has_valid_min || d->has_valid_max;
    if (has_scale || has_offset)
        d->dtype = packed_type(as, has_scale, scale_t, has_offset, offset_t);
    else
        d->dtype = fills || can_miss ? float_of(as) : as;
    cf->active = as != stored || can_miss || has_scale || has_offset || d->dtype != as;

    text out = {.len = 0};
    if (!enabled) {
        put(&out, "stored values (defined with stored format 1, before operands were decoded)");
    } else if (stored == LZ_BOOL) {
        put(&out, "stored values (bool values are not decoded)");
    } else if (!cf->active) {
        put(&out, "stored values (%s)", notes.len ? notes.buf + 2 : "no CF attributes");
        notes.len = 0;
        notes.buf[0] = '\0';
    } else {
        put(&out, "decoded as %s", lz_dtype_name(d->dtype));
        if (missing.len)
            put(&out, ": %s %s missing", missing.buf, strchr(missing.buf, '[') || strstr(missing.buf, " and ")
                                                             ? "are"
                                                             : "is");
        put(&out, "%s", said.buf);
        if (has_scale || has_offset) {
            char s[40] = "", o[40] = "";
            lzv_attrs_format_float(scale, scale_t, s, sizeof s);
            lzv_attrs_format_float(offset, offset_t, o, sizeof o);
            put(&out, "; unpacked as x%s%s%s%s (", has_scale ? " * " : "", has_scale ? s : "", has_offset ? " + " : "",
                has_offset ? o : "");
            if (has_scale && has_offset && scale_t == offset_t)
                put(&out, "scale_factor and add_offset, %s)", lz_dtype_name(scale_t));
            else if (has_scale && has_offset)
                put(&out, "scale_factor %s, add_offset %s)", lz_dtype_name(scale_t), lz_dtype_name(offset_t));
            else
                put(&out, "%s, %s)", has_scale ? "scale_factor" : "add_offset",
                    lz_dtype_name(has_scale ? scale_t : offset_t));
        }
    }
    put(&out, "%s", notes.buf);
    if (!(cf->summary = strdup(out.buf))) {
        lzv_cf_free(cf);
        lz_ctx_fail(ctx, LZ_ENOMEM, line, column, "out of memory");
        return NULL;
    }
    return cf;
}
