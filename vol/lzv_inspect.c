/* lzv_inspect.c — the H5LAZY_OP_INSPECT file operation: sessions over a
 * virtual dataset of the file or an expression stored nowhere, for the
 * h5lazy command's show, check and eval (and any program that wants them).
 *
 * A named dataset is opened and bound exactly as a read would (so `check`
 * sees what readers would see); an expression is bound as `define` binds
 * one, at the file's root. */
#include "lzv_inspect.h"

#include "lzv_binding.h"
#include "lzv_callbacks.h"
#include "lzv_cf.h"
#include "lzv_format.h"
#include "lzv_vdset_int.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct session {
    lzv_obj *dset;        /* a named virtual dataset, or NULL for an expression */
    lzv_binding own;      /* an expression's binding */
    lzv_binding *b;       /* what is inspected: the dataset's binding, or &own */
    char *name;           /* for messages: the dataset's path or "expression" */
    hsize_t chunks[H5S_MAX_RANK];
} session;

static void
close_session(session *s, hid_t dxpl_id)
{
    if (!s)
        return;
    hid_t saved = lzv_stack_save();
    if (s->dset)
        lzv_dataset_close(s->dset, dxpl_id, NULL);
    else
        lzv_binding_close(&s->own, dxpl_id);
    lzv_stack_restore(saved);
    free(s->name);
    free(s);
}

static void
set_diag(h5lazy_diagnostic_t *diag, const lz_error *e)
{
    if (!diag)
        return;
    diag->line = e->line;
    diag->column = e->column;
    snprintf(diag->message, sizeof diag->message, "%s", e->message);
}

static herr_t
open_named(lzv_obj *file, h5lazy_inspect_args_t *a, hid_t dxpl_id, session *s)
{
    H5VL_loc_params_t self = {.obj_type = H5I_FILE, .type = H5VL_OBJECT_BY_SELF};
    if (!(s->dset = lzv_dataset_open(file, &self, a->name, H5P_DATASET_ACCESS_DEFAULT, dxpl_id, NULL)))
        return -1;
    a->is_virtual = s->dset->kind == LZV_KIND_VIRTUAL;
    if (!a->is_virtual)
        return 0;
    lzv_vdset *vd = s->dset->vdset;
    memcpy(s->chunks, vd->chunks, sizeof s->chunks);
    s->b = &vd->binding;
    if (lzv_vdset_bind(s->dset, dxpl_id) < 0) {
        if (a->diag) {
            a->diag->line = a->diag->column = 0;
            snprintf(a->diag->message, sizeof a->diag->message, "'%s' cannot be evaluated", vd->name);
        }
        return -1;
    }
    return 0;
}

static herr_t
open_expression(lzv_obj *file, h5lazy_inspect_args_t *a, hid_t dxpl_id, session *s)
{
    lz_config cfg;
    lzv_engine_config(&file->access->config, &cfg);
    a->is_virtual = 1;
    s->b = &s->own;
    /* Bound as a dataset "expression" at the root would be: operands resolve
     * there, and messages call it so. */
    lzv_place place;
    if (lzv_place_in_file(file->under_object, file->under_vol_id, "/expression", file->access, dxpl_id, &place) < 0)
        return -1;
    if (lzv_binding_open(&s->own, "/expression", a->expression, &cfg, NAN, &place, NULL, dxpl_id) < 0) {
        lz_ctx *ctx = s->own.ctx;
        if (ctx && lz_ctx_error(ctx)->code != LZ_OK) {
            const lz_error *e = lz_ctx_error(ctx);
            set_diag(a->diag, e);
            if (e->column > 0)
                LZV_ERROR(e->code, "cannot evaluate the expression: %s (at line %d, column %d)", e->message, e->line,
                          e->column);
            else
                LZV_ERROR(e->code, "cannot evaluate the expression: %s", e->message);
        }
        return -1;
    }
    const lz_graph *g = s->own.graph;
    hsize_t dims[H5S_MAX_RANK];
    for (int k = 0; k < lz_graph_rank(g); k++)
        dims[k] = (hsize_t)lz_graph_shape(g)[k];
    lzv_default_chunks(lz_graph_rank(g), dims, lz_graph_dtype(g), s->chunks);
    return 0;
}

static herr_t
do_open(lzv_obj *file, h5lazy_inspect_args_t *a, hid_t dxpl_id)
{
    a->handle = NULL;
    a->is_virtual = 0;
    if (!a->name == !a->expression) {
        LZV_ERROR(LZ_EVALUE, "inspect needs a dataset name or an expression (one of them)");
        return -1;
    }
    session *s = calloc(1, sizeof *s);
    if (!s || !(s->name = strdup(a->name ? a->name : "expression"))) {
        free(s);
        LZV_ERROR(LZ_ENOMEM, "out of memory");
        return -1;
    }
    herr_t ret = a->name ? open_named(file, a, dxpl_id, s) : open_expression(file, a, dxpl_id, s);
    if (ret < 0 || !a->is_virtual) {
        close_session(s, dxpl_id);
        return ret;
    }
    const lz_graph *g = s->b->graph;
    snprintf(a->dtype, sizeof a->dtype, "%s", lz_dtype_name(lz_graph_dtype(g)));
    a->rank = lz_graph_rank(g);
    for (int k = 0; k < a->rank; k++) {
        a->dims[k] = (hsize_t)lz_graph_shape(g)[k];
        a->chunks[k] = s->chunks[k];
    }
    a->handle = s;
    return 0;
}

