"""Issue 15: what a virtual variable says to netCDF readers besides its
values — dimensions and coordinates that follow the data (attached scales,
derived coordinates for sliced, stepped and reversed axes, none for new and
reduced axes, --dim), attributes (_FillValue, --attr, --attrs-from,
cell_methods), the decoding `show` and the Python module report, and
definitions of stored format 1, whose operands read as stored.
"""
import subprocess
import sys
import warnings

import h5py
import numpy as np
import pytest

from conftest import REPO, assert_ok, define, env_without_connector, run_h5lazy
from hardening import placeholder

sys.path.insert(0, str(REPO / "python"))
import h5lazy  # noqa: E402  (from the repository, not installed)

xr = pytest.importorskip("xarray", reason="xarray is installed by scripts/deps.sh")

NOT_A_VARIABLE = "This is a netCDF dimension but not a netCDF variable."
T, Y, X = 5, 4, 6
RNG = np.random.default_rng(15)
TAS = RNG.normal(280, 10, (T, Y, X))
TAS[1, 2, 3] = np.nan
LAT = np.linspace(-45, 45, Y)
LON = np.arange(X) * 60.0


def open_quietly(path, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return xr.open_dataset(path, engine="h5netcdf", **kwargs)


@pytest.fixture
def src(tmp_path):
    """src.nc written by xarray: tas (time, lat, lon) packed in int16 with
    a fill value and descriptive and reference attributes, coordinates with
    units and a calendar, and pr (time, station) whose station dimension
    has no coordinate variable."""
    ds = xr.Dataset(
        {"tas": (("time", "lat", "lon"), TAS, {"units": "K", "standard_name": "air_temperature",
                                               "long_name": "temperature", "cell_methods": "area: mean",
                                               "coordinates": "height", "actual_range": [250.0, 310.0]}),
         "pr": (("time", "station"), RNG.uniform(0, 5, (T, 3)), {"units": "mm"}),
         "height": ((), 2.0)},
        coords={"time": ("time", np.arange(T), {"units": "days since 2001-01-01", "calendar": "proleptic_gregorian"}),
                "lat": ("lat", LAT, {"units": "degrees_north", "axis": "Y"}),
                "lon": ("lon", LON, {"units": "degrees_east"})})
    enc = {"tas": {"dtype": "int16", "scale_factor": np.float32(0.01), "add_offset": np.float32(280),
                   "_FillValue": np.int16(-32767)}}
    ds.to_netcdf(tmp_path / "src.nc", engine="h5netcdf", encoding=enc)
    return tmp_path


def scale_names(path, name):
    """The dimension scales attached to each axis of a dataset (h5py's
    reading of DIMENSION_LIST), as paths."""
    with h5py.File(path, "r") as f:
        return [[s.name for s in f[name].dims[k].values()] for k in range(f[name].ndim)]


def back_references(path, scale):
    """(dataset path, axis) of each REFERENCE_LIST entry of a scale."""
    with h5py.File(path, "r") as f:
        if "REFERENCE_LIST" not in f[scale].attrs:
            return []
        return sorted((f[ref].name, int(axis)) for ref, axis in f[scale].attrs["REFERENCE_LIST"])


# ---------------------------------------------------------------------------
# dimensions and coordinates


def test_same_file_axes_attach_the_operands_scales(src):
    """Defined next to its operand, a result's whole axes get the operand's
    own scales (nothing new is made), with back references as H5DS makes
    them; xarray shows the same dimensions and coordinates."""
    f = src / "src.nc"
    assert_ok(define(f, "warm", "tas - 273.15"))
    assert scale_names(f, "warm") == [["/time"], ["/lat"], ["/lon"]]
    assert ("/warm", 1) in back_references(f, "/lat")
    with open_quietly(f) as ds:
        assert ds["warm"].dims == ("time", "lat", "lon")
        np.testing.assert_array_equal(ds["warm"]["lat"].values, LAT)
        np.testing.assert_allclose(ds["warm"].values, (ds["tas"] - 273.15).values, rtol=1e-6)


def test_sliced_axes_get_derived_coordinates(src):
    """Sliced, stepped and reversed axes get a coordinate derived the same
    way: a virtual dataset over the source coordinate, made a dimension
    scale, named after the dimension unless the name is taken (here it is:
    lat_1, lon_1), and shared by results sliced alike; xarray's coordinates
    are those of the same selection of the source."""
    f = src / "src.nc"
    assert_ok(define(f, "part", "tas[::2, 1:, ::-1]"))
    assert_ok(define(f, "again", "tas[::2, 1:, ::-1] * 2"))
    assert_ok(define(f, "other", "tas[:, :2]"))
    assert scale_names(f, "part") == [["/time_1"], ["/lat_1"], ["/lon_1"]]
    assert scale_names(f, "again") == scale_names(f, "part")
    assert scale_names(f, "other") == [["/time"], ["/lat_2"], ["/lon"]]
    with h5py.File(f, "r") as h:
        assert h["lat_1"].attrs["h5lazy_expression"] == 'ds("/lat")[1:4]'
        assert h["lon_1"].attrs["h5lazy_expression"] == 'ds("/lon")[5::-1]'
        assert h["time_1"].attrs["h5lazy_expression"] == 'ds("/time")[0:6:2]'
        assert h["lat_1"].attrs["CLASS"] == b"DIMENSION_SCALE"
        assert h["lat_1"].attrs["units"] == "degrees_north" and h["lat_1"].attrs["axis"] == "Y"
        assert h["time_1"].attrs["calendar"] == "proleptic_gregorian"
    with open_quietly(f) as ds:
        want = ds["tas"].isel(time=slice(None, None, 2), lat=slice(1, None), lon=slice(None, None, -1))
        got = ds["part"]
        assert got.dims == ("time_1", "lat_1", "lon_1")
        for mine, theirs in zip(got.dims, want.dims):
            np.testing.assert_array_equal(got[mine].values, want[theirs].values)
        np.testing.assert_array_equal(got.values, want.values)


def test_a_new_file_gets_coordinates_over_the_operands_file(src):
    """In another file a result's coordinates are virtual datasets over the
    operand file's coordinates, named as its dimensions; xarray decodes the
    time coordinate (its units and calendar are copied) as for the source."""
    out = src / "out.nc"
    assert_ok(define(out, "anom", 'ds("src.nc", "/tas") - nanmean(ds("src.nc", "/tas"), axis=0)'))
    assert_ok(define(out, "sub", 'ds("src.nc", "/tas")[1:3, ::-2]'))
    with h5py.File(out, "r") as h:
        assert h["time"].attrs["h5lazy_expression"] == 'ds("src.nc", "/time")'
        assert h["lat_1"].attrs["h5lazy_expression"] == 'ds("src.nc", "/lat")[3::-2]'
    with open_quietly(out) as ds, open_quietly(src / "src.nc") as s:
        assert ds["anom"].dims == ("time", "lat", "lon")
        np.testing.assert_array_equal(ds["time"].values, s["time"].values)
        assert ds["sub"].dims == ("time_1", "lat_1", "lon")
        np.testing.assert_array_equal(ds["time_1"].values, s["time"].values[1:3])
        np.testing.assert_array_equal(ds["lat_1"].values, LAT[::-2])


def test_reduced_axes_drop_and_cell_methods_name_them(src):
    """Reduced axes drop their dimensions; a reduction over named
    dimensions says so in cell_methods, after what the source said."""
    out = src / "out.nc"
    assert_ok(define(out, "clim", 'nanmean(ds("src.nc", "/tas"), axis=0)', "--attrs-from", "tas"))
    assert_ok(define(out, "peak", 'max(ds("src.nc", "/tas"), axis=(1, 2)) - 273.15'))
    assert_ok(define(out, "spread", 'std(ds("src.nc", "/tas"), axis=0, ddof=1)'))
    assert_ok(define(out, "anom", 'ds("src.nc", "/tas") - mean(ds("src.nc", "/tas"), axis=0)'))
    assert_ok(define(out, "n", 'count(ds("src.nc", "/tas"), axis=0)'))
    with open_quietly(out) as ds:
        assert ds["clim"].dims == ("lat", "lon")
        assert ds["clim"].attrs["cell_methods"] == "area: mean time: mean"
        assert ds["peak"].dims == ("time",)
        assert ds["peak"].attrs["cell_methods"] == "lat: lon: maximum"
        assert ds["spread"].attrs["cell_methods"] == "time: standard_deviation"
        assert "cell_methods" not in ds["anom"].attrs  # an anomaly is no reduction
        assert "cell_methods" not in ds["n"].attrs     # CF has no method for count
        assert ds["n"].dtype == np.int64


def test_median_names_its_cell_method_and_percentile_none(src):
    """Issue 13: a median over time is CF's `time: median`; CF has no
    method for a percentile, which gets no cell_methods."""
    out = src / "out.nc"
    assert_ok(define(out, "med", 'nanmedian(ds("src.nc", "/tas"), axis=0)'))
    assert_ok(define(out, "p90", 'percentile(ds("src.nc", "/tas"), 90, axis=(1, 2))'))
    with open_quietly(out) as ds:
        assert ds["med"].dims == ("lat", "lon")
        assert ds["med"].attrs["cell_methods"] == "time: median"
        assert ds["p90"].dims == ("time",)
        assert "cell_methods" not in ds["p90"].attrs


def test_new_axes_have_no_dimension_unless_named(src):
    """stack's new axis gets no scale (h5netcdf then refuses the variable,
    which mixes axes with and without scales); --dim names one: a dimension
    without coordinates made next to it, or an existing 1-D dataset."""
    out = src / "out.nc"
    two = 'stack([ds("src.nc", "/tas"), ds("src.nc", "/tas") * 2])'
    assert_ok(define(out, "bare", two))
    assert scale_names(out, "bare") == [[], ["/time"], ["/lat"], ["/lon"]]
    assert_ok(define(out, "pair", two, "--dim", "0=member"))
    with h5py.File(out, "a") as h:
        assert h["member"].attrs["NAME"].decode().startswith(NOT_A_VARIABLE)
        assert h["member"].shape == (2,)
        del h["bare"]
    with open_quietly(out) as ds:
        assert ds["pair"].dims == ("member", "time", "lat", "lon")
        assert "member" not in ds.coords
    with h5py.File(out, "a") as h:
        h["run"] = np.array([10, 20])
    assert_ok(define(out, "runs", two, "--dim", "-4=run"))
    with open_quietly(out) as ds:
        np.testing.assert_array_equal(ds["runs"]["run"].values, [10, 20])
    proc = define(out, "bad", two, "--dim", "0=lat")
    assert proc.returncode == 1
    assert "--dim 0=lat: '/lat' is not a 1-D dataset of the axis' extent 2" in proc.stderr
    assert "bad" not in h5py.File(out, "r")


def test_dimensions_without_coordinates_follow_too(src):
    """xarray writes a dimension without a coordinate variable as a bare
    scale (netCDF's "dimension but not variable"); a slice of it gives a new
    bare dimension of the new length, named after it."""
    out = src / "out.nc"
    assert_ok(define(out, "p2", 'ds("src.nc", "/pr")[:, ::2]'))
    with h5py.File(out, "r") as h:
        name = h["station"].attrs["NAME"].decode()
        assert name.startswith(NOT_A_VARIABLE) and name.endswith("2") and h["station"].shape == (2,)
    with open_quietly(out) as ds, open_quietly(src / "src.nc") as s:
        assert ds["p2"].dims == ("time", "station")
        assert "station" not in ds.coords
        np.testing.assert_array_equal(ds["p2"].values, s["pr"].values[:, ::2])


def test_coordinate_variables_run_along_themselves(src):
    """An expression over a coordinate variable (itself a 1-D scale) has
    that dimension: lat * 2 is along lat, lat[::2] along a derived one."""
    f = src / "src.nc"
    assert_ok(define(f, "lat2", "lat * 2"))
    assert_ok(define(f, "lat_even", "lat[::2]"))
    assert scale_names(f, "lat2") == [["/lat"]]
    assert scale_names(f, "lat_even") == [["/lat_1"]]


def test_overwrite_detaches_the_old_definition(src):
    """Replacing a virtual dataset takes the old one off its scales'
    REFERENCE_LIST: no stale entries."""
    f = src / "src.nc"
    assert_ok(define(f, "w", "tas * 2"))
    assert ("/w", 1) in back_references(f, "/lat")
    assert_ok(define(f, "w", "tas[0]", "--overwrite"))
    assert [r for r in back_references(f, "/lat") if r[0] == "/w"] == [("/w", 0)]
    assert [r for r in back_references(f, "/time") if r[0] == "/w"] == []


# ---------------------------------------------------------------------------
# attributes


def test_attrs_from_copies_descriptive_attributes_only(src):
    """--attrs-from copies units, long_name, standard_name (and extends
    cell_methods) but never encoding attributes, attributes naming other
    variables, or the operand's actual_range."""
    out = src / "out.nc"
    assert_ok(define(out, "t", 'ds("src.nc", "/tas") * 1', "--attrs-from", "src.nc:/tas"))
    with h5py.File(out, "r") as h:
        attrs = {k: v for k, v in h["t"].attrs.items() if not k.startswith("h5lazy_")}
    assert sorted(attrs) == ["DIMENSION_LIST", "_FillValue", "cell_methods", "long_name", "standard_name", "units"]
    assert np.isnan(attrs["_FillValue"]).all() and attrs["_FillValue"].dtype == np.float32
    assert attrs["cell_methods"] == "area: mean"
    proc = define(out, "u", 'ds("src.nc", "/tas") * 1', "--attrs-from", "nope")
    assert proc.returncode == 1
    assert "--attrs-from 'nope' is not an operand of the expression (its operands: src.nc:/tas)" in proc.stderr


def test_attr_sets_numbers_and_text(src):
    """--attr: integers become int64, other numbers float64, the rest (and
    anything quoted) text; later ones win; bookkeeping is refused."""
    out = src / "out.nc"
    assert_ok(define(out, "t", 'ds("src.nc", "/tas") - 273.15', "--attr", "units=degC", "--attr", "n=7",
                     "--attr", "w=0.5", "--attr", 'code="42"', "--attr", "units=Celsius"))
    with h5py.File(out, "r") as h:
        a = h["t"].attrs
        assert a["units"] == "Celsius" and a["code"] == "42"
        assert a["n"].dtype == np.int64 and a["n"].tolist() == [7]
        assert a["w"].dtype == np.float64 and a["w"].tolist() == [0.5]
    for bad, why in [("_FillValue=1", "attribute _FillValue is written by define itself"),
                     ("DIMENSION_LIST=1", "attribute DIMENSION_LIST is bookkeeping"),
                     ("h5lazy_format=1", "attribute h5lazy_format is bookkeeping")]:
        proc = define(out, "bad", 'ds("src.nc", "/tas")', "--attr", bad)
        assert proc.returncode == 1 and why in proc.stderr, proc.stderr
    proc = run_h5lazy("define", "--attr", "novalue", out, "bad", "1")
    assert proc.returncode == 2
    assert proc.stderr.startswith("h5lazy define: error: --attr wants KEY=VALUE, got 'novalue'")


def test_fill_value_needs_a_float_result(src):
    proc = define(src / "out.nc", "n", 'count(ds("src.nc", "/tas"), axis=0)', "--fill-value", "-1")
    assert proc.returncode == 1
    assert ("a fill value needs a float result, and this one is int64 (it holds no missing values)"
            in proc.stderr)


# ---------------------------------------------------------------------------
# what the decoding is, and stored format 1


def test_show_says_which_decoding_applies(src):
    out = src / "out.nc"
    assert_ok(define(out, "mix", 'ds("src.nc", "/tas") + raw(ds("src.nc", "/tas")) * 0 + ds("src.nc", "/pr")[:, :1, None]'))
    text = assert_ok(run_h5lazy("show", out, "mix")).stdout
    assert ("    src.nc:/tas: int16 (5, 4, 6), contiguous\n"
            "      decoded as float32: _FillValue -32767 is missing; unpacked as x * 0.01 + 280 (scale_factor and add_offset, float32)\n"
            in text)
    assert ("    src.nc:/pr: float64 (5, 3), contiguous\n"  # xarray wrote _FillValue NaN
            "      stored values (_FillValue NaN: missing values are NaN already)\n" in text)
    assert "├── decode  float32 (5, 4, 6)\n" in text


def test_python_module_defines_and_reports_decoding(src):
    with h5py.File(src / "out.nc", "a") as f:
        d = h5lazy.define(f, "t", 'ds("src.nc", "/tas")[0]', fill_value=-1, attrs={"units": "K", "n": 2},
                          attrs_from="tas")
        assert d.dtype == np.float32 and d.shape == (Y, X)
        assert f["t"].attrs["_FillValue"].tolist() == [-1.0]
        assert f["t"].attrs["n"].tolist() == [2] and f["t"].attrs["long_name"] == "temperature"
        h5lazy.define(f, "s", 'stack([ds("src.nc", "/tas")[0], ds("src.nc", "/tas")[1]])', dims={0: "pair"})
        assert [[s.name for s in f["s"].dims[k].values()] for k in range(3)] == [["/pair"], ["/lat"], ["/lon"]]
        ops = h5lazy.operands(f, "t")
        assert ops == [h5lazy.Operand("src.nc:/tas", np.dtype("int16"), np.dtype("float32"),
                                      "decoded as float32: _FillValue -32767 is missing; "
                                      "unpacked as x * 0.01 + 280 (scale_factor and add_offset, float32)")]
        ops = h5lazy.operands(f, expression='raw(ds("src.nc", "/pr"))')
        assert ops == [h5lazy.Operand("src.nc:/pr", np.dtype("float64"), np.dtype("float64"),
                                      "stored values (_FillValue NaN: missing values are NaN already)")]
        with pytest.raises(TypeError):
            h5lazy.define(f, "x", "1", attrs={"flag": True})


def test_stored_format_1_reads_operands_as_stored(src):
    """A definition of stored format 1 (before decoding existed) reads its
    operands as stored, as it always did: the packed integers."""
    out = src / "out.nc"
    with h5py.File(out, "w") as f:
        placeholder(f, "old", (T, Y, X), "i2", 'ds("src.nc", "/tas")', fmt=1)
    with h5py.File(src / "src.nc", "r") as f:
        stored = f["tas"][...]
    with h5py.File(out, "r") as f:
        np.testing.assert_array_equal(f["old"][...], stored)
    text = assert_ok(run_h5lazy("show", out, "old")).stdout
    assert "stored values (defined with stored format 1, before operands were decoded)" in text


def test_without_the_connector_the_coordinates_fail_like_the_data(src):
    """Derived coordinates are virtual datasets: read natively they fail
    loudly, as every virtual dataset does."""
    out = src / "out.nc"
    assert_ok(define(out, "sub", 'ds("src.nc", "/tas")[1:3]'))
    code = ("import sys, h5py\n"
            "f = h5py.File(sys.argv[1], 'r')\n"
            "try:\n    f['time'][...]\n    print('read')\nexcept OSError:\n    print('OSError')\n")
    proc = subprocess.run([sys.executable, "-c", code, str(out)], capture_output=True, text=True,
                          env=env_without_connector(), timeout=60)
    assert proc.stdout == "OSError\n", proc.stderr


def test_save_keeps_attributes_and_in_place_the_dimensions(src):
    """h5lazy save of a result: a copy in another file has its attributes
    but no dimension list (its object references would point nowhere
    there); saved in place it keeps its dimensions, and xarray reads the
    stored variable as it read the virtual one."""
    out = src / "out.nc"
    assert_ok(define(out, "clim", 'nanmean(ds("src.nc", "/tas"), axis=0)', "--attrs-from", "tas"))
    with open_quietly(out) as ds:
        want = ds["clim"].load()
    assert_ok(run_h5lazy("save", "--no-progress", out, f"clim={src / 'copy.nc'}:/clim"))
    with h5py.File(src / "copy.nc", "r") as h:
        assert "DIMENSION_LIST" not in h["clim"].attrs
        assert h["clim"].attrs["cell_methods"] == "area: mean time: mean"
        assert np.isnan(h["clim"].attrs["_FillValue"]).all()
    assert_ok(run_h5lazy("save", "--no-progress", out, "clim"))
    with h5py.File(out, "r") as h:
        assert "h5lazy_expression" not in h["clim"].attrs
    assert scale_names(out, "clim") == [["/lat"], ["/lon"]]
    with open_quietly(out) as ds:
        xr.testing.assert_identical(ds["clim"].load().drop_attrs(), want.drop_attrs())
        assert ds["clim"].attrs["units"] == "K"


def test_joined_axes_join_their_coordinates(src):
    """concat of yearly files along time: the time coordinate is the parts'
    coordinates joined the same way (a virtual dataset), when they count
    from the same origin (units, calendar); sliced as the result is."""
    for year, first in ((2001, 0), (2002, 5)):
        ds = xr.Dataset({"t": (("time", "lat"), np.full((5, Y), float(year)))},
                        coords={"time": ("time", first + np.arange(5),
                                         {"units": "days since 2001-01-01", "calendar": "standard"}),
                                "lat": LAT})
        ds.to_netcdf(src / f"y{year}.nc", engine="h5netcdf")
    other = xr.Dataset({"t": (("time", "lat"), np.zeros((5, Y)))},
                       coords={"time": ("time", np.arange(5), {"units": "days since 1990-01-01"}), "lat": LAT})
    other.to_netcdf(src / "y1990.nc", engine="h5netcdf")
    out = src / "joined.nc"
    both = 'concat([ds("y2001.nc", "/t"), ds("y2002.nc", "/t")], axis=0)'
    assert_ok(define(out, "t", both))
    assert_ok(define(out, "t_odd", f"{both}[1::2]"))
    with h5py.File(out, "r") as h:
        assert h["time"].attrs["h5lazy_expression"] == ('concat([ds("y2001.nc", "/time"), ds("y2002.nc", "/time")], '
                                                        'axis=0)')
        assert h["time_1"].attrs["h5lazy_expression"].endswith("axis=0)[1:11:2]")
    with open_quietly(out) as ds:
        assert ds["t"].dims == ("time", "lat")
        np.testing.assert_array_equal(ds["time"].values, np.datetime64("2001-01-01") + np.arange(10))
        np.testing.assert_array_equal(ds["time_1"].values, ds["time"].values[1::2])
    mixed = 'concat([ds("y2001.nc", "/t"), ds("y1990.nc", "/t")], axis=0)'
    assert_ok(define(out, "mixed", mixed, "--dim", "0=steps"))  # other units: no joined coordinate
    with h5py.File(out, "r") as h:
        assert h["steps"].attrs["NAME"].decode().startswith(NOT_A_VARIABLE)


def test_results_read_together_keep_their_own_fill_values(src):
    """h5lazy save computes results of one shape in one pass (one graph for
    several virtual datasets); each still writes its missing values as its
    own _FillValue says, and reads its operand decoded."""
    out = src / "out.nc"
    assert_ok(define(out, "a", 'ds("src.nc", "/tas") * 1', "--fill-value", "-999"))
    assert_ok(define(out, "b", 'ds("src.nc", "/tas") * 2'))
    assert_ok(run_h5lazy("save", "--no-progress", out, f"a={src / 'saved.h5'}:/a", f"b={src / 'saved.h5'}:/b"))
    with h5py.File(src / "saved.h5", "r") as f:
        a, b = f["a"][...], f["b"][...]
    with open_quietly(src / "src.nc") as ds:
        want = ds["tas"].values
    np.testing.assert_array_equal(a == -999, np.isnan(want))
    np.testing.assert_array_equal(np.isnan(b), np.isnan(want))
    np.testing.assert_allclose(b[~np.isnan(b)], 2 * want[~np.isnan(want)], rtol=1e-6)


def test_python_m_h5lazy_define_takes_the_same_options(src, capsys):
    """python -m h5lazy define (the wheel's command) passes --fill-value,
    --attr, --attrs-from and --dim to h5lazy.define."""
    from h5lazy.__main__ import main
    out = src / "out.nc"
    two = 'stack([ds("src.nc", "/tas")[0], ds("src.nc", "/tas")[1]])'
    assert main(["define", str(out), "t", two, "--fill-value", "-1", "--attr", "units=degK", "--attr", "n=3",
                 "--attr", "w=0.25", "--attr", 'code="7"', "--attrs-from", "tas", "--dim", "0=pair"]) == 0
    assert capsys.readouterr().out == "defined /t: float32 (2, 4, 6)\n"
    with h5py.File(out, "r") as f:
        a = f["t"].attrs
        assert a["_FillValue"].tolist() == [-1.0] and a["units"] == "degK" and a["code"] == "7"
        assert a["n"].dtype == np.int64 and a["w"].tolist() == [0.25] and a["long_name"] == "temperature"
        assert [[s.name for s in f["t"].dims[k].values()] for k in range(3)] == [["/pair"], ["/lat"], ["/lon"]]
    with pytest.raises(SystemExit):
        main(["define", str(out), "u", "1", "--dim", "zero=x"])

