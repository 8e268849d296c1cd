"""numpy as the oracle for issue 13's scans, differences, windows, weighted
means and picking: cumsum, cumprod, nancumsum, nancumprod, diff,
sliding_window_view (and reductions over its window axes), average, take
and integer-list indexing, over every dtype, random shapes (0-d and empty
ones included), random chunkings (chunks of one included) and random
selections, NaN and +-inf among the values; defined with `h5lazy define`,
read back with h5py through the connector.

Scans, diff, take, index lists and windows are compared bit for bit
(numpy's accumulate is sequential, and so is h5lazy's). Reductions over
window axes and average are float sums: they take the documented tolerance
of reductions (test_language_oracle's 'sum' tolerance), since h5lazy sums
in double with compensation where numpy sums pairwise (or, for windows of
up to 8, sequentially) in the input's type. Where numpy refuses the text,
define must refuse it too; where numpy refuses average's zero weights,
h5lazy defines the dataset and a read fails with its own message.

Also here: nancumsum over a CF-decoded operand with missing values, and
a strip walk over a cumsum through h5py that is checked against numpy.
"""
import warnings
import zlib

import h5py
import numpy as np
import pytest
from numpy.lib.stride_tricks import sliding_window_view

from conftest import define, write_dataset
from test_h5py_oracle import DTYPES, random_layout, random_values, selections
from test_language_oracle import NAMES, Operand, Tol, assert_matches, build_and_read, small_shape

SEED = 0x13B_5CA7
N_FILES = 4
DEFINE_WORKERS = 3

ORACLE = dict(NAMES)
ORACLE.update({"cumsum": np.cumsum, "cumprod": np.cumprod, "nancumsum": np.nancumsum,
               "nancumprod": np.nancumprod, "diff": np.diff, "take": np.take, "average": np.average,
               "sliding_window_view": sliding_window_view})
NUMPY_ERRORS = (TypeError, ValueError, IndexError)


def oracle(expr, arrays):
    names = dict(ORACLE)
    names.update(arrays)
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            return np.asarray(eval(expr, {"__builtins__": {}}, names)), None  # noqa: S307
        except (*NUMPY_ERRORS, ZeroDivisionError) as exc:
            return None, exc


class Case:
    def __init__(self, kind, expr, operands, tol=None):
        self.kind, self.expr, self.operands, self.tol = kind, expr, operands, tol
        self.want, self.exc = oracle(expr, {op.name: op.data for op in operands})
        self.id = None

    @property
    def vname(self):
        return f"{self.id}/v"

    def describe(self):
        ops = "; ".join(op.describe() for op in self.operands)
        return f"{self.id}: {self.expr!r} over {ops}"


def operand(rng, name, dtype, shape, specials=True):
    data = random_values(rng, dtype, shape)
    if not specials and data.dtype.kind == "f":
        data = np.nan_to_num(data, nan=0.5, posinf=2.0, neginf=-2.0)
    return Operand(name, data, random_layout(rng, shape))


def axis_text(rng, rank, none_ok=True):
    """An axis argument: None, a valid axis (negative too), or now and then
    one out of bounds."""
    if none_ok and rng.random() < 0.3:
        return "None"
    if rng.random() < 0.06:
        return str(max(rank, 1) + int(rng.integers(0, 2)))
    n = max(rank, 1)
    ax = int(rng.integers(-n, n))
    return str(ax)


def scan_cases(rng):
    cases = []
    for fname in ["cumsum", "cumprod", "nancumsum", "nancumprod"]:
        for dtype in DTYPES:
            for _ in range(6):
                shape = small_shape(rng, max_elements=120)
                x = operand(rng, "x", dtype, shape)
                if fname.endswith("prod") and dtype.startswith("float"):
                    # products of random floats under- or overflow at once; values near 1 keep them alive
                    x.data = np.where(np.isfinite(x.data), 1 + x.data / 64, x.data).astype(dtype)
                args = ["x"]
                ax = axis_text(rng, len(shape))
                if ax != "None" or rng.random() < 0.5:
                    args.append(f"axis={ax}")
                if rng.random() < 0.15:
                    args.append(f'dtype="{rng.choice(["int8", "uint16", "int64", "float32", "float64"])}"')
                cases.append(Case("scan", f"{fname}({', '.join(args)})", [x]))
    return cases


