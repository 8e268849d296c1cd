/* vol_test.h — what the connector's CUnit suites share (test_vol.c). */
#ifndef VOL_TEST_H
#define VOL_TEST_H

#include "h5lazy_vol.h"

#include <CUnit/CUnit.h>
#include <hdf5.h>

extern hid_t vol_id;    /* the h5lazy connector, registered by the first suite */
extern hid_t lazy_fapl; /* a file access list selecting it */

/* Define NAME = EXPR in the open file; returns the op's status and fills
 * *diag (may be NULL). */
herr_t define(hid_t file, const char *name, const char *expr, h5lazy_diagnostic_t *diag);

/* The h5lazy frames on the current error stack: how many, and the text of
 * the last. Walks a copy (the walk callback calls the API, which clears the
 * current stack); taking the copy clears the current stack too. */
typedef struct found {
    int frames;
    char desc[1200];
} found;
found h5lazy_error(void);

void register_cache_suite(void);
void register_selection_suite(void);
void register_files_suite(void);
void register_multi_suite(void);
void register_faults_suite(void);

#endif
