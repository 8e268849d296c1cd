/* lzv_chunk.c — reading filtered chunks by decoding them in the connector
 * (see lzv_chunk.h).
 *
 * How a read goes. The box's chunks are visited in C order of their
 * positions. For each one the calling thread asks the under connector
 * where it is stored; a chunk never written, or one whose filter mask
 * skips a filter, is read through HDF5 there and then (its part of the
 * box only). Any other chunk is read raw into a free slot and handed to
 * the workers, which decode it, swap its bytes if it is stored in the
 * other order, and copy the box's part of it into the caller's buffer
 * (chunks cover disjoint parts of it). A chunk that lies whole in the box
 * and whose part of the buffer is one run decodes straight into it.
 * There are as many slots as threads; when none is free the calling
 * thread waits for the oldest, decoding queued chunks meanwhile, so it
 * reads the next chunk as soon as a slot frees and decodes while it would
 * otherwise wait. A slot is two buffers of the chunk's largest size
 * between filters, taken from the read's budget (lz_ctx_alloc) when the
 * slot is first used and given back at the end of the read.
 *
 * Errors: a worker writes its cause into its slot; the calling thread
 * collects slots in the order it filled them, so the first failing chunk
 * in that order is the one reported, with its position and the cause.
 */
#include "lzv_chunk.h"

#include "lzv_chunk_native.h"
#include "lzv_workq.h"

#include <stdio.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

_Static_assert(LZV_FILTER_DEFLATE == H5Z_FILTER_DEFLATE, "deflate's identifier");
_Static_assert(LZV_FILTER_SHUFFLE == H5Z_FILTER_SHUFFLE, "shuffle's identifier");
_Static_assert(LZV_FILTER_FLETCHER32 == H5Z_FILTER_FLETCHER32, "fletcher32's identifier");
_Static_assert(LZV_FILTER_SZIP == H5Z_FILTER_SZIP, "szip's identifier");
_Static_assert(LZV_PIPELINE_MAX <= 32, "a filter mask has 32 bits");

/* Whether `file_type` is `mem_type` (*swap false) or its byte-swapped twin
 * (*swap true): integers and IEEE floats only, whose conversion between
 * the two orders is a byte swap and nothing else. */
static bool
same_or_swapped(hid_t file_type, hid_t mem_type, bool *swap)
{
    H5T_class_t cls = H5Tget_class(file_type);
    if ((cls != H5T_INTEGER && cls != H5T_FLOAT) || H5Tget_class(mem_type) != cls)
        return false;
    if (H5Tequal(file_type, mem_type) > 0) {
        *swap = false;
        return true;
    }
    hid_t twin = H5Tcopy(mem_type);
    bool equal = false;
    if (twin >= 0) {
        H5T_order_t order = H5Tget_order(mem_type);
        if (order == H5T_ORDER_LE || order == H5T_ORDER_BE)
            equal = H5Tset_order(twin, order == H5T_ORDER_LE ? H5T_ORDER_BE : H5T_ORDER_LE) >= 0 &&
                    H5Tequal(file_type, twin) > 0;
        H5Tclose(twin);
    }
    *swap = true;
    return equal;
}

