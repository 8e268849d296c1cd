/* lz_box.c — box validation, element counts, C-order piece iteration,
 * strided gathers, and shapes as text. */
#include "lz_box.h"

#include <stdio.h>
#include <string.h>

void
lz_box_full(lz_box *box, int rank, const int64_t *shape)
{
    box->rank = rank;
    for (int k = 0; k < rank; k++) {
        box->start[k] = 0;
        box->count[k] = shape[k];
        box->step[k] = 1;
    }
}

bool
lz_box_equal(const lz_box *a, const lz_box *b)
{
    if (a->rank != b->rank)
        return false;
    for (int k = 0; k < a->rank; k++)
        if (a->start[k] != b->start[k] || a->count[k] != b->count[k] || (a->count[k] > 1 && a->step[k] != b->step[k]))
            return false;
    return true;
}

bool
lz_box_nelem(const lz_box *box, int64_t *nelem)
{
    int64_t n = 1;
    for (int k = 0; k < box->rank; k++) {
        if (box->count[k] == 0) {
            *nelem = 0;
            return true;
        }
    }
    for (int k = 0; k < box->rank; k++) {
        if (__builtin_mul_overflow(n, box->count[k], &n))
            return false;
    }
    *nelem = n;
    return true;
}

lz_status
lz_box_check(lz_ctx *ctx, const lz_box *box, int rank, const int64_t *shape, const char *what)
{
    if (box->rank != rank)
        return lz_ctx_fail(ctx, LZ_EVALUE, 0, 0, "%s has rank %d but the array has rank %d", what,
                           box->rank, rank);
    for (int k = 0; k < rank; k++) {
        int64_t start = box->start[k], count = box->count[k], step = box->step[k];
        if (count < 0 || step < 1 || start < 0)
            return lz_ctx_fail(ctx, LZ_EVALUE, 0, 0,
                               "%s on axis %d is invalid (start %lld, count %lld, step %lld)", what, k,
                               (long long)start, (long long)count, (long long)step);
        if (count == 0)
            continue;
        /* last = start + (count-1)*step, computed without overflow. */
        int64_t last;
        if (__builtin_mul_overflow(count - 1, step, &last) ||
            __builtin_add_overflow(last, start, &last) || last >= shape[k])
            return lz_ctx_fail(ctx, LZ_EVALUE, 0, 0,
                               "%s on axis %d (start %lld, count %lld, step %lld) goes beyond the "
                               "extent %lld",
                               what, k, (long long)start, (long long)count, (long long)step,
                               (long long)shape[k]);
    }
    return LZ_OK;
}

void
lz_box_pieces_init(lz_box_pieces *it, const lz_box *box, int64_t max_elems)
{
    memset(it, 0, sizeof *it);
    it->box = *box;
    if (max_elems < 1)
        max_elems = 1;
    for (int k = 0; k < box->rank; k++) {
        if (box->count[k] == 0) {
            it->done = true;
            return;
        }
    }
    if (box->rank == 0) {
        it->axis = -1;
        it->run = 1;
        return;
    }
    /* The cut axis is the outermost one below which everything fits. */
    int64_t inner = 1;
    int axis = box->rank - 1;
    for (;;) {
        int64_t with_axis;
        if (__builtin_mul_overflow(inner, box->count[axis], &with_axis) || with_axis > max_elems)
            break;
        inner = with_axis;
        if (axis == 0) { /* the whole box fits: one piece */
            it->axis = 0;
            it->run = box->count[0];
            return;
        }
        axis--;
    }
    it->axis = axis;
    it->run = max_elems / inner; /* >= 1 since inner <= max_elems */
}

bool
lz_box_pieces_next(lz_box_pieces *it, lz_box *piece, int64_t *offset)
{
    if (it->done)
        return false;
    const lz_box *b = &it->box;
    *piece = *b;
    *offset = it->offset;
    if (it->axis < 0) { /* rank 0 */
        it->done = true;
        return true;
    }
    int a = it->axis;
    int64_t inner = 1;
    for (int k = a + 1; k < b->rank; k++)
        inner *= b->count[k];
    for (int k = 0; k < a; k++) {
        piece->start[k] = b->start[k] + it->index[k] * b->step[k];
        piece->count[k] = 1;
    }
    int64_t run = b->count[a] - it->index[a];
    if (run > it->run)
        run = it->run;
    piece->start[a] = b->start[a] + it->index[a] * b->step[a];
    piece->count[a] = run;
    it->offset += run * inner;
    /* Advance: the cut axis first, then carry into the outer axes. */
    it->index[a] += run;
    for (int k = a; k > 0 && it->index[k] == b->count[k]; k--) {
        it->index[k] = 0;
        it->index[k - 1]++;
    }
    if (it->index[0] >= b->count[0])
        it->done = true;
    return true;
}

