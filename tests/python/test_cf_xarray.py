"""Issue 15: virtual variables over CF-encoded netCDF files, read through
xarray, against xarray's own computation on the sources.

Each case (cfdata.py) is a netCDF file written by xarray with a random CF
encoding: float32/float64 with a _FillValue; int8, int16 and uint16 packed
with float32 or float64 scale_factor/add_offset (or one of them); integers
with a fill value; sometimes a missing_value list, a valid range, NaN
stored as data and a column missing at every time; a random chunking.
h5lazy defines anomalies, climatologies, slices, sums, a mean that
propagates NaN, a nan-reduction with mdtol, a count and raw() in a results
file; xarray opens it and the sources, computes the same thing on the
sources and compares: values (float results within the rounding of their
type; packed values exactly), NaN positions, dtypes, dims and coordinate
values, and cell_methods. The valid range is applied to the oracle as
netCDF4-python applies it (xarray itself ignores it). Random selections of
the virtual variables are read through xarray's indexing too.
"""
import re
import warnings

import h5py
import numpy as np
import pytest

import cfdata
from conftest import assert_ok, define, run_tool

xr = pytest.importorskip("xarray", reason="xarray is installed by scripts/deps.sh "
                                          "(tests/python/requirements-readers.txt)")

SEEDS = range(36)

# name -> (expression over v, the same computation in xarray on the decoded
# source, cell_methods or None)
EXPRESSIONS = {
    "scaled": ("v * 2 + 1", lambda e: e * 2 + 1, None),
    "anomaly": ("v - nanmean(v, axis=0)", lambda e: e - e.mean("time"), None),
    "climatology": ("nanmean(v, axis=0)", lambda e: e.mean("time"), "time: mean"),
    "strict_mean": ("mean(v, axis=0)", lambda e: e.mean("time", skipna=False), "time: mean"),
    "area_sum": ("nansum(v, axis=(1, 2))", lambda e: e.sum(("lat", "lon")), "lat: lon: sum"),
    "tolerant_max": ("nanmax(v, axis=0, mdtol=0.5)",
                     lambda e: e.max("time").where(e.isnull().mean("time") <= 0.5), "time: maximum"),
    "count": ("count(v, axis=0)", lambda e: e.count("time"), None),
    "sliced": ("v[1:, ::2, ::-1]", lambda e: e.isel(time=slice(1, None), lat=slice(None, None, 2),
                                                    lon=slice(None, None, -1)), None),
}