void
lzv_chunk_src_init(lzv_chunk_src *cs, void *under_dset, hid_t under_vol_id, hid_t dcpl, hid_t file_type,
                   hid_t mem_type, int threads)
{
    memset(cs, 0, sizeof *cs);
    hid_t saved = lzv_stack_save(); /* every question below may fail quietly */
    int nfilters = H5Pget_layout(dcpl) == H5D_CHUNKED ? H5Pget_nfilters(dcpl) : 0;
    int rank = nfilters > 0 ? H5Pget_chunk(dcpl, H5S_MAX_RANK, NULL) : 0;
    hsize_t chunk[H5S_MAX_RANK];
    size_t esize = H5Tget_size(file_type);
    bool ok = nfilters > 0 && nfilters <= LZV_PIPELINE_MAX && rank > 0 && esize > 0 &&
              H5Pget_chunk(dcpl, rank, chunk) == rank && same_or_swapped(file_type, mem_type, &cs->swap);
    size_t bytes = esize;
    for (int k = 0; ok && k < rank; k++) {
        ok = chunk[k] > 0 && bytes <= UINT32_MAX / chunk[k]; /* HDF5 chunks are < 4 GiB */
        bytes *= ok ? (size_t)chunk[k] : 1;
        cs->chunk[k] = (int64_t)chunk[k];
    }
    for (int i = 0; ok && i < nfilters; i++) {
        lzv_filter *f = &cs->pipe.f[i];
        unsigned flags = 0, config = 0;
        size_t ncd = LZV_FILTER_CD_MAX;
        H5Z_filter_t id = H5Pget_filter2(dcpl, (unsigned)i, &flags, &ncd, f->cd, 0, NULL, &config);
        /* More client values than the buffer means HDF5 kept the rest. */
        ok = id >= 0 && ncd <= LZV_FILTER_CD_MAX;
        f->id = (unsigned)id;
        f->ncd = ncd;
    }
    if (ok) {
        cs->pipe.n = nfilters;
        cs->pipe.chunk_bytes = bytes;
        cs->pipe.verify = true;
        ok = lzv_pipeline_prepare(&cs->pipe) == NULL && lzv_native_chunks_supported(under_dset, under_vol_id);
    }
    lzv_stack_restore(saved);
    if (!ok) {
        memset(cs, 0, sizeof *cs);
        return;
    }
    cs->enabled = true;
    cs->rank = rank;
    cs->esize = esize;
    cs->threads = threads < 1 ? 1 : threads;
    /* A stored chunk is rarely larger than its data: deflate's stored
     * blocks add 5 bytes per 64 KiB, lz4 and blosc less than 1/128; a
     * larger one grows its slot past this when it comes. */
    if (bytes <= LZV_CHUNK_CACHE_BYTES && (cs->cache = calloc(1, sizeof *cs->cache))) {
        size_t fit = LZV_CHUNK_CACHE_BYTES / bytes;
        cs->cache->nslots = fit < LZV_CHUNK_CACHE_SLOTS ? (int)fit : LZV_CHUNK_CACHE_SLOTS;
    }
    size_t raw = bytes + bytes / 128 + 64, two[2];
    lzv_pipeline_buffers(&cs->pipe, raw, false, two);
    cs->slot_bytes = two[0] + two[1];
}

void
lzv_chunk_src_destroy(lzv_chunk_src *cs)
{
    if (cs->cache)
        for (int i = 0; i < cs->cache->nslots; i++) {
            free(cs->cache->data[i]);
            free(cs->cache->raw[i]);
        }
    free(cs->cache);
    cs->cache = NULL;
}

size_t
lzv_chunk_src_scratch_bytes(const lzv_chunk_src *cs)
{
    return cs->enabled ? (size_t)cs->threads * cs->slot_bytes : 0;
}

/* ---- one chunk's place in the box ------------------------------------------------------ */

/* The part of the box a chunk holds, axis by axis: box indices
 * first..first+n, at element `off` of the chunk, every step-th. */
typedef struct chunk_part {
    hsize_t origin[H5S_MAX_RANK]; /* the chunk's first element in the dataset */
    int64_t first[H5S_MAX_RANK];  /* first box index in the chunk */
    int64_t n[H5S_MAX_RANK];      /* box indices in the chunk */
    int64_t off[H5S_MAX_RANK];    /* chunk element of the first of them */
} chunk_part;

/* Box indices of axis k that fall in chunk c: false when none does. */
static bool
axis_part(const lz_box *box, int64_t chunk, int k, int64_t c, int64_t *first, int64_t *n, int64_t *off)
{
    int64_t lo = c * chunk, hi = lo + chunk; /* the chunk's elements [lo, hi) */
    int64_t s = box->start[k], step = box->step[k];
    int64_t i0 = lo > s ? (lo - s + step - 1) / step : 0;
    int64_t i1 = (hi - 1 - s) / step + 1; /* one past the last index below hi */
    if (hi - 1 < s)
        return false;
    if (i1 > box->count[k])
        i1 = box->count[k];
    if (i0 >= i1)
        return false;
    *first = i0;
    *n = i1 - i0;
    *off = s + i0 * step - lo;
    return true;
}