static herr_t
do_read(h5lazy_inspect_args_t *a, hid_t dxpl_id)
{
    session *s = a->handle;
    const lz_graph *g = s->b->graph;
    lz_box box = {.rank = lz_graph_rank(g)};
    for (int k = 0; k < box.rank; k++) {
        box.start[k] = a->start ? (int64_t)a->start[k] : 0;
        box.count[k] = a->count ? (int64_t)a->count[k] : lz_graph_shape(g)[k];
        box.step[k] = a->stride ? (int64_t)a->stride[k] : 1;
    }
    lzv_xfer xfer;
    lzv_xfer_init(&xfer, dxpl_id);
    herr_t ret = 0;
    if (lzv_binding_eval(s->b, &box, a->buf, &xfer) != LZ_OK) {
        ret = -1;
        if (s->dset) {
            lzv_vdset_push_error(s->dset->vdset, "cannot evaluate", lzv_xfer_take_cause(&xfer));
        } else {
            /* The under connector's account of a failed operand read first. */
            lzv_stack_restore(lzv_xfer_take_cause(&xfer));
            const lz_error *e = lz_ctx_error(s->own.ctx);
            LZV_ERROR(e->code, "cannot evaluate the expression: %s", e->message);
            lz_ctx_clear_error(s->own.ctx);
        }
    }
    lzv_xfer_drop_cause(&xfer);
    return ret;
}

/* ---- describing ------------------------------------------------------------------ */

typedef struct out {
    char *buf;
    size_t len, cap;
    bool failed;
} out;

static void
put(out *o, const char *fmt, ...)
{
    va_list ap;
    for (int pass = 0; pass < 2 && !o->failed; pass++) {
        va_start(ap, fmt);
        int n = vsnprintf(o->buf ? o->buf + o->len : NULL, o->buf ? o->cap - o->len : 0, fmt, ap);
        va_end(ap);
        if (n < 0) {
            o->failed = true;
            return;
        }
        if (o->buf && o->len + (size_t)n < o->cap) {
            o->len += (size_t)n;
            return;
        }
        size_t cap = (o->cap ? 2 * o->cap : 4096) + (size_t)n;
        char *b = realloc(o->buf, cap);
        if (!b) {
            o->failed = true;
            return;
        }
        o->buf = b;
        o->cap = cap;
    }
}

static void
put_dims(out *o, int rank, const int64_t *dims)
{
    char text[LZ_MAX_RANK * 24];
    lz_shape_format(rank, dims, text, sizeof text);
    put(o, "%s", text);
}

