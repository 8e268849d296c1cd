/* fuzz_definition.c — libFuzzer target: the connector's stored-definition
 * decoder, binding and read path.
 *
 * Each input becomes a placeholder dataset /p (or /g/p) in an in-memory
 * HDF5 file (core driver, no backing store) next to fixed operands; its
 * type, shape and h5lazy_* attributes come from the input. The file image
 * is then opened through h5lazy (linked in, registered by class, with
 * files=none so that nothing on disk is ever opened), the dataset is
 * opened, queried and read.
 *
 * Input layout (a byte reader: past the end every byte reads as 0):
 *   [0] mode: bit 0 shape and type of /p from the engine's own inference
 *       over the operands (so that reads reach evaluation), else from [1..6];
 *       bit 1 /p lives in group /g; bits 2-3 memory= 4K/16K/256K/64M;
 *       bit 4 cache=0 (and: read /p again with /v in one H5Dread_multi);
 *       bits 5-6 read plan (all, strided hyperslab, points, all converted to
 *       double); bit 7 threads=2
 *   [1] type of /p: 0-10 the engine types, 11 int32 BE, 12 float64 BE,
 *       13 string, 14 compound, 15 12-bit integer, 16 enum that is not bool;
 *       bit 7: no placeholder storage (no external-file mark)
 *   [2] space of /p: rank = v % 5 (0: scalar), bit 3: null dataspace
 *   [3..6] extents (v % 8) of the first four axes
 *   then three attribute specs: h5lazy_format, h5lazy_expression,
 *   h5lazy_chunks, each a spec byte followed by what it needs (below);
 *   the rest of the input is the expression text.
 * Attribute spec byte k: type k & 7 (int32, int64, int8, float64, vlen
 * UTF-8 string, vlen ASCII string, fixed string, absent); space (k >> 3) & 3
 * (scalar; 1-D of next-byte % 128; null; 2 x (next-byte % 64)); bit 5
 * big-endian numbers / null-terminated fixed strings; bit 6 space-padded
 * fixed strings. Numbers: one byte per element, 0xf0.. map to extreme
 * values. Fixed strings: length of the text + next-byte % 4.
 *
 * Checked: no crash, leak or sanitizer report; every failed call leaves an
 * error on HDF5's stack, and a failed read of /p has a frame of h5lazy's
 * own class; no HDF5 identifier is left open (counted per type); a read
 * that succeeds gives the values the engine computes over the same data in
 * memory (any NaN equals any NaN).
 */
#include "lz.h"
#include "fuzz_common.h"
#include "lzv.h"      /* lzv_class: the connector, linked in */

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define WORK_LIMIT ((int64_t)1 << 18)

/* H5LAZY_FUZZ_DEBUG=1 in the environment: say what each input does. */
static int debug;
#define DEBUG(...)                                                                                 \
    do {                                                                                           \
        if (debug)                                                                                 \
            fprintf(stderr, "fuzz_definition: " __VA_ARGS__);                                      \
    } while (0)
#define MAX_ELEMS 4096

#define CHECK(cond, ...)                                                                           \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "fuzz_definition: check failed at %s:%d: %s\n", __FILE__, __LINE__, #cond); \
            fprintf(stderr, "fuzz_definition: " __VA_ARGS__);                                      \
            fputc('\n', stderr);                                                                   \
            H5Eprint2(H5E_DEFAULT, stderr);                                                        \
            abort();                                                                               \
        }                                                                                          \
    } while (0)

/* ---- input reader ---------------------------------------------------------------- */

typedef struct reader {
    const uint8_t *p;
    size_t n, pos;
} reader;

static uint8_t
byte(reader *r)
{
    return r->pos < r->n ? r->p[r->pos++] : 0;
}

static const long long specials[16] = {
    (long long)1 << 31, (long long)1 << 32, (long long)1 << 62, INT64_MAX, INT64_MIN, -1, 0, 1,
    INT32_MAX,          INT32_MIN,          65536,              1 << 20,   1000,      2,  3, 1 << 30};

static long long
number(reader *r)
{
    uint8_t b = byte(r);
    return b >= 0xf0 ? specials[b - 0xf0] : (long long)b;
}

/* ---- the fixed operands ------------------------------------------------------------- */

typedef struct operand_def {
    const char *path;
    lz_dtype dtype; /* numeric ones */
    int rank;
    hsize_t dims[3];
    int kind; /* 0 numeric, 1 string, 2 null space, 3 virtual "a * 2", 4 virtual "v - a" */
} operand_def;

static const operand_def operands[] = {
    {"/a", LZ_FLOAT64, 2, {3, 4}, 0},    {"/b", LZ_INT32, 1, {4}, 0},       {"/c", LZ_UINT8, 3, {2, 3, 4}, 0},
    {"/d", LZ_FLOAT32, 0, {0}, 0},       {"/e", LZ_INT16, 2, {0, 3}, 0},    {"/f", LZ_BOOL, 2, {3, 1}, 0},
    {"/g/h", LZ_INT64, 1, {5}, 0},       {"/g/a", LZ_UINT16, 2, {1, 4}, 0}, {"/s", LZ_UINT8, 1, {2}, 1},
    {"/n", LZ_INT32, 1, {0}, 2},         {"/v", LZ_FLOAT64, 2, {3, 4}, 3},  {"/w", LZ_FLOAT64, 2, {3, 4}, 4},
};
#define NOPERANDS (sizeof operands / sizeof operands[0])