/* ---- slots and the worker's task ---------------------------------------------------- */

typedef struct slot {
    lzv_task task;                 /* queued to the workers; must be first */
    const lzv_chunk_src *cs;       /* the source */
    const lzv_pipeline *pipe;      /* the read's pipeline (its verify setting) */
    const lz_box *box;             /* the read's box */
    const int64_t *bstride;        /* the buffer's stride of each axis, elements */
    unsigned char *buf;            /* the read's buffer */
    unsigned char *mem[2];         /* this slot's two buffers (kept; charged to the read) */
    size_t mem_bytes[2];           /* their sizes */
    size_t raw_bytes;              /* the stored chunk in mem[0] */
    chunk_part part;               /* where the chunk goes */
    unsigned char *dest;           /* where it decodes straight to, or NULL */
    unsigned char *result;         /* else where the decoded chunk is (one of mem) */
    int kept;                      /* the cache slot it fills, or -1 */
    unsigned long ticket;          /* its claim on that slot */
    lzv_codec codec;               /* decoder state of whichever thread runs the slot */
    bool busy;                     /* holds a chunk not yet collected */
    bool failed;                   /* the decode failed: why says how */
    char why[LZV_FILTER_WHY];      /* the cause */
} slot;

static void
swap_bytes(unsigned char *p, size_t nelem, size_t esize)
{
    for (size_t i = 0; i < nelem; i++, p += esize)
        for (size_t a = 0, b = esize - 1; a < b; a++, b--) {
            unsigned char t = p[a];
            p[a] = p[b];
            p[b] = t;
        }
}

/* Where the chunk decodes straight to, when its part is the whole chunk
 * and one run of the buffer; else NULL. */
static unsigned char *
direct_dest(const slot *s)
{
    const lzv_chunk_src *cs = s->cs;
    const chunk_part *p = &s->part;
    int outer = -1; /* the first axis with more than one index */
    int64_t at = 0;
    for (int k = 0; k < cs->rank; k++) {
        if (p->off[k] != 0 || p->n[k] != cs->chunk[k] || (s->box->step[k] != 1 && p->n[k] > 1))
            return NULL;
        if (outer >= 0 && p->n[k] != s->box->count[k])
            return NULL; /* an axis inside the outermost shorter than the box's: not one run */
        if (p->n[k] > 1 && outer < 0)
            outer = k;
        at += p->first[k] * s->bstride[k];
    }
    return s->buf + (size_t)at * cs->esize;
}

/* Copy part p of the box (its buffer `buf`, strides bstride) out of a
 * decoded chunk (dense, the chunk's extents). */
static void
scatter(const lzv_chunk_src *cs, const lz_box *box, const int64_t *bstride, unsigned char *buf, const chunk_part *p,
        const unsigned char *chunk)
{
    int rank = cs->rank, last = rank - 1;
    size_t es = cs->esize;
    int64_t cstride[H5S_MAX_RANK]; /* the chunk's stride per axis, elements */
    cstride[last] = 1;
    for (int k = last - 1; k >= 0; k--)
        cstride[k] = cstride[k + 1] * cs->chunk[k + 1];
    int64_t idx[H5S_MAX_RANK] = {0};
    int64_t inner_step = box->step[last];
    for (;;) {
        int64_t src = 0, dst = 0;
        for (int k = 0; k < rank; k++) {
            src += (p->off[k] + idx[k] * box->step[k]) * cstride[k];
            dst += (p->first[k] + idx[k]) * bstride[k];
        }
        const unsigned char *from = chunk + (size_t)src * es;
        unsigned char *to = buf + (size_t)dst * es;
        if (inner_step == 1)
            memcpy(to, from, (size_t)p->n[last] * es);
        else
            for (int64_t i = 0; i < p->n[last]; i++)
                memcpy(to + (size_t)i * es, from + (size_t)(i * inner_step) * es, es);
        int k = last - 1;
        while (k >= 0 && ++idx[k] == p->n[k])
            idx[k--] = 0;
        if (k < 0)
            break;
    }
}

