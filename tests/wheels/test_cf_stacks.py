"""Issue 15 through PyPI's netCDF4 and xarray wheels: virtual variables over
CF-encoded netCDF files (tests/python/cfdata.py: random fill values,
missing_value lists, valid ranges, int8/int16/uint16 packing with float32
and float64 scales), read by netCDF4-python with its default masking and
scaling and by xarray's netcdf4 and h5netcdf engines, through this build's
plugin directory.

netCDF4-python decodes the sources as h5lazy decodes them, valid ranges
included: what it masks and reads in the sources is what it masks and reads
in `v * 1`, whether missing values are NaN (_FillValue NaN) or a number
(define --fill-value). Its dimensions are the sources' and, for slices,
derived coordinates with the sources' values. xarray's two engines (the
xarray stack) see the same variables, values and coordinates.
"""
import json
import os
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest

from conftest import CONNECTOR, STACKS, clean_env, make_venv, skip_unless_line

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "python"))
import cfdata  # noqa: E402  (the issue-15 sources, shared with tests/python)

SEEDS = range(8)

# argv KIND FILE NAME...: prints {name: {"values": nested lists (None where
# masked or NaN), "dims": [...], "coords": {dim: [...]}}}.
READ_CF = r'''
import json, sys, warnings
import numpy as np
warnings.simplefilter("ignore")
kind, path, names = sys.argv[1], sys.argv[2], sys.argv[3:]
def plain(a):
    a = np.ma.masked_invalid(np.ma.masked_array(a).astype(np.float64))
    values = a.filled(0.0).astype(object)
    values[np.ma.getmaskarray(a)] = None
    return values.tolist()
out = {}
if kind == "netCDF4":
    import netCDF4
    with netCDF4.Dataset(path) as nc:
        for n in names:
            v = nc.variables[n]
            out[n] = {"values": plain(v[...]), "dims": list(v.dimensions),
                      "coords": {d: plain(nc.variables[d][...]) for d in v.dimensions if d in nc.variables}}
else:
    import xarray as xr
    with xr.open_dataset(path, engine=kind.split("-")[1], decode_times=False) as ds:
        for n in names:
            v = ds[n]
            out[n] = {"values": plain(v.values), "dims": list(v.dims),
                      "coords": {d: plain(v[d].values) for d in v.dims if d in v.coords}}
print(json.dumps(out))
'''


def read_cf(python, kind, path, names):
    env = clean_env(HDF5_PLUGIN_PATH=os.environ["HDF5_PLUGIN_PATH"], HDF5_VOL_CONNECTOR=CONNECTOR)
    proc = subprocess.run([str(python), "-c", READ_CF, kind, str(path), *names], capture_output=True, text=True,
                          env=env, timeout=300)
    assert proc.returncode == 0, f"{kind} reading {path}:\n{proc.stderr[-3000:]}"
    return json.loads(proc.stdout.strip().splitlines()[-1])


def as_array(nested):
    """A reader's values as float64, NaN where it had none."""
    return np.array(nested, dtype=object).astype(float)


def define(path, name, expr, *extra):
    env = dict(os.environ, HDF5_VOL_CONNECTOR=CONNECTOR)
    proc = subprocess.run([str(Path(os.environ["H5LAZY_BIN"]) / "h5lazy"), "define", *extra, "--", str(path), name,
                           expr], capture_output=True, text=True, env=env)
    assert proc.returncode == 0, proc.stderr


@pytest.fixture(scope="module")
def cases(tmp_path_factory):
    """Per seed: src.nc, results.nc (same = v * 1, filled = the same with
    --fill-value -999, clim = nanmean(v, axis=0)), sliced.nc (part =
    v[1:, ::-1]) and the oracle: xarray's decoding plus the valid range."""
    out = []
    for seed in SEEDS:
        d = tmp_path_factory.mktemp(f"cf{seed}")
        info = cfdata.write_case(d / "src.nc", seed)
        v = 'ds("src.nc", "/v")'
        define(d / "results.nc", "same", f"{v} * 1")
        define(d / "results.nc", "filled", f"{v} * 1", "--fill-value", "-999")
        define(d / "results.nc", "clim", f"nanmean({v}, axis=0)")
        define(d / "sliced.nc", "part", f"{v}[1:, ::-1]")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            oracle = cfdata.decoded(d / "src.nc", decode_times=False)
        out.append((d, info, oracle))
    return out


@pytest.mark.parametrize("stack", ["netCDF4-1.7.4", "netCDF4-1.7.5.1.post1"])
def test_netcdf4_python_decodes_as_h5lazy(stack, cases):
    requirements, line = STACKS[stack]
    skip_unless_line(line)
    python = make_venv(stack, requirements) / "bin/python"
    for d, info, oracle in cases:
        src = read_cf(python, "netCDF4", d / "src.nc", ["v"])["v"]
        got = read_cf(python, "netCDF4", d / "results.nc", ["same", "filled", "clim"])
        want = as_array(src["values"])
        np.testing.assert_array_equal(np.isnan(want), np.isnan(oracle.values), err_msg=f"netCDF4 vs xarray {info}")
        for name in ("same", "filled"):
            assert got[name]["dims"] == ["time", "lat", "lon"], info
            np.testing.assert_allclose(as_array(got[name]["values"]), want, rtol=1e-6, equal_nan=True,
                                       err_msg=f"{name} {info}")
            for dim in ("time", "lat", "lon"):
                np.testing.assert_array_equal(got[name]["coords"][dim], src["coords"][dim])
        np.testing.assert_array_equal(np.isnan(as_array(got["clim"]["values"])),
                                      np.isnan(oracle.mean("time").values), err_msg=f"clim {info}")
        part = read_cf(python, "netCDF4", d / "sliced.nc", ["part"])["part"]
        assert part["dims"] == ["time", "lat", "lon"], info
        np.testing.assert_array_equal(part["coords"]["lat"], src["coords"]["lat"][::-1])
        np.testing.assert_array_equal(part["coords"]["time"], src["coords"]["time"][1:])
        np.testing.assert_allclose(as_array(part["values"]), want[1:, ::-1], rtol=1e-6, equal_nan=True)


def test_xarray_engines_agree(cases):
    """xarray's netcdf4 engine (netCDF-C) and its h5netcdf engine (h5py), in
    the xarray stack, read the same values, missing values, dimensions and
    coordinates, and those are xarray's own decoding of the sources (plus
    the valid range)."""
    requirements, line = STACKS["xarray"]
    skip_unless_line(line)
    python = make_venv("xarray", requirements) / "bin/python"
    for d, info, oracle in cases:
        seen = {kind: {**read_cf(python, kind, d / "results.nc", ["same", "clim"]),
                       **read_cf(python, kind, d / "sliced.nc", ["part"])}
                for kind in ("xarray-netcdf4", "xarray-h5netcdf")}
        assert seen["xarray-netcdf4"] == seen["xarray-h5netcdf"], info
        got = seen["xarray-h5netcdf"]
        assert got["same"]["dims"] == list(oracle.dims)
        np.testing.assert_allclose(as_array(got["same"]["values"]), oracle.values, rtol=1e-6, equal_nan=True,
                                   err_msg=str(info))
        np.testing.assert_array_equal(got["part"]["coords"]["lat"], oracle["lat"].values[::-1])
