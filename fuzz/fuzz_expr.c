/* fuzz_expr.c — libFuzzer target: expression parser, binder and evaluator.
 *
 * Input: the expression text, optionally followed by a NUL byte and up to
 * eight parameter bytes (a plain-text input uses the defaults):
 *   p[0]  memory budget of the primary context: 3 KiB, 8 KiB, 64 KiB, 1 MiB
 *   p[1]  cache bytes of the primary context: 0, 4 KiB, 1 MiB, 32 MiB
 *   p[2]  bit 0: the reference context uses 2 threads; bit 1: also bind
 *         the expression twice into one graph (lz_graph_new_multi) and
 *         evaluate both roots with lz_graph_eval_many
 *   p[3], p[4]  if p[3] != 0: fail the allocation after (p[3]-1) + 256*p[4]
 *         successful ones, in the primary context (failure paths)
 *   p[5], p[6], p[7]  if != 0: replace operand a, b, c by the dtype
 *         (v-1) % 11 and the shape shapes[(v-1) / 11 % NSHAPES]
 *
 * What is checked, besides ASan/UBSan/LSan:
 *   - every allocation goes through the context: lz_ctx_bytes_in_use() is 0
 *     once the graph and the expression are freed, failed or not;
 *   - a failure leaves the out-parameter untouched and records an error;
 *   - lz_expr_format is stable and truncates as snprintf does;
 *   - results do not depend on the memory budget, on the cache, on the
 *     thread count or on the box asked for: the whole result, a strided box
 *     of it, its last element and a second evaluation agree bit for bit
 *     (any NaN equals any NaN), and lz_graph_eval_many agrees with
 *     lz_graph_eval;
 *   - lz_graph_estimate_reads is an upper bound of what evaluating the whole
 *     result reads from each source (reference graph: no cache), and every
 *     box a source is asked for lies inside it;
 *   - lz_graph_describe writes and truncates as snprintf does.
 *
 * Operands: bare names and ds() paths are served by small in-memory arrays
 * (names a..k below; any other name is mapped to one of them by a hash).
 * Graphs whose nodes hold more than WORK_LIMIT elements in total are bound
 * but not evaluated (broadcast_to(1, (10**9,)) is not a bug, only slow).
 */
#include "lz.h"
#include "fuzz_common.h"
#include "lz_graph.h" /* internal: the graph's context, sources */

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define WORK_LIMIT ((int64_t)1 << 18)

#define MAX_OUT_ELEMS ((int64_t)1 << 16)

#define CHECK(cond, ...)                                                                           \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "fuzz_expr: check failed at %s:%d: %s\n", __FILE__, __LINE__, #cond);  \
            fprintf(stderr, "fuzz_expr: " __VA_ARGS__);                                            \
            fputc('\n', stderr);                                                                   \
            abort();                                                                               \
        }                                                                                          \
    } while (0)

/* ---- operands ------------------------------------------------------------- */

typedef struct shape_t {
    int rank;
    int64_t dims[4];
} shape_t;

static const shape_t shapes[] = {
    {0, {0}},       {1, {4}},       {2, {3, 4}},    {3, {2, 3, 4}}, {1, {0}},    {2, {0, 3}},
    {2, {3, 1}},    {2, {1, 4}},    {1, {1}},       {3, {2, 0, 2}}, {1, {5}},    {4, {1, 2, 1, 3}},
    {2, {4, 4}},    {1, {64}},
};
#define NSHAPES (sizeof shapes / sizeof shapes[0])

typedef struct operand_t {
    const char *name;
    lz_dtype dtype;
    int shape; /* index into shapes */
} operand_t;

/* The named operands: a, b, c (float64, int32, uint8) can be replaced by
 * the parameter bytes; 0-d (d), empty (e), bool (f) and every other type. */
