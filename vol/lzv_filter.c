/* lzv_filter.c — decoding and encoding HDF5 filter pipelines (see
 * lzv_filter.h): the pipeline's stages and sizes, the decode driver, and
 * the byte-level filters (shuffle, fletcher32). The compressors are in
 * lzv_codecs.c.
 *
 * How a decode goes: the stored chunk is undone filter by filter, last
 * (on write) first. fletcher32 checks the bytes where they are and drops
 * its 4; every other stage writes its output, of the size the stage
 * before it on write had, into the other of two buffers (the stored
 * chunk's and a spare), or into `out` when it is the last one: a pipeline
 * of any length needs two buffers.
 */
#include "lzv_filter.h"

#include "lzv_codecs.h"

#include <stdio.h>
#include <string.h>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

bool
lzv_filter_known(unsigned id)
{
    switch (id) {
    case LZV_FILTER_DEFLATE:
    case LZV_FILTER_SHUFFLE:
    case LZV_FILTER_FLETCHER32:
        return true;
    default:
        return lzv_codec_available(id);
    }
}

const char *
lzv_pipeline_prepare(lzv_pipeline *p)
{
    if (p->n < 0 || p->n > LZV_PIPELINE_MAX)
        return "the pipeline has more filters than h5lazy decodes";
    if (p->chunk_bytes == 0 || p->chunk_bytes > UINT32_MAX)
        return "the chunk size is outside what HDF5 stores"; /* HDF5 chunks are < 4 GiB */
    size_t bytes = p->chunk_bytes;
    bool known_size = true; /* the size entering filter i on write is known */
    for (int i = 0; i < p->n; i++) {
        const lzv_filter *f = &p->f[i];
        if (!lzv_filter_known(f->id))
            return "a filter is not decoded by h5lazy";
        /* Decoding a filter makes its input on write: that size must be
         * known, except for fletcher32, which only checks and drops. */
        if (!known_size && f->id != LZV_FILTER_FLETCHER32)
            return "a filter follows a compressor: its input size is not known";
        p->stage_bytes[i] = known_size ? bytes : 0;
        switch (f->id) {
        case LZV_FILTER_SHUFFLE:
            if (f->ncd < 1 || f->cd[0] == 0)
                return "shuffle without an element size";
            break;
        case LZV_FILTER_FLETCHER32:
            bytes += known_size ? 4 : 0;
            break;
        default: /* a compressor: its output size is the stored chunk's */
            if (!lzv_codec_params_ok(f))
                return "a compressor's parameters are not ones h5lazy decodes";
            known_size = false;
            break;
        }
    }
    return NULL;
}

void
lzv_pipeline_buffers(const lzv_pipeline *p, size_t raw_bytes, bool to_out, size_t bytes[2])
{
    /* The decode's walk (lzv_pipeline_decode), recording what lands where. */
    bytes[0] = raw_bytes;
    bytes[1] = 0;
    int cur = 0, left = 0;
    for (int i = 0; i < p->n; i++)
        left += p->f[i].id != LZV_FILTER_FLETCHER32;
    for (int i = p->n - 1; i >= 0; i--) {
        if (p->f[i].id == LZV_FILTER_FLETCHER32)
            continue;
        if (--left == 0 && to_out && p->stage_bytes[i] == p->chunk_bytes)
            break;
        cur ^= 1;
        bytes[cur] = p->stage_bytes[i] > bytes[cur] ? p->stage_bytes[i] : bytes[cur];
    }
}

void
lzv_codec_init(lzv_codec *c)
{
    memset(c, 0, sizeof *c);
}

void
lzv_codec_destroy(lzv_codec *c)
{
    lzv_codec_release(c);
    memset(c, 0, sizeof *c);
}

/* ---- fletcher32 and shuffle -------------------------------------------------------- */

uint32_t
lzv_fletcher32(const unsigned char *data, size_t len)
{
    /* Sums of big-endian 16-bit words, folded to 16 bits every 360 words
     * (the most that cannot overflow 32 bits), then a trailing odd byte as
     * the high half of a word; sums start at 0 (HDF5's variant). */
    uint32_t sum1 = 0, sum2 = 0;
    size_t words = len / 2;
    while (words) {
        size_t block = words > 360 ? 360 : words;
        words -= block;
        for (size_t i = 0; i < block; i++, data += 2) {
            sum1 += ((uint32_t)data[0] << 8) | data[1];
            sum2 += sum1;
        }
        sum1 = (sum1 & 0xffff) + (sum1 >> 16);
        sum2 = (sum2 & 0xffff) + (sum2 >> 16);
    }
    if (len % 2) {
        sum1 += (uint32_t)data[0] << 8;
        sum2 += sum1;
        sum1 = (sum1 & 0xffff) + (sum1 >> 16);
        sum2 = (sum2 & 0xffff) + (sum2 >> 16);
    }
    sum1 = (sum1 & 0xffff) + (sum1 >> 16);
    sum2 = (sum2 & 0xffff) + (sum2 >> 16);
    return (sum2 << 16) | sum1;
}

