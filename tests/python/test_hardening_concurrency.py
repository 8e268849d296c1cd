"""Concurrency (issue 7, part 5): several processes reading one virtual
dataset at once; a process reading while another appends to a source in
SWMR mode, or rewrites it.

What was observed (HDF5 1.14.5, h5py 3.16), and what the tests hold:

- 4 processes reading the same virtual datasets at once (elementwise, a
  reduction, a nested one, an operand in another file) all get numpy's
  values, identical across processes.
- A source appended to by an SWMR writer, virtual dataset in the SAME file
  (operand x, placeholder v = x[:100] * 2): an SWMR reader (swmr=True)
  reads v correctly during the appends, before and after them, and
  count(x) follows the appends when v is opened anew.
- ... and in ANOTHER file: the connector opens operand files as the
  holding file was opened, with H5F_ACC_SWMR_READ when it was. An SWMR
  reader then reads v right during the appends; a plain reader's reads
  fail cleanly while the writer has the file open ("operand file 'src.h5'
  of '/v' cannot be opened", with HDF5's "file is already open for write"
  above it in the stack), as a plain h5py open of src.h5 would. After the
  writer closes, reads work, and a virtual dataset defined over the whole,
  now longer, source says its operand changed.
- HDF5 refuses an SWMR read open of a file the process already has open
  without SWMR read; operand files then open plainly, sharing that open.
- A source rewritten in place (same shape, new values) by a writer with
  HDF5_USE_FILE_LOCKING=FALSE while a reader loops: HDF5 does not make a
  rewrite atomic for readers, so a read may mix old and new elements —
  but every element read is either the old or the new value, and no read
  crashes.
- HDF5 1.14.5 itself returns wrong data after H5Drefresh when a dataset
  is open twice (reproduced natively below). The connector holds its own
  handle of each operand, so an SWMR reader that refreshes a stored
  dataset which is also an operand of an open virtual dataset gets wrong
  values from both: test_swmr_refresh_of_an_operand_known_wrong_values,
  an expected failure until HDF5 or the connector works around it
  (docs/design.md, "Known limitations").
"""
import json
import os
import subprocess
import sys

import numpy as np
import pytest

pytest.register_assert_rewrite("hardening")
from hardening import SLOW, build_natively, env_connector, env_native  # noqa: E402

pytest_plugins = ["hardening"]

NPROC = 4
READ = "Can't synchronously read data"


@pytest.fixture(scope="module")
def shared(tmp_path_factory, sources):
    root = tmp_path_factory.mktemp("concurrent")
    build_natively(root, """
        rng = np.random.default_rng(7)
        with h5py.File('src.h5', 'w') as f:
            f.create_dataset('x', data=rng.integers(-1000, 1000, (300, 200)).astype(np.float64) / 8,
                             chunks=(32, 50))
            f['i'] = rng.integers(-100, 100, (300, 200), dtype=np.int32)
        with h5py.File('other.h5', 'w') as f:
            f['y'] = np.arange(200.0) / 4
        with h5py.File('v.h5', 'w') as f:
            placeholder(f, 'e', (300, 200), 'f8', 'ds("src.h5", "/x") * 3 - ds("src.h5", "/i")', chunks=(32, 50))
            placeholder(f, 'anom', (300, 200), 'f8', 'ds("src.h5", "/x") - mean(ds("src.h5", "/x"), axis=0)')
            placeholder(f, 'nested', (300, 200), 'f8', 'e + ds("other.h5", "/y")')
            placeholder(f, 'total', (), 'i8', 'sum(ds("src.h5", "/i"))')
    """)
    sources.add_tree(root)
    return root


_READER = r"""
import json, sys, h5py, numpy as np
with h5py.File(sys.argv[1], "r") as f:
    out = {}
    for rep in range(3):
        for name in ("e", "anom", "nested", "total"):
            a = f[name][...]
            out[name] = np.asarray(a).ravel().tolist() if rep == 0 else out[name]
            assert np.asarray(a).ravel().tolist() == out[name], name
        out["strided"] = f["e"][1::7, ::3].ravel().tolist()
print(json.dumps(out))
"""


