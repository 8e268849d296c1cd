"""The Python module python/h5lazy: define, show, check and evaluate on
h5py files through the connector's own operations (ctypes over h5py's
libhdf5). Values are checked against numpy, texts against the h5lazy
command, and the ctypes structs against the C header compiled here.
"""
import ctypes
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import h5py
import numpy as np
import pytest

from conftest import REPO, assert_ok, define, run_h5lazy, write_dataset

sys.path.insert(0, str(REPO / "python"))
import h5lazy  # noqa: E402  (from the repository, not installed)

A = np.arange(24, dtype=np.int32).reshape(4, 6)
B = np.linspace(0, 1, 6).astype(np.float32)
T = np.random.default_rng(7).random((10, 4, 5))


@pytest.fixture
def src(tmp_path):
    """a int32 (4, 6) chunks (2, 3), b float32 (6,), t float64 (10, 4, 5),
    g/x int16 (3,)."""
    f = tmp_path / "m.h5"
    write_dataset(f, "a", A, chunks=(2, 3))
    write_dataset(f, "b", B)
    write_dataset(f, "t", T, chunks=(5, 2, 5))
    write_dataset(f, "g/x", np.arange(3, dtype=np.int16))
    return f


# ---------------------------------------------------------------------------
# the ctypes layout is the C layout

LAYOUT_C = r"""
#include <stddef.h>
#include <stdio.h>
#include "h5lazy_vol.h"

#define S(t) printf("%s %zu\n", #t, sizeof(t));
#define F(t, f) printf("%s.%s %zu %zu\n", #t, #f, offsetof(t, f), sizeof(((t *)0)->f));
#define C(name, v) printf("%s %lld\n", name, (long long)(v));

/* The prototypes the module declares; a mismatch does not compile. */
static herr_t (*const optional_op)(const char *, const char *, unsigned, hid_t, H5VL_optional_args_t *,
                                   hid_t, hid_t) = H5VLfile_optional_op_wrap;
static herr_t (*const find_op)(H5VL_subclass_t, const char *, int *) = H5VLfind_opt_operation;
static herr_t (*const walk)(hid_t, H5E_direction_t, H5E_walk2_t, void *) = H5Ewalk2;
static const H5E_walk2_t callback = (herr_t (*)(unsigned, const H5E_error2_t *, void *))0;

int main(void)
{
    (void)optional_op; (void)find_op; (void)walk; (void)callback;
    S(h5lazy_diagnostic_t) F(h5lazy_diagnostic_t, line) F(h5lazy_diagnostic_t, column)
    F(h5lazy_diagnostic_t, message)
    S(h5lazy_define_args_t) F(h5lazy_define_args_t, name) F(h5lazy_define_args_t, expression)
    F(h5lazy_define_args_t, nchunks) F(h5lazy_define_args_t, chunks) F(h5lazy_define_args_t, overwrite)
    F(h5lazy_define_args_t, diag) F(h5lazy_define_args_t, dtype) F(h5lazy_define_args_t, rank)
    F(h5lazy_define_args_t, dims) F(h5lazy_define_args_t, fill) F(h5lazy_define_args_t, fill_value)
    F(h5lazy_define_args_t, nattrs) F(h5lazy_define_args_t, attrs) F(h5lazy_define_args_t, attrs_from)
    F(h5lazy_define_args_t, ndims) F(h5lazy_define_args_t, dim_names)
    S(h5lazy_attr_t) F(h5lazy_attr_t, name) F(h5lazy_attr_t, kind) F(h5lazy_attr_t, text)
    F(h5lazy_attr_t, integer) F(h5lazy_attr_t, number)
    S(h5lazy_dim_t) F(h5lazy_dim_t, axis) F(h5lazy_dim_t, name)
    S(h5lazy_inspect_args_t) F(h5lazy_inspect_args_t, action) F(h5lazy_inspect_args_t, handle)
    F(h5lazy_inspect_args_t, name) F(h5lazy_inspect_args_t, expression) F(h5lazy_inspect_args_t, diag)
    F(h5lazy_inspect_args_t, is_virtual) F(h5lazy_inspect_args_t, dtype) F(h5lazy_inspect_args_t, rank)
    F(h5lazy_inspect_args_t, dims) F(h5lazy_inspect_args_t, chunks) F(h5lazy_inspect_args_t, start)
    F(h5lazy_inspect_args_t, stride) F(h5lazy_inspect_args_t, count) F(h5lazy_inspect_args_t, buf)
    F(h5lazy_inspect_args_t, dot) F(h5lazy_inspect_args_t, text)
    S(H5VL_optional_args_t) F(H5VL_optional_args_t, op_type) F(H5VL_optional_args_t, args)
    S(H5E_error2_t) F(H5E_error2_t, cls_id) F(H5E_error2_t, maj_num) F(H5E_error2_t, min_num)
    F(H5E_error2_t, line) F(H5E_error2_t, func_name) F(H5E_error2_t, file_name) F(H5E_error2_t, desc)
    C("sizeof_hid_t", sizeof(hid_t)) C("sizeof_hsize_t", sizeof(hsize_t)) C("sizeof_herr_t", sizeof(herr_t))
    C("H5S_MAX_RANK", H5S_MAX_RANK) C("H5VL_SUBCLS_FILE", H5VL_SUBCLS_FILE)
    C("H5E_WALK_UPWARD", H5E_WALK_UPWARD)
    C("H5LAZY_INSPECT_OPEN", H5LAZY_INSPECT_OPEN) C("H5LAZY_INSPECT_READ", H5LAZY_INSPECT_READ)
    C("H5LAZY_INSPECT_DESCRIBE", H5LAZY_INSPECT_DESCRIBE) C("H5LAZY_INSPECT_CLOSE", H5LAZY_INSPECT_CLOSE)
    C("H5LAZY_ATTR_TEXT", H5LAZY_ATTR_TEXT) C("H5LAZY_ATTR_INT", H5LAZY_ATTR_INT)
    C("H5LAZY_ATTR_FLOAT", H5LAZY_ATTR_FLOAT)
    printf("names %s %s %s\n", H5LAZY_VOL_NAME, H5LAZY_OP_DEFINE, H5LAZY_OP_INSPECT);
    return 0;
}
"""

