/* lz_eval.c — evaluating a box of a graph in blocks within the budget.
 *
 * How it works: the requested box is cut into C-order pieces (lz_box_pieces)
 * small enough that the leaf buffers of one piece fit in the memory budget
 * left after the program's own tiles. For each piece, every leaf's box is
 * derived (broadcast axes collapse to index 0), read from its source into a
 * reused buffer, and the fused program runs over the piece, writing straight
 * into the caller's output at the piece's offset.
 */
#include "lz_box.h"
#include "lz_graph.h"
#include "lz_vm.h"

#include <string.h>

/* The box a leaf must supply for output box `box`, and the strides that map
 * the output's axes onto the leaf's dense buffer of that box. Leaf axes are
 * aligned with the output's from the right (numpy broadcasting); a leaf axis
 * of extent 1 under a longer output axis is read once and repeated. */
static void
leaf_box(const lz_node *leaf, const lz_box *box, lz_box *lbox, int64_t *stride)
{
    int offset = box->rank - leaf->rank;
    lbox->rank = leaf->rank;
    int64_t s = 1;
    for (int k = leaf->rank - 1; k >= 0; k--) {
        int ok = k + offset;
        if (leaf->shape[k] == 1) { /* broadcast, or a genuine axis of one */
            lbox->start[k] = 0;
            lbox->count[k] = 1;
            lbox->step[k] = 1;
        } else {
            lbox->start[k] = box->start[ok];
            lbox->count[k] = box->count[ok];
            lbox->step[k] = box->step[ok];
        }
        stride[ok] = lbox->count[k] == 1 ? 0 : s;
        s *= lbox->count[k];
    }
    for (int ok = 0; ok < offset; ok++)
        stride[ok] = 0;
}

lz_status
lz_graph_eval(lz_graph *g, const lz_box *box, void *out)
{
    lz_ctx *ctx = g->ctx;
    const lz_node *root = g->root;
    lz_status st = lz_box_check(ctx, box, root->rank, root->shape, "requested box");
    if (st)
        return st;
    int64_t nelem;
    if (!lz_box_nelem(box, &nelem))
        return lz_ctx_fail(ctx, LZ_ELIMIT, 0, 0, "requested box has more than 2^63 elements");
    if (nelem == 0)
        return LZ_OK;

    lz_program *prog = g->program;
    int nleaves = lz_program_leaf_count(prog);
    /* Budget: what the program's tiles leave, shared by the leaf buffers in
     * proportion to their element sizes; at least one tile per piece. */
    size_t per_elem = 0;
    for (int i = 0; i < nleaves; i++)
        per_elem += lz_dtype_size(lz_program_leaf(prog, i)->dtype);
    size_t budget = ctx->config.memory_bytes;
    size_t fixed = lz_program_scratch_bytes(prog);
    int64_t max_elems = nelem;
    if (per_elem > 0) {
        size_t avail = budget > fixed ? budget - fixed : 0;
        int64_t fit = (int64_t)(avail / per_elem);
        if (fit < LZ_TILE)
            fit = LZ_TILE;
        if (fit < max_elems)
            max_elems = fit;
    }

    void **bufs = NULL;
    lz_leaf_data *data = NULL;
    if (nleaves > 0) {
        bufs = lz_calloc(ctx, (size_t)nleaves, sizeof *bufs);
        data = lz_calloc(ctx, (size_t)nleaves, sizeof *data);
        if (!bufs || !data)
            st = LZ_ENOMEM;
        for (int i = 0; st == LZ_OK && i < nleaves; i++) {
            size_t isz = lz_dtype_size(lz_program_leaf(prog, i)->dtype);
            if (!(bufs[i] = lz_alloc(ctx, (size_t)max_elems * isz)))
                st = LZ_ENOMEM;
        }
    }

    lz_box_pieces it;
    lz_box piece;
    int64_t offset;
    size_t out_isz = lz_dtype_size(root->dtype);
    lz_box_pieces_init(&it, box, max_elems);
    while (st == LZ_OK && lz_box_pieces_next(&it, &piece, &offset)) {
        for (int i = 0; i < nleaves; i++) {
            const lz_node *leaf = lz_program_leaf(prog, i);
            lz_box lbox;
            leaf_box(leaf, &piece, &lbox, data[i].stride);
            const lz_source *src = g->sources[leaf->source];
            if ((st = src->ops->read(src, ctx, &lbox, bufs[i]))) {
                if (ctx->error.code == LZ_OK) /* a source that failed without saying why */
                    lz_ctx_fail(ctx, LZ_ESOURCE, leaf->line, leaf->column, "reading an operand failed");
                break;
            }
            data[i].base = bufs[i];
        }
        if (st == LZ_OK)
            lz_program_run(prog, piece.rank, piece.count, data, (char *)out + offset * (int64_t)out_isz);
    }
    for (int i = 0; bufs && i < nleaves; i++)
        lz_free(ctx, bufs[i]);
    lz_free(ctx, bufs);
    lz_free(ctx, data);
    return st;
}