def diff_cases(rng):
    cases = []
    for dtype in DTYPES:
        for _ in range(6):
            shape = small_shape(rng)
            x = operand(rng, "x", dtype, shape)
            n = int(rng.choice([0, 1, 1, 2, 3, 9, -1], p=[0.1, 0.3, 0.2, 0.15, 0.1, 0.1, 0.05]))
            args = ["x"] + ([f"n={n}"] if n != 1 or rng.random() < 0.3 else [])
            if rng.random() < 0.6:
                args.append(f"axis={axis_text(rng, len(shape), none_ok=False)}")
            cases.append(Case("diff", f"diff({', '.join(args)})", [x]))
    return cases


def index_list(rng, n, bad=0.05):
    """A list of indices into an axis of extent n: repeated, unsorted,
    negative, runs, sometimes empty or out of range."""
    if n == 0 or rng.random() < 0.05:
        return [] if rng.random() < 0.7 or n == 0 else [n]
    k = int(rng.integers(1, 7))
    if rng.random() < 0.3:  # a run
        start = int(rng.integers(0, n))
        idx = list(range(start, min(n, start + k)))
    else:
        idx = [int(rng.integers(-n, n)) for _ in range(k)]
    if rng.random() < bad:
        idx[int(rng.integers(len(idx)))] = int(rng.choice([n, -n - 1, n + 5]))
    return idx


def take_cases(rng):
    cases = []
    for dtype in DTYPES:
        for _ in range(6):
            shape = small_shape(rng)
            x = operand(rng, "x", dtype, shape)
            ax = axis_text(rng, len(shape))
            extent = int(np.prod(shape, dtype=np.int64)) if ax == "None" else \
                (shape[int(ax)] if shape and -len(shape) <= int(ax) < len(shape) else 1)
            idx = index_list(rng, extent)
            which = str(idx) if rng.random() < 0.85 or not idx else str(idx[0])
            tail = "" if ax == "None" and rng.random() < 0.5 else f", axis={ax}"
            cases.append(Case("take", f"take(x, {which}{tail})", [x]))
    return cases


def subscript_cases(rng):
    """x[...] with one integer list among slices, integers, None and '...'."""
    cases = []
    for dtype in DTYPES:
        for _ in range(6):
            shape = small_shape(rng)
            if not shape:
                shape = (3,)
            x = operand(rng, "x", dtype, shape)
            at = int(rng.integers(len(shape)))
            subs = []
            for k, n in enumerate(shape):
                if k == at:
                    subs.append(str(index_list(rng, n)))
                elif rng.random() < 0.35 and n:
                    subs.append(str(int(rng.integers(-n, n))))
                elif rng.random() < 0.5:
                    a, b = sorted(int(v) for v in rng.integers(-n - 1, n + 2, size=2))
                    subs.append(f"{a}:{b}:{int(rng.choice([1, 2, -1]))}")
                else:
                    subs.append(":")
            if rng.random() < 0.2:
                subs.insert(int(rng.integers(len(subs) + 1)), "None")
            if rng.random() < 0.2 and len(subs) > 1:  # trailing axes through '...'
                k = max(i for i, s in enumerate(subs) if s.startswith("[")) + 1
                subs = subs[:k] + ["..."]
            cases.append(Case("subscript", f"x[{', '.join(subs)}]", [x]))
    return cases


def window_cases(rng):
    cases = []
    for dtype in DTYPES:
        for _ in range(5):
            shape = small_shape(rng, max_elements=80, max_rank=3)
            x = operand(rng, "x", dtype, shape)
            if not shape or rng.random() < 0.2:
                wins = [int(rng.integers(0, n + 2)) for n in shape]
                expr = f"sliding_window_view(x, {tuple(wins) if len(wins) != 1 else wins[0]})"
            else:
                k = int(rng.integers(1, min(2, len(shape)) + 1))
                axes = [int(rng.integers(-len(shape), len(shape))) for _ in range(k)]
                wins = [int(rng.integers(0, shape[a] + 2)) for a in axes]
                if k == 1:
                    expr = f"sliding_window_view(x, {wins[0]}, axis={axes[0]})"
                else:
                    expr = f"sliding_window_view(x, {tuple(wins)}, axis={tuple(axes)})"
            if shape and rng.random() < 0.4:
                red = str(rng.choice(["sum", "mean", "max", "nanmin", "count", "any"]))
                expr = f"{red}({expr}, axis=-1)"
                inexact = red in ("sum", "mean") and (dtype.startswith("float") or red == "mean")
                cases.append(Case("window", expr, [x], Tol("sum", atol_scale=1e3) if inexact else None))
            else:
                cases.append(Case("window", expr, [x]))
    # running means of a longer series: the budget-bound path
    for k in range(6):
        x = operand(rng, "x", "float64", (200, 3), specials=False)
        w = int(rng.choice([2, 5, 9, 30]))
        cases.append(Case("window", f"mean(sliding_window_view(x, {w}, axis=0), axis=-1)", [x],
                          Tol("sum", atol_scale=1e3)))
    return cases


