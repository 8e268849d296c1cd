/* test_vol.c — the connector through the public HDF5 API: loading the
 * plugin, defining virtual datasets, reading them with every kind of
 * selection and memory type, the errors users get, and the info string.
 * Expected values are computed here element by element (the independent
 * numpy oracle is in tests/python). Needs HDF5_PLUGIN_PATH (set by ctest). */
#include "vol_test.h"

#include "cunit_run.h"

#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define N0 7
#define N1 9

hid_t vol_id = H5I_INVALID_HID;
hid_t lazy_fapl = H5I_INVALID_HID;
static const char *file_name = "vol_tests.h5";
static float a_data[N0][N1];
static int16_t b_data[N0][N1];

/* What c = a * 2 + b / 4 - 1 holds at (i, j), numpy's way: a * 2 stays
 * float32 (2 is a weak literal), int16 / 4 is true division in float64, and
 * float32 + float64 is float64. */
static double
expected_c(int i, int j)
{
    return (double)(a_data[i][j] * 2.0f) + (double)b_data[i][j] / 4.0 - 1.0;
}

herr_t
define(hid_t file, const char *name, const char *expr, h5lazy_diagnostic_t *diag)
{
    int op;
    if (H5VLfind_opt_operation(H5VL_SUBCLS_FILE, H5LAZY_OP_DEFINE, &op) < 0)
        return -1;
    h5lazy_define_args_t args = {.name = name, .expression = expr, .diag = diag};
    H5VL_optional_args_t opt = {op, &args};
    return H5VLfile_optional_op(file, &opt, H5P_DATASET_XFER_DEFAULT, H5ES_NONE);
}

static herr_t
find_h5lazy(unsigned n, const H5E_error2_t *err, void *data)
{
    (void)n;
    found *f = data;
    char cls[32] = "";
    H5Eget_class_name(err->cls_id, cls, sizeof cls);
    if (!strcmp(cls, "h5lazy")) {
        f->frames++;
        snprintf(f->desc, sizeof f->desc, "%s", err->desc);
    }
    return 0;
}

found
h5lazy_error(void)
{
    found f = {0};
    hid_t stack = H5Eget_current_stack();
    H5Ewalk2(stack, H5E_WALK_UPWARD, find_h5lazy, &f);
    H5Eclose_stack(stack);
    return f;
}

