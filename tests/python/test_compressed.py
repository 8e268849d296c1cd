"""Compressed sources decoded by the connector itself (issue 12).

The connector reads the raw chunks of filtered sources and decodes them on
its worker threads; whatever it cannot decode goes through HDF5's own read.
Either way a read must give exactly HDF5's bytes. These tests compare, bit
for bit, what h5py reads natively from each source with what it reads
through a virtual dataset that is the source itself, across

- pipelines: deflate at levels 1 and 9, shuffle + deflate, fletcher32 alone,
  before and after deflate, shuffle alone; zstd, lz4, blosc and bitshuffle
  from hdf5plugin when it is installed; lzf and scale-offset (HDF5's read);
- element types, big-endian ones included;
- chunk shapes, edge chunks included, and partially written datasets
  (unwritten chunks read as the fill value);
- selections (whole, strided, one element) and reductions;
- one thread, two, auto, and a budget too small for a chunk in flight;

and check the fallbacks (a chunk whose filter mask skips deflate, contiguous
and compact layouts, HDF5's pass-through connector underneath), the errors
for corrupt chunks, and `h5lazy save --gzip --shuffle` read back by plain
HDF5.
"""
import itertools
import json
import os
import subprocess
import sys
import zlib

import h5py
import numpy as np
import pytest

from conftest import CONNECTOR, assert_ok, define, env_with_connector, run_h5lazy

try:
    import hdf5plugin
except ImportError:  # the registered filters then go untested here
    hdf5plugin = None

SHAPE = (9, 10, 11)
DTYPES = ["f4", "f8", "i1", "u2", "i4", "u8", ">f4", ">f8", ">i2", ">u4"]
CHUNKS = [(1, 10, 11), (4, 3, 5), (9, 10, 11), (2, 10, 1)]


def _low_level(order):
    """A creation list with filters in `order` (h5py's keywords always put
    fletcher32 last)."""
    def make(dtype):
        dcpl = h5py.h5p.create(h5py.h5p.DATASET_CREATE)
        for name in order:
            {"fletcher32": dcpl.set_fletcher32, "shuffle": dcpl.set_shuffle,
             "deflate": lambda: dcpl.set_deflate(5)}[name]()
        return dcpl
    return make


PIPELINES = {
    "gzip1": dict(compression="gzip", compression_opts=1),
    "gzip9": dict(compression="gzip", compression_opts=9),
    "shuffle_gzip4": dict(compression="gzip", compression_opts=4, shuffle=True),
    "fletcher32": dict(fletcher32=True),
    "shuffle_gzip_fletcher32": dict(compression="gzip", shuffle=True, fletcher32=True),
    "fletcher32_then_deflate": _low_level(["fletcher32", "shuffle", "deflate"]),
    "shuffle": dict(shuffle=True),
    "lzf": dict(compression="lzf"),  # not decoded by h5lazy: HDF5's read
}
INT_ONLY = {"scaleoffset": dict(scaleoffset=0)}  # HDF5's read too
if hdf5plugin is not None:
    PIPELINES.update({
        "zstd": dict(hdf5plugin.Zstd(clevel=3)),
        "lz4": dict(hdf5plugin.LZ4()),
        "blosc_lz4_shuffle": dict(hdf5plugin.Blosc(cname="lz4", clevel=5, shuffle=hdf5plugin.Blosc.SHUFFLE)),
        "blosc_zstd_bitshuffle": dict(hdf5plugin.Blosc(cname="zstd", clevel=3,
                                                       shuffle=hdf5plugin.Blosc.BITSHUFFLE)),
        "bitshuffle": dict(hdf5plugin.Bitshuffle()),  # HDF5's read
        "shuffle_zstd": dict(hdf5plugin.Zstd(clevel=1), shuffle=True),
    })


def _values(dtype, seed):
    rng = np.random.default_rng(seed)
    dt = np.dtype(dtype)
    if dt.kind == "f":
        x = np.round(rng.normal(10, 3, SHAPE), 2)
        x.flat[::17] = np.nan
        return x.astype(dt)
    info = np.iinfo(dt)
    return rng.integers(max(info.min, -10**6), min(info.max, 10**6), SHAPE).astype(dt)


