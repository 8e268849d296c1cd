/* lz_vm.c — compiling an elementwise subgraph to a slot program and running
 * it tile by tile. See lz_vm.h for the model. */
#include "lz_vm.h"

#include <string.h>

typedef enum slot_kind {
    SLOT_SCRATCH, /* a tile buffer of the program */
    SLOT_CONST,   /* a tile buffer filled with one value at compile time */
    SLOT_VIEW,    /* a dense leaf read in place: base + tile offset */
    SLOT_OUT,     /* the caller's output: out + tile offset */
} slot_kind;

typedef struct slot {
    slot_kind kind; /* see above */
    int leaf;       /* SLOT_VIEW: which leaf */
    size_t itemsize; /* SLOT_VIEW and SLOT_OUT: bytes per element */
    char *buffer;   /* SLOT_SCRATCH and SLOT_CONST: the tile */
} slot;

typedef enum op_kind {
    OP_GATHER,  /* dst <- broadcast leaf `leaf` */
    OP_CONVERT, /* dst <- convert(a) */
    OP_KERNEL,  /* dst <- fn(in[0..nin-1]) */
    OP_COPY,    /* dst <- a (the root is a leaf or a constant) */
} op_kind;

typedef struct instr {
    op_kind op;          /* what to do */
    int dst, a;          /* slot indices */
    int in[3];           /* OP_KERNEL: input slots */
    int nin;             /* OP_KERNEL */
    int leaf;            /* OP_GATHER */
    size_t itemsize;     /* OP_GATHER, OP_COPY: element size */
    lz_convert_fn conv;  /* OP_CONVERT */
    lz_kernel_fn fn;     /* OP_KERNEL */
    const lz_node *node; /* OP_KERNEL: for fault messages */
} instr;

struct lz_program {
    const lz_node **leaves; /* distinct leaf nodes */
    int nleaves;
    instr *code;            /* instructions in execution order */
    int ncode;
    slot *slots;            /* every slot any instruction names */
    int nslots;
    char **ptr;             /* per slot: its data for the current tile (run state) */
    char *tiles;            /* storage of scratch and constant slots */
    size_t tiles_bytes;
    int root_rank;          /* rank of the program's output */
    int64_t root_shape[LZ_MAX_RANK];
};

/* ---- compilation ---------------------------------------------------------------- */

typedef struct compiler {
    lz_ctx *ctx;
    lz_program *prog;
    int *node_slot;        /* per node id: slot holding its value, -1 if not computed */
    int *uses_left;        /* per node id: readers not yet compiled */
    int *free_scratch;     /* stack of released scratch slots */
    int nfree;
    int cap_slots, cap_code, cap_leaves;
} compiler;

/* Leaves are everything the program does not compute itself: they are
 * evaluated into buffers before it runs. */
static bool
is_leaf(const lz_node *n)
{
    return !lz_node_is_elementwise(n);
}

/* Whether a node's buffer lines up element for element with the output
 * (no broadcasting), so it can be read in place. */
static bool
aligned_with_root(const lz_node *n, const lz_program *p)
{
    if (n->rank != p->root_rank)
        return false;
    for (int k = 0; k < n->rank; k++)
        if (n->shape[k] != p->root_shape[k])
            return false;
    return true;
}

static lz_status
grow(lz_ctx *ctx, void **array, int *cap, int need, size_t elem)
{
    if (need <= *cap)
        return LZ_OK;
    int cap2 = *cap ? 2 * *cap : 16;
    while (cap2 < need)
        cap2 *= 2;
    void *a = lz_calloc(ctx, (size_t)cap2, elem);
    if (!a)
        return LZ_ENOMEM;
    if (*cap)
        memcpy(a, *array, (size_t)*cap * elem);
    lz_free(ctx, *array);
    *array = a;
    *cap = cap2;
    return LZ_OK;
}

static lz_status
new_slot(compiler *c, slot s, int *index)
{
    lz_program *p = c->prog;
    lz_status st = grow(c->ctx, (void **)&p->slots, &c->cap_slots, p->nslots + 1, sizeof *p->slots);
    if (st)
        return st;
    p->slots[p->nslots] = s;
    *index = p->nslots++;
    return LZ_OK;
}

static lz_status
scratch_slot(compiler *c, int *index)
{
    if (c->nfree > 0) {
        *index = c->free_scratch[--c->nfree];
        return LZ_OK;
    }
    lz_status st = new_slot(c, (slot){.kind = SLOT_SCRATCH}, index);
    if (st)
        return st;
    /* The free stack can never hold more than the number of slots. */
    int cap = c->cap_slots;
    int *f = lz_calloc(c->ctx, (size_t)cap, sizeof *f);
    if (!f)
        return LZ_ENOMEM;
    if (c->nfree)
        memcpy(f, c->free_scratch, (size_t)c->nfree * sizeof *f);
    lz_free(c->ctx, c->free_scratch);
    c->free_scratch = f;
    return LZ_OK;
}

