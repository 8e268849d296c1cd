/* lzv_dims.c — dimension scales of a new virtual dataset (see lzv_dims.h).
 *
 * How each axis gets its dimension:
 *  1. define --dim AXIS=NAME: NAME next to the new dataset. A 1-D dataset
 *     of the axis' extent there becomes a dimension scale (NAME its name)
 *     unless it is one; when there is none, a dimension without
 *     coordinates is made (netCDF-C's "dimension but not variable": a
 *     float32 dataset nothing is written to, whose NAME attribute says so,
 *     which netCDF-C and h5netcdf read as a bare dimension).
 *  2. Otherwise the operand axes it runs along (lz_graph_axis_origins, left
 *     to right), the first that has a dimension scale (the last one
 *     attached to that axis, as netCDF-C and h5netcdf take it; a
 *     coordinate variable, itself a 1-D scale, runs along itself):
 *     - the whole axis in order, and the scale in this file, in the new
 *       dataset's group or one above it (where netCDF and h5netcdf look
 *       for dimensions): that scale;
 *     - else a coordinate derived the same way: a virtual dataset
 *       ds("lat")[10:20:2] over the scale (ds("src.nc", "/lat") when it is
 *       in another file), made a dimension scale, with the scale's
 *       descriptive attributes (units, calendar, ...) and _FillValue as any
 *       float result. It is named after the scale, i.e. its dimension,
 *       unless that name is taken in the group; then NAME_1, NAME_2, ...,
 *       reusing the first that already is the same coordinate (the same
 *       expression), so results sliced alike share one. A dimension
 *       without coordinates gives a new one of the new extent.
 *     An axis joined by concat gets the parts' coordinates joined the
 *     same way (concat([ds("a.nc", "/time"), ds("b.nc", "/time")],
 *     axis=0), sliced as the axis is) when every part has one and they say
 *     the same units and calendar (their numbers count from one origin).
 *  3. Otherwise none: new axes (stack, expand_dims, None), joined axes
 *     whose parts lack coordinates or disagree on units, the extent-1 axes
 *     keepdims leaves, axes of operands without scales. (h5netcdf refuses variables that mix axes with and
 *     without scales: name such axes with --dim.)
 * Reduced axes are gone from the result, and so are their dimensions.
 *
 * DIMENSION_LIST (on the dataset) and REFERENCE_LIST (on each scale) are
 * written as HDF5's H5DSattach_scale writes them on native files, with
 * object references (hobj_ref_t, which are file addresses, what native
 * object tokens hold), through the under connector, so the plugin needs
 * no high-level library. Lists holding the newer H5R_ref_t references are
 * not followed (their axes count as having no scale).
 */
#include "lzv_dims.h"

#include "lzv_attrs.h"
#include "lzv_define.h"
#include "lzv_format.h"
#include "lzv_meta.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* What netCDF-C writes as the NAME of a dimension without coordinates,
 * followed by its length as %10d. */
#define NOT_A_VARIABLE "This is a netCDF dimension but not a netCDF variable."

/* How many names NAME_1, NAME_2, ... are tried for a derived coordinate. */
enum { MAX_SUFFIX = 1000 };

/* An entry of REFERENCE_LIST: H5DS's ds_list_t. */
typedef struct back_ref {
    hobj_ref_t ref; /* the dataset the scale is attached to */
    unsigned dim;   /* which of its axes */
} back_ref;

/* A dimension scale, open. */
typedef struct scale {
    void *obj;            /* the dataset (under connector's), or NULL */
    char *path;           /* its path in its file */
    unsigned long fileno; /* its file */
    haddr_t addr;         /* its address there */
    hsize_t extent;       /* its length */
    bool dim_only;        /* a dimension without coordinate values (NAME says so) */
} scale;

static const H5VL_loc_params_t self_dataset = {.obj_type = H5I_DATASET, .type = H5VL_OBJECT_BY_SELF};
static const H5VL_loc_params_t self_file = {.obj_type = H5I_FILE, .type = H5VL_OBJECT_BY_SELF};

static void
scale_close(scale *s, hid_t vol_id, hid_t dxpl_id)
{
    if (s->obj) {
        hid_t saved = lzv_stack_save();
        H5VLdataset_close(s->obj, vol_id, dxpl_id, NULL);
        lzv_stack_restore(saved);
    }
    free(s->path);
    memset(s, 0, sizeof *s);
}

/* ---- created datasets ----------------------------------------------------------------- */

static bool
created_add(lzv_created *c, const char *path)
{
    char **p = realloc(c->paths, (c->n + 1) * sizeof *p);
    if (!p)
        return false;
    c->paths = p;
    if (!(c->paths[c->n] = strdup(path)))
        return false;
    c->n++;
    return true;
}

void
lzv_created_remove(lzv_created *c, lzv_obj *file, hid_t dxpl_id)
{
    hid_t saved = lzv_stack_save();
    for (size_t i = 0; i < c->n; i++)
        lzv_define_unlink(file, c->paths[i], dxpl_id);
    lzv_stack_restore(saved);
}

void
lzv_created_destroy(lzv_created *c)
{
    for (size_t i = 0; i < c->n; i++)
        free(c->paths[i]);
    free(c->paths);
    memset(c, 0, sizeof *c);
}

/* ---- addresses ----------------------------------------------------------------------- */

/* A native object token holds the object's address, little-endian in the
 * file's address size (at most 8 bytes), the rest zero. */
static haddr_t
addr_of_token(const H5O_token_t *t)
{
    const uint8_t *p = (const uint8_t *)t;
    haddr_t a = 0;
    for (int i = 7; i >= 0; i--)
        a = a << 8 | p[i];
    return a;
}

