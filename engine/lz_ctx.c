/* lz_ctx.c — the engine context: configuration, error record, accounted
 * allocation with failure injection. */
#include "lz_ctx.h"

#include <stdalign.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Each block carries its size in a header so that lz_free can account for it;
 * the header is a full max_align_t so the payload keeps malloc's alignment. */
typedef union lz_block_header {
    size_t nbytes;
    max_align_t align;
} lz_block_header;

static const char *const status_summaries[] = {
#define LZ_STATUS(id, summary) summary,
#include "lz_status.def"
#undef LZ_STATUS
};

void
lz_config_init(lz_config *cfg)
{
    /* 64 MiB: a reader's whole process (Python, numpy, h5py, HDF5's chunk
     * caches) must stay under 128-150 MiB of RSS in the benchmarks. */
    cfg->memory_bytes = (size_t)64 << 20;
    cfg->max_expr_bytes = (size_t)64 << 10;
    cfg->max_depth = 200;
    cfg->max_operands = 256;
    cfg->threads = 1;
    /* 32 MiB of kept reduction results: the mean of a 2048 x 2048 float64
     * field, while process RSS stays within the 150 MiB of the benchmarks. */
    cfg->cache_bytes = (size_t)32 << 20;
}

lz_ctx *
lz_ctx_new(const lz_config *cfg)
{
    lz_ctx *ctx = calloc(1, sizeof *ctx);
    if (!ctx)
        return NULL;
    if (cfg)
        ctx->config = *cfg;
    else
        lz_config_init(&ctx->config);
    ctx->fail_countdown = -1;
    return ctx;
}

void
lz_ctx_free(lz_ctx *ctx)
{
    if (ctx)
        lz_pool_free(ctx->pool);
    free(ctx);
}

lz_pool *
lz_ctx_pool(lz_ctx *ctx)
{
    if (!ctx->pool_tried) {
        ctx->pool_tried = true;
        ctx->pool = lz_pool_new(ctx->config.threads);
    }
    return ctx->pool;
}

const lz_config *
lz_ctx_config(const lz_ctx *ctx)
{
    return &ctx->config;
}

const lz_error *
lz_ctx_error(const lz_ctx *ctx)
{
    return &ctx->error;
}

void
lz_ctx_clear_error(lz_ctx *ctx)
{
    memset(&ctx->error, 0, sizeof ctx->error);
}

size_t
lz_ctx_bytes_in_use(const lz_ctx *ctx)
{
    return ctx->bytes_in_use;
}

size_t
lz_ctx_peak_bytes(const lz_ctx *ctx)
{
    return ctx->peak_bytes;
}

void
lz_ctx_fail_allocation_after(lz_ctx *ctx, long n)
{
    ctx->fail_countdown = n;
}

const char *
lz_status_summary(lz_status s)
{
    if ((unsigned)s >= LZ_STATUS_COUNT)
        return "unknown status";
    return status_summaries[s];
}

lz_status
lz_ctx_vfail(lz_ctx *ctx, lz_status code, int line, int column, const char *fmt, va_list ap)
{
    if (ctx->error.code != LZ_OK)
        return code; /* the first error is the cause; later ones are fallout */
    ctx->error.code = code;
    ctx->error.line = line;
    ctx->error.column = column;
    char *message = ctx->error.message;
    const size_t room = sizeof ctx->error.message;
    va_list again;
    va_copy(again, ap);
    int len = vsnprintf(message, room, fmt, ap);
    /* Too long (a long dataset name or path quoted in it): keep the head
     * and the tail, where the reason is, and cut the middle, on UTF-8
     * character boundaries so the text stays decodable. */
    char *whole = len >= (int)room ? malloc((size_t)len + 1) : NULL;
    if (whole) {
        vsnprintf(whole, (size_t)len + 1, fmt, again);
        size_t head = room / 3, tail = (size_t)len - (room - 1 - head - 5); /* " ... ", NUL */
        while (head > 0 && ((unsigned char)whole[head] & 0xc0) == 0x80)
            head--;
        while (((unsigned char)whole[tail] & 0xc0) == 0x80)
            tail++;
        snprintf(message, room, "%.*s ... %s", (int)head, whole, whole + tail);
        free(whole);
    }
    va_end(again);
    return code;
}

lz_status
lz_ctx_fail(lz_ctx *ctx, lz_status code, int line, int column, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    lz_ctx_vfail(ctx, code, line, column, fmt, ap);
    va_end(ap);
    return code;
}

