/* lzv_format.h — the stored format of a definition (DESIGN §3, version 1)
 * and the mapping between HDF5 datatypes and engine types.
 *
 * All access goes through the under connector (H5VL* calls on under
 * objects), so the same code serves the connector's reads and its define
 * operation. */
#ifndef LZV_FORMAT_H
#define LZV_FORMAT_H

#include "lzv.h"

/* The engine type of an HDF5 datatype: integers and IEEE floats of the
 * supported sizes (any byte order), and h5py's bool (an enum of a 1-byte
 * integer with exactly FALSE=0 and TRUE=1). Returns -1 without pushing an
 * error when the type has no engine counterpart; *why says what it is. */
int lzv_dtype_of_type(hid_t type_id, lz_dtype *out, const char **why);
/* The little-endian file type stored for an engine type (new id). */
hid_t lzv_file_type_of_dtype(lz_dtype t);
/* The native memory type matching engine buffers of that type (new id). */
hid_t lzv_native_type_of_dtype(lz_dtype t);

/* The default evaluation chunk of a result: whole inner axes and as many
 * outer indices as fit in about 1 MiB, so that a chunk is one contiguous
 * C-order block; every extent at least 1. */
void lzv_default_chunks(int rank, const hsize_t *dims, lz_dtype dtype, hsize_t *chunks);

/* Whether HDF5 accepts `chunks` as the chunk shape of a dataset of extent
 * `dims` whose elements are elem_size bytes: every extent from 1 to 2^32-1
 * and at most its axis' extent (1 for an empty axis), and a chunk under
 * 4 GiB. If not, returns false with why saying which rule fails. */
bool lzv_chunks_valid(int rank, const hsize_t *dims, size_t elem_size, const hsize_t *chunks, char *why,
                      size_t size);

/* A definition as read from a placeholder. */
typedef struct lzv_definition {
    int format;                    /* h5lazy_format */
    char *expression;              /* malloc'd text */
    int nchunks;                   /* entries in chunks, 0 if no h5lazy_chunks */
    hsize_t chunks[H5S_MAX_RANK];  /* h5lazy_chunks */
} lzv_definition;

/* Whether the under dataset is a placeholder: it carries a definition
 * (h5lazy_expression) and its raw data is declared to live in
 * H5LAZY_PLACEHOLDER_FILE. */
htri_t lzv_definition_exists(void *under_dset, hid_t under_vol_id, hid_t dxpl_id);
/* Read the definition attributes. A missing or unreadable h5lazy_format or
 * h5lazy_expression (absent, of the wrong class, an array, or failing in
 * the under connector) returns -1 with why naming the attribute and the
 * reason, and leaves the error stack as it was; an unusable h5lazy_chunks
 * is ignored (nchunks 0). */
herr_t lzv_definition_read(void *under_dset, hid_t under_vol_id, hid_t dxpl_id, lzv_definition *def, char *why,
                           size_t size);
void lzv_definition_destroy(lzv_definition *def);
/* Write the definition attributes onto a new placeholder. */
herr_t lzv_definition_write(void *under_dset, hid_t under_vol_id, hid_t dxpl_id, const char *expression,
                            int rank, const hsize_t *chunks);

#endif
