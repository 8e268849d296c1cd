/* lzc_define.c — `h5lazy define FILE NAME EXPR`: validate an expression
 * against the file's datasets and store it as a virtual dataset. */
#include "lzc.h"

#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char define_usage[] =
    "usage: h5lazy define [options] FILE NAME EXPRESSION\n"
    "\n"
    "Define the virtual dataset NAME in FILE as EXPRESSION. The expression is\n"
    "parsed, its operands are opened, and its shape and type are inferred and\n"
    "checked now; the file then holds a placeholder that every HDF5 reader with\n"
    "the h5lazy connector reads as computed data. FILE is created if missing;\n"
    "groups in NAME are created as needed.\n"
    "\n"
    "Operands: a bare name is a dataset next to NAME (\"temp\"), ds(\"/a/b\") a\n"
    "dataset by path, ds(\"other.h5\", \"/a/b\") one in another file (relative to\n"
    "FILE's directory).\n"
    "\n"
    "Operands with netCDF/CF attributes (_FillValue, missing_value, valid_*,\n"
    "scale_factor, add_offset) are decoded as xarray decodes them; raw(x) reads\n"
    "the stored values. The result is written for netCDF readers: a float\n"
    "result has _FillValue NaN, each axis the dimension scale (coordinate) of\n"
    "the operand axis it comes from, a reduction over named dimensions\n"
    "cell_methods.\n"
    "\n"
    "options:\n"
    "  --chunks N,N,...     evaluation chunk shown to readers (default: that of\n"
    "                       an operand with the result's shape, else ~1 MiB\n"
    "                       blocks)\n"
    "  --overwrite          replace an existing virtual dataset NAME (stored\n"
    "                       datasets are never replaced)\n"
    "  --fill-value V       write missing values as the number V, which becomes\n"
    "                       the _FillValue (float results; default: NaN)\n"
    "  --attr KEY=VALUE     set an attribute (repeatable): an integer, a\n"
    "                       number, else text (\"...\" is always text)\n"
    "  --attrs-from OPERAND copy the descriptive attributes (units, long_name,\n"
    "                       ...) of an operand, never its encoding ones\n"
    "  --dim AXIS=NAME      the dimension of an axis (repeatable): the 1-D\n"
    "                       dataset NAME next to NAME, else a new dimension\n"
    "                       without coordinates (for new axes: stack, None)\n"
    "  -v, --verbose        print the full HDF5 error stack on failure\n"
    "  -h, --help           show this help\n"
    "\n"
    "examples:\n"
    "  h5lazy define results.h5 anomaly 'temp - 273.15'\n"
    "  h5lazy define out.nc clim 'nanmean(ds(\"tas.nc\", \"/tas\"), axis=0)' \\\n"
    "      --attrs-from tas --attr comment='decade mean'\n";

/* The most --attr and --dim options one define takes. */
enum { MAX_ATTRS = 256 };

/* --attr KEY=VALUE: an integer (decimal, within int64), else a number
 * (C's strtod syntax: 2.5, -1e20; finite), else text; "..." is always
 * text. *owned receives the storage the attribute points into. */
static int
parse_attr(const char *prog, const char *arg, h5lazy_attr_t *attr, char **owned)
{
    const char *eq = strchr(arg, '=');
    if (!eq || eq == arg) {
        fprintf(stderr, "%s: error: --attr wants KEY=VALUE, got '%s'\n", prog, arg);
        return -1;
    }
    char *copy = strdup(arg);
    if (!copy) {
        fprintf(stderr, "%s: error: out of memory\n", prog);
        return -1;
    }
    *owned = copy;
    copy[eq - arg] = '\0';
    attr->name = copy;
    char *v = copy + (eq - arg) + 1, *end;
    size_t n = strlen(v);
    bool number_like = n && (isdigit((unsigned char)v[0]) || strchr("+-.", v[0]));
    if (n >= 2 && v[0] == '"' && v[n - 1] == '"') {
        v[n - 1] = '\0';
        attr->kind = H5LAZY_ATTR_TEXT;
        attr->text = v + 1;
        return 0;
    }
    errno = 0;
    long long i = strtoll(v, &end, 10);
    if (number_like && !*end && errno == 0) {
        attr->kind = H5LAZY_ATTR_INT;
        attr->integer = i;
        return 0;
    }
    double d = strtod(v, &end);
    if (number_like && !*end && isfinite(d)) {
        attr->kind = H5LAZY_ATTR_FLOAT;
        attr->number = d;
        return 0;
    }
    attr->kind = H5LAZY_ATTR_TEXT;
    attr->text = v;
    return 0;
}

/* --dim AXIS=NAME. */
static int
parse_dim(const char *prog, const char *arg, h5lazy_dim_t *dim)
{
    char *end;
    errno = 0;
    long axis = strtol(arg, &end, 10);
    if (end == arg || *end != '=' || errno || axis < -H5S_MAX_RANK || axis >= H5S_MAX_RANK || !end[1]) {
        fprintf(stderr, "%s: error: --dim wants AXIS=NAME (an axis from -%d to %d), got '%s'\n", prog, H5S_MAX_RANK,
                H5S_MAX_RANK - 1, arg);
        return -1;
    }
    dim->axis = (int)axis;
    dim->name = end + 1;
    return 0;
}

