/* lz_lex.h — tokens of the expression language and the lexer.
 *
 * The language is numpy-flavoured Python expression syntax: numbers, names,
 * strings, the Python operators, calls, subscripts, lists and tuples. Names
 * such as `nan`, `inf`, `true`, `None` are keywords only to the parser.
 */
#ifndef LZ_LEX_H
#define LZ_LEX_H

#include "lz_ctx.h"
#include "lz_dtype.h"

/* LZ_TOKEN(id, description): the tokens that are not punctuation; the
 * description is used in error messages ("expected a name but found an
 * integer"). The punctuation and operators follow, one row each in
 * lz_ops.def. */
#define LZ_TOKEN_TABLE(X)                                                                          \
    X(EOF, "end of expression")                                                                    \
    X(INT, "integer")                                                                              \
    X(FLOAT, "number")                                                                             \
    X(NAME, "name")                                                                                \
    X(STRING, "string")

typedef enum lz_tok {
#define LZ_TOKEN_ENUM(id, desc) LZ_T_##id,
    LZ_TOKEN_TABLE(LZ_TOKEN_ENUM)
#undef LZ_TOKEN_ENUM
#define LZ_OP(id, spelling, precedence, unary, binary, desc) LZ_T_##id,
#include "lz_ops.def"
#undef LZ_OP
        LZ_T_COUNT
} lz_tok;

/* How tightly binary operators bind, loosest first (Python's order, which
 * numpy follows). Unary - + ~ bind between MUL and POWER: -2**2 is
 * -(2**2), -a*b is (-a)*b. */
typedef enum lz_prec {
    LZ_PREC_NONE,    /* not a binary operator */
    LZ_PREC_COMPARE, /* < <= > >= == != (not chained) */
    LZ_PREC_OR,      /* | */
    LZ_PREC_XOR,     /* ^ */
    LZ_PREC_AND,     /* & */
    LZ_PREC_SHIFT,   /* << >> */
    LZ_PREC_ADD,     /* + - */
    LZ_PREC_MUL,     /* * / // % */
    LZ_PREC_POWER,   /* ** (right-associative, above unary) */
} lz_prec;

typedef struct lz_token {
    lz_tok kind;       /* what was read */
    const char *start; /* first byte in the text */
    size_t len;        /* bytes in the text */
    int line;          /* 1-based */
    int column;        /* 1-based, in bytes */
    lz_scalar value;   /* LZ_T_INT (kind INT or UINT) and LZ_T_FLOAT */
} lz_token;

typedef struct lz_lexer {
    lz_ctx *ctx;            /* where errors go */
    const char *text;       /* the whole expression */
    const char *pos;        /* next byte to read */
    const char *line_start; /* first byte of the current line */
    int line;               /* current line, 1-based */
} lz_lexer;

void lz_lexer_init(lz_lexer *lx, lz_ctx *ctx, const char *text);
/* Read the next token into *tok. Returns LZ_ESYNTAX (recorded on the
 * context) for a character or literal that is not part of the language. */
lz_status lz_lexer_next(lz_lexer *lx, lz_token *tok);
const char *lz_token_describe(lz_tok kind);
/* The operator's row of lz_ops.def: its binary precedence (LZ_PREC_NONE for
 * other tokens), and the ufuncs it applies as a prefix and an infix
 * operator (-1: it is not one). */
lz_prec lz_token_precedence(lz_tok kind);
int lz_token_unary_ufunc(lz_tok kind);
int lz_token_binary_ufunc(lz_tok kind);

#endif