/* The worker's part: decode, swap, place. */
static void
slot_run(lzv_task *task)
{
    slot *s = (slot *)task;
    unsigned char *result = NULL;
    unsigned char *const bufs[2] = {s->mem[0], s->mem[1]};
    if (lzv_pipeline_decode(s->pipe, &s->codec, bufs, s->raw_bytes, s->dest, &result, s->why) < 0) {
        s->failed = true;
        return;
    }
    unsigned char *chunk = s->dest ? s->dest : result;
    if (s->cs->swap)
        swap_bytes(chunk, s->pipe->chunk_bytes / s->cs->esize, s->cs->esize);
    if (!s->dest)
        scatter(s->cs, s->box, s->bstride, s->buf, &s->part, chunk);
    s->result = s->dest ? NULL : result;
}

/* ---- buffers kept between reads ---------------------------------------------------- */

/* Decode buffers are kept between reads rather than allocated for each:
 * fresh pages cost a fault and a clearing each (W1z, perf: a fifth of the
 * time in page faults and the heap's trimming). At most the buffers of
 * LZV_KEEP_MAX slots' worth (2 per thread) and LZV_KEEP_BYTES in all stay;
 * while a read uses them they count against its budget (lz_ctx_charge). */
#define LZV_KEEP_MAX 128
#define LZV_KEEP_BYTES ((size_t)256 << 20)

static struct {
    void *p;      /* the buffer */
    size_t bytes; /* its size */
} kept[LZV_KEEP_MAX];
static int nkept;
static size_t kept_bytes;
static pthread_mutex_t kept_lock = PTHREAD_MUTEX_INITIALIZER;

/* A kept buffer of at least `bytes` (the smallest such), else a new one;
 * its size in *got. NULL when memory is short. */
static void *
buffer_take(size_t bytes, size_t *got)
{
    pthread_mutex_lock(&kept_lock);
    int best = -1;
    for (int i = 0; i < nkept; i++)
        if (kept[i].bytes >= bytes && (best < 0 || kept[i].bytes < kept[best].bytes))
            best = i;
    void *p = NULL;
    if (best >= 0) {
        p = kept[best].p;
        *got = kept[best].bytes;
        kept_bytes -= kept[best].bytes;
        kept[best] = kept[--nkept];
    }
    pthread_mutex_unlock(&kept_lock);
    if (!p && (p = malloc(bytes)))
        *got = bytes;
    return p;
}

/* Keep a buffer for later reads, or free it when enough are kept. */
static void
buffer_give(void *p, size_t bytes)
{
    if (!p)
        return;
    pthread_mutex_lock(&kept_lock);
    if (nkept < LZV_KEEP_MAX && kept_bytes + bytes <= LZV_KEEP_BYTES) {
        kept[nkept].p = p;
        kept[nkept++].bytes = bytes;
        kept_bytes += bytes;
        p = NULL;
    }
    pthread_mutex_unlock(&kept_lock);
    free(p);
}

void
lzv_chunk_forget_buffers(void)
{
    pthread_mutex_lock(&kept_lock);
    for (int i = 0; i < nkept; i++)
        free(kept[i].p);
    nkept = 0;
    kept_bytes = 0;
    pthread_mutex_unlock(&kept_lock);
}

/* ---- decoded chunks kept ------------------------------------------------------------ */

/* The kept chunk at origin whose stored bytes are raw[0..bytes), or -1.
 * Comparing the stored bytes, read again, makes a kept chunk exactly what
 * decoding them would give, whatever changed the file meanwhile. */
static int
cache_find(const lzv_chunk_src *cs, const hsize_t *origin, const unsigned char *raw, size_t bytes)
{
    lzv_chunk_cache *c = cs->cache;
    for (int i = 0; c && i < c->nslots; i++)
        if (c->filled[i] && c->raw_bytes[i] == bytes && !memcmp(c->origin[i], origin, (size_t)cs->rank * sizeof *origin)) {
            if (memcmp(c->raw[i], raw, bytes) != 0)
                return -1;
            c->used[i] = ++c->clock;
            return i;
        }
    return -1;
}

