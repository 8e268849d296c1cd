/* test_filter.c — the filter pipelines h5lazy decodes itself (vol/lzv_filter.c,
 * lzv_codecs.c) and the worker queue that runs them (lzv_workq.c), without
 * HDF5 (issue 12): round trips of every filter against independent
 * references (naive shuffle and fletcher32 written here, the compressors'
 * own libraries), every corruption the issue names giving an error and
 * never a wrong byte, and the queue under many small tasks (run under
 * ThreadSanitizer too). The bytes HDF5 itself writes and reads are
 * compared in tests/python/test_compressed.py. */
#include "cunit_run.h"
#include "lzv_filter.h"
#include "lzv_workq.h"

#include <CUnit/CUnit.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#ifdef H5LAZY_HAVE_ZSTD
#include <zstd.h>
#endif
#ifdef H5LAZY_HAVE_LZ4
#include <lz4.h>
#endif
#ifdef H5LAZY_HAVE_BLOSC
#include <blosc.h>
#endif
#ifdef H5LAZY_HAVE_SZIP
#include <szlib.h>
#endif

/* Smooth-ish test data: `n` bytes of float32 ramps with a little noise. */
static unsigned char *
sample(size_t n, unsigned seed)
{
    unsigned char *p = malloc(n ? n : 1);
    uint32_t x = seed * 2654435761u + 1;
    for (size_t i = 0; i < n; i++) {
        x = x * 1103515245u + 12345u;
        p[i] = (unsigned char)((i % 4 == 3) ? (x >> 28) : (i / 64) & 0xff);
    }
    return p;
}

/* ---- shuffle and fletcher32 against naive references ----------------------------- */

static void
naive_shuffle(const unsigned char *in, unsigned char *out, size_t bytes, size_t size)
{
    size_t n = bytes / size;
    memcpy(out, in, bytes);
    if (size <= 1 || n <= 1)
        return;
    for (size_t e = 0; e < n; e++)
        for (size_t k = 0; k < size; k++)
            out[k * n + e] = in[e * size + k];
}

static void
test_shuffle_matches_reference(void)
{
    static const size_t sizes[] = {1, 2, 3, 4, 5, 8, 16};
    static const size_t lengths[] = {0, 1, 7, 16, 31, 64, 65, 100, 4099};
    for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++) {
        for (size_t l = 0; l < sizeof lengths / sizeof lengths[0]; l++) {
            size_t bytes = lengths[l] * sizes[s] + (l % 3); /* leftover bytes too */
            unsigned char *in = sample(bytes, (unsigned)(s * 31 + l));
            unsigned char *ref = malloc(bytes + 1), *got = malloc(bytes + 1), *back = malloc(bytes + 1);
            naive_shuffle(in, ref, bytes, sizes[s]);
            lzv_shuffle(in, got, bytes, sizes[s]);
            CU_ASSERT_EQUAL(memcmp(ref, got, bytes), 0);
            lzv_unshuffle(ref, back, bytes, sizes[s]);
            CU_ASSERT_EQUAL(memcmp(in, back, bytes), 0);
            free(in);
            free(ref);
            free(got);
            free(back);
        }
    }
}

/* Fletcher's sums of big-endian 16-bit words modulo 65535, HDF5's way:
 * a trailing odd byte is the high half of a word. */
static uint32_t
naive_fletcher32(const unsigned char *p, size_t len)
{
    uint64_t s1 = 0, s2 = 0;
    for (size_t i = 0; i + 1 < len; i += 2) {
        s1 = (s1 + ((unsigned)p[i] << 8 | p[i + 1])) % 65535;
        s2 = (s2 + s1) % 65535;
    }
    if (len % 2) {
        s1 = (s1 + ((unsigned)p[len - 1] << 8)) % 65535;
        s2 = (s2 + s1) % 65535;
    }
    return (uint32_t)(s2 << 16 | s1);
}