static union {
    double d[24];
    uint64_t u[24];
} operand_data[NOPERANDS];

/* ---- HDF5 types --------------------------------------------------------------------- */

static hid_t
bool_type(void)
{
    hid_t t = H5Tenum_create(H5T_STD_I8LE);
    int8_t f = 0, tr = 1;
    H5Tenum_insert(t, "FALSE", &f);
    H5Tenum_insert(t, "TRUE", &tr);
    return t;
}

/* The file type (new id) of an engine type; native = memory layout. */
static hid_t
type_of(lz_dtype t, bool native)
{
    switch (t) {
    case LZ_BOOL: return bool_type();
    case LZ_INT8: return H5Tcopy(native ? H5T_NATIVE_INT8 : H5T_STD_I8LE);
    case LZ_UINT8: return H5Tcopy(native ? H5T_NATIVE_UINT8 : H5T_STD_U8LE);
    case LZ_INT16: return H5Tcopy(native ? H5T_NATIVE_INT16 : H5T_STD_I16LE);
    case LZ_UINT16: return H5Tcopy(native ? H5T_NATIVE_UINT16 : H5T_STD_U16LE);
    case LZ_INT32: return H5Tcopy(native ? H5T_NATIVE_INT32 : H5T_STD_I32LE);
    case LZ_UINT32: return H5Tcopy(native ? H5T_NATIVE_UINT32 : H5T_STD_U32LE);
    case LZ_INT64: return H5Tcopy(native ? H5T_NATIVE_INT64 : H5T_STD_I64LE);
    case LZ_UINT64: return H5Tcopy(native ? H5T_NATIVE_UINT64 : H5T_STD_U64LE);
    case LZ_FLOAT32: return H5Tcopy(native ? H5T_NATIVE_FLOAT : H5T_IEEE_F32LE);
    default: return H5Tcopy(native ? H5T_NATIVE_DOUBLE : H5T_IEEE_F64LE);
    }
}

/* The placeholder's type from selector `sel`; *dtype set when it is an
 * engine type (else -1). */
static hid_t
placeholder_type(int sel, int *dtype)
{
    *dtype = -1;
    if (sel < LZ_DTYPE_COUNT) {
        *dtype = sel;
        return type_of((lz_dtype)sel, false);
    }
    switch (sel) {
    case 11: *dtype = LZ_INT32; return H5Tcopy(H5T_STD_I32BE);
    case 12: *dtype = LZ_FLOAT64; return H5Tcopy(H5T_IEEE_F64BE);
    case 13: {
        hid_t s = H5Tcopy(H5T_C_S1);
        H5Tset_size(s, 4);
        return s;
    }
    case 14: {
        hid_t c = H5Tcreate(H5T_COMPOUND, 4);
        H5Tinsert(c, "x", 0, H5T_STD_I32LE);
        return c;
    }
    case 15: {
        hid_t i = H5Tcopy(H5T_STD_I16LE);
        H5Tset_precision(i, 12);
        return i;
    }
    default: {
        hid_t e = H5Tenum_create(H5T_STD_I8LE);
        int8_t v0 = 0, v1 = 2;
        H5Tenum_insert(e, "FALSE", &v0);
        H5Tenum_insert(e, "MAYBE", &v1);
        return e;
    }
    }
}

/* ---- attributes ------------------------------------------------------------------------- */

/* One attribute as the input describes it. */
typedef struct attr_spec {
    uint8_t k;         /* the spec byte */
    int type;          /* k & 7; 7: absent */
    int space;         /* (k >> 3) & 3 */
    hsize_t dims[2];   /* extents of a 1-D or 2-D space */
    long n;            /* elements */
    long long v[128];  /* numbers */
    size_t extra;      /* fixed strings: bytes beyond the text */
} attr_spec;

static void
decode_spec(reader *r, attr_spec *a)
{
    memset(a, 0, sizeof *a);
    a->k = byte(r);
    a->type = a->k & 7;
    a->space = (a->k >> 3) & 3;
    if (a->type == 7)
        return;
    a->n = 1;
    if (a->space == 1) {
        a->dims[0] = byte(r) % 128;
        a->n = (long)a->dims[0];
    } else if (a->space == 2) {
        a->n = 0;
    } else if (a->space == 3) {
        a->dims[0] = 2;
        a->dims[1] = byte(r) % 64;
        a->n = (long)(a->dims[0] * a->dims[1]);
    }
    if (a->type <= 3)
        for (long i = 0; i < a->n; i++)
            a->v[i] = number(r);
    else if (a->type == 6)
        a->extra = byte(r) % 4;
}

/* The fixed string type of a spec for `text`. */
static hid_t
fixed_type(const attr_spec *a, const char *text, size_t *len)
{
    *len = strlen(text) + a->extra;
    if (*len == 0)
        *len = 1;
    hid_t t = H5Tcopy(H5T_C_S1);
    H5Tset_size(t, *len);
    H5Tset_strpad(t, (a->k >> 6) & 1 ? H5T_STR_SPACEPAD : (a->k >> 5) & 1 ? H5T_STR_NULLTERM : H5T_STR_NULLPAD);
    return t;
}

