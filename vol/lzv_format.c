/* lzv_format.c — reading and writing definition attributes through the
 * under connector, and datatype mapping. */
#include "lzv_format.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int
lzv_dtype_of_type(hid_t type_id, lz_dtype *out, const char **why)
{
    size_t size = H5Tget_size(type_id);
    switch (H5Tget_class(type_id)) {
    case H5T_INTEGER: {
        bool is_signed = H5Tget_sign(type_id) == H5T_SGN_2;
        static const lz_dtype sints[] = {LZ_INT8, LZ_INT16, LZ_INT32, LZ_INT64};
        static const lz_dtype uints[] = {LZ_UINT8, LZ_UINT16, LZ_UINT32, LZ_UINT64};
        for (int i = 0; i < 4; i++) {
            if (size == (size_t)1 << i && H5Tget_precision(type_id) == 8 * size) {
                *out = is_signed ? sints[i] : uints[i];
                return 0;
            }
        }
        *why = "an integer of unsupported size or precision";
        return -1;
    }
    case H5T_FLOAT:
        /* Only IEEE binary32/binary64 layouts: compare with the standard
         * types of the same byte order. */
        for (int i = 0; i < 2; i++) {
            hid_t ieee = H5Tcopy(i == 0 ? H5T_IEEE_F32LE : H5T_IEEE_F64LE);
            H5Tset_order(ieee, H5Tget_order(type_id));
            htri_t eq = H5Tequal(ieee, type_id);
            H5Tclose(ieee);
            if (eq > 0) {
                *out = i == 0 ? LZ_FLOAT32 : LZ_FLOAT64;
                return 0;
            }
        }
        *why = "a float that is not IEEE float32 or float64";
        return -1;
    case H5T_ENUM: {
        if (size != 1 || H5Tget_nmembers(type_id) != 2) {
            *why = "an enum that is not h5py's bool";
            return -1;
        }
        int8_t v = -1;
        bool ok = true;
        for (int m = 0; m < 2 && ok; m++) {
            char *name = H5Tget_member_name(type_id, (unsigned)m);
            H5Tget_member_value(type_id, (unsigned)m, &v);
            ok = name && ((m == 0 && !strcmp(name, "FALSE") && v == 0) ||
                          (m == 1 && !strcmp(name, "TRUE") && v == 1));
            H5free_memory(name);
        }
        if (!ok) {
            *why = "an enum that is not h5py's bool";
            return -1;
        }
        *out = LZ_BOOL;
        return 0;
    }
    case H5T_STRING:
        *why = "a string";
        return -1;
    case H5T_COMPOUND:
        *why = "a compound type";
        return -1;
    default:
        *why = "a type h5lazy cannot compute with";
        return -1;
    }
}

/* h5py's bool: enum over a 1-byte signed integer of the given base. */
static hid_t
bool_type(hid_t base)
{
    hid_t t = H5Tenum_create(base);
    int8_t f = 0, tr = 1;
    if (t >= 0 && (H5Tenum_insert(t, "FALSE", &f) < 0 || H5Tenum_insert(t, "TRUE", &tr) < 0)) {
        H5Tclose(t);
        return H5I_INVALID_HID;
    }
    return t;
}

/* The HDF5 type of an engine type: little-endian standard types for files,
 * native ones for memory. */
static hid_t
type_of_dtype(lz_dtype t, bool native)
{
    switch (t) {
    case LZ_BOOL:
        return bool_type(native ? H5T_NATIVE_INT8 : H5T_STD_I8LE);
    case LZ_INT8:
        return H5Tcopy(native ? H5T_NATIVE_INT8 : H5T_STD_I8LE);
    case LZ_UINT8:
        return H5Tcopy(native ? H5T_NATIVE_UINT8 : H5T_STD_U8LE);
    case LZ_INT16:
        return H5Tcopy(native ? H5T_NATIVE_INT16 : H5T_STD_I16LE);
    case LZ_UINT16:
        return H5Tcopy(native ? H5T_NATIVE_UINT16 : H5T_STD_U16LE);
    case LZ_INT32:
        return H5Tcopy(native ? H5T_NATIVE_INT32 : H5T_STD_I32LE);
    case LZ_UINT32:
        return H5Tcopy(native ? H5T_NATIVE_UINT32 : H5T_STD_U32LE);
    case LZ_INT64:
        return H5Tcopy(native ? H5T_NATIVE_INT64 : H5T_STD_I64LE);
    case LZ_UINT64:
        return H5Tcopy(native ? H5T_NATIVE_UINT64 : H5T_STD_U64LE);
    case LZ_FLOAT32:
        return H5Tcopy(native ? H5T_NATIVE_FLOAT : H5T_IEEE_F32LE);
    default:
        return H5Tcopy(native ? H5T_NATIVE_DOUBLE : H5T_IEEE_F64LE);
    }
}

