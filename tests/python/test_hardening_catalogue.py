"""The catalogue of bad inputs (issue 7, part 2): what the user sees for
each — the exact message and the exit status or exception — across the
h5lazy command line (define, show, check, eval, save), the connector (its
info string in HDF5_VOL_CONNECTOR; h5py reads with bad selections and
memory types; writes, resizes and chunk operations on virtual datasets) and
the engine through the command (size limits, read-time errors).

Errors in the expression text itself are catalogued, with the column they
point at, in test_language_errors.py (ERRORS, over a hundred, each checked
against what numpy raises) and test_tools.py (ERRORS, define's full
reports with the caret); they are not repeated here.

The table is also docs/errors.md: test_docs_match_the_catalogue fails
when they differ, and H5LAZY_UPDATE_DOCS=1 rewrites the document from the
table. "<dir>" in a message stands for the directory the files are in.

Every entry runs in a fresh child process (h5lazy, h5dump or python), in a
directory holding:

- d.h5: a = arange(12.0).reshape(3, 4), i = arange(5, int32),
  x = [nan, nan, nan], the group g, and the virtual dataset v = a * 2;
- text.h5 (not HDF5), broken.h5 (w = nope + 1, nope missing);
- top/t.h5 with up = ds("../o.h5", "/x") and o.h5 beside top/;
- cf.h5: int16 datasets [0 .. 5] with bad or odd CF attributes (issue 15),
  and virtual datasets over those whose decoding is a documented rule
  rather than an error (the message is then what `show` says of it);
- defs.h5 (a and the group g, as in d.h5), which define's entries write
  to (d.h5 is hashed: it must stay as it was).
"""
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytest.register_assert_rewrite("hardening")
from hardening import (build_natively, env_connector, h5lazy_bin, h5lazy_frames, hdf5_bin,  # noqa: E402
                       read_one, run)

pytest_plugins = ["hardening"]

REPO = Path(__file__).resolve().parents[2]
DOC = REPO / "docs" / "errors.md"
READ = "Can't synchronously read data"
LONG = "n" * 1100


def cli(*args):
    return ("cli", list(args))


def py(code, mode="r"):
    return ("h5py", mode, code)


def info(value):
    return ("info", value)


def decoding(name):
    return ("show", name)


def cf_error(name, message):
    """`h5lazy eval cf.h5 NAME` failing for a bad CF attribute of NAME."""
    return (f"cf-{name}", "CF decoding", f"`h5lazy eval cf.h5 {name}` ({CF_ATTRS[name][1]})", cli("eval", "cf.h5", name),
            f"h5lazy eval: error: cannot evaluate the expression: {message} (at line 1, column 1)", "exit 1")


# The int16 datasets of cf.h5 (values 0 .. 5): attributes, and how the
# catalogue describes them.
CF_ATTRS = {
    "scale_text": ({"scale_factor": "'0.1'"}, "scale_factor is text"),
    "scale_int": ({"scale_factor": "np.int16(10)"}, "scale_factor is an int16"),
    "scale_two": ({"scale_factor": "np.array([0.1, 0.2], np.float32)"}, "scale_factor holds two values"),
    "offset_text": ({"add_offset": "'273.15'"}, "add_offset is text"),
    "fill_text": ({"_FillValue": "'-999'"}, "_FillValue is text"),
    "range_three": ({"valid_range": "np.array([0, 2, 4], np.int16)", "valid_max": "np.int16(3)"},
                    "valid_range holds three values, valid_max 3"),
    "range_text": ({"valid_range": "'0 4'"}, "valid_range is text"),
    "fill_unfit": ({"_FillValue": "np.float64(1e20)"}, "_FillValue 1e20 does not fit int16"),
    "min_unfit": ({"valid_min": "np.float64(0.5)"}, "valid_min 0.5 is no int16"),
    "unsigned_odd": ({"_Unsigned": "'yes'"}, "_Unsigned is neither true nor false"),
}
# Virtual datasets of cf.h5 over those (name -> (operand, decoded type)).
CF_VIEWS = {"view_range_three": ("range_three", "f4"), "view_range_text": ("range_text", "i2"),
            "view_fill_unfit": ("fill_unfit", "f4"), "view_min_unfit": ("min_unfit", "i2"),
            "view_unsigned_odd": ("unsigned_odd", "i2")}


