"""The test environment is what it claims to be: h5py runs on the HDF5 that
h5lazy was built against, only one HDF5 is loaded, and reads go through the
h5lazy connector (not a silent native fallback)."""
import os
import subprocess
import sys
from pathlib import Path

import h5py
import numpy as np

from conftest import CONNECTOR, assert_ok, define, env_without_connector, write_dataset


def mapped_files():
    """Real paths of every file mapped into this process."""
    paths = set()
    with open("/proc/self/maps") as maps:
        for line in maps:
            fields = line.split(maxsplit=5)
            if len(fields) == 6 and fields[5].strip().startswith("/"):
                paths.add(os.path.realpath(fields[5].strip()))
    return paths


def test_h5py_uses_the_expected_hdf5_version():
    assert h5py.version.hdf5_version == os.environ["H5LAZY_HDF5_VERSION"]


def test_exactly_one_libhdf5_loaded_from_the_build():
    libs = [p for p in mapped_files() if os.path.basename(p).startswith("libhdf5.so")]
    assert len(libs) == 1, f"libhdf5 mapped from several places: {libs}"
    want_dir = os.path.realpath(os.environ["H5LAZY_HDF5_LIB"])
    assert os.path.dirname(libs[0]) == want_dir, f"{libs[0]} is not in {want_dir}"


def test_connector_selected_for_this_process():
    assert os.environ["HDF5_VOL_CONNECTOR"] == CONNECTOR
    assert os.environ["HDF5_PLUGIN_PATH"]


def test_reads_are_computed_by_the_plugin(tmp, write_source, h5lazy_define, hdf5_tool):
    f = tmp / "env.h5"
    a = np.arange(24, dtype=np.int32).reshape(4, 6)
    write_source(f, "a", a, chunks=(3, 4))
    assert_ok(h5lazy_define(f, "v", "a * 7 - 3"))
    # A child process (h5ls) with the connector computes the same values.
    listing = assert_ok(hdf5_tool("h5ls", "-d", f"{f}/v"))
    assert ", ".join(map(str, (a * 7 - 3).ravel())) in " ".join(listing.stdout.split())
    with h5py.File(f, "r") as h:
        v = h["v"]
        assert v.dtype == np.int32 and v.shape == (4, 6)
        # Only evaluating the expression gives these numbers.
        np.testing.assert_array_equal(v[...], a * 7 - 3)
        assert v[3, 5] == 23 * 7 - 3
        assert h["v"].attrs["h5lazy_expression"] == "a * 7 - 3"
    # The plugin that did it is the one of this build: its loader, and the
    # connector build of this line, loaded from a memory file (loader/lzl.h).
    plugin = os.path.realpath(Path(os.environ["H5LAZY_PLUGIN_DIR"]) / "libh5lazy_vol.so")
    assert plugin in mapped_files()
    assert any(p.startswith("/memfd:h5lazy-connector") for p in mapped_files())
    # The build on disk was never loaded itself: its copy was.
    build = Path(os.environ["H5LAZY_PLUGIN_DIR"]) / "h5lazy" / f"impl-hdf5-{os.environ['H5LAZY_HDF5_LINE']}.so"
    assert build.is_file() and os.path.realpath(build) not in mapped_files()


def test_without_connector_h5py_cannot_read_but_sees_attributes(tmp_path):
    f = tmp_path / "native.h5"
    write_dataset(f, "a", np.arange(5.0))
    assert_ok(define(f, "v", "a + 100"))
    script = (
        "import sys, h5py\n"
        "f = h5py.File(sys.argv[1], 'r')\n"
        "d = f['v']\n"
        "print(d.attrs['h5lazy_expression'], int(d.attrs['h5lazy_format']),\n"
        "      d.attrs['h5lazy_created_by'], list(d.attrs['h5lazy_chunks']))\n"
        "try:\n"
        "    print('read', d[...])\n"
        "except OSError:\n"
        "    print('OSError')\n"
    )
    proc = subprocess.run([sys.executable, "-c", script, str(f)], capture_output=True, text=True,
                          env=env_without_connector(), timeout=120)
    assert_ok(proc)
    lines = proc.stdout.splitlines()
    assert lines[0].startswith("a + 100 2 h5lazy ")
    assert lines[0].endswith("[5]") or lines[0].endswith("[np.int64(5)]")
    assert lines[1] == "OSError"
    assert "100." not in proc.stdout and "104." not in proc.stdout
