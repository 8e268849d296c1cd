/* lzv_datatype.c — datatype_cls (committed datatypes): pass-through. */
#include "lzv.h"

void *
lzv_datatype_commit(void *obj, const H5VL_loc_params_t *loc_params, const char *name, hid_t type_id,
                    hid_t lcpl_id, hid_t tcpl_id, hid_t tapl_id, hid_t dxpl_id, void **req)
{
    lzv_obj *o = obj;
    void *under = H5VLdatatype_commit(o->under_object, loc_params, o->under_vol_id, name, type_id,
                                      lcpl_id, tcpl_id, tapl_id, dxpl_id, req);
    if (!under)
        return NULL;
    lzv_wrap_request(req, o);
    return lzv_obj_wrap(under, H5I_DATATYPE, o, dxpl_id);
}

void *
lzv_datatype_open(void *obj, const H5VL_loc_params_t *loc_params, const char *name, hid_t tapl_id,
                  hid_t dxpl_id, void **req)
{
    lzv_obj *o = obj;
    void *under =
        H5VLdatatype_open(o->under_object, loc_params, o->under_vol_id, name, tapl_id, dxpl_id, req);
    if (!under)
        return NULL;
    lzv_wrap_request(req, o);
    return lzv_obj_wrap(under, H5I_DATATYPE, o, dxpl_id);
}

herr_t
lzv_datatype_get(void *dt, H5VL_datatype_get_args_t *args, hid_t dxpl_id, void **req)
{
    lzv_obj *o = dt;
    herr_t ret = H5VLdatatype_get(o->under_object, o->under_vol_id, args, dxpl_id, req);
    lzv_wrap_request(req, o);
    return ret;
}

herr_t
lzv_datatype_specific(void *obj, H5VL_datatype_specific_args_t *args, hid_t dxpl_id, void **req)
{
    lzv_obj *o = obj;
    herr_t ret = H5VLdatatype_specific(o->under_object, o->under_vol_id, args, dxpl_id, req);
    lzv_wrap_request(req, o);
    return ret;
}

herr_t
lzv_datatype_optional(void *obj, H5VL_optional_args_t *args, hid_t dxpl_id, void **req)
{
    lzv_obj *o = obj;
    herr_t ret = H5VLdatatype_optional(o->under_object, o->under_vol_id, args, dxpl_id, req);
    lzv_wrap_request(req, o);
    return ret;
}

herr_t
lzv_datatype_close(void *dt, hid_t dxpl_id, void **req)
{
    lzv_obj *o = dt;
    herr_t ret = H5VLdatatype_close(o->under_object, o->under_vol_id, dxpl_id, req);
    lzv_wrap_request(req, o);
    if (ret >= 0)
        lzv_obj_free(o);
    return ret;
}
