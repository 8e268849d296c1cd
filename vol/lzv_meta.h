/* lzv_meta.h — the attributes a new virtual dataset carries for netCDF and
 * CF readers: _FillValue, the descriptive attributes of an operand
 * (define --attrs-from), CF cell_methods for reductions over named
 * dimensions, and what the user sets (define --attr). */
#ifndef LZV_META_H
#define LZV_META_H

#include "lzv_binding.h"

typedef struct lzv_meta {
    double fill;                /* what missing values are written as (the _FillValue of a
                                   float result); NaN: they stay NaN, and _FillValue is NaN */
    const h5lazy_attr_t *attrs; /* set last, in order (define --attr) */
    int nattrs;                 /* entries in attrs */
    void *from;                 /* under dataset whose descriptive attributes are copied
                                   first (define --attrs-from), or NULL */
} lzv_meta;

/* Whether define --attr may set `attr`: a name that is none of the
 * bookkeeping attributes of h5lazy, HDF5's dimension scales and netCDF-4,
 * nor _FillValue (written by define itself: --fill-value), and a value of
 * a known kind. If not, why says so. */
bool lzv_meta_attr_valid(const h5lazy_attr_t *attr, char *why, size_t size);
/* Whether attribute `name` says what values mean rather than how they are
 * stored or which other variables go with them: what --attrs-from and
 * derived coordinates copy. Not: the encoding attributes
 * (lzv_cf_is_encoding), attributes naming other variables (coordinates,
 * bounds, cell_measures, ancillary_variables, grid_mapping, formula_terms,
 * climatology, compress), actual_range (the operand's, not the result's)
 * and cell_methods (extended rather than copied). */
bool lzv_meta_is_descriptive(const char *name);
/* Copy the descriptive attributes of under dataset `from` to `to`. When
 * cell_methods is not NULL it receives the source's cell_methods text
 * (malloc'd), or NULL when it has none. */
herr_t lzv_meta_copy(void *from, void *to, hid_t vol_id, hid_t dxpl_id, char **cell_methods);
/* Write _FillValue = fill in type t (a float type), as netCDF wants it: of
 * the variable's type. */
herr_t lzv_meta_write_fill(void *dset, hid_t vol_id, lz_dtype t, double fill, hid_t dxpl_id);
/* Write everything `m` asks for onto the new dataset `dset` of binding b:
 * the copied attributes, _FillValue (float results), cell_methods (when
 * the result is a reduction over named dimensions, after any the source
 * had), then the user's. Returns -1 with why set on failure. */
herr_t lzv_meta_write(void *dset, hid_t vol_id, const lzv_binding *b, const lzv_meta *m, hid_t dxpl_id, char *why,
                      size_t size);

#endif
