/* lzv_define.c — creating a virtual dataset: parse, bind against the file's
 * datasets (the same code that binds at read time), then write the
 * placeholder and its definition through the under connector. */
#include "lzv_define.h"

#include "lzv_binding.h"
#include "lzv_format.h"

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

/* Handle an existing object at the name: refuse, or remove an old virtual
 * dataset when overwriting. */
/* Whether a link exists at `path` (false, not an error, when a group on
 * the way is missing). */
static bool
link_exists(lzv_obj *file, const char *path, hid_t dxpl_id)
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
        if (!link_exists(file, path, dxpl_id)) {
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

static herr_t
clear_name(lzv_obj *file, h5lazy_define_args_t *a, hid_t dxpl_id)
{
    if (!link_exists(file, a->name, dxpl_id))
        return create_parents(file, a->name, dxpl_id);
    void *old = H5VLdataset_open(file->under_object, &self_file, file->under_vol_id, a->name,
                                 H5P_DATASET_ACCESS_DEFAULT, dxpl_id, NULL);
    if (!old) {
        H5Eclear2(H5E_DEFAULT);
        report_text(a, LZ_EVALUE, "an object of that name exists and is not a dataset");
        return -1;
    }
    htri_t is_virtual = lzv_definition_exists(old, file->under_vol_id, dxpl_id);
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
    H5VL_loc_params_t by_name = {.obj_type = H5I_FILE, .type = H5VL_OBJECT_BY_NAME};
    by_name.loc_data.loc_by_name.name = a->name;
    by_name.loc_data.loc_by_name.lapl_id = H5P_LINK_ACCESS_DEFAULT;
    H5VL_link_specific_args_t del = {.op_type = H5VL_LINK_DELETE};
    return H5VLlink_specific(file->under_object, &by_name, file->under_vol_id, &del, dxpl_id, NULL);
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
    if (lzv_place_in_file(file->under_object, file->under_vol_id, a->name, file->access, dxpl_id, &place) < 0) {
        memset(&b, 0, sizeof b);
        goto done;
    }
    if (lzv_binding_open(&b, a->name, a->expression, NULL, &place, NULL, dxpl_id) < 0) {
        if (b.ctx && lz_ctx_error(b.ctx)->code != LZ_OK)
            report(a, b.ctx); /* on top of the under connector's account, if any */
        goto done;
    }
    const lz_graph *g = b.graph;
    if (choose_chunks(a, g, b.ops, b.nops, chunks) < 0 || clear_name(file, a, dxpl_id) < 0)
        goto done;
    if (!(dset = create_placeholder(file, a->name, g, dxpl_id)))
        goto done;
    if (lzv_definition_write(dset, file->under_vol_id, dxpl_id, a->expression, lz_graph_rank(g), chunks) < 0) {
        /* Leave nothing half-defined behind. */
        hid_t saved = lzv_stack_save();
        H5VLdataset_close(dset, file->under_vol_id, dxpl_id, NULL);
        dset = NULL;
        H5VL_loc_params_t by_name = {.obj_type = H5I_FILE, .type = H5VL_OBJECT_BY_NAME};
        by_name.loc_data.loc_by_name.name = a->name;
        by_name.loc_data.loc_by_name.lapl_id = H5P_LINK_ACCESS_DEFAULT;
        H5VL_link_specific_args_t del = {.op_type = H5VL_LINK_DELETE};
        H5VLlink_specific(file->under_object, &by_name, file->under_vol_id, &del, dxpl_id, NULL);
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
    lzv_stack_restore(saved);
    return ret;
}
}