static void
test_fletcher32_matches_reference(void)
{
    /* The folded sums equal the modular ones except that 0 may show as
     * 0xffff: the data here keeps the sums away from 0. */
    static const size_t lengths[] = {1, 2, 3, 719, 720, 721, 4096, 100001};
    for (size_t l = 0; l < sizeof lengths / sizeof lengths[0]; l++) {
        unsigned char *p = sample(lengths[l], (unsigned)l + 7);
        p[0] |= 1;
        CU_ASSERT_EQUAL(lzv_fletcher32(p, lengths[l]), naive_fletcher32(p, lengths[l]));
        free(p);
    }
}

/* ---- pipelines --------------------------------------------------------------------- */

static lzv_pipeline
pipeline(size_t chunk_bytes, int n, const unsigned *ids, const unsigned *cd0)
{
    lzv_pipeline p;
    memset(&p, 0, sizeof p);
    p.n = n;
    p.chunk_bytes = chunk_bytes;
    p.verify = true;
    for (int i = 0; i < n; i++) {
        p.f[i].id = ids[i];
        p.f[i].ncd = 1;
        p.f[i].cd[0] = cd0[i];
    }
    CU_ASSERT_PTR_NULL(lzv_pipeline_prepare(&p));
    return p;
}

/* Decode raw (raw_bytes) with p into a new chunk; 0 or -1 with why. Both
 * ways: into `out` and into the buffers. */
static int
decode(const lzv_pipeline *p, const unsigned char *raw, size_t raw_bytes, unsigned char *out, char *why)
{
    int st[2];
    unsigned char *chunk[2] = {out, NULL};
    for (int way = 0; way < 2; way++) {
        size_t sizes[2];
        lzv_pipeline_buffers(p, raw_bytes, way == 0, sizes);
        unsigned char *bufs[2] = {malloc(sizes[0] + 1), malloc(sizes[1] + 1)};
        memcpy(bufs[0], raw, raw_bytes);
        lzv_codec c;
        lzv_codec_init(&c);
        unsigned char *result = NULL;
        st[way] = lzv_pipeline_decode(p, &c, bufs, raw_bytes, way == 0 ? out : NULL, &result, why);
        if (way == 1 && st[way] == 0) {
            chunk[1] = malloc(p->chunk_bytes);
            memcpy(chunk[1], result, p->chunk_bytes);
        }
        lzv_codec_destroy(&c);
        free(bufs[0]);
        free(bufs[1]);
    }
    CU_ASSERT_EQUAL(st[0], st[1]);
    if (st[0] == 0 && st[1] == 0)
        CU_ASSERT_EQUAL(memcmp(chunk[0], chunk[1], p->chunk_bytes), 0);
    free(chunk[1]);
    return st[0];
}

/* The stored form of `data` through shuffle (size), deflate (level) and
 * fletcher32, as HDF5 writes it, made with zlib and the naive references. */
static unsigned char *
store(const unsigned char *data, size_t bytes, size_t size, int level, bool fletcher, size_t *stored)
{
    unsigned char *sh = malloc(bytes + 1);
    if (size)
        naive_shuffle(data, sh, bytes, size);
    else
        memcpy(sh, data, bytes);
    uLongf n = compressBound(bytes) + 4;
    unsigned char *out = malloc(n);
    if (level >= 0) {
        compress2(out, &n, sh, bytes, level);
    } else {
        memcpy(out, sh, bytes);
        n = bytes;
    }
    if (fletcher) {
        uint32_t sum = naive_fletcher32(out, n);
        for (int i = 0; i < 4; i++)
            out[n + (size_t)i] = (unsigned char)(sum >> (8 * i));
        n += 4;
    }
    free(sh);
    *stored = n;
    return out;
}

