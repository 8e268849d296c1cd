/* lzv_read.c — H5Dread of a virtual dataset: any file selection, any memory
 * selection with the same number of elements, any convertible memory type.
 *
 * How it works: a reader produces the file selection's elements in HDF5's
 * selection order, a piece at a time, each piece evaluated by the engine,
 * gathered, and converted to the memory type; the pieces are then written
 * to the memory selection in order. The order rules are HDF5's: a hyperslab
 * selection (or "all") is visited in row-major order of file positions, a
 * point selection in the order its points were listed; the i-th element
 * visited in the file goes to the i-th element visited in memory.
 *
 *   - "all" and a regular hyperslab that is one strided box (block 1, or
 *     count 1, or stride equal to block on every axis): the box is cut into
 *     C-order pieces and each piece is evaluated exactly, strides included,
 *     so only selected elements are computed and read.
 *   - any other hyperslab: the bounding box is cut into C-order pieces; a
 *     piece holding no selected element is skipped, otherwise the bounds of
 *     the selected part are evaluated and the selected elements gathered
 *     (H5Dgather), which keeps row-major order across pieces.
 *   - points: taken in listed order in batches; a batch whose bounding box
 *     fits the budget is evaluated once, else point by point.
 * Delivery: straight into the user's buffer when the memory selection is one
 * contiguous run (the common case for h5py and h5dump) and no conversion is
 * needed, else through H5Dscatter, which walks any memory selection.
 * Memory: one budget, the connector's memory=. The reader's buffers (a
 * quarter of it at most) are reserved in the evaluating context before
 * the first piece (lz_ctx_reserve), so the engine plans with what they
 * leave; a read delivered straight into the caller's buffer has none, and
 * the engine has it all (W2z, mean and std of 10^6 float32 outputs in
 * 64 MiB: slabs of 4 chunks, not 1).
 */
#include "lzv_batch.h"
#include "lzv_vdset_int.h"

#include <stdlib.h>
#include <string.h>

typedef struct reader {
    lzv_vdset *vd;          /* the dataset being read */
    hid_t dxpl_id;          /* the caller's transfer list */
    lzv_xfer *xfer;         /* the read's state, for operand reads */
    hid_t fspace;           /* the file selection */
    int rank;               /* dataset rank */
    H5S_sel_type sel_type;  /* kind of file selection */
    hssize_t remaining;     /* elements still to produce */
    /* types */
    hid_t mem_type;         /* the caller's memory type */
    size_t src_size;        /* bytes of an engine element */
    size_t mem_size;        /* bytes of a memory element */
    bool convert;           /* whether H5Tconvert is needed */
    int64_t max_elems;      /* elements per piece */
    /* hyperslab and "all" selections */
    bool exact;             /* the selection is exactly `box` */
    lz_box box;             /* the exact box, or the bounding box */
    lz_box_pieces pieces;   /* iteration over box */
    /* point selections */
    hssize_t next_point;    /* index of the next point to produce */
    hsize_t *coords;        /* one batch of coordinates */
    /* buffers */
    char *eval_buf;         /* engine output of one piece */
    char *out_buf;          /* one piece in selection order, memory type */
    /* direct delivery: the user's buffer when it is one contiguous run */
    char *direct;           /* where the next element goes, or NULL */
    bool failed;            /* an error has been pushed */
    lz_ctx *budget;         /* whose budget the buffers come out of */
    size_t reserved;        /* their bytes, reserved there */
    /* read together with other virtual datasets (lzv_vdset_read_many) */
    lzv_batch *batch;       /* evaluates every piece for all of them, or NULL */
    size_t batch_index;     /* this dataset's place in the batch */
} reader;

/* ---- setup --------------------------------------------------------------------- */

/* Whether the memory selection is one contiguous run of the buffer, and
 * where it starts (in elements): "all", or a regular hyperslab whose
 * blocks touch (stride equal to block, or one block) along every axis, as
 * one block [7, 37) or 30 blocks of 1 from 7 both are. */