def test_processes_reading_at_once_agree(shared):
    """NPROC readers started together (one with threads=2): every one gets
    numpy's values, three reads in a row each."""
    import h5py
    with h5py.File(shared / "src.h5", "r") as f:
        x, i = f["x"][...], f["i"][...]
    with h5py.File(shared / "other.h5", "r") as f:
        y = f["y"][...]
    e = x * 3 - i
    want = {"e": e, "anom": x - x.mean(axis=0), "nested": e + y, "total": np.int64(i.sum()),
            "strided": e[1::7, ::3]}
    envs = [env_connector() for _ in range(NPROC)]
    envs[-1] = env_connector("threads=2")
    procs = [subprocess.Popen([sys.executable, "-c", _READER, str(shared / "v.h5")], stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True, env=env) for env in envs]
    outs = []
    for p in procs:
        out, err = p.communicate(timeout=120 * SLOW)
        assert p.returncode == 0, err[-2000:]
        outs.append(json.loads(out))
    for out in outs:
        for name, w in want.items():
            np.testing.assert_allclose(out[name], np.asarray(w).ravel(), rtol=1e-12, atol=1e-12, err_msg=name)
        assert out == outs[0]


_SWMR_WRITER = r"""
import sys, time
sys.path.insert(0, sys.argv[2])
import h5py, numpy as np
from hardening import placeholder
path, rounds, new = sys.argv[1], int(sys.argv[3]), sys.argv[4] == "new"
with h5py.File(path, "w" if new else "a", libver="latest") as f:
    if new:  # x and, in the same file, v = x[:100] * 2 and n = count(x)
        d = f.create_dataset("x", shape=(100,), maxshape=(None,), chunks=(50,), dtype="f8",
                             data=np.arange(100.0))
        placeholder(f, "v", (100,), "f8", "x[:100] * 2")
        placeholder(f, "n", (), "i8", "count(x)")
    else:
        d = f["x"]
    f.swmr_mode = True
    print("ready", flush=True)
    for k in range(rounds):
        n = d.shape[0]
        d.resize((n + 50,))
        d[n:] = np.arange(n, n + 50.0)
        d.flush()
        time.sleep(0.03)
    print("done", flush=True)
"""


def swmr_writer(path, rounds, new):
    """Start the SWMR writer (natively) and wait until it is in SWMR mode."""
    here = os.path.dirname(os.path.abspath(__file__))
    w = subprocess.Popen([sys.executable, "-c", _SWMR_WRITER, str(path), here, str(rounds), "new" if new else "old"],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env_native())
    line = w.stdout.readline().strip()
    assert line == "ready", w.stderr.read()
    return w


_SWMR_READER = r"""
import json, sys, time, h5py, numpy as np
path, swmr, rounds = sys.argv[1], sys.argv[2] == "1", int(sys.argv[3])
events = []
with h5py.File(path, "r", swmr=swmr) as f:
    v = f["v"]
    for k in range(rounds):
        try:
            events.append({"ok": True, "v": v[:].tolist(), "n": int(f["n"][()]) if "n" in f else None})
        except Exception as e:
            events.append({"ok": False, "type": type(e).__name__, "message": str(e)})
        time.sleep(0.05)
print(json.dumps(events))
"""


def test_swmr_reader_of_a_virtual_dataset_in_the_written_file(tmp_path):
    """Writer appends 20 x 50 elements to x in SWMR mode; the file also
    holds v = x[:100] * 2 and n = count(x). An SWMR reader reads v right in
    every round, and n (opened anew each round) between 100 and 1100,
    never decreasing."""
    w = swmr_writer(tmp_path / "same.h5", 20, new=True)
    r = subprocess.run([sys.executable, "-c", _SWMR_READER, str(tmp_path / "same.h5"), "1", "10"],
                       capture_output=True, text=True, env=env_connector(), timeout=60 * SLOW)
    w.communicate(timeout=60 * SLOW)
    assert w.returncode == 0
    assert r.returncode == 0, r.stderr[-2000:]
    events = json.loads(r.stdout)
    counts = []
    for ev in events:
        assert ev["ok"], ev
        assert ev["v"] == (np.arange(100) * 2.0).tolist()
        counts.append(ev["n"])
    assert counts == sorted(counts) and 100 <= counts[0] and counts[-1] <= 1100, counts


