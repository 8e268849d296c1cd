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

/* LZ_TOKEN(id, description): the description is used in error messages
 * ("expected ')' but found ','"). Keep in step: LZ_BINARY_PRECEDENCE in
 * lz_parse.c lists the binary operators among these. */
#define LZ_TOKEN_TABLE(X)                                                                          \
    X(EOF, "end of expression")                                                                    \
    X(INT, "integer")                                                                              \
    X(FLOAT, "number")                                                                             \
    X(NAME, "name")                                                                                \
    X(STRING, "string")                                                                            \
    X(LPAREN, "'('")                                                                               \
    X(RPAREN, "')'")                                                                               \
    X(LBRACKET, "'['")                                                                             \
    X(RBRACKET, "']'")                                                                             \
    X(COMMA, "','")                                                                                \
    X(COLON, "':'")                                                                                \
    X(ASSIGN, "'='")                                                                               \
    X(ELLIPSIS, "'...'")                                                                           \
    X(PLUS, "'+'")                                                                                 \
    X(MINUS, "'-'")                                                                                \
    X(STAR, "'*'")                                                                                 \
    X(SLASH, "'/'")                                                                                \
    X(DSLASH, "'//'")                                                                              \
    X(PERCENT, "'%'")                                                                              \
    X(POW, "'**'")                                                                                 \
    X(TILDE, "'~'")                                                                                \
    X(AMP, "'&'")                                                                                  \
    X(PIPE, "'|'")                                                                                 \
    X(CARET, "'^'")                                                                                \
    X(LSHIFT, "'<<'")                                                                              \
    X(RSHIFT, "'>>'")                                                                              \
    X(LT, "'<'")                                                                                   \
    X(LE, "'<='")                                                                                  \
    X(GT, "'>'")                                                                                   \
    X(GE, "'>='")                                                                                  \
    X(EQ, "'=='")                                                                                  \
    X(NE, "'!='")

typedef enum lz_tok {
#define LZ_TOKEN_ENUM(id, desc) LZ_T_##id,
    LZ_TOKEN_TABLE(LZ_TOKEN_ENUM)
#undef LZ_TOKEN_ENUM
        LZ_T_COUNT
} lz_tok;

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

#endif