/* The text a reader of a scalar string attribute written from `text` with
 * spec `a` gets back; NULL when the attribute is not one scalar string.
 * Fixed strings are written from memory of their own type (no conversion)
 * and read through HDF5's string conversion (H5Tconv_string.c): a
 * null-terminated one that the text fills is read whole, the last byte
 * included; a space-padded one loses its trailing spaces, which are the
 * text's own only when the text fills it (else zero bytes follow them). */
static char *
text_read_back(const attr_spec *a, const char *text)
{
    if (a->space != 0 || a->type < 4 || a->type > 6)
        return NULL;
    char *t = strdup(text);
    if (a->type == 6 && (a->k >> 6) & 1 && a->extra == 0) {
        size_t n = strlen(t);
        while (n && t[n - 1] == ' ')
            t[--n] = '\0';
    }
    return t;
}

/* Write attribute `name` on `obj` as `a` says; `text` is the value of
 * string attributes (element 0; the others are "x"). Whether the attribute
 * exists now: HDF5 refuses some (over 64 KiB in an object header). */
static bool
write_attr(hid_t obj, const char *name, const attr_spec *a, const char *text)
{
    if (a->type == 7)
        return false;
    hid_t space = a->space == 0   ? H5Screate(H5S_SCALAR)
                  : a->space == 2 ? H5Screate(H5S_NULL)
                                  : H5Screate_simple(a->space == 1 ? 1 : 2, a->dims, NULL);
    size_t cnt = a->n > 0 ? (size_t)a->n : 1;
    bool be = (a->k >> 5) & 1;
    hid_t ftype = H5I_INVALID_HID, mtype = H5I_INVALID_HID;
    void *buf = NULL;
    switch (a->type) {
    case 0:
    case 1:
    case 2: {
        static const hid_t *le[] = {&H5T_STD_I32LE_g, &H5T_STD_I64LE_g, &H5T_STD_I8LE_g};
        static const hid_t *bet[] = {&H5T_STD_I32BE_g, &H5T_STD_I64BE_g, &H5T_STD_I8BE_g};
        ftype = H5Tcopy(be ? *bet[a->type] : *le[a->type]);
        mtype = H5Tcopy(H5T_NATIVE_LLONG);
        long long *v = calloc(cnt, sizeof *v);
        memcpy(v, a->v, (size_t)a->n * sizeof *v);
        buf = v;
        break;
    }
    case 3: {
        ftype = H5Tcopy(be ? H5T_IEEE_F64BE : H5T_IEEE_F64LE);
        mtype = H5Tcopy(H5T_NATIVE_DOUBLE);
        double *v = calloc(cnt, sizeof *v);
        for (long i = 0; i < a->n; i++)
            v[i] = (double)a->v[i] + 0.5;
        buf = v;
        break;
    }
    case 4:
    case 5: {
        ftype = H5Tcopy(H5T_C_S1);
        H5Tset_size(ftype, H5T_VARIABLE);
        H5Tset_cset(ftype, a->type == 4 ? H5T_CSET_UTF8 : H5T_CSET_ASCII);
        mtype = H5Tcopy(ftype);
        const char **strs = calloc(cnt, sizeof *strs);
        for (size_t i = 0; i < cnt; i++)
            strs[i] = i ? "x" : text;
        buf = strs;
        break;
    }
    case 6: {
        size_t len;
        ftype = fixed_type(a, text, &len);
        mtype = H5Tcopy(ftype);
        char *v = calloc(cnt, len);
        for (long i = 0; i < a->n; i++)
            memcpy(v + (size_t)i * len, i ? "x" : text, i ? 1 : strlen(text));
        buf = v;
        break;
    }
    }
    hid_t attr = H5Acreate2(obj, name, ftype, space, H5P_DEFAULT, H5P_DEFAULT);
    if (attr >= 0) {
        H5Awrite(attr, mtype, buf);
        H5Aclose(attr);
    }
    H5Eclear2(H5E_DEFAULT);
    free(buf);
    H5Tclose(ftype);
    H5Tclose(mtype);
    H5Sclose(space);
    return attr >= 0;
}

/* A well-formed definition on a dataset (the fixed virtual operands). */
static void
define_fixed(hid_t dset, const char *expression)
{
    uint8_t spec[] = {0, 1, 4};
    reader r = {spec, sizeof spec, 0};
    attr_spec fmt, expr;
    decode_spec(&r, &fmt);
    decode_spec(&r, &expr);
    write_attr(dset, H5LAZY_ATTR_FORMAT, &fmt, "");
    write_attr(dset, H5LAZY_ATTR_EXPRESSION, &expr, expression);
}

/* ---- the base file, made once ---------------------------------------------------------- */

static hid_t vol_id = H5I_INVALID_HID;
static void *base_image;
static size_t base_size;
static H5O_token_t tokens[NOPERANDS];
static long baseline[H5I_NTYPES];

