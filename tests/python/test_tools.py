"""HDF5's own tools (h5dump, h5ls) reading virtual datasets through the
connector, and the h5lazy command line: output, messages, exit codes.

The tools fall back to native reading when a connector fails to load, so
every tool test asserts on numbers that only evaluating the expression can
produce, never on the exit status alone.
"""
import os
import re
import shutil

import h5py
import numpy as np
import pytest

from conftest import assert_ok, define, run_h5lazy, run_tool, write_dataset

A = np.arange(12, dtype=np.int32).reshape(3, 4)
B = A * 10
C_EXPR = "a*3 + b"
C = A * 3 + B  # 13 * i: 13, 26, ..., 143, none of them stored anywhere


@pytest.fixture
def small(tmp_path):
    """a (chunked 2x2), b (contiguous) and the virtual c = a*3 + b."""
    f = tmp_path / "small.h5"
    write_dataset(f, "a", A, chunks=(2, 2))
    write_dataset(f, "b", B)
    proc = assert_ok(define(f, "c", C_EXPR))
    assert proc.stdout == f"c: int32 (3, 4) = {C_EXPR}\n"
    assert proc.stderr == ""
    return f


def data_block(text):
    """The lines between 'DATA {' and the closing '}' of h5dump output."""
    m = re.search(r"^\s*DATA \{\n(.*?)^\s*\}", text, re.S | re.M)
    assert m, text
    return [line.strip() for line in m.group(1).splitlines()]


# ---------------------------------------------------------------------------
# h5dump / h5ls through the connector


def test_h5dump_dataset(small):
    proc = assert_ok(run_tool("h5dump", "-d", "/c", small))
    assert "DATATYPE  H5T_STD_I32LE" in proc.stdout
    assert "DATASPACE  SIMPLE { ( 3, 4 ) / ( 3, 4 ) }" in proc.stdout
    assert data_block(proc.stdout) == [
        "(0,0): 0, 13, 26, 39,",
        "(1,0): 52, 65, 78, 91,",
        "(2,0): 104, 117, 130, 143",
    ]


def test_h5dump_subset(small):
    proc = assert_ok(run_tool("h5dump", "-d", "/c", "-s", "1,1", "-c", "2,2", small))
    assert "START ( 1, 1 );" in proc.stdout
    assert data_block(proc.stdout) == ["(1,1): 65, 78,", "(2,1): 117, 130"]


def test_h5dump_stride(small):
    proc = assert_ok(run_tool("h5dump", "-d", "/c", "-s", "0,1", "-S", "2,2", "-c", "2,2", small))
    assert "STRIDE ( 2, 2 );" in proc.stdout
    assert data_block(proc.stdout) == [f"(0,1): {C[0, 1]}, {C[0, 3]},",
                                       f"(2,1): {C[2, 1]}, {C[2, 3]}"]


def test_h5dump_attributes(small):
    proc = assert_ok(run_tool("h5dump", "-A", "-d", "/c", small))
    text = proc.stdout
    assert 'ATTRIBUTE "h5lazy_expression"' in text
    assert f'(0): "{C_EXPR}"' in text
    assert 'ATTRIBUTE "h5lazy_format"' in text
    assert re.search(r'\(0\): "h5lazy \d+\.\d+\.\d+"', text)
    assert "143" not in text  # -A: header and attributes, no data


def test_h5dump_properties_show_a_chunked_layout(small):
    proc = assert_ok(run_tool("h5dump", "-p", "-H", "-d", "/c", small))
    assert "CHUNKED ( 2, 2 )" in proc.stdout  # the chunk of operand a
    assert "SIZE 48" in proc.stdout
    assert "EXTERNAL" not in proc.stdout
    # The placeholder stored in the file is not what the connector shows.
    native = assert_ok(run_tool("h5dump", "-p", "-H", "-d", "/c", small, connector=False))
    assert "EXTERNAL" in native.stdout and "CHUNKED" not in native.stdout


def test_h5dump_explicit_chunks(tmp_path):
    f = tmp_path / "k.h5"
    write_dataset(f, "a", A)
    assert_ok(define(f, "v", "a - 1", "--chunks", "3,1"))
    proc = assert_ok(run_tool("h5dump", "-p", "-H", "-d", "/v", f))
    assert "CHUNKED ( 3, 1 )" in proc.stdout
    with h5py.File(f, "r") as h:
        assert h["v"].chunks == (3, 1)
        np.testing.assert_array_equal(h["v"][...], A - 1)


