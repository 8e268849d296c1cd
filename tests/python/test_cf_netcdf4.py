"""Issue 15 through netCDF-C: netCDF4-python and xarray's netcdf4 engine
reading virtual variables, against the decoding of the sources.

netCDF4-python decodes as h5lazy does, valid ranges included: it reads the
results (masking NaN and --fill-value numbers through _FillValue) and the
sources, and they must agree. xarray's netcdf4 engine must show the same
dimensions and coordinates as its h5netcdf engine.

Both need a netCDF4 module that reads through the connector. These tests
run, in child processes, when the test venv's python can import netCDF4,
and skip saying why otherwise; xarray's netcdf4 engine additionally needs
netCDF4 linked to the same libhdf5 as the connector. The project's venv
has no netCDF4 (its h5py is built on the project's libhdf5, a netCDF4
wheel would bring another): tests/wheels/test_cf_stacks.py runs the same
checks with PyPI's netCDF4 and xarray wheels through the plugin directory.
"""
import json
import os
import subprocess
import sys
import warnings

import numpy as np
import pytest

import cfdata
from conftest import assert_ok, define, env_with_connector

xr = pytest.importorskip("xarray", reason="xarray is installed by scripts/deps.sh")

SEEDS = range(12)

PROBE = r"""
import json, os, sys
try:
    import netCDF4
except Exception as e:
    print(json.dumps({"importable": False, "why": f"{type(e).__name__}: {e}"}))
    raise SystemExit(0)
libs = sorted({os.path.realpath(line.split()[-1]) for line in open("/proc/self/maps")
               if "libhdf5" in line and ".so" in line and "_hl" not in line})
print(json.dumps({"importable": True, "version": netCDF4.__version__,
                  "hdf5": netCDF4.__hdf5libversion__, "libs": libs}))
"""

# Reads variables of a file with netCDF4-python (its default masking and
# scaling): {name: {"values": [...], "mask": [...], "dims": [...],
# "coords": {dim: [...]}}}. argv: FILE NAME...
READER = r"""
import json, sys
import numpy as np, netCDF4
out = {}
with netCDF4.Dataset(sys.argv[1]) as nc:
    for name in sys.argv[2:]:
        v = nc.variables[name]
        a = np.ma.masked_array(v[...])
        out[name] = {"values": np.ma.filled(a.astype(np.float64), 0.0).tolist(),
                     "mask": np.ma.getmaskarray(a).tolist(), "dims": list(v.dimensions),
                     "coords": {d: np.ma.filled(nc.variables[d][...].astype(np.float64), np.nan).tolist()
                                for d in v.dimensions if d in nc.variables}}
print(json.dumps(out))
"""


@pytest.fixture(scope="module")
def netcdf4():
    """What the test venv's netCDF4 is, probed in a child process that
    reads through the connector."""
    proc = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True,
                          env=env_with_connector(), timeout=120)
    if proc.returncode != 0:
        pytest.skip(f"importing netCDF4 with the connector set fails (exit {proc.returncode}): "
                    f"{proc.stderr.strip()[-300:]}")
    found = json.loads(proc.stdout)
    if not found["importable"]:
        pytest.skip("netCDF4 is not importable in the test venv (" + found["why"] + "); "
                    "tests/wheels/test_cf_stacks.py reads through PyPI's netCDF4 wheels instead")
    return found


def read_netcdf4(path, names):
    proc = subprocess.run([sys.executable, "-c", READER, str(path), *names], capture_output=True, text=True,
                          env=env_with_connector(), timeout=300)
    assert_ok(proc)
    return json.loads(proc.stdout)


@pytest.fixture(scope="module", params=SEEDS, ids=lambda s: f"seed{s}")
def case(request, tmp_path_factory, netcdf4):
    d = tmp_path_factory.mktemp(f"nc4_{request.param}")
    info = cfdata.write_case(d / "src.nc", request.param)
    assert_ok(define(d / "results.nc", "same", 'ds("src.nc", "/v") * 1'))
    assert_ok(define(d / "results.nc", "clim", 'nanmean(ds("src.nc", "/v"), axis=0)'))
    assert_ok(define(d / "results.nc", "filled", 'ds("src.nc", "/v") * 1', "--fill-value", "-999"))
    assert_ok(define(d / "sliced.nc", "part", 'ds("src.nc", "/v")[1:, ::-1]'))
    return d, info