static hid_t
core_fapl(const void *image, size_t size)
{
    hid_t fapl = H5Pcreate(H5P_FILE_ACCESS);
    H5Pset_fapl_core(fapl, 64 * 1024, 0);
    H5Pset_vol(fapl, H5VL_NATIVE, NULL);
    if (image)
        H5Pset_file_image(fapl, (void *)image, size);
    return fapl;
}

/* The bytes of the in-memory file f, flushed; free() them. */
static void *
file_image(hid_t f, size_t *size)
{
    H5Fflush(f, H5F_SCOPE_GLOBAL);
    ssize_t n = H5Fget_file_image(f, NULL, 0);
    CHECK(n > 0, "image size");
    void *image = malloc((size_t)n);
    CHECK(image && H5Fget_file_image(f, image, (size_t)n) == n, "file image");
    *size = (size_t)n;
    return image;
}

static hid_t
placeholder_dcpl(bool marked)
{
    hid_t dcpl = H5Pcreate(H5P_DATASET_CREATE);
    if (marked)
        H5Pset_external(dcpl, H5LAZY_PLACEHOLDER_FILE, 0, H5F_UNLIMITED);
    return dcpl;
}

static void
count_ids(long *counts)
{
    for (int t = H5I_FILE; t < H5I_NTYPES; t++) {
        hsize_t n = 0;
        counts[t] = H5Inmembers((H5I_type_t)t, &n) >= 0 ? (long)n : -1;
    }
    H5Eclear2(H5E_DEFAULT);
}

static void
init_once(void)
{
    /* The target sets up its own connector stack. */
    unsetenv("HDF5_VOL_CONNECTOR");
    debug = getenv("H5LAZY_FUZZ_DEBUG") && *getenv("H5LAZY_FUZZ_DEBUG") == '1';
    CHECK(H5open() >= 0, "H5open");
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
    /* No free lists: memory HDF5 keeps is then memory LSan can see. */
    H5set_free_list_limits(0, 0, 0, 0, 0, 0);
    vol_id = H5VLregister_connector(&lzv_class, H5P_DEFAULT);
    CHECK(vol_id >= 0, "registering the connector");

    for (size_t i = 0; i < NOPERANDS; i++)
        fuzz_fill(&operand_data[i], operands[i].dtype, (int)i, 24);
    for (int n = 0; n < 12; n++) { /* v = a * 2, w = v - a */
        operand_data[10].d[n] = operand_data[0].d[n] * 2;
        operand_data[11].d[n] = operand_data[10].d[n] - operand_data[0].d[n];
    }

    hid_t fapl = core_fapl(NULL, 0);
    hid_t f = H5Fcreate("fuzz-base.h5", H5F_ACC_TRUNC, H5P_DEFAULT, fapl);
    CHECK(f >= 0, "creating the base file");
    H5Gclose(H5Gcreate2(f, "/g", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT));
    for (size_t i = 0; i < NOPERANDS; i++) {
        const operand_def *o = &operands[i];
        hid_t space = o->kind == 2 ? H5Screate(H5S_NULL)
                      : o->rank ? H5Screate_simple(o->rank, o->dims, NULL)
                                : H5Screate(H5S_SCALAR);
        hid_t type;
        if (o->kind == 1) {
            type = H5Tcopy(H5T_C_S1);
            H5Tset_size(type, 3);
        } else {
            type = type_of(o->dtype, false);
        }
        hid_t dcpl = placeholder_dcpl(o->kind >= 3);
        hid_t d = H5Dcreate2(f, o->path, type, space, H5P_DEFAULT, dcpl, H5P_DEFAULT);
        CHECK(d >= 0, "creating %s", o->path);
        if (o->kind == 0) {
            hid_t mt = type_of(o->dtype, true);
            CHECK(H5Dwrite(d, mt, H5S_ALL, H5S_ALL, H5P_DEFAULT, &operand_data[i]) >= 0, "writing %s", o->path);
            H5Tclose(mt);
        } else if (o->kind == 1) {
            CHECK(H5Dwrite(d, type, H5S_ALL, H5S_ALL, H5P_DEFAULT, "abcdef") >= 0, "writing %s", o->path);
        } else if (o->kind >= 3) {
            define_fixed(d, o->kind == 3 ? "a * 2" : "v - a");
        }
        H5O_info2_t info;
        CHECK(H5Oget_info3(d, &info, H5O_INFO_BASIC) >= 0, "info of %s", o->path);
        tokens[i] = info.token;
        H5Dclose(d);
        H5Pclose(dcpl);
        H5Tclose(type);
        H5Sclose(space);
    }
    base_image = file_image(f, &base_size);
    H5Fclose(f);
    H5Pclose(fapl);
    count_ids(baseline);
}

/* ---- the engine's own account, over the same data in memory --------------------------------- */

typedef struct mirror {
    lz_ctx *ctx;
    lz_expr *expr;
    lz_graph *graph;
    lz_source *srcs;
    const lz_source **ptrs;
    bool exact;  /* every operand resolved to a known numeric dataset */
    int64_t work;
    bool has_reduce;
} mirror;

/* Which known dataset an operand names, as the connector resolves it
 * (lzv_operand.c: absolute, or relative to the group of /p); -1 if none
 * or not numeric, -2 if it is /p itself or in another file. */
