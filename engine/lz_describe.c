/* lz_describe.c — a graph for people: the tree `h5lazy show` prints and
 * the Graphviz DOT form of it. Nodes are the bound graph's (after
 * promotion and merging), so the casts numpy would do and the work that is
 * shared are visible. */
#include "lz_graph.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* Room for the tree's indentation: up to 4 bytes a level ("│   " is 6). */
enum { PREFIX_BYTES = 1024 };

/* A bounded text buffer that counts what it could not hold. */
typedef struct text {
    char *buf;
    size_t size;
    size_t len; /* what the whole text needs */
} text;

static void
put(text *t, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    size_t room = t->len < t->size ? t->size - t->len : 0;
    int n = vsnprintf(room ? t->buf + t->len : NULL, room, fmt, ap);
    va_end(ap);
    if (n > 0)
        t->len += (size_t)n;
}

static const char *const reduce_names[][2] = {
#define LZ_REDUCTION(id, name, nan_name) [LZ_RED_##id] = {name, nan_name},
#include "lz_reduce.def"
#undef LZ_REDUCTION
};

static void
put_shape(text *t, const lz_node *n)
{
    put(t, "%s (", lz_dtype_name(n->dtype));
    for (int k = 0; k < n->rank; k++)
        put(t, "%s%lld", k ? ", " : "", (long long)n->shape[k]);
    put(t, "%s)", n->rank == 1 ? "," : "");
}

/* An order statistic: "median axis=(0,)", "percentile q=[5, 95] axis=(0,)
 * method=nearest keepdims". */
static void
put_order(text *t, const lz_node *n)
{
    static const char *const methods[] = {"linear", "lower", "higher", "nearest", "midpoint", ""};
    const lz_order *o = n->order;
    bool percent = strstr(o->name, "percentile") != NULL;
    put(t, "%s", o->name);
    if (o->method != LZ_OM_MEDIAN) {
        put(t, " q=%s", o->qaxis ? "[" : "");
        for (int i = 0; i < o->nq; i++)
            put(t, percent ? "%s%.15g" : "%s%.17g", i ? ", " : "", /* q / 100 * 100 is off in the 17th digit */
                percent ? o->q[i] * 100 : o->q[i]);
        put(t, "%s", o->qaxis ? "]" : "");
    }
    put(t, " axis=(");
    int m = 0;
    for (int a = 0; a < n->in[0]->rank; a++)
        if (o->axis[a])
            put(t, "%s%d", m++ ? ", " : "", a);
    put(t, "%s)", m == 1 ? "," : "");
    if (o->method != LZ_OM_MEDIAN && o->method != LZ_OM_LINEAR)
        put(t, " method=%s", methods[o->method]);
    if (o->keepdims)
        put(t, " keepdims");
}

/* What a node does, in one line without its type. */
static void
put_label(text *t, const lz_graph *g, const lz_node *n, const char *const *labels)
{
    if (n->decodes) { /* an operand's CF decoding, one step (lz_bind_decode.c) */
        put(t, "decode");
        return;
    }
    switch (n->kind) {
    case LZ_NODE_SOURCE:
        put(t, "%s", labels && labels[n->source] ? labels[n->source] : "operand");
        return;
    case LZ_NODE_CONST: {
        char v[64];
        lz_scalar_format(&n->value, v, sizeof v);
        put(t, "%s", v);
        return;
    }
    case LZ_NODE_CAST:
        put(t, "astype %s", lz_dtype_name(n->dtype));
        return;
    case LZ_NODE_UFUNC:
        put(t, "%s", lz_ufunc_name(n->ufunc));
        return;
    case LZ_NODE_VIEW: {
        /* Which input index each input axis reads: start:stop:step, or a
         * fixed index; then the output axes the input does not have. */
        const lz_view *v = n->view;
        const lz_node *x = n->in[0];
        put(t, "view [");
        for (int a = 0; a < x->rank; a++) {
            int k = -1;
            for (int j = 0; j < n->rank; j++)
                if (v->in_axis[j] == a)
                    k = j;
            if (a)
                put(t, ", ");
            if (k < 0)
                put(t, "%lld", (long long)v->fixed[a]);
            else if (v->step[k] == 0)
                put(t, "%lld (repeated)", (long long)v->start[k]);
            else
                put(t, "%lld::%lld", (long long)v->start[k], (long long)v->step[k]);
        }
        put(t, "]");
        int added = 0;
        for (int j = 0; j < n->rank; j++)
            added += v->in_axis[j] < 0;
        if (added)
            put(t, " + %d new ax%s", added, added == 1 ? "is" : "es");
        return;
    }
    case LZ_NODE_CONCAT:
        put(t, "concat axis=%d", n->concat_axis);
        return;
    case LZ_NODE_REDUCE: {
        const lz_reduction *r = n->reduce;
        put(t, "%s axis=(", reduce_names[r->op][r->skipna ? 1 : 0]);
        int m = 0;
        for (int a = 0; a < n->in[0]->rank; a++)
            if (r->axis[a])
                put(t, "%s%d", m++ ? ", " : "", a);
        put(t, "%s)", m == 1 ? "," : "");
        if (r->keepdims)
            put(t, " keepdims");
        if (r->op == LZ_RED_VAR || r->op == LZ_RED_STD)
            put(t, " ddof=%lld", (long long)r->ddof);
        return;
    }
    case LZ_NODE_TAKE: {
        const lz_take *k = n->take;
        if (k->flat)
            put(t, "take %lld indices, flattened", (long long)k->nindex);
        else
            put(t, "take %lld indices axis=%d", (long long)k->nindex, k->axis);
        return;
    }
    case LZ_NODE_SCAN: {
        const lz_scan *s = n->scan;
        put(t, "%scum%s ", s->skipna ? "nan" : "", s->product ? "prod" : "sum");
        if (s->flat)
            put(t, "flattened");
        else
            put(t, "axis=%d", s->axis);
        return;
    }
    case LZ_NODE_WINDOW: {
        put(t, "sliding windows, axis=(");
        for (int j = 0; j < n->window->nwin; j++)
            put(t, "%s%d", j ? ", " : "", n->window->in_axis[j]);
        put(t, "%s)", n->window->nwin == 1 ? "," : "");
        return;
    }
    case LZ_NODE_GUARD:
        put(t, "check: %s", n->guard);
        return;
    case LZ_NODE_ORDER:
        put_order(t, n);
        return;
    }
    (void)g;
}

