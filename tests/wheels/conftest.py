"""Setup of the pip-wheel stack tests (tests/wheels): virtual environments
made from PyPI's wheels, cached under build/wheel-stacks, and a file of
virtual datasets they read.

Every pip wheel of h5py and netCDF4 carries its own libhdf5 under a hashed
name, loaded with local scope; 3.12-3.15 and netCDF4 1.7.4 bundle HDF5 1.14,
h5py 3.16 bundles 2.0.0 and netCDF4 1.7.5 bundles 2.2.0. The plugin
directory under test (HDF5_PLUGIN_PATH, from ctest) must serve them all.

ctest sets HDF5_PLUGIN_PATH, H5LAZY_BIN (the h5lazy command that defines
the virtual datasets), H5LAZY_SOURCE_DIR, H5LAZY_WHEEL_CACHE and
H5LAZY_OTHER_HDF5_LINE (empty when the plugin directory has a connector
build for one line only: the stacks of the other line then skip).
"""
import json
import os
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

CONNECTOR = "h5lazy under_vol=0;under_info={}"
CACHE = Path(os.environ.get("H5LAZY_WHEEL_CACHE", Path(__file__).resolve().parents[2] / "build/wheel-stacks"))
PYTHON = "/usr/bin/python3"  # a plain interpreter, as a user's venv has

# name -> (requirements, HDF5 line of the libhdf5 its wheels bundle)
STACKS = {
    "h5py-3.12.1": (["h5py==3.12.1"], "1.14"),
    "h5py-3.15.1": (["h5py==3.15.1"], "1.14"),
    "h5py-3.16.0": (["h5py==3.16.0"], "2"),
    "netCDF4-1.7.4": (["netCDF4==1.7.4"], "1.14"),
    "netCDF4-1.7.5.1.post1": (["netCDF4==1.7.5.1.post1"], "2"),
    "xarray": (["xarray==2026.9.0", "netCDF4==1.7.5.1.post1", "h5netcdf==1.8.2", "h5py==3.16.0"], "2"),
}

# The virtual datasets of main.h5 (sources a in main.h5, c in other.h5) and
# what numpy says they hold.
A = np.arange(48, dtype=np.float64).reshape(6, 8)
C = (np.arange(48, dtype=np.float64)[::-1] * 0.5).reshape(6, 8)
DEFINITIONS = {
    "lin": ("a * 2 + 1", A * 2 + 1),
    "rev": ("a[::-1, ::-2]", A[::-1, ::-2]),
    "red": ("mean(a, axis=0)", A.mean(axis=0)),
    "far": ('ds("other.h5", "/c") - a', C - A),
}
# What each reader reads (name -> numpy's answer): whole datasets, strided
# and, where the reader allows negative steps, reversed selections.
WHOLE = {name: want for name, (_, want) in DEFINITIONS.items()}
STRIDED = {"lin[1::2, ::3]": (A * 2 + 1)[1::2, ::3], "far[::2, 1::3]": (C - A)[::2, 1::3]}
REVERSED = {"lin[::-1, ::-2]": (A * 2 + 1)[::-1, ::-2], "far[::-2, 1::3]": (C - A)[::-2, 1::3]}

# The child's reader: argv KIND FILE; prints one JSON object: the values read
# by expression, and the real paths of every libhdf5 mapped.
READER = r'''
import json, os, re, sys
kind, path, texts = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])
out = {}
if kind == "h5py":
    import h5py
    f = h5py.File(path, "r")
    var = lambda name: f[name]
elif kind == "netCDF4":
    import netCDF4
    f = netCDF4.Dataset(path)
    f.set_auto_mask(False)
    var = lambda name: f.variables[name]
else:
    import xarray as xr
    engine = kind.split("-")[1]
    f = xr.open_dataset(path, engine=engine, **({"phony_dims": "sort"} if engine == "h5netcdf" else {}))
    var = lambda name: f[name].values
for text in texts:
    name, bracket, index = text.partition("[")
    out[text] = eval("v[" + (index if bracket else "...]"), {"v": var(name)}).tolist()
f.close()
maps = [l.split(None, 5)[5].strip() for l in open("/proc/self/maps") if len(l.split(None, 5)) == 6]
libs = sorted({os.path.realpath(p) for p in maps if re.match(r"libhdf5(-[0-9a-f]+)?\.so", os.path.basename(p))})
print(json.dumps({"values": out, "libhdf5": libs}))
'''


def clean_env(**extra):
    """A user's environment: nothing of the project's build (no
    LD_LIBRARY_PATH, no H5LAZY_*), plus `extra`."""
    env = {"PATH": "/usr/bin:/bin", "HOME": os.environ.get("HOME", "/tmp"), "LANG": "C.UTF-8"}
    env.update(extra)
    return env


def make_venv(name, requirements):
    """The venv `name` under the cache with exactly `requirements` (wheels
    only, from PyPI); made once, remade when the list changes."""
    venv = CACHE / name
    stamp = venv / "h5lazy-requirements.txt"
    wanted = "\n".join(requirements) + "\n"
    if stamp.is_file() and stamp.read_text() == wanted and (venv / "bin/python").exists():
        return venv
    shutil.rmtree(venv, ignore_errors=True)
    subprocess.run([PYTHON, "-m", "venv", str(venv)], check=True)
    proc = subprocess.run([str(venv / "bin/python"), "-m", "pip", "install", "-q", "--only-binary", ":all:",
                           *requirements], capture_output=True, text=True)
    assert proc.returncode == 0, f"pip install {requirements} failed:\n{proc.stdout}\n{proc.stderr}"
    stamp.write_text(wanted)
    return venv


