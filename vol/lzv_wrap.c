/* lzv_wrap.c — the connector's objects: creating and freeing wrappers, and
 * the wrap_cls callbacks the library uses to wrap objects it gets from the
 * under connector directly (iteration callbacks, H5Fget_obj_ids, ...). */
#include "lzv.h"
#include "lzv_vdset.h"

#include <stdlib.h>

/* The access list for operand files. Not a copy of the user's: its driver
 * may be bound to the user's one file (h5py's file objects, "fileobj") and
 * would then read the holding file's bytes under another file's name. The
 * close degree must match the user's, though: HDF5 refuses to open a file
 * twice with different degrees, and users do open operand files. The
 * connector is the user's (h5lazy over its under connector), not the under
 * one: HDF5 shares one file struct between all opens of a file and gives
 * every open the VOL stack of the first, so a file the application has
 * open through h5lazy and the connector opened natively would end up
 * wrapped by the wrong connector (H5Fclose then fails, and the file stays
 * open). */
static hid_t
operand_fapl_of(hid_t fapl_id)
{
    hid_t fapl = H5Pcreate(H5P_FILE_ACCESS), vol = H5I_INVALID_HID;
    void *vol_info = NULL;
    H5F_close_degree_t degree;
    hbool_t locking, ignore_disabled;
    herr_t st = fapl < 0 ? -1 : 0;
    if (st >= 0 && H5Pget_fclose_degree(fapl_id, &degree) >= 0)
        st = H5Pset_fclose_degree(fapl, degree);
    if (st >= 0 && H5Pget_file_locking(fapl_id, &locking, &ignore_disabled) >= 0)
        st = H5Pset_file_locking(fapl, locking, ignore_disabled);
    if (st >= 0)
        st = H5Pget_vol_id(fapl_id, &vol);
    if (st >= 0)
        st = H5Pget_vol_info(fapl_id, &vol_info);
    if (st >= 0)
        st = H5Pset_vol(fapl, vol, vol_info);
    hid_t saved = lzv_stack_save();
    if (vol_info)
        H5VLfree_connector_info(vol, vol_info);
    if (vol >= 0)
        H5VLclose(vol);
    if (st < 0 && fapl >= 0) {
        H5Pclose(fapl);
        fapl = H5I_INVALID_HID;
    }
    lzv_stack_restore(saved);
    return fapl;
}

lzv_access *
lzv_access_new(hid_t fapl_id, hid_t under_fapl, unsigned file_flags, const lzv_config *config)
{
    lzv_access *a = calloc(1, sizeof *a);
    hid_t operand_fapl = a ? operand_fapl_of(fapl_id) : H5I_INVALID_HID;
    if (!a || operand_fapl < 0) {
        if (!a)
            LZV_ERROR(LZ_ENOMEM, "out of memory opening a file");
        hid_t saved = lzv_stack_save();
        H5Pclose(under_fapl);
        lzv_stack_restore(saved);
        free(a);
        return NULL;
    }
    a->refs = 1;
    a->config = *config;
    a->under_fapl = under_fapl;
    a->operand_fapl = operand_fapl;
    a->operand_flags = H5F_ACC_RDONLY | (file_flags & H5F_ACC_SWMR_READ);
    return a;
}

lzv_access *
lzv_access_ref(lzv_access *access)
{
    access->refs++;
    return access;
}

void
lzv_access_unref(lzv_access *access)
{
    if (!access || --access->refs > 0)
        return;
    hid_t saved = lzv_stack_save();
    H5Pclose(access->under_fapl);
    H5Pclose(access->operand_fapl);
    lzv_stack_restore(saved);
    free(access);
}

lzv_obj *
lzv_obj_new(void *under_object, hid_t under_vol_id, lzv_access *access)
{
    lzv_obj *obj = calloc(1, sizeof *obj);
    if (!obj)
        return NULL;
    obj->under_object = under_object;
    obj->under_vol_id = under_vol_id;
    obj->access = lzv_access_ref(access);
    obj->kind = LZV_KIND_OTHER;
    H5Iinc_ref(under_vol_id);
    return obj;
}

