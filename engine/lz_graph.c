/* lz_graph.c — binding: from syntax tree to typed graph.
 *
 * How it works: one recursive walk over the tree. Each operand name becomes a
 * SOURCE node with the source's shape and type; each literal a weak CONST;
 * each operator or ufunc call resolves its input types by the rule of its
 * table row (lz_ufunc.def), casts inputs that differ, broadcasts shapes the
 * numpy way, and folds when all inputs are constants. Errors carry the
 * position of the offending node.
 */
#include "lz_graph.h"

#include "lz_ast.h"
#include "lz_vm.h"

#include <stdio.h>
#include <string.h>

typedef enum lz_rule {
    LZ_RULE_ARITH,        /* inputs and output in the common type; bool allowed */
    LZ_RULE_ARITH_NOBOOL, /* as ARITH, but numpy has no bool loop */
    LZ_RULE_TRUEDIV,      /* common type, integers and bool computed in float64 */
} lz_rule;

static const struct {
    const char *name;
    int nin;
    lz_rule rule;
} ufuncs[LZ_UFUNC_COUNT] = {
#define LZ_UFUNC(id, name, nin, rule) [LZ_UF_##id] = {name, nin, rule},
#include "lz_ufunc.def"
#undef LZ_UFUNC
};

/* Operators and the ufunc each stands for (keep in step: LZ_OPERATOR_UFUNCS
 * in lz_ufunc.def). */
static int
binary_operator_ufunc(lz_tok op)
{
    switch (op) {
    case LZ_T_PLUS:
        return LZ_UF_ADD;
    case LZ_T_MINUS:
        return LZ_UF_SUBTRACT;
    case LZ_T_STAR:
        return LZ_UF_MULTIPLY;
    case LZ_T_SLASH:
        return LZ_UF_DIVIDE;
    default:
        return -1;
    }
}

static int
unary_operator_ufunc(lz_tok op)
{
    switch (op) {
    case LZ_T_MINUS:
        return LZ_UF_NEGATIVE;
    case LZ_T_PLUS:
        return LZ_UF_POSITIVE;
    default:
        return -1;
    }
}

typedef struct binder {
    lz_ctx *ctx;                   /* errors */
    lz_graph *graph;               /* arena and sources */
    const lz_expr *expr;           /* the tree */
    lz_node **source_nodes;        /* one SOURCE node per operand, shared */
} binder;

/* Every node is made here, so that ids are dense. */
static lz_node *
alloc_node(lz_graph *g, lz_node_kind kind, int line, int column)
{
    lz_node *n = lz_arena_alloc(&g->arena, sizeof *n);
    if (n) {
        n->kind = kind;
        n->line = line;
        n->column = column;
        n->id = g->nnodes++;
    }
    return n;
}

static lz_node *
new_node(binder *b, lz_node_kind kind, const lz_ast *at)
{
    return alloc_node(b->graph, kind, at->line, at->column);
}

static void
format_shape(const lz_node *n, char *buf, size_t size)
{
    size_t used = (size_t)snprintf(buf, size, "(");
    for (int k = 0; k < n->rank && used < size; k++)
        used += (size_t)snprintf(buf + used, size - used, "%s%lld", k ? ", " : "",
                                 (long long)n->shape[k]);
    if (used < size)
        snprintf(buf + used, size - used, n->rank == 1 ? ",)" : ")");
}

