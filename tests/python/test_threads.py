"""Reductions folded by several threads (the connector's threads= setting)
give exactly the numbers of one thread, and numpy's within the documented
tolerance, for every reduction kind, axis layout and a small budget.

The arrays are large enough (>= 4096 outputs per read) for the engine to
split the outputs among threads."""
import subprocess
import sys

import h5py
import numpy as np
import pytest

from conftest import CHILD_READER, assert_ok, define, env_with_connector, read_in_child, write_dataset

EXPRS = {
    "sum0": ("sum(x, axis=0)", lambda x: x.sum(axis=0, dtype=np.float64)),
    "mean0": ("mean(x, axis=0)", lambda x: x.mean(axis=0, dtype=np.float64)),
    "std2": ("std(x, axis=2, ddof=1)", lambda x: x.std(axis=2, ddof=1, dtype=np.float64)),
    "nanmax2": ("nanmax(x, axis=2)", lambda x: np.nanmax(x, axis=2)),
    "argmin0": ("argmin(x, axis=0)", lambda x: np.argmin(x, axis=0)),
    "min01": ("min(x, axis=(0, 1))", lambda x: np.min(x, axis=(0, 1))),
    "count0": ("count(x, axis=0)", lambda x: np.sum(~np.isnan(x), axis=0)),
    "isum0": ("sum(i, axis=0)", lambda i: i.sum(axis=0)),
    "imax2": ("max(i, axis=2)", lambda i: i.max(axis=2)),
    "anom": ("x - mean(x, axis=0)", lambda x: x - x.mean(axis=0, dtype=np.float64)),
}

@pytest.fixture(scope="module")
def data(tmp_path_factory):
    d = tmp_path_factory.mktemp("threads")
    rng = np.random.default_rng(20261125)
    # Reduced over axis 0 or axis 2, these give >= 4096 outputs: both the
    # vector and the scalar fold loops are split among threads.
    x = rng.normal(size=(12, 400, 40)).astype(np.float64)
    x[3, 5, 7] = np.nan
    i = rng.integers(-1000, 1000, size=(12, 400, 40)).astype(np.int32)
    f = d / "t.h5"
    write_dataset(f, "x", x, chunks=(1, 400, 40))
    write_dataset(f, "i", i, chunks=(3, 7, 40))
    for name, (expr, _) in EXPRS.items():
        assert_ok(define(f, name, expr))
    return f, {"x": x, "i": i}


@pytest.mark.parametrize("memory", [None, "64KiB"])
def test_threads_give_the_same_bits(data, tmp_path, memory):
    f, arrays = data
    one = read_in_child(f, tmp_path / "one.npz", EXPRS, env_with_connector(memory, threads=1))
    three = read_in_child(f, tmp_path / "three.npz", EXPRS, env_with_connector(memory, threads=3))
    for name, (expr, numpy_form) in EXPRS.items():
        for key in (name, name + "_part"):
            np.testing.assert_array_equal(three[key], one[key], err_msg=f"{expr} ({key}), threads=3",
                                          strict=True)
        operand = arrays["i"] if "(i" in expr else arrays["x"]
        with np.errstate(invalid="ignore"):
            want = numpy_form(operand)
        np.testing.assert_allclose(one[name], want, rtol=1e-12, atol=1e-12, err_msg=expr)


def test_threads_setting_is_checked(data):
    f, _ = data
    proc = subprocess.run([sys.executable, "-c", CHILD_READER, str(f), "/dev/null", "sum0"],
                          capture_output=True, text=True, env=env_with_connector(threads=0),
                          timeout=60)
    assert proc.returncode != 0
    assert "threads=0 is not a count from 1 to 64" in proc.stderr