static bool
mem_contiguous(hid_t mspace, hsize_t *offset)
{
    H5S_sel_type t = H5Sget_select_type(mspace);
    if (t == H5S_SEL_ALL) {
        *offset = 0;
        return true;
    }
    int rank = H5Sget_simple_extent_ndims(mspace);
    if (t != H5S_SEL_HYPERSLABS || rank <= 0 || H5Sis_regular_hyperslab(mspace) <= 0)
        return false;
    hsize_t start[H5S_MAX_RANK], stride[H5S_MAX_RANK], count[H5S_MAX_RANK], block[H5S_MAX_RANK],
        dims[H5S_MAX_RANK];
    if (H5Sget_regular_hyperslab(mspace, start, stride, count, block) < 0 ||
        H5Sget_simple_extent_dims(mspace, dims, NULL) < 0)
        return false;
    /* Contiguous when every axis is one span, and after the first axis
     * spanning more than one index every later axis is whole. */
    bool inner = false; /* past an axis of more than one index */
    hsize_t off = 0;
    for (int k = 0; k < rank; k++) {
        if (count[k] > 1 && stride[k] != block[k])
            return false;
        hsize_t span = count[k] * block[k];
        if (inner && (start[k] != 0 || span != dims[k]))
            return false;
        inner |= span > 1;
        off = off * dims[k] + start[k];
    }
    *offset = off;
    return true;
}

/* Whether the file selection is exactly one strided box; fills r->box. */
static bool
exact_box(reader *r)
{
    const lzv_vdset *vd = r->vd;
    if (r->sel_type == H5S_SEL_ALL) {
        int64_t shape[H5S_MAX_RANK];
        for (int k = 0; k < r->rank; k++)
            shape[k] = (int64_t)vd->dims[k];
        lz_box_full(&r->box, r->rank, shape);
        return true;
    }
    if (r->sel_type != H5S_SEL_HYPERSLABS || H5Sis_regular_hyperslab(r->fspace) <= 0)
        return false;
    hsize_t start[H5S_MAX_RANK], stride[H5S_MAX_RANK], count[H5S_MAX_RANK], block[H5S_MAX_RANK];
    hsize_t lo[H5S_MAX_RANK], hi[H5S_MAX_RANK];
    if (H5Sget_regular_hyperslab(r->fspace, start, stride, count, block) < 0 ||
        H5Sget_select_bounds(r->fspace, lo, hi) < 0)
        return false;
    r->box.rank = r->rank;
    for (int k = 0; k < r->rank; k++) {
        /* A selection offset (H5Soffset_simple) shows in the bounds but not
         * in the regular description: leave such selections to the
         * general path, which honours it. */
        if (lo[k] != start[k])
            return false;
        if (block[k] == 1 || count[k] == 1 || stride[k] == block[k]) {
            r->box.start[k] = (int64_t)start[k];
            r->box.step[k] = block[k] == 1 && count[k] > 1 ? (int64_t)stride[k] : 1;
            r->box.count[k] = (int64_t)(count[k] * block[k]);
        } else {
            return false;
        }
    }
    return true;
}

/* An HDF5 extent as numpy prints a shape. */
static void
dims_text(char *buf, size_t size, int rank, const hsize_t *dims)
{
    int64_t shape[H5S_MAX_RANK];
    for (int k = 0; k < rank; k++)
        shape[k] = (int64_t)dims[k];
    lz_shape_format(rank, shape, buf, size);
}

/* The file selection as the reader walks it: a copy whose selection offset
 * (H5Soffset_simple), which only H5Sget_select_bounds reports, is moved
 * into the coordinates themselves; and a check that the file dataspace is
 * the dataset's and the selection inside it (a request reaching outside
 * would otherwise be evaluated short or past the end). */