def _create(f, name, values, chunks, how, fill):
    if callable(how):
        dcpl = how(values.dtype)
        dcpl.set_chunk(chunks)
        if fill is not None:
            dcpl.set_fill_value(np.array(fill, values.dtype))
        space = h5py.h5s.create_simple(values.shape)
        h5py.h5d.create(f.id, name.encode(), h5py.h5t.py_create(values.dtype), space, dcpl=dcpl)
        return f[name]
    return f.create_dataset(name, shape=values.shape, dtype=values.dtype, chunks=chunks, fillvalue=fill, **how)


def _cases():
    """(name, dtype, chunks, pipeline, partial) of the matrix."""
    out = []
    for (pname, how), dtype, chunks in itertools.product(PIPELINES.items(), DTYPES, CHUNKS):
        for partial in (False, True):
            out.append((f"{pname}.{dtype.replace('>', 'be')}.{'x'.join(map(str, chunks))}.{int(partial)}",
                        dtype, chunks, pname, partial))
    for (pname, how), dtype in itertools.product(INT_ONLY.items(), ["i4", ">i4"]):
        out.append((f"{pname}.{dtype.replace('>', 'be')}.4x3x5.0", dtype, (4, 3, 5), pname, False))
    return out


CASES = _cases()
# What each child reads of every virtual dataset besides the whole of it.
SELECTIONS = {"whole": "()", "strided": "np.s_[1:8:3, ::2, 4:]", "one": "np.s_[8, 9, 10]",
              "rows": "np.s_[2:7, 3, :]"}

CHILD = r"""
import sys, json, numpy as np, h5py
try:
    import hdf5plugin  # the registered filters, for HDF5's own reads
except ImportError:
    pass
path, out, names, sels = sys.argv[1], sys.argv[2], json.loads(sys.argv[3]), json.loads(sys.argv[4])
got = {}
with h5py.File(path, "r") as f:
    for n in names:
        for s, expr in sels.items():
            a = f[n][eval(expr)]
            got[n + "|" + s] = np.asarray(a)
np.savez(out, **got)
"""