# (id, where, input as shown, how to run it, message, outcome)
CATALOGUE = [
    # --- the h5lazy command: misuse (exit 2) --------------------------------------------
    ("cli-01", "h5lazy", "`h5lazy`", cli(), "usage: h5lazy COMMAND [options] ...", "exit 2"),
    ("cli-02", "h5lazy", "`h5lazy frobnicate`", cli("frobnicate"), "h5lazy: error: unknown command 'frobnicate'",
     "exit 2"),
    ("cli-03", "h5lazy show", "`h5lazy show`", cli("show"), "h5lazy show: error: expected FILE [NAME]", "exit 2"),
    ("cli-04", "h5lazy show", "`h5lazy show --bogus d.h5`", cli("show", "--bogus", "d.h5"),
     "h5lazy show: error: option '--bogus' is unknown or needs a value", "exit 2"),
    ("cli-05", "h5lazy show", "`h5lazy show d.h5 v extra`", cli("show", "d.h5", "v", "extra"),
     "h5lazy show: error: expected FILE [NAME]", "exit 2"),
    ("cli-06", "h5lazy check", "`h5lazy check`", cli("check"), "h5lazy check: error: expected FILE", "exit 2"),
    ("cli-07", "h5lazy check", "`h5lazy check --dot d.h5`", cli("check", "--dot", "d.h5"),
     "h5lazy check: error: option '--dot' is unknown or needs a value", "exit 2"),
    ("cli-08", "h5lazy check", "`h5lazy check d.h5 extra`", cli("check", "d.h5", "extra"),
     "h5lazy check: error: expected FILE", "exit 2"),
    ("cli-09", "h5lazy eval", "`h5lazy eval d.h5`", cli("eval", "d.h5"),
     "h5lazy eval: error: expected FILE EXPRESSION", "exit 2"),
    ("cli-10", "h5lazy eval", "`h5lazy eval d.h5 a --gzip 10`", cli("eval", "d.h5", "a", "--gzip", "10"),
     "h5lazy eval: error: --gzip wants a level from 0 to 9, got '10'", "exit 2"),
    ("cli-11", "h5lazy eval", "`h5lazy eval d.h5 a --to nocolon`", cli("eval", "d.h5", "a", "--to", "nocolon"),
     "h5lazy eval: error: --to wants OUTFILE:NAME, got 'nocolon'", "exit 2"),
    ("cli-12", "h5lazy eval", "`h5lazy eval d.h5 a --to out.h5:`", cli("eval", "d.h5", "a", "--to", "out.h5:"),
     "h5lazy eval: error: --to wants OUTFILE:NAME, got 'out.h5:'", "exit 2"),
    ("cli-13", "h5lazy eval", "`h5lazy eval d.h5 a --to out.h5:/x --chunks 0`",
     cli("eval", "d.h5", "a", "--to", "out.h5:/x", "--chunks", "0"),
     "h5lazy eval: error: --chunks wants integers from 1 to 4294967295 separated by commas, got '0'", "exit 2"),
    ("cli-14", "h5lazy save", "`h5lazy save d.h5`", cli("save", "d.h5"),
     "h5lazy save: error: expected FILE and at least one NAME", "exit 2"),
    ("cli-15", "h5lazy save", "`h5lazy save d.h5 v=`", cli("save", "d.h5", "v="),
     "h5lazy save: error: 'v=': write NAME or NAME=OUTFILE:OUTNAME", "exit 2"),
    ("cli-16", "h5lazy save", "`h5lazy save d.h5 v=out.h5`", cli("save", "d.h5", "v=out.h5"),
     "h5lazy save: error: 'v=out.h5': write NAME or NAME=OUTFILE:OUTNAME", "exit 2"),
    ("cli-17", "h5lazy save", "`h5lazy save d.h5 v --gzip -1`", cli("save", "d.h5", "v", "--gzip", "-1"),
     "h5lazy save: error: --gzip wants a level from 0 to 9, got '-1'", "exit 2"),
    ("cli-18", "h5lazy define", "`h5lazy define d.h5 e a --chunks ,`", cli("define", "d.h5", "e", "a", "--chunks", ","),
     "h5lazy define: error: --chunks wants integers from 1 to 4294967295 separated by commas, got ','", "exit 2"),
    ("cli-19", "h5lazy define", "`h5lazy define d.h5 e a --chunks -1,2`",
     cli("define", "d.h5", "e", "a", "--chunks", "-1,2"),
     "h5lazy define: error: --chunks wants integers from 1 to 4294967295 separated by commas, got '-1,2'", "exit 2"),
    # --- the h5lazy command: files and names (exit 1) ----------------------------------
    ("cli-20", "h5lazy show", "`h5lazy show nope.h5`", cli("show", "nope.h5"),
     "h5lazy show: error: cannot open 'nope.h5': unable to open file: name = 'nope.h5', errno = 2, error message "
     "= 'No such file or directory', flags = 0, o_flags = 0", "exit 1"),
    ("cli-21", "h5lazy show", "`h5lazy show text.h5` (not HDF5)", cli("show", "text.h5"),
     "h5lazy show: error: cannot open 'text.h5': file signature not found", "exit 1"),
    ("cli-22", "h5lazy show", "`h5lazy show d.h5 a` (stored)", cli("show", "d.h5", "a"),
     "h5lazy show: error: 'a' is a stored dataset, not a virtual one", "exit 1"),
    ("cli-23", "h5lazy show", "`h5lazy show d.h5 nope`", cli("show", "d.h5", "nope"),
     "h5lazy show: error: cannot show 'nope': object 'nope' doesn't exist", "exit 1"),
    ("cli-24", "h5lazy show", "`h5lazy show d.h5 g` (a group)", cli("show", "d.h5", "g"),
     "h5lazy show: error: cannot show 'g': not a dataset", "exit 1"),
    ("cli-25", "h5lazy check", "`h5lazy check nope.h5`", cli("check", "nope.h5"),
     "h5lazy check: error: cannot open 'nope.h5': unable to open file: name = 'nope.h5', errno = 2, error "
     "message = 'No such file or directory', flags = 0, o_flags = 0", "exit 1"),
    ("cli-26", "h5lazy check", "`h5lazy check broken.h5` (w = nope + 1)", cli("check", "broken.h5"),
     "h5lazy check: error: cannot evaluate '/w': operand 'nope' of '/w' is not a dataset (looked for '/nope') "
     "(at line 1, column 1 of \"nope + 1\")", "exit 1 (stdout: `FAILED /w` / `1 virtual dataset: 0 ok, 1 failed`)"),
    ("cli-27", "h5lazy eval", "`h5lazy eval nope.h5 a`", cli("eval", "nope.h5", "a"),
     "h5lazy eval: error: cannot open 'nope.h5': unable to open file: name = 'nope.h5', errno = 2, error message "
     "= 'No such file or directory', flags = 0, o_flags = 0", "exit 1"),
    ("cli-28", "h5lazy eval", "`h5lazy eval text.h5 1`", cli("eval", "text.h5", "1"),
     "h5lazy eval: error: cannot open 'text.h5': file signature not found", "exit 1"),
    ("cli-29", "h5lazy eval", "`h5lazy eval d.h5 a --slice '[5]'`", cli("eval", "d.h5", "a", "--slice", "[5]"),
     "h5lazy eval: error: cannot evaluate the expression: index 5 is out of bounds for axis 0 with size 3 "
     "(at line 1, column 5)", "exit 1"),
    ("cli-30", "h5lazy eval", "`h5lazy eval d.h5 a --slice '[1:2'`", cli("eval", "d.h5", "a", "--slice", "[1:2"),
     "h5lazy eval: error: cannot evaluate the expression: expected ']' to close the subscript but found end of "
     "expression (at line 1, column 8)", "exit 1"),
    ("cli-31", "h5lazy eval", "`h5lazy eval d.h5 'sum(a)' --slice '[0]'`",
     cli("eval", "d.h5", "sum(a)", "--slice", "[0]"),
     "h5lazy eval: error: cannot evaluate the expression: too many indices for array: array is 0-dimensional, "
     "but 1 were indexed (at line 1, column 2)", "exit 1"),
    ("cli-32", "h5lazy eval", "`h5lazy eval d.h5 a --memory 1`", cli("eval", "d.h5", "a", "--memory", "1"),
     "h5lazy eval: error: connector info: memory=1 is not a size of at least 4 KiB (write e.g. 256MiB)",
     "exit 1"),
    ("cli-33", "h5lazy eval", "`h5lazy eval d.h5 a --memory abc`", cli("eval", "d.h5", "a", "--memory", "abc"),
     "h5lazy eval: error: --memory wants a size such as 256MiB, got 'abc'", "exit 2"),
    ("cli-34", "h5lazy eval", "`h5lazy eval d.h5 a --threads 65`", cli("eval", "d.h5", "a", "--threads", "65"),
     "h5lazy eval: error: --threads wants a count from 1 to 64, got '65'", "exit 2"),
    ("cli-35", "h5lazy eval", "`h5lazy eval d.h5 a --to text.h5:/x` (not HDF5)",
     cli("eval", "d.h5", "a", "--to", "text.h5:/x"),
     "h5lazy eval: error: cannot open 'text.h5' for writing: file signature not found", "exit 1"),
    ("cli-36", "h5lazy eval", "`h5lazy eval d.h5 a --to /no/dir/o.h5:x`",
     cli("eval", "d.h5", "a", "--to", "/no/dir/o.h5:x"),
     "h5lazy eval: error: cannot open '/no/dir/o.h5' for writing: unable to open file: name = '/no/dir/o.h5', "
     "errno = 2, error message = 'No such file or directory', flags = 15, o_flags = c2", "exit 1"),
    ("cli-37", "h5lazy eval", "`h5lazy eval d.h5 a --to kept.h5:/x` (exists)",
     cli("eval", "d.h5", "a", "--to", "kept.h5:/x"),
     "h5lazy eval: error: '/x' exists already (use --overwrite to replace it)", "exit 1"),
    ("cli-38", "h5lazy save", "`h5lazy save d.h5 a` (stored)", cli("save", "d.h5", "a"),
     "h5lazy save: error: 'a' is a stored dataset already", "exit 1"),
    ("cli-39", "h5lazy save", "`h5lazy save d.h5 nope`", cli("save", "d.h5", "nope"),
     "h5lazy save: error: cannot save 'nope': object 'nope' doesn't exist", "exit 1"),
    ("cli-40", "h5lazy save", "`h5lazy save d.h5 g` (a group)", cli("save", "d.h5", "g"),
     "h5lazy save: error: cannot save 'g': not a dataset", "exit 1"),
    ("cli-41", "h5lazy save", "`h5lazy save nope.h5 v`", cli("save", "nope.h5", "v"),
     "h5lazy save: error: cannot open 'nope.h5' for writing: unable to open file: name = 'nope.h5', errno = 2, "
     "error message = 'No such file or directory', flags = 1, o_flags = 2", "exit 1"),
    ("cli-42", "h5lazy save", "`h5lazy save text.h5 v`", cli("save", "text.h5", "v"),
     "h5lazy save: error: cannot open 'text.h5' for writing: file signature not found", "exit 1"),
    ("cli-43", "h5lazy save", "`h5lazy save d.h5 v=kept.h5:/x` (exists)", cli("save", "d.h5", "v=kept.h5:/x"),
     "h5lazy save: error: '/x' exists already (use --overwrite to replace it)", "exit 1"),
    ("cli-44", "h5lazy define", "`h5lazy define d.h5 '' a`", cli("define", "d.h5", "", "a"),
     "h5lazy define: error: define needs a dataset name and an expression", "exit 1"),
    ("cli-45", "h5lazy define", "`h5lazy define d.h5 / a`", cli("define", "d.h5", "/", "a"),
     "h5lazy define: error: cannot define '/': an object of that name exists and is not a dataset", "exit 1"),
    ("cli-46", "h5lazy define", "`h5lazy define d.h5 e a --chunks 1,1,1`",
     cli("define", "d.h5", "e", "a", "--chunks", "1,1,1"),
     "h5lazy define: error: cannot define 'e': 3 chunk extents were given but the result has rank 2", "exit 1"),
    ("cli-47", "h5lazy define", "`h5lazy define d.h5 e 'ds(\"sub/missing.h5\", \"/x\")'`",
     cli("define", "d.h5", "e", 'ds("sub/missing.h5", "/x")'),
     "h5lazy define: error: cannot define 'e': operand file 'sub/missing.h5' of 'e' cannot be opened (looked for "
     "'sub/missing.h5') (at line 1, column 1)", "exit 1"),
    ("cli-48", "h5lazy define", "`h5lazy define d.h5 e 'ds(\"text.h5\", \"/x\")'`",
     cli("define", "d.h5", "e", 'ds("text.h5", "/x")'),
     "h5lazy define: error: cannot define 'e': operand file 'text.h5' of 'e' cannot be opened (looked for "
     "'text.h5') (at line 1, column 1)", "exit 1"),
    # --- the engine through the command ------------------------------------------------------
    ("eng-01", "engine", "`h5lazy define d.h5 e 'broadcast_to(a, (-1, 4))'`",
     cli("define", "d.h5", "e", "broadcast_to(a, (-1, 4))"),
     "h5lazy define: error: cannot define 'e': all elements of broadcast shape must be non-negative (at line 1, "
     "column 17)", "exit 1"),
    ("eng-02", "engine", "`h5lazy define d.h5 e 'broadcast_to(a[0, 1], (2**63, 2))'`",
     cli("define", "d.h5", "e", "broadcast_to(a[0, 1], (2**63, 2))"),
     "h5lazy define: error: cannot define 'e': shape is too large (at line 1, column 25)", "exit 1"),
    ("eng-03", "engine", "`h5lazy define d.h5 e 'concat([b, b, b])'` with b = broadcast_to(a[0, 1], (2**62,))",
     cli("define", "d.h5", "e", "concat([broadcast_to(a[0, 1], (2**62,)), broadcast_to(a[0, 1], (2**62,)), "
                                "broadcast_to(a[0, 1], (2**62,))])"),
     "h5lazy define: error: cannot define 'e': the joined extent overflows (at line 1, column 1)", "exit 1"),
    ("eng-04", "engine", "`h5lazy define d.h5 e 'a[None, ... 31 times]'`",
     cli("define", "d.h5", "e", "a[" + ", ".join(["None"] * 31) + "]"),
     "h5lazy define: error: cannot define 'e': the result has more than 32 axes (at line 1, column 1)", "exit 1"),
    ("eng-05", "engine", "`h5lazy define d.h5 e 'broadcast_to(a, (1, ... 33 entries))'`",
     cli("define", "d.h5", "e", "broadcast_to(a, (" + ", ".join(["1"] * 33) + "))"),
     "h5lazy define: error: cannot define 'e': shape has more than 32 entries (at line 1, column 17)", "exit 1"),
    ("eng-06", "engine", "`h5lazy eval d.h5 'i ** -1'` (fails while reading)", cli("eval", "d.h5", "i ** -1"),
     "h5lazy eval: error: cannot evaluate the expression: Integers to negative integer powers are not allowed",
     "exit 1 (stdout: the dump up to `DATA {`)"),
    ("eng-07", "engine", "`h5lazy eval d.h5 'nanargmax(x)'` (x all NaN)", cli("eval", "d.h5", "nanargmax(x)"),
     "h5lazy eval: error: cannot evaluate the expression: All-NaN slice encountered",
     "exit 1 (stdout: the dump up to `DATA {`)"),
    ("eng-08", "engine", "`h5lazy define d.h5 e 'a<70000 spaces>'`",
     cli("define", "d.h5", "e", "a" + " " * 70000),
     "h5lazy define: error: cannot define 'e': expression is 70001 bytes long; the limit is 65536", "exit 1"),
    ("eng-09", "engine", "`h5lazy eval d.h5 'average(a, axis=1, weights=a[0] * 0)'` (weights summing to zero: "
     "numpy's ZeroDivisionError, here when reading)", cli("eval", "d.h5", "average(a, axis=1, weights=a[0] * 0)"),
     "h5lazy eval: error: cannot evaluate the expression: average(): the weights sum to zero, so they cannot be "
     "normalized", "exit 1 (stdout: the dump up to `DATA {`)"),
    # --- the connector: reads and writes through h5py ------------------------------------------
    ("con-01", "connector", "`d[0, 0] = 1` on virtual v", py("d.__setitem__((0, 0), 1.0)", "r+"),
     "Can't synchronously write data ('/v' is a virtual dataset (computed by h5lazy); it cannot be written. "
     "Write to its operands, or materialise it into a stored dataset first)", "OSError"),
    ("con-02", "connector", "`d.write_direct(np.zeros((3, 4)))`", py("d.write_direct(np.zeros((3, 4)))", "r+"),
     "Can't synchronously write data ('/v' is a virtual dataset (computed by h5lazy); it cannot be written. "
     "Write to its operands, or materialise it into a stored dataset first)", "OSError"),
    ("con-03", "connector", "`d.resize((5, 4))`", py("d.resize((5, 4))", "r+"),
     "Unable to synchronously change a dataset's dimensions ('/v' is a virtual dataset: its shape follows from "
     "its expression and cannot be set)", "RuntimeError"),
    ("con-04", "connector", "`d.id.set_extent((3, 4))` (H5Dset_extent, same shape)", py("d.id.set_extent((3, 4))", "r+"),
     "Unable to synchronously change a dataset's dimensions ('/v' is a virtual dataset: its shape follows from "
     "its expression and cannot be set)", "RuntimeError"),
    ("con-05", "connector", "`d.id.get_num_chunks()`", py("d.id.get_num_chunks()"),
     "Can't get number of chunks ('/v' is a virtual dataset: it has no stored chunks or raw data to query or "
     "write directly (native dataset operation 3))", "RuntimeError"),
    ("con-06", "connector", "`d.id.read_direct_chunk((0, 0))`", py("d.id.read_direct_chunk((0, 0))"),
     "Can't get storage size of chunk ('/v' is a virtual dataset: it has no stored chunks or raw data to query "
     "or write directly (native dataset operation 2))", "RuntimeError"),
    ("con-07", "connector", "`d.id.write_direct_chunk((0, 0), bytes(96))`",
     py("d.id.write_direct_chunk((0, 0), bytes(96))", "r+"),
     "Can't write unprocessed chunk data ('/v' is a virtual dataset: it has no stored chunks or raw data to "
     "query or write directly (native dataset operation 7))", "OSError"),
    ("con-08", "connector", "`d.astype('S4')[0]` (no conversion)", py("d.astype('S4')[0]"),
     f"{READ} ('/v' holds float64 values, which HDF5 cannot convert to the requested memory type)", "OSError"),
    ("con-09", "connector", "`d.astype([('x', 'f8')])[0]`", py("d.astype([('x', 'f8')])[0]"),
     f"{READ} ('/v' holds float64 values, which HDF5 cannot convert to the requested memory type)", "OSError"),
    ("con-10", "connector", "H5Dread, file hyperslab start (2, 2) count (2, 2) of (3, 4)",
     py("sel(lambda s: s.select_hyperslab((2, 2), (2, 2)), 4)"),
     f"{READ} (reading '/v': the selection reaches outside the dataset's extent (3, 4))",
     "OSError"),
    ("con-11", "connector", "H5Dread, points (0, 0) and (5, 5) of (3, 4)",
     py("sel(lambda s: s.select_elements(np.array([[0, 0], [5, 5]])), 2)"),
     f"{READ} (reading '/v': the selection reaches outside the dataset's extent (3, 4))",
     "OSError"),
    ("con-12", "connector", "H5Dread, 4 elements selected in the file, 3 in memory",
     py("sel(lambda s: s.select_hyperslab((0, 0), (2, 2)), 3)"),
     f"{READ} (reading '/v': the memory selection has 3 elements but the file selection has 4)", "OSError"),
    ("con-13", "connector", "H5Dread, nothing selected in the file, 1 element in memory",
     py("sel(lambda s: s.select_none(), 1)"),
     f"{READ} (reading '/v': the memory selection has 1 elements but the file selection has 0)", "OSError"),
    ("con-14", "connector", "`files=none`, reading up = ds(\"../o.h5\", \"/x\")",
     py("h5py.File('top/t.h5', 'r')['up'][:]", "files=none"),
     f"{READ} (cannot evaluate '/up': operand file '../o.h5' of '/up' is refused: the connector's setting "
     "files=none allows operands only in the file itself (at line 1, column 1 of \"ds(\"../o.h5\", \"/x\")\"))",
     "OSError"),
    ("con-15", "connector", "`files=below`, reading up = ds(\"../o.h5\", \"/x\")",
     py("h5py.File('top/t.h5', 'r')['up'][:]", "files=below"),
     f"{READ} (cannot evaluate '/up': operand file '../o.h5' of '/up' is refused: the connector's setting "
     "files=below allows only files in '<dir>/top' and its subdirectories, and it is '<dir>/o.h5' (at line 1, "
     "column 1 of \"ds(\"../o.h5\", \"/x\")\"))", "OSError"),
    # --- CF decoding of operands (issue 15): errors, then documented rules ------------------
    cf_error("scale_text", "attribute scale_factor of operand 'scale_text' is text ('0.1'): CF packing takes "
                           "one float32 or float64 scale_factor (raw(scale_text) reads the stored values)"),
    cf_error("scale_int", "attribute scale_factor of operand 'scale_int' is an integer (10): CF packing takes "
                          "one float32 or float64 scale_factor (raw(scale_int) reads the stored values)"),
    cf_error("scale_two", "attribute scale_factor of operand 'scale_two' does not hold exactly one value ([0.1, "
                          "0.2]): CF packing takes one float32 or float64 scale_factor (raw(scale_two) reads the "
                          "stored values)"),
    cf_error("offset_text", "attribute add_offset of operand 'offset_text' is text ('273.15'): CF packing takes "
                            "one float32 or float64 add_offset (raw(offset_text) reads the stored values)"),
    cf_error("fill_text", "attribute _FillValue of operand 'fill_text' is text ('-999'), not a number of the "
                          "operand's type (raw(fill_text) reads the stored values)"),
] + [
    (f"cf-{view}", "CF decoding", f"`h5lazy show cf.h5 {view}` over {operand} ({CF_ATTRS[operand][1]})",
     decoding(view), message, "exit 0 (a documented rule: docs/language.md, \"netCDF and CF\")")
    for view, (operand, message) in {
        "view_range_three": ("range_three", "decoded as float32; valid_max 3; valid_range ignored: 3 values, "
                                            "not two numbers"),
        "view_range_text": ("range_text", "stored values (valid_range ignored: text, not two numbers)"),
        "view_fill_unfit": ("fill_unfit", "decoded as float32; _FillValue 1e+20 matches no int16 value"),
        "view_min_unfit": ("min_unfit", "stored values (valid_min ignored: not a value of int16)"),
        "view_unsigned_odd": ("unsigned_odd", "stored values (_Unsigned ignored: not 'true' or 'false')"),
    }.items()
] + [
    ("def-01", "h5lazy define", "`h5lazy define defs.h5 e 'count(a, axis=0)' --fill-value -1`",
     cli("define", "defs.h5", "e", "count(a, axis=0)", "--fill-value", "-1"),
     "h5lazy define: error: cannot define 'e': a fill value needs a float result, and this one is int64 (it holds "
     "no missing values)", "exit 1"),
    ("def-02", "h5lazy define", "`h5lazy define defs.h5 e a --attr _FillValue=1`",
     cli("define", "defs.h5", "e", "a", "--attr", "_FillValue=1"),
     "h5lazy define: error: cannot define 'e': attribute _FillValue is written by define itself (NaN for float "
     "results; choose a number with --fill-value)", "exit 1"),
    ("def-03", "h5lazy define", "`h5lazy define defs.h5 e a --attrs-from b`",
     cli("define", "defs.h5", "e", "a", "--attrs-from", "b"),
     "h5lazy define: error: cannot define 'e': --attrs-from 'b' is not an operand of the expression (its "
     "operands: a)", "exit 1"),
    ("def-04", "h5lazy define", "`h5lazy define defs.h5 e a --dim 2=z`", cli("define", "defs.h5", "e", "a", "--dim", "2=z"),
     "h5lazy define: error: cannot define 'e': --dim 2: the result has 2 axes", "exit 1"),
    ("def-05", "h5lazy define", "`h5lazy define defs.h5 e a --dim 0=g`", cli("define", "defs.h5", "e", "a", "--dim", "0=g"),
     "h5lazy define: error: cannot define 'e': --dim 0=g: '/g' exists and is not a dataset", "exit 1"),
    ("def-06", "h5lazy define", "`h5lazy define defs.h5 e a --attr units`", cli("define", "defs.h5", "e", "a", "--attr", "units"),
     "h5lazy define: error: --attr wants KEY=VALUE, got 'units'", "exit 2"),
    ("def-07", "h5lazy define", "`h5lazy define defs.h5 e a --dim x=y`", cli("define", "defs.h5", "e", "a", "--dim", "x=y"),
     "h5lazy define: error: --dim wants AXIS=NAME (an axis from -32 to 31), got 'x=y'", "exit 2"),
    ("def-08", "h5lazy define", "`h5lazy define defs.h5 e a --fill-value nan`",
     cli("define", "defs.h5", "e", "a", "--fill-value", "nan"),
     "h5lazy define: error: --fill-value wants a finite number, got 'nan'", "exit 2"),
    ("def-09", "engine", "`h5lazy define defs.h5 e 'nanmean(a, mdtol=2)'`", cli("define", "defs.h5", "e", "nanmean(a, mdtol=2)"),
     "h5lazy define: error: cannot define 'e': mdtol must be a number from 0 to 1 (at line 1, column 18)", "exit 1"),
    ("def-10", "engine", "`h5lazy define defs.h5 e 'raw(a * 2)'`", cli("define", "defs.h5", "e", "raw(a * 2)"),
     "h5lazy define: error: cannot define 'e': raw() takes an operand (a dataset name or ds(...)), not an "
     "expression (at line 1, column 7)", "exit 1"),
    # --- corrupt chunks of compressed operands (issue 12): z.h5's v_<name> = <name> * 2, where
    # chunk (2, 0) of <name> (float64 (4, 8), chunks (2, 8)) was written directly, broken
] + [
    (f"con-{16 + k}", "connector", what, py(f"h5py.File('z.h5', 'r')['v_{name}'][:]"),
     f"{READ} (cannot evaluate '/v_{name}': reading operand '{name}' failed: its chunk at (2, 0) cannot be "
     f"decoded: {cause})", "OSError")
    for k, (name, what, cause) in enumerate([
        ("bad_stream", "a deflate chunk that is not a deflate stream",
         "the deflate stream is corrupt or cut short (32 bytes stored)"),
        ("truncated", "a deflate chunk cut to half its stored bytes",
         "the deflate stream is corrupt or cut short (69 bytes stored)"),
        ("inflates_past", "a deflate chunk inflating to twice the chunk's bytes",
         "the deflate stream inflates past the 128 bytes expected"),
        ("inflates_short", "a deflate chunk inflating to half the chunk's bytes",
         "the deflate stream inflates to 64 bytes, not the 128 expected"),
        ("checksum", "a fletcher32 chunk whose stored checksum is wrong",
         "data error detected by the fletcher32 checksum (stored 0x04030201, computed 0xb4667c03)"),
    ])
] + [
    # --- the connector's info string (HDF5_VOL_CONNECTOR), read by h5dump -d /v d.h5 ------------
] + [
    (f"inf-{k + 1:02d}", "HDF5_VOL_CONNECTOR", f"`{value}`", info(value), message,
     "printed when HDF5 starts; the file then opens natively: h5dump exit 1, no data")
    for k, (value, message) in enumerate([
        ("h5lazy bogus", "connector info \"bogus\": expected key=value pairs separated by ';' near \"bogus\""),
        ("h5lazy bogus=1", "connector info: unknown key 'bogus' (known keys: under_vol, under_info, memory, "
                           "threads, cache, files)"),
        ("h5lazy memory=1", "connector info: memory=1 is not a size of at least 4 KiB (write e.g. 256MiB)"),
        ("h5lazy memory=64X", "connector info: memory=64X is not a size of at least 4 KiB (write e.g. 256MiB)"),
        ("h5lazy memory=99999999999999G",
         "connector info: memory=99999999999999G is not a size of at least 4 KiB (write e.g. 256MiB)"),
        ("h5lazy threads=0", "connector info: threads=0 is not a count from 1 to 64"),
        ("h5lazy threads=abc", "connector info: threads=abc is not a count from 1 to 64"),
        ("h5lazy cache=-1", "connector info: cache=-1 is not a size (write e.g. 64MiB, or 0)"),
        ("h5lazy files=ANYWHERE", "connector info: files=ANYWHERE is not one of anywhere, below, none"),
        ("h5lazy under_vol=", "connector info: under_vol needs a connector value or name"),
        ("h5lazy under_vol=999", "connector info: cannot load the under connector '999'"),
        ("h5lazy under_vol=0;under_info={",
         "connector info \"under_vol=0;under_info={\": expected key=value pairs separated by ';' near "
         "\"under_info={\""),
        ("h5lazy under_info=x", "connector info: under_info must be written {...}"),
    ])
]

