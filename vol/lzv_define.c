/* lzv_define.c — creating a virtual dataset: parse, bind against the file's
 * datasets (the same code that binds at read time), then write the
 * placeholder and its definition through the under connector, and what
 * netCDF and CF readers need to read it as a variable: attributes
 * (lzv_meta.c) and dimensions with coordinates (lzv_dims.c). */
#include "lzv_define.h"

#include "lzv_dims.h"
#include "lzv_format.h"
#include "lzv_meta.h"

#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const H5VL_loc_params_t self_file = {.obj_type = H5I_FILE, .type = H5VL_OBJECT_BY_SELF};

/* Report an engine error: on the HDF5 stack and in the caller's diagnostic. */
static void
report(h5lazy_define_args_t *a, lz_ctx *ctx)
{
    const lz_error *e = lz_ctx_error(ctx);
    if (a->diag) {
        a->diag->line = e->line;
        a->diag->column = e->column;
        snprintf(a->diag->message, sizeof a->diag->message, "%s", e->message);
    }
    if (e->column > 0)
        LZV_ERROR(e->code, "cannot define '%s': %s (at line %d, column %d)", a->name, e->message, e->line,
                  e->column);
    else
        LZV_ERROR(e->code, "cannot define '%s': %s", a->name, e->message);
}

static void
report_text(h5lazy_define_args_t *a, lz_status code, const char *message)
{
    if (a->diag) {
        a->diag->line = a->diag->column = 0;
        snprintf(a->diag->message, sizeof a->diag->message, "%s", message);
    }
    LZV_ERROR(code, "cannot define '%s': %s", a->name, message);
}

/* The chunk to present: the caller's, else that of an operand with the
 * result's shape (so reads line up with its storage), else the default. */
static int
choose_chunks(h5lazy_define_args_t *a, const lz_graph *g, const lzv_operand *ops, size_t nops,
              hsize_t *chunks)
{
    int rank = lz_graph_rank(g);
    const int64_t *shape = lz_graph_shape(g);
    hsize_t dims[H5S_MAX_RANK];
    for (int k = 0; k < rank; k++)
        dims[k] = (hsize_t)shape[k];
    if (a->nchunks) {
        if (a->nchunks != rank || !a->chunks) {
            char msg[128];
            snprintf(msg, sizeof msg, "%d chunk extents were given but the result has rank %d", a->nchunks,
                     rank);
            report_text(a, LZ_EVALUE, msg);
            return -1;
        }
        char why[160];
        if (!lzv_chunks_valid(rank, dims, lz_dtype_size(lz_graph_dtype(g)), a->chunks, why, sizeof why)) {
            report_text(a, LZ_EVALUE, why);
            return -1;
        }
        memcpy(chunks, a->chunks, (size_t)rank * sizeof *chunks);
        return 0;
    }
    for (size_t i = 0; i < nops; i++) {
        const lz_source *s = &ops[i].source;
        bool same = s->rank == rank && rank > 0 && s->chunk[0] > 0;
        for (int k = 0; same && k < rank; k++)
            same = s->shape[k] == shape[k];
        if (same) {
            for (int k = 0; k < rank; k++)
                chunks[k] = (hsize_t)s->chunk[k];
            return 0;
        }
    }
    lzv_default_chunks(rank, dims, lz_graph_dtype(g), chunks);
    return 0;
}

bool
lzv_define_exists(lzv_obj *file, const char *path, hid_t dxpl_id)
{
    hbool_t exists = false;
    H5VL_loc_params_t by_name = {.obj_type = H5I_FILE, .type = H5VL_OBJECT_BY_NAME};
    by_name.loc_data.loc_by_name.name = path;
    by_name.loc_data.loc_by_name.lapl_id = H5P_LINK_ACCESS_DEFAULT;
    H5VL_link_specific_args_t args = {.op_type = H5VL_LINK_EXISTS};
    args.args.exists.exists = &exists;
    herr_t st;
    H5E_BEGIN_TRY { st = H5VLlink_specific(file->under_object, &by_name, file->under_vol_id, &args, dxpl_id, NULL); }
    H5E_END_TRY
    if (st < 0) {
        H5Eclear2(H5E_DEFAULT);
        return false;
    }
    return exists;
}

