/* lz_order_pass.c — order statistics of outputs whose reduced values do
 * not fit the budget (a median of the whole of a large array, a column
 * longer than the budget holds): exact selection in passes over the
 * values, reading them again instead of holding them.
 *
 * How it works, a block of outputs at a time (as many as the budget holds
 * histograms for: a median over a time axis too long for the budget reads
 * every time step a few times, not a few times per output). Pass 1 reads
 * the block's values in slabs and counts each output's keys (lz_order.h)
 * in a histogram of the top B bits, and the NaN among them. That gives
 * each output's n, the ranks wanted (lz_order_ranks), and for each rank
 * its bucket: a prefix of the key's top bits and the rank among the keys
 * with that prefix. Each later pass reads the values again and, for every
 * rank not yet found,
 *   - gathers the keys of its prefix when they fit the rank's share of
 *     the budget, then selects among them in memory: found;
 *   - or else counts them in a histogram of the next B bits, which
 *     lengthens the prefix by B bits (a prefix of all 64 bits is one key:
 *     found).
 * Uniform float32 data of 2^28 elements narrows to about 2^28 / 2^20
 * candidates after pass 2, gathered in pass 3. B is 16 when the budget
 * holds the histograms of every output (512 KiB each), else 8. The ranks
 * of a block are refined together, as many per round as the budget holds
 * histograms for (rounds only when one output's ranks do not all fit).
 */
#include "lz_order.h"

#include <string.h>

/* One rank being found. */
typedef struct target {
    int64_t out;      /* the output of the block it belongs to */
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
    int bits;       /* B: bits a histogram resolves */
    int64_t block;  /* outputs read together */
    int64_t group;  /* ranks refined together (a round) */
    int64_t cap;    /* keys one rank may gather */
    int64_t slab;   /* values per slab read, over the block's outputs */
} pass_plan;

/* Outputs of the node without its q axis. */
static int64_t
outputs_of(const lz_node *n)
{
    int64_t m = 1;
    for (int k = n->order->qaxis; k < n->rank; k++)
        m *= n->shape[k];
    return m;
}

static void
plan_passes(lz_evaluator *ev, const lz_node *n, int64_t nout, int64_t qn, pass_plan *p)
{
    const lz_node *x = n->in[0];
    size_t left = lz_plan_budget_left(ev, NULL);
    /* A quarter of what is left for the slab (its values and their keys,
     * the input's temporaries, an output's row of keys and its offset),
     * a quarter for histograms (the first pass's and one per rank of
     * every output in a block), half for gathered keys. */
    size_t per = lz_dtype_size(x->dtype) + 3 * sizeof(uint64_t) + lz_node_cost(ev, x);
    p->slab = (int64_t)(left / 4 / per);
    if (p->slab < 1)
        p->slab = 1;
    size_t share = left / 4, want = 1 + 2 * (size_t)qn, h16 = ((size_t)1 << 16) * sizeof(uint64_t);
    bool all16 = share / (want * h16) >= (size_t)nout;
    p->bits = all16 || (nout == 1 && share >= 3 * h16) ? 16 : 8;
    size_t hist = ((size_t)1 << p->bits) * sizeof(uint64_t), tgt = hist + sizeof(target);
    /* An output's pass-1 histogram and small arrays (its offset, NaN
     * count, targets' range, picks, ranks and their keys), and a target's
     * histogram: blocks of outputs whose targets all fit in one round. */
    size_t own = hist + 4 * sizeof(int64_t) + 1 + (size_t)qn * (sizeof(lz_order_pick) + 4 * sizeof(uint64_t));
    int64_t block = (int64_t)(share / (own + (want - 1) * tgt));
    block = block < 1 ? 1 : block > nout ? nout : block;
    p->block = block < p->slab ? block : p->slab; /* a slab holds a value of each */
    size_t rest = share > (size_t)p->block * own ? share - (size_t)p->block * own : 0;
    int64_t g = (int64_t)(rest / tgt), ranks = p->block * 2 * qn;
    p->group = g < 1 ? 1 : g > ranks ? ranks : g;
    /* The gathered keys get what the rest leaves (at least half of the
     * budget left, unless the smallest histograms take more than their
     * quarter). */
    size_t taken = (size_t)p->slab * per + (size_t)p->block * own + (size_t)p->group * tgt;
    p->cap = (int64_t)((left > taken ? left - taken : 0) / sizeof(uint64_t) / (size_t)p->group);
    if (p->cap < 1)
        p->cap = 1;
}