static H5O_token_t
token_of_addr(haddr_t a)
{
    H5O_token_t t;
    memset(&t, 0, sizeof t);
    uint8_t *p = (uint8_t *)&t;
    for (int i = 0; i < 8; i++, a >>= 8)
        p[i] = (uint8_t)(a & 0xff);
    return t;
}

static herr_t
address_of(void *obj, H5I_type_t type, hid_t vol_id, hid_t dxpl_id, unsigned long *fileno, haddr_t *addr)
{
    H5O_token_t token;
    if (lzv_object_identity(obj, type, vol_id, dxpl_id, fileno, &token) < 0)
        return -1;
    *addr = addr_of_token(&token);
    return 0;
}

/* The dataset at address `addr` in the file of `loc` (a dataset), or NULL. */
static void *
open_at(void *loc, hid_t vol_id, haddr_t addr, hid_t dxpl_id)
{
    H5O_token_t token = token_of_addr(addr);
    H5VL_loc_params_t at = {.obj_type = H5I_DATASET, .type = H5VL_OBJECT_BY_TOKEN};
    at.loc_data.loc_by_token.token = &token;
    H5I_type_t opened = H5I_BADID;
    void *obj;
    H5E_BEGIN_TRY { obj = H5VLobject_open(loc, &at, vol_id, &opened, dxpl_id, NULL); }
    H5E_END_TRY
    if (obj && opened != H5I_DATASET) { /* a reference to something else: no scale */
        H5E_BEGIN_TRY {
            if (opened == H5I_GROUP)
                H5VLgroup_close(obj, vol_id, dxpl_id, NULL);
            else if (opened == H5I_DATATYPE)
                H5VLdatatype_close(obj, vol_id, dxpl_id, NULL);
        }
        H5E_END_TRY
        obj = NULL;
    }
    if (!obj)
        H5Eclear2(H5E_DEFAULT);
    return obj;
}

/* ---- DIMENSION_LIST and REFERENCE_LIST ------------------------------------------------- */

/* The attribute `name` of dset, opened, when its type is `want`'s class
 * and (for a variable-length type) has H5T_STD_REF_OBJ inside; else NULL
 * and nothing on the stack. *n is its number of elements. */
static void *
open_refs(void *obj, hid_t vol_id, const char *name, H5T_class_t want, hid_t dxpl_id, size_t *n)
{
    void *attr = NULL;
    H5E_BEGIN_TRY {
        if (lzv_attrs_exists(obj, H5I_DATASET, vol_id, name, dxpl_id) > 0)
            attr = H5VLattr_open(obj, &self_dataset, vol_id, name, H5P_ATTRIBUTE_ACCESS_DEFAULT, dxpl_id, NULL);
    }
    H5E_END_TRY
    if (!attr) {
        H5Eclear2(H5E_DEFAULT);
        return NULL;
    }
    H5VL_attr_get_args_t targs = {.op_type = H5VL_ATTR_GET_TYPE};
    H5VL_attr_get_args_t sargs = {.op_type = H5VL_ATTR_GET_SPACE};
    bool ok = false;
    H5E_BEGIN_TRY {
        if (H5VLattr_get(attr, vol_id, &targs, dxpl_id, NULL) >= 0) {
            hid_t t = targs.args.get_type.type_id;
            if (H5Tget_class(t) == want) {
                hid_t inner = want == H5T_VLEN ? H5Tget_super(t) : H5Tget_member_type(t, 0);
                ok = inner >= 0 && H5Tequal(inner, H5T_STD_REF_OBJ) > 0;
                if (inner >= 0)
                    H5Tclose(inner);
            }
            H5Tclose(t);
        }
        if (ok && H5VLattr_get(attr, vol_id, &sargs, dxpl_id, NULL) >= 0) {
            hssize_t np = H5Sget_simple_extent_npoints(sargs.args.get_space.space_id);
            *n = np > 0 ? (size_t)np : 0;
            H5Sclose(sargs.args.get_space.space_id);
        } else {
            ok = false;
        }
        if (!ok)
            H5VLattr_close(attr, vol_id, dxpl_id, NULL);
    }
    H5E_END_TRY
    H5Eclear2(H5E_DEFAULT);
    return ok ? attr : NULL;
}

static void
close_attr(void *attr, hid_t vol_id, hid_t dxpl_id)
{
    hid_t saved = lzv_stack_save();
    H5VLattr_close(attr, vol_id, dxpl_id, NULL);
    lzv_stack_restore(saved);
}

/* DIMENSION_LIST of a dataset, read: rank variable-length lists of
 * hobj_ref_t, or NULL (none, or not one of old-style references). Free
 * with free_dimension_list. */
static hvl_t *
read_dimension_list(void *dset, hid_t vol_id, hid_t dxpl_id, size_t *rank)
{
    void *attr = open_refs(dset, vol_id, "DIMENSION_LIST", H5T_VLEN, dxpl_id, rank);
    if (!attr || *rank == 0) {
        if (attr)
            close_attr(attr, vol_id, dxpl_id);
        return NULL;
    }
    hvl_t *lists = calloc(*rank, sizeof *lists);
    hid_t mtype = H5Tvlen_create(H5T_STD_REF_OBJ);
    herr_t st = -1;
    if (lists && mtype >= 0)
        H5E_BEGIN_TRY { st = H5VLattr_read(attr, vol_id, mtype, lists, dxpl_id, NULL); }
    H5E_END_TRY
    if (st < 0) {
        H5Eclear2(H5E_DEFAULT);
        free(lists);
        lists = NULL;
    }
    if (mtype >= 0)
        H5Tclose(mtype);
    close_attr(attr, vol_id, dxpl_id);
    return lists;
}