/* One reader of `n` has been compiled; free its scratch slot if it was the
 * last. */
static void
release(compiler *c, const lz_node *n)
{
    if (--c->uses_left[n->id] > 0)
        return;
    int s = c->node_slot[n->id];
    if (s >= 0 && c->prog->slots[s].kind == SLOT_SCRATCH)
        c->free_scratch[c->nfree++] = s;
}

static lz_status
emit(compiler *c, instr in)
{
    lz_program *p = c->prog;
    lz_status st = grow(c->ctx, (void **)&p->code, &c->cap_code, p->ncode + 1, sizeof *p->code);
    if (st)
        return st;
    p->code[p->ncode++] = in;
    return LZ_OK;
}

static lz_status
add_leaf(compiler *c, const lz_node *n, int *index)
{
    lz_program *p = c->prog;
    lz_status st = grow(c->ctx, (void **)&p->leaves, &c->cap_leaves, p->nleaves + 1,
                        sizeof *p->leaves);
    if (st)
        return st;
    p->leaves[p->nleaves] = n;
    *index = p->nleaves++;
    return LZ_OK;
}

static void
count_uses(compiler *c, const lz_node *n)
{
    if (c->uses_left[n->id]++ > 0)
        return; /* inputs of a shared node are counted once */
    if (is_leaf(n))
        return;
    for (int i = 0; i < n->nin; i++)
        count_uses(c, n->in[i]);
}

/* Compile `n` (post-order) so that its value is in slot node_slot[n->id]. */
static lz_status
compile_node(compiler *c, const lz_node *n)
{
    if (c->node_slot[n->id] >= 0)
        return LZ_OK;
    lz_status st;
    lz_program *p = c->prog;
    int s = -1;
    if (is_leaf(n)) {
        int leaf;
        if ((st = add_leaf(c, n, &leaf)))
            return st;
        size_t isz = lz_dtype_size(n->dtype);
        if (aligned_with_root(n, p)) {
            st = new_slot(c, (slot){.kind = SLOT_VIEW, .leaf = leaf, .itemsize = isz}, &s);
        } else if ((st = scratch_slot(c, &s)) == LZ_OK) {
            st = emit(c, (instr){.op = OP_GATHER, .dst = s, .leaf = leaf, .itemsize = isz});
        }
    } else if (n->kind == LZ_NODE_CONST) {
        st = new_slot(c, (slot){.kind = SLOT_CONST}, &s);
        /* The tile is filled once the slot storage exists (lz_program_new). */
    } else {
        for (int i = 0; i < n->nin; i++)
            if ((st = compile_node(c, n->in[i])))
                return st;
        int ins[3];
        for (int i = 0; i < n->nin; i++)
            ins[i] = c->node_slot[n->in[i]->id];
        /* The result may reuse an input's slot only when that input's
         * elements are at least as wide: kernels read element i before
         * writing element i, which then cannot reach unread input. So wider
         * results (a conversion to a wider type, where's float from a bool
         * condition) take their slot before the narrower inputs are let go. */
        size_t out_size = lz_dtype_size(n->dtype);
        for (int i = 0; i < n->nin; i++)
            if (lz_dtype_size(n->in[i]->dtype) >= out_size && n->kind != LZ_NODE_CAST)
                release(c, n->in[i]);
        if ((st = scratch_slot(c, &s)))
            return st;
        for (int i = 0; i < n->nin; i++)
            if (lz_dtype_size(n->in[i]->dtype) < out_size || n->kind == LZ_NODE_CAST)
                release(c, n->in[i]);
        if (n->kind == LZ_NODE_CAST) {
            lz_convert_fn f = lz_kernel_convert(n->dtype, n->in[0]->dtype);
            st = emit(c, (instr){.op = OP_CONVERT, .dst = s, .a = ins[0], .conv = f});
        } else {
            lz_kernel_fn f = lz_kernel_find(n->ufunc, &n->loop);
            if (!f)
                return lz_ctx_fail(c->ctx, LZ_EINTERNAL, n->line, n->column, "no kernel for %s",
                                   lz_ufunc_name(n->ufunc));
            instr in = {.op = OP_KERNEL, .dst = s, .nin = n->nin, .fn = f, .node = n};
            for (int i = 0; i < n->nin; i++)
                in.in[i] = ins[i];
            st = emit(c, in);
        }
    }
    if (st == LZ_OK)
        c->node_slot[n->id] = s;
    return st;
}

