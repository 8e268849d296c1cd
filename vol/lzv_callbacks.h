/* lzv_callbacks.h — the connector's H5VL_class_t callbacks, named after the
 * slots they fill (lzv_<class>_<slot>), so HDF5's documentation of a slot
 * maps to its code by grep. Implemented one class per file. */
#ifndef LZV_CALLBACKS_H
#define LZV_CALLBACKS_H

#include <hdf5.h>

/* lzv_wrap.c: wrap_cls */
void *lzv_wrap_get_object(const void *obj);
herr_t lzv_wrap_get_wrap_ctx(const void *obj, void **wrap_ctx);
void *lzv_wrap_wrap_object(void *obj, H5I_type_t obj_type, void *wrap_ctx);
void *lzv_wrap_unwrap_object(void *obj);
herr_t lzv_wrap_free_wrap_ctx(void *wrap_ctx);

/* lzv_attr.c: attr_cls */
void *lzv_attr_create(void *obj, const H5VL_loc_params_t *loc_params, const char *name, hid_t type_id,
                      hid_t space_id, hid_t acpl_id, hid_t aapl_id, hid_t dxpl_id, void **req);
void *lzv_attr_open(void *obj, const H5VL_loc_params_t *loc_params, const char *name, hid_t aapl_id,
                    hid_t dxpl_id, void **req);
herr_t lzv_attr_read(void *attr, hid_t mem_type_id, void *buf, hid_t dxpl_id, void **req);
herr_t lzv_attr_write(void *attr, hid_t mem_type_id, const void *buf, hid_t dxpl_id, void **req);
herr_t lzv_attr_get(void *obj, H5VL_attr_get_args_t *args, hid_t dxpl_id, void **req);
herr_t lzv_attr_specific(void *obj, const H5VL_loc_params_t *loc_params, H5VL_attr_specific_args_t *args,
                         hid_t dxpl_id, void **req);
herr_t lzv_attr_optional(void *obj, H5VL_optional_args_t *args, hid_t dxpl_id, void **req);
herr_t lzv_attr_close(void *attr, hid_t dxpl_id, void **req);

/* lzv_dataset.c: dataset_cls */
void *lzv_dataset_create(void *obj, const H5VL_loc_params_t *loc_params, const char *name, hid_t lcpl_id,
                         hid_t type_id, hid_t space_id, hid_t dcpl_id, hid_t dapl_id, hid_t dxpl_id,
                         void **req);
void *lzv_dataset_open(void *obj, const H5VL_loc_params_t *loc_params, const char *name, hid_t dapl_id,
                       hid_t dxpl_id, void **req);
herr_t lzv_dataset_read(size_t count, void *dset[], hid_t mem_type_id[], hid_t mem_space_id[],
                        hid_t file_space_id[], hid_t dxpl_id, void *buf[], void **req);
herr_t lzv_dataset_write(size_t count, void *dset[], hid_t mem_type_id[], hid_t mem_space_id[],
                         hid_t file_space_id[], hid_t dxpl_id, const void *buf[], void **req);
herr_t lzv_dataset_get(void *dset, H5VL_dataset_get_args_t *args, hid_t dxpl_id, void **req);
herr_t lzv_dataset_specific(void *obj, H5VL_dataset_specific_args_t *args, hid_t dxpl_id, void **req);
herr_t lzv_dataset_optional(void *obj, H5VL_optional_args_t *args, hid_t dxpl_id, void **req);
herr_t lzv_dataset_close(void *dset, hid_t dxpl_id, void **req);

/* lzv_datatype.c: datatype_cls */
void *lzv_datatype_commit(void *obj, const H5VL_loc_params_t *loc_params, const char *name, hid_t type_id,
                          hid_t lcpl_id, hid_t tcpl_id, hid_t tapl_id, hid_t dxpl_id, void **req);
void *lzv_datatype_open(void *obj, const H5VL_loc_params_t *loc_params, const char *name, hid_t tapl_id,
                        hid_t dxpl_id, void **req);
herr_t lzv_datatype_get(void *dt, H5VL_datatype_get_args_t *args, hid_t dxpl_id, void **req);
herr_t lzv_datatype_specific(void *obj, H5VL_datatype_specific_args_t *args, hid_t dxpl_id, void **req);
herr_t lzv_datatype_optional(void *obj, H5VL_optional_args_t *args, hid_t dxpl_id, void **req);
herr_t lzv_datatype_close(void *dt, hid_t dxpl_id, void **req);

/* lzv_file.c: file_cls */
void *lzv_file_create(const char *name, unsigned flags, hid_t fcpl_id, hid_t fapl_id, hid_t dxpl_id,
                      void **req);
void *lzv_file_open(const char *name, unsigned flags, hid_t fapl_id, hid_t dxpl_id, void **req);
herr_t lzv_file_get(void *file, H5VL_file_get_args_t *args, hid_t dxpl_id, void **req);
herr_t lzv_file_specific(void *file, H5VL_file_specific_args_t *args, hid_t dxpl_id, void **req);
herr_t lzv_file_optional(void *file, H5VL_optional_args_t *args, hid_t dxpl_id, void **req);
herr_t lzv_file_close(void *file, hid_t dxpl_id, void **req);

