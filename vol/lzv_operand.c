/* lzv_operand.c — resolving, opening and reading operands through the under
 * connector (see lzv_operand.h for the resolution rules). */
#include "lzv_operand.h"

#include "lzv_cf.h"
#include "lzv_format.h"
#include "lzv_vdset_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* The group holding the object at `path`: "/a/b/c" -> "/a/b"; "/c" and
 * "" (no path) -> "/". A new string, or NULL. */
static char *
group_of(const char *path)
{
    const char *slash = strrchr(path, '/');
    size_t n = slash && slash != path ? (size_t)(slash - path) : 1;
    char *group = malloc(n + 1);
    if (group) {
        memcpy(group, slash && slash != path ? path : "/", n);
        group[n] = '\0';
    }
    return group;
}

char *
lzv_name_of(void *under_obj, H5I_type_t type, hid_t under_vol_id, bool of_file, hid_t dxpl_id)
{
    /* Asked twice: for the length, then for the text. */
    char *name = NULL;
    size_t len = 0;
    for (int pass = 0; pass < 2; pass++) {
        size_t size = pass ? len + 1 : 0;
        if (pass && !(name = malloc(size))) {
            LZV_ERROR(LZ_ENOMEM, "out of memory");
            return NULL;
        }
        herr_t st;
        if (of_file) {
            H5VL_file_get_args_t args = {.op_type = H5VL_FILE_GET_NAME};
            args.args.get_name = (H5VL_file_get_name_args_t){type, size, name, &len};
            st = H5VLfile_get(under_obj, under_vol_id, &args, dxpl_id, NULL);
        } else {
            H5VL_loc_params_t self = {.obj_type = type, .type = H5VL_OBJECT_BY_SELF};
            H5VL_object_get_args_t args = {.op_type = H5VL_OBJECT_GET_NAME};
            args.args.get_name.buf_size = size;
            args.args.get_name.buf = name;
            args.args.get_name.name_len = &len;
            st = H5VLobject_get(under_obj, &self, under_vol_id, &args, dxpl_id, NULL);
        }
        if (st < 0) {
            free(name);
            return NULL;
        }
    }
    return name;
}

/* Fill the file name; the group is set by the caller. */
herr_t
lzv_object_identity(void *under_obj, H5I_type_t type, hid_t under_vol_id, hid_t dxpl_id, unsigned long *fileno,
                    H5O_token_t *token)
{
    H5O_info2_t info;
    H5VL_loc_params_t self = {.obj_type = type, .type = H5VL_OBJECT_BY_SELF};
    H5VL_object_get_args_t args = {.op_type = H5VL_OBJECT_GET_INFO};
    args.args.get_info.fields = H5O_INFO_BASIC;
    args.args.get_info.oinfo = &info;
    if (H5VLobject_get(under_obj, &self, under_vol_id, &args, dxpl_id, NULL) < 0)
        return -1;
    *fileno = info.fileno;
    if (token)
        *token = info.token;
    return 0;
}

static herr_t
place_finish(lzv_place *place, void *under_loc, H5I_type_t loc_type, hid_t under_vol_id, lzv_access *access,
             hid_t dxpl_id)
{
    place->under_loc = under_loc;
    place->loc_type = loc_type;
    place->cf_decode = true;
    place->under_vol_id = under_vol_id;
    place->access = access;
    place->fapl_id = access->operand_fapl;
    if (!(place->file_name = lzv_name_of(under_loc, loc_type, under_vol_id, true, dxpl_id))) {
        LZV_ERROR(LZ_ESOURCE, "cannot get the name of the file holding a virtual dataset");
        lzv_place_destroy(place);
        return -1;
    }
    return 0;
}

herr_t
lzv_place_of_dataset(void *under_dset, hid_t under_vol_id, lzv_access *access, hid_t dxpl_id, lzv_place *place)
{
    memset(place, 0, sizeof *place);
    /* The dataset's own path gives the holding group. */
    char *path = lzv_name_of(under_dset, H5I_DATASET, under_vol_id, false, dxpl_id);
    if (!path)
        return -1;
    place->group = group_of(path);
    free(path);
    if (!place->group) {
        LZV_ERROR(LZ_ENOMEM, "out of memory");
        return -1;
    }
    return place_finish(place, under_dset, H5I_DATASET, under_vol_id, access, dxpl_id);
}

