"""Order statistics in bounded memory (issue 13): the median over 600 steps
of 500 x 500 float32 (600 MB), median(x, axis=0), read through h5py with
memory=16MiB, equals numpy's and the reader's resident memory grows by
little more than the budget; and a median of the whole array, whose 150
million values cannot be held, selects in passes over the data (h5lazy
show says how many at most) and equals numpy's too.

Each read runs in a child process that reports its peak RSS before and
after the read (the result itself, 1 MB, is part of it).
"""
import json
import subprocess
import sys

import h5py
import numpy as np
import pytest

from conftest import assert_ok, define, env_with_connector, run_h5lazy

SHAPE = (600, 500, 500)
BUDGET_MIB = 16

_READER = r"""
import json, resource, sys
import h5py, numpy as np
path, names = sys.argv[1], sys.argv[2:]
out = {}
with h5py.File(path, "r") as f:
    f["x"][0, 0, :1]  # HDF5's own buffers and caches, before the measure
    for name in names:
        before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        np.save(path + "." + name + ".npy", f[name][...])
        out[name] = {"before_kib": before, "after_kib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}
print(json.dumps(out))
"""


@pytest.fixture(scope="module")
def big(tmp_path_factory):
    d = tmp_path_factory.mktemp("order_memory")
    path = d / "steps.h5"
    rng = np.random.default_rng(20261207)
    # Values with many ties (a thousand levels) and a NaN-free median.
    x = (rng.integers(0, 1000, size=SHAPE, dtype=np.int16).astype(np.float32) * np.float32(0.25)
         - np.float32(100))
    with h5py.File(path, "w") as f:
        f.create_dataset("x", data=x, chunks=(1, 500, 500))
    assert_ok(define(path, "med", "median(x, axis=0)"))
    assert_ok(define(path, "whole", "median(x)"))
    return path, x


def test_median_over_time_within_16_mib(big):
    path, x = big
    proc = subprocess.run([sys.executable, "-c", _READER, str(path), "med"], capture_output=True, text=True,
                          env=env_with_connector(f"{BUDGET_MIB}MiB"), timeout=900)
    assert_ok(proc)
    rss = json.loads(proc.stdout)["med"]
    got = np.load(str(path) + ".med.npy")
    np.testing.assert_array_equal(got, np.median(x, axis=0), strict=True)
    # The budget, the 1 MB result, and HDF5's chunk buffers beside it.
    grew_mib = (rss["after_kib"] - rss["before_kib"]) / 1024
    assert grew_mib < BUDGET_MIB + 8, grew_mib


def test_whole_median_selects_in_passes(big):
    path, x = big
    show = assert_ok(run_h5lazy("show", path, "whole", env=env_with_connector(f"{BUDGET_MIB}MiB")))
    assert "passes over the operands in a read: up to " in show.stdout, show.stdout
    proc = subprocess.run([sys.executable, "-c", _READER, str(path), "whole"], capture_output=True, text=True,
                          env=env_with_connector(f"{BUDGET_MIB}MiB"), timeout=900)
    assert_ok(proc)
    rss = json.loads(proc.stdout)["whole"]
    got = np.load(str(path) + ".whole.npy")
    assert got == np.median(x), (got, np.median(x))
    grew_mib = (rss["after_kib"] - rss["before_kib"]) / 1024
    assert grew_mib < BUDGET_MIB + 8, grew_mib
