"""numpy as the oracle for the order statistics of docs/language.md:
median, nanmedian, quantile, nanquantile, percentile and nanpercentile over
every dtype, random chunkings (chunk size 1 included), random selections,
NaN and +-inf and -0.0, ties and all-equal data, empty and 0-d shapes, q
scalar and list, every method, axis int/tuple/None and keepdims; defined with
`h5lazy define`, read back with h5py through the connector and compared with
numpy evaluating the same text. h5lazy reproduces numpy's formulas, so the
comparison is exact (assert_array_equal: NaN where numpy has NaN, -0.0 equal
to 0.0, as numpy's sort holds them equal).

Every case is also read with a 4 KiB budget, where outputs whose values do
not fit select in passes over the data (engine/lz_order_pass.c): the results
must be the same bits as the default budget's.

Cases numpy answers differently from h5lazy by design are not drawn (see
docs/language.md): nanquantile and nanpercentile of an empty array, which
numpy answers with nanmean's result (without q's axis, of nanmean's type).
"""
import subprocess
import sys
import textwrap
import warnings

import h5py
import numpy as np
import pytest

from conftest import assert_ok, env_with_connector
from test_h5py_oracle import DTYPES, assert_same, random_layout, random_values
from test_language_oracle import build_and_read, read_all

SEED = 0x0DE2_5747
FUNCTIONS = ["median", "nanmedian", "quantile", "nanquantile", "percentile", "nanpercentile"]
METHODS = ["linear", "lower", "higher", "nearest", "midpoint"]
CASES_PER = 9        # per function and dtype
N_FILES = 4
DEFINE_WORKERS = 3
NUMPY_ERRORS = (TypeError, ValueError, IndexError)


def order_shape(rng):
    rank = int(rng.choice([0, 1, 2, 3, 4], p=[0.08, 0.3, 0.32, 0.2, 0.1]))
    dims = [int(rng.choice([1, 2, 3, 4, 5, 6, 7, 9])) for _ in range(rank)]
    if rank and rng.random() < 0.08:
        dims[int(rng.integers(rank))] = 0
    if rank and rng.random() < 0.1:  # a longer axis: more ties and more ranks between them
        dims[int(rng.integers(rank))] = int(rng.integers(20, 60))
    return tuple(dims)