int
lz_order_passes_bound(lz_evaluator *ev, const lz_node *n, int64_t qn)
{
    pass_plan p;
    plan_passes(ev, n, outputs_of(n), qn, &p);
    /* Pass 1, then per round of ranks at most one pass per B bits after
     * the first B (the last pass then pins all 64: no gather after it).
     * Each block's passes read only the block's values. */
    int64_t rounds = (2 * qn * p.block + p.group - 1) / p.group;
    int64_t bound = 1 + rounds * ((64 - p.bits + p.bits - 1) / p.bits);
    return bound > 1000 ? 1000 : (int)bound;
}

/* What one pass over a block's values does with them: count them in the
 * outputs' first histograms (hist0 set) or fold them into the targets of
 * the round (tlo/thi: the targets of each output). */
typedef struct pass_job {
    const lz_node *n;
    lz_box ibox;          /* the block's input box */
    int64_t nb;           /* outputs in the block */
    int64_t most;         /* reduced values per output in a slab */
    int bits;
    void *buf;            /* a slab's values */
    uint64_t *keys;       /* their keys */
    uint64_t *row;        /* one output's keys of a slab */
    int64_t *base;        /* where each output starts in a slab */
    int64_t *roff;        /* offsets of an output's values in a slab */
    uint64_t *hist0;      /* pass 1: nb histograms */
    int64_t *nnan;        /* pass 1: NaN per output */
    target *tg;           /* later passes: the round's targets */
    const int64_t *tlo, *thi;
} pass_job;

/* The width of the next histogram of t: B bits, or what is left of 64. */
static int
width(const target *t, int bits)
{
    return 64 - t->depth < bits ? 64 - t->depth : bits;
}

