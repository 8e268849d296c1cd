"""numpy as the oracle: random expressions over random datasets, defined with
`h5lazy define`, read back with h5py through the connector and compared with
numpy evaluating the same expression on the full arrays.

The oracle is Python's own `eval` of the expression text with the operand
names bound to numpy arrays and the literals (true, false, nan, inf) bound to
Python scalars. Python scalars in numpy 2 are NEP 50 "weak" scalars, which is
exactly the typing h5lazy promises, so the oracle's dtype, shape and values
are what the virtual dataset must hold. The named functions are numpy's own
ufuncs: as in numpy, a call whose arguments are all literals gives a numpy
scalar of a strong type (add(1, 2) is an int64), while operators on literals
stay weak Python scalars.

Everything is generated from one fixed seed, so a failure names a case that
reproduces; the case's id and its assertion message give the expression,
the operand dtypes/shapes/layouts and the selection.
"""
import subprocess
import sys
import textwrap
import warnings
from concurrent.futures import ThreadPoolExecutor

import h5py
import numpy as np
import pytest

from conftest import assert_ok, define, env_with_connector, write_dataset

SEED = 0x5EED_1A2F
N_CASES = 600
N_FILES = 4  # cases are spread over this many files (defines run in parallel)
MAX_ELEMENTS = 2400  # per operand/result, keeps the whole file fast

DTYPES = ["bool", "int8", "uint8", "int16", "uint16", "int32", "uint32", "int64", "uint64",
          "float32", "float64"]

# Operators on literals are Python's; function calls are numpy's (so
# negative(8) is a numpy int64, a strong type, as in numpy).
ORACLE_NAMES = {
    "true": True, "false": False, "nan": float("nan"), "inf": float("inf"),
    "add": np.add, "subtract": np.subtract, "multiply": np.multiply,
    "divide": np.divide, "negative": np.negative, "positive": np.positive,
}


# ---------------------------------------------------------------------------
# random data


def random_values(rng, dtype, shape):
    """Values of `dtype`: often the full range of an integer type (integer
    arithmetic must wrap exactly like numpy's), often small numbers, and for
    floats a mix of magnitudes with special values (nan, +-inf, -0.0)."""
    dtype = np.dtype(dtype)
    if dtype == np.bool_:
        return rng.random(shape) < 0.5
    if dtype.kind in "iu":
        info = np.iinfo(dtype)
        if rng.random() < 0.5:
            return rng.integers(info.min, info.max, size=shape, dtype=dtype, endpoint=True)
        lo = max(int(info.min), -20)
        return rng.integers(lo, 21, size=shape).astype(dtype)
    scale = rng.choice([1.0, 1e3, 1e-3, 1e30])
    values = (rng.standard_normal(shape) * scale).astype(dtype)
    if values.size and rng.random() < 0.4:
        flat = values.reshape(-1)
        specials = np.array([np.nan, np.inf, -np.inf, -0.0, 0.0], dtype=dtype)
        k = int(rng.integers(1, min(5, flat.size) + 1))
        flat[rng.choice(flat.size, size=k, replace=False)] = rng.choice(specials, size=k)
    return np.asarray(values, dtype=dtype)


