/* lz_parse.c — the parser: text to syntax tree, plus the operand list.
 *
 * How it works: recursive descent with one function per precedence level
 * (Python's, which numpy follows), each preceded by its grammar rule. The
 * binary levels share one precedence-climbing loop driven by the
 * precedence column of lz_ops.def. Nesting depth is capped (lz_config.max_depth) so a
 * hostile expression cannot exhaust the stack: every recursion passes
 * through parse_unary, which counts one level, so a pair of parentheses,
 * a call, a unary operator or a right operand each nest one level. After parsing, one walk
 * collects the distinct operands: bare names and ds("path") /
 * ds("file", "path") calls.
 */
#include "lz_ast.h"

#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

typedef struct parser {
    lz_ctx *ctx;       /* errors and limits */
    lz_expr *expr;     /* what is being built */
    lz_lexer lexer;    /* token source */
    lz_token tok;      /* current token */
    int depth;         /* current nesting */
} parser;

/* ---- helpers ---------------------------------------------------------------- */

static lz_status
advance(parser *p)
{
    return lz_lexer_next(&p->lexer, &p->tok);
}

/* The token after the current one, without consuming anything. */
static lz_status
peek(parser *p, lz_token *next)
{
    lz_lexer saved = p->lexer;
    return lz_lexer_next(&saved, next);
}