static void
free_dimension_list(hvl_t *lists, size_t rank)
{
    if (!lists)
        return;
    hid_t mtype = H5Tvlen_create(H5T_STD_REF_OBJ);
    hid_t space = H5Screate_simple(1, (hsize_t[]){rank}, NULL);
    hid_t saved = lzv_stack_save();
    if (mtype >= 0 && space >= 0)
        H5Treclaim(mtype, space, H5P_DEFAULT, lists);
    if (mtype >= 0)
        H5Tclose(mtype);
    if (space >= 0)
        H5Sclose(space);
    lzv_stack_restore(saved);
    free(lists);
}

/* The address of the scale attached last to axis `axis` of dset; 0 for none. */
static haddr_t
attached_scale(void *dset, hid_t vol_id, int axis, hid_t dxpl_id)
{
    size_t rank = 0;
    hvl_t *lists = read_dimension_list(dset, vol_id, dxpl_id, &rank);
    haddr_t addr = 0;
    if (lists && (size_t)axis < rank && lists[axis].len > 0)
        addr = ((const hobj_ref_t *)lists[axis].p)[lists[axis].len - 1];
    free_dimension_list(lists, rank);
    return addr;
}

/* The memory (and file) type of REFERENCE_LIST entries. */
static hid_t
back_ref_type(void)
{
    hid_t t = H5Tcreate(H5T_COMPOUND, sizeof(back_ref));
    if (t >= 0 && (H5Tinsert(t, "dataset", offsetof(back_ref, ref), H5T_STD_REF_OBJ) < 0 ||
                   H5Tinsert(t, "dimension", offsetof(back_ref, dim), H5T_NATIVE_UINT) < 0)) {
        H5Tclose(t);
        t = H5I_INVALID_HID;
    }
    return t;
}

/* REFERENCE_LIST of a scale into a new array with room for one more entry;
 * *n entries (0 when it has none). NULL when it cannot be read. */
static back_ref *
read_back_refs(void *scale_obj, hid_t vol_id, hid_t ctype, hid_t dxpl_id, size_t *n)
{
    *n = 0;
    void *attr = open_refs(scale_obj, vol_id, "REFERENCE_LIST", H5T_COMPOUND, dxpl_id, n);
    back_ref *refs = calloc(*n + 1, sizeof *refs);
    if (attr && refs) {
        herr_t st;
        H5E_BEGIN_TRY { st = H5VLattr_read(attr, vol_id, ctype, refs, dxpl_id, NULL); }
        H5E_END_TRY
        if (st < 0) {
            H5Eclear2(H5E_DEFAULT);
            *n = 0;
        }
    } else {
        *n = 0;
    }
    if (attr)
        close_attr(attr, vol_id, dxpl_id);
    return refs;
}

static herr_t
write_back_refs(void *scale_obj, hid_t vol_id, hid_t ctype, const back_ref *refs, size_t n, hid_t dxpl_id)
{
    if (n == 0)
        return lzv_attrs_delete(scale_obj, H5I_DATASET, vol_id, "REFERENCE_LIST", dxpl_id);
    hid_t space = H5Screate_simple(1, (hsize_t[]){n}, NULL);
    herr_t ret = space < 0 ? -1
                           : lzv_attrs_write(scale_obj, H5I_DATASET, vol_id, "REFERENCE_LIST", ctype, space, ctype,
                                             refs, dxpl_id);
    if (space >= 0)
        H5Sclose(space);
    return ret;
}

/* Add (dataset, axis) to a scale's REFERENCE_LIST. */
static herr_t
add_back_ref(void *scale_obj, hid_t vol_id, haddr_t dset_addr, int axis, hid_t dxpl_id)
{
    hid_t ctype = back_ref_type();
    size_t n;
    back_ref *refs = ctype >= 0 ? read_back_refs(scale_obj, vol_id, ctype, dxpl_id, &n) : NULL;
    herr_t ret = -1;
    if (refs) {
        bool there = false;
        for (size_t i = 0; i < n; i++)
            there = there || (refs[i].ref == dset_addr && refs[i].dim == (unsigned)axis);
        refs[n].ref = dset_addr;
        refs[n].dim = (unsigned)axis;
        ret = write_back_refs(scale_obj, vol_id, ctype, refs, there ? n : n + 1, dxpl_id);
    }
    free(refs);
    if (ctype >= 0)
        H5Tclose(ctype);
    return ret;
}

void
lzv_dims_detach(void *dset, hid_t vol_id, hid_t dxpl_id)
{
    hid_t saved = lzv_stack_save();
    size_t rank = 0;
    unsigned long fileno;
    haddr_t self;
    hvl_t *lists = address_of(dset, H5I_DATASET, vol_id, dxpl_id, &fileno, &self) >= 0
                       ? read_dimension_list(dset, vol_id, dxpl_id, &rank)
                       : NULL;
    hid_t ctype = lists ? back_ref_type() : H5I_INVALID_HID;
    for (size_t k = 0; lists && ctype >= 0 && k < rank; k++) {
        for (size_t j = 0; j < lists[k].len; j++) {
            void *obj = open_at(dset, vol_id, ((const hobj_ref_t *)lists[k].p)[j], dxpl_id);
            size_t n, kept = 0;
            back_ref *refs = obj ? read_back_refs(obj, vol_id, ctype, dxpl_id, &n) : NULL;
            for (size_t i = 0; refs && i < n; i++)
                if (refs[i].ref != self)
                    refs[kept++] = refs[i];
            if (refs && kept < n)
                write_back_refs(obj, vol_id, ctype, refs, kept, dxpl_id);
            free(refs);
            if (obj)
                H5VLdataset_close(obj, vol_id, dxpl_id, NULL);
        }
    }
    if (ctype >= 0)
        H5Tclose(ctype);
    free_dimension_list(lists, rank);
    lzv_stack_restore(saved);
}