void *
lzv_obj_wrap(void *under, H5I_type_t type, const lzv_obj *parent, hid_t dxpl_id)
{
    lzv_obj *o = lzv_obj_new(under, parent->under_vol_id, parent->access);
    if (o)
        return o;
    hid_t id = parent->under_vol_id;
    switch (type) {
    case H5I_FILE:
        H5VLfile_close(under, id, dxpl_id, NULL);
        break;
    case H5I_GROUP:
        H5VLgroup_close(under, id, dxpl_id, NULL);
        break;
    case H5I_DATASET:
        H5VLdataset_close(under, id, dxpl_id, NULL);
        break;
    case H5I_DATATYPE:
        H5VLdatatype_close(under, id, dxpl_id, NULL);
        break;
    case H5I_ATTR:
        H5VLattr_close(under, id, dxpl_id, NULL);
        break;
    default:
        break;
    }
    LZV_ERROR(LZ_ENOMEM, "out of memory wrapping a new object");
    return NULL;
}

void
lzv_obj_free(lzv_obj *obj)
{
    if (!obj)
        return;
    hid_t saved = lzv_stack_save();
    lzv_vdset_free(obj->vdset);
    H5Idec_ref(obj->under_vol_id);
    lzv_stack_restore(saved);
    lzv_access_unref(obj->access);
    free(obj);
}

void
lzv_wrap_request(void **req, const lzv_obj *like)
{
    if (req && *req) {
        /* Out of memory here leaves the under request in place: this slot
         * has no error path, and the only connectors that return requests
         * are asynchronous ones, which h5lazy is not stacked over in
         * practice (the native connector never returns one). */
        lzv_obj *r = lzv_obj_new(*req, like->under_vol_id, like->access);
        if (r)
            *req = r;
    }
}

void *
lzv_wrap_get_object(const void *obj)
{
    const lzv_obj *o = obj;
    return H5VLget_object(o->under_object, o->under_vol_id);
}

herr_t
lzv_wrap_get_wrap_ctx(const void *obj, void **wrap_ctx)
{
    const lzv_obj *o = obj;
    lzv_wrap_ctx *ctx = calloc(1, sizeof *ctx);
    if (!ctx) {
        LZV_ERROR(LZ_ENOMEM, "out of memory for a wrapping context");
        return -1;
    }
    ctx->under_vol_id = o->under_vol_id;
    ctx->access = lzv_access_ref(o->access);
    H5Iinc_ref(ctx->under_vol_id);
    if (H5VLget_wrap_ctx(o->under_object, o->under_vol_id, &ctx->under_wrap_ctx) < 0) {
        hid_t saved = lzv_stack_save();
        H5Idec_ref(ctx->under_vol_id);
        lzv_stack_restore(saved);
        lzv_access_unref(ctx->access);
        free(ctx);
        return -1;
    }
    *wrap_ctx = ctx;
    return 0;
}

void *
lzv_wrap_wrap_object(void *obj, H5I_type_t obj_type, void *wrap_ctx)
{
    lzv_wrap_ctx *ctx = wrap_ctx;
    void *under = H5VLwrap_object(obj, obj_type, ctx->under_vol_id, ctx->under_wrap_ctx);
    if (!under)
        return NULL;
    lzv_obj *o = lzv_obj_new(under, ctx->under_vol_id, ctx->access);
    if (!o)
        LZV_ERROR(LZ_ENOMEM, "out of memory wrapping an object");
    /* A dataset wrapped here is examined for a definition on first use
     * (lzv_vdset_classify), since this slot has no transfer list. */
    return o;
}

void *
lzv_wrap_unwrap_object(void *obj)
{
    lzv_obj *o = obj;
    void *under = H5VLunwrap_object(o->under_object, o->under_vol_id);
    if (under)
        lzv_obj_free(o);
    return under;
}

herr_t
lzv_wrap_free_wrap_ctx(void *wrap_ctx)
{
    lzv_wrap_ctx *ctx = wrap_ctx;
    hid_t saved = lzv_stack_save();
    herr_t ret = 0;
    if (ctx->under_wrap_ctx)
        ret = H5VLfree_wrap_ctx(ctx->under_wrap_ctx, ctx->under_vol_id);
    H5Idec_ref(ctx->under_vol_id);
    lzv_stack_restore(saved);
    lzv_access_unref(ctx->access);
    free(ctx);
    return ret;
}