def open_quietly(path, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "multiple fill values" for missing_value lists
        return xr.open_dataset(path, engine="h5netcdf", **kwargs)


def tolerance(expected, magnitude):
    """Float results agree within the rounding of their type (h5lazy folds
    reductions in double, numpy and xarray in the input type), relative to
    `magnitude`, the largest value involved: anomalies cancel it."""
    if expected.dtype.kind != "f":
        return {"rtol": 0, "atol": 0}
    eps = np.finfo(expected.dtype).eps
    return {"rtol": 8 * eps, "atol": 64 * eps * max(magnitude, 1.0)}


def magnitude_of(e):
    """The largest magnitude of a decoded source, 1 when all is missing."""
    return float(np.nanmax(np.abs(e.values))) if np.isfinite(e.values).any() else 1.0


def compare(got, want, what, magnitude=None):
    """Values, NaN positions, dtype, dims and coordinate values."""
    assert got.dims == want.dims, what
    assert got.dtype == want.dtype, f"{what}: {got.dtype} vs {want.dtype}"
    g, w = got.values, want.values
    if w.dtype.kind == "f":
        np.testing.assert_array_equal(np.isnan(g), np.isnan(w), err_msg=f"{what}: NaN positions")
    scale = magnitude if magnitude is not None else magnitude_of(want)
    np.testing.assert_allclose(g, w, equal_nan=True, err_msg=what, **tolerance(want, scale))
    for dim in want.dims:
        if dim in want.coords:
            np.testing.assert_array_equal(got[dim].values, want[dim].values, err_msg=f"{what}: {dim}")


@pytest.fixture(scope="module", params=SEEDS, ids=lambda s: f"seed{s}")
def case(request, tmp_path_factory):
    """A case's source, its oracle, and the results file with every
    expression defined (the slice in a file of its own, so that its
    coordinates take the names of the source's dimensions)."""
    d = tmp_path_factory.mktemp(f"cf{request.param}")
    info = cfdata.write_case(d / "src.nc", request.param)
    for name, (expr, _, _) in EXPRESSIONS.items():
        target = d / ("sliced.nc" if name == "sliced" else "results.nc")
        assert_ok(define(target, name, expr.replace("v", 'ds("src.nc", "/v")')))
    assert_ok(define(d / "results.nc", "raw", 'raw(ds("src.nc", "/v"))'))
    assert_ok(define(d / "results.nc", "filled", 'ds("src.nc", "/v") * 2 + 1', "--fill-value", "-999"))
    return d, info, cfdata.decoded(d / "src.nc")


@pytest.mark.parametrize("name", list(EXPRESSIONS))
def test_virtual_variable_equals_xarray_on_the_sources(case, name):
    d, info, e = case
    _, compute, cell_methods = EXPRESSIONS[name]
    want = compute(e)
    path = d / ("sliced.nc" if name == "sliced" else "results.nc")
    with open_quietly(path) as ds:
        got = ds[name].load()
        assert got.attrs.get("cell_methods") == cell_methods, info
        if want.dtype.kind == "f":  # a float result carries _FillValue NaN
            assert np.isnan(got.encoding["_FillValue"])
    compare(got, want, f"{name} {info}", magnitude_of(e))


def test_selections_through_xarray(case):
    """Random isel (steps, reversed slices, integer indices) of the virtual
    variables read through xarray's lazy indexing, against the same
    selection of the oracle."""
    d, info, e = case
    rng = np.random.default_rng(info["seed"] + 1000)
    with open_quietly(d / "results.nc") as ds:
        for name in ("scaled", "anomaly", "climatology"):
            want_all = EXPRESSIONS[name][1](e)
            for _ in range(4):
                sel = {}
                for dim in want_all.dims:
                    n = want_all.sizes[dim]
                    if rng.random() < 0.3:
                        sel[dim] = int(rng.integers(n))
                    else:
                        start, step = int(rng.integers(n)), int(rng.choice([1, 2, -1, -2]))
                        sel[dim] = slice(start, None, step)
                compare(ds[name].isel(sel).load(), want_all.isel(sel), f"{name}[{sel}] {info}",
                        magnitude_of(e))


def test_packed_values_equal_xarray_to_the_bit(case):
    """Unpacking is done as xarray does it (in the decoded type): the values
    of `scaled` are xarray's e * 2 + 1 exactly, NaN where xarray's are."""
    d, info, e = case
    with open_quietly(d / "results.nc") as ds:
        np.testing.assert_array_equal(ds["scaled"].values, (e * 2 + 1).values, err_msg=str(info))


def test_raw_reads_the_stored_values(case):
    """raw(v) is the stored array, of the stored type, without the source's
    CF attributes (so readers do not decode it again): a float one has
    _FillValue NaN, as every float result, an integer one none."""
    d, info, _ = case
    raw = cfdata.raw_values(d / "src.nc")
    with h5py.File(d / "results.nc", "r") as f:
        assert f["raw"].dtype == raw.dtype == np.dtype(info["stored"])
        np.testing.assert_array_equal(f["raw"][...], raw)
        attrs = f["raw"].attrs
        assert not {"scale_factor", "add_offset", "missing_value", "valid_range"} & set(attrs)
        assert np.isnan(attrs["_FillValue"]).all() if raw.dtype.kind == "f" else "_FillValue" not in attrs


def test_fill_value_for_readers_that_want_a_number(case):
    """define --fill-value -999: stored readers (h5py) see -999 where the
    values are missing, _FillValue says -999, and xarray sees them missing
    again."""
    d, info, e = case
    want = (e * 2 + 1).values
    with h5py.File(d / "results.nc", "r") as f:
        got = f["filled"][...]
        assert f["filled"].attrs["_FillValue"].tolist() == [-999.0]
        assert f["filled"].attrs["_FillValue"].dtype == got.dtype
    np.testing.assert_array_equal(got == -999, np.isnan(want), err_msg=str(info))
    with open_quietly(d / "results.nc") as ds:
        np.testing.assert_array_equal(ds["filled"].values, want)


def test_integer_data_without_cf_attributes_stays_integer(tmp_path):
    """An integer variable without CF attributes is an integer operand: its
    sums are int64, as numpy's and xarray's."""
    ds = xr.Dataset({"n": (("time", "x"), np.arange(12, dtype=np.int16).reshape(3, 4))},
                    coords={"time": [0, 1, 2], "x": [0.0, 1.0, 2.0, 3.0]})
    ds.to_netcdf(tmp_path / "src.nc", engine="h5netcdf")
    assert_ok(define(tmp_path / "out.nc", "twice", 'ds("src.nc", "/n") * 2'))
    assert_ok(define(tmp_path / "out.nc", "total", 'sum(ds("src.nc", "/n"), axis=0)'))
    with open_quietly(tmp_path / "out.nc") as out, open_quietly(tmp_path / "src.nc") as src:
        compare(out["twice"].load(), src["n"] * 2, "twice")
        compare(out["total"].load(), src["n"].sum("time"), "total")
        assert "_FillValue" not in out["twice"].encoding
    with h5py.File(tmp_path / "out.nc", "r") as f:
        assert f["twice"].dtype == np.int16 and "_FillValue" not in f["twice"].attrs


def test_h5dump_shows_the_numbers_and_fill_value(case):
    """h5dump (no CF decoding) prints a filled result's numbers, -999 where
    values are missing, and its _FillValue attribute."""
    d, info, e = case
    want = (e * 2 + 1).values.ravel()
    out = assert_ok(run_tool("h5dump", "-d", "/filled", d / "results.nc")).stdout
    fill = out.split('ATTRIBUTE "_FillValue"', 1)[1].split("DATA {", 1)[1].split("}", 1)[0]
    assert fill.split() == ["(0):", "-999"]
    body = out.split('ATTRIBUTE "_FillValue"', 1)[0].split("   DATA {", 1)[1].split("}", 1)[0]
    got = np.array([float(v) for v in re.sub(r"\(\d+(?:,\d+)*\):", " ", body).replace(",", " ").split()])
    np.testing.assert_array_equal(got == -999, np.isnan(want), err_msg=str(info))
    np.testing.assert_allclose(got[~np.isnan(want)], want[~np.isnan(want)], rtol=1e-5)  # h5dump's %g
