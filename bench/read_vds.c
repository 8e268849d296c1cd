/* read_vds.c — the smallest C program reading virtual datasets: open them
 * and H5Dread each whole into a buffer.
 *
 *   read_vds [--dump PATH] FILE DATASET...
 *
 * The file is opened with the default file access, so HDF5_VOL_CONNECTOR in
 * the environment (bench.py sets it) decides that h5lazy serves the reads.
 * Each dataset is read in its native type into a buffer of its whole
 * extent: one H5Dread for one dataset, one H5Dread_multi for several (W2's
 * mean and std). Prints measure.h's JSON line for opening the file, the
 * reads and closing; then --dump writes the buffers one after another to
 * PATH for bench.py to check.
 */
#include "measure.h"

#include <hdf5.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_DATASETS 8

static void
die(const char *what)
{
    fprintf(stderr, "read_vds: %s\n", what);
    exit(1);
}

int
main(int argc, char **argv)
{
    const char *dump = NULL;
    int first = 1;
    if (argc > 2 && !strcmp(argv[1], "--dump")) {
        dump = argv[2];
        first = 3;
    }
    int n = argc - first - 1;
    if (n < 1 || n > MAX_DATASETS)
        die("usage: read_vds [--dump PATH] FILE DATASET... (1 to 8 datasets)");

    hid_t dset[MAX_DATASETS], type[MAX_DATASETS], all[MAX_DATASETS];
    void *buf[MAX_DATASETS];
    size_t bytes[MAX_DATASETS];
    /* HDF5 starts (and loads the connector HDF5_VOL_CONNECTOR names) before
     * the clock does, as importing h5py does for the Python methods. */
    if (H5open() < 0)
        die("cannot initialise HDF5");
    bench_mark start = bench_now();
    hid_t file = H5Fopen(argv[first], H5F_ACC_RDONLY, H5P_DEFAULT);
    if (file < 0)
        die("cannot open the file");
    for (int i = 0; i < n; i++) {
        if ((dset[i] = H5Dopen2(file, argv[first + 1 + i], H5P_DEFAULT)) < 0)
            die("cannot open a dataset");
        hid_t ftype = H5Dget_type(dset[i]), space = H5Dget_space(dset[i]);
        type[i] = H5Tget_native_type(ftype, H5T_DIR_DEFAULT);
        bytes[i] = H5Tget_size(type[i]) * (size_t)H5Sget_simple_extent_npoints(space);
        all[i] = H5S_ALL;
        H5Tclose(ftype);
        H5Sclose(space);
        if (!(buf[i] = malloc(bytes[i] ? bytes[i] : 1)))
            die("out of memory");
    }
    herr_t status = n == 1 ? H5Dread(dset[0], type[0], H5S_ALL, H5S_ALL, H5P_DEFAULT, buf[0])
                           : H5Dread_multi((size_t)n, dset, type, all, all, H5P_DEFAULT, buf);
    if (status < 0)
        die("read failed");
    for (int i = 0; i < n; i++) {
        H5Tclose(type[i]);
        H5Dclose(dset[i]);
    }
    H5Fclose(file);
    bench_report(start, bench_now());

    FILE *out = dump ? fopen(dump, "wb") : NULL;
    if (dump && !out)
        die("cannot write the dump");
    for (int i = 0; i < n; i++) {
        if (out && fwrite(buf[i], 1, bytes[i], out) != bytes[i])
            die("cannot write the dump");
        free(buf[i]);
    }
    if (out && fclose(out) != 0)
        die("cannot write the dump");
    return 0;
}
