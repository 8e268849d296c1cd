/* lzv_dims.h — the dimensions of a new virtual dataset: HDF5 dimension
 * scales, which netCDF-C, netCDF4-python, h5netcdf and xarray read as named
 * dimensions with coordinates. How each axis gets one is in lzv_dims.c. */
#ifndef LZV_DIMS_H
#define LZV_DIMS_H

#include "lzv_binding.h"

/* The paths of the datasets made while defining one (coordinates), so
 * that a define that fails can remove them. */
typedef struct lzv_created {
    char **paths; /* malloc'd, each malloc'd */
    size_t n;     /* entries in paths */
} lzv_created;

/* Remove (unlink) every dataset listed; errors are ignored, the stack is
 * left as it was. */
void lzv_created_remove(lzv_created *c, lzv_obj *file, hid_t dxpl_id);
void lzv_created_destroy(lzv_created *c);

/* Whether define's named dimensions fit a result of rank `rank`: each
 * axis in range (negative from the end) and named once, each name a
 * non-empty name without '/'. If not, why says so. */
bool lzv_dims_named_valid(const h5lazy_dim_t *named, int n, int rank, char *why, size_t size);

/* Give the new virtual dataset `dset`, at `name` in `file` and bound as b,
 * its dimensions: those named, then those its axes come from. Datasets
 * made on the way are listed in `created`. Returns -1 with why set on
 * failure. */
herr_t lzv_dims_attach(lzv_obj *file, const char *name, void *dset, const lzv_binding *b, const h5lazy_dim_t *named,
                       int nnamed, lzv_created *created, hid_t dxpl_id, char *why, size_t size);

/* The dimension name of axis `in_axis` of the input of the binding's root
 * reduction (lz_graph_root_reduction), for cell_methods: a new string, or
 * NULL when that axis has no dimension scale. */
char *lzv_dims_reduced_name(const lzv_binding *b, int in_axis, hid_t dxpl_id);

/* Take the dataset off the REFERENCE_LIST of every scale its
 * DIMENSION_LIST names, before it is replaced or removed. What cannot be
 * read or written is left as it is (a stale entry is what HDF5 itself
 * leaves when a dataset is deleted); the error stack is left as it was. */
void lzv_dims_detach(void *dset, hid_t vol_id, hid_t dxpl_id);

#endif