static void
test_deflate_shuffle_fletcher_round_trip(void)
{
    static const size_t sizes[] = {1, 2, 4, 8};
    for (size_t s = 0; s < 4; s++) {
        for (int mode = 0; mode < 6; mode++) {
            size_t bytes = 4096 * sizes[s] + (mode % 2 ? sizes[s] * 3 : 0);
            unsigned char *data = sample(bytes, (unsigned)(s + 10 * mode));
            bool shuffle = mode & 1, fletcher = mode >= 2;
            int level = mode == 4 ? -1 : mode == 5 ? 0 : 6;
            size_t stored;
            unsigned char *raw = store(data, bytes, shuffle ? sizes[s] : 0, level, fletcher, &stored);
            unsigned ids[3], cd[3];
            int n = 0;
            if (shuffle)
                ids[n] = LZV_FILTER_SHUFFLE, cd[n++] = (unsigned)sizes[s];
            if (level >= 0)
                ids[n] = LZV_FILTER_DEFLATE, cd[n++] = (unsigned)level;
            if (fletcher)
                ids[n] = LZV_FILTER_FLETCHER32, cd[n++] = 0;
            lzv_pipeline p = pipeline(bytes, n, ids, cd);
            unsigned char *out = malloc(bytes);
            char why[LZV_FILTER_WHY] = "";
            CU_ASSERT_EQUAL(decode(&p, raw, stored, out, why), 0);
            CU_ASSERT_EQUAL(memcmp(out, data, bytes), 0);
            free(out);
            free(raw);
            free(data);
        }
    }
}

static void
test_encode_is_what_zlib_reads(void)
{
    size_t bytes = 40000;
    unsigned char *data = sample(bytes, 3);
    for (int level = 0; level <= 9; level += 3) {
        lzv_encoding e = {.level = level, .shuffle = level % 2 == 0, .type_size = 4};
        unsigned char *out = malloc(lzv_encode_bound(&e, bytes)), *scratch = malloc(bytes);
        void *compressor = NULL;
        size_t n = lzv_encode(&e, &compressor, data, bytes, scratch, out);
        CU_ASSERT(n > 0);
        unsigned char *back = malloc(bytes), *plain = malloc(bytes);
        uLongf got = bytes;
        CU_ASSERT_EQUAL(uncompress(back, &got, out, n), Z_OK);
        CU_ASSERT_EQUAL(got, bytes);
        if (e.shuffle)
            lzv_unshuffle(back, plain, bytes, 4);
        else
            memcpy(plain, back, bytes);
        CU_ASSERT_EQUAL(memcmp(plain, data, bytes), 0);
        lzv_encode_free(compressor);
        free(out);
        free(scratch);
        free(back);
        free(plain);
    }
    free(data);
}

/* ---- corruption: an error, never a wrong chunk -------------------------------------- */

static void
expect_error(const lzv_pipeline *p, const unsigned char *raw, size_t raw_bytes, const char *cause)
{
    unsigned char *out = malloc(p->chunk_bytes);
    char why[LZV_FILTER_WHY] = "";
    CU_ASSERT_EQUAL(decode(p, raw, raw_bytes, out, why), -1);
    if (!strstr(why, cause))
        fprintf(stderr, "\n  cause '%s' does not say '%s'\n", why, cause);
    CU_ASSERT_PTR_NOT_NULL(strstr(why, cause));
    free(out);
}

static void
test_corrupt_deflate(void)
{
    size_t bytes = 8192;
    unsigned char *data = sample(bytes, 5);
    unsigned ids[] = {LZV_FILTER_SHUFFLE, LZV_FILTER_DEFLATE}, cd[] = {4, 6};
    lzv_pipeline p = pipeline(bytes, 2, ids, cd);
    size_t stored;
    unsigned char *raw = store(data, bytes, 4, 6, false, &stored);
    /* A flipped byte in the stream (the Adler-32 catches what decodes). */
    for (size_t at = 2; at < stored; at += stored / 7) {
        raw[at] ^= 0x5a;
        expect_error(&p, raw, stored, "the deflate stream "); /* corrupt, or inflating past */
        raw[at] ^= 0x5a;
    }
    /* Cut short, at every length down to nothing. */
    for (size_t cut = 0; cut < stored; cut += 1 + stored / 13)
        expect_error(&p, raw, cut, "deflate stream is corrupt or cut short");
    free(raw);
    /* A stream of more bytes than the chunk, and of fewer. */
    unsigned char *big = sample(2 * bytes, 6);
    raw = store(big, 2 * bytes, 0, 1, false, &stored);
    expect_error(&p, raw, stored, "inflates past the 8192 bytes expected");
    free(raw);
    raw = store(big, bytes / 2, 0, 1, false, &stored);
    expect_error(&p, raw, stored, "inflates to 4096 bytes, not the 8192 expected");
    free(raw);
    free(big);
    free(data);
}

