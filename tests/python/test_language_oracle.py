"""numpy as the oracle for the whole expression language of docs/language.md:
every elementwise function (aliases and operators included) over every
dtype, weak literals, basic indexing, the shape functions, every reduction,
and compositions of them, defined with `h5lazy define`, read back with h5py
through the connector and compared with numpy evaluating the same text.

As in test_h5py_oracle.py, the oracle is Python's `eval` of the expression
text with the operand names bound to numpy arrays, the function names bound
to numpy's functions and `true`/`false`/`nan`/`inf` bound to Python values
(operators on literals therefore stay Python's, NEP 50 weak scalars). Two
documented differences are built into the oracle instead of being tested as
bugs:

* numpy's float16 loops (sqrt(int8), arctan2(uint8, uint8), ...) are
  float32 loops in h5lazy: the oracle's ufuncs recompute such a call with
  dtype=float32.
* transcendental functions (sin, exp, log, power of floats, ...) may differ
  from numpy's by a few ulp (rtol 1e-6 for float32, 1e-13 for float64), and
  float reductions accumulate in double with compensated summation (rtol
  1e-6 / 1e-12; an absolute tolerance scaled by the data where an expression
  subtracts nearly equal values). Everything else is compared bit for bit.

Everything is generated from one fixed seed at import time; a failing case's
id names its category and number, and its assertion message gives the
expression, the operand dtypes/shapes/layouts and the selection read.
Virtual datasets are batched into a few files, defined in parallel, and read
in this process, so thousands of cases run in well under a minute.
"""
import re
import subprocess
import sys
import textwrap
import warnings
import zlib
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import h5py
import numpy as np
import pytest

from conftest import assert_ok, define, env_with_connector, write_dataset
from test_h5py_oracle import DTYPES, assert_same, operand_shape, random_layout, random_values, \
    selections

SEED = 0x1A2_0DE7
N_FILES = 6          # cases are spread over this many files (defines run in parallel)
DEFINE_WORKERS = 3

INT_DTYPES = [t for t in DTYPES if t[0] in "iu"]
FLOAT_DTYPES = ["float32", "float64"]

# ---------------------------------------------------------------------------
# the oracle's namespace

# The language's own tables (engine/*.def): every ufunc with its numpy name
# and aliases, every operator, every reduction.
ENGINE_DIR = Path(__file__).resolve().parents[2] / "engine"


def def_rows(name, macro):
    """The argument lists of `macro(...)` rows in engine/<name>, as strings
    (quoted ones unquoted)."""
    rows = []
    for line in (ENGINE_DIR / name).read_text().splitlines():
        m = re.match(rf"{macro}\((.*)\)\s*$", line)
        if m:
            args = re.findall(r'"(?:[^"\\]|\\.)*"|[^,\s][^,]*', m.group(1))
            rows.append([a.strip().strip('"') for a in args])
    return rows


_UFUNCS = {row[0]: (row[1], int(row[2])) for row in def_rows("lz_ufunc.def", "LZ_UFUNC")}
_UFUNC_ALIASES = [(alias, _UFUNCS[uf]) for alias, uf in def_rows("lz_ufunc.def", "LZ_UFUNC_ALIAS")]
UNARY = [n for n, nin in _UFUNCS.values() if nin == 1] + [a for a, (_, nin) in _UFUNC_ALIASES if nin == 1]
BINARY = [n for n, nin in _UFUNCS.values() if nin == 2] + [a for a, (_, nin) in _UFUNC_ALIASES if nin == 2]
CANONICAL = {a: n for a, (n, _) in _UFUNC_ALIASES}
_OPS = def_rows("lz_ops.def", "LZ_OP")
UNARY_OPERATORS = {row[1]: _UFUNCS[row[3][len("LZ_UF_"):]][0] for row in _OPS if row[3] != "-1"}
BINARY_OPERATORS = {row[1]: _UFUNCS[row[4][len("LZ_UF_"):]][0] for row in _OPS if row[4] != "-1"}
# Functions whose float results may differ from numpy's in the last bits
# (numpy uses its own SIMD code or libm; h5lazy may compute otherwise).
INEXACT = set("exp exp2 expm1 log log2 log10 log1p sin cos tan arcsin arccos arctan sinh cosh "
              "tanh arcsinh arccosh arctanh deg2rad rad2deg power arctan2 hypot".split())
INEXACT |= {alias for alias, name in CANONICAL.items() if name in INEXACT}

REDUCTIONS = [name for row in def_rows("lz_reduce.def", "LZ_REDUCTION") for name in row[1:] if name] + \
    [row[0] for row in def_rows("lz_reduce.def", "LZ_REDUCTION_ALIAS")]


def _ufunc(f):
    """numpy's ufunc, except that a float16 result (numpy's float16 loops)
    is computed by the float32 loop, as h5lazy documents."""
    def call(*args):
        r = f(*args)
        if getattr(r, "dtype", None) == np.float16:
            r = f(*args, dtype=np.float32)
        return r
    return call


def _count(x, axis=None, keepdims=False):
    x = np.asarray(x)
    present = ~np.isnan(x) if x.dtype.kind == "f" else np.ones(x.shape, bool)
    return np.sum(present, axis=axis, keepdims=keepdims)


NAMES = {"true": True, "false": False, "nan": float("nan"), "inf": float("inf")}
NAMES.update({name: _ufunc(getattr(np, name)) for name in UNARY + BINARY})
NAMES.update({
    "where": np.where, "clip": np.clip, "astype": lambda x, t: np.asarray(x).astype(t),
    "concat": np.concatenate, "concatenate": np.concatenate, "stack": np.stack,
    "transpose": np.transpose, "squeeze": np.squeeze, "expand_dims": np.expand_dims,
    "broadcast_to": np.broadcast_to, "count": _count,
})
NAMES.update({name: getattr(np, name) for name in REDUCTIONS if name != "count"})
NUMPY_ERRORS = (TypeError, OverflowError, ValueError, IndexError)


def oracle(expr, arrays):
    """(numpy's result as an array, None) or (None, the exception numpy raises)."""
    names = dict(NAMES)
    names.update(arrays)
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            return np.asarray(eval(expr, {"__builtins__": {}}, names)), None  # noqa: S307
        except NUMPY_ERRORS as exc:
            return None, exc


# ---------------------------------------------------------------------------
# comparison


def rtol_for(dtype, kind, f32=False):
    """The documented relative tolerance: 'ulp' for transcendental
    functions, 'sum' for float reductions; float32's when the result or
    (f32) a step before it is float32."""
    f32 = f32 or np.dtype(dtype) == np.float32
    if kind == "ulp":
        return 1e-6 if f32 else 1e-13
    return 1e-6 if f32 else 1e-12


class Tol:
    """How a case's floats are compared: kind 'ulp' or 'sum', plus an
    absolute tolerance (atol_scale times the relative one) for expressions
    that subtract nearly equal values."""

    def __init__(self, kind, atol_scale=0.0, f32=False):
        self.kind, self.atol_scale, self.f32 = kind, atol_scale, f32

    def __repr__(self):
        return f"Tol({self.kind!r}, {self.atol_scale:g}, f32={self.f32})"


def assert_matches(got, want, tol, what):
    """Same dtype and shape, and the same values: bit for bit (tol None or
    a non-float result) or within the tolerance (nan where numpy has nan)."""
    got, want = np.asarray(got), np.asarray(want)
    if tol is None or want.dtype.kind != "f":
        assert_same(got, want, what)
        return
    assert got.dtype == want.dtype, f"{what}: dtype {got.dtype}, numpy {want.dtype}"
    assert got.shape == want.shape, f"{what}: shape {got.shape}, numpy {want.shape}"
    rtol = rtol_for(want.dtype, tol.kind, tol.f32)
    atol = max(rtol * tol.atol_scale, float(np.finfo(want.dtype).tiny) * 16)
    np.testing.assert_allclose(got, want, rtol=rtol, atol=atol, equal_nan=True, err_msg=what,
                               strict=True)


def same_bits(a, b, what):
    a, b = np.asarray(a), np.asarray(b)
    assert a.dtype == b.dtype and a.shape == b.shape, f"{what}: {a.dtype}{a.shape} vs {b.dtype}{b.shape}"
    assert a.tobytes() == b.tobytes(), f"{what}: not bit-identical:\n{a!r}\n{b!r}"


# ---------------------------------------------------------------------------
# cases


class Operand:
    def __init__(self, name, data, chunks=None):
        self.name, self.data, self.chunks = name, np.asarray(data), chunks

    def describe(self):
        layout = f"chunks={self.chunks}" if self.chunks else "contiguous"
        return f"{self.name}: {self.data.dtype}{self.data.shape} {layout}"


class Reject(Exception):
    """A generated case is outside what the oracle can judge: draw again."""


class Case:
    """One virtual dataset: its text for h5lazy and for eval, its operands,
    how to compare, and numpy's answer (computed once, here)."""

    def __init__(self, kind, expr, operands, py=None, tol=None, accept=NUMPY_ERRORS):
        self.kind, self.expr, self.py = kind, expr, expr if py is None else py
        self.operands, self.tol = operands, tol
        self.want, self.exc = oracle(self.py, self.arrays())
        if self.exc is not None and not isinstance(self.exc, accept):
            raise Reject
        self.id = None  # set when the case list is numbered

    def arrays(self):
        return {op.name: op.data for op in self.operands}

    @property
    def vname(self):
        return f"{self.id}/v"

    def describe(self):
        ops = "; ".join(op.describe() for op in self.operands)
        return f"{self.id}: {self.expr!r} over {ops or 'no operands'}"


def draw(rng, make, *args, tries=200):
    """make(rng, *args), drawn again while it rejects its case."""
    for _ in range(tries):
        try:
            return make(rng, *args)
        except Reject:
            continue
    raise AssertionError(f"cannot generate a case with {make.__name__}{args}")