/* Fold one output's keys of a slab into its targets. */
static void
fold_targets(const uint64_t *keys, int64_t m, target *tg, int64_t ntg, int bits)
{
    for (int64_t k = 0; k < ntg; k++) {
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

/* Where each output of a slab starts (its kept indices) and where its
 * values lie from there (the slab's reduced indices, in C order); returns
 * how many values each output has in the slab. */
static int64_t
slab_offsets(const pass_job *j, const lz_box *slab)
{
    const lz_node *x = j->n->in[0];
    const bool *axis = j->n->order->axis;
    int64_t stride[LZ_MAX_RANK], sz = 1, m = 1, ridx[LZ_MAX_RANK] = {0};
    for (int a = x->rank - 1; a >= 0; a--) {
        stride[a] = sz;
        sz *= slab->count[a];
        m *= axis[a] ? slab->count[a] : 1;
    }
    for (int64_t jj = 0; jj < j->nb; jj++) {
        int64_t rest = jj, p = 0;
        for (int a = x->rank - 1; a >= 0; a--) {
            if (axis[a])
                continue;
            p += rest % slab->count[a] * stride[a];
            rest /= slab->count[a];
        }
        j->base[jj] = p;
    }
    for (int64_t r = 0; r < m; r++) {
        int64_t p = 0;
        for (int a = 0; a < x->rank; a++)
            p += axis[a] ? ridx[a] * stride[a] : 0;
        j->roff[r] = p;
        for (int a = x->rank - 1; a >= 0; a--) {
            if (!axis[a])
                continue;
            if (++ridx[a] < slab->count[a])
                break;
            ridx[a] = 0;
        }
    }
    return m;
}

/* Read every value of the block once (one pass), folding its keys. */
static lz_status
read_pass(lz_evaluator *ev, const pass_job *j)
{
    const lz_node *x = j->n->in[0];
    const bool *axis = j->n->order->axis;
    bool is_float = lz_dtype_kind(x->dtype) == LZ_KIND_FLOAT;
    /* The slabs: the block's input box with its reduced axes cut into
     * pieces of at most `most` elements. */
    lz_box rbox = {.rank = 0};
    int raxis[LZ_MAX_RANK];
    for (int a = 0; a < j->ibox.rank; a++) {
        if (!axis[a])
            continue;
        raxis[rbox.rank] = a;
        rbox.start[rbox.rank] = 0;
        rbox.count[rbox.rank] = j->ibox.count[a];
        rbox.step[rbox.rank] = 1;
        rbox.rank++;
    }
    lz_box_pieces it;
    lz_box_pieces_init(&it, &rbox, j->most);
    lz_box r, slab = j->ibox;
    int64_t off;
    while (lz_box_pieces_next(&it, &r, &off)) {
        int64_t nelem = j->nb;
        for (int q = 0; q < rbox.rank; q++) {
            slab.start[raxis[q]] = j->ibox.start[raxis[q]] + r.start[q] * j->ibox.step[raxis[q]];
            slab.count[raxis[q]] = r.count[q];
            nelem *= r.count[q];
        }
        lz_status st = lz_eval_node(ev, x, &slab, j->buf);
        if (st)
            return st;
        lz_order_keys(x->dtype, j->buf, nelem, j->keys);
        int64_t m = slab_offsets(j, &slab);
        for (int64_t jj = 0; jj < j->nb; jj++) {
            for (int64_t e = 0; e < m; e++)
                j->row[e] = j->keys[j->base[jj] + j->roff[e]];
            if (!j->hist0) {
                fold_targets(j->row, m, j->tg + j->tlo[jj], j->thi[jj] - j->tlo[jj], j->bits);
                continue;
            }
            uint64_t *h = j->hist0 + (jj << j->bits);
            for (int64_t e = 0; e < m; e++) {
                h[j->row[e] >> (64 - j->bits)]++;
                j->nnan[jj] += is_float && j->row[e] == UINT64_MAX; /* a NaN's key */
            }
        }
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

/* Start target t at rank k of output jj from its pass-1 histogram. */
static void
start_target(target *t, int64_t jj, int64_t k, const uint64_t *hist0, int bits, int64_t cap)
{
    uint64_t *hist = t->hist, *cand = t->cand;
    memset(t, 0, sizeof *t);
    t->hist = hist;
    t->cand = cand;
    t->out = jj;
    t->rank = k;
    t->within = k;
    /* hist0 is the histogram of the first `bits` bits after an empty prefix. */
    memcpy(t->hist, hist0, ((size_t)1 << bits) * sizeof *t->hist);
    settle(t, bits, cap);
}

/* The arrays of an evaluation in passes. */
typedef struct pass_mem {
    lz_order_pick *picks; /* per output of a block and quantile */
    int64_t *ranks;       /* 2 per pick: the ranks wanted */
    uint64_t *rkeys;      /* their keys */
    bool *missing;        /* per output of a block: NaN results */
    int64_t *tlo, *thi;   /* per output: its targets in the round */
    target *tg;           /* p.group targets */
} pass_mem;

/* Find the ranks of the block's outputs (pass 1 done): rounds of
 * p->group targets, each refined by passes until all are found. */
static lz_status
find_ranks(lz_evaluator *ev, pass_job *j, const pass_plan *p, pass_mem *mm, int64_t qn)
{
    int64_t nr = 2 * qn, total = j->nb * nr, t0 = 0;
    while (t0 < total) {
        /* The round: targets t0 .. t0 + ntg of the list (output-major),
         * skipping the outputs whose results are NaN. */
        int64_t ntg = 0, t = t0;
        for (int64_t jj = 0; jj < j->nb; jj++)
            mm->tlo[jj] = mm->thi[jj] = 0;
        for (; t < total && ntg < p->group; t++) {
            int64_t jj = t / nr;
            if (mm->missing[jj])
                continue;
            if (mm->thi[jj] == mm->tlo[jj])
                mm->tlo[jj] = mm->thi[jj] = ntg;
            start_target(&mm->tg[ntg], jj, mm->ranks[t], j->hist0 + (jj << p->bits), p->bits, p->cap);
            mm->thi[jj] = ++ntg;
        }
        bool pending = false;
        for (int64_t k = 0; k < ntg; k++)
            pending |= !mm->tg[k].found;
        uint64_t *hist0 = j->hist0;
        j->hist0 = NULL; /* later passes fold into the targets */
        j->tg = mm->tg;
        j->tlo = mm->tlo;
        j->thi = mm->thi;
        while (pending) {
            for (int64_t k = 0; k < ntg; k++)
                mm->tg[k].ncand = 0;
            lz_status st = read_pass(ev, j);
            if (st) {
                j->hist0 = hist0;
                return st;
            }
            pending = false;
            for (int64_t k = 0; k < ntg; k++) {
                if (!mm->tg[k].found)
                    settle(&mm->tg[k], p->bits, p->cap);
                pending |= !mm->tg[k].found;
            }
        }
        j->hist0 = hist0;
        for (int64_t k = 0, u = t0; k < ntg; u++) { /* the keys back to the list's order */
            if (mm->missing[u / nr])
                continue;
            mm->rkeys[u] = mm->tg[k++].key;
        }
        t0 = t;
    }
    return LZ_OK;
}

static void
pass_mem_free(lz_ctx *ctx, pass_mem *mm, const pass_plan *p)
{
    for (int64_t k = 0; mm->tg && k < p->group; k++) {
        lz_free(ctx, mm->tg[k].hist);
        lz_free(ctx, mm->tg[k].cand);
    }
    lz_free(ctx, mm->tg);
    lz_free(ctx, mm->picks);
    lz_free(ctx, mm->ranks);
    lz_free(ctx, mm->rkeys);
    lz_free(ctx, mm->missing);
    lz_free(ctx, mm->tlo);
    lz_free(ctx, mm->thi);
}

lz_status
lz_order_passes_eval(lz_evaluator *ev, const lz_node *n, const lz_box *kept, int64_t q0, int64_t qn, int64_t qstep,
                     void *out)
{
    lz_ctx *ctx = ev->ctx;
    const lz_node *x = n->in[0];
    const lz_order *o = n->order;
    int64_t nout, R = lz_order_reduced_count(n);
    lz_box_nelem(kept, &nout);
    pass_plan p;
    plan_passes(ev, n, nout, qn, &p);
    int64_t B = p.block, most = p.slab / B;
    size_t hsize = ((size_t)1 << p.bits) * sizeof(uint64_t), osz = lz_dtype_size(n->dtype);
    pass_job j = {.n = n, .most = most, .bits = p.bits};
    pass_mem mm = {0};
    j.buf = lz_alloc(ctx, (size_t)p.slab * lz_dtype_size(x->dtype));
    j.keys = lz_alloc(ctx, (size_t)p.slab * sizeof *j.keys);
    j.row = lz_alloc(ctx, (size_t)most * sizeof *j.row);
    j.roff = lz_alloc(ctx, (size_t)most * sizeof *j.roff);
    j.base = lz_alloc(ctx, (size_t)B * sizeof *j.base);
    j.hist0 = lz_alloc(ctx, (size_t)B * hsize);
    j.nnan = lz_alloc(ctx, (size_t)B * sizeof *j.nnan);
    mm.picks = lz_alloc(ctx, (size_t)(B * qn) * sizeof *mm.picks);
    mm.ranks = lz_alloc(ctx, (size_t)(B * 2 * qn) * sizeof *mm.ranks);
    mm.rkeys = lz_alloc(ctx, (size_t)(B * 2 * qn) * sizeof *mm.rkeys);
    mm.missing = lz_alloc(ctx, (size_t)B * sizeof *mm.missing);
    mm.tlo = lz_alloc(ctx, (size_t)B * sizeof *mm.tlo);
    mm.thi = lz_alloc(ctx, (size_t)B * sizeof *mm.thi);
    mm.tg = lz_calloc(ctx, (size_t)p.group, sizeof *mm.tg);
    lz_status st = j.buf && j.keys && j.row && j.roff && j.base && j.hist0 && j.nnan && mm.picks && mm.ranks &&
                           mm.rkeys && mm.missing && mm.tlo && mm.thi && mm.tg
                       ? LZ_OK
                       : LZ_ENOMEM;
    for (int64_t k = 0; st == LZ_OK && k < p.group; k++)
        if (!(mm.tg[k].hist = lz_alloc(ctx, hsize)) || !(mm.tg[k].cand = lz_alloc(ctx, (size_t)p.cap * sizeof(uint64_t))))
            st = LZ_ENOMEM;
    lz_box_pieces blocks;
    lz_box_pieces_init(&blocks, kept, B);
    lz_box blk;
    int64_t first;
    int64_t qstride = nout * (int64_t)osz;
    while (st == LZ_OK && lz_box_pieces_next(&blocks, &blk, &first)) {
        /* The block's input box: lz_order_input_box wants the q axis. */
        lz_box full = blk;
        if (o->qaxis) {
            full.rank = blk.rank + 1;
            full.start[0] = 0;
            full.count[0] = full.step[0] = 1;
            for (int k = 0; k < blk.rank; k++) {
                full.start[k + 1] = blk.start[k];
                full.count[k + 1] = blk.count[k];
                full.step[k + 1] = blk.step[k];
            }
        }
        lz_order_input_box(n, &full, &j.ibox);
        lz_box_nelem(&blk, &j.nb);
        memset(j.hist0, 0, (size_t)j.nb * hsize);
        memset(j.nnan, 0, (size_t)j.nb * sizeof *j.nnan);
        if ((st = read_pass(ev, &j)))
            break;
        for (int64_t jj = 0; jj < j.nb; jj++) {
            int64_t count = R - j.nnan[jj];
            mm.missing[jj] = (j.nnan[jj] > 0 && !o->skipna) || count == 0;
            for (int64_t qi = 0; !mm.missing[jj] && qi < qn; qi++) {
                lz_order_pick *pk = &mm.picks[jj * qn + qi];
                lz_order_ranks(o, o->q[q0 + qi * qstep], count, pk);
                mm.ranks[(jj * qn + qi) * 2] = pk->i;
                mm.ranks[(jj * qn + qi) * 2 + 1] = pk->j;
            }
        }
        if ((st = find_ranks(ev, &j, &p, &mm, qn)))
            break;
        for (int64_t jj = 0; jj < j.nb; jj++) {
            char *dst = (char *)out + (first + jj) * (int64_t)osz;
            for (int64_t qi = 0; qi < qn; qi++) {
                int64_t u = (jj * qn + qi) * 2;
                if (mm.missing[jj])
                    lz_order_nan(n, dst + qi * qstride);
                else
                    lz_order_value(n, &mm.picks[jj * qn + qi], mm.rkeys[u], mm.rkeys[u + 1], dst + qi * qstride);
            }
        }
    }
    pass_mem_free(ctx, &mm, &p);
    lz_free(ctx, j.nnan);
    lz_free(ctx, j.hist0);
    lz_free(ctx, j.base);
    lz_free(ctx, j.roff);
    lz_free(ctx, j.row);
    lz_free(ctx, j.keys);
    lz_free(ctx, j.buf);
    return st;
}