/* A slot for the chunk at origin, stored as raw[0..bytes) (the oldest
 * slot, emptied), or -1 when it is not kept (too large, memory short).
 * Its decoded bytes come with cache_fill, given *ticket: a chunk that
 * claims the slot meanwhile (more chunks in flight than slots) takes it. */
static int
cache_claim(const lzv_chunk_src *cs, const hsize_t *origin, const unsigned char *raw, size_t bytes,
            unsigned long *ticket)
{
    lzv_chunk_cache *c = cs->cache;
    if (!c || c->nslots == 0 || bytes > cs->pipe.chunk_bytes)
        return -1;
    int oldest = 0;
    for (int i = 1; i < c->nslots; i++)
        if (c->used[i] < c->used[oldest])
            oldest = i;
    c->used[oldest] = 0;
    c->filled[oldest] = false;
    if (!c->data[oldest] && !(c->data[oldest] = malloc(cs->pipe.chunk_bytes)))
        return -1;
    if (!c->raw[oldest] && !(c->raw[oldest] = malloc(cs->pipe.chunk_bytes)))
        return -1;
    memcpy(c->raw[oldest], raw, bytes);
    c->raw_bytes[oldest] = bytes;
    memcpy(c->origin[oldest], origin, (size_t)cs->rank * sizeof *origin);
    *ticket = c->used[oldest] = ++c->clock;
    return oldest;
}

/* The decoded chunk of a claimed slot: now it may be found. */
static void
cache_fill(const lzv_chunk_src *cs, int i, unsigned long ticket, const unsigned char *chunk)
{
    lzv_chunk_cache *c = cs->cache;
    if (c->used[i] != ticket)
        return; /* claimed by a later chunk */
    memcpy(c->data[i], chunk, cs->pipe.chunk_bytes);
    c->filled[i] = true;
}

/* ---- the read ------------------------------------------------------------------------ */

/* The state of one read. */
typedef struct reader {
    const lzv_chunk_src *cs;       /* the operand's chunks */
    void *under_dset;              /* the operand, under connector's (borrowed) */
    hid_t under_vol_id;            /* the under connector */
    hid_t mem_type;                /* native memory type of HDF5's reads */
    const char *label;             /* the operand in messages */
    lz_ctx *ctx;                   /* the evaluation's: budget and error */
    const lz_box *box;             /* what is read */
    unsigned char *buf;            /* where it goes (dense, C order) */
    hid_t dxpl_id;                 /* the application's transfer list */
    hid_t *cause;                  /* where HDF5's account of a failure is saved */
    lzv_pipeline pipe;             /* cs->pipe with this transfer's checksum setting */
    int64_t bstride[H5S_MAX_RANK]; /* the buffer's strides, elements */
    lzv_workq *q;                  /* NULL: decode on the calling thread */
    slot *slots;                   /* nslots of them */
    int nslots;                    /* chunks in flight at most */
    int next;                      /* the slot the next chunk goes to */
    lz_status st;                  /* the first failure */
} reader;

static void
position_text(const reader *r, const hsize_t *origin, char *text, size_t size)
{
    size_t used = 0;
    text[0] = '\0';
    for (int k = 0; k < r->cs->rank && used < size; k++)
        used += (size_t)snprintf(text + used, size - used, "%s%llu", k ? ", " : "", (unsigned long long)origin[k]);
}

/* Keep HDF5's account of a failed call for the caller, first one only. */
static void
keep_cause(reader *r)
{
    if (*r->cause < 0)
        *r->cause = lzv_stack_save();
    else
        H5Eclear2(H5E_DEFAULT);
}

static lz_status
fail_chunk(reader *r, const hsize_t *origin, const char *why)
{
    char at[400];
    position_text(r, origin, at, sizeof at);
    return lz_ctx_fail(r->ctx, LZ_ESOURCE, 0, 0, "reading operand '%s' failed: its chunk at (%s) %s", r->label, at,
                       why);
}