static lz_status fail_at(parser *p, const lz_token *at, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static lz_status
fail_at(parser *p, const lz_token *at, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    lz_status st = lz_ctx_vfail(p->ctx, LZ_ESYNTAX, at->line, at->column, fmt, ap);
    va_end(ap);
    return st;
}

/* "found ..." part of a message: the token's text for names and numbers. */
static void
describe_found(const lz_token *t, char *buf, size_t size)
{
    if (t->kind == LZ_T_NAME || t->kind == LZ_T_INT || t->kind == LZ_T_FLOAT)
        snprintf(buf, size, "%s '%.*s'", lz_token_describe(t->kind), (int)(t->len > 40 ? 40 : t->len),
                 t->start);
    else
        snprintf(buf, size, "%s", lz_token_describe(t->kind));
}

static lz_status
expect(parser *p, lz_tok kind, const char *context)
{
    if (p->tok.kind == kind)
        return advance(p);
    char found[64], want[96];
    describe_found(&p->tok, found, sizeof found);
    snprintf(want, sizeof want, "%s%s", lz_token_describe(kind), context);
    return fail_at(p, &p->tok, "expected %s but found %s", want, found);
}

static lz_ast *
new_node(parser *p, lz_ast_kind kind, const lz_token *at)
{
    lz_ast *n = lz_arena_alloc(&p->expr->arena, sizeof *n);
    if (n) {
        n->kind = kind;
        n->line = at->line;
        n->column = at->column;
        n->operand = -1;
    }
    return n;
}

/* A growable list of children, copied into the arena when complete. */
typedef struct node_list {
    lz_ast **items;
    size_t n, cap;
} node_list;

static lz_status
list_push(parser *p, node_list *l, lz_ast *item)
{
    if (l->n == l->cap) {
        size_t cap = l->cap ? 2 * l->cap : 4;
        lz_ast **items = lz_calloc(p->ctx, cap, sizeof *items);
        if (!items)
            return LZ_ENOMEM;
        if (l->n)
            memcpy(items, l->items, l->n * sizeof *items);
        lz_free(p->ctx, l->items);
        l->items = items;
        l->cap = cap;
    }
    l->items[l->n++] = item;
    return LZ_OK;
}

/* Move the list's items into node->items; frees the list in all cases. */
static lz_status
list_finish(parser *p, node_list *l, lz_ast *node)
{
    lz_status st = LZ_OK;
    if (l->n) {
        node->items = lz_arena_alloc(&p->expr->arena, l->n * sizeof *node->items);
        if (node->items) {
            memcpy(node->items, l->items, l->n * sizeof *node->items);
            node->nitems = l->n;
        } else {
            st = LZ_ENOMEM;
        }
    }
    lz_free(p->ctx, l->items);
    l->items = NULL;
    l->n = l->cap = 0;
    return st;
}

static lz_status
enter(parser *p)
{
    if (++p->depth > p->ctx->config.max_depth)
        return lz_ctx_fail(p->ctx, LZ_ELIMIT, p->tok.line, p->tok.column,
                           "expression nests deeper than %d levels", p->ctx->config.max_depth);
    return LZ_OK;
}

static lz_status parse_expr(parser *p, lz_ast **out);
static lz_status parse_unary(parser *p, lz_ast **out);

/* ---- atoms -------------------------------------------------------------------- */

/* Unescape a STRING token (quotes included) into the arena. */
static const char *
string_value(parser *p, const lz_token *t)
{
    char *s = lz_arena_alloc(&p->expr->arena, t->len);
    if (!s)
        return NULL;
    size_t n = 0;
    for (size_t i = 1; i + 1 < t->len; i++) {
        if (t->start[i] == '\\')
            i++;
        s[n++] = t->start[i];
    }
    s[n] = '\0';
    return s;
}

/* items: expr (',' expr)* [','] up to `close`; used by lists and tuples. */
static lz_status
parse_sequence(parser *p, lz_tok close, node_list *l, bool *saw_comma)
{
    lz_status st;
    *saw_comma = false;
    while (p->tok.kind != close) {
        lz_ast *item;
        if ((st = parse_expr(p, &item)) || (st = list_push(p, l, item)))
            return st;
        if (p->tok.kind != LZ_T_COMMA)
            break;
        *saw_comma = true;
        if ((st = advance(p)))
            return st;
    }
    return expect(p, close, close == LZ_T_RPAREN ? " to close '('" : " to close '['");
}

/* atom := INT | FLOAT | STRING | NAME | keyword
 *       | '(' expr ')' | '(' [expr (',' expr)* [',']] ')' | '[' [items] ']'
 * keyword := nan | inf | true | false | True | False | None */
static lz_status
parse_atom(parser *p, lz_ast **out)
{
    lz_token t = p->tok;
    lz_status st;
    lz_ast *n = NULL;
    switch (t.kind) {
    case LZ_T_INT:
    case LZ_T_FLOAT:
        if (!(n = new_node(p, LZ_AST_NUMBER, &t)))
            return LZ_ENOMEM;
        n->value = t.value;
        *out = n;
        return advance(p);
    case LZ_T_STRING:
        if (!(n = new_node(p, LZ_AST_STRING, &t)) || !(n->text = string_value(p, &t)))
            return LZ_ENOMEM;
        *out = n;
        return advance(p);
    case LZ_T_NAME: {
        static const struct {
            const char *word;
            lz_ast_kind kind;
            lz_scalar value;
        } keywords[] = {
            {"nan", LZ_AST_NUMBER, {LZ_KIND_FLOAT, {.f = NAN}}},
            {"inf", LZ_AST_NUMBER, {LZ_KIND_FLOAT, {.f = INFINITY}}},
            {"true", LZ_AST_BOOL, {LZ_KIND_BOOL, {.b = true}}},
            {"True", LZ_AST_BOOL, {LZ_KIND_BOOL, {.b = true}}},
            {"false", LZ_AST_BOOL, {LZ_KIND_BOOL, {.b = false}}},
            {"False", LZ_AST_BOOL, {LZ_KIND_BOOL, {.b = false}}},
            {"None", LZ_AST_NONE, {LZ_KIND_BOOL, {.b = false}}},
        };
        for (size_t i = 0; i < sizeof keywords / sizeof keywords[0]; i++) {
            if (strlen(keywords[i].word) == t.len && memcmp(keywords[i].word, t.start, t.len) == 0) {
                if (!(n = new_node(p, keywords[i].kind, &t)))
                    return LZ_ENOMEM;
                n->value = keywords[i].value;
                *out = n;
                return advance(p);
            }
        }
        if (!(n = new_node(p, LZ_AST_NAME, &t)) ||
            !(n->text = lz_arena_strndup(&p->expr->arena, t.start, t.len)))
            return LZ_ENOMEM;
        *out = n;
        return advance(p);
    }
    case LZ_T_LPAREN: {
        if ((st = advance(p)))
            return st;
        node_list l = {0};
        bool comma;
        st = parse_sequence(p, LZ_T_RPAREN, &l, &comma);
        if (st == LZ_OK && l.n == 1 && !comma) { /* parentheses only group */
            *out = l.items[0];
            lz_free(p->ctx, l.items);
            return LZ_OK;
        }
        if (st == LZ_OK && !(n = new_node(p, LZ_AST_TUPLE, &t)))
            st = LZ_ENOMEM;
        if (st) {
            lz_free(p->ctx, l.items);
            return st;
        }
        *out = n;
        return list_finish(p, &l, n);
    }
    case LZ_T_LBRACKET: {
        if ((st = advance(p)))
            return st;
        node_list l = {0};
        bool comma;
        st = parse_sequence(p, LZ_T_RBRACKET, &l, &comma);
        if (st == LZ_OK && !(n = new_node(p, LZ_AST_LIST, &t)))
            st = LZ_ENOMEM;
        if (st) {
            lz_free(p->ctx, l.items);
            return st;
        }
        *out = n;
        return list_finish(p, &l, n);
    }
    default: {
        char found[64];
        describe_found(&t, found, sizeof found);
        return fail_at(p, &t, "expected an operand, a number or '(' but found %s", found);
    }
    }
}

/* ---- postfix: calls and subscripts ---------------------------------------------- */

/* argument := NAME '=' expr | expr
 * call     := NAME '(' [argument (',' argument)* [',']] ')' */
static lz_status
parse_call_args(parser *p, lz_ast *call)
{
    node_list l = {0};
    lz_status st = LZ_OK;
    bool keyword_seen = false;
    while (p->tok.kind != LZ_T_RPAREN) {
        lz_ast *arg = NULL;
        lz_token next;
        if (p->tok.kind == LZ_T_NAME && (st = peek(p, &next)) == LZ_OK && next.kind == LZ_T_ASSIGN) {
            lz_token name = p->tok;
            lz_ast *kw = new_node(p, LZ_AST_KEYWORD, &name);
            if (!kw || !(kw->text = lz_arena_strndup(&p->expr->arena, name.start, name.len)) ||
                !(kw->items = lz_arena_alloc(&p->expr->arena, sizeof *kw->items))) {
                st = LZ_ENOMEM;
                break;
            }
            kw->nitems = 1;
            if ((st = advance(p)) || (st = advance(p)) || (st = parse_expr(p, &kw->items[0])))
                break;
            arg = kw;
            keyword_seen = true;
        } else if (st == LZ_OK) {
            if (keyword_seen) {
                st = fail_at(p, &p->tok, "positional argument follows keyword argument");
                break;
            }
            if ((st = parse_expr(p, &arg)))
                break;
        } else {
            break;
        }
        if ((st = list_push(p, &l, arg)))
            break;
        if (p->tok.kind != LZ_T_COMMA)
            break;
        if ((st = advance(p)))
            break;
    }
    if (st == LZ_OK)
        st = expect(p, LZ_T_RPAREN, " to close the argument list");
    if (st) {
        lz_free(p->ctx, l.items);
        return st;
    }
    return list_finish(p, &l, call);
}

/* subscript := '...' | [expr] ':' [expr] [':' [expr]] | expr
 * (None, a keyword atom, is an ordinary expr here; the binder gives it its
 * meaning of a new axis) */
static lz_status
parse_subscript(parser *p, lz_ast **out)
{
    lz_token t = p->tok;
    lz_status st;
    if (t.kind == LZ_T_ELLIPSIS) {
        if (!(*out = new_node(p, LZ_AST_ELLIPSIS, &t)))
            return LZ_ENOMEM;
        return advance(p);
    }
    lz_ast *first = NULL;
    if (t.kind != LZ_T_COLON && (st = parse_expr(p, &first)))
        return st;
    if (p->tok.kind != LZ_T_COLON) {
        *out = first;
        return LZ_OK;
    }
    lz_ast *slice = new_node(p, LZ_AST_SLICE, &t);
    if (!slice || !(slice->items = lz_arena_alloc(&p->expr->arena, 3 * sizeof *slice->items)))
        return LZ_ENOMEM;
    slice->nitems = 3;
    slice->items[0] = first;
    for (int part = 1; part <= 2 && p->tok.kind == LZ_T_COLON; part++) {
        if ((st = advance(p)))
            return st;
        if (p->tok.kind != LZ_T_COLON && p->tok.kind != LZ_T_COMMA && p->tok.kind != LZ_T_RBRACKET &&
            (st = parse_expr(p, &slice->items[part])))
            return st;
    }
    *out = slice;
    return LZ_OK;
}

/* postfix := atom ( '(' arguments ')' | '[' subscript (',' subscript)* [','] ']' )*
 * Only a bare name can be called. */
static lz_status
parse_postfix(parser *p, lz_ast **out)
{
    lz_status st;
    lz_ast *n = NULL;
    if ((st = parse_atom(p, &n)))
        return st;
    for (;;) {
        lz_token t = p->tok;
        if (t.kind == LZ_T_LPAREN) {
            if (n->kind != LZ_AST_NAME)
                return fail_at(p, &t, "only a function name can be called");
            n->kind = LZ_AST_CALL; /* the name becomes the callee, not an operand */
            if ((st = advance(p)) || (st = parse_call_args(p, n)))
                return st;
        } else if (t.kind == LZ_T_LBRACKET) {
            lz_ast *index = new_node(p, LZ_AST_INDEX, &t);
            if (!index)
                return LZ_ENOMEM;
            index->line = n->line;
            index->column = n->column;
            node_list l = {0};
            if ((st = advance(p)) || (st = list_push(p, &l, n))) {
                lz_free(p->ctx, l.items);
                return st;
            }
            while (p->tok.kind != LZ_T_RBRACKET) {
                lz_ast *sub;
                if ((st = parse_subscript(p, &sub)) || (st = list_push(p, &l, sub)))
                    break;
                if (p->tok.kind != LZ_T_COMMA)
                    break;
                if ((st = advance(p)))
                    break;
            }
            if (st == LZ_OK && l.n == 1)
                st = fail_at(p, &p->tok, "empty subscript: write x[...] for the whole array");
            if (st == LZ_OK)
                st = expect(p, LZ_T_RBRACKET, " to close the subscript");
            if (st) {
                lz_free(p->ctx, l.items);
                return st;
            }
            if ((st = list_finish(p, &l, index)))
                return st;
            n = index;
        } else {
            *out = n;
            return LZ_OK;
        }
    }
}

/* ---- operators ------------------------------------------------------------------ */

/* power := postfix ['**' unary]   (right-associative; -2**2 is -(2**2)) */
static lz_status
parse_power(parser *p, lz_ast **out)
{
    lz_status st;
    lz_ast *base = NULL;
    if ((st = parse_postfix(p, &base)))
        return st;
    if (lz_token_precedence(p->tok.kind) != LZ_PREC_POWER) {
        *out = base;
        return LZ_OK;
    }
    lz_ast *n = new_node(p, LZ_AST_BINARY, &p->tok);
    if (!n || !(n->items = lz_arena_alloc(&p->expr->arena, 2 * sizeof *n->items)))
        return LZ_ENOMEM;
    n->op = p->tok.kind;
    n->nitems = 2;
    n->items[0] = base;
    if ((st = advance(p)) || (st = parse_unary(p, &n->items[1])))
        return st;
    *out = n;
    return LZ_OK;
}

/* unary := ('-' | '+' | '~') unary | power   (the operators with a unary
 * ufunc in lz_ops.def) */
static lz_status
parse_unary(parser *p, lz_ast **out)
{
    lz_status st;
    if ((st = enter(p)))
        return st;
    lz_token t = p->tok;
    if (lz_token_unary_ufunc(t.kind) >= 0) {
        lz_ast *n = new_node(p, LZ_AST_UNARY, &t);
        if (!n || !(n->items = lz_arena_alloc(&p->expr->arena, sizeof *n->items)))
            return LZ_ENOMEM;
        n->op = t.kind;
        n->nitems = 1;
        if ((st = advance(p)) || (st = parse_unary(p, &n->items[0])))
            return st;
        *out = n;
    } else if ((st = parse_power(p, out))) {
        return st;
    }
    p->depth--;
    return LZ_OK;
}

/* binary(min) := unary (OP binary(prec(OP)+1))*  for OP with
 * min <= prec(OP) <= LZ_PREC_MUL (lz_ops.def); all these levels are
 * left-associative. */
static lz_status
parse_binary(parser *p, lz_prec min_prec, lz_ast **out)
{
    lz_status st;
    lz_ast *lhs = NULL;
    if ((st = parse_unary(p, &lhs)))
        return st;
    for (;;) {
        lz_token t = p->tok;
        lz_prec prec = lz_token_precedence(t.kind);
        if (prec < min_prec || prec > LZ_PREC_MUL)
            break;
        lz_ast *n = new_node(p, LZ_AST_BINARY, &t);
        if (!n || !(n->items = lz_arena_alloc(&p->expr->arena, 2 * sizeof *n->items)))
            return LZ_ENOMEM;
        n->op = t.kind;
        n->nitems = 2;
        n->items[0] = lhs;
        /* No level of its own: the right operand's unary counts it. */
        if ((st = advance(p)) || (st = parse_binary(p, (lz_prec)(prec + 1), &n->items[1])))
            return st;
        lhs = n;
    }
    *out = lhs;
    return LZ_OK;
}

/* expr := binary(OR) [COMPARE binary(OR)]
 * Python would chain a < b < c; on arrays that raises in numpy, so it is a
 * syntax error here with the spelling that works. */
static lz_status
parse_expr(parser *p, lz_ast **out)
{
    lz_status st;
    lz_ast *lhs = NULL;
    if ((st = parse_binary(p, LZ_PREC_OR, &lhs)))
        return st;
    if (lz_token_precedence(p->tok.kind) == LZ_PREC_COMPARE) {
        lz_ast *n = new_node(p, LZ_AST_BINARY, &p->tok);
        if (!n || !(n->items = lz_arena_alloc(&p->expr->arena, 2 * sizeof *n->items)))
            return LZ_ENOMEM;
        n->op = p->tok.kind;
        n->nitems = 2;
        n->items[0] = lhs;
        if ((st = advance(p)) || (st = parse_binary(p, LZ_PREC_OR, &n->items[1])))
            return st;
        if (lz_token_precedence(p->tok.kind) == LZ_PREC_COMPARE)
            return fail_at(p, &p->tok,
                           "comparisons cannot be chained; write logical_and(a < b, b < c)");
        lhs = n;
    }
    *out = lhs;
    return LZ_OK;
}

/* ---- operands ------------------------------------------------------------------- */

static lz_status
add_operand(parser *p, lz_ast *at, const char *file, const char *path)
{
    lz_expr *e = p->expr;
    for (size_t i = 0; i < e->noperands; i++) {
        const lz_operand *o = &e->operands[i];
        if (strcmp(o->path, path) == 0 && ((!o->file && !file) || (o->file && file && !strcmp(o->file, file)))) {
            at->operand = (int)i;
            return LZ_OK;
        }
    }
    if ((int)e->noperands >= p->ctx->config.max_operands)
        return lz_ctx_fail(p->ctx, LZ_ELIMIT, at->line, at->column,
                           "expression names more than %d distinct operands", p->ctx->config.max_operands);
    /* Operands are few; grow the arena array by copying (old copies stay in
     * the arena until the expression is freed). */
    lz_operand *ops = lz_arena_alloc(&e->arena, (e->noperands + 1) * sizeof *ops);
    if (!ops)
        return LZ_ENOMEM;
    if (e->noperands)
        memcpy(ops, e->operands, e->noperands * sizeof *ops);
    ops[e->noperands] = (lz_operand){file, path, at->line, at->column};
    at->operand = (int)e->noperands;
    e->operands = ops;
    e->noperands++;
    return LZ_OK;
}

/* ds("path") names a dataset by path in the same file; ds("file", "path")
 * one in another file. Both arguments must be string literals, so that the
 * operands of a stored expression are known without evaluating anything. */
static lz_status
collect_ds(parser *p, lz_ast *call)
{
    if (call->nitems < 1 || call->nitems > 2)
        return lz_ctx_fail(p->ctx, LZ_ESYNTAX, call->line, call->column,
                           "ds() takes one or two string literals: ds(\"path\") or ds(\"file\", \"path\")");
    for (size_t i = 0; i < call->nitems; i++) {
        const lz_ast *a = call->items[i];
        if (a->kind != LZ_AST_STRING)
            return lz_ctx_fail(p->ctx, LZ_ESYNTAX, a->line, a->column,
                               "ds() takes string literals: ds(\"path\") or ds(\"file\", \"path\")");
        if (a->text[0] == '\0')
            return lz_ctx_fail(p->ctx, LZ_ESYNTAX, a->line, a->column, "ds() needs a non-empty %s",
                               call->nitems == 2 && i == 0 ? "file name" : "dataset path");
    }
    if (call->nitems == 1)
        return add_operand(p, call, NULL, call->items[0]->text);
    return add_operand(p, call, call->items[0]->text, call->items[1]->text);
}

static lz_status
collect_operands(parser *p, lz_ast *n)
{
    lz_status st;
    if (n->kind == LZ_AST_NAME)
        return add_operand(p, n, NULL, n->text);
    if (n->kind == LZ_AST_CALL && strcmp(n->text, "ds") == 0)
        return collect_ds(p, n);
    for (size_t i = 0; i < n->nitems; i++)
        if (n->items[i] && (st = collect_operands(p, n->items[i])))
            return st;
    return LZ_OK;
}

/* ---- public --------------------------------------------------------------------- */

lz_status
lz_expr_parse(lz_ctx *ctx, const char *text, lz_expr **out)
{
    size_t len = strlen(text);
    if (len > ctx->config.max_expr_bytes)
        return lz_ctx_fail(ctx, LZ_ELIMIT, 0, 0, "expression is %zu bytes long; the limit is %zu", len,
                           ctx->config.max_expr_bytes);
    lz_expr *e = lz_calloc(ctx, 1, sizeof *e);
    if (!e)
        return LZ_ENOMEM;
    e->ctx = ctx;
    lz_arena_init(&e->arena, ctx);
    parser p = {.ctx = ctx, .expr = e};
    lz_status st = LZ_OK;
    if (!(e->text = lz_arena_strndup(&e->arena, text, len)))
        st = LZ_ENOMEM;
    if (st == LZ_OK) {
        lz_lexer_init(&p.lexer, ctx, e->text);
        st = advance(&p);
    }
    if (st == LZ_OK && p.tok.kind == LZ_T_EOF)
        st = lz_ctx_fail(ctx, LZ_ESYNTAX, p.tok.line, p.tok.column, "expression is empty");
    if (st == LZ_OK)
        st = parse_expr(&p, &e->root);
    if (st == LZ_OK && p.tok.kind != LZ_T_EOF) {
        char found[64];
        describe_found(&p.tok, found, sizeof found);
        st = fail_at(&p, &p.tok, "unexpected %s after a complete expression", found);
    }
    if (st == LZ_OK)
        st = collect_operands(&p, e->root);
    if (st != LZ_OK) {
        lz_expr_free(e);
        return st;
    }
    *out = e;
    return LZ_OK;
}

void
lz_expr_free(lz_expr *expr)
{
    if (!expr)
        return;
    lz_ctx *ctx = expr->ctx;
    lz_arena_destroy(&expr->arena);
    lz_free(ctx, expr);
}

size_t
lz_expr_operand_count(const lz_expr *expr)
{
    return expr->noperands;
}

const lz_operand *
lz_expr_operand(const lz_expr *expr, size_t i)
{
    return i < expr->noperands ? &expr->operands[i] : NULL;
}

const char *
lz_expr_text(const lz_expr *expr)
{
    return expr->text;
}