static hid_t
checked_selection(const lzv_vdset *vd, hid_t fspace)
{
    hsize_t dims[H5S_MAX_RANK];
    int rank = H5Sget_simple_extent_ndims(fspace);
    if (rank < 0 || H5Sget_simple_extent_dims(fspace, dims, NULL) < 0)
        return H5I_INVALID_HID;
    bool same = rank == vd->rank;
    for (int k = 0; same && k < rank; k++)
        same = dims[k] == vd->dims[k];
    if (!same) {
        char got[200], want[200];
        dims_text(got, sizeof got, rank, dims);
        dims_text(want, sizeof want, vd->rank, vd->dims);
        LZV_ERROR(LZ_EVALUE, "reading '%s': the file dataspace has extent %s, not the dataset's extent %s",
                  lzv_vdset_name(vd), got, want);
        return H5I_INVALID_HID;
    }
    hid_t copy = H5Scopy(fspace);
    hssize_t n = copy < 0 ? -1 : H5Sget_select_npoints(copy);
    if (n <= 0 || rank == 0)
        return n < 0 ? H5I_INVALID_HID : copy;
    hsize_t lo[H5S_MAX_RANK], hi[H5S_MAX_RANK], lo0[H5S_MAX_RANK], hi0[H5S_MAX_RANK];
    hssize_t zero[H5S_MAX_RANK] = {0}, shift[H5S_MAX_RANK];
    bool moved = false, inside = true;
    if (H5Sget_select_bounds(fspace, lo, hi) < 0 || H5Soffset_simple(copy, zero) < 0 ||
        H5Sget_select_bounds(copy, lo0, hi0) < 0)
        goto fail;
    for (int k = 0; k < rank; k++) {
        shift[k] = (hssize_t)lo0[k] - (hssize_t)lo[k]; /* H5Sselect_adjust subtracts it */
        moved |= shift[k] != 0;
        inside &= (hssize_t)lo[k] >= 0 && hi[k] < dims[k];
    }
    if (!inside) {
        char extent[200];
        dims_text(extent, sizeof extent, rank, dims);
        LZV_ERROR(LZ_EVALUE, "reading '%s': the selection reaches outside the dataset's extent %s",
                  lzv_vdset_name(vd), extent);
        goto fail;
    }
    if (moved && H5Sselect_adjust(copy, shift) < 0)
        goto fail;
    return copy;
fail: {
    hid_t saved = lzv_stack_save();
    H5Sclose(copy);
    lzv_stack_restore(saved);
    return H5I_INVALID_HID;
}
}

/* Set up a reader whose buffers come out of budget's memory; max_elems > 0
 * imposes the piece size (readers in lockstep must cut the selection
 * alike), else a quarter of what the budget has left decides. */
static herr_t
reader_init(reader *r, lzv_obj *dset, hid_t mem_type_id, hid_t fspace, lzv_xfer *xfer, hssize_t npoints,
            bool contiguous_dest, int64_t max_elems, lz_ctx *budget)
{
    lzv_vdset *vd = dset->vdset;
    memset(r, 0, sizeof *r);
    r->vd = vd;
    r->dxpl_id = xfer->dxpl_id;
    r->xfer = xfer;
    r->fspace = fspace;
    r->rank = vd->rank;
    r->remaining = npoints;
    r->mem_type = mem_type_id;
    r->sel_type = H5Sget_select_type(fspace);
    r->src_size = lz_dtype_size(vd->dtype);
    r->mem_size = H5Tget_size(mem_type_id);
    htri_t same = H5Tequal(vd->native_type, mem_type_id);
    if (same < 0 || r->mem_size == 0)
        return -1;
    r->convert = !same;
    if (r->convert) {
        H5T_cdata_t *cdata = NULL;
        if (!H5Tfind(vd->native_type, mem_type_id, &cdata)) {
            H5Eclear2(H5E_DEFAULT);
            LZV_ERROR(LZ_ETYPE, "'%s' holds %s values, which HDF5 cannot convert to the requested memory type",
                      lzv_vdset_name(vd), lz_dtype_name(vd->dtype));
            return -1;
        }
    }
    size_t elem = r->mem_size > r->src_size ? r->mem_size : r->src_size;
    size_t per = r->src_size + elem + (r->sel_type == H5S_SEL_POINTS ? r->rank * sizeof(hsize_t) : 0);
    r->max_elems = max_elems > 0 ? max_elems : (int64_t)(lz_ctx_budget_left(budget) / 4 / per);
    if (r->max_elems < 1)
        r->max_elems = 1;
    if (r->max_elems > npoints && r->sel_type != H5S_SEL_HYPERSLABS)
        r->max_elems = npoints;
    size_t bytes = 0;
    if (r->sel_type == H5S_SEL_POINTS) {
        bytes = (size_t)r->max_elems * (size_t)(r->rank ? r->rank : 1) * sizeof(hsize_t);
        if (!(r->coords = malloc(bytes)))
            goto oom;
    } else {
        r->exact = exact_box(r);
        if (!r->exact) { /* bounding box, unit steps */
            hsize_t lo[H5S_MAX_RANK], hi[H5S_MAX_RANK];
            if (H5Sget_select_bounds(fspace, lo, hi) < 0)
                return -1;
            r->box.rank = r->rank;
            for (int k = 0; k < r->rank; k++) {
                r->box.start[k] = (int64_t)lo[k];
                r->box.count[k] = (int64_t)(hi[k] - lo[k] + 1);
                r->box.step[k] = 1;
            }
        }
        /* Evaluated straight into the caller's buffer (below), the box
         * goes to the engine whole: it cuts it into pieces within its own
         * budget and on the sources' chunk grid, which a cut here would
         * only split further. */
        if (max_elems == 0 && r->exact && contiguous_dest && !r->convert)
            r->max_elems = npoints;
        lz_box_pieces_init(&r->pieces, &r->box, r->max_elems);
    }
    /* Evaluating straight into the caller's buffer needs no conversion and
     * an exact box (anything else is gathered first). */
    if (!(contiguous_dest && !r->convert && r->exact)) {
        bytes += (size_t)r->max_elems * elem;
        if (!(r->out_buf = malloc((size_t)r->max_elems * elem)))
            goto oom;
    }
    if (!r->exact) {
        bytes += (size_t)r->max_elems * r->src_size;
        if (!(r->eval_buf = malloc((size_t)r->max_elems * r->src_size)))
            goto oom;
    }
    r->budget = budget;
    r->reserved = lz_ctx_reserve(budget, bytes);
    return 0;
oom:
    LZV_ERROR(LZ_ENOMEM, "out of memory reading '%s' (%lld elements per piece)", lzv_vdset_name(vd),
              (long long)r->max_elems);
    return -1;
}

