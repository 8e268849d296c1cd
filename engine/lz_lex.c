/* lz_lex.c — the lexer: bytes to tokens with line and column; and the
 * operator table (lz_ops.def) that the parser and binder read through
 * lz_token_precedence and lz_token_*_ufunc. */
#include "lz_lex.h"

#include "lz_kernel.h"

#include <stdlib.h>
#include <string.h>

static const char *const token_descriptions[] = {
#define LZ_TOKEN_DESC(id, desc) desc,
    LZ_TOKEN_TABLE(LZ_TOKEN_DESC)
#undef LZ_TOKEN_DESC
#define LZ_OP(id, spelling, precedence, unary, binary, desc) desc,
#include "lz_ops.def"
#undef LZ_OP
};

/* The rows of lz_ops.def, indexed by token. */
static const struct {
    const char *spelling; /* NULL for the tokens of LZ_TOKEN_TABLE */
    lz_prec precedence;
    int unary, binary;    /* ufuncs, or -1 */
} operators[LZ_T_COUNT] = {
#define LZ_OP(id, spelling, precedence, unary, binary, desc) [LZ_T_##id] = {spelling, precedence, unary, binary},
#include "lz_ops.def"
#undef LZ_OP
};

const char *
lz_token_describe(lz_tok kind)
{
    return (unsigned)kind < LZ_T_COUNT ? token_descriptions[kind] : "?";
}

lz_prec
lz_token_precedence(lz_tok kind)
{
    return (unsigned)kind < LZ_T_COUNT ? operators[kind].precedence : LZ_PREC_NONE;
}

int
lz_token_unary_ufunc(lz_tok kind)
{
    return (unsigned)kind < LZ_T_COUNT && operators[kind].spelling ? operators[kind].unary : -1;
}

int
lz_token_binary_ufunc(lz_tok kind)
{
    return (unsigned)kind < LZ_T_COUNT && operators[kind].spelling ? operators[kind].binary : -1;
}

void
lz_lexer_init(lz_lexer *lx, lz_ctx *ctx, const char *text)
{
    lx->ctx = ctx;
    lx->text = text;
    lx->pos = text;
    lx->line_start = text;
    lx->line = 1;
}

