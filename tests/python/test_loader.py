"""The plugin loader (loader/, issue 14) explains every way it can fail to
load the connector build for this process's libhdf5, and nothing crashes:
HDF5 starts, and opening a file through the connector fails with the
reason on the error stack (h5py's OSError) and on stderr."""
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import CONNECTOR, write_dataset

PLUGIN = Path(os.environ.get("H5LAZY_PLUGIN_DIR", ""))
LINE = os.environ.get("H5LAZY_HDF5_LINE", "")
OPEN = ("import sys, h5py\n"
        "try:\n"
        "    h5py.File(sys.argv[1], 'r')\n"
        "    print('OPENED')\n"
        "except OSError as e:\n"
        "    print('OSError', e)\n")


def open_with(plugin_dir, path):
    env = dict(os.environ, HDF5_PLUGIN_PATH=str(plugin_dir), HDF5_VOL_CONNECTOR=CONNECTOR)
    return subprocess.run([sys.executable, "-c", OPEN, str(path)], capture_output=True, text=True, env=env,
                          timeout=120)


def damaged_plugin(tmp_path, build_bytes):
    """A copy of the plugin directory whose build for this line holds
    `build_bytes` (None: no build at all)."""
    d = tmp_path / "plugin"
    (d / "h5lazy").mkdir(parents=True)
    shutil.copy(PLUGIN / "libh5lazy_vol.so", d)
    if build_bytes is not None:
        (d / "h5lazy" / f"impl-hdf5-{LINE}.so").write_bytes(build_bytes)
    return d


BUILD = PLUGIN / "h5lazy" / f"impl-hdf5-{LINE}.so"
CASES = {
    "missing": (lambda: None, "No such file or directory"),
    "not ELF": (lambda: b"#!/bin/sh\n" * 100, "not a 64-bit ELF object of this machine"),
    "truncated": (lambda: BUILD.read_bytes()[:200], "damaged program headers"),
    # The loader itself is a valid object, but was not linked with the
    # placeholder for the host's path.
    "no placeholder": (lambda: (PLUGIN / "libh5lazy_vol.so").read_bytes(),
                       "no placeholder for the libhdf5 path"),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_a_build_that_cannot_load_is_explained(case, tmp_path):
    make, reason = CASES[case]
    f = tmp_path / "f.h5"
    write_dataset(f, "a", [1, 2, 3])
    proc = open_with(damaged_plugin(tmp_path, make()), f)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("OSError"), proc.stdout
    for text in (proc.stdout, proc.stderr):  # h5py's message, and stderr
        assert "h5lazy: cannot serve HDF5 " in text and reason in text, text


def test_the_real_build_opens(tmp_path):
    f = tmp_path / "f.h5"
    write_dataset(f, "a", [1, 2, 3])
    d = damaged_plugin(tmp_path, BUILD.read_bytes())
    proc = open_with(d, f)
    assert (proc.returncode, proc.stdout, proc.stderr) == (0, "OPENED\n", "")