/* ---- scales ------------------------------------------------------------------------- */

/* Text of a string attribute of dset, or NULL. */
static char *
text_attr(void *dset, hid_t vol_id, const char *name, hid_t dxpl_id)
{
    lzv_attr_value v;
    int got;
    H5E_BEGIN_TRY { got = lzv_attrs_read(dset, H5I_DATASET, vol_id, name, dxpl_id, &v); }
    H5E_END_TRY
    if (got < 0)
        H5Eclear2(H5E_DEFAULT);
    char *text = got > 0 && v.kind == LZV_ATTR_STRING ? strdup(v.text) : NULL;
    if (got > 0)
        lzv_attrs_value_destroy(&v);
    return text;
}

static bool
is_scale(void *dset, hid_t vol_id, hid_t dxpl_id)
{
    char *c = text_attr(dset, vol_id, "CLASS", dxpl_id);
    bool yes = c && !strcmp(c, "DIMENSION_SCALE");
    free(c);
    return yes;
}

/* The extent of a 1-D dataset, or false. */
static bool
extent_1d(void *dset, hid_t vol_id, hid_t dxpl_id, hsize_t *extent)
{
    H5VL_dataset_get_args_t args = {.op_type = H5VL_DATASET_GET_SPACE};
    herr_t st;
    H5E_BEGIN_TRY { st = H5VLdataset_get(dset, vol_id, &args, dxpl_id, NULL); }
    H5E_END_TRY
    if (st < 0) {
        H5Eclear2(H5E_DEFAULT);
        return false;
    }
    hid_t space = args.args.get_space.space_id;
    bool ok = H5Sget_simple_extent_ndims(space) == 1 && H5Sget_simple_extent_dims(space, extent, NULL) == 1;
    H5Sclose(space);
    return ok;
}

/* Fill s from an open dataset, which it takes over; false (and closed)
 * when it is not a 1-D dimension scale. */
static bool
scale_load(void *obj, hid_t vol_id, hid_t dxpl_id, scale *s)
{
    memset(s, 0, sizeof *s);
    s->obj = obj;
    char *name = NULL;
    bool ok = is_scale(obj, vol_id, dxpl_id) && extent_1d(obj, vol_id, dxpl_id, &s->extent);
    if (ok)
        H5E_BEGIN_TRY {
            ok = (s->path = lzv_name_of(obj, H5I_DATASET, vol_id, false, dxpl_id)) != NULL && s->path[0] &&
                 address_of(obj, H5I_DATASET, vol_id, dxpl_id, &s->fileno, &s->addr) >= 0;
        }
    H5E_END_TRY
    if (ok) {
        name = text_attr(obj, vol_id, "NAME", dxpl_id);
        s->dim_only = name && !strncmp(name, NOT_A_VARIABLE, strlen(NOT_A_VARIABLE));
    } else {
        H5Eclear2(H5E_DEFAULT);
        scale_close(s, vol_id, dxpl_id);
    }
    free(name);
    return ok;
}

/* The operand a source of the binding's graph is, or -1. */
static int
operand_of(const lzv_binding *b, size_t source)
{
    const lz_source *src = lz_graph_source(b->graph, source);
    for (size_t j = 0; j < b->nops; j++)
        if (&b->ops[j].source == src)
            return (int)j;
    return -1;
}

static void *
operand_dataset(const lzv_operand *o)
{
    return o->nested ? o->nested->under_object : o->under_dset;
}

/* The scale of the first origin that has one: 1 (into *s, and *origin,
 * *op), or 0. */
static int
first_scale(const lzv_binding *b, const lz_axis_origin *origins, size_t n, hid_t dxpl_id, scale *s,
            const lz_axis_origin **origin, int *op)
{
    for (size_t i = 0; i < n; i++) {
        int j = operand_of(b, origins[i].source);
        if (j < 0)
            continue;
        void *dset = operand_dataset(&b->ops[j]);
        hid_t vol_id = b->ops[j].under_vol_id;
        haddr_t addr = attached_scale(dset, vol_id, origins[i].axis, dxpl_id);
        /* A coordinate variable (a 1-D scale) runs along itself. */
        unsigned long fileno;
        if (!addr && origins[i].axis == 0 && is_scale(dset, vol_id, dxpl_id) &&
            address_of(dset, H5I_DATASET, vol_id, dxpl_id, &fileno, &addr) < 0) {
            H5Eclear2(H5E_DEFAULT);
            addr = 0;
        }
        void *obj = addr ? open_at(dset, vol_id, addr, dxpl_id) : NULL;
        if (obj && scale_load(obj, vol_id, dxpl_id, s)) {
            *origin = &origins[i];
            *op = j;
            return 1;
        }
    }
    return 0;
}

static const char *
base_name(const char *path)
{
    const char *slash = strrchr(path, '/');
    return slash ? slash + 1 : path;
}

char *
lzv_dims_reduced_name(const lzv_binding *b, int in_axis, hid_t dxpl_id)
{
    lz_axis_origin origins[16];
    size_t n = lz_graph_reduced_axis_origins(b->graph, 0, in_axis, origins, 16);
    scale s;
    const lz_axis_origin *o;
    int op;
    if (!first_scale(b, origins, n < 16 ? n : 16, dxpl_id, &s, &o, &op))
        return NULL;
    char *name = strdup(base_name(s.path));
    scale_close(&s, b->ops[op].under_vol_id, dxpl_id);
    return name;
}

/* ---- the axes of a new dataset ----------------------------------------------------------- */

