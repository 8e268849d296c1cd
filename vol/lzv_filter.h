/* lzv_filter.h — HDF5 filter pipelines that h5lazy decodes (and encodes)
 * itself, bit for bit as HDF5's filters do, without HDF5: the connector's
 * chunk reader (lzv_chunk.c) runs them on worker threads, `h5lazy save`
 * encodes with them, and the fuzz target feeds them corrupt chunks.
 *
 * A pipeline is the dataset's filters in the order HDF5 applies them on
 * write (H5Pget_filter2's order); decoding undoes them last to first. The
 * size of the data before every filter is known from the chunk's size
 * (shuffle keeps it, fletcher32 adds 4 bytes, a compressor's input is what
 * the filters before it made), so every stage decodes into a buffer of
 * exactly the size it must produce, and a stream that would produce more
 * or less is an error rather than a short or clipped chunk.
 *
 * Filters (HDF5's identifiers; the registered ones from The HDF Group's
 * filter registry):
 *   deflate (1)      zlib stream, decoded with libdeflate (docs/design.md,
 *                    "Compressed sources", for the choice over ISA-L)
 *   shuffle (2)      byte planes of elements of cd[0] bytes
 *   fletcher32 (3)   checksum of the data in its last 4 bytes, verified
 *   szip (4)         libaec's szip interface (4-byte size, then the stream)
 *   blosc (32001)    a blosc 1 frame, libblosc
 *   lz4 (32004)      HDF5's lz4 framing (sizes big-endian), liblz4
 *   zstd (32015)     one zstd frame, libzstd
 * A library missing at build time leaves its filter to HDF5 (lzv_filter_known
 * says no). Everything here is thread-safe: decoders keep their state in
 * the lzv_codec each thread owns.
 */
#ifndef LZV_FILTER_H
#define LZV_FILTER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* HDF5's filter identifiers (H5Zpublic.h and the registry); lzv_chunk.c
 * checks the first three against hdf5.h at compile time. */
enum {
    LZV_FILTER_DEFLATE = 1,
    LZV_FILTER_SHUFFLE = 2,
    LZV_FILTER_FLETCHER32 = 3,
    LZV_FILTER_SZIP = 4,
    LZV_FILTER_BLOSC = 32001,
    LZV_FILTER_LZ4 = 32004,
    LZV_FILTER_ZSTD = 32015,
};

/* HDF5 allows 32 filters in a pipeline (H5Z_MAX_NFILTERS); more than 8 is
 * nothing anyone writes, and such a pipeline goes to HDF5. */
#define LZV_PIPELINE_MAX 8
/* Client values kept per filter: blosc has the most (7). */
#define LZV_FILTER_CD_MAX 8
/* Room for one decoding error, a sentence. */
#define LZV_FILTER_WHY 160

typedef struct lzv_filter {
    unsigned id;                    /* HDF5 filter identifier */
    size_t ncd;                     /* client values used */
    unsigned cd[LZV_FILTER_CD_MAX]; /* client values (after HDF5's set_local) */
} lzv_filter;

typedef struct lzv_pipeline {
    int n;                                /* filters, in write order */
    lzv_filter f[LZV_PIPELINE_MAX];       /* the filters */
    size_t chunk_bytes;                   /* a decoded chunk's size */
    size_t stage_bytes[LZV_PIPELINE_MAX]; /* size of the data before filter i on write
                                           * (= the output of decoding filter i) */
    bool verify;                          /* check fletcher32 (HDF5's EDC setting) */
} lzv_pipeline;

/* Whether this build decodes filter `id` itself. */
bool lzv_filter_known(unsigned id);

/* Finish a pipeline whose n, f and chunk_bytes are set: compute the stage
 * sizes and check that every filter is known with client values it can
 * use. Returns NULL when it can be decoded here, else a static phrase
 * saying why not ("filter 307 is not decoded by h5lazy"), for debugging. */
const char *lzv_pipeline_prepare(lzv_pipeline *p);

/* The sizes of the two buffers lzv_pipeline_decode needs for a stored
 * chunk of raw_bytes: bytes[0] holds the stored chunk (and the output of
 * every second stage), bytes[1] the first stage's output; to_out: the
 * last stage writes into the caller's `out`. */
void lzv_pipeline_buffers(const lzv_pipeline *p, size_t raw_bytes, bool to_out, size_t bytes[2]);

/* One thread's decoder state (the libraries' contexts, made on first
 * use). Initialise with lzv_codec_init, release with lzv_codec_destroy.
 * Not shared between threads. */
typedef struct lzv_codec {
    void *inflater; /* libdeflate decompressor */
    void *zstd;     /* ZSTD_DCtx */
} lzv_codec;

void lzv_codec_init(lzv_codec *c);
void lzv_codec_destroy(lzv_codec *c);

/* Decode one stored chunk. bufs[0] holds it (raw_bytes); the buffers are
 * at least lzv_pipeline_buffers' sizes (to_out: out not NULL), and the
 * stages alternate between them. The decoded chunk (p->chunk_bytes)
 * goes to `out` when it is not NULL, else it stays in one of the two
 * buffers and *result points at it. Returns 0, or -1 with a sentence in
 * why (the cause: "the deflate stream is corrupt or cut short (...)",
 * "data error detected by the fletcher32 checksum (...)"). */
int lzv_pipeline_decode(const lzv_pipeline *p, lzv_codec *c, unsigned char *const bufs[2], size_t raw_bytes,
                        void *out, unsigned char **result, char why[LZV_FILTER_WHY]);

/* ---- encoding (h5lazy save) ------------------------------------------------ */

/* What `h5lazy save` writes itself: shuffle (elements of `type_size`
 * bytes), deflate at `level` (-1: none), as HDF5's filters would. */
typedef struct lzv_encoding {
    int level;          /* deflate level 0-9, or -1 for no deflate */
    bool shuffle;       /* shuffle before deflate */
    size_t type_size;   /* element size for shuffle */
} lzv_encoding;

/* Largest encoded size of a chunk of `bytes` (the buffer lzv_encode needs). */
size_t lzv_encode_bound(const lzv_encoding *e, size_t bytes);
/* Encode `in` (bytes) into `out` (lzv_encode_bound bytes), using `scratch`
 * (bytes, for the shuffled copy) and `*compressor` (a libdeflate
 * compressor made on first use for this level and kept by the caller's
 * thread; free with lzv_encode_free). Returns the encoded size, or 0 when
 * out of memory. */
size_t lzv_encode(const lzv_encoding *e, void **compressor, const void *in, size_t bytes, void *scratch,
                  void *out);
void lzv_encode_free(void *compressor);

/* ---- the byte-level pieces, for tests and the benchmark's limit ---------- */

/* HDF5's fletcher32 (H5_checksum_fletcher32) of data[0..len). */
uint32_t lzv_fletcher32(const unsigned char *data, size_t len);
/* Undo / apply shuffle of `bytes` bytes with elements of `size` bytes. */
void lzv_unshuffle(const unsigned char *in, unsigned char *out, size_t bytes, size_t size);
void lzv_shuffle(const unsigned char *in, unsigned char *out, size_t bytes, size_t size);

#endif