/* Collect slot s if it holds a chunk: wait for it, note its failure. */
static void
collect(reader *r, slot *s)
{
    if (!s->busy)
        return;
    lzv_workq_wait(r->q, &s->task);
    s->busy = false;
    if (!s->failed && s->result && s->kept >= 0)
        cache_fill(r->cs, s->kept, s->ticket, s->result); /* a part of it was read: the rest may be next */
    if (s->failed && r->st == LZ_OK) {
        char why[LZV_FILTER_WHY + 32];
        snprintf(why, sizeof why, "cannot be decoded: %s", s->why);
        r->st = fail_chunk(r, s->part.origin, why);
        /* Not handed to HDF5 for its own account: HDF5 1.14.5 reads past
         * its buffer on a chunk that inflates short (ASan, con-19). */
    }
}

/* Read the chunk's part of the box through HDF5 (fill values, masked
 * filters): the buffer's selection is the part's box indices. */
static lz_status
read_through_hdf5(reader *r, const chunk_part *p)
{
    int rank = r->cs->rank;
    hsize_t dims[H5S_MAX_RANK], mstart[H5S_MAX_RANK], fstart[H5S_MAX_RANK], stride[H5S_MAX_RANK],
        count[H5S_MAX_RANK], fdims[H5S_MAX_RANK];
    for (int k = 0; k < rank; k++) {
        dims[k] = (hsize_t)r->box->count[k];
        mstart[k] = (hsize_t)p->first[k];
        fstart[k] = p->origin[k] + (hsize_t)p->off[k];
        stride[k] = (hsize_t)r->box->step[k];
        count[k] = (hsize_t)p->n[k];
    }
    herr_t st = -1;
    hid_t fspace = H5I_INVALID_HID;
    H5VL_dataset_get_args_t sargs = {.op_type = H5VL_DATASET_GET_SPACE};
    if (H5VLdataset_get(r->under_dset, r->under_vol_id, &sargs, r->dxpl_id, NULL) >= 0)
        fspace = sargs.args.get_space.space_id;
    hid_t mspace = H5Screate_simple(rank, dims, NULL);
    if (fspace >= 0 && mspace >= 0 && H5Sget_simple_extent_dims(fspace, fdims, NULL) == rank &&
        H5Sselect_hyperslab(fspace, H5S_SELECT_SET, fstart, stride, count, NULL) >= 0 &&
        H5Sselect_hyperslab(mspace, H5S_SELECT_SET, mstart, NULL, count, NULL) >= 0) {
        void *buf = r->buf;
        st = H5VLdataset_read(1, &r->under_dset, r->under_vol_id, &r->mem_type, &mspace, &fspace, r->dxpl_id,
                              &buf, NULL);
    }
    if (st < 0)
        keep_cause(r);
    hid_t saved = lzv_stack_save();
    if (fspace >= 0)
        H5Sclose(fspace);
    if (mspace >= 0)
        H5Sclose(mspace);
    lzv_stack_restore(saved);
    if (st < 0)
        return lz_ctx_fail(r->ctx, LZ_ESOURCE, 0, 0, "reading operand '%s' failed", r->label);
    return LZ_OK;
}

/* Give slot s's buffers back (kept for later reads), uncharged. */
static void
slot_release(reader *r, slot *s)
{
    for (int i = 0; i < 2; i++) {
        lz_ctx_uncharge(r->ctx, s->mem_bytes[i]);
        buffer_give(s->mem[i], s->mem_bytes[i]);
        s->mem[i] = NULL;
        s->mem_bytes[i] = 0;
    }
}

/* Give slot s buffers of at least need[0] and need[1] bytes, charged to
 * the read: LZ_OK, LZ_ELIMIT when the budget has no room for them (the
 * slot then holds none), LZ_ENOMEM. */
