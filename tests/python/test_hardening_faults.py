"""Fault injection (issue 7, part 3): a source of an open virtual dataset is
deleted, truncated, made unreadable, replaced by another process, or has a
corrupted chunk, between the open and the read, or between two reads.

Each scenario runs in its own child process (a crash must not take pytest
down) that, after the fault: reads and records what h5py says; reads
another, healthy virtual dataset in the same process (it must still work);
closes everything and checks that no file descriptor and no HDF5 object is
left open (no leak). The expected behaviour is a clean error naming the
source; where HDF5 itself reads on (an unlinked file stays readable through
its descriptor, a truncated file reads as zeros past its end) the virtual
dataset must give exactly what a direct read of the source through an
already open handle gives.
"""
import json
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

pytest.register_assert_rewrite("hardening")
from hardening import (SLOW, build_natively, env_connector, h5dump_stack, h5lazy_bin, h5lazy_frames,  # noqa: E402
                       run)

pytest_plugins = ["hardening"]

READ = "Can't synchronously read data"
X = np.arange(64 * 64, dtype=np.float64).reshape(64, 64)

_HARNESS = r"""
import json, os, sys, time
import h5py, numpy as np
os.chdir(sys.argv[1])
events = {}

def fds():
    return len(os.listdir("/proc/self/fd"))

# Read an open dataset (a virtual dataset binds its operands when first
# read and keeps them while it is open; opening it again binds anew).
def read(d, sel=np.s_[...]):
    try:
        return {"ok": True, "value": np.asarray(d[sel]).ravel().tolist()}
    except Exception as e:
        return {"ok": False, "type": type(e).__name__, "message": str(e)}

def other_process(code, locking=True):
    env = dict(os.environ)
    if not locking:
        env["HDF5_USE_FILE_LOCKING"] = "FALSE"
    env.pop("HDF5_VOL_CONNECTOR", None)
    p = __import__("subprocess").run([sys.executable, "-c", "import h5py, numpy as np\n" + code],
                                     capture_output=True, text=True, env=env)
    return {"returncode": p.returncode, "stderr": p.stderr[-2000:]}

OBJECTS = h5py.h5f.OBJ_FILE | h5py.h5f.OBJ_DATASET | h5py.h5f.OBJ_GROUP | h5py.h5f.OBJ_ATTR
fds_before = fds()
SCENARIO
# the process still works: another virtual dataset, another file
with h5py.File("healthy.h5", "r") as g:
    events["healthy"] = read(g["h"])
import gc; gc.collect()
events["open_hdf5_objects"] = h5py.h5f.get_obj_count(h5py.h5f.OBJ_ALL, OBJECTS)
events["fds_leaked"] = fds() - fds_before
print(json.dumps(events))
"""


@pytest.fixture
def scene(tmp_path, sources):
    """s.h5:/x (64 x 64 float64, chunked 16 x 16, gzip), v.h5 with
    v = s.h5:/x * 2 and w = v + 1 (nested), healthy.h5 with h = b - 1."""
    build_natively(tmp_path, """
        with h5py.File('s.h5', 'w') as f:
            f.create_dataset('x', data=np.arange(64 * 64, dtype=np.float64).reshape(64, 64), chunks=(16, 16),
                             compression='gzip')
        with h5py.File('v.h5', 'w') as f:
            placeholder(f, 'v', (64, 64), 'f8', 'ds("s.h5", "/x") * 2', chunks=(16, 16))
            placeholder(f, 'w', (64, 64), 'f8', 'v + 1', chunks=(16, 16))
        with h5py.File('healthy.h5', 'w') as f:
            f['b'] = np.arange(5.0)
            placeholder(f, 'h', (5,), 'f8', 'b - 1')
    """)
    sources.add(tmp_path / "v.h5", tmp_path / "healthy.h5")
    return tmp_path


