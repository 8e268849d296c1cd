/* lzv_operand.h — operands of an expression, opened through the under
 * connector and presented to the engine as lz_source.
 *
 * Name resolution (DESIGN §3): a relative dataset path is relative to the
 * group holding the virtual dataset, an absolute one to the root of its
 * file; ds("file", "path") names a dataset in another file, whose name is
 * relative to the directory of the file holding the virtual dataset. Other
 * files are opened read-only with the holding file's access properties
 * (so the close degree h5py sets matches) and the under connector, never
 * the default connector, which would recurse into h5lazy. They are opened
 * with the public H5Fopen: the native connector takes the file's top-level
 * connector from the API context, which H5VLfile_open does not set.
 */
#ifndef LZV_OPERAND_H
#define LZV_OPERAND_H

#include "lzv.h"
#include "lzv_chunk.h"

/* Where a virtual dataset lives: enough to resolve its operands. Operands
 * in the same file are opened by absolute path from `under_loc` (any object
 * of the file will do; asking the under connector for "the file" is not an
 * option, as pass-through connectors hand back the terminal connector's
 * file object). */
/* The virtual datasets being bound, innermost first: binding an operand
 * that is itself virtual checks it is not already on the chain (a cycle). */
typedef struct lzv_chain {
    unsigned long fileno;        /* HDF5's number of the file */
    const char *path;            /* absolute path of the dataset */
    const struct lzv_chain *up;  /* the dataset that uses this one, or NULL */
    int depth;                   /* 1 for the outermost */
    unsigned *nested_uses;       /* virtual operands bound so far under the
                                    outermost (its counter, shared) */
} lzv_chain;

/* How deep virtual datasets may nest (a guard against cycles through
 * aliases the path check cannot see, and against hostile files). */
#define LZV_MAX_NESTING 32
/* How many uses of virtual datasets one binding may hold in all. Every use
 * is bound and evaluated on its own, so a diamond (v1 = v2 + v2,
 * v2 = v3 + v3, ...) doubles the work at each level; this bounds the total
 * where LZV_MAX_NESTING bounds only the depth. */
#define LZV_MAX_NESTED_USES 1024

typedef struct lzv_place {
    void *under_loc;      /* an object of the holding file, under connector's (borrowed) */
    H5I_type_t loc_type;  /* its type: H5I_DATASET or H5I_FILE */
    hid_t under_vol_id;   /* the under connector (borrowed) */
    char *group;          /* absolute path of the holding group, "/" at the root */
    char *file_name;      /* the holding file's name as opened */
    hid_t fapl_id;        /* access properties for operand files (borrowed) */
    lzv_access *access;   /* for operands that are virtual datasets themselves (borrowed) */
    const lzv_chain *chain; /* the virtual dataset being bound and those using it */
    bool cf_decode;       /* whether operands are CF-decoded (lzv_cf.h): true, except for
                             definitions of stored format 1, which predate decoding */
} lzv_place;

/* One opened operand. */
typedef struct lzv_operand {
    lz_source source;     /* what the engine reads; source.impl points back here */
    void *under_dset;     /* the opened dataset */
    hid_t file_id;        /* another file opened for it (public API), or H5I_INVALID_HID */
    lzv_obj *nested;      /* when the operand is a virtual dataset: it, bound (owns under_dset) */
    hid_t under_vol_id;   /* borrowed from the place */
    hid_t mem_type;       /* native memory type of reads (owned) */
    char *label;          /* "path" or "file:path", for messages */
    unsigned long fileno; /* identity of the dataset, so that virtual datasets */
    H5O_token_t token;    /*   read together share an operand (lzv_read.c) */
    struct lzv_cf *cf;    /* its CF decoding and what show says of it (owned; NULL until
                             opened); source.decode points into it when it applies */
    lzv_chunk_src chunks; /* how its chunks are decoded here (chunks.enabled false: by HDF5) */
} lzv_operand;

/* The state of one read, which the engine hands to every operand read of
 * an evaluation (lz_graph_eval's read_arg): the application's transfer
 * list, and the under connector's account of the first operand read that
 * failed, for the error the application sees. */
typedef struct lzv_xfer {
    hid_t dxpl_id; /* the read's transfer list */
    hid_t cause;   /* saved error stack of the first failed operand read, or H5I_INVALID_HID */
} lzv_xfer;

void lzv_xfer_init(lzv_xfer *x, hid_t dxpl_id);
/* The saved cause, now the caller's to merge (lzv_stack_add_cause) or
 * close; H5I_INVALID_HID when no operand read failed. */
hid_t lzv_xfer_take_cause(lzv_xfer *x);
/* Forget the cause, if any (at the end of a read, or before trying again);
 * the current error stack is left as it was. */
void lzv_xfer_drop_cause(lzv_xfer *x);

/* The path of an under object in its file (of_file false) or its file's
 * name (of_file true), as a new string; NULL on failure, with an error
 * pushed. An object without a path (anonymous, or unlinked since it was
 * opened) has the name "". */
char *lzv_name_of(void *under_obj, H5I_type_t type, hid_t under_vol_id, bool of_file, hid_t dxpl_id);

/* The place of an open virtual dataset (access: its file's). */
herr_t lzv_place_of_dataset(void *under_dset, hid_t under_vol_id, lzv_access *access, hid_t dxpl_id,
                            lzv_place *place);
/* The place of a new dataset `name` (absolute or relative to the root) in a file. */
herr_t lzv_place_in_file(void *under_file, hid_t under_vol_id, const char *name, lzv_access *access,
                         hid_t dxpl_id, lzv_place *place);
/* What identifies an under object across opens (H5Oget_info's fileno and
 * token); token may be NULL. */
herr_t lzv_object_identity(void *under_obj, H5I_type_t type, hid_t under_vol_id, hid_t dxpl_id,
                           unsigned long *fileno, H5O_token_t *token);
void lzv_place_destroy(lzv_place *place);

/* Open the operands of `expr` at `place` into a new array of
 * lz_expr_operand_count(expr) operands, which read with the lzv_xfer their
 * evaluation passes. On failure every error is recorded on `ctx` (the
 * first wins) with the operand's position, and nothing stays open.
 * `vds_name` names the virtual dataset in messages. */
herr_t lzv_operands_open(const lzv_place *place, const lz_expr *expr, const char *vds_name,
                         hid_t dxpl_id, lz_ctx *ctx, lzv_operand **out);
void lzv_operands_close(lzv_operand *ops, size_t n, hid_t dxpl_id);

#endif
