/* lz_order_pass.c — order statistics of outputs whose reduced values do
 * not fit the budget (a median of the whole of a large array, a column
 * longer than the budget holds): exact selection in passes over the
 * values, reading them again instead of holding them.
 *
 * How it works, one output at a time. Pass 1 reads the output's values in
 * slabs and counts their keys (lz_order.h) in a histogram of the top B
 * bits, and the NaN among them. That gives n, the ranks wanted
 * (lz_order_ranks), and for each rank its bucket: a prefix of the key's
 * top bits and the rank among the keys with that prefix. Each later pass
 * reads the values again and, for every rank not yet found,
 *   - gathers the keys of its prefix when they fit the rank's share of
 *     the budget, then selects among them in memory: found;
 *   - or else counts them in a histogram of the next B bits, which
 *     lengthens the prefix by B bits (a prefix of all 64 bits is one key:
 *     found).
 * Uniform float32 data of 2^28 elements narrows to about 2^28 / 2^20
 * candidates after pass 2, gathered in pass 3. B is 16 when the budget
 * holds the histograms (512 KiB each), else 8. Ranks are refined together,
 * as many per round as the budget holds histograms for.
 */
#include "lz_order.h"

#include <string.h>

/* One rank being found. */
typedef struct target {
    int64_t rank;     /* among the output's keys (NaN keys are the largest) */
    uint64_t prefix;  /* the top `depth` bits every candidate has (low bits 0) */
    int depth;        /* bits of the prefix fixed so far */
    int64_t within;   /* the rank among the keys with that prefix */
    int64_t count;    /* keys with that prefix */
    bool gather;      /* the next pass gathers the keys of the prefix */
    bool found;       /* key holds the answer */
    uint64_t key;     /* the rank's key, once found */
    uint64_t *hist;   /* histogram of the next bits (2^bits) */
    uint64_t *cand;   /* gathered keys (up to cap) */
    int64_t ncand;
} target;

/* How the passes use the budget. */
typedef struct pass_plan {
    int bits;           /* B: bits a histogram resolves */
    int group;          /* ranks refined together */
    int64_t cap;        /* keys one rank may gather */
    int64_t slab;       /* values per slab read */
} pass_plan;

static void
plan_passes(lz_evaluator *ev, const lz_node *n, int64_t nranks, pass_plan *p)
{
    const lz_node *x = n->in[0];
    size_t budget = ev->ctx->config.memory_bytes, used = lz_ctx_budget_used(ev->ctx);
    lz_read_needs needs;
    lz_graph_read_needs(ev->g, budget, &needs);
    used += needs.scratch_bytes;
    size_t left = budget > used ? budget - used : 0;
    /* A quarter of what is left for the slab (its values and their keys,
     * and the input's temporaries), a quarter for histograms (the first
     * pass's and one per rank), half for gathered keys. */
    size_t per = lz_dtype_size(x->dtype) + sizeof(uint64_t) + lz_node_cost(ev, x);
    p->slab = (int64_t)(left / 4 / per);
    if (p->slab < 1)
        p->slab = 1;
    p->bits = left / 4 >= ((size_t)3 << 16) * sizeof(uint64_t) ? 16 : 8;
    size_t hist = ((size_t)1 << p->bits) * sizeof(uint64_t);
    int64_t g = (int64_t)(left / 4 / hist) - 1;
    p->group = g < 1 ? 1 : g > nranks ? (int)nranks : (int)g;
    p->cap = (int64_t)(left / 2 / sizeof(uint64_t) / (size_t)p->group);
    if (p->cap < 1)
        p->cap = 1;
}

int
lz_order_passes_bound(lz_evaluator *ev, const lz_node *n, int64_t qn)
{
    pass_plan p;
    plan_passes(ev, n, 2 * qn, &p);
    /* Pass 1, then per round of ranks at most one pass per B bits after
     * the first B (the last pass then pins all 64: no gather after it). */
    int64_t rounds = (2 * qn + p.group - 1) / p.group;
    int64_t bound = 1 + rounds * ((64 - p.bits + p.bits - 1) / p.bits);
    return bound > 1000 ? 1000 : (int)bound;
}

/* The slabs of one output's values: its input box with the reduced axes
 * cut into pieces of at most `most` elements. */
typedef struct slabs {
    lz_box ibox;                /* the output's input box */
    lz_box rbox;                /* the reduced axes, whole */
    int raxis[LZ_MAX_RANK];     /* input axis of each of rbox's */
    lz_box_pieces it;
} slabs;