/* numpy broadcasting of the inputs' shapes into out; LZ_ESHAPE otherwise. */
static lz_status
broadcast_shapes(binder *b, const lz_ast *at, lz_node *const *in, int nin, lz_node *out)
{
    int rank = 0;
    for (int i = 0; i < nin; i++)
        if (in[i]->rank > rank)
            rank = in[i]->rank;
    out->rank = rank;
    for (int k = 0; k < rank; k++) {
        int64_t dim = 1;
        for (int i = 0; i < nin; i++) {
            int ik = k - (rank - in[i]->rank); /* aligned from the right */
            if (ik < 0)
                continue;
            int64_t d = in[i]->shape[ik];
            if (d == dim || d == 1)
                continue;
            if (dim != 1) {
                char s0[128], s1[128];
                format_shape(in[0], s0, sizeof s0);
                format_shape(in[nin - 1], s1, sizeof s1);
                return lz_ctx_fail(b->ctx, LZ_ESHAPE, at->line, at->column,
                                   "operands could not be broadcast together with shapes %s %s", s0,
                                   s1);
            }
            dim = d;
        }
        out->shape[k] = dim;
    }
    return LZ_OK;
}

/* Wrap `n` in a CAST to `to` unless it already has that type; weak
 * constants are typed in place instead (they are not shared). */
static lz_status
cast_to(binder *b, lz_node **n, lz_dtype to)
{
    lz_node *x = *n;
    if (x->kind == LZ_NODE_CONST && x->weak) {
        if (!lz_scalar_fits(&x->value, to)) {
            char lit[64];
            lz_scalar_format(&x->value, lit, sizeof lit);
            return lz_ctx_fail(b->ctx, LZ_EVALUE, x->line, x->column,
                               "integer literal %s is out of bounds for %s", lit, lz_dtype_name(to));
        }
        x->weak = false;
        x->dtype = to;
        return LZ_OK;
    }
    if (x->dtype == to)
        return LZ_OK;
    lz_node *c = alloc_node(b->graph, LZ_NODE_CAST, x->line, x->column);
    if (!c)
        return LZ_ENOMEM;
    c->dtype = to;
    c->rank = x->rank;
    memcpy(c->shape, x->shape, sizeof c->shape);
    c->nin = 1;
    c->in[0] = x;
    *n = c;
    return LZ_OK;
}

/* The kind of a weak constant's value, for promotion. */
static lz_kind
weak_kind(const lz_node *n)
{
    return n->value.kind == LZ_KIND_UINT ? LZ_KIND_INT : n->value.kind;
}

/* The type all inputs of an elementwise operation are brought to (numpy's
 * result_type with weak scalars). Sets *all_weak when no input has a type. */
static lz_dtype
common_type(lz_node *const *in, int nin, bool *all_weak)
{
    bool have_strong = false;
    lz_dtype t = LZ_BOOL;
    lz_kind wk = LZ_KIND_BOOL;
    for (int i = 0; i < nin; i++) {
        if (in[i]->kind == LZ_NODE_CONST && in[i]->weak) {
            if (weak_kind(in[i]) > wk)
                wk = weak_kind(in[i]);
        } else {
            t = have_strong ? lz_dtype_promote(t, in[i]->dtype) : in[i]->dtype;
            have_strong = true;
        }
    }
    *all_weak = !have_strong;
    if (!have_strong)
        return lz_dtype_of_kind(wk);
    return lz_dtype_promote(t, lz_dtype_promote_weak(t, wk));
}

/* Messages numpy gives for its missing bool loops. */
static lz_status
no_bool_loop(binder *b, const lz_ast *at, lz_ufunc uf)
{
    const char *hint = uf == LZ_UF_SUBTRACT
                           ? "numpy boolean subtract, the `-` operator, is not supported; use the "
                             "bitwise_xor, the `^` operator, or the logical_xor function instead"
                       : uf == LZ_UF_NEGATIVE
                           ? "numpy boolean negative, the `-` operator, is not supported; use the "
                             "`~` operator or the logical_not function instead"
                           : "there is no bool loop";
    return lz_ctx_fail(b->ctx, LZ_ETYPE, at->line, at->column, "%s() of bool: %s",
                       lz_ufunc_name(uf), hint);
}