IDS = [e[0] for e in CATALOGUE]
assert len(IDS) == len(set(IDS))

_PY_CHILD = r"""
import json, sys
import h5py, numpy as np
f = h5py.File(sys.argv[1], sys.argv[2])
d = f["v"]

def sel(select, n):
    fs = d.id.get_space()
    select(fs)
    d.id.read(h5py.h5s.create_simple((n,)), fs, np.zeros(n))

try:
    eval(sys.argv[3])
    out = {"ok": True}
except Exception as e:
    out = {"ok": False, "type": type(e).__name__, "message": str(e)}
print(json.dumps(out))
"""


@pytest.fixture(scope="module")
def workspace(tmp_path_factory, sources):
    root = tmp_path_factory.mktemp("catalogue").resolve()
    (root / "top").mkdir()
    build_natively(root, """
        with h5py.File('d.h5', 'w') as f:
            f['a'] = np.arange(12.0).reshape(3, 4)
            f['i'] = np.arange(5, dtype=np.int32)
            f['x'] = np.full(3, np.nan)
            f.create_group('g')
            placeholder(f, 'v', (3, 4), 'f8', 'a * 2')
        with h5py.File('broken.h5', 'w') as f:
            placeholder(f, 'w', (3, 4), 'f8', 'nope + 1')
        with h5py.File('o.h5', 'w') as f:
            f['x'] = np.arange(4.0)
        with h5py.File('top/t.h5', 'w') as f:
            placeholder(f, 'up', (4,), 'f8', 'ds("../o.h5", "/x")')
        with h5py.File('kept.h5', 'w') as f:
            f['x'] = np.zeros(3)
        import zlib
        with h5py.File('z.h5', 'w') as f:
            good = np.arange(32.0).reshape(4, 8)
            chunk = good[2:4].tobytes()
            stream = zlib.compress(chunk, 0)  # stored blocks: the same bytes from any zlib
            for name, raw in (("bad_stream", b"\\x78\\x9c" + b"\\xff" * 30), ("truncated", stream[:len(stream) // 2]),
                              ("inflates_past", zlib.compress(chunk * 2, 0)),
                              ("inflates_short", zlib.compress(chunk[:64], 0))):
                d = f.create_dataset(name, data=good, chunks=(2, 8), compression="gzip")
                d.id.write_direct_chunk((2, 0), raw)
            d = f.create_dataset("checksum", data=good, chunks=(2, 8), fletcher32=True)
            d.id.write_direct_chunk((2, 0), chunk + b"\\x01\\x02\\x03\\x04")
            for name in ("bad_stream", "truncated", "inflates_past", "inflates_short", "checksum"):
                placeholder(f, "v_" + name, (4, 8), "f8", name + " * 2")
        open('text.h5', 'w').write('not hdf5\\n')
        with h5py.File('defs.h5', 'w') as f:
            f['a'] = np.arange(12.0).reshape(3, 4)
            f.create_group('g')
    """ + "\n        with h5py.File('cf.h5', 'w') as f:\n" + "".join(
        f"            f[{name!r}] = np.arange(6, dtype=np.int16)\n" +
        "".join(f"            f[{name!r}].attrs[{key!r}] = {value}\n" for key, value in attrs.items())
        for name, (attrs, _) in CF_ATTRS.items()) + "".join(
        f"            placeholder(f, {view!r}, (6,), {dtype!r}, {operand!r})\n"
        for view, (operand, dtype) in CF_VIEWS.items()))
    for name in ("d.h5", "broken.h5", "o.h5", "top/t.h5", "kept.h5", "text.h5", "cf.h5", "z.h5"):
        sources.add(root / name)
    return root


