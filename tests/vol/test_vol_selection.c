/* test_vol_selection.c — the special dataspace IDs: a file selection
 * carried by the transfer list (H5S_PLIST, set with
 * H5Pset_dataset_io_hyperslab_selection) and a memory buffer described
 * as a block (H5S_BLOCK), on a virtual dataset and, for the expected
 * behaviour, on a stored one. No public call returns a transfer list's
 * selection, so H5S_PLIST reads of virtual datasets are refused on every
 * HDF5 line (issue 14: no library-internal functions). */
#include "vol_test.h"

#include <stdio.h>
#include <string.h>

#define N 6
#define M 8

static const char *sel_file = "vol_selection.h5";

static int
sel_init(void)
{
    int data[N][M];
    for (int i = 0; i < N; i++)
        for (int j = 0; j < M; j++)
            data[i][j] = i * 100 + j;
    hid_t f = H5Fcreate(sel_file, H5F_ACC_TRUNC, H5P_DEFAULT, lazy_fapl);
    hsize_t dims[2] = {N, M};
    hid_t space = H5Screate_simple(2, dims, NULL);
    hid_t s = H5Dcreate2(f, "stored", H5T_STD_I32LE, space, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    herr_t st = H5Dwrite(s, H5T_NATIVE_INT, H5S_ALL, H5S_ALL, H5P_DEFAULT, data);
    H5Dclose(s);
    H5Sclose(space);
    st |= define(f, "virtual", "stored + 0", NULL); /* the same values, computed */
    return H5Fclose(f) < 0 || st < 0 ? -1 : 0;
}

static int
sel_clean(void)
{
    remove(sel_file);
    return 0;
}

/* Read `name` with the transfer list's selection: rows 1..4 step 2, two
 * blocks of 3 columns from column 1 step 4; then OR one more block. `e`
 * receives h5lazy's error frames of the read (closing clears the stack). */
static herr_t
read_plist(hid_t f, const char *name, int *out, hssize_t *n, found *e)
{
    hid_t d = H5Dopen2(f, name, H5P_DEFAULT), dxpl = H5Pcreate(H5P_DATASET_XFER);
    hsize_t start[2] = {1, 1}, stride[2] = {2, 4}, count[2] = {2, 2}, block[2] = {1, 3};
    hsize_t start2[2] = {5, 0}, one[2] = {1, 1};
    H5Pset_dataset_io_hyperslab_selection(dxpl, 2, H5S_SELECT_SET, start, stride, count, block);
    H5Pset_dataset_io_hyperslab_selection(dxpl, 2, H5S_SELECT_OR, start2, one, one, one);
    *n = 2 * 2 * 3 + 1;
    herr_t st = H5Dread(d, H5T_NATIVE_INT, H5S_BLOCK, H5S_PLIST, dxpl, out);
    *e = h5lazy_error();
    H5Pclose(dxpl);
    H5Dclose(d);
    return st;
}

/* Stored data reads the transfer list's selection (the native connector
 * does it); the virtual dataset over the same values refuses it, with one
 * frame of h5lazy's saying why and what to do, and leaves the buffer alone. */
static void
test_plist_refused(void)
{
    hid_t f = H5Fopen(sel_file, H5F_ACC_RDONLY, lazy_fapl);
    int want[64], got[64];
    hssize_t n = 0;
    found e;
    memset(want, 0xff, sizeof want);
    memset(got, 0x5a, sizeof got);
    CU_ASSERT_FATAL(read_plist(f, "stored", want, &n, &e) >= 0);
    CU_ASSERT_EQUAL(want[0], 101); /* row-major over the file positions */
    CU_ASSERT_EQUAL(want[n - 1], 500);
    CU_ASSERT(read_plist(f, "virtual", got, &n, &e) < 0);
    CU_ASSERT_EQUAL(e.frames, 1);
    CU_ASSERT_PTR_NOT_NULL(strstr(e.desc, "reading '/virtual' with H5S_PLIST: HDF5 has no public call"));
    CU_ASSERT_PTR_NOT_NULL(strstr(e.desc, "pass a file dataspace holding that selection instead"));
    CU_ASSERT_EQUAL(got[0], 0x5a5a5a5a);
    /* The same refusal when the list holds no selection at all. */
    hid_t d = H5Dopen2(f, "virtual", H5P_DEFAULT);
    CU_ASSERT(H5Dread(d, H5T_NATIVE_INT, H5S_BLOCK, H5S_PLIST, H5P_DEFAULT, got) < 0);
    CU_ASSERT_PTR_NOT_NULL(strstr(h5lazy_error().desc, "HDF5 has no public call"));
    H5Dclose(d);
    H5Fclose(f);
}

/* H5S_BLOCK memory with an ordinary file selection works; as the file
 * selection it is refused, as natively. */
static void
test_block_spaces(void)
{
    hid_t f = H5Fopen(sel_file, H5F_ACC_RDONLY, lazy_fapl);
    hid_t d = H5Dopen2(f, "virtual", H5P_DEFAULT);
    hid_t fs = H5Dget_space(d);
    hsize_t start[2] = {2, 3}, count[2] = {2, 2};
    H5Sselect_hyperslab(fs, H5S_SELECT_SET, start, NULL, count, NULL);
    int out[4];
    CU_ASSERT(H5Dread(d, H5T_NATIVE_INT, H5S_BLOCK, fs, H5P_DEFAULT, out) >= 0);
    CU_ASSERT(out[0] == 203 && out[1] == 204 && out[2] == 303 && out[3] == 304);
    int all[N * M];
    CU_ASSERT(H5Dread(d, H5T_NATIVE_INT, H5S_BLOCK, H5S_BLOCK, H5P_DEFAULT, all) < 0);
    CU_ASSERT_PTR_NOT_NULL(strstr(h5lazy_error().desc, "H5S_BLOCK is not allowed for the file"));
    CU_ASSERT(H5Dread(d, H5T_NATIVE_INT, H5S_PLIST, fs, H5P_DEFAULT, all) < 0);
    CU_ASSERT_PTR_NOT_NULL(strstr(h5lazy_error().desc, "H5S_PLIST is not allowed for the memory"));
    H5Sclose(fs);
    H5Dclose(d);
    H5Fclose(f);
}

void
register_selection_suite(void)
{
    CU_pSuite s = CU_add_suite("special dataspaces", sel_init, sel_clean);
    CU_add_test(s, "H5S_PLIST: refused on virtual datasets, read on stored ones", test_plist_refused);
    CU_add_test(s, "H5S_BLOCK for memory only", test_block_spaces);
}
