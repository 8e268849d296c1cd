"""Reductions with more than 2 MiB of accumulators (engine/lz_reduce.c,
LZ_STATE_BYTES) are scanned in pieces of outputs, each reading bands of
the chunks through the whole reduced axis; over sources with filters
(gzip, shuffle), whose chunks a band would decode once per piece, they are
not. Either way, read through h5py: numpy's numbers, the same bits on one
and two threads and under a small budget, for whole reads and parts."""

import h5py
import numpy as np
import pytest

from conftest import assert_ok, define, env_with_connector, read_in_child

# 160,000 outputs: sum and mean of float32 keep 8 bytes each (1.3 MB), so
# mean and std together (8 + 16 bytes) and sums of float64 (16 bytes,
# compensated) pass 2 MiB.
SHAPE = (6, 400, 400)
LAYOUTS = {
    "stored": {},
    "gzip": {"compression": "gzip", "compression_opts": 1},
    "shuffle_gzip": {"compression": "gzip", "shuffle": True},
}
EXPRS = {
    "mean0": ("mean({x}, axis=0)", lambda x: x.mean(axis=0, dtype=np.float64)),
    "std0": ("std({x}, axis=0)", lambda x: x.std(axis=0, dtype=np.float64)),
    "dsum0": ("sum({d}, axis=0)", lambda d: d.sum(axis=0)),
    "anom": ("{x} - mean({x}, axis=0)", lambda x: x - x.mean(axis=0, dtype=np.float64)),
}

@pytest.fixture(scope="module")
def data(tmp_path_factory):
    d = tmp_path_factory.mktemp("large_reductions")
    rng = np.random.default_rng(20261204)
    x = (rng.normal(1000.0, 1.0, size=SHAPE)).astype(np.float32)
    dd = rng.normal(size=SHAPE)
    f = d / "big.h5"
    names = []
    with h5py.File(f, "w") as h:
        for layout, opts in LAYOUTS.items():
            h.create_dataset(f"x_{layout}", data=x, chunks=(1, 400, 400), **opts)
            h.create_dataset(f"d_{layout}", data=dd, chunks=(1, 400, 400), **opts)
    for layout in LAYOUTS:
        for name, (expr, _) in EXPRS.items():
            assert_ok(define(f, f"{name}_{layout}", expr.format(x=f"x_{layout}", d=f"d_{layout}")))
            names.append(f"{name}_{layout}")
    return f, x, dd, names


def test_large_accumulators_any_layout(data, tmp_path):
    f, x, dd, names = data
    base = read_in_child(f, tmp_path / "base.npz", names, env_with_connector())
    for memory, threads in ((None, 2), ("1MiB", 1)):
        other = read_in_child(f, tmp_path / f"o{threads}.npz", names, env_with_connector(memory, threads=threads))
        for n in names:
            for key in (n, n + "_part"):
                np.testing.assert_array_equal(other[key], base[key], strict=True,
                                              err_msg=f"{key}: memory={memory}, threads={threads}")
    for layout in LAYOUTS:
        for name, (expr, numpy_form) in EXPRS.items():
            operand = dd if "{d}" in expr else x
            want = numpy_form(operand)
            got = base[f"{name}_{layout}"]
            # float32 results round once from double; the anomaly subtracts
            # nearly equal values (1000 +- 1), hence the absolute term.
            np.testing.assert_allclose(got, want.astype(got.dtype), rtol=2e-7, atol=1e-4,
                                       err_msg=f"{expr} over {layout}")
            np.testing.assert_array_equal(base[f"{name}_{layout}_part"], got[1::3], strict=True)
        # The filters change how the data is read, never the bits.
        np.testing.assert_array_equal(base[f"mean0_{layout}"], base["mean0_stored"], strict=True)
