"""PyPI's h5py, netCDF4 and xarray wheels read virtual datasets through one
plugin directory, with nothing set but HDF5_PLUGIN_PATH and
HDF5_VOL_CONNECTOR (issue 14): equal to numpy, with exactly the wheel's own
libhdf5 mapped; and a connector that cannot load is explained, not a crash."""
import json
import os
import subprocess

import numpy as np
import pytest

from conftest import (A, C, CONNECTOR, STACKS, check_failure_explained, check_one_libhdf5, check_values,
                      clean_env, make_venv, read_with, run_failing, skip_unless_line)

# (stack, reader kind) for every reader of every stack.
READERS = [("h5py-3.12.1", "h5py"), ("h5py-3.15.1", "h5py"), ("h5py-3.16.0", "h5py"),
           ("netCDF4-1.7.4", "netCDF4"), ("netCDF4-1.7.5.1.post1", "netCDF4"),
           ("xarray", "xarray-netcdf4"), ("xarray", "xarray-h5netcdf")]


@pytest.mark.parametrize("stack,kind", READERS, ids=[f"{s}:{k}" for s, k in READERS])
def test_wheel_reads_virtual_datasets(stack, kind, vds_dir):
    requirements, line = STACKS[stack]
    skip_unless_line(line)
    venv = make_venv(stack, requirements)
    env = clean_env(HDF5_PLUGIN_PATH=os.environ["HDF5_PLUGIN_PATH"], HDF5_VOL_CONNECTOR=CONNECTOR)
    values, libs = read_with(venv / "bin/python", kind, vds_dir / "main.h5", env,
                             reversed_ok=kind != "h5py")
    check_values(values, with_reversed=kind != "h5py")
    check_one_libhdf5(libs, venv)


@pytest.mark.parametrize("stack,kind", READERS, ids=[f"{s}:{k}" for s, k in READERS])
def test_connector_that_cannot_load_is_explained(stack, kind, vds_dir, loader_only):
    requirements, _ = STACKS[stack]
    venv = make_venv(stack, requirements)
    proc = run_failing(venv / "bin/python", kind, vds_dir / "main.h5", loader_only)
    check_failure_explained(proc, kind)


def test_two_libhdf5_in_one_process_each_get_their_own_copy(vds_dir):
    """netCDF4's and h5py's wheels in one process (2.2.0 and 2.0.0): each
    library loads the plugin and gets a connector bound to itself."""
    skip_unless_line("2")
    venv = make_venv("xarray", STACKS["xarray"][0])
    script = ("import json, sys, netCDF4, h5py\n"
              "a = netCDF4.Dataset(sys.argv[1]).variables['far'][...].tolist()\n"
              "b = h5py.File(sys.argv[1])['far'][...].tolist()\n"
              "libs = {l.split()[-1] for l in open('/proc/self/maps') if '/libhdf5-' in l}\n"
              "print(json.dumps([a, b, sorted(libs)]))")
    env = clean_env(HDF5_PLUGIN_PATH=os.environ["HDF5_PLUGIN_PATH"], HDF5_VOL_CONNECTOR=CONNECTOR)
    proc = subprocess.run([str(venv / "bin/python"), "-c", script, str(vds_dir / "main.h5")],
                          capture_output=True, text=True, env=env, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    a, b, libs = json.loads(proc.stdout)
    np.testing.assert_array_equal(a, C - A)
    np.testing.assert_array_equal(b, C - A)
    assert len(libs) == 2 and any("netcdf4.libs" in p.lower() for p in libs) and any("h5py.libs" in p for p in libs)
