/* lzv_define.h — the H5LAZY_OP_DEFINE file operation. */
#ifndef LZV_DEFINE_H
#define LZV_DEFINE_H

#include "lzv.h"

/* Validate an expression against the file's datasets, infer its shape and
 * type, and create the placeholder with its definition. `args` is an
 * h5lazy_define_args_t. Pushes an error (and fills args->diag) on failure;
 * nothing is left behind then. */
herr_t lzv_define(lzv_obj *file, void *args, hid_t dxpl_id);

#endif