/* Evaluate a UFUNC node whose inputs are all typed constants, in place. */
static void
fold_constant(lz_node *n)
{
    union {
        uint8_t bytes[8];
        double align;
    } a = {{0}}, b = {{0}}, out = {{0}};
    lz_dtype in = n->in[0]->dtype;
    lz_scalar_store(&n->in[0]->value, in, a.bytes);
    if (n->nin == 2) {
        lz_scalar_store(&n->in[1]->value, in, b.bytes);
        lz_kernel_binary(n->ufunc, in)(out.bytes, a.bytes, b.bytes, 1);
    } else {
        lz_kernel_unary(n->ufunc, in)(out.bytes, a.bytes, 1);
    }
    lz_scalar v;
    switch (lz_dtype_kind(n->dtype)) {
    case LZ_KIND_BOOL:
        v.kind = LZ_KIND_BOOL;
        v.v.b = out.bytes[0] != 0;
        break;
    case LZ_KIND_FLOAT:
        v.kind = LZ_KIND_FLOAT;
        if (n->dtype == LZ_FLOAT32) {
            float f;
            memcpy(&f, out.bytes, sizeof f);
            v.v.f = f;
        } else {
            memcpy(&v.v.f, out.bytes, sizeof v.v.f);
        }
        break;
    default: { /* constants fold in int64/uint64 */
        if (n->dtype == LZ_UINT64) {
            v.kind = LZ_KIND_UINT;
            memcpy(&v.v.u, out.bytes, sizeof v.v.u);
        } else {
            v.kind = LZ_KIND_INT;
            memcpy(&v.v.i, out.bytes, sizeof v.v.i);
        }
        break;
    }
    }
    n->kind = LZ_NODE_CONST;
    n->value = v;
    n->nin = 0;
}

/* Build a UFUNC node over already-bound inputs. */
static lz_status
make_ufunc(binder *b, const lz_ast *at, lz_ufunc uf, lz_node **in, int nin, lz_node **out)
{
    lz_status st;
    bool all_weak;
    lz_dtype t = common_type(in, nin, &all_weak);
    lz_rule rule = ufuncs[uf].rule;
    if (t == LZ_BOOL && rule == LZ_RULE_ARITH_NOBOOL)
        return no_bool_loop(b, at, uf);
    if (rule == LZ_RULE_TRUEDIV && lz_dtype_kind(t) != LZ_KIND_FLOAT)
        t = LZ_FLOAT64; /* numpy: int / int is float64 */
    lz_node *n = new_node(b, LZ_NODE_UFUNC, at);
    if (!n)
        return LZ_ENOMEM;
    n->ufunc = uf;
    n->nin = nin;
    n->dtype = t;
    if ((st = broadcast_shapes(b, at, in, nin, n)))
        return st;
    for (int i = 0; i < nin; i++) {
        n->in[i] = in[i];
        if ((st = cast_to(b, &n->in[i], t)))
            return st;
    }
    if (all_weak) {
        fold_constant(n);
        n->weak = true; /* literals combined stay literals (Python semantics) */
        if (n->value.kind == LZ_KIND_UINT) { /* keep ints signed unless they must not */
            n->value.kind = LZ_KIND_INT;
            n->value.v.i = (int64_t)n->value.v.u;
        }
    }
    *out = n;
    return LZ_OK;
}

/* Edit distance, to suggest a known name for a misspelt one. */
static size_t
edit_distance(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    if (la > 63 || lb > 63)
        return 64;
    size_t row[64];
    for (size_t j = 0; j <= lb; j++)
        row[j] = j;
    for (size_t i = 1; i <= la; i++) {
        size_t diag = row[0];
        row[0] = i;
        for (size_t j = 1; j <= lb; j++) {
            size_t up = row[j];
            size_t best = diag + (a[i - 1] != b[j - 1]);
            if (row[j] + 1 < best)
                best = row[j] + 1;
            if (row[j - 1] + 1 < best)
                best = row[j - 1] + 1;
            row[j] = best;
            diag = up;
        }
    }
    return row[lb];
}