static void
reader_destroy(reader *r)
{
    if (r->budget)
        lz_ctx_unreserve(r->budget, r->reserved);
    free(r->coords);
    free(r->eval_buf);
    free(r->out_buf);
}

/* Evaluate `box` into dst; on failure push the engine's error. */
static int
evaluate(reader *r, const lz_box *box, void *dst)
{
    if (r->batch) {
        r->failed = lzv_batch_eval(r->batch, r->batch_index, box, dst, r->xfer) < 0;
        return r->failed ? -1 : 0;
    }
    if (lzv_binding_eval(&r->vd->binding, box, dst, r->xfer) != LZ_OK) {
        lzv_vdset_push_error(r->vd, "cannot evaluate", lzv_xfer_take_cause(r->xfer));
        r->failed = true;
        return -1;
    }
    return 0;
}

/* ---- producing pieces ---------------------------------------------------------- */

/* The selected elements of bounding-box piece `piece`, gathered into
 * r->out_buf in row-major order. Returns the count (0: nothing selected). */
static hssize_t
gather_piece(reader *r, const lz_box *piece)
{
    hsize_t start[H5S_MAX_RANK], count[H5S_MAX_RANK], lo[H5S_MAX_RANK], hi[H5S_MAX_RANK];
    for (int k = 0; k < r->rank; k++) {
        start[k] = (hsize_t)piece->start[k];
        count[k] = (hsize_t)piece->count[k];
    }
    hssize_t n = -1;
    hid_t part = H5Scopy(r->fspace), local = H5I_INVALID_HID;
    if (part < 0 || H5Sselect_hyperslab(part, H5S_SELECT_AND, start, NULL, count, NULL) < 0)
        goto done;
    if ((n = H5Sget_select_npoints(part)) <= 0)
        goto done;
    if (H5Sget_select_bounds(part, lo, hi) < 0) {
        n = -1;
        goto done;
    }
    lz_box ebox = {.rank = r->rank};
    hsize_t extent[H5S_MAX_RANK];
    hssize_t shift[H5S_MAX_RANK];
    hsize_t volume = 1;
    for (int k = 0; k < r->rank; k++) {
        ebox.start[k] = (int64_t)lo[k];
        ebox.count[k] = (int64_t)(hi[k] - lo[k] + 1);
        ebox.step[k] = 1;
        extent[k] = hi[k] - lo[k] + 1;
        shift[k] = (hssize_t)lo[k];
        volume *= extent[k];
    }
    if ((hsize_t)n == volume) { /* every element of the bounds is selected */
        if (evaluate(r, &ebox, r->out_buf) < 0)
            n = -1;
        goto done;
    }
    if (evaluate(r, &ebox, r->eval_buf) < 0) {
        n = -1;
        goto done;
    }
    /* The part's selection, moved to the evaluated box's own coordinates. */
    if ((local = H5Screate_simple(r->rank, extent, NULL)) < 0 || H5Sselect_copy(local, part) < 0 ||
        H5Sselect_adjust(local, shift) < 0 ||
        H5Dgather(local, r->eval_buf, r->vd->native_type, (size_t)n * r->src_size, r->out_buf, NULL, NULL) < 0)
        n = -1;
done:
    if (part >= 0)
        H5Sclose(part);
    if (local >= 0)
        H5Sclose(local);
    return n;
}