herr_t
lzv_place_in_file(void *under_file, hid_t under_vol_id, const char *name, lzv_access *access, hid_t dxpl_id,
                  lzv_place *place)
{
    memset(place, 0, sizeof *place);
    size_t len = strlen(name) + 2;
    char *path = malloc(len);
    if (path) {
        snprintf(path, len, "%s%s", name[0] == '/' ? "" : "/", name);
        place->group = group_of(path);
        free(path);
    }
    if (!place->group) {
        LZV_ERROR(LZ_ENOMEM, "out of memory");
        return -1;
    }
    return place_finish(place, under_file, H5I_FILE, under_vol_id, access, dxpl_id);
}

void
lzv_place_destroy(lzv_place *place)
{
    free(place->group);
    free(place->file_name);
    memset(place, 0, sizeof *place);
}

/* ---- reading ----------------------------------------------------------------- */

void
lzv_xfer_init(lzv_xfer *x, hid_t dxpl_id)
{
    x->dxpl_id = dxpl_id;
    x->cause = H5I_INVALID_HID;
}

hid_t
lzv_xfer_take_cause(lzv_xfer *x)
{
    hid_t cause = x->cause;
    x->cause = H5I_INVALID_HID;
    return cause;
}

void
lzv_xfer_drop_cause(lzv_xfer *x)
{
    if (x->cause >= 0) {
        hid_t saved = lzv_stack_save(); /* closing a stack clears the current one */
        H5Eclose_stack(x->cause);
        lzv_stack_restore(saved);
    }
    x->cause = H5I_INVALID_HID;
}

static lz_status
operand_read(const lz_source *src, lz_ctx *ctx, const lz_box *box, void *buf, void *read_arg)
{
    lzv_operand *op = src->impl;
    lzv_xfer *x = read_arg;
    if (op->chunks.enabled) { /* filtered chunks decoded here, on the workers (lzv_chunk.c) */
        lzv_chunk_result r = lzv_chunk_read(&op->chunks, op->under_dset, op->under_vol_id, op->mem_type, op->label,
                                            ctx, box, buf, x->dxpl_id, &x->cause);
        if (r != LZV_CHUNK_DECLINED)
            return r == LZV_CHUNK_DONE ? LZ_OK : LZ_ESOURCE;
    }
    hsize_t start[H5S_MAX_RANK], stride[H5S_MAX_RANK], count[H5S_MAX_RANK], dims[H5S_MAX_RANK];
    int rank = src->rank;
    for (int k = 0; k < rank; k++) {
        start[k] = (hsize_t)box->start[k];
        stride[k] = (hsize_t)box->step[k];
        count[k] = (hsize_t)box->count[k];
        dims[k] = (hsize_t)src->shape[k];
    }
    hid_t fspace = rank ? H5Screate_simple(rank, dims, NULL) : H5Screate(H5S_SCALAR);
    hid_t mspace = rank ? H5Screate_simple(rank, count, NULL) : H5Screate(H5S_SCALAR);
    herr_t ret = -1;
    if (fspace >= 0 && mspace >= 0 &&
        (rank == 0 || H5Sselect_hyperslab(fspace, H5S_SELECT_SET, start, stride, count, NULL) >= 0))
        ret = H5VLdataset_read(1, &op->under_dset, op->under_vol_id, &op->mem_type, &mspace, &fspace,
                               x->dxpl_id, &buf, NULL);
    /* Keep the under connector's account of the failure for the caller. */
    if (ret < 0 && x->cause < 0)
        x->cause = lzv_stack_save();
    hid_t saved = lzv_stack_save();
    if (fspace >= 0)
        H5Sclose(fspace);
    if (mspace >= 0)
        H5Sclose(mspace);
    lzv_stack_restore(saved);
    if (ret < 0)
        return lz_ctx_fail(ctx, LZ_ESOURCE, 0, 0, "reading operand '%s' failed", op->label);
    return LZ_OK;
}

static const lz_source_ops operand_ops = {operand_read};