static lz_status
unknown_function(binder *b, const lz_ast *call)
{
    const char *best = NULL;
    size_t best_d = 3; /* suggest only close names */
    for (int i = 0; i < LZ_UFUNC_COUNT; i++) {
        size_t d = edit_distance(call->text, ufuncs[i].name);
        if (d < best_d) {
            best_d = d;
            best = ufuncs[i].name;
        }
    }
    if (best)
        return lz_ctx_fail(b->ctx, LZ_ENAME, call->line, call->column,
                           "unknown function '%s' (did you mean '%s'?)", call->text, best);
    return lz_ctx_fail(b->ctx, LZ_ENAME, call->line, call->column, "unknown function '%s'",
                       call->text);
}

static lz_status bind(binder *b, const lz_ast *a, lz_node **out);

static lz_status
bind_call(binder *b, const lz_ast *a, lz_node **out)
{
    int uf = -1;
    for (int i = 0; i < LZ_UFUNC_COUNT; i++)
        if (strcmp(a->text, ufuncs[i].name) == 0)
            uf = i;
    if (uf < 0)
        return unknown_function(b, a);
    int nin = ufuncs[uf].nin;
    for (size_t i = 0; i < a->nitems; i++)
        if (a->items[i]->kind == LZ_AST_KEYWORD)
            return lz_ctx_fail(b->ctx, LZ_ESYNTAX, a->items[i]->line, a->items[i]->column,
                               "%s() takes no keyword argument '%s'", a->text, a->items[i]->text);
    if ((int)a->nitems != nin)
        return lz_ctx_fail(b->ctx, LZ_ESYNTAX, a->line, a->column,
                           "%s() takes %d argument%s but %zu %s given", a->text, nin,
                           nin == 1 ? "" : "s", a->nitems, a->nitems == 1 ? "was" : "were");
    lz_node *in[3];
    lz_status st;
    for (int i = 0; i < nin; i++)
        if ((st = bind(b, a->items[i], &in[i])))
            return st;
    return make_ufunc(b, a, (lz_ufunc)uf, in, nin, out);
}

static lz_status
unsupported(binder *b, const lz_ast *a, const char *what)
{
    return lz_ctx_fail(b->ctx, LZ_ESYNTAX, a->line, a->column, "%s cannot be used here", what);
}

static lz_status
bind(binder *b, const lz_ast *a, lz_node **out)
{
    lz_status st;
    switch (a->kind) {
    case LZ_AST_NUMBER:
    case LZ_AST_BOOL: {
        lz_node *n = new_node(b, LZ_NODE_CONST, a);
        if (!n)
            return LZ_ENOMEM;
        n->weak = true;
        n->value = a->value;
        *out = n;
        return LZ_OK;
    }
    case LZ_AST_NAME:
        *out = b->source_nodes[a->operand];
        return LZ_OK;
    case LZ_AST_CALL:
        if (a->operand >= 0) { /* ds(...) */
            *out = b->source_nodes[a->operand];
            return LZ_OK;
        }
        return bind_call(b, a, out);
    case LZ_AST_UNARY: {
        int uf = unary_operator_ufunc(a->op);
        if (uf < 0)
            return lz_ctx_fail(b->ctx, LZ_ESYNTAX, a->line, a->column, "unknown unary operator %s",
                               lz_token_describe(a->op));
        lz_node *in;
        if ((st = bind(b, a->items[0], &in)))
            return st;
        return make_ufunc(b, a, (lz_ufunc)uf, &in, 1, out);
    }
    case LZ_AST_BINARY: {
        int uf = binary_operator_ufunc(a->op);
        if (uf < 0)
            return lz_ctx_fail(b->ctx, LZ_ESYNTAX, a->line, a->column, "unknown operator %s",
                               lz_token_describe(a->op));
        lz_node *in[2];
        if ((st = bind(b, a->items[0], &in[0])) || (st = bind(b, a->items[1], &in[1])))
            return st;
        return make_ufunc(b, a, (lz_ufunc)uf, in, 2, out);
    }
    case LZ_AST_STRING:
        return unsupported(b, a, "a string");
    case LZ_AST_NONE:
        return unsupported(b, a, "None");
    case LZ_AST_INDEX:
        return unsupported(b, a, "indexing");
    case LZ_AST_LIST:
        return unsupported(b, a, "a list");
    case LZ_AST_TUPLE:
        return unsupported(b, a, "a tuple");
    case LZ_AST_SLICE:
    case LZ_AST_ELLIPSIS:
    case LZ_AST_KEYWORD:
        break;
    }
    return lz_ctx_fail(b->ctx, LZ_EINTERNAL, a->line, a->column, "unexpected syntax node %d",
                       (int)a->kind);
}