static lz_status
slot_reserve(reader *r, slot *s, const size_t need[2])
{
    for (int i = 0; i < 2; i++) {
        if (s->mem_bytes[i] >= need[i])
            continue;
        lz_ctx_uncharge(r->ctx, s->mem_bytes[i]);
        buffer_give(s->mem[i], s->mem_bytes[i]);
        s->mem[i] = NULL;
        s->mem_bytes[i] = 0;
        size_t got = 0;
        void *p = buffer_take(need[i] ? need[i] : 1, &got);
        if (!p) {
            slot_release(r, s);
            return LZ_ENOMEM;
        }
        if (!lz_ctx_charge(r->ctx, got)) {
            buffer_give(p, got);
            slot_release(r, s);
            return LZ_ELIMIT;
        }
        s->mem[i] = p;
        s->mem_bytes[i] = got;
    }
    return LZ_OK;
}

/* One chunk: where it is, then HDF5's read or a slot's decode. */
static lz_status
read_chunk(reader *r, chunk_part *p)
{
    bool stored = false;
    unsigned mask = 0;
    hsize_t bytes = 0;
    if (lzv_native_chunk_info(r->under_dset, r->under_vol_id, p->origin, r->dxpl_id, &stored, &mask, &bytes) < 0) {
        keep_cause(r);
        return fail_chunk(r, p->origin, "cannot be located");
    }
    if (!stored || mask != 0 || bytes == 0)
        return read_through_hdf5(r, p);
    slot *s = &r->slots[r->next];
    collect(r, s);
    if (r->st != LZ_OK)
        return r->st;
    s->part = *p;
    s->dest = direct_dest(s);
    size_t need[2];
    lzv_pipeline_buffers(&r->pipe, (size_t)bytes, s->dest != NULL, need);
    lz_status st = bytes > SIZE_MAX / 4 ? LZ_ENOMEM : slot_reserve(r, s, need);
    if (st == LZ_ELIMIT && r->next > 0) {
        /* No room for another chunk in flight: use the slots there are. */
        r->nslots = r->next;
        r->next = 0;
        return read_chunk(r, p);
    }
    if (st == LZ_ELIMIT)
        return lz_ctx_fail(r->ctx, LZ_ELIMIT, 0, 0,
                           "reading operand '%s' needs %zu bytes for one chunk in flight, more than the memory "
                           "budget has left",
                           r->label, need[0] + need[1]);
    if (st != LZ_OK)
        return lz_ctx_fail(r->ctx, LZ_ENOMEM, 0, 0, "out of memory reading operand '%s'", r->label);
    r->next = (r->next + 1) % r->nslots;
    uint32_t read_mask = 0;
    if (lzv_native_chunk_read(r->under_dset, r->under_vol_id, p->origin, r->dxpl_id, s->mem[0], (size_t)bytes,
                              &read_mask) < 0) {
        keep_cause(r);
        return fail_chunk(r, p->origin, "cannot be read");
    }
    if (read_mask != 0) /* rewritten between the two calls: let HDF5 decide */
        return read_through_hdf5(r, p);
    int hit = cache_find(r->cs, p->origin, s->mem[0], (size_t)bytes);
    if (hit >= 0) { /* decoded before from the same bytes */
        scatter(r->cs, r->box, r->bstride, r->buf, p, r->cs->cache->data[hit]);
        return LZ_OK;
    }
    s->kept = s->dest ? -1 : cache_claim(r->cs, p->origin, s->mem[0], (size_t)bytes, &s->ticket);
    s->raw_bytes = (size_t)bytes;
    s->failed = false;
    s->result = NULL;
    s->busy = true;
    lzv_workq_submit(r->q, &s->task);
    if (!r->q) /* ran at once */
        collect(r, s);
    return r->st;
}

/* Walk the box's chunks in C order of their positions. */
static lz_status
read_chunks(reader *r)
{
    const lzv_chunk_src *cs = r->cs;
    int rank = cs->rank;
    int64_t c0[H5S_MAX_RANK], c1[H5S_MAX_RANK], c[H5S_MAX_RANK];
    for (int k = 0; k < rank; k++) {
        const lz_box *b = r->box;
        if (b->count[k] == 0)
            return LZ_OK;
        c0[k] = b->start[k] / cs->chunk[k];
        c1[k] = (b->start[k] + (b->count[k] - 1) * b->step[k]) / cs->chunk[k];
        c[k] = c0[k];
    }
    for (;;) {
        chunk_part p;
        bool any = true;
        for (int k = 0; k < rank && any; k++) {
            any = axis_part(r->box, cs->chunk[k], k, c[k], &p.first[k], &p.n[k], &p.off[k]);
            p.origin[k] = (hsize_t)(c[k] * cs->chunk[k]);
        }
        if (any) {
            lz_status st = read_chunk(r, &p);
            if (st != LZ_OK)
                return st;
        }
        int k = rank - 1;
        while (k >= 0 && ++c[k] > c1[k])
            c[k] = c0[k], k--;
        if (k < 0)
            return LZ_OK;
    }
}

