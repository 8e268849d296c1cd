/* lzv_binding.c — binding an expression against a file's datasets. */
#include "lzv_binding.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

herr_t
lzv_binding_open(lzv_obj *file, const char *name, const char *expression, const lz_config *cfg, hid_t dxpl_id,
                 lzv_binding *b)
{
    memset(b, 0, sizeof *b);
    b->failed_stack = H5I_INVALID_HID;
    if (!(b->ctx = lz_ctx_new(cfg))) {
        LZV_ERROR(LZ_ENOMEM, "out of memory");
        return -1;
    }
    if (lz_expr_parse(b->ctx, expression, &b->expr) != LZ_OK)
        return -1;
    if (lzv_place_in_file(file->under_object, file->under_vol_id, name, file->access, dxpl_id, &b->place) < 0)
        return -1;
    /* The dataset heads the chain: an operand whose definition uses it (an
     * overwrite that would close a loop) is a cycle. */
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
    if (lzv_object_identity(file->under_object, H5I_FILE, file->under_vol_id, dxpl_id, &self.fileno, NULL) >= 0) {
        b->place.chain = &self;
        opened = lzv_operands_open(&b->place, b->expr, name, dxpl_id, b->ctx, &b->failed_stack, &b->ops);
        b->place.chain = NULL; /* `self` lives only for the binding */
    }
    free(self_path);
    if (opened < 0)
        return -1;
    b->nops = lz_expr_operand_count(b->expr);
    const lz_source *srcs[b->nops ? b->nops : 1];
    for (size_t i = 0; i < b->nops; i++)
        srcs[i] = &b->ops[i].source;
    return lz_graph_new(b->ctx, b->expr, srcs, &b->graph) == LZ_OK ? 0 : -1;
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
    if (b->failed_stack >= 0)
        H5Eclose_stack(b->failed_stack);
    lzv_stack_restore(saved);
    memset(b, 0, sizeof *b);
    b->failed_stack = H5I_INVALID_HID;
}
