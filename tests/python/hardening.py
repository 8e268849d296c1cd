"""Shared helpers of the hardening suites (test_hardening_*.py, issue 7).

Loaded by those modules with ``pytest_plugins = ["hardening"]`` (conftest.py
is not theirs to change), which also makes it a plugin: the session-scoped
fixture ``sources`` and the terminal summary below are global.

- ``placeholder()`` writes a virtual dataset's placeholder by hand, exactly
  as ``h5lazy define`` does (checked by test_hand_made_placeholder_matches_define):
  a contiguous dataset whose raw data lives in the impossible external file
  H5LAZY_PLACEHOLDER_FILE (offset 0, size H5F_UNLIMITED), fill time never,
  late allocation, with the attributes h5lazy_format (int32 scalar),
  h5lazy_expression and h5lazy_created_by (variable-length UTF-8 scalars)
  and h5lazy_chunks (int64[rank]). Every argument may be hostile.
- ``build_natively()`` runs such a builder in a child process without the
  connector, as whoever crafted a hostile file would have.
- ``read_in_child()`` reads datasets in child processes under an address
  space limit and a timeout, one JSON line per read, so that a crash, a hang
  or an unbounded allocation shows as a result rather than taking pytest
  down.
- ``sources`` records the SHA-256 of every source file the hardening tests
  create and, at the end of the session, asserts that none changed: reading
  virtual datasets, failing to, and refusing writes never alter a source.
"""
import hashlib
import json
import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
PLACEHOLDER_FILE = "h5lazy-virtual-dataset/read-it-with-HDF5_VOL_CONNECTOR=h5lazy/no-stored-data"
CONNECTOR = "h5lazy under_vol=0;under_info={}"

# In the sanitizer build the python suite runs with libasan preloaded: ASan
# reserves terabytes of address space (an address space limit kills it),
# and everything is slower and bigger.
ASAN = "asan" in os.environ.get("LD_PRELOAD", "")
SLOW = 4.0 if ASAN else 1.0
LIMIT_AS = 1 << 30  # the address space a hostile read may use


def hdf5_bin(tool):
    """The path of an HDF5 command-line tool; skips the calling test when
    this HDF5 has none (conftest.require_tool)."""
    from conftest import require_tool
    require_tool(tool)
    return str(Path(os.environ.get("H5LAZY_HDF5_BIN", "")) / tool)


def h5lazy_bin():
    return str(Path(os.environ.get("H5LAZY_BIN", "")) / "h5lazy")


def env_native():
    env = dict(os.environ)
    env.pop("HDF5_VOL_CONNECTOR", None)
    return env


def env_connector(info=None):
    """The connector with extra info keys (e.g. "files=below"), or an
    arbitrary HDF5_VOL_CONNECTOR value when info starts with '='."""
    env = dict(os.environ)
    if info is None:
        env["HDF5_VOL_CONNECTOR"] = CONNECTOR
    elif info.startswith("="):
        env["HDF5_VOL_CONNECTOR"] = info[1:]
    else:
        env["HDF5_VOL_CONNECTOR"] = CONNECTOR + ";" + info
    return env


def signal_name(returncode):
    if returncode is not None and returncode < 0:
        try:
            return signal.Signals(-returncode).name
        except ValueError:
            return f"signal {-returncode}"
    return None


# ---------------------------------------------------------------------------
# placeholders by hand


