/* lz_memsrc.c — a source over a dense C-order array in memory (for the
 * engine's tests and for callers that already hold their data). */
#include "lz_box.h"

#include <string.h>

static lz_status
memory_read(const lz_source *src, lz_ctx *ctx, const lz_box *box, void *buf, void *read_arg)
{
    (void)ctx;
    (void)read_arg;
    lz_box_gather(buf, src->impl, src->rank, src->shape, box, lz_dtype_size(src->dtype));
    return LZ_OK;
}

static const lz_source_ops memory_ops = {memory_read};

void
lz_source_init_memory(lz_source *src, lz_dtype dtype, int rank, const int64_t *shape,
                      const void *data)
{
    memset(src, 0, sizeof *src);
    src->ops = &memory_ops;
    src->impl = (void *)data; /* read-only use; the struct field is shared with writable impls */
    src->dtype = dtype;
    src->rank = rank;
    for (int k = 0; k < rank; k++)
        src->shape[k] = shape[k];
}