/* What one define needs while it works out dimensions. */
typedef struct job {
    lzv_obj *file;           /* the holding file */
    hid_t vol_id;            /* its under connector */
    hid_t dxpl_id;           /* the transfer list of the call */
    const lzv_binding *b;    /* the new dataset's binding */
    const char *self;        /* the new dataset's absolute path */
    char *group;             /* its group ("/" at the root; malloc'd) */
    unsigned long fileno;    /* the holding file's number */
    lzv_created *created;    /* datasets made */
    char *why;               /* where failures are described */
    size_t why_size;         /* its room */
} job;

/* group + "/" + name, malloc'd. */
static char *
path_in(const char *group, const char *name)
{
    size_t n = strlen(group) + strlen(name) + 2;
    char *p = malloc(n);
    if (p)
        snprintf(p, n, "%s%s%s", group, strcmp(group, "/") ? "/" : "", name);
    return p;
}

/* Whether the new dataset's group is `group` or lies below it. */
static bool
visible_from(const job *j, const char *scale_path)
{
    const char *slash = strrchr(scale_path, '/');
    size_t n = slash ? (size_t)(slash - scale_path) : 0; /* 0: the root */
    return n == 0 || (!strncmp(j->group, scale_path, n) && (j->group[n] == '\0' || j->group[n] == '/'));
}

/* "ds(\"...\")" text for a string: backslashes and quotes escaped (the
 * language's only escapes); false for text it cannot hold (a newline). */
static bool
quote(const char *s, char *buf, size_t size)
{
    size_t used = 0;
    for (; *s; s++) {
        if (*s == '\n' || *s == '\r' || used + 3 >= size)
            return false;
        if (*s == '\\' || *s == '"')
            buf[used++] = '\\';
        buf[used++] = *s;
    }
    buf[used] = '\0';
    return true;
}

/* The subscript that picks indices start + step*i, i < n, of an axis of
 * `extent`: "" for all of it in order. */
static void
subscript(int64_t start, int64_t step, int64_t n, hsize_t extent, char *buf, size_t size)
{
    if (start == 0 && step == 1 && (hsize_t)n == extent) {
        buf[0] = '\0';
    } else if (n == 0) {
        snprintf(buf, size, "[0:0]");
    } else {
        int64_t stop = start + n * step; /* within -1 .. extent: no overflow */
        char st[32] = "";
        if (step != 1)
            snprintf(st, sizeof st, ":%lld", (long long)step);
        if (stop < 0)
            snprintf(buf, size, "[%lld:%s]", (long long)start, st);
        else
            snprintf(buf, size, "[%lld:%lld%s]", (long long)start, (long long)stop, st);
    }
}

/* The expression of the coordinate of an axis running along `o` of operand
 * op, whose scale is s; false when it cannot be written (the scale is not
 * in the file the operand names, or its name cannot be quoted). */
static bool
coordinate_text(const job *j, const scale *s, const lz_axis_origin *o, int op, int64_t n, char *buf, size_t size)
{
    const lzv_operand *operand = &j->b->ops[op];
    const char *file = lz_expr_operand(j->b->expr, (size_t)op)->file;
    unsigned long named = j->fileno;
    if (file) {
        void *f = H5VLobject(operand->file_id);
        if (!f || lzv_object_identity(f, H5I_FILE, operand->under_vol_id, j->dxpl_id, &named, NULL) < 0) {
            H5Eclear2(H5E_DEFAULT);
            return false;
        }
    }
    if (s->fileno != named) /* reached through an external link */
        return false;
    char qpath[1024], qfile[1024], sub[100];
    if (!quote(s->path, qpath, sizeof qpath) || (s->fileno != j->fileno && !quote(file, qfile, sizeof qfile)))
        return false;
    subscript(o->start, o->step, n, s->extent, sub, sizeof sub);
    int w = s->fileno == j->fileno ? snprintf(buf, size, "ds(\"%s\")%s", qpath, sub)
                                   : snprintf(buf, size, "ds(\"%s\", \"%s\")%s", qfile, qpath, sub);
    return w > 0 && (size_t)w < size;
}

/* Make `dset` a dimension scale called `name` (NAME is what netCDF-C
 * reads; for a dimension without coordinates the marker and length). */
static herr_t
make_scale(const job *j, void *dset, const char *name)
{
    return lzv_attrs_write_fixed_string(dset, H5I_DATASET, j->vol_id, "CLASS", "DIMENSION_SCALE", j->dxpl_id) < 0 ||
                   lzv_attrs_write_fixed_string(dset, H5I_DATASET, j->vol_id, "NAME", name, j->dxpl_id) < 0
               ? -1
               : 0;
}

/* A dimension without coordinates at `path`, of length n: a float32
 * dataset (as netCDF-C makes them) with no data written. */
static void *
make_bare_dimension(const job *j, const char *path, hsize_t n)
{
    hid_t space = H5Screate_simple(1, &n, NULL);
    void *dset = NULL;
    if (space >= 0)
        dset = H5VLdataset_create(j->file->under_object, &self_file, j->vol_id, path, H5P_LINK_CREATE_DEFAULT,
                                  H5T_IEEE_F32LE, space, H5P_DATASET_CREATE_DEFAULT, H5P_DATASET_ACCESS_DEFAULT,
                                  j->dxpl_id, NULL);
    if (space >= 0)
        H5Sclose(space);
    char name[sizeof NOT_A_VARIABLE + 24];
    snprintf(name, sizeof name, "%s%10llu", NOT_A_VARIABLE, (unsigned long long)n);
    if (dset && (!created_add(j->created, path) || make_scale(j, dset, name) < 0)) {
        H5VLdataset_close(dset, j->vol_id, j->dxpl_id, NULL);
        dset = NULL;
    }
    if (!dset)
        snprintf(j->why, j->why_size, "the dimension '%s' cannot be made", path);
    return dset;
}

/* A virtual coordinate `expression` at `path`, made a dimension scale,
 * with the source scale's descriptive attributes. */
