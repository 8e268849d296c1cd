"""Shared setup of the h5lazy pytest suites.

ctest runs these suites with the locations of the build in the environment:

    HDF5_PLUGIN_PATH     where HDF5 finds libh5lazy_vol.so
    H5LAZY_BIN           directory holding the h5lazy command
    H5LAZY_PLUGIN_DIR    directory holding libh5lazy_vol.so
    H5LAZY_HDF5_BIN      directory of h5dump, h5ls, ... (tests that need a
                         tool this HDF5 lacks skip: HDF5 2.x from the crate
                         hdf5-metno-src has none)
    H5LAZY_HDF5_LIB      directory of libhdf5.so
    H5LAZY_HDF5_VERSION  version of that HDF5, e.g. 1.14.5
    H5LAZY_SOURCE_DIR    root of the repository

When they are unset (running `build/venv/bin/python -m pytest tests/python`
from the repository root) they default to the release build tree. The
connector is selected for this whole process through HDF5_VOL_CONNECTOR,
which HDF5 reads once when it initialises: it is set here, before anything
imports h5py.
"""
import os
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

CONNECTOR = "h5lazy under_vol=0;under_info={}"
REPO = Path(__file__).resolve().parents[2]


def _deps_env():
    """The HDF5 locations scripts/deps.sh recorded, if any."""
    values = {}
    path = REPO / "build" / "deps.env"
    if path.is_file():
        for line in path.read_text().splitlines():
            line = line.strip()
            if line and not line.startswith("#") and "=" in line:
                key, _, value = line.partition("=")
                parts = shlex.split(value)
                values[key.strip()] = parts[0] if parts else ""
    return values


def _configure():
    deps = _deps_env()
    release = REPO / "build" / "release"
    defaults = {
        "H5LAZY_BIN": str(release / "bin"),
        "H5LAZY_PLUGIN_DIR": str(release / "plugin"),
        "H5LAZY_HDF5_BIN": deps.get("H5LAZY_HDF5_BIN", str(REPO / "build/deps/hdf5/bin")),
        "H5LAZY_HDF5_LIB": deps.get("H5LAZY_HDF5_LIB", str(REPO / "build/deps/hdf5/lib")),
        "H5LAZY_HDF5_VERSION": deps.get("H5LAZY_HDF5_VERSION", ""),
        "H5LAZY_SOURCE_DIR": str(REPO),
    }
    # A variable ctest set, even to nothing (H5LAZY_HDF5_BIN of a line
    # without tools), is kept: the defaults are the 1.14 release tree's.
    for key, value in defaults.items():
        if key not in os.environ and value:
            os.environ[key] = value
    if not os.environ.get("HDF5_PLUGIN_PATH") and os.environ.get("H5LAZY_PLUGIN_DIR"):
        os.environ["HDF5_PLUGIN_PATH"] = os.environ["H5LAZY_PLUGIN_DIR"]

    how = ("run the suites through ctest (ctest --test-dir build/release -R python) or "
           "scripts/test.sh, which set it, or build first with scripts/build.sh")
    missing = [k for k in ("HDF5_PLUGIN_PATH", "H5LAZY_BIN", "H5LAZY_PLUGIN_DIR",
                           "H5LAZY_HDF5_LIB", "H5LAZY_HDF5_VERSION", "H5LAZY_SOURCE_DIR")
               if not os.environ.get(k)]
    if missing:
        return (f"h5lazy tests: environment variable(s) {', '.join(missing)} not set; {how}")
    checks = [
        (Path(os.environ["H5LAZY_BIN"]) / "h5lazy", "the h5lazy command (H5LAZY_BIN)"),
        (Path(os.environ["H5LAZY_PLUGIN_DIR"]) / "libh5lazy_vol.so",
         "the connector (H5LAZY_PLUGIN_DIR)"),
        (Path(os.environ["H5LAZY_HDF5_LIB"]), "the HDF5 library directory (H5LAZY_HDF5_LIB)"),
    ]
    for path, what in checks:
        if not path.exists():
            return f"h5lazy tests: {what} not found at {path}; {how}"
    if "h5py" in sys.modules:  # would make the setting below useless
        return "h5lazy tests: h5py was imported before conftest.py set HDF5_VOL_CONNECTOR"
    # Everything in this process (h5py) reads through the connector.
    os.environ["HDF5_VOL_CONNECTOR"] = CONNECTOR
    return None


_PROBLEM = _configure()


def pytest_configure(config):
    if _PROBLEM:
        raise pytest.UsageError(_PROBLEM)


