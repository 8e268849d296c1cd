/* lzv.h — internal interface of the h5lazy VOL connector.
 *
 * The connector is a pass-through: every object the library hands out is an
 * lzv_obj wrapping the under connector's object. Datasets that carry an
 * h5lazy definition additionally hold an lzv_vdset (lzv_vdset.c), and their
 * reads go through the engine. Callback files are named after the
 * H5VL_class_t slot group they fill (lzv_file.c for file_cls, ...).
 */
#ifndef LZV_H
#define LZV_H

#include "h5lazy_vol.h"
#include "lz.h"

#include <hdf5.h>

/* Which other files operands may live in (files= in the info string). */
typedef enum lzv_files_policy {
    LZV_FILES_ANYWHERE, /* any file the process can open */
    LZV_FILES_BELOW,    /* the holding file's directory and its subdirectories */
    LZV_FILES_NONE,     /* operands only in the holding file */
} lzv_files_policy;

/* Tunables from the connector's info string; copied into every object. */
typedef struct lzv_config {
    size_t memory_bytes;    /* evaluation budget per read, bytes */
    int threads;            /* threads computing one read, the caller included; 0: auto */
    size_t cache_bytes;     /* reduction results kept per virtual dataset */
    lzv_files_policy files; /* where operands may live */
} lzv_config;

/* The connector's info: what is underneath, and the tunables. */
typedef struct lzv_info {
    hid_t under_vol_id;   /* the under connector (a reference we own) */
    void *under_vol_info; /* its info, or NULL */
    lzv_config config;    /* tunables */
} lzv_info;

/* What every object opened through one file open shares: the tunables and
 * the access properties for the under connector (the user's own, and those
 * operand files are opened with). Reference-counted: objects may outlive
 * the file's handle. */
typedef struct lzv_access {
    int refs;           /* objects and wrapping contexts holding it */
    lzv_config config;  /* tunables from the connector info */
    hid_t under_fapl;   /* the user's FAPL with the under connector set */
    hid_t operand_fapl; /* for operand files: the default driver, the user's
                           close degree, file locking and connector (h5lazy) */
    unsigned operand_flags; /* H5Fopen's flags for operand files: read-only, and
                               SWMR read when the holding file was opened so */
} lzv_access;

typedef struct lzv_vdset lzv_vdset;

/* Whether a dataset object has been looked at for a definition yet. */
typedef enum lzv_kind {
    LZV_KIND_OTHER,    /* not a dataset, or a dataset not yet examined */
    LZV_KIND_STORED,   /* a dataset without a definition */
    LZV_KIND_VIRTUAL,  /* a dataset with a definition: vdset is set */
} lzv_kind;

typedef struct lzv_obj {
    void *under_object; /* the under connector's object */
    hid_t under_vol_id; /* the under connector (a reference we own) */
    lzv_access *access; /* shared with the file's other objects */
    lzv_kind kind;      /* datasets: stored or virtual, once known */
    lzv_vdset *vdset;   /* virtual datasets only */
} lzv_obj;

/* The wrapping context: what wrap_object needs to make an lzv_obj. */
typedef struct lzv_wrap_ctx {
    hid_t under_vol_id;   /* a reference we own */
    void *under_wrap_ctx; /* the under connector's own context */
    lzv_access *access;   /* given to the objects wrapped */
} lzv_wrap_ctx;

extern const H5VL_class_t lzv_class;

/* ---- objects (lzv_wrap.c) --------------------------------------------------- */

/* A new access context owning `under_fapl`, with one reference; NULL on
 * failure (the FAPL is then closed). fapl_id is the user's (h5lazy's),
 * file_flags those the holding file was opened or created with. */
lzv_access *lzv_access_new(hid_t fapl_id, hid_t under_fapl, unsigned file_flags, const lzv_config *config);
lzv_access *lzv_access_ref(lzv_access *access);
void lzv_access_unref(lzv_access *access);

