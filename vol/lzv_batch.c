/* lzv_batch.c — one graph for several virtual datasets read together. */
#include "lzv_batch.h"

#include <stdlib.h>
#include <string.h>

struct lzv_batch {
    lzv_vdset **vds;         /* the datasets, in order */
    size_t n;
    lz_ctx *ctx;             /* owns the graph */
    lz_graph *graph;         /* root i is dataset i */
    const lz_source ***srcs; /* per dataset: its operands, shared ones merged */
    void **bufs;             /* per dataset: values of the last box (NULL: none kept) */
    size_t reserved;         /* their bytes, reserved in ctx's budget */
    bool have_box;
    lz_box box;              /* the box evaluated last */
};

/* The source to use for operand `i` of dataset `e`: that of an earlier
 * dataset's operand when it is the same stored (or virtual) dataset, so
 * that the graph reads it once and merges what is computed from it. */
static const lz_source *
shared_source(lzv_vdset *const *vds, size_t e, size_t i)
{
    const lzv_operand *o = &vds[e]->binding.ops[i];
    for (size_t d = 0; d <= e; d++)
        for (size_t j = 0; j < vds[d]->binding.nops && (d < e || j < i); j++) {
            const lzv_operand *p = &vds[d]->binding.ops[j];
            /* ... and decoded alike (a stored format 1 definition reads it as stored) */
            if (p->fileno == o->fileno && !memcmp(&p->token, &o->token, sizeof o->token) &&
                !p->source.decode == !o->source.decode)
                return &p->source;
        }
    return &o->source;
}

void
lzv_batch_free(lzv_batch *g)
{
    if (!g)
        return;
    lz_graph_free(g->graph);
    if (g->ctx)
        lz_ctx_unreserve(g->ctx, g->reserved);
    for (size_t e = 0; e < g->n; e++) {
        if (g->srcs)
            free(g->srcs[e]);
        if (g->bufs)
            free(g->bufs[e]);
    }
    free(g->srcs);
    free(g->bufs);
    free(g->vds);
    lz_ctx_free(g->ctx);
    free(g);
}

lzv_batch *
lzv_batch_new(lzv_obj *const *dsets, size_t n, int64_t max_elems)
{
    lzv_batch *g = calloc(1, sizeof *g);
    const lz_expr **exprs = calloc(n, sizeof *exprs);
    double *fills = calloc(n, sizeof *fills);
    if (!g || !exprs || !fills || !(g->vds = calloc(n, sizeof *g->vds)) || !(g->srcs = calloc(n, sizeof *g->srcs)) ||
        !(g->bufs = calloc(n, sizeof *g->bufs)))
        goto oom;
    g->n = n;
    for (size_t e = 0; e < n; e++) {
        lzv_vdset *vd = dsets[e]->vdset;
        g->vds[e] = vd;
        exprs[e] = vd->binding.expr;
        fills[e] = vd->fill;
        size_t nops = vd->binding.nops;
        if ((max_elems > 0 && !(g->bufs[e] = malloc((size_t)max_elems * lz_dtype_size(vd->dtype)))) ||
            !(g->srcs[e] = calloc(nops ? nops : 1, sizeof *g->srcs[e])))
            goto oom;
        for (size_t i = 0; i < nops; i++)
            g->srcs[e][i] = shared_source(g->vds, e, i);
    }
    /* The same configuration as the datasets' own graphs; the buffers come
     * out of its budget, as the readers' do (lz_ctx_reserve). */
    if (!(g->ctx = lz_ctx_new(lz_ctx_config(g->vds[0]->binding.ctx))))
        goto oom;
    size_t bytes = 0;
    for (size_t e = 0; max_elems > 0 && e < n; e++)
        bytes += (size_t)max_elems * lz_dtype_size(g->vds[e]->dtype);
    g->reserved = lz_ctx_reserve(g->ctx, bytes);
    if (lz_graph_new_multi_fill(g->ctx, exprs, n, (const lz_source *const *const *)g->srcs, fills, &g->graph) !=
        LZ_OK) {
        LZV_ERROR(lz_ctx_error(g->ctx)->code, "cannot read '%s' and %zu more virtual datasets together: %s",
                  lzv_vdset_name(g->vds[0]), n - 1, lz_ctx_error(g->ctx)->message);
        goto fail;
    }
    free(exprs);
    free(fills);
    return g;
oom:
    LZV_ERROR(LZ_ENOMEM, "out of memory reading %zu virtual datasets together", n);
fail:
    free(exprs);
    free(fills);
    lzv_batch_free(g);
    return NULL;
}

lz_ctx *
lzv_batch_ctx(lzv_batch *g)
{
    return g->ctx;
}

int
lzv_batch_eval_into(lzv_batch *g, const lz_box *box, void *const *dst, lzv_xfer *x)
{
    g->have_box = false;
    if (lz_graph_eval_many(g->graph, box, dst, x) == LZ_OK)
        return 0;
    /* Which one failed? Each on its own, for the error a read of that
     * dataset alone gives (rare, so the cost does not matter): the shared
     * pass's account of an operand read goes. */
    lzv_xfer_drop_cause(x);
    for (size_t e = 0; e < g->n; e++) {
        if (lzv_binding_eval(&g->vds[e]->binding, box, dst[e], x) != LZ_OK) {
            lzv_vdset_push_error(g->vds[e], "cannot evaluate", lzv_xfer_take_cause(x));
            lz_ctx_clear_error(g->ctx);
            return -1;
        }
    }
    const lz_error *err = lz_ctx_error(g->ctx);
    lzv_error_push(__func__, __LINE__, err->code, "cannot evaluate '%s' (read together with %zu more): %s",
                   lzv_vdset_name(g->vds[0]), g->n - 1, err->message);
    lz_ctx_clear_error(g->ctx);
    return -1;
}

int
lzv_batch_eval(lzv_batch *g, size_t index, const lz_box *box, void *dst, lzv_xfer *x)
{
    if (!g->have_box || !lz_box_equal(&g->box, box)) {
        if (lzv_batch_eval_into(g, box, g->bufs, x) < 0)
            return -1;
        g->box = *box;
        g->have_box = true;
    }
    int64_t nelem;
    lz_box_nelem(box, &nelem);
    memcpy(dst, g->bufs[index], (size_t)nelem * lz_dtype_size(g->vds[index]->dtype));
    return 0;
}
