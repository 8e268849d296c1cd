/* lz_weak.c — Python's arithmetic on literal values (see lz_weak.h). */
#include "lz_weak.h"

#include <math.h>
#include <stdio.h>

static const lz_int128 INT128_MAX_V = (lz_int128)(~(__extension__(unsigned __int128)0) >> 1);
static const lz_int128 INT128_MIN_V = -(lz_int128)(~(__extension__(unsigned __int128)0) >> 1) - 1;

static lz_scalar
int_value(lz_int128 v)
{
    lz_scalar s = {.kind = LZ_KIND_INT};
    s.v.i = v;
    return s;
}

static lz_scalar
float_value(double v)
{
    lz_scalar s = {.kind = LZ_KIND_FLOAT};
    s.v.f = v;
    return s;
}

static lz_scalar
bool_value(bool v)
{
    lz_scalar s = {.kind = LZ_KIND_BOOL};
    s.v.b = v;
    return s;
}

/* bool is an int in Python arithmetic. */
static lz_int128
as_int(const lz_scalar *s)
{
    return s->kind == LZ_KIND_BOOL ? (lz_int128)s->v.b : s->v.i;
}

static double
as_float(const lz_scalar *s)
{
    return s->kind == LZ_KIND_FLOAT ? s->v.f : (double)as_int(s);
}

static lz_status
too_large(char *why, size_t why_size)
{
    snprintf(why, why_size, "integer arithmetic on literals exceeds h5lazy's limit of 2**127");
    return LZ_EVALUE;
}

/* Python's float divmod: floored quotient, remainder with the divisor's sign. */
static void
float_divmod(double a, double b, double *div, double *mod)
{
    double m = fmod(a, b);
    double d = (a - m) / b;
    if (m != 0) {
        if ((b < 0) != (m < 0)) {
            m += b;
            d -= 1;
        }
    } else {
        m = copysign(0.0, b);
    }
    if (d != 0) {
        double fl = floor(d);
        if (d - fl > 0.5)
            fl += 1;
        d = fl;
    } else {
        d = copysign(0.0, a / b);
    }
    *div = d;
    *mod = m;
}

/* Integer ** non-negative integer, with overflow detection. */
static lz_status
int_power(lz_int128 base, lz_int128 exp, lz_int128 *out, char *why, size_t why_size)
{
    lz_int128 r = 1;
    while (exp > 0) {
        if (exp & 1) {
            if (__builtin_mul_overflow(r, base, &r))
                return too_large(why, why_size);
        }
        exp >>= 1;
        if (exp > 0 && __builtin_mul_overflow(base, base, &base))
            return too_large(why, why_size);
    }
    *out = r;
    return LZ_OK;
}

