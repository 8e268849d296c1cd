/* lz_ast.h — the syntax tree of a parsed expression, and the expression
 * object that owns it.
 *
 * The tree is untyped: names are not yet bound to sources and function names
 * are not yet checked. lz_graph.c binds it. All nodes live in the
 * expression's arena.
 */
#ifndef LZ_AST_H
#define LZ_AST_H

#include "lz_arena.h"
#include "lz_dtype.h"
#include "lz_lex.h"

typedef enum lz_ast_kind {
    LZ_AST_NUMBER,   /* value (kind INT, UINT or FLOAT) */
    LZ_AST_BOOL,     /* value (kind BOOL): true/false/True/False */
    LZ_AST_NONE,     /* None: a new axis in subscripts, "no axis" in calls */
    LZ_AST_STRING,   /* text, unescaped */
    LZ_AST_NAME,     /* text; operand >= 0 when it names a dataset */
    LZ_AST_UNARY,    /* op (token); items[0] */
    LZ_AST_BINARY,   /* op (token); items[0], items[1] */
    LZ_AST_CALL,     /* text = function name; items = arguments (KEYWORD for name=value) */
    LZ_AST_KEYWORD,  /* text = keyword; items[0] = value */
    LZ_AST_INDEX,    /* items[0] = indexed expression; items[1..] = subscripts */
    LZ_AST_SLICE,    /* items[0..2] = start, stop, step, each NULL when omitted */
    LZ_AST_ELLIPSIS, /* ... in subscripts */
    LZ_AST_LIST,     /* [a, b, ...] */
    LZ_AST_TUPLE,    /* (a, b, ...) or () */
} lz_ast_kind;

typedef struct lz_ast lz_ast;
struct lz_ast {
    lz_ast_kind kind;  /* what the node is */
    int line;          /* position of its first token */
    int column;
    lz_tok op;         /* operator token of UNARY and BINARY */
    lz_scalar value;   /* NUMBER and BOOL */
    const char *text;  /* NAME, STRING, CALL and KEYWORD */
    int operand;       /* NAME and ds() CALL: index of the operand, else -1 */
    lz_ast **items;    /* children, see the kinds */
    size_t nitems;     /* number of children */
};

struct lz_expr {
    lz_ctx *ctx;                /* owner of all memory below */
    lz_arena arena;             /* holds the tree, strings and operands */
    const char *text;           /* copy of the source text */
    lz_ast *root;               /* the whole expression */
    lz_operand *operands;       /* distinct operands, first appearance first */
    size_t noperands;
};

#endif
