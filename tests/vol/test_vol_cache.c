/* test_vol_cache.c — kept reduction results never outlive the data they
 * were computed from: a write to an operand, an extent change or a refresh
 * through the connector makes the next read compute afresh. */
#include "vol_test.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#define T 12
#define Y 10

static const char *cache_file = "vol_cache.h5";
static double x_data[T][Y];

static double
anomaly(int t, int y)
{
    double sum = 0;
    for (int i = 0; i < T; i++)
        sum += x_data[i][y];
    return x_data[t][y] - sum / T;
}

static int
cache_init(void)
{
    for (int t = 0; t < T; t++)
        for (int y = 0; y < Y; y++)
            x_data[t][y] = t * 1.5 + y * 0.25;
    hid_t f = H5Fcreate(cache_file, H5F_ACC_TRUNC, H5P_DEFAULT, lazy_fapl);
    hsize_t dims[2] = {T, Y}, maxdims[2] = {H5S_UNLIMITED, Y}, chunk[2] = {1, Y};
    hid_t space = H5Screate_simple(2, dims, maxdims), dcpl = H5Pcreate(H5P_DATASET_CREATE);
    H5Pset_chunk(dcpl, 2, chunk);
    hid_t x = H5Dcreate2(f, "x", H5T_IEEE_F64LE, space, H5P_DEFAULT, dcpl, H5P_DEFAULT);
    herr_t st = H5Dwrite(x, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, x_data);
    H5Dclose(x);
    H5Pclose(dcpl);
    H5Sclose(space);
    st |= define(f, "v", "x[:12] - mean(x[:12], axis=0)", NULL);
    return H5Fclose(f) < 0 || st < 0 ? -1 : 0;
}

static int
cache_clean(void)
{
    remove(cache_file);
    return 0;
}

/* Read v row by row (each row needs the whole mean) and compare. */
static int
rows_wrong(hid_t v)
{
    int bad = 0;
    hid_t fs = H5Dget_space(v);
    hsize_t count[2] = {1, Y}, one_row = Y;
    hid_t ms = H5Screate_simple(1, &one_row, NULL);
    for (int t = 0; t < T; t++) {
        hsize_t start[2] = {(hsize_t)t, 0};
        double row[Y];
        H5Sselect_hyperslab(fs, H5S_SELECT_SET, start, NULL, count, NULL);
        if (H5Dread(v, H5T_NATIVE_DOUBLE, ms, fs, H5P_DEFAULT, row) < 0)
            return T * Y;
        for (int y = 0; y < Y; y++)
            bad += fabs(row[y] - anomaly(t, y)) > 1e-12;
    }
    H5Sclose(ms);
    H5Sclose(fs);
    return bad;
}

static void
write_row(hid_t x, int t, double delta)
{
    for (int y = 0; y < Y; y++)
        x_data[t][y] += delta;
    hid_t fs = H5Dget_space(x);
    hsize_t start[2] = {(hsize_t)t, 0}, count[2] = {1, Y}, n = Y;
    H5Sselect_hyperslab(fs, H5S_SELECT_SET, start, NULL, count, NULL);
    hid_t ms = H5Screate_simple(1, &n, NULL);
    CU_ASSERT(H5Dwrite(x, H5T_NATIVE_DOUBLE, ms, fs, H5P_DEFAULT, x_data[t]) >= 0);
    H5Sclose(ms);
    H5Sclose(fs);
}

static void
test_write_invalidates(void)
{
    hid_t f = H5Fopen(cache_file, H5F_ACC_RDWR, lazy_fapl);
    hid_t v = H5Dopen2(f, "v", H5P_DEFAULT), x = H5Dopen2(f, "x", H5P_DEFAULT);
    CU_ASSERT_FATAL(v >= 0 && x >= 0);
    CU_ASSERT_EQUAL(rows_wrong(v), 0);
    write_row(x, 3, 100.0); /* the mean changes for every row */
    CU_ASSERT_EQUAL(rows_wrong(v), 0);
    /* Through another handle of the same file. */
    hid_t f2 = H5Fopen(cache_file, H5F_ACC_RDWR, lazy_fapl);
    hid_t x2 = H5Dopen2(f2, "x", H5P_DEFAULT);
    write_row(x2, 7, -40.0);
    H5Dclose(x2);
    H5Fclose(f2);
    CU_ASSERT_EQUAL(rows_wrong(v), 0);
    /* An extent change, then new data in the grown part and back. */
    hsize_t grown[2] = {T + 2, Y}, same[2] = {T, Y};
    CU_ASSERT(H5Dset_extent(x, grown) >= 0);
    CU_ASSERT(H5Dset_extent(x, same) >= 0);
    CU_ASSERT_EQUAL(rows_wrong(v), 0);
    H5Dclose(x);
    H5Dclose(v);
    H5Fclose(f);
}

/* With cache=0 nothing is kept and the numbers are the same. */
static void
test_cache_off(void)
{
    void *info = NULL;
    CU_ASSERT_FATAL(H5VLconnector_str_to_info("cache=0", vol_id, &info) >= 0);
    hid_t fapl = H5Pcreate(H5P_FILE_ACCESS);
    H5Pset_vol(fapl, vol_id, info);
    H5VLfree_connector_info(vol_id, info);
    hid_t f = H5Fopen(cache_file, H5F_ACC_RDWR, fapl);
    hid_t v = H5Dopen2(f, "v", H5P_DEFAULT), x = H5Dopen2(f, "x", H5P_DEFAULT);
    CU_ASSERT_EQUAL(rows_wrong(v), 0);
    write_row(x, 0, 3.0);
    CU_ASSERT_EQUAL(rows_wrong(v), 0);
    H5Dclose(x);
    H5Dclose(v);
    H5Fclose(f);
    H5Pclose(fapl);
}

void
register_cache_suite(void)
{
    CU_pSuite s = CU_add_suite("kept reduction results", cache_init, cache_clean);
    CU_add_test(s, "writes, extent changes: the next read is fresh", test_write_invalidates);
    CU_add_test(s, "cache=0 keeps nothing, same numbers", test_cache_off);
}
