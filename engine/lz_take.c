/* lz_take.c — picking: take(x, [i, j, ...], axis) and x[:, [i, j]]
 * (TAKE nodes), flat C-order ranges of a node (take and scans with
 * axis=None), and GUARD nodes (a read-time check, e.g. average's weights
 * summing to zero).
 *
 * How it works. The indices a box of a TAKE node names are cut into runs
 * of equal positive differences (5, 6, 7 or 0, 10, 20): each run is one
 * strided box of the input, so a read touches only the rows named and
 * reads neighbouring ones in one go. Repeated or decreasing indices start
 * new runs (a repeated row is read again: lists are short next to data).
 */
#include "lz_eval.h"

#include <string.h>

/* ---- flat ranges ------------------------------------------------------------------ */

void
lz_flat_next(const lz_node *x, int64_t *first, int64_t end, lz_box *box)
{
    int r = x->rank;
    int64_t p = *first, idx[LZ_MAX_RANK] = {0}, rest = p;
    for (int k = r - 1; k >= 0; k--) {
        idx[k] = rest % x->shape[k];
        rest /= x->shape[k];
    }
    box->rank = r;
    if (r == 0) { /* the one element */
        *first = p + 1;
        return;
    }
    /* Widen upwards while the box is aligned on whole lower axes and they
     * fit in what is left of the range. */
    int d = r - 1;
    int64_t block = 1;
    while (d > 0 && idx[d] == 0 && end - p >= block * x->shape[d]) {
        block *= x->shape[d];
        d--;
    }
    int64_t cnt = (end - p) / block, room = x->shape[d] - idx[d];
    cnt = cnt < room ? cnt : room;
    for (int k = 0; k < r; k++) {
        box->step[k] = 1;
        box->start[k] = k <= d ? idx[k] : 0;
        box->count[k] = k < d ? 1 : k == d ? cnt : x->shape[k];
    }
    *first = p + cnt * block;
}

lz_status
lz_eval_flat(lz_evaluator *ev, const lz_node *x, int64_t first, int64_t end, void *out)
{
    size_t isz = lz_dtype_size(x->dtype);
    char *at = out;
    while (first < end) {
        int64_t from = first;
        lz_box box;
        lz_flat_next(x, &first, end, &box);
        lz_status st = lz_eval_node(ev, x, &box, at);
        if (st)
            return st;
        at += (first - from) * (int64_t)isz;
    }
    return LZ_OK;
}

/* ---- take --------------------------------------------------------------------------- */

/* The run of the box's indices starting at output position j0 (of c along
 * the axis): its length, first input index and step. */
static int64_t
take_run(const lz_node *n, const lz_box *box, int axis, int64_t j0, int64_t *first, int64_t *step)
{
    const lz_take *t = n->take;
    int64_t s = box->start[axis], bt = box->step[axis], c = box->count[axis];
    int64_t v0 = t->index[s + bt * j0];
    *first = v0;
    *step = 1;
    if (j0 + 1 >= c)
        return 1;
    int64_t d = t->index[s + bt * (j0 + 1)] - v0;
    if (d < 1 || (t->flat && d != 1)) /* flat runs are ranges */
        return 1;
    int64_t len = 2;
    while (j0 + len < c && t->index[s + bt * (j0 + len)] - t->index[s + bt * (j0 + len - 1)] == d)
        len++;
    *step = d;
    return len;
}

lz_status
lz_eval_take(lz_evaluator *ev, const lz_node *n, const lz_box *box, void *out)
{
    const lz_node *x = n->in[0];
    const lz_take *t = n->take;
    int axis = t->axis;
    size_t isz = lz_dtype_size(n->dtype);
    int64_t c = box->count[axis], inner = 1, outer = 1;
    for (int k = axis + 1; k < n->rank; k++)
        inner *= box->count[k];
    for (int k = 0; k < axis; k++)
        outer *= box->count[k];
    for (int64_t j = 0; j < c;) {
        int64_t first, step, len = take_run(n, box, axis, j, &first, &step);
        char *slab = (char *)out + j * inner * (int64_t)isz;
        lz_status st;
        if (t->flat) {
            st = lz_eval_flat(ev, x, first, first + len, slab);
        } else {
            lz_box ib = *box;
            ib.start[axis] = first;
            ib.step[axis] = step;
            ib.count[axis] = len;
            if (outer == 1) { /* the run's slab is contiguous in the output */
                st = lz_eval_node(ev, x, &ib, slab);
            } else {
                char *tmp = lz_alloc(ev->ctx, (size_t)(outer * len * inner) * isz);
                if (!tmp)
                    return LZ_ENOMEM;
                st = lz_eval_node(ev, x, &ib, tmp);
                size_t run = (size_t)(len * inner) * isz;
                for (int64_t r = 0; st == LZ_OK && r < outer; r++)
                    memcpy(slab + r * c * inner * (int64_t)isz, tmp + r * (int64_t)run, run);
                lz_free(ev->ctx, tmp);
            }
        }
        if (st)
            return st;
        j += len;
    }
    return LZ_OK;
}

void
lz_take_inputs(const lz_node *n, const lz_box *box, lz_input_visit visit, void *arg)
{
    const lz_node *x = n->in[0];
    int axis = n->take->axis;
    for (int64_t j = 0; j < box->count[axis];) {
        int64_t first, step, len = take_run(n, box, axis, j, &first, &step);
        if (n->take->flat) {
            for (int64_t p = first; p < first + len;) {
                lz_box ib;
                lz_flat_next(x, &p, first + len, &ib);
                visit(arg, x, &ib);
            }
        } else {
            lz_box ib = *box;
            ib.start[axis] = first;
            ib.step[axis] = step;
            ib.count[axis] = len;
            visit(arg, x, &ib);
        }
        j += len;
    }
}

/* ---- guards -------------------------------------------------------------------------- */

/* The condition first: a read that must fail reads no more than it. */
lz_status
lz_eval_guard(lz_evaluator *ev, const lz_node *n, const lz_box *box, void *out)
{
    lz_box cbox;
    int64_t stride[LZ_MAX_RANK];
    lz_leaf_box(n->in[1], box, &cbox, stride);
    int64_t ncond;
    lz_box_nelem(&cbox, &ncond);
    uint8_t *cond = lz_alloc(ev->ctx, (size_t)ncond);
    if (!cond)
        return LZ_ENOMEM;
    lz_status st = lz_eval_node(ev, n->in[1], &cbox, cond);
    for (int64_t i = 0; st == LZ_OK && i < ncond; i++)
        if (cond[i])
            st = lz_ctx_fail(ev->ctx, LZ_EVALUE, n->line, n->column, "%s", n->guard);
    lz_free(ev->ctx, cond);
    return st ? st : lz_eval_node(ev, n->in[0], box, out);
}
