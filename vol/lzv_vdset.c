/* lzv_vdset.c — recognising virtual datasets, presenting them as stored
 * ones, and binding them to their operands.
 *
 * Presentation: space and type are the placeholder's (written equal to the
 * expression's at definition, checked again at binding). The creation
 * property list is a clean chunked layout with the evaluation chunk — no
 * external file, no filters — so tools and h5py see an ordinary dataset.
 * The storage size is the logical size (elements x element size): h5diff
 * refuses to compare, and h5dump -x skips, datasets whose storage size is 0.
 * Native chunk queries fail: there are no stored chunks to describe.
 */
#include "lzv_vdset_int.h"

#include "lzv_attrs.h"
#include "lzv_format.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *
lzv_vdset_name(const lzv_vdset *vd)
{
    return vd->name ? vd->name : "(unnamed)";
}

void
lzv_vdset_free(lzv_vdset *vd)
{
    if (!vd)
        return;
    hid_t saved = lzv_stack_save();
    lzv_binding_close(&vd->binding, H5P_DATASET_XFER_DEFAULT);
    if (vd->native_type >= 0)
        H5Tclose(vd->native_type);
    lzv_stack_restore(saved);
    free(vd->name);
    free(vd->expression);
    free(vd->broken);
    free(vd);
}