/* Define NAME in the file at `path` with the connector's define operation. */
static int
define(const char *prog, const char *path, const char *name, const char *expr, int nchunks, const hsize_t *chunks,
       int overwrite, int fill, double fill_value, const h5lazy_attr_t *attrs, int nattrs, const char *attrs_from,
       const h5lazy_dim_t *dims, int ndims)
{
    hid_t fapl = lzc_connector_fapl(prog, NULL);
    if (fapl < 0)
        return LZC_FAILED;
    hid_t file = lzc_open(prog, path, fapl, LZC_CREATE);
    if (file < 0) {
        H5Pclose(fapl);
        return LZC_FAILED;
    }
    int status = LZC_FAILED;
    int op;
    h5lazy_diagnostic_t diag = {0};
    h5lazy_define_args_t args = {.name = name, .expression = expr, .nchunks = nchunks,
                                 .chunks = chunks, .overwrite = overwrite, .diag = &diag,
                                 .fill = fill, .fill_value = fill_value, .nattrs = nattrs, .attrs = attrs,
                                 .attrs_from = attrs_from, .ndims = ndims, .dim_names = dims};
    H5VL_optional_args_t opt = {0, &args};
    if (H5VLfind_opt_operation(H5VL_SUBCLS_FILE, H5LAZY_OP_DEFINE, &op) < 0) {
        lzc_report(prog, "the loaded h5lazy connector has no define operation", NULL, NULL);
    } else {
        opt.op_type = op;
        if (H5VLfile_optional_op(file, &opt, H5P_DATASET_XFER_DEFAULT, H5ES_NONE) < 0) {
            lzc_report(prog, "define failed", &diag, expr);
        } else {
            status = LZC_OK;
            printf("%s: %s (", name, args.dtype);
            for (int k = 0; k < args.rank; k++)
                printf("%s%llu", k ? ", " : "", (unsigned long long)args.dims[k]);
            printf("%s) = %s\n", args.rank == 1 ? "," : "", expr);
        }
    }
    if (H5Fclose(file) < 0 && status == LZC_OK) {
        lzc_report(prog, "closing the file failed", NULL, NULL);
        status = LZC_FAILED;
    }
    H5Pclose(fapl);
    return status;
}

int
lzc_define_main(int argc, char **argv)
{
    static const struct option options[] = {
        {"chunks", required_argument, NULL, 'c'},     {"overwrite", no_argument, NULL, 'o'},
        {"fill-value", required_argument, NULL, 'f'}, {"attr", required_argument, NULL, 'a'},
        {"attrs-from", required_argument, NULL, 'F'}, {"dim", required_argument, NULL, 'd'},
        {"verbose", no_argument, NULL, 'v'},          {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *prog = "h5lazy define";
    hsize_t chunks[H5S_MAX_RANK];
    int nchunks = 0, overwrite = 0, c, nattrs = 0, ndims = 0, fill = 0, status = LZC_MISUSE;
    double fill_value = 0;
    const char *attrs_from = NULL;
    h5lazy_attr_t attrs[MAX_ATTRS];
    char *owned[MAX_ATTRS];
    h5lazy_dim_t dims[H5S_MAX_RANK];
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "vh", options, NULL)) != -1) {
        char *end;
        switch (c) {
        case 'c':
            if (lzc_parse_chunks(prog, optarg, chunks, &nchunks) < 0)
                goto out;
            break;
        case 'o':
            overwrite = 1;
            break;
        case 'f':
            fill_value = strtod(optarg, &end);
            if (end == optarg || *end || !isfinite(fill_value)) {
                fprintf(stderr, "%s: error: --fill-value wants a finite number, got '%s'\n", prog, optarg);
                goto out;
            }
            fill = 1;
            break;
        case 'a':
            if (nattrs == MAX_ATTRS) {
                fprintf(stderr, "%s: error: at most %d --attr options\n", prog, MAX_ATTRS);
                goto out;
            }
            if (parse_attr(prog, optarg, &attrs[nattrs], &owned[nattrs]) < 0)
                goto out;
            nattrs++;
            break;
        case 'F':
            attrs_from = optarg;
            break;
        case 'd':
            if (ndims == H5S_MAX_RANK) {
                fprintf(stderr, "%s: error: at most %d --dim options\n", prog, H5S_MAX_RANK);
                goto out;
            }
            if (parse_dim(prog, optarg, &dims[ndims]) < 0)
                goto out;
            ndims++;
            break;
        case 'v':
            lzc_verbose = true;
            break;
        case 'h':
            fputs(define_usage, stdout);
            status = LZC_OK;
            goto out;
        default:
            status = lzc_bad_option(prog, argv, define_usage);
            goto out;
        }
    }
    if (argc - optind != 3) {
        fprintf(stderr, "%s: error: expected FILE NAME EXPRESSION (got %d argument%s)\n\n", prog,
                argc - optind, argc - optind == 1 ? "" : "s");
        fputs(define_usage, stderr);
        goto out;
    }
    status = define(prog, argv[optind], argv[optind + 1], argv[optind + 2], nchunks, chunks, overwrite, fill,
                    fill_value, attrs, nattrs, attrs_from, dims, ndims);
out:
    for (int i = 0; i < nattrs; i++)
        free(owned[i]);
    return status;
}
