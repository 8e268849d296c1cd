/* lzv_services.c — introspect_cls, request_cls, blob_cls, token_cls and the
 * catch-all optional slot: pass-through, with the connector's own answers
 * where the library asks about h5lazy itself. */
#include "lzv.h"
#include "lzv_vdset.h"

herr_t
lzv_introspect_get_conn_cls(void *obj, H5VL_get_conn_lvl_t lvl, const H5VL_class_t **conn_cls)
{
    if (lvl == H5VL_GET_CONN_LVL_CURR) {
        *conn_cls = &lzv_class;
        return 0;
    }
    lzv_obj *o = obj;
    return H5VLintrospect_get_conn_cls(o->under_object, o->under_vol_id, lvl, conn_cls);
}

herr_t
lzv_introspect_get_cap_flags(const void *info, uint64_t *cap_flags)
{
    const lzv_info *i = info;
    herr_t ret;
    if (i) {
        ret = H5VLintrospect_get_cap_flags(i->under_vol_info, i->under_vol_id, cap_flags);
    } else { /* no info: native underneath */
        hid_t native = H5VLget_connector_id_by_value(H5_VOL_NATIVE);
        ret = H5VLintrospect_get_cap_flags(NULL, native, cap_flags);
        hid_t saved = lzv_stack_save();
        H5VLclose(native);
        lzv_stack_restore(saved);
    }
    if (ret >= 0)
        *cap_flags |= lzv_class.cap_flags;
    return ret;
}

herr_t
lzv_introspect_opt_query(void *obj, H5VL_subclass_t cls, int opt_type, uint64_t *flags)
{
    lzv_obj *o = obj;
    if (cls == H5VL_SUBCLS_FILE && opt_type == lzv_op_define) {
        *flags = H5VL_OPT_QUERY_SUPPORTED | H5VL_OPT_QUERY_MODIFY_METADATA | H5VL_OPT_QUERY_QUERY_METADATA;
        return 0;
    }
    if (cls == H5VL_SUBCLS_DATASET && o->kind == LZV_KIND_VIRTUAL) {
        *flags = lzv_vdset_optional_flags(opt_type);
        return 0;
    }
    return H5VLintrospect_opt_query(o->under_object, o->under_vol_id, cls, opt_type, flags);
}

/* A request object's wrapper dies once the request has completed. */
herr_t
lzv_request_wait(void *req, uint64_t timeout, H5VL_request_status_t *status)
{
    lzv_obj *o = req;
    herr_t ret = H5VLrequest_wait(o->under_object, o->under_vol_id, timeout, status);
    if (ret >= 0 && *status != H5VL_REQUEST_STATUS_IN_PROGRESS)
        lzv_obj_free(o);
    return ret;
}

herr_t
lzv_request_notify(void *req, H5VL_request_notify_t cb, void *ctx)
{
    lzv_obj *o = req;
    herr_t ret = H5VLrequest_notify(o->under_object, o->under_vol_id, cb, ctx);
    if (ret >= 0)
        lzv_obj_free(o);
    return ret;
}

herr_t
lzv_request_cancel(void *req, H5VL_request_status_t *status)
{
    lzv_obj *o = req;
    herr_t ret = H5VLrequest_cancel(o->under_object, o->under_vol_id, status);
    if (ret >= 0)
        lzv_obj_free(o);
    return ret;
}

herr_t
lzv_request_specific(void *req, H5VL_request_specific_args_t *args)
{
    lzv_obj *o = req;
    return H5VLrequest_specific(o->under_object, o->under_vol_id, args);
}

herr_t
lzv_request_optional(void *req, H5VL_optional_args_t *args)
{
    lzv_obj *o = req;
    return H5VLrequest_optional(o->under_object, o->under_vol_id, args);
}

herr_t
lzv_request_free(void *req)
{
    lzv_obj *o = req;
    herr_t ret = H5VLrequest_free(o->under_object, o->under_vol_id);
    if (ret >= 0)
        lzv_obj_free(o);
    return ret;
}

herr_t
lzv_blob_put(void *obj, const void *buf, size_t size, void *blob_id, void *ctx)
{
    lzv_obj *o = obj;
    return H5VLblob_put(o->under_object, o->under_vol_id, buf, size, blob_id, ctx);
}

herr_t
lzv_blob_get(void *obj, const void *blob_id, void *buf, size_t size, void *ctx)
{
    lzv_obj *o = obj;
    return H5VLblob_get(o->under_object, o->under_vol_id, blob_id, buf, size, ctx);
}

herr_t
lzv_blob_specific(void *obj, void *blob_id, H5VL_blob_specific_args_t *args)
{
    lzv_obj *o = obj;
    return H5VLblob_specific(o->under_object, o->under_vol_id, blob_id, args);
}

herr_t
lzv_blob_optional(void *obj, void *blob_id, H5VL_optional_args_t *args)
{
    lzv_obj *o = obj;
    return H5VLblob_optional(o->under_object, o->under_vol_id, blob_id, args);
}

herr_t
lzv_token_cmp(void *obj, const H5O_token_t *token1, const H5O_token_t *token2, int *cmp_value)
{
    lzv_obj *o = obj;
    return H5VLtoken_cmp(o->under_object, o->under_vol_id, token1, token2, cmp_value);
}

herr_t
lzv_token_to_str(void *obj, H5I_type_t obj_type, const H5O_token_t *token, char **token_str)
{
    lzv_obj *o = obj;
    return H5VLtoken_to_str(o->under_object, obj_type, o->under_vol_id, token, token_str);
}

herr_t
lzv_token_from_str(void *obj, H5I_type_t obj_type, const char *token_str, H5O_token_t *token)
{
    lzv_obj *o = obj;
    return H5VLtoken_from_str(o->under_object, obj_type, o->under_vol_id, token_str, token);
}

herr_t
lzv_optional(void *obj, H5VL_optional_args_t *args, hid_t dxpl_id, void **req)
{
    lzv_obj *o = obj;
    herr_t ret = H5VLoptional(o->under_object, o->under_vol_id, args, dxpl_id, req);
    lzv_wrap_request(req, o);
    return ret;
}