lz_status
lz_weak_binary(lz_tok op, const lz_scalar *a, const lz_scalar *b, lz_scalar *out, char *why, size_t why_size)
{
    bool floats = a->kind == LZ_KIND_FLOAT || b->kind == LZ_KIND_FLOAT;
    bool both_bool = a->kind == LZ_KIND_BOOL && b->kind == LZ_KIND_BOOL;
    lz_int128 x = floats ? 0 : as_int(a), y = floats ? 0 : as_int(b), r;
    double fx = as_float(a), fy = as_float(b);
    switch (op) {
    case LZ_T_PLUS:
        if (floats)
            *out = float_value(fx + fy);
        else if (__builtin_add_overflow(x, y, &r))
            return too_large(why, why_size);
        else
            *out = int_value(r);
        return LZ_OK;
    case LZ_T_MINUS:
        if (floats)
            *out = float_value(fx - fy);
        else if (__builtin_sub_overflow(x, y, &r))
            return too_large(why, why_size);
        else
            *out = int_value(r);
        return LZ_OK;
    case LZ_T_STAR:
        if (floats)
            *out = float_value(fx * fy);
        else if (__builtin_mul_overflow(x, y, &r))
            return too_large(why, why_size);
        else
            *out = int_value(r);
        return LZ_OK;
    case LZ_T_SLASH:
        if (fy == 0) {
            snprintf(why, why_size, "division by zero");
            return LZ_EVALUE;
        }
        *out = float_value(fx / fy); /* Python's int / int is a float */
        return LZ_OK;
    case LZ_T_DSLASH:
    case LZ_T_PERCENT:
        if (floats ? fy == 0 : y == 0) {
            snprintf(why, why_size, "%s by zero", op == LZ_T_DSLASH ? "integer division or modulo" : "modulo");
            return LZ_EVALUE;
        }
        if (floats) {
            double d, m;
            float_divmod(fx, fy, &d, &m);
            *out = float_value(op == LZ_T_DSLASH ? d : m);
        } else if (x == INT128_MIN_V && y == -1) {
            return too_large(why, why_size);
        } else {
            lz_int128 q = x / y, m = x % y;
            if (m != 0 && ((m < 0) != (y < 0))) {
                q -= 1;
                m += y;
            }
            *out = int_value(op == LZ_T_DSLASH ? q : m);
        }
        return LZ_OK;
    case LZ_T_POW:
        if (!floats && y >= 0) {
            lz_status st = int_power(x, y, &r, why, why_size);
            if (st == LZ_OK)
                *out = int_value(r);
            return st;
        }
        if (fx == 0 && fy < 0) {
            snprintf(why, why_size, "0.0 cannot be raised to a negative power");
            return LZ_EVALUE;
        }
        *out = float_value(pow(fx, fy));
        return LZ_OK;
    case LZ_T_AMP:
    case LZ_T_PIPE:
    case LZ_T_CARET:
    case LZ_T_LSHIFT:
    case LZ_T_RSHIFT:
        if (floats) {
            snprintf(why, why_size, "unsupported operand type(s) for %s: float", lz_token_describe(op));
            return LZ_ETYPE;
        }
        if (op == LZ_T_AMP || op == LZ_T_PIPE || op == LZ_T_CARET) {
            r = op == LZ_T_AMP ? (x & y) : op == LZ_T_PIPE ? (x | y) : (x ^ y);
            *out = both_bool ? bool_value(r != 0) : int_value(r);
            return LZ_OK;
        }
        if (y < 0) {
            snprintf(why, why_size, "negative shift count");
            return LZ_EVALUE;
        }
        if (op == LZ_T_RSHIFT) {
            *out = int_value(y >= 127 ? (x < 0 ? -1 : 0) : x >> y);
            return LZ_OK;
        }
        if (x != 0 && (y >= 127 || (x > 0 ? x > (INT128_MAX_V >> y) : x < (INT128_MIN_V >> y))))
            return too_large(why, why_size);
        *out = int_value(x == 0 ? 0 : x * ((lz_int128)1 << y));
        return LZ_OK;
    case LZ_T_LT:
        *out = bool_value(floats ? fx < fy : x < y);
        return LZ_OK;
    case LZ_T_LE:
        *out = bool_value(floats ? fx <= fy : x <= y);
        return LZ_OK;
    case LZ_T_GT:
        *out = bool_value(floats ? fx > fy : x > y);
        return LZ_OK;
    case LZ_T_GE:
        *out = bool_value(floats ? fx >= fy : x >= y);
        return LZ_OK;
    case LZ_T_EQ:
        *out = bool_value(floats ? fx == fy : x == y);
        return LZ_OK;
    case LZ_T_NE:
        *out = bool_value(floats ? fx != fy : x != y);
        return LZ_OK;
    default:
        snprintf(why, why_size, "operator %s is not defined on literals", lz_token_describe(op));
        return LZ_ETYPE;
    }
}

lz_status
lz_weak_unary(lz_tok op, const lz_scalar *a, lz_scalar *out, char *why, size_t why_size)
{
    switch (op) {
    case LZ_T_PLUS:
        *out = a->kind == LZ_KIND_FLOAT ? *a : int_value(as_int(a));
        return LZ_OK;
    case LZ_T_MINUS:
        if (a->kind == LZ_KIND_FLOAT) {
            *out = float_value(-a->v.f);
            return LZ_OK;
        }
        if (as_int(a) == INT128_MIN_V)
            return too_large(why, why_size);
        *out = int_value(-as_int(a));
        return LZ_OK;
    case LZ_T_TILDE:
        if (a->kind == LZ_KIND_FLOAT) {
            snprintf(why, why_size, "bad operand type for unary ~: float");
            return LZ_ETYPE;
        }
        *out = int_value(~as_int(a)); /* ~True is -2 in Python */
        return LZ_OK;
    default:
        snprintf(why, why_size, "operator %s is not defined on literals", lz_token_describe(op));
        return LZ_ETYPE;
    }
}
