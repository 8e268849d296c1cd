/* limit.c — the benchmark's limit for compressed sources (issue 12): what
 * reading them can cost at best on N threads, with no arithmetic at all.
 *
 *   limit [--threads N] [--region T0:T1,Y0:Y1] [--write OUT.h5 --gzip L [--shuffle]]
 *         FILE:DATASET...
 *
 * The chunks of every dataset (shuffle and/or deflate, as the compressed
 * variant stores them) are walked as floor.c walks them; this thread reads
 * each position's chunks raw (H5Dread_chunk) and hands them to N - 1
 * workers and itself, which inflate them with libdeflate (the library the
 * connector uses) and unshuffle them. With --write the first dataset's
 * decoded chunk is also shuffled and deflated at level L and written raw
 * (H5Dwrite_chunk) to OUT.h5:/out: the same bytes a program storing one
 * result per position would write. One slot per thread is in flight, as
 * in the connector. Prints measure.h's JSON line. Meant to run natively.
 */
#include "measure.h"

#include <hdf5.h>
#include <libdeflate.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#define MAX_SOURCES 8
#define MAX_THREADS 64

typedef struct {
    hid_t file, dset;
    size_t esize;  /* element size */
    int shuffle;   /* stored shuffled */
    int deflate;   /* stored deflated */
} source;

typedef struct slot {
    unsigned char *raw[MAX_SOURCES];   /* stored chunks */
    size_t raw_bytes[MAX_SOURCES];
    unsigned char *out[MAX_SOURCES];   /* decoded chunks */
    unsigned char *tmp;                /* inflated, still shuffled */
    unsigned char *enc;                /* the encoded output chunk */
    size_t enc_bytes;
    hsize_t pos[H5S_MAX_RANK];         /* the chunk position */
    int state;                         /* 0 free, 1 queued, 2 running, 3 done */
    struct libdeflate_decompressor *d; /* per slot: one thread at a time */
    struct libdeflate_compressor *c;
} slot;

static source src[MAX_SOURCES];
static int nsrc, level = -1, shuffle_out;
static size_t chunk_bytes, enc_cap;
static slot *slots;
static int nslots;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t work = PTHREAD_COND_INITIALIZER, done = PTHREAD_COND_INITIALIZER;
static int stop;

static void
die(const char *what)
{
    fprintf(stderr, "limit: %s\n", what);
    exit(1);
}

/* Byte planes back into elements; 4-byte elements 16 at a time with SSE2
 * unpacks, as the connector does (a limit slower than the connector's own
 * decoding would flatter it). */
static void
unshuffle(const unsigned char *in, unsigned char *out, size_t bytes, size_t size)
{
    size_t n = bytes / size, e0 = 0;
#if defined(__SSE2__)
    if (size == 4) {
        for (; e0 + 16 <= n; e0 += 16) {
            __m128i a = _mm_loadu_si128((const __m128i *)(in + e0)), b = _mm_loadu_si128((const __m128i *)(in + n + e0));
            __m128i c = _mm_loadu_si128((const __m128i *)(in + 2 * n + e0));
            __m128i d = _mm_loadu_si128((const __m128i *)(in + 3 * n + e0));
            __m128i ab0 = _mm_unpacklo_epi8(a, b), ab1 = _mm_unpackhi_epi8(a, b);
            __m128i cd0 = _mm_unpacklo_epi8(c, d), cd1 = _mm_unpackhi_epi8(c, d);
            __m128i *o = (__m128i *)(out + 4 * e0);
            _mm_storeu_si128(o, _mm_unpacklo_epi16(ab0, cd0));
            _mm_storeu_si128(o + 1, _mm_unpackhi_epi16(ab0, cd0));
            _mm_storeu_si128(o + 2, _mm_unpacklo_epi16(ab1, cd1));
            _mm_storeu_si128(o + 3, _mm_unpackhi_epi16(ab1, cd1));
        }
    }
#endif
    for (size_t k = 0; k < size; k++)
        for (size_t e = e0; e < n; e++)
            out[e * size + k] = in[k * n + e];
    memcpy(out + n * size, in + n * size, bytes - n * size);
}

static void
shuffle(const unsigned char *in, unsigned char *out, size_t bytes, size_t size)
{
    size_t n = bytes / size;
    for (size_t k = 0; k < size; k++)
        for (size_t e = 0; e < n; e++)
            out[k * n + e] = in[e * size + k];
    memcpy(out + n * size, in + n * size, bytes - n * size);
}

