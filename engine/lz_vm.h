/* lz_vm.h — fused evaluation of an elementwise subgraph over cache-sized
 * tiles (the numexpr model).
 *
 * A program is compiled once per graph: every node of the subgraph becomes
 * one instruction writing one "slot" (a tile-sized buffer), with slots
 * reused as soon as their last reader has run. Running the program over a
 * block walks the block in tiles of LZ_TILE elements and runs all
 * instructions on each tile, so no temporary is ever larger than a tile.
 * Leaves (every node that is not elementwise: sources, views, concats,
 * reductions) are read from dense buffers the caller filled for the block.
 */
#ifndef LZ_VM_H
#define LZ_VM_H

#include "lz_graph.h"

/* Elements per tile: 1024 x 8 bytes = 8 KiB per slot keeps a dozen live
 * slots in a 256 KiB L2 cache. */
#define LZ_TILE 1024

typedef struct lz_program lz_program;

/* A leaf's data for one block: a dense C-order buffer of the leaf's box and
 * the element strides that map the block's axes onto it (0 on broadcast
 * axes). */
typedef struct lz_leaf_data {
    const void *base;            /* first element */
    int64_t stride[LZ_MAX_RANK]; /* per block axis, in elements */
} lz_leaf_data;

/* Compile the subgraph under `root` (nodes with ids < nnodes). */
lz_status lz_program_new(lz_ctx *ctx, const lz_node *root, int nnodes, lz_program **out);
void lz_program_free(lz_ctx *ctx, lz_program *prog);

/* The distinct leaves the program reads, in the order lz_program_run
 * expects their data. */
int lz_program_leaf_count(const lz_program *prog);
const lz_node *lz_program_leaf(const lz_program *prog, int i);
/* Bytes of scratch the program holds (slots and constant tiles). */
size_t lz_program_scratch_bytes(const lz_program *prog);

/* Compute a block with `rank` axes of extents `count` into `out` (dense,
 * dtype of the root), reading leaves[i] for leaf i. Returns LZ_FAULT_NONE,
 * or the fault a kernel reported (and which node in *faulting). */
int lz_program_run(lz_program *prog, int rank, const int64_t *count, const lz_leaf_data *leaves, void *out,
                   const lz_node **faulting);

#endif
