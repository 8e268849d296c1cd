/* lz_resolve.c — ufunc loop selection (see lz_resolve.h) and the ufunc
 * table's accessors. */
#include "lz_resolve.h"

#include <stdio.h>
#include <string.h>

static const struct {
    const char *name;
    int nin;
    int flags;
    const char *loops;
} ufuncs[LZ_UFUNC_COUNT] = {
#define LZ_UFUNC(id, name, nin, flags, loops) [LZ_UF_##id] = {name, nin, flags, loops},
#include "lz_ufunc.def"
#undef LZ_UFUNC
};

/* numpy's other names for the same functions. */
static const struct {
    const char *alias;
    lz_ufunc uf;
} aliases[] = {
#define LZ_UFUNC(id, name, nin, flags, loops)
#define LZ_UFUNC_ALIAS(alias, id) {alias, LZ_UF_##id},
#include "lz_ufunc.def"
#undef LZ_UFUNC
};

const char *
lz_ufunc_name(lz_ufunc uf)
{
    return ufuncs[uf].name;
}

int
lz_ufunc_nin(lz_ufunc uf)
{
    return ufuncs[uf].nin;
}

int
lz_ufunc_flags(lz_ufunc uf)
{
    return ufuncs[uf].flags;
}

int
lz_ufunc_lookup(const char *name)
{
    for (int i = 0; i < LZ_UFUNC_COUNT; i++)
        if (!strcmp(ufuncs[i].name, name))
            return i;
    for (size_t i = 0; i < sizeof aliases / sizeof aliases[0]; i++)
        if (!strcmp(aliases[i].alias, name))
            return (int)aliases[i].uf;
    return -1;
}

bool
lz_can_cast_safe(lz_dtype from, lz_dtype to)
{
    if (from == to || from == LZ_BOOL)
        return true;
    lz_kind kf = lz_dtype_kind(from), kt = lz_dtype_kind(to);
    int bf = lz_dtype_bits(from), bt = lz_dtype_bits(to);
    switch (kt) {
    case LZ_KIND_BOOL:
        return false;
    case LZ_KIND_INT: /* from a narrower signed, or a strictly narrower unsigned */
        return (kf == LZ_KIND_INT && bf <= bt) || (kf == LZ_KIND_UINT && bf < bt);
    case LZ_KIND_UINT:
        return kf == LZ_KIND_UINT && bf <= bt;
    default: /* float: numpy calls every integer to float64 safe; to float32
                only integers of up to 16 bits (its 24-bit mantissa holds them) */
        if (kf == LZ_KIND_FLOAT)
            return bf <= bt;
        return bt == 64 || bf <= 16;
    }
}

static int
letter_dtype(char c, lz_dtype *t)
{
    static const char letters[] = "?bBhHiIlLfd";
    const char *p = strchr(letters, c);
    if (!p || !c)
        return -1;
    *t = (lz_dtype)(p - letters); /* same order as lz_dtype.def */
    return 0;
}

/* The n-th loop of a ufunc's list ("bb->b BB->B ..."); false past the end. */
static bool
nth_loop(lz_ufunc uf, int n, lz_loop *loop)
{
    const char *p = ufuncs[uf].loops;
    int nin = ufuncs[uf].nin;
    for (int i = 0; *p; i++) {
        while (*p == ' ')
            p++;
        if (!*p)
            break;
        if (i == n) {
            loop->nin = nin;
            for (int k = 0; k < nin; k++)
                if (letter_dtype(p[k], &loop->in[k]) < 0)
                    return false;
            return letter_dtype(p[nin + 2], &loop->out) == 0;
        }
        p = strchr(p, ' ');
        if (!p)
            break;
    }
    return false;
}

static void
type_list(const lz_dtype *in, int nin, char *buf, size_t size)
{
    size_t n = 0;
    buf[0] = '\0';
    for (int k = 0; k < nin && n < size; k++)
        n += (size_t)snprintf(buf + n, size - n, "%s%s", k ? ", " : "", lz_dtype_name(in[k]));
}

lz_status
lz_resolve_loop(lz_ufunc uf, const lz_dtype *in, lz_loop *loop, char *why, size_t why_size)
{
    int nin = ufuncs[uf].nin, flags = ufuncs[uf].flags;
    char types[96];
    type_list(in, nin, types, sizeof types);
    if (flags & LZ_UFF_WHERE) {
        lz_dtype t = lz_dtype_promote(in[1], in[2]);
        *loop = (lz_loop){3, {LZ_BOOL, t, t}, t};
        return LZ_OK;
    }
    bool all_bool = true;
    for (int k = 0; k < nin; k++)
        all_bool = all_bool && in[k] == LZ_BOOL;
    if ((flags & LZ_UFF_NOBOOL) && all_bool) {
        if (uf == LZ_UF_SUBTRACT)
            snprintf(why, why_size, "numpy boolean subtract, the `-` operator, is not supported; use the "
                                    "bitwise_xor, the `^` operator, or the logical_xor function instead");
        else if (uf == LZ_UF_NEGATIVE)
            snprintf(why, why_size, "numpy boolean negative, the `-` operator, is not supported; use the "
                                    "`~` operator or the logical_not function instead");
        else
            snprintf(why, why_size, "ufunc '%s' did not contain a loop with signature matching types (bool)",
                     ufuncs[uf].name);
        return LZ_ETYPE;
    }
    if ((flags & LZ_UFF_COMPARE) && lz_dtype_is_integer(in[0]) && lz_dtype_is_integer(in[1]) &&
        lz_dtype_kind(in[0]) != lz_dtype_kind(in[1]) && lz_dtype_promote(in[0], in[1]) == LZ_FLOAT64) {
        /* Exact comparison of a signed with an unsigned 64-bit value. */
        bool first_signed = lz_dtype_kind(in[0]) == LZ_KIND_INT;
        *loop = (lz_loop){2, {first_signed ? LZ_INT64 : LZ_UINT64, first_signed ? LZ_UINT64 : LZ_INT64}, LZ_BOOL};
        return LZ_OK;
    }
    lz_loop l;
    /* 1. exact */
    for (int n = 0; nth_loop(uf, n, &l); n++) {
        bool exact = true;
        for (int k = 0; k < nin; k++)
            exact = exact && l.in[k] == in[k];
        if (exact) {
            *loop = l;
            return LZ_OK;
        }
    }
    /* 2. the promoted type */
    lz_dtype t = in[0];
    for (int k = 1; k < nin; k++)
        t = lz_dtype_promote(t, in[k]);
    if ((flags & LZ_UFF_TRUEDIV) && lz_dtype_kind(t) != LZ_KIND_FLOAT)
        t = LZ_FLOAT64;
    for (int n = 0; nth_loop(uf, n, &l); n++) {
        bool uniform = true;
        for (int k = 0; k < nin; k++)
            uniform = uniform && l.in[k] == t;
        if (uniform) {
            *loop = l;
            return LZ_OK;
        }
    }
    /* 3. the first loop every input casts to safely */
    for (int n = 0; nth_loop(uf, n, &l); n++) {
        bool fits = true;
        for (int k = 0; k < nin; k++)
            fits = fits && lz_can_cast_safe(in[k], l.in[k]);
        if (fits) {
            *loop = l;
            return LZ_OK;
        }
    }
    snprintf(why, why_size, "ufunc '%s' did not contain a loop with signature matching types (%s)",
             ufuncs[uf].name, types);
    return LZ_ETYPE;
}
