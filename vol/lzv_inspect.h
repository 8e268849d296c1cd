/* lzv_inspect.h — the H5LAZY_OP_INSPECT file operation. */
#ifndef LZV_INSPECT_H
#define LZV_INSPECT_H

#include "lzv.h"

/* `args` is an h5lazy_inspect_args_t. Pushes an error on failure. */
herr_t lzv_inspect(lzv_obj *file, void *args, hid_t dxpl_id);

#endif
