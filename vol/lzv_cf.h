/* lzv_cf.h — CF decoding of operands: from a dataset's netCDF/CF
 * attributes (_FillValue, missing_value, valid_min, valid_max,
 * valid_range, scale_factor, add_offset, _Unsigned) to the lz_decode the
 * engine applies where an expression names the operand, and the sentence
 * `h5lazy show` prints about it. The rules, with the reader each follows,
 * are in lzv_cf.c and docs/language.md ("netCDF and CF"). */
#ifndef LZV_CF_H
#define LZV_CF_H

#include "lzv.h"

typedef struct lzv_cf {
    lz_decode decode;   /* what the engine applies (decode.missing points into `missing`) */
    bool active;        /* whether anything applies: the source's decode is then &decode */
    lz_value *missing;  /* the missing values, in decode.as (malloc'd) */
    char *summary;      /* what applies, for h5lazy show (malloc'd) */
} lzv_cf;

/* Decide the decoding of an operand: the under dataset `dset` (an object
 * of `vol_id`) stores values of type `stored`; `label` names it in
 * messages. With `enabled` false (definitions of stored format 1, made
 * before decoding existed) nothing applies and the summary says why.
 * Returns a new lzv_cf, or NULL with the error recorded on ctx (at
 * line/column): an attribute that cannot be read, or one no reading of
 * the conventions makes sense of (a scale_factor that is text, an integer
 * or several values). */
lzv_cf *lzv_cf_open(void *dset, hid_t vol_id, hid_t dxpl_id, lz_dtype stored, bool enabled, const char *label,
                    lz_ctx *ctx, int line, int column);
void lzv_cf_free(lzv_cf *cf);

/* Whether `name` is an attribute that says how values are stored (the
 * attributes above, and netCDF-4's and HDF5's bookkeeping: _Netcdf4*,
 * _nc3_strict, _NCProperties, DIMENSION_LIST, REFERENCE_LIST, CLASS,
 * NAME, h5lazy_*), rather than what they mean: define --attrs-from never
 * copies those, since a result is written decoded and has its own
 * dimensions. */
bool lzv_cf_is_encoding(const char *name);

#endif