def observe(root, entry):
    """What the user sees: (message, outcome) as the table writes them."""
    _, _, _, (kind, *spec), _, _ = entry
    if kind == "cli":
        proc = run([h5lazy_bin(), *spec[0]], cwd=root)
        first = (proc.stderr or "").split("\n")[0] or None
        outcome = f"exit {proc.returncode}"
        if proc.returncode and proc.stdout.strip():
            lines = proc.stdout.strip().split("\n")
            if lines[0].startswith("HDF5 "):
                outcome += f" (stdout: the dump up to `{lines[-1].strip()}`)"
            else:
                outcome += " (stdout: " + " / ".join(f"`{line}`" for line in lines) + ")"
        return first, outcome
    if kind == "h5py":
        mode, code = spec
        if mode.startswith("files="):
            env, mode = env_connector(mode), "r"
        else:
            env = env_connector()
        target = root / "d.h5"
        if mode == "r+":
            target = root / "w.h5"
            shutil.copy(root / "d.h5", target)
        proc = subprocess.run([sys.executable, "-c", _PY_CHILD, str(target), mode, code], capture_output=True,
                              text=True, env=env, cwd=root, timeout=60)
        assert proc.returncode == 0, proc.stderr
        out = json.loads(proc.stdout)
        return (None, "no error") if out["ok"] else (out["message"], out["type"])
    if kind == "show":
        proc = run([h5lazy_bin(), "show", "cf.h5", spec[0]], cwd=root)
        lines = proc.stdout.split("\n")
        below = lines[lines.index("  operands:") + 2].strip() if "  operands:" in lines else None
        return below or proc.stderr.split("\n")[0], (f"exit {proc.returncode} (a documented rule: docs/language.md, "
                                                     "\"netCDF and CF\")")
    if kind == "info":
        env = env_connector("=" + spec[0])
        proc = run([hdf5_bin("h5dump"), "-d", "/v", root / "d.h5"], env=env, cwd=root)
        frames = h5lazy_frames(proc.stderr)
        saw_native = "unable to print data" in proc.stderr
        return (frames[0] if frames else None,
                "printed when HDF5 starts; the file then opens natively: "
                f"h5dump exit {proc.returncode}, {'no data' if saw_native else 'data'}")
    raise AssertionError(kind)