hid_t
lzv_file_type_of_dtype(lz_dtype t)
{
    return type_of_dtype(t, false);
}

hid_t
lzv_native_type_of_dtype(lz_dtype t)
{
    return type_of_dtype(t, true);
}

void
lzv_default_chunks(int rank, const hsize_t *dims, lz_dtype dtype, hsize_t *chunks)
{
    const hsize_t target = (hsize_t)1 << 20;
    hsize_t bytes = lz_dtype_size(dtype);
    for (int k = rank - 1; k >= 0; k--) {
        hsize_t d = dims[k] ? dims[k] : 1;
        hsize_t fit = bytes >= target ? 1 : target / bytes;
        chunks[k] = d < fit ? d : fit;
        bytes *= chunks[k];
    }
}

bool
lzv_chunks_valid(int rank, const hsize_t *dims, size_t elem_size, const hsize_t *chunks, char *why, size_t size)
{
    const hsize_t limit = ((hsize_t)1 << 32) - 1; /* HDF5's largest chunk extent, and chunk bytes */
    hsize_t bytes = elem_size;
    for (int k = 0; k < rank; k++) {
        hsize_t most = dims[k] ? dims[k] : 1;
        if (chunks[k] < 1 || chunks[k] > most) {
            snprintf(why, size, "chunk extent %llu of axis %d is not between 1 and the axis' extent %llu",
                     (unsigned long long)chunks[k], k, (unsigned long long)most);
            return false;
        }
        if (chunks[k] > limit) {
            snprintf(why, size, "chunk extent %llu of axis %d is above HDF5's limit of %llu",
                     (unsigned long long)chunks[k], k, (unsigned long long)limit);
            return false;
        }
        bytes *= chunks[k]; /* both factors below 2^32: no overflow */
        if (bytes > limit) {
            snprintf(why, size, "a chunk of %llu bytes is above HDF5's limit of %llu bytes",
                     (unsigned long long)bytes, (unsigned long long)limit);
            return false;
        }
    }
    return true;
}

/* ---- attributes through the under connector -------------------------------- */

static const H5VL_loc_params_t self_dataset = {.obj_type = H5I_DATASET, .type = H5VL_OBJECT_BY_SELF};

/* Whether the dataset's raw data is declared to live in the placeholder's
 * impossible external file. */
static htri_t
has_placeholder_storage(void *under_dset, hid_t under_vol_id, hid_t dxpl_id)
{
    H5VL_dataset_get_args_t get = {.op_type = H5VL_DATASET_GET_DCPL};
    if (H5VLdataset_get(under_dset, under_vol_id, &get, dxpl_id, NULL) < 0)
        return -1;
    hid_t dcpl = get.args.get_dcpl.dcpl_id;
    htri_t marked = 0;
    if (H5Pget_external_count(dcpl) == 1) {
        char name[sizeof H5LAZY_PLACEHOLDER_FILE + 1] = "";
        off_t offset;
        hsize_t size;
        if (H5Pget_external(dcpl, 0, sizeof name, name, &offset, &size) >= 0)
            marked = !strcmp(name, H5LAZY_PLACEHOLDER_FILE);
    }
    hid_t saved = lzv_stack_save();
    H5Pclose(dcpl);
    lzv_stack_restore(saved);
    return marked;
}

htri_t
lzv_definition_exists(void *under_dset, hid_t under_vol_id, hid_t dxpl_id)
{
    hbool_t exists = false;
    H5VL_attr_specific_args_t args = {.op_type = H5VL_ATTR_EXISTS};
    args.args.exists.name = H5LAZY_ATTR_EXPRESSION;
    args.args.exists.exists = &exists;
    if (H5VLattr_specific(under_dset, &self_dataset, under_vol_id, &args, dxpl_id, NULL) < 0)
        return -1;
    /* Both marks: data copied out of a virtual dataset together with its
     * attributes (h5repack to native, xarray's to_netcdf, a script copying
     * attrs) is stored data, and must be read as stored, not recomputed. */
    return exists ? has_placeholder_storage(under_dset, under_vol_id, dxpl_id) : 0;
}

