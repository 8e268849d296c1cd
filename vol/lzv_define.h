/* lzv_define.h — the H5LAZY_OP_DEFINE file operation, and the pieces of it
 * that make the coordinates of a new virtual dataset (lzv_dims.c). */
#ifndef LZV_DEFINE_H
#define LZV_DEFINE_H

#include "lzv.h"

/* Validate an expression against the file's datasets, infer its shape and
 * type, and create the placeholder with its definition, its attributes and
 * its dimensions. `args` is an h5lazy_define_args_t. Pushes an error (and
 * fills args->diag) on failure; nothing is left behind then. */
herr_t lzv_define(lzv_obj *file, void *args, hid_t dxpl_id);

/* Whether a link exists at `path` (absolute) in the file; false, not an
 * error, when a group on the way is missing. */
bool lzv_define_exists(lzv_obj *file, const char *path, hid_t dxpl_id);
/* Delete the link at `path`; pushes an error on failure. */
herr_t lzv_define_unlink(lzv_obj *file, const char *path, hid_t dxpl_id);
/* Create the placeholder `path` (its group exists) of `expression`, bound
 * as graph g, with its definition and evaluation chunk `chunks` (NULL: the
 * default). Returns the under dataset, or NULL with an error pushed and
 * nothing left behind. */
void *lzv_define_placeholder(lzv_obj *file, const char *path, const char *expression, const lz_graph *g,
                             const hsize_t *chunks, hid_t dxpl_id);

#endif
