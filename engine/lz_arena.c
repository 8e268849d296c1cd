/* lz_arena.c — bump allocation in blocks of at least 4 KiB. */
#include "lz_arena.h"

#include <stddef.h>
#include <string.h>

struct lz_arena_block {
    lz_arena_block *next; /* older block */
    size_t used;          /* bytes handed out from data */
    size_t size;          /* bytes in data */
    max_align_t data[];   /* payload, aligned for any object */
};

enum { ARENA_MIN_BLOCK = 4096 };

void
lz_arena_init(lz_arena *arena, lz_ctx *ctx)
{
    arena->ctx = ctx;
    arena->head = NULL;
}

void *
lz_arena_alloc(lz_arena *arena, size_t nbytes)
{
    const size_t align = sizeof(max_align_t);
    if (nbytes > SIZE_MAX / 2) {
        lz_ctx_fail(arena->ctx, LZ_ENOMEM, 0, 0, "out of memory (allocation of %zu bytes)", nbytes);
        return NULL;
    }
    size_t rounded = (nbytes + align - 1) / align * align;
    lz_arena_block *b = arena->head;
    if (!b || b->size - b->used < rounded) {
        size_t size = rounded > ARENA_MIN_BLOCK ? rounded : ARENA_MIN_BLOCK;
        b = lz_alloc(arena->ctx, sizeof *b + size);
        if (!b)
            return NULL;
        b->next = arena->head;
        b->used = 0;
        b->size = size;
        arena->head = b;
    }
    void *p = (char *)b->data + b->used;
    b->used += rounded;
    memset(p, 0, nbytes);
    return p;
}

char *
lz_arena_strndup(lz_arena *arena, const char *s, size_t len)
{
    char *d = lz_arena_alloc(arena, len + 1);
    if (d) {
        memcpy(d, s, len);
        d[len] = '\0';
    }
    return d;
}

void
lz_arena_destroy(lz_arena *arena)
{
    lz_arena_block *b = arena->head;
    while (b) {
        lz_arena_block *next = b->next;
        lz_free(arena->ctx, b);
        b = next;
    }
    arena->head = NULL;
}
