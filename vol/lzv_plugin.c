/* lzv_plugin.c — the connector class table and the plugin entry points.
 *
 * HDF5 loads libh5lazy_vol.so from HDF5_PLUGIN_PATH and asks it, through the
 * two exported functions at the bottom, for this table. `version` must be
 * H5VL_VERSION or the library silently skips the plugin. Every slot is
 * filled: the connector is a complete pass-through (lzv_*.c), with virtual
 * datasets handled in the dataset slots.
 */
#include "lzv.h"
#include "lzv_chunk.h"
#include "lzv_workq.h"

#include <H5PLextern.h>

int lzv_op_define = -1;
int lzv_op_inspect = -1;

/* Register a connector-specific operation under its name, so that
 * applications find it with H5VLfind_opt_operation. A second copy of the
 * connector (or a re-initialisation) finds it already registered. */
static herr_t
register_operation(const char *name, int *op)
{
    /* The lookup fails when the name is new: keep that failure from being
     * printed by the application's automatic error handler. */
    H5E_auto2_t func;
    void *data;
    H5Eget_auto2(H5E_DEFAULT, &func, &data);
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
    herr_t found = H5VLfind_opt_operation(H5VL_SUBCLS_FILE, name, op);
    H5Eclear2(H5E_DEFAULT);
    H5Eset_auto2(H5E_DEFAULT, func, data);
    if (found >= 0)
        return 0;
    return H5VLregister_opt_operation(H5VL_SUBCLS_FILE, name, op);
}

static herr_t
lzv_initialize(hid_t vipl_id)
{
    (void)vipl_id;
    if (lzv_error_init() < 0 || register_operation(H5LAZY_OP_DEFINE, &lzv_op_define) < 0 ||
        register_operation(H5LAZY_OP_INSPECT, &lzv_op_inspect) < 0)
        return -1;
    return 0;
}

static herr_t
lzv_terminate(void)
{
    /* During library shutdown other packages may already be gone; nothing
     * here may fail the shutdown. */
    hid_t saved = lzv_stack_save();
    if (lzv_op_define >= 0)
        H5VLunregister_opt_operation(H5VL_SUBCLS_FILE, H5LAZY_OP_DEFINE);
    if (lzv_op_inspect >= 0)
        H5VLunregister_opt_operation(H5VL_SUBCLS_FILE, H5LAZY_OP_INSPECT);
    lzv_op_define = lzv_op_inspect = -1;
    lzv_error_term();
    lzv_file_unpin();
    lzv_workq_shutdown(); /* the decoding workers, idle between reads */
    lzv_chunk_forget_buffers();
    lzv_stack_restore(saved);
    return 0;
}

const H5VL_class_t lzv_class = {
    .version = H5VL_VERSION,
    .value = (H5VL_class_value_t)H5LAZY_VOL_VALUE,
    .name = H5LAZY_VOL_NAME,
    .conn_version = H5LAZY_VOL_VERSION,
    .cap_flags = H5VL_CAP_FLAG_NONE, /* ours are the under connector's (get_cap_flags) */
    .initialize = lzv_initialize,
    .terminate = lzv_terminate,
    .info_cls = {sizeof(lzv_info), lzv_info_copy, lzv_info_cmp, lzv_info_free, lzv_info_to_str,
                 lzv_info_from_str},
    .wrap_cls = {lzv_wrap_get_object, lzv_wrap_get_wrap_ctx, lzv_wrap_wrap_object,
                 lzv_wrap_unwrap_object, lzv_wrap_free_wrap_ctx},
    .attr_cls = {lzv_attr_create, lzv_attr_open, lzv_attr_read, lzv_attr_write, lzv_attr_get,
                 lzv_attr_specific, lzv_attr_optional, lzv_attr_close},
    .dataset_cls = {lzv_dataset_create, lzv_dataset_open, lzv_dataset_read, lzv_dataset_write,
                    lzv_dataset_get, lzv_dataset_specific, lzv_dataset_optional, lzv_dataset_close},
    .datatype_cls = {lzv_datatype_commit, lzv_datatype_open, lzv_datatype_get, lzv_datatype_specific,
                     lzv_datatype_optional, lzv_datatype_close},
    .file_cls = {lzv_file_create, lzv_file_open, lzv_file_get, lzv_file_specific, lzv_file_optional,
                 lzv_file_close},
    .group_cls = {lzv_group_create, lzv_group_open, lzv_group_get, lzv_group_specific,
                  lzv_group_optional, lzv_group_close},
    .link_cls = {lzv_link_create, lzv_link_copy, lzv_link_move, lzv_link_get, lzv_link_specific,
                 lzv_link_optional},
    .object_cls = {lzv_object_open, lzv_object_copy, lzv_object_get, lzv_object_specific,
                   lzv_object_optional},
    .introspect_cls = {lzv_introspect_get_conn_cls, lzv_introspect_get_cap_flags,
                       lzv_introspect_opt_query},
    .request_cls = {lzv_request_wait, lzv_request_notify, lzv_request_cancel, lzv_request_specific,
                    lzv_request_optional, lzv_request_free},
    .blob_cls = {lzv_blob_put, lzv_blob_get, lzv_blob_specific, lzv_blob_optional},
    .token_cls = {lzv_token_cmp, lzv_token_to_str, lzv_token_from_str},
    .optional = lzv_optional,
};

/* The only two symbols the plugin exports (tests/vol/check_exports.sh,
 * ctest plugin_exports, checks with nm). */
__attribute__((visibility("default"))) H5PL_type_t
H5PLget_plugin_type(void)
{
    return H5PL_TYPE_VOL;
}

__attribute__((visibility("default"))) const void *
H5PLget_plugin_info(void)
{
    return &lzv_class;
}
