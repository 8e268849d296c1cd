/* test_types.c — type promotion against numpy's own tables, and the typing
 * of expressions with literals (NEP 50 weak scalars). */
#include "engine_test.h"

#include "lz_dtype.h"
#include "lz_resolve.h"

#include <stdio.h>

#include <string.h>

static const char *const names[LZ_DTYPE_COUNT] = {
    "bool", "int8", "uint8", "int16", "uint16", "int32", "uint32", "int64", "uint64", "float32", "float64",
};

/* np.promote_types(row, column), printed by numpy 2.4.6. */
static const char *const promote_table[LZ_DTYPE_COUNT][LZ_DTYPE_COUNT] = {
    {"bool", "int8", "uint8", "int16", "uint16", "int32", "uint32", "int64", "uint64", "float32", "float64"},
    {"int8", "int8", "int16", "int16", "int32", "int32", "int64", "int64", "float64", "float32", "float64"},
    {"uint8", "int16", "uint8", "int16", "uint16", "int32", "uint32", "int64", "uint64", "float32", "float64"},
    {"int16", "int16", "int16", "int16", "int32", "int32", "int64", "int64", "float64", "float32", "float64"},
    {"uint16", "int32", "uint16", "int32", "uint16", "int32", "uint32", "int64", "uint64", "float32", "float64"},
    {"int32", "int32", "int32", "int32", "int32", "int32", "int64", "int64", "float64", "float64", "float64"},
    {"uint32", "int64", "uint32", "int64", "uint32", "int64", "uint32", "int64", "uint64", "float64", "float64"},
    {"int64", "int64", "int64", "int64", "int64", "int64", "int64", "int64", "float64", "float64", "float64"},
    {"uint64", "float64", "uint64", "float64", "uint64", "float64", "uint64", "float64", "uint64", "float64", "float64"},
    {"float32", "float32", "float32", "float32", "float32", "float64", "float64", "float64", "float64", "float32", "float64"},
    {"float64", "float64", "float64", "float64", "float64", "float64", "float64", "float64", "float64", "float64", "float64"},
};

/* np.result_type(np.empty(0, row), True / 1 / 1.5), numpy 2.4.6. */
static const char *const weak_table[LZ_DTYPE_COUNT][3] = {
    {"bool", "int64", "float64"},   {"int8", "int8", "float64"},       {"uint8", "uint8", "float64"},
    {"int16", "int16", "float64"},  {"uint16", "uint16", "float64"},   {"int32", "int32", "float64"},
    {"uint32", "uint32", "float64"}, {"int64", "int64", "float64"},    {"uint64", "uint64", "float64"},
    {"float32", "float32", "float32"}, {"float64", "float64", "float64"},
};

static void
test_names(void)
{
    for (int t = 0; t < LZ_DTYPE_COUNT; t++) {
        CU_ASSERT_STRING_EQUAL(lz_dtype_name((lz_dtype)t), names[t]);
        lz_dtype back;
        CU_ASSERT_EQUAL(lz_dtype_from_name(names[t], &back), 0);
        CU_ASSERT_EQUAL(back, t);
    }
    lz_dtype dummy;
    CU_ASSERT_EQUAL(lz_dtype_from_name("float16", &dummy), -1);
    CU_ASSERT_STRING_EQUAL(lz_dtype_name((lz_dtype)99), "?");
}

static void
test_promote_matches_numpy(void)
{
    for (int a = 0; a < LZ_DTYPE_COUNT; a++)
        for (int b = 0; b < LZ_DTYPE_COUNT; b++) {
            const char *got = lz_dtype_name(lz_dtype_promote((lz_dtype)a, (lz_dtype)b));
            if (strcmp(got, promote_table[a][b]) != 0)
                fprintf(stderr, "\n  promote(%s, %s) = %s, numpy %s\n", names[a], names[b], got,
                        promote_table[a][b]);
            CU_ASSERT_STRING_EQUAL(got, promote_table[a][b]);
        }
}

static void
test_weak_matches_numpy(void)
{
    const lz_kind kinds[3] = {LZ_KIND_BOOL, LZ_KIND_INT, LZ_KIND_FLOAT};
    for (int a = 0; a < LZ_DTYPE_COUNT; a++)
        for (int w = 0; w < 3; w++) {
            lz_dtype t = lz_dtype_promote((lz_dtype)a, lz_dtype_promote_weak((lz_dtype)a, kinds[w]));
            CU_ASSERT_STRING_EQUAL(lz_dtype_name(t), weak_table[a][w]);
        }
}

