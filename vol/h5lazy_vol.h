/* h5lazy_vol.h — public interface of the h5lazy VOL connector.
 *
 * Applications normally need nothing from here: with HDF5_PLUGIN_PATH and
 * HDF5_VOL_CONNECTOR set, virtual datasets read like stored ones. This header
 * is for programs that manage definitions (the h5lazy command, tests): the
 * connector's name and value, the attribute names of the stored format, and
 * the connector-specific ("optional") operations with their arguments.
 *
 * Calling an operation, e.g. define:
 *   int op;
 *   H5VLfind_opt_operation(H5VL_SUBCLS_FILE, H5LAZY_OP_DEFINE, &op);
 *   h5lazy_define_args_t args = {.name = "anomaly", .expression = "x - 1"};
 *   H5VL_optional_args_t opt = {op, &args};
 *   H5VLfile_optional_op(file_id, &opt, H5P_DEFAULT, H5ES_NONE);
 * on a file opened through the connector.
 */
#ifndef H5LAZY_VOL_H
#define H5LAZY_VOL_H

#include <hdf5.h>

#define H5LAZY_VOL_NAME "h5lazy"
/* In the range HDF5 reserves for connectors under test (256-511); to be
 * registered with The HDF Group before a 1.0 release. */
#define H5LAZY_VOL_VALUE 421
#define H5LAZY_VOL_VERSION 1

/* The stored format (DESIGN §3). A virtual dataset is a native placeholder
 * dataset with the virtual shape and type, whose raw data lives in an
 * external file that cannot exist, and which carries these attributes: */
#define H5LAZY_ATTR_FORMAT "h5lazy_format"         /* int32 scalar: format version */
#define H5LAZY_ATTR_EXPRESSION "h5lazy_expression" /* string: the expression text */
#define H5LAZY_ATTR_CHUNKS "h5lazy_chunks"         /* int64[rank]: evaluation chunk */
#define H5LAZY_ATTR_CREATED_BY "h5lazy_created_by" /* string: "h5lazy 0.1.0" */
/* Format versions: 1, operands read as stored; 2 (issue 15), operands
 * CF-decoded where the expression names them (raw(x) reads them as
 * stored), and a float result whose _FillValue is a number writes its
 * missing values as that number. Format 1 definitions are still read as
 * they were written. */
#define H5LAZY_FORMAT_VERSION 2
/* The external "raw data file" of every placeholder: a path in a directory
 * that does not exist, so reading without the connector fails loudly
 * ("unable to open external raw data file") instead of returning fill
 * values, and writing without it cannot create the file either. */
#define H5LAZY_PLACEHOLDER_FILE                                                                    \
    "h5lazy-virtual-dataset/read-it-with-HDF5_VOL_CONNECTOR=h5lazy/no-stored-data"

/* ---- optional operations (H5VL_SUBCLS_FILE) -------------------------------- */

/* Define (create) a virtual dataset in the file. */
#define H5LAZY_OP_DEFINE "h5lazy.define"

/* Where an expression error is (line/column 1-based; 0 when not about text). */
typedef struct h5lazy_diagnostic_t {
    int line;          /* line in the expression */
    int column;        /* column in the expression */
    char message[400]; /* the cause, also pushed on the HDF5 error stack */
} h5lazy_diagnostic_t;

/* What define --attr sets: an attribute of the new dataset. */
typedef enum h5lazy_attr_kind_t {
    H5LAZY_ATTR_TEXT,  /* a string, written as netCDF writes text */
    H5LAZY_ATTR_INT,   /* an int64 */
    H5LAZY_ATTR_FLOAT, /* a float64 */
} h5lazy_attr_kind_t;

typedef struct h5lazy_attr_t {
    const char *name;  /* IN: the attribute's name */
    int kind;          /* IN: an h5lazy_attr_kind_t */
    const char *text;  /* IN: TEXT: the value (UTF-8) */
    long long integer; /* IN: INT: the value */
    double number;     /* IN: FLOAT: the value */
} h5lazy_attr_t;

