"""What the user sees when an expression is wrong: the exact message of
`h5lazy define`, the line and column it points at, the excerpt with its
caret, exit status 1, nothing on stdout and nothing left in the file.

The table is frozen from the messages h5lazy gives, each checked to say what
numpy (or Python) would say. Where numpy refuses the same text too, the
table names the exception numpy raises, and the test checks that it does, so
that an entry cannot silently become an expression numpy accepts. Entries
with None are h5lazy's own restrictions (documented in docs/language.md:
basic indexing only, no float16, ...) or are not Python at all (ds(...)).
"""
import warnings

import h5py
import numpy as np
import pytest

from conftest import define
from numpy.lib.stride_tricks import sliding_window_view
from test_language_oracle import NAMES

ARRAYS = {
    "a": np.arange(12.0).reshape(3, 4),
    "b": np.arange(5.0),
    "i": np.arange(12, dtype=np.int32).reshape(3, 4),
    "u": np.arange(12, dtype=np.uint8).reshape(3, 4),
    "f": np.zeros((2, 3, 4), np.float32),
    "m": np.ones((3, 4), bool),
    "e": np.zeros((0, 3)),
    "s": np.float64(2.0),
}

NPAR = 100  # parentheses: each counts as two levels of nesting (see test_bug_ below)