/* The innermost description on the current stack, copied into why, and the
 * stack cleared: the library's frames above it only repeat which call failed. */
static void
take_cause(char *why, size_t size, const char *prefix)
{
    char cause[400] = "";
    lzv_stack_innermost(cause, sizeof cause);
    H5Eclear2(H5E_DEFAULT);
    snprintf(why, size, "%s%s%s", prefix, cause[0] ? ": " : "", cause);
}

/* Open attribute `name`, which must exist, be of class `want` and hold
 * exactly one value. Problems of the definition itself (missing, wrong
 * class, an array) are described in why with nothing pushed; a failure of
 * the under connector is described with its cause. */
static void *
open_single_attr(void *under_dset, hid_t under_vol_id, const char *name, H5T_class_t want, hid_t dxpl_id,
                 hid_t *ftype, char *why, size_t size)
{
    hbool_t exists = false;
    H5VL_attr_specific_args_t ex = {.op_type = H5VL_ATTR_EXISTS};
    ex.args.exists.name = name;
    ex.args.exists.exists = &exists;
    if (H5VLattr_specific(under_dset, &self_dataset, under_vol_id, &ex, dxpl_id, NULL) < 0) {
        take_cause(why, size, "cannot be looked up");
        return NULL;
    }
    if (!exists) {
        snprintf(why, size, "is missing");
        return NULL;
    }
    void *attr = H5VLattr_open(under_dset, &self_dataset, under_vol_id, name, H5P_ATTRIBUTE_ACCESS_DEFAULT,
                               dxpl_id, NULL);
    if (!attr) {
        take_cause(why, size, "cannot be opened");
        return NULL;
    }
    H5VL_attr_get_args_t targs = {.op_type = H5VL_ATTR_GET_TYPE};
    H5VL_attr_get_args_t sargs = {.op_type = H5VL_ATTR_GET_SPACE};
    *ftype = H5I_INVALID_HID;
    hid_t space = H5I_INVALID_HID;
    if (H5VLattr_get(attr, under_vol_id, &targs, dxpl_id, NULL) < 0 ||
        H5VLattr_get(attr, under_vol_id, &sargs, dxpl_id, NULL) < 0) {
        take_cause(why, size, "cannot be inspected");
    } else {
        *ftype = targs.args.get_type.type_id;
        space = sargs.args.get_space.space_id;
        hssize_t n = H5Sget_simple_extent_npoints(space);
        if (H5Tget_class(*ftype) != want)
            snprintf(why, size, "is not %s", want == H5T_STRING ? "a string" : "an integer");
        else if (n != 1) /* an array would be read into room for one value */
            snprintf(why, size, "holds %lld values, not one", (long long)n);
        else
            why[0] = '\0';
    }
    if (space >= 0)
        H5Sclose(space);
    if (why[0]) {
        if (*ftype >= 0)
            H5Tclose(*ftype);
        *ftype = H5I_INVALID_HID;
        hid_t saved = lzv_stack_save();
        H5VLattr_close(attr, under_vol_id, dxpl_id, NULL);
        lzv_stack_restore(saved);
        return NULL;
    }
    return attr;
}

/* Close what open_single_attr opened; on failure the cause goes into why. */
static herr_t
close_single_attr(void *attr, hid_t ftype, hid_t under_vol_id, hid_t dxpl_id, herr_t ret, char *why,
                  size_t size)
{
    if (ret < 0 && !why[0])
        take_cause(why, size, "cannot be read");
    H5Tclose(ftype);
    hid_t saved = lzv_stack_save();
    H5VLattr_close(attr, under_vol_id, dxpl_id, NULL);
    lzv_stack_restore(saved);
    return ret;
}

/* Read a single integer attribute. */
static herr_t
read_int_attr(void *under_dset, hid_t under_vol_id, const char *name, hid_t dxpl_id, long long *value,
              char *why, size_t size)
{
    hid_t ftype;
    void *attr = open_single_attr(under_dset, under_vol_id, name, H5T_INTEGER, dxpl_id, &ftype, why, size);
    if (!attr)
        return -1;
    herr_t ret = H5VLattr_read(attr, under_vol_id, H5T_NATIVE_LLONG, value, dxpl_id, NULL);
    return close_single_attr(attr, ftype, under_vol_id, dxpl_id, ret, why, size);
}

/* Read a single string attribute, fixed or variable length, into malloc'd
 * text. */
