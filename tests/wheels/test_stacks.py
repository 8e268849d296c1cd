"""PyPI's h5py, netCDF4 and xarray wheels read virtual datasets through one
plugin directory, with nothing set but HDF5_PLUGIN_PATH and
HDF5_VOL_CONNECTOR (issue 14): equal to numpy, with exactly the wheel's own
libhdf5 mapped; and a connector that cannot load is explained, not a crash."""
import os

import pytest

from conftest import (CONNECTOR, STACKS, check_failure_explained, check_one_libhdf5, check_values,
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