@pytest.mark.parametrize("entry", CATALOGUE, ids=IDS)
def test_catalogue(workspace, entry):
    message, outcome = observe(workspace, entry)
    if message is not None:
        message = message.replace(str(workspace), "<dir>")
    assert (message, outcome) == (entry[4], entry[5])


def test_catalogue_size():
    """Issue 7 asks for at least forty; expression errors are elsewhere.
    Six groups: the command, the engine, the connector, its info string,
    CF decoding and define's options for netCDF readers (issue 15)."""
    assert len(CATALOGUE) >= 40
    assert {e[0].split("-")[0] for e in CATALOGUE} == {"cli", "eng", "con", "inf", "cf", "def"}


def markdown_cell(text):
    text = (text or "(nothing)").replace("|", "\\|").replace("\n", "<br>")
    return text


def render():
    lines = [
        "# What h5lazy says when something is wrong",
        "",
        "Every bad input below, and what the user sees: the exact message (the first line",
        "on stderr for the `h5lazy` command; the exception text for h5py; h5lazy's frame of",
        "the error stack HDF5 prints for the connector's info string) and the exit status",
        "or exception. `<dir>` stands for the directory of the files. The files: `d.h5`",
        "holds `a` (float64, 3×4), `i` (int32, 5), `x` (three NaN), the group `g` and the",
        "virtual dataset `v = a * 2`; `broken.h5` holds `w = nope + 1`; `top/t.h5` holds",
        "`up = ds(\"../o.h5\", \"/x\")`; `text.h5` is not HDF5; `defs.h5` holds `a` and `g` as",
        "`d.h5` does; `cf.h5` holds `int16` datasets (0 to 5) with the CF attributes named, and",
        "virtual datasets `view_*` over some of them.",
        "",
        "How operands' CF attributes are decoded, and the rules for odd ones (values that",
        "fit no stored value, valid ranges of other lengths), are in",
        "[docs/language.md](language.md#netcdf-and-cf); the `cf-view_*` rows show what",
        "`h5lazy show` says under the operand when such a rule applies.",
        "`up = ds(\"../o.h5\", \"/x\")`; `text.h5` is not HDF5; `z.h5` holds float64 (4, 8)",
        "datasets chunked (2, 8), compressed, whose chunk (2, 0) was written broken, and for",
        "each `v_<name> = <name> * 2`.",
        "",
        "Errors in the text of an expression (syntax, names, arguments, axes, indexing,",
        "broadcasting, types, literals) are listed with the column they point at in",
        "[tests/python/test_language_errors.py](../tests/python/test_language_errors.py),",
        "each checked against the exception numpy raises for the same text.",
        "",
        "This table is generated from `CATALOGUE` in",
        "[tests/python/test_hardening_catalogue.py](../tests/python/test_hardening_catalogue.py),",
        "which checks every row (`H5LAZY_UPDATE_DOCS=1` rewrites this file from it).",
        "",
        "| # | where | input | message | result |",
        "|---|---|---|---|---|",
    ]
    for id_, where, shown, _, message, outcome in CATALOGUE:
        lines.append(f"| {id_} | {where} | {markdown_cell(shown)} | "
                     f"{markdown_cell(message if message is None else '`' + message + '`')} | "
                     f"{markdown_cell(outcome)} |")
    return "\n".join(lines) + "\n"