# (expression, message, line, column, what numpy/Python raises for the same text)
ERRORS = [
    # syntax
    ("a +", "expected an operand, a number or '(' but found end of expression", 1, 4, SyntaxError),
    ("(a + 1", "expected ')' to close '(' but found end of expression", 1, 7, SyntaxError),
    ("a + * 2", "expected an operand, a number or '(' but found '*'", 1, 5, SyntaxError),
    ("a[1", "expected ']' to close the subscript but found end of expression", 1, 4, SyntaxError),
    ("a[1:2:3:4]", "expected ']' to close the subscript but found ':'", 1, 8, SyntaxError),
    ("sum(a,, 1)", "expected an operand, a number or '(' but found ','", 1, 7, SyntaxError),
    ("sum(a, axis=)", "expected an operand, a number or '(' but found ')'", 1, 13, SyntaxError),
    ("a $ 2", "unexpected character '$'", 1, 3, SyntaxError),
    ("a..b", "unexpected character '.'", 1, 2, SyntaxError),
    ("1.2.3", "unexpected number '.3' after a complete expression", 1, 4, SyntaxError),
    ("3 a", "unexpected name 'a' after a complete expression", 1, 3, SyntaxError),
    ("a = 1", "unexpected '=' after a complete expression", 1, 3, SyntaxError),
    ("", "expression is empty", 1, 1, SyntaxError),
    ("a < b < a", "comparisons cannot be chained; write logical_and(a < b, b < c)", 1, 7, ValueError),
    ("sum(axis=0, a)", "positional argument follows keyword argument", 1, 13, SyntaxError),
    ("a +\n 2 * # comment\n", "expected an operand, a number or '(' but found end of expression", 3, 1,
     SyntaxError),
    ('"abc"', "a string cannot be used here", 1, 1, None),
    ('a + "x"', "a string cannot be used here", 1, 5, TypeError),
    # names
    ("meen(a)", "unknown function 'meen' (did you mean 'mean'?)", 1, 1, NameError),
    ("sqr(a)", "unknown function 'sqr' (did you mean 'sqrt'?)", 1, 1, NameError),
    ("agrmax(a, axis=0)", "unknown function 'agrmax' (did you mean 'argmax'?)", 1, 1, NameError),
    ("Sum(a)", "unknown function 'Sum' (did you mean 'sum'?)", 1, 1, NameError),
    ("avrage(a)", "unknown function 'avrage' (did you mean 'average'?)", 1, 1, NameError),
    ("a(1)", "unknown function 'a'", 1, 1, TypeError),
    ("nan(a)", "only a function name can be called", 1, 4, TypeError),
    ("zzz + 1", "operand 'zzz' of 'v' is not a dataset (looked for '/zzz')", 1, 1, NameError),
    ("a +\n  b *\n  (i + x)", "operand 'x' of 'v' is not a dataset (looked for '/x')", 3, 8, NameError),
    ('ds("/nope")', "operand '/nope' of 'v' is not a dataset (looked for '/nope')", 1, 1, None),
    ("astype(a, float32)", "operand 'float32' of 'v' is not a dataset (looked for '/float32')", 1, 11,
     NameError),
    ('ds("b", "c", "d")', 'ds() takes one or two string literals: ds("path") or ds("file", "path")', 1, 1,
     None),
    ("ds(1)", 'ds() takes string literals: ds("path") or ds("file", "path")', 1, 4, None),
    # arity and keywords
    ("sqrt()", "sqrt() takes 1 positional argument but 0 were given", 1, 1, TypeError),
    ("sqrt(a, a)", "sqrt() takes at most 1 positional argument", 1, 9, None),  # numpy: out=a
    ("add(a)", "add() takes 2 positional arguments but 1 was given", 1, 1, TypeError),
    ("where(m, a)", "where() takes 3 positional arguments but 2 were given", 1, 1, ValueError),
    ("astype(a)", "astype() takes 2 positional arguments but 1 was given", 1, 1, TypeError),
    ("expand_dims(a)", "expand_dims() needs axis", 1, 1, TypeError),
    ("broadcast_to(a)", "broadcast_to() needs shape", 1, 1, TypeError),
    ("transpose(a, 0, 1)", "transpose() takes at most 2 positional arguments", 1, 17, TypeError),
    ("sum(a, axes=0)", "sum() got an unexpected keyword argument 'axes'", 1, 8, TypeError),
    ("sqrt(a, out=a)", "sqrt() got an unexpected keyword argument 'out'", 1, 9, None),
    ('mean(a, dtype="float32")', "mean() got an unexpected keyword argument 'dtype'", 1, 9, None),
    ("count(a, ddof=1)", "count() got an unexpected keyword argument 'ddof'", 1, 10, TypeError),
    ("sum(a, axis=None, keepdims=true, ddof=1)", "sum() got an unexpected keyword argument 'ddof'", 1, 34,
     TypeError),
    ("sum(a, axis=0, axis=1)", "sum() got multiple values for argument 'axis'", 1, 16, SyntaxError),
    # axes
    ("sum(a, axis=2)", "axis 2 is out of bounds for array of dimension 2", 1, 13, ValueError),
    ("mean(a, axis=-3)", "axis -3 is out of bounds for array of dimension 2", 1, 14, ValueError),
    ("sum(a,\n    axis=(1, 2))", "axis 2 is out of bounds for array of dimension 2", 2, 10, ValueError),
    ("sum(a, axis=(0, 0))", "repeated axis", 1, 13, ValueError),
    ("std(a, axis=(1, -1))", "repeated axis", 1, 13, ValueError),
    ("argmax(a, axis=(0, 1))", "argmax() takes an integer axis or None, not a tuple", 1, 16, TypeError),
    ("nanargmin(a, axis=(1,))", "nanargmin() takes an integer axis or None, not a tuple", 1, 19, TypeError),
    ("sum(a, axis=1.5)", "axis must be an integer constant", 1, 13, TypeError),
    ("var(a, ddof=1.5)", "ddof must be an integer constant", 1, 13, None),  # numpy: a float ddof is fine
    ("concat([a, a], axis=2)", "axis 2 is out of bounds for array of dimension 2", 1, 21, ValueError),
    ("concat([a, a], axis=[0])", "a list cannot be used here", 1, 21, TypeError),
    ("stack([a, a], axis=3)", "axis 3 is out of bounds for array of dimension 3", 1, 20, ValueError),
    ("stack([a, a], axis=-4)", "axis -4 is out of bounds for array of dimension 3", 1, 20, ValueError),
    ("stack([a, a], axis=(0, 1))", "a tuple cannot be used here", 1, 20, TypeError),
    ("squeeze(a, axis=0)", "cannot select an axis to squeeze out which has size not equal to one", 1, 17,
     ValueError),
    ("squeeze(a[None, None], axis=(0, 0))", "repeated axis", 1, 29, ValueError),
    ("expand_dims(a, 3)", "axis 3 is out of bounds for array of dimension 3", 1, 16, ValueError),
    ("expand_dims(a, (0, 0))", "repeated axis", 1, 16, ValueError),
    ("transpose(a, (0, 0))", "repeated axis in transpose", 1, 14, ValueError),
    ("transpose(a, (0,))", "axes don't match array: 1 axes for an array of dimension 2", 1, 14, ValueError),
    ("transpose(a, (0, 2))", "axis 2 is out of bounds for array of dimension 2", 1, 14, ValueError),
    # indexing
    ("a[3]", "index 3 is out of bounds for axis 0 with size 3", 1, 3, IndexError),
    ("b[-6]", "index -6 is out of bounds for axis 0 with size 5", 1, 3, IndexError),
    ("a[:, 4]", "index 4 is out of bounds for axis 1 with size 4", 1, 6, IndexError),
    ("a[None, None, ..., 5]", "index 5 is out of bounds for axis 1 with size 4", 1, 20, IndexError),
    ("sum(a, axis=0)[5]", "index 5 is out of bounds for axis 0 with size 4", 1, 16, IndexError),
    ("a[0, 0, 0]", "too many indices for array: array is 2-dimensional, but 3 were indexed", 1, 1,
     IndexError),
    ("f[0, 0, 0, 0]", "too many indices for array: array is 3-dimensional, but 4 were indexed", 1, 1,
     IndexError),
    ("s[0]", "too many indices for array: array is 0-dimensional, but 1 were indexed", 1, 1, IndexError),
    ("a[..., ...]", "an index can only have a single ellipsis ('...')", 1, 1, IndexError),
    ("a[1.5]", "only integers, slices (`:`), ellipsis (`...`) and None are valid indices", 1, 3,
     IndexError),
    ("a[m]", "only integers, slices (`:`), ellipsis (`...`) and None are valid indices", 1, 3, None),
    ("a[::0]", "slice step cannot be zero", 1, 3, ValueError),
    ("a[1, 2::0]", "slice step cannot be zero", 1, 6, ValueError),
    ("a[(1, 2)]", "a tuple cannot be used here", 1, 3, None),
    # concat, stack, broadcasting
    ("concat([a, b])", "all the input array dimensions must match: array 0 has 2 dimension(s) and "
     "array 1 has 1", 1, 1, ValueError),
    ("concat([a, i[:2, :3]], axis=0)", "all the input array dimensions except for the concatenation axis "
     "must match exactly: array 0 is (3, 4) and array 1 is (2, 3)", 1, 1, ValueError),
    ("stack([a, b])", "all input arrays must have the same shape", 1, 11, ValueError),
    ("concat([])", "need at least one array to concat", 1, 8, ValueError),
    ("stack([])", "need at least one array to stack", 1, 7, ValueError),
    ("concat([s, s])", "zero-dimensional arrays cannot be concatenated", 1, 8, ValueError),
    ("concat(a)", "concat() takes a list of arrays, e.g. concat([a, b], axis=0)", 1, 8, None),
    ("a + b", "operands could not be broadcast together with shapes (3, 4) (5,)", 1, 3, ValueError),
    ("a ** b", "operands could not be broadcast together with shapes (3, 4) (5,)", 1, 3, ValueError),
    ("where(m, a, b)", "operands could not be broadcast together with shapes (3, 4) (3, 4) (5,)", 1, 1,
     ValueError),
    ("broadcast_to(a, (4,))", "cannot broadcast shape (3, 4) to the smaller rank of (4,)", 1, 17, ValueError),
    ("broadcast_to(a, (2, 3, 5))", "cannot broadcast shape (3, 4) to (2, 3, 5)", 1, 17, ValueError),
    # types
    ("a & 1", "ufunc 'bitwise_and' did not contain a loop with signature matching types (float64, float64)",
     1, 3, TypeError),
    ("bitwise_and(a, i)", "ufunc 'bitwise_and' did not contain a loop with signature matching types "
     "(float64, int32)", 1, 1, TypeError),
    ("a << 2", "ufunc 'left_shift' did not contain a loop with signature matching types (float64, float64)",
     1, 3, TypeError),
    ("left_shift(i, 1.5)", "ufunc 'left_shift' did not contain a loop with signature matching types "
     "(int32, float64)", 1, 1, TypeError),
    ("~a", "ufunc 'invert' did not contain a loop with signature matching types (float64)", 1, 1, TypeError),
    ("invert(f)", "ufunc 'invert' did not contain a loop with signature matching types (float32)", 1, 1,
     TypeError),
    ("m - m", "numpy boolean subtract, the `-` operator, is not supported; use the bitwise_xor, the `^` "
     "operator, or the logical_xor function instead", 1, 3, TypeError),
    ("-m", "numpy boolean negative, the `-` operator, is not supported; use the `~` operator or the "
     "logical_not function instead", 1, 1, TypeError),
    ('astype(a, "float16")', 'astype() needs a type name in quotes: one of "bool", "int8" ... "int64", '
     '"uint8" ... "uint64", "float32", "float64"', 1, 11, None),
    ("astype(a, 'complex64')", 'astype() needs a type name in quotes: one of "bool", "int8" ... "int64", '
     '"uint8" ... "uint64", "float32", "float64"', 1, 11, None),
    ('astype(a, "int")', 'astype() needs a type name in quotes: one of "bool", "int8" ... "int64", '
     '"uint8" ... "uint64", "float32", "float64"', 1, 11, None),
    ('astype(a, "no_such_type")', 'astype() needs a type name in quotes: one of "bool", "int8" ... "int64", '
     '"uint8" ... "uint64", "float32", "float64"', 1, 11, TypeError),
    # literals
    ("u + 300", "integer literal 300 is out of bounds for uint8", 1, 5, OverflowError),
    ("u * -1", "integer literal -1 is out of bounds for uint8", 1, 5, OverflowError),
    ("maximum(i, 2147483648)", "integer literal 2147483648 is out of bounds for int32", 1, 12, OverflowError),
    ("a + 170141183460469231731687303715884105728",
     "integer literal 170141183460469231731687303715884105728 is too large (h5lazy's limit is 2**127 - 1)",
     1, 5, None),
    # empty reductions
    ("min(e, axis=0)", "zero-size array to reduction operation minimum which has no identity", 1, 1,
     ValueError),
    ("nanmax(e)", "zero-size array to reduction operation maximum which has no identity", 1, 1, ValueError),
    ("argmax(e)", "attempt to get argmax of an empty sequence", 1, 1, ValueError),
    ("argmin(e, axis=0)", "attempt to get argmin of an empty sequence", 1, 1, ValueError),
    # scans, differences, windows, weighted means, picking (issue 13)
    ("sliding_window_view(b, 6)",
     "a window of 6 is larger than axis 0 of extent 5: windows cannot be larger than the array", 1, 24, ValueError),
    ("sliding_window_view(a, 2, axis=(0, 1, 1))", "window_shape and axis differ in length: 1 and 3", 1, 32,
     ValueError),
    ("take(b, [1, 7])", "index 7 is out of bounds for axis 0 with size 5", 1, 13, IndexError),
    ("take(a, [-13])", "index -13 is out of bounds for axis 0 with size 12", 1, 10, IndexError),
    ("a[:, [0, 4]]", "index 4 is out of bounds for axis 1 with size 4", 1, 10, IndexError),
    ("a[[0], [1]]", "only one integer list per subscript is supported", 1, 8, None),
    ("average(a, axis=1, weights=b)",
     "average(): weights of shape (5,) do not match the array's shape (3, 4) along the axes averaged", 1, 28,
     ValueError),
    ("average(a, weights=b)",
     "average(): the weights' shape differs from the array's, so axis= must say which axes they weigh", 1, 20,
     TypeError),
    ("diff(b, n=-1)", "diff() order n must be non-negative, not -1", 1, 11, ValueError),
    ("diff(s)", "diff() requires input that is at least one dimensional", 1, 1, ValueError),
    ("cumsum(a, axis=2)", "axis 2 is out of bounds for array of dimension 2", 1, 16, ValueError),
    # order statistics
    ("quantile(a, 1.5)", "Quantiles must be in the range [0, 1]", 1, 13, ValueError),
    ("nanquantile(a, -0.25, axis=0)", "Quantiles must be in the range [0, 1]", 1, 16, ValueError),
    ("percentile(a, [50, 101])", "Percentiles must be in the range [0, 100]", 1, 20, ValueError),
    ('quantile(a, 0.5, method="linaer")',
     "'linaer' is not a valid method: use one of 'linear', 'lower', 'higher', 'nearest', 'midpoint'", 1, 25,
     ValueError),
    ('percentile(a, 50, method="hazen")',
     "method 'hazen' is not supported: use one of 'linear', 'lower', 'higher', 'nearest', 'midpoint'", 1, 26,
     None),
    ("median(a, axis=2)", "axis 2 is out of bounds for array of dimension 2", 1, 16, ValueError),
    ("nanmedian(a, axis=(0, 0))", "repeated axis", 1, 19, ValueError),
    ("quantile(m, 0.5)", "quantile() cannot interpolate booleans (numpy cannot subtract them): use method "
     "'lower', 'higher' or 'nearest'", 1, 1, TypeError),
    ("quantile(e, 0.5, axis=0)",
     "quantile() of an empty array: index -1 is out of bounds for axis 0 with size 0", 1, 1, IndexError),
    ("quantile(a, a)", "quantile() needs q as a number or a list of numbers", 1, 13, ValueError),
    # limits
    # (parentheses and calls: test_bug_parentheses_count_twice_towards_the_nesting_limit)
    ("-" * 201 + "a", "expression nests deeper than 200 levels", 1, 201, None),
    ("~-" * 150 + "i", "expression nests deeper than 200 levels", 1, 201, None),
]