def placeholder(parent, name, shape, dtype, expression, fmt=2, chunks="shape", created_by="h5lazy 0.1.0",
                external=PLACEHOLDER_FILE, maxshape=None, fill="nan"):
    """Create a placeholder dataset `name` in h5py group `parent` the way
    h5lazy define writes one (stored format 2: a float result also carries
    _FillValue, NaN by default). expression/fmt/chunks/fill None leave that
    attribute out; chunks "shape" writes the shape (define's choice for
    small results); any value is written as given (int64 unless it is
    already a numpy array)."""
    import h5py
    import numpy as np

    dcpl = h5py.h5p.create(h5py.h5p.DATASET_CREATE)
    if external is not None:
        dcpl.set_external(external.encode(), 0, h5py.h5f.UNLIMITED)
    dcpl.set_fill_time(h5py.h5d.FILL_TIME_NEVER)
    dcpl.set_alloc_time(h5py.h5d.ALLOC_TIME_LATE)
    shape = tuple(shape)
    space = h5py.h5s.create_simple(shape, maxshape) if shape else h5py.h5s.create(h5py.h5s.SCALAR)
    tid = h5py.h5t.py_create(np.dtype(dtype), logical=True)
    ds = h5py.Dataset(h5py.h5d.create(parent.id, name.encode(), tid, space, dcpl=dcpl))
    if fmt is not None:
        if type(fmt) is int:  # define's int32; numpy values keep their own type
            ds.attrs.create("h5lazy_format", fmt, dtype=np.int32)
        else:
            ds.attrs["h5lazy_format"] = fmt
    if expression is not None:
        ds.attrs["h5lazy_expression"] = expression
    if created_by is not None:
        ds.attrs["h5lazy_created_by"] = created_by
    if isinstance(chunks, str) and chunks == "shape":
        chunks = shape if shape else None
    if chunks is not None:
        value = chunks if isinstance(chunks, np.ndarray) else np.asarray(chunks, dtype=np.int64)
        ds.attrs.create("h5lazy_chunks", value)
    if fill is not None and np.dtype(dtype).kind == "f":
        ds.attrs.create("_FillValue", np.array([float(fill)], dtype=dtype))
    return ds


_BUILD_PRELUDE = """
import os, sys
sys.path.insert(0, {here!r})
import h5py, numpy as np
from hardening import placeholder
os.chdir({cwd!r})
"""


def build_natively(cwd, script):
    """Run `script` (Python, with h5py, np and placeholder imported, in
    directory cwd) in a child process that does not load the connector."""
    code = _BUILD_PRELUDE.format(here=str(HERE), cwd=str(cwd)) + textwrap.dedent(script)
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env_native(),
                          timeout=120)
    assert proc.returncode == 0, f"building hostile files failed:\n{proc.stderr}"
    return proc


# ---------------------------------------------------------------------------
# reading in a child process

_READER = r"""
import json, os, resource, sys, time
limit = int(sys.argv[1])
if limit:
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
import h5py, numpy as np

def say(**kw):
    sys.stdout.write(json.dumps(kw) + "\n")
    sys.stdout.flush()

for case in json.loads(sys.stdin.read()):
    say(id=case["id"], stage="start")
    t0 = time.monotonic()
    out = {"id": case["id"], "stage": "done"}
    try:
        with h5py.File(case["file"], "r", swmr=case.get("swmr", False)) as f:
            d = f[case["dataset"]]
            out["shape"] = list(d.shape)
            out["dtype"] = str(d.dtype)
            if case.get("chunks"):
                out["chunks"] = d.chunks
            sel = eval("np.s_" + case.get("sel", "[()]"))
            value = np.asarray(d[sel])
            out["ok"] = True
            out["value"] = value.ravel()[:64].tolist()
            out["value_shape"] = list(value.shape)
    except BaseException as e:
        out["ok"] = False
        out["type"] = type(e).__name__
        out["message"] = str(e)
    out["seconds"] = time.monotonic() - t0
    say(**out)
say(id=None, stage="exit", maxrss_kib=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
"""


def read_in_child(cases, env=None, limit_as=LIMIT_AS, timeout=60, cwd=None):
    """Read each case {"id", "file", "dataset", "sel" ("[0, 1:3]"), optional
    "swmr", "chunks"} in a child h5py process, as few processes as crashes
    allow. Returns {id: result}; a result has ok/type/message/value, or
    "crashed" (the signal or exit status) or "timeout" when the child died
    or hung in that read. The child's peak RSS (KiB) is under key None."""
    env = env if env is not None else env_connector()
    limit = 0 if ASAN else limit_as
    results, todo = {}, list(cases)
    while todo:
        proc = subprocess.Popen([sys.executable, "-c", _READER, str(limit)], stdin=subprocess.PIPE,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, cwd=cwd)
        try:
            out, err = proc.communicate(json.dumps(todo), timeout=timeout * SLOW)
            timed_out = False
        except subprocess.TimeoutExpired:
            proc.kill()
            out, err = proc.communicate()
            timed_out = True
        started = None
        for line in out.splitlines():
            msg = json.loads(line)
            if msg["stage"] == "start":
                started = msg["id"]
            elif msg["stage"] == "done":
                results[msg["id"]] = msg
                started = None
            elif msg["stage"] == "exit":
                results[None] = msg
        done = [c for c in todo if c["id"] in results]
        todo = [c for c in todo if c["id"] not in results]
        if started is not None:
            results[started] = {"id": started, "ok": False, "stderr": err[-4000:],
                                **({"timeout": True} if timed_out else
                                   {"crashed": signal_name(proc.returncode) or proc.returncode})}
            todo = [c for c in todo if c["id"] != started]
        elif todo and not done:
            raise AssertionError(f"reader child failed before reading (exit {proc.returncode}):\n{err}")
    return results


