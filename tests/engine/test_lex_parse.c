/* test_lex_parse.c — lexer and parser: precedence printed as text, operand
 * collection, and the exact messages for bad syntax. */
#include "engine_test.h"

#include <string.h>

static void
check_tree(const char *text, const char *want)
{
    char tree[512];
    lz_error err = {0};
    lz_status st = parse_to_text(text, tree, sizeof tree, &err);
    CU_ASSERT_EQUAL(st, LZ_OK);
    if (st != LZ_OK)
        fprintf(stderr, "\n  %s: %s\n", text, err.message);
    else if (strcmp(tree, want) != 0)
        fprintf(stderr, "\n  %s\n    got  %s\n    want %s\n", text, tree, want);
    CU_ASSERT_STRING_EQUAL(tree, want);
}

static void
test_precedence(void)
{
    check_tree("a + b * c", "(add a (multiply b c))");
    check_tree("a - b - c", "(subtract (subtract a b) c)");
    check_tree("a / b / c", "(divide (divide a b) c)");
    check_tree("(a + b) * c", "(multiply (add a b) c)");
    check_tree("-a ** 2", "(negative (power a 2))");
    check_tree("a ** -b", "(power a (negative b))");
    check_tree("a ** b ** c", "(power a (power b c))");
    check_tree("- - a", "(negative (negative a))");
    check_tree("+a * -b", "(multiply (positive a) (negative b))");
    check_tree("a < b + 1", "(less a (add b 1))");
    check_tree("a | b ^ c & d << 1 + 2",
               "(bitwise_or a (bitwise_xor b (bitwise_and c (left_shift d (add 1 2)))))");
    check_tree("a // b % c * d", "(multiply (remainder (floor_divide a b) c) d)");
    check_tree("~a == b", "(equal (invert a) b)");
}

static void
test_literals(void)
{
    check_tree("1 + 2.5 + 1e3 + .5 + 3.", "(add (add (add (add 1 2.5) 1000) 0.5) 3)");
    check_tree("nan + inf + true + False", "(add (add (add nan inf) true) false)");
    check_tree("18446744073709551615", "18446744073709551615");
    check_tree("99999999999999999999", "99999999999999999999"); /* Python ints are unbounded */
    check_tree("9223372036854775807", "9223372036854775807");
    check_tree("'it\\'s'", "\"it's\"");
}

static void
test_postfix(void)
{
    check_tree("mean(x, axis=0)", "(mean x axis=0)");
    check_tree("concat([a, b], axis=-1)", "(concat (list a b) axis=(negative 1))");
    check_tree("x[1:2, ::-1, ..., None, 3]",
               "(index x (slice 1 2 _) (slice _ _ (negative 1)) ... None 3)");
    check_tree("x[:]", "(index x (slice _ _ _))");
    check_tree("sum(x, axis=(0, 1))", "(sum x axis=(tuple 0 1))");
    check_tree("f()", "(f)");
    check_tree("x[0][1]", "(index (index x 0) 1)");
    check_tree("ds(\"/g/t\") * 2", "(multiply (ds \"/g/t\") 2)");
    check_tree("a +\n  b  # a comment\n", "(add a b)");
}

static void
test_operands(void)
{
    lz_ctx *ctx = lz_ctx_new(NULL);
    lz_expr *e = NULL;
    CU_ASSERT_EQUAL_FATAL(
        lz_expr_parse(ctx, "a + ds('/g/b') * ds('../x.h5', '/c') - a / ds('/g/b') + mean(d)", &e),
        LZ_OK);
    CU_ASSERT_EQUAL(lz_expr_operand_count(e), 4);
    CU_ASSERT_STRING_EQUAL(lz_expr_operand(e, 0)->path, "a");
    CU_ASSERT_PTR_NULL(lz_expr_operand(e, 0)->file);
    CU_ASSERT_EQUAL(lz_expr_operand(e, 0)->column, 1);
    CU_ASSERT_STRING_EQUAL(lz_expr_operand(e, 1)->path, "/g/b");
    CU_ASSERT_STRING_EQUAL(lz_expr_operand(e, 2)->file, "../x.h5");
    CU_ASSERT_STRING_EQUAL(lz_expr_operand(e, 2)->path, "/c");
    CU_ASSERT_STRING_EQUAL(lz_expr_operand(e, 3)->path, "d");
    CU_ASSERT_PTR_NULL(lz_expr_operand(e, 4));
    lz_expr_free(e);
    CU_ASSERT_EQUAL(lz_ctx_bytes_in_use(ctx), 0);
    lz_ctx_free(ctx);
}

static void
check_error(const char *text, lz_status code, int line, int column, const char *message)
{
    char tree[256];
    lz_error err = {0};
    lz_status st = parse_to_text(text, tree, sizeof tree, &err);
    CU_ASSERT_EQUAL(st, code);
    CU_ASSERT_EQUAL(err.line, line);
    CU_ASSERT_EQUAL(err.column, column);
    if (strcmp(err.message, message) != 0 || err.column != column)
        fprintf(stderr, "\n  %s\n    got  %d:%d %s\n    want %d:%d %s\n", text, err.line, err.column,
                err.message, line, column, message);
    CU_ASSERT_STRING_EQUAL(err.message, message);
}

