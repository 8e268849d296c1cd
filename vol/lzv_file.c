/* lzv_file.c — file_cls: pass-through over the under connector named in the
 * FAPL's info, plus the connector's own file operations (define). */
#include "lzv.h"
#include "lzv_define.h"
#include "lzv_inspect.h"

/* HDF5 1.14.5's files and FAPLs hold no reference on the connector's ID.
 * When a native open fails while native is the default connector (an
 * operand file that does not exist, opened from inside our callback), the
 * library probes every plugin and drops the probe's reference, which frees
 * a connector whose application already closed its own ID: h5lazy would be
 * terminated in the middle of its own call (seen in gdb:
 * H5VL__file_open_find_connector_cb -> H5I_dec_app_ref -> terminate). One
 * reference of our own, taken at the first file open, keeps the connector
 * until library shutdown, which releases every ID regardless. The ID that
 * H5VLget_connector_id_by_name returns is that reference (both lines have
 * it; 2.x removed H5VLpeek_connector_id_by_name). */
static bool pinned;

static void
pin_connector(void)
{
    if (pinned)
        return;
    if (H5VLget_connector_id_by_name(H5LAZY_VOL_NAME) >= 0)
        pinned = true;
    else
        H5Eclear2(H5E_DEFAULT); /* registered under another name: nothing to pin */
}

void
lzv_file_unpin(void)
{
    pinned = false;
}

/* Open or create through the under connector. `create` selects which. */
static void *
open_or_create(const char *name, unsigned flags, hid_t fcpl_id, hid_t fapl_id, hid_t dxpl_id, void **req,
               bool create)
{
    pin_connector();
    lzv_info *info = lzv_info_from_fapl(fapl_id);
    if (!info)
        return NULL;
    void *under = NULL;
    lzv_obj *file = NULL;
    hid_t under_fapl = lzv_under_fapl(fapl_id, info);
    if (under_fapl >= 0) {
        under = create ? H5VLfile_create(name, flags, fcpl_id, under_fapl, dxpl_id, req)
                       : H5VLfile_open(name, flags, under_fapl, dxpl_id, req);
    }
    if (under) {
        /* The access context keeps the under FAPL for opening operands. */
        lzv_access *access = lzv_access_new(fapl_id, under_fapl, flags, &info->config);
        under_fapl = H5I_INVALID_HID;
        if (access) {
            file = lzv_obj_new(under, info->under_vol_id, access);
            lzv_access_unref(access);
        }
        if (file) {
            lzv_wrap_request(req, file);
        } else {
            H5VLfile_close(under, info->under_vol_id, dxpl_id, NULL);
            LZV_ERROR(LZ_ENOMEM, "out of memory opening '%s'", name);
        }
    }
    /* Keep the under connector's errors (h5py maps "errno = 2" at the bottom
     * of the stack to FileNotFoundError) across the cleanup calls. */
    hid_t saved = file ? H5I_INVALID_HID : lzv_stack_save();
    if (under_fapl >= 0)
        H5Pclose(under_fapl);
    lzv_info_free(info);
    lzv_stack_restore(saved);
    return file;
}

void *
lzv_file_create(const char *name, unsigned flags, hid_t fcpl_id, hid_t fapl_id, hid_t dxpl_id, void **req)
{
    return open_or_create(name, flags, fcpl_id, fapl_id, dxpl_id, req, true);
}

void *
lzv_file_open(const char *name, unsigned flags, hid_t fapl_id, hid_t dxpl_id, void **req)
{
    return open_or_create(name, flags, H5P_DEFAULT, fapl_id, dxpl_id, req, false);
}

herr_t
lzv_file_get(void *file, H5VL_file_get_args_t *args, hid_t dxpl_id, void **req)
{
    lzv_obj *o = file;
    herr_t ret = H5VLfile_get(o->under_object, o->under_vol_id, args, dxpl_id, req);
    lzv_wrap_request(req, o);
    return ret;
}

/* is_accessible and delete come without a file object: they carry a FAPL
 * whose info names the under connector. */
static herr_t
specific_by_fapl(H5VL_file_specific_args_t *args, hid_t *fapl_slot, hid_t dxpl_id, void **req)
{
    lzv_info *info = lzv_info_from_fapl(*fapl_slot);
    if (!info)
        return -1;
    H5VL_file_specific_args_t under_args = *args;
    hid_t *under_slot = args->op_type == H5VL_FILE_IS_ACCESSIBLE ? &under_args.args.is_accessible.fapl_id
                                                                  : &under_args.args.del.fapl_id;
    herr_t ret = -1;
    *under_slot = lzv_under_fapl(*fapl_slot, info);
    if (*under_slot >= 0)
        ret = H5VLfile_specific(NULL, info->under_vol_id, &under_args, dxpl_id, req);
    hid_t saved = ret < 0 ? lzv_stack_save() : H5I_INVALID_HID;
    if (*under_slot >= 0)
        H5Pclose(*under_slot);
    lzv_info_free(info);
    lzv_stack_restore(saved);
    return ret;
}

herr_t
lzv_file_specific(void *file, H5VL_file_specific_args_t *args, hid_t dxpl_id, void **req)
{
    lzv_obj *o = file;
    if (args->op_type == H5VL_FILE_IS_ACCESSIBLE)
        return specific_by_fapl(args, &args->args.is_accessible.fapl_id, dxpl_id, req);
    if (args->op_type == H5VL_FILE_DELETE)
        return specific_by_fapl(args, &args->args.del.fapl_id, dxpl_id, req);
    /* (H5VL_FILE_IS_EQUAL's second file arrives already unwrapped to the
     * terminal connector's object: nothing to translate.) */
    herr_t ret = H5VLfile_specific(o->under_object, o->under_vol_id, args, dxpl_id, req);
    lzv_wrap_request(req, o);
    if (ret >= 0 && args->op_type == H5VL_FILE_REOPEN && *args->args.reopen.file) {
        void *under = *args->args.reopen.file;
        *args->args.reopen.file = lzv_obj_wrap(under, H5I_FILE, o, dxpl_id);
        if (!*args->args.reopen.file)
            return -1;
    }
    return ret;
}

herr_t
lzv_file_optional(void *file, H5VL_optional_args_t *args, hid_t dxpl_id, void **req)
{
    lzv_obj *o = file;
    /* H5VLfile_optional_op hands the caller's H5P_DEFAULT through as is;
     * the under connector needs a real transfer list. */
    hid_t dxpl = dxpl_id == H5P_DEFAULT ? H5P_DATASET_XFER_DEFAULT : dxpl_id;
    if (args->op_type == lzv_op_define)
        return lzv_define(o, args->args, dxpl);
    if (args->op_type == lzv_op_inspect)
        return lzv_inspect(o, args->args, dxpl);
    herr_t ret = H5VLfile_optional(o->under_object, o->under_vol_id, args, dxpl_id, req);
    lzv_wrap_request(req, o);
    return ret;
}

herr_t
lzv_file_close(void *file, hid_t dxpl_id, void **req)
{
    lzv_obj *o = file;
    herr_t ret = H5VLfile_close(o->under_object, o->under_vol_id, dxpl_id, req);
    lzv_wrap_request(req, o);
    if (ret >= 0)
        lzv_obj_free(o);
    return ret;
}
