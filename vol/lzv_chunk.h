/* lzv_chunk.h — reading chunked, filtered operands by decoding their
 * chunks in the connector: raw chunk reads through the under connector on
 * the calling thread, decoding (lzv_filter.h) on worker threads
 * (lzv_workq.h) while the next chunk is read.
 *
 * Whether an operand qualifies is decided once, when it is opened
 * (lzv_chunk_src_init): chunked layout, a pipeline every filter of which
 * h5lazy decodes, an integer or float type stored in the native layout or
 * its byte-swapped twin (the swap is done here, as HDF5's conversion
 * would), and an under connector that answers native chunk queries.
 * Everything else reads through HDF5 as before. A read then falls back to
 * HDF5, chunk by chunk, for what HDF5 must decide itself: chunks never
 * written (the fill value) and chunks whose filter mask skips a filter;
 * and, for the whole read, a transfer list with a data transform, or a
 * budget without room for one chunk in flight.
 */
#ifndef LZV_CHUNK_H
#define LZV_CHUNK_H

#include "lzv.h"
#include "lzv_filter.h"

/* Decoded chunks kept between reads of one operand, as HDF5's chunk cache
 * keeps them: a loop reading a row at a time (h5py, h5dump's strips)
 * decodes each chunk once, not once per row. A kept chunk is used only
 * when its stored bytes, read again, are the same (so it is what decoding
 * would give, whatever changed the file). HDF5's default size, 1 MiB (its
 * rdcc_nbytes) of decoded chunks; a larger chunk is never kept. */
#define LZV_CHUNK_CACHE_BYTES ((size_t)1 << 20)
/* At most this many chunks are kept (HDF5 keeps 521 slots; a few chunks
 * cover a row loop across chunk boundaries). */
#define LZV_CHUNK_CACHE_SLOTS 16

typedef struct lzv_chunk_cache {
    unsigned char *data[LZV_CHUNK_CACHE_SLOTS];        /* decoded chunks */
    unsigned char *raw[LZV_CHUNK_CACHE_SLOTS];         /* their stored bytes */
    size_t raw_bytes[LZV_CHUNK_CACHE_SLOTS];           /* how many */
    hsize_t origin[LZV_CHUNK_CACHE_SLOTS][H5S_MAX_RANK]; /* their first elements */
    unsigned long used[LZV_CHUNK_CACHE_SLOTS];         /* last use or claim; 0: empty */
    bool filled[LZV_CHUNK_CACHE_SLOTS];                /* data holds the decoded chunk */
    int nslots;                                        /* slots that fit in the size */
    unsigned long clock;                               /* uses so far */
} lzv_chunk_cache;

typedef struct lzv_chunk_src {
    bool enabled;                /* reads decode chunks here */
    lzv_pipeline pipe;           /* the dataset's filters and chunk size */
    int rank;                    /* the dataset's rank */
    int64_t chunk[H5S_MAX_RANK]; /* chunk extent per axis */
    size_t esize;                /* bytes per element */
    bool swap;                   /* stored in the other byte order */
    int threads;                 /* threads decoding one read (connector's threads=) */
    size_t slot_bytes;           /* budget of one chunk in flight (two buffers) */
    lzv_chunk_cache *cache;      /* decoded chunks kept (owned), NULL when they are too large */
} lzv_chunk_src;

/* Decide whether the dataset `under_dset` (its creation list `dcpl`, file
 * type `file_type`, the memory type its reads use `mem_type`) can be read
 * by decoding chunks, and fill *cs (cs->enabled false when not; no error
 * either way). `threads` decode a read. Calling thread only. */
void lzv_chunk_src_init(lzv_chunk_src *cs, void *under_dset, hid_t under_vol_id, hid_t dcpl, hid_t file_type,
                        hid_t mem_type, int threads);
/* Release what lzv_chunk_src_init made (the kept chunks). */
void lzv_chunk_src_destroy(lzv_chunk_src *cs);
/* The most bytes one read allocates through its context (every thread's
 * chunk in flight): lz_source.scratch_bytes. */
size_t lzv_chunk_src_scratch_bytes(const lzv_chunk_src *cs);

/* What lzv_chunk_read did. */
typedef enum lzv_chunk_result {
    LZV_CHUNK_DONE,     /* the box is in buf */
    LZV_CHUNK_DECLINED, /* nothing done: read it through HDF5 */
    LZV_CHUNK_FAILED,   /* the error is on ctx; *cause may hold HDF5's account */
} lzv_chunk_result;

/* Read `box` of the dataset into `buf` (dense C order, native layout) by
 * decoding its chunks, with the transfer list dxpl_id. `label` names the
 * operand in messages; a failing HDF5 call's stack is saved into *cause
 * (when it is still H5I_INVALID_HID) for the caller to report. Calling
 * thread only; workers never call HDF5. */
lzv_chunk_result lzv_chunk_read(const lzv_chunk_src *cs, void *under_dset, hid_t under_vol_id, hid_t mem_type,
                                const char *label, lz_ctx *ctx, const lz_box *box, void *buf, hid_t dxpl_id,
                                hid_t *cause);

/* Free the decode buffers kept between reads (the connector's terminate). */
void lzv_chunk_forget_buffers(void);

#endif
