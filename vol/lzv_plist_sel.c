/* lzv_plist_sel.c — the file selection of a read given as H5S_PLIST.
 *
 * H5Dread(..., H5S_PLIST, dxpl, ...) takes the file selection from the
 * transfer list (H5Pset_dataset_io_hyperslab_selection). Neither HDF5 1.14
 * nor 2.x has a public call that hands that selection back: the property
 * holds a pointer to the library's internal dataspace, which only the
 * native connector can use. h5lazy calls no library-internal function
 * (issue 14: they are not promised by any header and differ between the
 * lines), so such a read of a virtual dataset is refused with a message
 * that says what to do instead. Stored datasets are not affected: their
 * reads go to the native connector unchanged.
 */
#include "lzv_vdset_int.h"

hid_t
lzv_plist_selection(const lzv_vdset *vd)
{
    LZV_ERROR(LZ_EVALUE,
              "reading '%s' with H5S_PLIST: HDF5 has no public call that returns the selection set "
              "with H5Pset_dataset_io_hyperslab_selection, so h5lazy cannot serve it; pass a file "
              "dataspace holding that selection instead",
              lzv_vdset_name(vd));
    return H5I_INVALID_HID;
}
