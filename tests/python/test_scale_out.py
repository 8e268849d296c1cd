"""Issue 15: scale-out through an existing engine. xarray opens a file of
virtual variables with chunks=, and dask.distributed computes a derived
variable and a reduction of it in worker processes of a LocalCluster: each
worker loads the connector itself (it inherits HDF5_PLUGIN_PATH and
HDF5_VOL_CONNECTOR) and evaluates the pieces it is given. The results must
equal a single-process read.

The cluster runs in a child process (workers are spawned interpreters, and
pytest's own process is no place to spawn them from); it prints what it
computed and what its workers are as JSON.
"""
import json
import subprocess
import sys
import warnings

import numpy as np
import pytest

from conftest import assert_ok, define, env_with_connector

xr = pytest.importorskip("xarray", reason="xarray is installed by scripts/deps.sh")

CLUSTER = r"""
import json, os, sys, warnings
warnings.simplefilter("ignore")
import xarray as xr
from dask.distributed import Client, LocalCluster

def plugin_maps():
    return sorted({line.split()[-1] for line in open("/proc/self/maps") if "libh5lazy_vol" in line})

if __name__ == "__main__":
    path = sys.argv[1]
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster, \
            Client(cluster) as client:
        with xr.open_dataset(path, engine="h5netcdf", chunks={"time": 4, "lat": 5}) as ds:
            assert ds["anom"].chunks is not None
            derived = ds["anom"] * 2 + 1
            reduced = derived.mean("time")
            seen = client.compute([derived, reduced, ds["clim"]], sync=True)
        out = {
            "derived": seen[0].values.tolist(), "reduced": seen[1].values.tolist(),
            "clim": seen[2].values.tolist(), "dims": [list(a.dims) for a in seen],
            "lat": seen[1]["lat"].values.tolist(),
            "client_pid": os.getpid(), "worker_pids": sorted(client.run(os.getpid).values()),
            "worker_plugins": sorted(set(sum(client.run(plugin_maps).values(), []))),
        }
    print(json.dumps(out))
"""


@pytest.fixture(scope="module")
def results(tmp_path_factory):
    """src.nc (int16 packed tas with a fill value, written by xarray) and
    results.nc with the virtual anomaly and climatology over it."""
    d = tmp_path_factory.mktemp("scale_out")
    rng = np.random.default_rng(6)
    tas = rng.normal(280, 8, (24, 10, 12))
    tas[rng.random(tas.shape) < 0.1] = np.nan
    src = xr.Dataset({"tas": (("time", "lat", "lon"), tas)},
                     coords={"time": np.arange(24), "lat": np.linspace(-80, 80, 10), "lon": np.arange(12) * 30.0})
    src.to_netcdf(d / "src.nc", engine="h5netcdf",
                  encoding={"tas": {"dtype": "int16", "scale_factor": np.float32(0.01),
                                    "add_offset": np.float32(280), "_FillValue": np.int16(-32767),
                                    "chunksizes": (6, 5, 12)}})
    assert_ok(define(d / "results.nc", "anom",
                     'ds("src.nc", "/tas") - nanmean(ds("src.nc", "/tas"), axis=0)'))
    assert_ok(define(d / "results.nc", "clim", 'nanmean(ds("src.nc", "/tas"), axis=0)'))
    return d


def test_dask_workers_compute_through_the_connector(results):
    pytest.importorskip("distributed", reason="dask.distributed is installed by scripts/deps.sh "
                                              "(tests/python/requirements-readers.txt)")
    proc = assert_ok(subprocess.run([sys.executable, "-c", CLUSTER, str(results / "results.nc")],
                                    capture_output=True, text=True, env=env_with_connector(), timeout=600))
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    # The work ran in two other processes, each with the connector loaded.
    assert len(out["worker_pids"]) == 2 and out["client_pid"] not in out["worker_pids"]
    assert len(out["worker_plugins"]) == 1 and out["worker_plugins"][0].endswith("libh5lazy_vol.so")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with xr.open_dataset(results / "results.nc", engine="h5netcdf") as ds:  # one process, no dask
            derived = ds["anom"] * 2 + 1
            reduced = derived.mean("time")
            clim = ds["clim"].values
            lat = ds["lat"].values
    assert out["dims"] == [["time", "lat", "lon"], ["lat", "lon"], ["lat", "lon"]]
    np.testing.assert_array_equal(np.array(out["derived"]), derived.values)
    np.testing.assert_array_equal(np.array(out["clim"]), clim)
    # dask sums the mean's chunks in another order: equal to rounding.
    np.testing.assert_allclose(np.array(out["reduced"]), reduced.values, rtol=1e-6, atol=1e-5)
    np.testing.assert_array_equal(np.isnan(np.array(out["reduced"])), np.isnan(reduced.values))
    np.testing.assert_array_equal(out["lat"], lat)
