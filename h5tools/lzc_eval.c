/* lzc_eval.c — `h5lazy eval FILE EXPR`: evaluate an expression over a
 * file's datasets, stored nowhere, and print it as h5dump prints data, or
 * write it to a stored dataset. */
#include "lzc.h"

#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char eval_usage[] =
    "usage: h5lazy eval [options] FILE EXPRESSION\n"
    "\n"
    "Evaluate EXPRESSION over the datasets of FILE (operands are resolved from\n"
    "its root group, as for a virtual dataset defined there) and print the\n"
    "result as h5dump prints data, or store it. Only the part asked for is\n"
    "computed and read.\n"
    "\n"
    "options:\n"
    "  --slice '[...]'      the part to evaluate, in numpy's indexing syntax\n"
    "                       ('[0:10, ::2]', '[-1]', '[..., 3]'); the same as\n"
    "                       writing (EXPRESSION)[...]\n"
    "  --to OUTFILE:NAME    store the result as the dataset NAME of OUTFILE\n"
    "                       (created if missing) instead of printing it\n"
    "  --chunks N,N,...     chunks of the stored dataset (default: ~1 MiB)\n"
    "  --gzip LEVEL         compress the stored dataset with deflate (0-9)\n"
    "  --shuffle            add the shuffle filter before compressing\n"
    "  --overwrite          replace an existing dataset NAME of OUTFILE\n"
    "  --memory SIZE        evaluation budget (connector's memory=, e.g. 256MiB)\n"
    "  --threads N          threads decoding compressed sources, folding\n"
    "                       reductions and encoding --gzip/--shuffle chunks\n"
    "                       (1-64 or auto; default auto: every CPU this process\n"
    "                       may use)\n"
    "  -v, --verbose        print the full HDF5 error stack on failure\n"
    "  -h, --help           show this help\n"
    "\n"
    "example:\n"
    "  h5lazy eval data.h5 'mean(temp, axis=0)' --slice '[:3, :3]'\n";

static const char *
type_text(const char *dtype)
{
    static const char *const map[][2] = {
        {"int8", "H5T_STD_I8LE"},    {"uint8", "H5T_STD_U8LE"},     {"int16", "H5T_STD_I16LE"},
        {"uint16", "H5T_STD_U16LE"}, {"int32", "H5T_STD_I32LE"},    {"uint32", "H5T_STD_U32LE"},
        {"int64", "H5T_STD_I64LE"},  {"uint64", "H5T_STD_U64LE"},   {"float32", "H5T_IEEE_F32LE"},
        {"float64", "H5T_IEEE_F64LE"},
        {"bool", "H5T_ENUM { H5T_STD_I8LE; \"FALSE\" 0; \"TRUE\" 1; }"},
    };
    for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
        if (!strcmp(map[i][0], dtype))
            return map[i][1];
    return dtype;
}

/* One element as h5dump prints it by default. */
static int
format_value(char *out, size_t size, const char *dtype, const void *p)
{
    if (!strcmp(dtype, "float64"))
        return snprintf(out, size, "%g", *(const double *)p);
    if (!strcmp(dtype, "float32"))
        return snprintf(out, size, "%g", (double)*(const float *)p);
    if (!strcmp(dtype, "bool"))
        return snprintf(out, size, "%s", *(const int8_t *)p ? "TRUE" : "FALSE");
    if (!strcmp(dtype, "int8"))
        return snprintf(out, size, "%d", *(const int8_t *)p);
    if (!strcmp(dtype, "uint8"))
        return snprintf(out, size, "%u", *(const uint8_t *)p);
    if (!strcmp(dtype, "int16"))
        return snprintf(out, size, "%d", *(const int16_t *)p);
    if (!strcmp(dtype, "uint16"))
        return snprintf(out, size, "%u", *(const uint16_t *)p);
    if (!strcmp(dtype, "int32"))
        return snprintf(out, size, "%" PRId32, *(const int32_t *)p);
    if (!strcmp(dtype, "uint32"))
        return snprintf(out, size, "%" PRIu32, *(const uint32_t *)p);
    if (!strcmp(dtype, "int64"))
        return snprintf(out, size, "%" PRId64, *(const int64_t *)p);
    return snprintf(out, size, "%" PRIu64, *(const uint64_t *)p);
}

/* Print the whole result: rows of the innermost axis, each line starting
 * with the index of its first element, wrapped at 80 columns, commas after
 * every element but the last, as h5dump does. */
