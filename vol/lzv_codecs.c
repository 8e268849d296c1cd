/* lzv_codecs.c — the compressors of h5lazy's filter pipelines, each over
 * its library (see lzv_codecs.h). Every decoder produces exactly the bytes
 * the stage must, and reports a stream that is corrupt, ends early or
 * would produce more or fewer bytes as an error, never as data.
 *
 * The formats, as the filters HDF5 reads them with write them:
 *   deflate     a zlib stream (RFC 1950: header, deflate, Adler-32);
 *   szip        4 bytes little-endian decoded size, then libaec's stream
 *               (client values: options mask, bits per pixel, pixels per
 *               block, pixels per scanline);
 *   lz4         8 bytes big-endian decoded size, 4 bytes big-endian block
 *               size, then per block 4 bytes big-endian stored size and
 *               the block: raw when its stored size is its decoded size;
 *   zstd        one zstd frame that gives its content size;
 *   blosc       one blosc 1 frame (its header gives the sizes).
 *
 * Deflate is libdeflate, linked in. The others are optional: their headers
 * are used at build time, but their libraries are opened at run time, the
 * first time a pipeline asks (dlopen of the soname the build saw, local
 * scope), so that a connector build copied into any process — a pip wheel
 * on another machine — needs none of them; a filter whose library is
 * missing is left to HDF5 (lzv_codec_available is false).
 */
#include "lzv_codecs.h"

#include <dlfcn.h>
#include <libdeflate.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifdef H5LAZY_HAVE_ZSTD
#include <zstd.h>
#endif
#ifdef H5LAZY_HAVE_LZ4
#include <lz4.h>
#endif
#ifdef H5LAZY_HAVE_SZIP
#include <szlib.h>
#endif
#ifdef H5LAZY_HAVE_BLOSC
#include <blosc.h>
#endif

/* ---- the optional libraries ------------------------------------------------------------ */

/* The functions each decoder calls, typed from the library's own header,
 * and whether they were all found. */
#ifdef H5LAZY_HAVE_ZSTD
static struct {
    bool loaded;                                              /* every function below found */
    __typeof__(&ZSTD_getFrameContentSize) frame_content_size; /* the frame's decoded size */
    __typeof__(&ZSTD_createDCtx) create;                      /* a decoder state */
    __typeof__(&ZSTD_freeDCtx) free;                          /* ... released */
    __typeof__(&ZSTD_decompressDCtx) decompress;              /* one frame */
    __typeof__(&ZSTD_isError) is_error;                       /* a size that is an error code */
} zstd;
#endif
#ifdef H5LAZY_HAVE_LZ4
static struct {
    bool loaded;                                      /* the function below found */
    __typeof__(&LZ4_decompress_safe) decompress_safe; /* one block, bounded */
} lz4;
#endif
#ifdef H5LAZY_HAVE_SZIP
static struct {
    bool loaded;                                                  /* the function below found */
    __typeof__(&SZ_BufftoBuffDecompress) buff_to_buff_decompress; /* one szip stream */
} szip;
#endif
#ifdef H5LAZY_HAVE_BLOSC
static struct {
    bool loaded;                                      /* every function below found */
    __typeof__(&blosc_cbuffer_validate) validate;     /* header against the stored size */
    __typeof__(&blosc_decompress_ctx) decompress_ctx; /* one frame, without global state */
} blosc;
#endif

/* Open `soname` and look up the n functions names[i] into *fns[i]; true
 * when all were found (the library then stays open for the life of the
 * process, as the pointers into it do), else false with it closed again. */
static bool __attribute__((unused)) /* unused when no optional header was found */
open_library(const char *soname, size_t n, const char *const *names, void **const *fns)
{
    void *lib = dlopen(soname, RTLD_NOW | RTLD_LOCAL);
    if (!lib)
        return false;
    for (size_t i = 0; i < n; i++) {
        if (!(*fns[i] = dlsym(lib, names[i]))) {
            dlclose(lib);
            return false;
        }
    }
    return true;
}

#define LZV_COUNT(a) (sizeof(a) / sizeof((a)[0]))