def average_cases(rng):
    cases = []
    for dtype in DTYPES:
        for _ in range(5):
            shape = small_shape(rng, max_rank=3)
            if not shape:
                shape = (4,)
            x = operand(rng, "x", dtype, shape, specials=False)
            wtype = str(rng.choice(["float64", "float32", "int16", "uint8", "bool"]))
            form = rng.random()
            if form < 0.25:
                cases.append(Case("average", f"average(x, axis={axis_text(rng, len(shape))})", [x],
                                  Tol("sum", atol_scale=1e3)))
                continue
            if form < 0.5:
                w = operand(rng, "w", wtype, shape, specials=False)
                ax = axis_text(rng, len(shape))
            else:
                a = int(rng.integers(len(shape)))
                n = shape[a] if rng.random() < 0.9 else shape[a] + 1
                w = operand(rng, "w", wtype, (n,), specials=False)
                ax = str(a - len(shape) if rng.random() < 0.3 else a)
            if w.data.dtype.kind == "f":
                w.data = np.abs(w.data) + np.asarray(0.5, w.data.dtype)  # keep sums away from 0
            keep = ", keepdims=True" if rng.random() < 0.2 else ""
            cases.append(Case("average", f"average(x, axis={ax}, weights=w{keep})", [x, w],
                              Tol("sum", atol_scale=1e3)))
    # area weights, the daily bread
    lat = np.linspace(-87.5, 87.5, 8)
    for _ in range(3):
        x = operand(rng, "x", "float32", (3, 8, 5), specials=False)
        cases.append(Case("average", "average(x, axis=1, weights=cos(deg2rad(lat)))",
                          [x, Operand("lat", lat, None)], Tol("sum", atol_scale=1e3)))
    return cases


def all_cases():
    cases = []
    for k, make in enumerate([scan_cases, diff_cases, take_cases, subscript_cases, window_cases,
                              average_cases]):
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
    with h5py.File(path, "r") as f:
        for case in cases:
            entry = out[case.id]
            entry["present"] = case.vname in f
            if not entry["present"]:
                continue
            v = f[case.vname]
            entry["dtype"], entry["shape"] = v.dtype, v.shape
            reads = []
            rng = np.random.default_rng([SEED, zlib.crc32(case.id.encode())])
            shape = v.shape
            for label, key in selections(rng, shape)[:4]:
                try:
                    reads.append((label, key, v[key], None))
                except Exception as exc:  # noqa: BLE001 - reported by the test
                    reads.append((label, key, None, exc))
            entry["reads"] = reads


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    return build_and_read(tmp_path_factory.mktemp("scan"), "scan", CASES,
                          lambda case: [(op.name, op.data, op.chunks) for op in case.operands], read_all,
                          N_FILES, DEFINE_WORKERS)


def check(built, case_id):
    case = BY_ID[case_id]
    r = built[case_id]
    proc, what = r["proc"], case.describe()
    if isinstance(case.exc, ZeroDivisionError):  # numpy: weights summing to zero; h5lazy: at read time
        assert proc.returncode == 0, f"{what}: {proc.stderr}"
        label, key, got, exc = r["reads"][0]
        assert exc is not None, f"{what}: zero weights read as {got!r}"
        assert "the weights sum to zero, so they cannot be normalized" in str(exc), f"{what}: {exc}"
        return
    if case.exc is not None:
        assert proc.returncode == 1, (f"{what}: numpy raised {case.exc!r} but define gave "
                                      f"{proc.returncode}: {proc.stdout}{proc.stderr}")
        assert proc.stderr.startswith(f"h5lazy define: error: cannot define '{case.vname}': "), proc.stderr
        assert not r["present"], f"{what}: a failed define left {case.vname} behind"
        return
    assert proc.returncode == 0, f"{what}: numpy gives {case.want.dtype}{case.want.shape}; " \
                                 f"define failed: {proc.stderr}"
    want = case.want
    assert r["dtype"] == want.dtype, f"{what}: dtype {r['dtype']}, numpy {want.dtype}"
    assert r["shape"] == want.shape, f"{what}: shape {r['shape']}, numpy {want.shape}"
    for label, key, got, exc in r["reads"]:
        assert exc is None, f"{what}; {label} {key!r}: read failed: {exc}"
        assert_matches(got, want[key], case.tol, f"{what}; {label} {key!r}")
        if case.tol is None and want.dtype.kind == "f":  # bit for bit: the sign of zeros too
            g, w = np.asarray(got), np.asarray(want[key])
            same = np.signbit(g) == np.signbit(w)
            assert (same | np.isnan(w)).all(), f"{what}; {label} {key!r}: signs of zeros differ"