def numpy_error(expr):
    """The exception Python/numpy raise evaluating expr, or None."""
    names = dict(NAMES)
    names.update(ARRAYS)
    names.update({"take": np.take, "diff": np.diff, "cumsum": np.cumsum, "average": np.average,
                  "sliding_window_view": sliding_window_view})
    names.update({f: getattr(np, f) for f in ("median", "nanmedian", "quantile", "nanquantile", "percentile",
                                              "nanpercentile")})
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            # Python needs parentheses around an expression that spans lines.
            text = f"({expr}\n)" if "\n" in expr else expr
            eval(text, {"__builtins__": {}}, names)  # noqa: S307 - our own table
        except Exception as exc:  # noqa: BLE001
            return exc
    return None


def contents(path):
    names = []
    with h5py.File(path, "r") as f:
        f.visit(names.append)
    return sorted(names)


@pytest.fixture(scope="module")
def source(tmp_path_factory):
    path = tmp_path_factory.mktemp("errors") / "e.h5"
    with h5py.File(path, "w") as f:
        for name, data in ARRAYS.items():
            f.create_dataset(name, data=data)
    return path


def check_error(path, name, expr, message, line, column, full=True):
    before = contents(path)
    proc = define(path, name, expr)
    assert proc.returncode == 1, f"{expr!r}: exit {proc.returncode}\n{proc.stdout}{proc.stderr}"
    assert proc.stdout == ""
    first = f"h5lazy define: error: cannot define '{name}': {message} (at line {line}, column {column})"
    lines = proc.stderr.split("\n")
    assert lines[0] == first, f"{expr!r}:\n got  {lines[0]}\n want {first}"
    if full:
        text = expr.split("\n")[line - 1]
        assert proc.stderr == f"{first}\n    {text}\n    {' ' * (column - 1)}^\n", proc.stderr
    assert contents(path) == before, f"{expr!r}: the failed define changed the file"


