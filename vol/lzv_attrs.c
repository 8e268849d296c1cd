/* lzv_attrs.c — attribute values through the under connector (see
 * lzv_attrs.h). */
#include "lzv_attrs.h"

#include "lzv_format.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static H5VL_loc_params_t
self_of(H5I_type_t type)
{
    H5VL_loc_params_t self = {.obj_type = type, .type = H5VL_OBJECT_BY_SELF};
    return self;
}

htri_t
lzv_attrs_exists(void *obj, H5I_type_t type, hid_t vol_id, const char *name, hid_t dxpl_id)
{
    hbool_t exists = false;
    H5VL_loc_params_t self = self_of(type);
    H5VL_attr_specific_args_t args = {.op_type = H5VL_ATTR_EXISTS};
    args.args.exists.name = name;
    args.args.exists.exists = &exists;
    if (H5VLattr_specific(obj, &self, vol_id, &args, dxpl_id, NULL) < 0)
        return -1;
    return exists;
}

/* Element i of a native buffer of type t as an lz_value. */
static lz_value
value_at(lz_dtype t, const void *buf, size_t i)
{
    lz_value v = {0};
    switch (t) {
    case LZ_BOOL:
    case LZ_UINT8:
        v.u = ((const uint8_t *)buf)[i];
        break;
    case LZ_INT8:
        v.i = ((const int8_t *)buf)[i];
        break;
    case LZ_INT16:
        v.i = ((const int16_t *)buf)[i];
        break;
    case LZ_UINT16:
        v.u = ((const uint16_t *)buf)[i];
        break;
    case LZ_INT32:
        v.i = ((const int32_t *)buf)[i];
        break;
    case LZ_UINT32:
        v.u = ((const uint32_t *)buf)[i];
        break;
    case LZ_INT64:
        v.i = ((const int64_t *)buf)[i];
        break;
    case LZ_UINT64:
        v.u = ((const uint64_t *)buf)[i];
        break;
    case LZ_FLOAT32:
        v.f = ((const float *)buf)[i];
        break;
    default:
        v.f = ((const double *)buf)[i];
        break;
    }
    return v;
}

/* Read the numbers of an open attribute of file type ftype. */
static herr_t
read_numbers(void *attr, hid_t vol_id, hid_t ftype, size_t n, hid_t dxpl_id, lzv_attr_value *out)
{
    const char *why;
    if (lzv_dtype_of_type(ftype, &out->dtype, &why) < 0) {
        out->kind = LZV_ATTR_OTHER;
        out->what = why;
        return 0;
    }
    out->kind = LZV_ATTR_NUMBERS;
    out->n = n;
    hid_t mtype = lzv_native_type_of_dtype(out->dtype);
    void *buf = malloc((n ? n : 1) * lz_dtype_size(out->dtype));
    out->values = calloc(n ? n : 1, sizeof *out->values);
    herr_t ret = -1;
    if (mtype >= 0 && buf && out->values && (n == 0 || H5VLattr_read(attr, vol_id, mtype, buf, dxpl_id, NULL) >= 0)) {
        for (size_t i = 0; i < n; i++)
            out->values[i] = value_at(out->dtype, buf, i);
        ret = 0;
    } else if (!buf || !out->values) {
        LZV_ERROR(LZ_ENOMEM, "out of memory reading an attribute");
    }
    free(buf);
    if (mtype >= 0)
        H5Tclose(mtype);
    return ret;
}

/* Read the first string of an open attribute of file type ftype. */
static herr_t
read_text(void *attr, hid_t vol_id, hid_t ftype, size_t n, hid_t dxpl_id, lzv_attr_value *out)
{
    out->kind = LZV_ATTR_STRING;
    hid_t mtype = H5Tcopy(H5T_C_S1);
    herr_t ret = -1;
    if (mtype < 0)
        return -1;
    if (n == 0) {
        out->text = strdup("");
        ret = out->text ? 0 : -1;
    } else if (H5Tis_variable_str(ftype) > 0) {
        char **strs = calloc(n, sizeof *strs);
        hid_t space = H5Screate_simple(1, (hsize_t[]){n}, NULL);
        if (strs && space >= 0 && H5Tset_size(mtype, H5T_VARIABLE) >= 0 &&
            H5Tset_cset(mtype, H5Tget_cset(ftype)) >= 0 &&
            H5VLattr_read(attr, vol_id, mtype, strs, dxpl_id, NULL) >= 0) {
            out->text = strdup(strs[0] ? strs[0] : "");
            ret = out->text ? 0 : -1;
            H5Treclaim(mtype, space, H5P_DEFAULT, strs);
        }
        if (space >= 0)
            H5Sclose(space);
        free(strs);
    } else {
        size_t len = H5Tget_size(ftype);
        char *buf = calloc(n, len + 1);
        if (buf && H5Tset_size(mtype, len + 1) >= 0 && H5Tset_strpad(mtype, H5T_STR_NULLTERM) >= 0 &&
            H5Tset_cset(mtype, H5Tget_cset(ftype)) >= 0 &&
            H5VLattr_read(attr, vol_id, mtype, buf, dxpl_id, NULL) >= 0) {
            out->text = strdup(buf);
            ret = out->text ? 0 : -1;
        }
        free(buf);
    }
    H5Tclose(mtype);
    return ret;
}