static int
is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static int
is_name_start(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

static int
is_name_char(char c)
{
    return is_name_start(c) || is_digit(c);
}

static lz_status
lex_fail(lz_lexer *lx, const lz_token *tok, const char *fmt, const char *arg)
{
    return lz_ctx_fail(lx->ctx, LZ_ESYNTAX, tok->line, tok->column, fmt, arg);
}

/* NUMBER: digits [ '.' digits ] [ (e|E) [+-] digits ], or '.' digits ...
 * An integer literal is a decimal without '.' or exponent; it must fit in
 * 64 bits (values above INT64_MAX are unsigned, as numpy reads them). */
static lz_status
lex_number(lz_lexer *lx, lz_token *tok)
{
    const char *p = lx->pos;
    int is_float = 0;
    while (is_digit(*p))
        p++;
    if (*p == '.' && !(p[1] == '.' && p[2] == '.')) {
        is_float = 1;
        p++;
        while (is_digit(*p))
            p++;
    }
    if (*p == 'e' || *p == 'E') {
        const char *q = p + 1;
        if (*q == '+' || *q == '-')
            q++;
        if (is_digit(*q)) {
            is_float = 1;
            p = q;
            while (is_digit(*p))
                p++;
        }
    }
    tok->len = (size_t)(p - lx->pos);
    if (is_name_char(*p))
        return lz_ctx_fail(lx->ctx, LZ_ESYNTAX, tok->line, tok->column + (int)(p - lx->pos),
                           "unexpected '%c' in a number", *p);
    char buf[64];
    if (tok->len >= sizeof buf)
        return lex_fail(lx, tok, "number literal is too long%s", "");
    memcpy(buf, lx->pos, tok->len);
    buf[tok->len] = '\0';
    if (is_float) {
        tok->kind = LZ_T_FLOAT;
        tok->value.kind = LZ_KIND_FLOAT;
        tok->value.v.f = strtod(buf, NULL); /* overflow gives inf, as Python's float('1e999') */
    } else {
        /* Integers are Python's, unbounded; 127 bits hold every literal an
         * integer array can meet (see lz_int128). */
        tok->kind = LZ_T_INT;
        tok->value.kind = LZ_KIND_INT;
        lz_int128 v = 0;
        const lz_int128 limit = ~(__extension__(unsigned __int128)0) >> 1;
        for (const char *d = buf; *d; d++) {
            if (v > (limit - (*d - '0')) / 10)
                return lex_fail(lx, tok, "integer literal %s is too large (h5lazy's limit is 2**127 - 1)", buf);
            v = v * 10 + (*d - '0');
        }
        tok->value.v.i = v;
    }
    lx->pos = p;
    return LZ_OK;
}

/* STRING: '"' chars '"' or "'" chars "'", on one line; the only escapes are
 * \\, \" and \'. The token spans the quotes; the parser unescapes. */
static lz_status
lex_string(lz_lexer *lx, lz_token *tok)
{
    char quote = *lx->pos;
    const char *p = lx->pos + 1;
    while (*p && *p != quote && *p != '\n') {
        if (*p == '\\') {
            if (p[1] != '\\' && p[1] != '"' && p[1] != '\'')
                return lz_ctx_fail(lx->ctx, LZ_ESYNTAX, tok->line, tok->column + (int)(p - lx->pos),
                                   "unknown escape '\\%c' in string (only \\\\, \\\" and \\' are known)",
                                   p[1] ? p[1] : ' ');
            p++;
        }
        p++;
    }
    if (*p != quote)
        return lex_fail(lx, tok, "string is not closed%s", "");
    p++;
    tok->kind = LZ_T_STRING;
    tok->len = (size_t)(p - lx->pos);
    lx->pos = p;
    return LZ_OK;
}

lz_status
lz_lexer_next(lz_lexer *lx, lz_token *tok)
{
    /* Skip blanks and newlines (an expression may span lines); '#' starts a
     * comment to the end of the line. */
    for (;;) {
        char c = *lx->pos;
        if (c == ' ' || c == '\t' || c == '\r') {
            lx->pos++;
        } else if (c == '\n') {
            lx->pos++;
            lx->line++;
            lx->line_start = lx->pos;
        } else if (c == '#') {
            while (*lx->pos && *lx->pos != '\n')
                lx->pos++;
        } else {
            break;
        }
    }
    memset(tok, 0, sizeof *tok);
    tok->start = lx->pos;
    tok->line = lx->line;
    tok->column = (int)(lx->pos - lx->line_start) + 1;
    char c = *lx->pos;
    if (c == '\0') {
        tok->kind = LZ_T_EOF;
        return LZ_OK;
    }
    if (is_digit(c) || (c == '.' && is_digit(lx->pos[1])))
        return lex_number(lx, tok);
    if (is_name_start(c)) {
        const char *p = lx->pos;
        while (is_name_char(*p))
            p++;
        tok->kind = LZ_T_NAME;
        tok->len = (size_t)(p - lx->pos);
        lx->pos = p;
        return LZ_OK;
    }
    if (c == '"' || c == '\'')
        return lex_string(lx, tok);
    /* The longest spelling that matches: '**' rather than '*'. */
    size_t best = 0;
    for (int t = 0; t < LZ_T_COUNT; t++) {
        const char *sp = operators[t].spelling;
        size_t n = sp ? strlen(sp) : 0;
        if (n > best && strncmp(lx->pos, sp, n) == 0) {
            best = n;
            tok->kind = (lz_tok)t;
        }
    }
    if (best) {
        tok->len = best;
        lx->pos += best;
        return LZ_OK;
    }
    if ((unsigned char)c < 0x20 || (unsigned char)c >= 0x7f)
        return lz_ctx_fail(lx->ctx, LZ_ESYNTAX, tok->line, tok->column,
                           "unexpected byte 0x%02x (expressions are ASCII; quote other names "
                           "with ds(\"...\"))",
                           (unsigned char)c);
    return lz_ctx_fail(lx->ctx, LZ_ESYNTAX, tok->line, tok->column, "unexpected character '%c'", c);
}