lz_status
lz_graph_new(lz_ctx *ctx, const lz_expr *expr, const lz_source *const *sources, lz_graph **out)
{
    lz_graph *g = lz_calloc(ctx, 1, sizeof *g);
    if (!g)
        return LZ_ENOMEM;
    g->ctx = ctx;
    lz_arena_init(&g->arena, ctx);
    binder b = {.ctx = ctx, .graph = g, .expr = expr};
    lz_status st = LZ_OK;
    g->nsources = expr->noperands;
    if (g->nsources) {
        g->sources = lz_arena_alloc(&g->arena, g->nsources * sizeof *g->sources);
        b.source_nodes = lz_arena_alloc(&g->arena, g->nsources * sizeof *b.source_nodes);
        if (!g->sources || !b.source_nodes)
            st = LZ_ENOMEM;
    }
    for (size_t i = 0; st == LZ_OK && i < g->nsources; i++) {
        const lz_source *src = sources[i];
        const lz_operand *op = &expr->operands[i];
        g->sources[i] = src;
        if (src->rank < 0 || src->rank > LZ_MAX_RANK || (unsigned)src->dtype >= LZ_DTYPE_COUNT) {
            st = lz_ctx_fail(ctx, LZ_EVALUE, op->line, op->column,
                             "operand '%s' has an unsupported rank or type", op->path);
            break;
        }
        lz_node *n = alloc_node(g, LZ_NODE_SOURCE, op->line, op->column);
        if (!n) {
            st = LZ_ENOMEM;
            break;
        }
        n->dtype = src->dtype;
        n->rank = src->rank;
        n->source = (int)i;
        for (int k = 0; k < src->rank; k++) {
            if (src->shape[k] < 0) {
                st = lz_ctx_fail(ctx, LZ_EVALUE, op->line, op->column,
                                 "operand '%s' has a negative extent on axis %d", op->path, k);
                break;
            }
            n->shape[k] = src->shape[k];
        }
        b.source_nodes[i] = n;
    }
    if (st == LZ_OK)
        st = bind(&b, expr->root, &g->root);
    if (st == LZ_OK && g->root->kind == LZ_NODE_CONST && g->root->weak) {
        g->root->weak = false; /* a constant result takes its kind's default type */
        g->root->dtype = lz_dtype_of_kind(weak_kind(g->root));
    }
    if (st == LZ_OK)
        st = lz_program_new(ctx, g->root, g->nnodes, &g->program);
    if (st != LZ_OK) {
        lz_graph_free(g);
        return st;
    }
    *out = g;
    return LZ_OK;
}

void
lz_graph_free(lz_graph *graph)
{
    if (!graph)
        return;
    lz_ctx *ctx = graph->ctx;
    lz_program_free(ctx, graph->program);
    lz_arena_destroy(&graph->arena);
    lz_free(ctx, graph);
}

lz_dtype
lz_graph_dtype(const lz_graph *graph)
{
    return graph->root->dtype;
}

int
lz_graph_rank(const lz_graph *graph)
{
    return graph->root->rank;
}

const int64_t *
lz_graph_shape(const lz_graph *graph)
{
    return graph->root->shape;
}