/* The next batch of points, in listed order, into r->out_buf. */
static hssize_t
points_batch(reader *r)
{
    int rank = r->rank;
    hssize_t n = r->remaining < r->max_elems ? r->remaining : r->max_elems;
    if (H5Sget_select_elem_pointlist(r->fspace, (hsize_t)r->next_point, (hsize_t)n, r->coords) < 0)
        return -1;
    lz_box bbox = {.rank = rank};
    for (int k = 0; k < rank; k++) {
        hsize_t lo = r->coords[k], hi = r->coords[k];
        for (hssize_t i = 1; i < n; i++) {
            hsize_t c = r->coords[i * rank + k];
            lo = c < lo ? c : lo;
            hi = c > hi ? c : hi;
        }
        bbox.start[k] = (int64_t)lo;
        bbox.count[k] = (int64_t)(hi - lo + 1);
        bbox.step[k] = 1;
    }
    int64_t volume;
    if (lz_box_nelem(&bbox, &volume) && volume <= r->max_elems) {
        if (evaluate(r, &bbox, r->eval_buf) < 0)
            return -1;
        for (hssize_t i = 0; i < n; i++) {
            int64_t off = 0;
            for (int k = 0; k < rank; k++)
                off = off * bbox.count[k] + ((int64_t)r->coords[i * rank + k] - bbox.start[k]);
            memcpy(r->out_buf + i * (hssize_t)r->src_size, r->eval_buf + off * (int64_t)r->src_size,
                   r->src_size);
        }
    } else { /* scattered points: one element at a time */
        for (hssize_t i = 0; i < n; i++) {
            lz_box one = {.rank = rank};
            for (int k = 0; k < rank; k++) {
                one.start[k] = (int64_t)r->coords[i * rank + k];
                one.count[k] = 1;
                one.step[k] = 1;
            }
            if (evaluate(r, &one, r->out_buf + i * (hssize_t)r->src_size) < 0)
                return -1;
        }
    }
    r->next_point += n;
    return n;
}

/* Produce the next piece: *data holds *n elements in the memory type (or,
 * for direct delivery, they are already in the caller's buffer and *data is
 * NULL). Returns 1, 0 at the end, -1 on error (pushed). */
static int
reader_next(reader *r, const void **data, size_t *n)
{
    if (r->remaining <= 0)
        return 0;
    hssize_t got = 0;
    if (r->sel_type == H5S_SEL_POINTS) {
        got = points_batch(r);
    } else {
        lz_box piece;
        int64_t offset;
        while (got == 0) {
            if (!lz_box_pieces_next(&r->pieces, &piece, &offset)) {
                LZV_ERROR(LZ_EINTERNAL, "selection of '%s' ended %lld elements early",
                          lzv_vdset_name(r->vd), (long long)r->remaining);
                r->failed = true;
                return -1;
            }
            if (r->exact) {
                int64_t ne;
                lz_box_nelem(&piece, &ne);
                char *dst = r->direct ? r->direct : r->out_buf;
                if (evaluate(r, &piece, dst) < 0)
                    return -1;
                got = ne;
            } else {
                got = gather_piece(r, &piece);
            }
            if (got < 0)
                break;
        }
    }
    if (got < 0) {
        if (!r->failed)
            LZV_ERROR(LZ_EINTERNAL, "selecting elements of '%s' failed", lzv_vdset_name(r->vd));
        r->failed = true;
        return -1;
    }
    if (r->convert && H5Tconvert(r->vd->native_type, r->mem_type, (size_t)got, r->out_buf, NULL, r->dxpl_id) < 0) {
        LZV_ERROR(LZ_ETYPE, "converting %s values of '%s' to the memory type failed",
                  lz_dtype_name(r->vd->dtype), lzv_vdset_name(r->vd));
        r->failed = true;
        return -1;
    }
    r->remaining -= got;
    *n = (size_t)got;
    if (r->direct) {
        r->direct += (size_t)got * r->mem_size;
        *data = NULL;
    } else {
        *data = r->out_buf;
    }
    return 1;
}

/* H5Dscatter's source callback: the next piece. */
static herr_t
scatter_source(const void **src_buf, size_t *src_buf_bytes_used, void *op_data)
{
    reader *r = op_data;
    size_t n = 0;
    if (reader_next(r, src_buf, &n) <= 0) {
        if (!r->failed) {
            LZV_ERROR(LZ_EINTERNAL, "the file selection of '%s' has fewer elements than the memory selection",
                      lzv_vdset_name(r->vd));
            r->failed = true;
        }
        return -1;
    }
    *src_buf_bytes_used = n * r->mem_size;
    return 0;
}