def scenario(root, code, timeout=60):
    """Run `code` in the harness (f is yours to open; record into events)."""
    script = _HARNESS.replace("SCENARIO", textwrap.dedent(code))
    proc = subprocess.run([sys.executable, "-c", script, str(root)], capture_output=True, text=True,
                          env=env_connector(), timeout=timeout * SLOW)
    assert proc.returncode == 0, f"scenario died ({proc.returncode}):\n{proc.stderr[-3000:]}"
    events = json.loads(proc.stdout.strip().split("\n")[-1])
    # the process still works, and nothing was left open
    assert events["healthy"] == {"ok": True, "value": [-1.0, 0.0, 1.0, 2.0, 3.0]}
    assert events["fds_leaked"] == 0, events
    assert events["open_hdf5_objects"] == 0, events
    return events


def test_source_deleted_before_the_first_read(scene):
    """Operands are opened at the first read: the source is gone by then,
    and the error names it."""
    ev = scenario(scene, """
        with h5py.File("v.h5", "r") as f:
            v = f["v"]
            os.remove("s.h5")
            events["read"] = read(f["v"], np.s_[0, :4])
            events["nested"] = read(f["w"], np.s_[0, :4])
    """)
    for key, name in (("read", "v"), ("nested", "v")):
        assert ev[key]["message"] == (f"{READ} (cannot evaluate '/{name}': operand file 's.h5' of '/v' cannot be "
                                      "opened (looked for 's.h5') (at line 1, column 1 of "
                                      "\"ds(\"s.h5\", \"/x\") * 2\"))"), ev[key]


def test_source_deleted_after_the_first_read(scene):
    """After the first read the source is open: on POSIX an unlinked file
    stays readable through its descriptor, and the open virtual dataset
    reads on with the old values, as a direct read of the source would.
    Opening the virtual dataset again binds anew, and the source is gone."""
    ev = scenario(scene, """
        with h5py.File("v.h5", "r") as f:
            v = f["v"]
            events["first"] = read(v, np.s_[0, :4])
            os.remove("s.h5")
            events["after"] = read(v, np.s_[63, :4])
            events["all"] = read(v)
            events["reopened"] = read(f["v"], np.s_[0, :4])
    """)
    assert ev["first"]["value"] == (X[0, :4] * 2).tolist()
    assert ev["after"]["value"] == (X[63, :4] * 2).tolist()
    assert ev["all"]["value"] == (X * 2).ravel().tolist()
    assert ev["reopened"]["message"].startswith(f"{READ} (cannot evaluate '/v': operand file 's.h5' of '/v' cannot "
                                                "be opened")


def test_source_truncated_before_the_first_read(scene):
    """A truncated source cannot be opened; the error names it (why it
    cannot be opened is lost: test_operand_file_open_failure_keeps_the_cause)."""
    ev = scenario(scene, """
        with h5py.File("v.h5", "r") as f:
            v = f["v"]
            os.truncate("s.h5", 4096)
            events["read"] = read(f["v"], np.s_[0, :4])
    """)
    assert ev["read"]["type"] == "OSError"
    assert "operand file 's.h5' of '/v' cannot be opened" in ev["read"]["message"]


def test_source_truncated_after_the_first_read(scene):
    """Truncated under an open handle: HDF5's sec2 driver reads past the end
    of a file as zeros, and metadata and chunks already cached stay. The
    virtual dataset gives exactly 2 * what the same read of the source
    through an already open handle gives: no crash, no error of its own."""
    ev = scenario(scene, """
        with h5py.File("v.h5", "r") as f:
            v = f["v"]
            events["first"] = read(v, np.s_[0, :4])  # binds: s.h5 is opened now
            s = h5py.File("s.h5", "r")
            x = s["x"]
            events["direct_first"] = read(x, np.s_[0, :4])
            os.truncate("s.h5", 4096)
            for key, sel in (("row", np.s_[63, :]), ("all", np.s_[...]), ("col", np.s_[:, 40])):
                events[key] = read(v, sel)
                events["direct_" + key] = read(x, sel)
            del x
            s.close()
    """)
    for key in ("row", "all", "col"):
        got, direct = ev[key], ev["direct_" + key]
        assert got["ok"] == direct["ok"], (got, direct)
        if got["ok"]:
            np.testing.assert_array_equal(got["value"], np.asarray(direct["value"]) * 2)
        else:  # h5lazy's sentence naming the source, HDF5's reason above it
            assert "cannot evaluate '/v': reading operand 's.h5:/x' failed" in got["message"], (got, direct)


