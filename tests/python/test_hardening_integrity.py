"""Nothing lost (issue 7, part 6).

Every hardening module registers the source files it creates with the
session fixture ``sources`` (tests/python/hardening.py): at the end of the
session each must hold exactly the bytes it was registered with, whatever
was read, failed or refused over it (the summary line "h5lazy hardening:
N source files, B bytes verified unchanged" gives the figures). Files a
test damages or rewrites on purpose (fault injection, SWMR, rewrites) are
not registered.

Here: writes through h5py, in one process, to virtual datasets and to
their sources. The virtual datasets refuse every write, resize and chunk
write, and nothing changes; a source changes only when written directly,
and the virtual datasets over it (nested ones and kept reductions
included) then give the new values.
"""
import subprocess
import sys

import h5py
import numpy as np
import pytest

pytest.register_assert_rewrite("hardening")
from hardening import build_natively, env_connector, sha256  # noqa: E402

pytest_plugins = ["hardening"]

A = np.arange(20.0).reshape(4, 5)
B = np.arange(20, dtype=np.int32).reshape(4, 5) * 10
VIRTUAL_MESSAGE = ("Can't synchronously write data ('{}' is a virtual dataset (computed by h5lazy); it cannot be "
                   "written. Write to its operands, or materialise it into a stored dataset first)")


@pytest.fixture
def files(tmp_path):
    build_natively(tmp_path, """
        with h5py.File('s.h5', 'w') as f:
            f.create_dataset('a', data=np.arange(20.0).reshape(4, 5), chunks=(2, 5))
            f['b'] = np.arange(20, dtype=np.int32).reshape(4, 5) * 10
            placeholder(f, 'sv', (4, 5), 'f8', 'a - b')
        with h5py.File('v.h5', 'w') as f:
            placeholder(f, 'v', (4, 5), 'f8', 'ds("s.h5", "/a") + ds("s.h5", "/b")')
            placeholder(f, 'w', (4, 5), 'f8', 'v * 2')
            placeholder(f, 'm', (5,), 'f8', 'mean(ds("s.h5", "/a"), axis=0)')
            placeholder(f, 'anom', (4, 5), 'f8', 'ds("s.h5", "/a") - m')
    """)
    return tmp_path


def refused(fn, exc_type, message):
    with pytest.raises(exc_type) as info:
        fn()
    assert str(info.value) == message


def test_virtual_datasets_refuse_writes_and_sources_change_only_when_written(files):
    digests = {n: sha256(files / n) for n in ("s.h5", "v.h5")}
    with h5py.File(files / "s.h5", "r+") as s, h5py.File(files / "v.h5", "r+") as f:
        v, w, m, anom, sv = f["v"], f["w"], f["m"], f["anom"], s["sv"]
        np.testing.assert_array_equal(anom[...], A - A.mean(axis=0))  # the mean is kept now
        for d, name in ((v, "/v"), (w, "/w"), (sv, "/sv"), (m, "/m")):
            msg = VIRTUAL_MESSAGE.format(name)
            refused(lambda: d.__setitem__(Ellipsis, 0), OSError, msg)
            refused(lambda: d.__setitem__((0,) * d.ndim, 1.0), OSError, msg)
            refused(lambda: d.write_direct(np.zeros(d.shape)), OSError, msg)
            refused(lambda: d.resize(tuple(n + 1 for n in d.shape)), RuntimeError,
                    f"Unable to synchronously change a dataset's dimensions ('{name}' is a virtual dataset: its "
                    "shape follows from its expression and cannot be set)")
            with pytest.raises(OSError, match="has no stored chunks or raw data"):
                d.id.write_direct_chunk((0,) * d.ndim, bytes(8))
        # nothing changed, in values ...
        np.testing.assert_array_equal(s["a"][...], A)
        np.testing.assert_array_equal(s["b"][...], B)
        np.testing.assert_array_equal(v[...], A + B)
        np.testing.assert_array_equal(w[...], (A + B) * 2)
        # ... until a source is written directly
        s["a"][1, 2] = 1000.0
        a2 = A.copy()
        a2[1, 2] = 1000.0
        np.testing.assert_array_equal(v[...], a2 + B)
        np.testing.assert_array_equal(w[...], (a2 + B) * 2)
        np.testing.assert_array_equal(sv[...], a2 - B)
        np.testing.assert_array_equal(m[...], a2.mean(axis=0))
        np.testing.assert_array_equal(anom[...], a2 - a2.mean(axis=0))  # the kept mean was dropped
        np.testing.assert_array_equal(s["b"][...], B)
        s["a"][1, 2] = A[1, 2]  # and back
        np.testing.assert_array_equal(anom[...], A - A.mean(axis=0))
    # v.h5 was only read and refused: not one byte changed. s.h5 was written
    # (and written back): its data are the originals.
    assert sha256(files / "v.h5") == digests["v.h5"]
    with h5py.File(files / "s.h5", "r") as s:
        np.testing.assert_array_equal(s["a"][...], A)
        np.testing.assert_array_equal(s["b"][...], B)