def small_shape(rng, max_elements=96, max_rank=4, zero=0.04):
    p = np.array([0.1, 0.2, 0.3, 0.25, 0.15][:max_rank + 1])
    rank = int(rng.choice(max_rank + 1, p=p / p.sum()))
    dims = [int(rng.choice([1, 2, 3, 4, 5, 6, 7])) for _ in range(rank)]
    if rank and rng.random() < zero:
        dims[int(rng.integers(rank))] = 0
    while int(np.prod(dims, dtype=np.int64)) > max_elements:
        k = int(np.argmax(dims))
        dims[k] = max(1, dims[k] // 2)
    return tuple(dims)


def sp(rng):
    return " " if rng.random() < 0.7 else ""


# ---------------------------------------------------------------------------
# elementwise functions, operators, weak literals

INT_LITERALS = [0, 1, 2, 3, 7, -1, -3, 100, 127, 128, -128, -129, 255, 256, 300, 65535, 65536,
                -32769, 2**31, 2**32, 2**63 - 1, 2**63, -2**63]
FLOAT_LITERALS = ["0.5", "-1.5", "2.0", "1e3", "1e-3", "0.0", "-0.0", "nan", "inf", "-inf",
                  "1e300", "3.25", ".5"]


def random_literal(rng, kinds="ifb"):
    kind = str(rng.choice(list(kinds)))
    if kind == "i":
        if rng.random() < 0.35:
            return str(int(rng.integers(0, 10)))
        return str(INT_LITERALS[int(rng.integers(len(INT_LITERALS)))])
    if kind == "f":
        return str(rng.choice(FLOAT_LITERALS))
    return str(rng.choice(["true", "false", "True", "False"]))


def exponent_values(rng, dtype, shape):
    """Exponents that are never negative integers (h5lazy's and numpy's
    integer power refuse them; tested on its own below)."""
    if np.dtype(dtype).kind in "iub":
        return (np.abs(random_values(rng, dtype, shape).astype(np.int64)) % 9).astype(dtype)
    return random_values(rng, dtype, shape)


def elementwise_unary(rng, fname, dtype):
    shape = small_shape(rng)
    a = Operand("a", random_values(rng, dtype, shape), random_layout(rng, shape))
    if fname == "reciprocal" and dtype == "uint64":
        a.data[a.data == 0] = 1  # test_bug_float_to_uint64_out_of_range
    ops = {v: k for k, v in UNARY_OPERATORS.items()}
    if fname in ops and rng.random() < 0.5:
        expr = f"{ops[fname]}a"
    else:
        expr = f"{fname}(a)"
    case = Case("elementwise", expr, [a], tol=Tol("ulp") if fname in INEXACT else None)
    case.func = fname
    return case


def elementwise_binary(rng, fname, dtype, variant):
    shape = small_shape(rng)
    if variant == "literal" and rng.random() < 0.03:
        # Both literals: a numpy call on Python scalars (an int64, a float64...).
        x, y = random_literal(rng, "if"), random_literal(rng, "if")
        if fname in ("power", "pow", "ldexp", "left_shift", "right_shift"):
            raise Reject
        return Case("elementwise", f"{fname}({x},{sp(rng)}{y})", [],
                    tol=Tol("ulp") if fname in INEXACT else None, accept=(TypeError, OverflowError))
    other = dtype if variant == "same" else str(rng.choice(DTYPES))
    power = fname in ("power", "pow")
    a_shape, b_shape = operand_shape(rng, shape), operand_shape(rng, shape)
    a = Operand("a", random_values(rng, dtype, a_shape), random_layout(rng, a_shape))
    operands = [a]
    if variant == "literal":
        literal = random_literal(rng)
        if power and dtype not in FLOAT_DTYPES and literal.startswith("-"):
            literal = literal[1:]
        left, right = ("a", literal) if rng.random() < 0.7 or power else (literal, "a")
    else:
        values = exponent_values(rng, other, b_shape) if power else random_values(rng, other, b_shape)
        operands.append(Operand("b", values, random_layout(rng, b_shape)))
        left, right = ("a", "b") if rng.random() < 0.5 or power else ("b", "a")
    if power and left != "a":
        raise Reject
    if variant == "literal":
        known_divergence(fname, dtype, literal)
        if power and literal in ("0.5", ".5") and dtype in FLOAT_DTYPES:
            # numpy computes x ** 0.5 (scalar exponent) as sqrt(x), so
            # (-inf) ** 0.5 is nan there but inf with an array exponent
            # (C's pow); h5lazy gives pow's inf. numpy disagrees with itself.
            a.data[np.isneginf(a.data)] = -1.0
    ops = {v: k for k, v in BINARY_OPERATORS.items()}
    spelled = {"true_divide": "divide", "mod": "remainder", "pow": "power"}.get(fname, fname)
    if spelled in ops and rng.random() < 0.35:
        s = " " if rng.random() < 0.8 or right.startswith("-") else ""
        expr = f"{left}{s}{ops[spelled]}{s}{right}"
    else:
        expr = f"{fname}({left},{sp(rng)}{right})"
    # numpy's ValueError here is integer ** negative integer: never drawn.
    case = Case("elementwise", expr, operands, tol=Tol("ulp") if fname in INEXACT else None,
                accept=(TypeError, OverflowError))
    case.func = fname
    return case


def elementwise_literal_bounds(rng, dtype, inside):
    """An integer literal just inside or just outside an integer array's
    range, with an arithmetic function or operator (numpy's OverflowError
    outside, except for comparisons) or a comparison."""
    info = np.iinfo(dtype)
    literal = int(rng.choice([info.min, info.max])) if inside else \
        int(rng.choice([info.min - 1, info.max + 1, -(2**63) - 1 if info.min else -1, 2**64]))
    shape = small_shape(rng)
    a = Operand("a", random_values(rng, dtype, shape), random_layout(rng, shape))
    op = str(rng.choice(["+", "-", "*", "//", "%", "&", "|", "^", "maximum", "fmin", "<", "==",
                         "where(a > 0, a, {})", "clip(a, 0, {})"]))
    if "{}" in op:
        expr = op.format(literal)
        if op.startswith("where") and not inside:
            raise Reject  # numpy's where wraps the literal silently (numpy quirk)
        if op.startswith("clip") and not inside:
            raise Reject  # test_bug_clip_with_an_out_of_range_bound
    elif op[0].isalpha():
        expr = f"{op}(a, {literal})"
    else:
        expr = f"a {op} {literal}" if rng.random() < 0.5 else f"{literal} {op} a"
    return Case("elementwise", expr, [a], accept=(OverflowError,))


def known_divergence(fname, dtype, literal):
    """Reject a function/array/literal combination where h5lazy is known to
    differ from numpy (each has its test_bug_ below) or numpy fails for a
    reason of its own."""
    integer = literal.lstrip("-").isdigit() or literal in ("true", "True", "false", "False")
    if fname == "ldexp" and integer:
        raise Reject  # test_bug_ldexp_with_an_integer_literal
    if fname.startswith("logical_") and literal.lstrip("-").isdigit():
        value = int(literal)
        if np.dtype(dtype).kind in "iu" and not np.iinfo(dtype).min <= value <= np.iinfo(dtype).max:
            raise Reject  # test_bug_logical_functions_refuse_out_of_range_literals
        if not -2**63 <= value < 2**63:
            raise Reject  # numpy: "Python int too large to convert to C long"


def elementwise_where(rng):
    shape = small_shape(rng)
    operands, args = [], []
    for k, name in enumerate("cxy"):
        if k and rng.random() < 0.3:
            args.append(random_literal(rng, "ifb") if rng.random() < 0.3 else str(rng.integers(0, 10)))
            continue
        dtype = "bool" if k == 0 and rng.random() < 0.7 else str(rng.choice(DTYPES))
        s = operand_shape(rng, shape)
        operands.append(Operand(name, random_values(rng, dtype, s), random_layout(rng, s)))
        args.append(name)
    # An integer literal outside an integer array's range: numpy's where
    # wraps it silently (numpy quirk), h5lazy refuses it as an overflow.
    ints = [op.data.dtype for op in operands if op.name != "c" and op.data.dtype.kind in "iu"]
    for lit in args[1:]:
        if lit.lstrip("-").isdigit() and not all(np.iinfo(t).min <= int(lit) <= np.iinfo(t).max
                                                 for t in ints):
            raise Reject
    expr = f"where({args[0]},{sp(rng)}{args[1]},{sp(rng)}{args[2]})"
    return Case("elementwise", expr, operands, accept=(TypeError,))


def elementwise_clip(rng):
    shape = small_shape(rng)
    dtype = str(rng.choice(DTYPES[1:]))
    operands = [Operand("x", random_values(rng, dtype, shape), random_layout(rng, shape))]
    bounds = []
    for name in "lh":
        r = rng.random()
        if r < 0.25:
            bounds.append("None")
        elif r < 0.65:
            bounds.append(str(int(rng.integers(0, 10))) if dtype not in FLOAT_DTYPES or rng.random() < 0.5
                          else str(rng.choice(["0.5", "-1.5", "nan", "inf", "-inf", "2.0"])))
        else:
            t = str(rng.choice(DTYPES[1:]))
            s = operand_shape(rng, shape)
            operands.append(Operand(name, random_values(rng, t, s), random_layout(rng, s)))
            bounds.append(name)
    if bounds == ["None", "None"]:
        raise Reject  # test_bug_clip_without_bounds
    check_common_type(operands)
    expr = f"clip(x,{sp(rng)}{bounds[0]},{sp(rng)}{bounds[1]})"
    return Case("elementwise", expr, operands, accept=(TypeError,))


def astype_values(rng, src, dst, shape):
    """Values of src whose conversion to dst numpy defines (no NaN/inf or
    out-of-range floats to integers)."""
    src, dst = np.dtype(src), np.dtype(dst)
    if src.kind == "f" and dst.kind in "iu":
        info = np.iinfo(dst)
        lo, hi = float(info.min) * 0.99, float(info.max) * 0.99
        if rng.random() < 0.5:
            lo, hi = max(lo, -300.0), min(hi, 300.0)
        values = rng.uniform(lo, hi, size=shape)
        if rng.random() < 0.5:
            values = np.trunc(values) + rng.choice([0.0, 0.5, 0.25, 0.75], size=shape)
            values = np.clip(values, lo, hi)
        return values.astype(src)
    return random_values(rng, src, shape)


def elementwise_astype(rng, src, dst):
    shape = small_shape(rng)
    x = Operand("x", astype_values(rng, src, dst, shape), random_layout(rng, shape))
    quote = "'" if rng.random() < 0.3 else '"'
    return Case("elementwise", f"astype(x,{sp(rng)}{quote}{dst}{quote})", [x])


def elementwise_cases(rng):
    cases = []
    for fname in UNARY:
        for dtype in DTYPES:
            cases.append(draw(rng, elementwise_unary, fname, dtype))
    for fname in BINARY:
        for dtype in DTYPES:
            for variant in ("same", "mixed", "literal"):
                cases.append(draw(rng, elementwise_binary, fname, dtype, variant))
    for dtype in INT_DTYPES:
        for inside in (True, False, False):
            cases.append(draw(rng, elementwise_literal_bounds, dtype, inside))
    for _ in range(80):
        cases.append(draw(rng, elementwise_where))
    for _ in range(80):
        cases.append(draw(rng, elementwise_clip))
    for src in DTYPES:
        for dst in DTYPES:
            cases.append(draw(rng, elementwise_astype, src, dst))
    return cases


# ---------------------------------------------------------------------------
# basic indexing


def random_subscript(rng, shape, allow_bad=False):
    """Text of a random basic subscript for an array of this shape."""
    ndim = len(shape)
    k = int(rng.integers(0, ndim + 1)) if ndim else 0
    if rng.random() < 0.5:
        k = ndim
    items = []
    for axis in range(k):
        n = shape[axis]
        if n and rng.random() < 0.3:
            i = int(rng.integers(-n, n))
            if allow_bad and rng.random() < 0.1:
                i = int(rng.choice([n, -n - 1, n + 3]))
            items.append(str(i))
        else:
            items.append(random_slice(rng, n))
    if rng.random() < 0.3:
        # "..." stands for the axes not indexed: put it anywhere.
        pos = int(rng.integers(0, len(items) + 1))
        items.insert(pos, "...")
    for _ in range(int(rng.choice([0, 0, 0, 1, 2]))):
        items.insert(int(rng.integers(0, len(items) + 1)), "None")
    if not items:
        items = [str(rng.choice(["...", ":", "None"]))] if ndim else [str(rng.choice(["...", "None"]))]
    s = "," + sp(rng)
    return s.join(items)


def random_slice(rng, n):
    def bound():
        r = rng.random()
        if r < 0.35:
            return ""
        if r < 0.85:
            return str(int(rng.integers(-n - 1, n + 2)) if n else int(rng.integers(-2, 3)))
        return str(int(rng.choice([-100, 100, -(2**40), 2**40])))
    start, stop = bound(), bound()
    step = str(rng.choice(["", "", "1", "2", "3", "-1", "-2", "-3", "5", "-7", "100"]))
    if step and rng.random() < 0.9:
        return f"{start}:{stop}:{step}"
    if rng.random() < 0.5:
        return f"{start}:{stop}"
    return f"{start}:{stop}:"


def indexing_case(rng):
    rank = int(rng.integers(0, 5))
    dims = [int(rng.choice([1, 2, 3, 4, 5, 6, 7, 8])) for _ in range(rank)]
    if rank and rng.random() < 0.12:
        dims[int(rng.integers(rank))] = 0
    shape = tuple(dims)
    dtype = str(rng.choice(DTYPES))
    x = Operand("x", random_values(rng, dtype, shape), random_layout(rng, shape))
    expr, cur = "x", x.data
    for _ in range(int(rng.choice([1, 1, 2, 2, 3]))):
        sub = random_subscript(rng, cur.shape, allow_bad=True)
        expr = f"{expr}[{sub}]"
        cur, exc = oracle(expr, {"x": x.data})
        if exc is not None:
            break
    return Case("indexing", expr, [x], accept=(IndexError,))


def indexing_cases(rng):
    return [draw(rng, indexing_case) for _ in range(500)]


# ---------------------------------------------------------------------------
# concat, stack, transpose, squeeze, expand_dims, broadcast_to


def check_common_type(operands):
    """numpy's common type of three or more dtypes is not always the
    pairwise promotion (test_bug_concat_of_three_types_promotes_pairwise)."""
    types = [op.data.dtype for op in operands]
    pairwise = types[0]
    for t in types[1:]:
        pairwise = np.promote_types(pairwise, t)
    if pairwise != np.result_type(*types):
        raise Reject


def concat_case(rng):
    rank = int(rng.integers(1, 5))
    base = [int(rng.integers(1, 5)) for _ in range(rank)]
    axis = int(rng.integers(-rank, rank))
    n = int(rng.integers(1, 5))
    same_type = rng.random() < 0.3
    dtype0 = str(rng.choice(DTYPES))
    operands = []
    for k in range(n):
        shape = list(base)
        shape[axis] = int(rng.choice([0, 1, 2, 3, 5])) if rng.random() < 0.9 else 0
        shape = tuple(shape)
        dtype = dtype0 if same_type else str(rng.choice(DTYPES))
        operands.append(Operand("abcd"[k], random_values(rng, dtype, shape), random_layout(rng, shape)))
    check_common_type(operands)
    names = "[" + ("," + sp(rng)).join(op.name for op in operands) + "]"
    fname = str(rng.choice(["concat", "concatenate"]))
    r = rng.random()
    if r < 0.2 and axis in (0, -rank):
        expr = f"{fname}({names})"
    elif r < 0.4:
        expr = f"{fname}({names}, {axis})"
    else:
        expr = f"{fname}({names}, axis={axis})"
    return Case("shape", expr, operands)


def stack_case(rng):
    shape = small_shape(rng, max_elements=60, max_rank=3)
    rank = len(shape)
    dtypes = [str(rng.choice(DTYPES)) for _ in range(4)]
    operands = [Operand(n, random_values(rng, t, shape), random_layout(rng, shape))
                for n, t in zip("abcd", dtypes)]
    if rng.random() < 0.5:
        check_common_type(operands)
        # A stack of stacks.
        i = int(rng.integers(-rank - 1, rank + 1))
        j = int(rng.integers(-rank - 2, rank + 2))
        expr = (f"stack([stack([a, b], axis={i}), stack([c, d], axis={i})], axis={j})")
    else:
        n = int(rng.integers(1, 5))
        check_common_type(operands[:n])
        names = "[" + ", ".join("abcd"[:n]) + "]"
        axis = int(rng.integers(-rank - 1, rank + 1))
        expr = f"stack({names}, axis={axis})" if rng.random() < 0.7 else f"stack({names}, {axis})"
    return Case("shape", expr, operands)


def transpose_case(rng):
    shape = small_shape(rng, max_elements=120)
    x = Operand("x", random_values(rng, str(rng.choice(DTYPES)), shape), random_layout(rng, shape))
    r = rng.random()
    if r < 0.3:
        expr = "transpose(x)"
    else:
        perm = [int(p) for p in rng.permutation(len(shape))]
        perm = [p - len(shape) if rng.random() < 0.3 else p for p in perm]
        text = ", ".join(map(str, perm))
        seq = f"({text}{',' if len(perm) == 1 else ''})" if rng.random() < 0.7 else f"[{text}]"
        expr = f"transpose(x, axes={seq})" if r < 0.6 else f"transpose(x, {seq})"
    if rng.random() < 0.2:
        expr = f"transpose({expr})"
    return Case("shape", expr, [x])


def squeeze_case(rng):
    shape = list(small_shape(rng, max_elements=120, max_rank=3))
    for _ in range(int(rng.integers(0, 3))):
        shape.insert(int(rng.integers(0, len(shape) + 1)), 1)
    shape = tuple(shape)
    x = Operand("x", random_values(rng, str(rng.choice(DTYPES)), shape), random_layout(rng, shape))
    ones = [k for k, n in enumerate(shape) if n == 1]
    r = rng.random()
    if r < 0.3 or not ones:
        expr = "squeeze(x)" if rng.random() < 0.7 else "squeeze(x, axis=None)"
    else:
        picks = [int(k) for k in rng.choice(ones, size=int(rng.integers(1, len(ones) + 1)), replace=False)]
        picks = [k - len(shape) if rng.random() < 0.3 else k for k in picks]
        if len(picks) == 1 and rng.random() < 0.5:
            expr = f"squeeze(x, axis={picks[0]})" if rng.random() < 0.6 else f"squeeze(x, {picks[0]})"
        else:
            expr = f"squeeze(x, axis=({', '.join(map(str, picks))}{',' if len(picks) == 1 else ''}))"
    return Case("shape", expr, [x])


def expand_dims_case(rng):
    shape = small_shape(rng, max_elements=120)
    x = Operand("x", random_values(rng, str(rng.choice(DTYPES)), shape), random_layout(rng, shape))
    n = int(rng.integers(1, 4))
    out_rank = len(shape) + n
    axes = [int(a) for a in rng.choice(out_rank, size=n, replace=False)]
    axes = [a - out_rank if rng.random() < 0.3 else a for a in axes]
    if n == 1 and rng.random() < 0.6:
        expr = f"expand_dims(x, {axes[0]})" if rng.random() < 0.5 else f"expand_dims(x, axis={axes[0]})"
    else:
        expr = f"expand_dims(x, ({', '.join(map(str, axes))}{',' if n == 1 else ''}))"
    return Case("shape", expr, [x])


def broadcast_to_case(rng):
    target = small_shape(rng, max_elements=120)
    shape = operand_shape(rng, target)
    x = Operand("x", random_values(rng, str(rng.choice(DTYPES)), shape), random_layout(rng, shape))
    dims = ", ".join(map(str, target)) + ("," if len(target) == 1 else "")
    text = f"({dims})" if rng.random() < 0.8 else f"[{dims.rstrip(',')}]"
    expr = f"broadcast_to(x, {text})" if rng.random() < 0.7 else f"broadcast_to(x, shape={text})"
    return Case("shape", expr, [x])


def shape_cases(rng):
    cases = []
    for make, n in [(concat_case, 120), (stack_case, 100), (transpose_case, 60), (squeeze_case, 60),
                    (expand_dims_case, 60), (broadcast_to_case, 60)]:
        cases.extend(draw(rng, make) for _ in range(n))
    return cases


# ---------------------------------------------------------------------------
# reductions

SUMMING = {"sum", "nansum", "mean", "nanmean", "prod", "nanprod"}
SPREAD = {"var", "nanvar", "std", "nanstd"}
ARG = {"argmin", "argmax", "nanargmin", "nanargmax"}


def reduction_values(rng, fname, dtype, shape):
    """Data a reduction's result is well defined on: no catastrophic
    cancellation for float sums, products of moderate size, ties for
    min/max/arg, NaN (and sometimes inf) sprinkled in floats."""
    dtype = np.dtype(dtype)
    if dtype.kind != "f":
        if fname in ("prod", "nanprod") and rng.random() < 0.5:
            return rng.integers(-3, 4, size=shape).astype(dtype) if dtype.kind == "i" else \
                rng.integers(0, 4, size=shape).astype(dtype)
        if fname in ARG | {"min", "max", "amin", "amax", "nanmin", "nanmax"} and rng.random() < 0.5:
            lo = -3 if dtype.kind == "i" else 0
            return rng.integers(lo, 3, size=shape, endpoint=True).astype(dtype) if dtype.kind != "b" \
                else rng.random(shape) < 0.5
        return random_values(rng, dtype, shape)
    if fname in SUMMING - {"prod", "nanprod"}:
        values = rng.uniform(1.0, 2.0, size=shape) * float(rng.choice([1.0, 1e-3, 1e3, 1e20]))
    elif fname in ("prod", "nanprod"):
        values = rng.uniform(0.5, 1.5, size=shape)
    elif fname in SPREAD:
        values = rng.standard_normal(shape) * float(rng.choice([1.0, 1e-3, 1e3])) + \
            float(rng.choice([0.0, 0.5]))
    else:
        values = rng.integers(-4, 5, size=shape) * 0.5 if rng.random() < 0.5 else rng.standard_normal(shape)
    values = np.asarray(values, dtype=dtype)
    if values.size and rng.random() < 0.5:
        flat = values.reshape(-1)
        k = min(int(rng.integers(1, max(2, flat.size // 8) + 1)), flat.size)
        specials = [np.nan] if rng.random() < 0.7 else [np.nan, np.inf, -np.inf]
        flat[rng.choice(flat.size, size=k, replace=True)] = rng.choice(specials, size=k)
    return values


def reduction_case(rng, fname, dtype):
    shape = small_shape(rng, max_elements=240, zero=0.08)
    rank = len(shape)
    x = Operand("x", reduction_values(rng, fname, dtype, shape), random_layout(rng, shape))
    args = ["x"]
    r = rng.random()
    if r < 0.2 or rank == 0:
        if rng.random() < 0.3:
            args.append("axis=None")
    elif r < 0.6 or fname in ARG:
        axis = int(rng.integers(-rank, rank))
        args.append(f"axis={axis}" if rng.random() < 0.8 else str(axis))
    else:
        n = int(rng.integers(0, rank + 1))
        axes = [int(a) for a in rng.choice(rank, size=n, replace=False)]
        axes = [a - rank if rng.random() < 0.3 else a for a in axes]
        args.append(f"axis=({', '.join(map(str, axes))}{',' if n == 1 else ''})")
    if fname in SPREAD and rng.random() < 0.6:
        args.append(f"ddof={int(rng.integers(0, 3))}")
    if rng.random() < 0.35:
        args.append(f"keepdims={rng.choice(['True', 'true', 'False', 'false'])}")
    expr = f"{fname}({', '.join(args)})"
    if np.dtype(dtype).kind == "f" and fname in SUMMING | SPREAD:
        finite = np.abs(x.data[np.isfinite(x.data)])
        scale = float(finite.max()) if finite.size else 0.0
        tol = Tol("sum", scale * (scale if fname in ("var", "nanvar") else 1.0) * 1e-3)
    elif fname in SUMMING | SPREAD and fname not in ("sum", "nansum", "prod", "nanprod"):
        tol = Tol("sum")  # mean/var of integers: float64, accumulated in double
    else:
        tol = None
    # numpy raises at compute time for an all-NaN slice of nanargmin/max
    # (h5lazy at read time: tested separately); an empty reduction of
    # min/max/arg is numpy's ValueError and h5lazy's define error.
    case = Case("reduction", expr, [x], tol=tol, accept=(ValueError,))
    if case.exc is not None and "All-NaN" in str(case.exc):
        raise Reject
    if fname in ("nanvar", "nanstd") and "ddof=" in expr and case.exc is None:
        # test_bug_nanvar_with_ddof_reaching_the_count
        ddof = int(expr.split("ddof=")[1][0])
        counts, _ = oracle(expr.replace(fname, "count").replace(f", ddof={ddof}", ""), {"x": x.data})
        if np.any((counts >= 2) & (counts <= ddof)):
            raise Reject
    return case


def reduction_cases(rng):
    cases = []
    for fname in REDUCTIONS:
        for dtype in DTYPES:
            for _ in range(3):
                cases.append(draw(rng, reduction_case, fname, dtype))
    return cases


# ---------------------------------------------------------------------------
# compositions: a random tree built bottom-up with numpy's value of every
# node, so that each step knows the shape it works on.


class Node:
    def __init__(self, h5, value, exact, prec=4, scale=0.0, f32=False):
        self.h5, self.value, self.exact, self.prec = h5, np.asarray(value), exact, prec
        self.f32 = f32 or self.value.dtype == np.float32
        finite = np.abs(self.value[np.isfinite(self.value)]) if self.value.dtype.kind in "fiu" else []
        here = float(np.max(finite)) if len(finite) else 0.0
        self.scale = max(scale, here)

    def atom(self):
        return self.h5 if self.prec >= 4 else f"({self.h5})"


class Composer:
    def __init__(self, rng):
        self.rng = rng
        self.operands = []

    def fresh(self, shape, dtype=None):
        rng = self.rng
        dtype = dtype or str(rng.choice(["float64", "float32", "float64", "int16", "int32",
                                         "uint8", "int64", "bool"]))
        name = "abcdefghjkmnpqrstuvw"[len(self.operands)]
        if np.dtype(dtype).kind == "f":
            values = rng.standard_normal(shape) * float(rng.choice([1.0, 1e3])) + float(rng.choice([0, 1]))
            values = values.astype(dtype)
            if values.size and rng.random() < 0.3:
                values.reshape(-1)[rng.choice(values.size, size=max(1, values.size // 10))] = np.nan
        elif dtype == "bool":
            values = rng.random(shape) < 0.5
        else:
            values = rng.integers(0 if dtype[0] == "u" else -50, 51, size=shape).astype(dtype)
        self.operands.append(Operand(name, values, random_layout(rng, shape)))
        return Node(name, values, True)

    def value(self, h5):
        names = {op.name: op.data for op in self.operands}
        v, exc = oracle(h5, names)
        if exc is not None:
            raise Reject
        return v

    def make(self, h5, parts, exact, prec=4):
        return Node(h5, self.value(h5), exact and all(p.exact for p in parts), prec,
                    max(p.scale for p in parts), any(p.f32 for p in parts))

    def reduce(self, x):
        rng = self.rng
        if x.value.ndim == 0:
            raise Reject
        fnames = ["sum", "mean", "min", "max", "var", "std", "nansum", "nanmean", "nanmax", "count",
                  "any", "all", "prod", "nanstd"]
        if x.exact:
            fnames += ["argmax", "argmin", "nanargmin"]
        fname = str(rng.choice(fnames))
        rank = x.value.ndim
        args = [x.h5]
        if fname.startswith(("arg", "nanarg")) or rng.random() < 0.5:
            args.append(f"axis={int(rng.integers(-rank, rank))}")
        elif rng.random() < 0.6:
            n = int(rng.integers(1, rank + 1))
            axes = sorted(int(a) for a in rng.choice(rank, size=n, replace=False))
            args.append(f"axis=({', '.join(map(str, axes))},)")
        if fname in ("var", "std", "nanstd") and rng.random() < 0.5:
            args.append("ddof=1")
        if rng.random() < 0.3:
            args.append("keepdims=True")
        kind = x.value.dtype.kind
        exact = fname in ("min", "max", "nanmax", "count", "any", "all") or \
            fname.startswith(("arg", "nanarg")) or (kind in "iub" and fname in ("sum", "nansum"))
        if fname == "prod" and kind != "f":
            exact = True
        if fname in ("prod",) and kind == "f" and x.scale > 2:
            raise Reject  # products of large floats overflow differently
        return self.make(f"{fname}({', '.join(args)})", [x], exact)

    def view(self, x):
        sub = random_subscript(self.rng, x.value.shape)
        return self.make(f"{x.atom()}[{sub}]", [x], True)

    def elementwise(self, x):
        rng = self.rng
        r = rng.random()
        if r < 0.35:
            op = str(rng.choice(["+", "-", "*", "maximum", "minimum", "fmax"]))
            other = self.partner(x)
            if op in "+-*":
                y = other.atom() if other.prec > 2 else f"({other.h5})"
                return self.make(f"{x.atom()} {op} {y}", [x, other], True, prec=2)
            return self.make(f"{op}({x.h5}, {other.h5})", [x, other], True)
        if r < 0.5:
            f = str(rng.choice(["absolute", "negative", "square", "sqrt", "floor", "sign"]))
            if f == "negative" and x.value.dtype == np.bool_:
                raise Reject
            return self.make(f"{f}({x.h5})", [x], True)
        if r < 0.65:
            if x.value.dtype.kind == "f":
                return self.make(f"where(isnan({x.h5}), 0, {x.h5})", [x], True)
            return self.make(f"where({x.atom()} > 1, {x.h5}, 0)", [x], x.exact)
        if r < 0.8:
            # anomaly: minus a mean over some axis
            if x.value.ndim == 0:
                raise Reject
            k = int(rng.integers(0, x.value.ndim))
            if k == 0 and rng.random() < 0.5:
                mean = f"mean({x.h5}, axis=0)"
            else:
                mean = f"mean({x.h5}, axis={k}, keepdims=True)"
            return self.make(f"{x.atom()} - {mean}", [x], False, prec=2)
        if r < 0.9:
            if not x.exact:
                raise Reject
            t = str(rng.choice(["float64", "int32", "float32", "int64"]))
            if x.value.dtype.kind == "f" and t[0] == "i":
                raise Reject
            return self.make(f'astype({x.h5}, "{t}")', [x], True)
        if not x.exact:
            raise Reject
        return self.make(f"{x.atom()} > {self.partner(x).atom()}", [x], True, prec=1)

    def partner(self, x):
        """Something that broadcasts against x."""
        rng = self.rng
        r = rng.random()
        if r < 0.3:
            return Node(str(rng.choice(["2", "0.5", "3", "1"])), 1, True)
        if r < 0.5 and x.value.ndim:
            return self.make(f"{str(rng.choice(['max', 'min', 'sum']))}({x.h5}, axis=0)", [x],
                             x.value.dtype.kind in "iub")
        return self.fresh(operand_shape(rng, x.value.shape))

    def join(self, x):
        rng = self.rng
        if x.value.ndim == 0:
            raise Reject
        rank = x.value.ndim
        if rng.random() < 0.5:
            axis = int(rng.integers(-rank, rank))
            shape = list(x.value.shape)
            shape[axis] = int(rng.integers(0, 4))
            y = self.fresh(tuple(shape))
            return self.make(f"concat([{x.h5}, {y.h5}], axis={axis})", [x, y], True)
        axis = int(rng.integers(-rank - 1, rank + 1))
        y = self.fresh(x.value.shape) if rng.random() < 0.5 else \
            self.make(f"{x.atom()}[::-1]", [x], True)
        return self.make(f"stack([{x.h5}, {y.h5}], axis={axis})", [x, y], True)

    def reshape(self, x):
        rng = self.rng
        r = rng.random()
        if r < 0.4:
            return self.make(f"transpose({x.h5})", [x], True)
        if r < 0.7:
            return self.make(f"expand_dims({x.h5}, {int(rng.integers(0, x.value.ndim + 1))})", [x], True)
        return self.make(f"squeeze({x.h5})", [x], True)


def composed_case(rng):
    c = Composer(rng)
    shape = small_shape(rng, max_elements=200, max_rank=3, zero=0.02)
    if not shape:
        shape = (5, 4)
    node = c.fresh(shape)
    steps = [c.reduce, c.view, c.elementwise, c.join, c.reshape]
    for _ in range(int(rng.integers(2, 5))):
        step = steps[int(rng.choice(len(steps), p=[0.3, 0.2, 0.3, 0.1, 0.1]))]
        node = step(node)
        if len(node.h5) > 600:
            raise Reject
    if node.value.size > 4000:
        raise Reject
    tol = None if node.exact else Tol("sum", node.scale * 100, node.f32)
    return Case("composed", node.h5, c.operands, tol=tol, accept=())


TEMPLATES = [
    # (expression, {name: (dtype, shape)}, exact)
    ("x - mean(x, axis=0)", {"x": ("float32", (6, 7))}, False),
    ("x - mean(x, axis=0)", {"x": ("float64", (5, 3, 4))}, False),
    ("x - mean(x, axis=-1, keepdims=True)", {"x": ("float32", (4, 9))}, False),
    ("sqrt(var(x, axis=0, ddof=1))", {"x": ("float64", (8, 5))}, False),
    ("sqrt(var(x, axis=0, ddof=1))", {"x": ("float32", (8, 5))}, False),
    ("where(isnan(x), 0, x)", {"x": ("float32", (3, 4, 5))}, True),
    ("sum(concat([a, b], axis=0)[::2], axis=1)", {"a": ("int16", (5, 6)), "b": ("uint8", (4, 6))}, True),
    ("sum(concat([a, b], axis=0)[::2], axis=1)", {"a": ("float64", (5, 6)), "b": ("float32", (4, 6))}, False),
    ("(x - min(x)) / (max(x) - min(x))", {"x": ("float64", (7, 3))}, False),
    ("max(x[::-1, 1:], axis=0) - min(x, axis=0)[1:]", {"x": ("int32", (6, 5))}, True),
    ("sum(x, axis=1)[::-1]", {"x": ("int8", (9, 50))}, True),
    ("mean(x, axis=(0, 2))[1:3]", {"x": ("float64", (3, 5, 4))}, False),
    ("nansum(x * y, axis=-1) / count(x * y, axis=-1)",
     {"x": ("float64", (4, 6)), "y": ("float64", (6,))}, False),
    ("transpose(sum(stack([a, b, c]), axis=1))", {"a": ("int16", (3, 4)), "b": ("int16", (3, 4)),
                                                  "c": ("uint16", (3, 4))}, True),
    ("argmax(concat([a, b], axis=1), axis=1)", {"a": ("float32", (4, 3)), "b": ("int8", (4, 2))}, True),
    ("any(isnan(x), axis=0) | all(x > 0, axis=0)", {"x": ("float64", (5, 6))}, True),
    ("astype(sum(x, axis=0), 'float32')", {"x": ("int32", (7, 4))}, True),
    ("clip(x, mean(x), None)", {"x": ("float64", (4, 4))}, False),
    ("sum(max(x, axis=0))", {"x": ("int64", (5, 6, 2))}, True),
    ("broadcast_to(mean(x, axis=0), (5, 3))", {"x": ("float64", (2, 3))}, False),
    ("std(where(x > 0, x, nan), axis=0) - nanstd(where(x > 0, x, nan), axis=0)",
     {"x": ("float64", (6, 5))}, False),
    ("sin(x)[1] + cos(x)[::-1][0]", {"x": ("float64", (3, 5))}, False),
    ("(a + 1)[::2] * sum(b, axis=0, keepdims=True)", {"a": ("int32", (5, 4)), "b": ("int32", (3, 4))}, True),
    ("expand_dims(min(x, axis=1), 0)[..., None]", {"x": ("uint16", (4, 7))}, True),
    ("prod(x[:, :3], axis=-1) + sum(x > 2, axis=1)", {"x": ("int8", (6, 5))}, True),
    ("mean(squeeze(x[None, :, None]), axis=0)", {"x": ("float32", (5, 3))}, False),
]


def template_case(rng, index):
    expr, spec, exact = TEMPLATES[index % len(TEMPLATES)]
    operands = []
    for name, (dtype, shape) in spec.items():
        if np.dtype(dtype).kind == "f":
            values = (rng.standard_normal(shape) * float(rng.choice([1.0, 1e3]))).astype(dtype)
        else:
            values = random_values(rng, dtype, shape) if rng.random() < 0.3 else \
                rng.integers(0, 20, size=shape).astype(dtype)
        operands.append(Operand(name, values, random_layout(rng, shape)))
    scale = max(float(np.max(np.abs(op.data))) if op.data.size else 0 for op in operands)
    f32 = any(op.data.dtype == np.float32 for op in operands)
    return Case("composed", expr, operands, tol=None if exact else Tol("sum", scale * 100, f32),
                accept=())


def composed_cases(rng):
    cases = [draw(rng, template_case, k) for k in range(len(TEMPLATES) * 3)]
    cases.extend(draw(rng, composed_case) for _ in range(400))
    return cases


# ---------------------------------------------------------------------------
# all cases, numbered


def all_cases():
    cases = []
    for k, make in enumerate([elementwise_cases, indexing_cases, shape_cases, reduction_cases,
                              composed_cases]):
        cases.extend(make(np.random.default_rng([SEED, k])))
    counters = {}
    for case in cases:
        n = counters.get(case.kind, 0)
        counters[case.kind] = n + 1
        case.id = f"{case.kind}{n:04d}"
    return cases


CASES = all_cases()
BY_ID = {c.id: c for c in CASES}


def read_all(path, cases, out):
    """Read every case of one file: the full array and random selections,
    recording values or the exception of each read."""
    with h5py.File(path, "r") as f:
        for case in cases:
            entry = out[case.id]
            entry["present"] = case.vname in f
            if case.exc is not None or entry["proc"].returncode != 0:
                continue
            v = f[case.vname]
            entry["dtype"], entry["shape"] = v.dtype, v.shape
            rng = np.random.default_rng([SEED, zlib.crc32(case.id.encode())])
            reads = []
            want_shape = case.want.shape
            sels = selections(rng, want_shape)
            if len(sels) > 3:
                picks = rng.choice(np.arange(1, len(sels)), size=2, replace=False)
                sels = [sels[0]] + [sels[int(k)] for k in picks]
            for label, key in sels:
                try:
                    reads.append((label, key, v[key], None))
                except Exception as exc:  # noqa: BLE001 - reported by the test
                    reads.append((label, key, None, exc))
            entry["reads"] = reads


def build_and_read(d, stem, cases, operands_of, read, n_files=N_FILES, workers=DEFINE_WORKERS):
    """Spread the cases over n_files files d/{stem}{no}.h5: write each
    case's operands (operands_of(case): (name, data, chunks) triples, under
    the case's group), define its virtual dataset (files in parallel), then
    read(path, cases, results) each file. Returns {case id: {'proc', ...}}:
    define's process, and whatever `read` records."""
    files = [[] for _ in range(n_files)]
    for k, case in enumerate(cases):
        files[k % n_files].append(case)
    for no, part in enumerate(files):
        with h5py.File(d / f"{stem}{no}.h5", "w") as f:
            for case in part:
                f.require_group(case.id)
                for name, data, chunks in operands_of(case):
                    path = f"{case.id}/{name}"
                    if chunks is None or data.ndim == 0:
                        f.create_dataset(path, data=data)
                    else:
                        maxshape = tuple(None if n == 0 else n for n in data.shape)
                        f.create_dataset(path, data=data, chunks=chunks, maxshape=maxshape)
    results = {c.id: {} for c in cases}

    def define_all(no):
        for case in files[no]:
            results[case.id]["proc"] = define(d / f"{stem}{no}.h5", case.vname, case.expr)

    with ThreadPoolExecutor(max_workers=workers) as pool:
        list(pool.map(define_all, range(n_files)))
    for no, part in enumerate(files):
        read(d / f"{stem}{no}.h5", part, results)
    return results


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """Write every case's operands, define every virtual dataset, read them
    all back; returns {case id: {'proc', 'present', 'dtype', 'shape', 'reads'}}."""
    return build_and_read(tmp_path_factory.mktemp("language"), "lang", CASES,
                          lambda case: [(op.name, op.data, op.chunks) for op in case.operands], read_all)


def check_case(built, case_id):
    case = BY_ID[case_id]
    r = built[case_id]
    proc, what = r["proc"], case.describe()
    if case.exc is not None:
        assert proc.returncode == 1, (f"{what}: numpy raised {case.exc!r} but define gave "
                                      f"{proc.returncode}: {proc.stdout}{proc.stderr}")
        assert proc.stdout == ""
        assert proc.stderr.startswith(f"h5lazy define: error: cannot define '{case.vname}': "), proc.stderr
        assert "(at line " in proc.stderr, proc.stderr
        assert not r["present"], f"{what}: a failed define left {case.vname} behind"
        return
    assert proc.returncode == 0, f"{what}: numpy gives {case.want.dtype}{case.want.shape}; " \
                                 f"define failed: {proc.stderr}"
    want = case.want
    shape_text = ", ".join(map(str, want.shape)) + ("," if want.ndim == 1 else "")
    assert proc.stdout == f"{case.vname}: {want.dtype} ({shape_text}) = {case.expr}\n", what
    assert r["dtype"] == want.dtype, f"{what}: dtype {r['dtype']}, numpy {want.dtype}"
    assert r["shape"] == want.shape, f"{what}: shape {r['shape']}, numpy {want.shape}"
    for label, key, got, exc in r["reads"]:
        assert exc is None, f"{what}; {label} {key!r}: read failed: {exc}"
        assert_matches(got, want[key], case.tol, f"{what}; {label} {key!r}")


def ids(kind):
    return [c.id for c in CASES if c.kind == kind]


@pytest.mark.parametrize("case_id", ids("elementwise"))
def test_elementwise(built, case_id):
    check_case(built, case_id)


@pytest.mark.parametrize("case_id", ids("indexing"))
def test_indexing(built, case_id):
    check_case(built, case_id)


@pytest.mark.parametrize("case_id", ids("shape"))
def test_shape_functions(built, case_id):
    check_case(built, case_id)


@pytest.mark.parametrize("case_id", ids("reduction"))
def test_reductions(built, case_id):
    check_case(built, case_id)


@pytest.mark.parametrize("case_id", ids("composed"))
def test_composed(built, case_id):
    check_case(built, case_id)


def test_case_mix_covers_the_language():
    """The generated cases cover what they are meant to (guards against a
    generator change silently narrowing the suite)."""
    texts = {kind: " ".join(c.expr for c in CASES if c.kind == kind)
             for kind in ("elementwise", "indexing", "shape", "reduction", "composed")}
    assert len(CASES) > 3500
    valid = [c for c in CASES if c.exc is None]
    # every function name, alias and operator, over every dtype
    for fname in UNARY + BINARY:
        dtypes = {str(c.operands[0].data.dtype) for c in CASES
                  if getattr(c, "func", None) == fname and c.operands}
        assert dtypes == set(DTYPES), (fname, dtypes)
    for op in list(BINARY_OPERATORS) + ["-a", "+a", "~a"]:
        assert f" {op} " in texts["elementwise"] or op in texts["elementwise"].split(), op
    for name in ["where(", "clip(", "astype(", "None", "nan", "inf", "true", "false", "True", "False"]:
        assert name in texts["elementwise"], name
    # float16 loops of numpy computed in float32
    f16 = 0
    for c in valid:
        if c.kind == "elementwise" and c.want.dtype == np.float32 and \
                not any(op.data.dtype == np.float32 for op in c.operands):
            f16 += 1
    assert f16 > 100, f16
    # weak literals that numpy refuses, type errors, index errors, empty reductions
    kinds = {type(c.exc).__name__ for c in CASES if c.exc is not None}
    assert {"OverflowError", "TypeError", "IndexError", "ValueError"} <= kinds | {"UFuncTypeError"}, kinds
    assert sum(isinstance(c.exc, OverflowError) for c in CASES) >= 12
    # indexing: negative steps, ellipsis, new axes, chained, zero-length, all ranks
    for token in ["::-", "...", "None", "][", ":-", "100"]:
        assert token in texts["indexing"], token
    assert {c.operands[0].data.ndim for c in CASES if c.kind == "indexing"} == {0, 1, 2, 3, 4}
    assert any(0 in c.operands[0].data.shape for c in CASES if c.kind == "indexing" and c.exc is None)
    # shape functions
    for token in ["concat(", "concatenate(", "stack([stack(", "transpose(x)", "axes=", "squeeze(x)",
                  "squeeze(x, axis=(", "expand_dims(x, (", "broadcast_to(", "axis=-"]:
        assert token in texts["shape"], token
    assert any(len({op.data.dtype for op in c.operands}) >= 3 for c in CASES if c.kind == "shape")
    # reductions: every name over every dtype, axis forms, keepdims, ddof, empty
    for fname in REDUCTIONS:
        dtypes = {str(c.operands[0].data.dtype) for c in CASES
                  if c.kind == "reduction" and c.expr.startswith(fname + "(")}
        assert dtypes == set(DTYPES), (fname, dtypes)
    for token in ["axis=None", "axis=(", "axis=()", "keepdims=True", "keepdims=false", "ddof=2",
                  "axis=-"]:
        assert token in texts["reduction"], token
    assert any(c.want.size and 0 in c.operands[0].data.shape for c in valid if c.kind == "reduction")
    assert any(isinstance(c.exc, ValueError) for c in CASES if c.kind == "reduction")
    assert sum(np.isnan(c.operands[0].data).any() for c in CASES
               if c.kind == "reduction" and c.operands[0].data.dtype.kind == "f") > 40
    # compositions
    for token in ["mean(", "concat(", "stack(", "where(isnan(", "astype(", "transpose(", "[",
                  "keepdims=True"]:
        assert token in texts["composed"], token
    assert sum(c.tol is None for c in CASES if c.kind == "composed") > 100
    assert sum(c.tol is not None for c in CASES if c.kind == "composed") > 100
    # layouts
    ops = [op for c in CASES for op in c.operands if op.data.ndim]
    assert any(op.chunks is None for op in ops)
    assert any(op.chunks and len(op.chunks) >= 2 and set(op.chunks) == {1} for op in ops)
    assert sum(len({op.data.shape for op in c.operands}) > 1 for c in CASES if c.kind == "elementwise") > 300


# ---------------------------------------------------------------------------
# reductions do not depend on how their operand is chunked


LAYOUT_REDUCTIONS = ["sum", "nansum", "mean", "nanmean", "var", "nanvar", "std", "nanstd", "prod",
                     "min", "max", "nanmin", "nanmax", "argmin", "argmax", "nanargmax", "count",
                     "any", "all"]


def chunking_case(rng, index):
    fname = LAYOUT_REDUCTIONS[index % len(LAYOUT_REDUCTIONS)]
    dtype = str(rng.choice(["float32", "float64", "float64", "int32", "uint8", "int64", "bool"]))
    rank = int(rng.integers(1, 5))
    dims = [int(rng.integers(2, 14)) for _ in range(rank)]
    while int(np.prod(dims)) > 3000:
        dims[int(np.argmax(dims))] //= 2
    shape = tuple(dims)
    data = reduction_values(rng, fname, dtype, shape)
    if fname == "prod" and data.dtype.kind == "f":
        data = np.where(np.isnan(data), data, 1 + (data - 1) * 0.05).astype(data.dtype)
    if fname.startswith("nanarg") and data.dtype.kind == "f":
        data[..., 0] = 1.0  # no all-NaN slice
    if fname == "argmin" or fname.startswith(("arg", "nanarg")) or rng.random() < 0.4:
        axis = f"axis={int(rng.integers(-rank, rank))}"
    else:
        axes = sorted(int(a) for a in rng.choice(rank, size=int(rng.integers(1, rank + 1)), replace=False))
        axis = f"axis=({', '.join(map(str, axes))},)"
    extra = ", ddof=1" if fname in SPREAD else ""
    expr = f"{fname}(x, {axis}{extra})"
    layouts = [None, tuple(1 for _ in shape), random_layout(rng, shape) or shape,
               tuple(int(rng.integers(1, n + 1)) for n in shape)]
    kind = data.dtype.kind
    finite = np.abs(data[np.isfinite(data)]) if kind == "f" else np.zeros(0)
    tol = Tol("sum", float(finite.max()) if finite.size else 0.0) \
        if fname in SUMMING | SPREAD and (kind == "f" or fname in ("mean", "nanmean") or fname in SPREAD) \
        else None
    return expr, data, layouts, tol


CHUNKING = [chunking_case(np.random.default_rng([SEED, 77, k]), k) for k in range(60)]


@pytest.fixture(scope="module")
def chunked(tmp_path_factory):
    """Each CHUNKING case's data stored four ways (contiguous, chunks of 1,
    random chunks) with the same reduction defined on each."""
    d = tmp_path_factory.mktemp("chunking")
    path = d / "chunked.h5"
    with h5py.File(path, "w") as f:
        for k, (expr, data, layouts, _) in enumerate(CHUNKING):
            for j, chunks in enumerate(layouts):
                name = f"c{k:02d}_{j}/x"
                if chunks is None:
                    f.create_dataset(name, data=data)
                else:
                    f.create_dataset(name, data=data, chunks=chunks)
    for k, (expr, data, layouts, _) in enumerate(CHUNKING):
        for j in range(len(layouts)):
            assert_ok(define(path, f"c{k:02d}_{j}/v", expr))
    got = {}
    with h5py.File(path, "r") as f:
        for k, (expr, data, layouts, _) in enumerate(CHUNKING):
            got[k] = [f[f"c{k:02d}_{j}/v"][...] for j in range(len(layouts))]
    return path, got


CHUNKED_READER = textwrap.dedent("""
    import sys, h5py, numpy as np
    path, out = sys.argv[1], sys.argv[2]
    results = {}
    with h5py.File(path, "r") as f:
        for group in f:
            results[group] = f[group]["v"][...]
    np.savez(out, **results)
""")


def test_chunked_reductions_with_tiny_memory_budget(chunked, tmp_path):
    """The same reductions over the same four layouts, read with a 4 KiB
    budget: bit for bit the default budget's results."""
    path, got = chunked
    out = tmp_path / "chunked.npz"
    proc = subprocess.run([sys.executable, "-c", CHUNKED_READER, str(path), str(out)],
                          capture_output=True, text=True, env=env_with_connector("4KiB"), timeout=600)
    assert_ok(proc)
    small = np.load(out)
    for k, (expr, data, layouts, _) in enumerate(CHUNKING):
        for j in range(len(layouts)):
            same_bits(small[f"c{k:02d}_{j}"], got[k][j],
                      f"{expr} over {data.dtype}{data.shape} chunks={layouts[j]}: memory=4KiB")


@pytest.mark.parametrize("k", range(len(CHUNKING)), ids=lambda k: f"chunking{k:02d}")
def test_reductions_do_not_depend_on_chunking(chunked, k):
    expr, data, layouts, tol = CHUNKING[k]
    _, got = chunked
    what = f"{expr} over {data.dtype}{data.shape}"
    for j in range(1, len(layouts)):
        same_bits(got[k][j], got[k][0], f"{what}: chunks={layouts[j]} vs contiguous")
    want, exc = oracle(expr, {"x": data})
    assert exc is None, exc
    assert_matches(got[k][0], want, tol, what)


# ---------------------------------------------------------------------------
# a tiny evaluation budget on big arrays: many small pieces, the same bits


def budget_arrays():
    rng = np.random.default_rng([SEED, 4])
    x = (rng.standard_normal((240, 500)) + 3.0)
    w = rng.standard_normal((400, 500)) * 10
    w[rng.random(w.shape) < 0.05] = np.nan
    return {
        "x": (x, (7, 64)),
        "w": (w, None),
        "y": ((rng.uniform(1, 2, (60, 50, 40))).astype(np.float32), (1, 50, 40)),
        "z": (rng.integers(-128, 128, 200000).astype(np.int8), (4096,)),
        "u": (rng.integers(0, 7, (300, 400)).astype(np.uint16), (300, 1)),
        "b": (rng.random((250, 400)) < 0.999, (250, 7)),
    }


BUDGET_CASES = [
    # (expression, tolerance kind or None)
    ("sum(x, axis=0)", "sum"), ("sum(x, axis=1)", "sum"), ("mean(x)", "sum"),
    ("var(x, axis=0, ddof=1)", "sum"), ("std(y, axis=(0, 2))", "sum"), ("mean(y, axis=-1)", "sum"),
    ("argmax(x, axis=0)", None), ("argmin(y, axis=-1)", None), ("argmax(u)", None),
    ("nanmax(w, axis=1)", None), ("nanmean(w, axis=0)", "sum"), ("count(w, axis=0)", None),
    ("nanvar(w, axis=1)", "sum"), ("sum(z)", None), ("sum(z[::3])", None), ("prod(u[:, :5], axis=1)", None),
    ("min(u, axis=0)", None), ("max(y, axis=1)", None), ("any(x > 6, axis=1)", None),
    ("all(b, axis=0)", None), ("sum(b)", None), ("concat([x, w], axis=0)[::7]", None),
    ("concat([x[:, ::-1], w[:240]], axis=1)", None),
    ("sum(concat([x, w], axis=0)[::2], axis=1)", "nansum"), ("x - mean(x, axis=0)", "anomaly"),
    ("stack([y[0], y[-1]], axis=1)", None), ("transpose(y)[::5, 1:, 2]", None),
    ("mean(transpose(y), axis=2)", "sum"),
]

BUDGET_READER = textwrap.dedent("""
    import sys, h5py, numpy as np
    path, out, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
    results = {}
    with h5py.File(path, "r") as f:
        for k in range(n):
            d = f[f"v{k}"]
            results[f"v{k}"] = d[...]
            if d.ndim:
                results[f"v{k}_strided"] = d[tuple(slice(1, None, 3) for _ in d.shape)]
                results[f"v{k}_row"] = d[d.shape[0] // 2]
    np.savez(out, **results)
""")


def test_tiny_memory_budget_on_big_arrays(tmp_path):
    """Reductions over the fast and the slow axes, nan forms, concat and
    anomalies of arrays of 120k-320k elements, read by a process whose
    connector may use only 4 KiB: bit for bit what the default budget gives,
    and numpy's answer."""
    arrays = budget_arrays()
    path = tmp_path / "big.h5"
    for name, (data, chunks) in arrays.items():
        write_dataset(path, name, data, chunks=chunks)
    for k, (expr, _) in enumerate(BUDGET_CASES):
        assert_ok(define(path, f"v{k}", expr))
    out = tmp_path / "small.npz"
    proc = subprocess.run([sys.executable, "-c", BUDGET_READER, str(path), str(out), str(len(BUDGET_CASES))],
                          capture_output=True, text=True, env=env_with_connector("4KiB"), timeout=600)
    assert_ok(proc)
    small = np.load(out)
    values = {name: data for name, (data, _) in arrays.items()}
    with h5py.File(path, "r") as f:
        for k, (expr, kind) in enumerate(BUDGET_CASES):
            default = f[f"v{k}"][...]
            same_bits(small[f"v{k}"], default, f"{expr}: memory=4KiB vs default")
            if default.ndim:
                key = tuple(slice(1, None, 3) for _ in default.shape)
                same_bits(small[f"v{k}_strided"], default[key], f"{expr}[1::3, ...]: memory=4KiB")
                same_bits(small[f"v{k}_row"], default[default.shape[0] // 2], f"{expr}[n//2]: memory=4KiB")
            want, exc = oracle(expr, values)
            assert exc is None, exc
            scale = float(np.nanmax(np.abs(values["x"])))
            tol = None if kind is None else Tol("sum", {"anomaly": scale, "nansum": np.nan}.get(kind, 0.0))
            if kind == "nansum":
                # sums of rows with NaN are NaN in both; the others are sums of 500 values
                tol = Tol("sum", 500 * float(np.nanmax(np.abs(values["w"]))))
            assert_matches(default, want, tol, f"{expr} (default budget)")


# ---------------------------------------------------------------------------
# hand-written cases: documented behaviours the random cases avoid or only
# touch by chance


def define_and_read(path, arrays, exprs, chunks=None):
    """Write the arrays, define each expression as v0, v1, ...; returns the
    define processes and, for each that succeeded, the values (or the read
    exception)."""
    for name, data in arrays.items():
        shape = np.shape(data)
        fit = chunks if chunks and len(chunks) == len(shape) and 0 not in shape else None
        write_dataset(path, name, data, chunks=fit and tuple(min(c, n) for c, n in zip(fit, shape)))
    procs = [define(path, f"v{k}", expr) for k, expr in enumerate(exprs)]
    got = []
    with h5py.File(path, "r") as f:
        for k, proc in enumerate(procs):
            if proc.returncode:
                got.append(None)
                continue
            try:
                got.append(f[f"v{k}"][...])
            except OSError as exc:
                got.append(exc)
    return procs, got


def test_integer_power_with_a_negative_exponent_is_a_read_error(tmp_path):
    """numpy raises ValueError when it computes an integer to a negative
    integer power; h5lazy defines the dataset (the exponent is data) and
    refuses to read it with numpy's message."""
    arrays = {"a": np.array([2, 3, 4], dtype=np.int32), "b": np.array([1, -1, 2], dtype=np.int16)}
    exprs = ["a ** b", "power(a, -1)", "a ** -2", "pow(b, b)"]
    for expr in exprs:
        _, exc = oracle(expr, arrays)
        assert isinstance(exc, ValueError) and "negative integer powers" in str(exc), expr
    procs, got = define_and_read(tmp_path / "p.h5", arrays, exprs)
    for expr, proc, value in zip(exprs, procs, got):
        assert_ok(proc)
        assert isinstance(value, OSError), f"{expr}: read gave {value!r}"
        assert "Integers to negative integer powers are not allowed" in str(value), str(value)
    # Non-negative exponents and float bases are fine.
    ok = ["a ** abs(b)", "a ** 0", "astype(a, 'float64') ** b", "2 ** -1 * a"]
    procs, got = define_and_read(tmp_path / "q.h5", arrays, ok)
    for expr, proc, value in zip(ok, procs, got):
        assert_ok(proc)
        want, exc = oracle(expr, arrays)
        assert_same(value, want, expr)


SPECIAL_FLOATS = [np.nan, np.inf, -np.inf, 1e20, -1e20, 2.0**63, 2.0**64, -1.5, 3e9, -3e9,
                  70000.5, -129.7, 255.9, 2.0**63 - 1024, -2.0**63, 2.0**31, -0.0, 0.99]


def test_astype_of_nan_inf_and_out_of_range_floats_follows_numpy(tmp_path):
    """astype from floats to integers and bool for NaN, infinities and
    values out of the target's range: numpy's x86-64 results. Compared
    where numpy's own answer does not depend on the memory layout (numpy's
    SIMD and scalar casts to uint32 disagree for out-of-range values), and
    without the uint64 values of test_bug_float_to_uint64_out_of_range."""
    targets = [t for t in DTYPES if t[0] != "f"]
    arrays = {"f8": np.array(SPECIAL_FLOATS), "f4": np.array(SPECIAL_FLOATS, dtype=np.float32)}
    exprs = [f"astype({src}, '{t}')" for src in arrays for t in targets]
    procs, got = define_and_read(tmp_path / "c.h5", arrays, exprs)
    compared = 0
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for expr, proc, value in zip(exprs, procs, got):
            assert_ok(proc)
            src, target = expr[7:9], expr.split("'")[1]
            x = arrays[src]
            want = x.astype(target)
            strided = np.repeat(x, 2)[::2].astype(target)
            scalar = np.array([v.astype(target) for v in x])
            keep = (want == strided) & (want == scalar)
            if target == "uint64":
                keep &= ~((x >= 2.0**64) | (x == np.inf))
            assert value.dtype == want.dtype, expr
            np.testing.assert_array_equal(value[keep], want[keep], err_msg=f"{expr} of {x[keep]}")
            compared += int(keep.sum())
    assert compared > 250


def test_integer_sums_and_means_use_64_bits(tmp_path):
    """sum of int8 is int64 (no overflow at 127), of uint8 uint64, of bool
    int64; prod likewise; mean of integers is float64."""
    big = np.full((40, 1000), 127, dtype=np.int8)
    arrays = {"i": big, "u": big.astype(np.uint8) * 2, "b": np.ones((40, 1000), bool),
              "p": np.full((3, 70), 2, dtype=np.int8)}
    exprs = ["sum(i)", "sum(u)", "sum(b)", "sum(i, axis=1)", "nansum(u, axis=0)", "mean(i)",
             "prod(p, axis=1)", "prod(p)", "count(i)", "sum(i * i)", "mean(u, axis=1)"]
    procs, got = define_and_read(tmp_path / "s.h5", arrays, exprs, chunks=(7, 100))
    for expr, proc, value in zip(exprs, procs, got):
        assert_ok(proc)
        want, exc = oracle(expr, arrays)
        assert exc is None
        assert_same(value, want, expr)
    assert got[0] == 127 * 40000 and got[0].dtype == np.int64
    assert got[1] == 254 * 40000 and got[1].dtype == np.uint64
    assert got[6].tolist() == [2**70 % 2**64] * 3  # wraps in 64 bits, as numpy


def test_argmin_and_argmax_ties_take_the_first(tmp_path):
    """Equal values: the first in C order over the reduced axes wins;
    a NaN wins for argmin/argmax (numpy), the nan forms skip it."""
    rng = np.random.default_rng([SEED, 11])
    t = rng.integers(0, 3, size=(6, 5, 4)).astype(np.int16)
    f = np.where(rng.random((6, 5, 4)) < 0.1, np.nan, t.astype(np.float64))
    f[..., 0] = 1.0
    arrays = {"t": t, "f": f, "c": np.full((4, 3), 7, np.uint8), "g": np.array([3.0, np.nan, 5.0, np.nan])}
    exprs = []
    for name in ("t", "f", "c"):
        nd = arrays[name].ndim
        for fname in ("argmin", "argmax", "nanargmin", "nanargmax"):
            exprs.append(f"{fname}({name})")
            exprs += [f"{fname}({name}, axis={a})" for a in range(-nd, nd)]
            exprs.append(f"{fname}({name}, axis=1, keepdims=True)")
    exprs += ["argmax(g)", "argmin(g)", "nanargmax(g)", "nanargmin(g)", "argmax(t[::-1], axis=0)",
              "argmin(transpose(t), axis=1)"]
    procs, got = define_and_read(tmp_path / "a.h5", arrays, exprs, chunks=(2, 3, 1))
    for expr, proc, value in zip(exprs, procs, got):
        assert_ok(proc)
        want, exc = oracle(expr, arrays)
        assert exc is None, expr
        assert_same(value, want, expr)


def test_reductions_over_empty_axes(tmp_path):
    """Reducing an axis of length 0: sum/prod/count/any/all give their
    identity, mean/var/std nan; min/max/argmin/argmax (and nan forms) are
    define errors with numpy's message. Reducing another axis of an empty
    array is fine for all of them."""
    arrays = {"e": np.zeros((0, 3)), "k": np.zeros((4, 0), dtype=np.int32)}
    good = ["sum(e, axis=0)", "prod(e, axis=0)", "count(e, axis=0)", "any(e, axis=0)", "all(k, axis=1)",
            "mean(e, axis=0)", "var(k, axis=1)", "std(e, axis=0, ddof=1)", "nansum(e)", "nanmean(e, axis=0)",
            "sum(k)", "min(e, axis=1)", "argmax(k, axis=0)", "max(e, axis=1, keepdims=True)", "nanvar(e)"]
    procs, got = define_and_read(tmp_path / "e.h5", arrays, good)
    for expr, proc, value in zip(good, procs, got):
        assert_ok(proc)
        want, exc = oracle(expr, arrays)
        assert exc is None, expr
        assert_same(value, want, expr)
    bad = {
        "min(e, axis=0)": "zero-size array to reduction operation minimum which has no identity",
        "amax(e)": "zero-size array to reduction operation maximum which has no identity",
        "nanmin(k, axis=1)": "zero-size array to reduction operation minimum which has no identity",
        "nanmax(k)": "zero-size array to reduction operation maximum which has no identity",
        "argmin(e, axis=0)": "attempt to get argmin of an empty sequence",
        "argmax(k)": "attempt to get argmax of an empty sequence",
        "nanargmax(e, axis=0)": "attempt to get argmax of an empty sequence",
        "nanargmin(k, axis=-1)": "attempt to get argmin of an empty sequence",
    }
    path = tmp_path / "e.h5"
    for expr, message in bad.items():
        _, exc = oracle(expr, arrays)
        assert isinstance(exc, ValueError), expr
        proc = define(path, "bad", expr)
        assert proc.returncode == 1, expr
        assert proc.stderr.startswith(f"h5lazy define: error: cannot define 'bad': {message} "
                                      "(at line 1, column 1)\n"), proc.stderr
        with h5py.File(path, "r") as f:
            assert "bad" not in f


def test_nanargmin_of_an_all_nan_slice_is_a_read_error(tmp_path):
    """numpy raises ValueError("All-NaN slice encountered") when it computes
    it; for h5lazy the NaNs are data: the define succeeds, the read fails."""
    arrays = {"x": np.array([[np.nan, 1.0], [np.nan, 2.0]])}
    exprs = ["nanargmin(x, axis=0)", "nanargmax(x[:, 0])", "nanargmin(x, axis=1)"]
    procs, got = define_and_read(tmp_path / "n.h5", arrays, exprs)
    for expr, proc, value in zip(exprs[:2], procs, got):
        _, exc = oracle(expr, arrays)
        assert isinstance(exc, ValueError) and "All-NaN slice encountered" in str(exc)
        assert_ok(proc)
        assert isinstance(value, OSError) and "All-NaN slice encountered" in str(value), value
    assert_ok(procs[2])
    assert_same(got[2], np.array([1, 1]), exprs[2])


def test_integer_division_by_zero_and_shifts_by_the_width(tmp_path):
    """Integer // and % by zero give 0, MIN // -1 wraps, shifts by the
    width or more give 0 (-1 for negative values shifted right), as
    numpy's."""
    rng = np.random.default_rng([SEED, 12])
    arrays = {}
    exprs = []
    for t in INT_DTYPES:
        info = np.iinfo(t)
        a = np.array([info.min, info.max, -1 if t[0] == "i" else 1, 0, 5, 7], dtype=t)
        b = np.array([-1 if t[0] == "i" else 1, 0, 0, 0, 2, 3], dtype=t)
        bits = np.dtype(t).itemsize * 8
        s = np.array([0, 1, bits - 1, bits, bits + 1, 2 * bits if t != "uint8" else 255], dtype=t)
        if t[0] == "i":
            s[-1] = -1
        arrays.update({f"a{t}": a, f"b{t}": b, f"s{t}": s, f"r{t}": rng.permutation(a)})
        exprs += [f"a{t} // b{t}", f"a{t} % b{t}", f"fmod(a{t}, b{t})", f"a{t} << s{t}", f"r{t} >> s{t}",
                  f"left_shift(r{t}, s{t})", f"right_shift(a{t}, s{t})", f"a{t} // 0",
                  f"remainder(a{t}, 0)"]
    procs, got = define_and_read(tmp_path / "d.h5", arrays, exprs)
    for expr, proc, value in zip(exprs, procs, got):
        assert_ok(proc)
        want, exc = oracle(expr, arrays)
        assert exc is None, expr
        assert_same(value, want, expr)


# ---------------------------------------------------------------------------
# Bugs: h5lazy disagrees with numpy (or with its own documentation). Each
# test states numpy's answer; the random generators above avoid these cases
# so that the rest of the suite stays meaningful.


def expect_numpy(path, arrays, expr, tol=None):
    """Define `expr` over `arrays` and assert it reads as numpy's result."""
    want, exc = oracle(expr, arrays)
    assert exc is None, f"numpy refuses {expr}: {exc!r}"
    procs, got = define_and_read(path, arrays, [expr])
    assert procs[0].returncode == 0, f"{expr}: numpy gives {want!r}; h5lazy: {procs[0].stderr}"
    assert not isinstance(got[0], Exception), f"{expr}: numpy gives {want!r}; h5lazy read: {got[0]}"
    assert_matches(got[0], want, tol, f"{expr}: numpy {want!r}, h5lazy {got[0]!r}")


def test_sums_that_meet_an_infinity(tmp_path):
    """Sums and means that meet an infinity are infinite (a compensated
    summation must not subtract inf from inf). An earlier build gave nan
    for all of these:

        x = float64 [1.0, inf, 2.0]
        sum(x), mean(x), nansum(x), sum(x[1:2])   numpy inf
        sum(x, axis=())                           numpy [1, inf, 2]
    """
    arrays = {"x": np.array([1.0, np.inf, 2.0]), "y": np.array([[1.0, -np.inf], [2.0, 3.0]], np.float32)}
    for k, expr in enumerate(["sum(x)", "mean(x)", "nansum(x)", "sum(x[1:2])", "sum(x, axis=())",
                              "nanmean(y, axis=1)", "sum(y, axis=0)"]):
        expect_numpy(tmp_path / f"s{k}.h5", arrays, expr, Tol("sum"))


def test_nanvar_with_ddof_reaching_the_count(tmp_path):
    """Regression test; the h5lazy results quoted are from before the fix.

    nanvar/nanstd where ddof equals the number of non-NaN values (and
    their spread is not 0): numpy gives nan (it sets every slice with
    count - ddof <= 0 to nan), h5lazy divides by 0 and gives inf.

        m = float64 [[1, nan], [2, 5]]
        nanvar(m, axis=0, ddof=2)   numpy [nan, nan]   h5lazy [inf, nan]
        nanstd(m, axis=0, ddof=3)   numpy [nan, nan]   h5lazy [inf, nan]
    (var/std without nan give inf there in both, as numpy's var.)
    """
    arrays = {"m": np.array([[1.0, np.nan], [2.0, 5.0]])}
    expect_numpy(tmp_path / "a.h5", arrays, "nanvar(m, axis=0, ddof=2)", Tol("sum"))
    expect_numpy(tmp_path / "b.h5", arrays, "nanstd(m, axis=0, ddof=3)", Tol("sum"))


def test_three_types_promote_as_numpy_result_type(tmp_path):
    """Regression test; the h5lazy results quoted are from before the fix.

    The common type of three or more inputs is computed pairwise from
    the left, so it depends on their order; numpy's (np.result_type) does
    not: int8, uint16 and float32 make float32.

        concat([a, b, c])   a int8 (2,), b uint16 (2,), c float32 (2,)
            numpy float32   h5lazy float64 (int8+uint16 -> int32, +float32 -> float64)
        stack([a, b, c]), clip(a, b, c) (int16/uint16 too): the same
        concat([c, a, b]) is float32 in both.
    """
    arrays = {"a": np.array([1, -2], np.int8), "b": np.array([3, 4], np.uint16),
              "c": np.array([0.5, 1.5], np.float32), "h": np.array([5, 6], np.int16)}
    for k, expr in enumerate(["concat([c, a, b])", "concat([a, b, c])", "stack([b, h, c])",
                              "clip(h, b, c)"]):
        expect_numpy(tmp_path / f"c{k}.h5", arrays, expr)


def test_ldexp_with_literals(tmp_path):
    """Regression test; the h5lazy results quoted are from before the fix.

    ldexp with an integer (or bool) literal: numpy's loops take the
    literal as an integer exponent; h5lazy gives it the float type of the
    mantissa and finds no loop, or types a literal mantissa differently.

        ldexp(x, 3)      x float32 (3,)   numpy float32 x * 8
                         h5lazy: "ufunc 'ldexp' did not contain a loop with
                         signature matching types (float32, float32)"
        ldexp(x, true)   same
        ldexp(u, -1)     u uint64: numpy float64 u / 2; h5lazy no loop
        ldexp(3, i)      i int32: numpy's float16 loop (float32 in h5lazy),
                         h5lazy float64
    """
    arrays = {"x": np.array([1.0, -2.5, 3.0], np.float32), "u": np.array([2, 4, 6], np.uint64),
              "i": np.array([0, 1, 2], np.int32)}
    for k, expr in enumerate(["ldexp(x, 3)", "ldexp(x, true)", "ldexp(u, -1)", "ldexp(3, i)"]):
        expect_numpy(tmp_path / f"l{k}.h5", arrays, expr)


def test_logical_functions_take_out_of_range_literals(tmp_path):
    """Regression test; the h5lazy results quoted are from before the fix.

    logical_and/or/xor with an integer literal outside the array's
    integer type: numpy computes (its logical loops take any integer, as its
    comparisons do), h5lazy refuses as it does for arithmetic.

        logical_and(a, -1)    a uint8 [0, 1, 2]   numpy [False, True, True]
            h5lazy: "integer literal -1 is out of bounds for uint8"
        logical_or(a, 300), logical_xor(128, i) (i int8): the same
    """
    arrays = {"a": np.array([0, 1, 2], np.uint8), "i": np.array([0, -1, 5], np.int8)}
    for k, expr in enumerate(["logical_and(a, -1)", "logical_or(a, 300)", "logical_xor(128, i)"]):
        expect_numpy(tmp_path / f"g{k}.h5", arrays, expr)


def test_float_to_uint64_out_of_range(tmp_path):
    """Regression test; the h5lazy results quoted are from before the fix.

    Floats at or above 2**64 (inf included) converted to uint64: numpy on
    x86-64 gives 0 (contiguous, strided and scalar alike), h5lazy gives
    2**63; the documentation promises numpy's x86-64 results. The same
    conversion makes reciprocal of a uint64 0 differ.

        astype(x, "uint64")   x float64 [inf, 1e20, 2**64, 1.0]
            numpy [0, 0, 0, 1]   h5lazy [2**63, 2**63, 2**63, 1]
        reciprocal(u)         u uint64 [0, 1]   numpy [0, 1]   h5lazy [2**63, 1]
    """
    arrays = {"x": np.array([np.inf, 1e20, 2.0**64, 1.0]), "u": np.array([0, 1], np.uint64)}
    expect_numpy(tmp_path / "a.h5", arrays, 'astype(x, "uint64")')
    expect_numpy(tmp_path / "b.h5", arrays, "reciprocal(u)")


def test_clip_with_an_out_of_range_bound(tmp_path):
    """Regression test; the h5lazy results quoted are from before the fix.

    numpy 2's clip accepts a Python integer bound outside the array's
    integer type (it clips the bound: a bound below the type's minimum
    clips nothing); h5lazy refuses it as an overflow.

        clip(a, -5, 100)   a uint8 [1, 2, 200]   numpy uint8 [1, 2, 100]
            h5lazy: "integer literal -5 is out of bounds for uint8"
        clip(a, 0, 1000)   numpy [1, 2, 200]
    """
    arrays = {"a": np.array([1, 2, 200], np.uint8)}
    expect_numpy(tmp_path / "a.h5", arrays, "clip(a, -5, 100)")
    expect_numpy(tmp_path / "b.h5", arrays, "clip(a, 0, 1000)")


def test_clip_without_bounds(tmp_path):
    """Regression test; the h5lazy results quoted are from before the fix.

    numpy 2 accepts clip with both bounds None (or left out) and returns
    the array; h5lazy refuses with "clip() needs a_min or a_max (or both)".

        clip(a, None, None)   a int32 [1, 5]   numpy int32 [1, 5]
        clip(a)               likewise
    """
    expect_numpy(tmp_path / "a.h5", {"a": np.array([1, 5], np.int32)}, "clip(a, None, None)")
    expect_numpy(tmp_path / "b.h5", {"a": np.array([1, 5], np.int32)}, "clip(a)")
