/* lzc_encode.c — compressed writes of `h5lazy save` and `h5lazy eval --to`:
 * each piece's chunks are encoded on worker threads (shuffle and deflate,
 * as HDF5's filters would: vol/lzv_filter.c) and written with direct chunk
 * writes (H5Dwrite_chunk) on this thread, in order. The dataset carries
 * the same filters in its creation list, so plain HDF5 reads it back.
 *
 * How it works: pieces are on the chunk grid (lzc_pieces). For every chunk
 * of a piece this thread takes the next of `threads` slots, writing the
 * chunk the slot held when it is done (lzv_workq_wait runs queued chunks
 * on this thread meanwhile), and hands the slot the new chunk: a worker
 * gathers the chunk's elements from the piece (edge chunks padded with
 * zeros, which no reader sees), encodes it and leaves it for writing.
 * Memory: per slot the chunk, its shuffled copy and the encoded bound,
 * the command's own besides the connector's budget.
 */
#include "lzc.h"

#include "lzv_filter.h"
#include "lzv_workq.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct enc_slot {
    lzv_task task;              /* queued to the workers; must be first */
    const lzc_encoder *e;       /* the encoder */
    const unsigned char *piece; /* the piece's buffer (dense, C order) */
    hsize_t pcount[H5S_MAX_RANK]; /* the piece's extent */
    hsize_t within[H5S_MAX_RANK]; /* the chunk's first element within the piece */
    hsize_t offset[H5S_MAX_RANK]; /* the chunk's first element in the dataset */
    unsigned char *chunk;       /* the gathered chunk */
    unsigned char *scratch;     /* its shuffled copy */
    unsigned char *out;         /* the encoded chunk */
    size_t out_bytes;           /* its size; 0 when encoding failed */
    void *compressor;           /* libdeflate compressor of whichever thread runs it */
    bool busy;                  /* holds a chunk not yet written */
} enc_slot;

struct lzc_encoder {
    lzv_encoding enc;            /* what to apply */
    int rank;                    /* the dataset's rank */
    hsize_t dims[H5S_MAX_RANK];  /* the dataset's extent */
    hsize_t chunk[H5S_MAX_RANK]; /* its chunk */
    size_t esize;                /* bytes per element */
    size_t chunk_bytes;          /* bytes of a chunk */
    lzv_workq *q;                /* NULL: encode on this thread */
    enc_slot *slots;             /* nslots of them */
    int nslots;                  /* chunks in flight at most: one per thread */
    int next;                    /* the slot the next chunk takes */
};

/* Gather the chunk from the piece, zero past the dataset's edge. */
static void
gather(enc_slot *s)
{
    const lzc_encoder *e = s->e;
    int rank = e->rank, last = rank - 1;
    size_t es = e->esize;
    hsize_t n[H5S_MAX_RANK]; /* elements of the chunk inside the dataset */
    bool partial = false;
    for (int k = 0; k < rank; k++) {
        hsize_t left = e->dims[k] - s->offset[k];
        n[k] = left < e->chunk[k] ? left : e->chunk[k];
        partial |= n[k] < e->chunk[k];
    }
    if (partial)
        memset(s->chunk, 0, e->chunk_bytes);
    hsize_t idx[H5S_MAX_RANK] = {0};
    for (;;) {
        hsize_t src = 0, dst = 0;
        for (int k = 0; k < rank; k++) {
            src = src * s->pcount[k] + s->within[k] + idx[k];
            dst = dst * e->chunk[k] + idx[k];
        }
        memcpy(s->chunk + dst * es, s->piece + src * es, n[last] * es);
        int k = last - 1;
        while (k >= 0 && ++idx[k] == n[k])
            idx[k--] = 0;
        if (k < 0)
            break;
    }
}

static void
encode_run(lzv_task *task)
{
    enc_slot *s = (enc_slot *)task;
    gather(s);
    s->out_bytes = lzv_encode(&s->e->enc, &s->compressor, s->chunk, s->e->chunk_bytes, s->scratch, s->out);
}