static void
test_corrupt_fletcher32(void)
{
    size_t bytes = 1000;
    unsigned char *data = sample(bytes, 8);
    unsigned ids[] = {LZV_FILTER_DEFLATE, LZV_FILTER_FLETCHER32}, cd[] = {1, 0};
    lzv_pipeline p = pipeline(bytes, 2, ids, cd);
    size_t stored;
    unsigned char *raw = store(data, bytes, 0, 1, true, &stored);
    unsigned char *out = malloc(bytes);
    char why[LZV_FILTER_WHY];
    /* HDF5 also accepts the sum with the bytes of each half swapped
     * (files written before 1.6.3). */
    uint32_t sum = naive_fletcher32(raw, stored - 4);
    uint32_t swapped = ((sum & 0x00ff00ffu) << 8) | ((sum >> 8) & 0x00ff00ffu);
    for (int i = 0; i < 4; i++)
        raw[stored - 4 + (size_t)i] = (unsigned char)(swapped >> (8 * i));
    CU_ASSERT_EQUAL(decode(&p, raw, stored, out, why), 0);
    CU_ASSERT_EQUAL(memcmp(out, data, bytes), 0);
    raw[5] ^= 1; /* the data, not the sum */
    expect_error(&p, raw, stored, "data error detected by the fletcher32 checksum");
    raw[5] ^= 1;
    raw[stored - 1] ^= 0x80; /* the sum */
    expect_error(&p, raw, stored, "data error detected by the fletcher32 checksum");
    expect_error(&p, raw, 3, "too short to hold its fletcher32 checksum");
    /* Not verified when the transfer says so (H5Pset_edc_check). */
    p.verify = false;
    CU_ASSERT_EQUAL(decode(&p, raw, stored, out, why), 0);
    CU_ASSERT_EQUAL(memcmp(out, data, bytes), 0);
    /* fletcher32 alone: the data's size must be the chunk's. */
    unsigned id1[] = {LZV_FILTER_FLETCHER32}, cd1[] = {0};
    lzv_pipeline q = pipeline(bytes, 1, id1, cd1);
    free(raw);
    raw = store(data, bytes, 0, -1, true, &stored);
    CU_ASSERT_EQUAL(decode(&q, raw, stored, out, why), 0);
    CU_ASSERT_EQUAL(memcmp(out, data, bytes), 0);
    expect_error(&q, raw + 1, stored - 1, "data error detected by the fletcher32 checksum");
    free(raw);
    free(out);
    free(data);
}

static void
test_unknown_filters_are_left_to_hdf5(void)
{
    lzv_pipeline p;
    memset(&p, 0, sizeof p);
    p.chunk_bytes = 100;
    p.n = 1;
    p.f[0].id = 5; /* nbit */
    CU_ASSERT_PTR_NOT_NULL(lzv_pipeline_prepare(&p));
    p.f[0].id = 32000; /* lzf */
    CU_ASSERT_PTR_NOT_NULL(lzv_pipeline_prepare(&p));
    /* Two compressors: the second's input size is not known. */
    p.n = 2;
    p.f[0].id = p.f[1].id = LZV_FILTER_DEFLATE;
    CU_ASSERT_PTR_NOT_NULL(lzv_pipeline_prepare(&p));
    /* Shuffle without its element size. */
    p.n = 1;
    p.f[0].id = LZV_FILTER_SHUFFLE;
    p.f[0].ncd = 0;
    CU_ASSERT_PTR_NOT_NULL(lzv_pipeline_prepare(&p));
}

/* ---- the registered compressors, when built in ------------------------------------------- */