@pytest.mark.parametrize("k", range(len(ERRORS)),
                         ids=[f"{k:03d}:{e[:40]}" for k, (e, *_) in enumerate(ERRORS)])
def test_bad_expression(source, k):
    expr, message, line, column, numpy_raises = ERRORS[k]
    if numpy_raises is not None:
        exc = numpy_error(expr)
        assert isinstance(exc, numpy_raises), f"numpy on {expr!r}: {exc!r}, table says {numpy_raises}"
    name = f"v{k:03d}"
    message = message.replace("'v'", f"'{name}'")
    check_error(source, name, expr, message, line, column, full=len(expr) < 200)


def test_table_size():
    assert len(ERRORS) >= 40
    assert len({e for e, *_ in ERRORS}) == len(ERRORS)


def test_more_than_256_operands(tmp_path):
    path = tmp_path / "ops.h5"
    with h5py.File(path, "w") as f:
        for k in range(257):
            f.create_dataset(f"d{k}", data=np.arange(3.0))
    ok = " + ".join(f"d{k}" for k in range(256))
    proc = define(path, "v256", ok)
    assert proc.returncode == 0, proc.stderr
    with h5py.File(path, "r") as f:
        np.testing.assert_array_equal(f["v256"][...], np.arange(3.0) * 256)
    bad = " + ".join(f"d{k}" for k in range(257))
    check_error(path, "v257", bad, "expression names more than 256 distinct operands", 1,
                bad.index("d256") + 1, full=False)
    bad = "sum(stack([" + ", ".join(f"d{k}" for k in range(257)) + "]))"
    check_error(path, "w257", bad, "expression names more than 256 distinct operands", 1,
                bad.index("d256") + 1, full=False)
    # The same operand many times is one operand.
    proc = define(path, "same", "concat([" + ", ".join(["d0"] * 300) + "])")
    assert proc.returncode == 0, proc.stderr