static void *
make_coordinate(const job *j, const char *path, const char *expression, const scale *src)
{
    lzv_place place;
    lzv_binding cb;
    void *dset = NULL;
    if (lzv_place_in_file(j->file->under_object, j->vol_id, path, j->file->access, j->dxpl_id, &place) < 0) {
        snprintf(j->why, j->why_size, "the coordinate '%s' cannot be placed", path);
        return NULL;
    }
    if (lzv_binding_open(&cb, path, expression, NULL, NAN, &place, NULL, j->dxpl_id) < 0) {
        snprintf(j->why, j->why_size, "the coordinate '%s' = %s cannot be defined: %s", path, expression,
                 cb.ctx ? lz_ctx_error(cb.ctx)->message : "out of memory");
        lzv_binding_close(&cb, j->dxpl_id);
        return NULL;
    }
    lz_dtype t = lz_graph_dtype(cb.graph);
    if ((dset = lzv_define_placeholder(j->file, path, expression, cb.graph, NULL, j->dxpl_id)) &&
        (!created_add(j->created, path) || lzv_meta_copy(src->obj, dset, j->vol_id, j->dxpl_id, NULL) < 0 ||
         (lz_dtype_kind_code(t) == 'f' && lzv_meta_write_fill(dset, j->vol_id, t, NAN, j->dxpl_id) < 0) ||
         make_scale(j, dset, base_name(path)) < 0)) {
        H5VLdataset_close(dset, j->vol_id, j->dxpl_id, NULL);
        dset = NULL;
    }
    if (!dset)
        snprintf(j->why, j->why_size, "the coordinate '%s' = %s cannot be made", path, expression);
    lzv_binding_close(&cb, j->dxpl_id);
    return dset;
}

/* Whether the dataset at `path` is the coordinate wanted: a dimension
 * scale that is the virtual dataset `expression` (expression set), or a
 * stored dimension without coordinates of length n. Takes dset over: on
 * true it stays open in *out. */
static bool
same_coordinate(const job *j, void *dset, const char *expression, hsize_t n, void **out)
{
    bool same = is_scale(dset, j->vol_id, j->dxpl_id);
    htri_t virtual = same ? lzv_definition_exists(dset, j->vol_id, j->dxpl_id) : 0;
    if (virtual < 0) {
        H5Eclear2(H5E_DEFAULT);
        same = false;
    } else if (same && expression) {
        lzv_definition def;
        char why[400];
        same = virtual && lzv_definition_read(dset, j->vol_id, j->dxpl_id, &def, why, sizeof why) >= 0;
        if (same) {
            same = !strcmp(def.expression, expression);
            lzv_definition_destroy(&def);
        }
    } else if (same) {
        hsize_t extent;
        char *name = text_attr(dset, j->vol_id, "NAME", j->dxpl_id);
        same = !virtual && name && !strncmp(name, NOT_A_VARIABLE, strlen(NOT_A_VARIABLE)) &&
               extent_1d(dset, j->vol_id, j->dxpl_id, &extent) && extent == n;
        free(name);
    }
    if (same) {
        *out = dset;
    } else {
        hid_t saved = lzv_stack_save();
        H5VLdataset_close(dset, j->vol_id, j->dxpl_id, NULL);
        lzv_stack_restore(saved);
    }
    return same;
}

/* The derived dimension of an axis: a virtual coordinate `expression`
 * over the scale src, or (expression NULL) a dimension without
 * coordinates of length n, named after src's dimension: the first of
 * base, base_1, base_2, ... that is free, or that already is the same. */
static void *
derived_dimension(const job *j, const scale *src, const char *expression, hsize_t n)
{
    const char *base = base_name(src->path);
    char name[1024];
    for (int k = 0; k < MAX_SUFFIX; k++) {
        if (k)
            snprintf(name, sizeof name, "%s_%d", base, k);
        else
            snprintf(name, sizeof name, "%s", base);
        char *path = path_in(j->group, name);
        if (!path) {
            snprintf(j->why, j->why_size, "out of memory");
            return NULL;
        }
        void *dset = NULL;
        if (!lzv_define_exists(j->file, path, j->dxpl_id)) {
            dset = expression ? make_coordinate(j, path, expression, src) : make_bare_dimension(j, path, n);
            free(path);
            return dset;
        }
        void *other;
        H5E_BEGIN_TRY {
            other = H5VLdataset_open(j->file->under_object, &self_file, j->vol_id, path, H5P_DATASET_ACCESS_DEFAULT,
                                     j->dxpl_id, NULL);
        }
        H5E_END_TRY
        if (!other)
            H5Eclear2(H5E_DEFAULT); /* a group, say: taken */
        free(path);
        if (other && same_coordinate(j, other, expression, n, &dset))
            return dset;
    }
    snprintf(j->why, j->why_size, "no free name for a coordinate of dimension %s (%s to %s_%d are taken)", base,
             base, base, MAX_SUFFIX - 1);
    return NULL;
}

/* The dimension define --dim names for an axis of extent n: the dataset
 * NAME next to the new one (made a scale unless it is one), or a new
 * dimension without coordinates. */
