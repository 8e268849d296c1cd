/* lzv_object.c — object_cls: pass-through, except that datasets opened as
 * generic objects (H5Oopen, which h5py uses; H5Rdereference) are examined
 * for a definition like those opened with H5Dopen. */
#include "lzv.h"
#include "lzv_binding.h"
#include "lzv_vdset.h"

void *
lzv_object_open(void *obj, const H5VL_loc_params_t *loc_params, H5I_type_t *opened_type,
                hid_t dxpl_id, void **req)
{
    lzv_obj *o = obj;
    void *under =
        H5VLobject_open(o->under_object, loc_params, o->under_vol_id, opened_type, dxpl_id, req);
    if (!under)
        return NULL;
    lzv_wrap_request(req, o);
    if (*opened_type == H5I_DATASET)
        return lzv_vdset_wrap_opened(under, o, dxpl_id);
    return lzv_obj_wrap(under, *opened_type, o, dxpl_id);
}

herr_t
lzv_object_copy(void *src_obj, const H5VL_loc_params_t *src_loc_params, const char *src_name,
                void *dst_obj, const H5VL_loc_params_t *dst_loc_params, const char *dst_name,
                hid_t ocpypl_id, hid_t lcpl_id, hid_t dxpl_id, void **req)
{
    lzv_obj *src = src_obj, *dst = dst_obj;
    herr_t ret = H5VLobject_copy(src->under_object, src_loc_params, src_name, dst->under_object,
                                 dst_loc_params, dst_name, src->under_vol_id, ocpypl_id, lcpl_id,
                                 dxpl_id, req);
    lzv_wrap_request(req, src);
    return ret;
}

herr_t
lzv_object_get(void *obj, const H5VL_loc_params_t *loc_params, H5VL_object_get_args_t *args,
               hid_t dxpl_id, void **req)
{
    lzv_obj *o = obj;
    herr_t ret = H5VLobject_get(o->under_object, loc_params, o->under_vol_id, args, dxpl_id, req);
    lzv_wrap_request(req, o);
    return ret;
}

herr_t
lzv_object_specific(void *obj, const H5VL_loc_params_t *loc_params, H5VL_object_specific_args_t *args,
                    hid_t dxpl_id, void **req)
{
    lzv_obj *o = obj;
    if (args->op_type == H5VL_OBJECT_REFRESH)
        lzv_data_changed(); /* the file may hold new data: drop kept results */
    herr_t ret = H5VLobject_specific(o->under_object, loc_params, o->under_vol_id, args, dxpl_id, req);
    lzv_wrap_request(req, o);
    return ret;
}

herr_t
lzv_object_optional(void *obj, const H5VL_loc_params_t *loc_params, H5VL_optional_args_t *args,
                    hid_t dxpl_id, void **req)
{
    lzv_obj *o = obj;
    herr_t ret = H5VLobject_optional(o->under_object, loc_params, o->under_vol_id, args, dxpl_id, req);
    lzv_wrap_request(req, o);
    return ret;
}
