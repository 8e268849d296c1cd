/* lzv_plist_sel.c — the file selection of a read given as H5S_PLIST.
 *
 * H5Dread(..., H5S_PLIST, dxpl, ...) takes the file selection from the
 * transfer list (H5Pset_dataset_io_hyperslab_selection). HDF5 1.14 has no
 * public call that hands that selection back: the property holds a pointer
 * to the library's internal dataspace, which only the native connector can
 * use. So this file, alone in the connector, reaches into the library:
 * H5Pget copies the pointer out of the property, and HDF5's internal
 * H5S_copy and H5I_register (exported by libhdf5, found at run time with
 * dlsym so that a library without them still loads the plugin) turn a copy
 * of it into a dataspace ID. The selection is then placed on a dataspace of
 * the dataset's extent, as the native connector does.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* dladdr, RTLD_NOLOAD */
#endif
#include "lzv_vdset_int.h"

#include <dlfcn.h>
#include <stdbool.h>

/* HDF5_DIR/src/H5Sprivate.h and H5Iprivate.h of 1.14, with the internal
 * dataspace type left opaque. */
typedef void *(*space_copy_fn)(const void *src, bool share_selection, bool copy_max);
typedef herr_t (*space_close_fn)(void *space);
typedef hid_t (*id_register_fn)(H5I_type_t type, const void *object, bool app_ref);

static struct {
    bool looked;
    space_copy_fn copy;
    space_close_fn close;
    id_register_fn reg;
} internal;

/* Find the internal functions in the libhdf5 this plugin is linked to. */
static bool
find_internals(void)
{
    if (internal.looked)
        return internal.copy && internal.close && internal.reg;
    internal.looked = true;
    Dl_info where;
    if (!dladdr((void *)H5Pget, &where) || !where.dli_fname)
        return false;
    void *lib = dlopen(where.dli_fname, RTLD_LAZY | RTLD_NOLOAD); /* already loaded: a reference */
    if (!lib)
        return false;
    /* Kept for the life of the process: libhdf5 is not unloaded before us. */
    *(void **)&internal.copy = dlsym(lib, "H5S_copy");
    *(void **)&internal.close = dlsym(lib, "H5S_close");
    *(void **)&internal.reg = dlsym(lib, "H5I_register");
    return internal.copy && internal.close && internal.reg;
}

hid_t
lzv_plist_selection(const lzv_vdset *vd, hid_t dxpl_id)
{
    void *space = NULL;
    htri_t has = H5Pexist(dxpl_id, "dset_io_selection");
    if (has <= 0 || H5Pget(dxpl_id, "dset_io_selection", &space) < 0 || !space) {
        LZV_ERROR(LZ_EVALUE,
                  "reading '%s' with H5S_PLIST: the transfer property list holds no selection (set one "
                  "with H5Pset_dataset_io_hyperslab_selection)",
                  lzv_vdset_name(vd));
        return H5I_INVALID_HID;
    }
    if (!find_internals()) {
        LZV_ERROR(LZ_EVALUE,
                  "reading '%s' with H5S_PLIST needs HDF5's internal H5S_copy and H5I_register, which "
                  "this libhdf5 does not export; pass a dataspace with the selection instead",
                  lzv_vdset_name(vd));
        return H5I_INVALID_HID;
    }
    void *copy = internal.copy(space, false, true);
    hid_t from = copy ? internal.reg(H5I_DATASPACE, copy, true) : H5I_INVALID_HID;
    if (from < 0) {
        if (copy)
            internal.close(copy);
        LZV_ERROR(LZ_EVALUE, "reading '%s': cannot copy the H5S_PLIST selection", lzv_vdset_name(vd));
        return H5I_INVALID_HID;
    }
    hid_t fspace = H5Screate_simple(vd->rank, vd->dims, NULL);
    int rank = H5Sget_simple_extent_ndims(from);
    if (fspace < 0 || rank != vd->rank || H5Sselect_copy(fspace, from) < 0 || H5Sselect_valid(fspace) <= 0) {
        hid_t saved = lzv_stack_save();
        if (fspace >= 0)
            H5Sclose(fspace);
        lzv_stack_restore(saved);
        fspace = H5I_INVALID_HID;
        LZV_ERROR(LZ_EVALUE,
                  "reading '%s': the H5S_PLIST selection (rank %d) does not fit the dataset (rank %d and "
                  "its extent)",
                  lzv_vdset_name(vd), rank, vd->rank);
    }
    hid_t saved = lzv_stack_save();
    H5Sclose(from);
    lzv_stack_restore(saved);
    return fspace;
}
