"""The examples run, and what they print and write equals numpy's values:
examples/c/read_virtual.c (plain HDF5 calls), examples/python/*.py (h5py,
xarray, the h5lazy module), examples/decade/ (the walk-through) and the
demo's examples/quickstart scripts.
"""
import os
import re
import shutil
import subprocess
import sys

import h5py
import numpy as np
import pytest

from conftest import REPO, assert_ok, define, env_without_connector, require_tool, write_dataset
from test_cli import default_chunks, format_value, human
from test_module import hdf5_include_dir

EXAMPLES = REPO / "examples"


def example_env(connector=True):
    """The environment of a user who sourced build/env.sh: h5lazy, the HDF5
    tools and this python first on PATH (with or without the connector)."""
    env = dict(os.environ) if connector else env_without_connector()
    env["PATH"] = os.pathsep.join([os.environ["H5LAZY_BIN"], os.environ["H5LAZY_HDF5_BIN"],
                                   os.path.dirname(sys.executable), env.get("PATH", "")])
    return env


def run(args, cwd, connector=True):
    """Run an example; returns the CompletedProcess (asserts nothing)."""
    return subprocess.run([str(a) for a in args], cwd=cwd, env=example_env(connector),
                          capture_output=True, text=True, timeout=300)


# ---------------------------------------------------------------------------
# C: read_virtual.c


