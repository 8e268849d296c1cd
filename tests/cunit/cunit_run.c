/* cunit_run.c — see cunit_run.h. */
#include "cunit_run.h"

#include <CUnit/Basic.h>
#include <stdio.h>
#include <string.h>

int
cunit_run(int argc, char **argv, const cunit_suite *suites, size_t nsuites)
{
    if (argc > 2) {
        fprintf(stderr, "usage: %s [SUITE]\n", argv[0]);
        return 2;
    }
    if (CU_initialize_registry() != CUE_SUCCESS)
        return 2;
    size_t added = 0;
    for (size_t i = 0; i < nsuites; i++) {
        if (argc == 2 && strcmp(argv[1], suites[i].name))
            continue;
        suites[i].add();
        added++;
    }
    if (added == 0) {
        fprintf(stderr, "%s: no suite named '%s'; the suites are:", argv[0], argv[1]);
        for (size_t i = 0; i < nsuites; i++)
            fprintf(stderr, " %s", suites[i].name);
        fprintf(stderr, "\n");
        CU_cleanup_registry();
        return 2;
    }
    CU_basic_set_mode(CU_BRM_VERBOSE);
    CU_basic_run_tests();
    /* A suite whose setup fails runs no tests: that is a failure too. */
    unsigned failed = CU_get_number_of_failures() + CU_get_number_of_tests_failed() +
                      CU_get_number_of_suites_failed();
    CU_cleanup_registry();
    return failed ? 1 : 0;
}