def test_h5ls_recursive_verbose(small):
    proc = assert_ok(run_tool("h5ls", "-r", "-v", small))
    blocks = re.split(r"\n(?=/)", proc.stdout)
    c = [b for b in blocks if b.startswith("/c ")]
    assert len(c) == 1, proc.stdout
    block = c[0]
    assert re.match(r"/c\s+Dataset \{3/3, 4/4\}", block)
    assert re.search(r"Type:\s+native int\n", block)
    assert re.search(r"Chunks:\s+\{2, 2\} 16 bytes", block)
    assert "Attribute: h5lazy_expression scalar" in block
    assert any(b.startswith("/a ") for b in blocks) and any(b.startswith("/b ") for b in blocks)


def test_h5ls_data(small):
    proc = assert_ok(run_tool("h5ls", "-d", f"{small}/c"))
    values = " ".join(proc.stdout.split()[proc.stdout.split().index("Data:") + 1:])
    assert values == ", ".join(map(str, C.ravel()))


def test_h5dump_without_connector_fails(small):
    proc = run_tool("h5dump", "-d", "/c", small, connector=False)
    assert proc.returncode != 0
    assert "unable to print data" in proc.stderr
    # The path is dropped first: pytest's numbered temp folders
    # (pytest-52/...) would otherwise match a value.
    printed = proc.stdout.replace(str(small), "")
    for value in C.ravel()[1:]:
        assert not re.search(rf"\b{value}\b", printed), value
    # Stored datasets still dump natively.
    proc = assert_ok(run_tool("h5dump", "-d", "/b", small, connector=False))
    assert "(2,0): 80, 90, 100, 110" in proc.stdout


def test_h5dump_float_result(tmp_path):
    f = tmp_path / "fl.h5"
    write_dataset(f, "a", A, chunks=(1, 4))
    assert_ok(define(f, "q", "a / 8 - 0.5"))
    proc = assert_ok(run_tool("h5dump", "-d", "/q", f))
    assert "H5T_IEEE_F64LE" in proc.stdout
    assert data_block(proc.stdout)[0] == "(0,0): -0.5, -0.375, -0.25, -0.125,"


# ---------------------------------------------------------------------------
# h5lazy define: success


def test_define_output_lines(tmp_path):
    f = tmp_path / "out.h5"
    write_dataset(f, "x", np.arange(3.0))
    write_dataset(f, "m", np.ones((2, 1, 3), dtype=np.uint8))
    cases = [
        ("v1", "x * 2", "v1: float64 (3,) = x * 2\n"),
        ("v2", "m + x", "v2: float64 (2, 1, 3) = m + x\n"),
        ("v3", "m * m", "v3: uint8 (2, 1, 3) = m * m\n"),
        ("v4", "3", "v4: int64 () = 3\n"),
    ]
    for name, expr, line in cases:
        proc = assert_ok(define(f, name, expr))
        assert proc.stdout == line
        assert proc.stderr == ""


def test_define_creates_a_missing_file(tmp_path):
    src = tmp_path / "src.h5"
    write_dataset(src, "x", np.arange(5, dtype=np.int16), chunks=(2,))
    new = tmp_path / "new.h5"
    assert not new.exists()
    proc = assert_ok(define(new, "twice", 'ds("src.h5", "/x") * 2'))
    assert proc.stdout == "twice: int16 (5,) = ds(\"src.h5\", \"/x\") * 2\n"
    assert new.exists()
    with h5py.File(new, "r") as h:
        np.testing.assert_array_equal(h["twice"][...], np.arange(5, dtype=np.int16) * 2)
        assert h["twice"].dtype == np.int16


