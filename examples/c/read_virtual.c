/* read_virtual.c — read a dataset with plain HDF5 calls, nothing
 * h5lazy-specific: whether it is stored or a virtual dataset computed by
 * h5lazy is decided by the environment,
 *
 *   HDF5_PLUGIN_PATH=<dir of libh5lazy_vol.so>
 *   HDF5_VOL_CONNECTOR='h5lazy under_vol=0;under_info={}'
 *
 * Without them a virtual dataset cannot be read ("unable to open external
 * raw data file"), and this program says so and exits with status 1.
 *
 * usage: read_virtual FILE DATASET [FIRST COUNT]
 *
 * Prints the dataset's shape, then its values converted to double, one row
 * of the last axis per line. FIRST COUNT select COUNT entries of the first
 * axis from FIRST (a hyperslab: only that part is computed).
 *
 * Build: cc read_virtual.c -I<hdf5>/include -L<hdf5>/lib -lhdf5 -o read_virtual
 * (or h5cc read_virtual.c -o read_virtual)
 */
#include <hdf5.h>
#include <stdio.h>
#include <stdlib.h>

int
main(int argc, char **argv)
{
    if (argc != 3 && argc != 5) {
        fprintf(stderr, "usage: %s FILE DATASET [FIRST COUNT]\n", argv[0]);
        return 2;
    }
    int status = 1;
    hid_t file = H5Fopen(argv[1], H5F_ACC_RDONLY, H5P_DEFAULT);
    hid_t dset = file < 0 ? H5I_INVALID_HID : H5Dopen2(file, argv[2], H5P_DEFAULT);
    hid_t fspace = dset < 0 ? H5I_INVALID_HID : H5Dget_space(dset);
    hid_t mspace = H5I_INVALID_HID;
    double *values = NULL;
    if (fspace < 0)
        goto done;

    int rank = H5Sget_simple_extent_ndims(fspace);
    hsize_t dims[H5S_MAX_RANK], start[H5S_MAX_RANK] = {0}, count[H5S_MAX_RANK];
    H5Sget_simple_extent_dims(fspace, dims, NULL);
    for (int k = 0; k < rank; k++)
        count[k] = dims[k];
    if (argc == 5) {
        if (rank < 1) {
            fprintf(stderr, "%s: a scalar has no first axis\n", argv[0]);
            goto done;
        }
        start[0] = strtoull(argv[3], NULL, 10);
        count[0] = strtoull(argv[4], NULL, 10);
        if (H5Sselect_hyperslab(fspace, H5S_SELECT_SET, start, NULL, count, NULL) < 0)
            goto done;
    }

    hsize_t n = 1;
    for (int k = 0; k < rank; k++)
        n *= count[k];
    mspace = rank ? H5Screate_simple(rank, count, NULL) : H5Screate(H5S_SCALAR);
    values = malloc((n ? n : 1) * sizeof *values);
    if (!values || mspace < 0)
        goto done;
    /* The one call that matters: HDF5 converts whatever the dataset's type
     * is to double; h5lazy computes the selected part on the way. */
    if (H5Dread(dset, H5T_NATIVE_DOUBLE, mspace, fspace, H5P_DEFAULT, values) < 0)
        goto done;

    printf("%s %s: shape (", argv[1], argv[2]);
    for (int k = 0; k < rank; k++)
        printf("%s%llu", k ? ", " : "", (unsigned long long)dims[k]);
    printf("%s), read (", rank == 1 ? "," : "");
    for (int k = 0; k < rank; k++)
        printf("%s%llu", k ? ", " : "", (unsigned long long)count[k]);
    printf("%s) from (", rank == 1 ? "," : "");
    for (int k = 0; k < rank; k++)
        printf("%s%llu", k ? ", " : "", (unsigned long long)start[k]);
    printf("%s)\n", rank == 1 ? "," : "");
    hsize_t row = rank ? count[rank - 1] : 1;
    for (hsize_t i = 0; i < n; i++)
        printf("%.17g%s", values[i], (i + 1) % (row ? row : 1) == 0 ? "\n" : " ");
    status = 0;

done:
    if (status != 0)
        fprintf(stderr, "%s: cannot read %s from %s (see HDF5's messages above)\n", argv[0], argv[2], argv[1]);
    free(values);
    if (mspace >= 0)
        H5Sclose(mspace);
    if (fspace >= 0)
        H5Sclose(fspace);
    if (dset >= 0)
        H5Dclose(dset);
    if (file >= 0)
        H5Fclose(file);
    return status;
}