static const operand_t named[] = {
    {"a", LZ_FLOAT64, 2}, {"b", LZ_INT32, 1},   {"c", LZ_UINT8, 3},   {"d", LZ_FLOAT32, 0},
    {"e", LZ_INT16, 5},   {"f", LZ_BOOL, 6},    {"g", LZ_INT8, 2},    {"h", LZ_UINT64, 1},
    {"i", LZ_INT64, 7},   {"j", LZ_UINT16, 11}, {"k", LZ_UINT32, 10},
};
#define NNAMED (sizeof named / sizeof named[0])

#define DATA_ELEMS 64
static union {
    double d[DATA_ELEMS];
    uint64_t u[DATA_ELEMS];
} data_store[NNAMED + 3];

/* The operand template for a path: one of the named ones, by name, else by
 * a hash of the file and path. */
static int
operand_index(const lz_operand *op)
{
    if (!op->file) {
        for (size_t i = 0; i < NNAMED; i++)
            if (!strcmp(op->path, named[i].name))
                return (int)i;
    }
    unsigned h = 2166136261u;
    for (const char *s = op->path; *s; s++)
        h = (h ^ (unsigned char)*s) * 16777619u;
    if (op->file)
        for (const char *s = op->file; *s; s++)
            h = (h ^ (unsigned char)*s) * 16777619u;
    return (int)(h % NNAMED);
}

/* Every operand is a memory source behind a counting one, so that what
 * evaluation reads can be held against lz_graph_estimate_reads. */
typedef struct counted {
    lz_source mem;    /* the memory source that does the reading */
    int64_t elements; /* elements read so far */
} counted;

static lz_status
counted_read(const lz_source *src, lz_ctx *ctx, const lz_box *box, void *buf, void *read_arg)
{
    counted *c = src->impl;
    int64_t n = 0;
    CHECK(box->rank == src->rank, "a box of rank %d read from a source of rank %d", box->rank, src->rank);
    for (int k = 0; k < box->rank; k++) {
        CHECK(box->step[k] >= 1 && box->count[k] >= 0 && box->start[k] >= 0, "axis %d: start %lld count %lld step %lld",
              k, (long long)box->start[k], (long long)box->count[k], (long long)box->step[k]);
        CHECK(box->count[k] == 0 || box->start[k] + (box->count[k] - 1) * box->step[k] < src->shape[k],
              "axis %d: a box past the source's extent %lld", k, (long long)src->shape[k]);
    }
    CHECK(lz_box_nelem(box, &n), "box overflow");
    __atomic_fetch_add(&c->elements, n, __ATOMIC_RELAXED);
    return c->mem.ops->read(&c->mem, ctx, box, buf, read_arg);
}

static const lz_source_ops counted_ops = {counted_read};

/* ---- comparing results ---------------------------------------------------------- */

static bool
same_element(const unsigned char *x, const unsigned char *y, lz_dtype t)
{
    if (t == LZ_FLOAT32) {
        float a, b;
        memcpy(&a, x, 4);
        memcpy(&b, y, 4);
        if (isnan(a) && isnan(b))
            return true;
    } else if (t == LZ_FLOAT64) {
        double a, b;
        memcpy(&a, x, 8);
        memcpy(&b, y, 8);
        if (isnan(a) && isnan(b))
            return true;
    }
    return !memcmp(x, y, lz_dtype_size(t));
}

/* Offset in a dense C-order array of `shape` of the element at `idx`. */
static int64_t
dense_offset(int rank, const int64_t *shape, const int64_t *idx)
{
    int64_t off = 0;
    for (int k = 0; k < rank; k++)
        off = off * shape[k] + idx[k];
    return off;
}