static void
put_bytes(out *o, double bytes)
{
    static const char *const units[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB"};
    int u = 0;
    while (bytes >= 1024 && u < 5) {
        bytes /= 1024;
        u++;
    }
    put(o, u ? "%.1f %s" : "%.0f %s", bytes, units[u]);
}

/* Labels of the graph's sources: the operand each came from. */
static const char **
source_labels(const session *s)
{
    const lz_graph *g = s->b->graph;
    size_t nops = s->b->nops, n = lz_graph_source_count(g);
    const lzv_operand *ops = s->b->ops;
    const char **labels = calloc(n ? n : 1, sizeof *labels);
    for (size_t i = 0; labels && i < n; i++)
        for (size_t j = 0; j < nops; j++)
            if (lz_graph_source(g, i) == &ops[j].source)
                labels[i] = ops[j].label;
    return labels;
}

/* The operands, one line each (DESCRIBE with dot = 2). */
static void
put_operands(out *o, const session *s)
{
    for (size_t i = 0; i < s->b->nops; i++) {
        const lzv_operand *op = &s->b->ops[i];
        const lz_decode *d = op->source.decode;
        put(o, "%s\t%s\t%s\t%s\n", op->label, lz_dtype_name(op->source.dtype),
            lz_dtype_name(d ? d->dtype : op->source.dtype), op->cf ? op->cf->summary : "stored values");
    }
}

static herr_t
do_describe(h5lazy_inspect_args_t *a)
{
    session *s = a->handle;
    const lz_graph *g = s->b->graph;
    const char **labels = source_labels(s);
    out o = {0};
    int rank = lz_graph_rank(g);
    const int64_t *shape = lz_graph_shape(g);
    size_t need = labels ? lz_graph_describe(g, 0, a->dot ? 1 : 0, labels, NULL, 0) : 0;
    char *graph_text = labels ? malloc(need + 1) : NULL;
    if (graph_text)
        lz_graph_describe(g, 0, a->dot ? 1 : 0, labels, graph_text, need + 1);
    if (a->dot == 2) {
        put_operands(&o, s);
    } else if (!graph_text) {
        o.failed = true;
    } else if (a->dot) {
        put(&o, "%s", graph_text);
    } else {
        put(&o, "%s = %s\n", s->dset ? s->dset->vdset->name : "expression", lz_expr_text(s->b->expr));
        put(&o, "  result: %s ", lz_dtype_name(lz_graph_dtype(g)));
        put_dims(&o, rank, shape);
        int64_t chunk[LZ_MAX_RANK];
        lz_box first = {.rank = rank};
        for (int k = 0; k < rank; k++) {
            chunk[k] = (int64_t)s->chunks[k];
            first.start[k] = 0;
            first.count[k] = chunk[k] < shape[k] ? chunk[k] : shape[k];
            first.step[k] = 1;
        }
        put(&o, ", evaluation chunks ");
        put_dims(&o, rank, chunk);
        put(&o, "\n  graph:\n");
        for (char *line = graph_text; *line;) {
            char *end = strchr(line, '\n');
            put(&o, "    %.*s\n", (int)(end ? end - line : (long)strlen(line)), line);
            line = end ? end + 1 : line + strlen(line);
        }
        size_t nops = s->b->nops;
        const lzv_operand *ops = s->b->ops;
        put(&o, "  operands:\n");
        for (size_t i = 0; i < nops; i++) {
            const lz_source *src = &ops[i].source;
            put(&o, "    %s: %s%s ", ops[i].label, ops[i].nested ? "virtual, " : "", lz_dtype_name(src->dtype));
            put_dims(&o, src->rank, src->shape);
            if (src->rank && src->chunk[0] > 0) {
                put(&o, ", chunks ");
                put_dims(&o, src->rank, src->chunk);
            } else {
                put(&o, ", contiguous");
            }
            put(&o, "\n      %s\n", ops[i].cf ? ops[i].cf->summary : "stored values");
        }
        /* What a first read of the first evaluation chunk costs. */
        size_t nsrc = lz_graph_source_count(g);
        int64_t *elements = calloc(nsrc ? nsrc : 1, sizeof *elements);
        int64_t nout;
        if (elements && lz_box_nelem(&first, &nout) && nout > 0 &&
            lz_graph_estimate_reads(g, 0, &first, elements) == LZ_OK) {
            double bytes = 0;
            for (size_t i = 0; i < nsrc; i++)
                bytes += (double)elements[i] * (double)lz_dtype_size(lz_graph_source(g, i)->dtype);
            put(&o, "  reads per evaluation chunk: ");
            put_bytes(&o, bytes);
            put(&o, " for ");
            put_bytes(&o, (double)nout * (double)lz_dtype_size(lz_graph_dtype(g)));
            put(&o, " of result (");
            for (size_t i = 0; i < nsrc; i++)
                put(&o, "%s%s: %lld elements", i ? ", " : "", labels[i] ? labels[i] : "operand",
                    (long long)elements[i]);
            put(&o, ")\n");
        }
        free(elements);
        /* Order statistics whose values do not fit the budget read the
         * sources several times (engine/lz_order_pass.c). */
        int passes;
        if (lz_graph_passes(g, 0, &passes) == LZ_OK && passes > 0)
            put(&o, "  passes over the operands in a read: %s%d (order statistics %s)\n", passes > 1 ? "up to " : "",
                passes, passes > 1 ? "select in passes: an output's values exceed the memory budget"
                                   : "select in memory");
        else
            lz_ctx_clear_error(s->b->ctx);
    }
    free(graph_text);
    free(labels);
    if (!o.failed && (a->text = H5allocate_memory(o.len + 1, false)))
        memcpy(a->text, o.buf ? o.buf : "", o.len + 1);
    free(o.buf);
    if (o.failed || !a->text) {
        LZV_ERROR(LZ_ENOMEM, "out of memory describing '%s'", s->name);
        return -1;
    }
    return 0;
}

herr_t
lzv_inspect(lzv_obj *file, void *args, hid_t dxpl_id)
{
    h5lazy_inspect_args_t *a = args;
    if (!a) {
        LZV_ERROR(LZ_EVALUE, "inspect needs its arguments");
        return -1;
    }
    if (a->action != H5LAZY_INSPECT_OPEN && !a->handle) {
        LZV_ERROR(LZ_EVALUE, "inspect: no session (open one first)");
        return -1;
    }
    switch (a->action) {
    case H5LAZY_INSPECT_OPEN:
        return do_open(file, a, dxpl_id);
    case H5LAZY_INSPECT_READ:
        return do_read(a, dxpl_id);
    case H5LAZY_INSPECT_DESCRIBE:
        return do_describe(a);
    case H5LAZY_INSPECT_CLOSE:
        close_session(a->handle, dxpl_id);
        a->handle = NULL;
        return 0;
    }
    LZV_ERROR(LZ_EVALUE, "inspect: unknown action %d", a->action);
    return -1;
}