/* Create the groups on the way to `name` that do not exist yet. (The native
 * connector takes "create intermediate groups" from the API context, which
 * a call from inside a connector does not carry, so it is done here.) */
static herr_t
create_parents(lzv_obj *file, const char *name, hid_t dxpl_id)
{
    char *path = strdup(name); /* HDF5 names have no length limit */
    if (!path) {
        LZV_ERROR(LZ_ENOMEM, "cannot define '%s': out of memory", name);
        return -1;
    }
    herr_t ret = 0;
    for (size_t i = 1; name[i] && ret == 0; i++) {
        if (name[i] != '/')
            continue;
        path[i] = '\0';
        if (!lzv_define_exists(file, path, dxpl_id)) {
            void *g = H5VLgroup_create(file->under_object, &self_file, file->under_vol_id, path,
                                       H5P_LINK_CREATE_DEFAULT, H5P_GROUP_CREATE_DEFAULT, H5P_GROUP_ACCESS_DEFAULT,
                                       dxpl_id, NULL);
            if (!g || H5VLgroup_close(g, file->under_vol_id, dxpl_id, NULL) < 0) {
                LZV_ERROR(LZ_ESOURCE, "cannot define '%s': group '%s' cannot be created", name, path);
                ret = -1;
            }
        }
        path[i] = '/';
    }
    free(path);
    return ret;
}

herr_t
lzv_define_unlink(lzv_obj *file, const char *path, hid_t dxpl_id)
{
    H5VL_loc_params_t by_name = {.obj_type = H5I_FILE, .type = H5VL_OBJECT_BY_NAME};
    by_name.loc_data.loc_by_name.name = path;
    by_name.loc_data.loc_by_name.lapl_id = H5P_LINK_ACCESS_DEFAULT;
    H5VL_link_specific_args_t del = {.op_type = H5VL_LINK_DELETE};
    return H5VLlink_specific(file->under_object, &by_name, file->under_vol_id, &del, dxpl_id, NULL);
}

/* Handle an existing object at the name: refuse, or remove an old virtual
 * dataset when overwriting (taking it off the dimension scales it was
 * attached to first). */
static herr_t
clear_name(lzv_obj *file, h5lazy_define_args_t *a, hid_t dxpl_id)
{
    if (!lzv_define_exists(file, a->name, dxpl_id))
        return create_parents(file, a->name, dxpl_id);
    void *old = H5VLdataset_open(file->under_object, &self_file, file->under_vol_id, a->name,
                                 H5P_DATASET_ACCESS_DEFAULT, dxpl_id, NULL);
    if (!old) {
        H5Eclear2(H5E_DEFAULT);
        report_text(a, LZ_EVALUE, "an object of that name exists and is not a dataset");
        return -1;
    }
    htri_t is_virtual = lzv_definition_exists(old, file->under_vol_id, dxpl_id);
    if (is_virtual > 0 && a->overwrite)
        lzv_dims_detach(old, file->under_vol_id, dxpl_id);
    H5VLdataset_close(old, file->under_vol_id, dxpl_id, NULL);
    if (is_virtual < 0)
        return -1;
    if (!is_virtual) {
        report_text(a, LZ_EVALUE, "a stored dataset of that name exists; h5lazy never replaces stored data");
        return -1;
    }
    if (!a->overwrite) {
        report_text(a, LZ_EVALUE, "a virtual dataset of that name exists (overwrite it to replace it)");
        return -1;
    }
    return lzv_define_unlink(file, a->name, dxpl_id);
}

/* Create the placeholder: the result's shape and type, raw data in an
 * external file that cannot exist (reads without the connector fail). */