static void *
named_dimension(const job *j, const char *name, int axis, hsize_t n)
{
    char *path = path_in(j->group, name);
    if (!path) {
        snprintf(j->why, j->why_size, "out of memory");
        return NULL;
    }
    void *dset = NULL;
    if (!lzv_define_exists(j->file, path, j->dxpl_id)) {
        dset = make_bare_dimension(j, path, n);
        free(path);
        return dset;
    }
    hsize_t extent = 0;
    if (!strcmp(path, j->self)) {
        snprintf(j->why, j->why_size, "--dim %d=%s names the dataset being defined", axis, name);
    } else {
        H5E_BEGIN_TRY {
            dset = H5VLdataset_open(j->file->under_object, &self_file, j->vol_id, path, H5P_DATASET_ACCESS_DEFAULT,
                                    j->dxpl_id, NULL);
        }
        H5E_END_TRY
        if (!dset) {
            H5Eclear2(H5E_DEFAULT);
            snprintf(j->why, j->why_size, "--dim %d=%s: '%s' exists and is not a dataset", axis, name, path);
        } else if (!extent_1d(dset, j->vol_id, j->dxpl_id, &extent) || extent != n) {
            snprintf(j->why, j->why_size, "--dim %d=%s: '%s' is not a 1-D dataset of the axis' extent %llu", axis,
                     name, path, (unsigned long long)n);
        } else if (is_scale(dset, j->vol_id, j->dxpl_id) || make_scale(j, dset, name) >= 0) {
            free(path);
            return dset;
        } else {
            snprintf(j->why, j->why_size, "--dim %d=%s: '%s' cannot be made a dimension scale", axis, name, path);
        }
    }
    if (dset) {
        hid_t saved = lzv_stack_save();
        H5VLdataset_close(dset, j->vol_id, j->dxpl_id, NULL);
        lzv_stack_restore(saved);
    }
    free(path);
    return NULL;
}

/* Whether two scales' attributes `name` are the same text (or both absent). */
static bool
same_text(const job *j, const scale *a, const scale *b, const char *name)
{
    char *x = text_attr(a->obj, j->vol_id, name, j->dxpl_id), *y = text_attr(b->obj, j->vol_id, name, j->dxpl_id);
    bool same = (!x && !y) || (x && y && !strcmp(x, y));
    free(x);
    free(y);
    return same;
}

/* Append text to a growing string; false when memory is short. */
static bool
append(char **buf, size_t *len, size_t *cap, const char *text)
{
    size_t n = strlen(text);
    if (*len + n + 1 > *cap) {
        size_t cap2 = (*cap ? 2 * *cap : 256) + n;
        char *b = realloc(*buf, cap2);
        if (!b)
            return false;
        *buf = b;
        *cap = cap2;
    }
    memcpy(*buf + *len, text, n + 1);
    *len += n;
    return true;
}

/* The dimension of an axis of extent n that runs along a concatenation's
 * joined axis: the parts' coordinates joined the same way,
 * concat([ds("a.nc", "/time"), ds("b.nc", "/time")], axis=0), when every
 * part has one and all say the same units and calendar (their numbers
 * count from the same origin); bare dimensions joined give a bare one. */
static void *
joined_dimension(const job *j, int axis, hsize_t n, bool *failed)
{
    enum { MAX_ORIGINS = 16 };
    int64_t start, step;
    size_t nparts = lz_graph_axis_parts(j->b->graph, 0, axis, &start, &step, NULL, NULL, NULL, MAX_ORIGINS, 0);
    if (nparts == 0)
        return NULL;
    int64_t *extents = calloc(nparts, sizeof *extents);
    size_t *counts = calloc(nparts, sizeof *counts);
    lz_axis_origin *origins = calloc(nparts * MAX_ORIGINS, sizeof *origins);
    scale *scales = calloc(nparts, sizeof *scales);
    char *expr = NULL, piece[2400];
    size_t len = 0, cap = 0, found = 0, bare = 0;
    hsize_t total = 0;
    void *dset = NULL;
    bool ok = extents && counts && origins && scales;
    if (ok)
        lz_graph_axis_parts(j->b->graph, 0, axis, &start, &step, extents, counts, origins, MAX_ORIGINS, nparts);
    ok = ok && append(&expr, &len, &cap, "concat([");
    for (size_t p = 0; ok && p < nparts; p++) {
        const lz_axis_origin *o;
        int op;
        size_t count = counts[p] < MAX_ORIGINS ? counts[p] : MAX_ORIGINS;
        ok = first_scale(j->b, origins + p * MAX_ORIGINS, count, j->dxpl_id, &scales[p], &o, &op);
        found += ok;
        bare += ok && scales[p].dim_only;
        total += (hsize_t)extents[p];
        ok = ok && (scales[p].dim_only ||
                    (same_text(j, &scales[0], &scales[p], "units") &&
                     same_text(j, &scales[0], &scales[p], "calendar") &&
                     coordinate_text(j, &scales[p], o, op, extents[p], piece, sizeof piece) &&
                     append(&expr, &len, &cap, p ? ", " : "") && append(&expr, &len, &cap, piece)));
    }
    char tail[120] = "], axis=0)";
    subscript(start, step, (int64_t)n, total, tail + strlen(tail), sizeof tail - strlen(tail));
    if (ok && bare == nparts) {
        dset = derived_dimension(j, &scales[0], NULL, n);
        *failed = !dset;
    } else if (ok && bare == 0 && append(&expr, &len, &cap, tail)) {
        dset = derived_dimension(j, &scales[0], expr, n);
        *failed = !dset;
    }
    for (size_t p = 0; p < found; p++)
        scale_close(&scales[p], j->vol_id, j->dxpl_id);
    free(extents);
    free(counts);
    free(origins);
    free(scales);
    free(expr);
    return dset;
}

/* The dimension an axis of extent n comes with (rule 2 of the header), or
 * NULL with nothing said in why when it has none. */