int
lzv_attrs_read(void *obj, H5I_type_t type, hid_t vol_id, const char *name, hid_t dxpl_id, lzv_attr_value *out)
{
    memset(out, 0, sizeof *out);
    htri_t exists = lzv_attrs_exists(obj, type, vol_id, name, dxpl_id);
    if (exists <= 0)
        return (int)exists;
    H5VL_loc_params_t self = self_of(type);
    void *attr = H5VLattr_open(obj, &self, vol_id, name, H5P_ATTRIBUTE_ACCESS_DEFAULT, dxpl_id, NULL);
    if (!attr)
        return -1;
    H5VL_attr_get_args_t targs = {.op_type = H5VL_ATTR_GET_TYPE};
    H5VL_attr_get_args_t sargs = {.op_type = H5VL_ATTR_GET_SPACE};
    herr_t ret = -1;
    if (H5VLattr_get(attr, vol_id, &targs, dxpl_id, NULL) >= 0) {
        hid_t ftype = targs.args.get_type.type_id;
        if (H5VLattr_get(attr, vol_id, &sargs, dxpl_id, NULL) >= 0) {
            hid_t space = sargs.args.get_space.space_id;
            hssize_t npoints = H5Sget_simple_extent_npoints(space);
            size_t n = npoints > 0 ? (size_t)npoints : 0;
            switch (H5Tget_class(ftype)) {
            case H5T_INTEGER:
            case H5T_FLOAT:
            case H5T_ENUM:
                ret = read_numbers(attr, vol_id, ftype, n, dxpl_id, out);
                break;
            case H5T_STRING:
                ret = read_text(attr, vol_id, ftype, n, dxpl_id, out);
                break;
            default:
                out->kind = LZV_ATTR_OTHER;
                out->what = "neither numbers nor text";
                ret = 0;
                break;
            }
            H5Sclose(space);
        }
        H5Tclose(ftype);
    }
    hid_t saved = ret < 0 ? lzv_stack_save() : H5I_INVALID_HID;
    H5VLattr_close(attr, vol_id, dxpl_id, NULL);
    lzv_stack_restore(saved);
    if (ret < 0) {
        lzv_attrs_value_destroy(out);
        return -1;
    }
    return 1;
}

void
lzv_attrs_value_destroy(lzv_attr_value *v)
{
    free(v->values);
    free(v->text);
    memset(v, 0, sizeof *v);
}

void
lzv_attrs_format_float(double v, lz_dtype t, char *buf, size_t size)
{
    if (!isfinite(v)) {
        snprintf(buf, size, "%g", v);
        return;
    }
    /* The fewest significant digits that read back as v in its type, then
     * written as Python's repr writes floats: plainly for exponents from
     * -5 to 15, else with one. */
    int digits = 1;
    for (; digits < 17; digits++) {
        snprintf(buf, size, "%.*e", digits - 1, v);
        double back = strtod(buf, NULL);
        if (t == LZ_FLOAT32 ? (float)back == (float)v : back == v)
            break;
    }
    int exponent = v == 0 ? 0 : (int)floor(log10(fabs(strtod(buf, NULL))));
    if (exponent >= -5 && exponent < 16) {
        int decimals = digits - 1 - exponent;
        snprintf(buf, size, "%.*f", decimals > 0 ? decimals : 0, strtod(buf, NULL));
    } else {
        snprintf(buf, size, "%.*g", digits, v);
    }
}

void
lzv_attrs_value_format(const lzv_attr_value *v, char *buf, size_t size)
{
    if (v->kind == LZV_ATTR_STRING) {
        snprintf(buf, size, "'%s'", v->text);
        return;
    }
    if (v->kind != LZV_ATTR_NUMBERS) {
        snprintf(buf, size, "(%s)", v->what);
        return;
    }
    size_t used = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < v->n && used < size; i++) {
        const char *sep = i ? ", " : v->n > 1 ? "[" : "";
        lz_value x = v->values[i];
        int w;
        char f[40];
        switch (v->dtype) {
        case LZ_FLOAT32:
        case LZ_FLOAT64:
            lzv_attrs_format_float(x.f, v->dtype, f, sizeof f);
            w = snprintf(buf + used, size - used, "%s%s", sep, f);
            break;
        case LZ_INT8:
        case LZ_INT16:
        case LZ_INT32:
        case LZ_INT64:
            w = snprintf(buf + used, size - used, "%s%lld", sep, (long long)x.i);
            break;
        default:
            w = snprintf(buf + used, size - used, "%s%llu", sep, (unsigned long long)x.u);
            break;
        }
        used += w > 0 ? (size_t)w : 0;
    }
    if (v->n > 1 && used < size)
        snprintf(buf + used, size - used, "]");
    if (v->n == 0)
        snprintf(buf, size, "[]");
}