def order_values(rng, dtype, shape):
    """Random values of the type; often ties or all-equal data; floats with
    NaN (sometimes a whole column of them) and infinities."""
    dt = np.dtype(dtype)
    r = rng.random()
    if r < 0.3 and dt != np.bool_:
        lo = 0 if dt.kind == "u" else -3
        data = rng.integers(lo, 4, size=shape).astype(dt)
    elif r < 0.4:
        data = np.full(shape, random_values(rng, dt, ()), dtype=dt)
    else:
        data = np.asarray(random_values(rng, dt, shape), dtype=dt)
    if dt.kind == "f" and data.size and rng.random() < 0.5:
        flat = data.reshape(-1)
        k = int(rng.integers(1, max(2, flat.size // 3)))
        flat[rng.choice(flat.size, size=min(k, flat.size), replace=False)] = np.nan
        if data.ndim >= 2 and rng.random() < 0.3:
            data[(slice(None),) + (0,) * (data.ndim - 1)] = np.nan
    return data


def q_text(rng, percent):
    """A scalar or a list literal of q, as text both languages read."""
    def one():
        r = rng.random()
        if r < 0.15:
            v = int(rng.choice([0, 1])) * (100 if percent else 1)  # an integer q
            return str(v)
        if r < 0.3:
            v = float(rng.choice([0.0, 0.5, 1.0]))
        else:
            v = float(rng.random())
        return repr(v * 100 if percent else v)
    if rng.random() < 0.35:
        return "[" + ", ".join(one() for _ in range(int(rng.integers(1, 5)))) + "]"
    return one()


def axis_text(rng, rank):
    if rank == 0 or rng.random() < 0.25:
        return None if rng.random() < 0.5 else "None"
    if rng.random() < 0.6:
        return str(int(rng.integers(-rank, rank)))
    axes = sorted(int(a) for a in rng.choice(rank, size=int(rng.integers(1, rank + 1)), replace=False))
    return "(" + ", ".join(map(str, axes)) + ",)"


class Case:
    def __init__(self, fname, data, chunks, expr):
        self.fname, self.data, self.chunks, self.expr = fname, data, chunks, expr
        names = {f: getattr(np, f) for f in FUNCTIONS}
        names.update(x=data, concat=np.concatenate, abs=np.abs)
        with np.errstate(all="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                self.want, self.exc = np.asarray(eval(expr, {"__builtins__": {}}, names)), None  # noqa: S307
            except NUMPY_ERRORS as exc:
                self.want, self.exc = None, exc
        self.id = None

    @property
    def vname(self):
        return f"{self.id}/v"

    def describe(self):
        layout = f"chunks={self.chunks}" if self.chunks else "contiguous"
        return f"{self.id}: {self.expr!r} over x: {self.data.dtype}{self.data.shape} {layout}"


def make_case(rng, fname, dtype):
    while True:
        shape = order_shape(rng)
        data = order_values(rng, dtype, shape)
        args = ["x"]
        if fname.endswith(("quantile", "percentile")):
            args.append(q_text(rng, fname.endswith("percentile")))
        axis = axis_text(rng, data.ndim)
        if axis is not None:
            args.append(f"axis={axis}")
        if "median" not in fname and rng.random() < 0.7:
            args.append(f'method="{rng.choice(METHODS)}"')
        if rng.random() < 0.3:
            args.append(f"keepdims={bool(rng.random() < 0.5)}")
        expr = f"{fname}({', '.join(args)})"
        if fname.startswith("nan") and "median" not in fname and data.size == 0:
            continue  # numpy gives nanmean's result there (see the module's docstring)
        return Case(fname, data, random_layout(rng, shape), expr)


def all_cases():
    cases = []
    for i, fname in enumerate(FUNCTIONS):
        for j, dtype in enumerate(DTYPES):
            rng = np.random.default_rng([SEED, i, j])
            for _ in range(CASES_PER):
                cases.append(make_case(rng, fname, dtype))
    # Compositions: an anomaly against a median, a percentile of an
    # expression, order statistics inside concat, of a slice.
    rng = np.random.default_rng([SEED, 99])
    for expr in ["x - median(x, axis=0)", "percentile(x * 2 + 1, [10, 90], axis=-1)",
                 "concat([nanmedian(x, axis=0, keepdims=True), x[::-2]], axis=0)",
                 "quantile(x[1:, ::2], 0.25, axis=1, method=\"nearest\")",
                 "nanpercentile(abs(x - nanmedian(x)), 75, axis=(0, 1))"]:
        for dtype in ["float32", "float64", "int32"]:
            data = order_values(rng, dtype, (int(rng.integers(3, 8)), int(rng.integers(3, 8))))
            cases.append(Case("composed", data, random_layout(rng, data.shape), expr))
    for k, case in enumerate(cases):
        case.id = f"o{k:04d}"
    return cases


CASES = all_cases()
BY_ID = {c.id: c for c in CASES}


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    d = tmp_path_factory.mktemp("order")
    return d, build_and_read(d, "order", CASES, lambda case: [("x", case.data, case.chunks)], read_all, N_FILES,
                             DEFINE_WORKERS)


@pytest.mark.parametrize("case_id", [c.id for c in CASES])
def test_order_statistic(built, case_id):
    case = BY_ID[case_id]
    r = built[1][case_id]
    proc, what = r["proc"], case.describe()
    if case.exc is not None:
        assert proc.returncode == 1, (f"{what}: numpy raised {case.exc!r} but define gave "
                                      f"{proc.returncode}: {proc.stdout}{proc.stderr}")
        assert proc.stderr.startswith(f"h5lazy define: error: cannot define '{case.vname}': "), proc.stderr
        assert not r["present"], f"{what}: a failed define left {case.vname} behind"
        return
    assert proc.returncode == 0, f"{what}: numpy gives {case.want.dtype}{case.want.shape}; " \
                                 f"define failed: {proc.stderr}"
    assert r["dtype"] == case.want.dtype, f"{what}: dtype {r['dtype']}, numpy {case.want.dtype}"
    assert r["shape"] == case.want.shape, f"{what}: shape {r['shape']}, numpy {case.want.shape}"
    for label, key, got, exc in r["reads"]:
        assert exc is None, f"{what}; {label} {key!r}: read failed: {exc}"
        assert_same(got, case.want[key], f"{what}; {label} {key!r}")


READER = textwrap.dedent("""
    import sys, h5py, numpy as np
    out, paths = sys.argv[1], sys.argv[2:]
    results = {}
    for path in paths:
        with h5py.File(path, "r") as f:
            for group in f:
                if "v" in f[group]:
                    results[group] = f[group]["v"][...]
    np.savez(out, **results)
""")


def test_tiny_budget_selects_in_passes_with_the_same_bits(built, tmp_path):
    """Every case read again with a 4 KiB budget, where the values of an
    output no longer fit and the passes select: the same bits."""
    d, results = built
    out = tmp_path / "small.npz"
    paths = sorted(str(p) for p in d.glob("order*.h5"))
    proc = subprocess.run([sys.executable, "-c", READER, str(out), *paths], capture_output=True, text=True,
                          env=env_with_connector("4KiB"), timeout=900)
    assert_ok(proc)
    small = np.load(out)
    checked = 0
    for case in CASES:
        if case.exc is not None:
            continue
        got = small[case.id]
        assert got.tobytes() == case.want.tobytes() or np.array_equal(got, case.want, equal_nan=True), \
            f"{case.describe()}: memory=4KiB gives\n{got!r}\nnumpy\n{case.want!r}"
        checked += 1
    assert checked > len(CASES) // 2


def test_case_mix_covers_the_functions():
    """Every function over every dtype, lists of q, every method, empty and
    0-d inputs, NaN, and numpy's refusals, are among the cases."""
    text = " ".join(c.expr for c in CASES)
    for fname in FUNCTIONS:
        assert sum(c.fname == fname for c in CASES) == CASES_PER * len(DTYPES)
    for method in METHODS:
        assert f'method="{method}"' in text
    assert any("[" in c.expr and c.exc is None for c in CASES)
    assert any(c.data.size == 0 and c.exc is None for c in CASES)
    assert any(c.data.ndim == 0 for c in CASES)
    assert any(c.data.dtype.kind == "f" and np.isnan(c.data).any() and c.exc is None for c in CASES)
    assert any(c.exc is not None for c in CASES)  # booleans interpolated, quantiles of nothing
    assert any(c.chunks is not None and all(n == 1 for n in c.chunks) for c in CASES)
