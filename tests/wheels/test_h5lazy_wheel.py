"""The h5lazy wheel (`pip wheel .`, pyproject.toml) installed with pip into
a plain venv beside PyPI's h5py, netCDF4 and xarray is all a user needs
(issue 14): `python -m h5lazy env` prints the two exports, `import h5lazy`
before h5py sets them up, every reader computes virtual datasets with the
wheel's libhdf5 and no HDF5 of the project, and the module's commands
define, show, check, eval and save."""
import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np
import pytest

from conftest import (A, C, CACHE, STACKS, check_failure_explained, check_one_libhdf5, check_values,
                      clean_env, make_venv, read_with, run_failing, skip_unless_line)

REPO = Path(__file__).resolve().parents[2]
READERS = ["h5py", "netCDF4", "xarray-netcdf4", "xarray-h5netcdf"]


@pytest.fixture(scope="module")
def wheel():
    """The wheel, built from this tree with pip (scikit-build-core), with
    the connector for this build's HDF5 line and the other one."""
    skip_unless_line("1.14")
    skip_unless_line("2")
    out = CACHE / "wheelhouse"
    shutil.rmtree(out, ignore_errors=True)
    env = dict(os.environ, H5LAZY_WHEEL_HDF5_DIR=os.environ["H5LAZY_HDF5_CMAKE_DIR"],
               H5LAZY_WHEEL_OTHER_HDF5_ROOT=os.environ["H5LAZY_OTHER_HDF5_ROOT"], CMAKE_BUILD_PARALLEL_LEVEL="2")
    proc = subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", str(REPO), "-w", str(out)],
                          capture_output=True, text=True, env=env, timeout=1200)
    assert proc.returncode == 0, f"pip wheel failed:\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"
    [path] = out.glob("h5lazy-*.whl")
    return path