STRUCTS = {
    "h5lazy_diagnostic_t": h5lazy.Diagnostic,
    "h5lazy_define_args_t": h5lazy.DefineArgs,
    "h5lazy_attr_t": h5lazy.AttrArg,
    "h5lazy_dim_t": h5lazy.DimArg,
    "h5lazy_inspect_args_t": h5lazy.InspectArgs,
    "H5VL_optional_args_t": h5lazy.OptionalArgs,
    "H5E_error2_t": h5lazy.ErrorRecord,
}


def hdf5_include_dir():
    """The include directory of the HDF5 the project was built against."""
    lib = Path(os.environ["H5LAZY_HDF5_LIB"])
    for candidate in (lib.parent / "include", REPO / "build" / "deps" / "hdf5" / "include"):
        if (candidate / "hdf5.h").is_file():
            return candidate
    raise AssertionError(f"hdf5.h not found next to {lib}")


@pytest.fixture(scope="module")
def c_layout(tmp_path_factory):
    """What the C compiler says about the header's structs and constants."""
    d = tmp_path_factory.mktemp("layout")
    (d / "layout.c").write_text(LAYOUT_C)
    cc = shutil.which("cc") or shutil.which("gcc")
    assert cc, "a C compiler is needed for the layout check"
    lib = os.environ["H5LAZY_HDF5_LIB"]
    proc = subprocess.run([cc, "-std=c11", "-Wall", "-Werror", "-Werror=incompatible-pointer-types",
                           f"-I{hdf5_include_dir()}", f"-I{REPO / 'vol'}", str(d / "layout.c"), "-o",
                           str(d / "layout"), f"-L{lib}", f"-Wl,-rpath,{lib}", "-lhdf5"],
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    out = subprocess.run([str(d / "layout")], check=True, capture_output=True, text=True).stdout
    sizes, fields, consts = {}, {}, {}
    for line in out.splitlines():
        parts = line.split()
        if parts[0] == "names":
            consts["names"] = parts[1:]
        elif "." in parts[0]:
            struct, field = parts[0].split(".")
            fields.setdefault(struct, {})[field] = (int(parts[1]), int(parts[2]))
        elif parts[0] in STRUCTS:
            sizes[parts[0]] = int(parts[1])
        else:
            consts[parts[0]] = int(parts[1])
    return sizes, fields, consts


@pytest.mark.parametrize("c_name", sorted(STRUCTS))
def test_ctypes_layout_matches_the_header(c_layout, c_name):
    sizes, fields, _ = c_layout
    cls = STRUCTS[c_name]
    assert ctypes.sizeof(cls) == sizes[c_name]
    ours = {name: (getattr(cls, name).offset, getattr(cls, name).size) for name, _ in cls._fields_}
    assert ours == fields[c_name]


def test_constants_match_the_header(c_layout):
    _, _, consts = c_layout
    assert ctypes.sizeof(h5lazy.hid_t) == consts["sizeof_hid_t"]
    assert ctypes.sizeof(h5lazy.hsize_t) == consts["sizeof_hsize_t"]
    assert ctypes.sizeof(h5lazy.herr_t) == consts["sizeof_herr_t"]
    assert h5lazy.H5S_MAX_RANK == consts["H5S_MAX_RANK"]
    assert h5lazy.H5VL_SUBCLS_FILE == consts["H5VL_SUBCLS_FILE"]
    assert h5lazy.H5E_WALK_UPWARD == consts["H5E_WALK_UPWARD"]
    assert (h5lazy.INSPECT_OPEN, h5lazy.INSPECT_READ, h5lazy.INSPECT_DESCRIBE, h5lazy.INSPECT_CLOSE) == (
        consts["H5LAZY_INSPECT_OPEN"], consts["H5LAZY_INSPECT_READ"],
        consts["H5LAZY_INSPECT_DESCRIBE"], consts["H5LAZY_INSPECT_CLOSE"])
    assert (h5lazy.ATTR_TEXT, h5lazy.ATTR_INT, h5lazy.ATTR_FLOAT) == (
        consts["H5LAZY_ATTR_TEXT"], consts["H5LAZY_ATTR_INT"], consts["H5LAZY_ATTR_FLOAT"])
    assert consts["names"] == [h5lazy.CONNECTOR_NAME, h5lazy.OP_DEFINE.decode(),
                               h5lazy.OP_INSPECT.decode()]


# ---------------------------------------------------------------------------
# the libhdf5 of h5py


def mapped_libhdf5():
    """[(start, end, path)] of libhdf5 mappings in this process."""
    found = []
    with open("/proc/self/maps") as maps:
        for line in maps:
            fields = line.split(maxsplit=5)
            if len(fields) == 6 and re.match(r"libhdf5(-[0-9a-f]+)?\.so", os.path.basename(fields[5])):
                lo, hi = (int(x, 16) for x in fields[0].split("-"))
                found.append((lo, hi, os.path.realpath(fields[5].strip())))
    return found


def test_calls_the_libhdf5_h5py_uses(src):
    with h5py.File(src, "r") as f:
        h5lazy.evaluate(f, "a + 1")
    maps = mapped_libhdf5()
    assert len({p for _, _, p in maps}) == 1  # no second copy loaded
    path = maps[0][2]
    assert h5lazy.libhdf5_path() == path
    assert os.path.dirname(path) == os.path.realpath(os.environ["H5LAZY_HDF5_LIB"])
    # The functions called are inside that mapping.
    address = ctypes.cast(h5lazy._lib().H5VLfile_optional_op, ctypes.c_void_p).value
    assert any(lo <= address < hi for lo, hi, _ in maps)


# ---------------------------------------------------------------------------
# define


def test_define_returns_type_and_shape(src):
    with h5py.File(src, "a") as f:
        d = h5lazy.define(f, "c", "a*2 + b")
        assert d == h5lazy.Definition("/c", (A * 2 + B).dtype, (4, 6))
        assert h5lazy.define(f, "s", "sum(a)") == ("/s", np.dtype(np.int64), ())
        np.testing.assert_array_equal(f["c"][...], A * 2 + B)
        assert f["c"].chunks == (2, 3)  # a's chunk
        assert f["s"][()] == A.sum()
        assert f["c"].attrs["h5lazy_expression"] == "a*2 + b"
    # The command sees the same definition.
    proc = assert_ok(run_h5lazy("check", src))
    assert "ok     /c: float64 (4, 6)\n" in proc.stdout


def test_define_in_a_group_with_chunks(src):
    with h5py.File(src, "a") as f:
        d = h5lazy.define(f["g"], "y", "x * 3", chunks=[2])
        assert d == ("/g/y", np.dtype(np.int16), (3,))
        assert f["g/y"].chunks == (2,)
        np.testing.assert_array_equal(f["g/y"][...], np.arange(3, dtype=np.int16) * 3)
        h5lazy.define(f, "new/deep/z", "ds('/g/x') + ds('/a')[0, 0:3]")
        np.testing.assert_array_equal(f["new/deep/z"][...], np.arange(3) + A[0, :3])


def test_define_overwrite(src):
    with h5py.File(src, "a") as f:
        h5lazy.define(f, "c", "a + 1")
        with pytest.raises(h5lazy.Error) as e:
            h5lazy.define(f, "c", "a - 1")
        assert e.value.messages == ["cannot define '/c': a virtual dataset of that name exists "
                                    "(overwrite it to replace it)"]
        np.testing.assert_array_equal(f["c"][...], A + 1)
        h5lazy.define(f, "c", "a - 1", overwrite=True)
        np.testing.assert_array_equal(f["c"][...], A - 1)
        with pytest.raises(h5lazy.Error, match="a stored dataset of that name exists"):
            h5lazy.define(f, "a", "b", overwrite=True)
        np.testing.assert_array_equal(f["a"][...], A)


def test_define_error_has_position_and_caret(src, capfd):
    with h5py.File(src, "a") as f:
        with pytest.raises(h5lazy.Error) as e:
            h5lazy.define(f, "bad", "a +\n  ad(a, 1)")
        assert "bad" not in f
    err = e.value
    assert (err.line, err.column) == (2, 3)
    assert err.messages == ["cannot define '/bad': unknown function 'ad' (did you mean 'add'?) "
                            "(at line 2, column 3)"]
    assert str(err) == err.messages[0] + "\n      ad(a, 1)\n      ^"
    # As the command reports it (its NAME is written without the slash).
    proc = define(src, "/bad", "a +\n  ad(a, 1)")
    assert proc.stderr == f"h5lazy define: error: {str(err)}\n"
    assert capfd.readouterr().err == ""  # HDF5 printed nothing itself


def test_define_on_a_read_only_file(src):
    with h5py.File(src, "r") as f:
        with pytest.raises(h5lazy.Error) as e:
            h5lazy.define(f, "c", "a + 1")
    assert "c" not in h5py.File(src, "r")
    assert e.value.messages and e.value.column == 0


def test_define_wrong_chunk_rank(src):
    with h5py.File(src, "a") as f:
        with pytest.raises(h5lazy.Error) as e:
            h5lazy.define(f, "c", "a + 1", chunks=(2,))
        assert str(e.value) == "cannot define '/c': 1 chunk extents were given but the result has rank 2"


# ---------------------------------------------------------------------------
# show and check


def test_show_is_the_commands_text(src):
    with h5py.File(src, "a") as f:
        h5lazy.define(f, "an", "t - mean(t, axis=0)")
        h5lazy.define(f, "c", "a*2 + b")
    with h5py.File(src, "r") as f:
        one = h5lazy.show(f, "an")
        dot = h5lazy.show(f, "an", dot=True)
        every = h5lazy.show(f)
    assert one == assert_ok(run_h5lazy("show", src, "an")).stdout
    assert dot == assert_ok(run_h5lazy("show", "--dot", src, "an")).stdout
    assert every == one + "\n" + assert_ok(run_h5lazy("show", src, "c")).stdout
    assert one.splitlines()[1] == f"  result: float64 {(T - T.mean(0)).shape}, evaluation chunks (5, 2, 5)"
    assert dot.count(" -> ") == 3


def test_show_errors(src, tmp_path):
    other = tmp_path / "o.h5"
    write_dataset(other, "x", np.arange(6.0))
    with h5py.File(src, "a") as f:
        h5lazy.define(f, "p", 'ds("o.h5", "/x") * 2')
        h5lazy.define(f, "q", "b * 2")
    other.unlink()
    with h5py.File(src, "r") as f:
        with pytest.raises(h5lazy.Error) as e:
            h5lazy.show(f, "a")
        assert str(e.value) == "'a' is a stored dataset, not a virtual one"
        with pytest.raises(h5lazy.Error) as e:
            h5lazy.show(f, "p")
        message = (f"cannot evaluate '/p': operand file 'o.h5' of '/p' cannot be opened (looked for "
                   f"'{other}') (at line 1, column 1 of \"ds(\"o.h5\", \"/x\") * 2\")")
        assert e.value.messages == [message]
        with pytest.raises(h5lazy.Error) as e:
            h5lazy.show(f)
        assert e.value.messages == [message]
        assert e.value.text.startswith("/q = b * 2\n")  # the others are shown


def test_check(src, tmp_path):
    with h5py.File(src, "a") as f:
        h5lazy.define(f, "c", "a*2 + b")
        h5lazy.define(f, "g/y", "x - 1")
        h5lazy.define(f, "z", "sum(t, axis=(0, 2))")
        assert h5lazy.check(f) == [
            ("/c", True, f"{(A * 2 + B).dtype} (4, 6)"),
            ("/g/y", True, "int16 (3,)"),
            ("/z", True, f"float64 ({T.sum(axis=(0, 2)).shape[0]},)"),
        ]
        del f["g/x"]
        f["g/x"] = np.arange(5, dtype=np.int16)
        result = h5lazy.check(f)
    assert [r.ok for r in result] == [True, False, True]
    assert result[1].message == (
        "'/g/y' was defined as int16 (3,), but its expression now gives int16 (5,): an operand "
        "changed since the definition (redefine it with h5lazy define --overwrite)")
    proc = run_h5lazy("check", src)
    assert proc.returncode == 1
    assert proc.stderr == f"h5lazy check: error: {result[1].message}\n"


# ---------------------------------------------------------------------------
# evaluate


CASES = [
    ("a*2 + b", None, lambda: A * 2 + B),
    ("a > 10", None, lambda: A > 10),
    ("sum(a)", None, lambda: np.sum(A)),
    ("mean(t, axis=0)", None, lambda: T.mean(axis=0)),
    ("a[0:0]", None, lambda: A[0:0]),
    ("astype(a, 'uint8') * 20", None, lambda: A.astype(np.uint8) * np.uint8(20)),
    ("t - mean(t, axis=0)", np.s_[::-3, 1, ::-2], lambda: (T - T.mean(axis=0))[::-3, 1, ::-2]),
    ("a", np.s_[-1], lambda: A[-1]),
    ("a", 2, lambda: A[2]),
    ("a", np.s_[..., np.int64(3)], lambda: A[..., 3]),
    ("a", np.s_[None, 1:3], lambda: A[None, 1:3]),
    ("a * 1.5", "[::-1, 5:0:-2]", lambda: (A * 1.5)[::-1, 5:0:-2]),
    ("a", "1, 2", lambda: A[1, 2]),
]


@pytest.mark.parametrize("expr,selection,oracle", CASES,
                         ids=[f"{e}{'' if s is None else s}" for e, s, _ in CASES])
def test_evaluate_matches_numpy(src, expr, selection, oracle):
    want = np.asarray(oracle())
    with h5py.File(src, "r") as f:
        got = h5lazy.evaluate(f, expr, selection)
    assert isinstance(got, np.ndarray)
    assert got.dtype == want.dtype and got.shape == want.shape
    np.testing.assert_allclose(got, want, rtol=1e-13, atol=0)


def test_evaluate_in_pieces(src, monkeypatch):
    monkeypatch.setattr(h5lazy, "PIECE_BYTES", 100)  # (4, 5) float64 rows: one row a piece
    with h5py.File(src, "r") as f:
        got = h5lazy.evaluate(f, "t * 2 - mean(t, axis=0)")
    np.testing.assert_allclose(got, T * 2 - T.mean(axis=0), rtol=1e-13)


def test_evaluate_errors(src, capfd):
    with h5py.File(src, "r") as f:
        with pytest.raises(h5lazy.Error) as e:
            h5lazy.evaluate(f, "a + nope")
        assert str(e.value) == ("cannot evaluate the expression: operand 'nope' of '/expression' is "
                                "not a dataset (looked for '/nope') (at line 1, column 5)\n"
                                "    a + nope\n"
                                "        ^")
        with pytest.raises(h5lazy.Error) as e:
            h5lazy.evaluate(f, "a", np.s_[7])
        assert e.value.column == 5 and e.value.expression == "(a)[7]"
        assert "index 7 is out of bounds for axis 0 with size 4" in str(e.value)
        with pytest.raises(TypeError):
            h5lazy.evaluate(f, "a", np.s_[[0, 1]])
        # The file is still usable afterwards.
        np.testing.assert_array_equal(h5lazy.evaluate(f, "a[1]"), A[1])
    assert capfd.readouterr().err == ""


def test_evaluate_over_a_virtual_dataset(src):
    """Regression (fixed): evaluate() of an expression reading a
    virtual dataset kills the Python process with SIGSEGV -- the same
    inspect READ as `h5lazy eval` (see test_cli.py::
    test_bug_eval_over_a_virtual_dataset_segfaults). Run in a child so that
    the suite survives it."""
    with h5py.File(src, "a") as f:
        h5lazy.define(f, "c", "a*2 + b")
    script = ("import sys; sys.path.insert(0, sys.argv[1]); import h5py, h5lazy\n"
              "f = h5py.File(sys.argv[2], 'r')\n"
              "print(h5lazy.evaluate(f, 'c[1] + 0').tolist())\n")
    proc = subprocess.run([sys.executable, "-c", script, str(REPO / "python"), str(src)],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, f"exit status {proc.returncode}"
    np.testing.assert_array_equal(json.loads(proc.stdout), (A * 2 + B)[1])


# ---------------------------------------------------------------------------
# files not opened through the connector, and open_file


SCRIPT = r"""
import json, sys
sys.path.insert(0, sys.argv[1])
import h5py, numpy as np, h5lazy
path, plugin = sys.argv[2], sys.argv[3]
out = {}
with h5py.File(path, "r") as f:          # native: no connector
    try:
        h5lazy.evaluate(f, "a + 1")
    except h5lazy.Error as e:
        out["native"] = str(e)
try:
    h5lazy.open_file(path, memory="12XB", plugin_path=plugin)
except h5lazy.Error as e:
    out["bad"] = str(e)
with h5lazy.open_file(path, "r", plugin_path=plugin, memory="8KiB", threads=2) as f:
    out["read"] = f["c"][...].tolist()
    out["eval"] = h5lazy.evaluate(f, "mean(t, axis=0)").tolist()
with h5lazy.open_file(path, "a", plugin_path=plugin) as f:
    out["defined"] = list(h5lazy.define(f, "d", "a - 1")[2])
with h5lazy.open_file(path, "r", plugin_path=plugin) as f:
    out["d"] = f["d"][...].tolist()
print(json.dumps(out))
"""


def test_open_file_and_a_file_opened_natively(src):
    with h5py.File(src, "a") as f:
        h5lazy.define(f, "c", "a * 3")
    env = dict(os.environ)
    del env["HDF5_VOL_CONNECTOR"]
    env.pop("HDF5_PLUGIN_PATH")  # found through plugin_path=
    proc = subprocess.run([sys.executable, "-c", SCRIPT, str(REPO / "python"), str(src),
                           os.environ["H5LAZY_PLUGIN_DIR"]], env=env, capture_output=True,
                          text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert out["native"].startswith("the file is open through the 'native' VOL connector, not h5lazy")
    assert out["bad"] == "connector info: memory=12XB is not a size of at least 4 KiB (write e.g. 256MiB)"
    np.testing.assert_array_equal(out["read"], A * 3)
    np.testing.assert_allclose(out["eval"], T.mean(axis=0), rtol=1e-13)
    assert out["defined"] == [4, 6]
    np.testing.assert_array_equal(out["d"], A - 1)
