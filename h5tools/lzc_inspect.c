/* lzc_inspect.c — `h5lazy show` and `h5lazy check`, over the connector's
 * inspect operation. */
#include "lzc.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

herr_t
lzc_inspect(hid_t file, h5lazy_inspect_args_t *args)
{
    int op;
    if (H5VLfind_opt_operation(H5VL_SUBCLS_FILE, H5LAZY_OP_INSPECT, &op) < 0)
        return -1;
    H5VL_optional_args_t opt = {op, args};
    return H5VLfile_optional_op(file, &opt, H5P_DATASET_XFER_DEFAULT, H5ES_NONE);
}

typedef struct names {
    char **v;
    size_t n, cap;
    bool failed;
} names;

static herr_t
collect(hid_t obj, const char *name, const H5O_info2_t *info, void *data)
{
    (void)obj;
    names *ns = data;
    if (info->type != H5O_TYPE_DATASET || !strcmp(name, "."))
        return 0;
    if (ns->n + 2 > ns->cap) {
        size_t cap = ns->cap ? 2 * ns->cap : 16;
        char **v = realloc(ns->v, cap * sizeof *v);
        if (!v) {
            ns->failed = true;
            return -1;
        }
        ns->v = v;
        ns->cap = cap;
    }
    size_t len = strlen(name) + 2;
    if (!(ns->v[ns->n] = malloc(len))) {
        ns->failed = true;
        return -1;
    }
    snprintf(ns->v[ns->n++], len, "/%s", name);
    ns->v[ns->n] = NULL;
    return 0;
}

char **
lzc_dataset_names(const char *prog, hid_t file)
{
    names ns = {0};
    if (!(ns.v = calloc(1, sizeof *ns.v))) {
        fprintf(stderr, "%s: error: out of memory\n", prog);
        return NULL;
    }
    ns.cap = 1;
    if (H5Ovisit3(file, H5_INDEX_NAME, H5_ITER_INC, collect, &ns, H5O_INFO_BASIC) < 0) {
        if (ns.failed)
            fprintf(stderr, "%s: error: out of memory\n", prog);
        else
            lzc_report(prog, "cannot list the file's datasets", NULL, NULL);
        lzc_free_names(ns.v);
        return NULL;
    }
    return ns.v;
}

void
lzc_free_names(char **v)
{
    for (size_t i = 0; v && v[i]; i++)
        free(v[i]);
    free(v);
}

/* ---- show ------------------------------------------------------------------------- */

static const char show_usage[] =
    "usage: h5lazy show [options] FILE [NAME]\n"
    "\n"
    "Show what the virtual dataset NAME of FILE is (every virtual dataset of\n"
    "FILE without NAME): its expression; result type, shape and evaluation\n"
    "chunks; the graph evaluated, as a tree (after numpy's promotions; work\n"
    "shared between branches appears once); each operand with its type, shape\n"
    "and chunks; and the bytes a read of one evaluation chunk takes from the\n"
    "operands.\n"
    "\n"
    "options:\n"
    "  --dot          print the graph in Graphviz DOT instead (draw it with\n"
    "                 'h5lazy show --dot FILE NAME | dot -Tsvg > graph.svg')\n"
    "  -v, --verbose  print the full HDF5 error stack on failure\n"
    "  -h, --help     show this help\n";

/* Describe `name`; false when it cannot be (reported). *virtual says
 * whether it is a virtual dataset at all. */
static bool
show_one(const char *prog, hid_t file, const char *name, int dot, bool blank_before, bool *virtual)
{
    h5lazy_inspect_args_t a = {.action = H5LAZY_INSPECT_OPEN, .name = name};
    herr_t st = lzc_inspect(file, &a);
    *virtual = a.is_virtual;
    if (st < 0) {
        char what[1200];
        snprintf(what, sizeof what, "cannot show '%s'", name);
        lzc_report(prog, what, NULL, NULL);
        return false;
    }
    if (!a.is_virtual)
        return true;
    a.action = H5LAZY_INSPECT_DESCRIBE;
    a.dot = dot;
    bool ok = lzc_inspect(file, &a) >= 0;
    if (ok) {
        if (blank_before)
            fputc('\n', stdout);
        fputs(a.text, stdout);
        H5free_memory(a.text);
    } else {
        lzc_report(prog, "cannot describe", NULL, NULL);
    }
    a.action = H5LAZY_INSPECT_CLOSE;
    lzc_inspect(file, &a);
    return ok;
}

/* The file through the connector with its default settings, read-only;
 * H5I_INVALID_HID (reported) on failure. */
static hid_t
open_read(const char *prog, const char *path)
{
    hid_t fapl = lzc_connector_fapl(prog, NULL);
    if (fapl < 0)
        return H5I_INVALID_HID;
    hid_t file = lzc_open(prog, path, fapl, LZC_READ);
    H5Pclose(fapl);
    return file;
}