/* Compare the dense result `part` of `box` with the dense whole result. */
static void
compare_box(const unsigned char *whole, const int64_t *shape, const lz_box *box, const unsigned char *part,
            lz_dtype t, const char *what)
{
    int64_t n;
    CHECK(lz_box_nelem(box, &n), "box size overflow");
    size_t es = lz_dtype_size(t);
    int64_t i[LZ_MAX_RANK] = {0}, pos[LZ_MAX_RANK];
    for (int64_t e = 0; e < n; e++) {
        for (int k = 0; k < box->rank; k++)
            pos[k] = box->start[k] + i[k] * box->step[k];
        int64_t off = dense_offset(box->rank, shape, pos);
        CHECK(same_element(whole + off * (int64_t)es, part + e * (int64_t)es, t),
              "%s: element %lld of the box differs from element %lld of the whole result", what,
              (long long)e, (long long)off);
        for (int k = box->rank - 1; k >= 0; k--) {
            if (++i[k] < box->count[k])
                break;
            i[k] = 0;
        }
    }
}

/* ---- one bound expression ------------------------------------------------------- */

typedef struct run_t {
    lz_ctx *ctx;
    lz_expr *expr;
    lz_graph *graph;
    lz_status parse_st, bind_st;
} run_t;

static const lz_expr *const SENTINEL_EXPR = (const lz_expr *)(uintptr_t)0x5e;
static const lz_graph *const SENTINEL_GRAPH = (const lz_graph *)(uintptr_t)0x6e;

static void
check_error_recorded(const lz_ctx *ctx, lz_status st, const char *what)
{
    const lz_error *err = lz_ctx_error(ctx);
    CHECK(err->code != LZ_OK, "%s failed with status %d but no error is recorded", what, (int)st);
    CHECK(err->message[0] != '\0', "%s failed with an empty message", what);
    CHECK(memchr(err->message, '\0', sizeof err->message) != NULL, "unterminated message");
    CHECK(err->line >= 0 && err->column >= 0, "negative error position");
    CHECK((unsigned)st < LZ_STATUS_COUNT && st != LZ_OK, "status %d out of range", (int)st);
}

/* After a call given `sentinel` as its out-parameter `out`: a failure left
 * it alone and recorded an error, a success set it. */
static void
check_out_param(const lz_ctx *ctx, lz_status st, const void *out, const void *sentinel, const char *what)
{
    if (st != LZ_OK) {
        CHECK(out == sentinel, "%s failed but wrote its out-parameter", what);
        check_error_recorded(ctx, st, what);
    } else {
        CHECK(out && out != sentinel, "%s succeeded without a result", what);
    }
}

static void
run_open(run_t *r, const lz_config *cfg, const char *text, const lz_source *const *srcs, long fail_after)
{
    memset(r, 0, sizeof *r);
    r->ctx = lz_ctx_new(cfg);
    CHECK(r->ctx, "lz_ctx_new failed");
    if (fail_after >= 0)
        lz_ctx_fail_allocation_after(r->ctx, fail_after);
    lz_expr *e = (lz_expr *)SENTINEL_EXPR;
    r->parse_st = lz_expr_parse(r->ctx, text, &e);
    check_out_param(r->ctx, r->parse_st, e, SENTINEL_EXPR, "lz_expr_parse");
    if (r->parse_st != LZ_OK)
        return;
    r->expr = e;
    if (!srcs)
        return;
    lz_graph *g = (lz_graph *)SENTINEL_GRAPH;
    r->bind_st = lz_graph_new(r->ctx, r->expr, srcs, &g);
    check_out_param(r->ctx, r->bind_st, g, SENTINEL_GRAPH, "lz_graph_new");
    if (r->bind_st != LZ_OK)
        return;
    r->graph = g;
    int rank = lz_graph_rank(g);
    CHECK(rank >= 0 && rank <= LZ_MAX_RANK, "result rank %d", rank);
    CHECK((unsigned)lz_graph_dtype(g) < LZ_DTYPE_COUNT, "result dtype %d", (int)lz_graph_dtype(g));
    for (int k = 0; k < rank; k++)
        CHECK(lz_graph_shape(g)[k] >= 0, "negative extent %lld on axis %d", (long long)lz_graph_shape(g)[k], k);
}