/* Round trip and every cut and flip of one compressor's stored chunk. */
static void
check_codec(unsigned id, const unsigned char *data, size_t bytes, unsigned char *raw, size_t stored)
{
    CU_ASSERT(lzv_filter_known(id));
    unsigned ids[] = {id}, cd[] = {0};
    lzv_pipeline p = pipeline(bytes, 1, ids, cd);
    unsigned char *out = malloc(bytes);
    char why[LZV_FILTER_WHY];
    CU_ASSERT_EQUAL(decode(&p, raw, stored, out, why), 0);
    CU_ASSERT_EQUAL(memcmp(out, data, bytes), 0);
    for (size_t cut = 0; cut < stored; cut += 1 + stored / 11) {
        int st = decode(&p, raw, cut, out, why);
        CU_ASSERT_EQUAL(st, -1);
    }
    /* Flips: an error, or (a codec without a checksum) the right size of
     * some bytes; never a crash, which is what this checks under ASan. */
    for (size_t at = 0; at < stored; at += 1 + stored / 17) {
        raw[at] ^= 0xa5;
        (void)decode(&p, raw, stored, out, why);
        raw[at] ^= 0xa5;
    }
    free(out);
}

static void
test_registered_codecs(void)
{
    size_t bytes = 30000;
    unsigned char *data = sample(bytes, 11);
    int tried = 0;
#ifdef H5LAZY_HAVE_ZSTD
    {
        size_t cap = ZSTD_compressBound(bytes);
        unsigned char *raw = malloc(cap);
        size_t n = ZSTD_compress(raw, cap, data, bytes, 3);
        check_codec(LZV_FILTER_ZSTD, data, bytes, raw, n);
        free(raw);
        tried++;
    }
#endif
#ifdef H5LAZY_HAVE_LZ4
    {
        /* HDF5's lz4 framing: sizes big-endian, blocks of 8000 bytes, the
         * last stored raw (its compressed size equals its size). */
        unsigned char *raw = malloc(bytes * 2 + 100);
        size_t at = 12, block = 8000;
        for (int i = 0; i < 8; i++)
            raw[i] = (unsigned char)((uint64_t)bytes >> (8 * (7 - i)));
        for (int i = 0; i < 4; i++)
            raw[8 + i] = (unsigned char)(block >> (8 * (3 - i)));
        for (size_t done = 0; done < bytes; done += block) {
            size_t len = bytes - done < block ? bytes - done : block;
            int c = done + len == bytes ? (int)len
                                        : LZ4_compress_default((const char *)data + done, (char *)raw + at + 4,
                                                               (int)len, (int)(bytes * 2));
            if (done + len == bytes)
                memcpy(raw + at + 4, data + done, len);
            for (int i = 0; i < 4; i++)
                raw[at + (size_t)i] = (unsigned char)((unsigned)c >> (8 * (3 - i)));
            at += 4 + (size_t)c;
        }
        check_codec(LZV_FILTER_LZ4, data, bytes, raw, at);
        free(raw);
        tried++;
    }
#endif
#ifdef H5LAZY_HAVE_BLOSC
    {
        unsigned char *raw = malloc(bytes + BLOSC_MAX_OVERHEAD);
        int n = blosc_compress_ctx(5, 1, 4, bytes, data, raw, bytes + BLOSC_MAX_OVERHEAD, "blosclz", 0, 1);
        CU_ASSERT(n > 0);
        check_codec(LZV_FILTER_BLOSC, data, bytes, raw, (size_t)n);
        free(raw);
        tried++;
    }
#endif
#ifdef H5LAZY_HAVE_SZIP
    {
        /* HDF5's szip framing: the decoded size in 4 bytes little-endian. */
        SZ_com_t param = {SZ_NN_OPTION_MASK | SZ_MSB_OPTION_MASK, 8, 32, 32 * 128};
        size_t cap = bytes * 2 + 64, n = cap - 4;
        unsigned char *raw = malloc(cap);
        CU_ASSERT_EQUAL(SZ_BufftoBuffCompress(raw + 4, &n, data, bytes, &param), SZ_OK);
        for (int i = 0; i < 4; i++)
            raw[i] = (unsigned char)(bytes >> (8 * i));
        unsigned ids[] = {LZV_FILTER_SZIP};
        lzv_pipeline p;
        memset(&p, 0, sizeof p);
        p.n = 1;
        p.chunk_bytes = bytes;
        p.verify = true;
        p.f[0].id = ids[0];
        p.f[0].ncd = 4;
        p.f[0].cd[0] = (unsigned)param.options_mask;
        p.f[0].cd[1] = (unsigned)param.bits_per_pixel;
        p.f[0].cd[2] = (unsigned)param.pixels_per_block;
        p.f[0].cd[3] = (unsigned)param.pixels_per_scanline;
        CU_ASSERT_PTR_NULL(lzv_pipeline_prepare(&p));
        unsigned char *out = malloc(bytes);
        char why[LZV_FILTER_WHY];
        CU_ASSERT_EQUAL(decode(&p, raw, n + 4, out, why), 0);
        CU_ASSERT_EQUAL(memcmp(out, data, bytes), 0);
        for (size_t cut = 0; cut < n + 4; cut += 1 + n / 11)
            (void)decode(&p, raw, cut, out, why);
        free(out);
        free(raw);
        tried++;
    }
#endif
    (void)tried;
    free(data);
}