/* An operand that is a virtual dataset: evaluate its own graph. */
static lz_status
nested_read(const lz_source *src, lz_ctx *ctx, const lz_box *box, void *buf, void *read_arg)
{
    lzv_operand *op = src->impl;
    lzv_binding *b = &op->nested->vdset->binding;
    /* The same transfer state: an operand read failing down there keeps
     * its cause where the outermost read will report it. */
    if (lzv_binding_eval(b, box, buf, read_arg) == LZ_OK)
        return LZ_OK;
    const lz_error *e = lz_ctx_error(b->ctx);
    lz_status st = lz_ctx_fail(ctx, e->code, 0, 0, "in operand '%s': %s", op->label, e->message);
    lz_ctx_clear_error(b->ctx);
    return st;
}

static const lz_source_ops nested_ops = {nested_read};

/* The operand at `path` is a virtual dataset: refuse a cycle, else wrap it
 * and bind it (recursively) so that its graph can be read. */
static lz_status
open_nested(const lzv_place *place, const lz_operand *op, const char *path, hid_t dxpl_id, lz_ctx *ctx,
            lzv_operand *o)
{
    unsigned long fileno = o->fileno;
    for (const lzv_chain *c = place->chain; c; c = c->up) {
        if (c->fileno == fileno && !strcmp(c->path, path)) {
            char route[300] = "";
            size_t used = 0;
            for (const lzv_chain *d = place->chain; d && used < sizeof route; d = d->up)
                used += (size_t)snprintf(route + used, sizeof route - used, "%s%s", d->path, d->up ? " <- " : "");
            return lz_ctx_fail(ctx, LZ_EVALUE, op->line, op->column,
                               "operand '%s' leads back to itself: the virtual datasets form a cycle (%s <- %s)",
                               o->label, path, route);
        }
    }
    int depth = place->chain ? place->chain->depth + 1 : 1;
    if (depth > LZV_MAX_NESTING)
        return lz_ctx_fail(ctx, LZ_ELIMIT, op->line, op->column,
                           "virtual datasets nest deeper than %d at operand '%s'", LZV_MAX_NESTING, o->label);
    unsigned *uses = place->chain ? place->chain->nested_uses : NULL;
    if (uses && ++*uses > LZV_MAX_NESTED_USES)
        return lz_ctx_fail(ctx, LZ_ELIMIT, op->line, op->column,
                           "virtual datasets used as operands, directly or through others, more than %d times in "
                           "all at operand '%s' (each use is evaluated on its own)",
                           LZV_MAX_NESTED_USES, o->label);
    if (!(o->nested = lzv_obj_new(o->under_dset, o->under_vol_id, place->access)))
        return lz_ctx_fail(ctx, LZ_ENOMEM, op->line, op->column, "out of memory");
    o->under_dset = NULL; /* now the nested object's */
    lzv_chain link = {fileno, path, place->chain, depth, uses};
    if (lzv_vdset_classify(o->nested, dxpl_id) < 0 || lzv_vdset_bind_chain(o->nested, dxpl_id, &link) < 0)
        return lz_ctx_fail(ctx, LZ_ESOURCE, op->line, op->column,
                           "operand '%s' is a virtual dataset that cannot be evaluated (see the cause below)",
                           o->label);
    const lz_graph *g = o->nested->vdset->binding.graph;
    o->source.ops = &nested_ops;
    o->source.impl = o;
    o->source.dtype = lz_graph_dtype(g);
    o->source.rank = lz_graph_rank(g);
    for (int k = 0; k < o->source.rank; k++) {
        o->source.shape[k] = lz_graph_shape(g)[k];
        o->source.chunk[k] = (int64_t)o->nested->vdset->chunks[k];
    }
    return LZ_OK;
}

/* ---- opening ------------------------------------------------------------------- */

/* The absolute path of an operand's dataset within its file: paths in
 * other files are from their root, relative ones here from the group. */
static char *
dataset_path(const lzv_place *place, const lz_operand *op)
{
    const char *group = op->path[0] == '/' ? "" : op->file ? "/" : place->group;
    const char *sep = group[0] && strcmp(group, "/") ? "/" : "";
    size_t n = strlen(group) + strlen(op->path) + 2;
    char *path = malloc(n);
    if (path)
        snprintf(path, n, "%s%s%s", group, sep, op->path);
    return path;
}

