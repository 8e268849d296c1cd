/* test_vol_multi.c — H5Dread_multi over several virtual datasets: those
 * with the same shape and selection are evaluated together (one graph,
 * shared operands and subexpressions), the others one by one; every one
 * gets its own values in its own memory type, and an error in one names
 * it. Expected values are computed here. */
#include "vol_test.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#define T 10
#define Y 6
#define X 5

static const char *multi_file = "vol_multi.h5";
static float x_data[T][Y][X];

/* mean and (population) std over axis 0 of concat([x, 2 * x]). */
static void
expected(int y, int x, double *mean, double *std)
{
    double sum = 0, sq = 0;
    for (int t = 0; t < T; t++) {
        double v = x_data[t][y][x];
        sum += v + 2 * v;
    }
    *mean = sum / (2 * T);
    for (int t = 0; t < T; t++) {
        double v = x_data[t][y][x];
        sq += (v - *mean) * (v - *mean) + (2 * v - *mean) * (2 * v - *mean);
    }
    *std = sqrt(sq / (2 * T));
}

static int
multi_init(void)
{
    for (int t = 0; t < T; t++)
        for (int y = 0; y < Y; y++)
            for (int x = 0; x < X; x++)
                x_data[t][y][x] = (float)((t * 7 + y * 3 + x) % 11) - 4.5f;
    hid_t f = H5Fcreate(multi_file, H5F_ACC_TRUNC, H5P_DEFAULT, lazy_fapl);
    hsize_t dims[3] = {T, Y, X}, chunk[3] = {1, Y, X};
    hid_t space = H5Screate_simple(3, dims, NULL), dcpl = H5Pcreate(H5P_DATASET_CREATE);
    H5Pset_chunk(dcpl, 3, chunk);
    hid_t xd = H5Dcreate2(f, "x", H5T_IEEE_F32LE, space, H5P_DEFAULT, dcpl, H5P_DEFAULT);
    herr_t st = H5Dwrite(xd, H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, x_data);
    H5Dclose(xd);
    H5Pclose(dcpl);
    H5Sclose(space);
    st |= define(f, "m", "mean(concat([x, x * 2], axis=0), axis=0)", NULL);
    st |= define(f, "s", "std(concat([x, x * 2], axis=0), axis=0)", NULL);
    st |= define(f, "first", "x[0] * 1", NULL);                  /* same shape (Y, X), no shared reduction */
    st |= define(f, "bad", "astype(x[0], 'int32') ** -1", NULL); /* fails when read */
    return H5Fclose(f) < 0 || st < 0 ? -1 : 0;
}

static int
multi_clean(void)
{
    remove(multi_file);
    return 0;
}

/* m and s together (float64 and float32 memory), first in another memory
 * type, and the stored x in the same call; then m with a hyperslab and s
 * whole, which cannot go together. */