/* Type of `text` evaluated over one operand `a` of type `t` and shape (2,). */
static lz_status
result_type(const char *text, lz_dtype t, lz_dtype *out, lz_error *err)
{
    static const char zeros[16] = {0};
    test_array a = {t, 1, {2}, zeros};
    char result[16];
    return eval_full(text, &a, 1, 0, result, out, err);
}

static void
test_expression_types(void)
{
    static const struct {
        const char *text;
        lz_dtype operand, want;
    } cases[] = {
        {"a + 1", LZ_INT8, LZ_INT8},          {"a + 1.5", LZ_INT8, LZ_FLOAT64},
        {"a * 2", LZ_FLOAT32, LZ_FLOAT32},    {"a / 2", LZ_INT16, LZ_FLOAT64},
        {"a / 2", LZ_FLOAT32, LZ_FLOAT32},    {"a + true", LZ_UINT16, LZ_UINT16},
        {"a + 1", LZ_BOOL, LZ_INT64},         {"a * a", LZ_BOOL, LZ_BOOL},
        {"a - 300", LZ_INT16, LZ_INT16},      {"-a", LZ_UINT32, LZ_UINT32},
        {"a + (2 * 3)", LZ_UINT8, LZ_UINT8},  {"a + 7 / 2", LZ_INT32, LZ_FLOAT64},
        {"1 + 2", LZ_INT8, LZ_INT64},         {"1 + 2.0", LZ_INT8, LZ_FLOAT64},
        {"a / a", LZ_BOOL, LZ_FLOAT64},       {"add(a, 1)", LZ_UINT64, LZ_UINT64},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        lz_dtype got = LZ_DTYPE_COUNT;
        lz_error err = {0};
        lz_status st = result_type(cases[i].text, cases[i].operand, &got, &err);
        if (st != LZ_OK || got != cases[i].want)
            fprintf(stderr, "\n  %s over %s: %s (%s), want %s\n", cases[i].text,
                    lz_dtype_name(cases[i].operand), lz_dtype_name(got), err.message,
                    lz_dtype_name(cases[i].want));
        CU_ASSERT_EQUAL(st, LZ_OK);
        CU_ASSERT_EQUAL(got, cases[i].want);
    }
}

static void
check_type_error(const char *text, lz_dtype t, lz_status code, int column, const char *message)
{
    lz_dtype got;
    lz_error err = {0};
    CU_ASSERT_EQUAL(result_type(text, t, &got, &err), code);
    CU_ASSERT_EQUAL(err.column, column);
    if (strcmp(err.message, message))
        fprintf(stderr, "\n  %s\n    got  %s\n    want %s\n", text, err.message, message);
    CU_ASSERT_STRING_EQUAL(err.message, message);
}

static void
test_type_errors(void)
{
    check_type_error("a + 300", LZ_UINT8, LZ_EVALUE, 5, "integer literal 300 is out of bounds for uint8");
    check_type_error("a * -1", LZ_UINT16, LZ_EVALUE, 5, "integer literal -1 is out of bounds for uint16");
    check_type_error("a - a", LZ_BOOL, LZ_ETYPE, 3,
                     "numpy boolean subtract, the `-` operator, is not "
                     "supported; use the bitwise_xor, the `^` operator, or the logical_xor function "
                     "instead");
    check_type_error("-a", LZ_BOOL, LZ_ETYPE, 1,
                     "numpy boolean negative, the `-` operator, is not "
                     "supported; use the `~` operator or the logical_not function instead");
    check_type_error("ad(a, 1)", LZ_INT8, LZ_ENAME, 1, "unknown function 'ad' (did you mean 'add'?)");
    check_type_error("frobnicate(a)", LZ_INT8, LZ_ENAME, 1, "unknown function 'frobnicate'");
    check_type_error("add(a)", LZ_INT8, LZ_ESYNTAX, 1, "add() takes 2 positional arguments but 1 was given");
    check_type_error("negative(a, axis=0)", LZ_INT8, LZ_ESYNTAX, 13,
                     "negative() got an unexpected keyword argument 'axis'");
    check_type_error("a + 'x'", LZ_INT8, LZ_ESYNTAX, 5, "a string cannot be used here");
}