herr_t
lzv_attrs_delete(void *obj, H5I_type_t type, hid_t vol_id, const char *name, hid_t dxpl_id)
{
    htri_t exists = lzv_attrs_exists(obj, type, vol_id, name, dxpl_id);
    if (exists <= 0)
        return exists < 0 ? -1 : 0;
    H5VL_loc_params_t self = self_of(type);
    H5VL_attr_specific_args_t args = {.op_type = H5VL_ATTR_DELETE};
    args.args.del.name = name;
    return H5VLattr_specific(obj, &self, vol_id, &args, dxpl_id, NULL);
}

herr_t
lzv_attrs_write(void *obj, H5I_type_t type, hid_t vol_id, const char *name, hid_t ftype, hid_t space, hid_t mtype,
           const void *buf, hid_t dxpl_id)
{
    if (lzv_attrs_delete(obj, type, vol_id, name, dxpl_id) < 0)
        return -1;
    H5VL_loc_params_t self = self_of(type);
    void *attr = H5VLattr_create(obj, &self, vol_id, name, ftype, space, H5P_ATTRIBUTE_CREATE_DEFAULT,
                                 H5P_ATTRIBUTE_ACCESS_DEFAULT, dxpl_id, NULL);
    if (!attr)
        return -1;
    herr_t ret = H5VLattr_write(attr, vol_id, mtype, buf, dxpl_id, NULL);
    hid_t saved = ret < 0 ? lzv_stack_save() : H5I_INVALID_HID;
    if (H5VLattr_close(attr, vol_id, dxpl_id, NULL) < 0)
        ret = -1;
    lzv_stack_restore(saved);
    return ret;
}

herr_t
lzv_attrs_write_number(void *obj, H5I_type_t type, hid_t vol_id, const char *name, lz_dtype dtype,
                      const void *value, hid_t dxpl_id)
{
    hid_t ftype = lzv_file_type_of_dtype(dtype), mtype = lzv_native_type_of_dtype(dtype);
    hid_t space = H5Screate_simple(1, (hsize_t[]){1}, NULL);
    herr_t ret = -1;
    if (ftype >= 0 && mtype >= 0 && space >= 0)
        ret = lzv_attrs_write(obj, type, vol_id, name, ftype, space, mtype, value, dxpl_id);
    hid_t saved = lzv_stack_save();
    if (ftype >= 0)
        H5Tclose(ftype);
    if (mtype >= 0)
        H5Tclose(mtype);
    if (space >= 0)
        H5Sclose(space);
    lzv_stack_restore(saved);
    return ret;
}

/* A text attribute of string type `str` (variable or fixed length),
 * which it closes. */
static herr_t
write_text(void *obj, H5I_type_t type, hid_t vol_id, const char *name, hid_t str, const char *text, hid_t dxpl_id)
{
    hid_t space = H5Screate(H5S_SCALAR);
    herr_t ret = -1;
    if (str >= 0 && space >= 0 && H5Tset_strpad(str, H5T_STR_NULLTERM) >= 0)
        ret = lzv_attrs_write(obj, type, vol_id, name, str, space, str,
                              H5Tis_variable_str(str) > 0 ? (const void *)&text : (const void *)text, dxpl_id);
    hid_t saved = lzv_stack_save();
    if (str >= 0)
        H5Tclose(str);
    if (space >= 0)
        H5Sclose(space);
    lzv_stack_restore(saved);
    return ret;
}

herr_t
lzv_attrs_write_string(void *obj, H5I_type_t type, hid_t vol_id, const char *name, const char *text,
                       hid_t dxpl_id)
{
    hid_t str = H5Tcopy(H5T_C_S1);
    if (str >= 0 && (H5Tset_size(str, H5T_VARIABLE) < 0 || H5Tset_cset(str, H5T_CSET_UTF8) < 0)) {
        H5Tclose(str);
        str = H5I_INVALID_HID;
    }
    return write_text(obj, type, vol_id, name, str, text, dxpl_id);
}

herr_t
lzv_attrs_write_fixed_string(void *obj, H5I_type_t type, hid_t vol_id, const char *name, const char *text,
                             hid_t dxpl_id)
{
    hid_t str = H5Tcopy(H5T_C_S1);
    if (str >= 0 && H5Tset_size(str, strlen(text) + 1) < 0) {
        H5Tclose(str);
        str = H5I_INVALID_HID;
    }
    return write_text(obj, type, vol_id, name, str, text, dxpl_id);
}