def test_operand_in_another_file(tmp_path):
    d = tmp_path / "data"
    d.mkdir()
    other = d / "other.h5"
    main = d / "main.h5"
    x = np.linspace(-1, 1, 15).reshape(3, 5)
    write_dataset(other, "x", x, chunks=(2, 2))
    write_dataset(main, "y", np.arange(5, dtype=np.float32))
    # Run from another directory: the file name is relative to main.h5's.
    proc = run_h5lazy("define", main, "z", 'ds("other.h5", "/x") - y', cwd=tmp_path)
    assert_ok(proc)
    assert proc.stdout == 'z: float64 (3, 5) = ds("other.h5", "/x") - y\n'
    want = x - np.arange(5, dtype=np.float32)
    with h5py.File(main, "r") as h:
        np.testing.assert_array_equal(h["z"][...], want)
    # Moved together, the pair still works; read by h5dump from elsewhere.
    moved = tmp_path / "moved"
    shutil.move(str(d), str(moved))
    with h5py.File(moved / "main.h5", "r") as h:
        np.testing.assert_array_equal(h["z"][1:, ::2], want[1:, ::2])
    proc = assert_ok(run_tool("h5dump", "-d", "/z", "-s", "2,4", "-c", "1,1", moved / "main.h5",
                              cwd="/"))
    assert data_block(proc.stdout) == [f"(2,4): {want[2, 4]:g}"]


def test_group_relative_operand(tmp_path):
    f = tmp_path / "grp.h5"
    write_dataset(f, "x", np.full(4, 1000, dtype=np.int32))  # a decoy at the root
    write_dataset(f, "g/x", np.arange(4, dtype=np.int32))
    proc = assert_ok(define(f, "g/v", "x + 1"))
    assert proc.stdout == "g/v: int32 (4,) = x + 1\n"
    with h5py.File(f, "r") as h:
        np.testing.assert_array_equal(h["g/v"][...], np.arange(4) + 1)
    proc = assert_ok(run_tool("h5dump", "-d", "/g/v", f))
    assert data_block(proc.stdout) == ["(0): 1, 2, 3, 4"]
    # And the same bare name from the root means the root's x.
    assert_ok(define(f, "w", "x + 1"))
    with h5py.File(f, "r") as h:
        np.testing.assert_array_equal(h["w"][...], np.full(4, 1001))


def test_overwrite_virtual_dataset(small):
    proc = define(small, "c", "a - b")
    assert proc.returncode == 1
    assert proc.stdout == ""
    assert proc.stderr == ("h5lazy define: error: cannot define 'c': a virtual dataset of that name "
                           "exists (overwrite it to replace it)\n")
    with h5py.File(small, "r") as h:
        np.testing.assert_array_equal(h["c"][...], C)  # unchanged
    proc = assert_ok(define(small, "c", "a - b", "--overwrite"))
    assert proc.stdout == "c: int32 (3, 4) = a - b\n"
    with h5py.File(small, "r") as h:
        np.testing.assert_array_equal(h["c"][...], A - B)
        assert h["c"].attrs["h5lazy_expression"] == "a - b"


def test_stored_dataset_is_never_replaced(small):
    for extra in ([], ["--overwrite"]):
        proc = define(small, "a", "b * 2", *extra)
        assert proc.returncode == 1
        assert proc.stderr == ("h5lazy define: error: cannot define 'a': a stored dataset of that "
                               "name exists; h5lazy never replaces stored data\n")
    with h5py.File(small, "r") as h:
        np.testing.assert_array_equal(h["a"][...], A)
        assert "h5lazy_expression" not in h["a"].attrs


def test_define_creates_missing_groups(tmp_path):
    """Groups in NAME are created as needed. h5lazy 0.1.0 failed ("define
    failed: component not found"): the native connector takes "create
    intermediate groups" from the API context, which a call made from inside
    a connector does not carry."""
    f = tmp_path / "groups.h5"
    write_dataset(f, "a", np.arange(3, dtype=np.int8))
    proc = define(f, "new/deeper/v", "ds('/a') + 1")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == "new/deeper/v: int8 (3,) = ds('/a') + 1\n"
    with h5py.File(f, "r") as h:
        np.testing.assert_array_equal(h["new/deeper/v"][...], np.arange(1, 4, dtype=np.int8))


# ---------------------------------------------------------------------------
# h5lazy define: errors (exit 1), with the expression and a caret


def caret_report(name, message, expr_line, column):
    return (f"h5lazy define: error: cannot define '{name}': {message}\n"
            f"    {expr_line}\n"
            f"    {' ' * (column - 1)}^\n")


@pytest.fixture
def errfile(tmp_path):
    f = tmp_path / "err.h5"
    write_dataset(f, "a", A)
    write_dataset(f, "b", B)
    write_dataset(f, "u", np.arange(5, dtype=np.uint8))
    write_dataset(f, "g/x", np.arange(3.0))
    return f