def random_result_shape(rng):
    rank = int(rng.choice([0, 1, 2, 3, 4], p=[0.1, 0.25, 0.3, 0.2, 0.15]))
    dims = [int(rng.choice([1, 2, 3, 4, 5, 6, 7, 9, 11, 13])) for _ in range(rank)]
    if rank and rng.random() < 0.06:
        dims[int(rng.integers(rank))] = 0
    while int(np.prod(dims, dtype=np.int64)) > MAX_ELEMENTS:
        k = int(np.argmax(dims))
        dims[k] = max(1, dims[k] // 2)
    return tuple(dims)


def operand_shape(rng, result_shape):
    """A shape that broadcasts to (a part of) result_shape: a suffix of it
    with some axes set to 1."""
    rank = len(result_shape)
    keep = rank if rng.random() < 0.6 else int(rng.integers(0, rank + 1))
    dims = list(result_shape[rank - keep:])
    for k in range(len(dims)):
        if rng.random() < 0.25:
            dims[k] = 1
    return tuple(dims)


def random_layout(rng, shape):
    """None (contiguous) or a chunk shape; chunk size 1 on every axis often."""
    if not shape or rng.random() < 0.3:
        return None
    if rng.random() < 0.25:
        return tuple(1 for _ in shape)
    return tuple(int(rng.integers(1, max(n, 1) + 1)) for n in shape)


# ---------------------------------------------------------------------------
# random expressions


class Reject(Exception):
    """A generated expression is outside what the oracle can judge."""


class Expr:
    """An expression rendered twice: for h5lazy and for Python's eval."""

    def __init__(self, h5, py, prec, has_array, has_bool_literal=False):
        self.h5, self.py, self.prec = h5, py, prec
        self.has_array, self.has_bool_literal = has_array, has_bool_literal


ATOM, UNARY, MUL, ADD = 4, 3, 2, 1
BINOPS = {"+": ("add", ADD), "-": ("subtract", ADD), "*": ("multiply", MUL), "/": ("divide", MUL)}
INT_LITERALS = ["0", "1", "2", "3", "5", "7", "10", "100", "127", "128", "200", "255", "256",
                "300", "1000", "32767", "40000", "65535", "70000", "2147483648", "4294967296"]
FLOAT_LITERALS = ["0.5", "1.5", "2.0", "0.1", "3.25", "1e3", "2.5e-3", "1e30", "1e300", "nan",
                  "inf", "0.0"]


def check_literal_only(e):
    """Literal-only subexpressions are folded by h5lazy with Python's
    semantics; keep the ones where Python's value is unambiguous (no bool
    arithmetic, no ZeroDivisionError, no huge integers)."""
    if e.has_array:
        return e
    if e.has_bool_literal:
        raise Reject
    try:
        value = eval(e.py, dict(ORACLE_NAMES))  # noqa: S307 - our own generated text
    except ZeroDivisionError:
        raise Reject from None
    if isinstance(value, int) and abs(value) >= 2**62:
        raise Reject
    return e


class ExprGen:
    def __init__(self, rng, operands):
        self.rng = rng
        self.operands = operands  # list of (python name, h5lazy spelling)
        self.used = set()  # python names of the operands in the expression

    def sp(self):
        return " " if self.rng.random() < 0.7 else ""

    def paren(self, e):
        return Expr("(" + e.h5 + ")", "(" + e.py + ")", ATOM, e.has_array, e.has_bool_literal)

    def leaf(self):
        rng = self.rng
        if rng.random() < 0.75:
            py, h5 = self.operands[int(rng.integers(len(self.operands)))]
            self.used.add(py)
            return Expr(h5, py, ATOM, True)
        r = rng.random()
        if r < 0.55:
            # Small ints most of the time so most cases are valid.
            text = str(int(rng.integers(0, 10))) if rng.random() < 0.7 else rng.choice(INT_LITERALS)
            return Expr(text, text, ATOM, False)
        if r < 0.85:
            text = str(rng.choice(FLOAT_LITERALS))
            return Expr(text, text, ATOM, False)
        text = str(rng.choice(["true", "false"]))
        return Expr(text, text, ATOM, False, True)

    def gen(self, depth):
        rng = self.rng
        if depth == 0 or rng.random() < 0.25:
            e = self.leaf()
        else:
            r = rng.random()
            if r < 0.55:
                e = self.binary(depth)
            elif r < 0.7:
                e = self.unary(depth)
            else:
                e = self.call(depth)
        if rng.random() < 0.07:
            e = self.paren(e)
        return e

    def binary(self, depth):
        # Fewer divisions: any int/int division makes the rest float64.
        op = str(self.rng.choice(list(BINOPS), p=[0.3, 0.3, 0.28, 0.12]))
        prec = BINOPS[op][1]
        left, right = self.gen(depth - 1), self.gen(depth - 1)
        # Left-associative: parenthesise a lower-precedence left operand, and
        # a right operand of lower or equal precedence.
        if left.prec < prec:
            left = self.paren(left)
        if right.prec <= prec:
            right = self.paren(right)
        s = self.sp()
        e = Expr(f"{left.h5}{s}{op}{s}{right.h5}", f"{left.py} {op} {right.py}", prec,
                 left.has_array or right.has_array, left.has_bool_literal or right.has_bool_literal)
        return check_literal_only(e)

    def unary(self, depth):
        op = str(self.rng.choice(["-", "+"]))
        x = self.gen(depth - 1)
        if x.prec < UNARY:
            x = self.paren(x)
        # "- -a" (with a space) exercises the lexer; "--a" would be fine for
        # Python but reads as a decrement-looking token, so keep the space.
        sep = " " if x.h5[0] in "+-" or self.rng.random() < 0.3 else ""
        e = Expr(f"{op}{sep}{x.h5}", f"{op}({x.py})", UNARY, x.has_array, x.has_bool_literal)
        return check_literal_only(e)

    def call(self, depth):
        rng = self.rng
        if rng.random() < 0.7:
            name = str(rng.choice(["add", "subtract", "multiply", "divide"], p=[0.3, 0.3, 0.28, 0.12]))
            x, y = self.gen(depth - 1), self.gen(depth - 1)
            e = Expr(f"{name}({x.h5},{self.sp()}{y.h5})", f"{name}({x.py}, {y.py})", ATOM,
                     x.has_array or y.has_array, x.has_bool_literal or y.has_bool_literal)
        else:
            name = str(rng.choice(["negative", "positive"]))
            x = self.gen(depth - 1)
            e = Expr(f"{name}({x.h5})", f"{name}({x.py})", ATOM, x.has_array, x.has_bool_literal)
        return check_literal_only(e)

    def expression(self):
        for _ in range(1000):
            self.used = set()
            try:
                e = self.gen(int(self.rng.integers(1, 5)))
            except Reject:
                continue
            if e.has_array:
                return e
        raise AssertionError("cannot generate an expression")


# ---------------------------------------------------------------------------
# the cases


class Operand:
    def __init__(self, name, dtype, shape, chunks, other_file):
        self.name, self.dtype, self.shape = name, dtype, shape
        self.chunks, self.other_file = chunks, other_file

    def describe(self):
        layout = f"chunks={self.chunks}" if self.chunks else "contiguous"
        where = " (other file)" if self.other_file else ""
        return f"{self.name}: {self.dtype}{self.shape} {layout}{where}"


class Case:
    def __init__(self, index):
        rng = np.random.default_rng([SEED, index])
        self.index = index
        self.file_no = index % N_FILES
        self.group = f"case{index:03d}"
        result_shape = random_result_shape(rng)
        nops = int(rng.integers(1, 4))
        self.operands = []
        spellings = []
        for k in range(nops):
            name = "abc"[k]
            shape = operand_shape(rng, result_shape)
            op = Operand(name, str(rng.choice(DTYPES)), shape, random_layout(rng, shape),
                         other_file=rng.random() < 0.1)
            self.operands.append(op)
            path = f"/{self.group}/{name}"
            if op.other_file:
                h5 = f'ds("other{self.file_no}.h5", "{path}")'
            else:
                h5 = str(rng.choice([name, name, name, f'ds("{path}")', f"ds('{path}')"]))
            spellings.append((name, h5))
        gen = ExprGen(rng, spellings)
        expr = gen.expression()
        self.expr, self.py_expr = expr.h5, expr.py
        self.used = [op for op in self.operands if op.name in gen.used]
        self.data_seed = int(rng.integers(2**32))
        self.vchunks = None
        if rng.random() < 0.15:
            # An explicit evaluation chunk (rank checked against the result).
            shape = np.broadcast_shapes(*(op.shape for op in self.used))
            if shape:
                self.vchunks = tuple(int(rng.integers(1, max(n, 1) + 1)) for n in shape)

    @property
    def vname(self):
        return f"{self.group}/v"

    def arrays(self):
        rng = np.random.default_rng(self.data_seed)
        return {op.name: random_values(rng, op.dtype, op.shape) for op in self.operands}

    def describe(self):
        ops = "; ".join(op.describe() for op in self.operands)
        chunks = f" --chunks {self.vchunks}" if self.vchunks else ""
        return f"case {self.index}: {self.expr!r}{chunks} over {ops}"


CASES = [Case(i) for i in range(N_CASES)]


def oracle(expr, arrays):
    """numpy's result for the expression, or the exception numpy raises."""
    names = dict(ORACLE_NAMES)
    names.update(arrays)
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            return np.asarray(eval(expr, {"__builtins__": {}}, names)), None  # noqa: S307
        except (OverflowError, TypeError) as exc:
            return None, exc


def default_chunks(shape, dtype):
    """h5lazy's documented default evaluation chunk (~1 MiB blocks)."""
    target, nbytes = 1 << 20, np.dtype(dtype).itemsize
    chunks = [0] * len(shape)
    for k in range(len(shape) - 1, -1, -1):
        d = shape[k] or 1
        fit = 1 if nbytes >= target else target // nbytes
        chunks[k] = min(d, fit)
        nbytes *= chunks[k]
    return tuple(chunks)


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """Write every case's operands, define every virtual dataset; returns
    {index: (case, arrays, expected, numpy exception, define process)}."""
    d = tmp_path_factory.mktemp("oracle")
    results = {}
    for case in CASES:
        arrays = case.arrays()
        expected, exc = oracle(case.py_expr, arrays)
        results[case.index] = [case, arrays, expected, exc, None]
    for file_no in range(N_FILES):
        with h5py.File(d / f"main{file_no}.h5", "w") as main, \
                h5py.File(d / f"other{file_no}.h5", "w") as other:
            for case in CASES[file_no::N_FILES]:
                arrays = results[case.index][1]
                # The group of the virtual dataset exists even when all
                # operands are in the other file (see test_tools.py's
                # test_bug_define_creates_missing_groups).
                main.require_group(case.group)
                for op in case.operands:
                    f = other if op.other_file else main
                    data = arrays[op.name]
                    name = f"{case.group}/{op.name}"
                    if op.chunks is None:
                        f.create_dataset(name, data=data)
                    else:
                        maxshape = tuple(None if n == 0 else n for n in data.shape)
                        f.create_dataset(name, data=data, chunks=op.chunks, maxshape=maxshape)

    def define_all(file_no):
        for case in CASES[file_no::N_FILES]:
            extra = ["--chunks", ",".join(map(str, case.vchunks))] if case.vchunks else []
            results[case.index][4] = define(d / f"main{file_no}.h5", case.vname, case.expr, *extra)

    with ThreadPoolExecutor(max_workers=2) as pool:
        list(pool.map(define_all, range(N_FILES)))
    return d, results


def selections(rng, shape):
    """Random h5py selections for a dataset of this shape: (label, key)."""
    out = [("full [...]", Ellipsis)]
    if len(shape) == 0:
        out.append(("scalar [()]", ()))
        return out
    if 0 in shape:
        return out

    def rand_slice(n):
        start = int(rng.integers(0, n))
        stop = int(rng.integers(start + 1, n + 1))
        step = int(rng.choice([1, 2, 3, 4]))
        return slice(start if rng.random() < 0.8 else None, stop if rng.random() < 0.8 else None,
                     step)

    def rand_index(n):
        i = int(rng.integers(0, n))
        return i - n if rng.random() < 0.3 else i  # negative indices too

    out.append(("strided slices", tuple(rand_slice(n) for n in shape)))
    key = tuple(rand_index(n) if rng.random() < 0.4 else rand_slice(n) for n in shape)
    out.append(("integers and slices", key))
    out.append(("single element", tuple(rand_index(n) for n in shape)))
    axis = int(rng.integers(len(shape)))
    n = shape[axis]
    picks = sorted(rng.choice(n, size=int(rng.integers(1, n + 1)), replace=False).tolist())
    key = tuple(picks if k == axis else (rand_slice(m) if rng.random() < 0.5 else slice(None))
                for k, m in enumerate(shape))
    out.append(("increasing index list", key))
    mask = rng.random(shape) < 0.4
    mask.reshape(-1)[int(rng.integers(mask.size))] = True
    out.append(("boolean mask", mask))
    return out


def astype_target(dtype):
    """A memory type HDF5 converts to exactly as numpy's astype does."""
    dtype = np.dtype(dtype)
    return {
        "b": None,  # HDF5 has no conversion from its bool enum to numbers
        "i": "float64" if dtype.itemsize == 8 else "int64",
        "u": "float64" if dtype.itemsize == 8 else "uint64",
        "f": "float32" if dtype.itemsize == 8 else "float64",
    }[dtype.kind]


def assert_same(got, want, what):
    got, want = np.asarray(got), np.asarray(want)
    assert got.dtype == want.dtype, f"{what}: dtype {got.dtype}, numpy {want.dtype}"
    assert got.shape == want.shape, f"{what}: shape {got.shape}, numpy {want.shape}"
    # Elementwise in the same type as numpy: bit-identical, including floats
    # (nan positions must agree; -0.0 == 0.0).
    np.testing.assert_array_equal(got, want, err_msg=what, strict=True)


def check_case(built, index):
    d, results = built
    case, arrays, expected, exc, proc = results[index]
    what = case.describe()
    if exc is not None:
        # numpy refuses the expression: h5lazy must refuse to define it.
        assert proc.returncode == 1, f"{what}: numpy raised {exc!r} but define gave " \
                                     f"{proc.returncode}: {proc.stdout}{proc.stderr}"
        assert proc.stderr.startswith("h5lazy define: error: cannot define "), proc.stderr
        if isinstance(exc, OverflowError):
            assert "is out of bounds for" in proc.stderr, proc.stderr
        else:
            assert "numpy boolean" in proc.stderr or "did not contain a loop" in proc.stderr, proc.stderr
        with h5py.File(d / f"main{case.file_no}.h5", "r") as f:
            assert case.vname not in f, f"{what}: a failed define left {case.vname} behind"
        return
    assert proc.returncode == 0, f"{what}: define failed: {proc.stderr}"
    shape_text = ", ".join(map(str, expected.shape)) + ("," if expected.ndim == 1 else "")
    assert proc.stdout == f"{case.vname}: {expected.dtype} ({shape_text}) = {case.expr}\n"
    rng = np.random.default_rng([SEED, index, 1])
    with h5py.File(d / f"main{case.file_no}.h5", "r") as f:
        v = f[case.vname]
        assert v.dtype == expected.dtype, f"{what}: dtype {v.dtype}, numpy {expected.dtype}"
        assert v.shape == expected.shape, f"{what}: shape {v.shape}, numpy {expected.shape}"
        assert v.attrs["h5lazy_expression"] == case.expr
        # The chunk shape readers see.
        if expected.ndim == 0:
            assert v.chunks is None
        elif case.vchunks:
            assert v.chunks == case.vchunks, what
        else:
            same = [op.chunks for op in case.used if op.shape == expected.shape and op.chunks]
            if same:
                assert v.chunks in same, f"{what}: chunks {v.chunks}, operands {same}"
            else:
                assert v.chunks == default_chunks(expected.shape, expected.dtype), what
        for label, key in selections(rng, expected.shape):
            assert_same(v[key], expected[key], f"{what}; {label} {key!r}")
        if expected.ndim and 0 not in expected.shape:
            # read_direct of a strided selection into a bigger array, at an
            # offset; the rest of the array stays as it was.
            dest = np.full(tuple(n + 3 for n in expected.shape), 1, dtype=expected.dtype)
            want = dest.copy()
            src_sel = tuple(slice(0, n) if n < 2 else slice(1, n, 2) for n in expected.shape)
            count = [len(range(*s.indices(n))) for s, n in zip(src_sel, expected.shape)]
            dest_sel = tuple(slice(2, 2 + c) for c in count)
            want[dest_sel] = expected[src_sel]
            v.read_direct(dest, np.s_[src_sel], np.s_[dest_sel])
            assert_same(dest, want, f"{what}; read_direct {src_sel} -> {dest_sel}")
        target = astype_target(expected.dtype)
        if target:
            with np.errstate(all="ignore"), warnings.catch_warnings():
                warnings.simplefilter("ignore")
                want = expected.astype(target)
            assert_same(v.astype(target)[...], want, f"{what}; astype({target})")
            if expected.ndim and 0 not in expected.shape:
                key = tuple(slice(None, None, 2) for _ in expected.shape)
                assert_same(v.astype(target)[key], want[key], f"{what}; astype({target})[::2]")


@pytest.mark.parametrize("index", [c.index for c in CASES], ids=lambda i: f"case{i:03d}")
def test_random_expression(built, index):
    check_case(built, index)


SWEEP_READER = textwrap.dedent("""
    import sys, h5py, numpy as np
    out, names = sys.argv[1], sys.argv[2:]
    results = {}
    for spec in names:
        path, name = spec.split(":")
        with h5py.File(path, "r") as f:
            d = f[name]
            results[name + "/full"] = d[...]
            if d.ndim and 0 not in d.shape:
                results[name + "/strided"] = d[tuple(slice(None, None, 2) for _ in d.shape)]
    np.savez(out, **results)
""")


def test_random_cases_with_tiny_memory_budget(built, tmp_path):
    """Every valid random case read again by a process whose connector may
    use only 4 KiB: evaluated in many small pieces, the same numbers."""
    d, results = built
    specs, wanted = [], {}
    for index, (case, _, expected, exc, proc) in results.items():
        if exc is None and proc.returncode == 0:
            specs.append(f"{d / f'main{case.file_no}.h5'}:{case.vname}")
            wanted[case.vname] = (case, expected)
    assert len(specs) > N_CASES // 2
    out = tmp_path / "sweep.npz"
    proc = subprocess.run([sys.executable, "-c", SWEEP_READER, str(out), *specs],
                          capture_output=True, text=True, env=env_with_connector("4KiB"),
                          timeout=600)
    assert_ok(proc)
    got = np.load(out)
    for name, (case, expected) in wanted.items():
        assert_same(got[name + "/full"], expected, f"{case.describe()}; memory=4KiB")
        if expected.ndim and 0 not in expected.shape:
            key = tuple(slice(None, None, 2) for _ in expected.shape)
            assert_same(got[name + "/strided"], expected[key],
                        f"{case.describe()}; [::2, ...] with memory=4KiB")


def test_case_mix_covers_the_space():
    """The generated cases do cover what they are meant to (guards against
    a generator change silently narrowing the suite)."""
    shapes = [np.broadcast_shapes(*(op.shape for op in c.used)) for c in CASES]
    ranks = {len(s) for s in shapes}
    assert ranks == {0, 1, 2, 3, 4}
    assert any(0 in s for s in shapes)
    assert any(1 in s for s in shapes)
    ops = [op for c in CASES for op in c.operands]
    assert {op.dtype for op in ops} == set(DTYPES)
    assert any(op.chunks is None and op.shape for op in ops)
    assert any(op.chunks and len(op.chunks) >= 2 and set(op.chunks) == {1} for op in ops)
    assert any(op.other_file for op in ops)
    assert sum(len({op.shape for op in c.used}) > 1 for c in CASES) > N_CASES // 8  # broadcasting
    texts = " ".join(c.expr for c in CASES)
    for token in ["+", "-", "*", "/", "add(", "subtract(", "multiply(", "divide(", "negative(",
                  "positive(", "ds(", "nan", "inf", "true", "false", "e3", "("]:
        assert token in texts, token
    failing = sum(oracle(c.py_expr, c.arrays())[1] is not None for c in CASES)
    assert 0 < failing < N_CASES // 3, failing


# ---------------------------------------------------------------------------
# hand-written cases: the promotion rules named in the documentation


TYPED = [
    # (expression, operand dtypes a, b) -> numpy decides the result
    ("a + 1", "int8", None),
    ("a + 1.5", "int8", None),
    ("a * 2.0", "float32", None),
    ("a + 1", "bool", None),
    ("a / b", "int16", "int16"),
    ("a / 2", "uint64", None),
    ("a + b", "int64", "uint64"),
    ("a + b", "uint8", "int8"),
    ("a * b", "float32", "int16"),
    ("a * b", "float32", "int32"),
    ("a + b", "bool", "bool"),
    ("a * b", "bool", "bool"),
    ("a / b", "bool", "bool"),
    ("-a", "uint32", None),
    ("-a", "int8", None),
    ("a - 300", "int16", None),
    ("a + true", "uint16", None),
    ("a + (2 * 3)", "uint8", None),
    ("a + 7 / 2", "int32", None),
    ("a * 1e300 * 1e300", "float64", None),
    ("a * 16777217", "float32", None),
    ("a + b * 3 - a / 4", "uint16", "float32"),
    ("a - b - a", "int32", "int32"),
    ("a / b / 3", "float64", "float32"),
    ("- -a", "int64", None),
]


@pytest.mark.parametrize("expr,ta,tb", TYPED, ids=[f"{e} [{a},{b}]" for e, a, b in TYPED])
def test_documented_promotion(tmp_path, expr, ta, tb):
    rng = np.random.default_rng([SEED, 7])
    arrays = {"a": random_values(rng, ta, (4, 5))}
    if tb:
        arrays["b"] = random_values(rng, tb, (5,))
    f = tmp_path / "t.h5"
    for name, data in arrays.items():
        write_dataset(f, name, data, chunks=(2,) * data.ndim)
    want, exc = oracle(expr, arrays)
    assert exc is None, exc
    assert_ok(define(f, "v", expr))
    with h5py.File(f, "r") as h:
        assert_same(h["v"][...], want, expr)


@pytest.mark.parametrize("expr,ta,message", [
    ("a + 300", "uint8", "integer literal 300 is out of bounds for uint8"),
    ("a * -1", "uint8", "integer literal -1 is out of bounds for uint8"),
    ("a + 128", "int8", "integer literal 128 is out of bounds for int8"),
    ("a - -1", "uint64", "integer literal -1 is out of bounds for uint64"),
    ("(a + 1) * 70000", "uint16", "integer literal 70000 is out of bounds for uint16"),
    ("a - a", "bool", "numpy boolean subtract, the `-` operator, is not supported"),
    ("-a", "bool", "numpy boolean negative, the `-` operator, is not supported"),
    ("subtract(a, true)", "bool", "numpy boolean subtract, the `-` operator, is not supported"),
    ("positive(a)", "bool", "ufunc 'positive' did not contain a loop with signature matching types (bool)"),
])
def test_numpy_refuses_so_define_fails(tmp_path, expr, ta, message):
    arrays = {"a": random_values(np.random.default_rng(3), ta, (3,))}
    _, exc = oracle(expr, arrays)
    assert isinstance(exc, (OverflowError, TypeError)), f"numpy accepted {expr} over {ta}"
    f = tmp_path / "t.h5"
    write_dataset(f, "a", arrays["a"])
    proc = define(f, "v", expr)
    assert proc.returncode == 1, proc
    assert proc.stdout == ""
    assert proc.stderr.startswith(f"h5lazy define: error: cannot define 'v': {message}"), proc.stderr
    with h5py.File(f, "r") as h:
        assert "v" not in h


@pytest.mark.parametrize("expr,dtype", [("3", "int64"), ("1.5", "float64"), ("2 * 3 - 1", "int64"),
                                        ("7 / 2", "float64"), ("-(4)", "int64"),
                                        ("1e3 * 2", "float64"), ("false", "bool")])
def test_constant_expressions(tmp_path, expr, dtype):
    """An expression without operands is a 0-d dataset of the literal's
    default numpy type."""
    f = tmp_path / "t.h5"
    want = np.asarray(eval(expr, dict(ORACLE_NAMES)))  # noqa: S307
    assert want.dtype == dtype
    assert_ok(define(f, "k", expr))
    with h5py.File(f, "r") as h:
        assert_same(h["k"][()], want, expr)
        assert h["k"].shape == ()


# ---------------------------------------------------------------------------
# a tiny evaluation budget: many small pieces, the same numbers


BUDGET_READER = textwrap.dedent("""
    import sys, h5py, numpy as np
    path, out = sys.argv[1], sys.argv[2]
    results = {}
    with h5py.File(path, "r") as f:
        for name in ("v1", "v2", "v3", "v4"):
            d = f[name]
            results[name] = d[...]
            results[name + "_strided"] = d[tuple(slice(1, None, 3) for _ in d.shape)]
            results[name + "_row"] = d[d.shape[0] // 2]
            results[name + "_mask"] = d[np.arange(d.size).reshape(d.shape) % 7 == 3]
    np.savez(out, **results)
""")

BUDGET_EXPRS = {
    "v1": "a * 2.5 - b / 3",        # float32 (300, 331) with float64 (331,)
    "v2": "c * c + 77 - c",         # uint8 (40, 50, 50), wraps
    "v3": "negative(d) * e + d",    # int16 (331,) x int32 (300, 1): broadcasting
    "v4": "g * 3 - a / (b + 1)",    # int64 x float32 x float64
}


def test_tiny_memory_budget(tmp_path):
    rng = np.random.default_rng([SEED, 99])
    arrays = {
        "a": random_values(rng, "float32", (300, 331)),
        "b": random_values(rng, "float64", (331,)),
        "c": random_values(rng, "uint8", (40, 50, 50)),
        "d": random_values(rng, "int16", (331,)),
        "e": random_values(rng, "int32", (300, 1)),
        "g": random_values(rng, "int64", (300, 331)),
    }
    chunks = {"a": (7, 13), "b": None, "c": (1, 50, 50), "d": (100,), "e": None, "g": (300, 1)}
    exprs = BUDGET_EXPRS
    f = tmp_path / "big.h5"
    for name, data in arrays.items():
        write_dataset(f, name, data, chunks=chunks[name])
    for name, expr in exprs.items():
        assert_ok(define(f, name, expr))
    out = tmp_path / "budget.npz"
    proc = subprocess.run([sys.executable, "-c", BUDGET_READER, str(f), str(out)],
                          capture_output=True, text=True, env=env_with_connector("4KiB"),
                          timeout=300)
    assert_ok(proc)
    small = np.load(out)
    with h5py.File(f, "r") as h:
        for name, expr in exprs.items():
            want, exc = oracle(expr, arrays)
            assert exc is None
            assert want.size >= 99000
            default = h[name][...]
            assert_same(default, want, f"{name} = {expr}, default budget")
            assert_same(small[name], want, f"{name} = {expr}, memory=4KiB")
            key = tuple(slice(1, None, 3) for _ in want.shape)
            assert_same(small[name + "_strided"], want[key], f"{name} strided, memory=4KiB")
            assert_same(small[name + "_row"], want[want.shape[0] // 2], f"{name} row, memory=4KiB")
            mask = np.arange(want.size).reshape(want.shape) % 7 == 3
            assert_same(small[name + "_mask"], want[mask], f"{name} mask, memory=4KiB")


# ---------------------------------------------------------------------------
# Regressions: expressions where h5lazy once disagreed with numpy.


def define_and_read(tmp_path, expr, dtype, values):
    f = tmp_path / "bug.h5"
    write_dataset(f, "a", np.array(values, dtype=dtype))
    proc = define(f, "v", expr)
    if proc.returncode:
        return proc, None
    with h5py.File(f, "r") as h:
        return proc, h["v"][...]


@pytest.mark.parametrize("expr", ["a + (true + true)", "a + (true - true)", "a * -true"])
def test_literals_fold_with_python_semantics(tmp_path, expr):
    """Literals combined with each other follow Python: True + True is the
    int 2, True - True is 0, -True is -1. h5lazy 0.1.0 folded them with
    numpy's bool loops: `a + (true + true)` over int8 [1, 2] gave [2, 3]
    instead of numpy's [3, 4], and refused the other two."""
    arrays = {"a": np.array([1, 2], dtype=np.int8)}
    want, exc = oracle(expr, arrays)
    assert exc is None
    proc, got = define_and_read(tmp_path, expr, "int8", [1, 2])
    assert proc.returncode == 0, f"{expr} over int8: numpy gives {want!r}; h5lazy: {proc.stderr}"
    assert_same(got, want, f"{expr} over int8 [1, 2]")


@pytest.mark.parametrize("expr,dtype", [
    ("a + (4611686018427387904 * 4)", "int64"),     # 2**64: numpy OverflowError
    ("a + (9223372036854775807 + 1)", "uint64"),    # 2**63 fits uint64
    ("a + -9223372036854775808", "int64"),          # INT64_MIN fits int64
])
def test_integer_literals_are_python_ints(tmp_path, expr, dtype):
    """Integer literals are Python ints until they meet an array. h5lazy
    0.1.0 folded literal-only subexpressions in int64, which wrapped
    silently (4611686018427387904 * 4 became 0, where numpy raises
    OverflowError) and refused 2**63 next to uint64 and -2**63 next to
    int64, both valid in numpy."""
    arrays = {"a": np.array([1, 2], dtype=dtype)}
    want, exc = oracle(expr, arrays)
    proc, got = define_and_read(tmp_path, expr, dtype, [1, 2])
    if exc is not None:
        assert proc.returncode == 1, f"{expr} over {dtype}: numpy raised {exc!r}; h5lazy read {got!r}"
        assert "out of bounds" in proc.stderr or "does not fit" in proc.stderr, proc.stderr
    else:
        assert proc.returncode == 0, f"{expr} over {dtype}: numpy gives {want!r}; h5lazy: {proc.stderr}"
        assert_same(got, want, f"{expr} over {dtype} [1, 2]")