/* Fill every constant slot's tile with its node's value. */
static void
fill_constants(lz_program *p, const lz_node *n, const int *node_slot, bool *done)
{
    if (done[n->id])
        return;
    done[n->id] = true;
    if (n->kind == LZ_NODE_CONST) {
        char one[8];
        size_t isz = lz_dtype_size(n->dtype);
        lz_scalar_store(&n->value, n->dtype, one);
        char *tile = p->slots[node_slot[n->id]].buffer;
        for (size_t i = 0; i < LZ_TILE; i++)
            memcpy(tile + i * isz, one, isz);
        return;
    }
    if (!is_leaf(n))
        for (int i = 0; i < n->nin; i++)
            fill_constants(p, n->in[i], node_slot, done);
}

lz_status
lz_program_new(lz_ctx *ctx, const lz_node *root, int nnodes, lz_program **out)
{
    lz_program *p = lz_calloc(ctx, 1, sizeof *p);
    if (!p)
        return LZ_ENOMEM;
    p->root_rank = root->rank;
    memcpy(p->root_shape, root->shape, sizeof p->root_shape);
    compiler c = {.ctx = ctx, .prog = p};
    lz_status st = LZ_OK;
    c.node_slot = lz_calloc(ctx, (size_t)nnodes, sizeof *c.node_slot);
    c.uses_left = lz_calloc(ctx, (size_t)nnodes, sizeof *c.uses_left);
    bool *done = lz_calloc(ctx, (size_t)nnodes, sizeof *done);
    if (!c.node_slot || !c.uses_left || !done)
        st = LZ_ENOMEM;
    if (st == LZ_OK) {
        for (int i = 0; i < nnodes; i++)
            c.node_slot[i] = -1;
        count_uses(&c, root);
        c.uses_left[root->id]++; /* the root is read by the output */
        st = compile_node(&c, root);
    }
    if (st == LZ_OK) {
        /* Route the result to the output: retarget the last instruction when
         * it computed the root into scratch, else copy. */
        int rs = c.node_slot[root->id];
        slot out_slot = {.kind = SLOT_OUT, .itemsize = lz_dtype_size(root->dtype)};
        int os;
        st = new_slot(&c, out_slot, &os);
        if (st == LZ_OK) {
            if (p->ncode > 0 && p->code[p->ncode - 1].dst == rs && p->slots[rs].kind == SLOT_SCRATCH &&
                p->code[p->ncode - 1].op != OP_GATHER)
                p->code[p->ncode - 1].dst = os;
            else
                st = emit(&c, (instr){.op = OP_COPY, .dst = os, .a = rs,
                                      .itemsize = lz_dtype_size(root->dtype)});
        }
    }
    if (st == LZ_OK && !(p->ptr = lz_calloc(ctx, (size_t)p->nslots, sizeof *p->ptr)))
        st = LZ_ENOMEM;
    if (st == LZ_OK) {
        /* One allocation for all scratch and constant tiles. */
        int ntiles = 0;
        for (int i = 0; i < p->nslots; i++)
            ntiles += p->slots[i].kind == SLOT_SCRATCH || p->slots[i].kind == SLOT_CONST;
        p->tiles_bytes = (size_t)ntiles * LZ_TILE * 8;
        p->tiles = lz_alloc(ctx, p->tiles_bytes);
        if (!p->tiles)
            st = LZ_ENOMEM;
    }
    if (st == LZ_OK) {
        size_t t = 0;
        for (int i = 0; i < p->nslots; i++)
            if (p->slots[i].kind == SLOT_SCRATCH || p->slots[i].kind == SLOT_CONST)
                p->slots[i].buffer = p->tiles + (t++) * LZ_TILE * 8;
        fill_constants(p, root, c.node_slot, done);
    }
    lz_free(ctx, c.node_slot);
    lz_free(ctx, c.uses_left);
    lz_free(ctx, c.free_scratch);
    lz_free(ctx, done);
    if (st != LZ_OK) {
        lz_program_free(ctx, p);
        return st;
    }
    *out = p;
    return LZ_OK;
}

void
lz_program_free(lz_ctx *ctx, lz_program *prog)
{
    if (!prog)
        return;
    lz_free(ctx, prog->leaves);
    lz_free(ctx, prog->code);
    lz_free(ctx, prog->slots);
    lz_free(ctx, prog->ptr);
    lz_free(ctx, prog->tiles);
    lz_free(ctx, prog);
}

int
lz_program_leaf_count(const lz_program *prog)
{
    return prog->nleaves;
}

const lz_node *
lz_program_leaf(const lz_program *prog, int i)
{
    return prog->leaves[i];
}

size_t
lz_program_scratch_bytes(const lz_program *prog)
{
    return prog->tiles_bytes;
}

/* ---- execution -------------------------------------------------------------------- */

/* Copy `len` elements of a broadcast leaf, starting at flat block index
 * `first`, into dst. The innermost stride is 0 (repeat) or 1 (copy). */
