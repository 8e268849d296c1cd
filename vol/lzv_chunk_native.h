/* lzv_chunk_native.h — the native connector's chunk operations reached from
 * inside a connector (H5VLdataset_optional with H5VL_NATIVE_DATASET_*),
 * whose argument structures differ between HDF5 1.14 and 2.x: the one
 * place that knows. Everything here runs on the thread HDF5 called us on.
 */
#ifndef LZV_CHUNK_NATIVE_H
#define LZV_CHUNK_NATIVE_H

#include "lzv.h"

/* Whether the under connector of `under_dset` answers chunk queries and
 * raw chunk reads (the native connector, or a pass-through over it). */
bool lzv_native_chunks_supported(void *under_dset, hid_t under_vol_id);
/* Where the chunk whose first element is at `offset` is stored: *stored
 * false when it was never written (no storage), else its filter mask and
 * stored size. -1 on failure, with HDF5's error on the stack. */
herr_t lzv_native_chunk_info(void *under_dset, hid_t under_vol_id, const hsize_t *offset, hid_t dxpl_id,
                             bool *stored, unsigned *filter_mask, hsize_t *bytes);
/* Read the stored bytes of that chunk into buf (of `bytes`, its stored
 * size) as they are in the file; *filter_mask gets the chunk's mask. -1 on
 * failure, with HDF5's error on the stack. */
herr_t lzv_native_chunk_read(void *under_dset, hid_t under_vol_id, const hsize_t *offset, hid_t dxpl_id, void *buf,
                             size_t bytes, uint32_t *filter_mask);

#endif