static void *
create_placeholder(lzv_obj *file, const char *name, const lz_graph *g, hid_t dxpl_id)
{
    int rank = lz_graph_rank(g);
    hsize_t dims[H5S_MAX_RANK];
    for (int k = 0; k < rank; k++)
        dims[k] = (hsize_t)lz_graph_shape(g)[k];
    void *dset = NULL;
    hid_t type = lzv_file_type_of_dtype(lz_graph_dtype(g));
    hid_t space = rank ? H5Screate_simple(rank, dims, NULL) : H5Screate(H5S_SCALAR);
    hid_t dcpl = H5Pcreate(H5P_DATASET_CREATE);
    if (type >= 0 && space >= 0 && dcpl >= 0 &&
        H5Pset_external(dcpl, H5LAZY_PLACEHOLDER_FILE, 0, H5F_UNLIMITED) >= 0 &&
        H5Pset_fill_time(dcpl, H5D_FILL_TIME_NEVER) >= 0)
        dset = H5VLdataset_create(file->under_object, &self_file, file->under_vol_id, name, H5P_LINK_CREATE_DEFAULT,
                                  type, space, dcpl, H5P_DATASET_ACCESS_DEFAULT, dxpl_id, NULL);
    if (!dset)
        LZV_ERROR(LZ_ESOURCE, "cannot define '%s': the placeholder dataset cannot be created", name);
    hid_t saved = dset ? H5I_INVALID_HID : lzv_stack_save();
    if (type >= 0)
        H5Tclose(type);
    if (space >= 0)
        H5Sclose(space);
    if (dcpl >= 0)
        H5Pclose(dcpl);
    lzv_stack_restore(saved);
    return dset;
}

void *
lzv_define_placeholder(lzv_obj *file, const char *name, const char *expression, const lz_graph *g,
                       const hsize_t *chunks, hid_t dxpl_id)
{
    hsize_t defaults[H5S_MAX_RANK];
    if (!chunks) {
        hsize_t dims[H5S_MAX_RANK];
        for (int k = 0; k < lz_graph_rank(g); k++)
            dims[k] = (hsize_t)lz_graph_shape(g)[k];
        lzv_default_chunks(lz_graph_rank(g), dims, lz_graph_dtype(g), defaults);
        chunks = defaults;
    }
    void *dset = create_placeholder(file, name, g, dxpl_id);
    if (dset && lzv_definition_write(dset, file->under_vol_id, dxpl_id, expression, lz_graph_rank(g), chunks) < 0) {
        /* Leave nothing half-defined behind. */
        hid_t saved = lzv_stack_save();
        H5VLdataset_close(dset, file->under_vol_id, dxpl_id, NULL);
        lzv_define_unlink(file, name, dxpl_id);
        lzv_stack_restore(saved);
        return NULL;
    }
    return dset;
}

/* The operand --attrs-from names: by its label ("f.h5:/t"), by its path as
 * written ("/obs/t", "t"), else by the last part of its path when only one
 * operand has it. NULL after reporting when none (or several) match. */
static const lzv_operand *
attrs_operand(h5lazy_define_args_t *a, const lzv_binding *b)
{
    const char *want = a->attrs_from;
    const lzv_operand *found = NULL;
    int matches = 0;
    for (size_t i = 0; i < b->nops; i++) {
        const lz_operand *op = lz_expr_operand(b->expr, i);
        if (!strcmp(want, b->ops[i].label) || !strcmp(want, op->path))
            return &b->ops[i];
        const char *slash = strrchr(op->path, '/');
        if (!strcmp(want, slash ? slash + 1 : op->path)) {
            found = &b->ops[i];
            matches++;
        }
    }
    if (matches == 1)
        return found;
    char msg[400];
    size_t used = (size_t)snprintf(msg, sizeof msg, "--attrs-from '%s' is %s operand of the expression (its operands: ",
                                   want, matches ? "more than one" : "not an");
    for (size_t i = 0; i < b->nops && used < sizeof msg; i++)
        used += (size_t)snprintf(msg + used, sizeof msg - used, "%s%s", i ? ", " : "", b->ops[i].label);
    if (used < sizeof msg)
        snprintf(msg + used, sizeof msg - used, ")");
    report_text(a, LZ_EVALUE, msg);
    return NULL;
}

/* Options that can be checked before anything is written. */
static bool
options_valid(h5lazy_define_args_t *a, const lz_graph *g)
{
    char why[400];
    lz_dtype t = lz_graph_dtype(g);
    if (a->fill && lz_dtype_kind_code(t) != 'f') {
        snprintf(why, sizeof why, "a fill value needs a float result, and this one is %s (it holds no missing values)",
                 lz_dtype_name(t));
        report_text(a, LZ_ETYPE, why);
        return false;
    }
    if (a->fill && t == LZ_FLOAT32 && isfinite(a->fill_value) && fabs(a->fill_value) > FLT_MAX) {
        snprintf(why, sizeof why, "the fill value %g is not a float32 value (the result is float32)", a->fill_value);
        report_text(a, LZ_EVALUE, why);
        return false;
    }
    for (int i = 0; i < a->nattrs; i++) {
        if (!lzv_meta_attr_valid(&a->attrs[i], why, sizeof why)) {
            report_text(a, LZ_EVALUE, why);
            return false;
        }
    }
    if (!lzv_dims_named_valid(a->dim_names, a->ndims, lz_graph_rank(g), why, sizeof why)) {
        report_text(a, LZ_EVALUE, why);
        return false;
    }
    return true;
}