/* Verify the checksum in the last 4 bytes of data[0..bytes). HDF5 stores
 * it little-endian and also accepts the value with the bytes of each half
 * swapped (files of HDF5 before 1.6.3). */
static int
fletcher32_check(const unsigned char *data, size_t bytes, char *why)
{
    if (bytes < 4) {
        snprintf(why, LZV_FILTER_WHY, "the chunk is too short to hold its fletcher32 checksum (%zu bytes)", bytes);
        return -1;
    }
    const unsigned char *s = data + bytes - 4;
    uint32_t stored = (uint32_t)s[0] | (uint32_t)s[1] << 8 | (uint32_t)s[2] << 16 | (uint32_t)s[3] << 24;
    uint32_t sum = lzv_fletcher32(data, bytes - 4);
    uint32_t swapped = ((sum & 0x00ff00ffu) << 8) | ((sum >> 8) & 0x00ff00ffu);
    if (stored != sum && stored != swapped) {
        snprintf(why, LZV_FILTER_WHY,
                 "data error detected by the fletcher32 checksum (stored 0x%08x, computed 0x%08x)", stored, sum);
        return -1;
    }
    return 0;
}

void
lzv_unshuffle(const unsigned char *in, unsigned char *out, size_t bytes, size_t size)
{
    size_t n = size ? bytes / size : 0;
    /* HDF5 leaves 1-byte elements and single elements as they are. */
    if (size <= 1 || n <= 1) {
        memmove(out, in, bytes);
        return;
    }
    size_t i = 0;
#if defined(__SSE2__)
    /* Byte planes interleaved 16 elements at a time by unpacking: the
     * loop HDF5 runs a byte at a time was a fifth of a decode. */
    if (size == 4) {
        const unsigned char *s0 = in, *s1 = in + n, *s2 = in + 2 * n, *s3 = in + 3 * n;
        for (; i + 16 <= n; i += 16) {
            __m128i a = _mm_loadu_si128((const __m128i *)(s0 + i)), b = _mm_loadu_si128((const __m128i *)(s1 + i));
            __m128i c = _mm_loadu_si128((const __m128i *)(s2 + i)), d = _mm_loadu_si128((const __m128i *)(s3 + i));
            __m128i ab0 = _mm_unpacklo_epi8(a, b), ab1 = _mm_unpackhi_epi8(a, b);
            __m128i cd0 = _mm_unpacklo_epi8(c, d), cd1 = _mm_unpackhi_epi8(c, d);
            __m128i *o = (__m128i *)(out + 4 * i);
            _mm_storeu_si128(o, _mm_unpacklo_epi16(ab0, cd0));
            _mm_storeu_si128(o + 1, _mm_unpackhi_epi16(ab0, cd0));
            _mm_storeu_si128(o + 2, _mm_unpacklo_epi16(ab1, cd1));
            _mm_storeu_si128(o + 3, _mm_unpackhi_epi16(ab1, cd1));
        }
    } else if (size == 8) {
        const unsigned char *s = in;
        for (; i + 16 <= n; i += 16) {
            __m128i v[8];
            for (int k = 0; k < 8; k++)
                v[k] = _mm_loadu_si128((const __m128i *)(s + (size_t)k * n + i));
            __m128i p[8], q[8];
            for (int k = 0; k < 4; k++) { /* byte pairs of planes 2k, 2k+1 */
                p[2 * k] = _mm_unpacklo_epi8(v[2 * k], v[2 * k + 1]);
                p[2 * k + 1] = _mm_unpackhi_epi8(v[2 * k], v[2 * k + 1]);
            }
            for (int k = 0; k < 2; k++) { /* 4-byte groups of planes 4k..4k+3 */
                q[4 * k] = _mm_unpacklo_epi16(p[4 * k], p[4 * k + 2]);
                q[4 * k + 1] = _mm_unpackhi_epi16(p[4 * k], p[4 * k + 2]);
                q[4 * k + 2] = _mm_unpacklo_epi16(p[4 * k + 1], p[4 * k + 3]);
                q[4 * k + 3] = _mm_unpackhi_epi16(p[4 * k + 1], p[4 * k + 3]);
            }
            __m128i *o = (__m128i *)(out + 8 * i);
            for (int k = 0; k < 4; k++) { /* whole elements: low and high 4 bytes */
                _mm_storeu_si128(o + 2 * k, _mm_unpacklo_epi32(q[k], q[4 + k]));
                _mm_storeu_si128(o + 2 * k + 1, _mm_unpackhi_epi32(q[k], q[4 + k]));
            }
        }
    } else if (size == 2) {
        const unsigned char *s0 = in, *s1 = in + n;
        for (; i + 16 <= n; i += 16) {
            __m128i a = _mm_loadu_si128((const __m128i *)(s0 + i)), b = _mm_loadu_si128((const __m128i *)(s1 + i));
            _mm_storeu_si128((__m128i *)(out + 2 * i), _mm_unpacklo_epi8(a, b));
            _mm_storeu_si128((__m128i *)(out + 2 * i + 16), _mm_unpackhi_epi8(a, b));
        }
    }
#endif
    for (size_t k = 0; k < size; k++) {
        const unsigned char *plane = in + k * n;
        for (size_t e = i; e < n; e++)
            out[e * size + k] = plane[e];
    }
    /* Bytes past the last whole element stay where they were. */
    memmove(out + n * size, in + n * size, bytes - n * size);
}