/* ---- the read ------------------------------------------------------------------ */

herr_t
lzv_vdset_read(lzv_obj *dset, hid_t mem_type_id, hid_t mem_space_id, hid_t file_space_id, hid_t dxpl_id,
               void *buf)
{
    lzv_vdset *vd = dset->vdset;
    if (lzv_vdset_bind(dset, dxpl_id) < 0)
        return -1;
    /* As the native connector: H5S_BLOCK describes memory only, H5S_PLIST
     * the file only. */
    if (file_space_id == H5S_BLOCK || mem_space_id == H5S_PLIST) {
        LZV_ERROR(LZ_EVALUE, "reading '%s': %s is not allowed for the %s dataspace", lzv_vdset_name(vd),
                  file_space_id == H5S_BLOCK ? "H5S_BLOCK" : "H5S_PLIST",
                  file_space_id == H5S_BLOCK ? "file" : "memory");
        return -1;
    }
    herr_t ret = -1;
    hid_t own_fspace;
    if (file_space_id == H5S_PLIST)
        own_fspace = lzv_plist_selection(vd);
    else if (file_space_id == H5S_ALL)
        own_fspace = vd->rank ? H5Screate_simple(vd->rank, vd->dims, NULL) : H5Screate(H5S_SCALAR);
    else
        own_fspace = checked_selection(vd, file_space_id);
    hid_t fspace = own_fspace;
    if (fspace < 0)
        return -1;
    hssize_t npoints = H5Sget_select_npoints(fspace);
    hid_t mspace = mem_space_id == H5S_ALL ? fspace : mem_space_id;
    hsize_t mem_offset = 0;
    bool contiguous;
    if (mem_space_id == H5S_BLOCK) {
        contiguous = true;
    } else {
        hssize_t mpoints = H5Sget_select_npoints(mspace);
        if (npoints < 0 || mpoints < 0)
            goto done;
        if (mpoints != npoints) {
            LZV_ERROR(LZ_EVALUE,
                      "reading '%s': the memory selection has %lld elements but the file selection has "
                      "%lld",
                      lzv_vdset_name(vd), (long long)mpoints, (long long)npoints);
            goto done;
        }
        contiguous = mem_contiguous(mspace, &mem_offset);
    }
    if (npoints == 0) {
        ret = 0;
        goto done;
    }
    lzv_xfer xfer;
    lzv_xfer_init(&xfer, dxpl_id);
    reader r;
    if (reader_init(&r, dset, mem_type_id, fspace, &xfer, npoints, contiguous, 0, vd->binding.ctx) < 0) {
        reader_destroy(&r);
        goto done;
    }
    if (contiguous) {
        char *dst = (char *)buf + mem_offset * r.mem_size;
        if (!r.out_buf)
            r.direct = dst;
        const void *data;
        size_t n;
        int more;
        while ((more = reader_next(&r, &data, &n)) > 0) {
            if (data) {
                memcpy(dst, data, n * r.mem_size);
                dst += n * r.mem_size;
            }
        }
        ret = more < 0 ? -1 : 0;
    } else {
        ret = H5Dscatter(scatter_source, &r, mem_type_id, mspace, buf);
    }
    reader_destroy(&r);
    lzv_xfer_drop_cause(&xfer);
done: {
    hid_t saved = ret < 0 ? lzv_stack_save() : H5I_INVALID_HID;
    if (own_fspace >= 0)
        H5Sclose(own_fspace);
    lzv_stack_restore(saved);
    return ret;
}
}

/* ---- several datasets in one pass ------------------------------------------------ */

/* One virtual dataset of an H5Dread_multi, and whether it can be read in
 * lockstep with others: an exact box of the file selection (all, or one
 * regular strided box) delivered to one contiguous run of memory. */
typedef struct member {
    lzv_obj *dset;
    size_t index;       /* in the caller's arrays */
    hid_t fspace;       /* the file selection (owned when made for H5S_ALL) */
    bool own_fspace;
    lz_box box;         /* the exact box */
    hsize_t mem_offset; /* where the run starts, in elements */
    bool eligible;
} member;