ERRORS = [
    ("syntax", "e", "a + * b", 1, 5,
     "expected an operand, a number or '(' but found '*' (at line 1, column 5)"),
    ("end", "e", "a + ", 1, 5,
     "expected an operand, a number or '(' but found end of expression (at line 1, column 5)"),
    ("unclosed", "e", "(a + b", 1, 7,
     "expected ')' to close '(' but found end of expression (at line 1, column 7)"),
    ("trailing", "e", "a b", 1, 3,
     "unexpected name 'b' after a complete expression (at line 1, column 3)"),
    ("second line", "e", "a +\n * b", 2, 2,
     "expected an operand, a number or '(' but found '*' (at line 2, column 2)"),
    ("unknown operand", "e", "a + nope", 1, 5,
     "operand 'nope' of 'e' is not a dataset (looked for '/nope') (at line 1, column 5)"),
    ("relative operand", "g/e", "2 * nope", 1, 5,
     "operand 'nope' of 'g/e' is not a dataset (looked for '/g/nope') (at line 1, column 5)"),
    ("group operand", "e", "a + ds('/g')", 1, 5,
     "operand '/g' of 'e' is not a dataset (looked for '/g') (at line 1, column 5)"),
    ("suggestion", "e", "ad(a, b)", 1, 1,
     "unknown function 'ad' (did you mean 'add'?) (at line 1, column 1)"),
    ("unknown function", "e", "frobnicate(a)", 1, 1, "unknown function 'frobnicate' (at line 1, column 1)"),
    ("arity", "e", "add(a)", 1, 1,
     "add() takes 2 positional arguments but 1 was given (at line 1, column 1)"),
    ("uint8 literal", "e", "u + 300", 1, 5,
     "integer literal 300 is out of bounds for uint8 (at line 1, column 5)"),
    ("negative literal", "e", "u * -1", 1, 5,
     "integer literal -1 is out of bounds for uint8 (at line 1, column 5)"),
    ("broadcast", "e", "a + u", 1, 3,
     "operands could not be broadcast together with shapes (3, 4) (5,) (at line 1, column 3)"),
    ("index out of range", "e", "a[5]", 1, 3,
     "index 5 is out of bounds for axis 0 with size 3 (at line 1, column 3)"),
    ("too many indices", "e", "a[0, 1, 2]", 1, 1,
     "too many indices for array: array is 2-dimensional, but 3 were indexed (at line 1, column 1)"),
    ("axis", "e", "sum(a, axis=2)", 1, 13,
     "axis 2 is out of bounds for array of dimension 2 (at line 1, column 13)"),
    ("float bitwise", "e", "(a * 1.5) & 1", 1, 11,
     "ufunc 'bitwise_and' did not contain a loop with signature matching types (float64, float64) "
     "(at line 1, column 11)"),
    ("concat ranks", "e", "concat([a, u])", 1, 1,
     "all the input array dimensions must match: array 0 has 2 dimension(s) and array 1 has 1 "
     "(at line 1, column 1)"),
    ("zero step", "e", "a[::0]", 1, 3, "slice step cannot be zero (at line 1, column 3)"),
]


@pytest.mark.parametrize("name,expr,line,column,message", [e[1:] for e in ERRORS],
                         ids=[e[0] for e in ERRORS])
def test_define_error_messages(errfile, name, expr, line, column, message):
    proc = define(errfile, name, expr)
    assert proc.returncode == 1
    assert proc.stdout == ""
    expr_line = expr.split("\n")[line - 1]
    assert proc.stderr == caret_report(name, message, expr_line, column)
    with h5py.File(errfile, "r") as h:
        assert name not in h  # nothing left behind


def test_define_chunks_of_wrong_rank(errfile):
    proc = define(errfile, "e", "a + 1", "--chunks", "2")
    assert proc.returncode == 1
    assert proc.stderr == ("h5lazy define: error: cannot define 'e': 1 chunk extents were given "
                           "but the result has rank 2\n")
    with h5py.File(errfile, "r") as h:
        assert "e" not in h