/* Allocate with a size header; on failure record an error only if asked. */
static void *
alloc_block(lz_ctx *ctx, size_t nbytes, bool report)
{
    if (ctx->fail_countdown == 0) {
        if (report)
            lz_ctx_fail(ctx, LZ_ENOMEM, 0, 0, "out of memory (injected failure of a %zu-byte allocation)",
                        nbytes);
        return NULL;
    }
    if (ctx->fail_countdown > 0)
        ctx->fail_countdown--;
    lz_block_header *h = nbytes > SIZE_MAX - sizeof(lz_block_header) ? NULL : malloc(sizeof *h + nbytes);
    if (!h) {
        if (report)
            lz_ctx_fail(ctx, LZ_ENOMEM, 0, 0, "out of memory (allocation of %zu bytes)", nbytes);
        return NULL;
    }
    h->nbytes = nbytes;
    ctx->bytes_in_use += nbytes;
    if (ctx->bytes_in_use > ctx->peak_bytes)
        ctx->peak_bytes = ctx->bytes_in_use;
    return h + 1;
}

void *
lz_alloc(lz_ctx *ctx, size_t nbytes)
{
    return alloc_block(ctx, nbytes, true);
}

void *
lz_alloc_quiet(lz_ctx *ctx, size_t nbytes)
{
    return alloc_block(ctx, nbytes, false);
}

void
lz_ctx_held(lz_ctx *ctx, ptrdiff_t delta)
{
    ctx->held_bytes = (size_t)((ptrdiff_t)ctx->held_bytes + delta);
}

size_t
lz_ctx_budget_used(const lz_ctx *ctx)
{
    return ctx->bytes_in_use - ctx->held_bytes;
}

void *
lz_ctx_alloc(lz_ctx *ctx, size_t nbytes)
{
    return lz_alloc(ctx, nbytes);
}

void
lz_ctx_release(lz_ctx *ctx, void *ptr)
{
    lz_free(ctx, ptr);
}

bool
lz_ctx_charge(lz_ctx *ctx, size_t nbytes)
{
    if (nbytes > lz_ctx_budget_left(ctx))
        return false;
    ctx->bytes_in_use += nbytes;
    if (ctx->bytes_in_use > ctx->peak_bytes)
        ctx->peak_bytes = ctx->bytes_in_use;
    return true;
}

void
lz_ctx_uncharge(lz_ctx *ctx, size_t nbytes)
{
    ctx->bytes_in_use -= nbytes;
}

size_t
lz_ctx_budget(const lz_ctx *ctx)
{
    return ctx->config.memory_bytes - ctx->reserved_bytes; /* reserve keeps it within */
}

size_t
lz_ctx_budget_left(const lz_ctx *ctx)
{
    size_t used = lz_ctx_budget_used(ctx), budget = lz_ctx_budget(ctx);
    return budget > used ? budget - used : 0;
}

size_t
lz_ctx_reserve(lz_ctx *ctx, size_t nbytes)
{
    size_t left = lz_ctx_budget_left(ctx);
    nbytes = nbytes < left ? nbytes : left;
    ctx->reserved_bytes += nbytes;
    return nbytes;
}

void
lz_ctx_unreserve(lz_ctx *ctx, size_t nbytes)
{
    ctx->reserved_bytes -= nbytes;
}

void *
lz_calloc(lz_ctx *ctx, size_t n, size_t size)
{
    if (size != 0 && n > SIZE_MAX / size) {
        lz_ctx_fail(ctx, LZ_ENOMEM, 0, 0, "out of memory (%zu elements of %zu bytes overflow)", n,
                    size);
        return NULL;
    }
    void *p = lz_alloc(ctx, n * size);
    if (p)
        memset(p, 0, n * size);
    return p;
}

void
lz_free(lz_ctx *ctx, void *ptr)
{
    if (!ptr)
        return;
    lz_block_header *h = (lz_block_header *)ptr - 1;
    ctx->bytes_in_use -= h->nbytes;
    free(h);
}

char *
lz_strndup(lz_ctx *ctx, const char *s, size_t len)
{
    char *d = lz_alloc(ctx, len + 1);
    if (d) {
        memcpy(d, s, len);
        d[len] = '\0';
    }
    return d;
}

char *
lz_strdup(lz_ctx *ctx, const char *s)
{
    return lz_strndup(ctx, s, strlen(s));
}