/* The name of another file, relative to the holding file's directory. */
static char *
other_file_name(const lzv_place *place, const char *file)
{
    if (file[0] == '/')
        return strdup(file);
    const char *slash = strrchr(place->file_name, '/');
    size_t dir = slash ? (size_t)(slash - place->file_name) : 0;
    char *name = malloc(dir + strlen(file) + 3);
    if (name) {
        if (slash)
            sprintf(name, "%.*s/%s", (int)dir, place->file_name, file);
        else
            strcpy(name, file);
    }
    return name;
}

/* Whether the connector's files= policy lets an operand live in file
 * `name` (already made relative to the holding file); errors go to ctx.
 * "below" compares real paths, so neither "../" nor a symbolic link leads
 * out of the holding file's directory. */
static lz_status
check_file_policy(const lzv_place *place, const lz_operand *op, const char *label, const char *vds_name,
                  const char *name, lz_ctx *ctx)
{
    lzv_files_policy policy = place->access->config.files;
    if (policy == LZV_FILES_ANYWHERE)
        return LZ_OK;
    if (policy == LZV_FILES_NONE)
        return lz_ctx_fail(ctx, LZ_ESOURCE, op->line, op->column,
                           "operand file '%s' of '%s' is refused: the connector's setting files=none allows "
                           "operands only in the file itself",
                           label, vds_name);
    char *dir = realpath(place->file_name, NULL), *target = realpath(name, NULL);
    lz_status st = LZ_OK;
    if (!dir || !target) {
        st = lz_ctx_fail(ctx, LZ_ESOURCE, op->line, op->column,
                         "operand file '%s' of '%s' cannot be opened (looked for '%s')", label, vds_name, name);
    } else {
        char *slash = strrchr(dir, '/');
        slash[slash == dir] = '\0'; /* the directory; "/" stays "/" */
        size_t n = strlen(dir);
        bool inside = !strncmp(target, dir, n) && (target[n] == '/' || dir[n - 1] == '/');
        if (!inside)
            st = lz_ctx_fail(ctx, LZ_ESOURCE, op->line, op->column,
                             "operand file '%s' of '%s' is refused: the connector's setting files=below allows "
                             "only files in '%s' and its subdirectories, and it is '%s'",
                             label, vds_name, dir, target);
    }
    free(dir);
    free(target);
    return st;
}