def test_source_made_unreadable(scene):
    """chmod 000 on the source before the first read."""
    if os.geteuid() == 0:
        pytest.skip("running as root: chmod 000 does not stop root from reading")
    ev = scenario(scene, """
        with h5py.File("v.h5", "r") as f:
            v = f["v"]
            os.chmod("s.h5", 0)
            events["read"] = read(f["v"], np.s_[0, :4])
            os.chmod("s.h5", 0o644)
            events["again"] = read(f["v"], np.s_[0, :4])
    """)
    assert "operand file 's.h5' of '/v' cannot be opened" in ev["read"]["message"]
    assert ev["again"]["value"] == (X[0, :4] * 2).tolist()


def test_source_replaced_by_another_shape_before_the_first_read(scene):
    """Another process rewrites /x as 10 x 10 before the first read: the
    definition no longer holds, and the error says so."""
    ev = scenario(scene, """
        with h5py.File("v.h5", "r") as f:
            v = f["v"]
            events["writer"] = other_process('with h5py.File("s.h5", "a") as g:\\n del g["x"]; g["x"] = np.ones((10, 10))')
            events["read"] = read(f["v"], np.s_[0, :4])
            events["nested"] = read(f["w"], np.s_[0, :4])
    """)
    assert ev["writer"]["returncode"] == 0
    want = (f"{READ} ('/v' was defined as float64 (64, 64), but its expression now gives float64 (10, 10): an operand "
            "changed since the definition (redefine it with h5lazy define --overwrite))")
    assert ev["read"]["message"] == want
    assert ev["nested"]["message"] == want


def test_source_rewritten_by_another_process_after_the_first_read(scene):
    """After the first read the source is open in the reader. Another process
    that tries to rewrite it in place is stopped by HDF5's file locking
    ("unable to lock file"); the reader reads on, unaffected. With locking
    turned off (HDF5_USE_FILE_LOCKING=FALSE) the rewrite goes through: the
    reader's cached metadata is stale, and the virtual dataset gives
    exactly 2 * what a direct read through the reader's open handle gives
    (here zeros for the rows whose chunks moved) — HDF5's behaviour for any
    file changed under a reader, not the connector's."""
    ev = scenario(scene, """
        code = 'with h5py.File("s.h5", "a") as g:\\n del g["x"]; g["x"] = np.full((10, 10), 7.0)'
        with h5py.File("v.h5", "r") as f:
            v = f["v"]
            events["first"] = read(v, np.s_[0, :4])
            s = h5py.File("s.h5", "r")
            x = s["x"]
            x[0, 0]
            events["locked_writer"] = other_process(code)
            events["after_locked"] = read(v, np.s_[63, :4])
            events["unlocked_writer"] = other_process(code, locking=False)
            for key, sel in (("row", np.s_[63, :4]), ("all", np.s_[...])):
                events[key] = read(v, sel)
                events["direct_" + key] = read(x, sel)
            del x
            s.close()
        with h5py.File("v.h5", "r") as f:
            events["reopened"] = read(f["v"], np.s_[0, :4])
    """)
    assert ev["locked_writer"]["returncode"] != 0
    assert "unable to lock file" in ev["locked_writer"]["stderr"]
    assert ev["after_locked"]["value"] == (X[63, :4] * 2).tolist()
    assert ev["unlocked_writer"]["returncode"] == 0
    for key in ("row", "all"):
        got, direct = ev[key], ev["direct_" + key]
        assert got["ok"] == direct["ok"], (got, direct)
        if got["ok"]:
            np.testing.assert_array_equal(got["value"], np.asarray(direct["value"]) * 2)
    assert ev["reopened"]["message"] == (
        f"{READ} ('/v' was defined as float64 (64, 64), but its expression now gives float64 (10, 10): an operand "
        "changed since the definition (redefine it with h5lazy define --overwrite))")