/* Every ufunc on every combination of input types against numpy's own
 * answers (numpy_types.txt, written by gen_numpy_types.py). */
static void
test_ufunc_types_match_numpy(void)
{
    FILE *f = fopen(H5LAZY_ENGINE_TEST_DIR "/numpy_types.txt", "r");
    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    char line[256];
    int checked = 0, wrong = 0;
    while (fgets(line, sizeof line, f)) {
        if (line[0] == '#')
            continue;
        char name[64], t[3][32];
        int n = sscanf(line, "%63s %31s %31s %31s", name, t[0], t[1], t[2]);
        int nin = n - 2;
        int uf = lz_ufunc_lookup(name);
        CU_ASSERT_FATAL(uf >= 0 && (nin == 1 || nin == 2));
        lz_dtype in[2];
        for (int k = 0; k < nin; k++)
            CU_ASSERT_FATAL(lz_dtype_from_name(t[k], &in[k]) == 0);
        lz_loop loop;
        char why[300];
        lz_status st = lz_resolve_loop((lz_ufunc)uf, in, &loop, why, sizeof why);
        const char *got = st == LZ_OK ? lz_dtype_name(loop.out) : "error";
        if (strcmp(got, t[nin])) {
            if (wrong++ < 10)
                fprintf(stderr, "\n  %s(%s%s%s): h5lazy %s, numpy %s", name, t[0], nin > 1 ? ", " : "",
                        nin > 1 ? t[1] : "", got, t[nin]);
        }
        checked++;
    }
    fclose(f);
    CU_ASSERT(checked > 4000);
    CU_ASSERT_EQUAL(wrong, 0);
}

/* Every loop the ufunc table promises ("bb->b" ...), and where() over every
 * type, finds its kernel: a missing one would otherwise surface only when
 * an expression first needs it ("no kernel for ..."). */
static void
test_every_loop_has_kernel(void)
{
    static const struct {
        lz_ufunc uf;
        const char *loops;
    } table[] = {
#define LZ_UFUNC(id, name, nin, flags, loops) {LZ_UF_##id, loops},
#include "lz_ufunc.def"
#undef LZ_UFUNC
    };
    static const char letters[] = "?bBhHiIlLfd"; /* lz_dtype order */
    int checked = 0;
    for (size_t u = 0; u < sizeof table / sizeof table[0]; u++) {
        const char *p = table[u].loops;
        while (*p) {
            lz_loop loop = {.nin = 0};
            while (*p && *p != '-') {
                const char *at = strchr(letters, *p++);
                CU_ASSERT_FATAL(at != NULL && loop.nin < 3);
                loop.in[loop.nin++] = (lz_dtype)(at - letters);
            }
            CU_ASSERT_FATAL(p[0] == '-' && p[1] == '>' && p[2] && strchr(letters, p[2]));
            loop.out = (lz_dtype)(strchr(letters, p[2]) - letters);
            p += 3;
            while (*p == ' ')
                p++;
            if (!lz_kernel_find(table[u].uf, &loop))
                CU_FAIL_FATAL("a loop of lz_ufunc.def has no kernel in lz_kernel_math.c");
            checked++;
        }
    }
    for (int t = 0; t < LZ_DTYPE_COUNT; t++) { /* where(bool, T, T) -> T */
        lz_loop loop = {.nin = 3, .in = {LZ_BOOL, (lz_dtype)t, (lz_dtype)t}, .out = (lz_dtype)t};
        CU_ASSERT_PTR_NOT_NULL(lz_kernel_find(LZ_UF_WHERE, &loop));
    }
    CU_ASSERT(checked > 300);
}

void
register_types_suite(void)
{
    CU_pSuite s = CU_add_suite("types", NULL, NULL);
    CU_add_test(s, "names round-trip", test_names);
    CU_add_test(s, "promotion equals numpy's table", test_promote_matches_numpy);
    CU_add_test(s, "weak scalars equal numpy's result_type", test_weak_matches_numpy);
    CU_add_test(s, "expression result types", test_expression_types);
    CU_add_test(s, "every ufunc on every type pair equals numpy", test_ufunc_types_match_numpy);
    CU_add_test(s, "type errors: message and position", test_type_errors);
    CU_add_test(s, "every loop of lz_ufunc.def has a kernel", test_every_loop_has_kernel);
}
