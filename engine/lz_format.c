/* lz_format.c — printing a syntax tree in prefix form, for plans, messages
 * and tests ("(add a (multiply b 2))"). Operators print as their ufunc
 * names where they have one, else as their token. */
#include "lz_ast.h"

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

static const char *
operator_name(lz_tok op, int nitems)
{
    switch (op) {
    case LZ_T_PLUS:
        return nitems == 1 ? "positive" : "add";
    case LZ_T_MINUS:
        return nitems == 1 ? "negative" : "subtract";
    case LZ_T_STAR:
        return "multiply";
    case LZ_T_SLASH:
        return "divide";
    case LZ_T_DSLASH:
        return "floor_divide";
    case LZ_T_PERCENT:
        return "remainder";
    case LZ_T_POW:
        return "power";
    case LZ_T_TILDE:
        return "invert";
    case LZ_T_AMP:
        return "bitwise_and";
    case LZ_T_PIPE:
        return "bitwise_or";
    case LZ_T_CARET:
        return "bitwise_xor";
    case LZ_T_LSHIFT:
        return "left_shift";
    case LZ_T_RSHIFT:
        return "right_shift";
    case LZ_T_LT:
        return "less";
    case LZ_T_LE:
        return "less_equal";
    case LZ_T_GT:
        return "greater";
    case LZ_T_GE:
        return "greater_equal";
    case LZ_T_EQ:
        return "equal";
    case LZ_T_NE:
        return "not_equal";
    default:
        return lz_token_describe(op);
    }
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
