/* lzv_group.c — group_cls: pass-through to the under connector. Mounting
 * passes the child file as an object of ours, which the under connector
 * must receive unwrapped. */
#include "lzv.h"

void *
lzv_group_create(void *obj, const H5VL_loc_params_t *loc_params, const char *name, hid_t lcpl_id,
                 hid_t gcpl_id, hid_t gapl_id, hid_t dxpl_id, void **req)
{
    lzv_obj *o = obj;
    void *under = H5VLgroup_create(o->under_object, loc_params, o->under_vol_id, name, lcpl_id, gcpl_id,
                                   gapl_id, dxpl_id, req);
    if (!under)
        return NULL;
    lzv_wrap_request(req, o);
    return lzv_obj_wrap(under, H5I_GROUP, o, dxpl_id);
}

void *
lzv_group_open(void *obj, const H5VL_loc_params_t *loc_params, const char *name, hid_t gapl_id,
               hid_t dxpl_id, void **req)
{
    lzv_obj *o = obj;
    void *under =
        H5VLgroup_open(o->under_object, loc_params, o->under_vol_id, name, gapl_id, dxpl_id, req);
    if (!under)
        return NULL;
    lzv_wrap_request(req, o);
    return lzv_obj_wrap(under, H5I_GROUP, o, dxpl_id);
}

herr_t
lzv_group_get(void *obj, H5VL_group_get_args_t *args, hid_t dxpl_id, void **req)
{
    lzv_obj *o = obj;
    herr_t ret = H5VLgroup_get(o->under_object, o->under_vol_id, args, dxpl_id, req);
    lzv_wrap_request(req, o);
    return ret;
}

herr_t
lzv_group_specific(void *obj, H5VL_group_specific_args_t *args, hid_t dxpl_id, void **req)
{
    lzv_obj *o = obj;
    H5VL_group_specific_args_t under_args = *args;
    if (args->op_type == H5VL_GROUP_MOUNT)
        under_args.args.mount.child_file = ((lzv_obj *)args->args.mount.child_file)->under_object;
    herr_t ret = H5VLgroup_specific(o->under_object, o->under_vol_id, &under_args, dxpl_id, req);
    lzv_wrap_request(req, o);
    return ret;
}

herr_t
lzv_group_optional(void *obj, H5VL_optional_args_t *args, hid_t dxpl_id, void **req)
{
    lzv_obj *o = obj;
    herr_t ret = H5VLgroup_optional(o->under_object, o->under_vol_id, args, dxpl_id, req);
    lzv_wrap_request(req, o);
    return ret;
}

herr_t
lzv_group_close(void *grp, hid_t dxpl_id, void **req)
{
    lzv_obj *o = grp;
    herr_t ret = H5VLgroup_close(o->under_object, o->under_vol_id, dxpl_id, req);
    lzv_wrap_request(req, o);
    if (ret >= 0)
        lzv_obj_free(o);
    return ret;
}