def test_refused_writes_leave_the_files_byte_for_byte(files, sources):
    """Open read-write, every write refused, closed: both files identical."""
    digests = {n: sha256(files / n) for n in ("s.h5", "v.h5")}
    with h5py.File(files / "s.h5", "r+") as s, h5py.File(files / "v.h5", "r+") as f:
        for d in (f["v"], f["w"], s["sv"]):
            with pytest.raises(OSError):
                d[...] = 7
            with pytest.raises(RuntimeError):
                d.resize((9, 9))
    assert {n: sha256(files / n) for n in digests} == digests
    sources.add(files / "s.h5", files / "v.h5")


_WRITE_MULTI = r"""
import ctypes, os, sys
import h5py, numpy as np
lib = ctypes.CDLL(os.path.join(os.environ["H5LAZY_HDF5_LIB"], "libhdf5.so"))
lib.H5Dwrite_multi.argtypes = [ctypes.c_size_t, ctypes.POINTER(ctypes.c_int64), ctypes.POINTER(ctypes.c_int64),
                               ctypes.POINTER(ctypes.c_int64), ctypes.POINTER(ctypes.c_int64), ctypes.c_int64,
                               ctypes.POINTER(ctypes.c_void_p)]
os.chdir(sys.argv[1])
with h5py.File("s.h5", "r+") as s:
    a, sv = s["a"], s["sv"]
    bufs = [np.full((4, 5), -1.0), np.full((4, 5), -2.0)]
    n = 2
    arr = lambda *v: (ctypes.c_int64 * n)(*v)
    t = h5py.h5t.NATIVE_DOUBLE.id
    ret = lib.H5Dwrite_multi(n, arr(a.id.id, sv.id.id), arr(t, t), arr(0, 0), arr(0, 0), 0,
                             (ctypes.c_void_p * n)(*[b.ctypes.data for b in bufs]))
    print(ret, a[0, 0], a[3, 4])
"""


def test_a_multi_dataset_write_with_a_virtual_dataset_is_refused_whole(files):
    """H5Dwrite_multi of the stored a and the virtual sv (through ctypes:
    h5py has no write_multi) fails as a whole: a keeps its values."""
    proc = subprocess.run([sys.executable, "-c", _WRITE_MULTI, str(files)], capture_output=True, text=True,
                          env=env_connector(), timeout=60)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert proc.stdout.split() == ["-1", "0.0", "19.0"], proc.stdout


def test_sources_fixture_detects_a_change(tmp_path):
    """The registry itself: a changed byte is reported, an unchanged file
    is not."""
    from hardening import SourceRegistry
    p = tmp_path / "x.h5"
    p.write_bytes(b"\0" * 100)
    reg = SourceRegistry()
    reg.add(p)
    assert reg.changed() == []
    p.write_bytes(b"\0" * 99 + b"\1")
    assert reg.changed() == [f"{p.resolve()}: changed (100 -> 100 bytes)"]