static void
member_examine(member *m, hid_t mem_space_id, hid_t file_space_id)
{
    lzv_vdset *vd = m->dset->vdset;
    m->fspace = file_space_id;
    if (file_space_id == H5S_ALL) {
        m->fspace = vd->rank ? H5Screate_simple(vd->rank, vd->dims, NULL) : H5Screate(H5S_SCALAR);
        m->own_fspace = m->fspace >= 0;
    }
    if (m->fspace < 0 || file_space_id == H5S_PLIST || file_space_id == H5S_BLOCK || mem_space_id == H5S_PLIST)
        return;
    /* Another extent, or a selection outside it, is refused with its
     * reason by lzv_vdset_read. */
    hsize_t dims[H5S_MAX_RANK];
    int rank = H5Sget_simple_extent_ndims(m->fspace);
    bool same = rank == vd->rank && H5Sget_simple_extent_dims(m->fspace, dims, NULL) >= 0;
    hsize_t lo[H5S_MAX_RANK], hi[H5S_MAX_RANK];
    bool bounded = same && rank > 0 && H5Sget_select_npoints(m->fspace) > 0;
    if (bounded)
        same = H5Sget_select_bounds(m->fspace, lo, hi) >= 0;
    for (int k = 0; same && k < rank; k++)
        same = dims[k] == vd->dims[k] && (!bounded || hi[k] < dims[k]);
    if (!same)
        return;
    reader probe = {.vd = vd, .rank = vd->rank, .fspace = m->fspace, .sel_type = H5Sget_select_type(m->fspace)};
    hssize_t npoints = H5Sget_select_npoints(m->fspace);
    if (npoints <= 0 || !exact_box(&probe))
        return;
    m->box = probe.box;
    if (mem_space_id == H5S_ALL || mem_space_id == H5S_BLOCK) {
        m->mem_offset = 0;
        m->eligible = true;
    } else {
        m->eligible = H5Sget_select_npoints(mem_space_id) == npoints && mem_contiguous(mem_space_id, &m->mem_offset);
    }
}

static bool
same_selection(const member *a, const member *b)
{
    const lzv_vdset *x = a->dset->vdset, *y = b->dset->vdset;
    if (x->rank != y->rank || !lz_box_equal(&a->box, &b->box))
        return false;
    for (int k = 0; k < x->rank; k++)
        if (x->dims[k] != y->dims[k])
            return false;
    return true;
}

/* The members in lockstep, through the batch's buffers: the same piece of
 * every dataset in turn, so that the batch evaluates each piece once, and
 * each reader converts its dataset's values of it. */
static herr_t
read_in_lockstep(lzv_batch *batch, member *const *together, size_t n, hid_t mem_type_id[], int64_t max_elems,
                 lzv_xfer *xfer, void *buf[])
{
    reader readers[n];
    char *dst[n];
    size_t ready = 0;
    herr_t ret = 0;
    for (; ready < n && ret == 0; ready++) {
        const member *m = together[ready];
        int64_t npoints;
        lz_box_nelem(&m->box, &npoints);
        reader *r = &readers[ready];
        ret = reader_init(r, m->dset, mem_type_id[m->index], m->fspace, xfer, npoints, true, max_elems,
                          lzv_batch_ctx(batch));
        r->batch = batch;
        r->batch_index = ready;
        dst[ready] = (char *)buf[m->index] + m->mem_offset * r->mem_size;
        if (!r->out_buf)
            r->direct = dst[ready];
    }
    for (bool more = ret == 0; more;) {
        more = false;
        for (size_t i = 0; i < n && ret == 0; i++) {
            const void *data;
            size_t got;
            int st = reader_next(&readers[i], &data, &got);
            if (st < 0) {
                ret = -1;
            } else if (st > 0) {
                more = true;
                if (data) {
                    memcpy(dst[i], data, got * readers[i].mem_size);
                    dst[i] += got * readers[i].mem_size;
                }
            }
        }
        more = more && ret == 0;
    }
    for (size_t i = 0; i < ready; i++)
        reader_destroy(&readers[i]);
    return ret;
}

/* Read the members marked in `together` in one pass. When none converts
 * to its memory type, the whole box is evaluated once straight into the
 * callers' buffers (the engine cuts it within the whole budget); else in
 * lockstep through buffers of pieces. */
