/* fuzz_chunk.c — libFuzzer target: the connector's chunk decoders
 * (vol/lzv_filter.c, lzv_codecs.c) fed stored chunks, corrupt ones above
 * all (issue 12).
 *
 * One input: 4 header bytes, then a stored chunk.
 *   byte 0  the pipeline, in write order: bit 0 shuffle; bits 1-2 the
 *           compressor (0 none, 1 deflate, 2 zstd or lz4 by bit 6, 3 blosc);
 *           bit 3 fletcher32 (last, or first with bit 4); bit 5 verify the
 *           checksum; bit 7: round-trip mode (below)
 *   byte 1  element size for shuffle, 1-16
 *   bytes 2-3  the decoded chunk's size, 1-65536 (little-endian, + 1)
 * A compressor this build lacks makes the input uninteresting.
 *
 * Checks (abort() on failure), besides the sanitizers:
 *   - decoding into the caller's buffer and into the decode buffers gives
 *     the same result, and on failure a cause;
 *   - a deflate-only chunk that decodes gives zlib's bytes (zlib inflates
 *     the same stream to exactly the chunk);
 *   - round-trip mode: the rest of the input, encoded by lzv_encode
 *     (shuffle, deflate at level byte 1 % 10) and decoded, is itself.
 */
#include "lzv_filter.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

static int
decode_into(const lzv_pipeline *p, const uint8_t *raw, size_t n, bool to_out, unsigned char *chunk, char *why)
{
    size_t sizes[2];
    lzv_pipeline_buffers(p, n, to_out, sizes);
    unsigned char *bufs[2] = {malloc(sizes[0] ? sizes[0] : 1), malloc(sizes[1] ? sizes[1] : 1)};
    if (!bufs[0] || !bufs[1])
        abort();
    memcpy(bufs[0], raw, n);
    lzv_codec c;
    lzv_codec_init(&c);
    unsigned char *result = NULL;
    int st = lzv_pipeline_decode(p, &c, bufs, n, to_out ? chunk : NULL, &result, why);
    if (st == 0 && !to_out)
        memcpy(chunk, result, p->chunk_bytes);
    lzv_codec_destroy(&c);
    free(bufs[0]);
    free(bufs[1]);
    return st;
}

static void
round_trip(const uint8_t *data, size_t size)
{
    if (size < 3)
        return;
    lzv_encoding e = {.level = data[1] % 11 == 10 ? -1 : data[1] % 11, .shuffle = data[0] & 1,
                      .type_size = (size_t)(data[2] % 16) + 1};
    const uint8_t *in = data + 3;
    size_t bytes = size - 3;
    if (bytes == 0)
        return;
    unsigned char *out = malloc(lzv_encode_bound(&e, bytes)), *scratch = malloc(bytes);
    void *compressor = NULL;
    size_t n = lzv_encode(&e, &compressor, in, bytes, scratch, out);
    lzv_encode_free(compressor);
    if (n == 0)
        abort();
    lzv_pipeline p;
    memset(&p, 0, sizeof p);
    p.chunk_bytes = bytes;
    p.verify = true;
    if (e.shuffle) {
        p.f[p.n].id = LZV_FILTER_SHUFFLE;
        p.f[p.n].ncd = 1;
        p.f[p.n++].cd[0] = (unsigned)e.type_size;
    }
    if (e.level >= 0) {
        p.f[p.n].id = LZV_FILTER_DEFLATE;
        p.f[p.n].ncd = 1;
        p.f[p.n++].cd[0] = (unsigned)e.level;
    }
    if (lzv_pipeline_prepare(&p))
        abort();
    unsigned char *back = malloc(bytes);
    char why[LZV_FILTER_WHY];
    if (decode_into(&p, out, n, true, back, why) != 0 || memcmp(back, in, bytes) != 0)
        abort();
    free(back);
    free(out);
    free(scratch);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 4)
        return 0;
    if (data[0] & 0x80) {
        round_trip(data, size);
        return 0;
    }
    lzv_pipeline p;
    memset(&p, 0, sizeof p);
    p.chunk_bytes = (size_t)(data[2] | data[3] << 8) + 1;
    p.verify = data[0] & 0x20;
    unsigned esize = (unsigned)(data[1] % 16) + 1;
    bool fletcher = data[0] & 0x08, first = data[0] & 0x10;
    if (fletcher && first)
        p.f[p.n++] = (lzv_filter){.id = LZV_FILTER_FLETCHER32};
    if (data[0] & 0x01)
        p.f[p.n++] = (lzv_filter){.id = LZV_FILTER_SHUFFLE, .ncd = 1, .cd = {esize}};
    static const unsigned compressors[] = {0, LZV_FILTER_DEFLATE, LZV_FILTER_ZSTD, LZV_FILTER_BLOSC};
    unsigned comp = compressors[(data[0] >> 1) & 3];
    if (comp == LZV_FILTER_ZSTD && (data[0] & 0x40))
        comp = LZV_FILTER_LZ4;
    if (comp)
        p.f[p.n++] = (lzv_filter){.id = comp, .ncd = 1, .cd = {4}};
    if (fletcher && !first)
        p.f[p.n++] = (lzv_filter){.id = LZV_FILTER_FLETCHER32};
    if (lzv_pipeline_prepare(&p))
        return 0; /* a compressor this build does not have */
    const uint8_t *raw = data + 4;
    size_t n = size - 4;
    unsigned char *a = malloc(p.chunk_bytes), *b = malloc(p.chunk_bytes);
    char why_a[LZV_FILTER_WHY] = "", why_b[LZV_FILTER_WHY] = "";
    int sa = decode_into(&p, raw, n, true, a, why_a), sb = decode_into(&p, raw, n, false, b, why_b);
    if (sa != sb || (sa == 0 && memcmp(a, b, p.chunk_bytes) != 0))
        abort();
    if (sa != 0 && (!why_a[0] || !why_b[0] || strcmp(why_a, why_b) != 0))
        abort();
    if (sa == 0 && p.n == 1 && comp == LZV_FILTER_DEFLATE) {
        /* zlib agrees: the stream inflates to exactly the chunk. */
        z_stream z;
        memset(&z, 0, sizeof z);
        unsigned char *c = malloc(p.chunk_bytes + 1);
        if (inflateInit(&z) != Z_OK)
            abort();
        z.next_in = (unsigned char *)raw;
        z.avail_in = (uInt)n;
        z.next_out = c;
        z.avail_out = (uInt)p.chunk_bytes + 1;
        int zs = inflate(&z, Z_FINISH);
        if (zs != Z_STREAM_END || z.total_out != p.chunk_bytes || memcmp(c, a, p.chunk_bytes) != 0)
            abort();
        inflateEnd(&z);
        free(c);
    }
    if (getenv("H5LAZY_FUZZ_DEBUG"))
        fprintf(stderr, "pipeline of %d filters, %zu stored bytes -> %s%s\n", p.n, n, sa ? "error: " : "decoded",
                sa ? why_a : "");
    free(a);
    free(b);
    return 0;
}