@pytest.fixture(scope="module")
def venv(wheel):
    """A plain venv: PyPI's readers, then the wheel (reinstalled each run)."""
    requirements = STACKS["xarray"][0]
    venv = make_venv("h5lazy-wheel", requirements)
    proc = subprocess.run([str(venv / "bin/python"), "-m", "pip", "install", "-q", "--force-reinstall",
                           "--no-deps", str(wheel)], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    return venv


def test_wheel_holds_plugin_for_both_lines_module_and_command(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    for member in ("h5lazy/__init__.py", "h5lazy/__main__.py", "h5lazy/plugin/libh5lazy_vol.so",
                   "h5lazy/plugin/h5lazy/impl-hdf5-1.14.so", "h5lazy/plugin/h5lazy/impl-hdf5-2.so"):
        assert member in names
    entry = next(n for n in names if n.endswith(".dist-info/entry_points.txt"))
    assert "h5lazy = h5lazy.__main__:main" in zipfile.ZipFile(wheel).read(entry).decode()


def exports(venv):
    """`python -m h5lazy env`, as a dict."""
    proc = subprocess.run([str(venv / "bin/python"), "-m", "h5lazy", "env"], capture_output=True, text=True,
                          env=clean_env(), timeout=120)
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert len(lines) == 2 and all(line.startswith("export ") for line in lines)
    env = dict(line[len("export "):].split("=", 1) for line in lines)
    return {k: v.strip("'") for k, v in env.items()}


def test_env_prints_the_two_exports(venv):
    env = exports(venv)
    assert env["HDF5_VOL_CONNECTOR"] == "h5lazy under_vol=0;under_info={}"
    plugin = Path(env["HDF5_PLUGIN_PATH"])
    assert str(plugin).startswith(str((venv / "lib").resolve()) + "/")  # the installed package's
    assert (plugin / "libh5lazy_vol.so").is_file()


@pytest.mark.parametrize("kind", READERS)
def test_readers_with_the_exports(venv, kind, vds_dir):
    values, libs = read_with(venv / "bin/python", kind, vds_dir / "main.h5", clean_env(**exports(venv)),
                             reversed_ok=kind != "h5py")
    check_values(values, with_reversed=kind != "h5py")
    check_one_libhdf5(libs, venv)


@pytest.mark.parametrize("kind", ["h5py", "netCDF4"])
def test_import_h5lazy_first_sets_them_up(venv, kind, vds_dir):
    values, libs = read_with(venv / "bin/python", kind, vds_dir / "main.h5", clean_env(),
                             reversed_ok=kind != "h5py", prelude="import h5lazy\n")
    check_values(values, with_reversed=kind != "h5py")
    check_one_libhdf5(libs, venv)


def h5lazy_cmd(venv, *args, cwd):
    proc = subprocess.run([str(venv / "bin/python"), "-m", "h5lazy", *map(str, args)], capture_output=True,
                          text=True, env=clean_env(), cwd=cwd, timeout=300)
    assert proc.returncode == 0, f"h5lazy {args}: {proc.stderr}"
    return proc.stdout


def test_module_commands_without_settings(venv, vds_dir, tmp_path):
    for name in ("main.h5", "other.h5"):
        shutil.copy(vds_dir / name, tmp_path)
    f = tmp_path / "main.h5"
    assert h5lazy_cmd(venv, "define", f, "w", "a * 10", cwd=tmp_path) == "defined /w: float64 (6, 8)\n"
    assert "a * 10" in h5lazy_cmd(venv, "show", f, "w", cwd=tmp_path)
    checked = h5lazy_cmd(venv, "check", f, cwd=tmp_path).splitlines()
    assert checked == ["ok /far: float64 (6, 8)", "ok /lin: float64 (6, 8)", "ok /red: float64 (8,)",
                       "ok /rev: float64 (6, 4)", "ok /w: float64 (6, 8)"]
    printed = h5lazy_cmd(venv, "eval", f, "lin - 1", "--slice", "[0, ::-1]", cwd=tmp_path)
    np.testing.assert_array_equal(np.array(printed.strip("[]\n").split(), dtype=float), (A * 2)[0, ::-1])
    assert h5lazy_cmd(venv, "save", f, "w", "red=copy.h5:/stored/red", cwd=tmp_path).splitlines() == [
        f"saved w -> {f}:/w", "saved red -> copy.h5:/stored/red"]
    # Stored now: h5py reads them without any connector.
    script = ("import h5py, json, sys\n"
              "a = h5py.File(sys.argv[1])['w'][...].tolist(); b = h5py.File(sys.argv[2])['stored/red'][...].tolist()\n"
              "print(json.dumps([a, b]))")
    proc = subprocess.run([str(venv / "bin/python"), "-c", script, str(f), str(tmp_path / "copy.h5")],
                          capture_output=True, text=True, env=clean_env(), timeout=120)
    assert proc.returncode == 0, proc.stderr
    w, red = json.loads(proc.stdout)
    np.testing.assert_array_equal(w, A * 10)
    np.testing.assert_array_equal(red, A.mean(axis=0))


def test_wheel_connector_that_cannot_load_is_explained(venv, vds_dir, tmp_path):
    plugin = Path(exports(venv)["HDF5_PLUGIN_PATH"])
    shutil.copy(plugin / "libh5lazy_vol.so", tmp_path)
    for kind in READERS:
        check_failure_explained(run_failing(venv / "bin/python", kind, vds_dir / "main.h5", tmp_path), kind)


def test_loader_exports_only_the_two_plugin_functions(venv):
    plugin = Path(exports(venv)["HDF5_PLUGIN_PATH"])
    out = subprocess.run(["nm", "-D", "--defined-only", str(plugin / "libh5lazy_vol.so")], capture_output=True,
                         text=True, check=True).stdout
    assert sorted(line.split()[-1] for line in out.splitlines()) == ["H5PLget_plugin_info", "H5PLget_plugin_type"]


def test_module_uses_h5pys_libhdf5_beside_netcdf4s(venv, vds_dir):
    """With netCDF4's libhdf5 in the process too, the module calls the one
    h5py is bound to."""
    script = ("import json, sys, netCDF4, h5py, h5lazy\n"
              "with h5lazy.open_file(sys.argv[1]) as f:\n"
              "    v = h5lazy.evaluate(f, 'far * 2', selection=(slice(None, None, -2), 1)).tolist()\n"
              "print(json.dumps([v, h5lazy.libhdf5_path()]))")
    proc = subprocess.run([str(venv / "bin/python"), "-c", script, str(vds_dir / "main.h5")],
                          capture_output=True, text=True, env=clean_env(), timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    value, lib = json.loads(proc.stdout)
    np.testing.assert_array_equal(value, ((C - A) * 2)[::-2, 1])
    assert "/h5py.libs/libhdf5-" in lib
