/* lzv_attr.c — attr_cls: pass-through. Attributes of virtual datasets are
 * ordinary attributes of the placeholder, the definition included. */
#include "lzv.h"

void *
lzv_attr_create(void *obj, const H5VL_loc_params_t *loc_params, const char *name, hid_t type_id,
                hid_t space_id, hid_t acpl_id, hid_t aapl_id, hid_t dxpl_id, void **req)
{
    lzv_obj *o = obj;
    void *under = H5VLattr_create(o->under_object, loc_params, o->under_vol_id, name, type_id,
                                  space_id, acpl_id, aapl_id, dxpl_id, req);
    if (!under)
        return NULL;
    lzv_wrap_request(req, o);
    return lzv_obj_wrap(under, H5I_ATTR, o, dxpl_id);
}

void *
lzv_attr_open(void *obj, const H5VL_loc_params_t *loc_params, const char *name, hid_t aapl_id,
              hid_t dxpl_id, void **req)
{
    lzv_obj *o = obj;
    void *under =
        H5VLattr_open(o->under_object, loc_params, o->under_vol_id, name, aapl_id, dxpl_id, req);
    if (!under)
        return NULL;
    lzv_wrap_request(req, o);
    return lzv_obj_wrap(under, H5I_ATTR, o, dxpl_id);
}

herr_t
lzv_attr_read(void *attr, hid_t mem_type_id, void *buf, hid_t dxpl_id, void **req)
{
    lzv_obj *o = attr;
    herr_t ret = H5VLattr_read(o->under_object, o->under_vol_id, mem_type_id, buf, dxpl_id, req);
    lzv_wrap_request(req, o);
    return ret;
}

herr_t
lzv_attr_write(void *attr, hid_t mem_type_id, const void *buf, hid_t dxpl_id, void **req)
{
    lzv_obj *o = attr;
    herr_t ret = H5VLattr_write(o->under_object, o->under_vol_id, mem_type_id, buf, dxpl_id, req);
    lzv_wrap_request(req, o);
    return ret;
}

herr_t
lzv_attr_get(void *obj, H5VL_attr_get_args_t *args, hid_t dxpl_id, void **req)
{
    lzv_obj *o = obj;
    herr_t ret = H5VLattr_get(o->under_object, o->under_vol_id, args, dxpl_id, req);
    lzv_wrap_request(req, o);
    return ret;
}

herr_t
lzv_attr_specific(void *obj, const H5VL_loc_params_t *loc_params, H5VL_attr_specific_args_t *args,
                  hid_t dxpl_id, void **req)
{
    lzv_obj *o = obj;
    herr_t ret = H5VLattr_specific(o->under_object, loc_params, o->under_vol_id, args, dxpl_id, req);
    lzv_wrap_request(req, o);
    return ret;
}

herr_t
lzv_attr_optional(void *obj, H5VL_optional_args_t *args, hid_t dxpl_id, void **req)
{
    lzv_obj *o = obj;
    herr_t ret = H5VLattr_optional(o->under_object, o->under_vol_id, args, dxpl_id, req);
    lzv_wrap_request(req, o);
    return ret;
}

herr_t
lzv_attr_close(void *attr, hid_t dxpl_id, void **req)
{
    lzv_obj *o = attr;
    herr_t ret = H5VLattr_close(o->under_object, o->under_vol_id, dxpl_id, req);
    lzv_wrap_request(req, o);
    if (ret >= 0)
        lzv_obj_free(o);
    return ret;
}