int
lzc_show_main(int argc, char **argv)
{
    static const struct option options[] = {
        {"dot", no_argument, NULL, 'd'}, {"verbose", no_argument, NULL, 'v'}, {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *prog = "h5lazy show";
    int dot = 0, c;
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "vh", options, NULL)) != -1) {
        switch (c) {
        case 'd':
            dot = 1;
            break;
        case 'v':
            lzc_verbose = true;
            break;
        case 'h':
            fputs(show_usage, stdout);
            return LZC_OK;
        default:
            return lzc_bad_option(prog, argv, show_usage);
        }
    }
    int nargs = argc - optind;
    if (nargs < 1 || nargs > 2) {
        fprintf(stderr, "%s: error: expected FILE [NAME]\n\n%s", prog, show_usage);
        return LZC_MISUSE;
    }
    const char *path = argv[optind], *name = nargs == 2 ? argv[optind + 1] : NULL;
    hid_t file = open_read(prog, path);
    if (file < 0)
        return LZC_FAILED;
    int status = LZC_OK;
    bool virtual;
    if (name) {
        if (!show_one(prog, file, name, dot, false, &virtual))
            status = LZC_FAILED;
        else if (!virtual) {
            fprintf(stderr, "%s: error: '%s' is a stored dataset, not a virtual one\n", prog, name);
            status = LZC_FAILED;
        }
    } else {
        char **all = lzc_dataset_names(prog, file);
        int shown = 0, virtuals = 0;
        for (size_t i = 0; all && all[i]; i++) {
            /* Stored datasets are skipped; a broken virtual one is reported
             * and the others still shown, a blank line between them. */
            bool ok = show_one(prog, file, all[i], dot, shown > 0 && !dot, &virtual);
            if (!ok)
                status = LZC_FAILED;
            shown += ok && virtual;
            virtuals += virtual;
        }
        if (!all)
            status = LZC_FAILED;
        else if (!virtuals)
            printf("%s has no virtual datasets\n", path);
        lzc_free_names(all);
    }
    H5Fclose(file);
    return status;
}

/* ---- check ------------------------------------------------------------------------ */

static const char check_usage[] =
    "usage: h5lazy check [options] FILE\n"
    "\n"
    "Check every virtual dataset of FILE the way a reader would meet it: its\n"
    "definition parses, its operands exist (in other files too) with the\n"
    "types and shapes that still give the shape and type it was defined\n"
    "with, and no virtual datasets form a cycle. Prints one line per virtual\n"
    "dataset; exit status 1 when any of them fails.\n"
    "\n"
    "options:\n"
    "  -v, --verbose  print the full HDF5 error stack of each failure\n"
    "  -h, --help     show this help\n";

int
lzc_check_main(int argc, char **argv)
{
    static const struct option options[] = {
        {"verbose", no_argument, NULL, 'v'}, {"help", no_argument, NULL, 'h'}, {NULL, 0, NULL, 0},
    };
    const char *prog = "h5lazy check";
    int c;
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "vh", options, NULL)) != -1) {
        switch (c) {
        case 'v':
            lzc_verbose = true;
            break;
        case 'h':
            fputs(check_usage, stdout);
            return LZC_OK;
        default:
            return lzc_bad_option(prog, argv, check_usage);
        }
    }
    if (argc - optind != 1) {
        fprintf(stderr, "%s: error: expected FILE\n\n%s", prog, check_usage);
        return LZC_MISUSE;
    }
    const char *path = argv[optind];
    hid_t file = open_read(prog, path);
    if (file < 0)
        return LZC_FAILED;
    char **all = lzc_dataset_names(prog, file);
    int good = 0, bad = 0;
    for (size_t i = 0; all && all[i]; i++) {
        h5lazy_inspect_args_t a = {.action = H5LAZY_INSPECT_OPEN, .name = all[i]};
        herr_t st = lzc_inspect(file, &a);
        if (st >= 0 && !a.is_virtual)
            continue;
        if (st < 0) {
            bad++;
            printf("FAILED %s\n", all[i]);
            fflush(stdout);
            lzc_report(prog, "cannot open", NULL, NULL);
            continue;
        }
        good++;
        printf("ok     %s: %s (", all[i], a.dtype);
        for (int k = 0; k < a.rank; k++)
            printf("%s%llu", k ? ", " : "", (unsigned long long)a.dims[k]);
        printf("%s)\n", a.rank == 1 ? "," : "");
        a.action = H5LAZY_INSPECT_CLOSE;
        lzc_inspect(file, &a);
    }
    if (all)
        printf("%d virtual dataset%s: %d ok, %d failed\n", good + bad, good + bad == 1 ? "" : "s", good, bad);
    lzc_free_names(all);
    H5Fclose(file);
    return !all || bad ? LZC_FAILED : LZC_OK;
}