static int
suite_init(void)
{
    if (vol_id < 0)
        return -1;
    for (int i = 0; i < N0; i++)
        for (int j = 0; j < N1; j++) {
            a_data[i][j] = (float)(i * N1 + j) * 0.5f - 3.0f;
            b_data[i][j] = (int16_t)((i * 37 + j * 11) % 101 - 50);
        }
    /* Sources written natively, virtual datasets defined through h5lazy. */
    hid_t f = H5Fcreate(file_name, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
    hsize_t dims[2] = {N0, N1}, chunk[2] = {2, 4};
    hid_t space = H5Screate_simple(2, dims, NULL);
    hid_t dcpl = H5Pcreate(H5P_DATASET_CREATE);
    H5Pset_chunk(dcpl, 2, chunk);
    hid_t a = H5Dcreate2(f, "a", H5T_IEEE_F32LE, space, H5P_DEFAULT, dcpl, H5P_DEFAULT);
    hid_t g = H5Gcreate2(f, "g", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    hid_t b = H5Dcreate2(g, "b", H5T_STD_I16BE, space, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    herr_t st = H5Dwrite(a, H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, a_data);
    st |= H5Dwrite(b, H5T_NATIVE_INT16, H5S_ALL, H5S_ALL, H5P_DEFAULT, b_data);
    H5Dclose(a);
    H5Dclose(b);
    H5Gclose(g);
    H5Pclose(dcpl);
    H5Sclose(space);
    H5Fclose(f);
    if (st < 0)
        return -1;
    f = H5Fopen(file_name, H5F_ACC_RDWR, lazy_fapl);
    if (f < 0 || define(f, "c", "ds('a') * 2 + ds('/g/b') / 4 - 1", NULL) < 0 ||
        define(f, "g/d", "-b", NULL) < 0)
        return -1;
    return H5Fclose(f) < 0 ? -1 : 0;
}

static int
suite_clean(void)
{
    remove(file_name);
    return 0;
}

static void
test_plugin_loaded(void)
{
    char name[32] = "";
    CU_ASSERT(vol_id >= 0);
    hid_t f = H5Fopen(file_name, H5F_ACC_RDONLY, lazy_fapl);
    H5VLget_connector_name(f, name, sizeof name);
    CU_ASSERT_STRING_EQUAL(name, "h5lazy");
    H5Fclose(f);
    H5VL_class_value_t value;
    CU_ASSERT(H5VLget_value(vol_id, &value) >= 0);
    CU_ASSERT_EQUAL(value, H5LAZY_VOL_VALUE);
}

static void
test_presented_as_stored(void)
{
    hid_t f = H5Fopen(file_name, H5F_ACC_RDONLY, lazy_fapl);
    hid_t c = H5Dopen2(f, "c", H5P_DEFAULT);
    CU_ASSERT_FATAL(c >= 0);
    hid_t type = H5Dget_type(c), space = H5Dget_space(c), dcpl = H5Dget_create_plist(c);
    CU_ASSERT(H5Tequal(type, H5T_IEEE_F64LE) > 0);
    hsize_t dims[2];
    CU_ASSERT_EQUAL(H5Sget_simple_extent_dims(space, dims, NULL), 2);
    CU_ASSERT(dims[0] == N0 && dims[1] == N1);
    /* A clean chunked layout: the chunk of operand a, no external file. */
    CU_ASSERT_EQUAL(H5Pget_layout(dcpl), H5D_CHUNKED);
    hsize_t chunk[2];
    CU_ASSERT_EQUAL(H5Pget_chunk(dcpl, 2, chunk), 2);
    CU_ASSERT(chunk[0] == 2 && chunk[1] == 4);
    CU_ASSERT_EQUAL(H5Pget_external_count(dcpl), 0);
    CU_ASSERT_EQUAL(H5Pget_nfilters(dcpl), 0);
    CU_ASSERT_EQUAL(H5Dget_storage_size(c), (hsize_t)N0 * N1 * 8);
    H5Pclose(dcpl);
    H5Sclose(space);
    H5Tclose(type);
    H5Dclose(c);
    H5Fclose(f);
}

static void
test_read_all(void)
{
    hid_t f = H5Fopen(file_name, H5F_ACC_RDONLY, lazy_fapl);
    hid_t c = H5Dopen2(f, "c", H5P_DEFAULT);
    double out[N0][N1];
    CU_ASSERT(H5Dread(c, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, out) >= 0);
    int bad = 0;
    for (int i = 0; i < N0; i++)
        for (int j = 0; j < N1; j++)
            bad += out[i][j] != expected_c(i, j);
    CU_ASSERT_EQUAL(bad, 0);
    /* A relative operand resolves in the dataset's own group. */
    hid_t d = H5Dopen2(f, "/g/d", H5P_DEFAULT);
    int16_t nd[N0][N1];
    CU_ASSERT(H5Dread(d, H5T_NATIVE_INT16, H5S_ALL, H5S_ALL, H5P_DEFAULT, nd) >= 0);
    CU_ASSERT_EQUAL(nd[3][4], -b_data[3][4]);
    H5Dclose(d);
    H5Dclose(c);
    H5Fclose(f);
}

/* Every element of a hyperslab with start/stride/count/block, read into a
 * memory space of another rank and type (double). */
static void
test_read_hyperslabs(void)
{
    hid_t f = H5Fopen(file_name, H5F_ACC_RDONLY, lazy_fapl);
    hid_t c = H5Dopen2(f, "c", H5P_DEFAULT);
    static const hsize_t cases[][8] = {
        /* start0 start1 stride0 stride1 count0 count1 block0 block1 */
        {0, 0, 1, 1, N0, N1, 1, 1}, {1, 2, 2, 3, 3, 2, 1, 1}, {0, 1, 3, 4, 2, 2, 2, 2},
        {6, 8, 1, 1, 1, 1, 1, 1},   {2, 0, 1, 1, 1, N1, 1, 1}, {0, 0, 4, 5, 2, 2, 3, 4},
    };
    for (size_t t = 0; t < sizeof cases / sizeof cases[0]; t++) {
        const hsize_t *h = cases[t];
        hid_t fs = H5Dget_space(c);
        CU_ASSERT(H5Sselect_hyperslab(fs, H5S_SELECT_SET, h, h + 2, h + 4, h + 6) >= 0);
        hsize_t n = (hsize_t)H5Sget_select_npoints(fs);
        hid_t ms = H5Screate_simple(1, &n, NULL);
        double *out = calloc(n, sizeof *out);
        CU_ASSERT(H5Dread(c, H5T_NATIVE_DOUBLE, ms, fs, H5P_DEFAULT, out) >= 0);
        /* Row-major order over the selected file positions. */
        size_t k = 0;
        int bad = 0;
        for (int i = 0; i < N0; i++)
            for (int j = 0; j < N1; j++) {
                hsize_t ci = (hsize_t)i - h[0], cj = (hsize_t)j - h[1];
                bool in = i >= (int)h[0] && j >= (int)h[1] && ci / h[2] < h[4] && ci % h[2] < h[6] &&
                          cj / h[3] < h[5] && cj % h[3] < h[7];
                if (in)
                    bad += k >= n || out[k++] != (double)expected_c(i, j);
            }
        CU_ASSERT_EQUAL(k, n);
        CU_ASSERT_EQUAL(bad, 0);
        free(out);
        H5Sclose(ms);
        H5Sclose(fs);
    }
    H5Dclose(c);
    H5Fclose(f);
}

/* A union of hyperslabs read into a strided memory selection, and points
 * in listed (not sorted) order. */
static void
test_read_irregular_and_points(void)
{
    hid_t f = H5Fopen(file_name, H5F_ACC_RDONLY, lazy_fapl);
    hid_t c = H5Dopen2(f, "c", H5P_DEFAULT);
    hid_t fs = H5Dget_space(c);
    hsize_t s1[2] = {0, 0}, n1[2] = {2, 2}, s2[2] = {5, 6}, n2[2] = {2, 3};
    H5Sselect_hyperslab(fs, H5S_SELECT_SET, s1, NULL, n1, NULL);
    H5Sselect_hyperslab(fs, H5S_SELECT_OR, s2, NULL, n2, NULL);
    hsize_t mdims[1] = {40}, mstart[1] = {1}, mstride[1] = {4}, mcount[1] = {10};
    hid_t ms = H5Screate_simple(1, mdims, NULL);
    H5Sselect_hyperslab(ms, H5S_SELECT_SET, mstart, mstride, mcount, NULL);
    float out[40];
    for (int i = 0; i < 40; i++)
        out[i] = -999.0f;
    /* float32 memory: HDF5 converts (rounds) the float64 values. */
    CU_ASSERT(H5Dread(c, H5T_NATIVE_FLOAT, ms, fs, H5P_DEFAULT, out) >= 0);
    const int want[10][2] = {{0, 0}, {0, 1}, {1, 0}, {1, 1}, {5, 6}, {5, 7}, {5, 8}, {6, 6}, {6, 7}, {6, 8}};
    for (int k = 0; k < 10; k++)
        CU_ASSERT_EQUAL(out[1 + 4 * k], (float)expected_c(want[k][0], want[k][1]));
    CU_ASSERT_EQUAL(out[0], -999.0f); /* untouched between the selected slots */
    CU_ASSERT_EQUAL(out[2], -999.0f);
    H5Sclose(ms);

    const hsize_t points[4][2] = {{6, 8}, {0, 0}, {3, 3}, {0, 8}};
    H5Sselect_elements(fs, H5S_SELECT_SET, 4, &points[0][0]);
    hsize_t four = 4;
    ms = H5Screate_simple(1, &four, NULL);
    int64_t iout[4];
    CU_ASSERT(H5Dread(c, H5T_NATIVE_INT64, ms, fs, H5P_DEFAULT, iout) >= 0);
    for (int k = 0; k < 4; k++)
        CU_ASSERT_EQUAL(iout[k], (int64_t)expected_c((int)points[k][0], (int)points[k][1]));
    H5Sclose(ms);
    H5Sclose(fs);
    H5Dclose(c);
    H5Fclose(f);
}

/* One H5Dread_multi over stored and virtual datasets: each gets its data. */
static void
test_read_multi(void)
{
    hid_t f = H5Fopen(file_name, H5F_ACC_RDONLY, lazy_fapl);
    hid_t dsets[3] = {H5Dopen2(f, "a", H5P_DEFAULT), H5Dopen2(f, "c", H5P_DEFAULT),
                      H5Dopen2(f, "g/b", H5P_DEFAULT)};
    hid_t types[3] = {H5T_NATIVE_FLOAT, H5T_NATIVE_DOUBLE, H5T_NATIVE_INT16};
    hid_t fspaces[3], mspaces[3] = {H5S_ALL, H5S_ALL, H5S_ALL};
    hsize_t start[2] = {1, 2}, count[2] = {3, 4};
    for (int i = 0; i < 3; i++) {
        fspaces[i] = H5Dget_space(dsets[i]);
        H5Sselect_hyperslab(fspaces[i], H5S_SELECT_SET, start, NULL, count, NULL);
        mspaces[i] = H5Screate_simple(2, count, NULL);
    }
    float a[3][4];
    double c[3][4];
    int16_t b[3][4];
    void *bufs[3] = {a, c, b};
    CU_ASSERT(H5Dread_multi(3, dsets, types, mspaces, fspaces, H5P_DEFAULT, bufs) >= 0);
    int bad = 0;
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < 4; j++) {
            bad += a[i][j] != a_data[i + 1][j + 2];
            bad += b[i][j] != b_data[i + 1][j + 2];
            bad += c[i][j] != expected_c(i + 1, j + 2);
        }
    CU_ASSERT_EQUAL(bad, 0);
    for (int i = 0; i < 3; i++) {
        H5Sclose(fspaces[i]);
        H5Sclose(mspaces[i]);
        H5Dclose(dsets[i]);
    }
    H5Fclose(f);
}

static void
test_write_refused(void)
{
    hid_t f = H5Fopen(file_name, H5F_ACC_RDWR, lazy_fapl);
    hid_t c = H5Dopen2(f, "c", H5P_DEFAULT);
    double zeros[N0][N1] = {{0}};
    CU_ASSERT(H5Dwrite(c, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, zeros) < 0);
    found e = h5lazy_error();
    CU_ASSERT_EQUAL(e.frames, 1);
    if (!strstr(e.desc, "'/c' is a virtual dataset"))
        fprintf(stderr, "\n  got: %s\n", e.desc);
    CU_ASSERT_PTR_NOT_NULL(strstr(e.desc, "'/c' is a virtual dataset"));
    hsize_t bigger[2] = {N0 + 1, N1};
    CU_ASSERT(H5Dset_extent(c, bigger) < 0);
    CU_ASSERT(h5lazy_error().frames == 1);
    H5Dclose(c);
    H5Fclose(f);
    /* The operands are untouched. */
    f = H5Fopen(file_name, H5F_ACC_RDONLY, H5P_DEFAULT);
    hid_t a = H5Dopen2(f, "a", H5P_DEFAULT);
    float back[N0][N1];
    H5Dread(a, H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, back);
    CU_ASSERT_EQUAL(memcmp(back, a_data, sizeof back), 0);
    H5Dclose(a);
    H5Fclose(f);
}

static void
test_read_without_connector_fails(void)
{
    hid_t f = H5Fopen(file_name, H5F_ACC_RDONLY, H5P_DEFAULT); /* native */
    hid_t c = H5Dopen2(f, "c", H5P_DEFAULT);
    float out[N0][N1];
    CU_ASSERT(H5Dread(c, H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, out) < 0);
    H5Eclear2(H5E_DEFAULT);
    H5Dclose(c);
    H5Fclose(f);
}

static void
test_define_errors(void)
{
    hid_t f = H5Fopen(file_name, H5F_ACC_RDWR, lazy_fapl);
    h5lazy_diagnostic_t diag;
    static const struct {
        const char *name, *expr;
        int column;
        const char *message;
    } cases[] = {
        {"e1", "a + ", 5, "expected an operand, a number or '(' but found end of expression"},
        {"e2", "a + nope", 5, "operand 'nope' of 'e2' is not a dataset (looked for '/nope')"},
        {"e3", "a + ad(a, a)", 5, "unknown function 'ad' (did you mean 'add'?)"},
        {"e4", "a + ds('/g')", 5, "operand '/g' of 'e4' is not a dataset (looked for '/g')"},
        {"a", "a + 1", 0, "a stored dataset of that name exists; h5lazy never replaces stored data"},
        {"c", "a + 1", 0, "a virtual dataset of that name exists (overwrite it to replace it)"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        memset(&diag, 0, sizeof diag);
        CU_ASSERT(define(f, cases[i].name, cases[i].expr, &diag) < 0);
        found e = h5lazy_error();
        if (e.frames != 1)
            fprintf(stderr, "\n  %s: %d frames, last '%s'\n", cases[i].expr, e.frames, e.desc);
        CU_ASSERT_EQUAL(e.frames, 1);
        CU_ASSERT_EQUAL(diag.column, cases[i].column);
        if (strcmp(diag.message, cases[i].message))
            fprintf(stderr, "\n  %s: got '%s'\n", cases[i].expr, diag.message);
        CU_ASSERT_STRING_EQUAL(diag.message, cases[i].message);
        CU_ASSERT(H5Lexists(f, cases[i].name, H5P_DEFAULT) == (i >= 4)); /* nothing left behind */
    }
    H5Fclose(f);
}

/* An operand changed after the definition: the read fails and says so. */
static void
test_operand_changed(void)
{
    hid_t f = H5Fopen(file_name, H5F_ACC_RDWR, lazy_fapl);
    hsize_t dims[1] = {5};
    hid_t space = H5Screate_simple(1, dims, NULL);
    hid_t x = H5Dcreate2(f, "x", H5T_NATIVE_INT, space, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    H5Dclose(x);
    CU_ASSERT(define(f, "y", "x + 1", NULL) >= 0);
    H5Ldelete(f, "x", H5P_DEFAULT);
    hsize_t dims2[1] = {6};
    hid_t space2 = H5Screate_simple(1, dims2, NULL);
    x = H5Dcreate2(f, "x", H5T_NATIVE_INT, space2, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    H5Dclose(x);
    hid_t y = H5Dopen2(f, "y", H5P_DEFAULT);
    int out[6];
    CU_ASSERT(H5Dread(y, H5T_NATIVE_INT, H5S_ALL, H5S_ALL, H5P_DEFAULT, out) < 0);
    found e = h5lazy_error();
    if (!strstr(e.desc, "'/y' was defined"))
        fprintf(stderr, "\n  got: %s\n", e.desc);
    CU_ASSERT_PTR_NOT_NULL(strstr(e.desc, "'/y' was defined as int32 (5,), but its expression now gives int32 (6,)"));
    H5Dclose(y);
    H5Sclose(space);
    H5Sclose(space2);
    H5Fclose(f);
}

static void
test_info_string(void)
{
    void *info = NULL;
    char *str = NULL;
    CU_ASSERT(H5VLconnector_str_to_info("under_vol=0;under_info={};memory=3MiB;threads=2;cache=1M;files=below", vol_id,
                                        &info) >= 0);
    CU_ASSERT(H5VLconnector_info_to_str(info, vol_id, &str) >= 0);
    CU_ASSERT_STRING_EQUAL(str, "under_vol=0;under_info={};memory=3145728;threads=2;cache=1048576;files=below");
    void *again = NULL;
    int cmp = 1;
    CU_ASSERT(H5VLconnector_str_to_info(str, vol_id, &again) >= 0);
    CU_ASSERT(H5VLcmp_connector_info(&cmp, vol_id, info, again) >= 0);
    CU_ASSERT_EQUAL(cmp, 0);
    H5free_memory(str);
    H5VLfree_connector_info(vol_id, again);
    H5VLfree_connector_info(vol_id, info);

    /* threads=auto (issue 12) stays auto, and is the default. */
    static const char *const autos[] = {"threads=auto", ""};
    for (size_t i = 0; i < 2; i++) {
        info = NULL;
        str = NULL;
        CU_ASSERT(H5VLconnector_str_to_info(autos[i], vol_id, &info) >= 0);
        CU_ASSERT(H5VLconnector_info_to_str(info, vol_id, &str) >= 0);
        CU_ASSERT_PTR_NOT_NULL(str ? strstr(str, ";threads=auto;") : NULL);
        H5free_memory(str);
        H5VLfree_connector_info(vol_id, info);
    }

    static const char *const bad[] = {"memroy=1", "memory=12Q", "under_vol=0;under_info={", "memory=100",
                                       "threads=0", "threads=65", "threads=2x", "threads=", "threads=Auto",
                                       "cache=-1", "cache=2X", "files=", "files=ANYWHERE"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        info = NULL;
        CU_ASSERT(H5VLconnector_str_to_info(bad[i], vol_id, &info) < 0);
        CU_ASSERT_EQUAL(h5lazy_error().frames, 1);
    }
}

/* h5lazy stacked over HDF5's own pass-through connector (value 1), itself
 * over native: the same numbers come out. */
static void
test_stacked_over_pass_through(void)
{
    void *info = NULL;
    CU_ASSERT_FATAL(H5VLconnector_str_to_info("under_vol=1;under_info={under_vol=0;under_info={}}",
                                              vol_id, &info) >= 0);
    hid_t fapl = H5Pcreate(H5P_FILE_ACCESS);
    CU_ASSERT(H5Pset_vol(fapl, vol_id, info) >= 0);
    H5VLfree_connector_info(vol_id, info);
    hid_t f = H5Fopen(file_name, H5F_ACC_RDONLY, fapl);
    CU_ASSERT_FATAL(f >= 0);
    hid_t c = H5Dopen2(f, "c", H5P_DEFAULT);
    double out[N0][N1];
    CU_ASSERT(H5Dread(c, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, out) >= 0);
    CU_ASSERT_EQUAL(out[4][5], expected_c(4, 5));
    H5Dclose(c);
    H5Fclose(f);
    H5Pclose(fapl);
}

static void
register_connector_suite(void)
{
    CU_pSuite s = CU_add_suite("connector", suite_init, suite_clean);
    CU_add_test(s, "the plugin loads as 'h5lazy'", test_plugin_loaded);
    CU_add_test(s, "metadata presented as a stored dataset", test_presented_as_stored);
    CU_add_test(s, "whole reads", test_read_all);
    CU_add_test(s, "regular hyperslabs into another rank and type", test_read_hyperslabs);
    CU_add_test(s, "unions, scattered memory, points", test_read_irregular_and_points);
    CU_add_test(s, "H5Dread_multi over stored and virtual datasets", test_read_multi);
    CU_add_test(s, "writes are refused, operands untouched", test_write_refused);
    CU_add_test(s, "reading without the connector fails", test_read_without_connector_fails);
    CU_add_test(s, "define errors: message, column, nothing left", test_define_errors);
    CU_add_test(s, "an operand that changed shape is reported", test_operand_changed);
    CU_add_test(s, "info string parsing and round trip", test_info_string);
    CU_add_test(s, "stacked over HDF5's pass-through connector", test_stacked_over_pass_through);
}

/* The suites (tests/vol/CMakeLists.txt registers a ctest entry for each
 * CUNIT_SUITE line). */
static const cunit_suite suites[] = {
    CUNIT_SUITE("connector", register_connector_suite),
    CUNIT_SUITE("cache", register_cache_suite),
    CUNIT_SUITE("selection", register_selection_suite),
    CUNIT_SUITE("files", register_files_suite),
    CUNIT_SUITE("multi", register_multi_suite),
    CUNIT_SUITE("faults", register_faults_suite),
};

int
main(int argc, char **argv)
{
    /* The connector for every suite (a failure fails every suite's setup). */
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
    vol_id = H5VLregister_connector_by_name(H5LAZY_VOL_NAME, H5P_DEFAULT);
    lazy_fapl = H5Pcreate(H5P_FILE_ACCESS);
    if (vol_id >= 0)
        H5Pset_vol(lazy_fapl, vol_id, NULL);
    int status = cunit_run(argc, argv, suites, sizeof suites / sizeof suites[0]);
    H5Pclose(lazy_fapl);
    if (vol_id >= 0)
        H5VLclose(vol_id);
    return status;
}
