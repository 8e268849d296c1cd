/* lzv_codecs.h — the compressors of lzv_filter.c's pipelines, each over its
 * library: decoding one stage into a buffer of the size it must produce,
 * and deflate encoding for `h5lazy save`. Internal to lzv_filter.c. */
#ifndef LZV_CODECS_H
#define LZV_CODECS_H

#include "lzv_filter.h"

/* Whether this build has the library for compressor `id`. */
bool lzv_codec_available(unsigned id);
/* Whether compressor f's client values are ones the decoder can use. */
bool lzv_codec_params_ok(const lzv_filter *f);
/* Decode compressor f's stage: in[0..in_bytes) into exactly out_bytes at
 * out. 0, or -1 with the cause in why. Libraries' state lives on c. */
int lzv_codec_decode(lzv_codec *c, const lzv_filter *f, const unsigned char *in, size_t in_bytes,
                     unsigned char *out, size_t out_bytes, char *why);
/* Free the library state on c. */
void lzv_codec_release(lzv_codec *c);

/* Deflate (zlib stream, as HDF5's deflate filter writes) of in[0..bytes)
 * at `level` into out (cap bytes); *encoder is made on first use. The
 * size written, 0 when out of memory or space. */
size_t lzv_deflate_bound(size_t bytes);
size_t lzv_deflate_encode(void **encoder, int level, const void *in, size_t bytes, void *out, size_t cap);
void lzv_deflate_encoder_free(void *encoder);

#endif