static void
load_libraries(void)
{
#ifdef H5LAZY_HAVE_ZSTD
    static const char *const zstd_names[] = {"ZSTD_getFrameContentSize", "ZSTD_createDCtx", "ZSTD_freeDCtx",
                                             "ZSTD_decompressDCtx", "ZSTD_isError"};
    void **const zstd_fns[] = {(void **)&zstd.frame_content_size, (void **)&zstd.create, (void **)&zstd.free,
                               (void **)&zstd.decompress, (void **)&zstd.is_error};
    zstd.loaded = open_library(H5LAZY_ZSTD_SONAME, LZV_COUNT(zstd_names), zstd_names, zstd_fns);
#endif
#ifdef H5LAZY_HAVE_LZ4
    static const char *const lz4_names[] = {"LZ4_decompress_safe"};
    void **const lz4_fns[] = {(void **)&lz4.decompress_safe};
    lz4.loaded = open_library(H5LAZY_LZ4_SONAME, LZV_COUNT(lz4_names), lz4_names, lz4_fns);
#endif
#ifdef H5LAZY_HAVE_SZIP
    static const char *const szip_names[] = {"SZ_BufftoBuffDecompress"};
    void **const szip_fns[] = {(void **)&szip.buff_to_buff_decompress};
    szip.loaded = open_library(H5LAZY_SZIP_SONAME, LZV_COUNT(szip_names), szip_names, szip_fns);
#endif
#ifdef H5LAZY_HAVE_BLOSC
    static const char *const blosc_names[] = {"blosc_cbuffer_validate", "blosc_decompress_ctx"};
    void **const blosc_fns[] = {(void **)&blosc.validate, (void **)&blosc.decompress_ctx};
    blosc.loaded = open_library(H5LAZY_BLOSC_SONAME, LZV_COUNT(blosc_names), blosc_names, blosc_fns);
#endif
}

/* Worker threads ask too: the libraries are opened once, by whoever asks
 * first. */
static pthread_once_t libraries_once = PTHREAD_ONCE_INIT;

bool
lzv_codec_available(unsigned id)
{
    pthread_once(&libraries_once, load_libraries);
    switch (id) {
    case LZV_FILTER_DEFLATE:
        return true;
#ifdef H5LAZY_HAVE_ZSTD
    case LZV_FILTER_ZSTD:
        return zstd.loaded;
#endif
#ifdef H5LAZY_HAVE_LZ4
    case LZV_FILTER_LZ4:
        return lz4.loaded;
#endif
#ifdef H5LAZY_HAVE_SZIP
    case LZV_FILTER_SZIP:
        return szip.loaded;
#endif
#ifdef H5LAZY_HAVE_BLOSC
    case LZV_FILTER_BLOSC:
        return blosc.loaded;
#endif
    default:
        return false;
    }
}

bool
lzv_codec_params_ok(const lzv_filter *f)
{
    switch (f->id) {
    case LZV_FILTER_SZIP:
        /* HDF5's set_local leaves exactly four values. */
        return f->ncd == 4;
    default:
        return true;
    }
}

void
lzv_codec_release(lzv_codec *c)
{
    if (c->inflater)
        libdeflate_free_decompressor(c->inflater);
    c->inflater = NULL;
#ifdef H5LAZY_HAVE_ZSTD
    if (c->zstd)
        zstd.free(c->zstd);
#endif
    c->zstd = NULL;
}

/* ---- deflate ------------------------------------------------------------------------ */

static int
decode_deflate(lzv_codec *c, const unsigned char *in, size_t in_bytes, unsigned char *out, size_t out_bytes,
               char *why)
{
    if (!c->inflater && !(c->inflater = libdeflate_alloc_decompressor())) {
        snprintf(why, LZV_FILTER_WHY, "out of memory for the deflate decoder");
        return -1;
    }
    size_t used = 0, got = 0;
    /* As HDF5's filter does, bytes after the end of the stream are ignored. */
    enum libdeflate_result r = libdeflate_zlib_decompress_ex(c->inflater, in, in_bytes, out, out_bytes, &used, &got);
    switch (r) {
    case LIBDEFLATE_SUCCESS:
        if (got == out_bytes)
            return 0;
        snprintf(why, LZV_FILTER_WHY, "the deflate stream inflates to %zu bytes, not the %zu expected", got,
                 out_bytes);
        return -1;
    case LIBDEFLATE_INSUFFICIENT_SPACE:
        snprintf(why, LZV_FILTER_WHY, "the deflate stream inflates past the %zu bytes expected", out_bytes);
        return -1;
    default: /* bad data, including a stream cut short and a bad Adler-32 */
        snprintf(why, LZV_FILTER_WHY, "the deflate stream is corrupt or cut short (%zu bytes stored)", in_bytes);
        return -1;
    }
}