herr_t
lzv_attrs_copy(void *from, H5I_type_t from_type, void *to, H5I_type_t to_type, hid_t vol_id, const char *name,
              hid_t dxpl_id)
{
    H5VL_loc_params_t self = self_of(from_type);
    void *attr = H5VLattr_open(from, &self, vol_id, name, H5P_ATTRIBUTE_ACCESS_DEFAULT, dxpl_id, NULL);
    if (!attr)
        return -1;
    H5VL_attr_get_args_t targs = {.op_type = H5VL_ATTR_GET_TYPE};
    H5VL_attr_get_args_t sargs = {.op_type = H5VL_ATTR_GET_SPACE};
    hid_t ftype = H5I_INVALID_HID, space = H5I_INVALID_HID;
    void *buf = NULL;
    herr_t ret = -1;
    if (H5VLattr_get(attr, vol_id, &targs, dxpl_id, NULL) >= 0)
        ftype = targs.args.get_type.type_id;
    if (ftype >= 0 && H5VLattr_get(attr, vol_id, &sargs, dxpl_id, NULL) >= 0)
        space = sargs.args.get_space.space_id;
    hssize_t n = space >= 0 ? H5Sget_simple_extent_npoints(space) : -1;
    size_t size = ftype >= 0 ? H5Tget_size(ftype) : 0;
    if (n >= 0 && size > 0 && (buf = calloc(n ? (size_t)n : 1, size)) &&
        H5VLattr_read(attr, vol_id, ftype, buf, dxpl_id, NULL) >= 0) {
        ret = lzv_attrs_write(to, to_type, vol_id, name, ftype, space, ftype, buf, dxpl_id);
        /* Variable-length data (strings) was allocated by the read. */
        hid_t saved = lzv_stack_save();
        H5Treclaim(ftype, space, H5P_DEFAULT, buf);
        lzv_stack_restore(saved);
    }
    hid_t saved = lzv_stack_save();
    free(buf);
    if (ftype >= 0)
        H5Tclose(ftype);
    if (space >= 0)
        H5Sclose(space);
    H5VLattr_close(attr, vol_id, dxpl_id, NULL);
    lzv_stack_restore(saved);
    return ret;
}

char **
lzv_attrs_names(void *obj, H5I_type_t type, hid_t vol_id, hid_t dxpl_id)
{
    H5O_info2_t info;
    H5VL_loc_params_t self = self_of(type);
    H5VL_object_get_args_t oargs = {.op_type = H5VL_OBJECT_GET_INFO};
    oargs.args.get_info.fields = H5O_INFO_NUM_ATTRS;
    oargs.args.get_info.oinfo = &info;
    if (H5VLobject_get(obj, &self, vol_id, &oargs, dxpl_id, NULL) < 0)
        return NULL;
    size_t n = (size_t)info.num_attrs;
    char **names = calloc(n + 1, sizeof *names);
    if (!names) {
        LZV_ERROR(LZ_ENOMEM, "out of memory listing attributes");
        return NULL;
    }
    H5VL_loc_params_t by_idx = {.obj_type = type, .type = H5VL_OBJECT_BY_IDX};
    by_idx.loc_data.loc_by_idx.name = ".";
    by_idx.loc_data.loc_by_idx.idx_type = H5_INDEX_NAME;
    by_idx.loc_data.loc_by_idx.order = H5_ITER_INC;
    by_idx.loc_data.loc_by_idx.lapl_id = H5P_LINK_ACCESS_DEFAULT;
    for (size_t i = 0; i < n; i++) {
        by_idx.loc_data.loc_by_idx.n = i;
        size_t len = 0;
        H5VL_attr_get_args_t args = {.op_type = H5VL_ATTR_GET_NAME};
        args.args.get_name.loc_params = by_idx;
        args.args.get_name.buf_size = 0;
        args.args.get_name.buf = NULL;
        args.args.get_name.attr_name_len = &len;
        if (H5VLattr_get(obj, vol_id, &args, dxpl_id, NULL) < 0 || !(names[i] = malloc(len + 1))) {
            lzv_attrs_names_free(names);
            return NULL;
        }
        args.args.get_name.buf_size = len + 1;
        args.args.get_name.buf = names[i];
        if (H5VLattr_get(obj, vol_id, &args, dxpl_id, NULL) < 0) {
            lzv_attrs_names_free(names);
            return NULL;
        }
    }
    return names;
}

void
lzv_attrs_names_free(char **names)
{
    for (char **p = names; p && *p; p++)
        free(*p);
    free(names);
}