static void
slabs_init(slabs *s, const lz_node *n, const lz_box *ibox, int64_t most)
{
    s->ibox = *ibox;
    s->rbox.rank = 0;
    for (int a = 0; a < ibox->rank; a++) {
        if (!n->order->axis[a])
            continue;
        s->raxis[s->rbox.rank] = a;
        s->rbox.start[s->rbox.rank] = 0;
        s->rbox.count[s->rbox.rank] = ibox->count[a];
        s->rbox.step[s->rbox.rank] = 1;
        s->rbox.rank++;
    }
    lz_box_pieces_init(&s->it, &s->rbox, most);
}

static bool
slabs_next(slabs *s, lz_box *slab, int64_t *nelem)
{
    lz_box r;
    int64_t off;
    if (!lz_box_pieces_next(&s->it, &r, &off))
        return false;
    *slab = s->ibox;
    *nelem = 1;
    for (int q = 0; q < s->rbox.rank; q++) {
        slab->start[s->raxis[q]] = r.start[q];
        slab->count[s->raxis[q]] = r.count[q];
        *nelem *= r.count[q];
    }
    return true;
}

/* The width of the next histogram of t: B bits, or what is left of 64. */
static int
width(const target *t, int bits)
{
    return 64 - t->depth < bits ? 64 - t->depth : bits;
}

/* Fold one slab's keys into the pass-1 histogram or the targets. */
static void
fold_keys(const uint64_t *keys, int64_t m, target *tg, int ntg, int bits, uint64_t *hist0, int64_t *nnan)
{
    if (hist0) {
        for (int64_t e = 0; e < m; e++) {
            hist0[keys[e] >> (64 - bits)]++;
            *nnan += keys[e] == UINT64_MAX;
        }
        return;
    }
    for (int k = 0; k < ntg; k++) {
        target *t = &tg[k];
        if (t->found)
            continue;
        int shift = 64 - t->depth, w = width(t, bits);
        uint64_t mask = ((uint64_t)1 << w) - 1;
        for (int64_t e = 0; e < m; e++) {
            uint64_t key = keys[e];
            if ((key ^ t->prefix) >> shift) /* another prefix (depth >= 8: shift < 64) */
                continue;
            if (t->gather)
                t->cand[t->ncand++] = key;
            else
                t->hist[(key >> (shift - w)) & mask]++;
        }
    }
}

/* Read every value of the output once (one pass), folding its keys. */
static lz_status
read_pass(lz_evaluator *ev, const lz_node *n, const lz_box *ibox, const pass_plan *p, void *buf, uint64_t *keys,
          target *tg, int ntg, uint64_t *hist0, int64_t *nnan)
{
    const lz_node *x = n->in[0];
    slabs s;
    slabs_init(&s, n, ibox, p->slab);
    lz_box slab;
    int64_t m;
    while (slabs_next(&s, &slab, &m)) {
        lz_status st = lz_eval_node(ev, x, &slab, buf);
        if (st)
            return st;
        lz_order_keys(x->dtype, buf, m, keys);
        fold_keys(keys, m, tg, ntg, p->bits, hist0, nnan);
    }
    return LZ_OK;
}

/* Narrow t by its histogram (of w bits after its prefix), or settle it by
 * its gathered keys. */
static void
settle(target *t, int bits, int64_t cap)
{
    if (t->gather) {
        lz_order_select(t->cand, 0, t->ncand, t->within);
        t->key = t->cand[t->within];
        t->found = true;
        return;
    }
    int w = width(t, bits);
    int64_t below = 0;
    uint64_t b = 0;
    for (;; b++) { /* the bucket holding the rank: there is one, since within < count */
        if (t->within < below + (int64_t)t->hist[b])
            break;
        below += (int64_t)t->hist[b];
    }
    t->depth += w;
    t->prefix |= b << (64 - t->depth);
    t->within -= below;
    t->count = (int64_t)t->hist[b];
    if (t->depth == 64) { /* every key of the prefix is this one */
        t->key = t->prefix;
        t->found = true;
    }
    t->gather = t->count <= cap;
    memset(t->hist, 0, ((size_t)1 << bits) * sizeof *t->hist);
}

/* Start target t at rank k from the pass-1 histogram. */
static void
start_target(target *t, int64_t k, const uint64_t *hist0, int bits, int64_t cap)
{
    uint64_t *hist = t->hist, *cand = t->cand;
    memset(t, 0, sizeof *t);
    t->hist = hist;
    t->cand = cand;
    t->rank = k;
    t->within = k;
    t->depth = 0;
    /* hist0 is the histogram of the first `bits` bits after an empty prefix. */
    memcpy(t->hist, hist0, ((size_t)1 << bits) * sizeof *t->hist);
    settle(t, bits, cap);
}

