/* lzv_meta.c — attributes of a new virtual dataset (see lzv_meta.h).
 *
 * Why these: a float result that can hold missing values (NaN) carries
 * _FillValue, so that netCDF4-python masks them and xarray keeps them
 * missing whichever engine reads; it is NaN unless define --fill-value
 * asks for a number, which the connector then writes in place of NaN
 * (lzv_vdset.c). Integer results hold no missing values and get none.
 * cell_methods follows CF (section 7.3, appendix E): "time: mean" for a
 * mean over the dimension time, names of several dimensions before one
 * method, appended to what the source said.
 */
#include "lzv_meta.h"

#include "lzv_attrs.h"
#include "lzv_cf.h"
#include "lzv_dims.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

bool
lzv_meta_attr_valid(const h5lazy_attr_t *attr, char *why, size_t size)
{
    const char *name = attr->name;
    if (!name || !name[0]) {
        snprintf(why, size, "an attribute needs a name");
        return false;
    }
    if (!strcmp(name, "_FillValue")) {
        snprintf(why, size, "attribute _FillValue is written by define itself (NaN for float results; choose a "
                            "number with --fill-value)");
        return false;
    }
    static const char *const reserved[] = {"DIMENSION_LIST", "REFERENCE_LIST", "CLASS", "NAME", "_nc3_strict",
                                           "_NCProperties"};
    bool refused = !strncmp(name, "h5lazy_", 7) || !strncmp(name, "_Netcdf4", 8);
    for (size_t i = 0; i < sizeof reserved / sizeof *reserved; i++)
        refused = refused || !strcmp(name, reserved[i]);
    if (refused) {
        snprintf(why, size, "attribute %s is bookkeeping of h5lazy, HDF5's dimension scales or netCDF-4 and cannot "
                            "be set",
                 name);
        return false;
    }
    if (attr->kind != H5LAZY_ATTR_TEXT && attr->kind != H5LAZY_ATTR_INT && attr->kind != H5LAZY_ATTR_FLOAT) {
        snprintf(why, size, "attribute %s has an unknown kind of value (%d)", name, attr->kind);
        return false;
    }
    if (attr->kind == H5LAZY_ATTR_TEXT && !attr->text) {
        snprintf(why, size, "attribute %s has no text", name);
        return false;
    }
    return true;
}

bool
lzv_meta_is_descriptive(const char *name)
{
    static const char *const others[] = {"coordinates", "bounds", "cell_measures", "ancillary_variables",
                                         "grid_mapping", "formula_terms", "climatology", "compress",
                                         "actual_range", "cell_methods"};
    for (size_t i = 0; i < sizeof others / sizeof *others; i++)
        if (!strcmp(name, others[i]))
            return false;
    return !lzv_cf_is_encoding(name);
}

herr_t
lzv_meta_copy(void *from, void *to, hid_t vol_id, hid_t dxpl_id, char **cell_methods)
{
    if (cell_methods)
        *cell_methods = NULL;
    char **names = lzv_attrs_names(from, H5I_DATASET, vol_id, dxpl_id);
    if (!names)
        return -1;
    herr_t ret = 0;
    for (char **n = names; *n && ret >= 0; n++) {
        if (lzv_meta_is_descriptive(*n)) {
            ret = lzv_attrs_copy(from, H5I_DATASET, to, H5I_DATASET, vol_id, *n, dxpl_id);
        } else if (cell_methods && !strcmp(*n, "cell_methods")) {
            lzv_attr_value v;
            int got = lzv_attrs_read(from, H5I_DATASET, vol_id, *n, dxpl_id, &v);
            if (got < 0)
                ret = -1;
            else if (got && v.kind == LZV_ATTR_STRING)
                *cell_methods = strdup(v.text);
            if (got > 0)
                lzv_attrs_value_destroy(&v);
        }
    }
    lzv_attrs_names_free(names);
    return ret;
}

herr_t
lzv_meta_write_fill(void *dset, hid_t vol_id, lz_dtype t, double fill, hid_t dxpl_id)
{
    float f = (float)fill;
    const void *value = t == LZ_FLOAT32 ? (const void *)&f : (const void *)&fill;
    return lzv_attrs_write_number(dset, H5I_DATASET, vol_id, "_FillValue", t, value, dxpl_id);
}

