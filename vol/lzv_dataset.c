/* lzv_dataset.c — dataset_cls: pass-through for stored datasets; virtual
 * datasets are recognised on open and served by lzv_vdset.c. A read of
 * several datasets (H5Dread_multi) is split: the stored ones go to the under
 * connector in one call, each virtual one through the engine. */
#include "lzv.h"
#include "lzv_binding.h"
#include "lzv_vdset.h"

#include <stdlib.h>

void *
lzv_dataset_create(void *obj, const H5VL_loc_params_t *loc_params, const char *name, hid_t lcpl_id,
                   hid_t type_id, hid_t space_id, hid_t dcpl_id, hid_t dapl_id, hid_t dxpl_id, void **req)
{
    lzv_obj *o = obj;
    void *under = H5VLdataset_create(o->under_object, loc_params, o->under_vol_id, name, lcpl_id, type_id,
                                     space_id, dcpl_id, dapl_id, dxpl_id, req);
    if (!under)
        return NULL;
    lzv_wrap_request(req, o);
    lzv_obj *d = lzv_obj_wrap(under, H5I_DATASET, o, dxpl_id);
    if (d)
        d->kind = LZV_KIND_STORED; /* created by the application: it has no definition */
    return d;
}

void *
lzv_dataset_open(void *obj, const H5VL_loc_params_t *loc_params, const char *name, hid_t dapl_id,
                 hid_t dxpl_id, void **req)
{
    lzv_obj *o = obj;
    void *under =
        H5VLdataset_open(o->under_object, loc_params, o->under_vol_id, name, dapl_id, dxpl_id, req);
    if (!under)
        return NULL;
    lzv_wrap_request(req, o);
    return lzv_vdset_wrap_opened(under, o, dxpl_id);
}

herr_t
lzv_dataset_read(size_t count, void *dset[], hid_t mem_type_id[], hid_t mem_space_id[],
                 hid_t file_space_id[], hid_t dxpl_id, void *buf[], void **req)
{
    size_t nvirtual = 0;
    for (size_t i = 0; i < count; i++) {
        lzv_obj *o = dset[i];
        if (lzv_vdset_classify(o, dxpl_id) < 0)
            return -1;
        nvirtual += o->kind == LZV_KIND_VIRTUAL;
    }
    const lzv_obj *first = dset[0];
    if (nvirtual == 0) { /* the common case: no copies of the arrays */
        void *small[8];
        void **under = count <= 8 ? small : malloc(count * sizeof *under);
        if (!under) {
            LZV_ERROR(LZ_ENOMEM, "out of memory for a read of %zu datasets", count);
            return -1;
        }
        for (size_t i = 0; i < count; i++)
            under[i] = ((lzv_obj *)dset[i])->under_object;
        herr_t ret = H5VLdataset_read(count, under, first->under_vol_id, mem_type_id, mem_space_id,
                                      file_space_id, dxpl_id, buf, req);
        if (under != small)
            free(under);
        lzv_wrap_request(req, first);
        return ret;
    }
    /* Stored datasets first, in one under call, then the virtual ones. */
    size_t nstored = count - nvirtual;
    if (nstored > 0) {
        void **under = malloc(nstored * sizeof *under), **bufs = malloc(nstored * sizeof *bufs);
        hid_t *ids = malloc(3 * nstored * sizeof *ids); /* types, memory spaces, file spaces */
        herr_t ret = -1;
        if (under && bufs && ids) {
            size_t n = 0;
            for (size_t i = 0; i < count; i++) {
                lzv_obj *o = dset[i];
                if (o->kind == LZV_KIND_VIRTUAL)
                    continue;
                under[n] = o->under_object;
                bufs[n] = buf[i];
                ids[n] = mem_type_id[i];
                ids[nstored + n] = mem_space_id[i];
                ids[2 * nstored + n] = file_space_id[i];
                n++;
            }
            ret = H5VLdataset_read(nstored, under, first->under_vol_id, ids, ids + nstored,
                                   ids + 2 * nstored, dxpl_id, bufs, NULL);
        } else {
            LZV_ERROR(LZ_ENOMEM, "out of memory for a read of %zu datasets", count);
        }
        free(under);
        free(bufs);
        free(ids);
        if (ret < 0)
            return ret;
    }
    if (nvirtual == 1) {
        for (size_t i = 0; i < count; i++) {
            lzv_obj *o = dset[i];
            if (o->kind == LZV_KIND_VIRTUAL)
                return lzv_vdset_read(o, mem_type_id[i], mem_space_id[i], file_space_id[i], dxpl_id, buf[i]);
        }
    }
    lzv_obj **virt = malloc(nvirtual * sizeof *virt);
    size_t *index = malloc(nvirtual * sizeof *index);
    herr_t ret = -1;
    if (virt && index) {
        size_t n = 0;
        for (size_t i = 0; i < count; i++) {
            if (((lzv_obj *)dset[i])->kind == LZV_KIND_VIRTUAL) {
                virt[n] = dset[i];
                index[n++] = i;
            }
        }
        ret = lzv_vdset_read_many(n, virt, index, mem_type_id, mem_space_id, file_space_id, dxpl_id, buf);
    } else {
        LZV_ERROR(LZ_ENOMEM, "out of memory for a read of %zu datasets", count);
    }
    free(virt);
    free(index);
    return ret;
}