/* ---- the worker queue ------------------------------------------------------------------ */

typedef struct count_task {
    lzv_task task;     /* must be first */
    int *cells;        /* shared array, one cell per task */
    int index;         /* this task's cell */
} count_task;

static void
count_run(lzv_task *t)
{
    count_task *c = (count_task *)t;
    c->cells[c->index] += c->index + 1;
}

static void
test_workq_runs_every_task_once(void)
{
    enum { N = 64, ROUNDS = 200 };
    int cells[N];
    count_task tasks[N];
    for (int threads = 1; threads <= 4; threads++) {
        lzv_workq *q = lzv_workq_shared(threads);
        CU_ASSERT((q == NULL) == (threads == 1));
        memset(cells, 0, sizeof cells);
        for (int i = 0; i < N; i++)
            tasks[i] = (count_task){.task = {.run = count_run}, .cells = cells, .index = i};
        for (int r = 0; r < ROUNDS; r++) {
            for (int i = 0; i < N; i++)
                lzv_workq_submit(q, &tasks[i].task);
            for (int i = N - 1; i >= 0; i--) /* waited for out of order */
                lzv_workq_wait(q, &tasks[i].task);
        }
        for (int i = 0; i < N; i++)
            CU_ASSERT_EQUAL(cells[i], ROUNDS * (i + 1));
    }
    lzv_workq_shutdown();
    CU_ASSERT(lzv_cpus_allowed() >= 1);
}

static void
add_suite(void)
{
    CU_pSuite s = CU_add_suite("filter", NULL, NULL);
    CU_add_test(s, "shuffle matches a naive reference", test_shuffle_matches_reference);
    CU_add_test(s, "fletcher32 matches a naive reference", test_fletcher32_matches_reference);
    CU_add_test(s, "deflate + shuffle + fletcher32 round trips", test_deflate_shuffle_fletcher_round_trip);
    CU_add_test(s, "encoded chunks are what zlib reads", test_encode_is_what_zlib_reads);
    CU_add_test(s, "corrupt deflate chunks are errors", test_corrupt_deflate);
    CU_add_test(s, "fletcher32 mismatches are errors", test_corrupt_fletcher32);
    CU_add_test(s, "unknown filters are left to HDF5", test_unknown_filters_are_left_to_hdf5);
    CU_add_test(s, "registered compressors round trip and fail cleanly", test_registered_codecs);
    CU_add_test(s, "the worker queue runs every task once", test_workq_runs_every_task_once);
}

/* One entry per suite (tests/CMakeLists.txt reads the CUNIT_SUITE lines). */
static const cunit_suite suites[] = {
    CUNIT_SUITE("filter", add_suite),
};

int
main(int argc, char **argv)
{
    return cunit_run(argc, argv, suites, sizeof suites / sizeof suites[0]);
}