def read_one(path, dataset, sel="[()]", env=None, **kw):
    return read_in_child([{"id": "x", "file": str(path), "dataset": dataset, "sel": sel}], env=env, **kw)["x"]


def run(args, env=None, cwd=None, timeout=60):
    """Run a program; returns the CompletedProcess (text), never raises on
    a non-zero exit; a timeout is an assertion failure naming the call."""
    try:
        return subprocess.run([str(a) for a in args], capture_output=True, text=True,
                              env=env if env is not None else env_connector(), cwd=cwd,
                              timeout=timeout * SLOW, errors="replace")
    except subprocess.TimeoutExpired:
        raise AssertionError(f"{args} did not finish within {timeout * SLOW} s") from None


def h5dump_stack(path, dataset, *extra, env=None, cwd=None):
    """h5dump --enable-error-stack of one dataset (data included)."""
    return run([hdf5_bin("h5dump"), "--enable-error-stack", "-d", dataset, *extra, path], env=env, cwd=cwd)


def h5lazy_frames(stderr):
    """The descriptions of h5lazy's own frames in an HDF5 error stack,
    without the line numbers: "  #004: h5lazy line 188 in f(): TEXT" -> TEXT
    (TEXT may span lines, up to the frame's "    major:" line)."""
    frames, current = [], None
    for line in stderr.split("\n"):
        if current is not None:
            if line.startswith("    major: "):
                frames.append("\n".join(current))
                current = None
            else:
                current.append(line)
            continue
        head, sep, text = line.partition("(): ")
        if sep and " h5lazy line " in head:
            current = [text]
    return frames


def assert_no_crash(proc):
    assert proc.returncode >= 0, f"{proc.args} died of {signal_name(proc.returncode)}\n{proc.stderr[-3000:]}"


# ---------------------------------------------------------------------------
# nothing lost: hashes of every source


def sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


class SourceRegistry:
    """Files whose bytes must not change while the hardening tests read
    virtual datasets over them (or fail to)."""

    def __init__(self):
        self.files = {}

    def add(self, *paths):
        for p in paths:
            p = Path(p).resolve()
            self.files[p] = (sha256(p), p.stat().st_size)
        return paths[0] if len(paths) == 1 else paths

    def add_tree(self, root, pattern="*.h5"):
        for p in sorted(Path(root).rglob(pattern)):
            if p.is_file() and not p.is_symlink():
                self.add(p)

    def forget(self, *paths):
        """A test is about to change these on purpose (fault injection)."""
        for p in paths:
            self.files.pop(Path(p).resolve(), None)

    def changed(self):
        bad = []
        for p, (digest, size) in self.files.items():
            if not p.exists():
                bad.append(f"{p}: deleted")
            elif sha256(p) != digest:
                bad.append(f"{p}: changed ({size} -> {p.stat().st_size} bytes)")
        return bad

    def total_bytes(self):
        return sum(size for _, size in self.files.values())


REGISTRY = SourceRegistry()
_VERIFIED = {}


@pytest.fixture(scope="session")
def sources():
    """Register source files (sources.add(path)) right after writing them;
    at the end of the session every one must hold exactly the same bytes."""
    yield REGISTRY
    bad = REGISTRY.changed()
    _VERIFIED.update(files=len(REGISTRY.files), bytes=REGISTRY.total_bytes(), changed=len(bad))
    assert not bad, "source files changed by the hardening tests:\n" + "\n".join(bad)


def pytest_terminal_summary(terminalreporter):
    if _VERIFIED:
        terminalreporter.write_line(
            f"h5lazy hardening: {_VERIFIED['files']} source files, {_VERIFIED['bytes']} bytes "
            f"verified unchanged ({_VERIFIED['changed']} changed)")
