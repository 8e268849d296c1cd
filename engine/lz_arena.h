/* lz_arena.h — a bump allocator for objects that die together (the syntax
 * tree of one expression, the nodes of one graph). Blocks come from the
 * context, so they are accounted and can fail by injection. */
#ifndef LZ_ARENA_H
#define LZ_ARENA_H

#include "lz_ctx.h"

typedef struct lz_arena_block lz_arena_block;

typedef struct lz_arena {
    lz_ctx *ctx;           /* where blocks come from */
    lz_arena_block *head;  /* newest block first */
} lz_arena;

void lz_arena_init(lz_arena *arena, lz_ctx *ctx);
/* Zeroed, max_align_t-aligned memory living until lz_arena_destroy; NULL
 * (with LZ_ENOMEM recorded) on failure. */
void *lz_arena_alloc(lz_arena *arena, size_t nbytes);
char *lz_arena_strndup(lz_arena *arena, const char *s, size_t len);
void lz_arena_destroy(lz_arena *arena);

#endif
