/* lzc.h — shared pieces of the h5lazy command: exit codes, loading the
 * connector, opening files through it, reporting errors, sessions of the
 * connector's inspect operation, and writing stored datasets piece by
 * piece. */
#ifndef LZC_H
#define LZC_H

#include "h5lazy_vol.h"

#include <hdf5.h>
#include <stdbool.h>
#include <stdint.h>

enum { LZC_OK = 0, LZC_FAILED = 1, LZC_MISUSE = 2, LZC_INTERRUPTED = 130 };

/* ---- the connector (lzc_hdf5.c) ------------------------------------------------ */

/* Load the h5lazy connector (from HDF5_PLUGIN_PATH, else next to this
 * program) and return a FAPL that uses it over the native connector, with
 * the connector info `info` (NULL or "" for the defaults: "memory=64MiB;
 * threads=2" style). Prints the reason and returns H5I_INVALID_HID on
 * failure. */
hid_t lzc_connector_fapl(const char *prog, const char *info);

/* Print what went wrong: the h5lazy messages from the HDF5 error stack (or
 * its innermost message), prefixed "h5lazy <cmd>: error: ", then clear the
 * stack. With a diagnostic that has a column, also the expression's line
 * with a caret under the column. */
void lzc_report(const char *prog, const char *what, const h5lazy_diagnostic_t *diag, const char *expr);

/* Whether verbose output (full HDF5 error stacks) was asked for. */
extern bool lzc_verbose;

/* Connector settings from --memory SIZE and --threads N, collected into an
 * info string for lzc_connector_fapl (lzc_write_option). */
typedef struct lzc_tuning {
    char info[128];
} lzc_tuning;

/* How lzc_open opens a file. */
typedef enum lzc_open_mode {
    LZC_READ,   /* read-only */
    LZC_WRITE,  /* read-write */
    LZC_CREATE, /* read-write, created when missing */
} lzc_open_mode;

/* Open `path` through the connector's `fapl`; on failure say "cannot open
 * 'PATH'" (" for writing" unless LZC_READ) with HDF5's reason, and return
 * H5I_INVALID_HID. */
hid_t lzc_open(const char *prog, const char *path, hid_t fapl, lzc_open_mode mode);

/* ---- options (lzc_options.c) --------------------------------------------------- */

/* "N,N,..." into chunks (1 to 2^32 - 1 each, at most H5S_MAX_RANK); -1
 * after saying what is wrong on stderr. */
int lzc_parse_chunks(const char *prog, const char *text, hsize_t *chunks, int *n);
/* After getopt_long returned '?' (with opterr = 0): say which option is
 * unknown or lacks its value, print the usage, return LZC_MISUSE. */
int lzc_bad_option(const char *prog, char **argv, const char *usage);
/* Whether two paths name the same existing file (device and inode). */
bool lzc_same_file(const char *a, const char *b);

/* The element type an h5lazy type name stands for, as a new memory type
 * (bool is h5py's enum); H5I_INVALID_HID for an unknown name. */
hid_t lzc_memory_type(const char *dtype);
/* Bytes of one element of that type; 0 for an unknown name. */
size_t lzc_dtype_size(const char *dtype);

/* ---- inspect sessions (lzc_inspect.c) ------------------------------------------- */

/* Call the connector's inspect operation with `args` on `file`. */
herr_t lzc_inspect(hid_t file, h5lazy_inspect_args_t *args);
/* The paths of every dataset in the file, in visiting order; NULL-ended,
 * free with lzc_free_names. NULL on failure (reported). */
char **lzc_dataset_names(const char *prog, hid_t file);
void lzc_free_names(char **names);

/* ---- stored targets (lzc_target.c) ---------------------------------------------- */

/* Chunk-aligned pieces of a shape, in C order, each at most max_elems
 * elements when a chunk allows: axes before `axis` one chunk at a time,
 * `axis` in runs of whole chunks, later axes whole. */
typedef struct lzc_pieces {
    int rank;
    hsize_t dims[H5S_MAX_RANK], chunk[H5S_MAX_RANK];
    int axis;
    hsize_t run;
    hsize_t next[H5S_MAX_RANK]; /* start of the next piece */
    bool done;
} lzc_pieces;
void lzc_pieces_init(lzc_pieces *p, int rank, const hsize_t *dims, const hsize_t *chunk, hsize_t max_elems);
bool lzc_pieces_next(lzc_pieces *p, hsize_t *start, hsize_t *count);

/* How targets are stored. */
typedef struct lzc_storage {
    int nchunks;                  /* 0: the evaluation chunk */
    hsize_t chunks[H5S_MAX_RANK];
    int gzip;                     /* deflate level, -1 for none */
    bool shuffle;
    bool overwrite;               /* replace an existing dataset */
    int threads;                  /* threads encoding compressed chunks (0: the CPUs allowed) */
} lzc_storage;