@pytest.mark.parametrize("swmr", [False, True], ids=["plain_reader", "swmr_reader"])
def test_swmr_writer_of_an_operand_in_another_file(tmp_path, swmr):
    """v.h5: v = ds("src.h5", "/x")[:100] * 2 and whole = ds("src.h5",
    "/x") * 2, defined while x had 100 elements. While an SWMR writer
    appends to src.h5, an SWMR reader of v.h5 reads v right every time
    (src.h5 is opened with SWMR read too), a plain reader's reads fail
    cleanly; no crash. Afterwards v reads right and whole says its operand
    changed (x has 1600 elements now)."""
    build_natively(tmp_path, """
        with h5py.File('src.h5', 'w', libver='latest') as f:
            f.create_dataset('x', shape=(100,), maxshape=(None,), chunks=(50,), data=np.arange(100.0))
        with h5py.File('v.h5', 'w') as f:
            placeholder(f, 'v', (100,), 'f8', 'ds("src.h5", "/x")[:100] * 2')
            placeholder(f, 'whole', (100,), 'f8', 'ds("src.h5", "/x") * 2')
    """)
    w = swmr_writer(tmp_path / "src.h5", 30, new=False)
    r = subprocess.run([sys.executable, "-c", _SWMR_READER, str(tmp_path / "v.h5"), "1" if swmr else "0", "5"],
                       capture_output=True, text=True, env=env_connector(), timeout=60 * SLOW)
    w.communicate(timeout=60 * SLOW)
    assert w.returncode == 0, w.stderr
    assert r.returncode == 0, r.stderr[-2000:]
    for ev in json.loads(r.stdout):
        if ev["ok"]:  # a plain reader: the writer may have finished already
            assert ev["v"] == (np.arange(100) * 2.0).tolist()
        else:
            assert not swmr, ev
            assert ev["type"] == "OSError"
            assert ev["message"].startswith(f"{READ} (cannot evaluate '/v': operand file 'src.h5' of '/v' cannot "
                                            "be opened (looked for ")
    import h5py
    with h5py.File(tmp_path / "v.h5", "r") as f:
        np.testing.assert_array_equal(f["v"][...], np.arange(100) * 2.0)
        with pytest.raises(OSError) as info:
            f["whole"][...]
        assert str(info.value) == (f"{READ} ('/whole' was defined as float64 (100,), but its expression now gives "
                                   "float64 (1600,): an operand changed since the definition (redefine it with "
                                   "h5lazy define --overwrite))")


def test_operand_file_already_open_with_the_other_swmr_flag(tmp_path, sources):
    """One process has src.h5 open, then opens v.h5 (v over src.h5) with
    the other SWMR flag. Plain first: HDF5 refuses src.h5's SWMR read open
    for v, and the connector's plain retry reads v right. SWMR first: a
    plain open of src.h5 shares it. And an operand file of the oldest
    format under an SWMR reader (HDF5 1.14 allows SWMR read of it)."""
    build_natively(tmp_path, """
        with h5py.File('src.h5', 'w', libver='latest') as f:
            f['x'] = np.arange(10.0)
        with h5py.File('old.h5', 'w', libver='earliest') as f:
            f['x'] = np.arange(10.0)
        with h5py.File('v.h5', 'w', libver='latest') as f:
            placeholder(f, 'v', (10,), 'f8', 'ds("src.h5", "/x") * 2')
            placeholder(f, 'w', (10,), 'f8', 'ds("old.h5", "/x") + 1')
    """)
    sources.add_tree(tmp_path)
    import h5py
    want = np.arange(10.0) * 2
    for first, then in ((False, True), (True, False)):
        with h5py.File(tmp_path / "src.h5", "r", swmr=first) as src, \
             h5py.File(tmp_path / "v.h5", "r", swmr=then) as f:
            np.testing.assert_array_equal(f["v"][...], want)
            np.testing.assert_array_equal(src["x"][...], np.arange(10.0))
    with h5py.File(tmp_path / "v.h5", "r", swmr=True) as f:
        np.testing.assert_array_equal(f["w"][...], np.arange(10.0) + 1)


_REWRITER = r"""
import sys, time, h5py, numpy as np
with h5py.File(sys.argv[1], "a") as f:
    x = f["x"]
    for k in range(40):
        x[...] = np.full(x.shape, float(k % 2), x.dtype) + np.arange(x.size).reshape(x.shape) * 0
        f.flush()
        time.sleep(0.01)
"""

_LOOP_READER = r"""
import json, sys, h5py, numpy as np
seen = set()
errors = []
with h5py.File(sys.argv[1], "r") as f:
    v = f["v"]
    for k in range(60):
        try:
            seen.update(np.unique(v[...]).tolist())
        except Exception as e:
            errors.append(f"{type(e).__name__}: {e}")
print(json.dumps({"seen": sorted(seen), "errors": errors}))
"""