/* Everything a new dataset says about itself to netCDF and CF readers
 * besides its values: attributes, then dimensions. */
static bool
present(lzv_obj *file, h5lazy_define_args_t *a, const lzv_binding *b, const lzv_operand *from, void *dset,
        lzv_created *created, hid_t dxpl_id)
{
    char why[600] = "";
    lzv_meta meta = {.fill = a->fill ? a->fill_value : NAN, .attrs = a->attrs, .nattrs = a->nattrs};
    if (from)
        meta.from = from->nested ? from->nested->under_object : from->under_dset;
    if (lzv_meta_write(dset, file->under_vol_id, b, &meta, dxpl_id, why, sizeof why) < 0 ||
        lzv_dims_attach(file, a->name, dset, b, a->dim_names, a->ndims, created, dxpl_id, why, sizeof why) < 0) {
        report_text(a, LZ_ESOURCE, why);
        return false;
    }
    return true;
}

herr_t
lzv_define(lzv_obj *file, void *args_, hid_t dxpl_id)
{
    h5lazy_define_args_t *a = args_;
    if (!a || !a->name || !a->name[0] || !a->expression) {
        LZV_ERROR(LZ_EVALUE, "define needs a dataset name and an expression");
        return -1;
    }
    herr_t ret = -1;
    lzv_binding b;
    void *dset = NULL;
    hsize_t chunks[H5S_MAX_RANK];
    lzv_place place;
    lzv_created created = {0};
    const lzv_operand *from = NULL;
    if (lzv_place_in_file(file->under_object, file->under_vol_id, a->name, file->access, dxpl_id, &place) < 0) {
        memset(&b, 0, sizeof b);
        goto done;
    }
    if (lzv_binding_open(&b, a->name, a->expression, NULL, NAN, &place, NULL, dxpl_id) < 0) {
        if (b.ctx && lz_ctx_error(b.ctx)->code != LZ_OK)
            report(a, b.ctx); /* on top of the under connector's account, if any */
        goto done;
    }
    const lz_graph *g = b.graph;
    if (!options_valid(a, g) || (a->attrs_from && !(from = attrs_operand(a, &b))))
        goto done;
    if (choose_chunks(a, g, b.ops, b.nops, chunks) < 0 || clear_name(file, a, dxpl_id) < 0)
        goto done;
    if (!(dset = lzv_define_placeholder(file, a->name, a->expression, g, chunks, dxpl_id)))
        goto done;
    if (!present(file, a, &b, from, dset, &created, dxpl_id)) {
        /* Leave nothing half-defined behind: the dataset, and the
         * coordinates made for it. */
        hid_t saved = lzv_stack_save();
        lzv_dims_detach(dset, file->under_vol_id, dxpl_id);
        H5VLdataset_close(dset, file->under_vol_id, dxpl_id, NULL);
        dset = NULL;
        lzv_define_unlink(file, a->name, dxpl_id);
        lzv_created_remove(&created, file, dxpl_id);
        lzv_stack_restore(saved);
        goto done;
    }
    snprintf(a->dtype, sizeof a->dtype, "%s", lz_dtype_name(lz_graph_dtype(g)));
    a->rank = lz_graph_rank(g);
    for (int k = 0; k < a->rank; k++)
        a->dims[k] = (hsize_t)lz_graph_shape(g)[k];
    ret = 0;
done: {
    hid_t saved = ret < 0 ? lzv_stack_save() : H5I_INVALID_HID;
    if (dset && H5VLdataset_close(dset, file->under_vol_id, dxpl_id, NULL) < 0)
        ret = -1;
    lzv_binding_close(&b, dxpl_id);
    lzv_created_destroy(&created);
    lzv_stack_restore(saved);
    return ret;
}
}