static int
print_result(const char *prog, hid_t file, h5lazy_inspect_args_t *a, const char *path, const char *expr,
             size_t budget)
{
    int rank = a->rank;
    size_t isz = lzc_dtype_size(a->dtype);
    hsize_t total = 1, ones[H5S_MAX_RANK];
    for (int k = 0; k < rank; k++) {
        total *= a->dims[k];
        ones[k] = 1;
    }
    printf("HDF5 \"%s\" {\nEXPRESSION \"%s\" {\n   DATATYPE  %s\n", path, expr, type_text(a->dtype));
    if (rank == 0) {
        printf("   DATASPACE  SCALAR\n");
    } else {
        printf("   DATASPACE  SIMPLE { ( ");
        for (int k = 0; k < rank; k++)
            printf("%s%llu", k ? ", " : "", (unsigned long long)a->dims[k]);
        printf(" ) / ( ");
        for (int k = 0; k < rank; k++)
            printf("%s%llu", k ? ", " : "", (unsigned long long)a->dims[k]);
        printf(" ) }\n");
    }
    printf("   DATA {\n");
    /* Pieces in C order: one-element chunks make every piece a run of
     * whole rows (or a part of one row). */
    lzc_pieces pieces;
    lzc_pieces_init(&pieces, rank, a->dims, ones, budget / (isz ? isz : 1));
    hsize_t start[H5S_MAX_RANK], count[H5S_MAX_RANK], done = 0;
    char *buf = NULL;
    size_t cap = 0;
    int col = 0;
    while (total && lzc_pieces_next(&pieces, start, count)) {
        hsize_t n = 1;
        for (int k = 0; k < rank; k++)
            n *= count[k];
        if (n * isz > cap) {
            free(buf);
            cap = n * isz;
            if (!(buf = malloc(cap))) {
                fprintf(stderr, "%s: error: out of memory\n", prog);
                return -1;
            }
        }
        a->action = H5LAZY_INSPECT_READ;
        a->start = start;
        a->count = count;
        a->stride = NULL;
        a->buf = buf;
        if (lzc_inspect(file, a) < 0) {
            free(buf);
            printf("\n");
            lzc_report(prog, "evaluation failed", NULL, NULL);
            return -1;
        }
        for (hsize_t i = 0; i < n; i++, done++) {
            /* The element's index, from its flat position. */
            hsize_t idx[H5S_MAX_RANK], rest = done;
            for (int k = rank - 1; k >= 0; k--) {
                idx[k] = rest % a->dims[k];
                rest /= a->dims[k];
            }
            char value[64];
            format_value(value, sizeof value, a->dtype, buf + i * isz);
            bool row_start = rank == 0 || idx[rank - 1] == 0;
            bool last = done + 1 == total;
            /* h5dump's rule: its column counter runs one indentation level
             * (3) ahead of what it prints, and an element needs its comma
             * and a space. */
            if (row_start || col + 3 + (int)strlen(value) + 2 > 80) {
                if (col)
                    printf("\n");
                col = printf("   (");
                for (int k = 0; k < rank; k++)
                    col += printf("%s%llu", k ? "," : "", (unsigned long long)idx[k]);
                col += printf("%s): ", rank ? "" : "0"); /* a scalar is element (0) */
            } else {
                col += printf(" ");
            }
            col += printf("%s%s", value, last ? "" : ",");
        }
    }
    free(buf);
    printf("%s   }\n}\n}\n", col ? "\n" : "");
    return 0;
}

/* Store the whole result as a dataset. */
/* Store the whole result as the dataset `name` of out_path (or of FILE
 * itself, open as `file`, when into_file). */
static int
store_result(const char *prog, hid_t file, h5lazy_inspect_args_t *a, const char *out_path, bool into_file,
             const char *name, hid_t fapl, const lzc_storage *storage, size_t budget)
{
    lzc_target t;
    int st = lzc_target_create(prog, &t, into_file ? file : H5I_INVALID_HID, out_path, fapl, name, a->dtype, a->rank,
                               a->dims, a->chunks, storage);
    if (st < 0)
        return LZC_FAILED;
    size_t isz = lzc_dtype_size(a->dtype);
    lzc_pieces pieces;
    lzc_pieces_init(&pieces, t.rank, t.dims, t.chunk, budget / (isz ? isz : 1));
    hsize_t start[H5S_MAX_RANK], count[H5S_MAX_RANK];
    char *buf = NULL;
    size_t cap = 0;
    lzc_interrupts_catch();
    while (st == 0 && lzc_pieces_next(&pieces, start, count)) {
        hsize_t n = 1;
        for (int k = 0; k < t.rank; k++)
            n *= count[k];
        if (n * isz > cap) {
            free(buf);
            cap = n * isz;
            if (!(buf = malloc(cap))) {
                fprintf(stderr, "%s: error: out of memory\n", prog);
                st = -1;
                break;
            }
        }
        a->action = H5LAZY_INSPECT_READ;
        a->start = start;
        a->count = count;
        a->stride = NULL;
        a->buf = buf;
        if (lzc_interrupted()) {
            fprintf(stderr, "%s: interrupted; nothing was stored\n", prog);
            st = -2;
        } else if (lzc_inspect(file, a) < 0) {
            lzc_report(prog, "evaluation failed", NULL, NULL);
            st = -1;
        } else {
            st = lzc_target_write(prog, &t, start, count, buf);
        }
    }
    free(buf);
    if (st == 0)
        return lzc_target_finish(prog, &t, H5I_INVALID_HID) < 0 ? LZC_FAILED : LZC_OK;
    lzc_target_abort(&t);
    return st == -2 ? LZC_INTERRUPTED : LZC_FAILED;
}