size_t
lzv_deflate_bound(size_t bytes)
{
    return libdeflate_zlib_compress_bound(NULL, bytes);
}

size_t
lzv_deflate_encode(void **encoder, int level, const void *in, size_t bytes, void *out, size_t cap)
{
    if (!*encoder && !(*encoder = libdeflate_alloc_compressor(level)))
        return 0;
    return libdeflate_zlib_compress(*encoder, in, bytes, out, cap);
}

void
lzv_deflate_encoder_free(void *encoder)
{
    if (encoder)
        libdeflate_free_compressor(encoder);
}

/* ---- the registered compressors -------------------------------------------------------- */

#ifdef H5LAZY_HAVE_ZSTD
static int
decode_zstd(lzv_codec *c, const unsigned char *in, size_t in_bytes, unsigned char *out, size_t out_bytes,
            char *why)
{
    unsigned long long size = zstd.frame_content_size(in, in_bytes);
    if (size == ZSTD_CONTENTSIZE_ERROR) {
        snprintf(why, LZV_FILTER_WHY, "the zstd frame is corrupt (%zu bytes stored)", in_bytes);
        return -1;
    }
    /* HDF5's zstd filter sizes its output by the frame's content size. */
    if (size != (unsigned long long)out_bytes) {
        snprintf(why, LZV_FILTER_WHY, "the zstd frame gives a decoded size other than the %zu bytes expected",
                 out_bytes);
        return -1;
    }
    if (!c->zstd && !(c->zstd = zstd.create())) {
        snprintf(why, LZV_FILTER_WHY, "out of memory for the zstd decoder");
        return -1;
    }
    size_t got = zstd.decompress(c->zstd, out, out_bytes, in, in_bytes);
    if (zstd.is_error(got) || got != out_bytes) {
        snprintf(why, LZV_FILTER_WHY, "the zstd frame is corrupt or cut short (%zu bytes stored)", in_bytes);
        return -1;
    }
    return 0;
}
#endif

#ifdef H5LAZY_HAVE_LZ4
static uint64_t
be_get(const unsigned char *p, int n)
{
    uint64_t v = 0;
    for (int i = 0; i < n; i++)
        v = v << 8 | p[i];
    return v;
}

static int
decode_lz4(const unsigned char *in, size_t in_bytes, unsigned char *out, size_t out_bytes, char *why)
{
    if (in_bytes < 12) {
        snprintf(why, LZV_FILTER_WHY, "the lz4 chunk is cut short (%zu bytes stored)", in_bytes);
        return -1;
    }
    uint64_t total = be_get(in, 8), block = be_get(in + 8, 4);
    if (total != out_bytes) {
        snprintf(why, LZV_FILTER_WHY, "the lz4 chunk gives a decoded size of %llu bytes, not the %zu expected",
                 (unsigned long long)total, out_bytes);
        return -1;
    }
    if (block > total)
        block = total;
    if (block == 0 && total > 0) {
        snprintf(why, LZV_FILTER_WHY, "the lz4 chunk gives a block size of 0");
        return -1;
    }
    size_t at = 12, done = 0;
    while (done < out_bytes) {
        size_t want = out_bytes - done < block ? out_bytes - done : (size_t)block;
        if (in_bytes - at < 4) {
            snprintf(why, LZV_FILTER_WHY, "the lz4 chunk is cut short (%zu bytes stored)", in_bytes);
            return -1;
        }
        uint64_t stored = be_get(in + at, 4);
        at += 4;
        if (stored > in_bytes - at) {
            snprintf(why, LZV_FILTER_WHY, "the lz4 chunk is cut short (%zu bytes stored)", in_bytes);
            return -1;
        }
        if (stored == want) {
            memcpy(out + done, in + at, want);
        } else {
            if (stored > INT32_MAX || want > INT32_MAX) {
                snprintf(why, LZV_FILTER_WHY, "an lz4 block is larger than lz4 allows");
                return -1;
            }
            int got = lz4.decompress_safe((const char *)in + at, (char *)out + done, (int)stored, (int)want);
            if (got < 0 || (size_t)got != want) {
                snprintf(why, LZV_FILTER_WHY, "an lz4 block is corrupt or does not decode to %zu bytes", want);
                return -1;
            }
        }
        at += (size_t)stored;
        done += want;
    }
    return 0;
}
#endif