static void
test_read_multi_together(void)
{
    hid_t f = H5Fopen(multi_file, H5F_ACC_RDONLY, lazy_fapl);
    hid_t d[4] = {H5Dopen2(f, "m", H5P_DEFAULT), H5Dopen2(f, "x", H5P_DEFAULT), H5Dopen2(f, "s", H5P_DEFAULT),
                  H5Dopen2(f, "first", H5P_DEFAULT)};
    static double m[Y][X], first[Y][X];
    static float s[Y][X], x[T][Y][X];
    hid_t types[4] = {H5T_NATIVE_DOUBLE, H5T_NATIVE_FLOAT, H5T_NATIVE_FLOAT, H5T_NATIVE_DOUBLE};
    hid_t all[4] = {H5S_ALL, H5S_ALL, H5S_ALL, H5S_ALL};
    void *bufs[4] = {m, x, s, first};
    CU_ASSERT_FATAL(H5Dread_multi(4, d, types, all, all, H5P_DEFAULT, bufs) >= 0);
    int bad = memcmp(x, x_data, sizeof x) != 0;
    for (int y = 0; y < Y; y++)
        for (int i = 0; i < X; i++) {
            double wm, ws;
            expected(y, i, &wm, &ws);
            /* float32 results (of float32 data), computed in double. */
            bad += m[y][i] != (double)(float)wm || s[y][i] != (float)ws || first[y][i] != x_data[0][y][i];
        }
    CU_ASSERT_EQUAL(bad, 0);

    /* m: rows 1..3 into a contiguous run; s: whole. */
    hid_t fs = H5Dget_space(d[0]);
    hsize_t start[2] = {1, 0}, count[2] = {3, X}, n = 3 * X;
    H5Sselect_hyperslab(fs, H5S_SELECT_SET, start, NULL, count, NULL);
    hid_t ms = H5Screate_simple(1, &n, NULL);
    hid_t two[2] = {d[0], d[2]}, types2[2] = {H5T_NATIVE_DOUBLE, H5T_NATIVE_FLOAT};
    hid_t mspaces[2] = {ms, H5S_ALL}, fspaces[2] = {fs, H5S_ALL};
    static double part[3 * X];
    memset(s, 0, sizeof s);
    void *bufs2[2] = {part, s};
    CU_ASSERT(H5Dread_multi(2, two, types2, mspaces, fspaces, H5P_DEFAULT, bufs2) >= 0);
    bad = 0;
    for (int y = 1; y < 4; y++)
        for (int i = 0; i < X; i++) {
            double wm, ws;
            expected(y, i, &wm, &ws);
            bad += part[(y - 1) * X + i] != (double)(float)wm || s[y][i] != (float)ws;
        }
    CU_ASSERT_EQUAL(bad, 0);

    /* m and s in their own type, no conversion: evaluated once straight
     * into the buffers, m's at an offset of a larger one. */
    enum { SKIP = 7 };
    static float mplus[SKIP + Y * X];
    hsize_t nplus = SKIP + Y * X, skip = SKIP, nyx = Y * X;
    hid_t msplus = H5Screate_simple(1, &nplus, NULL);
    H5Sselect_hyperslab(msplus, H5S_SELECT_SET, &skip, NULL, &nyx, NULL);
    hid_t native[2] = {H5T_NATIVE_FLOAT, H5T_NATIVE_FLOAT}, mspaces3[2] = {msplus, H5S_ALL};
    hid_t fspaces3[2] = {H5S_ALL, H5S_ALL};
    for (int i = 0; i < SKIP + Y * X; i++)
        mplus[i] = -1.0f;
    memset(s, 0, sizeof s);
    void *bufs3[2] = {mplus, s};
    CU_ASSERT(H5Dread_multi(2, two, native, mspaces3, fspaces3, H5P_DEFAULT, bufs3) >= 0);
    bad = 0;
    for (int i = 0; i < SKIP; i++)
        bad += mplus[i] != -1.0f; /* before the selection: untouched */
    for (int y = 0; y < Y; y++)
        for (int i = 0; i < X; i++) {
            double wm, ws;
            expected(y, i, &wm, &ws);
            bad += mplus[SKIP + y * X + i] != (float)wm || s[y][i] != (float)ws;
        }
    CU_ASSERT_EQUAL(bad, 0);
    H5Sclose(msplus);
    H5Sclose(ms);
    H5Sclose(fs);
    for (int i = 0; i < 4; i++)
        H5Dclose(d[i]);
    H5Fclose(f);
}

/* A dataset that fails among others read together: the call fails and the
 * error names it, whether the others convert (first as float64: pieces in
 * lockstep) or not (first as float32: straight into the buffers). */
static void
test_read_multi_error(void)
{
    hid_t f = H5Fopen(multi_file, H5F_ACC_RDONLY, lazy_fapl);
    hid_t d[2] = {H5Dopen2(f, "first", H5P_DEFAULT), H5Dopen2(f, "bad", H5P_DEFAULT)};
    static double first[Y][X];
    static int32_t bad[Y][X];
    hid_t all[2] = {H5S_ALL, H5S_ALL};
    void *bufs[2] = {first, bad};
    for (int k = 0; k < 2; k++) {
        hid_t types[2] = {k ? H5T_NATIVE_FLOAT : H5T_NATIVE_DOUBLE, H5T_NATIVE_INT32};
        CU_ASSERT(H5Dread_multi(2, d, types, all, all, H5P_DEFAULT, bufs) < 0);
        found e = h5lazy_error();
        if (!strstr(e.desc, "negative integer powers"))
            fprintf(stderr, "\n  got: %s\n", e.desc);
        CU_ASSERT_PTR_NOT_NULL(strstr(e.desc, "negative integer powers"));
        CU_ASSERT_PTR_NOT_NULL(strstr(e.desc, "'/bad'"));
    }
    for (int i = 0; i < 2; i++)
        H5Dclose(d[i]);
    H5Fclose(f);
}

void
register_multi_suite(void)
{
    CU_pSuite s = CU_add_suite("H5Dread_multi of virtual datasets", multi_init, multi_clean);
    CU_add_test(s, "evaluated together where they can be", test_read_multi_together);
    CU_add_test(s, "an error names its dataset", test_read_multi_error);
}
