/* lzv_chunk_native.c — the native chunk operations through the under
 * connector, for HDF5 1.14 and 2.x (see lzv_chunk_native.h). 2.0 gave the
 * raw chunk read a buffer size (H5Dread_chunk2); the rest is alike. */
#include "lzv_chunk_native.h"

#include <H5VLnative.h>

bool
lzv_native_chunks_supported(void *under_dset, hid_t under_vol_id)
{
    static const int ops[] = {H5VL_NATIVE_DATASET_GET_CHUNK_INFO_BY_COORD, H5VL_NATIVE_DATASET_CHUNK_READ};
    for (size_t i = 0; i < sizeof ops / sizeof ops[0]; i++) {
        uint64_t flags = 0;
        herr_t st;
        H5E_BEGIN_TRY {
            st = H5VLintrospect_opt_query(under_dset, under_vol_id, H5VL_SUBCLS_DATASET, ops[i], &flags);
        } H5E_END_TRY
        if (st < 0 || !(flags & H5VL_OPT_QUERY_SUPPORTED))
            return false;
    }
    return true;
}

herr_t
lzv_native_chunk_info(void *under_dset, hid_t under_vol_id, const hsize_t *offset, hid_t dxpl_id, bool *stored,
                      unsigned *filter_mask, hsize_t *bytes)
{
    haddr_t addr = HADDR_UNDEF;
    hsize_t size = 0;
    unsigned mask = 0;
    H5VL_native_dataset_optional_args_t native;
    native.get_chunk_info_by_coord.offset = offset;
    native.get_chunk_info_by_coord.filter_mask = &mask;
    native.get_chunk_info_by_coord.addr = &addr;
    native.get_chunk_info_by_coord.size = &size;
    H5VL_optional_args_t args = {H5VL_NATIVE_DATASET_GET_CHUNK_INFO_BY_COORD, &native};
    if (H5VLdataset_optional(under_dset, under_vol_id, &args, dxpl_id, NULL) < 0)
        return -1;
    *stored = addr != HADDR_UNDEF;
    *filter_mask = mask;
    *bytes = size;
    return 0;
}

herr_t
lzv_native_chunk_read(void *under_dset, hid_t under_vol_id, const hsize_t *offset, hid_t dxpl_id, void *buf,
                      size_t bytes, uint32_t *filter_mask)
{
    H5VL_native_dataset_optional_args_t native;
    native.chunk_read.offset = offset;
    native.chunk_read.filters = 0;
    native.chunk_read.buf = buf;
#if H5_VERSION_GE(2, 0, 0)
    size_t size = bytes;
    native.chunk_read.buf_size = &size; /* in: the buffer's size; out: the chunk's */
#else
    (void)bytes; /* 1.14 reads the chunk's stored size, which the caller sized buf to */
#endif
    H5VL_optional_args_t args = {H5VL_NATIVE_DATASET_CHUNK_READ, &native};
    if (H5VLdataset_optional(under_dset, under_vol_id, &args, dxpl_id, NULL) < 0)
        return -1;
#if H5_VERSION_GE(2, 0, 0)
    if (size != bytes)
        return -1; /* the chunk changed size since its info was read */
#endif
    *filter_mask = native.chunk_read.filters;
    return 0;
}