/* A new wrapper taking a new reference on under_vol_id and on `access`;
 * NULL on failure. */
lzv_obj *lzv_obj_new(void *under_object, hid_t under_vol_id, lzv_access *access);
/* Wrap `under`, just opened or created (an object of `type`), like `parent`.
 * On failure the under object is closed again and an error is pushed. */
void *lzv_obj_wrap(void *under, H5I_type_t type, const lzv_obj *parent, hid_t dxpl_id);
/* Free the wrapper (and its vdset), preserving the HDF5 error stack. */
void lzv_obj_free(lzv_obj *obj);
/* Wrap an under request object the under connector returned in *req. */
void lzv_wrap_request(void **req, const lzv_obj *like);

/* ---- info (lzv_info.c) ---------------------------------------------------- */

void lzv_config_init(lzv_config *config);
/* The threads a read uses: config->threads, or for auto (0) the CPUs the
 * process may run on. */
int lzv_config_threads(const lzv_config *config);
/* The engine's configuration for reads under `config`: its whole memory
 * budget (a read reserves its own buffers there, lzv_read.c),
 * threads and result cache. */
void lzv_engine_config(const lzv_config *config, lz_config *cfg);
/* The connector info from a FAPL (or the native default when the FAPL
 * carries none); free with lzv_info_free. NULL on failure, error pushed. */
lzv_info *lzv_info_from_fapl(hid_t fapl_id);
herr_t lzv_info_free(void *info);
void *lzv_info_copy(const void *info);
herr_t lzv_info_cmp(int *cmp_value, const void *info1, const void *info2);
herr_t lzv_info_to_str(const void *info, char **str);
herr_t lzv_info_from_str(const char *str, void **info);
/* A FAPL copy of `fapl_id` whose VOL is the under connector of `info`;
 * H5I_INVALID_HID on failure. */
hid_t lzv_under_fapl(hid_t fapl_id, const lzv_info *info);

/* ---- errors (lzv_error.c) ------------------------------------------------- */

herr_t lzv_error_init(void);
void lzv_error_term(void);
/* Push one frame under h5lazy's error class. `code` selects the minor
 * message (an lz_status); the text says what failed and why. */
void lzv_error_push(const char *func, int line, lz_status code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
#define LZV_ERROR(code, ...) lzv_error_push(__func__, __LINE__, (code), __VA_ARGS__)

/* Saving the error stack across cleanup that calls the public API (which
 * clears the stack on entry): save returns an id (or H5I_INVALID_HID),
 * restore puts it back and releases it. */
hid_t lzv_stack_save(void);
void lzv_stack_restore(hid_t saved);
/* Reduce the current stack to its innermost frame, the cause. For failures
 * of nested public calls (opening an operand file), whose dozens of frames
 * would otherwise fill HDF5's 32-frame stack and crowd out ours. */
void lzv_stack_keep_cause(void);
/* Merge a saved stack holding the cause of the error just pushed (the
 * current stack) into the current stack, and release it. h5py quotes the
 * innermost frame, which must be the most specific of ours: a cause from
 * the under connector goes above our sentence, which then names the
 * virtual dataset and operand; a cause that is already ours (a nested
 * virtual dataset's reason) stays below. */
void lzv_stack_add_cause(hid_t cause);
/* Copy the innermost frame's description into buf ("" if the stack is
 * empty), leaving the stack as it was. */
void lzv_stack_innermost(char *buf, size_t size);

/* ---- optional operations (lzv_plugin.c) --------------------------------- */

/* Forget the connector's reference on its own ID (lzv_file.c), at terminate. */
void lzv_file_unpin(void);

/* The value HDF5 assigned to H5LAZY_OP_DEFINE, or -1 before registration. */
extern int lzv_op_define;
extern int lzv_op_inspect;

/* Callback slot functions, one file per class. */
#include "lzv_callbacks.h"

#endif