static void
decode(slot *s)
{
    for (int i = 0; i < nsrc; i++) {
        unsigned char *to = src[i].shuffle ? s->tmp : s->out[i];
        if (src[i].deflate) {
            if (libdeflate_zlib_decompress(s->d, s->raw[i], s->raw_bytes[i], to, chunk_bytes, NULL))
                die("a chunk does not inflate");
        } else {
            memcpy(to, s->raw[i], chunk_bytes);
        }
        if (src[i].shuffle)
            unshuffle(s->tmp, s->out[i], chunk_bytes, src[i].esize);
    }
    if (level >= 0) {
        const unsigned char *from = s->out[0];
        if (shuffle_out) {
            shuffle(s->out[0], s->tmp, chunk_bytes, src[0].esize);
            from = s->tmp;
        }
        s->enc_bytes = libdeflate_zlib_compress(s->c, from, chunk_bytes, s->enc, enc_cap);
    }
}

/* Run queued slots until `want` is done (want NULL: forever, a worker). */
static void *
run(void *want)
{
    pthread_mutex_lock(&lock);
    for (;;) {
        if (want && ((slot *)want)->state != 1 && ((slot *)want)->state != 2)
            break;
        if (!want && stop)
            break;
        slot *s = NULL;
        for (int i = 0; i < nslots && !s; i++)
            if (slots[i].state == 1)
                s = &slots[i];
        if (!s) {
            pthread_cond_wait(want ? &done : &work, &lock);
            continue;
        }
        s->state = 2;
        pthread_mutex_unlock(&lock);
        decode(s);
        pthread_mutex_lock(&lock);
        s->state = 3;
        pthread_cond_broadcast(&done);
    }
    pthread_mutex_unlock(&lock);
    return NULL;
}

static void
parse_region(const char *text, int rank, hsize_t *lo, hsize_t *hi)
{
    for (int k = 0; k < rank && *text; k++) {
        unsigned long long a, b;
        int used;
        if (sscanf(text, "%llu:%llu%n", &a, &b, &used) != 2 || a >= b || b > hi[k])
            die("bad --region");
        lo[k] = a;
        hi[k] = b;
        text += used + (text[used] == ',');
    }
}

static void
read_raw(source *s, const hsize_t *pos, unsigned char **buf, size_t *bytes, size_t *cap)
{
    hsize_t size = 0;
    if (H5Dget_chunk_storage_size(s->dset, pos, &size) < 0 || size == 0)
        die("a chunk is not stored");
    if (size > *cap) {
        free(*buf);
        if (!(*buf = malloc(size)))
            die("out of memory");
        *cap = size;
    }
    uint32_t filters = 0;
#if H5_VERSION_GE(2, 0, 0)
    size_t got = *cap;
    if (H5Dread_chunk2(s->dset, H5P_DEFAULT, pos, &filters, *buf, &got) < 0)
#else
    if (H5Dread_chunk(s->dset, H5P_DEFAULT, pos, &filters, *buf) < 0)
#endif
        die("a raw chunk read failed");
    if (filters)
        die("a chunk skips a filter");
    *bytes = size;
}