static int
resolve(hid_t file, const char *group, const lz_operand *op, hid_t self)
{
    if (op->file)
        return -2;
    size_t n = strlen(group) + strlen(op->path) + 2;
    char *path = malloc(n);
    snprintf(path, n, "%s%s%s", op->path[0] == '/' ? "" : group,
             op->path[0] == '/' || !strcmp(group, "/") ? "" : "/", op->path);
    H5O_info2_t info;
    herr_t ok = H5Oget_info_by_name3(file, path, &info, H5O_INFO_BASIC, H5P_DEFAULT);
    free(path);
    H5Eclear2(H5E_DEFAULT);
    if (ok < 0)
        return -1;
    if (self >= 0) {
        H5O_info2_t sinfo;
        int cmp = 1;
        if (H5Oget_info3(self, &sinfo, H5O_INFO_BASIC) >= 0 && H5Otoken_cmp(file, &info.token, &sinfo.token, &cmp) >= 0 &&
            cmp == 0)
            return -2;
    }
    for (size_t i = 0; i < NOPERANDS; i++) {
        int cmp = 1;
        if (H5Otoken_cmp(file, &info.token, &tokens[i], &cmp) >= 0 && cmp == 0)
            return operands[i].kind == 0 || operands[i].kind >= 3 ? (int)i : -1;
    }
    return -1;
}

static void
mirror_free(mirror *m)
{
    lz_graph_free(m->graph);
    lz_expr_free(m->expr);
    if (m->ctx) {
        CHECK(lz_ctx_bytes_in_use(m->ctx) == 0, "engine context leak in the mirror");
        lz_ctx_free(m->ctx);
    }
    free(m->srcs);
    free(m->ptrs);
    memset(m, 0, sizeof *m);
}

/* Parse and bind `text` over memory copies of what the operands resolve to;
 * an operand that resolves to nothing known gets a 0-d stand-in (the
 * connector will refuse it, so the work bound is then only indicative). */
static void
mirror_bind(mirror *m, hid_t file, const char *group, const char *text, hid_t self)
{
    memset(m, 0, sizeof *m);
    m->ctx = lz_ctx_new(NULL);
    CHECK(m->ctx, "lz_ctx_new");
    if (lz_expr_parse(m->ctx, text, &m->expr) != LZ_OK)
        return;
    size_t n = lz_expr_operand_count(m->expr);
    m->srcs = calloc(n ? n : 1, sizeof *m->srcs);
    m->ptrs = calloc(n ? n : 1, sizeof *m->ptrs);
    m->exact = true;
    static const double zero = 0;
    for (size_t i = 0; i < n; i++) {
        int k = resolve(file, group, lz_expr_operand(m->expr, i), self);
        if (k >= 0) {
            int64_t shape[3];
            for (int a = 0; a < operands[k].rank; a++)
                shape[a] = (int64_t)operands[k].dims[a];
            lz_source_init_memory(&m->srcs[i], operands[k].dtype, operands[k].rank, shape, &operand_data[k]);
        } else {
            m->exact = false;
            lz_source_init_memory(&m->srcs[i], LZ_FLOAT64, 0, NULL, &zero);
        }
        m->ptrs[i] = &m->srcs[i];
    }
    if (lz_graph_new(m->ctx, m->expr, m->ptrs, &m->graph) != LZ_OK)
        return;
    m->work = fuzz_graph_work(m->graph, &m->has_reduce);
}

/* ---- checks ---------------------------------------------------------------------------------- */

static herr_t
find_h5lazy(unsigned n, const H5E_error2_t *err, void *data)
{
    (void)n;
    char name[32] = "";
    if (H5Eget_class_name(err->cls_id, name, sizeof name) > 0 && !strcmp(name, "h5lazy"))
        *(int *)data = 1;
    return 0;
}

/* After a failed call: something on the stack, and (if asked) a frame of
 * h5lazy's own class. */
static void
check_failure(const char *what, bool want_h5lazy)
{
    ssize_t n = H5Eget_num(H5E_DEFAULT);
    CHECK(n > 0, "%s failed with nothing on the error stack", what);
    if (want_h5lazy) {
        /* Walk a copy: H5Eget_class_name, like every API call, clears the
         * current stack. */
        hid_t copy = H5Eget_current_stack();
        int found = 0;
        H5Ewalk2(copy, H5E_WALK_UPWARD, find_h5lazy, &found);
        if (!found)
            H5Eprint2(copy, stderr);
        H5Eclose_stack(copy);
        CHECK(found, "%s failed without an h5lazy frame on the error stack", what);
    }
    H5Eclear2(H5E_DEFAULT);
}

static bool
same(const unsigned char *x, const unsigned char *y, size_t size, bool is_float)
{
    if (is_float && size == 4) {
        float a, b;
        memcpy(&a, x, 4);
        memcpy(&b, y, 4);
        if (isnan(a) && isnan(b))
            return true;
    } else if (is_float && size == 8) {
        double a, b;
        memcpy(&a, x, 8);
        memcpy(&b, y, 8);
        if (isnan(a) && isnan(b))
            return true;
    }
    return !memcmp(x, y, size);
}

/* The element at C-order offset `off` of the engine's dense result,
 * converted to double (read plan 3). */