static void
gather(char *dst, const lz_leaf_data *leaf, size_t itemsize, int rank, const int64_t *count,
       int64_t first, int64_t len)
{
    int64_t index[LZ_MAX_RANK];
    int64_t rest = first;
    for (int k = rank - 1; k >= 0; k--) {
        index[k] = rest % count[k];
        rest /= count[k];
    }
    const char *base = leaf->base;
    while (len > 0) {
        int64_t off = 0;
        for (int k = 0; k < rank; k++)
            off += index[k] * leaf->stride[k];
        int64_t run = rank ? count[rank - 1] - index[rank - 1] : 1;
        if (run > len)
            run = len;
        const char *src = base + off * (int64_t)itemsize;
        if (rank && leaf->stride[rank - 1] != 0) {
            memcpy(dst, src, (size_t)run * itemsize);
        } else {
            for (int64_t i = 0; i < run; i++)
                memcpy(dst + i * (int64_t)itemsize, src, itemsize);
        }
        dst += run * (int64_t)itemsize;
        len -= run;
        /* Advance the index by `run` along the innermost axis, carrying. */
        if (rank == 0)
            break;
        index[rank - 1] += run;
        for (int k = rank - 1; k > 0 && index[k] == count[k]; k--) {
            index[k] = 0;
            index[k - 1]++;
        }
    }
}

int
lz_program_run(lz_program *p, int rank, const int64_t *count, const lz_leaf_data *leaves, void *out,
               const lz_node **faulting)
{
    int64_t n = 1;
    for (int k = 0; k < rank; k++)
        n *= count[k];
    char **ptr = p->ptr;
    for (int i = 0; i < p->nslots; i++)
        ptr[i] = p->slots[i].buffer;
    for (int64_t t0 = 0; t0 < n; t0 += LZ_TILE) {
        size_t len = (size_t)(n - t0 < LZ_TILE ? n - t0 : LZ_TILE);
        for (int i = 0; i < p->nslots; i++) {
            const slot *s = &p->slots[i];
            if (s->kind == SLOT_VIEW)
                ptr[i] = (char *)leaves[s->leaf].base + t0 * (int64_t)s->itemsize;
            else if (s->kind == SLOT_OUT)
                ptr[i] = (char *)out + t0 * (int64_t)s->itemsize;
        }
        for (int i = 0; i < p->ncode; i++) {
            const instr *in = &p->code[i];
            switch (in->op) {
            case OP_GATHER:
                gather(ptr[in->dst], &leaves[in->leaf], in->itemsize, rank, count, t0, (int64_t)len);
                break;
            case OP_CONVERT:
                in->conv(ptr[in->dst], ptr[in->a], len);
                break;
            case OP_KERNEL: {
                const void *args[3] = {in->nin > 0 ? ptr[in->in[0]] : NULL, in->nin > 1 ? ptr[in->in[1]] : NULL,
                                       in->nin > 2 ? ptr[in->in[2]] : NULL};
                int fault = LZ_FAULT_NONE;
                in->fn(ptr[in->dst], args, len, &fault);
                if (fault) {
                    *faulting = in->node;
                    return fault;
                }
                break;
            }
            case OP_COPY:
                memmove(ptr[in->dst], ptr[in->a], len * in->itemsize);
                break;
            }
        }
    }
    return LZ_FAULT_NONE;
}

/* ---- all programs of a graph --------------------------------------------------------- */

/* Visit the graph below `n`; an elementwise node whose parent is not
 * elementwise (or that is a root) starts a region and gets a program. */
static lz_status
compile_regions(lz_graph *g, const lz_node *n, bool parent_elementwise, uint8_t *visited)
{
    bool elementwise = lz_node_is_elementwise(n);
    if (elementwise && !parent_elementwise && !g->programs[n->id]) {
        lz_status st = lz_program_new(g->ctx, n, g->nnodes, &g->programs[n->id]);
        if (st)
            return st;
    }
    if (visited[n->id])
        return LZ_OK;
    visited[n->id] = 1;
    for (int i = 0; i < n->nin; i++) {
        lz_status st = compile_regions(g, n->in[i], elementwise, visited);
        if (st)
            return st;
    }
    return LZ_OK;
}

lz_status
lz_graph_compile(lz_graph *g)
{
    g->programs = lz_calloc(g->ctx, (size_t)g->nnodes, sizeof *g->programs);
    uint8_t *visited = lz_calloc(g->ctx, (size_t)g->nnodes, 1);
    lz_status st = g->programs && visited ? LZ_OK : LZ_ENOMEM;
    for (int r = 0; st == LZ_OK && r < g->nroots; r++)
        st = compile_regions(g, g->roots[r], false, visited);
    lz_free(g->ctx, visited);
    return st;
}