static void
set_broken(lzv_vdset *vd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void
set_broken(lzv_vdset *vd, const char *fmt, ...)
{
    char buf[600];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    free(vd->broken);
    vd->broken = strdup(buf);
}

/* The number missing values are written as: the placeholder's _FillValue
 * when it is one number and the type a float type (define --fill-value
 * writes both), else NaN. Definitions of stored format 1 predate it. */
static double
fill_of(lzv_obj *dset, hid_t dxpl_id, const lzv_vdset *vd)
{
    if (vd->format < 2 || lz_dtype_kind_code(vd->dtype) != 'f')
        return NAN;
    lzv_attr_value v;
    int got;
    H5E_BEGIN_TRY { got = lzv_attrs_read(dset->under_object, H5I_DATASET, dset->under_vol_id, "_FillValue", dxpl_id, &v); }
    H5E_END_TRY
    if (got < 0)
        H5Eclear2(H5E_DEFAULT);
    double fill = NAN;
    if (got > 0 && v.kind == LZV_ATTR_NUMBERS && v.n == 1)
        fill = lz_dtype_kind_code(v.dtype) == 'f'   ? v.values[0].f
               : lz_dtype_kind_code(v.dtype) == 'i' ? (double)v.values[0].i
                                                    : (double)v.values[0].u;
    if (got > 0)
        lzv_attrs_value_destroy(&v);
    return fill;
}

/* Load the definition and the placeholder's shape and type. */
static herr_t
load(lzv_obj *dset, hid_t dxpl_id, lzv_vdset *vd)
{
    vd->name = lzv_name_of(dset->under_object, H5I_DATASET, dset->under_vol_id, false, dxpl_id);
    if (!vd->name)
        return -1;
    lzv_definition def;
    char why[512];
    if (lzv_definition_read(dset->under_object, dset->under_vol_id, dxpl_id, &def, why, sizeof why) < 0) {
        /* Reported once, at read time: opening still works, so tools can
         * list and inspect the broken dataset. */
        set_broken(vd, "the definition of '%s' cannot be read: %s", vd->name, why);
        return 0;
    }
    vd->expression = def.expression;
    def.expression = NULL;
    vd->format = def.format;
    if (def.format > H5LAZY_FORMAT_VERSION)
        set_broken(vd,
                   "'%s' was defined with h5lazy stored format %d; this h5lazy reads format %d. "
                   "Upgrade h5lazy to read it",
                   vd->name, def.format, H5LAZY_FORMAT_VERSION);
    else if (def.format < 1)
        set_broken(vd, "'%s' has h5lazy_format %d, which is not a valid h5lazy stored format (they start at 1)",
                   vd->name, def.format);
    H5VL_dataset_get_args_t sargs = {.op_type = H5VL_DATASET_GET_SPACE};
    H5VL_dataset_get_args_t targs = {.op_type = H5VL_DATASET_GET_TYPE};
    if (H5VLdataset_get(dset->under_object, dset->under_vol_id, &sargs, dxpl_id, NULL) < 0)
        return -1;
    hid_t space = sargs.args.get_space.space_id;
    int rank = H5Sget_simple_extent_ndims(space);
    herr_t ret = -1;
    if (rank >= 0 && H5Sget_simple_extent_dims(space, vd->dims, NULL) >= 0 &&
        H5VLdataset_get(dset->under_object, dset->under_vol_id, &targs, dxpl_id, NULL) >= 0) {
        hid_t type = targs.args.get_type.type_id;
        const char *what;
        vd->rank = rank;
        if (lzv_dtype_of_type(type, &vd->dtype, &what) < 0) {
            set_broken(vd, "placeholder of '%s' has %s as its type", vd->name, what);
            vd->dtype = LZ_UINT8;
        }
        vd->native_type = lzv_native_type_of_dtype(vd->dtype);
        ret = vd->native_type < 0 ? -1 : 0;
        H5Tclose(type);
    }
    H5Sclose(space);
    if (ret == 0) {
        /* A hint larger than the shape is clipped to it (HDF5 never makes
         * such a dataset, and copies with chunks=src.chunks would fail);
         * one HDF5 cannot take at all is ignored. */
        bool hinted = def.nchunks == vd->rank;
        for (int k = 0; hinted && k < vd->rank; k++) {
            hsize_t most = vd->dims[k] ? vd->dims[k] : 1;
            vd->chunks[k] = def.chunks[k] < most ? def.chunks[k] : most;
        }
        if (!hinted || !lzv_chunks_valid(vd->rank, vd->dims, lz_dtype_size(vd->dtype), vd->chunks, why, sizeof why))
            lzv_default_chunks(vd->rank, vd->dims, vd->dtype, vd->chunks);
        vd->fill = fill_of(dset, dxpl_id, vd);
    }
    return ret;
}

herr_t
lzv_vdset_classify(lzv_obj *dset, hid_t dxpl_id)
{
    if (dset->kind != LZV_KIND_OTHER)
        return 0;
    htri_t has = lzv_definition_exists(dset->under_object, dset->under_vol_id, dxpl_id);
    if (has < 0)
        return -1;
    if (!has) {
        dset->kind = LZV_KIND_STORED;
        return 0;
    }
    lzv_vdset *vd = calloc(1, sizeof *vd);
    if (!vd) {
        LZV_ERROR(LZ_ENOMEM, "out of memory opening a virtual dataset");
        return -1;
    }
    vd->native_type = H5I_INVALID_HID;
    if (load(dset, dxpl_id, vd) < 0) {
        hid_t saved = lzv_stack_save();
        lzv_vdset_free(vd);
        lzv_stack_restore(saved);
        return -1;
    }
    dset->vdset = vd;
    dset->kind = LZV_KIND_VIRTUAL;
    return 0;
}

lzv_obj *
lzv_vdset_wrap_opened(void *under, const lzv_obj *parent, hid_t dxpl_id)
{
    lzv_obj *d = lzv_obj_wrap(under, H5I_DATASET, parent, dxpl_id);
    if (d && lzv_vdset_classify(d, dxpl_id) < 0) {
        hid_t saved = lzv_stack_save();
        H5VLdataset_close(d->under_object, d->under_vol_id, dxpl_id, NULL);
        lzv_obj_free(d);
        lzv_stack_restore(saved);
        return NULL;
    }
    return d;
}

/* The text with every byte outside printable ASCII written as \xNN (a
 * newline as \n): a hostile or corrupt expression must not put bytes into
 * the error message that readers cannot decode (h5py then shows nothing). */
static char *
printable(const char *text)
{
    size_t n = strlen(text);
    char *out = malloc(4 * n + 1), *p = out;
    if (!out)
        return NULL;
    for (const unsigned char *c = (const unsigned char *)text; *c; c++) {
        if (*c == '\n')
            p += sprintf(p, "\\n");
        else if (*c < 0x20 || *c > 0x7e)
            p += sprintf(p, "\\x%02x", *c);
        else
            *p++ = (char)*c;
    }
    *p = '\0';
    return out;
}

void
lzv_vdset_push_error(lzv_vdset *vd, const char *what, hid_t cause)
{
    lz_ctx *ctx = vd->binding.ctx;
    const lz_error *e = lz_ctx_error(ctx);
    char *expression = e->column > 0 ? printable(vd->expression) : NULL;
    if (expression)
        lzv_error_push(__func__, __LINE__, e->code, "%s '%s': %s (at line %d, column %d of \"%s\")", what,
                       lzv_vdset_name(vd), e->message, e->line, e->column, expression);
    else
        lzv_error_push(__func__, __LINE__, e->code, "%s '%s': %s", what, lzv_vdset_name(vd), e->message);
    free(expression);
    lzv_stack_add_cause(cause);
    lz_ctx_clear_error(ctx);
}

herr_t
lzv_vdset_bind(lzv_obj *dset, hid_t dxpl_id)
{
    return lzv_vdset_bind_chain(dset, dxpl_id, NULL);
}

/* Report why binding failed and drop what the attempt made. */
static herr_t
bind_failed(lzv_vdset *vd, hid_t dxpl_id)
{
    lzv_binding *b = &vd->binding;
    if (b->ctx && lz_ctx_error(b->ctx)->code != LZ_OK) {
        /* A failed operand open left the under connector's account on the
         * stack: it becomes the cause under our sentence. */
        lzv_vdset_push_error(vd, b->expr ? "cannot evaluate" : "the definition of", lzv_stack_save());
    }
    lzv_binding_close(b, dxpl_id);
    return -1;
}

herr_t
lzv_vdset_bind_chain(lzv_obj *dset, hid_t dxpl_id, const lzv_chain *chain)
{
    lzv_vdset *vd = dset->vdset;
    if (vd->binding.graph)
        return 0;
    if (vd->broken) {
        LZV_ERROR(LZ_EVALUE, "%s", vd->broken);
        return -1;
    }
    lz_config cfg;
    lzv_engine_config(&dset->access->config, &cfg);
    lzv_place place;
    if (lzv_place_of_dataset(dset->under_object, dset->under_vol_id, dset->access, dxpl_id, &place) < 0)
        return -1;
    place.cf_decode = vd->format >= 2;
    if (lzv_binding_open(&vd->binding, vd->name, vd->expression, &cfg, vd->fill, &place, chain, dxpl_id) < 0)
        return bind_failed(vd, dxpl_id);
    /* The placeholder says what readers were promised: the expression over
     * today's operands must still give exactly that. */
    const lz_graph *g = vd->binding.graph;
    bool same = lz_graph_rank(g) == vd->rank && lz_graph_dtype(g) == vd->dtype;
    for (int k = 0; same && k < vd->rank; k++)
        same = (hsize_t)lz_graph_shape(g)[k] == vd->dims[k];
    if (!same) {
        char want[200], got[200];
        int64_t dims[H5S_MAX_RANK];
        for (int k = 0; k < vd->rank; k++)
            dims[k] = (int64_t)vd->dims[k];
        lz_shape_format(vd->rank, dims, want, sizeof want);
        lz_shape_format(lz_graph_rank(g), lz_graph_shape(g), got, sizeof got);
        LZV_ERROR(LZ_ESHAPE,
                  "'%s' was defined as %s %s, but its expression now gives %s %s: an operand changed "
                  "since the definition (redefine it with h5lazy define --overwrite)",
                  lzv_vdset_name(vd), lz_dtype_name(vd->dtype), want, lz_dtype_name(lz_graph_dtype(g)), got);
        return bind_failed(vd, dxpl_id);
    }
    return 0;
}

herr_t
lzv_vdset_get(lzv_obj *dset, H5VL_dataset_get_args_t *args, hid_t dxpl_id, bool *handled)
{
    (void)dxpl_id;
    lzv_vdset *vd = dset->vdset;
    *handled = true;
    switch (args->op_type) {
    case H5VL_DATASET_GET_DCPL: {
        hid_t dcpl = H5Pcreate(H5P_DATASET_CREATE);
        if (dcpl < 0)
            return -1;
        /* Scalars cannot be chunked; empty axes still need chunk extents >= 1. */
        if (vd->rank > 0 && H5Pset_chunk(dcpl, vd->rank, vd->chunks) < 0) {
            hid_t saved = lzv_stack_save();
            H5Pclose(dcpl);
            lzv_stack_restore(saved);
            return -1;
        }
        args->args.get_dcpl.dcpl_id = dcpl;
        return 0;
    }
    case H5VL_DATASET_GET_STORAGE_SIZE: {
        hsize_t n = lz_dtype_size(vd->dtype);
        for (int k = 0; k < vd->rank; k++)
            n *= vd->dims[k];
        *args->args.get_storage_size.storage_size = n;
        return 0;
    }
    case H5VL_DATASET_GET_SPACE_STATUS:
        *args->args.get_space_status.status = H5D_SPACE_STATUS_ALLOCATED;
        return 0;
    default:
        *handled = false; /* space, type, access list: the placeholder's */
        return 0;
    }
}

uint64_t
lzv_vdset_optional_flags(int opt_type)
{
    /* Only the offset query has an answer (undefined: nothing is stored). */
    return opt_type == H5VL_NATIVE_DATASET_GET_OFFSET
               ? H5VL_OPT_QUERY_SUPPORTED | H5VL_OPT_QUERY_QUERY_METADATA
               : 0;
}

herr_t
lzv_vdset_optional(lzv_obj *dset, H5VL_optional_args_t *args)
{
    if (args->op_type == H5VL_NATIVE_DATASET_GET_OFFSET) {
        H5VL_native_dataset_optional_args_t *a = args->args;
        *a->get_offset.offset = HADDR_UNDEF;
        return 0;
    }
    LZV_ERROR(LZ_EVALUE,
              "'%s' is a virtual dataset: it has no stored chunks or raw data to query or write "
              "directly (native dataset operation %d)",
              lzv_vdset_name(dset->vdset), args->op_type);
    return -1;
}