void
lz_grid_pieces_init(lz_grid_pieces *p, const lz_box *box, int64_t max_elems, const int64_t *grid)
{
    lz_box_pieces_init(&p->it, box, max_elems);
    p->grid = 0;
    int a = p->it.axis;
    if (a >= 0 && !p->it.done && grid[a] > 1 && box->step[a] == 1 && p->it.run >= grid[a] &&
        p->it.run < box->count[a]) {
        p->grid = grid[a];
        p->it.run -= p->it.run % grid[a];
    }
}

bool
lz_grid_pieces_next(lz_grid_pieces *p, lz_box *piece, int64_t *offset)
{
    int a = p->it.axis;
    if (p->grid > 0 && !p->it.done) {
        /* Shorten the run so that it ends on a grid line. */
        int64_t pos = p->it.box.start[a] + p->it.index[a];
        int64_t run = p->it.run - pos % p->grid;
        int64_t saved = p->it.run;
        p->it.run = run > 0 ? run : p->it.run;
        bool more = lz_box_pieces_next(&p->it, piece, offset);
        p->it.run = saved;
        return more;
    }
    return lz_box_pieces_next(&p->it, piece, offset);
}

void
lz_box_gather(void *dst, const void *src, int rank, const int64_t *shape, const lz_box *box,
              size_t itemsize)
{
    int64_t n;
    if (!lz_box_nelem(box, &n) || n == 0)
        return;
    if (rank == 0) {
        memcpy(dst, src, itemsize);
        return;
    }
    /* Element strides of the source array. */
    int64_t stride[LZ_MAX_RANK];
    stride[rank - 1] = 1;
    for (int k = rank - 2; k >= 0; k--)
        stride[k] = stride[k + 1] * shape[k + 1];
    int64_t index[LZ_MAX_RANK] = {0};
    const char *s = src;
    char *d = dst;
    int last = rank - 1;
    int64_t inner_count = box->count[last], inner_step = box->step[last];
    for (;;) {
        int64_t off = 0;
        for (int k = 0; k < last; k++)
            off += (box->start[k] + index[k] * box->step[k]) * stride[k];
        off += box->start[last];
        if (inner_step == 1) {
            memcpy(d, s + off * (int64_t)itemsize, (size_t)inner_count * itemsize);
            d += inner_count * (int64_t)itemsize;
        } else {
            for (int64_t i = 0; i < inner_count; i++) {
                memcpy(d, s + (off + i * inner_step) * (int64_t)itemsize, itemsize);
                d += itemsize;
            }
        }
        int k = last - 1;
        while (k >= 0 && ++index[k] == box->count[k])
            index[k--] = 0;
        if (k < 0)
            break;
    }
}

/* One element of any size. */
static inline void
copy_elem(char *d, const char *s, size_t itemsize)
{
    switch (itemsize) {
    case 1:
        *d = *s;
        break;
    case 2:
        memcpy(d, s, 2);
        break;
    case 4:
        memcpy(d, s, 4);
        break;
    case 8:
        memcpy(d, s, 8);
        break;
    default:
        memcpy(d, s, itemsize);
        break;
    }
}

void
lz_strided_copy(void *dst, const void *src, int rank, const int64_t *count, const int64_t *src_stride,
                size_t itemsize)
{
    int64_t n = 1;
    for (int k = 0; k < rank; k++)
        n *= count[k];
    if (n == 0)
        return;
    char *d = dst;
    const char *s = src;
    if (rank == 0) {
        copy_elem(d, s, itemsize);
        return;
    }
    int last = rank - 1;
    int64_t inner = count[last], inner_stride = src_stride[last] * (int64_t)itemsize;
    int64_t index[LZ_MAX_RANK] = {0};
    for (;;) {
        int64_t off = 0;
        for (int k = 0; k < last; k++)
            off += index[k] * src_stride[k];
        const char *row = s + off * (int64_t)itemsize;
        if (src_stride[last] == 1) {
            memcpy(d, row, (size_t)inner * itemsize);
        } else {
            for (int64_t i = 0; i < inner; i++)
                copy_elem(d + i * (int64_t)itemsize, row + i * inner_stride, itemsize);
        }
        d += inner * (int64_t)itemsize;
        int k = last - 1;
        while (k >= 0 && ++index[k] == count[k])
            index[k--] = 0;
        if (k < 0)
            break;
    }
}

void
lz_shape_format(int rank, const int64_t *shape, char *buf, size_t size)
{
    size_t used = (size_t)snprintf(buf, size, "(");
    for (int k = 0; k < rank && used < size; k++)
        used += (size_t)snprintf(buf + used, size - used, "%s%lld", k ? ", " : "", (long long)shape[k]);
    if (used < size)
        snprintf(buf + used, size - used, rank == 1 ? ",)" : ")");
}