#ifdef H5LAZY_HAVE_SZIP
static int
decode_szip(const lzv_filter *f, const unsigned char *in, size_t in_bytes, unsigned char *out, size_t out_bytes,
            char *why)
{
    if (in_bytes < 4) {
        snprintf(why, LZV_FILTER_WHY, "the szip chunk is cut short (%zu bytes stored)", in_bytes);
        return -1;
    }
    uint32_t size = (uint32_t)in[0] | (uint32_t)in[1] << 8 | (uint32_t)in[2] << 16 | (uint32_t)in[3] << 24;
    if (size != out_bytes) {
        snprintf(why, LZV_FILTER_WHY, "the szip chunk gives a decoded size of %u bytes, not the %zu expected", size,
                 out_bytes);
        return -1;
    }
    SZ_com_t param = {(int)f->cd[0], (int)f->cd[1], (int)f->cd[2], (int)f->cd[3]};
    size_t got = out_bytes;
    if (szip.buff_to_buff_decompress(out, &got, in + 4, in_bytes - 4, &param) != SZ_OK || got != out_bytes) {
        snprintf(why, LZV_FILTER_WHY, "the szip stream is corrupt or cut short (%zu bytes stored)", in_bytes);
        return -1;
    }
    return 0;
}
#endif

#ifdef H5LAZY_HAVE_BLOSC
static int
decode_blosc(const unsigned char *in, size_t in_bytes, unsigned char *out, size_t out_bytes, char *why)
{
    size_t size = 0;
    /* The header checked against the bytes stored before anything reads
     * the frame's offsets. */
    if (blosc.validate(in, in_bytes, &size) < 0) {
        snprintf(why, LZV_FILTER_WHY, "the blosc frame is corrupt or cut short (%zu bytes stored)", in_bytes);
        return -1;
    }
    if (size != out_bytes) {
        snprintf(why, LZV_FILTER_WHY, "the blosc frame gives a decoded size of %zu bytes, not the %zu expected",
                 size, out_bytes);
        return -1;
    }
    /* One blosc thread: the connector's workers decode chunks in parallel. */
    int got = blosc.decompress_ctx(in, out, out_bytes, 1);
    if (got < 0 || (size_t)got != out_bytes) {
        snprintf(why, LZV_FILTER_WHY, "the blosc frame is corrupt (%zu bytes stored)", in_bytes);
        return -1;
    }
    return 0;
}
#endif

int
lzv_codec_decode(lzv_codec *c, const lzv_filter *f, const unsigned char *in, size_t in_bytes, unsigned char *out,
                 size_t out_bytes, char *why)
{
    if (!lzv_codec_available(f->id)) { /* pipelines are built only from available filters */
        snprintf(why, LZV_FILTER_WHY, "filter %u is not decoded by h5lazy on this machine", f->id);
        return -1;
    }
    switch (f->id) {
    case LZV_FILTER_DEFLATE:
        return decode_deflate(c, in, in_bytes, out, out_bytes, why);
#ifdef H5LAZY_HAVE_ZSTD
    case LZV_FILTER_ZSTD:
        return decode_zstd(c, in, in_bytes, out, out_bytes, why);
#endif
#ifdef H5LAZY_HAVE_LZ4
    case LZV_FILTER_LZ4:
        return decode_lz4(in, in_bytes, out, out_bytes, why);
#endif
#ifdef H5LAZY_HAVE_SZIP
    case LZV_FILTER_SZIP:
        return decode_szip(f, in, in_bytes, out, out_bytes, why);
#endif
#ifdef H5LAZY_HAVE_BLOSC
    case LZV_FILTER_BLOSC:
        return decode_blosc(in, in_bytes, out, out_bytes, why);
#endif
    default:
        snprintf(why, LZV_FILTER_WHY, "filter %u is not decoded by h5lazy", f->id);
        return -1;
    }
}