int
main(int argc, char **argv)
{
    const char *region = NULL, *out_path = NULL;
    int threads = 1, first = 1;
    for (; first < argc && argv[first][0] == '-'; first++) {
        if (!strcmp(argv[first], "--shuffle")) {
            shuffle_out = 1;
            continue;
        }
        if (first + 1 >= argc)
            die("an option needs a value");
        const char *v = argv[++first];
        if (!strcmp(argv[first - 1], "--threads"))
            threads = atoi(v);
        else if (!strcmp(argv[first - 1], "--region"))
            region = v;
        else if (!strcmp(argv[first - 1], "--write"))
            out_path = v;
        else if (!strcmp(argv[first - 1], "--gzip"))
            level = atoi(v);
        else
            die("usage: limit [--threads N] [--region T0:T1,Y0:Y1] [--write OUT.h5 --gzip L [--shuffle]] "
                "FILE:DATASET...");
    }
    nsrc = argc - first;
    if (nsrc < 1 || nsrc > MAX_SOURCES || threads < 1 || threads > MAX_THREADS || (out_path && level < 0))
        die("give 1 to 8 FILE:DATASET arguments, 1 to 64 threads, and --gzip with --write");
    if (H5open() < 0)
        die("cannot initialise HDF5");
    bench_mark began = bench_now();
    int rank = 0;
    hsize_t dims[H5S_MAX_RANK], chunk[H5S_MAX_RANK], lo[H5S_MAX_RANK], hi[H5S_MAX_RANK];
    for (int i = 0; i < nsrc; i++) {
        char path[4096];
        snprintf(path, sizeof path, "%s", argv[first + i]);
        char *colon = strrchr(path, ':');
        if (!colon)
            die("arguments are FILE:DATASET");
        *colon = '\0';
        source *s = &src[i];
        if ((s->file = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT)) < 0 ||
            (s->dset = H5Dopen2(s->file, colon + 1, H5P_DEFAULT)) < 0)
            die("cannot open a source");
        hid_t type = H5Dget_type(s->dset), dcpl = H5Dget_create_plist(s->dset);
        s->esize = H5Tget_size(type);
        H5Tclose(type);
        if (i == 0) {
            hid_t space = H5Dget_space(s->dset);
            rank = H5Sget_simple_extent_dims(space, dims, NULL);
            H5Sclose(space);
            if (H5Pget_layout(dcpl) != H5D_CHUNKED || H5Pget_chunk(dcpl, rank, chunk) != rank)
                die("the sources must be chunked");
            for (int k = 0; k < rank; k++) {
                lo[k] = 0;
                hi[k] = dims[k];
            }
            if (region)
                parse_region(region, rank, lo, hi);
        }
        for (int f = 0; f < H5Pget_nfilters(dcpl); f++) {
            unsigned flags, cd[8];
            size_t ncd = 8;
            H5Z_filter_t id = H5Pget_filter2(dcpl, (unsigned)f, &flags, &ncd, cd, 0, NULL, NULL);
            if (id == H5Z_FILTER_SHUFFLE)
                s->shuffle = 1;
            else if (id == H5Z_FILTER_DEFLATE)
                s->deflate = 1;
            else
                die("only shuffle and deflate are decoded here");
        }
        H5Pclose(dcpl);
    }
    chunk_bytes = src[0].esize;
    for (int k = 0; k < rank; k++)
        chunk_bytes *= chunk[k];

    hid_t out_file = -1, out_dset = -1;
    if (out_path) {
        hid_t dcpl = H5Pcreate(H5P_DATASET_CREATE), space = H5Screate_simple(rank, dims, NULL);
        H5Pset_chunk(dcpl, rank, chunk);
        if (shuffle_out)
            H5Pset_shuffle(dcpl);
        H5Pset_deflate(dcpl, (unsigned)level);
        hid_t type = H5Dget_type(src[0].dset);
        if ((out_file = H5Fcreate(out_path, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT)) < 0 ||
            (out_dset = H5Dcreate2(out_file, "out", type, space, H5P_DEFAULT, dcpl, H5P_DEFAULT)) < 0)
            die("cannot create the output");
        H5Tclose(type);
        H5Sclose(space);
        H5Pclose(dcpl);
    }

    nslots = threads;
    slots = calloc((size_t)nslots, sizeof *slots);
    size_t raw_cap[MAX_THREADS][MAX_SOURCES] = {{0}};
    enc_cap = libdeflate_zlib_compress_bound(NULL, chunk_bytes);
    for (int j = 0; j < nslots; j++) {
        slot *s = &slots[j];
        s->tmp = malloc(chunk_bytes);
        s->d = libdeflate_alloc_decompressor();
        if (level >= 0) {
            s->enc = malloc(enc_cap);
            s->c = libdeflate_alloc_compressor(level);
        }
        for (int i = 0; i < nsrc; i++)
            s->out[i] = malloc(chunk_bytes);
    }
    pthread_t workers[MAX_THREADS];
    for (int t = 0; t < threads - 1; t++)
        pthread_create(&workers[t], NULL, run, NULL);

    hsize_t pos[H5S_MAX_RANK];
    for (int k = 0; k < rank; k++)
        pos[k] = lo[k] / chunk[k] * chunk[k];
    for (int next = 0;; next = (next + 1) % nslots) {
        slot *s = &slots[next];
        run(s); /* free it: decode meanwhile */
        if (s->state == 3 && out_path &&
            H5Dwrite_chunk(out_dset, H5P_DEFAULT, 0, s->pos, s->enc_bytes, s->enc) < 0)
            die("write failed");
        memcpy(s->pos, pos, sizeof pos);
        for (int i = 0; i < nsrc; i++)
            read_raw(&src[i], pos, &s->raw[i], &s->raw_bytes[i], &raw_cap[next][i]);
        pthread_mutex_lock(&lock);
        s->state = 1;
        pthread_cond_signal(&work);
        pthread_mutex_unlock(&lock);
        int k = rank - 1;
        for (; k >= 0; k--) {
            pos[k] += chunk[k];
            if (pos[k] < hi[k])
                break;
            pos[k] = lo[k] / chunk[k] * chunk[k];
        }
        if (k < 0)
            break;
    }
    for (int j = 0; j < nslots; j++) {
        slot *s = &slots[(j + 1) % nslots];
        run(s);
        if (s->state == 3 && out_path &&
            H5Dwrite_chunk(out_dset, H5P_DEFAULT, 0, s->pos, s->enc_bytes, s->enc) < 0)
            die("write failed");
        s->state = 0;
    }
    pthread_mutex_lock(&lock);
    stop = 1;
    pthread_cond_broadcast(&work);
    pthread_mutex_unlock(&lock);
    for (int t = 0; t < threads - 1; t++)
        pthread_join(workers[t], NULL);
    if (out_path) {
        H5Dclose(out_dset);
        H5Fclose(out_file);
    }
    for (int i = 0; i < nsrc; i++) {
        H5Dclose(src[i].dset);
        H5Fclose(src[i].file);
    }
    bench_report(began, bench_now());
    return 0;
}