def _read(path, out, names, env, sels=SELECTIONS):
    proc = subprocess.run([sys.executable, "-c", CHILD, str(path), str(out), json.dumps(names), json.dumps(sels)],
                          capture_output=True, text=True, env=env, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return np.load(out)


def _native(a):
    """Values in native byte order, so that bits compare."""
    return a.astype(a.dtype.newbyteorder("="))


@pytest.fixture(scope="module")
def matrix(tmp_path_factory):
    d = tmp_path_factory.mktemp("compressed")
    src, vds = d / "src.h5", d / "vds.h5"
    with h5py.File(src, "w") as f:
        for k, (name, dtype, chunks, pname, partial) in enumerate(CASES):
            how = PIPELINES.get(pname) or INT_ONLY[pname]
            values = _values(dtype, k)
            fill = np.array(7, dtype) if partial else None
            dset = _create(f, name, values, chunks, how, fill)
            if partial:  # a box that leaves some chunks unwritten, some half written
                dset[0:5, 0:6, 2:7] = values[0:5, 0:6, 2:7]
            else:
                dset[...] = values
    env = env_with_connector()
    with h5py.File(vds, "w"):
        pass
    for name, *_ in CASES:
        assert_ok(define(vds, f"v.{name}", f'ds("src.h5", "/{name}")', env=env))
    native = _read(src, d / "native.npz", [c[0] for c in CASES], env={
        k: v for k, v in os.environ.items() if k != "HDF5_VOL_CONNECTOR"})
    return d, vds, native


def test_the_matrix_is_large():
    """Every pipeline, type, chunk shape and partial write, crossed."""
    assert len(CASES) >= 600 if hdf5plugin else len(CASES) >= 300


@pytest.mark.parametrize("setting", ["threads=1", "threads=2", "threads=auto", "threads=2;memory=64KiB",
                                     "threads=3;memory=4KiB"])
def test_decoded_bytes_equal_hdf5s(matrix, setting):
    d, vds, native = matrix
    env = dict(os.environ, HDF5_VOL_CONNECTOR=f"{CONNECTOR};{setting}")
    got = _read(vds, d / f"lazy-{setting}.npz", [f"v.{c[0]}" for c in CASES], env)
    bad = []
    for name, *_ in CASES:
        for s in SELECTIONS:
            want, have = _native(native[f"{name}|{s}"]), got[f"v.{name}|{s}"]
            if want.dtype != have.dtype or want.shape != have.shape or want.tobytes() != have.tobytes():
                bad.append(f"{name} {s}")
    assert not bad, f"{len(bad)} reads differ from HDF5's, e.g. {bad[:5]}"


def test_reductions_over_compressed_sources_equal_those_over_stored_ones(tmp_path):
    """The same numbers stored plain and through shuffle + deflate +
    fletcher32: every reduction gives the same bits, on one thread and on
    two (reads of several chunks decoded in parallel)."""
    rng = np.random.default_rng(12)
    x = np.round(rng.normal(5, 2, (40, 30, 50)), 2).astype("f4")
    f = tmp_path / "r.h5"
    with h5py.File(f, "w") as h:
        h.create_dataset("plain", data=x, chunks=(1, 30, 50))
        h.create_dataset("gz", data=x, chunks=(1, 30, 50), compression="gzip", shuffle=True, fletcher32=True)
        h.create_dataset("gz2", data=x, chunks=(7, 4, 13), compression="gzip", compression_opts=2)
    exprs = {"mean0": "mean({}, axis=0)", "std02": "std({}, axis=(0, 2))", "sum1": "sum({}, axis=1)",
             "anom": "{} - mean({}, axis=0)", "mix": "{}[3:30:4] * 2 + 1"}
    env = env_with_connector()
    names = []
    for key, e in exprs.items():
        for src in ("plain", "gz", "gz2"):
            assert_ok(define(f, f"{key}_{src}", e.format(src, src), env=env))
            names.append(f"{key}_{src}")
    results = {t: _read(f, tmp_path / f"{t}.npz", names, env_with_connector(threads=t), {"whole": "()"})
               for t in (1, 2)}
    for t, got in results.items():
        for key in exprs:
            plain = got[f"{key}_plain|whole"]
            for src in ("gz", "gz2"):
                assert plain.tobytes() == got[f"{key}_{src}|whole"].tobytes(), (t, key, src)
    assert results[1]["mean0_gz|whole"].tobytes() == results[2]["mean0_gz|whole"].tobytes()
    np.testing.assert_allclose(results[2]["mean0_gz|whole"], x.mean(axis=0, dtype=np.float64), rtol=1e-6)


def test_fallbacks_give_hdf5s_bytes(tmp_path):
    """What HDF5 must decide: a chunk whose filter mask says deflate was
    skipped, unwritten chunks, contiguous and compact layouts; and HDF5's
    pass-through connector underneath."""
    x = np.arange(6 * 8, dtype="<f8").reshape(6, 8) / 3
    f = tmp_path / "fb.h5"
    with h5py.File(f, "w") as h:
        d = h.create_dataset("masked", shape=x.shape, dtype=x.dtype, chunks=(2, 8), compression="gzip")
        d[0:2] = x[0:2]
        d.id.write_direct_chunk((2, 0), x[2:4].tobytes(), filter_mask=1)  # deflate skipped
        d.id.write_direct_chunk((4, 0), zlib.compress(x[4:6].tobytes()), filter_mask=0)
        h.create_dataset("contiguous", data=x)
        dcpl = h5py.h5p.create(h5py.h5p.DATASET_CREATE)
        dcpl.set_layout(h5py.h5d.COMPACT)
        h5py.h5d.create(h.id, b"compact", h5py.h5t.IEEE_F64LE, h5py.h5s.create_simple((2, 8)), dcpl=dcpl)
        h["compact"][...] = x[:2]
    for n in ("masked", "contiguous", "compact"):
        assert_ok(define(f, f"v_{n}", n, env=env_with_connector()))
    names = ["v_masked", "v_contiguous", "v_compact"]
    sels = {"whole": "()", "strided": "np.s_[::3, 1::2]"}
    for setting in ("under_vol=0;under_info={};threads=2",
                    "under_vol=1;under_info={under_vol=0;under_info={}};threads=2"):
        env = dict(os.environ, HDF5_VOL_CONNECTOR=f"h5lazy {setting}")
        got = _read(f, tmp_path / "fb.npz", names, env, sels)
        np.testing.assert_array_equal(got["v_masked|whole"], x)
        np.testing.assert_array_equal(got["v_masked|strided"], x[::3, 1::2])
        np.testing.assert_array_equal(got["v_contiguous|whole"], x)
        np.testing.assert_array_equal(got["v_compact|whole"], x[:2])


# ---- corrupt chunks ---------------------------------------------------------------------

CORRUPT_CHILD = r"""
import sys, h5py
try:
    h5py.File(sys.argv[1], "r")[sys.argv[2]][()]
    print("no error")
except Exception as e:
    print(type(e).__name__ + ": " + str(e))
"""


def corrupt_file(path):
    """Datasets with one bad chunk each, written directly (so the bytes
    do not depend on a zlib version): chunk (1, 0) of 2 x (4, 8) float64."""
    good = np.arange(32, dtype="<f8").reshape(4, 8)
    chunk = good[2:4].tobytes()
    stream = zlib.compress(chunk, 0)
    bad = {
        "bad_stream": b"\x78\x9c" + b"\xff" * 30,
        "truncated": stream[: len(stream) // 2],
        "inflates_past": zlib.compress(chunk * 2, 0),
        "inflates_short": zlib.compress(chunk[:64], 0),
    }
    with h5py.File(path, "w") as h:
        for name, raw in bad.items():
            d = h.create_dataset(name, data=good, chunks=(2, 8), compression="gzip")
            d.id.write_direct_chunk((2, 0), raw)
        d = h.create_dataset("checksum", data=good, chunks=(2, 8), fletcher32=True)
        d.id.write_direct_chunk((2, 0), chunk + b"\x01\x02\x03\x04")
    return list(bad) + ["checksum"]


CORRUPT_MESSAGES = {
    "bad_stream": "the deflate stream is corrupt or cut short (32 bytes stored)",
    "truncated": f"the deflate stream is corrupt or cut short ({len(zlib.compress(bytes(128), 0)) // 2} bytes "
                 "stored)",
    "inflates_past": "the deflate stream inflates past the 128 bytes expected",
    "inflates_short": "the deflate stream inflates to 64 bytes, not the 128 expected",
    "checksum": "data error detected by the fletcher32 checksum (stored 0x04030201, computed 0x",
}


@pytest.mark.parametrize("threads", [1, 2])
def test_corrupt_chunks_are_clean_errors(tmp_path, threads):
    f = tmp_path / "bad.h5"
    names = corrupt_file(f)
    env = env_with_connector(threads=threads)
    for n in names:
        assert_ok(define(f, f"v_{n}", f"{n} * 2", env=env))
        proc = subprocess.run([sys.executable, "-c", CORRUPT_CHILD, str(f), f"v_{n}"], capture_output=True,
                              text=True, env=env, timeout=60)
        assert proc.returncode == 0, proc.stderr  # an exception, not a crash
        want = (f"OSError: Can't synchronously read data (cannot evaluate '/v_{n}': reading operand '{n}' "
                f"failed: its chunk at (2, 0) cannot be decoded: {CORRUPT_MESSAGES[n]}")
        assert proc.stdout.startswith(want), proc.stdout
    # HDF5 itself refuses every one of them too (but says less).
    native = {k: v for k, v in os.environ.items() if k != "HDF5_VOL_CONNECTOR"}
    for n in names:
        if n.startswith("inflates"):
            continue  # HDF5 reads these without a word (a short chunk, or its first bytes); h5lazy refuses them
        proc = subprocess.run([sys.executable, "-c", CORRUPT_CHILD, str(f), n], capture_output=True, text=True,
                              env=native, timeout=60)
        assert proc.stdout.startswith("OSError"), (n, proc.stdout)


# ---- threads=auto and h5lazy save -------------------------------------------------------------

def test_threads_auto_reads_and_bad_counts_are_refused(tmp_path):
    f = tmp_path / "t.h5"
    x = np.arange(4 * 50 * 60, dtype="f4").reshape(4, 50, 60)
    with h5py.File(f, "w") as h:
        h.create_dataset("x", data=x, chunks=(1, 50, 60), compression="gzip")
    assert_ok(define(f, "m", "mean(x, axis=0)", env=env_with_connector()))
    got = _read(f, tmp_path / "a.npz", ["m"], env_with_connector(threads="auto"), {"whole": "()"})
    np.testing.assert_allclose(got["m|whole"], x.mean(axis=0), rtol=1e-6)
    proc = subprocess.run([sys.executable, "-c", CHILD, str(f), str(tmp_path / "b.npz"), '["m"]', '{"w": "()"}'],
                          capture_output=True, text=True, env=env_with_connector(threads="autox"), timeout=60)
    assert "threads=autox is not a count from 1 to 64" in proc.stderr


@pytest.mark.parametrize("threads", ["1", "2", "auto"])
def test_save_with_gzip_and_shuffle_reads_back_through_plain_hdf5(tmp_path, threads):
    rng = np.random.default_rng(4)
    a = np.round(rng.normal(size=(7, 33, 45)), 2).astype("f4")
    b = rng.integers(-9, 9, (7, 33, 45)).astype("i2")
    f = tmp_path / "s.h5"
    with h5py.File(f, "w") as h:
        h.create_dataset("a", data=a, chunks=(2, 16, 16), compression="gzip", shuffle=True)
        h.create_dataset("b", data=b, chunks=(3, 33, 45))
    env = env_with_connector()
    assert_ok(define(f, "p", "a * b + 1", env=env))
    assert_ok(define(f, "q", "b * 3", env=env))
    out = tmp_path / "out.h5"
    assert_ok(run_h5lazy("save", "--gzip", "4", "--shuffle", "--chunks", "3,10,7", "--threads", threads, f,
                         f"p={out}:/p", f"q={out}:/q", env=env))
    native = {k: v for k, v in os.environ.items() if k != "HDF5_VOL_CONNECTOR"}
    code = ("import sys, h5py, numpy as np; h = h5py.File(sys.argv[1]); "
            "np.savez(sys.argv[2], p=h['p'][()], q=h['q'][()], "
            "f=[h['p'].compression == 'gzip', h['p'].shuffle, h['q'].compression_opts == 4])")
    assert_ok(subprocess.run([sys.executable, "-c", code, str(out), str(tmp_path / "o.npz")], env=native,
                             capture_output=True, text=True, timeout=60))
    got = np.load(tmp_path / "o.npz")
    assert got["p"].tobytes() == (a * b + 1).astype("f4").tobytes()
    assert got["q"].tobytes() == (b * 3).astype("i2").tobytes()
    assert got["f"].all()


def test_kept_chunks_serve_row_loops_and_follow_writes(tmp_path):
    """Decoded chunks are kept between reads (as HDF5's chunk cache keeps
    them): a row loop gives every row, and a write through the connector
    to the source is seen by the next read, not hidden by a kept chunk."""
    x = np.round(np.random.default_rng(3).normal(size=(40, 30, 20)), 2)
    f = tmp_path / "k.h5"
    with h5py.File(f, "w") as h:
        h.create_dataset("x", data=x, chunks=(10, 30, 20), compression="gzip", shuffle=True)
    assert_ok(define(f, "v", "x * 2", env=env_with_connector()))
    code = r"""
import sys, h5py, numpy as np
with h5py.File(sys.argv[1], "r+") as f:
    rows = np.stack([f["v"][i] for i in range(40)])
    cols = np.stack([f["v"][:, j] for j in range(30)], axis=1)
    f["x"][3, 4, 5] = 1000.0
    after = f["v"][3]
np.savez(sys.argv[2], rows=rows, cols=cols, after=after)
"""
    for threads in (1, 2):
        proc = subprocess.run([sys.executable, "-c", code, str(f), str(tmp_path / "k.npz")], capture_output=True,
                              text=True, env=env_with_connector(threads=threads), timeout=60)
        assert_ok(proc)
        got = np.load(tmp_path / "k.npz")
        np.testing.assert_array_equal(got["rows"], x * 2)
        np.testing.assert_array_equal(got["cols"], x * 2)
        x[3, 4, 5] = 1000.0
        np.testing.assert_array_equal(got["after"], x[3] * 2)