def ids(kind):
    return [c.id for c in CASES if c.kind == kind]


@pytest.mark.parametrize("case_id", ids("scan"))
def test_scans(built, case_id):
    check(built, case_id)


@pytest.mark.parametrize("case_id", ids("diff"))
def test_diff(built, case_id):
    check(built, case_id)


@pytest.mark.parametrize("case_id", ids("take"))
def test_take(built, case_id):
    check(built, case_id)


@pytest.mark.parametrize("case_id", ids("subscript"))
def test_integer_list_subscripts(built, case_id):
    check(built, case_id)


@pytest.mark.parametrize("case_id", ids("window"))
def test_windows(built, case_id):
    check(built, case_id)


@pytest.mark.parametrize("case_id", ids("average"))
def test_average(built, case_id):
    check(built, case_id)


def test_case_mix():
    """The generated cases cover what they are meant to."""
    valid = [c for c in CASES if c.exc is None]
    for kind in ("scan", "diff", "take", "subscript", "window", "average"):
        dtypes = {str(c.operands[0].data.dtype) for c in valid if c.kind == kind}
        assert dtypes == set(DTYPES), (kind, dtypes)
        assert any(c.exc is not None for c in CASES if c.kind == kind) or kind == "average", kind
    assert any(c.want.ndim == 0 or c.operands[0].data.ndim == 0 for c in valid if c.kind == "scan")
    assert any(0 in c.operands[0].data.shape for c in valid if c.kind in ("scan", "take", "diff"))
    assert any(op.chunks and set(op.chunks) == {1} for c in CASES for op in c.operands if op.data.ndim)
    assert any(isinstance(c.exc, ZeroDivisionError) for c in CASES)
    assert sum(np.isnan(c.operands[0].data).any() for c in valid
               if c.kind == "scan" and c.operands[0].data.dtype.kind == "f") > 5


def test_nancumsum_of_a_cf_decoded_operand(tmp_path):
    """nancumsum over an operand whose _FillValue marks missing values and
    whose integers are packed: the missing values count as 0, as numpy's
    nancumsum of the decoded array."""
    path = tmp_path / "cf.h5"
    rng = np.random.default_rng(7)
    raw = rng.integers(-3000, 3000, size=(40, 6)).astype(np.int16)
    raw[rng.random(raw.shape) < 0.2] = -32767
    with h5py.File(path, "w") as f:
        d = f.create_dataset("t", data=raw, chunks=(7, 6))
        d.attrs["_FillValue"] = np.int16(-32767)
        d.attrs["scale_factor"] = np.float32(0.01)
        d.attrs["add_offset"] = np.float32(280)
    for name, expr in [("dec", "t"), ("c", "nancumsum(t, axis=0)"), ("f", "nancumsum(t)")]:
        proc = define(path, name, expr)
        assert proc.returncode == 0, proc.stderr
    with h5py.File(path, "r") as f:
        decoded = f["dec"][...]
        assert decoded.dtype == np.float32 and np.isnan(decoded).sum() == (raw == -32767).sum()
        np.testing.assert_array_equal(f["c"][...], np.nancumsum(decoded, axis=0), strict=True)
        np.testing.assert_array_equal(f["f"][...], np.nancumsum(decoded), strict=True)
        # a forward strip walk, as h5py loops do
        got = np.concatenate([f["c"][r:r + 6] for r in range(0, 40, 6)])
        np.testing.assert_array_equal(got, np.nancumsum(decoded, axis=0), strict=True)


def test_integer_list_subscript_reads_with_h5py(tmp_path):
    """A strip walk over x[:, [5, 0, 5, 7]] and its transpose reads the
    right columns in every strip."""
    path = tmp_path / "t.h5"
    x = np.arange(300.0).reshape(30, 10)
    write_dataset(path, "x", x, chunks=(4, 3))
    assert define(path, "v", "x[:, [5, 0, 5, 7]]").returncode == 0
    assert define(path, "w", "transpose(x)[[9, 2], 3:]").returncode == 0
    with h5py.File(path, "r") as f:
        for r in range(0, 30, 7):
            np.testing.assert_array_equal(f["v"][r:r + 7], x[:, [5, 0, 5, 7]][r:r + 7], strict=True)
        np.testing.assert_array_equal(f["w"][...], x.T[[9, 2], 3:], strict=True)