def test_reading_while_another_process_rewrites_a_source(tmp_path):
    """x (contiguous, 256 x 256) is rewritten 40 times, alternately all 0
    and all 1, by a process with file locking off, while another reads
    v = x * 10 + 5 60 times. Every element read is 5 or 15 (old or new), or
    a read fails cleanly; no crash. (A read may mix old and new elements:
    HDF5 does not make a rewrite atomic for readers.)"""
    build_natively(tmp_path, """
        with h5py.File('src.h5', 'w') as f:
            f['x'] = np.zeros((256, 256))
        with h5py.File('v.h5', 'w') as f:
            placeholder(f, 'v', (256, 256), 'f8', 'ds("src.h5", "/x") * 10 + 5')
    """)
    env_w = env_native()
    env_w["HDF5_USE_FILE_LOCKING"] = "FALSE"
    env_r = env_connector()
    env_r["HDF5_USE_FILE_LOCKING"] = "FALSE"
    r = subprocess.Popen([sys.executable, "-c", _LOOP_READER, str(tmp_path / "v.h5")], stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True, env=env_r)
    w = subprocess.run([sys.executable, "-c", _REWRITER, str(tmp_path / "src.h5")], capture_output=True, text=True,
                       env=env_w, timeout=60 * SLOW)
    out, err = r.communicate(timeout=60 * SLOW)
    assert w.returncode == 0, w.stderr[-2000:]
    assert r.returncode == 0, err[-2000:]
    res = json.loads(out)
    assert set(res["seen"]) <= {5.0, 15.0}, res["seen"]
    for e in res["errors"]:
        assert e.startswith("OSError: "), e


_REFRESH = r"""
import json, sys, time, h5py, numpy as np
f = h5py.File(sys.argv[1], "r", swmr=True)
x = f["x"]
other = f[sys.argv[2]]          # a second handle: v (virtual, binds x) or x again
other[95:100]
time.sleep(0.3)                 # the writer appends meanwhile
x.refresh()
print(json.dumps({"x": x[95:100].tolist(), "other": other[95:100].tolist()}))
"""


def refresh_after_appends(tmp_path, second, env):
    w = swmr_writer(tmp_path / "same.h5", 20, new=True)
    r = subprocess.run([sys.executable, "-c", _REFRESH, str(tmp_path / "same.h5"), second], capture_output=True,
                       text=True, env=env, timeout=60 * SLOW)
    w.communicate(timeout=60 * SLOW)
    assert r.returncode == 0, r.stderr[-2000:]
    return json.loads(r.stdout)


def test_hdf5_refresh_of_a_dataset_open_twice_reads_wrong_values(tmp_path):
    """HDF5 1.14.5 on its own, no connector: an SWMR reader holds x twice,
    reads, lets the writer append, then refreshes one handle (H5Drefresh):
    x[95:100] then reads [45..49] instead of [95..99], through both
    handles. The next test's cause; skipped once HDF5 gets it right."""
    out = refresh_after_appends(tmp_path, "x", env_native())
    if out["x"] == [95.0, 96.0, 97.0, 98.0, 99.0]:
        pytest.skip("this HDF5 refreshes a dataset open twice correctly")
    assert out == {"x": [45.0, 46.0, 47.0, 48.0, 49.0], "other": [45.0, 46.0, 47.0, 48.0, 49.0]}


@pytest.mark.xfail(strict=True, reason="HDF5 1.14.5: H5Drefresh of a dataset open twice (docs/design.md)")
def test_swmr_refresh_of_an_operand_known_wrong_values(tmp_path):
    """The same through the connector, where the second handle is the one
    it holds for the operand x of an open virtual dataset v = x[:100] * 2
    (same file): after x.refresh(), x[95:100] reads [45..49] and v[95:100]
    [90..98] — silently wrong values, from an application that opened x
    only once. Expected: [95..99] and [190..198]. The connector could keep
    no second handle of a same-file operand, or refresh its handles when
    the application refreshes (lzv_dataset_specific sees
    H5VL_DATASET_REFRESH, vol/lzv_dataset.c)."""
    out = refresh_after_appends(tmp_path, "v", env_connector())
    assert out == {"x": [95.0, 96.0, 97.0, 98.0, 99.0], "other": [190.0, 192.0, 194.0, 196.0, 198.0]}, out
