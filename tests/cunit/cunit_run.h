/* cunit_run.h — the main of the CUnit programs: run every suite, or the one
 * named on the command line (ctest registers one test per suite).
 *
 * Each program lists its suites in a table of CUNIT_SUITE(name, register)
 * lines; its tests/<dir>/CMakeLists.txt reads those lines to register the
 * ctest entries, so a suite added to the table is run by ctest without
 * another list to keep in step. */
#ifndef CUNIT_RUN_H
#define CUNIT_RUN_H

#include <stddef.h>

typedef struct cunit_suite {
    const char *name;      /* ctest's name for it, and the argument that selects it */
    void (*add)(void);     /* adds the suite (CU_add_suite and its tests) */
} cunit_suite;

#define CUNIT_SUITE(name, add) {name, add}

/* Initialise CUnit, add the suite named by argv[1] (or every suite when
 * there is no argument), run in verbose mode, clean up. Returns the exit
 * status: 0 when everything passed; 1 when a test or a suite's setup
 * failed; 2 for an unknown suite name or a CUnit failure. */
int cunit_run(int argc, char **argv, const cunit_suite *suites, size_t nsuites);

#endif