/* The options save and eval share, for their getopt_long tables. */
#define LZC_WRITE_OPTIONS                                                                           \
    {"chunks", required_argument, NULL, 'c'}, {"gzip", required_argument, NULL, 'z'},               \
        {"shuffle", no_argument, NULL, 's'}, {"overwrite", no_argument, NULL, 'o'},                 \
        {"memory", required_argument, NULL, 'm'}, {"threads", required_argument, NULL, 'T'}

/* Take one of LZC_WRITE_OPTIONS: storage (--chunks, --gzip, --shuffle,
 * --overwrite) into s, connector settings (--memory, --threads) into t.
 * Returns 1 when taken, 0 when `opt` is none of them, -1 (message printed)
 * for a bad value. */
int lzc_write_option(const char *prog, int opt, const char *arg, lzc_storage *s, lzc_tuning *t);

/* Bytes of the command's own piece buffers (the evaluation has the
 * connector's memory= budget besides). */
#define LZC_BUFFER_BYTES ((size_t)16 << 20)

/* A stored dataset being written: under a temporary name until finished,
 * so that an interrupted write never leaves something that looks whole. */
/* Compressed chunks encoded on worker threads and written directly
 * (lzc_encode.c). */
typedef struct lzc_encoder lzc_encoder;

/* An encoder for a dataset of `rank` dims chunked `chunk`, elements of
 * esize bytes, with storage's filters (gzip level, shuffle) and threads:
 * *out NULL when there is nothing to encode (no filters). -1 when memory
 * is short. */
int lzc_encoder_new(lzc_encoder **out, const lzc_storage *storage, int rank, const hsize_t *dims,
                    const hsize_t *chunk, size_t esize);
void lzc_encoder_free(lzc_encoder *e);
/* Encode the piece start/count (on the chunk grid; buf dense, C order) and
 * write its chunks to dset. -1 on failure (HDF5's error on the stack, or
 * none when encoding ran out of memory). */
int lzc_encoder_write(lzc_encoder *e, hid_t dset, const hsize_t *start, const hsize_t *count, const void *buf);

typedef struct lzc_target {
    hid_t file;                   /* the file it is in (owned when opened here) */
    bool own_file;
    char *name;                   /* final path */
    char *temp;                   /* path while incomplete */
    hid_t dset;
    hid_t mem_type;
    int rank;
    hsize_t dims[H5S_MAX_RANK], chunk[H5S_MAX_RANK];
    lzc_encoder *encoder;         /* compressed chunks written directly, or NULL */
} lzc_target;

/* Create `name` in `file` (or, when file < 0, in out_path, created if
 * missing) with shape dims, element type dtype and the storage asked for
 * (default chunk: eval_chunks). Refuses an existing name unless
 * storage->overwrite. Prints the reason and returns -1 on failure. */
int lzc_target_create(const char *prog, lzc_target *t, hid_t file, const char *out_path, hid_t fapl, const char *name,
                      const char *dtype, int rank, const hsize_t *dims, const hsize_t *eval_chunks,
                      const lzc_storage *storage);
/* Write the box start/count of the target from buf (dense, C order). */
int lzc_target_write(const char *prog, lzc_target *t, const hsize_t *start, const hsize_t *count, const void *buf);
/* Finish: copy the attributes of `attrs_from` (a dataset, or < 0 for none)
 * except h5lazy's (and the dimension scale lists DIMENSION_LIST and
 * REFERENCE_LIST when the target is in another file: their object
 * references mean nothing there), replace the final name, and close. Or
 * abort: delete the temporary dataset and close. */
int lzc_target_finish(const char *prog, lzc_target *t, hid_t attrs_from);
void lzc_target_abort(lzc_target *t);

/* Progress on stderr when it is a terminal: done of total bytes. */
typedef struct lzc_progress {
    bool show;
    double started, last_shown;
    double total;
} lzc_progress;
void lzc_progress_init(lzc_progress *p, double total_bytes, bool allowed);
void lzc_progress_update(lzc_progress *p, double done_bytes);
/* The full bar when complete; else only end the bar's line. */
void lzc_progress_end(lzc_progress *p, bool complete);

/* Whether SIGINT or SIGTERM arrived since lzc_interrupts_catch. */
void lzc_interrupts_catch(void);
bool lzc_interrupted(void);

/* ---- subcommands ----------------------------------------------------------------- */

int lzc_define_main(int argc, char **argv);
int lzc_show_main(int argc, char **argv);
int lzc_check_main(int argc, char **argv);
int lzc_eval_main(int argc, char **argv);
int lzc_save_main(int argc, char **argv);

#endif