lz_status
lz_order_passes_eval(lz_evaluator *ev, const lz_node *n, const lz_box *kept, int64_t q0, int64_t qn, int64_t qstep,
                     void *out, lz_order_scratch *s)
{
    lz_ctx *ctx = ev->ctx;
    const lz_node *x = n->in[0];
    const lz_order *o = n->order;
    int64_t nout, R = lz_order_reduced_count(n);
    lz_box_nelem(kept, &nout);
    pass_plan p;
    plan_passes(ev, n, 2 * qn, &p);
    size_t hsize = ((size_t)1 << p.bits) * sizeof(uint64_t), osz = lz_dtype_size(n->dtype);
    void *buf = lz_alloc(ctx, (size_t)p.slab * lz_dtype_size(x->dtype));
    uint64_t *keys = lz_alloc(ctx, (size_t)p.slab * sizeof *keys);
    uint64_t *hist0 = lz_calloc(ctx, 1, hsize);
    target *tg = lz_calloc(ctx, (size_t)p.group, sizeof *tg);
    lz_status st = buf && keys && hist0 && tg ? LZ_OK : LZ_ENOMEM;
    for (int k = 0; st == LZ_OK && k < p.group; k++)
        if (!(tg[k].hist = lz_calloc(ctx, 1, hsize)) || !(tg[k].cand = lz_alloc(ctx, (size_t)p.cap * sizeof(uint64_t))))
            st = LZ_ENOMEM;
    lz_box kbox = *kept;
    lz_box_pieces outs;
    lz_box_pieces_init(&outs, &kbox, 1);
    lz_box one;
    int64_t j;
    while (st == LZ_OK && lz_box_pieces_next(&outs, &one, &j)) {
        /* The output's input box: lz_order_input_box wants the q axis. */
        lz_box full = one, ibox;
        if (o->qaxis) {
            full.rank = one.rank + 1;
            full.start[0] = 0;
            full.count[0] = full.step[0] = 1;
            for (int k = 0; k < one.rank; k++) {
                full.start[k + 1] = one.start[k];
                full.count[k + 1] = one.count[k];
                full.step[k + 1] = one.step[k];
            }
        }
        lz_order_input_box(n, &full, &ibox);
        char *dst = (char *)out + j * (int64_t)osz;
        int64_t qstride = nout * (int64_t)osz, nnan = 0;
        memset(hist0, 0, hsize);
        if ((st = read_pass(ev, n, &ibox, &p, buf, keys, NULL, 0, hist0, &nnan)))
            break;
        int64_t count = R - nnan;
        if ((nnan > 0 && !o->skipna) || count == 0) {
            for (int64_t qi = 0; qi < qn; qi++)
                lz_order_nan(n, dst + qi * qstride);
            continue;
        }
        int64_t nr = 0;
        for (int64_t qi = 0; qi < qn; qi++) {
            lz_order_ranks(o, o->q[q0 + qi * qstep], count, &s->picks[qi]);
            s->ranks[nr++] = s->picks[qi].i;
            s->ranks[nr++] = s->picks[qi].j;
        }
        /* Each rank wanted, found in rounds of p.group. */
        for (int64_t r0 = 0; st == LZ_OK && r0 < nr; r0 += p.group) {
            int ntg = nr - r0 < p.group ? (int)(nr - r0) : p.group;
            bool pending = false;
            for (int k = 0; k < ntg; k++) {
                start_target(&tg[k], s->ranks[r0 + k], hist0, p.bits, p.cap);
                pending |= !tg[k].found;
            }
            while (st == LZ_OK && pending) {
                for (int k = 0; k < ntg; k++)
                    tg[k].ncand = 0;
                if ((st = read_pass(ev, n, &ibox, &p, buf, keys, tg, ntg, NULL, NULL)))
                    break;
                pending = false;
                for (int k = 0; k < ntg; k++) {
                    if (!tg[k].found)
                        settle(&tg[k], p.bits, p.cap);
                    pending |= !tg[k].found;
                }
            }
            for (int k = 0; k < ntg; k++)
                s->rkeys[r0 + k] = tg[k].key;
        }
        for (int64_t qi = 0; st == LZ_OK && qi < qn; qi++)
            lz_order_value(n, &s->picks[qi], s->rkeys[2 * qi], s->rkeys[2 * qi + 1], dst + qi * qstride);
    }
    for (int k = 0; tg && k < p.group; k++) {
        lz_free(ctx, tg[k].hist);
        lz_free(ctx, tg[k].cand);
    }
    lz_free(ctx, tg);
    lz_free(ctx, hist0);
    lz_free(ctx, keys);
    lz_free(ctx, buf);
    return st;
}