def plugin_lines():
    """The HDF5 lines the plugin directory under test has builds for."""
    plugin = Path(os.environ["HDF5_PLUGIN_PATH"]) / "h5lazy"
    return {p.name[len("impl-hdf5-"):-3] for p in plugin.glob("impl-hdf5-*.so")}


def skip_unless_line(line):
    if line not in plugin_lines():
        pytest.skip(f"the plugin directory has no connector build for HDF5 line {line} "
                    "(set that line up: scripts/deps.sh 2, then rebuild)")


@pytest.fixture(scope="session")
def vds_dir(tmp_path_factory):
    """A directory with main.h5 (a and the virtual datasets) and other.h5
    (c), defined with the project's h5lazy command."""
    import h5py
    d = tmp_path_factory.mktemp("vds")
    with h5py.File(d / "main.h5", "w") as f:
        f.create_dataset("a", data=A, chunks=(3, 4))
    with h5py.File(d / "other.h5", "w") as f:
        f.create_dataset("c", data=C, chunks=(2, 8))
    env = dict(os.environ, HDF5_VOL_CONNECTOR=CONNECTOR)
    for name, (expr, _) in DEFINITIONS.items():
        proc = subprocess.run([str(Path(os.environ["H5LAZY_BIN"]) / "h5lazy"), "define", "--",
                               str(d / "main.h5"), name, expr], capture_output=True, text=True, env=env)
        assert proc.returncode == 0, proc.stderr
    return d


def read_with(python, kind, path, env, reversed_ok=True, prelude=""):
    """Run READER (after `prelude`) in `python` with exactly `env`; returns
    (values, libhdf5 paths). h5py refuses negative steps itself:
    reversed_ok=False."""
    texts = list(WHOLE) + list(STRIDED) + (list(REVERSED) if reversed_ok else [])
    proc = subprocess.run([str(python), "-c", prelude + READER, kind, str(path), json.dumps(texts)],
                          capture_output=True, text=True, env=env, timeout=300)
    assert proc.returncode == 0, f"{kind} reader exited {proc.returncode}:\n{proc.stderr[-3000:]}"
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    return result["values"], result["libhdf5"]


def check_values(values, with_reversed=True):
    """Every read equals numpy's answer."""
    expected = {**WHOLE, **STRIDED, **(REVERSED if with_reversed else {})}
    assert set(values) == set(expected)
    for text, want in expected.items():
        np.testing.assert_array_equal(np.asarray(values[text]), want, err_msg=text)


def check_one_libhdf5(libs, venv):
    """Exactly one libhdf5 mapped, and it is a wheel's inside `venv`."""
    assert len(libs) == 1, f"libhdf5 mapped from several places: {libs}"
    assert libs[0].startswith(str(Path(venv).resolve()) + "/"), f"{libs[0]} is not inside {venv}"


# A child that starts the reader's HDF5 with a connector that cannot load
# and opens the file: prints the exception, exits 0 if nothing crashed.
FAILING = r'''
import sys
kind, path = sys.argv[1], sys.argv[2]
try:
    if kind == "h5py":
        import h5py
        h5py.File(path, "r")["lin"][...]
    elif kind == "netCDF4":
        import netCDF4
        netCDF4.Dataset(path).variables["lin"][...]
    else:
        import xarray as xr
        engine = kind.split("-")[1]
        extra = {"phony_dims": "sort"} if engine == "h5netcdf" else {}
        xr.open_dataset(path, engine=engine, **extra)["lin"].values
    print("READ")
except Exception as e:
    print("EXCEPTION", type(e).__name__, e)
'''


def run_failing(python, kind, path, plugin_dir):
    """FAILING with only the loader in `plugin_dir`; returns the process."""
    env = clean_env(HDF5_PLUGIN_PATH=str(plugin_dir), HDF5_VOL_CONNECTOR=CONNECTOR)
    return subprocess.run([str(python), "-c", FAILING, kind, str(path)], capture_output=True, text=True,
                          env=env, timeout=300)


@pytest.fixture
def loader_only(tmp_path):
    """A plugin directory with the loader and none of its connector builds:
    the connector cannot load for any libhdf5."""
    d = tmp_path / "plugin-without-builds"
    d.mkdir()
    shutil.copy(Path(os.environ["HDF5_PLUGIN_PATH"]) / "libh5lazy_vol.so", d)
    return d


def check_failure_explained(proc, kind):
    """No crash, the open failed, and the reason was said."""
    assert proc.returncode == 0, f"{kind}: exit {proc.returncode} (a crash?)\n{proc.stderr[-3000:]}"
    assert "EXCEPTION" in proc.stdout and "READ" not in proc.stdout, proc.stdout
    assert "h5lazy: cannot serve HDF5" in proc.stderr, proc.stderr[-3000:]
    assert "h5lazy/impl-hdf5-" in proc.stderr and "Files opened through the h5lazy connector fail" in proc.stderr
