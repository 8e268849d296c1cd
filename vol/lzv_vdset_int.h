/* lzv_vdset_int.h — the state of one open virtual dataset, shared by
 * lzv_vdset.c (recognition, presentation, binding) and lzv_read.c. */
#ifndef LZV_VDSET_INT_H
#define LZV_VDSET_INT_H

#include "lzv_binding.h"
#include "lzv_vdset.h"

struct lzv_vdset {
    char *name;                   /* path of the dataset, for messages */
    char *expression;             /* the definition's text */
    char *broken;                 /* why it cannot be evaluated, or NULL */
    int rank;                     /* placeholder rank */
    hsize_t dims[H5S_MAX_RANK];   /* placeholder shape */
    hsize_t chunks[H5S_MAX_RANK]; /* evaluation chunk presented to readers */
    lz_dtype dtype;               /* element type */
    int format;                   /* h5lazy_format: 1 reads operands as stored, 2 decodes them */
    double fill;                  /* what missing values are written as: its _FillValue when
                                     a number (format 2, float types), else NaN */
    hid_t native_type;            /* memory type of engine output (owned) */
    lzv_binding binding;          /* made on the first read (lzv_vdset_bind), kept until
                                     close; binding.graph is NULL until then */
};

/* Bind on first use: parse, open operands, check the result still matches
 * the placeholder's shape and type. Pushes an error on failure, and keeps
 * nothing of the attempt (the next read tries again). */
herr_t lzv_vdset_bind(lzv_obj *dset, hid_t dxpl_id);
/* The same for a virtual dataset that is an operand: `chain` lists the
 * virtual datasets that use it. */
herr_t lzv_vdset_bind_chain(lzv_obj *dset, hid_t dxpl_id, const lzv_chain *chain);
/* The file selection of a read that passed H5S_PLIST: no public call
 * returns it, so this pushes an error saying so and returns
 * H5I_INVALID_HID (lzv_plist_sel.c). */
hid_t lzv_plist_selection(const lzv_vdset *vd);
/* Push the binding's engine error as an HDF5 error frame about `vd`, on
 * top of `cause` (a saved under-connector stack, taken over; or
 * H5I_INVALID_HID); clears the engine error. */
void lzv_vdset_push_error(lzv_vdset *vd, const char *what, hid_t cause);

#endif
