/* lzc.h — shared pieces of the h5lazy command: exit codes, loading the
 * connector, opening files through it, and reporting errors. */
#ifndef LZC_H
#define LZC_H

#include "h5lazy_vol.h"

#include <hdf5.h>
#include <stdbool.h>

enum { LZC_OK = 0, LZC_FAILED = 1, LZC_MISUSE = 2 };

/* Load the h5lazy connector (from HDF5_PLUGIN_PATH, else next to this
 * program) and return a FAPL that uses it over the native connector.
 * Prints the reason and returns H5I_INVALID_HID on failure. */
hid_t lzc_connector_fapl(const char *prog);

/* Print what went wrong: the h5lazy messages from the HDF5 error stack (or
 * its innermost message), prefixed "h5lazy <cmd>: error: ", then clear the
 * stack. With a diagnostic that has a column, also the expression's line
 * with a caret under the column. */
void lzc_report(const char *prog, const char *what, const h5lazy_diagnostic_t *diag, const char *expr);

/* Whether verbose output (full HDF5 error stacks) was asked for. */
extern bool lzc_verbose;

int lzc_define_main(int argc, char **argv);

#endif