/* lzv_group.c: group_cls */
void *lzv_group_create(void *obj, const H5VL_loc_params_t *loc_params, const char *name, hid_t lcpl_id,
                       hid_t gcpl_id, hid_t gapl_id, hid_t dxpl_id, void **req);
void *lzv_group_open(void *obj, const H5VL_loc_params_t *loc_params, const char *name, hid_t gapl_id,
                     hid_t dxpl_id, void **req);
herr_t lzv_group_get(void *obj, H5VL_group_get_args_t *args, hid_t dxpl_id, void **req);
herr_t lzv_group_specific(void *obj, H5VL_group_specific_args_t *args, hid_t dxpl_id, void **req);
herr_t lzv_group_optional(void *obj, H5VL_optional_args_t *args, hid_t dxpl_id, void **req);
herr_t lzv_group_close(void *grp, hid_t dxpl_id, void **req);

/* lzv_link.c: link_cls */
herr_t lzv_link_create(H5VL_link_create_args_t *args, void *obj, const H5VL_loc_params_t *loc_params,
                       hid_t lcpl_id, hid_t lapl_id, hid_t dxpl_id, void **req);
herr_t lzv_link_copy(void *src_obj, const H5VL_loc_params_t *loc_params1, void *dst_obj,
                     const H5VL_loc_params_t *loc_params2, hid_t lcpl_id, hid_t lapl_id, hid_t dxpl_id,
                     void **req);
herr_t lzv_link_move(void *src_obj, const H5VL_loc_params_t *loc_params1, void *dst_obj,
                     const H5VL_loc_params_t *loc_params2, hid_t lcpl_id, hid_t lapl_id, hid_t dxpl_id,
                     void **req);
herr_t lzv_link_get(void *obj, const H5VL_loc_params_t *loc_params, H5VL_link_get_args_t *args,
                    hid_t dxpl_id, void **req);
herr_t lzv_link_specific(void *obj, const H5VL_loc_params_t *loc_params, H5VL_link_specific_args_t *args,
                         hid_t dxpl_id, void **req);
herr_t lzv_link_optional(void *obj, const H5VL_loc_params_t *loc_params, H5VL_optional_args_t *args,
                         hid_t dxpl_id, void **req);

/* lzv_object.c: object_cls */
void *lzv_object_open(void *obj, const H5VL_loc_params_t *loc_params, H5I_type_t *opened_type,
                      hid_t dxpl_id, void **req);
herr_t lzv_object_copy(void *src_obj, const H5VL_loc_params_t *src_loc_params, const char *src_name,
                       void *dst_obj, const H5VL_loc_params_t *dst_loc_params, const char *dst_name,
                       hid_t ocpypl_id, hid_t lcpl_id, hid_t dxpl_id, void **req);
herr_t lzv_object_get(void *obj, const H5VL_loc_params_t *loc_params, H5VL_object_get_args_t *args,
                      hid_t dxpl_id, void **req);
herr_t lzv_object_specific(void *obj, const H5VL_loc_params_t *loc_params,
                           H5VL_object_specific_args_t *args, hid_t dxpl_id, void **req);
herr_t lzv_object_optional(void *obj, const H5VL_loc_params_t *loc_params, H5VL_optional_args_t *args,
                           hid_t dxpl_id, void **req);

/* lzv_services.c: introspect_cls, request_cls, blob_cls, token_cls, optional */
herr_t lzv_introspect_get_conn_cls(void *obj, H5VL_get_conn_lvl_t lvl, const H5VL_class_t **conn_cls);
herr_t lzv_introspect_get_cap_flags(const void *info, uint64_t *cap_flags);
herr_t lzv_introspect_opt_query(void *obj, H5VL_subclass_t cls, int opt_type, uint64_t *flags);
herr_t lzv_request_wait(void *req, uint64_t timeout, H5VL_request_status_t *status);
herr_t lzv_request_notify(void *req, H5VL_request_notify_t cb, void *ctx);
herr_t lzv_request_cancel(void *req, H5VL_request_status_t *status);
herr_t lzv_request_specific(void *req, H5VL_request_specific_args_t *args);
herr_t lzv_request_optional(void *req, H5VL_optional_args_t *args);
herr_t lzv_request_free(void *req);
herr_t lzv_blob_put(void *obj, const void *buf, size_t size, void *blob_id, void *ctx);
herr_t lzv_blob_get(void *obj, const void *blob_id, void *buf, size_t size, void *ctx);
herr_t lzv_blob_specific(void *obj, void *blob_id, H5VL_blob_specific_args_t *args);
herr_t lzv_blob_optional(void *obj, void *blob_id, H5VL_optional_args_t *args);
herr_t lzv_token_cmp(void *obj, const H5O_token_t *token1, const H5O_token_t *token2, int *cmp_value);
herr_t lzv_token_to_str(void *obj, H5I_type_t obj_type, const H5O_token_t *token, char **token_str);
herr_t lzv_token_from_str(void *obj, H5I_type_t obj_type, const char *token_str, H5O_token_t *token);
herr_t lzv_optional(void *obj, H5VL_optional_args_t *args, hid_t dxpl_id, void **req);

#endif
