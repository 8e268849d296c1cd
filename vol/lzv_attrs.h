/* lzv_attrs.h — attributes of under objects as values: reading numbers and
 * strings (CF attributes of operands), writing the attributes a definition
 * gives its result (_FillValue, cell_methods, define --attr), copying and
 * listing them (define --attrs-from). Everything goes through the under
 * connector, as lzv_format.c does for the definition itself. */
#ifndef LZV_ATTRS_H
#define LZV_ATTRS_H

#include "lzv.h"

/* What an attribute holds. */
typedef enum lzv_attr_kind {
    LZV_ATTR_NUMBERS, /* integers or IEEE floats: dtype, n, values */
    LZV_ATTR_STRING,  /* text (of the first string, when there are several) */
    LZV_ATTR_OTHER,   /* anything else: `what` says what */
} lzv_attr_kind;

typedef struct lzv_attr_value {
    lzv_attr_kind kind; /* which fields below mean something */
    lz_dtype dtype;     /* NUMBERS: the values' type (LZ_BOOL for h5py's bool) */
    size_t n;           /* NUMBERS: how many values (1 for a scalar, 0 for a null space) */
    lz_value *values;   /* NUMBERS: the values (malloc'd) */
    char *text;         /* STRING: the text (malloc'd) */
    const char *what;   /* OTHER: "a compound type", ... (static) */
} lzv_attr_value;

/* Read attribute `name` of the under object `obj` (of HDF5 type `type`).
 * Returns 1 and fills *out when it exists, 0 when it does not, -1 when it
 * cannot be read (an error pushed). Release *out with
 * lzv_attrs_value_destroy. */
int lzv_attrs_read(void *obj, H5I_type_t type, hid_t vol_id, const char *name, hid_t dxpl_id, lzv_attr_value *out);
void lzv_attrs_value_destroy(lzv_attr_value *v);
/* The value formatted for people: integers in decimal, floats in the
 * fewest digits that give the same value of their type back, several as
 * "[a, b, c]"; text in quotes. */
void lzv_attrs_value_format(const lzv_attr_value *v, char *buf, size_t size);
/* A float value of type t (float32 or float64) in the fewest digits that
 * read back as the same value of t. */
void lzv_attrs_format_float(double v, lz_dtype t, char *buf, size_t size);

/* Whether attribute `name` exists (-1: the question failed, error pushed). */
htri_t lzv_attrs_exists(void *obj, H5I_type_t type, hid_t vol_id, const char *name, hid_t dxpl_id);
/* Write attribute `name` (replacing one of that name) of file type ftype
 * over `space`, from `buf` of memory type mtype. */
herr_t lzv_attrs_write(void *obj, H5I_type_t type, hid_t vol_id, const char *name, hid_t ftype, hid_t space,
                       hid_t mtype, const void *buf, hid_t dxpl_id);
/* Write attribute `name` (replacing one of that name) holding one value
 * of engine type `dtype` (little-endian in the file), given in native
 * form at `value`, in a dataspace of one element of rank 1 as netCDF
 * writes attributes. */
herr_t lzv_attrs_write_number(void *obj, H5I_type_t type, hid_t vol_id, const char *name, lz_dtype dtype,
                             const void *value, hid_t dxpl_id);
/* Write a text attribute (replacing one of that name) as h5py and
 * h5netcdf (xarray) write one: a scalar variable-length UTF-8 string. */
herr_t lzv_attrs_write_string(void *obj, H5I_type_t type, hid_t vol_id, const char *name, const char *text,
                              hid_t dxpl_id);
/* Write a text attribute as HDF5's high-level library writes one
 * (H5LTset_attribute_string, which H5DSset_scale uses for CLASS and NAME):
 * a scalar null-terminated ASCII string of the text's length plus one. */
herr_t lzv_attrs_write_fixed_string(void *obj, H5I_type_t type, hid_t vol_id, const char *name, const char *text,
                                    hid_t dxpl_id);
/* Copy attribute `name` from one under object to another (replacing one
 * of that name there), type and shape as they are. */
herr_t lzv_attrs_copy(void *from, H5I_type_t from_type, void *to, H5I_type_t to_type, hid_t vol_id,
                     const char *name, hid_t dxpl_id);
/* Delete attribute `name` if it exists. */
herr_t lzv_attrs_delete(void *obj, H5I_type_t type, hid_t vol_id, const char *name, hid_t dxpl_id);
/* The names of an object's attributes in name order: a NULL-ended array
 * of strings (free with lzv_attrs_names_free); NULL on failure (error
 * pushed). */
char **lzv_attrs_names(void *obj, H5I_type_t type, hid_t vol_id, hid_t dxpl_id);
void lzv_attrs_names_free(char **names);

#endif