/* The tree: a node per line under its parent; a node met again (shared
 * work, computed once) is named and not expanded twice. */
static void
put_tree(text *t, const lz_graph *g, const lz_node *n, const char *const *labels, char *prefix, bool last,
         bool root, unsigned char *seen)
{
    put(t, "%s%s", prefix, root ? "" : last ? "└── " : "├── ");
    put_label(t, g, n, labels);
    put(t, "  ");
    put_shape(t, n);
    bool again = seen[n->id] && n->kind != LZ_NODE_SOURCE && n->kind != LZ_NODE_CONST;
    put(t, "%s\n", again ? "  (shared, see above)" : "");
    if (again || n->kind == LZ_NODE_SOURCE)
        return;
    seen[n->id] = 1;
    /* Deeper than the prefix can show (long chains such as a+b+c+...),
     * lines keep the deepest indentation shown. */
    size_t plen = strlen(prefix);
    if (!root && plen + 8 < PREFIX_BYTES)
        strcpy(prefix + plen, last ? "    " : "│   ");
    if (n->decodes) /* the decoding's nodes are one step: only the operand below */
        put_tree(t, g, n->decodes, labels, prefix, true, false, seen);
    for (int i = 0; !n->decodes && i < n->nin; i++)
        put_tree(t, g, n->in[i], labels, prefix, i == n->nin - 1, false, seen);
    prefix[plen] = '\0';
}

static void
put_dot(text *t, const lz_graph *g, const lz_node *n, const char *const *labels, unsigned char *seen)
{
    if (seen[n->id])
        return;
    seen[n->id] = 1;
    put(t, "  n%d [label=\"", n->id);
    size_t start = t->len;
    put_label(t, g, n, labels);
    put(t, "\\n");
    put_shape(t, n);
    /* Quotes in labels (operand names) would end the DOT string. */
    for (size_t i = start; i < t->len && i < t->size; i++)
        if (t->buf[i] == '"')
            t->buf[i] = '\'';
    put(t, "\"%s];\n", n->kind == LZ_NODE_SOURCE ? ", shape=box" : "");
    if (n->decodes) { /* one step from the operand, as in the tree */
        put_dot(t, g, n->decodes, labels, seen);
        put(t, "  n%d -> n%d;\n", n->decodes->id, n->id);
        return;
    }
    for (int i = 0; i < n->nin; i++) {
        put_dot(t, g, n->in[i], labels, seen);
        put(t, "  n%d -> n%d;\n", n->in[i]->id, n->id);
    }
}

size_t
lz_graph_describe(const lz_graph *g, int root, int style, const char *const *labels, char *buf, size_t size)
{
    text t = {buf, size, 0};
    if (size)
        buf[0] = '\0';
    if (root < 0 || root >= g->nroots)
        return 0;
    unsigned char *seen = lz_calloc(g->ctx, (size_t)g->nnodes, 1);
    if (!seen) {
        lz_ctx_clear_error(g->ctx); /* a description is not worth an error */
        return 0;
    }
    if (style == 1) {
        put(&t, "digraph h5lazy {\n  rankdir=BT;\n  node [fontname=\"monospace\"];\n");
        put_dot(&t, g, g->roots[root], labels, seen);
        put(&t, "}\n");
    } else {
        char prefix[PREFIX_BYTES] = "";
        put_tree(&t, g, g->roots[root], labels, prefix, true, true, seen);
    }
    lz_free(g->ctx, seen);
    return t.len;
}