static bool
same_file(const char *a, const char *b)
{
    struct stat sa, sb;
    return stat(a, &sa) == 0 && stat(b, &sb) == 0 && sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

/* The files= policy for the file an operand's dataset was found in, which
 * is not the file named when a link on the way (an external link, in the
 * holding file or in a named one) leads elsewhere. `opened` is the file
 * the operand named (NULL: the holding file). */
static lz_status
check_reached_file(const lzv_place *place, const lz_operand *op, const char *vds_name, const char *opened,
                   lzv_operand *o, hid_t dxpl_id, lz_ctx *ctx)
{
    if (place->access->config.files == LZV_FILES_ANYWHERE)
        return LZ_OK;
    char *reached = lzv_name_of(o->under_dset, H5I_DATASET, o->under_vol_id, true, dxpl_id);
    if (!reached)
        return lz_ctx_fail(ctx, LZ_ESOURCE, op->line, op->column, "cannot examine operand '%s'", o->label);
    lz_status st = LZ_OK;
    if (!same_file(reached, opened ? opened : place->file_name))
        st = check_file_policy(place, op, reached, vds_name, reached, ctx);
    free(reached);
    return st;
}

/* Fill the source description of an opened dataset; errors go to ctx.
 * `threads` decode its chunks when they are filtered. */
static lz_status
describe(lzv_operand *o, const lz_operand *op, int threads, hid_t dxpl_id, lz_ctx *ctx)
{
    H5VL_dataset_get_args_t sargs = {.op_type = H5VL_DATASET_GET_SPACE};
    H5VL_dataset_get_args_t targs = {.op_type = H5VL_DATASET_GET_TYPE};
    H5VL_dataset_get_args_t pargs = {.op_type = H5VL_DATASET_GET_DCPL};
    if (H5VLdataset_get(o->under_dset, o->under_vol_id, &sargs, dxpl_id, NULL) < 0)
        return lz_ctx_fail(ctx, LZ_ESOURCE, op->line, op->column, "cannot get the shape of '%s'", o->label);
    if (H5VLdataset_get(o->under_dset, o->under_vol_id, &targs, dxpl_id, NULL) < 0) {
        H5Sclose(sargs.args.get_space.space_id);
        return lz_ctx_fail(ctx, LZ_ESOURCE, op->line, op->column, "cannot get the type of '%s'", o->label);
    }
    hid_t space = sargs.args.get_space.space_id, type = targs.args.get_type.type_id;
    lz_status st = LZ_OK;
    const char *why = NULL;
    H5S_class_t sclass = H5Sget_simple_extent_type(space);
    int rank = H5Sget_simple_extent_ndims(space);
    hsize_t dims[H5S_MAX_RANK];
    if (sclass == H5S_NULL) {
        st = lz_ctx_fail(ctx, LZ_ETYPE, op->line, op->column, "operand '%s' has a null dataspace (no elements)",
                         o->label);
    } else if (rank < 0 || H5Sget_simple_extent_dims(space, dims, NULL) < 0) {
        st = lz_ctx_fail(ctx, LZ_ESOURCE, op->line, op->column, "cannot get the shape of '%s'", o->label);
    } else if (lzv_dtype_of_type(type, &o->source.dtype, &why) < 0) {
        st = lz_ctx_fail(ctx, LZ_ETYPE, op->line, op->column,
                         "operand '%s' is %s; h5lazy computes with bool, int8..int64, uint8..uint64, "
                         "float32 and float64",
                         o->label, why);
    } else if ((o->mem_type = lzv_native_type_of_dtype(o->source.dtype)) < 0) {
        st = lz_ctx_fail(ctx, LZ_ESOURCE, op->line, op->column, "cannot make a memory type for '%s'", o->label);
    } else {
        o->source.rank = rank;
        for (int k = 0; k < rank; k++)
            o->source.shape[k] = (int64_t)dims[k];
    }
    if (st == LZ_OK && H5VLdataset_get(o->under_dset, o->under_vol_id, &pargs, dxpl_id, NULL) >= 0) {
        hid_t dcpl = pargs.args.get_dcpl.dcpl_id;
        hsize_t chunk[H5S_MAX_RANK];
        if (H5Pget_layout(dcpl) == H5D_CHUNKED && H5Pget_chunk(dcpl, rank, chunk) == rank) {
            for (int k = 0; k < rank; k++)
                o->source.chunk[k] = (int64_t)chunk[k];
            o->source.filtered = H5Pget_nfilters(dcpl) > 0;
            lzv_chunk_src_init(&o->chunks, o->under_dset, o->under_vol_id, dcpl, type, o->mem_type, threads);
            o->source.scratch_bytes = lzv_chunk_src_scratch_bytes(&o->chunks);
            o->source.read_chunks = o->chunks.enabled ? o->chunks.threads : 1;
        }
        H5Pclose(dcpl);
    }
    H5Sclose(space);
    H5Tclose(type);
    return st;
}

/* Open another file holding an operand, as the holding file was opened:
 * with SWMR read when it was, so that an SWMR reader can read operands
 * while a writer appends to them (without the flag HDF5 refuses to open a
 * file an SWMR writer holds). HDF5 refuses an SWMR read open of a file
 * the process already has open without it ("SWMR read access flag not the
 * same"); a plain open then shares that open. When both fail, the first
 * attempt's error stays on the stack. */
static hid_t
open_operand_file(const lzv_place *place, const char *name)
{
    unsigned flags = place->access->operand_flags;
    hid_t id;
    H5E_BEGIN_TRY { id = H5Fopen(name, flags, place->fapl_id); } H5E_END_TRY
    if (id >= 0 || !(flags & H5F_ACC_SWMR_READ))
        return id;
    hid_t first = lzv_stack_save();
    H5E_BEGIN_TRY { id = H5Fopen(name, H5F_ACC_RDONLY, place->fapl_id); } H5E_END_TRY
    if (id >= 0 && first >= 0)
        H5Eclose_stack(first);
    else if (id < 0)
        lzv_stack_restore(first);
    return id;
}

/* The operand's CF decoding, which the engine applies where the
 * expression names it; errors go to ctx. */
static lz_status
attach_decoding(const lzv_place *place, const lz_operand *op, hid_t dxpl_id, lz_ctx *ctx, lzv_operand *o)
{
    void *dset = o->nested ? o->nested->under_object : o->under_dset;
    o->cf = lzv_cf_open(dset, o->under_vol_id, dxpl_id, o->source.dtype, place->cf_decode, o->label, ctx, op->line,
                        op->column);
    if (!o->cf)
        return lz_ctx_error(ctx)->code;
    if (o->cf->active)
        o->source.decode = &o->cf->decode;
    return LZ_OK;
}

/* Open the dataset `path` at `loc` for an operand; NULL when it cannot be.
 * A chunked dataset without filters is opened again without HDF5's chunk
 * cache: evaluation reads parts of many chunks in turn (a median over time
 * reads a block of rows of every step), and a chunk that fits the default
 * 1 MiB cache is then read whole for every part and copied out of the
 * cache: 60,000 reads of 1 MB for median(x, axis=0) over 600 x 500 x 500
 * float32 in a 16 MiB budget (4.5 s, 3.6 s of it in the kernel). Without
 * the cache HDF5 reads only the bytes asked for. Filtered chunks keep the
 * cache: those HDF5 decodes itself (lzv_chunk.c decodes the rest) must not
 * be decoded again for every part. (If the application holds the dataset
 * open too, HDF5 shares one cache between the two, the first open's.) */
static void *
open_dataset(void *loc, const H5VL_loc_params_t *at, hid_t vol_id, const char *path, hid_t dxpl_id)
{
    void *dset = H5VLdataset_open(loc, at, vol_id, path, H5P_DATASET_ACCESS_DEFAULT, dxpl_id, NULL);
    H5VL_dataset_get_args_t args = {.op_type = H5VL_DATASET_GET_DCPL};
    if (!dset || H5VLdataset_get(dset, vol_id, &args, dxpl_id, NULL) < 0)
        return dset;
    hid_t dcpl = args.args.get_dcpl.dcpl_id;
    bool uncached = H5Pget_layout(dcpl) == H5D_CHUNKED && H5Pget_nfilters(dcpl) == 0;
    H5Pclose(dcpl);
    if (!uncached)
        return dset;
    hid_t dapl = H5Pcreate(H5P_DATASET_ACCESS);
    if (dapl < 0 || H5Pset_chunk_cache(dapl, H5D_CHUNK_CACHE_NSLOTS_DEFAULT, 0, H5D_CHUNK_CACHE_W0_DEFAULT) < 0) {
        if (dapl >= 0)
            H5Pclose(dapl);
        return dset;
    }
    /* Closed first: an open of a dataset already open shares its cache. */
    H5VLdataset_close(dset, vol_id, dxpl_id, NULL);
    dset = H5VLdataset_open(loc, at, vol_id, path, dapl, dxpl_id, NULL);
    H5Pclose(dapl);
    return dset;
}

/* Open operand `op` into `o`; errors go to ctx. */
static lz_status
open_one(const lzv_place *place, const lz_operand *op, const char *vds_name, hid_t dxpl_id, lz_ctx *ctx,
         lzv_operand *o)
{
    o->under_vol_id = place->under_vol_id;
    o->mem_type = H5I_INVALID_HID;
    o->file_id = H5I_INVALID_HID;
    size_t label_len = strlen(op->path) + (op->file ? strlen(op->file) + 2 : 0) + 1;
    if (!(o->label = malloc(label_len)))
        return lz_ctx_fail(ctx, LZ_ENOMEM, op->line, op->column, "out of memory");
    snprintf(o->label, label_len, "%s%s%s", op->file ? op->file : "", op->file ? ":" : "", op->path);
    void *loc = place->under_loc;
    char *opened = NULL; /* the other file named, once open */
    H5VL_loc_params_t at = {.obj_type = place->loc_type, .type = H5VL_OBJECT_BY_SELF};
    if (op->file) {
        char *name = other_file_name(place, op->file);
        if (!name)
            return lz_ctx_fail(ctx, LZ_ENOMEM, op->line, op->column, "out of memory");
        if (check_file_policy(place, op, op->file, vds_name, name, ctx) != LZ_OK) {
            free(name);
            return LZ_ESOURCE;
        }
        /* Without automatic printing: a failure here is reported once, as
         * the cause of the failed call the application made. */
        if ((o->file_id = open_operand_file(place, name)) < 0) {
            lzv_stack_keep_cause();
            lz_ctx_fail(ctx, LZ_ESOURCE, op->line, op->column,
                        "operand file '%s' of '%s' cannot be opened (looked for '%s')", op->file, vds_name,
                        name);
            free(name);
            return LZ_ESOURCE;
        }
        opened = name;
        /* Opened through h5lazy (lzv_wrap.c, operand_fapl_of);
         * H5VLobject unwraps to the innermost connector's file object. */
        loc = H5VLobject(o->file_id);
        at.obj_type = H5I_FILE;
    }
    char *path = dataset_path(place, op);
    lz_status st = LZ_OK;
    if (!path) {
        st = lz_ctx_fail(ctx, LZ_ENOMEM, op->line, op->column, "out of memory");
        goto done;
    }
    H5E_BEGIN_TRY {
        o->under_dset = open_dataset(loc, &at, o->under_vol_id, path, dxpl_id);
    } H5E_END_TRY
    if (!o->under_dset) {
        st = lz_ctx_fail(ctx, LZ_ENAME, op->line, op->column,
                         "operand '%s' of '%s' is not a dataset (looked for '%s'%s%s)", op->path, vds_name, path,
                         op->file ? " in " : "", op->file ? op->file : "");
        goto done;
    }
    if (lzv_object_identity(o->under_dset, H5I_DATASET, o->under_vol_id, dxpl_id, &o->fileno, &o->token) < 0) {
        st = lz_ctx_fail(ctx, LZ_ESOURCE, op->line, op->column, "cannot examine operand '%s'", o->label);
        goto done;
    }
    if ((st = check_reached_file(place, op, vds_name, opened, o, dxpl_id, ctx)) != LZ_OK)
        goto done;
    htri_t nested = lzv_definition_exists(o->under_dset, o->under_vol_id, dxpl_id);
    if (nested > 0) {
        st = open_nested(place, op, path, dxpl_id, ctx, o);
    } else if (nested < 0) {
        st = lz_ctx_fail(ctx, LZ_ESOURCE, op->line, op->column, "cannot examine operand '%s'", o->label);
    } else {
        o->source.ops = &operand_ops;
        o->source.impl = o;
        st = describe(o, op, lzv_config_threads(&place->access->config), dxpl_id, ctx);
    }
    if (st == LZ_OK)
        st = attach_decoding(place, op, dxpl_id, ctx, o);
done:
    free(path);
    free(opened);
    return st;
}

herr_t
lzv_operands_open(const lzv_place *place, const lz_expr *expr, const char *vds_name, hid_t dxpl_id,
                  lz_ctx *ctx, lzv_operand **out)
{
    size_t n = lz_expr_operand_count(expr);
    lzv_operand *ops = calloc(n ? n : 1, sizeof *ops);
    if (!ops) {
        lz_ctx_fail(ctx, LZ_ENOMEM, 0, 0, "out of memory");
        return -1;
    }
    for (size_t i = 0; i < n; i++) {
        if (open_one(place, lz_expr_operand(expr, i), vds_name, dxpl_id, ctx, &ops[i]) != LZ_OK) {
            lzv_operands_close(ops, i + 1, dxpl_id);
            return -1;
        }
    }
    *out = ops;
    return 0;
}

void
lzv_operands_close(lzv_operand *ops, size_t n, hid_t dxpl_id)
{
    if (!ops)
        return;
    hid_t saved = lzv_stack_save();
    for (size_t i = 0; i < n; i++) {
        lzv_operand *o = &ops[i];
        if (o->nested) {
            H5VLdataset_close(o->nested->under_object, o->nested->under_vol_id, dxpl_id, NULL);
            lzv_obj_free(o->nested);
        }
        if (o->under_dset)
            H5VLdataset_close(o->under_dset, o->under_vol_id, dxpl_id, NULL);
        if (o->file_id >= 0)
            H5Fclose(o->file_id);
        if (o->mem_type >= 0)
            H5Tclose(o->mem_type);
        lzv_cf_free(o->cf);
        lzv_chunk_src_destroy(&o->chunks);
        free(o->label);
    }
    lzv_stack_restore(saved);
    free(ops);
}
