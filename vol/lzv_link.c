/* lzv_link.c — link_cls: pass-through. Objects passed in (the target of a
 * hard link, the ends of a copy or move) are unwrapped; either may be NULL
 * when the library means "the same location". */
#include "lzv.h"

static void *
under_of(void *obj)
{
    return obj ? ((lzv_obj *)obj)->under_object : NULL;
}

/* The under connector for an operation on two locations, either possibly
 * NULL. */
static const lzv_obj *
either(void *a, void *b)
{
    return a ? (const lzv_obj *)a : (const lzv_obj *)b;
}

herr_t
lzv_link_create(H5VL_link_create_args_t *args, void *obj, const H5VL_loc_params_t *loc_params,
                hid_t lcpl_id, hid_t lapl_id, hid_t dxpl_id, void **req)
{
    H5VL_link_create_args_t under_args = *args;
    const lzv_obj *o = obj;
    if (args->op_type == H5VL_LINK_CREATE_HARD) {
        under_args.args.hard.curr_obj = under_of(args->args.hard.curr_obj);
        if (!o)
            o = args->args.hard.curr_obj;
    }
    herr_t ret = H5VLlink_create(&under_args, under_of(obj), loc_params, o->under_vol_id, lcpl_id,
                                 lapl_id, dxpl_id, req);
    lzv_wrap_request(req, o);
    return ret;
}

herr_t
lzv_link_copy(void *src_obj, const H5VL_loc_params_t *loc_params1, void *dst_obj,
              const H5VL_loc_params_t *loc_params2, hid_t lcpl_id, hid_t lapl_id, hid_t dxpl_id,
              void **req)
{
    const lzv_obj *o = either(src_obj, dst_obj);
    herr_t ret = H5VLlink_copy(under_of(src_obj), loc_params1, under_of(dst_obj), loc_params2,
                               o->under_vol_id, lcpl_id, lapl_id, dxpl_id, req);
    lzv_wrap_request(req, o);
    return ret;
}

herr_t
lzv_link_move(void *src_obj, const H5VL_loc_params_t *loc_params1, void *dst_obj,
              const H5VL_loc_params_t *loc_params2, hid_t lcpl_id, hid_t lapl_id, hid_t dxpl_id,
              void **req)
{
    const lzv_obj *o = either(src_obj, dst_obj);
    herr_t ret = H5VLlink_move(under_of(src_obj), loc_params1, under_of(dst_obj), loc_params2,
                               o->under_vol_id, lcpl_id, lapl_id, dxpl_id, req);
    lzv_wrap_request(req, o);
    return ret;
}

herr_t
lzv_link_get(void *obj, const H5VL_loc_params_t *loc_params, H5VL_link_get_args_t *args, hid_t dxpl_id,
             void **req)
{
    lzv_obj *o = obj;
    herr_t ret = H5VLlink_get(o->under_object, loc_params, o->under_vol_id, args, dxpl_id, req);
    lzv_wrap_request(req, o);
    return ret;
}

herr_t
lzv_link_specific(void *obj, const H5VL_loc_params_t *loc_params, H5VL_link_specific_args_t *args,
                  hid_t dxpl_id, void **req)
{
    lzv_obj *o = obj;
    herr_t ret = H5VLlink_specific(o->under_object, loc_params, o->under_vol_id, args, dxpl_id, req);
    lzv_wrap_request(req, o);
    return ret;
}

herr_t
lzv_link_optional(void *obj, const H5VL_loc_params_t *loc_params, H5VL_optional_args_t *args,
                  hid_t dxpl_id, void **req)
{
    lzv_obj *o = obj;
    herr_t ret = H5VLlink_optional(o->under_object, loc_params, o->under_vol_id, args, dxpl_id, req);
    lzv_wrap_request(req, o);
    return ret;
}
