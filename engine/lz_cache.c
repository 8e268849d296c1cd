/* lz_cache.c — a small LRU of evaluated reduction boxes. Entries are few
 * (a handful of reductions per expression), so lookups scan a short array.
 * Entry memory comes from the context but is counted as held, outside a
 * read's budget (lz_ctx_held). */
#include "lz_cache.h"
#include "lz_box.h"

#include <string.h>

enum { CACHE_SLOTS = 32 };

typedef struct entry {
    int node;            /* node id; -1 for a free slot */
    lz_box box;          /* the box kept */
    void *data;          /* its elements, dense */
    size_t bytes;
    unsigned long used;  /* tick of the last use */
} entry;

struct lz_cache {
    lz_ctx *ctx;
    size_t capacity;     /* most bytes kept */
    size_t bytes;        /* bytes kept now */
    unsigned long tick;
    entry slots[CACHE_SLOTS];
};

lz_cache *
lz_cache_new(lz_ctx *ctx, size_t capacity)
{
    if (capacity == 0)
        return NULL;
    lz_cache *c = lz_alloc_quiet(ctx, sizeof *c);
    if (!c)
        return NULL;
    memset(c, 0, sizeof *c);
    c->ctx = ctx;
    c->capacity = capacity;
    for (int i = 0; i < CACHE_SLOTS; i++)
        c->slots[i].node = -1;
    return c;
}

static void
drop(lz_cache *c, entry *e)
{
    lz_free(c->ctx, e->data);
    lz_ctx_held(c->ctx, -(ptrdiff_t)e->bytes);
    c->bytes -= e->bytes;
    e->node = -1;
    e->data = NULL;
    e->bytes = 0;
}

void
lz_cache_clear(lz_cache *c)
{
    for (int i = 0; c && i < CACHE_SLOTS; i++)
        if (c->slots[i].node >= 0)
            drop(c, &c->slots[i]);
}

void
lz_cache_free(lz_cache *c)
{
    if (!c)
        return;
    lz_cache_clear(c);
    lz_free(c->ctx, c);
}

/* Whether every index of `want` is an index of `have`; if so, the element
 * strides into have's dense array that walk `want` (and the start offset). */
static bool
covers(const lz_box *have, const lz_box *want, int64_t *stride, int64_t *offset)
{
    int64_t dense = 1;
    *offset = 0;
    for (int k = have->rank - 1; k >= 0; k--) {
        int64_t d = want->start[k] - have->start[k];
        if (d < 0 || d % have->step[k] || want->step[k] % have->step[k])
            return false;
        int64_t first = d / have->step[k];
        int64_t last = first + (want->count[k] - 1) * (want->step[k] / have->step[k]);
        if (want->count[k] > 0 && last >= have->count[k])
            return false;
        stride[k] = dense * (want->step[k] / have->step[k]);
        *offset += first * dense;
        dense *= have->count[k];
    }
    return true;
}

bool
lz_cache_get(lz_cache *c, const lz_node *n, const lz_box *box, void *out)
{
    for (int i = 0; c && i < CACHE_SLOTS; i++) {
        entry *e = &c->slots[i];
        int64_t stride[LZ_MAX_RANK], offset;
        if (e->node != n->id || !covers(&e->box, box, stride, &offset))
            continue;
        size_t isz = lz_dtype_size(n->dtype);
        lz_strided_copy(out, (const char *)e->data + offset * (int64_t)isz, box->rank, box->count, stride, isz);
        e->used = ++c->tick;
        return true;
    }
    return false;
}

bool
lz_cache_get_before(lz_cache *c, const lz_node *n, const lz_box *box, int axis, int64_t limit, void *out,
                    int64_t *at)
{
    entry *best = NULL;
    lz_box want = *box, best_want;
    want.count[axis] = 1;
    want.step[axis] = 1;
    for (int i = 0; c && i < CACHE_SLOTS; i++) {
        entry *e = &c->slots[i];
        int64_t es = e->box.start[axis], et = e->box.step[axis], stride[LZ_MAX_RANK], offset;
        if (e->node != n->id || e->box.count[axis] == 0 || es > limit)
            continue;
        int64_t k = (limit - es) / et;
        k = k < e->box.count[axis] - 1 ? k : e->box.count[axis] - 1;
        want.start[axis] = es + et * k;
        if ((!best || want.start[axis] > best_want.start[axis]) && covers(&e->box, &want, stride, &offset)) {
            best = e;
            best_want = want;
        }
    }
    if (!best)
        return false;
    *at = best_want.start[axis];
    return lz_cache_get(c, n, &best_want, out);
}

void
lz_cache_put(lz_cache *c, const lz_node *n, const lz_box *box, const void *data)
{
    int64_t nelem;
    if (!c || !lz_box_nelem(box, &nelem))
        return;
    size_t bytes = (size_t)nelem * lz_dtype_size(n->dtype);
    if (bytes > c->capacity)
        return;
    /* Room: free slots and bytes, oldest entries out first. */
    entry *slot = NULL;
    for (;;) {
        entry *oldest = NULL;
        slot = NULL;
        for (int i = 0; i < CACHE_SLOTS; i++) {
            entry *e = &c->slots[i];
            if (e->node < 0)
                slot = slot ? slot : e;
            else if (!oldest || e->used < oldest->used)
                oldest = e;
        }
        if (slot && c->bytes + bytes <= c->capacity)
            break;
        drop(c, oldest); /* non-NULL: a full cache has entries */
    }
    if (!(slot->data = lz_alloc_quiet(c->ctx, bytes)))
        return;
    memcpy(slot->data, data, bytes);
    slot->node = n->id;
    slot->box = *box;
    slot->bytes = bytes;
    slot->used = ++c->tick;
    c->bytes += bytes;
    lz_ctx_held(c->ctx, (ptrdiff_t)bytes);
}