int
lzc_encoder_new(lzc_encoder **out, const lzc_storage *storage, int rank, const hsize_t *dims, const hsize_t *chunk,
                size_t esize)
{
    *out = NULL;
    if (rank < 1 || (storage->gzip < 0 && !storage->shuffle))
        return 0; /* nothing to encode: HDF5's own write */
    lzc_encoder *e = calloc(1, sizeof *e);
    if (!e)
        return -1;
    e->enc = (lzv_encoding){.level = storage->gzip, .shuffle = storage->shuffle, .type_size = esize};
    e->rank = rank;
    e->esize = esize;
    e->chunk_bytes = esize;
    for (int k = 0; k < rank; k++) {
        e->dims[k] = dims[k];
        e->chunk[k] = chunk[k];
        e->chunk_bytes *= (size_t)chunk[k];
    }
    int threads = storage->threads > 0 ? storage->threads : lzv_cpus_allowed();
    /* One chunk per thread in flight: more would only hold memory. */
    e->nslots = threads;
    e->q = threads > 1 ? lzv_workq_shared(threads) : NULL;
    if (!(e->slots = calloc((size_t)e->nslots, sizeof *e->slots))) {
        free(e);
        return -1;
    }
    size_t bound = lzv_encode_bound(&e->enc, e->chunk_bytes);
    for (int i = 0; i < e->nslots; i++) {
        enc_slot *s = &e->slots[i];
        s->task.run = encode_run;
        s->e = e;
        if (!(s->chunk = malloc(e->chunk_bytes)) || !(s->scratch = malloc(e->chunk_bytes)) ||
            !(s->out = malloc(bound))) {
            lzc_encoder_free(e);
            return -1;
        }
    }
    *out = e;
    return 0;
}

void
lzc_encoder_free(lzc_encoder *e)
{
    if (!e)
        return;
    for (int i = 0; e->slots && i < e->nslots; i++) {
        enc_slot *s = &e->slots[i];
        lzv_workq_wait(e->q, &s->task); /* nothing may run on freed memory */
        free(s->chunk);
        free(s->scratch);
        free(s->out);
        lzv_encode_free(s->compressor);
    }
    free(e->slots);
    free(e);
}

/* Write the chunk slot s holds, if any, once it is encoded. */
static herr_t
flush_slot(lzc_encoder *e, enc_slot *s, hid_t dset)
{
    if (!s->busy)
        return 0;
    lzv_workq_wait(e->q, &s->task);
    s->busy = false;
    if (s->out_bytes == 0)
        return -1;
    return H5Dwrite_chunk(dset, H5P_DEFAULT, 0, s->offset, s->out_bytes, s->out);
}

int
lzc_encoder_write(lzc_encoder *e, hid_t dset, const hsize_t *start, const hsize_t *count, const void *buf)
{
    int rank = e->rank;
    hsize_t idx[H5S_MAX_RANK] = {0}, nchunks[H5S_MAX_RANK];
    for (int k = 0; k < rank; k++) {
        if (count[k] == 0)
            return 0;
        nchunks[k] = (count[k] + e->chunk[k] - 1) / e->chunk[k];
    }
    herr_t st = 0;
    for (;;) {
        enc_slot *s = &e->slots[e->next];
        e->next = (e->next + 1) % e->nslots;
        if (flush_slot(e, s, dset) < 0)
            st = -1;
        if (st < 0)
            break;
        s->piece = buf;
        for (int k = 0; k < rank; k++) {
            s->pcount[k] = count[k];
            s->within[k] = idx[k] * e->chunk[k];
            s->offset[k] = start[k] + s->within[k];
        }
        s->busy = true;
        lzv_workq_submit(e->q, &s->task);
        int k = rank - 1;
        while (k >= 0 && ++idx[k] == nchunks[k])
            idx[k--] = 0;
        if (k < 0)
            break;
    }
    /* The piece's buffer is reused for the next piece: write all of it now. */
    for (int i = 0; i < e->nslots; i++)
        if (flush_slot(e, &e->slots[(e->next + i) % e->nslots], dset) < 0)
            st = -1;
    return st < 0 ? -1 : 0;
}