/* CF's name of a reduction's method (appendix E), NULL for those CF does
 * not name. */
static const char *
cf_method(const char *op)
{
    static const char *const names[][2] = {{"mean", "mean"},         {"sum", "sum"},
                                           {"max", "maximum"},       {"min", "minimum"},
                                           {"std", "standard_deviation"}, {"var", "variance"},
                                           {"median", "median"}};
    for (size_t i = 0; i < sizeof names / sizeof *names; i++)
        if (!strcmp(op, names[i][0]))
            return names[i][1];
    return NULL;
}

/* "time: mean" for the binding's root when it is a reduction over named
 * dimensions (all of them named), after `before` (the source's); a new
 * string, or NULL when there is nothing to say. */
static char *
cell_methods_of(const lzv_binding *b, const char *before, hid_t dxpl_id)
{
    const char *op, *method;
    int rank;
    bool reduced[LZ_MAX_RANK];
    char text[1024] = "";
    size_t used = 0;
    if (lz_graph_root_reduction(b->graph, 0, &op, &rank, reduced) && (method = cf_method(op))) {
        bool named = true;
        for (int k = 0; k < rank && named; k++) {
            if (!reduced[k])
                continue;
            char *dim = lzv_dims_reduced_name(b, k, dxpl_id);
            named = dim != NULL;
            if (dim && used < sizeof text)
                used += (size_t)snprintf(text + used, sizeof text - used, "%s: ", dim);
            free(dim);
        }
        if (named && used > 0 && used < sizeof text)
            snprintf(text + used, sizeof text - used, "%s", method);
        else
            text[0] = '\0';
    }
    if (!text[0])
        return before ? strdup(before) : NULL;
    if (!before || !before[0])
        return strdup(text);
    size_t n = strlen(before) + strlen(text) + 2;
    char *both = malloc(n);
    if (both)
        snprintf(both, n, "%s %s", before, text);
    return both;
}

static herr_t
set_attr(void *dset, hid_t vol_id, const h5lazy_attr_t *attr, hid_t dxpl_id)
{
    switch (attr->kind) {
    case H5LAZY_ATTR_TEXT:
        return lzv_attrs_write_string(dset, H5I_DATASET, vol_id, attr->name, attr->text, dxpl_id);
    case H5LAZY_ATTR_INT: {
        int64_t v = attr->integer;
        return lzv_attrs_write_number(dset, H5I_DATASET, vol_id, attr->name, LZ_INT64, &v, dxpl_id);
    }
    default:
        return lzv_attrs_write_number(dset, H5I_DATASET, vol_id, attr->name, LZ_FLOAT64, &attr->number, dxpl_id);
    }
}

herr_t
lzv_meta_write(void *dset, hid_t vol_id, const lzv_binding *b, const lzv_meta *m, hid_t dxpl_id, char *why,
               size_t size)
{
    char *before = NULL, *cell = NULL;
    const char *failed = NULL;
    lz_dtype t = lz_graph_dtype(b->graph);
    if (m->from && lzv_meta_copy(m->from, dset, vol_id, dxpl_id, &before) < 0)
        failed = "the attributes of --attrs-from cannot be copied";
    else if (lz_dtype_kind_code(t) == 'f' && lzv_meta_write_fill(dset, vol_id, t, m->fill, dxpl_id) < 0)
        failed = "attribute _FillValue cannot be written";
    else if ((cell = cell_methods_of(b, before, dxpl_id)) &&
             lzv_attrs_write_string(dset, H5I_DATASET, vol_id, "cell_methods", cell, dxpl_id) < 0)
        failed = "attribute cell_methods cannot be written";
    if (failed)
        snprintf(why, size, "%s", failed);
    for (int i = 0; !failed && i < m->nattrs; i++) {
        if (set_attr(dset, vol_id, &m->attrs[i], dxpl_id) < 0) {
            snprintf(why, size, "attribute %s cannot be written", m->attrs[i].name);
            failed = why;
        }
    }
    free(before);
    free(cell);
    return failed ? -1 : 0;
}