def test_netcdf4_python_sees_the_sources_decoding(case):
    """netCDF4-python's masked, scaled reading of the source (valid range
    included) equals the virtual variable it reads, NaN and -999 masked."""
    d, info = case
    src = read_netcdf4(d / "src.nc", ["v"])["v"]
    got = read_netcdf4(d / "results.nc", ["same", "filled", "clim"])
    for name in ("same", "filled"):
        assert got[name]["mask"] == src["mask"], (name, info)
        np.testing.assert_allclose(got[name]["values"], src["values"], rtol=1e-6, err_msg=f"{name} {info}")
        assert got[name]["dims"] == ["time", "lat", "lon"]
    want = cfdata.decoded(d / "src.nc").mean("time")
    np.testing.assert_array_equal(np.array(got["clim"]["mask"]), np.isnan(want.values), err_msg=str(info))


def test_netcdf4_python_sees_derived_coordinates(case):
    d, info = case
    got = read_netcdf4(d / "sliced.nc", ["part"])["part"]
    want = cfdata.decoded(d / "src.nc").isel(time=slice(1, None), lat=slice(None, None, -1))
    assert got["dims"] == ["time", "lat", "lon"]
    np.testing.assert_array_equal(got["coords"]["lat"], want["lat"].values)
    np.testing.assert_array_equal(np.array(got["mask"]), np.isnan(want.values), err_msg=str(info))


def test_xarray_netcdf4_engine_matches_h5netcdf(case, netcdf4):
    """xarray's netcdf4 engine (netCDF-C) and its h5netcdf engine (h5py) see
    the same virtual variables: values, NaN, dims and coordinates."""
    project = os.path.realpath(os.environ["H5LAZY_HDF5_LIB"])
    if {os.path.dirname(lib) for lib in netcdf4["libs"]} != {project}:
        pytest.skip(f"netCDF4 {netcdf4['version']} is linked to {netcdf4['libs']}, not to the libhdf5 in "
                    f"{project} that the connector is built against: xarray's netcdf4 engine would run "
                    "the connector in a second HDF5 library")
    d, info = case
    code = ("import sys, json, warnings, xarray as xr\nwarnings.simplefilter('ignore')\n"
            "out = {}\n"
            "for engine in ('netcdf4', 'h5netcdf'):\n"
            "    with xr.open_dataset(sys.argv[1], engine=engine) as ds:\n"
            "        out[engine] = {n: {'dims': list(ds[n].dims), 'values': ds[n].fillna(-1e300).values.tolist(),\n"
            "                           'lat': ds[n]['lat'].values.tolist() if 'lat' in ds[n].coords else None}\n"
            "                       for n in ('same', 'clim', 'filled')}\n"
            "print(json.dumps(out))\n")
    proc = assert_ok(subprocess.run([sys.executable, "-c", code, str(d / "results.nc")], capture_output=True,
                                    text=True, env=env_with_connector(), timeout=300))
    out = json.loads(proc.stdout)
    assert out["netcdf4"] == out["h5netcdf"], info


def test_the_sources_decode_alike_in_h5lazy_and_xarray(tmp_path):
    """Without netCDF4 the h5netcdf engine still holds h5lazy to xarray's
    decoding plus the valid range (test_cf_xarray.py does it at length);
    here one case, so that this file always checks something."""
    info = cfdata.write_case(tmp_path / "src.nc", 2)
    assert_ok(define(tmp_path / "r.nc", "same", 'ds("src.nc", "/v") * 1'))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with xr.open_dataset(tmp_path / "r.nc", engine="h5netcdf") as ds:
            got = ds["same"].values
    want = cfdata.decoded(tmp_path / "src.nc").values
    np.testing.assert_array_equal(np.isnan(got), np.isnan(want), err_msg=str(info))
    np.testing.assert_allclose(got, want, equal_nan=True, rtol=1e-12)