static void *
axis_dimension(const job *j, int axis, hsize_t n, bool *failed)
{
    lz_axis_origin origins[16];
    size_t count = lz_graph_axis_origins(j->b->graph, 0, axis, origins, 16);
    scale s;
    const lz_axis_origin *o;
    int op;
    if (!first_scale(j->b, origins, count < 16 ? count : 16, j->dxpl_id, &s, &o, &op))
        return joined_dimension(j, axis, n, failed);
    hid_t vol_id = j->b->ops[op].under_vol_id;
    void *dset = NULL;
    bool whole = o->start == 0 && o->step == 1 && n == s.extent;
    if (whole && s.fileno == j->fileno && visible_from(j, s.path)) {
        dset = s.obj; /* the scale itself */
        s.obj = NULL;
    } else if (s.dim_only) {
        dset = derived_dimension(j, &s, NULL, n);
        *failed = !dset;
    } else {
        char expression[2400];
        if (coordinate_text(j, &s, o, op, (int64_t)n, expression, sizeof expression)) {
            dset = derived_dimension(j, &s, expression, n);
            *failed = !dset;
        }
    }
    scale_close(&s, vol_id, j->dxpl_id);
    return dset;
}

bool
lzv_dims_named_valid(const h5lazy_dim_t *named, int n, int rank, char *why, size_t size)
{
    bool seen[H5S_MAX_RANK] = {false};
    for (int i = 0; i < n; i++) {
        int axis = named[i].axis < 0 ? named[i].axis + rank : named[i].axis;
        const char *name = named[i].name;
        if (axis < 0 || axis >= rank) {
            snprintf(why, size, "--dim %d: the result has %d ax%s", named[i].axis, rank, rank == 1 ? "is" : "es");
            return false;
        }
        if (seen[axis]) {
            snprintf(why, size, "--dim names axis %d twice", axis);
            return false;
        }
        seen[axis] = true;
        if (!name || !name[0] || strchr(name, '/') || !strcmp(name, ".")) {
            snprintf(why, size, "--dim %d: '%s' is not a name (a dataset next to the new one: no '/')", named[i].axis,
                     name ? name : "");
            return false;
        }
    }
    return true;
}

/* Write DIMENSION_LIST on dset: one list per axis, holding addrs[k] or
 * nothing (0). */
static herr_t
write_dimension_list(const job *j, void *dset, int rank, const haddr_t *addrs)
{
    hvl_t lists[H5S_MAX_RANK];
    hobj_ref_t refs[H5S_MAX_RANK];
    for (int k = 0; k < rank; k++) {
        refs[k] = addrs[k];
        lists[k].len = addrs[k] ? 1 : 0;
        lists[k].p = addrs[k] ? &refs[k] : NULL;
    }
    hid_t type = H5Tvlen_create(H5T_STD_REF_OBJ);
    hid_t space = H5Screate_simple(1, (hsize_t[]){(hsize_t)rank}, NULL);
    herr_t ret = type >= 0 && space >= 0 ? lzv_attrs_write(dset, H5I_DATASET, j->vol_id, "DIMENSION_LIST", type,
                                                           space, type, lists, j->dxpl_id)
                                         : -1;
    hid_t saved = lzv_stack_save();
    if (type >= 0)
        H5Tclose(type);
    if (space >= 0)
        H5Sclose(space);
    lzv_stack_restore(saved);
    return ret;
}

herr_t
lzv_dims_attach(lzv_obj *file, const char *name, void *dset, const lzv_binding *b, const h5lazy_dim_t *named,
                int nnamed, lzv_created *created, hid_t dxpl_id, char *why, size_t size)
{
    int rank = lz_graph_rank(b->graph);
    const int64_t *shape = lz_graph_shape(b->graph);
    size_t len = strlen(name) + 2;
    char *self = malloc(len);
    if (self)
        snprintf(self, len, "%s%s", name[0] == '/' ? "" : "/", name);
    job j = {file, file->under_vol_id, dxpl_id, b, self, NULL, 0, created, why, size};
    void *scales[H5S_MAX_RANK] = {NULL};
    haddr_t addrs[H5S_MAX_RANK] = {0};
    unsigned long fileno;
    haddr_t self_addr = 0;
    bool failed = !self;
    if (self) {
        const char *slash = strrchr(self, '/');
        j.group = slash == self ? strdup("/") : strndup(self, (size_t)(slash - self));
        failed = !j.group || lzv_object_identity(file->under_object, H5I_FILE, j.vol_id, dxpl_id, &j.fileno, NULL) < 0;
    }
    if (failed)
        snprintf(why, size, "the new dataset's place cannot be found");
    for (int k = 0; !failed && k < rank; k++) {
        const char *dim = NULL;
        for (int i = 0; i < nnamed; i++)
            if (named[i].axis == k || named[i].axis + rank == k)
                dim = named[i].name;
        scales[k] = dim ? named_dimension(&j, dim, k, (hsize_t)shape[k])
                        : axis_dimension(&j, k, (hsize_t)shape[k], &failed);
        failed = failed || (dim && !scales[k]);
        if (scales[k] && address_of(scales[k], H5I_DATASET, j.vol_id, dxpl_id, &fileno, &addrs[k]) < 0) {
            snprintf(why, size, "the dimension scale of axis %d cannot be examined", k);
            failed = true;
        }
    }
    bool any = false;
    for (int k = 0; k < rank; k++)
        any = any || scales[k];
    if (!failed && any) {
        failed = address_of(dset, H5I_DATASET, j.vol_id, dxpl_id, &fileno, &self_addr) < 0 ||
                 write_dimension_list(&j, dset, rank, addrs) < 0;
        for (int k = 0; !failed && k < rank; k++)
            failed = scales[k] && add_back_ref(scales[k], j.vol_id, self_addr, k, dxpl_id) < 0;
        if (failed)
            snprintf(why, size, "the dimension scales cannot be attached");
    }
    hid_t saved = lzv_stack_save();
    for (int k = 0; k < rank; k++)
        if (scales[k])
            H5VLdataset_close(scales[k], j.vol_id, dxpl_id, NULL);
    lzv_stack_restore(saved);
    free(j.group);
    free(self);
    return failed ? -1 : 0;
}