herr_t
lzv_dataset_write(size_t count, void *dset[], hid_t mem_type_id[], hid_t mem_space_id[],
                  hid_t file_space_id[], hid_t dxpl_id, const void *buf[], void **req)
{
    for (size_t i = 0; i < count; i++) {
        lzv_obj *o = dset[i];
        if (lzv_vdset_classify(o, dxpl_id) < 0)
            return -1;
        if (o->kind == LZV_KIND_VIRTUAL) {
            /* Refuse the whole call: a partial multi-dataset write would
             * leave the stored datasets changed and the call failed. */
            LZV_ERROR(LZ_EVALUE,
                      "'%s' is a virtual dataset (computed by h5lazy); it cannot be written. Write "
                      "to its operands, or materialise it into a stored dataset first",
                      lzv_vdset_name(o->vdset));
            return -1;
        }
    }
    lzv_data_changed();
    const lzv_obj *first = dset[0];
    void *small[8];
    void **under = count <= 8 ? small : malloc(count * sizeof *under);
    if (!under) {
        LZV_ERROR(LZ_ENOMEM, "out of memory for a write of %zu datasets", count);
        return -1;
    }
    for (size_t i = 0; i < count; i++)
        under[i] = ((lzv_obj *)dset[i])->under_object;
    herr_t ret = H5VLdataset_write(count, under, first->under_vol_id, mem_type_id, mem_space_id,
                                   file_space_id, dxpl_id, buf, req);
    if (under != small)
        free(under);
    lzv_wrap_request(req, first);
    return ret;
}

herr_t
lzv_dataset_get(void *dset, H5VL_dataset_get_args_t *args, hid_t dxpl_id, void **req)
{
    lzv_obj *o = dset;
    if (lzv_vdset_classify(o, dxpl_id) < 0)
        return -1;
    if (o->kind == LZV_KIND_VIRTUAL) {
        bool handled = false;
        herr_t ret = lzv_vdset_get(o, args, dxpl_id, &handled);
        if (handled)
            return ret;
    }
    herr_t ret = H5VLdataset_get(o->under_object, o->under_vol_id, args, dxpl_id, req);
    lzv_wrap_request(req, o);
    return ret;
}

herr_t
lzv_dataset_specific(void *obj, H5VL_dataset_specific_args_t *args, hid_t dxpl_id, void **req)
{
    lzv_obj *o = obj;
    if (lzv_vdset_classify(o, dxpl_id) < 0)
        return -1;
    if (o->kind == LZV_KIND_VIRTUAL && args->op_type == H5VL_DATASET_SET_EXTENT) {
        LZV_ERROR(LZ_EVALUE,
                  "'%s' is a virtual dataset: its shape follows from its expression and cannot be "
                  "set",
                  lzv_vdset_name(o->vdset));
        return -1;
    }
    if (args->op_type == H5VL_DATASET_SET_EXTENT || args->op_type == H5VL_DATASET_REFRESH)
        lzv_data_changed();
    herr_t ret = H5VLdataset_specific(o->under_object, o->under_vol_id, args, dxpl_id, req);
    lzv_wrap_request(req, o);
    return ret;
}

herr_t
lzv_dataset_optional(void *obj, H5VL_optional_args_t *args, hid_t dxpl_id, void **req)
{
    lzv_obj *o = obj;
    if (lzv_vdset_classify(o, dxpl_id) < 0)
        return -1;
    if (o->kind == LZV_KIND_VIRTUAL)
        return lzv_vdset_optional(o, args);
    if (args->op_type == H5VL_NATIVE_DATASET_CHUNK_WRITE)
        lzv_data_changed();
    herr_t ret = H5VLdataset_optional(o->under_object, o->under_vol_id, args, dxpl_id, req);
    lzv_wrap_request(req, o);
    return ret;
}

herr_t
lzv_dataset_close(void *dset, hid_t dxpl_id, void **req)
{
    lzv_obj *o = dset;
    herr_t ret = H5VLdataset_close(o->under_object, o->under_vol_id, dxpl_id, req);
    lzv_wrap_request(req, o);
    if (ret >= 0)
        lzv_obj_free(o);
    return ret;
}