def test_expression_longer_than_64_kib(source):
    before = contents(source)
    expr = "a + " + "0" * 70000
    proc = define(source, "long", expr)
    assert proc.returncode == 1
    assert proc.stderr == ("h5lazy define: error: cannot define 'long': expression is 70004 bytes long; "
                           "the limit is 65536\n")
    assert contents(source) == before


def test_nesting_within_the_limit_is_accepted(source):
    """199 unary minus signs (one level each, and one for the operand) are
    fine."""
    proc = define(source, "deep", "-" * 199 + "a")
    assert proc.returncode == 0, proc.stderr
    with h5py.File(source, "r") as f:
        np.testing.assert_array_equal(f["deep"][...], np.negative(ARRAYS["a"]))


def test_cycle_through_virtual_datasets(tmp_path):
    path = tmp_path / "c.h5"
    with h5py.File(path, "w") as f:
        f.create_dataset("d", data=np.arange(3.0))
    assert define(path, "p", "d + 1").returncode == 0
    assert define(path, "q", "p * 2").returncode == 0
    before = contents(path)
    proc = define(path, "p", "q + 1", "--overwrite")
    assert proc.returncode == 1
    assert proc.stderr == (
        "h5lazy define: error: cannot define 'p': operand 'q' is a virtual dataset that cannot be "
        "evaluated (see the cause below) (at line 1, column 1)\n"
        "h5lazy define: error: cannot evaluate '/q': operand 'p' leads back to itself: the virtual "
        "datasets form a cycle (/p <- /q <- /p) (at line 1, column 1 of \"p * 2\")\n"
        "    q + 1\n    ^\n")
    assert contents(path) == before
    with h5py.File(path, "r") as f:
        np.testing.assert_array_equal(f["p"][...], np.arange(3.0) + 1)  # the old p is intact


def test_parentheses_count_once_towards_the_nesting_limit(source):
    """Regression: each '(' once cost two levels of the documented 200, so
    100 nested parentheses (or 100 nested calls) were refused as nesting
    "deeper than 200 levels". They nest 100 levels."""
    for expr in ["(" * NPAR + "a" + ")" * NPAR, "sqrt(" * NPAR + "a" + ")" * NPAR]:
        assert numpy_error(expr) is None
        proc = define(source, f"n{len(expr)}", expr)
        assert proc.returncode == 0, f"{expr[:20]}...: {proc.stderr.splitlines()[0]}"
