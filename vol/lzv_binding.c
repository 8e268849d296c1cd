/* lzv_binding.c — binding an expression against a file's datasets, and
 * evaluating it (see lzv_binding.h). */
#include "lzv_binding.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Bumped whenever this process may have changed stored data; bindings drop
 * their kept reduction results when it moves (they hold values computed
 * from the sources as they were). Changing any dataset invalidates every
 * binding: writes are rare next to reads, and telling which virtual
 * datasets read which stored ones through nested files is not worth the
 * risk of a stale answer. */
static unsigned long data_generation;

void
lzv_data_changed(void)
{
    data_generation++;
}

herr_t
lzv_binding_open(lzv_binding *b, const char *name, const char *expression, const lz_config *cfg, double fill,
                 lzv_place *place, const lzv_chain *chain, hid_t dxpl_id)
{
    memset(b, 0, sizeof *b);
    b->place = *place; /* ours from here on, whatever happens */
    memset(place, 0, sizeof *place);
    b->generation = data_generation;
    if (!(b->ctx = lz_ctx_new(cfg))) {
        LZV_ERROR(LZ_ENOMEM, "out of memory binding '%s'", name);
        return -1;
    }
    if (lz_expr_parse(b->ctx, expression, &b->expr) != LZ_OK)
        return -1;
    /* The dataset heads the chain its operands are checked against: an
     * operand whose definition uses it (directly, or an overwrite that
     * would close a loop) is a cycle. */
    size_t len = strlen(name) + 2;
    char *self_path = malloc(len);
    if (!self_path) {
        lz_ctx_fail(b->ctx, LZ_ENOMEM, 0, 0, "out of memory");
        return -1;
    }
    snprintf(self_path, len, "%s%s", name[0] == '/' ? "" : "/", name);
    unsigned nested_uses = 0;
    lzv_chain self = {0, self_path, NULL, 1, &nested_uses};
    herr_t opened = -1;
    if (chain || lzv_object_identity(b->place.under_loc, b->place.loc_type, b->place.under_vol_id, dxpl_id,
                                     &self.fileno, NULL) >= 0) {
        b->place.chain = chain ? chain : &self;
        opened = lzv_operands_open(&b->place, b->expr, name, dxpl_id, b->ctx, &b->ops);
        b->place.chain = NULL; /* `self` lives only for the binding */
    }
    free(self_path);
    if (opened < 0)
        return -1;
    b->nops = lz_expr_operand_count(b->expr);
    const lz_source *srcs[b->nops ? b->nops : 1];
    for (size_t i = 0; i < b->nops; i++)
        srcs[i] = &b->ops[i].source;
    const lz_expr *expr = b->expr;
    const lz_source *const *sources = srcs;
    return lz_graph_new_multi_fill(b->ctx, &expr, 1, &sources, &fill, &b->graph) == LZ_OK ? 0 : -1;
}

void
lzv_binding_close(lzv_binding *b, hid_t dxpl_id)
{
    hid_t saved = lzv_stack_save();
    lz_graph_free(b->graph);
    lzv_operands_close(b->ops, b->nops, dxpl_id);
    lzv_place_destroy(&b->place);
    lz_expr_free(b->expr);
    lz_ctx_free(b->ctx);
    lzv_stack_restore(saved);
    memset(b, 0, sizeof *b);
}

lz_status
lzv_binding_eval(lzv_binding *b, const lz_box *box, void *out, lzv_xfer *x)
{
    if (b->generation != data_generation) {
        lz_graph_cache_clear(b->graph);
        b->generation = data_generation;
    }
    return lz_graph_eval(b->graph, box, out, x);
}
