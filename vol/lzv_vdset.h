/* lzv_vdset.h — virtual datasets inside the connector: recognising them,
 * presenting them as stored datasets, and reading them through the engine. */
#ifndef LZV_VDSET_H
#define LZV_VDSET_H

#include "lzv.h"

/* Look at a dataset object once: if it carries a definition, load it and
 * mark the object virtual, else mark it stored. A definition that cannot
 * be used (a future format version, say) still makes the dataset virtual:
 * its reads fail with the reason, while its metadata stays inspectable. */
herr_t lzv_vdset_classify(lzv_obj *dset, hid_t dxpl_id);
/* Wrap a dataset just opened through the under connector and classify it;
 * on failure it is closed again and NULL returned with an error pushed. */
lzv_obj *lzv_vdset_wrap_opened(void *under, const lzv_obj *parent, hid_t dxpl_id);
void lzv_vdset_free(lzv_vdset *vd);

/* H5Dread of one virtual dataset, any selection and memory type. */
herr_t lzv_vdset_read(lzv_obj *dset, hid_t mem_type_id, hid_t mem_space_id, hid_t file_space_id,
                      hid_t dxpl_id, void *buf);
/* H5Dread_multi's virtual datasets: dsets[i] is the caller's index[i]-th
 * dataset (the arrays are the caller's). Those with the same shape and
 * exact box selection into contiguous memory are evaluated in one pass
 * (lzv_batch.h), the others one by one. */
herr_t lzv_vdset_read_many(size_t count, lzv_obj *const *dsets, const size_t *index, hid_t mem_type_id[],
                           hid_t mem_space_id[], hid_t file_space_id[], hid_t dxpl_id, void *buf[]);
/* Dataset "get" requests that differ from the placeholder's answers
 * (creation property list, storage size); *handled says whether it did. */
herr_t lzv_vdset_get(lzv_obj *dset, H5VL_dataset_get_args_t *args, hid_t dxpl_id, bool *handled);
/* Native optional dataset operations (chunk queries, offset) on a virtual
 * dataset, and what opt_query reports for them. */
herr_t lzv_vdset_optional(lzv_obj *dset, H5VL_optional_args_t *args);
uint64_t lzv_vdset_optional_flags(int opt_type);
/* The dataset's path, for messages. */
const char *lzv_vdset_name(const lzv_vdset *vd);

#endif
