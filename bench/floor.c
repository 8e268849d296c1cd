/* floor.c — the benchmark's floor: read the sources as fast as plain HDF5
 * can, with no arithmetic, to compare every method against.
 *
 *   floor [--region T0:T1,Y0:Y1] [--write OUT.h5 [--gzip L] [--shuffle]] FILE:DATASET...
 *
 * Reads each dataset chunk by chunk with H5Dread (in its native type) into
 * one reused chunk-sized buffer per dataset; a contiguous dataset is read in
 * slabs of one step of its leading axis. --region limits the reads to that
 * box of the leading axes (the rest whole), as a program needing only the
 * region would read. --write also writes, after each chunk position, the
 * first dataset's chunk to OUT.h5:/out (chunked as that dataset): the same
 * bytes a program computing one result from all the datasets would write
 * (--gzip L and --shuffle: through HDF5's deflate and shuffle filters, the
 * floor of `h5lazy save --gzip L --shuffle`, issue 12).
 * Meant to run without the h5lazy connector (bench.py unsets
 * HDF5_VOL_CONNECTOR). Prints measure.h's JSON line for the whole run, from
 * opening the first file to closing the last.
 */
#include "measure.h"

#include <hdf5.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_SOURCES 8

typedef struct {
    hid_t file, dset, space, type;
    void *buf;
} source;

static void
die(const char *what)
{
    fprintf(stderr, "floor: %s\n", what);
    exit(1);
}

/* Parse "T0:T1,Y0:Y1" into lo/hi of the leading axes. */
static void
parse_region(const char *text, int rank, hsize_t *lo, hsize_t *hi)
{
    for (int k = 0; k < rank && *text; k++) {
        unsigned long long a, b;
        int used;
        if (sscanf(text, "%llu:%llu%n", &a, &b, &used) != 2 || a >= b || b > hi[k])
            die("bad --region");
        lo[k] = a;
        hi[k] = b;
        text += used + (text[used] == ',');
    }
}