static double
as_double(const unsigned char *buf, int64_t off, lz_dtype t)
{
    switch (t) {
    case LZ_BOOL: return buf[off];
    case LZ_INT8: return ((const int8_t *)buf)[off];
    case LZ_UINT8: return ((const uint8_t *)buf)[off];
    case LZ_INT16: return ((const int16_t *)buf)[off];
    case LZ_UINT16: return ((const uint16_t *)buf)[off];
    case LZ_INT32: return ((const int32_t *)buf)[off];
    case LZ_UINT32: return ((const uint32_t *)buf)[off];
    case LZ_INT64: return (double)((const int64_t *)buf)[off];
    case LZ_UINT64: return (double)((const uint64_t *)buf)[off];
    case LZ_FLOAT32: return ((const float *)buf)[off];
    default: return ((const double *)buf)[off];
    }
}

/* ---- the target ------------------------------------------------------------------------------- */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static bool ready;
    if (!ready) {
        init_once();
        ready = true;
    }
    if (size > 2048)
        return -1;
    reader r = {data, size, 0};
    uint8_t mode = byte(&r), tsel = byte(&r), ssel = byte(&r);
    hsize_t dims[4];
    for (int k = 0; k < 4; k++)
        dims[k] = byte(&r) % 8;
    attr_spec fmt_spec, expr_spec, chunk_spec;
    decode_spec(&r, &fmt_spec);
    decode_spec(&r, &expr_spec);
    decode_spec(&r, &chunk_spec);
    size_t text_len = r.pos < size ? size - r.pos : 0;
    char *text = malloc(text_len + 1);
    CHECK(text, "out of memory in the harness");
    if (text_len)
        memcpy(text, data + r.pos, text_len);
    text[text_len] = '\0';
    /* What the connector will parse, when it is one scalar string. */
    char *conn_text = text_read_back(&expr_spec, text);
    bool marked = !(tsel & 0x80);

    const char *group = (mode & 2) ? "/g" : "/";
    const char *pname = (mode & 2) ? "/g/p" : "/p";

    /* Open the base image natively and add the placeholder. */
    hid_t fapl = core_fapl(base_image, base_size);
    hid_t f = H5Fopen("fuzz-base.h5", H5F_ACC_RDWR, fapl);
    CHECK(f >= 0, "reopening the base image");
    H5Pclose(fapl);

    mirror m;
    mirror_bind(&m, f, group, conn_text ? conn_text : text, H5I_INVALID_HID);

    DEBUG("text '%s' (connector reads '%s'); mirror: parse %s, bind %s, exact %d, work %lld\n", text,
          conn_text ? conn_text : "(not one scalar string)", m.expr ? "ok" : "failed", m.graph ? "ok" : "failed",
          m.exact, (long long)m.work);
    int dtype = -1;
    hid_t ptype;
    hid_t pspace;
    bool engine_shaped = false;
    if ((mode & 1) && m.graph && m.exact) {
        int rank = lz_graph_rank(m.graph);
        int64_t n = 1;
        hsize_t gd[LZ_MAX_RANK];
        for (int k = 0; k < rank; k++) {
            gd[k] = (hsize_t)lz_graph_shape(m.graph)[k];
            n = fuzz_sat_mul(n, lz_graph_shape(m.graph)[k]);
        }
        if (n <= MAX_ELEMS) {
            dtype = lz_graph_dtype(m.graph);
            ptype = type_of((lz_dtype)dtype, false);
            pspace = rank ? H5Screate_simple(rank, gd, NULL) : H5Screate(H5S_SCALAR);
            engine_shaped = true;
        }
    }
    if (!engine_shaped) {
        ptype = placeholder_type((tsel & 0x7f) % 17, &dtype);
        int rank = ssel % 5;
        if (ssel & 8)
            pspace = H5Screate(H5S_NULL);
        else
            pspace = rank ? H5Screate_simple(rank, dims, NULL) : H5Screate(H5S_SCALAR);
    }
    hid_t dcpl = placeholder_dcpl(marked);
    hid_t pd = H5Dcreate2(f, pname, ptype, pspace, H5P_DEFAULT, dcpl, H5P_DEFAULT);
    H5Pclose(dcpl);
    if (pd < 0) { /* a combination HDF5 itself refuses */
        H5Eclear2(H5E_DEFAULT);
        H5Tclose(ptype);
        H5Sclose(pspace);
        H5Fclose(f);
        mirror_free(&m);
        free(text);
        free(conn_text);
        return 0;
    }
    write_attr(pd, H5LAZY_ATTR_FORMAT, &fmt_spec, "1");
    /* Virtual: both marks, the placeholder storage and the expression. */
    bool is_virtual = write_attr(pd, H5LAZY_ATTR_EXPRESSION, &expr_spec, text) && marked;
    write_attr(pd, H5LAZY_ATTR_CHUNKS, &chunk_spec, "1");
    H5Dclose(pd);
    H5Sclose(pspace);
    H5Tclose(ptype);

    size_t isize;
    void *image = file_image(f, &isize);
    H5Fclose(f);

    /* Open it through h5lazy. */
    static const char *const memories[] = {"4KiB", "16KiB", "256KiB", "64MiB"};
    char info_str[200];
    snprintf(info_str, sizeof info_str, "under_vol=0;under_info={};memory=%s;cache=%s;threads=%d;files=none",
             memories[(mode >> 2) & 3], (mode & 16) ? "0" : "1MiB", (mode & 128) ? 2 : 1);
    void *info = NULL;
    CHECK(H5VLconnector_str_to_info(info_str, vol_id, &info) >= 0, "connector info '%s'", info_str);
    fapl = core_fapl(image, isize);
    CHECK(H5Pset_vol(fapl, vol_id, info) >= 0, "H5Pset_vol");
    H5VLfree_connector_info(vol_id, info);
    f = H5Fopen("fuzz-image.h5", H5F_ACC_RDONLY, fapl);
    CHECK(f >= 0, "opening the image through h5lazy");
    H5Pclose(fapl);
    free(image);

    hid_t d = H5Dopen2(f, pname, H5P_DEFAULT);
    DEBUG("%s: %s placeholder, %s, virtual %d, open %s\n", pname, engine_shaped ? "engine-shaped" : "input-shaped",
          info_str, is_virtual, d >= 0 ? "ok" : "failed");
    if (d < 0) {
        check_failure("H5Dopen2", false);
    } else {
        /* What readers ask before reading. */
        hid_t space = H5Dget_space(d);
        hid_t type = H5Dget_type(d);
        CHECK(space >= 0 && type >= 0, "space and type of an opened dataset");
        hid_t pl = H5Dget_create_plist(d);
        if (pl < 0) {
            DEBUG("H5Dget_create_plist failed\n");
            if (debug)
                H5Eprint2(H5E_DEFAULT, stderr);
            check_failure("H5Dget_create_plist", false);
        } else {
            hsize_t cd[H5S_MAX_RANK];
            if (H5Pget_layout(pl) == H5D_CHUNKED && H5Pget_chunk(pl, H5S_MAX_RANK, cd) > 0)
                DEBUG("presented chunk: %llu, ...\n", (unsigned long long)cd[0]);
            H5Eclear2(H5E_DEFAULT);
            H5Pclose(pl);
        }
        H5Dget_storage_size(d);
        H5Dget_offset(d);
        H5D_space_status_t status;
        H5Dget_space_status(d, &status);
        H5Eclear2(H5E_DEFAULT);
        hid_t apl = H5Dget_access_plist(d);
        if (apl >= 0)
            H5Pclose(apl);
        H5Eclear2(H5E_DEFAULT);

        /* The read. */
        hssize_t npoints = H5Sget_simple_extent_npoints(space);
        int rank = H5Sget_simple_extent_ndims(space);
        hsize_t sdims[H5S_MAX_RANK];
        H5Sget_simple_extent_dims(space, sdims, NULL);
        H5S_class_t sclass = H5Sget_simple_extent_type(space);
        int plan = (mode >> 5) & 3;
        bool cheap = m.graph ? (m.work <= WORK_LIMIT) : true;
        if (npoints >= 0 && npoints <= MAX_ELEMS && cheap) {
            hid_t mtype = plan == 3 ? H5Tcopy(H5T_NATIVE_DOUBLE)
                          : dtype >= 0 ? type_of((lz_dtype)dtype, true)
                                       : H5Tget_native_type(type, H5T_DIR_DEFAULT);
            if (mtype < 0) {
                H5Eclear2(H5E_DEFAULT);
                mtype = H5Tcopy(type);
            }
            size_t msize = H5Tget_size(mtype);
            hid_t fsel = H5Scopy(space);
            hid_t msel = H5I_INVALID_HID;
            hsize_t nsel = (hsize_t)npoints;
            hsize_t start[H5S_MAX_RANK], stride[H5S_MAX_RANK], count[H5S_MAX_RANK];
            if (plan == 1 && rank > 0 && sclass == H5S_SIMPLE) {
                nsel = 1;
                for (int k = 0; k < rank; k++) {
                    start[k] = sdims[k] > 1 ? 1 : 0;
                    stride[k] = 2;
                    count[k] = sdims[k] > start[k] ? (sdims[k] - start[k] + 1) / 2 : 0;
                    nsel *= count[k];
                }
                H5Sselect_hyperslab(fsel, H5S_SELECT_SET, start, stride, count, NULL);
            } else if (plan == 2 && rank > 0 && sclass == H5S_SIMPLE && npoints > 0) {
                /* The last element, then the first, then the last again. */
                hsize_t coords[3 * H5S_MAX_RANK];
                for (int k = 0; k < rank; k++) {
                    coords[k] = sdims[k] - 1;
                    coords[rank + k] = 0;
                    coords[2 * rank + k] = sdims[k] - 1;
                }
                nsel = 3;
                H5Sselect_elements(fsel, H5S_SELECT_SET, 3, coords);
            } else {
                plan = plan == 3 ? 3 : 0;
            }
            if (plan == 1 || plan == 2) {
                hsize_t one = nsel;
                msel = H5Screate_simple(1, &one, NULL);
            } else {
                msel = H5Scopy(space);
            }
            unsigned char *buf = calloc(nsel ? nsel : 1, msize);
            CHECK(buf, "out of memory in the harness");
            herr_t rd = H5Dread(d, mtype, msel, fsel, H5P_DEFAULT, buf);
            DEBUG("read plan %d of %llu elements: %s\n", plan, (unsigned long long)nsel, rd >= 0 ? "ok" : "failed");
            if (rd < 0 && debug)
                H5Eprint2(H5E_DEFAULT, stderr);
            if (rd < 0) {
                check_failure("H5Dread", is_virtual);
            } else if (is_virtual && conn_text && m.graph && m.exact && dtype == (int)lz_graph_dtype(m.graph) &&
                       rank == lz_graph_rank(m.graph) && sclass != H5S_NULL) {
                /* Compare with the engine over the same data. */
                lz_box whole;
                lz_box_full(&whole, rank, lz_graph_shape(m.graph));
                int64_t n;
                bool same_shape = true;
                for (int k = 0; k < rank; k++)
                    same_shape = same_shape && (hsize_t)lz_graph_shape(m.graph)[k] == sdims[k];
                if (same_shape && lz_box_nelem(&whole, &n)) {
                    size_t es = lz_dtype_size((lz_dtype)dtype);
                    unsigned char *want = malloc((size_t)(n ? n : 1) * es);
                    if (lz_graph_eval(m.graph, &whole, want, NULL) == LZ_OK) {
                        bool is_float = dtype == LZ_FLOAT32 || dtype == LZ_FLOAT64;
                        for (hsize_t e = 0; e < nsel; e++) {
                            /* The C-order offset of the e-th selected element. */
                            int64_t off = (int64_t)e;
                            if (plan == 1) {
                                hsize_t rem = e;
                                int64_t pos[H5S_MAX_RANK];
                                for (int k = rank - 1; k >= 0; k--) {
                                    pos[k] = (int64_t)(start[k] + (rem % count[k]) * stride[k]);
                                    rem /= count[k];
                                }
                                off = 0;
                                for (int k = 0; k < rank; k++)
                                    off = off * (int64_t)sdims[k] + pos[k];
                            } else if (plan == 2) {
                                off = e == 1 ? 0 : n - 1;
                            }
                            if (plan == 3) {
                                double got, exp = as_double(want, off, (lz_dtype)dtype);
                                memcpy(&got, buf + e * msize, sizeof got);
                                CHECK((isnan(got) && isnan(exp)) || !memcmp(&got, &exp, sizeof got),
                                      "element %llu read as double: %.17g, the engine gives %.17g",
                                      (unsigned long long)e, got, exp);
                            } else {
                                CHECK(same(buf + e * msize, want + off * (int64_t)es, es, is_float),
                                      "element %llu of the read (plan %d) differs from the engine's element %lld",
                                      (unsigned long long)e, plan, (long long)off);
                            }
                        }
                    }
                    lz_ctx_clear_error(m.ctx);
                    free(want);
                }
            }
            /* The same read together with another virtual dataset (one
             * H5Dread_multi, evaluated in one pass): the same values. */
            if (rd >= 0 && plan == 0 && is_virtual && (mode & 0x10)) {
                hid_t v = H5Dopen2(f, "/v", H5P_DEFAULT);
                CHECK(v >= 0, "opening /v");
                unsigned char *buf2 = calloc(nsel ? nsel : 1, msize);
                double vbuf[12];
                hid_t dsets[2] = {d, v}, mtypes[2] = {mtype, H5T_NATIVE_DOUBLE};
                hid_t msels[2] = {msel, H5S_ALL}, fsels[2] = {fsel, H5S_ALL};
                void *bufs[2] = {buf2, vbuf};
                herr_t rm = H5Dread_multi(2, dsets, mtypes, msels, fsels, H5P_DEFAULT, bufs);
                DEBUG("H5Dread_multi with /v: %s\n", rm >= 0 ? "ok" : "failed");
                if (rm < 0) {
                    check_failure("H5Dread_multi", true);
                } else {
                    bool is_float = H5Tget_class(mtype) == H5T_FLOAT;
                    for (hsize_t e = 0; e < nsel; e++)
                        CHECK(same(buf2 + e * msize, buf + e * msize, msize, is_float),
                              "element %llu of H5Dread_multi differs from H5Dread", (unsigned long long)e);
                    for (int e = 0; e < 12; e++)
                        CHECK(same((unsigned char *)&vbuf[e], (unsigned char *)&operand_data[10].d[e], 8, true),
                              "element %d of /v read with H5Dread_multi is %g, not %g", e, vbuf[e],
                              operand_data[10].d[e]);
                }
                free(buf2);
                H5Dclose(v);
            }
            free(buf);
            H5Sclose(fsel);
            H5Sclose(msel);
            H5Tclose(mtype);
        }
        H5Sclose(space);
        H5Tclose(type);
        CHECK(H5Dclose(d) >= 0, "H5Dclose");
    }
    CHECK(H5Fclose(f) >= 0, "H5Fclose");
    H5Eclear2(H5E_DEFAULT);
    mirror_free(&m);
    free(text);
    free(conn_text);

    long now[H5I_NTYPES];
    count_ids(now);
    for (int t = H5I_FILE; t < H5I_NTYPES; t++)
        CHECK(now[t] == baseline[t], "HDF5 identifiers of type %d: %ld open, %ld before the input", t, now[t],
              baseline[t]);
    return 0;
}