/* What define --dim names: the dimension of one axis of the new dataset. */
typedef struct h5lazy_dim_t {
    int axis;          /* IN: the axis (negative: from the end) */
    const char *name;  /* IN: a 1-D dataset of that extent next to the new one (made a
                          dimension scale), or the name of a dimension without
                          coordinates to create there */
} h5lazy_dim_t;

typedef struct h5lazy_define_args_t {
    const char *name;             /* IN: path of the new dataset (groups created as needed) */
    const char *expression;       /* IN: the expression */
    int nchunks;                  /* IN: entries in chunks (must equal the rank), 0 for a default */
    const hsize_t *chunks;        /* IN: evaluation chunk per axis */
    int overwrite;                /* IN: replace an existing virtual dataset of that name */
    h5lazy_diagnostic_t *diag;    /* OUT (optional): the error, on failure */
    char dtype[16];               /* OUT: element type of the result, e.g. "float32" */
    int rank;                     /* OUT: rank of the result */
    hsize_t dims[H5S_MAX_RANK];   /* OUT: shape of the result */
    /* Appended in stored format 2 (issue 15): how the result is presented to
     * netCDF and CF readers. By default a float result gets _FillValue NaN,
     * each axis the dimension scale of the operand axis it comes from (a
     * sliced one a coordinate derived the same way), and a reduction over
     * named dimensions cell_methods. */
    int fill;                     /* IN: write missing values (NaN) as fill_value, which becomes
                                     the _FillValue (a float result only) */
    double fill_value;            /* IN: with fill */
    int nattrs;                   /* IN: entries in attrs */
    const h5lazy_attr_t *attrs;   /* IN: attributes to set (later ones win) */
    const char *attrs_from;       /* IN: an operand (as written: "t", "/obs/t", "f.h5:/t") whose
                                     descriptive attributes are copied, or NULL */
    int ndims;                    /* IN: entries in dim_names */
    const h5lazy_dim_t *dim_names; /* IN: dimensions named for axes */
} h5lazy_define_args_t;

/* Inspect (and read) a virtual dataset of the file, or an expression over
 * the file's datasets that is stored nowhere: the h5lazy command's show,
 * check and eval. A session: OPEN binds and gives a handle, READ evaluates
 * boxes of it (results of reductions inside are kept between READs),
 * DESCRIBE writes what it is, CLOSE releases it. */
#define H5LAZY_OP_INSPECT "h5lazy.inspect"

typedef enum h5lazy_inspect_action_t {
    H5LAZY_INSPECT_OPEN,
    H5LAZY_INSPECT_READ,
    H5LAZY_INSPECT_DESCRIBE,
    H5LAZY_INSPECT_CLOSE,
} h5lazy_inspect_action_t;

typedef struct h5lazy_inspect_args_t {
    int action;                   /* IN: an h5lazy_inspect_action_t */
    void *handle;                 /* OUT of OPEN (NULL for a stored dataset), IN otherwise */
    /* OPEN */
    const char *name;             /* IN: a dataset of the file, or NULL and: */
    const char *expression;       /* IN: an expression, operands from the file's root */
    h5lazy_diagnostic_t *diag;    /* OUT (optional): the error, on failure */
    int is_virtual;               /* OUT: whether `name` is a virtual dataset (also on failure) */
    char dtype[16];               /* OUT: element type, e.g. "float32" */
    int rank;                     /* OUT */
    hsize_t dims[H5S_MAX_RANK];   /* OUT: shape */
    hsize_t chunks[H5S_MAX_RANK]; /* OUT: evaluation chunk */
    /* READ: the box start + i * stride, i < count on each axis (stride NULL
     * for 1), into buf: dense, C order, elements of type dtype (native). */
    const hsize_t *start, *stride, *count;
    void *buf;
    /* DESCRIBE */
    int dot;                      /* IN: 0 the text of h5lazy show, 1 Graphviz DOT instead, 2
                                     the operands, one line each: label, stored type, type
                                     the expression sees, how it is decoded (tab-separated) */
    char *text;                   /* OUT: free with H5free_memory */
} h5lazy_inspect_args_t;

#endif