static void
run_close(run_t *r)
{
    lz_graph_free(r->graph);
    lz_expr_free(r->expr);
    size_t left = lz_ctx_bytes_in_use(r->ctx);
    CHECK(left == 0, "%zu bytes still allocated through the context after freeing everything", left);
    lz_ctx_free(r->ctx);
    memset(r, 0, sizeof *r);
}

static void
check_format(const lz_expr *e, const char *text)
{
    CHECK(!strcmp(lz_expr_text(e), text), "lz_expr_text differs from the parsed text");
    size_t need = lz_expr_format(e, NULL, 0);
    char *full = malloc(need + 1);
    CHECK(full, "out of memory in the harness");
    size_t again = lz_expr_format(e, full, need + 1);
    CHECK(again == need, "lz_expr_format: %zu bytes, then %zu", need, again);
    CHECK(strlen(full) == need, "lz_expr_format wrote %zu bytes, announced %zu", strlen(full), need);
    /* Truncation as snprintf: a prefix, always terminated. */
    size_t cut = need / 2 + 1;
    char *part = malloc(cut);
    CHECK(part, "out of memory in the harness");
    memset(part, 'x', cut);
    CHECK(lz_expr_format(e, part, cut) == need, "truncated lz_expr_format returned another length");
    CHECK(part[cut - 1] == '\0' && !strncmp(part, full, cut - 1), "truncated lz_expr_format is not a prefix");
    free(part);
    free(full);
    size_t nops = lz_expr_operand_count(e);
    for (size_t i = 0; i < nops; i++) {
        const lz_operand *op = lz_expr_operand(e, i);
        CHECK(op && op->path, "operand %zu has no path", i);
        CHECK(op->line >= 1 && op->column >= 1, "operand %zu at line %d column %d", i, op->line, op->column);
    }
}

/* Evaluate `box` of the graph into a new buffer; NULL (and *st) when the
 * evaluation failed. */
static unsigned char *
eval_box(lz_graph *g, const lz_box *box, lz_status *st)
{
    int64_t n;
    CHECK(lz_box_nelem(box, &n), "box overflow");
    size_t bytes = (size_t)(n ? n : 1) * lz_dtype_size(lz_graph_dtype(g));
    unsigned char *out = malloc(bytes);
    CHECK(out, "out of memory in the harness");
    memset(out, 0xa5, bytes);
    *st = lz_graph_eval(g, box, out, NULL);
    if (*st != LZ_OK) {
        check_error_recorded(g->ctx, *st, "lz_graph_eval");
        lz_ctx_clear_error(g->ctx);
        free(out);
        return NULL;
    }
    return out;
}

/* A failure only a smaller budget may cause. */
static bool
budget_failure(lz_status st)
{
    return st == LZ_ENOMEM || st == LZ_ELIMIT;
}

