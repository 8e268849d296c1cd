/* lz_format.c — printing a syntax tree in prefix form, for plans, messages
 * and tests ("(add a (multiply b 2))"). Operators print as their ufunc
 * names where they have one, else as their token. */
#include "lz_ast.h"
#include "lz_resolve.h"

#include <stdarg.h>
#include <stdio.h>

typedef struct out {
    char *buf;
    size_t size;
    size_t len; /* length of the full text so far, even past size */
} out;

static void put(out *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void
put(out *o, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *at = o->len < o->size ? o->buf + o->len : NULL;
    size_t room = o->len < o->size ? o->size - o->len : 0;
    int n = vsnprintf(at, room, fmt, ap);
    va_end(ap);
    if (n > 0)
        o->len += (size_t)n;
}

/* An operator's ufunc name (lz_ops.def), else its token. */
static const char *
operator_name(lz_tok op, int nitems)
{
    int uf = nitems == 1 ? lz_token_unary_ufunc(op) : lz_token_binary_ufunc(op);
    return uf >= 0 ? lz_ufunc_name((lz_ufunc)uf) : lz_token_describe(op);
}

static void
format_node(out *o, const lz_ast *n)
{
    if (!n) {
        put(o, "_");
        return;
    }
    char lit[64];
    switch (n->kind) {
    case LZ_AST_NUMBER:
    case LZ_AST_BOOL:
        lz_scalar_format(&n->value, lit, sizeof lit);
        put(o, "%s", lit);
        return;
    case LZ_AST_NONE:
        put(o, "None");
        return;
    case LZ_AST_STRING:
        put(o, "\"%s\"", n->text);
        return;
    case LZ_AST_NAME:
        put(o, "%s", n->text);
        return;
    case LZ_AST_ELLIPSIS:
        put(o, "...");
        return;
    case LZ_AST_KEYWORD:
        put(o, "%s=", n->text);
        format_node(o, n->items[0]);
        return;
    case LZ_AST_UNARY:
    case LZ_AST_BINARY:
        put(o, "(%s", operator_name(n->op, (int)n->nitems));
        break;
    case LZ_AST_CALL:
        put(o, "(%s", n->text);
        break;
    case LZ_AST_INDEX:
        put(o, "(index");
        break;
    case LZ_AST_SLICE:
        put(o, "(slice");
        break;
    case LZ_AST_LIST:
        put(o, "(list");
        break;
    case LZ_AST_TUPLE:
        put(o, "(tuple");
        break;
    }
    for (size_t i = 0; i < n->nitems; i++) {
        put(o, " ");
        format_node(o, n->items[i]);
    }
    put(o, ")");
}

size_t
lz_expr_format(const lz_expr *expr, char *buf, size_t size)
{
    out o = {buf, size, 0};
    if (size)
        buf[0] = '\0';
    format_node(&o, expr->root);
    return o.len;
}