def test_source_replaced_by_a_new_file_after_the_first_read(scene):
    """A new file renamed over the source after the first read: the reader
    holds the old file open and reads the old values; a fresh open in the
    same process meets the new file, of another shape, and says so."""
    ev = scenario(scene, """
        with h5py.File("v.h5", "r") as f:
            v = f["v"]
            events["first"] = read(v, np.s_[0, :4])
            events["writer"] = other_process('with h5py.File("new.h5", "w") as g:\\n g["x"] = np.ones((10, 10))')
            os.replace("new.h5", "s.h5")
            events["old_handle"] = read(v, np.s_[63, :4])
            with h5py.File("v.h5", "r") as f2:
                events["fresh"] = read(f2["v"], np.s_[0, :4])
    """)
    assert ev["old_handle"]["value"] == (X[63, :4] * 2).tolist()
    assert ev["fresh"]["message"].startswith(f"{READ} ('/v' was defined as float64 (64, 64), but its expression now "
                                             "gives float64 (10, 10)")


def corrupt_chunk(path, coord):
    """Overwrite 16 bytes in the middle of the compressed chunk at coord."""
    import h5py
    with h5py.File(path, "r") as f:
        info = f["x"].id.get_chunk_info_by_coord(coord)
    with open(path, "r+b") as fh:
        fh.seek(info.byte_offset + info.size // 2)
        fh.write(b"\xff" * 16)
    return info


def test_corrupted_chunk_in_the_middle_of_a_read(scene):
    """Chunk (16:32, 32:48) of the gzip source is corrupted on disk. A read
    spanning it (whole rows 0:64 of column 40, a block 10:40 x 30:50, all)
    fails, as does a nested virtual dataset over it; reads that miss the
    chunk give the right values, before and after the failure, in the same
    process. h5py's message is h5lazy's sentence naming the source, the
    chunk and the cause (the innermost frame), as is h5dump's."""
    corrupt_chunk(scene / "s.h5", (16, 32))
    ev = scenario(scene, """
        with h5py.File("v.h5", "r") as f:
            v, w = f["v"], f["w"]
            events["before"] = read(v, np.s_[0:16, :])
            for key, sel in (("column", np.s_[:, 40]), ("block", np.s_[10:40, 30:50]), ("all", np.s_[...])):
                events[key] = read(v, sel)
            events["nested"] = read(w, np.s_[20, :])
            events["after"] = read(v, np.s_[32:, :32])
            events["after_nested"] = read(w, np.s_[48:, 48:])
    """)
    assert ev["before"]["value"] == (X[0:16, :] * 2).ravel().tolist()
    for key in ("column", "block", "all", "nested"):
        assert ev[key]["ok"] is False and ev[key]["type"] == "OSError", ev[key]
        assert "reading operand 's.h5:/x' failed" in ev[key]["message"], ev[key]
    assert ev["after"]["value"] == (X[32:, :32] * 2).ravel().tolist()
    assert ev["after_nested"]["value"] == (X[48:, 48:] * 2 + 1).ravel().tolist()
    proc = h5dump_stack(scene / "v.h5", "/w")
    assert proc.returncode == 1
    frames = h5lazy_frames(proc.stderr)
    # The connector decodes the chunk itself (issue 12): its sentence names
    # the chunk and the cause (HDF5 is not asked: its filter never runs).
    assert any(f.startswith("cannot evaluate '/w': in operand 'v': reading operand 's.h5:/x' failed: its chunk at "
                            "(16, 32) cannot be decoded: the deflate stream ") for f in frames), frames


def test_source_read_error_names_the_source_in_h5py(scene):
    """With a corrupted chunk in s.h5:/x, h5py's message (HDF5's innermost
    frame) is h5lazy's sentence naming the virtual dataset and the source;
    HDF5's "filter returned failure during read" sits above it (the
    connector's frame once sat above the native ones, so h5py named
    neither)."""
    corrupt_chunk(scene / "s.h5", (16, 32))
    ev = scenario(scene, """
        with h5py.File("v.h5", "r") as f:
            events["read"] = read(f["v"], np.s_[20, :])
    """)
    assert "s.h5" in ev["read"]["message"], ev["read"]["message"]


def test_operand_file_open_failure_keeps_the_cause(scene):
    """Why an operand file cannot be opened reaches the read's stack: for a
    truncated source `h5lazy check -v` shows HDF5's "truncated file"
    (once lost when the helper that kept the cause closed a stack, which
    clears the current one)."""
    os.truncate(scene / "s.h5", 4096)
    proc = run([h5lazy_bin(), "check", "-v", scene / "v.h5"])
    assert proc.returncode == 1
    assert "truncated file" in proc.stderr, proc.stderr[-2000:]


_C_ORDER = r"""
import ctypes, os, sys
import numpy as np
lib = ctypes.CDLL(os.path.join(os.environ["H5LAZY_HDF5_LIB"], "libhdf5.so"))
for name in ("H5Fopen", "H5Dopen2"):
    getattr(lib, name).restype = ctypes.c_int64
lib.H5Fget_obj_count.restype = ctypes.c_ssize_t
lib.H5open()
double = ctypes.c_int64.in_dll(lib, "H5T_NATIVE_DOUBLE_g")
lib.H5Eset_auto2(ctypes.c_int64(0), None, None)
os.chdir(sys.argv[1])
buf = np.zeros((64, 64))
s = lib.H5Fopen(b"s.h5", 0, ctypes.c_int64(0))          # the application opens the source
f = lib.H5Fopen(b"v.h5", 0, ctypes.c_int64(0))
v = lib.H5Dopen2(ctypes.c_int64(f), b"v", ctypes.c_int64(0))
read = lib.H5Dread(ctypes.c_int64(v), double, ctypes.c_int64(0), ctypes.c_int64(0), ctypes.c_int64(0),
                   buf.ctypes.data_as(ctypes.c_void_p))     # binds: the connector opens s.h5 too
ok = read >= 0 and buf[1, 1] == 130.0
closes = [lib.H5Dclose(ctypes.c_int64(v)), lib.H5Fclose(ctypes.c_int64(f)), lib.H5Fclose(ctypes.c_int64(s))]
print(ok, closes, lib.H5Fget_obj_count(ctypes.c_int64(0x1F), ctypes.c_uint(1)))
"""


def test_source_opened_before_the_first_read(scene):
    """An application that has the source file open when a virtual dataset
    over it is first read closes everything cleanly: H5Fopen(s.h5),
    H5Fopen(v.h5), H5Dopen2(v), H5Dread(v), then every close succeeds and
    no file stays open. HDF5 gives every open of a file the VOL stack of
    its first open, so the connector opens operand files through the
    application's own connector (h5lazy), not the native one (which once
    left a file open and made H5Fclose fail with "can't unwrap VOL
    object")."""
    proc = subprocess.run([sys.executable, "-c", _C_ORDER, str(scene)], capture_output=True, text=True,
                          env=env_connector(), timeout=60)
    assert proc.returncode == 0, proc.stderr[-2000:]
    out = proc.stdout.strip()
    assert out == "True [0, 0, 0] 0", f"read ok, [H5Dclose, H5Fclose(v.h5), H5Fclose(s.h5)], files left: {out}"