static void
test_syntax_errors(void)
{
    check_error("", LZ_ESYNTAX, 1, 1, "expression is empty");
    check_error("a +", LZ_ESYNTAX, 1, 4,
                "expected an operand, a number or '(' but found end of expression");
    check_error("a $ b", LZ_ESYNTAX, 1, 3, "unexpected character '$'");
    check_error("(a + b", LZ_ESYNTAX, 1, 7, "expected ')' to close '(' but found end of expression");
    check_error("a b", LZ_ESYNTAX, 1, 3, "unexpected name 'b' after a complete expression");
    check_error("a < b < c", LZ_ESYNTAX, 1, 7,
                "comparisons cannot be chained; write logical_and(a < b, b < c)");
    check_error("1.5x", LZ_ESYNTAX, 1, 4, "unexpected 'x' in a number");
    check_error("'abc", LZ_ESYNTAX, 1, 1, "string is not closed");
    check_error("999999999999999999999999999999999999999999", LZ_ESYNTAX, 1, 1,
                "integer literal 999999999999999999999999999999999999999999 is too large (h5lazy's limit is "
                "2**127 - 1)");
    check_error("a +\n  * b", LZ_ESYNTAX, 2, 3,
                "expected an operand, a number or '(' but found '*'");
    check_error("x[]", LZ_ESYNTAX, 1, 3, "empty subscript: write x[...] for the whole array");
    check_error("(a + b)(c)", LZ_ESYNTAX, 1, 8, "only a function name can be called");
    check_error("f(axis=1, x)", LZ_ESYNTAX, 1, 11, "positional argument follows keyword argument");
    check_error("ds(x)", LZ_ESYNTAX, 1, 4, "ds() takes string literals: ds(\"path\") or ds(\"file\", \"path\")");
    check_error("ds('a', 'b', 'c')", LZ_ESYNTAX, 1, 1,
                "ds() takes one or two string literals: ds(\"path\") or ds(\"file\", \"path\")");
    check_error("ds('')", LZ_ESYNTAX, 1, 4, "ds() needs a non-empty dataset path");
    check_error("a \xc3\xa9", LZ_ESYNTAX, 1, 3,
                "unexpected byte 0xc3 (expressions are ASCII; quote other names with ds(\"...\"))");
    check_error("'a\\n'", LZ_ESYNTAX, 1, 3,
                "unknown escape '\\n' in string (only \\\\, \\\" and \\' are known)");
}

static void
test_limits(void)
{
    /* Nesting: 300 parentheses exceed the default depth of 200. */
    char deep[700];
    size_t n = 0;
    for (int i = 0; i < 300; i++)
        deep[n++] = '(';
    deep[n++] = '1';
    for (int i = 0; i < 300; i++)
        deep[n++] = ')';
    deep[n] = '\0';
    lz_error err = {0};
    char tree[16];
    CU_ASSERT_EQUAL(parse_to_text(deep, tree, sizeof tree, &err), LZ_ELIMIT);
    CU_ASSERT_STRING_EQUAL(err.message, "expression nests deeper than 200 levels");

    /* Operands: 300 distinct names exceed the default of 256. */
    char many[4000];
    n = 0;
    for (int i = 0; i < 300; i++)
        n += (size_t)snprintf(many + n, sizeof many - n, "%sv%d", i ? "+" : "", i);
    CU_ASSERT_EQUAL(parse_to_text(many, tree, sizeof tree, &err), LZ_ELIMIT);
    CU_ASSERT_STRING_EQUAL(err.message, "expression names more than 256 distinct operands");

    /* Length: one byte over the limit. */
    lz_config cfg;
    lz_config_init(&cfg);
    cfg.max_expr_bytes = 8;
    lz_ctx *ctx = lz_ctx_new(&cfg);
    lz_expr *e = NULL;
    CU_ASSERT_EQUAL(lz_expr_parse(ctx, "a + b + c", &e), LZ_ELIMIT);
    CU_ASSERT_STRING_EQUAL(lz_ctx_error(ctx)->message, "expression is 9 bytes long; the limit is 8");
    CU_ASSERT_EQUAL(lz_ctx_bytes_in_use(ctx), 0);
    lz_ctx_free(ctx);
}

void
register_lex_parse_suite(void)
{
    CU_pSuite s = CU_add_suite("lexer and parser", NULL, NULL);
    CU_add_test(s, "operator precedence as printed trees", test_precedence);
    CU_add_test(s, "literals", test_literals);
    CU_add_test(s, "calls, keywords, subscripts", test_postfix);
    CU_add_test(s, "operands are collected once each", test_operands);
    CU_add_test(s, "syntax errors: message and position", test_syntax_errors);
    CU_add_test(s, "limits on depth, operands and length", test_limits);
}
