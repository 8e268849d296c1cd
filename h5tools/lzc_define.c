/* lzc_define.c — `h5lazy define FILE NAME EXPR`: validate an expression
 * against the file's datasets and store it as a virtual dataset. */
#include "lzc.h"

#include <getopt.h>
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
    "options:\n"
    "  --chunks N,N,...  evaluation chunk shown to readers (default: that of an\n"
    "                    operand with the result's shape, else ~1 MiB blocks)\n"
    "  --overwrite       replace an existing virtual dataset NAME (stored\n"
    "                    datasets are never replaced)\n"
    "  -v, --verbose     print the full HDF5 error stack on failure\n"
    "  -h, --help        show this help\n"
    "\n"
    "example:\n"
    "  h5lazy define results.h5 anomaly 'temp - 273.15'\n";

int
lzc_define_main(int argc, char **argv)
{
    static const struct option options[] = {
        {"chunks", required_argument, NULL, 'c'}, {"overwrite", no_argument, NULL, 'o'},
        {"verbose", no_argument, NULL, 'v'},      {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *prog = "h5lazy define";
    hsize_t chunks[H5S_MAX_RANK];
    int nchunks = 0, overwrite = 0, c;
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "vh", options, NULL)) != -1) {
        switch (c) {
        case 'c':
            if (lzc_parse_chunks(prog, optarg, chunks, &nchunks) < 0)
                return LZC_MISUSE;
            break;
        case 'o':
            overwrite = 1;
            break;
        case 'v':
            lzc_verbose = true;
            break;
        case 'h':
            fputs(define_usage, stdout);
            return LZC_OK;
        default:
            return lzc_bad_option(prog, argv, define_usage);
        }
    }
    if (argc - optind != 3) {
        fprintf(stderr, "%s: error: expected FILE NAME EXPRESSION (got %d argument%s)\n\n", prog,
                argc - optind, argc - optind == 1 ? "" : "s");
        fputs(define_usage, stderr);
        return LZC_MISUSE;
    }
    const char *path = argv[optind], *name = argv[optind + 1], *expr = argv[optind + 2];

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
                                 .chunks = chunks, .overwrite = overwrite, .diag = &diag};
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