static herr_t
read_string_attr(void *under_dset, hid_t under_vol_id, const char *name, hid_t dxpl_id, char **text, char *why,
                 size_t size)
{
    hid_t ftype;
    void *attr = open_single_attr(under_dset, under_vol_id, name, H5T_STRING, dxpl_id, &ftype, why, size);
    if (!attr)
        return -1;
    herr_t ret = -1;
    hid_t mtype = H5Tcopy(H5T_C_S1);
    if (mtype < 0)
        goto done;
    if (H5Tis_variable_str(ftype) > 0) {
        char *vstr = NULL;
        if (H5Tset_size(mtype, H5T_VARIABLE) < 0 || H5Tset_cset(mtype, H5Tget_cset(ftype)) < 0 ||
            H5VLattr_read(attr, under_vol_id, mtype, &vstr, dxpl_id, NULL) < 0)
            goto done;
        *text = strdup(vstr ? vstr : "");
        hid_t scalar = H5Screate(H5S_SCALAR);
        H5Treclaim(mtype, scalar, H5P_DEFAULT, &vstr);
        H5Sclose(scalar);
    } else {
        size_t len = H5Tget_size(ftype);
        char *buf = calloc(1, len + 1); /* +1: fixed strings need not be terminated */
        if (!buf || H5Tset_size(mtype, len) < 0 || H5Tset_strpad(mtype, H5T_STR_NULLPAD) < 0 ||
            H5VLattr_read(attr, under_vol_id, mtype, buf, dxpl_id, NULL) < 0) {
            free(buf);
            goto done;
        }
        *text = buf;
    }
    if (!*text)
        snprintf(why, size, "cannot be read: out of memory");
    else
        ret = 0;
done:
    if (mtype >= 0)
        H5Tclose(mtype);
    return close_single_attr(attr, ftype, under_vol_id, dxpl_id, ret, why, size);
}

/* Read h5lazy_chunks if present and usable as integers; absent or unusable
 * leaves nchunks at 0 (it is a hint: the dataset reads the same without). */
static void
read_chunks_attr(void *under_dset, hid_t under_vol_id, hid_t dxpl_id, lzv_definition *def)
{
    hbool_t exists = false;
    H5VL_attr_specific_args_t args = {.op_type = H5VL_ATTR_EXISTS};
    args.args.exists.name = H5LAZY_ATTR_CHUNKS;
    args.args.exists.exists = &exists;
    hid_t saved = lzv_stack_save();
    if (H5VLattr_specific(under_dset, &self_dataset, under_vol_id, &args, dxpl_id, NULL) < 0 || !exists)
        goto done;
    void *attr = H5VLattr_open(under_dset, &self_dataset, under_vol_id, H5LAZY_ATTR_CHUNKS,
                               H5P_ATTRIBUTE_ACCESS_DEFAULT, dxpl_id, NULL);
    if (!attr)
        goto done;
    H5VL_attr_get_args_t targs = {.op_type = H5VL_ATTR_GET_TYPE};
    H5VL_attr_get_args_t sargs = {.op_type = H5VL_ATTR_GET_SPACE};
    if (H5VLattr_get(attr, under_vol_id, &targs, dxpl_id, NULL) >= 0) {
        if (H5VLattr_get(attr, under_vol_id, &sargs, dxpl_id, NULL) >= 0) {
            hssize_t n = H5Sget_simple_extent_npoints(sargs.args.get_space.space_id);
            long long v[H5S_MAX_RANK];
            /* Unsigned values of 2^63 and more convert to LLONG_MAX: still
             * out of range below, so ignored like any unusable hint. */
            if (H5Tget_class(targs.args.get_type.type_id) == H5T_INTEGER && n > 0 && n <= H5S_MAX_RANK &&
                H5VLattr_read(attr, under_vol_id, H5T_NATIVE_LLONG, v, dxpl_id, NULL) >= 0) {
                def->nchunks = (int)n;
                for (hssize_t i = 0; i < n; i++) {
                    if (v[i] < 1) {
                        def->nchunks = 0;
                        break;
                    }
                    def->chunks[i] = (hsize_t)v[i];
                }
            }
            H5Sclose(sargs.args.get_space.space_id);
        }
        H5Tclose(targs.args.get_type.type_id);
    }
    H5VLattr_close(attr, under_vol_id, dxpl_id, NULL);
done:
    lzv_stack_restore(saved); /* what failed here only loses a hint */
}