/* ---- the target ------------------------------------------------------------------ */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const size_t memories[] = {3072, 8192, 65536, 1 << 20};
    static const size_t caches[] = {0, 4096, 1 << 20, (size_t)32 << 20};
    if (size > 4096)
        return -1; /* reject: long inputs only slow the search down */
    const uint8_t *nul = memchr(data, 0, size);
    size_t text_len = nul ? (size_t)(nul - data) : size;
    uint8_t p[8] = {0};
    if (nul) {
        size_t np = size - text_len - 1;
        memcpy(p, nul + 1, np < sizeof p ? np : sizeof p);
    }
    char *text = malloc(text_len + 1);
    CHECK(text, "out of memory in the harness");
    memcpy(text, data, text_len);
    text[text_len] = '\0';

    lz_config cfg;
    lz_config_init(&cfg);
    cfg.memory_bytes = memories[p[0] % 4];
    cfg.cache_bytes = caches[p[1] % 4];
    long fail_after = p[3] ? (long)(p[3] - 1) + 256L * p[4] : -1;

    /* Operand templates: a, b, c from the parameters. */
    operand_t ops[NNAMED];
    memcpy(ops, named, sizeof ops);
    for (int i = 0; i < 3; i++) {
        if (p[5 + i]) {
            ops[i].dtype = (lz_dtype)((p[5 + i] - 1) % LZ_DTYPE_COUNT);
            ops[i].shape = (int)((p[5 + i] - 1) / LZ_DTYPE_COUNT % NSHAPES);
        }
    }

    /* Parse once without binding, to learn the operands. */
    run_t probe;
    run_open(&probe, &cfg, text, NULL, -1);
    if (probe.parse_st != LZ_OK) {
        run_close(&probe);
        if (fail_after >= 0) { /* the same text under failing allocations */
            run_open(&probe, &cfg, text, NULL, fail_after);
            run_close(&probe);
        }
        free(text);
        return 0;
    }
    check_format(probe.expr, text);
    size_t nops = lz_expr_operand_count(probe.expr);
    lz_source *srcs = calloc(nops ? nops : 1, sizeof *srcs);
    counted *cnts = calloc(nops ? nops : 1, sizeof *cnts);
    const lz_source **ptrs = calloc(nops ? nops : 1, sizeof *ptrs);
    CHECK(srcs && cnts && ptrs, "out of memory in the harness");
    for (size_t i = 0; i < NNAMED; i++)
        fuzz_fill(&data_store[i], ops[i].dtype, (int)i, DATA_ELEMS);
    for (size_t i = 0; i < nops; i++) {
        int t = operand_index(lz_expr_operand(probe.expr, i));
        const shape_t *s = &shapes[ops[t].shape];
        lz_source_init_memory(&cnts[i].mem, ops[t].dtype, s->rank, s->dims, &data_store[t]);
        srcs[i] = cnts[i].mem;
        srcs[i].ops = &counted_ops;
        srcs[i].impl = &cnts[i];
        srcs[i].chunk[0] = s->rank ? 2 : 0; /* a chunk hint on the first axis, as HDF5 sources have */
        ptrs[i] = &srcs[i];
    }
    run_close(&probe);

    run_t r;
    run_open(&r, &cfg, text, ptrs, fail_after);
    if (fail_after >= 0 || !r.graph) {
        /* Failure injection: only cleanliness is checked; evaluate if bound. */
        if (r.graph) {
            bool has_reduce;
            if (fuzz_graph_work(r.graph, &has_reduce) <= WORK_LIMIT) {
                lz_box box;
                lz_box_full(&box, lz_graph_rank(r.graph), lz_graph_shape(r.graph));
                lz_status st;
                free(eval_box(r.graph, &box, &st));
            }
        }
        goto done;
    }

    lz_graph *g = r.graph;
    int rank = lz_graph_rank(g);
    const int64_t *shape = lz_graph_shape(g);
    lz_dtype t = lz_graph_dtype(g);
    bool has_reduce;
    int64_t work = fuzz_graph_work(g, &has_reduce);
    lz_box whole;
    lz_box_full(&whole, rank, shape);
    int64_t nelem;
    bool small = lz_box_nelem(&whole, &nelem) && nelem <= MAX_OUT_ELEMS && work <= WORK_LIMIT;

    if (!small) {
        /* Only the last element, and only when that is cheap. */
        if (!has_reduce && lz_box_nelem(&whole, &nelem) && nelem > 0) {
            lz_box last = whole;
            for (int k = 0; k < rank; k++) {
                last.start[k] = shape[k] - 1;
                last.count[k] = 1;
            }
            lz_status st;
            free(eval_box(g, &last, &st));
        }
        goto done;
    }

    /* The whole result under the primary (small) budget. */
    lz_status st_whole;
    unsigned char *w = eval_box(g, &whole, &st_whole);

    /* The reference: default budget, no cache, 1 or 2 threads. */
    lz_config ref_cfg;
    lz_config_init(&ref_cfg);
    ref_cfg.cache_bytes = 0;
    ref_cfg.threads = (p[2] & 1) ? 2 : 1;
    run_t ref;
    run_open(&ref, &ref_cfg, text, ptrs, -1);
    CHECK(ref.graph, "the same text bound once and failed to bind a second time (status %d)", (int)ref.bind_st);
    CHECK(lz_graph_rank(ref.graph) == rank && lz_graph_dtype(ref.graph) == t,
          "binding the same text twice gave different results");
    /* What the whole result will read, against what it reads. */
    size_t nsrc = lz_graph_source_count(ref.graph);
    CHECK(nsrc <= nops, "%zu distinct sources for %zu operands", nsrc, nops);
    int64_t *est = calloc(nsrc ? nsrc : 1, sizeof *est);
    CHECK(est, "out of memory in the harness");
    lz_status st_est = lz_graph_estimate_reads(ref.graph, 0, &whole, est);
    if (st_est != LZ_OK) {
        check_error_recorded(ref.ctx, st_est, "lz_graph_estimate_reads");
        lz_ctx_clear_error(ref.ctx);
    }
    for (size_t i = 0; i < nops; i++)
        cnts[i].elements = 0;
    lz_status st_ref;
    unsigned char *wr = eval_box(ref.graph, &whole, &st_ref);
    if (wr && st_est == LZ_OK) {
        for (size_t i = 0; i < nsrc; i++) {
            const lz_source *src = lz_graph_source(ref.graph, i);
            CHECK(src && src->ops == &counted_ops, "lz_graph_source(%zu) is not one of the sources given", i);
            const counted *c = src->impl;
            CHECK(est[i] >= c->elements,
                  "source %zu: lz_graph_estimate_reads says %lld elements, evaluation read %lld", i,
                  (long long)est[i], (long long)c->elements);
        }
    }
    free(est);
    /* The graph for people, both styles, with truncation as snprintf. */
    {
        const char *labels[LZ_MAX_RANK + 256];
        static const char *const names[] = {"a", "b", "c", "d", "e", "f", "g", "h", "i", "j", "k"};
        for (size_t i = 0; i < nsrc && i < sizeof labels / sizeof labels[0]; i++)
            labels[i] = names[i % 11];
        for (int style = 0; style < 2 && nsrc <= sizeof labels / sizeof labels[0]; style++) {
            size_t need = lz_graph_describe(ref.graph, 0, style, labels, NULL, 0);
            char *full = malloc(need + 1);
            CHECK(full, "out of memory in the harness");
            CHECK(lz_graph_describe(ref.graph, 0, style, labels, full, need + 1) == need,
                  "lz_graph_describe announced %zu bytes, then another length", need);
            CHECK(strlen(full) == need, "lz_graph_describe wrote %zu bytes, announced %zu", strlen(full), need);
            size_t cut = need / 3 + 1;
            char *part = malloc(cut);
            CHECK(part, "out of memory in the harness");
            memset(part, 'x', cut);
            CHECK(lz_graph_describe(ref.graph, 0, style, labels, part, cut) == need,
                  "truncated lz_graph_describe returned another length");
            CHECK(part[cut - 1] == '\0' && !strncmp(part, full, cut - 1), "truncated lz_graph_describe is not a prefix");
            free(part);
            free(full);
        }
    }
    if (w && wr) {
        compare_box(wr, shape, &whole, w, t, "budget/cache/threads");
    } else if (w && !wr) {
        CHECK(0, "the whole result evaluates under a %zu-byte budget but fails under the default one (status %d)",
              cfg.memory_bytes, (int)st_ref);
    } else if (!w && wr) {
        CHECK(budget_failure(st_whole),
              "the whole result fails (status %d) under a %zu-byte budget and evaluates under the default one",
              (int)st_whole, cfg.memory_bytes);
    }

    if (wr) {
        /* A strided box: start 1 (where the axis allows), step 2. */
        lz_box strided = whole;
        for (int k = 0; k < rank; k++) {
            int64_t s0 = shape[k] > 1 ? 1 : 0;
            strided.start[k] = s0;
            strided.step[k] = 2;
            strided.count[k] = shape[k] > s0 ? (shape[k] - s0 + 1) / 2 : 0;
        }
        lz_status st;
        unsigned char *sb = eval_box(g, &strided, &st);
        if (sb)
            compare_box(wr, shape, &strided, sb, t, "strided box");
        else
            CHECK(budget_failure(st), "a strided box fails (status %d) while the whole result evaluates", (int)st);
        free(sb);
        /* The last element, then the whole again (kept reductions). */
        if (nelem > 0) {
            lz_box last = whole;
            for (int k = 0; k < rank; k++) {
                last.start[k] = shape[k] - 1;
                last.count[k] = 1;
            }
            unsigned char *lb = eval_box(g, &last, &st);
            if (lb)
                compare_box(wr, shape, &last, lb, t, "last element");
            else
                CHECK(budget_failure(st), "the last element fails (status %d) while the whole result evaluates",
                      (int)st);
            free(lb);
        }
        unsigned char *again = eval_box(g, &whole, &st);
        if (again)
            compare_box(wr, shape, &whole, again, t, "second evaluation");
        else
            CHECK(budget_failure(st), "a second evaluation fails (status %d)", (int)st);
        free(again);
        lz_graph_cache_clear(g);
    }

    /* Two roots of one expression in one graph, evaluated together. */
    if ((p[2] & 2) && wr) {
        lz_ctx *mctx = lz_ctx_new(&cfg);
        CHECK(mctx, "lz_ctx_new failed");
        lz_expr *e1 = NULL, *e2 = NULL;
        CHECK(lz_expr_parse(mctx, text, &e1) == LZ_OK && lz_expr_parse(mctx, text, &e2) == LZ_OK,
              "a parsed text failed to parse again");
        const lz_expr *exprs[2] = {e1, e2};
        const lz_source *const *srcsets[2] = {ptrs, ptrs};
        lz_graph *mg = NULL;
        lz_status st = lz_graph_new_multi(mctx, exprs, 2, srcsets, &mg);
        CHECK(st == LZ_OK, "lz_graph_new_multi failed (status %d: %s) where lz_graph_new bound", (int)st,
              lz_ctx_error(mctx)->message);
        CHECK(lz_graph_root_count(mg) == 2, "two expressions, %d roots", lz_graph_root_count(mg));
        size_t bytes = (size_t)(nelem ? nelem : 1) * lz_dtype_size(t);
        unsigned char *o1 = malloc(bytes), *o2 = malloc(bytes);
        CHECK(o1 && o2, "out of memory in the harness");
        void *outs[2] = {o1, o2};
        st = lz_graph_eval_many(mg, &whole, outs, NULL);
        if (st == LZ_OK) {
            compare_box(wr, shape, &whole, o1, t, "eval_many root 0");
            compare_box(wr, shape, &whole, o2, t, "eval_many root 1");
        } else {
            check_error_recorded(mctx, st, "lz_graph_eval_many");
            CHECK(budget_failure(st), "lz_graph_eval_many fails (status %d: %s) where lz_graph_eval succeeds",
                  (int)st, lz_ctx_error(mctx)->message);
        }
        free(o1);
        free(o2);
        lz_graph_free(mg);
        lz_expr_free(e1);
        lz_expr_free(e2);
        size_t left = lz_ctx_bytes_in_use(mctx);
        CHECK(left == 0, "%zu bytes left in the multi-graph context", left);
        lz_ctx_free(mctx);
    }

    free(w);
    free(wr);
    run_close(&ref);
done:
    run_close(&r);
    free(srcs);
    free(cnts);
    free(ptrs);
    free(text);
    return 0;
}