/* Whether the transfer list asks for what only HDF5's read does: a data
 * transform. Its checksum setting goes into *verify. */
static bool
transfer_needs_hdf5(hid_t dxpl_id, bool *verify)
{
    *verify = true;
    if (dxpl_id == H5P_DEFAULT || dxpl_id == H5P_DATASET_XFER_DEFAULT)
        return false;
    hid_t saved = lzv_stack_save();
    ssize_t transform;
    H5Z_EDC_t edc;
    H5E_BEGIN_TRY {
        transform = H5Pget_data_transform(dxpl_id, NULL, 0);
        edc = H5Pget_edc_check(dxpl_id);
    } H5E_END_TRY
    lzv_stack_restore(saved);
    *verify = edc != H5Z_DISABLE_EDC;
    return transform > 0;
}

lzv_chunk_result
lzv_chunk_read(const lzv_chunk_src *cs, void *under_dset, hid_t under_vol_id, hid_t mem_type, const char *label,
               lz_ctx *ctx, const lz_box *box, void *buf, hid_t dxpl_id, hid_t *cause)
{
    bool verify = true;
    if (!cs->enabled || box->rank != cs->rank || transfer_needs_hdf5(dxpl_id, &verify))
        return LZV_CHUNK_DECLINED;
    /* As many chunks in flight as there are threads, or as the budget
     * left holds: at least one, else HDF5 reads (with its own memory). */
    size_t left = lz_ctx_budget_left(ctx);
    int nslots = cs->threads;
    if ((size_t)nslots * cs->slot_bytes > left)
        nslots = (int)(left / cs->slot_bytes);
    if (nslots < 1)
        return LZV_CHUNK_DECLINED;
    reader r = {.cs = cs, .under_dset = under_dset, .under_vol_id = under_vol_id, .mem_type = mem_type,
                .label = label, .ctx = ctx, .box = box, .buf = buf, .dxpl_id = dxpl_id, .cause = cause,
                .pipe = cs->pipe, .nslots = nslots, .st = LZ_OK};
    r.pipe.verify = verify;
    r.bstride[cs->rank - 1] = 1;
    for (int k = cs->rank - 2; k >= 0; k--)
        r.bstride[k] = r.bstride[k + 1] * box->count[k + 1];
    if (!(r.slots = lz_ctx_alloc(ctx, (size_t)nslots * sizeof *r.slots)))
        return LZV_CHUNK_FAILED;
    for (int i = 0; i < nslots; i++) {
        slot *s = &r.slots[i];
        memset(s, 0, sizeof *s);
        s->task.run = slot_run;
        s->cs = cs;
        s->pipe = &r.pipe;
        s->box = box;
        s->bstride = r.bstride;
        s->buf = buf;
        lzv_codec_init(&s->codec);
    }
    r.q = nslots > 1 ? lzv_workq_shared(nslots) : NULL;
    lz_status st = read_chunks(&r);
    for (int i = 0; i < r.nslots; i++) /* every chunk in flight finishes before its memory goes */
        collect(&r, &r.slots[(r.next + i) % r.nslots]);
    if (st == LZ_OK)
        st = r.st;
    for (int i = 0; i < nslots; i++) {
        lzv_codec_destroy(&r.slots[i].codec);
        slot_release(&r, &r.slots[i]);
    }
    lz_ctx_release(ctx, r.slots);
    return st == LZ_OK ? LZV_CHUNK_DONE : LZV_CHUNK_FAILED;
}
