/* lz_ctx.h — the engine context: accounted allocation and the error record.
 *
 * Every allocation of the engine goes through lz_alloc/lz_free so that the
 * bytes in use and the peak are exact (the memory budget is checked against
 * them in tests), leaks are visible (lz_ctx_bytes_in_use() after freeing
 * everything must be 0), and failures can be injected one allocation at a
 * time. Kernels never allocate.
 */
#ifndef LZ_CTX_H
#define LZ_CTX_H

#include "lz.h"
#include "lz_pool.h"

#include <stdarg.h>
#include <stddef.h>

struct lz_ctx {
    lz_config config;      /* limits and budget, copied at creation */
    lz_error error;        /* first error since the last clear */
    size_t bytes_in_use;   /* payload bytes currently allocated */
    size_t peak_bytes;     /* maximum of bytes_in_use ever */
    size_t held_bytes;     /* part of bytes_in_use kept across reads (caches) */
    size_t reserved_bytes; /* of the budget, set aside by the caller (lz_ctx_reserve) */
    long fail_countdown;   /* allocations left before an injected failure; <0 never */
    lz_pool *pool;         /* made on first use when config.threads > 1 */
    bool pool_tried;       /* so a failed start is not retried on every read */
};

/* The context's worker pool, started on first use; NULL means "compute on
 * the calling thread", which lz_pool_run accepts. */
lz_pool *lz_ctx_pool(lz_ctx *ctx);

/* Allocate `nbytes` (0 allowed: returns a unique pointer). Records LZ_ENOMEM
 * on the context and returns NULL on failure. */
void *lz_alloc(lz_ctx *ctx, size_t nbytes);
/* lz_alloc for optional memory (caches): a failure returns NULL without
 * recording an error, so that the evaluation goes on as if nothing had
 * been asked. Injected failures apply as to lz_alloc. */
void *lz_alloc_quiet(lz_ctx *ctx, size_t nbytes);
/* Count `delta` bytes of what is allocated as held across reads (or, with a
 * negative delta, no longer held). */
void lz_ctx_held(lz_ctx *ctx, ptrdiff_t delta);
/* Bytes in use that count against a read's budget: all but the held. */
size_t lz_ctx_budget_used(const lz_ctx *ctx);
/* The budget evaluations plan with: the configured one less what the
 * caller reserved. */
size_t lz_ctx_budget(const lz_ctx *ctx);
/* lz_alloc of n*size zeroed bytes, with the product checked for overflow. */
void *lz_calloc(lz_ctx *ctx, size_t n, size_t size);
/* Free memory from lz_alloc/lz_calloc/lz_strdup; NULL is ignored. */
void lz_free(lz_ctx *ctx, void *ptr);
/* Copy a NUL-terminated string (or its first `len` bytes) into new memory. */
char *lz_strdup(lz_ctx *ctx, const char *s);
char *lz_strndup(lz_ctx *ctx, const char *s, size_t len);

/* lz_ctx_fail with a va_list. */
lz_status lz_ctx_vfail(lz_ctx *ctx, lz_status code, int line, int column, const char *fmt,
                       va_list ap);

#endif