herr_t
lzv_definition_read(void *under_dset, hid_t under_vol_id, hid_t dxpl_id, lzv_definition *def, char *why,
                    size_t size)
{
    memset(def, 0, sizeof *def);
    why[0] = '\0';
    const char *failed = H5LAZY_ATTR_FORMAT;
    long long format = 0;
    char reason[480] = "";
    if (read_int_attr(under_dset, under_vol_id, H5LAZY_ATTR_FORMAT, dxpl_id, &format, reason, sizeof reason) <
            0 ||
        (failed = H5LAZY_ATTR_EXPRESSION,
         read_string_attr(under_dset, under_vol_id, H5LAZY_ATTR_EXPRESSION, dxpl_id, &def->expression, reason,
                          sizeof reason) < 0)) {
        snprintf(why, size, "attribute %s %s", failed, reason);
        lzv_definition_destroy(def);
        return -1;
    }
    /* Out-of-range values keep their sign, so the caller can still tell a
     * newer format from one that never existed. */
    def->format = format > INT_MAX ? INT_MAX : format < INT_MIN ? INT_MIN : (int)format;
    read_chunks_attr(under_dset, under_vol_id, dxpl_id, def);
    return 0;
}

void
lzv_definition_destroy(lzv_definition *def)
{
    free(def->expression);
    def->expression = NULL;
}

/* Create attribute `name` of `type` and `space` on the dataset and write
 * `buf` (in memory type `mtype`). */
static herr_t
write_attr(void *under_dset, hid_t under_vol_id, hid_t dxpl_id, const char *name, hid_t type, hid_t space,
           hid_t mtype, const void *buf)
{
    void *attr = H5VLattr_create(under_dset, &self_dataset, under_vol_id, name, type, space,
                                 H5P_ATTRIBUTE_CREATE_DEFAULT, H5P_ATTRIBUTE_ACCESS_DEFAULT, dxpl_id, NULL);
    if (!attr)
        return -1;
    herr_t ret = H5VLattr_write(attr, under_vol_id, mtype, buf, dxpl_id, NULL);
    hid_t saved = ret < 0 ? lzv_stack_save() : H5I_INVALID_HID;
    if (H5VLattr_close(attr, under_vol_id, dxpl_id, NULL) < 0)
        ret = -1;
    lzv_stack_restore(saved);
    return ret;
}

herr_t
lzv_definition_write(void *under_dset, hid_t under_vol_id, hid_t dxpl_id, const char *expression, int rank,
                     const hsize_t *chunks)
{
    herr_t ret = -1;
    hid_t scalar = H5Screate(H5S_SCALAR);
    hid_t str = H5Tcopy(H5T_C_S1); /* variable-length UTF-8, as h5py writes str */
    hid_t vec = H5I_INVALID_HID;
    char created_by[64];
    snprintf(created_by, sizeof created_by, "h5lazy %s", H5LAZY_VERSION_STRING);
    const char *created_ptr = created_by;
    int format = H5LAZY_FORMAT_VERSION;
    long long chunk_values[H5S_MAX_RANK];
    if (scalar < 0 || str < 0 || H5Tset_size(str, H5T_VARIABLE) < 0 || H5Tset_cset(str, H5T_CSET_UTF8) < 0)
        goto done;
    if (write_attr(under_dset, under_vol_id, dxpl_id, H5LAZY_ATTR_FORMAT, H5T_STD_I32LE, scalar,
                   H5T_NATIVE_INT, &format) < 0 ||
        write_attr(under_dset, under_vol_id, dxpl_id, H5LAZY_ATTR_EXPRESSION, str, scalar, str,
                   &expression) < 0 ||
        write_attr(under_dset, under_vol_id, dxpl_id, H5LAZY_ATTR_CREATED_BY, str, scalar, str,
                   &created_ptr) < 0)
        goto done;
    if (rank > 0) {
        hsize_t n = (hsize_t)rank;
        for (int k = 0; k < rank; k++)
            chunk_values[k] = (long long)chunks[k];
        if ((vec = H5Screate_simple(1, &n, NULL)) < 0 ||
            write_attr(under_dset, under_vol_id, dxpl_id, H5LAZY_ATTR_CHUNKS, H5T_STD_I64LE, vec,
                       H5T_NATIVE_LLONG, chunk_values) < 0)
            goto done;
    }
    ret = 0;
done: {
    hid_t saved = ret < 0 ? lzv_stack_save() : H5I_INVALID_HID;
    if (scalar >= 0)
        H5Sclose(scalar);
    if (str >= 0)
        H5Tclose(str);
    if (vec >= 0)
        H5Sclose(vec);
    lzv_stack_restore(saved);
    return ret;
}
}