def test_define_missing_operand_file(errfile):
    """The message is h5lazy's, naming the file. h5lazy 0.1.0 printed only
    HDF5's "unable to open file": the failed nested open made HDF5 probe every
    plugin and terminate h5lazy's connector in the middle of the call."""
    proc = define(errfile, "e", 'ds("missing.h5", "/x")')
    assert proc.returncode == 1
    assert proc.stderr == caret_report(
        "e", f"operand file 'missing.h5' of 'e' cannot be opened (looked for '{errfile.parent / 'missing.h5'}') "
             "(at line 1, column 1)", 'ds("missing.h5", "/x")', 1)


def test_define_over_a_group(errfile):
    proc = define(errfile, "g", "a + 1")
    assert proc.returncode == 1
    assert proc.stderr == ("h5lazy define: error: cannot define 'g': an object of that name exists and "
                           "is not a dataset\n")


def test_define_unwritable_or_invalid_file(tmp_path):
    proc = define(tmp_path / "no" / "such" / "dir.h5", "e", "1")
    assert proc.returncode == 1
    assert proc.stderr.startswith(
        f"h5lazy define: error: cannot open '{tmp_path / 'no' / 'such' / 'dir.h5'}' for writing")
    text = tmp_path / "text.h5"
    text.write_text("not hdf5\n")
    proc = define(text, "e", "1")
    assert proc.returncode == 1
    assert proc.stderr == (f"h5lazy define: error: cannot open '{text}' for writing: "
                           "file signature not found\n")
    assert text.read_text() == "not hdf5\n"


# ---------------------------------------------------------------------------
# misuse (exit 2) and help (exit 0)


def test_misuse_missing_arguments(errfile):
    proc = run_h5lazy("define", errfile, "e")
    assert proc.returncode == 2
    assert proc.stdout == ""
    assert proc.stderr.startswith("h5lazy define: error: expected FILE NAME EXPRESSION "
                                  "(got 2 arguments)\n\nusage: h5lazy define ")
    proc = run_h5lazy("define")
    assert proc.returncode == 2
    assert "(got 0 arguments)" in proc.stderr


def test_misuse_unknown_option(errfile):
    proc = run_h5lazy("define", "--bogus", errfile, "e", "a")
    assert proc.returncode == 2
    assert "h5lazy define: error: option '--bogus' is unknown or needs a value" in proc.stderr
    assert "usage: h5lazy define" in proc.stderr
    with h5py.File(errfile, "r") as h:
        assert "e" not in h


def test_misuse_bad_chunks_option(errfile):
    proc = define(errfile, "e", "a + 1", "--chunks", "0,1")
    assert proc.returncode == 2
    assert proc.stderr == ("h5lazy define: error: --chunks wants integers from 1 to 4294967295 "
                           "separated by commas, got '0,1'\n")


def test_misuse_unknown_command():
    proc = run_h5lazy("frobnicate")
    assert proc.returncode == 2
    assert proc.stderr.startswith("h5lazy: error: unknown command 'frobnicate'\n\nusage: h5lazy ")
    proc = run_h5lazy()
    assert proc.returncode == 2
    assert proc.stderr.startswith("usage: h5lazy COMMAND")
    assert proc.stdout == ""


@pytest.mark.parametrize("args", [["--help"], ["-h"], ["help"]])
def test_help(args):
    proc = run_h5lazy(*args)
    assert proc.returncode == 0
    assert proc.stderr == ""
    assert proc.stdout.startswith("usage: h5lazy COMMAND")
    assert "define FILE NAME EXPR" in proc.stdout
    assert "HDF5_VOL_CONNECTOR='h5lazy under_vol=0;under_info={}'" in proc.stdout


@pytest.mark.parametrize("flag", ["--help", "-h"])
def test_define_help(flag):
    proc = run_h5lazy("define", flag)
    assert proc.returncode == 0
    assert proc.stderr == ""
    assert proc.stdout.startswith("usage: h5lazy define [options] FILE NAME EXPRESSION\n")
    for option in ("--chunks N,N,...", "--overwrite", "--verbose", "--help"):
        assert option in proc.stdout


def test_version(small):
    proc = assert_ok(run_h5lazy("--version"))
    m = re.fullmatch(r"h5lazy (\d+\.\d+\.\d+) \(HDF5 (\S+)\)\n", proc.stdout)
    assert m, proc.stdout
    assert m.group(2) == os.environ["H5LAZY_HDF5_VERSION"]
    with h5py.File(small, "r") as h:
        assert h["c"].attrs["h5lazy_created_by"] == f"h5lazy {m.group(1)}"
