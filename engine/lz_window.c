/* lz_window.c — sliding_window_view (WINDOW nodes).
 *
 * How it works. A box of the windows maps, along every input axis, to
 * the range of indices its window starts and offsets reach: that range of
 * x is evaluated once and the windows are copied out of it by strides
 * (each window element is x[start + offset]). Overlapping windows share
 * the read, so a box of w-wide windows over n starts reads n + w - 1
 * elements, not n * w. Only the box asked for is built: a reduction over
 * the window axis streams the windows in slabs of its budget, never all of
 * them. A box whose range would be much larger than itself (windows far
 * apart) is split along its first long axis until it is not.
 */
#include "lz_eval.h"

/* The input box `box` of n reads: windowed input axes from the first to
 * the last index reached, step 1; the others as the box. *span: its
 * elements. */
static void
input_range(const lz_node *n, const lz_box *box, lz_box *ib, int64_t *span)
{
    const lz_node *x = n->in[0];
    const lz_window *w = n->window;
    *ib = *box;
    ib->rank = x->rank;
    for (int j = 0; j < w->nwin; j++) {
        int a = w->in_axis[j], k = x->rank + j;
        if (ib->step[a] != 1) { /* the start axis in full steps of 1 from here on */
            ib->count[a] = (ib->count[a] - 1) * ib->step[a] + 1;
            ib->step[a] = 1;
        }
        ib->start[a] += box->start[k];
        ib->count[a] += (box->count[k] - 1) * box->step[k];
    }
    lz_box_nelem(ib, span);
}

lz_status
lz_eval_window(lz_evaluator *ev, const lz_node *n, const lz_box *box, void *out)
{
    const lz_node *x = n->in[0];
    const lz_window *w = n->window;
    size_t isz = lz_dtype_size(n->dtype);
    lz_box ib;
    int64_t span, nelem;
    input_range(n, box, &ib, &span);
    lz_box_nelem(box, &nelem);
    /* Windows far apart: halves along the first axis longer than 1, which
     * are contiguous in the output (the axes before it are of one). */
    int split = 0;
    while (split < n->rank && box->count[split] == 1)
        split++;
    if (span > 2 * nelem && split < n->rank) {
        lz_box half = *box;
        half.count[split] = box->count[split] / 2;
        lz_status st = lz_eval_window(ev, n, &half, out);
        if (st)
            return st;
        int64_t done;
        lz_box_nelem(&half, &done);
        half.start[split] += half.count[split] * box->step[split];
        half.count[split] = box->count[split] - half.count[split];
        return lz_eval_window(ev, n, &half, (char *)out + done * (int64_t)isz);
    }
    char *tmp = lz_alloc(ev->ctx, (size_t)span * isz);
    if (!tmp)
        return LZ_ENOMEM;
    lz_status st = lz_eval_node(ev, x, &ib, tmp);
    if (st == LZ_OK) {
        int64_t xs[LZ_MAX_RANK], stride[LZ_MAX_RANK], s = 1;
        for (int a = x->rank - 1; a >= 0; a--) {
            xs[a] = s;
            s *= ib.count[a];
        }
        for (int a = 0; a < x->rank; a++) /* a start axis read in steps of 1 moves box->step per output */
            stride[a] = xs[a] * (ib.step[a] == box->step[a] ? 1 : box->step[a]);
        for (int j = 0; j < w->nwin; j++)
            stride[x->rank + j] = xs[w->in_axis[j]] * box->step[x->rank + j];
        lz_strided_copy(out, tmp, n->rank, box->count, stride, isz);
    }
    lz_free(ev->ctx, tmp);
    return st;
}

void
lz_window_inputs(const lz_node *n, const lz_box *box, lz_input_visit visit, void *arg)
{
    lz_box ib;
    int64_t span;
    input_range(n, box, &ib, &span);
    visit(arg, n->in[0], &ib);
}
