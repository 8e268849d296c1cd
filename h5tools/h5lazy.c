/* h5lazy.c — the h5lazy command: one executable, one subcommand per task.
 * Exit status: 0 success, 1 failure, 2 misuse; errors go to stderr. */
#include "lzc.h"

#include <stdio.h>
#include <string.h>

static const char usage[] =
    "usage: h5lazy COMMAND [options] ...\n"
    "\n"
    "Lazy array expressions stored in HDF5 files as virtual datasets, read by\n"
    "any HDF5 program through the h5lazy VOL connector.\n"
    "\n"
    "commands:\n"
    "  define FILE NAME EXPR   define a virtual dataset (validated, shape and\n"
    "                          type inferred)\n"
    "  show FILE [NAME]        what virtual datasets are: expression, graph,\n"
    "                          operands, cost of a read (--dot for Graphviz)\n"
    "  check FILE              whether every virtual dataset still evaluates\n"
    "  eval FILE EXPR          evaluate an expression and print it, or store it\n"
    "  save FILE NAME[=OUT:NAME] ...\n"
    "                          materialise virtual datasets into stored ones,\n"
    "                          one pass over shared operands\n"
    "\n"
    "Run 'h5lazy COMMAND --help' for a command's options. To read virtual\n"
    "datasets with other programs, set\n"
    "  HDF5_PLUGIN_PATH=<dir of libh5lazy_vol.so>\n"
    "  HDF5_VOL_CONNECTOR='h5lazy under_vol=0;under_info={}'\n";

int
main(int argc, char **argv)
{
    if (argc < 2) {
        fputs(usage, stderr);
        return LZC_MISUSE;
    }
    const char *cmd = argv[1];
    if (!strcmp(cmd, "-h") || !strcmp(cmd, "--help") || !strcmp(cmd, "help")) {
        fputs(usage, stdout);
        return LZC_OK;
    }
    if (!strcmp(cmd, "--version")) {
        printf("h5lazy %s (HDF5 %d.%d.%d)\n", H5LAZY_VERSION_STRING, H5_VERS_MAJOR, H5_VERS_MINOR,
               H5_VERS_RELEASE);
        return LZC_OK;
    }
    /* Errors are reported by the command itself, once, in its own words. */
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
    static const struct {
        const char *name;
        int (*main)(int, char **);
    } commands[] = {
        {"define", lzc_define_main}, {"show", lzc_show_main}, {"check", lzc_check_main},
        {"eval", lzc_eval_main},     {"save", lzc_save_main},
    };
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        if (!strcmp(cmd, commands[i].name))
            return commands[i].main(argc - 1, argv + 1);
    fprintf(stderr, "h5lazy: error: unknown command '%s'\n\n", cmd);
    fputs(usage, stderr);
    return LZC_MISUSE;
}