int
lzc_eval_main(int argc, char **argv)
{
    static const struct option options[] = {
        {"slice", required_argument, NULL, 'S'}, {"to", required_argument, NULL, 't'},
        LZC_WRITE_OPTIONS,
        {"verbose", no_argument, NULL, 'v'},      {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *prog = "h5lazy eval";
    const char *slice = NULL, *to = NULL;
    lzc_storage storage = {.gzip = -1};
    lzc_tuning tuning = {""};
    int c;
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "vh", options, NULL)) != -1) {
        switch (c) {
        case 'S':
            slice = optarg;
            break;
        case 't':
            to = optarg;
            break;
        case 'v':
            lzc_verbose = true;
            break;
        case 'h':
            fputs(eval_usage, stdout);
            return LZC_OK;
        default: {
            int taken = lzc_write_option(prog, c, optarg, &storage, &tuning);
            if (taken < 0)
                return LZC_MISUSE;
            if (taken == 0)
                return lzc_bad_option(prog, argv, eval_usage);
        }
        }
    }
    if (argc - optind != 2) {
        fprintf(stderr, "%s: error: expected FILE EXPRESSION\n\n%s", prog, eval_usage);
        return LZC_MISUSE;
    }
    const char *path = argv[optind];
    const char *text = argv[optind + 1];
    char *expr = NULL;
    if (slice) { /* (EXPRESSION)[...]: the engine evaluates only that part */
        size_t n = strlen(text) + strlen(slice) + 8;
        if ((expr = malloc(n)))
            snprintf(expr, n, "(%s)%s%s%s", text, slice[0] == '[' ? "" : "[", slice, slice[0] == '[' ? "" : "]");
    } else {
        expr = strdup(text);
    }
    if (!expr) {
        fprintf(stderr, "%s: error: out of memory\n", prog);
        return LZC_FAILED;
    }
    /* --to OUTFILE:NAME, where OUTFILE may be FILE however spelled. */
    char *out_path = NULL;
    const char *out_name = NULL;
    if (to) {
        const char *colon = strrchr(to, ':');
        if (!colon || colon == to || !colon[1]) {
            fprintf(stderr, "%s: error: --to wants OUTFILE:NAME, got '%s'\n", prog, to);
            free(expr);
            return LZC_MISUSE;
        }
        out_path = strndup(to, (size_t)(colon - to));
        out_name = colon + 1;
    }
    bool into_file = out_path && lzc_same_file(out_path, path);
    int status = LZC_FAILED;
    hid_t fapl = lzc_connector_fapl(prog, tuning.info);
    hid_t file = fapl >= 0 ? lzc_open(prog, path, fapl, into_file ? LZC_WRITE : LZC_READ) : H5I_INVALID_HID;
    if (file >= 0) {
        h5lazy_diagnostic_t diag = {0};
        h5lazy_inspect_args_t a = {.action = H5LAZY_INSPECT_OPEN, .expression = expr, .diag = &diag};
        if (lzc_inspect(file, &a) < 0) {
            lzc_report(prog, "cannot evaluate", &diag, expr);
        } else {
            size_t budget = LZC_BUFFER_BYTES;
            if (to)
                status = out_path ? store_result(prog, file, &a, out_path, into_file, out_name, fapl, &storage, budget)
                                  : LZC_FAILED;
            else
                status = print_result(prog, file, &a, path, expr, budget) < 0 ? LZC_FAILED : LZC_OK;
            a.action = H5LAZY_INSPECT_CLOSE;
            lzc_inspect(file, &a);
        }
        H5Fclose(file);
    }
    if (fapl >= 0)
        H5Pclose(fapl);
    free(out_path);
    free(expr);
    return status;
}
