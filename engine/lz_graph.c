/* lz_graph.c — graphs: creation from one or several expressions, the table
 * of sources, and accessors. Binding itself is in lz_bind*.c. */
#include "lz_graph.h"

#include "lz_ast.h"
#include "lz_cache.h"
#include "lz_vm.h"

#include <math.h>
#include <string.h>

lz_status
lz_graph_source_node(lz_graph *g, const lz_source *src, int line, int column, const char *label, lz_node **out)
{
    for (size_t j = 0; j < g->nsources; j++) {
        if (g->sources[j] == src) {
            *out = g->source_nodes[j];
            return LZ_OK;
        }
    }
    if (src->rank < 0 || src->rank > LZ_MAX_RANK || (unsigned)src->dtype >= LZ_DTYPE_COUNT)
        return lz_ctx_fail(g->ctx, LZ_EVALUE, line, column, "operand '%s' has an unsupported rank or type", label);
    lz_node *s = lz_node_new(g, LZ_NODE_SOURCE, 0, line, column);
    if (!s)
        return LZ_ENOMEM;
    s->dtype = src->dtype;
    s->rank = src->rank;
    s->source = (int)g->nsources;
    for (int k = 0; k < src->rank; k++) {
        if (src->shape[k] < 0)
            return lz_ctx_fail(g->ctx, LZ_EVALUE, line, column, "operand '%s' has a negative extent on axis %d",
                               label, k);
        s->shape[k] = src->shape[k];
    }
    if (g->nsources == g->cap_sources) {
        size_t cap = g->cap_sources ? 2 * g->cap_sources : 8;
        const lz_source **srcs = lz_calloc(g->ctx, cap, sizeof *srcs);
        lz_node **nodes = lz_calloc(g->ctx, cap, sizeof *nodes);
        if (!srcs || !nodes) {
            lz_free(g->ctx, srcs);
            lz_free(g->ctx, nodes);
            return LZ_ENOMEM;
        }
        if (g->nsources) {
            memcpy(srcs, g->sources, g->nsources * sizeof *srcs);
            memcpy(nodes, g->source_nodes, g->nsources * sizeof *nodes);
        }
        lz_free(g->ctx, g->sources);
        lz_free(g->ctx, g->source_nodes);
        g->sources = srcs;
        g->source_nodes = nodes;
        g->cap_sources = cap;
    }
    g->sources[g->nsources] = src;
    g->source_nodes[g->nsources] = s;
    g->nsources++;
    *out = s;
    return LZ_OK;
}

lz_status
lz_graph_new_multi_fill(lz_ctx *ctx, const lz_expr *const *exprs, size_t nexprs,
                        const lz_source *const *const *sources, const double *fill_values, lz_graph **out)
{
    if (nexprs == 0)
        return lz_ctx_fail(ctx, LZ_EVALUE, 0, 0, "a graph needs at least one expression");
    lz_graph *g = lz_calloc(ctx, 1, sizeof *g);
    if (!g)
        return LZ_ENOMEM;
    g->ctx = ctx;
    lz_arena_init(&g->arena, ctx);
    lz_status st = LZ_OK;
    if (!(g->roots = lz_calloc(ctx, nexprs, sizeof *g->roots)))
        st = LZ_ENOMEM;
    for (size_t e = 0; st == LZ_OK && e < nexprs; e++) {
        st = lz_bind_expression(g, exprs[e], sources[e], fill_values ? fill_values[e] : NAN, &g->roots[e]);
        g->nroots = (int)e + 1;
    }
    if (st == LZ_OK)
        st = lz_graph_merge_common(g);
    if (st == LZ_OK)
        st = lz_graph_compile(g);
    if (st != LZ_OK) {
        lz_graph_free(g);
        return st;
    }
    *out = g;
    return LZ_OK;
}

lz_status
lz_graph_new_multi(lz_ctx *ctx, const lz_expr *const *exprs, size_t nexprs,
                   const lz_source *const *const *sources, lz_graph **out)
{
    return lz_graph_new_multi_fill(ctx, exprs, nexprs, sources, NULL, out);
}

lz_status
lz_graph_new(lz_ctx *ctx, const lz_expr *expr, const lz_source *const *sources, lz_graph **out)
{
    return lz_graph_new_multi_fill(ctx, &expr, 1, &sources, NULL, out);
}

void
lz_graph_free(lz_graph *graph)
{
    if (!graph)
        return;
    lz_ctx *ctx = graph->ctx;
    lz_cache_free(graph->cache);
    if (graph->programs)
        for (int i = 0; i < graph->nnodes; i++)
            lz_program_free(ctx, graph->programs[i]);
    lz_free(ctx, graph->programs);
    lz_free(ctx, graph->roots);
    lz_free(ctx, graph->sources);
    lz_free(ctx, graph->source_nodes);
    lz_arena_destroy(&graph->arena);
    lz_free(ctx, graph);
}

size_t
lz_graph_source_count(const lz_graph *graph)
{
    return graph->nsources;
}

const lz_source *
lz_graph_source(const lz_graph *graph, size_t i)
{
    return i < graph->nsources ? graph->sources[i] : NULL;
}

int
lz_graph_root_count(const lz_graph *graph)
{
    return graph->nroots;
}

lz_dtype
lz_graph_root_dtype(const lz_graph *graph, int root)
{
    return graph->roots[root]->dtype;
}

int
lz_graph_root_rank(const lz_graph *graph, int root)
{
    return graph->roots[root]->rank;
}

const int64_t *
lz_graph_root_shape(const lz_graph *graph, int root)
{
    return graph->roots[root]->shape;
}

lz_dtype
lz_graph_dtype(const lz_graph *graph)
{
    return lz_graph_root_dtype(graph, 0);
}

int
lz_graph_rank(const lz_graph *graph)
{
    return lz_graph_root_rank(graph, 0);
}

const int64_t *
lz_graph_shape(const lz_graph *graph)
{
    return lz_graph_root_shape(graph, 0);
}