static herr_t
read_together(member *const *together, size_t n, hid_t mem_type_id[], hid_t dxpl_id, void *buf[])
{
    lzv_obj *dsets[n];
    size_t per = 0;
    bool convert = false;
    for (size_t i = 0; i < n; i++) {
        lzv_vdset *vd = together[i]->dset->vdset;
        hid_t mem = mem_type_id[together[i]->index];
        size_t src = lz_dtype_size(vd->dtype), msize = H5Tget_size(mem);
        per += 2 * src + (msize > src ? msize : src); /* batch buffer, evaluation, delivery */
        convert |= H5Tequal(vd->native_type, mem) <= 0; /* reader_init reports a failure */
        dsets[i] = together[i]->dset;
    }
    /* A quarter of the budget for the pieces' buffers; half over sources
     * whose chunks are decoded (filtered), where each further piece of a
     * reduction decodes every chunk again (W2z: mean and std of 10^6
     * float32 outputs took 2 pieces in a quarter of 64 MiB). */
    int64_t max_elems = 0;
    if (convert) {
        bool filtered = false;
        for (size_t i = 0; i < n; i++) {
            const lz_graph *g = together[i]->dset->vdset->binding.graph;
            for (size_t k = 0; g && k < lz_graph_source_count(g); k++)
                filtered |= lz_graph_source(g, k)->filtered;
        }
        max_elems = (int64_t)(dsets[0]->access->config.memory_bytes / (filtered ? 2 : 4) / per);
        max_elems = max_elems < 1 ? 1 : max_elems;
    }
    lzv_batch *batch = lzv_batch_new(dsets, n, max_elems);
    if (!batch)
        return -1;
    lzv_xfer xfer;
    lzv_xfer_init(&xfer, dxpl_id);
    herr_t ret;
    if (convert) {
        ret = read_in_lockstep(batch, together, n, mem_type_id, max_elems, &xfer, buf);
    } else {
        void *dst[n];
        for (size_t i = 0; i < n; i++)
            dst[i] = (char *)buf[together[i]->index] +
                     together[i]->mem_offset * lz_dtype_size(together[i]->dset->vdset->dtype);
        ret = lzv_batch_eval_into(batch, &together[0]->box, dst, &xfer);
    }
    hid_t saved = ret < 0 ? lzv_stack_save() : H5I_INVALID_HID;
    lzv_batch_free(batch);
    lzv_stack_restore(saved);
    lzv_xfer_drop_cause(&xfer);
    return ret;
}

herr_t
lzv_vdset_read_many(size_t count, lzv_obj *const *dsets, const size_t *index, hid_t mem_type_id[],
                    hid_t mem_space_id[], hid_t file_space_id[], hid_t dxpl_id, void *buf[])
{
    member *members = calloc(count, sizeof *members);
    member **together = calloc(count, sizeof *together);
    herr_t ret = members && together ? 0 : -1;
    if (ret < 0)
        LZV_ERROR(LZ_ENOMEM, "out of memory for a read of %zu virtual datasets", count);
    size_t examined = 0, ntogether = 0;
    for (; ret == 0 && examined < count; examined++) {
        member *m = &members[examined];
        m->dset = dsets[examined];
        m->index = index[examined];
        if (lzv_vdset_bind(m->dset, dxpl_id) < 0)
            ret = -1;
        else
            member_examine(m, mem_space_id[m->index], file_space_id[m->index]);
    }
    /* The datasets that share the first eligible one's selection go
     * together; the others are read one by one. */
    const member *lead = NULL;
    for (size_t i = 0; ret == 0 && i < count; i++) {
        if (members[i].eligible && (!lead || same_selection(lead, &members[i]))) {
            lead = lead ? lead : &members[i];
            together[ntogether++] = &members[i];
        }
    }
    if (ret == 0 && ntogether > 1)
        ret = read_together(together, ntogether, mem_type_id, dxpl_id, buf);
    for (size_t i = 0; ret == 0 && i < count; i++) {
        bool done = false;
        for (size_t j = 0; ntogether > 1 && j < ntogether; j++)
            done |= together[j] == &members[i];
        size_t k = members[i].index;
        if (!done)
            ret = lzv_vdset_read(members[i].dset, mem_type_id[k], mem_space_id[k], file_space_id[k], dxpl_id, buf[k]);
    }
    hid_t saved = ret < 0 ? lzv_stack_save() : H5I_INVALID_HID;
    for (size_t i = 0; i < examined; i++)
        if (members[i].own_fspace)
            H5Sclose(members[i].fspace);
    lzv_stack_restore(saved);
    free(members);
    free(together);
    return ret;
}