import h5py  # noqa: E402  (after HDF5_VOL_CONNECTOR is set)
import numpy as np  # noqa: E402

H5LAZY = str(Path(os.environ.get("H5LAZY_BIN", "")) / "h5lazy")
HDF5_BIN = Path(os.environ.get("H5LAZY_HDF5_BIN", ""))


def env_with_connector(memory=None, threads=None):
    """The environment for a child process that reads through h5lazy, with
    the connector's memory budget and thread count if given."""
    env = dict(os.environ)
    env["HDF5_VOL_CONNECTOR"] = (CONNECTOR + (f";memory={memory}" if memory else "")
                                 + (f";threads={threads}" if threads is not None else ""))
    return env


def env_without_connector():
    """The environment for a child process that reads natively."""
    env = dict(os.environ)
    env.pop("HDF5_VOL_CONNECTOR", None)
    return env


def run_h5lazy(*args, env=None, cwd=None):
    """Run the h5lazy command with these arguments; asserts nothing."""
    return subprocess.run([H5LAZY, *map(str, args)], capture_output=True, text=True,
                          env=env if env is not None else dict(os.environ), cwd=cwd, timeout=120)


def define(file, name, expr, *extra_args, env=None):
    """`h5lazy define [extra_args] -- FILE NAME EXPR` ('--' so that an
    expression may start with '-'); returns the CompletedProcess."""
    return run_h5lazy("define", *extra_args, "--", file, name, expr, env=env)


def require_tool(tool):
    """Skip the calling test unless this HDF5 has the command-line tool."""
    if not os.environ.get("H5LAZY_HDF5_BIN") or not (HDF5_BIN / tool).is_file():
        where = os.environ.get("H5LAZY_HDF5_BIN") or "no tools directory"
        pytest.skip(f"HDF5 {os.environ.get('H5LAZY_HDF5_VERSION')} here has no {tool} "
                    f"({where}; HDF5 2.x built from the crate hdf5-metno-src has no tools)")


def run_tool(tool, *args, connector=True, env=None, cwd=None):
    """Run an HDF5 command-line tool (h5dump, h5ls, ...) with or without the
    connector; returns the CompletedProcess (text output). Skips the test
    when this HDF5 has no such tool."""
    require_tool(tool)
    if env is None:
        env = env_with_connector() if connector else env_without_connector()
    return subprocess.run([str(HDF5_BIN / tool), *map(str, args)], capture_output=True, text=True,
                          env=env, cwd=cwd, timeout=120)


def write_dataset(file, name, data, chunks=None, mode="a"):
    """Write `data` as a stored dataset: chunked with the given chunk shape,
    or contiguous (chunks=None). Axes of length 0 get an unlimited maximum so
    that any chunk shape is allowed."""
    data = np.asarray(data)
    with h5py.File(file, mode) as f:
        if name in f:
            del f[name]
        if chunks is None or data.ndim == 0:
            f.create_dataset(name, data=data)
        else:
            maxshape = tuple(None if n == 0 else n for n in data.shape)
            f.create_dataset(name, data=data, chunks=tuple(chunks), maxshape=maxshape)


def assert_ok(proc):
    """Assert a CompletedProcess succeeded, showing its output otherwise."""
    assert proc.returncode == 0, (
        f"{proc.args} exited {proc.returncode}\nstdout:\n{proc.stdout}\nstderr:\n{proc.stderr}")
    return proc


# A child process that reads datasets NAME... of FILE whole and rows [1::3]
# (as NAME_part) and saves them to OUT.npz: argv FILE OUT NAME...
CHILD_READER = """
import sys, h5py, numpy as np
path, out, names = sys.argv[1], sys.argv[2], sys.argv[3:]
with h5py.File(path, "r") as f:
    np.savez(out, **{n: f[n][...] for n in names}, **{n + "_part": f[n][1::3] for n in names})
"""


def read_in_child(path, out, names, env):
    """Run CHILD_READER with the environment `env` (a connector setting of
    its own); returns what it read, by name."""
    proc = subprocess.run([sys.executable, "-c", CHILD_READER, str(path), str(out), *names],
                          capture_output=True, text=True, env=env, timeout=300)
    assert_ok(proc)
    return np.load(out)


@pytest.fixture
def tmp(tmp_path):
    """A fresh temporary directory (pathlib.Path)."""
    return tmp_path


@pytest.fixture
def h5lazy_define():
    return define


@pytest.fixture
def h5lazy_cli():
    return run_h5lazy


@pytest.fixture
def hdf5_tool():
    return run_tool


@pytest.fixture
def write_source():
    return write_dataset