@pytest.fixture(scope="module")
def read_virtual(tmp_path_factory):
    """examples/c/read_virtual.c compiled against the project's HDF5."""
    d = tmp_path_factory.mktemp("c")
    lib = os.environ["H5LAZY_HDF5_LIB"]
    cc = shutil.which("cc") or shutil.which("gcc")
    proc = subprocess.run([cc, "-std=c11", "-Wall", "-Wextra", "-Werror", f"-I{hdf5_include_dir()}",
                           str(EXAMPLES / "c" / "read_virtual.c"), "-o", str(d / "read_virtual"),
                           f"-L{lib}", f"-Wl,-rpath,{lib}", "-lhdf5"], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    return d / "read_virtual"


def parse_read_virtual(stdout):
    """(header line, values as float64 array of rows)."""
    lines = stdout.splitlines()
    return lines[0], np.array([[float(v) for v in line.split()] for line in lines[1:]])


def test_c_example_reads_a_virtual_dataset(read_virtual, tmp_path):
    f = tmp_path / "c.h5"
    x = np.arange(30, dtype=np.int16).reshape(5, 6)
    write_dataset(f, "x", x, chunks=(2, 3))
    assert_ok(define(f, "v", "x / 7 - mean(x, axis=0)"))
    want = x / 7 - x.mean(axis=0)
    proc = run([read_virtual, f, "/v"], tmp_path)
    assert proc.returncode == 0, proc.stderr
    header, values = parse_read_virtual(proc.stdout)
    assert header == f"{f} /v: shape (5, 6), read (5, 6) from (0, 0)"
    np.testing.assert_array_equal(values, want)  # %.17g: every bit
    # A hyperslab of the first axis.
    proc = run([read_virtual, f, "/v", 3, 2], tmp_path)
    header, values = parse_read_virtual(proc.stdout)
    assert header == f"{f} /v: shape (5, 6), read (2, 6) from (3, 0)"
    np.testing.assert_array_equal(values, want[3:5])
    # A scalar virtual dataset.
    assert_ok(define(f, "s", "sum(x * x)"))
    proc = run([read_virtual, f, "/s"], tmp_path)
    assert proc.stdout == f"{f} /s: shape (), read () from ()\n{int((x.astype(np.int64) ** 2).sum())}\n"


def test_c_example_without_the_connector_fails_loudly(read_virtual, tmp_path):
    f = tmp_path / "n.h5"
    x = np.arange(4.0)
    write_dataset(f, "x", x)
    assert_ok(define(f, "v", "x + 100"))
    proc = run([read_virtual, f, "/v"], tmp_path, connector=False)
    assert proc.returncode == 1
    assert proc.stdout == ""
    assert "external" in proc.stderr and f"cannot read /v from {f}" in proc.stderr
    # Stored data still reads natively.
    proc = run([read_virtual, f, "/x"], tmp_path, connector=False)
    assert proc.returncode == 0
    np.testing.assert_array_equal(parse_read_virtual(proc.stdout)[1].ravel(), x)


# ---------------------------------------------------------------------------
# Python: h5py and xarray


def weather_sources(path):
    """The stored inputs the h5py example wrote."""
    with h5py.File(path, "r") as f:
        return f["temperature"][...], f["u"][...], f["v"][...]


@pytest.mark.parametrize("connector", [True, False], ids=["HDF5_VOL_CONNECTOR", "open_file"])
def test_h5py_example(tmp_path, connector):
    proc = run([sys.executable, EXAMPLES / "python" / "h5py_example.py", tmp_path], tmp_path,
               connector=connector)
    assert proc.returncode == 0, proc.stderr
    t, u, v = weather_sources(tmp_path / "weather.h5")
    celsius = t - np.float32(273.15)
    speed = np.sqrt(u ** 2 + v ** 2)
    out = proc.stdout
    assert f"defined /celsius: float32 {t.shape} = temperature - 273.15\n" in out
    assert f"defined /windy: bool {t.shape} = speed > 5\n" in out
    assert f"celsius[12, :2, :3] =\n{celsius[12, :2, :3]}\n" in out
    assert f"windy hours at station (0, 0): {int((speed[:, 0, 0] > 5).sum())}\n" in out
    assert f"celsius at noon, station (0, 0): {celsius[12::24, 0, 0]}\n" in out
    assert f"check /speed: ok float32 {t.shape}\n" in out
    # The show text: reads of one (24, 4, 5) chunk of u and v.
    n = 24 * 4 * 5
    assert (f"reads per evaluation chunk: {human(2 * n * 4)} for {human(n * 4)} of result "
            f"(u: {n} elements, v: {n} elements)\n") in out
    for name in ("celsius", "speed", "daily_max", "windy"):
        assert f"{name}: " in out and "equals numpy's" in out
    with h5py.File(tmp_path / "weather.h5", "r") as f:  # this process: through the connector
        np.testing.assert_allclose(f["speed"][...], speed, rtol=1e-6)
        np.testing.assert_array_equal(f["daily_max"][...],
                                      np.stack([t[:24].max(axis=0), t[24:].max(axis=0)]))


@pytest.mark.parametrize("connector", [True, False], ids=["HDF5_VOL_CONNECTOR", "open_file"])
def test_xarray_example(tmp_path, connector):
    proc = run([sys.executable, EXAMPLES / "python" / "xarray_example.py", tmp_path], tmp_path,
               connector=connector)
    assert proc.returncode == 0, proc.stderr
    with h5py.File(tmp_path / "sst.h5", "r") as f:
        sst, lat, lon = f["sst"][...], f["lat"][...], f["lon"][...]
        assert [s.name for s in f["anomaly"].dims[0].values()] == ["/time"]
        climatology = f["climatology"][...]
    want = sst.mean(axis=0, dtype=np.float64)
    np.testing.assert_allclose(climatology, want, rtol=1e-7)
    out = proc.stdout
    assert "    anomaly      (time, lat, lon) float32 5kB ...\n" in out
    assert "expression of anomaly: sst - climatology\n" in out
    m = re.search(r"anomaly at lat=60, lon=90: \[([^\]]*)\]", out)
    got = np.array(m.group(1).split(), dtype=float)
    np.testing.assert_allclose(got, (sst - climatology)[:, lat == 60, lon == 90].ravel(), atol=1e-5)
    m = re.search(r"climatology north of 30N, zonal mean: \[([^\]]*)\]", out)
    np.testing.assert_allclose(np.array(m.group(1).split(), dtype=float),
                               want[lat >= 30].mean(axis=1), rtol=1e-6)


# ---------------------------------------------------------------------------
# the decade walk-through


def decade_sources(d):
    """xarray's decade: the ten yearly files decoded and joined."""
    xr = pytest.importorskip("xarray")
    parts = [xr.open_dataset(d / f"year_{year}.nc", engine="h5netcdf") for year in range(2010, 2020)]
    return xr.concat(parts, dim="time")["t2m"]


def block(text, start):
    """The lines of `text` after the line `start` up to the next blank line."""
    lines = text.split("\n")
    i = lines.index(start)
    j = lines.index("", i)
    return lines[i + 1:j]


@pytest.fixture(scope="module")
def decade(tmp_path_factory):
    """The walk-through run once: (its stdout, its directory). It ends
    with h5dump: skips where this HDF5 has no tools."""
    require_tool("h5dump")
    d = tmp_path_factory.mktemp("decade") / "run"
    proc = run([EXAMPLES / "decade" / "walkthrough.sh", d], d.parent)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr
    return proc.stdout, d


def test_decade_defines_and_checks(decade):
    out, d = decade
    t2m = decade_sources(d)
    shape = tuple(t2m.shape)
    assert out.startswith(f"example={EXAMPLES / 'decade'}\n\n$ python $example/make_years.py .\n")
    years = ", ".join(f'ds("year_{y}.nc", "/t2m")' for y in range(2010, 2020))
    assert f"t2m: float32 {shape} = concat([{years}], axis=0)\n" in out
    assert f"anomaly: float32 {shape} = t2m - mean\n" in out
    assert f"std: float32 {shape[1:]} = nanstd(t2m, axis=0)\n" in out
    assert block(out, "$ h5lazy check decade.nc") == [
        f"ok     /anomaly: float32 {shape}", "ok     /lat: float64 (18,)", "ok     /lon: float64 (36,)",
        "ok     /mean: float32 (18, 36)", "ok     /std: float32 (18, 36)", f"ok     /t2m: float32 {shape}",
        "ok     /time: int64 (3650,)", "7 virtual datasets: 7 ok, 0 failed"]


def test_decade_show(decade):
    out, d = decade
    shape = tuple(decade_sources(d).shape)
    chunk = default_chunks(shape, 4)
    per_chunk = int(np.prod(chunk))
    plane = shape[1] * shape[2]
    lines = block(out, "$ h5lazy show decade.nc anomaly")
    assert lines[1] == f"  result: float32 {shape}, evaluation chunks {chunk}"
    assert lines[-1] == (f"  reads per evaluation chunk: {human((per_chunk + plane) * 4)} for "
                         f"{human(per_chunk * 4)} of result (t2m: {per_chunk} elements, mean: "
                         f"{plane} elements)")
    assert lines[-2] == "      stored values (_FillValue NaN: missing values are NaN already)"


def test_decade_eval_and_h5dump_values(decade):
    out, d = decade
    t2m = decade_sources(d)
    values = t2m.values
    january = (np.nanmean(values[-365:-334].astype(np.float64), axis=0).astype(np.float32)
               - np.float32(273.15))[0:2, 0:3]
    lines = block(out, "$ h5lazy eval decade.nc 'nanmean(ds(\"year_2019.nc\", \"/t2m\")[0:31], axis=0)"
                       " - 273.15' --slice '[0:2, 0:3]'")
    data = lines[lines.index("   DATA {") + 1:lines.index("   }")]
    assert data == [f"   (0,0): {', '.join(format_value(v, january.dtype) for v in january[0])},",
                    f"   (1,0): {', '.join(format_value(v, january.dtype) for v in january[1])}"]
    mean = np.nanmean(values.astype(np.float64), axis=0).astype(np.float32)
    last = (values[-1] - mean)[0:2, 0:6]
    lines = block(out, "$ h5dump -A 0 -d /anomaly -s 3649,0,0 -c 1,2,6 decade.nc")
    got = [float(v) for line in lines if line.startswith("      (3649,")
           for v in line.split(": ")[1].rstrip(",").split(", ")]
    np.testing.assert_allclose(got, last.ravel(), rtol=2e-5, atol=1e-4)  # %g: 6 digits
    with h5py.File(d / "year_2019.nc", "r") as f:
        packed = f["t2m"][-1, 0, 0:6]
    lines = block(out, "$ h5lazy eval year_2019.nc 'raw(t2m)[-1, 0, 0:6]'")
    assert f"   (0): {', '.join(str(v) for v in packed)}" in lines
    lines = block(out, "$ h5lazy eval year_2019.nc 't2m[-1, 0, 0:6]'")
    decoded = packed.astype(np.float32) * np.float32(0.01) + np.float32(273.15)
    assert f"   (0): {', '.join(format_value(v, decoded.dtype) for v in decoded)}" in lines


def test_decade_saved_statistics(decade):
    out, d = decade
    values = decade_sources(d).values.astype(np.float64)
    assert block(out, "$ h5lazy save --no-progress decade.nc mean std")[:2] == [
        "saved mean -> decade.nc:/mean", "saved std -> decade.nc:/std"]
    with h5py.File(d / "decade.nc", "r") as f:
        assert "h5lazy_expression" not in f["mean"].attrs
        assert f["mean"].attrs["cell_methods"] == "time: mean" and f["mean"].attrs["units"] == "K"
        assert [s.name for s in f["mean"].dims[0].values()] == ["/lat"]
        np.testing.assert_allclose(f["mean"][...], np.nanmean(values, axis=0), rtol=1e-6)
        np.testing.assert_allclose(f["std"][...], np.nanstd(values, axis=0), rtol=1e-5)
    tail = out.split("$ python $example/read_results.py .\n")[1]
    assert tail.endswith("xarray reads the virtual and the saved variables as its own computation on the "
                         "yearly files\n")
    assert "Dimensions:  (time: 3650, lat: 18, lon: 36)" in tail
    assert "cell_methods of mean: 'time: mean'" in tail
    missing = int(np.isnan(values).sum())
    assert missing > 0 and f"missing values in the anomaly: {missing} (in the yearly files: {missing})" in tail


def test_decade_make_years_size(tmp_path):
    xr = pytest.importorskip("xarray")
    proc = run([sys.executable, EXAMPLES / "decade" / "make_years.py", tmp_path, "--size", "20x4x6",
                "--years", "2", "--first-year", "2001"], tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == ("wrote year_2001.nc: t2m int16 (20, 4, 6), packed\n"
                           "wrote year_2002.nc: t2m int16 (20, 4, 6), packed\n")
    with h5py.File(tmp_path / "year_2002.nc", "r") as f:
        assert f["t2m"].shape == (20, 4, 6) and f["t2m"].dtype == np.int16
        assert f["t2m"].attrs["_FillValue"].tolist() == [-32767]
        assert f["t2m"].attrs["scale_factor"].dtype == np.float32
    with xr.open_dataset(tmp_path / "year_2002.nc", engine="h5netcdf", decode_times=False) as ds:
        np.testing.assert_array_equal(ds["time"].values, np.arange(20, 40))
        assert ds["time"].attrs["units"] == "days since 2001-01-01"
        assert 200 < float(ds["t2m"].mean()) < 300


# ---------------------------------------------------------------------------
# the demo's scripts still work


def test_quickstart_scripts(tmp_path):
    proc = run([sys.executable, EXAMPLES / "quickstart" / "make_sources.py", tmp_path], tmp_path)
    assert proc.returncode == 0, proc.stderr
    surface = tmp_path / "surface.h5"
    for name, expr in [("anomaly", "temperature - climatology"), ("celsius", "temperature - 273.15"),
                       ("pressure_hpa", 'ds("station.h5", "/pressure") / 100')]:
        assert_ok(define(surface, name, expr))
    proc = run([sys.executable, EXAMPLES / "quickstart" / "read_with_h5py.py", tmp_path], tmp_path)
    assert proc.returncode == 0, proc.stderr
    with h5py.File(surface, "r") as f:
        want = f["temperature"][2:4, ::2] - f["climatology"][::2]
    assert f"anomaly[2:4, ::2] =\n{want}\n" in proc.stdout
    assert "pressure_hpa: float64 (6, 8) equals numpy's result\n" in proc.stdout