int
main(int argc, char **argv)
{
    const char *region = NULL, *out_path = NULL;
    int first = 1, gzip = -1, shuffle = 0;
    for (; first + 1 < argc && argv[first][0] == '-'; first += 2) {
        if (!strcmp(argv[first], "--shuffle")) {
            shuffle = 1;
            first--; /* no value */
        } else if (!strcmp(argv[first], "--region"))
            region = argv[first + 1];
        else if (!strcmp(argv[first], "--write"))
            out_path = argv[first + 1];
        else if (!strcmp(argv[first], "--gzip"))
            gzip = atoi(argv[first + 1]);
        else
            die("usage: floor [--region T0:T1,Y0:Y1] [--write OUT.h5 [--gzip L] [--shuffle]] FILE:DATASET...");
    }
    int n = argc - first;
    if (n < 1 || n > MAX_SOURCES)
        die("give 1 to 8 FILE:DATASET arguments");

    /* HDF5 starts (and loads the connector HDF5_VOL_CONNECTOR names) before
     * the clock does, as importing h5py does for the Python methods. */
    if (H5open() < 0)
        die("cannot initialise HDF5");
    bench_mark began = bench_now();
    source src[MAX_SOURCES];
    int rank = 0;
    hsize_t dims[H5S_MAX_RANK], chunk[H5S_MAX_RANK], lo[H5S_MAX_RANK], hi[H5S_MAX_RANK];
    for (int i = 0; i < n; i++) {
        char path[4096];
        snprintf(path, sizeof path, "%s", argv[first + i]);
        char *colon = strrchr(path, ':');
        if (!colon)
            die("arguments are FILE:DATASET");
        *colon = '\0';
        source *s = &src[i];
        if ((s->file = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT)) < 0 ||
            (s->dset = H5Dopen2(s->file, colon + 1, H5P_DEFAULT)) < 0)
            die("cannot open a source");
        s->space = H5Dget_space(s->dset);
        hid_t ftype = H5Dget_type(s->dset);
        s->type = H5Tget_native_type(ftype, H5T_DIR_DEFAULT);
        H5Tclose(ftype);
        if (i == 0) { /* the first dataset's shape and chunks rule the walk */
            rank = H5Sget_simple_extent_dims(s->space, dims, NULL);
            hid_t dcpl = H5Dget_create_plist(s->dset);
            if (H5Pget_layout(dcpl) != H5D_CHUNKED || H5Pget_chunk(dcpl, rank, chunk) != rank) {
                chunk[0] = 1; /* contiguous: slabs of one leading step */
                for (int k = 1; k < rank; k++)
                    chunk[k] = dims[k];
            }
            H5Pclose(dcpl);
            for (int k = 0; k < rank; k++) {
                lo[k] = 0;
                hi[k] = dims[k];
            }
            if (region)
                parse_region(region, rank, lo, hi);
        }
        size_t bytes = H5Tget_size(s->type);
        for (int k = 0; k < rank; k++)
            bytes *= chunk[k];
        if (!(s->buf = malloc(bytes)))
            die("out of memory");
    }

    hid_t out_file = -1, out_dset = -1, out_space = -1;
    if (out_path) {
        hid_t dcpl = H5Pcreate(H5P_DATASET_CREATE);
        H5Pset_chunk(dcpl, rank, chunk);
        if (shuffle)
            H5Pset_shuffle(dcpl);
        if (gzip >= 0)
            H5Pset_deflate(dcpl, (unsigned)gzip);
        out_space = H5Screate_simple(rank, dims, NULL);
        if ((out_file = H5Fcreate(out_path, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT)) < 0 ||
            (out_dset = H5Dcreate2(out_file, "out", src[0].type, out_space, H5P_DEFAULT, dcpl,
                                   H5P_DEFAULT)) < 0)
            die("cannot create the output");
        H5Pclose(dcpl);
    }

    /* Walk the chunk grid over [lo, hi) in C order; pos is a chunk's corner. */
    hsize_t pos[H5S_MAX_RANK], start[H5S_MAX_RANK], count[H5S_MAX_RANK];
    for (int k = 0; k < rank; k++)
        pos[k] = lo[k] / chunk[k] * chunk[k];
    for (;;) {
        for (int k = 0; k < rank; k++) {
            start[k] = pos[k] > lo[k] ? pos[k] : lo[k];
            hsize_t end = pos[k] + chunk[k] < hi[k] ? pos[k] + chunk[k] : hi[k];
            count[k] = end - start[k];
        }
        hid_t mspace = H5Screate_simple(rank, count, NULL);
        for (int i = 0; i < n; i++) {
            H5Sselect_hyperslab(src[i].space, H5S_SELECT_SET, start, NULL, count, NULL);
            if (H5Dread(src[i].dset, src[i].type, mspace, src[i].space, H5P_DEFAULT, src[i].buf) < 0)
                die("read failed");
        }
        if (out_path) {
            H5Sselect_hyperslab(out_space, H5S_SELECT_SET, start, NULL, count, NULL);
            if (H5Dwrite(out_dset, src[0].type, mspace, out_space, H5P_DEFAULT, src[0].buf) < 0)
                die("write failed");
        }
        H5Sclose(mspace);
        int k = rank - 1;
        for (; k >= 0; k--) {
            pos[k] += chunk[k];
            if (pos[k] < hi[k])
                break;
            pos[k] = lo[k] / chunk[k] * chunk[k];
        }
        if (k < 0)
            break;
    }

    if (out_path) {
        H5Dclose(out_dset);
        H5Sclose(out_space);
        H5Fclose(out_file);
    }
    for (int i = 0; i < n; i++) {
        free(src[i].buf);
        H5Tclose(src[i].type);
        H5Sclose(src[i].space);
        H5Dclose(src[i].dset);
        H5Fclose(src[i].file);
    }
    bench_report(began, bench_now());
    return 0;
}