def test_docs_match_the_catalogue():
    text = render()
    if os.environ.get("H5LAZY_UPDATE_DOCS") == "1":
        DOC.write_text(text)
    assert DOC.is_file(), f"{DOC} is missing: run with H5LAZY_UPDATE_DOCS=1 to write it"
    assert DOC.read_text() == text, f"{DOC} differs from CATALOGUE: run with H5LAZY_UPDATE_DOCS=1 to rewrite it"


# ---------------------------------------------------------------------------


def test_define_long_name(tmp_path):
    """HDF5 names have no length limit, and neither has define (it once
    refused names of 1024 bytes and more, and the connector's messages were
    cut at 1024 bytes, so the reason never showed). A failure after a long
    name still ends with its reason: the engine keeps the head and the tail
    of a message too long for it."""
    build_natively(tmp_path, "with h5py.File('l.h5', 'w') as f: f['a'] = np.arange(3.0)")
    proc = run([h5lazy_bin(), "define", "l.h5", LONG, "a * 2"], cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert read_one(tmp_path / "l.h5", LONG, "[:]")["value"] == [0, 2, 4]
    proc = run([h5lazy_bin(), "define", "l.h5", "g/" + LONG, "nope"], cwd=tmp_path)
    assert proc.returncode == 1
    first = proc.stderr.splitlines()[0]
    assert " ... " in first and first.endswith("is not a dataset (looked for '/g/nope') (at line 1, column 1)"), first


# ---------------------------------------------------------------------------
# selections the connector gets wrong

_SELECT = r"""
import json, sys
import h5py, numpy as np
out = {}
with h5py.File(sys.argv[1], "r") as f:
    for name in ("a", "v"):
        d = f[name]
        def read(select, n):
            fs = d.id.get_space() if select[0] is None else h5py.h5s.create_simple(select[0])
            select[1](fs)
            buf = np.zeros(n)
            try:
                d.id.read(h5py.h5s.create_simple((n,)), fs, buf)
                return buf.tolist()
            except Exception as e:
                return f"{type(e).__name__}: {e}"
        out[name] = {
            "points_offset": read((None, lambda s: (s.select_elements(np.array([[0, 0], [1, 1]])),
                                                    s.offset_simple((1, 1)))), 2),
            "block_offset": read((None, lambda s: (s.select_hyperslab((0, 0), (2, 2)), s.offset_simple((1, 1)))), 4),
            "union_beyond": read((None, lambda s: (s.select_hyperslab((0, 0), (1, 1)),
                                                   s.select_hyperslab((2, 3), (2, 2), op=h5py.h5s.SELECT_OR))), 5),
            "bigger_extent": read(((6, 8), lambda s: s.select_all()), 48),
        }
print(json.dumps(out))
"""


@pytest.fixture(scope="module")
def selections(workspace):
    proc = subprocess.run([sys.executable, "-c", _SELECT, str(workspace / "d.h5")], capture_output=True, text=True,
                          env=env_connector(), timeout=60)
    assert proc.returncode == 0, proc.stderr[-2000:]
    return json.loads(proc.stdout)


def test_point_selection_offset_is_honoured(selections):
    """A point selection (0, 0), (1, 1) moved by H5Soffset_simple((1, 1)) reads
    v[1, 1], v[2, 2], as HDF5 reads the stored a (the offset, which only
    H5Sget_select_bounds reports, once was ignored: silently wrong values)."""
    assert selections["a"]["points_offset"] == [5.0, 10.0]
    assert selections["v"]["points_offset"] == [10.0, 20.0]


def test_hyperslab_selection_offset_is_honoured(selections):
    """A 2 x 2 block at (0, 0) moved by H5Soffset_simple((1, 1)) reads the
    block at (1, 1), as for the stored a (it once failed with "ended 3
    elements early")."""
    assert selections["a"]["block_offset"] == [5.0, 6.0, 9.0, 10.0]
    assert selections["v"]["block_offset"] == [10.0, 12.0, 18.0, 20.0]


def test_selection_beyond_the_extent_is_refused_by_name(selections):
    """Selections reaching outside (3, 4), a union with a block at (2, 3) or a
    file dataspace of extent (6, 8), are refused with a sentence naming
    '/v' and its extent (once h5py's bare "dataset read failed", or an
    internal "ended 36 elements early")."""
    assert selections["a"]["union_beyond"] == (f"OSError: {READ} (selection + offset not within extent for file "
                                               "dataspace)")
    for key in ("union_beyond", "bigger_extent"):
        got = selections["v"][key]
        assert isinstance(got, str) and "'/v'" in got and "extent" in got and "early" not in got, (key, got)