void
lzv_shuffle(const unsigned char *in, unsigned char *out, size_t bytes, size_t size)
{
    size_t n = size ? bytes / size : 0;
    if (size <= 1 || n <= 1) {
        memmove(out, in, bytes);
        return;
    }
    for (size_t k = 0; k < size; k++) {
        unsigned char *plane = out + k * n;
        for (size_t e = 0; e < n; e++)
            plane[e] = in[e * size + k];
    }
    memmove(out + n * size, in + n * size, bytes - n * size);
}

/* ---- decoding ----------------------------------------------------------------------- */

/* The number of stages from filter i down to 0 that write a new buffer
 * (all but fletcher32). */
static int
copying_stages(const lzv_pipeline *p, int i)
{
    int n = 0;
    for (; i >= 0; i--)
        n += p->f[i].id != LZV_FILTER_FLETCHER32;
    return n;
}

int
lzv_pipeline_decode(const lzv_pipeline *p, lzv_codec *c, unsigned char *const bufs[2], size_t raw_bytes,
                    void *out, unsigned char **result, char why[LZV_FILTER_WHY])
{
    unsigned char *cur = bufs[0];
    size_t cur_bytes = raw_bytes;
    int in = 0; /* which of bufs holds cur, while one does */
    for (int i = p->n - 1; i >= 0; i--) {
        const lzv_filter *f = &p->f[i];
        size_t want = p->stage_bytes[i];
        if (f->id == LZV_FILTER_FLETCHER32) {
            if (cur_bytes < 4) {
                snprintf(why, LZV_FILTER_WHY, "the chunk is too short to hold its fletcher32 checksum (%zu bytes)",
                         cur_bytes);
                return -1;
            }
            if (p->verify && fletcher32_check(cur, cur_bytes, why) < 0)
                return -1;
            cur_bytes -= 4;
            continue;
        }
        /* The last copying stage writes straight into `out`, unless a
         * fletcher32 applied before it on write still has 4 bytes to drop. */
        bool last = copying_stages(p, i) == 1 && want == p->chunk_bytes;
        unsigned char *dst = out && last ? out : bufs[in ^ 1];
        if (f->id == LZV_FILTER_SHUFFLE) {
            if (cur_bytes != want) {
                snprintf(why, LZV_FILTER_WHY, "the data to unshuffle has %zu bytes, not the %zu expected", cur_bytes,
                         want);
                return -1;
            }
            lzv_unshuffle(cur, dst, want, f->cd[0]);
        } else if (lzv_codec_decode(c, f, cur, cur_bytes, dst, want, why) < 0) {
            return -1;
        }
        cur = dst;
        cur_bytes = want;
        in ^= 1;
    }
    if (cur_bytes != p->chunk_bytes) { /* only fletcher32 in the pipeline, or none */
        snprintf(why, LZV_FILTER_WHY, "the stored chunk holds %zu bytes of data, not the chunk's %zu", cur_bytes,
                 p->chunk_bytes);
        return -1;
    }
    if (out && cur != out)
        memcpy(out, cur, cur_bytes);
    if (!out)
        *result = cur;
    return 0;
}

/* ---- encoding ----------------------------------------------------------------------- */

size_t
lzv_encode_bound(const lzv_encoding *e, size_t bytes)
{
    return e->level >= 0 ? lzv_deflate_bound(bytes) : bytes;
}

size_t
lzv_encode(const lzv_encoding *e, void **compressor, const void *in, size_t bytes, void *scratch, void *out)
{
    const void *src = in;
    if (e->shuffle) {
        lzv_shuffle(in, e->level >= 0 ? scratch : out, bytes, e->type_size);
        if (e->level < 0)
            return bytes;
        src = scratch;
    }
    if (e->level < 0) {
        memcpy(out, in, bytes);
        return bytes;
    }
    return lzv_deflate_encode(compressor, e->level, src, bytes, out, lzv_deflate_bound(bytes));
}

void
lzv_encode_free(void *compressor)
{
    lzv_deflate_encoder_free(compressor);
}
